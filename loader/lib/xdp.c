// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* XDP: which program holds an interface; attaching synwall alone;
 * detaching ours (libxdp); tidying after libxdp's failed attempt. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"
#include "xdp.h"

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

int sw_xdp_attach_alone(int ifindex, int prog_fd, int mode, __u32 *prog_id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST;
	int err;

	/* What `ip link set dev IFACE xdpdrv|xdpgeneric` does: never
	 * replaces a program that is there (UPDATE_IF_NOEXIST), and libxdp,
	 * bpftool and ip see it as a plain ("legacy") XDP program. */
	flags |= mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	err = bpf_xdp_attach(ifindex, prog_fd, flags, NULL);
	if (err)
		return err < 0 ? err : -EINVAL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0)
		*prog_id = info.id;
	return 0;
}

/* Only synwall_xdp, alone or in a dispatcher of its own? */
static bool only_synwall(struct xdp_multiprog *mp)
{
	struct xdp_program *p;
	int n = 0;

	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		return p && !strcmp(xdp_program__name(p), SW_XDP_PROG_NAME);
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p;
	     p = xdp_multiprog__next_prog(p, mp)) {
		if (strcmp(xdp_program__name(p), SW_XDP_PROG_NAME))
			return false;
		n++;
	}
	return n > 0;
}

int sw_xdp_scrub(int ifindex)
{
	struct xdp_multiprog *mp;
	int err = 0;

	/*
	 * After libxdp's failed (or test-refused) attempt: whatever of it is
	 * still on the interface is ours -- attach refuses up front an
	 * interface that already runs a synwall it did not record, or
	 * another program without a dispatcher -- so remove it.  Then
	 * libxdp's pins of dispatchers no longer attached
	 * (/sys/fs/bpf/xdp/dispatch-IFINDEX-*).
	 */
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		if (only_synwall(mp))
			err = xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
	}
	libxdp_clean_references(ifindex);
	return err;
}
