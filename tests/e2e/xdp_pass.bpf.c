// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP_PASS for the client end of the e2e lab: on veth, frames sent with
 * XDP_TX by the peer (synwall's SYN-ACKs) reach an interface only when it
 * has an XDP program attached (../shared/DESIGN.md).
 */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
