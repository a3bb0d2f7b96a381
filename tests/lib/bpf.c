// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The synwall object under test: load, run, and its maps. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "swt.h"
#include "synwall.skel.h"

/*
 * The object calls these kfuncs; a kernel without one cannot load it at
 * all (Linux < 6.9 lacks the handoff, < 6.2 the two casts).  A suite that
 * loads the object then has nothing to test there: it says so with one
 * SKIP line naming the kernel and the kfunc, and exits 0.
 */
static const char *const swt_kfuncs[] = {
	"bpf_sk_assign_tcp_reqsk", /* 6.9 */
	"bpf_cast_to_kern_ctx",	   /* 6.2 */
	"bpf_rdonly_cast",	   /* 6.2 */
};

/* Is name one of the comma-separated words of list? */
static bool swt_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return true;
	return false;
}

const char *swt_missing_kfunc(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	const char *hide = getenv("SYNWALL_TEST_HIDE_KFUNC");
	const char *missing = NULL;
	size_t i;

	if (!vmlinux)
		return NULL; /* let the load fail and say why */
	for (i = 0; i < sizeof(swt_kfuncs) / sizeof(swt_kfuncs[0]); i++) {
		bool hidden = hide && swt_in_list(hide, swt_kfuncs[i]);

		if (hidden || btf__find_by_name_kind(vmlinux, swt_kfuncs[i],
						     BTF_KIND_FUNC) <= 0) {
			missing = swt_kfuncs[i];
			break;
		}
	}
	btf__free(vmlinux);
	return missing;
}

void swt_skip_without_kfuncs(void)
{
	const char *missing = swt_missing_kfunc();
	struct utsname u;

	if (!missing)
		return;
	uname(&u);
	printf("SKIP: %s: this kernel (%s) lacks the kfunc %s, so "
	       "the synwall object cannot load (Linux >= 6.9)\n",
	       program_invocation_short_name, u.release, missing);
	exit(0);
}

int swt_env_open(struct swt_env *e, char *err, size_t errlen)
{
	struct bpf_map *map;
	int ret;

	memset(e, 0, sizeof(*e));
	swt_skip_without_kfuncs();
	e->ncpus = libbpf_num_possible_cpus();
	if (e->ncpus <= 0) {
		snprintf(err, errlen, "libbpf_num_possible_cpus: %d", e->ncpus);
		return -1;
	}
	e->skel = synwall__open();
	if (!e->skel) {
		snprintf(err, errlen, "synwall__open: %s", strerror(errno));
		return -1;
	}
	/*
	 * The maps are declared LIBBPF_PIN_BY_NAME for the loader; a test
	 * must neither reuse a running instance's maps nor leave pins.
	 */
	bpf_object__for_each_map(map, e->skel->obj)
		bpf_map__set_pin_path(map, NULL);
	ret = synwall__load(e->skel);
	if (ret) {
		snprintf(err, errlen, "synwall__load: %s", strerror(-ret));
		synwall__destroy(e->skel);
		e->skel = NULL;
		return -1;
	}
	e->xdp_fd = bpf_program__fd(e->skel->progs.synwall_xdp);
	e->tc_fd = bpf_program__fd(e->skel->progs.synwall_tc);
	e->config_fd = bpf_map__fd(e->skel->maps.config);
	e->ports_fd = bpf_map__fd(e->skel->maps.ports);
	e->keys_fd = bpf_map__fd(e->skel->maps.keys);
	e->stats_fd = bpf_map__fd(e->skel->maps.stats);
	e->dp_state_fd = bpf_map__fd(e->skel->maps.dp_state);
	return 0;
}

void swt_env_close(struct swt_env *e)
{
	if (e->skel)
		synwall__destroy(e->skel);
	memset(e, 0, sizeof(*e));
}

int swt_dp_flags_write(const struct swt_env *e, __u32 flags)
{
	struct synwall_dp_state dp = {.flags = flags};
	__u32 k = 0;

	return bpf_map_update_elem(e->dp_state_fd, &k, &dp, BPF_ANY) ? -errno :
								       0;
}

int swt_config_write(const struct swt_env *e, const struct synwall_config *c)
{
	struct synwall_config w = *c;
	__u32 k = 0;

	/* the suites assume a cookie for every SYN unless they ask for
	 * flood mode (SYNWALL_COOKIES_FLOOD) explicitly */
	if (!w.cookies)
		w.cookies = SYNWALL_COOKIES_ALWAYS;
	return bpf_map_update_elem(e->config_fd, &k, &w, BPF_ANY) ? -errno : 0;
}

int swt_config_read(const struct swt_env *e, struct synwall_config *c)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(e->config_fd, &k, c) ? -errno : 0;
}

int swt_ports_clear(const struct swt_env *e)
{
	__u64 zero = 0;
	__u32 k;

	for (k = 0; k < SYNWALL_PORT_WORDS; k++)
		if (bpf_map_update_elem(e->ports_fd, &k, &zero, BPF_ANY))
			return -errno;
	return 0;
}

int swt_port_set(const struct swt_env *e, __u16 port, bool on)
{
	__u32 k = port / 64;
	__u64 w;

	if (bpf_map_lookup_elem(e->ports_fd, &k, &w))
		return -errno;
	if (on)
		w |= 1ull << (port % 64);
	else
		w &= ~(1ull << (port % 64));
	return bpf_map_update_elem(e->ports_fd, &k, &w, BPF_ANY) ? -errno : 0;
}

int swt_keys_write(const struct swt_env *e, const struct synwall_keys *keys)
{
	__u32 k = 0;

	return bpf_map_update_elem(e->keys_fd, &k, keys, BPF_ANY) ? -errno : 0;
}

/*
 * The stats map's value size: sizeof(struct synwall_stats), or less for
 * an older object (bench variants): per-CPU values are that far apart.
 */
static size_t stats_value_size(const struct swt_env *e)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(e->stats_fd, &info, &len) ||
	    !info.value_size || info.value_size > sizeof(struct synwall_stats))
		return sizeof(struct synwall_stats);
	return (info.value_size + 7) & ~7u;
}

int swt_stats_read(const struct swt_env *e, struct synwall_stats *s)
{
	size_t vs = stats_value_size(e), nw = vs / sizeof(__u64), i;
	__u64 *all, *sum = (__u64 *)s;
	__u32 k = 0;
	int cpu, ret = 0;

	all = calloc(e->ncpus, sizeof(*s));
	if (!all)
		return -ENOMEM;
	if (bpf_map_lookup_elem(e->stats_fd, &k, all)) {
		ret = -errno;
		goto out;
	}
	memset(s, 0, sizeof(*s));
	for (cpu = 0; cpu < e->ncpus; cpu++)
		for (i = 0; i < nw; i++)
			sum[i] += all[cpu * nw + i];
out:
	free(all);
	return ret;
}

int swt_stats_zero(const struct swt_env *e)
{
	void *all = calloc(e->ncpus, sizeof(struct synwall_stats));
	__u32 k = 0;
	int ret;

	if (!all)
		return -ENOMEM;
	ret = bpf_map_update_elem(e->stats_fd, &k, all, BPF_ANY) ? -errno : 0;
	free(all);
	return ret;
}

#define F(x, help) {#x, offsetof(struct synwall_stats, x)},
const struct swt_stat_field swt_stat_fields[] = {SYNWALL_COUNTERS(F)};
#undef F
const size_t swt_nstat_fields =
	sizeof(swt_stat_fields) / sizeof(swt_stat_fields[0]);

_Static_assert(sizeof(swt_stat_fields) / sizeof(swt_stat_fields[0]) ==
		       sizeof(struct synwall_stats) / sizeof(__u64),
	       "swt_stat_fields does not list every synwall_stats field");

const char *swt_stat_name(size_t off)
{
	size_t i;

	for (i = 0; i < swt_nstat_fields; i++)
		if (swt_stat_fields[i].off == off)
			return swt_stat_fields[i].name;
	return "?";
}

__u64 swt_stat_get(const struct synwall_stats *s, size_t off)
{
	__u64 v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

int swt_stats_check_one(const struct synwall_stats *before,
			const struct synwall_stats *after, size_t off,
			char *why, size_t n)
{
	size_t i, used = 0;
	int bad = 0;

	if (n)
		why[0] = 0;
	for (i = 0; i < swt_nstat_fields; i++) {
		size_t o = swt_stat_fields[i].off;
		__u64 d = swt_stat_get(after, o) - swt_stat_get(before, o);

		if (d == (o == off ? 1u : 0u))
			continue;
		bad = 1;
		if (used < n)
			used += snprintf(why + used, n - used, "%s%s %+lld%s",
					 used ? ", " : "",
					 swt_stat_fields[i].name, (long long)d,
					 o == off ? " (want +1)" : "");
	}
	return bad;
}

__u32 swt_test_ifindex;

__u32 swt_ifindex(__u32 ifindex)
{
	return ifindex ? ifindex : swt_test_ifindex;
}

int swt_xdp_run(int prog_fd, const void *pkt, size_t len, __u32 ifindex,
		struct swt_xdp_out *o)
{
	struct xdp_md ctx_in = {
		.data = 0,
		.data_meta = 0,
		.data_end = (__u32)len,
		.ingress_ifindex = swt_ifindex(ifindex),
	};
	struct xdp_md ctx_out = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt,
		    .data_size_in = (__u32)len, .data_out = o->buf,
		    .data_size_out = sizeof(o->buf), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	memset(o->buf, 0, sizeof(o->buf));
	o->verdict = ~0u;
	o->meta_len = 0;
	o->len = 0;
	o->err = bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
	if (o->err)
		return o->err;
	/*
	 * The kernel copies out from data_meta (net/bpf/test_run.c): the
	 * output is metadata then packet, and ctx_out.data is where the
	 * packet starts in it.
	 */
	o->verdict = opts.retval;
	o->meta_len = ctx_out.data;
	if (ctx_out.data > opts.data_size_out ||
	    ctx_out.data_end != opts.data_size_out) {
		o->err = -EPROTO;
		return o->err;
	}
	o->len = opts.data_size_out - ctx_out.data;
	return 0;
}

const char *swt_xdp_verdict_name(__u32 v)
{
	static const char *const names[] = {"XDP_ABORTED", "XDP_DROP",
					    "XDP_PASS", "XDP_TX",
					    "XDP_REDIRECT"};

	return v < 5 ? names[v] : "XDP_?";
}

int swt_iter_run(struct bpf_program *prog)
{
	struct bpf_link *l = bpf_program__attach_iter(prog, NULL);
	char buf[64];
	int fd, e = 0;

	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0)
		e = -errno;
	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l);
	return e;
}

void swt_sysctl_ipv4(const char *name, const char *value)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "we");
	if (f) {
		fputs(value, f);
		fclose(f);
	}
}

int swt_netns_private(char *err, size_t errlen)
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	if (unshare(CLONE_NEWNET)) {
		snprintf(err, errlen, "unshare(CLONE_NEWNET): %s",
			 strerror(errno));
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -1;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -1;
	}
	if (ret)
		snprintf(err, errlen, "bring lo up: %s", strerror(errno));
	close(fd);
	if (ret)
		return ret;
	/*
	 * The server's device: swt_pkt_init()'s frames are addressed to it
	 * (MAC, IPv4 /24 and IPv6 /64), so that the data path, which answers
	 * only what the kernel would deliver locally, takes them as its own.
	 * A veth is up only with its peer up; no link-local addresses.
	 */
	if (system("ip link add " SWT_TEST_DEV " address " SWT_TEST_MAC
		   " type veth peer name " SWT_TEST_DEV "p address "
		   "02:00:00:00:00:01 &&"
		   " ip link set " SWT_TEST_DEV " addrgenmode none &&"
		   " ip link set " SWT_TEST_DEV "p addrgenmode none &&"
		   " ip link set " SWT_TEST_DEV
		   "p up && ip link set " SWT_TEST_DEV " up &&"
		   " ip addr add " SWT_TEST_IP4 "/24 dev " SWT_TEST_DEV " &&"
		   " ip addr add " SWT_TEST_IP6 "/64 dev " SWT_TEST_DEV
		   " nodad &&"
		   " ip addr add " SWT_TEST_IP4B "/24 dev " SWT_TEST_DEV " &&"
		   " ip addr add " SWT_TEST_IP6B "/64 dev " SWT_TEST_DEV
		   " nodad") != 0) {
		snprintf(err, errlen,
			 "test device " SWT_TEST_DEV ": ip link/addr failed");
		return -1;
	}
	swt_test_ifindex = if_nametoindex(SWT_TEST_DEV);
	if (!swt_test_ifindex) {
		snprintf(err, errlen, "if_nametoindex(" SWT_TEST_DEV "): %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int swt_listen_any(__u16 port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6,
				 .sin6_port = htons(port),
				 .sin6_addr = IN6ADDR_ANY_INIT};
	int fd, zero = 0, one = 1;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int swt_suite_env(struct swt_env *e, const char *suite, const __u16 *ports,
		  size_t nports)
{
	char err[512];
	size_t i;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (swt_netns_private(err, sizeof(err)))
		fprintf(stderr, "%s: %s; staying in this namespace\n", suite,
			err);
	if (swt_env_open(e, err, sizeof(err))) {
		printf("FAIL: setup: load: %s\n", err);
		return 1;
	}
	/* the server: synwall answers SYNs only where something listens */
	for (i = 0; i < nports; i++) {
		fd = swt_listen_any(ports[i]);
		if (fd < 0) {
			printf("FAIL: setup: listen on port %u: %s\n", ports[i],
			       strerror(-fd));
			swt_env_close(e);
			return 1;
		}
	}
	return 0;
}

void swt_conn_close(struct swt_conn *c)
{
	if (c->afd >= 0)
		close(c->afd);
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->lfd >= 0)
		close(c->lfd);
	c->lfd = c->cfd = c->afd = -1;
}

int swt_conn_open(bool v6, bool connect_it, struct swt_conn *c)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = v6 ? sizeof(*s6) : sizeof(*s4);
	int fam = v6 ? AF_INET6 : AF_INET, err;

	c->lfd = c->cfd = c->afd = -1;
	if (v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	c->lfd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&ss, sl) ||
	    listen(c->lfd, 8) ||
	    getsockname(c->lfd, (struct sockaddr *)&ss, &sl))
		goto err;
	c->lport = ntohs(v6 ? s6->sin6_port : s4->sin_port);
	if (!connect_it)
		return 0;
	c->cfd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->cfd < 0 || connect(c->cfd, (struct sockaddr *)&ss, sl))
		goto err;
	c->afd = accept(c->lfd, NULL, NULL);
	sl = sizeof(ss);
	if (c->afd < 0 || getsockname(c->cfd, (struct sockaddr *)&ss, &sl))
		goto err;
	c->cport = ntohs(v6 ? s6->sin6_port : s4->sin_port);
	return 0;
err:
	err = -errno;
	swt_conn_close(c);
	return err;
}

void swt_pkt_loopback(struct swt_pkt *p, bool v6, __u16 sport, __u16 dport)
{
	swt_pkt_init(p, v6);
	/* lo's MAC address is all zeros */
	memset(p->dmac, 0, 6);
	memset(p->smac, 0, 6);
	memset(p->saddr, 0, 16);
	memset(p->daddr, 0, 16);
	if (v6) {
		p->saddr[15] = p->daddr[15] = 1;
	} else {
		p->saddr[0] = p->daddr[0] = 127;
		p->saddr[3] = p->daddr[3] = 1;
	}
	p->sport = sport;
	p->dport = dport;
	p->seq = 0x01000000;
	p->ack = 0x02000000; /* not a cookie */
	p->flags = SWT_TCP_ACK;
}
