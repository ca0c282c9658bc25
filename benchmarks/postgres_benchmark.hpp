#ifndef WEBHOOK_BENCHMARKS_POSTGRES_BENCHMARK_HPP
#define WEBHOOK_BENCHMARKS_POSTGRES_BENCHMARK_HPP

// What both sides of the PostgreSQL outbox benchmark share (postgres_benchmark.cpp: the
// library's outboxes and main; postgres_benchmark_handwritten.cpp: the outbox a user would
// write): the options, failing, libpq helpers, the business table, the producer threads, and
// the counters the delivering processes share with the parent.

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <latch>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pg_bench {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "postgres_benchmark: FAILED: %s\n", what.c_str());
    std::fflush(stderr);
    std::_Exit(1); // other threads (and forked processes) may still run: no destructors
}

enum class outbox_kind {
    postgres,        // postgres_spool, post(event, in_transaction(conn))
    postgres_append, // postgres_spool, post(event, *outbox): its own transaction per event
    handwritten,     // the user's table, INSERT in the transaction, a SKIP LOCKED poller
    file,            // file_spool (default durability), post(event, *spool)
    redis,           // redis_spool, post(event, *spool)
};

struct options {
    bool deliver = false; // the phase: append, or deliver a backlog
    outbox_kind outbox = outbox_kind::postgres;
    std::string outbox_name = "postgres";
    int producers = 1; // append: threads
    int per_tx = 1;    // append: events per transaction
    int workers = 1;   // deliver: processes
    std::uint64_t events = 10'000;
    std::string conninfo;
    std::string url;
    std::uint16_t redis_port = 0;
    fs::path dir = "/var/tmp"; // file spools
    bool listen = true;        // postgres_spool_options::listen
    bool notify = true;        // postgres_spool_options::notify (off: --outbox postgres_nonotify)
};

// --- libpq

inline PGconn* connect(const std::string& conninfo) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (c == nullptr || PQstatus(c) != CONNECTION_OK)
        fail("connecting to PostgreSQL (" + conninfo +
             "): " + (c ? PQerrorMessage(c) : "out of memory"));
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    return c;
}

// Runs `sql` (parameters as text); fails the run unless it succeeded. The result, cleared by
// the caller when it wants the rows (`keep`), else here.
inline PGresult* exec(PGconn* c, const char* sql, std::initializer_list<const char*> params = {},
                      bool keep = false) {
    const std::vector<const char*> values(params);
    PGresult* r = values.empty() ? PQexec(c, sql)
                                 : PQexecParams(c, sql, static_cast<int>(values.size()), nullptr,
                                                values.data(), nullptr, nullptr, 0);
    const auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail(std::string(sql) + ": " + (r ? PQresultErrorMessage(r) : PQerrorMessage(c)));
    if (keep)
        return r;
    PQclear(r);
    return nullptr;
}

inline std::uint64_t count_rows(PGconn* c, const std::string& table) {
    PGresult* r = exec(c, ("SELECT count(*) FROM " + table).c_str(), {}, true);
    const std::uint64_t n = std::strtoull(PQgetvalue(r, 0, 0), nullptr, 10);
    PQclear(r);
    return n;
}

// The business table both sides write one row of per transaction, and the hand-written outbox:
// made when missing, and emptied before every run with the library's outbox tables (when
// they exist already: postgres_spool::open makes them).
inline void reset_tables(PGconn* c) {
    exec(c, "CREATE TABLE IF NOT EXISTS orders (id bigserial PRIMARY KEY, customer text NOT NULL,"
            " amount_cents bigint NOT NULL, created timestamptz NOT NULL DEFAULT now())");
    exec(c, "CREATE TABLE IF NOT EXISTS handwritten_outbox (id bigserial PRIMARY KEY,"
            " event_id uuid NOT NULL DEFAULT gen_random_uuid(), payload text NOT NULL,"
            " created timestamptz NOT NULL DEFAULT now())");
    PGresult* r = exec(c, "SELECT to_regclass('webhook_outbox') IS NOT NULL", {}, true);
    const bool library = std::string_view(PQgetvalue(r, 0, 0)) == "t";
    PQclear(r);
    exec(c, library ? "TRUNCATE orders, handwritten_outbox, webhook_outbox, webhook_outbox_dead"
                    : "TRUNCATE orders, handwritten_outbox");
    exec(c, "CHECKPOINT"); // every run starts from the same WAL state
}

// The business write of one transaction: the same statement on both sides.
inline void insert_order(PGconn* c, int producer, std::uint64_t i) {
    const std::string customer = "customer-" + std::to_string(producer);
    const std::string amount = std::to_string(1000 + i % 5000);
    exec(c, "INSERT INTO orders (customer, amount_cents) VALUES ($1, $2::bigint)",
         {customer.c_str(), amount.c_str()});
}

// --- the producers of the append phase

struct append_result {
    double seconds = 0;
    std::vector<std::int64_t> latency_ns; // per transaction (or per call)
};

// Runs `producers` threads; thread t first calls `make(t)` (its connection: not timed), which
// returns the transaction to run (given its index within the thread), then runs its share of
// `transactions` once every thread is ready. Measures from the release to the last return.
inline append_result
run_producers(int producers, std::uint64_t transactions,
              const std::function<std::function<void(std::uint64_t)>(int)>& make) {
    append_result r;
    const auto n = static_cast<std::uint64_t>(producers);
    std::vector<std::vector<std::int64_t>> times(n);
    std::vector<clock_type::time_point> ends(n);
    std::latch ready(producers);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (std::uint64_t t = 0; t < n; ++t) {
        const std::uint64_t share = transactions / n + (t < transactions % n ? 1 : 0);
        threads.emplace_back([&, t, share] {
            auto one = make(static_cast<int>(t));
            auto& mine = times[t];
            mine.reserve(share);
            ready.count_down();
            go.wait(false);
            for (std::uint64_t i = 0; i < share; ++i) {
                const auto t0 = clock_type::now();
                one(i);
                mine.push_back(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0)
                        .count());
            }
            ends[t] = clock_type::now();
        });
    }
    ready.wait();
    const auto start = clock_type::now();
    go.store(true);
    go.notify_all();
    for (auto& th : threads)
        th.join();
    r.seconds =
        std::chrono::duration<double>(*std::max_element(ends.begin(), ends.end()) - start).count();
    for (auto& v : times)
        r.latency_ns.insert(r.latency_ns.end(), v.begin(), v.end());
    return r;
}

// --- the deliver phase: counters shared by the parent and the worker processes (an anonymous
// MAP_SHARED mapping; lock-free atomics work across processes).

struct shared_state {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::atomic<bool> stop{false};
    std::atomic<int> drained{0}; // workers that saw every event delivered and hold nothing
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> reads{0};      // rows / entries read (claimed) by the workers
    std::atomic<std::uint64_t> read_calls{0}; // hand-written: SELECT ... SKIP LOCKED transactions
    std::atomic<std::uint64_t> taken_over{0};
    char first_error[256]{};
    std::atomic<bool> error_set{false};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

inline void note_error(shared_state& s, const std::string& what) {
    if (!s.error_set.exchange(true))
        std::snprintf(s.first_error, sizeof s.first_error, "%s", what.c_str());
}

// --- the hand-written outbox (postgres_benchmark_handwritten.cpp)

// The transaction of producer `producer`: BEGIN; INSERT INTO orders; `per_tx` x INSERT INTO
// handwritten_outbox (the event serialized with nlohmann::json); COMMIT, on its own connection.
std::function<void(std::uint64_t)> handwritten_producer(const options& o, int producer);
// Fills handwritten_outbox with `n` events (1000 per transaction).
void handwritten_prefill(const options& o, std::uint64_t n);
// One delivering process: SELECT ... FOR UPDATE SKIP LOCKED LIMIT 16, a POST of each with one
// reused libcurl easy handle, DELETE, COMMIT; 10 ms sleeps while the table is empty.
int handwritten_worker(const options& o, shared_state& s);

} // namespace pg_bench

#endif
