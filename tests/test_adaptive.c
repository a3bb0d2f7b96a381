// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Cookies only under flood (the adaptive mode), through the real XDP
 * program (BPF_PROG_TEST_RUN):
 *   - flood mode (the default): SYNs go to the kernel (xdp_pass_syn_kernel)
 *     until one CPU sees flood_on SYN/s, then synwall answers them; back to
 *     the kernel once every CPU stayed under flood_off for the hold time;
 *     a rate between the two thresholds changes nothing (hysteresis);
 *     dp_state counts switches and time in cookie mode;
 *   - --cookies always answers the first SYN;
 *   - clients without timestamps (Windows-, option-less, odd shifts):
 *     the SYN-ACK offers WS and SACK-permitted as the cookie carries them
 *     (byte for byte: swt_expect_synack), and the final ACK's handoff
 *     metadata gives the kernel the client's shift rounded down, SACK,
 *     our shift, the MSS.
 * Timing: the detector uses the real monotonic clock and 100 ms windows;
 * the process is pinned to one CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "swt.h"
#include "swt_test.h"
#include "synwall.skel.h"
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

#define T_NOW 1700000000u
#define PORT 80

static struct swt_env env;
static struct synwall_config cfg;
static struct synwall_keys keys;
static __u32 seq_next = 0x10000000;
static __u16 sport_next = 20000;

/* config as is: no forcing of --cookies always (swt_config_write's) */
static int cfg_write_raw(void)
{
	__u32 k = 0;

	return bpf_map_update_elem(env.config_fd, &k, &cfg, BPF_ANY) ? -errno :
								       0;
}

static int reset(__u8 cookies, __u32 on, __u32 off, __u32 hold_ms)
{
	static const struct synwall_key key_a = {0x0706050403020100ull,
						 0x0f0e0d0c0b0a0908ull};
	int fd = bpf_map__fd(env.skel->maps.detect), r;
	size_t sz = (size_t)env.ncpus * 24;
	void *zero = calloc(1, sz);
	__u32 k = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.fixed_time = T_NOW;
	cfg.cookies = cookies;
	cfg.flood_on = on;
	cfg.flood_off = off;
	cfg.flood_hold_ms = hold_ms;
	memset(&keys, 0, sizeof(keys));
	keys.key[0] = key_a;
	keys.generation = 1;
	keys.installed_at[0] = T_NOW;
	if (!zero || bpf_map_update_elem(fd, &k, zero, BPF_ANY))
		SWT_FAIL("detect map reset: %s", strerror(errno));
	free(zero);
	if ((r = cfg_write_raw()) || (r = swt_ports_clear(&env)) ||
	    (r = swt_port_set(&env, PORT, true)) ||
	    (r = swt_keys_write(&env, &keys)) ||
	    (r = swt_dp_flags_write(&env, 0)))
		SWT_FAIL("map setup: %s", strerror(-r));
	return SWT_PASS;
}

static int dp_read(struct synwall_dp_state *d)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(env.dp_state_fd, &k, d) ? -errno : 0;
}

/* A bare-options SYN of a new flow (Linux-like with timestamps if ts). */
static void new_syn(struct swt_pkt *p, bool v6)
{
	swt_pkt_init(p, v6);
	p->dport = PORT;
	p->sport = sport_next++;
	p->seq = seq_next += 0x01000193;
}

/* Run one frame; *verdict and which of the two SYN counters moved. */
static int run1(const struct swt_pkt *p, struct swt_xdp_out *o)
{
	static __u8 in[SWT_PKT_MAX];
	size_t len = swt_build(p, in, sizeof(in), NULL);

	if (!len)
		SWT_FAIL("test bug: frame does not fit");
	if (swt_xdp_run(env.xdp_fd, in, len, 0, o))
		SWT_FAIL("BPF_PROG_TEST_RUN: %s", strerror(-o->err));
	return SWT_PASS;
}

/* Send n SYNs; count how many were answered (XDP_TX) and passed. */
static int burst(int n, int *tx, int *passed, int *first_tx)
{
	static struct swt_xdp_out o;
	struct swt_pkt p;
	int i;

	*tx = *passed = 0;
	if (first_tx)
		*first_tx = -1;
	for (i = 0; i < n; i++) {
		new_syn(&p, i & 1);
		swt_opt_linux_syn(&p, 1460, 1234, 7);
		if (run1(&p, &o))
			return SWT_FAIL;
		if (o.verdict == XDP_TX) {
			if (first_tx && *first_tx < 0)
				*first_tx = i;
			(*tx)++;
		} else if (o.verdict == XDP_PASS) {
			(*passed)++;
		} else {
			SWT_FAIL("SYN %d: verdict %s", i,
				 swt_xdp_verdict_name(o.verdict));
		}
	}
	return SWT_PASS;
}

/*
 * A gap that surely opens a new 100-ms window: the detector's clock is
 * the coarse one, read once per jiffy (bpf/clock.h), so it may lag by two
 * ticks (8 ms at HZ=250, 20 at HZ=100); 125 ms leaves room for that.
 */
#define NEW_WINDOW_MS 125

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- cases ---------------------------------------------------------- */

static int t_default_is_flood_mode(void)
{
	struct synwall_stats b, a;
	int tx, passed;

	/* all-zero config: flood mode, 2000 SYN/s per CPU */
	if (reset(0, 0, 0, 0))
		return SWT_FAIL;
	swt_stats_read(&env, &b);
	if (burst(50, &tx, &passed, NULL))
		return SWT_FAIL;
	swt_stats_read(&env, &a);
	if (tx || passed != 50)
		SWT_FAIL("50 SYNs, no flood: %d answered by synwall, %d passed "
			 "(want 0, 50)",
			 tx, passed);
	if (a.xdp_pass_syn_kernel - b.xdp_pass_syn_kernel != 50 ||
	    a.xdp_tx_synack != b.xdp_tx_synack)
		SWT_FAIL("counters: xdp_pass_syn_kernel +%llu, xdp_tx_synack "
			 "+%llu",
			 (unsigned long long)(a.xdp_pass_syn_kernel -
					      b.xdp_pass_syn_kernel),
			 (unsigned long long)(a.xdp_tx_synack -
					      b.xdp_tx_synack));
	return SWT_PASS;
}

static int t_always_answers_first_syn(void)
{
	int tx, passed;

	if (reset(SYNWALL_COOKIES_ALWAYS, 0, 0, 0) ||
	    burst(3, &tx, &passed, NULL))
		return SWT_FAIL;
	if (tx != 3)
		SWT_FAIL("--cookies always: %d of 3 SYNs answered", tx);
	return SWT_PASS;
}

static int t_flood_switches_on_and_back(void)
{
	struct synwall_dp_state d;
	int tx, passed, first;

	/* 1000 SYN/s = 100 per 100 ms window; hold 300 ms */
	if (reset(SYNWALL_COOKIES_FLOOD, 1000, 500, 300))
		return SWT_FAIL;
	sleep_ms(NEW_WINDOW_MS); /* a fresh window */
	if (burst(150, &tx, &passed, &first))
		return SWT_FAIL;
	if (first != 99 || passed != 99 || tx != 51)
		SWT_FAIL("150 SYNs in one window at flood_on 100/window: first "
			 "cookie at SYN %d (want 99), %d passed, %d answered",
			 first, passed, tx);
	if (dp_read(&d) || d.flooding != 1 || d.switches != 1)
		SWT_FAIL("dp_state after the switch: flooding %u switches %llu",
			 d.flooding, (unsigned long long)d.switches);
	/* within the hold time: still cookies, even at a low rate */
	sleep_ms(150);
	if (burst(1, &tx, &passed, NULL))
		return SWT_FAIL;
	if (tx != 1)
		SWT_FAIL("150 ms after the flood (hold 300 ms): SYN not "
			 "answered");
	/* past the hold time: the next SYN goes to the kernel */
	sleep_ms(400);
	if (burst(2, &tx, &passed, NULL))
		return SWT_FAIL;
	if (tx || passed != 2)
		SWT_FAIL("past the hold time: %d answered, %d passed (want 0, "
			 "2)",
			 tx, passed);
	if (dp_read(&d) || d.flooding != 0 || d.switches != 1 ||
	    d.flood_ns < 300 * 1000000ull || d.flood_ns > 5000 * 1000000ull)
		SWT_FAIL("dp_state after the switch back: flooding %u switches "
			 "%llu flood_ns %llu (want 0, 1, 0.3..5 s)",
			 d.flooding, (unsigned long long)d.switches,
			 (unsigned long long)d.flood_ns);
	return SWT_PASS;
}

static int t_hysteresis_no_flap(void)
{
	struct synwall_dp_state d;
	int tx, passed, w, tx_all = 0, pass_all = 0;

	/* on 100/window, off 50/window, hold 250 ms */
	if (reset(SYNWALL_COOKIES_FLOOD, 1000, 500, 250))
		return SWT_FAIL;
	sleep_ms(NEW_WINDOW_MS);
	/* just under the on rate, several windows: never switches on */
	for (w = 0; w < 4; w++) {
		if (burst(90, &tx, &passed, NULL))
			return SWT_FAIL;
		tx_all += tx;
		sleep_ms(NEW_WINDOW_MS);
	}
	if (tx_all)
		SWT_FAIL("90 SYNs per window (on at 100): %d answered", tx_all);
	/* a flood, then a rate between off and on for 6 windows (750 ms,
	 * longer than the hold): cookies all along */
	if (burst(120, &tx, &passed, NULL))
		return SWT_FAIL;
	if (!tx)
		SWT_FAIL("120 SYNs in a window did not switch on");
	for (w = 0; w < 6; w++) {
		sleep_ms(NEW_WINDOW_MS);
		if (burst(70, &tx, &passed, NULL))
			return SWT_FAIL;
		tx_all += tx;
		pass_all += passed;
	}
	if (pass_all)
		SWT_FAIL("70 SYNs per window (between off 50 and on 100) after "
			 "a "
			 "flood: %d went back to the kernel (flap)",
			 pass_all);
	if (dp_read(&d) || d.switches != 1)
		SWT_FAIL("switches %llu, want 1",
			 (unsigned long long)d.switches);
	return SWT_PASS;
}

/* ---- no-timestamp option encoding ----------------------------------- */

struct nots_case {
	const char *name;
	bool v6;
	int mss, ws; /* -1: none */
	bool sack;
	/* what the handoff must say */
	int want_ws; /* -1: no WSCALE flag */
	bool want_sack;
	__u16 want_mss;
};

static const struct nots_case nots_cases[] = {
	{"windows_v4", false, 1460, 8, true, 8, true, 1460},
	{"windows_v6", true, 1440, 8, true, 8, true, 1440},
	{"linux_notstamps_v4", false, 1460, 7, true, 7, true, 1460},
	{"macos_like_v4", false, 1460, 6, true, 6, true, 1460},
	{"ws14_rounds_down_to_8", false, 1460, 14, true, 8, true, 1460},
	{"ws3_rounds_down_to_2", false, 1400, 3, true, 2, true, 1400},
	{"ws1_rounds_down_to_0", true, 1400, 1, true, 0, true, 1400},
	{"ws_without_sack_is_ws0", false, 1460, 7, false, 0, false, 1460},
	{"sack_without_ws", false, 1452, -1, true, -1, true, 1440},
	{"no_options_v4", false, -1, -1, false, -1, false, 536},
	{"no_options_v6", true, -1, -1, false, -1, false, 1220},
	{"mss_1260_v4", false, 1260, 8, true, 8, true, 1220},
	{"jumbo_v6", true, 8940, 9, true, 8, true, 8940},
};

static int t_nots_case(const struct nots_case *c)
{
	static __u8 exp[SWT_PKT_MAX];
	static struct swt_xdp_out o;
	struct synwall_meta m;
	struct swt_synopts so = {.mss = c->mss, .ws = c->ws, .sack = c->sack};
	struct swt_pkt p, ack;
	size_t elen;
	__u32 ck;

	if (reset(SYNWALL_COOKIES_ALWAYS, 0, 0, 0))
		return SWT_FAIL;
	new_syn(&p, c->v6);
	/* Windows' order: MSS, NOP, WS, NOP, NOP, SACK-permitted */
	if (c->mss >= 0)
		swt_opt_mss(&p, (__u16)c->mss);
	if (c->ws >= 0) {
		swt_opt_nop(&p);
		swt_opt_ws(&p, (__u8)c->ws);
	}
	if (c->sack) {
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_sackperm(&p);
	}
	elen = swt_expect_synack(&p, &so, &cfg, &keys, exp, sizeof(exp), &ck,
				 NULL);
	if (run1(&p, &o))
		return SWT_FAIL;
	if (o.verdict != XDP_TX)
		SWT_FAIL("SYN: verdict %s", swt_xdp_verdict_name(o.verdict));
	if (o.len != elen || memcmp(swt_xdp_data(&o), exp, elen)) {
		swt_hexdiff(stdout, exp, elen, swt_xdp_data(&o), o.len);
		SWT_FAIL("SYN-ACK differs from the expected one");
	}
	{
		/* the SYN-ACK offers WS and SACK exactly when the client did
		 * (independently of the builder: scan its options) */
		const __u8 *t = swt_xdp_data(&o) + 14 + (c->v6 ? 40 : 20);
		size_t thl = (size_t)(t[12] >> 4) * 4, i;
		bool has_ws = false, has_sack = false;

		for (i = 20; i < thl;) {
			if (t[i] == 1) {
				i++;
				continue;
			}
			if (t[i] == 0 || t[i + 1] < 2)
				break;
			has_ws |=
				t[i] == 3 && t[i + 2] == SYNWALL_WSCALE_DEFAULT;
			has_sack |= t[i] == 4;
			i += t[i + 1];
		}
		if (has_ws != (c->ws >= 0) || has_sack != c->sack)
			SWT_FAIL("SYN-ACK: WS %s, SACK-permitted %s (client: "
				 "WS %d, "
				 "SACK %d)",
				 has_ws ? "offered" : "absent",
				 has_sack ? "offered" : "absent", c->ws,
				 c->sack);
	}
	swt_make_ack(&p, ck, false, 0, 0, &ack);
	if (run1(&ack, &o))
		return SWT_FAIL;
	if (o.verdict != XDP_PASS || o.meta_len < sizeof(m))
		SWT_FAIL("ACK: verdict %s, %u bytes of metadata",
			 swt_xdp_verdict_name(o.verdict), o.meta_len);
	memcpy(&m, o.buf + o.meta_len - sizeof(m), sizeof(m));
	if (m.mss != c->want_mss ||
	    !!(m.flags & SYNWALL_MF_WSCALE) != (c->want_ws >= 0) ||
	    (c->want_ws >= 0 && (m.snd_wscale != c->want_ws ||
				 m.rcv_wscale != SYNWALL_WSCALE_DEFAULT)) ||
	    !!(m.flags & SYNWALL_MF_SACK) != c->want_sack ||
	    (m.flags & (SYNWALL_MF_TSTAMP | SYNWALL_MF_ECN)))
		SWT_FAIL("metadata mss %u snd_ws %u rcv_ws %u flags %#x; want "
			 "mss "
			 "%u ws %d/%d sack %d, no TS/ECN",
			 m.mss, m.snd_wscale, m.rcv_wscale, m.flags,
			 c->want_mss, c->want_ws, SYNWALL_WSCALE_DEFAULT,
			 c->want_sack);
	/* the same cookie with its option code edited: dropped */
	swt_make_ack(&p, ck ^ (1u << 5), false, 0, 0, &ack);
	if (run1(&ack, &o))
		return SWT_FAIL;
	if (o.verdict != XDP_DROP)
		SWT_FAIL("ACK with an edited option code: verdict %s",
			 swt_xdp_verdict_name(o.verdict));
	/* our window scale is under the MAC: another --wscale, dropped */
	if (c->want_ws >= 0) {
		cfg.wscale = 9;
		if (cfg_write_raw())
			SWT_FAIL("config write");
		swt_make_ack(&p, ck, false, 0, 0, &ack);
		if (run1(&ack, &o))
			return SWT_FAIL;
		if (o.verdict != XDP_DROP)
			SWT_FAIL("ACK after --wscale changed: verdict %s",
				 swt_xdp_verdict_name(o.verdict));
	}
	return SWT_PASS;
}

/* One line per client of the table, "nots_" and its name. */
static void t_nots(void)
{
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(nots_cases) / sizeof(nots_cases[0]); i++) {
		snprintf(name, sizeof(name), "nots_%s", nots_cases[i].name);
		if (!swt_selected(name))
			continue;
		swt_result(name, t_nots_case(&nots_cases[i]));
	}
}

static const struct swt_case cases[] = {
	SWT_CASE(default_is_flood_mode),
	SWT_CASE(always_answers_first_syn),
	SWT_CASE(flood_switches_on_and_back),
	SWT_CASE(hysteresis_no_flap),
	SWT_CHECKS("nots", t_nots),
};

static const __u16 ports[] = {PORT};

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, NULL);
	cpu_set_t cs;
	int r;

	CPU_ZERO(&cs);
	CPU_SET(0, &cs);
	sched_setaffinity(0, sizeof(cs), &cs);
	if (swt_suite_env(&env, "test_adaptive", ports, 1))
		return 1;
	r = swt_main(&suite, argc, argv);
	swt_env_close(&env);
	return r;
}
