// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: SYN -> SYN-ACK (families, tags, ECN, config, ports, keys).
 */
#include "xdp.h"

int t_syn_linux(long v6)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;

	syn_linux(&p, &o, v6, 1460);
	TRY(expect_synack(&p, &o, &ck, NULL));
	return check_mss_index(ck, 13);
}

int t_syn_no_options(long v6)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;

	syn_bare(&p, &o, v6);
	TRY(expect_synack(&p, &o, &ck, NULL));
	/* no MSS option: 536 (IPv4) / 1220 (IPv6), entry 0 */
	return check_mss_index(ck, 0);
}

int t_syn_mss_only(long v6)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;

	syn_bare(&p, &o, v6);
	swt_opt_mss(&p, 1400);
	o.mss = 1400;
	TRY(expect_synack(&p, &o, &ck, NULL));
	return check_nots_mss(ck, 1400, v6);
}

int t_syn_vlan(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 0xe064); /* PCP 7, VID 100 */
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "802.1Q IPv4"));
	syn_linux(&p, &o, true, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 0x1fff); /* DEI, VID 4095 */
	return swt_sub(expect_synack(&p, &o, NULL, NULL), "802.1Q IPv6");
}

int t_syn_qinq(void)
{
	static const __u16 tpids[3][2] = {
		{SWT_ETH_P_8021AD, SWT_ETH_P_8021Q},
		{SWT_ETH_P_8021Q, SWT_ETH_P_8021Q},
		{SWT_ETH_P_8021Q, SWT_ETH_P_8021AD},
	};
	struct swt_pkt p;
	struct swt_synopts o;
	int i;

	for (i = 0; i < 3; i++) {
		syn_linux(&p, &o, i == 1, 1460);
		swt_pkt_vlan(&p, tpids[i][0], 0x0123);
		swt_pkt_vlan(&p, tpids[i][1], 0xa456);
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL),
			    "tags %04x %04x %s", tpids[i][0], tpids[i][1],
			    i == 1 ? "IPv6" : "IPv4"));
	}
	return SWT_PASS;
}

int t_syn_fastopen_data(void)
{
	static const __u8 tfo_cookie[] = {34, 10, 1, 2, 3, 4, 5, 6, 7, 8};
	static const __u8 tfo_request[] = {34, 2};
	struct swt_pkt p;
	struct swt_synopts o;

	/* a Fast Open cookie and 100 bytes of data: data not acked */
	syn_linux(&p, &o, false, 1460);
	swt_opt_raw(&p, tfo_cookie, sizeof(tfo_cookie));
	p.paylen = 100;
	memset(p.payload, 'x', p.paylen);
	p.flags |= SWT_TCP_PSH;
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "IPv4 TFO cookie"));
	syn_linux(&p, &o, true, 1440);
	swt_opt_raw(&p, tfo_request, sizeof(tfo_request));
	p.paylen = 333;
	memset(p.payload, 'y', p.paylen);
	return swt_sub(expect_synack(&p, &o, NULL, NULL), "IPv6 TFO request");
}

int t_syn_ecn(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		/* ECE|CWR with TS: ECE back, ECN bit in TSval */
		syn_linux(&p, &o, v6, 1460);
		p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
		o.ecn = true;
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL),
			    "ECE|CWR with TS%s", v6 ? " IPv6" : ""));
		/* without TS: no room to remember it, not offered */
		syn_bare(&p, &o, v6);
		swt_opt_mss(&p, 1460);
		o.mss = 1460;
		p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
		o.ecn = true;
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL),
			    "ECE|CWR without TS%s", v6 ? " IPv6" : ""));
	}
	/* ECE alone or CWR alone is not an ECN setup SYN (RFC 3168 6.1.1) */
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_ECE;
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "ECE only"));
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_CWR;
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "CWR only"));
	/* SYNWALL_CF_NO_ECN */
	cfg.flags |= SYNWALL_CF_NO_ECN;
	TRY(write_config());
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
	o.ecn = true;
	return swt_sub(expect_synack(&p, &o, NULL, NULL), "SYNWALL_CF_NO_ECN");
}

int t_syn_ipv4_options(void)
{
	/* Router Alert, NOP, NOP, NOP, EOL: IHL 7, not echoed */
	static const __u8 ipopt[] = {0x94, 4, 0, 0, 1, 1, 1, 0};
	struct swt_pkt p;
	struct swt_synopts o;

	syn_linux(&p, &o, false, 1460);
	memcpy(p.ipopt, ipopt, sizeof(ipopt));
	p.ipopt_len = sizeof(ipopt);
	return expect_synack(&p, &o, NULL, NULL);
}

int t_syn_ethernet_padding(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	/* 54-byte SYN padded to 60: the SYN-ACK has no padding (58 bytes) */
	syn_bare(&p, &o, false);
	p.eth_pad = 6;
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "no options"));
	/* padding that is not zero is ignored just the same */
	syn_bare(&p, &o, false);
	swt_opt_mss(&p, 1380);
	o.mss = 1380;
	p.eth_pad = 2;
	p.eth_pad_byte = 0xa5;
	return swt_sub(expect_synack(&p, &o, NULL, NULL), "MSS only");
}

int t_syn_config(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6;

	/* every configurable value is used */
	cfg.mss4 = 1400;
	cfg.mss6 = 1280;
	cfg.window = 29200;
	cfg.wscale = 9;
	cfg.ttl = 128;
	TRY(write_config());
	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 1460);
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "custom %s",
			    v6 ? "IPv6" : "IPv4"));
	}
	/* zeros select the documented defaults */
	memset(&cfg, 0, sizeof(cfg));
	cfg.fixed_time = T_NOW;
	TRY(write_config());
	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 9000);
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "defaults %s",
			    v6 ? "IPv6" : "IPv4"));
	}
	/* SYNWALL_WSCALE_ZERO advertises a window scale of 0 */
	cfg.wscale = SYNWALL_WSCALE_ZERO;
	TRY(write_config());
	syn_linux(&p, &o, false, 1460);
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "SYNWALL_WSCALE_ZERO"));
	/* another clock: the TSval follows fixed_time */
	cfg.wscale = 7;
	cfg.fixed_time = 12345;
	TRY(write_config());
	syn_linux(&p, &o, false, 1460);
	return swt_sub(expect_synack(&p, &o, NULL, NULL), "fixed_time 12345");
}

int t_syn_flags(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	/* PSH and URG do not make a SYN anything else */
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_PSH;
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "SYN|PSH"));
	syn_linux(&p, &o, false, 1460);
	p.flags |= SWT_TCP_URG;
	p.urg = 5;
	return swt_sub(expect_synack(&p, &o, NULL, NULL), "SYN|URG");
}

int t_checksum_offload(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6;

	/*
	 * veth hands XDP local SYNs with the TCP checksum unfinished (and
	 * the IPv4 one may be anything): the SYN-ACK's are computed from
	 * scratch, never from the SYN's, and the ACK is not judged by them.
	 */
	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 1460);
		p.csum_offload = true;
		TRY(swt_sub(handshake(&p, &o, T_NOW, T_NOW + 1, 0),
			    "pseudo-header-only checksum%s",
			    v6 ? " (IPv6)" : ""));
	}
	return SWT_PASS;
}

int t_syn_ports(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	/* the bitmap covers all 65536 ports: first and last word */
	TRY(protect(0, true));
	TRY(protect(65535, true));
	TRY(protect(64, true));
	syn_linux(&p, &o, false, 1460);
	p.dport = 65535;
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "port 65535"));
	/* nothing can listen on port 0: the kernel answers RST */
	p.dport = 0;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)), "port 0"));
	p.dport = 64;
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "port 64"));
	/* neighbours of protected ports are not protected */
	p.dport = 65534;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "port 65534"));
	p.dport = 63;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "port 63"));
	p.dport = 1;
	return swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "port 1");
}

int t_syn_key_slot1(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;

	/* new cookies use key[current] and say so in the slot bit */
	keys.key[1] = key_b;
	keys.current = 1;
	keys.generation = 2;
	keys.installed_at[1] = T_NOW;
	TRY(write_keys());
	syn_linux(&p, &o, false, 1460);
	TRY(expect_synack(&p, &o, &ck, NULL));
	if (sw_cookie_slot(ck) != 1)
		SWT_FAIL("cookie slot %u, want 1", sw_cookie_slot(ck));
	return SWT_PASS;
}

/* ---- the third ACK -------------------------------------------------- */

/*
 * SYN at t_syn (through the program, SYN-ACK checked), then the client's
 * ACK at t_ack: valid, with the metadata wanted.
 */
