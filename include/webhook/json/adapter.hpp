#ifndef WEBHOOK_JSON_ADAPTER_HPP
#define WEBHOOK_JSON_ADAPTER_HPP

#include <webhook/json/detail/writer.hpp>

#include <string_view>

namespace webhook::json {

namespace detail {
struct adapter_primary {};
struct sink_access;
} // namespace detail

/** Where an adapter writes the text of a value (see `adapter`).

    The text is raw: an adapter writing a string does not add quotes nor escape anything, the
    library does both after the adapter returns, with the same rules as for any string
    (escapes, UTF-8 validation, `write_options::invalid_utf8`). An adapter writing a number
    writes its JSON text (`12.50`, `-3`, `1e-9`), which the library checks against the JSON
    number grammar of RFC 8259.

    A sink is only valid during the adapter's call. Appending goes into the caller's buffer:
    no allocation once that buffer has grown to its largest message.
*/
class text_sink {
public:
    text_sink(const text_sink&) = delete;
    text_sink& operator=(const text_sink&) = delete;

    /// Appends `text`.
    void append(std::string_view text) {
        if (!text.empty()) // an empty view may hold a null pointer, which memcpy must not get
            w_.append(text.data(), text.size());
    }

    /// Appends one byte.
    void push_back(char c) { w_.put(c); }

private:
    friend struct detail::sink_access;
    explicit text_sink(detail::writer& w) noexcept : w_(w) {}
    detail::writer& w_;
};

/** Customization point: how a type the library does not know is written, for types you do
    not own (a UUID class, a decimal or money type, a third-party timestamp) or do not want
    to describe.

    It is a trait, specialized in `webhook::json` for your type, rather than a function found
    by argument-dependent lookup: the namespace of a third-party type is not yours to add to,
    and a specialization works for any type, `std` ones included. Declare it after the type
    and before the first serialization of it, typically in the header that includes the
    third-party type. A specialization takes precedence over the built-in mapping of `T`.

    Declare exactly one of these static member functions; its name says what is written:

    - `static void write_string(const T& v, webhook::json::text_sink& out)`: a JSON string.
      Append its text to `out`; the library adds the quotes, escapes, and applies the UTF-8
      policy, so no text can make the JSON invalid. Schema: `{"type": "string"}`, with
      `"format"` when the specialization also declares
      `static constexpr std::string_view format = "uuid";`.
    - `static void write_number(const T& v, webhook::json::text_sink& out)`: a JSON number.
      Append its text (`12.50`); text that is not a JSON number (`12,5`, `NaN`, `.5`, empty)
      makes the write fail with `error::invalid_number`. Schema: `{"type": "number"}`.
    - `static V convert(const T& v)`: the value written is `convert(v)`, of a type `V` the
      library already writes (`std::string`, `std::int64_t`, a described struct, another
      adapted type...). `V` may be returned by value or by reference; it must not be `T` nor
      a type that is itself adapted with `convert`, so that conversions cannot loop. Schema:
      the schema of `V`.

    Optionally, `static boost::json::object schema()` replaces the schema derived above, for
    instance to add a `"pattern"`; it should accept everything the adapter writes.

    @code
    template <>
    struct webhook::json::adapter<vendor::uuid> {
        static constexpr std::string_view format = "uuid";
        static void write_string(const vendor::uuid& id, text_sink& out) {
            out.append(id.to_string());
        }
    };
    @endcode

    An adapted type works everywhere a built-in one does: as a member, in `std::optional`,
    `std::variant`, ranges and map values. As a map key, a string adapter's text is the member
    name, a number adapter's text is quoted (`{"12.50": ...}`), and a `convert` adapter's key
    is the key written for `V`. A specialization that declares none or several of the three
    functions is a compile error naming `invalid_adapter<T>`.

    Exceptions thrown by an adapter propagate out of `to_string` and `write`; `write` then
    leaves the caller's buffer as it was.
*/
template <class T>
struct adapter : detail::adapter_primary {};

} // namespace webhook::json

#endif
