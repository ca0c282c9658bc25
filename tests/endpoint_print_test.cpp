#include <webhook/endpoint.hpp>

#define BOOST_TEST_MODULE endpoint_print
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

// What an endpoint gives out: the transport's options and the printed form.

using namespace std::chrono_literals;
using namespace webhook::test;
using webhook::endpoint;
namespace http = boost::beast::http;

BOOST_AUTO_TEST_SUITE(endpoint_output)

BOOST_AUTO_TEST_CASE(transport_options_carry_the_connection_settings) {
    endpoint e = minimal();
    e.timeouts = {.connect = 1s, .handshake = 2s, .request = 3s, .idle = 4s};
    e.tls.ca_file = "/etc/webhook/ca.pem";
    e.tls.insecure_skip_verification = true;
    e.proxy = "http://proxy.internal:3128";
    e.max_in_flight = 3;
    e.max_response_body = 777;
    const webhook::beast_transport_options o = webhook::transport_options(e);
    BOOST_TEST(o.connect_timeout.count() == 1000);
    BOOST_TEST(o.handshake_timeout.count() == 2000);
    BOOST_TEST(o.request_timeout.count() == 3000);
    BOOST_TEST(o.idle_timeout.count() == 4000);
    BOOST_TEST((o.tls == e.tls));
    BOOST_TEST(o.proxy == "http://proxy.internal:3128");
    BOOST_TEST(o.max_connections_per_origin == 3u);
    BOOST_TEST(o.max_response_body == 777u);
}

BOOST_AUTO_TEST_CASE(the_printed_form_lists_every_setting_with_secrets_as_stars) {
    endpoint e{
        .url = "https://hooks.example.com/incidents/{id}?code=abc",
        .method = http::verb::put,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "s3cret"},
        .headers = {{"X-Api-Key", "k-123"}, {"X-Tenant", "acme"}},
        .timeouts = {.connect = 5s, .handshake = 1500ms, .request = 1min, .idle = 2h},
        .retry = webhook::retry_policy::fixed_schedule({5s, 5min}),
        .proxy = "http://proxy.internal:3128",
        .ordered = true,
        .rate_limit = {.per_second = 2.5, .burst = 5},
        .batch = {.max_events = 50, .max_bytes = 65536, .linger = 200ms},
        .compression = webhook::compression::gzip,
        .circuit_breaker = {.failures = 3, .cool_down = 1500ms},
        .max_event_age = 90min,
    };
    e.tls.certificate_file = "/etc/webhook/client.pem";
    e.tls.private_key_file = "/etc/webhook/client.key";
    BOOST_TEST(printed(e) ==
               "url: https://hooks.example.com/incidents/{id}?***\n"
               "method: PUT\n"
               "data_format: json\n"
               "data_location: root/result\n"
               "authentication: basic, username \"webhook\", password ***\n"
               "headers: X-Api-Key: ***, X-Tenant: ***\n"
               "signing: none\n"
               "user_agent: webhook/" WEBHOOK_VERSION_STRING " (default)\n"
               "timeouts: connect 5s, handshake 1500ms, request 1m, idle 2h\n"
               "retry: max_attempts 3, schedule 5s, 5m; max_delay unlimited, max_total_time "
               "unlimited, retryable_statuses 408, 425, 429, 500, 502-599\n"
               "tls: verify the server against the system trust store, certificate_file "
               "\"/etc/webhook/client.pem\", private_key_file \"/etc/webhook/client.key\"\n"
               "proxy: http://proxy.internal:3128\n"
               "destinations: any\n"
               "max_in_flight: 8\n"
               "ordered: true (one request in flight)\n"
               "adaptive_concurrency: off\n"
               "queue: capacity 10000, when_full block, block_timeout 5s\n"
               "rate_limit: per_second 2.5, burst 5\n"
               "batch: max_events 50, max_bytes 65536, linger 200ms\n"
               "compression: gzip\n"
               "max_body_size: 1048576 bytes\n"
               "max_response_body: 1048576 bytes\n"
               "circuit_breaker: failures 3, cool_down 1500ms\n"
               "max_event_age: 90m");
}

BOOST_AUTO_TEST_CASE(the_printed_form_of_the_defaults) {
    endpoint e = minimal();
    e.authentication = webhook::bearer_auth{"t0ken"};
    e.tls.insecure_skip_verification = true;
    e.tls.ca_file = "/etc/webhook/ca.pem";
    e.user_agent = "acme/1";
    e.retry = webhook::retry_policy::none();
    BOOST_TEST(printed(e) ==
               "url: https://hooks.example.com/in\n"
               "method: POST\n"
               "data_format: json\n"
               "data_location: (empty: the event is the whole body)\n"
               "authentication: bearer, token ***\n"
               "headers: none\n"
               "signing: none\n"
               "user_agent: \"acme/1\"\n"
               "timeouts: connect 10s, handshake 10s, request 30s, idle 30s\n"
               "retry: max_attempts 1, initial_delay 1s, multiplier 2, max_delay 1m, "
               "max_total_time 1h, retryable_statuses 408, 425, 429, 500, 502-599\n"
               "tls: insecure_skip_verification (the server is NOT verified), ca_file "
               "\"/etc/webhook/ca.pem\"\n"
               "proxy: none\n"
               "destinations: any\n"
               "max_in_flight: 8\n"
               "ordered: false\n"
               "adaptive_concurrency: off\n"
               "queue: capacity 10000, when_full block, block_timeout 5s\n"
               "rate_limit: unlimited\n"
               "batch: off\n"
               "compression: none\n"
               "max_body_size: 1048576 bytes\n"
               "max_response_body: 1048576 bytes\n"
               "circuit_breaker: off\n"
               "max_event_age: 24h");
}

BOOST_AUTO_TEST_SUITE_END()
