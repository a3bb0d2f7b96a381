/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parsing up to the TCP ports, for both programs (XDP and TC).
 * Works on any [data, data_end) window with direct packet access; every
 * read is preceded by a bounds check the verifier can follow, and every
 * offset is bounded by construction (at most 2 VLAN tags, IHL <= 15,
 * doff <= 15).
 */
#ifndef SYNWALL_PARSE_H
#define SYNWALL_PARSE_H

#include <synwall/cookie.h>

#define ETH_HLEN 14
#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define VLAN_HLEN 4
#define IPPROTO_TCP 6

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define IP_DF 0x4000

/* TCP flag bits in the 14th byte of the header */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

/*
 * Mask a value in a way the compiler cannot fold away, so the verifier
 * sees the bound even where clang proved it redundant.
 */
#define SW_BOUND(x, mask) asm volatile("%0 &= " #mask : "+r"(x))

/* Result of parsing up to the TCP ports. */
enum sw_parse_res {
	SW_PARSE_TCP = 0,   /* ports readable; see struct sw_pkt */
	SW_PARSE_MALFORMED, /* truncated before the ports */
	SW_PARSE_NOT_TCP,
	SW_PARSE_FRAGMENT,
	SW_PARSE_IPV6_EXT,
};

struct sw_pkt {
	__u32 l3_off;  /* offset of the IP header */
	__u32 l4_off;  /* offset of the TCP header */
	__u32 seg_len; /* TCP header + payload, from the IP length field */
	int v6;
	struct sw_flow flow; /* addresses and ports; isn filled later */
};

/* IPv6 next-header values that are extension headers (RFC 8200, IANA) */
static __always_inline int sw_ipv6_is_ext(__u8 nh)
{
	switch (nh) {
	case 0:	  /* hop-by-hop */
	case 43:  /* routing */
	case 50:  /* ESP */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
	case 253: /* experimental */
	case 254:
		return 1;
	}
	return 0;
}

/*
 * Parse L2 + L3 and locate TCP.  On SW_PARSE_TCP, p->l4_off points at a
 * TCP header whose first 4 bytes (the ports) are inside the packet, and
 * p->flow holds addresses and ports.
 */
static __always_inline enum sw_parse_res sw_parse(void *data, void *data_end,
						  struct sw_pkt *p)
{
	struct ethhdr *eth = data;
	/* Lengths read from the packet are compared with this scalar, never
	 * added to a packet pointer: an older verifier (6.12) does not bound a
	 * byte-swapped value, so data + off + be16 fails its range check. */
	__u64 pkt_len = data_end - data;
	__u32 off = ETH_HLEN;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return SW_PARSE_MALFORMED;
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vh;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return SW_PARSE_MALFORMED;
		proto = vh->h_vlan_encapsulated_proto;
		off += VLAN_HLEN;
	}
	p->l3_off = off;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = data + off;
		__u32 ihl, tot_len;

		if ((void *)(iph + 1) > data_end)
			return SW_PARSE_MALFORMED;
		ihl = iph->ihl * 4;
		tot_len = bpf_ntohs(iph->tot_len);
		if (iph->version != 4 || ihl < sizeof(*iph) || tot_len < ihl ||
		    (__u64)off + tot_len > pkt_len)
			return SW_PARSE_MALFORMED;
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return SW_PARSE_FRAGMENT;
		if (iph->protocol != IPPROTO_TCP)
			return SW_PARSE_NOT_TCP;
		p->v6 = 0;
		p->flow.saddr[0] = iph->saddr;
		p->flow.daddr[0] = iph->daddr;
		p->l4_off = off + ihl;
		p->seg_len = tot_len - ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		__u32 plen;

		if ((void *)(ip6 + 1) > data_end)
			return SW_PARSE_MALFORMED;
		plen = bpf_ntohs(ip6->payload_len);
		if (ip6->version != 6 ||
		    (__u64)off + sizeof(*ip6) + plen > pkt_len)
			return SW_PARSE_MALFORMED;
		if (ip6->nexthdr != IPPROTO_TCP) {
			if (ip6->nexthdr == 44)
				return SW_PARSE_FRAGMENT;
			if (sw_ipv6_is_ext(ip6->nexthdr))
				return SW_PARSE_IPV6_EXT;
			return SW_PARSE_NOT_TCP;
		}
		p->v6 = 1;
		__builtin_memcpy(p->flow.saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->flow.daddr, &ip6->daddr, 16);
		p->l4_off = off + sizeof(*ip6);
		p->seg_len = plen;
	} else {
		return SW_PARSE_NOT_TCP;
	}

	{
		__be16 *ports = data + p->l4_off;

		if (p->seg_len < 4 || (void *)(ports + 2) > data_end)
			return SW_PARSE_MALFORMED;
		p->flow.sport = ports[0];
		p->flow.dport = ports[1];
	}
	return SW_PARSE_TCP;
}

/*
 * The TCP header of the segment p describes, with its length in *doff
 * (at least 20 bytes, within the segment) and its flags (TCPF_*) in
 * *flags.  NULL: malformed.
 */
static __always_inline struct tcphdr *sw_tcp_hdr(void *data, void *data_end,
						 const struct sw_pkt *p,
						 __u32 *doff, __u8 *flags)
{
	struct tcphdr *th = data + (p->l4_off & 0xff);

	if (p->seg_len < sizeof(*th) || (void *)(th + 1) > data_end)
		return NULL;
	*doff = th->doff * 4;
	if (*doff < sizeof(*th) || *doff > p->seg_len)
		return NULL;
	*flags = ((__u8 *)th)[13];
	return th;
}

#endif /* SYNWALL_PARSE_H */
