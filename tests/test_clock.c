// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One clock for a fleet (DESIGN.md "One clock"), through BPF_PROG_TEST_RUN
 * on two instances of the real object, "host A" and "host B", each with
 * its own maps:
 *
 *   - the data path's clock is UTC = CLOCK_TAI - config.tai_offset; a host
 *     whose kernel keeps TAI - UTC = 37 s (chrony leapsectz, ntpd, phc2sys)
 *     and one that keeps 0 make and accept each other's cookies;
 *   - on top of that, hosts up to SW_CLOCK_SKEW (8) s apart accept each
 *     other's fresh cookies at every phase of the 64-s epoch; further
 *     apart, some phases fail (the tolerance is exactly what cookie.h says);
 *   - with the real clock (fixed_time 0), the cookie's time is CLOCK_TAI
 *     minus tai_offset.
 *
 * The fleet keys of each host are derived (loader/lib/kdf.c, HKDF-SHA256) from
 * one master secret and that host's own UTC, as `synwall attach --key-file
 * F --rotate 3600` does, so the key schedule and the cookie epoch share
 * the time base.  A host's clock is injected with config.fixed_time (a
 * fixed CLOCK_TAI reading): the host clock is never changed.
 *
 * Output: PASS:/FAIL:/SKIP: lines (tests/run.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "swt.h"
#include "swt_test.h"
/* cookie.h's "#pragma unroll" is for clang -target bpf */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

#include "../loader/lib/kdf.h"

#define ROTATE 3600 /* fleet key interval of both hosts */
#define TAI_LEAP 37 /* TAI - UTC since 2017 */

struct host {
	const char *name;
	struct swt_env env;
	__s32 tai_offset; /* what its kernel (adjtimex) says */
	__u32 tsval;	  /* TSval of the last SYN-ACK it sent */
};

static struct host A = {.name = "A"}, B = {.name = "B"};
static const __u8 master[32] = {
	0x5e, 0xc7, 0x37, 0x11, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
	0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
};

/*
 * Put host h at UTC second utc: its kernel's CLOCK_TAI reads
 * utc + tai_offset (the fixed_time hook), config.tai_offset is what the
 * loader read from adjtimex, and the keys are the fleet keys the loader
 * derives from its CLOCK_REALTIME (= utc).  fixed_time == 0 keeps the
 * real clock.
 */
static int host_set(struct host *h, __u32 utc, bool real_clock)
{
	struct synwall_config c = {0};
	struct synwall_keys k = {0};
	__u64 n = utc / ROTATE;
	int r;

	c.fixed_time = real_clock ? 0 : utc + (__u32)h->tai_offset;
	c.tai_offset = h->tai_offset;
	sw_fleet_key(master, sizeof(master), n, &k.key[n & 1]);
	sw_fleet_key(master, sizeof(master), n - 1, &k.key[(n - 1) & 1]);
	k.current = n & 1;
	k.generation = 2;
	k.installed_at[0] = k.installed_at[1] = utc - 1;
	if ((r = swt_config_write(&h->env, &c)) ||
	    (r = swt_keys_write(&h->env, &k))) {
		SWT_BAD("host %s: map write: %s", h->name, strerror(-r));
		return -1;
	}
	return 0;
}

/* The SYN of connection i (IPv4 for even i, IPv6 for odd). */
static void syn_of(unsigned int i, struct swt_pkt *p)
{
	swt_pkt_init(p, i & 1);
	swt_opt_linux_syn(p, 1460, 0x01020304u + i, 7);
	p->sport = (__u16)(20000 + i % 40000);
	p->seq = 0x9e3779b9u * (i + 1);
}

/* The TSval of a SYN-ACK's timestamp option (tcp: its TCP header), 0 if none. */
static __u32 synack_tsval(const __u8 *tcp)
{
	unsigned int i = 20, end = (tcp[12] >> 4) * 4u;

	while (i < end) {
		if (tcp[i] == 0)
			break;
		if (tcp[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= end || tcp[i + 1] < 2)
			break;
		if (tcp[i] == 8 && tcp[i + 1] == 10 && i + 10 <= end)
			return swt_get32(tcp + i + 2);
		i += tcp[i + 1];
	}
	return 0;
}

/* Run the SYN on host h: 0 and the cookie (our ISN), or -1; the SYN-ACK's
 * TSval (the client echoes it in its ACK) in h->tsval. */
static int make_cookie(struct host *h, const struct swt_pkt *syn, __u32 *ck)
{
	static __u8 buf[SWT_PKT_MAX];
	static struct swt_xdp_out o;
	struct swt_layout lo;
	size_t len = swt_build(syn, buf, sizeof(buf), &lo);

	if (!len || swt_xdp_run(h->env.xdp_fd, buf, len, 0, &o)) {
		SWT_BAD("host %s: BPF_PROG_TEST_RUN (SYN): %s", h->name,
			strerror(-o.err));
		return -1;
	}
	if (o.verdict != XDP_TX) {
		SWT_BAD("host %s: SYN answered %s, not XDP_TX", h->name,
			swt_xdp_verdict_name(o.verdict));
		return -1;
	}
	/* the SYN-ACK has the SYN's L2 and IP header sizes */
	*ck = swt_get32(swt_xdp_data(&o) + lo.l4 + 4);
	h->tsval = synack_tsval(swt_xdp_data(&o) + lo.l4);
	return 0;
}

/* Does host h accept the final ACK of syn with cookie ck?  1, 0, -1. */
static int check_cookie(struct host *h, const struct swt_pkt *syn, __u32 ck,
			__u32 syn_tsval)
{
	static __u8 buf[SWT_PKT_MAX];
	static struct swt_xdp_out o;
	struct swt_pkt ack;
	size_t len;

	/* the ACK echoes the SYN-ACK's TSval (option bits under the MAC) */
	swt_make_ack(syn, ck, syn_tsval != 0, 1, syn_tsval, &ack);
	len = swt_build(&ack, buf, sizeof(buf), NULL);
	if (!len || swt_xdp_run(h->env.xdp_fd, buf, len, 0, &o)) {
		SWT_BAD("host %s: BPF_PROG_TEST_RUN (ACK): %s", h->name,
			strerror(-o.err));
		return -1;
	}
	if (o.verdict == XDP_PASS && o.meta_len)
		return 1;
	if (o.verdict == XDP_DROP)
		return 0;
	SWT_BAD("host %s: ACK gave %s (meta %u)", h->name,
		swt_xdp_verdict_name(o.verdict), o.meta_len);
	return -1;
}

/*
 * At every second of two cookie epochs, A at UTC t and B at UTC t + skew
 * (B's kernel TAI offset b_tai): a cookie made by one and checked by the
 * other at once.  Returns the number of rejections (both directions), or
 * -1 on a test error; *first gets the first rejection's description.
 */
static int cross_run(__s32 b_tai, int skew, __u32 t0, char *first, size_t n)
{
	struct swt_pkt syn;
	unsigned int phase, rej = 0, i = 0;
	__u32 ck;
	int r, dir;

	first[0] = '\0';
	A.tai_offset = 0;
	B.tai_offset = b_tai;
	for (phase = 0; phase < 128; phase++) {
		__u32 t = t0 + phase;

		if (host_set(&A, t, false) || host_set(&B, t + skew, false))
			return -1;
		for (dir = 0; dir < 2; dir++) {
			struct host *mk = dir ? &B : &A, *ch = dir ? &A : &B;

			syn_of(i++, &syn);
			if (make_cookie(mk, &syn, &ck))
				return -1;
			r = check_cookie(ch, &syn, ck, mk->tsval);
			if (r < 0)
				return -1;
			if (!r && !rej++)
				snprintf(first, n,
					 "a cookie of %s (UTC %u) rejected by "
					 "%s (UTC %u)",
					 mk->name, dir ? t + skew : t, ch->name,
					 dir ? t : t + skew);
		}
	}
	return (int)rej;
}

/* UTC second of the start of a cookie epoch, well inside a key period. */
static __u32 quiet_t0(void)
{
	__u32 t = 1700000000u / ROTATE * ROTATE + 1024;

	return t & ~63u;
}

static void test_tai_offset(void)
{
	static const int skews[] = {0, 1, -1, 5, -5, 8, -8};
	char first[256];
	size_t i;
	int r;

	for (i = 0; i < sizeof(skews) / sizeof(skews[0]) && !swt_why[0]; i++) {
		r = cross_run(TAI_LEAP, skews[i], quiet_t0(), first,
			      sizeof(first));
		if (r > 0)
			SWT_BAD("B keeps TAI - UTC = %d s, A 0, B %+d s off: "
				"%d "
				"of 256 cookies rejected, first: %s",
				TAI_LEAP, skews[i], r, first);
	}
	swt_report("fleet_tai_offset_37_and_skew: a host with TAI - UTC = 37 s "
		   "and one with 0, up to 8 s apart, accept each other's "
		   "cookies at every phase");

	r = cross_run(TAI_LEAP, 0, quiet_t0() + 5 * 64 + 17, first,
		      sizeof(first));
	if (r)
		SWT_BAD("%d rejections at another phase: %s", r, first);
	swt_report("fleet_tai_offset_37_other_epochs");
}

static void test_skew_bound(void)
{
	char first[256];
	int s, r;

	for (s = 9; s <= 20 && !swt_why[0]; s++) {
		r = cross_run(0, s, quiet_t0(), first, sizeof(first));
		if (r == 0)
			SWT_BAD("hosts %d s apart never rejected each other: "
				"the "
				"tolerance is larger than SW_CLOCK_SKEW = %u",
				s, SW_CLOCK_SKEW);
	}
	swt_report("fleet_skew_beyond_8s_rejected_at_some_phase");
}

/* fixed_time 0: the cookie's clock is CLOCK_TAI - tai_offset. */
static void test_real_clock(void)
{
	static const __s32 offs[] = {0, TAI_LEAP, 6400, -6400};
	struct swt_pkt syn;
	struct sw_flow f;
	struct timespec ts;
	struct synwall_keys k;
	__u32 ck, before, after, i, mss_idx;
	size_t j;

	for (j = 0; j < sizeof(offs) / sizeof(offs[0]) && !swt_why[0]; j++) {
		A.tai_offset = offs[j];
		for (i = 0; i < 4 && !swt_why[0]; i++) {
			clock_gettime(CLOCK_TAI, &ts);
			before = (__u32)(ts.tv_sec - offs[j]);
			if (host_set(&A, before, true))
				return;
			/* no timestamp option: the MAC's tso input is 0 */
			swt_pkt_init(&syn, i & 1);
			swt_opt_mss(&syn, 1460);
			syn.sport = (__u16)(20000 + i);
			syn.seq = 0x9e3779b9u * (i + 1);
			if (make_cookie(&A, &syn, &ck))
				return;
			clock_gettime(CLOCK_TAI, &ts);
			after = (__u32)(ts.tv_sec - offs[j]);
			swt_flow(&syn, syn.seq, &f);
			mss_idx = sw_cookie_nots_code(ck);
			if (bpf_map_lookup_elem(A.env.keys_fd, &(__u32){0},
						&k)) {
				SWT_BAD("keys map read: %s", strerror(errno));
				return;
			}
			/* a bare SYN: the no-timestamp layout */
			if (ck != sw_cookie_make_nots(&k.key[k.current & 1],
						      k.current & 1, &f, syn.v6,
						      before, mss_idx,
						      SYNWALL_WSCALE_DEFAULT) &&
			    ck != sw_cookie_make_nots(&k.key[k.current & 1],
						      k.current & 1, &f, syn.v6,
						      after, mss_idx,
						      SYNWALL_WSCALE_DEFAULT))
				SWT_BAD("tai_offset %d: cookie %#x is not the "
					"one "
					"of UTC %u = CLOCK_TAI - %d",
					offs[j], ck, before, offs[j]);
		}
	}
	swt_report("real_clock_is_tai_minus_offset");
}

static const struct swt_case cases[] = {
	SWT_CHECKS("tai_offset", test_tai_offset),
	SWT_CHECKS("skew_bound", test_skew_bound),
	SWT_CHECKS("real_clock", test_real_clock),
};

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, NULL);
	int r;
	char err[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (swt_netns_private(err, sizeof(err)))
		fprintf(stderr, "test_clock: %s; staying in this namespace\n",
			err);
	if (swt_env_open(&A.env, err, sizeof(err)) ||
	    swt_env_open(&B.env, err, sizeof(err))) {
		printf("FAIL: load: %s\n", err);
		return 1;
	}
	if (swt_ports_clear(&A.env) || swt_ports_clear(&B.env) ||
	    swt_port_set(&A.env, 80, true) || swt_port_set(&B.env, 80, true)) {
		printf("FAIL: setup: ports map\n");
		return 1;
	}
	/* the server: synwall answers SYNs only where something listens */
	if (swt_listen_any(80) < 0) {
		printf("FAIL: setup: listen on port 80: %s\n", strerror(errno));
		return 1;
	}
	r = swt_main(&suite, argc, argv);
	swt_env_close(&A.env);
	swt_env_close(&B.env);
	return r;
}
