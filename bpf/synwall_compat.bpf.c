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
 *
 * The parts are the full object's headers where they load on 6.0 (the
 * ABI's maps, the verdicts and their one exit, parsing, options, config,
 * the socket lookup, the SYN-ACK writer), and its own:
 *
 *   maps_compat.h      the compat and local_addrs maps
 *   compat_host.h      is the packet addressed to this host (a snapshot)
 *   compat_listener.h  what the kernel will do with the cookie's ACK
 */
/* vmlinux.h has a typedef named "config": keep the name for our map */
#define config sw_vmlinux_config_t
#include "vmlinux.h"
#undef config
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <synwall/abi.h>
#include <synwall/compat.h>
#include "maps.h"
#include "maps_compat.h"
#include "verdict.h"
#include "parse.h"
#include "tcp_opts.h"
#include "config.h"
#include "compat_host.h"
#include "socket.h"
#include "compat_listener.h"
#include "synack.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* cookie_init_timestamp(): the low 6 bits of the TSval carry options */
#define SW_KTS_WSCALE_MASK 0xf
#define SW_KTS_SACK (1u << 4)
#define SW_KTS_ECN (1u << 5)
#define SW_KTS_BITS 6

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
 * The layout is synack.h's: the full object's SYN-ACK with the kernel's
 * cookie and the kernel's TSval encoding.
 */
static __always_inline void
sw_kplan(struct sw_synack *sa, const struct sw_pkt *p,
	 const struct sw_tcp_opts *o, __u8 syn_flags,
	 const struct sw_listener *l, __u32 mss_tab,
	 const struct synwall_config *cfg, const struct synwall_compat_cfg *c)
{
	__u32 cfg_mss = sw_cfg_mss(cfg, p->v6), opts, now;
	int ecn;

	sa->ack = p->flow.isn + 1;
	sa->mss = o->mss && o->mss < cfg_mss ? o->mss : cfg_mss;
	sa->window = sw_cfg_window(cfg);
	sa->ttl = sw_cfg_ttl(cfg);
	sa->ts = o->ts_ok && l->timestamps == 2;
	sa->ws = sa->ts && o->wscale != SW_WS_NONE && l->wscaling;
	sa->sack = sa->ts && o->sack_ok && l->sack;
	ecn = sa->ts && l->ecn && !(cfg->flags & SYNWALL_CF_NO_ECN) &&
	      (syn_flags & (TCPF_ECE | TCPF_CWR)) == (TCPF_ECE | TCPF_CWR);
	sa->flags = TCPF_SYN | TCPF_ACK | (ecn ? TCPF_ECE : 0);
	sa->wscale = sa->ws ? sw_child_wscale(l, mss_tab, c->rmem_max) : 0;
	sa->tsval = 0;
	sa->tsecr = 0;
	if (!sa->ts)
		return;
	opts = sa->ws ? o->wscale : SW_KTS_WSCALE_MASK;
	if (sa->sack)
		opts |= SW_KTS_SACK;
	if (ecn)
		opts |= SW_KTS_ECN;
	/* the child's clock is tcp_clock_ms() + 0 (no offset), so the
	 * TSval must not be ahead of it */
	now = (__u32)(bpf_ktime_get_ns() / NSEC_PER_MSEC);
	sa->tsval = (now & ~((1u << SW_KTS_BITS) - 1)) | opts;
	if ((__s32)(sa->tsval - now) > 0)
		sa->tsval -= 1u << SW_KTS_BITS;
	sa->tsecr = o->tsval;
}

/* Why the degraded XDP program returns what it returns, for ctx's packet. */
static __always_inline enum sw_reason sw_compat_verdict(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct synwall_config *cfg;
	struct synwall_compat_cfg *c;
	struct sw_listener l = {};
	struct sw_synack sa = {};
	enum sw_host_res host;
	enum sw_reason r;
	struct sw_tcp_opts o;
	struct sw_pkt p = {};
	struct bpf_sock *sk;
	struct tcphdr *th;
	__u32 zero = 0, doff, mss_tab;
	int listener = 0, have_l = 0;
	__u8 flags;

	r = sw_xdp_protected_tcp(data, data_end, &p);
	if (r != SW_R_NONE)
		return r;
	/* never missing (one-entry arrays): what the full object's missing
	 * config or keys count as */
	cfg = bpf_map_lookup_elem(&config, &zero);
	c = bpf_map_lookup_elem(&compat, &zero);
	if (!cfg || !c)
		return SW_R_xdp_pass_unkeyed;

	host = sw_compat_host(data, data_end, &p, c);
	if (host != SW_HOST_OK)
		return sw_host_reason(host);

	th = sw_tcp_hdr(data, data_end, &p, &doff, &flags);
	if (!th)
		return SW_R_xdp_drop_malformed;

	/* a flow with a socket is the kernel's; else its listener's facts,
	 * read under the lookup's reference */
	sk = sw_skc_lookup(ctx, &p);
	if (sk) {
		if (sk->state != BPF_TCP_LISTEN) {
			bpf_sk_release(sk);
			return SW_R_xdp_pass_socket;
		}
		listener = 1;
		if ((flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
			have_l = sw_listener_read(sk, &l);
		bpf_sk_release(sk);
	}

	if ((flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
		if (!listener)
			return SW_R_xdp_pass_no_listener;
		if (flags & (TCPF_FIN | TCPF_RST))
			return SW_R_xdp_drop_malformed;
		/* the kernel would refuse our cookie's ACK: its SYN-ACK
		 * (its own cookie, tcp_syncookies=2) renews the mark */
		if (!have_l || !sw_mark_fresh(&l, c))
			return SW_R_xdp_pass_syn_mark;
		if (sw_xdp_opts(ctx, th, data_end, &p, doff, &o))
			return SW_R_xdp_drop_malformed;
		if (sw_kcookie_gen(ctx, &p, doff, &sa.cookie, &mss_tab))
			return SW_R_xdp_pass_syn_kernel;
		p.flow.isn = bpf_ntohl(th->seq);
		sw_kplan(&sa, &p, &o, flags, &l, mss_tab, cfg, c);
		return sw_synack_write(ctx, &p, &sa);
	}
	if ((flags & TCPF_SYN) && (flags & (TCPF_FIN | TCPF_RST)))
		return SW_R_xdp_drop_malformed;
	if (sw_xdp_opts(ctx, th, data_end, &p, doff, &o))
		return SW_R_xdp_drop_malformed;
	if ((flags & (TCPF_ACK | TCPF_RST | TCPF_SYN)) == TCPF_ACK)
		return sw_kcookie_ok(ctx, &p) ? SW_R_xdp_pass_cookie :
						SW_R_xdp_drop_bad_ack;
	if (flags & TCPF_ACK && !(flags & TCPF_RST))
		return SW_R_xdp_drop_bad_ack;
	return SW_R_xdp_drop_no_socket;
}

SEC("xdp")
int synwall_xdp(struct xdp_md *ctx)
{
	return sw_xdp_exit(sw_compat_verdict(ctx));
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
