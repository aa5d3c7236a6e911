#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hit ratio of kcache's default policy on cache traces, against the bar of traces/README.md.
# best = the highest of the reference policies on a row; the bar, for every seed:
#   every row >= best - 3 points, and mean(kcache - best) over all rows >= 0.
#
#   scripts/bench-hitratio.sh               rows of $TRACES/reference.tsv, whose columns
#                                           lru wtinylfu s3fifo sieve arc are the references
#   TRACES=DIR CAPACITIES=auto scripts/...  every *.trace[.gz] in DIR at 1/5/10/25% of its
#                                           distinct keys; the references are replayed here:
#                                           LRU, "ref" (W-TinyLFU, fixed 1% window) and
#                                           textbook S3-FIFO, SIEVE, ARC (kc_refsim.h; on
#                                           reference.tsv's rows SIEVE gives its figures,
#                                           ARC within 0.04 points, S3-FIFO within 0.12)
#   SEEDS="1 2 ..."                         policy seeds (default 1..8); each must pass
#   JOBS=N                                  parallel replays (default: nproc)
#
# TRACES defaults to the shared traces: $KCACHE_TRACES, else shared/traces beside this clone
# or beside the main worktree of its repository. Prints "hitratio TRACE CAPACITY POLICY
# PERCENT [seed N]" lines, then per row the references, best, kcache (worst and mean over
# the seeds), the worst delta and the verdict, then mean and worst per seed and PASS/FAIL.
# Exits 0 on PASS, 1 on FAIL, 2 on errors.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CAPACITIES=${CAPACITIES:-}
SEEDS=${SEEDS:-1 2 3 4 5 6 7 8}
JOBS=${JOBS:-$(nproc)}
CC=${CC:-cc}
FLOOR=3

if [ -z "${TRACES:-}" ]; then
	common=$(git -C "$top" rev-parse --path-format=absolute --git-common-dir 2>/dev/null ||
		 true)
	for d in "${KCACHE_TRACES:-}" "$top/../shared/traces" \
		 ${common:+"$(dirname "$common")/../shared/traces"}; do
		if [ -n "$d" ] && [ -d "$d" ]; then TRACES=$d; break; fi
	done
fi
[ -n "${TRACES:-}" ] && [ -d "$TRACES" ] ||
	{ echo "bench-hitratio: no trace directory ${TRACES:-} (set TRACES=DIR)" >&2; exit 2; }
TRACES=$(cd "$TRACES" && pwd)
seedlist=$(echo "$SEEDS" | tr -s ' ,' ',' | sed 's/^,//; s/,$//')
[ -n "$seedlist" ] || { echo "bench-hitratio: empty SEEDS" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
replay=$work/kc_replay
"$CC" -O2 -Wall -I"$top/selftests/policy" -I"$top/kmod" -o "$replay" \
	"$top/selftests/policy/kc_replay.c" "$top/kmod/kcache_policy.c" \
	"$top/kmod/kcache_sketch.c" "$top/kmod/kcache_shadow.c"

trace_file() {	# name -> path
	if [ -e "$TRACES/$1.trace.gz" ]; then echo "$TRACES/$1.trace.gz"
	elif [ -e "$TRACES/$1.trace" ]; then echo "$TRACES/$1.trace"
	else echo "bench-hitratio: no trace $1 in $TRACES" >&2; exit 2
	fi
}

# rows: "trace capacity name=value..." with the reference hit ratios, "-" to replay them
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
			echo "$name $c lru=- ref=- s3fifo=- sieve=- arc=-"
		done
	done | awk '!seen[$1" "$2]++' > "$rows"
	refs="lru ref s3fifo sieve arc"
else
	tsv=$TRACES/reference.tsv
	[ -r "$tsv" ] || { echo "bench-hitratio: no $tsv (set CAPACITIES=auto)" >&2; exit 2; }
	refs="lru wtinylfu s3fifo sieve arc"
	awk -F'\t' -v refs="$refs" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{
			line = $col["trace"] " " $col["capacity"]
			n = split(refs, r, " ")
			for (i = 1; i <= n; i++) {
				if (!(r[i] in col)) {
					print "bench-hitratio: reference.tsv has no column " r[i] \
						> "/dev/stderr"
					exit 2
				}
				line = line " " r[i] "=" $col[r[i]]
			}
			print line
		}' "$tsv" > "$rows"
fi
[ -s "$rows" ] || { echo "bench-hitratio: no rows to replay" >&2; exit 2; }

# Replay in parallel: kcache once per row for all seeds, the references we compute once.
jobs=$work/jobs
while read -r name cap rest; do
	f=$(trace_file "$name")
	echo "-p tinylfu -c $cap -s $seedlist $f"
	for kv in $rest; do
		[ "${kv#*=}" = - ] && echo "-p ${kv%=*} -c $cap $f"
	done
done < "$rows" > "$jobs"
# shellcheck disable=SC2086
xargs -P "$JOBS" -L 1 "$replay" < "$jobs" > "$work/out" || {
	echo "bench-hitratio: replay failed" >&2; exit 2; }
sort -k2,2 -k3,3n -k4,4 -k7,7n "$work/out"

awk -v rowsfile="$rows" -v refs="$refs" -v seeds="$seedlist" -v floor="$FLOOR" '
	BEGIN {
		nref = split(refs, rn, " ")
		nseed = split(seeds, sd, ",")
		while ((getline line < rowsfile) > 0) {
			nf = split(line, f, " ")
			n++; name[n] = f[1]; cap[n] = f[2]
			for (i = 3; i <= nf; i++) {
				split(f[i], kv, "=")
				ref[n, kv[1]] = kv[2]
			}
		}
	}
	$1 == "hitratio" && $4 == "tinylfu" { kc[$2 " " $3, $7] = $5 }
	$1 == "hitratio" && $4 != "tinylfu" { hr[$2 " " $3 " " $4] = $5 }
	END {
		printf "\n%-10s %8s", "trace", "capacity"
		for (i = 1; i <= nref; i++)
			printf " %8s", rn[i]
		printf " %8s %-8s %8s %8s %7s  %s\n", "best", "(which)", "kc-worst", "kc-mean",
		       "delta", "verdict"
		fail = 0
		for (r = 1; r <= n; r++) {
			k = name[r] " " cap[r]
			printf "%-10s %8d", name[r], cap[r]
			b = -1
			for (i = 1; i <= nref; i++) {
				v = ref[r, rn[i]]
				if (v == "-") {
					if (!((k " " rn[i]) in hr)) {
						print "missing " rn[i] " for " k > "/dev/stderr"
						exit 2
					}
					v = hr[k " " rn[i]]
				}
				printf " %8.2f", v
				if (v + 0 > b) { b = v + 0; which = rn[i] }
			}
			lo = 1e9; s = 0
			for (j = 1; j <= nseed; j++) {
				if (!((k, sd[j]) in kc)) {
					print "missing kcache seed " sd[j] " for " k > "/dev/stderr"
					exit 2
				}
				v = kc[k, sd[j]]
				d = v - b
				sum[j] += d
				if (d < worst[j] || r == 1) { worst[j] = d; wrow[j] = k }
				if (v < lo) lo = v
				s += v
			}
			d = lo - b
			verdict = d + 1e-9 < -floor ? "BELOW FLOOR" : "ok"
			if (verdict != "ok") fail = 1
			printf " %8.2f %-8s %8.2f %8.2f %+7.2f  %s\n", b, which, lo, s / nseed, d,
			       verdict
		}
		printf "\nbar: every row >= best - %d, mean(kcache - best) >= 0, on every seed\n",
		       floor
		for (j = 1; j <= nseed; j++) {
			m = sum[j] / n
			ok = m >= -1e-9 && worst[j] + 1e-9 >= -floor
			if (!ok) fail = 1
			printf "seed %-6s rows %d  mean %+.2f  worst %+.2f (%s)  %s\n", sd[j], n, m,
			       worst[j], wrow[j], ok ? "pass" : "FAIL"
		}
		print fail ? "FAIL" : "PASS"
		exit fail
	}' "$work/out"
