#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make htmldocs: render Documentation/ with Sphinx (Debian's python3-sphinx) and the
# kernel's kernel-doc (scripts/kernel-doc and Documentation/sphinx/kerneldoc.py from
# linux-source-6.1, extracted once into the cache). Output: build/htmldocs/index.html.
# KCACHE_DOCS_STRICT=1 makes warnings (a broken kernel-doc comment, say) errors.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KCACHE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kcache}
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
kd=$cache/kerneldoc-$ver
if [ ! -f "$kd/.done" ]; then
	mkdir -p "$kd"
	tar -C "$kd" --strip-components=1 -xf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts/kernel-doc \
		linux-source-6.1/Documentation/sphinx/kerneldoc.py \
		linux-source-6.1/Documentation/sphinx/kernellog.py
	touch "$kd/.done"
fi
out=$top/build/htmldocs
strict=
[ "${KCACHE_DOCS_STRICT:-0}" = 1 ] && strict="-W --keep-going"
rm -rf "$out" "$top/build/doctrees"
# shellcheck disable=SC2086
KCACHE_KERNELDOC=$kd KCACHE_VERSION=$("$top/scripts/version.sh") \
	sphinx-build -q $strict -b html -d "$top/build/doctrees" "$top/Documentation" "$out"
echo "htmldocs: $out/index.html"
