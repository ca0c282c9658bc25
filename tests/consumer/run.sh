#!/usr/bin/env bash
# Builds and runs the consumer program one way into the library.
# Usage: run.sh subdir|compiled|install|plain|header-only <source-dir> <scratch-dir> <c++ compiler>
set -euo pipefail
mode=$1 src=$2 work=$3 cxx=$4
rm -rf "$work" && mkdir -p "$work"
generator=(-DCMAKE_CXX_COMPILER="$cxx")

case "$mode" in
subdir)
    cmake -S "$src/tests/cmake_subdir" -B "$work/build" "${generator[@]}" -DWEBHOOK_SOURCE_DIR="$src"
    cmake --build "$work/build"
    "$work/build/consumer"
    ;;
compiled) # add_subdirectory and webhook::compiled (WEBHOOK_SEPARATE_COMPILATION)
    cmake -S "$src/tests/cmake_compiled" -B "$work/build" "${generator[@]}" -DWEBHOOK_SOURCE_DIR="$src"
    cmake --build "$work/build"
    "$work/build/consumer"
    ;;
install)
    cmake -S "$src" -B "$work/lib" "${generator[@]}" -DWEBHOOK_BUILD_TESTS=OFF \
          -DWEBHOOK_BUILD_BENCHMARKS=OFF -DWEBHOOK_BUILD_EXAMPLES=OFF
    cmake --install "$work/lib" --prefix "$work/prefix"
    cmake -S "$src/tests/cmake_install" -B "$work/build" "${generator[@]}" \
          -DCMAKE_PREFIX_PATH="$work/prefix"
    cmake --build "$work/build"
    "$work/build/consumer"
    ;;
plain) # the exact line in the README
    "$cxx" -std=c++20 -I "$src/include" "$src/tests/consumer/main.cpp" -lboost_json -o "$work/consumer"
    "$work/consumer"
    ;;
header-only) # no -lboost_json: one translation unit includes <boost/json/src.hpp>
    "$cxx" -std=c++20 -I "$src/include" "$src/tests/consumer/main.cpp" \
           "$src/tests/consumer/header_only.cpp" -o "$work/consumer"
    "$work/consumer"
    ;;
*)
    echo "run.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
