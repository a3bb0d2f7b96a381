/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* synwall's TC program: a clsact ingress filter with our handle. */
#ifndef SYNWALL_LOADER_TC_H
#define SYNWALL_LOADER_TC_H

#include <stdbool.h>
#include <linux/types.h>

#define SW_TC_PROG_NAME "synwall_tc"
#define SW_TC_HANDLE 0x5357 /* "SW" */
#define SW_TC_PRIO 1

int sw_tc_query(int ifindex, __u32 *prog_id);
/* Attach prog_fd at clsact ingress; *created: whether we made clsact. */
int sw_tc_attach(int ifindex, int prog_fd, bool *created, __u32 *prog_id);
/* Remove our filter; and the clsact qdisc too if we created it and no
 * other filter remains on it.  Returns 1 if the qdisc went too, 0, or
 * -errno. */
int sw_tc_detach(int ifindex, bool created_clsact);
/* Number of filters on the clsact hook (ingress or egress), or -errno. */
int sw_tc_count_filters(int ifindex, bool ingress);

#endif
