#!/bin/bash
# Install what synwall needs to build, test and benchmark on Debian 12.
# Checks each requirement first and installs only the missing packages,
# saying which.  Needs root (or sudo) only when something is missing.
set -euo pipefail

need=()
check() { # check PACKAGE TEST...
	local pkg=$1; shift
	if ! "$@" >/dev/null 2>&1; then need+=("$pkg"); fi
}
has() { command -v "$1"; }
hdr() { test -e "/usr/include/$1"; }

check clang           has clang
check llvm            has llvm-strip
check gcc             has gcc
check make            has make
check pkg-config      has pkg-config
check libbpf-dev      hdr bpf/libbpf.h
check libxdp-dev      hdr xdp/libxdp.h
# the loader's key derivation (HKDF-SHA256): OpenSSL 3's libcrypto
check libssl-dev      hdr openssl/kdf.h
check libelf-dev      hdr libelf.h
check zlib1g-dev      hdr zlib.h
check bpftool         has bpftool
check iproute2        has ip
check xdp-tools       has xdp-loader
check netsniff-ng     has trafgen
check tcpdump         has tcpdump
check nftables        has nft
check python3-scapy   /usr/bin/python3 -c 'import scapy.all'
check ethtool         has ethtool
# libFuzzer's runtime (make fuzz): clang only recommends it
check libclang-rt-14-dev test -e "$(clang --print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-$(uname -m).a"
check procps          has sysctl
# the VM lab (make vmtest): qemu, a static busybox for the initramfs,
# depmod/modprobe for the kernel packages' modules, xz for their .ko.xz
check qemu-system-x86 has qemu-system-x86_64
check busybox-static  dpkg -s busybox-static
check kmod            has depmod
check xz-utils        has xz
check iproute2        has nstat
check util-linux      has nsenter
check linux-libc-dev  hdr linux/bpf.h
# clang -target bpf needs <asm/types.h> from the multiarch include dir
check libc6-dev       hdr "$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/asm/types.h"

if [ ${#need[@]} -eq 0 ]; then
	echo "deps: all build and test dependencies present"
	exit 0
fi
echo "deps: installing missing packages: ${need[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
echo "deps: installed ${need[*]}"
