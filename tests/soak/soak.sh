#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# `make soak` (not part of `make test`): synwall under a SYN flood
# and an ACK flood while legit clients connect and transfer data, the keys
# rotate every few seconds and the configuration changes live.  Needs root.
#
#   SOAK_SECONDS=180   how long (default 180)
#   SOAK_ROTATE=3      key rotation interval, seconds (default 3)
#   SOAK_CONFIG=5      seconds between live configuration changes (default 5)
#   SOAK_SYN_PPS=20000 SYN flood rate (default 20000 packets/s)
#   SOAK_ACK_PPS=20000 forged-ACK flood rate (default 20000 packets/s)
#   SOAK_SETTLE=65     seconds to wait at the end before the last memory
#                      snapshot (TIME_WAIT sockets live 60 s); 0: none
#
# The floods are rate-limited: on this 2-core machine trafgen flat out takes
# a whole core and the veth receive path runs on the sender's CPU, so an
# unlimited flood measures CPU starvation of the clients, not synwall
# (bench/ measures capacity).  Spoofed sources 10.204.0.0/16.
#
# Legit clients (tests/e2e/tcpprobe, the kernel's own TCP), in loops until
# the end: sequential IPv4 connects (200 per batch) with a round trip each,
# sequential IPv6 connects (100 per batch), 20 concurrent connects at a
# time, and 4 MiB transfers each way checked byte by byte.
# Live changes, in turn: MSS, window scale, window, ECN, an extra port
# added and removed (the legit port always stays protected).
#
# Report (and exit status 0 only with 0 failures): connects attempted and
# succeeded, bytes verified, rotations, configuration changes, flood
# packets handled, and memory before/after (and after SOAK_SETTLE more
# seconds): MemAvailable, Slab, SUnreclaim, the synwall maps (bpftool
# memlock), the rotating loader's RSS, the sockets of both namespaces
# (ss -s; request sockets), and the server kernel's SYN-cookie counters.
#
# Lab: tests/e2e/lib.sh with names prefixed swk (its own namespaces, veth,
# addresses, private bpffs); EXIT trap stops the floods and every process.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../e2e/lib.sh"
E2E_CNS=swk-c$$
E2E_SNS=swk-s$$
E2E_CIF=swkc$$
E2E_SIF=swks$$
lab_init "$@"
source "$HERE/../e2e/flood.sh"
trap 'swf_flood_stop; lab_cleanup' EXIT

SECS=${SOAK_SECONDS:-180}
ROT=${SOAK_ROTATE:-3}
CFG=${SOAK_CONFIG:-5}
SYN_PPS=${SOAK_SYN_PPS:-20000}
ACK_PPS=${SOAK_ACK_PPS:-20000}
SETTLE=${SOAK_SETTLE:-65}
PORT=8080
XFER=$((4 << 20))

log() { echo "soak: $*"; }
[ -x "$SW_LOADER" ] || die "soak: $SW_LOADER not built (make)"
command -v trafgen >/dev/null || die "soak: trafgen missing (netsniff-ng)"
lab_build || die "soak: building the e2e helpers failed"
lab_up || die "soak: lab setup failed"
nss sysctl -qw net.ipv4.tcp_syncookies=1
# The clients close first and open ~1000 connections/s: without reuse their
# TIME_WAIT sockets exhaust the ephemeral ports (EADDRNOTAVAIL) within a
# minute.  Reuse them (RFC 7323 timestamps make it safe), from a wide range.
nsc sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
PIN=/sys/fs/bpf/synwall/$E2E_SIF
SW_PIN=$PIN
L() { nss "$SW_LOADER" "$@"; }

bgs "$E2E_OUT/tcpprobe" server "$S4" "$PORT" >/dev/null
bgs "$E2E_OUT/tcpprobe" server "$S6" "$PORT" >/dev/null
for _ in $(seq 50); do
	[ "$(nss ss -Hltn "sport = :$PORT" | wc -l)" -ge 2 ] && break
	sleep 0.1
done

# ---- memory and state snapshots -----------------------------------------
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
maps_kb() { # memlock of synwall's pinned maps, KiB
	local m s=0 b
	for m in config ports keys stats state; do
		b=$(bpftool -j map show pinned "$PIN/$m" 2>/dev/null |
			"$SYSPY" -c 'import json,sys; print(json.load(sys.stdin).get("bytes_memlock", 0))' 2>/dev/null)
		s=$((s + ${b:-0}))
	done
	echo $((s / 1024))
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status 2>/dev/null || echo -; }
# "TCP: N (estab E, closed C, orphaned O, timewait T)" of a namespace, and
# its request sockets (SYN_RECV: synwall never lets the kernel make one)
socks() { # NSFUNC
	echo "$("$1" ss -s | sed -n 's/^TCP: *\([0-9]*\) (estab \([0-9]*\), closed \([0-9]*\), orphaned \([0-9]*\), timewait \([0-9]*\)).*/total=\1 estab=\2 timewait=\5/p') synrecv=$("$1" ss -Htn state syn-recv | wc -l)"
}
keys_gen() {
	bpftool -j map dump pinned "$PIN/keys" | "$SYSPY" -c '
import json, sys
print(json.load(sys.stdin)[0]["formatted"]["value"]["generation"])'
}
MIBS="TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtSyncookiesFailed TcpExtListenOverflows TcpExtListenDrops"
mibs() { local m; for m in $MIBS; do echo -n "$m=$(ns_mib "$E2E_SNS" "$m") "; done; }

# ---- attach with a rotating loader ---------------------------------------
bgs "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" --rotate "$ROT" \
	--allow-short-rotate >"$E2E_TMP/loader.out" 2>&1
LOADER=${E2E_PIDS[-1]}
for _ in $(seq 100); do [ -e "$PIN/state" ] && [ "$(keys_gen 2>/dev/null || echo 0)" -gt 0 ] && break; sleep 0.1; done
[ -e "$PIN/state" ] || die "soak: attach failed: $(cat "$E2E_TMP/loader.out")"
sleep 1

# warm-up: one of each client, so every allocation path has been taken
nsc timeout 20 "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 50 >/dev/null
nsc timeout 20 "$E2E_OUT/tcpprobe" xfer "$S4" "$PORT" "$XFER" >/dev/null
sleep 1
mem0="MemAvailable=$(meminfo MemAvailable) Slab=$(meminfo Slab) SUnreclaim=$(meminfo SUnreclaim)"
maps0=$(maps_kb) rss0=$(rss_kb "$LOADER") socks0="server: $(socks nss); client: $(socks nsc)" gen0=$(keys_gen)
mibs0=$(mibs)
stat_snap
log "start: $SECS s, rotation every $ROT s, config change every $CFG s, floods $SYN_PPS SYN/s + $ACK_PPS ACK/s"
log "before: $mem0 kB, synwall maps ${maps0} KiB, loader RSS ${rss0} kB, sockets $socks0"

END=$((SECONDS + SECS))
OUT=$E2E_TMP/clients
mkdir -p "$OUT"

# ---- floods, in bounded rounds until the end ----------------------------
flood_loop() {
	while [ $SECONDS -lt $END ]; do
		local left=$((END - SECONDS))
		[ $left -gt 30 ] && left=30
		[ $left -lt 1 ] && break
		swf_flood_start syn4 $((SYN_PPS * left)) "$PORT" "$SYN_PPS"
		swf_flood_start ack4 $((ACK_PPS * left)) "$PORT" "$ACK_PPS"
		swf_flood_wait
	done
}
flood_loop &
FLOOD_LOOP=$!
E2E_PIDS+=("$FLOOD_LOOP")

# ---- legit clients --------------------------------------------------------
client_loop() { # NAME CMD...: repeat CMD until the end, one result line each
	local name=$1
	shift
	while [ $SECONDS -lt $END ]; do
		nsc timeout 60 "$E2E_OUT/tcpprobe" "$@" >>"$OUT/$name" 2>&1 ||
			echo "exit=$?" >>"$OUT/$name.err"
	done
}
CLIENTS=()
client_loop seq4 seq "$S4" "$PORT" 200 &
CLIENTS+=($!)
client_loop seq6 seq "$S6" "$PORT" 100 &
CLIENTS+=($!)
client_loop conc4 conc "$S4" "$PORT" 20 &
CLIENTS+=($!)
client_loop xfer4 xfer "$S4" "$PORT" "$XFER" &
CLIENTS+=($!)
E2E_PIDS+=("${CLIENTS[@]}")

# ---- live configuration changes -------------------------------------------
changes=0 change_fail=0
cfgs=(
	"--add-ports 9000"
	"--mss4 1400"
	"--wscale 5"
	"--window 32768"
	"--ecn off"
	"--del-ports 9000"
	"--mss4 1460"
	"--wscale 7"
	"--window 65535"
	"--ecn on"
	"--mss6 1380"
	"--mss6 1440"
)
while [ $SECONDS -lt $END ]; do
	sleep "$CFG"
	[ $SECONDS -lt $END ] || break
	# shellcheck disable=SC2086
	if L config "$E2E_SIF" ${cfgs[changes % ${#cfgs[@]}]} >/dev/null 2>>"$E2E_TMP/config.err"; then
		changes=$((changes + 1))
	else
		change_fail=$((change_fail + 1))
		changes=$((changes + 1))
	fi
	if [ $(((changes) % 6)) -eq 0 ]; then
		log "$((END - SECONDS)) s left: synack=$(stat_delta xdp_tx_synack) bad_ack=$(stat_delta xdp_drop_bad_ack) handoff=$(stat_delta tc_handoff_ok) generation=$(keys_gen)"
	fi
done

# ---- the end ----------------------------------------------------------------
wait "$FLOOD_LOOP" 2>/dev/null
swf_flood_stop
for p in "${CLIENTS[@]}"; do
	wait "$p" 2>/dev/null # the client loops end by themselves at END
done
sleep 2 # TIME_WAIT and request sockets settle a little
mem1="MemAvailable=$(meminfo MemAvailable) Slab=$(meminfo Slab) SUnreclaim=$(meminfo SUnreclaim)"
maps1=$(maps_kb) rss1=$(rss_kb "$LOADER") socks1="server: $(socks nss); client: $(socks nsc)" gen1=$(keys_gen)
mibs1=$(mibs)
loader_alive=$(kill -0 "$LOADER" 2>/dev/null && echo yes || echo no)

sum() { # FILE KEY: sum of KEY=N over the result lines
	[ -f "$1" ] || { echo 0; return; }
	grep -o "\b$2=[0-9]*" "$1" | awk -F= '{ s += $2 } END { print s + 0 }'
}
ok4=$(sum "$OUT/seq4" ok) fail4=$(sum "$OUT/seq4" fail)
ok6=$(sum "$OUT/seq6" ok) fail6=$(sum "$OUT/seq6" fail)
okc=$(sum "$OUT/conc4" ok) failc=$(sum "$OUT/conc4" fail)
xok=$(grep -c 'upstream=ok downstream=ok' "$OUT/xfer4" 2>/dev/null || echo 0)
xall=$(grep -c . "$OUT/xfer4" 2>/dev/null || echo 0)
errs=$(cat "$OUT"/*.err 2>/dev/null | wc -l)
attempted=$((ok4 + fail4 + ok6 + fail6 + okc + failc + xall))
succeeded=$((ok4 + ok6 + okc + xok))
failed=$((attempted - succeeded))

log "legit connects: $attempted attempted, $succeeded succeeded, $failed failed (IPv4 sequential $ok4/$((ok4 + fail4)), IPv6 sequential $ok6/$((ok6 + fail6)), concurrent $okc/$((okc + failc)), transfers $xok/$xall); client runs with a non-zero exit: $errs"
log "bytes verified: $((xok * 2 * XFER)) ($xok transfers of $XFER bytes each way, checked byte by byte)"
log "key rotations: $((gen1 - gen0)) (generation $gen0 -> $gen1), loader alive: $loader_alive; live config changes: $changes ($change_fail failed)"
log "synwall: SYN-ACKs $(stat_delta xdp_tx_synack), forged ACKs dropped $(stat_delta xdp_drop_bad_ack), handoffs $(stat_delta tc_handoff_ok), segments of flows with a socket passed $(($(stat_delta xdp_pass_socket) + $(stat_delta xdp_pass_flow))), tc errors $(($(stat_delta tc_err_einval) + $(stat_delta tc_err_enoent) + $(stat_delta tc_err_enomem) + $(stat_delta tc_err_other))), tc_bad_cookie $(stat_delta tc_bad_cookie), tc_no_listener $(stat_delta tc_no_listener)"
log "server kernel SYN-cookie MIBs: before $mibs0"
log "                                after  $mibs1"
log "memory before:        $mem0 kB, synwall maps ${maps0} KiB, loader RSS ${rss0} kB"
log "memory after:         $mem1 kB, synwall maps ${maps1} KiB, loader RSS ${rss1} kB"
log "sockets before: $socks0"
log "sockets after:  $socks1"
if [ "$SETTLE" -gt 0 ]; then
	sleep "$SETTLE" # TIME_WAIT lasts 60 s
	log "memory after ${SETTLE} s:  MemAvailable=$(meminfo MemAvailable) Slab=$(meminfo Slab) SUnreclaim=$(meminfo SUnreclaim) kB, synwall maps $(maps_kb) KiB, loader RSS $(rss_kb "$LOADER") kB"
	log "sockets after ${SETTLE} s: server: $(socks nss); client: $(socks nsc)"
fi
log "(MemAvailable and Slab are machine-wide: other work on the machine moves them too)"
[ -s "$E2E_TMP/config.err" ] && log "config errors: $(head -3 "$E2E_TMP/config.err" | tr '\n' ' ')"
if [ "$failed" -eq 0 ] && [ "$errs" -eq 0 ] && [ "$change_fail" -eq 0 ] &&
	[ "$loader_alive" = yes ] && [ "$succeeded" -gt 0 ] && [ "$maps0" = "$maps1" ]; then
	log "PASS: 0 failures"
	exit 0
fi
log "FAIL: $failed failed connects/transfers, $errs client errors, $change_fail config failures, loader alive: $loader_alive"
head -5 "$OUT"/*.err 2>/dev/null
grep -h -v 'fail=0\|downstream=ok' "$OUT"/seq4 "$OUT"/seq6 "$OUT"/conc4 "$OUT"/xfer4 2>/dev/null | head -5
exit 1
