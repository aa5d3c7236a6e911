#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kcache's VM test harness.
# usage: check.sh all|kernels|stock|bpo|rt|debug|harness|dkms|install|demo|bench|insns
#
#   stock    Debian 12's 6.1 (installed by scripts/deps.sh): build against its headers, boot
#            it, run the stress modules, the sample user and the selftests; then boot it once
#            more with a node of movable memory only, for kcache_shrinker_test alone
#            (unless KCACHE_ONLY leaves that suite out)
#   bpo, rt  the same on 6.12 from bookworm-backports and on 6.1 PREEMPT_RT, both fetched
#            into the cache by scripts/kernels.sh (see there)
#   kernels  stock + bpo + rt
#   debug    build (once, cached) the debug kernel, build against it, run KUnit, stress
#            modules and selftests
#   harness  boot modules with deliberate bugs and require that each run is reported failed
#   dkms     dkms build of the installed sources against every stock kernel's headers (host)
#   install  make install into a DESTDIR, then a consumer built with pkg-config only (host)
#   all      harness + kernels + debug + the movable boot + dkms + install
#
# A run passes only if qemu exits through isa-debug-exit with status "pass", the guest's
# last verdict line says PASS, every expected suite reported a complete plan, and the
# console log holds no kernel splat. qemu uses TCG unless KCACHE_KVM=1 (opt-in only: under
# the nested KVM of these machines guests hang instead of failing).
# KCACHE_ONLY=kcache_x_test[,...] runs only those selftests or stress modules, or with
# "kunit" the debug kernel's KUnit suites (a developer's rerun: the suites left out are
# reported missing, so such a run never passes), and
# KCACHE_BIG=N gives the stress module's huge-table test N entries (200000 by default);
# KCACHE_FUZZ_SEED and KCACHE_FUZZ_CALLS reach the fuzzer in the guest (a failed run's
# seed is in its log).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/selftests/vm
B=$top/build
mode=${1:-all}
timeout_s=${KCACHE_VM_TIMEOUT:-1500}
mkdir -p "$B"
# one run at a time per tree: runs share build/
exec 9>"$B/.lock"
flock 9
results=$B/results.txt
: > "$results"
: > "$B/failed-logs"	# "KIND LOG" of each failed run, for why()
splat_re='BUG:|WARNING:|Oops|KASAN|possible circular locking|inconsistent lock state|sleeping function called from invalid context|INFO: task .* blocked|soft lockup|rcu_sched detected stall|rcu: INFO|suspected memory leak|Call Trace|general protection|Kernel panic'

die() { echo "check: $*" >&2; exit 1; }
note() { echo "== $*"; }

version=$("$top/scripts/version.sh") || die "no version (scripts/version.sh)"

# kernel_of NAME: "KERNELRELEASE VMLINUZ KDIR" of a stock kernel of the matrix
kernel_of() {
	local line
	line=$("$top/scripts/kernels.sh" list | awk -v k="$1" '$1 == k') || die "kernels.sh list"
	[ -n "$line" ] || die "no kernel $1 (make deps fetches it)"
	echo "${line#* }"
}

build_userspace() {
	make -s -C "$top/userlib" STATIC=1 >/dev/null || die "userlib build failed"
	make -s -C "$top/selftests" >/dev/null || die "selftests build failed"
	if [ -f "$top/selftests/bench/Makefile" ]; then
		make -s -C "$top/selftests/bench" >/dev/null || die "bench build failed"
	fi
}

# build_modules NAME KDIR [make args...]: a private copy of the sources per kernel, since
# Linux 6.1 has no MO= and a tree can hold one kernel's objects at a time.
build_modules() {
	local name=$1 kdir=$2
	shift 2
	local d=$B/$name
	mkdir -p "$d"
	"$top/selftests/policy/gen-expect.sh" >/dev/null || die "policy cross-build header"
	mkdir -p "$d/selftests"
	# sources only: objects of an in-tree build (make, make install) are another kernel's
	local src_only=(--exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' --exclude='*.mod'
			--exclude='*.mod.c' --exclude='.*.d' --exclude='*.o.d')
	rsync -a --delete "${src_only[@]}" "$top/Kbuild" "$top/VERSION" "$top/kmod" "$top/uapi" \
		"$top/samples" "$d/" || die "rsync"
	rsync -a --delete "${src_only[@]}" "$top/selftests/policy" "$top/selftests/kunit" \
		"$top/selftests/torture" "$top/selftests/kbench" "$top/selftests/kload" \
		"$top/selftests/bug" \
		"$d/selftests/" || die "rsync"
	if ! make -C "$kdir" M="$d" W=1 KCFLAGS=-Werror KCACHE_TESTS=y KCACHE_VERSION="$version" \
		"$@" modules \
		> "$d/build.log" 2>&1; then
		cat "$d/build.log"
		die "module build for $name failed"
	fi
}

# mkinitramfs OUT MODDIR KIND
mkinitramfs() {
	local out=$1 moddir=$2 kind=$3 r
	r=$(mktemp -d)
	chmod 755 "$r"
	mkdir -p "$r"/{bin,dev,proc,sys,tmp,etc,tests,bench} "$r"/lib/modules/kcache/{kunit,stress,bench,test}
	cp /bin/busybox "$r/bin/busybox"
	ln -s busybox "$r/bin/sh"
	cp "$vm/init" "$r/init"
	cp "$vm/demo.sh" "$r/etc/demo.sh" 2>/dev/null
	echo "$kind" > "$r/etc/kcache-kind"
	cp "$moddir"/kcache.ko "$moddir"/kcache_sample.ko "$r/lib/modules/kcache/"
	[ -f "$moddir/kcache_test.ko" ] && cp "$moddir/kcache_test.ko" "$r/lib/modules/kcache/kunit/"
	for ko in "$moddir"/kcache_stress*.ko; do
		[ -f "$ko" ] && cp "$ko" "$r/lib/modules/kcache/stress/"
	done
	[ -f "$moddir/kcache_kbench.ko" ] && cp "$moddir/kcache_kbench.ko" "$r/lib/modules/kcache/bench/"
	# driven by kcache_lease_test (insmod and rmmod of its own)
	[ -f "$moddir/kcache_kload.ko" ] && cp "$moddir/kcache_kload.ko" "$r/lib/modules/kcache/test/"
	kunit_suites > "$r/etc/kunit-suites"
	for t in "$top"/selftests/kcache_*_test; do
		[ -x "$t" ] && cp "$t" "$r/tests/"
	done
	# in-guest shell tests (TAP), e.g. the trace events
	for t in "$vm"/kcache_*_test.sh; do
		[ -x "$t" ] && cp "$t" "$r/tests/$(basename "$t" .sh)"
	done
	cp "$top/userlib/kcachectl" "$r/bin/"
	# for kcache_cli_test's check that every command is completed and documented
	mkdir -p "$r/bin/man"
	cp "$top/userlib/kcachectl.bash-completion" "$r/bin/"
	cp "$top/userlib/man/kcachectl.8" "$r/bin/man/"
	[ -x "$top/selftests/bench/kcache_insns" ] && cp "$top/selftests/bench/kcache_insns" "$r/bin/"
	for b in "$top"/selftests/bench/kcache_bench*; do
		[ -x "$b" ] && cp "$b" "$r/bench/"
	done
	# host programs a test needs (selftests/vm/guest-bins), with their shared libraries
	local b lib
	for b in $(grep -v '^#' "$vm/guest-bins" 2>/dev/null); do
		case $b in
		\?*) b=${b#\?}; [ -x "$b" ] || continue ;;	# optional: bench only
		esac
		[ -x "$b" ] || die "guest-bins: $b missing (scripts/deps.sh should install it)"
		mkdir -p "$r$(dirname "$b")"
		cp -L "$b" "$r$b"
		for lib in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*'); do
			mkdir -p "$r$(dirname "$lib")"
			cp -L "$lib" "$r$lib"
		done
	done
	(cd "$r" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$out"
	rm -rf "$r"
}

kunit_suites() {
	grep -ho '\.name = "kcache_[a-z0-9_]*"' "$top"/selftests/kunit/*.c 2>/dev/null |
		sed 's/.*"\(.*\)"/\1/' | sort -u
}

# run_vm KERNEL INITRD LOG CMDLINE...: 0 iff the guest reported pass through isa-debug-exit
run_vm() {
	local kernel=$1 initrd=$2 log=$3 acc qrc t0
	shift 3
	local accel=tcg
	if [ "${KCACHE_KVM:-0}" = 1 ]; then
		accel=kvm
		acc=(-enable-kvm -cpu host)
	else
		acc=(-accel tcg -cpu max)
	fi
	t0=$(date +%s)
	timeout --foreground "$timeout_s" qemu-system-x86_64 "${acc[@]}" -m 2G -smp "${vm_smp:-2}" \
		-nographic -no-reboot -nic none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$kernel" -initrd "$initrd" ${vm_qemu_args:-} \
		-append "console=ttyS0 no5lvl panic=-1 panic_on_warn=1 oops=panic loglevel=7 log_buf_len=4M KCACHE_ACCEL=$accel ${vm_append:-}$*" \
		</dev/null >"$log" 2>&1
	qrc=$?
	echo "   qemu exit $qrc after $(($(date +%s) - t0)) s (log: $log)"
	# The guest kernel itself can die while booting under TCG, before /init ran and so
	# before our module was loaded (seen once: an int3 of a static-key patch on 6.12).
	# Not a result of ours: keep that log, say so, and boot once more.
	if [ -z "${run_vm_retried:-}" ] && ! grep -aq '^KCBOOT ' "$log"; then
		echo "   the guest kernel died before /init ran (no KCBOOT line): booting again"
		grep -aE "$splat_re" "$log" | head -3 | sed 's/^/     /'
		mv "$log" "$log.preinit"
		run_vm_retried=1 run_vm "$kernel" "$initrd" "$log" "$@"
		return
	fi
	[ $qrc = 124 ] && echo "   guest TIMEOUT after $timeout_s s"
	[ $qrc = 1 ] && [ "$(tr -d '\r' < "$log" | grep -a '^KCACHE-RESULT:' | tail -1)" = "KCACHE-RESULT: PASS" ]
}

# judge KIND LOG VMOK: fold a boot's log into the results; 0 iff everything passed
judge() {
	local kind=$1 log=$2 vmok=$3 ok=0 s line plan ran failed rc
	local expected=
	[ "${4:-check}" = check ] && [ -z "${judge_expect:-}" ] && expected=$(for t in "$top"/selftests/kcache_*_test; do [ -x "$t" ] && basename "$t"; done
		for t in "$vm"/kcache_*_test.sh; do [ -x "$t" ] && basename "$t" .sh; done
		for ko in "$B/$kind"/kcache_stress*.ko; do [ -f "$ko" ] && basename "$ko" .ko; done
		[ "$kind" = debug ] && kunit_suites)
	[ -n "${judge_expect:-}" ] && expected=$judge_expect
	tr -d '\r' < "$log" | grep -a '^KCRESULT ' | sed "s/^KCRESULT /$kind /" >> "$results"
	for s in $expected; do
		line=$(tr -d '\r' < "$log" | grep -a "^KCSUITE $s " | tail -1)
		if [ -z "$line" ]; then
			echo "   $kind $s: MISSING"
			echo "$kind $s missing FAIL" >> "$results"
			ok=1
			continue
		fi
		plan=$(echo "$line" | sed 's/.*plan=\(-*[0-9]*\).*/\1/')
		ran=$(echo "$line" | sed 's/.*ran=\([0-9]*\).*/\1/')
		failed=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
		rc=$(echo "$line" | sed 's/.*rc=\([0-9]*\).*/\1/')
		printf '   %-6s %-28s %3d run, %3d failed%s\n' "$kind" "$s" "$ran" "$failed" \
			"$([ "$plan" != "$ran" ] && echo ", plan $plan: INCOMPLETE")"
		if [ "$plan" != "$ran" ] || [ "$ran" = 0 ] || [ "$rc" != 0 ]; then
			echo "$kind $s incomplete_or_rc FAIL" >> "$results"
			ok=1
		fi
	done
	if grep -aEq "$splat_re" "$log"; then
		echo "   $kind: kernel splat in the log:"
		grep -aE "$splat_re" "$log" | head -20 | sed 's/^/     /'
		vmok=1
	fi
	if [ "$vmok" = 0 ]; then
		echo "$kind vm clean_boot_and_verdict PASS" >> "$results"
	else
		echo "$kind vm clean_boot_and_verdict FAIL" >> "$results"
		grep -a '^KCFAIL' "$log" | sed 's/^/     /'
		ok=1
	fi
	[ $ok = 0 ] || echo "$kind $log" >> "$B/failed-logs"
	return $ok
}

run_kind() {
	local kind=$1 kdir kernel vmok=0 dbg kver
	case $kind in
	stock | bpo | rt)
		read -r kver kernel kdir <<< "$(kernel_of "$kind")"
		;;
	debug)
		dbg=$("$top/scripts/debug-kernel.sh") || die "debug kernel build failed"
		kdir=$dbg/build
		kernel=$dbg/bzImage
		;;
	esac
	echo "$kind $(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")" \
		>> "$B/kernels.txt"
	note "$kind kernel: building modules"
	build_modules "$kind" "$kdir"
	mkinitramfs "$B/$kind.cpio.gz" "$B/$kind" "$kind"
	note "$kind kernel: booting $(basename "$(readlink -f "$kernel")") (${KCACHE_KVM:+kvm}${KCACHE_KVM:-tcg})"
	# Two NUMA nodes, a socket and half the memory each, so that what is per node (the
	# shrinker's tokens, list_lru's lists) is tested where there is more than one. One
	# socket per node: the kernel warns of a cache shared across nodes otherwise.
	# shellcheck disable=SC2046 # the kernel hands these to init as environment
	vm_smp=2,sockets=2,cores=1,threads=1 vm_qemu_args="$numa_nodes" \
	run_vm "$kernel" "$B/$kind.cpio.gz" "$B/$kind.log" kctest_mode="${2:-check}" ${KCACHE_ONLY:+kctest_only=$KCACHE_ONLY} \
		${KCACHE_BIG:+kctest_big=$KCACHE_BIG} \
		$(env | grep -E '^KCACHE_FUZZ_(SEED|CALLS)=(0x)?[0-9a-fA-F]+$') || vmok=1
	judge "$kind" "$B/$kind.log" "$vmok" "${2:-check}"
}

numa_nodes="-object memory-backend-ram,id=m0,size=1G -numa node,nodeid=0,cpus=0,memdev=m0
	-object memory-backend-ram,id=m1,size=1G -numa node,nodeid=1,cpus=1,memdev=m1"

# A node whose memory is all movable has no slab (hotplugged memory onlined movable, CXL):
# one more boot of the stock kernel's initramfs, with a third node whose only memory is a
# DIMM onlined movable, for kcache_shrinker_test alone, which fails there rather than skip.
run_movable() {
	local kver kernel kdir vmok=0
	read -r kver kernel kdir <<< "$(kernel_of stock)"
	[ -f "$B/stock.cpio.gz" ] || die "movable: the stock kernel's initramfs is not built"
	echo "movable $kver" >> "$B/kernels.txt"
	note "stock kernel, a node of movable memory only: kcache_shrinker_test"
	vm_smp=2,sockets=2,cores=1,threads=1 vm_qemu_args="$numa_nodes -m slots=2,maxmem=3G
		-numa node,nodeid=2 -object memory-backend-ram,id=d2,size=512M
		-device pc-dimm,id=dimm2,memdev=d2,node=2" \
	vm_append="memhp_default_state=online_movable " \
	run_vm "$kernel" "$B/stock.cpio.gz" "$B/movable.log" kctest_mode=check \
		kctest_only=kcache_shrinker_test KCACHE_MOVABLE_NODE=1 || vmok=1
	judge_expect=kcache_shrinker_test judge movable "$B/movable.log" "$vmok" check
}

# Does KCACHE_ONLY (unset: every suite) name suite $1?
only_has() {
	[ -z "${KCACHE_ONLY:-}" ] || [[ ",$KCACHE_ONLY," == *",$1,"* ]]
}

# The harness must fail when the module is broken: one boot per injected bug, each of
# which must end in a failed verdict that names the bug.
run_harness() {
	local dbg n sig log vmok
	dbg=$("$top/scripts/debug-kernel.sh") || die "debug kernel build failed"
	note "harness: building the deliberately broken module (KCACHE_SELFTEST_BUG)"
	build_modules debug-bug "$dbg/build" KCACHE_SELFTEST_BUG=y
	mkinitramfs "$B/debug-bug.cpio.gz" "$B/debug-bug" debug
	for n in ${KCACHE_HARNESS_BUGS:-1 2 3 4}; do
		case $n in
		1) sig='BUG: KASAN: .*use-after-free' ;;
		2) sig='possible circular locking dependency' ;;
		3) sig='BUG: sleeping function called from invalid context' ;;
		4) sig='unreferenced object' ;;
		esac
		log=$B/harness-bug$n.log
		note "harness: bug $n, expecting a failed run with '$sig'"
		vmok=0
		run_vm "$dbg/bzImage" "$B/debug-bug.cpio.gz" "$log" kctest_mode=none kctest_bug=$n ||
			vmok=1
		if [ $vmok = 1 ] && grep -aEq "$sig" "$log" && ! grep -aq '^KCACHE-RESULT: PASS' "$log"; then
			echo "harness detects_bug_$n PASS" >> "$results"
			echo "   detected"
		else
			echo "harness detects_bug_$n FAIL" >> "$results"
			echo "harness $log" >> "$B/failed-logs"
			echo "   NOT detected: the harness would let this bug through"
		fi
	done
}

# run_host NAME CMD...: a host-side TAP program (selftests/pkg/); its cases go into the
# results as "NAME case PASS|FAIL", and an incomplete plan or a non-zero exit fails it.
run_host() {
	local name=$1 log=$B/$1.log rc plan ran
	shift
	note "$name: $*"
	"$@" > "$log" 2>&1
	rc=$?
	sed 's/^/   /' "$log" | grep -E '^   (not )?ok |^   #' | grep -v '^   # *$'
	awk -v k="$name" '/^ok [0-9]+ / { sub(/^ok [0-9]+ (- )?/, ""); gsub(/ /, "_"); print k, $0, "PASS" }
		/^not ok [0-9]+ / { sub(/^not ok [0-9]+ (- )?/, ""); gsub(/ /, "_"); print k, $0, "FAIL" }' \
		"$log" | sed 's/_#_SKIP.* PASS$/ SKIP/' >> "$results"
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | head -1)
	ran=$(grep -cE '^(not )?ok [0-9]+' "$log")
	if [ "$rc" != 0 ] || [ -z "$plan" ] || [ "$plan" != "$ran" ]; then
		echo "$name run exit_${rc}_plan_${plan:-none}_ran_$ran FAIL" >> "$results"
		echo "$name $log" >> "$B/failed-logs"
		tail -20 "$log" | sed 's/^/     /'
	fi
}

# host-side tests against every stock kernel's headers
run_dkms() {
	local args=() k kver kernel kdir
	while read -r k kver kernel kdir; do
		args+=("$kver=$kdir")
	done < <("$top/scripts/kernels.sh" list)
	run_host dkms "$top/selftests/pkg/dkms_test.sh" "$B/dkms" "${args[@]}"
}

run_install() {
	local kver kernel kdir
	read -r kver kernel kdir <<< "$(kernel_of stock)"
	run_host install "$top/selftests/pkg/install_test.sh" "$B/install" "$kdir"
}

# bench: build once, boot KCACHE_BENCH_BOOTS times (default 1). build/bench.txt gets every
# "ratio NAME VALUE" line as the median over the boots with its spread, then the tables of
# the last boot; build/bench-data.txt the plot points; scripts/bench-plot.sh the PNGs.
run_bench() {
	local boots=${KCACHE_BENCH_BOOTS:-1} i log vmok ok=0 raw=$B/bench-ratios.txt
	local stock_kver kernel kdir
	read -r stock_kver kernel kdir <<< "$(kernel_of stock)"
	[ -n "$stock_kver" ] || die "no stock kernel (scripts/kernels.sh)"
	note "stock kernel: building modules"
	build_modules stock "$kdir"
	mkinitramfs "$B/stock.cpio.gz" "$B/stock" stock
	: > "$raw"
	: > "$B/bench-data.txt"
	for i in $(seq 1 "$boots"); do
		log=$B/bench-$i.log
		note "bench: boot $i of $boots"
		vmok=0
		# shellcheck disable=SC2046 # the kernel hands these to init as environment
		run_vm "$kernel" "$B/stock.cpio.gz" "$log" kctest_mode=bench \
			$(env | grep -E '^KCACHE_(BENCH_[A-Z]+|MEMCACHED)=[0-9,]+$') || vmok=1
		judge stock "$log" "$vmok" bench || ok=1
		# userspace lines start with "ratio", the module's with "[time] kcache_kbench: ratio"
		tr -d '\r' < "$log" | grep -aE '^(\[[ 0-9.]*\] )?([a-z_]+: )?ratio ' |
			sed -E 's/^(\[[ 0-9.]*\] )?([a-z_]+: )?ratio ([^ ]+) (-?[0-9.]+).*/\3 \4/' |
			sed "s/^/$i /" >> "$raw"
		tr -d '\r' < "$log" | grep -a '^data ' | sed "s/^data /$i /" >> "$B/bench-data.txt"
		# the same main group on one CPU: maintenance can no longer hide on a spare one
		log=$B/bench-$i-smp1.log
		note "bench: boot $i of $boots, one CPU (main group)"
		vmok=0
		# shellcheck disable=SC2046
		vm_smp=1 run_vm "$kernel" "$B/stock.cpio.gz" "$log" kctest_mode=bench \
			KCACHE_BENCH_MAIN_ONLY=1 \
			$(env | grep -E '^KCACHE_(BENCH_[A-Z]+|MEMCACHED)=[0-9,]+$') || vmok=1
		judge stock "$log" "$vmok" bench || ok=1
		tr -d '\r' < "$log" | grep -aE '^ratio smp1_' |
			sed -E 's/^ratio ([^ ]+) (-?[0-9.]+).*/\1 \2/' | sed "s/^/$i /" >> "$raw"
	done
	{
		echo "# kcache bench: $(git -C "$top" describe --always --dirty 2>/dev/null)," \
			"$boots boot(s) of $stock_kver, ${KCACHE_KVM:+kvm}${KCACHE_KVM:-tcg}, $(date -u +%F)"
		echo "# ratio NAME MEDIAN-OVER-BOOTS  min MIN max MAX boots N  (each boot's value is"
		echo "# itself the median of paired repetitions; see build/bench-N.log)"
		awk '{ if (!($2 in n)) order[++k] = $2; v[$2, ++n[$2]] = $3 }
		     END {
			for (j = 1; j <= k; j++) {
				m = order[j]; c = n[m]
				for (a = 1; a <= c; a++) x[a] = v[m, a]
				for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++)
					if (x[b] < x[a]) { t = x[a]; x[a] = x[b]; x[b] = t }
				med = c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2
				printf "ratio %s %.3f  min %.3f max %.3f boots %d\n", m, med, x[1], x[c], c
			}
		     }' "$raw"
		echo
		echo "# output of boot $boots"
		tr -d '\r' < "$log" | grep -a 'kcache_kbench: ' | sed 's/^\[[ 0-9.]*\] //'
		tr -d '\r' < "$log" | sed -n '/^accel: /,/^note: ratios/p' | grep -av '^\[' |
			grep -av '^ratio \|^data '
	} > "$B/bench.txt"
	note "bench: $B/bench.txt"
	grep '^ratio ' "$B/bench.txt" | sed 's/^/   /'
	if command -v gnuplot >/dev/null; then
		"$top/scripts/bench-plot.sh" "$B" || echo "   bench-plot failed"
	else
		echo "   gnuplot not installed: no plots (KCACHE_DEPS_BENCH=1 scripts/deps.sh)"
	fi
	return $ok
}

# bench-insns: one boot of the stock kernel under the kcache_tbcount QEMU plugin, which
# counts the guest instructions of each phase of kcache_insns; scripts/insns-report.sh
# names them by function. Counts, unlike times, do not move with the host's load.
run_insns() {
	local stock_kver kernel kdir vmok=0 mark plugin=$B/kcache_tbcount.so log=$B/insns.log
	read -r stock_kver kernel kdir <<< "$(kernel_of stock)"
	[ -n "$stock_kver" ] || die "no stock kernel (scripts/kernels.sh)"
	cc -O2 -Wall -Wextra -Werror -Wno-unused-parameter -shared -fPIC -o "$plugin" \
		"$top/selftests/bench/tcg/kcache_tbcount.c" || die "kcache_tbcount build failed"
	mark=$(nm "$top/selftests/bench/kcache_insns" | awk '$3 == "ki_mark" { print "0x" $1 }')
	[ -n "$mark" ] || die "no ki_mark in kcache_insns"
	note "stock kernel: building modules"
	build_modules stock "$kdir"
	mkinitramfs "$B/stock.cpio.gz" "$B/stock" stock
	note "bench-insns: booting $stock_kver under the plugin"
	rm -f "$B/insns-tb.txt"
	# nokaslr: the kernel's addresses in the plugin's counts are those /proc/kallsyms names
	vm_qemu_args="-plugin $plugin,mark=$mark,out=$B/insns-tb.txt" vm_append="nokaslr " \
		run_vm "$kernel" "$B/stock.cpio.gz" "$log" kctest_mode=insns || vmok=1
	judge stock "$log" "$vmok" insns || return 1
	tr -d '\r' < "$log" | grep -aq '^insns-done ok' || { echo "   kcache_insns failed"; return 1; }
	"$top/scripts/insns-report.sh" "$log" "$B/insns-tb.txt" > "$B/insns.txt" ||
		die "insns-report failed"
	note "bench-insns: $B/insns.txt"
	grep '^insns ' "$B/insns.txt" | sed 's/^/   /'
}

# why: the lines of each failed run's log that say what failed, last, where a CI log's
# tail shows them (the whole logs stay in build/). An expectation's values follow it up
# to the next case line.
why() {
	local k log
	while read -r k log; do
		note "why $k failed, from $log"
		tr -d '\r' < "$log" | sed 's/^\[[ 0-9.]*\] //' |
			awk -v re="^KCFAIL|FAILED at|Expected |^ *not ok |^FAIL|$splat_re" '
			/^KCRESULT/ { next }
			$0 ~ re { print; more = /Expected / ? 6 : 0; next }
			more > 0 && !/^ *(# |ok |not ok )|^KC/ { print; more--; next }
			{ more = 0 }' | head -30 | sed 's/^/   /'
	done < "$B/failed-logs"
}

summary() {
	local pass fail skip k
	echo
	note "results"
	awk '{ k = $1 " " $2; n[k]++; if ($4 == "FAIL") f[k]++ }
	     END { for (k in n) printf "   %-36s %3d cases, %d failed\n", k, n[k], f[k] }' \
		"$results" | sort
	grep ' FAIL$' "$results" | sed 's/^/   FAILED: /'
	note "results per kernel (and host-side test)"
	for k in $(awk '{ print $1 }' "$results" | awk '!seen[$0]++'); do
		awk -v k="$k" -v rel="$(awk -v k="$k" '$1 == k { print $2 }' "$B/kernels.txt" 2>/dev/null)" \
			'$1 == k { n[$NF]++ }
			END { printf "   %-8s %-22s %d passed, %d failed, %d skipped\n", k, rel,
				n["PASS"], n["FAIL"], n["SKIP"] }' "$results"
	done
	echo "   time: $(($(date +%s) - t_start)) s"
	why
	pass=$(grep -c ' PASS$' "$results")
	fail=$(grep -c ' FAIL$' "$results")
	skip=$(grep -c ' SKIP$' "$results")
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
}

t_start=$(date +%s)
: > "$B/kernels.txt"
build_userspace
case $mode in
all)
	run_harness
	for k in stock bpo rt debug; do run_kind "$k"; done
	! only_has kcache_shrinker_test || run_movable
	run_dkms
	run_install
	;;
kernels) for k in stock bpo rt; do run_kind "$k"; done ;;
stock)
	run_kind stock
	! only_has kcache_shrinker_test || run_movable
	;;
bpo | rt | debug) run_kind "$mode" ;;
harness) run_harness ;;
dkms) run_dkms ;;
install) run_install ;;
demo)
	run_kind stock demo
	grep -a -A200 '^KCDEMO-BEGIN' "$B/stock.log" | grep -a -B200 '^KCDEMO-END' | tr -d '\r'
	;;
bench) run_bench ;;
insns) run_insns ;;
*) die "unknown mode $mode" ;;
esac
summary
