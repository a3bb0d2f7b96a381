#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Issue 11, options without timestamps, for real (veth lab, --cookies
# always, every SYN answered by synwall's cookie):
#   1. window_above_64k_v4/v6: a Linux client with tcp_timestamps=0 moves
#      8 MiB through an echo connection; SACK is on and timestamps off
#      (the client's TCP_INFO: ss 6.1 shows neither on this kernel; the
#      server's TCP_INFO for this case is in test_handoff.sh), and on the
#      server's socket (ss -ti) the send window scale is the client's (from
#      the cookie) and snd_wnd is above 64 KiB: the client's window scale
#      survived the cookie.  Without it the window stops at 65535.
#   2. raw_<profile>_v4/v6 (scapy): Windows-like (MSS, NOP, WS 8, NOP, NOP,
#      SACK), macOS-like (MSS, NOP, WS 6, NOP, NOP, TS, SACK, EOL), Linux
#      without timestamps (MSS, NOP, NOP, SACK, NOP, WS 7) and option-less
#      SYNs: the SYN-ACK carries WS and SACK-permitted exactly when offered,
#      the final ACK is handed off (tc_handoff_ok) and a request ("HI")
#      gets its answer from the server's socket.
# (TCP_INFO of a no-timestamp connection: tests/e2e/test_handoff.sh; the
#  encoding itself, every profile: tests/test_adaptive.c.)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
E2E_CNS=swn-c$$
E2E_SNS=swn-s$$
E2E_CIF=swnc$$
E2E_SIF=swns$$
lab_init "$@"

PORT=8080
E2E_FAILED=
if ! has_handoff_kfunc; then
	skip "nots: kernel $(uname -r) lacks the kfunc bpf_sk_assign_tcp_reqsk"
	exit 0
fi
"$SYSPY" -c 'import scapy.layers.inet' 2>/dev/null || { skip "nots: $SYSPY has no scapy"; exit 0; }
[ -x "$SW_LOADER" ] || die "nots: $SW_LOADER not built (make)"
lab_build || die "nots: building the e2e helpers failed"
lab_up || die "nots: lab setup failed"
bgs "$E2E_OUT/tcpprobe" server "$S4" "$PORT" >/dev/null
bgs "$E2E_OUT/tcpprobe" server "$S6" "$PORT" >/dev/null
sleep 0.3
SW_PIN=/sys/fs/bpf/synwall/$E2E_SIF
nss "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" --cookies always >/dev/null 2>&1 ||
	die "nots: attach --cookies always failed"
export E2E_SNS PORT

# ==== 1. a transfer without timestamps: window above 64 KiB ===============
nsc sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_sack=1
for fam in 4 6; do
	dst=$S4
	[ $fam = 6 ] && dst=$S6
	t0=$(stat1 xdp_tx_synack) h0=$(stat1 tc_handoff_ok)
	# echo 8 MiB, then (connection still open) the server socket's ss line
	sl=$(nsc timeout 60 "$SYSPY" - "$dst" <<'EOF' 2>&1
import os, socket, subprocess, sys, threading
dst, port = sys.argv[1], int(os.environ["PORT"])
s = socket.create_connection((dst, port), timeout=10)
s.sendall(b"PING\n")
N = 8 << 20
got = [0]
def rd():
    while got[0] < N:
        b = s.recv(1 << 20)
        if not b:
            break
        got[0] += len(b)
t = threading.Thread(target=rd); t.start()
buf = b"x" * 65536
for _ in range(N // len(buf)):
    s.sendall(buf)
t.join(30)
ss = subprocess.run(["nsenter", "--net=/run/netns/" + os.environ["E2E_SNS"], "ss", "-Htin",
                     "state", "established", "( sport = :%d )" % port],
                    capture_output=True, text=True).stdout
import struct
opt = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[5]  # tcpi_options
print("echoed=%d client_ts=%d client_sack=%d %s" % (got[0], opt & 1, (opt >> 1) & 1, " ".join(ss.split())))
s.close()
EOF
	)
	dt=$(($(stat1 xdp_tx_synack) - t0)) dh=$(($(stat1 tc_handoff_ok) - h0))
	wnd=$(grep -o 'snd_wnd:[0-9]*' <<<"$sl" | cut -d: -f2)
	ws=$(grep -o 'wscale:[0-9]*,[0-9]*' <<<"$sl" | cut -d: -f2)
	if grep -q "echoed=$((8 << 20)) " <<<"$sl" && [ "$dt" -eq 1 ] && [ "$dh" -eq 1 ] &&
		grep -q 'client_ts=0 client_sack=1 ' <<<"$sl" && [ "${ws%,*}" -ge 1 ] 2>/dev/null &&
		[ "${wnd:-0}" -gt 65535 ]; then
		pass "window_above_64k_v$fam: no timestamps, synwall's cookie (xdp_tx_synack +1, handoff +1), 8 MiB echoed, SACK on (client TCP_INFO); server socket (ss): wscale:$ws (snd,rcv), snd_wnd:$wnd"
	else
		fail "window_above_64k_v$fam: xdp_tx_synack +$dt handoff +$dh; $sl"
	fi
done

# ==== 2. raw clients: Windows-, macOS-, Linux-without-TS-like, no options ==
CMAC=$(nsc ip -j link show dev "$E2E_CIF" | "$SYSPY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
SMAC=$(nss ip -j link show dev "$E2E_SIF" | "$SYSPY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
export CMAC SMAC C4 S4 C6 S6 E2E_CIF
# the client kernel owns no socket of these hand-made connections: keep its
# resets (to the SYN-ACK, to the server's ACK of the request) off the wire,
# or one may kill the server's socket before it answers
nsc nft add table inet swraw &&
	nsc nft add chain inet swraw out '{ type filter hook output priority 0; }' &&
	nsc nft add rule inet swraw out tcp sport 24000-24999 'tcp flags & rst != 0' drop ||
	fail "nots: nft rule against the client kernel's resets"
raw() { # PROFILE FAMILY SPORT: one handshake and request; key=value words
	nsc timeout 30 "$SYSPY" - "$@" <<'EOF' 2>&1
import os, random, sys, threading, time
from scapy.config import conf
from scapy.packet import Raw
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.sendrecv import AsyncSniffer, sendp, srp1
conf.verb = 0
E = os.environ
IFACE, PORT = E["E2E_CIF"], int(E["PORT"])
prof, v6, sport = sys.argv[1], sys.argv[2] == "6", int(sys.argv[3])
mss = 1440 if v6 else 1460
TS = ("Timestamp", (123456, 0))
OPTS = {
    "windows": [("MSS", mss), ("NOP", None), ("WScale", 8), ("NOP", None), ("NOP", None), ("SAckOK", b"")],
    "macos": [("MSS", mss), ("NOP", None), ("WScale", 6), ("NOP", None), ("NOP", None), TS, ("SAckOK", b""), ("EOL", None)],
    "linux_nots": [("MSS", mss), ("NOP", None), ("NOP", None), ("SAckOK", b""), ("NOP", None), ("WScale", 7)],
    "nooptions": [],
}[prof]
def frame(**kw):
    l3 = IPv6(src=E["C6"], dst=E["S6"]) if v6 else IP(src=E["C4"], dst=E["S4"])
    return Ether(src=E["CMAC"], dst=E["SMAC"]) / l3 / TCP(sport=sport, dport=PORT, **kw)
isn = random.getrandbits(32)
sa = srp1(frame(flags="S", seq=isn, window=65535, options=OPTS), iface=IFACE, timeout=3)
if sa is None or TCP not in sa or sa[TCP].flags != "SA":
    print("error=no_synack"); sys.exit(1)
o = dict((k, v) for k, v in sa[TCP].options)
has_ws, has_sack, has_ts = "WScale" in o, "SAckOK" in o, "Timestamp" in o
offered = dict((k, v) for k, v in OPTS)
ok = (has_ws == ("WScale" in offered) and has_sack == ("SAckOK" in offered)
      and has_ts == ("Timestamp" in offered))
aopts = [("NOP", None), ("NOP", None), ("Timestamp", (123457, o["Timestamp"][0]))] if has_ts else []
sendp(frame(flags="A", seq=isn + 1, ack=sa[TCP].seq + 1, window=1024, options=aopts), iface=IFACE)
got, seen = [], []
def keep(p):
    seen.append("%s:%d" % (p[TCP].flags, len(p[TCP].payload)))
    if Raw in p:
        got.append(p)
# stop() before the sniffer thread has opened its socket raises (slow
# under TCG): wait until it is sniffing
started = threading.Event()
sn = AsyncSniffer(iface=IFACE, prn=keep, store=False, started_callback=started.set,
                  lfilter=lambda p: TCP in p and p[TCP].sport == PORT and p[TCP].dport == sport)
sn.start()
if not started.wait(20):
    sys.exit("sniffer on %s did not start within 20 s" % IFACE)
time.sleep(0.1)
sendp(frame(flags="PA", seq=isn + 1, ack=sa[TCP].seq + 1, window=1024, options=aopts) / Raw(b"HI\n"),
      iface=IFACE)
for _ in range(30):
    if got:
        break
    time.sleep(0.1)
sn.stop()
reply = bytes(got[0][Raw].load) if got else b""
print("synack_opts=%s ws=%s sack=%d ts=%d options_as_offered=%d reply=%r seen=%s" % (
    ",".join(k for k, _ in sa[TCP].options), o.get("WScale", "-"), has_sack, has_ts, ok, reply,
    ",".join(seen)))
sys.exit(0 if ok and reply.startswith(b"HI") else 1)
EOF
}
sp=24000
for prof in windows macos linux_nots nooptions; do
	for fam in 4 6; do
		sp=$((sp + 1))
		h0=$(stat1 tc_handoff_ok)
		out=$(raw "$prof" "$fam" "$sp")
		rc=$?
		dh=$(($(stat1 tc_handoff_ok) - h0))
		if [ $rc -eq 0 ] && [ "$dh" -eq 1 ]; then
			pass "raw_${prof}_v$fam: handshake handed off, request answered ($out)"
		else
			fail "raw_${prof}_v$fam: rc=$rc tc_handoff_ok +$dh; $(tail -2 <<<"$out") ($(sw_stats_line))"
		fi
	done
done
nss "$SW_LOADER" detach "$E2E_SIF" >/dev/null 2>&1
[ -z "$E2E_FAILED" ]
