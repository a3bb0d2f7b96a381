/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The cookie SYN-ACK, built in the SYN's own frame and sent back with
 * XDP_TX.  In steps: decide everything from the SYN (sw_synack_plan),
 * write the TCP header and its options on the stack and checksum them
 * (sw_synack_tcp), resize the frame to exactly L2 + IP + TCP, then write
 * it from the front: Ethernet addresses swapped (VLAN tags untouched),
 * the IP header rewritten, the TCP segment copied.  Every input is read
 * before the first write to the frame.
 *
 * Fields are written through struct tcphdr/iphdr/ipv6hdr in network byte
 * order, so the bytes are the same on either endianness; checksums are
 * one's-complement sums of memory words, which are too.
 */
#ifndef SYNWALL_SYNACK_H
#define SYNWALL_SYNACK_H

#include <synwall/abi.h>
#include <synwall/cookie.h>
#include "config.h"
#include "clock.h"
#include "csum.h"
#include "parse.h"
#include "tcp_opts.h"
#include "verdict.h"

/* What the SYN-ACK says, all decided from the SYN. */
struct sw_synack {
	__u32 cookie; /* our ISN */
	__u32 ack;    /* the client's ISN + 1 */
	__u32 tsval;  /* with timestamps: our TSval */
	__u32 tsecr;  /* with timestamps: the client's TSval */
	__u16 mss;    /* the MSS we advertise */
	__u16 window;
	__u8 wscale; /* our window scale */
	__u8 flags;  /* TCP flags */
	__u8 ts;     /* options: timestamps, SACK-permitted, window scale */
	__u8 sack;
	__u8 ws;
	__u8 ttl;
};

/*
 * The cookie and the options of the answer.  With a timestamp, the
 * options we agree to ride in our TSval, under the cookie's MAC; without,
 * the client's window scale and SACK ride in the cookie (cookie.h).
 */
static __always_inline void sw_synack_plan(const struct synwall_config *cfg,
					   const struct synwall_keys *k,
					   const struct sw_pkt *p,
					   const struct sw_tcp_opts *o,
					   __u8 syn_flags, struct sw_synack *sa)
{
	__u32 cfg_mss, client_mss, mss_idx, slot, tso = 0, ts_off, nots;
	struct sw_now now;
	int ecn = 0;

	sw_clock(cfg, &now);
	client_mss = o->mss ? o->mss : (p->v6 ? 1220 : 536);
	mss_idx = sw_mss_to_index(client_mss, p->v6);
	cfg_mss = sw_cfg_mss(cfg, p->v6);
	sa->mss = o->mss && o->mss < cfg_mss ? o->mss : cfg_mss;
	sa->wscale = sw_cfg_wscale(cfg);
	sa->window = sw_cfg_window(cfg);
	sa->ttl = sw_cfg_ttl(cfg);
	sa->ack = p->flow.isn + 1;
	slot = k->current & 1;

	sa->ts = o->ts_ok;
	if (o->ts_ok) {
		/* RFC 3168 6.1.1: ECN-setup SYN has ECE and CWR */
		ecn = (syn_flags & (TCPF_ECE | TCPF_CWR)) ==
			      (TCPF_ECE | TCPF_CWR) &&
		      !(cfg->flags & SYNWALL_CF_NO_ECN);
		/* the options our TSval carries, under the cookie's MAC */
		tso = SW_TSO_PRESENT |
		      sw_ts_opts(sa->wscale, o->wscale, o->sack_ok, ecn);
		sa->cookie =
			sw_cookie_make(&k->key[slot], slot, &p->flow, p->v6,
				       now.sec, mss_idx, tso, &ts_off);
		sa->tsval = sw_tsval(now.msec, ts_off, tso);
		sa->tsecr = o->tsval;
		sa->sack = o->sack_ok;
		sa->ws = o->wscale != SW_WS_NONE;
	} else {
		nots = sw_nots_code(client_mss, o->wscale, o->sack_ok, p->v6);
		sa->cookie =
			sw_cookie_make_nots(&k->key[slot], slot, &p->flow,
					    p->v6, now.sec, nots, sa->wscale);
		sa->tsval = 0;
		sa->tsecr = 0;
		/*
		 * What the cookie carries: SACK-permitted, and WS (rounded
		 * down by the encoding only on our side of the cookie: the
		 * client is told our own scale).
		 */
		sa->sack = sw_nots_sack(nots >> 3);
		sa->ws = sw_nots_ws_of(nots >> 3) != SW_WS_NONE;
	}
	sa->flags = TCPF_SYN | TCPF_ACK | (ecn ? TCPF_ECE : 0);
}

#define SW_OPT_WORDS 5 /* at most 20 bytes of options */

/* The TCP header and options of the SYN-ACK, as checksummed and sent. */
struct sw_synack_seg {
	struct tcphdr th;
	__be32 opt[SW_OPT_WORDS];
};

#define SW_OPT_WORD(a, b, c, d) \
	bpf_htonl((__u32)(a) << 24 | (__u32)(b) << 16 | (__u32)(c) << 8 | (d))
#define SW_OPT_NOP_NOP_TS \
	SW_OPT_WORD(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP)
#define SW_OPT_SACK_TS                                                     \
	SW_OPT_WORD(TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM, TCPOPT_TIMESTAMP, \
		    TCPOLEN_TIMESTAMP)
#define SW_OPT_NOP_NOP_SACK \
	SW_OPT_WORD(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM)
#define SW_OPT_NOP_WS(ws) \
	SW_OPT_WORD(TCPOPT_NOP, TCPOPT_WINDOW, TCPOLEN_WINDOW, ws)

/*
 * The options, in the layouts Linux sends: "MSS, SACK-permitted or
 * NOP NOP, TS, NOP WS" with timestamps, "MSS, NOP NOP SACK-permitted,
 * NOP WS" without.  Returns their length in 32-bit words.
 */
static __always_inline __u32 sw_synack_opts(__be32 *opt,
					    const struct sw_synack *sa)
{
	opt[0] = bpf_htonl(TCPOPT_MSS << 24 | TCPOLEN_MSS << 16 | sa->mss);
	if (sa->ts) {
		opt[1] = sa->sack ? SW_OPT_SACK_TS : SW_OPT_NOP_NOP_TS;
		opt[2] = bpf_htonl(sa->tsval);
		opt[3] = bpf_htonl(sa->tsecr);
		if (!sa->ws)
			return 4;
		opt[4] = SW_OPT_NOP_WS(sa->wscale);
		return 5;
	}
	if (sa->sack) {
		opt[1] = SW_OPT_NOP_NOP_SACK;
		if (!sa->ws)
			return 2;
		opt[2] = SW_OPT_NOP_WS(sa->wscale);
		return 3;
	}
	if (!sa->ws)
		return 1;
	opt[1] = SW_OPT_NOP_WS(sa->wscale);
	return 2;
}

/* TCP's 16-bit word of data offset and flags (the kernel's tcp_flag_word) */
#define sw_tcp_doff_flags(th) (((__be16 *)(th))[6])

/*
 * Write the TCP segment (header and options) into seg and checksum it
 * with the pseudo-header.  Returns its length in 32-bit words.
 */
static __always_inline __u32 sw_synack_tcp(struct sw_synack_seg *seg,
					   const struct sw_pkt *p,
					   const struct sw_synack *sa)
{
	struct tcphdr *th = &seg->th;
	__u32 nwords, tcp_len, i;
	__u64 sum;

	nwords = 5 + sw_synack_opts(seg->opt, sa);
	tcp_len = nwords * 4;

	th->source = p->flow.dport;
	th->dest = p->flow.sport;
	th->seq = bpf_htonl(sa->cookie);
	th->ack_seq = bpf_htonl(sa->ack);
	sw_tcp_doff_flags(th) = bpf_htons(nwords << 12 | sa->flags);
	th->window = bpf_htons(sa->window);
	th->check = 0;
	th->urg_ptr = 0;

	/* pseudo-header + segment, from scratch */
	if (p->v6) {
		sum = sw_csum_words(p->flow.saddr, 4, 0);
		sum = sw_csum_words(p->flow.daddr, 4, sum);
	} else {
		sum = (__u64)p->flow.saddr[0] + p->flow.daddr[0];
	}
	sum += bpf_htons(IPPROTO_TCP) + bpf_htons(tcp_len);
	sum = sw_csum_words((const __u32 *)th, 5, sum);
#pragma unroll
	for (i = 0; i < SW_OPT_WORDS; i++)
		if (5 + i < nwords)
			sum += seg->opt[i];
#ifdef SW_VARIANT_NO_CSUM
	/* bench/variants.sh "no-csum": the checksum's cost */
	th->check = 0;
	(void)sum;
#else
	th->check = sw_csum_fold(sum);
#endif
	return nwords;
}

/* Swap the Ethernet addresses: the answer goes back where the SYN came from */
static __always_inline int sw_swap_l2(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	__u8 mac[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	return 0;
}

/* The IPv6 header of the answer at ip6: addresses swapped. */
static __always_inline int sw_synack_ip6(struct ipv6hdr *ip6, void *data_end,
					 const struct sw_pkt *p,
					 const struct sw_synack *sa,
					 __u32 tcp_len)
{
	if ((void *)(ip6 + 1) > data_end)
		return -1;
	/* version 6, traffic class 0, flow label 0 */
	*(__be32 *)ip6 = bpf_htonl(6u << 28);
	ip6->payload_len = bpf_htons(tcp_len);
	ip6->nexthdr = IPPROTO_TCP;
	ip6->hop_limit = sa->ttl;
	__builtin_memcpy(&ip6->saddr, p->flow.daddr, 16);
	__builtin_memcpy(&ip6->daddr, p->flow.saddr, 16);
	return 0;
}

/* The IPv4 header of the answer at ip: addresses swapped, no options. */
static __always_inline int sw_synack_ip4(struct iphdr *ip, void *data_end,
					 const struct sw_pkt *p,
					 const struct sw_synack *sa,
					 __u32 tcp_len)
{
	struct iphdr h = {
		.version = 4,
		.ihl = sizeof(h) / 4,
		.tot_len = bpf_htons(sizeof(h) + tcp_len),
		.frag_off = bpf_htons(IP_DF),
		.ttl = sa->ttl,
		.protocol = IPPROTO_TCP,
		.saddr = p->flow.daddr[0],
		.daddr = p->flow.saddr[0],
	};

	if ((void *)(ip + 1) > data_end)
		return -1;
	h.check = sw_csum_fold(sw_csum_words((const __u32 *)&h, 5, 0));
	*ip = h;
	return 0;
}

/* Copy the segment to tcp, word by word: its length is only known here. */
static __always_inline int sw_synack_copy(__u32 *tcp, void *data_end,
					  const struct sw_synack_seg *seg,
					  __u32 nwords)
{
	const __u32 *w = (const __u32 *)seg;
	__u32 i;

#pragma unroll
	for (i = 0; i < sizeof(*seg) / 4; i++) {
		if (i < nwords) {
			if ((void *)(tcp + i + 1) > data_end)
				return -1;
			tcp[i] = w[i];
		}
	}
	return 0;
}

/*
 * Rewrite the SYN parsed into p into the SYN-ACK sa describes (both
 * objects: the degraded one plans its own, with the kernel's cookie).
 */
static __always_inline enum sw_reason
sw_synack_write(struct xdp_md *ctx, const struct sw_pkt *p,
		const struct sw_synack *sa)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sw_synack_seg seg;
	__u32 l3_off, ip_len, tcp_len, nwords, new_len, old_len;

	nwords = sw_synack_tcp(&seg, p, sa);
	tcp_len = nwords * 4;

	/* the frame's head is kept: write L2 before the resize */
	if (sw_swap_l2(data, data_end))
		goto err;

	/* the frame becomes exactly L2 + IP + TCP */
	l3_off = p->l3_off;
	ip_len = p->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	new_len = l3_off + ip_len + tcp_len;
	old_len = data_end - data;
	if (new_len != old_len &&
	    bpf_xdp_adjust_tail(ctx, (int)new_len - (int)old_len))
		goto err;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	l3_off &= 0x1f; /* 14, 18 or 22 */

	if (p->v6) {
		if (sw_synack_ip6(data + l3_off, data_end, p, sa, tcp_len))
			goto err;
	} else {
		if (sw_synack_ip4(data + l3_off, data_end, p, sa, tcp_len))
			goto err;
	}
	if (sw_synack_copy(data + l3_off + ip_len, data_end, &seg, nwords))
		goto err;
	return SW_R_xdp_tx_synack;

err:
	/* the frame could not hold the SYN-ACK (never seen: defensive) */
	return SW_R_xdp_drop_synack_err;
}

/* Rewrite the SYN parsed into p (options o) into the cookie SYN-ACK. */
static __always_inline enum sw_reason
sw_send_synack(struct xdp_md *ctx, const struct sw_pkt *p,
	       const struct sw_tcp_opts *o, __u8 syn_flags,
	       const struct synwall_config *cfg, const struct synwall_keys *k)
{
	struct sw_synack sa;

	sw_synack_plan(cfg, k, p, o, syn_flags, &sa);
	return sw_synack_write(ctx, p, &sa);
}

#endif /* SYNWALL_SYNACK_H */
