// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: frames that are no TCP segment to answer (not TCP,
 * fragments, extension headers, truncations, invalid headers).
 */
#include "xdp.h"

int t_not_tcp(void)
{
	/* an ARP request (28 bytes after Ethernet) */
	static const __u8 arp[28] = {0, 1, 8, 0, 6,   4,  0,   1, 2, 0,
				     0, 0, 0, 1, 192, 0,  2,   1, 0, 0,
				     0, 0, 0, 0, 198, 51, 100, 2};
	static const __u8 lldp[20] = {0x02, 0x07, 0x04};
	struct swt_pkt p;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		/* UDP to a protected port number is still not TCP */
		swt_pkt_init(&p, v6);
		p.l4proto = 17;
		p.paylen = 32;
		TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)),
			    "UDP to port 80%s", v6 ? " (IPv6)" : ""));
		swt_pkt_init(&p, v6);
		p.l4proto = v6 ? 58 : 1; /* ICMP echo-ish payload */
		p.paylen = 16;
		p.payload[0] = v6 ? 128 : 8;
		TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)),
			    "ICMP%s", v6 ? "v6" : ""));
	}
	swt_pkt_init(&p, false);
	p.ethertype = SWT_ETH_P_ARP;
	p.l3raw = arp;
	p.l3raw_len = sizeof(arp);
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)), "ARP"));
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 5);
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)),
		    "ARP in VLAN"));
	swt_pkt_init(&p, false);
	p.ethertype = 0x88cc;
	p.l3raw = lldp;
	p.l3raw_len = sizeof(lldp);
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)), "LLDP"));
	/* IPv6 "no next header" */
	swt_pkt_init(&p, true);
	p.l4proto = 59;
	return swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_not_tcp)),
		       "IPv6 next header 59");
}

int t_third_vlan_tag(void)
{
	struct swt_pkt p;
	struct swt_synopts o;

	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 1);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 2);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 3);
	return expect_pass(&p, SWT_STAT(xdp_pass_not_tcp));
}

int t_fragments(void)
{
	/* IPv6 fragment header: next TCP, offset 0, M set, id */
	static const __u8 frag6_first[8] = {6, 0, 0x00, 0x01, 0, 0, 0x12, 0x34};
	static const __u8 frag6_last[8] = {6, 0, 0x00, 0xb8, 0, 0, 0x12, 0x34};
	struct swt_pkt p;
	struct swt_synopts o;

	/* first fragment: a whole SYN header, but MF */
	syn_linux(&p, &o, false, 1460);
	p.frag_off = 0x2000;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)), "IPv4 MF"));
	/* a later fragment whose bytes happen to look like a SYN */
	p.frag_off = 185;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)),
		    "IPv4 offset 1480"));
	p.frag_off = 0x4000 | 0x2000 | 1;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)),
		    "IPv4 DF|MF offset 8"));
	syn_linux(&p, &o, true, 1460);
	p.v6ext_type = 44;
	memcpy(p.v6ext, frag6_first, 8);
	p.v6ext_len = 8;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)),
		    "IPv6 first fragment"));
	memcpy(p.v6ext, frag6_last, 8);
	return swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_fragment)),
		       "IPv6 last fragment");
}

int t_ipv6_extension_headers(void)
{
	static const __u8 types[] = {0,	  43,  50,  51,	 60,
				     135, 139, 140, 253, 254};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		/* an 8-byte header (Pad6 inside), then a SYN to port 80 */
		syn_linux(&p, &o, true, 1460);
		p.v6ext_type = types[i];
		memset(p.v6ext, 0, 8);
		p.v6ext[0] = 6;
		p.v6ext[2] = 1; /* PadN */
		p.v6ext[3] = 4;
		p.v6ext_len = 8;
		TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_ipv6_ext)),
			    "next header %u", types[i]));
	}
	return SWT_PASS;
}

int t_unprotected_port(void)
{
	struct swt_pkt p, ack;
	struct swt_synopts o;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		syn_linux(&p, &o, v6, 1460);
		p.dport = PORT_OPEN;
		TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "SYN%s",
			    v6 ? " (IPv6)" : ""));
		swt_make_ack(&p, 0x12345678, true, 1, 2, &ack);
		TRY(swt_sub(expect_pass(&ack, SWT_STAT(xdp_pass_port)), "ACK%s",
			    v6 ? " (IPv6)" : ""));
		/* the server's own SYN-ACK out of a protected source port */
		p.sport = PORT_HTTP;
		p.dport = 50000;
		p.flags = SWT_TCP_SYN | SWT_TCP_ACK;
		TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)),
			    "from port 80%s", v6 ? " (IPv6)" : ""));
	}
	/* malformed TCP is not our business on an unprotected port */
	syn_linux(&p, &o, false, 1460);
	p.dport = PORT_OPEN;
	p.flags |= SWT_TCP_FIN;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "SYN+FIN"));
	p.flags = SWT_TCP_SYN;
	p.doff = 3;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)), "doff 3"));
	p.doff = 0;
	p.optlen = 0;
	swt_opt_raw(&p, "\x02\x00\x00\x00", 4);
	return swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_port)),
		       "option length 0");
}

/* ---- malformed before the ports: passed, counted ---------------------- */

int t_truncated_before_ports(void)
{
	static __u8 b[SWT_PKT_MAX];
	struct swt_layout lo;
	struct swt_pkt p;
	struct swt_synopts o;
	size_t len;
	int v6;

#define TRUNC(what, l)                                                      \
	TRY(swt_sub(                                                        \
		expect_raw(b, (l), XDP_PASS, SWT_STAT(xdp_pass_malformed)), \
		"%s", what))

	/* Ethernet itself: BPF_PROG_TEST_RUN refuses < 14 bytes (EINVAL) */
	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 7);
	len = swt_build(&p, b, sizeof(b), &lo);
	TRUNC("VLAN tag missing", 14);
	TRUNC("VLAN tag cut", 16);
	syn_linux(&p, &o, false, 1460);
	swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 7);
	swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 8);
	len = swt_build(&p, b, sizeof(b), &lo);
	TRUNC("inner tag missing", 18);
	TRUNC("inner tag cut", 20);

	for (v6 = 0; v6 < 2; v6++) {
		const char *fam = v6 ? "IPv6" : "IPv4";
		char w[64];

		syn_linux(&p, &o, v6, 1460);
		len = swt_build(&p, b, sizeof(b), &lo);
		snprintf(w, sizeof(w), "%s: no IP header", fam);
		TRUNC(w, 14);
		snprintf(w, sizeof(w), "%s: IP header cut", fam);
		TRUNC(w, lo.l4 - 1);
		/* TCP header cut before the ports: frame and IP length agree */
		p.ip_len_override = (int)(lo.l4 - lo.l3 - (v6 ? 40 : 0) + 3);
		len = swt_build(&p, b, sizeof(b), &lo);
		snprintf(w, sizeof(w), "%s: 3 bytes of TCP", fam);
		TRUNC(w, lo.l4 + 3);
		/* ...and with Ethernet padding after the IP packet */
		snprintf(w, sizeof(w), "%s: 3 bytes of TCP, padded", fam);
		TRUNC(w, len);
		/* IP length past the frame */
		p.ip_len_override = 0;
		len = swt_build(&p, b, sizeof(b), &lo);
		snprintf(w, sizeof(w), "%s: IP length past the frame", fam);
		TRUNC(w, len - 1);
	}
	(void)len;
#undef TRUNC
	return SWT_PASS;
}

int t_ip_header_invalid(void)
{
	static __u8 b[SWT_PKT_MAX];
	struct swt_layout lo;
	struct swt_pkt p;
	struct swt_synopts o;
	size_t len;

	syn_linux(&p, &o, false, 1460);
	/* IHL < 5 */
	len = swt_build(&p, b, sizeof(b), &lo);
	b[lo.l3] = 0x44;
	TRY(swt_sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		    "IHL 4"));
	b[lo.l3] = 0x40;
	TRY(swt_sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		    "IHL 0"));
	/* IHL past the frame (60-byte header, 40 bytes of IP packet) */
	p.optlen = 0;
	len = swt_build(&p, b, sizeof(b), &lo);
	b[lo.l3] = 0x4f;
	TRY(swt_sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		    "IHL 15 past the frame"));
	/* version 6 in an IPv4 ethertype, and the reverse */
	syn_linux(&p, &o, false, 1460);
	len = swt_build(&p, b, sizeof(b), &lo);
	b[lo.l3] = 0x65;
	TRY(swt_sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		    "version 6 in 0x0800"));
	syn_linux(&p, &o, true, 1460);
	len = swt_build(&p, b, sizeof(b), &lo);
	b[lo.l3] = 0x40 | (b[lo.l3] & 0x0f);
	TRY(swt_sub(expect_raw(b, len, XDP_PASS, SWT_STAT(xdp_pass_malformed)),
		    "version 4 in 0x86dd"));
	/* tot_len smaller than the header */
	syn_linux(&p, &o, false, 1460);
	p.ip_len_override = 19;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_malformed)),
		    "tot_len 19"));
	/* IPv6 payload_len past the frame */
	syn_linux(&p, &o, true, 1460);
	p.ip_len_override = 20 + 20 + 1;
	return swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_malformed)),
		       "IPv6 payload_len past the frame");
}

/* ---- malformed TCP to a protected port: dropped, counted ------------- */

int t_tcp_malformed(void)
{
	static __u8 b[SWT_PKT_MAX];
	struct swt_layout lo;
	struct swt_pkt p;
	struct swt_synopts o;
	size_t len;
	int v6;

#define MAL(what, stmt)                                                    \
	do {                                                               \
		syn_linux(&p, &o, v6, 1460);                               \
		stmt;                                                      \
		TRY(swt_sub(expect_drop(&p, SWT_STAT(xdp_drop_malformed)), \
			    "%s%s", what, v6 ? " (IPv6)" : ""));           \
	} while (0)

	for (v6 = 0; v6 < 2; v6++) {
		MAL("SYN+FIN", p.flags |= SWT_TCP_FIN);
		MAL("SYN+RST", p.flags |= SWT_TCP_RST);
		MAL("SYN+RST+ACK", p.flags |= SWT_TCP_RST | SWT_TCP_ACK);
		MAL("doff 4", p.doff = 4);
		MAL("doff 0", p.doff = 0x10); /* low 4 bits written: 0 */
		MAL("doff 15, 40 bytes of TCP", p.doff = 15);
		/* doff within the frame but past the IP packet */
		MAL("doff past tot_len into padding",
		    (p.doff = 11, p.eth_pad = 64));
		MAL("option length 0",
		    (p.optlen = 0, swt_opt_raw(&p, "\x02\x00\x05\xb4", 4)));
		MAL("option length 1",
		    (p.optlen = 0, swt_opt_raw(&p, "\x01\x08\x01\x00", 4)));
		MAL("option length 0 after good ones",
		    (p.optlen = 0, swt_opt_mss(&p, 1460),
		     swt_opt_raw(&p, "\x04\x02\xfe\x00", 4)));
		MAL("option past the header",
		    (p.optlen = 0, swt_opt_mss(&p, 1460),
		     swt_opt_raw(&p, "\x08\x0a\x00\x00", 4)));
		MAL("option length byte missing",
		    (p.optlen = 0, swt_opt_raw(&p, "\x01\x01\x01\x02", 4)));
		MAL("unknown option past the header",
		    (p.optlen = 0, swt_opt_raw(&p, "\x01\x01\xfd\x03", 4)));
		MAL("ACK with doff 4",
		    (p.flags = SWT_TCP_ACK, p.optlen = 0, p.doff = 4));
		MAL("ACK with an option past the header",
		    (p.flags = SWT_TCP_ACK, p.optlen = 0,
		     swt_opt_raw(&p, "\x01\x01\x08\x0a\x00\x00\x00\x00", 8)));
	}
#undef MAL
	for (v6 = 0; v6 < 2; v6++) {
		/* fewer than 20 bytes of TCP (ports readable) */
		syn_linux(&p, &o, v6, 1460);
		p.optlen = 0;
		p.ip_len_override = v6 ? 12 : 20 + 12;
		len = swt_build(&p, b, sizeof(b), &lo);
		TRY(swt_sub(expect_raw(b, lo.l4 + 12, XDP_DROP,
				       SWT_STAT(xdp_drop_malformed)),
			    "12 bytes of TCP%s", v6 ? " (IPv6)" : ""));
		TRY(swt_sub(expect_raw(b, len, XDP_DROP,
				       SWT_STAT(xdp_drop_malformed)),
			    "12 bytes of TCP, padded%s", v6 ? " (IPv6)" : ""));
	}
	return SWT_PASS;
}

int t_truncated_ethernet(void)
{
	static const __u8 b[13] = {0};
	struct swt_xdp_out o;

	/* the program cannot be shown a runt: the kernel refuses it */
	if (swt_xdp_run(env.xdp_fd, b, sizeof(b), 0, &o) == -EINVAL) {
		snprintf(swt_why, sizeof(swt_why),
			 "BPF_PROG_TEST_RUN refuses frames under 14 bytes "
			 "(EINVAL); VLAN/IP/TCP truncations are tested");
		return SWT_SKIP;
	}
	SWT_FAIL("a 13-byte frame was accepted by BPF_PROG_TEST_RUN (err %d): "
		 "add the case",
		 o.err);
}
