// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `synwall run IFACE`: the rotation loop alone, for a service manager. */
#include <stdio.h>
#include <unistd.h>

#include "keys.h"
#include "lock.h"
#include "log.h"
#include "maps.h"
#include "rotate.h"
#include "verbs.h"

struct run_cfg {
	const char *rotate, *key_file, *pin_dir;
	bool short_ok;
};

static int run_run(void *cfg, int nargs, char **args)
{
	struct run_cfg *c = cfg;
	struct sw_rotate_opts ro = {.key_file = c->key_file, .ifname = args[0]};
	unsigned long secs = 0;
	struct sw_state st;
	struct sw_maps m;
	int rc;

	if (sw_rotate_arg(c->rotate, c->short_ok, &secs))
		return SW_EXIT_USAGE;
	if (sw_maps_open_iface(ro.ifname, c->pin_dir, &m, &ro.ifindex))
		return SW_EXIT_FAIL;
	if (sw_state_read(m.state, &st) == 0 &&
	    sw_daemon_alive(st.daemon_pid) &&
	    st.daemon_pid != (__u32)getpid()) {
		sw_err("a key rotation loop already runs for %s (pid %u): one "
		       "is enough",
		       ro.ifname, st.daemon_pid);
		sw_maps_close(&m);
		return SW_EXIT_FAIL;
	}
	if (!secs && sw_state_read(m.state, &st) == 0)
		secs = st.rotate_seconds;
	if (!secs) {
		sw_err("run: no rotation interval: give --rotate SECONDS (>= "
		       "%d)",
		       SW_ROTATE_MIN);
		sw_maps_close(&m);
		return SW_EXIT_USAGE;
	}
	ro.interval = (__u32)secs;
	if (!ro.key_file && sw_state_read(m.state, &st) == 0 &&
	    (st.flags & SW_ST_FLEET)) {
		sw_err("%s uses fleet keys: give the key file, --key-file FILE "
		       "(or leave fleet mode first: synwall keys %s --rotate "
		       "--force)",
		       ro.ifname, ro.ifname);
		sw_maps_close(&m);
		return SW_EXIT_USAGE;
	}
	if (!ro.key_file && sw_keys_ensure(m.keys) < 0) {
		sw_maps_close(&m);
		return SW_EXIT_FAIL;
	}
	rc = sw_rotate_loop(&m, &ro);
	sw_maps_close(&m);
	return rc;
}

#define ROT_MIN SW_STR(SW_ROTATE_MIN)

static const struct sw_opt run_opts[] = {
	SW_OPT_STR("rotate", struct run_cfg, rotate, "SECONDS",
		   "interval, >= " ROT_MIN " (default: the one attach "
		   "recorded)"),
	SW_OPT_STR("key-file", struct run_cfg, key_file, "FILE",
		   "fleet mode: keys derived from FILE and the wall clock"),
	SW_OPT_FLAG("allow-short-rotate", struct run_cfg, short_ok,
		    "accept an interval below " ROT_MIN " s (tests only)"),
	SW_OPT_PIN_DIR(struct run_cfg, pin_dir, SW_PIN_DIR_HELP),
	SW_OPT_END,
};

const struct sw_verb sw_verb_run = {
	.name = "run",
	.summary = "rotate the keys of an attached synwall in the foreground",
	.synopsis = "IFACE [--rotate SECONDS] [--key-file FILE] "
		    "[--allow-short-rotate]\n"
		    "            [--pin-dir DIR]",
	.doc = "Rotate the cookie keys of an attached synwall in the "
	       "foreground (for a\n"
	       "service manager), like `synwall attach IFACE --rotate "
	       "SECONDS` but without\n"
	       "attaching.  Works on maps loaded by ip link/tc too "
	       "(--pin-dir).",
	.notes = "SIGTERM or SIGINT stop the loop and leave synwall attached.  "
		 "Each rotation\n"
		 "takes the host-wide lock (" SW_LOCK_PATH "), like synwall "
		 "keys and config; at least\n"
		 "every " SW_STR(SW_CLOCK_REFRESH) " s the loop also refreshes "
						   "the data path's TAI offset "
						   "(one clock).",
	.opts = run_opts,
	.cfg_size = sizeof(struct run_cfg),
	.min_args = 1,
	.max_args = 1,
	.locks = true,
	.run = run_run,
};
