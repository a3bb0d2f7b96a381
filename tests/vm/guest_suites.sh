#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# One guest boot (tests/vm/run.sh calls this once per kernel):
#   tests/vm/guest_suites.sh KDIR [SUITE...]
# boots KDIR, runs tests/run.sh [SUITE...] inside it, then each real-driver
# suite tests/vm/test_*.sh on the host side of the guest's NIC, then halts.
# An EXIT trap removes the qemu process, the host namespace and the run
# directory whatever happens.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/vm/lib.sh
source tests/vm/lib.sh
trap vm_cleanup EXIT
trap 'exit 130' INT TERM

kdir=$1
shift
release=$(cat "$kdir/version")
t0=$SECONDS
vm_boot "$kdir" || { echo "FAIL: vm boot $release: the guest did not come up"; exit 1; }
echo "  # guest $release up in $((SECONDS - t0)) s"

# Build once, run everywhere: the BPF object built on this kernel (whose
# BTF may lack types synwall uses, e.g. 6.1 has no struct
# bpf_tcp_req_attrs) is byte for byte the one the host built.  One guest
# shows it (run.sh asks the last kernel, the oldest by default; the build
# reads nothing of the running kernel, and it costs ~50 s under TCG).
if [ "${VM_BUILD_CHECK:-1}" != 1 ]; then
	echo "  # vm build: checked in another guest of this run"
elif out=$(vm_exec -t 300 "rm -rf /tmp/vmbuild && make -s BUILD=/tmp/vmbuild /tmp/vmbuild/synwall.bpf.o >/tmp/vmbuild.log 2>&1 &&
	cmp /tmp/vmbuild/synwall.bpf.o build/synwall.bpf.o || { tail -5 /tmp/vmbuild.log; exit 1; }"); then
	echo "PASS: vm build on $release: build/synwall.bpf.o made here is identical to the host's"
else
	echo "FAIL: vm build on $release: $out"
fi

t1=$SECONDS
# The guest's closing line is its own; the host counts the lines.
# A timeout is a failure, not a shorter run: the suites after the one that
# was running never reported.  (Idle, this machine needs ~17 min for the
# 6.12 guest; the bound leaves room for a loaded one.)
# FORGERY_N: the MAC's strength is the code's, measured with 10^7 guesses
# on the host; a guest checks with 10^6 that this kernel runs the program
# to the same verdicts (every one compared with cookie.h), in a tenth of
# the time under TCG.  LATENCY_N: test_handoff's connect latency (a note,
# not a verdict) from 200 connects, not 1000.  DEGRADED_WAIT=short:
# test_degraded.sh skips its two-minute wait (the host runs it on the
# flag's degraded mode; test_virtio_degraded.sh runs it in the 6.1 guest,
# whose attach picks degraded mode itself, on the real driver).  SEQ_N:
# test_handoff's sequential connects, 300 (the host makes 1000; each is the
# same handoff).  ATTACH_RACES: test_faults' concurrent-attach rounds, 3
# (the host runs 10; the race is the loader's lock, kernel-independent).
# VM_TCG=1: the guest runs under qemu's multi-threaded TCG, where the
# kernel patching its text under traffic kills it (tests/vm/README.md);
# test_faults leaves its detach under a flood to the host.
# A kernel with the handoff kfunc attaches in full mode: its degraded mode is
# the flag's only, which the host's make test runs; the guest of a kernel
# without it (6.1), whose attach picks degraded mode, runs test_degraded.sh.
not_here=
if vm_exec "bpftool btf dump file /sys/kernel/btf/vmlinux | grep -q \"FUNC 'bpf_sk_assign_tcp_reqsk'\""; then
	not_here="test_degraded.sh: this kernel attaches in full mode; degraded mode by flag runs on the host (make test), by itself in the guest of a kernel without the kfunc (6.1)"
fi
vm_exec -s -t "${VM_SUITES_TIMEOUT:-2700}" \
	"VM_TCG=1 NOT_HERE='$not_here' FORGERY_N=1000000 LATENCY_N=200 SEQ_N=300 ATTACH_RACES=3 DEGRADED_WAIT=short tests/run.sh $*" |
	grep --line-buffered -vE '^[0-9]+ passed, [0-9]+ failed'
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 124 ]; then
	echo "FAIL: vm suites on $release: no result after ${VM_SUITES_TIMEOUT:-2700} s (the suites after the last one above did not run)"
fi
echo "  # guest suites: $((SECONDS - t1)) s"

for s in tests/vm/test_*.sh; do
	[ -f "$s" ] || continue
	t1=$SECONDS
	echo "=== $s ($release)"
	# shellcheck disable=SC1090
	(source "$s") 
	echo "  # $s: $((SECONDS - t1)) s"
done
vm_halt
