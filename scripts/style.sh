#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict (from linux-source-6.1) on every C file and header we own, then
# kernel-doc on the module and the uapi header.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tools=$("$top/scripts/kernel-tools.sh")
cd "$top"
kfiles=$(git ls-files 'kmod/*.[ch]' 'uapi/*.h' 'samples/*.[ch]' 'selftests/kunit/*.[ch]' \
	'selftests/torture/*.[ch]' 'selftests/kbench/*.[ch]' 'selftests/kload/*.[ch]' \
	'selftests/bug/*.[ch]')
ufiles=$(git ls-files 'userlib/*.[ch]' 'selftests/*.[ch]' 'selftests/*/*.[ch]' \
	'selftests/*/*/*.[ch]' | grep -Ev '^selftests/(kunit|torture|kbench|kload|bug)/')
files="$kfiles $ufiles"
# Userspace code has no u32/BIT()/ARRAY_SIZE() and uses the kselftest harness's macros
# (FIXTURE_DATA(x) *self, SKIP(return, ...)); the kernel-only checks are skipped there.
# The policy's userspace shim defines kernel macros such as EXPORT_SYMBOL_NS_GPL.
uignore=PREFER_KERNEL_TYPES,CAMELCASE,ARRAY_SIZE,BIT_MACRO,MACRO_ARG_REUSE,SPACING
uignore=$uignore,MACRO_WITH_FLOW_CONTROL,PREFER_DEFINED_ATTRIBUTE_MACRO,EXPORT_SYMBOL
uignore=$uignore,EMBEDDED_FUNCTION_NAME,SPLIT_STRING,LONG_LINE_STRING
run_checkpatch() { perl "$tools/scripts/checkpatch.pl" --no-tree --strict --terse --show-types "$@"; }
# shellcheck disable=SC2086
# kcache-pkg: the compat header is where version checks belong; trace headers keep the
# layout of include/trace/events/ (TP_STRUCT__entry( ... on lines of their own).
kignore() {
	case $1 in
	kmod/kcache_compat.h) echo LINUX_VERSION_CODE,CONSTANT_COMPARISON ;;
	kmod/kcache_trace.h) echo OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT ;;
	esac
}
kfiles_plain=$(for f in $kfiles; do [ -z "$(kignore "$f")" ] && echo "$f"; done)
out=$( (run_checkpatch -f $kfiles_plain
	for f in $kfiles; do
		[ -n "$(kignore "$f")" ] && run_checkpatch --ignore "$(kignore "$f")" -f "$f"
	done
	run_checkpatch --ignore "$uignore" -f $ufiles) 2>&1 |
	grep -E 'ERROR|WARNING|CHECK' || true)
if [ -n "$out" ]; then
	echo "$out"
	echo "style: $(echo "$out" | wc -l) checkpatch findings"
	exit 1
fi
echo "style: checkpatch --strict clean on $(echo "$files" | wc -w) files"
# kernel-doc on every comment that opens with /** in the module and the uapi header
# shellcheck disable=SC2086
kd=$(perl "$tools/scripts/kernel-doc" -none $(git ls-files 'kmod/*.[ch]' 'uapi/*.h') 2>&1)
if [ -n "$kd" ]; then
	echo "$kd"
	echo "style: $(echo "$kd" | wc -l) kernel-doc findings"
	exit 1
fi
echo "style: kernel-doc clean"
