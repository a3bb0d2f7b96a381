// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * swb_count: the XDP program on the flood generator's veth (bench/flood.sh).
 *
 * - On veth, frames that the peer sends with XDP_TX arrive only when this
 *   end has an XDP program (../shared/DESIGN.md): this is that program.
 * - It counts what comes back to the flood's spoofed sources
 *   (10.203.0.0/16, fd00:203::/64): SYN-ACKs, RSTs, anything else; and drops
 *   it, so that the generator's kernel neither answers with RSTs nor spends
 *   time on it.  Everything else (the legit client's traffic, ARP, ND)
 *   passes and is counted as "passed".
 *
 * Counters: per-CPU array "swb_cnt", pinned by name (iproute2 pins it in
 * /sys/fs/bpf/xdp/globals/swb_cnt), index SWB_*.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { SWB_SYNACK, SWB_RST, SWB_OTHER, SWB_PASSED, SWB_N };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, SWB_N);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} swb_cnt SEC(".maps");

static __always_inline int count(__u32 k, int verdict)
{
	__u64 *v = bpf_map_lookup_elem(&swb_cnt, &k);

	if (v)
		*v += 1;
	return verdict;
}

SEC("xdp")
int swb_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u8 proto;

	if ((void *)(eth + 1) > end)
		return count(SWB_PASSED, XDP_PASS);
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end ||
		    (bpf_ntohl(ip->daddr) >> 16) != ((10 << 8) | 203))
			return count(SWB_PASSED, XDP_PASS);
		proto = ip->protocol;
		th = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end ||
		    ip6->daddr.in6_u.u6_addr32[0] != bpf_htonl(0xfd000203) ||
		    ip6->daddr.in6_u.u6_addr32[1] != 0)
			return count(SWB_PASSED, XDP_PASS);
		proto = ip6->nexthdr;
		th = (void *)(ip6 + 1);
	} else {
		return count(SWB_PASSED, XDP_PASS);
	}
	if (proto != IPPROTO_TCP || (void *)(th + 1) > end)
		return count(SWB_OTHER, XDP_DROP);
	if (th->syn && th->ack)
		return count(SWB_SYNACK, XDP_DROP);
	if (th->rst)
		return count(SWB_RST, XDP_DROP);
	return count(SWB_OTHER, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
