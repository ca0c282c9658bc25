// The library's dispatcher as a client of the dispatcher benchmark (benchmarks/run_dispatch.sh):
// one producer thread calls `webhook::dispatcher::post(event)` on the described incident event,
// the dispatcher serializes it under root/result and delivers it over `max_in_flight = N`
// keep-alive connections from its own I/O thread, and `on_outcome` counts the 2xx. Same command
// line and summary line as the HTTP benchmark's clients (http_common.hpp), `client=webhook_dispatcher`.
//
//   dispatch_webhook_client --url http://127.0.0.1:PORT/hook --connections 1,8,64 --seconds 5
//
// - Rate: events whose outcome (`delivered`, HTTP 204) arrives inside the measured window, per
//   second of the window. Every other outcome, and every refused `post`, is an error.
// - Latency: `delivery::total_time`, from acceptance by `post` to the outcome; it includes the
//   time an event waits in the dispatcher's queue behind the N in flight.
// - The producer posts in a loop, as fast as the dispatcher takes events: the queue (capacity
//   4N + 64) is full most of the time, and `post` blocks (`overflow_policy::block`) until the
//   dispatcher wakes it, once the queue has drained to its low-water mark. The latency therefore
//   includes the time in a full queue.
// - Allocations: every global operator new (json_count_allocations.cpp) on both threads of the
//   pipeline, the producer (`post`) and the dispatcher's I/O thread (read in `on_outcome`),
//   over the measured window, per delivered event; printed on stderr.
// - At start-up, the request the dispatcher builds is captured through a transport that answers
//   204 without a network: its body must be byte for byte http_common.hpp's payload
//   (`--print-payload` prints that captured body).
// - Built with WEBHOOK_BENCH_OBSERVED (the target dispatch_webhook_client_observed, client
//   `webhook_dispatcher_observed`), the dispatcher fills a metrics registry
//   (`dispatcher_options::metrics`), which a thread writes in the text format every second as
//   a scrape would: the cost of the metrics (benchmarks/run_observe_cost.sh).

#include <webhook/dispatcher.hpp>
#ifdef WEBHOOK_BENCH_OBSERVED
#include <webhook/observe/metrics.hpp>

#include <atomic>
#include <memory>
#include <thread>
#endif

#include "http_common.hpp"
#include "json_count_allocations.hpp"
#include "json_payloads.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace h = bench::http;
namespace http = boost::beast::http;

namespace {

webhook::endpoint make_endpoint(const h::options& o, int connections) {
    webhook::endpoint ep{
        .url = o.url,
        .method = http::verb::post,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "secret"},
        .user_agent = std::string(h::user_agent),
        .max_in_flight = static_cast<std::size_t>(connections),
    };
    // The producer's bound: post blocks when the queue is full.
    ep.queue.capacity = 4 * static_cast<std::size_t>(connections) + 64;
    ep.queue.when_full = webhook::overflow_policy::block;
    return ep;
}

// A blocking transport that answers 204 and keeps the last request, for the start-up check.
struct capture_transport {
    std::mutex mutex;
    webhook::http_request last;

    webhook::http_response send(const webhook::origin&, const webhook::http_request& request,
                                boost::system::error_code& ec) {
        ec = {};
        {
            std::lock_guard lock(mutex);
            last = request;
        }
        return webhook::http_response{http::status::no_content, 11};
    }
};

// The request the dispatcher sends for the event; exits 1 when its body is not the payload.
webhook::http_request captured_request(const h::options& o) {
    webhook::basic_dispatcher<capture_transport> d(make_endpoint(o, 1));
    const webhook::delivery result = d.send(bench::make_incident_event());
    if (!result.ok() || result.http_status != h::expected_status) {
        std::fprintf(stderr, "webhook_dispatcher: self-check: delivery %s, HTTP %d\n",
                     webhook::to_string(result.status), result.http_status);
        std::exit(1);
    }
    std::lock_guard lock(d.transport().mutex);
    return d.transport().last;
}

struct window {
    h::clock_type::time_point start, end;
    bool contains(h::clock_type::time_point t) const { return t >= start && t < end; }
};

// One run at `connections` in flight; prints the summary line (stdout) and the allocations
// (stderr). Returns false on any error or when nothing was delivered.
bool run(const h::options& o, int connections) {
    h::run_result result;
#ifdef WEBHOOK_BENCH_OBSERVED
    result.client = "webhook_dispatcher_observed";
#else
    result.client = "webhook_dispatcher";
#endif
    result.connections = connections;
    result.latency_ns.reserve(4'000'000);

    const auto to_duration = [](double s) {
        return std::chrono::duration_cast<h::clock_type::duration>(
            std::chrono::duration<double>(s));
    };
    // Set once the dispatcher is made (its transport loads the system's CA certificates),
    // before the first post: on_outcome reads it only after that.
    window w{};

    // Written on the dispatcher's I/O thread (on_outcome), read by the producer after flush.
    std::uint64_t settled = 0;
    std::uint64_t settled_errors = 0, other_status = 0;
    std::uint64_t io_allocations_start = 0, io_allocations_end = 0;
    bool io_counting = false;
    std::uint64_t reported = 0;

    webhook::dispatcher_options options;
    options.on_outcome = [&](const webhook::delivery& d) {
        const auto now = h::clock_type::now();
        if (d.ok() && d.http_status == h::expected_status) {
            if (w.contains(now)) {
                if (!io_counting) {
                    io_counting = true;
                    io_allocations_start = bench::allocations();
                }
                ++result.requests;
                result.latency_ns.push_back(d.total_time.count());
                io_allocations_end = bench::allocations();
            }
        } else {
            ++settled_errors;
            if (d.ok())
                ++other_status;
            if (reported++ < 5)
                std::fprintf(stderr, "webhook_dispatcher: event %s: %s, HTTP %d, %s\n",
                             std::string(d.id.view()).c_str(), webhook::to_string(d.status),
                             d.http_status, d.error.message().c_str());
        }
        ++settled;
    };

    const auto event = bench::make_incident_event();
    std::uint64_t posted = 0, refused = 0;
    std::uint64_t producer_allocations_start = 0, producer_allocations_end = 0;
    bool producer_counting = false;
    webhook::dispatcher_counters counters;
    bool flushed = false;
#ifdef WEBHOOK_BENCH_OBSERVED
    auto registry = std::make_shared<webhook::metrics_registry>();
    options.name = "bench";
    options.metrics = registry;
    std::atomic<bool> scraping{true};
    std::size_t scraped_bytes = 0;
    std::thread scraper([&] { // as Prometheus would: the whole text, every second
        for (int tick = 0; scraping.load(); ++tick) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (tick % 20 == 19)
                scraped_bytes = registry->prometheus_text().size();
        }
    });
#endif
    {
        webhook::dispatcher d(make_endpoint(o, connections), std::move(options));
        const auto begin = h::clock_type::now();
        w = {begin + to_duration(o.warmup), begin + to_duration(o.warmup + o.seconds)};
        for (;;) {
            const auto now = h::clock_type::now();
            if (now >= w.end)
                break;
            if (!producer_counting && now >= w.start) {
                producer_counting = true;
                producer_allocations_start = bench::allocations();
            }
            const auto id = d.post(event);
            if (!id) {
                if (refused++ < 5)
                    std::fprintf(stderr, "webhook_dispatcher: post refused: %s\n",
                                 id.error().message().c_str());
                continue;
            }
            ++posted;
        }
        producer_allocations_end = bench::allocations();
        flushed = d.flush(std::chrono::seconds(10));
        counters = d.counters();
    }
#ifdef WEBHOOK_BENCH_OBSERVED
    scraping = false;
    scraper.join();
    if (scraped_bytes == 0 && o.seconds >= 1) {
        std::fprintf(stderr, "webhook_dispatcher_observed: no metrics were written\n");
        return false;
    }
#endif

    result.errors = settled_errors + refused;
    bool ok = true;
    // Every accepted event must have reached on_outcome exactly once, and the counters agree.
    if (!flushed || settled != posted || counters.accepted != posted ||
        counters.delivered + counters.failed + counters.dropped + counters.abandoned != posted ||
        counters.rejected != refused) {
        std::fprintf(stderr,
                     "webhook_dispatcher: connections=%d: flushed=%d posted=%llu outcomes=%llu "
                     "counters: accepted=%llu delivered=%llu failed=%llu dropped=%llu "
                     "abandoned=%llu rejected=%llu in_flight=%llu queued=%llu\n",
                     connections, flushed ? 1 : 0, static_cast<unsigned long long>(posted),
                     static_cast<unsigned long long>(settled),
                     static_cast<unsigned long long>(counters.accepted),
                     static_cast<unsigned long long>(counters.delivered),
                     static_cast<unsigned long long>(counters.failed),
                     static_cast<unsigned long long>(counters.dropped),
                     static_cast<unsigned long long>(counters.abandoned),
                     static_cast<unsigned long long>(counters.rejected),
                     static_cast<unsigned long long>(counters.in_flight),
                     static_cast<unsigned long long>(counters.queued));
        ++result.errors;
        ok = false;
    }
    if (other_status != 0)
        std::fprintf(stderr, "webhook_dispatcher: %llu delivered with a status other than 204\n",
                     static_cast<unsigned long long>(other_status));

    result.seconds = std::chrono::duration<double>(w.end - w.start).count();
    h::print_summary(result);
    const double events = static_cast<double>(result.requests);
    const auto per_event = [&](std::uint64_t n) {
        return events > 0 ? static_cast<double>(n) / events : 0.0;
    };
    const std::uint64_t producer = producer_allocations_end - producer_allocations_start;
    const std::uint64_t io = io_allocations_end - io_allocations_start;
    std::fprintf(stderr,
                 "webhook_dispatcher connections=%d allocations_per_event=%.2f "
                 "(post thread %.2f, I/O thread %.2f)\n",
                 connections, per_event(producer + io), per_event(producer), per_event(io));
    return ok && result.errors == 0 && result.requests > 0;
}

} // namespace

int main(int argc, char** argv) {
    h::options o;
    if (!h::parse_options(argc, argv, o))
        return 2;
    const webhook::http_request request = captured_request(o);
    if (o.print_payload) {
        std::fwrite(request.body().data(), 1, request.body().size(), stdout);
        return 0;
    }
    if (request.body() != h::payload) {
        std::fprintf(
            stderr,
            "webhook_dispatcher: the dispatcher's body differs from the payload:\n%s\n%.*s\n",
            request.body().c_str(), static_cast<int>(h::payload.size()), h::payload.data());
        return 1;
    }
    bool ok = true;
    for (const int n : o.connections)
        ok = run(o, n) && ok;
    return ok ? 0 : 1;
}
