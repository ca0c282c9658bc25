#!/usr/bin/env bash
# The HTTP transport benchmark: HTTP clients POST the incident event to a local nginx that
# answers 204, at 1, 8 and 64 connections, each run bounded in time; prints one table with
# each client's requests/s as a ratio of wrk's (the ceiling of an HTTP/1.1 client here).
# Usage: benchmarks/run_http.sh                     (everything on 127.0.0.1 only)
# Environment:
#   BUILD_DIR      build folder (default <repo>/build-bench); nginx lives in $BUILD_DIR/http-bench
#   PORT           nginx's port (default: the first free one from 18080 up)
#   SECONDS_PER_RUN  measured seconds per run (5); WARMUP  a client's unmeasured seconds before (0.5)
#   ROUNDS         rounds of every run (3): the table gives medians
#   CONNECTIONS    connection counts ("1 8 64")
#   WORKERS        nginx worker_processes (1)
#   WRK_THREADS_64 wrk threads at 64 connections (1, as below 64: -t2 measured slower here)
#   EXTRA_CLIENTS  more client targets of benchmarks/CMakeLists.txt to build and run, e.g.
#                  "http_webhook_client": each takes the command line of http_common.hpp
#   CLIENTS        the client targets instead of "http_curl_multi http_webhook_client"
#   BASELINE       a client name (client= of its summary lines) whose req/s is the second ratio
#                  column ("vs base") of the other clients
#   BENCH_SUBDIR   folder under BUILD_DIR for nginx, outputs and results.txt (http-bench)
#   BODY_MAY_DIFFER  clients whose body is the same JSON document in other bytes (they check
#                  that themselves at start-up): their Content-Length may differ from the payload's
#   LIBRARY_ACCEPT_CLIENTS  clients that send "Accept: application/json, */*" (the dispatcher's
#                  request builder) where the others send no Accept
# Needs the 'bench' group of scripts/deps.sh (nginx-light, wrk, libcurl4-openssl-dev) and curl.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
subdir="${BENCH_SUBDIR:-http-bench}"
[[ "$subdir" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "run_http.sh: BENCH_SUBDIR must be one folder name" >&2; exit 2; }
dir="$build/$subdir"
seconds="${SECONDS_PER_RUN:-5}"
warmup="${WARMUP:-0.5}"
rounds="${ROUNDS:-3}"
read -r -a connections <<<"${CONNECTIONS:-1 8 64}"
workers="${WORKERS:-1}"
wrk_threads_64="${WRK_THREADS_64:-1}"
nginx=/usr/sbin/nginx
[[ "$seconds" =~ ^[1-9][0-9]?$ ]] || { echo "run_http.sh: SECONDS_PER_RUN must be whole seconds, 1 to 60" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9]$ ]] || { echo "run_http.sh: ROUNDS must be 1 to 9" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9](\.[0-9]+)?$ ]] || { echo "run_http.sh: WARMUP must be 0 to 9.x seconds" >&2; exit 2; }
# A cap on every run in case a client hangs: its own bound plus half a minute.
cap=$(awk -v a="$seconds" -v b="$warmup" 'BEGIN { printf "%d", a + b + 30 }')
read -r -a clients <<<"${CLIENTS:-http_curl_multi http_webhook_client}"
baseline="${BASELINE:-}"
read -r -a body_may_differ <<<"${BODY_MAY_DIFFER:-}"
read -r -a library_accept <<<"${LIBRARY_ACCEPT_CLIENTS:-}"
listed() { # $1: word; then the list
    local w="$1" x; shift
    for x in "$@"; do [ "$x" = "$w" ] && return 0; done
    return 1
}
if [ -n "${EXTRA_CLIENTS:-}" ]; then
    read -r -a extra <<<"$EXTRA_CLIENTS"
    clients+=("${extra[@]}")
fi

for tool in "$nginx" wrk curl timeout; do
    command -v "$tool" >/dev/null ||
        { echo "run_http.sh: $tool not found (Debian: scripts/deps.sh bench, and curl)" >&2; exit 1; }
done

# --- Build: the same configuration as run_json.sh (Release, -O2), so the folder is shared.
cmake -S "$root" -B "$build" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DWEBHOOK_BUILD_BENCHMARKS=ON -DWEBHOOK_BUILD_TESTS=OFF -DWEBHOOK_BUILD_EXAMPLES=OFF >/dev/null
# http_curl_multi is the payload's reference (--print-payload) even when it is not run.
targets=(http_curl_multi)
for c in "${clients[@]}"; do listed "$c" "${targets[@]}" || targets+=("$c"); done
cmake --build "$build" --target "${targets[@]}" -j2
curl_multi="$build/benchmarks/http_curl_multi"

# --- nginx: its own config, pid, logs and temp folders under $dir; stopped on any exit.
rm -rf "$dir"
mkdir -p "$dir/tmp"
nginx_pid=""
stop_nginx() {
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -TERM "$nginx_pid" 2>/dev/null || true # fast shutdown: master and workers
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    nginx_pid=""
}
trap stop_nginx EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free when nothing accepts a connection there (bash's /dev/tcp: no other tool needed).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_nginx() { # $1: port; returns 1 when nginx does not come up, 2 on a bad config
    local port="$1" user_line=""
    # As root the master hands the workers to nobody; they only need the listening socket.
    [ "$(id -u)" -eq 0 ] && user_line="user nobody nogroup;"
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$workers|g" \
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
    stop_nginx
    return 1
}

port=""
if [ -n "${PORT:-}" ]; then
    start_nginx "$PORT" || { echo "run_http.sh: nginx did not start on 127.0.0.1:$PORT:" >&2; cat "$dir/error.log" >&2; exit 1; }
    port="$PORT"
else
    for p in $(seq 18080 18179); do
        port_free "$p" || continue
        # Another process may take the port between the check and the bind: then the next.
        rc=0; start_nginx "$p" || rc=$?
        [ "$rc" -eq 0 ] && { port="$p"; break; }
        [ "$rc" -eq 2 ] && { cat "$dir/error.log" >&2; exit 1; }
    done
    [ -n "$port" ] || { echo "run_http.sh: nginx did not start on any port 18080-18179:" >&2; cat "$dir/error.log" >&2; exit 1; }
fi
url="http://127.0.0.1:$port/hook"
check_url="http://127.0.0.1:$port/check"
nginx_version="$("$nginx" -v 2>&1 | sed 's|.*nginx/||')"
echo "nginx $nginx_version (pid $nginx_pid, $workers worker(s)) on 127.0.0.1:$port; files in $dir"

# --- Pre-flight, on /check (logged): every client sends the same request, keep-alive holds.
fail() { echo "run_http.sh: $*" >&2; exit 1; }
"$curl_multi" --print-payload >"$dir/payload.json"
sed -n 's/^wrk\.body = \[==\[\(.*\)\]==\]$/\1/p' "$root/benchmarks/http_wrk_post.lua" | tr -d '\n' >"$dir/payload.lua.json"
cmp -s "$dir/payload.json" "$dir/payload.lua.json" ||
    fail "the body in http_wrk_post.lua differs from http_common.hpp's payload"
body_bytes=$(wc -c <"$dir/payload.json")

# The signature of a client's requests in check.log: everything but the connection fields.
signatures() { cut -d'|' -f1 "$dir/check.log" | sort -u; }
connections_used() { cut -d'|' -f2 "$dir/check.log" | sort -u | wc -l; }

# (1) curl's command line: 50 POSTs with a body on one keep-alive connection, all 204.
: >"$dir/check.log"
urls=()
for _ in $(seq 50); do urls+=("$check_url"); done
curl -sS --noproxy '*' --max-time 20 -o /dev/null -w '%{http_code} %{num_connects}\n' \
     --data-binary @"$dir/payload.json" -H "Content-Type: application/json; charset=utf-8" \
     -H "Authorization: Basic d2ViaG9vazpzZWNyZXQ=" -H "User-Agent: webhook-bench" \
     -H "Expect:" -H "Accept:" "${urls[@]}" >"$dir/check_curl.txt"
[ "$(grep -c '^204 ' "$dir/check_curl.txt")" -eq 50 ] || fail "curl: not 50 responses 204 (see $dir/check_curl.txt)"
[ "$(awk '{ n += $2 } END { print n }' "$dir/check_curl.txt")" -eq 1 ] || fail "curl: more than one connection for 50 requests"
[ "$(wc -l <"$dir/check.log")" -eq 50 ] && [ "$(connections_used)" -eq 1 ] || fail "nginx: not 50 requests on 1 connection"
reference="$(signatures)"
[ "$(echo "$reference" | wc -l)" -eq 1 ] || fail "curl: requests differ: $reference"
case "$reference" in
    "POST /check HTTP/1.1 len=$body_bytes "*" status=204") ;;
    *) fail "unexpected request: $reference" ;;
esac
echo "check: curl   50 POSTs of $body_bytes bytes on 1 keep-alive connection, all 204: $reference"

# (2) each C++ client, briefly, and (3) wrk: the same request as curl's, byte for byte in
# every logged field, and no more connections than asked for.
check_client() { # $1: name, $2: the request expected (a signature); then the command
    local name="$1" expected="$2"; shift 2
    : >"$dir/check.log"
    timeout 30 "$@" >"$dir/check_$name.txt" 2>&1 || { cat "$dir/check_$name.txt" >&2; fail "$name: failed on /check"; }
    [ "$(signatures)" = "$expected" ] || fail "$name sends another request: $(signatures | head -3)"
    [ "$(connections_used)" -le 2 ] || fail "$name: $(connections_used) connections for 2"
    echo "check: $(printf '%-6s' "$name") $(wc -l <"$dir/check.log") requests, $(connections_used) connection(s), same request"
}
for c in "${clients[@]}"; do
    # The client's own body: the payload byte for byte, or for BODY_MAY_DIFFER clients the
    # same document in other bytes (which they check at start-up), hence another length.
    timeout 30 "$build/benchmarks/$c" --print-payload >"$dir/payload_$c.json" || fail "$c --print-payload failed"
    expected="$reference"
    if ! cmp -s "$dir/payload.json" "$dir/payload_$c.json"; then
        listed "$c" "${body_may_differ[@]}" || fail "$c: its body differs from the payload (see $dir/payload_$c.json)"
        expected="${expected/ len=$body_bytes / len=$(wc -c <"$dir/payload_$c.json") }"
    fi
    if listed "$c" "${library_accept[@]}"; then
        expected="${expected/ accept=\"-\" / accept=\"application/json, */*\" }" # nginx logs none as -
    fi
    check_client "$c" "$expected" "$build/benchmarks/$c" --url "$check_url" --connections 2 --seconds 0.3 --warmup 0
done
check_client wrk "$reference" wrk -t1 -c2 -d1s -s "$root/benchmarks/http_wrk_post.lua" "$check_url"
: >"$dir/check.log"

# --- The runs.
results="$dir/results.txt"
: >"$results"
status=0

to_us() { # wrk's "41.00us", "1.23ms", "2.00s", "1.00m" -> microseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        f = (u == "us") ? 1 : (u == "ms") ? 1e3 : (u == "s") ? 1e6 : (u == "m") ? 6e7 : (u == "h") ? 3.6e9 : -1
        if (f < 0) { print "nan"; exit }
        printf "%.1f", n * f }'
}

run_wrk() { # $1: connections, $2: round; appends one summary line to $results
    local c="$1" r="$2" t=1 out
    [ "$c" -ge 64 ] && t="$wrk_threads_64"
    [ "$t" -le "$c" ] || t="$c"
    out="$dir/wrk_c${c}_r$r.txt"
    timeout "$cap" wrk -t"$t" -c"$c" -d"${seconds}s" --latency \
        -s "$root/benchmarks/http_wrk_post.lua" "$url" >"$out" 2>&1 || { cat "$out" >&2; fail "wrk -c$c failed"; }
    local rps requests secs p50 p99 non2xx sockerr
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    read -r requests secs < <(awk '/ requests in / { r = $1; s = $4; sub(/,$/, "", s); print r, s }' "$out") || true
    p50=$(to_us "$(awk '$1 == "50%" { print $2 }' "$out")")
    p99=$(to_us "$(awk '$1 == "99%" { print $2 }' "$out")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    sockerr=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
    [ -n "$rps" ] && [ -n "$requests" ] || { cat "$out" >&2; fail "cannot read wrk's output"; }
    secs=$(to_us "$secs" | awk '{ printf "%.3f", $1 / 1e6 }')
    echo "client=wrk connections=$c requests=$requests seconds=$secs rps=$rps p50_us=$p50 p99_us=$p99 errors=$(( ${non2xx:-0} + ${sockerr:-0} )) threads=$t round=$r" | tee -a "$results"
}

run_client() { # $1: target, $2: connections, $3: round
    local name="$1" c="$2" r="$3" out
    out="$dir/${name}_c${c}_r$r.txt"
    if ! timeout "$cap" "$build/benchmarks/$name" --url "$url" --connections "$c" \
            --seconds "$seconds" --warmup "$warmup" >"$out" 2>"$out.err"; then
        cat "$out.err" >&2
        status=1
    fi
    grep '^client=' "$out" | sed "s/\$/ round=$r/" | tee -a "$results" ||
        { echo "run_http.sh: $name -c$c printed no summary" >&2; status=1; }
}

# How much CPU the rest of the machine took during the runs: all busy time (/proc/stat)
# less that of this script's children (wrk, the clients: bash's 'times', which must run in
# this shell, not in a $(...)) and of nginx's processes. In 1/100 s.
cpu_snapshot() { # sets snap_busy, snap_ours, snap_ns
    local p kids nginx_t=0
    times >"$dir/times.txt"
    kids="$(cat "/proc/$nginx_pid/task/$nginx_pid/children" 2>/dev/null || true)"
    for p in $nginx_pid $kids; do
        nginx_t=$((nginx_t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    snap_ours=$(( nginx_t + $(tail -1 "$dir/times.txt" |
        awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t * 100 }') ))
    snap_busy=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
    snap_ns=$(date +%s%N)
}
cpu_snapshot
busy_before=$snap_busy; ours_before=$snap_ours; start_ns=$snap_ns

# The machine is shared: a build elsewhere can take a core for seconds. So ROUNDS rounds,
# wrk and each client back to back at one connection count, the order reversed every other
# round; the table gives medians over the rounds, and the ratio is the median of the
# per-round ratios (each one of neighbours in time).
echo
echo "Runs: $rounds round(s) of ${seconds} s per client and connection count (clients: + ${warmup} s warm-up), connections ${connections[*]}"
for r in $(seq "$rounds"); do
    for c in "${connections[@]}"; do
        if [ $((r % 2)) -eq 1 ]; then
            run_wrk "$c" "$r"
            for name in "${clients[@]}"; do run_client "$name" "$c" "$r"; done
        else
            for name in "${clients[@]}"; do run_client "$name" "$c" "$r"; done
            run_wrk "$c" "$r"
        fi
    done
done
cpu_snapshot
busy_after=$snap_busy; ours_after=$snap_ours; end_ns=$snap_ns
other=$(awk -v b="$((busy_after - busy_before))" -v o="$((ours_after - ours_before))" -v ns="$((end_ns - start_ns))" \
    'BEGIN { x = (b - o) / 100; if (x < 0) x = 0; printf "%.1f CPU-s in %.0f s (%.0f%% of one core)", x, ns / 1e9, 100 * x / (ns / 1e9) }')
stop_nginx
if grep -q 'errors=[1-9]' "$results"; then
    echo "run_http.sh: some responses were not 204 or failed (errors= above)" >&2
    status=1
fi

# --- The table, from every "client=" line: medians over the rounds.
echo
awk -v other="$other" -v baseline="$baseline" -v version="$nginx_version" -v workers="$workers" -v bytes="$body_bytes" -v secs="$seconds" -v rounds="$rounds" "$(cat "$root/benchmarks/stats.awk")"'
/^client=/ {
    name = field($0, "client"); c = field($0, "connections") + 0; r = field($0, "round")
    key = c SUBSEP name
    if (!(key in rps)) { order[++keys] = key; conns[key] = c; names[key] = name }
    rps[key] = rps[key] " " field($0, "rps"); p50[key] = p50[key] " " field($0, "p50_us"); p99[key] = p99[key] " " field($0, "p99_us")
    round_rps[key, r] = field($0, "rps"); seen_round[r] = 1
}
END {
    printf "POST of the %d-byte incident event to nginx %s (return 204, %d worker%s), 127.0.0.1,\n", bytes, version, workers, workers == 1 ? "" : "s"
    printf "%s s per run; medians of %d round(s); vs wrk = median of the per-round req/s ratios\n", secs, rounds
    if (baseline != "") printf "vs base = the same against %s\n", baseline
    printf "the rest of the machine used %s during the runs\n", other
    header = sprintf("%-22s %5s %10s %9s %9s %7s", "client", "conns", "req/s", "p50 us", "p99 us", "vs wrk")
    if (baseline != "") header = header sprintf(" %9s", "vs " (length(baseline) > 6 ? "base" : baseline))
    print header
    line = header; gsub(/./, "-", line); print line
    # By connection count; wrk first, then the clients in run order.
    for (;;) {
        best = 0
        for (i = 1; i <= keys; i++) {
            k = order[i]
            if (done[k]) continue
            if (best == 0 || conns[k] < conns[order[best]] || (conns[k] == conns[order[best]] && names[k] == "wrk" && names[order[best]] != "wrk")) best = i
        }
        if (best == 0) break
        k = order[best]; done[k] = 1; c = conns[k]; w = c SUBSEP "wrk"
        ratios = ""
        for (r in seen_round)
            if ((k, r) in round_rps && (w, r) in round_rps && round_rps[w, r] > 0) ratios = ratios " " round_rps[k, r] / round_rps[w, r]
        ratio = ratios != "" ? sprintf("%6.2fx", median(ratios)) : sprintf("%7s", "-")
        if (baseline != "") {
            b = c SUBSEP baseline; ratios = ""
            if (names[k] != "wrk" && names[k] != baseline)
                for (r in seen_round)
                    if ((k, r) in round_rps && (b, r) in round_rps && round_rps[b, r] > 0) ratios = ratios " " round_rps[k, r] / round_rps[b, r]
            ratio = ratio (ratios != "" ? sprintf(" %8.2fx", median(ratios)) : sprintf(" %9s", "-"))
        }
        printf "%-22s %5d %10.0f %9.1f %9.1f %s\n", names[k], c, median(rps[k]), median(p50[k]), median(p99[k]), ratio
    }
}' "$results" | tee "$dir/table.txt"
echo "Summary lines: $results; the table: $dir/table.txt; wrk and client outputs: $dir"
exit "$status"
