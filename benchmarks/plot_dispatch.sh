#!/usr/bin/env bash
# The chart of the dispatcher benchmark: events (or requests) per second against requests in
# flight for webhook::dispatcher, the value_from + libcurl multi pipeline, wrk, and the
# library's transport alone (the dispatcher's ceiling), from the medians that
# benchmarks/run_dispatch.sh writes.
# Usage: benchmarks/plot_dispatch.sh [MEDIANS] [PNG]
#   MEDIANS  default <repo>/build-bench/dispatch-bench/medians.dat
#   PNG      default <repo>/docs/images/dispatch_benchmark.png
# Needs gnuplot (Debian: gnuplot-nox, in the 'bench' group of scripts/deps.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:-$root/build-bench/dispatch-bench/medians.dat}"
png="${2:-$root/docs/images/dispatch_benchmark.png}"
command -v gnuplot >/dev/null || { echo "plot_dispatch.sh: gnuplot not found (Debian: scripts/deps.sh bench)" >&2; exit 1; }
[ -s "$data" ] || { echo "plot_dispatch.sh: no $data (run benchmarks/run_dispatch.sh first)" >&2; exit 1; }
mkdir -p "$(dirname "$png")"

# A title line with the machine's load, from the table next to the data when there is one.
note=""
table="$(dirname "$data")/table.txt"
[ -s "$table" ] && note="$(sed -n 's/^the rest of the machine used \(.*\) during the runs$/other load: \1/p' "$table")"

gnuplot <<EOF
set terminal pngcairo size 900,560 font "DejaVu Sans,11"
set output "$png"
set title "POST of the 321-byte incident event to nginx (204) on 127.0.0.1, medians\n{/*0.8 $note}"
set xlabel "requests in flight (connections)"
set ylabel "events (requests) per second"
set logscale x 2
set xrange [0.7:90]
set xtics ("1" 1, "8" 8, "64" 64)
set yrange [0:*]
set format y "%.0s%c"
set grid ytics lc rgb "#dddddd"
set key bottom right box opaque
set style data linespoints
set datafile missing "?"
plot "$data" using 1:2 title "wrk (HTTP ceiling, fixed bytes)" lw 2 pt 7 ps 1.2 lc rgb "#888888" dt 2, \
     "" using 1:5 title "webhook::beast_transport alone (prepared request)" noenhanced lw 1.5 pt 6 ps 1 lc rgb "#7570b3" dt 3, \
     "" using 1:3 title "value_from + serialize + libcurl multi" noenhanced lw 2 pt 5 ps 1.2 lc rgb "#d95f02", \
     "" using 1:(1.5 * \$3) title "target: 1.5x value_from + libcurl" noenhanced with lines lw 1 lc rgb "#d95f02" dt 4, \
     "" using 1:4 title "webhook::dispatcher::post" lw 3 pt 9 ps 1.5 lc rgb "#1b9e77", \
     "" using 1:4:(sprintf("%.0f", \$4)) with labels left offset 1.2,-0.9 font ",9" tc rgb "#1b9e77" notitle, \
     "" using 1:3:(sprintf("%.0f", \$3)) with labels right offset -1.2,0.9 font ",9" tc rgb "#d95f02" notitle
EOF
echo "wrote $png"
