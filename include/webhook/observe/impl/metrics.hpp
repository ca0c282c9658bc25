#ifndef WEBHOOK_OBSERVE_IMPL_METRICS_HPP
#define WEBHOOK_OBSERVE_IMPL_METRICS_HPP

#include <webhook/observe/detail/exposition.hpp>
#include <webhook/observe/detail/metric_names.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace webhook {

namespace detail {

/// A family's series; only the map of its type is used. Map nodes do not move: the
/// references the registry hands out stay valid while their series is there.
struct metric_family {
    std::string help;
    metric_type type = metric_type::gauge;
    std::vector<double> bounds;
    std::map<label_set, metric_counter> counters;
    std::map<label_set, metric_gauge> gauges;
    std::map<label_set, metric_histogram> histograms;

    bool empty() const noexcept { return counters.empty() && gauges.empty() && histograms.empty(); }
};

/// The registry's state, shared with the collectors' handles (which may outlive it).
struct registry_state {
    std::mutex mutex;
    std::map<std::string, metric_family, std::less<>> families;
    family_names names;
    std::map<std::uint64_t, std::function<void(metric_writer&)>> collectors;
    std::uint64_t next_collector = 1;
    /// Handles of `hold` by label name and value.
    std::map<std::pair<std::string, std::string>, std::size_t, std::less<>> holds;
};

/// `metrics_registry::remove`, with the mutex held.
inline void remove_series(registry_state& s, std::string_view label_name,
                          std::string_view label_value) {
    const auto matches = [&](const auto& series) {
        return std::any_of(series.first.begin(), series.first.end(), [&](const auto& label) {
            return label.first == label_name && label.second == label_value;
        });
    };
    for (auto it = s.families.begin(); it != s.families.end();) {
        auto& f = it->second;
        std::erase_if(f.counters, matches);
        std::erase_if(f.gauges, matches);
        std::erase_if(f.histograms, matches);
        if (f.empty()) {
            s.names.release(it->first, f.type);
            it = s.families.erase(it);
        } else {
            ++it;
        }
    }
}

[[noreturn]] inline void refuse_type(std::string_view name, metric_type had, metric_type wanted) {
    refuse_metric(name, "registered as a " + std::string(type_name(had)) + ", not a " +
                            std::string(type_name(wanted)));
}

/// The snapshot an exposition writes, with the collectors' samples merged in.
struct collected_samples {
    registry_snapshot snapshot;
    family_names names;

    void run(const std::function<void(metric_writer&)>& collect) {
        metric_writer writer(*this);
        collect(writer);
    }

    void add(std::string_view name, std::string_view help, const label_set& labels,
             metric_type type, sample_value value) {
        check_metric_name(name, type);
        check_text(name, "the HELP text", help);
        auto key = normalized_labels(name, labels, type);
        auto it = snapshot.find(name);
        if (it == snapshot.end()) {
            names.claim(name, type);
            it = snapshot
                     .emplace(std::string(name), family_snapshot{std::string(help), type, {}, {}})
                     .first;
        } else if (it->second.type != type) {
            refuse_type(name, it->second.type, type);
        }
        if (!it->second.series.emplace(std::move(key), std::move(value)).second)
            refuse_metric(name, "a collector wrote a series that was already written");
    }
};

/** The family `name` of `type`, created if new (claiming its names); a histogram's bounds
    must be those it was created with. The caller holds the mutex and has checked the rest. */
inline metric_family& family_of(registry_state& s, std::string_view name, std::string_view help,
                                metric_type type, const std::vector<double>& bounds = {}) {
    auto it = s.families.find(name);
    if (it == s.families.end()) {
        s.names.claim(name, type);
        it = s.families.try_emplace(std::string(name)).first;
        it->second.help = help;
        it->second.type = type;
        it->second.bounds = bounds;
    } else if (it->second.type != type) {
        refuse_type(name, it->second.type, type);
    } else if (it->second.bounds != bounds) {
        refuse_metric(name, "registered with other bucket bounds");
    }
    return it->second;
}

inline label_set checked_series(std::string_view name, std::string_view help, label_set labels,
                                metric_type type) {
    check_metric_name(name, type);
    check_text(name, "the HELP text", help);
    return normalized_labels(name, std::move(labels), type);
}

inline registry_snapshot take_snapshot(registry_state& s) {
    std::lock_guard lock(s.mutex);
    collected_samples c{{}, s.names};
    for (const auto& [name, f] : s.families) {
        auto& out = c.snapshot[name];
        out.help = f.help;
        out.type = f.type;
        out.bounds = f.bounds;
        for (const auto& [labels, m] : f.counters)
            out.series.emplace(labels, sample_value{m.value(), 0, {}});
        for (const auto& [labels, m] : f.gauges)
            out.series.emplace(labels, sample_value{0, m.value(), {}});
        for (const auto& [labels, m] : f.histograms) {
            auto buckets = m.bucket_counts();
            const auto count = buckets.back();
            out.series.emplace(labels, sample_value{count, m.sum(), std::move(buckets)});
        }
    }
    for (const auto& [id, collect] : s.collectors)
        c.run(collect);
    return std::move(c.snapshot);
}

} // namespace detail

inline metric_histogram::metric_histogram(std::vector<double> bounds)
    : bounds_((detail::check_bounds("metric_histogram", bounds), std::move(bounds))),
      counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]()) {}

inline void metric_histogram::observe(double v) noexcept {
    // The first bucket whose bound is >= v: a value equal to a bound is in that bound's bucket.
    const auto i = std::isnan(v)
                       ? bounds_.size()
                       : static_cast<std::size_t>(
                             std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

inline std::uint64_t metric_histogram::count() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i)
        n += counts_[i].load(std::memory_order_relaxed);
    return n;
}

inline std::vector<std::uint64_t> metric_histogram::bucket_counts() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = n += counts_[i].load(std::memory_order_relaxed);
    return out;
}

inline std::vector<double> default_latency_buckets() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

inline void metric_writer::counter(std::string_view name, std::string_view help,
                                   const metric_labels& labels, std::uint64_t value) {
    out_->add(name, help, labels, detail::metric_type::counter, {value, 0, {}});
}

inline void metric_writer::gauge(std::string_view name, std::string_view help,
                                 const metric_labels& labels, double value) {
    out_->add(name, help, labels, detail::metric_type::gauge, {0, value, {}});
}

inline metrics_collection::metrics_collection(metrics_collection&& other) noexcept
    : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}

inline metrics_collection& metrics_collection::operator=(metrics_collection&& other) noexcept {
    if (this != &other) {
        reset();
        state_ = std::move(other.state_);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

inline void metrics_collection::reset() noexcept {
    if (auto s = state_.lock()) {
        std::lock_guard lock(s->mutex); // waits for an exposition running the collector
        s->collectors.erase(id_);
    }
    state_.reset();
    id_ = 0;
}

inline metrics_registry::metrics_registry() : state_(std::make_shared<detail::registry_state>()) {}

inline metrics_registry::~metrics_registry() = default;

inline metric_counter& metrics_registry::counter(std::string_view name, std::string_view help,
                                                 metric_labels labels) {
    using detail::metric_type;
    auto key = detail::checked_series(name, help, std::move(labels), metric_type::counter);
    std::lock_guard lock(state_->mutex);
    auto& f = detail::family_of(*state_, name, help, metric_type::counter);
    return f.counters.try_emplace(std::move(key)).first->second;
}

inline metric_gauge& metrics_registry::gauge(std::string_view name, std::string_view help,
                                             metric_labels labels) {
    using detail::metric_type;
    auto key = detail::checked_series(name, help, std::move(labels), metric_type::gauge);
    std::lock_guard lock(state_->mutex);
    auto& f = detail::family_of(*state_, name, help, metric_type::gauge);
    return f.gauges.try_emplace(std::move(key)).first->second;
}

inline metric_histogram& metrics_registry::histogram(std::string_view name, std::string_view help,
                                                     metric_labels labels,
                                                     std::vector<double> bounds) {
    using detail::metric_type;
    auto key = detail::checked_series(name, help, std::move(labels), metric_type::histogram);
    detail::check_bounds(name, bounds);
    std::lock_guard lock(state_->mutex);
    auto& f = detail::family_of(*state_, name, help, metric_type::histogram, bounds);
    auto it = f.histograms.find(key);
    if (it == f.histograms.end())
        it = f.histograms.try_emplace(std::move(key), std::move(bounds)).first;
    return it->second;
}

inline metrics_collection
metrics_registry::add_collector(std::function<void(metric_writer&)> collect) {
    std::lock_guard lock(state_->mutex);
    const auto id = state_->next_collector++;
    state_->collectors.emplace(id, std::move(collect));
    return metrics_collection(state_, id);
}

inline void metrics_registry::remove(std::string_view label_name, std::string_view label_value) {
    std::lock_guard lock(state_->mutex);
    detail::remove_series(*state_, label_name, label_value);
}

inline std::shared_ptr<const void> metrics_registry::hold(std::string_view label_name,
                                                          std::string_view label_value) {
    std::pair<std::string, std::string> key{label_name, label_value};
    {
        std::lock_guard lock(state_->mutex);
        ++state_->holds[key];
    }
    struct holder {
        holder(std::shared_ptr<detail::registry_state> s, std::pair<std::string, std::string> k)
            : state(std::move(s)), key(std::move(k)) {}
        holder(const holder&) = delete;
        holder& operator=(const holder&) = delete;
        std::shared_ptr<detail::registry_state> state;
        std::pair<std::string, std::string> key;
        ~holder() {
            std::lock_guard lock(state->mutex);
            const auto it = state->holds.find(key);
            if (--it->second == 0) {
                state->holds.erase(it);
                detail::remove_series(*state, key.first, key.second);
            }
        }
    };
    return std::make_shared<const holder>(state_, std::move(key));
}

inline std::string metrics_registry::prometheus_text() const {
    return detail::write_exposition(detail::take_snapshot(*state_),
                                    detail::exposition_format::prometheus);
}

inline std::string metrics_registry::openmetrics_text() const {
    return detail::write_exposition(detail::take_snapshot(*state_),
                                    detail::exposition_format::openmetrics);
}

} // namespace webhook

#endif
