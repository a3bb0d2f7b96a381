/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Is this packet addressed to this host?  The degraded object's answer
 * (docs/degraded.md, "Addressed to this host"), for kernels where the
 * full object's live read of the device (host.h) cannot load: it needs
 * bpf_cast_to_kern_ctx and bpf_rdonly_cast, kfuncs of 6.2+.
 *
 * Here the loader writes the device's MAC into the "compat" map and every
 * address of the network namespace into "local_addrs" (Linux is a weak
 * host: a local address of any device is local), with the broadcast
 * addresses of each device.  The verdict is the one host.h gives, from
 * that snapshot: an address added after the loader's last write is
 * passed to the kernel (which answers it itself), one removed is still
 * answered until the loader writes again (synwall attach or config does;
 * the kernel then drops the final ACK as not local).
 */
#ifndef SYNWALL_COMPAT_HOST_H
#define SYNWALL_COMPAT_HOST_H

#include <synwall/compat.h>
#include "parse.h"
#include "addr.h"
#include "maps_compat.h"

static __always_inline __u32 sw_laddr_flags(const __u32 *a, int v6)
{
	struct synwall_laddr_key k = {};
	__u32 *f;

	k.v6 = v6;
	if (v6)
		__builtin_memcpy(k.addr, a, 16);
	else
		k.addr[0] = a[0];
	f = bpf_map_lookup_elem(&local_addrs, &k);
	return f ? *f : 0;
}

static __always_inline enum sw_host_res
sw_compat_host(void *data, void *data_end, const struct sw_pkt *p,
	       const struct synwall_compat_cfg *c)
{
	__u8 *mac = data;
	__u32 f;

	if ((void *)(mac + ETH_ALEN) > data_end)
		return SW_HOST_NOT_L2;
	/* multicast/broadcast bit, then the device's own address (an
	 * all-zero MAC: the loader never wrote it, nothing is ours) */
	if (mac[0] & 1)
		return SW_HOST_NOT_L2;
	if (!(c->mac[0] | c->mac[1] | c->mac[2] | c->mac[3] | c->mac[4] |
	      c->mac[5]))
		return SW_HOST_NOT_L2;
	if (mac[0] != c->mac[0] || mac[1] != c->mac[1] || mac[2] != c->mac[2] ||
	    mac[3] != c->mac[3] || mac[4] != c->mac[4] || mac[5] != c->mac[5])
		return SW_HOST_NOT_L2;

	if (p->v6 ? sw_v6_special(p->flow.saddr, 0) :
		    sw_v4_special(p->flow.saddr[0], 0))
		return SW_HOST_MARTIAN;
	if (p->v6 ? sw_v6_special(p->flow.daddr, 0) :
		    sw_v4_special(p->flow.daddr[0], 0))
		return SW_HOST_NOT_LOCAL;
	/* fib_validate_source: a local or broadcast source is martian */
	if (sw_laddr_flags(p->flow.saddr, p->v6))
		return SW_HOST_MARTIAN;
	f = sw_laddr_flags(p->flow.daddr, p->v6);
	if (!(f & SYNWALL_LA_LOCAL) || (f & SYNWALL_LA_BCAST))
		return SW_HOST_NOT_LOCAL;
	return SW_HOST_OK;
}

#endif /* SYNWALL_COMPAT_HOST_H */
