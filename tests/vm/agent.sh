#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The VM lab's guest agent: runs inside the guest (chroot on the host's root
# over 9p, see tests/vm/init) and executes the host's requests.
#
# The run directory is shared with the host as /vmshare.  The host writes a
# request as req.N (a bash script, renamed into place when complete); the
# agent claims it (renames it run.N), runs it with its output in out.N and
# writes its exit status to rc.N (renamed into place).  A file "halt" ends the
# agent; the guest then powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LC_ALL=C
share=/vmshare

setup() {
	local m
	# devtmpfs has no /dev/fd (bash process substitution), pts or shm
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
	[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
	[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
	[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
	mkdir -p /dev/pts /dev/shm
	mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
	mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
	mountpoint -q /run || mount -t tmpfs -o mode=0755 tmpfs /run
	for m in veth 8021q sch_ingress cls_bpf virtio_net tun bridge tcp_diag udp_diag inet_diag; do
		modprobe -q "$m" 2>/dev/null || echo "agent: no module $m"
	done
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	mkdir -p /run/netns
	ip link set lo up
	# Hold the static keys of the ingress and egress hooks on for the
	# guest's whole life: an unused clsact qdisc on the root namespace's
	# lo.  Under qemu's multi-threaded TCG, patching a static key while the
	# other vCPU runs through its site kills the guest ("Oops: int3" in
	# __netif_receive_skb_core or __dev_queue_xmit, a panic in softirq).
	# Any detach that removes the last clsact qdisc during traffic flips
	# them (test_faults' detach under a flood did, in 2 of ~8 runs); a loop
	# of tc qdisc add/del beside veth traffic, no synwall at all, kills a
	# 6.12 guest in ~20 s, and does not in 240 s with this qdisc held.
	# (tests/vm/README.md, "qemu's traps")
	tc qdisc add dev lo clsact || echo "agent: cannot hold the clsact static keys on lo"
	# The guest's NIC (virtio_net, the host's tap on the other side).
	local nic d
	for d in /sys/class/net/*; do
		[ "${d##*/}" = lo ] && continue
		nic=${d##*/}
		break
	done
	[ -n "${nic:-}" ] && echo "$nic" >"$share/nic"
	hostname swvm 2>/dev/null || true
}

setup
# Variables the host asked for (vm_boot VM_GUEST_ENV="NAME=VALUE ...").
if [ -f "$share/env" ]; then
	set -a
	# shellcheck disable=SC1091
	. "$share/env"
	set +a
fi
uname -r >"$share/ready.tmp" && mv "$share/ready.tmp" "$share/ready"
while [ ! -e "$share/halt" ]; do
	for req in "$share"/req.*; do
		[ -e "$req" ] || continue
		n=${req##*.}
		# claim the request before running it: the host may write the
		# next one as soon as rc.N appears
		mv "$req" "$share/run.$n" || continue
		(cd "$(cat "$share/cwd" 2>/dev/null || echo /)" && bash "$share/run.$n") >"$share/out.$n" 2>&1 </dev/null
		echo $? >"$share/rc.$n.tmp"
		rm -f "$share/run.$n"
		mv "$share/rc.$n.tmp" "$share/rc.$n"
	done
	sleep 0.2
done
