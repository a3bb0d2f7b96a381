#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End to end: a handoff through an 802.1Q sub-interface, synwall's XDP and
# TC programs on its parent.  Client swcN.100 <-> server swsN.100, both on
# the lab's veth pair; the client inserts the tag in software (txvlan off)
# and the server's veth reports no rx VLAN stripping (rxvlan off, what
# `synwall attach` asks for when a VLAN device sits on the interface), so
# XDP sees the tag and its SYN-ACK leaves tagged.  Checks: real connects
# (IPv4, IPv6) through the VLAN, each a cookie handoff; a 1 MiB transfer;
# forged ACKs to the VLAN address dropped in XDP.
#
# Needs 802.1Q (CONFIG_VLAN_8021Q): this machine's own kernel has none, the
# VM lab's Debian kernels do (make vmtest).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
lab_init "$@"

PORT=8080
E2E_FAILED=

if ! has_handoff_kfunc; then
	skip "vlan: kernel $(uname -r) lacks the kfunc bpf_sk_assign_tcp_reqsk"
	exit 0
fi
lab_build || die "vlan: building the e2e helpers failed"
lab_up || die "vlan: lab setup failed"
if ! nss ip link add link "$E2E_SIF" name "$E2E_SIF.100" type vlan id 100 2>/dev/null; then
	skip "vlan: kernel $(uname -r) has no 802.1Q support (CONFIG_VLAN_8021Q; make vmtest runs this on Debian's kernels)"
	exit 0
fi
nsc ip link add link "$E2E_CIF" name "$E2E_CIF.100" type vlan id 100 || die "vlan: client VLAN device"
V4C=10.205.$E2E_N.1
V4S=10.205.$E2E_N.2
V6C=fd00:205:$E2E_N::1
V6S=fd00:205:$E2E_N::2
nsc ethtool -K "$E2E_CIF" txvlan off >/dev/null 2>&1
nss ethtool -K "$E2E_SIF" rxvlan off >/dev/null 2>&1
nss ethtool -K "$E2E_SIF" rx-vlan-stag-hw-parse off >/dev/null 2>&1
nsc ip addr add "$V4C/24" dev "$E2E_CIF.100"
nsc ip addr add "$V6C/64" dev "$E2E_CIF.100" nodad
nss ip addr add "$V4S/24" dev "$E2E_SIF.100"
nss ip addr add "$V6S/64" dev "$E2E_SIF.100" nodad
nsc ip link set "$E2E_CIF.100" up
nss ip link set "$E2E_SIF.100" up
nss sysctl -qw net.ipv4.tcp_syncookies=1

bgs "$E2E_OUT/tcpprobe" server 0.0.0.0 "$PORT" >/dev/null
bgs "$E2E_OUT/tcpprobe" server :: "$PORT" >/dev/null
for _ in $(seq 50); do
	[ "$(nss ss -Hltn "( sport = :$PORT )" | wc -l)" -ge 2 ] && break
	sleep 0.1
done

if out=$(nss "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" --cookies always 2>&1); then
	pass "vlan: attach on the parent of $E2E_SIF.100 (rxvlan off)"
else
	fail "vlan: attach on the parent of a VLAN device: $out"
	exit 1
fi
# shellcheck disable=SC2034 # read by lib.sh (stat_snap, sw_stats_line)
SW_PIN=/sys/fs/bpf/synwall/$E2E_SIF

stat_snap
out=$(nsc "$E2E_OUT/tcpprobe" seq "$V4C" "$PORT" 1 2>&1) # warm the neighbour entries
out=$(nsc "$E2E_OUT/tcpprobe" seq "$V4S" "$PORT" 20 2>&1)
rc=$?
n=$(stat_delta tc_handoff_ok)
if [ $rc -eq 0 ] && [ "$n" -ge 20 ]; then
	pass "vlan: 20 IPv4 connects through $E2E_SIF.100, $n cookie handoffs: $out"
else
	fail "vlan: IPv4 connects through the VLAN: rc=$rc handoffs=$n: $out; $(sw_stats_line)"
fi
stat_snap
out=$(nsc "$E2E_OUT/tcpprobe" seq "$V6S" "$PORT" 10 2>&1)
rc=$?
n=$(stat_delta tc_handoff_ok)
if [ $rc -eq 0 ] && [ "$n" -ge 10 ]; then
	pass "vlan: 10 IPv6 connects through $E2E_SIF.100, $n cookie handoffs: $out"
else
	fail "vlan: IPv6 connects through the VLAN: rc=$rc handoffs=$n: $out; $(sw_stats_line)"
fi
out=$(nsc "$E2E_OUT/tcpprobe" xfer "$V4S" "$PORT" 1048576 2>&1) &&
	pass "vlan: 1 MiB each way through the VLAN, byte for byte: $out" ||
	fail "vlan: transfer through the VLAN: $out"

# forged final ACKs, tagged, to the VLAN address: dropped in XDP
stat_snap
nsc "$SYSPY" - "$E2E_CIF.100" "$V4S" "$PORT" 100 <<'PY'
import sys, random
from scapy.config import conf
from scapy.layers.inet import IP, TCP
from scapy.sendrecv import send
conf.verb = 0
dev, dst, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
send([IP(dst=dst) / TCP(sport=random.randint(1024, 32767), dport=port, flags="A",
      seq=random.getrandbits(32), ack=random.getrandbits(32)) for _ in range(n)], iface=dev)
PY
sleep 0.5
n=$(stat_delta xdp_drop_bad_ack)
[ "$n" -eq 100 ] && pass "vlan: 100 forged ACKs through the VLAN dropped in XDP" ||
	fail "vlan: forged ACKs through the VLAN: xdp_drop_bad_ack moved by $n; $(sw_stats_line)"

nss "$SW_LOADER" detach "$E2E_SIF" >/dev/null 2>&1 || fail "vlan: detach"
[ -z "$E2E_FAILED" ]
