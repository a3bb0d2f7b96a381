// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* XDP: which program holds an interface; detaching ours (libxdp). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "common.h"

const char *sw_xdp_mode_name(int mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "unknown";
	}
}

int sw_xdp_query(int ifindex, struct sw_xdp_info *info)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int err;

	memset(info, 0, sizeof(*info));
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || !mp)
		return 0;
	if (err)
		return err;
	info->mode = xdp_multiprog__attach_mode(mp);
	info->dispatcher = !xdp_multiprog__is_legacy(mp);
	if (!info->dispatcher) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), SW_XDP_PROG_NAME)) {
			info->prog_id = xdp_program__id(p);
		} else if (p) {
			info->other_id = xdp_program__id(p);
			snprintf(info->other_name, sizeof(info->other_name),
				 "%s", xdp_program__name(p));
		}
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (!strcmp(xdp_program__name(p), SW_XDP_PROG_NAME))
				info->prog_id = xdp_program__id(p);
			else if (!info->other_id) {
				info->other_id = xdp_program__id(p);
				snprintf(info->other_name,
					 sizeof(info->other_name), "%s",
					 xdp_program__name(p));
			}
		}
	}
	xdp_multiprog__close(mp);
	return 0;
}

int sw_xdp_detach(int ifindex, __u32 prog_id, int mode)
{
	struct xdp_program *p;
	int err;

	p = xdp_program__from_id(prog_id);
	err = libxdp_get_error(p);
	if (err)
		return err;
	err = xdp_program__detach(p, ifindex, mode, 0);
	xdp_program__close(p);
	return err;
}
