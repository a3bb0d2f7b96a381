#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make vmtest: synwall's suites inside Debian's own kernels under qemu.
#
#   KERNELS="6.12 6.1" tests/vm/run.sh [SUITE...]
#
# For each kernel: fetch and unpack its package (tests/vm/kernel.sh, cached
# under build/vm/), build its initramfs, boot it (tests/vm/lib.sh) and run
#   1. every suite of `make test` inside the guest (tests/run.sh; SUITE...
#      selects as there), on the guest's own veth pairs and namespaces;
#   2. the real-driver suites (tests/vm/test_*.sh): synwall in native XDP on
#      the guest's virtio_net NIC, the host's TCP stack as the client.
# Every line of output is the suites' own (PASS:/FAIL:/SKIP:), under a
# "=== KERNEL ..." header; the run ends with one line for all kernels:
#   N passed, N failed, N skipped
# and exits non-zero if anything failed.  Each guest boot is bounded by
# VM_TIMEOUT seconds (default 3600); nothing is left on the host.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

[ "$(id -u)" -eq 0 ] || { echo "vmtest needs root (netns, tap)" >&2; exit 1; }
KERNELS=${KERNELS:-"6.12 6.1"}
VM_TIMEOUT=${VM_TIMEOUT:-3600}
pass=0 fail=0 skip=0

count() { # count LOG: add the log's PASS/FAIL/SKIP lines to the totals
	local p f k
	p=$(grep -c '^PASS: ' "$1")
	f=$(grep -c '^FAIL: ' "$1")
	k=$(grep -c '^SKIP: ' "$1")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + k))
	echo "--- $2: $p passed, $f failed, $k skipped"
}

for k in $KERNELS; do
	start=$SECONDS
	log=$(mktemp)
	echo "=== kernel $k"
	if ! kdir=$(tests/vm/kernel.sh "$k") || ! tests/vm/initramfs.sh "$kdir"; then
		echo "FAIL: vm $k: cannot prepare the kernel (see above)"
		fail=$((fail + 1))
		continue
	fi
	# One boot per kernel: the guest suites, then the real-driver suites.
	# The build check (guest_suites.sh) in the last kernel's guest only.
	last=${KERNELS##* }
	VM_BUILD_CHECK=$([ "$k" = "$last" ] && echo 1 || echo 0) \
		timeout --kill-after=20 "$VM_TIMEOUT" bash tests/vm/guest_suites.sh "$kdir" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$log"; then
		echo "FAIL: vm $k: the guest run ended with status $rc without reporting a failure" | tee -a "$log"
	fi
	count "$log" "kernel $k ($((SECONDS - start)) s)"
	rm -f "$log"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
