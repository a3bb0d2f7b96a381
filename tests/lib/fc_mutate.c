// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fc_mutate: the fuzz oracle's mutator: structure-aware edits of a frame
 * (headers, lengths, options, checksums, socket tuples).
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

/* ---- mutation -------------------------------------------------------- */

/* Offsets in a frame, found leniently (for mutations, not for checks). */
struct loc {
	size_t l3, l4; /* 0: not found */
	bool v6;
};

static void locate(const __u8 *b, size_t len, struct loc *l)
{
	size_t off = 14;
	__u16 proto;
	int i;

	memset(l, 0, sizeof(*l));
	if (len < 14)
		return;
	proto = swt_get16(b + 12);
	for (i = 0; i < 3 && fc_is_vlan(proto) && off + 4 <= len; i++) {
		proto = swt_get16(b + off + 2);
		off += 4;
	}
	if (proto == 0x0800 && off + 20 <= len) {
		size_t ihl = (b[off] & 0xf) * 4u;

		l->l3 = off;
		l->l4 = off + (ihl >= 20 ? ihl : 20);
	} else if (proto == 0x86dd && off + 40 <= len) {
		l->l3 = off;
		l->l4 = off + 40;
		l->v6 = true;
	}
	if (l->l4 + 20 > len)
		l->l4 = 0;
}

/* Add d to the IP length field (tot_len / payload_len). */
static void iplen_add(__u8 *b, const struct loc *l, long d)
{
	size_t at = l->v6 ? l->l3 + 4 : l->l3 + 2;

	swt_put16(b + at, (__u16)(swt_get16(b + at) + d));
}

/* Replace n bytes at off with m bytes of src (NULL: random). */
static size_t splice_bytes(struct fc_rng *r, __u8 *b, size_t len, size_t cap,
			   size_t off, size_t n, const __u8 *src, size_t m)
{
	size_t i;

	if (off > len)
		off = len;
	if (off + n > len)
		n = len - off;
	if (len - n + m > cap)
		m = cap - (len - n);
	memmove(b + off + m, b + off + n, len - off - n);
	for (i = 0; i < m; i++)
		b[off + i] = src ? src[i] : (__u8)fc_rand(r);
	return len - n + m;
}

/* A random TCP option list of about n bytes, mostly plausible. */
static size_t gen_opts(struct fc_rng *r, __u8 *o, size_t n)
{
	size_t k = 0;

	for (k = 0; k < n; k++)
		o[k] = (__u8)fc_rand(r);
	k = 0;
	while (k < n) {
		__u32 c = fc_below(r, 16);
		__u8 len;

		switch (c) {
		case 0:
			o[k++] = 0; /* EOL */
			break;
		case 1:
		case 2:
			o[k++] = 1;
			break;
		case 3:
		case 4: /* MSS */
			if (k + 4 > n)
				goto tail;
			o[k] = 2;
			o[k + 1] = fc_below(r, 8) ? 4 : (__u8)fc_below(r, 6);
			swt_put16(o + k + 2,
				  fc_below(r, 2) ?
					  (__u16)fc_rand(r) :
					  (__u16)(536 + fc_below(r, 9000)));
			k += 4;
			break;
		case 5:
		case 6: /* WS */
			if (k + 3 > n)
				goto tail;
			o[k] = 3;
			o[k + 1] = fc_below(r, 8) ? 3 : (__u8)fc_below(r, 5);
			o[k + 2] = (__u8)fc_below(r, 20);
			k += 3;
			break;
		case 7: /* SACK-perm */
			if (k + 2 > n)
				goto tail;
			o[k] = 4;
			o[k + 1] = fc_below(r, 8) ? 2 : (__u8)fc_below(r, 4);
			k += 2;
			break;
		case 8:
		case 9: /* TS */
			if (k + 10 > n)
				goto tail;
			o[k] = 8;
			o[k + 1] = fc_below(r, 8) ? 10 : (__u8)fc_below(r, 12);
			swt_put32(o + k + 2, (__u32)fc_rand(r));
			swt_put32(o + k + 6, (__u32)fc_rand(r));
			k += 10;
			break;
		default: /* anything: SACK blocks, TFO, MD5, unknown */
			len = (__u8)fc_below(r, 12);
			if (k + 2 > n || (len >= 2 && k + len > n))
				goto tail;
			o[k] = (__u8)fc_rand(r);
			o[k + 1] = len;
			k += len >= 2 ? len : 2;
			break;
		}
	}
	return n;
tail:
	while (k < n)
		o[k++] = fc_below(r, 4) ? 1 : (__u8)fc_rand(r);
	return n;
}

static const __u16 interesting16[] = {
	0,	1,	2,	3,	4,	19,	20,	21,	39,
	40,	59,	60,	64,	0x7f,	0x80,	0xff,	0x100,	1460,
	0x7fff, 0x8000, 0xfffe, 0xffff, 0x0800, 0x86dd, 0x8100, 0x88a8, 80,
	443,	8000,	8100,	8101,	65535,	40001,
};

/* Set ack to cookie + 1 for this frame under a random installed key. */
static void resign(struct fc_rng *r, __u8 *b, size_t len)
{
	const struct fc_state_def *s = &fc_states[b[0] & (FC_NSTATES - 1)];
	struct fc_frame f;
	struct sw_flow w;
	__u32 slot, t, idx, ck, tso;

	fc_frame_parse(b + 1, len - 1, &f);
	if (f.cls != FC_TCP || !f.hdr_ok)
		return;
	slot = fc_below(r, 2);
	if (!s->keys.installed_at[slot] && fc_below(r, 4))
		slot ^= 1;
	t = s->cfg.fixed_time - (fc_below(r, 3) ? 0 : 64);
	if (!fc_below(r, 16))
		t -= 128; /* expired */
	idx = fc_below(r, 16);
	fc_frame_flow(&f, f.seq - 1, &w);
	/* the option bits the ACK echoes (a TSecr of our layout, or not) */
	tso = f.o.ts ? 0x400 | (f.o.tsecr & 0x3ff) : 0;
	if (f.o.ts && fc_below(r, 2)) {
		size_t i;
		const __u8 *o = b + 1 + f.l4 + 20;

		tso = 0x400 | sw_ts_opts(fc_below(r, 16), fc_below(r, 16),
					 fc_below(r, 2), fc_below(r, 2));
		for (i = 0; i + 10 <= f.doff - 20; i++)
			if (o[i] == 8 && o[i + 1] == 10) {
				swt_put32(b + 1 + f.l4 + 20 + i + 6,
					  sw_tsval((__u32)fc_rand(r), 0, tso));
				break;
			}
	}
	/* now and then a cookie for other option bits: the MAC fails */
	if (!fc_below(r, 8))
		tso ^= 1u << fc_below(r, 11);
	if (tso)
		ck = sw_cookie_make(&s->keys.key[slot], slot, &w, f.v6, t, idx,
				    tso, NULL);
	else /* the no-timestamp layout, any code (and now and then the
	      * wrong window scale: the MAC fails) */
		ck = sw_cookie_make_nots(
			&s->keys.key[slot], slot, &w, f.v6, t, fc_below(r, 64),
			fc_our_ws(&s->cfg) ^ (fc_below(r, 8) ? 0 : 1));
	swt_put32(b + 1 + f.l4 + 8, ck + 1);
	if (fc_below(r, 4))
		b[1 + f.l4 + 13] =
			SWT_TCP_ACK |
			(fc_below(r, 4) ? 0 :
					  (__u8)(fc_rand(r) &
						 ~(SWT_TCP_SYN | SWT_TCP_RST)));
}

static void to_socket_tuple(__u8 *b, size_t len)
{
	struct loc l;
	__u8 *f = b + 1;

	locate(f, len - 1, &l);
	if (!l.l4)
		return;
	memset(f, 0, 12); /* loopback's MACs */
	if (l.v6) {
		memset(f + l.l3 + 8, 0, 32);
		f[l.l3 + 8 + 15] = 1;
		f[l.l3 + 24 + 15] = 1;
	} else {
		f[l.l3 + 12] = f[l.l3 + 16] = 127;
		f[l.l3 + 13] = f[l.l3 + 17] = 0;
		f[l.l3 + 14] = f[l.l3 + 18] = 0;
		f[l.l3 + 15] = f[l.l3 + 19] = 1;
	}
	swt_put16(f + l.l4, FC_SOCK_CPORT);
	swt_put16(f + l.l4 + 2, FC_SOCK_SPORT);
}

static size_t mutate_once(struct fc_rng *r, __u8 *b, size_t len, size_t cap,
			  const __u8 *other, size_t olen)
{
	__u8 *f = b + 1;
	size_t flen = len - 1, pos;
	struct loc l;
	__u8 tmp[64];

	locate(f, flen, &l);
	switch (fc_below(r, 24)) {
	case 0: /* bit flips */
	case 1: {
		int i, n = 1 + (int)fc_below(r, 4);

		for (i = 0; i < n && flen; i++) {
			pos = fc_below(r, (__u32)flen);
			f[pos] ^= (__u8)(1u << fc_below(r, 8));
		}
		break;
	}
	case 2: /* an interesting byte */
		if (flen) {
			static const __u8 v[] = {0,    1,    2,	   4,	 5,
						 6,    8,    10,   15,	 0x10,
						 0x40, 0x45, 0x50, 0x7f, 0x80,
						 0xf0, 0xfe, 0xff};

			f[fc_below(r, (__u32)flen)] = v[fc_below(r, sizeof(v))];
		}
		break;
	case 3: /* an interesting 16-bit word, header-heavy */
		if (flen >= 2) {
			pos = fc_below(r,
				       (__u32)(flen - 1 < 80 ? flen - 1 : 80));
			swt_put16(f + pos,
				  interesting16[fc_below(
					  r, sizeof(interesting16) / 2)]);
		}
		break;
	case 4: /* truncate */
		if (flen)
			len = 1 + fc_below(r, (__u32)flen);
		break;
	case 5: /* append (padding or junk) */
		len = splice_bytes(r, b, len, cap, len, 0, NULL,
				   1 + fc_below(r, 64));
		break;
	case 6: /* insert or delete bytes in the middle */
		if (flen) {
			pos = 1 + fc_below(r, (__u32)flen);
			if (fc_below(r, 2))
				len = splice_bytes(r, b, len, cap, pos,
						   1 + fc_below(r, 8), NULL, 0);
			else
				len = splice_bytes(r, b, len, cap, pos, 0, NULL,
						   1 + fc_below(r, 8));
		}
		break;
	case 7: /* TCP flags */
	case 8:
		if (l.l4) {
			static const __u8 fl[] = {
				0x02, 0x10, 0x12, 0x04, 0x14, 0x01,
				0x11, 0x03, 0x06, 0x00, 0x18, 0x19,
				0xc2, 0x42, 0x82, 0x52, 0xff, 0x30,
			};

			f[l.l4 + 13] = fc_below(r, 4) ?
					       fl[fc_below(r, sizeof(fl))] :
					       (__u8)fc_rand(r);
		}
		break;
	case 9: /* doff */
		if (l.l4)
			f[l.l4 + 12] = (__u8)(fc_below(r, 16) << 4 |
					      (f[l.l4 + 12] & 0xf));
		break;
	case 10: /* IP length */
		if (l.l3) {
			size_t at = l.v6 ? l.l3 + 4 : l.l3 + 2;
			long d = (long)fc_below(r, 9) - 4;

			if (fc_below(r, 2))
				swt_put16(f + at,
					  (__u16)(swt_get16(f + at) + d));
			else
				swt_put16(
					f + at,
					interesting16[fc_below(
						r, sizeof(interesting16) / 2)]);
		}
		break;
	case 11: /* IHL / version */
		if (l.l3)
			f[l.l3] = fc_below(r, 2) ? (__u8)((f[l.l3] & 0xf0) |
							  fc_below(r, 16)) :
						   (__u8)(fc_below(r, 16) << 4 |
							  (f[l.l3] & 0xf));
		break;
	case 12: /* new option list, lengths kept consistent */
	case 13:
		if (l.l4 && l.l3) {
			size_t old = (f[l.l4 + 12] >> 4) * 4u, n;

			if (old < 20 || l.l4 + old > flen)
				old = 20;
			n = fc_below(r, 41);
			if (fc_below(r, 3))
				n &= ~(size_t)3;
			gen_opts(r, tmp, n);
			len = splice_bytes(r, b, len, cap, 1 + l.l4 + 20,
					   old - 20, tmp, n);
			f[l.l4 + 12] = (__u8)(((20 + n) / 4) << 4 |
					      (f[l.l4 + 12] & 0xf));
			iplen_add(f, &l, (long)n - (long)(old - 20));
		}
		break;
	case 14: /* one option byte */
		if (l.l4) {
			size_t n = (f[l.l4 + 12] >> 4) * 4u;

			if (n > 20 && l.l4 + n <= flen) {
				pos = l.l4 + 20 + fc_below(r, (__u32)(n - 20));
				f[pos] = fc_below(r, 2) ? (__u8)fc_rand(r) :
							  (__u8)fc_below(r, 12);
			}
		}
		break;
	case 15: /* VLAN tag in or out */
		if (fc_below(r, 2) && flen >= 18 &&
		    fc_is_vlan(swt_get16(f + 12))) {
			len = splice_bytes(r, b, len, cap, 1 + 12, 4, NULL, 0);
		} else if (flen >= 14) {
			swt_put16(tmp, fc_below(r, 2) ? 0x8100 : 0x88a8);
			swt_put16(tmp + 2, (__u16)fc_rand(r));
			len = splice_bytes(r, b, len, cap, 1 + 12, 0, tmp, 4);
		}
		break;
	case 16: /* ethertype / L4 protocol / next header */
		if (l.l3 && fc_below(r, 2)) {
			static const __u8 pr[] = {6,  6,  17, 1,  58, 44,  0,
						  43, 60, 59, 50, 51, 135, 253};

			f[l.v6 ? l.l3 + 6 : l.l3 + 9] =
				pr[fc_below(r, sizeof(pr))];
		} else if (flen >= 14) {
			static const __u16 et[] = {0x0800, 0x86dd, 0x8100,
						   0x88a8, 0x0806, 0x9100};

			swt_put16(f + (l.l3 ? l.l3 - 2 : 12),
				  et[fc_below(r, sizeof(et) / 2)]);
		}
		break;
	case 17: /* fragment bits */
		if (l.l3 && !l.v6)
			swt_put16(
				f + l.l3 + 6,
				(__u16)(fc_below(r, 2) ? 0x4000 : fc_rand(r)));
		break;
	case 18: /* ports */
		if (l.l4) {
			static const __u16 pt[] = {0,	  22,	 80,   443,
						   8000,  8050,	 8100, 8101,
						   65535, 65534, 81,   40001};

			swt_put16(f + l.l4 + 2,
				  pt[fc_below(r, sizeof(pt) / 2)]);
			if (fc_below(r, 2))
				swt_put16(f + l.l4, (__u16)fc_rand(r));
		}
		break;
	case 19: /* ACK with a valid cookie for whatever the frame is now */
	case 20:
		resign(r, b, len);
		break;
	case 21: /* the established flow's tuple */
		to_socket_tuple(b, len);
		break;
	case 22: /* splice from the other input */
		if (other && olen > 1 && flen) {
			size_t from = 1 + fc_below(r, (__u32)(olen - 1));
			size_t n = 1 + fc_below(r, (__u32)(olen - from));

			pos = 1 + fc_below(r, (__u32)flen);
			if (fc_below(r, 2)) {
				/* overwrite */
				if (pos + n > len)
					n = len - pos;
				memmove(b + pos, other + from, n);
			} else {
				len = splice_bytes(r, b, len, cap, pos, 0,
						   other + from, n);
			}
		}
		break;
	case 23: /* another state */
		b[0] = (__u8)fc_below(r, 256);
		break;
	}
	return len;
}

size_t fc_mutate(struct fc_rng *r, __u8 *in, size_t len, size_t cap,
		 const __u8 *other, size_t olen)
{
	int i, n = 1 + (int)fc_below(r, 4);

	if (cap > FC_INPUT_MAX)
		cap = FC_INPUT_MAX;
	if (len < 1) {
		in[0] = 0;
		len = 1;
	}
	if (len > cap)
		len = cap;
	for (i = 0; i < n; i++)
		len = mutate_once(r, in, len, cap, other, olen);
	return len;
}
