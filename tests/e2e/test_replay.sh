#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End to end: replay of a captured final ACK after its connection closed
# (SECURITY.md, "Replay within the age window").
#
# A real connection (tcpprobe client, a small server below) through
# synwall; its final handshake ACK captured at the client (tcpdump); the
# connection closed on both ends and the server's socket gone (ss).  Then
# the captured ACK, byte for byte, is sent again:
#   1. with the cookie clock moved past the cookie lifetime (config.
#      fixed_time = now + 300 s, no sleeping): dropped in XDP
#      (xdp_drop_bad_ack +1), no handoff, no socket;
#   2. within the lifetime, while the client still holds the 4-tuple in
#      TIME_WAIT: handed off again (tc_handoff_ok +1), the server's kernel
#      creates an established socket the application accepts; the
#      client's TIME_WAIT answers the server's segments with ACKs of its
#      old connection, never a RST (tcp_timewait_state_process: an
#      out-of-window segment is ACKed and restarts the 60 s TIME_WAIT), so
#      the phantom socket lives on, retransmitting;
#   3. within the lifetime, the client's socket gone (no TIME_WAIT:
#      tcp_max_tw_buckets=0 in the client namespace): handed off again,
#      and the client's kernel answers the server's next segment with a
#      RST, so the phantom socket dies (ECONNRESET).
# The server application writes its "next segment" ("HELLO") after 1 s
# without a request, as a server with a banner or an idle timeout would.
#
# Prints PASS:/FAIL:/SKIP: lines (tests/run.sh) and "  #" notes.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
lab_init "$@"

PORT=8080
E2E_FAILED=

if ! has_handoff_kfunc; then
	skip "replay: kernel $(uname -r) lacks the kfunc bpf_sk_assign_tcp_reqsk (Linux >= 6.9)"
	exit 0
fi
[ -f "$SW_OBJ" ] || die "replay: $SW_OBJ not built (make)"
lab_build || die "replay: building the e2e helpers failed"
lab_up || die "replay: lab setup failed"
nss sysctl -qw net.ipv4.tcp_syncookies=1

# ---- the server: one line per event in $SRVLOG --------------------------
SRVLOG=$E2E_TMP/server.log
cat >"$E2E_TMP/server.py" <<'EOF'
import socket, sys, threading, time
addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
ls = socket.socket(fam, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(16)
t0 = time.monotonic()
lk = threading.Lock()
def say(peer, what):
    with lk, open(log, "a") as f:
        f.write("%d %s %.3f\n" % (peer, what, time.monotonic() - t0))
def serve(c, peer):
    c.settimeout(1.0)
    try:
        line = c.recv(64)
    except socket.timeout:
        line = None
    except OSError as e:
        say(peer, "err_before_data:" + type(e).__name__); c.close(); return
    if line == b"HI\n":
        c.sendall(b"HI\n")
        c.settimeout(5.0)
        try:
            c.recv(64)
        except OSError:
            pass
        say(peer, "normal_close"); c.close(); return
    if line == b"":
        say(peer, "eof_before_data"); c.close(); return
    # nothing asked within 1 s: the server speaks first
    say(peer, "idle_hello")
    try:
        c.sendall(b"HELLO\n")
        c.settimeout(8.0)
        r = c.recv(64)
        say(peer, "eof" if r == b"" else "data")
    except ConnectionResetError:
        say(peer, "reset")
    except socket.timeout:
        say(peer, "timeout")
    except OSError as e:
        say(peer, "error:" + type(e).__name__)
    c.close()
while True:
    c, a = ls.accept()
    say(a[1], "accept")
    threading.Thread(target=serve, args=(c, a[1]), daemon=True).start()
EOF
bgs "$SYSPY" "$E2E_TMP/server.py" "$S4" "$PORT" "$SRVLOG"
for _ in $(seq 50); do
	[ "$(nss ss -Hltn "sport = :$PORT" | wc -l)" -ge 1 ] && break
	sleep 0.1
done

sw_attach "$PORT" || die "replay: attach ($SW_MODE) failed"
info "synwall attached with $SW_MODE, pins in $SW_PIN"

# set_fixed_time T: config.fixed_time = T, every other byte kept (the raw
# value from bpftool, fixed_time at offset 12: mss4, mss6, window, wscale,
# ttl, flags come first), so later fields of the config need no change here
set_fixed_time() {
	local v
	v=$(bpftool -j map dump pinned "$SW_PIN/config" | "$SYSPY" -c '
import json, struct, sys
b = bytearray(int(x, 16) for x in json.load(sys.stdin)[0]["value"])
b[12:16] = struct.pack("<I", int(sys.argv[1]))
print(" ".join("%02x" % x for x in b))' "$1") || return 1
	sw_map_update config 0 "$v"
}
tai_now() { "$SYSPY" -c 'import time; print(int(time.clock_gettime(time.CLOCK_TAI)))'; }

# real_conn NAME: one tcpprobe connection (HI round trip, client closes
# first), its packets to the server captured at the client; writes
# $E2E_TMP/NAME.ack (the final ACK, hex) and prints "sport=P".
real_conn() {
	local name=$1 cap=$E2E_TMP/$1.pcap pid out
	bgc tcpdump -i "$E2E_CIF" --immediate-mode -nn -U -w "$cap" \
		"ip and tcp dst port $PORT" 2>"$E2E_TMP/$name.tcpdump.err"
	pid=${E2E_PIDS[-1]}
	for _ in $(seq 50); do grep -q listening "$E2E_TMP/$name.tcpdump.err" && break; sleep 0.1; done
	out=$(nsc timeout 10 "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 1 2>&1) || {
		kill -INT "$pid" 2>/dev/null
		echo "error=tcpprobe:$out"
		return 1
	}
	sleep 0.3
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	"$SYSPY" - "$cap" "$E2E_TMP/$name.ack" <<'EOF'
import sys
from scapy.packet import Raw
from scapy.layers.inet import TCP
from scapy.utils import rdpcap
syn = None
for p in rdpcap(sys.argv[1]):
    t = p[TCP]
    if t.flags == "S":
        syn = t
    elif syn is not None and t.sport == syn.sport and t.flags == "A" and len(t.payload) == 0:
        open(sys.argv[2], "w").write(bytes(p).hex())
        print("sport=%d isn=%d cookie=%d" % (t.sport, syn.seq, t.ack - 1))
        sys.exit(0)
print("error=no_final_ack")
sys.exit(1)
EOF
}

# replay NAME: the captured final ACK, sent again from the client side,
# the same bytes with the checksums the wire had
replay() {
	nsc "$SYSPY" - "$E2E_CIF" "$E2E_TMP/$1.ack" <<'EOF'
import sys
from scapy.config import conf
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, TCP
from scapy.sendrecv import sendp
conf.verb = 0
p = Ether(bytes.fromhex(open(sys.argv[2]).read()))
# captured before the veth's checksum offload filled it in: the wire
# (what an on-path observer records) carries the whole checksum
del p[IP].chksum
del p[TCP].chksum
sendp(Ether(bytes(p)), iface=sys.argv[1])
EOF
}

# mib_all NS: every netstat/snmp counter of a namespace, "Name value" lines
mib_all() {
	nsenter --net=/run/netns/"$1" cat /proc/net/netstat /proc/net/snmp | awk '
		$1 ~ /:$/ { p = substr($1, 1, length($1) - 1)
			if (!(p in hdr)) { hdr[p] = $0; next }
			n = split(hdr[p], h); for (i = 2; i <= n; i++) print p h[i], $i }' | sort
}
# mib_moved FILE NS: the counters that moved since FILE (mib_all output)
mib_moved() {
	join "$1" <(mib_all "$2") | awk '$2 != $3 { printf "%s%s+%d", s, $1, $3 - $2; s = " " }'
}
srv_sockets() { nss ss -Htan "( sport = :$PORT and dport = :$1 )" | grep -vc LISTEN; }
srv_states() { nss ss -Htan "( sport = :$PORT and dport = :$1 )" | awk '{ printf "%s%s", s, $1; s = "," }'; }
cli_tw() { nsc ss -Htan state time-wait "( dport = :$PORT and sport = :$1 )" | wc -l; }
events() { awk -v p="$1" '$1 == p { printf "%s%s@%ss", s, $2, $3; s = " " }' "$SRVLOG"; }
# wait_gone SPORT: until the server holds no socket of the 4-tuple (<= 5 s)
wait_gone() {
	for _ in $(seq 50); do
		[ "$(srv_sockets "$1")" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# ==== 1. a real connection, closed; its final ACK replayed too late =====
conn=$(real_conn c1) || die "replay: first connection: $conn"
sport=${conn#sport=} sport=${sport%% *}
if wait_gone "$sport" && [ "$(cli_tw "$sport")" -eq 1 ]; then
	pass "real connection through synwall closed ($conn, server: $(events "$sport")): no server socket left, the client holds TIME_WAIT"
else
	fail "first connection did not close cleanly: server sockets=$(srv_states "$sport") client TIME_WAIT=$(cli_tw "$sport")"
fi

# and nothing answers it: no RST (SECURITY.md, "Silent drop")
CAP1=$E2E_TMP/c1.late.pcap
bgc tcpdump -i "$E2E_CIF" --immediate-mode -nn -U -w "$CAP1" "ip and tcp src port $PORT" 2>"$E2E_TMP/c1.late.err"
DUMP=${E2E_PIDS[-1]}
for _ in $(seq 50); do grep -q listening "$E2E_TMP/c1.late.err" && break; sleep 0.1; done
stat_snap
passive0=$(ns_mib "$E2E_SNS" TcpPassiveOpens)
set_fixed_time $(($(tai_now) + 300)) || fail "replay: setting config.fixed_time failed"
replay c1
sleep 0.5
kill -INT "$DUMP" 2>/dev/null
wait "$DUMP" 2>/dev/null
answers=$(tcpdump -r "$CAP1" -nn 2>/dev/null | wc -l)
d=$(stat_delta xdp_drop_bad_ack) h=$(stat_delta tc_handoff_ok)
passive=$(($(ns_mib "$E2E_SNS" TcpPassiveOpens) - passive0))
[ "$d" -eq 1 ] && [ "$h" -eq 0 ] && [ "$passive" -eq 0 ] && [ "$(srv_sockets "$sport")" -eq 0 ] && [ "$answers" -eq 0 ] &&
	pass "final ACK replayed 300 s later (config.fixed_time): dropped in XDP (xdp_drop_bad_ack +1), no handoff, no socket, no RST or other answer" ||
	fail "replay after the lifetime: xdp_drop_bad_ack +$d tc_handoff_ok +$h passive_opens +$passive server sockets=$(srv_states "$sport") answers=$answers"
set_fixed_time 0 || fail "replay: clearing config.fixed_time failed"

# ==== 2. replayed within the lifetime, the client in TIME_WAIT ==========
CAP2=$E2E_TMP/c1.after.pcap
bgc tcpdump -i "$E2E_CIF" --immediate-mode -nn -U -w "$CAP2" "ip and tcp port $PORT and tcp port $sport" 2>"$E2E_TMP/c1.after.err"
DUMP=${E2E_PIDS[-1]}
for _ in $(seq 50); do grep -q listening "$E2E_TMP/c1.after.err" && break; sleep 0.1; done
stat_snap
passive0=$(ns_mib "$E2E_SNS" TcpPassiveOpens)
lines0=$(wc -l <"$SRVLOG")
mib_all "$E2E_SNS" >"$E2E_TMP/mib.s"
mib_all "$E2E_CNS" >"$E2E_TMP/mib.c"
replay c1
sleep 0.3
h=$(stat_delta tc_handoff_ok) d=$(stat_delta xdp_drop_bad_ack)
passive=$(($(ns_mib "$E2E_SNS" TcpPassiveOpens) - passive0))
st=$(srv_states "$sport")
info "TIME_WAIT replay, server MIBs moved: $(mib_moved "$E2E_TMP/mib.s" "$E2E_SNS"); client: $(mib_moved "$E2E_TMP/mib.c" "$E2E_CNS")"
if [ "$h" -eq 1 ] && [ "$d" -eq 0 ] && [ "$passive" -eq 1 ] && [ -n "$st" ]; then
	pass "final ACK replayed within the lifetime, client in TIME_WAIT: handed off again (tc_handoff_ok +1, TcpPassiveOpens +1), server socket $st"
else
	fail "replay within the lifetime (TIME_WAIT): tc_handoff_ok +$h xdp_drop_bad_ack +$d passive_opens +$passive server sockets=$st ($(sw_stats_line))"
fi
# the application's view, then the socket's fate (HELLO at ~1 s, the
# server reads for 8 s, then closes)
sleep 2
st2=$(srv_states "$sport") tw2=$(cli_tw "$sport")
for _ in $(seq 100); do
	grep -Eq "^$sport (reset|eof|data|timeout|error)" <(tail -n +$((lines0 + 1)) "$SRVLOG") && break
	sleep 0.1
done
outcome=$(tail -n +$((lines0 + 1)) "$SRVLOG" | awk -v p="$sport" '$1 == p && $2 != "accept" && $2 != "idle_hello" { print $2; exit }')
sleep 1
st3=$(srv_states "$sport")
kill -INT "$DUMP" 2>/dev/null
wait "$DUMP" 2>/dev/null
flow=$(tcpdump -r "$CAP2" -nn 2>/dev/null | "$SYSPY" -c '
import re, sys
port = sys.argv[1]
out = []
for l in sys.stdin:
    m = re.search(r"IP \S+\.(\d+) > \S+\.(\d+): Flags \[([^]]*)\][^,]*(?:, seq ([0-9:]+))?(?:, ack (\d+))?.*length (\d+)", l)
    if not m:
        continue
    d = "c>s" if m.group(2) == port else "s>c"
    out.append("%s[%s]len%s" % (d, m.group(3), m.group(6)))
print(" ".join(out))' "$PORT")
n_s2c=$(grep -o 's>c\[[^]]*\]len[0-9]*' <<<"$flow" | wc -l)
n_rst=$(grep -o 'c>s\[R[^]]*\]' <<<"$flow" | wc -l)
info "TIME_WAIT replay: server events $(events "$sport" | sed "s/^.*normal_close@[0-9.]*s //"); server socket at +2 s: ${st2:-none}, at the end: ${st3:-none}; client TIME_WAIT kept: $tw2"
info "TIME_WAIT replay: segments at the client after the replay: $flow"
if [ "$outcome" = timeout ] && [ "$n_rst" -eq 0 ] && [ "$n_s2c" -ge 2 ]; then
	pass "replay while the client holds TIME_WAIT: the client answers each of the server's $n_s2c segments with an ACK of its old connection, never a RST; the application waits out its 8 s timeout, the socket lingers (${st3:-gone}) retransmitting"
else
	fail "replay while the client holds TIME_WAIT: server outcome '$outcome', RSTs from the client $n_rst, flow: $flow"
fi
rm -f "$CAP2"

# ==== 3. replayed within the lifetime, the client's socket gone =========
nsc sysctl -qw net.ipv4.tcp_max_tw_buckets=0
conn=$(real_conn c2) || die "replay: second connection: $conn"
sport=${conn#sport=} sport=${sport%% *}
if wait_gone "$sport" && [ "$(cli_tw "$sport")" -eq 0 ] &&
	[ "$(nsc ss -Htan "( dport = :$PORT and sport = :$sport )" | wc -l)" -eq 0 ]; then
	pass "second real connection closed ($conn): no socket of the 4-tuple on either end (client tcp_max_tw_buckets=0)"
else
	fail "second connection: server sockets=$(srv_states "$sport") client: $(nsc ss -Htan "( sport = :$sport )")"
fi
stat_snap
passive0=$(ns_mib "$E2E_SNS" TcpPassiveOpens)
lines0=$(wc -l <"$SRVLOG")
mib_all "$E2E_SNS" >"$E2E_TMP/mib.s"
replay c2
sleep 0.3
h=$(stat_delta tc_handoff_ok)
passive=$(($(ns_mib "$E2E_SNS" TcpPassiveOpens) - passive0))
st=$(srv_states "$sport")
info "replay without client socket, server MIBs moved: $(mib_moved "$E2E_TMP/mib.s" "$E2E_SNS")"
for _ in $(seq 100); do
	grep -Eq "^$sport (reset|eof|data|timeout|error)" <(tail -n +$((lines0 + 1)) "$SRVLOG") && break
	sleep 0.1
done
outcome=$(tail -n +$((lines0 + 1)) "$SRVLOG" | awk -v p="$sport" '$1 == p && $2 != "accept" && $2 != "idle_hello" { print $2; exit }')
acc=$(tail -n +$((lines0 + 1)) "$SRVLOG" | awk -v p="$sport" '$1 == p && $2 == "accept" { print $3 }')
rst=$(tail -n +$((lines0 + 1)) "$SRVLOG" | awk -v p="$sport" '$1 == p && $2 == "reset" { print $3 }')
# On a slow machine (a TCG guest) the socket can already be reset when ss
# looks; the server's accept of it is the same proof that it existed.
[ -z "$st" ] && [ -n "$acc" ] && st="accepted-then-reset"
if [ "$h" -eq 1 ] && [ "$passive" -eq 1 ] && [ -n "$st" ] && [ "$outcome" = reset ] && wait_gone "$sport"; then
	pass "replay with the client's socket gone: handed off (tc_handoff_ok +1, server socket $st, accepted), the server's next segment is answered with a RST: ECONNRESET $(awk "BEGIN { printf \"%.2f\", $rst - $acc }") s after accept, socket gone"
else
	fail "replay, client socket gone: tc_handoff_ok +$h passive_opens +$passive server sockets=$st outcome '$outcome' (events: $(events "$sport"))"
fi
nsc sysctl -qw net.ipv4.tcp_max_tw_buckets=262144

sw_detach >/dev/null 2>&1
[ -z "$E2E_FAILED" ]
