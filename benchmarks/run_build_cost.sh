#!/usr/bin/env bash
# What the test build costs the compiler: builds the README's test build from scratch in its
# own folder, with every compile timed (CPU user + system, peak memory), and prints the CPU per
# kind of translation unit (tests, the docs' examples, benchmarks, examples, the compiled
# library) and the ten dearest. Builds only: the tests are not run.
# Usage: benchmarks/run_build_cost.sh [build-dir]   (default build-cost; removed first)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${1:-$root/build-cost}")"
log="$build.times"
rm -rf "$build" "$log"
launcher="$build.launcher"
mkdir -p "$(dirname "$build")"
cat >"$launcher" <<EOF
#!/usr/bin/env bash
out=""; prev=""; for a in "\$@"; do [ "\$prev" = "-o" ] && out=\$a; prev=\$a; done
exec /usr/bin/time -a -o "$log" -f "%U %S %M \$out" "\$@"
EOF
chmod +x "$launcher"
cd "$root"
scripts/deps.sh test bench
# The flags of scripts/test.sh.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" >/dev/null
start=$(date +%s)
cmake --build "$build" -j "$(nproc)" >/dev/null
echo "wall: $(( $(date +%s) - start )) s with $(nproc) jobs"
awk '{
    cpu = $1 + $2; file = $4; kind = "tests"
    if (file ~ /doc_/) kind = "docs examples"
    else if (file ~ /^CMakeFiles\/webhook_compiled/) kind = "compiled library"
    else if (file ~ /benchmark|http_|dispatch_curl|dispatch_webhook|json_count/) kind = "benchmarks"
    else if (file ~ /example|demo/) kind = "examples"
    sum[kind] += cpu; count[kind]++; total += cpu; n++
}
END {
    printf "%-18s %5s %9s\n", "kind", "TUs", "cpu_s"
    for (k in sum) printf "%-18s %5d %9.1f\n", k, count[k], sum[k]
    printf "%-18s %5d %9.1f\n", "all", n, total
}' "$log"
echo "dearest:"
sort -rn "$log" | head -10 | awk '{ printf "  %6.1f s %5d MB  %s\n", $1 + $2, $3 / 1024, $4 }'
