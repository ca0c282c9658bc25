#ifndef WEBHOOK_HUB_CATALOGUE_HPP
#define WEBHOOK_HUB_CATALOGUE_HPP

/** @file
    The event catalogue: the contract of the webhooks a program sends, as an AsyncAPI 3.0.0
    document and as an OpenAPI 3.1.0 document with a `webhooks` section, built from its event
    types and endpoints. Receivers read them, or generate their handlers from them.

    Both documents describe, for each endpoint, the request of each event type it receives:
    the method, the body (the JSON Schema of the event under the endpoint's data location, or
    of the batch array when the endpoint batches), the headers (`webhook-id`, the signature
    headers, `Content-Encoding`, the names of extra headers) and the authentication as a
    security scheme. They never contain a URL, a password, a token, a key or a header value:
    receivers know their own URL, and a URL's path may itself be a credential. */

#include <webhook/config/options.hpp>
#include <webhook/hub/event_type.hpp>
#include <webhook/json/options.hpp>

#include <boost/json/value.hpp>

#include <span>
#include <string>
#include <vector>

namespace webhook {

/// What the documents say about the service that sends the webhooks (their `info`).
struct catalogue_info {
    std::string title = "Webhooks";
    std::string version = "1.0.0";
    /// Empty: no description.
    std::string description{};
};

/// One endpoint as the catalogue shows it: its name, its configuration, and the names of the
/// event types it receives (empty: every registered type).
struct catalogue_endpoint {
    /** Names the endpoint's channel and operations. Component keys allow only
        `[A-Za-z0-9._-]`: any other character becomes `_` there (the name itself is the
        title), and a name used twice gets `-2`. */
    std::string name{};
    endpoint config{};
    /// Event type names, every version of each; a name no event type has matches nothing.
    std::vector<std::string> event_types{};
};

/** The AsyncAPI 3.0.0 document of the webhooks.

    - `channels`: one per endpoint that receives at least one event type, keyed by its name,
      without `address` (the receiver's URL is not shown); its `messages` are the event types
      it receives, keyed `<name>` for version 1 and `<name>.v<version>` otherwise, or the one
      message `batch` when the endpoint batches (`batch.max_events` > 1).
    - `operations`: per endpoint `<name>`, `action: send`, with the HTTP binding's method,
      the security scheme and, when the endpoint signs, an `x-webhook-signature` extension
      that names the scheme (never a key).
    - `components`: `messages` (headers, payload, `contentType: application/json`),
      `schemas` and `securitySchemes`, each written once and referenced wherever equal.

    Payloads are in AsyncAPI's default schema format (a superset of JSON Schema draft-07):
    the schemas of `json::schema` use no keyword whose meaning differs there, and lose their
    `"$schema"`; their `"$defs"` move to `components/schemas` (see `event_type_info`).

    Two event types with the same name and version appear once (the first); two different
    names that would give the same key get `-2`, ... The same arguments give the same
    document, member for member.

    @param info the `info` object
    @param events the event types, in the order the documents list them
    @param endpoints the endpoints, in the order the documents list them
    @param options the options the events are written with (they change the schemas) */
boost::json::value asyncapi_document(const catalogue_info& info,
                                     std::span<const event_type_info> events,
                                     std::span<const catalogue_endpoint> endpoints,
                                     const json::write_options& options = {});

/** The OpenAPI 3.1.0 document of the webhooks: no `paths`, and one entry under `webhooks` per
    endpoint and event type it receives (or per batching endpoint), keyed
    `<endpoint>.<message>` as in `asyncapi_document`, which is also its `operationId`.

    Each is an operation of the endpoint's method whose parameters are the headers (`in:
    header`), whose required JSON request body refers to the schema in `components/schemas`,
    whose `security` names the scheme in `components/securitySchemes` (with the OAuth 2.0
    scopes), and whose `2XX` response is what the sender waits for. The schemas are JSON
    Schema 2020-12, the dialect of OpenAPI 3.1, without `"$schema"` and with their `"$defs"`
    moved to `components/schemas`. */
boost::json::value openapi_document(const catalogue_info& info,
                                    std::span<const event_type_info> events,
                                    std::span<const catalogue_endpoint> endpoints,
                                    const json::write_options& options = {});

} // namespace webhook

#include <webhook/hub/impl/catalogue.hpp>

#endif
