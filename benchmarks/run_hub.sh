#!/usr/bin/env bash
# The hub benchmark: webhook::hub::publish of the incident event to 1, 10 and 100 subscribed
# endpoints (nginx on loopback, several ports, a location per endpoint) against as many
# webhook::dispatchers each posted the same event, in events and requests per second and heap
# allocations per request; then the idle memory of a hub with 10,000 endpoints and the time to
# reload a 10,000-endpoint file. Prints the tables of docs/benchmarks.md ("The hub").
# Usage: benchmarks/run_hub.sh [fanout] [idle] [reload]     (all three when none is named;
#        everything on 127.0.0.1 only)
# Environment:
#   BUILD_DIR        build folder (default <repo>/build-bench-hub); outputs in $BUILD_DIR/hub-bench
#   JOBS             build jobs (1)
#   ROUNDS           rounds of every fan-out run (3): the table gives medians
#   SECONDS_PER_RUN  measured seconds per run (5); WARMUP unmeasured seconds before (1)
#   ENDPOINTS        endpoint counts of the fan-out ("1 10 100")
#   IN_FLIGHT        max_in_flight of every endpoint (4); its queue holds 4 * IN_FLIGHT + 64
#   THREADS          I/O threads of the hub and of the dispatchers' shared io_context (2)
#   PORTS            nginx listening ports (4), from PORT (default: the first free from 18280)
#   MAX_EVENTS       bound on the events of one run (2000000)
#   IDLE_ENDPOINTS   endpoints of the idle-memory and reload runs (10000)
#   IDLE_DISPATCHERS dispatchers of the idle-memory comparison (1000: the same per endpoint)
# Needs nginx (the 'bench' group of scripts/deps.sh) and curl.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench-hub}"
dir="$build/hub-bench"
jobs="${JOBS:-1}"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_RUN:-5}"
warmup="${WARMUP:-1}"
read -r -a endpoint_counts <<<"${ENDPOINTS:-1 10 100}"
in_flight="${IN_FLIGHT:-4}"
threads="${THREADS:-2}"
nports="${PORTS:-4}"
max_events="${MAX_EVENTS:-2000000}"
idle_endpoints="${IDLE_ENDPOINTS:-10000}"
idle_dispatchers="${IDLE_DISPATCHERS:-1000}"
nginx=/usr/sbin/nginx
[[ "$rounds" =~ ^[1-9]$ ]] || { echo "run_hub.sh: ROUNDS must be 1 to 9" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]?$ ]] || { echo "run_hub.sh: SECONDS_PER_RUN must be 1 to 99" >&2; exit 2; }
[[ "$nports" =~ ^[1-9]$ ]] || { echo "run_hub.sh: PORTS must be 1 to 9" >&2; exit 2; }
parts=("$@")
[ "${#parts[@]}" -gt 0 ] || parts=(fanout idle reload)
wants() { local p; for p in "${parts[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
for p in "${parts[@]}"; do
    case "$p" in fanout | idle | reload) ;; *) echo "run_hub.sh: unknown part $p" >&2; exit 2 ;; esac
done

# --- Build: Release with -O2, as the other benchmarks, in a folder of its own.
cmake -S "$root" -B "$build" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DWEBHOOK_BUILD_BENCHMARKS=ON -DWEBHOOK_BUILD_TESTS=OFF -DWEBHOOK_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target hub_benchmark -j"$jobs"
bench="$build/benchmarks/hub_benchmark"
mkdir -p "$dir"
"$bench" check

status=0
if wants fanout; then
    for tool in "$nginx" curl timeout; do
        command -v "$tool" >/dev/null || { echo "run_hub.sh: $tool not found" >&2; exit 1; }
    done
    # --- nginx: its own config, pid, logs and temp folders under $dir; stopped on any exit.
    rm -rf "$dir/nginx"
    mkdir -p "$dir/nginx/tmp"
    nginx_pid=""
    stop_nginx() {
        if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
            kill -TERM "$nginx_pid" 2>/dev/null || true
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
    port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
    # NPORTS consecutive free ports from PORT (or 18280 up).
    ports=()
    p="${PORT:-18280}"
    while [ "${#ports[@]}" -lt "$nports" ] && [ "$p" -lt 18480 ]; do
        if port_free "$p"; then ports+=("$p"); else ports=(); fi
        p=$((p + 1))
    done
    [ "${#ports[@]}" -eq "$nports" ] || { echo "run_hub.sh: no $nports free ports" >&2; exit 1; }
    user_line=""
    [ "$(id -u)" -eq 0 ] && user_line="user nobody nogroup;"
    {
        echo "$user_line"
        echo "worker_processes 1; daemon off; master_process on;"
        echo "pid $dir/nginx/nginx.pid; error_log $dir/nginx/error.log warn;"
        echo "events { worker_connections 4096; }"
        echo "http { access_log off; server_tokens off;"
        for t in body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $dir/nginx/tmp/$t;" | sed 's/^  body_/  client_body_/'; done
        echo "  keepalive_requests 1000000; keepalive_timeout 65;"
        echo "  client_body_buffer_size 16k; client_max_body_size 64k;"
        echo "  server {"
        for port in "${ports[@]}"; do echo "    listen 127.0.0.1:$port;"; done
        # A location per endpoint (/hook/ep00000 ...): one prefix location answers them all.
        echo "    location /hook/ { return 204; }"
        echo "    location / { return 404; }"
        echo "  }"
        echo "}"
    } >"$dir/nginx/nginx.conf"
    "$nginx" -t -q -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf"
    "$nginx" -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" </dev/null \
        >>"$dir/nginx/nginx.out" 2>&1 &
    nginx_pid=$!
    up=0
    for _ in $(seq 50); do
        if [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 1 \
                "http://127.0.0.1:${ports[0]}/hook/ep00000" 2>/dev/null)" = 204 ]; then
            up=1
            break
        fi
        sleep 0.1
    done
    [ "$up" -eq 1 ] || { cat "$dir/nginx/error.log" >&2; echo "run_hub.sh: nginx did not start" >&2; exit 1; }
    for port in "${ports[@]}"; do
        [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 2 -d x \
            "http://127.0.0.1:$port/hook/ep00001")" = 204 ] || { echo "run_hub.sh: no 204 on $port" >&2; exit 1; }
    done
    nginx_version="$("$nginx" -v 2>&1 | sed 's|.*nginx/||')"
    echo "nginx $nginx_version (1 worker) on 127.0.0.1 ports ${ports[*]}; files in $dir"

    results="$dir/fanout.txt"
    : >"$results"
    cap=$((seconds + ${warmup%.*} + 90))
    run_one() { # $1 variant, $2 endpoints, $3 round
        local out="$dir/fanout_$1_n$2_r$3.txt"
        if ! timeout "$cap" "$bench" fanout --variant "$1" --endpoints "$2" \
                --ports "$(IFS=,; echo "${ports[*]}")" --in-flight "$in_flight" --threads "$threads" \
                --seconds "$seconds" --warmup "$warmup" --max-events "$max_events" >"$out" 2>"$out.err"; then
            cat "$out.err" >&2
            status=1
        fi
        grep '^variant=' "$out" | sed "s/\$/ round=$3/" | tee -a "$results" ||
            { echo "run_hub.sh: $1 n=$2 printed nothing" >&2; status=1; }
    }
    variants=(hub dispatchers dispatchers_own)
    echo
    echo "Fan-out: $rounds round(s) of ${seconds} s (+ ${warmup} s warm-up) per side and endpoint count"
    for r in $(seq "$rounds"); do
        for n in "${endpoint_counts[@]}"; do
            # The order reversed every other round: a noisy moment hits both sides alike.
            if [ $((r % 2)) -eq 1 ]; then order=("${variants[@]}"); else order=(dispatchers_own dispatchers hub); fi
            for v in "${order[@]}"; do run_one "$v" "$n" "$r"; done
        done
    done
    stop_nginx
    grep -q 'errors=[1-9]' "$results" && { echo "run_hub.sh: some requests failed (errors= above)" >&2; status=1; }

    echo
    awk -v rounds="$rounds" -v secs="$seconds" -v inflight="$in_flight" -v threads="$threads" \
        -v nports="$nports" -v version="$nginx_version" "$(cat "$root/benchmarks/stats.awk")"'
    /^variant=/ {
        v = field($0, "variant"); n = field($0, "endpoints") + 0; r = field($0, "round")
        k = n SUBSEP v
        if (!(k in eps)) { if (!(n in seen_n)) { seen_n[n] = 1; ns[++nn] = n } }
        eps[k] = eps[k] " " field($0, "events_per_s"); rps[k] = rps[k] " " field($0, "requests_per_s")
        al[k] = al[k] " " field($0, "allocs_per_request"); thr[k] = field($0, "threads")
        round_rps[k, r] = field($0, "requests_per_s"); rs[r] = 1
    }
    function ratio(n, a, b,   r, list) {
        list = ""
        for (r in rs) if ((n SUBSEP a, r) in round_rps && (n SUBSEP b, r) in round_rps && round_rps[n SUBSEP b, r] > 0)
            list = list " " round_rps[n SUBSEP a, r] / round_rps[n SUBSEP b, r]
        return list == "" ? "-" : sprintf("%.2fx", median(list))
    }
    END {
        printf "Publish of the 321-byte incident event to N endpoints, nginx %s (return 204, 1 worker, %d ports), 127.0.0.1;\n", version, nports
        printf "max_in_flight %d per endpoint, keep-alive; %s s per run, medians of %d round(s); vs hub = median of per-round ratios\n", inflight, secs, rounds
        printf "hub: hub_options::threads %d; dispatchers: N dispatchers on one io_context of %d threads; dispatchers_own: a thread each\n", threads, threads
        h = sprintf("%-16s %4s %7s %10s %11s %12s %8s", "side", "N", "threads", "events/s", "requests/s", "allocs/req", "vs hub")
        print h; gsub(/./, "-", h); print h
        split("hub dispatchers dispatchers_own", vs, " ")
        for (i = 1; i <= nn; i++) for (j = 1; j <= 3; j++) {
            n = ns[i]; k = n SUBSEP vs[j]
            if (!(k in eps)) continue
            printf "%-16s %4d %7s %10.0f %11.0f %12.2f %8s\n", vs[j], n, thr[k], median(eps[k]), median(rps[k]), median(al[k]), j == 1 ? "1.00x" : ratio(n, vs[j], "hub")
        }
    }' "$results" | tee "$dir/fanout_table.txt"
fi

if wants idle; then
    echo
    echo "Idle memory: $idle_endpoints endpoints in a hub, $idle_dispatchers dispatchers on one io_context (nothing sent)"
    timeout 900 "$bench" idle --variant hub --endpoints "$idle_endpoints" --threads "$threads" | tee "$dir/idle.txt" || status=1
    timeout 900 "$bench" idle --variant dispatchers --endpoints "$idle_dispatchers" --threads "$threads" | tee -a "$dir/idle.txt" || status=1
    awk "$(cat "$root/benchmarks/stats.awk")"'
    BEGIN { printf "\n%-12s %9s %9s %12s %12s %12s %12s\n", "side", "endpoints", "setup s", "new B/ep", "OpenSSL B/ep", "malloc B/ep", "RSS B/ep"
            print "--------------------------------------------------------------------------------------" }
    /^variant=/ { printf "%-12s %9d %9.1f %12d %12d %12d %12d\n", field($0, "variant"), field($0, "endpoints"), field($0, "setup_s"),
                  field($0, "new_bytes_per_endpoint"), field($0, "openssl_bytes_per_endpoint"), field($0, "malloc_bytes_per_endpoint"), field($0, "rss_bytes_per_endpoint")
                  if (field($0, "variant") == "hub") kib = field($0, "rss_bytes_per_endpoint") / 1024 }
    END { printf "hub: %.1f KiB RSS per endpoint (target < 8 KiB: %s)\n", kib, kib < 8 ? "met" : "MISSED" }' "$dir/idle.txt" | tee "$dir/idle_table.txt"
fi

if wants reload; then
    echo
    echo "Reload: a $idle_endpoints-endpoint file"
    timeout 900 "$bench" reload --endpoints "$idle_endpoints" --threads "$threads" --file "$dir/hub_endpoints.json" |
        tee "$dir/reload.txt" || status=1
fi
exit "$status"
