#include <webhook/endpoint.hpp>

#define BOOST_TEST_MODULE endpoint_security
#include <boost/test/unit_test.hpp>

#include "support/endpoint_helpers.hpp"
#include "support/print.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>

// Credentials over plain HTTP, OAuth 2 client credentials, signing, destinations and host mappings.

using namespace std::chrono_literals;
using namespace webhook::test;
using webhook::endpoint;
namespace http = boost::beast::http;

BOOST_AUTO_TEST_SUITE(endpoint_security)

BOOST_AUTO_TEST_CASE(credentials_over_plain_http_need_loopback_or_the_insecure_option) {
    endpoint e{.url = "http://hooks.example.com/in",
               .authentication = webhook::basic_auth{"u", "p"}};
    BOOST_TEST(problems_of(e) ==
               "authentication: would be sent over plain http to a host that is not loopback, "
               "readable by anyone on the path (use https, or set "
               "insecure_allow_credentials_over_http)");
    e.authentication = webhook::bearer_auth{"t"};
    BOOST_TEST(problems_of(e) != "valid");
    e.insecure_allow_credentials_over_http = true;
    BOOST_TEST(problems_of(e) == "valid");
    e.insecure_allow_credentials_over_http = false;
    for (const char* url :
         {"http://127.0.0.1:8080/in", "http://127.9.9.9/in", "http://[::1]:80/in",
          "http://localhost/in", "http://LOCALHOST:1/in", "https://hooks.example.com/in"}) {
        e.url = url;
        BOOST_TEST(problems_of(e) == "valid", url);
    }
    // No credentials: plain http anywhere is the operator's choice.
    BOOST_TEST(problems_of(endpoint{.url = "http://hooks.example.com/in"}) == "valid");
    BOOST_TEST(
        problems_of(R"({"url": "http://10.1.2.3/in", "insecure_allow_credentials_over_http": true,
        "authentication": {"type": "basic", "username": "u", "password": "p"}})") == "loaded");
    BOOST_TEST(problems_of(R"({"url": "http://10.1.2.3/in",
        "authentication": {"type": "basic", "username": "u", "password": "p"}})")
                   .starts_with("authentication: would be sent over plain http"));
}

BOOST_AUTO_TEST_CASE(oauth2_client_credentials_load_with_every_key) {
    ::setenv("WEBHOOK_TEST_CLIENT_SECRET", "cl1ent-s3cret", 1);
    const endpoint e = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "oauth2_client_credentials",
                           "token_url": "https://login.example.com/oauth/token",
                           "client_id": "svc-webhooks",
                           "client_secret_env": "WEBHOOK_TEST_CLIENT_SECRET",
                           "scope": "incidents.write incidents.read",
                           "audience": "https://api.example.com",
                           "client_authentication": "request_body",
                           "refresh_skew": "2m"}})");
    const webhook::oauth2_client_credentials expected{
        .token_url = "https://login.example.com/oauth/token",
        .client_id = "svc-webhooks",
        .client_secret = "cl1ent-s3cret",
        .scope = "incidents.write incidents.read",
        .audience = "https://api.example.com",
        .client_authentication = webhook::oauth2_client_authentication::request_body,
        .refresh_skew = 120s};
    BOOST_TEST((e.authentication == webhook::authentication(expected)));
    const std::string text = printed(e);
    BOOST_TEST(text.find("cl1ent-s3cret") == std::string::npos);
    BOOST_TEST(text.find("authentication: oauth2_client_credentials, token_url "
                         "https://login.example.com/oauth/token, client_id \"svc-webhooks\", "
                         "client_secret ***, scope \"incidents.write incidents.read\", audience "
                         "\"https://api.example.com\", client_authentication request_body, "
                         "refresh_skew 120s") != std::string::npos,
               text);

    // The defaults: Basic client authentication, a 60 s skew, no scope or audience.
    const endpoint d = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "oauth2_client_credentials", "client_id": "c",
            "token_url": "https://login.example.com/t", "client_secret": "s"}})");
    const auto& oauth = std::get<webhook::oauth2_client_credentials>(d.authentication);
    BOOST_TEST((oauth.client_authentication == webhook::oauth2_client_authentication::basic));
    BOOST_TEST(oauth.refresh_skew.count() == 60);
    BOOST_TEST(oauth.scope.empty());
}

BOOST_AUTO_TEST_CASE(oauth2_client_credentials_problems_name_their_keys) {
    const std::string head = R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "oauth2_client_credentials", )";
    BOOST_TEST(problems_of(head + R"("token_url": "https://l.example.com/t"}})") ==
               "authentication.client_id: is required\n"
               "authentication.client_secret: is required (or client_secret_env, or "
               "client_secret_file)");
    BOOST_TEST(problems_of(head + R"("token_url": "login", "client_id": "c",
                                     "client_secret": "s", "password": "p"}})") ==
               "authentication.password: is not used with type \"oauth2_client_credentials\"");
    BOOST_TEST(problems_of(head + R"("token_url": "login", "client_id": "c",
                                     "client_secret": "s"}})") ==
               "authentication.token_url: is not a valid http or https URL");
    BOOST_TEST(problems_of(head + R"("token_url": "http://login.example.com/t",
                                     "client_id": "c", "client_secret": "s"}})") ==
               "authentication.token_url: is plain http to a host that is not loopback: the "
               "client secret would cross the network in clear text (use https, or set "
               "insecure_allow_credentials_over_http)");
    BOOST_TEST(problems_of(head + R"("token_url": "http://127.0.0.1:9/t", "client_id": "c",
                                     "client_secret": "s", "client_authentication": "form"}})") ==
               R"(authentication.client_authentication: must be "basic" or "request_body")");
    endpoint e = minimal();
    e.authentication = webhook::oauth2_client_credentials{.token_url = "https://l.example.com/t",
                                                          .client_id = "c\n",
                                                          .client_secret = "s\r",
                                                          .refresh_skew = -1s};
    BOOST_TEST(problems_of(e) == "authentication.client_id: contains a control character\n"
                                 "authentication.client_secret: contains a control character\n"
                                 "authentication.refresh_skew: must not be negative");
}

BOOST_AUTO_TEST_CASE(signing_loads_both_schemes_with_keys_from_anywhere) {
    ::setenv("WEBHOOK_TEST_SIGNING_KEY",
             "whsec_c2VjcmV0LWtleS1udW1iZXItdHdvLWZvci1yb3RhdGlvbg==", 1);
    const endpoint standard = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "signing": {"type": "standard_webhooks",
                    "keys": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                             {"key_env": "WEBHOOK_TEST_SIGNING_KEY"}]}})");
    BOOST_TEST(
        (standard.signing == webhook::signing(webhook::standard_webhooks_signing{
                                 {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "whsec_c2VjcmV0LWtleS1udW1iZXItdHdvLWZvci1yb3RhdGlvbg=="}})));
    BOOST_TEST(printed(standard).find("\nsigning: standard_webhooks, keys ***, ***\n") !=
               std::string::npos);

    const endpoint hmac = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "signing": {"type": "hmac", "key": "k3y", "header": "X-Hub-Signature-256",
                    "algorithm": "sha512", "encoding": "base64", "prefix": "",
                    "timestamp_header": "X-Hub-Timestamp"}})");
    const webhook::hmac_header_signing expected{.header = "X-Hub-Signature-256",
                                                .algorithm = webhook::hmac_algorithm::sha512,
                                                .encoding = webhook::signature_encoding::base64,
                                                .prefix = "",
                                                .key = "k3y",
                                                .timestamp_header = "X-Hub-Timestamp"};
    BOOST_TEST((hmac.signing == webhook::signing(expected)));
    BOOST_TEST(printed(hmac).find("\nsigning: hmac, header \"X-Hub-Signature-256\", sha512, "
                                  "base64, prefix \"\", key ***, timestamp_header "
                                  "\"X-Hub-Timestamp\"\n") != std::string::npos,
               printed(hmac));
}

BOOST_AUTO_TEST_CASE(signing_problems_name_the_key_by_position_and_never_quote_it) {
    const std::string head = R"({"url": "https://hooks.example.com/in", "signing": )";
    const std::string bad = problems_of(head + R"({"type": "standard_webhooks",
        "keys": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_SHORT", 7]}})");
    BOOST_TEST(bad.starts_with("signing.keys[2]: must be a string"), bad);
    BOOST_TEST(problems_of(head + R"({"type": "standard_webhooks", "keys": ["whsec_SHORT"]}})")
                   .starts_with("signing.keys[0]: "));
    BOOST_TEST(problems_of(head + R"({"type": "standard_webhooks", "keys": ["whsec_SHORT"]}})")
                   .find("SHORT") == std::string::npos);
    BOOST_TEST(problems_of(head + R"({"type": "hmac"}})") ==
               "signing.key: is required (or key_env, or key_file)");
    BOOST_TEST(problems_of(head + R"({"type": "hmac", "key": "k", "algorithm": "md5"}})") ==
               R"(signing.algorithm: must be "sha256" or "sha512")");
    BOOST_TEST(problems_of(head + R"({"type": "standard_webhooks", "key": "k", "keys": []}})")
                   .starts_with("signing.key: is not used with type \"standard_webhooks\""));
    BOOST_TEST(problems_of(head + R"({"type": "pgp"}})") ==
               R"(signing.type: must be "none", "standard_webhooks" or "hmac")");
    // Signed requests over plain http to another host could be captured and replayed.
    BOOST_TEST(problems_of(R"({"url": "http://hooks.example.com/in",
        "signing": {"type": "hmac", "key": "k"}})") ==
               "signing: signed requests would go over plain http to a host that is not "
               "loopback, open to capture and replay (use https, or set "
               "insecure_allow_credentials_over_http)");
}

BOOST_AUTO_TEST_CASE(destinations_and_host_mappings_load_and_reach_the_transport) {
    const endpoint e = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "destinations": {"public_only": true, "allow": ["10.20.0.0/16", "fd00::1"]},
        "hosts": {"hooks.example.com": ["10.20.0.5", "fd00::1"]}})");
    BOOST_TEST(e.destinations.public_only);
    BOOST_REQUIRE(e.destinations.allow.size() == 2u);
    BOOST_TEST(e.destinations.allow[0].to_string() == "10.20.0.0/16");
    BOOST_TEST(e.destinations.allow[1].to_string() == "fd00::1/128");
    BOOST_REQUIRE(e.hosts.size() == 1u);
    BOOST_TEST(e.hosts[0].host == "hooks.example.com");
    BOOST_TEST(e.hosts[0].addresses[1].to_string() == "fd00::1");
    const auto o = webhook::transport_options(e);
    BOOST_TEST((o.destinations == e.destinations));
    BOOST_TEST((o.hosts == e.hosts));
    BOOST_TEST(printed(e).find("\ndestinations: public only, allow 10.20.0.0/16, fd00::1/128\n"
                               "hosts: \"hooks.example.com\" -> 10.20.0.5 fd00::1\n") !=
                   std::string::npos,
               printed(e));

    BOOST_TEST(problems_of(R"({"url": "https://h.example.com/",
        "destinations": {"public_only": "yes", "allow": ["10.0.0.1/8", "300.1.1.1"]},
        "hosts": {"a.example.com": [], "b.example.com": ["not-an-ip"]}})") ==
               "destinations.public_only: must be true or false\n"
               "destinations.allow[0]: is not an address or a range such as 10.0.0.0/8 or "
               "fd00::/8\n"
               "destinations.allow[1]: is not an address or a range such as 10.0.0.0/8 or "
               "fd00::/8\n"
               "hosts[\"a.example.com\"]: must be a non-empty array of IP addresses\n"
               "hosts[\"b.example.com\"][0]: is not an IP address");
}

BOOST_AUTO_TEST_SUITE_END()
