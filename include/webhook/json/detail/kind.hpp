#ifndef WEBHOOK_JSON_DETAIL_KIND_HPP
#define WEBHOOK_JSON_DETAIL_KIND_HPP

#include <webhook/json/adapter.hpp>
#include <webhook/json/detail/members.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <ranges>
#include <string_view>
#include <type_traits>
#include <variant>

// One classification of C++ types into JSON shapes, used by the writer and the schema alike.
namespace webhook::json::detail {

enum class kind {
    adapted,     // a type with a webhook::json::adapter specialization: as it says
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

/// What an `adapter<T>` specialization writes, told by the one function it declares.
enum class adapter_form {
    none,    // no specialization: the built-in mapping
    string,  // write_string(const T&, text_sink&)
    number,  // write_number(const T&, text_sink&)
    convert, // convert(const T&): the value of another type
    invalid, // none or several of them
};

template <class T>
concept string_adapter = requires(const T& v, text_sink& out) {
    { adapter<T>::write_string(v, out) } -> std::same_as<void>;
};
template <class T>
concept number_adapter = requires(const T& v, text_sink& out) {
    { adapter<T>::write_number(v, out) } -> std::same_as<void>;
};
template <class T>
concept convert_adapter = requires(const T& v) {
    adapter<T>::convert(v);
    requires !std::is_void_v<decltype(adapter<T>::convert(v))>;
};

template <class T>
constexpr adapter_form adapter_form_of() noexcept {
    if constexpr (std::is_base_of_v<adapter_primary, adapter<T>>)
        return adapter_form::none;
    else if constexpr (int{string_adapter<T>} + int{number_adapter<T>} + int{convert_adapter<T>} !=
                       1)
        return adapter_form::invalid;
    else if constexpr (string_adapter<T>)
        return adapter_form::string;
    else if constexpr (number_adapter<T>)
        return adapter_form::number;
    else
        return adapter_form::convert;
}

/// The type a `convert` adapter of `T` produces, without cv or reference.
template <class T>
using converted_t = std::remove_cvref_t<decltype(adapter<T>::convert(std::declval<const T&>()))>;

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
    if constexpr (adapter_form_of<T>() != adapter_form::none)
        return kind::adapted; // the user's word wins over the built-in mapping
    else if constexpr (std::is_same_v<T, std::nullptr_t> || std::is_same_v<T, std::monostate>)
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
    else if constexpr (std::ranges::input_range<const T> && requires {
                           typename T::key_type;
                           typename T::mapped_type;
                       })
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

template <class K>
constexpr bool key_type_impl() noexcept {
    constexpr kind k = kind_of<K>;
    if constexpr (k == kind::adapted) {
        constexpr adapter_form f = adapter_form_of<K>();
        if constexpr (f == adapter_form::convert) // one conversion at most: they cannot loop
            return adapter_form_of<converted_t<K>>() != adapter_form::convert &&
                   key_type_impl<converted_t<K>>();
        else
            return f == adapter_form::string || f == adapter_form::number;
    } else {
        return k == kind::string || k == kind::character || k == kind::enumeration ||
               k == kind::integer;
    }
}

/// Map keys become JSON member names: strings, described enums, integers and adapted types
/// whose text (or converted value) is one of those.
template <class K>
inline constexpr bool is_key_type = key_type_impl<std::remove_cvref_t<K>>();

// ---------------------------------------------------------------------------------------------
// What cannot be written, found by one walk over the type; `serializable` and the one compile
// error of every entry point both come from it.

/// Instantiated for a type the serializer cannot write; the type is named in the error.
template <class T>
struct unsupported_type {
    static_assert(dependent_false<T>,
                  "webhook::json: this type cannot be serialized (see the type named in "
                  "'unsupported_type<...>' above). Describe it with BOOST_DESCRIBE_STRUCT, "
                  "BOOST_DESCRIBE_CLASS or BOOST_DESCRIBE_ENUM, specialize "
                  "webhook::json::adapter for it, or use a supported type.");
};

/// Instantiated for a map key type that cannot be a JSON member name; the type is named.
template <class K>
struct unsupported_map_key {
    static_assert(dependent_false<K>,
                  "webhook::json: map keys must be strings, characters, described enums, "
                  "integers or adapted types written as strings or numbers (see the type named "
                  "in 'unsupported_map_key<...>' above).");
};

/// Instantiated for an `adapter<T>` specialization the library cannot use; `T` is named.
template <class T>
struct invalid_adapter {
    static_assert(dependent_false<T>,
                  "webhook::json::adapter<T> (T is named in 'invalid_adapter<...>' above) must "
                  "declare exactly one of: static void write_string(const T&, "
                  "webhook::json::text_sink&); static void write_number(const T&, "
                  "webhook::json::text_sink&); static V convert(const T&), where V is neither T "
                  "nor a type that is itself adapted with convert.");
};

struct no_problem {};
template <class T>
struct unsupported_value_problem {};
template <class K>
struct unsupported_key_problem {};
template <class T>
struct invalid_adapter_problem {};

template <class T, class... Visiting>
constexpr auto find_problem();

/// The first problem among `A...`, in order.
template <class... Visiting>
constexpr no_problem first_problem(boost::mp11::mp_list<>) {
    return {};
}
template <class... Visiting, class A, class... Rest>
constexpr auto first_problem(boost::mp11::mp_list<A, Rest...>) {
    using found = decltype(find_problem<A, Visiting...>());
    if constexpr (!std::is_same_v<found, no_problem>)
        return found{};
    else
        return first_problem<Visiting...>(boost::mp11::mp_list<Rest...>{});
}

template <class... Visiting, template <class...> class L, class... D>
constexpr auto members_problem(L<D...>) {
    return first_problem<Visiting...>(boost::mp11::mp_list<member_t<D>...>{});
}

template <class... Visiting, class... A>
constexpr auto alternatives_problem(std::variant<A...>*) {
    return first_problem<Visiting...>(boost::mp11::mp_list<A...>{});
}

/** The first thing inside `T`, in the order the serializer writes, that cannot be written:
    `no_problem`, or a type naming it. `Visiting` breaks recursion. */
template <class T, class... Visiting>
constexpr auto find_problem() {
    constexpr kind k = kind_of<T>;
    if constexpr ((std::is_same_v<T, Visiting> || ...)) {
        return no_problem{};
    } else if constexpr (k == kind::adapted) {
        constexpr adapter_form f = adapter_form_of<T>();
        if constexpr (f == adapter_form::invalid)
            return invalid_adapter_problem<T>{};
        else if constexpr (f != adapter_form::convert)
            return no_problem{};
        else if constexpr (std::is_same_v<converted_t<T>, T> ||
                           adapter_form_of<converted_t<T>>() == adapter_form::convert)
            return invalid_adapter_problem<T>{}; // conversions could loop
        else
            return find_problem<converted_t<T>, T, Visiting...>();
    } else if constexpr (k == kind::optional) {
        return find_problem<typename T::value_type, Visiting...>();
    } else if constexpr (k == kind::variant) {
        return alternatives_problem<Visiting...>(static_cast<T*>(nullptr));
    } else if constexpr (k == kind::object) {
        return members_problem<T, Visiting...>(members_of<T>{});
    } else if constexpr (k == kind::map) {
        using K = std::remove_cvref_t<typename T::key_type>;
        if constexpr (kind_of<K> == kind::adapted && adapter_form_of<K>() == adapter_form::invalid)
            return invalid_adapter_problem<K>{};
        else if constexpr (!is_key_type<K>)
            return unsupported_key_problem<K>{};
        else
            return find_problem<std::remove_cvref_t<typename T::mapped_type>, T, Visiting...>();
    } else if constexpr (k == kind::sequence) {
        return find_problem<element_t<T>, T, Visiting...>();
    } else if constexpr (k == kind::unsupported) {
        return unsupported_value_problem<T>{};
    } else {
        return no_problem{};
    }
}

/// Whether `T` and everything it contains can be written.
template <class T>
constexpr bool serializable_impl() {
    return std::is_same_v<decltype(find_problem<T>()), no_problem>;
}

/// Instantiates the compile error that names a problem of `find_problem`.
template <class T>
constexpr void report(unsupported_value_problem<T>) {
    (void)sizeof(unsupported_type<T>);
}
template <class K>
constexpr void report(unsupported_key_problem<K>) {
    (void)sizeof(unsupported_map_key<K>);
}
template <class T>
constexpr void report(invalid_adapter_problem<T>) {
    (void)sizeof(invalid_adapter<T>);
}

} // namespace webhook::json::detail

#endif
