#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Issue 11 in a veth lab, the loader's default mode (--cookies flood):
#   1. no flood: 50 connects are answered by the kernel (xdp_tx_synack
#      does not move, xdp_pass_syn_kernel does), status says pass-through;
#   2. a bounded trafgen SYN flood: synwall switches to cookies, answers the
#      flood, and legit connects made during it all succeed;
#   3. after the hold time (2 s here) without flood synwall answers none
#      again: the next 20 connects are the kernel's; stats shows 1 switch.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
E2E_CNS=swa-c$$
E2E_SNS=swa-s$$
E2E_CIF=swac$$
E2E_SIF=swas$$
lab_init "$@"
source "$(dirname "$0")/flood.sh"
trap 'swf_flood_stop; lab_cleanup' EXIT

PORT=8080
E2E_FAILED=
if ! has_handoff_kfunc; then
	skip "adaptive: kernel $(uname -r) lacks the kfunc bpf_sk_assign_tcp_reqsk"
	exit 0
fi
[ -x "$SW_LOADER" ] || die "adaptive: $SW_LOADER not built (make)"
lab_build || die "adaptive: building the e2e helpers failed"
lab_up || die "adaptive: lab setup failed"
nss sysctl -qw net.ipv4.tcp_syncookies=1
bgs "$E2E_OUT/tcpprobe" server "$S4" "$PORT" >/dev/null
sleep 0.3
SW_PIN=/sys/fs/bpf/synwall/$E2E_SIF
nss "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" --flood-hold 2 >/dev/null 2>&1 ||
	die "adaptive: attach (default mode) failed"

# ---- 1. no flood ----------------------------------------------------------
t0=$(stat1 xdp_tx_synack) k0=$(stat1 xdp_pass_syn_kernel)
out=$(nsc timeout 60 "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 50)
ok=$(sed -n 's/^ok=\([0-9]*\).*/\1/p' <<<"$out")
dt=$(($(stat1 xdp_tx_synack) - t0)) dk=$(($(stat1 xdp_pass_syn_kernel) - k0))
st=$(nss "$SW_LOADER" status "$E2E_SIF" | grep 'cookies:')
if [ "${ok:-0}" -eq 50 ] && [ "$dt" -eq 0 ] && [ "$dk" -ge 50 ] && grep -q pass-through <<<"$st"; then
	pass "no_flood_kernel_answers: 50 connects ok, xdp_tx_synack +0, xdp_pass_syn_kernel +$dk; status: $(sed 's/^ *//' <<<"$st")"
else
	fail "no_flood_kernel_answers: $out; xdp_tx_synack +$dt xdp_pass_syn_kernel +$dk; $st"
fi

# ---- 2. a flood -----------------------------------------------------------
t0=$(stat1 xdp_tx_synack)
swf_flood_start syn4 400000 "$PORT" 40000
flooding() { [ $(($(stat1 xdp_tx_synack) - t0)) -gt 2000 ]; }
wait_for 15 flooding || info "the flood is slow to arrive: $(cat "$E2E_TMP"/flood-*.log 2>/dev/null | tail -3)"
h0=$(stat1 tc_handoff_ok)
out=$(nsc timeout 60 "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 50)
ok=$(sed -n 's/^ok=\([0-9]*\).*/\1/p' <<<"$out")
dh=$(($(stat1 tc_handoff_ok) - h0)) dt=$(($(stat1 xdp_tx_synack) - t0))
st=$(nss "$SW_LOADER" status "$E2E_SIF" | grep 'cookies:')
if [ "${ok:-0}" -eq 50 ] && [ "$dt" -gt 2000 ] && grep -q COOKIES <<<"$st"; then
	pass "flood_cookies: synwall answered the flood (xdp_tx_synack +$dt), 50 legit connects ok during it ($dh handed off); status: $(sed 's/^ *//' <<<"$st")"
else
	fail "flood_cookies: $out; xdp_tx_synack +$dt tc_handoff_ok +$dh; $st"
fi
swf_flood_stop

# ---- 3. after the hold time ----------------------------------------------
sleep 3
t0=$(stat1 xdp_tx_synack) k0=$(stat1 xdp_pass_syn_kernel)
out=$(nsc timeout 60 "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 20)
ok=$(sed -n 's/^ok=\([0-9]*\).*/\1/p' <<<"$out")
dt=$(($(stat1 xdp_tx_synack) - t0)) dk=$(($(stat1 xdp_pass_syn_kernel) - k0))
j=$(nss "$SW_LOADER" stats "$E2E_SIF" --json)
if [ "${ok:-0}" -eq 20 ] && [ "$dt" -eq 0 ] && [ "$dk" -ge 20 ] &&
	grep -q '"state":"pass-through","switches":1' <<<"$j"; then
	pass "after_hold_kernel_again: 20 connects ok, xdp_tx_synack +0; stats: $(grep -o '"cookies":{[^}]*}' <<<"$j")"
else
	fail "after_hold_kernel_again: $out; xdp_tx_synack +$dt xdp_pass_syn_kernel +$dk; $(grep -o '"cookies":{[^}]*}' <<<"$j")"
fi
p=$(nss "$SW_LOADER" stats "$E2E_SIF" --prometheus | grep -c '^synwall_cookie_')
[ "$p" -eq 3 ] && pass "prometheus_mode_metrics: synwall_cookie_mode/switches/seconds present" ||
	fail "prometheus_mode_metrics: $p of 3 lines"
nss "$SW_LOADER" detach "$E2E_SIF" >/dev/null 2>&1
[ -z "$E2E_FAILED" ]
