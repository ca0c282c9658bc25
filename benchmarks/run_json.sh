#!/usr/bin/env bash
# Builds and runs the JSON serializer benchmark, then prints the summary table
# (medians of the repetitions). Usage: benchmarks/run_json.sh [extra Google Benchmark flags]
# Environment: BUILD_DIR (default <repo>/build-bench), REPETITIONS (10), MIN_TIME (0.15 s),
# WEBHOOK_BENCH_GLAZE_INCLUDE (glaze's include/ directory: adds glaze as competitor (g); unset,
# the build is without it).
# Needs the 'bench' group of scripts/deps.sh and python3 (for the table).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
repetitions="${REPETITIONS:-10}"
min_time="${MIN_TIME:-0.15}"

# Release, but -O2 rather than CMake's default -O3: the level the project measures at.
cmake -S "$root" -B "$build" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DWEBHOOK_BUILD_BENCHMARKS=ON -DWEBHOOK_BUILD_TESTS=OFF -DWEBHOOK_BUILD_EXAMPLES=OFF \
      -DWEBHOOK_BENCH_GLAZE_INCLUDE="${WEBHOOK_BENCH_GLAZE_INCLUDE:-}" >/dev/null
cmake --build "$build" --target json_benchmark -j2

results="$build/json_benchmark.json"
console="$build/json_benchmark.txt"
# Interleaving the repetitions of all benchmarks spreads the machine's noise over every
# competitor alike, so the ratios taken from one run stay fair on a shared machine.
"$build/benchmarks/json_benchmark" \
    --benchmark_repetitions="$repetitions" \
    --benchmark_min_time="$min_time" \
    --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$results" --benchmark_out_format=json \
    "$@" >"$console"
# Above: the start-up check and the machine context (stderr); Google Benchmark's own
# per-benchmark lines, with means and deviations, are in $console.
echo "Google Benchmark output: $console; JSON: $results"

python3 - "$results" <<'PY'
import json
import sys

with open(sys.argv[1]) as f:
    report = json.load(f)

# Medians only; CPU time, as Google Benchmark uses for bytes_per_second.
rows = {}
for b in report["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    payload, competitor = b["run_name"].split("/", 1)
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    rows[(payload, competitor)] = {
        "ns": b["cpu_time"] * scale,
        "mbs": b["bytes_per_second"] / 1e6,
        "allocs": b["allocs"],
        "bytes": b["bytes"],
    }

ours, rapid, boost = "a_ours_write_path", "f_rapidjson_writer", "d_boost_value_from_serialize"
glaze, ceiling = "g_glaze_write", "z_memcpy_ceiling"
order = {"incident": 0, "change": 1, "text": 2}
payloads = sorted({p for p, _ in rows}, key=lambda p: (order.get(p, 3), p))

print()
print(f"JSON serialization, medians of {report['benchmarks'][0].get('repetitions', '?')} repetitions "
      f"(MB = 10^6 bytes of output; 'vs (a)' = time / time of (a))")
header = f"{'payload':<9} {'competitor':<29} {'ns/msg':>9} {'MB/s':>8} {'allocs/msg':>10} {'bytes':>6} {'vs (a)':>7}"
print(header)
print("-" * len(header))
for p in payloads:
    # A --benchmark_filter may leave (a) out: then there is nothing to compare with.
    base = rows[(p, ours)]["ns"] if (p, ours) in rows else None
    for (payload, competitor), r in sorted(rows.items()):
        if payload != p:
            continue
        relative = f"{r['ns'] / base:>6.2f}x" if base else f"{'-':>7}"
        print(f"{payload:<9} {competitor:<29} {r['ns']:>9.1f} {r['mbs']:>8.1f} "
              f"{r['allocs']:>10.2f} {r['bytes']:>6.0f} {relative}")
print()
for p in payloads:
    if not all((p, c) in rows for c in (ours, rapid, boost)):
        continue
    a = rows[(p, ours)]
    vs_rapid = rows[(p, rapid)]["ns"] / a["ns"]
    vs_boost = rows[(p, boost)]["ns"] / a["ns"]
    line = f"{p}: ours (a) is {vs_rapid:.2f}x RapidJSON Writer, {vs_boost:.2f}x Boost.JSON value_from+serialize, {a['allocs']:.2f} allocs/msg"
    if p == "incident":
        met = lambda ok: "met" if ok else "MISSED"
        line += (f"  [targets: >=3x RapidJSON {met(vs_rapid >= 3)}, >=5x Boost.JSON {met(vs_boost >= 5)}, "
                 f"0 allocs {met(a['allocs'] == 0)}]")
    print(line)
print()
# glaze (when built with it) and the memcpy ceiling: speed ratios = their time / ours.
for p in payloads:
    if (p, ours) not in rows:
        continue
    a = rows[(p, ours)]
    parts = []
    if (p, glaze) in rows:
        vs_glaze = rows[(p, glaze)]["ns"] / a["ns"]
        goal = 1.5 if p == "text" else 1.2
        met = "met" if vs_glaze >= goal else "MISSED"
        parts.append(f"ours (a) is {vs_glaze:.2f}x glaze [target >={goal}x {met}]")
    if (p, ceiling) in rows:
        z = rows[(p, ceiling)]
        parts.append(f"{a['mbs']:.0f} MB/s = {100 * a['mbs'] / z['mbs']:.1f}% of memcpy's "
                     f"{z['mbs']:.0f} MB/s")
    if parts:
        print(f"{p}: " + "; ".join(parts))
PY
