#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install, on the host (TAP): install into a DESTDIR with the default PREFIX and with
# PREFIX=/usr, check that every product file is there and nothing of the tests, then build
# selftests/pkg/consumer.c with only `pkg-config --cflags --libs libkcache` (pointed at the
# DESTDIR by PKG_CONFIG_SYSROOT_DIR) and run it against the installed libkcache.so.1.
# usage: install_test.sh OUTDIR KDIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
kdir=$2
n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; return 1; fi; }

kver=$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
ver=$("$top/scripts/version.sh")
rm -rf "$out"
mkdir -p "$out"
echo "1..18"

# one install: PREFIX_NAME PREFIX
install_into() {
	local tag=$1 prefix=$2 d=$out/$1 f missing=
	local want=("lib/modules/$kver/updates/kcache.ko" "$prefix/lib/libkcache.so.1"
		"$prefix/lib/libkcache.so" "$prefix/lib/libkcache.a" "$prefix/include/kcache.h"
		"$prefix/include/linux/kcache.h" "$prefix/lib/pkgconfig/libkcache.pc"
		"$prefix/sbin/kcachectl" "$prefix/share/man/man8/kcachectl.8"
		"$prefix/share/bash-completion/completions/kcachectl")
	for f in "$top"/userlib/man/*.3; do want+=("$prefix/share/man/man3/$(basename "$f")"); done
	[ -f "$top/udev/60-kcache.rules" ] && want+=("usr/lib/udev/rules.d/60-kcache.rules")

	make -s -C "$top" install DESTDIR="$d" PREFIX="$prefix" KDIR="$kdir" > "$out/$tag.log" 2>&1
	check "${tag}_make_install" [ $? = 0 ] || sed 's/^/# /' "$out/$tag.log" | tail -20
	for f in "${want[@]}"; do
		[ -e "$d/${f#/}" ] || missing="$missing ${f#/}"
	done
	[ -z "$missing" ] || echo "# missing:$missing"
	check "${tag}_product_files_installed" [ -z "$missing" ]
	# test and measurement code stays out: no module but kcache.ko, no test program
	f=$(cd "$d" && find . -name '*.ko*' ! -name 'kcache.ko' -o -name '*_test' -o \
		-name '*bench*' -o -name '*stress*' -o -name '*sample*')
	[ -z "$f" ] || echo "# test files installed: $f"
	check "${tag}_nothing_of_the_tests" [ -z "$f" ]
	check "${tag}_module_version" [ "$(modinfo -F version "$d/lib/modules/$kver/updates/kcache.ko")" = "$ver" ]

	local pc=(env PKG_CONFIG_SYSROOT_DIR="$d" PKG_CONFIG_LIBDIR="$d$prefix/lib/pkgconfig"
		  PKG_CONFIG_PATH= pkg-config)
	check "${tag}_pkgconfig_version" [ "$("${pc[@]}" --modversion libkcache)" = "$ver" ]
	local flags
	flags=$("${pc[@]}" --cflags --libs libkcache)
	echo "# $tag: pkg-config --cflags --libs libkcache: $flags"
	# shellcheck disable=SC2086
	cc -Wall -Wextra -Werror -o "$out/consumer-$tag" "$top/selftests/pkg/consumer.c" $flags \
		> "$out/$tag-cc.log" 2>&1
	check "${tag}_consumer_builds_with_pkgconfig_only" [ $? = 0 ] ||
		sed 's/^/# /' "$out/$tag-cc.log" | tail -10
	# it must load the installed library, not some other libkcache.so.1
	local lib
	lib=$(LD_LIBRARY_PATH="$d$prefix/lib" ldd "$out/consumer-$tag" 2>/dev/null |
		awk '/libkcache.so.1/ { print $3 }')
	echo "# $tag: libkcache.so.1 => ${lib:-not found}"
	check "${tag}_consumer_links_installed_library" [ "$lib" = "$d$prefix/lib/libkcache.so.1" ]
	LD_LIBRARY_PATH="$d$prefix/lib" "$out/consumer-$tag" | sed 's/^/# /'
	check "${tag}_consumer_runs" [ "${PIPESTATUS[0]}" = 0 ]
}

install_into default /usr/local
install_into usr /usr
check kcachectl_version [ "$("$out/default/usr/local/sbin/kcachectl" --version)" = "kcachectl $ver" ]
check no_depmod_in_destdir [ ! -e "$out/default/lib/modules/$kver/modules.dep" ]
