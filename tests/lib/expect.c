// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What synwall must emit, computed in user space: the SYN-ACK frame is
 * built with the test's own builder and checksum; only the cookie (ISN)
 * and the flow's TSval offset (both from its one MAC) come from the
 * shared header cookie.h; the TSval layout is written out here.
 */
#include <string.h>

#include "swt.h"
/* cookie.h's "#pragma unroll" is for clang -target bpf */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

void swt_cfg_default(struct synwall_config *c, __u32 now)
{
	memset(c, 0, sizeof(*c));
	c->mss4 = 1460;
	c->mss6 = 1440;
	c->window = 65535;
	c->wscale = 7;
	c->ttl = 64;
	c->fixed_time = now;
}

void swt_keys_one(struct synwall_keys *k, const struct synwall_key *key,
		  __u32 now)
{
	memset(k, 0, sizeof(*k));
	k->key[0] = *key;
	k->generation = 1;
	k->installed_at[0] = now;
}

void swt_cfg_resolve(const struct synwall_config *c, struct swt_cfg *r)
{
	r->mss4 = c->mss4 ? c->mss4 : SYNWALL_MSS4_DEFAULT;
	r->mss6 = c->mss6 ? c->mss6 : SYNWALL_MSS6_DEFAULT;
	r->window = c->window ? c->window : SYNWALL_WINDOW_DEFAULT;
	if (c->wscale == SYNWALL_WSCALE_ZERO)
		r->wscale = 0;
	else if (c->wscale == 0)
		r->wscale = SYNWALL_WSCALE_DEFAULT;
	else
		r->wscale = c->wscale;
	r->ttl = c->ttl ? c->ttl : SYNWALL_TTL_DEFAULT;
	r->no_ecn = c->flags & SYNWALL_CF_NO_ECN;
	/* the data path's clock: the fixed CLOCK_TAI reading, as UTC */
	r->now = c->fixed_time - (__u32)c->tai_offset;
}

__u32 swt_mss_index(__u32 mss, bool v6)
{
	const __u16 *t = v6 ? sw_mss_table6 : sw_mss_table4;
	__u32 i, idx = 0;

	for (i = 0; i < SW_MSS_SLOTS; i++)
		if (t[i] <= mss)
			idx = i;
	return idx;
}

void swt_flow_of(bool v6, const __u8 *saddr, const __u8 *daddr, __u16 sport,
		 __u16 dport, __u32 isn, struct sw_flow *f)
{
	__u8 port[2];

	memset(f, 0, sizeof(*f));
	/* the packet's bytes loaded as native words, as the BPF side does */
	memcpy(f->saddr, saddr, v6 ? 16 : 4);
	memcpy(f->daddr, daddr, v6 ? 16 : 4);
	swt_put16(port, sport);
	memcpy(&f->sport, port, 2);
	swt_put16(port, dport);
	memcpy(&f->dport, port, 2);
	f->isn = isn;
}

void swt_flow(const struct swt_pkt *p, __u32 isn, struct sw_flow *f)
{
	swt_flow_of(p->v6, p->saddr, p->daddr, p->sport, p->dport, isn, f);
}

size_t swt_expect_synack(const struct swt_pkt *syn, const struct swt_synopts *o,
			 const struct synwall_config *cfg,
			 const struct synwall_keys *keys, __u8 *buf, size_t cap,
			 __u32 *cookie, __u32 *tsval)
{
	static struct swt_pkt r; /* large: keep it off the stack */
	struct sw_flow flow;
	struct swt_cfg c;
	__u32 slot = keys->current & 1, idx, mss, ck, tsv = 0, tso = 0, off;
	__u32 peer_ws = SW_WS_NONE;
	bool v6 = syn->v6, ecn = false;
	__u32 nots_opt = 0;

	swt_cfg_resolve(cfg, &c);

	idx = swt_mss_index(o->mss >= 0 ? (__u32)o->mss : v6 ? 1220 : 536, v6);
	swt_flow(syn, syn->seq, &flow);
	if (o->ts) {
		ecn = o->ecn && !c.no_ecn;
		/* RFC 7323 2.3: a shift above 14 is taken as 14 */
		if (o->ws >= 0)
			peer_ws = o->ws > 14 ? 14 : o->ws;
		/*
		 * The option bits, laid out by hand (cookie.h's layout):
		 * our shift 9..6, the client's 5..2 (0xf: none), SACK 1,
		 * ECN 0.  Our shift is encoded even when the client sent no
		 * WS (the SYN-ACK then advertises none): the metadata
		 * ignores it without the client's (no WSCALE flag,
		 * rcv_wscale 0).  Bit 10: a timestamp was offered.
		 */
		tso = 1u << 10 | (__u32)c.wscale << 6 | peer_ws << 2 |
		      (o->sack ? 2u : 0) | (ecn ? 1u : 0);
	}
	if (o->ts) {
		ck = sw_cookie_make(&keys->key[slot], slot, &flow, v6, c.now,
				    idx, tso, &off);
	} else {
		/* the no-timestamp layout: opt code and MSS by hand */
		__u32 ws = o->ws < 0 ? SW_WS_NONE : o->ws > 14 ? 14 : o->ws;
		__u32 cmss = o->mss >= 0 ? (__u32)o->mss : v6 ? 1220 : 536;
		__u32 m3 = 0, i;

		nots_opt = ws == SW_WS_NONE ? (o->sack ? 1 : 0) :
			   !o->sack	    ? 2 :
			   ws >= 8	    ? 7 :
			   ws >= 7	    ? 6 :
			   ws >= 6	    ? 5 :
			   ws >= 2	    ? 4 :
					      3;
		for (i = 0; i < 8; i++)
			if ((v6 ? sw_nots_mss6 : sw_nots_mss4)[i] <= cmss)
				m3 = i;
		ck = sw_cookie_make_nots(&keys->key[slot], slot, &flow, v6,
					 c.now, nots_opt << 3 | m3, c.wscale);
		off = 0;
	}

	r = *syn;
	swt_pkt_reverse(&r);
	/* tags and the ethertype stay as they were */
	r.l3raw = NULL;
	r.l3raw_len = 0;
	r.tos = 0;
	r.flowlabel = 0;
	r.ttl = c.ttl;
	r.ip_id = 0;
	r.frag_off = 0x4000;
	r.ipopt_len = 0;
	r.v6ext_len = 0;
	r.l4proto = 6;
	r.seq = ck;
	r.ack = syn->seq + 1;
	r.flags = SWT_TCP_SYN | SWT_TCP_ACK;
	r.window = c.window;
	r.urg = 0;
	r.doff = 0;
	r.paylen = 0;
	r.eth_pad = 0;
	r.ip_len_override = 0;
	r.csum_offload = false;
	r.optlen = 0;

	mss = v6 ? c.mss6 : c.mss4;
	if (o->mss >= 0 && (__u32)o->mss < mss)
		mss = o->mss;
	swt_opt_mss(&r, (__u16)mss);
	if (o->ts) {
		/* clock ms + the flow's offset, low 10 bits the options */
		tsv = (((__u32)((__u64)c.now * 1000) + off) & ~0x3ffu) |
		      (tso & 0x3ff);
		if (o->sack)
			swt_opt_sackperm(&r);
		else
			swt_opt_raw(&r, "\x01\x01", 2);
		swt_opt_ts(&r, tsv, o->tsval);
		if (o->ws >= 0) {
			swt_opt_nop(&r);
			swt_opt_ws(&r, c.wscale);
		}
		if (ecn)
			r.flags |= SWT_TCP_ECE;
	} else {
		/* what the cookie carries (cookie.h): SACK, then WS */
		if (nots_opt != 0 && nots_opt != 2)
			swt_opt_raw(&r, "\x01\x01\x04\x02", 4);
		if (nots_opt >= 2) {
			swt_opt_nop(&r);
			swt_opt_ws(&r, c.wscale);
		}
	}
	if (cookie)
		*cookie = ck;
	if (tsval)
		*tsval = tsv;
	return swt_build(&r, buf, cap, NULL);
}

void swt_make_ack(const struct swt_pkt *syn, __u32 cookie, bool ts, __u32 tsval,
		  __u32 tsecr, struct swt_pkt *ack)
{
	*ack = *syn;
	ack->seq = syn->seq + 1;
	ack->ack = cookie + 1;
	ack->flags = SWT_TCP_ACK;
	ack->window = 502;
	ack->optlen = 0;
	ack->paylen = 0;
	ack->doff = 0;
	if (ts) {
		swt_opt_nop(ack);
		swt_opt_nop(ack);
		swt_opt_ts(ack, tsval, tsecr);
	}
}
