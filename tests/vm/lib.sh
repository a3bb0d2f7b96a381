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
			echo "vm: the guest command timed out after ${t}s or the guest died: $*" >&2
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
