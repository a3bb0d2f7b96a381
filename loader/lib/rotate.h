/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The rotation loop (`attach --rotate S`, `run`). */
#ifndef SYNWALL_LOADER_ROTATE_H
#define SYNWALL_LOADER_ROTATE_H

#include <stdbool.h>
#include <linux/types.h>

#include "maps.h"

/* At least this often (s) the loop refreshes the data path's TAI offset. */
#define SW_CLOCK_REFRESH 60

struct sw_rotate_opts {
	__u32 interval;	      /* seconds */
	const char *key_file; /* fleet mode when set */
	const char *ifname;
	int ifindex;
};
/* Rotate keys in the foreground until SIGTERM/SIGINT or until synwall is
 * detached from the interface.  Returns the exit code. */
int sw_rotate_loop(struct sw_maps *m, const struct sw_rotate_opts *o);
/* Is pid a running synwall (a rotation loop)? */
bool sw_daemon_alive(__u32 pid);

#endif
