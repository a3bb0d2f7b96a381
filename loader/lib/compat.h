/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Degraded mode (docs/degraded.md): synwall on a kernel without the
 * handoff kfunc (6.0-6.8), with build/synwall_compat.bpf.o.  What the
 * loader does for it: choose it, check what it needs, measure HZ, write
 * the device's MAC and the namespace's addresses, and say what is lost.
 */
#ifndef SYNWALL_LOADER_COMPAT_H
#define SYNWALL_LOADER_COMPAT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct bpf_object;

/* attach --datapath */
enum sw_datapath {
	SW_DATAPATH_AUTO = 0, /* full where the kfunc exists, else degraded */
	SW_DATAPATH_FULL,     /* the handoff; refused without the kfunc */
	SW_DATAPATH_DEGRADED, /* the kernel's cookies, on any kernel >= 6.0 */
};

int sw_datapath_parse(const char *s, enum sw_datapath *out);

/* What degraded mode needs from this network namespace's sysctls: prints
 * each problem (as an error, or a warning with --force) and returns how
 * many --force did not skip. */
int sw_compat_check(bool force);

/* HZ, from two runs of the object's synwall_jiffies program. */
int sw_compat_hz(struct bpf_object *obj, __u32 *hz);

/* Write the compat map (MAC of ifname, hz unless 0, net.core.rmem_max)
 * and the local-address map pinned in dir, from the kernel's state now. */
int sw_compat_write(const char *dir, const char *ifname, __u32 hz);

/* Is a degraded object's map pinned in dir? */
bool sw_compat_pinned(const char *dir);

/* status: the mode, what it keeps and loses, and what it reads now. */
void sw_compat_print(const char *dir, FILE *f, const char *indent);

#endif
