#ifndef WEBHOOK_JSON_IMPL_SCHEMA_HPP
#define WEBHOOK_JSON_IMPL_SCHEMA_HPP

#include <webhook/json/detail/data_path.hpp>
#include <webhook/json/detail/kind.hpp>
#include <webhook/json/detail/members.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <ratio>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace webhook::json::detail {

// ---------------------------------------------------------------------------------------------
// Recursion: which types go to `$defs`. Decided at compile time so that every use of such a
// type, the outermost included, is the same `$ref`; the schema then does not depend on where
// the traversal happened to meet the type first.
//
// A cycle of types always passes through a class the user declared: a described struct, an
// adapted type, or a class deriving from a container (`struct list : std::vector<list> {};`).
// Described structs and adapted types in a cycle are its anchors. Other types are anchors
// only on a cycle with neither, so `std::vector<node>` inside `node` stays inline around the
// `$ref` to `node`.

/// Described structs and adapted types: the types a user named for the library, which are
/// the anchors of a cycle they are on.
template <class T>
inline constexpr bool user_named = kind_of<T> == kind::object || kind_of<T> == kind::adapted;

template <bool ThroughStructs, class Target, class T, class... Visiting>
constexpr bool reaches();

template <bool ThroughStructs, class Target, class... Visiting, template <class...> class L,
          class... D>
constexpr bool members_reach(L<D...>) {
    return (reaches<ThroughStructs, Target, member_t<D>, Visiting...>() || ...);
}

template <bool ThroughStructs, class Target, class... Visiting, class... A>
constexpr bool alternatives_reach(std::variant<A...>*) {
    return (reaches<ThroughStructs, Target, A, Visiting...>() || ...);
}

/// Whether a type directly inside `T` reaches `Target`: the children the serializer writes,
/// the ones `serializable_impl` walks.
template <bool ThroughStructs, class Target, class T, class... Visiting>
constexpr bool children_reach() {
    if constexpr (kind_of<T> == kind::adapted) {
        if constexpr (adapter_form_of<T>() == adapter_form::convert)
            return reaches<ThroughStructs, Target, converted_t<T>, T, Visiting...>();
        else
            return false;
    } else if constexpr (kind_of<T> == kind::optional)
        return reaches<ThroughStructs, Target, typename T::value_type, T, Visiting...>();
    else if constexpr (kind_of<T> == kind::variant)
        return alternatives_reach<ThroughStructs, Target, T, Visiting...>(static_cast<T*>(nullptr));
    else if constexpr (kind_of<T> == kind::object)
        return members_reach<ThroughStructs, Target, T, Visiting...>(members_of<T>{});
    else if constexpr (kind_of<T> == kind::map)
        return reaches<ThroughStructs, Target, std::remove_cvref_t<typename T::mapped_type>, T,
                       Visiting...>();
    else if constexpr (kind_of<T> == kind::sequence)
        return reaches<ThroughStructs, Target, element_t<T>, T, Visiting...>();
    else
        return false;
}

/// Whether `T` is `Target` or contains it; `Visiting` stops cycles that avoid `Target`.
template <bool ThroughStructs, class Target, class T, class... Visiting>
constexpr bool reaches() {
    if constexpr (std::is_same_v<T, Target>)
        return true;
    else if constexpr ((std::is_same_v<T, Visiting> || ...))
        return false;
    else if constexpr (!ThroughStructs && user_named<T>)
        return false;
    else
        return children_reach<ThroughStructs, Target, T, Visiting...>();
}

/// True for a type defined once under `$defs` and used through `$ref`.
template <class T>
inline constexpr bool is_definition = user_named<T> ? children_reach<true, T, T>()
                                                    : children_reach<false, T, T>();

// ---------------------------------------------------------------------------------------------
// Shapes the kind alone does not tell.

/// The element count of a range whose size is part of its type (`T[N]`, `std::array`,
/// fixed-extent `std::span`); 0 when the size is not known.
template <class T>
struct static_extent : std::integral_constant<std::size_t, 0> {};
template <class E, std::size_t N>
struct static_extent<E[N]> : std::integral_constant<std::size_t, N> {};
template <class E, std::size_t N>
struct static_extent<std::array<E, N>> : std::integral_constant<std::size_t, N> {};
template <class E, std::size_t N>
    requires(N != std::dynamic_extent)
struct static_extent<std::span<E, N>> : std::integral_constant<std::size_t, N> {};

/** A set whose elements are distinct: `std::set`, `std::unordered_set` and the like. Told
    apart from the multi-sets by `insert` reporting whether it inserted, which is what a
    container that refuses duplicates does. */
// (clang-format 14 garbles requires-expressions joined by &&.)
// clang-format off
template <class T>
concept unique_key_set = requires { typename T::key_type; } &&
                         !requires { typename T::mapped_type; } &&
                         requires(T& s, const typename T::value_type& v) {
                             { s.insert(v) } -> std::same_as<std::pair<typename T::iterator, bool>>;
                         };
// clang-format on

/** Whether two different values of `T` are always written as two different JSON values
    under `options`. Only then do distinct set elements make `"uniqueItems": true` a promise
    the serializer keeps; pointers, structs and anything the options may merge (invalid UTF-8
    replaced by U+FFFD, both infinities written as `null`) do not qualify. */
template <class T>
bool writes_distinct_json(const write_options& options) noexcept {
    constexpr kind k = kind_of<T>;
    if constexpr (k == kind::boolean || k == kind::integer || k == kind::enumeration)
        return true;
    else if constexpr (k == kind::floating) // shortest round-trip text is exact
        return options.non_finite == non_finite_policy::reject;
    else if constexpr (k == kind::character || k == kind::string)
        return options.invalid_utf8 != utf8_policy::replace;
    else if constexpr (k == kind::time_point) { // exact when nanoseconds hold every tick
        using duration = typename T::duration;
        return !std::chrono::treat_as_floating_point_v<typename duration::rep> &&
               std::ratio_divide<typename duration::period, std::nano>::den == 1;
    } else
        return false;
}

// ---------------------------------------------------------------------------------------------
// Names for `$defs`.

/// `__PRETTY_FUNCTION__` names `T`; one distinct string per type, alive for the program.
template <class T>
const char* type_signature() noexcept {
    return __PRETTY_FUNCTION__;
}

/** A `$defs` key from a signature of `type_signature`: the type's name (GCC writes
    `... [with T = app::node]`, Clang `... [T = app::node]`), `::` as `.`, characters outside
    `[A-Za-z0-9_.-]` as `_`, spaces and the anonymous namespace dropped. Those characters
    need no escaping in a JSON Pointer or a URI fragment, so the `$ref` is the name as is. */
inline std::string def_name(std::string_view signature) {
    std::string_view type = signature;
    if (const auto at = type.find("T = "); at != std::string_view::npos) {
        type.remove_prefix(at + 4);
        if (!type.empty() && type.back() == ']')
            type.remove_suffix(1);
    }
    constexpr std::string_view anonymous = "(anonymous namespace)::";
    std::string name;
    for (std::size_t i = 0; i < type.size(); ++i) {
        const char c = type[i];
        if (type.substr(i, anonymous.size()) == anonymous) {
            i += anonymous.size() - 1;
        } else if (type.substr(i, 2) == "::") {
            name += '.';
            ++i;
        } else if (is_upper(c) || is_lower(c) || is_digit(c) || c == '_' || c == '.' || c == '-') {
            name += c;
        } else if (c != ' ') {
            name += '_';
        }
    }
    return name;
}

// ---------------------------------------------------------------------------------------------
// The generator.

struct schema_context {
    const write_options& options;
    boost::json::object defs;
    std::map<std::string_view, std::string> names; // type signature -> `$defs` key
    std::set<std::string, std::less<>> taken;

    /// The `$defs` key of `T`, and whether this is its first use (its body is still to write).
    template <class T>
    std::pair<std::string, bool> def_of() {
        const std::string_view signature = type_signature<T>();
        if (const auto found = names.find(signature); found != names.end())
            return {found->second, false};
        const std::string base = def_name(signature);
        std::string name = base;
        for (int n = 2; taken.contains(name); ++n)
            name = base + '-' + std::to_string(n);
        taken.insert(name);
        names.emplace(signature, name);
        return {std::move(name), true};
    }
};

template <class T>
boost::json::object schema_of(schema_context& ctx);

inline boost::json::object type_schema(std::string_view type) {
    return {{"type", type}};
}

inline boost::json::object null_schema() {
    return type_schema("null");
}

/// Exactly one character, for `char`: one byte is always written as one code point (itself,
/// an escape, or U+FFFD under `utf8_policy::replace`), and JSON Schema counts code points.
inline boost::json::object one_character() {
    return {{"minLength", 1}, {"maxLength", 1}};
}

template <class I>
boost::json::object integer_schema() {
    using limits = std::numeric_limits<I>;
    boost::json::object s = type_schema("integer");
    // Wider types (__int128) have bounds JSON numbers in Boost.JSON cannot hold exactly.
    if constexpr (std::is_signed_v<I> && sizeof(I) <= sizeof(std::int64_t)) {
        s["minimum"] = static_cast<std::int64_t>(limits::min());
        s["maximum"] = static_cast<std::int64_t>(limits::max());
    } else if constexpr (std::is_unsigned_v<I> && sizeof(I) <= sizeof(std::uint64_t)) {
        s["minimum"] = 0;
        s["maximum"] = static_cast<std::uint64_t>(limits::max());
    }
    return s;
}

/// The names the serializer writes for `E`: the first name of each value (an alias that
/// shares a value with an earlier enumerator is never written).
template <class E>
boost::json::array enum_names() {
    static_assert(check_wire_names<E>());
    boost::json::array names;
    std::vector<E> seen;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
        if (std::find(seen.begin(), seen.end(), d.value) != seen.end())
            return;
        seen.push_back(d.value);
        names.emplace_back(wire_name<E, decltype(d)>::value); // renamed as the serializer does
    });
    return names;
}

template <class... A>
boost::json::object variant_schema(schema_context& ctx, std::variant<A...>*) {
    boost::json::array alternatives;
    (alternatives.emplace_back(schema_of<A>(ctx)), ...);
    return {{"anyOf", std::move(alternatives)}};
}

template <class T>
boost::json::object struct_schema(schema_context& ctx) {
    static_assert(check_wire_names<T>());
    boost::json::object properties;
    boost::json::array required;
    boost::mp11::mp_for_each<members_of<T>>([&](auto d) {
        using D = decltype(d);
        using M = member_t<D>;
        const std::string_view name = wire_name<T, D>::value;
        if constexpr (is_optional<M>::value) {
            // Left out when empty, so never `null` itself: present means a value is written.
            if (ctx.options.empty_optional == empty_optional_policy::omit) {
                properties[name] = schema_of<typename M::value_type>(ctx);
                return;
            }
        }
        properties[name] = schema_of<M>(ctx);
        required.emplace_back(name);
    });
    boost::json::object s = type_schema("object");
    s["properties"] = std::move(properties);
    if (!required.empty())
        s["required"] = std::move(required);
    s["additionalProperties"] = false;
    return s;
}

/// RFC 8259's number grammar, for the text of a number adapter used as a member name.
inline constexpr std::string_view json_number_pattern =
    "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$";

/// What `adapter<T>` says: its own `schema()`, or the one derived from its form.
template <class T>
boost::json::object adapted_schema(schema_context& ctx) {
    using A = adapter<T>;
    constexpr adapter_form form = adapter_form_of<T>();
    if constexpr (requires { A::schema(); }) {
        static_assert(std::is_convertible_v<decltype(A::schema()), boost::json::object>,
                      "webhook::json::adapter<T>::schema() must return a boost::json::object");
        return A::schema();
    } else if constexpr (form == adapter_form::string) {
        boost::json::object s = type_schema("string");
        if constexpr (requires { A::format; })
            s["format"] = std::string_view(A::format);
        return s;
    } else if constexpr (form == adapter_form::number) {
        return type_schema("number");
    } else {
        return schema_of<converted_t<T>>(ctx);
    }
}

/// The `"propertyNames"` schema of map key `K`; none for plain string keys.
template <class K>
std::optional<boost::json::object> property_names_schema(schema_context& ctx) {
    if constexpr (kind_of<K> == kind::enumeration) {
        return boost::json::object{{"enum", enum_names<K>()}};
    } else if constexpr (kind_of<K> == kind::integer) {
        return boost::json::object{{"pattern", std::is_signed_v<K> ? "^-?[0-9]+$" : "^[0-9]+$"}};
    } else if constexpr (kind_of<K> == kind::character) {
        return one_character();
    } else if constexpr (kind_of<K> == kind::adapted) {
        constexpr adapter_form form = adapter_form_of<K>();
        if constexpr (form == adapter_form::string) // a member name is a string: as a value
            return adapted_schema<K>(ctx);
        else if constexpr (form == adapter_form::number)
            return boost::json::object{{"pattern", json_number_pattern}};
        else
            return property_names_schema<converted_t<K>>(ctx);
    } else {
        if constexpr (!is_key_type<K>)
            (void)unsupported_map_key<K>{};
        return std::nullopt;
    }
}

template <class T>
boost::json::object map_schema(schema_context& ctx) {
    using K = std::remove_cvref_t<typename T::key_type>;
    boost::json::object s = type_schema("object");
    s["additionalProperties"] = schema_of<std::remove_cvref_t<typename T::mapped_type>>(ctx);
    if (auto names = property_names_schema<K>(ctx))
        s["propertyNames"] = std::move(*names);
    return s;
}

template <class T>
boost::json::object sequence_schema(schema_context& ctx) {
    using E = element_t<T>;
    boost::json::object s = type_schema("array");
    s["items"] = schema_of<E>(ctx);
    if constexpr (constexpr std::size_t n = static_extent<T>::value; n != 0) {
        s["minItems"] = n;
        s["maxItems"] = n;
    }
    if constexpr (unique_key_set<T>) {
        if (writes_distinct_json<E>(ctx.options))
            s["uniqueItems"] = true;
    }
    return s;
}

/// The schema of one value of `T`, which is without cv-qualifiers or reference.
template <class T>
boost::json::object inline_schema(schema_context& ctx) {
    constexpr kind k = kind_of<T>;
    if constexpr (k == kind::adapted) {
        return adapted_schema<T>(ctx);
    } else if constexpr (k == kind::null) {
        return null_schema();
    } else if constexpr (k == kind::boolean) {
        return type_schema("boolean");
    } else if constexpr (k == kind::character) {
        return {{"type", "string"}, {"minLength", 1}, {"maxLength", 1}};
    } else if constexpr (k == kind::integer) {
        return integer_schema<T>();
    } else if constexpr (k == kind::floating) {
        if (ctx.options.non_finite == non_finite_policy::null)
            return {{"type", boost::json::array{"number", "null"}}};
        return type_schema("number");
    } else if constexpr (k == kind::enumeration) {
        return {{"type", "string"}, {"enum", enum_names<T>()}};
    } else if constexpr (k == kind::time_point) {
        return {{"type", "string"}, {"format", "date-time"}};
    } else if constexpr (k == kind::optional) {
        boost::json::array alternatives;
        alternatives.emplace_back(schema_of<typename T::value_type>(ctx));
        alternatives.emplace_back(null_schema());
        return {{"anyOf", std::move(alternatives)}};
    } else if constexpr (k == kind::variant) {
        return variant_schema(ctx, static_cast<T*>(nullptr));
    } else if constexpr (k == kind::json_value) {
        if constexpr (std::is_same_v<T, boost::json::value>)
            return {}; // any JSON at all
        else if constexpr (std::is_same_v<T, boost::json::object>)
            return type_schema("object");
        else if constexpr (std::is_same_v<T, boost::json::array>)
            return type_schema("array");
        else
            return type_schema("string");
    } else if constexpr (k == kind::object) {
        return struct_schema<T>(ctx);
    } else if constexpr (k == kind::c_string) {
        return {{"type", boost::json::array{"string", "null"}}}; // a null pointer is null
    } else if constexpr (k == kind::char_array || k == kind::string) {
        return type_schema("string");
    } else if constexpr (k == kind::map) {
        return map_schema<T>(ctx);
    } else if constexpr (k == kind::sequence) {
        return sequence_schema<T>(ctx);
    } else {
        (void)unsupported_type<T>{};
        return {};
    }
}

template <class T>
boost::json::object schema_of(schema_context& ctx) {
    if constexpr (is_definition<T>) {
        auto [name, first_use] = ctx.def_of<T>();
        if (first_use) {
            // Reserve the key before writing the body, which refers back to it; `$defs` then
            // lists definitions in the order they are first met, outermost first.
            ctx.defs[name] = nullptr;
            boost::json::object body = inline_schema<T>(ctx);
            ctx.defs[name] = std::move(body);
        }
        return {{"$ref", "#/$defs/" + name}};
    } else {
        return inline_schema<T>(ctx);
    }
}

/// The whole document: `$schema`, the payload wrapped under the segments of `path_body` (a
/// validated data location without outer slashes), then `$defs`.
template <class T>
boost::json::value schema_document(std::string_view path_body, const write_options& options) {
    if constexpr (!require_serializable<T>()) {
        return {}; // a type that cannot be written has no schema: the error is reported
    } else {
        schema_context ctx{options, {}, {}, {}};
        boost::json::object payload = schema_of<T>(ctx);

        std::vector<std::string_view> segments;
        webhook::detail::for_each_segment(path_body,
                                          [&](std::string_view s) { segments.push_back(s); });
        for (auto s = segments.rbegin(); s != segments.rend(); ++s) {
            boost::json::object properties;
            properties[*s] = std::move(payload);
            boost::json::object wrapper = type_schema("object");
            wrapper["properties"] = std::move(properties);
            wrapper["required"] = boost::json::array{*s};
            wrapper["additionalProperties"] = false;
            payload = std::move(wrapper);
        }

        boost::json::object root;
        root["$schema"] = schema_dialect;
        for (auto& member : payload)
            root[member.key()] = std::move(member.value());
        if (!ctx.defs.empty())
            root["$defs"] = std::move(ctx.defs);
        return root;
    }
}

} // namespace webhook::json::detail

namespace webhook::json {

template <class T>
boost::json::value schema(const write_options& options) {
    return detail::schema_document<std::remove_cvref_t<T>>({}, options);
}

template <class T>
boost::json::value schema(const data_path& path, const write_options& options) {
    return detail::schema_document<std::remove_cvref_t<T>>(path.text(), options);
}

template <path_literal Path, class T>
boost::json::value schema(const write_options& options) {
    return detail::schema_document<std::remove_cvref_t<T>>(detail::static_path<Path>::body,
                                                           options);
}

} // namespace webhook::json

#endif
