#ifndef WEBHOOK_JSON_DETAIL_KIND_HPP
#define WEBHOOK_JSON_DETAIL_KIND_HPP

#include <webhook/json/detail/members.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <ranges>
#include <string_view>
#include <type_traits>
#include <variant>

// One classification of C++ types into JSON shapes, used by the writer and the schema alike.
namespace webhook::json::detail {

enum class kind {
    null,        // std::nullptr_t, std::monostate
    boolean,     // bool
    character,   // char: a one-character string
    integer,     // every other integer type
    floating,    // float, double, long double
    enumeration, // a described enum: its name
    time_point,  // std::chrono::system_clock time points: RFC 3339 UTC text
    optional,    // std::optional
    variant,     // std::variant
    json_value,  // boost::json::value, object, array, string: passed through
    object,      // a described class
    c_string,    // const char*, char*: null pointer is `null`
    char_array,  // char[N]: up to the first NUL
    string,      // anything convertible to std::string_view
    map,         // a range of pairs with key_type and mapped_type: an object
    sequence,    // any other range: an array
    unsupported,
};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_variant : std::false_type {};
template <class... T>
struct is_variant<std::variant<T...>> : std::true_type {};

template <class T>
struct is_sys_time : std::false_type {};
template <class D>
struct is_sys_time<std::chrono::time_point<std::chrono::system_clock, D>> : std::true_type {};

template <class T>
inline constexpr bool is_char_type =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

template <class T>
inline constexpr bool is_json_value =
    std::is_same_v<T, boost::json::value> || std::is_same_v<T, boost::json::object> ||
    std::is_same_v<T, boost::json::array> || std::is_same_v<T, boost::json::string>;

template <class T>
constexpr kind classify() noexcept {
    if constexpr (std::is_same_v<T, std::nullptr_t> || std::is_same_v<T, std::monostate>)
        return kind::null;
    else if constexpr (std::is_same_v<T, bool>)
        return kind::boolean;
    else if constexpr (std::is_same_v<T, char>)
        return kind::character;
    else if constexpr (is_char_type<T>)
        return kind::unsupported; // wide and UTF-16/32 characters: no silent conversion
    else if constexpr (std::is_integral_v<T>)
        return kind::integer;
    else if constexpr (std::is_floating_point_v<T>)
        return kind::floating;
    else if constexpr (std::is_enum_v<T>)
        return boost::describe::has_describe_enumerators<T>::value ? kind::enumeration
                                                                   : kind::unsupported;
    else if constexpr (is_sys_time<T>::value)
        return kind::time_point;
    else if constexpr (is_optional<T>::value)
        return kind::optional;
    else if constexpr (is_variant<T>::value)
        return kind::variant;
    else if constexpr (is_json_value<T>)
        return kind::json_value;
    else if constexpr (boost::describe::has_describe_members<T>::value)
        return kind::object;
    else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>)
        return kind::c_string;
    else if constexpr (std::is_array_v<T> && std::is_same_v<std::remove_extent_t<T>, char>)
        return kind::char_array;
    else if constexpr (std::is_convertible_v<const T&, std::string_view>)
        return kind::string;
    else if constexpr (std::ranges::input_range<const T> &&
                       requires { typename T::key_type; typename T::mapped_type; })
        return kind::map;
    else if constexpr (std::ranges::input_range<const T>)
        return kind::sequence;
    else
        return kind::unsupported;
}

template <class T>
inline constexpr kind kind_of = classify<std::remove_cvref_t<T>>();

template <class R>
using element_t = std::remove_cvref_t<std::ranges::range_value_t<const R>>;

/// Map keys become JSON member names: strings, described enums and integers qualify.
template <class K>
inline constexpr bool is_key_type = kind_of<K> == kind::string || kind_of<K> == kind::character ||
                                    kind_of<K> == kind::enumeration ||
                                    kind_of<K> == kind::integer;

template <class T, class... Visiting>
constexpr bool serializable_impl();

template <class... Visiting, template <class...> class L, class... D>
constexpr bool members_serializable(L<D...>) {
    return (serializable_impl<member_t<D>, Visiting...>() && ...);
}

template <class... Visiting, class... T>
constexpr bool alternatives_serializable(std::variant<T...>*) {
    return (serializable_impl<T, Visiting...>() && ...);
}

/// Whether `T` and everything it contains can be written; `Visiting` breaks recursion.
template <class T, class... Visiting>
constexpr bool serializable_impl() {
    if constexpr ((std::is_same_v<T, Visiting> || ...))
        return true;
    else if constexpr (kind_of<T> == kind::optional)
        return serializable_impl<typename T::value_type, Visiting...>();
    else if constexpr (kind_of<T> == kind::variant)
        return alternatives_serializable<Visiting...>(static_cast<T*>(nullptr));
    else if constexpr (kind_of<T> == kind::object)
        return members_serializable<T, Visiting...>(members_of<T>{});
    else if constexpr (kind_of<T> == kind::map)
        return is_key_type<std::remove_cvref_t<typename T::key_type>> &&
               serializable_impl<std::remove_cvref_t<typename T::mapped_type>, T, Visiting...>();
    else if constexpr (kind_of<T> == kind::sequence)
        return serializable_impl<element_t<T>, T, Visiting...>();
    else
        return kind_of<T> != kind::unsupported;
}

} // namespace webhook::json::detail

#endif
