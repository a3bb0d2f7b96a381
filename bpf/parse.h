/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header-only packet parsing for synwall's BPF programs (XDP and TC).
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

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8
#define TCPOLEN_MSS 4
#define TCPOLEN_WINDOW 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TIMESTAMP 10
#define TCP_MAX_OPTLEN 40

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

/* What a SYN or an ACK told us in its options. */
struct sw_tcp_opts {
	__u16 mss;   /* 0: no MSS option */
	__u8 wscale; /* SW_WS_NONE: no window scale option */
	__u8 sack_ok;
	__u8 ts_ok;
	__u32 tsval; /* host order */
	__u32 tsecr; /* host order */
};

/* No options seen yet. */
static __always_inline void sw_tcp_opts_clear(struct sw_tcp_opts *o)
{
	o->mss = 0;
	o->wscale = SW_WS_NONE;
	o->sack_ok = 0;
	o->ts_ok = 0;
	o->tsval = 0;
	o->tsecr = 0;
}

#define SW_OPTBUF 64 /* power of two >= TCP_MAX_OPTLEN + 10 */

/*
 * Walk the option bytes copied to buf (len <= 40).  Returns 0, or -1 if
 * the options are malformed (length byte < 2 or missing, or an option
 * running past the header).  Options with an unexpected length are
 * ignored, like Linux.
 *
 * The walk is unrolled over byte positions: block j acts only when an
 * option starts at j (j == next).  Every buffer index is a constant, and
 * "next" is only ever compared, never used as an offset, so the verifier
 * keeps it imprecise and prunes: no state explosion, ~1.2k instructions.
 */
static __always_inline int sw_walk_tcp_opts(const __u8 *buf, __u32 len,
					    struct sw_tcp_opts *o)
{
	__u32 next = 0;
	int bad = 0;
	int j;

	sw_tcp_opts_clear(o);

#pragma unroll
	for (j = 0; j < TCP_MAX_OPTLEN; j++) {
		__u8 kind, olen;

		if (j != next || j >= len)
			continue;
		kind = buf[j];
		if (kind == TCPOPT_EOL) {
			next = SW_OPTBUF; /* no further block matches */
			continue;
		}
		if (kind == TCPOPT_NOP) {
			next = j + 1;
			continue;
		}
		olen = buf[j + 1];
		if (j + 1 >= len || olen < 2 || j + olen > len) {
			bad = 1;
			next = SW_OPTBUF;
			continue;
		}
		if (kind == TCPOPT_MSS && olen == TCPOLEN_MSS) {
			o->mss = (__u16)buf[j + 2] << 8 | buf[j + 3];
		} else if (kind == TCPOPT_WINDOW && olen == TCPOLEN_WINDOW) {
			/* RFC 7323 2.3: larger shifts mean 14 */
			o->wscale = buf[j + 2] > SYNWALL_WSCALE_MAX ?
					    SYNWALL_WSCALE_MAX :
					    buf[j + 2];
		} else if (kind == TCPOPT_SACK_PERM &&
			   olen == TCPOLEN_SACK_PERM) {
			o->sack_ok = 1;
		} else if (kind == TCPOPT_TIMESTAMP &&
			   olen == TCPOLEN_TIMESTAMP) {
			o->ts_ok = 1;
			o->tsval = (__u32)buf[j + 2] << 24 |
				   (__u32)buf[j + 3] << 16 |
				   (__u32)buf[j + 4] << 8 | buf[j + 5];
			o->tsecr = (__u32)buf[j + 6] << 24 |
				   (__u32)buf[j + 7] << 16 |
				   (__u32)buf[j + 8] << 8 | buf[j + 9];
		}
		next = j + olen;
	}
	return bad ? -1 : 0;
}

/*
 * The layouts Linux (and most stacks) send, read straight from the packet
 * with constant offsets: SYN "MSS, SACK-permitted, TS, NOP, WS" (20 bytes),
 * ACK "NOP, NOP, TS" (12), "MSS" alone (4), and no options at all.  Returns
 * 1 when opt (opt_len bytes of options) is one of them and o is filled;
 * 0 sends the caller to the general walk.  This skips the copy and the walk
 * for nearly every real packet: the walk costs several times more.
 */
static __always_inline int sw_tcp_opts_fast(const __u8 *opt, void *data_end,
					    __u32 opt_len,
					    struct sw_tcp_opts *o)
{
	sw_tcp_opts_clear(o);

	if (opt_len == 0)
		return 1;
	if (opt_len == 12) {
		if ((void *)(opt + 12) > data_end)
			return 0;
		if (*(__u32 *)opt != bpf_htonl(0x0101080a))
			return 0;
		o->ts_ok = 1;
		o->tsval = bpf_ntohl(*(__u32 *)(opt + 4));
		o->tsecr = bpf_ntohl(*(__u32 *)(opt + 8));
		return 1;
	}
	if (opt_len == 4) {
		if ((void *)(opt + 4) > data_end || opt[0] != TCPOPT_MSS ||
		    opt[1] != TCPOLEN_MSS)
			return 0;
		o->mss = (__u16)opt[2] << 8 | opt[3];
		return 1;
	}
	if (opt_len == 20) {
		__u8 ws;

		if ((void *)(opt + 20) > data_end)
			return 0;
		if (opt[0] != TCPOPT_MSS || opt[1] != TCPOLEN_MSS ||
		    *(__u32 *)(opt + 4) != bpf_htonl(0x0402080a) ||
		    opt[16] != TCPOPT_NOP || opt[17] != TCPOPT_WINDOW ||
		    opt[18] != TCPOLEN_WINDOW)
			return 0;
		o->mss = (__u16)opt[2] << 8 | opt[3];
		o->sack_ok = 1;
		o->ts_ok = 1;
		o->tsval = bpf_ntohl(*(__u32 *)(opt + 8));
		o->tsecr = bpf_ntohl(*(__u32 *)(opt + 12));
		ws = opt[19];
		/* RFC 7323 2.3: larger shifts mean 14 */
		o->wscale = ws > SYNWALL_WSCALE_MAX ? SYNWALL_WSCALE_MAX : ws;
		return 1;
	}
	return 0;
}

/*
 * The option walk, as a global (non-inline) function per program type.
 * The verifier checks a global function once, on its own, and the caller
 * sees the results as unknown scalars; inlined, the walk's many exit
 * states would each re-verify the whole SYN-ACK builder.  The option
 * bytes are copied to the stack with the program type's load helper.
 */
#define SW_DEFINE_OPTS_PARSER(name, ctx_type, load_bytes)                \
	__attribute__((noinline)) int name(ctx_type *ctx, __u32 opt_off, \
					   __u32 opt_len,                \
					   struct sw_tcp_opts *o)        \
	{                                                                \
		__u8 buf[SW_OPTBUF] = {};                                \
                                                                         \
		if (!o)                                                  \
			return -1;                                       \
		if (opt_len > TCP_MAX_OPTLEN)                            \
			return -1;                                       \
		if (opt_len) {                                           \
			/* size in [1, 64], visibly, for the helper */   \
			__u64 n = opt_len - 1;                           \
                                                                         \
			SW_BOUND(n, 0x3f);                               \
			if (load_bytes(ctx, opt_off, buf, n + 1))        \
				return -1;                               \
		}                                                        \
		return sw_walk_tcp_opts(buf, opt_len, o);                \
	}

#endif /* SYNWALL_PARSE_H */
