#!/usr/bin/env bash
# The Redis spool benchmark: events per second from webhook::dispatcher::post to a 204 from
# nginx on loopback, through a webhook::redis_spool shared by 1, 2 and 4 dispatcher processes,
# against the same run with a webhook::file_spool per process; and redis-benchmark's XADD rate
# (the same entry size) as the ceiling for appends on this machine. Prints one table with the
# medians of REPEATS runs per configuration, and the ratios.
# Usage: benchmarks/run_redis.sh                    (everything on 127.0.0.1 only)
# Environment:
#   BUILD_DIR     build folder (default <repo>/build-bench); results in $BUILD_DIR/redis-bench
#   SPOOL_DIR     where the file spools go: a folder on a real disk (default /var/tmp)
#   REPEATS       runs of every configuration (3): the table gives medians
#   PROCESSES     dispatcher process counts ("1 2 4")
#   PRODUCERS     posting threads per process (2)
#   EVENTS        events per run (20000)
#   DURABILITY    interval (default: Redis appendfsync everysec, file_spool fsync_interval) or
#                 each (appendfsync always, fsync_each_append)
#   RUN_TIMEOUT   seconds after which one run is killed (300)
# Needs the 'bench' and 'test' groups of scripts/deps.sh (nginx-light, curl, libhiredis-dev,
# redis-server, redis-tools). Starts its own nginx and redis-server (never a system service)
# and stops them on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
dir="$build/redis-bench"
spool_dir="${SPOOL_DIR:-/var/tmp}"
repeats="${REPEATS:-3}"
read -r -a process_counts <<<"${PROCESSES:-1 2 4}"
producers="${PRODUCERS:-2}"
events="${EVENTS:-20000}"
durability="${DURABILITY:-interval}"
run_timeout="${RUN_TIMEOUT:-300}"
nginx=/usr/sbin/nginx
[[ "$repeats" =~ ^[1-9]$ ]] || { echo "run_redis.sh: REPEATS must be 1 to 9" >&2; exit 2; }
[[ "$producers" =~ ^[1-9][0-9]?$ ]] || { echo "run_redis.sh: PRODUCERS must be 1 to 99" >&2; exit 2; }
[[ "$events" =~ ^[1-9][0-9]{0,7}$ ]] || { echo "run_redis.sh: EVENTS must be 1 to 99999999" >&2; exit 2; }
[[ "$run_timeout" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "run_redis.sh: RUN_TIMEOUT must be 1 to 9999 seconds" >&2; exit 2; }
for p in "${process_counts[@]}"; do
    [[ "$p" =~ ^[1-9][0-9]?$ ]] || { echo "run_redis.sh: PROCESSES must be numbers 1 to 64" >&2; exit 2; }
done
case "$durability" in
    interval) appendfsync=everysec ;;
    each) appendfsync=always ;;
    *) echo "run_redis.sh: DURABILITY must be interval or each" >&2; exit 2 ;;
esac
for tool in "$nginx" redis-server redis-benchmark redis-cli curl timeout; do
    command -v "$tool" >/dev/null ||
        { echo "run_redis.sh: $tool not found (Debian: scripts/deps.sh test bench, and curl)" >&2; exit 1; }
done

# --- Build: the same configuration as the other benchmark scripts (Release, -O2).
cmake -S "$root" -B "$build" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DWEBHOOK_BUILD_BENCHMARKS=ON -DWEBHOOK_BUILD_TESTS=OFF -DWEBHOOK_BUILD_EXAMPLES=OFF >/dev/null
grep -q '^HIREDIS_FOUND:INTERNAL=1' "$build/CMakeCache.txt" ||
    { echo "run_redis.sh: hiredis not found (Debian: apt-get install libhiredis-dev)" >&2; exit 1; }
cmake --build "$build" --target redis_benchmark -j2
bench="$build/benchmarks/redis_benchmark"

rm -rf "$dir"
mkdir -p "$dir/tmp" "$dir/redis"

# --- nginx (as run_http.sh) and redis-server: own configs, pids, logs under $dir; stopped on
# any exit.
nginx_pid=""
redis_pid=""
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
cleanup() {
    stop_pid "$nginx_pid"
    stop_pid "$redis_pid"
    nginx_pid=""
    redis_pid=""
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
                 --daemonize no --save "" --appendonly yes --appendfsync "$appendfsync" \
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

nginx_port=""
for p in $(seq 18180 18279); do
    port_free "$p" || continue
    rc=0; start_nginx "$p" || rc=$?
    [ "$rc" -eq 0 ] && { nginx_port="$p"; break; }
    [ "$rc" -eq 2 ] && { cat "$dir/error.log" >&2; exit 1; }
done
[ -n "$nginx_port" ] || { echo "run_redis.sh: nginx did not start on any port 18180-18279" >&2; exit 1; }
redis_port=""
for p in $(seq 16380 16479); do
    port_free "$p" || continue
    start_redis "$p" && { redis_port="$p"; break; }
done
[ -n "$redis_port" ] || { echo "run_redis.sh: redis-server did not start on any port 16380-16479" >&2; cat "$dir/redis/redis.log" >&2; exit 1; }
url="http://127.0.0.1:$nginx_port/hook"
redis_version="$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
echo "nginx $("$nginx" -v 2>&1 | sed 's|.*nginx/||') (1 worker) on 127.0.0.1:$nginx_port; redis $redis_version (appendonly yes, appendfsync $appendfsync) on 127.0.0.1:$redis_port; files in $dir"

results="$dir/results.txt"
: >"$results"
status=0
run_one() { # $1 spool, $2 processes, $3 repeat
    local out="$dir/$1_p$2_r$3.txt"
    if ! timeout "$run_timeout" "$bench" --spool "$1" --processes "$2" --producers "$producers" \
            --events "$events" --durability "$durability" --url "$url" \
            --redis-port "$redis_port" --dir "$spool_dir" >"$out" 2>"$out.err"; then
        echo "run_redis.sh: $1 processes=$2 failed or timed out (${run_timeout} s):" >&2
        cat "$out.err" >&2
        status=1
        return
    fi
    grep '^spool=' "$out" | sed "s/\$/ repeat=$3/" | tee -a "$results" ||
        { echo "run_redis.sh: $1 processes=$2 printed no summary" >&2; status=1; }
}

echo "Runs: $repeats repeat(s) of $events events per configuration, $producers posting thread(s) per process; file spools under $spool_dir ($(df -PT "$spool_dir" | awk 'NR == 2 { print $2 " on " $1 }'))"
# The machine is shared: both spools of a configuration run back to back, the order swapped
# every other repeat, so that each ratio compares neighbours in time.
for r in $(seq "$repeats"); do
    for p in "${process_counts[@]}"; do
        if [ $((r % 2)) -eq 1 ]; then
            run_one redis "$p" "$r"; run_one file "$p" "$r"
        else
            run_one file "$p" "$r"; run_one redis "$p" "$r"
        fi
    done
done

# --- The ceiling: redis-benchmark XADD of an entry as large as the spool's (the same fields,
# a 323-byte payload like the incident event's JSON), on as many connections as the largest
# run has processes (one append connection each), without and with pipelining.
max_p=1
for p in "${process_counts[@]}"; do [ "$p" -gt "$max_p" ] && max_p="$p"; done
payload="$(printf '{"root":{"result":{%0300d}}}' 0)"
ceiling() { # $1: pipeline depth
    local key="bench:{ceiling}" n=$((events * 5)) line
    line="$(redis-benchmark -h 127.0.0.1 -p "$redis_port" -c "$max_p" -P "$1" -n "$n" -q \
            XADD "$key" '*' id 01HZX3Q4B1V6M0S7N2K8R5T9WC endpoint "$url" created 1712345678901 \
            payload "$payload" 2>/dev/null | tr '\r' '\n' | grep 'requests per second' | tail -1)"
    redis-cli -h 127.0.0.1 -p "$redis_port" del "$key" >/dev/null
    echo "$line" | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p'
}
xadd_p1="$(ceiling 1)"
xadd_p16="$(ceiling 16)"
echo "redis-benchmark XADD, $max_p connection(s): $xadd_p1 requests/s without pipelining, $xadd_p16 with 16 in a pipeline" | tee -a "$results"

# --- The table: medians over the repeats, per process count.
echo
awk -v repeats="$repeats" -v p1="$xadd_p1" -v p16="$xadd_p16" -v maxp="$max_p" -v dur="$durability" -v fsync="$appendfsync" -v producers="$producers" "$(cat "$root/benchmarks/stats.awk")"'
/^spool=/ {
    p = field($0, "processes"); s = field($0, "spool")
    if (!(p in seen)) { seen[p] = 1; order[++n] = p }
    eps[p, s] = eps[p, s] " " field($0, "events_per_s")
    post[p, s] = post[p, s] " " field($0, "post_events_per_s")
}
END {
    printf "Events through a spool to nginx (204), end to end: redis_spool shared by N processes vs a\n"
    printf "file_spool per process (durability %s: Redis appendfsync %s); %d posting threads per\n", dur, fsync, producers
    printf "process; medians of %d repeat(s); ratio = redis / file\n", repeats
    header = sprintf("%9s %12s %12s %7s %15s %15s %7s", "processes", "redis_ev/s", "file_ev/s", "ratio", "redis_post_ev/s", "file_post_ev/s", "ratio")
    print header
    line = header; gsub(/./, "-", line); print line
    for (i = 1; i <= n; i++) {
        p = order[i]
        r = median(eps[p, "redis"]); f = median(eps[p, "file"])
        rp = median(post[p, "redis"]); fp = median(post[p, "file"])
        printf "%9d %12s %12s %7s %15s %15s %7s\n", p,
            r == "" ? "-" : sprintf("%.0f", r), f == "" ? "-" : sprintf("%.0f", f),
            (r != "" && f != "" && f > 0) ? sprintf("%6.2fx", r / f) : "-",
            rp == "" ? "-" : sprintf("%.0f", rp), fp == "" ? "-" : sprintf("%.0f", fp),
            (rp != "" && fp != "" && fp > 0) ? sprintf("%6.2fx", rp / fp) : "-"
    }
    print ""
    printf "ceiling for appends (redis-benchmark XADD, %d connection(s)): %.0f/s, %.0f/s pipelined (-P 16)\n", maxp, p1, p16
    for (i = 1; i <= n; i++) {
        p = order[i]
        rp = median(post[p, "redis"]); r = median(eps[p, "redis"])
        if (rp == "" || p1 <= 0) continue
        printf "  %d process(es): posts at %.2fx, deliveries at %.2fx the unpipelined XADD rate (%.2fx, %.2fx the pipelined)\n", p, rp / p1, r / p1, rp / p16, r / p16
    }
}' "$results" | tee "$dir/table.txt"
echo "Summary lines: $results; the table: $dir/table.txt; each run's output: $dir"
exit "$status"
