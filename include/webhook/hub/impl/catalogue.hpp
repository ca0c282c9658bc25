#ifndef WEBHOOK_HUB_IMPL_CATALOGUE_HPP
#define WEBHOOK_HUB_IMPL_CATALOGUE_HPP

#include <webhook/hub/detail/catalogue_http.hpp>
#include <webhook/hub/detail/catalogue_schemas.hpp>
#include <webhook/json/detail/data_path.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhook::detail {

/// An event type with its key in the documents (`name`, or `name.v<version>` after 1).
struct catalogue_event {
    std::string key;
    const event_type_info* info = nullptr;
};

/// One message of an endpoint: an event type, or the endpoint's batches.
struct catalogue_message {
    std::string key;     // within the endpoint
    std::string title;   // for people
    std::string payload; // its key in components/schemas
};

/// One endpoint that receives something, with its unique key and its messages.
struct catalogue_operation {
    std::string key;
    const catalogue_endpoint* source = nullptr;
    std::vector<catalogue_message> messages;
};

/// What both documents are made of: the schemas, and the endpoints with their messages.
struct catalogue_model {
    catalogue_components schemas;
    std::vector<catalogue_operation> operations;
};

/// `key`, or `key-2`, `key-3`, ... when `taken` has it already; the result is added to it.
inline std::string catalogue_unique(std::string key, std::vector<std::string>& taken) {
    const std::string wanted = key;
    for (int n = 2; std::find(taken.begin(), taken.end(), key) != taken.end(); ++n)
        key = wanted + "-" + std::to_string(n);
    taken.push_back(key);
    return key;
}

/// The event types with a schema, once per name and version, each with its key.
inline std::vector<catalogue_event> catalogue_events(std::span<const event_type_info> events) {
    std::vector<catalogue_event> out;
    std::vector<std::string> taken;
    for (const auto& e : events) {
        if (e.schema == nullptr)
            continue;
        bool repeated = false;
        for (const auto& seen : out)
            repeated = repeated || (seen.info->name == e.name && seen.info->version == e.version);
        if (repeated)
            continue;
        std::string key = catalogue_key(e.name);
        if (e.version != 1)
            key += ".v" + std::to_string(e.version);
        out.push_back({catalogue_unique(std::move(key), taken), &e});
    }
    return out;
}

/// `.root.result` for `root/result`, empty for the empty location: a key's suffix.
inline std::string catalogue_location_suffix(const data_path& location) {
    std::string out;
    for_each_segment(location.text(), [&](std::string_view s) { out += "." + catalogue_key(s); });
    return out;
}

/// The key in `schemas` of the body `event` makes at `location`.
inline std::string catalogue_payload(const catalogue_event& event, const data_path& location,
                                     const json::write_options& options,
                                     catalogue_components& schemas) {
    const std::string owner = event.key + catalogue_location_suffix(location);
    boost::json::value body =
        catalogue_embed(event.info->schema(location, options), owner, schemas);
    return schemas.add(owner, std::move(body));
}

/** The key in `schemas` of a batch body: an array of 1 to `max_events` of the events, at the
    data location. The wrapping objects are the generator's own, taken from the first event's
    schema at that location, whose payload is then replaced by the array. */
inline std::string catalogue_batch_payload(std::string_view endpoint_key,
                                           const std::vector<const catalogue_event*>& received,
                                           const endpoint& config,
                                           const json::write_options& options,
                                           catalogue_components& schemas) {
    boost::json::array refs;
    for (const auto* event : received)
        refs.push_back(boost::json::object{
            {"$ref", std::string(catalogue_schema_ref) +
                         catalogue_payload(*event, data_path(), options, schemas)}});
    boost::json::value items = refs.size() == 1 ? std::move(refs.front())
                                                : boost::json::object{{"anyOf", std::move(refs)}};
    boost::json::object array{{"type", "array"},
                              {"items", std::move(items)},
                              {"minItems", 1},
                              {"maxItems", config.batch.max_events}};
    const std::string owner = std::string(endpoint_key) + ".batch";
    boost::json::value body = catalogue_embed(
        received.front()->info->schema(config.data_location, options), owner, schemas);
    boost::json::value* leaf = &body;
    for_each_segment(config.data_location.text(),
                     [&](std::string_view segment) { leaf = &leaf->at("properties").at(segment); });
    *leaf = std::move(array);
    return schemas.add(owner, std::move(body));
}

/// Whether `e` receives the event type named `name`.
inline bool catalogue_receives(const catalogue_endpoint& e, std::string_view name) {
    if (e.event_types.empty())
        return true;
    for (const auto& wanted : e.event_types)
        if (wanted == name)
            return true;
    return false;
}

inline catalogue_model build_catalogue(std::span<const event_type_info> events,
                                       std::span<const catalogue_endpoint> endpoints,
                                       const json::write_options& options) {
    catalogue_model model;
    const std::vector<catalogue_event> all = catalogue_events(events);
    std::vector<std::string> taken;
    for (const auto& e : endpoints) {
        std::vector<const catalogue_event*> received;
        for (const auto& event : all)
            if (catalogue_receives(e, event.info->name))
                received.push_back(&event);
        if (received.empty())
            continue; // nothing to describe
        catalogue_operation op{catalogue_unique(catalogue_key(e.name), taken), &e, {}};
        if (e.config.batch.max_events > 1) {
            op.messages.push_back(
                {"batch", "Batch of up to " + std::to_string(e.config.batch.max_events) + " events",
                 catalogue_batch_payload(op.key, received, e.config, options, model.schemas)});
        } else {
            for (const auto* event : received) {
                std::string title(event->info->name);
                if (event->info->version != 1)
                    title += " (version " + std::to_string(event->info->version) + ")";
                op.messages.push_back(
                    {event->key, std::move(title),
                     catalogue_payload(*event, e.config.data_location, options, model.schemas)});
            }
        }
        model.operations.push_back(std::move(op));
    }
    return model;
}

inline boost::json::object catalogue_info_object(const catalogue_info& info) {
    boost::json::object out{{"title", info.title}, {"version", info.version}};
    if (!info.description.empty())
        out["description"] = info.description;
    return out;
}

inline boost::json::object catalogue_ref(std::string_view where, std::string_view key) {
    return {{"$ref", std::string(where) + std::string(key)}};
}

/// One sentence on how the endpoint's requests look, for people.
inline std::string catalogue_summary(const catalogue_operation& op) {
    const endpoint& config = op.source->config;
    std::string method = catalogue_method(config.method);
    for (char& c : method)
        c = static_cast<char>(c - 'a' + 'A');
    std::string out = method + " requests to the endpoint " + op.source->name + ", the event ";
    out += config.data_location.empty()
               ? std::string("as the whole body")
               : "under `" + std::string(config.data_location.text()) + "` in the body";
    if (config.batch.max_events > 1)
        out += " as an array of events";
    return out + ".";
}

/// The AsyncAPI headers schema: every header required, others allowed.
inline boost::json::object catalogue_headers_schema(const endpoint& config) {
    boost::json::object properties;
    boost::json::array required;
    for (auto& h : catalogue_headers(config, true)) {
        if (!h.description.empty())
            h.schema["description"] = h.description;
        properties[h.name] = std::move(h.schema);
        required.emplace_back(h.name);
    }
    return {{"type", "object"}, {"properties", std::move(properties)}, {"required", required}};
}

/// The AsyncAPI operation of `op`, its messages referred to through its channel.
inline boost::json::object asyncapi_operation(const catalogue_operation& op,
                                              catalogue_components& security) {
    const endpoint& config = op.source->config;
    boost::json::array messages;
    for (const auto& m : op.messages)
        messages.push_back(catalogue_ref("#/channels/" + op.key + "/messages/", m.key));
    std::string method = catalogue_method(config.method);
    for (char& c : method)
        c = static_cast<char>(c - 'a' + 'A');
    boost::json::object out{
        {"action", "send"},
        {"channel", catalogue_ref("#/channels/", op.key)},
        {"summary", catalogue_summary(op)},
        {"messages", std::move(messages)},
        {"bindings", {{"http", {{"method", std::move(method)}, {"bindingVersion", "0.3.0"}}}}}};
    std::string wanted;
    boost::json::value scheme = catalogue_security_scheme(config.authentication, false, wanted);
    if (!scheme.is_null())
        out["security"] = boost::json::array{catalogue_ref(
            "#/components/securitySchemes/", security.add(wanted, std::move(scheme)))};
    if (boost::json::value signature = catalogue_signature_extension(config.signing);
        !signature.is_null())
        out["x-webhook-signature"] = std::move(signature);
    return out;
}

/// The OpenAPI operation `id`: message `m` of `op`.
inline boost::json::object openapi_operation(std::string_view id, const catalogue_operation& op,
                                             const catalogue_message& m,
                                             catalogue_components& security) {
    const endpoint& config = op.source->config;
    boost::json::array parameters;
    for (auto& h : catalogue_headers(config, false)) {
        boost::json::object p{{"name", h.name}, {"in", "header"}, {"required", true}};
        if (!h.description.empty())
            p["description"] = h.description;
        p["schema"] = std::move(h.schema);
        parameters.push_back(std::move(p));
    }
    boost::json::object body{
        {"required", true},
        {"content",
         {{"application/json", {{"schema", catalogue_ref(catalogue_schema_ref, m.payload)}}}}}};
    boost::json::object out{
        {"operationId", id},
        {"summary", m.title},
        {"description", catalogue_summary(op)},
        {"parameters", std::move(parameters)},
        {"requestBody", std::move(body)},
        {"responses",
         {{"2XX",
           {{"description", "Received. Any other status, or none in time, is a failed attempt, "
                            "retried as the endpoint's retry policy says."}}}}}};
    std::string wanted;
    boost::json::value scheme = catalogue_security_scheme(config.authentication, true, wanted);
    if (!scheme.is_null()) {
        boost::json::array scopes;
        if (const auto* oauth = std::get_if<oauth2_client_credentials>(&config.authentication))
            for (const auto& s : catalogue_scopes(oauth->scope))
                scopes.emplace_back(s);
        boost::json::object requirement;
        requirement[security.add(wanted, std::move(scheme))] = std::move(scopes);
        out["security"] = boost::json::array{std::move(requirement)};
    }
    if (boost::json::value signature = catalogue_signature_extension(config.signing);
        !signature.is_null())
        out["x-webhook-signature"] = std::move(signature);
    return out;
}

} // namespace webhook::detail

namespace webhook {

inline boost::json::value asyncapi_document(const catalogue_info& info,
                                            std::span<const event_type_info> events,
                                            std::span<const catalogue_endpoint> endpoints,
                                            const json::write_options& options) {
    detail::catalogue_model model = detail::build_catalogue(events, endpoints, options);
    detail::catalogue_components messages;
    detail::catalogue_components security;
    boost::json::object channels;
    boost::json::object operations;
    for (const auto& op : model.operations) {
        const std::string headers = model.schemas.add(
            op.key + ".headers", detail::catalogue_headers_schema(op.source->config));
        boost::json::object channel_messages;
        for (const auto& m : op.messages) {
            boost::json::object message{
                {"name", m.key},
                {"title", m.title},
                {"contentType", "application/json"},
                {"headers", detail::catalogue_ref(detail::catalogue_schema_ref, headers)},
                {"payload", detail::catalogue_ref(detail::catalogue_schema_ref, m.payload)}};
            // Equal messages of two endpoints are one: the same headers and the same body.
            const std::string key = messages.add(m.key, std::move(message));
            channel_messages[m.key] = detail::catalogue_ref("#/components/messages/", key);
        }
        channels[op.key] = {{"title", op.source->name},
                            {"description", detail::catalogue_summary(op)},
                            {"messages", std::move(channel_messages)}};
        operations[op.key] = detail::asyncapi_operation(op, security);
    }
    boost::json::object components{{"schemas", model.schemas.entries()},
                                   {"messages", messages.entries()}};
    if (!security.empty())
        components["securitySchemes"] = security.entries();
    return boost::json::object{{"asyncapi", "3.0.0"},
                               {"info", detail::catalogue_info_object(info)},
                               {"defaultContentType", "application/json"},
                               {"channels", std::move(channels)},
                               {"operations", std::move(operations)},
                               {"components", std::move(components)}};
}

inline boost::json::value openapi_document(const catalogue_info& info,
                                           std::span<const event_type_info> events,
                                           std::span<const catalogue_endpoint> endpoints,
                                           const json::write_options& options) {
    detail::catalogue_model model = detail::build_catalogue(events, endpoints, options);
    detail::catalogue_components security;
    boost::json::object webhooks;
    std::vector<std::string> taken; // endpoint `a`, event `b.c` and endpoint `a.b`, event `c`
    for (const auto& op : model.operations)
        for (const auto& m : op.messages) {
            const std::string key = detail::catalogue_unique(op.key + "." + m.key, taken);
            webhooks[key] = {{detail::catalogue_method(op.source->config.method),
                              detail::openapi_operation(key, op, m, security)}};
        }
    boost::json::object components{{"schemas", model.schemas.entries()}};
    if (!security.empty())
        components["securitySchemes"] = security.entries();
    return boost::json::object{{"openapi", "3.1.0"},
                               {"info", detail::catalogue_info_object(info)},
                               {"webhooks", std::move(webhooks)},
                               {"components", std::move(components)}};
}

} // namespace webhook

#endif
