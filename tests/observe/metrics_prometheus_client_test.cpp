#include <webhook/observe/metrics.hpp>

#define BOOST_TEST_MODULE observe_metrics_prometheus_client
#include <boost/test/unit_test.hpp>

#include "observe/sample_registry.hpp"
#include "support/child_process.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

// Both exposition formats read back by prometheus_client's own parsers (Debian
// python3-prometheus-client 0.16), run as a child process: what they read must be what was
// registered. WEBHOOK_PYTHON3 and WEBHOOK_OBSERVE_DIR come from tests/observe/observe.cmake.

namespace {

namespace fs = std::filesystem;

// A directory of this test's own, removed at the end.
struct scratch_dir {
    fs::path path =
        fs::temp_directory_path() / ("webhook_metrics_parse_" + std::to_string(::getpid()));
    scratch_dir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~scratch_dir() { fs::remove_all(path); }
};

// What tests/observe/parse_exposition.py read from `text` in `format`, one line per family
// and per sample, or its error.
std::vector<std::string> parsed(const std::string& format, const std::string& text) {
    static int n = 0;
    static scratch_dir dir;
    const auto in = dir.path / ("in" + std::to_string(++n));
    const auto out = dir.path / ("out" + std::to_string(n));
    std::ofstream(in, std::ios::binary) << text;
    webhook::test::child python(
        {WEBHOOK_PYTHON3, WEBHOOK_OBSERVE_DIR "/parse_exposition.py", format, in.string()}, out);
    const int status = python.wait(std::chrono::seconds(60));
    BOOST_REQUIRE_MESSAGE(status != 3, "python3 cannot import prometheus_client: install "
                                       "python3-prometheus-client (scripts/deps.sh test)");
    auto lines = webhook::test::lines_of(out);
    BOOST_TEST_INFO("parser output:\n"
                    << [&] {
                           std::string all;
                           for (const auto& l : lines)
                               all += l + "\n";
                           return all;
                       }());
    BOOST_REQUIRE_EQUAL(status, 0);
    return lines;
}

// The lines the parser prints for webhook::test::sample_registry, but for the counter's and
// the queue depth's HELP, which the text format reads differently from OpenMetrics.
std::vector<std::string> expected_lines() {
    const std::string h = "sample webhook_attempt_duration_seconds";
    const std::string d = "sample webhook_deliveries_total {\"endpoint\":";
    return {
        "family webhook_attempt_duration_seconds histogram \"Attempt latency.\"",
        h + "_bucket {\"endpoint\":\"orders\",\"le\":\"0.125\"} 2.0",
        h + "_bucket {\"endpoint\":\"orders\",\"le\":\"0.5\"} 2.0",
        h + "_bucket {\"endpoint\":\"orders\",\"le\":\"1\"} 3.0",
        h + "_bucket {\"endpoint\":\"orders\",\"le\":\"+Inf\"} 4.0",
        h + "_sum {\"endpoint\":\"orders\"} 3.9375",
        h + "_count {\"endpoint\":\"orders\"} 4.0",
        "family webhook_deliveries counter \"Deliveries settled, by outcome.\"",
        d + "\"billing\",\"outcome\":\"delivered\"} 1.0",
        d + "\"collected\",\"outcome\":\"gone\"} 7.0",
        d + "\"orders\",\"outcome\":\"delivered\"} 3.0",
        "family webhook_in_flight gauge \"Requests in flight.\"",
        "sample webhook_in_flight {} 4.0",
        "family webhook_limit gauge \"The concurrency limit.\"",
        "sample webhook_limit {} inf",
        "family webhook_queue_depth gauge \"Events \\\"waiting\\\".\\nSecond line, a \\\\ "
        "backslash.\"",
        "sample webhook_queue_depth {\"endpoint\":\"a \\\"quoted\\\"\\nname\\\\\"} 2.5",
    };
}

} // namespace

BOOST_AUTO_TEST_CASE(prometheus_text_reads_back_as_registered) {
    webhook::test::sample_registry s;
    const auto lines = parsed("prometheus", s.registry.prometheus_text());
    BOOST_TEST(lines == expected_lines(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(openmetrics_reads_back_as_registered) {
    webhook::test::sample_registry s;
    const auto lines = parsed("openmetrics", s.registry.openmetrics_text());
    BOOST_TEST(lines == expected_lines(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(extreme_values_and_unicode_read_back_in_both_formats) {
    webhook::metrics_registry r;
    r.gauge("g", "gauge \xE2\x9C\x93", {{"k", "nan"}})
        .set(std::numeric_limits<double>::quiet_NaN());
    r.gauge("g", "", {{"k", "neg"}}).set(-INFINITY);
    r.gauge("g", "", {{"k", "tiny"}}).set(5e-324);
    r.gauge("g", "", {{"k", "\xC3\xA9t\xC3\xA9"}}).set(-1e300);
    r.counter("c_total", "").inc(std::uint64_t{1} << 53);
    r.histogram("t", "", {}, {-1, 1}).observe(0);
    const std::vector<std::string> gauges = {
        "family g gauge \"gauge \xE2\x9C\x93\"",
        "sample g {\"k\":\"nan\"} nan",
        "sample g {\"k\":\"neg\"} -inf",
        "sample g {\"k\":\"tiny\"} 5e-324",
        "sample g {\"k\":\"\xC3\xA9t\xC3\xA9\"} -1e+300",
    };
    for (const auto* format : {"prometheus", "openmetrics"}) {
        BOOST_TEST_CONTEXT(format) {
            const bool om = std::string(format) == "openmetrics";
            auto expected = std::vector<std::string>{"family c counter \"\"",
                                                     "sample c_total {} 9007199254740992.0"};
            expected.insert(expected.end(), gauges.begin(), gauges.end());
            expected.insert(expected.end(),
                            {"family t histogram \"\"", "sample t_bucket {\"le\":\"-1\"} 0.0",
                             "sample t_bucket {\"le\":\"1\"} 1.0",
                             "sample t_bucket {\"le\":\"+Inf\"} 1.0"});
            if (!om) // OpenMetrics has no _sum and _count with a negative bucket
                expected.insert(expected.end(), {"sample t_sum {} 0.0", "sample t_count {} 1.0"});
            const auto text = om ? r.openmetrics_text() : r.prometheus_text();
            BOOST_TEST(parsed(format, text) == expected, boost::test_tools::per_element());
        }
    }
}
