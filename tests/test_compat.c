// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The degraded object (bpf/synwall_compat.bpf.c, docs/degraded.md) through
 * BPF_PROG_TEST_RUN, in a private network namespace with
 * tcp_syncookies=2 and tcp_timestamps=2 and real listeners:
 *   - a listener whose cookie mark is stale: the SYN goes to the kernel;
 *     after a loopback connect the kernel answered (its mark renewed), the
 *     SYN is answered in XDP;
 *   - the SYN-ACK byte for byte against values computed here: Ethernet
 *     and IP swapped, the IP and TCP checksums recomputed from scratch,
 *     ack = ISN + 1, MSS, SACK-permitted, TS echo, the TSval's low 6 bits
 *     in the kernel's encoding (WS, SACK, ECN) and its high bits the
 *     kernel's TCP clock, the window scale from tcp_rmem[2];
 *   - the final ACK of that cookie passed (the kernel's helper), a cookie
 *     one off dropped, each with its counter alone;
 *   - IPv6; ECN-setup; tcp_timestamps=1 (no timestamp option at all);
 *   - the host check from the loader's snapshot: broadcast MAC, other MAC,
 *     foreign destination, local source; no listener; SYN+FIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "swt.h"
#include <synwall/compat.h>
#include "synwall_compat.skel.h"

static int failures;
static char why[512];
static struct synwall_compat *skel;
static int xdp_fd, stats_fd, compat_fd, ls4, ls6;

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
	va_list ap;

	if (why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

static void report(const char *name)
{
	if (why[0]) {
		printf("FAIL: compat_%s: %s\n", name, why);
		failures++;
	} else {
		printf("PASS: compat_%s\n", name);
	}
	why[0] = '\0';
}

static void sysctl_set(const char *name, const char *v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "we");
	if (f) {
		fputs(v, f);
		fclose(f);
	}
}

static void stats_sum(struct synwall_stats *s)
{
	int n = libbpf_num_possible_cpus(), i;
	struct synwall_stats v[n];
	__u32 k = 0;
	size_t j;

	memset(s, 0, sizeof(*s));
	if (bpf_map_lookup_elem(stats_fd, &k, v))
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < sizeof(*s) / 8; j++)
			((__u64 *)s)[j] += ((__u64 *)&v[i])[j];
}

/* Run p; the verdict must be want and exactly counter (SWT_STAT) +1. */
static int run(const struct swt_pkt *p, __u32 want, size_t counter,
	       struct swt_xdp_out *o)
{
	struct synwall_stats b, a;
	__u8 buf[SWT_PKT_MAX];
	char w[256];
	size_t len;

	len = swt_build(p, buf, sizeof(buf), NULL);
	stats_sum(&b);
	if (swt_xdp_run(xdp_fd, buf, len, 0, o)) {
		bad("test_run: %s", strerror(-o->err));
		return -1;
	}
	stats_sum(&a);
	if (o->verdict != want) {
		bad("verdict %s, expected %s", swt_xdp_verdict_name(o->verdict),
		    swt_xdp_verdict_name(want));
		return -1;
	}
	if (swt_stats_check_one(&b, &a, counter, w, sizeof(w))) {
		bad("counters: %s", w);
		return -1;
	}
	return 0;
}

/* The kernel answers a loopback connect with its own cookie
 * (tcp_syncookies=2), which renews the listener's mark. */
static void renew(int v6)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(80),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(80),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int c = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0), x;

	if (c >= 0 && !connect(c, v6 ? (void *)&a6 : (void *)&a,
			       v6 ? sizeof(a6) : sizeof(a))) {
		x = accept(v6 ? ls6 : ls4, NULL, NULL);
		if (x >= 0)
			close(x);
	}
	if (c >= 0)
		close(c);
}

static int listen_on(int v6, __u16 port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(port)};
	int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, v6 ? (void *)&a6 : (void *)&a,
		 v6 ? sizeof(a6) : sizeof(a)) ||
	    listen(s, 64))
		return -1;
	return s;
}

/* From 299 to 420 s of uptime a listener's mark of 0 (never overflowed)
 * is fresh: jiffies start at -300 s (INITIAL_JIFFIES). */
static int lenient(void)
{
	double up = 0;
	FILE *f = fopen("/proc/uptime", "re");

	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return up > 290 && up < 430;
}

static unsigned int ilog2(unsigned long v)
{
	unsigned int r = 0;

	while (v >>= 1)
		r++;
	return r;
}

static long sysctl_rmem2(void)
{
	long a, b, c = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_rmem", "re");

	if (f) {
		if (fscanf(f, "%ld %ld %ld", &a, &b, &c) != 3)
			c = 0;
		fclose(f);
	}
	return c;
}

static __u32 now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u32)((__u64)t.tv_sec * 1000 + (__u64)t.tv_nsec / 1000000);
}

/*
 * Check the SYN-ACK o answers syn with, independently: returns the cookie
 * (its ISN) in *cookie, the TSval in *tsval.
 */
static void check_synack(const struct swt_pkt *syn, const struct swt_xdp_out *o,
			 int ts, int ws_want, __u8 tsbits, int ecn,
			 __u32 *cookie, __u32 *tsval)
{
	const __u8 *f = swt_xdp_data(o), *ip = f + 14, *t, *opt;
	size_t iplen = syn->v6 ? 40 : 20, tl;
	__u32 t0 = now_ms(), tv;
	int i, mss = -1, ws = -1, sack = 0, tso = 0;

	if (memcmp(f, syn->smac, 6) || memcmp(f + 6, syn->dmac, 6))
		return bad("Ethernet addresses not swapped");
	t = ip + iplen;
	tl = (t[12] >> 4) * 4;
	if (o->len != 14 + iplen + tl)
		return bad("frame length %u, expected %zu", o->len,
			   14 + iplen + tl);
	if (syn->v6) {
		if ((ip[0] >> 4) != 6 || ip[6] != 6 || ip[7] != 64 ||
		    swt_get16(ip + 4) != tl || memcmp(ip + 8, syn->daddr, 16) ||
		    memcmp(ip + 24, syn->saddr, 16))
			return bad("IPv6 header");
	} else {
		if (ip[0] != 0x45 || swt_get16(ip + 2) != 20 + tl ||
		    swt_get16(ip + 6) != 0x4000 || ip[8] != 64 || ip[9] != 6 ||
		    memcmp(ip + 12, syn->daddr, 4) ||
		    memcmp(ip + 16, syn->saddr, 4))
			return bad("IPv4 header");
		if (swt_csum_fold(swt_csum_add(0, ip, 20)) != 0)
			return bad("IPv4 header checksum");
	}
	if (swt_l4_csum(syn->v6, syn->daddr, syn->saddr, 6, t, tl) != 0)
		return bad("TCP checksum (recomputed over the segment)");
	if (swt_get16(t) != syn->dport || swt_get16(t + 2) != syn->sport ||
	    swt_get32(t + 8) != syn->seq + 1)
		return bad("ports or ack");
	if ((t[13] & 0xff) != (0x12 | (ecn ? 0x40 : 0)))
		return bad("flags 0x%02x", t[13]);
	if (swt_get16(t + 14) != 65535)
		return bad("window %u", swt_get16(t + 14));
	opt = t + 20;
	for (i = 0; i < (int)tl - 20;) {
		if (opt[i] == 1) {
			i++;
			continue;
		}
		if (opt[i] == 0 || i + 1 >= (int)tl - 20)
			break;
		if (opt[i] == 2)
			mss = swt_get16(opt + i + 2);
		if (opt[i] == 3)
			ws = opt[i + 2];
		if (opt[i] == 4)
			sack = 1;
		if (opt[i] == 8) {
			tso = 1;
			*tsval = swt_get32(opt + i + 2);
			if (swt_get32(opt + i + 6) != 12345)
				return bad("TSecr %u, the SYN's TSval is 12345",
					   swt_get32(opt + i + 6));
		}
		i += opt[i + 1];
	}
	/* min(the client's 1460, ours: mss4 1460 / mss6 1440 by default) */
	if (mss != (syn->v6 ? 1440 : 1460))
		return bad("MSS %d", mss);
	if (tso != ts || ws != ws_want || sack != ts)
		return bad("options: ts %d ws %d sack %d, expected %d %d %d",
			   tso, ws, sack, ts, ws_want, ts);
	if (ts) {
		tv = *tsval;
		if ((tv & 63) != tsbits)
			return bad("TSval low bits %u, expected %u", tv & 63,
				   tsbits);
		/* the kernel's TCP clock (ms, no offset), never ahead */
		if ((__s32)(t0 - tv) < 0 || (__s32)(t0 - tv) > 64 + 1000)
			return bad("TSval %u, the clock is %u ms", tv, t0);
	}
	*cookie = swt_get32(t + 4);
}

static void syn_of(struct swt_pkt *p, int v6, __u16 dport, int ts)
{
	swt_pkt_init(p, v6);
	p->dport = dport;
	if (ts) {
		swt_opt_linux_syn(p, 1460, 12345, 7);
	} else {
		swt_opt_mss(p, 1460);
		swt_opt_nop(p);
		swt_opt_ws(p, 7);
	}
}

static void test_syn_ack(int v6)
{
	struct swt_xdp_out o;
	struct swt_pkt syn, ack;
	__u32 cookie = 0, tsval = 0;
	long r2 = sysctl_rmem2();
	int ws = (int)ilog2((unsigned long)r2) - 15;

	syn_of(&syn, v6, 80, 1);
	renew(v6);
	if (run(&syn, XDP_TX, SWT_STAT(xdp_tx_synack), &o))
		return report(v6 ? "synack_v6" : "synack_v4");
	check_synack(&syn, &o, 1,
		     ws < 0  ? 0 :
		     ws > 14 ? 14 :
			       ws,
		     7 | 16, 0, &cookie, &tsval);
	report(v6 ? "synack_v6" : "synack_v4");

	swt_make_ack(&syn, cookie, true, 12346, tsval, &ack);
	run(&ack, XDP_PASS, SWT_STAT(xdp_pass_cookie), &o);
	report(v6 ? "final_ack_passed_v6" : "final_ack_passed_v4");
	/* a bit of the MAC flipped (cookie + 1 is no forgery here: the
	 * kernel adds the MSS index to the MAC, so it can name another
	 * valid index) */
	swt_make_ack(&syn, cookie ^ (1u << 20), true, 12346, tsval, &ack);
	run(&ack, XDP_DROP, SWT_STAT(xdp_drop_bad_ack), &o);
	report(v6 ? "forged_ack_dropped_v6" : "forged_ack_dropped_v4");
}

int main(void)
{
	struct synwall_compat_cfg c = {.refresh_s = 60};
	struct synwall_laddr_key k = {};
	struct swt_xdp_out o;
	struct swt_pkt p;
	struct bpf_map *m;
	__u32 zero = 0, lf = SYNWALL_LA_LOCAL, j0, j1, cookie, tsval;
	__u64 bits;
	char err[512];
	int s81, afd, pfd;
	LIBBPF_OPTS(bpf_test_run_opts, tr);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (swt_netns_private(err, sizeof(err))) {
		printf("SKIP: compat: no private network namespace: %s\n", err);
		return 0;
	}
	sysctl_set("tcp_syncookies", "2");
	sysctl_set("tcp_timestamps", "2");
	sysctl_set("tcp_rmem", "4096 131072 33554432");
	skel = synwall_compat__open();
	if (!skel) {
		printf("FAIL: compat: open: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(m, skel->obj) bpf_map__set_pin_path(m, NULL);
	if (synwall_compat__load(skel)) {
		printf("FAIL: compat: load: %s\n", strerror(errno));
		return 1;
	}
	xdp_fd = bpf_program__fd(skel->progs.synwall_xdp);
	stats_fd = bpf_map__fd(skel->maps.stats);
	compat_fd = bpf_map__fd(skel->maps.compat);
	afd = bpf_map__fd(skel->maps.local_addrs);
	pfd = bpf_map__fd(skel->maps.ports);

	/* what the loader writes */
	pfd = bpf_map__fd(skel->maps.ports);
	bits = 1ULL << (80 % 64) | 1ULL << (81 % 64) | 1ULL << (82 % 64);
	bpf_map_update_elem(pfd, &(__u32){80 / 64}, &bits, BPF_ANY);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.synwall_jiffies),
				   &tr))
		return printf("FAIL: compat: synwall_jiffies\n"), 1;
	j0 = tr.retval;
	usleep(200000);
	bpf_prog_test_run_opts(bpf_program__fd(skel->progs.synwall_jiffies),
			       &tr);
	j1 = tr.retval;
	c.hz = (j1 - j0) * 5;
	swt_pkt_init(&p, false);
	memcpy(c.mac, p.dmac, 6);
	bpf_map_update_elem(compat_fd, &zero, &c, BPF_ANY);
	memcpy(k.addr, p.daddr, 4);
	bpf_map_update_elem(afd, &k, &lf, BPF_ANY);
	swt_pkt_init(&p, true);
	k.v6 = 1;
	memcpy(k.addr, p.daddr, 16);
	bpf_map_update_elem(afd, &k, &lf, BPF_ANY);
	ls4 = listen_on(0, 80);
	ls6 = listen_on(1, 80);
	if (ls4 < 0 || ls6 < 0)
		return printf("FAIL: compat: listen: %s\n", strerror(errno)), 1;

	/* a fresh listener: its mark is stale until the kernel answers */
	s81 = listen_on(0, 81);
	syn_of(&p, 0, 81, 1);
	if (lenient()) {
		printf("SKIP: compat_stale_mark_syn_to_kernel: uptime within "
		       "290-430 s, where the kernel takes a mark of 0 as fresh "
		       "(jiffies start at -300 s)\n");
	} else {
		run(&p, XDP_PASS, SWT_STAT(xdp_pass_syn_mark), &o);
		report("stale_mark_syn_to_kernel");
	}

	test_syn_ack(0);
	test_syn_ack(1);

	syn_of(&p, 0, 80, 1);
	p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
	renew(0);
	if (!run(&p, XDP_TX, SWT_STAT(xdp_tx_synack), &o))
		check_synack(&p, &o, 1, 10, 7 | 16 | 32, 1, &cookie, &tsval);
	report("ecn_setup_syn");

	/* per-flow TS offsets: no timestamp, so neither WS nor SACK */
	sysctl_set("tcp_timestamps", "1");
	syn_of(&p, 0, 80, 1);
	if (!run(&p, XDP_TX, SWT_STAT(xdp_tx_synack), &o))
		check_synack(&p, &o, 0, -1, 0, 0, &cookie, &tsval);
	report("tcp_timestamps_1_no_options");
	sysctl_set("tcp_timestamps", "2");

	syn_of(&p, 0, 80, 1);
	memset(p.dmac, 0xff, 6);
	run(&p, XDP_PASS, SWT_STAT(xdp_pass_not_host), &o);
	report("broadcast_mac_passed");
	syn_of(&p, 0, 80, 1);
	p.dmac[5] ^= 0x10;
	run(&p, XDP_PASS, SWT_STAT(xdp_pass_not_host), &o);
	report("other_mac_passed");
	syn_of(&p, 0, 80, 1);
	p.daddr[3] = 99;
	run(&p, XDP_PASS, SWT_STAT(xdp_pass_not_local), &o);
	report("foreign_destination_passed");
	syn_of(&p, 0, 80, 1);
	memcpy(p.saddr, p.daddr, 4);
	run(&p, XDP_PASS, SWT_STAT(xdp_pass_martian), &o);
	report("local_source_martian");
	syn_of(&p, 0, 82, 1);
	run(&p, XDP_PASS, SWT_STAT(xdp_pass_no_listener), &o);
	report("no_listener_passed");
	syn_of(&p, 0, 80, 1);
	p.flags |= SWT_TCP_FIN;
	run(&p, XDP_DROP, SWT_STAT(xdp_drop_malformed), &o);
	report("syn_fin_dropped");

	close(s81);
	synwall_compat__destroy(skel);
	return failures ? 1 : 0;
}
