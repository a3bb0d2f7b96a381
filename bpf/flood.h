/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flood detector of flood mode (config.cookies == flood,
 * docs/datapath.md "Cookies only under flood"): while SYNs come slower
 * than flood_on per second on every CPU, the kernel answers them with its
 * own stateful handshake; above, synwall answers with cookies, until every
 * CPU has stayed under flood_off for flood_hold_ms.
 */
#ifndef SYNWALL_FLOOD_H
#define SYNWALL_FLOOD_H

#include <synwall/abi.h>
#include "config.h"
#include "clock.h"
#include "maps.h"
#include "maps_full.h"

#define SW_DETECT_WINDOW_NS (SYNWALL_DETECT_WINDOW_MS * NSEC_PER_MSEC)
#define SW_MAX_CPUS 1024

/*
 * Has every CPU stayed under the off rate for hold_ns?  Reads each
 * CPU's entry, writes nothing.  A global function: verified once, apart
 * from the main program.  Runs at most once per window per CPU, and only
 * while flooding.
 */
__attribute__((noinline)) int sw_flood_idle(__u64 now, __u64 hold_ns)
{
	__u32 zero = 0, cpu;

	for (cpu = 0; cpu < SW_MAX_CPUS; cpu++) {
		struct sw_detect *d =
			bpf_map_lookup_percpu_elem(&detect, &zero, cpu);

		if (!d)
			break; /* past the last possible CPU */
		if (now - d->hot_at < hold_ns)
			return 0;
	}
	return 1;
}

/*
 * Flood mode: count this SYN and say whether synwall answers it (1) or
 * the kernel does (0).  Per SYN: two array lookups, the coarse clock and
 * per-CPU writes; the shared dp_state is written (atomically) only when the mode
 * changes.
 */
static __always_inline int sw_flood(const struct synwall_config *cfg)
{
	__u32 zero = 0, on, off, win_on, win_off;
	struct synwall_dp_state *dp;
	struct sw_detect *d;
	__u64 now, hold;

	d = bpf_map_lookup_elem(&detect, &zero);
	dp = bpf_map_lookup_elem(&dp_state, &zero);
	if (!d || !dp)
		return 1;
	/* the coarse clock (the last tick's time): the windows are 100 ms,
	 * a tick at most 10 ms; read once per jiffy, shared with the cookie
	 * clock (clock.h) */
	now = sw_coarse_ns();
	on = cfg->flood_on ? cfg->flood_on : SYNWALL_FLOOD_ON_DEFAULT;
	off = cfg->flood_off ? cfg->flood_off : on / 2;
	if (off > on)
		off = on;
	win_on = on / (1000 / SYNWALL_DETECT_WINDOW_MS);
	win_off = off / (1000 / SYNWALL_DETECT_WINDOW_MS);
	if (!win_on)
		win_on = 1;
	if (!win_off)
		win_off = 1;

	if (now - d->win_start >= SW_DETECT_WINDOW_NS) {
		/* a new window; while flooding, is the flood gone? */
		d->win_start = now;
		d->count = 0;
		if (dp->flooding) {
			hold = (cfg->flood_hold_ms ?
					cfg->flood_hold_ms :
					SYNWALL_FLOOD_HOLD_DEFAULT) *
			       NSEC_PER_MSEC;
			if (sw_flood_idle(now, hold) &&
			    __sync_val_compare_and_swap(&dp->flooding, 1, 0) ==
				    1) {
				__sync_fetch_and_add(&dp->flood_ns,
						     now - dp->flood_since);
				dp->last_off = now;
			}
		}
	}
	d->count++;
	if (d->count == win_off)
		d->hot_at = now;
	if (!dp->flooding && d->count >= win_on) {
		d->hot_at = now;
		if (__sync_val_compare_and_swap(&dp->flooding, 0, 1) == 0) {
			dp->flood_since = now;
			__sync_fetch_and_add(&dp->switches, 1);
		}
		return 1;
	}
	return dp->flooding;
}

#endif /* SYNWALL_FLOOD_H */
