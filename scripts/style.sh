#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict (from linux-source-6.1) on every C file and header we own.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tools=$("$top/scripts/kernel-tools.sh")
cd "$top"
files=$(git ls-files 'kmod/*.[ch]' 'uapi/*.h' 'userlib/*.[ch]' 'selftests/*.[ch]' \
	'selftests/policy/*.[ch]' 'selftests/bench/*.[ch]')
# Userspace shims must define the kernel's types for the policy's userspace build.
ignore=SPDX_LICENSE_TAG,FILE_PATH_CHANGES
out=$(perl "$tools/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	--ignore "$ignore" -f $files 2>&1 | grep -E 'ERROR|WARNING|CHECK' || true)
if [ -n "$out" ]; then
	echo "$out"
	echo "style: $(echo "$out" | wc -l) checkpatch findings"
	exit 1
fi
echo "style: checkpatch --strict clean on $(echo "$files" | wc -w) files"
