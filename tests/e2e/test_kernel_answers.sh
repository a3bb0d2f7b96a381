#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End to end: synwall answers only what the kernel
# would.  Raw SYNs from the client namespace (scapy) that the server's
# kernel would not deliver to a local socket -- to the broadcast MAC, a
# multicast MAC and group, another IP of the subnet, the subnet broadcast,
# IPv6 all-nodes and a foreign IPv6 address -- get no SYN-ACK with synwall
# attached, exactly as without it; a SYN to a protected port where nothing
# listens gets the kernel's RST, with and without synwall; an address added
# to the server interface while synwall is attached is answered (a real
# connection through the cookie handoff), and once removed is not.
#
# Prints PASS:/FAIL:/SKIP: lines (tests/run.sh) and "  #" notes.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
lab_init "$@"

PORT=8080     # protected, listener on the server's addresses
NOLISTEN=8081 # protected, nobody listens
ANYPORT=8082  # protected, a wildcard listener (for an added address)
E2E_FAILED=

if ! has_handoff_kfunc; then
	skip "kernel answers: kernel $(uname -r) lacks the kfunc bpf_sk_assign_tcp_reqsk"
	exit 0
fi
[ -f "$SW_OBJ" ] || die "kernel answers: $SW_OBJ not built (make)"
"$SYSPY" -c 'import scapy.layers.inet' 2>/dev/null || {
	skip "kernel answers: $SYSPY has no scapy (python3-scapy)"
	exit 0
}
lab_build || die "kernel answers: building the e2e helpers failed"
lab_up || die "kernel answers: lab setup failed"
nss sysctl -qw net.ipv4.tcp_syncookies=1

bgs "$E2E_OUT/tcpprobe" server "$S4" "$PORT" >/dev/null
bgs "$E2E_OUT/tcpprobe" server "$S6" "$PORT" >/dev/null
bgs "$E2E_OUT/tcpprobe" server 0.0.0.0 "$ANYPORT" >/dev/null
for _ in $(seq 50); do
	[ "$(nss ss -Hltn "( sport = :$PORT or sport = :$ANYPORT )" | wc -l)" -ge 3 ] && break
	sleep 0.1
done

SMAC=$(nss ip -o link show dev "$E2E_SIF" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
NET4=10.201.$E2E_N
NET6=fd00:201:$E2E_N

# probe CASE...: one raw SYN per case from the client, and what came back
# within a second: "name synack=N rst=N" per case.  CASE is
# name,dstmac,dstip,dport (dstmac "srv" = the server's MAC).
probe_syns() {
	nsc "$SYSPY" - "$E2E_CIF" "$SMAC" "$C4" "$C6" "$@" <<'EOF' 2>>"$E2E_TMP/scapy.err"
import sys, threading, time
from scapy.config import conf
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.sendrecv import AsyncSniffer, sendp
conf.verb = 0
ifc, smac, c4, c6 = sys.argv[1:5]
cases = [c.split(",") for c in sys.argv[5:]]
for i, (name, mac, dst, dport) in enumerate(cases):
    sport = 33000 + i
    v6 = ":" in dst
    l3 = IPv6(src=c6, dst=dst) if v6 else IP(src=c4, dst=dst)
    syn = Ether(dst=smac if mac == "srv" else mac) / l3 / TCP(
        sport=sport, dport=int(dport), flags="S", seq=12345,
        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
                 ("NOP", None), ("WScale", 7)])
    # stop() before the sniffer thread has compiled its filter and opened
    # its socket raises (slow under TCG): wait until it is sniffing
    started = threading.Event()
    sn = AsyncSniffer(iface=ifc, filter="tcp and dst port %d" % sport,
                      started_callback=started.set)
    sn.start()
    if not started.wait(20):
        sys.exit("sniffer on %s did not start within 20 s" % ifc)
    time.sleep(0.1)
    sendp(syn, iface=ifc)
    time.sleep(0.8)
    got = sn.stop() or []
    sa = sum(1 for p in got if p.haslayer(TCP) and (p[TCP].flags & 0x12) == 0x12)
    rst = sum(1 for p in got if p.haslayer(TCP) and p[TCP].flags & 0x04)
    print("%s synack=%d rst=%d" % (name, sa, rst))
EOF
}

CASES=(
	"bcast-mac,ff:ff:ff:ff:ff:ff,$S4,$PORT"
	"mcast-224.0.0.1,01:00:5e:00:00:01,224.0.0.1,$PORT"
	"other-ip,srv,$NET4.77,$PORT"
	"subnet-bcast,srv,$NET4.255,$PORT"
	"limited-bcast,ff:ff:ff:ff:ff:ff,255.255.255.255,$PORT"
	"ff02::1,33:33:00:00:00:01,ff02::1,$PORT"
	"other-ip6,srv,$NET6::77,$PORT"
	"control,srv,$S4,$PORT"
	"no-listener,srv,$S4,$NOLISTEN"
	"no-listener6,srv,$S6,$NOLISTEN"
)
# what the server's kernel does without synwall, and with it
want() {
	case $1 in
	control) echo "synack=1" ;;
	no-listener*) echo "synack=0 rst=1" ;;
	*) echo "synack=0 rst=0" ;;
	esac
}

probe_syns "${CASES[@]}" >"$E2E_TMP/without"
sw_attach "$PORT" "$NOLISTEN" "$ANYPORT" || die "kernel answers: attach ($SW_MODE) failed"
stat_snap
probe_syns "${CASES[@]}" >"$E2E_TMP/with"

for c in "${CASES[@]}"; do
	n=${c%%,*}
	wo=$(awk -v n="$n" '$1 == n { print $2, $3 }' "$E2E_TMP/without")
	wi=$(awk -v n="$n" '$1 == n { print $2, $3 }' "$E2E_TMP/with")
	ok=1
	for w in $(want "$n"); do
		case " $wi " in *" $w "*) ;; *) ok= ;; esac
		case " $wo " in *" $w "*) ;; *) ok= ;; esac
	done
	if [ -n "$ok" ]; then
		pass "SYN $n: with synwall '$wi', without '$wo' (kernel: $(want "$n"))"
	else
		fail "SYN $n: with synwall '$wi', without '$wo', want $(want "$n") (scapy: $(grep -v WARNING "$E2E_TMP/scapy.err" | tail -2 | tr "\n" " "))"
	fi
done
nh=$(stat_delta xdp_pass_not_host) nl=$(stat_delta xdp_pass_not_local)
nol=$(stat_delta xdp_pass_no_listener) tx=$(stat_delta xdp_tx_synack)
# bcast-mac, mcast, limited-bcast, ff02::1: 4 not_host; other-ip,
# subnet-bcast, other-ip6: 3 not_local
if [ "$nh" -eq 4 ] && [ "$nl" -eq 3 ] && [ "$nol" -eq 2 ] && [ "$tx" -eq 1 ]; then
	pass "counters: xdp_pass_not_host +$nh, xdp_pass_not_local +$nl, xdp_pass_no_listener +$nol, xdp_tx_synack +$tx"
else
	fail "counters: xdp_pass_not_host +$nh (want 4), xdp_pass_not_local +$nl (want 3), xdp_pass_no_listener +$nol (want 2), xdp_tx_synack +$tx (want 1) ($(sw_stats_line))"
fi

# a real client to a port nothing listens on: the kernel's RST
stat_snap
out=$(nsc timeout 10 "$E2E_OUT/tcpprobe" reset "$S4" "$NOLISTEN" 3000)
rc=$? d=$(stat_delta xdp_pass_no_listener)
[ $rc -eq 0 ] && [ "$d" -ge 1 ] && pass "connect to a protected port without listener: refused by the kernel's RST, xdp_pass_no_listener +$d ($out)" ||
	fail "connect to a protected port without listener: $out xdp_pass_no_listener +$d"

# ==== an address added while attached is answered, removed is not ========
NEW4=$NET4.9
stat_snap
probe_syns "before,srv,$NEW4,$ANYPORT" >"$E2E_TMP/new0"
nss ip addr add "$NEW4/24" dev "$E2E_SIF"
out=$(nsc timeout 20 "$E2E_OUT/tcpprobe" seq "$NEW4" "$ANYPORT" 5)
rc=$?
tx=$(stat_delta xdp_tx_synack) ho=$(stat_delta tc_handoff_ok)
if [ $rc -eq 0 ] && [ "$tx" -ge 5 ] && [ "$ho" -ge 5 ] &&
	grep -q "synack=0" "$E2E_TMP/new0"; then
	pass "address $NEW4 added while attached: 5 connections through synwall (xdp_tx_synack +$tx, tc_handoff_ok +$ho; before: $(cut -d' ' -f2- "$E2E_TMP/new0"))"
else
	fail "address $NEW4 added while attached: rc=$rc $out xdp_tx_synack +$tx tc_handoff_ok +$ho, before: $(cat "$E2E_TMP/new0")"
fi
nss ip addr del "$NEW4/24" dev "$E2E_SIF"
stat_snap
probe_syns "removed,srv,$NEW4,$ANYPORT" >"$E2E_TMP/new1"
nl=$(stat_delta xdp_pass_not_local)
if grep -q "synack=0" "$E2E_TMP/new1" && [ "$nl" -eq 1 ]; then
	pass "address $NEW4 removed: SYN not answered ($(cut -d' ' -f2- "$E2E_TMP/new1"), xdp_pass_not_local +$nl)"
else
	fail "address $NEW4 removed: $(cat "$E2E_TMP/new1") xdp_pass_not_local +$nl"
fi

sw_detach
[ -z "$E2E_FAILED" ]
