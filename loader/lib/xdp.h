/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* synwall's XDP program on an interface: query, detach (libxdp), and
 * attach without libxdp's dispatcher (libbpf). */
#ifndef SYNWALL_LOADER_XDP_H
#define SYNWALL_LOADER_XDP_H

#include <stdbool.h>
#include <linux/types.h>

#define SW_XDP_PROG_NAME "synwall_xdp"

struct sw_xdp_info {
	__u32 prog_id;	/* the synwall program, 0 if none */
	__u32 other_id; /* some other program holding the interface */
	char other_name[16];
	int mode;	 /* enum xdp_attach_mode of the attachment */
	bool dispatcher; /* attached through libxdp's dispatcher */
};

int sw_xdp_query(int ifindex, struct sw_xdp_info *info);
int sw_xdp_detach(int ifindex, __u32 prog_id, int mode);
/* synwall alone, without libxdp's dispatcher (bpf_xdp_attach). */
int sw_xdp_attach_alone(int ifindex, int prog_fd, int mode, __u32 *prog_id);
/* Remove what a failed libxdp attempt left: synwall, its dispatcher, pins. */
int sw_xdp_scrub(int ifindex);
const char *sw_xdp_mode_name(int mode);

#endif
