// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `synwall detach IFACE`: remove what `synwall attach` added, and only
 * that: our XDP program (by id), our TC filter (by handle, priority and
 * program id), the clsact qdisc if attach created it and nothing else
 * uses it, the pins and the pin directory.  Established connections are
 * ordinary kernel sockets and keep working.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "maps.h"
#include "netns.h"
#include "rotate.h"
#include "tc.h"
#include "verbs.h"
#include "xdp.h"

/* Every pin, then the directory (and the root if it is left empty). */
static int unpin(const char *dir, bool explicit_dir)
{
	int rc = sw_pins_remove(dir, true);

	if (rmdir(dir) && errno != ENOENT && !explicit_dir) {
		sw_err("cannot remove %s: %s (something else is pinned there)",
		       dir, strerror(errno));
		rc = -1;
	}
	if (!explicit_dir)
		rmdir(SYNWALL_PIN_ROOT); /* only if empty */
	return rc;
}

/* Stop a rotation loop (attach --rotate / run) working on these maps. */
static void stop_daemon(__u32 pid)
{
	if (!pid || (pid_t)pid == getpid() || !sw_daemon_alive(pid))
		return;
	if (kill((pid_t)pid, SIGTERM) == 0)
		sw_info("stopped the key rotation loop (pid %u)", pid);
}

struct detach_cfg {
	const char *pin_dir;
};

static int run_detach(void *cfg, int nargs, char **args)
{
	const char *ifname = args[0],
		   *pin_dir = ((struct detach_cfg *)cfg)->pin_dir;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct sw_state st;
	struct sw_xdp_info xi;
	struct stat sb;
	__u64 dev, ino;
	__u32 tc_id = 0;
	int ifindex, fd, err, rc = 0;
	bool here, alive;

	if (pin_dir)
		snprintf(dir, sizeof(dir), "%s", pin_dir);
	else
		sw_pin_dir_default(ifname, dir, sizeof(dir));

	snprintf(path, sizeof(path), "%s/%s", dir, SW_STATE_PIN);
	fd = bpf_obj_get(path);
	err = sw_state_read(fd, &st);
	if (fd >= 0)
		close(fd);
	ifindex = ifname[0] && strlen(ifname) < 16 ?
			  (int)if_nametoindex(ifname) :
			  0;

	if (err) {
		if (!ifindex)
			return sw_iface_index(ifname) ? 0 : SW_EXIT_FAIL;
		if (sw_xdp_query(ifindex, &xi) == 0 && xi.prog_id) {
			sw_err("synwall on %s was not attached by `synwall "
			       "attach` (no %s): remove it the way it was "
			       "loaded: ip link set dev %s xdp off; tc filter "
			       "del dev %s ingress (pins made by ip/tc are in "
			       "/sys/fs/bpf/tc/globals)",
			       ifname, path, ifname, ifname);
			return SW_EXIT_FAIL;
		}
		if (stat(dir, &sb) == 0)
			sw_err("%s holds no synwall state record: nothing that "
			       "`synwall attach` made to remove",
			       dir);
		else
			sw_err("synwall is not attached to %s (no %s)", ifname,
			       dir);
		return SW_EXIT_FAIL;
	}

	sw_netns_id(&dev, &ino);
	here = st.netns_dev == dev && st.netns_ino == ino;
	fd = bpf_prog_get_fd_by_id(st.xdp_prog_id);
	alive = fd >= 0;
	if (fd >= 0)
		close(fd);
	if (!here && alive) {
		sw_err("%s belongs to synwall on %s in another network "
		       "namespace: detach it there (synwall --netns NAME "
		       "detach %s, or nsenter --net=/run/netns/NAME synwall "
		       "detach %s)",
		       dir, st.ifname, st.ifname, st.ifname);
		return SW_EXIT_FAIL;
	}
	if (here && !ifindex) {
		sw_warn("%s no longer exists: removing synwall's pins only",
			ifname);
	} else if (here) {
		if (sw_xdp_query(ifindex, &xi) == 0 &&
		    xi.prog_id == st.xdp_prog_id && xi.prog_id) {
			err = sw_xdp_detach(ifindex, st.xdp_prog_id,
					    (int)st.xdp_mode);
			if (err) {
				sw_err("cannot remove the XDP program (id %u) "
				       "from %s: %s; fix: ip link set dev %s "
				       "xdp off",
				       st.xdp_prog_id, ifname, strerror(-err),
				       ifname);
				rc = SW_EXIT_FAIL;
			} else {
				sw_info("removed XDP program id %u from %s",
					st.xdp_prog_id, ifname);
				/* libxdp's dispatcher (6.1 takes synwall in
				 * one) leaves its directory: remove it if
				 * nothing else of libxdp's is in it */
				if (xi.dispatcher)
					rmdir("/sys/fs/bpf/xdp");
			}
		} else if (xi.prog_id || xi.other_id) {
			sw_warn("the XDP program on %s (id %u) is not the one "
				"synwall attached (id %u): left alone",
				ifname, xi.prog_id ? xi.prog_id : xi.other_id,
				st.xdp_prog_id);
		}
		if (sw_tc_query(ifindex, &tc_id) == 0 && tc_id &&
		    tc_id == st.tc_prog_id) {
			err = sw_tc_detach(ifindex,
					   st.flags & SW_ST_CREATED_CLSACT);
			if (err < 0) {
				sw_err("cannot remove the TC filter from %s: "
				       "%s; fix: tc filter del dev %s ingress "
				       "handle 0x%x prio %d bpf",
				       ifname, strerror(-err), ifname,
				       SW_TC_HANDLE, SW_TC_PRIO);
				rc = SW_EXIT_FAIL;
			} else {
				sw_info("removed TC ingress program id %u from "
					"%s%s",
					tc_id, ifname,
					err > 0 ? " (and the clsact qdisc "
						  "synwall had added)" :
						  "");
			}
		} else if (tc_id) {
			sw_warn("the TC filter with synwall's handle on %s "
				"runs program id %u, not synwall's (id %u): "
				"left alone",
				ifname, tc_id, st.tc_prog_id);
		}
	}
	if (rc == 0) {
		if (unpin(dir, pin_dir != NULL))
			rc = SW_EXIT_FAIL;
		else
			sw_info("removed the pins in %s", dir);
	}
	/* Last, so that the loop sees the pins gone and says so. */
	if (here)
		stop_daemon(st.daemon_pid);
	return rc;
}

static const struct sw_opt detach_opts[] = {
	SW_OPT_PIN_DIR(struct detach_cfg, pin_dir,
		       "the pin dir attach --pin-dir used (default\n"
		       "/sys/fs/bpf/synwall/IFACE)"),
	SW_OPT_END,
};

const struct sw_verb sw_verb_detach = {
	.name = "detach",
	.summary = "remove synwall from an interface",
	.synopsis = "IFACE [--pin-dir DIR]",
	.doc = "Remove synwall from IFACE: its XDP program, its TC ingress "
	       "filter (and the\n"
	       "clsact qdisc if attach created it and no other filter uses "
	       "it), its pins.\n"
	       "Established connections keep working.  A synwall loaded "
	       "with ip link/tc\n"
	       "is removed with ip link/tc (see synwall(8)).",
	.opts = detach_opts,
	.cfg_size = sizeof(struct detach_cfg),
	.min_args = 1,
	.max_args = 1,
	.locks = true,
	.run = run_detach,
};
