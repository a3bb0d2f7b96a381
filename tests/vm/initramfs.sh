#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Build the VM lab's initramfs for one unpacked kernel (tests/vm/kernel.sh).
#
#   tests/vm/initramfs.sh KDIR     writes KDIR/initramfs.cpio.gz
#
# It holds a static busybox, the modules needed to reach the host's root
# over 9p (virtio, 9p, overlay; decompressed, since busybox insmod cannot
# read .ko.xz) in insmod order, and tests/vm/init as /init.
set -euo pipefail
cd "$(dirname "$0")/../.."

kdir=${1:?usage: tests/vm/initramfs.sh KDIR}
release=$(cat "$kdir/version")
busybox=/bin/busybox # static: package busybox-static
[ -x "$busybox" ] || { echo "vm: $busybox not found (package busybox-static)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,mods,lower,rw,newroot}
cp "$busybox" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"

# insmod order: every dependency first, each module once
: >"$tmp/mods/order"
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -d "$kdir" -S "$release" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	name=$(basename "$ko")
	case "$name" in
	*.xz) xz -dc "$ko" >"$tmp/mods/${name%.xz}"; name=${name%.xz} ;;
	*) cp "$ko" "$tmp/mods/$name" ;;
	esac
	echo "$name" >>"$tmp/mods/order"
done
echo "$release" >"$tmp/release"
cp tests/vm/init "$tmp/init"
chmod +x "$tmp/init"
(cd "$tmp" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$kdir/initramfs.cpio.gz.tmp"
mv "$kdir/initramfs.cpio.gz.tmp" "$kdir/initramfs.cpio.gz"
