// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Loading synwall's object and attaching its XDP program (step 2 of a
 * fresh attach, install.c), and the messages that name the kernel's
 * reason when that fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "caps.h"
#include "dispatch.h"
#include "liblog.h"
#include "flows.h"
#include "load.h"
#include "log.h"
#include "synwall.skel.h"
#include "synwall_compat.skel.h"
#include "tc.h"
#include "vlan.h"
#include "xdp.h"

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

/* "REASON (strerror)": the kernel's netlink message when there is one. */
const char *sw_kernel_reason(int err, char *buf, size_t len)
{
	const char *k = sw_lib_extack();

	if (k)
		snprintf(buf, len, "%s (%s)", k, strerror(-err));
	else
		snprintf(buf, len, "%s", strerror(-err));
	return buf;
}

/* The XDP attach failed: what, the kernel's reason, the fix. */
int sw_xdp_attach_error(const struct sw_attach *a, int err)
{
	const char *mode = sw_xdp_mode_name(a->mode);
	struct sw_xdp_info xi;
	char why[512];

	sw_kernel_reason(err, why, sizeof(why));
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
			       "that synwall attach did not record (loaded "
			       "with "
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
void sw_load_error(int err)
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

/* Step 1, VLAN part: refuse a device that strips the tags XDP_TX needs
 * (vlan.h has the policy).  Returns 0 to go on. */
int sw_check_vlan(const struct sw_attach *a)
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

const void *sw_full_elf(size_t *sz)
{
	return synwall__elf_bytes(sz);
}

/*
 * The object, opened with the pin dir (and the test hook applied): the
 * full one or the degraded one, both from the ELF their skeletons embed.
 */
static struct bpf_object *open_skel(const struct sw_attach *a)
{
	const char *name = a->degraded ? "synwall_compat" : "synwall";
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = a->dir,
		    .object_name = name);
	const char *hook = getenv(SW_TEST_VERIFIER_FAIL);
	struct bpf_object *skel;
	const void *elf;
	size_t sz;

	elf = a->degraded ? synwall_compat__elf_bytes(&sz) : sw_full_elf(&sz);
	skel = bpf_object__open_mem(elf, sz, &oo);
	if (libbpf_get_error(skel)) {
		sw_err("cannot open the %s BPF object: %s", name,
		       strerror(errno));
		return NULL;
	}
	if (!a->degraded && a->flows && sw_flows_size(skel, a->flows)) {
		bpf_object__close(skel);
		return NULL;
	}
	if (hook && !strcmp(hook, "1") && !a->degraded) {
		static int said;

		if (!said++)
			sw_warn("%s=1 (a test hook): loading %s as an XDP "
				"program, for the verifier to reject",
				SW_TEST_VERIFIER_FAIL, SW_TC_PROG_NAME);
		bpf_program__set_type(
			bpf_object__find_program_by_name(skel, SW_TC_PROG_NAME),
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
int sw_load_attach_xdp(struct sw_attach *a, struct sw_xdp_step *u,
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
		u->attached = true;
		u->id = xdp_program__id(xp);
		t.dispatcher =
			sw_xdp_query(a->ifindex, &xi) == 0 && xi.dispatcher;
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
		sw_xdp_attach_error(a, t.forced_err ? t.forced_err : t.err);
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
	if (u->attached) {
		err = sw_xdp_detach(a->ifindex, u->id, a->mode);
		if (err) {
			sw_err("cannot undo libxdp's attach on %s: %s",
			       a->ifname, strerror(-err));
			goto undo;
		}
		u->attached = false;
	}
	if (xp)
		xdp_program__close(xp);
	xp = NULL;
	bpf_object__close(skel);
	skel = NULL;
	sw_xdp_scrub(a->ifindex);
	sw_pins_remove(a->dir, false);

	/* Alone: load, then attach, so that a failure is either the
	 * verifier's or the netlink request's, each with its reason. */
	skel = open_skel(a);
	if (!skel)
		goto undo;
	sw_lib_log_clear();
	err = bpf_object__load(skel);
	if (err) {
		sw_load_error(err);
		goto undo;
	}
	err = sw_xdp_attach_alone(
		a->ifindex,
		bpf_program__fd(bpf_object__find_program_by_name(
			skel, SW_XDP_PROG_NAME)),
		a->mode, &u->id);
	if (err) {
		sw_xdp_attach_error(a, err);
		goto undo;
	}
	u->attached = true;
done:
	if (xp)
		xdp_program__close(xp);
	*skelp = skel;
	return 0;
undo:
	if (u->attached && sw_xdp_detach(a->ifindex, u->id, a->mode))
		sw_warn("undo: cannot remove the XDP program from %s (ip link "
			"set dev %s xdp off)",
			a->ifname, a->ifname);
	u->attached = false;
	if (xp)
		xdp_program__close(xp);
	if (skel)
		bpf_object__close(skel);
	return -1;
}
