// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Numbers on the command line, the clocks, durations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "log.h"
#include "util.h"

int sw_parse_ulong(const char *opt, const char *s, unsigned long min,
		   unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+') {
		sw_err("%s '%s': expected a number from %lu to %lu", opt,
		       s ? s : "", min, max);
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end) {
		sw_err("%s '%s': expected a number from %lu to %lu", opt, s,
		       min, max);
		return -1;
	}
	if (v < min || v > max) {
		sw_err("%s %s: out of range, must be %lu to %lu", opt, s, min,
		       max);
		return -1;
	}
	*out = v;
	return 0;
}

__u64 sw_now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec;
}

int sw_tai_offset(__s32 *off)
{
	struct timex tx;

	memset(&tx, 0, sizeof(tx)); /* modes 0: read only */
	if (adjtimex(&tx) < 0) {
		sw_err("adjtimex: %s (cannot read the kernel's TAI offset)",
		       strerror(errno));
		return -1;
	}
	*off = (__s32)tx.tai;
	return 0;
}

const char *sw_fmt_age(__u64 s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)s / 60,
			 (unsigned long long)s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)s / 3600,
			 (unsigned long long)s % 3600 / 60);
	else
		snprintf(buf, len, "%llud%02lluh",
			 (unsigned long long)s / 86400,
			 (unsigned long long)s % 86400 / 3600);
	return buf;
}
