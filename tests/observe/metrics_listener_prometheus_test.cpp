#include <webhook/observe/metrics_listener.hpp>

#define BOOST_TEST_MODULE observe_metrics_listener_prometheus
#include <boost/test/unit_test.hpp>

#include "observe/http_client.hpp"
#include "support/child_process.hpp"
#include "support/unused_port.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <unistd.h>

// A real Prometheus server (Debian's prometheus 2.42, WEBHOOK_PROMETHEUS from
// tests/observe/observe.cmake) scrapes the listener every second, on loopback, with a
// configuration and a storage directory of the test's own; its HTTP API must then report the
// target up and return the registered values. Prometheus sends an Accept that prefers
// OpenMetrics, so this is the OpenMetrics output read by Prometheus's own parser.

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

constexpr auto patience = 60s; // Prometheus starts, then scrapes every second

std::string percent_encoded(const std::string& s) {
    std::string out;
    for (const unsigned char c : s) {
        if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

// The registry, its listener, and a Prometheus server scraping it: made once for the module.
struct scrape_world {
    std::shared_ptr<webhook::metrics_registry> registry =
        std::make_shared<webhook::metrics_registry>();
    webhook::metrics_collection collection;
    webhook::metrics_listener listener{registry};
    fs::path dir = fs::temp_directory_path() / ("webhook_prometheus_" + std::to_string(::getpid()));
    unsigned short api_port = webhook::test::unused_port();
    std::unique_ptr<webhook::test::child> prometheus;

    scrape_world() {
        BOOST_REQUIRE_MESSAGE(std::string(WEBHOOK_PROMETHEUS).find('/') == 0 &&
                                  ::access(WEBHOOK_PROMETHEUS, X_OK) == 0,
                              "no prometheus binary (" WEBHOOK_PROMETHEUS "): install Debian's "
                              "prometheus with scripts/deps.sh test, then configure again");
        registry
            ->counter("webhook_test_deliveries_total", "Deliveries settled.",
                      {{"endpoint", "orders"}})
            .inc(42);
        auto& h = registry->histogram("webhook_test_attempt_duration_seconds", "Latency.", {},
                                      {0.1, 0.25, 1});
        for (const double v : {0.05, 0.25, 0.5})
            h.observe(v);
        collection = registry->add_collector([](webhook::metric_writer& w) {
            w.gauge("webhook_test_queue_depth", "Waiting \"events\".",
                    {{"endpoint", "a \"quoted\"\nname"}}, 2.5);
        });
        fs::remove_all(dir);
        fs::create_directories(dir / "data");
        std::ofstream(dir / "prometheus.yml") << "global:\n"
                                                 "  scrape_interval: 1s\n"
                                                 "  scrape_timeout: 1s\n"
                                                 "scrape_configs:\n"
                                                 "  - job_name: webhook\n"
                                                 "    static_configs:\n"
                                                 "      - targets: ['127.0.0.1:"
                                              << listener.port() << "']\n";
        // Through sh, for stderr (where Prometheus logs) to go to the log file too; exec keeps
        // the pid Prometheus's, for the child's SIGKILL.
        prometheus = std::make_unique<webhook::test::child>(
            std::vector<std::string>{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", WEBHOOK_PROMETHEUS,
                                     "--config.file=" + (dir / "prometheus.yml").string(),
                                     "--storage.tsdb.path=" + (dir / "data").string(),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(api_port)},
            dir / "prometheus.log");
    }

    ~scrape_world() {
        prometheus.reset(); // SIGKILL, reaped
        fs::remove_all(dir);
    }

    // The "data" of a GET of the API, or nothing while Prometheus cannot answer it.
    std::optional<boost::json::value> api(const std::string& target) {
        try {
            webhook::test::http_client c(api_port);
            const auto res = c.request(http::verb::get, target, {}, false);
            if (res.result_int() != 200)
                return std::nullopt;
            auto doc = boost::json::parse(res.body());
            if (doc.at("status") != "success")
                return std::nullopt;
            return doc.at("data");
        } catch (const std::exception&) {
            return std::nullopt; // not listening yet
        }
    }

    // Polls the API (Prometheus is another process, on its own schedule) until `done` holds
    // for the answer to `target`; fails with Prometheus's log when it does not in time.
    void wait_for(const std::string& what, const std::string& target,
                  const std::function<bool(const boost::json::value&)>& done) {
        std::optional<boost::json::value> last;
        for (const auto until = std::chrono::steady_clock::now() + patience;
             std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(200ms)) {
            BOOST_REQUIRE_MESSAGE(prometheus->running(), "prometheus ended:\n" << log());
            last = api(target);
            if (last && done(*last))
                return;
        }
        BOOST_FAIL(what << ": not within " << patience.count() << " s; last answer: "
                        << (last ? boost::json::serialize(*last) : "none") << "\nlog:\n"
                        << log());
    }

    // The value of the single sample that `query` returns, once there is one.
    std::string value_of(const std::string& query) {
        std::string value;
        wait_for(query, "/api/v1/query?query=" + percent_encoded(query),
                 [&](const boost::json::value& data) {
                     const auto& result = data.at("result").as_array();
                     if (result.size() != 1)
                         return false;
                     value = result[0].at("value").as_array()[1].as_string().c_str();
                     return true;
                 });
        return value;
    }

    std::string log() const {
        std::string all;
        for (const auto& line : webhook::test::lines_of(dir / "prometheus.log"))
            all += line + "\n";
        return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
    }
};

scrape_world& world() {
    static scrape_world w;
    return w;
}

} // namespace

BOOST_AUTO_TEST_CASE(prometheus_scrapes_the_listener_and_reports_the_target_up) {
    auto& w = world();
    const auto url = "http://127.0.0.1:" + std::to_string(w.listener.port()) + "/metrics";
    w.wait_for("target up", "/api/v1/targets", [&](const boost::json::value& data) {
        const auto& targets = data.at("activeTargets").as_array();
        return targets.size() == 1 && targets[0].at("scrapeUrl") == url.c_str() &&
               targets[0].at("health") == "up";
    });
}

BOOST_AUTO_TEST_CASE(prometheus_queries_return_the_registered_values) {
    auto& w = world();
    BOOST_TEST(w.value_of(R"(webhook_test_deliveries_total{endpoint="orders"})") == "42");
    BOOST_TEST(w.value_of(R"(webhook_test_attempt_duration_seconds_bucket{le="0.1"})") == "1");
    BOOST_TEST(w.value_of(R"(webhook_test_attempt_duration_seconds_bucket{le="0.25"})") == "2");
    BOOST_TEST(w.value_of(R"(webhook_test_attempt_duration_seconds_bucket{le="1"})") == "3");
    BOOST_TEST(w.value_of(R"(webhook_test_attempt_duration_seconds_bucket{le="+Inf"})") == "3");
    BOOST_TEST(w.value_of("webhook_test_attempt_duration_seconds_count") == "3");
    BOOST_TEST(w.value_of("webhook_test_attempt_duration_seconds_sum") == "0.8");
}

BOOST_AUTO_TEST_CASE(prometheus_reads_escaped_label_values_as_they_were) {
    auto& w = world();
    std::string endpoint;
    w.wait_for("the queue depth", "/api/v1/query?query=webhook_test_queue_depth",
               [&](const boost::json::value& data) {
                   const auto& result = data.at("result").as_array();
                   if (result.size() != 1)
                       return false;
                   endpoint = result[0].at("metric").at("endpoint").as_string().c_str();
                   return result[0].at("value").as_array()[1] == "2.5";
               });
    BOOST_TEST(endpoint == "a \"quoted\"\nname");
}

BOOST_AUTO_TEST_CASE(prometheus_sees_a_later_increment) {
    auto& w = world();
    w.registry->counter("webhook_test_deliveries_total", "", {{"endpoint", "orders"}}).inc(8);
    const auto query = R"(webhook_test_deliveries_total{endpoint="orders"})";
    w.wait_for("the counter at 50", "/api/v1/query?query=" + percent_encoded(query),
               [&](const boost::json::value& data) {
                   const auto& result = data.at("result").as_array();
                   return result.size() == 1 && result[0].at("value").as_array()[1] == "50";
               });
}
