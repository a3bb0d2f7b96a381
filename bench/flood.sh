#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/flood.sh: veth floods against synwall and its peers (pieces 2-5 of
# bench/README.md).  Needs root; run from anywhere.
#
#   bench/flood.sh [--syns N] [--acks N] [--legit N] [--pieces LIST]
#                  [--out FILE] [SYSTEM...]
#
#   SYSTEM   synwall       build/synwall attach (XDP + TC), tcp_syncookies=1
#            syncookies    the kernel's own SYN cookies, tcp_syncookies=2, no XDP
#            nft-synproxy  nftables SYNPROXY (notrack SYN in raw prerouting,
#                          synproxy on ct state invalid,untracked), no XDP
#            xdp-synproxy  the kernel selftest XDP SYN proxy (bench/peer.sh)
#                          in front of the same nftables SYNPROXY, as its
#                          selftest deploys it
#            xdp-floor     the method's floor: bench/swb_floor.bpf.c sends
#                          every TCP frame back with addresses and ports
#                          swapped (XDP_TX); SYN and ACK floods only (it
#                          would bounce the legit client's SYNs too)
#            (default: all five, in this order)
#   --syns N     SYNs in the SYN flood (default 5000000: the memory piece
#                wants >= 5 million)
#   --acks N     forged ACKs in the ACK flood (default 2000000)
#   --legit N    connections of the legit client per phase (default 1000)
#   --pieces L   comma list of syn, ack, legit (default syn,ack,legit);
#                memory is read around the SYN flood
#   --out FILE   also append the result lines to FILE
#
# The lab: two network namespaces made here, swb-c (generator and legit
# client) and swb-s (server), one veth pair swbc0 <-> swbs0, addresses
# 10.202.0.1/24 and 10.202.0.2/24 (fd00:202::1, ::2).  The floods come from
# spoofed sources in 10.203.0.0/16, which the server routes back to swbc0.
# The whole script runs in a private mount namespace with its own bpffs,
# so its pins and /run/netns entries are invisible elsewhere; an EXIT trap
# stops what it started (by PID or by its own process group) and deletes
# the namespaces.  A fresh pair of namespaces for every system.
#
# What runs where (2 CPUs): trafgen, one worker, pinned to CPU 0 (-P 1);
# swbs0 receives with threaded NAPI (GRO on, so the kernel-only systems have
# NAPI too), its thread pinned to RX_CPU (1): each system gets one core of
# its own.  swbc0 runs bench/swb_count.bpf.c: it counts and drops what comes
# back to the spoofed sources (SYN-ACKs, RSTs), so the generator's kernel
# never answers them; the legit client's packets pass.  TX checksum offload
# is off on swbc0, because the peer XDP program verifies SYN checksums.
#
# Output: one line per measurement, "swb: system=S piece=P key=value ...",
# on stdout (run.sh turns them into its table):
#   piece=syn|ack  sent (asked of trafgen), txd (left swbc0), rxd (reached
#                  swbs0), synack, rst, other (came back), secs, gen_s (trafgen's
#                  CPU), busy_s (all CPUs, /proc/stat), cpu_ns (= (busy_s -
#                  gen_s) / txd), napi_ns (receiver NAPI thread's CPU / txd),
#                  slab_kb_before/after, bpf_kb_before/after, ct (conntrack
#                  entries after)
#   piece=legit    flood=none|syn|ack, ok, fail, skipped, p50_us, p99_us,
#                  max_us, secs, retrans (segments the client retransmitted)
#   piece=stats    synwall's counters after all its pieces
# Environment: RX_CPU (1; trafgen -P 1 pins its worker to CPU 0),
# TX_RING (64KiB), SWB_DEBUG=1 (drop and TCP counters after each legit
# phase), SWB_KEEP_TMP=1 (keep trafgen's log).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
B=$BUILD/bench

[ "$(id -u)" -eq 0 ] || { echo "flood: needs root" >&2; exit 1; }
if [ -z "${SWB_IN_MNTNS:-}" ]; then
	SWB_IN_MNTNS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

SYNS=5000000
ACKS=2000000
LEGIT=1000
PIECES=syn,ack,legit
OUT=
SYSTEMS=()
while [ $# -gt 0 ]; do
	case $1 in
	--syns) SYNS=$2; shift 2 ;;
	--acks) ACKS=$2; shift 2 ;;
	--legit) LEGIT=$2; shift 2 ;;
	--pieces) PIECES=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	synwall | syncookies | nft-synproxy | xdp-synproxy | xdp-floor) SYSTEMS+=("$1"); shift ;;
	*) echo "flood: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
[ ${#SYSTEMS[@]} -gt 0 ] || SYSTEMS=(synwall syncookies nft-synproxy xdp-synproxy xdp-floor)

mount -t bpf bpf /sys/fs/bpf

CNS=swb-c
SNS=swb-s
CIF=swbc0
SIF=swbs0
CMAC=02:5b:00:00:00:01
SMAC=02:5b:00:00:00:02
C4=10.202.0.1
S4=10.202.0.2
C6=fd00:202::1
S6=fd00:202::2
PORT=80

RX_CPU=${RX_CPU:-1}
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/swb-flood.XXXXXX)
PIDS=()
GEN_PGID=

log() { echo "flood: $*" >&2; }
nsc() { nsenter --net=/run/netns/$CNS "$@"; }
nss() { nsenter --net=/run/netns/$SNS "$@"; }

# ---- cleanup ------------------------------------------------------------

gen_stop() {
	# the generator's own process group (timeout made it): parent and workers
	if [ -n "$GEN_PGID" ]; then
		kill -KILL -- -"$GEN_PGID" 2>/dev/null || true
		wait "$GEN_PGID" 2>/dev/null || true
		GEN_PGID=
	fi
}

lab_down() {
	local p
	gen_stop
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
	ip netns del $CNS 2>/dev/null || true
	ip netns del $SNS 2>/dev/null || true
}

cleanup() {
	lab_down
	[ -z "${SWB_KEEP_TMP:-}" ] || { log "kept $TMP"; return; }
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build what the lab needs -------------------------------------------

build() {
	local ma
	ma=$(gcc -print-multiarch 2>/dev/null || true)
	mkdir -p "$B"
	if [ ! "$B/swb_count.bpf.o" -nt "$ROOT/bench/swb_count.bpf.c" ]; then
		clang -O2 -g -target bpf ${ma:+-I/usr/include/$ma} \
			-c "$ROOT/bench/swb_count.bpf.c" -o "$B/swb_count.bpf.o"
	fi
	if [ ! "$B/swb_floor.bpf.o" -nt "$ROOT/bench/swb_floor.bpf.c" ]; then
		clang -O2 -g -target bpf ${ma:+-I/usr/include/$ma} \
			-c "$ROOT/bench/swb_floor.bpf.c" -o "$B/swb_floor.bpf.o"
	fi
	if [ ! "$B/tcpprobe" -nt "$ROOT/tests/e2e/tcpprobe.c" ]; then
		gcc -O2 -Wall -pthread "$ROOT/tests/e2e/tcpprobe.c" -o "$B/tcpprobe"
	fi
	if [ ! "$B/legit" -nt "$ROOT/bench/legit.c" ]; then
		gcc -O2 -Wall "$ROOT/bench/legit.c" -o "$B/legit"
	fi
	command -v trafgen >/dev/null || { log "trafgen missing (apt-get install netsniff-ng)"; exit 1; }
	if ! command -v nft >/dev/null; then
		log "installing nftables (for the SYNPROXY systems)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables >&2
	fi
}

# ---- the lab --------------------------------------------------------------

napi_threads() { ps -eLo tid=,comm= | awk -v n="napi/$SIF-" 'index($2, n) == 1 { print $1 }'; }

pin_napi() {
	local t n=0
	for t in $(napi_threads); do
		taskset -pc "$RX_CPU" "$t" >/dev/null && n=$((n + 1))
	done
	[ $n -gt 0 ] || { log "no threaded NAPI thread for $SIF"; return 1; }
}

lab_up() {
	ip netns add $CNS
	ip netns add $SNS
	ip link add $CIF netns $CNS address $CMAC type veth \
		peer name $SIF netns $SNS address $SMAC
	nsc ip link set lo up
	nss ip link set lo up
	nsc ip addr add $C4/24 dev $CIF
	nss ip addr add $S4/24 dev $SIF
	nsc ip addr add $C6/64 dev $CIF nodad
	nss ip addr add $S6/64 dev $SIF nodad
	nsc ip neigh replace $S4 lladdr $SMAC dev $CIF nud permanent
	nss ip neigh replace $C4 lladdr $CMAC dev $SIF nud permanent
	nsc ip -6 neigh replace $S6 lladdr $SMAC dev $CIF nud permanent
	nss ip -6 neigh replace $C6 lladdr $CMAC dev $SIF nud permanent
	nsc ethtool -K $CIF tx off >/dev/null
	nss ethtool -K $SIF gro on >/dev/null
	nsc ip link set $CIF up
	nss ip link set $SIF up
	nss ip route add 10.203.0.0/16 via $C4
	nss ip -6 route add fd00:203::/64 via $C6
	nsc ip link set dev $CIF xdpdrv obj "$B/swb_count.bpf.o" sec xdp
	# /sys shows the namespace that mounted it: mount one in swb-s
	nss unshare --mount sh -c "mount -t sysfs sysfs /sys &&
		echo 1 > /sys/class/net/$SIF/threaded"
	pin_napi
	# nsenter execs the server: $! is the server itself, so cleanup's kill
	# reaches it (through the nss function, $! would be a subshell)
	nsenter --net=/run/netns/$SNS "$B/tcpprobe" server $S4 $PORT >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do
		nss ss -Hltn "sport = :$PORT" | grep -q . && return 0
		sleep 0.1
	done
	log "the server did not start listening"
	return 1
}

nft_synproxy() {
	nss sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=1
	nss nft -f - <<EOF
table inet swb_synproxy {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport $PORT tcp flags & (fin | syn | rst | ack) == syn notrack
	}
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport $PORT ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
		ct state invalid drop
	}
}
EOF
	nss sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
}

# prog_ids: the BPF programs attached to swbs0 (XDP, TC ingress)
prog_ids() {
	nss ip -j -d link show dev $SIF | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
x = d.get("xdp", {})
for p in [x.get("prog")] + [a.get("prog") for a in x.get("attached", [])]:
    if p and "id" in p: print(p["id"])'
	nss tc -j filter show dev $SIF ingress 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try: d = json.load(sys.stdin)
except Exception: d = []
for f in d:
    i = f.get("options", {}).get("prog", {}).get("id")
    if i: print(i)'
}

# map_ids: the maps of those programs, "ID NAME" per line
map_ids() {
	local p
	for p in $(prog_ids | sort -u); do
		bpftool -j prog show id "$p" | /usr/bin/python3 -c '
import json, sys
for m in json.load(sys.stdin).get("map_ids", []): print(m)'
	done | sort -un | while read -r m; do
		echo "$m $(bpftool -j map show id "$m" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')"
	done
}

bpf_kb() {
	local ids
	ids=$(map_ids | awk '{print $1}')
	[ -n "$ids" ] || { echo -; return; }
	local m tot=0 b
	for m in $ids; do
		b=$(bpftool -j map show id "$m" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("bytes_memlock", 0))')
		tot=$((tot + b))
	done
	echo $((tot / 1024))
}

# Configure the peer as its tool xdp_synproxy.c would (--ports 80 --mss4
# 1460 --mss6 1440 --wscale 7 --ttl 64): values[0] = tcpipopts,
# allowed_ports = {80, 0}.
peer_config() {
	local id name
	while read -r id name; do
		case $name in
		values)
			# (1440 << 32) | (64 << 24) | (7 << 16) | 1460, little endian
			bpftool map update id "$id" key hex 00 00 00 00 \
				value hex b4 05 07 40 a0 05 00 00 ;;
		allowed_ports)
			bpftool map update id "$id" key hex 00 00 00 00 value hex 50 00
			bpftool map update id "$id" key hex 01 00 00 00 value hex 00 00 ;;
		esac
	done < <(map_ids)
}

sys_up() {
	case $1 in
	synwall)
		nss sysctl -qw net.ipv4.tcp_syncookies=1
		nss "$BUILD/synwall" attach $SIF --ports $PORT >/dev/null
		;;
	syncookies)
		nss sysctl -qw net.ipv4.tcp_syncookies=2
		;;
	nft-synproxy)
		nft_synproxy
		;;
	xdp-synproxy)
		nft_synproxy
		nss ip link set dev $SIF xdpdrv obj "$PEER_OBJ" sec xdp
		peer_config
		;;
	xdp-floor)
		nss ip link set dev $SIF xdpdrv obj "$B/swb_floor.bpf.o" sec xdp
		;;
	esac
	pin_napi # attaching XDP may have made new NAPI instances
}

# ---- measurements ---------------------------------------------------------

# counters back at the generator: synack rst other passed
cnt() {
	bpftool -j map dump pinned /sys/fs/bpf/xdp/globals/swb_cnt | /usr/bin/python3 -c '
import json, sys
t = [0, 0, 0, 0]
for e in json.load(sys.stdin):
    k = e.get("key")
    k = k if isinstance(k, int) else int.from_bytes(bytes(int(b, 16) for b in k), "little")
    for v in e.get("values", []):
        x = v["value"]
        t[k] += x if isinstance(x, int) else int.from_bytes(bytes(int(b, 16) for b in x), "little")
print(*t)'
}

# veth packets: tx of swbc0, rx of swbs0
vstat() {
	local a b
	a=$(nsc ip -j -s link show dev $CIF | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["packets"])')
	b=$(nss ip -j -s link show dev $SIF | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
	echo "$a $b"
}

busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

napi_ticks() {
	local t s=0 v
	for t in $(napi_threads); do
		v=$(awk '{ print $14 + $15 }' /proc/"$t"/stat 2>/dev/null || echo 0)
		s=$((s + v))
	done
	echo $s
}

slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

ct_count() { nss cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo -; }

# gen_start CFG COUNT: trafgen in swb-c, one worker pinned to CPU 0 (its
# -P 1 pins worker i to CPU i), bounded by -n and a
# time limit, in a session and process group of its own (setsid), so that
# gen_stop can kill the parent and any worker it leaves behind.
gen_start() {
	local cfg=$1 n=$2 limit
	limit=$((n / 100000 + 30)) # >= 100k packets/s, or it is stopped
	setsid bash -c 'timeout --foreground -k 2 "$1" "${@:3}" >"$2/trafgen.log" 2>&1
		times >"$2/times"' _ "$limit" "$TMP" \
		nsenter --net=/run/netns/$CNS \
		trafgen --cpp --dev $CIF --conf "$ROOT/bench/trafgen/$cfg.cfg" \
		-n "$n" -P 1 --no-sock-mem -S "${TX_RING:-64KiB}" \
		-D "DMAC=0x${SMAC//:/,0x}" -D "SMAC=0x${CMAC//:/,0x}" \
		-D "DST4=${S4//./,}" -D "PORT=$PORT" &
	GEN_PGID=$!
}

# gen_wait: wait for trafgen; prints its CPU seconds (user + sys, workers
# included: trafgen waits for them)
gen_wait() {
	wait "$GEN_PGID" 2>/dev/null || true
	kill -KILL -- -"$GEN_PGID" 2>/dev/null || true # a worker left behind
	GEN_PGID=
	sed -n 2p "$TMP/times" | awk '{
		n = split($0, f, " "); s = 0
		for (i = 1; i <= n; i++) { split(f[i], a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] }
		printf "%.3f\n", s }'
}

# flood PIECE CFG COUNT SYSTEM
flood() {
	local piece=$1 cfg=$2 n=$3 sys=$4
	local c0 c1 v0 v1 b0 b1 p0 p1 s0 s1 m0 m1 t0 t1 gen
	sleep 0.5
	c0=$(cnt); v0=$(vstat); m0=$(bpf_kb); s0=$(slab_kb)
	b0=$(busy_ticks); p0=$(napi_ticks); t0=$(date +%s.%N)
	gen_start "$cfg" "$n"
	gen_wait >"$TMP/gen_s"
	gen=$(cat "$TMP/gen_s")
	sleep 0.3 # let the receiver drain its ring
	t1=$(date +%s.%N); b1=$(busy_ticks); p1=$(napi_ticks)
	c1=$(cnt); v1=$(vstat)
	sleep 0.7
	s1=$(slab_kb); m1=$(bpf_kb)
	echo "$sys $piece $n $c0 $c1 $v0 $v1 $b0 $b1 $p0 $p1 $t0 $t1 $gen $HZ $s0 $s1 $m0 $m1 $(ct_count)" |
		awk '{
		sys = $1; piece = $2; n = $3
		synack = $8 - $4; rst = $9 - $5; other = $10 - $6
		txd = $14 - $12; rxd = $15 - $13
		busy = ($17 - $16) / $23; napi = ($19 - $18) / $23
		secs = $21 - $20; gen = $22
		d = txd > 0 ? txd : 1
		printf "swb: system=%s piece=%s sent=%d txd=%d rxd=%d synack=%d rst=%d other=%d secs=%.2f gen_s=%.2f busy_s=%.2f cpu_ns=%.0f napi_ns=%.0f slab_kb_before=%s slab_kb_after=%s bpf_kb_before=%s bpf_kb_after=%s ct=%s\n",
			sys, piece, n, txd, rxd, synack, rst, other, secs, gen, busy,
			(busy - gen) * 1e9 / d, napi * 1e9 / d, $24, $25, $26, $27, $28 }' >"$TMP/line"
	emit "$(cat "$TMP/line")"
}

# with SWB_DEBUG set: the veths' drop and error counters (cumulative)
debug_drops() {
	[ -n "${SWB_DEBUG:-}" ] || return 0
	log "$CIF: $(nsc ethtool -S $CIF | awk '$2 != 0 && /drop|err|full/' | tr -s ' \n' ' ')"
	log "$SIF: $(nss ethtool -S $SIF | awk '$2 != 0 && /drop|err|full/' | tr -s ' \n' ' ')"
	log "$CIF: $(nsc ip -s link show $CIF | tr -s ' \n' ' ')"
	log "$SIF: $(nss ip -s link show $SIF | tr -s ' \n' ' ')"
	log "server TCP counters: $(nss nstat -az 2>/dev/null | awk '$2 != 0 && $1 ~ /Tcp/ { printf "%s=%s ", $1, $2 }')"
}

# segments the client retransmitted (SYNs and data)
retrans() { nsc awk '$1 == "Tcp:" && $13 ~ /^[0-9]+$/ { print $13 }' /proc/net/snmp; }

# legit SYSTEM FLOOD: LEGIT connections, alone or under a flood
legit() {
	local sys=$1 fl=$2 r0
	if [ "$fl" != none ]; then
		gen_start "${fl}4" 100000000 # stopped as soon as the client is done
		sleep 0.5
	fi
	r0=$(retrans)
	nsc "$B/legit" $S4 $PORT "$LEGIT" --timeout-ms 3000 --deadline-s 60 >"$TMP/legit"
	[ "$fl" = none ] || gen_stop
	emit "swb: system=$sys piece=legit flood=$fl $(cat "$TMP/legit") retrans=$(($(retrans) - r0))"
	debug_drops
}

emit() {
	echo "$1"
	[ -z "$OUT" ] || echo "$1" >>"$OUT"
}

run_system() {
	local sys=$1
	log "$sys: lab up"
	lab_up
	sys_up "$sys"
	# the floor bounces every TCP frame: no legit client can connect
	local with_legit=$PIECES
	[ "$sys" != xdp-floor ] || with_legit=${PIECES//legit/}
	[ "$sys" = xdp-floor ] ||
		nsc "$B/legit" $S4 $PORT 20 --timeout-ms 3000 --deadline-s 10 >/dev/null # warm up
	if [[ ,$with_legit, == *,legit,* ]]; then
		legit "$sys" none
	fi
	if [[ ,$PIECES, == *,syn,* ]]; then
		log "$sys: SYN flood, $SYNS packets"
		flood syn syn4 "$SYNS" "$sys"
		if [[ ,$with_legit, == *,legit,* ]]; then legit "$sys" syn; fi
	fi
	if [[ ,$PIECES, == *,ack,* ]]; then
		log "$sys: ACK flood, $ACKS packets"
		flood ack ack4 "$ACKS" "$sys"
		if [[ ,$with_legit, == *,legit,* ]]; then legit "$sys" ack; fi
	fi
	if [ "$sys" = synwall ]; then
		emit "swb: system=$sys piece=stats $(nss "$BUILD/synwall" stats $SIF 2>/dev/null | awk 'NF == 2 { printf "%s=%s ", $1, $2 }')"
		nss "$BUILD/synwall" detach $SIF >/dev/null 2>&1 || true
	fi
	lab_down
}

build
PEER_OBJ=
for s in "${SYSTEMS[@]}"; do
	[ "$s" = xdp-synproxy ] && PEER_OBJ=$("$ROOT/bench/peer.sh")
done
for s in "${SYSTEMS[@]}"; do
	run_system "$s"
done
