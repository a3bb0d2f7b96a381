// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of synwall's XDP program, and of the peer XDP SYN proxy
 * (the kernel's BPF selftest xdp_synproxy_kern.c, built by bench/peer.sh),
 * with BPF_PROG_TEST_RUN.
 *
 * Method (see ../shared/DESIGN.md): test_run with repeat > 1 re-runs the
 * program on the buffer it just rewrote, so a SYN would be timed as a
 * SYN-ACK from the second iteration on.  Every packet class is therefore
 * timed with repeat = 1 per call, averaging the kernel-measured duration
 * over CALLS calls, minus the same measurement of an empty XDP program
 * (the fixed cost of one test run), taken in the same run.  Each class:
 * RUNS runs, min and median reported; RUNS * CALLS >= 1,000,000 packets
 * per program.  The runs of synwall and of the peer are interleaved, so
 * that a slow phase of the machine hits both.
 *
 * Cross-checks:
 * - "repeat": classes that leave the packet unchanged (invalid ACK,
 *   established ACK, non-TCP) are also timed with one call of
 *   repeat = CALLS, minus the empty program the same way.
 * - "live": BPF_F_TEST_XDP_LIVE_FRAMES with repeat == batch_size (64), so
 *   that every iteration gets a freshly initialised page (the page pool
 *   recycles pages without rewriting them).  This mode also transmits
 *   (XDP_TX is redirected back to the ingress device, here the test
 *   device SWT_TEST_DEV of tests/lib, or loopback), builds skbs for XDP_PASS and frees XDP_DROP pages, and
 *   allocates the pages inside the timed region; so it subtracts a
 *   baseline program with the same verdict: a MAC-swapping XDP_TX program,
 *   an XDP_DROP program, or the empty XDP_PASS program.
 *
 * Packet classes: SYN v4 and v6 with Linux's options (MSS, SACK-permitted,
 * timestamps, window scale), the valid third ACK of that v4 SYN (each
 * program gets the ACK of its own SYN-ACK), an ACK with a wrong cookie, an
 * ACK of an established loopback connection (synwall finds its socket; the
 * peer, which looks up conntrack instead, finds its conntrack entry: an
 * nftables rule in the private namespace turns conntrack on), and UDP.
 * Every class is checked (verdict, counter) before and after it is timed.
 *
 * The peer is configured as its user-space tool xdp_synproxy.c would do
 * with --ports 80 --mss4 1460 --mss6 1440 --wscale 7 --ttl 64: map
 * "values"[0] = tcpipopts, "allowed_ports" = {80, 0}.  It verifies the
 * checksums of a SYN (synwall does not: see docs/datapath.md); the
 * packets here carry correct checksums, so it takes its full SYN path.
 *
 * Usage: bench_xdp [--calls N] [--runs N] [--live-calls N] [--batch N]
 *                  [--peer OBJ] [--csv]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <synwall/abi.h>
#include <synwall/compat.h>
#include <synwall/cookie.h>
#include "swt.h"
#include "synwall.skel.h"

#define FIXED_TIME 1800000000u
#define SERVER_PORT 80
#define MAXRUNS 64

static int calls = 200000;
static struct bpf_object *g_obj;  /* --obj: the object opened */
static int compat;		  /* --compat: the degraded object */
static int compat_ls, compat_ls6; /* the listeners of make_established() */
/* --cookies flood: SYNs take the pass-through path */
static int pass_through;
static struct synwall_config *g_cfg;
static struct swt_env *g_env;
static int fixed_clock; /* --clock fixed: the config's test clock hook */
static int runs = 5;
static int live_calls = 4000;
static int batch = 64;

/*
 * test_run with repeat > 1 (and so every live-frames call) adds the
 * program to the XDP dispatcher and removes it afterwards: two
 * synchronize_rcu() per call, milliseconds on a busy machine.  A program
 * that is attached to a device stays in the dispatcher, so the calls
 * leave it alone: hold() attaches the program about to be timed to a veth
 * of the private namespace (0 if there is none).
 */
static int hold_ifindex;

static void hold(int fd)
{
	if (hold_ifindex &&
	    bpf_xdp_attach(hold_ifindex, fd, XDP_FLAGS_DRV_MODE, NULL))
		hold_ifindex = 0; /* slow but correct without it */
}

static void hold_setup(void)
{
	if (system("ip link add swbl0 type veth peer name swbl1 2>/dev/null &&"
		   " ip link set swbl0 up && ip link set swbl1 up"))
		return;
	hold_ifindex = if_nametoindex("swbl0");
}

/* Average ns per program run over n calls of repeat = 1. */
static double time_calls(int fd, const void *pkt, size_t len, __u32 ifindex,
			 int n)
{
	static __u8 out[SWT_PKT_MAX];
	struct xdp_md ctx = {.data_end = len,
			     .ingress_ifindex = swt_ifindex(ifindex)};
	unsigned long long total = 0;
	int i;

	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);

		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
		if (bpf_prog_test_run_opts(fd, &o)) {
			fprintf(stderr, "test_run: %s\n", strerror(errno));
			exit(1);
		}
		total += o.duration;
	}
	return (double)total / n;
}

/* ns per run with repeat = n in one call (only for unmodified packets). */
static double time_repeat(int fd, const void *pkt, size_t len, __u32 ifindex,
			  int n)
{
	static __u8 out[SWT_PKT_MAX];
	struct xdp_md ctx = {.data_end = len,
			     .ingress_ifindex = swt_ifindex(ifindex)};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = n);

	hold(fd);
	o.ctx_in = &ctx;
	o.ctx_size_in = sizeof(ctx);
	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "test_run: %s\n", strerror(errno));
		exit(1);
	}
	return o.duration;
}

/*
 * Average ns per frame over n calls in live-frames mode, each call with
 * repeat == batch_size so that every frame is a fresh copy of pkt.
 */
static double time_live(int fd, const void *pkt, size_t len, __u32 ifindex,
			int n)
{
	struct xdp_md ctx = {.data_end = len,
			     .ingress_ifindex = swt_ifindex(ifindex)};
	unsigned long long total = 0;
	int i;

	hold(fd);
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = len, .repeat = batch,
			    .batch_size = batch,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
		if (bpf_prog_test_run_opts(fd, &o)) {
			fprintf(stderr, "test_run (live frames): %s\n",
				strerror(errno));
			exit(1);
		}
		total += o.duration;
	}
	return (double)total / n;
}

/* ---- baseline programs, as raw instructions ----------------------------- */

#define INSN(c, d, s, o, i)                \
	((struct bpf_insn){.code = (c),    \
			   .dst_reg = (d), \
			   .src_reg = (s), \
			   .off = (o),     \
			   .imm = (i)})
#define MOV_K(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_K(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define JGT_X(d, s, o) INSN(BPF_JMP | BPF_JGT | BPF_X, d, s, o, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int load_insns(const char *name, const struct bpf_insn *insns, int n)
{
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, n, NULL);

	if (fd < 0) {
		fprintf(stderr, "load %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return fd;
}

/* return verdict; nothing else */
static int load_const_prog(const char *name, int verdict)
{
	struct bpf_insn insns[] = {MOV_K(BPF_REG_0, verdict), EXIT()};

	return load_insns(name, insns, 2);
}

/* swap the Ethernet addresses, XDP_TX (XDP_DROP if shorter than 12 bytes) */
static int load_macswap_prog(void)
{
	struct bpf_insn insns[] = {
		LDX(BPF_W, BPF_REG_2, BPF_REG_1, 0), /* data */
		LDX(BPF_W, BPF_REG_3, BPF_REG_1, 4), /* data_end */
		MOV_X(BPF_REG_4, BPF_REG_2),
		ADD_K(BPF_REG_4, 12),
		MOV_K(BPF_REG_0, XDP_DROP),
		JGT_X(BPF_REG_4, BPF_REG_3, 9),
		LDX(BPF_W, BPF_REG_4, BPF_REG_2, 0),
		LDX(BPF_H, BPF_REG_5, BPF_REG_2, 4),
		LDX(BPF_W, BPF_REG_6, BPF_REG_2, 6),
		LDX(BPF_H, BPF_REG_7, BPF_REG_2, 10),
		STX(BPF_W, BPF_REG_2, BPF_REG_6, 0),
		STX(BPF_H, BPF_REG_2, BPF_REG_7, 4),
		STX(BPF_W, BPF_REG_2, BPF_REG_4, 6),
		STX(BPF_H, BPF_REG_2, BPF_REG_5, 10),
		MOV_K(BPF_REG_0, XDP_TX),
		EXIT(),
	};

	return load_insns("sw_macswap", insns,
			  sizeof(insns) / sizeof(insns[0]));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- the peer: kernel selftest xdp_synproxy_kern.c ---------------------- */

struct peer {
	struct bpf_object *obj;
	int fd; /* syncookie_xdp */
	int values_fd;
	int ports_fd;
};

static int peer_open(const char *path, struct peer *p)
{
	struct bpf_program *tc, *xdp;
	/* what xdp_synproxy --mss4 1460 --mss6 1440 --wscale 7 --ttl 64 sets */
	__u64 tcpipopts = (1440ULL << 32) | (64 << 24) | (7 << 16) | 1460;
	__u16 port = SERVER_PORT, end = 0;
	__u32 k0 = 0, k1 = 1;
	int err;

	memset(p, 0, sizeof(*p));
	p->obj = bpf_object__open_file(path, NULL);
	if (!p->obj) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}
	tc = bpf_object__find_program_by_name(p->obj, "syncookie_tc");
	if (tc)
		bpf_program__set_autoload(tc, false);
	err = bpf_object__load(p->obj);
	if (err) {
		fprintf(stderr, "load %s: %s\n", path, strerror(-err));
		return -1;
	}
	xdp = bpf_object__find_program_by_name(p->obj, "syncookie_xdp");
	p->fd = xdp ? bpf_program__fd(xdp) : -1;
	p->values_fd = bpf_object__find_map_fd_by_name(p->obj, "values");
	p->ports_fd = bpf_object__find_map_fd_by_name(p->obj, "allowed_ports");
	if (p->fd < 0 || p->values_fd < 0 || p->ports_fd < 0) {
		fprintf(stderr,
			"%s: syncookie_xdp, values or allowed_ports "
			"missing\n",
			path);
		return -1;
	}
	if (bpf_map_update_elem(p->values_fd, &k0, &tcpipopts, BPF_ANY) ||
	    bpf_map_update_elem(p->ports_fd, &k0, &port, BPF_ANY) ||
	    bpf_map_update_elem(p->ports_fd, &k1, &end, BPF_ANY)) {
		fprintf(stderr, "configure the peer: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static __u64 peer_synacks(const struct peer *p)
{
	__u32 k = 1;
	__u64 v = 0;

	bpf_map_lookup_elem(p->values_fd, &k, &v);
	return v;
}

/*
 * Turn conntrack on in this network namespace (a ct expression in an
 * nftables chain registers its hooks), so that the peer's conntrack lookup
 * finds loopback connections made afterwards.  0 on success.
 */
static int conntrack_on(void)
{
	FILE *f = popen("nft -f - 2>/dev/null", "w");

	if (!f)
		return -1;
	fputs("table inet swb_bench {\n"
	      "  chain out { type filter hook output priority 0; policy accept;"
	      " ct state established accept; }\n"
	      "}\n",
	      f);
	return pclose(f) ? -1 : 0;
}

/* ---- packet classes ------------------------------------------------------ */

enum { BASE_PASS, BASE_DROP, BASE_TX };

struct pclass {
	const char *name;
	__u8 pkt[SWT_PKT_MAX];
	size_t len;
	__u32 ifindex;
	__u32 expect;	/* synwall's verdict */
	size_t counter; /* offset in struct synwall_stats */
	int unchanged;	/* program leaves the bytes alone: repeat cross-check */
	/* the peer: its own packet when plen != 0, verdict; na = why not */
	__u8 ppkt[SWT_PKT_MAX];
	size_t plen;
	__u32 pexpect;
	const char *na;
	/* 1: synwall's flow table off for this class (an `ip link` load) */
	int table_off;
	/* 1: the table trusted (every socket in it: a miss skips the socket
	 * lookup), as `synwall attach` leaves it where fentry works */
	int trusted;
	/* 1: a cookie ACK, made anew before it is timed */
	int fresh;
	/* results */
	double sw_min, sw_med, sw_rep, sw_live;
	double p_min, p_med, p_live;
};

/*
 * Listeners on port 80 of every address, IPv4 and IPv6, as a protected
 * server has (so the socket lookups of the SYN and ACK paths find a
 * listener, as they do in production), and a connected TCP pair on
 * loopback; fills the client->server 4-tuple.
 */
static int make_established(struct sockaddr_in *cli, struct sockaddr_in *srv)
{
	struct sockaddr_in any = {.sin_family = AF_INET,
				  .sin_port = htons(SERVER_PORT)};
	struct sockaddr_in6 any6 = {.sin6_family = AF_INET6,
				    .sin6_port = htons(SERVER_PORT)};
	socklen_t sl;
	int ls, ls6, c, a, one = 1;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	ls6 = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(ls6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(ls, (void *)&any, sizeof(any)) || listen(ls, 8) ||
	    bind(ls6, (void *)&any6, sizeof(any6)) || listen(ls6, 8))
		return -1;
	compat_ls = ls;
	compat_ls6 = ls6;
	memset(srv, 0, sizeof(*srv));
	srv->sin_family = AF_INET;
	srv->sin_port = htons(SERVER_PORT);
	srv->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)srv, sizeof(*srv)))
		return -1;
	a = accept(ls, NULL, NULL);
	if (a < 0)
		return -1;
	sl = sizeof(*cli);
	getsockname(c, (void *)cli, &sl);
	return 0;
}

static void build(const char *name, __u8 *buf, size_t *len,
		  const struct swt_pkt *p)
{
	*len = swt_build(p, buf, SWT_PKT_MAX, NULL);
	if (!*len) {
		fprintf(stderr, "%s: packet does not fit\n", name);
		exit(1);
	}
}

/* Offset of the TCP header in a frame without VLAN tags. */
static size_t tcp_off(const __u8 *f)
{
	if (swt_get16(f + 12) == SWT_ETH_P_IPV6)
		return 14 + 40;
	return 14 + (f[14] & 0xf) * 4;
}

/*
 * Run fd on syn and read the SYN-ACK it answers with: its cookie (ISN)
 * and TSval (0 without timestamps).  0 on success.
 */
static int synack_of(const char *who, int fd, const __u8 *syn, size_t len,
		     __u32 *cookie, __u32 *tsval)
{
	static struct swt_xdp_out out;
	const __u8 *f, *t, *o;
	size_t off, optlen, i;

	if (swt_xdp_run(fd, syn, len, 0, &out) || out.verdict != XDP_TX) {
		fprintf(stderr,
			"%s: SYN verdict %s (err %d), expected "
			"XDP_TX\n",
			who, swt_xdp_verdict_name(out.verdict), out.err);
		return -1;
	}
	f = swt_xdp_data(&out);
	off = tcp_off(f);
	t = f + off;
	if (off + 20 > out.len ||
	    (t[13] & 0x3f) != (SWT_TCP_SYN | SWT_TCP_ACK)) {
		fprintf(stderr, "%s: the answer is not a SYN-ACK\n", who);
		return -1;
	}
	*cookie = swt_get32(t + 4);
	*tsval = 0;
	optlen = (t[12] >> 4) * 4 - 20;
	o = t + 20;
	for (i = 0; i < optlen;) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= optlen || o[i + 1] < 2)
			break;
		if (o[i] == 8 && o[i + 1] == 10 && i + 10 <= optlen)
			*tsval = swt_get32(o + i + 2);
		i += o[i + 1];
	}
	return 0;
}

/* Check that each program still does what the class says.  0 if so. */
static int check_class(struct swt_env *env, const struct peer *pe,
		       const struct pclass *c)
{
	struct synwall_stats b, a;
	struct swt_xdp_out out;
	char why[256];

	swt_stats_read(env, &b);
	if (swt_xdp_run(env->xdp_fd, c->pkt, c->len, c->ifindex, &out) ||
	    out.verdict != c->expect) {
		fprintf(stderr, "synwall, %s: verdict %s, expected %s\n",
			c->name, swt_xdp_verdict_name(out.verdict),
			swt_xdp_verdict_name(c->expect));
		return -1;
	}
	swt_stats_read(env, &a);
	if (swt_stats_check_one(&b, &a, c->counter, why, sizeof(why))) {
		fprintf(stderr, "synwall, %s: %s\n", c->name, why);
		return -1;
	}
	if (!pe || c->na)
		return 0;
	if (swt_xdp_run(pe->fd, c->plen ? c->ppkt : c->pkt,
			c->plen ? c->plen : c->len, c->ifindex, &out) ||
	    out.verdict != c->pexpect) {
		fprintf(stderr, "peer, %s: verdict %s, expected %s\n", c->name,
			swt_xdp_verdict_name(out.verdict),
			swt_xdp_verdict_name(c->pexpect));
		return -1;
	}
	return 0;
}

static const char *fmt(char *b, double v)
{
	if (v < -1e8)
		return "-";
	snprintf(b, 16, "%.1f", v);
	return b;
}

/* Open synwall from an object file (a variant) instead of the skeleton. */
static int env_open_obj(struct swt_env *e, const char *path)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	memset(e, 0, sizeof(*e));
	e->ncpus = libbpf_num_possible_cpus();
	obj = bpf_object__open_file(path, NULL);
	g_obj = obj;
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load %s: %s\n", path, strerror(-err));
		return -1;
	}
	prog = bpf_object__find_program_by_name(obj, "synwall_xdp");
	e->xdp_fd = prog ? bpf_program__fd(prog) : -1;
	e->tc_fd = -1;
	e->config_fd = bpf_object__find_map_fd_by_name(obj, "config");
	e->ports_fd = bpf_object__find_map_fd_by_name(obj, "ports");
	e->keys_fd = bpf_object__find_map_fd_by_name(obj, "keys");
	e->stats_fd = bpf_object__find_map_fd_by_name(obj, "stats");
	if (e->xdp_fd < 0 || e->config_fd < 0 || e->ports_fd < 0 ||
	    e->keys_fd < 0 || e->stats_fd < 0) {
		fprintf(stderr, "%s: synwall_xdp or a map is missing\n", path);
		return -1;
	}
	return 0;
}

/* ---- degraded mode (--compat: build/synwall_compat.bpf.o) ------------- */

static void write_sysctl(const char *path, const char *v)
{
	FILE *f = fopen(path, "we");

	if (f) {
		fputs(v, f);
		fclose(f);
	}
}

/*
 * What the loader writes for the degraded object: the frames' MAC, their
 * destination addresses as local, HZ.  The namespace answers with
 * cookies itself (tcp_syncookies=2) and without TS offsets.
 */
static int compat_setup(struct bpf_object *obj, const struct swt_pkt *s4,
			const struct swt_pkt *s6)
{
	struct synwall_compat_cfg c = {.hz = (__u32)sysconf(_SC_CLK_TCK),
				       .refresh_s = SYNWALL_COMPAT_REFRESH_MAX};
	struct synwall_laddr_key k = {};
	int cfd = bpf_object__find_map_fd_by_name(obj, SYNWALL_MAP_COMPAT);
	int afd = bpf_object__find_map_fd_by_name(obj, SYNWALL_MAP_LOCAL_ADDRS);
	struct bpf_program *jp =
		bpf_object__find_program_by_name(obj, "synwall_jiffies");
	__u32 zero = 0, one = SYNWALL_LA_LOCAL, j0, j1;
	LIBBPF_OPTS(bpf_test_run_opts, o);

	if (cfd < 0 || afd < 0 || !jp)
		return -1;
	/* HZ as the loader measures it: jiffies over a known time */
	if (bpf_prog_test_run_opts(bpf_program__fd(jp), &o))
		return -1;
	j0 = o.retval;
	usleep(200000);
	if (bpf_prog_test_run_opts(bpf_program__fd(jp), &o))
		return -1;
	j1 = o.retval;
	c.hz = (j1 - j0) * 5;
	memcpy(c.mac, s4->dmac, 6);
	k.v6 = 0;
	memcpy(k.addr, s4->daddr, 4);
	if (bpf_map_update_elem(afd, &k, &one, BPF_ANY))
		return -1;
	k.v6 = 1;
	memcpy(k.addr, s6->daddr, 16);
	if (bpf_map_update_elem(afd, &k, &one, BPF_ANY))
		return -1;
	write_sysctl("/proc/sys/net/ipv4/tcp_syncookies", "2");
	write_sysctl("/proc/sys/net/ipv4/tcp_timestamps", "2");
	return bpf_map_update_elem(cfd, &zero, &c, BPF_ANY);
}

/* One loopback connect per listener: the kernel answers it with its own
 * cookie, which renews the listener's mark (else the SYNs pass). */
static void compat_renew(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(SERVER_PORT),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(SERVER_PORT),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int c, x;

	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c >= 0 && !connect(c, (void *)&a, sizeof(a))) {
		x = accept(compat_ls, NULL, NULL);
		if (x >= 0)
			close(x);
	}
	if (c >= 0)
		close(c);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	if (c >= 0 && !connect(c, (void *)&a6, sizeof(a6))) {
		x = accept(compat_ls6, NULL, NULL);
		if (x >= 0)
			close(x);
	}
	if (c >= 0)
		close(c);
}

/*
 * synwall's flow table (bpf/flows.h) as `synwall attach` leaves it: on,
 * for this namespace, seeded by the object's own iterator from the
 * sockets that exist (the established loopback connection).  on = 0: as
 * an `ip link` load has it.  -1 if the object has no table (degraded).
 */
static int flow_table(struct bpf_object *obj, int on, int seed, int trusted)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "flow_ctl");
	struct bpf_program *it =
		bpf_object__find_program_by_name(obj, "synwall_flow_seed");
	struct synwall_flow_ctl c = {0};
	struct stat sb;
	__u32 zero = 0;

	if (!m || !it || stat("/proc/self/ns/net", &sb))
		return -1;
	c.netns_ino = (__u32)sb.st_ino;
	c.on = (__u32)on;
	/* trusted, with no kernel cookie in the last 130 s (kcookie_at 0):
	 * a forged ACK is judged on synwall's cookie alone */
	c.trusted = (__u32)trusted;
	if (bpf_map_update_elem(bpf_map__fd(m), &zero, &c, BPF_ANY))
		return -1;
	if (seed && swt_iter_run(it))
		return -1;
	return 0;
}

/* Class keys for --only. */
static const char *const class_keys[] = {
	"syn4", "syn6",	      "ack", "badack", "ack-trusted", "badack-trusted",
	"est",	"est-lookup", "udp", "syn4-trusted", "syn6-trusted"};
#define NCLASSES 11
#define CLASS_EST_LOOKUP 7

/*
 * The valid third ACK of the v4 SYN, for synwall and for the peer, each
 * from the SYN-ACK the program itself answered just now (so that the
 * cookie's epoch is current).  0 on success.
 */
static int make_valid_acks(struct pclass *c, const struct swt_pkt *syn,
			   const struct pclass *syn4, int sw_fd,
			   const struct peer *pe)
{
	struct swt_pkt p;
	__u32 cookie, tsval;
	int r;

	/* pass-through: a SYN-ACK of synwall's own only in always mode */
	if (pass_through) {
		struct synwall_config a = *g_cfg;

		a.cookies = SYNWALL_COOKIES_ALWAYS;
		swt_config_write(g_env, &a);
	}
	r = synack_of("synwall", sw_fd, syn4->pkt, syn4->len, &cookie, &tsval);
	if (pass_through)
		swt_config_write(g_env, g_cfg);
	if (r)
		return -1;
	swt_make_ack(syn, cookie, true, 12346, tsval, &p);
	build(c->name, c->pkt, &c->len, &p);
	if (pe) {
		if (synack_of("peer", pe->fd, syn4->pkt, syn4->len, &cookie,
			      &tsval))
			return -1;
		swt_make_ack(syn, cookie, true, 12346, tsval, &p);
		build(c->name, c->ppkt, &c->plen, &p);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct pclass cls[NCLASSES];
	struct synwall_config cfg = {};
	struct synwall_keys keys = {
		.key = {{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL},
			{0x1716151413121110ULL, 0x1f1e1d1c1b1a1918ULL}},
		.current = 0,
		.generation = 1,
	};
	struct sockaddr_in cli, srv;
	struct swt_env env;
	struct swt_pkt syn, p;
	struct peer peer, *pe = NULL;
	const char *peer_path = NULL, *obj_path = NULL, *only = NULL;
	char err[256];
	int csv = 0, ncls = 0, empty_fd, drop_fd, tx_fd, i, r, opt, ct = -1;
	int want[NCLASSES];
	struct bpf_object *tobj;
	int has_table;
	__u64 p_before;
	const double NA = -1e9;

	static const struct option lo[] = {
		{"calls", required_argument, NULL, 'c'},
		{"runs", required_argument, NULL, 'r'},
		{"live-calls", required_argument, NULL, 'l'},
		{"batch", required_argument, NULL, 'b'},
		{"peer", required_argument, NULL, 'p'},
		{"obj", required_argument, NULL, 'o'},
		{"only", required_argument, NULL, 'O'},
		{"clock", required_argument, NULL, 'k'},
		{"cookies", required_argument, NULL, 'M'},
		{"csv", no_argument, NULL, 'C'},
		{"compat", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{}};
	while ((opt = getopt_long(argc, argv, "c:r:l:b:p:o:O:k:M:CDh", lo,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			calls = atoi(optarg);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'l':
			live_calls = atoi(optarg);
			break;
		case 'b':
			batch = atoi(optarg);
			break;
		case 'p':
			peer_path = optarg;
			break;
		case 'o':
			obj_path = optarg;
			break;
		case 'O':
			only = optarg;
			break;
		case 'k':
			if (strcmp(optarg, "real") && strcmp(optarg, "fixed")) {
				fprintf(stderr, "--clock real|fixed\n");
				return 2;
			}
			fixed_clock = !strcmp(optarg, "fixed");
			break;
		case 'M':
			/* flood: the pass-through path (the detector counts
			 * every SYN but never reaches its threshold) */
			if (!strcmp(optarg, "flood")) {
				cfg.cookies = SYNWALL_COOKIES_FLOOD;
				cfg.flood_on = 100000000;
				pass_through = 1;
			} else if (!strcmp(optarg, "always")) {
				cfg.cookies = SYNWALL_COOKIES_ALWAYS;
			} else {
				fprintf(stderr, "--cookies flood|always\n");
				return 2;
			}
			break;
		case 'C':
			csv = 1;
			break;
		case 'D':
			/* the degraded object (docs/degraded.md) */
			compat = 1;
			if (!obj_path)
				obj_path = "build/synwall_compat.bpf.o";
			break;
		default:
			printf("usage: %s [--calls N] [--runs N] [--live-calls "
			       "N] "
			       "[--batch N] [--peer OBJ]\n"
			       "       [--obj SYNWALL_OBJ] [--only LIST] "
			       "[--clock real|fixed] [--cookies flood|always] "
			       "[--csv]\n"
			       "Per-packet cost of synwall_xdp (and of the "
			       "peer "
			       "XDP SYN proxy OBJ), ns:\n"
			       "test_run, repeat=1 per call, minus an empty "
			       "program; RUNS runs of CALLS calls.\n"
			       "Live frames: LIVE-CALLS calls of repeat = "
			       "batch_size = BATCH (0 calls: skip).\n"
			       "--obj: time this synwall object (a variant) "
			       "instead of build/synwall.bpf.o's skeleton.\n"
			       "--only: comma list of syn4,syn6,ack,badack,"
			       "ack-trusted,badack-trusted,est,est-lookup,udp,\n"
			       "syn4-trusted,syn6-trusted.\n"
			       "--clock fixed: use the config's test clock "
			       "(no clock helper call); default real.\n"
			       "--compat: the degraded object "
			       "(build/synwall_compat.bpf.o, or --obj), with "
			       "what its loader writes.\n",
			       argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (calls < 1 || runs < 1 || runs > MAXRUNS || live_calls < 0 ||
	    batch < 1 || batch > 256) {
		fprintf(stderr,
			"--calls >= 1, --runs 1..64, --live-calls >= 0, "
			"--batch 1..256\n");
		return 2;
	}
	for (i = 0; i < NCLASSES; i++) {
		char list[256], *tok, *save = NULL;

		want[i] = !only;
		if (!only)
			continue;
		snprintf(list, sizeof(list), "%s", only);
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			if (!strcmp(tok, class_keys[i]))
				want[i] = 1;
	}

	if (fixed_clock)
		cfg.fixed_time = FIXED_TIME;
	keys.installed_at[0] = keys.installed_at[1] =
		fixed_clock ? FIXED_TIME : (__u64)time(NULL);

	if (swt_netns_private(err, sizeof(err))) {
		fprintf(stderr, "netns: %s\n", err);
		return 1;
	}
	if (obj_path) {
		libbpf_set_print(NULL);
		if (env_open_obj(&env, obj_path))
			return 1;
	} else if (swt_env_open(&env, err, sizeof(err))) {
		fprintf(stderr, "load: %s\n", err);
		return 1;
	}
	g_cfg = &cfg;
	g_env = &env;
	if (swt_config_write(&env, &cfg) || swt_keys_write(&env, &keys) ||
	    swt_port_set(&env, SERVER_PORT, true)) {
		fprintf(stderr, "map write: %s\n", strerror(errno));
		return 1;
	}
	if (peer_path) {
		libbpf_set_print(NULL);
		if (peer_open(peer_path, &peer))
			return 1;
		pe = &peer;
		ct = conntrack_on();
	}
	hold_setup();
	if (make_established(&cli, &srv)) {
		fprintf(stderr, "listeners, loopback connection: %s\n",
			strerror(errno));
		return 1;
	}
	tobj = g_obj ? g_obj : env.skel->obj;
	has_table = flow_table(tobj, 1, 1, 0) == 0;
	if (!has_table) {
		/* est-lookup: the same as est; no trusted classes */
		want[CLASS_EST_LOOKUP] = 0;
		want[4] = want[5] = want[9] = want[10] = 0;
	}
	if (compat) {
		struct swt_pkt s4, s6;

		swt_pkt_init(&s4, false);
		swt_pkt_init(&s6, true);
		if (compat_setup(g_obj, &s4, &s6)) {
			fprintf(stderr, "compat maps: %s\n", strerror(errno));
			return 1;
		}
		compat_renew();
	}
	empty_fd = load_const_prog("sw_empty", XDP_PASS);
	drop_fd = load_const_prog("sw_drop", XDP_DROP);
	tx_fd = load_macswap_prog();

	/* SYN v4, Linux options */
	swt_pkt_init(&syn, false);
	syn.dport = SERVER_PORT;
	swt_opt_linux_syn(&syn, 1460, 12345, 7);
	cls[ncls] = (struct pclass){
		.name = "SYN v4 (MSS/SACK/TS/WS)",
		.expect = pass_through ? XDP_PASS : XDP_TX,
		.counter = pass_through ? SWT_STAT(xdp_pass_syn_kernel) :
					  SWT_STAT(xdp_tx_synack),
		.pexpect = XDP_TX};
	build(cls[ncls].name, cls[ncls].pkt, &cls[ncls].len, &syn);
	ncls++;

	/* SYN v6 */
	swt_pkt_init(&p, true);
	p.dport = SERVER_PORT;
	swt_opt_linux_syn(&p, 1440, 12345, 7);
	cls[ncls] = (struct pclass){
		.name = "SYN v6 (MSS/SACK/TS/WS)",
		.expect = pass_through ? XDP_PASS : XDP_TX,
		.counter = pass_through ? SWT_STAT(xdp_pass_syn_kernel) :
					  SWT_STAT(xdp_tx_synack),
		.pexpect = XDP_TX};
	build(cls[ncls].name, cls[ncls].pkt, &cls[ncls].len, &p);
	ncls++;

	/* the peer answers SYNs, and counts them */
	if (pe) {
		__u32 c, t;

		p_before = peer_synacks(pe);
		if (synack_of("peer", pe->fd, cls[0].pkt, cls[0].len, &c, &t))
			return 1;
		if (peer_synacks(pe) != p_before + 1) {
			fprintf(stderr, "peer: SYN-ACK counter did not move\n");
			return 1;
		}
	}

	/* valid third ACK of the v4 SYN: each program's own cookie */
	cls[ncls] = (struct pclass){.name = "valid ACK v4 (cookie)",
				    .expect = XDP_PASS,
				    .counter = SWT_STAT(xdp_pass_cookie),
				    .pexpect = XDP_PASS,
				    .fresh = 1};
	if (make_valid_acks(&cls[ncls], &syn, &cls[0], env.xdp_fd, pe))
		return 1;
	ncls++;

	/* invalid ACK: a cookie of the right form with a wrong MAC, from
	 * another source port: live frames of the valid ACK reach the
	 * namespace's listener, and a socket the kernel built for that
	 * 4-tuple would make the peer pass this one (a socket of the flow) */
	{
		__u32 ck = swt_get32(cls[2].pkt + 14 + 20 + 8) - 1;
		struct swt_pkt other = syn;

		other.sport++;
		swt_make_ack(&other, ck ^ 0x40, true, 12346, 1, &p);
	}
	cls[ncls] = (struct pclass){.name = "invalid ACK v4",
				    .expect = XDP_DROP,
				    .counter = SWT_STAT(xdp_drop_bad_ack),
				    .unchanged = 1,
				    .pexpect = XDP_DROP};
	build(cls[ncls].name, cls[ncls].pkt, &cls[ncls].len, &p);
	ncls++;
	/* both with the table trusted: no socket lookup on a miss.  The
	 * peer has no such table: its figure is the row above's (and its
	 * SYN, answered again for a fresh ACK, would now meet the conntrack
	 * entry that the live frames of its valid ACK made) */
	cls[ncls] = cls[2];
	cls[ncls].name = "valid ACK v4 (trusted table)";
	cls[ncls].trusted = 1;
	cls[ncls].na = "no flow table: the untrusted row's figure";
	ncls++;
	cls[ncls] = cls[3];
	cls[ncls].name = "invalid ACK v4 (trusted table)";
	cls[ncls].trusted = 1;
	cls[ncls].na = "no flow table: the untrusted row's figure";
	ncls++;

	/* ACK of the established loopback connection (lo's MACs are zero) */
	swt_pkt_init(&p, false);
	memset(p.dmac, 0, 6);
	memset(p.smac, 0, 6);
	memcpy(p.saddr, &cli.sin_addr, 4);
	memcpy(p.daddr, &srv.sin_addr, 4);
	p.sport = ntohs(cli.sin_port);
	p.dport = SERVER_PORT;
	p.flags = SWT_TCP_ACK;
	p.seq = 1000;
	p.ack = 2000;
	swt_opt_nop(&p);
	swt_opt_nop(&p);
	swt_opt_ts(&p, 1, 2);
	cls[ncls] = (struct pclass){.name = "established ACK v4",
				    .ifindex = 1,
				    .expect = XDP_PASS,
				    .counter = has_table ?
						       SWT_STAT(xdp_pass_flow) :
						       SWT_STAT(xdp_pass_socket),
				    .unchanged = 1,
				    .pexpect = XDP_PASS,
				    .na = ct ? "no conntrack (nft missing?)" :
					       NULL};
	build(cls[ncls].name, cls[ncls].pkt, &cls[ncls].len, &p);
	ncls++;
	/* the same without the table: the socket lookup (an ip link load) */
	cls[ncls] = cls[ncls - 1];
	cls[ncls].name = "established ACK v4 (no flow table)";
	cls[ncls].counter = SWT_STAT(xdp_pass_socket);
	cls[ncls].table_off = 1;
	ncls++;

	/* non-TCP: UDP */
	swt_pkt_init(&p, false);
	p.l4proto = 17;
	p.dport = 53;
	p.paylen = 32;
	cls[ncls] = (struct pclass){.name = "non-TCP (UDP v4)",
				    .expect = XDP_PASS,
				    .counter = SWT_STAT(xdp_pass_not_tcp),
				    .unchanged = 1,
				    .pexpect = XDP_PASS};
	build(cls[ncls].name, cls[ncls].pkt, &cls[ncls].len, &p);
	ncls++;

	/* SYNs with the tables trusted: the listener table (seeded above
	 * from the listeners on port 80) answers "who listens?", the flow
	 * table "does the 4-tuple have a socket?", no socket lookup */
	for (i = 0; i < 2; i++) {
		cls[ncls] = cls[i];
		cls[ncls].name = i ? "SYN v6 (trusted tables)" :
				     "SYN v4 (trusted tables)";
		cls[ncls].trusted = 1;
		cls[ncls].na = "no flow table: the untrusted row's figure";
		ncls++;
	}

	/* each class must do what we think it does before we time it */
	for (i = 0; i < ncls; i++) {
		if (!want[i])
			continue;
		if (has_table && flow_table(tobj, !cls[i].table_off, 0,
					    cls[i].trusted))
			return 1;
		if (check_class(&env, pe, &cls[i]))
			return 1;
		if (pe && cls[i].na)
			fprintf(stderr, "peer, %s: not measured: %s\n",
				cls[i].name, cls[i].na);
	}

	for (i = 0; i < ncls; i++) {
		struct pclass *c = &cls[i];
		const __u8 *pp;
		size_t pl;
		int peer_on = pe && !c->na;
		int base_fd = c->expect == XDP_TX   ? tx_fd :
			      c->expect == XDP_DROP ? drop_fd :
						      empty_fd;
		double sv[MAXRUNS], pv[MAXRUNS];

		if (!want[i])
			continue;
		if (has_table &&
		    flow_table(tobj, !c->table_off, 0, c->trusted))
			return 1;
		if (compat)
			compat_renew();
		/* a fresh cookie: valid for at least 64 s from now */
		if (c->fresh &&
		    (make_valid_acks(c, &syn, &cls[0], env.xdp_fd,
				     c->na ? NULL : pe) ||
		     check_class(&env, pe, c)))
			return 1;
		pp = c->plen ? c->ppkt : c->pkt;
		pl = c->plen ? c->plen : c->len;
		for (r = 0; r < runs; r++) {
			double base = time_calls(empty_fd, c->pkt, c->len,
						 c->ifindex, calls);

			sv[r] = time_calls(env.xdp_fd, c->pkt, c->len,
					   c->ifindex, calls) -
				base;
			if (peer_on)
				pv[r] = time_calls(pe->fd, pp, pl, c->ifindex,
						   calls) -
					base;
		}
		qsort(sv, runs, sizeof(sv[0]), cmp_double);
		c->sw_min = sv[0];
		c->sw_med = sv[runs / 2];
		c->sw_rep = c->sw_live = c->p_min = c->p_med = c->p_live = NA;
		if (peer_on) {
			qsort(pv, runs, sizeof(pv[0]), cmp_double);
			c->p_min = pv[0];
			c->p_med = pv[runs / 2];
		}
		if (c->unchanged)
			c->sw_rep = time_repeat(env.xdp_fd, c->pkt, c->len,
						c->ifindex, calls) -
				    time_repeat(empty_fd, c->pkt, c->len,
						c->ifindex, calls);
		if (live_calls) {
			double base = time_live(base_fd, c->pkt, c->len,
						c->ifindex, live_calls);

			c->sw_live = time_live(env.xdp_fd, c->pkt, c->len,
					       c->ifindex, live_calls) -
				     base;
			if (peer_on) {
				/* the peer's verdict decides its baseline */
				int pb = c->pexpect == XDP_TX	? tx_fd :
					 c->pexpect == XDP_DROP ? drop_fd :
								  empty_fd;

				c->p_live = time_live(pe->fd, pp, pl,
						      c->ifindex, live_calls) -
					    time_live(pb, pp, pl, c->ifindex,
						      live_calls);
			}
		}
		/* and still does it afterwards (cookie ages, key state) */
		if (check_class(&env, pe, c))
			return 1;
	}

	if (csv)
		printf("class,sw_min_ns,sw_median_ns,sw_repeat_ns,sw_live_ns,"
		       "peer_min_ns,peer_median_ns,peer_live_ns,ratio,"
		       "packets\n");
	else
		printf("%-26s %8s %8s %8s %8s | %8s %8s %8s | %6s\n",
		       "packet class", "sw min", "sw med", "sw rep", "sw live",
		       "peer min", "peer med", "peerlive", "sw/peer");
	for (i = 0; i < ncls; i++) {
		struct pclass *c = &cls[i];
		char b[8][16], ratio[16] = "-";

		if (!want[i])
			continue;
		if (c->p_med > NA && c->p_med > 0)
			snprintf(ratio, sizeof(ratio), "%.2f",
				 c->sw_med / c->p_med);
		if (csv)
			printf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%lld\n", c->name,
			       fmt(b[0], c->sw_min), fmt(b[1], c->sw_med),
			       fmt(b[2], c->sw_rep), fmt(b[3], c->sw_live),
			       fmt(b[4], c->p_min), fmt(b[5], c->p_med),
			       fmt(b[6], c->p_live), ratio,
			       (long long)runs * calls);
		else
			printf("%-26s %8s %8s %8s %8s | %8s %8s %8s | %6s\n",
			       c->name, fmt(b[0], c->sw_min),
			       fmt(b[1], c->sw_med), fmt(b[2], c->sw_rep),
			       fmt(b[3], c->sw_live), fmt(b[4], c->p_min),
			       fmt(b[5], c->p_med), fmt(b[6], c->p_live),
			       ratio);
	}
	if (!csv)
		printf("# %lld packets per program and class (%d runs x %d "
		       "calls); live: %d calls x %d frames; clock %s\n",
		       (long long)runs * calls, runs, calls, live_calls, batch,
		       fixed_clock ? "fixed (config hook)" : "real");
	close(empty_fd);
	close(drop_fd);
	close(tx_fd);
	if (pe)
		bpf_object__close(pe->obj);
	swt_env_close(&env);
	return 0;
}
