/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The TC ingress program's work: the handoff of a cookie-validated ACK to
 * the local TCP stack (docs/handoff.md).  Its entry point, synwall_tc, is
 * in synwall.bpf.c.
 *
 * For an ACK that the XDP program validated, XDP leaves a struct
 * synwall_meta in front of the packet.  The TC program finds the listener
 * of the ACK's destination and calls bpf_sk_assign_tcp_reqsk() with the
 * handshake parameters the cookie remembered.  The kernel then builds the
 * request socket from them (cookie_bpf_check), skipping its own cookie
 * check, and the ACK completes the connection.
 *
 * Without metadata (a driver whose XDP has no metadata room) the program
 * can rest on nothing but the packet: when armed (SYNWALL_DP_TC_RECHECK in
 * the data path's own dp_state map), it re-checks the cookie of every
 * socket-less ACK to a protected port with the same header (cookie.h) and
 * keys map as XDP.
 * Unarmed, a packet without metadata costs one inlined array lookup.
 *
 * The program never drops: a packet it cannot hand off goes on to the
 * kernel, which answers as it would without synwall (normally a RST).
 */
#ifndef SYNWALL_TC_HANDOFF_H
#define SYNWALL_TC_HANDOFF_H

#include <synwall/abi.h>
#include "ack.h"
#include "config.h"
#include "maps.h"
#include "maps_full.h"
#include "parse.h"
#include "tcp_opts.h"
#include "verdict.h"

#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif

/*
 * Two cookie segments of one flow in one receive batch (the final ACK and
 * the first data segment) both reach TC before TCP has processed the
 * first; handing off both makes the kernel drop the second, and the client
 * must retransmit it.  The second is instead left unassigned: TCP then
 * finds the socket that the first has just created.  The last handoff is
 * remembered per CPU (map recent_handoff): a flow's packets of one batch
 * are handled on one CPU.  A batch is handled within microseconds; a
 * retransmission comes 200 ms later or more.
 */
#define SW_BATCH_WINDOW_NS 1000000ULL

extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs,
				   int attrs__sz) __ksym;

/*
 * The handoff proper.  m holds the validated handshake parameters (from
 * XDP's metadata, or rebuilt from the packet).  skc is the socket the
 * lookup found, or NULL; its reference is released here.
 */
static __always_inline enum sw_reason
sw_tc_handoff(struct __sk_buff *skb, struct bpf_sock *skc,
	      const struct sw_pkt *p, const struct synwall_meta *m)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct sw_recent_handoff *recent;
	struct tcp_sock *tp;
	__u64 flow, now;
	__u32 zero = 0;
	int err;

	if (!skc) {
		/* nobody listens: the kernel will answer with a RST */
		return SW_R_tc_no_listener;
	}
	if (skc->state != BPF_TCP_LISTEN) {
		/* established, time-wait or request socket: a duplicate ACK */
		bpf_sk_release(skc);
		return SW_R_tc_has_socket;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp) {
		bpf_sk_release(skc);
		return SW_R_tc_err_other;
	}

	/*
	 * The same flow handed off a moment ago on this CPU: its socket is
	 * being created by TCP right behind us.  Unless the listener's accept
	 * queue is full (the first may then fail, and this one must be able
	 * to complete the handshake), leave this segment to that socket.
	 */
	flow = (__u64)m->cookie << 32 | (__u32)p->flow.sport << 16 |
	       p->flow.dport;
	now = bpf_ktime_get_ns();
	recent = bpf_map_lookup_elem(&recent_handoff, &zero);
	if (recent && recent->flow == flow &&
	    now - recent->at_ns < SW_BATCH_WINDOW_NS &&
	    tp->inet_conn.icsk_inet.sk.sk_ack_backlog <
		    tp->inet_conn.icsk_inet.sk.sk_max_ack_backlog) {
		bpf_sk_release(skc);
		return SW_R_tc_dup_batch;
	}

	attrs.mss = m->mss;
	if (m->flags & SYNWALL_MF_TSTAMP) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = m->tsval;
		/*
		 * The kernel sets the child's ts_off so that its TSvals go on
		 * from the value the client echoed: our SYN-ACK's TSval.
		 */
		attrs.rcv_tsecr = m->tsecr;
	}
	/*
	 * SACK, ECN and both window scales are the option bits of our
	 * SYN-ACK's TSval, or (no timestamp) the cookie's option code and
	 * config.wscale, all under the cookie's MAC (cookie.h): an ACK that
	 * edits them fails the check and never gets here.  So rcv_wscale is
	 * the scale our SYN-ACK advertised and ECN is on only where synwall
	 * agreed to it (the client asked, SYNWALL_CF_NO_ECN clear, with
	 * timestamps): never the wire's.
	 */
	if (m->flags & SYNWALL_MF_SACK)
		attrs.sack_ok = 1;
	if ((m->flags & SYNWALL_MF_ECN) && (m->flags & SYNWALL_MF_TSTAMP))
		attrs.ecn_ok = 1;
	if (m->flags & SYNWALL_MF_WSCALE) {
		attrs.wscale_ok = 1;
		attrs.snd_wscale = m->snd_wscale;
		attrs.rcv_wscale = m->rcv_wscale;
	}
	/* usec_ts_ok stays 0: our TSval clock counts milliseconds */

	err = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &attrs,
				      sizeof(attrs));
	bpf_sk_release(skc);

	switch (err) {
	case 0:
		if (recent) {
			recent->flow = flow;
			recent->at_ns = now;
		}
		return SW_R_tc_handoff_ok;
	case -EINVAL:
		/* attrs refused: a sysctl off (tcp_sack, tcp_timestamps,
		 * tcp_window_scaling), MSS below the minimum, not a listener,
		 * or an MPTCP listener */
		return SW_R_tc_err_einval;
	case -ENOENT:
		return SW_R_tc_err_enoent;
	case -ENOMEM:
		return SW_R_tc_err_enomem;
	default:
		/* -ENETUNREACH (listener in another netns), -EOPNOTSUPP */
		return SW_R_tc_err_other;
	}
}

/*
 * No metadata: rebuild what XDP would have written, from the packet
 * alone.  Only for a socket-less ACK (no SYN, no RST) to a protected port
 * with a key installed.  Returns 1 and fills m when the cookie is valid,
 * 0 when it is not, -1 when the packet is no candidate (not a bare ACK,
 * malformed, no key).  A global function: the verifier checks it once,
 * apart from the main program (one MAC per address family).
 */
__attribute__((noinline)) int
sw_tc_recheck(struct __sk_buff *skb, struct sw_pkt *p, struct synwall_meta *m)
{
	struct synwall_config *cfg;
	struct synwall_keys *k;
	struct sw_tcp_opts o;
	struct tcphdr th;
	__u32 zero = 0, doff, l4_off;
	__u8 flags;

	if (!p || !m)
		return -1;
	l4_off = p->l4_off;
	if (l4_off > 128 || p->seg_len < sizeof(th))
		return -1;
	if (bpf_skb_load_bytes(skb, l4_off, &th, sizeof(th)))
		return -1;
	doff = th.doff * 4;
	if (doff < sizeof(th) || doff > p->seg_len)
		return -1;
	flags = ((__u8 *)&th)[13];
	if ((flags & (TCPF_ACK | TCPF_RST | TCPF_SYN)) != TCPF_ACK)
		return -1;
	if (sw_tc_tcp_opts(skb, l4_off + sizeof(th), doff - sizeof(th), &o))
		return -1;

	cfg = bpf_map_lookup_elem(&config, &zero);
	k = bpf_map_lookup_elem(&keys, &zero);
	if (!cfg || !k || !k->generation)
		return -1;
	if (!sw_ack_cookie_ok(cfg, k, p, &o, bpf_ntohl(th.seq),
			      bpf_ntohl(th.ack_seq)))
		return 0;

	sw_meta_fill(m, bpf_ntohl(th.ack_seq) - 1, &o, p->v6, cfg);
	return 1;
}

#endif /* SYNWALL_TC_HANDOFF_H */
