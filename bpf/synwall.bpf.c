// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * synwall: XDP SYN-cookie front end and TC handoff to the local TCP stack.
 *
 * The XDP program answers SYNs to protected ports with cookie SYN-ACKs
 * (XDP_TX) and checks final ACKs, so that no SYN and no forged ACK costs
 * the kernel a socket.  A valid ACK is passed with metadata to the TC
 * program, which turns it into a socket of the listener with
 * bpf_sk_assign_tcp_reqsk().  The contract is docs/datapath.md and
 * docs/handoff.md.
 *
 * Per packet: array lookups, socket lookups, per-CPU counters, no
 * per-connection state, no atomics and no writes to shared memory -- but
 * once: the first ACK that finds no metadata room arms TC's re-check flag
 * in dp_state (sw_pass_nometa).
 *
 * This file holds both programs' decisions; the parts they call are
 * header-only, one responsibility each:
 *
 *   maps.h        the maps of the ABI (both objects have them)
 *   maps_full.h   this object's own maps (per-CPU scratch state)
 *   verdict.h     verdict reasons (= counters) and the one exit that counts
 *   parse.h       Ethernet/VLAN, IPv4/IPv6, up to the TCP ports
 *   tcp_opts.h    TCP options
 *   config.h      port check, cookie clock, config defaults
 *   host.h        is the packet addressed to this host?
 *   socket.h      socket and listener lookup
 *   flows.h       the flow table, and the socket events that keep it
 *   listeners.h   the listener table (who listens, for SYNs)
 *   flood.h       flood detector (cookies only under flood)
 *   synack.h      the cookie SYN-ACK
 *   ack.h         the final ACK's cookie check and handoff metadata
 *   tc_handoff.h  the TC side: bpf_sk_assign_tcp_reqsk()
 *
 * The cookie itself (SipHash, encodings) is include/synwall/cookie.h,
 * shared with the tests; the layouts of the maps are include/synwall/abi.h.
 */
/* vmlinux.h has a typedef named "config": keep the name for our map */
#define config sw_vmlinux_config_t
#include "vmlinux.h"
#undef config
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <synwall/abi.h>
#include <synwall/cookie.h>
#include "maps.h"
#include "maps_full.h"
#include "verdict.h"
#include "parse.h"
#include "tcp_opts.h"
#include "config.h"
#include "host.h"
#include "socket.h"
#include "flows.h"
#include "flood.h"
#include "synack.h"
#include "ack.h"
#include "tc_handoff.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- XDP: answer SYNs, check final ACKs -------------------------------- */

/*
 * What socket the segment p has, where the flow table could not say
 * (fl == SW_FLOW_ASK: the socket lookup) or, for a SYN the trusted table
 * has no socket for, who listens: the listener table's answer (the lookup
 * again where only device-bound listeners match, or where an SK_LOOKUP
 * program of the namespace may answer otherwise than the table).  The caller decides a
 * trusted miss of any other segment itself ("no socket, a listener at
 * most": no call).  A global function: verified once on its own, its
 * answer one unknown value in the caller (inlined, each of its ways would
 * be verified through all of the SYN and ACK paths).
 */
__attribute__((noinline)) int sw_sock_of(struct xdp_md *ctx, struct sw_pkt *p,
					 int fl)
{
	if (!p)
		return SW_SK_NONE;
	if (fl == SW_FLOW_ASK || sw_sk_lookup_attached(ctx))
		return sw_socket_of(ctx, p);
	switch (sw_listener_of(p)) {
	case SW_LISTEN_YES:
		return SW_SK_LISTENER;
	case SW_LISTEN_NONE:
		return SW_SK_NONE;
	default:
		return sw_socket_of(ctx, p);
	}
}

/*
 * Why the XDP program returns what it returns, for the packet at ctx;
 * *missed set where --verify-flows found a socket the trusted flow table
 * missed (sw_xdp_verdict() below turns such a drop into a pass).
 */
static __always_inline enum sw_reason sw_xdp_judge(struct xdp_md *ctx,
						   int *missed)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct synwall_config *cfg;
	struct synwall_keys *k;
	struct sw_tcp_opts o;
	struct sw_pkt p = {};
	enum sw_host_res host;
	enum sw_reason r;
	struct tcphdr *th;
	enum sw_flow_res fl;
	enum sw_sk_res sk;
	__u32 zero = 0, doff;
	__u8 flags;
	int syn;

	r = sw_xdp_protected_tcp(data, data_end, &p);
	if (r != SW_R_NONE)
		return r;
	/* the common case first: a segment of a flow that has a socket */
	fl = sw_flow_segment(data, data_end, &p);
	if (fl == SW_FLOW_SOCKET)
		return SW_R_xdp_pass_flow;
	/* only traffic to protected ports needs the keys and the config */
	cfg = bpf_map_lookup_elem(&config, &zero);
	k = bpf_map_lookup_elem(&keys, &zero);
	if (!cfg || !k || !k->generation || !k->installed_at[k->current & 1])
		return SW_R_xdp_pass_unkeyed;

	/* not for a local socket: the kernel's, untouched */
	host = sw_for_host(ctx, &p);
	if (host != SW_HOST_OK)
		return sw_host_reason(host);

	/* malformed TCP to a protected port is ours to drop */
	th = sw_tcp_hdr(data, data_end, &p, &doff, &flags);
	if (!th)
		return SW_R_xdp_drop_malformed;

	/*
	 * A segment of a flow that has a socket is the kernel's, whatever its
	 * flags and options: established and time-wait sockets (a SYN
	 * reusing a TIME_WAIT 4-tuple: only the kernel can recycle it; a
	 * cookie would be answered by the old socket) and request sockets.
	 */
	syn = (flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	/* a trusted miss of any other segment needs no call (~5 ns, the
	 * forged-ACK flood's case): no socket, a listener at most, and the
	 * kernel-cookie gate is the table's (fl, below) */
	sk = SW_SK_LISTENER;
	/*
	 * --verify-flows: a trusted miss checked against the kernel's own
	 * lookup.  A socket found is a missed flow only where the table's
	 * answer would have hurt it (a drop, a cookie SYN-ACK): a segment
	 * that still carries a valid cookie goes to TC, which finds the
	 * socket, as a fresh child's first segments do before the hook has
	 * written its entry (flows.h).
	 */
	*missed = fl != SW_FLOW_ASK && (cfg->flags & SYNWALL_CF_VERIFY_FLOWS) &&
		  sw_sock_of(ctx, &p, SW_FLOW_ASK) == SW_SK_FLOW;
	if (fl == SW_FLOW_ASK || syn)
		sk = sw_sock_of(ctx, &p, fl);
	if (sk == SW_SK_FLOW)
		return SW_R_xdp_pass_socket;

	if (syn) {
		/* nothing listens: the kernel answers RST */
		if (sk == SW_SK_NONE)
			return SW_R_xdp_pass_no_listener;
		if (flags & (TCPF_FIN | TCPF_RST))
			return SW_R_xdp_drop_malformed;
		/* no flood: the kernel's stateful handshake (every option) */
		if (cfg->cookies != SYNWALL_COOKIES_ALWAYS && !sw_flood(cfg))
			return SW_R_xdp_pass_syn_kernel;
		if (sw_xdp_opts(ctx, th, data_end, &p, doff, &o))
			return SW_R_xdp_drop_malformed;
		/* not a drop, but the SYN-ACK would answer for the socket */
		if (*missed)
			return SW_R_xdp_pass_flow_missed;
		p.flow.isn = bpf_ntohl(th->seq);
		return sw_send_synack(ctx, &p, &o, flags, cfg, k);
	}
	if ((flags & TCPF_SYN) && (flags & (TCPF_FIN | TCPF_RST)))
		return SW_R_xdp_drop_malformed;
	/* options are judged only here: no socket will take this segment */
	if (sw_xdp_opts(ctx, th, data_end, &p, doff, &o))
		return SW_R_xdp_drop_malformed;
	if ((flags & (TCPF_ACK | TCPF_RST | TCPF_SYN)) == TCPF_ACK) {
		__u32 ack_seq = bpf_ntohl(th->ack_seq);

		if (sw_ack_cookie_ok(cfg, k, &p, &o, bpf_ntohl(th->seq),
				     ack_seq))
			return sw_pass_cookie(ctx, ack_seq - 1, &o, p.v6, cfg);
		/* the kernel's own check only where the kernel could accept:
		 * its listener overflowed lately (it costs ~45 ns) */
		if ((sk == SW_SK_LISTENER_COOKIES ||
		     fl == SW_FLOW_NONE_KCOOKIE) &&
		    sw_kernel_cookie(data, data_end, &p, th))
			return SW_R_xdp_pass_kernel_cookie;
		return SW_R_xdp_drop_bad_ack;
	}
	if (flags & TCPF_ACK && !(flags & TCPF_RST)) {
		/* SYN-ACK to a protected port with no socket */
		return SW_R_xdp_drop_bad_ack;
	}
	return SW_R_xdp_drop_no_socket;
}

/*
 * The verdict, and the differential mode's one say in it: a drop of a
 * segment whose socket the trusted table missed (--verify-flows) goes to
 * that socket instead, counted as a missed flow.
 */
static __always_inline enum sw_reason sw_xdp_verdict(struct xdp_md *ctx)
{
	int missed = 0;
	enum sw_reason r = sw_xdp_judge(ctx, &missed);

	if (missed && r < SW_R_XDP_END &&
	    (SW_XDP_ACTION_MASK(XDP_DROP) >> r & 1))
		return SW_R_xdp_pass_flow_missed;
	return r;
}

SEC("xdp")
int synwall_xdp(struct xdp_md *ctx)
{
	return sw_xdp_exit(sw_xdp_verdict(ctx));
}

/* ---- TC: hand validated ACKs to the listener ---------------------------- */

/*
 * Why the TC program acted on the packet at skb, or SW_R_NONE: not a
 * handoff candidate (established traffic, no metadata and not armed).
 */
static __always_inline enum sw_reason sw_tc_verdict(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct synwall_meta *mp = (void *)(long)skb->data_meta;
	struct synwall_dp_state *dp;
	struct synwall_meta m = {};
	struct bpf_sock *skc;
	struct sw_pkt p = {};
	__u32 zero = 0;
	int meta_ok = 0, r;

	/* The common case (established traffic, metadata-capable driver)
	 * ends after the dp_state lookup: no metadata and not armed. */
	if ((void *)(mp + 1) <= data && mp->magic == SYNWALL_META_MAGIC) {
		__builtin_memcpy(&m, mp, sizeof(m));
		meta_ok = 1;
	}
	dp = bpf_map_lookup_elem(&dp_state, &zero);
	if (!dp)
		return SW_R_NONE;
	if (!meta_ok && !(dp->flags & SYNWALL_DP_TC_RECHECK))
		return SW_R_NONE;

	if (sw_parse(data, data_end, &p) != SW_PARSE_TCP)
		return SW_R_NONE;

	if (meta_ok) {
		struct tcphdr *th = data + (p.l4_off & 0xff);

		/* the metadata must describe this very ACK */
		if ((void *)(th + 1) > data_end ||
		    bpf_ntohl(th->ack_seq) - 1 != m.cookie)
			meta_ok = 0;
	}
	if (!meta_ok && (!(dp->flags & SYNWALL_DP_TC_RECHECK) ||
			 !sw_port_protected(p.flow.dport)))
		return SW_R_NONE;

	skc = sw_skc_lookup(skb, &p);
	if (!meta_ok) {
		/* the fallback: no metadata, armed */
		if (skc && skc->state != BPF_TCP_LISTEN) {
			/* established traffic: not ours, not counted */
			bpf_sk_release(skc);
			return SW_R_NONE;
		}
		r = sw_tc_recheck(skb, &p, &m);
		if (r <= 0) {
			if (skc)
				bpf_sk_release(skc);
			return r == 0 ? SW_R_tc_bad_cookie : SW_R_NONE;
		}
	}
	return sw_tc_handoff(skb, skc, &p, &m);
}

SEC("tc")
int synwall_tc(struct __sk_buff *skb)
{
	return sw_tc_exit(sw_tc_verdict(skb));
}

/* ---- the flow table's writers (flows.h) --------------------------------- */

/*
 * The flow table's writers that need kernel function hooks (fentry) are in
 * synwall_hooks.bpf.c, an object of their own: not every kernel lets a
 * program attach there, and `ip link` loads every program of this one.
 *
 * Each writer of a socket event comes twice.  The kernel does not run a
 * tracing program inside itself on one CPU: a socket event in a softirq
 * that interrupts the program's run for another socket in process context
 * would be missed (counted in the program's recursion_misses), and the
 * table trusted with a socket missing.  Of two programs on one hook one
 * is always free; both write the same entry, which is idempotent.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(synwall_flow_trace, const struct sock *sk, int oldstate,
	     int newstate)
{
	sw_flow_state_change(sk, oldstate, newstate);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(synwall_flow_trace2, const struct sock *sk, int oldstate,
	     int newstate)
{
	sw_flow_state_change(sk, oldstate, newstate);
	return 0;
}

SEC("iter/tcp")
int synwall_flow_seed(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (skc)
		sw_flow_seed_one(skc);
	return 0;
}
