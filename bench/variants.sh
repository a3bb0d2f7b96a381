#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/variants.sh: where synwall's SYN path spends its time, by measuring
# variants of the XDP program that each leave one step out.  Not part of
# `make bench` (about a minute); run it alone, as root:
#
#   bench/variants.sh [CALLS] [RUNS]      (defaults 100000, 5)
#
# Each variant is bpf/synwall.bpf.c built with the Makefile's BPF flags
# and one -DSW_VARIANT_* flag (each guarded in the source, at the step it
# leaves out) into build/bench/variants/NAME/; `make` never sets them.  A
# variant is not a correct program (it answers with wrong cookies or
# checksums, it passes what it should drop): only its cost means something.
#
#   as-is         build/synwall.bpf.o's source, no flag
#   no-sk-lookup  SW_VARIANT_NO_SK_LOOKUP: no bpf_skc_lookup_tcp (which falls
#                 back to a listener lookup when the 4-tuple has no socket):
#                 every lookup "finds" a listener
#   no-flows      SW_VARIANT_NO_FLOWS: no flow-table lookup (every segment
#                 asks the socket lookup, as before the table)
#   no-mac        SW_VARIANT_NO_MAC: SipHash-2-4 replaced by one XOR
#   no-csum       SW_VARIANT_NO_CSUM: the SYN-ACK's TCP checksum left at 0
#   no-host-check SW_VARIANT_NO_HOST_CHECK: no "addressed to this host"
#                 check (bpf/host.h: the device's MAC, its addresses, lo's,
#                 its upper devices'): the cost of answering only what the
#                 kernel would
#   fixed-clock   as-is, with the config's test clock (no clock helper)
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
# the Makefile's own BPF flags (-Werror included: a variant is real code)
FLAGS=$(make -s --no-print-directory bpf-cflags)
make -s build/bench/bench_xdp >/dev/null

variant() { # NAME [CLANG FLAGS...]
	local d=$V/$1
	shift
	mkdir -p "$d"
	# shellcheck disable=SC2086
	clang $FLAGS "$@" -c bpf/synwall.bpf.c -o "$d/synwall.bpf.o"
}

variant as-is
variant no-sk-lookup -DSW_VARIANT_NO_SK_LOOKUP
variant no-flows -DSW_VARIANT_NO_FLOWS
variant no-mac -DSW_VARIANT_NO_MAC
variant no-csum -DSW_VARIANT_NO_CSUM
variant no-host-check -DSW_VARIANT_NO_HOST_CHECK

run() { # NAME [bench_xdp args]
	local n=$1
	shift
	build/bench/bench_xdp --csv --calls "$CALLS" --runs "$RUNS" --live-calls 0 \
		--only syn4,syn6,ack,badack,ack-trusted,badack-trusted "$@" | tail -n +2 | sed "s/^/$n,/"
}

{
	run as-is --obj $V/as-is/synwall.bpf.o
	run no-sk-lookup --obj $V/no-sk-lookup/synwall.bpf.o
	run no-flows --obj $V/no-flows/synwall.bpf.o
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
