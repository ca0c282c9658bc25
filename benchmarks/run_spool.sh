#!/usr/bin/env bash
# The spool benchmark: events per second that producer threads hand over durably, through
# webhook::dispatcher::post with a webhook::file_spool, against the outbox a user would
# otherwise write (SQLite in WAL mode, one INSERT per event, one DELETE once sent), at each
# durability level (fsync_each_append / fsync_interval / no_fsync; SQLite: synchronous FULL /
# NORMAL / OFF), with 8 producers (and 1 at fsync_each_append). Prints one table with the
# medians of REPEATS runs per configuration and the fsyncs per event of each side, then
# whether the targets are met (>= 3x SQLite with PRODUCERS producers, >= 1.5x with one).
# Usage: benchmarks/run_spool.sh
# Environment:
#   BUILD_DIR     build folder (default <repo>/build-bench); results in $BUILD_DIR/spool-bench
#   SPOOL_DIR     where the spool and the database go: a folder on a real disk, not tmpfs
#                 (default /var/tmp); each run makes a fresh folder inside it and removes it
#   REPEATS       runs of every configuration (3): the table gives medians
#   PRODUCERS     producer threads (8); fsync_each_append also runs with 1
#   EVENTS_SYNC   events per run at fsync_each_append (20000)
#   EVENTS        events per run at fsync_interval and no_fsync (100000)
#   RUN_TIMEOUT   seconds after which one run is killed (300)
# Needs libsqlite3-dev (the 'bench' group of scripts/deps.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
dir="$build/spool-bench"
spool_dir="${SPOOL_DIR:-/var/tmp}"
repeats="${REPEATS:-3}"
producers="${PRODUCERS:-8}"
events_sync="${EVENTS_SYNC:-20000}"
events="${EVENTS:-100000}"
run_timeout="${RUN_TIMEOUT:-300}"
[[ "$repeats" =~ ^[1-9]$ ]] || { echo "run_spool.sh: REPEATS must be 1 to 9" >&2; exit 2; }
[[ "$producers" =~ ^[1-9][0-9]?$ ]] || { echo "run_spool.sh: PRODUCERS must be 1 to 99" >&2; exit 2; }
[[ "$events_sync" =~ ^[1-9][0-9]{0,6}$ ]] || { echo "run_spool.sh: EVENTS_SYNC must be 1 to 9999999" >&2; exit 2; }
[[ "$events" =~ ^[1-9][0-9]{0,7}$ ]] || { echo "run_spool.sh: EVENTS must be 1 to 99999999" >&2; exit 2; }
[[ "$run_timeout" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "run_spool.sh: RUN_TIMEOUT must be 1 to 9999 seconds" >&2; exit 2; }
command -v timeout >/dev/null || { echo "run_spool.sh: timeout (coreutils) not found" >&2; exit 1; }

# --- Build: the same configuration as run_json.sh and run_http.sh (Release, -O2).
cmake -S "$root" -B "$build" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DWEBHOOK_BUILD_BENCHMARKS=ON -DWEBHOOK_BUILD_TESTS=OFF -DWEBHOOK_BUILD_EXAMPLES=OFF >/dev/null
grep -q '^SQLite3_INCLUDE_DIR:PATH=/' "$build/CMakeCache.txt" ||
    { echo "run_spool.sh: SQLite not found (Debian: scripts/deps.sh bench, or apt-get install libsqlite3-dev)" >&2; exit 1; }
cmake --build "$build" --target spool_benchmark -j2
bench="$build/benchmarks/spool_benchmark"

mkdir -p "$dir"
results="$dir/results.txt"
: >"$results"
status=0

# The configurations: durability, producers, events.
configs=("fsync_each_append $producers $events_sync")
[ "$producers" -ne 1 ] && configs+=("fsync_each_append 1 $events_sync")
configs+=("fsync_interval $producers $events" "no_fsync $producers $events")

run_one() { # $1 outbox, $2 durability, $3 producers, $4 events, $5 repeat
    local out="$dir/$1_$2_p$3_r$5.txt"
    if ! timeout "$run_timeout" "$bench" --outbox "$1" --durability "$2" --producers "$3" \
            --events "$4" --dir "$spool_dir" >"$out" 2>"$out.err"; then
        echo "run_spool.sh: $1 $2 producers=$3 failed or timed out (${run_timeout} s):" >&2
        cat "$out.err" >&2
        status=1
        return
    fi
    grep '^outbox=' "$out" | sed "s/\$/ repeat=$5/" | tee -a "$results" ||
        { echo "run_spool.sh: $1 $2 producers=$3 printed no summary" >&2; status=1; }
}

echo "Runs: $repeats repeat(s) of each configuration; spool and database in a fresh folder under $spool_dir ($(df -PT "$spool_dir" | awk 'NR == 2 { print $2 " on " $1 }'))"
# The machine is shared: both sides of a configuration run back to back, the order swapped
# every other repeat, so that each ratio compares neighbours in time.
for r in $(seq "$repeats"); do
    for c in "${configs[@]}"; do
        read -r durability p n <<<"$c"
        if [ $((r % 2)) -eq 1 ]; then
            run_one webhook "$durability" "$p" "$n" "$r"
            run_one sqlite "$durability" "$p" "$n" "$r"
        else
            run_one sqlite "$durability" "$p" "$n" "$r"
            run_one webhook "$durability" "$p" "$n" "$r"
        fi
    done
done

# --- The table: medians over the repeats, per durability and producer count.
echo
awk -v repeats="$repeats" -v main_producers="$producers" "$(cat "$root/benchmarks/stats.awk")"'
/^outbox=/ {
    d = field($0, "durability"); p = field($0, "producers"); o = field($0, "outbox")
    key = d SUBSEP p
    if (!(key in seen)) { seen[key] = 1; order[++keys] = key; dur[key] = d; prod[key] = p }
    eps[key, o] = eps[key, o] " " field($0, "events_per_s")
    fpe[key, o] = fpe[key, o] " " field($0, "fsyncs_per_event")
    p50[key, o] = p50[key, o] " " field($0, "p50_post_us")
    p99[key, o] = p99[key, o] " " field($0, "p99_post_us")
}
END {
    printf "Durable hand-over of the incident event: webhook::dispatcher::post with a file_spool vs\n"
    printf "a SQLite outbox (WAL; synchronous FULL / NORMAL / OFF for fsync_each_append /\n"
    printf "fsync_interval / no_fsync); medians of %d repeat(s); ratio = webhook / sqlite\n", repeats
    header = sprintf("%-18s %9s %13s %12s %7s %16s %15s", "durability", "producers", "webhook_ev/s", "sqlite_ev/s", "ratio", "webhook_fsync/ev", "sqlite_fsync/ev")
    print header
    line = header; gsub(/./, "-", line); print line
    for (i = 1; i <= keys; i++) {
        k = order[i]
        w = median(eps[k, "webhook"]); s = median(eps[k, "sqlite"])
        ratio = (w != "" && s != "" && s > 0) ? sprintf("%6.2fx", w / s) : sprintf("%7s", "-")
        printf "%-18s %9d %13s %12s %s %16s %15s\n", dur[k], prod[k],
            w == "" ? "-" : sprintf("%.0f", w), s == "" ? "-" : sprintf("%.0f", s), ratio,
            fpe[k, "webhook"] == "" ? "-" : sprintf("%.5f", median(fpe[k, "webhook"])),
            fpe[k, "sqlite"] == "" ? "-" : sprintf("%.5f", median(fpe[k, "sqlite"]))
    }
    print ""
    print "per-post latency, medians of the runs (us):"
    for (i = 1; i <= keys; i++) {
        k = order[i]
        printf "  %-18s producers=%-3d webhook p50 %s p99 %s; sqlite p50 %s p99 %s\n", dur[k], prod[k],
            median(p50[k, "webhook"]), median(p99[k, "webhook"]), median(p50[k, "sqlite"]), median(p99[k, "sqlite"])
    }
    print ""
    # The targets: at least 3x SQLite at the same durability with 8 (PRODUCERS) producers,
    # and at least 1.5x with the one producer of the extra fsync_each_append row.
    for (i = 1; i <= keys; i++) {
        k = order[i]
        goal = (prod[k] == 1 && main_producers != 1) ? 1.5 : 3
        w = median(eps[k, "webhook"]); s = median(eps[k, "sqlite"])
        if (w == "" || s == "" || s <= 0) { printf "target at %s, %d producers: no result\n", dur[k], prod[k]; continue }
        printf "target at %s, %d producers: %.2fx SQLite (>= %gx: %s)\n", dur[k], prod[k], w / s, goal, (w / s >= goal ? "met" : "MISSED")
    }
}' "$results" | tee "$dir/table.txt"
echo "Summary lines: $results; the table: $dir/table.txt; each run's output: $dir"
exit "$status"
