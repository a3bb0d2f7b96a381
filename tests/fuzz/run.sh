#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make fuzz`: run the libFuzzer target on the real XDP program for
# FUZZ_SECONDS (default 300) and report.  Needs root.
#
#   FUZZ_SECONDS=600 tests/fuzz/run.sh
#   FUZZ_JOBS=2      parallel fuzzing processes (default 1: the machine is shared)
#
# Corpora: build/fuzz/work (what libFuzzer found, kept across runs),
# build/fuzz/seeds (the built-in seeds, rewritten each run) and
# tests/fuzz/corpus (the committed malformed cases; read only).
# A violation aborts the target; its input lands in build/fuzz/artifacts/
# and the exit status is non-zero.  Replay it with
#   build/tests/test_fuzz_pass --replay build/fuzz/artifacts/crash-...
# and, once understood, copy it to tests/fuzz/corpus/ under a name that
# says what it is, so that `make test` checks it for ever.
set -uo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "fuzz: needs root (BPF_PROG_TEST_RUN, a network namespace)" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

SECS=${FUZZ_SECONDS:-300}
JOBS=${FUZZ_JOBS:-1}
OUT=build/fuzz
./tests/fuzz/build.sh || exit 1
rm -rf "$OUT/seeds"
mkdir -p "$OUT/work" "$OUT/artifacts" "$OUT/seeds"
build/tests/test_fuzz_pass --write-seeds "$OUT/seeds" || exit 1
before=$(ls "$OUT/artifacts" | wc -l)
log=$OUT/last.log

echo "fuzz: $SECS s, $JOBS job(s); corpora $OUT/work $OUT/seeds tests/fuzz/corpus"
args=(-max_total_time="$SECS" -max_len=1601 -timeout=10 -rss_limit_mb=2048
	-artifact_prefix="$OUT/artifacts/" -print_final_stats=1)
[ "$JOBS" -gt 1 ] && args+=(-fork="$JOBS" -ignore_crashes=1)
# the oracle opens its own network namespace; the timeout bounds a hang.
# ASan's quarantine would otherwise hold every freed stats buffer (RSS).
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=0}
timeout --kill-after=30 $((SECS + 120)) \
	"$OUT/fuzz_xdp" "${args[@]}" "$OUT/work" "$OUT/seeds" tests/fuzz/corpus \
	>"$log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of|new_units|peak)|CONTRACT VIOLATION|harness error|ERROR: |SUMMARY' "$log" | tail -20
after=$(ls "$OUT/artifacts" | wc -l)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]; then
	echo "fuzz: PASS: ${execs:-?} inputs in $SECS s, no violation (corpus $(ls "$OUT/work" | wc -l) inputs; log $log)"
	exit 0
fi
echo "fuzz: FAIL (exit $rc): $((after - before)) new artifact(s) in $OUT/artifacts/ (log $log):"
ls -t "$OUT/artifacts" | head -$((after - before > 0 ? after - before : 1)) | sed "s|^|  $OUT/artifacts/|"
echo "replay: build/tests/test_fuzz_pass --replay FILE"
exit 1
