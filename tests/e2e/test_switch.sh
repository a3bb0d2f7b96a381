#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Issue 11, no handshake lost at a switch (veth lab, --cookies flood):
#   1. kernel_cookie_across_switch_v4/v6: the server kernel issues its own
#      SYN cookies (listener backlog 4 via somaxconn, its SYN queue filled
#      by spoofed SYNs that never complete, tcp_syncookies=1) while synwall
#      passes SYNs (a high --flood-on); synwall then switches to cookies
#      (`synwall config --cookies always`) between the kernel's cookie
#      SYN-ACK and the client's final ACK (an nft rule in the client
#      namespace drops the client's non-SYN segments until the switch; the
#      client retransmits its request, whose ACK then carries the cookie):
#      it passes (xdp_pass_kernel_cookie), the kernel accepts it
#      (TcpExtSyncookiesRecv) and the connect and its round trip succeed.
#   2. legit_across_both_switches: connects (sequential and concurrent) run
#      without pause while a bounded SYN flood switches synwall to cookies
#      and, 2 s (--flood-hold) after it ends, back: 0 failures, the
#      switch counter +1 (it counts pass-through -> cookies), both states
#      seen, connects answered by both the kernel and synwall.
# Kernel cookie *rejection* is not asserted: on a freshly booted machine
# the kernel's own cookie checks are lenient (DESIGN.md).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
E2E_CNS=sww-c$$
E2E_SNS=sww-s$$
E2E_CIF=swwc$$
E2E_SIF=swws$$
lab_init "$@"
source "$(dirname "$0")/flood.sh"
trap 'swf_flood_stop; lab_cleanup' EXIT

PORT=8080
E2E_FAILED=
if ! has_handoff_kfunc; then
	skip "switch: kernel $(uname -r) lacks the kfunc bpf_sk_assign_tcp_reqsk"
	exit 0
fi
[ -x "$SW_LOADER" ] || die "switch: $SW_LOADER not built (make)"
lab_build || die "switch: building the e2e helpers failed"
lab_up || die "switch: lab setup failed"
SW_PIN=/sys/fs/bpf/synwall/$E2E_SIF
num() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" <<<"$2" | head -1; }

# ==== 1. the kernel's own cookies across the switch =======================
nss sysctl -qw net.ipv4.tcp_syncookies=1 net.core.somaxconn=4
# SYN-ACKs to the spoofed sources go to the client namespace, which does
# not forward them: those request sockets stay and fill the SYN queue
nss ip route add 10.204.0.0/16 via "$C4"
nss ip -6 route add fd00:204::/64 via "$C6"
bgs "$E2E_OUT/tcpprobe" server "$S4" "$PORT" >/dev/null
bgs "$E2E_OUT/tcpprobe" server "$S6" "$PORT" >/dev/null
sleep 0.3
nss "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" --flood-on 10000000 >/dev/null 2>&1 ||
	die "switch: attach (flood mode, --flood-on 10000000) failed"
for fam in 4 6; do
	dst=$S4 kind=syn4
	[ $fam = 6 ] && dst=$S6 kind=syn6
	nss "$SW_LOADER" config "$E2E_SIF" --cookies flood >/dev/null
	swf_flood_start "$kind" 64 "$PORT" 1000
	swf_flood_wait
	sleep 0.2
	s0=$(ns_mib "$E2E_SNS" TcpExtSyncookiesSent) r0=$(ns_mib "$E2E_SNS" TcpExtSyncookiesRecv)
	q0=$(stat1 xdp_pass_kernel_cookie) t0=$(stat1 xdp_tx_synack)
	nsc nft add table inet swhold &&
		nsc nft add chain inet swhold out '{ type filter hook output priority 0; }' &&
		nsc nft add rule inet swhold out tcp dport "$PORT" 'tcp flags & syn == 0' drop ||
		fail "kernel_cookie_across_switch_v$fam: nft rule"
	nsc timeout 20 "$E2E_OUT/tcpprobe" seq "$dst" "$PORT" 1 >"$E2E_TMP/kc.out" 2>&1 &
	cpid=$!
	# connect() returns on the cookie SYN-ACK; the final ACK and the
	# request are held back until synwall answers SYNs itself
	sleep 0.5
	s1=$(ns_mib "$E2E_SNS" TcpExtSyncookiesSent) q1=$(stat1 xdp_pass_kernel_cookie)
	nss "$SW_LOADER" config "$E2E_SIF" --cookies always >/dev/null
	st=$(nss "$SW_LOADER" status "$E2E_SIF" | grep 'cookies:')
	nsc nft delete table inet swhold
	wait $cpid
	rc=$?
	out=$(cat "$E2E_TMP/kc.out")
	dq=$(($(stat1 xdp_pass_kernel_cookie) - q0)) dt=$(($(stat1 xdp_tx_synack) - t0))
	ds=$((s1 - s0)) dr=$(($(ns_mib "$E2E_SNS" TcpExtSyncookiesRecv) - r0))
	if [ $rc -eq 0 ] && [ "$ds" -ge 1 ] && [ "$q1" -eq "$q0" ] && [ "$dq" -ge 1 ] && [ "$dr" -ge 1 ] && [ "$dt" -eq 0 ] &&
		grep -q 'always' <<<"$st"; then
		pass "kernel_cookie_across_switch_v$fam: the kernel's cookie SYN-ACK (TcpExtSyncookiesSent +$ds) before the switch, its final ACK held back (xdp_pass_kernel_cookie +$((q1 - q0)) before the switch) passed after it (xdp_pass_kernel_cookie +$dq, TcpExtSyncookiesRecv +$dr), connect ok ($out)"
	else
		fail "kernel_cookie_across_switch_v$fam: rc=$rc $out; SyncookiesSent +$ds before the switch, xdp_pass_kernel_cookie +$dq, SyncookiesRecv +$dr, xdp_tx_synack +$dt; $st ($(sw_stats_line))"
	fi
done
nss "$SW_LOADER" detach "$E2E_SIF" >/dev/null 2>&1
for p in "${E2E_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
E2E_PIDS=()

# ==== 2. legit connects in flight across both switches ====================
nss sysctl -qw net.core.somaxconn=4096
nss ip route del 10.204.0.0/16 via "$C4"
bgs "$E2E_OUT/tcpprobe" server "$S4" "$PORT" >/dev/null
sleep 0.3
nss "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" --flood-hold 2 >/dev/null 2>&1 ||
	die "switch: attach (default mode, --flood-hold 2) failed"
STOP=$E2E_TMP/stop
legit() { # KIND N: rounds until $STOP exists, one result line each
	while [ ! -e "$STOP" ]; do
		nsc timeout 30 "$E2E_OUT/tcpprobe" "$1" "$S4" "$PORT" "$2"
		sleep 0.05
	done
}
legit seq 20 >"$E2E_TMP/seq.out" 2>&1 &
lp1=$!
legit conc 20 >"$E2E_TMP/conc.out" 2>&1 &
lp2=$!
E2E_PIDS+=($lp1 $lp2)
seen_states=
watch_state() {
	local s
	s=$(nss "$SW_LOADER" status "$E2E_SIF" | grep -o 'COOKIES\|pass-through' | head -1)
	case " $seen_states " in *" $s "*) ;; *) seen_states+=" $s" ;; esac
}
sleep 1
watch_state # pass-through before the flood
sw0=$(nss "$SW_LOADER" stats "$E2E_SIF" --json | grep -o '"switches":[0-9]*' | cut -d: -f2)
k0=$(stat1 xdp_pass_syn_kernel) h0=$(stat1 tc_handoff_ok) t0=$(stat1 xdp_tx_synack)
swf_flood_start syn4 120000 "$PORT" 40000
in_cookies() { watch_state; [[ $seen_states == *COOKIES* ]]; }
wait_for 15 in_cookies || info "no switch to cookies yet: $(tail -3 "$E2E_TMP"/flood-*.log 2>/dev/null)"
swf_flood_wait
back() { watch_state; nss "$SW_LOADER" status "$E2E_SIF" | grep -q pass-through; }
wait_for 10 back || info "not back to pass-through 10 s after the flood"
sleep 1
touch "$STOP"
wait $lp1 $lp2
k1=$(stat1 xdp_pass_syn_kernel) h1=$(stat1 tc_handoff_ok) t1=$(stat1 xdp_tx_synack)
sw1=$(nss "$SW_LOADER" stats "$E2E_SIF" --json | grep -o '"switches":[0-9]*' | cut -d: -f2)
ok=0 bad=0
while read -r l; do
	ok=$((ok + $(num ok "$l"))) bad=$((bad + $(num fail "$l")))
done < <(grep -h '^ok=' "$E2E_TMP/seq.out" "$E2E_TMP/conc.out")
junk=$(grep -hv '^ok=' "$E2E_TMP/seq.out" "$E2E_TMP/conc.out" | head -2)
lat=$(grep -h '^ok=' "$E2E_TMP/seq.out" | tail -1)
if [ "$bad" -eq 0 ] && [ "$ok" -ge 100 ] && [ -z "$junk" ] && [ $((sw1 - sw0)) -eq 1 ] &&
	[[ $seen_states == *COOKIES* ]] && [[ $seen_states == *pass-through* ]] &&
	nss "$SW_LOADER" status "$E2E_SIF" | grep -q pass-through && [ $((h1 - h0)) -ge 1 ]; then
	pass "legit_across_both_switches: $ok connects, 0 failed; switches $sw0 -> $sw1, states seen:$seen_states; kernel-answered SYNs +$((k1 - k0)), synwall handoffs +$((h1 - h0)), xdp_tx_synack +$((t1 - t0)) (last seq: $lat)"
else
	fail "legit_across_both_switches: ok=$ok fail=$bad ${junk:+[$junk] }switches $sw0 -> $sw1 states:$seen_states handoffs +$((h1 - h0)); $(nss "$SW_LOADER" status "$E2E_SIF" | grep cookies:)"
fi
nss "$SW_LOADER" detach "$E2E_SIF" >/dev/null 2>&1
[ -z "$E2E_FAILED" ]
