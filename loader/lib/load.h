/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Loading the object and attaching its XDP program (load.c). */
#ifndef SYNWALL_LOADER_LOAD_H
#define SYNWALL_LOADER_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "install.h"

/* libxdp's lock directory; it holds the dispatchers' pins too. */
#define LIBXDP_LOCK_DIR "/sys/fs/bpf/xdp"

struct bpf_object;

/* What the XDP step attached, for undoing it. */
struct sw_xdp_step {
	bool attached;
	__u32 id; /* the program attached */
};

/* Refuse a device that strips the VLAN tags XDP_TX needs (vlan.h has
 * the policy).  0: go on. */
int sw_check_vlan(const struct sw_attach *a);
/*
 * Load the object and attach the XDP program, through libxdp's
 * dispatcher where it works, else alone.  On success *skelp is the
 * loaded object (the full or the degraded one, a->degraded) and u records the attach; on failure the message is
 * printed and nothing of this step is left.
 */
int sw_load_attach_xdp(struct sw_attach *a, struct sw_xdp_step *u,
		       struct bpf_object **skelp, bool *dispatcher);
/* The message of a failed XDP attach (err: -errno); returns -1. */
int sw_xdp_attach_error(const struct sw_attach *a, int err);
/* The message of a failed load, with the verifier's last lines. */
void sw_load_error(int err);
/* "REASON (strerror)": the kernel's netlink message when there is one. */
const char *sw_kernel_reason(int err, char *buf, size_t len);

/* The full object's ELF (synwall.bpf.o), as the loader embeds it. */
const void *sw_full_elf(size_t *sz);

#endif
