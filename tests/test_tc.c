// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The TC program (synwall_tc, docs/handoff.md) under BPF_PROG_TEST_RUN on
 * an skb.  Each case asserts the verdict (always TC_ACT_OK), the packet
 * (never changed) and the one counter that moved, or that none did.  The
 * ACKs carry cookies computed in user space (tests/lib, cookie.h), never
 * taken from the XDP program.
 *
 * The kernel's skb test run fills no metadata in front of the packet:
 * data_meta is data.  So TC's metadata path (magic, cookie = ack_seq - 1)
 * is reached only if a probe shows that this kernel accepts metadata;
 * elsewhere those cases are SKIP lines and what is tested is the path
 * without metadata: unarmed, and the armed re-check.
 *
 * Socket lookups run in the caller's network namespace: the test makes
 * its own (swt_netns_private) and the listeners and connections in it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "swt.h"
#include "swt_test.h"

#define T_NOW 1700000000u
#define PORT_LISTEN 80	/* protected, a listener */
#define PORT_NOBODY 443 /* protected, nobody listens */
#define PORT_OPEN 81	/* not protected, a listener */
#define PORT_CONN 8080	/* protected, an established connection */
#define CLIENT_TSVAL 0x01020304u

static struct swt_env env;
static struct synwall_config cfg;
static struct synwall_keys keys;
/* 0: the kernel fills no skb metadata in a test run */
static bool meta_settable;

static const struct synwall_key key_a = {0x0706050403020100ull,
					 0x0f0e0d0c0b0a0908ull};

static int setup(void)
{
	int r;

	swt_cfg_default(&cfg, T_NOW);
	swt_keys_one(&keys, &key_a, T_NOW);
	if ((r = swt_config_write(&env, &cfg)) || (r = swt_ports_clear(&env)) ||
	    (r = swt_port_set(&env, PORT_LISTEN, true)) ||
	    (r = swt_port_set(&env, PORT_NOBODY, true)) ||
	    (r = swt_port_set(&env, PORT_CONN, true)) ||
	    (r = swt_keys_write(&env, &keys)) ||
	    (r = swt_dp_flags_write(&env, 0)))
		SWT_FAIL("map setup: %s", strerror(-r));
	return SWT_PASS;
}

/*
 * A Linux SYN to dport and the client's third ACK for it, with the cookie
 * and TSval that synwall's SYN-ACK carries (computed here).
 */
static int make_ack(bool v6, __u16 dport, struct swt_pkt *ack, __u32 *cookie)
{
	static __u8 exp[SWT_PKT_MAX];
	struct swt_synopts o = {.mss = 1460,
				.ws = 7,
				.sack = true,
				.ts = true,
				.tsval = CLIENT_TSVAL};
	struct swt_pkt syn;
	__u32 ck, tsv;

	swt_pkt_init(&syn, v6);
	syn.dport = dport;
	syn.sport = 40000 + dport;
	syn.seq = 0x11223344;
	swt_opt_linux_syn(&syn, 1460, CLIENT_TSVAL, 7);
	if (!swt_expect_synack(&syn, &o, &cfg, &keys, exp, sizeof(exp), &ck,
			       &tsv))
		SWT_FAIL("test bug: SYN-ACK does not fit");
	swt_make_ack(&syn, ck, true, CLIENT_TSVAL + 1, tsv, ack);
	if (cookie)
		*cookie = ck;
	return SWT_PASS;
}

/* No counter moved: 0, else 1 and the moves in why. */
static int stats_none_moved(const struct synwall_stats *a,
			    const struct synwall_stats *b, char *why, size_t n)
{
	size_t i, w = 0;

	why[0] = 0;
	for (i = 0; i < swt_nstat_fields; i++) {
		__u64 x = swt_stat_get(a, swt_stat_fields[i].off);
		__u64 y = swt_stat_get(b, swt_stat_fields[i].off);

		if (x != y && w < n)
			w += snprintf(why + w, n - w, "%s%s %+lld",
				      w ? ", " : "", swt_stat_fields[i].name,
				      (long long)(y - x));
	}
	return why[0] != 0;
}

/*
 * Run frame (meta: optional metadata in front of it) through synwall_tc;
 * counter is SWT_STAT(field), or (size_t)-1 for "no counter moves".
 */
#define NO_COUNTER ((size_t)-1)

static int run_tc(const struct swt_pkt *p, const struct synwall_meta *meta,
		  size_t counter)
{
	static __u8 in[SWT_PKT_MAX], out[SWT_PKT_MAX];
	struct synwall_stats before, after;
	struct __sk_buff skb = {.ifindex = swt_ifindex(0)};
	size_t mlen = meta ? sizeof(*meta) : 0, len;
	char moved[512];
	int r;

	if (meta)
		memcpy(in, meta, mlen);
	len = swt_build(p, in + mlen, sizeof(in) - mlen, NULL);
	if (!len)
		SWT_FAIL("test bug: frame does not fit");
	skb.data = (__u32)mlen;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
		    .data_size_in = (__u32)(mlen + len), .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &skb,
		    .ctx_size_in = sizeof(skb), .repeat = 1);
	if ((r = swt_stats_read(&env, &before)))
		SWT_FAIL("stats read: %s", strerror(-r));
	if (bpf_prog_test_run_opts(env.tc_fd, &o))
		SWT_FAIL("BPF_PROG_TEST_RUN (tc): %s", strerror(errno));
	if ((r = swt_stats_read(&env, &after)))
		SWT_FAIL("stats read: %s", strerror(-r));
	ASSERT_EQ(o.retval, TC_ACT_OK, "TC verdict");
	if (counter == NO_COUNTER) {
		if (stats_none_moved(&before, &after, moved, sizeof(moved)))
			SWT_FAIL("want no counter to move, got %s", moved);
	} else if (swt_stats_check_one(&before, &after, counter, moved,
				       sizeof(moved))) {
		SWT_FAIL("want %s +1 and nothing else, got %s",
			 swt_stat_name(counter), moved);
	}
	ASSERT_EQ(o.data_size_out, len, "packet length out");
	ASSERT_TRUE(!memcmp(out, in + mlen, len), "the packet was changed");
	return SWT_PASS;
}

/* ---- without metadata, not armed ------------------------------------- */

static int t_unarmed(long v6)
{
	struct swt_pkt ack;

	/* a valid cookie ACK, even to a listener: TC does nothing */
	TRY(make_ack(v6, PORT_LISTEN, &ack, NULL));
	TRY(swt_sub(run_tc(&ack, NULL, NO_COUNTER), "valid cookie"));
	ack.ack += 1;
	TRY(swt_sub(run_tc(&ack, NULL, NO_COUNTER), "invalid cookie"));
	TRY(make_ack(v6, PORT_NOBODY, &ack, NULL));
	return swt_sub(run_tc(&ack, NULL, NO_COUNTER), "no listener");
}

/* ---- the armed re-check ------------------------------------------------ */

static int arm(void)
{
	if (swt_dp_flags_write(&env, SYNWALL_DP_TC_RECHECK))
		SWT_FAIL("dp_state write: %s", strerror(errno));
	return SWT_PASS;
}

static int t_recheck_bad_cookie(long v6)
{
	struct swt_pkt ack;
	int bit;

	TRY(arm());
	TRY(make_ack(v6, PORT_LISTEN, &ack, NULL));
	for (bit = 0; bit < 32; bit += 7) {
		struct swt_pkt bad = ack;

		bad.ack ^= 1u << bit;
		TRY(swt_sub(run_tc(&bad, NULL, SWT_STAT(tc_bad_cookie)),
			    "ack_seq bit %d flipped", bit));
	}
	/* the TSecr carries option bits under the MAC */
	ack.opt[11] ^= 1; /* NOP NOP TS: TSecr's low byte */
	return swt_sub(run_tc(&ack, NULL, SWT_STAT(tc_bad_cookie)),
		       "TSecr bit 0 flipped");
}

static int t_recheck_no_listener(long v6)
{
	struct swt_pkt ack;

	TRY(arm());
	TRY(make_ack(v6, PORT_NOBODY, &ack, NULL));
	return run_tc(&ack, NULL, SWT_STAT(tc_no_listener));
}

static int t_recheck_not_candidate(long v6)
{
	struct swt_pkt ack, p;

	TRY(arm());
	/* a port synwall does not protect: left alone, whatever the cookie */
	TRY(make_ack(v6, PORT_OPEN, &ack, NULL));
	TRY(swt_sub(run_tc(&ack, NULL, NO_COUNTER), "unprotected port"));
	ack.ack += 1;
	TRY(swt_sub(run_tc(&ack, NULL, NO_COUNTER),
		    "unprotected port, invalid cookie"));
	/* not a bare ACK: SYN, RST, SYN-ACK */
	TRY(make_ack(v6, PORT_NOBODY, &ack, NULL));
	p = ack;
	p.flags = SWT_TCP_SYN;
	TRY(swt_sub(run_tc(&p, NULL, NO_COUNTER), "SYN"));
	p.flags = SWT_TCP_RST | SWT_TCP_ACK;
	TRY(swt_sub(run_tc(&p, NULL, NO_COUNTER), "RST-ACK"));
	p.flags = SWT_TCP_SYN | SWT_TCP_ACK;
	TRY(swt_sub(run_tc(&p, NULL, NO_COUNTER), "SYN-ACK"));
	/* not TCP */
	p = ack;
	p.l4proto = 17;
	return swt_sub(run_tc(&p, NULL, NO_COUNTER), "UDP");
}

static int t_tc_recheck_unkeyed(void)
{
	struct synwall_keys none = {0};
	struct swt_pkt ack;
	int r;

	TRY(arm());
	TRY(make_ack(false, PORT_NOBODY, &ack, NULL));
	if ((r = swt_keys_write(&env, &none)))
		SWT_FAIL("keys write: %s", strerror(-r));
	/* no key: no candidate, not a bad cookie */
	return run_tc(&ack, NULL, NO_COUNTER);
}

/*
 * An established connection's segment: the socket is not a listener, so
 * the re-check leaves it alone without counting (established traffic).
 */
static int t_recheck_established(long v6)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(PORT_CONN)};
	struct sockaddr_in a4 = {.sin_family = AF_INET,
				 .sin_port = htons(PORT_CONN)};
	struct sockaddr *sa =
		v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
	socklen_t sl = v6 ? sizeof(a6) : sizeof(a4);
	int lfd, cfd = -1, afd = -1, r = SWT_FAIL;
	struct sockaddr_storage ss;
	struct swt_pkt ack;
	__u16 cport;

	inet_pton(AF_INET6, SWT_TEST_IP6, &a6.sin6_addr);
	inet_pton(AF_INET, SWT_TEST_IP4, &a4.sin_addr);
	lfd = swt_listen_any(PORT_CONN);
	if (lfd < 0)
		SWT_FAIL("listen on %u: %s", PORT_CONN, strerror(-lfd));
	cfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, sa, sl)) {
		swt_failf(__FILE__, __LINE__, "connect: %s", strerror(errno));
		goto out;
	}
	afd = accept(lfd, NULL, NULL);
	sl = sizeof(ss);
	if (afd < 0 || getsockname(cfd, (struct sockaddr *)&ss, &sl)) {
		swt_failf(__FILE__, __LINE__, "accept: %s", strerror(errno));
		goto out;
	}
	cport = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			   ((struct sockaddr_in *)&ss)->sin_port);
	r = arm();
	if (r == SWT_PASS)
		r = make_ack(v6, PORT_CONN, &ack, NULL);
	if (r != SWT_PASS)
		goto out;
	/* client and server are the test device's address */
	memcpy(ack.saddr, ack.daddr, sizeof(ack.saddr));
	ack.sport = cport;
	r = swt_sub(run_tc(&ack, NULL, NO_COUNTER), "segment of a connection");
out:
	if (afd >= 0)
		close(afd);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	return r;
}

/*
 * A valid cookie to a listener: the re-check hands the ACK off with
 * bpf_sk_assign_tcp_reqsk().  A test run's skb is not at TC ingress
 * (skb->tc_at_ingress is 0), so the kfunc answers -EINVAL: the handoff is
 * attempted and its error counted.  The e2e suite (test_handoff) checks
 * that a real ACK completes the connection.
 */
static int t_recheck_listener(long v6)
{
	struct swt_pkt ack;

	TRY(arm());
	TRY(make_ack(v6, PORT_LISTEN, &ack, NULL));
	return run_tc(&ack, NULL, SWT_STAT(tc_err_einval));
}

/* ---- with metadata (where the kernel lets a test run carry it) ------- */

static void meta_for(struct synwall_meta *m, __u32 cookie)
{
	memset(m, 0, sizeof(*m));
	m->magic = SYNWALL_META_MAGIC;
	m->cookie = cookie;
	m->mss = 1460;
}

static int t_meta(long v6)
{
	struct synwall_meta m;
	struct swt_pkt ack;
	__u32 ck;

	if (!meta_settable)
		SWT_SKIP("this kernel's skb test run takes no metadata "
			 "(ctx data not settable): see test_handoff (e2e)");
	/* not armed: without valid metadata, nothing happens */
	TRY(make_ack(v6, PORT_NOBODY, &ack, &ck));
	meta_for(&m, ck);
	m.magic ^= 1;
	TRY(swt_sub(run_tc(&ack, &m, NO_COUNTER), "wrong magic"));
	meta_for(&m, ck + 1);
	TRY(swt_sub(run_tc(&ack, &m, NO_COUNTER), "metadata of another ACK"));
	meta_for(&m, ck);
	return swt_sub(run_tc(&ack, &m, SWT_STAT(tc_no_listener)),
		       "metadata of this ACK, nobody listens");
}

/*
 * Does this kernel let a skb test run carry metadata?  A run with ctx
 * data = 24 (24 bytes of metadata in front of the packet, as for XDP)
 * fails with EINVAL where it does not.
 */
static void probe_meta(void)
{
	static __u8 in[SWT_PKT_MAX], out[SWT_PKT_MAX];
	struct __sk_buff skb = {.ifindex = swt_ifindex(0),
				.data = sizeof(struct synwall_meta)};
	struct swt_pkt p;
	size_t len;

	swt_pkt_init(&p, false);
	p.flags = SWT_TCP_ACK;
	len = swt_build(&p, in + skb.data, sizeof(in) - skb.data, NULL);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
		    .data_size_in = (__u32)(skb.data + len), .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &skb,
		    .ctx_size_in = sizeof(skb), .repeat = 1);
	meta_settable = !bpf_prog_test_run_opts(env.tc_fd, &o);
}

static const struct swt_case cases[] = {
	SWT_CASE_V46("tc_v4_unarmed_no_meta", "tc_v6_unarmed_no_meta",
		     t_unarmed),
	SWT_CASE_V46("tc_v4_recheck_bad_cookie", "tc_v6_recheck_bad_cookie",
		     t_recheck_bad_cookie),
	SWT_CASE_V46("tc_v4_recheck_no_listener", "tc_v6_recheck_no_listener",
		     t_recheck_no_listener),
	SWT_CASE_V46("tc_v4_recheck_not_candidate",
		     "tc_v6_recheck_not_candidate", t_recheck_not_candidate),
	SWT_CASE(tc_recheck_unkeyed),
	SWT_CASE_V46("tc_v4_recheck_established", "tc_v6_recheck_established",
		     t_recheck_established),
	SWT_CASE_V46("tc_v4_recheck_listener_handoff",
		     "tc_v6_recheck_listener_handoff", t_recheck_listener),
	SWT_CASE_V46("tc_v4_meta_magic_and_cookie",
		     "tc_v6_meta_magic_and_cookie", t_meta),
};

static const __u16 ports[] = {PORT_LISTEN, PORT_OPEN};

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, setup);
	int r;

	if (swt_suite_env(&env, "test_tc", ports, 2))
		return 1;
	probe_meta();
	r = swt_main(&suite, argc, argv);
	swt_env_close(&env);
	return r;
}
