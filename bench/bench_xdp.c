// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of synwall's XDP program, with BPF_PROG_TEST_RUN.
 *
 * Method (see ../shared/DESIGN.md): test_run with repeat > 1 re-runs the
 * program on the buffer it just rewrote, so a SYN would be timed as a
 * SYN-ACK from the second iteration on.  Every packet class is therefore
 * timed with repeat = 1 per call, averaging the kernel-measured duration
 * over CALLS calls, minus the same measurement of an empty XDP program
 * (the fixed cost of one test run).  Each class: RUNS runs, min and median
 * reported; RUNS * CALLS >= 1,000,000 packets.
 *
 * Classes that leave the packet unchanged (invalid ACK, established ACK,
 * non-TCP) are cross-checked with one call of repeat = CALLS.
 *
 * Usage: bench_xdp [--calls N] [--runs N] [--csv]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <synwall/abi.h>
#include <synwall/cookie.h>
#include "swt.h"

#define FIXED_TIME 1800000000u
#define SERVER_PORT 80

static int calls = 200000;
static int runs = 5;

/* Average ns per program run over n calls of repeat = 1. */
static double time_calls(int fd, const void *pkt, size_t len, __u32 ifindex,
			 int n)
{
	static __u8 out[SWT_PKT_MAX];
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	unsigned long long total = 0;
	int i;

	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);

		if (ifindex) {
			o.ctx_in = &ctx;
			o.ctx_size_in = sizeof(ctx);
		}
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
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out),
		    .repeat = n);

	if (ifindex) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "test_run: %s\n", strerror(errno));
		exit(1);
	}
	return o.duration;
}

/* An XDP program that returns XDP_PASS and does nothing else. */
static int load_empty_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "sw_empty", "GPL", insns, 2,
			     NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct pclass {
	const char *name;
	__u8 pkt[SWT_PKT_MAX];
	size_t len;
	__u32 ifindex;
	__u32 expect; /* verdict */
	size_t counter; /* offset in struct synwall_stats */
	int unchanged; /* program leaves the bytes alone: repeat cross-check */
};

/* A connected TCP pair on loopback; fills the client->server 4-tuple. */
static int make_established(struct sockaddr_in *cli, struct sockaddr_in *srv)
{
	socklen_t sl = sizeof(*srv);
	int ls, c, a, one = 1;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(srv, 0, sizeof(*srv));
	srv->sin_family = AF_INET;
	srv->sin_port = htons(SERVER_PORT);
	srv->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (void *)srv, sizeof(*srv)) || listen(ls, 8))
		return -1;
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

static void build(struct pclass *c, const struct swt_pkt *p)
{
	c->len = swt_build(p, c->pkt, sizeof(c->pkt), NULL);
	if (!c->len) {
		fprintf(stderr, "%s: packet does not fit\n", c->name);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static struct pclass cls[8];
	struct synwall_config cfg = { .fixed_time = FIXED_TIME };
	struct synwall_keys keys = {
		.key = { { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL },
			 { 0x1716151413121110ULL, 0x1f1e1d1c1b1a1918ULL } },
		.current = 0,
		.generation = 1,
		.installed_at = { FIXED_TIME, FIXED_TIME },
	};
	struct sockaddr_in cli, srv;
	struct swt_synopts so = { .mss = 1460, .ws = 7, .sack = true,
				  .ts = true, .tsval = 12345 };
	struct swt_env env;
	struct swt_pkt syn, p;
	char err[256];
	int csv = 0, ncls = 0, empty_fd, i, r, opt;
	__u32 cookie, tsval;
	__u8 tmp[SWT_PKT_MAX];

	static const struct option lo[] = {
		{ "calls", required_argument, NULL, 'c' },
		{ "runs", required_argument, NULL, 'r' },
		{ "csv", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	while ((opt = getopt_long(argc, argv, "c:r:Ch", lo, NULL)) != -1) {
		switch (opt) {
		case 'c':
			calls = atoi(optarg);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'C':
			csv = 1;
			break;
		default:
			printf("usage: %s [--calls N] [--runs N] [--csv]\n"
			       "Per-packet cost of synwall_xdp, ns (test_run, "
			       "repeat=1 per call, minus an empty program).\n",
			       argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (calls < 1 || runs < 1 || runs > 64) {
		fprintf(stderr, "--calls must be >= 1, --runs 1..64\n");
		return 2;
	}

	if (swt_netns_private(err, sizeof(err))) {
		fprintf(stderr, "netns: %s\n", err);
		return 1;
	}
	if (swt_env_open(&env, err, sizeof(err))) {
		fprintf(stderr, "load: %s\n", err);
		return 1;
	}
	if (swt_config_write(&env, &cfg) || swt_keys_write(&env, &keys) ||
	    swt_port_set(&env, SERVER_PORT, true)) {
		fprintf(stderr, "map write: %s\n", strerror(errno));
		return 1;
	}
	empty_fd = load_empty_prog();
	if (empty_fd < 0) {
		fprintf(stderr, "load empty program: %s\n", strerror(errno));
		return 1;
	}

	/* SYN v4, Linux options */
	swt_pkt_init(&syn, false);
	syn.dport = SERVER_PORT;
	swt_opt_linux_syn(&syn, 1460, 12345, 7);
	cls[ncls] = (struct pclass){ .name = "SYN v4 (MSS,SACK,TS,WS)",
				     .expect = XDP_TX,
				     .counter = SWT_STAT(xdp_tx_synack) };
	build(&cls[ncls++], &syn);

	/* SYN v6 */
	swt_pkt_init(&p, true);
	p.dport = SERVER_PORT;
	swt_opt_linux_syn(&p, 1440, 12345, 7);
	cls[ncls] = (struct pclass){ .name = "SYN v6 (MSS,SACK,TS,WS)",
				     .expect = XDP_TX,
				     .counter = SWT_STAT(xdp_tx_synack) };
	build(&cls[ncls++], &p);

	/* valid third ACK for the v4 SYN */
	if (!swt_expect_synack(&syn, &so, &cfg, &keys, tmp, sizeof(tmp),
			       &cookie, &tsval)) {
		fprintf(stderr, "cannot compute the SYN-ACK\n");
		return 1;
	}
	swt_make_ack(&syn, cookie, true, 12346, tsval, &p);
	cls[ncls] = (struct pclass){ .name = "valid ACK v4 (cookie)",
				     .expect = XDP_PASS,
				     .counter = SWT_STAT(xdp_pass_cookie) };
	build(&cls[ncls++], &p);

	/* invalid ACK: wrong cookie */
	swt_make_ack(&syn, cookie ^ 0x40, true, 12346, tsval, &p);
	cls[ncls] = (struct pclass){ .name = "invalid ACK v4",
				     .expect = XDP_DROP,
				     .counter = SWT_STAT(xdp_drop_bad_ack),
				     .unchanged = 1 };
	build(&cls[ncls++], &p);

	/* ACK of an established loopback connection */
	if (make_established(&cli, &srv)) {
		fprintf(stderr, "loopback connection: %s\n", strerror(errno));
		return 1;
	}
	swt_pkt_init(&p, false);
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
	cls[ncls] = (struct pclass){ .name = "established ACK v4",
				     .ifindex = 1,
				     .expect = XDP_PASS,
				     .counter = SWT_STAT(xdp_pass_socket),
				     .unchanged = 1 };
	build(&cls[ncls++], &p);

	/* non-TCP: UDP */
	swt_pkt_init(&p, false);
	p.l4proto = 17;
	p.dport = 53;
	p.paylen = 32;
	cls[ncls] = (struct pclass){ .name = "non-TCP (UDP v4)",
				     .expect = XDP_PASS,
				     .counter = SWT_STAT(xdp_pass_not_tcp),
				     .unchanged = 1 };
	build(&cls[ncls++], &p);

	/* each class must do what we think it does before we time it */
	for (i = 0; i < ncls; i++) {
		struct synwall_stats b, a;
		struct swt_xdp_out out;
		char why[256];

		swt_stats_read(&env, &b);
		if (swt_xdp_run(env.xdp_fd, cls[i].pkt, cls[i].len,
				cls[i].ifindex, &out) ||
		    out.verdict != cls[i].expect) {
			fprintf(stderr, "%s: verdict %s, expected %s\n",
				cls[i].name, swt_xdp_verdict_name(out.verdict),
				swt_xdp_verdict_name(cls[i].expect));
			return 1;
		}
		swt_stats_read(&env, &a);
		if (swt_stats_check_one(&b, &a, cls[i].counter, why,
					sizeof(why))) {
			fprintf(stderr, "%s: %s\n", cls[i].name, why);
			return 1;
		}
	}

	if (csv)
		printf("class,min_ns,median_ns,repeat_ns,packets\n");
	else
		printf("%-26s %9s %9s %11s %10s\n", "packet class", "min ns",
		       "median ns", "repeat ns", "packets");
	for (i = 0; i < ncls; i++) {
		double v[64], rep = -1;

		for (r = 0; r < runs; r++) {
			double base = time_calls(empty_fd, cls[i].pkt,
						 cls[i].len, cls[i].ifindex,
						 calls);
			double t = time_calls(env.xdp_fd, cls[i].pkt,
					      cls[i].len, cls[i].ifindex,
					      calls);

			v[r] = t - base;
		}
		qsort(v, runs, sizeof(v[0]), cmp_double);
		if (cls[i].unchanged)
			rep = time_repeat(env.xdp_fd, cls[i].pkt, cls[i].len,
					  cls[i].ifindex, calls) -
			      time_repeat(empty_fd, cls[i].pkt, cls[i].len,
					  cls[i].ifindex, calls);
		if (csv)
			printf("%s,%.1f,%.1f,%.1f,%lld\n", cls[i].name, v[0],
			       v[runs / 2], rep, (long long)runs * calls);
		else if (rep >= 0)
			printf("%-26s %9.1f %9.1f %11.1f %10lld\n",
			       cls[i].name, v[0], v[runs / 2], rep,
			       (long long)runs * calls);
		else
			printf("%-26s %9.1f %9.1f %11s %10lld\n", cls[i].name,
			       v[0], v[runs / 2], "-", (long long)runs * calls);
	}
	close(empty_fd);
	swt_env_close(&env);
	return 0;
}
