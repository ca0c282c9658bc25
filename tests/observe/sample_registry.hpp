#ifndef WEBHOOK_TESTS_OBSERVE_SAMPLE_REGISTRY_HPP
#define WEBHOOK_TESTS_OBSERVE_SAMPLE_REGISTRY_HPP

#include <webhook/observe/metrics.hpp>

#include <cmath>

namespace webhook::test {

// A registry with every kind of series, labels and HELP texts needing escapes, and a
// collector whose samples join a registered family and make one of their own.
struct sample_registry {
    webhook::metrics_registry registry;
    webhook::metrics_collection collection;

    sample_registry() {
        auto& h = registry.histogram("webhook_attempt_duration_seconds", "Attempt latency.",
                                     {{"endpoint", "orders"}}, {0.125, 0.5, 1});
        for (const double v : {0.0625, 0.125, 0.75, 3.0})
            h.observe(v);
        registry
            .counter("webhook_deliveries_total", "Deliveries settled, by outcome.",
                     {{"outcome", "delivered"}, {"endpoint", "orders"}})
            .inc(3);
        registry
            .counter("webhook_deliveries_total", "ignored: the first HELP stays",
                     {{"endpoint", "billing"}, {"outcome", "delivered"}})
            .inc();
        registry.gauge("webhook_limit", "The concurrency limit.").set(INFINITY);
        registry
            .gauge("webhook_queue_depth", "Events \"waiting\".\nSecond line, a \\ backslash.",
                   {{"endpoint", "a \"quoted\"\nname\\"}})
            .set(2.5);
        collection = registry.add_collector([](webhook::metric_writer& w) {
            w.counter("webhook_deliveries_total", "not used: the family has its HELP",
                      {{"endpoint", "collected"}, {"outcome", "gone"}}, 7);
            w.gauge("webhook_in_flight", "Requests in flight.", {}, 4);
        });
    }
};

} // namespace webhook::test

#endif
