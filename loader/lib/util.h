/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Numbers on the command line, the clocks, durations. */
#ifndef SYNWALL_LOADER_UTIL_H
#define SYNWALL_LOADER_UTIL_H

#include <stddef.h>
#include <linux/types.h>

/* Parse an unsigned number for option opt within [min, max]; prints the
 * error (naming the option and the range) and returns -1 when bad. */
int sw_parse_ulong(const char *opt, const char *s, unsigned long min,
		   unsigned long max, unsigned long *out);

__u64 sw_now_realtime(void);
/*
 * The kernel's TAI - UTC offset in seconds (adjtimex(2) `tai`), which the
 * data path subtracts from CLOCK_TAI to run on UTC like the loader.
 */
int sw_tai_offset(__s32 *off);

/* Human-readable duration, e.g. "3h04m", "59s". */
const char *sw_fmt_age(__u64 secs, char *buf, size_t len);

#endif
