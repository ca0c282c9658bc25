#ifndef WEBHOOK_DISPATCH_DETAIL_DISPATCH_METRICS_HPP
#define WEBHOOK_DISPATCH_DETAIL_DISPATCH_METRICS_HPP

#include <webhook/dispatch/delivery.hpp>
#include <webhook/observe/metrics.hpp>

#include <boost/system/error_code.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace webhook::detail {

/** A dispatcher's series in a `metrics_registry`: what changes per attempt or per event is
    counted here, through handles resolved once (an atomic add each, no lock, no lookup); what
    the dispatcher keeps anyway (its counters, the queue, the circuit) is read at scrape time
    by `collect`. Empty without a registry: every call is a test of one pointer. */
class dispatch_metrics {
public:
    dispatch_metrics() = default;

    /// `gauges` writes the values read at scrape time; it is given `endpoint`'s labels.
    dispatch_metrics(std::shared_ptr<metrics_registry> registry, std::string endpoint,
                     std::function<void(metric_writer&, const metric_labels&)> gauges)
        : registry_(std::move(registry)), endpoint_(std::move(endpoint)) {
        if (!registry_)
            return;
        held_ = registry_->hold("endpoint", endpoint_);
        const metric_labels labels{{"endpoint", endpoint_}};
        static constexpr std::array<const char*, 6> classes{"1xx", "2xx", "3xx",
                                                            "4xx", "5xx", "error"};
        for (std::size_t i = 0; i < classes.size(); ++i)
            attempts_[i] = &registry_->counter("webhook_attempts_total",
                                               "Attempts by the class of their HTTP status",
                                               {{"endpoint", endpoint_}, {"status", classes[i]}});
        attempt_seconds_ =
            &registry_->histogram("webhook_attempt_duration_seconds",
                                  "From the start of an attempt to its answer or error", labels);
        delay_seconds_ = &registry_->histogram(
            "webhook_delivery_delay_seconds",
            "From the acceptance of an event to its outcome (delivered or not)", labels);
        dead_letters_ = &registry_->counter("webhook_dead_letters_total",
                                            "Events written to the dead letters", labels);
        collection_ = registry_->add_collector(
            [gauges = std::move(gauges), labels](metric_writer& w) { gauges(w, labels); });
    }

    dispatch_metrics(const dispatch_metrics&) = delete;
    dispatch_metrics& operator=(const dispatch_metrics&) = delete;

    ~dispatch_metrics() { collection_.reset(); } // then `held_` goes: see there

    /// Stops writing the gauges (the dispatcher is gone; a successor may write them now).
    void detach() noexcept { collection_.reset(); }

    explicit operator bool() const noexcept { return registry_ != nullptr; }

    void attempt(int status, boost::system::error_code ec, std::chrono::nanoseconds took) noexcept {
        if (!registry_)
            return;
        const std::size_t i = ec || status < 100 || status > 599 ? 5 : status / 100 - 1;
        attempts_[i]->inc();
        attempt_seconds_->observe(std::chrono::duration<double>(took).count());
    }

    void settled(std::chrono::nanoseconds delay) noexcept {
        if (registry_)
            delay_seconds_->observe(std::chrono::duration<double>(delay).count());
    }

    void dead_letter() noexcept {
        if (registry_)
            dead_letters_->inc();
    }

private:
    std::shared_ptr<metrics_registry> registry_;
    // Keeps this endpoint's series while this or a successor of the same name uses them.
    std::shared_ptr<const void> held_;
    std::string endpoint_;
    std::array<metric_counter*, 6> attempts_{};
    metric_histogram* attempt_seconds_ = nullptr;
    metric_histogram* delay_seconds_ = nullptr;
    metric_counter* dead_letters_ = nullptr;
    metrics_collection collection_;
};

/** Writes a dispatcher's counters and gauges (read at scrape time) under `labels`. */
inline void write_dispatcher_gauges(metric_writer& w, const metric_labels& labels,
                                    const dispatcher_counters& c) {
    const auto with = [&](const char* name, const char* value) {
        metric_labels l = labels;
        l.emplace_back(name, value);
        return l;
    };
    w.counter("webhook_events_accepted_total", "Events accepted", labels, c.accepted);
    const char* help = "Events settled, by outcome";
    w.counter("webhook_events_total", help, with("outcome", "delivered"), c.delivered);
    w.counter("webhook_events_total", help, with("outcome", "failed"), c.failed);
    w.counter("webhook_events_total", help, with("outcome", "dropped"), c.dropped);
    w.counter("webhook_events_total", help, with("outcome", "rejected"), c.rejected);
    w.counter("webhook_events_total", help, with("outcome", "abandoned"), c.abandoned);
    w.counter("webhook_retried_attempts_total", "Attempts after the first", labels,
              c.retried_attempts);
    w.gauge("webhook_queue_depth", "Events waiting in memory for their first attempt", labels,
            static_cast<double>(c.queued));
    w.gauge("webhook_in_flight", "Events being sent or waiting to retry", labels,
            static_cast<double>(c.in_flight));
    w.gauge("webhook_spool_backlog", "Events in the spool not yet read back into memory", labels,
            static_cast<double>(c.spooled));
    w.gauge("webhook_circuit_state", "The circuit breaker: 0 closed, 1 half-open, 2 open", labels,
            c.circuit == circuit_state::closed      ? 0
            : c.circuit == circuit_state::half_open ? 1
                                                    : 2);
    w.gauge("webhook_concurrency_limit", "Requests that may be in flight at once now", labels,
            static_cast<double>(c.concurrency_limit));
}

} // namespace webhook::detail

#endif
