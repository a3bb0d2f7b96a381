#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end tests of the loader, build/synwall, on the veth lab of lib.sh
# (a private mount namespace with its own bpffs, two network namespaces):
# every verb, and the issue's "done when":
#   - attach/detach leave `bpftool net`, tc and /sys/fs/bpf as before;
#   - attaching twice never stacks; a busy interface and a failed attach
#     leave nothing behind;
#   - a live config change takes effect on the next connection;
#   - key rotation during a stream of 500 connects loses none;
#   - stats match the traffic sent (text, JSON, Prometheus, bpftool);
#   - ip link + tc loading, then synwall config/stats/keys on those maps;
#   - fleet keys: two hosts (namespaces) with one key file validate each
#     other's cookies, a host with another file rejects them;
#   - each bad argument gives its clear error and a non-zero exit;
#   - kernels and drivers: libxdp's dispatcher refused (forced by
#     SYNWALL_TEST_DISPATCHER_FAIL) -> one line why, synwall attached alone
#     in the requested mode, detach clean; a failed attach names the
#     kernel's reason (netlink extack, the verifier's last lines); no
#     handoff kfunc (real, or SYNWALL_TEST_HIDE_KFUNC) -> refused before
#     loading anything; rx VLAN stripping with a VLAN upper -> refused
#     with the ethtool fix; IPv6 as a module (SYNWALL_TEST_IPV6_MODULE) ->
#     refused, --force attaches with a warning.  On a kernel without the kfunc only the
#     refusal runs (for real); the rest is skipped.
# Output: PASS:/FAIL:/SKIP: lines (tests/run.sh).
set -u

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
lab_init "$@"

command -v bpftool >/dev/null || { skip "loader: bpftool missing (make deps)"; exit 0; }
[ -x "$SW_LOADER" ] || { skip "loader: build/synwall not built (make)"; exit 0; }
[ -f "$SW_OBJ" ] || { skip "loader: build/synwall.bpf.o not built (make)"; exit 0; }
lab_build || die "loader: cannot build the lab helpers"
lab_up || die "loader: cannot set up the veth lab"

PORT=8080
OTHER=9090
EXTRA_NS=()

loader_cleanup() {
	local ns p
	for ns in "${EXTRA_NS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	lab_cleanup
}
trap loader_cleanup EXIT

# attach: a cookie for every SYN, as these suites assume (the default is flood)
L() {
	if [ "$1" = attach ]; then
		shift
		nss "$SW_LOADER" attach --cookies always "$@"
	else
		nss "$SW_LOADER" "$@"
	fi
}

# What attach must add and detach must take away, as text.
snapshot() {
	nss bpftool net
	nss tc qdisc show dev "$E2E_SIF"
	nss tc filter show dev "$E2E_SIF" ingress
	find /sys/fs/bpf -mindepth 1 | grep -v -e '/maps.debug$' -e '/progs.debug$' | sort
}

# swstat FIELD: the counter summed over CPUs, through the loader's JSON.
swstat() {
	L stats "$E2E_SIF" --json | "$SYSPY" -c \
		'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}

# expect_error NAME PATTERN CMD...: CMD must fail (exit != 0) and say PATTERN.
expect_error() {
	local name=$1 pattern=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$name: exited 0 (output: $out)"
	elif ! grep -q -e "$pattern" <<<"$out"; then
		fail "$name: exit $rc but the message lacks \"$pattern\": $out"
	else
		pass "$name"
	fi
}

server_up() { # PORT: a tcpprobe server in the server namespace
	bgs "$E2E_OUT/tcpprobe" server "$S4" "$1" >/dev/null
}

wait_listen() { # PORT
	local i
	for i in $(seq 50); do
		nss ss -Hltn "sport = :$1" | grep -q LISTEN && return 0
		sleep 0.1
	done
	return 1
}

# kfunc_refusal NAME [VAR=VALUE...]: attach (even with --force) is refused
# with the kernel, the requirement and the Debian way out, before the
# object is even opened (no libbpf "loading object 'synwall'"), and
# nothing is left.
kfunc_refusal() {
	local name=$1 out rc snap
	shift
	snap=$(snapshot)
	out=$(nss env "$@" "$SW_LOADER" -v -v attach "$E2E_SIF" --datapath full --cookies always --ports "$PORT" --force 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$name: attach succeeded: $out"
	elif ! grep -q "this kernel ($(uname -r)) lacks the kfunc bpf_sk_assign_tcp_reqsk.*Linux >= 6.9.*apt install linux-image-6.12-amd64" <<<"$out"; then
		fail "$name: no refusal naming the kernel, the kfunc and the way out: $out"
	elif ! grep -q "refused before loading anything.*--force cannot skip" <<<"$out"; then
		fail "$name: --force was not refused: $out"
	elif grep -q "loading object 'synwall'" <<<"$out"; then
		fail "$name: the object was opened before the refusal"
	elif [ "$(snapshot)" != "$snap" ]; then
		fail "$name: left behind: $(diff <(echo "$snap") <(snapshot) | tr '\n' ' ')"
	else
		pass "$name: refused before loading, nothing left"
	fi
}

if ! has_handoff_kfunc; then
	kfunc_refusal "kfunc_missing_refused (this kernel)"
	skip "loader: kernel $(uname -r) lacks the kfunc bpf_sk_assign_tcp_reqsk (Linux >= 6.9): every other loader test attaches synwall"
	exit 0
fi

server_up "$PORT"
server_up "$OTHER"
bgs "$E2E_OUT/tcpprobe" server "$S6" "$PORT" >/dev/null
wait_listen "$PORT" && wait_listen "$OTHER" || die "loader: tcpprobe servers did not start"

# ---- attach / detach ------------------------------------------------------

# the flow table's links: the state traces always, the kernel function
# hooks where this kernel loads fentry programs (asked apart from synwall)
if has_fentry; then
	want_pins="config dp_state flow_hashed flow_hashed2 flow_kcookie4 flow_kcookie6 flow_req flow_req2 flow_trace flow_trace2 keys listen_start listen_start2 ports state stats "
	want_misses="trusted" hooks_said= hooks_why="this kernel loads fentry programs"
else
	want_pins="config dp_state flow_trace flow_trace2 keys ports state stats "
	want_misses="looked up: the kernel function hooks" hooks_said=1
	hooks_why="this kernel refuses fentry programs (build/e2e/fentry_probe.bpf.o)"
fi
before=$(snapshot)
out=$(L attach "$E2E_SIF" --cookies always --ports "$PORT" 2>&1)
rc=$?
if [ "$rc" -ne 0 ]; then
	fail "attach: exit $rc: $out"
else
	net=$(nss bpftool net)
	pins=$(ls /sys/fs/bpf/synwall/"$E2E_SIF" 2>/dev/null | tr '\n' ' ')
	if ! grep -q "$E2E_SIF.*driver id" <<<"$net"; then
		fail "attach: no native XDP program in bpftool net: $net"
	elif ! grep -q "$E2E_SIF.*clsact/ingress synwall_tc" <<<"$net"; then
		fail "attach: no TC ingress program in bpftool net: $net"
	elif [ "$pins" != "$want_pins" ]; then
		fail "attach: pins are '$pins', want '$want_pins' ($hooks_why)"
	elif [ -n "$hooks_said" ] && ! grep -Eq "flow table: the kernel function hooks \(fentry/fexit, synwall_hooks.bpf.o\) are not attached: the kernel refused to load them: [A-Z][a-z].*; every segment that misses the table is looked up" <<<"$out"; then
		fail "attach: without the kernel function hooks, no warning with the kernel's reason: $out"
	elif ! nss "$SW_LOADER" status "$E2E_SIF" 2>&1 | grep -q "flows:  misses $want_misses"; then
		fail "attach: status does not say the misses are $want_misses: $(nss "$SW_LOADER" status "$E2E_SIF" 2>&1 | grep flows:)"
	elif ! nss "$SW_LOADER" status "$E2E_SIF" 2>&1 | grep -Eq "listen: [1-9][0-9]* listening sockets counted under [1-9][0-9]* keys"; then
		# the seed counts the servers listening on $PORT (not $OTHER: not protected)
		fail "attach: status does not count the listeners the seed met: $(nss "$SW_LOADER" status "$E2E_SIF" 2>&1 | grep -E 'flows:|listen:')"
	elif ! nss bpftool link show pinned /sys/fs/bpf/synwall/"$E2E_SIF"/flow_trace | grep -Eq "(tracing|raw_tracepoint) +prog"; then
		fail "attach: flow_trace is not the trace program's link: $(nss bpftool link show pinned /sys/fs/bpf/synwall/"$E2E_SIF"/flow_trace 2>&1)"
	elif ! grep -q "libxdp dispatcher" <<<"$out" &&
		[ "$(grep -c "dispatcher is not used on $E2E_SIF (.*): attaching synwall alone in native mode" <<<"$out")" -ne 1 ]; then
		fail "attach: attached alone without exactly one line saying why: $out"
	else
		pass "attach: XDP (native) + TC clsact ingress + pins"
	fi
fi

# the pinned stats map has BTF: bpftool prints named counters
if bpftool map dump pinned /sys/fs/bpf/synwall/"$E2E_SIF"/stats 2>&1 | grep -q '"xdp_tx_synack"'; then
	pass "stats_map_btf: bpftool map dump names the counters"
else
	fail "stats_map_btf: bpftool map dump shows no counter names"
fi

out=$(nsc "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 20)
if grep -q "ok=20 fail=0" <<<"$out" && [ "$(swstat tc_handoff_ok)" -ge 20 ]; then
	pass "connects_through_synwall: 20 of 20, handed off by TC"
else
	fail "connects_through_synwall: $out; $(L stats "$E2E_SIF" 2>&1 | tr "\n" " ")"
fi

h0=$(swstat tc_handoff_ok)
out=$(nsc "$E2E_OUT/tcpprobe" seq "$S6" "$PORT" 10)
if grep -q "ok=10 fail=0" <<<"$out" && [ "$(swstat tc_handoff_ok)" -eq $((h0 + 10)) ]; then
	pass "connects_ipv6_through_synwall: 10 of 10, handed off by TC"
else
	fail "connects_ipv6_through_synwall: $out; $(L stats "$E2E_SIF" 2>&1 | tr "\n" " ")"
fi

# attach again: configuration updated in place, nothing stacked
ids_before=$(nss bpftool net | grep -o 'id [0-9]*' | tr '\n' ' ')
out=$(L attach "$E2E_SIF" --cookies always --ports "$PORT,$OTHER" --ttl 33 2>&1)
rc=$?
ids_after=$(nss bpftool net | grep -o 'id [0-9]*' | tr '\n' ' ')
nfilt=$(nss tc filter show dev "$E2E_SIF" ingress | grep -c 'bpf.*id ')
cfg=$(L config "$E2E_SIF")
if [ "$rc" -ne 0 ]; then
	fail "attach_twice: exit $rc: $out"
elif [ "$ids_before" != "$ids_after" ] || [ "$nfilt" -ne 1 ]; then
	fail "attach_twice: programs changed or stacked: '$ids_before' -> '$ids_after', $nfilt filters"
elif ! grep -q "already attached" <<<"$out" || ! grep -q "ports:  $PORT,$OTHER " <<<"$cfg" ||
	! grep -q "ttl 33" <<<"$cfg"; then
	fail "attach_twice: configuration not updated: $out / $cfg"
else
	pass "attach_twice: updates the configuration, never stacks"
fi

# established connections survive detach
bgc "$E2E_OUT/tcpprobe" hold "$S4" "$PORT" 2500 50 >"$E2E_TMP/hold.out"
hold_pid=${E2E_PIDS[-1]}
sleep 1
out=$(L detach "$E2E_SIF" 2>&1)
rc=$?
wait "$hold_pid"
hold=$(cat "$E2E_TMP/hold.out")
after=$(snapshot)
if [ "$rc" -ne 0 ]; then
	fail "detach: exit $rc: $out"
elif [ "$before" != "$after" ]; then
	fail "detach: bpftool net / tc / /sys/fs/bpf differ from before attach: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
else
	pass "detach: bpftool net, tc and /sys/fs/bpf as before attach"
fi
if grep -q "connected" <<<"$hold" && grep -q "fails=0" <<<"$hold"; then
	pass "detach_keeps_established: $(tail -1 <<<"$hold")"
else
	fail "detach_keeps_established: $hold"
fi

# detach removes only what it added: a clsact qdisc and a filter that
# were there before attach stay
nss tc qdisc add dev "$E2E_SIF" clsact
nss tc filter add dev "$E2E_SIF" ingress prio 7 handle 7 bpf da obj "$E2E_OUT/xdp_pass.bpf.o" sec xdp
before=$(snapshot)
L attach "$E2E_SIF" --cookies always --ports "$PORT" >/dev/null 2>&1
L detach "$E2E_SIF" >/dev/null 2>&1
after=$(snapshot)
if [ "$before" = "$after" ] && grep -q "handle 0x7 xdp_pass" <<<"$after"; then
	pass "detach_removes_only_its_own: foreign clsact + filter kept"
else
	fail "detach_removes_only_its_own: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
fi
nss tc qdisc del dev "$E2E_SIF" clsact

# --flows sizes both flow tables when synwall is loaded; an attach in place
# cannot resize them and says so; a size out of range is refused
out=$(L attach "$E2E_SIF" --ports "$PORT" --flows 1024 2>&1)
st=$(L status "$E2E_SIF")
out2=$(L attach "$E2E_SIF" --ports "$PORT" --flows 4096 2>&1)
st2=$(L status "$E2E_SIF")
L detach "$E2E_SIF" >/dev/null 2>&1
if grep -q "tables of 1024 IPv4 and 1024 IPv6 flows" <<<"$out" &&
	grep -q "flows:  on: IPv4 [0-9]* of 1024, IPv6 [0-9]* of 1024 entries" <<<"$st" &&
	grep -q -- "--flows ignored (detach, then attach, to resize)" <<<"$out2" &&
	grep -q "of 1024, IPv6 [0-9]* of 1024 entries" <<<"$st2"; then
	pass "flows_sized: --flows 1024 gives both tables 1024 entries; an attach in place keeps them and says why"
else
	fail "flows_sized: attach: $out; status: $(grep flows: <<<"$st"); again: $out2; $(grep flows: <<<"$st2")"
fi
# a table too small for the connections already open: the seed's inserts
# fail, the attach says so and how to fix it, the table is not trusted
# (status), and every open connection keeps working (its segments miss
# the table and are looked up).  Only where the hooks attach: without
# them the table is never trusted and the seed's failures are not said.
# (Opening 100 connections takes ~30 s in a TCG guest: the bounds are wide.)
if has_fentry; then
	FULL=$E2E_TMP/full
	rm -f "$FULL".*
	nsc timeout 240 "$SYSPY" - "$S4" "$PORT" 100 "$FULL" >"$FULL.out" 2>&1 <<'EOF' &
import os, socket, sys, time
addr, port, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
socks = []
for _ in range(n):
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(b"PING\n")
    socks.append(s)
open(base + ".open", "w").close()
while not os.path.exists(base + ".go"):
    time.sleep(0.05)
ok = 0
for i, s in enumerate(socks):
    msg = b"x%d\n" % i
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        c = s.recv(64)
        if not c:
            break
        got += c
    ok += got == msg
print("open=%d echo_ok=%d" % (n, ok))
EOF
	fpid=$!
	wait_for 120 test -e "$FULL.open" || fail "flows_full_at_seed: the 100 connections did not open: $(cat "$FULL.out")"
	out=$(L attach "$E2E_SIF" --ports "$PORT" --flows 64 2>&1)
	arc=$?
	st=$(L status "$E2E_SIF")
	touch "$FULL.go"
	wait "$fpid"
	res=$(cat "$FULL.out")
	L detach "$E2E_SIF" >/dev/null 2>&1
	if [ $arc -eq 0 ] &&
		grep -Eq "flow table: [0-9]+ inserts into the table failed while seeding \(it is full: attach --flows N for a larger one\)" <<<"$out" &&
		grep -q "flows:  misses looked up: an insert failed (the table was full)" <<<"$st" &&
		[ "$res" = "open=100 echo_ok=100" ]; then
		pass "flows_full_at_seed: 100 connections open, --flows 64: the attach warns ($(grep -o '[0-9]* inserts into the table failed while seeding' <<<"$out")), status says misses are looked up (an insert failed), all 100 connections echo after the attach ($res)"
	else
		fail "flows_full_at_seed: attach exit $arc: $(tr '\n' ' ' <<<"$out"); status: $(grep flows: <<<"$st"); connections: $res"
	fi
else
	skip "flows_full_at_seed: this kernel refuses fentry programs (build/e2e/fentry_probe.bpf.o): without the hooks the table is never trusted, so a seed that cannot insert changes nothing to say"
fi
before_bf=$(snapshot)
expect_error "bad_flows" "--flows '10': expected a number of entries, 64-4194304" L attach "$E2E_SIF" --ports "$PORT" --flows 10
[ "$(snapshot)" = "$before_bf" ] || fail "bad_flows: the refusal changed the lab: $(diff <(echo "$before_bf") <(snapshot) | tr '\n' ' ')"

# another XDP program holds the interface: clear refusal, nothing touched
before=$(snapshot)
nss ip link set dev "$E2E_SIF" xdpdrv obj "$E2E_OUT/xdp_pass.bpf.o" sec xdp
before_busy=$(snapshot)
expect_error "attach_busy_interface" "already has an XDP program" L attach "$E2E_SIF" --ports "$PORT"
[ "$(snapshot)" = "$before_busy" ] && pass "attach_busy_leaves_nothing" ||
	fail "attach_busy_leaves_nothing: $(diff <(echo "$before_busy") <(snapshot) | tr '\n' ' ')"
nss ip link set dev "$E2E_SIF" xdpdrv off

# a failure after the XDP attach (TC filter slot taken) is undone entirely
nss tc qdisc add dev "$E2E_SIF" clsact
nss tc filter add dev "$E2E_SIF" ingress prio 1 handle 0x5357 bpf da obj "$E2E_OUT/xdp_pass.bpf.o" sec xdp
before_fail=$(snapshot)
expect_error "attach_failure_message" "nothing was left attached or pinned" L attach "$E2E_SIF" --ports "$PORT"
if [ "$(snapshot)" = "$before_fail" ]; then
	pass "failed_attach_leaves_nothing: no XDP, no pins, foreign filter kept"
else
	fail "failed_attach_leaves_nothing: $(diff <(echo "$before_fail") <(snapshot) | tr '\n' ' ')"
fi
nss tc qdisc del dev "$E2E_SIF" clsact
[ "$(snapshot)" = "$before" ] || info "lab state differs after the busy/failed attach tests"

# ---- bad arguments: each a clear error and a non-zero exit ----------------

expect_error "bad_iface" "unknown interface 'nosuch0'" L attach nosuch0 --ports 80
expect_error "bad_port_range" "first port 90 is above last port 80" L attach "$E2E_SIF" --ports 22,90-80
expect_error "bad_port_number" "ports are 0-65535" L attach "$E2E_SIF" --ports 70000
expect_error "bad_port_list" "empty element" L attach "$E2E_SIF" --ports 22,,80
expect_error "mss4_out_of_range" "mss4 100: out of range, must be 536 to 65495" L attach "$E2E_SIF" --mss4 100
expect_error "mss6_out_of_range" "mss6 70000: out of range" L attach "$E2E_SIF" --mss6 70000
expect_error "wscale_out_of_range" "wscale 15: out of range, must be 0 to 14" L attach "$E2E_SIF" --wscale 15
expect_error "ttl_out_of_range" "ttl 0: out of range" L attach "$E2E_SIF" --ttl 0
expect_error "bad_mode" "expected native or skb" L attach "$E2E_SIF" --mode turbo
expect_error "rotate_too_fast" "at least 128 seconds" L attach "$E2E_SIF" --rotate 10
expect_error "missing_bpffs" "bpffs not mounted at /sys/fs/bpf: .*mount -t bpf bpf /sys/fs/bpf" \
	nsenter --net=/run/netns/"$E2E_SNS" unshare --mount --propagation private \
	sh -c "while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 99; done; exec $SW_LOADER attach $E2E_SIF --ports $PORT"
printf '00112233445566778899aabbccddeeff\n' >"$E2E_TMP/readable.key"
chmod 644 "$E2E_TMP/readable.key"
expect_error "readable_key_file" "readable\|accessible by group or others.*chmod 600" \
	L attach "$E2E_SIF" --ports "$PORT" --key-file "$E2E_TMP/readable.key"
expect_error "syncookies_off" "tcp_syncookies = 0 .*sysctl -w net.ipv4.tcp_syncookies=1" \
	sh -c "nsenter --net=/run/netns/$E2E_SNS sysctl -qw net.ipv4.tcp_syncookies=0;
	       nsenter --net=/run/netns/$E2E_SNS $SW_LOADER attach $E2E_SIF; rc=\$?;
	       nsenter --net=/run/netns/$E2E_SNS sysctl -qw net.ipv4.tcp_syncookies=1; exit \$rc"
expect_error "config_not_attached" "synwall is not attached to $E2E_SIF" L config "$E2E_SIF" --ports 80
expect_error "detach_not_attached" "not attached" L detach "$E2E_SIF"
expect_error "unknown_verb" "unknown verb" L frobnicate
if [ "$(snapshot)" = "$before" ]; then
	pass "bad_arguments_leave_nothing"
else
	fail "bad_arguments_leave_nothing: $(diff <(echo "$before") <(snapshot) | tr '\n' ' ')"
fi
for v in attach detach status config keys stats run; do
	L "$v" --help 2>&1 | grep -q "^usage: synwall $v" || fail "help_$v: no usage line"
done
pass "help: every verb has --help"

# ---- kernels and drivers ------------------------------------------

kfunc_refusal "kfunc_missing_refused (SYNWALL_TEST_HIDE_KFUNC)" \
	SYNWALL_TEST_HIDE_KFUNC=bpf_sk_assign_tcp_reqsk

# libxdp's dispatcher refused (as 6.12 refuses it): synwall alone, in the
# requested mode, with one line saying why; detach leaves nothing
dispatcher_refused() { # ERRNO MODE IP_KEYWORD BPFTOOL_KEYWORD
	local errno=$1 mode=$2 ipkw=$3 btkw=$4 snap out rc id st left
	snap=$(snapshot)
	out=$(nss env SYNWALL_TEST_DISPATCHER_FAIL="$errno" "$SW_LOADER" attach "$E2E_SIF" --cookies always --ports "$PORT" --mode "$mode" 2>&1)
	rc=$?
	id=$(grep -o 'XDP program id [0-9]*' <<<"$out" | grep -o '[0-9]*$')
	st=$(L status "$E2E_SIF" 2>&1)
	left=$(ls /sys/fs/bpf/xdp 2>/dev/null | grep dispatch)
	if [ "$rc" -ne 0 ]; then
		fail "dispatcher_refused_${errno}_$mode: exit $rc: $out"
	elif [ "$(grep -c "dispatcher is not used" <<<"$out")" -ne 1 ] ||
		! grep -q "dispatcher is not used on $E2E_SIF (failure forced by SYNWALL_TEST_DISPATCHER_FAIL=$errno, a test hook): attaching synwall alone in $mode mode" <<<"$out"; then
		fail "dispatcher_refused_${errno}_$mode: not exactly one line saying why: $out"
	elif [ -z "$id" ] || ! grep -q "(${mode}, single program)" <<<"$out"; then
		fail "dispatcher_refused_${errno}_$mode: no single-program attach reported: $out"
	elif ! nss ip -d link show dev "$E2E_SIF" | grep -q "prog/xdp id $id name synwall_xdp" ||
		! nss ip -o link show dev "$E2E_SIF" | grep -q " $ipkw "; then
		fail "dispatcher_refused_${errno}_$mode: ip -d link does not show synwall_xdp id $id ($ipkw): $(nss ip -d link show dev "$E2E_SIF" | tr '\n' ' ')"
	elif ! nss bpftool net | grep -q "$E2E_SIF.*$btkw id $id"; then
		fail "dispatcher_refused_${errno}_$mode: bpftool net lacks '$btkw id $id': $(nss bpftool net | tr '\n' ' ')"
	elif ! grep -q "synwall_xdp id $id, $mode mode, single program" <<<"$st"; then
		fail "dispatcher_refused_${errno}_$mode: status: $st"
	elif [ -n "$left" ]; then
		fail "dispatcher_refused_${errno}_$mode: libxdp pins left: $left"
	else
		out=$(nsc "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 10)
		if ! grep -q "ok=10 fail=0" <<<"$out" || [ "$(swstat tc_handoff_ok)" -lt 10 ]; then
			fail "dispatcher_refused_${errno}_$mode: connects: $out; $(L stats "$E2E_SIF" 2>&1 | tr '\n' ' ')"
		else
			pass "dispatcher_refused_${errno}_$mode: one line why, synwall alone (id $id, $ipkw), 10 connects handed off"
		fi
	fi
	out=$(L detach "$E2E_SIF" 2>&1)
	if [ "$(snapshot)" = "$snap" ] && grep -q "removed XDP program id $id" <<<"$out"; then
		pass "dispatcher_refused_${errno}_${mode}_detach: nothing left"
	else
		fail "dispatcher_refused_${errno}_${mode}_detach: $out; $(diff <(echo "$snap") <(snapshot) | tr '\n' ' ')"
	fi
}
dispatcher_refused EINVAL native xdp driver
dispatcher_refused EPERM skb xdpgeneric generic

# a failed XDP attach names the kernel's reason (netlink extack), no -v
snap=$(snapshot)
expect_error "attach_reason_native_unsupported" \
	"cannot attach XDP to lo in native mode: Underlying driver does not support XDP in native mode (Operation not supported); fix: attach with --mode skb" \
	L attach lo --ports "$PORT" --mode native
nsc ip link set dev "$E2E_CIF" mtu 9000
expect_error "attach_reason_peer_mtu" \
	"cannot attach XDP to $E2E_SIF in native mode: veth: Peer MTU is too large to set XDP (Numerical result out of range); fix: lower the MTU" \
	L attach "$E2E_SIF" --ports "$PORT"
nsc ip link set dev "$E2E_CIF" mtu 1500
if [ "$(snapshot)" = "$snap" ] && ! nss ip -d link show dev lo | grep -q prog/xdp; then
	pass "attach_reason_leaves_nothing"
else
	fail "attach_reason_leaves_nothing: $(diff <(echo "$snap") <(snapshot) | tr '\n' ' ')"
fi

# a program the verifier rejects: its last lines reach the user, and they
# are the kernel's own (the same lines are in the full log of -v)
out=$(nss env SYNWALL_TEST_VERIFIER_FAIL=1 "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" 2>&1)
rc=$?
full=$(nss env SYNWALL_TEST_VERIFIER_FAIL=1 "$SW_LOADER" -v attach "$E2E_SIF" --ports "$PORT" 2>&1 |
	sed -n '/BEGIN PROG LOAD LOG/,/END PROG LOAD LOG/p')
lines=$(sed -n '/verifier rejected/,/^synwall: fix:/p' <<<"$out" | grep '^    ' | sed 's/^    //')
missing=$(while IFS= read -r l; do grep -qxF -- "$l" <<<"$full" || echo "$l"; done <<<"$lines")
if [ "$rc" -eq 0 ]; then
	fail "attach_reason_verifier: attach succeeded: $out"
elif ! grep -q "the kernel's verifier rejected synwall_tc: Permission denied; its last lines:" <<<"$out" ||
	[ "$(grep -c . <<<"$lines")" -lt 1 ] || ! grep -q "^synwall: fix: this kernel ($(uname -r))" <<<"$out"; then
	fail "attach_reason_verifier: no verifier lines: $out"
elif [ -n "$missing" ] || [ -z "$full" ]; then
	fail "attach_reason_verifier: lines not in the kernel's log: $missing"
elif [ "$(snapshot)" != "$snap" ]; then
	fail "attach_reason_verifier: left behind: $(diff <(echo "$snap") <(snapshot) | tr '\n' ' ')"
else
	pass "attach_reason_verifier: $(grep -c . <<<"$lines") verifier lines, last: $(tail -1 <<<"$lines")"
fi

# rx VLAN stripping (veth reports rx-vlan-offload on, like most NICs)
nss ethtool -K "$E2E_SIF" rxvlan on 2>/dev/null
if ! nss ethtool -k "$E2E_SIF" | grep -q "^rx-vlan-offload: on"; then
	skip "vlan_offload: cannot turn rx-vlan-offload on for $E2E_SIF"
else
	MV=swm$$
	if nss ip link add link "$E2E_SIF" name "$MV" type macvlan 2>/dev/null; then
		out=$(L attach "$E2E_SIF" --ports "$PORT" 2>&1) && L detach "$E2E_SIF" >/dev/null 2>&1 &&
			pass "vlan_offload_no_vlan_upper: rx-vlan-offload on + a macvlan upper: attached" ||
			fail "vlan_offload_no_vlan_upper: $out"
		nss ip link del "$MV"
	else
		skip "vlan_offload_no_vlan_upper: no macvlan in this kernel"
	fi
	VL=${E2E_SIF}v
	if nss ip link add link "$E2E_SIF" name "$VL" type vlan id 100 2>/dev/null; then
		snap=$(snapshot)
		expect_error "vlan_offload_refused" \
			"$E2E_SIF strips VLAN tags before XDP (rx-vlan-offload[ a-z-]* on) and carries $VL: .*fix: ethtool -K $E2E_SIF rxvlan off.* (or --allow-vlan-offload" \
			L attach "$E2E_SIF" --ports "$PORT"
		[ "$(snapshot)" = "$snap" ] && pass "vlan_offload_refused_leaves_nothing" ||
			fail "vlan_offload_refused_leaves_nothing: $(diff <(echo "$snap") <(snapshot) | tr '\n' ' ')"
		out=$(L attach "$E2E_SIF" --ports "$PORT" --allow-vlan-offload 2>&1) &&
			grep -q "warning: .*--allow-vlan-offload: going on" <<<"$out" &&
			pass "vlan_offload_override: attached, with the warning" ||
			fail "vlan_offload_override: $out"
		L detach "$E2E_SIF" >/dev/null 2>&1
		nss ethtool -K "$E2E_SIF" rxvlan off rx-vlan-stag-hw-parse off 2>/dev/null || nss ethtool -K "$E2E_SIF" rxvlan off
		out=$(L attach "$E2E_SIF" --ports "$PORT" 2>&1) && ! grep -q "strips VLAN" <<<"$out" &&
			pass "vlan_offload_off: ethtool -K rxvlan off, then attached" ||
			fail "vlan_offload_off: $out"
		L detach "$E2E_SIF" >/dev/null 2>&1
		nss ethtool -K "$E2E_SIF" rxvlan on
		nss ip link del "$VL"
	else
		skip "vlan_offload_refused: this kernel cannot create 802.1Q devices (CONFIG_VLAN_8021Q; the policy is unit-tested in test_loader_unit)"
	fi
fi
# IPv6 built as a module: the kfunc refuses IPv6 there (loader/lib/caps.h);
# SYNWALL_TEST_IPV6_MODULE=1 makes the loader see a live ipv6.ko
snap=$(snapshot)
expect_error "ipv6_module_refused" \
	"IPv6 is a loadable module (ipv6.ko).*(-EINVAL).*fix: a kernel with CONFIG_IPV6=y" \
	nss env SYNWALL_TEST_IPV6_MODULE=1 "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT"
[ "$(snapshot)" = "$snap" ] && pass "ipv6_module_refused_leaves_nothing" ||
	fail "ipv6_module_refused_leaves_nothing: $(diff <(echo "$snap") <(snapshot) | tr '\n' ' ')"
out=$(nss env SYNWALL_TEST_IPV6_MODULE=1 "$SW_LOADER" attach "$E2E_SIF" --ports "$PORT" --force 2>&1) &&
	grep -q "warning: IPv6 is a loadable module.*(--force: going on)" <<<"$out" &&
	pass "ipv6_module_force: attached for IPv4, with the warning" ||
	fail "ipv6_module_force: $out"
L detach "$E2E_SIF" >/dev/null 2>&1
out=$(L attach "$E2E_SIF" --ports "$PORT" 2>&1) && ! grep -q "IPv6 is" <<<"$out" &&
	pass "ipv6_builtin: no IPv6 warning on this kernel ($(L status 2>&1 | grep -m1 ' IPv6: ' | sed 's/^ *//'))" ||
	fail "ipv6_builtin: $out"
L detach "$E2E_SIF" >/dev/null 2>&1
[ "$(snapshot)" = "$before" ] || info "lab state differs after the kernel and driver tests"

# ---- live configuration --------------------------------------------------

L attach "$E2E_SIF" --ports "$PORT" >/dev/null 2>&1 || fail "attach for config tests"
syn0=$(swstat xdp_tx_synack)
nsc "$E2E_OUT/tcpprobe" seq "$S4" "$OTHER" 1 >/dev/null
syn1=$(swstat xdp_tx_synack)
# a connection to OTHER made before OTHER is protected: not in the flow
# table, which config distrusts, then re-seeds (where the table was
# trusted): the connection's segments keep passing, misses are trusted
# again (a missing entry would now drop its segments)
nsc timeout 20 "$E2E_OUT/tcpprobe" hold "$S4" "$OTHER" 3000 200 >"$E2E_TMP/held" 2>&1 &
held=$!
sleep 0.7
st0=$(L status "$E2E_SIF" 2>&1 | grep "flows:  misses")
cout=$(L config "$E2E_SIF" --add-ports "$OTHER" 2>&1)
st1=$(L status "$E2E_SIF" 2>&1 | grep "flows:  misses")
nsc "$E2E_OUT/tcpprobe" seq "$S4" "$OTHER" 1 >/dev/null
syn2=$(swstat xdp_tx_synack)
if ! wait $held; then
	fail "config_add_ports_held: a connection made before its port was protected broke: $(tr "\n" " " <"$E2E_TMP/held")"
elif [ "$want_misses" = trusted ] &&
	{ ! grep -q "misses trusted" <<<"$st0" ||
		! grep -q "misses trusted" <<<"$st1" ||
		! grep -q "re-seeded from this namespace's sockets.*misses trusted again" <<<"$cout"; }; then
	fail "config_add_ports_held: the table's trust: before '$st0', after '$st1', config said '$cout'"
else
	pass "config_add_ports_held: a connection made before port $OTHER was protected kept working ($(tr "\n" " " <"$E2E_TMP/held")); misses: '${st0#*misses }' -> '${st1#*misses }'"
fi
if [ "$syn1" -eq "$syn0" ] && [ "$syn2" -eq $((syn1 + 1)) ]; then
	pass "config_ports_next_packet: port $OTHER protected from the next SYN on"
else
	fail "config_ports_next_packet: synack counts $syn0 -> $syn1 -> $syn2"
fi
L config "$E2E_SIF" --del-ports "$OTHER" >/dev/null
nsc "$E2E_OUT/tcpprobe" seq "$S4" "$OTHER" 1 >/dev/null
[ "$(swstat xdp_tx_synack)" -eq "$syn2" ] && pass "config_del_ports" ||
	fail "config_del_ports: port $OTHER still answered by synwall"

# MSS and window scale of the next handshake (seen in the client's TCP_INFO)
info1=$(nsc "$E2E_OUT/tcpprobe" info "$S4" "$PORT" | grep '^client')
L config "$E2E_SIF" --mss4 1200 --wscale 3 >/dev/null
info2=$(nsc "$E2E_OUT/tcpprobe" info "$S4" "$PORT" | grep '^client')
mss1=$(grep -o 'snd_mss=[0-9]*' <<<"$info1" | cut -d= -f2)
mss2=$(grep -o 'snd_mss=[0-9]*' <<<"$info2" | cut -d= -f2)
ws2=$(grep -o 'snd_wscale=[0-9]*' <<<"$info2" | cut -d= -f2)
if [ "${mss1:-0}" -gt 1300 ] && [ "${mss2:-0}" -le 1200 ] && [ "${mss2:-0}" -ge 1150 ] &&
	[ "${ws2:-x}" = 3 ]; then
	pass "config_mss_wscale_next_handshake: snd_mss $mss1 -> $mss2, wscale -> $ws2"
else
	fail "config_mss_wscale_next_handshake: before: $info1; after: $info2"
fi
L config "$E2E_SIF" --mss4 1460 --wscale 7 >/dev/null

# status names what is attached
st=$(L status "$E2E_SIF")
if grep -q "synwall_xdp id [0-9]*, native mode" <<<"$st" && grep -q "clsact ingress" <<<"$st" &&
	grep -q "ports:  $PORT " <<<"$st" && grep -q "keys:   current slot" <<<"$st" &&
	grep -q "kfunc bpf_sk_assign_tcp_reqsk: present" <<<"$st"; then
	pass "status_iface"
else
	fail "status_iface: $st"
fi
L status | grep -q "^$E2E_SIF (ifindex" && pass "status_all" || fail "status_all: $(L status)"

# ---- keys ------------------------------------------------------------------

gen0=$(bpftool -j map dump pinned /sys/fs/bpf/synwall/"$E2E_SIF"/keys | "$SYSPY" -c \
	'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["generation"])')
rot=0
res=
# batches of 500 connects with rotations meanwhile, until at least 3
# rotations fell inside them (a fast machine does 500 connects in the time
# of one `synwall keys`)
for _batch in 1 2 3 4 5; do
	bgc "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 500 >"$E2E_TMP/seq500.out"
	seq_pid=${E2E_PIDS[-1]}
	while kill -0 "$seq_pid" 2>/dev/null; do
		# --force: rotating faster than the cookie lifetime (see test_races.sh)
		L keys "$E2E_SIF" --rotate --force >/dev/null 2>&1 && rot=$((rot + 1))
		sleep 0.005 # >> a handshake's duration on veth (p99 ~0.2 ms)
	done
	wait "$seq_pid"
	grep -q "ok=500 fail=0" "$E2E_TMP/seq500.out" || break
	[ "$rot" -ge 3 ] && break
done
gen1=$(bpftool -j map dump pinned /sys/fs/bpf/synwall/"$E2E_SIF"/keys | "$SYSPY" -c \
	'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["generation"])')
res=$(cat "$E2E_TMP/seq500.out")
if grep -q "ok=500 fail=0" <<<"$res" && [ "$rot" -ge 3 ] && [ "$gen1" -eq $((gen0 + rot)) ]; then
	pass "key_rotation_500_connects: none lost across $rot rotations ($res)"
else
	fail "key_rotation_500_connects: $res; $rot rotations, generation $gen0 -> $gen1"
fi

age=$(L keys "$E2E_SIF" --show-age)
grep -q "current slot [01], age" <<<"$age" && grep -q "random keys" <<<"$age" &&
	pass "keys_show_age" || fail "keys_show_age: $age"

# the rotation loop (attach --rotate), then detach stops it
bgs "$SW_LOADER" attach "$E2E_SIF" --cookies always --ports "$PORT" --rotate 1 --allow-short-rotate >"$E2E_TMP/rot.out" 2>&1
rot_pid=${E2E_PIDS[-1]}
sleep 3.5
g=$(L keys "$E2E_SIF" --show-age | grep -o 'generation [0-9]*' | cut -d' ' -f2)
out=$(nsc "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 50)
L detach "$E2E_SIF" >/dev/null 2>&1
for i in $(seq 30); do kill -0 "$rot_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$rot_pid" 2>/dev/null; then
	fail "rotate_loop: still running after detach"
elif [ "${g:-0}" -lt $((gen1 + 3)) ] || ! grep -q "ok=50 fail=0" <<<"$out"; then
	fail "rotate_loop: generation $gen1 -> $g; $out; $(cat "$E2E_TMP/rot.out")"
elif ! grep -q "synwall was detached: rotation loop ends" "$E2E_TMP/rot.out"; then
	fail "rotate_loop: no clean end: $(cat "$E2E_TMP/rot.out")"
else
	pass "rotate_loop: rotates, connects work, ends on detach"
fi

# ---- stats match the traffic ------------------------------------------------

L attach "$E2E_SIF" --ports "$PORT" >/dev/null 2>&1 || fail "attach for stats tests"
smac=$(nss ip -o link show dev "$E2E_SIF" 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
nsc "$SYSPY" - "$E2E_CIF" "$smac" "$C4" "$S4" "$PORT" <<'EOF' 2>/dev/null
import sys, random
from scapy.config import conf
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, TCP
from scapy.sendrecv import sendp
conf.verb = 0
iface, smac, c4, s4, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
r = random.Random(7)
syn = [Ether(dst=smac)/IP(src=c4, dst=s4)/TCP(sport=20000 + i, dport=port, flags='S', seq=r.getrandbits(32), options=[('MSS', 1460)]) for i in range(300)]
ack = [Ether(dst=smac)/IP(src=c4, dst=s4)/TCP(sport=10000 + i, dport=port, flags='A', seq=r.getrandbits(32), ack=r.getrandbits(32)) for i in range(200)]
unp = [Ether(dst=smac)/IP(src=c4, dst=s4)/TCP(sport=12000 + i, dport=port + 1, flags='S', seq=r.getrandbits(32)) for i in range(100)]
sendp(syn + ack + unp, iface=iface)
EOF
seq=$(nsc "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 50)
sleep 0.3
json=$(L stats "$E2E_SIF" --json)
get() { "$SYSPY" -c 'import json,sys; print(json.loads(sys.argv[1])["counters"][sys.argv[2]])' "$json" "$1"; }
synack=$(get xdp_tx_synack) badack=$(get xdp_drop_bad_ack) port=$(get xdp_pass_port) ok=$(get tc_handoff_ok)
if [ "$synack" -eq 350 ] && [ "$badack" -eq 200 ] && [ "$port" -ge 100 ] && [ "$ok" -eq 50 ] &&
	grep -q "ok=50 fail=0" <<<"$seq"; then
	pass "stats_match_traffic: 300+50 SYN -> $synack SYN-ACKs, 200 forged ACKs -> $badack drops, 100 SYNs to port $((PORT + 1)) -> $port passes, 50 connects -> $ok handoffs"
else
	fail "stats_match_traffic: synack=$synack (350) bad_ack=$badack (200) pass_port=$port (>=100) handoff=$ok (50); $seq"
fi
# every output format agrees with bpftool's per-CPU sums
SW_PIN=/sys/fs/bpf/synwall/$E2E_SIF
bt=$(sw_stat xdp_tx_synack xdp_drop_bad_ack tc_handoff_ok | tr '\n' ' ')
prom=$(L stats "$E2E_SIF" --prometheus)
txt=$(L stats "$E2E_SIF")
pv=$(grep "^synwall_xdp_tx_synack_total{iface=\"$E2E_SIF\"} " <<<"$prom" | cut -d' ' -f2)
tv=$(awk '$1 == "xdp_tx_synack" { print $2 }' <<<"$txt")
if [ "$bt" = "$synack $badack $ok " ] && [ "$pv" = "$synack" ] && [ "$tv" = "$synack" ] &&
	grep -q '^# TYPE synwall_tc_handoff_ok_total counter$' <<<"$prom"; then
	pass "stats_formats_agree: text, JSON, Prometheus, bpftool"
else
	fail "stats_formats_agree: bpftool '$bt' json '$synack $badack $ok' prom '$pv' text '$tv'"
fi
L stats "$E2E_SIF" --prometheus --output "$E2E_TMP/sw.prom"
grep -q "^synwall_xdp_tx_synack_total" "$E2E_TMP/sw.prom" && [ ! -e "$E2E_TMP"/sw.prom.?????? ] &&
	pass "stats_prometheus_output_file" || fail "stats_prometheus_output_file"
# --watch: rates per second over the interval
bgc "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 300 >/dev/null
bg_pid=${E2E_PIDS[-1]}
w=$(L stats "$E2E_SIF" --watch 0.5 --count 3 --json)
n=$(grep -c '"rates"' <<<"$w")
chk=$("$SYSPY" -c '
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
ok = all(abs(b["rates"][k] * b["interval"] - (b["counters"][k] - a["counters"][k])) < 1.01
         for a, b in zip(lines, lines[1:]) for k in b["counters"])
print("ok" if ok else "bad")' "$w")
if [ "$n" -eq 3 ] && [ "$chk" = ok ]; then
	pass "stats_watch_rates"
else
	fail "stats_watch_rates: $n updates, rates $chk: $w"
fi
wait "$bg_pid"
L detach "$E2E_SIF" >/dev/null 2>&1

# ---- ip link + tc, then synwall on those maps ------------------------------

before=$(snapshot)
nss ip link set dev "$E2E_SIF" xdpdrv obj "$SW_OBJ" sec xdp &&
	nss tc qdisc add dev "$E2E_SIF" clsact &&
	nss tc filter add dev "$E2E_SIF" ingress bpf da obj "$SW_OBJ" sec tc ||
	fail "iptc: ip link / tc could not load build/synwall.bpf.o"
out=$(nsc "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 5)
s0=$(bpftool -j map dump pinned /sys/fs/bpf/tc/globals/stats >/dev/null 2>&1 &&
	L stats "$E2E_SIF" --pin-dir /sys/fs/bpf/tc/globals --json)
if grep -q "ok=5 fail=0" <<<"$out" && grep -q '"xdp_tx_synack":0' <<<"$s0"; then
	pass "iptc_safe_default: unconfigured program protects nothing, connects pass"
else
	fail "iptc_safe_default: $out; $s0"
fi
out=$(L config "$E2E_SIF" --pin-dir /sys/fs/bpf/tc/globals --cookies always --ports "$PORT" 2>&1)
seq=$(nsc "$E2E_OUT/tcpprobe" seq "$S4" "$PORT" 20)
j=$(L stats "$E2E_SIF" --pin-dir /sys/fs/bpf/tc/globals --json)
if grep -q "installed a random one" <<<"$out" && grep -q "ok=20 fail=0" <<<"$seq" &&
	grep -q '"tc_handoff_ok":20' <<<"$j"; then
	pass "iptc_then_config: synwall config --pin-dir configures ip/tc-loaded maps"
else
	fail "iptc_then_config: $out; $seq; $j"
fi
# without --pin-dir the maps are found through the attached program
out=$(L config "$E2E_SIF" --add-ports "$OTHER" 2>&1)
L keys "$E2E_SIF" --rotate >/dev/null 2>&1 && rk=ok || rk=fail
seq=$(nsc "$E2E_OUT/tcpprobe" seq "$S4" "$OTHER" 10)
st=$(L status "$E2E_SIF")
if grep -q "ports:  $PORT,$OTHER " <<<"$out" && [ "$rk" = ok ] && grep -q "ok=10 fail=0" <<<"$seq" &&
	grep -q "found through XDP program" <<<"$st"; then
	pass "iptc_found_without_pin_dir: config, keys, status via the program's maps"
else
	fail "iptc_found_without_pin_dir: $out; keys $rk; $seq; $st"
fi
expect_error "iptc_detach_refused" "ip link set dev $E2E_SIF xdp off" L detach "$E2E_SIF"
nss ip link set dev "$E2E_SIF" xdpdrv off
nss tc qdisc del dev "$E2E_SIF" clsact
rm -f /sys/fs/bpf/tc/globals/{config,ports,keys,stats,dp_state}
[ "$(snapshot)" = "$before" ] || info "ip/tc cleanup left: $(diff <(echo "$before") <(snapshot) | tr '\n' ' ')"

# ---- fleet keys: three hosts, one anycast address -----------------------------
#
# Server A is the lab's server; B and C are two more namespaces with the
# same address S4, each on its own veth to the client.  A and B hold one
# key file, C another.  The client sends a SYN to A (scapy), then the ACK
# that completes A's cookie to each of B and C.

fleet_ns() { # NAME CLIENT_IF SERVER_IF
	ip netns add "$1" || return 1
	EXTRA_NS+=("$1")
	# (iproute2 6.1 prints "Peer netns reference is invalid" here, harmlessly)
	ip link add "$2" netns "$E2E_CNS" type veth peer name "$3" netns "$1" 2>/dev/null || return 1
	nsenter --net=/run/netns/"$1" ip link set lo up
	nsenter --net=/run/netns/"$1" ip addr add "$S4/24" dev "$3"
	nsenter --net=/run/netns/"$1" ip link set "$3" up
	nsc ip link set "$2" up
}
FB=swfb$$ FC=swfc$$
if fleet_ns "swb-$$" "${FB}c" "${FB}s" && fleet_ns "swx-$$" "${FC}c" "${FC}s"; then
	umask 077
	L keys --new-file "$E2E_TMP/fleet.key" >/dev/null
	L keys --new-file "$E2E_TMP/other.key" >/dev/null
	umask 022
	LB() { nsenter --net=/run/netns/"swb-$$" "$SW_LOADER" "$@"; }
	LC() { nsenter --net=/run/netns/"swx-$$" "$SW_LOADER" "$@"; }
	L attach "$E2E_SIF" --ports "$PORT" --key-file "$E2E_TMP/fleet.key" >/dev/null 2>&1 &&
		LB attach "${FB}s" --cookies always --ports "$PORT" --key-file "$E2E_TMP/fleet.key" >/dev/null 2>&1 &&
		LC attach "${FC}s" --cookies always --ports "$PORT" --key-file "$E2E_TMP/other.key" >/dev/null 2>&1 ||
		fail "fleet: attach with key files"
	nsenter --net=/run/netns/"swb-$$" "$E2E_OUT/tcpprobe" server "$S4" "$PORT" >/dev/null &
	E2E_PIDS+=($!)
	keysA=$(bpftool -j map dump pinned /sys/fs/bpf/synwall/"$E2E_SIF"/keys | "$SYSPY" -c 'import json,sys; v=json.load(sys.stdin)[0]["formatted"]["value"]; print(v["key"], v["current"])')
	keysB=$(bpftool -j map dump pinned /sys/fs/bpf/synwall/"${FB}s"/keys | "$SYSPY" -c 'import json,sys; v=json.load(sys.stdin)[0]["formatted"]["value"]; print(v["key"], v["current"])')
	keysC=$(bpftool -j map dump pinned /sys/fs/bpf/synwall/"${FC}s"/keys | "$SYSPY" -c 'import json,sys; v=json.load(sys.stdin)[0]["formatted"]["value"]; print(v["key"], v["current"])')
	if [ "$keysA" = "$keysB" ] && [ "$keysA" != "$keysC" ]; then
		pass "fleet_same_file_same_keys: A and B derive identical keys, C differs"
	else
		fail "fleet_same_file_same_keys: A=$keysA B=$keysB C=$keysC"
	fi
	wait_listen_in() { local i; for i in $(seq 50); do nsenter --net=/run/netns/"$1" ss -Hltn "sport = :$2" | grep -q LISTEN && return 0; sleep 0.1; done; return 1; }
	wait_listen_in "swb-$$" "$PORT"
	amac=$(nss ip -o link show dev "$E2E_SIF" 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	bmac=$(nsenter --net=/run/netns/"swb-$$" ip -o link show dev "${FB}s" 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	cmac=$(nsenter --net=/run/netns/"swx-$$" ip -o link show dev "${FC}s" 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	res=$(nsc "$SYSPY" - "$E2E_CIF" "$amac" "${FB}c" "$bmac" "${FC}c" "$cmac" "$C4" "$S4" "$PORT" <<'EOF' 2>&1
import sys, random
from scapy.config import conf
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, TCP
from scapy.sendrecv import srp1, sendp
conf.verb = 0
ia, ma, ib, mb, ic, mc, c4, s4, port = sys.argv[1:10]
port = int(port)
sport, isn = random.randint(1024, 32767), random.getrandbits(32)
syn = Ether(dst=ma)/IP(src=c4, dst=s4)/TCP(sport=sport, dport=port, flags='S', seq=isn, options=[('MSS', 1400)])
sa = srp1(syn, iface=ia, timeout=3)
if sa is None or not sa.haslayer(TCP) or sa[TCP].flags != 'SA':
    print("no SYN-ACK from A"); sys.exit(1)
cookie = sa[TCP].seq
for iface, mac in ((ib, mb), (ic, mc)):
    sendp(Ether(dst=mac)/IP(src=c4, dst=s4)/TCP(sport=sport, dport=port, flags='A', seq=isn + 1, ack=cookie + 1), iface=iface)
print("cookie=%#x" % cookie)
EOF
	)
	sleep 0.3
	jb=$(LB stats "${FB}s" --json)
	jc=$(LC stats "${FC}s" --json)
	gj() { "$SYSPY" -c 'import json,sys; print(json.loads(sys.argv[1])["counters"][sys.argv[2]])' "$1" "$2"; }
	if grep -q cookie= <<<"$res" && [ "$(gj "$jb" xdp_pass_cookie)" -eq 1 ] &&
		[ "$(gj "$jb" tc_handoff_ok)" -eq 1 ] && [ "$(gj "$jc" xdp_drop_bad_ack)" -eq 1 ] &&
		[ "$(gj "$jc" xdp_pass_cookie)" -eq 0 ]; then
		pass "fleet_cross_validation: B accepts A's cookie ($res) and hands it to its listener, C (other key file) drops it"
	else
		fail "fleet_cross_validation: $res; B: $jb; C: $jc"
	fi

	# clock-driven rotation: A and B rotate independently and stay equal.
	# A 4 s period, compared in its middle: two bpftool dumps take about a
	# second in a loaded TCG guest and must not straddle a rotation (then
	# one host is a rotation ahead for a moment, as fleet hosts always are
	# around the instant).  Up to three periods, in case one straddled.
	L keys "$E2E_SIF" --set-file "$E2E_TMP/fleet.key" --interval 4 --allow-short-rotate >/dev/null 2>&1
	LB keys "${FB}s" --set-file "$E2E_TMP/fleet.key" --interval 4 --allow-short-rotate >/dev/null 2>&1
	nsenter --net=/run/netns/"$E2E_SNS" "$SW_LOADER" run "$E2E_SIF" --key-file "$E2E_TMP/fleet.key" --rotate 4 --allow-short-rotate >"$E2E_TMP/runA.out" 2>&1 &
	E2E_PIDS+=($!)
	nsenter --net=/run/netns/"swb-$$" "$SW_LOADER" run "${FB}s" --key-file "$E2E_TMP/fleet.key" --rotate 4 --allow-short-rotate >"$E2E_TMP/runB.out" 2>&1 &
	E2E_PIDS+=($!)
	sleep 5
	keys_of() { bpftool -j map dump pinned "/sys/fs/bpf/synwall/$1/keys" | "$SYSPY" -c 'import json,sys; v=json.load(sys.stdin)[0]["formatted"]["value"]; print(v["key"], v["current"])'; }
	for _ in 1 2 3; do
		"$SYSPY" -c 'import time; time.sleep((2.0 - time.time() % 4) % 4)'
		keysA=$(keys_of "$E2E_SIF")
		keysB=$(keys_of "${FB}s")
		[ "$keysA" = "$keysB" ] && break
	done
	nrot=$(grep -c "fleet key rotation" "$E2E_TMP/runA.out")
	if [ "$keysA" = "$keysB" ] && [ "$nrot" -ge 1 ]; then
		pass "fleet_clock_rotation: A and B rotated $nrot time(s) on their own and agree"
	else
		fail "fleet_clock_rotation: A=$keysA B=$keysB; A log: $(cat "$E2E_TMP/runA.out")"
	fi
	expect_error "fleet_manual_rotate_refused" "fleet keys" L keys "$E2E_SIF" --rotate
	L detach "$E2E_SIF" >/dev/null 2>&1
	LB detach "${FB}s" >/dev/null 2>&1
	LC detach "${FC}s" >/dev/null 2>&1
else
	fail "fleet: cannot create the extra namespaces"
fi

# ---- the systemd unit --------------------------------------------------------

if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/sbin/synwall|$SW_LOADER|g" "$E2E_ROOT/loader/synwall@.service" \
		>"$E2E_TMP/synwall@.service"
	v=$(cd "$E2E_TMP" && systemd-analyze verify "$E2E_TMP/synwall@lo.service" 2>&1 |
		grep -v -e "man synwall(8)" -e "^$")
	[ -z "$v" ] && pass "systemd_unit_verifies" || fail "systemd_unit_verifies: $v"
else
	skip "systemd_unit_verifies: no systemd-analyze"
fi

if [ -z "$(ls /sys/fs/bpf/synwall 2>/dev/null)" ]; then
	pass "no_pins_left"
else
	fail "no_pins_left: $(ls -R /sys/fs/bpf/synwall)"
fi
[ -z "${E2E_FAILED:-}" ]
