#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kcache's version, the one source for MODULE_VERSION, dkms.conf, libkcache.pc and
# kcachectl --version. In a git checkout of kcache: `git describe` of the newest vX.Y.Z tag
# (a tagged commit gives X.Y.Z), or, with no tag yet, VERSION plus the commit (X.Y.Z+gSHA);
# either gets ".dirty" for uncommitted changes. Elsewhere (a tarball, the DKMS tree): the
# VERSION file, which `make dist` and `make dkms-install` write with the full version.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
base=$(cat "$top/VERSION")
# only kcache's own repository counts, not one that a tarball was unpacked inside
if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" != "$top" ]; then
	echo "$base"
	exit 0
fi
dirty=
git -C "$top" update-index -q --refresh >/dev/null 2>&1 || true
git -C "$top" diff-index --quiet HEAD -- 2>/dev/null || dirty=.dirty
if d=$(git -C "$top" describe --tags --match 'v[0-9]*' 2>/dev/null); then
	# v1.2.0 -> 1.2.0; v1.2.0-3-gabc -> 1.2.0+3.gabc
	d=${d#v}
	case $d in
	*-*-g*) d=$(echo "$d" | sed 's/-\([0-9]*\)-g\([0-9a-f]*\)$/+\1.g\2/') ;;
	esac
	echo "$d$dirty"
else
	echo "$base+g$(git -C "$top" rev-parse --short=12 HEAD)$dirty"
fi
