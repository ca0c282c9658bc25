#ifndef WEBHOOK_CONFIG_DETAIL_READERS_HPP
#define WEBHOOK_CONFIG_DETAIL_READERS_HPP

// One reader per value type: `read_value(reader, json, path, out)` sets `out` from the JSON
// value, or reports a problem at `path` and leaves `out` as it was (the default). A described
// struct is read key by key from its description; a described enumeration by its enumerator
// names, compared without case. The sections with a type and secrets (authentication,
// signing, headers) and the retry policy have their own readers, in sections.hpp.

#include <webhook/config/describe.hpp>
#include <webhook/config/detail/reader.hpp>
#include <webhook/config/detail/text.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace webhook::detail {

template <class T>
concept described_options = boost::describe::has_describe_members<T>::value;

template <class T>
concept described_choice = std::is_enum_v<T> && boost::describe::has_describe_enumerators<T>::value;

template <class T>
using config_members = boost::describe::describe_members<T, boost::describe::mod_public>;

/// The keys of a described struct, in the order of its description.
template <described_options T>
inline constexpr auto config_keys = []<class... D>(boost::mp11::mp_list<D...>*) {
    return std::array<std::string_view, sizeof...(D)>{D::name...};
}(static_cast<boost::mp11::mp_rename<config_members<T>, boost::mp11::mp_list>*>(nullptr));

/// The names of a described enumeration, and its values in the same order.
template <described_choice E>
inline constexpr auto choice_names =
    []<class... D>(boost::mp11::mp_list<D...>*) {
        return std::array<std::string_view, sizeof...(D)>{D::name...};
    }(static_cast<boost::mp11::mp_rename<boost::describe::describe_enumerators<E>,
                                         boost::mp11::mp_list>*>(nullptr));

template <described_choice E>
inline constexpr auto choice_values =
    []<class... D>(boost::mp11::mp_list<D...>*) {
        return std::array<E, sizeof...(D)>{D::value...};
    }(static_cast<boost::mp11::mp_rename<boost::describe::describe_enumerators<E>,
                                         boost::mp11::mp_list>*>(nullptr));

/// The enumerator's name, or "?" for a value cast from outside the enumeration.
template <described_choice E>
const char* choice_name(E value) noexcept {
    for (std::size_t i = 0; i < choice_values<E>.size(); ++i)
        if (choice_values<E>[i] == value)
            return choice_names<E>[i].data(); // names are literals: NUL-terminated
    return "?";
}

using config_value = boost::json::value;

inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       std::string& out) {
    if (const auto* s = v.if_string())
        out = std::string(*s);
    else
        r.problem(path, "must be a string");
}

inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       bool& out) {
    if (const auto* b = v.if_bool())
        out = *b;
    else
        r.problem(path, "must be true or false");
}

/// A number, any: `per_second` 0.5 is fine. Its range is a rule (rules.hpp).
inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       double& out) {
    if (v.is_number())
        out = v.to_number<double>();
    else
        r.problem(path, "must be a number");
}

/// Counts and sizes: whole numbers, 0 or more.
inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       std::size_t& out) {
    const auto n = config_reader::whole_number(v);
    if (n && *n >= 0)
        out = static_cast<std::size_t>(*n);
    else
        r.problem(path, "must be a whole number, 0 or more");
}

/// Whole milliseconds, or a string such as "500ms", "10s", "5m", "2h" (and "unlimited" where
/// `may_be_unlimited`, as milliseconds::max()).
inline std::optional<std::chrono::milliseconds> read_duration(config_reader& r,
                                                              const config_value& v,
                                                              const std::string& path,
                                                              bool may_be_unlimited = false) {
    if (const auto n = config_reader::whole_number(v))
        return std::chrono::milliseconds{*n};
    if (const auto* s = v.if_string()) {
        if (may_be_unlimited && *s == "unlimited")
            return std::chrono::milliseconds::max();
        if (const auto d = parse_duration(*s))
            return d;
    }
    r.problem(path, may_be_unlimited
                        ? "must be a duration: whole milliseconds, a string such as \"500ms\", "
                          "\"10s\", \"5m\", \"2h\", or \"unlimited\""
                        : "must be a duration: whole milliseconds, or a string such as "
                          "\"500ms\", \"10s\", \"5m\", \"2h\"");
    return std::nullopt;
}

inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       std::chrono::milliseconds& out) {
    if (const auto d = read_duration(r, v, path))
        out = *d;
}

inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       std::chrono::seconds& out) {
    if (const auto d = read_duration(r, v, path))
        out = std::chrono::duration_cast<std::chrono::seconds>(*d);
}

template <described_choice E>
void read_value(config_reader& r, const config_value& v, const std::string& path, E& out) {
    if (const auto i = r.choice(v, path, choice_names<E>))
        out = choice_values<E>[*i];
}

/// Only the methods a webhook sends with, written as HTTP writes them.
inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       boost::beast::http::verb& out) {
    namespace http = boost::beast::http;
    static constexpr std::string_view names[] = {"POST", "PUT", "PATCH"};
    static constexpr http::verb verbs[] = {http::verb::post, http::verb::put, http::verb::patch};
    if (const auto m = r.choice(v, path, names))
        out = verbs[*m];
}

inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       data_format& out) {
    const auto* s = v.if_string();
    if (s && iequals(*s, "json"))
        out = data_format::json;
    else
        r.problem(path, "only \"json\" is supported");
}

inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       data_path& out) {
    std::string text;
    const std::size_t before = r.mark();
    read_value(r, v, path, text);
    if (!r.clean_since(before))
        return;
    auto parsed = data_path::parse(text);
    if (parsed)
        out = std::move(*parsed);
    else // the document holds the text: the offset says where
        r.problem(path, describe_path_problem(parsed.error().code, parsed.error().offset));
}

/// `["10.0.0.0/8", "fd00::5"]`: addresses, or ranges in CIDR notation.
inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       std::vector<ip_range>& out) {
    const auto* arr = v.if_array();
    if (!arr) {
        r.problem(path, "must be an array of address ranges");
        return;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string at = config_reader::index_path(path, i);
        const auto* text = (*arr)[i].if_string();
        if (!text)
            r.problem(at, "must be a string");
        else if (auto range = ip_range::parse(std::string_view(*text)))
            out.push_back(*range);
        else
            r.problem(at, "is not an address or a range such as 10.0.0.0/8 or fd00::/8");
    }
}

/// A described struct, key by key: its keys are its described members.
template <described_options T>
void read_value(config_reader& r, const config_value& v, const std::string& path, T& out) {
    r.members(v, path, config_keys<T>,
              [&](std::string_view key, const config_value& x, const std::string& at) {
                  boost::mp11::mp_for_each<config_members<T>>([&](auto member) {
                      if (key == member.name)
                          read_value(r, x, at, out.*member.pointer);
                  });
              });
}

} // namespace webhook::detail

#endif
