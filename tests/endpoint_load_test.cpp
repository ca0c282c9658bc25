#include <webhook/endpoint.hpp>

#define BOOST_TEST_MODULE endpoint_load
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

// Loading a document: each key, its forms and its problems.

using namespace std::chrono_literals;
using namespace webhook::test;
using webhook::endpoint;
namespace http = boost::beast::http;

BOOST_AUTO_TEST_SUITE(endpoint_loading)

BOOST_AUTO_TEST_CASE(every_key_is_loaded) {
    const tls_files files;
    std::string document = R"({
        // Comments and trailing commas are allowed: configuration files get annotated.
        "url": "https://hooks.example.com/incidents",
        "method": "put",
        "data_format": "JSON",
        "data_location": "root/result",
        "authentication": {"type": "basic", "username": "webhook", "password": "s3cret"},
        "headers": {"X-Api-Key": "k-123", "X-Tenant": {"value": "acme"}},
        "user_agent": "acme-itsm/2.1",
        "timeouts": {"connect": "5s", "handshake": 4000, "request": "1m", "idle": "90s"},
        "retry": {"max_attempts": 4, "initial_delay": "500ms", "multiplier": 3,
                  "max_delay": "2m", "max_total_time": "2h", "retryable_statuses": [429, "5xx"]},
        "tls": {"ca_file": "@CA@", "ca_directory": "@DIR@",
                "certificate_file": "@CERT@",
                "private_key_file": "@KEY@",
                "insecure_skip_verification": false},
        "proxy": "http://proxy.internal:3128",
        "max_in_flight": 4,
        "ordered": false,
        "queue": {"capacity": 500, "when_full": "drop_oldest", "block_timeout": "2s"},
        "rate_limit": {"per_second": 2.5, "burst": 5},
        "batch": {"max_events": 50, "max_bytes": 65536, "linger": "200ms"},
        "compression": "gzip",
        "max_body_size": 262144,
        "max_response_body": 4096,
        "circuit_breaker": {"failures": 5, "cool_down": "2m"},
        "max_event_age": "6h",
    })";
    // Validation opens the TLS files: these are the test's own.
    document = replaced(std::move(document), "@CA@", files.ca.path.string());
    document = replaced(std::move(document), "@DIR@", files.directory);
    document = replaced(std::move(document), "@CERT@", files.certificate.path.string());
    document = replaced(std::move(document), "@KEY@", files.key.path.string());
    const endpoint e = webhook::load_endpoint(document);

    webhook::retry_policy retry;
    retry.max_attempts = 4;
    retry.initial_delay = 500ms;
    retry.multiplier = 3;
    retry.max_delay = 2min;
    retry.max_total_time = 2h;
    retry.retryable_statuses = {429};
    for (int s = 500; s <= 599; ++s)
        retry.retryable_statuses.insert(s);
    webhook::tls_options tls;
    tls.ca_file = files.ca.path.string();
    tls.ca_directory = files.directory;
    tls.certificate_file = files.certificate.path.string();
    tls.private_key_file = files.key.path.string();
    const endpoint expected{
        .url = "https://hooks.example.com/incidents",
        .method = http::verb::put,
        .data_format = webhook::data_format::json,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "s3cret"},
        .headers = {{"X-Api-Key", "k-123"}, {"X-Tenant", "acme"}},
        .user_agent = "acme-itsm/2.1",
        .timeouts = {.connect = 5s, .handshake = 4s, .request = 1min, .idle = 90s},
        .retry = retry,
        .tls = tls,
        .proxy = "http://proxy.internal:3128",
        .max_in_flight = 4,
        .ordered = false,
        .queue = {.capacity = 500,
                  .when_full = webhook::overflow_policy::drop_oldest,
                  .block_timeout = 2s},
        .rate_limit = {.per_second = 2.5, .burst = 5},
        .batch = {.max_events = 50, .max_bytes = 65536, .linger = 200ms},
        .compression = webhook::compression::gzip,
        .max_body_size = 262144,
        .max_response_body = 4096,
        .circuit_breaker = {.failures = 5, .cool_down = 2min},
        .max_event_age = 6h,
    };
    check_same(e, expected);
}

BOOST_AUTO_TEST_CASE(a_document_with_only_a_url_gives_the_defaults) {
    check_same(webhook::load_endpoint(R"({"url": "https://hooks.example.com/in"})"), minimal());
}

BOOST_AUTO_TEST_CASE(null_means_the_default) {
    check_same(webhook::load_endpoint(R"({"url": "https://hooks.example.com/in", "proxy": null,
                                          "timeouts": {"connect": null}, "retry": null})"),
               minimal());
}

BOOST_AUTO_TEST_CASE(durations_are_milliseconds_or_a_number_with_a_unit) {
    const endpoint e = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "timeouts": {"connect": 1500, "handshake": "500ms", "request": "10s", "idle": "5m"},
        "queue": {"block_timeout": "2h"}, "retry": {"max_total_time": "unlimited"}})");
    BOOST_TEST(e.timeouts.connect.count() == 1500);
    BOOST_TEST(e.timeouts.handshake.count() == 500);
    BOOST_TEST(e.timeouts.request.count() == 10'000);
    BOOST_TEST(e.timeouts.idle.count() == 300'000);
    BOOST_TEST(e.queue.block_timeout.count() == 7'200'000);
    BOOST_TEST((e.retry.max_total_time == std::chrono::milliseconds::max()));

    const std::string message = "must be a duration: whole milliseconds, or a string such as "
                                "\"500ms\", \"10s\", \"5m\", \"2h\"";
    for (const char* bad : {R"("10")", R"("10 s")", R"("1.5s")", R"("-5s")", R"("10sec")",
                            R"("unlimited")", "true", "1.5", R"("")", R"("99999999999999999h")"}) {
        BOOST_TEST(problems_of(std::string(R"({"url": "https://hooks.example.com/in",
                                               "timeouts": {"connect": )") +
                               bad + "}}") == "timeouts.connect: " + message,
                   bad);
    }
}

BOOST_AUTO_TEST_CASE(circuit_breaker_and_max_event_age) {
    const endpoint defaults = minimal();
    BOOST_TEST(defaults.circuit_breaker.failures == 0u); // off
    BOOST_TEST(defaults.circuit_breaker.cool_down.count() == 30'000);
    BOOST_TEST(defaults.max_event_age.count() == 24 * 3'600'000);
    check_same(webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
                                          "circuit_breaker": null, "max_event_age": null})"),
               defaults);

    const std::string url = R"({"url": "https://hooks.example.com/in", )";
    const endpoint e = webhook::load_endpoint(
        url + R"("circuit_breaker": {"failures": 5, "cool_down": "2m"}, "max_event_age": "6h"})");
    BOOST_TEST(
        (e.circuit_breaker == webhook::circuit_breaker_options{.failures = 5, .cool_down = 2min}));
    BOOST_TEST(e.max_event_age.count() == 6 * 3'600'000);
    // failures alone keeps the default cool-down; 0 is no age limit.
    const endpoint f =
        webhook::load_endpoint(url + R"("circuit_breaker": {"failures": 3}, "max_event_age": 0})");
    BOOST_TEST((f.circuit_breaker == webhook::circuit_breaker_options{.failures = 3}));
    BOOST_TEST(f.max_event_age.count() == 0);
    BOOST_TEST(webhook::load_endpoint(url + R"("circuit_breaker": {"cool_down": 1500}})")
                   .circuit_breaker.cool_down.count() == 1500);
    // Off, the cool-down is not used, so it is not checked either.
    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failures": 0, "cool_down": 0}})") ==
               "loaded");

    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failures": 5, "cool_down": 0}})") ==
               "circuit_breaker.cool_down: must be greater than 0 when failures is set");
    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failures": 1, "cool_down": -1}})") ==
               "circuit_breaker.cool_down: must be greater than 0 when failures is set");
    BOOST_TEST(problems_of(url + R"("max_event_age": -1})") ==
               "max_event_age: must not be negative");
    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failures": -1, "cool_down": "30 s"},
                                    "max_event_age": "1d"})") ==
               "circuit_breaker.failures: must be a whole number, 0 or more\n"
               "circuit_breaker.cool_down: must be a duration: whole milliseconds, or a string "
               "such as \"500ms\", \"10s\", \"5m\", \"2h\"\n"
               "max_event_age: must be a duration: whole milliseconds, or a string such as "
               "\"500ms\", \"10s\", \"5m\", \"2h\"");
    BOOST_TEST(problems_of(url + R"("circuit_breaker": 5})") ==
               "circuit_breaker: must be an object");
    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failure": 5, "cooldown": "1s"},
                                    "max_age": "1h", "circuit_breakr": {}})") ==
               "circuit_breaker.failure: unknown key (did you mean \"failures\"?)\n"
               "circuit_breaker.cooldown: unknown key (did you mean \"cool_down\"?)\n"
               "max_age: unknown key\n"
               "circuit_breakr: unknown key (did you mean \"circuit_breaker\"?)");
    BOOST_TEST(problems_of(url + R"("max_event_ag": "1h"})") ==
               "max_event_ag: unknown key (did you mean \"max_event_age\"?)");
}

BOOST_AUTO_TEST_CASE(method_is_case_insensitive_and_limited_to_post_put_patch) {
    for (const auto& [text, verb] :
         {std::pair{"post", http::verb::post}, std::pair{"Put", http::verb::put},
          std::pair{"PATCH", http::verb::patch}}) {
        const endpoint e = webhook::load_endpoint(
            std::string(R"({"url": "https://hooks.example.com/in", "method": ")") + text + "\"}");
        BOOST_TEST((e.method == verb), text);
    }
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "method": "GET"})") ==
               R"(method: must be "POST", "PUT" or "PATCH")");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "method": 1})") ==
               R"(method: must be "POST", "PUT" or "PATCH")");
}

BOOST_AUTO_TEST_CASE(json_is_the_only_data_format) {
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "data_format": "xml"})") ==
               R"(data_format: only "json" is supported)");
}

BOOST_AUTO_TEST_CASE(a_bad_data_location_names_the_offset) {
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
                               "data_location": "root//result"})") ==
               "data_location: empty segment at offset 5");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
                               "data_location": "root/\u0001"})") ==
               "data_location: control character at offset 5");
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_problems_with_a_suggestion) {
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "retyr": {},
                               "timeouts": {"conect": 5}, "tls": {"cafile": "x"},
                               "colour": "blue", "odd key": 1})") ==
               "retyr: unknown key (did you mean \"retry\"?)\n"
               "timeouts.conect: unknown key (did you mean \"connect\"?)\n"
               "tls.cafile: unknown key (did you mean \"ca_file\"?)\n"
               "colour: unknown key\n"
               "[\"odd key\"]: unknown key");
}

BOOST_AUTO_TEST_CASE(wrong_types_are_problems) {
    BOOST_TEST(problems_of(R"({"url": 5, "ordered": "yes", "max_in_flight": -1,
                               "queue": {"capacity": 1.5, "when_full": "wait"},
                               "rate_limit": {"per_second": "10"}, "timeouts": [],
                               "compression": "brotli", "tls": {"ca_file": false}})") ==
               "url: must be a string\n"
               "ordered: must be true or false\n"
               "max_in_flight: must be a whole number, 0 or more\n"
               "queue.capacity: must be a whole number, 0 or more\n"
               "queue.when_full: must be \"block\", \"reject\" or \"drop_oldest\"\n"
               "rate_limit.per_second: must be a number\n"
               "timeouts: must be an object\n"
               "compression: must be \"none\" or \"gzip\"\n"
               "tls.ca_file: must be a string");
}

BOOST_AUTO_TEST_CASE(a_document_that_is_not_an_object_is_one_problem) {
    BOOST_TEST(what_of("[]") ==
               "endpoint configuration has 1 problem:\nthe configuration must be a JSON object");
}

BOOST_AUTO_TEST_CASE(a_syntax_error_names_line_and_column_but_not_the_text) {
    const std::string what = what_of("{\n  \"url\": \"https://hooks.example.com/in\",\n"
                                     "  \"authentication\": {\"password\": hunter2}\n}");
    BOOST_TEST(what == "endpoint configuration has 1 problem:\n"
                       "invalid JSON at line 3, column 34: syntax error");
    BOOST_TEST(what_of("{\"url\": ") == "endpoint configuration has 1 problem:\n"
                                        "invalid JSON at line 1, column 9: incomplete JSON");
}

BOOST_AUTO_TEST_CASE(all_problems_are_reported_at_once) {
    const std::string what = what_of(R"({
        "url": "https://hooks.example.com/incidents/{id}",
        "method": "DELETE",
        "authentication": {"type": "basic", "username": "domain:user", "password": "pw"},
        "headers": [{"name": "X-Ok", "value": "v"}, {"name": "Bad Name", "value": "v"}],
        "retry": {"max_attempts": 0},
        "batch": {"max_events": 10},
        "max_in_flight": 0
    })");
    BOOST_TEST(what == "endpoint configuration has 6 problems:\n"
                       "method: must be \"POST\", \"PUT\" or \"PATCH\"\n"
                       "authentication.username: contains ':'\n"
                       "headers[1].name: is not a valid HTTP header name\n"
                       "retry.max_attempts: must be at least 1\n"
                       "batch.max_events: must be 1 when the URL has placeholders (a batch has "
                       "no single event to fill them from)\n"
                       "max_in_flight: must be at least 1");
}

BOOST_AUTO_TEST_CASE(ordered_with_an_explicit_max_in_flight_above_one_is_a_contradiction) {
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "ordered": true,
                               "max_in_flight": 4})") ==
               "max_in_flight: must be 1 or left out when ordered is true");
    const endpoint e =
        webhook::load_endpoint(R"({"url": "https://hooks.example.com/in", "ordered": true})");
    BOOST_TEST(e.ordered);
    BOOST_TEST(webhook::transport_options(e).max_connections_per_origin == 1u);
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "ordered": true,
                               "max_in_flight": 1})") == "loaded");
}

BOOST_AUTO_TEST_CASE(authentication_types) {
    const std::string url = R"({"url": "https://hooks.example.com/in", "authentication": )";
    BOOST_TEST((webhook::load_endpoint(url + R"({"type": "none"}})").authentication ==
                webhook::authentication(webhook::no_auth{})));
    BOOST_TEST(
        (webhook::load_endpoint(url + R"({"type": "Bearer", "token": "t-1"}})").authentication ==
         webhook::authentication(webhook::bearer_auth{"t-1"})));
    BOOST_TEST(
        problems_of(url + R"({"type": "digest"}})") ==
        R"(authentication.type: must be "none", "basic", "bearer" or "oauth2_client_credentials")");
    BOOST_TEST(
        problems_of(url + R"({"username": "u"}})") ==
        R"(authentication.type: is required: "none", "basic", "bearer" or "oauth2_client_credentials")");
    BOOST_TEST(problems_of(url + R"("basic"})") ==
               R"(authentication: must be an object with a "type")");
    BOOST_TEST(problems_of(url + R"({"type": "bearer", "password": "p", "tokn": "t"}})") ==
               "authentication.password: is not used with type \"bearer\"\n"
               "authentication.tokn: unknown key (did you mean \"token\"?)\n"
               "authentication.token: is required (or token_env, or token_file)");
    BOOST_TEST(problems_of(url + R"({"type": "basic", "password": "p"}})") ==
               "authentication.username: is required");
    BOOST_TEST(problems_of(url + R"({"type": "basic", "username": "u"}})") ==
               "authentication.password: is required (or password_env, or password_file)");
    BOOST_TEST(problems_of(url + R"({"type": "basic", "username": "u", "password": "p",
                                     "password_env": "P"}})") ==
               "authentication: give only one of password, password_env, password_file");
}

BOOST_AUTO_TEST_CASE(headers_as_an_object_or_an_array) {
    const endpoint as_object = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "headers": {"X-Api-Key": "k", "X-Tenant": "acme"}})");
    const endpoint as_array = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "headers": [{"name": "X-Api-Key", "value": "k"}, {"name": "X-Tenant", "value": "acme"}]})");
    const std::vector<webhook::header_field> expected{{"X-Api-Key", "k"}, {"X-Tenant", "acme"}};
    BOOST_TEST((as_object.headers == expected));
    BOOST_TEST((as_array.headers == expected));

    // Problems are named as the operator wrote them, and a header left out does not shift the
    // names of those after it.
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "headers": {"X-Broken": 5, "Content-Length": "1", "X-Key": "a\nb"}})") ==
               "headers.X-Broken: must be a string, or an object with value, value_env or "
               "value_file\n"
               "headers.Content-Length: is set by the library\n"
               "headers.X-Key: contains a control character");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "headers": [{"value": "v"}, {"name": "Host", "value": "h"}, {"name": "X", "valu": "v"}]})") ==
               "headers[0].name: is required\n"
               "headers[2].valu: unknown key (did you mean \"value\"?)\n"
               "headers[2].value: is required (or value_env, or value_file)\n"
               "headers[1].name: is set by the library");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "headers": "X-A: b"})") ==
               "headers: must be an object of name: value, or an array of {name, value}");
}

BOOST_AUTO_TEST_CASE(retry_forms) {
    const std::string url = R"({"url": "https://hooks.example.com/in", "retry": )";
    BOOST_TEST((webhook::load_endpoint(url + R"("none"})").retry.max_attempts == 1u));
    // A schedule alone is retry_policy::fixed_schedule, whatever the keys' order.
    const auto scheduled = webhook::load_endpoint(url + R"({"max_delay": "1h",
                                                   "schedule": ["5s", "5m", "30m", "2h"]}})");
    webhook::retry_policy expected = webhook::retry_policy::fixed_schedule({5s, 5min, 30min, 2h});
    expected.max_delay = 1h;
    BOOST_TEST(same_retry(scheduled.retry, expected));

    BOOST_TEST(problems_of(url + R"({"schedule": ["5s"], "max_attempts": 3}})") ==
               "retry.max_attempts: must be 2 with a schedule of 1 delays (the first attempt and "
               "one retry per delay)");
    BOOST_TEST(problems_of(url + R"({"schedule": "5s"}})") ==
               "retry.schedule: must be an array of durations");
    BOOST_TEST(problems_of(url + R"({"retryable_statuses": [429, 600, "6xx", "5xx"]}})") ==
               "retry.retryable_statuses[1]: must be a status code from 100 to 599, or a class "
               "such as \"5xx\"\n"
               "retry.retryable_statuses[2]: must be a status code from 100 to 599, or a class "
               "such as \"5xx\"");
    BOOST_TEST(problems_of(url + R"({"multiplier": 0.5}})") ==
               "retry.multiplier: must be a finite number of at least 1");
    BOOST_TEST(problems_of(url + R"("always"})") == R"(retry: must be an object, or "none")");
}

BOOST_AUTO_TEST_SUITE_END()
