/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel and sysctl capabilities synwall needs, each checked with a
 * message that names the problem and the fix.  Self-contained (libc,
 * kernel headers and libbpf's BTF parser only) so that tests and other
 * tools can #include "caps.c" or link it as they are.
 *
 * The net.* sysctls are read from /proc/sys/net, which shows the network
 * namespace of the calling thread: call this from inside the namespace of
 * the interface (nsenter --net=..., or synwall --netns NAME).
 */
#ifndef SYNWALL_LOADER_CAPS_H
#define SYNWALL_LOADER_CAPS_H

#include <stddef.h>
#include <stdio.h>

#define SW_KFUNC_HANDOFF "bpf_sk_assign_tcp_reqsk"
#define SW_BPFFS_DEFAULT "/sys/fs/bpf"

enum sw_cap_id {
	SW_CAP_PRIV,	   /* root, or CAP_BPF + CAP_NET_ADMIN */
	SW_CAP_BTF,	   /* /sys/kernel/btf/vmlinux */
	SW_CAP_KFUNC,	   /* bpf_sk_assign_tcp_reqsk in the kernel's BTF */
	SW_CAP_BPFFS,	   /* bpffs mounted where pins go */
	SW_CAP_SYNCOOKIES, /* net.ipv4.tcp_syncookies >= 1 */
	SW_CAP_TIMESTAMPS, /* net.ipv4.tcp_timestamps >= 1 */
	SW_CAP_SACK,	   /* net.ipv4.tcp_sack >= 1 */
	SW_CAP_WSCALE,	   /* net.ipv4.tcp_window_scaling >= 1 */
	SW_CAP_IPV6,	   /* IPv6 built in, or absent (not a loaded module) */
	SW_CAP_COUNT,
};

struct sw_cap {
	const char *name; /* what was checked, e.g. "net.ipv4.tcp_syncookies" */
	int ok;		  /* 1: present; 0: missing */
	char msg[512];	  /* found value; or the problem and its fix */
};

struct sw_caps {
	int missing; /* how many are not ok */
	struct sw_cap cap[SW_CAP_COUNT];
};

/* Check everything.  bpffs: where the pins go (NULL: /sys/fs/bpf); its
 * mount point is what is checked.  Returns caps->missing. */
int sw_caps_check(struct sw_caps *caps, const char *bpffs);

/* One line per capability: "  ok   name: msg" / "  MISSING name: msg". */
void sw_caps_print(const struct sw_caps *caps, FILE *f);

/*
 * Test hook, read only by sw_kfunc_present(): a comma-separated list of
 * kfuncs to report absent, so the tests can show what a kernel without
 * the handoff kfunc (< 6.9, e.g. Debian 12's stock 6.1) gets.  Never set
 * it in production.
 */
#define SW_TEST_HIDE_KFUNC "SYNWALL_TEST_HIDE_KFUNC"

/*
 * IPv6 built as a module (CONFIG_IPV6=m).  The handoff kfunc handles
 * ETH_P_IPV6 only where IPv6 is built in (net/core/filter.c,
 * bpf_sk_assign_tcp_reqsk: `#if IS_BUILTIN(CONFIG_IPV6)` around the IPv6
 * case; otherwise `default: return -EINVAL`): there every IPv6 handoff
 * fails (tc_err_einval) and the client, which already has synwall's
 * SYN-ACK, gets the kernel's RST.  The facts, as sw_ipv6_probe() reads
 * them:
 */
struct sw_ipv6_facts {
	int btf;	 /* the kernel's BTF was readable */
	int builtin;	 /* vmlinux BTF has tcp_v6_rcv: IPv6 is built in */
	int module_live; /* /sys/module/ipv6/initstate: a loaded ipv6.ko */
	int active;	 /* /proc/net/if_inet6: IPv6 up (not ipv6.disable=1) */
};

enum sw_ipv6_verdict {
	SW_IPV6_OK,	/* built in, or no IPv6 at all; msg: which */
	SW_IPV6_REFUSE, /* a live ipv6.ko: msg names the problem and fix */
};

/* The decision, pure.  Refuses only for a loaded, active ipv6.ko: IPv6
 * clients then reach the protected ports and every one of them would be
 * reset.  IPv6 absent (module not loaded, or disabled) is OK, with a msg
 * that says what happens if the module is loaded later.  --force (attach)
 * turns the refusal into a warning: IPv4 works either way. */
enum sw_ipv6_verdict sw_ipv6_decide(const struct sw_ipv6_facts *f, char *msg,
				    size_t len);
/* Read the facts.  Test hook SW_TEST_IPV6_MODULE=1: report a live,
 * active ipv6.ko whatever the kernel is. */
void sw_ipv6_probe(struct sw_ipv6_facts *f);
#define SW_TEST_IPV6_MODULE "SYNWALL_TEST_IPV6_MODULE"

/* Building blocks, usable alone. */
int sw_kfunc_present(const char *name); /* 1, 0, or -errno (no BTF) */
/* The refusal for a missing kfunc (rc: sw_kfunc_present's): the kernel,
 * the requirement and the way out. */
void sw_kfunc_missing_msg(const char *name, int rc, char *out, size_t len);
int sw_bpffs_at(const char *path);		 /* 1 if path is on a bpffs */
int sw_sysctl_read(const char *name, long *val); /* "net.ipv4.x"; 0/-errno */

#endif
