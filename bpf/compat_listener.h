/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the degraded object reads from the listener before it answers a
 * SYN for the kernel (docs/degraded.md): whether the kernel will accept
 * the cookie when the final ACK comes, which options it will decode from
 * the TSval, and the window scale it will give the child.  Every read is
 * a BTF (CO-RE) load through bpf_skc_to_tcp_sock(), which XDP has on
 * every kernel synwall supports (5.9+).
 */
#ifndef SYNWALL_COMPAT_LISTENER_H
#define SYNWALL_COMPAT_LISTENER_H

#include <bpf/bpf_core_read.h>
#include <synwall/compat.h>

#define SW_SOCK_RCVBUF_LOCK 2
#define SW_TCP_MAX_WSCALE 14
#define SW_TCP_RMEM_TO_WIN_SCALE 8

struct sw_listener {
	__u32 mark;	    /* jiffies of its last SYN-queue overflow */
	__u32 full_space;   /* tcp_full_space() */
	__u32 window_clamp; /* tp->window_clamp */
	__u32 rmem2;	    /* net.ipv4.tcp_rmem[2] of its namespace */
	__u8 rcvbuf_lock;   /* SO_RCVBUF set: the clamp is full_space */
	__u8 timestamps;    /* its namespace's sysctls */
	__u8 sack;
	__u8 wscaling;
	__u8 ecn;
};

/*
 * tcp_full_space(): the listener's receive buffer as window.  The
 * formula changed in 6.6 (per-socket scaling_ratio instead of the
 * tcp_adv_win_scale sysctl); CO-RE picks the running kernel's.
 */
static __always_inline __u32 sw_full_space(struct tcp_sock *tp, struct net *net)
{
	int space = tp->inet_conn.icsk_inet.sk.sk_rcvbuf;
	int aws;

	if (space < 0)
		return 0;
	if (bpf_core_field_exists(tp->scaling_ratio))
		return (__u32)(((__u64)space * tp->scaling_ratio) >>
			       SW_TCP_RMEM_TO_WIN_SCALE);
	aws = net->ipv4.sysctl_tcp_adv_win_scale;
	if (aws <= 0)
		return (__u32)space >> (-aws & 31);
	return (__u32)space - ((__u32)space >> (aws & 31));
}

/* Read it all while the caller holds the lookup's reference.  0 if the
 * socket is not a TCP socket as BTF sees it. */
static __always_inline int sw_listener_read(struct bpf_sock *sk,
					    struct sw_listener *l)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct net *net;
	struct sock *s;

	if (!tp || !sw_listener_mark(sk, &l->mark))
		return 0;
	s = &tp->inet_conn.icsk_inet.sk;
	net = s->__sk_common.skc_net.net;
	if (!net)
		return 0;
	l->full_space = sw_full_space(tp, net);
	l->window_clamp = tp->window_clamp;
	l->rcvbuf_lock = !!(BPF_CORE_READ_BITFIELD(s, sk_userlocks) &
			    SW_SOCK_RCVBUF_LOCK);
	l->rmem2 = (__u32)net->ipv4.sysctl_tcp_rmem[2];
	l->timestamps = net->ipv4.sysctl_tcp_timestamps;
	l->sack = net->ipv4.sysctl_tcp_sack;
	l->wscaling = net->ipv4.sysctl_tcp_window_scaling;
	l->ecn = net->ipv4.sysctl_tcp_ecn;
	return 1;
}

/*
 * Will the kernel still accept a cookie for this listener when the final
 * ACK comes?  tcp_synq_no_recent_overflow(): only while jiffies are
 * within [mark - HZ, mark + 120 s].  We answer only while the mark is
 * younger than refresh_s, so an ACK has at least 120 - refresh_s seconds.
 */
static __always_inline int sw_mark_fresh(const struct sw_listener *l,
					 const struct synwall_compat_cfg *c)
{
	__u32 now = (__u32)bpf_jiffies64();
	__u32 hz = c->hz, refresh = c->refresh_s;

	if (!hz)
		return 0;
	if (!refresh || refresh > SYNWALL_COMPAT_REFRESH_MAX)
		refresh = SYNWALL_COMPAT_REFRESH_DEFAULT;
	return now - (l->mark - hz) <= (refresh + 1) * hz;
}

static __always_inline __u32 sw_ilog2(__u32 v)
{
	__u32 r = 0;

	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

/*
 * The window scale the kernel gives the child it makes from the cookie:
 * cookie_v4/v6_check, then tcp_select_initial_window() with the
 * listener's clamp, tcp_full_space() and the cookie's MSS.  A route with
 * a "window" metric is not seen (docs/degraded.md).
 */
static __always_inline __u32 sw_child_wscale(const struct sw_listener *l,
					     __u32 mss, __u32 rmem_max)
{
	__u32 clamp = l->window_clamp, full = l->full_space, space, ws;

	if (l->rcvbuf_lock && (clamp > full || clamp == 0))
		clamp = full;
	if (clamp == 0)
		clamp = 65535U << SW_TCP_MAX_WSCALE;
	space = full < clamp ? full : clamp;
	if (mss && space > mss)
		space -= space % mss;
	if (space < l->rmem2)
		space = l->rmem2;
	if (space < rmem_max)
		space = rmem_max;
	if (space > clamp)
		space = clamp;
	ws = sw_ilog2(space);
	ws = ws > 15 ? ws - 15 : 0;
	return ws > SW_TCP_MAX_WSCALE ? SW_TCP_MAX_WSCALE : ws;
}

#endif /* SYNWALL_COMPAT_LISTENER_H */
