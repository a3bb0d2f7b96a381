/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The cookie clock: seconds and milliseconds of UTC, as CLOCK_TAI minus
 * the host's TAI offset that the loader wrote (BPF has no CLOCK_REALTIME),
 * so it is the loader's CLOCK_REALTIME, the fleet key schedule's time
 * base.  config.fixed_time (a test hook) replaces the CLOCK_TAI reading.
 *
 * At most one clock helper call per packet, and in a flood almost none:
 * - per jiffy and CPU, the first packet reads bpf_ktime_get_coarse_ns()
 *   (the last tick's time) and computes the time from it; every later
 *   packet of that jiffy on that CPU reuses both (bpf_jiffies64() is
 *   inlined by the verifier: a load).  The coarse clock moves only at a
 *   tick, so within a jiffy it would return the same value anyway; at the
 *   tick itself the jiffy may be seen before the timekeeper's update, and
 *   the value is then a tick old until the next jiffy.  The reuse is worth
 *   ~25 ns per SYN and per cookie check (bench/README.md): the helper
 *   (a seqcount read and a timespec conversion) and two 32-bit divisions.
 * - the coarse reading advances a per-CPU copy of the last fine CLOCK_TAI
 *   reading, which is read again once it is a second old.  CLOCK_TAI and
 *   the monotonic clock run at one rate (they differ by the timekeeper's
 *   TAI offset, which moves only when the clock is set), so the copy is
 *   off by at most two ticks either way (8 ms at HZ=250), and a clock that
 *   is set is seen within a second.
 * Neither matters: the cookie's time is 64-second epochs with seconds of
 * tolerance, and a TSval's low bits are option bits (cookie.h), the
 * kernel's child continuing from the value the client echoed.  The copy
 * is per CPU and XDP and TC run in softirq, never inside each other on
 * one CPU; only a test run (process context) can be interrupted halfway
 * through a refresh: the memo is marked invalid while it is written, and
 * the copy's time is then at most a second off.
 */
#ifndef SYNWALL_CLOCK_H
#define SYNWALL_CLOCK_H

#include <bpf/bpf_helpers.h>
#include <synwall/abi.h>
#include "config.h"

struct sw_clk {
	__u64 coarse;	/* bpf_ktime_get_coarse_ns() at the fine reading */
	__u32 sec;	/* its CLOCK_TAI seconds */
	__u32 msec;	/* its CLOCK_TAI milliseconds (low 32 bits) */
	__u32 ns_in_ms; /* its nanoseconds past msec */
	__u32 ms_in_s;	/* its milliseconds past sec */
	/* the memo of one jiffy (valid: SW_TICK_*) */
	__u64 tick;	   /* bpf_jiffies64() it was taken in */
	__u64 tick_coarse; /* the coarse clock read in that jiffy */
	__u32 tick_sec;	   /* sw_tai_now() in that jiffy */
	__u32 tick_msec;
	__u32 valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_clk);
} clk SEC(".maps");

#define SW_TICK_COARSE 1 /* tick_coarse is this jiffy's */
#define SW_TICK_NOW 2	 /* tick_sec and tick_msec too */

/* Stores that reach memory in program order (a test run can be
 * interrupted between two of them by a packet of the same CPU). */
#define sw_clk_store(x, v) (*(volatile typeof(x) *)&(x) = (v))

/* The coarse clock, read at most once per jiffy on this CPU. */
static __always_inline __u64 sw_tick_coarse(struct sw_clk *c, __u64 jiffies)
{
	__u64 coarse;

	if (c->valid && c->tick == jiffies)
		return c->tick_coarse;
	coarse = bpf_ktime_get_coarse_ns();
	sw_clk_store(c->valid, 0);
	sw_clk_store(c->tick, jiffies);
	sw_clk_store(c->tick_coarse, coarse);
	sw_clk_store(c->valid, SW_TICK_COARSE);
	return coarse;
}

/* The coarse clock now (the last tick's time, monotonic) for this CPU. */
static __always_inline __u64 sw_coarse_ns(void)
{
	__u32 zero = 0;
	struct sw_clk *c = bpf_map_lookup_elem(&clk, &zero);

	if (!c)
		return bpf_ktime_get_coarse_ns();
	return sw_tick_coarse(c, bpf_jiffies64());
}

struct sw_now {
	__u32 sec;
	__u32 msec;
};

/* CLOCK_TAI now, as seconds and milliseconds, from this CPU's copy. */
static __always_inline void sw_tai_now(struct sw_now *now)
{
	__u64 coarse, tai, jiffies;
	struct sw_clk *c;
	__u32 zero = 0, d, ms;

	c = bpf_map_lookup_elem(&clk, &zero);
	if (!c) {
		tai = bpf_ktime_get_tai_ns();
		now->sec = tai / NSEC_PER_SEC;
		now->msec = tai / NSEC_PER_MSEC;
		return;
	}
	jiffies = bpf_jiffies64();
	if (c->valid == SW_TICK_NOW && c->tick == jiffies) {
		now->sec = c->tick_sec;
		now->msec = c->tick_msec;
		return;
	}
	coarse = sw_tick_coarse(c, jiffies);
	/* a second old, or never read (or the coarse clock behind the copy:
	 * the unsigned difference is then huge) */
	if (coarse - c->coarse >= NSEC_PER_SEC) {
		tai = bpf_ktime_get_tai_ns();
		c->coarse = coarse;
		c->sec = tai / NSEC_PER_SEC;
		c->msec = tai / NSEC_PER_MSEC;
		c->ns_in_ms = tai % NSEC_PER_MSEC;
		c->ms_in_s = (tai / NSEC_PER_MSEC) % 1000;
	}
	/* 32-bit sums and divisions by constants (multiplications) */
	d = (__u32)(coarse - c->coarse);
	ms = (c->ns_in_ms + d) / (__u32)NSEC_PER_MSEC;
	now->msec = c->msec + ms;
	now->sec = c->sec + (c->ms_in_s + ms) / 1000;
	/* this jiffy's memo, whole (a packet that interrupted a test run
	 * here may have written another jiffy's) */
	sw_clk_store(c->valid, 0);
	sw_clk_store(c->tick, jiffies);
	sw_clk_store(c->tick_coarse, coarse);
	sw_clk_store(c->tick_sec, now->sec);
	sw_clk_store(c->tick_msec, now->msec);
	sw_clk_store(c->valid, SW_TICK_NOW);
}

/*
 * The cookie clock now.  A global function: verified once on its own
 * (inlined, its ways -- test clock or not, a copy to refresh or not --
 * would multiply the states of everything after it).
 */
__attribute__((noinline)) int sw_clock(const struct synwall_config *cfg,
				       struct sw_now *now)
{
	if (!cfg || !now)
		return 0;
	if (cfg->fixed_time) {
		now->sec = cfg->fixed_time;
		now->msec = cfg->fixed_time * 1000;
	} else {
		sw_tai_now(now);
	}
	now->sec -= cfg->tai_offset;
	now->msec -= cfg->tai_offset * 1000;
	return 0;
}

#endif /* SYNWALL_CLOCK_H */
