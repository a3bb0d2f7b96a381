/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The socket lookup of both programs: does this segment's flow have a
 * socket, or does a listener wait on its destination?
 */
#ifndef SYNWALL_SOCKET_H
#define SYNWALL_SOCKET_H

#include "parse.h"

/*
 * The socket of this segment's 4-tuple, or the listener of its
 * destination when no flow socket exists, or NULL; release it with
 * bpf_sk_release().  ctx: the XDP or TC context.
 */
static __always_inline struct bpf_sock *sw_skc_lookup(void *ctx,
						      const struct sw_pkt *p)
{
	struct bpf_sock_tuple t = {};

	if (p->v6) {
		__builtin_memcpy(t.ipv6.saddr, p->flow.saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, p->flow.daddr, 16);
		t.ipv6.sport = p->flow.sport;
		t.ipv6.dport = p->flow.dport;
		return bpf_skc_lookup_tcp(ctx, &t, sizeof(t.ipv6),
					  BPF_F_CURRENT_NETNS, 0);
	}
	t.ipv4.saddr = p->flow.saddr[0];
	t.ipv4.daddr = p->flow.daddr[0];
	t.ipv4.sport = p->flow.sport;
	t.ipv4.dport = p->flow.dport;
	return bpf_skc_lookup_tcp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS,
				  0);
}

/*
 * jiffies of the listener's last SYN-queue overflow, the mark the kernel's
 * own cookie check reads (tcp_synq_no_recent_overflow(): a reuseport group
 * shares one).  0 if sk is not a TCP socket as BTF sees it.
 */
static __always_inline int sw_listener_mark(struct bpf_sock *sk, __u32 *mark)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct sock_reuseport *reuse;

	if (!tp)
		return 0;
	reuse = tp->inet_conn.icsk_inet.sk.sk_reuseport_cb;
	if (reuse)
		*mark = reuse->synq_overflow_ts;
	else
		*mark = (__u32)tp->rx_opt.ts_recent_stamp;
	return 1;
}

/*
 * Could the kernel accept a cookie of its own for a listener with this
 * mark?  It does only while jiffies are within [mark - HZ, mark + 120 HZ]
 * (tcp_synq_no_recent_overflow(), TCP_SYNCOOKIE_VALID).  HZ is not known
 * here: the window is taken for the largest, 1000, and so contains the
 * kernel's on every HZ (on Debian's 250 it is 4 times as long): the answer
 * errs toward "yes", toward checking a cookie, never toward dropping one
 * the kernel would take.
 */
#define SW_HZ_MAX 1000u
static __always_inline int sw_mark_recent(__u32 mark)
{
	__u32 now = (__u32)bpf_jiffies64();

	return now - (mark - SW_HZ_MAX) <= 121 * SW_HZ_MAX;
}

/* What the socket lookup found for this segment's 4-tuple. */
enum sw_sk_res {
	SW_SK_NONE = 0, /* nothing: no socket, no listener */
	SW_SK_LISTENER, /* only a listener of the destination */
	/* a listener whose SYN queue overflowed lately: the kernel may have
	 * answered with cookies of its own, which its check would accept */
	SW_SK_LISTENER_COOKIES,
	SW_SK_FLOW, /* a socket of the flow (established, time-wait, request) */
};

static __always_inline enum sw_sk_res sw_socket_of(struct xdp_md *ctx,
						   const struct sw_pkt *p)
{
	struct bpf_sock *sk;
	enum sw_sk_res r = SW_SK_FLOW;
	__u32 mark;

#ifdef SW_VARIANT_NO_SK_LOOKUP
	/* bench/variants.sh "no-sk-lookup": as if only a listener waited
	 * (ctx stays used: sw_sock_of() is a global function, and a caller
	 * that drops an unused ctx argument fails its check) */
	return ctx ? SW_SK_LISTENER : SW_SK_NONE;
#endif
	sk = sw_skc_lookup(ctx, p);
	if (!sk)
		return SW_SK_NONE;
	/* with no flow socket the lookup falls back to the listener */
	if (sk->state == BPF_TCP_LISTEN)
		r = sw_listener_mark(sk, &mark) && !sw_mark_recent(mark) ?
			    SW_SK_LISTENER :
			    SW_SK_LISTENER_COOKIES;
	bpf_sk_release(sk);
	return r;
}

#endif /* SYNWALL_SOCKET_H */
