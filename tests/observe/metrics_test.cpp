#include <webhook/observe/metrics.hpp>

#define BOOST_TEST_MODULE observe_metrics
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "observe/sample_registry.hpp"

// The registry and its two exposition formats, exactly; what it refuses and why; series
// removal; the hot path's totals under contention; the histogram's bucket edges.

using webhook::metric_labels;
using webhook::metrics_registry;

namespace {

const std::string histogram_samples =
    R"(webhook_attempt_duration_seconds_bucket{endpoint="orders",le="0.125"} 2
webhook_attempt_duration_seconds_bucket{endpoint="orders",le="0.5"} 2
webhook_attempt_duration_seconds_bucket{endpoint="orders",le="1"} 3
webhook_attempt_duration_seconds_bucket{endpoint="orders",le="+Inf"} 4
webhook_attempt_duration_seconds_sum{endpoint="orders"} 3.9375
webhook_attempt_duration_seconds_count{endpoint="orders"} 4
)";

const std::string counter_samples =
    R"(webhook_deliveries_total{endpoint="billing",outcome="delivered"} 1
webhook_deliveries_total{endpoint="collected",outcome="gone"} 7
webhook_deliveries_total{endpoint="orders",outcome="delivered"} 3
)";

// Checks that `f` throws std::invalid_argument whose message is exactly `message`.
template <class F>
void check_refused(F&& f, const std::string& message) {
    try {
        f();
        BOOST_ERROR("not refused; expected: " << message);
    } catch (const std::invalid_argument& e) {
        BOOST_TEST(e.what() == message);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(exposition)

BOOST_AUTO_TEST_CASE(prometheus_text_groups_families_sorts_series_and_escapes) {
    webhook::test::sample_registry s;
    const std::string expected = "# HELP webhook_attempt_duration_seconds Attempt latency.\n"
                                 "# TYPE webhook_attempt_duration_seconds histogram\n" +
                                 histogram_samples +
                                 "# HELP webhook_deliveries_total Deliveries settled, by outcome.\n"
                                 "# TYPE webhook_deliveries_total counter\n" +
                                 counter_samples +
                                 R"(# HELP webhook_in_flight Requests in flight.
# TYPE webhook_in_flight gauge
webhook_in_flight 4
# HELP webhook_limit The concurrency limit.
# TYPE webhook_limit gauge
webhook_limit +Inf
# HELP webhook_queue_depth Events "waiting".\nSecond line, a \\ backslash.
# TYPE webhook_queue_depth gauge
webhook_queue_depth{endpoint="a \"quoted\"\nname\\"} 2.5
)";
    BOOST_TEST(s.registry.prometheus_text() == expected);
}

BOOST_AUTO_TEST_CASE(openmetrics_names_counter_families_without_total_and_ends_with_eof) {
    webhook::test::sample_registry s;
    const std::string expected = "# HELP webhook_attempt_duration_seconds Attempt latency.\n"
                                 "# TYPE webhook_attempt_duration_seconds histogram\n" +
                                 histogram_samples +
                                 "# HELP webhook_deliveries Deliveries settled, by outcome.\n"
                                 "# TYPE webhook_deliveries counter\n" +
                                 counter_samples +
                                 R"(# HELP webhook_in_flight Requests in flight.
# TYPE webhook_in_flight gauge
webhook_in_flight 4
# HELP webhook_limit The concurrency limit.
# TYPE webhook_limit gauge
webhook_limit +Inf
# HELP webhook_queue_depth Events \"waiting\".\nSecond line, a \\ backslash.
# TYPE webhook_queue_depth gauge
webhook_queue_depth{endpoint="a \"quoted\"\nname\\"} 2.5
# EOF
)";
    BOOST_TEST(s.registry.openmetrics_text() == expected);
}

BOOST_AUTO_TEST_CASE(an_empty_registry_writes_nothing_or_only_eof) {
    metrics_registry r;
    BOOST_TEST(r.prometheus_text() == "");
    BOOST_TEST(r.openmetrics_text() == "# EOF\n");
}

BOOST_AUTO_TEST_CASE(numbers_are_shortest_round_trip_with_inf_and_nan_spelled_out) {
    metrics_registry r;
    r.gauge("a", "", {{"k", "1"}}).set(0.1);
    r.gauge("a", "", {{"k", "2"}}).set(-INFINITY);
    r.gauge("a", "", {{"k", "3"}}).set(std::numeric_limits<double>::quiet_NaN());
    r.gauge("a", "", {{"k", "4"}}).set(1e21);
    r.gauge("a", "", {{"k", "5"}}).set(-0.000125);
    r.counter("b_total", "").inc(std::numeric_limits<std::uint64_t>::max());
    BOOST_TEST(r.prometheus_text() == R"(# TYPE a gauge
a{k="1"} 0.1
a{k="2"} -Inf
a{k="3"} NaN
a{k="4"} 1e+21
a{k="5"} -0.000125
# TYPE b_total counter
b_total 18446744073709551615
)");
}

BOOST_AUTO_TEST_CASE(labels_given_in_any_order_name_the_same_series) {
    metrics_registry r;
    auto& a = r.counter("c_total", "", {{"b", "2"}, {"a", "1"}});
    auto& b = r.counter("c_total", "", {{"a", "1"}, {"b", "2"}});
    BOOST_TEST(&a == &b);
    b.inc(2);
    BOOST_TEST(r.prometheus_text() == "# TYPE c_total counter\nc_total{a=\"1\",b=\"2\"} 2\n");
}

BOOST_AUTO_TEST_CASE(a_negative_bound_drops_sum_and_count_in_openmetrics_only) {
    metrics_registry r;
    r.histogram("t", "", {}, {-1, 1}).observe(-2);
    BOOST_TEST(r.openmetrics_text() == R"(# TYPE t histogram
t_bucket{le="-1"} 1
t_bucket{le="1"} 1
t_bucket{le="+Inf"} 1
# EOF
)");
    BOOST_TEST(r.prometheus_text().ends_with("t_sum -2\nt_count 1\n"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(refusals)

BOOST_AUTO_TEST_CASE(bad_metric_names_are_refused_naming_the_metric) {
    metrics_registry r;
    const std::string grammar = ": invalid name: a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*";
    check_refused([&] { r.gauge("1abc", ""); }, "metric \"1abc\"" + grammar);
    check_refused([&] { r.gauge("", ""); }, "metric \"\"" + grammar);
    check_refused([&] { r.gauge("a-b", ""); }, "metric \"a-b\"" + grammar);
    check_refused([&] { r.histogram("a b", ""); }, "metric \"a b\"" + grammar);
    check_refused([&] { r.counter("caf\xC3\xA9_total", ""); },
                  "metric \"caf\xC3\xA9_total\"" + grammar);
    const std::string total =
        ": a counter's name must end in _total (OpenMetrics writes the family "
        "without it and the sample with it)";
    check_refused([&] { r.counter("requests", ""); }, "metric \"requests\"" + total);
    check_refused([&] { r.counter("_total", ""); }, "metric \"_total\"" + total);
    r.gauge("ns:sub_name_1", "").set(1); // colons and digits are fine
}

BOOST_AUTO_TEST_CASE(bad_labels_are_refused_naming_the_metric_and_the_label) {
    metrics_registry r;
    check_refused(
        [&] {
            r.gauge("g", "", {{"1a", "v"}});
        },
        "metric \"g\": invalid label name \"1a\": a label name must match "
        "[a-zA-Z_][a-zA-Z0-9_]*");
    check_refused(
        [&] {
            r.gauge("g", "", {{"a:b", "v"}});
        },
        "metric \"g\": invalid label name \"a:b\": a label name must match "
        "[a-zA-Z_][a-zA-Z0-9_]*");
    check_refused(
        [&] {
            r.gauge("g", "", {{"__name", "v"}});
        },
        "metric \"g\": invalid label name \"__name\": names starting with __ are "
        "reserved");
    check_refused(
        [&] {
            r.histogram("h", "", {{"le", "1"}});
        },
        "metric \"h\": label name \"le\" is reserved for a histogram's buckets");
    check_refused(
        [&] {
            r.gauge("g", "", {{"a", "1"}, {"a", "2"}});
        },
        "metric \"g\": label \"a\" given twice");
    check_refused(
        [&] {
            r.gauge("g", "", {{"a", "\xFF"}});
        },
        "metric \"g\": the value of label \"a\" is not valid UTF-8");
    check_refused([&] { r.gauge("g", "\xC3"); }, "metric \"g\": the HELP text is not valid UTF-8");
    r.gauge("g", "", {{"le", "1"}}).set(1); // le is only reserved on histograms
    BOOST_TEST(r.prometheus_text() == "# TYPE g gauge\ng{le=\"1\"} 1\n");
}

BOOST_AUTO_TEST_CASE(one_name_with_two_types_is_refused) {
    metrics_registry r;
    r.counter("x_total", "");
    r.gauge("y", "");
    check_refused([&] { r.gauge("x_total", ""); },
                  "metric \"x_total\": registered as a counter, not a gauge");
    check_refused([&] { r.histogram("y", ""); },
                  "metric \"y\": registered as a gauge, not a histogram");
}

BOOST_AUTO_TEST_CASE(names_clashing_in_the_exposition_are_refused) {
    metrics_registry r;
    r.counter("x_total", "");
    r.histogram("h", "");
    check_refused([&] { r.gauge("x", ""); },
                  "metric \"x\": its samples' name \"x\" clashes with counter \"x_total\"");
    check_refused([&] { r.gauge("x_created", ""); },
                  "metric \"x_created\": its samples' name \"x_created\" clashes with counter "
                  "\"x_total\"");
    check_refused([&] { r.gauge("h_count", ""); },
                  "metric \"h_count\": its samples' name \"h_count\" clashes with histogram \"h\"");
    check_refused([&] { r.histogram("x", ""); },
                  "metric \"x\": its samples' name \"x\" clashes with counter \"x_total\"");
}

BOOST_AUTO_TEST_CASE(bad_or_changed_bucket_bounds_are_refused) {
    metrics_registry r;
    check_refused(
        [&] {
            r.histogram("h", "", {}, {1, 1});
        },
        "metric \"h\": bucket bounds must be strictly increasing");
    check_refused(
        [&] {
            r.histogram("h", "", {}, {2, 1});
        },
        "metric \"h\": bucket bounds must be strictly increasing");
    check_refused(
        [&] {
            r.histogram("h", "", {}, {1, INFINITY});
        },
        "metric \"h\": bucket bounds must be finite (the +Inf bucket is implicit)");
    check_refused([&] { r.histogram("h", "", {}, {std::numeric_limits<double>::quiet_NaN()}); },
                  "metric \"h\": bucket bounds must be finite (the +Inf bucket is implicit)");
    r.histogram("h", "", {{"a", "1"}}, {1, 2});
    check_refused(
        [&] {
            r.histogram("h", "", {{"a", "2"}}, {1, 3});
        },
        "metric \"h\": registered with other bucket bounds");
    check_refused(
        [&] {
            webhook::metric_histogram standalone({3, 2});
        },
        "metric \"metric_histogram\": bucket bounds must be strictly increasing");
}

BOOST_AUTO_TEST_CASE(a_refused_registration_leaves_nothing_behind) {
    metrics_registry r;
    check_refused(
        [&] {
            r.gauge("g", "", {{"__x", "1"}});
        },
        "metric \"g\": invalid label name \"__x\": names starting with __ are reserved");
    BOOST_TEST(r.prometheus_text() == "");
    r.counter("g_total", "").inc(); // no family "g" was claimed
    BOOST_TEST(r.prometheus_text() == "# TYPE g_total counter\ng_total 1\n");
}

BOOST_AUTO_TEST_CASE(a_collector_sample_of_another_type_or_a_duplicate_fails_the_exposition) {
    metrics_registry r;
    r.gauge("depth", "").set(1);
    r.counter("sent_total", "").inc();
    {
        auto c =
            r.add_collector([](webhook::metric_writer& w) { w.gauge("sent_total", "", {}, 1); });
        check_refused([&] { (void)r.prometheus_text(); },
                      "metric \"sent_total\": registered as a counter, not a gauge");
    }
    {
        auto c =
            r.add_collector([](webhook::metric_writer& w) { w.counter("depth_total", "", {}, 1); });
        check_refused(
            [&] { (void)r.prometheus_text(); },
            "metric \"depth_total\": its samples' name \"depth\" clashes with gauge \"depth\"");
    }
    {
        auto c = r.add_collector([](webhook::metric_writer& w) { w.gauge("depth", "", {}, 2); });
        check_refused([&] { (void)r.openmetrics_text(); },
                      "metric \"depth\": a collector wrote a series that was already written");
    }
    {
        auto c = r.add_collector([](webhook::metric_writer& w) { w.counter("bad", "", {}, 1); });
        check_refused([&] { (void)r.prometheus_text(); },
                      "metric \"bad\": a counter's name must end in _total (OpenMetrics writes the "
                      "family without it and the sample with it)");
    }
    BOOST_TEST(r.prometheus_text() ==
               "# TYPE depth gauge\ndepth 1\n# TYPE sent_total counter\nsent_total 1\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(series)

BOOST_AUTO_TEST_CASE(remove_drops_every_series_with_the_label_and_empty_families) {
    metrics_registry r;
    r.counter("sent_total", "", {{"endpoint", "a"}, {"status", "2xx"}}).inc(1);
    r.counter("sent_total", "", {{"endpoint", "b"}, {"status", "2xx"}}).inc(2);
    r.gauge("depth", "", {{"endpoint", "a"}}).set(5);
    r.histogram("lat", "", {{"endpoint", "a"}}, {1}).observe(0.5);
    auto& kept = r.gauge("limit", "", {{"endpoint", "ab"}});
    kept.set(3);
    r.remove("endpoint", "a");
    BOOST_TEST(r.prometheus_text() == R"(# TYPE limit gauge
limit{endpoint="ab"} 3
# TYPE sent_total counter
sent_total{endpoint="b",status="2xx"} 2
)");
    kept.set(4); // a series not removed is still the same one
    BOOST_TEST(r.prometheus_text().find("limit{endpoint=\"ab\"} 4\n") != std::string::npos);
    // A family removed with its last series frees its name, for another type even.
    r.counter("depth_total", "").inc();
    r.gauge("lat", "").set(1);
    r.counter("sent_total", "", {{"endpoint", "a"}, {"status", "2xx"}}).inc(1); // anew, at 0
    BOOST_TEST(r.prometheus_text().find("sent_total{endpoint=\"a\",status=\"2xx\"} 1\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(held_series_go_with_the_last_hold_of_their_label) {
    auto r = std::make_unique<metrics_registry>();
    auto first = r->hold("endpoint", "a");
    auto& sent = r->counter("sent_total", "", {{"endpoint", "a"}});
    sent.inc();
    auto second = r->hold("endpoint", "a"); // a successor of the same name shares the series
    first.reset();
    sent.inc(); // still valid: the second hold keeps it
    BOOST_TEST(r->prometheus_text() == "# TYPE sent_total counter\nsent_total{endpoint=\"a\"} 2\n");
    auto other = r->hold("endpoint", "b");
    r->counter("sent_total", "", {{"endpoint", "b"}}).inc();
    second.reset();
    BOOST_TEST(r->prometheus_text() == "# TYPE sent_total counter\nsent_total{endpoint=\"b\"} 1\n");
    r.reset();
    other.reset(); // after its registry: the state it removes from lives as long as the hold
}

BOOST_AUTO_TEST_CASE(a_destroyed_collection_stops_its_collector_even_after_its_registry) {
    auto r = std::make_unique<metrics_registry>();
    webhook::metrics_collection moved;
    {
        auto c = r->add_collector([](webhook::metric_writer& w) { w.gauge("g", "", {}, 1); });
        BOOST_TEST(r->prometheus_text() == "# TYPE g gauge\ng 1\n");
        moved = std::move(c);
    }
    BOOST_TEST(r->prometheus_text() == "# TYPE g gauge\ng 1\n"); // moved, not destroyed
    moved.reset();
    BOOST_TEST(r->prometheus_text() == "");
    auto late = r->add_collector([](webhook::metric_writer&) {});
    r.reset();
    late.reset(); // its registry is gone: nothing to do, nothing to crash
}

BOOST_AUTO_TEST_CASE(eight_threads_incrementing_and_observing_give_exact_totals) {
    metrics_registry r;
    auto& c = r.counter("n_total", "");
    auto& g = r.gauge("g", "");
    auto& h = r.histogram("h", "", {}, {1, 2});
    constexpr int threads = 8, per_thread = 100000;
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t)
            workers.emplace_back([&] {
                for (int i = 0; i < per_thread; ++i) {
                    c.inc();
                    g.add(1);
                    h.observe(static_cast<double>(i % 3)); // 0, 1, 2: exact in binary
                }
            });
    }
    BOOST_TEST(c.value() == std::uint64_t{threads * per_thread});
    BOOST_TEST(g.value() == double{threads * per_thread});
    BOOST_TEST(h.count() == std::uint64_t{threads * per_thread});
    const std::uint64_t zeros = threads * 33334, ones = threads * 33333, twos = threads * 33333;
    BOOST_TEST(h.sum() == static_cast<double>(ones + 2 * twos));
    BOOST_TEST(h.bucket_counts() == (std::vector<std::uint64_t>{zeros + ones, zeros + ones + twos,
                                                                zeros + ones + twos}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_value_equal_to_a_bound_is_counted_in_that_bucket) {
    webhook::metric_histogram h({0.5, 1, 2.5});
    h.observe(0.5);                      // le=0.5
    h.observe(std::nextafter(0.5, 1.0)); // le=1
    h.observe(1);                        // le=1
    h.observe(2.5);                      // le=2.5
    h.observe(2.6);                      // +Inf
    h.observe(-INFINITY);                // le=0.5
    h.observe(INFINITY);                 // +Inf
    h.observe(std::nan(""));             // +Inf (and the sum becomes NaN)
    BOOST_TEST(h.bucket_counts() == (std::vector<std::uint64_t>{2, 4, 5, 8}),
               boost::test_tools::per_element());
    BOOST_TEST(h.count() == 8u);
    BOOST_TEST(std::isnan(h.sum()));
    BOOST_TEST(h.bounds().size() == 3u);
}

BOOST_AUTO_TEST_CASE(an_empty_bounds_list_keeps_only_the_inf_bucket) {
    metrics_registry r;
    r.histogram("h", "", {}, {}).observe(7);
    BOOST_TEST(r.prometheus_text() ==
               "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 7\nh_count 1\n");
}

BOOST_AUTO_TEST_CASE(default_latency_buckets_are_the_documented_ones) {
    BOOST_TEST(webhook::default_latency_buckets() ==
                   (std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
