// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `synwall config IFACE ...`: live changes of ports, MSS, wscale, TTL. */
#include <stdio.h>

#include "cfg.h"
#include "compat.h"
#include "keys.h"
#include "log.h"
#include "maps.h"
#include "verbs.h"

struct config_cfg {
	struct sw_cfg_req req;
	const char *pin_dir;
};

static int run_config(void *cfg, int nargs, char **args)
{
	struct config_cfg *c = cfg;
	const char *ifname = args[0];
	struct sw_maps m;
	int rc = 0;

	if (sw_maps_open_iface(ifname, c->pin_dir, &m, NULL))
		return SW_EXIT_FAIL;
	/* degraded mode: its local-address snapshot is reread by every
	 * config command, even one that changes nothing else */
	if (m.dir[0] && sw_compat_pinned(m.dir) &&
	    sw_compat_write(m.dir, ifname, 0)) {
		rc = SW_EXIT_FAIL;
		goto out;
	}
	if (sw_cfg_any(&c->req)) {
		if (sw_cfg_apply(&m, &c->req, false)) {
			rc = SW_EXIT_FAIL;
			goto out;
		}
		rc = sw_keys_ensure(m.keys);
		if (rc < 0) {
			rc = SW_EXIT_FAIL;
			goto out;
		}
		if (rc == 1)
			sw_info("%s: no cookie key was installed: installed a "
				"random one (synwall keys %s --show-age)",
				ifname, ifname);
		rc = 0;
		sw_info("%s: configuration updated", ifname);
	}
	sw_cfg_print(&m, "  ");
out:
	sw_maps_close(&m);
	return rc;
}

static const struct sw_opt config_opts[] = {
	SW_CFG_OPTS(struct config_cfg, req),
	SW_OPT_PIN_DIR(struct config_cfg, pin_dir,
		       "maps pinned in DIR (e.g. /sys/fs/bpf/tc/globals "
		       "after\n`ip link ... xdp obj synwall.bpf.o`); "
		       "default\n/sys/fs/bpf/synwall/IFACE, else the maps of "
		       "the synwall\nXDP program attached to IFACE"),
	SW_OPT_END,
};

const struct sw_verb sw_verb_config = {
	.name = "config",
	.summary = "change ports, MSS, window scale, TTL live",
	.synopsis =
		"IFACE [--ports LIST | --add-ports LIST | --del-ports "
		"LIST]\n"
		"              [--mss4 N] [--mss6 N] [--wscale N] [--ttl N] "
		"[--window N]\n"
		"              [--ecn on|off] [--cookies flood|always] "
		"[--flood-on N]\n"
		"              [--flood-off N] [--flood-hold SECS] "
		"[--pin-dir DIR]",
	.doc = "Change what synwall does on IFACE, live: the next packet sees "
	       "the change.\n"
	       "Without options, print the current configuration.",
	.notes =
		"If no cookie key was ever installed (a program loaded by ip "
		"link), config\n"
		"installs a random one: without a key synwall protects "
		"nothing.\n"
		"Every write also records the kernel's TAI offset (adjtimex): "
		"the data path's\n"
		"clock is CLOCK_TAI minus it, UTC, the clock of the fleet keys "
		"(\"clock:\" line).",
	.opts = config_opts,
	.cfg_size = sizeof(struct config_cfg),
	.min_args = 1,
	.max_args = 1,
	.locks = true,
	.run = run_config,
};
