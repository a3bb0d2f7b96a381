// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Frame builders for the synwall tests. */
#include <string.h>

#include "swt.h"

void swt_pkt_init(struct swt_pkt *p, bool v6)
{
	static const __u8 cmac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
	static const __u8 smac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
	static const __u8 c4[4] = {192, 0, 2, 1};
	static const __u8 s4[4] = {198, 51, 100, 2};
	static const __u8 c6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				    0,	  0,	0,    0,    0, 0, 0, 1};
	static const __u8 s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				    0,	  0,	0,    0,    0, 0, 0, 2};

	memset(p, 0, sizeof(*p));
	/* frame from the client (cmac) to the server (smac) */
	memcpy(p->dmac, smac, 6);
	memcpy(p->smac, cmac, 6);
	p->v6 = v6;
	if (v6) {
		memcpy(p->saddr, c6, 16);
		memcpy(p->daddr, s6, 16);
	} else {
		memcpy(p->saddr, c4, 4);
		memcpy(p->daddr, s4, 4);
	}
	/* not what a SYN-ACK carries, so that the reply is seen to reset them */
	p->tos = v6 ? 0x20 : 0x10;
	p->flowlabel = 0x12345;
	p->ttl = 61;
	p->ip_id = 0xbeef;
	p->frag_off = 0x4000; /* DF */
	p->l4proto = 6;
	p->sport = 40000;
	p->dport = 80;
	p->seq = 0x11223344;
	p->flags = SWT_TCP_SYN;
	p->window = 64240;
}

void swt_pkt_vlan(struct swt_pkt *p, __u16 tpid, __u16 tci)
{
	if (p->nvlan >= 3)
		return;
	p->vlan_tpid[p->nvlan] = tpid;
	p->vlan_tci[p->nvlan] = tci;
	p->nvlan++;
}

void swt_pkt_reverse(struct swt_pkt *p)
{
	__u8 t[16];
	__u16 port;

	memcpy(t, p->dmac, 6);
	memcpy(p->dmac, p->smac, 6);
	memcpy(p->smac, t, 6);
	memcpy(t, p->saddr, 16);
	memcpy(p->saddr, p->daddr, 16);
	memcpy(p->daddr, t, 16);
	port = p->sport;
	p->sport = p->dport;
	p->dport = port;
}

void swt_opt_raw(struct swt_pkt *p, const void *b, size_t n)
{
	if (p->optlen + n > sizeof(p->opt))
		n = sizeof(p->opt) - p->optlen;
	memcpy(p->opt + p->optlen, b, n);
	p->optlen += n;
}

void swt_opt_mss(struct swt_pkt *p, __u16 mss)
{
	__u8 o[4] = {2, 4, mss >> 8, mss & 0xff};

	swt_opt_raw(p, o, 4);
}

void swt_opt_ws(struct swt_pkt *p, __u8 ws)
{
	__u8 o[3] = {3, 3, ws};

	swt_opt_raw(p, o, 3);
}

void swt_opt_sackperm(struct swt_pkt *p)
{
	__u8 o[2] = {4, 2};

	swt_opt_raw(p, o, 2);
}

void swt_opt_ts(struct swt_pkt *p, __u32 tsval, __u32 tsecr)
{
	__u8 o[10] = {8, 10};

	swt_put32(o + 2, tsval);
	swt_put32(o + 6, tsecr);
	swt_opt_raw(p, o, 10);
}

void swt_opt_nop(struct swt_pkt *p)
{
	__u8 o = 1;

	swt_opt_raw(p, &o, 1);
}

void swt_opt_linux_syn(struct swt_pkt *p, __u16 mss, __u32 tsval, __u8 ws)
{
	swt_opt_mss(p, mss);
	swt_opt_sackperm(p);
	swt_opt_ts(p, tsval, 0);
	swt_opt_nop(p);
	swt_opt_ws(p, ws);
}

static size_t put_l4(const struct swt_pkt *p, __u8 *b, size_t cap,
		     struct swt_layout *lo, size_t off)
{
	size_t optlen = (p->optlen + 3) & ~(size_t)3;
	size_t hlen, start = off;

	lo->l4 = off;
	if (p->l4proto == 6) {
		hlen = 20 + optlen;
		if (off + hlen + p->paylen > cap)
			return 0;
		memset(b + off, 0, hlen);
		swt_put16(b + off, p->sport);
		swt_put16(b + off + 2, p->dport);
		swt_put32(b + off + 4, p->seq);
		swt_put32(b + off + 8, p->ack);
		b[off + 12] = (p->doff ? p->doff & 0xf : hlen / 4) << 4;
		b[off + 13] = p->flags;
		swt_put16(b + off + 14, p->window);
		swt_put16(b + off + 18, p->urg);
		memcpy(b + off + 20, p->opt, p->optlen);
		lo->opt = off + 20;
		off += hlen;
	} else if (p->l4proto == 17) {
		hlen = 8;
		if (off + hlen + p->paylen > cap)
			return 0;
		swt_put16(b + off, p->sport);
		swt_put16(b + off + 2, p->dport);
		swt_put16(b + off + 4, (__u16)(hlen + p->paylen));
		swt_put16(b + off + 6, 0);
		lo->opt = off + 8;
		off += hlen;
	} else {
		if (off + p->paylen > cap)
			return 0;
		lo->opt = off;
	}
	lo->payload = off;
	memcpy(b + off, p->payload, p->paylen);
	off += p->paylen;
	return off - start;
}

static void l4_csum(const struct swt_pkt *p, __u8 *b, size_t l4, size_t len)
{
	__u16 c;

	if (p->csum_offload) {
		/* folded pseudo-header sum, not complemented */
		c = ~swt_csum_fold(swt_pseudo_sum(p->v6, p->saddr, p->daddr,
						  p->l4proto, len));
		if (p->l4proto == 6)
			swt_put16(b + l4 + 16, c);
		else if (p->l4proto == 17)
			swt_put16(b + l4 + 6, c);
		return;
	}
	if (p->l4proto == 6) {
		c = swt_l4_csum(p->v6, p->saddr, p->daddr, 6, b + l4, len);
		swt_put16(b + l4 + 16, c);
	} else if (p->l4proto == 17) {
		c = swt_l4_csum(p->v6, p->saddr, p->daddr, 17, b + l4, len);
		swt_put16(b + l4 + 6, c ? c : 0xffff);
	}
}

size_t swt_build(const struct swt_pkt *p, __u8 *b, size_t cap,
		 struct swt_layout *lo)
{
	struct swt_layout tmp;
	size_t off = 0, l4len, ihl;
	int i;

	if (!lo)
		lo = &tmp;
	memset(lo, 0, sizeof(*lo));
	if (cap < SWT_PKT_MAX)
		return 0;
	memset(b, 0, cap);

	memcpy(b, p->dmac, 6);
	memcpy(b + 6, p->smac, 6);
	off = 12;
	for (i = 0; i < p->nvlan && i < 3; i++) {
		swt_put16(b + off, p->vlan_tpid[i]);
		swt_put16(b + off + 2, p->vlan_tci[i]);
		off += 4;
	}
	swt_put16(b + off, p->ethertype ? p->ethertype :
			   p->v6	? SWT_ETH_P_IPV6 :
					  SWT_ETH_P_IP);
	off += 2;
	lo->l3 = off;

	if (p->l3raw_len) {
		if (off + p->l3raw_len > cap)
			return 0;
		memcpy(b + off, p->l3raw, p->l3raw_len);
		off += p->l3raw_len;
		lo->l4 = lo->opt = lo->payload = lo->ip_end = off;
	} else if (p->v6) {
		__u32 w = 6u << 28 | (__u32)p->tos << 20 |
			  (p->flowlabel & 0xfffff);

		swt_put32(b + off, w);
		b[off + 6] = p->v6ext_len ? p->v6ext_type : p->l4proto;
		b[off + 7] = p->ttl;
		memcpy(b + off + 8, p->saddr, 16);
		memcpy(b + off + 24, p->daddr, 16);
		memcpy(b + off + 40, p->v6ext, p->v6ext_len);
		l4len = put_l4(p, b, cap, lo, off + 40 + p->v6ext_len);
		if (!l4len && p->l4proto == 6)
			return 0;
		l4_csum(p, b, lo->l4, l4len);
		swt_put16(b + off + 4, p->ip_len_override ?
					       (__u16)p->ip_len_override :
					       (__u16)(p->v6ext_len + l4len));
		off = lo->l4 + l4len;
		lo->ip_end = off;
	} else {
		ihl = 20 + ((p->ipopt_len + 3) & ~(size_t)3);
		b[off] = 0x40 | ihl / 4;
		b[off + 1] = p->tos;
		swt_put16(b + off + 4, p->ip_id);
		swt_put16(b + off + 6, p->frag_off);
		b[off + 8] = p->ttl;
		b[off + 9] = p->l4proto;
		memcpy(b + off + 12, p->saddr, 4);
		memcpy(b + off + 16, p->daddr, 4);
		memcpy(b + off + 20, p->ipopt, p->ipopt_len);
		l4len = put_l4(p, b, cap, lo, off + ihl);
		if (!l4len && p->l4proto == 6)
			return 0;
		l4_csum(p, b, lo->l4, l4len);
		swt_put16(b + off + 2, p->ip_len_override ?
					       (__u16)p->ip_len_override :
					       (__u16)(ihl + l4len));
		if (!p->csum_offload)
			swt_put16(b + off + 10,
				  swt_csum_fold(swt_csum_add(0, b + off, ihl)));
		off = lo->l4 + l4len;
		lo->ip_end = off;
	}
	if (off + p->eth_pad > cap)
		return 0;
	memset(b + off, p->eth_pad_byte, p->eth_pad);
	off += p->eth_pad;
	lo->len = off;
	return off;
}

void swt_hexdiff(FILE *f, const __u8 *exp, size_t elen, const __u8 *got,
		 size_t glen)
{
	size_t n = elen > glen ? elen : glen;
	size_t row, i;

	fprintf(f, "# expected %zu bytes, got %zu; *xx differs\n", elen, glen);
	for (row = 0; row < n; row += 16) {
		bool diff = false;

		for (i = row; i < row + 16 && i < n; i++)
			if (i >= elen || i >= glen || exp[i] != got[i])
				diff = true;
		fprintf(f, "# %04zx exp", row);
		for (i = row; i < row + 16 && i < n; i++) {
			if (i < elen)
				fprintf(f, " %02x", exp[i]);
			else
				fprintf(f, " --");
		}
		fprintf(f, "\n");
		if (!diff) {
			fprintf(f, "#      got  (same)\n");
			continue;
		}
		fprintf(f, "#      got");
		for (i = row; i < row + 16 && i < n; i++) {
			bool d = i >= elen || i >= glen || exp[i] != got[i];

			if (i >= glen)
				fprintf(f, "*--");
			else
				fprintf(f, d ? "*%02x" : " %02x", got[i]);
		}
		fprintf(f, "\n");
	}
}
