#!/usr/bin/env bash
# What a user's translation unit costs the compiler: CPU time (user + system) and peak memory
# of g++ compiling small programs, each several times, medians printed.
#   boost_only      the Asio, Beast, SSL, JSON and URL headers the dispatcher builds on
#   dispatcher_h    #include <webhook/dispatcher.hpp> and an empty main
#   post_one_event  a described struct and a dispatcher that posts it (a real program)
#   post_one_event_separate   the same with WEBHOOK_SEPARATE_COMPILATION (the dispatcher is
#                   compiled once elsewhere, in the translation unit of <webhook/src.hpp>)
#   src_hpp         that one translation unit: #include <webhook/src.hpp>
#   publish_one_event   an event type and a hub with one endpoint that publishes it
#   publish_one_event_separate   the same with WEBHOOK_SEPARATE_COMPILATION
#   json_h          #include <webhook/json.hpp> and an empty main
#   endpoint_h      #include <webhook/endpoint.hpp> (configuration only) and an empty main
# Usage: benchmarks/run_compile.sh   Environment: REPEATS (3), CXX (g++), OPT (-O0),
#   TUS (the translation units to measure, in order; the first is the vs_* baseline).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeats="${REPEATS:-3}"
cxx="${CXX:-g++}"
opt="${OPT:--O0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/boost_only.cpp" <<'EOF'
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>
int main() {}
EOF
cat >"$work/dispatcher_h.cpp" <<'EOF'
#include <webhook/dispatcher.hpp>
int main() {}
EOF
cat >"$work/json_h.cpp" <<'EOF'
#include <webhook/json.hpp>
int main() {}
EOF
cat >"$work/endpoint_h.cpp" <<'EOF'
#include <webhook/endpoint.hpp>
int main() {}
EOF
cat >"$work/post_one_event.cpp" <<'EOF'
#include <webhook/dispatcher.hpp>

#include <boost/describe.hpp>

#include <string>

struct incident {
    std::string id;
    int priority;
    std::string state;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority, state))

int main() {
    webhook::endpoint e;
    e.url = "http://127.0.0.1:9/hook";
    e.data_location = webhook::data_path("root/result");
    webhook::dispatcher d{e};
    return d.post(incident{"INC001", 2, "new"}) ? 0 : 1;
}
EOF
cat >"$work/publish_one_event.cpp" <<'EOF'
#include <webhook/hub.hpp>

#include <boost/describe.hpp>

#include <string>

struct incident {
    std::string id;
    int priority;
    std::string state;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority, state))
WEBHOOK_EVENT_TYPE(incident, "incident.updated");

int main() {
    webhook::endpoint e;
    e.url = "http://127.0.0.1:9/hook";
    e.data_location = webhook::data_path("root/result");
    webhook::hub hub;
    hub.set({.name = "itsm", .config = e, .subscription = {}});
    return hub.publish(incident{"INC001", 2, "new"}) ? 0 : 1;
}
EOF

# One compilation: prints "cpu_seconds peak_mb".
measure() {
    local src=$1
    shift
    /usr/bin/time -f "%U %S %M" -o "$work/time.txt" \
        "$cxx" -std=c++20 "$opt" "$@" -c -I"$root/include" "$src" -o "$work/out.o"
    awk '{ printf "%.2f %.0f\n", $1 + $2, $3 / 1024 }' "$work/time.txt"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf "%-24s %10s %10s %10s\n" "translation unit" "cpu_s" "peak_MB" "vs_boost"
base=""
cp "$work/post_one_event.cpp" "$work/post_one_event_separate.cpp"
cp "$work/publish_one_event.cpp" "$work/publish_one_event_separate.cpp"
printf '#include <webhook/src.hpp>\n' >"$work/src_hpp.cpp"
tus=${TUS:-boost_only json_h endpoint_h dispatcher_h post_one_event post_one_event_separate src_hpp publish_one_event publish_one_event_separate}
for tu in $tus; do
    flags=()
    case "$tu" in *_separate | src_hpp) flags=(-DWEBHOOK_SEPARATE_COMPILATION) ;; esac
    : >"$work/cpu.txt"
    : >"$work/mem.txt"
    for _ in $(seq "$repeats"); do
        read -r cpu mem < <(measure "$work/$tu.cpp" "${flags[@]}")
        echo "$cpu" >>"$work/cpu.txt"
        echo "$mem" >>"$work/mem.txt"
    done
    cpu=$(median <"$work/cpu.txt")
    mem=$(median <"$work/mem.txt")
    [ -z "$base" ] && base=$cpu
    printf "%-24s %10s %10s %9.2fx\n" "$tu" "$cpu" "$mem" "$(awk -v a="$cpu" -v b="$base" 'BEGIN { print a / b }')"
done
echo "($cxx $opt -std=c++20 -c, medians of $repeats; vs_boost: CPU time against boost_only)"
