#!/bin/bash
# synwall benchmarks.  Speed is measured here, never asserted in tests.
# Currently: the per-packet cost of the XDP program (bench_xdp, see its
# header comment for the method).  Run one piece alone:
#   build/bench/bench_xdp --calls 200000 --runs 5
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "benchmarks need root (BPF_PROG_TEST_RUN)" >&2; exit 1; }

echo "# synwall per-packet cost, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "# BPF_PROG_TEST_RUN, repeat=1 per call, minus an empty XDP program;"
echo "# 'repeat ns' = one call with repeat=N (only where the packet is not rewritten)"
build/bench/bench_xdp --calls "${CALLS:-200000}" --runs "${RUNS:-5}"
