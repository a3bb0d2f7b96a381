#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""An 802.1Q access port in user space, for the VM lab's host side, whose
kernel has no 8021q and no VLAN-filtering bridge:

    vlan_relay.py ACCESS TRUNK VID SECONDS

Frames received on ACCESS (a veth whose peer is a real client's NIC) leave
TRUNK (the tap of the guest's virtio_net) with an 802.1Q tag VID inserted;
frames received on TRUNK with tag VID leave ACCESS untagged.  The kernel
moves a received tag out of the frame (skb_vlan_untag); PACKET_AUXDATA
gives it back.  Ends after SECONDS.  Frames are copied as they are, so
both ends must send whole checksums and MTU-sized frames (ethtool -K DEV
tx off tso off gso off)."""
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
PACKET_OUTGOING = 4

access, trunk, vid, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])


def open_raw(dev):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((dev, 0))
    return s


def recv(s):
    data, anc, _flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(20))
    tci = None
    for level, kind, val in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(val) >= 20:
            status, _len, _snap, _mac, _net, vtci, _vtpid = struct.unpack("IIIHHHH", val[:20])
            if status & TP_STATUS_VLAN_VALID:
                tci = vtci
    return data, tci, addr[2]  # addr[2]: packet type


a, t = open_raw(access), open_raw(trunk)
end = time.monotonic() + seconds
while time.monotonic() < end:
    r, _, _ = select.select([a, t], [], [], 0.2)
    for s in r:
        data, tci, ptype = recv(s)
        if ptype == PACKET_OUTGOING or len(data) < 14:
            continue  # our own transmissions
        if s is a:
            t.send(data[:12] + struct.pack("!HH", 0x8100, vid) + data[12:])
        else:
            if tci is None and data[12:14] == b"\x81\x00":  # tag still in the frame
                tci = struct.unpack("!H", data[14:16])[0]
                data = data[:12] + data[16:]
            if tci is not None and (tci & 0xFFF) == vid:
                a.send(data)
