#include <webhook/observe/metrics_listener.hpp>

#define BOOST_TEST_MODULE observe_metrics_listener
#include <boost/test/unit_test.hpp>

#include "observe/http_client.hpp"
#include "observe/sample_registry.hpp"
#include "support/unused_port.hpp"

#include <boost/system/system_error.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// The listener over real loopback sockets: statuses, content negotiation, keep-alive,
// malformed requests, concurrent clients, binding and stopping.

using webhook::metrics_listener;
using webhook::test::http_client;
namespace http = boost::beast::http;

namespace {

const std::string text_type = "text/plain; version=0.0.4; charset=utf-8";
const std::string openmetrics_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
// What Prometheus 2.42 sends when it scrapes.
const std::string prometheus_accept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

struct served {
    std::shared_ptr<webhook::test::sample_registry> sample =
        std::make_shared<webhook::test::sample_registry>();
    std::shared_ptr<const webhook::metrics_registry> registry{sample, &sample->registry};
    metrics_listener listener{registry};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(answers, served)

BOOST_AUTO_TEST_CASE(get_of_the_path_answers_the_text_format) {
    http_client c(listener.port());
    const auto res = c.request(http::verb::get, "/metrics");
    BOOST_TEST(res.result_int() == 200u);
    BOOST_TEST(res[http::field::content_type] == text_type);
    BOOST_TEST(res.body() == registry->prometheus_text());
    BOOST_TEST(res.keep_alive());
}

BOOST_AUTO_TEST_CASE(accept_decides_between_openmetrics_and_the_text_format) {
    http_client c(listener.port());
    const std::pair<std::string, bool> cases[] = {
        {prometheus_accept, true},
        {"application/openmetrics-text", true},
        {"Application/OpenMetrics-Text; version=1.0.0", true},
        {"text/plain;q=0.5, application/openmetrics-text;q=0.5", true},
        {"text/plain, application/openmetrics-text;q=0.9", false},
        {"application/openmetrics-text;q=0", false},
        {"*/*", false},
        {"application/json", false},
        {"", false},
    };
    for (const auto& [accept, om] : cases) {
        BOOST_TEST_CONTEXT("Accept: " << accept) {
            const auto res = c.request(http::verb::get, "/metrics", accept);
            BOOST_TEST(res.result_int() == 200u);
            BOOST_TEST(res[http::field::content_type] == (om ? openmetrics_type : text_type));
            BOOST_TEST(res.body() ==
                       (om ? registry->openmetrics_text() : registry->prometheus_text()));
        }
    }
}

BOOST_AUTO_TEST_CASE(head_answers_the_headers_of_get_without_the_body) {
    http_client c(listener.port());
    const auto res = c.request(http::verb::head, "/metrics");
    BOOST_TEST(res.result_int() == 200u);
    BOOST_TEST(res[http::field::content_type] == text_type);
    BOOST_TEST(res[http::field::content_length] ==
               std::to_string(registry->prometheus_text().size()));
    BOOST_TEST(res.body().empty());
    // The connection goes on after a body-less answer.
    BOOST_TEST(c.request(http::verb::get, "/metrics").body() == registry->prometheus_text());
}

BOOST_AUTO_TEST_CASE(a_query_string_is_ignored_another_path_is_not_found) {
    http_client c(listener.port());
    BOOST_TEST(c.request(http::verb::get, "/metrics?x=1").result_int() == 200u);
    for (const auto* target : {"/", "/metrics/", "/metricsx", "/other"}) {
        const auto res = c.request(http::verb::get, target);
        BOOST_TEST(res.result_int() == 404u, target);
        BOOST_TEST(res.body() == "not found\n");
    }
    BOOST_TEST(c.request(http::verb::post, "/other").result_int() == 404u);
}

BOOST_AUTO_TEST_CASE(another_method_is_not_allowed_and_says_which_are) {
    http_client c(listener.port());
    for (const auto method : {http::verb::post, http::verb::put, http::verb::delete_}) {
        const auto res = c.request(method, "/metrics");
        BOOST_TEST(res.result_int() == 405u);
        BOOST_TEST(res[http::field::allow] == "GET, HEAD");
    }
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_two_requests_on_one_connection_with_fresh_values) {
    http_client c(listener.port());
    const auto first = c.request(http::verb::get, "/metrics");
    sample->registry
        .counter("webhook_deliveries_total", "", {{"endpoint", "orders"}, {"outcome", "delivered"}})
        .inc(10);
    const auto second = c.request(http::verb::get, "/metrics");
    BOOST_TEST(first.body().find(R"(endpoint="orders",outcome="delivered"} 3)") !=
               std::string::npos);
    BOOST_TEST(second.body().find(R"(endpoint="orders",outcome="delivered"} 13)") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(connection_close_and_http_1_0_end_the_connection_after_the_answer) {
    http_client c(listener.port());
    const auto res = c.request(http::verb::get, "/metrics", {}, false);
    BOOST_TEST(res.result_int() == 200u);
    BOOST_TEST(!res.keep_alive());
    BOOST_TEST(c.closed_by_server());
    http_client old(listener.port());
    const auto res10 = old.raw("GET /metrics HTTP/1.0\r\n\r\n");
    BOOST_TEST(res10.result_int() == 200u);
    BOOST_TEST(res10.body() == registry->prometheus_text());
    BOOST_TEST(old.closed_by_server());
}

BOOST_AUTO_TEST_CASE(garbage_gets_400_and_the_listener_goes_on) {
    for (const auto* garbage : {"garbage\r\n\r\n", "GET /metrics HTTP/9.9\r\n\r\n",
                                "GET /metrics HTTP/1.1\r\nbad header\r\n\r\n",
                                "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"}) {
        http_client c(listener.port());
        const auto res = c.raw(garbage);
        BOOST_TEST(res.result_int() == 400u);
        BOOST_TEST(!res.keep_alive());
        BOOST_TEST(c.closed_by_server());
    }
    http_client c(listener.port());
    BOOST_TEST(c.request(http::verb::get, "/metrics").result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(a_request_too_large_is_refused) {
    {
        http_client c(listener.port());
        const auto res =
            c.raw("GET /metrics HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
        BOOST_TEST(res.result_int() == 431u);
        BOOST_TEST(c.closed_by_server());
    }
    {
        http_client c(listener.port());
        const auto res =
            c.raw("GET /metrics HTTP/1.1\r\nContent-Length: 9000\r\n\r\n" + std::string(9000, 'a'));
        BOOST_TEST(res.result_int() == 413u);
    }
}

BOOST_AUTO_TEST_CASE(a_failing_collector_answers_500_with_its_message) {
    auto failing = sample->registry.add_collector(
        [](webhook::metric_writer&) { throw std::runtime_error("queue unavailable"); });
    http_client c(listener.port());
    const auto res = c.request(http::verb::get, "/metrics");
    BOOST_TEST(res.result_int() == 500u);
    BOOST_TEST(res.body() == "metrics: queue unavailable\n");
    failing.reset();
    BOOST_TEST(c.request(http::verb::get, "/metrics").result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(several_clients_at_once_are_all_served) {
    std::atomic<int> ok{0};
    const std::string expected = registry->prometheus_text();
    {
        std::vector<std::jthread> clients;
        for (int t = 0; t < 8; ++t)
            clients.emplace_back([&] {
                http_client c(listener.port());
                for (int i = 0; i < 25; ++i)
                    if (c.request(http::verb::get, "/metrics").body() == expected)
                        ++ok;
            });
    }
    BOOST_TEST(ok.load() == 8 * 25);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lifetime)

BOOST_AUTO_TEST_CASE(port_zero_binds_a_port_the_system_chose) {
    auto registry = std::make_shared<webhook::metrics_registry>();
    metrics_listener a(registry), b(registry);
    BOOST_TEST(a.port() != 0);
    BOOST_TEST(b.port() != 0);
    BOOST_TEST(a.port() != b.port());
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_refused_naming_address_and_port) {
    auto registry = std::make_shared<webhook::metrics_registry>();
    const auto port = webhook::test::unused_port();
    metrics_listener first(registry, {.port = port});
    BOOST_TEST(first.port() == port);
    try {
        metrics_listener second(registry, {.port = port});
        BOOST_ERROR("a second listener on the same port");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == boost::asio::error::address_in_use);
        BOOST_TEST(std::string(e.what()).starts_with("metrics_listener: cannot listen on "
                                                     "127.0.0.1:" +
                                                     std::to_string(port) + ": "));
    }
    try {
        metrics_listener bad(registry, {.address = "localhost", .port = 9});
        BOOST_ERROR("a host name is not an address");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(std::string(e.what()).starts_with("metrics_listener: cannot listen on "
                                                     "localhost:9: "));
    }
}

BOOST_AUTO_TEST_CASE(another_path_is_served_and_metrics_is_then_not_found) {
    auto registry = std::make_shared<webhook::metrics_registry>();
    registry->gauge("g", "").set(1);
    metrics_listener l(registry, {.address = "127.0.0.1", .port = 0, .path = "/internal/m"});
    http_client c(l.port());
    BOOST_TEST(c.request(http::verb::get, "/internal/m").body() == "# TYPE g gauge\ng 1\n");
    BOOST_TEST(c.request(http::verb::get, "/metrics").result_int() == 404u);
}

BOOST_AUTO_TEST_CASE(stop_closes_connections_and_the_port_and_is_idempotent) {
    auto registry = std::make_shared<webhook::metrics_registry>();
    metrics_listener l(registry);
    http_client idle(l.port());
    BOOST_TEST(idle.request(http::verb::get, "/metrics").result_int() == 200u);
    l.stop();
    BOOST_TEST(idle.closed_by_server());
    BOOST_CHECK_THROW(http_client{l.port()}, std::runtime_error); // refused
    l.stop();
}

BOOST_AUTO_TEST_CASE(the_listener_keeps_its_registry_alive) {
    auto registry = std::make_shared<webhook::metrics_registry>();
    registry->counter("c_total", "").inc(5);
    metrics_listener l(registry);
    registry.reset();
    http_client c(l.port());
    BOOST_TEST(c.request(http::verb::get, "/metrics").body() ==
               "# TYPE c_total counter\nc_total 5\n");
}

BOOST_AUTO_TEST_SUITE_END()
