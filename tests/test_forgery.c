// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Cookie forgery through the real XDP program: N (default 10^7)
 * ACKs with random ack numbers, random 4-tuples (random source address
 * and port; destination one of the server's two addresses per family: the
 * data path checks cookies only for packets addressed to this host) and
 * random sequence numbers, half IPv4 and half
 * IPv6, with and without timestamps, against a protected port, each one
 * run with BPF_PROG_TEST_RUN (repeat 1: every packet differs).
 *
 * Both key slots hold random keys (getrandom), so every guess is checked
 * against a real key whatever its slot bit, and both epoch parities and
 * all 16 MSS indexes are valid: a guess is accepted with probability
 * 2^-26 (the MAC width), and N guesses are expected to yield N/2^26
 * acceptances (0.149 for 10^7).  The test asserts:
 *   - accepted <= FORGERY_MAX_ACCEPT (5): for a Poisson mean of 0.149 the
 *     chance of 6 or more is 1.5e-8, so a false failure is negligible,
 *     while a MAC weaker than ~2^-22 (mean >= 2.4) fails more often than
 *     not, and one of 2^-20 (mean 9.5) nearly always;
 *   - every verdict agrees with cookie.h computed in user space (accepted
 *     exactly when sw_cookie_check says valid), and the counters moved by
 *     exactly N (xdp_drop_bad_ack + xdp_pass_cookie);
 *   - genuine cookies mixed in (one per 65536 packets) are accepted, so
 *     the harness cannot pass by dropping everything;
 *   - half of the non-genuine ACKs are edited-TSecr forgeries:
 *     the genuine cookie of their flow, but from a SYN-ACK whose
 *     timestamp carried other option bits than the ACK's TSecr echoes
 *     (a WS/SACK/ECN bit flipped, random bits, a timestamp added to or
 *     stripped from the ACK).  The MAC covers those bits, so they are
 *     accepted at the same 2^-26 rate as random guesses, no more.
 *
 * Environment: FORGERY_N (packets), FORGERY_SEED (RNG seed; default
 * random, printed, so a run can be reproduced).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "swt.h"
#include "swt_test.h"
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

#define DEFAULT_N 10000000L
#define MAX_ACCEPT 5
#define PORT 443
#define T_NOW 1700000010u
#define CONTROL_EVERY 65536

struct tmpl {
	__u8 b[128];
	size_t len;
	bool v6;
	struct swt_layout lo;
};

static __u64 rng_s;

static inline __u64 rnd(void)
{
	rng_s ^= rng_s >> 12;
	rng_s ^= rng_s << 25;
	rng_s ^= rng_s >> 27;
	return rng_s * 0x2545F4914F6CDD1DULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void make_tmpl(struct tmpl *t, bool v6, bool ts)
{
	struct swt_pkt p;
	static __u8 buf[SWT_PKT_MAX];

	swt_pkt_init(&p, v6);
	p.dport = PORT;
	p.flags = SWT_TCP_ACK;
	if (ts) {
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_ts(&p, 12345, 0x1c7);
	}
	t->len = swt_build(&p, buf, sizeof(buf), &t->lo);
	memcpy(t->b, buf, t->len);
	t->v6 = v6;
}

/* The flow of the frame as cookie.h sees it. */
static void flow_of(const struct tmpl *t, struct sw_flow *f)
{
	size_t a = t->v6 ? 16 : 4;
	const __u8 *ip = t->b + t->lo.l3;

	memset(f, 0, sizeof(*f));
	memcpy(f->saddr, ip + (t->v6 ? 8 : 12), a);
	memcpy(f->daddr, ip + (t->v6 ? 24 : 16), a);
	memcpy(&f->sport, t->b + t->lo.l4, 2);
	memcpy(&f->dport, t->b + t->lo.l4 + 2, 2);
	f->isn = swt_get32(t->b + t->lo.l4 + 4) - 1;
}

/* The whole run: its result lines, and 1 if one of them failed. */
static int forgery(void)
{
	struct swt_env env;
	struct synwall_config cfg = {.fixed_time = T_NOW};
	struct synwall_keys keys = {0};
	struct synwall_stats before, after;
	struct tmpl tm[4];
	char err[512];
	long n = DEFAULT_N, i, accepted = 0, disagree = 0, controls = 0,
	     controls_ok = 0, valid_predicted = 0, errors = 0, edited_n = 0,
	     edited_accepted = 0, accepted_nots = 0;
	__u32 our_ws;
	unsigned long long seed;
	double t0, el;
	int r;

	if (getenv("FORGERY_N"))
		n = atol(getenv("FORGERY_N"));
	if (getenv("FORGERY_SEED"))
		seed = strtoull(getenv("FORGERY_SEED"), NULL, 0);
	else if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (unsigned long long)time(NULL);
	rng_s = seed ? seed : 1;

	if (swt_netns_private(err, sizeof(err)))
		fprintf(stderr, "test_forgery: %s; staying in this namespace\n",
			err);
	if (swt_env_open(&env, err, sizeof(err))) {
		swt_linef(SWT_FAIL, "forgery: load: %s", err);
		return 1;
	}
	/* two random keys, both installed: every slot bit meets a real key */
	if (getrandom(keys.key, sizeof(keys.key), 0) != sizeof(keys.key)) {
		swt_linef(SWT_FAIL, "forgery: getrandom: %s", strerror(errno));
		return 1;
	}
	keys.current = (__u32)(rnd() & 1);
	keys.generation = 2;
	keys.installed_at[0] = keys.installed_at[1] = T_NOW - 10;
	if ((r = swt_config_write(&env, &cfg)) || (r = swt_ports_clear(&env)) ||
	    (r = swt_port_set(&env, PORT, true)) ||
	    (r = swt_keys_write(&env, &keys)) || (r = swt_stats_zero(&env)) ||
	    (r = swt_stats_read(&env, &before))) {
		swt_linef(SWT_FAIL, "forgery: map setup: %s", strerror(-r));
		return 1;
	}
	{
		struct swt_cfg rc;

		swt_cfg_resolve(&cfg, &rc);
		our_ws = rc.wscale;
	}
	make_tmpl(&tm[0], false, false);
	make_tmpl(&tm[1], false, true);
	make_tmpl(&tm[2], true, false);
	make_tmpl(&tm[3], true, true);

	t0 = now_s();
	for (i = 0; i < n; i++) {
		__u64 x = rnd(), y = rnd(), z = rnd();
		struct tmpl *t = &tm[x & 3];
		__u8 *ip = t->b + t->lo.l3, *tcp = t->b + t->lo.l4;
		bool control = i % CONTROL_EVERY == CONTROL_EVERY - 1, valid;
		bool ts = x & 1, edited = false;
		struct sw_flow f;
		__u32 ack, cookie, slot, tsecr = 0, tso_ack = 0, tso_made;
		__u64 e = rnd();
		struct xdp_md ctx = {.data_end = (__u32)t->len,
				     .ingress_ifindex = swt_ifindex(0)};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = t->b,
			    .data_size_in = (__u32)t->len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1);

		/*
		 * random source (never a martian one: multicast, loopback,
		 * 0/8, the server's subnet), a server address as destination,
		 * source port, seq, ack
		 */
		if (t->v6) {
			__u64 w = rnd();

			memcpy(ip + 8, &y, 8);
			memcpy(ip + 16, &w, 8);
			if (ip[8] == 0xff || ip[8] == 0)
				ip[8] = 0x20;
			ip[24 + 15] = 2 + (__u8)(z & 1);
		} else {
			memcpy(ip + 12, &y, 4);
			if (ip[12] == 0 || ip[12] == 127 || ip[12] >= 224 ||
			    ip[12] == 198)
				ip[12] = 10;
			ip[16 + 3] = 2 + (__u8)(z & 1);
		}
		swt_put16(tcp, (__u16)(x >> 8));
		swt_put32(tcp + 4, (__u32)(x >> 32));
		ack = (__u32)rnd();
		flow_of(t, &f);
		if (ts) {
			/* a random TSecr: random option bits too */
			tsecr = (__u32)e;
			tso_ack = sw_tso_of_ack(1, tsecr);
		}
		/*
		 * Half of the rest are edited-TSecr forgeries: the genuine
		 * cookie of this very flow, from a SYN-ACK whose timestamp
		 * said other option bits than the ACK echoes (one or more
		 * flipped; a timestamp added to, or stripped from, the ACK).
		 */
		edited = !control && (e >> 32) & 1;
		if (control || edited) {
			slot = (__u32)(z >> 40) & 1;
			tso_made = tso_ack;
			if (edited) {
				__u32 flip = (__u32)(e >> 33) & 0x3ff;

				if (!ts)
					/* stripped: the SYN-ACK had one */
					tso_made = SW_TSO_PRESENT | flip;
				else if ((e >> 43) & 1)
					/* one option bit flipped */
					tso_made ^= 1u << ((e >> 44) % 10);
				else if (flip)
					tso_made ^= flip;
				else
					/* added: the SYN-ACK had none */
					tso_made = 0;
				edited_n++;
			}
			if (tso_made)
				ack = sw_cookie_make(
					&keys.key[slot], slot, &f, t->v6,
					T_NOW - (__u32)((z >> 41) & 63),
					(__u32)(z >> 48) & 15, tso_made, NULL);
			else
				/* the no-timestamp layout, any code */
				ack = sw_cookie_make_nots(
					&keys.key[slot], slot, &f, t->v6,
					T_NOW - (__u32)((z >> 41) & 63),
					(__u32)(z >> 48) & 63, our_ws);
			if (edited && !ts && (e >> 43) & 1) {
				/* a no-timestamp cookie with edited option
				 * or MSS code bits (never none) */
				__u32 flip = (__u32)(e >> 44) & 63;

				ack = sw_cookie_make_nots(
					&keys.key[slot], slot, &f, t->v6,
					T_NOW - (__u32)((z >> 41) & 63),
					(__u32)(z >> 48) & 63, our_ws);
				ack ^= (flip ? flip : 1) << 2;
			}
			ack += 1;
		}
		swt_put32(tcp + 8, ack);
		if (ts)
			swt_put32(t->b + t->lo.opt + 8, tsecr);
		cookie = ack - 1;
		valid = sw_cookie_check(&keys.key[sw_cookie_slot(cookie)],
					cookie, &f, t->v6, T_NOW, tso_ack,
					our_ws);
		valid_predicted += valid && !control;

		if (bpf_prog_test_run_opts(env.xdp_fd, &o)) {
			if (errors++ == 0)
				printf("  # BPF_PROG_TEST_RUN: %s\n",
				       strerror(errno));
			continue;
		}
		if ((o.retval == XDP_PASS) != valid ||
		    (o.retval != XDP_PASS && o.retval != XDP_DROP)) {
			if (disagree++ < 5) {
				printf("  # packet %ld: verdict %s, cookie.h "
				       "says %s (cookie %#x)\n",
				       i, swt_xdp_verdict_name(o.retval),
				       valid ? "valid" : "invalid", cookie);
				swt_hexdiff(stdout, t->b, t->len, t->b, t->len);
			}
		}
		if (control) {
			controls++;
			controls_ok += o.retval == XDP_PASS;
		} else if (o.retval == XDP_PASS) {
			accepted++;
			accepted_nots += !ts;
			edited_accepted += edited;
			printf("  # forged ACK %ld accepted: cookie %#x "
			       "(cookie.h: %s)\n",
			       i, cookie,
			       valid ? "valid: a 2^-26 collision" : "INVALID");
		}
	}
	el = now_s() - t0;
	if ((r = swt_stats_read(&env, &after))) {
		swt_linef(SWT_FAIL, "forgery: stats read: %s", strerror(-r));
		return 1;
	}
	{
		__u64 drops = after.xdp_drop_bad_ack - before.xdp_drop_bad_ack;
		__u64 pass = after.xdp_pass_cookie - before.xdp_pass_cookie;
		__u64 other = 0, kc;
		size_t k;

		for (k = 0; k < swt_nstat_fields; k++)
			other += swt_stat_get(&after, swt_stat_fields[k].off) -
				 swt_stat_get(&before, swt_stat_fields[k].off);
		/* the kernel's own cookie check (bpf_tcp_raw_check_syncookie)
		 * accepts a random ACK at ~2^-29: those are the kernel's
		 * forgery rate, not synwall's (the kernel re-checks them) */
		kc = after.xdp_pass_kernel_cookie -
		     before.xdp_pass_kernel_cookie;
		other -= drops + pass + kc;
		disagree -= (long)kc < disagree ? (long)kc : disagree;
		accepted -= (long)kc < accepted ? (long)kc : accepted;
		if (kc)
			printf("  # %llu random ACKs passed as the kernel's "
			       "own "
			       "cookies (xdp_pass_kernel_cookie)\n",
			       (unsigned long long)kc);
		printf("  # %ld ACKs in %.1f s (%.0f ns per BPF_PROG_TEST_RUN "
		       "call, MAC check in user space included); seed %#llx\n",
		       n, el, el * 1e9 / (double)n, seed);
		printf("  # counters: xdp_drop_bad_ack +%llu, xdp_pass_cookie "
		       "+%llu, others +%llu\n",
		       (unsigned long long)drops, (unsigned long long)pass,
		       (unsigned long long)other);
		if (errors || drops + pass + kc != (__u64)n || other)
			swt_linef(
				SWT_FAIL,
				"forgery: counters: %llu drops + %llu "
				"passes for %ld packets (%llu other moves, %ld "
				"syscall errors)",
				(unsigned long long)drops,
				(unsigned long long)pass, n,
				(unsigned long long)other, errors);
		else
			swt_linef(SWT_PASS,
				  "forgery: counters: exactly one of "
				  "xdp_drop_bad_ack/xdp_pass_cookie moved per "
				  "ACK "
				  "(%ld)",
				  n);
		if (disagree)
			swt_linef(SWT_FAIL,
				  "forgery: %ld verdicts disagree with "
				  "cookie.h",
				  disagree);
		else
			swt_linef(SWT_PASS,
				  "forgery: all %ld verdicts agree with "
				  "cookie.h in user space (%ld predicted valid "
				  "among the forged)",
				  n, valid_predicted);
		if (controls == 0 || controls_ok != controls)
			swt_linef(SWT_FAIL,
				  "forgery: genuine cookies: %ld of %ld "
				  "accepted",
				  controls_ok, controls);
		else
			swt_linef(SWT_PASS,
				  "forgery: all %ld genuine cookies mixed "
				  "in were accepted",
				  controls);
		/* half with timestamps (26-bit MAC), half without (24) */
		double expect = (double)(n - controls) / 2 / (1 << 26) +
				(double)(n - controls) / 2 / (1 << 24);

		if (accepted > MAX_ACCEPT)
			swt_linef(SWT_FAIL,
				  "forgery: %ld of %ld forged ACKs "
				  "accepted (%ld without timestamps); 26-bit "
				  "(timestamp) and 24-bit (no timestamp) MACs "
				  "give %.3f expected, > %d has probability "
				  "< 3e-6\n",
				  accepted, n - controls, accepted_nots, expect,
				  MAX_ACCEPT);
		else
			swt_linef(
				SWT_PASS,
				"forgery: %ld of %ld random ACKs (random "
				"4-tuples, seq, ack; IPv4+IPv6) accepted (%ld "
				"without timestamps): expected %.3f at 2^-26 "
				"(timestamp cookies) and 2^-24 (no-timestamp "
				"cookies, WS+SACK+MSS code under the MAC) per "
				"guess, bound %d",
				accepted, n - controls, accepted_nots, expect,
				MAX_ACCEPT);
		/* the edited-TSecr share of the above, reported on its own */
		if (edited_n == 0 || edited_accepted > MAX_ACCEPT)
			swt_linef(SWT_FAIL,
				  "forgery: edited TSecr: %ld of %ld "
				  "accepted",
				  edited_accepted, edited_n);
		else
			swt_linef(
				SWT_PASS,
				"forgery: edited TSecr: %ld of %ld genuine "
				"cookies with other timestamp option bits "
				"(flipped WS/SACK/ECN bits, timestamp added or "
				"stripped) accepted: expected %.3f at 2^-26",
				edited_accepted, edited_n,
				(double)edited_n / (1 << 26));
		swt_env_close(&env);
		return errors || drops + pass + kc != (__u64)n || other ||
		       disagree || controls_ok != controls ||
		       accepted > MAX_ACCEPT || edited_n == 0 ||
		       edited_accepted > MAX_ACCEPT;
	}
}

static int forgery_rc;

static void t_forgery(void)
{
	forgery_rc = forgery();
}

static const struct swt_case cases[] = {
	SWT_CHECKS_WHOLE("forgery", t_forgery),
};

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, NULL);
	int r = swt_main(&suite, argc, argv);

	return r || forgery_rc;
}
