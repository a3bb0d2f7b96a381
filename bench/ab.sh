#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/ab.sh: the per-packet cost of two builds of the XDP program, before
# and after a change, measured in turns so that a slow phase of the machine
# hits both.  Not part of `make bench`; run it alone, as root:
#
#   bench/ab.sh BEFORE.o AFTER.o [CLASSES] [ROUNDS]
#
# CLASSES is bench_xdp's --only list (default
# syn4,syn4-trusted,badack,badack-trusted,est); ROUNDS (default 4) is how
# many times each object is run, alternately, as `bench_xdp --csv --calls
# 100000 --runs 5 --live-calls 0`.  Per class and object it prints, over
# all rounds: the lowest run minimum, the lowest and the middle run median
# (repeat = 1 per call), and the lowest and middle of the repeat column
# (one call of repeat = CALLS; only for the classes the program leaves
# unchanged, see bench_xdp.c).  On a VM whose neighbours come and go the
# medians move by tens of ns between minutes: compare the lows first, and
# read a difference smaller than the spread of one object's rounds as none.
#
# Make the two objects from two trees, or from one with a -D flag, e.g.:
#   git stash; make build/synwall.bpf.o; cp build/synwall.bpf.o /tmp/a.o
#   git stash pop; make build/synwall.bpf.o; bench/ab.sh /tmp/a.o build/synwall.bpf.o
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "ab: needs root" >&2; exit 1; }
[ $# -ge 2 ] || { sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
A=$1 B=$2
CLASSES=${3:-syn4,syn4-trusted,badack,badack-trusted,est}
ROUNDS=${4:-4}
for o in "$A" "$B"; do
	[ -f "$o" ] || { echo "ab: no such object: $o" >&2; exit 1; }
done
make -s -C "$ROOT" build/bench/bench_xdp >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for r in $(seq "$ROUNDS"); do
	for o in "$A" "$B"; do
		# both may have one file name: label them by position
		[ "$o" = "$A" ] && n=A || n=B
		"$ROOT/build/bench/bench_xdp" --csv --calls 100000 --runs 5 \
			--live-calls 0 --only "$CLASSES" --obj "$o" |
			tail -n +2 | sed "s/^/$n,/" >>"$out"
	done
	echo "ab: round $r of $ROUNDS done" >&2
done

echo "A = $A"
echo "B = $B"
python3 - "$out" <<'EOF'
import csv, statistics, sys

rows = {}
for r in csv.reader(open(sys.argv[1])):
    # obj,class,sw_min,sw_median,sw_repeat,...
    rows.setdefault((r[1], r[0]), []).append(r[2:5])

def num(v):
    try:
        return float(v)
    except ValueError:
        return None

def stats(vals):
    v = sorted(x for x in vals if x is not None)
    return (v[0], statistics.median(v)) if v else (None, None)

def f(x):
    return "%7.1f" % x if x is not None else "      -"

print("%-32s %3s %8s %8s %8s %8s %8s" % ("class", "obj", "min", "med low",
      "med mid", "rep low", "rep mid"))
for cls in dict.fromkeys(k[0] for k in rows):
    for obj in ("A", "B"):
        rs = rows.get((cls, obj), [])
        mins = [num(r[0]) for r in rs]
        meds = [num(r[1]) for r in rs]
        reps = [num(r[2]) for r in rs]
        lo = min(x for x in mins if x is not None)
        m = stats(meds)
        p = stats(reps)
        print("%-32s %3s %8s %8s %8s %8s %8s" % (cls, obj, f(lo), f(m[0]),
              f(m[1]), f(p[0]), f(p[1])))
EOF
