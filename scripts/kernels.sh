#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The stock kernels of kcache's test matrix, as Debian ships them.
#
#   kernels.sh fetch   download what is missing into the cache (idempotent; needs apt lists
#                      that include CODENAME-backports, see scripts/backports.sh)
#   kernels.sh list    one line per kernel: NAME KERNELRELEASE VMLINUZ KDIR
#
#   stock  Debian 12's 6.1: linux-image-amd64 and linux-headers-amd64 installed on the host
#          by scripts/deps.sh (as before the matrix)
#   bpo    6.12 from CODENAME-backports (linux-image-amd64's dependency in that suite)
#   rt     the PREEMPT_RT flavour of Debian 12's 6.1 (linux-image-rt-amd64, not backports),
#          so that it differs from "stock" in the preemption model only
#
# bpo and rt are never installed: their packages are fetched with apt-get download and
# unpacked with dpkg-deb into $cache/kernels/KERNELRELEASE_VERSION (the image's /boot only,
# and the headers, whose absolute include is pointed into the cache), so the host's /boot,
# /lib/modules and bootloader stay as they are.
set -euo pipefail
cache=${KCACHE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kcache}/kernels
codename=${KCACHE_CODENAME:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}

die() { echo "kernels: $*" >&2; exit 1; }

# meta_dep META SUITE_RE: the linux-image-* package that META's newest version in a suite
# matching SUITE_RE depends on, and that version: "PACKAGE VERSION"
meta_dep() {
	local meta=$1 re=$2 ver dep
	ver=$(apt-cache madison "$meta" | awk -F' [|] ' -v re="$re" '$3 ~ re { print $2; exit }' |
		tr -d ' ')
	[ -n "$ver" ] || return 1
	dep=$(apt-cache show "$meta=$ver" | sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' |
		head -1)
	[ -n "$dep" ] || return 1
	echo "$dep $ver"
}

# resolve NAME: "KERNELRELEASE IMAGE_PACKAGE VERSION" for an extra kernel of the matrix
resolve() {
	local r
	case $1 in
	bpo) r=$(meta_dep linux-image-amd64 " $codename-backports/") ;;
	rt) r=$(meta_dep linux-image-rt-amd64 " $codename(-security|-updates)?/") ;;
	*) die "unknown kernel $1" ;;
	esac || die "$1: no package in the apt lists (make deps enables $codename-backports)"
	set -- $r
	echo "${1#linux-image-} $1 $2"
}

stock_line() {
	local kver
	kver=$(basename "$(ls /boot/vmlinuz-*-amd64 2>/dev/null | grep -v -- '-rt-' | sort -V |
		tail -1)" | sed 's/^vmlinuz-//')
	[ -n "$kver" ] || die "no /boot/vmlinuz-*-amd64 (linux-image-amd64, make deps)"
	echo "stock $kver /boot/vmlinuz-$kver /lib/modules/$kver/build"
}

# deps_of PKG=VER: the linux-headers-*/linux-kbuild-* packages PKG needs, as PKG=VER
headers_deps() {
	apt-cache show "$1" | sed -n 's/^Depends: //p' | head -1 | tr ',' '\n' |
		sed -n 's/^ *\(linux-\(headers\|kbuild\)-[^ ]*\)\( (\([<>=]*\) \([^)]*\))\)\?.*/\1 \4 \5/p' |
		while read -r p op v; do
			# an exact version is pinned; ">=" takes the candidate
			if [ "$op" = "=" ]; then echo "$p=$v"; else echo "$p"; fi
		done
}

fetch_one() {
	local name=$1 kver pkg ver dir tmp p deb r
	r=$(resolve "$name") || exit 1
	read -r kver pkg ver <<< "$r"
	dir=$cache/${kver}_$ver
	[ -f "$dir/.done" ] && return 0
	echo "kernels: fetching $name ($pkg $ver) into $dir" >&2
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" RETURN
	local pkgs=("$pkg=$ver" "${pkg/linux-image-/linux-headers-}=$ver")
	pkgs+=($(headers_deps "${pkg/linux-image-/linux-headers-}=$ver"))
	# apt-get download writes into the working directory; as root it would drop to the
	# _apt user, who cannot enter a private $HOME
	local sandbox=()
	[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
	(cd "$tmp" && apt-get download -qq "${sandbox[@]}" "${pkgs[@]}") >&2 || die "apt-get download ${pkgs[*]}"
	mkdir -p "$tmp/root"
	for deb in "$tmp"/*.deb; do
		case $(basename "$deb") in
		linux-image-*) dpkg-deb --fsys-tarfile "$deb" | tar -C "$tmp/root" -x ./boot ;;
		*) dpkg-deb -x "$deb" "$tmp/root" ;;
		esac
		rm -f "$deb"
	done
	# the arch headers' Makefile includes the common headers by absolute path
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" \
		"$tmp/root/usr/src/linux-headers-$kver/Makefile"
	ln -s "root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
	ln -s "root/usr/src/linux-headers-$kver" "$tmp/build"
	echo "$kver" > "$tmp/kernelrelease"
	[ -f "$tmp/root/boot/vmlinuz-$kver" ] || die "$pkg has no /boot/vmlinuz-$kver"
	touch "$tmp/.done"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	trap - RETURN
	# older fetches of the same kernel are of no further use
	for p in "$cache/${kver}"_*; do
		[ "$p" = "$dir" ] || rm -rf "$p"
	done
}

list_one() {
	local name=$1 kver pkg ver dir r
	r=$(resolve "$name") || exit 1
	read -r kver pkg ver <<< "$r"
	dir=$cache/${kver}_$ver
	[ -f "$dir/.done" ] || die "$name kernel $kver ($ver) not fetched: run make deps"
	echo "$name $kver $dir/vmlinuz $dir/build"
}

case ${1:-} in
fetch) for k in bpo rt; do fetch_one "$k"; done ;;
list)
	stock_line
	for k in bpo rt; do list_one "$k"; done
	;;
*) die "usage: kernels.sh fetch|list" ;;
esac
