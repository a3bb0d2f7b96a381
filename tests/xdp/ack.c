// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: the third ACK (valid, bad, aged, rotated keys, unkeyed).
 */
#include "xdp.h"

int handshake(const struct swt_pkt *syn, const struct swt_synopts *o,
	      __u32 t_syn, __u32 t_ack, __u32 ifindex)
{
	struct synwall_meta m;
	struct swt_pkt ack;
	__u32 ck, tsv;

	TRY(set_time(t_syn));
	TRY(swt_sub(expect_synack(syn, o, &ck, &tsv), "SYN"));
	TRY(set_time(t_ack));
	swt_make_ack(syn, ck, o->ts, o->tsval + 7, tsv, &ack);
	want_meta(&m, ck, syn->v6, o, o->ts, o->tsval + 7, tsv);
	TRY(swt_sub(expect_cookie_ack(&ack, &m, ifindex), "ACK"));
	/* the same ACK with its options laid out as Linux does not */
	ack.optlen = 0;
	if (o->ts) {
		swt_opt_ts(&ack, o->tsval + 7, tsv);
		swt_opt_raw(&ack, "\0\0", 2); /* EOL padding */
	} else {
		swt_opt_raw(&ack, "\x01\x01\x01\x00", 4);
	}
	return swt_sub(expect_cookie_ack(&ack, &m, ifindex),
		       "ACK, other layout");
}

int t_ack_valid(long v6)
{
	struct swt_pkt p;
	struct swt_synopts o;

	/* Linux options: TS, WS, SACK survive in the TSval */
	syn_linux(&p, &o, v6, 1460);
	TRY(swt_sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "Linux options"));
	/* MSS only, no TS: the MSS and the cookie, nothing else */
	syn_bare(&p, &o, v6);
	swt_opt_mss(&p, 1380);
	o.mss = 1380;
	p.sport++;
	TRY(swt_sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "MSS only"));
	/* no options at all: the default MSS */
	syn_bare(&p, &o, v6);
	p.sport += 2;
	TRY(swt_sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "no options"));
	/* TS without WS and SACK: no WSCALE, no SACK */
	syn_bare(&p, &o, v6);
	swt_opt_mss(&p, 8960);
	swt_opt_nop(&p);
	swt_opt_nop(&p);
	swt_opt_ts(&p, 0xfffffff0, 0);
	o = (struct swt_synopts){
		.mss = 8960, .ws = -1, .ts = true, .tsval = 0xfffffff0};
	p.sport += 3;
	TRY(swt_sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "TS only"));
	/* ECN and WS 0 */
	syn_bare(&p, &o, v6);
	swt_opt_linux_syn(&p, 1220, 77, 0);
	o = (struct swt_synopts){.mss = 1220,
				 .ws = 0,
				 .sack = true,
				 .ts = true,
				 .tsval = 77,
				 .ecn = true};
	p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
	p.sport += 4;
	return swt_sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "ECN, WS 0");
}

int t_wscale_above_14(void)
{
	static const __u8 ws[] = {14, 15, 16, 255};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	/*
	 * RFC 7323 2.3: a shift above 14 is used as 14.  15 is also the
	 * TSval's "no window scale" code: it must not read as "none".
	 */
	for (i = 0; i < 2 * sizeof(ws); i++) {
		__u8 w = ws[i % sizeof(ws)];
		bool linux_layout = i < sizeof(ws);

		swt_pkt_init(&p, i & 1);
		if (linux_layout) {
			swt_opt_linux_syn(&p, 1460, CLIENT_TSVAL, w);
		} else {
			swt_opt_ws(&p, w);
			swt_opt_nop(&p);
			swt_opt_mss(&p, 1460);
			swt_opt_sackperm(&p);
			swt_opt_ts(&p, CLIENT_TSVAL, 0);
		}
		p.sport += i;
		o = (struct swt_synopts){.mss = 1460,
					 .ws = w,
					 .sack = true,
					 .ts = true,
					 .tsval = CLIENT_TSVAL};
		TRY(swt_sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0), "WS %u%s",
			    w, linux_layout ? "" : ", WS first"));
	}
	return SWT_PASS;
}

int t_ack_layout_lookalikes(void)
{
	static const char *const pre[] = {"\x00\x00", "\x01\x00", "\x00\x01"};
	struct synwall_meta m;
	struct swt_pkt p, ack;
	struct swt_synopts o;
	__u32 ck, tsv;
	size_t i;

	/*
	 * 12 bytes that end like NOP NOP TS, but EOL came first: no TS.  The
	 * SYN had no timestamp, so the cookie is valid only for an ACK
	 * without one (the MAC covers the timestamp's presence): seeing
	 * the lookalike as a TS would drop the ACK.
	 */
	syn_bare(&p, &o, false);
	TRY(swt_sub(expect_synack(&p, &o, &ck, &tsv), "SYN"));
	for (i = 0; i < 3; i++) {
		swt_make_ack(&p, ck, false, 0, 0, &ack);
		swt_opt_raw(&ack, pre[i], 2);
		swt_opt_ts(&ack, 12345, 0x1c7);
		want_meta(&m, ck, false, &o, false, 0, 0);
		TRY(swt_sub(expect_cookie_ack(&ack, &m, 0), "%02x %02x TS",
			    (__u8)pre[i][0], (__u8)pre[i][1]));
	}
	return SWT_PASS;
}

int t_ack_valid_vlan_data(void)
{
	struct synwall_meta m;
	struct swt_pkt p, ack;
	struct swt_synopts o;
	__u32 ck, tsv;

	/* a QinQ ACK that carries data (PSH): still the handoff */
	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 10);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 20);
	TRY(swt_sub(expect_synack(&p, &o, &ck, &tsv), "SYN"));
	swt_make_ack(&p, ck, true, o.tsval + 1, tsv, &ack);
	ack.flags |= SWT_TCP_PSH;
	ack.paylen = 200;
	memset(ack.payload, 'd', ack.paylen);
	want_meta(&m, ck, false, &o, true, o.tsval + 1, tsv);
	return swt_sub(expect_cookie_ack(&ack, &m, 0), "ACK with data");
}

int t_ack_bad_cookie(void)
{
	struct swt_pkt p, ack, a;
	struct swt_synopts o;
	__u32 ck, tsv;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 1460);
		TRY(swt_sub(expect_synack(&p, &o, &ck, &tsv), "SYN"));
		swt_make_ack(&p, ck, true, o.tsval + 1, tsv, &ack);
#define BAD(what, stmt)                                                  \
	do {                                                             \
		a = ack;                                                 \
		stmt;                                                    \
		TRY(swt_sub(expect_drop(&a, SWT_STAT(xdp_drop_bad_ack)), \
			    "%s%s", what, v6 ? " (IPv6)" : ""));         \
	} while (0)
		BAD("MAC top bit flipped", a.ack ^= 1u << 31);
		BAD("MAC low bit flipped", a.ack ^= 1u << 6);
		BAD("MSS index changed", a.ack ^= 1u << 2);
		BAD("epoch bit flipped", a.ack ^= 1u << 1);
		BAD("key slot flipped", a.ack ^= 1u);
		BAD("ack_seq = cookie", a.ack = ck);
		BAD("seq + 1", a.seq++);
		BAD("other source port", a.sport++);
		BAD("other destination port", a.dport = PORT_HTTPS);
		BAD("other source address", a.saddr[v6 ? 15 : 3] ^= 1);
		BAD("other destination address", a.daddr[v6 ? 15 : 3] ^= 1);
		BAD("zero ack", a.ack = 0);
		BAD("no TS, bad cookie", (a.optlen = 0, a.ack ^= 1u << 20));
#undef BAD
	}
	return SWT_PASS;
}

int t_ack_age(void)
{
	static const struct {
		__u32 issued, checked;
		bool valid;
	} c[] = {
		/* issued at the start of an epoch: valid until epoch start
		 * + 128 - SW_CLOCK_SKEW (8) */
		{0, 0, true},
		{0, 1, true},
		{0, 63, true},
		{0, 64, true},
		{0, 119, true},
		{0, 120, false},
		{0, 127, false},
		{0, 128, false},
		{0, 129, false},
		{0, 191, false},
		{0, 192, false},
		{0, 1000, false},
		/* issued at the end of one: 64 - 8 s is still guaranteed */
		{63, 119, true},
		{63, 120, false},
		{63, 128, false},
		{63, 191, false},
		{63, 63 + 128, false},
		/* from a host up to 8 s ahead, across an epoch boundary */
		{64, 56, true},
		{71, 63, true},
		{5, 0, true},
		/* further ahead, or from the future: never */
		{64, 55, false},
		{64, 0, false},
		{128, 0, false},
		{128, 119, false},
	};
	struct synwall_meta m;
	struct swt_pkt p, ack;
	struct swt_synopts o;
	__u32 ck, tsv;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		syn_linux(&p, &o, i & 1, 1460);
		p.seq += i * 1000;
		TRY(set_time(T_NOW + c[i].issued));
		TRY(swt_sub(expect_synack(&p, &o, &ck, &tsv), "SYN at T+%u",
			    c[i].issued));
		TRY(set_time(T_NOW + c[i].checked));
		swt_make_ack(&p, ck, true, o.tsval + 1, tsv, &ack);
		if (c[i].valid) {
			want_meta(&m, ck, p.v6, &o, true, o.tsval + 1, tsv);
			TRY(swt_sub(expect_cookie_ack(&ack, &m, 0),
				    "issued T+%u, checked T+%u", c[i].issued,
				    c[i].checked));
		} else {
			TRY(swt_sub(
				expect_drop(&ack, SWT_STAT(xdp_drop_bad_ack)),
				"issued T+%u, checked T+%u", c[i].issued,
				c[i].checked));
		}
	}
	return SWT_PASS;
}

int t_ack_key_rotation(void)
{
	struct synwall_meta m;
	struct swt_pkt pa, pb, acka, ackb;
	struct swt_synopts o;
	__u32 cka, ckb, tsva, tsvb;

	/* cookie A under key A (slot 0) */
	syn_linux(&pa, &o, false, 1460);
	TRY(swt_sub(expect_synack(&pa, &o, &cka, &tsva), "SYN under A"));
	swt_make_ack(&pa, cka, true, o.tsval + 1, tsva, &acka);

	/* rotation 1: B into slot 1, current 1; A is the previous key */
	keys.key[1] = key_b;
	keys.current = 1;
	keys.generation = 2;
	keys.installed_at[1] = T_NOW + 10;
	TRY(write_keys());
	TRY(set_time(T_NOW + 10));
	want_meta(&m, cka, false, &o, true, o.tsval + 1, tsva);
	TRY(swt_sub(expect_cookie_ack(&acka, &m, 0),
		    "ACK under the previous key after one rotation"));
	syn_linux(&pb, &o, true, 1440);
	TRY(swt_sub(expect_synack(&pb, &o, &ckb, &tsvb), "SYN under B"));
	if (sw_cookie_slot(ckb) != 1)
		SWT_FAIL("new cookie in slot %u, want 1", sw_cookie_slot(ckb));
	swt_make_ack(&pb, ckb, true, o.tsval + 1, tsvb, &ackb);

	/* rotation 2: C into slot 0, current 0; A is gone, B previous */
	keys.key[0] = key_c;
	keys.current = 0;
	keys.generation = 3;
	keys.installed_at[0] = T_NOW + 20;
	TRY(write_keys());
	TRY(set_time(T_NOW + 20));
	TRY(swt_sub(expect_drop(&acka, SWT_STAT(xdp_drop_bad_ack)),
		    "ACK under a key two rotations old"));
	want_meta(&m, ckb, true, &o, true, o.tsval + 1, tsvb);
	return swt_sub(expect_cookie_ack(&ackb, &m, 0),
		       "ACK under the previous key after two rotations");
}

int t_ack_empty_key_slot(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;
	struct sw_flow f;
	const struct synwall_key zero = {0, 0};
	__u32 ck;

	/*
	 * One key installed (slot 0), slot 1 never written: a cookie MAC'd
	 * under the all-zero key of slot 1 is a forgery anyone can compute,
	 * and installed_at[1] == 0 makes it invalid.
	 */
	syn_bare(&p, &o, false);
	swt_flow(&p, p.seq, &f);
	ck = sw_cookie_make_nots(&zero, 1, &f, false, T_NOW, 0,
				 SYNWALL_WSCALE_DEFAULT);
	swt_make_ack(&p, ck, false, 0, 0, &ack);
	TRY(swt_sub(expect_drop(&ack, SWT_STAT(xdp_drop_bad_ack)),
		    "zero key, installed_at 0"));
	/* the same slot holding a real key (installed) is honoured */
	keys.key[1] = zero;
	keys.installed_at[1] = T_NOW;
	TRY(write_keys());
	{
		struct synwall_meta m;

		want_meta(&m, ck, false, &o, false, 0, 0);
		return swt_sub(expect_cookie_ack(&ack, &m, 0),
			       "slot 1 installed (all-zero key, for the test)");
	}
}

int t_flags_without_socket(void)
{
	static const struct {
		const char *name;
		__u8 flags;
		size_t counter;
	} c[] = {
		{"RST", SWT_TCP_RST, SWT_STAT(xdp_drop_no_socket)},
		{"RST|ACK", SWT_TCP_RST | SWT_TCP_ACK,
		 SWT_STAT(xdp_drop_no_socket)},
		{"FIN", SWT_TCP_FIN, SWT_STAT(xdp_drop_no_socket)},
		{"no flags", 0, SWT_STAT(xdp_drop_no_socket)},
		{"PSH", SWT_TCP_PSH, SWT_STAT(xdp_drop_no_socket)},
		{"FIN|ACK", SWT_TCP_FIN | SWT_TCP_ACK,
		 SWT_STAT(xdp_drop_bad_ack)},
		{"PSH|ACK", SWT_TCP_PSH | SWT_TCP_ACK,
		 SWT_STAT(xdp_drop_bad_ack)},
	};
	struct swt_pkt p;
	size_t i;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			swt_pkt_init(&p, v6);
			p.flags = c[i].flags;
			p.ack = 0x55667788;
			TRY(swt_sub(expect_drop(&p, c[i].counter), "%s%s",
				    c[i].name, v6 ? " (IPv6)" : ""));
		}
	}
	return SWT_PASS;
}

int t_unkeyed(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;

	/* a key in the map, but generation 0: nothing is protected */
	keys.generation = 0;
	TRY(write_keys());
	syn_linux(&p, &o, false, 1460);
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_unkeyed)), "SYN"));
	swt_make_ack(&p, 0x12345678, true, 1, 2, &ack);
	TRY(swt_sub(expect_pass(&ack, SWT_STAT(xdp_pass_unkeyed)), "ACK"));
	p.v6 = true;
	syn_linux(&p, &o, true, 1460);
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_unkeyed)), "SYN IPv6"));
	/* unprotected ports still count as such */
	p.dport = PORT_OPEN;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "port 81"));
	/* generation set, but the current slot holds no key */
	keys.generation = 1;
	keys.installed_at[0] = 0;
	TRY(write_keys());
	syn_linux(&p, &o, false, 1460);
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_unkeyed)),
		    "installed_at[current] 0: SYN"));
	return swt_sub(expect_pass(&ack, SWT_STAT(xdp_pass_unkeyed)),
		       "installed_at[current] 0: ACK");
}

int t_fresh_program(void)
{
	struct swt_env saved = env, fresh;
	struct swt_pkt p;
	struct swt_synopts o;
	int r;

	/* a second instance, as `ip link ... xdp obj` would load it */
	if (swt_env_open(&fresh, swt_why, sizeof(swt_why)))
		return SWT_FAIL;
	env = fresh;
	syn_linux(&p, &o, false, 1460);
	r = swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)),
		    "no configuration");
	if (r == SWT_PASS) {
		/* ports, still no key */
		if (swt_port_set(&env, PORT_HTTP, true))
			r = SWT_FAIL,
			snprintf(swt_why, sizeof(swt_why), "ports write");
		else
			r = swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_unkeyed)),
				    "ports but no key");
	}
	swt_env_close(&fresh);
	env = saved;
	return r;
}
