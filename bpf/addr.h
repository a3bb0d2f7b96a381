/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Addresses that are never a local unicast destination nor an acceptable
 * source, whatever the interface's configuration: what host.h (live
 * device state, 6.2+ kfuncs) and compat_host.h (the loader's snapshot,
 * any kernel) both check first.
 */
#ifndef SYNWALL_ADDR_H
#define SYNWALL_ADDR_H

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
