#ifndef WEBHOOK_HUB_EVENT_TYPE_HPP
#define WEBHOOK_HUB_EVENT_TYPE_HPP

/** @file
    Event types: the name (and version) under which receivers subscribe to a kind of event,
    e.g. `incident.updated`. A described struct gets one with `WEBHOOK_EVENT_TYPE`:

        struct incident { std::string id; int priority; };
        BOOST_DESCRIBE_STRUCT(incident, (), (id, priority))
        WEBHOOK_EVENT_TYPE(incident, "incident.updated")

    at namespace scope outside any namespace (it specializes `webhook::event_traits`, which a
    program may also specialize by hand). A name is checked at compile time: 1 to 128
    characters, ASCII letters, digits, `.`, `_` and `-`, starting with a letter, no empty
    segment between dots. Publishing a type without one is a compile error. */

#include <webhook/json/data_path.hpp>
#include <webhook/json/options.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace webhook {

/** The event type of `T`: specialize with `static constexpr std::string_view name`; when not
    1, `static constexpr std::uint32_t version`; and for events delivered in order per key,
    `static constexpr auto ordering_key = &T::member` (a string or integer member: see
    `WEBHOOK_EVENT_TYPE_ORDERED`). Not defined for other types. */
template <class T>
struct event_traits;

/// What is wrong with `name` as an event type name, or null when nothing is.
constexpr const char* event_type_name_problem(std::string_view name) noexcept {
    if (name.empty())
        return "an event type name must not be empty";
    if (name.size() > 128)
        return "an event type name is at most 128 characters";
    const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!letter(name.front()))
        return "an event type name starts with a letter";
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '.' && (i + 1 == name.size() || name[i + 1] == '.'))
            return "an event type name has no empty segment (\"a..b\", \"a.\")";
        if (!letter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-')
            return "an event type name holds only ASCII letters, digits, '.', '_' and '-'";
    }
    return nullptr;
}

/// `T` has an event type (see `WEBHOOK_EVENT_TYPE`).
template <class T>
concept has_event_type = requires {
    { event_traits<T>::name } -> std::convertible_to<std::string_view>;
};

namespace detail {
template <class T>
constexpr std::uint32_t event_version() {
    if constexpr (requires { event_traits<T>::version; })
        return event_traits<T>::version;
    else
        return 1;
}
template <class T>
constexpr bool has_ordering_key() {
    if constexpr (requires { event_traits<T>::ordering_key; }) {
        using pointer = std::remove_cv_t<decltype(event_traits<T>::ordering_key)>;
        static_assert(std::is_member_object_pointer_v<pointer>,
                      "webhook: event_traits<T>::ordering_key must be &T::member");
        return true;
    } else {
        return false;
    }
}

/** Writes the ordering key of `event` (its `event_traits` member) into `out`: a string as it
    is, an integer in decimal. Checked at compile time: another member type is an error. */
template <class T>
void write_ordering_key(const T& event, std::string& out) {
    const auto& key = event.*(event_traits<T>::ordering_key);
    using key_type = std::remove_cvref_t<decltype(key)>;
    if constexpr (std::is_convertible_v<const key_type&, std::string_view>) {
        out.assign(std::string_view(key));
    } else {
        static_assert(std::is_integral_v<key_type> && !std::is_same_v<key_type, bool>,
                      "webhook: an ordering key member is a string or an integer");
        out = std::to_string(key);
    }
}

// One address per type: how a hub tells two types with the same name apart.
template <class T>
inline constexpr char event_type_tag = 0;
} // namespace detail

/** An event type as a value, for registries and catalogues: its name, version, the C++ type
    it stands for, and the JSON Schema of its payload under a data location. */
struct event_type_info {
    std::string_view name;
    std::uint32_t version = 1;
    /// Identifies the C++ type (equal for equal types only).
    const void* type = nullptr;
    boost::json::value (*schema)(const data_path& location,
                                 const json::write_options& options) = nullptr;

    /// The info of `T`, whose name is checked here at compile time.
    template <class T>
    static constexpr event_type_info of() noexcept;
};

/** The event types of a program, listed once, e.g. for a hub's `declare`: two with the same
    name and version are a compile error. */
template <class... Events>
struct event_types {
    static_assert((has_event_type<Events> && ...),
                  "webhook::event_types: every type needs WEBHOOK_EVENT_TYPE(type, \"name\")");
    static constexpr bool distinct() {
        const std::string_view names[] = {std::string_view(event_traits<Events>::name)...};
        const std::uint32_t versions[] = {detail::event_version<Events>()...};
        for (std::size_t i = 0; i < sizeof...(Events); ++i)
            for (std::size_t j = i + 1; j < sizeof...(Events); ++j)
                if (names[i] == names[j] && versions[i] == versions[j])
                    return false;
        return true;
    }
    static_assert(sizeof...(Events) < 2 || distinct(),
                  "webhook::event_types: two types have the same event type name and version");
};

} // namespace webhook

/** Gives the described struct `Type` the event type `Name` (version 1); write it at global
    scope, with `Type` qualified. */
#define WEBHOOK_EVENT_TYPE(Type, Name) WEBHOOK_EVENT_TYPE_VERSION(Type, Name, 1)

/** `WEBHOOK_EVENT_TYPE` for events delivered in order per key: events with equal `Member`
    (a string or integer member of `Type`) reach each endpoint one at a time, in the order
    published; events with different keys go in parallel. An empty string key orders nothing. */
#define WEBHOOK_EVENT_TYPE_ORDERED(Type, Name, Member)                                             \
    template <>                                                                                    \
    struct webhook::event_traits<Type> {                                                           \
        static_assert(::webhook::event_type_name_problem(Name) == nullptr,                         \
                      "WEBHOOK_EVENT_TYPE: invalid event type name " #Name " (see "                \
                      "webhook::event_type_name_problem)");                                        \
        static constexpr std::string_view name = Name;                                             \
        static constexpr std::uint32_t version = 1;                                                \
        static constexpr auto ordering_key = &Type::Member;                                        \
    }

/// `WEBHOOK_EVENT_TYPE` with a version other than 1 (two versions of a name are two types).
#define WEBHOOK_EVENT_TYPE_VERSION(Type, Name, Version)                                            \
    template <>                                                                                    \
    struct webhook::event_traits<Type> {                                                           \
        static_assert(::webhook::event_type_name_problem(Name) == nullptr,                         \
                      "WEBHOOK_EVENT_TYPE: invalid event type name " #Name " (see "                \
                      "webhook::event_type_name_problem)");                                        \
        static_assert((Version) >= 1, "WEBHOOK_EVENT_TYPE: the version starts at 1");              \
        static constexpr std::string_view name = Name;                                             \
        static constexpr std::uint32_t version = Version;                                          \
    }

#include <webhook/hub/impl/event_type.hpp>

#endif
