/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The final ACK: is its cookie ours (one MAC), or the kernel's own; and
 * the handshake parameters a valid cookie hands to TC (struct
 * synwall_meta, in front of the packet; TC rebuilds them from the packet
 * when the driver has no metadata room).  docs/datapath.md, "The final
 * ACK"; docs/handoff.md.
 */
#ifndef SYNWALL_ACK_H
#define SYNWALL_ACK_H

#include <synwall/abi.h>
#include <synwall/cookie.h>
#include "config.h"
#include "clock.h"
#include "maps.h"
#include "parse.h"
#include "tcp_opts.h"
#include "verdict.h"

/*
 * Is the ACK's ack_seq - 1 a valid cookie for this flow (sequence numbers
 * in host order), with the timestamp option bits its TSecr echoes (o)?
 * One MAC; fills p->flow.isn.  A slot never written holds no key, only
 * zeros: a cookie naming it is invalid.
 */
static __always_inline int sw_ack_cookie_ok(const struct synwall_config *cfg,
					    const struct synwall_keys *k,
					    struct sw_pkt *p,
					    const struct sw_tcp_opts *o,
					    __u32 seq, __u32 ack_seq)
{
	__u32 cookie = ack_seq - 1, slot = sw_cookie_slot(cookie);
	struct sw_now now;

	sw_clock(cfg, &now);
	p->flow.isn = seq - 1;
	return k->installed_at[slot] &&
	       sw_cookie_check(&k->key[slot], cookie, &p->flow, p->v6, now.sec,
			       sw_tso_of_ack(o->ts_ok, o->tsecr),
			       sw_cfg_wscale(cfg));
}

/*
 * The handoff metadata of a valid cookie: the MSS from the cookie; with a
 * timestamp whose TSecr decodes, the options our SYN-ACK's TSval carried;
 * without, the client's window scale and SACK from the cookie, and our
 * window scale config.wscale (under the cookie's MAC: it is what the
 * SYN-ACK advertised) (docs/datapath.md, "The final ACK").
 */
static __always_inline void sw_meta_fill(struct synwall_meta *m, __u32 cookie,
					 const struct sw_tcp_opts *o, int v6,
					 const struct synwall_config *cfg)
{
	struct sw_ts_opts tso;
	__u32 code, ws;

	m->magic = SYNWALL_META_MAGIC;
	m->cookie = cookie;
	m->mss = sw_index_to_mss(sw_cookie_mss_index(cookie), v6);
	m->tsval = 0;
	m->tsecr = 0;
	m->snd_wscale = 0;
	m->rcv_wscale = 0;
	m->flags = 0;
	m->pad[0] = 0;
	m->pad[1] = 0;
	m->pad[2] = 0;
	if (o->ts_ok && sw_ts_decode(o->tsecr, &tso)) {
		m->tsval = o->tsval;
		m->tsecr = o->tsecr;
		m->flags = SYNWALL_MF_TSTAMP;
		if (tso.peer_ws != SW_WS_NONE) {
			m->flags |= SYNWALL_MF_WSCALE;
			m->snd_wscale = tso.peer_ws;
			m->rcv_wscale = tso.our_ws;
		}
		if (tso.sack)
			m->flags |= SYNWALL_MF_SACK;
		if (tso.ecn)
			m->flags |= SYNWALL_MF_ECN;
	} else if (!o->ts_ok) {
		code = sw_cookie_nots_code(cookie);
		m->mss = sw_nots_index_to_mss(code & 7, v6);
		ws = sw_nots_ws_of(code >> 3);
		if (ws != SW_WS_NONE) {
			m->flags |= SYNWALL_MF_WSCALE;
			m->snd_wscale = ws;
			m->rcv_wscale = sw_cfg_wscale(cfg);
		}
		if (sw_nots_sack(code >> 3))
			m->flags |= SYNWALL_MF_SACK;
	}
}

/*
 * An ACK that is no cookie of ours: one of the kernel's own?  Issued when
 * its SYN queue overflowed while SYNs went to it (flood mode before the
 * switch, or a listener that cannot keep up); stateless, so only the
 * kernel's helper can tell, with the kernel's secret (6.0+).  The kernel
 * then checks it again (cookie_v4_check) and decides.
 */
static __always_inline int sw_kernel_cookie(void *data, void *data_end,
					    const struct sw_pkt *p,
					    struct tcphdr *th)
{
	__u32 l3 = p->l3_off & 0x1f;

	if (p->v6) {
		struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		return bpf_tcp_raw_check_syncookie_ipv6(ip6, th) == 0;
	} else {
		struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > data_end)
			return 0;
		return bpf_tcp_raw_check_syncookie_ipv4(ip, th) == 0;
	}
}

/*
 * The driver gave no metadata room: TC must re-check this ACK's cookie
 * from the packet.  Arm it (once; the flag stays) before passing, so TC
 * sees the flag for this very ACK and no handshake is lost.
 */
static __always_inline enum sw_reason sw_pass_nometa(void)
{
	/* dp_state, not config: the loader rewrites config, never this */
	__u32 zero = 0;
	struct synwall_dp_state *dp = bpf_map_lookup_elem(&dp_state, &zero);

	if (dp && !(dp->flags & SYNWALL_DP_TC_RECHECK))
		__sync_fetch_and_or(&dp->flags, SYNWALL_DP_TC_RECHECK);
	return SW_R_xdp_pass_cookie_nometa;
}

/* Put the handshake parameters in front of the packet for TC. */
static __always_inline enum sw_reason
sw_pass_cookie(struct xdp_md *ctx, __u32 cookie, const struct sw_tcp_opts *o,
	       int v6, const struct synwall_config *cfg)
{
	struct synwall_meta *meta;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return sw_pass_nometa();
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data)
		return sw_pass_nometa();
	sw_meta_fill(meta, cookie, o, v6, cfg);
	return SW_R_xdp_pass_cookie;
}

#endif /* SYNWALL_ACK_H */
