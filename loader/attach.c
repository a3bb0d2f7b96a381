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
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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

#include "caps.h"
#include "common.h"
#include "compat.h"
#include "dispatch.h"
#include "kdf.h"
#include "keyfile.h"
#include "liblog.h"
#include "synwall.skel.h"
#include "synwall_compat.skel.h"
#include "vlan.h"

#define LIBXDP_LOCK_DIR "/sys/fs/bpf/xdp"

/*
 * Test hooks (docs/loader.md), never for production:
 *   SYNWALL_TEST_DISPATCHER_FAIL=ERRNO  libxdp's attempt is undone and
 *       taken as failed with ERRNO (EINVAL, EPERM, ... or a number), as
 *       6.12 fails it, so the fallback runs on any kernel;
 *   SYNWALL_TEST_VERIFIER_FAIL=1  the TC program is loaded as an XDP
 *       program, which the verifier rejects: a real rejection, to show
 *       that its reason reaches the user.
 */
#define SW_TEST_DISPATCHER_FAIL "SYNWALL_TEST_DISPATCHER_FAIL"
#define SW_TEST_VERIFIER_FAIL "SYNWALL_TEST_VERIFIER_FAIL"

static const char *const pin_names[] = {SW_PIN_NAMES};

/* attach's own options (common.h: shared) */
enum { OPT_ALLOW_VLAN = 2000, OPT_DATAPATH };

struct attach_args {
	const char *ifname;
	int ifindex;
	int mode;
	const char *key_file;
	struct sw_master master;
	unsigned long rotate;
	bool force;
	bool allow_vlan_offload;
	enum sw_datapath datapath;
	bool degraded; /* the degraded object (loader/compat.h) */
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
		"                     [--cookies flood|always] [--flood-on N] "
		"[--flood-off N]\n"
		"                     [--flood-hold SECS] "
		"[--pin-dir DIR] [--allow-vlan-offload] [--force]\n"
		"                     [--datapath auto|full|degraded]\n"
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
		"  --cookies flood|always   flood (default): cookies only "
		"while a SYN flood is\n"
		"                      detected, else the kernel's own "
		"handshake; always: every\n"
		"                      SYN (--flood-on/--flood-off/--flood-hold: "
		"see synwall\n"
		"                      config --help; defaults 2000, 1000 SYN/s "
		"per CPU, 10 s)\n"
		"  --mode native|skb   XDP in the driver (default) or generic "
		"(any driver, slower);\n"
		"                      through libxdp's dispatcher where it "
		"works, else synwall\n"
		"                      alone (one line says why; then no other "
		"XDP program\n"
		"                      can share IFACE)\n"
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
		"  --allow-vlan-offload  attach although IFACE strips VLAN tags "
		"in hardware\n"
		"                      (rx-vlan-offload) and carries VLAN "
		"devices: their\n"
		"                      clients' handshakes then fail (fix "
		"instead: ethtool -K\n"
		"                      IFACE rxvlan off)\n"
		"  --datapath auto|full|degraded   full: the handoff to TCP "
		"(Linux >= 6.9);\n"
		"                      degraded: SYN-ACKs with the kernel's own "
		"cookie, checked\n"
		"                      in XDP, the kernel makes the socket (Linux "
		">= 6.0; needs\n"
		"                      net.ipv4.tcp_syncookies=2; what it loses: "
		"docs/degraded.md);\n"
		"                      auto (default): full where the kernel has "
		"the kfunc\n"
		"  --force             go on when a sysctl, privilege, bpffs or "
		"IPv6-module\n"
		"                      check fails\n"
		"\n"
		"Refused before anything is loaded: --datapath full on a kernel "
		"without the\n"
		"handoff kfunc bpf_sk_assign_tcp_reqsk (Linux < 6.9, e.g. Debian "
		"12's 6.1;\n"
		"--force does not help: the object cannot load there; auto "
		"attaches the\n"
		"degraded mode there), or a kernel without BTF.  A failed "
		"load or attach\n"
		"prints the kernel's reason (the verifier's last lines, the "
		"netlink message)\n"
		"and leaves nothing attached or pinned.\n"
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

/* "REASON (strerror)": the kernel's netlink message when there is one. */
static const char *kernel_reason(int err, char *buf, size_t len)
{
	const char *k = sw_lib_extack();

	if (k)
		snprintf(buf, len, "%s (%s)", k, strerror(-err));
	else
		snprintf(buf, len, "%s", strerror(-err));
	return buf;
}

/* The XDP attach failed: what, the kernel's reason, the fix. */
static int xdp_attach_error(const struct attach_args *a, int err)
{
	const char *mode = sw_xdp_mode_name(a->mode);
	struct sw_xdp_info xi;
	char why[512];

	kernel_reason(err, why, sizeof(why));
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
		else if (xi.prog_id)
			sw_err("%s already runs a synwall XDP program (id %u) "
			       "that synwall attach did not record (loaded with "
			       "ip link?): remove it first (ip link set dev %s "
			       "xdp off)",
			       a->ifname, xi.prog_id, a->ifname);
		else
			sw_err("cannot attach XDP to %s in %s mode: %s; fix: "
			       "remove the XDP program attached in another "
			       "mode (ip link set dev %s xdp off / xdpgeneric "
			       "off)",
			       a->ifname, mode, why, a->ifname);
		break;
	case EOPNOTSUPP:
		sw_err("cannot attach XDP to %s in %s mode: %s; fix: %s",
		       a->ifname, mode, why,
		       a->mode == XDP_MODE_NATIVE ?
			       "attach with --mode skb (generic XDP, any "
			       "driver, slower)" :
			       "use another interface");
		break;
	case EPERM:
	case EACCES:
		sw_err("cannot attach XDP to %s in %s mode: %s; fix: run as "
		       "root (CAP_NET_ADMIN and CAP_BPF)",
		       a->ifname, mode, why);
		break;
	case ERANGE:
		sw_err("cannot attach XDP to %s in %s mode: %s; fix: lower the "
		       "MTU (ip link set dev %s mtu 1500; on veth the peer's "
		       "too) or use --mode skb",
		       a->ifname, mode, why, a->ifname);
		break;
	default:
		sw_err("cannot attach XDP to %s in %s mode: %s; fix: see the "
		       "kernel's reason (-v shows libbpf's and libxdp's "
		       "messages)",
		       a->ifname, mode, why);
	}
	sw_lib_log_clear();
	return -1;
}

/* The object failed to load: the verifier's last lines, or libbpf's. */
static void load_error(int err)
{
	const struct sw_verifier_tail *v = sw_lib_verifier();
	struct utsname u;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "?");
	if (!v->n) {
		sw_err("cannot load the synwall BPF object: %s (details "
		       "below; -v shows all of libbpf's messages)",
		       strerror(-err));
		sw_lib_log_flush();
		return;
	}
	sw_err("the kernel's verifier rejected %s: %s; its last lines:",
	       v->prog, strerror(-err));
	sw_lib_verifier_print(stderr, "    ");
	fprintf(stderr,
		"synwall: fix: this kernel (%s) does not accept this build of "
		"synwall: report it with the output of `synwall -v -v attach "
		"...`\n",
		u.release);
	sw_lib_log_clear();
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

/* Step 1, VLAN part: refuse a device that strips the tags XDP_TX needs
 * (vlan.h has the policy).  Returns 0 to go on. */
static int check_vlan(const struct attach_args *a)
{
	struct sw_vlan_facts f;
	char msg[512];
	int err;

	err = sw_vlan_probe(a->ifname, a->ifindex, &f);
	if (err)
		sw_dbg("%s: cannot read its VLAN offload features: %s",
		       a->ifname, strerror(-err));
	switch (sw_vlan_decide(&f, a->allow_vlan_offload, a->ifname, msg,
			       sizeof(msg))) {
	case SW_VLAN_REFUSE:
		sw_err("%s", msg);
		return -1;
	case SW_VLAN_OVERRIDDEN:
		sw_warn("%s", msg);
		break;
	case SW_VLAN_OK:
		break;
	}
	return 0;
}

/*
 * The object, opened with the pin dir (and the test hook applied): the
 * full one or the degraded one, both from the ELF their skeletons embed.
 */
static struct bpf_object *open_skel(const struct attach_args *a)
{
	const char *name = a->degraded ? "synwall_compat" : "synwall";
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = a->dir,
		    .object_name = name);
	const char *hook = getenv(SW_TEST_VERIFIER_FAIL);
	struct bpf_object *skel;
	const void *elf;
	size_t sz;

	elf = a->degraded ? synwall_compat__elf_bytes(&sz) :
			    synwall__elf_bytes(&sz);
	skel = bpf_object__open_mem(elf, sz, &oo);
	if (libbpf_get_error(skel)) {
		sw_err("cannot open the %s BPF object: %s", name,
		       strerror(errno));
		return NULL;
	}
	if (hook && !strcmp(hook, "1") && !a->degraded) {
		static int said;

		if (!said++)
			sw_warn("%s=1 (a test hook): loading %s as an XDP "
				"program, for the verifier to reject",
				SW_TEST_VERIFIER_FAIL, SW_TC_PROG_NAME);
		bpf_program__set_type(bpf_object__find_program_by_name(
					      skel, SW_TC_PROG_NAME),
				      BPF_PROG_TYPE_XDP);
	}
	return skel;
}

/*
 * Step 2: load the object and attach the XDP program, through libxdp's
 * dispatcher where it works, else alone (dispatch.h says why both).
 * On success *skelp is the loaded skeleton and u records the attach; on
 * failure the message is printed and nothing of this step is left.
 */
static int attach_xdp(struct attach_args *a, struct undo *u,
		      struct bpf_object **skelp, bool *dispatcher)
{
	const char *mode = sw_xdp_mode_name(a->mode);
	struct sw_xdp_attempt t = {0};
	struct xdp_program *xp = NULL;
	struct bpf_object *skel;
	struct sw_xdp_info xi;
	struct sw_xdp_why why = {0};
	enum sw_xdp_way way;
	char line[1024], vline[256] = "";
	const struct sw_verifier_tail *v;
	int err;

	*dispatcher = false;
	skel = open_skel(a);
	if (!skel)
		return -1;
	sw_lib_log_clear();
	xp = xdp_program__from_bpf_obj(skel, "xdp");
	t.err = (int)libxdp_get_error(xp);
	if (t.err)
		xp = NULL;
	else
		t.err = xdp_program__attach(xp, a->ifindex,
					    (enum xdp_attach_mode)a->mode, 0);
	if (!t.err) {
		u->xdp_attached = true;
		u->xdp_id = xdp_program__id(xp);
		t.dispatcher = sw_xdp_query(a->ifindex, &xi) == 0 &&
			       xi.dispatcher;
	}
	why.force_env = getenv(SW_TEST_DISPATCHER_FAIL);
	t.forced_err = sw_errno_parse(why.force_env);
	if (!t.forced_err)
		why.force_env = NULL;
	way = sw_xdp_decide(&t);

	switch (way) {
	case SW_XDP_DISPATCHER:
		*dispatcher = true;
		goto done;
	case SW_XDP_BUSY:
		xdp_attach_error(a, t.forced_err ? t.forced_err : t.err);
		goto undo;
	case SW_XDP_LIBXDP_ALONE:
	case SW_XDP_FALLBACK:
		break;
	}
	v = sw_lib_verifier();
	if (v->n)
		snprintf(vline, sizeof(vline), "%s", v->line[v->n - 1]);
	why.verifier = vline;
	why.extack = sw_lib_extack();
	why.libxdp = sw_lib_libxdp_reason();
	why.skip_env = getenv("LIBXDP_SKIP_DISPATCHER");
	sw_info("%s", sw_xdp_why_line(way, t.forced_err ?: t.err, &why,
				      a->ifname, mode, line, sizeof(line)));
	if (way == SW_XDP_LIBXDP_ALONE)
		goto done;

	/* Undo libxdp's attempt entirely: its attach (the test hook's
	 * case), a dispatcher it left, the maps its load pinned. */
	if (u->xdp_attached) {
		err = sw_xdp_detach(a->ifindex, u->xdp_id, a->mode);
		if (err) {
			sw_err("cannot undo libxdp's attach on %s: %s",
			       a->ifname, strerror(-err));
			goto undo;
		}
		u->xdp_attached = false;
	}
	if (xp)
		xdp_program__close(xp);
	xp = NULL;
	bpf_object__close(skel);
	skel = NULL;
	sw_xdp_scrub(a->ifindex);
	unpin_all(a->dir);

	/* Alone: load, then attach, so that a failure is either the
	 * verifier's or the netlink request's, each with its reason. */
	skel = open_skel(a);
	if (!skel)
		goto undo;
	sw_lib_log_clear();
	err = bpf_object__load(skel);
	if (err) {
		load_error(err);
		goto undo;
	}
	err = sw_xdp_attach_alone(
		a->ifindex,
		bpf_program__fd(
			bpf_object__find_program_by_name(skel, SW_XDP_PROG_NAME)),
		a->mode, &u->xdp_id);
	if (err) {
		xdp_attach_error(a, err);
		goto undo;
	}
	u->xdp_attached = true;
done:
	if (xp)
		xdp_program__close(xp);
	*skelp = skel;
	return 0;
undo:
	if (u->xdp_attached && sw_xdp_detach(a->ifindex, u->xdp_id, a->mode))
		sw_warn("undo: cannot remove the XDP program from %s (ip link "
			"set dev %s xdp off)",
			a->ifname, a->ifname);
	u->xdp_attached = false;
	if (xp)
		xdp_program__close(xp);
	if (skel)
		bpf_object__close(skel);
	return -1;
}

/* After a failed attach: is anything of ours still there?  The final
 * message must be true. */
static bool leftovers(const struct attach_args *a, char *what, size_t len)
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
	for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]) && n < len;
	     i++) {
		snprintf(path, sizeof(path), "%s/%s", a->dir, pin_names[i]);
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

static int fresh_attach_locked(struct attach_args *a)
{
	struct undo u = {.mode = a->mode};
	struct bpf_object *skel = NULL;
	struct sw_state st;
	struct sw_xdp_info xi;
	struct sw_maps m;
	struct stat sb;
	__u32 tc_id = 0;
	bool created = false, dispatcher = false;
	char why[256], left[1024];
	int err, sfd = -1;

	if (check_vlan(a))
		return -1;

	/* Refuse early, before loading anything, if another program holds
	 * the interface without a dispatcher, or a synwall attach did not
	 * record (ip link): libxdp would refuse it, and attaching alone too. */
	if (sw_xdp_query(a->ifindex, &xi) == 0 &&
	    (xi.prog_id || (xi.other_id && !xi.dispatcher)))
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

	if (attach_xdp(a, &u, &skel, &dispatcher))
		goto fail;

	sw_lib_log_clear();
	/* degraded: no TC program; the kernel itself checks the ACK */
	err = a->degraded ?
		      0 :
		      sw_tc_attach(a->ifindex,
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
			       a->ifname, kernel_reason(err, why, sizeof(why)));
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
	st.xdp_prog_id = u.xdp_id;
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

	bpf_object__close(skel);
	tidy_xdp_lock_dir(u.xdp_lock_existed);
	if (a->degraded)
		sw_info("synwall attached to %s in DEGRADED mode: XDP program "
			"id %u (%s, %s), no TC program (the kernel's own "
			"cookies; what is lost: synwall status %s)",
			a->ifname, u.xdp_id, sw_xdp_mode_name(a->mode),
			dispatcher ? "libxdp dispatcher" : "single program",
			a->ifname);
	else
		sw_info("synwall attached to %s: XDP program id %u (%s, %s), "
			"TC ingress program id %u%s",
			a->ifname, u.xdp_id, sw_xdp_mode_name(a->mode),
			dispatcher ? "libxdp dispatcher" : "single program",
			tc_id, created ? " (clsact created)" : "");
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
	if (a->degraded != !!(st->flags & SW_ST_DEGRADED))
		sw_warn("%s: synwall is attached in %s mode; --datapath "
			"ignored (detach, then attach, to change it)",
			a->ifname,
			st->flags & SW_ST_DEGRADED ? "degraded" : "full");
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
		{"allow-vlan-offload", no_argument, NULL, OPT_ALLOW_VLAN},
		{"datapath", required_argument, NULL, OPT_DATAPATH},
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
	int opt, i, rc, nhard = 0;

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
		case OPT_ALLOW_VLAN:
			a.allow_vlan_offload = true;
			break;
		case OPT_DATAPATH:
			if (sw_datapath_parse(optarg, &a.datapath)) {
				sw_err("--datapath '%s': expected auto, full or "
				       "degraded",
				       optarg);
				return SW_EXIT_USAGE;
			}
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

	/*
	 * Before anything is loaded.  Without kernel BTF or the handoff
	 * kfunc the object cannot load at all (its TC program calls the
	 * kfunc), so --force does not skip those two.
	 */
	sw_caps_check(&caps, a.dir);
	a.degraded = a.datapath == SW_DATAPATH_DEGRADED ||
		     (a.datapath == SW_DATAPATH_AUTO &&
		      !caps.cap[SW_CAP_KFUNC].ok && caps.cap[SW_CAP_BTF].ok);
	if (a.degraded && a.datapath == SW_DATAPATH_AUTO)
		sw_info("this kernel lacks the handoff kfunc %s (Linux >= "
			"6.9): attaching the DEGRADED mode, which answers with "
			"the kernel's own cookies (--datapath full refuses "
			"instead; docs/degraded.md says what is lost)",
			SW_KFUNC_HANDOFF);
	for (i = 0; i < SW_CAP_COUNT; i++) {
		bool hard = i == SW_CAP_BTF || i == SW_CAP_KFUNC;

		/* the degraded object has no kfunc and no IPv6 handoff */
		if (a.degraded && (i == SW_CAP_KFUNC || i == SW_CAP_IPV6))
			continue;
		if (caps.cap[i].ok)
			continue;
		if (a.force && !hard) {
			sw_warn("%s (--force: going on)", caps.cap[i].msg);
			continue;
		}
		sw_err("%s", caps.cap[i].msg);
		nhard++;
	}
	if (a.degraded) {
		nhard += sw_compat_check(a.force);
		if (a.key_file || a.rotate)
			sw_warn("degraded mode: cookies use the kernel's own "
				"secret; --key-file and --rotate change keys "
				"that nothing reads");
	}
	if (nhard) {
		sw_err("attach refused before loading anything: %d kernel "
		       "capabilit%s missing (see above%s)",
		       nhard, nhard == 1 ? "y is" : "ies are",
		       a.force ? "; --force cannot skip these" :
				 "; --force skips only the sysctl, privilege, "
				 "bpffs and IPv6-module checks");
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
