#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan, UBSan, LSan) and runs each for a
# bounded time, two at a time, starting from its seed corpus (a scratch copy: the committed
# corpus does not grow). Fails when any target reports a crash, a leak, a sanitizer error, a
# timeout or running out of memory; the input that did it is kept under <build>/artifacts/.
#
# Usage: scripts/fuzz.sh [seconds-per-target]      (default 30)
# Environment: WEBHOOK_FUZZ_BUILD_DIR (default build-fuzz), WEBHOOK_FUZZ_BUILD_JOBS (default 2),
# WEBHOOK_FUZZ_PARALLEL (targets run at once, default 2), WEBHOOK_FUZZ_TARGETS (names to run,
# default all). Reproduce a failure: build-fuzz/fuzz_<target> build-fuzz/artifacts/<file>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${WEBHOOK_FUZZ_BUILD_DIR:-build-fuzz}
build_jobs=${WEBHOOK_FUZZ_BUILD_JOBS:-2}
jobs=${WEBHOOK_FUZZ_PARALLEL:-2}

scripts/deps.sh fuzz

start=$(date +%s)
# Ninja: the targets' objects compile while Boost's sources do (make would wait for the library).
# A build directory made with another generator is started afresh (cmake would refuse it).
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build/CMakeCache.txt"; then
    rm -rf "$build"
fi
CC=clang CXX=clang++ cmake -S tests/fuzz -B "$build" -G Ninja >/dev/null
cmake --build "$build" -j "$build_jobs"
built=$(date +%s)
echo "fuzz: build took $((built - start)) s"

if [ -n "${WEBHOOK_FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$WEBHOOK_FUZZ_TARGETS"
else
    targets=()
    for exe in "$build"/fuzz_*; do
        [ -f "$exe" ] && [ -x "$exe" ] && targets+=("${exe##*/fuzz_}")
    done
fi

# Scratch space: corpus copies, logs, and the targets' temporary files (on a tmpfs if there
# is one: the spool target creates a directory of files per input).
scratch_parent=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_parent=/dev/shm
scratch=$(mktemp -d "$scratch_parent/webhook-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
artifacts="$PWD/$build/artifacts"
rm -rf "$artifacts"
mkdir -p "$artifacts" "$scratch/tmp"

export ASAN_OPTIONS=detect_leaks=1:symbolize=1:handle_abort=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"

run_target() {
    local name=$1 corpus="$scratch/corpus/$1" dict=() rc=0
    mkdir -p "$corpus"
    cp -r "tests/fuzz/corpus/$name/." "$corpus/"
    [ -f "tests/fuzz/dicts/$name.dict" ] && dict=("-dict=tests/fuzz/dicts/$name.dict")
    TMPDIR="$scratch/tmp" "$build/fuzz_$name" "$corpus" "${dict[@]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
        >"$scratch/$name.log" 2>&1 || rc=$?
    echo "$rc" >"$scratch/$name.rc"
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time: ${targets[*]}"
running=0
for name in "${targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_target "$name" &
    running=$((running + 1))
done
wait || true
finished=$(date +%s)

failed=0
for name in "${targets[@]}"; do
    log="$scratch/$name.log"
    rc=$(cat "$scratch/$name.rc" 2>/dev/null || echo missing)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ "$rc" != 0 ] || grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:|check failed:' "$log"; then
        failed=$((failed + 1))
        echo "fuzz_$name: FAILED (exit $rc, ${execs:-?} executions)"
        grep -E 'ERROR:|SUMMARY:|runtime error:|check failed:|Test unit written|^Base64:' "$log" | head -20 | sed 's/^/    /'
        echo "    --- last lines of the log ---"
        tail -40 "$log" | sed 's/^/    /'
        cp "$log" "$artifacts/$name.log"
    else
        echo "fuzz_$name: ok, ${execs:-?} executions (${rate:-?}/s)"
    fi
done
echo "fuzz: running took $((finished - built)) s"
echo "fuzz: $((${#targets[@]} - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
