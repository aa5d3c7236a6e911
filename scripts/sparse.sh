#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sparse (C=2: every file, even if up to date) on the module sources. usage: sparse.sh KDIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?KDIR}
d=$top/build/sparse
mkdir -p "$d/selftests"
"$top/selftests/policy/gen-expect.sh" >/dev/null
rsync -a --delete "$top/Kbuild" "$top/kmod" "$top/uapi" "$top/samples" "$d/"
rsync -a --delete "$top/selftests/policy" "$top/selftests/kunit" "$top/selftests/torture" \
	"$top/selftests/kbench" "$top/selftests/kload" "$top/selftests/bug" "$d/selftests/"
make -C "$kdir" M="$d" C=2 CF="-D__CHECK_ENDIAN__" KCACHE_TESTS=y modules > "$d/sparse.log" 2>&1 || {
	cat "$d/sparse.log"
	exit 1
}
if grep -E "^$d/.*(warning|error):" "$d/sparse.log"; then
	echo "sparse: findings above"
	exit 1
fi
echo "sparse: clean ($(grep -c '  CHECK ' "$d/sparse.log") files checked)"
