#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Keys, config and the clock against concurrent changes
# (on the veth lab of lib.sh):
#   - `keys --rotate` twice: the second is refused while the current key is
#     younger than the cookie lifetime (it would kill handshakes in flight),
#     saying how long to wait and what --force does; --force rotates;
#   - the rotation loop takes the host-wide lock for every key write: while
#     another command holds it, the loop does not rotate;
#   - the TC re-check flag lives in the data path's own map (dp_state): a
#     `synwall config` or a second `attach` (read-modify-write of config)
#     never clears it; detach removes that pin too;
#   - the data path's clock offset: config.tai_offset is the kernel's TAI
#     offset after attach, a stale one is shown and refreshed by the next
#     config write and by the rotation loop.
# Output: PASS:/FAIL:/SKIP: lines (tests/run.sh).
set -u

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
lab_init "$@"

command -v bpftool >/dev/null || { skip "races: bpftool missing (make deps)"; exit 0; }
[ -x "$SW_LOADER" ] || { skip "races: build/synwall not built (make)"; exit 0; }
if ! has_handoff_kfunc; then
	skip "races: kernel $(uname -r) lacks the kfunc bpf_sk_assign_tcp_reqsk (Linux >= 6.9): every race test attaches synwall"
	exit 0
fi
lab_build || die "races: cannot build the lab helpers"
lab_up || die "races: cannot set up the veth lab"

PORT=8080
LOCK=/run/synwall.lock
L() { nss "$SW_LOADER" "$@"; }
PIN=/sys/fs/bpf/synwall/$E2E_SIF
SW_PIN=$PIN # for lib.sh's map writers

# field FIELD MAP: a top-level field of a one-entry pinned map
field() {
	bpftool -j map dump pinned "$PIN/$2" | "$SYSPY" -c \
		'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"][sys.argv[1]])' "$1"
}
host_tai() { # the kernel's TAI - UTC, from the two clocks
	"$SYSPY" -c 'import time; print(round(time.clock_gettime(time.CLOCK_TAI) - time.time()))'
}

L attach "$E2E_SIF" --ports "$PORT" >/dev/null 2>&1 || die "races: attach failed"

# ---- keys --rotate twice ---------------------------------------------------

g0=$(field generation keys)
out1=$(L keys "$E2E_SIF" --rotate 2>&1)
rc1=$?
out2=$(L keys "$E2E_SIF" --rotate 2>&1)
rc2=$?
g2=$(field generation keys)
if [ "$rc1" -ne 0 ]; then
	fail "rotate_twice_refused: the first rotation after attach failed: $out1"
elif [ "$rc2" -eq 0 ] || [ "$g2" -ne $((g0 + 1)) ]; then
	fail "rotate_twice_refused: second rotation exit $rc2, generation $g0 -> $g2: $out2"
elif ! grep -q "Wait 1[0-9][0-9]s\|Wait [0-9]*s" <<<"$out2" || ! grep -q -- "--force" <<<"$out2" ||
	! grep -q "kill" <<<"$out2"; then
	fail "rotate_twice_refused: the message does not say how long to wait and what --force does: $out2"
else
	pass "rotate_twice_refused: $(grep -o 'Wait [0-9]*s' <<<"$out2"), --force named"
fi
out=$(L keys "$E2E_SIF" --rotate --force 2>&1)
rc=$?
g3=$(field generation keys)
[ "$rc" -eq 0 ] && [ "$g3" -eq $((g2 + 1)) ] && pass "rotate_force: rotates at once (generation $g2 -> $g3)" ||
	fail "rotate_force: exit $rc, generation $g2 -> $g3: $out"

# ---- the rotation loop takes the lock ---------------------------------------

bgs "$SW_LOADER" run "$E2E_SIF" --rotate 1 --allow-short-rotate >"$E2E_TMP/loop.out" 2>&1
loop_pid=${E2E_PIDS[-1]}
sleep 1.5
# another synwall command holds the lock for 10 s
rm -f "$E2E_TMP/held"
flock "$LOCK" sh -c "touch '$E2E_TMP/held'; sleep 10" &
E2E_PIDS+=($!)
holder=$!
# read the generation only once the holder has the lock (a slow machine
# may still be inside the loop's own locked rotation at first)
for _ in $(seq 100); do [ -e "$E2E_TMP/held" ] && break; sleep 0.05; done
ga=$(field generation keys)
sleep 2.4
gb=$(field generation keys)
# both reads must fall inside the holder's 10 s (bpftool is slow in a TCG guest)
held_through=$(kill -0 "$holder" 2>/dev/null && echo 1 || echo 0)
wait "$holder"
sleep 2.2
gc=$(field generation keys)
if ! kill -0 "$loop_pid" 2>/dev/null; then
	fail "rotation_loop_takes_lock: the loop died: $(cat "$E2E_TMP/loop.out")"
elif [ "$held_through" != 1 ]; then
	fail "rotation_loop_takes_lock: cannot judge: reading the generation twice took longer than the holder's 10 s"
elif [ "$ga" -ne "$gb" ]; then
	fail "rotation_loop_takes_lock: the loop rotated ($ga -> $gb) while another command held $LOCK"
elif [ "$gc" -le "$gb" ]; then
	fail "rotation_loop_takes_lock: no rotation after the lock was released ($gb -> $gc): $(cat "$E2E_TMP/loop.out")"
else
	pass "rotation_loop_takes_lock: no rotation while the lock is held ($ga = $gb), rotates after ($gb -> $gc)"
fi
# a keys write waits for the lock too, and then serialises with the loop
flock "$LOCK" sleep 1.5 &
E2E_PIDS+=($!)
holder=$!
sleep 0.2
t0=$(date +%s.%N)
out=$(L keys "$E2E_SIF" --rotate --force 2>&1)
rc=$?
dt=$("$SYSPY" -c "import sys; print(round($(date +%s.%N) - $t0, 1))")
wait "$holder"
if [ "$rc" -eq 0 ] && "$SYSPY" -c "import sys; sys.exit(0 if $dt >= 1.0 else 1)"; then
	pass "keys_write_waits_for_lock: synwall keys waited ${dt}s for the holder"
else
	fail "keys_write_waits_for_lock: exit $rc after ${dt}s: $out"
fi

# ---- the rotation loop refreshes the clock offset ------------------------------

tai=$(host_tai)
sw_set_config 0 0 $((tai + 37)) # a stale offset, as before chrony set it
for i in $(seq 30); do # the loop's next wake-ups (every 1 s here)
	now=$(field tai_offset config)
	[ "$now" -eq "$tai" ] && break
	sleep 0.1
done
[ "$now" -eq "$tai" ] && grep -q "TAI offset is $tai s" "$E2E_TMP/loop.out" &&
	pass "rotation_loop_refreshes_tai_offset: $((tai + 37)) -> $now" ||
	fail "rotation_loop_refreshes_tai_offset: config.tai_offset $now, kernel $tai: $(cat "$E2E_TMP/loop.out")"
kill "$loop_pid" 2>/dev/null
wait "$loop_pid" 2>/dev/null
L attach "$E2E_SIF" --ports "$PORT" >/dev/null 2>&1 # restores the config

# ---- the clock offset in config -----------------------------------------------

tai=$(host_tai)
off=$(field tai_offset config)
st=$(L status "$E2E_SIF")
[ "$off" -eq "$tai" ] && grep -q "clock:  UTC = CLOCK_TAI - $tai s" <<<"$st" &&
	pass "attach_writes_tai_offset: config.tai_offset = $off = the kernel's TAI - UTC; status shows it" ||
	fail "attach_writes_tai_offset: config $off, kernel $tai; $st"
sw_set_config 0 0 $((tai + 37))
c1=$(L config "$E2E_SIF")
L config "$E2E_SIF" --ttl 64 >/dev/null
off=$(field tai_offset config)
grep -q "STALE" <<<"$c1" && [ "$off" -eq "$tai" ] &&
	pass "config_write_refreshes_tai_offset: a stale offset is shown, and the next config write fixes it" ||
	fail "config_write_refreshes_tai_offset: after config: $off (kernel $tai); before: $c1"

# ---- the TC re-check flag survives config writes -------------------------------

sw_set_dp 1 # as XDP sets it when the driver gives no metadata room
L config "$E2E_SIF" --ports "$PORT,9090" --mss4 1400 >/dev/null 2>&1
f1=$(field flags dp_state)
L attach "$E2E_SIF" --ports "$PORT" >/dev/null 2>&1 # rewrites config with defaults
f2=$(field flags dp_state)
cfg=$(L config "$E2E_SIF")
if [ "$f1" -eq 1 ] && [ "$f2" -eq 1 ] && grep -q "TC re-checks" <<<"$cfg"; then
	pass "tc_recheck_flag_survives_config: set in dp_state, kept across config and attach; shown"
else
	fail "tc_recheck_flag_survives_config: after config $f1, after attach $f2; $cfg"
fi
# concurrent: configs in a loop while the flag is set again and again
(for i in $(seq 20); do L config "$E2E_SIF" --ttl $((60 + i % 4)) >/dev/null 2>&1; done) &
cpid=$!
E2E_PIDS+=($cpid)
lost=0
for i in $(seq 20); do
	sw_set_dp 1
	sleep 0.02
	[ "$(field flags dp_state)" -eq 1 ] || lost=$((lost + 1))
done
wait "$cpid"
[ "$lost" -eq 0 ] && pass "tc_recheck_flag_vs_concurrent_config: never cleared by 20 concurrent config writes" ||
	fail "tc_recheck_flag_vs_concurrent_config: cleared $lost times"

# ---- detach removes every pin ---------------------------------------------------

out=$(L detach "$E2E_SIF" 2>&1)
left=$(ls -A "$PIN" 2>/dev/null)
[ ! -e "$PIN" ] && [ -z "$left" ] && pass "detach_removes_every_pin: including dp_state" ||
	fail "detach_removes_every_pin: left '$left': $out"

[ -z "${E2E_FAILED:-}" ]
