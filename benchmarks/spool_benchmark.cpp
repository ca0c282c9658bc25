// The spool benchmark (benchmarks/run_spool.sh): how fast N producer threads can durably hand
// events over, `webhook::dispatcher::post` with a `webhook::file_spool` against the outbox a
// user would otherwise write in SQLite, at the same durability level, on the same disk.
//
//   spool_benchmark --outbox webhook|sqlite --durability fsync_each_append|fsync_interval|no_fsync
//                   [--producers 8] [--events N] [--dir /var/tmp]
//
// - webhook: a `basic_dispatcher<instant_transport>` (an asynchronous transport that answers
//   200 at once, posting the completion to its executor) with a `file_spool` of the given
//   durability as its spool. Each producer `post`s its share of the described incident event
//   (json_payloads.hpp); `post` returns once the record is as durable as the policy promises.
//   After the last `post` returned: `flush`, and every event must have been delivered and
//   acknowledged (counters, and the spool's `unacked == 0`), else the run fails.
// - sqlite: the outbox table a user writes, in one database in WAL mode,
//     CREATE TABLE outbox(id INTEGER PRIMARY KEY, event_id TEXT, body TEXT)
//   each producer with its own connection (busy_timeout 10 s) doing one INSERT per event in
//   autocommit, the body being boost::json::serialize(boost::json::value_from(event)) made per
//   event, and the id a `webhook::event_id` (the same ULID the dispatcher gives). A sender
//   thread with its own connection SELECTs the oldest 256 rows, "delivers" them at once and
//   DELETEs each by id (one autocommit DELETE per event), polling every millisecond when the
//   table is empty. After the last INSERT returned: wait until the table is empty.
//   The durability levels map to `PRAGMA synchronous` (set on every connection):
//     fsync_each_append -> FULL   (the WAL is synced at every commit)
//     fsync_interval    -> NORMAL (WAL mode: commits are not synced; the WAL is synced before
//                                  each checkpoint, i.e. every ~1000 pages by default)
//     no_fsync          -> OFF    (never synced)
//   Every sync SQLite makes is counted exactly: the connections use a VFS shim registered
//   with sqlite3_vfs_register that forwards everything to the default VFS and counts xSync.
//
// Measured, for both: from the moment every producer is released until every `post`/INSERT
// has returned (the producer-visible throughput): events_per_s = events / that time; the
// per-call latencies of all producers give p50/p99. fsyncs: over the whole run (the spool's
// `stats().fsyncs`; SQLite's xSync calls, INSERTs and DELETEs and checkpoints), per event.
// One summary line on stdout:
//   outbox=webhook durability=fsync_each_append producers=8 events=20000 seconds=...
//   events_per_s=... fsyncs=... fsyncs_per_event=... p50_post_us=... p99_post_us=... drain_s=...
// Details (spool stats, SQLite's WAL/database syncs, busy retries) go to stderr.
//
// The directory: --dir names a folder on a real disk (tmpfs is refused: fsync would cost
// nothing); a fresh folder is made inside it for the run and removed at the end.
//
// The SQLite side is in spool_benchmark_sqlite.cpp, what both sides share in
// spool_benchmark_run.hpp.

#include <webhook/dispatcher.hpp>
#include <webhook/spool/file_spool.hpp>

#include "json_payloads.hpp"
#include "spool_benchmark_run.hpp"
#include "spool_benchmark_sqlite.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>

#include <sys/vfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

using namespace spool_bench;

namespace {

void usage() {
    std::fprintf(stderr,
                 "usage: spool_benchmark --outbox webhook|sqlite "
                 "--durability fsync_each_append|fsync_interval|no_fsync\n"
                 "                       [--producers N (8)] [--events N (20000 when syncing "
                 "per event, else 100000)] [--dir PATH (/var/tmp)]\n");
}

bool parse_options(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) {
            usage();
            return false;
        }
        const std::string_view v = argv[++i];
        if (a == "--outbox") {
            if (v == "webhook")
                o.outbox = outbox_kind::webhook;
            else if (v == "sqlite")
                o.outbox = outbox_kind::sqlite;
            else {
                usage();
                return false;
            }
        } else if (a == "--durability") {
            if (v == "fsync_each_append")
                o.durability = webhook::durability::fsync_each_append;
            else if (v == "fsync_interval")
                o.durability = webhook::durability::fsync_interval;
            else if (v == "no_fsync")
                o.durability = webhook::durability::no_fsync;
            else {
                usage();
                return false;
            }
            o.durability_name = std::string(v);
        } else if (a == "--producers") {
            o.producers = std::atoi(argv[i]);
            if (o.producers < 1 || o.producers > 256) {
                usage();
                return false;
            }
        } else if (a == "--events") {
            const long long n = std::atoll(argv[i]);
            if (n < 1 || n > 100'000'000) {
                usage();
                return false;
            }
            o.events = static_cast<std::uint64_t>(n);
        } else if (a == "--dir") {
            o.dir = std::string(v);
        } else {
            usage();
            return false;
        }
    }
    if (o.events == 0)
        o.events = o.durability == webhook::durability::fsync_each_append ? 20'000 : 100'000;
    return true;
}

// A fresh folder inside `parent` (which must be on a real disk), removed by the destructor.
class run_directory {
public:
    explicit run_directory(const fs::path& parent) {
        std::error_code ec;
        fs::create_directories(parent, ec);
        struct statfs st {};
        if (::statfs(parent.c_str(), &st) != 0)
            fail("cannot statfs " + parent.string());
        constexpr long tmpfs_magic = 0x01021994;
        constexpr long ramfs_magic = static_cast<long>(0x858458f6);
        if (st.f_type == tmpfs_magic || st.f_type == ramfs_magic)
            fail(parent.string() +
                 " is on tmpfs/ramfs: fsync would cost nothing; use --dir on a disk");
        std::string tmpl = (parent / "spool_benchmark.XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            fail("cannot make a folder in " + parent.string());
        path_ = tmpl;
        cleanup_path = path_;
    }
    ~run_directory() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    run_directory(const run_directory&) = delete;
    run_directory& operator=(const run_directory&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// ------------------------------------------------------------------------------------------
// webhook: basic_dispatcher<instant_transport> over a file_spool.

// An asynchronous transport that answers 200 at once: the completion is posted to the
// handler's executor, as a real I/O operation completes.
class instant_transport {
public:
    using executor_type = boost::asio::any_io_executor;

    explicit instant_transport(executor_type ex) : executor_(std::move(ex)) {}
    instant_transport(const instant_transport&) = delete;
    instant_transport& operator=(const instant_transport&) = delete;

    executor_type get_executor() const { return executor_; }
    std::uint64_t requests() const { return requests_.load(); }

    template <class CompletionToken>
    auto async_send(const webhook::origin&, const webhook::http_request&, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken,
                                           void(boost::system::error_code, webhook::http_response)>(
            [this](auto handler) {
                requests_.fetch_add(1, std::memory_order_relaxed);
                const auto ex = boost::asio::get_associated_executor(handler, executor_);
                boost::asio::post(ex, [handler = std::move(handler)]() mutable {
                    webhook::http_response response;
                    response.result(200);
                    std::move(handler)(boost::system::error_code{}, std::move(response));
                });
            },
            token);
    }

private:
    executor_type executor_;
    std::atomic<std::uint64_t> requests_{0};
};
static_assert(webhook::async_transport<instant_transport>);

run_result run_webhook(const options& o, const fs::path& dir) {
    run_result r;
    auto opened = webhook::file_spool::open(
        dir / "spool",
        webhook::file_spool_options{.durability = o.durability,
                                    .sync_interval = std::chrono::milliseconds(100)});
    if (!opened)
        fail("file_spool::open: " + opened.error().message());
    std::shared_ptr<webhook::file_spool> spool = *opened;

    std::atomic<std::uint64_t> delivered{0}, other{0};
    webhook::dispatcher_options dopt;
    dopt.spool = spool;
    dopt.on_outcome = [&](const webhook::delivery& d) {
        if (d.ok() && d.http_status == 200)
            delivered.fetch_add(1, std::memory_order_relaxed);
        else if (other.fetch_add(1) < 5)
            std::fprintf(stderr, "spool_benchmark: event %s: %s, HTTP %d, %s\n",
                         std::string(d.id.view()).c_str(), webhook::to_string(d.status),
                         d.http_status, d.error.message().c_str());
    };
    webhook::endpoint ep{
        .url = "http://127.0.0.1:9/hook",
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "secret"},
    };

    const auto event = bench::make_incident_event();
    std::atomic<std::uint64_t> refused{0};
    webhook::dispatcher_counters counters;
    bool flushed = false;
    std::uint64_t requests = 0;
    {
        webhook::basic_dispatcher<instant_transport> d(ep, std::move(dopt));
        r.seconds = run_producers(o, r, [&](int) {
            return [&] {
                const auto id = d.post(event);
                if (!id && refused.fetch_add(1) < 5)
                    std::fprintf(stderr, "spool_benchmark: post refused: %s\n",
                                 id.error().message().c_str());
            };
        });
        const auto drain_start = clock_type::now();
        flushed = d.flush(std::chrono::seconds(120));
        r.drain_seconds = std::chrono::duration<double>(clock_type::now() - drain_start).count();
        counters = d.counters();
        requests = d.transport().requests();
    }
    const webhook::file_spool_stats st = spool->stats();
    r.fsyncs = st.fsyncs;
    std::fprintf(stderr,
                 "spool_benchmark: webhook %s: spool appends=%llu fsyncs=%llu acks=%llu "
                 "unacked=%zu segments=%zu bytes_on_disk=%llu; counters accepted=%llu "
                 "delivered=%llu rejected=%llu; requests=%llu\n",
                 o.durability_name.c_str(), static_cast<unsigned long long>(st.appends),
                 static_cast<unsigned long long>(st.fsyncs),
                 static_cast<unsigned long long>(st.acks), st.unacked, st.segments,
                 static_cast<unsigned long long>(st.bytes_on_disk),
                 static_cast<unsigned long long>(counters.accepted),
                 static_cast<unsigned long long>(counters.delivered),
                 static_cast<unsigned long long>(counters.rejected),
                 static_cast<unsigned long long>(requests));
    const std::uint64_t n = o.events;
    if (!flushed || refused.load() != 0 || other.load() != 0 || delivered.load() != n ||
        counters.accepted != n || counters.delivered != n || counters.rejected != 0 ||
        counters.failed != 0 || counters.dropped != 0 || counters.abandoned != 0 ||
        st.appends != n || st.acks != n || st.unacked != 0)
        fail("webhook: not every event was posted, delivered and acknowledged (flushed=" +
             std::to_string(flushed) + " refused=" + std::to_string(refused.load()) +
             " delivered=" + std::to_string(delivered.load()) + " of " + std::to_string(n) +
             ", spool unacked=" + std::to_string(st.unacked) + ")");
    return r;
}

double percentile_us(std::vector<std::int64_t>& v, double q) {
    if (v.empty())
        return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]) / 1000.0;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse_options(argc, argv, o))
        return 2;
    run_result r;
    {
        run_directory dir(o.dir);
        r = o.outbox == outbox_kind::webhook ? run_webhook(o, dir.path())
                                             : run_sqlite(o, dir.path());
    }
    const double n = static_cast<double>(o.events);
    const double p50 = percentile_us(r.latency_ns, 0.50);
    const double p99 = percentile_us(r.latency_ns, 0.99);
    std::printf(
        "outbox=%s durability=%s producers=%d events=%llu seconds=%.3f events_per_s=%.0f "
        "fsyncs=%llu fsyncs_per_event=%.6f p50_post_us=%.1f p99_post_us=%.1f drain_s=%.3f\n",
        o.outbox == outbox_kind::webhook ? "webhook" : "sqlite", o.durability_name.c_str(),
        o.producers, static_cast<unsigned long long>(o.events), r.seconds,
        r.seconds > 0 ? n / r.seconds : 0.0, static_cast<unsigned long long>(r.fsyncs),
        static_cast<double>(r.fsyncs) / n, p50, p99, r.drain_seconds);
    return 0;
}
