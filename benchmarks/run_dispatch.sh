#!/usr/bin/env bash
# The dispatcher benchmark: events per second from webhook::dispatcher::post(struct) to a 204
# from nginx on loopback, at 1, 8 and 64 requests in flight, against the pipeline a user would
# otherwise write (Boost.JSON value_from + serialize + libcurl multi, same concurrency) and wrk
# (the HTTP/1.1 ceiling, same payload). The HTTP benchmark's harness (run_http.sh) runs them,
# with these clients and a second ratio column against the curl pipeline; then this script
# prints the targets, the allocations per event, and writes the medians for plot_dispatch.sh.
# Usage: benchmarks/run_dispatch.sh             (everything on 127.0.0.1 only)
# Environment: as run_http.sh (BUILD_DIR, PORT, SECONDS_PER_RUN, WARMUP, ROUNDS, CONNECTIONS,
#   WORKERS, WRK_THREADS_64); results in $BUILD_DIR/dispatch-bench/: results.txt (every
#   summary line), table.txt, medians.dat (for benchmarks/plot_dispatch.sh).
# Needs the 'bench' group of scripts/deps.sh and curl.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BUILD_DIR="${BUILD_DIR:-$root/build-bench}"
export BENCH_SUBDIR=dispatch-bench
# http_webhook_client: the library's transport alone on a prepared request (webhook_async, and
# webhook_blocking at 1), the ceiling of the dispatcher, which sends through it.
export CLIENTS="dispatch_curl_pipeline dispatch_webhook_client http_webhook_client"
export EXTRA_CLIENTS=""
export BASELINE=value_from_curl_multi
# Boost.JSON writes 7.25 as 7.25E0: the same document in 323 bytes (the client checks it).
export BODY_MAY_DIFFER=dispatch_curl_pipeline
# The dispatcher's requests carry "Accept: application/json, */*" (and a webhook-id header,
# which the check does not log); the others send no Accept.
export LIBRARY_ACCEPT_CLIENTS=dispatch_webhook_client
export ROUNDS="${ROUNDS:-5}"
dir="$BUILD_DIR/$BENCH_SUBDIR"

status=0
"$root/benchmarks/run_http.sh" || status=$?
[ -s "$dir/table.txt" ] || exit "$status"

# medians.dat: one row per in-flight count, the median req/s of each client (from the table).
awk '
$1 == "wrk" || $1 == "value_from_curl_multi" || $1 == "webhook_dispatcher" || $1 == "webhook_async" {
    rps[$2, $1] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
}
END {
    print "# in_flight wrk value_from_curl_multi webhook_dispatcher webhook_async   (events or requests per second, medians)"
    for (i = 1; i <= n; i++) {
        c = order[i]
        print c, rps[c, "wrk"], rps[c, "value_from_curl_multi"], rps[c, "webhook_dispatcher"], ((c, "webhook_async") in rps ? rps[c, "webhook_async"] : "?")
    }
}' "$dir/table.txt" >"$dir/medians.dat"

echo
# The targets, from the table's ratio columns (medians of per-round ratios).
awk '
$1 == "webhook_dispatcher" {
    base = $7; sub(/x$/, "", base); wrk = $6; sub(/x$/, "", wrk)
    printf "targets at %2d in flight: %5.2fx the curl pipeline (>= 1.5x: %s)", $2, base, (base + 0 >= 1.5 ? "met" : "MISSED")
    if ($2 == 8) printf ", %5.2fx wrk (>= 0.75x: %s)", wrk, (wrk + 0 >= 0.75 ? "met" : "MISSED")
    printf "\n"
}' "$dir/table.txt"

# Allocations per event, from each run's stderr: the median over the rounds.
for name in webhook_dispatcher value_from_curl_multi; do
    # By in-flight count (sort -V: c1 before c8 before c64).
    for f in $(ls "$dir"/dispatch_*_c*_r*.txt.err 2>/dev/null | sort -V); do cat "$f"; done | awk -v name="$name" "$(cat "$root/benchmarks/stats.awk")"'
    $1 == name && /allocations_per_event=/ {
        split($2, c, "="); split($3, a, "=")
        if (!(c[2] in all)) order[++n] = c[2]
        all[c[2]] = all[c[2]] " " a[2]
        if ($0 ~ /post thread/) { p = $0; sub(/.*post thread /, "", p); sub(/,.*/, "", p); post[c[2]] = post[c[2]] " " p }
    }
    END {
        if (n == 0) exit
        printf "allocations per event, %s (median over rounds):", name
        for (i = 1; i <= n; i++) {
            printf " %s in flight %.2f", order[i], median(all[order[i]])
            if (order[i] in post) printf " (post thread %.2f)", median(post[order[i]])
            printf i < n ? ";" : "\n"
        }
    }'
done
echo "Medians for the chart: $dir/medians.dat (benchmarks/plot_dispatch.sh draws it)"
exit "$status"
