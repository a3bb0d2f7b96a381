// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fc_judge: the fuzz oracle's judge: runs a frame through the real XDP
 * program and holds verdict, counter, SYN-ACK bytes and metadata to the
 * model's prediction.
 * See fuzzcheck.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "fc_int.h"

/* ---- reporting helpers ----------------------------------------------- */

struct why {
	char *b;
	size_t n, used;
	int bad;
};

__attribute__((format(printf, 2, 3))) static void viol(struct why *w,
						       const char *fmt, ...)
{
	va_list ap;
	int k;

	w->bad = 1;
	if (w->used + 2 >= w->n)
		return;
	if (w->used) {
		w->b[w->used++] = ';';
		w->b[w->used++] = ' ';
		w->b[w->used] = 0;
	}
	va_start(ap, fmt);
	k = vsnprintf(w->b + w->used, w->n - w->used, fmt, ap);
	va_end(ap);
	if (k > 0)
		w->used += (size_t)k < w->n - w->used ? (size_t)k :
							w->n - w->used - 1;
}

#define CHECK(w, cond, ...)                   \
	do {                                  \
		if (!(cond))                  \
			viol(w, __VA_ARGS__); \
	} while (0)

/* ---- the SYN-ACK ----------------------------------------------------- */

/* The SYN's options as tests/lib's expectation takes them. */
void fc_synopts_of(const struct fc_frame *f, struct swt_synopts *o)
{
	memset(o, 0, sizeof(*o));
	o->mss = f->o.mss;
	o->ws = f->o.ws;
	o->sack = f->o.sack;
	o->ts = f->o.ts;
	o->tsval = f->o.tsval;
	o->ecn = (f->flags & (SWT_TCP_ECE | SWT_TCP_CWR)) ==
		 (SWT_TCP_ECE | SWT_TCP_CWR);
}

/* Rebuild the SYN as a swt_pkt (L2 as it was, addresses, ports, seq). */
static void pkt_of(const struct fc_frame *f, struct swt_pkt *p)
{
	const __u8 *b = f->b;
	size_t off = 12;

	swt_pkt_init(p, f->v6);
	memcpy(p->dmac, b, 6);
	memcpy(p->smac, b + 6, 6);
	while (fc_is_vlan(swt_get16(b + off)) && off + 4 < f->l3) {
		swt_pkt_vlan(p, swt_get16(b + off), swt_get16(b + off + 2));
		off += 4;
	}
	memcpy(p->saddr, f->saddr, 16);
	memcpy(p->daddr, f->daddr, 16);
	p->sport = f->sport;
	p->dport = f->dport;
	p->seq = f->seq;
}

static void check_synack(const struct fc_state_def *s, const struct fc_frame *f,
			 const __u8 *out, size_t olen, struct why *w)
{
	static __u8 exp[SWT_PKT_MAX];
	static struct swt_pkt sp;
	const struct synwall_keys *k = &s->keys;
	struct synwall_config rcfg;
	struct swt_synopts so;
	struct fc_cfg c;
	struct fc_opts oo;
	struct sw_flow flow;
	size_t l3 = f->l3, iplen = f->v6 ? 40 : 20, t = l3 + iplen, thl, elen;
	__u32 slot = k->current & 1, idx, cookie, want_cookie, mss_want;
	__u32 tso = 0, ts_off = 0;
	bool ecn;
	int client_mss;

	fc_cfg_resolve(&s->cfg, &c);
	CHECK(w, olen <= f->len + 4,
	      "SYN-ACK of %zu bytes for a %zu-byte SYN: more than 4 bytes of "
	      "amplification",
	      olen, f->len);
	if (olen < t + 20) {
		viol(w, "SYN-ACK of %zu bytes cannot hold L2 + IP + TCP", olen);
		return;
	}
	/* Ethernet: MACs swapped, tags and ethertype as they were */
	CHECK(w, !memcmp(out, f->b + 6, 6) && !memcmp(out + 6, f->b, 6),
	      "Ethernet addresses not swapped");
	CHECK(w, !memcmp(out + 12, f->b + 12, l3 - 12),
	      "VLAN tags / ethertype changed");
	/* IP */
	if (f->v6) {
		CHECK(w, swt_get32(out + l3) == 0x60000000u,
		      "IPv6 version/class/flow %#x, want 0x60000000",
		      swt_get32(out + l3));
		CHECK(w, swt_get16(out + l3 + 4) == olen - t,
		      "IPv6 payload_len %u, want %zu", swt_get16(out + l3 + 4),
		      olen - t);
		CHECK(w, out[l3 + 6] == 6, "IPv6 next header %u", out[l3 + 6]);
		CHECK(w, out[l3 + 7] == c.ttl, "hop limit %u, want %u",
		      out[l3 + 7], c.ttl);
		CHECK(w,
		      !memcmp(out + l3 + 8, f->daddr, 16) &&
			      !memcmp(out + l3 + 24, f->saddr, 16),
		      "IPv6 addresses not swapped");
	} else {
		CHECK(w, out[l3] == 0x45 && out[l3 + 1] == 0,
		      "IPv4 version/IHL/TOS %02x %02x, want 45 00", out[l3],
		      out[l3 + 1]);
		CHECK(w, swt_get16(out + l3 + 2) == olen - l3,
		      "IPv4 tot_len %u, want %zu", swt_get16(out + l3 + 2),
		      olen - l3);
		CHECK(w,
		      swt_get16(out + l3 + 4) == 0 &&
			      swt_get16(out + l3 + 6) == 0x4000,
		      "IPv4 ID/frag %04x %04x, want 0000 4000",
		      swt_get16(out + l3 + 4), swt_get16(out + l3 + 6));
		CHECK(w, out[l3 + 8] == c.ttl && out[l3 + 9] == 6,
		      "TTL %u proto %u, want %u 6", out[l3 + 8], out[l3 + 9],
		      c.ttl);
		CHECK(w, swt_csum_fold(swt_csum_add(0, out + l3, 20)) == 0,
		      "IPv4 header checksum does not verify");
		CHECK(w,
		      !memcmp(out + l3 + 12, f->daddr, 4) &&
			      !memcmp(out + l3 + 16, f->saddr, 4),
		      "IPv4 addresses not swapped");
	}
	/* TCP */
	thl = (out[t + 12] >> 4) * 4u;
	CHECK(w, thl >= 20 && t + thl == olen,
	      "TCP header length %zu, frame holds %zu (no payload allowed)",
	      thl, olen - t);
	if (thl < 20 || t + thl != olen)
		return;
	CHECK(w,
	      swt_get16(out + t) == f->dport &&
		      swt_get16(out + t + 2) == f->sport,
	      "ports %u->%u, want %u->%u", swt_get16(out + t),
	      swt_get16(out + t + 2), f->dport, f->sport);
	CHECK(w, swt_get32(out + t + 8) == f->seq + 1,
	      "ack %#x, want ISN + 1 = %#x", swt_get32(out + t + 8),
	      f->seq + 1);
	CHECK(w, swt_get16(out + t + 14) == c.window, "window %u, want %u",
	      swt_get16(out + t + 14), c.window);
	CHECK(w, swt_get16(out + t + 18) == 0, "urgent pointer %u",
	      swt_get16(out + t + 18));
	CHECK(w,
	      swt_l4_csum(f->v6, out + (f->v6 ? l3 + 8 : l3 + 12),
			  out + (f->v6 ? l3 + 24 : l3 + 16), 6, out + t,
			  olen - t) == 0,
	      "TCP checksum does not verify");
	ecn = f->o.ts && !c.no_ecn &&
	      (f->flags & (SWT_TCP_ECE | SWT_TCP_CWR)) ==
		      (SWT_TCP_ECE | SWT_TCP_CWR);
	CHECK(w,
	      out[t + 13] ==
		      (SWT_TCP_SYN | SWT_TCP_ACK | (ecn ? SWT_TCP_ECE : 0)),
	      "flags %#x, want %#x", out[t + 13],
	      SWT_TCP_SYN | SWT_TCP_ACK | (ecn ? SWT_TCP_ECE : 0));
	/* the cookie */
	cookie = swt_get32(out + t + 4);
	client_mss = f->o.mss > 0 ? f->o.mss : f->v6 ? 1220 : 536;
	idx = swt_mss_index((__u32)client_mss, f->v6);
	fc_frame_flow(f, f->seq, &flow);
	/* the option bits the TSval must carry, under the cookie's MAC */
	if (f->o.ts)
		tso = 0x400 | (__u32)c.wscale << 6 |
		      (__u32)(f->o.ws >= 0 ? f->o.ws : SW_WS_NONE) << 2 |
		      (f->o.sack ? 2 : 0) | (ecn ? 1 : 0);
	if (f->o.ts)
		want_cookie = sw_cookie_make(&k->key[slot], slot, &flow, f->v6,
					     c.now, idx, tso, &ts_off);
	else
		want_cookie = sw_cookie_make_nots(
			&k->key[slot], slot, &flow, f->v6, c.now,
			sw_nots_code(
				(__u32)client_mss,
				f->o.ws >= 0 ?
					(__u32)(f->o.ws > 14 ? 14 : f->o.ws) :
					SW_WS_NONE,
				f->o.sack, f->v6),
			c.wscale);
	CHECK(w,
	      sw_cookie_slot(cookie) == slot && k->installed_at[slot] &&
		      sw_cookie_check(&k->key[slot], cookie, &flow, f->v6,
				      c.now, tso, c.wscale),
	      "seq %#x is not a cookie valid under the current key (slot %u)",
	      cookie, slot);
	CHECK(w, cookie == want_cookie,
	      "cookie %#x, want %#x (MSS index %u, this epoch)", cookie,
	      want_cookie, idx);
	/* options: MSS, plus only what the client offered */
	if (!fc_opts_walk(out + t + 20, thl - 20, &oo)) {
		viol(w, "SYN-ACK options malformed");
	} else {
		size_t i;

		mss_want = f->v6 ? c.mss6 : c.mss4;
		if (f->o.mss > 0 && (__u32)f->o.mss < mss_want)
			mss_want = (__u32)f->o.mss;
		CHECK(w,
		      oo.mss >= 0 && (__u32)oo.mss == mss_want &&
			      out[t + 20] == 2,
		      "MSS option %d (first: kind %u), want %u first", oo.mss,
		      out[t + 20], mss_want);
		CHECK(w, !oo.ts || f->o.ts,
		      "TS option not offered by the client");
		CHECK(w, oo.ts == f->o.ts, "TS option %s",
		      oo.ts ? "added" : "missing");
		CHECK(w, oo.sack == !!f->o.sack, "SACK-permitted %s",
		      oo.sack ? "not offered" : "missing");
		CHECK(w, (oo.ws >= 0) == (f->o.ws >= 0),
		      "window scale option %s",
		      oo.ws >= 0 ? "added" : "missing");
		if (oo.ws >= 0)
			CHECK(w, oo.ws == c.wscale, "window scale %d, want %u",
			      oo.ws, c.wscale);
		if (oo.ts) {
			struct sw_ts_opts d;

			CHECK(w, oo.tsecr == f->o.tsval,
			      "TSecr %#x, want the client's TSval %#x",
			      oo.tsecr, f->o.tsval);
			CHECK(w,
			      sw_ts_decode(oo.tsval, &d) &&
				      d.peer_ws == (f->o.ws >= 0 ?
							    f->o.ws :
							    SW_WS_NONE) &&
				      d.our_ws == c.wscale &&
				      d.sack == f->o.sack && d.ecn == ecn,
			      "TSval %#x does not encode the options",
			      oo.tsval);
			CHECK(w,
			      (oo.tsval & ~0x3ffu) ==
				      ((c.now * 1000u + ts_off) & ~0x3ffu),
			      "TSval %#x: high bits are not clock ms + the "
			      "flow's offset %#x",
			      oo.tsval, ts_off);
		}
		/* only kinds MSS, SACK-perm, TS, WS, NOP */
		for (i = 20; i < thl;) {
			__u8 kd = out[t + i];

			if (kd == 1) {
				i++;
				continue;
			}
			if (kd != 2 && kd != 3 && kd != 4 && kd != 8) {
				viol(w, "option kind %u in the SYN-ACK", kd);
				break;
			}
			i += out[t + i + 1];
		}
	}
	/* byte for byte: tests/lib's independent SYN-ACK builder */
	pkt_of(f, &sp);
	fc_synopts_of(f, &so);
	if (so.mss == 0)
		so.mss = -1;
	rcfg = s->cfg;
	rcfg.wscale = c.wscale ? c.wscale : SYNWALL_WSCALE_ZERO;
	elen = swt_expect_synack(&sp, &so, &rcfg, k, exp, sizeof(exp), NULL,
				 NULL);
	if (!w->bad && (elen != olen || memcmp(exp, out, olen)))
		viol(w,
		     "SYN-ACK differs from swt_expect_synack()'s (%zu vs %zu "
		     "bytes)",
		     olen, elen);
}

/* ---- the handoff metadata ------------------------------------------- */

static void check_meta(const struct fc_state_def *s, const struct fc_frame *f,
		       const struct synwall_meta *m, struct why *w)
{
	struct synwall_meta want;
	struct sw_ts_opts d;
	__u32 cookie = f->ack - 1;

	CHECK(w, fc_cookie_valid(&s->keys, f, cookie, &s->cfg),
	      "metadata for an ACK whose cookie %#x is not valid", cookie);
	memset(&want, 0, sizeof(want));
	want.magic = SYNWALL_META_MAGIC;
	want.cookie = cookie;
	want.mss = sw_index_to_mss(sw_cookie_mss_index(cookie), f->v6);
	if (f->o.ts && sw_ts_decode(f->o.tsecr, &d)) {
		want.tsval = f->o.tsval;
		want.tsecr = f->o.tsecr;
		want.flags = SYNWALL_MF_TSTAMP;
		if (d.peer_ws != SW_WS_NONE) {
			want.flags |= SYNWALL_MF_WSCALE;
			want.snd_wscale = d.peer_ws;
			want.rcv_wscale = d.our_ws;
		}
		if (d.sack)
			want.flags |= SYNWALL_MF_SACK;
		if (d.ecn)
			want.flags |= SYNWALL_MF_ECN;
	} else if (!f->o.ts) {
		/* the no-timestamp layout, decoded by hand (cookie.h) */
		static const int ws_of[8] = {-1, -1, 0, 0, 2, 6, 7, 8};
		__u32 code = (cookie >> 2) & 0x3f;

		want.mss = (f->v6 ? sw_nots_mss6 : sw_nots_mss4)[code & 7];
		if (ws_of[code >> 3] >= 0) {
			want.flags |= SYNWALL_MF_WSCALE;
			want.snd_wscale = (__u8)ws_of[code >> 3];
			want.rcv_wscale = (__u8)fc_our_ws(&s->cfg);
		}
		if ((code >> 3) != 0 && (code >> 3) != 2)
			want.flags |= SYNWALL_MF_SACK;
	}
	if (memcmp(&want, m, sizeof(want)))
		viol(w,
		     "metadata {magic %#x cookie %#x tsval %#x tsecr %#x mss "
		     "%u snd_ws %u rcv_ws %u flags %#x pad %02x%02x%02x}, want "
		     "{%#x %#x %#x %#x %u %u %u %#x 000000}",
		     m->magic, m->cookie, m->tsval, m->tsecr, m->mss,
		     m->snd_wscale, m->rcv_wscale, m->flags, m->pad[0],
		     m->pad[1], m->pad[2], want.magic, want.cookie, want.tsval,
		     want.tsecr, want.mss, want.snd_wscale, want.rcv_wscale,
		     want.flags);
}

/* ---- fc_check -------------------------------------------------------- */

static const char *cls_name(int c)
{
	static const char *const n[] = {"malformed", "not TCP", "fragment",
					"IPv6 ext", "TCP"};

	return n[c];
}

/*
 * Judge one run: the state, the input frame, what the program returned
 * and how the counters moved.  Adds violations to w.
 */
static void judge(const struct fc_env *e, int state, const __u8 *frame,
		  size_t flen, const struct swt_xdp_out *out,
		  const struct synwall_stats *before,
		  const struct synwall_stats *after, struct why *w)
{
	const struct fc_state_def *s = &fc_states[state];
	struct fc_frame f;
	struct fc_pred p;
	char moved[512];
	size_t i;
	int nmoved = 0;

	fc_frame_parse(frame, flen, &f);
	fc_predict(e, s, &f, &p);

	for (i = 0; i < swt_nstat_fields; i++) {
		size_t o = swt_stat_fields[i].off;

		nmoved += swt_stat_get(after, o) != swt_stat_get(before, o);
	}
	if (swt_stats_check_one(before, after, p.counter, moved, sizeof(moved)))
		viol(w, "counters: want %s +1 and nothing else, got %s%s",
		     swt_stat_name(p.counter), moved,
		     nmoved == 1 ? "" : " (not exactly one counter moved)");

	if (out->verdict != XDP_PASS && out->verdict != XDP_DROP &&
	    out->verdict != XDP_TX)
		viol(w, "undocumented verdict %s (%u)",
		     swt_xdp_verdict_name(out->verdict), out->verdict);
	else if (out->verdict != p.verdict)
		viol(w, "verdict %s, want %s",
		     swt_xdp_verdict_name(out->verdict),
		     swt_xdp_verdict_name(p.verdict));

	if (out->verdict == XDP_TX) {
		if (f.cls == FC_TCP && f.hdr_ok)
			check_synack(s, &f, swt_xdp_data(out), out->len, w);
		if (out->meta_len)
			viol(w, "XDP_TX with %u bytes of metadata",
			     out->meta_len);
	} else {
		if (out->meta_len) {
			if (out->verdict != XDP_PASS || !p.meta)
				viol(w,
				     "%u bytes of metadata with %s, where none "
				     "is due",
				     out->meta_len,
				     swt_xdp_verdict_name(out->verdict));
			else if (out->meta_len != sizeof(struct synwall_meta))
				viol(w, "%u bytes of metadata, want %zu",
				     out->meta_len,
				     sizeof(struct synwall_meta));
			else
				check_meta(s, &f, (const void *)out->buf, w);
		} else if (p.meta && out->verdict == XDP_PASS) {
			viol(w, "valid cookie passed without metadata");
		}
		if (out->len != flen || memcmp(swt_xdp_data(out), frame, flen))
			viol(w, "%s frame modified (%u bytes out, %zu in)",
			     swt_xdp_verdict_name(out->verdict), out->len,
			     flen);
	}
	if (w->bad) {
		char ctx[512];

		snprintf(ctx, sizeof(ctx),
			 " [state %d (%s); frame %zu bytes, model: %s%s%s, "
			 "dport %u, flags %#x, doff %zu, seg %zu]",
			 state, s->name, flen, cls_name(f.cls),
			 f.v6 ? " IPv6" : "", f.hdr_ok ? "" : " short-TCP",
			 f.dport, f.flags, f.doff, f.seg_len);
		viol(w, "%s", ctx);
	}
}

/*
 * The device a frame runs on: loopback (ifindex 1, MAC all zeros) if its
 * destination MAC is all zeros, else SWT_TEST_DEV.
 */
static __u32 fc_ifindex(const __u8 *frame)
{
	static const __u8 zero[6];

	return memcmp(frame, zero, 6) ? 0 : 1;
}

/* Run the program on an input: state, frame, output, counters. */
static int run_one(struct fc_env *e, const __u8 *in, size_t len, int *state,
		   size_t *flen, struct swt_xdp_out *out,
		   struct synwall_stats *after, char *whyb, size_t whylen)
{
	int r;

	*state = in[0] & (FC_NSTATES - 1);
	*flen = len - 1 > FC_FRAME_MAX ? FC_FRAME_MAX : len - 1;
	r = fc_state_apply(e, *state);
	if (r) {
		snprintf(whyb, whylen, "map write: %s", strerror(-r));
		return -1;
	}
	if (swt_xdp_run(e->swt.xdp_fd, in + 1, *flen, fc_ifindex(in + 1),
			out)) {
		snprintf(whyb, whylen, "BPF_PROG_TEST_RUN: %s",
			 strerror(-out->err));
		return -1;
	}
	r = swt_stats_read(&e->swt, after);
	if (r) {
		snprintf(whyb, whylen, "stats read: %s", strerror(-r));
		return -1;
	}
	e->runs++;
	return 0;
}

int fc_check(struct fc_env *e, const __u8 *in, size_t len, char *whyb,
	     size_t whylen)
{
	static struct swt_xdp_out out;
	struct synwall_stats after;
	struct why w = {whyb, whylen, 0, 0};
	size_t flen, i;
	int state;

	if (whylen)
		whyb[0] = 0;
	if (len < 1 + FC_FRAME_MIN) {
		e->skipped_short++;
		return 0;
	}
	if (run_one(e, in, len, &state, &flen, &out, &after, whyb, whylen))
		return -1;
	for (i = 0; i < swt_nstat_fields && i < 32; i++) {
		size_t o = swt_stat_fields[i].off;

		if (swt_stat_get(&after, o) - swt_stat_get(&e->last, o) == 1)
			e->by_counter[i]++;
	}
	judge(e, state, in + 1, flen, &out, &e->last, &after, &w);
	e->last = after;
	if (!w.bad)
		return 0;
	e->violations++;
	return 1;
}

int fc_selftest(struct fc_env *e, const __u8 *in, size_t len,
		unsigned long *tried, unsigned long *caught, char *whyb,
		size_t whylen)
{
	static struct swt_xdp_out out, bad;
	static char scratch[4096];
	struct synwall_stats before, after, a2;
	size_t flen, n, bit;
	int state;

	if (len < 1 + FC_FRAME_MIN)
		return 0;
	before = e->last;
	if (run_one(e, in, len, &state, &flen, &out, &after, whyb, whylen))
		return -1;
	e->last = after;
	{
		struct why w = {scratch, sizeof(scratch), 0, 0};

		judge(e, state, in + 1, flen, &out, &before, &after, &w);
		if (w.bad) {
			snprintf(whyb, whylen,
				 "the real output already fails: %s", scratch);
			return 1;
		}
	}
	/* every bit of metadata and frame */
	n = out.meta_len + out.len;
	for (bit = 0; bit < n * 8; bit++) {
		struct why w = {scratch, sizeof(scratch), 0, 0};

		bad = out;
		bad.buf[bit / 8] ^= (__u8)(1u << (bit % 8));
		judge(e, state, in + 1, flen, &bad, &before, &after, &w);
		(*tried)++;
		*caught += w.bad;
		if (!w.bad && whylen && !whyb[0])
			snprintf(whyb, whylen,
				 "flipping bit %zu of the %s (byte %zu) went "
				 "unnoticed",
				 bit % 8,
				 bit / 8 < out.meta_len ? "metadata" : "frame",
				 bit / 8 < out.meta_len ?
					 bit / 8 :
					 bit / 8 - out.meta_len);
	}
	/* one byte more or less */
	{
		struct why w = {scratch, sizeof(scratch), 0, 0};

		bad = out;
		bad.len = out.len - 1;
		judge(e, state, in + 1, flen, &bad, &before, &after, &w);
		(*tried)++;
		*caught += w.bad;
		w.bad = 0;
		w.used = 0;
		bad.len = out.len + 1;
		judge(e, state, in + 1, flen, &bad, &before, &after, &w);
		(*tried)++;
		*caught += w.bad;
	}
	/* every other verdict */
	for (bit = 0; bit < 5; bit++) {
		struct why w = {scratch, sizeof(scratch), 0, 0};

		if (bit == out.verdict)
			continue;
		bad = out;
		bad.verdict = (__u32)bit;
		judge(e, state, in + 1, flen, &bad, &before, &after, &w);
		(*tried)++;
		*caught += w.bad;
	}
	/* a second counter moved; the right one did not */
	{
		struct why w = {scratch, sizeof(scratch), 0, 0};

		a2 = after;
		a2.xdp_drop_synack_err++;
		judge(e, state, in + 1, flen, &out, &before, &a2, &w);
		(*tried)++;
		*caught += w.bad;
		w.bad = 0;
		w.used = 0;
		judge(e, state, in + 1, flen, &out, &before, &before, &w);
		(*tried)++;
		*caught += w.bad;
	}
	return 0;
}
