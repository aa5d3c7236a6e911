#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Plots of `make bench`, on the host: reads BUILD/bench-data.txt ("BOOT SERIES X Y..." lines
# that selftests/vm/check.sh collects from the guest), takes the median over the boots of
# each point and writes BUILD/bench-*.png with gnuplot. usage: bench-plot.sh [BUILD]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build}
in=$B/bench-data.txt
[ -s "$in" ] || { echo "bench-plot: no $in (run make bench first)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "bench-plot: gnuplot not installed" >&2; exit 1; }

# BUILD/plot-SERIES.dat: "X Y..." sorted by X, each Y the median over boots ("NaN" kept)
series=$(awk '{ print $2 }' "$in" | sort -u)
for s in $series; do
	awk -v s="$s" '$2 == s {
		x = $3; if (!(x in n)) xs[++k] = x; n[x]++
		for (c = 4; c <= NF; c++) v[x, c, n[x]] = $c
		if (NF > nf) nf = NF
	}
	END {
		for (j = 1; j <= k; j++) {
			x = xs[j]; line = x
			for (c = 4; c <= nf; c++) {
				m = 0
				for (a = 1; a <= n[x]; a++) if (v[x, c, a] != "NaN") y[++m] = v[x, c, a] + 0
				for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
					if (y[b] < y[a]) { t = y[a]; y[a] = y[b]; y[b] = t }
				line = line " " (m ? (m % 2 ? y[(m + 1) / 2] : (y[m / 2] + y[m / 2 + 1]) / 2) : "NaN")
			}
			print line
		}
	}' "$in" | sort -n > "$B/plot-$s.dat"
done

have() { [ -s "$B/plot-$1.dat" ]; }
d=$B
{
	echo "set terminal pngcairo size 900,560 font 'sans,10'"
	echo "set termoption noenhanced; set grid; set key top left; set datafile missing 'NaN'"
	if have valsize; then
		echo "set output '$d/bench-valsize.png'"
		echo "set title 'kcache cost by value size, in null ioctls (median over boots)'"
		echo "set xlabel 'value bytes'; set ylabel 'time / null ioctl'"
		echo "set logscale x 2; set logscale y; set xrange [8:32768]; set yrange [*:*]"
		# a 0-byte value cannot sit on a log axis: it is drawn at 8
		echo "plot '$d/plot-valsize.dat' using (\$1 > 0 ? \$1 : 8):2 with linespoints title 'kcache GET', \\"
		echo "     '' using (\$1 > 0 ? \$1 : 8):3 with linespoints title 'kcache SET', \\"
		echo "     '' using (\$1 > 0 ? \$1 : 8):4 with linespoints title 'BPF hash lookup (bpf())'"
		echo "unset logscale; set xrange [*:*]"
	fi
	if have batch; then
		echo "set output '$d/bench-batch.png'"
		echo "set title 'cost per key by batch size, in null ioctls (64-byte values)'"
		echo "set xlabel 'keys per call'; set ylabel 'time per key / null ioctl'"
		echo "set logscale x 2; set yrange [0:*]"
		echo "plot '$d/plot-batch.dat' using 1:2 with linespoints title 'kcache MGET', \\"
		echo "     '' using 1:3 with linespoints title 'BPF_MAP_LOOKUP_BATCH'"
		echo "unset logscale x"
	fi
	t=
	for op in null_ioctl get set bpf_lookup; do
		have "threads_$op" && t="$t${t:+, }'$d/plot-threads_$op.dat' using 1:2 with linespoints title '$op'"
	done
	if [ -n "$t" ]; then
		echo "set output '$d/bench-threads.png'"
		echo "set title 'throughput by threads on distinct keys, relative to 1 thread (2 vCPUs)'"
		echo "set xlabel 'threads'; set ylabel 'throughput / 1 thread'"
		echo "set xrange [0.8:2.2]; set yrange [0:2.2]; set xtics 1"
		echo "plot $t, x title 'perfect' with lines dashtype 2"
		echo "set xrange [*:*]; set xtics autofreq"
	fi
	if have cachesize; then
		echo "set output '$d/bench-cachesize.png'"
		echo "set title 'GET by cache size, in null ioctls (16-byte keys, 64-byte values)'"
		echo "set xlabel 'entries'; set ylabel 'GET / null ioctl'"
		echo "set logscale x 10; set yrange [0:*]"
		echo "plot '$d/plot-cachesize.dat' using 1:2 with linespoints title 'kcache GET'"
	fi
} > "$B/bench.gp"
gnuplot "$B/bench.gp"
ls "$B"/bench-*.png 2>/dev/null | sed 's/^/   plot: /'
