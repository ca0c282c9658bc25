#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds the demo, runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh base
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=Release \
      -DWEBHOOK_BUILD_TESTS=OFF -DWEBHOOK_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-demo --target webhook_demo webhook_send webhookctl -j "$(nproc)"
exec build-demo/examples/webhook_demo "$@"
