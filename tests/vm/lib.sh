# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# The VM lab, host side: boot one of Debian's kernels under qemu (TCG) with
# the host's root as the guest's (read-only 9p + tmpfs overlay), a
# virtio_net NIC whose tap lives in a host network namespace made here,
# and a guest agent (tests/vm/agent.sh) that runs commands for the host.
#
#   host netns VM_HNS: VM_TAP  10.203.0.1/24  fd00:203::1/64
#                       <-- tap / virtio_net -->
#   guest:             VM_NIC  10.203.0.2/24  fd00:203::2/64
#
# vm_boot KDIR            boot (returns when the agent is ready)
# vm_exec CMD...          run CMD in the guest (cwd: the checkout), print
#                         its output, return its status
# vm_halt                 power the guest off, wait for qemu
# vm_cleanup              (EXIT trap) kill qemu, delete the netns and run dir
# Names carry the shell's PID, so concurrent runs never collide.

VM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_HNS=swvm-$$
VM_TAP=swvmtap$$
VM_H4=10.203.0.1
VM_G4=10.203.0.2
VM_H6=fd00:203::1
VM_G6=fd00:203::2
VM_RUN=
VM_QEMU_PID=
VM_NIC=
VM_MEM=${VM_MEM:-4G}
VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-120}

vmh() { nsenter --net=/run/netns/"$VM_HNS" "$@"; }

vm_cleanup() {
	if [ -n "$VM_QEMU_PID" ] && kill -0 "$VM_QEMU_PID" 2>/dev/null; then
		kill "$VM_QEMU_PID" 2>/dev/null
		sleep 1
		kill -9 "$VM_QEMU_PID" 2>/dev/null
	fi
	VM_QEMU_PID=
	if [ -e /run/netns/"$VM_HNS" ]; then
		for p in $(ip netns pids "$VM_HNS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$VM_HNS" 2>/dev/null
	fi
	[ -n "$VM_RUN" ] && rm -rf "$VM_RUN"
	VM_RUN=
}

# vm_boot KDIR: KDIR from tests/vm/kernel.sh, with initramfs.cpio.gz
vm_boot() {
	local kdir=$1 release i
	release=$(cat "$kdir/version")
	VM_RUN=$(mktemp -d /tmp/swvm.XXXXXX)
	chmod 0755 "$VM_RUN"
	echo "$VM_ROOT" >"$VM_RUN/cwd"
	# VM_GUEST_ENV: "NAME=VALUE ..." exported to every guest command
	local kv
	for kv in ${VM_GUEST_ENV:-}; do printf '%s\n' "$kv"; done >"$VM_RUN/env"
	cat >"$VM_RUN/guest-entry" <<-EOT
		exec /bin/bash $VM_ROOT/tests/vm/agent.sh
	EOT
	ip netns add "$VM_HNS" || return 1
	vmh ip link set lo up
	vmh ip tuntap add mode tap multi_queue name "$VM_TAP" || return 1
	vmh ip link set "$VM_TAP" up
	vmh ip addr add "$VM_H4/24" dev "$VM_TAP"
	vmh ip addr add "$VM_H6/64" dev "$VM_TAP" nodad
	vmh sysctl -qw net.ipv6.conf.all.disable_ipv6=0 2>/dev/null
	# the guest's serial console goes to qemu's stdout: console.log
	vmh qemu-system-x86_64 -display none -no-reboot -nodefaults -serial stdio \
		-accel tcg,thread=multi -smp 2 -m "$VM_MEM" -cpu max \
		-kernel "$kdir/vmlinuz" -initrd "$kdir/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 rdinit=/init" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$kdir/lib/modules/$release,mount_tag=modules,security_model=none,readonly=on" \
		-virtfs "local,path=$VM_RUN,mount_tag=vmshare,security_model=none" \
		-netdev "tap,id=n0,ifname=$VM_TAP,script=no,downscript=no,queues=4" \
		-device virtio-net-pci,netdev=n0,mq=on,vectors=10,mac=52:54:00:20:30:02 \
		</dev/null >"$VM_RUN/console.log" 2>&1 &
	VM_QEMU_PID=$!
	for ((i = 0; i < VM_BOOT_TIMEOUT * 5; i++)); do
		[ -e "$VM_RUN/ready" ] && break
		kill -0 "$VM_QEMU_PID" 2>/dev/null || break
		sleep 0.2
	done
	if [ ! -e "$VM_RUN/ready" ]; then
		echo "vm: the $release guest did not come up; its console:" >&2
		tail -20 "$VM_RUN/console.log" >&2
		return 1
	fi
	VM_NIC=$(cat "$VM_RUN/nic" 2>/dev/null)
	[ -n "$VM_NIC" ] || { echo "vm: the guest has no NIC" >&2; return 1; }
	vm_exec "ip link set $VM_NIC up && ip addr add $VM_G4/24 dev $VM_NIC &&
		ip addr add $VM_G6/64 dev $VM_NIC nodad" >/dev/null || return 1
}

# vm_exec [-s] [-t SECONDS] CMD...: run CMD in the guest, print its output
# (with -s as it comes, for long runs), return its exit status (124 when
# it timed out or the guest died).
vm_exec() {
	local t=600 n rc stream='' tailpid='' deadline
	while [ $# -gt 0 ]; do
		case $1 in
		-s) stream=1; shift ;;
		-t) t=$2; shift 2 ;;
		*) break ;;
		esac
	done
	# request numbers live in a file: vm_exec often runs in a subshell
	n=$(($(cat "$VM_RUN/seq" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$VM_RUN/seq"
	printf '%s\n' "$*" >"$VM_RUN/req.$n.tmp"
	: >"$VM_RUN/out.$n"
	mv "$VM_RUN/req.$n.tmp" "$VM_RUN/req.$n"
	if [ -n "$stream" ]; then
		tail -n +1 -f "$VM_RUN/out.$n" 2>/dev/null &
		tailpid=$!
	fi
	deadline=$((SECONDS + t))
	while [ ! -e "$VM_RUN/rc.$n" ]; do
		if [ $SECONDS -ge $deadline ] || ! kill -0 "$VM_QEMU_PID" 2>/dev/null; then
			[ -n "$tailpid" ] && { sleep 1; kill "$tailpid"; wait "$tailpid"; } 2>/dev/null
			[ -z "$stream" ] && cat "$VM_RUN/out.$n"
			if kill -0 "$VM_QEMU_PID" 2>/dev/null; then
				echo "vm: the guest command timed out after ${t}s: $*" >&2
			elif [ -z "${VM_DIED_SAID:-}" ]; then
				# once: the kernel's last words (a panic, an oops)
				VM_DIED_SAID=1
				echo "vm: the guest died during: $*; its console's last lines:" >&2
				tail -40 "$VM_RUN/console.log" | sed 's/^/vm: console: /' >&2
			else
				echo "vm: the guest is dead: $*" >&2
			fi
			return 124
		fi
		sleep 0.1
	done
	if [ -n "$tailpid" ]; then
		sleep 1.2 # tail polls once a second: let it print the last lines
		kill "$tailpid" 2>/dev/null
		wait "$tailpid" 2>/dev/null
	else
		cat "$VM_RUN/out.$n"
	fi
	rc=$(cat "$VM_RUN/rc.$n")
	rm -f "$VM_RUN/out.$n" "$VM_RUN/rc.$n"
	return "$rc"
}

vm_halt() {
	[ -n "$VM_RUN" ] && touch "$VM_RUN/halt"
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$VM_QEMU_PID" 2>/dev/null || break
		sleep 0.2
	done
	vm_cleanup
}

# ---- the guest's synwall counters, for the virtio suites -----------------

# guest counters: vm_stat NAME... (sums over CPUs, one per line)
vm_stat() {
	vm_exec "source tests/e2e/lib.sh; SW_PIN=/sys/fs/bpf/synwall/$VM_NIC; sw_stat $*"
}
vm_stats_line() { # the counters that are not 0, one line
	vm_exec "source tests/e2e/lib.sh; SW_PIN=/sys/fs/bpf/synwall/$VM_NIC; sw_stats_line"
}
# "RX XDP_TOTAL": the frames the guest's driver received (its rx_packets,
# counted before XDP runs) and the XDP counters, read in one guest command,
# rx_packets before and after the counters and the triple kept once they
# agree
vm_rx_xdp() {
	vm_exec "source tests/e2e/lib.sh; SW_PIN=/sys/fs/bpf/synwall/$VM_NIC
		rx=/sys/class/net/$VM_NIC/statistics/rx_packets
		for i in 1 2 3 4 5 6 7 8; do
			r1=\$(cat \$rx)
			x=\$(sw_stats_all | awk '\$1 ~ /^xdp_/ { s += \$2 } END { print s + 0 }')
			r2=\$(cat \$rx)
			[ \"\$r1\" = \"\$r2\" ] && break
		done
		echo \$r2 \$x"
}
# frames the host put on the tap (its transmit side: /proc/net/dev is the
# namespace's own, /sys/class/net would be the host's)
vm_tap_tx() { vmh awk -v d="$VM_TAP:" '$1 == d { print $11 }' /proc/net/dev; }
# vm_snap: "TAP_TX RX XDP_TOTAL" read as one snapshot: the host's own frames
# (neighbour discovery, ARP) must not fall between the reads, so the tap's
# count is read before and after and the triple kept once it agrees
vm_snap() {
	local a b r x i
	for i in 1 2 3 4 5 6 7 8; do
		a=$(vm_tap_tx)
		read -r r x < <(vm_rx_xdp)
		b=$(vm_tap_tx)
		[ "$a" = "$b" ] && break
	done
	echo "$b $r $x"
}

# vm_connects PORT: 20 IPv4 and 10 IPv6 connects to the guest's PORT, 1 MiB
# each way on each family (32 connections)
# (a failed connect says what the guest's synwall and TCP counted)
vm_connects() {
	local port=$1 p=$VM_ROOT/build/e2e/tcpprobe out
	out=$(vmh "$p" seq "$VM_G4" "$port" 20 2>&1) && pass "ipv4 connects: $out" || fail "ipv4 connects: $out; $(vm_connects_said)"
	out=$(vmh "$p" seq "$VM_G6" "$port" 10 2>&1) && pass "ipv6 connects: $out" || fail "ipv6 connects: $out; $(vm_connects_said)"
	out=$(vmh "$p" xfer "$VM_G4" "$port" 1048576 2>&1) && pass "ipv4 1 MiB each way, byte for byte: $out" || fail "ipv4 xfer: $out"
	out=$(vmh "$p" xfer "$VM_G6" "$port" 1048576 2>&1) && pass "ipv6 1 MiB each way, byte for byte: $out" || fail "ipv6 xfer: $out"
}

# what a failed connect leaves to read: synwall's counters and the guest's
# TCP counters of resets and handshake drops (since boot)
vm_connects_said() {
	echo "synwall: $(vm_stats_line); guest: $(vm_exec "nstat -az TcpOutRsts TcpEstabResets TcpExtListenDrops TcpExtListenOverflows TcpExtSyncookiesFailed TcpExtTCPReqQFullDrop | awk 'NR > 1 { printf \"%s=%s \", \$1, \$2 }'")"
}

# vm_forged_acks PORT N: N ACKs with random sequence numbers from the
# host's address to the guest's PORT (no handshake before them)
vm_forged_acks() {
	vmh /usr/bin/python3 - "$VM_TAP" "$VM_G4" "$1" "$2" <<-'PY'
		import sys, random
		from scapy.config import conf
		from scapy.layers.l2 import Ether
		from scapy.layers.inet import IP, TCP
		from scapy.sendrecv import sendp
		conf.verb = 0
		dev, dst, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
		# below the ephemeral ports: a real connection's TIME_WAIT takes its ACK
		pk = [Ether(dst="52:54:00:20:30:02") / IP(src="10.203.0.1", dst=dst) /
		      TCP(sport=random.randint(1024, 32767), dport=port, flags="A",
		          seq=random.getrandbits(32), ack=random.getrandbits(32)) for _ in range(n)]
		sendp(pk, iface=dev)
	PY
}

# vm_flood_check PORT: a bounded SYN flood (spoofed sources) to PORT with
# 50 legit connects meanwhile, every one succeeding; every frame the guest's
# driver received is counted by exactly one XDP counter, and the driver
# received what the host put on the tap (but at most 2 frames that qemu
# lost on the way under TCG: seen in 2 of about 10 runs, 1 frame each, and
# said in the PASS line)
vm_flood_check() {
	local port=$1
	local E2E_CNS=$VM_HNS E2E_CIF=$VM_TAP E2E_SIF=$VM_NIC S4=$VM_G4 S6=$VM_G6 E2E_TMP=$VM_RUN
	nsc() { vmh "$@"; }
	nss() { vm_exec "$*"; }
	# shellcheck source=tests/e2e/flood.sh
	source "$VM_ROOT/tests/e2e/flood.sh"
	local t0 r0 x0 tx1 r1 x1 legit sent got xdp
	read -r t0 r0 x0 < <(vm_snap)
	swf_flood_start syn4 40000 $port 20000
	legit=$(vmh "$VM_ROOT/build/e2e/tcpprobe" seq "$VM_G4" $port 50 2>&1)
	local lrc=$?
	swf_flood_wait
	sleep 2
	read -r tx1 r1 x1 < <(vm_snap)
	# a frame the host sent just before the snapshot may still be on its
	# way to the guest (TCG): read again while the guest lags, a few times
	local i
	for i in 1 2 3 4 5; do
		[ $((x1 - x0)) -ge $((tx1 - t0)) ] && break
		sleep 1
		read -r tx1 r1 x1 < <(vm_snap)
	done
	sent=$((tx1 - t0)) got=$((r1 - r0)) xdp=$((x1 - x0))
	[ $lrc -eq 0 ] && pass "50 legit connects during a 40000-SYN flood: $legit" ||
		fail "legit connects during the flood: $legit"
	if [ "$xdp" -eq "$got" ] && [ "$sent" -ge 40000 ] &&
		[ "$got" -le "$sent" ] && [ $((sent - got)) -le 2 ]; then
		pass "counters match the wire: the host sent $sent frames, the guest's driver received $got$([ "$got" -lt "$sent" ] && echo " ($((sent - got)) lost in qemu)"), XDP counted $xdp"
	else
		fail "counters: the host sent $sent frames on the tap, the guest's driver received $got, XDP counted $xdp ($(vm_stats_line))"
	fi
}

# vm_clean_after WHAT: nothing of synwall left in the guest
vm_clean_after() {
	local net link pins
	net=$(vm_exec "bpftool net show dev $VM_NIC")
	link=$(vm_exec "ip -d link show dev $VM_NIC")
	pins=$(vm_exec "find /sys/fs/bpf -mindepth 1 2>/dev/null")
	if echo "$net $link" | grep -Eq 'synwall|prog/xdp|xdpgeneric|tcx|clsact' || [ -n "$pins" ]; then
		fail "after $1: left behind: bpftool net: $net; pins: $pins"
	else
		pass "after $1: nothing in bpftool net, ip -d link or /sys/fs/bpf"
	fi
}
