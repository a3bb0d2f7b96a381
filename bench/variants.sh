#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/variants.sh: where synwall's SYN path spends its time, by measuring
# variants of the XDP program that each leave one step out.  Not part of
# `make bench` (about a minute); run it alone, as root:
#
#   bench/variants.sh [CALLS] [RUNS] [ROUNDS]   (defaults 100000, 5, 3)
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
#   no-listener-lookup SW_VARIANT_NO_LISTENER_LOOKUP: the listener table
#                 (listen_any, then the hash) always says "a listener waits"
#   no-host-check SW_VARIANT_NO_HOST_CHECK: no "addressed to this host"
#                 check (bpf/host.h: the device's MAC, its addresses, lo's,
#                 its upper devices'): the cost of answering only what the
#                 kernel would
#   no-mac-no-host-check  both of the last two: what is left of the path
#                 once the two steps that make it safe are gone (a floor
#                 for the goals of issue 12, not a program to run)
#   fixed-clock   as-is, with the config's test clock (no clock helper)
#
# The variants run in ROUNDS turns (every variant once per round), so that
# a slow phase of the machine hits all of them.
#
# Output: one line per variant and class: the lowest and the middle of the
# rounds' medians, ns per packet (test_run, repeat = 1, minus an empty
# program), and their differences to as-is; for the classes the program
# leaves unchanged (invalid ACKs) also the lowest repeat run (one call of
# repeat = CALLS: no syscall per packet) and its difference.  On a VM
# whose neighbours come and go, a difference smaller than as-is's own
# spread between its low and its middle is none.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "variants: needs root" >&2; exit 1; }
CALLS=${1:-100000}
RUNS=${2:-5}
ROUNDS=${3:-3}
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
variant no-listener-lookup -DSW_VARIANT_NO_LISTENER_LOOKUP
variant no-host-check -DSW_VARIANT_NO_HOST_CHECK
variant no-mac-no-host-check -DSW_VARIANT_NO_MAC -DSW_VARIANT_NO_HOST_CHECK

run() { # NAME [bench_xdp args]
	local n=$1
	shift
	build/bench/bench_xdp --csv --calls "$CALLS" --runs "$RUNS" --live-calls 0 \
		--only syn4,syn6,ack,badack,ack-trusted,badack-trusted,syn4-trusted \
		"$@" | tail -n +2 | sed "s/^/$n,/"
}

for r in $(seq "$ROUNDS"); do
	run as-is --obj $V/as-is/synwall.bpf.o
	run no-sk-lookup --obj $V/no-sk-lookup/synwall.bpf.o
	run no-flows --obj $V/no-flows/synwall.bpf.o
	run no-mac --obj $V/no-mac/synwall.bpf.o
	run no-csum --obj $V/no-csum/synwall.bpf.o
	run no-listener-lookup --obj $V/no-listener-lookup/synwall.bpf.o
	run no-host-check --obj $V/no-host-check/synwall.bpf.o
	run no-mac-no-host-check --obj $V/no-mac-no-host-check/synwall.bpf.o
	run fixed-clock --obj $V/as-is/synwall.bpf.o --clock fixed
	echo "variants: round $r of $ROUNDS done" >&2
done >"$V/results.csv"

python3 - "$V/results.csv" <<'EOF'
import csv, statistics, sys

med = {}
rep = {}
for r in csv.reader(open(sys.argv[1])):
    # variant,class,sw_min,sw_median,sw_repeat,...
    med.setdefault((r[0], r[1]), []).append(float(r[3]))
    if r[4] != "-":
        rep.setdefault((r[0], r[1]), []).append(float(r[4]))
low = {k: min(v) for k, v in med.items()}
mid = {k: statistics.median(v) for k, v in med.items()}
rlow = {k: min(v) for k, v in rep.items()}
print("%-21s %-32s %7s %7s %7s %7s %7s %7s" % ("variant", "class", "low",
      "middle", "low vs", "mid vs", "rep low", "rep vs"))
for (v, c) in med:
    b = ("as-is", c)
    r = ("%7.1f %+7.1f" % (rlow[(v, c)], rlow[(v, c)] - rlow[b])
         if (v, c) in rlow and b in rlow else "%7s %7s" % ("-", "-"))
    print("%-21s %-32s %7.1f %7.1f %+7.1f %+7.1f %s" % (v, c, low[(v, c)],
          mid[(v, c)], low[(v, c)] - low[b], mid[(v, c)] - mid[b], r))
EOF
