#!/usr/bin/env bash
# The chart of the adaptive-concurrency benchmark: per receiver, the median goodput (top), p99
# latency (middle) and rejected attempts per second (bottom) of each fixed limit and of
# adaptive concurrency, from the results that benchmarks/run_adaptive.sh writes.
# Usage: benchmarks/plot_adaptive.sh [RESULTS] [PNG]
#   RESULTS  default <repo>/build-bench/adaptive-bench/results.txt
#   PNG      default <repo>/docs/images/adaptive_benchmark.png
# Needs gnuplot (Debian: gnuplot-nox, in the 'bench' group of scripts/deps.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
results="${1:-$root/build-bench/adaptive-bench/results.txt}"
png="${2:-$root/docs/images/adaptive_benchmark.png}"
command -v gnuplot >/dev/null || { echo "plot_adaptive.sh: gnuplot not found (Debian: scripts/deps.sh bench)" >&2; exit 1; }
[ -s "$results" ] || { echo "plot_adaptive.sh: no $results (run benchmarks/run_adaptive.sh first)" >&2; exit 1; }
mkdir -p "$(dirname "$png")"
data=$(mktemp)
trap 'rm -f "$data"' EXIT

# One row per receiver: goodput medians per configuration, then p99, then rejected/s.
awk -f <(cat "$root/benchmarks/stats.awk"; cat <<'AWK'
{
    rc = field($0, "receiver"); conf = field($0, "mode") == "adaptive" ? "adaptive" : "fixed_" field($0, "limit")
    if (!(rc in seen_rc)) { seen_rc[rc] = 1; rcs[++nrc] = rc }
    if (!(conf in seen_c)) { seen_c[conf] = 1; confs[++nc] = conf }
    s = field($0, "seconds")
    good[rc, conf] = good[rc, conf] " " field($0, "goodput")
    rej[rc, conf] = rej[rc, conf] " " (s > 0 ? field($0, "rejected") / s : 0)
    p99[rc, conf] = p99[rc, conf] " " field($0, "p99_ms")
}
END {
    printf "receiver"
    for (j = 1; j <= nc; j++) printf " %s", confs[j]
    for (j = 1; j <= nc; j++) printf " %s_p99", confs[j]
    for (j = 1; j <= nc; j++) printf " %s_rejected", confs[j]
    print ""
    for (i = 1; i <= nrc; i++) {
        printf "%s", rcs[i]
        for (j = 1; j <= nc; j++) printf " %s", median(good[rcs[i], confs[j]])
        for (j = 1; j <= nc; j++) printf " %s", median(p99[rcs[i], confs[j]])
        for (j = 1; j <= nc; j++) printf " %s", median(rej[rcs[i], confs[j]])
        print ""
    }
}
AWK
) "$results" >"$data"
columns=$(head -n 1 "$data" | awk '{ print (NF - 1) / 3 }')

gnuplot <<EOF
set terminal pngcairo size 900,900 font "DejaVu Sans,10" noenhanced
set output "$png"
set multiplot layout 3,1 title "Adaptive concurrency against fixed limits, overloaded receivers on 127.0.0.1 (medians)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right top
set grid ytics
set ylabel "goodput (2xx events per second)"
plot for [i=2:$columns+1] "$data" using i:xtic(1) title columnheader(i)
set ylabel "p99 latency of a delivery (ms)"
set logscale y
plot for [i=$columns+2:2*$columns+1] "$data" using i:xtic(1) title columnheader(i)
set ylabel "rejected attempts per second"
set yrange [0.1:*]
plot for [i=2*$columns+2:3*$columns+1] "$data" using (column(i) > 0 ? column(i) : 0.1):xtic(1) title columnheader(i)
unset multiplot
EOF
echo "plot_adaptive.sh: $png"
