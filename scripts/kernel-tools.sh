#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Extract (once) the kernel's own tools kcache uses from linux-source-6.1: checkpatch.pl and
# its data files, kernel-doc, and the kselftest harness headers. Prints the directory
# holding them.
set -euo pipefail
cache=${KCACHE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kcache}
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
out=$cache/tools-$ver
files=(
	scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	scripts/kernel-doc
	tools/testing/selftests/kselftest_harness.h tools/testing/selftests/kselftest.h
)
# a tool added to the list later is extracted into a cache made before it
missing=0
for f in "${files[@]}"; do [ -e "$out/$f" ] || missing=1; done
if [ ! -f "$out/.done" ] || [ "$missing" = 1 ]; then
	mkdir -p "$out"
	tar -C "$out" --strip-components=1 -xf /usr/src/linux-source-6.1.tar.xz \
		"${files[@]/#/linux-source-6.1/}"
	touch "$out/.done"
fi
echo "$out"
