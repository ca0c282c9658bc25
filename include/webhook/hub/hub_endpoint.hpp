#ifndef WEBHOOK_HUB_HUB_ENDPOINT_HPP
#define WEBHOOK_HUB_HUB_ENDPOINT_HPP

/** @file
    A hub's endpoints as an operator configures them: each is a named `webhook::endpoint` with
    a subscription, in code or in a JSON file with an `endpoints` array (see docs/hub.md). */

#include <webhook/config/endpoint.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

/** Which events an endpoint receives. An event reaches it when its type is listed (or the
    list is empty) and, when the endpoint lists channels, the event was published on one of
    them. An endpoint without channels receives events of every channel. */
struct subscription {
    /// Event type names (`incident.updated`); empty: every type.
    std::vector<std::string> event_types{};
    /// Channels, such as a tenant or customer id; empty: every channel.
    std::vector<std::string> channels{};
    friend bool operator==(const subscription&, const subscription&) = default;
};

/// One endpoint of a hub: its unique name, where and how to send, and what it receives.
struct hub_endpoint {
    /// 1 to 64 characters: ASCII letters, digits, `.`, `_`, `-`. Names the endpoint in
    /// outcomes, attempt records, metrics and the catalogue.
    std::string name{};
    endpoint config{};
    webhook::subscription subscription{};
    friend bool operator==(const hub_endpoint&, const hub_endpoint&) = default;
};

/** Does an event of type `event_type`, published on `channels`, reach an endpoint with
    subscription `s`? */
bool subscribed(const subscription& s, std::string_view event_type,
                std::span<const std::string_view> channels) noexcept;

/** Every problem of a hub's endpoint set: names (empty, malformed, duplicate), subscriptions
    (an event type name that is malformed, a channel that is empty) and each endpoint's own
    configuration (`validate`), with paths such as `endpoints[2].url`. */
std::vector<config_problem> validate(std::span<const hub_endpoint> endpoints);

/** Parses a hub configuration document: `{"endpoints": [{"name": ..., "event_types": [...],
    "channels": [...], <the keys of an endpoint>}, ...]}` (see docs/configuration.md for an
    endpoint's keys), then validates it as `validate` does.
    @throws config_error with every problem, paths such as `endpoints[1].retry.max_attempts`;
    never a partial set. */
std::vector<hub_endpoint> load_hub_endpoints(std::string_view json_text);

/// Reads and parses the hub configuration file at `path`. @throws config_error.
std::vector<hub_endpoint> load_hub_endpoints_file(const std::string& path);

} // namespace webhook

#include <webhook/hub/impl/hub_endpoint.hpp>

#endif
