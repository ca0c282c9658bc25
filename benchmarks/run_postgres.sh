#!/usr/bin/env bash
# The PostgreSQL outbox benchmark: events per second appended inside transactions (1 and 8
# producer threads, 1 and 10 events a transaction) and delivered from a backlog to nginx on
# loopback (1 and 3 worker processes), with webhook::postgres_spool against the outbox a user
# would write by hand (INSERT in the transaction; a polling worker with SELECT ... FOR UPDATE
# SKIP LOCKED and libcurl), and against the file journal and the Redis spool in the same run.
# Prints one table with the medians of REPEATS runs per configuration and the ratios
# ours / hand-written.
# Usage: benchmarks/run_postgres.sh                 (everything on 127.0.0.1 only)
# Environment:
#   BUILD_DIR     build folder (default <repo>/build-bench); results in $BUILD_DIR/postgres-bench
#   SPOOL_DIR     a folder on a real disk for PostgreSQL's data directory and the file spools
#                 (default /var/tmp): fsync must cost what it costs
#   REPEATS       runs of every configuration (3): the table gives medians
#   PRODUCERS     appending thread counts ("1 8")
#   PER_TX        events per transaction ("1 10")
#   WORKERS       delivering process counts ("1 3")
#   EVENTS        events per append run (5000; a multiple of every PER_TX): with one commit
#                 per event and a disk flush of about 4 ms, one producer appends 250 a second
#   DELIVER_EVENTS  the backlog of a deliver run (10000)
#   RUN_TIMEOUT   seconds after which one run is killed (300)
#   PG_BIN        PostgreSQL's server binaries (default: the newest /usr/lib/postgresql/*/bin)
# PostgreSQL runs with its defaults (fsync on, synchronous_commit on: a commit returns once
# its WAL is flushed to disk); Redis with the append-only file, appendfsync everysec.
# Needs the 'bench' and 'test' groups of scripts/deps.sh (nginx-light, curl, libcurl, libpq-dev
# and postgresql-15, libhiredis-dev and redis-server). Starts its own
# PostgreSQL (as 'nobody' when run as root: it refuses root), nginx and redis-server, never a
# system service, and stops them on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
dir="$build/postgres-bench"
spool_dir="${SPOOL_DIR:-/var/tmp}"
repeats="${REPEATS:-3}"
read -r -a producer_counts <<<"${PRODUCERS:-1 8}"
read -r -a per_tx_counts <<<"${PER_TX:-1 10}"
read -r -a worker_counts <<<"${WORKERS:-1 3}"
events="${EVENTS:-5000}"
deliver_events="${DELIVER_EVENTS:-10000}"
run_timeout="${RUN_TIMEOUT:-300}"
nginx=/usr/sbin/nginx
if [ -z "${PG_BIN:-}" ]; then
    PG_BIN="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi
pg_bin="$PG_BIN"
me=run_postgres.sh
[[ "$repeats" =~ ^[1-9]$ ]] || { echo "$me: REPEATS must be 1 to 9" >&2; exit 2; }
[[ "$events" =~ ^[1-9][0-9]{0,6}$ ]] || { echo "$me: EVENTS must be 1 to 9999999" >&2; exit 2; }
[[ "$deliver_events" =~ ^[1-9][0-9]{0,6}$ ]] || { echo "$me: DELIVER_EVENTS must be 1 to 9999999" >&2; exit 2; }
[[ "$run_timeout" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "$me: RUN_TIMEOUT must be 1 to 9999 seconds" >&2; exit 2; }
for p in "${producer_counts[@]}" "${worker_counts[@]}"; do
    [[ "$p" =~ ^[1-9][0-9]?$ && "$p" -le 64 ]] || { echo "$me: PRODUCERS and WORKERS must be numbers 1 to 64" >&2; exit 2; }
done
for k in "${per_tx_counts[@]}"; do
    [[ "$k" =~ ^[1-9][0-9]{0,2}$ ]] || { echo "$me: PER_TX must be numbers 1 to 999" >&2; exit 2; }
    [ $((events % k)) -eq 0 ] || { echo "$me: EVENTS ($events) must be a multiple of every PER_TX" >&2; exit 2; }
done
for tool in "$nginx" redis-server redis-cli curl timeout "$pg_bin/initdb" "$pg_bin/pg_ctl" "$pg_bin/psql"; do
    command -v "$tool" >/dev/null ||
        { echo "$me: $tool not found (Debian: scripts/deps.sh test bench, postgresql, curl)" >&2; exit 1; }
done

# --- Build: the same configuration as the other benchmark scripts (Release, -O2).
cmake -S "$root" -B "$build" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DWEBHOOK_BUILD_BENCHMARKS=ON -DWEBHOOK_BUILD_TESTS=OFF -DWEBHOOK_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target postgres_benchmark -j2 ||
    { echo "$me: postgres_benchmark did not build (it needs libpq-dev, libhiredis-dev and libcurl)" >&2; exit 1; }
bench="$build/benchmarks/postgres_benchmark"

rm -rf "$dir"
mkdir -p "$dir/tmp" "$dir/redis"
# PostgreSQL's data directory on the real disk, owned by the user that runs the server.
pg_dir="$(mktemp -d "$spool_dir/run_postgres.XXXXXX")"
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
    chown nobody:nogroup "$pg_dir"
    as_pg() { runuser -u nobody -- "$@"; }
fi

# --- PostgreSQL, nginx (as run_http.sh) and redis-server: own configs, pids, logs; stopped on
# any exit.
nginx_pid=""
redis_pid=""
pg_started=""
stop_pid() { # $1: pid
    local pid="$1"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
stop_pg() {
    [ -n "$pg_started" ] || return 0
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    pg_started=""
}
cleanup() {
    stop_pid "$nginx_pid"
    stop_pid "$redis_pid"
    nginx_pid=""
    redis_pid=""
    stop_pg
    [ -f "$pg_dir/postgres.log" ] && cp "$pg_dir/postgres.log" "$dir/postgres.log" 2>/dev/null
    rm -rf "$pg_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free when nothing accepts a connection there (bash's /dev/tcp: no other tool needed).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_nginx() { # $1: port; returns 1 when nginx does not come up, 2 on a bad config
    local port="$1" user_line=""
    [ "$(id -u)" -eq 0 ] && user_line="user nobody nogroup;"
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|1|g" \
        -e "s|@USER_LINE@|$user_line|" "$root/benchmarks/http/nginx.conf.in" >"$dir/nginx.conf"
    "$nginx" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" || return 2
    "$nginx" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" </dev/null >>"$dir/nginx.out" 2>&1 &
    nginx_pid=$!
    for _ in $(seq 50); do
        kill -0 "$nginx_pid" 2>/dev/null || { wait "$nginx_pid" || true; nginx_pid=""; return 1; }
        if [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 1 \
                "http://127.0.0.1:$port/hook" 2>/dev/null)" = 204 ]; then
            return 0
        fi
        sleep 0.1
    done
    stop_pid "$nginx_pid"
    nginx_pid=""
    return 1
}

start_redis() { # $1: port; returns 1 when redis-server does not come up
    local port="$1"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir/redis" --logfile "$dir/redis/redis.log" \
                 --daemonize no --save "" --appendonly yes --appendfsync everysec \
                 --protected-mode no </dev/null >/dev/null 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
        kill -0 "$redis_pid" 2>/dev/null || { wait "$redis_pid" || true; redis_pid=""; return 1; }
        [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    stop_pid "$redis_pid"
    redis_pid=""
    return 1
}

start_pg() { # $1: port; returns 1 when the server does not come up
    local port="$1"
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 \
          -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir" start >/dev/null 2>&1 || return 1
    pg_started=1
}

as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; echo "$me: initdb failed" >&2; exit 1; }
pg_port=""
for p in $(seq 15432 15531); do
    port_free "$p" || continue
    start_pg "$p" && { pg_port="$p"; break; }
done
[ -n "$pg_port" ] || { echo "$me: PostgreSQL did not start on any port 15432-15531" >&2; cat "$pg_dir/postgres.log" >&2; exit 1; }
nginx_port=""
for p in $(seq 18180 18279); do
    port_free "$p" || continue
    rc=0; start_nginx "$p" || rc=$?
    [ "$rc" -eq 0 ] && { nginx_port="$p"; break; }
    [ "$rc" -eq 2 ] && { cat "$dir/error.log" >&2; exit 1; }
done
[ -n "$nginx_port" ] || { echo "$me: nginx did not start on any port 18180-18279" >&2; exit 1; }
redis_port=""
for p in $(seq 16380 16479); do
    port_free "$p" || continue
    start_redis "$p" && { redis_port="$p"; break; }
done
[ -n "$redis_port" ] || { echo "$me: redis-server did not start on any port 16380-16479" >&2; cat "$dir/redis/redis.log" >&2; exit 1; }

url="http://127.0.0.1:$nginx_port/hook"
conninfo="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres connect_timeout=10"
pg_settings="$("$pg_bin/psql" -X -A -t -F '|' -d "$conninfo" -c \
    "SELECT split_part(current_setting('server_version'), ' ', 1), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_sync_method'), current_setting('shared_buffers')")"
IFS='|' read -r pg_version pg_fsync pg_sync pg_wal_sync pg_buffers <<<"$pg_settings"
echo "PostgreSQL $pg_version (defaults: fsync $pg_fsync, synchronous_commit $pg_sync, wal_sync_method $pg_wal_sync, shared_buffers $pg_buffers) on 127.0.0.1:$pg_port, data in $pg_dir ($(df -PT "$spool_dir" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "nginx $("$nginx" -v 2>&1 | sed 's|.*nginx/||') (1 worker) on 127.0.0.1:$nginx_port; redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') (appendonly yes, appendfsync everysec) on 127.0.0.1:$redis_port; files in $dir"

results="$dir/results.txt"
: >"$results"
status=0
run_one() { # $1 phase, $2 outbox, $3 count (producers or workers), $4 per_tx, $5 repeat
    local out="$dir/$1_$2_n$3_k$4_r$5.txt" count_flag=--producers n="$events"
    [ "$1" = deliver ] && { count_flag=--workers; n="$deliver_events"; }
    if ! timeout -k 10 "$run_timeout" "$bench" "$1" --outbox "$2" "$count_flag" "$3" --per-tx "$4" \
            --events "$n" --conninfo "$conninfo" --url "$url" --redis-port "$redis_port" \
            --dir "$spool_dir" >"$out" 2>"$out.err"; then
        echo "$me: $1 $2 $count_flag=$3 per_tx=$4 failed or timed out (${run_timeout} s):" >&2
        cat "$out.err" >&2
        status=1
        return
    fi
    grep '^phase=' "$out" | sed "s/\$/ repeat=$5/" | tee -a "$results" ||
        { echo "$me: $1 $2 printed no summary" >&2; status=1; }
}

echo "Runs: $repeats repeat(s) of every configuration: $events events an append run, a backlog of $deliver_events a deliver run"
# The machine is shared: the outboxes of a configuration run back to back, their order
# reversed every other repeat, so that each ratio compares neighbours in time.
ordered() { # the arguments, reversed on even repeats
    if [ $((r % 2)) -eq 1 ]; then echo "$@"; else echo "$@" | tr ' ' '\n' | tac | tr '\n' ' '; fi
}
for r in $(seq "$repeats"); do
    for p in "${producer_counts[@]}"; do
        for k in "${per_tx_counts[@]}"; do
            for o in $(ordered postgres postgres_nonotify handwritten); do run_one append "$o" "$p" "$k" "$r"; done
        done
        for o in $(ordered postgres_append file redis); do run_one append "$o" "$p" 1 "$r"; done
    done
    for w in "${worker_counts[@]}"; do
        for o in $(ordered postgres handwritten file redis); do run_one deliver "$o" "$w" 1 "$r"; done
    done
done

# --- The table: medians over the repeats.
echo
awk -v repeats="$repeats" -v events="$events" -v devents="$deliver_events" -v pgv="$pg_version" "$(cat "$root/benchmarks/stats.awk")"'
function num(v) { return v == "" ? "-" : sprintf("%.0f", v) }
function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%6.2fx", a / b) : "-" }
/^phase=append/ {
    p = field($0, "producers"); k = field($0, "per_tx"); o = field($0, "outbox")
    if (o == "postgres" || o == "postgres_nonotify" || o == "handwritten") {
        if (!((p, k) in seen_tx)) { seen_tx[p, k] = 1; tx[++ntx] = p SUBSEP k }
    } else if (!(p in seen_p)) { seen_p[p] = 1; prod[++np] = p }
    a[p, k, o] = a[p, k, o] " " field($0, "events_per_s")
    l[p, k, o] = l[p, k, o] " " field($0, "p50_us")
}
/^phase=deliver/ {
    w = field($0, "workers"); o = field($0, "outbox")
    if (!(w in seen_w)) { seen_w[w] = 1; wk[++nw] = w }
    d[w, o] = d[w, o] " " field($0, "events_per_s")
}
END {
    printf "PostgreSQL %s outbox, medians of %d repeat(s); ratio = ours / hand-written\n", pgv, repeats
    printf "(server defaults: fsync on, synchronous_commit on; our workers set\n"
    printf " synchronous_commit off for their claims and deletions, never for appends)\n\n"
    printf "Appended inside transactions, %d events a run: BEGIN; INSERT INTO orders; K events; COMMIT\n", events
    printf "(producers: threads, each its own connection; p50: of one transaction, in us;\n"
    printf " no_notify: ours with postgres_spool_options::notify = false)\n"
    header = sprintf("%9s %6s %12s %16s %7s %10s %10s %14s %7s", "producers", "per_tx", "ours_ev/s", "handwritten_ev/s", "ratio", "ours_p50us", "hand_p50us", "no_notify_ev/s", "ratio")
    print header; line = header; gsub(/./, "-", line); print line
    for (i = 1; i <= ntx; i++) {
        split(tx[i], pk, SUBSEP); p = pk[1]; k = pk[2]
        ours = median(a[p, k, "postgres"]); hand = median(a[p, k, "handwritten"])
        quiet = median(a[p, k, "postgres_nonotify"])
        printf "%9d %6d %12s %16s %7s %10s %10s %14s %7s\n", p, k, num(ours), num(hand), ratio(ours, hand),
            num(median(l[p, k, "postgres"])), num(median(l[p, k, "handwritten"])), num(quiet), ratio(quiet, hand)
    }
    printf "\nNot transactional, for scale: post(event, spool) alone, no business row, same threads\n"
    header = sprintf("%9s %17s %17s %17s", "producers", "pg_spool.append", "file_spool", "redis_spool")
    print header; line = header; gsub(/./, "-", line); print line
    for (i = 1; i <= np; i++) {
        p = prod[i]
        printf "%9d %17s %17s %17s\n", p, num(median(a[p, 1, "postgres_append"])),
            num(median(a[p, 1, "file"])), num(median(a[p, 1, "redis"]))
    }
    printf "(pg_spool.append: the appends of concurrent threads share a transaction, pipelined on\n"
    printf " the one append connection of the spool;\n"
    printf " file_spool: default options, fsync_each_append; redis_spool: appendfsync everysec)\n"
    printf "\nDelivered to nginx (204): a backlog of %d events, from the start until the outbox is empty\n", devents
    header = sprintf("%7s %12s %16s %7s %12s %12s", "workers", "ours_ev/s", "handwritten_ev/s", "ratio", "file_ev/s", "redis_ev/s")
    print header; line = header; gsub(/./, "-", line); print line
    for (i = 1; i <= nw; i++) {
        w = wk[i]
        ours = median(d[w, "postgres"]); hand = median(d[w, "handwritten"])
        printf "%7d %12s %16s %7s %12s %12s\n", w, num(ours), num(hand), ratio(ours, hand),
            num(median(d[w, "file"])), num(median(d[w, "redis"]))
    }
    printf "(workers: processes; ours, redis: a dispatcher each over the shared outbox; file: a\n"
    printf " dispatcher each replaying its own journal of events/workers; hand-written: the SKIP LOCKED\n"
    printf " poller, 16 rows a transaction, one POST at a time over one keep-alive connection)\n"
}' "$results" | tee "$dir/table.txt"
echo "Summary lines: $results; the table: $dir/table.txt; each run's output: $dir"
exit "$status"
