#ifndef WEBHOOK_OBSERVE_DETAIL_EXPOSITION_HPP
#define WEBHOOK_OBSERVE_DETAIL_EXPOSITION_HPP

// The two exposition formats, written from a snapshot of the registry taken under its mutex:
// the Prometheus text format 0.0.4 and OpenMetrics 1.0.0. A pure function of the snapshot, so
// that the output is exactly testable.

#include <webhook/observe/detail/metric_names.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace webhook::detail {

/// One series' values at the time of the snapshot.
struct sample_value {
    std::uint64_t count = 0;            // a counter's value; a histogram's observations
    double value = 0;                   // a gauge's value; a histogram's sum
    std::vector<std::uint64_t> buckets; // a histogram's cumulative counts, +Inf last
};

struct family_snapshot {
    std::string help;
    metric_type type = metric_type::gauge;
    std::vector<double> bounds;
    std::map<label_set, sample_value> series;
};

/// The families by the name they were registered with (a counter's ends in `_total`).
using registry_snapshot = std::map<std::string, family_snapshot, std::less<>>;

enum class exposition_format { prometheus, openmetrics };

/// Shortest text that reads back as the same double; `+Inf`, `-Inf`, `NaN` as both formats say.
inline void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

inline void append_number(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

/// Label values: `\`, `"` and line feed escaped (both formats). HELP: `\` and line feed, and
/// in OpenMetrics `"` too.
inline void append_escaped_text(std::string& out, std::string_view s, bool quote) {
    for (const char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && quote)
            out += "\\\"";
        else
            out += c;
    }
}

inline void append_series(std::string& out, std::string_view name, std::string_view suffix,
                          const label_set& labels, std::string_view le = {}) {
    out.append(name).append(suffix);
    if (labels.empty() && le.empty()) {
        out += ' ';
        return;
    }
    char sep = '{';
    for (const auto& [k, v] : labels) {
        out.append(1, sep).append(k).append("=\"");
        append_escaped_text(out, v, true);
        out += '"';
        sep = ',';
    }
    if (!le.empty())
        out.append(1, sep).append("le=\"").append(le).append("\"");
    out += "} ";
}

inline void append_histogram(std::string& out, std::string_view name, const family_snapshot& f,
                             const label_set& labels, const sample_value& v, bool sum_and_count) {
    std::string le;
    for (std::size_t i = 0; i < v.buckets.size(); ++i) {
        le.clear();
        append_number(le, i < f.bounds.size() ? f.bounds[i] : INFINITY);
        append_series(out, name, "_bucket", labels, le);
        append_number(out, v.buckets[i]);
        out += '\n';
    }
    if (!sum_and_count)
        return;
    append_series(out, name, "_sum", labels);
    append_number(out, v.value);
    out += '\n';
    append_series(out, name, "_count", labels);
    append_number(out, v.count);
    out += '\n';
}

/** One family: its HELP (when there is one) and TYPE lines, then its series in the order of
    their labels. In OpenMetrics a counter's family drops `_total` and its samples keep it, and
    a histogram with a negative bound has no `_sum` and `_count` (as the format requires). */
inline void append_family(std::string& out, std::string_view name, const family_snapshot& f,
                          exposition_format format) {
    const bool om = format == exposition_format::openmetrics;
    std::string_view family = name;
    if (om && f.type == metric_type::counter)
        family.remove_suffix(counter_suffix.size());
    if (!f.help.empty()) {
        out.append("# HELP ").append(family).append(" ");
        append_escaped_text(out, f.help, om);
        out += '\n';
    }
    out.append("# TYPE ").append(family).append(" ").append(type_name(f.type)).append("\n");
    const bool negative = !f.bounds.empty() && f.bounds.front() < 0;
    for (const auto& [labels, v] : f.series) {
        if (f.type == metric_type::histogram) {
            append_histogram(out, name, f, labels, v, !(om && negative));
            continue;
        }
        append_series(out, name, {}, labels);
        if (f.type == metric_type::counter)
            append_number(out, v.count);
        else
            append_number(out, v.value);
        out += '\n';
    }
}

inline std::string write_exposition(const registry_snapshot& snapshot, exposition_format format) {
    std::string out;
    for (const auto& [name, family] : snapshot)
        if (!family.series.empty())
            append_family(out, name, family, format);
    if (format == exposition_format::openmetrics)
        out += "# EOF\n";
    return out;
}

} // namespace webhook::detail

#endif
