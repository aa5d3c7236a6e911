#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Enable CODENAME-backports (Debian 12: bookworm-backports) on the mirror the system already
# uses for CODENAME, never a mirror of our own choosing. Reads one-line sources
# (/etc/apt/sources.list, sources.list.d/*.list) and deb822 ones (sources.list.d/*.sources),
# and writes sources.list.d/kcache-backports.sources in deb822 form.
# Idempotent: exits 0 without a change (status "present") when any enabled source already
# names the backports suite; prints "added" when it wrote the file (the caller runs
# apt-get update). Exits 1 when no enabled source names CODENAME.
set -euo pipefail
codename=${KCACHE_CODENAME:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
[ -n "$codename" ] || { echo "backports: no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }
suite=$codename-backports
etc=${KCACHE_APT_ETC:-/etc/apt}
out=$etc/sources.list.d/kcache-backports.sources

shopt -s nullglob
lists=()
[ -f "$etc/sources.list" ] && lists+=("$etc/sources.list")
lists+=("$etc"/sources.list.d/*.list)
deb822=("$etc"/sources.list.d/*.sources)

# One-line format: "deb [opts] URI SUITE COMPONENT...", comments start with '#'.
# Prints "URI<TAB>SIGNED_BY" for each enabled line of the given suite.
oneline() {
	[ ${#lists[@]} -gt 0 ] || return 0
	awk -v want="$1" '
	{ sub(/#.*/, "") }
	$1 == "deb" {
		i = 2; opts = ""
		if ($2 ~ /^\[/) {
			while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } i++ }
		}
		uri = $i; s = $(i + 1)
		sb = ""
		if (match(opts, /signed-by=[^] ]+/)) sb = substr(opts, RSTART + 10, RLENGTH - 10)
		if (s == want) print uri "\t" sb
	}' "${lists[@]}"
}

# deb822: stanzas split by blank lines; fields Types, URIs, Suites, Enabled, Signed-By.
# A Signed-By that holds an inline key (continuation lines) is not copied: apt then uses
# its trusted keyrings, which hold Debian's archive keys.
deb822() {
	[ ${#deb822[@]} -gt 0 ] || return 0
	awk -v want="$1" '
	function flush() {
		if (types ~ /(^| )deb( |$)/ && enabled != "no") {
			n = split(suites, s, " ")
			for (j = 1; j <= n; j++) if (s[j] == want) {
				m = split(uris, u, " ")
				for (k = 1; k <= m; k++) print u[k] "\t" sb
			}
		}
		types = uris = suites = sb = enabled = ""; field = ""
	}
	FNR == 1 { flush() }
	/^[ \t]*#/ { next }
	/^[ \t]*$/ { flush(); next }
	/^[ \t]/ { if (field == "uris") uris = uris " " $0; else if (field == "suites") suites = suites " " $0
		   else if (field == "signed-by") sb = ""; next }
	{
		f = tolower(substr($0, 1, index($0, ":") - 1)); v = substr($0, index($0, ":") + 1)
		gsub(/^[ \t]+|[ \t]+$/, "", v); field = f
		if (f == "types") types = v
		else if (f == "uris") uris = v
		else if (f == "suites") suites = v
		else if (f == "enabled") enabled = tolower(v)
		else if (f == "signed-by") sb = v
	}
	END { flush() }' "${deb822[@]}" | sed 's/[ \t]\+\t/\t/; s/\t[ \t]\+/\t/'
}

if [ -n "$(oneline "$suite")$(deb822 "$suite")" ]; then
	echo present
	exit 0
fi
src=$( (oneline "$codename"; deb822 "$codename") | head -1)
[ -n "$src" ] || { echo "backports: no enabled apt source for $codename" >&2; exit 1; }
uri=${src%%$'\t'*}
sb=${src#*$'\t'}
{
	echo "# Written by kcache's scripts/backports.sh from the $codename source; delete to undo."
	echo "Types: deb"
	echo "URIs: $uri"
	echo "Suites: $suite"
	echo "Components: main"
	[ -n "$sb" ] && echo "Signed-By: $sb"
} > "$out.tmp"
mv "$out.tmp" "$out"
echo added
