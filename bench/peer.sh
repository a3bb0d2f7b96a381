#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Build the peer XDP SYN proxy: the Linux kernel's BPF selftest
# tools/testing/selftests/bpf/progs/xdp_synproxy_kern.c, with the
# bpf_compiler.h it includes, taken from Debian's linux-source-6.12 package
# (installed with apt-get if missing) at bench time and built unchanged
# against this kernel's BTF (build/vmlinux.h).  The 6.1 copy of that file
# fails the verifier on kernels >= 6.7; 6.12's loads.  Nothing of it is ever
# copied into the repository: the extracted files and the object live in
# build/peer/.
#
#   bench/peer.sh            prints the object's path (builds it if needed)
#
# Its other includes (vmlinux.h, bpf/bpf_helpers.h, bpf/bpf_endian.h,
# asm/errno.h) come from build/ and the system (libbpf-dev, linux-libc-dev).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/peer
OBJ=$OUT/xdp_synproxy_kern.bpf.o
PKG=linux-source-6.12
TARBALL=/usr/src/$PKG.tar.xz
SRC=$PKG/tools/testing/selftests/bpf/progs

say() { echo "peer: $*" >&2; }

if [ ! -f "$TARBALL" ]; then
	say "installing $PKG (Debian package, for the selftest source)"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$PKG" >&2; then
		apt-get update -q >&2 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$PKG" >&2
	fi
fi
[ -f "$TARBALL" ] || { say "$TARBALL missing"; exit 1; }

mkdir -p "$OUT"
if [ ! -f "$OUT/$SRC/xdp_synproxy_kern.c" ] || [ "$TARBALL" -nt "$OUT/$SRC/xdp_synproxy_kern.c" ]; then
	say "extracting xdp_synproxy_kern.c and bpf_compiler.h from $TARBALL"
	tar -xJf "$TARBALL" -C "$OUT" --touch \
		"$SRC/xdp_synproxy_kern.c" "$SRC/bpf_compiler.h"
fi

if [ ! -f "$ROOT/build/vmlinux.h" ]; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$ROOT/build/vmlinux.h.tmp"
	mv "$ROOT/build/vmlinux.h.tmp" "$ROOT/build/vmlinux.h"
fi

if [ ! -f "$OBJ" ] || [ "$OUT/$SRC/xdp_synproxy_kern.c" -nt "$OBJ" ] ||
	[ "$ROOT/build/vmlinux.h" -nt "$OBJ" ]; then
	ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
	MA=$(gcc -print-multiarch 2>/dev/null || true)
	say "building $OBJ"
	clang -g -O2 -target bpf -D__TARGET_ARCH_"$ARCH" -Wno-compare-distinct-pointer-types \
		-I"$ROOT/build" -I"$OUT/$SRC" ${MA:+-I/usr/include/$MA} \
		-c "$OUT/$SRC/xdp_synproxy_kern.c" -o "$OBJ.tmp"
	mv "$OBJ.tmp" "$OBJ"
fi
echo "$OBJ"
