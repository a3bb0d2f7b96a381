/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Verdict reasons and the one exit that counts them.
 *
 * Every reason is a counter of struct synwall_stats: the enum and the
 * struct come from the same list (SYNWALL_COUNTERS in abi.h), in the same
 * order, so a reason indexes its counter.  The programs decide a reason
 * and return through sw_xdp_exit() or sw_tc_exit(), which bump exactly
 * that counter and return the action the reason names: one counter per
 * packet holds by construction, not by care at every return.
 */
#ifndef SYNWALL_VERDICT_H
#define SYNWALL_VERDICT_H

#include <synwall/abi.h>
#include "maps.h"
#include "parse.h"

#define SW_REASON(name, help) SW_R_##name,
enum sw_reason {
	SYNWALL_XDP_COUNTERS(SW_REASON) SW_R_XDP_END,
	/* the TC counters follow the XDP ones in the struct */
	SW_R_TC_BEFORE = SW_R_XDP_END - 1,
	SYNWALL_TC_COUNTERS(SW_REASON) SW_R_END,
	/* TC: not synwall's packet, nothing is counted */
	SW_R_NONE = SW_R_END,
};
#undef SW_REASON

#define SW_REASON_IS_INDEX(name, help)                                   \
	_Static_assert(__builtin_offsetof(struct synwall_stats, name) == \
			       SW_R_##name * sizeof(__u64),              \
		       #name " is not its counter's index");
SYNWALL_COUNTERS(SW_REASON_IS_INDEX)
#undef SW_REASON_IS_INDEX
_Static_assert(sizeof(struct synwall_stats) == SW_R_END * sizeof(__u64),
	       "struct synwall_stats holds the counters only");
_Static_assert(SW_R_XDP_END <= 64, "an XDP reason is a bit of a mask");

/* The XDP reasons whose action is XDP_<action>, as a bit mask. */
#define SW_ACTION_BIT(name, action, help, want) \
	| (XDP_##action == (want) ? 1ULL << SW_R_##name : 0)
#define SW_XDP_ACTION_MASK(want) \
	(0ULL SYNWALL_XDP_VERDICTS(SW_ACTION_BIT, want))

/*
 * Bump reason r's counter: the stats entry read as an array of counters
 * (the asserts above keep the two views the same).  Per CPU, so a plain
 * increment; the loader sums over CPUs.
 */
static __always_inline void sw_count(enum sw_reason r)
{
	__u32 zero = 0;
	__u64 *st = bpf_map_lookup_elem(&stats, &zero);

	if (st && r < SW_R_END)
		st[r]++;
}

/* The XDP program's one exit: count the reason, return its action. */
static __always_inline int sw_xdp_exit(enum sw_reason r)
{
	/* never taken (the verdict returns XDP reasons only): keeps the
	 * shifts below defined */
	if (r >= SW_R_XDP_END)
		return XDP_PASS;
	sw_count(r);
	if (SW_XDP_ACTION_MASK(XDP_DROP) >> r & 1)
		return XDP_DROP;
	if (SW_XDP_ACTION_MASK(XDP_TX) >> r & 1)
		return XDP_TX;
	return XDP_PASS;
}

/* The XDP program's reason to pass a packet sw_parse() found not TCP. */
static __always_inline enum sw_reason sw_parse_reason(enum sw_parse_res r)
{
	switch (r) {
	case SW_PARSE_MALFORMED:
		return SW_R_xdp_pass_malformed;
	case SW_PARSE_FRAGMENT:
		return SW_R_xdp_pass_fragment;
	case SW_PARSE_IPV6_EXT:
		return SW_R_xdp_pass_ipv6_ext;
	default:
		return SW_R_xdp_pass_not_tcp;
	}
}

#ifndef TC_ACT_OK
#define TC_ACT_OK 0
#endif

/*
 * The TC program's one exit: count the reason, if any.  The program never
 * drops: a packet it cannot hand off goes on to the kernel.
 */
static __always_inline int sw_tc_exit(enum sw_reason r)
{
	if (r > SW_R_TC_BEFORE && r < SW_R_END)
		sw_count(r);
	return TC_ACT_OK;
}

#endif /* SYNWALL_VERDICT_H */
