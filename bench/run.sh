#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# synwall benchmarks: `make bench` runs this and prints one table
# (bench/README.md explains every row).  Speed is measured here, never
# asserted in tests.  Needs root.
#
#   1. per-packet cost, synwall and the peer XDP SYN proxy:
#        build/bench/bench_xdp --peer "$(bench/peer.sh)"
#   2-5. veth floods, legit clients, memory (one system, one piece):
#        bench/flood.sh [--pieces syn,ack,legit] [SYSTEM...]
#   6. adaptive mode (--cookies flood): the SYN path in pass-through
#        (bench_xdp --cookies flood), flood start to cookie mode and legit
#        connects across both switches (bench/switch.sh)
#   7. degraded mode (docs/degraded.md): the per-packet cost of
#        build/synwall_compat.bpf.o next to the full object and the peer
#        (bench_xdp --compat --peer ...)
#
# Environment (defaults in brackets):
#   PIECES      perpacket,flood,switch [all three]
#   CALLS RUNS  bench_xdp: calls per run [200000], runs [5]
#   LIVE_CALLS  bench_xdp: live-frames calls of 64 frames [4000]
#   SYNS ACKS   flood.sh: SYN flood [5000000], ACK flood [2000000]
#   LEGIT       flood.sh: legit connects per phase [1000]
#   SYSTEMS     flood.sh: systems [synwall syncookies nft-synproxy xdp-synproxy xdp-floor]
#   SWITCH_PPS SWITCH_RUNS  switch.sh: flood rate [100000], runs [3]
# Results: build/bench/results/ (perpacket.csv, perpacket-flood.csv, flood.txt,
# switch.txt, table.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (BPF_PROG_TEST_RUN, namespaces)" >&2; exit 1; }

PIECES=${PIECES:-perpacket,flood,switch}
OUT=build/bench/results
mkdir -p "$OUT"
rm -f "$OUT/perpacket.csv" "$OUT/perpacket-flood.csv" "$OUT/perpacket-degraded.csv" \
	"$OUT/flood.txt" "$OUT/switch.txt"
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
START=$(date -u +%Y-%m-%dT%H:%MZ)

if ! command -v nft >/dev/null; then
	echo "bench: installing nftables (the SYNPROXY peers)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables >&2
fi
PEER=$(bench/peer.sh)

if [[ ,$PIECES, == *,perpacket,* ]]; then
	echo "bench: 1. per-packet cost (test_run), synwall and the peer" >&2
	build/bench/bench_xdp --peer "$PEER" --csv --calls "${CALLS:-200000}" \
		--runs "${RUNS:-5}" --live-calls "${LIVE_CALLS:-4000}" >"$OUT/perpacket.csv"
	# flood mode, no flood: SYNs to the kernel (live frames would hand them
	# to the namespace's listener, whose request sockets then own the
	# 4-tuple: repeat = 1 only)
	build/bench/bench_xdp --cookies flood --only syn4,syn6 --csv \
		--calls "${CALLS:-200000}" --runs "${RUNS:-5}" --live-calls 0 >"$OUT/perpacket-flood.csv"
	# degraded mode: the same classes but the established ACK (its lo
	# frame has lo's zero MAC, which is not the MAC the loader wrote)
	build/bench/bench_xdp --compat --peer "$PEER" --only syn4,syn6,ack,badack,udp --csv \
		--calls "${CALLS:-200000}" --runs "${RUNS:-5}" --live-calls "${LIVE_CALLS:-4000}" \
		>"$OUT/perpacket-degraded.csv"
fi
if [[ ,$PIECES, == *,flood,* ]]; then
	echo "bench: 2-5. veth floods, legit clients, memory" >&2
	# shellcheck disable=SC2086
	bench/flood.sh --syns "${SYNS:-5000000}" --acks "${ACKS:-2000000}" \
		--legit "${LEGIT:-1000}" ${SYSTEMS:-} >"$OUT/flood.txt"
fi

if [[ ,$PIECES, == *,switch,* ]]; then
	echo "bench: 6. adaptive mode: flood start to cookie mode, legit across the switches" >&2
	bench/switch.sh --pps "${SWITCH_PPS:-100000}" --runs "${SWITCH_RUNS:-3}" >"$OUT/switch.txt"
fi

# group 6 of the table (after table.py's groups 1-5)
adaptive() {
	local f
	[ -s "$OUT/perpacket-flood.csv" ] || [ -s "$OUT/switch.txt" ] || return 0
	echo "6. adaptive mode (--cookies flood, synwall only; the kernel's syncookies have no switch: groups 2 and 4)"
	if [ -s "$OUT/perpacket-flood.csv" ]; then
		for f in "SYN v4" "SYN v6"; do
			awk -F, -v c="$f" -v cook="$(grep "^$f (MSS/" "$OUT/perpacket.csv" 2>/dev/null | cut -d, -f3)" '
				index($1, c) == 1 { printf "   %s pass-through (to the kernel), ns: median (min)   %s (%s); answered with a cookie (group 1): %s\n", c, $3, $2, cook == "" ? "-" : cook }' \
				"$OUT/perpacket-flood.csv"
		done
	fi
	if [ -s "$OUT/switch.txt" ]; then
		sed -n 's/.*what=to_cookies.*pps=\([0-9]*\).*to_cookies_ms=\([0-9.]*\).*syns_before=\([0-9]*\).*/\1 \2 \3/p' "$OUT/switch.txt" |
			sort -k2 -n | awk '{ p = $1; v[NR] = $2; s = $3 } END { if (NR) printf "   flood at %d SYN/s: first SYN out -> first cookie SYN-ACK back, ms   median %s (min %s / max %s, %d runs; %s SYNs went to the kernel first)\n", p, v[int((NR + 1) / 2)], v[1], v[NR], NR, s }'
		sed -n 's/.*what=legit.*switches=\([0-9]*\) back=\([a-z]*\) ok=\([0-9]*\) fail=\([0-9]*\).*p50_us=\([0-9-]*\) p99_us=\([0-9-]*\) max_us=\([0-9-]*\).*/\1 \2 \3 \4 \5 \6 \7/p' "$OUT/switch.txt" |
			awk '{ printf "   legit seq. connects for 4 s, a 1-s flood in them (%d switch to cookies, back after it: %s): ok %d, failed %d, connect p50/p99/max us   %s/%s/%s\n", $1, $2, $3, $4, $5, $6, $7 }'
	fi
}

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
/usr/bin/python3 bench/table.py \
	--meta "synwall bench, $START, $(hostname), Linux $(uname -r), $CPU, $(nproc) CPUs" \
	--meta "load average $LOAD0 at start, $(cut -d' ' -f1 /proc/loadavg) at end; $(($(date +%s) - T0)) s; $(git describe --always --dirty 2>/dev/null || echo '?')" \
	"$OUT/perpacket.csv" "$OUT/flood.txt" | tee "$OUT/table.txt"
adaptive | tee -a "$OUT/table.txt"

# group 7: degraded mode, next to the full object (group 1) and the peer
degraded() {
	[ -s "$OUT/perpacket-degraded.csv" ] || return 0
	echo "7. degraded mode (build/synwall_compat.bpf.o, kernels without the handoff kfunc), ns: test_run median (min / live)"
	printf "   %-30s %22s %22s %22s %8s\n" "" "degraded" "full (group 1)" "xdp-synproxy" "deg/peer"
	awk -F, 'NR == FNR { if (FNR > 1) full[$1] = $3 " (" $2 "/" $5 ")"; next }
		FNR > 1 { printf "   %-30s %22s %22s %22s %8s\n", $1, $3 " (" $2 "/" $5 ")",
			($1 in full) ? full[$1] : "-", $7 " (" $6 "/" $8 ")", $9 }' \
		"$OUT/perpacket.csv" "$OUT/perpacket-degraded.csv"
}
degraded | tee -a "$OUT/table.txt"
