#!/usr/bin/env bash
# The cost of the dispatcher's metrics: the dispatcher benchmark's client (run_dispatch.sh) as
# it is and with a metrics registry filled by the dispatcher and written out every second as a
# Prometheus scrape would (dispatch_webhook_client_observed), interleaved in the same rounds
# against one nginx on loopback. The "vs base" column is the observed client's events per
# second as a ratio of the plain one's.
# Usage: benchmarks/run_observe_cost.sh           (everything on 127.0.0.1 only)
# Environment: as run_http.sh (BUILD_DIR, PORT, SECONDS_PER_RUN, WARMUP, ROUNDS, CONNECTIONS,
#   WORKERS); results in $BUILD_DIR/observe-bench/.
# Needs the 'bench' group of scripts/deps.sh and curl.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BUILD_DIR="${BUILD_DIR:-$root/build-bench}"
export BENCH_SUBDIR=observe-bench
export CLIENTS="dispatch_webhook_client dispatch_webhook_client_observed"
export EXTRA_CLIENTS=""
export BASELINE=webhook_dispatcher
export LIBRARY_ACCEPT_CLIENTS="dispatch_webhook_client dispatch_webhook_client_observed"
export ROUNDS="${ROUNDS:-5}"
exec "$root/benchmarks/run_http.sh"
