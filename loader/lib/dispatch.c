// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* libxdp's dispatcher or synwall alone: the decision.  See dispatch.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"

enum sw_xdp_way sw_xdp_decide(const struct sw_xdp_attempt *t)
{
	int err = t->forced_err ? t->forced_err : t->err;

	if (!err)
		return t->dispatcher ? SW_XDP_DISPATCHER : SW_XDP_LIBXDP_ALONE;
	/*
	 * Another program (or an older libxdp's dispatcher, which libxdp
	 * refuses to upgrade) holds the interface: attaching alone would
	 * fail the same way, and replacing it is not ours to do.
	 */
	if (err == -EBUSY || err == -EEXIST)
		return SW_XDP_BUSY;
	/*
	 * Anything else -- EPERM, EINVAL (the 6.12 changes-packet-data
	 * rule), EOPNOTSUPP, a missing dispatcher object, a verifier
	 * rejection of the extension -- may be the dispatcher's problem and
	 * not synwall's: attach alone.  If that fails too, its own error
	 * (verifier log, extack) is the one reported.
	 */
	return SW_XDP_FALLBACK;
}

const char *sw_xdp_why_line(enum sw_xdp_way way, int err,
			    const struct sw_xdp_why *why, const char *ifname,
			    const char *mode, char *out, size_t len)
{
	char reason[512];
	const char *detail = NULL;

	if (why->force_env)
		snprintf(reason, sizeof(reason),
			 "failure forced by SYNWALL_TEST_DISPATCHER_FAIL=%s, "
			 "a test hook",
			 why->force_env);
	else if (way == SW_XDP_LIBXDP_ALONE && why->skip_env)
		snprintf(reason, sizeof(reason),
			 "LIBXDP_SKIP_DISPATCHER=%s is set", why->skip_env);
	else if (why->libxdp && *why->libxdp)
		/* libxdp's own account (6.18: its compatibility check's
		 * EPERM) comes first: a later error may be of the attach
		 * alone that libxdp then tried itself. */
		snprintf(reason, sizeof(reason), "libxdp: %s", why->libxdp);
	else {
		/* The kernel's words: the verifier's (6.12: "Extension
		 * program changes packet data, while original does not"),
		 * else the netlink request's. */
		if (why->verifier && *why->verifier)
			detail = why->verifier;
		else if (why->extack && *why->extack)
			detail = why->extack;
		if (err && detail)
			snprintf(reason, sizeof(reason), "%s: %s",
				 strerror(-err), detail);
		else if (err)
			snprintf(reason, sizeof(reason), "%s", strerror(-err));
		else if (detail)
			snprintf(reason, sizeof(reason), "%s", detail);
		else
			snprintf(reason, sizeof(reason),
				 "libxdp attached the program without it");
	}
	snprintf(out, len,
		 "synwall: libxdp's dispatcher is not used on %s (%s): "
		 "attaching synwall alone in %s mode; no other XDP program "
		 "can share %s",
		 ifname, reason, mode, ifname);
	return out;
}

int sw_errno_parse(const char *s)
{
	static const struct {
		const char *name;
		int err;
	} names[] = {
		{"EPERM", EPERM},	    {"EINVAL", EINVAL},
		{"EOPNOTSUPP", EOPNOTSUPP}, {"ENOENT", ENOENT},
		{"EACCES", EACCES},	    {"E2BIG", E2BIG},
		{"EBUSY", EBUSY},	    {"EEXIST", EEXIST},
		{"ENOMEM", ENOMEM},	    {"ENOTSUP", ENOTSUP},
		{"ENOSPC", ENOSPC},
	};
	char *end;
	long v;
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return -names[i].err;
	v = strtol(s, &end, 10);
	if (*end || v == 0 || v < -4095 || v > 4095)
		return 0;
	return v < 0 ? (int)v : (int)-v;
}
