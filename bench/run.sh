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
#
# Environment (defaults in brackets):
#   PIECES      perpacket,flood [both]
#   CALLS RUNS  bench_xdp: calls per run [200000], runs [5]
#   LIVE_CALLS  bench_xdp: live-frames calls of 64 frames [4000]
#   SYNS ACKS   flood.sh: SYN flood [5000000], ACK flood [2000000]
#   LEGIT       flood.sh: legit connects per phase [1000]
#   SYSTEMS     flood.sh: systems [synwall syncookies nft-synproxy xdp-synproxy]
# Results: build/bench/results/ (perpacket.csv, flood.txt, table.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (BPF_PROG_TEST_RUN, namespaces)" >&2; exit 1; }

PIECES=${PIECES:-perpacket,flood}
OUT=build/bench/results
mkdir -p "$OUT"
rm -f "$OUT/perpacket.csv" "$OUT/flood.txt"
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
fi
if [[ ,$PIECES, == *,flood,* ]]; then
	echo "bench: 2-5. veth floods, legit clients, memory" >&2
	# shellcheck disable=SC2086
	bench/flood.sh --syns "${SYNS:-5000000}" --acks "${ACKS:-2000000}" \
		--legit "${LEGIT:-1000}" ${SYSTEMS:-} >"$OUT/flood.txt"
fi

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
/usr/bin/python3 bench/table.py \
	--meta "synwall bench, $START, $(hostname), Linux $(uname -r), $CPU, $(nproc) CPUs" \
	--meta "load average $LOAD0 at start, $(cut -d' ' -f1 /proc/loadavg) at end; $(($(date +%s) - T0)) s; $(git describe --always --dirty 2>/dev/null || echo '?')" \
	"$OUT/perpacket.csv" "$OUT/flood.txt" | tee "$OUT/table.txt"
