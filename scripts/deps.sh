#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install with apt-get what kcache's build, tests and benchmarks need.
# Idempotent and quiet when everything is already there.
set -euo pipefail

pkgs=(
	build-essential bc flex bison libelf-dev libssl-dev cpio dwarves kmod
	rsync xz-utils gzip python3 perl
	qemu-system-x86 busybox-static sparse jq
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
)
[ "${KCACHE_DEPS_BENCH:-0}" = 1 ] && pkgs+=(bpftool memcached gnuplot-nox)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
