#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copy out of an O= kernel build what out-of-tree M= module builds need: the file list of
# scripts/package/builddeb's deploy_kernel_headers in 6.1.  usage: prune-headers.sh SRC OBJ DEST
set -euo pipefail
src=$(realpath "$1")
obj=$(realpath "$2")
dest=$3
rm -rf "$dest"
mkdir -p "$dest"
dest=$(realpath "$dest")
lists=$(mktemp -d)
trap 'rm -rf "$lists"' EXIT
(
	cd "$src"
	find . arch/x86 -maxdepth 1 -name 'Makefile*'
	find include scripts -type f -o -type l
	find arch/x86 -name Kbuild.platforms -o -name Platform
	find $(find arch/x86 -name include -o -name scripts -type d) -type f
) > "$lists/src"
(
	cd "$obj"
	if grep -q '^CONFIG_OBJTOOL=y' .config; then echo tools/objtool/objtool; fi
	find arch/x86/include Module.symvers include scripts -type f
	if grep -q '^CONFIG_GCC_PLUGINS=y' .config; then find scripts/gcc-plugins -name '*.so'; fi
) > "$lists/obj"
tar -c -f - -C "$src" -T "$lists/src" | tar -xf - -C "$dest"
tar -c -f - -C "$obj" -T "$lists/obj" | tar -xf - -C "$dest"
cp "$obj/.config" "$dest/.config"
