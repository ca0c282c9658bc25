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

#include <webhook/dispatcher.hpp>
#include <webhook/spool/file_spool.hpp>

#include "json_payloads.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <sqlite3.h>
#include <sys/vfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <latch>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

// The run's folder, removed by `fail` too (which may be called from any thread).
fs::path cleanup_path;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "spool_benchmark: FAILED: %s\n", what.c_str());
    std::fflush(stderr);
    if (!cleanup_path.empty()) {
        std::error_code ec;
        fs::remove_all(cleanup_path, ec);
    }
    std::_Exit(1); // other threads may still run: no static destructors
}

enum class outbox_kind { webhook, sqlite };

struct options {
    outbox_kind outbox = outbox_kind::webhook;
    webhook::durability durability = webhook::durability::fsync_each_append;
    std::string durability_name = "fsync_each_append";
    int producers = 8;
    std::uint64_t events = 0; // 0: the default for the durability
    fs::path dir = "/var/tmp";
};

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

// What one run measured.
struct run_result {
    double seconds = 0;       // release of the producers to the last post/INSERT returned
    double drain_seconds = 0; // from then until every event was delivered and acknowledged
    std::uint64_t fsyncs = 0;
    std::vector<std::int64_t> latency_ns; // every producer's per-call times
};

// Runs `producers` threads, each calling `one(thread index)` `share` times and timing it;
// returns the time from their release to the last call's return.
template <class PerThread>
double run_producers(const options& o, run_result& r, PerThread&& make_worker) {
    const int n = o.producers;
    std::vector<std::vector<std::int64_t>> times(static_cast<std::size_t>(n));
    std::vector<clock_type::time_point> ends(static_cast<std::size_t>(n));
    std::latch ready(n);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < n; ++t) {
        const std::uint64_t share =
            o.events / static_cast<std::uint64_t>(n) +
            (static_cast<std::uint64_t>(t) < o.events % static_cast<std::uint64_t>(n) ? 1 : 0);
        threads.emplace_back([&, t, share] {
            auto worker = make_worker(t); // setup (a connection) outside the measured time
            auto& mine = times[static_cast<std::size_t>(t)];
            mine.reserve(share);
            ready.count_down();
            go.wait(false);
            for (std::uint64_t i = 0; i < share; ++i) {
                const auto t0 = clock_type::now();
                worker();
                mine.push_back(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0)
                        .count());
            }
            ends[static_cast<std::size_t>(t)] = clock_type::now();
        });
    }
    ready.wait();
    const auto start = clock_type::now();
    go.store(true);
    go.notify_all();
    for (auto& th : threads)
        th.join();
    const auto end = *std::max_element(ends.begin(), ends.end());
    for (auto& v : times)
        r.latency_ns.insert(r.latency_ns.end(), v.begin(), v.end());
    return std::chrono::duration<double>(end - start).count();
}

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

// ------------------------------------------------------------------------------------------
// sqlite: the outbox table a user writes, over a VFS shim that counts syncs.

namespace counting_vfs {

std::atomic<std::uint64_t> wal_syncs{0}, db_syncs{0}, other_syncs{0};
sqlite3_vfs* base = nullptr;
sqlite3_vfs vfs{};
sqlite3_io_methods methods{};

struct file {
    sqlite3_file base; // pMethods: ours
    int kind;          // 0 main database, 1 WAL, 2 other
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

sqlite3_file* real(sqlite3_file* f) {
    return reinterpret_cast<file*>(f)->real();
}

int x_close(sqlite3_file* f) {
    sqlite3_file* r = real(f);
    return r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
}
int x_read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
    return real(f)->pMethods->xRead(real(f), p, n, off);
}
int x_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
    return real(f)->pMethods->xWrite(real(f), p, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
    switch (reinterpret_cast<file*>(f)->kind) {
    case 0:
        db_syncs.fetch_add(1, std::memory_order_relaxed);
        break;
    case 1:
        wal_syncs.fetch_add(1, std::memory_order_relaxed);
        break;
    default:
        other_syncs.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int l) {
    return real(f)->pMethods->xLock(real(f), l);
}
int x_unlock(sqlite3_file* f, int l) {
    return real(f)->pMethods->xUnlock(real(f), l);
}
int x_check_reserved_lock(sqlite3_file* f, int* out) {
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
    return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) {
    return real(f)->pMethods->xSectorSize(real(f));
}
int x_device_characteristics(sqlite3_file* f) {
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** p) {
    return real(f)->pMethods->xShmMap(real(f), page, size, extend, p);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
    real(f)->pMethods->xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int del) {
    return real(f)->pMethods->xShmUnmap(real(f), del);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
    return real(f)->pMethods->xFetch(real(f), off, n, p);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
    return real(f)->pMethods->xUnfetch(real(f), off, p);
}

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    auto* p = reinterpret_cast<file*>(f);
    p->base.pMethods = nullptr;
    p->kind = (flags & SQLITE_OPEN_MAIN_DB) ? 0 : (flags & SQLITE_OPEN_WAL) ? 1 : 2;
    const int rc = base->xOpen(base, name, p->real(), flags, out_flags);
    if (p->real()->pMethods) {
        if (p->real()->pMethods->iVersion < 3)
            fail("sqlite: the default VFS's files lack the version-3 methods");
        p->base.pMethods = &methods;
    }
    return rc;
}
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
    return base->xDelete(base, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
    return base->xAccess(base, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return base->xFullPathname(base, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) {
    return base->xDlOpen(base, name);
}
void x_dl_error(sqlite3_vfs*, int n, char* msg) {
    base->xDlError(base, n, msg);
}
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
    return base->xDlSym(base, h, sym);
}
void x_dl_close(sqlite3_vfs*, void* h) {
    base->xDlClose(base, h);
}
int x_randomness(sqlite3_vfs*, int n, char* out) {
    return base->xRandomness(base, n, out);
}
int x_sleep(sqlite3_vfs*, int us) {
    return base->xSleep(base, us);
}
int x_current_time(sqlite3_vfs*, double* t) {
    return base->xCurrentTime(base, t);
}
int x_get_last_error(sqlite3_vfs*, int n, char* msg) {
    return base->xGetLastError(base, n, msg);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* t) {
    return base->xCurrentTimeInt64(base, t);
}
int x_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
    return base->xSetSystemCall(base, name, p);
}
sqlite3_syscall_ptr x_get_system_call(sqlite3_vfs*, const char* name) {
    return base->xGetSystemCall(base, name);
}
const char* x_next_system_call(sqlite3_vfs*, const char* name) {
    return base->xNextSystemCall(base, name);
}

constexpr const char* name = "spool_benchmark_counting";

void register_once() {
    if (base)
        return;
    base = sqlite3_vfs_find(nullptr);
    if (!base || base->iVersion < 3)
        fail("sqlite: no default VFS of version 3");
    methods.iVersion = 3;
    methods.xClose = x_close;
    methods.xRead = x_read;
    methods.xWrite = x_write;
    methods.xTruncate = x_truncate;
    methods.xSync = x_sync;
    methods.xFileSize = x_file_size;
    methods.xLock = x_lock;
    methods.xUnlock = x_unlock;
    methods.xCheckReservedLock = x_check_reserved_lock;
    methods.xFileControl = x_file_control;
    methods.xSectorSize = x_sector_size;
    methods.xDeviceCharacteristics = x_device_characteristics;
    methods.xShmMap = x_shm_map;
    methods.xShmLock = x_shm_lock;
    methods.xShmBarrier = x_shm_barrier;
    methods.xShmUnmap = x_shm_unmap;
    methods.xFetch = x_fetch;
    methods.xUnfetch = x_unfetch;

    vfs.iVersion = 3;
    vfs.szOsFile = static_cast<int>(sizeof(file)) + base->szOsFile;
    vfs.mxPathname = base->mxPathname;
    vfs.zName = name;
    vfs.xOpen = x_open;
    vfs.xDelete = x_delete;
    vfs.xAccess = x_access;
    vfs.xFullPathname = x_full_pathname;
    vfs.xDlOpen = x_dl_open;
    vfs.xDlError = x_dl_error;
    vfs.xDlSym = x_dl_sym;
    vfs.xDlClose = x_dl_close;
    vfs.xRandomness = x_randomness;
    vfs.xSleep = x_sleep;
    vfs.xCurrentTime = x_current_time;
    vfs.xGetLastError = x_get_last_error;
    vfs.xCurrentTimeInt64 = x_current_time_int64;
    vfs.xSetSystemCall = x_set_system_call;
    vfs.xGetSystemCall = x_get_system_call;
    vfs.xNextSystemCall = x_next_system_call;
    if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK)
        fail("sqlite: cannot register the counting VFS");
}

std::uint64_t total() {
    return wal_syncs.load() + db_syncs.load() + other_syncs.load();
}

} // namespace counting_vfs

const char* synchronous_for(webhook::durability d) {
    switch (d) {
    case webhook::durability::fsync_each_append:
        return "FULL";
    case webhook::durability::fsync_interval:
        return "NORMAL";
    case webhook::durability::no_fsync:
        return "OFF";
    }
    return "FULL";
}

// One connection with its statements; everything fails loudly.
class connection {
public:
    connection(const fs::path& db, const options& o) {
        const int rc = sqlite3_open_v2(
            db.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
            counting_vfs::name);
        if (rc != SQLITE_OK)
            fail(std::string("sqlite3_open_v2: ") + sqlite3_errstr(rc));
        sqlite3_busy_timeout(db_, 10'000);
        exec("PRAGMA journal_mode=WAL");
        exec(std::string("PRAGMA synchronous=") + synchronous_for(o.durability));
    }
    ~connection() {
        for (sqlite3_stmt* s : statements_)
            sqlite3_finalize(s);
        sqlite3_close(db_);
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    void exec(const std::string& sql) {
        char* msg = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
            std::string m = msg ? msg : "?";
            sqlite3_free(msg);
            fail("sqlite: " + sql + ": " + m);
        }
    }
    sqlite3_stmt* prepare(const char* sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
            fail(std::string("sqlite: prepare ") + sql + ": " + sqlite3_errmsg(db_));
        statements_.push_back(s);
        return s;
    }
    // Steps a write statement to its end: SQLITE_BUSY (after busy_timeout) is retried and
    // counted, anything else fails.
    void step_done(sqlite3_stmt* s, std::atomic<std::uint64_t>& busy) {
        for (int tries = 0;; ++tries) {
            const int rc = sqlite3_step(s);
            if (rc == SQLITE_DONE)
                break;
            if ((rc & 0xff) == SQLITE_BUSY && tries < 100) {
                busy.fetch_add(1, std::memory_order_relaxed);
                sqlite3_reset(s);
                continue;
            }
            fail(std::string("sqlite: step: ") + sqlite3_errmsg(db_));
        }
        sqlite3_reset(s);
    }
    sqlite3* handle() const { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::vector<sqlite3_stmt*> statements_;
};

run_result run_sqlite(const options& o, const fs::path& dir) {
    run_result r;
    counting_vfs::register_once();
    const fs::path db = dir / "outbox.db";
    {
        connection setup(db, o);
        setup.exec("CREATE TABLE outbox(id INTEGER PRIMARY KEY, event_id TEXT, body TEXT)");
    }
    const std::uint64_t syncs_before = counting_vfs::total();
    const std::uint64_t wal_before = counting_vfs::wal_syncs.load();
    const std::uint64_t db_before = counting_vfs::db_syncs.load();
    const std::uint64_t other_before = counting_vfs::other_syncs.load();

    const auto event = bench::make_incident_event();
    std::atomic<std::uint64_t> busy{0}, inserted{0}, deleted{0};
    std::atomic<bool> producers_done{false};
    std::uint64_t body_bytes = 0;

    // The sender: oldest rows first, each "delivered" at once and deleted by id.
    std::thread sender([&] {
        connection c(db, o);
        sqlite3_stmt* select =
            c.prepare("SELECT id, event_id, body FROM outbox ORDER BY id LIMIT 256");
        sqlite3_stmt* del = c.prepare("DELETE FROM outbox WHERE id = ?");
        std::vector<sqlite3_int64> ids;
        ids.reserve(256);
        const auto limit = clock_type::now() + std::chrono::minutes(10);
        for (;;) {
            ids.clear();
            for (;;) {
                const int rc = sqlite3_step(select);
                if (rc == SQLITE_ROW) {
                    ids.push_back(sqlite3_column_int64(select, 0));
                    body_bytes +=
                        static_cast<std::uint64_t>(sqlite3_column_bytes(select, 2)); // "delivered"
                    continue;
                }
                if (rc == SQLITE_DONE)
                    break;
                if ((rc & 0xff) == SQLITE_BUSY) {
                    busy.fetch_add(1, std::memory_order_relaxed);
                    sqlite3_reset(select);
                    ids.clear();
                    continue;
                }
                fail(std::string("sqlite: select: ") + sqlite3_errmsg(c.handle()));
            }
            sqlite3_reset(select);
            for (const sqlite3_int64 id : ids) {
                sqlite3_bind_int64(del, 1, id);
                c.step_done(del, busy);
                deleted.fetch_add(1, std::memory_order_relaxed);
            }
            if (ids.empty()) {
                if (producers_done.load() && deleted.load() == inserted.load())
                    break;
                if (clock_type::now() > limit)
                    fail("sqlite: the sender did not empty the table within 10 minutes");
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }
    });

    r.seconds = run_producers(o, r, [&](int t) {
        struct worker {
            std::unique_ptr<connection> c;
            sqlite3_stmt* insert;
            std::mt19937_64 rng;
            const bench::incident_event* event;
            std::atomic<std::uint64_t>* busy;
            std::atomic<std::uint64_t>* inserted;
            void operator()() {
                const webhook::event_id id(std::chrono::system_clock::now(), rng(), rng());
                const std::string body = boost::json::serialize(boost::json::value_from(*event));
                const std::string_view idv = id.view();
                sqlite3_bind_text(insert, 1, idv.data(), static_cast<int>(idv.size()),
                                  SQLITE_STATIC);
                sqlite3_bind_text(insert, 2, body.data(), static_cast<int>(body.size()),
                                  SQLITE_STATIC);
                c->step_done(insert, *busy);
                inserted->fetch_add(1, std::memory_order_relaxed);
            }
        };
        auto c = std::make_unique<connection>(db, o);
        sqlite3_stmt* insert = c->prepare("INSERT INTO outbox(event_id, body) VALUES(?, ?)");
        return worker{std::move(c), insert, std::mt19937_64(0x5eed + static_cast<unsigned>(t)),
                      &event,       &busy,  &inserted};
    });
    producers_done.store(true);
    const auto drain_start = clock_type::now();
    sender.join();
    r.drain_seconds = std::chrono::duration<double>(clock_type::now() - drain_start).count();

    std::uint64_t left = 0;
    {
        connection c(db, o);
        sqlite3_stmt* count = c.prepare("SELECT count(*) FROM outbox");
        if (sqlite3_step(count) != SQLITE_ROW)
            fail(std::string("sqlite: count: ") + sqlite3_errmsg(c.handle()));
        left = static_cast<std::uint64_t>(sqlite3_column_int64(count, 0));
    }
    // The syncs up to the table being empty, not those of closing the last connection.
    r.fsyncs = counting_vfs::total() - syncs_before;
    std::fprintf(
        stderr,
        "spool_benchmark: sqlite synchronous=%s: inserted=%llu deleted=%llu left=%llu "
        "syncs: wal=%llu db=%llu other=%llu; busy retries=%llu; bodies read=%llu bytes\n",
        synchronous_for(o.durability), static_cast<unsigned long long>(inserted.load()),
        static_cast<unsigned long long>(deleted.load()), static_cast<unsigned long long>(left),
        static_cast<unsigned long long>(counting_vfs::wal_syncs.load() - wal_before),
        static_cast<unsigned long long>(counting_vfs::db_syncs.load() - db_before),
        static_cast<unsigned long long>(counting_vfs::other_syncs.load() - other_before),
        static_cast<unsigned long long>(busy.load()), static_cast<unsigned long long>(body_bytes));
    if (inserted.load() != o.events || deleted.load() != o.events || left != 0)
        fail("sqlite: not every event was inserted, sent and deleted");
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
