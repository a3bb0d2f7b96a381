/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Is this packet addressed to this host, as the kernel would judge it?
 * (docs/datapath.md, "Addressed to this host")
 *
 * The answer is read from the kernel's own live state at every packet,
 * never from a snapshot: the ingress device (bpf_cast_to_kern_ctx ->
 * xdp_rxq_info -> net_device) gives its current MAC address and its IPv4
 * and IPv6 address lists, and the namespace's loopback device gives the
 * addresses configured there (service addresses of a load balancer or an
 * anycast fleet).  Adding or removing an address takes effect with the
 * next packet.  Every read is a BTF (CO-RE) load of a kernel structure,
 * which the verifier turns into a fault-safe load; lists are walked a
 * bounded number of steps under the RCU read lock that XDP runs in.
 *
 * Why not bpf_fib_lookup(): it refuses (BPF_FIB_LKUP_RET_FWD_DISABLED)
 * every lookup on a device without forwarding -- a server's default --
 * before looking at the route (net/core/filter.c, bpf_ipv4_fib_lookup:
 * "verify forwarding is enabled on this interface"), and where it does
 * look, it answers NOT_FWDED alike for RTN_LOCAL, RTN_BROADCAST,
 * multicast and "no route at all".
 */
#ifndef SYNWALL_HOST_H
#define SYNWALL_HOST_H

#include <bpf/bpf_core_read.h>
#include "parse.h"
#include "addr.h"

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id) __ksym;

/* addresses looked at per device and family; more are "not found" */
#define SW_HOST_ADDRS 16

#define SW_IFA_F_SECONDARY 0x01
#define SW_IFA_F_OPTIMISTIC 0x04
#define SW_IFA_F_DADFAILED 0x08
#define SW_IFA_F_TENTATIVE 0x40

/*
 * The question and the answer of one check.  The scans accumulate their
 * findings in bits, in memory the caller owns: the verifier then keeps
 * them imprecise and the bounded walks do not multiply its states.
 */
struct sw_host_q {
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 v6;
	__u32 bits; /* SW_HB_* */
};

#define SW_HB_DST_LOCAL 1 /* daddr is a usable address of a device scanned */
#define SW_HB_DST_BCAST \
	2 /* daddr is a broadcast address of the ingress device */
#define SW_HB_SRC_LOCAL 4 /* saddr is an address of the ingress device */
#define SW_HB_SRC_BCAST \
	8 /* saddr is a broadcast address of the ingress device */

/* A read-modify-write in memory, never a register the verifier tracks. */
static __always_inline void sw_hb_set(struct sw_host_q *q, __u32 bit)
{
	*(volatile __u32 *)&q->bits |= bit;
}

/* One IPv4 device: its addresses, and (ingress only) its broadcasts. */
static __always_inline void sw_scan_v4(struct net_device *dev, __be32 daddr,
				       __be32 saddr, int ingress,
				       struct sw_host_q *q)
{
	struct in_device *in;
	struct in_ifaddr *ifa;
	int i;

	if (!dev)
		return;
	in = dev->ip_ptr;
	if (!in)
		return;
	ifa = in->ifa_list;
	for (i = 0; i < SW_HOST_ADDRS; i++) {
		__be32 local, bcast, mask;

		if (!ifa)
			break;
		local = ifa->ifa_local;
		if (local == daddr)
			sw_hb_set(q, SW_HB_DST_LOCAL);
		if (ingress) {
			/*
			 * The broadcast routes fib_add_ifaddr() installs: the
			 * explicit broadcast, and prefix|~mask of a primary
			 * address shorter than /31.
			 */
			mask = ifa->ifa_mask;
			bcast = ifa->ifa_broadcast;
			if (local == saddr)
				sw_hb_set(q, SW_HB_SRC_LOCAL);
			if (bcast && (bcast == daddr))
				sw_hb_set(q, SW_HB_DST_BCAST);
			if (bcast && (bcast == saddr))
				sw_hb_set(q, SW_HB_SRC_BCAST);
			if (ifa->ifa_prefixlen < 31 &&
			    !(ifa->ifa_flags & SW_IFA_F_SECONDARY)) {
				bcast = (local & mask) | ~mask;
				if (bcast == daddr)
					sw_hb_set(q, SW_HB_DST_BCAST);
				if (bcast == saddr)
					sw_hb_set(q, SW_HB_SRC_BCAST);
			}
		}
		ifa = ifa->ifa_next;
	}
}

static __always_inline int sw_in6_eq(const struct in6_addr *a, const __u32 *b)
{
	return a->in6_u.u6_addr32[0] == b[0] && a->in6_u.u6_addr32[1] == b[1] &&
	       a->in6_u.u6_addr32[2] == b[2] && a->in6_u.u6_addr32[3] == b[3];
}

/*
 * One IPv6 device.  Tentative addresses (DAD not done, not optimistic)
 * and failed ones get no local route, so they receive nothing.
 */
static __always_inline void sw_scan_v6(struct net_device *dev,
				       const __u32 *daddr, const __u32 *saddr,
				       int ingress, struct sw_host_q *q)
{
	struct inet6_dev *idev;
	struct list_head *head, *pos;
	int i;

	if (!dev)
		return;
	idev = dev->ip6_ptr;
	if (!idev)
		return;
	head = &idev->addr_list;
	pos = idev->addr_list.next;
	for (i = 0; i < SW_HOST_ADDRS; i++) {
		struct inet6_ifaddr *ifp;
		__u32 fl;

		if (!pos || pos == head)
			break;
		/* container_of(pos, struct inet6_ifaddr, if_list) */
		ifp = bpf_rdonly_cast(
			(void *)pos - bpf_core_field_offset(struct inet6_ifaddr,
							    if_list),
			bpf_core_type_id_kernel(struct inet6_ifaddr));
		fl = ifp->flags;
		if (!(fl & SW_IFA_F_DADFAILED) &&
		    (!(fl & SW_IFA_F_TENTATIVE) ||
		     (fl & SW_IFA_F_OPTIMISTIC))) {
			if (sw_in6_eq(&ifp->addr, daddr))
				sw_hb_set(q, SW_HB_DST_LOCAL);
			if (ingress && sw_in6_eq(&ifp->addr, saddr))
				sw_hb_set(q, SW_HB_SRC_LOCAL);
		}
		pos = ifp->if_list.next;
	}
}

/*
 * The devices stacked on the ingress device (adj_list.upper): 802.1Q
 * sub-interfaces, a bond or team master.  A tagged frame is the VLAN
 * sub-interface's to the kernel, and a bond slave's frames are the bond's,
 * so their addresses and broadcasts count as the ingress device's own.
 * (Linux is a weak host: a local address of any device is local, so this
 * only narrows how much of the namespace synwall looks at.)
 */
#define SW_HOST_UPPERS 4

static __always_inline struct net_device *sw_upper_dev(struct list_head *pos)
{
	/* container_of(pos, struct netdev_adjacent, list)->dev */
	struct netdev_adjacent *adj = bpf_rdonly_cast(
		(void *)pos -
			bpf_core_field_offset(struct netdev_adjacent, list),
		bpf_core_type_id_kernel(struct netdev_adjacent));

	return adj->dev;
}

/* One device's addresses into q, in the family of the question. */
static __always_inline void sw_scan_dev(struct net_device *dev, int ingress,
					struct sw_host_q *q)
{
	if (q->v6)
		sw_scan_v6(dev, q->daddr, q->saddr, ingress, q);
	else
		sw_scan_v4(dev, q->daddr[0], q->saddr[0], ingress, q);
}

/* Which device sw_host_scan() looks at (the ingress device: inline). */
#define SW_SCAN_LO 1
#define SW_SCAN_UPPER 2 /* + n: the ingress device's n-th upper device */

/*
 * Scan one device's addresses into q: the namespace's loopback device, or
 * the ingress device's upper device number which - SW_SCAN_UPPER (with
 * its broadcasts and the source checks, as the ingress device's own).
 * Returns 1 if there is no such device (the end of the upper list), else
 * 0.  A global function: each address walk is verified once, on its own,
 * not once for every state of every device its callers scan (inlined, the
 * walks were half of the XDP program's load time).
 */
__attribute__((noinline)) int sw_host_scan(struct xdp_md *ctx,
					   struct sw_host_q *q, __u32 which)
{
	struct xdp_buff *xb = bpf_cast_to_kern_ctx(ctx);
	struct list_head *head, *pos;
	struct net_device *dev;
	int i, ingress = 1;

	if (!q)
		return 1;
	dev = xb->rxq->dev;
	if (!dev)
		return 1;
	if (which == SW_SCAN_LO) {
		dev = dev->nd_net.net->loopback_dev;
		ingress = 0;
	} else if (which >= SW_SCAN_UPPER) {
		head = &dev->adj_list.upper;
		pos = dev->adj_list.upper.next;
		for (i = 0; i < SW_HOST_UPPERS; i++) {
			if (!pos || pos == head)
				return 1;
			if (i == which - SW_SCAN_UPPER)
				break;
			pos = pos->next;
		}
		if (i == SW_HOST_UPPERS)
			return 1;
		dev = sw_upper_dev(pos);
	}
	sw_scan_dev(dev, ingress, q);
	return 0;
}

/*
 * The verdict for a TCP packet to a protected port: SW_HOST_OK only if
 * the kernel would hand it to a local socket (eth_type_trans: PACKET_HOST;
 * ip_rcv/ip6_rcv and the input route: a local unicast destination and a
 * source that is not martian).  A global function: verified once, on its
 * own, whatever state its callers are in.
 */
__attribute__((noinline)) int sw_host_verdict(struct xdp_md *ctx,
					      struct sw_host_q *q)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xdp_buff *xb = bpf_cast_to_kern_ctx(ctx);
	struct net_device *dev;
	__u8 *mac = data;
	__u32 bits, i;
	int lo;

	if (!q)
		return SW_HOST_NOT_L2;
	dev = xb->rxq->dev;
	if (!dev)
		return SW_HOST_NOT_L2;
	if ((void *)(mac + ETH_ALEN) > data_end)
		return SW_HOST_NOT_L2;
	/* multicast/broadcast bit, then the device's own address */
	if (mac[0] & 1)
		return SW_HOST_NOT_L2;
	if (mac[0] != dev->dev_addr_shadow[0] ||
	    mac[1] != dev->dev_addr_shadow[1] ||
	    mac[2] != dev->dev_addr_shadow[2] ||
	    mac[3] != dev->dev_addr_shadow[3] ||
	    mac[4] != dev->dev_addr_shadow[4] ||
	    mac[5] != dev->dev_addr_shadow[5])
		return SW_HOST_NOT_L2;

	lo = !!(dev->flags & IFF_LOOPBACK);
	q->bits = 0;
	if (q->v6) {
		if (sw_v6_special(q->saddr, lo))
			return SW_HOST_MARTIAN;
		if (sw_v6_special(q->daddr, lo))
			return SW_HOST_NOT_LOCAL;
	} else {
		if (sw_v4_special(q->saddr[0], lo))
			return SW_HOST_MARTIAN;
		if (sw_v4_special(q->daddr[0], lo))
			return SW_HOST_NOT_LOCAL;
	}
	/* the ingress device inline: where a server's address usually is */
	sw_scan_dev(dev, 1, q);
	if (!lo) {
		if (!(*(volatile __u32 *)&q->bits & SW_HB_DST_LOCAL))
			sw_host_scan(ctx, q, SW_SCAN_LO);
		/* most devices have none: no call */
		if (dev->adj_list.upper.next != &dev->adj_list.upper)
			for (i = 0; i < SW_HOST_UPPERS; i++)
				if (sw_host_scan(ctx, q, SW_SCAN_UPPER + i))
					break;
	}
	bits = *(volatile __u32 *)&q->bits;
	/* fib_validate_source: a local or broadcast source is martian */
	if (!lo && (bits & (SW_HB_SRC_LOCAL | SW_HB_SRC_BCAST)))
		return SW_HOST_MARTIAN;
	if (!(bits & SW_HB_DST_LOCAL) || (bits & SW_HB_DST_BCAST))
		return SW_HOST_NOT_LOCAL;
	return SW_HOST_OK;
}

/* sw_host_verdict() for the packet parsed into p. */
static __always_inline int sw_for_host(struct xdp_md *ctx,
				       const struct sw_pkt *p)
{
	struct sw_host_q q;

#ifdef SW_VARIANT_NO_HOST_CHECK
	/* bench/variants.sh "no-host-check": what answering only what the
	 * kernel would costs */
	return SW_HOST_OK;
#endif
	__builtin_memcpy(q.saddr, p->flow.saddr, 16);
	__builtin_memcpy(q.daddr, p->flow.daddr, 16);
	q.v6 = p->v6;
	q.bits = 0;
	return sw_host_verdict(ctx, &q);
}

#endif /* SYNWALL_HOST_H */
