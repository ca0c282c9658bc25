#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything, runs every test.
# Usage: scripts/test.sh [build-dir] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true

scripts/deps.sh test bench
# Tests compile without optimization and with line tables only (-O1 took 12% longer on the
# heaviest test file, -O2 -g about twice as long), which matters on a 2-core CI machine. The
# benchmark scripts make their own -O2 builds.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-RelWithDebInfo} \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_DEBUG="-g1" \
      "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
