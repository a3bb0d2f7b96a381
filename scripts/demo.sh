#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# `make demo`: synwall under a SYN + ACK flood, in about a minute.
#
#   client netns                                    server netns
#   swdc<pid> 10.203.0.1  <------- veth ------->  swds<pid> 10.203.0.2
#     trafgen: SYNs and forged ACKs                 synwall (XDP + TC)
#     from 198.18.0.0/15, bounded                   a TCP server on :8080
#     a real TCP client, connecting in a loop
#
# 1. installs what is missing (scripts/deps.sh) and builds (make);
# 2. creates the lab: two network namespaces and a veth pair, in a private
#    mount namespace with its own bpffs, so nothing is left behind on the
#    host even if the demo is killed;
# 3. `synwall attach`, then a bounded trafgen flood (-n COUNT, a timeout on
#    its process group) and a real client, while `synwall stats --watch`
#    shows the counters live;
# 4. prints a summary and removes the lab (EXIT trap).
#
# Traffic stays inside the namespaces this script creates, on addresses it
# assigns.  Knobs (environment): DEMO_PACKETS (flood size, default
# 1000000), DEMO_SECONDS (how long the flood may last at most, and how long
# the client runs, default 20), DEMO_PORT (8080), DEMO_TRAFGEN_OPTS (extra
# trafgen options, default --gap 1us).
#
# trafgen runs with --gap (its sendto() path, some 50k packets/s here):
# its fast TX_RING path gives up ("Flushing TX_RING failed: Resource
# temporarily unavailable") as soon as the veth pushes back, because in a
# network namespace it cannot raise its socket buffer (net.core.wmem_max
# is the host's), and its --rate does not throttle.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_FLOOD=${DEMO_SECONDS:-20}
COUNT=${DEMO_PACKETS:-1000000}
PORT=${DEMO_PORT:-8080}
PY=/usr/bin/python3 # the system interpreter (python3-scapy's, not pyenv's)

if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
die() { echo "demo: $*" >&2; exit 1; }

# ---- 0. root, dependencies, build ----------------------------------------

if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "needs root (BPF, network namespaces): run as root"
	echo "demo: needs root for BPF and network namespaces: re-running with sudo"
	exec sudo -E DEMO_SECONDS="$SECONDS_FLOOD" DEMO_PACKETS="$COUNT" DEMO_PORT="$PORT" \
		DEMO_TRAFGEN_OPTS="${DEMO_TRAFGEN_OPTS:---gap 1us}" "$0" "$@"
fi

if [ -z "${DEMO_IN_MNTNS:-}" ]; then
	say "dependencies and build"
	"$ROOT/scripts/deps.sh"
	make -C "$ROOT" -j"$(nproc)" build/synwall >/dev/null ||
		{ make -C "$ROOT" build/synwall; die "build failed"; }
	echo "built $ROOT/build/synwall"
	# A private mount namespace with its own bpffs: the demo's pins
	# vanish with it, whatever happens.
	DEMO_IN_MNTNS=1 exec unshare --mount --propagation private "$0" "$@"
fi
mount -t bpf bpf /sys/fs/bpf || die "cannot mount a private bpffs"

SW=$ROOT/build/synwall
CNS=swdemo-c-$$ SNS=swdemo-s-$$
CIF=swdc$$ SIF=swds$$
C4=10.203.0.1 S4=10.203.0.2
TMP=$(mktemp -d /tmp/synwall-demo.XXXXXX)
PIDS=()

cleanup() {
	local p ns
	set +e
	for p in "${PIDS[@]}"; do kill -- -"$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	# anything still inside the demo's namespaces was started by the demo
	for ns in "$CNS" "$SNS"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	[ -e /run/netns/"$SNS" ] && "$SW" --netns "$SNS" detach "$SIF" >/dev/null 2>&1
	ip netns del "$CNS" 2>/dev/null
	ip netns del "$SNS" 2>/dev/null
	rm -rf "$TMP"
	echo "demo: lab removed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

inc() { nsenter --net=/run/netns/"$CNS" "$@"; }
ins() { nsenter --net=/run/netns/"$SNS" "$@"; }

# ---- 1. the lab -------------------------------------------------------------

say "lab: two network namespaces, one veth pair"
ip netns add "$CNS"
ip netns add "$SNS"
ip link add "$CIF" netns "$CNS" type veth peer name "$SIF" netns "$SNS" 2>/dev/null ||
	ip -n "$CNS" link show "$CIF" >/dev/null || die "cannot create the veth pair"
inc ip link set lo up
ins ip link set lo up
inc ip addr add "$C4/24" dev "$CIF"
ins ip addr add "$S4/24" dev "$SIF"
inc ip link set "$CIF" up
ins ip link set "$SIF" up
ins sysctl -qw net.ipv4.tcp_syncookies=1
# On veth, XDP_TX frames (synwall's SYN-ACKs) reach the peer only if the
# peer has an XDP program: give the client end an XDP_PASS one.
cat >"$TMP/xdp_pass.c" <<'EOF'
#include <linux/bpf.h>
__attribute__((section("xdp"), used)) int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
EOF
MA=$(gcc -print-multiarch 2>/dev/null || true)
clang -O2 -target bpf ${MA:+-I/usr/include/$MA} -c "$TMP/xdp_pass.c" -o "$TMP/xdp_pass.o"
inc ip link set dev "$CIF" xdpdrv obj "$TMP/xdp_pass.o" sec xdp
# trafgen goes through a queue (--qdisc-path): when the veth pushes back
# (its peer's XDP ring is full) packets wait or drop there, instead of
# trafgen's direct transmit failing with EAGAIN.
inc tc qdisc replace dev "$CIF" root pfifo limit 4096
for _ in $(seq 50); do
	inc ip -o link show dev "$CIF" 2>/dev/null | grep -q "state UP" &&
		ins ip -o link show dev "$SIF" 2>/dev/null | grep -q "state UP" && break
	sleep 0.1
done
echo "client $CIF $C4  <->  server $SIF $S4 (port $PORT)"

# ---- 2. the server and synwall -------------------------------------------

ins "$PY" -c '
import socketserver, sys
class H(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.request.recv(64); self.request.sendall(b"hello from the server\n")
        except OSError:
            pass
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128
S((sys.argv[1], int(sys.argv[2])), H).serve_forever()' "$S4" "$PORT" &
PIDS+=($!)
for _ in $(seq 50); do ins ss -Hltn "sport = :$PORT" | grep -q LISTEN && break; sleep 0.1; done

say "synwall attach $SIF --ports $PORT"
"$SW" --netns "$SNS" attach "$SIF" --ports "$PORT"
echo
"$SW" --netns "$SNS" status "$SIF" | sed -n '1,4p'

# ---- 3. flood + real client, stats live --------------------------------

SMAC=$(ins ip -o link show dev "$SIF" 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
CMAC=$(inc ip -o link show dev "$CIF" 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
hexmac() { echo "0x${1//:/, 0x}"; }
# Two frames, sent alternately: a SYN and a bare ACK with a random (so
# forged) cookie, both from random sources in 198.18.0.0/15 (RFC 2544),
# so the SYN-ACKs go nowhere and nobody answers them with a RST.
cat >"$TMP/flood.cfg" <<EOF
{ $(hexmac "$SMAC"), $(hexmac "$CMAC"), c16(0x0800),
  0x45, 0x00, c16(40), drnd(2), c16(0x4000), 64, 6, csumip(14, 33),
  198, 18, drnd(1), drnd(1), $(echo "$S4" | tr . ,),
  drnd(2), c16($PORT), drnd(4), c32(0), 0x50, 0x02, c16(64240), csumtcp(14, 34), c16(0) }
{ $(hexmac "$SMAC"), $(hexmac "$CMAC"), c16(0x0800),
  0x45, 0x00, c16(40), drnd(2), c16(0x4000), 64, 6, csumip(14, 33),
  198, 19, drnd(1), drnd(1), $(echo "$S4" | tr . ,),
  drnd(2), c16($PORT), drnd(4), drnd(4), 0x50, 0x10, c16(64240), csumtcp(14, 34), c16(0) }
EOF

# A real client: kernel TCP, one connection after another, for the whole
# flood plus a little; each connect gets 5 s (the kernel retransmits a
# lost SYN after 1 s and 3 s: a flood that overflows the veth ring loses
# packets of the real client too).
inc "$PY" -c '
import json, socket, sys, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ok = fail = 0; lat = []
end = time.time() + secs
while time.time() < end:
    t = time.time()
    try:
        s = socket.create_connection((host, port), timeout=5)
        lat.append((time.time() - t) * 1000)
        s.sendall(b"hi\n")
        if s.recv(64).startswith(b"hello"): ok += 1
        else: fail += 1
        s.close()
    except OSError:
        fail += 1
    time.sleep(0.02)
lat.sort()
print(json.dumps({"ok": ok, "fail": fail,
    "median_ms": round(lat[len(lat)//2], 2) if lat else None,
    "p99_ms": round(lat[int(len(lat)*0.99)], 2) if lat else None}))
' "$S4" "$PORT" $((SECONDS_FLOOD + 4)) >"$TMP/client.json" &
CLIENT=$!
PIDS+=($CLIENT)
sleep 1

say "trafgen: $COUNT packets (half SYNs, half forged ACKs), at most $SECONDS_FLOOD s"
# Its own process group (setsid), so every worker dies with it.
setsid timeout --kill-after=3 "$SECONDS_FLOOD" \
	nsenter --net=/run/netns/"$CNS" trafgen --dev "$CIF" --conf "$TMP/flood.cfg" \
	--num "$COUNT" --cpus 1 --qdisc-path ${DEMO_TRAFGEN_OPTS:---gap 1us} >"$TMP/trafgen.out" 2>&1 &
FLOOD=$!
PIDS+=($FLOOD)

say "synwall stats $SIF --watch 2 (live)"
"$SW" --netns "$SNS" stats "$SIF" --watch 2 --count $(((SECONDS_FLOOD + 4) / 2))

wait "$CLIENT" || true
wait "$FLOOD" 2>/dev/null || true
kill -- -"$FLOOD" 2>/dev/null || true # leftovers of the process group

# ---- 4. summary -------------------------------------------------------------

J=$("$SW" --netns "$SNS" stats "$SIF" --json)
CL=$(cat "$TMP/client.json" 2>/dev/null || echo '{}')
HALF_OPEN=$(ins ss -Htn state syn-recv | wc -l)
say "summary"
SENT=$(grep -o '[0-9]* packets outgoing' "$TMP/trafgen.out" | cut -d' ' -f1 || true)
"$PY" - "$J" "$CL" "${SENT:-0}" "$HALF_OPEN" <<'EOF'
import json, sys
c = json.loads(sys.argv[1])["counters"]
cl = json.loads(sys.argv[2] or "{}")
sent, half_open = int(sys.argv[3]), int(sys.argv[4])
rows = [
    ("flood packets trafgen sent", sent or "(stopped by the time bound)"),
    ("SYNs answered with a cookie SYN-ACK (XDP_TX)", c["xdp_tx_synack"]),
    ("forged ACKs dropped (XDP_DROP, bad cookie)", c["xdp_drop_bad_ack"]),
    ("valid cookies handed to the kernel (TC)", c["tc_handoff_ok"]),
    ("client connects succeeded", cl.get("ok", "?")),
    ("client connects failed", cl.get("fail", "?")),
    ("client connect time, median / p99 (ms)", "%s / %s" % (cl.get("median_ms"), cl.get("p99_ms"))),
    ("half-open sockets on the server now", half_open),
]
for k, v in rows:
    print("  %-48s %s" % (k, v))
print()
print("  Every flood SYN was answered without a socket, a SYN-queue entry or")
print("  conntrack state; every forged ACK died in XDP; the real client's")
print("  handshakes were handed to the kernel as established sockets.")
EOF
echo
echo "  (while attached: bpftool map dump pinned /sys/fs/bpf/synwall/IFACE/stats shows the"
echo "   same counters by name; man -l docs/synwall.8 explains every verb)"

say "synwall detach $SIF"
"$SW" --netns "$SNS" detach "$SIF"
