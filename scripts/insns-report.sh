#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# insns-report.sh LOG COUNTS: the report of `make bench-insns`. LOG is the guest's console
# (KCSYM lines: the kernel's and modules' text symbols; insns-phase lines: each phase's
# name and operations), COUNTS the kcache_tbcount plugin's "ADDR PHASE VCPU INSNS RUNS"
# lines. Prints guest instructions and translation blocks run per operation on the caller's
# CPU (0) and on the others, the instructions' ratios to the null ioctl's, and each phase's
# functions by instructions per operation.
set -euo pipefail
log=$1 counts=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tr -d '\r' < "$log" | awk '$1 == "insns-phase" { print $2, $3, $4 }' > "$tmp/phases"
[ -s "$tmp/phases" ] || { echo "insns-report: no phases in $log" >&2; exit 1; }
{
	tr -d '\r' < "$log" | awk '$1 == "KCSYM" && NF >= 3 { print $2, "S", $3 }'
	awk '{ print $1, "T", $2, $3, $4, $5 }' "$counts"
} | LC_ALL=C sort -k1,1 -k2,2 | awk -v phases="$tmp/phases" '
	BEGIN {
		while ((getline l < phases) > 0) {
			split(l, f, " ")
			name[f[1]] = f[2]; ops[f[1]] = f[3]; num[++np] = f[1]
		}
		sym = "user"
	}
	# a block belongs to the last symbol at or below it; below the kernel: userspace
	$2 == "S" { sym = $3; next }
	{
		s = $1 < "ffff800000000000" ? "user" : sym
		cpu = $4 == 0 ? "own" : "other"
		if (!($3 in name)) next
		tot[$3, cpu] += $5
		blk[$3, cpu] += $6
		fn[$3, cpu, s] += $5
		if (!(($3, cpu, s) in seen)) { seen[$3, cpu, s] = 1; list[$3, cpu] = list[$3, cpu] " " s }
	}
	END {
		printf "# guest instructions per operation, counted by the kcache_tbcount QEMU plugin\n"
		printf "# own: the calling CPU (0); other: every other CPU meanwhile (maintenance)\n"
		# phases by number; the numbers of phases the guest left unnamed are skipped
		for (i = 1; i <= np; i++)
			if (name[num[i]] == "null_ioctl") floor = tot[num[i], "own"] / ops[num[i]]
		for (i = 1; i <= np; i++) {
			p = num[i]
			printf "insns %s own %.1f other %.1f\n", name[p], tot[p, "own"] / ops[p],
				tot[p, "other"] / ops[p]
		}
		# blocks: what the emulator dispatches, each a jump, a lookup or a main-loop exit
		for (i = 1; i <= np; i++) {
			p = num[i]
			printf "blocks %s own %.1f other %.1f\n", name[p], blk[p, "own"] / ops[p],
				blk[p, "other"] / ops[p]
		}
		if (floor > 0)
			for (i = 1; i <= np; i++)
				if (name[p = num[i]] != "null_ioctl")
					printf "ratio insns_%s/null_ioctl %.3f\n", name[p],
						tot[p, "own"] / ops[p] / floor
		for (j = 1; j <= np; j++) {
			p = num[j]
			printf "\n# %s: instructions per operation by function (CPU 0, at least 1)\n", name[p]
			n = split(list[p, "own"], fs, " ")
			for (i = 1; i <= n; i++) {
				v = fn[p, "own", fs[i]] / ops[p]
				if (v >= 1) printf "%10.1f %s\n", v, fs[i] | "sort -rn"
			}
			close("sort -rn")
		}
	}'
