#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Issue 11's adaptive mode in a veth lab (the e2e lab of tests/e2e/lib.sh):
#   - time from flood start to cookie mode: a trafgen SYN flood at PPS
#     (spoofed sources) against `synwall attach --cookies flood` (default
#     detector: --flood-on 2000/s); a packet socket on the generator's
#     veth timestamps (SO_TIMESTAMPNS) the first SYN that leaves and the
#     first SYN-ACK that comes back.  Before the switch SYNs go to the
#     server kernel, which cannot route to the spoofed sources and stays
#     silent, so the first SYN-ACK is synwall's first cookie.  RUNS runs.
#   - legit connects across a switch: bench/legit's sequential connects
#     for 4 s while a flood starts (switch to cookies) and stops (back after
#     --flood-hold 0.5 s): ok/fail, connect p50/p99.
#
#   bench/switch.sh [--pps N] [--runs N]
# Output: "swb: piece=switch ..." lines (key=value) and a summary on stderr.
set -uo pipefail
PPS=100000 RUNS=3
while [ $# -gt 0 ]; do
	case $1 in
	--pps) PPS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	*) echo "usage: bench/switch.sh [--pps N] [--runs N]" >&2; exit 2 ;;
	esac
done
export PPS RUNS
source "$(dirname "$0")/../tests/e2e/lib.sh"
E2E_CNS=swbw-c$$
E2E_SNS=swbw-s$$
E2E_CIF=swbwc$$
E2E_SIF=swbws$$
lab_init "$@"
source "$E2E_ROOT/tests/e2e/flood.sh"
trap 'swf_flood_stop; lab_cleanup' EXIT
PORT=80
[ -x "$SW_LOADER" ] || die "switch bench: $SW_LOADER not built (make)"
[ -x "$E2E_BUILD/bench/legit" ] || die "switch bench: build/bench/legit not built (make)"
lab_build || die "switch bench: building the e2e helpers failed"
lab_up || die "switch bench: lab setup failed"
nss sysctl -qw net.ipv4.tcp_syncookies=1
bgs "$E2E_OUT/tcpprobe" server "$S4" "$PORT" >/dev/null
sleep 0.3
SW_PIN=/sys/fs/bpf/synwall/$E2E_SIF
nss "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" --flood-hold 0.5 >/dev/null ||
	die "switch bench: attach failed"
state() { nss "$SW_LOADER" status "$E2E_SIF" | grep -q pass-through && echo pass || echo cookies; }
# the detector moves on SYNs: a connect per poll lets it leave cookie mode
wait_pass() {
	local i
	for i in $(seq 50); do
		[ "$(state)" = pass ] && return 0
		nsc timeout 5 "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 1 >/dev/null
		sleep 0.1
	done
	return 1
}
# the flood's SYNs through the qdisc path: the packet socket sees them leave
SWF_TRAFGEN_ARGS=--qdisc-path

# sniff: first outgoing flood SYN and first SYN-ACK back, kernel timestamps
sniff() {
	nsc timeout 8 "$SYSPY" - "$E2E_CIF" "$PORT" "$1" <<'EOF'
import socket, struct, sys, time
ifc, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
s.setsockopt(socket.SOL_SOCKET, 35, 1)         # SO_TIMESTAMPNS
s.bind((ifc, 0))
s.settimeout(3)
t_end = time.monotonic() + 6
open(ready, "w").close()
t_syn = t_sa = None
syns = 0
while t_sa is None and time.monotonic() < t_end:
    try:
        d, anc, _, addr = s.recvmsg(128, 64)
    except socket.timeout:
        break
    if len(d) < 54 or d[12:14] != b"\x08\x00" or d[23] != 6:
        continue
    ihl = (d[14] & 15) * 4
    sp, dp = struct.unpack("!HH", d[14 + ihl:18 + ihl])
    fl = d[14 + ihl + 13] & 0x12
    ts = None
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == 35:
            sec, ns = struct.unpack("qq", data[:16])
            ts = sec + ns / 1e9
    if addr[2] == 4 and fl == 0x02 and dp == port and d[26] == 10 and d[27] == 204:
        syns += 1
        if t_syn is None:
            t_syn = ts
    elif addr[2] != 4 and fl == 0x12 and sp == port and t_syn is not None:
        t_sa = ts
if t_syn is None or t_sa is None:
    print("to_cookies_ms=- syns_before=%d" % syns)
else:
    print("to_cookies_ms=%.1f syns_before=%d" % ((t_sa - t_syn) * 1e3, syns))
EOF
}

vals=()
for r in $(seq "$RUNS"); do
	wait_pass || info "run $r: still in cookie mode"
	rm -f "$E2E_TMP/ready"
	sniff "$E2E_TMP/ready" >"$E2E_TMP/sniff" &
	sp=$!
	for _ in $(seq 50); do [ -e "$E2E_TMP/ready" ] && break; sleep 0.1; done
	swf_flood_start syn4 $((PPS / 2)) "$PORT" "$PPS"
	wait $sp
	swf_flood_wait
	line=$(cat "$E2E_TMP/sniff")
	rate=$(grep -o '[0-9]* packets' "$E2E_TMP/flood-syn4.log" | head -1)
	echo "swb: piece=switch what=to_cookies run=$r pps=$PPS $line"
	v=$(sed -n 's/.*to_cookies_ms=\([0-9.]*\).*/\1/p' <<<"$line")
	[ -n "$v" ] && vals+=("$v")
done

# legit connects across both switches
wait_pass || info "legit: still in cookie mode"
sw0=$(nss "$SW_LOADER" stats "$E2E_SIF" --json | grep -o '"switches":[0-9]*' | cut -d: -f2)
nsc "$E2E_BUILD/bench/legit" "$S4" "$PORT" 1000000 --timeout-ms 3000 --deadline-s 4 >"$E2E_TMP/legit" &
lp=$!
sleep 0.5
swf_flood_start syn4 "$PPS" "$PORT" "$PPS" # 1 s of flood
wait $lp
swf_flood_wait
wait_pass && back=yes || back=no
sw1=$(nss "$SW_LOADER" stats "$E2E_SIF" --json | grep -o '"switches":[0-9]*' | cut -d: -f2)
echo "swb: piece=switch what=legit pps=$PPS switches=$((sw1 - sw0)) back=$back $(cat "$E2E_TMP/legit")"
nss "$SW_LOADER" detach "$E2E_SIF" >/dev/null 2>&1
printf '%s\n' "${vals[@]}" | sort -n | awk -v runs="$RUNS" -v pps="$PPS" '
	{ v[NR] = $1 } END { if (NR) printf "switch bench: flood at %d SYN/s to first cookie SYN-ACK, ms: median %s min %s max %s (%d of %d runs)\n", pps, v[int((NR + 1) / 2)], v[1], v[NR], NR, runs > "/dev/stderr" }'
