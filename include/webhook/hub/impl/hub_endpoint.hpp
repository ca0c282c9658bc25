#ifndef WEBHOOK_HUB_IMPL_HUB_ENDPOINT_HPP
#define WEBHOOK_HUB_IMPL_HUB_ENDPOINT_HPP

#include <webhook/detail/quote.hpp>
#include <webhook/hub/event_type.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <set>
#include <utility>

namespace webhook {

namespace detail {

/// What is wrong with `name` as a hub endpoint's name, or null.
inline const char* endpoint_name_problem(std::string_view name) noexcept {
    if (name.empty())
        return "is required";
    if (name.size() > 64)
        return "is longer than 64 characters";
    for (const char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return "holds a character other than ASCII letters, digits, '.', '_' and '-'";
    return nullptr;
}

/// `endpoints[i]` + `path` (`endpoints[i]` alone for the element itself).
inline std::string element_path(std::size_t i, std::string_view path) {
    std::string p = config_reader::index_path("endpoints", i);
    if (!path.empty())
        p.append(path.front() == '[' ? "" : ".").append(path);
    return p;
}

/// The hub's own checks of endpoint `i`: its name and its subscription.
inline void check_hub_keys(const hub_endpoint& h, std::size_t i,
                           std::vector<config_problem>& problems) {
    if (const char* p = endpoint_name_problem(h.name))
        problems.push_back({element_path(i, "name"), p});
    const auto& types = h.subscription.event_types;
    for (std::size_t t = 0; t < types.size(); ++t)
        if (const char* p = event_type_name_problem(types[t]))
            problems.push_back(
                {element_path(i, "event_types[" + std::to_string(t) + "]"),
                 std::string(p) + " (got " + detail::quote_for_message(types[t]) + ")"});
    const auto& channels = h.subscription.channels;
    for (std::size_t c = 0; c < channels.size(); ++c)
        if (channels[c].empty())
            problems.push_back(
                {element_path(i, "channels[" + std::to_string(c) + "]"), "must not be empty"});
}

/// Reads `key` of `obj` (an array of strings) into `out`, reporting under `path`.
inline void read_strings(const boost::json::object& obj, std::string_view key,
                         const std::string& path, std::vector<std::string>& out,
                         std::vector<config_problem>& problems) {
    const boost::json::value* v = obj.if_contains(key);
    if (!v || v->is_null())
        return;
    const boost::json::array* items = v->if_array();
    if (!items) {
        problems.push_back({path, "must be an array of strings"});
        return;
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
        if (const auto* s = (*items)[i].if_string())
            out.emplace_back(s->data(), s->size());
        else
            problems.push_back({path + "[" + std::to_string(i) + "]", "must be a string"});
    }
}

/// Endpoint `i` of a document: the hub's keys taken out, the rest read as an endpoint.
inline hub_endpoint read_hub_endpoint(const boost::json::value& element, std::size_t i,
                                      std::vector<config_problem>& problems) {
    hub_endpoint h;
    const boost::json::object* obj = element.if_object();
    if (!obj) {
        problems.push_back({element_path(i, ""), "must be an object"});
        return h;
    }
    if (const auto* name = obj->if_contains("name"); name && name->is_string())
        h.name = std::string(name->get_string());
    else if (name && !name->is_null())
        problems.push_back({element_path(i, "name"), "must be a string"});
    read_strings(*obj, "event_types", element_path(i, "event_types"), h.subscription.event_types,
                 problems);
    read_strings(*obj, "channels", element_path(i, "channels"), h.subscription.channels, problems);
    boost::json::object rest; // the endpoint's own keys, in order: unknown ones stay problems
    for (const auto& member : *obj)
        if (member.key() != "name" && member.key() != "event_types" && member.key() != "channels")
            rest.emplace(member.key(), member.value());
    for (config_problem& p : read_endpoint_document(boost::json::value(std::move(rest)), h.config))
        problems.push_back({element_path(i, p.path), std::move(p.message)});
    return h;
}

/// The hub's checks of every endpoint (and with `configs`, `validate` of each one's config).
inline void check_hub(std::span<const hub_endpoint> endpoints, bool configs,
                      std::vector<config_problem>& problems) {
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const hub_endpoint& h = endpoints[i];
        check_hub_keys(h, i, problems);
        if (!h.name.empty() && !names.insert(h.name).second)
            problems.push_back(
                {element_path(i, "name"), "duplicate endpoint name " + quote_for_message(h.name)});
        if (configs)
            for (config_problem& p : validate(h.config))
                problems.push_back({element_path(i, p.path), std::move(p.message)});
    }
}

} // namespace detail

inline bool subscribed(const subscription& s, std::string_view event_type,
                       std::span<const std::string_view> channels) noexcept {
    const auto listed = [](const std::vector<std::string>& list, std::string_view item) {
        return std::find(list.begin(), list.end(), item) != list.end();
    };
    if (!s.event_types.empty() && !listed(s.event_types, event_type))
        return false;
    return s.channels.empty() ||
           std::any_of(channels.begin(), channels.end(),
                       [&](std::string_view c) { return listed(s.channels, c); });
}

inline std::vector<config_problem> validate(std::span<const hub_endpoint> endpoints) {
    std::vector<config_problem> problems;
    detail::check_hub(endpoints, true, problems);
    return problems;
}

inline std::vector<hub_endpoint> load_hub_endpoints(std::string_view json_text) {
    const boost::json::value root = detail::parse_config_document(json_text);
    const boost::json::object* obj = root.if_object();
    const boost::json::value* list = obj ? obj->if_contains("endpoints") : nullptr;
    if (!list || !list->is_array())
        throw config_error(
            {config_problem{"endpoints", "is required: the document is {\"endpoints\": [ ... ]}"}});
    std::vector<config_problem> problems;
    for (const auto& member : *obj)
        if (member.key() != "endpoints")
            problems.push_back({detail::config_reader::key_path("", member.key()),
                                "unknown key (the document has only \"endpoints\")"});
    std::vector<hub_endpoint> endpoints;
    for (std::size_t i = 0; i < list->get_array().size(); ++i)
        endpoints.push_back(detail::read_hub_endpoint(list->get_array()[i], i, problems));
    detail::check_hub(endpoints, false, problems); // the configs were validated as read
    if (!problems.empty())
        throw config_error(std::move(problems));
    return endpoints;
}

inline std::vector<hub_endpoint> load_hub_endpoints_file(const std::string& path) {
    return load_hub_endpoints(detail::read_config_file(path));
}

} // namespace webhook

#endif
