// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Degraded mode: the loader's part.  See compat.h and docs/degraded.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <synwall/compat.h>

#include "caps.h"
#include "compat.h"
#include "log.h"

int sw_datapath_parse(const char *s, enum sw_datapath *out)
{
	if (!strcmp(s, "auto"))
		*out = SW_DATAPATH_AUTO;
	else if (!strcmp(s, "full"))
		*out = SW_DATAPATH_FULL;
	else if (!strcmp(s, "degraded"))
		*out = SW_DATAPATH_DEGRADED;
	else
		return -1;
	return 0;
}

int sw_compat_check(bool force)
{
	long v;
	int hard = 0;

	if (sw_sysctl_read("net.ipv4.tcp_syncookies", &v) || v != 2) {
		/* only then does every SYN the kernel answers renew the
		 * listener's overflow mark, without which it refuses the
		 * cookies synwall sends for it after two minutes */
		if (force) {
			sw_warn("degraded mode: net.ipv4.tcp_syncookies is not "
				"2 (--force: going on; the kernel will refuse "
				"synwall's cookies two minutes after a "
				"listener's last SYN-queue overflow)");
		} else {
			sw_err("degraded mode needs net.ipv4.tcp_syncookies=2 "
			       "in this network namespace (it is %ld): the "
			       "kernel accepts a cookie only while the "
			       "listener's SYN queue overflowed in the last "
			       "two minutes, and only with 2 does every SYN "
			       "it answers itself renew that mark; fix: "
			       "sysctl -w net.ipv4.tcp_syncookies=2 (the "
			       "kernel then answers every SYN it sees with a "
			       "cookie, on every port)",
			       v);
			hard++;
		}
	}
	if (sw_sysctl_read("net.ipv4.tcp_timestamps", &v) == 0 && v != 2)
		sw_warn("degraded mode: net.ipv4.tcp_timestamps=%ld: %s", v,
			v == 1 ? "the kernel offsets each flow's timestamps "
				 "with a secret BPF cannot read, so synwall's "
				 "SYN-ACKs carry no timestamp and so no window "
				 "scale, SACK or ECN; with "
				 "net.ipv4.tcp_timestamps=2 (no per-flow "
				 "offset) they keep all three" :
				 "no timestamps, so no window scale, SACK or "
				 "ECN in synwall's SYN-ACKs");
	return hard;
}

static int run_jiffies(int fd, __u32 *j, struct timespec *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	int err;

	err = bpf_prog_test_run_opts(fd, &o);
	clock_gettime(CLOCK_MONOTONIC, t);
	if (err)
		return -errno;
	*j = o.retval;
	return 0;
}

int sw_compat_hz(struct bpf_object *obj, __u32 *hz)
{
	static const __u32 known[] = {100, 250, 300, 1000};
	struct bpf_program *p;
	struct timespec t0, t1;
	__u32 j0, j1, best = 0, i;
	double dt, rate;
	int fd, err;

	p = bpf_object__find_program_by_name(obj, "synwall_jiffies");
	fd = p ? bpf_program__fd(p) : -1;
	if (fd < 0) {
		sw_err("degraded mode: the object has no loaded "
		       "synwall_jiffies program (a build mismatch?)");
		return -1;
	}
	err = run_jiffies(fd, &j0, &t0);
	if (!err) {
		usleep(200 * 1000);
		err = run_jiffies(fd, &j1, &t1);
	}
	if (err) {
		sw_err("degraded mode: cannot run synwall_jiffies to measure "
		       "HZ: %s",
		       strerror(-err));
		return -1;
	}
	dt = (double)(t1.tv_sec - t0.tv_sec) +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	rate = (double)(j1 - j0) / dt;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!best || (rate - known[i]) * (rate - known[i]) <
				     (rate - best) * (rate - best))
			best = known[i];
	if (rate < best * 0.9 || rate > best * 1.1) {
		sw_warn("degraded mode: jiffies advance %.0f per second, not a "
			"usual HZ: using %.0f",
			rate, rate);
		best = (__u32)(rate + 0.5);
	}
	if (!best) {
		sw_err("degraded mode: jiffies do not advance");
		return -1;
	}
	*hz = best;
	return 0;
}

static int map_fd(const char *dir, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

bool sw_compat_pinned(const char *dir)
{
	int fd = map_fd(dir, SYNWALL_MAP_COMPAT);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int read_mac(const char *ifname, __u8 *mac)
{
	struct ifreq r;
	int s, err = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&r, 0, sizeof(r));
	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFHWADDR, &r) < 0)
		err = -errno;
	else
		memcpy(mac, r.ifr_hwaddr.sa_data, 6);
	close(s);
	return err;
}

struct laddr {
	struct synwall_laddr_key k;
	__u32 flags;
};

static int laddr_add(struct laddr *v, int n, int max,
		     const struct synwall_laddr_key *k, __u32 flags)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(&v[i].k, k, sizeof(*k))) {
			v[i].flags |= flags;
			return n;
		}
	if (n >= max)
		return n;
	v[n].k = *k;
	v[n].flags = flags;
	return n + 1;
}

/*
 * Every address of the namespace, as the kernel's local table has them:
 * unicast addresses of every device (weak host), and for IPv4 each
 * device's broadcast (explicit, and prefix|~mask below /31, as
 * fib_add_ifaddr() installs it).
 */
static int collect(struct laddr *v, int max)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		struct synwall_laddr_key k;

		if (!i->ifa_addr)
			continue;
		memset(&k, 0, sizeof(k));
		if (i->ifa_addr->sa_family == AF_INET) {
			__u32 a = ((struct sockaddr_in *)i->ifa_addr)
					  ->sin_addr.s_addr,
			      m = i->ifa_netmask ?
					  ((struct sockaddr_in *)i->ifa_netmask)
						  ->sin_addr.s_addr :
					  0xffffffff;

			k.addr[0] = a;
			n = laddr_add(v, n, max, &k, SYNWALL_LA_LOCAL);
			if ((i->ifa_flags & IFF_BROADCAST) &&
			    i->ifa_broadaddr) {
				k.addr[0] =
					((struct sockaddr_in *)i->ifa_broadaddr)
						->sin_addr.s_addr;
				/* glibc reports the address itself when
				 * the kernel gave no IFA_BROADCAST */
				if (k.addr[0] && k.addr[0] != a)
					n = laddr_add(v, n, max, &k,
						      SYNWALL_LA_BCAST);
			}
			if (ntohl(m) < 0xfffffffe) {
				k.addr[0] = (a & m) | ~m;
				n = laddr_add(v, n, max, &k, SYNWALL_LA_BCAST);
			}
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			k.v6 = 1;
			memcpy(k.addr,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
			n = laddr_add(v, n, max, &k, SYNWALL_LA_LOCAL);
		}
	}
	freeifaddrs(ifa);
	return n;
}

static int write_addrs(int fd, int *count)
{
	static struct laddr v[SYNWALL_LOCAL_ADDRS_MAX];
	struct synwall_laddr_key cur, next;
	int n, i, j, have = 0;

	n = collect(v, SYNWALL_LOCAL_ADDRS_MAX);
	if (n < 0)
		return n;
	/* add first, then remove what is gone: an address that stays is
	 * never missing for a moment */
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &v[i].k, &v[i].flags, BPF_ANY))
			return -errno;
	while (bpf_map_get_next_key(fd, have ? &cur : NULL, &next) == 0) {
		bool keep = false;

		for (j = 0; j < n && !keep; j++)
			keep = !memcmp(&v[j].k, &next, sizeof(next));
		if (!keep && bpf_map_delete_elem(fd, &next) == 0)
			continue; /* the walk restarts from cur */
		cur = next;
		have = 1;
	}
	*count = n;
	return 0;
}

/*
 * net.core.rmem_max is one value for the whole host, but some kernels
 * show it only in the initial network namespace (6.1 does, 6.18 shows it
 * everywhere): read it there, entering only that namespace, and come back.
 * 0 if it cannot be read; -1 if this thread could not return to its
 * namespace (the caller must stop).
 */
static long rmem_max_global(void)
{
	long v = 0, r = 0;
	int self, init;

	if (sw_sysctl_read("net.core.rmem_max", &v) == 0)
		return v;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	init = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
	if (self >= 0 && init >= 0 && setns(init, CLONE_NEWNET) == 0) {
		if (sw_sysctl_read("net.core.rmem_max", &v) == 0)
			r = v;
		if (setns(self, CLONE_NEWNET)) {
			sw_err("cannot return to the interface's network "
			       "namespace: %s",
			       strerror(errno));
			r = -1;
		}
	}
	if (self >= 0)
		close(self);
	if (init >= 0)
		close(init);
	return r;
}

int sw_compat_write(const char *dir, const char *ifname, __u32 hz)
{
	struct synwall_compat_cfg c;
	int cfd, afd, err, n = 0;
	__u32 k = 0;
	long rmem;

	cfd = map_fd(dir, SYNWALL_MAP_COMPAT);
	afd = map_fd(dir, SYNWALL_MAP_LOCAL_ADDRS);
	if (cfd < 0 || afd < 0) {
		sw_err("degraded mode: the maps %s and %s are not pinned in "
		       "%s",
		       SYNWALL_MAP_COMPAT, SYNWALL_MAP_LOCAL_ADDRS, dir);
		err = -1;
		goto out;
	}
	if (bpf_map_lookup_elem(cfd, &k, &c))
		memset(&c, 0, sizeof(c));
	err = read_mac(ifname, c.mac);
	if (err) {
		sw_err("degraded mode: cannot read the MAC address of %s: %s",
		       ifname, strerror(-err));
		goto out;
	}
	if (hz)
		c.hz = hz;
	rmem = rmem_max_global();
	if (rmem < 0) {
		err = -1;
		goto out;
	}
	if (rmem > 0)
		c.rmem_max = (__u32)rmem;
	else
		sw_warn("degraded mode: cannot read net.core.rmem_max: the "
			"window scale assumes it is below tcp_rmem[2]");
	if (!c.refresh_s)
		c.refresh_s = SYNWALL_COMPAT_REFRESH_DEFAULT;
	err = write_addrs(afd, &n);
	if (err) {
		sw_err("degraded mode: cannot write the local addresses: %s",
		       strerror(-err));
		goto out;
	}
	c.generation++;
	if (bpf_map_update_elem(cfd, &k, &c, BPF_ANY)) {
		err = -errno;
		sw_err("degraded mode: cannot write the compat map: %s",
		       strerror(-err));
		goto out;
	}
	sw_dbg("degraded mode: %d local addresses, HZ %u, rmem_max %u", n, c.hz,
	       c.rmem_max);
out:
	if (cfd >= 0)
		close(cfd);
	if (afd >= 0)
		close(afd);
	return err ? -1 : 0;
}

void sw_compat_print(const char *dir, FILE *f, const char *indent)
{
	struct synwall_laddr_key cur, next;
	struct synwall_compat_cfg c;
	int cfd, afd, n = 0;
	long sc = -1, ts = -1;
	__u32 k = 0;

	cfd = map_fd(dir, SYNWALL_MAP_COMPAT);
	afd = map_fd(dir, SYNWALL_MAP_LOCAL_ADDRS);
	if (cfd < 0 || bpf_map_lookup_elem(cfd, &k, &c))
		memset(&c, 0, sizeof(c));
	while (afd >= 0 &&
	       bpf_map_get_next_key(afd, n ? &cur : NULL, &next) == 0) {
		cur = next;
		n++;
	}
	sw_sysctl_read("net.ipv4.tcp_syncookies", &sc);
	sw_sysctl_read("net.ipv4.tcp_timestamps", &ts);
	fprintf(f,
		"%sdatapath: DEGRADED (docs/degraded.md): SYN-ACKs from XDP "
		"carry the kernel's own cookie; forged ACKs are dropped in "
		"XDP; valid ones go to the kernel, whose cookie check makes "
		"the socket (no TC program)\n",
		indent);
	fprintf(f,
		"%s  lost:   the MSS is the kernel's 4-entry table (IPv4 "
		"536/1300/1440/1460, IPv6 1220/1420/1440/8940: a 1260 client "
		"gets 536);\n"
		"%s          no fleet keys, no rotation (the secret is this "
		"kernel's; the keys map is unused);\n"
		"%s          window scale, SACK and ECN only with timestamps, "
		"and timestamps only with net.ipv4.tcp_timestamps=2 (now "
		"%ld%s);\n"
		"%s          every SYN is answered (no flood detection, "
		"--cookies ignored: with tcp_syncookies=2 the kernel answers "
		"with a cookie too), no TCP Fast Open;\n"
		"%s          local addresses are the loader's snapshot, not "
		"live (%d; synwall config %s rereads them)\n",
		indent, indent, indent, ts,
		ts == 2 ? "" : ": SYN-ACKs carry no timestamp", indent, indent,
		n, "IFACE");
	fprintf(f,
		"%s  kept:   the verdicts of docs/datapath.md (only local "
		"destinations, listeners only, sockets untouched); a "
		"listener's cookie mark is renewed by one SYN to the kernel "
		"when it is older than %u s\n",
		indent,
		c.refresh_s ? c.refresh_s : SYNWALL_COMPAT_REFRESH_DEFAULT);
	fprintf(f,
		"%s  kernel: HZ %u (measured), net.core.rmem_max %u, "
		"net.ipv4.tcp_syncookies %ld%s\n",
		indent, c.hz, c.rmem_max, sc,
		sc == 2 ? "" :
			  " (NOT 2: the kernel refuses synwall's cookies two "
			  "minutes after a listener's last overflow; fix: "
			  "sysctl -w net.ipv4.tcp_syncookies=2)");
	if (cfd >= 0)
		close(cfd);
	if (afd >= 0)
		close(afd);
}
