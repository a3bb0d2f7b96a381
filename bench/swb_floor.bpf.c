// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * swb_floor: the floor of the veth flood benchmark (bench/flood.sh, system
 * "xdp-floor").
 *
 * Every TCP frame is sent back where it came from: MAC, IP addresses and
 * ports swapped, nothing else touched (the checksums still hold: a swap
 * leaves the sums unchanged), XDP_TX.  That is the least work any XDP
 * system answering a flood can do on this veth pair: NAPI, the program's
 * entry, one transmit, the peer's receive.  What synwall or the peer XDP
 * SYN proxy costs above it is what their programs cost; bench/table.py
 * prints the ratios net of it.
 *
 * Frames that are not TCP over IPv4/IPv6 pass.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __always_inline void swap_bytes(void *a, void *b, int n)
{
	__u8 *x = a, *y = b, t;
	int i;

#pragma unroll
	for (i = 0; i < n; i++) {
		t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

SEC("xdp")
int swb_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u16 port;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__u32 a;

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP ||
		    ip->ihl != 5)
			return XDP_PASS;
		th = (void *)(ip + 1);
		if ((void *)(th + 1) > end)
			return XDP_PASS;
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		th = (void *)(ip6 + 1);
		if ((void *)(th + 1) > end)
			return XDP_PASS;
		swap_bytes(&ip6->saddr, &ip6->daddr, sizeof(ip6->saddr));
	} else {
		return XDP_PASS;
	}
	port = th->source;
	th->source = th->dest;
	th->dest = port;
	swap_bytes(eth->h_source, eth->h_dest, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
