#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) the debug kernel from linux-source-6.1 and print the directory that holds
# its bzImage and the headers tree that out-of-tree module builds need.
# The result is cached outside the clone, keyed by the config fragment and this script.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
frag=$top/selftests/vm/debug.config
src_tar=/usr/src/linux-source-6.1.tar.xz
cache=${KCACHE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kcache}
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
# bump when the build steps below change what ends up in the cache
recipe=1
key=$( (cat "$frag" "$top/scripts/prune-headers.sh"; echo "$recipe") | sha256sum | cut -c1-12)-$srcver
out=$cache/debug-$key

if [ -f "$out/bzImage" ] && [ -f "$out/build/Module.symvers" ]; then
	echo "$out"
	exit 0
fi

[ "${1:-}" = --cached-only ] && exit 1
mkdir -p "$cache"
work=$(mktemp -d "$cache/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$cache/debug-build.log
echo "debug-kernel: building into $out (log: $log, ~10-20 min)" >&2
{
	tar -C "$work" -xf "$src_tar"
	src=$(echo "$work"/linux-source-6.1)
	obj=$work/obj
	mkdir -p "$obj"
	make -C "$src" O="$obj" -s x86_64_defconfig
	make -C "$src" O="$obj" -s kvm_guest.config
	"$src"/scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "$frag"
	make -C "$src" O="$obj" -s olddefconfig
	# every option of the fragment must survive olddefconfig, or the guest lacks a check
	while read -r l; do
		case "$l" in
		CONFIG_*) grep -qxF "$l" "$obj/.config" || { echo "missing: $l"; exit 1; } ;;
		esac
	done < "$frag"
	make -C "$src" O="$obj" -s -j"$(nproc)" bzImage modules
	staging=$out.tmp
	rm -rf "$staging"
	mkdir -p "$staging"
	"$top"/scripts/prune-headers.sh "$src" "$obj" "$staging/build"
	cp "$obj/arch/x86/boot/bzImage" "$staging/bzImage"
	make -C "$src" O="$obj" -s kernelrelease > "$staging/kernelrelease"
	rm -rf "$out"
	mv "$staging" "$out"
} > "$log" 2>&1 || { echo "debug-kernel: build failed, see $log" >&2; tail -30 "$log" >&2; exit 1; }
echo "$out"
