// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packet-level tests of the synwall XDP program (docs/datapath.md), run
 * through BPF_PROG_TEST_RUN on the real object.  Each case asserts the
 * verdict, that exactly one xdp_* counter moved (by one), and the output
 * bytes: the SYN-ACK is rebuilt independently (tests/lib builder and
 * checksum, cookie.h for the ISN and TSval only) and compared byte for
 * byte; passed and dropped frames must come out untouched.
 *
 * Prints one line per case: PASS: name | FAIL: name: why | SKIP: name: why
 * Usage: test_xdp [-v] [NAME-SUBSTRING...]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "swt.h"
/* cookie.h's "#pragma unroll" is for clang -target bpf */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

enum { T_PASS, T_FAIL, T_SKIP };

/* 1700000000 = 64 * 26562500: the start of a cookie epoch */
#define T_NOW 1700000000u
#define PORT_HTTP 80
#define PORT_HTTPS 443
#define PORT_OPEN 81 /* never protected */

static struct swt_env env;
static struct synwall_config cfg;
static struct synwall_keys keys;
static char why[2048];
static bool verbose;

static const struct synwall_key key_a = {0x0706050403020100ull,
					 0x0f0e0d0c0b0a0908ull};
static const struct synwall_key key_b = {0x8877665544332211ull,
					 0x00ffeeddccbbaa99ull};
static const struct synwall_key key_c = {0xdeadbeefcafef00dull,
					 0x0123456789abcdefull};

#define FAIL(...)                                        \
	do {                                             \
		snprintf(why, sizeof(why), __VA_ARGS__); \
		return T_FAIL;                           \
	} while (0)

#define TRY(x)                     \
	do {                       \
		int _r = (x);      \
		if (_r != T_PASS)  \
			return _r; \
	} while (0)

/* Prefix the failure reason of a sub-case. */
static int sub(int r, const char *fmt, ...)
{
	char buf[sizeof(why)];
	size_t n, m;
	va_list ap;

	if (r != T_FAIL)
		return r;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf) - 3, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	memcpy(buf + n, ": ", 3);
	n += 2;
	m = strlen(why);
	if (m > sizeof(buf) - n - 1)
		m = sizeof(buf) - n - 1;
	memcpy(buf + n, why, m);
	buf[n + m] = 0;
	memcpy(why, buf, sizeof(why));
	return r;
}

/* ---- state ----------------------------------------------------------- */

static int write_config(void)
{
	int r = swt_config_write(&env, &cfg);

	if (r)
		FAIL("config write: %s", strerror(-r));
	return T_PASS;
}

static int write_keys(void)
{
	int r = swt_keys_write(&env, &keys);

	if (r)
		FAIL("keys write: %s", strerror(-r));
	return T_PASS;
}

static int set_time(__u32 t)
{
	cfg.fixed_time = t;
	return write_config();
}

static int protect(__u16 port, bool on)
{
	int r = swt_port_set(&env, port, on);

	if (r)
		FAIL("ports write: %s", strerror(-r));
	return T_PASS;
}

/* Every case starts from this: ports 80 and 443, key A in slot 0. */
static int setup_default(void)
{
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mss4 = 1460;
	cfg.mss6 = 1440;
	cfg.window = 65535;
	cfg.wscale = 7;
	cfg.ttl = 64;
	cfg.fixed_time = T_NOW;
	TRY(write_config());
	r = swt_ports_clear(&env);
	if (r)
		FAIL("ports clear: %s", strerror(-r));
	TRY(protect(PORT_HTTP, true));
	TRY(protect(PORT_HTTPS, true));
	memset(&keys, 0, sizeof(keys));
	keys.key[0] = key_a;
	keys.current = 0;
	keys.generation = 1;
	keys.installed_at[0] = T_NOW;
	return write_keys();
}

/* ---- running one frame ---------------------------------------------- */

struct want {
	__u32 verdict;
	size_t counter;	 /* SWT_STAT(field) */
	const __u8 *out; /* NULL: the input, untouched */
	size_t out_len;
	const struct synwall_meta *meta; /* NULL: no metadata */
	__u32 ifindex;
};

static struct swt_xdp_out last; /* the last run's output */

static void meta_str(char *b, size_t n, const struct synwall_meta *m)
{
	snprintf(b, n,
		 "{magic %#x cookie %#x tsval %#x tsecr %#x mss %u snd_ws %u "
		 "rcv_ws %u flags %#x pad %02x%02x%02x}",
		 m->magic, m->cookie, m->tsval, m->tsecr, m->mss, m->snd_wscale,
		 m->rcv_wscale, m->flags, m->pad[0], m->pad[1], m->pad[2]);
}

static int run(const __u8 *pkt, size_t len, const struct want *w)
{
	struct synwall_stats before, after;
	const __u8 *exp = w->out ? w->out : pkt;
	size_t elen = w->out ? w->out_len : len;
	char moved[512], a[256], b[256];
	int r;

	if ((r = swt_stats_read(&env, &before)))
		FAIL("stats read: %s", strerror(-r));
	if (swt_xdp_run(env.xdp_fd, pkt, len, w->ifindex, &last))
		FAIL("BPF_PROG_TEST_RUN: %s", strerror(-last.err));
	if ((r = swt_stats_read(&env, &after)))
		FAIL("stats read: %s", strerror(-r));
	if (verbose) {
		printf("# in (%zu bytes)\n", len);
		swt_hexdiff(stdout, pkt, len, pkt, len);
		printf("# out %s meta %u\n", swt_xdp_verdict_name(last.verdict),
		       last.meta_len);
		swt_hexdiff(stdout, exp, elen, swt_xdp_data(&last), last.len);
	}
	r = swt_stats_check_one(&before, &after, w->counter, moved,
				sizeof(moved));
	if (last.verdict != w->verdict)
		FAIL("verdict %s, want %s (counters moved: %s)",
		     swt_xdp_verdict_name(last.verdict),
		     swt_xdp_verdict_name(w->verdict), moved);
	if (r)
		FAIL("counters: want %s +1 and nothing else, got %s",
		     swt_stat_name(w->counter), moved);
	if (w->meta) {
		struct synwall_meta got;

		if (last.meta_len != sizeof(got))
			FAIL("metadata: %u bytes, want %zu", last.meta_len,
			     sizeof(got));
		memcpy(&got, last.buf, sizeof(got));
		if (memcmp(&got, w->meta, sizeof(got))) {
			meta_str(a, sizeof(a), &got);
			meta_str(b, sizeof(b), w->meta);
			FAIL("metadata %s, want %s", a, b);
		}
	} else if (last.meta_len) {
		FAIL("unexpected %u bytes of metadata", last.meta_len);
	}
	if (last.len != elen || memcmp(swt_xdp_data(&last), exp, elen)) {
		if (!verbose)
			swt_hexdiff(stdout, exp, elen, swt_xdp_data(&last),
				    last.len);
		FAIL("output frame differs from the expected one (%s)",
		     w->out ? "expected SYN-ACK" :
			      "expected the input untouched");
	}
	return T_PASS;
}

static int run_pkt(const struct swt_pkt *p, __u32 verdict, size_t counter)
{
	static __u8 buf[SWT_PKT_MAX];
	struct want w = {.verdict = verdict, .counter = counter};
	size_t len = swt_build(p, buf, sizeof(buf), NULL);

	if (!len)
		FAIL("test bug: frame does not fit");
	return run(buf, len, &w);
}

static int expect_pass(const struct swt_pkt *p, size_t counter)
{
	return run_pkt(p, XDP_PASS, counter);
}

static int expect_drop(const struct swt_pkt *p, size_t counter)
{
	return run_pkt(p, XDP_DROP, counter);
}

/* A frame given as bytes (truncations, hand-made headers). */
static int expect_raw(const __u8 *b, size_t len, __u32 verdict, size_t counter)
{
	struct want w = {.verdict = verdict, .counter = counter};

	return run(b, len, &w);
}

/*
 * Run a SYN, expect the SYN-ACK built independently.  *cookie / *tsval
 * (optional) get our ISN and TSval for the ACK that follows.
 */
static __u32 syn_ifindex; /* the device SYNs run on (0: SWT_TEST_DEV) */

static int expect_synack(const struct swt_pkt *syn, const struct swt_synopts *o,
			 __u32 *cookie, __u32 *tsval)
{
	static __u8 in[SWT_PKT_MAX], exp[SWT_PKT_MAX];
	struct want w = {.verdict = XDP_TX,
			 .counter = SWT_STAT(xdp_tx_synack),
			 .ifindex = syn_ifindex};
	size_t ilen, elen;
	__u32 ck, tsv;

	ilen = swt_build(syn, in, sizeof(in), NULL);
	elen = swt_expect_synack(syn, o, &cfg, &keys, exp, sizeof(exp), &ck,
				 &tsv);
	if (!ilen || !elen)
		FAIL("test bug: frame does not fit");
	w.out = exp;
	w.out_len = elen;
	TRY(run(in, ilen, &w));
	if (cookie)
		*cookie = ck;
	if (tsval)
		*tsval = tsv;
	return T_PASS;
}

/* The metadata a valid third ACK must carry. */
static void want_meta(struct synwall_meta *m, __u32 cookie, bool v6,
		      const struct swt_synopts *o, bool ack_ts, __u32 tsval,
		      __u32 tsecr)
{
	struct swt_cfg c;
	__u32 mss = o->mss >= 0 ? (__u32)o->mss : v6 ? 1220 : 536;

	swt_cfg_resolve(&cfg, &c);
	memset(m, 0, sizeof(*m));
	m->magic = SYNWALL_META_MAGIC;
	m->cookie = cookie;
	m->mss = sw_index_to_mss(swt_mss_index(mss, v6), v6);
	if (!ack_ts)
		return;
	m->tsval = tsval;
	m->tsecr = tsecr;
	m->flags = SYNWALL_MF_TSTAMP;
	if (o->ws >= 0) {
		m->snd_wscale = o->ws > 14 ? 14 : o->ws;
		m->rcv_wscale = c.wscale;
		m->flags |= SYNWALL_MF_WSCALE;
	}
	if (o->sack)
		m->flags |= SYNWALL_MF_SACK;
	if (o->ecn && !c.no_ecn)
		m->flags |= SYNWALL_MF_ECN;
}

static int expect_cookie_ack(const struct swt_pkt *ack,
			     const struct synwall_meta *m, __u32 ifindex)
{
	static __u8 buf[SWT_PKT_MAX];
	struct want w = {.verdict = XDP_PASS,
			 .counter = SWT_STAT(xdp_pass_cookie),
			 .meta = m,
			 .ifindex = ifindex};
	size_t len = swt_build(ack, buf, sizeof(buf), NULL);

	return run(buf, len, &w);
}

static int handshake(const struct swt_pkt *syn, const struct swt_synopts *o,
		     __u32 t_syn, __u32 t_ack, __u32 ifindex);

/* ---- SYN helpers ------------------------------------------------------ */

#define CLIENT_TSVAL 0x01020304u

static void syn_linux(struct swt_pkt *p, struct swt_synopts *o, bool v6,
		      __u16 mss)
{
	swt_pkt_init(p, v6);
	swt_opt_linux_syn(p, mss, CLIENT_TSVAL, 7);
	*o = (struct swt_synopts){.mss = mss,
				  .ws = 7,
				  .sack = true,
				  .ts = true,
				  .tsval = CLIENT_TSVAL};
}

static void syn_bare(struct swt_pkt *p, struct swt_synopts *o, bool v6)
{
	swt_pkt_init(p, v6);
	*o = (struct swt_synopts){.mss = -1, .ws = -1};
}

static int check_mss_index(__u32 cookie, __u32 want)
{
	if (sw_cookie_mss_index(cookie) != want)
		FAIL("cookie %#x carries MSS index %u, want %u", cookie,
		     sw_cookie_mss_index(cookie), want);
	return T_PASS;
}

/* A cookie without timestamps: its 3-bit MSS index (cookie.h) must
 * name the 8-entry table's largest value <= mss. */
static int check_nots_mss(__u32 cookie, __u32 mss, bool v6)
{
	__u32 want = 0, i, got = sw_cookie_nots_code(cookie) & 7;
	const __u16 *t = v6 ? sw_nots_mss6 : sw_nots_mss4;

	for (i = 0; i < SW_NOTS_MSS_SLOTS; i++)
		if (t[i] <= mss)
			want = i;
	if (got != want)
		FAIL("no-timestamp cookie %#x carries MSS index %u (%u), "
		     "want %u (%u)",
		     cookie, got, t[got], want, t[want]);
	return T_PASS;
}

/* ---- library self-checks ------------------------------------------- */

static int t_lib_checksum(void)
{
	/* RFC 1071 section 3 example: sum ddf2, checksum 220d */
	static const __u8 rfc[] = {0x00, 0x01, 0xf2, 0x03,
				   0xf4, 0xf5, 0xf6, 0xf7};
	/* an IPv4 header with its checksum b861 */
	static const __u8 ip[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
				  0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
				  0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	static __u8 b[SWT_PKT_MAX];
	struct swt_pkt p;
	struct swt_layout lo;
	size_t len;
	__u16 c;

	if (swt_csum_add(0, rfc, sizeof(rfc)) != 0xddf2)
		FAIL("RFC 1071 example sums to %#x, want 0xddf2",
		     swt_csum_add(0, rfc, sizeof(rfc)));
	if ((c = swt_csum_fold(swt_csum_add(0, rfc, sizeof(rfc)))) != 0x220d)
		FAIL("RFC 1071 example checksum %#x, want 0x220d", c);
	if ((c = swt_csum_fold(swt_csum_add(0, ip, sizeof(ip)))) != 0xb861)
		FAIL("IPv4 header checksum %#x, want 0xb861", c);
	/* odd length: the last byte is the high half of a word */
	if (swt_csum_add(0, "\x01", 1) != 0x0100)
		FAIL("odd byte not padded on the right");
	/* a built frame verifies to zero (0xffff before complement) */
	swt_pkt_init(&p, false);
	swt_opt_linux_syn(&p, 1460, 1, 7);
	p.paylen = 3;
	len = swt_build(&p, b, sizeof(b), &lo);
	if (swt_csum_fold(swt_csum_add(0, b + lo.l3, 20)))
		FAIL("built IPv4 header does not verify");
	if (swt_l4_csum(false, p.saddr, p.daddr, 6, b + lo.l4, len - lo.l4))
		FAIL("built TCP/IPv4 segment does not verify");
	swt_pkt_init(&p, true);
	p.paylen = 1;
	len = swt_build(&p, b, sizeof(b), &lo);
	if (swt_l4_csum(true, p.saddr, p.daddr, 6, b + lo.l4, len - lo.l4))
		FAIL("built TCP/IPv6 segment does not verify");
	/* offload: wrong as is, right once a NIC sums the segment over it */
	p.csum_offload = true;
	len = swt_build(&p, b, sizeof(b), &lo);
	if (!swt_l4_csum(true, p.saddr, p.daddr, 6, b + lo.l4, len - lo.l4))
		FAIL("offload checksum verifies as a full one");
	c = swt_csum_fold(swt_csum_add(0, b + lo.l4, len - lo.l4));
	swt_put16(b + lo.l4 + 16, 0);
	if (c != swt_l4_csum(true, p.saddr, p.daddr, 6, b + lo.l4, len - lo.l4))
		FAIL("offload checksum does not complete to the real one");
	return T_PASS;
}

static int t_cookie_siphash_vectors(void)
{
	/*
	 * SipHash-2-4 reference vectors (Aumasson & Bernstein, vectors.h),
	 * key 00..0f, message 00..(n-1), n = 0, 8, 16: the MAC the cookie
	 * header shares with the BPF program must be the real SipHash.
	 */
	static const __u64 want[3] = {0x726fdb47dd0e0e31ull,
				      0x93f5f5799a932462ull,
				      0x3f2acc7f57c29bdbull};
	const __u64 m[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
	__u64 got[3];
	int i;

	got[0] = sw_siphash(&key_a, m, 0);
	got[1] = sw_siphash(&key_a, m, 1);
	got[2] = sw_siphash(&key_a, m, 2);
	for (i = 0; i < 3; i++)
		if (got[i] != want[i])
			FAIL("%d-byte vector: %#llx, want %#llx", i * 8,
			     (unsigned long long)got[i],
			     (unsigned long long)want[i]);
	return T_PASS;
}

/* ---- SYN -> SYN-ACK ------------------------------------------------- */

static int t_syn_linux(bool v6)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;

	syn_linux(&p, &o, v6, 1460);
	TRY(expect_synack(&p, &o, &ck, NULL));
	return check_mss_index(ck, 13);
}

static int t_syn_v4_linux_options(void)
{
	return t_syn_linux(false);
}

static int t_syn_v6_linux_options(void)
{
	return t_syn_linux(true);
}

static int t_syn_no_options(bool v6)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;

	syn_bare(&p, &o, v6);
	TRY(expect_synack(&p, &o, &ck, NULL));
	/* no MSS option: 536 (IPv4) / 1220 (IPv6), entry 0 */
	return check_mss_index(ck, 0);
}

static int t_syn_v4_no_options(void)
{
	return t_syn_no_options(false);
}

static int t_syn_v6_no_options(void)
{
	return t_syn_no_options(true);
}

static int t_syn_mss_only(bool v6)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;

	syn_bare(&p, &o, v6);
	swt_opt_mss(&p, 1400);
	o.mss = 1400;
	TRY(expect_synack(&p, &o, &ck, NULL));
	return check_nots_mss(ck, 1400, v6);
}

static int t_syn_v4_mss_only(void)
{
	return t_syn_mss_only(false);
}

static int t_syn_v6_mss_only(void)
{
	return t_syn_mss_only(true);
}

static int t_syn_linux_sysctl_layouts(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		/* tcp_sack=0: MSS, NOP, NOP, TS, NOP, WS (20 bytes) */
		syn_bare(&p, &o, v6);
		swt_opt_mss(&p, 1460);
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_ts(&p, CLIENT_TSVAL, 0);
		swt_opt_nop(&p);
		swt_opt_ws(&p, 7);
		o = (struct swt_synopts){.mss = 1460,
					 .ws = 7,
					 .ts = true,
					 .tsval = CLIENT_TSVAL};
		TRY(sub(expect_synack(&p, &o, NULL, NULL), "tcp_sack=0%s",
			v6 ? " (IPv6)" : ""));
		/* tcp_timestamps=0: MSS, NOP, NOP, SACK, NOP, WS (12 bytes) */
		syn_bare(&p, &o, v6);
		swt_opt_mss(&p, 1460);
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_sackperm(&p);
		swt_opt_nop(&p);
		swt_opt_ws(&p, 7);
		o = (struct swt_synopts){.mss = 1460, .ws = 7, .sack = true};
		TRY(sub(expect_synack(&p, &o, NULL, NULL), "tcp_timestamps=0%s",
			v6 ? " (IPv6)" : ""));
		/* tcp_window_scaling=0: MSS, SACK, TS (16 bytes) */
		syn_bare(&p, &o, v6);
		swt_opt_mss(&p, 1460);
		swt_opt_sackperm(&p);
		swt_opt_ts(&p, CLIENT_TSVAL, 0);
		o = (struct swt_synopts){.mss = 1460,
					 .ws = -1,
					 .sack = true,
					 .ts = true,
					 .tsval = CLIENT_TSVAL};
		TRY(sub(expect_synack(&p, &o, NULL, NULL),
			"tcp_window_scaling=0%s", v6 ? " (IPv6)" : ""));
		/* NOP, NOP, TS alone (the ACK layout, 12 bytes) in a SYN */
		syn_bare(&p, &o, v6);
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_ts(&p, CLIENT_TSVAL, 0);
		o = (struct swt_synopts){
			.mss = -1, .ws = -1, .ts = true, .tsval = CLIENT_TSVAL};
		TRY(sub(expect_synack(&p, &o, NULL, NULL), "NOP NOP TS%s",
			v6 ? " (IPv6)" : ""));
	}
	return T_PASS;
}

static int t_syn_layout_lookalikes(void)
{
	static const __u8 ts[10] = {8, 10, 1, 2, 3, 4, 0, 0, 0, 0};
	struct swt_pkt p;
	struct swt_synopts o;

	/*
	 * The lengths of the common layouts (20, 12, 4 bytes) with other
	 * contents: each byte must be read as what it is.
	 */
	syn_bare(&p, &o, false);
	swt_opt_mss(&p, 1400);
	swt_opt_sackperm(&p);
	swt_opt_raw(&p, ts, sizeof(ts));
	swt_opt_raw(&p, "\x01\x01\x01\x00", 4);
	o = (struct swt_synopts){.mss = 1400,
				 .ws = -1,
				 .sack = true,
				 .ts = true,
				 .tsval = 0x01020304};
	TRY(sub(expect_synack(&p, &o, NULL, NULL),
		"MSS SACK TS NOP NOP NOP EOL (20 bytes)"));
	syn_bare(&p, &o, false);
	swt_opt_mss(&p, 1400);
	swt_opt_sackperm(&p);
	swt_opt_raw(&p, ts, sizeof(ts));
	swt_opt_raw(&p, "\x01\x03\x02\x01", 4);
	o = (struct swt_synopts){.mss = 1400,
				 .ws = -1,
				 .sack = true,
				 .ts = true,
				 .tsval = 0x01020304};
	TRY(sub(expect_synack(&p, &o, NULL, NULL),
		"MSS SACK TS NOP WS-len-2 NOP (20 bytes)"));
	syn_bare(&p, &o, false);
	swt_opt_raw(&p, "\x00\x00", 2);
	swt_opt_raw(&p, ts, sizeof(ts));
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "EOL EOL TS (12 bytes)"));
	syn_bare(&p, &o, false);
	swt_opt_raw(&p, "\x01\x00", 2);
	swt_opt_raw(&p, ts, sizeof(ts));
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "NOP EOL TS (12 bytes)"));
	syn_bare(&p, &o, false);
	swt_opt_raw(&p, "\x02\x02\x01\x01", 4);
	return sub(expect_synack(&p, &o, NULL, NULL),
		   "MSS-len-2 NOP NOP (4 bytes)");
}

static int t_syn_v4_odd_order(void)
{
	/* TS first, then WS 5, SACK-permitted, MSS 1400 */
	/* clang-format off */
	static const __u8 opt[] = {
		8, 10, 0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 0, 0,	/* TS */
		1, 3, 3, 5,					/* NOP WS 5 */
		4, 2,						/* SACK-perm */
		2, 4, 0x05, 0x78,				/* MSS 1400 */
	};
	/* clang-format on */
	struct swt_pkt p;
	struct swt_synopts o = {.mss = 1400,
				.ws = 5,
				.sack = true,
				.ts = true,
				.tsval = 0xaabbccdd};
	__u32 ck;

	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt, sizeof(opt));
	TRY(expect_synack(&p, &o, &ck, NULL));
	return check_mss_index(ck, 9);
}

static int t_syn_v6_odd_order(void)
{
	/* WS 14, MSS 1240, TS, SACK-permitted, EOL */
	/* clang-format off */
	static const __u8 opt[] = {
		3, 3, 14,					/* WS 14 */
		2, 4, 0x04, 0xd8,				/* MSS 1240 */
		8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,	/* TS */
		4, 2,						/* SACK-perm */
		0,						/* EOL */
	};
	/* clang-format on */
	struct swt_pkt p;
	struct swt_synopts o = {.mss = 1240,
				.ws = 14,
				.sack = true,
				.ts = true,
				.tsval = 0x11223344};
	__u32 ck;

	swt_pkt_init(&p, true);
	swt_opt_raw(&p, opt, sizeof(opt));
	TRY(expect_synack(&p, &o, &ck, NULL));
	return check_mss_index(ck, 2);
}

static int t_syn_nop_eol_padding(void)
{
	/* NOPs everywhere, EOL padding at the end (32 bytes of options) */
	/* clang-format off */
	static const __u8 opt[] = {
		1, 1, 1,					/* NOPs */
		2, 4, 0x05, 0xb4,				/* MSS 1460 */
		1, 1, 4, 2,					/* SACK-perm */
		1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0,	/* TS */
		1, 3, 3, 7,					/* WS 7 */
		0, 0, 0, 0, 0,					/* EOL */
	};
	/* clang-format on */
	struct swt_pkt p;
	struct swt_synopts o = {.mss = 1460,
				.ws = 7,
				.sack = true,
				.ts = true,
				.tsval = 0x1234};

	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt, sizeof(opt));
	return expect_synack(&p, &o, NULL, NULL);
}

static int t_syn_eol_ends_options(void)
{
	/* after EOL, even a well-formed TS and SACK are not options */
	/* clang-format off */
	static const __u8 opt[] = {
		2, 4, 0x05, 0x50,				/* MSS 1360 */
		0,						/* EOL */
		8, 10, 0, 0, 0, 1, 0, 0, 0, 0,			/* "TS" */
		4, 2, 0, 0, 0,					/* "SACK" */
	};
	/* clang-format on */
	struct swt_pkt p;
	struct swt_synopts o = {.mss = 1360, .ws = -1};
	__u32 ck;

	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt, sizeof(opt));
	TRY(expect_synack(&p, &o, &ck, NULL));
	return check_nots_mss(ck, 1360, false);
}

static int t_syn_wrong_length_known_options(void)
{
	/*
	 * MSS with length 3 and WS with length 4 are well-formed but
	 * ignored (as Linux does); SACK-permitted and TS count.
	 */
	/* clang-format off */
	static const __u8 opt1[] = {
		2, 3, 5,					/* MSS, len 3 */
		1,						/* NOP */
		3, 4, 7, 0,					/* WS, len 4 */
		4, 2,						/* SACK-perm */
		8, 10, 0, 0, 0, 9, 0, 0, 0, 0,			/* TS */
	};
	/* TS with length 6: ignored, so SACK and WS are not offered either */
	static const __u8 opt2[] = {
		2, 4, 0x05, 0xb4,				/* MSS 1460 */
		4, 2,						/* SACK-perm */
		8, 6, 0, 0, 0, 1,				/* TS, len 6 */
		1, 3, 3, 7,					/* NOP WS 7 */
	};
	/* clang-format on */
	struct swt_pkt p;
	struct swt_synopts o1 = {
		.mss = -1, .ws = -1, .sack = true, .ts = true, .tsval = 9};
	struct swt_synopts o2 = {.mss = 1460, .ws = 7, .sack = true};
	__u32 ck;

	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt1, sizeof(opt1));
	TRY(sub(expect_synack(&p, &o1, &ck, NULL), "MSS len 3, WS len 4"));
	TRY(sub(check_mss_index(ck, 0), "MSS len 3"));
	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt2, sizeof(opt2));
	return sub(expect_synack(&p, &o2, NULL, NULL), "TS len 6");
}

static int t_syn_unknown_options(void)
{
	/* RFC 6994 experimental option, TCP-MD5-sized unknown, then Linux's */
	static const __u8 exp[] = {0xfe, 6, 0xf9, 0x89, 0, 0};
	struct swt_pkt p;
	struct swt_synopts o;

	syn_linux(&p, &o, false, 1460);
	p.optlen = 0;
	swt_opt_raw(&p, exp, sizeof(exp));
	swt_opt_linux_syn(&p, 1460, CLIENT_TSVAL, 7);
	return expect_synack(&p, &o, NULL, NULL);
}

struct mss_case {
	__u16 mss;
	__u8 idx;
};

static int mss_table(bool v6, const struct mss_case *c, size_t n)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;
	size_t i;

	for (i = 0; i < n; i++) {
		if (swt_mss_index(c[i].mss, v6) != c[i].idx)
			FAIL("test bug: swt_mss_index(%u) = %u, want %u",
			     c[i].mss, swt_mss_index(c[i].mss, v6), c[i].idx);
		syn_linux(&p, &o, v6, c[i].mss);
		p.seq += i; /* a different flow each time */
		TRY(sub(expect_synack(&p, &o, &ck, NULL), "MSS %u", c[i].mss));
		TRY(sub(check_mss_index(ck, c[i].idx), "MSS %u", c[i].mss));
		/* the documented encoder agrees */
		if (sw_mss_to_index(c[i].mss, v6) != c[i].idx)
			FAIL("MSS %u: sw_mss_to_index %u, want %u", c[i].mss,
			     sw_mss_to_index(c[i].mss, v6), c[i].idx);
	}
	return T_PASS;
}

static int t_syn_v4_mss_table(void)
{
	static const struct mss_case c[] = {
		{88, 0},    {535, 0},	 {536, 0},   {1023, 0},	 {1024, 1},
		{1199, 1},  {1200, 2},	 {1220, 3},  {1259, 3},	 {1260, 4},
		{1300, 5},  {1339, 5},	 {1340, 6},  {1360, 7},	 {1380, 8},
		{1400, 9},  {1420, 10},	 {1440, 11}, {1452, 12}, {1459, 12},
		{1460, 13}, {1500, 13},	 {4312, 14}, {8959, 14}, {8960, 15},
		{9000, 15}, {65535, 15},
	};

	return mss_table(false, c, sizeof(c) / sizeof(c[0]));
}

static int t_syn_v6_mss_table(void)
{
	static const struct mss_case c[] = {
		{536, 0},   {1219, 0},	{1220, 0},   {1232, 1},	 {1239, 1},
		{1240, 2},  {1260, 3},	{1280, 4},   {1300, 5},	 {1320, 6},
		{1340, 7},  {1360, 8},	{1380, 9},   {1400, 10}, {1412, 11},
		{1420, 12}, {1439, 12}, {1440, 13},  {1460, 13}, {4292, 14},
		{8939, 14}, {8940, 15}, {65535, 15},
	};

	return mss_table(true, c, sizeof(c) / sizeof(c[0]));
}

static int t_syn_vlan(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 0xe064); /* PCP 7, VID 100 */
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "802.1Q IPv4"));
	syn_linux(&p, &o, true, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 0x1fff); /* DEI, VID 4095 */
	return sub(expect_synack(&p, &o, NULL, NULL), "802.1Q IPv6");
}

static int t_syn_qinq(void)
{
	static const __u16 tpids[3][2] = {
		{SWT_ETH_P_8021AD, SWT_ETH_P_8021Q},
		{SWT_ETH_P_8021Q, SWT_ETH_P_8021Q},
		{SWT_ETH_P_8021Q, SWT_ETH_P_8021AD},
	};
	struct swt_pkt p;
	struct swt_synopts o;
	int i;

	for (i = 0; i < 3; i++) {
		syn_linux(&p, &o, i == 1, 1460);
		swt_pkt_vlan(&p, tpids[i][0], 0x0123);
		swt_pkt_vlan(&p, tpids[i][1], 0xa456);
		TRY(sub(expect_synack(&p, &o, NULL, NULL), "tags %04x %04x %s",
			tpids[i][0], tpids[i][1], i == 1 ? "IPv6" : "IPv4"));
	}
	return T_PASS;
}

static int t_syn_fastopen_data(void)
{
	static const __u8 tfo_cookie[] = {34, 10, 1, 2, 3, 4, 5, 6, 7, 8};
	static const __u8 tfo_request[] = {34, 2};
	struct swt_pkt p;
	struct swt_synopts o;

	/* a Fast Open cookie and 100 bytes of data: data not acked */
	syn_linux(&p, &o, false, 1460);
	swt_opt_raw(&p, tfo_cookie, sizeof(tfo_cookie));
	p.paylen = 100;
	memset(p.payload, 'x', p.paylen);
	p.flags |= SWT_TCP_PSH;
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "IPv4 TFO cookie"));
	syn_linux(&p, &o, true, 1440);
	swt_opt_raw(&p, tfo_request, sizeof(tfo_request));
	p.paylen = 333;
	memset(p.payload, 'y', p.paylen);
	return sub(expect_synack(&p, &o, NULL, NULL), "IPv6 TFO request");
}

static int t_syn_ecn(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		/* ECE|CWR with TS: ECE back, ECN bit in TSval */
		syn_linux(&p, &o, v6, 1460);
		p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
		o.ecn = true;
		TRY(sub(expect_synack(&p, &o, NULL, NULL), "ECE|CWR with TS%s",
			v6 ? " IPv6" : ""));
		/* without TS: no room to remember it, not offered */
		syn_bare(&p, &o, v6);
		swt_opt_mss(&p, 1460);
		o.mss = 1460;
		p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
		o.ecn = true;
		TRY(sub(expect_synack(&p, &o, NULL, NULL),
			"ECE|CWR without TS%s", v6 ? " IPv6" : ""));
	}
	/* ECE alone or CWR alone is not an ECN setup SYN (RFC 3168 6.1.1) */
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_ECE;
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "ECE only"));
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_CWR;
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "CWR only"));
	/* SYNWALL_CF_NO_ECN */
	cfg.flags |= SYNWALL_CF_NO_ECN;
	TRY(write_config());
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
	o.ecn = true;
	return sub(expect_synack(&p, &o, NULL, NULL), "SYNWALL_CF_NO_ECN");
}

static int t_syn_ipv4_options(void)
{
	/* Router Alert, NOP, NOP, NOP, EOL: IHL 7, not echoed */
	static const __u8 ipopt[] = {0x94, 4, 0, 0, 1, 1, 1, 0};
	struct swt_pkt p;
	struct swt_synopts o;

	syn_linux(&p, &o, false, 1460);
	memcpy(p.ipopt, ipopt, sizeof(ipopt));
	p.ipopt_len = sizeof(ipopt);
	return expect_synack(&p, &o, NULL, NULL);
}

static int t_syn_ethernet_padding(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	/* 54-byte SYN padded to 60: the SYN-ACK has no padding (58 bytes) */
	syn_bare(&p, &o, false);
	p.eth_pad = 6;
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "no options"));
	/* padding that is not zero is ignored just the same */
	syn_bare(&p, &o, false);
	swt_opt_mss(&p, 1380);
	o.mss = 1380;
	p.eth_pad = 2;
	p.eth_pad_byte = 0xa5;
	return sub(expect_synack(&p, &o, NULL, NULL), "MSS only");
}

static int t_syn_config(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6;

	/* every configurable value is used */
	cfg.mss4 = 1400;
	cfg.mss6 = 1280;
	cfg.window = 29200;
	cfg.wscale = 9;
	cfg.ttl = 128;
	TRY(write_config());
	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 1460);
		TRY(sub(expect_synack(&p, &o, NULL, NULL), "custom %s",
			v6 ? "IPv6" : "IPv4"));
	}
	/* zeros select the documented defaults */
	memset(&cfg, 0, sizeof(cfg));
	cfg.fixed_time = T_NOW;
	TRY(write_config());
	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 9000);
		TRY(sub(expect_synack(&p, &o, NULL, NULL), "defaults %s",
			v6 ? "IPv6" : "IPv4"));
	}
	/* SYNWALL_WSCALE_ZERO advertises a window scale of 0 */
	cfg.wscale = SYNWALL_WSCALE_ZERO;
	TRY(write_config());
	syn_linux(&p, &o, false, 1460);
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "SYNWALL_WSCALE_ZERO"));
	/* another clock: the TSval follows fixed_time */
	cfg.wscale = 7;
	cfg.fixed_time = 12345;
	TRY(write_config());
	syn_linux(&p, &o, false, 1460);
	return sub(expect_synack(&p, &o, NULL, NULL), "fixed_time 12345");
}

static int t_syn_flags(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	/* PSH and URG do not make a SYN anything else */
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_PSH;
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "SYN|PSH"));
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_URG;
	p.urg = 5;
	return sub(expect_synack(&p, &o, NULL, NULL), "SYN|URG");
}

static int t_checksum_offload(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6;

	/*
	 * veth hands XDP local SYNs with the TCP checksum unfinished (and
	 * the IPv4 one may be anything): the SYN-ACK's are computed from
	 * scratch, never from the SYN's, and the ACK is not judged by them.
	 */
	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 1460);
		p.csum_offload = true;
		TRY(sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0),
			"pseudo-header-only checksum%s", v6 ? " (IPv6)" : ""));
	}
	return T_PASS;
}

static int t_syn_ports(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	/* the bitmap covers all 65536 ports: first and last word */
	TRY(protect(0, true));
	TRY(protect(65535, true));
	TRY(protect(64, true));
	syn_linux(&p, &o, false, 1460);
	p.dport = 65535;
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "port 65535"));
	/* nothing can listen on port 0: the kernel answers RST */
	p.dport = 0;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)), "port 0"));
	p.dport = 64;
	TRY(sub(expect_synack(&p, &o, NULL, NULL), "port 64"));
	/* neighbours of protected ports are not protected */
	p.dport = 65534;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "port 65534"));
	p.dport = 63;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "port 63"));
	p.dport = 1;
	return sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "port 1");
}

static int t_syn_key_slot1(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;

	/* new cookies use key[current] and say so in the slot bit */
	keys.key[1] = key_b;
	keys.current = 1;
	keys.generation = 2;
	keys.installed_at[1] = T_NOW;
	TRY(write_keys());
	syn_linux(&p, &o, false, 1460);
	TRY(expect_synack(&p, &o, &ck, NULL));
	if (sw_cookie_slot(ck) != 1)
		FAIL("cookie slot %u, want 1", sw_cookie_slot(ck));
	return T_PASS;
}

/* ---- the third ACK -------------------------------------------------- */

/*
 * SYN at t_syn (through the program, SYN-ACK checked), then the client's
 * ACK at t_ack: valid, with the metadata wanted.
 */
static int handshake(const struct swt_pkt *syn, const struct swt_synopts *o,
		     __u32 t_syn, __u32 t_ack, __u32 ifindex)
{
	struct synwall_meta m;
	struct swt_pkt ack;
	__u32 ck, tsv;

	TRY(set_time(t_syn));
	TRY(sub(expect_synack(syn, o, &ck, &tsv), "SYN"));
	TRY(set_time(t_ack));
	swt_make_ack(syn, ck, o->ts, o->tsval + 7, tsv, &ack);
	want_meta(&m, ck, syn->v6, o, o->ts, o->tsval + 7, tsv);
	TRY(sub(expect_cookie_ack(&ack, &m, ifindex), "ACK"));
	/* the same ACK with its options laid out as Linux does not */
	ack.optlen = 0;
	if (o->ts) {
		swt_opt_ts(&ack, o->tsval + 7, tsv);
		swt_opt_raw(&ack, "\0\0", 2); /* EOL padding */
	} else {
		swt_opt_raw(&ack, "\x01\x01\x01\x00", 4);
	}
	return sub(expect_cookie_ack(&ack, &m, ifindex), "ACK, other layout");
}

static int t_ack_valid(bool v6)
{
	struct swt_pkt p;
	struct swt_synopts o;

	/* Linux options: TS, WS, SACK survive in the TSval */
	syn_linux(&p, &o, v6, 1460);
	TRY(sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "Linux options"));
	/* MSS only, no TS: the MSS and the cookie, nothing else */
	syn_bare(&p, &o, v6);
	swt_opt_mss(&p, 1380);
	o.mss = 1380;
	p.sport++;
	TRY(sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "MSS only"));
	/* no options at all: the default MSS */
	syn_bare(&p, &o, v6);
	p.sport += 2;
	TRY(sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "no options"));
	/* TS without WS and SACK: no WSCALE, no SACK */
	syn_bare(&p, &o, v6);
	swt_opt_mss(&p, 8960);
	swt_opt_nop(&p);
	swt_opt_nop(&p);
	swt_opt_ts(&p, 0xfffffff0, 0);
	o = (struct swt_synopts){
		.mss = 8960, .ws = -1, .ts = true, .tsval = 0xfffffff0};
	p.sport += 3;
	TRY(sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "TS only"));
	/* ECN and WS 0 */
	syn_bare(&p, &o, v6);
	swt_opt_linux_syn(&p, 1220, 77, 0);
	o = (struct swt_synopts){.mss = 1220,
				 .ws = 0,
				 .sack = true,
				 .ts = true,
				 .tsval = 77,
				 .ecn = true};
	p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
	p.sport += 4;
	return sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "ECN, WS 0");
}

static int t_ack_v4_valid(void)
{
	return t_ack_valid(false);
}

static int t_ack_v6_valid(void)
{
	return t_ack_valid(true);
}

static int t_wscale_above_14(void)
{
	static const __u8 ws[] = {14, 15, 16, 255};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	/*
	 * RFC 7323 2.3: a shift above 14 is used as 14.  15 is also the
	 * TSval's "no window scale" code: it must not read as "none".
	 */
	for (i = 0; i < 2 * sizeof(ws); i++) {
		__u8 w = ws[i % sizeof(ws)];
		bool linux_layout = i < sizeof(ws);

		swt_pkt_init(&p, i & 1);
		if (linux_layout) {
			swt_opt_linux_syn(&p, 1460, CLIENT_TSVAL, w);
		} else {
			swt_opt_ws(&p, w);
			swt_opt_nop(&p);
			swt_opt_mss(&p, 1460);
			swt_opt_sackperm(&p);
			swt_opt_ts(&p, CLIENT_TSVAL, 0);
		}
		p.sport += i;
		o = (struct swt_synopts){.mss = 1460,
					 .ws = w,
					 .sack = true,
					 .ts = true,
					 .tsval = CLIENT_TSVAL};
		TRY(sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "WS %u%s", w,
			linux_layout ? "" : ", WS first"));
	}
	return T_PASS;
}

static int t_ack_layout_lookalikes(void)
{
	static const char *const pre[] = {"\x00\x00", "\x01\x00", "\x00\x01"};
	struct synwall_meta m;
	struct swt_pkt p, ack;
	struct swt_synopts o;
	__u32 ck, tsv;
	size_t i;

	/*
	 * 12 bytes that end like NOP NOP TS, but EOL came first: no TS.  The
	 * SYN had no timestamp, so the cookie is valid only for an ACK
	 * without one (the MAC covers the timestamp's presence): seeing
	 * the lookalike as a TS would drop the ACK.
	 */
	syn_bare(&p, &o, false);
	TRY(sub(expect_synack(&p, &o, &ck, &tsv), "SYN"));
	for (i = 0; i < 3; i++) {
		swt_make_ack(&p, ck, false, 0, 0, &ack);
		swt_opt_raw(&ack, pre[i], 2);
		swt_opt_ts(&ack, 12345, 0x1c7);
		want_meta(&m, ck, false, &o, false, 0, 0);
		TRY(sub(expect_cookie_ack(&ack, &m, 0), "%02x %02x TS",
			(__u8)pre[i][0], (__u8)pre[i][1]));
	}
	return T_PASS;
}

static int t_ack_valid_vlan_data(void)
{
	struct synwall_meta m;
	struct swt_pkt p, ack;
	struct swt_synopts o;
	__u32 ck, tsv;

	/* a QinQ ACK that carries data (PSH): still the handoff */
	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 10);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 20);
	TRY(sub(expect_synack(&p, &o, &ck, &tsv), "SYN"));
	swt_make_ack(&p, ck, true, o.tsval + 1, tsv, &ack);
	ack.flags |= SWT_TCP_PSH;
	ack.paylen = 200;
	memset(ack.payload, 'd', ack.paylen);
	want_meta(&m, ck, false, &o, true, o.tsval + 1, tsv);
	return sub(expect_cookie_ack(&ack, &m, 0), "ACK with data");
}

static int t_ack_bad_cookie(void)
{
	struct swt_pkt p, ack, a;
	struct swt_synopts o;
	__u32 ck, tsv;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 1460);
		TRY(sub(expect_synack(&p, &o, &ck, &tsv), "SYN"));
		swt_make_ack(&p, ck, true, o.tsval + 1, tsv, &ack);
#define BAD(what, stmt)                                                      \
	do {                                                                 \
		a = ack;                                                     \
		stmt;                                                        \
		TRY(sub(expect_drop(&a, SWT_STAT(xdp_drop_bad_ack)), "%s%s", \
			what, v6 ? " (IPv6)" : ""));                         \
	} while (0)
		BAD("MAC top bit flipped", a.ack ^= 1u << 31);
		BAD("MAC low bit flipped", a.ack ^= 1u << 6);
		BAD("MSS index changed", a.ack ^= 1u << 2);
		BAD("epoch bit flipped", a.ack ^= 1u << 1);
		BAD("key slot flipped", a.ack ^= 1u);
		BAD("ack_seq = cookie", a.ack = ck);
		BAD("seq + 1", a.seq++);
		BAD("other source port", a.sport++);
		BAD("other destination port", a.dport = PORT_HTTPS);
		BAD("other source address", a.saddr[v6 ? 15 : 3] ^= 1);
		BAD("other destination address", a.daddr[v6 ? 15 : 3] ^= 1);
		BAD("zero ack", a.ack = 0);
		BAD("no TS, bad cookie", (a.optlen = 0, a.ack ^= 1u << 20));
#undef BAD
	}
	return T_PASS;
}

static int t_ack_age(void)
{
	static const struct {
		__u32 issued, checked;
		bool valid;
	} c[] = {
		/* issued at the start of an epoch: valid until epoch start
		 * + 128 - SW_CLOCK_SKEW (8) */
		{0, 0, true},
		{0, 1, true},
		{0, 63, true},
		{0, 64, true},
		{0, 119, true},
		{0, 120, false},
		{0, 127, false},
		{0, 128, false},
		{0, 129, false},
		{0, 191, false},
		{0, 192, false},
		{0, 1000, false},
		/* issued at the end of one: 64 - 8 s is still guaranteed */
		{63, 119, true},
		{63, 120, false},
		{63, 128, false},
		{63, 191, false},
		{63, 63 + 128, false},
		/* from a host up to 8 s ahead, across an epoch boundary */
		{64, 56, true},
		{71, 63, true},
		{5, 0, true},
		/* further ahead, or from the future: never */
		{64, 55, false},
		{64, 0, false},
		{128, 0, false},
		{128, 119, false},
	};
	struct synwall_meta m;
	struct swt_pkt p, ack;
	struct swt_synopts o;
	__u32 ck, tsv;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		syn_linux(&p, &o, i & 1, 1460);
		p.seq += i * 1000;
		TRY(set_time(T_NOW + c[i].issued));
		TRY(sub(expect_synack(&p, &o, &ck, &tsv), "SYN at T+%u",
			c[i].issued));
		TRY(set_time(T_NOW + c[i].checked));
		swt_make_ack(&p, ck, true, o.tsval + 1, tsv, &ack);
		if (c[i].valid) {
			want_meta(&m, ck, p.v6, &o, true, o.tsval + 1, tsv);
			TRY(sub(expect_cookie_ack(&ack, &m, 0),
				"issued T+%u, checked T+%u", c[i].issued,
				c[i].checked));
		} else {
			TRY(sub(expect_drop(&ack, SWT_STAT(xdp_drop_bad_ack)),
				"issued T+%u, checked T+%u", c[i].issued,
				c[i].checked));
		}
	}
	return T_PASS;
}

static int t_ack_key_rotation(void)
{
	struct synwall_meta m;
	struct swt_pkt pa, pb, acka, ackb;
	struct swt_synopts o;
	__u32 cka, ckb, tsva, tsvb;

	/* cookie A under key A (slot 0) */
	syn_linux(&pa, &o, false, 1460);
	TRY(sub(expect_synack(&pa, &o, &cka, &tsva), "SYN under A"));
	swt_make_ack(&pa, cka, true, o.tsval + 1, tsva, &acka);

	/* rotation 1: B into slot 1, current 1; A is the previous key */
	keys.key[1] = key_b;
	keys.current = 1;
	keys.generation = 2;
	keys.installed_at[1] = T_NOW + 10;
	TRY(write_keys());
	TRY(set_time(T_NOW + 10));
	want_meta(&m, cka, false, &o, true, o.tsval + 1, tsva);
	TRY(sub(expect_cookie_ack(&acka, &m, 0),
		"ACK under the previous key after one rotation"));
	syn_linux(&pb, &o, true, 1440);
	TRY(sub(expect_synack(&pb, &o, &ckb, &tsvb), "SYN under B"));
	if (sw_cookie_slot(ckb) != 1)
		FAIL("new cookie in slot %u, want 1", sw_cookie_slot(ckb));
	swt_make_ack(&pb, ckb, true, o.tsval + 1, tsvb, &ackb);

	/* rotation 2: C into slot 0, current 0; A is gone, B previous */
	keys.key[0] = key_c;
	keys.current = 0;
	keys.generation = 3;
	keys.installed_at[0] = T_NOW + 20;
	TRY(write_keys());
	TRY(set_time(T_NOW + 20));
	TRY(sub(expect_drop(&acka, SWT_STAT(xdp_drop_bad_ack)),
		"ACK under a key two rotations old"));
	want_meta(&m, ckb, true, &o, true, o.tsval + 1, tsvb);
	return sub(expect_cookie_ack(&ackb, &m, 0),
		   "ACK under the previous key after two rotations");
}

static int t_ack_empty_key_slot(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;
	struct sw_flow f;
	const struct synwall_key zero = {0, 0};
	__u32 ck;

	/*
	 * One key installed (slot 0), slot 1 never written: a cookie MAC'd
	 * under the all-zero key of slot 1 is a forgery anyone can compute,
	 * and installed_at[1] == 0 makes it invalid.
	 */
	syn_bare(&p, &o, false);
	swt_flow(&p, p.seq, &f);
	ck = sw_cookie_make_nots(&zero, 1, &f, false, T_NOW, 0,
				 SYNWALL_WSCALE_DEFAULT);
	swt_make_ack(&p, ck, false, 0, 0, &ack);
	TRY(sub(expect_drop(&ack, SWT_STAT(xdp_drop_bad_ack)),
		"zero key, installed_at 0"));
	/* the same slot holding a real key (installed) is honoured */
	keys.key[1] = zero;
	keys.installed_at[1] = T_NOW;
	TRY(write_keys());
	{
		struct synwall_meta m;

		want_meta(&m, ck, false, &o, false, 0, 0);
		return sub(expect_cookie_ack(&ack, &m, 0),
			   "slot 1 installed (all-zero key, for the test)");
	}
}

static int t_flags_without_socket(void)
{
	static const struct {
		const char *name;
		__u8 flags;
		size_t counter;
	} c[] = {
		{"RST", SWT_TCP_RST, SWT_STAT(xdp_drop_no_socket)},
		{"RST|ACK", SWT_TCP_RST | SWT_TCP_ACK,
		 SWT_STAT(xdp_drop_no_socket)},
		{"FIN", SWT_TCP_FIN, SWT_STAT(xdp_drop_no_socket)},
		{"no flags", 0, SWT_STAT(xdp_drop_no_socket)},
		{"PSH", SWT_TCP_PSH, SWT_STAT(xdp_drop_no_socket)},
		{"FIN|ACK", SWT_TCP_FIN | SWT_TCP_ACK,
		 SWT_STAT(xdp_drop_bad_ack)},
		{"PSH|ACK", SWT_TCP_PSH | SWT_TCP_ACK,
		 SWT_STAT(xdp_drop_bad_ack)},
	};
	struct swt_pkt p;
	size_t i;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			swt_pkt_init(&p, v6);
			p.flags = c[i].flags;
			p.ack = 0x55667788;
			TRY(sub(expect_drop(&p, c[i].counter), "%s%s",
				c[i].name, v6 ? " (IPv6)" : ""));
		}
	}
	return T_PASS;
}

static int t_unkeyed(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;

	/* a key in the map, but generation 0: nothing is protected */
	keys.generation = 0;
	TRY(write_keys());
	syn_linux(&p, &o, false, 1460);
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_unkeyed)), "SYN"));
	swt_make_ack(&p, 0x12345678, true, 1, 2, &ack);
	TRY(sub(expect_pass(&ack, SWT_STAT(xdp_pass_unkeyed)), "ACK"));
	p.v6 = true;
	syn_linux(&p, &o, true, 1460);
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_unkeyed)), "SYN IPv6"));
	/* unprotected ports still count as such */
	p.dport = PORT_OPEN;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "port 81"));
	/* generation set, but the current slot holds no key */
	keys.generation = 1;
	keys.installed_at[0] = 0;
	TRY(write_keys());
	syn_linux(&p, &o, false, 1460);
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_unkeyed)),
		"installed_at[current] 0: SYN"));
	return sub(expect_pass(&ack, SWT_STAT(xdp_pass_unkeyed)),
		   "installed_at[current] 0: ACK");
}

static int t_fresh_program(void)
{
	struct swt_env saved = env, fresh;
	struct swt_pkt p;
	struct swt_synopts o;
	int r;

	/* a second instance, as `ip link ... xdp obj` would load it */
	if (swt_env_open(&fresh, why, sizeof(why)))
		return T_FAIL;
	env = fresh;
	syn_linux(&p, &o, false, 1460);
	r = sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "no configuration");
	if (r == T_PASS) {
		/* ports, still no key */
		if (swt_port_set(&env, PORT_HTTP, true))
			r = T_FAIL, snprintf(why, sizeof(why), "ports write");
		else
			r = sub(expect_pass(&p, SWT_STAT(xdp_pass_unkeyed)),
				"ports but no key");
	}
	swt_env_close(&fresh);
	env = saved;
	return r;
}

/* ---- flows with a socket (bpf_skc_lookup_tcp) ------------------------ */

struct tcp_conn {
	int lfd, cfd, afd;
	__u16 lport, cport;
};

static void conn_close(struct tcp_conn *c)
{
	if (c->afd >= 0)
		close(c->afd);
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->lfd >= 0)
		close(c->lfd);
	c->lfd = c->cfd = c->afd = -1;
}

/* A listener on loopback and, if connect, one connection to it. */
static int conn_open(bool v6, bool connect_it, struct tcp_conn *c)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = v6 ? sizeof(*s6) : sizeof(*s4);
	int fam = v6 ? AF_INET6 : AF_INET;

	c->lfd = c->cfd = c->afd = -1;
	if (v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	c->lfd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&ss, sl) ||
	    listen(c->lfd, 8) ||
	    getsockname(c->lfd, (struct sockaddr *)&ss, &sl))
		goto err;
	c->lport = ntohs(v6 ? s6->sin6_port : s4->sin_port);
	if (!connect_it)
		return 0;
	c->cfd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->cfd < 0 || connect(c->cfd, (struct sockaddr *)&ss, sl))
		goto err;
	c->afd = accept(c->lfd, NULL, NULL);
	sl = sizeof(ss);
	if (c->afd < 0 || getsockname(c->cfd, (struct sockaddr *)&ss, &sl))
		goto err;
	c->cport = ntohs(v6 ? s6->sin6_port : s4->sin_port);
	return 0;
err:
	snprintf(why, sizeof(why), "loopback TCP %s: %s", v6 ? "IPv6" : "IPv4",
		 strerror(errno));
	conn_close(c);
	return -1;
}

static void loopback_pkt(struct swt_pkt *p, bool v6, __u16 sport, __u16 dport)
{
	swt_pkt_init(p, v6);
	/* lo's MAC address is all zeros */
	memset(p->dmac, 0, 6);
	memset(p->smac, 0, 6);
	memset(p->saddr, 0, 16);
	memset(p->daddr, 0, 16);
	if (v6) {
		p->saddr[15] = 1;
		p->daddr[15] = 1;
	} else {
		p->saddr[0] = p->daddr[0] = 127;
		p->saddr[3] = p->daddr[3] = 1;
	}
	p->sport = sport;
	p->dport = dport;
	p->seq = 0x01000000;
	p->ack = 0x02000000; /* not a cookie */
	p->flags = SWT_TCP_ACK;
}

static int run_lo(const struct swt_pkt *p, __u32 verdict, size_t counter)
{
	static __u8 buf[SWT_PKT_MAX];
	struct want w = {.verdict = verdict, .counter = counter, .ifindex = 1};

	return run(buf, swt_build(p, buf, sizeof(buf), NULL), &w);
}

static int established(bool v6)
{
	static const struct {
		const char *name;
		__u8 flags;
		size_t paylen;
	} seg[] = {
		{"ACK", SWT_TCP_ACK, 0},
		{"data", SWT_TCP_ACK | SWT_TCP_PSH, 100},
		{"FIN|ACK", SWT_TCP_ACK | SWT_TCP_FIN, 0},
		{"RST", SWT_TCP_RST, 0},
		{"RST|ACK", SWT_TCP_RST | SWT_TCP_ACK, 0},
		/* a SYN on a live 4-tuple is the kernel's (challenge ACK) */
		{"SYN", SWT_TCP_SYN, 0},
	};
	struct tcp_conn c;
	struct swt_pkt p;
	size_t i;
	int r = T_PASS;

	if (conn_open(v6, true, &c))
		return v6 ? T_SKIP : T_FAIL;
	if ((r = protect(c.lport, true)) != T_PASS)
		goto out;
	for (i = 0; i < sizeof(seg) / sizeof(seg[0]) && r == T_PASS; i++) {
		loopback_pkt(&p, v6, c.cport, c.lport);
		p.flags = seg[i].flags;
		p.paylen = seg[i].paylen;
		r = sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			"%s of an established flow", seg[i].name);
	}
	/* the same port from another client port: only the listener */
	if (r == T_PASS) {
		loopback_pkt(&p, v6, c.cport ^ 0x4000, c.lport);
		r = sub(run_lo(&p, XDP_DROP, SWT_STAT(xdp_drop_bad_ack)),
			"ACK to the listener, no flow");
	}
out:
	conn_close(&c);
	return r;
}

static int t_established_v4(void)
{
	return established(false);
}

static int t_established_v6(void)
{
	int r = established(true);

	if (r == T_SKIP)
		snprintf(why, sizeof(why), "no IPv6 loopback (::1)");
	return r;
}

static int t_listener_is_not_a_flow(void)
{
	struct synwall_meta m;
	struct tcp_conn c;
	struct swt_pkt syn, ack;
	struct swt_synopts o;
	__u32 ck, tsv;
	int r;

	/*
	 * A listener matches every 4-tuple to its port: a cookie ACK to it
	 * must still be checked (and handed off), not passed as "socket".
	 */
	if (conn_open(false, false, &c))
		return T_FAIL;
	if ((r = protect(c.lport, true)) != T_PASS)
		goto out;
	loopback_pkt(&syn, false, 40000, c.lport);
	swt_opt_linux_syn(&syn, 1460, CLIENT_TSVAL, 7);
	syn.flags = SWT_TCP_SYN;
	o = (struct swt_synopts){.mss = 1460,
				 .ws = 7,
				 .sack = true,
				 .ts = true,
				 .tsval = CLIENT_TSVAL};
	syn_ifindex = 1;
	r = sub(expect_synack(&syn, &o, &ck, &tsv), "SYN");
	syn_ifindex = 0;
	if (r != T_PASS)
		goto out;
	swt_make_ack(&syn, ck, true, o.tsval + 1, tsv, &ack);
	want_meta(&m, ck, false, &o, true, o.tsval + 1, tsv);
	r = sub(expect_cookie_ack(&ack, &m, 1), "valid cookie ACK");
	if (r != T_PASS)
		goto out;
	ack.ack ^= 1u << 30;
	r = sub(run_lo(&ack, XDP_DROP, SWT_STAT(xdp_drop_bad_ack)),
		"bad cookie ACK");
	if (r != T_PASS)
		goto out;
	ack.flags = SWT_TCP_RST;
	r = sub(run_lo(&ack, XDP_DROP, SWT_STAT(xdp_drop_no_socket)), "RST");
out:
	conn_close(&c);
	return r;
}

/* Is a socket on local port `port` (IPv4) in TCP state `st`? (/proc/net/tcp) */
static bool port_in_tcp_state(__u16 port, unsigned int want)
{
	char line[256];
	unsigned int lp, st;
	bool found = false;
	FILE *f = fopen("/proc/net/tcp", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*u: %*x:%x %*x:%*x %x", &lp, &st) == 2 &&
		    lp == port && st == want)
			found = true;
	fclose(f);
	return found;
}

#define TCP_STATE_SYN_RECV 3
#define TCP_STATE_TIME_WAIT 6

static bool in_time_wait(__u16 port)
{
	return port_in_tcp_state(port, TCP_STATE_TIME_WAIT);
}

static int t_time_wait(void)
{
	struct tcp_conn c;
	struct swt_pkt p;
	char b;
	int i, r;

	/* the client closes first and keeps the flow in TIME_WAIT */
	if (conn_open(false, true, &c))
		return T_FAIL;
	close(c.cfd);
	c.cfd = -1;
	if (read(c.afd, &b, 1) != 0) {
		conn_close(&c);
		FAIL("no EOF on the accepted socket");
	}
	close(c.afd);
	c.afd = -1;
	for (i = 0; i < 100 && !in_time_wait(c.cport); i++)
		usleep(10000);
	if (!in_time_wait(c.cport)) {
		conn_close(&c);
		FAIL("client port %u never reached TIME_WAIT", c.cport);
	}
	/* a segment from the server side to the TIME_WAIT client port */
	r = protect(c.cport, true);
	if (r == T_PASS) {
		loopback_pkt(&p, false, c.lport, c.cport);
		p.flags = SWT_TCP_ACK | SWT_TCP_FIN;
		r = sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			"FIN|ACK to a TIME_WAIT flow");
	}
	/*
	 * A new SYN reusing the TIME_WAIT 4-tuple must reach the kernel,
	 * which recycles the TIME_WAIT socket; a cookie SYN-ACK would leave
	 * the client's ACK to the old socket.
	 */
	if (r == T_PASS) {
		loopback_pkt(&p, false, c.lport, c.cport);
		p.flags = SWT_TCP_SYN;
		p.ack = 0;
		swt_opt_linux_syn(&p, 1460, CLIENT_TSVAL, 7);
		r = sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			"SYN reusing a TIME_WAIT 4-tuple");
	}
	conn_close(&c);
	return r;
}

/* Route 10.9.9.0/24 into lo, so that a SYN from there gets a reqsk. */
static int route_to_lo(const char *net)
{
	struct rtentry rt = {};
	struct sockaddr_in *a;
	char dev[] = "lo";
	int fd, r;

	a = (struct sockaddr_in *)&rt.rt_dst;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, net, &a->sin_addr);
	a = (struct sockaddr_in *)&rt.rt_genmask;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0xffffff00);
	rt.rt_flags = RTF_UP;
	rt.rt_dev = dev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = ioctl(fd, SIOCADDRT, &rt);
	if (r && errno == EEXIST)
		r = 0;
	close(fd);
	return r;
}

/* A request socket (SYN_RECV) on local port `port`? */
static bool in_syn_recv(__u16 port)
{
	return port_in_tcp_state(port, TCP_STATE_SYN_RECV);
}

static int t_request_socket(void)
{
	static __u8 b[SWT_PKT_MAX];
	struct sockaddr_in dst = {.sin_family = AF_INET};
	struct swt_layout lo;
	struct tcp_conn c;
	struct swt_pkt p;
	size_t len;
	int fd, i, r;

	/*
	 * A SYN from 10.9.9.9 (routed into lo, so the SYN-ACK leaves and
	 * is never answered) leaves a request socket in the listener; the
	 * client's next segment must be passed to it.
	 */
	if (route_to_lo("10.9.9.0"))
		FAIL("route 10.9.9.0/24 dev lo: %s", strerror(errno));
	if (conn_open(false, false, &c))
		return T_FAIL;
	loopback_pkt(&p, false, 40001, c.lport);
	p.saddr[0] = 10, p.saddr[1] = 9, p.saddr[2] = 9, p.saddr[3] = 9;
	p.flags = SWT_TCP_SYN;
	p.ack = 0;
	swt_opt_mss(&p, 1460);
	len = swt_build(&p, b, sizeof(b), &lo);
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || sendto(fd, b + lo.l3, len - lo.l3, 0,
			     (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		snprintf(why, sizeof(why), "raw SYN: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		conn_close(&c);
		return T_FAIL;
	}
	close(fd);
	for (i = 0; i < 100 && !in_syn_recv(c.lport); i++)
		usleep(10000);
	if (!in_syn_recv(c.lport)) {
		conn_close(&c);
		FAIL("no request socket on port %u", c.lport);
	}
	r = protect(c.lport, true);
	if (r == T_PASS) {
		p.optlen = 0;
		p.seq++;
		p.ack = 0x02000000; /* whatever the listener's ISN was */
		p.flags = SWT_TCP_ACK;
		r = sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			"ACK to a request socket");
	}
	conn_close(&c);
	return r;
}

/* ---- passed untouched ------------------------------------------------ */

static int t_not_tcp(void)
{
	/* an ARP request (28 bytes after Ethernet) */
	static const __u8 arp[28] = {0, 1, 8, 0, 6,   4,  0,   1, 2, 0,
				     0, 0, 0, 1, 192, 0,  2,   1, 0, 0,
				     0, 0, 0, 0, 198, 51, 100, 2};
	static const __u8 lldp[20] = {0x02, 0x07, 0x04};
	struct swt_pkt p;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		/* UDP to a protected port number is still not TCP */
		swt_pkt_init(&p, v6);
		p.l4proto = 17;
		p.paylen = 32;
		TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)),
			"UDP to port 80%s", v6 ? " (IPv6)" : ""));
		swt_pkt_init(&p, v6);
		p.l4proto = v6 ? 58 : 1; /* ICMP echo-ish payload */
		p.paylen = 16;
		p.payload[0] = v6 ? 128 : 8;
		TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)), "ICMP%s",
			v6 ? "v6" : ""));
	}
	swt_pkt_init(&p, false);
	p.ethertype = SWT_ETH_P_ARP;
	p.l3raw = arp;
	p.l3raw_len = sizeof(arp);
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)), "ARP"));
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 5);
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)), "ARP in VLAN"));
	swt_pkt_init(&p, false);
	p.ethertype = 0x88cc;
	p.l3raw = lldp;
	p.l3raw_len = sizeof(lldp);
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)), "LLDP"));
	/* IPv6 "no next header" */
	swt_pkt_init(&p, true);
	p.l4proto = 59;
	return sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)),
		   "IPv6 next header 59");
}

static int t_third_vlan_tag(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 1);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 2);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 3);
	return expect_pass(&p, SWT_STAT(xdp_pass_not_tcp));
}

static int t_fragments(void)
{
	/* IPv6 fragment header: next TCP, offset 0, M set, id */
	static const __u8 frag6_first[8] = {6, 0, 0x00, 0x01, 0, 0, 0x12, 0x34};
	static const __u8 frag6_last[8] = {6, 0, 0x00, 0xb8, 0, 0, 0x12, 0x34};
	struct swt_pkt p;
	struct swt_synopts o;

	/* first fragment: a whole SYN header, but MF */
	syn_linux(&p, &o, false, 1460);
	p.frag_off = 0x2000;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)), "IPv4 MF"));
	/* a later fragment whose bytes happen to look like a SYN */
	p.frag_off = 185;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)),
		"IPv4 offset 1480"));
	p.frag_off = 0x4000 | 0x2000 | 1;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)),
		"IPv4 DF|MF offset 8"));
	syn_linux(&p, &o, true, 1460);
	p.v6ext_type = 44;
	memcpy(p.v6ext, frag6_first, 8);
	p.v6ext_len = 8;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)),
		"IPv6 first fragment"));
	memcpy(p.v6ext, frag6_last, 8);
	return sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)),
		   "IPv6 last fragment");
}

static int t_ipv6_extension_headers(void)
{
	static const __u8 types[] = {0,	  43,  50,  51,	 60,
				     135, 139, 140, 253, 254};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		/* an 8-byte header (Pad6 inside), then a SYN to port 80 */
		syn_linux(&p, &o, true, 1460);
		p.v6ext_type = types[i];
		memset(p.v6ext, 0, 8);
		p.v6ext[0] = 6;
		p.v6ext[2] = 1; /* PadN */
		p.v6ext[3] = 4;
		p.v6ext_len = 8;
		TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_ipv6_ext)),
			"next header %u", types[i]));
	}
	return T_PASS;
}

static int t_unprotected_port(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 1460);
		p.dport = PORT_OPEN;
		TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "SYN%s",
			v6 ? " (IPv6)" : ""));
		swt_make_ack(&p, 0x12345678, true, 1, 2, &ack);
		TRY(sub(expect_pass(&ack, SWT_STAT(xdp_pass_port)), "ACK%s",
			v6 ? " (IPv6)" : ""));
		/* the server's own SYN-ACK out of a protected source port */
		p.sport = PORT_HTTP;
		p.dport = 50000;
		p.flags = SWT_TCP_SYN | SWT_TCP_ACK;
		TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_port)),
			"from port 80%s", v6 ? " (IPv6)" : ""));
	}
	/* malformed TCP is not our business on an unprotected port */
	syn_linux(&p, &o, false, 1460);
	p.dport = PORT_OPEN;
	p.flags |= SWT_TCP_FIN;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "SYN+FIN"));
	p.flags = SWT_TCP_SYN;
	p.doff = 3;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "doff 3"));
	p.doff = 0;
	p.optlen = 0;
	swt_opt_raw(&p, "\x02\x00\x00\x00", 4);
	return sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "option length 0");
}

/* ---- malformed before the ports: passed, counted ---------------------- */

static int t_truncated_before_ports(void)
{
	static __u8 b[SWT_PKT_MAX];
	struct swt_layout lo;
	struct swt_pkt p;
	struct swt_synopts o;
	size_t len;
	int v6;

#define TRUNC(what, l)                                                      \
	TRY(sub(expect_raw(b, (l), XDP_PASS, SWT_STAT(xdp_pass_malformed)), \
		"%s", what))

	/* Ethernet itself: BPF_PROG_TEST_RUN refuses < 14 bytes (EINVAL) */
	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 7);
	len = swt_build(&p, b, sizeof(b), &lo);
	TRUNC("VLAN tag missing", 14);
	TRUNC("VLAN tag cut", 16);
	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 7);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 8);
	len = swt_build(&p, b, sizeof(b), &lo);
	TRUNC("inner tag missing", 18);
	TRUNC("inner tag cut", 20);

	for (v6 = 0; v6 < 2; v6++) {
		const char *fam = v6 ? "IPv6" : "IPv4";
		char w[64];

		syn_linux(&p, &o, v6, 1460);
		len = swt_build(&p, b, sizeof(b), &lo);
		snprintf(w, sizeof(w), "%s: no IP header", fam);
		TRUNC(w, 14);
		snprintf(w, sizeof(w), "%s: IP header cut", fam);
		TRUNC(w, lo.l4 - 1);
		/* TCP header cut before the ports: frame and IP length agree */
		p.ip_len_override = (int)(lo.l4 - lo.l3 - (v6 ? 40 : 0) + 3);
		len = swt_build(&p, b, sizeof(b), &lo);
		snprintf(w, sizeof(w), "%s: 3 bytes of TCP", fam);
		TRUNC(w, lo.l4 + 3);
		/* ...and with Ethernet padding after the IP packet */
		snprintf(w, sizeof(w), "%s: 3 bytes of TCP, padded", fam);
		TRUNC(w, len);
		/* IP length past the frame */
		p.ip_len_override = 0;
		len = swt_build(&p, b, sizeof(b), &lo);
		snprintf(w, sizeof(w), "%s: IP length past the frame", fam);
		TRUNC(w, len - 1);
	}
	(void)len;
#undef TRUNC
	return T_PASS;
}

static int t_ip_header_invalid(void)
{
	static __u8 b[SWT_PKT_MAX];
	struct swt_layout lo;
	struct swt_pkt p;
	struct swt_synopts o;
	size_t len;

	syn_linux(&p, &o, false, 1460);
	/* IHL < 5 */
	len = swt_build(&p, b, sizeof(b), &lo);
	b[lo.l3] = 0x44;
	TRY(sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		"IHL 4"));
	b[lo.l3] = 0x40;
	TRY(sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		"IHL 0"));
	/* IHL past the frame (60-byte header, 40 bytes of IP packet) */
	p.optlen = 0;
	len = swt_build(&p, b, sizeof(b), &lo);
	b[lo.l3] = 0x4f;
	TRY(sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		"IHL 15 past the frame"));
	/* version 6 in an IPv4 ethertype, and the reverse */
	syn_linux(&p, &o, false, 1460);
	len = swt_build(&p, b, sizeof(b), &lo);
	b[lo.l3] = 0x65;
	TRY(sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		"version 6 in 0x0800"));
	syn_linux(&p, &o, true, 1460);
	len = swt_build(&p, b, sizeof(b), &lo);
	b[lo.l3] = 0x40 | (b[lo.l3] & 0x0f);
	TRY(sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		"version 4 in 0x86dd"));
	/* tot_len smaller than the header */
	syn_linux(&p, &o, false, 1460);
	p.ip_len_override = 19;
	TRY(sub(expect_pass(&p, SWT_STAT(xdp_pass_malformed)), "tot_len 19"));
	/* IPv6 payload_len past the frame */
	syn_linux(&p, &o, true, 1460);
	p.ip_len_override = 20 + 20 + 1;
	return sub(expect_pass(&p, SWT_STAT(xdp_pass_malformed)),
		   "IPv6 payload_len past the frame");
}

/* ---- malformed TCP to a protected port: dropped, counted ------------- */

static int t_tcp_malformed(void)
{
	static __u8 b[SWT_PKT_MAX];
	struct swt_layout lo;
	struct swt_pkt p;
	struct swt_synopts o;
	size_t len;
	int v6;

#define MAL(what, stmt)                                                        \
	do {                                                                   \
		syn_linux(&p, &o, v6, 1460);                                   \
		stmt;                                                          \
		TRY(sub(expect_drop(&p, SWT_STAT(xdp_drop_malformed)), "%s%s", \
			what, v6 ? " (IPv6)" : ""));                           \
	} while (0)

	for (v6 = 0; v6 < 2; v6++) {
		MAL("SYN+FIN", p.flags |= SWT_TCP_FIN);
		MAL("SYN+RST", p.flags |= SWT_TCP_RST);
		MAL("SYN+RST+ACK", p.flags |= SWT_TCP_RST | SWT_TCP_ACK);
		MAL("doff 4", p.doff = 4);
		MAL("doff 0", p.doff = 0x10); /* low 4 bits written: 0 */
		MAL("doff 15, 40 bytes of TCP", p.doff = 15);
		/* doff within the frame but past the IP packet */
		MAL("doff past tot_len into padding",
		    (p.doff = 11, p.eth_pad = 64));
		MAL("option length 0",
		    (p.optlen = 0, swt_opt_raw(&p, "\x02\x00\x05\xb4", 4)));
		MAL("option length 1",
		    (p.optlen = 0, swt_opt_raw(&p, "\x01\x08\x01\x00", 4)));
		MAL("option length 0 after good ones",
		    (p.optlen = 0, swt_opt_mss(&p, 1460),
		     swt_opt_raw(&p, "\x04\x02\xfe\x00", 4)));
		MAL("option past the header",
		    (p.optlen = 0, swt_opt_mss(&p, 1460),
		     swt_opt_raw(&p, "\x08\x0a\x00\x00", 4)));
		MAL("option length byte missing",
		    (p.optlen = 0, swt_opt_raw(&p, "\x01\x01\x01\x02", 4)));
		MAL("unknown option past the header",
		    (p.optlen = 0, swt_opt_raw(&p, "\x01\x01\xfd\x03", 4)));
		MAL("ACK with doff 4",
		    (p.flags = SWT_TCP_ACK, p.optlen = 0, p.doff = 4));
		MAL("ACK with an option past the header",
		    (p.flags = SWT_TCP_ACK, p.optlen = 0,
		     swt_opt_raw(&p, "\x01\x01\x08\x0a\x00\x00\x00\x00", 8)));
	}
#undef MAL
	for (v6 = 0; v6 < 2; v6++) {
		/* fewer than 20 bytes of TCP (ports readable) */
		syn_linux(&p, &o, v6, 1460);
		p.optlen = 0;
		p.ip_len_override = v6 ? 12 : 20 + 12;
		len = swt_build(&p, b, sizeof(b), &lo);
		TRY(sub(expect_raw(b, lo.l4 + 12, XDP_DROP,
				   SWT_STAT(xdp_drop_malformed)),
			"12 bytes of TCP%s", v6 ? " (IPv6)" : ""));
		TRY(sub(expect_raw(b, len, XDP_DROP,
				   SWT_STAT(xdp_drop_malformed)),
			"12 bytes of TCP, padded%s", v6 ? " (IPv6)" : ""));
	}
	return T_PASS;
}

static int t_truncated_ethernet(void)
{
	static const __u8 b[13] = {0};
	struct swt_xdp_out o;

	/* the program cannot be shown a runt: the kernel refuses it */
	if (swt_xdp_run(env.xdp_fd, b, sizeof(b), 0, &o) == -EINVAL) {
		snprintf(why, sizeof(why),
			 "BPF_PROG_TEST_RUN refuses frames under 14 bytes "
			 "(EINVAL); VLAN/IP/TCP truncations are tested");
		return T_SKIP;
	}
	FAIL("a 13-byte frame was accepted by BPF_PROG_TEST_RUN (err %d): "
	     "add the case",
	     o.err);
}

/* ---- main ----------------------------------------------------------- */

struct tcase {
	const char *name;
	int (*fn)(void);
};

#define T(n)              \
	{                 \
#n, t_##n \
	}
static const struct tcase cases[] = {
	T(lib_checksum),
	T(cookie_siphash_vectors),
	T(syn_v4_linux_options),
	T(syn_v6_linux_options),
	T(syn_v4_no_options),
	T(syn_v6_no_options),
	T(syn_v4_mss_only),
	T(syn_v6_mss_only),
	T(syn_linux_sysctl_layouts),
	T(syn_layout_lookalikes),
	T(syn_v4_odd_order),
	T(syn_v6_odd_order),
	T(syn_nop_eol_padding),
	T(syn_eol_ends_options),
	T(syn_wrong_length_known_options),
	T(syn_unknown_options),
	T(syn_v4_mss_table),
	T(syn_v6_mss_table),
	T(syn_vlan),
	T(syn_qinq),
	T(syn_fastopen_data),
	T(syn_ecn),
	T(syn_ipv4_options),
	T(syn_ethernet_padding),
	T(syn_config),
	T(syn_flags),
	T(syn_ports),
	T(checksum_offload),
	T(syn_key_slot1),
	T(ack_v4_valid),
	T(ack_v6_valid),
	T(ack_valid_vlan_data),
	T(ack_layout_lookalikes),
	T(wscale_above_14),
	T(ack_bad_cookie),
	T(ack_age),
	T(ack_key_rotation),
	T(ack_empty_key_slot),
	T(flags_without_socket),
	T(established_v4),
	T(established_v6),
	T(listener_is_not_a_flow),
	T(time_wait),
	T(request_socket),
	T(unkeyed),
	T(fresh_program),
	T(not_tcp),
	T(third_vlan_tag),
	T(fragments),
	T(ipv6_extension_headers),
	T(unprotected_port),
	T(truncated_ethernet),
	T(truncated_before_ports),
	T(ip_header_invalid),
	T(tcp_malformed),
};
#undef T

static bool selected(const char *name, int argc, char **argv)
{
	int i, any = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = 1;
		if (strstr(name, argv[i]))
			return true;
	}
	return !any;
}

/* every port a case sends a SYN to and wants answered */
static const __u16 listen_ports[] = {PORT_HTTP, PORT_HTTPS, 64, 65535};

int main(int argc, char **argv)
{
	char err[512];
	size_t i;
	int fails = 0, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < (size_t)argc; i++)
		if (!strcmp(argv[i], "-v"))
			verbose = true;
	/*
	 * A namespace of our own: socket lookups see only the sockets the
	 * tests open, whatever runs on the host.
	 */
	if (swt_netns_private(err, sizeof(err)))
		fprintf(stderr, "test_xdp: %s; staying in this namespace\n",
			err);
	if (swt_env_open(&env, err, sizeof(err))) {
		printf("FAIL: load: %s\n", err);
		return 1;
	}
	/* the server: synwall answers SYNs only where something listens */
	for (i = 0; i < sizeof(listen_ports) / sizeof(listen_ports[0]); i++) {
		r = swt_listen_any(listen_ports[i]);
		if (r < 0) {
			printf("FAIL: listen on port %u: %s\n",
			       listen_ports[i], strerror(-r));
			return 1;
		}
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!selected(cases[i].name, argc, argv))
			continue;
		why[0] = 0;
		r = setup_default();
		if (r == T_PASS)
			r = cases[i].fn();
		if (r == T_PASS) {
			printf("PASS: %s\n", cases[i].name);
		} else if (r == T_SKIP) {
			printf("SKIP: %s: %s\n", cases[i].name, why);
		} else {
			printf("FAIL: %s: %s\n", cases[i].name, why);
			fails++;
		}
	}
	swt_env_close(&env);
	return fails ? 1 : 0;
}
