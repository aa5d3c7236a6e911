#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS, on the host (TAP): `make dkms-install` into a staging root, then `dkms add` and
# `dkms build` of those sources against each kernel's headers, in a private DKMS tree (the
# host's /var/lib/dkms and /lib/modules are not touched). Each build must produce a
# kcache.ko whose modinfo version is the tree's version and whose vermagic is the kernel's.
# usage: dkms_test.sh OUTDIR KERNELRELEASE=KDIR...
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
shift
n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; return 1; fi; }

echo "1..$((4 + 2 * $#))"
rm -rf "$out"
mkdir -p "$out/tree"
ver=$("$top/scripts/version.sh")
src=$out/root/usr/src/kcache-$ver
check dkms_install make -s -C "$top" dkms-install DESTDIR="$out/root"
# sources only: Kbuild, dkms.conf, VERSION, kmod/, uapi/; nothing of the tests
[ "$(cd "$src" 2>/dev/null && LC_ALL=C ls | tr '\n' ' ')" = "Kbuild VERSION dkms.conf kmod uapi " ]
check dkms_sources_only [ $? = 0 ]
check dkms_conf_version grep -qx "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf"
check dkms_add dkms add -m kcache -v "$ver" --sourcetree "$out/root/usr/src" --dkmstree "$out/tree"
for kk in "$@"; do
	kver=${kk%%=*}
	kdir=${kk#*=}
	dkms build -m kcache -v "$ver" -k "$kver" --sourcetree "$out/root/usr/src" \
		--dkmstree "$out/tree" --kernelsourcedir "$kdir" > "$out/build-$kver.log" 2>&1
	r=$?
	[ $r = 0 ] || { sed 's/^/# /' "$out/build-$kver.log" | tail -30;
		sed 's/^/# /' "$out/tree/kcache/$ver/build/make.log" 2>/dev/null | tail -30; }
	check "dkms_build_$kver" [ $r = 0 ]
	ko=$(find "$out/tree/kcache/$ver/$kver" -name 'kcache.ko*' 2>/dev/null | head -1)
	if [ -n "$ko" ] && [ "$(modinfo -F version "$ko")" = "$ver" ] &&
	   [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ]; then
		ok "dkms_module_${kver}_version_and_vermagic"
	else
		echo "# module: ${ko:-none}; version $(modinfo -F version "$ko" 2>/dev/null)," \
			"vermagic $(modinfo -F vermagic "$ko" 2>/dev/null)"
		notok "dkms_module_${kver}_version_and_vermagic"
	fi
done
