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
 *     foreign destination, local source; no listener; SYN+FIN;
 *   - and the full object's gate on the kernel's own cookies, fed the
 *     kernel cookie this object makes (where the full object loads).
 */
#define _GNU_SOURCE
#include <errno.h>
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
#include "swt_test.h"
#include <synwall/compat.h>
#include "synwall.skel.h"
#include "synwall_compat.skel.h"

static struct synwall_compat *skel;
static int xdp_fd, stats_fd, compat_fd, ls4, ls6, s81;

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
	if (swt_xdp_run(xdp_fd, buf, len, 0, o))
		SWT_FAIL("test_run: %s", strerror(-o->err));
	stats_sum(&a);
	if (o->verdict != want)
		SWT_FAIL("verdict %s, expected %s",
			 swt_xdp_verdict_name(o->verdict),
			 swt_xdp_verdict_name(want));
	if (swt_stats_check_one(&b, &a, counter, w, sizeof(w)))
		SWT_FAIL("counters: %s", w);
	return SWT_PASS;
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
static int check_synack(const struct swt_pkt *syn, const struct swt_xdp_out *o,
			int ts, int ws_want, __u8 tsbits, int ecn,
			__u32 *cookie, __u32 *tsval)
{
	const __u8 *f = swt_xdp_data(o), *ip = f + 14, *t, *opt;
	size_t iplen = syn->v6 ? 40 : 20, tl;
	__u32 t0 = now_ms(), tv;
	int i, mss = -1, ws = -1, sack = 0, tso = 0;

	if (memcmp(f, syn->smac, 6) || memcmp(f + 6, syn->dmac, 6))
		SWT_FAIL("Ethernet addresses not swapped");
	t = ip + iplen;
	tl = (t[12] >> 4) * 4;
	if (o->len != 14 + iplen + tl)
		SWT_FAIL("frame length %u, expected %zu", o->len,
			 14 + iplen + tl);
	if (syn->v6) {
		if ((ip[0] >> 4) != 6 || ip[6] != 6 || ip[7] != 64 ||
		    swt_get16(ip + 4) != tl || memcmp(ip + 8, syn->daddr, 16) ||
		    memcmp(ip + 24, syn->saddr, 16))
			SWT_FAIL("IPv6 header");
	} else {
		if (ip[0] != 0x45 || swt_get16(ip + 2) != 20 + tl ||
		    swt_get16(ip + 6) != 0x4000 || ip[8] != 64 || ip[9] != 6 ||
		    memcmp(ip + 12, syn->daddr, 4) ||
		    memcmp(ip + 16, syn->saddr, 4))
			SWT_FAIL("IPv4 header");
		if (swt_csum_fold(swt_csum_add(0, ip, 20)) != 0)
			SWT_FAIL("IPv4 header checksum");
	}
	if (swt_l4_csum(syn->v6, syn->daddr, syn->saddr, 6, t, tl) != 0)
		SWT_FAIL("TCP checksum (recomputed over the segment)");
	if (swt_get16(t) != syn->dport || swt_get16(t + 2) != syn->sport ||
	    swt_get32(t + 8) != syn->seq + 1)
		SWT_FAIL("ports or ack");
	if ((t[13] & 0xff) != (0x12 | (ecn ? 0x40 : 0)))
		SWT_FAIL("flags 0x%02x", t[13]);
	if (swt_get16(t + 14) != 65535)
		SWT_FAIL("window %u", swt_get16(t + 14));
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
				SWT_FAIL("TSecr %u, the SYN's TSval is 12345",
					 swt_get32(opt + i + 6));
		}
		i += opt[i + 1];
	}
	/* min(the client's 1460, ours: mss4 1460 / mss6 1440 by default) */
	if (mss != (syn->v6 ? 1440 : 1460))
		SWT_FAIL("MSS %d", mss);
	if (tso != ts || ws != ws_want || sack != ts)
		SWT_FAIL("options: ts %d ws %d sack %d, expected %d %d %d", tso,
			 ws, sack, ts, ws_want, ts);
	if (ts) {
		tv = *tsval;
		if ((tv & 63) != tsbits)
			SWT_FAIL("TSval low bits %u, expected %u", tv & 63,
				 tsbits);
		/* the kernel's TCP clock (ms, no offset), never ahead */
		if ((__s32)(t0 - tv) < 0 || (__s32)(t0 - tv) > 64 + 1000)
			SWT_FAIL("TSval %u, the clock is %u ms", tv, t0);
	}
	*cookie = swt_get32(t + 4);
	return SWT_PASS;
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

/* A SYN to port 80 answered in XDP after a renewal, its SYN-ACK checked. */
static int synack_of(long v6, struct swt_pkt *syn, __u32 *cookie, __u32 *tsval)
{
	struct swt_xdp_out o;
	long r2 = sysctl_rmem2();
	int ws = (int)ilog2((unsigned long)r2) - 15;

	syn_of(syn, (int)v6, 80, 1);
	renew((int)v6);
	TRY(run(syn, XDP_TX, SWT_STAT(xdp_tx_synack), &o));
	return check_synack(syn, &o, 1,
			    ws < 0  ? 0 :
			    ws > 14 ? 14 :
				      ws,
			    7 | 16, 0, cookie, tsval);
}

static int t_synack(long v6)
{
	struct swt_pkt syn;
	__u32 cookie = 0, tsval = 0;

	return synack_of(v6, &syn, &cookie, &tsval);
}

static int t_final_ack_passed(long v6)
{
	struct swt_xdp_out o;
	struct swt_pkt syn, ack;
	__u32 cookie = 0, tsval = 0;

	TRY(swt_sub(synack_of(v6, &syn, &cookie, &tsval), "the SYN-ACK"));
	swt_make_ack(&syn, cookie, true, 12346, tsval, &ack);
	return run(&ack, XDP_PASS, SWT_STAT(xdp_pass_cookie), &o);
}

/*
 * The full object checks an ACK with the kernel's own cookie helper only
 * while the listener's mark says the kernel could accept one (bpf/socket.h,
 * sw_mark_recent: the kernel's window taken for HZ = 1000).  The degraded
 * object makes the kernel's cookie here; the full one, loaded beside it,
 * judges its final ACK: passed while the listener's mark is fresh, dropped
 * once the listener is one that never overflowed (mark 0) -- unless
 * jiffies are within that window of 0 (uptime ~300 s on), where the
 * kernel too would take it.
 */
/* Run the full object on frame buf: verdict want, and its counter. */
static int gate_run(struct swt_env *env, const __u8 *buf, size_t len,
		    __u32 want, const char *what)
{
	struct synwall_stats b, a;
	struct swt_xdp_out o;
	char w[256];

	if (swt_stats_read(env, &b) ||
	    swt_xdp_run(env->xdp_fd, buf, len, 0, &o) ||
	    swt_stats_read(env, &a))
		SWT_FAIL("full object run: %s", strerror(errno));
	if (o.verdict != want)
		SWT_FAIL("%s: verdict %s, expected %s", what,
			 swt_xdp_verdict_name(o.verdict),
			 swt_xdp_verdict_name(want));
	if (swt_stats_check_one(&b, &a,
				want == XDP_PASS ?
					SWT_STAT(xdp_pass_kernel_cookie) :
					SWT_STAT(xdp_drop_bad_ack),
				w, sizeof(w)))
		SWT_FAIL("%s: counters: %s", what, w);
	return SWT_PASS;
}

static int t_full_kernel_cookie_gate(void)
{
	static const char *const trusted_what[] = {
		"trusted table, no kernel cookie since attach",
		"trusted table, a kernel cookie just now",
		"trusted table, the last kernel cookie 131 s ago"};
	static struct swt_env env;
	static int opened;
	struct synwall_config cfg;
	struct synwall_keys keys;
	const struct synwall_key key = {0x1111, 0x2222};
	struct swt_pkt syn, ack;
	__u32 cookie = 0, tsval = 0, now, want, z = 0;
	const char *missing = swt_missing_kfunc();
	LIBBPF_OPTS(bpf_test_run_opts, tr);
	char err[256];
	__u8 buf[SWT_PKT_MAX];
	struct timespec ts;
	__u64 now64;
	size_t len;
	int i, r;

	if (missing)
		return swt_skipf("this kernel lacks the kfunc %s: the full "
				 "object cannot load",
				 missing);
	if (!opened) {
		if (swt_env_open(&env, err, sizeof(err)))
			SWT_FAIL("full object: %s", err);
		opened = 1;
		swt_cfg_default(&cfg, (__u32)time(NULL));
		cfg.fixed_time = 0;
		swt_keys_one(&keys, &key, (__u32)time(NULL));
		if (swt_config_write(&env, &cfg) ||
		    swt_keys_write(&env, &keys) || swt_port_set(&env, 80, true))
			SWT_FAIL("full object maps: %s", strerror(errno));
	}
	TRY(swt_sub(synack_of(0, &syn, &cookie, &tsval), "the SYN-ACK"));
	swt_make_ack(&syn, cookie, true, 12346, tsval, &ack);
	len = swt_build(&ack, buf, sizeof(buf), NULL);
	/* a fresh mark: the listener that answered the SYN overflowed */
	TRY(gate_run(&env, buf, len, XDP_PASS, "fresh mark"));
	/* a listener that never overflowed: mark 0 */
	close(ls4);
	ls4 = listen_on(0, 80);
	if (ls4 < 0)
		SWT_FAIL("listen: %s", strerror(errno));
	bpf_prog_test_run_opts(bpf_program__fd(skel->progs.synwall_jiffies),
			       &tr);
	now = tr.retval;
	want = now - (0u - 1000u) <= 121u * 1000u ? XDP_PASS : XDP_DROP;
	TRY(gate_run(&env, buf, len, want, "listener with mark 0"));
	/* a trusted flow table gates on the time of the kernel's last own
	 * cookie (fentry cookie_v4_init_sequence), not on a listener */
	for (i = 0; i < 3; i++) {
		struct synwall_flow_ctl fc = {.on = 1, .trusted = 1};

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now64 = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
		fc.kcookie_at = i == 0 ? 0 :
				i == 1 ? now64 :
					 now64 - 131ull * 1000000000ull;
		if (bpf_map_update_elem(bpf_map__fd(env.skel->maps.flow_ctl),
					&z, &fc, BPF_ANY))
			SWT_FAIL("flow_ctl write: %s", strerror(errno));
		r = gate_run(&env, buf, len, i == 1 ? XDP_PASS : XDP_DROP,
			     trusted_what[i]);
		memset(&fc, 0, sizeof(fc));
		bpf_map_update_elem(bpf_map__fd(env.skel->maps.flow_ctl), &z,
				    &fc, BPF_ANY);
		if (r != SWT_PASS)
			return r;
	}
	return SWT_PASS;
}

static int t_forged_ack_dropped(long v6)
{
	struct swt_xdp_out o;
	struct swt_pkt syn, ack;
	__u32 cookie = 0, tsval = 0;

	TRY(swt_sub(synack_of(v6, &syn, &cookie, &tsval), "the SYN-ACK"));
	/* a bit of the MAC flipped (cookie + 1 is no forgery here: the
	 * kernel adds the MSS index to the MAC, so it can name another
	 * valid index) */
	swt_make_ack(&syn, cookie ^ (1u << 20), true, 12346, tsval, &ack);
	return run(&ack, XDP_DROP, SWT_STAT(xdp_drop_bad_ack), &o);
}

/* a fresh listener: its mark is stale until the kernel answers */
static int t_stale_mark_syn_to_kernel(void)
{
	struct swt_xdp_out o;
	struct swt_pkt p;

	if (lenient())
		SWT_SKIP("uptime within 290-430 s, where the kernel takes a "
			 "mark of 0 as fresh (jiffies start at -300 s)");
	syn_of(&p, 0, 81, 1);
	return run(&p, XDP_PASS, SWT_STAT(xdp_pass_syn_mark), &o);
}

static int t_ecn_setup_syn(void)
{
	struct swt_xdp_out o;
	struct swt_pkt p;
	__u32 cookie, tsval;

	syn_of(&p, 0, 80, 1);
	p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
	renew(0);
	TRY(run(&p, XDP_TX, SWT_STAT(xdp_tx_synack), &o));
	return check_synack(&p, &o, 1, 10, 7 | 16 | 32, 1, &cookie, &tsval);
}

/* per-flow TS offsets: no timestamp, so neither WS nor SACK */
static int t_tcp_timestamps_1_no_options(void)
{
	struct swt_xdp_out o;
	struct swt_pkt p;
	__u32 cookie, tsval;

	swt_sysctl_ipv4("tcp_timestamps", "1");
	syn_of(&p, 0, 80, 1);
	TRY(run(&p, XDP_TX, SWT_STAT(xdp_tx_synack), &o));
	return check_synack(&p, &o, 0, -1, 0, 0, &cookie, &tsval);
}

/* The host check from the loader's snapshot, and SYNs it never answers:
 * each SYN to port 80 changed by how, then its verdict and counter. */
enum host_case {
	HC_BROADCAST_MAC,
	HC_OTHER_MAC,
	HC_FOREIGN_DST,
	HC_LOCAL_SRC,
	HC_NO_LISTENER,
	HC_SYN_FIN,
};

static int t_not_answered(long how)
{
	static const struct {
		__u32 verdict;
		size_t counter;
	} want[] = {
		[HC_BROADCAST_MAC] = {XDP_PASS, SWT_STAT(xdp_pass_not_host)},
		[HC_OTHER_MAC] = {XDP_PASS, SWT_STAT(xdp_pass_not_host)},
		[HC_FOREIGN_DST] = {XDP_PASS, SWT_STAT(xdp_pass_not_local)},
		[HC_LOCAL_SRC] = {XDP_PASS, SWT_STAT(xdp_pass_martian)},
		[HC_NO_LISTENER] = {XDP_PASS, SWT_STAT(xdp_pass_no_listener)},
		[HC_SYN_FIN] = {XDP_DROP, SWT_STAT(xdp_drop_malformed)},
	};
	struct swt_xdp_out o;
	struct swt_pkt p;

	syn_of(&p, 0, how == HC_NO_LISTENER ? 82 : 80, 1);
	switch (how) {
	case HC_BROADCAST_MAC:
		memset(p.dmac, 0xff, 6);
		break;
	case HC_OTHER_MAC:
		p.dmac[5] ^= 0x10;
		break;
	case HC_FOREIGN_DST:
		p.daddr[3] = 99;
		break;
	case HC_LOCAL_SRC:
		memcpy(p.saddr, p.daddr, 4);
		break;
	case HC_SYN_FIN:
		p.flags |= SWT_TCP_FIN;
		break;
	}
	return run(&p, want[how].verdict, want[how].counter, &o);
}

static int before_each(void)
{
	swt_sysctl_ipv4("tcp_timestamps", "2");
	return SWT_PASS;
}

#define HOST_CASE(n, how) SWT_CASE_ARG("compat_" n, t_not_answered, how)

static const struct swt_case cases[] = {
	/* first: the listener on 81 has never been answered */
	{.name = "compat_stale_mark_syn_to_kernel",
	 .fn = t_stale_mark_syn_to_kernel},
	SWT_CASE_V46("compat_synack_v4", "compat_synack_v6", t_synack),
	SWT_CASE_V46("compat_final_ack_passed_v4", "compat_final_ack_passed_v6",
		     t_final_ack_passed),
	{.name = "full_kernel_cookie_gate", .fn = t_full_kernel_cookie_gate},
	SWT_CASE_V46("compat_forged_ack_dropped_v4",
		     "compat_forged_ack_dropped_v6", t_forged_ack_dropped),
	{.name = "compat_ecn_setup_syn", .fn = t_ecn_setup_syn},
	{.name = "compat_tcp_timestamps_1_no_options",
	 .fn = t_tcp_timestamps_1_no_options},
	HOST_CASE("broadcast_mac_passed", HC_BROADCAST_MAC),
	HOST_CASE("other_mac_passed", HC_OTHER_MAC),
	HOST_CASE("foreign_destination_passed", HC_FOREIGN_DST),
	HOST_CASE("local_source_martian", HC_LOCAL_SRC),
	HOST_CASE("no_listener_passed", HC_NO_LISTENER),
	HOST_CASE("syn_fin_dropped", HC_SYN_FIN),
};

/* Load the object and write what the loader writes; listen on 80, 81. */
static int setup(void)
{
	struct synwall_compat_cfg c = {.refresh_s = 60};
	struct synwall_laddr_key k = {};
	__u32 zero = 0, lf = SYNWALL_LA_LOCAL, j0, j1;
	struct swt_pkt p;
	struct bpf_map *m;
	__u64 bits;
	int afd, pfd;
	LIBBPF_OPTS(bpf_test_run_opts, tr);

	swt_sysctl_ipv4("tcp_syncookies", "2");
	swt_sysctl_ipv4("tcp_timestamps", "2");
	swt_sysctl_ipv4("tcp_rmem", "4096 131072 33554432");
	skel = synwall_compat__open();
	if (!skel)
		SWT_FAIL("open: %s", strerror(errno));
	bpf_object__for_each_map(m, skel->obj) bpf_map__set_pin_path(m, NULL);
	if (synwall_compat__load(skel))
		SWT_FAIL("load: %s", strerror(errno));
	xdp_fd = bpf_program__fd(skel->progs.synwall_xdp);
	stats_fd = bpf_map__fd(skel->maps.stats);
	compat_fd = bpf_map__fd(skel->maps.compat);
	afd = bpf_map__fd(skel->maps.local_addrs);
	pfd = bpf_map__fd(skel->maps.ports);

	bits = 1ULL << (80 % 64) | 1ULL << (81 % 64) | 1ULL << (82 % 64);
	bpf_map_update_elem(pfd, &(__u32){80 / 64}, &bits, BPF_ANY);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.synwall_jiffies),
				   &tr))
		SWT_FAIL("synwall_jiffies: %s", strerror(errno));
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
	s81 = listen_on(0, 81);
	if (ls4 < 0 || ls6 < 0 || s81 < 0)
		SWT_FAIL("listen: %s", strerror(errno));
	return SWT_PASS;
}

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, before_each);
	char err[512];
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (swt_netns_private(err, sizeof(err))) {
		printf("SKIP: compat: no private network namespace: %s\n", err);
		return 0;
	}
	r = setup();
	if (r != SWT_PASS) {
		swt_result("compat_setup", r);
		return 1;
	}
	r = swt_main(&suite, argc, argv);
	close(s81);
	close(ls4);
	close(ls6);
	synwall_compat__destroy(skel);
	return r;
}
