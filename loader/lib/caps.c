// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kernel capability checks.  See caps.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "caps.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Is name listed in the test hook SW_TEST_HIDE_KFUNC (comma-separated)? */
static bool kfunc_hidden(const char *name)
{
	const char *v = getenv(SW_TEST_HIDE_KFUNC), *p;
	size_t l = strlen(name);

	for (p = v; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, l) && (p[l] == ',' || p[l] == '\0'))
			return true;
	return false;
}

int sw_kfunc_present(const char *name)
{
	struct btf *btf;
	int id;

	/* The kernel's own BTF, as libbpf finds it when it resolves the
	 * object's __ksym externs: what the load would see. */
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return -errno ?: -ENOENT;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	if (id > 0 && kfunc_hidden(name))
		return 0;
	return id > 0;
}

void sw_kfunc_missing_msg(const char *name, int rc, char *out, size_t len)
{
	struct utsname u;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "?");
	snprintf(out, len,
		 "this kernel (%s) %s the kfunc %s, which hands a valid "
		 "cookie ACK to TCP (Linux >= 6.9): synwall cannot work "
		 "without it; fix: boot Linux >= 6.9 built with "
		 "CONFIG_SYN_COOKIES and CONFIG_DEBUG_INFO_BTF; on Debian 12: "
		 "apt install linux-image-6.12-amd64 (bookworm-security; it "
		 "pulls linux-image-6.12.*+deb12-amd64), then reboot into it",
		 u.release,
		 rc < 0 ? "has no readable BTF, so it cannot show" : "lacks",
		 name);
}

enum sw_ipv6_verdict sw_ipv6_decide(const struct sw_ipv6_facts *f, char *msg,
				    size_t len)
{
	if (!f->btf) {
		snprintf(
			msg, len,
			"cannot tell whether IPv6 is built in (no kernel BTF)");
		return SW_IPV6_OK;
	}
	if (f->builtin) {
		snprintf(msg, len, "built in (CONFIG_IPV6=y)");
		return SW_IPV6_OK;
	}
	if (f->module_live && f->active) {
		snprintf(
			msg, len,
			"IPv6 is a loadable module (ipv6.ko) on this kernel: "
			"the handoff kfunc %s handles IPv6 only where IPv6 is "
			"built in and refuses it here (-EINVAL), so every IPv6 "
			"client of a protected port would get synwall's "
			"SYN-ACK, then a RST (counted tc_err_einval); fix: a "
			"kernel with CONFIG_IPV6=y (Debian's, Ubuntu's, "
			"Fedora's, RHEL's), or --force to attach anyway for "
			"IPv4 (and keep IPv6 clients off the protected ports)",
			SW_KFUNC_HANDOFF);
		return SW_IPV6_REFUSE;
	}
	if (f->module_live)
		snprintf(msg, len,
			 "IPv6 is a module, loaded but disabled "
			 "(ipv6.disable=1): IPv4 only");
	else
		snprintf(msg, len,
			 "IPv6 is not built in and not loaded: IPv4 only; if "
			 "ipv6.ko gets loaded later, IPv6 handoffs fail (every "
			 "IPv6 client reset): check again with synwall status");
	return SW_IPV6_OK;
}

void sw_ipv6_probe(struct sw_ipv6_facts *f)
{
	const char *hook = getenv(SW_TEST_IPV6_MODULE);
	int rc;

	memset(f, 0, sizeof(*f));
	if (hook && !strcmp(hook, "1")) {
		f->btf = f->module_live = f->active = 1;
		return;
	}
	/* tcp_v6_rcv is IPv6's receive function: in vmlinux's BTF only when
	 * IPv6 is built in (a module's functions are in /sys/kernel/btf/ipv6) */
	rc = sw_kfunc_present("tcp_v6_rcv");
	f->btf = rc >= 0;
	f->builtin = rc > 0;
	/* initstate exists for loadable modules only, never built-in ones */
	f->module_live = access("/sys/module/ipv6/initstate", F_OK) == 0;
	f->active = access("/proc/net/if_inet6", F_OK) == 0;
}

int sw_bpffs_at(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return 0;
	return (unsigned long)st.f_type == BPF_FS_MAGIC;
}

int sw_sysctl_read(const char *name, long *val)
{
	char path[256], buf[64], *end;
	size_t i, l;
	FILE *f;

	l = (size_t)snprintf(path, sizeof(path), "/proc/sys/%s", name);
	if (l >= sizeof(path))
		return -ENAMETOOLONG;
	for (i = strlen("/proc/sys/"); i < l; i++)
		if (path[i] == '.')
			path[i] = '/';
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	errno = 0;
	*val = strtol(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

static int have_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	__u64 eff;

	if (geteuid() == 0)
		return 1;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	eff = (__u64)d[1].effective << 32 | d[0].effective;
	return (eff & (1ULL << CAP_NET_ADMIN)) &&
	       (eff & ((1ULL << CAP_BPF) | (1ULL << CAP_SYS_ADMIN)));
}

static void set(struct sw_cap *c, const char *name, int ok, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static void set(struct sw_cap *c, const char *name, int ok, const char *fmt,
		...)
{
	va_list ap;

	c->name = name;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

/* A net.ipv4 sysctl that must be >= 1; why: what breaks without it. */
static void check_sysctl(struct sw_cap *c, const char *name, const char *why)
{
	long v;
	int rc = sw_sysctl_read(name, &v);

	if (rc)
		set(c, name, 0,
		    "cannot read /proc/sys/%s (%s): is /proc mounted?", name,
		    strerror(-rc));
	else if (v < 1)
		set(c, name, 0,
		    "%s = %ld in this network namespace: %s; fix: sysctl -w "
		    "%s=1 (run it in the interface's network namespace)",
		    name, v, why, name);
	else
		set(c, name, 1, "%s = %ld", name, v);
}

int sw_caps_check(struct sw_caps *caps, const char *bpffs)
{
	char mnt[4096];
	int i, rc;

	memset(caps, 0, sizeof(*caps));
	if (!bpffs)
		bpffs = SW_BPFFS_DEFAULT;

	if (have_caps())
		set(&caps->cap[SW_CAP_PRIV], "privileges", 1, "root");
	else
		set(&caps->cap[SW_CAP_PRIV], "privileges", 0,
		    "not root and without CAP_BPF + CAP_NET_ADMIN: loading BPF "
		    "programs and attaching them needs them; fix: run synwall "
		    "as root (sudo synwall ...)");

	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		set(&caps->cap[SW_CAP_BTF], "kernel BTF", 1,
		    "/sys/kernel/btf/vmlinux");
	else
		set(&caps->cap[SW_CAP_BTF], "kernel BTF", 0,
		    "/sys/kernel/btf/vmlinux is missing (%s): the kernel was "
		    "built without CONFIG_DEBUG_INFO_BTF; fix: use a kernel "
		    "built with CONFIG_DEBUG_INFO_BTF=y (Debian's and most "
		    "distributions' are)",
		    strerror(errno));

	rc = sw_kfunc_present(SW_KFUNC_HANDOFF);
	if (rc > 0) {
		set(&caps->cap[SW_CAP_KFUNC], "kfunc " SW_KFUNC_HANDOFF, 1,
		    "present");
	} else {
		char why[sizeof(caps->cap[0].msg)];

		sw_kfunc_missing_msg(SW_KFUNC_HANDOFF, rc, why, sizeof(why));
		set(&caps->cap[SW_CAP_KFUNC], "kfunc " SW_KFUNC_HANDOFF, 0,
		    "%s", why);
	}

	/* The file system the pin directory lives (or will live) on: under
	 * /sys/fs/bpf that is /sys/fs/bpf itself, else the nearest existing
	 * ancestor of the path. */
	snprintf(mnt, sizeof(mnt), "%s", bpffs);
	if (strncmp(mnt, SW_BPFFS_DEFAULT, strlen(SW_BPFFS_DEFAULT)) == 0 &&
	    (mnt[strlen(SW_BPFFS_DEFAULT)] == '/' ||
	     mnt[strlen(SW_BPFFS_DEFAULT)] == '\0')) {
		mnt[strlen(SW_BPFFS_DEFAULT)] = '\0';
	} else {
		while (access(mnt, F_OK) != 0) {
			char *slash = strrchr(mnt, '/');

			if (!slash || slash == mnt) {
				snprintf(mnt, sizeof(mnt), "/");
				break;
			}
			*slash = '\0';
		}
	}
	if (sw_bpffs_at(mnt))
		set(&caps->cap[SW_CAP_BPFFS], "bpffs", 1, "mounted at %s", mnt);
	else if (strcmp(mnt, SW_BPFFS_DEFAULT) == 0)
		set(&caps->cap[SW_CAP_BPFFS], "bpffs", 0,
		    "bpffs not mounted at %s: synwall pins its maps there; "
		    "fix: mount -t bpf bpf %s",
		    mnt, mnt);
	else
		set(&caps->cap[SW_CAP_BPFFS], "bpffs", 0,
		    "%s is not on a bpffs: pins can only live on one; fix: "
		    "mount -t bpf bpf /sys/fs/bpf and use a directory under it",
		    mnt);

	check_sysctl(&caps->cap[SW_CAP_SYNCOOKIES], "net.ipv4.tcp_syncookies",
		     "the kernel answers every handed-off ACK with a RST");
	check_sysctl(&caps->cap[SW_CAP_TIMESTAMPS], "net.ipv4.tcp_timestamps",
		     "handoffs of clients using TCP timestamps fail (the "
		     "kernel refuses them)");
	check_sysctl(&caps->cap[SW_CAP_SACK], "net.ipv4.tcp_sack",
		     "handoffs of clients offering SACK fail (the kernel "
		     "refuses them)");
	check_sysctl(&caps->cap[SW_CAP_WSCALE], "net.ipv4.tcp_window_scaling",
		     "handoffs of clients using window scaling fail (the "
		     "kernel refuses them)");

	{
		struct sw_ipv6_facts v6;
		char msg[sizeof(caps->cap[0].msg)];
		int ok;

		sw_ipv6_probe(&v6);
		ok = sw_ipv6_decide(&v6, msg, sizeof(msg)) == SW_IPV6_OK;
		set(&caps->cap[SW_CAP_IPV6], "IPv6", ok, "%s", msg);
	}

	for (i = 0; i < SW_CAP_COUNT; i++)
		caps->missing += !caps->cap[i].ok;
	return caps->missing;
}

void sw_caps_print(const struct sw_caps *caps, FILE *f)
{
	int i;

	for (i = 0; i < SW_CAP_COUNT; i++)
		fprintf(f, "  %-8s %s: %s\n",
			caps->cap[i].ok ? "ok" : "MISSING", caps->cap[i].name,
			caps->cap[i].msg);
}
