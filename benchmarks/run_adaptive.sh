#!/usr/bin/env bash
# The adaptive-concurrency benchmark: webhook::dispatcher with adaptive concurrency (ceiling
# 64, starting at 1) against fixed limits of 1, 8, 32 and 64 requests in flight, on receivers
# overloaded the ways real ones are (tests/support/overload_receivers.hpp, on 127.0.0.1):
#   capacity  at most 8 requests in process, 5 ms each; one more is answered 503 at once
#   reset     the same, but one more has its connection reset
#   latency   every request 204, after 2 ms + 1 ms per other request in process
#   queue     every request 204, after 2 ms + 0.25 ms per request in process beyond 8
#             (8 workers and a queue: latency grows, throughput does not)
# Prints one table of medians over ROUNDS rounds (runs interleaved: every configuration once
# per round): goodput (events delivered, 2xx, per second), p99 latency of the successful
# attempt, rejected attempts per second (503s, resets and timeouts), the mean limit; then, per
# receiver, the adaptive run against the best fixed limit's goodput and the fixed 64's
# rejections. Writes a chart with benchmarks/plot_adaptive.sh when gnuplot is there.
# Usage: benchmarks/run_adaptive.sh                (everything on 127.0.0.1 only)
# Environment:
#   BUILD_DIR        build folder (default <repo>/build-bench); results in $BUILD_DIR/adaptive-bench
#   SECONDS_PER_RUN  measured seconds per run (4); WARMUP  unmeasured seconds before (1)
#   ROUNDS           rounds (3): the table gives medians
#   RECEIVERS        ("capacity reset latency queue")
#   LIMITS           the fixed limits ("1 8 32 64"); the adaptive ceiling is the largest
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
dir="$build/adaptive-bench"
seconds="${SECONDS_PER_RUN:-4}"
warmup="${WARMUP:-1}"
rounds="${ROUNDS:-3}"
read -r -a receivers <<<"${RECEIVERS:-capacity reset latency queue}"
read -r -a limits <<<"${LIMITS:-1 8 32 64}"
[[ "$seconds" =~ ^[1-9][0-9]?$ ]] || { echo "run_adaptive.sh: SECONDS_PER_RUN must be 1 to 99" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9](\.[0-9]+)?$ ]] || { echo "run_adaptive.sh: WARMUP must be 0 to 9.x seconds" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9]$ ]] || { echo "run_adaptive.sh: ROUNDS must be 1 to 9" >&2; exit 2; }
for l in "${limits[@]}"; do
    [[ "$l" =~ ^[1-9][0-9]{0,2}$ ]] || { echo "run_adaptive.sh: LIMITS must be 1 to 999" >&2; exit 2; }
done
ceiling=$(printf '%s\n' "${limits[@]}" | sort -n | tail -n 1)

cmake -S "$root" -B "$build" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DWEBHOOK_BUILD_BENCHMARKS=ON -DWEBHOOK_BUILD_TESTS=OFF -DWEBHOOK_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target adaptive_benchmark -j2
bench="$build/benchmarks/adaptive_benchmark"

rm -rf "$dir"
mkdir -p "$dir"
results="$dir/results.txt"
: >"$results"
# Each run is bounded: its own window plus half a minute.
cap=$(awk -v a="$seconds" -v b="$warmup" 'BEGIN { printf "%d", a + b + 30 }')
load_before=$(cut -d' ' -f1 /proc/loadavg)
for ((r = 1; r <= rounds; r++)); do
    for receiver in "${receivers[@]}"; do
        for l in "${limits[@]}" adaptive; do
            if [ "$l" = adaptive ]; then
                args=(--limit "$ceiling" --adaptive --initial 1)
            else
                args=(--limit "$l")
            fi
            line=$(timeout "$cap" "$bench" --receiver "$receiver" --seconds "$seconds" \
                       --warmup "$warmup" "${args[@]}") ||
                { echo "run_adaptive.sh: $receiver ${args[*]} failed" >&2; exit 1; }
            echo "$line round=$r" | tee -a "$results"
        done
    done
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

{
    echo "adaptive concurrency: $rounds rounds of ${seconds} s (after ${warmup} s), medians;" \
         "load average $load_before before, $load_after after"
    awk -v seconds="$seconds" -v ceiling="$ceiling" \
        -f <(cat "$root/benchmarks/stats.awk"; cat <<'AWK'
{
    rc = field($0, "receiver"); mode = field($0, "mode")
    key = rc SUBSEP (mode == "adaptive" ? "adaptive" : field($0, "limit"))
    if (!(rc in seen_rc)) { seen_rc[rc] = 1; order[++nrc] = rc }
    if (!(key in seen_key)) { seen_key[key] = 1; keys[rc] = keys[rc] " " (mode == "adaptive" ? "adaptive" : field($0, "limit")) }
    good[key] = good[key] " " field($0, "goodput")
    p99[key] = p99[key] " " field($0, "p99_ms")
    rej[key] = rej[key] " " (field($0, "rejected") / seconds)
    lim[key] = lim[key] " " field($0, "mean_limit")
}
END {
    printf "%-9s %-12s %12s %10s %14s %10s\n", "receiver", "limit", "goodput/s", "p99 ms", "rejected/s", "mean limit"
    for (i = 1; i <= nrc; i++) {
        rc = order[i]; n = split(keys[rc], ls, " ")
        best = 0; bestl = ""
        for (j = 1; j <= n; j++) {
            k = rc SUBSEP ls[j]
            g = median(good[k]); mg[k] = g; mr[k] = median(rej[k])
            name = ls[j] == "adaptive" ? "adaptive<=" ceiling : "fixed " ls[j]
            printf "%-9s %-12s %12.1f %10.2f %14.1f %10.2f\n", rc, name, g, median(p99[k]), mr[k], median(lim[k])
            if (ls[j] != "adaptive" && g > best) { best = g; bestl = ls[j] }
        }
        a = rc SUBSEP "adaptive"; f = rc SUBSEP ceiling
        summary[i] = sprintf("%s: adaptive goodput %.1f%% of the best fixed (%s); rejected: fixed %d %.1f/s, adaptive %.1f/s (%s)",
            rc, best > 0 ? 100 * mg[a] / best : 0, bestl, ceiling, mr[f], mr[a],
            mr[a] > 0 ? sprintf("%.1fx fewer", mr[f] / mr[a]) : (mr[f] > 0 ? "none at all" : "neither rejects"))
    }
    print ""
    for (i = 1; i <= nrc; i++) print summary[i]
}
AWK
) "$results"
} | tee "$dir/table.txt"

if command -v gnuplot >/dev/null; then
    "$root/benchmarks/plot_adaptive.sh" "$results" || echo "run_adaptive.sh: no chart" >&2
fi
