// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * synwall's kernel function hooks: the writers of the flow table (flows.h)
 * and of the listener table (listeners.h) that make them complete, so that XDP may trust a miss (flow_ctl.trusted,
 * docs/datapath.md "The flow table").  An object of its own: fentry needs
 * a kernel that lets BPF attach to its functions (BTF, trampolines, no
 * lockdown or LSM policy against it), and the data path object must load
 * with `ip link` where it cannot.  The loader loads it after synwall.bpf.o,
 * on the same maps (bpf_map__reuse_fd() by name); if it cannot, the table
 * works untrusted (every miss is looked up) and `synwall status` says why.
 *
 * As with the state trace, each writer of a socket comes twice: the kernel
 * skips a tracing program that would run inside its own run on one CPU
 * (a softirq interrupting process context), and of two one is free.
 */
/* vmlinux.h has a typedef named "config": keep the name for our map */
#define config sw_vmlinux_config_t
#include "vmlinux.h"
#undef config
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <synwall/abi.h>
#include "maps.h"
#include "flows.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* request sockets have no state event: the kernel's handshakes */
SEC("fentry/inet_csk_reqsk_queue_hash_add")
int BPF_PROG(synwall_flow_req, const struct sock *sk,
	     const struct request_sock *req, unsigned long timeout)
{
	sw_flow_req(sk, req, timeout);
	return 0;
}

SEC("fentry/inet_csk_reqsk_queue_hash_add")
int BPF_PROG(synwall_flow_req2, const struct sock *sk,
	     const struct request_sock *req, unsigned long timeout)
{
	sw_flow_req(sk, req, timeout);
	return 0;
}

/*
 * Children and connecting sockets, once they are in the established hash
 * (fexit: the return says so).  Not at entry: an entry there would come
 * before the socket can be found, and a segment of the flow that another
 * CPU meets in that gap would pass on the table to a socket lookup that
 * finds only the listener, which resets it (the kernel cannot check
 * synwall's cookie); without the entry XDP checks the cookie and TC hands
 * the segment off or leaves it to the socket (docs/datapath.md).
 */
static __always_inline void sw_hashed(void *ctx, const struct sock *sk)
{
	__u64 ret = 0;

	if (!bpf_get_func_ret(ctx, &ret) && (__u8)ret)
		sw_flow_hashed(sk);
}

SEC("fexit/inet_ehash_nolisten")
int BPF_PROG(synwall_flow_hashed, const struct sock *sk)
{
	sw_hashed(ctx, sk);
	return 0;
}

SEC("fexit/inet_ehash_nolisten")
int BPF_PROG(synwall_flow_hashed2, const struct sock *sk)
{
	sw_hashed(ctx, sk);
	return 0;
}

/*
 * Listeners, once listening: hashed, with their port (the state event
 * comes before inet_csk_get_port(), which can fail and undo it).  The
 * return value through bpf_get_func_ret(): the function's arguments have
 * changed across kernels (5.18 dropped the backlog), its return has not.
 */
static __always_inline void sw_listen_started(void *ctx, const struct sock *sk)
{
	struct synwall_flow_ctl *c;
	__u64 ret = 1;

	if (bpf_get_func_ret(ctx, &ret) || (int)ret)
		return;
	c = sw_flow_ctl_of(&sk->__sk_common);
	if (c)
		sw_listen_add(&sk->__sk_common, c);
}

SEC("fexit/inet_csk_listen_start")
int BPF_PROG(synwall_listen_start, const struct sock *sk)
{
	sw_listen_started(ctx, sk);
	return 0;
}

SEC("fexit/inet_csk_listen_start")
int BPF_PROG(synwall_listen_start2, const struct sock *sk)
{
	sw_listen_started(ctx, sk);
	return 0;
}

/*
 * The kernel's own cookies (tcp_conn_request() with a full SYN queue).
 * One program each: a run skipped inside another's is at the same moment,
 * and the outer one writes the time.
 */
SEC("fentry/cookie_v4_init_sequence")
int BPF_PROG(synwall_flow_kcookie4, const struct sk_buff *skb)
{
	sw_flow_kcookie();
	return 0;
}

SEC("fentry/cookie_v6_init_sequence")
int BPF_PROG(synwall_flow_kcookie6, const struct sk_buff *skb)
{
	sw_flow_kcookie();
	return 0;
}
