#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/variants.sh: where synwall's SYN path spends its time, by measuring
# variants of the XDP program that each leave one step out.  Not part of
# `make bench` (about a minute); run it alone, as root:
#
#   bench/variants.sh [CALLS] [RUNS]      (defaults 100000, 5)
#
# Each variant is a copy of bpf/ and include/synwall/cookie.h
# edited with sed into build/bench/variants/NAME/ and built with the
# Makefile's BPF flags; the sources in the repository are never touched.
# A variant is not a correct program (it answers with wrong cookies or
# checksums): only its cost means something.
#
#   as-is        build/synwall.bpf.o's source, unchanged
#   no-sk-lookup the SYN path skips its socket lookup (bpf_skc_lookup_tcp,
#                which falls back to a listener lookup when the 4-tuple has
#                no socket: the TIME_WAIT-reuse check)
#   no-mac       SipHash-2-4 replaced by one XOR (cookie MAC)
#   no-csum      the SYN-ACK's TCP checksum left at 0
#   no-host-check the SYN path without the "addressed to this host" check
#                (bpf/host.h: the device's MAC, its addresses, lo's, its
#                upper devices'): the cost of answering only what the
#                kernel would
#   fixed-clock  as-is, with the config's test clock (no bpf_ktime_get_tai_ns)
#
# Output: one line per variant and class, median ns per packet (test_run,
# repeat = 1, minus an empty program), and the difference to as-is.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "variants: needs root" >&2; exit 1; }
CALLS=${1:-100000}
RUNS=${2:-5}
V=build/bench/variants
ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# the Makefile's BPF_CFLAGS (first line: code generation and warnings)
FLAGS=$(sed -n 's/^BPF_CFLAGS *:= *//p' Makefile | sed 's/\\$//')
FLAGS=${FLAGS//\$(ARCH)/$ARCH}
[ -n "$FLAGS" ] || FLAGS="-g -O2 -target bpf -D__TARGET_ARCH_$ARCH"
make -s build/bench/bench_xdp >/dev/null

variant() { # NAME SED_ON_BPF_SOURCES SED_ON_COOKIE_H
	local d=$V/$1 f
	mkdir -p "$d/bpf" "$d/include/synwall"
	cp bpf/vmlinux.h "$d/bpf/"
	for f in bpf/*.c bpf/*.h; do
		[ "$f" = bpf/vmlinux.h ] || sed "$2" "$f" >"$d/$f"
	done
	cp include/synwall/abi.h "$d/include/synwall/"
	sed "$3" include/synwall/cookie.h >"$d/include/synwall/cookie.h"
	# shellcheck disable=SC2086
	clang $FLAGS -Wno-error -I"$d/include" -I"$d/bpf" -c "$d/bpf/synwall.bpf.c" -o "$d/synwall.bpf.o"
}

variant as-is '' ''
# a SYN skips the socket lookup (as if only a listener were found)
variant no-sk-lookup 's/sk = sw_socket_of(ctx, &p);/sk = (flags \& TCPF_SYN) ? SW_SK_LISTENER : sw_socket_of(ctx, \&p);/' ''
variant no-mac '' '/^static __always_inline __u64 sw_siphash/,/^{/{/^{/a\
	if (n) return m[0] ^ key->k0 ^ m[n - 1];
}'
variant no-csum 's/th->check = sw_csum_fold(sum);/th->check = 0; (void)sum;/' ''
# before "answer only what the kernel would" (point 1): no host check
variant no-host-check 's/switch (sw_for_host(ctx, &p)) {/switch (SW_HOST_OK) {/' ''

run() { # NAME [bench_xdp args]
	local n=$1
	shift
	build/bench/bench_xdp --csv --calls "$CALLS" --runs "$RUNS" --live-calls 0 \
		--only syn4,syn6,ack,badack "$@" | tail -n +2 | sed "s/^/$n,/"
}

{
	run as-is --obj $V/as-is/synwall.bpf.o
	run no-sk-lookup --obj $V/no-sk-lookup/synwall.bpf.o
	run no-mac --obj $V/no-mac/synwall.bpf.o
	run no-csum --obj $V/no-csum/synwall.bpf.o
	run no-host-check --obj $V/no-host-check/synwall.bpf.o
	run fixed-clock --obj $V/as-is/synwall.bpf.o --clock fixed
} >"$V/results.csv"

awk -F, '
	{ v[NR] = $1; c[NR] = $2; m[NR] = $4; if ($1 == "as-is") base[$2] = $4 }
	END {
		printf "%-14s %-26s %10s %10s\n", "variant", "class", "median ns", "vs as-is"
		for (i = 1; i <= NR; i++)
			printf "%-14s %-26s %10.1f %+10.1f\n", v[i], c[i], m[i], m[i] - base[c[i]]
	}' "$V/results.csv"
