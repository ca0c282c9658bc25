#ifndef WEBHOOK_JSON_DATA_PATH_HPP
#define WEBHOOK_JSON_DATA_PATH_HPP

#include <webhook/error.hpp>
#include <webhook/json/detail/data_path.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace webhook {

/** Why a data-location text was refused, and where. */
struct data_path_error {
    /// `error::empty_path_segment`, `error::control_character_in_path` or `error::invalid_utf8`.
    boost::system::error_code code;
    /// Byte offset of the problem in the text as given.
    std::size_t offset = 0;
    /// The text as given.
    std::string text;

    /** One line for people: `data location "root//result": empty segment at offset 5`. The
        text is quoted with control characters, quotes, backslashes and bytes that are not
        valid UTF-8 written as `\xNN`, so the line is always printable UTF-8. */
    std::string message() const;
};

/// Lets `boost::system::result<data_path, data_path_error>::value()` throw `system_error`.
[[noreturn]] void throw_exception_from_error(const data_path_error& e,
                                             const boost::source_location& loc);

/** The data location: where the payload sits in the outgoing JSON document.

    `root/result` wraps a payload `P` as `{"root":{"result":P}}`; the empty path sends `P`
    itself. The text is validated once, and the wrapping bytes are computed once, so a data
    path adds two copies per message and nothing else.

    Text rules: white space around the whole text is ignored, and so is one leading and one
    trailing `/` (`/root/result/` equals `root/result`), then white space again (`/ a/`
    equals `a`, so that the normalized text reads back as the same path). Segments are split
    at `/` and kept byte for byte, inner spaces included. An empty segment (`root//result`), a control
    character (U+0000 to U+001F, U+007F) or invalid UTF-8 is an error naming the offset.
    A segment cannot contain `/`. Quotes and backslashes in segments are escaped on output.
*/
class data_path {
public:
    /// The empty path: the payload is the whole document.
    data_path() = default;

    /** Parses `text`.
        @throws boost::system::system_error whose text begins with `data_path_error::message()`
        (the same words as `parse` gives), then the error code's own message. */
    explicit data_path(std::string_view text) : data_path(parse(text).value()) {}

    /// Parses `text` without throwing.
    static boost::system::result<data_path, data_path_error> parse(std::string_view text);

    /// The normalized text: segments joined by `/`, without outer slashes or spaces.
    std::string_view text() const noexcept { return text_; }

    /// True for the empty path.
    bool empty() const noexcept { return text_.empty(); }

    /// Number of segments.
    std::size_t depth() const noexcept { return bytes_.size() - prefix_size_; }

    /// The bytes written before the payload, e.g. `{"root":{"result":`.
    std::string_view prefix() const noexcept { return {bytes_.data(), prefix_size_}; }

    /// The bytes written after the payload, e.g. `}}`.
    std::string_view suffix() const noexcept {
        return std::string_view{bytes_}.substr(prefix_size_);
    }

    friend bool operator==(const data_path& a, const data_path& b) noexcept {
        return a.text_ == b.text_;
    }

private:
    std::string text_;
    std::string bytes_; // prefix then suffix
    std::size_t prefix_size_ = 0;
};

namespace detail {
// Called only from a failing constant expression: the compiler names the function.
void data_location_error_empty_segment();
void data_location_error_control_character();
void data_location_error_invalid_utf8();
} // namespace detail

/** A data-location text checked at compile time, for `json::to_string<"root/result">(v)`.

    Same rules as `data_path`; a bad text is a compile error that names the problem. Users
    write the string literal and never name this type.
*/
template <std::size_t N>
struct path_literal {
    char chars[N]{};

    consteval path_literal(const char (&text)[N]) {
        for (std::size_t i = 0; i < N; ++i)
            chars[i] = text[i];
        const detail::path_scan scan = detail::scan_data_path(view());
        if (scan.problem == error::empty_path_segment)
            detail::data_location_error_empty_segment();
        if (scan.problem == error::control_character_in_path)
            detail::data_location_error_control_character();
        if (scan.problem == error::invalid_utf8)
            detail::data_location_error_invalid_utf8();
    }

    constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

} // namespace webhook

#include <webhook/json/impl/data_path.hpp>

#endif
