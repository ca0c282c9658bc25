#ifndef WEBHOOK_BENCHMARKS_HTTP_COMMON_HPP
#define WEBHOOK_BENCHMARKS_HTTP_COMMON_HPP

// What every client of the HTTP transport benchmark (benchmarks/run_http.sh) shares: the
// request it sends, its command line, and the one summary line it prints per run.
//
// A client is a program that takes
//     --url URL --connections N --seconds S --warmup W      (and --print-payload)
// keeps N requests in flight over keep-alive connections for W seconds unmeasured, then S
// seconds measured, checks that every response is 204, and prints one line on stdout:
//     client=NAME connections=N requests=R seconds=S rps=X p50_us=X p99_us=X errors=E [connects=C]
// with print_summary() below. run_http.sh reads every stdout line that starts with
// "client=" into its table; it exits non-zero when a line has errors > 0 or the client does.

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bench::http {

// The incident event under root/result, exactly as webhook::json::to_string<"root/result">
// writes benchmarks/json_payloads.hpp's make_incident_event() (321 bytes).
// benchmarks/http_wrk_post.lua holds the same bytes; run_http.sh checks that they are equal.
inline constexpr std::string_view payload =
    R"json({"root":{"result":{"sys_id":"9d385017c611228701d22104cc95c371","number":"INC0010023","short_description":"Disk \"data\" at 95% on db-07.prod","state":"in_progress","priority":2,"impact":1,"opened_at":1700000000123,"business_impact":7.25,"assignment_group":"Database Operations","tags":["database","storage","capacity"]}}})json";
static_assert(payload.size() == 321);

inline constexpr std::string_view method = "POST";
inline constexpr std::string_view target = "/hook";
inline constexpr std::string_view content_type = "application/json; charset=utf-8";
inline constexpr std::string_view authorization = "Basic d2ViaG9vazpzZWNyZXQ="; // webhook:secret
inline constexpr std::string_view user_agent = "webhook-bench";

// The same three headers as whole lines, in the order the wrk script sends them. Besides
// these, a request carries only Host and Content-Length (no Accept, no Expect).
inline constexpr std::array<std::string_view, 3> header_lines = {
    "Content-Type: application/json; charset=utf-8",
    "Authorization: Basic d2ViaG9vazpzZWNyZXQ=",
    "User-Agent: webhook-bench",
};

inline constexpr int expected_status = 204;

using clock_type = std::chrono::steady_clock;

// The p-th percentile (0 < p <= 100) of samples sorted ascending, by nearest rank: the
// smallest sample such that at least p% of the samples are <= it. 0 when there is none.
template <class T>
T percentile_sorted(std::span<const T> sorted, double p) {
    if (sorted.empty())
        return T{};
    const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
    std::size_t index = rank <= 1.0 ? 0 : static_cast<std::size_t>(rank) - 1;
    index = std::min(index, sorted.size() - 1);
    return sorted[index];
}

// The same on unsorted samples (sorts them in place).
template <class T>
T percentile(std::vector<T>& samples, double p) {
    std::sort(samples.begin(), samples.end());
    return percentile_sorted(std::span<const T>(samples), p);
}

// One measured run of one client at one connection count.
struct run_result {
    std::string_view client;              // e.g. "curl_multi", "webhook_beast"
    int connections = 0;                  // requests kept in flight
    std::uint64_t requests = 0;           // responses 204 completed inside the window
    double seconds = 0.0;                 // length of the measured window
    std::vector<std::int64_t> latency_ns; // one per counted request: start to completion
    std::uint64_t errors = 0;             // any other outcome, warm-up and drain included
    std::int64_t connects = -1;           // new connections opened in the window; -1: unknown
};

// The summary line, without a newline. Sorts r.latency_ns.
inline std::string format_summary(run_result& r) {
    std::sort(r.latency_ns.begin(), r.latency_ns.end());
    const std::span<const std::int64_t> sorted(r.latency_ns);
    const double p50_us = static_cast<double>(percentile_sorted(sorted, 50.0)) / 1e3;
    const double p99_us = static_cast<double>(percentile_sorted(sorted, 99.0)) / 1e3;
    const double rps = r.seconds > 0.0 ? static_cast<double>(r.requests) / r.seconds : 0.0;
    char line[512];
    int n = std::snprintf(line, sizeof line,
                          "client=%.*s connections=%d requests=%llu seconds=%.3f rps=%.1f "
                          "p50_us=%.1f p99_us=%.1f errors=%llu",
                          static_cast<int>(r.client.size()), r.client.data(), r.connections,
                          static_cast<unsigned long long>(r.requests), r.seconds, rps, p50_us,
                          p99_us, static_cast<unsigned long long>(r.errors));
    std::string out(line, static_cast<std::size_t>(std::clamp(n, 0, int{sizeof line} - 1)));
    if (r.connects >= 0)
        out += " connects=" + std::to_string(r.connects);
    return out;
}

// Prints the summary line on `out` (stdout for run_http.sh) and flushes it.
inline void print_summary(run_result& r, std::FILE* out = stdout) {
    const std::string line = format_summary(r);
    std::fprintf(out, "%s\n", line.c_str());
    std::fflush(out);
}

// The command line every client takes.
struct options {
    std::string url = "http://127.0.0.1:18080/hook";
    std::vector<int> connections = {1, 8, 64}; // --connections 1,8,64: one line each
    double seconds = 5.0;                      // measured window, at most 60
    double warmup = 1.0;                       // unmeasured, at most 60
    bool print_payload = false;                // write the payload bytes to stdout and exit
};

inline bool parse_number(std::string_view text, double& out) {
    // std::from_chars for double is in libstdc++ 11+.
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

// Parses argv into `o`; on a bad argument prints usage on stderr and returns false.
inline bool parse_options(int argc, char** argv, options& o) {
    const auto usage = [&](std::string_view why) {
        std::fprintf(stderr,
                     "%.*s\nusage: %s --url URL [--connections 1,8,64] [--seconds 5] "
                     "[--warmup 1] [--print-payload]\n",
                     static_cast<int>(why.size()), why.data(), argc > 0 ? argv[0] : "client");
        return false;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--print-payload") {
            o.print_payload = true;
            continue;
        }
        if (i + 1 >= argc)
            return usage("missing value after " + std::string(arg));
        const std::string_view value = argv[++i];
        if (arg == "--url") {
            o.url = value;
        } else if (arg == "--connections") {
            o.connections.clear();
            std::string_view rest = value;
            while (!rest.empty()) {
                const std::size_t comma = rest.find(',');
                const std::string_view item = rest.substr(0, comma);
                int n = 0;
                const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
                if (ec != std::errc{} || end != item.data() + item.size() || n < 1 || n > 1000)
                    return usage("bad --connections (1 to 1000, comma-separated)");
                o.connections.push_back(n);
                rest =
                    comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            }
            if (o.connections.empty())
                return usage("empty --connections");
        } else if (arg == "--seconds") {
            if (!parse_number(value, o.seconds) || !(o.seconds > 0.0 && o.seconds <= 60.0))
                return usage("bad --seconds (more than 0, at most 60)");
        } else if (arg == "--warmup") {
            if (!parse_number(value, o.warmup) || !(o.warmup >= 0.0 && o.warmup <= 60.0))
                return usage("bad --warmup (0 to 60)");
        } else {
            return usage("unknown argument " + std::string(arg));
        }
    }
    return true;
}

} // namespace bench::http

#endif // WEBHOOK_BENCHMARKS_HTTP_COMMON_HPP
