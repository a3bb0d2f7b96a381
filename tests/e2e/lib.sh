# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# The veth lab of synwall's end-to-end tests.  Source it, then call
# lab_init "$@" first thing (it re-executes the script in a private mount
# namespace), then lab_up.
#
#   client netns (E2E_CNS)                 server netns (E2E_SNS)
#   E2E_CIF  10.201.N.1/24  <--veth-->  E2E_SIF  10.201.N.2/24
#            fd00:201:N::1/64                    fd00:201:N::2/64
#   XDP: xdp_pass (native)                   XDP: synwall_xdp (native)
#                                            TC ingress: synwall_tc
#
# Isolation and cleanup:
# - Names carry the shell's PID, so concurrent runs never collide, and the
#   addresses live only inside the namespaces this file creates.
# - The whole script runs in a private mount namespace with its own bpffs
#   on /sys/fs/bpf: its pins (tc/globals, the loader's synwall/<if>/) are
#   invisible to everything else and vanish with it.  Even /run/netns
#   entries exist only there: if the script is killed with SIGKILL, the
#   namespaces die with the last process inside them.
# - An EXIT trap kills what the lab started (by PID) and deletes both
#   namespaces.
# - Commands run in a namespace with `nsenter --net=`, which keeps this
#   mount namespace (and so the private bpffs); `ip netns exec` would not.
#
# Test output protocol (tests/run.sh): PASS: / FAIL: / SKIP: lines.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_BUILD=$E2E_ROOT/build
E2E_OUT=$E2E_BUILD/e2e
SW_OBJ=$E2E_BUILD/synwall.bpf.o
SW_LOADER=$E2E_BUILD/synwall
SYSPY=/usr/bin/python3 # the interpreter with scapy (not pyenv's)

E2E_N=$(($$ % 200 + 20))
E2E_CNS=swc-$$
E2E_SNS=sws-$$
E2E_CIF=swc$$
E2E_SIF=sws$$
C4=10.201.$E2E_N.1
S4=10.201.$E2E_N.2
C6=fd00:201:$E2E_N::1
S6=fd00:201:$E2E_N::2
SW_PIN=/sys/fs/bpf/tc/globals # where ip/tc pin the maps (private bpffs)
SW_MODE=                      # "loader" or "iptc", set by sw_attach
E2E_PIDS=()
E2E_TMP=

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; E2E_FAILED=1; }
skip() { echo "SKIP: $*"; }
info() { echo "  # $*"; }
die() { echo "FAIL: $*"; exit 1; }

# Run in a namespace.  nsc = client, nss = server.
nsc() { nsenter --net=/run/netns/"$E2E_CNS" "$@"; }
nss() { nsenter --net=/run/netns/"$E2E_SNS" "$@"; }

# Re-execute the calling script in a private mount namespace with its own
# bpffs; call with the script's arguments, before anything else.
lab_init() {
	[ "$(id -u)" -eq 0 ] || { skip "e2e: needs root"; exit 0; }
	if [ -z "${E2E_IN_MNTNS:-}" ]; then
		E2E_IN_MNTNS=1 exec unshare --mount --propagation private \
			bash "$0" "$@"
	fi
	mount -t bpf bpf /sys/fs/bpf || die "e2e: cannot mount a private bpffs"
	E2E_TMP=$(mktemp -d /tmp/synwall-e2e.XXXXXX)
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
}

lab_cleanup() {
	local p ns
	# whatever still runs inside our namespaces was started by us
	for ns in "$E2E_CNS" "$E2E_SNS"; do
		[ -e /run/netns/"$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			E2E_PIDS+=("$p")
		done
	done
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${E2E_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$E2E_CNS" 2>/dev/null
	ip netns del "$E2E_SNS" 2>/dev/null
	[ -n "$E2E_TMP" ] && rm -rf "$E2E_TMP"
}

# Start a background process in a namespace and remember its PID for the
# cleanup: bgc/bgs CMD... (client/server).  nsenter execs CMD, so the PID
# is CMD's own.
bgc() {
	nsenter --net=/run/netns/"$E2E_CNS" "$@" &
	E2E_PIDS+=($!)
}
bgs() {
	nsenter --net=/run/netns/"$E2E_SNS" "$@" &
	E2E_PIDS+=($!)
}

# Build the helpers into build/e2e/ (no Makefile rule yet): xdp_pass.bpf.o,
# tcpprobe (real TCP client/server), swcookie (cookie.h in user space).
lab_build() {
	mkdir -p "$E2E_OUT"
	local ma
	ma=$(gcc -print-multiarch 2>/dev/null)
	if [ ! "$E2E_OUT/xdp_pass.bpf.o" -nt "$E2E_ROOT/tests/e2e/xdp_pass.bpf.c" ]; then
		clang -O2 -g -target bpf ${ma:+-I/usr/include/$ma} \
			-c "$E2E_ROOT/tests/e2e/xdp_pass.bpf.c" \
			-o "$E2E_OUT/xdp_pass.bpf.o" || return 1
	fi
	if [ ! "$E2E_OUT/tcpprobe" -nt "$E2E_ROOT/tests/e2e/tcpprobe.c" ]; then
		${CC:-gcc} -O2 -g -Wall -pthread "$E2E_ROOT/tests/e2e/tcpprobe.c" \
			-o "$E2E_OUT/tcpprobe" || return 1
	fi
	if [ ! "$E2E_OUT/swcookie" -nt "$E2E_ROOT/tests/e2e/swcookie.c" ] ||
		[ "$E2E_ROOT/include/synwall/cookie.h" -nt "$E2E_OUT/swcookie" ]; then
		${CC:-gcc} -O2 -g -Wall -I"$E2E_ROOT/include" \
			"$E2E_ROOT/tests/e2e/swcookie.c" -o "$E2E_OUT/swcookie" ||
			return 1
	fi
}

probe() { "$E2E_OUT/tcpprobe" "$@"; }

# Two namespaces, one veth pair, addresses, the client's XDP_PASS.
lab_up() {
	ip netns add "$E2E_CNS" || return 1
	ip netns add "$E2E_SNS" || return 1
	ip link add "$E2E_CIF" netns "$E2E_CNS" type veth \
		peer name "$E2E_SIF" netns "$E2E_SNS" || return 1
	nsc ip link set lo up
	nss ip link set lo up
	nsc ip addr add "$C4/24" dev "$E2E_CIF"
	nss ip addr add "$S4/24" dev "$E2E_SIF"
	nsc ip addr add "$C6/64" dev "$E2E_CIF" nodad
	nss ip addr add "$S6/64" dev "$E2E_SIF" nodad
	nsc ip link set "$E2E_CIF" up
	nss ip link set "$E2E_SIF" up
	nsc ip link set dev "$E2E_CIF" xdpdrv obj "$E2E_OUT/xdp_pass.bpf.o" \
		sec xdp || return 1
	# both ends up (no ping on this machine; /sys is the host's)
	local i
	for i in $(seq 50); do
		nsc ip -o link show dev "$E2E_CIF" 2>/dev/null | grep -q "state UP" &&
			nss ip -o link show dev "$E2E_SIF" 2>/dev/null | grep -q "state UP" &&
			return 0
		sleep 0.1
	done
	echo "lab: the veth pair did not come up" >&2
	return 1
}

# ---- synwall attach / detach -------------------------------------------

loader_usable() {
	[ -x "$SW_LOADER" ] && [ -z "${E2E_NO_LOADER:-}" ]
}

# sw_attach [PORT...]: attach synwall to the server veth, protect PORTs,
# install a random key.  Uses the loader when it is built, else ip/tc and
# bpftool on the pinned maps.
sw_attach() {
	if loader_usable; then
		SW_MODE=loader
		SW_PIN=/sys/fs/bpf/synwall/$E2E_SIF
		# the suites assume a cookie for every SYN unless they set
		# SW_COOKIES=flood (the loader's default) themselves
		nss "$SW_LOADER" attach "$E2E_SIF" --cookies "${SW_COOKIES:-always}" --ports "$(
			IFS=,
			echo "$*"
		)" >>"$E2E_TMP/loader.log" || return 1
		return 0
	fi
	SW_MODE=iptc
	SW_PIN=/sys/fs/bpf/tc/globals
	nss ip link set dev "$E2E_SIF" xdpdrv obj "$SW_OBJ" sec xdp || return 1
	nss tc qdisc add dev "$E2E_SIF" clsact || return 1
	nss tc filter add dev "$E2E_SIF" ingress bpf da obj "$SW_OBJ" sec tc ||
		return 1
	sw_set_ports "$@" || return 1
	sw_set_key || return 1
	sw_set_config || return 1
}

sw_detach() {
	if [ "$SW_MODE" = loader ]; then
		nss "$SW_LOADER" detach "$E2E_SIF" >>"$E2E_TMP/loader.log"
		return
	fi
	nss ip link set dev "$E2E_SIF" xdpdrv off
	nss tc qdisc del dev "$E2E_SIF" clsact 2>/dev/null
	rm -f "$SW_PIN"/{config,ports,keys,stats,dp_state}
}

# bpftool's "hex" argument: bytes of a struct packed by python
_hex() { "$SYSPY" -c "import struct,sys; print(' '.join('%02x' % b for b in struct.pack($1)))"; }

sw_map_update() { # MAP KEY_U32 HEXBYTES
	local key
	key=$(_hex "'<I', $2")
	# shellcheck disable=SC2086
	bpftool map update pinned "$SW_PIN/$1" key hex $key value hex $3
}

# Protect exactly these ports (clears the others that were set here).
sw_set_ports() {
	local words
	words=$("$SYSPY" - "$@" <<'EOF'
import sys
w = {}
for p in sys.argv[1:]:
    p = int(p); w[p // 64] = w.get(p // 64, 0) | 1 << (p % 64)
for i, v in sorted(w.items()):
    print(i, ' '.join('%02x' % b for b in v.to_bytes(8, 'little')))
EOF
	) || return 1
	local idx val
	while read -r idx val; do
		sw_map_update ports "$idx" "$val" || return 1
	done <<<"$words"
}

# A random key in slot 0, generation 1, installed now (slot 1 empty).
sw_set_key() {
	local v
	v=$(_hex "'<QQQQIIQQ', *struct.unpack('<QQ', __import__('os').urandom(16)), 0, 0, 0, 1, int(__import__('time').time()), 0") || return 1
	sw_map_update keys 0 "$v"
}

# sw_set_config [FLAGS] [FIXED_TIME] [TAI_OFFSET]: defaults for the rest;
# cookies: $SW_COOKIES (always by default in the suites: 2; flood: 1).
sw_set_config() {
	local v c=2
	[ "${SW_COOKIES:-always}" = flood ] && c=1
	v=$(_hex "'<HHHBBIIiIIIB3x', 0, 0, 0, 0, 0, ${1:-0}, ${2:-0}, ${3:-0}, 0, 0, 0, $c") || return 1
	sw_map_update config 0 "$v"
}

# sw_set_dp FLAGS: the data path's own state (dp_state; 1 = TC re-check).
sw_set_dp() {
	local v
	v=$(_hex "'<IIQQQQ', ${1:-0}, 0, 0, 0, 0, 0") || return 1
	sw_map_update dp_state 0 "$v"
}

# sw_get_key: "SLOT K0 K1" of the key new cookies use (0x-hex words).
sw_get_key() {
	bpftool -j map dump pinned "$SW_PIN/keys" | "$SYSPY" -c '
import json, sys
v = json.load(sys.stdin)[0]["formatted"]["value"]
s = v["current"] & 1
print(s, hex(v["key"][s]["k0"]), hex(v["key"][s]["k1"]))
'
}

# sw_stats_all: every counter of $SW_PIN/stats summed over CPUs, as
# "name value" lines (bpftool reads the map by its BTF field names).
sw_stats_all() {
	bpftool -j map dump pinned "$SW_PIN/stats" | "$SYSPY" -c '
import json, sys
tot = {}
for c in json.load(sys.stdin)[0]["formatted"]["values"]:
    for k, v in c["value"].items():
        tot[k] = tot.get(k, 0) + v
for k, v in tot.items():
    print(k, v)
'
}

# sw_stat FIELD...: the sums over CPUs, one per line, in order.
sw_stat() {
	local f k v
	declare -A tot
	while read -r k v; do tot[$k]=$v; done < <(sw_stats_all)
	for f in "$@"; do echo "${tot[$f]:-missing}"; done
}

# stat1 NAME: the counter, 0 when it cannot be read
stat1() { sw_stat "$1" 2>/dev/null || echo 0; }

# wait_for SECONDS CMD...: until CMD succeeds (polled every 0.1 s)
wait_for() {
	local t=$1 i
	shift
	for i in $(seq $((t * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# All counters as "name=value" words (non-zero only), for diagnostics.
sw_stats_line() {
	sw_stats_all | awk '$2 != 0 { printf "%s%s=%s", sep, $1, $2; sep = " " } END { print "" }'
}

# Counter deltas around a command: stat_snap; ...; stat_delta FIELD
declare -A E2E_SNAP
stat_snap() {
	local k v
	E2E_SNAP=()
	while read -r k v; do E2E_SNAP[$k]=$v; done < <(sw_stats_all)
}
stat_delta() { echo $(($(sw_stat "$1") - ${E2E_SNAP[$1]:-0})); }
# Every counter that moved since stat_snap, as "name+delta" words.
stat_deltas() {
	local k v out=
	while read -r k v; do
		[ "$v" != "${E2E_SNAP[$k]:-0}" ] && out+="$k+$((v - ${E2E_SNAP[$k]:-0})) "
	done < <(sw_stats_all)
	echo "${out% }"
}

# Does this kernel have the handoff kfunc (Linux >= 6.9)?  (grep reads all
# of bpftool's output: with -q and pipefail, bpftool's SIGPIPE would fail)
# The loader's test hook SYNWALL_TEST_HIDE_KFUNC (loader/lib/caps.h) hides it
# here too, so every suite's path for a 6.1 kernel runs on any kernel:
#   SYNWALL_TEST_HIDE_KFUNC=bpf_sk_assign_tcp_reqsk tests/run.sh test_loader
has_handoff_kfunc() {
	case ",${SYNWALL_TEST_HIDE_KFUNC:-}," in
	*,bpf_sk_assign_tcp_reqsk,*) return 1 ;;
	esac
	bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
		grep "FUNC 'bpf_sk_assign_tcp_reqsk'" >/dev/null
}

# Can this kernel load a program on a kernel function (fentry)?  Asked apart
# from synwall (build/e2e/fentry_probe.bpf.o), so that a test knows whether
# synwall's kernel function hooks must load (the flow table trusted).
# bpftool pins what it loads: into a bpffs of its own, whatever the state of
# /sys/fs/bpf, unmounted again at once.
has_fentry() {
	local d rc
	d=$(mktemp -d /tmp/swt-fentry.XXXXXX) || return 2
	if ! mount -t bpf bpf "$d"; then
		rmdir "$d"
		return 2
	fi
	bpftool prog load "$E2E_OUT/fentry_probe.bpf.o" "$d/probe" >/dev/null 2>&1
	rc=$?
	umount "$d"
	rmdir "$d"
	return $rc
}

# netstat counter of a namespace: ns_mib NS NAME (e.g. TcpExtSyncookiesSent)
ns_mib() {
	nsenter --net=/run/netns/"$1" cat /proc/net/netstat /proc/net/snmp |
		awk -v want="$2" '
		$1 ~ /:$/ { p = substr($1, 1, length($1) - 1)
			if (!(p in hdr)) { hdr[p] = $0; next }
			n = split(hdr[p], h); for (i = 2; i <= n; i++) if (p h[i] == want) { print $i; exit } }'
}
