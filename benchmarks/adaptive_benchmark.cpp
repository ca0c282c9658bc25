// The adaptive-concurrency benchmark (benchmarks/run_adaptive.sh): one run of
// webhook::dispatcher against one overloaded receiver on loopback
// (tests/support/overload_receivers.hpp, in this process on a thread of its own), with a fixed
// limit (`max_in_flight` = L) or adaptive concurrency (`max_in_flight` = L as the ceiling).
//
//   adaptive_benchmark --receiver capacity|latency|queue|reset --limit L [--adaptive --initial N]
//                      [--seconds 4] [--warmup 0.5] [--events 1000000] [receiver settings]
//
// One producer thread posts events as fast as the dispatcher takes them (the queue holds
// 4L + 64 and `post` blocks when it is full), at most --events, until the warm-up and the
// measured window have passed; then the dispatcher is shut down without waiting (what is left
// is abandoned, outside the window). Printed on stdout, one line of key=value fields:
// - goodput: events delivered (2xx) per second of the window, counted in `on_outcome`;
// - p50/p99: the latency of the successful attempt of those events, as the dispatcher measured
//   it (`delivery::attempts.back().elapsed`: from the attempt's start, connecting included, to
//   its response), nearest rank;
// - rejected: the attempts the receiver turned away in the window (its 503s and resets, counted
//   by the receiver), plus the timeouts of attempts of events settled in the window;
// - limit: `dispatcher_counters::concurrency_limit`, sampled every 2 ms in the window (mean)
//   and at its end (final); conc: requests in process at the receiver, time-weighted mean over
//   the window, and the most at once.
// The exit status is 1 when nothing was delivered in the window.

#include <webhook/dispatcher.hpp>

#include "support/overload_receivers.hpp"

#include <boost/describe.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace wt = webhook::test;

struct order_event {
    std::uint64_t seq = 0;
    std::string order;
    std::string state;
    double amount = 0;
};
BOOST_DESCRIBE_STRUCT(order_event, (), (seq, order, state, amount))

struct options {
    std::string receiver = "capacity";
    std::size_t limit = 8;
    bool adaptive = false;
    std::size_t initial = 1;
    double seconds = 4;
    double warmup = 0.5;
    std::uint64_t events = 1'000'000;
    // The receivers (see run_adaptive.sh for why these values).
    std::size_t capacity = 8;   // capacity, reset
    double service_ms = 5;      // capacity, reset
    double base_ms = 2;         // latency, queue
    double per_ms = 1;          // latency (queue: --queue-per-ms)
    std::size_t knee = 1;       // latency (queue: --queue-knee)
    double queue_per_ms = 0.25; // queue
    std::size_t queue_knee = 8; // queue
    // The retry policy: exponential backoff with full jitter.
    double retry_initial_ms = 100;
    double retry_max_ms = 1000;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "adaptive_benchmark: %s\n"
                 "usage: adaptive_benchmark --receiver capacity|latency|queue|reset --limit L\n"
                 "       [--adaptive] [--initial N] [--seconds S] [--warmup W] [--events N]\n"
                 "       [--capacity K] [--service-ms MS] [--base-ms MS] [--per-ms MS] [--knee N]\n"
                 "       [--queue-per-ms MS] [--queue-knee N] [--retry-initial-ms MS]\n"
                 "       [--retry-max-ms MS]\n",
                 why);
    std::exit(2);
}

double number(const char* text, double lo, double hi) {
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= lo && v <= hi))
        usage("a number is out of range");
    return v;
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--adaptive") {
            o.adaptive = true;
            continue;
        }
        if (i + 1 >= argc)
            usage("a value is missing");
        const char* v = argv[++i];
        if (a == "--receiver")
            o.receiver = v;
        else if (a == "--limit")
            o.limit = static_cast<std::size_t>(number(v, 1, 1024));
        else if (a == "--initial")
            o.initial = static_cast<std::size_t>(number(v, 1, 1024));
        else if (a == "--seconds")
            o.seconds = number(v, 0.1, 600);
        else if (a == "--warmup")
            o.warmup = number(v, 0, 60);
        else if (a == "--events")
            o.events = static_cast<std::uint64_t>(number(v, 1, 1e8));
        else if (a == "--capacity")
            o.capacity = static_cast<std::size_t>(number(v, 1, 1024));
        else if (a == "--service-ms")
            o.service_ms = number(v, 0, 10'000);
        else if (a == "--base-ms")
            o.base_ms = number(v, 0, 10'000);
        else if (a == "--per-ms")
            o.per_ms = number(v, 0, 10'000);
        else if (a == "--knee")
            o.knee = static_cast<std::size_t>(number(v, 1, 1024));
        else if (a == "--queue-per-ms")
            o.queue_per_ms = number(v, 0, 10'000);
        else if (a == "--queue-knee")
            o.queue_knee = static_cast<std::size_t>(number(v, 1, 1024));
        else if (a == "--retry-initial-ms")
            o.retry_initial_ms = number(v, 1, 600'000);
        else if (a == "--retry-max-ms")
            o.retry_max_ms = number(v, 1, 600'000);
        else
            usage("unknown option");
    }
    if (o.receiver != "capacity" && o.receiver != "latency" && o.receiver != "queue" &&
        o.receiver != "reset")
        usage("unknown receiver");
    if (o.adaptive && o.initial > o.limit)
        usage("--initial is above --limit");
    return o;
}

std::chrono::nanoseconds ms(double v) {
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(v * 1e6)));
}

std::unique_ptr<wt::overload_receiver> make_receiver(const options& o) {
    if (o.receiver == "capacity")
        return std::make_unique<wt::capacity_receiver>(o.capacity, ms(o.service_ms));
    if (o.receiver == "reset")
        return std::make_unique<wt::reset_receiver>(o.capacity, ms(o.service_ms));
    if (o.receiver == "latency")
        return std::make_unique<wt::latency_receiver>(ms(o.base_ms), ms(o.per_ms), o.knee);
    return std::make_unique<wt::latency_receiver>(ms(o.base_ms), ms(o.queue_per_ms), o.queue_knee);
}

webhook::endpoint make_endpoint(const options& o, const std::string& url) {
    webhook::endpoint ep;
    ep.url = url;
    ep.data_location = webhook::data_path("root/result");
    ep.max_in_flight = o.limit;
    ep.adaptive_concurrency = {.enabled = o.adaptive, .initial = o.initial};
    ep.retry.initial_delay = std::chrono::milliseconds(std::llround(o.retry_initial_ms));
    ep.retry.max_delay = std::chrono::milliseconds(std::llround(o.retry_max_ms));
    ep.retry.multiplier = 2;
    ep.retry.max_attempts = 50;
    ep.timeouts.request = 2s;
    ep.queue.capacity = 4 * o.limit + 64;
    ep.queue.when_full = webhook::overflow_policy::block;
    return ep;
}

bool is_timeout(boost::system::error_code ec) {
    return ec == boost::beast::error::timeout || ec == boost::asio::error::timed_out;
}

// What on_outcome gathers, on the dispatcher's I/O thread; read after the dispatcher is gone.
struct outcomes {
    clock_type::time_point from, to; // the window, set before the first post
    std::uint64_t delivered = 0;     // in the window
    std::uint64_t failed = 0;        // settled otherwise in the window (abandoned excluded)
    std::uint64_t timeouts = 0;      // attempts of events settled in the window
    std::uint64_t other_errors = 0;  // transport errors other than timeouts, same events
    std::uint64_t status_503 = 0;    // as the dispatcher saw them, same events
    std::vector<std::int64_t> latency_ns;

    void on(const webhook::delivery& d) {
        const auto now = clock_type::now();
        if (now < from || now >= to || d.status == webhook::delivery_status::abandoned)
            return;
        for (const auto& a : d.attempts) {
            if (is_timeout(a.error))
                ++timeouts;
            else if (a.error)
                ++other_errors;
            if (a.status == 503)
                ++status_503;
        }
        if (!d.ok()) {
            ++failed;
            return;
        }
        ++delivered;
        if (!d.attempts.empty() && latency_ns.size() < latency_ns.capacity())
            latency_ns.push_back(d.attempts.back().elapsed.count());
    }
};

double percentile_ms(std::vector<std::int64_t>& v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
    const std::size_t i = rank <= 1 ? 0 : std::min(v.size(), static_cast<std::size_t>(rank)) - 1;
    return static_cast<double>(v[i]) / 1e6;
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    const auto receiver = make_receiver(o);

    outcomes seen;
    seen.latency_ns.reserve(1 << 20);
    webhook::dispatcher_options dopt;
    dopt.on_outcome = [&seen](const webhook::delivery& d) { seen.on(d); };

    const auto to_duration = [](double s) {
        return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
    };
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> posted{0}, refused{0};
    wt::overload_counts at_start, at_end;
    double limit_sum = 0;
    std::uint64_t limit_samples = 0, final_limit = 0, max_limit = 0;
    {
        webhook::dispatcher d(make_endpoint(o, receiver->url()), std::move(dopt));
        const auto begin = clock_type::now();
        seen.from = begin + to_duration(o.warmup);
        seen.to = seen.from + to_duration(o.seconds);

        std::thread producer([&] {
            order_event e{0, "ORD-000042", "paid", 129.95};
            while (!stop.load(std::memory_order_relaxed) && posted.load() < o.events) {
                e.seq = posted.load();
                if (d.post(e))
                    ++posted;
                else
                    ++refused; // blocked past the queue's timeout, or stopped
            }
        });

        std::this_thread::sleep_until(seen.from);
        at_start = receiver->counts();
        // The limit, sampled through the window.
        for (auto next = seen.from; next < seen.to; next += 2ms) {
            std::this_thread::sleep_until(next);
            const auto limit = d.counters().concurrency_limit;
            limit_sum += static_cast<double>(limit);
            ++limit_samples;
            max_limit = std::max<std::uint64_t>(max_limit, limit);
        }
        std::this_thread::sleep_until(seen.to);
        at_end = receiver->counts();
        final_limit = d.counters().concurrency_limit;
        stop = true;
        d.shutdown(0ms); // wakes a producer blocked in post
        producer.join();
    }
    receiver->stop();

    const double window = o.seconds;
    const std::uint64_t r503 = at_end.rejected - at_start.rejected;
    const std::uint64_t resets = at_end.resets - at_start.resets;
    const std::uint64_t rejected = r503 + resets + seen.timeouts;
    const double p50 = percentile_ms(seen.latency_ns, 50), p99 = percentile_ms(seen.latency_ns, 99);
    std::printf(
        "receiver=%s mode=%s limit=%zu initial=%zu seconds=%.2f delivered=%llu goodput=%.1f "
        "p50_ms=%.2f p99_ms=%.2f rejected=%llu r503=%llu resets=%llu timeouts=%llu "
        "other_errors=%llu seen_503=%llu failed=%llu mean_limit=%.2f final_limit=%llu "
        "max_limit=%llu mean_conc=%.2f max_conc=%llu receiver_2xx=%llu connections=%llu "
        "posted=%llu refused_posts=%llu\n",
        o.receiver.c_str(), o.adaptive ? "adaptive" : "fixed", o.limit, o.adaptive ? o.initial : 0,
        window, static_cast<unsigned long long>(seen.delivered),
        static_cast<double>(seen.delivered) / window, p50, p99,
        static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(r503),
        static_cast<unsigned long long>(resets), static_cast<unsigned long long>(seen.timeouts),
        static_cast<unsigned long long>(seen.other_errors),
        static_cast<unsigned long long>(seen.status_503),
        static_cast<unsigned long long>(seen.failed),
        limit_samples ? limit_sum / static_cast<double>(limit_samples) : 0.0,
        static_cast<unsigned long long>(final_limit), static_cast<unsigned long long>(max_limit),
        wt::mean_concurrency(at_start, at_end),
        static_cast<unsigned long long>(at_end.max_concurrency),
        static_cast<unsigned long long>(at_end.successes - at_start.successes),
        static_cast<unsigned long long>(at_end.connections),
        static_cast<unsigned long long>(posted.load()),
        static_cast<unsigned long long>(refused.load()));
    return seen.delivered > 0 ? 0 : 1;
}
