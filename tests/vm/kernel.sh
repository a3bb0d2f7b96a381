#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Fetch one of Debian's kernel packages and make it bootable by the VM lab.
#
#   tests/vm/kernel.sh SERIES     SERIES: 6.12 | 6.1
#
# Picks the newest linux-image-*-amd64-unsigned of that series that apt
# knows, downloads it with apt-get (cached in build/vm/debs/), unpacks it
# into build/vm/kernel-SERIES/ and runs depmod there.  Prints the directory
# on stdout: it holds vmlinuz, the modules tree lib/modules/VERSION/ and a
# file "version" with the kernel release.
set -euo pipefail
cd "$(dirname "$0")/../.."

series=${1:?usage: tests/vm/kernel.sh SERIES (6.12 or 6.1)}
case "$series" in
6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
6.1) pattern='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
*) echo "vm: unknown kernel series '$series' (known: 6.12 6.1)" >&2; exit 2 ;;
esac

debs=build/vm/debs
out=build/vm/kernel-$series
mkdir -p "$debs"

# The newest package of the series that the apt lists know.
pick() { apt-cache pkgnames linux-image- 2>/dev/null | grep -E "$pattern" | sort -V | tail -1; }
pkg=$(pick)
if [ -z "$pkg" ]; then
	apt-get update -qq >&2 || true
	pkg=$(pick)
fi
[ -n "$pkg" ] || { echo "vm: apt knows no package matching $pattern (is bookworm-security in sources.list?)" >&2; exit 1; }

# Kernel release = package name without the prefix and the -unsigned suffix.
release=${pkg#linux-image-}
release=${release%-unsigned}
if [ -f "$out/version" ] && [ "$(cat "$out/version")" = "$release" ]; then
	echo "$out"
	exit 0
fi

deb=$(ls "$debs"/"${pkg}"_*.deb 2>/dev/null | tail -1 || true)
if [ -z "$deb" ]; then
	echo "vm: downloading $pkg" >&2
	(cd "$debs" && apt-get download -q "$pkg" >&2)
	deb=$(ls "$debs"/"${pkg}"_*.deb | tail -1)
fi

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
dpkg-deb -x "$deb" "$out.tmp/root"
mv "$out.tmp/root/boot/vmlinuz-$release" "$out.tmp/vmlinuz"
mv "$out.tmp/root/lib" "$out.tmp/lib"
rm -rf "$out.tmp/root"
# The package carries no modules.dep: make it, so modprobe works in the guest.
depmod -b "$out.tmp" "$release"
echo "$release" >"$out.tmp/version"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
