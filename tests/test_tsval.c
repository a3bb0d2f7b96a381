// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The SYN-ACK's TSval and the final ACK's TSecr,
 * through BPF_PROG_TEST_RUN on the real object:
 *
 *  - the TSval is the millisecond clock plus a secret per-flow offset:
 *    flows answered in the same millisecond get unrelated TSvals, none is
 *    the host's clock, and one flow's TSval still advances with the clock
 *    (so the client's PAWS holds for a retransmitted SYN's SYN-ACK);
 *  - the option bits in the TSval are under the cookie's MAC: an ACK whose
 *    TSecr has any of them changed (window scales, SACK, ECN), or that adds
 *    or strips the timestamp, is dropped, by XDP and by TC's no-metadata
 *    re-check alike;
 *  - an intact ACK's handoff metadata carries the window scale our
 *    SYN-ACK advertised (config.wscale) and ECN only as config allowed.
 *
 * Expected SYN-ACKs come from tests/lib (swt_expect_synack: cookie.h for
 * the cookie and the flow's offset only); the TSval layout checked here is
 * written out by hand.
 *
 * Prints one line per case: PASS: name | FAIL: name: why | SKIP: name: why
 * Usage: test_tsval [-v] [-l] [-k PATTERN]... [PATTERN]... (swt_test.h)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>

#include "swt.h"
#include "swt_test.h"
/* cookie.h's "#pragma unroll" is for clang -target bpf */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

#define T_NOW 1700000000u /* the first second of a cookie epoch */
#define PORT 80
#define CLIENT_TSVAL 0x01020304u
#define NFLOWS 16
#define OPT_MASK 0x3ffu

static struct swt_env env;
static struct synwall_config cfg;
static struct synwall_keys keys;

static const struct synwall_key key_a = {0x0706050403020100ull,
					 0x0f0e0d0c0b0a0908ull};

/* ---- state ----------------------------------------------------------- */

static int write_config(void)
{
	int r = swt_config_write(&env, &cfg);

	if (r)
		SWT_FAIL("config write: %s", strerror(-r));
	return SWT_PASS;
}

static int setup_default(void)
{
	int r;

	swt_cfg_default(&cfg, T_NOW);
	TRY(write_config());
	if ((r = swt_ports_clear(&env)) || (r = swt_port_set(&env, PORT, true)))
		SWT_FAIL("ports: %s", strerror(-r));
	swt_keys_one(&keys, &key_a, T_NOW);
	if ((r = swt_keys_write(&env, &keys)))
		SWT_FAIL("keys write: %s", strerror(-r));
	return SWT_PASS;
}

/* ---- running frames --------------------------------------------------- */

static struct swt_xdp_out last;

/*
 * Run p through XDP; the verdict and exactly one counter (by one) must be
 * as given.
 */
static int run_xdp(const struct swt_pkt *p, __u32 verdict, size_t counter)
{
	static __u8 buf[SWT_PKT_MAX];
	struct synwall_stats before, after;
	size_t len = swt_build(p, buf, sizeof(buf), NULL);
	char moved[512];
	int r;

	if (!len)
		SWT_FAIL("test bug: frame does not fit");
	if ((r = swt_stats_read(&env, &before)))
		SWT_FAIL("stats read: %s", strerror(-r));
	if (swt_xdp_run(env.xdp_fd, buf, len, 0, &last))
		SWT_FAIL("BPF_PROG_TEST_RUN: %s", strerror(-last.err));
	if ((r = swt_stats_read(&env, &after)))
		SWT_FAIL("stats read: %s", strerror(-r));
	r = swt_stats_check_one(&before, &after, counter, moved, sizeof(moved));
	if (swt_verbose) {
		printf("# %s, meta %u\n", swt_xdp_verdict_name(last.verdict),
		       last.meta_len);
		swt_hexdiff(stdout, buf, len, swt_xdp_data(&last), last.len);
	}
	if (last.verdict != verdict)
		SWT_FAIL("verdict %s, want %s (counters moved: %s)",
			 swt_xdp_verdict_name(last.verdict),
			 swt_xdp_verdict_name(verdict), moved);
	if (r)
		SWT_FAIL("counters: want %s +1 and nothing else, got %s",
			 swt_stat_name(counter), moved);
	if (verdict != XDP_TX &&
	    (last.len != len || memcmp(swt_xdp_data(&last), buf, len)))
		SWT_FAIL("frame changed");
	if (verdict != XDP_PASS && last.meta_len)
		SWT_FAIL("metadata on a %s", swt_xdp_verdict_name(verdict));
	return SWT_PASS;
}

/* A Linux SYN from port sport (MSS, SACK-permitted, TS, NOP, WS 7). */
static void syn_linux(struct swt_pkt *p, struct swt_synopts *o, bool v6,
		      __u16 sport, bool ecn)
{
	swt_pkt_init(p, v6);
	p->dport = PORT;
	p->sport = sport;
	p->seq = 0x10000000u + sport * 7919u;
	swt_opt_linux_syn(p, 1460, CLIENT_TSVAL, 7);
	if (ecn)
		p->flags |= SWT_TCP_ECE | SWT_TCP_CWR;
	*o = (struct swt_synopts){.mss = 1460,
				  .ws = 7,
				  .sack = true,
				  .ts = true,
				  .tsval = CLIENT_TSVAL,
				  .ecn = ecn};
}

/* The TSval of the SYN-ACK in last (0 and false if it has none). */
static bool synack_tsval(__u32 *tsval, __u8 *flags)
{
	const __u8 *f = swt_xdp_data(&last);
	size_t l4 = 14 + ((f[12] == 0x86 && f[13] == 0xdd) ? 40 : 20), i, n;

	*flags = f[l4 + 13];
	n = (f[l4 + 12] >> 4) * 4u;
	for (i = 20; i + 10 <= n;) {
		if (f[l4 + i] == 1) {
			i++;
			continue;
		}
		if (f[l4 + i] == 8) {
			*tsval = swt_get32(f + l4 + i + 2);
			return true;
		}
		i += f[l4 + i + 1] ? f[l4 + i + 1] : 1;
	}
	*tsval = 0;
	return false;
}

/*
 * Send syn, expect the independently built SYN-ACK byte for byte; return
 * its cookie and TSval.
 */
static int synack(const struct swt_pkt *syn, const struct swt_synopts *o,
		  __u32 *cookie, __u32 *tsval)
{
	static __u8 exp[SWT_PKT_MAX];
	size_t elen;
	__u32 ck, tsv, got;
	__u8 fl;

	TRY(run_xdp(syn, XDP_TX, SWT_STAT(xdp_tx_synack)));
	elen = swt_expect_synack(syn, o, &cfg, &keys, exp, sizeof(exp), &ck,
				 &tsv);
	if (!elen)
		SWT_FAIL("test bug: expected SYN-ACK does not fit");
	if (last.len != elen || memcmp(exp, swt_xdp_data(&last), elen)) {
		swt_hexdiff(stdout, exp, elen, swt_xdp_data(&last), last.len);
		SWT_FAIL("SYN-ACK differs from the expected one");
	}
	if (o->ts && (!synack_tsval(&got, &fl) || got != tsv))
		SWT_FAIL("SYN-ACK TSval %#x, want %#x", got, tsv);
	*cookie = ck;
	*tsval = tsv;
	return SWT_PASS;
}

/* The option bits our TSval must carry, by hand (cookie.h's layout). */
static __u32 want_opt_bits(const struct swt_synopts *o, __u32 our_ws, bool ecn)
{
	return our_ws << 6 | (__u32)(o->ws >= 0 ? o->ws : 0xf) << 2 |
	       (o->sack ? 2u : 0) | (ecn ? 1u : 0);
}

static __u32 ring_dist(__u32 a, __u32 b)
{
	__u32 d = a - b;

	return d < (__u32)-d ? d : (__u32)-d;
}

/* ---- the TSval -------------------------------------------------------- */

static int t_tsval_per_flow_same_ms(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck, tsv[NFLOWS], clock_ms = T_NOW * 1000u;
	int i, j, v6;

	/*
	 * The test clock is frozen: every SYN is answered in the same
	 * millisecond.  A bare clock would give NFLOWS equal TSvals (or a
	 * constant offset of one clock); each flow must get its own.
	 */
	for (v6 = 0; v6 < 2; v6++) {
		for (i = 0; i < NFLOWS; i++) {
			syn_linux(&p, &o, v6, (__u16)(40000 + i), false);
			TRY(swt_sub(synack(&p, &o, &ck, &tsv[i]), "flow %d%s",
				    i, v6 ? " (IPv6)" : ""));
			if ((tsv[i] & OPT_MASK) != want_opt_bits(&o, 7, false))
				SWT_FAIL("flow %d: TSval %#x: low 10 bits %#x, "
					 "want "
					 "the options %#x",
					 i, tsv[i], tsv[i] & OPT_MASK,
					 want_opt_bits(&o, 7, false));
			if ((tsv[i] & ~OPT_MASK) == (clock_ms & ~OPT_MASK))
				SWT_FAIL("flow %d: TSval %#x is the bare clock "
					 "(%u ms)",
					 i, tsv[i], clock_ms);
		}
		for (i = 0; i < NFLOWS; i++)
			for (j = i + 1; j < NFLOWS; j++)
				if ((tsv[i] & ~OPT_MASK) ==
				    (tsv[j] & ~OPT_MASK))
					SWT_FAIL("flows %d and %d, answered in "
						 "the same ms, got the same "
						 "TSval "
						 "%#x%s",
						 i, j, tsv[i],
						 v6 ? " (IPv6)" : "");
		/* not a constant offset either: spread over the 32 bits */
		for (i = 1; i < NFLOWS; i++)
			if (ring_dist(tsv[i], tsv[0]) > (1u << 24))
				break;
		if (i == NFLOWS)
			SWT_FAIL("all %d TSvals within 2^24 of each other: not "
				 "per-flow secret offsets",
				 NFLOWS);
	}
	return SWT_PASS;
}

static int t_tsval_real_clock(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	struct timespec ts;
	__u32 tsv[4], now_ms, far = 0;
	int i, spread = 0;

	/* the real clock (CLOCK_TAI, as the loader runs synwall) */
	cfg.fixed_time = 0;
	TRY(write_config());
	keys.installed_at[0] = 1;
	if (swt_keys_write(&env, &keys))
		SWT_FAIL("keys write");
	for (i = 0; i < 4; i++) {
		__u8 fl;

		syn_linux(&p, &o, false, (__u16)(41000 + i), false);
		TRY(run_xdp(&p, XDP_TX, SWT_STAT(xdp_tx_synack)));
		if (!synack_tsval(&tsv[i], &fl))
			SWT_FAIL("SYN-ACK %d without a timestamp", i);
	}
	clock_gettime(CLOCK_TAI, &ts);
	now_ms = (__u32)((__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	for (i = 0; i < 4; i++) {
		/* a TSval within 1 min of the host's ms clock: exposed */
		far += ring_dist(tsv[i], now_ms) > 60000;
		spread += ring_dist(tsv[i], tsv[0]) > (1u << 20);
	}
	/* each is a 2^-16 coincidence at worst: allow one */
	if (far < 3)
		SWT_FAIL("%u of 4 back-to-back SYN-ACK TSvals (%#x %#x %#x "
			 "%#x) are "
			 "within a minute of CLOCK_TAI ms %#x",
			 4 - far, tsv[0], tsv[1], tsv[2], tsv[3], now_ms);
	if (!spread)
		SWT_FAIL(
			"4 back-to-back SYN-ACK TSvals %#x %#x %#x %#x are one "
			"clock",
			tsv[0], tsv[1], tsv[2], tsv[3]);
	return SWT_PASS;
}

static int t_tsval_one_flow_advances(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck, ck2, tsv, tsv2, d;

	/*
	 * A retransmitted SYN, 10 s later in the same epoch: the same
	 * cookie, and a TSval 10 s further on (the offset is the flow's),
	 * so the client's PAWS accepts the new SYN-ACK.
	 */
	syn_linux(&p, &o, false, 42000, false);
	TRY(swt_sub(synack(&p, &o, &ck, &tsv), "SYN"));
	cfg.fixed_time = T_NOW + 10;
	TRY(write_config());
	TRY(swt_sub(synack(&p, &o, &ck2, &tsv2), "SYN again 10 s later"));
	d = (tsv2 & ~OPT_MASK) - (tsv & ~OPT_MASK);
	if (ck2 != ck)
		SWT_FAIL("cookie changed within an epoch: %#x -> %#x", ck, ck2);
	if (d < 10000 - OPT_MASK - 1 || d > 10000 + OPT_MASK + 1)
		SWT_FAIL("TSval %#x -> %#x in 10 s: +%u, want 10000 +- 1024",
			 tsv, tsv2, d);
	return SWT_PASS;
}

/*
 * The real clock's per-CPU copy (bpf/clock.h) advances with the coarse
 * clock and is read again once a second old: one flow's SYN twice, 2.5 s
 * apart, on the real clock; its TSval moved by the CLOCK_TAI time between,
 * to the option bits' 1024 ms and a tick.  (A cookie epoch that begins in
 * between changes the flow's offset: then once more.)
 */
static int t_tsval_real_clock_advances(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	struct timespec a, b;
	__u32 ck = 0, ck2 = 1, tsv = 0, tsv2 = 0, d, el;
	__u8 fl;
	int tries;

	cfg.fixed_time = 0;
	TRY(write_config());
	keys.installed_at[0] = 1;
	if (swt_keys_write(&env, &keys))
		SWT_FAIL("keys write");
	syn_linux(&p, &o, false, 42100, false);
	for (tries = 0; tries < 2 && ck2 != ck; tries++) {
		clock_gettime(CLOCK_TAI, &a);
		TRY(run_xdp(&p, XDP_TX, SWT_STAT(xdp_tx_synack)));
		ck = swt_get32(swt_xdp_data(&last) + 14 + 20 + 4);
		if (!synack_tsval(&tsv, &fl))
			SWT_FAIL("SYN-ACK without a timestamp");
		usleep(2500000);
		TRY(run_xdp(&p, XDP_TX, SWT_STAT(xdp_tx_synack)));
		ck2 = swt_get32(swt_xdp_data(&last) + 14 + 20 + 4);
		if (!synack_tsval(&tsv2, &fl))
			SWT_FAIL("SYN-ACK without a timestamp");
		clock_gettime(CLOCK_TAI, &b);
	}
	if (ck2 != ck)
		SWT_FAIL("the cookie changed twice in 2.5 s: %#x -> %#x", ck,
			 ck2);
	el = (__u32)((b.tv_sec - a.tv_sec) * 1000 +
		     (b.tv_nsec - a.tv_nsec) / 1000000);
	d = (tsv2 & ~OPT_MASK) - (tsv & ~OPT_MASK);
	if (d + OPT_MASK + 1 + 20 < 2500 || d > el + OPT_MASK + 1 + 20)
		SWT_FAIL("TSval %#x -> %#x over 2.5 s (%u ms of CLOCK_TAI): "
			 "+%u, want 2500-%u +- 1044",
			 tsv, tsv2, el, d, el);
	return SWT_PASS;
}

/* ---- the TSecr -------------------------------------------------------- */

/* The metadata of an intact third ACK (cookie.h-independent fields). */
static void want_meta(struct synwall_meta *m, __u32 cookie,
		      const struct swt_synopts *o, __u32 our_ws, bool ecn,
		      __u32 tsval, __u32 tsecr)
{
	memset(m, 0, sizeof(*m));
	m->magic = SYNWALL_META_MAGIC;
	m->cookie = cookie;
	m->mss = 1460;
	m->tsval = tsval;
	m->tsecr = tsecr;
	m->flags = SYNWALL_MF_TSTAMP | SYNWALL_MF_SACK;
	if (o->ws >= 0) {
		m->flags |= SYNWALL_MF_WSCALE;
		m->snd_wscale = (__u8)o->ws;
		m->rcv_wscale = (__u8)our_ws;
	}
	if (ecn)
		m->flags |= SYNWALL_MF_ECN;
}

static int expect_meta(const struct synwall_meta *w)
{
	struct synwall_meta got;

	if (last.meta_len != sizeof(got))
		SWT_FAIL("metadata: %u bytes, want %zu", last.meta_len,
			 sizeof(got));
	memcpy(&got, last.buf, sizeof(got));
	if (memcmp(&got, w, sizeof(got)))
		SWT_FAIL(
			"metadata {cookie %#x tsval %#x tsecr %#x mss %u "
			"snd_ws %u "
			"rcv_ws %u flags %#x}, want {%#x %#x %#x %u %u %u %#x}",
			got.cookie, got.tsval, got.tsecr, got.mss,
			got.snd_wscale, got.rcv_wscale, got.flags, w->cookie,
			w->tsval, w->tsecr, w->mss, w->snd_wscale,
			w->rcv_wscale, w->flags);
	return SWT_PASS;
}

static int t_tsecr_edited_dropped(void)
{
	static const char *const bit[10] = {"ECN",	     "SACK",
					    "peer WS bit 0", "peer WS bit 1",
					    "peer WS bit 2", "peer WS bit 3",
					    "our WS bit 0",  "our WS bit 1",
					    "our WS bit 2",  "our WS bit 3"};
	struct swt_pkt p, ack;
	struct swt_synopts o;
	struct synwall_meta m;
	__u32 ck, tsv;
	int v6, ecn, b;

	for (v6 = 0; v6 < 2; v6++) {
		for (ecn = 0; ecn < 2; ecn++) {
			syn_linux(&p, &o, v6, (__u16)(43000 + ecn), ecn);
			TRY(swt_sub(synack(&p, &o, &ck, &tsv), "SYN"));
			for (b = 0; b < 10; b++) {
				swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1,
					     tsv ^ (1u << b), &ack);
				TRY(swt_sub(run_xdp(&ack, XDP_DROP,
						    SWT_STAT(xdp_drop_bad_ack)),
					    "TSecr %s flipped%s%s", bit[b],
					    ecn ? ", ECN SYN" : "",
					    v6 ? " (IPv6)" : ""));
			}
			/* every other 10-bit value too */
			for (b = 1; b < 1024; b++) {
				if (!(b & (b - 1)))
					continue;
				swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1,
					     tsv ^ (__u32)b, &ack);
				TRY(swt_sub(run_xdp(&ack, XDP_DROP,
						    SWT_STAT(xdp_drop_bad_ack)),
					    "TSecr option bits ^ %#x%s", b,
					    v6 ? " (IPv6)" : ""));
			}
			/* the timestamp stripped from the ACK */
			swt_make_ack(&p, ck, false, 0, 0, &ack);
			TRY(swt_sub(run_xdp(&ack, XDP_DROP,
					    SWT_STAT(xdp_drop_bad_ack)),
				    "timestamp stripped%s",
				    v6 ? " (IPv6)" : ""));
			/* intact: accepted */
			swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1, tsv, &ack);
			TRY(swt_sub(run_xdp(&ack, XDP_PASS,
					    SWT_STAT(xdp_pass_cookie)),
				    "intact TSecr%s", v6 ? " (IPv6)" : ""));
			want_meta(&m, ck, &o, 7, ecn, CLIENT_TSVAL + 1, tsv);
			m.mss = sw_index_to_mss(swt_mss_index(1460, v6), v6);
			TRY(swt_sub(expect_meta(&m), "intact TSecr%s",
				    v6 ? " (IPv6)" : ""));
		}
	}
	return SWT_PASS;
}

static int t_tsecr_added_dropped(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;
	__u32 ck, tsv, b;

	/* a SYN without timestamp: its cookie is for an ACK without one */
	swt_pkt_init(&p, false);
	p.dport = PORT;
	swt_opt_mss(&p, 1460);
	o = (struct swt_synopts){.mss = 1460, .ws = -1};
	TRY(swt_sub(synack(&p, &o, &ck, &tsv), "SYN without timestamp"));
	for (b = 0; b < 0x800; b += 0x55) {
		swt_make_ack(&p, ck, true, 5, b, &ack);
		TRY(swt_sub(run_xdp(&ack, XDP_DROP, SWT_STAT(xdp_drop_bad_ack)),
			    "timestamp added to the ACK (TSecr %#x)", b));
	}
	swt_make_ack(&p, ck, false, 0, 0, &ack);
	return swt_sub(run_xdp(&ack, XDP_PASS, SWT_STAT(xdp_pass_cookie)),
		       "ACK without timestamp");
}

static int t_tsecr_clock_bits_unauthenticated(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;
	struct synwall_meta m;
	__u32 ck, tsv, e;

	/*
	 * The bits above the options are the clock: not in the MAC (as in
	 * Linux).  They only set the new socket's ts_off, i.e. what this
	 * very client's connection sees.  Accepted, echoed as sent.
	 */
	syn_linux(&p, &o, false, 44000, false);
	TRY(swt_sub(synack(&p, &o, &ck, &tsv), "SYN"));
	e = tsv ^ 0x12345400u;
	swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1, e, &ack);
	TRY(swt_sub(run_xdp(&ack, XDP_PASS, SWT_STAT(xdp_pass_cookie)),
		    "TSecr clock bits changed"));
	want_meta(&m, ck, &o, 7, false, CLIENT_TSVAL + 1, e);
	return expect_meta(&m);
}

static int t_meta_wscale_ecn_from_config(void)
{
	static const struct {
		__u8 cfg_ws, want_ws;
	} ws[] = {{7, 7}, {3, 3}, {14, 14}, {SYNWALL_WSCALE_ZERO, 0}, {1, 1}};
	struct swt_pkt p, ack;
	struct swt_synopts o;
	struct synwall_meta m;
	__u32 ck, tsv, i, no_ecn;

	for (no_ecn = 0; no_ecn < 2; no_ecn++) {
		for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
			__u8 fl;

			cfg.wscale = ws[i].cfg_ws;
			cfg.flags = no_ecn ? SYNWALL_CF_NO_ECN : 0;
			TRY(write_config());
			/* an ECN-setup SYN */
			syn_linux(&p, &o, false, (__u16)(45000 + i), true);
			TRY(swt_sub(synack(&p, &o, &ck, &tsv),
				    "SYN, config wscale %u%s", ws[i].want_ws,
				    no_ecn ? ", ECN off" : ""));
			synack_tsval(&tsv, &fl);
			if (!!(fl & SWT_TCP_ECE) == !!no_ecn)
				SWT_FAIL(
					"config wscale %u%s: SYN-ACK flags %#x",
					ws[i].want_ws,
					no_ecn ? ", ECN off" : "", fl);
			swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1, tsv, &ack);
			TRY(swt_sub(run_xdp(&ack, XDP_PASS,
					    SWT_STAT(xdp_pass_cookie)),
				    "ACK, config wscale %u", ws[i].want_ws));
			want_meta(&m, ck, &o, ws[i].want_ws, !no_ecn,
				  CLIENT_TSVAL + 1, tsv);
			TRY(swt_sub(expect_meta(&m), "config wscale %u%s",
				    ws[i].want_ws, no_ecn ? ", ECN off" : ""));
			/* ECN turned on by the ACK: dropped */
			if (no_ecn) {
				swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1,
					     tsv | 1, &ack);
				TRY(swt_sub(
					run_xdp(&ack, XDP_DROP,
						SWT_STAT(xdp_drop_bad_ack)),
					"--ecn off, ECN bit set in the TSecr"));
			}
			/* our window scale rewritten by the ACK: dropped */
			swt_make_ack(
				&p, ck, true, CLIENT_TSVAL + 1,
				(tsv & ~0x3c0u) |
					(__u32)(ws[i].want_ws == 14 ? 0 : 14)
						<< 6,
				&ack);
			TRY(swt_sub(run_xdp(&ack, XDP_DROP,
					    SWT_STAT(xdp_drop_bad_ack)),
				    "our window scale rewritten in the TSecr"));
		}
	}
	return SWT_PASS;
}

static int t_meta_wscale_config_changed(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;
	struct synwall_meta m;
	__u32 ck, tsv;

	/*
	 * The scale is the one our SYN-ACK advertised: a config change
	 * between SYN and ACK neither breaks the handshake nor the window.
	 */
	syn_linux(&p, &o, false, 46000, false);
	TRY(swt_sub(synack(&p, &o, &ck, &tsv), "SYN under wscale 7"));
	cfg.wscale = 3;
	TRY(write_config());
	swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1, tsv, &ack);
	TRY(swt_sub(run_xdp(&ack, XDP_PASS, SWT_STAT(xdp_pass_cookie)),
		    "ACK after the config moved to wscale 3"));
	want_meta(&m, ck, &o, 7, false, CLIENT_TSVAL + 1, tsv);
	return expect_meta(&m);
}

/* ---- TC's no-metadata re-check ---------------------------------------- */

/* Run a frame through the TC program; the counter that moved, by name. */
static int run_tc(const struct swt_pkt *p, size_t want, const char *what)
{
	static __u8 buf[SWT_PKT_MAX], out[SWT_PKT_MAX];
	struct synwall_stats before, after;
	size_t len = swt_build(p, buf, sizeof(buf), NULL);
	char moved[512];
	int r;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf,
		    .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if ((r = swt_stats_read(&env, &before)))
		SWT_FAIL("stats read: %s", strerror(-r));
	if (bpf_prog_test_run_opts(env.tc_fd, &o))
		SWT_FAIL("%s: BPF_PROG_TEST_RUN (tc): %s", what,
			 strerror(errno));
	if ((r = swt_stats_read(&env, &after)))
		SWT_FAIL("stats read: %s", strerror(-r));
	if (o.retval != TC_ACT_OK)
		SWT_FAIL("%s: TC verdict %d, want TC_ACT_OK", what, o.retval);
	if (swt_stats_check_one(&before, &after, want, moved, sizeof(moved)))
		SWT_FAIL("%s: want %s +1 and nothing else, got %s", what,
			 swt_stat_name(want), moved);
	return SWT_PASS;
}

static int listen_fd = -1; /* the server on PORT (main) */

static int t_tc_recheck_tsecr(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;
	__u32 ck, tsv, b;
	int r;

	/*
	 * Armed (a driver without metadata room), TC re-checks the cookie
	 * from the packet with the same header: the option bits are under
	 * the MAC there too.  Nobody listens in this namespace, so a valid
	 * cookie ends in tc_no_listener, an invalid one in tc_bad_cookie.
	 */
	/*
	 * The listener goes away after the SYN: XDP answers SYNs only where
	 * something listens, and TC then stops at the listener lookup.
	 */
	/* the flag is the data path's own state (dp_state), not config */
	if (swt_dp_flags_write(&env, SYNWALL_DP_TC_RECHECK))
		SWT_FAIL("dp_state write: %s", strerror(errno));
	syn_linux(&p, &o, false, 47000, true);
	TRY(swt_sub(synack(&p, &o, &ck, &tsv), "SYN"));
	close(listen_fd);
	listen_fd = -1;
	swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1, tsv, &ack);
	r = run_tc(&ack, SWT_STAT(tc_no_listener), "intact TSecr");
	if (r != SWT_PASS)
		goto out;
	for (b = 0; b < 10; b++) {
		char what[64];

		snprintf(what, sizeof(what), "TSecr bit %u flipped", b);
		swt_make_ack(&p, ck, true, CLIENT_TSVAL + 1, tsv ^ (1u << b),
			     &ack);
		r = run_tc(&ack, SWT_STAT(tc_bad_cookie), what);
		if (r != SWT_PASS)
			goto out;
	}
	swt_make_ack(&p, ck, false, 0, 0, &ack);
	r = run_tc(&ack, SWT_STAT(tc_bad_cookie), "timestamp stripped");
out:
	swt_dp_flags_write(&env, 0);
	listen_fd = swt_listen_any(PORT);
	if (listen_fd < 0 && r == SWT_PASS)
		SWT_FAIL("listen again on port %u: %s", PORT,
			 strerror(-listen_fd));
	return r;
}

/* ---- main ------------------------------------------------------------- */

static const struct swt_case cases[] = {
	SWT_CASE(tsval_per_flow_same_ms),
	SWT_CASE(tsval_real_clock),
	SWT_CASE(tsval_one_flow_advances),
	SWT_CASE(tsval_real_clock_advances),
	SWT_CASE(tsecr_edited_dropped),
	SWT_CASE(tsecr_added_dropped),
	SWT_CASE(tsecr_clock_bits_unauthenticated),
	SWT_CASE(meta_wscale_ecn_from_config),
	SWT_CASE(meta_wscale_config_changed),
	SWT_CASE(tc_recheck_tsecr),
};

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, setup_default);
	int r;

	if (swt_suite_env(&env, "test_tsval", NULL, 0))
		return 1;
	/* the server; t_tc_recheck_tsecr closes it for a while */
	listen_fd = swt_listen_any(PORT);
	if (listen_fd < 0) {
		printf("FAIL: setup: listen on port %u: %s\n", PORT,
		       strerror(-listen_fd));
		return 1;
	}
	r = swt_main(&suite, argc, argv);
	swt_env_close(&env);
	return r;
}
