/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * libxdp's multi-program dispatcher, or synwall alone: the decision after
 * libxdp's attempt, and the one line that says why the dispatcher was not
 * used.  Pure (dispatch.c, libc only), so the unit tests cover it.
 *
 * Why a fallback at all: libxdp 1.3.1's dispatcher fails on the kernels
 * synwall runs on, each in its own way.  On 6.18 its compatibility check
 * gets EPERM and libxdp attaches the program alone by itself; on 6.12 the
 * dispatcher loads, then the kernel refuses synwall as its extension
 * ("Extension program changes packet data, while original does not",
 * EINVAL: XDP_TX and bpf_xdp_adjust_meta change packet data, the
 * dispatcher's stub does not) and libxdp gives up.  Whatever the reason,
 * synwall then attaches alone, as `ip link set dev IFACE xdpdrv` would.
 */
#ifndef SYNWALL_LOADER_DISPATCH_H
#define SYNWALL_LOADER_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

enum sw_xdp_way {
	SW_XDP_DISPATCHER,   /* attached through libxdp's dispatcher */
	SW_XDP_LIBXDP_ALONE, /* libxdp fell back by itself: attached alone */
	SW_XDP_FALLBACK,     /* undo libxdp's attempt, attach alone */
	SW_XDP_BUSY,	     /* another XDP program holds the interface */
};

/* What libxdp's attempt (xdp_program__attach) gave. */
struct sw_xdp_attempt {
	int err;	 /* its return: 0 or -errno */
	bool dispatcher; /* on success: the interface runs a dispatcher */
	int forced_err;	 /* test hook SYNWALL_TEST_DISPATCHER_FAIL: -errno */
};

enum sw_xdp_way sw_xdp_decide(const struct sw_xdp_attempt *t);

/* libxdp's and the kernel's words for the attempt, best first. */
struct sw_xdp_why {
	const char *libxdp;    /* libxdp's first reason line */
	const char *verifier;  /* last verifier line of a failed load */
	const char *extack;    /* netlink extack of a failed attach */
	const char *skip_env;  /* LIBXDP_SKIP_DISPATCHER's value, or NULL */
	const char *force_env; /* SYNWALL_TEST_DISPATCHER_FAIL's, or NULL */
};

/*
 * "libxdp's dispatcher is not used on IFACE (REASON): attaching synwall
 * alone in MODE mode; no other XDP program can share IFACE" -- for way
 * SW_XDP_LIBXDP_ALONE or SW_XDP_FALLBACK, err the attempt's -errno (0 if
 * libxdp succeeded alone).  Returns out.
 */
const char *sw_xdp_why_line(enum sw_xdp_way way, int err,
			    const struct sw_xdp_why *why, const char *ifname,
			    const char *mode, char *out, size_t len);

/* "EINVAL", "22" or "-22" -> -22; 0 if s is not an errno. */
int sw_errno_parse(const char *s);

#endif
