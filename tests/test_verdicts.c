// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * "Answer only what the kernel would", through
 * BPF_PROG_TEST_RUN on the real object, on the test device SWT_TEST_DEV
 * (tests/lib: MAC 02:00:00:00:00:02, 198.51.100.2/24 + .3, 2001:db8::2/64
 * + ::3) and on loopback for real TCP connections:
 *
 *   - frames not addressed to this host (broadcast, multicast or another
 *     host's MAC; a multicast, broadcast, subnet-broadcast or foreign
 *     destination IP; a martian source) pass untouched, counted, SYNs and
 *     cookie ACKs alike;
 *   - the answer follows the kernel's live state: an address added while
 *     loaded is answered, a removed one is not; addresses on lo (service
 *     addresses) count; a MAC change takes effect; a tentative IPv6
 *     address is not answered;
 *   - a SYN to a protected port where nothing listens passes (the kernel
 *     answers RST); with a listener it gets the SYN-ACK;
 *   - segments of an established flow pass whatever their options (kind
 *     99 length 1, a truncated last option, an overrun), while the same
 *     options on a segment with no socket are still judged.
 *
 * Each case asserts the verdict, that exactly one xdp_* counter moved by
 * one, and the output bytes (the input untouched, or the SYN-ACK rebuilt
 * independently by tests/lib).
 *
 * Prints one line per case: PASS: name | FAIL: name: why | SKIP: name: why
 * Usage: test_verdicts [-v] [-l] [-k PATTERN]... [PATTERN]... (swt_test.h)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "swt.h"
#include "swt_test.h"
/* cookie.h's "#pragma unroll" is for clang -target bpf */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

#define T_NOW 1700000000u
#define PORT_HTTP 80
#define PORT_8081 8081 /* protected, nothing listens unless a case opens it */
#define CLIENT_TSVAL 0x01020304u

static struct swt_env env;
static struct synwall_config cfg;
static struct synwall_keys keys;

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		SWT_FAIL("command failed: %s", cmd);
	return SWT_PASS;
}

/* Ports 80 and 8081 protected, key A in slot 0, a frozen clock. */
static int setup_default(void)
{
	static const struct synwall_key key_a = {0x0706050403020100ull,
						 0x0f0e0d0c0b0a0908ull};
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.fixed_time = T_NOW;
	memset(&keys, 0, sizeof(keys));
	keys.key[0] = key_a;
	keys.generation = 1;
	keys.installed_at[0] = T_NOW;
	if ((r = swt_config_write(&env, &cfg)) || (r = swt_ports_clear(&env)) ||
	    (r = swt_port_set(&env, PORT_HTTP, true)) ||
	    (r = swt_port_set(&env, PORT_8081, true)) ||
	    (r = swt_keys_write(&env, &keys)))
		SWT_FAIL("map setup: %s", strerror(-r));
	return SWT_PASS;
}

/* ---- running one frame ---------------------------------------------- */

static int run(const struct swt_pkt *p, __u32 ifindex, __u32 verdict,
	       size_t counter, const __u8 *out, size_t out_len)
{
	static __u8 in[SWT_PKT_MAX];
	static struct swt_xdp_out o;
	struct synwall_stats before, after;
	size_t len = swt_build(p, in, sizeof(in), NULL);
	const __u8 *exp = out ? out : in;
	size_t elen = out ? out_len : len;
	char moved[512];
	int r;

	if (!len)
		SWT_FAIL("test bug: frame does not fit");
	if ((r = swt_stats_read(&env, &before)))
		SWT_FAIL("stats read: %s", strerror(-r));
	if (swt_xdp_run(env.xdp_fd, in, len, ifindex, &o))
		SWT_FAIL("BPF_PROG_TEST_RUN: %s", strerror(-o.err));
	if ((r = swt_stats_read(&env, &after)))
		SWT_FAIL("stats read: %s", strerror(-r));
	r = swt_stats_check_one(&before, &after, counter, moved, sizeof(moved));
	if (o.verdict != verdict)
		SWT_FAIL("verdict %s, want %s (counters moved: %s)",
			 swt_xdp_verdict_name(o.verdict),
			 swt_xdp_verdict_name(verdict), moved);
	if (r)
		SWT_FAIL("counters: want %s +1 and nothing else, got %s",
			 swt_stat_name(counter), moved);
	if (o.meta_len)
		SWT_FAIL("unexpected %u bytes of metadata", o.meta_len);
	if (o.len != elen || memcmp(swt_xdp_data(&o), exp, elen)) {
		swt_hexdiff(stdout, exp, elen, swt_xdp_data(&o), o.len);
		SWT_FAIL("output frame differs from the %s",
			 out ? "expected SYN-ACK" :
			       "input (must be untouched)");
	}
	if (swt_verbose)
		printf("# %s %s ok\n", swt_xdp_verdict_name(verdict),
		       swt_stat_name(counter));
	return SWT_PASS;
}

static int expect_pass(const struct swt_pkt *p, __u32 ifindex, size_t counter)
{
	return run(p, ifindex, XDP_PASS, counter, NULL, 0);
}

static int expect_drop(const struct swt_pkt *p, __u32 ifindex, size_t counter)
{
	return run(p, ifindex, XDP_DROP, counter, NULL, 0);
}

static void syn_linux(struct swt_pkt *p, struct swt_synopts *o, bool v6)
{
	swt_pkt_init(p, v6);
	swt_opt_linux_syn(p, 1460, CLIENT_TSVAL, 7);
	*o = (struct swt_synopts){.mss = 1460,
				  .ws = 7,
				  .sack = true,
				  .ts = true,
				  .tsval = CLIENT_TSVAL};
}

static int expect_synack(const struct swt_pkt *syn, const struct swt_synopts *o,
			 __u32 ifindex, __u32 *cookie)
{
	static __u8 exp[SWT_PKT_MAX];
	size_t elen = swt_expect_synack(syn, o, &cfg, &keys, exp, sizeof(exp),
					cookie, NULL);

	if (!elen)
		SWT_FAIL("test bug: SYN-ACK does not fit");
	return run(syn, ifindex, XDP_TX, SWT_STAT(xdp_tx_synack), exp, elen);
}

/* A third ACK carrying a genuine cookie for the frame's own 4-tuple. */
static void cookie_ack(const struct swt_pkt *syn, struct swt_pkt *ack)
{
	struct sw_flow f;
	__u32 ck;

	swt_flow(syn, syn->seq, &f);
	ck = sw_cookie_make(&keys.key[0], 0, &f, syn->v6, T_NOW,
			    swt_mss_index(1460, syn->v6), 0, NULL);
	swt_make_ack(syn, ck, false, 0, 0, ack);
}

/* The SYN and the genuine cookie ACK of p both pass, counted. */
static int both_pass(const struct swt_pkt *syn, size_t counter)
{
	struct swt_pkt ack;

	TRY(swt_sub(expect_pass(syn, 0, counter), "SYN"));
	cookie_ack(syn, &ack);
	return swt_sub(expect_pass(&ack, 0, counter),
		       "ACK with a valid cookie");
}

static void set_addr(struct swt_pkt *p, bool dst, const char *a)
{
	inet_pton(p->v6 ? AF_INET6 : AF_INET, a, dst ? p->daddr : p->saddr);
}

/* ---- point 1: not addressed to this host ---------------------------- */

static int t_not_host_mac(void)
{
	static const struct {
		const char *name;
		__u8 mac[6];
	} m[] = {
		{"broadcast MAC", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"IPv4 multicast MAC", {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
		{"IPv6 multicast MAC", {0x33, 0x33, 0x00, 0x00, 0x00, 0x01}},
		{"another host's MAC", {0x02, 0x00, 0x00, 0x00, 0x00, 0x99}},
		{"our MAC with the group bit", {0x03, 0, 0, 0, 0, 0x02}},
	};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;
	int v6;

	for (v6 = 0; v6 < 2; v6++)
		for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
			syn_linux(&p, &o, v6);
			memcpy(p.dmac, m[i].mac, 6);
			TRY(swt_sub(both_pass(&p, SWT_STAT(xdp_pass_not_host)),
				    "%s%s", m[i].name, v6 ? " (IPv6)" : ""));
		}
	/* the control: our own MAC is answered */
	syn_linux(&p, &o, false);
	return swt_sub(expect_synack(&p, &o, 0, NULL), "our MAC");
}

static int t_not_local_v4(void)
{
	static const char *const dst[] = {
		"224.0.0.1",	   /* all-hosts multicast */
		"239.1.2.3",	   /* administratively scoped multicast */
		"255.255.255.255", /* limited broadcast */
		"198.51.100.255",  /* our subnet's broadcast */
		"198.51.100.77",   /* another host of our subnet */
		"203.0.113.9", /* another network (a router would forward) */
		"127.0.0.1",   /* loopback, off lo: martian destination */
		"0.0.0.0",
	};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	for (i = 0; i < sizeof(dst) / sizeof(dst[0]); i++) {
		syn_linux(&p, &o, false);
		set_addr(&p, true, dst[i]);
		TRY(swt_sub(both_pass(&p, SWT_STAT(xdp_pass_not_local)),
			    "to %s", dst[i]));
	}
	return SWT_PASS;
}

static int t_not_local_v6(void)
{
	static const char *const dst[] = {
		"ff02::1",	 /* all-nodes multicast */
		"ff05::2",	 /* site-local all-routers */
		"2001:db8::77",	 /* another host of our prefix */
		"2001:db8:1::2", /* another network */
		"2001:db8::", /* subnet-router anycast: not a unicast address */
		"::1",	      /* loopback, off lo */
		"::ffff:198.51.100.2", /* v4-mapped */
		"::",
	};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	for (i = 0; i < sizeof(dst) / sizeof(dst[0]); i++) {
		syn_linux(&p, &o, true);
		set_addr(&p, true, dst[i]);
		TRY(swt_sub(both_pass(&p, SWT_STAT(xdp_pass_not_local)),
			    "to %s", dst[i]));
	}
	return SWT_PASS;
}

static int t_martian_source(void)
{
	static const struct {
		bool v6;
		const char *src;
	} src[] = {
		{false, "224.0.0.5"},	    /* multicast */
		{false, "255.255.255.255"}, /* limited broadcast */
		{false, "198.51.100.255"},  /* our subnet's broadcast */
		{false, "0.0.0.0"},	    /* unspecified */
		{false, "0.1.2.3"},	    /* 0/8 */
		{false, "127.0.0.1"},	    /* loopback off lo */
		{false, "198.51.100.3"},    /* one of our own addresses */
		{true, "ff02::1"},	    /* multicast */
		{true, "::"},		    /* unspecified */
		{true, "::1"},		    /* loopback off lo */
		{true, "::ffff:192.0.2.1"}, /* v4-mapped */
		{true, "2001:db8::3"},	    /* one of our own addresses */
	};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		syn_linux(&p, &o, src[i].v6);
		set_addr(&p, false, src[i].src);
		TRY(swt_sub(both_pass(&p, SWT_STAT(xdp_pass_martian)),
			    "from %s", src[i].src));
	}
	return SWT_PASS;
}

/* Both server addresses of each family are ours (the cookie binds each). */
static int t_local_addresses(void)
{
	static const char *const dst[] = {SWT_TEST_IP4, SWT_TEST_IP4B,
					  SWT_TEST_IP6, SWT_TEST_IP6B};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	for (i = 0; i < 4; i++) {
		syn_linux(&p, &o, i >= 2);
		set_addr(&p, true, dst[i]);
		TRY(swt_sub(expect_synack(&p, &o, 0, NULL), "to %s", dst[i]));
	}
	return SWT_PASS;
}

/* ---- point 1: the kernel's live state ------------------------------- */

static int added_removed(bool v6, const char *a, const char *dev,
			 const char *plen)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int r, fd;

	/* nothing binds the new address: a wildcard listener takes it */
	fd = swt_listen_any(PORT_8081);
	if (fd < 0)
		SWT_FAIL("listen: %s", strerror(-fd));
	syn_linux(&p, &o, v6);
	p.dport = PORT_8081;
	set_addr(&p, true, a);
	r = swt_sub(expect_pass(&p, 0, SWT_STAT(xdp_pass_not_local)),
		    "%s before it is added", a);
	if (r == SWT_PASS)
		r = sh("ip addr add %s/%s dev %s%s", a, plen, dev,
		       v6 ? " nodad" : "");
	if (r == SWT_PASS)
		r = swt_sub(expect_synack(&p, &o, 0, NULL),
			    "%s added to %s while loaded", a, dev);
	if (r == SWT_PASS)
		r = sh("ip addr del %s/%s dev %s", a, plen, dev);
	if (r == SWT_PASS)
		r = swt_sub(expect_pass(&p, 0, SWT_STAT(xdp_pass_not_local)),
			    "%s removed again", a);
	close(fd);
	return r;
}

static int t_address_added_removed(void)
{
	TRY(added_removed(false, "198.51.100.9", SWT_TEST_DEV, "24"));
	return added_removed(true, "2001:db8::9", SWT_TEST_DEV, "64");
}

/* A service address on lo (load balancer, anycast) is local. */
static int t_address_on_lo(void)
{
	TRY(added_removed(false, "203.0.113.10", "lo", "32"));
	return added_removed(true, "2001:db8:53::10", "lo", "128");
}

static int t_mac_change(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int r;

	TRY(sh("ip link set %s address 02:00:00:00:00:42", SWT_TEST_DEV));
	syn_linux(&p, &o, false);
	r = swt_sub(expect_pass(&p, 0, SWT_STAT(xdp_pass_not_host)),
		    "the old MAC after a change");
	if (r == SWT_PASS) {
		p.dmac[5] = 0x42;
		r = swt_sub(expect_synack(&p, &o, 0, NULL), "the new MAC");
	}
	if (sh("ip link set %s address %s", SWT_TEST_DEV, SWT_TEST_MAC) !=
	    SWT_PASS)
		return SWT_FAIL;
	return r;
}

static int t_tentative_v6(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	FILE *f;
	char line[256];
	bool tentative = false;
	int r;

	/* with DAD: tentative for about a second (1 probe, RetransTimer) */
	TRY(sh("sysctl -qw net.ipv6.conf.%s.dad_transmits=3", SWT_TEST_DEV));
	TRY(sh("ip addr add 2001:db8::a/64 dev %s", SWT_TEST_DEV));
	syn_linux(&p, &o, true);
	set_addr(&p, true, "2001:db8::a");
	r = expect_pass(&p, 0, SWT_STAT(xdp_pass_not_local));
	f = popen("ip -6 addr show dev " SWT_TEST_DEV " to 2001:db8::a", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "tentative"))
			tentative = true;
	if (f)
		pclose(f);
	sh("ip addr del 2001:db8::a/64 dev %s", SWT_TEST_DEV);
	if (!tentative) {
		snprintf(swt_why, sizeof(swt_why),
			 "DAD finished before the check");
		return SWT_SKIP;
	}
	return swt_sub(r, "a tentative address");
}

/* ---- point 2: no listener ------------------------------------------- */

static int t_no_listener(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6, fd;

	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6);
		p.dport = PORT_8081;
		TRY(swt_sub(expect_pass(&p, 0, SWT_STAT(xdp_pass_no_listener)),
			    "SYN to 8081, nothing listening%s",
			    v6 ? " (IPv6)" : ""));
		/* SYN|FIN too: the kernel answers it with RST */
		p.flags |= SWT_TCP_FIN;
		TRY(swt_sub(expect_pass(&p, 0, SWT_STAT(xdp_pass_no_listener)),
			    "SYN|FIN to 8081, nothing listening%s",
			    v6 ? " (IPv6)" : ""));
		p.flags &= ~SWT_TCP_FIN;
		fd = swt_listen_any(PORT_8081);
		if (fd < 0)
			SWT_FAIL("listen: %s", strerror(-fd));
		if (swt_sub(expect_synack(&p, &o, 0, NULL),
			    "SYN to 8081, listening%s",
			    v6 ? " (IPv6)" : "") != SWT_PASS) {
			close(fd);
			return SWT_FAIL;
		}
		close(fd);
		TRY(swt_sub(expect_pass(&p, 0, SWT_STAT(xdp_pass_no_listener)),
			    "SYN to 8081 after the listener closed%s",
			    v6 ? " (IPv6)" : ""));
	}
	return SWT_PASS;
}

/* ---- point 3: established flows, whatever their options ------------- */

static int odd_options(bool v6)
{
	static const struct {
		const char *name;
		const char *b;
		size_t n;
	} opt[] = {
		/* an unknown kind with a length of 1 (Linux stops there) */
		{"kind 99 length 1", "\x01\x01\x63\x01", 4},
		/* the last option cut: a timestamp kind without its length */
		{"truncated last option", "\x01\x01\x01\x08", 4},
		/* a length running past the header */
		{"option overrun", "\x01\x01\x08\x0a\x00\x00\x00\x01", 8},
		/* length 0 */
		{"length 0", "\x01\x01\x05\x00", 4},
	};
	static const struct {
		const char *name;
		__u8 flags;
		size_t paylen;
	} seg[] = {
		{"ACK", SWT_TCP_ACK, 0},
		{"data", SWT_TCP_ACK | SWT_TCP_PSH, 100},
		{"FIN|ACK", SWT_TCP_ACK | SWT_TCP_FIN, 0},
		{"RST", SWT_TCP_RST, 0},
		{"SYN", SWT_TCP_SYN, 0},
	};
	struct swt_conn c;
	struct swt_pkt p;
	size_t i, j;
	int r = SWT_PASS;

	if ((r = swt_conn_open(v6, true, &c))) {
		snprintf(swt_why, sizeof(swt_why), "loopback TCP: %s",
			 strerror(-r));
		return v6 ? SWT_SKIP : SWT_FAIL;
	}
	if (swt_port_set(&env, c.lport, true))
		SWT_FAIL("ports write");
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]) && r == SWT_PASS; i++) {
		for (j = 0; j < sizeof(seg) / sizeof(seg[0]) && r == SWT_PASS;
		     j++) {
			swt_pkt_loopback(&p, v6, c.cport, c.lport);
			p.flags = seg[j].flags;
			p.paylen = seg[j].paylen;
			swt_opt_raw(&p, opt[i].b, opt[i].n);
			r = swt_sub(
				expect_pass(&p, 1, SWT_STAT(xdp_pass_socket)),
				"%s with %s, established%s", seg[j].name,
				opt[i].name, v6 ? " (IPv6)" : "");
		}
		/* no socket for this 4-tuple: the options are judged */
		if (r == SWT_PASS) {
			swt_pkt_loopback(&p, v6, c.cport ^ 0x4000, c.lport);
			swt_opt_raw(&p, opt[i].b, opt[i].n);
			r = swt_sub(expect_drop(&p, 1,
						SWT_STAT(xdp_drop_malformed)),
				    "ACK with %s, no socket%s", opt[i].name,
				    v6 ? " (IPv6)" : "");
		}
		/* a SYN to the listener: judged as well */
		if (r == SWT_PASS) {
			swt_pkt_loopback(&p, v6, c.cport ^ 0x4000, c.lport);
			p.flags = SWT_TCP_SYN;
			p.ack = 0;
			swt_opt_raw(&p, opt[i].b, opt[i].n);
			r = swt_sub(expect_drop(&p, 1,
						SWT_STAT(xdp_drop_malformed)),
				    "SYN with %s to the listener%s",
				    opt[i].name, v6 ? " (IPv6)" : "");
		}
	}
	swt_conn_close(&c);
	return r;
}

static int t_established_odd_options(long v6)
{
	int r = odd_options(v6);

	if (r == SWT_SKIP)
		return swt_skipf("no IPv6 loopback (::1)");
	return r;
}

/* ---- main ------------------------------------------------------------ */

static const struct swt_case cases[] = {
	SWT_CASE(not_host_mac),
	SWT_CASE(not_local_v4),
	SWT_CASE(not_local_v6),
	SWT_CASE(martian_source),
	SWT_CASE(local_addresses),
	SWT_CASE(address_added_removed),
	SWT_CASE(address_on_lo),
	SWT_CASE(mac_change),
	SWT_CASE(tentative_v6),
	SWT_CASE(no_listener),
	SWT_CASE_ARG("established_odd_options_v4", t_established_odd_options,
		     0),
	SWT_CASE_ARG("established_odd_options_v6", t_established_odd_options,
		     1),
};

static const __u16 ports[] = {PORT_HTTP};

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, setup_default);
	int r;

	/* the server listens on 80 (every address), never on 8081 */
	if (swt_suite_env(&env, "test_verdicts", ports, 1))
		return 1;
	r = swt_main(&suite, argc, argv);
	swt_env_close(&env);
	return r;
}
