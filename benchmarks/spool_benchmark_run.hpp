#ifndef WEBHOOK_BENCHMARKS_SPOOL_BENCHMARK_RUN_HPP
#define WEBHOOK_BENCHMARKS_SPOOL_BENCHMARK_RUN_HPP

// What both sides of the spool benchmark (spool_benchmark.cpp: the webhook side and main;
// spool_benchmark_sqlite.cpp: the SQLite outbox) share: the options, failing, what a run
// measured, and the producer threads.

#include <webhook/spool/file_spool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace spool_bench {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

// The run's folder, removed by `fail` too (which may be called from any thread).
inline fs::path cleanup_path;

[[noreturn]] inline void fail(const std::string& what) {
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

} // namespace spool_bench

#endif
