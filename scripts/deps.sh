#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install with apt-get what kcache's build, tests and benchmarks need, enable the backports
# suite (derived from the configured sources, scripts/backports.sh) and fetch the extra
# kernels of the test matrix into the cache (scripts/kernels.sh).
# Idempotent and quiet when everything is already there.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

pkgs=(
	build-essential bc flex bison libelf-dev libssl-dev cpio dwarves kmod
	rsync xz-utils gzip python3 perl
	qemu-system-x86 busybox-static sparse jq
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	dkms pkg-config
)
[ "${KCACHE_DEPS_BENCH:-0}" = 1 ] && pkgs+=(bpftool memcached gnuplot-nox)
[ "${KCACHE_DEPS_DOCS:-0}" = 1 ] && pkgs+=(python3-sphinx)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600)

updated=0
update() {
	[ $updated = 1 ] && return 0
	$sudo "${apt[@]}" update -qq
	updated=1
}

# the 6.12 kernel comes from CODENAME-backports, on the mirror of the configured sources
if [ "$($sudo "$top/scripts/backports.sh")" = added ]; then
	echo "deps: enabled the backports suite"
	update
fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	update
	$sudo "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# the extra kernels of the matrix (6.12, RT): a stale package list knows none or an old one
"$top/scripts/kernels.sh" fetch || { update && "$top/scripts/kernels.sh" fetch; }
