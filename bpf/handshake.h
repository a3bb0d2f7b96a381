/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the XDP and the TC program of synwall.bpf.c share: the maps (one
 * object, so both programs use the same ones; pinned by name so that
 * `ip link` and `tc` loads share them too), the port check, the cookie
 * clock, the socket lookup and the handoff metadata.  Layouts are in
 * include/synwall/abi.h.
 */
#ifndef SYNWALL_HANDSHAKE_H
#define SYNWALL_HANDSHAKE_H

#include <synwall/abi.h>
#include <synwall/cookie.h>
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYNWALL_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_keys);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

/* written by the data path only (abi.h): the TC re-check flag */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_dp_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dp_state SEC(".maps");

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* Is the destination port (network order) in the protected set?  O(1). */
static __always_inline int sw_port_protected(__u16 port_be)
{
	__u32 port = bpf_ntohs(port_be);
	__u32 word = port >> 6;
	__u64 *bits = bpf_map_lookup_elem(&ports, &word);

	return bits && (*bits >> (port & 63)) & 1;
}

/*
 * Seconds and milliseconds of the cookie clock: UTC, as CLOCK_TAI minus the
 * host's TAI offset that the loader wrote (BPF has no CLOCK_REALTIME), so
 * it is the loader's CLOCK_REALTIME, the fleet key schedule's time base.
 * config.fixed_time (a test hook) replaces the CLOCK_TAI reading.
 */
struct sw_now {
	__u32 sec;
	__u32 msec;
};

static __always_inline void sw_clock(const struct synwall_config *cfg,
				     struct sw_now *now)
{
	__u64 ns = cfg->fixed_time ? (__u64)cfg->fixed_time * NSEC_PER_SEC :
				     bpf_ktime_get_tai_ns();

	ns -= (__u64)((__s64)cfg->tai_offset * (__s64)NSEC_PER_SEC);
	now->sec = ns / NSEC_PER_SEC;
	now->msec = ns / NSEC_PER_MSEC;
}

/*
 * The socket of this segment's 4-tuple, or the listener of its
 * destination when no flow socket exists, or NULL; release it with
 * bpf_sk_release().  ctx: the XDP or TC context.
 */
static __always_inline struct bpf_sock *sw_skc_lookup(void *ctx,
						      const struct sw_pkt *p)
{
	struct bpf_sock_tuple t = {};

	if (p->v6) {
		__builtin_memcpy(t.ipv6.saddr, p->flow.saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, p->flow.daddr, 16);
		t.ipv6.sport = p->flow.sport;
		t.ipv6.dport = p->flow.dport;
		return bpf_skc_lookup_tcp(ctx, &t, sizeof(t.ipv6),
					  BPF_F_CURRENT_NETNS, 0);
	}
	t.ipv4.saddr = p->flow.saddr[0];
	t.ipv4.daddr = p->flow.daddr[0];
	t.ipv4.sport = p->flow.sport;
	t.ipv4.dport = p->flow.dport;
	return bpf_skc_lookup_tcp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS,
				  0);
}

/* The window scale synwall advertises (config.wscale resolved). */
static __always_inline __u32 sw_cfg_wscale(const struct synwall_config *cfg)
{
	__u32 ws = cfg->wscale == SYNWALL_WSCALE_ZERO ? 0 :
		   cfg->wscale			      ? cfg->wscale :
							SYNWALL_WSCALE_DEFAULT;

	return ws > SYNWALL_WSCALE_MAX ? SYNWALL_WSCALE_MAX : ws;
}

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

#endif /* SYNWALL_HANDSHAKE_H */
