// The hub benchmark (benchmarks/run_hub.sh): `webhook::hub::publish` of the incident event to
// N subscribed endpoints against N `webhook::dispatcher`s that are each posted the same event;
// the idle memory of a hub with many endpoints; and the time to reload a hub's file.
//
//   hub_benchmark fanout --variant hub|dispatchers|dispatchers_own --endpoints N
//                 --base http://127.0.0.1 --ports P1,P2 [--in-flight 4] [--threads 2]
//                 [--seconds 5] [--warmup 1] [--max-events 2000000]
//   hub_benchmark idle --variant hub|dispatchers --endpoints 10000
//   hub_benchmark reload --endpoints 10000 --file DIR/hub.json
//   hub_benchmark check                   (the requests of both sides, without a network)
//
// - fanout: endpoint i is `BASE:P/hook/ep<i>` with P = the ports in turn; each has
//   max_in_flight K, keep-alive, queue capacity 4K + 64 with `overflow_policy::block`, the
//   dispatcher benchmark's headers and data location. One producer thread publishes (hub) or
//   posts to each dispatcher in turn (dispatchers: each serializes the event again) in a loop,
//   for `warmup` then `seconds`, at most `max-events` events. `hub`: a hub with
//   `hub_options::threads` T; `dispatchers`: the N dispatchers on one io_context run by T
//   threads (the executor constructor: the same threads as the hub); `dispatchers_own`: each
//   dispatcher with its own I/O thread (N threads, the constructor a user reaches first).
//   requests/s: outcomes (HTTP 204) inside the window; events/s = requests/s / N. Allocations:
//   every global operator new of every thread over the window, per request counted. After the
//   window: flush, then every accepted request must have had exactly one outcome.
// - idle: a hub (or N dispatchers on one io_context) with N endpoints to loopback ports that
//   nobody needs to answer, nothing published; per endpoint: heap bytes live from operator new,
//   bytes live from OpenSSL's allocator (CRYPTO_set_mem_functions), malloc's in-use bytes
//   (mallinfo2, every arena) and the RSS, each as the difference to before the endpoints.
// - reload: writes a file of N endpoints, then times `reload_file` on a hub without endpoints
//   (first load), on the same file again (no change), and on a file with 1% of the endpoints
//   changed (their max_in_flight).

#include <webhook/dispatcher.hpp>
#include <webhook/hub/hub.hpp>

#include "http_common.hpp"
#include "json_payloads.hpp"

#include <openssl/crypto.h>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

WEBHOOK_EVENT_TYPE(bench::incident_event, "incident.updated");

// --- Counting: every global operator new, and OpenSSL's allocations, from every thread.
namespace {

std::atomic<std::uint64_t> new_count{0};
std::atomic<std::int64_t> new_live_bytes{0};
std::atomic<std::int64_t> openssl_live_bytes{0};

void* counted_new(std::size_t size) {
    void* p = std::malloc(size == 0 ? 1 : size);
    if (!p)
        throw std::bad_alloc();
    new_count.fetch_add(1, std::memory_order_relaxed);
    new_live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                             std::memory_order_relaxed);
    return p;
}

void* counted_new_aligned(std::size_t size, std::align_val_t alignment) {
    const auto align = std::max(static_cast<std::size_t>(alignment), sizeof(void*));
    void* p = nullptr;
    if (posix_memalign(&p, align, size == 0 ? 1 : size) != 0)
        throw std::bad_alloc();
    new_count.fetch_add(1, std::memory_order_relaxed);
    new_live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                             std::memory_order_relaxed);
    return p;
}

void counted_delete(void* p) noexcept {
    if (!p)
        return;
    new_live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)),
                             std::memory_order_relaxed);
    std::free(p);
}

void* ossl_malloc(std::size_t n, const char*, int) {
    void* p = std::malloc(n);
    if (p)
        openssl_live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                                     std::memory_order_relaxed);
    return p;
}

void* ossl_realloc(void* old, std::size_t n, const char*, int) {
    const auto before = old ? static_cast<std::int64_t>(malloc_usable_size(old)) : 0;
    void* p = std::realloc(old, n);
    if (p || n == 0)
        openssl_live_bytes.fetch_sub(before, std::memory_order_relaxed);
    if (p)
        openssl_live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                                     std::memory_order_relaxed);
    return p;
}

void ossl_free(void* p, const char*, int) {
    if (p)
        openssl_live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)),
                                     std::memory_order_relaxed);
    std::free(p);
}

// Before any other static initializer (Asio's OpenSSL initialization allocates): OpenSSL takes
// the functions only while it has allocated nothing.
struct openssl_counting {
    bool installed = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
};
__attribute__((init_priority(101))) openssl_counting openssl_counter;

} // namespace

void* operator new(std::size_t size) {
    return counted_new(size);
}
void* operator new[](std::size_t size) {
    return counted_new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_new(size);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_new(size);
    } catch (...) {
        return nullptr;
    }
}
void* operator new(std::size_t size, std::align_val_t a) {
    return counted_new_aligned(size, a);
}
void* operator new[](std::size_t size, std::align_val_t a) {
    return counted_new_aligned(size, a);
}
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
    try {
        return counted_new_aligned(size, a);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
    try {
        return counted_new_aligned(size, a);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept {
    counted_delete(p);
}
void operator delete[](void* p) noexcept {
    counted_delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
    counted_delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    counted_delete(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    counted_delete(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    counted_delete(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    counted_delete(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    counted_delete(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    counted_delete(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    counted_delete(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    counted_delete(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    counted_delete(p);
}

namespace {

namespace h = bench::http;
namespace http = boost::beast::http;
using clock_type = std::chrono::steady_clock;

struct options {
    std::string mode;
    std::string variant = "hub";
    std::size_t endpoints = 1;
    std::string base = "http://127.0.0.1";
    std::vector<std::string> ports = {"18080"};
    std::size_t in_flight = 4;
    unsigned threads = 2;
    double seconds = 5.0;
    double warmup = 1.0;
    std::uint64_t max_events = 2'000'000;
    std::string file;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "hub_benchmark: %s\nusage: hub_benchmark fanout|idle|reload|check [--variant "
                 "hub|dispatchers|dispatchers_own] [--endpoints N] [--base URL] [--ports P,..] "
                 "[--in-flight K] [--threads T] [--seconds S] [--warmup W] [--max-events M] "
                 "[--file PATH]\n",
                 why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    if (argc < 2)
        usage("no mode");
    options o;
    o.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc)
            usage("an option without its value");
        const std::string value = argv[++i];
        double number = 0;
        const bool numeric = h::parse_number(value, number) && number >= 0;
        if (arg == "--variant")
            o.variant = value;
        else if (arg == "--base")
            o.base = value;
        else if (arg == "--file")
            o.file = value;
        else if (arg == "--ports") {
            o.ports.clear();
            for (std::size_t start = 0; start <= value.size();) {
                const auto comma = std::min(value.find(',', start), value.size());
                o.ports.push_back(value.substr(start, comma - start));
                start = comma + 1;
            }
        } else if (!numeric)
            usage("a number is expected");
        else if (arg == "--endpoints" && number >= 1)
            o.endpoints = static_cast<std::size_t>(number);
        else if (arg == "--in-flight" && number >= 1)
            o.in_flight = static_cast<std::size_t>(number);
        else if (arg == "--threads" && number >= 1)
            o.threads = static_cast<unsigned>(number);
        else if (arg == "--seconds" && number <= 120)
            o.seconds = number;
        else if (arg == "--warmup" && number <= 60)
            o.warmup = number;
        else if (arg == "--max-events" && number >= 1)
            o.max_events = static_cast<std::uint64_t>(number);
        else
            usage("unknown option or value out of range");
    }
    return o;
}

webhook::hub_options hub_threads(unsigned threads) {
    webhook::hub_options o;
    o.threads = threads;
    return o;
}

std::string endpoint_name(std::size_t i) {
    char name[32];
    std::snprintf(name, sizeof name, "ep%05zu", i);
    return name;
}

std::string endpoint_url(const options& o, std::size_t i) {
    return o.base + ":" + o.ports[i % o.ports.size()] + "/hook/" + endpoint_name(i);
}

// The dispatcher benchmark's endpoint (dispatch_webhook_client.cpp), at `url`.
webhook::endpoint make_endpoint(std::string url, std::size_t in_flight) {
    webhook::endpoint ep{
        .url = std::move(url),
        .method = http::verb::post,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "secret"},
        .user_agent = std::string(h::user_agent),
        .max_in_flight = in_flight,
    };
    ep.queue.capacity = 4 * in_flight + 64;
    ep.queue.when_full = webhook::overflow_policy::block;
    return ep;
}

webhook::hub_endpoint make_hub_endpoint(const options& o, std::size_t i) {
    return {endpoint_name(i), make_endpoint(endpoint_url(o, i), o.in_flight),
            webhook::subscription{{"incident.updated"}, {}}};
}

struct window {
    clock_type::time_point start, end;
    bool contains(clock_type::time_point t) const { return t >= start && t < end; }
};

// What the I/O threads count, whatever the side.
struct outcomes {
    window w{};
    std::atomic<std::uint64_t> settled{0}, in_window{0}, errors{0};
    std::atomic<int> reported{0};

    void on(std::string_view endpoint, const webhook::delivery& d) {
        if (d.ok() && d.http_status == h::expected_status) {
            if (w.contains(clock_type::now()))
                in_window.fetch_add(1, std::memory_order_relaxed);
        } else {
            errors.fetch_add(1, std::memory_order_relaxed);
            if (reported.fetch_add(1) < 5)
                std::fprintf(stderr, "hub_benchmark: %.*s: %s, HTTP %d, %s\n",
                             static_cast<int>(endpoint.size()), endpoint.data(),
                             webhook::to_string(d.status), d.http_status,
                             d.error.message().c_str());
        }
        settled.fetch_add(1, std::memory_order_relaxed);
    }
};

// Runs one side's producer loop: `post_all()` sends the event to every endpoint and returns
// how many accepted it; afterwards `flush()`.
template <class PostAll, class Flush>
int produce(const options& o, outcomes& out, PostAll post_all, Flush flush) {
    const auto to_duration = [](double s) {
        return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
    };
    const auto begin = clock_type::now();
    out.w = {begin + to_duration(o.warmup), begin + to_duration(o.warmup + o.seconds)};
    std::uint64_t events = 0, accepted = 0, refused = 0, allocs_start = 0, allocs_end = 0;
    bool counting = false;
    for (; events < o.max_events; ++events) {
        const auto now = clock_type::now();
        if (now >= out.w.end)
            break;
        if (!counting && now >= out.w.start) {
            counting = true;
            allocs_start = new_count.load();
        }
        const std::size_t n = post_all();
        accepted += n;
        refused += o.endpoints - n;
    }
    // Stopped by the count: the window ends here.
    const auto stop = clock_type::now();
    if (stop < out.w.end)
        out.w.end = stop;
    allocs_end = new_count.load();
    if (!counting)
        allocs_start = allocs_end;
    const bool flushed = flush();
    const std::uint64_t requests = out.in_window.load();
    const double seconds = std::chrono::duration<double>(out.w.end - out.w.start).count();
    std::uint64_t errors = out.errors.load() + refused;
    if (!flushed || out.settled.load() != accepted) {
        std::fprintf(stderr,
                     "hub_benchmark: %s: flushed=%d accepted=%llu outcomes=%llu refused=%llu\n",
                     o.variant.c_str(), flushed ? 1 : 0, static_cast<unsigned long long>(accepted),
                     static_cast<unsigned long long>(out.settled.load()),
                     static_cast<unsigned long long>(refused));
        ++errors;
    }
    const double rps = seconds > 0 ? static_cast<double>(requests) / seconds : 0.0;
    std::printf("variant=%s endpoints=%zu in_flight=%zu threads=%u events=%llu requests=%llu "
                "seconds=%.3f events_per_s=%.1f requests_per_s=%.1f allocs_per_request=%.3f "
                "errors=%llu\n",
                o.variant.c_str(), o.endpoints, o.in_flight,
                o.variant == "dispatchers_own" ? static_cast<unsigned>(o.endpoints) : o.threads,
                static_cast<unsigned long long>(events), static_cast<unsigned long long>(requests),
                seconds, rps / static_cast<double>(o.endpoints), rps,
                requests
                    ? static_cast<double>(allocs_end - allocs_start) / static_cast<double>(requests)
                    : 0.0,
                static_cast<unsigned long long>(errors));
    std::fflush(stdout);
    return errors == 0 && requests > 0 ? 0 : 1;
}

// A context run by `threads` threads until `stop`.
struct shared_context {
    boost::asio::io_context context;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        context.get_executor()};
    std::vector<std::thread> threads;

    explicit shared_context(unsigned count) {
        for (unsigned i = 0; i < count; ++i)
            threads.emplace_back([this] { context.run(); });
    }
    void stop() {
        work.reset();
        context.stop();
        for (auto& t : threads)
            t.join();
        threads.clear();
    }
    ~shared_context() {
        if (!threads.empty())
            stop();
    }
};

int fanout(const options& o) {
    const auto event = bench::make_incident_event();
    outcomes out;
    if (o.variant == "hub") {
        webhook::hub_options ho;
        ho.threads = o.threads;
        ho.on_outcome = [&](std::string_view name, const webhook::delivery& d) { out.on(name, d); };
        webhook::hub hub(std::move(ho));
        std::vector<webhook::hub_endpoint> eps;
        for (std::size_t i = 0; i < o.endpoints; ++i)
            eps.push_back(make_hub_endpoint(o, i));
        hub.reload(eps);
        return produce(
            o, out,
            [&] {
                std::size_t n = 0;
                if (const auto r = hub.publish(event); r)
                    for (const auto& a : *r)
                        n += a.id.has_value() ? 1 : 0;
                return n;
            },
            [&] { return hub.flush(std::chrono::seconds(20)); });
    }
    if (o.variant != "dispatchers" && o.variant != "dispatchers_own")
        usage("--variant is hub, dispatchers or dispatchers_own");
    const bool own = o.variant == "dispatchers_own";
    shared_context context(own ? 0 : o.threads);
    int rc = 0;
    {
        std::vector<std::unique_ptr<webhook::dispatcher>> ds;
        for (std::size_t i = 0; i < o.endpoints; ++i) {
            webhook::dispatcher_options d;
            d.on_outcome = [&out, name = endpoint_name(i)](const webhook::delivery& x) {
                out.on(name, x);
            };
            auto ep = make_endpoint(endpoint_url(o, i), o.in_flight);
            ds.push_back(own ? std::make_unique<webhook::dispatcher>(std::move(ep), std::move(d))
                             : std::make_unique<webhook::dispatcher>(context.context.get_executor(),
                                                                     std::move(ep), std::move(d)));
        }
        rc = produce(
            o, out,
            [&] {
                std::size_t n = 0;
                for (auto& d : ds)
                    n += d->post(event).has_value() ? 1 : 0;
                return n;
            },
            [&] {
                const auto deadline = clock_type::now() + std::chrono::seconds(20);
                bool all = true;
                for (auto& d : ds)
                    all = d->flush(std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                deadline - clock_type::now()),
                                            std::chrono::milliseconds{0})) &&
                          all;
                return all;
            });
        for (auto& d : ds) // while the shared context still runs
            d->shutdown(std::chrono::seconds(1));
    }
    return rc;
}

// --- idle memory
struct memory_snapshot {
    std::int64_t new_bytes, openssl_bytes, malloc_bytes, rss_bytes;
};

memory_snapshot snapshot() {
    const struct mallinfo2 mi = mallinfo2();
    long pages = 0, resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(f);
    }
    return {new_live_bytes.load(), openssl_live_bytes.load(),
            static_cast<std::int64_t>(mi.uordblks + mi.hblkhd),
            static_cast<std::int64_t>(resident) * sysconf(_SC_PAGESIZE)};
}

void print_memory(const options& o, const memory_snapshot& a, const memory_snapshot& b,
                  double seconds) {
    const auto per = [&](std::int64_t x, std::int64_t y) {
        return static_cast<double>(y - x) / static_cast<double>(o.endpoints);
    };
    std::printf("variant=%s endpoints=%zu setup_s=%.3f new_bytes_per_endpoint=%.0f "
                "openssl_bytes_per_endpoint=%.0f malloc_bytes_per_endpoint=%.0f "
                "rss_bytes_per_endpoint=%.0f openssl_counted=%d\n",
                o.variant.c_str(), o.endpoints, seconds, per(a.new_bytes, b.new_bytes),
                per(a.openssl_bytes, b.openssl_bytes), per(a.malloc_bytes, b.malloc_bytes),
                per(a.rss_bytes, b.rss_bytes), openssl_counter.installed ? 1 : 0);
    std::fflush(stdout);
}

int idle(options o) {
    o.ports = {"9"}; // discard: nothing is ever sent
    std::vector<webhook::hub_endpoint> eps;
    for (std::size_t i = 0; i < o.endpoints; ++i)
        eps.push_back(make_hub_endpoint(o, i));
    if (o.variant == "hub") {
        webhook::hub hub(hub_threads(o.threads));
        malloc_trim(0);
        const auto before = snapshot();
        const auto t0 = clock_type::now();
        hub.reload(eps);
        const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
        malloc_trim(0);
        print_memory(o, before, snapshot(), s);
        return hub.endpoints().size() == o.endpoints ? 0 : 1;
    }
    if (o.variant != "dispatchers")
        usage("idle: --variant is hub or dispatchers");
    shared_context context(o.threads);
    std::vector<std::unique_ptr<webhook::dispatcher>> ds;
    ds.reserve(o.endpoints);
    malloc_trim(0);
    const auto before = snapshot();
    const auto t0 = clock_type::now();
    for (auto& e : eps)
        ds.push_back(std::make_unique<webhook::dispatcher>(context.context.get_executor(), e.config,
                                                           webhook::dispatcher_options{}));
    const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    malloc_trim(0);
    print_memory(o, before, snapshot(), s);
    for (auto& d : ds)
        d->shutdown(std::chrono::milliseconds{0});
    ds.clear();
    return 0;
}

// --- reload
void write_file(const options& o, const std::string& path, std::size_t change_every) {
    std::ofstream f(path, std::ios::trunc);
    f << "{\"endpoints\": [\n";
    for (std::size_t i = 0; i < o.endpoints; ++i) {
        const bool changed = change_every != 0 && i % change_every == 0;
        f << (i ? ",\n" : "") << "  {\"name\": \"" << endpoint_name(i) << "\", \"url\": \""
          << endpoint_url(o, i)
          << "\", \"event_types\": [\"incident.updated\"], \"method\": \"POST\", "
             "\"data_location\": \"root/result\", \"authentication\": {\"type\": \"basic\", "
             "\"username\": \"webhook\", \"password\": \"secret\"}, \"user_agent\": \""
          << h::user_agent << "\", \"max_in_flight\": " << (changed ? o.in_flight + 1 : o.in_flight)
          << ", \"queue\": {\"capacity\": " << 4 * o.in_flight + 64
          << ", \"when_full\": \"block\"}}";
    }
    f << "\n]}\n";
    if (!f)
        usage("cannot write the file");
}

int reload(options o) {
    if (o.file.empty())
        usage("reload: --file is required");
    o.ports = {"9"};
    const std::string changed = o.file + ".changed";
    write_file(o, o.file, 0);
    write_file(o, changed, 100);
    webhook::hub hub(hub_threads(o.threads));
    hub.declare<bench::incident_event>();
    const auto timed = [&](const char* what, const std::string& path) {
        const auto t0 = clock_type::now();
        hub.reload_file(path);
        const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
        std::printf("reload=%s endpoints=%zu seconds=%.3f\n", what, hub.endpoints().size(), s);
        std::fflush(stdout);
    };
    timed("first_load", o.file);
    timed("no_change", o.file);
    timed("one_percent_changed", changed);
    // The parse alone, for comparison.
    const auto t0 = clock_type::now();
    const auto eps = webhook::load_hub_endpoints_file(o.file);
    std::printf("reload=parse_only endpoints=%zu seconds=%.3f\n", eps.size(),
                std::chrono::duration<double>(clock_type::now() - t0).count());
    const auto changed_count = static_cast<std::size_t>(
        std::count_if(eps.begin(), eps.end(), [&](const webhook::hub_endpoint& e) {
            const auto c = hub.endpoint_config(e.name);
            return !c || !(*c == e);
        }));
    std::printf("reload=check endpoints_differing_from_file=%zu (expected %zu)\n", changed_count,
                (o.endpoints + 99) / 100);
    return changed_count == (o.endpoints + 99) / 100 ? 0 : 1;
}

// --- check: the body both sides send is http_common.hpp's payload.
struct capture_transport {
    std::mutex mutex;
    std::vector<std::string> bodies;

    webhook::http_response send(const webhook::origin&, const webhook::http_request& request,
                                boost::system::error_code& ec) {
        ec = {};
        std::lock_guard lock(mutex);
        bodies.push_back(request.body());
        return webhook::http_response{http::status::no_content, 11};
    }
};

int check(const options& o) {
    shared_context context(1);
    auto transport = std::make_shared<capture_transport>();
    int rc = 0;
    {
        webhook::basic_hub<capture_transport> hub(context.context.get_executor(), transport);
        hub.set(make_hub_endpoint(o, 0));
        hub.set(make_hub_endpoint(o, 1));
        webhook::basic_dispatcher<capture_transport> d(context.context.get_executor(), transport,
                                                       make_endpoint(endpoint_url(o, 2), 1));
        const auto r = hub.publish(bench::make_incident_event());
        const auto id = d.post(bench::make_incident_event());
        if (!r || r->size() != 2 || !id || !hub.flush(std::chrono::seconds(5)) ||
            !d.flush(std::chrono::seconds(5)))
            rc = 1;
        d.shutdown(std::chrono::seconds(1));
    }
    context.stop();
    if (transport->bodies.size() != 3)
        rc = 1;
    for (const auto& b : transport->bodies)
        if (b != h::payload) {
            std::fprintf(stderr, "hub_benchmark: a body differs from the payload:\n%s\n",
                         b.c_str());
            rc = 1;
        }
    std::printf("check: %zu requests (hub: 2 endpoints, dispatcher: 1), bodies %s the payload; "
                "OpenSSL allocations %s\n",
                transport->bodies.size(), rc == 0 ? "equal to" : "NOT equal to",
                openssl_counter.installed ? "counted" : "NOT counted");
    return rc;
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    if (o.mode == "fanout")
        return fanout(o);
    if (o.mode == "idle")
        return idle(o);
    if (o.mode == "reload")
        return reload(o);
    if (o.mode == "check")
        return check(o);
    usage("the mode is fanout, idle, reload or check");
}
