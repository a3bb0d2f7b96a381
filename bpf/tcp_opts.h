/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP options: the SYN's (MSS, window scale, SACK-permitted, timestamp)
 * and the ACK's (timestamp).  The common layouts are read in place
 * (sw_tcp_opts_fast); any other goes through the general walk on a copy
 * of the option bytes, one reader per program type (sw_xdp_tcp_opts,
 * sw_tc_tcp_opts).
 */
#ifndef SYNWALL_TCP_OPTS_H
#define SYNWALL_TCP_OPTS_H

#include <synwall/abi.h>
#include <synwall/cookie.h>
#include "parse.h"

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
 * The general walk on a copy of the option bytes at opt_off, made with the
 * load helper of the program type the caller names (the other branch is
 * compiled out).  0, or -1 if the options are malformed or cannot be read.
 */
enum sw_prog_type {
	SW_PROG_XDP,
	SW_PROG_TC,
};

static __always_inline int sw_load_tcp_opts(void *ctx, enum sw_prog_type type,
					    __u32 opt_off, __u32 opt_len,
					    struct sw_tcp_opts *o)
{
	__u8 buf[SW_OPTBUF] = {};
	__u64 n;
	long err;

	if (!o || opt_len > TCP_MAX_OPTLEN)
		return -1;
	if (opt_len) {
		/* size in [1, 64], visibly, for the helper */
		n = opt_len - 1;
		SW_BOUND(n, 0x3f);
		if (type == SW_PROG_XDP)
			err = bpf_xdp_load_bytes(ctx, opt_off, buf, n + 1);
		else
			err = bpf_skb_load_bytes(ctx, opt_off, buf, n + 1);
		if (err)
			return -1;
	}
	return sw_walk_tcp_opts(buf, opt_len, o);
}

/*
 * The walk as a global (non-inline) function per program type.  The
 * verifier checks a global function once, on its own, and the caller sees
 * the results as unknown scalars; inlined, the walk's many exit states
 * would each re-verify the whole SYN-ACK builder.
 */
__attribute__((noinline)) int sw_xdp_tcp_opts(struct xdp_md *ctx, __u32 opt_off,
					      __u32 opt_len,
					      struct sw_tcp_opts *o)
{
	return sw_load_tcp_opts(ctx, SW_PROG_XDP, opt_off, opt_len, o);
}

__attribute__((noinline)) int sw_tc_tcp_opts(struct __sk_buff *skb,
					     __u32 opt_off, __u32 opt_len,
					     struct sw_tcp_opts *o)
{
	return sw_load_tcp_opts(skb, SW_PROG_TC, opt_off, opt_len, o);
}

/*
 * XDP: the options of the segment at th (doff bytes of header, checked)
 * into o; non-zero if malformed.
 */
static __always_inline int sw_xdp_opts(struct xdp_md *ctx, struct tcphdr *th,
				       void *data_end, const struct sw_pkt *p,
				       __u32 doff, struct sw_tcp_opts *o)
{
	if (sw_tcp_opts_fast((__u8 *)(th + 1), data_end, doff - sizeof(*th), o))
		return 0;
	return sw_xdp_tcp_opts(ctx, p->l4_off + sizeof(*th), doff - sizeof(*th),
			       o);
}

#endif /* SYNWALL_TCP_OPTS_H */
