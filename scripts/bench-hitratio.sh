#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hit ratio of kcache's policies on cache traces, against the bar of traces/README.md:
# every row >= best - 5 points, and mean(hit - best) >= -1.0, where best = max(LRU, ref).
#
#   scripts/bench-hitratio.sh                 traces and capacities of $TRACES/README.md
#   TRACES=DIR CAPACITIES=auto scripts/...    every *.trace[.gz] in DIR at 1/5/10/25% of its
#                                             distinct keys; ref = our tinylfu, window fixed 1%
#   JOBS=N                                    parallel replays (default: nproc)
#
# Prints "hitratio TRACE CAPACITY POLICY PERCENT" lines, then the table, the mean delta, the
# worst row and PASS/FAIL. Exits 0 on PASS, 1 on FAIL, 2 on errors.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TRACES=${TRACES:-$top/../shared/traces}
CAPACITIES=${CAPACITIES:-}
JOBS=${JOBS:-$(nproc)}
CC=${CC:-cc}

[ -d "$TRACES" ] || { echo "bench-hitratio: no trace directory $TRACES" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
replay=$work/kc_replay
"$CC" -O2 -Wall -I"$top/selftests/policy" -I"$top/kmod" -o "$replay" \
	"$top/selftests/policy/kc_replay.c" "$top/kmod/kcache_policy.c"

trace_file() {	# name -> path
	if [ -e "$TRACES/$1.trace.gz" ]; then echo "$TRACES/$1.trace.gz"
	elif [ -e "$TRACES/$1.trace" ]; then echo "$TRACES/$1.trace"
	else echo "bench-hitratio: no trace $1 in $TRACES" >&2; exit 2
	fi
}

# rows: "trace capacity lru_ref ref" (lru_ref and ref are "-" when we compute them)
rows=$work/rows
if [ "$CAPACITIES" = auto ]; then
	shopt -s nullglob
	for f in "$TRACES"/*.trace "$TRACES"/*.trace.gz; do
		name=$(basename "$f"); name=${name%.gz}; name=${name%.trace}
		if [[ $f == *.gz ]]; then cat=(gzip -dc "$f"); else cat=(cat "$f"); fi
		distinct=$("${cat[@]}" | grep -v '\*' | grep -E '^[[:space:]]*[0-9]' |
			   awk '{print $1}' | sort -u | wc -l)
		for pct in 1 5 10 25; do
			c=$((distinct * pct / 100)); [ "$c" -ge 1 ] || c=1
			echo "$name $c - -"
		done
	done | awk '!seen[$1" "$2]++' > "$rows"
else
	readme=$TRACES/README.md
	[ -r "$readme" ] || { echo "bench-hitratio: no $readme (set CAPACITIES=auto)" >&2; exit 2; }
	# | trace | events | unique keys | capacity | LRU % | ref % | OPT % | floor % |
	awk -F'|' 'NF >= 9 && $5 ~ /^ *[0-9]+ *$/ {
		gsub(/ /, ""); print $2, $5, $6, $7 }' "$readme" > "$rows"
fi
[ -s "$rows" ] || { echo "bench-hitratio: no rows to replay" >&2; exit 2; }

# Replay in parallel; each job writes one hitratio line.
jobs=$work/jobs
while read -r name cap _ ref; do
	f=$(trace_file "$name")
	echo "-p lru -c $cap $f"
	echo "-p tinylfu -c $cap $f"
	[ "$ref" = - ] && echo "-p ref -c $cap $f"
done < "$rows" > "$jobs"
# shellcheck disable=SC2086
xargs -P "$JOBS" -L 1 "$replay" < "$jobs" > "$work/out" || {
	echo "bench-hitratio: replay failed" >&2; exit 2; }
sort -k2,2 -k3,3n -k4,4 "$work/out"

awk -v rowsfile="$rows" '
	BEGIN {
		while ((getline line < rowsfile) > 0) {
			split(line, f, " ")
			n++; name[n] = f[1]; cap[n] = f[2]; ref[n] = f[4]
		}
	}
	$1 == "hitratio" { hr[$2 " " $3 " " $4] = $5 }
	END {
		printf "\n%-10s %8s %7s %7s %7s %7s %7s %7s\n", "trace", "capacity", "LRU",
		       "ours", "ref", "best", "floor", "delta"
		worst = 1e9; fail = 0
		for (i = 1; i <= n; i++) {
			k = name[i] " " cap[i]
			if (!((k " lru") in hr) || !((k " tinylfu") in hr)) {
				print "missing result for " k > "/dev/stderr"; exit 2
			}
			l = hr[k " lru"]; o = hr[k " tinylfu"]
			r = ref[i] == "-" ? hr[k " ref"] : ref[i]
			b = l > r ? l : r; fl = b - 5; d = o - b
			mark = o + 1e-9 < fl ? "  below floor" : ""
			if (mark != "") fail = 1
			printf "%-10s %8d %7.2f %7.2f %7.2f %7.2f %7.2f %+7.2f%s\n", name[i],
			       cap[i], l, o, r, b, fl, d, mark
			sum += d
			if (d < worst) { worst = d; wrow = name[i] " " cap[i] }
		}
		mean = sum / n
		printf "\nrows %d  mean delta %+.2f (bar >= -1.00)  worst %+.2f (%s, bar >= -5.00)\n",
		       n, mean, worst, wrow
		if (mean < -1.0) fail = 1
		print fail ? "FAIL" : "PASS"
		exit fail
	}' "$work/out"
