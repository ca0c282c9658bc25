#ifndef WEBHOOK_BENCHMARKS_SPOOL_BENCHMARK_SQLITE_HPP
#define WEBHOOK_BENCHMARKS_SPOOL_BENCHMARK_SQLITE_HPP

#include "spool_benchmark_run.hpp"

namespace spool_bench {

// The outbox a user would write in SQLite (see spool_benchmark.cpp): producers INSERT, a
// sender deletes what it "delivered"; every sync SQLite makes is counted.
run_result run_sqlite(const options& o, const fs::path& dir);

} // namespace spool_bench

#endif
