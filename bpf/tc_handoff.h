/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * synwall TC ingress program: the handoff of a cookie-validated ACK to the
 * local TCP stack (docs/handoff.md).
 *
 * Included at the end of bpf/synwall.bpf.c, so it shares that object's
 * maps (config, ports, keys, stats, dp_state) and is loaded with it.
 *
 * For an ACK that the XDP program validated, XDP leaves a struct
 * synwall_meta in front of the packet.  This program finds the listener
 * of the ACK's destination and calls bpf_sk_assign_tcp_reqsk() with the
 * handshake parameters the cookie remembered.  The kernel then builds the
 * request socket from them (cookie_bpf_check), skipping its own cookie
 * check, and the ACK completes the connection.
 *
 * Without metadata (a driver whose XDP has no metadata room) the program
 * can rest on nothing but the packet: when armed (SYNWALL_DP_TC_RECHECK in
 * the data path's own dp_state map), it re-checks the cookie of every socket-less ACK to a
 * protected port with the same header (cookie.h) and keys map as XDP.
 * Unarmed, a packet without metadata costs one inlined array lookup.
 *
 * The program never drops: a packet it cannot hand off goes on to the
 * kernel, which answers as it would without synwall (normally a RST).
 */
#ifndef SYNWALL_TC_HANDOFF_H
#define SYNWALL_TC_HANDOFF_H

#ifndef TC_ACT_OK
#define TC_ACT_OK 0
#endif

#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif

/* the option walk of parse.h, verified once as a global function */
SW_DEFINE_OPTS_PARSER(sw_tc_tcp_opts, struct __sk_buff, bpf_skb_load_bytes)

/*
 * The last handoff on this CPU: which flow (cookie and ports) and when.
 * Two cookie segments of one flow in one receive batch (the final ACK and
 * the first data segment) both reach TC before TCP has processed the
 * first; handing off both makes the kernel drop the second, and the client
 * must retransmit it.  The second is instead left unassigned: TCP then
 * finds the socket that the first has just created.  One entry per CPU is
 * enough: a flow's packets of one batch are handled on one CPU.
 */
struct sw_recent_handoff {
	__u64 flow;
	__u64 at_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_recent_handoff);
} recent_handoff SEC(".maps");

/* a batch is handled within microseconds; a retransmission comes >= 200 ms later */
#define SW_BATCH_WINDOW_NS 1000000ULL

extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs,
				   int attrs__sz) __ksym;

/*
 * The handoff proper.  m holds the validated handshake parameters (from
 * XDP's metadata, or rebuilt from the packet).  skc is the socket the
 * lookup found, or NULL; its reference is released here.
 */
static __always_inline int sw_tc_handoff(struct __sk_buff *skb,
					 struct bpf_sock *skc,
					 const struct sw_pkt *p,
					 const struct synwall_meta *m,
					 struct synwall_stats *st)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct sw_recent_handoff *recent;
	struct tcp_sock *tp;
	__u64 flow, now;
	__u32 zero = 0;
	int err;

	if (!skc) {
		/* nobody listens: the kernel will answer with a RST */
		st->tc_no_listener++;
		return TC_ACT_OK;
	}
	if (skc->state != BPF_TCP_LISTEN) {
		/* established, time-wait or request socket: a duplicate ACK */
		st->tc_has_socket++;
		bpf_sk_release(skc);
		return TC_ACT_OK;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp) {
		st->tc_err_other++;
		bpf_sk_release(skc);
		return TC_ACT_OK;
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
		st->tc_dup_batch++;
		bpf_sk_release(skc);
		return TC_ACT_OK;
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
		st->tc_handoff_ok++;
		if (recent) {
			recent->flow = flow;
			recent->at_ns = now;
		}
		break;
	case -EINVAL:
		/* attrs refused: a sysctl off (tcp_sack, tcp_timestamps,
		 * tcp_window_scaling), MSS below the minimum, not a listener,
		 * or an MPTCP listener */
		st->tc_err_einval++;
		break;
	case -ENOENT:
		st->tc_err_enoent++;
		break;
	case -ENOMEM:
		st->tc_err_enomem++;
		break;
	default:
		/* -ENETUNREACH (listener in another netns), -EOPNOTSUPP */
		st->tc_err_other++;
		break;
	}
	return TC_ACT_OK;
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

SEC("tc")
int synwall_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct synwall_meta *mp = (void *)(long)skb->data_meta;
	struct synwall_dp_state *dp;
	struct synwall_stats *st;
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
		return TC_ACT_OK;
	if (!meta_ok && !(dp->flags & SYNWALL_DP_TC_RECHECK))
		return TC_ACT_OK;

	if (sw_parse(data, data_end, &p) != SW_PARSE_TCP)
		return TC_ACT_OK;

	if (meta_ok) {
		struct tcphdr *th = data + (p.l4_off & 0xff);

		/* the metadata must describe this very ACK */
		if ((void *)(th + 1) > data_end ||
		    bpf_ntohl(th->ack_seq) - 1 != m.cookie)
			meta_ok = 0;
	}
	if (!meta_ok && (!(dp->flags & SYNWALL_DP_TC_RECHECK) ||
			 !sw_port_protected(p.flow.dport)))
		return TC_ACT_OK;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return TC_ACT_OK;

	skc = sw_skc_lookup(skb, &p);
	if (!meta_ok) {
		/* the fallback: no metadata, armed */
		if (skc && skc->state != BPF_TCP_LISTEN) {
			/* established traffic: not ours, not counted */
			bpf_sk_release(skc);
			return TC_ACT_OK;
		}
		r = sw_tc_recheck(skb, &p, &m);
		if (r <= 0) {
			if (r == 0)
				st->tc_bad_cookie++;
			if (skc)
				bpf_sk_release(skc);
			return TC_ACT_OK;
		}
	}
	return sw_tc_handoff(skb, skc, &p, &m, st);
}

#endif /* SYNWALL_TC_HANDOFF_H */
