#ifndef WEBHOOK_TESTS_HUB_CATALOGUE_FIXTURE_HPP
#define WEBHOOK_TESTS_HUB_CATALOGUE_FIXTURE_HPP

// Event types and endpoints for the catalogue's tests: the unit tests and the program whose
// documents the AsyncAPI and OpenAPI validators read. Include it once per program (it
// specializes webhook::event_traits).

#include <webhook/hub/catalogue.hpp>

#include <boost/describe.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace catalogue_fixture {

enum class severity { low, high, critical };
BOOST_DESCRIBE_ENUM(severity, low, high, critical)

struct location {
    double latitude = 0;
    double longitude = 0;
};
BOOST_DESCRIBE_STRUCT(location, (), (latitude, longitude))

struct incident {
    std::string id;
    severity level = severity::low;
    std::optional<location> where;
    std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, level, where, tags))

// Version 2 of incident.updated: another C++ type, another schema.
struct incident_v2 {
    std::string id;
    severity level = severity::low;
    std::vector<location> route;
    std::optional<std::string> assignee;
};
BOOST_DESCRIBE_STRUCT(incident_v2, (), (id, level, route, assignee))

// Contains itself: its schema has `$defs`, which the documents must move.
struct unit {
    std::string name;
    std::vector<unit> children;
};
BOOST_DESCRIBE_STRUCT(unit, (), (name, children))

struct team_changed {
    std::string team;
    unit organisation;
};
BOOST_DESCRIBE_STRUCT(team_changed, (), (team, organisation))

/// Every secret of the endpoints below: none may appear in a document.
inline const std::vector<std::string> secrets = {"url-user",
                                                 "url-password-SECRET",
                                                 "query-SECRET",
                                                 "alice",
                                                 "basic-password-SECRET",
                                                 "bearer-token-SECRET",
                                                 "hmac-key-SECRET",
                                                 "header-value-SECRET",
                                                 "client-id-SECRET",
                                                 "client-secret-SECRET",
                                                 "token-url-SECRET",
                                                 "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};

/** pager: POST, root/result, basic auth, Standard Webhooks, an API key header, incident.updated
    (both versions). crm: PUT, the whole body, bearer, an HMAC header with a timestamp, every
    type. audit: PATCH, under `data`, OAuth 2.0, gzip, batches of 50, every type. mirror:
    POST, root/result, nothing else, incident.updated: the same bodies as pager, other
    headers. */
inline std::vector<webhook::catalogue_endpoint> endpoints() {
    using namespace webhook;
    std::vector<catalogue_endpoint> out;
    out.push_back(
        {"pager",
         {.url = "https://url-user:url-password-SECRET@pager.example.com/in?k=query-SECRET",
          .method = boost::beast::http::verb::post,
          .data_location = data_path("root/result"),
          .authentication = basic_auth{"alice", "basic-password-SECRET"},
          .headers = {{"X-Api-Key", "header-value-SECRET"}},
          .signing = standard_webhooks_signing{{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}},
         {"incident.updated"}});
    out.push_back({"crm",
                   {.url = "https://crm.example.com/hooks/{id}",
                    .method = boost::beast::http::verb::put,
                    .authentication = bearer_auth{"bearer-token-SECRET"},
                    .signing = hmac_header_signing{.header = "X-Hub-Signature-256",
                                                   .key = "hmac-key-SECRET",
                                                   .timestamp_header = "X-Hub-Timestamp"}},
                   {}});
    out.push_back(
        {"audit",
         {.url = "https://audit.example.com/events",
          .method = boost::beast::http::verb::patch,
          .data_location = data_path("data"),
          .authentication = oauth2_client_credentials{.token_url = "https://auth.example.com/token?"
                                                                   "key=token-url-SECRET",
                                                      .client_id = "client-id-SECRET",
                                                      .client_secret = "client-secret-SECRET",
                                                      .scope = "events:write audit"},
          .batch = {.max_events = 50},
          .compression = compression::gzip},
         {}});
    out.push_back(
        {"mirror",
         {.url = "https://mirror.example.com/in", .data_location = data_path("root/result")},
         {"incident.updated"}});
    return out;
}

inline webhook::catalogue_info info() {
    return {.title = "Incident webhooks", .version = "2.1.0", .description = "What we send."};
}

} // namespace catalogue_fixture

WEBHOOK_EVENT_TYPE(catalogue_fixture::incident, "incident.updated");
WEBHOOK_EVENT_TYPE_VERSION(catalogue_fixture::incident_v2, "incident.updated", 2);
WEBHOOK_EVENT_TYPE(catalogue_fixture::team_changed, "team.changed");

namespace catalogue_fixture {
inline constexpr std::array events = {webhook::event_type_info::of<incident>(),
                                      webhook::event_type_info::of<incident_v2>(),
                                      webhook::event_type_info::of<team_changed>()};
} // namespace catalogue_fixture

#endif
