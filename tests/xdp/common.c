// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: the maps' state, running one frame and checking what came
 * out, the SYN helpers, and the library self-checks.
 */
#include "xdp.h"

struct swt_env env;
struct synwall_config cfg;
struct synwall_keys keys;

const struct synwall_key key_a = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
const struct synwall_key key_b = {0x8877665544332211ull, 0x00ffeeddccbbaa99ull};
const struct synwall_key key_c = {0xdeadbeefcafef00dull, 0x0123456789abcdefull};

/* ---- state ----------------------------------------------------------- */

int write_config(void)
{
	int r = swt_config_write(&env, &cfg);

	if (r)
		SWT_FAIL("config write: %s", strerror(-r));
	return SWT_PASS;
}

int write_keys(void)
{
	int r = swt_keys_write(&env, &keys);

	if (r)
		SWT_FAIL("keys write: %s", strerror(-r));
	return SWT_PASS;
}

int set_time(__u32 t)
{
	cfg.fixed_time = t;
	return write_config();
}

int protect(__u16 port, bool on)
{
	int r = swt_port_set(&env, port, on);

	if (r)
		SWT_FAIL("ports write: %s", strerror(-r));
	return SWT_PASS;
}

/* Every case starts from this: ports 80 and 443, key A in slot 0. */
int setup_default(void)
{
	int r;

	swt_cfg_default(&cfg, T_NOW);
	TRY(write_config());
	r = swt_ports_clear(&env);
	if (r)
		SWT_FAIL("ports clear: %s", strerror(-r));
	TRY(protect(PORT_HTTP, true));
	TRY(protect(PORT_HTTPS, true));
	TRY(flows_reset());
	swt_keys_one(&keys, &key_a, T_NOW);
	return write_keys();
}

/* ---- running one frame ---------------------------------------------- */

struct swt_xdp_out last;

static void meta_str(char *b, size_t n, const struct synwall_meta *m)
{
	snprintf(b, n,
		 "{magic %#x cookie %#x tsval %#x tsecr %#x mss %u snd_ws %u "
		 "rcv_ws %u flags %#x pad %02x%02x%02x}",
		 m->magic, m->cookie, m->tsval, m->tsecr, m->mss, m->snd_wscale,
		 m->rcv_wscale, m->flags, m->pad[0], m->pad[1], m->pad[2]);
}

int run(const __u8 *pkt, size_t len, const struct want *w)
{
	struct synwall_stats before, after;
	const __u8 *exp = w->out ? w->out : pkt;
	size_t elen = w->out ? w->out_len : len;
	char moved[512], a[256], b[256];
	int r;

	if ((r = swt_stats_read(&env, &before)))
		SWT_FAIL("stats read: %s", strerror(-r));
	if (swt_xdp_run(env.xdp_fd, pkt, len, w->ifindex, &last))
		SWT_FAIL("BPF_PROG_TEST_RUN: %s", strerror(-last.err));
	if ((r = swt_stats_read(&env, &after)))
		SWT_FAIL("stats read: %s", strerror(-r));
	if (swt_verbose) {
		printf("# in (%zu bytes)\n", len);
		swt_hexdiff(stdout, pkt, len, pkt, len);
		printf("# out %s meta %u\n", swt_xdp_verdict_name(last.verdict),
		       last.meta_len);
		swt_hexdiff(stdout, exp, elen, swt_xdp_data(&last), last.len);
	}
	r = swt_stats_check_one(&before, &after, w->counter, moved,
				sizeof(moved));
	if (last.verdict != w->verdict)
		SWT_FAIL("verdict %s, want %s (counters moved: %s)",
			 swt_xdp_verdict_name(last.verdict),
			 swt_xdp_verdict_name(w->verdict), moved);
	if (r)
		SWT_FAIL("counters: want %s +1 and nothing else, got %s",
			 swt_stat_name(w->counter), moved);
	if (w->meta) {
		struct synwall_meta got;

		if (last.meta_len != sizeof(got))
			SWT_FAIL("metadata: %u bytes, want %zu", last.meta_len,
				 sizeof(got));
		memcpy(&got, last.buf, sizeof(got));
		if (memcmp(&got, w->meta, sizeof(got))) {
			meta_str(a, sizeof(a), &got);
			meta_str(b, sizeof(b), w->meta);
			SWT_FAIL("metadata %s, want %s", a, b);
		}
	} else if (last.meta_len) {
		SWT_FAIL("unexpected %u bytes of metadata", last.meta_len);
	}
	if (last.len != elen || memcmp(swt_xdp_data(&last), exp, elen)) {
		if (!swt_verbose)
			swt_hexdiff(stdout, exp, elen, swt_xdp_data(&last),
				    last.len);
		SWT_FAIL("output frame differs from the expected one (%s)",
			 w->out ? "expected SYN-ACK" :
				  "expected the input untouched");
	}
	return SWT_PASS;
}

int run_pkt(const struct swt_pkt *p, __u32 verdict, size_t counter)
{
	static __u8 buf[SWT_PKT_MAX];
	struct want w = {.verdict = verdict, .counter = counter};
	size_t len = swt_build(p, buf, sizeof(buf), NULL);

	if (!len)
		SWT_FAIL("test bug: frame does not fit");
	return run(buf, len, &w);
}

int expect_pass(const struct swt_pkt *p, size_t counter)
{
	return run_pkt(p, XDP_PASS, counter);
}

int expect_drop(const struct swt_pkt *p, size_t counter)
{
	return run_pkt(p, XDP_DROP, counter);
}

/* A frame given as bytes (truncations, hand-made headers). */
int expect_raw(const __u8 *b, size_t len, __u32 verdict, size_t counter)
{
	struct want w = {.verdict = verdict, .counter = counter};

	return run(b, len, &w);
}

/*
 * Run a SYN, expect the SYN-ACK built independently.  *cookie / *tsval
 * (optional) get our ISN and TSval for the ACK that follows.
 */
__u32 syn_ifindex;

int expect_synack(const struct swt_pkt *syn, const struct swt_synopts *o,
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
		SWT_FAIL("test bug: frame does not fit");
	w.out = exp;
	w.out_len = elen;
	TRY(run(in, ilen, &w));
	if (cookie)
		*cookie = ck;
	if (tsval)
		*tsval = tsv;
	return SWT_PASS;
}

/* The metadata a valid third ACK must carry. */
void want_meta(struct synwall_meta *m, __u32 cookie, bool v6,
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

int expect_cookie_ack(const struct swt_pkt *ack, const struct synwall_meta *m,
		      __u32 ifindex)
{
	static __u8 buf[SWT_PKT_MAX];
	struct want w = {.verdict = XDP_PASS,
			 .counter = SWT_STAT(xdp_pass_cookie),
			 .meta = m,
			 .ifindex = ifindex};
	size_t len = swt_build(ack, buf, sizeof(buf), NULL);

	return run(buf, len, &w);
}

/* ---- SYN helpers ------------------------------------------------------ */

void syn_linux(struct swt_pkt *p, struct swt_synopts *o, bool v6, __u16 mss)
{
	swt_pkt_init(p, v6);
	swt_opt_linux_syn(p, mss, CLIENT_TSVAL, 7);
	*o = (struct swt_synopts){.mss = mss,
				  .ws = 7,
				  .sack = true,
				  .ts = true,
				  .tsval = CLIENT_TSVAL};
}

void syn_bare(struct swt_pkt *p, struct swt_synopts *o, bool v6)
{
	swt_pkt_init(p, v6);
	*o = (struct swt_synopts){.mss = -1, .ws = -1};
}

int check_mss_index(__u32 cookie, __u32 want)
{
	if (sw_cookie_mss_index(cookie) != want)
		SWT_FAIL("cookie %#x carries MSS index %u, want %u", cookie,
			 sw_cookie_mss_index(cookie), want);
	return SWT_PASS;
}

/* A cookie without timestamps: its 3-bit MSS index (cookie.h) must
 * name the 8-entry table's largest value <= mss. */
int check_nots_mss(__u32 cookie, __u32 mss, bool v6)
{
	__u32 want = 0, i, got = sw_cookie_nots_code(cookie) & 7;
	const __u16 *t = v6 ? sw_nots_mss6 : sw_nots_mss4;

	for (i = 0; i < SW_NOTS_MSS_SLOTS; i++)
		if (t[i] <= mss)
			want = i;
	if (got != want)
		SWT_FAIL("no-timestamp cookie %#x carries MSS index %u (%u), "
			 "want %u (%u)",
			 cookie, got, t[got], want, t[want]);
	return SWT_PASS;
}

/* ---- library self-checks ------------------------------------------- */

int t_lib_checksum(void)
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
		SWT_FAIL("RFC 1071 example sums to %#x, want 0xddf2",
			 swt_csum_add(0, rfc, sizeof(rfc)));
	if ((c = swt_csum_fold(swt_csum_add(0, rfc, sizeof(rfc)))) != 0x220d)
		SWT_FAIL("RFC 1071 example checksum %#x, want 0x220d", c);
	if ((c = swt_csum_fold(swt_csum_add(0, ip, sizeof(ip)))) != 0xb861)
		SWT_FAIL("IPv4 header checksum %#x, want 0xb861", c);
	/* odd length: the last byte is the high half of a word */
	if (swt_csum_add(0, "\x01", 1) != 0x0100)
		SWT_FAIL("odd byte not padded on the right");
	/* a built frame verifies to zero (0xffff before complement) */
	swt_pkt_init(&p, false);
	swt_opt_linux_syn(&p, 1460, 1, 7);
	p.paylen = 3;
	len = swt_build(&p, b, sizeof(b), &lo);
	if (swt_csum_fold(swt_csum_add(0, b + lo.l3, 20)))
		SWT_FAIL("built IPv4 header does not verify");
	if (swt_l4_csum(false, p.saddr, p.daddr, 6, b + lo.l4, len - lo.l4))
		SWT_FAIL("built TCP/IPv4 segment does not verify");
	swt_pkt_init(&p, true);
	p.paylen = 1;
	len = swt_build(&p, b, sizeof(b), &lo);
	if (swt_l4_csum(true, p.saddr, p.daddr, 6, b + lo.l4, len - lo.l4))
		SWT_FAIL("built TCP/IPv6 segment does not verify");
	/* offload: wrong as is, right once a NIC sums the segment over it */
	p.csum_offload = true;
	len = swt_build(&p, b, sizeof(b), &lo);
	if (!swt_l4_csum(true, p.saddr, p.daddr, 6, b + lo.l4, len - lo.l4))
		SWT_FAIL("offload checksum verifies as a full one");
	c = swt_csum_fold(swt_csum_add(0, b + lo.l4, len - lo.l4));
	swt_put16(b + lo.l4 + 16, 0);
	if (c != swt_l4_csum(true, p.saddr, p.daddr, 6, b + lo.l4, len - lo.l4))
		SWT_FAIL("offload checksum does not complete to the real one");
	return SWT_PASS;
}

int t_cookie_siphash_vectors(void)
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
			SWT_FAIL("%d-byte vector: %#llx, want %#llx", i * 8,
				 (unsigned long long)got[i],
				 (unsigned long long)want[i]);
	return SWT_PASS;
}

/* ---- SYN -> SYN-ACK ------------------------------------------------- */
