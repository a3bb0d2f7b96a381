#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""bench/table.py: the one table of `make bench`, from bench_xdp's CSV and
flood.sh's "swb:" lines.

    bench/table.py [--meta TEXT]... PERPACKET.csv FLOOD.txt

Either file may be missing or empty (that piece was not run); its rows
then show "-".  See bench/README.md for what every row means.
"""
import csv
import sys

SYSTEMS = ["synwall", "syncookies", "nft-synproxy", "xdp-synproxy",
           "xdp-floor"]
# the method's floor (bench/swb_floor.bpf.c): swaps and XDP_TX, nothing else
FLOOR = "xdp-floor"
W_LABEL = 40
W_COL = 15


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def read_perpacket(path):
    rows = []
    try:
        with open(path) as f:
            for r in csv.DictReader(f):
                rows.append(r)
    except OSError:
        pass
    return rows


def read_flood(path):
    res = {}
    try:
        with open(path) as f:
            for line in f:
                if not line.startswith("swb: "):
                    continue
                kv = {}
                for w in line[5:].split():
                    if "=" in w:
                        k, v = w.split("=", 1)
                        kv[k] = v
                key = (kv.get("system"), kv.get("piece"), kv.get("flood"))
                res[key] = kv
    except OSError:
        pass
    return res


def row(label, cells, extra=""):
    out = label.ljust(W_LABEL)
    for c in cells:
        out += str(c).rjust(W_COL)
    if extra:
        out += "  " + extra
    return out


def fmt_ns(v):
    return "-" if v is None else "%.0f" % v


def main():
    meta = []
    args = sys.argv[1:]
    while args and args[0] == "--meta":
        meta.append(args[1])
        args = args[2:]
    pp = read_perpacket(args[0]) if args else []
    fl = read_flood(args[1]) if len(args) > 1 else {}

    width = W_LABEL + W_COL * len(SYSTEMS) + 9
    print("=" * width)
    for m in meta:
        print(m)
    print("=" * width)
    print(row("", SYSTEMS, "sw/peer"))

    # 1. per packet
    if pp:
        n = pp[0].get("packets", "?")
        print("1. per packet, ns: test_run median (min / live frames), "
              "%s packets each" % n)
        for r in pp:
            sw = "%s (%s/%s)" % (fmt_ns(num(r["sw_median_ns"])),
                                 fmt_ns(num(r["sw_min_ns"])),
                                 fmt_ns(num(r["sw_live_ns"])))
            pe = "-"
            if num(r["peer_median_ns"]) is not None:
                pe = "%s (%s/%s)" % (fmt_ns(num(r["peer_median_ns"])),
                                     fmt_ns(num(r["peer_min_ns"])),
                                     fmt_ns(num(r["peer_live_ns"])))
            print(row("   " + r["class"], [sw, "-", "-", pe, "-"], r["ratio"]))
    else:
        print("1. per packet: not run")

    def get(sys_, piece, flood=None):
        return fl.get((sys_, piece, flood), {})

    # 2./3. floods
    for piece, title, unit in (("syn", "SYN flood", "SYN"),
                               ("ack", "ACK flood (random ack numbers)", "ACK")):
        rs = [get(s, piece) for s in SYSTEMS]
        if not any(rs):
            print("%s. %s: not run" % ("2" if piece == "syn" else "3", title))
            continue
        sent = next((r["sent"] for r in rs if r), "?")
        print("%s. %s, %s packets from trafgen (1 core), receiver on the "
              "other core" % ("2" if piece == "syn" else "3", title,
                              "{:,}".format(int(sent)) if sent.isdigit() else sent))
        cells_rate, cells_ans, cells_cpu, cells_ratio, cells_napi = [], [], [], [], []
        cells_back, cells_net = [], []
        base = num(rs[0].get("cpu_ns")) if rs[0] else None
        fr = get(FLOOR, piece)
        floor = num(fr.get("cpu_ns")) if fr else None
        for s_, r in zip(SYSTEMS, rs):
            if not r:
                for c in (cells_rate, cells_ans, cells_cpu, cells_ratio,
                          cells_napi, cells_back, cells_net):
                    c.append("-")
                continue
            txd = max(num(r["txd"]) or 0, 1)
            secs = num(r["secs"]) or 0
            cells_rate.append("%.0f" % (txd / secs / 1000) if secs else "-")
            if s_ == FLOOR:
                # the floor answers nothing: it bounces the frame itself
                cells_back.append("(%s)" % r.get("other", "-"))
                cells_ans.append("-")
            elif piece == "syn":
                cells_back.append(r["synack"])
                cells_ans.append("%.1f%%" % (100.0 * num(r["synack"]) / txd))
            else:
                cells_back.append(r["rst"])
                cells_ans.append("%.1f%%" % (100.0 * (txd - num(r["rst"])) / txd))
            cpu = num(r["cpu_ns"])
            cells_cpu.append(fmt_ns(cpu))
            cells_napi.append(fmt_ns(num(r["napi_ns"])))
            cells_ratio.append("%.2f" % (cpu / base) if cpu and base else "-")
            # what each system costs above the floor, over what synwall
            # costs above it
            if s_ != FLOOR and cpu and base and floor and base > floor:
                cells_net.append("%.2f" % ((cpu - floor) / (base - floor)))
            else:
                cells_net.append("-")
        print(row("   offered rate, k%s/s" % unit, cells_rate))
        if piece == "syn":
            print(row("   SYN-ACKs back", cells_back))
            print(row("   answered (SYN-ACKs / SYNs sent)", cells_ans))
        else:
            print(row("   RSTs back", cells_back))
            print(row("   dropped silently (1 - RSTs/ACKs)", cells_ans))
        print(row("   CPU ns/%s (all CPUs - generator)" % unit, cells_cpu))
        print(row("   ratio to synwall", cells_ratio))
        print(row("   ratio to synwall, net of floor", cells_net))
        print(row("   receiver NAPI thread ns/%s" % unit, cells_napi))

    # 4. legit clients
    print("4. legit client, sequential connects: ok/N, connect p50/p99 us "
          "(client retransmits)")
    for fl_name, label in (("none", "no flood"), ("syn", "during SYN flood"),
                           ("ack", "during ACK flood")):
        cells = []
        for s in SYSTEMS:
            r = get(s, "legit", fl_name)
            if not r:
                cells.append("-")
                continue
            n = int(r.get("ok", 0)) + int(r.get("fail", 0)) + int(r.get("skipped", 0))
            cells.append("%s/%d" % (r.get("ok", "?"), n))
        print(row("   %s: success" % label, cells))
        cells = []
        for s in SYSTEMS:
            r = get(s, "legit", fl_name)
            cells.append("%s/%s (%s)" % (r.get("p50_us", "-"), r.get("p99_us", "-"),
                                         r.get("retrans", "-")) if r else "-")
        print(row("   %s: p50/p99 us (rtx)" % label, cells))

    # 5. memory
    rs = [get(s, "syn") for s in SYSTEMS]
    if any(rs):
        sent = next((r["sent"] for r in rs if r), "?")
        print("5. memory before -> after the SYN flood (%s SYNs)" %
              ("{:,}".format(int(sent)) if sent.isdigit() else sent))
        cells_slab, cells_delta, cells_bpf, cells_ct = [], [], [], []
        for r in rs:
            if not r:
                for c in (cells_slab, cells_delta, cells_bpf, cells_ct):
                    c.append("-")
                continue
            a, b = num(r["slab_kb_before"]), num(r["slab_kb_after"])
            ok = a is not None and b is not None
            cells_slab.append("%.1f->%.1f" % (a / 1024, b / 1024) if ok else "-")
            cells_delta.append("%+.0f" % (b - a) if ok else "-")
            cells_bpf.append("%s->%s" % (r["bpf_kb_before"], r["bpf_kb_after"]))
            cells_ct.append(r.get("ct", "-"))
        print(row("   kernel slab (whole machine), MiB", cells_slab))
        print(row("   kernel slab, change in kB", cells_delta))
        print(row("   BPF map memory, kB", cells_bpf))
        print(row("   conntrack entries after", cells_ct))
    print("=" * width)


if __name__ == "__main__":
    main()
