#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_security
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/test_receiver.hpp"

#include <boost/describe.hpp>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

// Signed requests end to end (the receiver checks them with the library's own verifiers, on
// the bytes it read off the wire), and a scan of every error text for the secrets configured.

using namespace std::chrono_literals;
using webhook::test::behaviour;
using webhook::test::recorded_request;
using webhook::test::test_receiver;

namespace {

struct incident {
    std::string id;
    int priority = 0;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority))

// Keys of at least 24 bytes, as the Standard Webhooks specification requires.
const std::string old_key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string new_key = "whsec_c2VjcmV0LWtleS1udW1iZXItdHdvLWZvci1yb3RhdGlvbg==";

boost::beast::http::fields fields_of(const recorded_request& r) {
    boost::beast::http::fields f;
    for (const auto& [name, value] : r.headers)
        f.insert(name, value);
    return f;
}

webhook::endpoint endpoint_for(const test_receiver& r) {
    webhook::endpoint e;
    e.url = r.url("/hook");
    e.retry = webhook::retry_policy::fixed_schedule({10ms});
    e.timeouts.request = 2s;
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dispatcher_security)

BOOST_AUTO_TEST_CASE(standard_webhooks_signatures_verify_with_either_key_of_a_rotation) {
    test_receiver receiver;
    webhook::endpoint e = endpoint_for(receiver);
    e.signing = webhook::standard_webhooks_signing{{new_key, old_key}};
    webhook::dispatcher d{e};
    BOOST_TEST(d.send(incident{"INC1", 1}).ok());

    const auto got = receiver.requests();
    BOOST_REQUIRE(got.size() == 1u);
    const auto headers = fields_of(got[0]);
    const std::string signature(headers["webhook-signature"]);
    BOOST_TEST(signature.starts_with("v1,"));
    BOOST_TEST(signature.find(" v1,") != std::string::npos); // two signatures, one per key
    const auto now = std::chrono::system_clock::now();
    for (const auto& key : {old_key, new_key}) {
        const auto v = webhook::standard_webhooks_verifier::make({key});
        BOOST_TEST(v.verify(headers, got[0].body, now) == boost::system::error_code(), key);
        BOOST_TEST(v.verify(headers, got[0].body + " ", now) == webhook::error::signature_mismatch);
    }
    BOOST_TEST(headers["webhook-id"] == *got[0].header("webhook-id"));
}

BOOST_AUTO_TEST_CASE(every_attempt_is_signed_anew_and_a_gzip_body_is_signed_as_sent) {
    test_receiver receiver;
    receiver.push(behaviour::respond(503));
    webhook::endpoint e = endpoint_for(receiver);
    e.compression = webhook::compression::gzip;
    e.signing = webhook::standard_webhooks_signing{{new_key}};
    webhook::dispatcher d{e};
    const auto before = std::chrono::system_clock::now();
    const auto r = d.send(incident{"INC2", 2});
    const auto after = std::chrono::system_clock::now();
    BOOST_TEST(r.ok());
    BOOST_REQUIRE(r.attempts.size() == 2u);

    const auto got = receiver.requests();
    BOOST_REQUIRE(got.size() == 2u);
    const auto v = webhook::standard_webhooks_verifier::make({new_key});
    for (const auto& req : got) {
        BOOST_TEST(*req.header("Content-Encoding") == "gzip");
        const auto headers = fields_of(req);
        const auto stamp = std::stoll(std::string(headers["webhook-timestamp"]));
        BOOST_TEST(
            stamp >=
            std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count());
        BOOST_TEST(
            stamp <=
            std::chrono::duration_cast<std::chrono::seconds>(after.time_since_epoch()).count());
        // The compressed bytes, as they came off the wire, are what was signed.
        BOOST_TEST(v.verify(headers, req.body, after) == boost::system::error_code());
    }
    BOOST_TEST(*got[0].header("webhook-id") == *got[1].header("webhook-id"));
}

BOOST_AUTO_TEST_CASE(an_hmac_header_with_a_timestamp_verifies) {
    test_receiver receiver;
    webhook::endpoint e = endpoint_for(receiver);
    const webhook::hmac_header_signing scheme{.header = "X-Signature-256",
                                              .algorithm = webhook::hmac_algorithm::sha512,
                                              .encoding = webhook::signature_encoding::base64,
                                              .prefix = "sha512=",
                                              .key = "shared-hmac-key",
                                              .timestamp_header = "X-Signature-Timestamp"};
    e.signing = scheme;
    webhook::dispatcher d{e};
    BOOST_TEST(d.send(incident{"INC3", 3}).ok());
    const auto got = receiver.requests();
    BOOST_REQUIRE(got.size() == 1u);
    BOOST_TEST(got[0].header("X-Signature-256")->starts_with("sha512="));
    BOOST_TEST(got[0].header("X-Signature-Timestamp").has_value());
    const auto v = webhook::hmac_header_verifier::make(scheme);
    const auto now = std::chrono::system_clock::now();
    BOOST_TEST(v.verify(fields_of(got[0]), got[0].body, now) == boost::system::error_code());
    BOOST_TEST(v.verify(fields_of(got[0]), got[0].body, now + 10min) ==
               webhook::error::signature_timestamp_out_of_tolerance);
}

BOOST_AUTO_TEST_CASE(a_bad_signing_key_is_a_configuration_error_that_does_not_quote_it) {
    webhook::endpoint e;
    e.url = "https://hooks.example.com/in";
    e.signing = webhook::standard_webhooks_signing{{"whsec_TOO-SHORT-SECRET"}};
    try {
        webhook::dispatcher d{e};
        BOOST_FAIL("constructed");
    } catch (const webhook::config_error& err) {
        const std::string what = err.what();
        BOOST_REQUIRE(err.problems().size() == 1u);
        BOOST_TEST(err.problems()[0].path == "signing.keys[0]");
        BOOST_TEST(what.find("TOO-SHORT") == std::string::npos, what);
    }
}

/** Every secret of an endpoint, each a distinct marker; then every way the library reports a
    problem: configuration errors, printed endpoints, failed deliveries (refused connection,
    TLS failure, token endpoint failure, receiver refusal), signer and verifier errors, and
    every error code's message. None may contain any marker. */
BOOST_AUTO_TEST_CASE(no_error_text_or_printed_form_contains_a_secret) {
    const std::vector<std::string> markers = {"PASSWORD-MARK-1", "TOKEN-MARK-2",
                                              "HEADER-MARK-3",   "CLIENT-SECRET-MARK-4",
                                              "HMAC-KEY-MARK-5", "ACCESS-TOKEN-MARK-6"};
    std::vector<std::string> texts;
    const auto collect = [&](const webhook::delivery& r) {
        texts.push_back(r.error.message());
        for (const auto& a : r.attempts) {
            texts.push_back(a.error.message());
            texts.push_back(a.body_excerpt);
        }
    };

    // Configuration documents that fail with every secret present, and their printed forms.
    ::setenv("WEBHOOK_SCAN_SECRET", "CLIENT-SECRET-MARK-4", 1);
    const std::string config = R"({"url": "http://hooks.example.com/in",
        "authentication": {"type": "oauth2_client_credentials",
            "token_url": "http://login.example.com/token", "client_id": "c",
            "client_secret_env": "WEBHOOK_SCAN_SECRET"},
        "headers": {"X-Api-Key": "HEADER-MARK-3\u0001"},
        "signing": {"type": "hmac", "key": "HMAC-KEY-MARK-5", "header": "Bad Header"}})";
    try {
        (void)webhook::load_endpoint(config);
        BOOST_FAIL("loaded");
    } catch (const webhook::config_error& err) {
        texts.push_back(err.what());
    }
    for (const auto& auth : std::vector<webhook::authentication>{
             webhook::basic_auth{"u", "PASSWORD-MARK-1\n"}, webhook::bearer_auth{"TOKEN-MARK-2 x"},
             webhook::oauth2_client_credentials{.token_url = "login",
             .client_secret = "CLIENT-SECRET-MARK-4\r"}}) {
        webhook::endpoint e;
        e.url = "http://hooks.example.com/in";
        e.authentication = auth;
        e.headers = {{"X-Api-Key", "HEADER-MARK-3"}};
        e.signing = webhook::hmac_header_signing{.header = "", .key = "HMAC-KEY-MARK-5"};
        for (const auto& p : webhook::validate(e))
            texts.push_back(p.path + ": " + p.message);
        std::ostringstream printed;
        printed << e;
        texts.push_back(printed.str());
        try {
            webhook::dispatcher d{e};
        } catch (const std::exception& err) {
            texts.push_back(err.what());
        }
    }

    // Failed deliveries: a refused token request (whose error body is kept), a receiver that
    // refuses the token, one that closes, one that speaks no HTTP.
    test_receiver receiver;
    receiver.set_handler([](const recorded_request& req, webhook::test::response& res) {
        if (req.target == "/token") {
            res.headers = {{"Content-Type", "application/json"}};
            res.body = R"({"access_token":"ACCESS-TOKEN-MARK-6","token_type":"Bearer"})";
        } else {
            res.status = 403;
            res.body = "forbidden";
        }
    });
    webhook::endpoint e = endpoint_for(receiver);
    e.retry = webhook::retry_policy::none();
    e.authentication = webhook::oauth2_client_credentials{.token_url = receiver.url("/token"),
                                                          .client_id = "c",
                                                          .client_secret = "CLIENT-SECRET-MARK-4"};
    e.headers = {{"X-Api-Key", "HEADER-MARK-3"}};
    e.signing = webhook::hmac_header_signing{.key = "HMAC-KEY-MARK-5"};
    {
        webhook::dispatcher d{e};
        collect(d.send(incident{"INC4", 4})); // a token, then the receiver refuses: 403
        receiver.push(behaviour::garbage());
        collect(d.send(incident{"INC5", 5}));
    }
    e.url = "http://127.0.0.1:1/hook"; // nothing listens: refused
    e.authentication = webhook::basic_auth{"u", "PASSWORD-MARK-1"};
    {
        webhook::dispatcher d{e};
        collect(d.send(incident{"INC6", 6}));
    }
    e.url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook"; // not TLS
    e.authentication = webhook::bearer_auth{"TOKEN-MARK-2"};
    {
        webhook::dispatcher d{e};
        collect(d.send(incident{"INC7", 7}));
    }

    // Signer and verifier errors.
    boost::system::error_code ec;
    (void)webhook::request_signer::make(
        webhook::standard_webhooks_signing{{"whsec_HMAC-KEY-MARK-5"}}, ec);
    texts.push_back(ec.message());
    try {
        (void)webhook::standard_webhooks_verifier::make({"HMAC-KEY-MARK-5"});
    } catch (const std::exception& err) {
        texts.push_back(err.what());
    }
    for (int code = 1;; ++code) { // every code the category names
        auto text = boost::system::error_code(code, webhook::error_category()).message();
        if (text == "unknown webhook error")
            break;
        texts.push_back(std::move(text));
    }

    BOOST_TEST(texts.size() > 20u);
    for (const auto& text : texts)
        for (const auto& marker : markers)
            BOOST_TEST(text.find(marker) == std::string::npos, marker << " in: " << text);
}

BOOST_AUTO_TEST_CASE(the_ssrf_guard_refuses_private_destinations_at_once_unless_allowed) {
    test_receiver receiver;
    webhook::endpoint e = endpoint_for(receiver);
    e.url = "http://customer-hook.test:" + std::to_string(receiver.port()) + "/hook";
    e.retry = webhook::retry_policy::fixed_schedule({10ms, 10ms});
    e.destinations.public_only = true;
    // The customer's name resolves to loopback, then to a private address: both refused,
    // without a retry and without a connection.
    for (const char* address : {"127.0.0.1", "10.0.0.5"}) {
        e.hosts = {{"customer-hook.test", {boost::asio::ip::make_address(address)}}};
        webhook::dispatcher d{e};
        const auto r = d.send(incident{"INC8", 8});
        BOOST_TEST(r.error == webhook::error::address_not_allowed, address);
        BOOST_TEST(r.attempts.size() == 1u, address);
        BOOST_TEST(d.counters().retried_attempts == 0u);
    }
    BOOST_TEST(receiver.connections_accepted() == 0u);

    // The same for the OAuth token endpoint: refused by the guard, at once, without a retry.
    e.hosts = {{"customer-hook.test", {boost::asio::ip::make_address("127.0.0.1")}},
               {"login.test", {boost::asio::ip::make_address("10.0.0.7")}}};
    e.destinations.allow = {webhook::ip_range("127.0.0.0/8")};
    e.url = "https://customer-hook.test:" + std::to_string(receiver.port()) + "/hook";
    e.authentication = webhook::oauth2_client_credentials{
        .token_url = "https://login.test/token", .client_id = "c", .client_secret = "s"};
    {
        webhook::dispatcher d{e};
        const auto r = d.send(incident{"INC8", 8});
        BOOST_TEST(r.error == webhook::error::address_not_allowed);
        BOOST_TEST(r.attempts.size() == 1u);
        BOOST_TEST(d.counters().retried_attempts == 0u);
    }
    BOOST_TEST(receiver.connections_accepted() == 0u);
    e.authentication = webhook::no_auth{};
    e.url = "http://customer-hook.test:" + std::to_string(receiver.port()) + "/hook";

    // An operator allows the range: delivered.
    e.hosts = {{"customer-hook.test", {boost::asio::ip::make_address("127.0.0.1")}}};
    e.destinations.allow = {webhook::ip_range("127.0.0.0/8")};
    webhook::dispatcher d{e};
    BOOST_TEST(d.send(incident{"INC9", 9}).ok());
    BOOST_TEST(receiver.request_count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
