// The SQLite side of the spool benchmark (see spool_benchmark.cpp): the outbox table a user
// writes, over a VFS shim that counts syncs.

#include "spool_benchmark_sqlite.hpp"

#include "json_payloads.hpp"

#include <boost/json.hpp>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace spool_bench {

namespace {

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

// What the sender and the producers count.
struct outbox_counters {
    std::atomic<std::uint64_t> busy{0}, inserted{0}, deleted{0};
    std::atomic<bool> producers_done{false};
    std::uint64_t body_bytes = 0; // the sender's own
};

// The sender: oldest rows first, each "delivered" at once and deleted by id, until the
// producers are done and the table is empty.
void send_until_empty(const fs::path& db, const options& o, outbox_counters& n) {
    connection c(db, o);
    sqlite3_stmt* select = c.prepare("SELECT id, event_id, body FROM outbox ORDER BY id LIMIT 256");
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
                n.body_bytes +=
                    static_cast<std::uint64_t>(sqlite3_column_bytes(select, 2)); // "delivered"
                continue;
            }
            if (rc == SQLITE_DONE)
                break;
            if ((rc & 0xff) == SQLITE_BUSY) {
                n.busy.fetch_add(1, std::memory_order_relaxed);
                sqlite3_reset(select);
                ids.clear();
                continue;
            }
            fail(std::string("sqlite: select: ") + sqlite3_errmsg(c.handle()));
        }
        sqlite3_reset(select);
        for (const sqlite3_int64 id : ids) {
            sqlite3_bind_int64(del, 1, id);
            c.step_done(del, n.busy);
            n.deleted.fetch_add(1, std::memory_order_relaxed);
        }
        if (ids.empty()) {
            if (n.producers_done.load() && n.deleted.load() == n.inserted.load())
                break;
            if (clock_type::now() > limit)
                fail("sqlite: the sender did not empty the table within 10 minutes");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
}

// A producer: one INSERT per event, in autocommit, the body serialized per event.
struct insert_worker {
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
        sqlite3_bind_text(insert, 1, idv.data(), static_cast<int>(idv.size()), SQLITE_STATIC);
        sqlite3_bind_text(insert, 2, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
        c->step_done(insert, *busy);
        inserted->fetch_add(1, std::memory_order_relaxed);
    }
};

// The rows still in the table.
std::uint64_t rows_left(const fs::path& db, const options& o) {
    connection c(db, o);
    sqlite3_stmt* count = c.prepare("SELECT count(*) FROM outbox");
    if (sqlite3_step(count) != SQLITE_ROW)
        fail(std::string("sqlite: count: ") + sqlite3_errmsg(c.handle()));
    return static_cast<std::uint64_t>(sqlite3_column_int64(count, 0));
}

} // namespace

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
    outbox_counters n;
    std::thread sender([&] { send_until_empty(db, o, n); });

    r.seconds = run_producers(o, r, [&](int t) {
        auto c = std::make_unique<connection>(db, o);
        sqlite3_stmt* insert = c->prepare("INSERT INTO outbox(event_id, body) VALUES(?, ?)");
        return insert_worker{
            std::move(c), insert,  std::mt19937_64(0x5eed + static_cast<unsigned>(t)),
            &event,       &n.busy, &n.inserted};
    });
    n.producers_done.store(true);
    const auto drain_start = clock_type::now();
    sender.join();
    r.drain_seconds = std::chrono::duration<double>(clock_type::now() - drain_start).count();

    const std::uint64_t left = rows_left(db, o);
    // The syncs up to the table being empty, not those of closing the last connection.
    r.fsyncs = counting_vfs::total() - syncs_before;
    std::fprintf(stderr,
                 "spool_benchmark: sqlite synchronous=%s: inserted=%llu deleted=%llu left=%llu "
                 "syncs: wal=%llu db=%llu other=%llu; busy retries=%llu; bodies read=%llu bytes\n",
                 synchronous_for(o.durability), static_cast<unsigned long long>(n.inserted.load()),
                 static_cast<unsigned long long>(n.deleted.load()),
                 static_cast<unsigned long long>(left),
                 static_cast<unsigned long long>(counting_vfs::wal_syncs.load() - wal_before),
                 static_cast<unsigned long long>(counting_vfs::db_syncs.load() - db_before),
                 static_cast<unsigned long long>(counting_vfs::other_syncs.load() - other_before),
                 static_cast<unsigned long long>(n.busy.load()),
                 static_cast<unsigned long long>(n.body_bytes));
    if (n.inserted.load() != o.events || n.deleted.load() != o.events || left != 0)
        fail("sqlite: not every event was inserted, sent and deleted");
    return r;
}

} // namespace spool_bench
