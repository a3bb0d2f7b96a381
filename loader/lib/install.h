/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Installing synwall on an interface (install.c): load the object,
 * attach its XDP program (libxdp's dispatcher or alone) and its TC
 * program, pin, configure; or update an attachment in place.
 */
#ifndef SYNWALL_LOADER_INSTALL_H
#define SYNWALL_LOADER_INSTALL_H

#include <limits.h>
#include <stdbool.h>

#include "cfg.h"
#include "compat.h"
#include "keyfile.h"
#include "maps.h"

/* What attach was asked for. */
struct sw_attach {
	const char *ifname;
	int ifindex;
	int mode; /* enum xdp_attach_mode */
	const char *key_file;
	struct sw_master master; /* read from key_file */
	unsigned long rotate;	 /* seconds, 0: no rotation loop */
	bool force;
	bool allow_vlan_offload;
	enum sw_datapath datapath;
	bool degraded; /* the degraded object (compat.h) */
	/* entries of each flow table (flows.h); 0: the object's defaults */
	unsigned long flows;
	struct sw_cfg_req cfg;
	char dir[PATH_MAX];
	bool explicit_dir;
};

/* What the pin dir holds: 0 nothing (or stale pins, now removed), 1 our
 * attachment to this interface, read into *st (update it), -1 refuse
 * (message printed). */
int sw_attach_inspect(struct sw_attach *a, struct sw_state *st);
/* A fresh attach: every step undone on failure.  0 or -1 (printed). */
int sw_attach_fresh(struct sw_attach *a);
/* Rewrite the configuration of the attachment st describes. */
int sw_attach_update(struct sw_attach *a, struct sw_state *st);

#endif
