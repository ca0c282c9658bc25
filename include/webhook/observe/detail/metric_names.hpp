#ifndef WEBHOOK_OBSERVE_DETAIL_METRIC_NAMES_HPP
#define WEBHOOK_OBSERVE_DETAIL_METRIC_NAMES_HPP

// What the registry refuses, and why: metric and label names, label values, bucket bounds,
// and the names a family takes in the exposition formats (so that two families cannot write
// samples of the same name). Every refusal is a std::invalid_argument naming the metric.

#include <webhook/detail/quote.hpp>
#include <webhook/detail/utf8.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhook::detail {

/// A series' labels, sorted by name once validated (the public `metric_labels`).
using label_set = std::vector<std::pair<std::string, std::string>>;

enum class metric_type { counter, gauge, histogram };

constexpr std::string_view type_name(metric_type t) noexcept {
    switch (t) {
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    case metric_type::histogram:
        return "histogram";
    }
    return "untyped";
}

[[noreturn]] inline void refuse_metric(std::string_view metric, std::string_view problem) {
    throw std::invalid_argument("metric " + quote_for_message(metric) + ": " +
                                std::string(problem));
}

constexpr bool is_name_char(char c, bool first, bool colon) noexcept {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    return letter || (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*` (metric names), or without `:` (label names).
constexpr bool is_valid_name(std::string_view s, bool colon) noexcept {
    if (s.empty())
        return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!is_name_char(s[i], i == 0, colon))
            return false;
    return true;
}

inline constexpr std::string_view counter_suffix = "_total";

/// A metric's name: the grammar, and for a counter the `_total` its samples carry.
inline void check_metric_name(std::string_view name, metric_type type) {
    if (!is_valid_name(name, true))
        refuse_metric(name, "invalid name: a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*");
    if (type == metric_type::counter &&
        (name.size() <= counter_suffix.size() || !name.ends_with(counter_suffix)))
        refuse_metric(name, "a counter's name must end in _total (OpenMetrics writes the family "
                            "without it and the sample with it)");
}

inline void check_text(std::string_view metric, std::string_view what, std::string_view text) {
    if (find_invalid_utf8(text) != std::string_view::npos)
        refuse_metric(metric, std::string(what) + " is not valid UTF-8");
}

/// Validates `labels` and sorts them by name: the one spelling of a series' identity.
inline label_set normalized_labels(std::string_view metric, label_set labels, metric_type type) {
    for (const auto& [name, value] : labels) {
        if (!is_valid_name(name, false))
            refuse_metric(metric, "invalid label name " + quote_for_message(name) +
                                      ": a label name must match [a-zA-Z_][a-zA-Z0-9_]*");
        if (name.starts_with("__"))
            refuse_metric(metric, "invalid label name " + quote_for_message(name) +
                                      ": names starting with __ are reserved");
        if (type == metric_type::histogram && name == "le")
            refuse_metric(metric, "label name \"le\" is reserved for a histogram's buckets");
        check_text(metric, "the value of label " + quote_for_message(name), value);
    }
    std::sort(labels.begin(), labels.end());
    const auto same_name = [](const auto& a, const auto& b) { return a.first == b.first; };
    if (auto d = std::adjacent_find(labels.begin(), labels.end(), same_name); d != labels.end())
        refuse_metric(metric, "label " + quote_for_message(d->first) + " given twice");
    return labels;
}

/// Bucket upper bounds: finite and strictly increasing (the `+Inf` bucket is always there).
inline void check_bounds(std::string_view metric, const std::vector<double>& bounds) {
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (!std::isfinite(bounds[i]))
            refuse_metric(metric, "bucket bounds must be finite (the +Inf bucket is implicit)");
        if (i > 0 && !(bounds[i - 1] < bounds[i]))
            refuse_metric(metric, "bucket bounds must be strictly increasing");
    }
}

/** The sample and family names each family takes in either format, so that no two families
    write the same name: a counter `x_total` is the family `x` in OpenMetrics (with `x_created`
    reserved), a histogram `h` writes `h_bucket`, `h_sum` and `h_count`. */
class family_names {
public:
    /// Takes the names of a new family `name`; throws if another family holds one of them.
    void claim(std::string_view name, metric_type type) {
        const auto names = names_of(name, type);
        for (const auto& n : names)
            if (auto it = owner_.find(n); it != owner_.end())
                refuse_metric(name, "its samples' name " + quote_for_message(n) + " clashes with " +
                                        std::string(type_name(it->second.second)) + " " +
                                        quote_for_message(it->second.first));
        for (const auto& n : names)
            owner_.emplace(n, std::pair(std::string(name), type));
    }

    void release(std::string_view name, metric_type type) {
        for (const auto& n : names_of(name, type))
            if (auto it = owner_.find(n); it != owner_.end())
                owner_.erase(it);
    }

private:
    static std::vector<std::string> names_of(std::string_view name, metric_type type) {
        const std::string n(name);
        switch (type) {
        case metric_type::counter: {
            const std::string family(name.substr(0, name.size() - counter_suffix.size()));
            return {family, n, family + "_created"};
        }
        case metric_type::histogram:
            return {n, n + "_bucket", n + "_sum", n + "_count", n + "_created"};
        case metric_type::gauge:
            break;
        }
        return {n};
    }

    std::map<std::string, std::pair<std::string, metric_type>, std::less<>> owner_;
};

} // namespace webhook::detail

#endif
