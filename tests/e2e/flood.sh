# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# Bounded trafgen floods for the fault tests (tests/e2e/test_faults.sh) and
# the soak (tests/soak/soak.sh).  Source after tests/e2e/lib.sh, once the
# lab is up (lab_up): the floods leave the client veth ($E2E_CIF) in the
# client namespace for the server's address $S4.
#
#   swf_flood_start KIND COUNT PORT [PPS]   start a flood in the background
#       (at PPS packets per second if given, else as fast as trafgen goes)
#       KIND syn4  TCP SYNs as Linux sends them (MSS, SACK, TS, WS)
#            ack4  ACKs with random seq/ack and timestamps (forged third ACKs)
#            syn6  IPv6 SYNs (to $S6)
#       Spoofed sources: 10.204.0.0/16 (fd00:204::/64); nothing routes them
#       back, so the replies die in the client namespace.
#   swf_flood_wait                    wait for every flood started
#   swf_flood_stop                    stop them now (whole process groups)
#   SWF_TRAFGEN_ARGS                  extra trafgen arguments (e.g. --qdisc-path,
#                                     so packet sockets on $E2E_CIF see the SYNs)
#
# Every trafgen is bounded twice: -n COUNT, and a time limit of
# COUNT / 50000 + 20 seconds on a process group of its own (setsid), which
# swf_flood_stop kills as a whole: a killed parent cannot leave a worker
# sending.  Call swf_flood_stop from the script's EXIT trap.

SWF_FLOOD_PGIDS=()

swf_mac() { # NSFUNC IFACE -> "0x02,0x.." bytes of its MAC
	"$1" ip -j link show dev "$2" | "$SYSPY" -c '
import json, sys
print(",".join("0x" + b for b in json.load(sys.stdin)[0]["address"].split(":")))'
}

swf_cfg() { # KIND -> trafgen configuration on stdout
	case $1 in
	syn4)
		cat <<'EOF'
{
	DMAC, SMAC, c16(0x0800),
	0x45, 0x00, c16(60), drnd(2), c16(0x4000), 64, 6, csumip(14, 33),
	10, 204, drnd(2), DST4,
	drnd(2), c16(PORT), drnd(4), c32(0),
	0xa0, 0x02, c16(64240), csumtcp(14, 34), c16(0),
	0x02, 0x04, c16(1460), 0x04, 0x02, 0x08, 0x0a, drnd(4), c32(0),
	0x01, 0x03, 0x03, 0x07,
}
EOF
		;;
	ack4)
		cat <<'EOF'
{
	DMAC, SMAC, c16(0x0800),
	0x45, 0x00, c16(52), drnd(2), c16(0x4000), 64, 6, csumip(14, 33),
	10, 204, drnd(2), DST4,
	drnd(2), c16(PORT), drnd(4), drnd(4),
	0x80, 0x10, c16(502), csumtcp(14, 34), c16(0),
	0x01, 0x01, 0x08, 0x0a, drnd(4), drnd(4),
}
EOF
		;;
	syn6)
		cat <<'EOF'
{
	DMAC, SMAC, c16(0x86dd),
	0x60, 0x00, 0x00, 0x00, c16(40), 6, 64,
	0xfd, 0x00, 0x02, 0x04, 0, 0, 0, 0, drnd(8),
	DST6,
	drnd(2), c16(PORT), drnd(4), c32(0),
	0xa0, 0x02, c16(64240), csumtcp6(14, 54), c16(0),
	0x02, 0x04, c16(1440), 0x04, 0x02, 0x08, 0x0a, drnd(4), c32(0),
	0x01, 0x03, 0x03, 0x07,
}
EOF
		;;
	*) return 1 ;;
	esac
}

swf_flood_start() {
	local kind=$1 n=$2 port=$3 pps=${4:-} cfg="$E2E_TMP/flood-$1.cfg" limit dst6
	swf_cfg "$kind" >"$cfg" || return 1
	limit=$((n / 50000 + 20))
	[ -n "$pps" ] && limit=$((n / pps + 20))
	dst6=$("$SYSPY" -c "import ipaddress; print(','.join('0x%02x' % b for b in ipaddress.ip_address('$S6').packed))")
	setsid bash -c 'exec timeout --foreground -k 2 "$@"' _ "$limit" \
		nsenter --net=/run/netns/"$E2E_CNS" \
		trafgen --cpp --dev "$E2E_CIF" --conf "$cfg" -n "$n" -P 1 \
		--no-sock-mem ${SWF_TRAFGEN_ARGS:-} ${pps:+-b "${pps}pps"} -D "DMAC=$(swf_mac nss "$E2E_SIF")" \
		-D "SMAC=$(swf_mac nsc "$E2E_CIF")" -D "DST4=${S4//./,}" \
		-D "DST6=$dst6" -D "PORT=$port" \
		>"$E2E_TMP/flood-$kind.log" 2>&1 &
	SWF_FLOOD_PGIDS+=($!)
}

swf_flood_wait() {
	local p
	for p in "${SWF_FLOOD_PGIDS[@]}"; do
		wait "$p" 2>/dev/null
		kill -KILL -- -"$p" 2>/dev/null # a worker left behind
	done
	SWF_FLOOD_PGIDS=()
}

swf_flood_stop() {
	local p
	for p in "${SWF_FLOOD_PGIDS[@]}"; do
		kill -TERM -- -"$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${SWF_FLOOD_PGIDS[@]}"; do
		kill -KILL -- -"$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SWF_FLOOD_PGIDS=()
}
