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

/* What the socket lookup found for this segment's 4-tuple. */
enum sw_sk_res {
	SW_SK_NONE = 0, /* nothing: no socket, no listener */
	SW_SK_LISTENER, /* only a listener of the destination */
	SW_SK_FLOW, /* a socket of the flow (established, time-wait, request) */
};

static __always_inline enum sw_sk_res sw_socket_of(struct xdp_md *ctx,
						   const struct sw_pkt *p)
{
	struct bpf_sock *sk = sw_skc_lookup(ctx, p);
	enum sw_sk_res r;

	if (!sk)
		return SW_SK_NONE;
	/* with no flow socket the lookup falls back to the listener */
	r = sk->state == BPF_TCP_LISTEN ? SW_SK_LISTENER : SW_SK_FLOW;
	bpf_sk_release(sk);
	return r;
}

#endif /* SYNWALL_SOCKET_H */
