// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fc_model: the fuzz oracle's model of docs/datapath.md: its own frame parser
 * and TCP option walk, the host and socket model, and the verdict and
 * counter it predicts for a frame.
 * See fuzzcheck.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "fc_int.h"

/* ---- the model: parsing ---------------------------------------------- */

bool fc_is_vlan(__u16 t)
{
	return t == 0x8100 || t == 0x88a8;
}

static bool v6_is_ext(__u8 nh)
{
	static const __u8 ext[] = {0, 43, 50, 51, 60, 135, 139, 140, 253, 254};
	size_t i;

	for (i = 0; i < sizeof(ext); i++)
		if (nh == ext[i])
			return true;
	return false;
}

/*
 * Walk option bytes: EOL ends them, NOP is one byte, any other option has
 * a length byte >= 2 that keeps it inside; a known option with another
 * length is ignored.  Returns false if malformed.
 */
bool fc_opts_walk(const __u8 *b, size_t n, struct fc_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	o->mss = -1;
	o->ws = -1;
	while (i < n) {
		__u8 kind = b[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return false;
		olen = b[i + 1];
		if (olen < 2 || i + olen > n)
			return false;
		if (kind == 2 && olen == 4) {
			__u16 v = swt_get16(b + i + 2);

			o->mss = v ? v : -1;
		} else if (kind == 3 && olen == 3) {
			o->ws = b[i + 2] > 14 ? 14 : b[i + 2];
		} else if (kind == 4 && olen == 2) {
			o->sack = true;
		} else if (kind == 8 && olen == 10) {
			o->ts = true;
			o->tsval = swt_get32(b + i + 2);
			o->tsecr = swt_get32(b + i + 6);
		}
		i += olen;
	}
	return true;
}

void fc_frame_parse(const __u8 *b, size_t len, struct fc_frame *f)
{
	size_t off = 14;
	__u16 proto;
	int i;

	memset(f, 0, sizeof(*f));
	f->b = b;
	f->len = len;
	f->cls = FC_MALFORMED;
	if (len < 14)
		return;
	proto = swt_get16(b + 12);
	for (i = 0; i < 2 && fc_is_vlan(proto); i++) {
		if (off + 4 > len)
			return;
		proto = swt_get16(b + off + 2);
		off += 4;
	}
	f->l3 = off;
	if (proto == 0x0800) {
		size_t ihl, tot;

		if (off + 20 > len)
			return;
		ihl = (b[off] & 0xf) * 4u;
		tot = swt_get16(b + off + 2);
		if (b[off] >> 4 != 4 || ihl < 20 || tot < ihl ||
		    off + tot > len)
			return;
		if (swt_get16(b + off + 6) & 0x3fff) {
			f->cls = FC_FRAGMENT;
			return;
		}
		if (b[off + 9] != 6) {
			f->cls = FC_NOT_TCP;
			return;
		}
		memcpy(f->saddr, b + off + 12, 4);
		memcpy(f->daddr, b + off + 16, 4);
		f->l4 = off + ihl;
		f->seg_len = tot - ihl;
	} else if (proto == 0x86dd) {
		size_t plen;
		__u8 nh;

		if (off + 40 > len)
			return;
		plen = swt_get16(b + off + 4);
		if (b[off] >> 4 != 6 || off + 40 + plen > len)
			return;
		nh = b[off + 6];
		if (nh != 6) {
			f->cls = nh == 44      ? FC_FRAGMENT :
				 v6_is_ext(nh) ? FC_V6EXT :
						 FC_NOT_TCP;
			return;
		}
		f->v6 = true;
		memcpy(f->saddr, b + off + 8, 16);
		memcpy(f->daddr, b + off + 24, 16);
		f->l4 = off + 40;
		f->seg_len = plen;
	} else {
		f->cls = FC_NOT_TCP; /* includes a third VLAN tag */
		return;
	}
	if (f->seg_len < 4)
		return; /* ports unreadable: malformed */
	f->cls = FC_TCP;
	f->sport = swt_get16(b + f->l4);
	f->dport = swt_get16(b + f->l4 + 2);
	if (f->seg_len < 20)
		return;
	f->hdr_ok = true;
	f->seq = swt_get32(b + f->l4 + 4);
	f->ack = swt_get32(b + f->l4 + 8);
	f->doff = (b[f->l4 + 12] >> 4) * 4u;
	f->flags = b[f->l4 + 13];
	if (f->doff < 20 || f->doff > f->seg_len)
		return;
	f->doff_ok = true;
	f->opt_ok = fc_opts_walk(b + f->l4 + 20, f->doff - 20, &f->o);
}

/* The cookie flow of a client->server segment with the given ISN. */
void fc_frame_flow(const struct fc_frame *f, __u32 isn, struct sw_flow *w)
{
	swt_flow_of(f->v6, f->saddr, f->daddr, f->sport, f->dport, isn, w);
}

static bool has_socket(const struct fc_env *e, const struct fc_frame *f)
{
	static const __u8 lo4[4] = {127, 0, 0, 1};
	static const __u8 lo6[16] = {[15] = 1};
	const __u8 *lo = f->v6 ? lo6 : lo4;
	size_t al = f->v6 ? 16 : 4;

	if (f->v6 && !e->have_v6_sock)
		return false;
	if (memcmp(f->saddr, lo, al) || memcmp(f->daddr, lo, al))
		return false;
	return (f->sport == FC_SOCK_CPORT && f->dport == FC_SOCK_SPORT) ||
	       (f->sport == FC_SOCK_SPORT && f->dport == FC_SOCK_CPORT);
}

/*
 * "Addressed to this host" (docs/datapath.md), for the two devices frames
 * run on.  SWT_TEST_DEV: MAC 02:00:00:00:00:02, 198.51.100.2/24 (primary)
 * and .3/24 (secondary), 2001:db8::2/64 and ::3/64, no link-local; its
 * broadcast is 198.51.100.255.  Loopback: MAC zero, 127.0.0.1/8
 * (broadcast 127.255.255.255) and ::1; local sources and loopback
 * addresses are normal there.  A SYN-ACK-capable listener exists on every
 * SWT_TEST_DEV address at every protected port but 0, and on loopback at
 * FC_SOCK_SPORT.
 */
enum { FC_HOST_OK, FC_HOST_NOT_L2, FC_HOST_MARTIAN, FC_HOST_NOT_LOCAL };

static bool a4_eq(const __u8 *a, __u8 x, __u8 y, __u8 z, __u8 w)
{
	return a[0] == x && a[1] == y && a[2] == z && a[3] == w;
}

static bool a6_is(const __u8 *a, const char *txt)
{
	__u8 b[16];

	inet_pton(AF_INET6, txt, b);
	return !memcmp(a, b, 16);
}

static bool v4_special(const __u8 *a, bool lo)
{
	return (a[0] >> 4) == 0xe || a4_eq(a, 255, 255, 255, 255) ||
	       a[0] == 0 || (!lo && a[0] == 127);
}

static bool v6_special(const __u8 *a, bool lo)
{
	static const __u8 mapped[12] = {[10] = 0xff, [11] = 0xff};
	static const __u8 zero[16];

	return a[0] == 0xff || !memcmp(a, mapped, 12) || !memcmp(a, zero, 16) ||
	       (!lo && a6_is(a, "::1"));
}

static int host_model(const struct fc_env *e, const struct fc_frame *f)
{
	static const __u8 dev_mac[6] = {2, 0, 0, 0, 0, 2};
	static const __u8 zero[6];
	bool lo = !memcmp(f->b, zero, 6);
	bool dst_local, src_local, dst_bc, src_bc;
	const __u8 *s = f->saddr, *d = f->daddr;

	if (f->b[0] & 1)
		return FC_HOST_NOT_L2;
	if (!lo && memcmp(f->b, dev_mac, 6))
		return FC_HOST_NOT_L2;
	if (f->v6) {
		if (v6_special(s, lo))
			return FC_HOST_MARTIAN;
		if (v6_special(d, lo))
			return FC_HOST_NOT_LOCAL;
		if (lo) {
			dst_local = e->have_v6_sock && a6_is(d, "::1");
			src_local = false;
		} else {
			dst_local = a6_is(d, SWT_TEST_IP6) ||
				    a6_is(d, SWT_TEST_IP6B);
			src_local = a6_is(s, SWT_TEST_IP6) ||
				    a6_is(s, SWT_TEST_IP6B);
		}
		dst_bc = src_bc = false;
	} else {
		if (v4_special(s, lo))
			return FC_HOST_MARTIAN;
		if (v4_special(d, lo))
			return FC_HOST_NOT_LOCAL;
		if (lo) {
			dst_local = a4_eq(d, 127, 0, 0, 1);
			dst_bc = a4_eq(d, 127, 255, 255, 255);
			src_local = src_bc = false;
		} else {
			dst_local = a4_eq(d, 198, 51, 100, 2) ||
				    a4_eq(d, 198, 51, 100, 3);
			src_local = a4_eq(s, 198, 51, 100, 2) ||
				    a4_eq(s, 198, 51, 100, 3);
			dst_bc = a4_eq(d, 198, 51, 100, 255);
			src_bc = a4_eq(s, 198, 51, 100, 255);
		}
	}
	if (!lo && (src_local || src_bc))
		return FC_HOST_MARTIAN;
	if (!dst_local || dst_bc)
		return FC_HOST_NOT_LOCAL;
	return FC_HOST_OK;
}

/* Is something listening on the frame's destination (host_model OK)? */
static bool has_listener(const struct fc_env *e, const struct fc_frame *f)
{
	static const __u8 zero[6];

	if (!memcmp(f->b, zero, 6))
		return f->dport == FC_SOCK_SPORT && (!f->v6 || e->have_v6_sock);
	return f->dport != 0; /* every other protected port */
}

void fc_cfg_resolve(const struct synwall_config *c, struct fc_cfg *r)
{
	r->mss4 = c->mss4 ? c->mss4 : 1460;
	r->mss6 = c->mss6 ? c->mss6 : 1440;
	r->window = c->window ? c->window : 65535;
	r->wscale = c->wscale == SYNWALL_WSCALE_ZERO ? 0 :
		    c->wscale == 0		     ? 7 :
		    c->wscale > 14		     ? 14 :
						       c->wscale;
	r->ttl = c->ttl ? c->ttl : 64;
	r->no_ecn = c->flags & SYNWALL_CF_NO_ECN;
	r->now = c->fixed_time - (__u32)c->tai_offset; /* UTC */
}

/* the window scale synwall advertises under config c */
__u32 fc_our_ws(const struct synwall_config *c)
{
	struct swt_cfg r;

	swt_cfg_resolve(c, &r);
	return r.wscale > SYNWALL_WSCALE_MAX ? SYNWALL_WSCALE_MAX : r.wscale;
}

bool fc_cookie_valid(const struct synwall_keys *k, const struct fc_frame *f,
		     __u32 cookie, const struct synwall_config *cfg)
{
	__u32 now = cfg->fixed_time;
	__u32 slot = sw_cookie_slot(cookie);
	struct sw_flow w;

	if (!k->installed_at[slot])
		return false;
	fc_frame_flow(f, f->seq - 1, &w);
	/* the MAC covers the timestamp option bits the ACK echoes */
	return sw_cookie_check(&k->key[slot], cookie, &w, f->v6, now,
			       f->o.ts ? 0x400 | (f->o.tsecr & 0x3ff) : 0,
			       fc_our_ws(cfg));
}

void fc_predict(const struct fc_env *e, const struct fc_state_def *s,
		const struct fc_frame *f, struct fc_pred *p)
{
	const struct synwall_keys *k = &s->keys;
	__u8 fl = f->flags;

	memset(p, 0, sizeof(*p));
	p->verdict = XDP_PASS;
	switch (f->cls) {
	case FC_MALFORMED:
		p->counter = ST(xdp_pass_malformed);
		return;
	case FC_NOT_TCP:
		p->counter = ST(xdp_pass_not_tcp);
		return;
	case FC_FRAGMENT:
		p->counter = ST(xdp_pass_fragment);
		return;
	case FC_V6EXT:
		p->counter = ST(xdp_pass_ipv6_ext);
		return;
	}
	if (!fc_protected(f->dport)) {
		p->counter = ST(xdp_pass_port);
		return;
	}
	if (!k->generation || !k->installed_at[k->current & 1]) {
		p->counter = ST(xdp_pass_unkeyed);
		return;
	}
	switch (host_model(e, f)) {
	case FC_HOST_NOT_L2:
		p->counter = ST(xdp_pass_not_host);
		return;
	case FC_HOST_MARTIAN:
		p->counter = ST(xdp_pass_martian);
		return;
	case FC_HOST_NOT_LOCAL:
		p->counter = ST(xdp_pass_not_local);
		return;
	}
	p->verdict = XDP_DROP;
	if (!f->hdr_ok || !f->doff_ok) {
		p->counter = ST(xdp_drop_malformed);
		return;
	}
	/* a flow with a socket is the kernel's, whatever flags and options */
	if (has_socket(e, f)) {
		p->verdict = XDP_PASS;
		p->counter = ST(xdp_pass_socket);
		return;
	}
	if ((fl & (SWT_TCP_SYN | SWT_TCP_ACK)) == SWT_TCP_SYN) {
		if (!has_listener(e, f)) {
			p->verdict = XDP_PASS;
			p->counter = ST(xdp_pass_no_listener);
			return;
		}
		if ((fl & (SWT_TCP_FIN | SWT_TCP_RST)) || !f->opt_ok) {
			p->counter = ST(xdp_drop_malformed);
			return;
		}
		p->verdict = XDP_TX;
		p->counter = ST(xdp_tx_synack);
		p->synack = true;
		return;
	}
	if (((fl & SWT_TCP_SYN) && (fl & (SWT_TCP_FIN | SWT_TCP_RST))) ||
	    !f->opt_ok) {
		p->counter = ST(xdp_drop_malformed);
		return;
	}
	if ((fl & (SWT_TCP_ACK | SWT_TCP_RST | SWT_TCP_SYN)) == SWT_TCP_ACK) {
		if (fc_cookie_valid(k, f, f->ack - 1, &s->cfg)) {
			p->verdict = XDP_PASS;
			p->counter = ST(xdp_pass_cookie);
			p->meta = true;
		} else {
			p->counter = ST(xdp_drop_bad_ack);
		}
		return;
	}
	if ((fl & SWT_TCP_ACK) && !(fl & SWT_TCP_RST)) {
		p->counter = ST(xdp_drop_bad_ack); /* SYN+ACK, no socket */
		return;
	}
	p->counter = ST(xdp_drop_no_socket);
}
