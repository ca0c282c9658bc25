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
#include <string_view>

namespace webhook {

/** The event type of `T`: specialize with `static constexpr std::string_view name` and, when
    not 1, `static constexpr std::uint32_t version`. Not defined for other types. */
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
