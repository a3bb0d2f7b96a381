/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the two answers to "is this packet addressed to this host?" share:
 * host.h's (live device state, 6.2+ kfuncs) and compat_host.h's (the
 * loader's snapshot, any kernel).  Their verdicts, the reasons the XDP
 * programs exit with for them, and the addresses that are never a local
 * unicast destination nor an acceptable source, whatever the interface's
 * configuration, which both check first.
 */
#ifndef SYNWALL_ADDR_H
#define SYNWALL_ADDR_H

#include "verdict.h"

enum sw_host_res {
	SW_HOST_OK = 0,	   /* for a local socket: synwall may act */
	SW_HOST_NOT_L2,	   /* destination MAC not the device's (PACKET_HOST) */
	SW_HOST_MARTIAN,   /* source address the kernel refuses */
	SW_HOST_NOT_LOCAL, /* destination not a local unicast address */
};

/* The XDP program's reason to pass a packet not for a local socket. */
static __always_inline enum sw_reason sw_host_reason(enum sw_host_res r)
{
	switch (r) {
	case SW_HOST_NOT_L2:
		return SW_R_xdp_pass_not_host;
	case SW_HOST_MARTIAN:
		return SW_R_xdp_pass_martian;
	default:
		return SW_R_xdp_pass_not_local;
	}
}

/*
 * Never a local unicast address, nor an acceptable source
 * (ip_route_input_slow: martian source / martian destination): multicast
 * 224/4, the limited broadcast, 0/8, and loopback 127/8 off lo.
 */
static __always_inline int sw_v4_special(__be32 a, int lo)
{
	__u32 h = bpf_ntohl(a);

	return (h >> 28) == 0xe || h == 0xffffffff || (h >> 24) == 0 ||
	       (!lo && (h >> 24) == 127);
}

/*
 * The same for IPv6 (ip6_rcv_core, tcp_v6_conn_request): multicast
 * ff00::/8, unspecified ::, loopback ::1 off lo, v4-mapped ::ffff:0:0/96.
 */
static __always_inline int sw_v6_special(const __u32 *a, int lo)
{
	if ((a[0] & bpf_htonl(0xff000000)) == bpf_htonl(0xff000000))
		return 1;
	if (a[0] || a[1])
		return 0;
	if (a[2] == bpf_htonl(0x0000ffff))
		return 1;
	if (a[2])
		return 0;
	return !a[3] || (!lo && a[3] == bpf_htonl(1));
}

#endif /* SYNWALL_ADDR_H */
