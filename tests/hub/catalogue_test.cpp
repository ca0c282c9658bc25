#include <webhook/hub/catalogue.hpp>

#define BOOST_TEST_MODULE hub_catalogue
#include <boost/test/unit_test.hpp>

#include "hub/catalogue_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;

json::value asyncapi() {
    return webhook::asyncapi_document(catalogue_fixture::info(), catalogue_fixture::events,
                                      catalogue_fixture::endpoints());
}

json::value openapi() {
    return webhook::openapi_document(catalogue_fixture::info(), catalogue_fixture::events,
                                     catalogue_fixture::endpoints());
}

std::vector<std::string> keys(const json::value& object) {
    std::vector<std::string> out;
    for (const auto& member : object.as_object())
        out.emplace_back(member.key());
    return out;
}

std::vector<std::string> strings(const json::value& array) {
    std::vector<std::string> out;
    for (const auto& item : array.as_array())
        out.emplace_back(item.as_string());
    return out;
}

/// The value a local `$ref` (`#/a/b`) points to in `document`.
const json::value& resolve(const json::value& document, const json::value& ref) {
    const std::string_view target = ref.at("$ref").as_string();
    BOOST_TEST_REQUIRE(target.starts_with("#/"));
    return document.at_pointer(target.substr(1));
}

/// Every `$ref` and `$schema`/`$defs` key under `v`, with the references' targets.
void references(const json::value& v, std::vector<std::string>& refs,
                std::vector<std::string>& schema_keywords) {
    if (const auto* array = v.if_array())
        for (const auto& item : *array)
            references(item, refs, schema_keywords);
    if (const auto* object = v.if_object())
        for (const auto& member : *object) {
            if (member.key() == "$ref" && member.value().is_string())
                refs.emplace_back(member.value().as_string());
            if (member.key() == "$schema" || member.key() == "$defs")
                schema_keywords.emplace_back(member.key());
            references(member.value(), refs, schema_keywords);
        }
}

// The payload of the incident (version 1) under root/result, as the generator writes it
// without its "$schema": a closed object per segment, then the event.
const std::string incident_under_root_result =
    R"({"type":"object","properties":{"root":{"type":"object","properties":{"result":)"
    R"({"type":"object","properties":{"id":{"type":"string"},"level":{"type":"string",)"
    R"("enum":["low","high","critical"]},"where":{"type":"object","properties":{"latitude":)"
    R"({"type":"number"},"longitude":{"type":"number"}},"required":["latitude","longitude"],)"
    R"("additionalProperties":false},"tags":{"type":"array","items":{"type":"string"}}},)"
    R"("required":["id","level","tags"],"additionalProperties":false}},"required":["result"],)"
    R"("additionalProperties":false}},"required":["root"],"additionalProperties":false})";

} // namespace

BOOST_AUTO_TEST_SUITE(hub_catalogue)

BOOST_AUTO_TEST_CASE(asyncapi_has_a_channel_and_a_send_operation_per_endpoint) {
    const json::value doc = asyncapi();
    BOOST_TEST(doc.at("asyncapi") == "3.0.0");
    BOOST_TEST(json::serialize(doc.at("info")) ==
               R"({"title":"Incident webhooks","version":"2.1.0","description":"What we send."})");
    const std::vector<std::string> endpoints = {"pager", "crm", "audit", "mirror"};
    BOOST_TEST(keys(doc.at("channels")) == endpoints, boost::test_tools::per_element());
    BOOST_TEST(keys(doc.at("operations")) == endpoints, boost::test_tools::per_element());
    const json::value& crm = doc.at("operations").at("crm");
    BOOST_TEST(crm.at("action") == "send");
    BOOST_TEST(crm.at("channel").at("$ref") == "#/channels/crm");
    BOOST_TEST(!doc.at("channels").at("crm").as_object().contains("address")); // no URL
    // Two versions of one name are two messages; pager asked for the name: both versions.
    const std::vector<std::string> crm_messages = {"incident.updated", "incident.updated.v2",
                                                   "team.changed"};
    BOOST_TEST(keys(doc.at("channels").at("crm").at("messages")) == crm_messages,
               boost::test_tools::per_element());
    const std::vector<std::string> pager_messages = {"incident.updated", "incident.updated.v2"};
    BOOST_TEST(keys(doc.at("channels").at("pager").at("messages")) == pager_messages,
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_method_is_each_endpoints) {
    const json::value a = asyncapi();
    BOOST_TEST(a.at_pointer("/operations/pager/bindings/http/method") == "POST");
    BOOST_TEST(a.at_pointer("/operations/crm/bindings/http/method") == "PUT");
    BOOST_TEST(a.at_pointer("/operations/audit/bindings/http/method") == "PATCH");
    BOOST_TEST(a.at_pointer("/operations/crm/bindings/http/bindingVersion") == "0.3.0");
    const json::value o = openapi();
    BOOST_TEST(keys(o.at("webhooks").at("pager.incident.updated")) ==
                   std::vector<std::string>{"post"},
               boost::test_tools::per_element());
    BOOST_TEST(keys(o.at("webhooks").at("crm.team.changed")) == std::vector<std::string>{"put"},
               boost::test_tools::per_element());
    BOOST_TEST(keys(o.at("webhooks").at("audit.batch")) == std::vector<std::string>{"patch"},
               boost::test_tools::per_element());
    BOOST_TEST(o.at_pointer("/webhooks/crm.team.changed/put/operationId") == "crm.team.changed");
}

BOOST_AUTO_TEST_CASE(the_payload_is_the_body_under_the_data_location) {
    const json::value doc = asyncapi();
    const json::value& message =
        resolve(doc, doc.at_pointer("/channels/pager/messages/incident.updated"));
    BOOST_TEST(message.at("contentType") == "application/json");
    const json::value& payload = resolve(doc, message.at("payload"));
    BOOST_TEST(json::serialize(payload) == incident_under_root_result);
    // crm sends the event as the whole body: another payload, the event itself.
    const json::value& crm = resolve(
        doc, resolve(doc, doc.at_pointer("/channels/crm/messages/incident.updated")).at("payload"));
    BOOST_TEST(keys(crm.at("properties")) ==
                   (std::vector<std::string>{"id", "level", "where", "tags"}),
               boost::test_tools::per_element());
    const json::value o = openapi();
    BOOST_TEST(json::serialize(resolve(o, o.at_pointer("/webhooks/pager.incident.updated/post/"
                                                       "requestBody/content/application~1json/"
                                                       "schema"))) == incident_under_root_result);
    BOOST_TEST(o.at_pointer("/webhooks/pager.incident.updated/post/requestBody/required") == true);
}

BOOST_AUTO_TEST_CASE(equal_payloads_are_defined_once_and_different_ones_apart) {
    const json::value doc = asyncapi();
    const auto payload_of = [&](std::string_view channel, std::string_view message) {
        const std::string pointer =
            "/channels/" + std::string(channel) + "/messages/" + std::string(message);
        return resolve(doc, doc.at_pointer(pointer)).at("payload").at("$ref");
    };
    // pager and mirror: root/result both; their headers differ, so their messages do too.
    BOOST_TEST(payload_of("pager", "incident.updated") ==
               "#/components/schemas/incident.updated.root.result");
    BOOST_TEST(payload_of("mirror", "incident.updated") == payload_of("pager", "incident.updated"));
    BOOST_TEST(doc.at_pointer("/channels/mirror/messages/incident.updated/$ref") !=
               doc.at_pointer("/channels/pager/messages/incident.updated/$ref"));
    BOOST_TEST(payload_of("crm", "incident.updated") == "#/components/schemas/incident.updated");
    BOOST_TEST(payload_of("crm", "incident.updated.v2") ==
               "#/components/schemas/incident.updated.v2");
    // The bodies in the order the endpoints first use them, then each endpoint's headers.
    const std::vector<std::string> schemas = {"incident.updated.root.result",
                                              "incident.updated.v2.root.result",
                                              "incident.updated",
                                              "incident.updated.v2",
                                              "catalogue_fixture.unit",
                                              "team.changed",
                                              "audit.batch",
                                              "pager.headers",
                                              "crm.headers",
                                              "audit.headers",
                                              "mirror.headers"};
    BOOST_TEST(keys(doc.at_pointer("/components/schemas")) == schemas,
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(defs_move_to_the_components_and_every_reference_resolves) {
    for (const json::value& doc : {asyncapi(), openapi()}) {
        std::vector<std::string> refs;
        std::vector<std::string> schema_keywords;
        references(doc, refs, schema_keywords);
        BOOST_TEST(schema_keywords.empty()); // no "$schema", no "$defs" left anywhere
        BOOST_TEST(refs.size() > 10u);
        for (const auto& ref : refs) {
            BOOST_TEST_CONTEXT(ref) {
                BOOST_TEST(ref.starts_with("#/"));
                boost::system::error_code ec;
                BOOST_TEST(doc.find_pointer(std::string_view(ref).substr(1), ec) != nullptr);
            }
        }
        BOOST_TEST(json::serialize(doc.at_pointer("/components/schemas/team.changed/properties/"
                                                  "organisation")) ==
                   R"({"$ref":"#/components/schemas/catalogue_fixture.unit"})");
        BOOST_TEST(json::serialize(doc.at_pointer("/components/schemas/catalogue_fixture.unit/"
                                                  "properties/children/items")) ==
                   R"({"$ref":"#/components/schemas/catalogue_fixture.unit"})");
    }
}

BOOST_AUTO_TEST_CASE(a_batching_endpoint_receives_an_array_of_its_events) {
    const json::value doc = openapi();
    const json::value& body = resolve(
        doc, doc.at_pointer("/webhooks/audit.batch/patch/requestBody/content/application~1json/"
                            "schema"));
    BOOST_TEST(json::serialize(body) ==
               R"({"type":"object","properties":{"data":{"type":"array","items":{"anyOf":[)"
               R"({"$ref":"#/components/schemas/incident.updated"},)"
               R"({"$ref":"#/components/schemas/incident.updated.v2"},)"
               R"({"$ref":"#/components/schemas/team.changed"}]},"minItems":1,"maxItems":50}},)"
               R"("required":["data"],"additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(headers_name_the_id_the_signature_and_the_extra_ones) {
    const json::value doc = asyncapi();
    const auto required = [&](std::string_view endpoint) {
        return strings(
            resolve(doc, resolve(doc, doc.at_pointer("/channels/" + std::string(endpoint) +
                                                     "/messages/incident.updated"))
                             .at("headers"))
                .at("required"));
    };
    BOOST_TEST(required("pager") ==
                   (std::vector<std::string>{"webhook-id", "Content-Type", "webhook-timestamp",
                                             "webhook-signature", "X-Api-Key"}),
               boost::test_tools::per_element());
    BOOST_TEST(required("crm") ==
                   (std::vector<std::string>{"webhook-id", "Content-Type", "X-Hub-Signature-256",
                                             "X-Hub-Timestamp"}),
               boost::test_tools::per_element());
    BOOST_TEST(required("mirror") == (std::vector<std::string>{"webhook-id", "Content-Type"}),
               boost::test_tools::per_element());
    BOOST_TEST(doc.at_pointer("/components/schemas/crm.headers/properties/X-Hub-Signature-256/"
                              "pattern") == "^sha256=[0-9a-f]{64}$");
    BOOST_TEST(doc.at_pointer("/components/schemas/audit.headers/properties/Content-Encoding/"
                              "const") == "gzip");
    // OpenAPI: header parameters; Content-Type is the request body's media type instead.
    const json::value o = openapi();
    std::vector<std::string> names;
    for (const auto& p :
         o.at_pointer("/webhooks/pager.incident.updated/post/parameters").as_array()) {
        BOOST_TEST(p.at("in") == "header");
        BOOST_TEST(p.at("required") == true);
        names.emplace_back(p.at("name").as_string());
    }
    BOOST_TEST(names == (std::vector<std::string>{"webhook-id", "webhook-timestamp",
                                                  "webhook-signature", "X-Api-Key"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(authentication_becomes_a_security_scheme) {
    const json::value a = asyncapi();
    BOOST_TEST(json::serialize(a.at_pointer("/components/securitySchemes")) ==
               R"({"basicAuth":{"type":"http","scheme":"basic"},)"
               R"("bearerAuth":{"type":"http","scheme":"bearer"},)"
               R"("oauth2":{"type":"oauth2","flows":{"clientCredentials":{)"
               R"("tokenUrl":"https://auth.example.com/token?***","availableScopes":)"
               R"({"events:write":"","audit":""}}},"scopes":["events:write","audit"]}})");
    BOOST_TEST(json::serialize(a.at_pointer("/operations/audit/security")) ==
               R"([{"$ref":"#/components/securitySchemes/oauth2"}])");
    BOOST_TEST(!a.at_pointer("/operations/mirror").as_object().contains("security"));
    const json::value o = openapi();
    BOOST_TEST(json::serialize(o.at_pointer("/components/securitySchemes/oauth2")) ==
               R"({"type":"oauth2","flows":{"clientCredentials":{)"
               R"("tokenUrl":"https://auth.example.com/token?***","scopes":)"
               R"({"events:write":"","audit":""}}}})");
    BOOST_TEST(json::serialize(o.at_pointer("/webhooks/audit.batch/patch/security")) ==
               R"([{"oauth2":["events:write","audit"]}])");
    BOOST_TEST(json::serialize(o.at_pointer("/webhooks/pager.incident.updated/post/security")) ==
               R"([{"basicAuth":[]}])");
    BOOST_TEST(
        json::serialize(o.at_pointer("/webhooks/crm.team.changed/put/x-webhook-signature")) ==
        R"({"scheme":"hmac","header":"X-Hub-Signature-256","algorithm":"sha256",)"
        R"("encoding":"hex","prefix":"sha256=","timestampHeader":"X-Hub-Timestamp"})");
}

BOOST_AUTO_TEST_CASE(no_secret_appears_in_either_document) {
    const std::string texts[] = {json::serialize(asyncapi()), json::serialize(openapi())};
    for (const auto& text : texts) {
        for (const auto& s : catalogue_fixture::secrets)
            BOOST_TEST_CONTEXT(s) {
                BOOST_TEST(text.find(s) == std::string::npos);
            }
        BOOST_TEST(text.find("example.com/in") == std::string::npos); // nor an endpoint's URL
    }
}

BOOST_AUTO_TEST_CASE(the_same_input_gives_the_same_bytes) {
    BOOST_TEST(json::serialize(asyncapi()) == json::serialize(asyncapi()));
    BOOST_TEST(json::serialize(openapi()) == json::serialize(openapi()));
}

BOOST_AUTO_TEST_CASE(endpoint_names_become_unique_keys_and_unknown_types_match_nothing) {
    std::vector<webhook::catalogue_endpoint> endpoints(3);
    endpoints[0].name = "billing team";
    endpoints[1].name = "billing_team";
    endpoints[2].name = "nobody";
    endpoints[2].event_types = {"no.such.type"};
    const json::value doc = webhook::asyncapi_document({}, catalogue_fixture::events, endpoints);
    BOOST_TEST(keys(doc.at("channels")) ==
                   (std::vector<std::string>{"billing_team", "billing_team-2"}),
               boost::test_tools::per_element());
    BOOST_TEST(doc.at_pointer("/channels/billing_team/title") == "billing team");
    BOOST_TEST(json::serialize(doc.at("info")) == R"({"title":"Webhooks","version":"1.0.0"})");
    BOOST_TEST(!doc.at("components").as_object().contains("securitySchemes"));
}

BOOST_AUTO_TEST_CASE(definitions_of_the_same_name_but_another_content_are_renamed) {
    webhook::detail::catalogue_components schemas;
    const auto embed = [&](std::string_view owner, std::string_view leaf) {
        return webhook::detail::catalogue_embed(
            json::parse(R"({"$schema":"x","$ref":"#/$defs/n","$defs":{"n":{"type":")" +
                        std::string(leaf) + R"(","items":{"$ref":"#/$defs/n"}}}})"),
            owner, schemas);
    };
    BOOST_TEST(json::serialize(embed("a", "array")) == R"({"$ref":"#/components/schemas/n"})");
    BOOST_TEST(json::serialize(embed("b", "array")) == R"({"$ref":"#/components/schemas/n"})");
    BOOST_TEST(json::serialize(embed("c", "object")) == R"({"$ref":"#/components/schemas/c.n"})");
    BOOST_TEST(json::serialize(schemas.entries()) ==
               R"({"n":{"type":"array","items":{"$ref":"#/components/schemas/n"}},)"
               R"("c.n":{"type":"object","items":{"$ref":"#/components/schemas/c.n"}}})");
}

BOOST_AUTO_TEST_SUITE_END()
