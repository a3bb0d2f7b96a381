// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * synwall, degraded mode: for kernels without the handoff kfunc
 * bpf_sk_assign_tcp_reqsk (6.0 to 6.8; Debian 12's 6.1, Ubuntu 24.04's
 * 6.8).  docs/degraded.md is the contract; docs/datapath.md's verdict
 * table holds, with the differences written there.
 *
 * The XDP program answers SYNs to protected ports with SYN-ACKs carrying
 * the kernel's own cookie (bpf_tcp_raw_gen_syncookie_*, the kernel's
 * secret and 4-entry MSS table) and, when the namespace's timestamps have
 * no per-flow offset (tcp_timestamps=2), the kernel's own TSval encoding
 * of window scale, SACK and ECN (cookie_init_timestamp).  A final ACK is
 * checked with bpf_tcp_raw_check_syncookie_*: a forged one dies here, a
 * valid one goes to the kernel, whose cookie_v4/v6_check makes the
 * socket.  No TC program, no kfunc: this object loads on 6.0 and later.
 *
 * The kernel takes a cookie only while the listener's SYN queue
 * overflowed in the last two minutes.  With tcp_syncookies=2 every SYN
 * the kernel answers renews that mark, so when a listener's mark is
 * older than compat.refresh_s, its SYNs go to the kernel until one has
 * renewed it (one per listener, a few at most, per interval).
 */
/* vmlinux.h has a typedef named "config": keep the name for our map */
#define config sw_vmlinux_config_t
#include "vmlinux.h"
#undef config
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <synwall/abi.h>
#include <synwall/compat.h>
#include "parse.h"
#include "handshake.h"
#include "csum.h"
#include "compat_host.h"
#include "compat_listener.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SW_DEFINE_OPTS_PARSER(sw_compat_tcp_opts, struct xdp_md, bpf_xdp_load_bytes)

/* cookie_init_timestamp(): the low 6 bits of the TSval carry options */
#define SW_KTS_WSCALE_MASK 0xf
#define SW_KTS_SACK (1u << 4)
#define SW_KTS_ECN (1u << 5)
#define SW_KTS_BITS 6

#define SW_TCP_HDR_WORDS 10

/* What the SYN-ACK says, decided before the frame is rewritten. */
struct sw_synack {
	__u32 cookie;
	__u16 mss_out;
	__u8 ts;   /* timestamp option, TSval = tsval */
	__u8 ws;   /* window scale option, shift our_ws */
	__u8 sack; /* SACK-permitted option */
	__u8 ecn;  /* ECE */
	__u8 our_ws;
	__u8 pad;
	__u32 tsval;
	__u32 tsecr;
};

/*
 * The kernel's cookie for this SYN, from copies of its headers on the
 * stack (the helper wants th_len == doff * 4, all of it readable).
 * Returns the cookie and the kernel's MSS table value in *mss, or -1.
 */
static __always_inline int sw_kcookie_gen(struct xdp_md *ctx,
					  const struct sw_pkt *p, __u32 doff,
					  __u32 *cookie, __u32 *mss)
{
	__u8 th[64] = {};
	__u64 n = doff - 1;
	__s64 r;

	SW_BOUND(n, 0x3f);
	if (bpf_xdp_load_bytes(ctx, p->l4_off, th, n + 1))
		return -1;
	if (p->v6) {
		struct ipv6hdr ip6 = {};

		if (bpf_xdp_load_bytes(ctx, p->l3_off, &ip6, sizeof(ip6)))
			return -1;
		r = bpf_tcp_raw_gen_syncookie_ipv6(&ip6, (struct tcphdr *)th,
						   n + 1);
	} else {
		struct iphdr ip = {};

		if (bpf_xdp_load_bytes(ctx, p->l3_off, &ip, sizeof(ip)))
			return -1;
		r = bpf_tcp_raw_gen_syncookie_ipv4(&ip, (struct tcphdr *)th,
						   n + 1);
	}
	if (r < 0)
		return -1;
	*cookie = (__u32)r;
	*mss = (__u32)(r >> 32);
	return 0;
}

#define SW_EPROTONOSUPPORT 93

/* Is ack_seq - 1 one of the kernel's cookies for this flow (now)? */
static __always_inline int sw_kcookie_ok(struct xdp_md *ctx,
					 const struct sw_pkt *p)
{
	struct tcphdr th;
	long r;

	if (bpf_xdp_load_bytes(ctx, p->l4_off, &th, sizeof(th)))
		return 0;
	if (p->v6) {
		struct ipv6hdr ip6;

		if (bpf_xdp_load_bytes(ctx, p->l3_off, &ip6, sizeof(ip6)))
			return 0;
		r = bpf_tcp_raw_check_syncookie_ipv6(&ip6, &th);
		/* IPv6 as a module: the helper cannot check, and the
		 * kernel answered the SYN itself (sw_kcookie_gen failed
		 * alike): its own check decides */
		return r == 0 || r == -SW_EPROTONOSUPPORT;
	} else {
		struct iphdr ip;

		if (bpf_xdp_load_bytes(ctx, p->l3_off, &ip, sizeof(ip)))
			return 0;
		return bpf_tcp_raw_check_syncookie_ipv4(&ip, &th) == 0;
	}
}

/*
 * What the kernel would have put in its own cookie SYN-ACK's options, so
 * that its cookie_timestamp_decode() and tcp_select_initial_window()
 * agree with what the client was told.  Options ride in the TSval only:
 * without a timestamp the kernel decodes none (tcp_clear_options), and
 * with a per-flow TS offset (tcp_timestamps=1) it subtracts an offset
 * made with a secret BPF cannot read, so then no timestamp is offered.
 */
static __always_inline void sw_plan(struct sw_synack *s,
				    const struct sw_tcp_opts *o, __u8 syn_flags,
				    const struct sw_listener *l, __u32 mss_tab,
				    const struct synwall_config *cfg,
				    const struct synwall_compat_cfg *c, int v6)
{
	__u32 cfg_mss = v6 ? cfg->mss6 : cfg->mss4, opts, now;

	if (!cfg_mss)
		cfg_mss = v6 ? SYNWALL_MSS6_DEFAULT : SYNWALL_MSS4_DEFAULT;
	s->mss_out = o->mss && o->mss < cfg_mss ? o->mss : cfg_mss;
	s->ts = o->ts_ok && l->timestamps == 2;
	s->ws = s->ts && o->wscale != SW_WS_NONE && l->wscaling;
	s->sack = s->ts && o->sack_ok && l->sack;
	s->ecn = s->ts && l->ecn && !(cfg->flags & SYNWALL_CF_NO_ECN) &&
		 (syn_flags & (TCPF_ECE | TCPF_CWR)) == (TCPF_ECE | TCPF_CWR);
	s->our_ws = s->ws ? sw_child_wscale(l, mss_tab, c->rmem_max) : 0;
	if (!s->ts)
		return;
	opts = s->ws ? o->wscale : SW_KTS_WSCALE_MASK;
	if (s->sack)
		opts |= SW_KTS_SACK;
	if (s->ecn)
		opts |= SW_KTS_ECN;
	/* the child's clock is tcp_clock_ms() + 0 (no offset), so the
	 * TSval must not be ahead of it */
	now = (__u32)(bpf_ktime_get_ns() / 1000000ULL);
	s->tsval = (now & ~((1u << SW_KTS_BITS) - 1)) | opts;
	if ((__s32)(s->tsval - now) > 0)
		s->tsval -= 1u << SW_KTS_BITS;
	s->tsecr = o->tsval;
}

/* Rewrite the SYN at p into the SYN-ACK s describes; XDP_TX. */
static __always_inline int sw_compat_synack(struct xdp_md *ctx,
					    struct sw_pkt *p,
					    const struct sw_synack *s,
					    const struct synwall_config *cfg,
					    struct synwall_stats *st)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 hdr[SW_TCP_HDR_WORDS];
	__u8 *b = (__u8 *)hdr;
	__u32 nwords, tcp_len, ip_len, new_len, old_len, l3_off, i;
	__u8 mac[2 * ETH_ALEN];
	__u8 flags = TCPF_SYN | TCPF_ACK;
	__u64 sum;

	if (data + 2 * ETH_ALEN > data_end)
		goto err;
	__builtin_memcpy(mac, data, 2 * ETH_ALEN);
	l3_off = p->l3_off;

	hdr[0] = (__u32)p->flow.dport | (__u32)p->flow.sport << 16;
	hdr[1] = bpf_htonl(s->cookie);
	hdr[2] = bpf_htonl(p->flow.isn + 1);
	b[20] = TCPOPT_MSS;
	b[21] = TCPOLEN_MSS;
	b[22] = s->mss_out >> 8;
	b[23] = s->mss_out & 0xff;
	nwords = 6;
	if (s->ts) {
		if (s->sack) {
			b[24] = TCPOPT_SACK_PERM;
			b[25] = TCPOLEN_SACK_PERM;
		} else {
			b[24] = TCPOPT_NOP;
			b[25] = TCPOPT_NOP;
		}
		b[26] = TCPOPT_TIMESTAMP;
		b[27] = TCPOLEN_TIMESTAMP;
		hdr[7] = bpf_htonl(s->tsval);
		hdr[8] = bpf_htonl(s->tsecr);
		nwords = 9;
		if (s->ws) {
			b[36] = TCPOPT_NOP;
			b[37] = TCPOPT_WINDOW;
			b[38] = TCPOLEN_WINDOW;
			b[39] = s->our_ws;
			nwords = 10;
		}
	}
	if (s->ecn)
		flags |= TCPF_ECE;
	hdr[3] = (__u32)(nwords << 4) | (__u32)flags << 8 |
		 (__u32)bpf_htons(cfg->window ? cfg->window :
						SYNWALL_WINDOW_DEFAULT)
			 << 16;
	hdr[4] = 0;

	tcp_len = nwords * 4;
	ip_len = p->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	if (p->v6) {
		sum = sw_csum_words(p->flow.saddr, 4, 0);
		sum = sw_csum_words(p->flow.daddr, 4, sum);
	} else {
		sum = (__u64)p->flow.saddr[0] + p->flow.daddr[0];
	}
	sum += bpf_htons(IPPROTO_TCP) + bpf_htons(tcp_len);
	sum = sw_csum_words(hdr, 6, sum);
#pragma unroll
	for (i = 6; i < SW_TCP_HDR_WORDS; i++)
		if (i < nwords)
			sum += hdr[i];
	hdr[4] = sw_csum_fold(sum);

	new_len = l3_off + ip_len + tcp_len;
	old_len = data_end - data;
	if (new_len != old_len &&
	    bpf_xdp_adjust_tail(ctx, (int)new_len - (int)old_len))
		goto err;
	/* keep clang from folding the two ctx loads into one with a
	 * computed offset, which the verifier refuses */
	asm volatile("" : "+r"(ctx));
	data = (void *)(long)ctx->data;
	asm volatile("" : "+r"(ctx));
	data_end = (void *)(long)ctx->data_end;
	l3_off &= 0x1f;

	if (data + 2 * ETH_ALEN > data_end)
		goto err;
	__builtin_memcpy(data, mac + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(data + ETH_ALEN, mac, ETH_ALEN);
	if (p->v6) {
		struct ipv6hdr *ip6 = data + l3_off;

		if ((void *)(ip6 + 1) > data_end)
			goto err;
		*(__u32 *)ip6 = bpf_htonl(6u << 28);
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
		ipw[0] = 0x45 | (__u32)bpf_htons(ip_len + tcp_len) << 16;
		ipw[1] = (__u32)bpf_htons(IP_DF) << 16;
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
	st->xdp_drop_synack_err++;
	return XDP_DROP;
}

static __always_inline int sw_opts(struct xdp_md *ctx, struct tcphdr *th,
				   void *data_end, const struct sw_pkt *p,
				   __u32 doff, struct sw_tcp_opts *o)
{
	if (sw_tcp_opts_fast((__u8 *)(th + 1), data_end, doff - sizeof(*th), o))
		return 0;
	return sw_compat_tcp_opts(ctx, p->l4_off + sizeof(*th),
				  doff - sizeof(*th), o);
}

SEC("xdp")
int synwall_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct synwall_config *cfg;
	struct synwall_compat_cfg *c;
	struct synwall_stats *st;
	struct sw_listener l = {};
	struct sw_synack s = {};
	struct sw_tcp_opts o;
	struct sw_pkt p = {};
	struct bpf_sock *sk;
	struct tcphdr *th;
	__u32 zero = 0, doff, mss_tab;
	int listener = 0, have_l = 0;
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
	cfg = bpf_map_lookup_elem(&config, &zero);
	c = bpf_map_lookup_elem(&compat, &zero);
	if (!cfg || !c)
		return XDP_PASS;

	switch (sw_compat_host(data, data_end, &p, c)) {
	case SW_CHOST_OK:
		break;
	case SW_CHOST_NOT_L2:
		st->xdp_pass_not_host++;
		return XDP_PASS;
	case SW_CHOST_MARTIAN:
		st->xdp_pass_martian++;
		return XDP_PASS;
	default:
		st->xdp_pass_not_local++;
		return XDP_PASS;
	}

	th = data + (p.l4_off & 0xff);
	if (p.seg_len < sizeof(*th) || (void *)(th + 1) > data_end)
		goto malformed;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > p.seg_len)
		goto malformed;
	flags = ((__u8 *)th)[13];

	/* a flow with a socket is the kernel's; else its listener's facts,
	 * read under the lookup's reference */
	sk = sw_skc_lookup(ctx, &p);
	if (sk) {
		if (sk->state != BPF_TCP_LISTEN) {
			bpf_sk_release(sk);
			st->xdp_pass_socket++;
			return XDP_PASS;
		}
		listener = 1;
		if ((flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
			have_l = sw_listener_read(sk, &l);
		bpf_sk_release(sk);
	}

	if ((flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
		if (!listener) {
			st->xdp_pass_no_listener++;
			return XDP_PASS;
		}
		if (flags & (TCPF_FIN | TCPF_RST))
			goto malformed;
		/* the kernel would refuse our cookie's ACK: its SYN-ACK
		 * (its own cookie, tcp_syncookies=2) renews the mark */
		if (!have_l || !sw_mark_fresh(&l, c)) {
			st->xdp_pass_syn_mark++;
			return XDP_PASS;
		}
		if (sw_opts(ctx, th, data_end, &p, doff, &o))
			goto malformed;
		if (sw_kcookie_gen(ctx, &p, doff, &s.cookie, &mss_tab)) {
			st->xdp_pass_syn_kernel++;
			return XDP_PASS;
		}
		p.flow.isn = bpf_ntohl(th->seq);
		sw_plan(&s, &o, flags, &l, mss_tab, cfg, c, p.v6);
		return sw_compat_synack(ctx, &p, &s, cfg, st);
	}
	if ((flags & TCPF_SYN) && (flags & (TCPF_FIN | TCPF_RST)))
		goto malformed;
	if (sw_opts(ctx, th, data_end, &p, doff, &o))
		goto malformed;
	if ((flags & (TCPF_ACK | TCPF_RST | TCPF_SYN)) == TCPF_ACK) {
		if (sw_kcookie_ok(ctx, &p)) {
			st->xdp_pass_cookie++;
			return XDP_PASS;
		}
		st->xdp_drop_bad_ack++;
		return XDP_DROP;
	}
	if (flags & TCPF_ACK && !(flags & TCPF_RST)) {
		st->xdp_drop_bad_ack++;
		return XDP_DROP;
	}
	st->xdp_drop_no_socket++;
	return XDP_DROP;

malformed:
	st->xdp_drop_malformed++;
	return XDP_DROP;
}

/*
 * The kernel's jiffies, for the loader: it runs this twice, a known time
 * apart, to learn HZ (sw_mark_fresh() compares jiffies, and no kernel
 * exports HZ to BPF or to user space).
 */
SEC("syscall")
int synwall_jiffies(void *ctx)
{
	return (int)(__u32)bpf_jiffies64();
}
