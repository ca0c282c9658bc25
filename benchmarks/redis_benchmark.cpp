// The Redis spool benchmark (benchmarks/run_redis.sh): events per second through a spool shared
// by N dispatcher processes to a real HTTP receiver (nginx on loopback), with the Redis Streams
// spool against the same run with the file journal.
//
//   redis_benchmark --spool redis|file --processes N --url URL [--producers P] [--events K]
//                   [--durability interval|each] [--redis-port PORT] [--dir PATH]
//
// The parent forks N processes (before it starts any thread) and shares counters with them
// through an anonymous shared mapping. Each process:
//   - opens its spool: `redis`: a `redis_spool` on one stream shared by all (consumer
//     "bench-<i>"; Redis's persistence is the server's: run_redis.sh runs it with the
//     append-only file, appendfsync everysec for `interval`, always for `each`); `file`: a
//     `file_spool` of its own in --dir (durability fsync_interval or fsync_each_append: one
//     directory per process, since a file journal cannot be shared);
//   - runs a `webhook::dispatcher` (the built-in HTTP transport, max_in_flight 8) to URL with
//     that spool, and P producer threads that `post` the described incident event
//     (json_payloads.hpp) K/(N*P) times each;
//   - counts delivered events (2xx) in the shared counters, and anything else as a failure.
// Measured by the parent, from releasing every process at once: post_s, until every `post`
// returned; seconds, until K events were delivered (end to end: append, read back by some
// process, HTTP request, acknowledgement queued). Then the processes stop; the run fails
// unless exactly K events were delivered, none failed or was refused, and the spool is empty
// (redis: XLEN 0 and nothing pending once the processes exited; file: every process's
// `unacked` is 0).
// One summary line on stdout:
//   spool=redis durability=interval processes=2 producers=2 events=40000 seconds=...
//   events_per_s=... post_s=... post_events_per_s=... claimed=... redis_reads=...

#include <webhook/dispatcher.hpp>
#include <webhook/spool/file_spool.hpp>
#include <webhook/spool/redis_spool.hpp>

#include "json_payloads.hpp"

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "redis_benchmark: FAILED: %s\n", what.c_str());
    std::fflush(stderr);
    std::_Exit(1);
}

struct options {
    bool redis = true;
    int processes = 1;
    int producers = 2;
    std::uint64_t events = 40'000;
    bool each = false; // durability: a sync per append
    std::string url;
    std::uint16_t redis_port = 6379;
    fs::path dir = "/var/tmp";
    std::string stream; // redis: one per run, removed at its end
};

void usage() {
    std::fprintf(stderr, "usage: redis_benchmark --spool redis|file --processes N --url URL "
                         "[--producers P (2)] [--events K (40000)] [--durability interval|each] "
                         "[--redis-port PORT (6379)] [--dir PATH (/var/tmp)]\n");
}

bool parse_options(int argc, char** argv, options& o) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i], v = argv[i + 1];
        if (a == "--spool" && (v == "redis" || v == "file"))
            o.redis = v == "redis";
        else if (a == "--processes")
            o.processes = std::atoi(argv[i + 1]);
        else if (a == "--producers")
            o.producers = std::atoi(argv[i + 1]);
        else if (a == "--events")
            o.events = std::strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--durability" && (v == "interval" || v == "each"))
            o.each = v == "each";
        else if (a == "--url")
            o.url = std::string(v);
        else if (a == "--redis-port")
            o.redis_port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
        else if (a == "--dir")
            o.dir = std::string(v);
        else
            return false;
    }
    return argc % 2 == 1 && !o.url.empty() && o.processes >= 1 && o.processes <= 64 &&
           o.producers >= 1 && o.producers <= 64 && o.events >= 1;
}

// Shared between the parent and the processes (an anonymous MAP_SHARED mapping; lock-free
// atomics work across processes).
struct shared_state {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> posted{0};
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::uint64_t> unacked{0};
    std::atomic<std::uint64_t> claimed{0};
    std::atomic<std::uint64_t> reads{0};
    char first_error[256]{};
    std::atomic<bool> error_set{false};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

void note_error(shared_state& s, const std::string& what) {
    if (!s.error_set.exchange(true))
        std::snprintf(s.first_error, sizeof s.first_error, "%s", what.c_str());
}

// One dispatcher process.
int run_process(const options& o, int index, shared_state& s) {
    webhook::any_spool spool;
    std::shared_ptr<webhook::redis_spool> redis;
    std::shared_ptr<webhook::file_spool> file;
    if (o.redis) {
        webhook::redis_spool_options ro;
        ro.port = o.redis_port;
        ro.stream = o.stream;
        ro.consumer = "bench-" + std::to_string(index);
        std::string why;
        auto opened = webhook::redis_spool::open(ro, &why);
        if (!opened)
            fail("redis_spool::open: " + why);
        redis = *opened;
        spool = redis;
    } else {
        auto opened = webhook::file_spool::open(
            o.dir / ("spool-" + std::to_string(index)),
            webhook::file_spool_options{.durability = o.each
                                                          ? webhook::durability::fsync_each_append
                                                          : webhook::durability::fsync_interval});
        if (!opened)
            fail("file_spool::open: " + opened.error().message());
        file = *opened;
        spool = file;
    }
    webhook::endpoint ep{
        .url = o.url,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "secret"},
    };
    ep.max_in_flight = 8;
    webhook::dispatcher_options dopt;
    dopt.spool = spool;
    dopt.spool_poll_interval = 20ms;
    dopt.shutdown_timeout = 0ms;
    dopt.on_outcome = [&s](const webhook::delivery& d) {
        if (d.ok())
            s.delivered.fetch_add(1, std::memory_order_relaxed);
        else if (d.status != webhook::delivery_status::abandoned) {
            s.failed.fetch_add(1, std::memory_order_relaxed);
            note_error(s, std::string("event ") + webhook::to_string(d.status) + ", HTTP " +
                              std::to_string(d.http_status) + ", " + d.error.message());
        }
    };
    const auto event = bench::make_incident_event();
    {
        webhook::dispatcher d(ep, std::move(dopt));
        const std::uint64_t total_producers =
            static_cast<std::uint64_t>(o.processes) * static_cast<std::uint64_t>(o.producers);
        std::vector<std::thread> producers;
        s.ready.fetch_add(1);
        while (!s.go.load())
            std::this_thread::sleep_for(50us); // released by another process
        for (int p = 0; p < o.producers; ++p) {
            const std::uint64_t k = static_cast<std::uint64_t>(index * o.producers + p);
            const std::uint64_t share =
                o.events / total_producers + (k < o.events % total_producers ? 1 : 0);
            producers.emplace_back([&, share] {
                for (std::uint64_t i = 0; i < share; ++i) {
                    const auto id = d.post(event);
                    if (id)
                        s.posted.fetch_add(1, std::memory_order_relaxed);
                    else {
                        s.refused.fetch_add(1);
                        note_error(s, "post refused: " + id.error().message());
                    }
                }
            });
        }
        for (auto& t : producers)
            t.join();
        while (!s.stop.load())
            std::this_thread::sleep_for(200us); // the parent decides when the run is over
    }
    if (redis) {
        const auto st = redis->stats();
        s.claimed.fetch_add(st.claimed);
        s.reads.fetch_add(st.reads);
    }
    if (file)
        s.unacked.fetch_add(file->stats().unacked);
    return 0;
}

// XLEN and the pending count of the benchmark's stream, through a short connection.
std::pair<long long, long long> stream_state(std::uint16_t port, const std::string& stream,
                                             bool del) {
    timeval tv{2, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c == nullptr || c->err != 0)
        fail("cannot connect to Redis on port " + std::to_string(port));
    redisSetTimeout(c, tv);
    long long len = -1, pending = -1;
    if (auto* r = static_cast<redisReply*>(redisCommand(c, "XLEN %s", stream.c_str()))) {
        if (r->type == REDIS_REPLY_INTEGER)
            len = r->integer;
        freeReplyObject(r);
    }
    if (auto* r =
            static_cast<redisReply*>(redisCommand(c, "XPENDING %s webhook", stream.c_str()))) {
        if (r->type == REDIS_REPLY_ARRAY && r->elements > 0)
            pending = r->element[0]->integer;
        freeReplyObject(r);
    }
    if (del)
        if (auto* r = static_cast<redisReply*>(redisCommand(c, "DEL %s", stream.c_str())))
            freeReplyObject(r);
    redisFree(c);
    return {len, pending};
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse_options(argc, argv, o)) {
        usage();
        return 2;
    }
    o.stream = "bench:{redis_benchmark-" + std::to_string(::getpid()) + "}";
    fs::path run_dir;
    if (!o.redis) {
        std::error_code ec;
        fs::create_directories(o.dir, ec);
        std::string tmpl = (o.dir / "redis_benchmark.XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            fail("cannot make a folder in " + o.dir.string());
        run_dir = tmpl;
        o.dir = run_dir;
    }
    void* mem = ::mmap(nullptr, sizeof(shared_state), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        fail("mmap");
    auto* s = new (mem) shared_state;

    std::vector<pid_t> children;
    for (int i = 0; i < o.processes; ++i) {
        const pid_t pid = ::fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0) {
            const int rc = run_process(o, i, *s);
            std::fflush(nullptr);
            std::_Exit(rc); // the parent's state is not ours to destroy
        }
        children.push_back(pid);
    }
    const auto reap = [&] {
        s->stop.store(true);
        for (const pid_t pid : children) {
            int status = 0;
            ::waitpid(pid, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail("a dispatcher process failed");
        }
        children.clear();
    };
    for (auto until = clock_type::now() + 30s; s->ready.load() < o.processes;) {
        if (clock_type::now() > until)
            fail("the dispatcher processes did not start within 30 s");
        std::this_thread::sleep_for(1ms);
    }

    const auto start = clock_type::now();
    s->go.store(true);
    const auto limit = start + 10min;
    auto posted_at = clock_type::time_point{};
    for (;;) {
        const auto now = clock_type::now();
        if (posted_at == clock_type::time_point{} &&
            s->posted.load() + s->refused.load() >= o.events)
            posted_at = now;
        if (s->delivered.load() >= o.events || s->failed.load() != 0 || s->refused.load() != 0)
            break;
        if (now > limit)
            fail("not every event was delivered within 10 minutes");
        std::this_thread::sleep_for(200us);
    }
    const auto end = clock_type::now();
    if (posted_at == clock_type::time_point{})
        posted_at = end;
    // Let the last acknowledgements go out before the processes stop (they send what is
    // queued when they stop anyway).
    std::this_thread::sleep_for(100ms);
    reap();

    const std::uint64_t delivered = s->delivered.load();
    if (s->failed.load() != 0 || s->refused.load() != 0 || delivered != o.events)
        fail("delivered " + std::to_string(delivered) + " of " + std::to_string(o.events) +
             ", failed " + std::to_string(s->failed.load()) + ", refused " +
             std::to_string(s->refused.load()) + ": " + s->first_error);
    if (o.redis) {
        const auto [len, pending] = stream_state(o.redis_port, o.stream, true);
        if (len != 0 || pending != 0)
            fail("the stream is not empty at the end: XLEN " + std::to_string(len) + ", pending " +
                 std::to_string(pending));
    } else {
        if (s->unacked.load() != 0)
            fail("file spools still hold " + std::to_string(s->unacked.load()) + " records");
        std::error_code ec;
        fs::remove_all(run_dir, ec);
    }

    const double seconds = std::chrono::duration<double>(end - start).count();
    const double post_s = std::chrono::duration<double>(posted_at - start).count();
    std::printf("spool=%s durability=%s processes=%d producers=%d events=%llu seconds=%.3f "
                "events_per_s=%.0f post_s=%.3f post_events_per_s=%.0f claimed=%llu reads=%llu\n",
                o.redis ? "redis" : "file", o.each ? "each" : "interval", o.processes, o.producers,
                static_cast<unsigned long long>(o.events), seconds,
                static_cast<double>(o.events) / seconds, post_s,
                static_cast<double>(o.events) / post_s,
                static_cast<unsigned long long>(s->claimed.load()),
                static_cast<unsigned long long>(s->reads.load()));
    return 0;
}
