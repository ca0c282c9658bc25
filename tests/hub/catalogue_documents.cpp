// Writes the catalogue's documents for the validators (tests/hub/catalogue/run.sh): the two
// documents of the fixture, and five broken copies that a working validator must refuse, so
// that the validation cannot pass by checking nothing.
//   catalogue_documents <directory>

#include <webhook/hub/catalogue.hpp>
#include <webhook/hub/hub.hpp>

#include "hub/catalogue_fixture.hpp"

#include <boost/json/serialize.hpp>

#include <fstream>
#include <iostream>
#include <string>

namespace {

bool write(const std::string& path, const boost::json::value& document) {
    std::ofstream out(path, std::ios::binary);
    out << boost::json::serialize(document) << '\n';
    return static_cast<bool>(out);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: catalogue_documents <directory>\n";
        return 2;
    }
    const std::string dir = argv[1];
    const auto endpoints = catalogue_fixture::endpoints();
    const auto info = catalogue_fixture::info();
    const boost::json::value asyncapi =
        webhook::asyncapi_document(info, catalogue_fixture::events, endpoints);
    const boost::json::value openapi =
        webhook::openapi_document(info, catalogue_fixture::events, endpoints);

    // What the catalogue must never write: a reference to `$defs` left inside the document
    // (it resolves against the document's root), a value the specification does not allow,
    // and a schema that is not JSON Schema.
    boost::json::value asyncapi_ref = asyncapi;
    asyncapi_ref.at("components")
        .at("messages")
        .as_object()
        .begin()
        ->value()
        .as_object()["payload"] = boost::json::object{{"$ref", "#/$defs/catalogue_fixture.unit"}};
    boost::json::value asyncapi_member = asyncapi;
    asyncapi_member.at("operations").as_object().begin()->value().as_object()["action"] = "post";
    boost::json::value openapi_ref = openapi;
    openapi_ref.at("components").at("schemas").as_object()["broken"] =
        boost::json::object{{"$ref", "#/$defs/catalogue_fixture.unit"}};
    boost::json::value openapi_schema = openapi;
    openapi_schema.at("components").at("schemas").as_object().begin()->value().as_object()["type"] =
        "integr";
    boost::json::value openapi_member = openapi;
    openapi_member.at("components")
        .at("securitySchemes")
        .as_object()
        .begin()
        ->value()
        .as_object()["type"] = "password";

    // The same through a hub, as a program gets them: its declared types, its endpoints (the
    // fixture's, but the one whose URL carries credentials, which a hub refuses, without them).
    webhook::hub hub;
    hub.declare<catalogue_fixture::incident, catalogue_fixture::incident_v2,
                catalogue_fixture::team_changed>();
    for (auto e : endpoints) {
        if (e.name == "pager")
            e.config.url = "https://pager.example.com/in?k=query-SECRET";
        hub.set({e.name, e.config, {e.event_types, {}}});
    }

    const bool ok = write(dir + "/hub-asyncapi.json", hub.asyncapi(info)) &&
                    write(dir + "/hub-openapi.json", hub.openapi(info)) &&
                    write(dir + "/asyncapi.json", asyncapi) &&
                    write(dir + "/openapi.json", openapi) &&
                    write(dir + "/broken-asyncapi-ref.json", asyncapi_ref) &&
                    write(dir + "/broken-asyncapi-member.json", asyncapi_member) &&
                    write(dir + "/broken-openapi-ref.json", openapi_ref) &&
                    write(dir + "/broken-openapi-schema.json", openapi_schema) &&
                    write(dir + "/broken-openapi-member.json", openapi_member);
    if (!ok)
        std::cerr << "catalogue_documents: cannot write into " << dir << '\n';
    return ok ? 0 : 1;
}
