#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Send one SYN with chosen options, print the SYN-ACK that comes back.

  synack_probe.py DST PORT MSS WS SACK TS ECN   (WS -1: no option)

Prints key=value lines (nothing if no SYN-ACK came within 3 s):
flags, mss, ws (-1: none), sack, ts, tsval, tsecr, ack_ok (ack = our
ISN + 1), tsecr_ok (our TSval echoed), ip_csum_ok and tcp_csum_ok (both
recomputed here by scapy from the received bytes, independently of the
sender).  The sender's kernel resets the connection it never opened.
"""
import random
import sys

from scapy.config import conf
from scapy.compat import raw
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.sendrecv import sr1

conf.verb = 0
dst, port, mss, ws, sack, ts, ecn = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), \
    int(sys.argv[7])
v6 = ":" in dst
isn = random.getrandbits(32)
tsval = random.getrandbits(32) | 1
opts = [("MSS", mss)]
if sack:
    opts.append(("SAckOK", b""))
if ts:
    opts.append(("Timestamp", (tsval, 0)))
if ws >= 0:
    opts += [("NOP", None), ("WScale", ws)]
flags = "S" + ("EC" if ecn else "")
l3 = IPv6(dst=dst) if v6 else IP(dst=dst)
syn = l3 / TCP(sport=random.randint(1024, 32767), dport=port, flags=flags,
               seq=isn, options=opts)
ans = sr1(syn, timeout=3)
if ans is None or TCP not in ans:
    sys.exit(1)
t = ans[TCP]
o = dict((k, v) for k, v in t.options)
print("flags=%s" % t.flags)
print("mss=%d" % o.get("MSS", -1))
print("ws=%d" % o.get("WScale", -1))
print("sack=%d" % ("SAckOK" in o))
print("ts=%d" % ("Timestamp" in o))
tv, te = o.get("Timestamp", (0, 0))
print("tsval=%d" % tv)
print("tsecr_ok=%d" % (te == tsval))
print("ack_ok=%d" % (t.ack == (isn + 1) & 0xffffffff))
print("seq=%d" % t.seq)
got = raw(ans)
c = ans.copy()
del c[TCP].chksum
if not v6:
    del c[IP].chksum
again = c.__class__(raw(c))
print("tcp_csum_ok=%d" % (again[TCP].chksum == t.chksum))
print("ip_csum_ok=%d" % (v6 or again[IP].chksum == ans[IP].chksum))
