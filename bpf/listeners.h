/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The listener table: "does anything listen for this SYN?" from a hash
 * map instead of bpf_skc_lookup_tcp(), for SYNs whose 4-tuple the trusted
 * flow table already knows has no socket (docs/datapath.md, "The listener
 * table").
 *
 * The kernel's own answer (__inet_lookup_listener()) is a listening socket
 * of the namespace on the port, bound to the destination address or to
 * any, not IPV6_V6ONLY for an IPv4 SYN to an IPv6 socket, and bound to no
 * device or to the ingress one.  The table counts the listening sockets on
 * protected ports under (bound address, port, family): an IPv6 socket
 * bound to :: without IPV6_V6ONLY counts under the IPv4 "any" key too; one
 * bound to a v4-mapped address counts under that IPv4 address only.  A
 * device-bound socket is counted apart (synwall_listener.bound): whether
 * it takes a SYN from this device is the socket lookup's to say.
 *
 * Who writes it:
 *   - fexit/inet_csk_listen_start (synwall_hooks.bpf.c), twice: a socket
 *     that has just started listening -- hashed, its port taken; not at
 *     the state event, which comes before the port and may be undone;
 *   - the socket-state trace (flows.h), LISTEN -> CLOSE: it stops, before
 *     the kernel unhashes it (so the count errs toward "nobody", which
 *     passes the SYN to the kernel);
 *   - the seed (iter/tcp), for the sockets already listening.
 * Each counted socket is recorded in listen_socks first: a socket is
 * counted once whoever meets it, and uncounted once.  A failed insert (a
 * full map) clears flow_ctl.trusted, as a flow table insert does.
 *
 * The table is read only where the flow table is trusted (its misses are
 * answers, the listener table's too: the same hooks and seed write both).
 * It errs toward "nobody" -- the SYN then goes to the kernel, which
 * answers it itself -- except where the kernel's answer changes without a
 * socket event: a listener bound to a device after listen() (counted as
 * unbound) (docs/datapath.md).  An SK_LOOKUP program attached to the
 * namespace may steer any SYN to another socket or drop it: while one is
 * attached the table is not asked (sw_sk_lookup_attached()), the socket
 * lookup, which runs the program as the kernel's own lookup does, is.
 */
#ifndef SYNWALL_LISTENERS_H
#define SYNWALL_LISTENERS_H

#include <bpf/bpf_core_read.h>
#include <synwall/abi.h>
#include "config.h"
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYNWALL_LISTENERS_MAX);
	__type(key, struct synwall_listen_key);
	__type(value, struct synwall_listener);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYNWALL_LISTENERS_MAX);
	__type(key, __u64); /* the socket's kernel address */
	__type(value, struct synwall_listen_sock);
} listen_socks SEC(".maps");

/*
 * The unbound listeners on "any" of each port, at (port << 1 | v6): a copy
 * of the "any" keys' socks - bound, counted with them by
 * sw_listen_count(), so that the usual SYN (to a server listening on
 * "any") is answered by an array read, which the verifier inlines, instead
 * of a hash lookup (~15-30 ns, bench/README.md).  0 says nothing: the
 * hash answers then.  2 * 65536 counters of 4 bytes: 512 KiB.
 */
#define SW_LISTEN_ANY_SLOTS (2 * 65536)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SW_LISTEN_ANY_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} listen_any SEC(".maps");

static __always_inline __u32 sw_listen_any_slot(__u16 port, __u32 v6)
{
	return (__u32)bpf_ntohs(port) << 1 | (v6 & 1);
}

_Static_assert(sizeof(struct synwall_listen_key) == 20,
	       "the listener key has no padding");

/* ---- XDP: does anything listen for this SYN? -------------------------- */

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/*
 * Has the namespace of the ingress device an SK_LOOKUP program attached
 * (net->bpf.run_array[NETNS_BPF_SK_LOOKUP], which __inet_lookup_listener()
 * runs before it looks at the listening hash)?  A few loads; 1 where the
 * device is not known.
 */
static __always_inline int sw_sk_lookup_attached(struct xdp_md *ctx)
{
	struct xdp_buff *xb = bpf_cast_to_kern_ctx(ctx);
	struct net_device *dev = xb->rxq->dev;

	if (!dev)
		return 1;
	return dev->nd_net.net->bpf.run_array[bpf_core_enum_value(
		       enum netns_bpf_attach_type, NETNS_BPF_SK_LOOKUP)] !=
	       NULL;
}

enum sw_listen_res {
	SW_LISTEN_NONE = 0, /* no listening socket: the kernel resets */
	SW_LISTEN_YES,	    /* a listener not bound to a device waits */
	SW_LISTEN_ASK,	    /* only device-bound ones: look the socket up */
};

/* 1: a socket not bound to a device counts here; 2: only bound ones */
static __always_inline int sw_listen_at(const struct synwall_listen_key *k)
{
	struct synwall_listener *l = bpf_map_lookup_elem(&listeners, k);

	if (!l)
		return 0;
	if (l->socks > l->bound)
		return 1;
	return l->bound ? 2 : 0;
}

/*
 * The kernel's listener lookup for p's destination, as the table has it:
 * the socket bound to "any" first (most servers'), then the one bound to
 * the destination address.
 */
static __always_inline enum sw_listen_res sw_listener_of(const struct sw_pkt *p)
{
	struct synwall_listen_key k = {};
	__u32 slot = sw_listen_any_slot(p->flow.dport, p->v6), *n;
	int any, exact;

#ifdef SW_VARIANT_NO_LISTENER_LOOKUP
	/* bench/variants.sh "no-listener-lookup": what asking costs */
	return p ? SW_LISTEN_YES : SW_LISTEN_NONE;
#endif
	n = bpf_map_lookup_elem(&listen_any, &slot);
	if (n && *n)
		return SW_LISTEN_YES;
	k.port = p->flow.dport;
	k.v6 = p->v6;
	any = sw_listen_at(&k);
	if (any == 1)
		return SW_LISTEN_YES;
	if (p->v6)
		__builtin_memcpy(k.addr, p->flow.daddr, 16);
	else
		k.addr[0] = p->flow.daddr[0];
	exact = sw_listen_at(&k);
	if (exact == 1)
		return SW_LISTEN_YES;
	return any | exact ? SW_LISTEN_ASK : SW_LISTEN_NONE;
}

/* ---- the socket side -------------------------------------------------- */

/* A listener's record, all keys it counts under; 0 if it is not counted
 * (no port yet, a port not protected, not IPv4 or IPv6). */
static __always_inline int sw_listen_keys(const struct sock_common *skc,
					  struct synwall_listen_sock *r)
{
	__u16 port = bpf_htons(BPF_CORE_READ(skc, skc_num));
	int family = BPF_CORE_READ(skc, skc_family);
	struct in6_addr a;

	if (!port || !sw_port_protected(port))
		return 0;
	__builtin_memset(r, 0, sizeof(*r));
	r->bound = BPF_CORE_READ(skc, skc_bound_dev_if) != 0;
	r->k[0].port = port;
	r->k[1].port = port;
	r->n = 1;
	if (family == 2 /* AF_INET */) {
		r->k[0].addr[0] = BPF_CORE_READ(skc, skc_rcv_saddr);
		return 1;
	}
	if (family != 10 /* AF_INET6 */)
		return 0;
	a = BPF_CORE_READ(skc, skc_v6_rcv_saddr);
	if (!a.in6_u.u6_addr32[0] && !a.in6_u.u6_addr32[1] &&
	    a.in6_u.u6_addr32[2] == bpf_htonl(0xffff)) {
		/* bound to a v4-mapped address: IPv4 to that address only
		 * (IPV6_V6ONLY cannot be set on it) */
		r->k[0].addr[0] = a.in6_u.u6_addr32[3];
		return 1;
	}
	__builtin_memcpy(r->k[0].addr, &a, 16);
	r->k[0].v6 = 1;
	if (!(a.in6_u.u6_addr32[0] | a.in6_u.u6_addr32[1] |
	      a.in6_u.u6_addr32[2] | a.in6_u.u6_addr32[3]) &&
	    !BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only))
		r->n = 2; /* bound to ::, dual-stack: IPv4 "any" too */
	return 1;
}

/* A table -- flows or listeners -- has lost a socket: misses are no answer
 * any more (the count first: the loader's trust() reads it after it set
 * trusted). */
static __always_inline void sw_tables_untrust(struct synwall_flow_ctl *c)
{
	__sync_fetch_and_add(&c->insert_err, 1);
	if (c->trusted)
		c->trusted = 0;
}

static __always_inline int sw_listen_key_any(const struct synwall_listen_key *k)
{
	return !(k->addr[0] | k->addr[1] | k->addr[2] | k->addr[3]);
}

/* listen_any's copy: after the hash's count when one starts, after it
 * too when one stops (both before the kernel unhashes it) */
static __always_inline void
sw_listen_any_add(const struct synwall_listen_key *k, int d)
{
	__u32 slot = sw_listen_any_slot(k->port, k->v6), *n;

	n = bpf_map_lookup_elem(&listen_any, &slot);
	if (n)
		__sync_fetch_and_add(n, d);
}

/* Count r's socket under each of its keys, d = +1 or -1; 0 or -1. */
static __always_inline int sw_listen_count(const struct synwall_listen_sock *r,
					   int d)
{
	struct synwall_listener z = {}, *l;
	int i;

	for (i = 0; i < 2; i++) {
		if (i >= r->n)
			break;
		l = bpf_map_lookup_elem(&listeners, &r->k[i]);
		if (!l && d > 0) {
			long err = bpf_map_update_elem(&listeners, &r->k[i], &z,
						       BPF_NOEXIST);

			if (err && err != -17 /* EEXIST: another's */)
				return -1;
			l = bpf_map_lookup_elem(&listeners, &r->k[i]);
		}
		if (!l)
			return d > 0 ? -1 : 0;
		__sync_fetch_and_add(&l->socks, d);
		if (r->bound)
			__sync_fetch_and_add(&l->bound, d);
		else if (sw_listen_key_any(&r->k[i]))
			sw_listen_any_add(&r->k[i], d);
	}
	return 0;
}

/* skc listens (it is hashed, its port taken): count it, once. */
static __always_inline void sw_listen_add(const struct sock_common *skc,
					  struct synwall_flow_ctl *c)
{
	struct synwall_listen_sock r;
	__u64 id = (__u64)(long)skc;
	long err;

	if (!sw_listen_keys(skc, &r))
		return;
	err = bpf_map_update_elem(&listen_socks, &id, &r, BPF_NOEXIST);
	if (err == -17 /* EEXIST: counted already */)
		return;
	if (err || sw_listen_count(&r, 1))
		sw_tables_untrust(c);
}

/* sk stops listening: uncount it, once. */
static __always_inline void sw_listen_del(const struct sock *sk)
{
	struct synwall_listen_sock *rp, r;
	__u64 id = (__u64)(long)sk;

	rp = bpf_map_lookup_elem(&listen_socks, &id);
	if (!rp)
		return;
	r = *rp;
	/* of two programs on the event, the one whose delete succeeds */
	if (bpf_map_delete_elem(&listen_socks, &id))
		return;
	sw_listen_count(&r, -1);
}

#endif /* SYNWALL_LISTENERS_H */
