/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flow table: the 4-tuples on protected ports that have a socket, so
 * that a segment of an established flow costs XDP one hash lookup instead
 * of bpf_skc_lookup_tcp() (docs/datapath.md, "The flow table").
 *
 * Who writes it:
 *   - sw_flow_trace, twice (tp_btf/inet_sock_set_state): every state
 *     change of a TCP socket of the tracked namespace on a protected local
 *     port.  A socket in any state but CLOSE and LISTEN is live; a socket
 *     that closes from FIN_WAIT2, CLOSING or FIN_WAIT1 has left a
 *     TIME_WAIT, kept SYNWALL_FLOW_TW_NS; any other close deletes the
 *     entry.
 *   - the kernel function hooks (synwall_hooks.bpf.c, fentry), twice each:
 *     request sockets as the kernel hashes them (they have no state
 *     event), kept as long as their SYN-ACK retransmissions can run
 *     (sw_req_life); every socket entering the established hash with its
 *     whole 4-tuple (children of every kind of handshake, connects); and
 *     the time of the kernel's own last cookie (flow_ctl.kcookie_at).
 *   - sw_flow_seed (iter/tcp), run by the loader once the hooks are on
 *     (hooks first, then the seed, so that no change falls between): the
 *     sockets that exist, TIME_WAIT and request ones included.  It adds
 *     only what the hooks have not written, which is newer.
 *   - XDP deletes a TIME_WAIT or request entry it finds expired.
 *
 * The table may only err toward passing.  An extra entry -- a socket
 * closed between the seed's read and its insert -- passes that 4-tuple's
 * segments to the kernel, which does with them what it would without
 * synwall.  A missing entry would drop a live flow's segment, so a miss is
 * an answer ("no socket") only while flow_ctl.trusted says that every
 * socket is in the table: the loader sets it once all the hooks are
 * attached and the seed is done; a failed insert (a full table), a port
 * protected after the seed (synwall config) clear it for good, and where
 * the hooks cannot attach it is never set.  Untrusted, a miss goes on to
 * the socket lookup exactly as without the table: it costs time, never a
 * packet.  SYNs never trust a miss: the socket lookup also answers "does
 * anything listen?", which they need.
 */
#ifndef SYNWALL_FLOWS_H
#define SYNWALL_FLOWS_H

#include <bpf/bpf_core_read.h>
#include <synwall/abi.h>
#include "config.h"
#include "parse.h"
#include "listeners.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYNWALL_FLOWS4_DEFAULT);
	__type(key, struct synwall_flow4_key);
	__type(value, struct synwall_flow);
} flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYNWALL_FLOWS6_DEFAULT);
	__type(key, struct synwall_flow6_key);
	__type(value, struct synwall_flow);
} flows6 SEC(".maps");

/* mapped by the loader, which writes its fields one at a time */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_flow_ctl);
} flow_ctl SEC(".maps");

_Static_assert(sizeof(struct synwall_flow4_key) == 12 &&
		       sizeof(struct synwall_flow6_key) == 36,
	       "the flow keys have no padding");

/* A key of either table: the short one for IPv4, so that it hashes fast. */
struct sw_flow_k {
	union {
		struct synwall_flow4_key k4;
		struct synwall_flow6_key k6;
	};
	int v6;
};

static __always_inline struct synwall_flow *
sw_flows_get(const struct sw_flow_k *k)
{
	if (k->v6)
		return bpf_map_lookup_elem(&flows6, &k->k6);
	return bpf_map_lookup_elem(&flows4, &k->k4);
}

static __always_inline long
sw_flows_set(const struct sw_flow_k *k, const struct synwall_flow *v, __u64 how)
{
	if (k->v6)
		return bpf_map_update_elem(&flows6, &k->k6, v, how);
	return bpf_map_update_elem(&flows4, &k->k4, v, how);
}

static __always_inline void sw_flows_del(const struct sw_flow_k *k)
{
	if (k->v6)
		bpf_map_delete_elem(&flows6, &k->k6);
	else
		bpf_map_delete_elem(&flows4, &k->k4);
}

/* ---- XDP: is this segment's 4-tuple a flow with a socket? ------------ */

/*
 * Each table has its own lookup call: were clang to merge the two into one
 * call on a map pointer chosen by a branch, the verifier could no longer
 * inline the hash lookup (a call site must see one map), which costs more
 * than the short IPv4 key saves.  IPv6 gets a subprogram of its own.
 */
static __always_inline int sw_flow_fresh(const struct synwall_flow *f)
{
	/* the coarse clock (tracing has only the fine one, which it wrote)
	 * lags by up to a tick: an entry expires late, never early */
	return !f->tw_until || bpf_ktime_get_coarse_ns() < f->tw_until;
}

/* What an entry says: none (or past its time), a live socket, or a
 * TIME_WAIT or request socket that may still be there. */
enum sw_flow_hit {
	SW_HIT_NONE = 0,
	SW_HIT_LIVE,
	SW_HIT_TIMED,
};

static __always_inline int sw_flow_hit_of(const struct synwall_flow *f)
{
	if (!f->tw_until)
		return SW_HIT_LIVE;
	return sw_flow_fresh(f) ? SW_HIT_TIMED : SW_HIT_NONE;
}

static __noinline int sw_flow_known6(const struct sw_pkt *p)
{
	struct synwall_flow6_key k;
	struct synwall_flow *f;
	int hit;

	if (!p)
		return SW_HIT_NONE;
	/* struct sw_flow starts with the same addresses and ports */
	__builtin_memcpy(&k, &p->flow, sizeof(k));
	f = bpf_map_lookup_elem(&flows6, &k);
	if (!f)
		return SW_HIT_NONE;
	hit = sw_flow_hit_of(f);
	if (hit == SW_HIT_NONE)
		bpf_map_delete_elem(&flows6, &k);
	return hit;
}

/* What the table says of a segment's flow. */
enum sw_flow_res {
	SW_FLOW_ASK = 0, /* not known: look the socket up */
	SW_FLOW_SOCKET,	 /* in the table: it has a socket */
	/* trusted miss: no socket; the listener, if any, has no request
	 * socket for it either */
	SW_FLOW_NONE,
	/* the same, and the kernel sent cookies of its own lately: its
	 * check could accept this ACK */
	SW_FLOW_NONE_KCOOKIE,
};

/*
 * A miss of the trusted table: whether the kernel's own cookies could be
 * valid now.  The coarse clock lags the fine one that wrote kcookie_at by
 * up to a tick: just after, "now - at" is negative (signed), which is
 * within the window too; the window closes late, never early.
 */
static __always_inline enum sw_flow_res
sw_flow_none(const struct synwall_flow_ctl *c)
{
	__u64 at = c->kcookie_at;

	if (at &&
	    (__s64)(bpf_ktime_get_coarse_ns() - at) < (__s64)SYNWALL_KCOOKIE_NS)
		return SW_FLOW_NONE_KCOOKIE;
	return SW_FLOW_NONE;
}

/*
 * What the table says of the flow of p.  A TIME_WAIT or request entry past
 * its time is deleted and counts as a miss.  A miss is an answer only
 * where the table is trusted (flow_ctl.trusted); elsewhere the socket is
 * looked up.  A SYN reads the table only where it is trusted: the socket
 * lookup it needs otherwise (who listens?) answers for the 4-tuple too.
 * A SYN that meets a TIME_WAIT or request entry asks the socket lookup
 * all the same: such an entry may outlive its socket (it errs long), and
 * the kernel would answer that SYN with a handshake of its own, not
 * synwall's cookie.
 */
static __always_inline enum sw_flow_res sw_flow_known(const struct sw_pkt *p,
						      int syn)
{
	struct synwall_flow4_key k;
	struct synwall_flow_ctl *c;
	struct synwall_flow *f;
	__u32 zero = 0;

	int hit = SW_HIT_NONE;

	c = bpf_map_lookup_elem(&flow_ctl, &zero);
	if (!c || !c->on || (syn && !c->trusted))
		return SW_FLOW_ASK;
	if (p->v6) {
		hit = sw_flow_known6(p);
	} else {
		k.raddr = p->flow.saddr[0];
		k.laddr = p->flow.daddr[0];
		k.rport = p->flow.sport;
		k.lport = p->flow.dport;
		f = bpf_map_lookup_elem(&flows4, &k);
		if (f) {
			hit = sw_flow_hit_of(f);
			if (hit == SW_HIT_NONE)
				bpf_map_delete_elem(&flows4, &k);
		}
	}
	if (hit == SW_HIT_LIVE || (hit == SW_HIT_TIMED && !syn))
		return SW_FLOW_SOCKET;
	if (hit == SW_HIT_TIMED)
		return SW_FLOW_ASK;
	return c->trusted ? sw_flow_none(c) : SW_FLOW_ASK;
}

/*
 * The fast path of XDP: what the table says of the packet at data, a TCP
 * segment.  A trusted miss of a SYN says only that its 4-tuple has no
 * socket: who listens is the listener table's (listeners.h).
 */
static __always_inline enum sw_flow_res
sw_flow_segment(void *data, void *data_end, const struct sw_pkt *p)
{
	struct tcphdr *th = data + (p->l4_off & 0xff);

	if ((void *)(th + 1) > data_end)
		return SW_FLOW_ASK;
#ifdef SW_VARIANT_NO_FLOWS
	/* bench/variants.sh "no-flows": the path before the flow table */
	return SW_FLOW_ASK;
#endif
	return sw_flow_known(p, th->syn);
}

/* ---- the socket side: the 4-tuple of a socket, as the wire sees it ---- */

/*
 * The key of skc's flow, whose local port (network order) is lport, or -1
 * if it has none yet (no local or no remote port: a listener, or a child
 * whose ports are not yet copied from its request) or is not on a
 * protected port.  A dual-stack IPv6 socket with an IPv4 peer (v4-mapped)
 * receives IPv4 packets: its key is IPv4.
 */
static __always_inline int sw_flow_key_of(const struct sock_common *skc,
					  __u16 lport, int family,
					  struct sw_flow_k *k)
{
	__u16 rport = BPF_CORE_READ(skc, skc_dport);
	struct in6_addr ra, la;

	if (!lport || !rport)
		return -1;
	if (!sw_port_protected(lport))
		return -1;
	__builtin_memset(k, 0, sizeof(*k));
	if (family == 2 /* AF_INET */)
		goto v4;
	if (family != 10 /* AF_INET6 */)
		return -1;
	ra = BPF_CORE_READ(skc, skc_v6_daddr);
	la = BPF_CORE_READ(skc, skc_v6_rcv_saddr);
	/* no IPv6 peer: the IPv4 child of a dual-stack listener, hashed
	 * before tcp_v6_syn_recv_sock() maps its addresses */
	if (!(ra.in6_u.u6_addr32[0] | ra.in6_u.u6_addr32[1] |
	      ra.in6_u.u6_addr32[2] | ra.in6_u.u6_addr32[3]))
		goto v4;
	if (!ra.in6_u.u6_addr32[0] && !ra.in6_u.u6_addr32[1] &&
	    ra.in6_u.u6_addr32[2] == bpf_htonl(0xffff)) {
		k->k4.raddr = ra.in6_u.u6_addr32[3];
		k->k4.laddr = la.in6_u.u6_addr32[3];
		k->k4.rport = rport;
		k->k4.lport = lport;
		return 0;
	}
	__builtin_memcpy(k->k6.raddr, &ra, 16);
	__builtin_memcpy(k->k6.laddr, &la, 16);
	k->k6.rport = rport;
	k->k6.lport = lport;
	k->v6 = 1;
	return 0;
v4:
	k->k4.raddr = BPF_CORE_READ(skc, skc_daddr);
	k->k4.laddr = BPF_CORE_READ(skc, skc_rcv_saddr);
	if (!k->k4.raddr)
		return -1;
	k->k4.rport = rport;
	k->k4.lport = lport;
	return 0;
}

/* The address family of a socket's 4-tuple: a request socket's is its
 * handshake's (an IPv4 SYN to a dual-stack listener makes an IPv4 request
 * in a socket marked with the listener's AF_INET6) */
static __always_inline int sw_sk_family(const struct sock_common *skc)
{
	if (BPF_CORE_READ(skc, skc_state) == TCP_NEW_SYN_RECV)
		return BPF_CORE_READ((struct request_sock *)skc, rsk_ops,
				     family);
	return BPF_CORE_READ(skc, skc_family);
}

/* The tracked namespace's control entry, if skc belongs to it. */
static __always_inline struct synwall_flow_ctl *
sw_flow_ctl_of(const struct sock_common *skc)
{
	struct synwall_flow_ctl *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&flow_ctl, &zero);
	if (!c || !c->netns_ino)
		return NULL;
	if (BPF_CORE_READ(skc, skc_net.net, ns.inum) != c->netns_ino)
		return NULL;
	return c;
}

/* entries one sweep deletes at most: ~200 ns each (a delete takes the
 * bucket lock), so a sweep stays under a millisecond */
#define SW_SWEEP_MAX 4096

struct sw_sweep {
	__u64 now;
	/* the budget lives in the map value, where the verifier does not
	 * follow it: a countdown on the stack it would trace call by call */
	struct synwall_flow_ctl *c;
};

/* bpf_for_each_map_elem() callback: delete a TIME_WAIT entry past its
 * time; stop once the sweep's budget is spent */
static long sw_flow_sweep_one(struct bpf_map *map, const void *key,
			      struct synwall_flow *v, struct sw_sweep *w)
{
	struct synwall_flow_ctl *c = w->c;

	if (!v->tw_until || v->tw_until > w->now)
		return 0;
	bpf_map_delete_elem(map, key);
	if (c->sweep_left <= 1)
		return 1;
	c->sweep_left--;
	return 0;
}

/*
 * A table is full: TIME_WAIT entries that no packet hit after their time
 * are still in it (XDP deletes only those it meets).  Walk the table and
 * delete up to SW_SWEEP_MAX of them -- at most once a second, by one CPU
 * at a time, in the context of the socket event that found the table
 * full.  1 if this call swept.
 */
static __always_inline int sw_flow_sweep(struct synwall_flow_ctl *c, int v6)
{
	struct sw_sweep w = {.now = bpf_ktime_get_ns(), .c = c};
	__u64 last = c->swept_at;

	if (w.now - last < 1000000000ULL ||
	    !__sync_bool_compare_and_swap(&c->swept_at, last, w.now))
		return 0;
	c->sweep_left = SW_SWEEP_MAX;
	if (v6)
		bpf_for_each_map_elem(&flows6, sw_flow_sweep_one, &w, 0);
	else
		bpf_for_each_map_elem(&flows4, sw_flow_sweep_one, &w, 0);
	__sync_fetch_and_add(&c->sweeps, 1);
	return 1;
}

static __always_inline void sw_flow_put(struct synwall_flow_ctl *c,
					const struct sw_flow_k *k,
					__u64 tw_until, __u64 how)
{
	struct synwall_flow v = {.tw_until = tw_until};
	long err = sw_flows_set(k, &v, how);

	/* E2BIG: the table is full; sweep it and try once more */
	if (err == -7 && sw_flow_sweep(c, k->v6))
		err = sw_flows_set(k, &v, how);
	if (!err && how == BPF_NOEXIST) {
		__sync_fetch_and_add(&c->seeded, 1);
	} else if (err && err != -17 /* EEXIST: the trace's is newer */) {
		sw_tables_untrust(c); /* a socket is missing */
	}
}

/* the kernel's largest retransmission timeout (TCP_RTO_MAX) */
#define SW_RTO_MAX_NS (120ULL * 1000000000ULL)

/*
 * How long a request socket of listener lsk, whose first SYN-ACK timeout
 * is rto0 jiffies, can live at most: the SYN-ACK is sent again up to n
 * times (the listener's TCP_SYNCNT, else the namespace's
 * tcp_synack_retries; TCP_DEFER_ACCEPT can hold it longer), each wait
 * twice the last, capped at TCP_RTO_MAX; then it expires.  HZ is not known
 * here: a jiffy is taken for 10 ms, the longest (HZ=100), so that the
 * entry outlives its socket, never the other way round.  Plus 10 s.
 */
static __always_inline __u64 sw_req_life(const struct sock *lsk, __u64 rto0)
{
	const struct inet_connection_sock *icsk = (const void *)lsk;
	__u64 t = rto0 * 10000000ULL, life = 10000000000ULL;
	__u32 n, d, i;

	n = BPF_CORE_READ(icsk, icsk_syn_retries);
	if (!n)
		n = BPF_CORE_READ(lsk, __sk_common.skc_net.net,
				  ipv4.sysctl_tcp_synack_retries);
	d = BPF_CORE_READ(icsk, icsk_accept_queue.rskq_defer_accept);
	if (d > n)
		n = d;
	if (!t || t > SW_RTO_MAX_NS)
		t = SW_RTO_MAX_NS;
	for (i = 0; i < 16; i++) {
		if (i > n)
			return life;
		life += t;
		t = t * 2 > SW_RTO_MAX_NS ? SW_RTO_MAX_NS : t * 2;
	}
	/* n counts up to 255: the rest at the cap */
	return life + (__u64)(n - 15) * SW_RTO_MAX_NS;
}

/*
 * The control entry and, in k, the key of full socket sk if it is a TCP
 * socket of the tracked namespace on a protected local port lport
 * (network order); else NULL.
 */
static __always_inline struct synwall_flow_ctl *
sw_flow_tcp_sk(const struct sock *sk, __u16 lport, struct sw_flow_k *k)
{
	const struct sock_common *skc = &sk->__sk_common;
	struct synwall_flow_ctl *c;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	c = sw_flow_ctl_of(skc);
	if (!c || sw_flow_key_of(skc, lport, BPF_CORE_READ(skc, skc_family), k))
		return NULL;
	return c;
}

/* The kernel hashed request socket req of listener lsk (its SYN-ACK
 * went out or is about to): the final ACK must find it. */
static __always_inline void
sw_flow_req(const struct sock *lsk, const struct request_sock *req, __u64 rto0)
{
	const struct sock_common *skc = &req->__req_common;
	struct synwall_flow_ctl *c = sw_flow_ctl_of(skc);
	struct sw_flow_k k;

	if (!c || sw_flow_key_of(skc, bpf_htons(BPF_CORE_READ(skc, skc_num)),
				 BPF_CORE_READ(req, rsk_ops, family), &k))
		return;
	sw_flow_put(c, &k, bpf_ktime_get_ns() + sw_req_life(lsk, rto0),
		    BPF_ANY);
}

/*
 * A socket has entered the established hash with its whole 4-tuple
 * (inet_ehash_nolisten() returned true): a child of any handshake -- the
 * kernel's, its cookies', synwall's handoff, TCP Fast Open's, whose
 * SYN_RECV child has no state event with its ports yet -- or a connecting
 * socket (before its SYN goes out: no answer can come first).
 */
static __always_inline void sw_flow_hashed(const struct sock *sk)
{
	struct synwall_flow_ctl *c;
	struct sw_flow_k k;

	c = sw_flow_tcp_sk(
		sk, bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num)), &k);
	if (c)
		sw_flow_put(c, &k, 0, BPF_ANY);
}

/*
 * The kernel answers a SYN with a cookie of its own (its SYN queue is
 * full, or tcp_syncookies=2): its check may accept ACKs of it for two
 * minutes.  In any namespace: tcp_v4_rcv() has cleared skb->dev by then,
 * and the listener is not at hand, so a cookie elsewhere opens this gate
 * too (it errs toward checking).  Written at most once a second: XDP reads
 * the entry on every packet.
 */
static __always_inline void sw_flow_kcookie(void)
{
	struct synwall_flow_ctl *c;
	__u32 zero = 0;
	__u64 now;

	c = bpf_map_lookup_elem(&flow_ctl, &zero);
	if (!c || !c->netns_ino)
		return;
	now = bpf_ktime_get_ns();
	if (now - c->kcookie_at > 1000000000ULL)
		c->kcookie_at = now;
}

/* A TCP socket of the tracked namespace changed state. */
static __always_inline void sw_flow_state_change(const struct sock *sk,
						 int oldstate, int newstate)
{
	struct synwall_flow_ctl *c;
	struct sw_flow_k k;

	/* a listener stops (any namespace's: only the tracked one's are in
	 * the listener table) */
	if (oldstate == TCP_LISTEN) {
		sw_listen_del(sk);
		return;
	}
	/* the local port from inet_sport: tcp_set_state(TCP_CLOSE) releases
	 * the port (inet_put_port() zeroes skc_num) before this event */
	c = sw_flow_tcp_sk(
		sk, BPF_CORE_READ((struct inet_sock *)sk, inet_sport), &k);
	if (!c)
		return;
	switch (newstate) {
	case TCP_LISTEN:
		return;
	case TCP_CLOSE:
		/*
		 * The entry stays for a TIME_WAIT's life when the 4-tuple
		 * may still have a socket: tcp_time_wait() made a TIME_WAIT
		 * socket for it just before this close (from FIN_WAIT1 only
		 * as an extra entry: the table may err toward passing); or
		 * a child that lost the race to the established hash (two
		 * CPUs, one request) closes with the winner's 4-tuple, and
		 * the entry is the winner's too, so it only expires.
		 */
		if (oldstate == TCP_FIN_WAIT2 || oldstate == TCP_CLOSING ||
		    oldstate == TCP_FIN_WAIT1 || oldstate == TCP_SYN_RECV)
			sw_flow_put(c, &k,
				    bpf_ktime_get_ns() + SYNWALL_FLOW_TW_NS,
				    BPF_ANY);
		else
			sw_flows_del(&k);
		return;
	default:
		sw_flow_put(c, &k, 0, BPF_ANY);
	}
}

/* The seed: one existing socket of the reader's namespace. */
static __always_inline void sw_flow_seed_one(const struct sock_common *skc)
{
	struct synwall_flow_ctl *c;
	struct sw_flow_k k;
	__u8 state = BPF_CORE_READ(skc, skc_state);
	__u64 tw = 0;

	if (state == TCP_CLOSE)
		return;
	c = sw_flow_ctl_of(skc);
	if (!c)
		return;
	if (state == TCP_LISTEN) {
		sw_listen_add(skc, c);
		return;
	}
	if (sw_flow_key_of(skc, bpf_htons(BPF_CORE_READ(skc, skc_num)),
			   sw_sk_family(skc), &k))
		return;
	/* its remaining time is not known here: a whole one, to err long
	 * (a request socket's first timeout taken for 1 s at the largest
	 * HZ, 1000 jiffies, which sw_req_life() reads as 10 s) */
	if (state == TCP_TIME_WAIT)
		tw = bpf_ktime_get_ns() + SYNWALL_FLOW_TW_NS;
	else if (state == TCP_NEW_SYN_RECV)
		tw = bpf_ktime_get_ns() +
		     sw_req_life(BPF_CORE_READ((struct request_sock *)skc,
					       __req_common.skc_listener),
				 1000);
	sw_flow_put(c, &k, tw, BPF_NOEXIST);
}

#endif /* SYNWALL_FLOWS_H */
