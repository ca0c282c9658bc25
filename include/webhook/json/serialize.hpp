#ifndef WEBHOOK_JSON_SERIALIZE_HPP
#define WEBHOOK_JSON_SERIALIZE_HPP

#include <webhook/json/adapter.hpp>
#include <webhook/json/data_path.hpp>
#include <webhook/json/detail/kind.hpp>
#include <webhook/json/options.hpp>
#include <webhook/json/wire_names.hpp>

#include <boost/system/error_code.hpp>

#include <string>
#include <type_traits>

namespace webhook::json {

/** Satisfied by every type the serializer can write, recursively.

    Scalars: `bool`, all integer types, `float`/`double`/`long double` (shortest round-trip
    text), `char` (a one-character string), `std::nullptr_t` and `std::monostate` (`null`).
    Text: `std::string`, `std::string_view`, `const char*` (a null pointer is `null`), `char`
    arrays (up to the first NUL). Described enums (their names), described classes (objects,
    with members of described bases first), `std::optional`, `std::variant`, system-clock time
    points (RFC 3339 UTC), `boost::json::value`/`object`/`array`/`string` (passed through),
    maps with string, enum or integer keys (objects), any other range (arrays), and any type
    with an `adapter` specialization.
*/
template <class T>
concept serializable = detail::serializable_impl<std::remove_cvref_t<T>>();

/// `serializable<T>` as a boolean trait, for code that wants a type rather than a concept.
template <class T>
struct is_serializable : std::bool_constant<serializable<T>> {};

/// `is_serializable<T>::value`.
template <class T>
inline constexpr bool is_serializable_v = serializable<T>;

/** The one compile-time check of an entry point that serializes a `T`.

    Returns `serializable<T>`. When that is false, it has also produced the library's compile
    error for `T`: a single `static_assert` that names the innermost type that cannot be
    written (`unsupported_type<int*>`), the map key that cannot be a member name
    (`unsupported_map_key<K>`), or the adapter that is not usable (`invalid_adapter<T>`).
    Every function of the JSON part that takes a value uses it; an entry point elsewhere
    (the dispatcher) gives its user the same message by putting its body under it, so that
    nothing else is instantiated for the wrong type:

    @code
    template <class Event>
    void send(const Event& event) {
        if constexpr (webhook::json::require_serializable<Event>()) {
            // ... serialize and send ...
        }
    }
    @endcode

    Used as `static_assert(require_serializable<T>())` it works too, with a second, generic
    "static assertion failed" after the message.
*/
template <class T>
consteval bool require_serializable() noexcept;

/** Appends the JSON of `value`, wrapped under `path`, to `out`.

    Never throws for bad data and never allocates when `out` has the capacity: reuse one
    string for many messages. On error `ec` is set and `out` keeps exactly its previous
    content.

    @param out the buffer appended to
    @param value the payload
    @param path the data location; the empty path writes the payload alone
    @param options policies for non-finite numbers, invalid UTF-8 and empty optionals
    @param ec set to `error::invalid_utf8`, `error::non_finite_number`,
    `error::unnamed_enum_value`, `error::valueless_variant` or `error::time_out_of_range`
*/
template <class T>
void write(std::string& out, const T& value, const data_path& path, const write_options& options,
           boost::system::error_code& ec);

/// As above, with default options.
template <class T>
void write(std::string& out, const T& value, const data_path& path, boost::system::error_code& ec);

/// As above, without a data location.
template <class T>
void write(std::string& out, const T& value, boost::system::error_code& ec);

/** The JSON of `value` wrapped under `path`.
    @throws boost::system::system_error on data JSON cannot carry (see `write`). */
template <class T>
std::string to_string(const T& value, const data_path& path = {},
                      const write_options& options = {});

/// As above, without a data location.
template <class T>
std::string to_string(const T& value, const write_options& options);

/** Compile-time data location: `write<"root/result">(out, value, ec)`.

    Same bytes as the `data_path` overloads; the path is checked by the compiler and its
    bytes are constants.
*/
template <path_literal Path, class T>
void write(std::string& out, const T& value, const write_options& options,
           boost::system::error_code& ec);

/// As above, with default options.
template <path_literal Path, class T>
void write(std::string& out, const T& value, boost::system::error_code& ec);

/// `to_string<"root/result">(value)`: the compile-time data location form of `to_string`.
template <path_literal Path, class T>
std::string to_string(const T& value, const write_options& options = {});

} // namespace webhook::json

#include <webhook/json/impl/serialize.hpp>

#endif
