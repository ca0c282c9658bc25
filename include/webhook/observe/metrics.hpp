#ifndef WEBHOOK_OBSERVE_METRICS_HPP
#define WEBHOOK_OBSERVE_METRICS_HPP

/** @file
    Metrics in the Prometheus data model, without a dependency: counters, gauges and
    histograms kept in a registry, and the registry written in the Prometheus text format
    0.0.4 or in OpenMetrics 1.0.0. `<webhook/observe/metrics_listener.hpp>` serves it over
    HTTP for a Prometheus server to scrape. */

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhook {

namespace detail {
struct registry_state;
struct collected_samples;
} // namespace detail

/** A series' labels: name and value pairs, in any order (the registry sorts them by name).

    A label name matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with `__`; `le` is
    reserved on histograms. A value is any valid UTF-8. */
using metric_labels = std::vector<std::pair<std::string, std::string>>;

/** A monotonically increasing count: of requests, of deliveries, of bytes.

    Normally obtained from `metrics_registry::counter`. Every member is lock-free and never
    allocates: it belongs on a hot path. */
class metric_counter {
public:
    metric_counter() noexcept = default;
    metric_counter(const metric_counter&) = delete;
    metric_counter& operator=(const metric_counter&) = delete;

    /// Adds `n`.
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }

    /// The current count.
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

/** A value that goes up and down: a queue's depth, requests in flight, a limit.

    Normally obtained from `metrics_registry::gauge`. Lock-free, never allocates. */
class metric_gauge {
public:
    metric_gauge() noexcept = default;
    metric_gauge(const metric_gauge&) = delete;
    metric_gauge& operator=(const metric_gauge&) = delete;

    /// Sets the value (NaN and infinities included).
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }

    /// Adds `d` (negative to subtract), atomically with respect to other `add` calls.
    void add(double d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }

    /// The current value.
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

/** A distribution of observed values (latencies, sizes) counted in buckets.

    A bucket counts the observations less than or equal to its upper bound (a value equal to
    a bound is in that bound's bucket); the last bucket, `+Inf`, counts them all (NaN too).
    Normally obtained from `metrics_registry::histogram`. `observe` finds the bucket by binary
    search and updates atomics: lock-free, no allocation. */
class metric_histogram {
public:
    /** A histogram with the given bucket upper bounds.

        @throws std::invalid_argument if a bound is not finite or the bounds are not strictly
        increasing. */
    explicit metric_histogram(std::vector<double> bounds);
    metric_histogram(const metric_histogram&) = delete;
    metric_histogram& operator=(const metric_histogram&) = delete;

    /// Counts `v` in its bucket and adds it to the sum.
    void observe(double v) noexcept;

    /// The number of observations.
    std::uint64_t count() const noexcept;

    /// The sum of the observations.
    double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

    /// The buckets' upper bounds, without the implicit `+Inf`.
    std::span<const double> bounds() const noexcept { return bounds_; }

    /** The cumulative count of each bucket, as exposed: element `i` counts the observations
        `<= bounds()[i]`; one more element, last, counts all of them (`+Inf`). */
    std::vector<std::uint64_t> bucket_counts() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_; // per bucket, not cumulative
    std::atomic<double> sum_{0};
};

/// Default latency buckets in seconds: 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10.
std::vector<double> default_latency_buckets();

/** What a collector writes: samples of values that live elsewhere (a queue's depth, a
    dispatcher's own counters), computed at exposition time.

    A sample whose name is a family of the registry joins that family (its labels must then
    make a series of their own); otherwise samples of one name form a family, whose HELP is the
    first sample's. Names and labels follow the rules of `metrics_registry`.

    @throws std::invalid_argument from either function when a name or label is refused, when
    the name is a family of another type, or when the series was already written; the
    exception leaves the exposition (`prometheus_text`, `openmetrics_text`) that ran the
    collector. */
class metric_writer {
public:
    metric_writer(const metric_writer&) = delete;
    metric_writer& operator=(const metric_writer&) = delete;

    /// A counter's sample; `name` ends in `_total`.
    void counter(std::string_view name, std::string_view help, const metric_labels& labels,
                 std::uint64_t value);

    /// A gauge's sample.
    void gauge(std::string_view name, std::string_view help, const metric_labels& labels,
               double value);

private:
    friend struct detail::collected_samples;
    explicit metric_writer(detail::collected_samples& out) noexcept : out_(&out) {}
    detail::collected_samples* out_;
};

/** A collector's registration: the collector is removed when this is destroyed (or
    `reset`), and runs no more once that returns. May outlive its registry. Movable. */
class [[nodiscard]] metrics_collection {
public:
    metrics_collection() noexcept = default;
    metrics_collection(metrics_collection&& other) noexcept;
    metrics_collection& operator=(metrics_collection&& other) noexcept;
    ~metrics_collection() { reset(); }

    /// Removes the collector now, waiting for an exposition that is running it.
    void reset() noexcept;

private:
    friend class metrics_registry;
    metrics_collection(std::weak_ptr<detail::registry_state> state, std::uint64_t id) noexcept
        : state_(std::move(state)), id_(id) {}
    std::weak_ptr<detail::registry_state> state_;
    std::uint64_t id_ = 0;
};

/** The metrics of a program: families of series, each family a name with a HELP text and a
    type, each series one set of labels.

    Names: a metric name matches `[a-zA-Z_:][a-zA-Z0-9_:]*`, and a counter's ends in `_total`
    (the Prometheus convention, which OpenMetrics requires: its family is written without the
    suffix, its sample with it). A name is one type only, and no two families may write
    samples of the same name (a gauge `x` beside a counter `x_total`, a gauge `h_count` beside
    a histogram `h`). A series is identified by its name and its labels, whatever their order.
    A HELP text is any valid UTF-8; the first registration's is kept.

    Output: families in the order of their names, each once (with the collectors' samples of
    that name), its series in the order of their labels, so that it is exactly reproducible.

    Threads: every member may be called from any thread. Creating, removing and exposition
    take a mutex; the series' own members (`inc`, `set`, `observe`) take none.

    @throws std::invalid_argument (from `counter`, `gauge`, `histogram`) when a name, label or
    bound is refused, when the name is registered with another type, or a histogram with other
    bounds; the message names the metric and the problem. */
class metrics_registry {
public:
    metrics_registry();
    metrics_registry(const metrics_registry&) = delete;
    metrics_registry& operator=(const metrics_registry&) = delete;
    ~metrics_registry();

    /** The counter `name` with `labels`, created at zero if new. The reference stays valid
        until a `remove` that matches the series, or the registry's end. */
    metric_counter& counter(std::string_view name, std::string_view help,
                            metric_labels labels = {});

    /// The gauge `name` with `labels`, created at zero if new; valid as for `counter`.
    metric_gauge& gauge(std::string_view name, std::string_view help, metric_labels labels = {});

    /** The histogram `name` with `labels`, created empty if new; valid as for `counter`.
        Every series of one histogram has the same `bounds`. */
    metric_histogram& histogram(std::string_view name, std::string_view help,
                                metric_labels labels = {},
                                std::vector<double> bounds = default_latency_buckets());

    /** Registers `collect`, which each exposition calls (under the registry's mutex, so
        never at once with itself) to write samples of values kept elsewhere. It must not call
        the registry. Removed when the returned handle goes. */
    [[nodiscard]] metrics_collection add_collector(std::function<void(metric_writer&)> collect);

    /** Removes every series that has the label `label_name` with the value `label_value` (an
        endpoint removed); a family left without series is removed with them, and its name
        may then be registered anew. References to the removed series become invalid: call
        this once nothing uses them. */
    void remove(std::string_view label_name, std::string_view label_value);

    /** Keeps the series labelled `label_name` = `label_value` until the last handle for that
        label goes, which then removes them as `remove` does. Two users of one label (a
        dispatcher and the one replacing it, for one endpoint name) share its series and
        neither removes them under the other. */
    [[nodiscard]] std::shared_ptr<const void> hold(std::string_view label_name,
                                                   std::string_view label_value);

    /// The metrics in the Prometheus text format, version 0.0.4.
    std::string prometheus_text() const;

    /// The metrics in OpenMetrics 1.0.0, ending in `# EOF\n`.
    std::string openmetrics_text() const;

private:
    std::shared_ptr<detail::registry_state> state_;
};

} // namespace webhook

#include <webhook/observe/impl/metrics.hpp>

#endif
