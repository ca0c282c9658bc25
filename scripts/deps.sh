#!/usr/bin/env bash
# Installs the Debian 12 packages that a build needs, or says exactly how to.
# Usage: scripts/deps.sh [base|test|bench|fuzz|check|docs]...   (sourced or run; exits non-zero when missing)
set -euo pipefail

packages_base=(g++ cmake make libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev zlib1g-dev)
packages_test=(libboost-test1.81-dev python3 python3-jsonschema pkg-config libhiredis-dev redis-server redis-tools libpq-dev postgresql-15 prometheus python3-prometheus-client)
packages_bench=(libbenchmark-dev nlohmann-json3-dev rapidjson-dev nginx-light wrk libcurl4-openssl-dev gnuplot-nox libsqlite3-dev)
# libFuzzer: clang 14, its runtime libraries (libclang_rt.fuzzer), llvm-symbolizer for reports,
# ninja (scripts/fuzz.sh builds with it).
packages_fuzz=(clang libclang-rt-14-dev llvm-14 ninja-build)
# scripts/check.sh: the formatter and a second compiler for the headers.
packages_check=(clang clang-format git universal-ctags)
# scripts/architecture.sh svg: Graphviz draws the layers.
packages_docs=(graphviz)

wanted=("${packages_base[@]}")
for group in "$@"; do
    case "$group" in
        base) ;;
        test) wanted+=("${packages_test[@]}") ;;
        bench) wanted+=("${packages_bench[@]}") ;;
        fuzz) wanted+=("${packages_fuzz[@]}") ;;
        check) wanted+=("${packages_check[@]}") ;;
        docs) wanted+=("${packages_docs[@]}") ;;
        *) echo "deps.sh: unknown group '$group' (base, test, bench, fuzz, check, docs)" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "Installing missing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "Missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
