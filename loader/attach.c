// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `synwall attach IFACE ...`
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
 *      programs in place.
 * Any failure undoes the steps done, in reverse.
 *
 * Attaching again to an interface where synwall is attached reloads
 * nothing: it rewrites the configuration (as the new command line gives
 * it, defaults for what it omits), keeps the keys (unless --key-file),
 * and never stacks a second program.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "caps.h"
#include "common.h"
#include "kdf.h"
#include "keyfile.h"
#include "synwall.skel.h"

#define LIBXDP_LOCK_DIR "/sys/fs/bpf/xdp"

static const char *const pin_names[] = {SW_PIN_NAMES};

struct attach_args {
	const char *ifname;
	int ifindex;
	int mode;
	const char *key_file;
	struct sw_master master;
	unsigned long rotate;
	bool force;
	struct sw_cfg_req cfg;
	char dir[PATH_MAX];
	bool explicit_dir;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: synwall attach IFACE [--ports LIST] [--mss4 N] [--mss6 "
		"N] [--wscale N]\n"
		"                     [--ttl N] [--window N] [--ecn on|off] "
		"[--mode native|skb]\n"
		"                     [--key-file FILE] [--rotate SECONDS] "
		"[--allow-short-rotate]\n"
		"                     [--pin-dir DIR] [--force]\n"
		"\n"
		"Load synwall, attach its XDP program and its TC ingress "
		"program to IFACE,\n"
		"pin its maps under /sys/fs/bpf/synwall/IFACE/ and configure "
		"them.\n"
		"\n"
		"  --ports LIST        ports to protect: 22,80,443,8000-8100 "
		"(also all, none);\n"
		"                      default none: synwall then passes every "
		"packet\n"
		"  --mss4/--mss6/--wscale/--ttl/--window/--ecn   see synwall "
		"config --help\n"
		"                      (defaults 1460, 1440, 7, 64, 65535, "
		"on)\n"
		"  --mode native|skb   XDP in the driver (default) or generic "
		"(any driver, slower)\n"
		"  --key-file FILE     fleet mode: keys derived from FILE's "
		"secret and the wall\n"
		"                      clock, the same on every host holding "
		"FILE (default:\n"
		"                      random keys)\n"
		"  --rotate SECONDS    stay in the foreground rotating keys "
		"every SECONDS (>= %d)\n"
		"                      until SIGTERM, which leaves synwall "
		"attached\n"
		"  --allow-short-rotate  accept --rotate below %d s (tests "
		"only: cookies in\n"
		"                      flight can then fail)\n"
		"  --pin-dir DIR       pin the maps in DIR instead of "
		"/sys/fs/bpf/synwall/IFACE\n"
		"  --force             go on when a kernel capability check "
		"fails\n"
		"\n"
		"Attaching again where synwall is attached updates the "
		"configuration in place\n"
		"(what the command line omits returns to its default; keys are "
		"kept).\n",
		SW_ROTATE_MIN, SW_ROTATE_MIN);
}

/* ---- undo ----------------------------------------------------------- */

struct undo {
	bool made_root, made_dir, xdp_lock_existed;
	bool xdp_attached, tc_attached, clsact_created;
	__u32 xdp_id;
	int mode;
};

static void unpin_all(const char *dir)
{
	char path[PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i]);
		if (unlink(path) && errno != ENOENT)
			sw_warn("cannot remove %s: %s", path, strerror(errno));
	}
}

/* libxdp creates its lock directory on first use: remove it again if it
 * was not there before and is empty (it only ever holds libxdp's pins). */
static void tidy_xdp_lock_dir(bool existed)
{
	if (!existed)
		rmdir(LIBXDP_LOCK_DIR);
}

static void undo_attach(const struct attach_args *a, const struct undo *u)
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
	if (u->xdp_attached) {
		err = sw_xdp_detach(a->ifindex, u->xdp_id, u->mode);
		if (err)
			sw_warn("undo: cannot remove the XDP program from %s: "
				"%s (ip link set dev %s xdp off)",
				a->ifname, strerror(-err), a->ifname);
	}
	unpin_all(a->dir);
	if (u->made_dir)
		rmdir(a->dir);
	if (u->made_root)
		rmdir(SYNWALL_PIN_ROOT);
	tidy_xdp_lock_dir(u->xdp_lock_existed);
}

/* ---- configuration of the maps (fresh attach and update) ------------ */

static int configure(struct sw_maps *m, struct attach_args *a,
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

static int xdp_attach_error(const struct attach_args *a, int err)
{
	struct sw_xdp_info xi;

	switch (-err) {
	case EBUSY:
	case EEXIST:
		sw_xdp_query(a->ifindex, &xi);
		if (xi.other_id)
			sw_err("%s already has an XDP program (id %u, \"%s\"): "
			       "synwall does not stack with it and libxdp's "
			       "dispatcher is unavailable here; remove it "
			       "first (e.g. ip link set dev %s xdp off, or the "
			       "tool that attached it)",
			       a->ifname, xi.other_id, xi.other_name,
			       a->ifname);
		else
			sw_err("%s already has an XDP program attached in "
			       "another mode: remove it first (ip link set dev "
			       "%s xdp off / xdpgeneric off)",
			       a->ifname, a->ifname);
		return -1;
	case EOPNOTSUPP:
		if (a->mode == XDP_MODE_NATIVE) {
			sw_err("the driver of %s has no native XDP support: "
			       "attach with --mode skb (generic XDP, slower)",
			       a->ifname);
			return -1;
		}
		break;
	case EPERM:
	case EACCES:
		sw_err("the kernel refused to load or attach synwall on %s "
		       "(%s): run as root; if root already, the verifier "
		       "rejected the program (details below, -v for all)",
		       a->ifname, strerror(-err));
		return -1;
	case ERANGE:
		sw_err("the MTU of %s is too large for native XDP: lower it "
		       "(ip link set dev %s mtu 1500) or use --mode skb",
		       a->ifname, a->ifname);
		return -1;
	}
	sw_err("cannot attach the XDP program to %s: %s", a->ifname,
	       strerror(-err));
	return -1;
}

static int print_attached(const struct attach_args *a, const char *dir)
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

static int fresh_attach_locked(struct attach_args *a)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = a->dir);
	struct undo u = {.mode = a->mode};
	struct synwall *skel = NULL;
	struct xdp_program *xp = NULL;
	struct sw_state st;
	struct sw_xdp_info xi;
	struct sw_maps m;
	struct stat sb;
	__u32 tc_id = 0;
	bool created = false;
	int err, sfd = -1;

	/* Refuse early, before loading anything, if another program holds
	 * the interface without a dispatcher. */
	if (sw_xdp_query(a->ifindex, &xi) == 0 && xi.other_id && !xi.dispatcher)
		return xdp_attach_error(a, -EBUSY);

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

	skel = synwall__open_opts(&oo);
	if (!skel) {
		sw_err("cannot open the synwall BPF object: %s",
		       strerror(errno));
		goto fail;
	}
	xp = xdp_program__from_bpf_obj(skel->obj, "xdp");
	err = libxdp_get_error(xp);
	if (err) {
		xp = NULL;
		sw_err("libxdp cannot use the synwall object: %s",
		       strerror(-err));
		goto fail;
	}
	err = xdp_program__attach(xp, a->ifindex, (enum xdp_attach_mode)a->mode,
				  0);
	if (err) {
		xdp_attach_error(a, err);
		goto fail;
	}
	u.xdp_attached = true;
	u.xdp_id = xdp_program__id(xp);
	if (sw_xdp_query(a->ifindex, &xi) == 0 && !xi.dispatcher)
		sw_dbg("libxdp attached synwall alone (its dispatcher is "
		       "unavailable on this kernel)");

	err = sw_tc_attach(a->ifindex, bpf_program__fd(skel->progs.synwall_tc),
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
			       a->ifname, strerror(-err));
		goto fail;
	}
	u.tc_attached = true;
	u.clsact_created = created;

	memset(&st, 0, sizeof(st));
	st.magic = SW_STATE_MAGIC;
	st.version = SW_STATE_VERSION;
	sw_netns_id(&st.netns_dev, &st.netns_ino);
	st.ifindex = (__u32)a->ifindex;
	st.xdp_mode = (__u32)a->mode;
	st.xdp_prog_id = u.xdp_id;
	st.tc_prog_id = tc_id;
	st.tc_handle = SW_TC_HANDLE;
	st.tc_prio = SW_TC_PRIO;
	st.flags = created ? SW_ST_CREATED_CLSACT : 0;
	st.attached_at = sw_now_realtime();
	snprintf(st.ifname, sizeof(st.ifname), "%s", a->ifname);
	sfd = sw_state_create(a->dir, &st);
	if (sfd < 0) {
		sw_err("cannot pin the state record in %s: %s", a->dir,
		       strerror(-sfd));
		goto fail;
	}
	close(sfd);

	if (sw_maps_open(a->ifname, a->ifindex, a->dir, &m))
		goto fail;
	err = configure(&m, a, &st, true);
	sw_maps_close(&m);
	if (err)
		goto fail;

	xdp_program__close(xp);
	synwall__destroy(skel);
	tidy_xdp_lock_dir(u.xdp_lock_existed);
	sw_info("synwall attached to %s: XDP program id %u (%s%s), TC ingress "
		"program id %u%s",
		a->ifname, u.xdp_id, sw_xdp_mode_name(a->mode),
		xi.dispatcher ? ", libxdp dispatcher" : "", tc_id,
		created ? " (clsact created)" : "");
	print_attached(a, a->dir);
	sw_lib_log_clear();
	return 0;
fail:
	sw_lib_log_flush();
	undo_attach(a, &u);
	if (xp)
		xdp_program__close(xp);
	if (skel)
		synwall__destroy(skel);
	sw_err("attach failed: nothing was left attached or pinned on %s",
	       a->ifname);
	return -1;
}

static int fresh_attach(struct attach_args *a)
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
static int update_attach(struct attach_args *a, struct sw_state *st)
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
static int inspect_pin_dir(struct attach_args *a, struct sw_state *st)
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
		for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", a->dir,
				 pin_names[i]);
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
	unpin_all(a->dir);
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = {
		CFG_LONGOPTS,
		{"mode", required_argument, NULL, SW_OPT_MODE},
		{"key-file", required_argument, NULL, SW_OPT_KEY_FILE},
		{"rotate", required_argument, NULL, SW_OPT_ROTATE},
		{"allow-short-rotate", no_argument, NULL, SW_OPT_SHORT_ROTATE},
		{"pin-dir", required_argument, NULL, SW_OPT_PIN_DIR},
		{"force", no_argument, NULL, SW_OPT_FORCE},
		{"help", no_argument, NULL, 'h'},
		{"verbose", no_argument, NULL, 'v'},
		{0},
	};
	struct attach_args a;
	struct sw_caps caps;
	struct sw_state st;
	const char *rot_arg = NULL;
	bool short_ok = false;
	char err[512];
	int opt, i, rc;

	memset(&a, 0, sizeof(a));
	a.mode = XDP_MODE_NATIVE;
	while ((opt = getopt_long(argc, argv, "hv", lo, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			sw_verbose++;
			break;
		case SW_OPT_MODE:
			if (!strcmp(optarg, "native") || !strcmp(optarg, "drv"))
				a.mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "skb") ||
				 !strcmp(optarg, "generic"))
				a.mode = XDP_MODE_SKB;
			else {
				sw_err("--mode '%s': expected native or skb",
				       optarg);
				return SW_EXIT_USAGE;
			}
			break;
		case SW_OPT_KEY_FILE:
			a.key_file = optarg;
			break;
		case SW_OPT_ROTATE:
			rot_arg = optarg;
			break;
		case SW_OPT_SHORT_ROTATE:
			short_ok = true;
			break;
		case SW_OPT_FORCE:
			a.force = true;
			break;
		case SW_OPT_PIN_DIR:
			snprintf(a.dir, sizeof(a.dir), "%s", optarg);
			a.explicit_dir = true;
			break;
		case '?':
			usage(stderr);
			return SW_EXIT_USAGE;
		default:
			if (sw_cfg_option(opt, optarg, &a.cfg))
				return SW_EXIT_USAGE;
		}
	}
	if (!sw_one_operand("attach", argc - optind)) {
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	if (rot_arg &&
	    (sw_parse_ulong("--rotate", rot_arg, 1, 1UL << 30, &a.rotate) ||
	     sw_rotate_check(a.rotate, short_ok)))
		return SW_EXIT_USAGE;
	a.ifname = argv[optind];
	a.ifindex = sw_iface_index(a.ifname);
	if (!a.ifindex)
		return SW_EXIT_FAIL;
	if (a.key_file &&
	    sw_keyfile_read(a.key_file, &a.master, err, sizeof(err))) {
		sw_err("%s", err);
		return SW_EXIT_FAIL;
	}
	if (!a.explicit_dir)
		sw_pin_dir_default(a.ifname, a.dir, sizeof(a.dir));

	sw_caps_check(&caps, a.dir);
	for (i = 0; i < SW_CAP_COUNT; i++) {
		if (caps.cap[i].ok)
			continue;
		if (a.force)
			sw_warn("%s (--force: going on)", caps.cap[i].msg);
		else
			sw_err("%s", caps.cap[i].msg);
	}
	if (caps.missing && !a.force) {
		sw_err("attach refused: %d kernel capabilit%s missing (see "
		       "above; --force ignores the checks)",
		       caps.missing, caps.missing == 1 ? "y is" : "ies are");
		rc = SW_EXIT_FAIL;
		goto out;
	}

	rc = inspect_pin_dir(&a, &st);
	if (rc < 0) {
		rc = SW_EXIT_FAIL;
		goto out;
	}
	if (rc == 1)
		rc = update_attach(&a, &st) ? SW_EXIT_FAIL : 0;
	else
		rc = fresh_attach(&a) ? SW_EXIT_FAIL : 0;
	if (rc || !a.rotate)
		goto out;

	{
		struct sw_rotate_opts ro = {
			.interval = (__u32)a.rotate,
			.key_file = a.key_file,
			.ifname = a.ifname,
			.ifindex = a.ifindex,
		};
		struct sw_maps m;

		sw_wipe(&a.master, sizeof(a.master));
		if (sw_maps_open(a.ifname, a.ifindex, a.dir, &m)) {
			rc = SW_EXIT_FAIL;
			goto out;
		}
		/* attached: let other synwall commands (detach) run */
		sw_lock_release();
		rc = sw_rotate_loop(&m, &ro);
		sw_maps_close(&m);
	}
out:
	sw_wipe(&a.master, sizeof(a.master));
	return rc;
}
