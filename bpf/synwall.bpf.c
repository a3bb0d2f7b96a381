// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * synwall: XDP SYN-cookie front end and TC handoff to the local TCP stack.
 *
 * The XDP program answers SYNs to protected ports with cookie SYN-ACKs
 * (XDP_TX) and checks final ACKs, so that no SYN and no forged ACK costs
 * the kernel a socket.  A valid ACK is passed with metadata to the TC
 * program (tc_handoff.h), which turns it into a socket of the listener
 * with bpf_sk_assign_tcp_reqsk().  The contract is docs/datapath.md.
 *
 * Per packet: array lookups, socket lookups, per-CPU counters, no
 * per-connection state, no atomics and no writes to shared memory -- but
 * once: the first ACK that finds no metadata room arms TC's re-check flag
 * in dp_state (sw_pass_nometa).
 */
/* vmlinux.h has a typedef named "config": keep the name for our map */
#define config sw_vmlinux_config_t
#include "vmlinux.h"
#undef config
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <synwall/abi.h>
#include <synwall/cookie.h>
#include "parse.h"
#include "handshake.h"
#include "host.h"
#include "csum.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SW_DEFINE_OPTS_PARSER(sw_xdp_tcp_opts, struct xdp_md, bpf_xdp_load_bytes)

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

#define SW_TCP_HDR_WORDS 10 /* 20 bytes + at most 20 bytes of options */

/*
 * Rewrite the SYN at p into the cookie SYN-ACK and return XDP_TX.  All
 * inputs are read before the first write; the frame is then resized to
 * exactly L2 + IP + TCP and written from the front.
 */
static __always_inline int sw_send_synack(struct xdp_md *ctx, struct sw_pkt *p,
					  const struct sw_tcp_opts *o,
					  __u8 syn_flags,
					  const struct synwall_config *cfg,
					  const struct synwall_keys *k,
					  struct synwall_stats *st)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 hdr[SW_TCP_HDR_WORDS];
	__u8 *b = (__u8 *)hdr;
	__u32 cfg_mss, mss_out, client_mss, mss_idx, slot, cookie, nwords;
	__u32 ip_len, tcp_len, new_len, old_len, l3_off, i, tso = 0, ts_off;
	__u32 nots = 0;
	__u8 our_ws, flags = TCPF_SYN | TCPF_ACK;
	struct sw_now now;
	__u8 mac[2 * ETH_ALEN];
	int ecn = 0;
	__u64 sum;

	/* 1. everything we need from the SYN */
	if (data + 2 * ETH_ALEN > data_end)
		goto err;
	__builtin_memcpy(mac, data, 2 * ETH_ALEN);
	l3_off = p->l3_off;

	sw_clock(cfg, &now);
	client_mss = o->mss ? o->mss : (p->v6 ? 1220 : 536);
	mss_idx = sw_mss_to_index(client_mss, p->v6);

	cfg_mss = p->v6 ? cfg->mss6 : cfg->mss4;
	if (!cfg_mss)
		cfg_mss = p->v6 ? SYNWALL_MSS6_DEFAULT : SYNWALL_MSS4_DEFAULT;
	mss_out = o->mss && o->mss < cfg_mss ? o->mss : cfg_mss;
	our_ws = sw_cfg_wscale(cfg);
	if (o->ts_ok) {
		/* RFC 3168 6.1.1: ECN-setup SYN has ECE and CWR */
		ecn = (syn_flags & (TCPF_ECE | TCPF_CWR)) ==
			      (TCPF_ECE | TCPF_CWR) &&
		      !(cfg->flags & SYNWALL_CF_NO_ECN);
		/* the options our TSval carries, under the cookie's MAC */
		tso = SW_TSO_PRESENT |
		      sw_ts_opts(our_ws, o->wscale, o->sack_ok, ecn);
	}
	slot = k->current & 1;
	if (o->ts_ok) {
		cookie = sw_cookie_make(&k->key[slot], slot, &p->flow, p->v6,
					now.sec, mss_idx, tso, &ts_off);
	} else {
		/* no timestamp: WS and SACK ride in the cookie (cookie.h) */
		nots = sw_nots_code(client_mss, o->wscale, o->sack_ok, p->v6);
		cookie = sw_cookie_make_nots(&k->key[slot], slot, &p->flow,
					     p->v6, now.sec, nots, our_ws);
		ts_off = 0;
	}

	/* 2. the TCP header, on the stack */
	hdr[0] = (__u32)p->flow.dport | (__u32)p->flow.sport << 16;
	hdr[1] = bpf_htonl(cookie);
	hdr[2] = bpf_htonl(p->flow.isn + 1);
	/* MSS, always */
	b[20] = TCPOPT_MSS;
	b[21] = TCPOLEN_MSS;
	b[22] = mss_out >> 8;
	b[23] = mss_out & 0xff;
	nwords = 6;
	if (o->ts_ok) {
		if (o->sack_ok) {
			b[24] = TCPOPT_SACK_PERM;
			b[25] = TCPOLEN_SACK_PERM;
		} else {
			b[24] = TCPOPT_NOP;
			b[25] = TCPOPT_NOP;
		}
		b[26] = TCPOPT_TIMESTAMP;
		b[27] = TCPOLEN_TIMESTAMP;
		hdr[7] = bpf_htonl(sw_tsval(now.msec, ts_off, tso));
		hdr[8] = bpf_htonl(o->tsval);
		nwords = 9;
		if (o->wscale != SW_WS_NONE) {
			b[36] = TCPOPT_NOP;
			b[37] = TCPOPT_WINDOW;
			b[38] = TCPOLEN_WINDOW;
			b[39] = our_ws;
			nwords = 10;
		}
	} else {
		/* what the cookie carries: SACK-permitted, WS (rounded down
		 * by the encoding only on our side of the cookie: the
		 * client is told our own scale) */
		if (sw_nots_sack(nots >> 3)) {
			b[24] = TCPOPT_NOP;
			b[25] = TCPOPT_NOP;
			b[26] = TCPOPT_SACK_PERM;
			b[27] = TCPOLEN_SACK_PERM;
			nwords = 7;
		}
		if (sw_nots_ws_of(nots >> 3) != SW_WS_NONE) {
			if (nwords == 7) {
				b[28] = TCPOPT_NOP;
				b[29] = TCPOPT_WINDOW;
				b[30] = TCPOLEN_WINDOW;
				b[31] = our_ws;
				nwords = 8;
			} else {
				b[24] = TCPOPT_NOP;
				b[25] = TCPOPT_WINDOW;
				b[26] = TCPOLEN_WINDOW;
				b[27] = our_ws;
				nwords = 7;
			}
		}
	}
	if (ecn)
		flags |= TCPF_ECE;
	/* doff, flags, window */
	hdr[3] = (__u32)(nwords << 4) | (__u32)flags << 8 |
		 (__u32)bpf_htons(cfg->window ? cfg->window :
						SYNWALL_WINDOW_DEFAULT)
			 << 16;
	hdr[4] = 0; /* checksum, urgent pointer */

	tcp_len = nwords * 4;
	ip_len = p->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);

	/* 3. pseudo-header + segment checksum, from scratch */
	if (p->v6) {
		sum = sw_csum_words(p->flow.saddr, 4, 0);
		sum = sw_csum_words(p->flow.daddr, 4, sum);
	} else {
		sum = (__u64)p->flow.saddr[0] + p->flow.daddr[0];
	}
	sum += bpf_htons(IPPROTO_TCP) + bpf_htons(tcp_len);
	sum = sw_csum_words(hdr, 5, sum);
#pragma unroll
	for (i = 5; i < SW_TCP_HDR_WORDS; i++)
		if (i < nwords)
			sum += hdr[i];
	hdr[4] = sw_csum_fold(sum);

	/* 4. resize the frame to L2 + IP + TCP */
	new_len = l3_off + ip_len + tcp_len;
	old_len = data_end - data;
	if (new_len != old_len &&
	    bpf_xdp_adjust_tail(ctx, (int)new_len - (int)old_len))
		goto err;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	l3_off &= 0x1f; /* 14, 18 or 22 */

	/* 5. write: Ethernet (VLAN tags untouched), IP, TCP */
	if (data + 2 * ETH_ALEN > data_end)
		goto err;
	__builtin_memcpy(data, mac + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(data + ETH_ALEN, mac, ETH_ALEN);

	if (p->v6) {
		struct ipv6hdr *ip6 = data + l3_off;
		__u32 *w;

		if ((void *)(ip6 + 1) > data_end)
			goto err;
		w = (__u32 *)ip6;
		w[0] = bpf_htonl(6u << 28);
		ip6->payload_len = bpf_htons(tcp_len);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = cfg->ttl ? cfg->ttl : SYNWALL_TTL_DEFAULT;
		__builtin_memcpy(&ip6->saddr, p->flow.daddr, 16);
		__builtin_memcpy(&ip6->daddr, p->flow.saddr, 16);
	} else {
		__u32 *w = data + l3_off;
		__u32 ipw[5];

		if ((void *)(w + 5) > data_end)
			goto err;
		/* version 4, IHL 5, TOS 0, tot_len */
		ipw[0] = 0x45 | (__u32)bpf_htons(ip_len + tcp_len) << 16;
		/* ID 0, DF */
		ipw[1] = (__u32)bpf_htons(IP_DF) << 16;
		/* TTL, protocol, checksum */
		ipw[2] = (cfg->ttl ? cfg->ttl : SYNWALL_TTL_DEFAULT) |
			 IPPROTO_TCP << 8;
		ipw[3] = p->flow.daddr[0];
		ipw[4] = p->flow.saddr[0];
		ipw[2] |= (__u32)sw_csum_fold(sw_csum_words(ipw, 5, 0)) << 16;
		w[0] = ipw[0];
		w[1] = ipw[1];
		w[2] = ipw[2];
		w[3] = ipw[3];
		w[4] = ipw[4];
	}

	{
		__u32 *tcpw = data + l3_off + ip_len;

#pragma unroll
		for (i = 0; i < SW_TCP_HDR_WORDS; i++) {
			if (i < nwords) {
				if ((void *)(tcpw + i + 1) > data_end)
					goto err;
				tcpw[i] = hdr[i];
			}
		}
	}
	st->xdp_tx_synack++;
	return XDP_TX;

err:
	/* the frame could not hold the SYN-ACK (never seen: defensive) */
	st->xdp_drop_synack_err++;
	return XDP_DROP;
}

/*
 * The driver gave no metadata room: TC must re-check this ACK's cookie
 * from the packet.  Arm it (once; the flag stays) before passing, so TC
 * sees the flag for this very ACK and no handshake is lost.
 */
static __always_inline int sw_pass_nometa(struct synwall_config *cfg,
					  struct synwall_stats *st)
{
	/* dp_state, not config: the loader rewrites config, never this */
	__u32 zero = 0;
	struct synwall_dp_state *dp = bpf_map_lookup_elem(&dp_state, &zero);

	if (dp && !(dp->flags & SYNWALL_DP_TC_RECHECK))
		__sync_fetch_and_or(&dp->flags, SYNWALL_DP_TC_RECHECK);
	st->xdp_pass_cookie_nometa++;
	return XDP_PASS;
}

/* Put the handshake parameters in front of the packet for TC. */
static __always_inline int sw_pass_cookie(struct xdp_md *ctx, __u32 cookie,
					  const struct sw_tcp_opts *o, int v6,
					  struct synwall_config *cfg,
					  struct synwall_stats *st)
{
	struct synwall_meta *meta;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return sw_pass_nometa(cfg, st);
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data)
		return sw_pass_nometa(cfg, st);
	sw_meta_fill(meta, cookie, o, v6, cfg);
	st->xdp_pass_cookie++;
	return XDP_PASS;
}

/* ---- flood detector (config.cookies == flood) -------------------------- */

/*
 * Per CPU: SYNs to a listener counted over windows of
 * SYNWALL_DETECT_WINDOW_MS (a window opens at the first SYN after the
 * previous one closed), and when this CPU last saw the off rate.  Only
 * this CPU writes its entry; other CPUs read it (sw_flood_idle).
 */
struct sw_detect {
	__u64 win_start; /* ns */
	__u64 hot_at;	 /* ns: a window reached flood_off here */
	__u32 count;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_detect);
} detect SEC(".maps");

#define SW_DETECT_WINDOW_NS (SYNWALL_DETECT_WINDOW_MS * NSEC_PER_MSEC)
#define SW_MAX_CPUS 1024

/*
 * Has every CPU stayed under the off rate for hold_ns?  Reads each
 * CPU's entry, writes nothing.  A global function: verified once, apart
 * from the main program.  Runs at most once per window per CPU, and only
 * while flooding.
 */
__attribute__((noinline)) int sw_flood_idle(__u64 now, __u64 hold_ns)
{
	__u32 zero = 0, cpu;

	for (cpu = 0; cpu < SW_MAX_CPUS; cpu++) {
		struct sw_detect *d =
			bpf_map_lookup_percpu_elem(&detect, &zero, cpu);

		if (!d)
			break; /* past the last possible CPU */
		if (now - d->hot_at < hold_ns)
			return 0;
	}
	return 1;
}

/*
 * Flood mode: count this SYN and say whether synwall answers it (1) or
 * the kernel does (0).  Per SYN: two array lookups, the clock and per-CPU
 * writes; the shared dp_state is written (atomically) only when the mode
 * changes.
 */
static __always_inline int sw_flood(const struct synwall_config *cfg)
{
	__u32 zero = 0, on, off, win_on, win_off;
	struct synwall_dp_state *dp;
	struct sw_detect *d;
	__u64 now, hold;

	d = bpf_map_lookup_elem(&detect, &zero);
	dp = bpf_map_lookup_elem(&dp_state, &zero);
	if (!d || !dp)
		return 1;
	now = bpf_ktime_get_ns();
	on = cfg->flood_on ? cfg->flood_on : SYNWALL_FLOOD_ON_DEFAULT;
	off = cfg->flood_off ? cfg->flood_off : on / 2;
	if (off > on)
		off = on;
	win_on = on / (1000 / SYNWALL_DETECT_WINDOW_MS);
	win_off = off / (1000 / SYNWALL_DETECT_WINDOW_MS);
	if (!win_on)
		win_on = 1;
	if (!win_off)
		win_off = 1;

	if (now - d->win_start >= SW_DETECT_WINDOW_NS) {
		/* a new window; while flooding, is the flood gone? */
		d->win_start = now;
		d->count = 0;
		if (dp->flooding) {
			hold = (cfg->flood_hold_ms ? cfg->flood_hold_ms :
						     SYNWALL_FLOOD_HOLD_DEFAULT) *
			       NSEC_PER_MSEC;
			if (sw_flood_idle(now, hold) &&
			    __sync_val_compare_and_swap(&dp->flooding, 1, 0) ==
				    1) {
				__sync_fetch_and_add(&dp->flood_ns,
						     now - dp->flood_since);
				dp->last_off = now;
			}
		}
	}
	d->count++;
	if (d->count == win_off)
		d->hot_at = now;
	if (!dp->flooding && d->count >= win_on) {
		d->hot_at = now;
		if (__sync_val_compare_and_swap(&dp->flooding, 0, 1) == 0) {
			dp->flood_since = now;
			__sync_fetch_and_add(&dp->switches, 1);
		}
		return 1;
	}
	return dp->flooding;
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

/* What the socket lookup found for this segment's 4-tuple. */
enum sw_sk_res {
	SW_SK_NONE = 0, /* nothing: no socket, no listener */
	SW_SK_LISTENER, /* only a listener of the destination */
	SW_SK_FLOW,	/* a socket of the flow (established, time-wait, request) */
};

static __always_inline enum sw_sk_res sw_socket_of(struct xdp_md *ctx,
						  const struct sw_pkt *p)
{
	struct bpf_sock *sk = sw_skc_lookup(ctx, p);
	enum sw_sk_res r;

	if (!sk)
		return SW_SK_NONE;
	/* with no flow socket the lookup falls back to the listener */
	r = sk->state == BPF_TCP_LISTEN ? SW_SK_LISTENER : SW_SK_FLOW;
	bpf_sk_release(sk);
	return r;
}

/* The segment's options into o; non-zero if malformed. */
static __always_inline int sw_opts(struct xdp_md *ctx, struct tcphdr *th,
				   void *data_end, const struct sw_pkt *p,
				   __u32 doff, struct sw_tcp_opts *o)
{
	if (sw_tcp_opts_fast((__u8 *)(th + 1), data_end, doff - sizeof(*th),
			     o))
		return 0;
	return sw_xdp_tcp_opts(ctx, p->l4_off + sizeof(*th),
			       doff - sizeof(*th), o);
}

SEC("xdp")
int synwall_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct synwall_config *cfg;
	struct synwall_keys *k;
	struct synwall_stats *st;
	struct sw_tcp_opts o;
	struct sw_pkt p = {};
	struct tcphdr *th;
	enum sw_sk_res sk;
	__u32 zero = 0, doff;
	__u8 flags;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;

	switch (sw_parse(data, data_end, &p)) {
	case SW_PARSE_TCP:
		break;
	case SW_PARSE_MALFORMED:
		st->xdp_pass_malformed++;
		return XDP_PASS;
	case SW_PARSE_FRAGMENT:
		st->xdp_pass_fragment++;
		return XDP_PASS;
	case SW_PARSE_IPV6_EXT:
		st->xdp_pass_ipv6_ext++;
		return XDP_PASS;
	default:
		st->xdp_pass_not_tcp++;
		return XDP_PASS;
	}

	if (!sw_port_protected(p.flow.dport)) {
		st->xdp_pass_port++;
		return XDP_PASS;
	}
	/* only traffic to protected ports needs the keys and the config */
	cfg = bpf_map_lookup_elem(&config, &zero);
	k = bpf_map_lookup_elem(&keys, &zero);
	if (!cfg || !k)
		return XDP_PASS;
	if (!k->generation || !k->installed_at[k->current & 1]) {
		st->xdp_pass_unkeyed++;
		return XDP_PASS;
	}

	/* not for a local socket: the kernel's, untouched */
	switch (sw_for_host(ctx, &p)) {
	case SW_HOST_OK:
		break;
	case SW_HOST_NOT_L2:
		st->xdp_pass_not_host++;
		return XDP_PASS;
	case SW_HOST_MARTIAN:
		st->xdp_pass_martian++;
		return XDP_PASS;
	default:
		st->xdp_pass_not_local++;
		return XDP_PASS;
	}

	/* malformed TCP to a protected port is ours to drop */
	th = data + (p.l4_off & 0xff);
	if (p.seg_len < sizeof(*th) || (void *)(th + 1) > data_end)
		goto malformed;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > p.seg_len)
		goto malformed;
	flags = ((__u8 *)th)[13];

	/*
	 * A segment of a flow that has a socket is the kernel's, whatever its
	 * flags and options: established and time-wait sockets (a SYN
	 * reusing a TIME_WAIT 4-tuple: only the kernel can recycle it; a
	 * cookie would be answered by the old socket) and request sockets.
	 */
	sk = sw_socket_of(ctx, &p);
	if (sk == SW_SK_FLOW) {
		st->xdp_pass_socket++;
		return XDP_PASS;
	}

	if ((flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
		/* nothing listens: the kernel answers RST */
		if (sk == SW_SK_NONE) {
			st->xdp_pass_no_listener++;
			return XDP_PASS;
		}
		if (flags & (TCPF_FIN | TCPF_RST))
			goto malformed;
		/* no flood: the kernel's stateful handshake (every option) */
		if (cfg->cookies != SYNWALL_COOKIES_ALWAYS && !sw_flood(cfg)) {
			st->xdp_pass_syn_kernel++;
			return XDP_PASS;
		}
		if (sw_opts(ctx, th, data_end, &p, doff, &o))
			goto malformed;
		p.flow.isn = bpf_ntohl(th->seq);
		return sw_send_synack(ctx, &p, &o, flags, cfg, k, st);
	}
	if ((flags & TCPF_SYN) && (flags & (TCPF_FIN | TCPF_RST)))
		goto malformed;
	/* options are judged only here: no socket will take this segment */
	if (sw_opts(ctx, th, data_end, &p, doff, &o))
		goto malformed;
	if ((flags & (TCPF_ACK | TCPF_RST | TCPF_SYN)) == TCPF_ACK) {
		__u32 ack_seq = bpf_ntohl(th->ack_seq);

		if (sw_ack_cookie_ok(cfg, k, &p, &o, bpf_ntohl(th->seq),
				     ack_seq))
			return sw_pass_cookie(ctx, ack_seq - 1, &o, p.v6, cfg,
					      st);
		if (sw_kernel_cookie(data, data_end, &p, th)) {
			st->xdp_pass_kernel_cookie++;
			return XDP_PASS;
		}
		st->xdp_drop_bad_ack++;
		return XDP_DROP;
	}
	if (flags & TCPF_ACK && !(flags & TCPF_RST)) {
		/* SYN-ACK to a protected port with no socket */
		st->xdp_drop_bad_ack++;
		return XDP_DROP;
	}
	st->xdp_drop_no_socket++;
	return XDP_DROP;

malformed:
	st->xdp_drop_malformed++;
	return XDP_DROP;
}

#if __has_include("tc_handoff.h")
#include "tc_handoff.h"
#endif
