// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `synwall attach IFACE ...`: check the kernel, then install synwall
 * (install.c) or update it in place, and with --rotate stay in the
 * foreground rotating keys.
 */
#include <stdio.h>
#include <string.h>

#include <xdp/libxdp.h>

#include "caps.h"
#include "cfg.h"
#include "compat.h"
#include "flows.h"
#include "install.h"
#include "kdf.h"
#include "keyfile.h"
#include "keys.h"
#include "lock.h"
#include "log.h"
#include "maps.h"
#include "netns.h"
#include "rotate.h"
#include "verbs.h"

struct attach_cfg {
	struct sw_attach a;
	const char *rotate, *pin_dir, *flows;
	bool short_ok;
};

static const struct attach_cfg attach_defaults = {.a.mode = XDP_MODE_NATIVE};

static int opt_mode(void *member, int which, const char *arg)
{
	int *mode = member;

	if (!strcmp(arg, "native") || !strcmp(arg, "drv"))
		*mode = XDP_MODE_NATIVE;
	else if (!strcmp(arg, "skb") || !strcmp(arg, "generic"))
		*mode = XDP_MODE_SKB;
	else {
		sw_err("--mode '%s': expected native or skb", arg);
		return -1;
	}
	return 0;
}

static int opt_datapath(void *member, int which, const char *arg)
{
	if (sw_datapath_parse(arg, member)) {
		sw_err("--datapath '%s': expected auto, full or degraded", arg);
		return -1;
	}
	return 0;
}

static int run_attach(void *cfg, int nargs, char **args)
{
	struct attach_cfg *c = cfg;
	struct sw_attach *a = &c->a;
	struct sw_caps caps;
	struct sw_state st;
	char err[512];
	int i, rc, nhard = 0;

	if (sw_rotate_arg(c->rotate, c->short_ok, &a->rotate))
		return SW_EXIT_USAGE;
	if (c->flows && sw_flows_arg(c->flows, &a->flows))
		return SW_EXIT_USAGE;
	if (c->pin_dir) {
		snprintf(a->dir, sizeof(a->dir), "%s", c->pin_dir);
		a->explicit_dir = true;
	}
	a->ifname = args[0];
	a->ifindex = sw_iface_index(a->ifname);
	if (!a->ifindex)
		return SW_EXIT_FAIL;
	if (a->key_file &&
	    sw_keyfile_read(a->key_file, &a->master, err, sizeof(err))) {
		sw_err("%s", err);
		return SW_EXIT_FAIL;
	}
	if (!a->explicit_dir)
		sw_pin_dir_default(a->ifname, a->dir, sizeof(a->dir));

	/*
	 * Before anything is loaded.  Without kernel BTF or the handoff
	 * kfunc the full object cannot load at all (its TC program calls
	 * the kfunc), so --force does not skip those two; auto then takes
	 * the degraded object, which needs neither the kfunc nor IPv6.
	 */
	sw_caps_check(&caps, a->dir);
	a->degraded = a->datapath == SW_DATAPATH_DEGRADED ||
		      (a->datapath == SW_DATAPATH_AUTO &&
		       !caps.cap[SW_CAP_KFUNC].ok && caps.cap[SW_CAP_BTF].ok);
	if (a->degraded && a->datapath == SW_DATAPATH_AUTO)
		sw_info("this kernel lacks the handoff kfunc %s (Linux >= "
			"6.9): attaching the DEGRADED mode, which answers with "
			"the kernel's own cookies (--datapath full refuses "
			"instead; docs/degraded.md says what is lost)",
			SW_KFUNC_HANDOFF);
	for (i = 0; i < SW_CAP_COUNT; i++) {
		bool hard = i == SW_CAP_BTF || i == SW_CAP_KFUNC;

		if (a->degraded && (i == SW_CAP_KFUNC || i == SW_CAP_IPV6))
			continue;
		if (caps.cap[i].ok)
			continue;
		if (a->force && !hard) {
			sw_warn("%s (--force: going on)", caps.cap[i].msg);
			continue;
		}
		sw_err("%s", caps.cap[i].msg);
		nhard++;
	}
	if (a->degraded) {
		nhard += sw_compat_check(a->force);
		if (a->key_file || a->rotate)
			sw_warn("degraded mode: cookies use the kernel's own "
				"secret; --key-file and --rotate change keys "
				"that nothing reads");
		if (a->flows)
			sw_warn("degraded mode has no flow table: --flows "
				"ignored");
	}
	if (nhard) {
		sw_err("attach refused before loading anything: %d kernel "
		       "capabilit%s missing (see above%s)",
		       nhard, nhard == 1 ? "y is" : "ies are",
		       a->force ? "; --force cannot skip these" :
				  "; --force skips only the sysctl, privilege, "
				  "bpffs and IPv6-module checks");
		rc = SW_EXIT_FAIL;
		goto out;
	}

	rc = sw_attach_inspect(a, &st);
	if (rc < 0) {
		rc = SW_EXIT_FAIL;
		goto out;
	}
	if (rc == 1)
		rc = sw_attach_update(a, &st) ? SW_EXIT_FAIL : 0;
	else
		rc = sw_attach_fresh(a) ? SW_EXIT_FAIL : 0;
	if (rc || !a->rotate)
		goto out;

	{
		struct sw_rotate_opts ro = {
			.interval = (__u32)a->rotate,
			.key_file = a->key_file,
			.ifname = a->ifname,
			.ifindex = a->ifindex,
		};
		struct sw_maps m;

		sw_wipe(&a->master, sizeof(a->master));
		if (sw_maps_open(a->ifname, a->ifindex, a->dir, &m)) {
			rc = SW_EXIT_FAIL;
			goto out;
		}
		/* attached: let other synwall commands (detach) run */
		sw_lock_release();
		rc = sw_rotate_loop(&m, &ro);
		sw_maps_close(&m);
	}
out:
	sw_wipe(&a->master, sizeof(a->master));
	return rc;
}

#define ROT_MIN SW_STR(SW_ROTATE_MIN)
#define A struct attach_cfg

static const struct sw_opt attach_opts[] = {
	SW_CFG_OPTS(A, a.cfg),
	SW_OPT_FN("mode", A, a.mode, opt_mode, 0, "native|skb",
		  "XDP in the driver (default) or generic (any driver, "
		  "slower);\nthrough libxdp's dispatcher where it works, "
		  "else synwall\nalone (one line says why; then no other XDP "
		  "program\ncan share IFACE)"),
	SW_OPT_STR("key-file", A, a.key_file, "FILE",
		   "fleet mode: keys derived from FILE's secret and the "
		   "wall\nclock, the same on every host holding FILE "
		   "(default:\nrandom keys)"),
	SW_OPT_STR("rotate", A, rotate, "SECONDS",
		   "stay in the foreground rotating keys every SECONDS "
		   "(>= " ROT_MIN
		   ")\nuntil SIGTERM, which leaves synwall attached"),
	SW_OPT_FLAG("allow-short-rotate", A, short_ok,
		    "accept --rotate below " ROT_MIN " s (tests only: cookies "
		    "in\nflight can then fail)"),
	SW_OPT_PIN_DIR(A, pin_dir,
		       "pin the maps in DIR instead of "
		       "/sys/fs/bpf/synwall/IFACE"),
	SW_OPT_FLAG("allow-vlan-offload", A, a.allow_vlan_offload,
		    "attach although IFACE strips VLAN tags in hardware\n"
		    "(rx-vlan-offload) and carries VLAN devices: their\n"
		    "clients' handshakes then fail (fix instead: ethtool -K\n"
		    "IFACE rxvlan off)"),
	SW_OPT_FN("datapath", A, a.datapath, opt_datapath, 0,
		  "auto|full|degraded",
		  "full: the handoff to TCP (Linux >= 6.9);\n"
		  "degraded: SYN-ACKs with the kernel's own cookie,\n"
		  "ACKs checked in XDP, the kernel makes the socket\n"
		  "(Linux >= 6.0; XDP only; needs\n"
		  "net.ipv4.tcp_syncookies=2; what it loses:\n"
		  "docs/degraded.md);\n"
		  "auto (default): full where the kernel has the kfunc,\n"
		  "else degraded"),
	SW_OPT_STR("flows", A, flows, "N",
		   "entries of each flow table, IPv4 and IPv6 (default\n"
		   "65536 and 32768; " SW_FLOWS_RANGE "): preallocated, 88 and\n"
		   "112 bytes each; flows past it are looked up (full mode)"),
	SW_OPT_FLAG("force", A, a.force,
		    "go on when a sysctl, privilege, bpffs or IPv6-module\n"
		    "check fails"),
	SW_OPT_END,
};

const struct sw_verb sw_verb_attach = {
	.name = "attach",
	.summary = "load and attach synwall to an interface, configure it",
	.synopsis = "IFACE [--ports LIST] [--mss4 N] [--mss6 N] [--wscale N]\n"
		    "              [--ttl N] [--window N] [--ecn on|off] "
		    "[--mode native|skb]\n"
		    "              [--key-file FILE] [--rotate SECONDS] "
		    "[--allow-short-rotate]\n"
		    "              [--cookies flood|always] [--flood-on N] "
		    "[--flood-off N]\n"
		    "              [--flood-hold SECS] [--pin-dir DIR] "
		    "[--allow-vlan-offload] [--force]\n"
		    "              [--datapath auto|full|degraded] [--flows N]",
	.doc = "Load synwall, attach its XDP program and its TC ingress "
	       "program to IFACE,\n"
	       "pin its maps under /sys/fs/bpf/synwall/IFACE/ and configure "
	       "them.  Without\n"
	       "--ports synwall protects no port: it then passes every "
	       "packet.  In degraded\n"
	       "mode (--datapath) there is no TC program.",
	.notes = "Refused before anything is loaded: --datapath full on a "
		 "kernel without the\n"
		 "handoff kfunc bpf_sk_assign_tcp_reqsk (Linux < 6.9, e.g. "
		 "Debian 12's 6.1;\n"
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
		 "(what the command line omits returns to its default; keys "
		 "are kept).",
	.opts = attach_opts,
	.cfg_size = sizeof(struct attach_cfg),
	.defaults = &attach_defaults,
	.min_args = 1,
	.max_args = 1,
	.locks = true,
	.run = run_attach,
};
