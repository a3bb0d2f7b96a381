// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A test's observer of the flow table's writer on inet_ehash_nolisten()
 * (test_xdp flow_hashed_order): around the same call as synwall's hook,
 * it asks whether the socket's 4-tuple has an entry while the socket is
 * not yet in the established hash (at entry), and counts the calls that
 * hashed one (at exit).  Loaded on test_xdp's maps (shared by name), it
 * counts in order[]:
 *   0  calls for a tracked socket      1  of them with an entry already
 *   2  returns "hashed" for a tracked socket
 * The kernel runs the newest of a function's tracing programs first: the
 * test attaches this one before synwall's hooks, so that at entry it runs
 * after theirs and sees what they wrote.
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

__u64 order[3];

/* 1 when sk is tracked and its 4-tuple has an entry, 0 when tracked
 * without one, -1 when not tracked */
static __always_inline int entry_of(const struct sock *sk)
{
	struct sw_flow_k k;

	if (!sw_flow_tcp_sk(
		    sk, bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num)), &k))
		return -1;
	return sw_flows_get(&k) != NULL;
}

SEC("fentry/inet_ehash_nolisten")
int BPF_PROG(order_enter, const struct sock *sk)
{
	int e = entry_of(sk);

	if (e >= 0) {
		__sync_fetch_and_add(&order[0], 1);
		if (e)
			__sync_fetch_and_add(&order[1], 1);
	}
	return 0;
}

SEC("fexit/inet_ehash_nolisten")
int BPF_PROG(order_exit, const struct sock *sk)
{
	__u64 ret = 0;

	if (bpf_get_func_ret(ctx, &ret) || !(__u8)ret)
		return 0;
	if (entry_of(sk) >= 0)
		__sync_fetch_and_add(&order[2], 1);
	return 0;
}
