#ifndef WEBHOOK_JSON_OPTIONS_HPP
#define WEBHOOK_JSON_OPTIONS_HPP

namespace webhook::json {

/// What to do with NaN and infinities, which JSON cannot represent.
enum class non_finite_policy {
    reject, ///< `error::non_finite_number` (default)
    null,   ///< write `null`
};

/// What to do with a string that is not valid UTF-8.
enum class utf8_policy {
    reject,  ///< `error::invalid_utf8` (default)
    replace, ///< write U+FFFD for each byte that does not start a well-formed sequence
    /// Trusted input: the caller guarantees valid UTF-8, which is not checked. Bytes from 0x80
    /// are copied as they are, so invalid input makes invalid JSON. Faster on non-ASCII text.
    assume_valid,
};

/// What to do with an empty `std::optional` member of a described struct.
enum class empty_optional_policy {
    omit, ///< leave the member out (default)
    null, ///< write the member with the value `null`
};

/** Serialization policies. The defaults never produce JSON that loses information silently:
    anything JSON cannot carry is an error. */
struct write_options {
    non_finite_policy non_finite = non_finite_policy::reject;
    utf8_policy invalid_utf8 = utf8_policy::reject;
    empty_optional_policy empty_optional = empty_optional_policy::omit;
};

} // namespace webhook::json

#endif
