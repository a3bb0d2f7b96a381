// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Installing synwall on an interface: what `synwall attach` does after
 * parsing its command line
 *
 * Order of a fresh attach, chosen so that the interface is never half
 * protected and a failure leaves nothing behind:
 *   1. check the kernel, the sysctls, bpffs, the interface, the key file;
 *   2. open the skeleton with pin_root_path = the pin dir; libxdp loads
 *      the object (maps pinned, with BTF) and attaches the XDP program.
 *      Its maps are still empty: no ports, no key, so it passes every
 *      packet (see docs/datapath.md);
 *   3. attach the TC program at clsact ingress (creating clsact if absent);
 *   4. pin the loader's state record;
 *   5. write config, ports and keys: protection starts now, with both
 *      programs in place;
 *   6. start the flow table (flows.h: the socket-state trace pinned as
 *      DIR/flow_trace, the seed of the protected ports' sockets; full
 *      mode only).
 * Any failure undoes the steps done, in reverse.
 *
 * Attaching again to an interface where synwall is attached reloads
 * nothing: it rewrites the configuration (as the new command line gives
 * it, defaults for what it omits), keeps the keys (unless --key-file),
 * and never stacks a second program.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "cfg.h"
#include "compat.h"
#include "dispatch.h"
#include "flows.h"
#include "install.h"
#include "load.h"
#include "kdf.h"
#include "keyfile.h"
#include "keys.h"
#include "liblog.h"
#include "log.h"
#include "maps.h"
#include "netns.h"
#include "rotate.h"
#include "tc.h"
#include "util.h"
#include "vlan.h"
#include "xdp.h"

/* ---- undo ----------------------------------------------------------- */

struct undo {
	bool made_root, made_dir, xdp_lock_existed;
	bool tc_attached, clsact_created;
	struct sw_xdp_step xdp;
	int mode;
};

/* libxdp creates its lock directory on first use: remove it again if it
 * was not there before and is empty (it only ever holds libxdp's pins). */
static void tidy_xdp_lock_dir(bool existed)
{
	if (!existed)
		rmdir(LIBXDP_LOCK_DIR);
}

static void undo_attach(const struct sw_attach *a, const struct undo *u)
{
	int err;

	if (u->tc_attached) {
		err = sw_tc_detach(a->ifindex, u->clsact_created);
		if (err < 0)
			sw_warn("undo: cannot remove the TC filter from %s: %s "
				"(tc filter del dev %s ingress handle 0x%x "
				"prio %d bpf)",
				a->ifname, strerror(-err), a->ifname,
				SW_TC_HANDLE, SW_TC_PRIO);
	}
	if (u->xdp.attached) {
		err = sw_xdp_detach(a->ifindex, u->xdp.id, u->mode);
		if (err)
			sw_warn("undo: cannot remove the XDP program from %s: "
				"%s (ip link set dev %s xdp off)",
				a->ifname, strerror(-err), a->ifname);
	}
	sw_pins_remove(a->dir, false);
	if (u->made_dir)
		rmdir(a->dir);
	if (u->made_root)
		rmdir(SYNWALL_PIN_ROOT);
	tidy_xdp_lock_dir(u->xdp_lock_existed);
}

/* ---- configuration of the maps (fresh attach and update) ------------ */

static int configure(struct sw_maps *m, struct sw_attach *a,
		     struct sw_state *st, bool fresh)
{
	if (sw_cfg_apply(m, &a->cfg, true))
		return -1;
	if (a->key_file) {
		__u64 n = sw_fleet_epoch(sw_now_realtime(), (__u32)a->rotate);

		if (sw_keys_fleet(m->keys, a->master.b, a->master.len, n))
			return -1;
		st->flags |= SW_ST_FLEET;
		sw_fleet_fingerprint(a->master.b, a->master.len, st->fleet_fp);
	} else if (fresh || (st->flags & SW_ST_FLEET)) {
		/* A fresh map: random keys.  Leaving fleet mode: a random key
		 * becomes current (the fleet key stays valid as previous). */
		if (fresh ? sw_keys_ensure(m->keys) < 0 :
			    sw_keys_rotate_random(m->keys))
			return -1;
		st->flags &= ~SW_ST_FLEET;
		memset(st->fleet_fp, 0, sizeof(st->fleet_fp));
	} else if (sw_keys_ensure(m->keys) < 0) {
		return -1;
	}
	if (a->rotate) {
		st->rotate_seconds = (__u32)a->rotate;
		st->daemon_pid = (__u32)getpid(); /* the loop starts next */
	} else if (!sw_daemon_alive(st->daemon_pid)) {
		st->rotate_seconds = 0;
		st->daemon_pid = 0;
	} /* else a rotation loop runs: it keeps its interval */
	return sw_state_write(m->state, st) ? -1 : 0;
}

static int print_attached(const struct sw_attach *a, const char *dir)
{
	struct sw_maps m;
	struct sw_state st;

	if (sw_maps_open(a->ifname, a->ifindex, a->explicit_dir ? a->dir : NULL,
			 &m))
		return -1;
	sw_cfg_print(&m, "  ");
	sw_keys_print(m.keys, sw_state_read(m.state, &st) == 0 ? &st : NULL,
		      "  ");
	printf("  pins:   %s (bpftool map dump pinned %s/stats)\n", dir, dir);
	sw_maps_close(&m);
	return 0;
}

/* After a failed attach: is anything of ours still there?  The final
 * message must be true. */
static bool leftovers(const struct sw_attach *a, char *what, size_t len)
{
	char path[PATH_MAX + 32];
	struct sw_xdp_info xi;
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;

	what[0] = '\0';
	if (sw_xdp_query(a->ifindex, &xi) == 0 && xi.prog_id)
		n += (size_t)snprintf(what + n, len - n, " XDP program id %u;",
				      xi.prog_id);
	for (i = 0; i < SW_NPINS + SW_FLOW_NLINKS && n < len; i++) {
		snprintf(path, sizeof(path), "%s/%s", a->dir,
			 i < SW_NPINS ? sw_pins[i].name :
					sw_flow_link_pin(i - SW_NPINS));
		if (access(path, F_OK) == 0)
			n += (size_t)snprintf(what + n, len - n, " %s;", path);
	}
	d = opendir(LIBXDP_LOCK_DIR);
	while (d && (de = readdir(d)) && n < len) {
		int ifi;

		if (sscanf(de->d_name, "dispatch-%d-", &ifi) == 1 &&
		    ifi == a->ifindex)
			n += (size_t)snprintf(what + n, len - n, " %s/%s;",
					      LIBXDP_LOCK_DIR, de->d_name);
	}
	if (d)
		closedir(d);
	return what[0] != '\0';
}

static int fresh_attach_locked(struct sw_attach *a)
{
	struct undo u = {.mode = a->mode};
	struct bpf_object *skel = NULL;
	struct sw_state st;
	struct sw_flows_started fl = {0};
	struct sw_xdp_info xi;
	struct sw_maps m;
	struct stat sb;
	__u32 tc_id = 0;
	bool created = false, dispatcher = false;
	char why[256], left[1024];
	int err, sfd = -1;

	if (sw_check_vlan(a))
		return -1;

	/* Refuse early, before loading anything, if another program holds
	 * the interface without a dispatcher, or a synwall attach did not
	 * record (ip link): libxdp would refuse it, and attaching alone too. */
	if (sw_xdp_query(a->ifindex, &xi) == 0 &&
	    (xi.prog_id || (xi.other_id && !xi.dispatcher)))
		return sw_xdp_attach_error(a, -EBUSY);

	u.xdp_lock_existed = stat(LIBXDP_LOCK_DIR, &sb) == 0;
	if (!a->explicit_dir) {
		if (mkdir(SYNWALL_PIN_ROOT, 0700) == 0)
			u.made_root = true;
		else if (errno != EEXIST) {
			sw_err("cannot create %s: %s", SYNWALL_PIN_ROOT,
			       strerror(errno));
			return -1;
		}
	}
	if (mkdir(a->dir, 0700) == 0)
		u.made_dir = true;
	else if (errno != EEXIST) {
		sw_err("cannot create the pin directory %s: %s", a->dir,
		       strerror(errno));
		undo_attach(a, &u);
		return -1;
	}

	if (sw_load_attach_xdp(a, &u.xdp, &skel, &dispatcher))
		goto fail;

	sw_lib_log_clear();
	/* degraded: no TC program; the kernel itself checks the ACK */
	err = a->degraded ?
		      0 :
		      sw_tc_attach(
			      a->ifindex,
			      bpf_program__fd(bpf_object__find_program_by_name(
				      skel, SW_TC_PROG_NAME)),
			      &created, &tc_id);
	if (err) {
		if (err == -EEXIST)
			sw_err("%s already has a TC ingress filter with "
			       "synwall's handle 0x%x and priority %d: remove "
			       "it (tc filter del dev %s ingress handle 0x%x "
			       "prio %d bpf)",
			       a->ifname, SW_TC_HANDLE, SW_TC_PRIO, a->ifname,
			       SW_TC_HANDLE, SW_TC_PRIO);
		else
			sw_err("cannot attach the TC program to %s ingress: %s",
			       a->ifname,
			       sw_kernel_reason(err, why, sizeof(why)));
		sw_lib_log_clear();
		goto fail;
	}
	u.tc_attached = !a->degraded;
	u.clsact_created = created;

	memset(&st, 0, sizeof(st));
	st.magic = SW_STATE_MAGIC;
	st.version = SW_STATE_VERSION;
	sw_netns_id(&st.netns_dev, &st.netns_ino);
	st.ifindex = (__u32)a->ifindex;
	st.xdp_mode = (__u32)a->mode;
	st.xdp_prog_id = u.xdp.id;
	st.tc_prog_id = tc_id;
	st.tc_handle = SW_TC_HANDLE;
	st.tc_prio = SW_TC_PRIO;
	st.flags = created ? SW_ST_CREATED_CLSACT : 0;
	if (a->degraded)
		st.flags |= SW_ST_DEGRADED;
	st.attached_at = sw_now_realtime();
	snprintf(st.ifname, sizeof(st.ifname), "%s", a->ifname);
	sfd = sw_state_create(a->dir, &st);
	if (sfd < 0) {
		sw_err("cannot pin the state record in %s: %s", a->dir,
		       strerror(-sfd));
		goto fail;
	}
	close(sfd);

	if (a->degraded) {
		__u32 hz;

		if (sw_compat_hz(skel, &hz) ||
		    sw_compat_write(a->dir, a->ifname, hz))
			goto fail;
	}
	if (sw_maps_open(a->ifname, a->ifindex, a->dir, &m))
		goto fail;
	err = configure(&m, a, &st, true);
	sw_maps_close(&m);
	if (err)
		goto fail;
	/* full mode: the flow table, once the ports are known (it tracks
	 * protected ports only; until it is on, XDP looks sockets up) */
	if (!a->degraded && sw_flows_start(skel, a->dir, &fl))
		goto fail;

	bpf_object__close(skel);
	tidy_xdp_lock_dir(u.xdp_lock_existed);
	if (a->degraded)
		sw_info("synwall attached to %s in DEGRADED mode: XDP program "
			"id %u (%s, %s), no TC program (the kernel's own "
			"cookies; what is lost: synwall status %s)",
			a->ifname, u.xdp.id, sw_xdp_mode_name(a->mode),
			dispatcher ? "libxdp dispatcher" : "single program",
			a->ifname);
	else
		sw_info("synwall attached to %s: XDP program id %u (%s, %s), "
			"TC ingress program id %u%s",
			a->ifname, u.xdp.id, sw_xdp_mode_name(a->mode),
			dispatcher ? "libxdp dispatcher" : "single program",
			tc_id, created ? " (clsact created)" : "");
	if (!a->degraded)
		printf("  flows:  tables of %u IPv4 and %u IPv6 flows, seeded "
		       "with %llu sockets (links pinned as %s/flow_*); "
		       "misses %s\n",
		       fl.max4, fl.max6, (unsigned long long)fl.seeded, a->dir,
		       fl.trusted ? "trusted (no socket lookup)" : "looked up");
	print_attached(a, a->dir);
	sw_lib_log_clear();
	return 0;
fail:
	sw_lib_log_flush();
	undo_attach(a, &u);
	if (skel)
		bpf_object__close(skel);
	sw_xdp_scrub(a->ifindex);
	tidy_xdp_lock_dir(u.xdp_lock_existed);
	if (leftovers(a, left, sizeof(left)))
		sw_err("attach failed, and these are left on %s:%s remove "
		       "them by hand",
		       a->ifname, left);
	else
		sw_err("attach failed: nothing was left attached or pinned on "
		       "%s",
		       a->ifname);
	return -1;
}

int sw_attach_fresh(struct sw_attach *a)
{
	sigset_t block, old;
	int rc;

	/* Ctrl-C in the middle must not leave half an attach: signals wait
	 * until it is complete, or undone. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	rc = fresh_attach_locked(a);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* synwall is attached already: rewrite the configuration. */
int sw_attach_update(struct sw_attach *a, struct sw_state *st)
{
	struct sw_maps m;
	__u32 tc_id = 0;
	int rc = -1;

	if (a->rotate && sw_daemon_alive(st->daemon_pid)) {
		sw_err("a key rotation loop already runs for %s (pid %u): stop "
		       "it first (systemctl stop synwall@%s, or kill %u), or "
		       "attach without --rotate to change only the "
		       "configuration",
		       a->ifname, st->daemon_pid, a->ifname, st->daemon_pid);
		return -1;
	}
	if ((__u32)a->mode != st->xdp_mode)
		sw_warn("%s: synwall is attached in %s mode; --mode %s ignored "
			"(detach, then attach, to change it)",
			a->ifname, sw_xdp_mode_name((int)st->xdp_mode),
			sw_xdp_mode_name(a->mode));
	if (a->degraded != !!(st->flags & SW_ST_DEGRADED))
		sw_warn("%s: synwall is attached in %s mode; --datapath "
			"ignored (detach, then attach, to change it)",
			a->ifname,
			st->flags & SW_ST_DEGRADED ? "degraded" : "full");
	if (a->flows)
		sw_warn("%s: the flow tables are sized when synwall is loaded; "
			"--flows ignored (detach, then attach, to resize)",
			a->ifname);
	if ((st->flags & SW_ST_DEGRADED) &&
	    sw_compat_write(a->dir, a->ifname, 0))
		return -1;
	if (sw_maps_open(a->ifname, a->ifindex, a->dir, &m))
		return -1;
	if (sw_tc_query(a->ifindex, &tc_id) == 0 && tc_id != st->tc_prog_id) {
		int fd = bpf_prog_get_fd_by_id(st->tc_prog_id);
		bool created = false;

		if (tc_id || fd < 0) {
			sw_err("the TC ingress filter of synwall on %s is gone "
			       "or replaced: synwall detach %s, then attach "
			       "again",
			       a->ifname, a->ifname);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		if (sw_tc_attach(a->ifindex, fd, &created, &tc_id)) {
			sw_err("cannot re-attach the TC program to %s",
			       a->ifname);
			close(fd);
			goto out;
		}
		close(fd);
		if (created)
			st->flags |= SW_ST_CREATED_CLSACT;
		sw_warn("%s: the TC ingress filter was missing: re-attached",
			a->ifname);
	}
	if (configure(&m, a, st, false))
		goto out;
	sw_info("synwall is already attached to %s (XDP program id %u, TC "
		"program id %u): configuration updated, programs kept",
		a->ifname, st->xdp_prog_id, st->tc_prog_id);
	rc = 0;
out:
	sw_maps_close(&m);
	if (!rc)
		print_attached(a, a->dir);
	return rc;
}

/* What is in the pin dir: 0 nothing (go ahead fresh), 1 attached here
 * (update), -1 refuse (message printed). */
int sw_attach_inspect(struct sw_attach *a, struct sw_state *st)
{
	char path[PATH_MAX + 32];
	__u64 dev, ino;
	struct sw_xdp_info xi;
	struct stat sb;
	size_t i;
	int fd, rc, pfd;
	bool any = false;

	if (stat(a->dir, &sb) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", a->dir, SW_STATE_PIN);
	fd = bpf_obj_get(path);
	rc = sw_state_read(fd, st);
	if (fd >= 0)
		close(fd);
	if (rc) {
		for (i = 0; i < SW_NPINS; i++) {
			snprintf(path, sizeof(path), "%s/%s", a->dir,
				 sw_pins[i].name);
			any |= access(path, F_OK) == 0;
		}
		if (!any)
			return 0;
		sw_err("%s holds synwall map pins that `synwall attach` did "
		       "not record (a killed attach? maps of an ip link "
		       "load?): if nothing uses them, remove them (rm -r %s) "
		       "and attach again; else pick another --pin-dir",
		       a->dir, a->dir);
		return -1;
	}
	sw_netns_id(&dev, &ino);
	if (st->netns_dev == dev && st->netns_ino == ino &&
	    sw_xdp_query(a->ifindex, &xi) == 0 && xi.prog_id &&
	    xi.prog_id == st->xdp_prog_id)
		return 1;
	pfd = bpf_prog_get_fd_by_id(st->xdp_prog_id);
	if (pfd >= 0) {
		close(pfd);
		sw_err("%s is in use by synwall attached to %s in %s (XDP "
		       "program id %u): use another --pin-dir for %s here, or "
		       "detach it there first",
		       a->dir, st->ifname,
		       st->netns_ino == ino ? "this network namespace" :
					      "another network namespace",
		       st->xdp_prog_id, a->ifname);
		return -1;
	}
	/* Stale: the XDP program is gone (removed by hand, or its network
	 * namespace was deleted).  Remove our TC filter if it is still here,
	 * then the pins. */
	if (st->netns_dev == dev && st->netns_ino == ino &&
	    st->ifindex == (__u32)a->ifindex) {
		__u32 tc_id = 0;

		if (sw_tc_query(a->ifindex, &tc_id) == 0 && tc_id &&
		    tc_id == st->tc_prog_id)
			sw_tc_detach(a->ifindex,
				     st->flags & SW_ST_CREATED_CLSACT);
	}
	sw_warn("%s: removing stale pins of an earlier attach whose programs "
		"are gone",
		a->dir);
	sw_pins_remove(a->dir, false);
	return 0;
}
