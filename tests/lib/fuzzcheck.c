// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzzcheck: an independent model of docs/datapath.md, and the oracle
 * that holds the real XDP program (BPF_PROG_TEST_RUN) to it.  See
 * fuzzcheck.h.  Written from the contract, not from bpf/: its own frame
 * parser and TCP option walk; the MAC comes from the shared cookie.h, the
 * expected SYN-ACK bytes from tests/lib/expect.c.
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

#include "fuzzcheck.h"
/* cookie.h's "#pragma unroll" is for clang -target bpf */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

#define ST(f) SWT_STAT(f)

/* ---- states ------------------------------------------------------------ */

/* 1700000000 = 64 * 26562500: the first second of an (even) cookie epoch */
#define FC_T0 1700000000u

#define KEY_A                                                \
	{                                                    \
		0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull \
	}
#define KEY_B                                                \
	{                                                    \
		0x8877665544332211ull, 0x00ffeeddccbbaa99ull \
	}
#define KEY_C                                                \
	{                                                    \
		0xdeadbeefcafef00dull, 0x0123456789abcdefull \
	}

/* clang-format off */
const struct fc_state_def fc_states[FC_NSTATES] = {
	/* every config field 0: the documented defaults apply */
	{ "defaults, slot 0 current, slot 1 previous, even epoch",
	  { .fixed_time = FC_T0 + 10 },
	  { { KEY_A, KEY_B }, 0, 2, { FC_T0 - 100, FC_T0 - 300 } } },
	{ "explicit config, slot 1 current, odd epoch",
	  { 1460, 1440, 65535, 7, 64, 0, FC_T0 + 64 + 30, 0, 0, 0, 0, 0, { 0 } },
	  { { KEY_A, KEY_B }, 1, 3, { FC_T0 - 100, FC_T0 + 50 } } },
	{ "small: MSS 536/1220, window 1, wscale 0, TTL 1, no ECN",
	  { 536, 1220, 1, SYNWALL_WSCALE_ZERO, 1, SYNWALL_CF_NO_ECN, FC_T0 + 5, 0, 0, 0, 0, 0, { 0 } },
	  { { KEY_A, KEY_B }, 0, 2, { FC_T0 - 100, FC_T0 - 300 } } },
	{ "big: MSS 9000/65475, wscale 20 (clamped to 14), TTL 255, last second of an epoch",
	  { 9000, 65475, 65535, 20, 255, 0, FC_T0 + 127, 0, 0, 0, 0, 0, { 0 } },
	  { { KEY_C, KEY_B }, 0, 7, { FC_T0 - 100, FC_T0 - 300 } } },
	{ "unkeyed: generation 0",
	  { .fixed_time = FC_T0 + 10 },
	  { { { 0, 0 }, { 0, 0 } }, 0, 0, { 0, 0 } } },
	{ "one key: slot 1 never installed (all-zero key)",
	  { .fixed_time = FC_T0 + 200 },
	  { { KEY_A, { 0, 0 } }, 0, 1, { FC_T0 - 100, 0 } } },
	{ "current slot not installed: unkeyed",
	  { .fixed_time = FC_T0 + 10 },
	  { { KEY_A, KEY_B }, 1, 1, { FC_T0 - 100, 0 } } },
	{ "epoch 0: the previous epoch wraps to 2^32-1",
	  { 0, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0, { 0 } },
	  { { KEY_C, KEY_B }, 0, 9, { 1, 1 } } },
};
/* clang-format on */

/* Protected ports of every state. */
static bool fc_protected(__u16 port)
{
	return port == 0 || port == 22 || port == 80 || port == 443 ||
	       (port >= 8000 && port <= 8100) || port == 65535;
}

/* ---- environment ----------------------------------------------------- */

static int ports_write(const struct swt_env *e)
{
	__u64 w[SYNWALL_PORT_WORDS] = {0};
	__u32 k, p;

	for (p = 0; p < 65536; p++)
		if (fc_protected((__u16)p))
			w[p / 64] |= 1ull << (p % 64);
	for (k = 0; k < SYNWALL_PORT_WORDS; k++)
		if (bpf_map_update_elem(e->ports_fd, &k, &w[k], BPF_ANY))
			return -errno;
	return 0;
}

/* A connected pair over loopback: client bound to FC_SOCK_CPORT. */
static int sock_pair(struct fc_env *e, int fam, int *slot, char *err,
		     size_t errlen)
{
	struct sockaddr_storage ss = {0}, cs = {0};
	struct sockaddr_in *s4 = (void *)&ss, *c4 = (void *)&cs;
	struct sockaddr_in6 *s6 = (void *)&ss, *c6 = (void *)&cs;
	socklen_t alen = fam == AF_INET ? sizeof(*s4) : sizeof(*s6);
	int one = 1, l, c, a;

	if (fam == AF_INET) {
		s4->sin_family = c4->sin_family = AF_INET;
		s4->sin_addr.s_addr = c4->sin_addr.s_addr = htonl(0x7f000001);
		s4->sin_port = htons(FC_SOCK_SPORT);
		c4->sin_port = htons(FC_SOCK_CPORT);
	} else {
		s6->sin6_family = c6->sin6_family = AF_INET6;
		s6->sin6_addr = c6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(FC_SOCK_SPORT);
		c6->sin6_port = htons(FC_SOCK_CPORT);
	}
	l = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || c < 0)
		goto fail;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6)
		setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l, (void *)&ss, alen) || listen(l, 4) ||
	    bind(c, (void *)&cs, alen) || connect(c, (void *)&ss, alen))
		goto fail;
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		goto fail;
	e->sock_fds[slot[0]++] = l;
	e->sock_fds[slot[0]++] = c;
	e->sock_fds[slot[0]++] = a;
	return 0;
fail:
	snprintf(err, errlen, "loopback connection (%s): %s",
		 fam == AF_INET ? "IPv4" : "IPv6", strerror(errno));
	if (l >= 0)
		close(l);
	if (c >= 0)
		close(c);
	return -1;
}

/*
 * The server of SWT_TEST_DEV: a listener on each of its addresses at every
 * protected port but 0 (nothing can listen there).  Left open until exit.
 */
static int listeners_open(char *err, size_t errlen)
{
	static const char *const addr[] = {SWT_TEST_IP4, SWT_TEST_IP4B,
					   SWT_TEST_IP6, SWT_TEST_IP6B};
	__u32 port;
	size_t i;

	for (port = 1; port < 65536; port++) {
		if (!fc_protected((__u16)port))
			continue;
		for (i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
			struct sockaddr_storage ss = {0};
			struct sockaddr_in *s4 = (void *)&ss;
			struct sockaddr_in6 *s6 = (void *)&ss;
			bool v6 = strchr(addr[i], ':') != NULL;
			int fd, one = 1;

			if (v6) {
				s6->sin6_family = AF_INET6;
				s6->sin6_port = htons((__u16)port);
				inet_pton(AF_INET6, addr[i], &s6->sin6_addr);
			} else {
				s4->sin_family = AF_INET;
				s4->sin_port = htons((__u16)port);
				inet_pton(AF_INET, addr[i], &s4->sin_addr);
			}
			fd = socket(v6 ? AF_INET6 : AF_INET,
				    SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0 ||
			    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one)) ||
			    bind(fd, (void *)&ss,
				 v6 ? sizeof(*s6) : sizeof(*s4)) ||
			    listen(fd, 4)) {
				snprintf(err, errlen, "listen on %s port %u: %s",
					 addr[i], port, strerror(errno));
				if (fd >= 0)
					close(fd);
				return -1;
			}
		}
	}
	return 0;
}

int fc_env_open(struct fc_env *e, char *err, size_t errlen)
{
	int n = 0, i, r;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < 6; i++)
		e->sock_fds[i] = -1;
	e->state = -1;
	/* socket lookups must see only the connections made here */
	if (swt_netns_private(err, errlen))
		return -1;
	if (sock_pair(e, AF_INET, &n, err, errlen))
		return -1;
	/* IPv6 loopback may be disabled on a host: the v6 pair is optional */
	e->have_v6_sock = sock_pair(e, AF_INET6, &n, err, errlen) == 0;
	if (listeners_open(err, errlen))
		return -1;
	if (swt_env_open(&e->swt, err, errlen))
		return -1;
	r = ports_write(&e->swt);
	if (r) {
		snprintf(err, errlen, "ports write: %s", strerror(-r));
		return -1;
	}
	r = swt_stats_zero(&e->swt);
	if (!r)
		r = swt_stats_read(&e->swt, &e->last);
	if (r) {
		snprintf(err, errlen, "stats: %s", strerror(-r));
		return -1;
	}
	err[0] = 0;
	return 0;
}

void fc_env_close(struct fc_env *e)
{
	int i;

	swt_env_close(&e->swt);
	for (i = 0; i < 6; i++)
		if (e->sock_fds[i] >= 0)
			close(e->sock_fds[i]);
}

static int state_apply(struct fc_env *e, int s)
{
	int r;

	if (e->state == s)
		return 0;
	r = swt_config_write(&e->swt, &fc_states[s].cfg);
	if (!r)
		r = swt_keys_write(&e->swt, &fc_states[s].keys);
	if (r)
		return r;
	e->state = s;
	return 0;
}

/* ---- the model: parsing ---------------------------------------------- */

enum { FC_MALFORMED, FC_NOT_TCP, FC_FRAGMENT, FC_V6EXT, FC_TCP };

/* TCP options as the contract reads them (Linux semantics). */
struct fc_opts {
	int mss; /* -1: none (an MSS of 0 counts as none, as in Linux) */
	int ws;	 /* -1: none; else the shift, capped at 14 (RFC 7323) */
	bool sack;
	bool ts;
	__u32 tsval, tsecr;
};

struct fc_frame {
	const __u8 *b;
	size_t len;
	int cls;
	size_t l3, l4, seg_len;
	bool v6;
	__u8 saddr[16], daddr[16];
	__u16 sport, dport;
	/* TCP header fields, valid when hdr_ok */
	bool hdr_ok;  /* the segment holds a 20-byte header */
	bool doff_ok; /* 20 <= doff <= segment length */
	bool opt_ok;  /* option bytes well-formed */
	size_t doff;
	__u32 seq, ack;
	__u8 flags;
	struct fc_opts o;
};

static bool is_vlan(__u16 t)
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
static bool opts_walk(const __u8 *b, size_t n, struct fc_opts *o)
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

static void frame_parse(const __u8 *b, size_t len, struct fc_frame *f)
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
	for (i = 0; i < 2 && is_vlan(proto); i++) {
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
	f->opt_ok = opts_walk(b + f->l4 + 20, f->doff - 20, &f->o);
}

/* The cookie flow of a client->server segment with the given ISN. */
static void frame_flow(const struct fc_frame *f, __u32 isn, struct sw_flow *w)
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
		return f->dport == FC_SOCK_SPORT &&
		       (!f->v6 || e->have_v6_sock);
	return f->dport != 0; /* every other protected port */
}

/* Configuration with the documented defaults (and clamps) resolved. */
struct fc_cfg {
	__u16 mss4, mss6, window;
	__u8 wscale, ttl;
	bool no_ecn;
	__u32 now;
};

static void cfg_resolve(const struct synwall_config *c, struct fc_cfg *r)
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
static __u32 fc_our_ws(const struct synwall_config *c)
{
	struct swt_cfg r;

	swt_cfg_resolve(c, &r);
	return r.wscale > SYNWALL_WSCALE_MAX ? SYNWALL_WSCALE_MAX : r.wscale;
}

static bool cookie_valid(const struct synwall_keys *k, const struct fc_frame *f,
			 __u32 cookie, const struct synwall_config *cfg)
{
	__u32 now = cfg->fixed_time;
	__u32 slot = sw_cookie_slot(cookie);
	struct sw_flow w;

	if (!k->installed_at[slot])
		return false;
	frame_flow(f, f->seq - 1, &w);
	/* the MAC covers the timestamp option bits the ACK echoes */
	return sw_cookie_check(&k->key[slot], cookie, &w, f->v6, now,
			       f->o.ts ? 0x400 | (f->o.tsecr & 0x3ff) : 0,
			       fc_our_ws(cfg));
}

struct fc_pred {
	__u32 verdict;
	size_t counter;
	bool synack; /* XDP_TX: check the SYN-ACK */
	bool meta;   /* PASS with metadata */
};

static void predict(const struct fc_env *e, const struct fc_state_def *s,
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
		if (cookie_valid(k, f, f->ack - 1, &s->cfg)) {
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

/* ---- reporting helpers ----------------------------------------------- */

struct why {
	char *b;
	size_t n, used;
	int bad;
};

__attribute__((format(printf, 2, 3))) static void viol(struct why *w,
						       const char *fmt, ...)
{
	va_list ap;
	int k;

	w->bad = 1;
	if (w->used + 2 >= w->n)
		return;
	if (w->used) {
		w->b[w->used++] = ';';
		w->b[w->used++] = ' ';
		w->b[w->used] = 0;
	}
	va_start(ap, fmt);
	k = vsnprintf(w->b + w->used, w->n - w->used, fmt, ap);
	va_end(ap);
	if (k > 0)
		w->used += (size_t)k < w->n - w->used ? (size_t)k :
							w->n - w->used - 1;
}

#define CHECK(w, cond, ...)                   \
	do {                                  \
		if (!(cond))                  \
			viol(w, __VA_ARGS__); \
	} while (0)

/* ---- the SYN-ACK ----------------------------------------------------- */

/* The SYN's options as tests/lib's expectation takes them. */
static void synopts_of(const struct fc_frame *f, struct swt_synopts *o)
{
	memset(o, 0, sizeof(*o));
	o->mss = f->o.mss;
	o->ws = f->o.ws;
	o->sack = f->o.sack;
	o->ts = f->o.ts;
	o->tsval = f->o.tsval;
	o->ecn = (f->flags & (SWT_TCP_ECE | SWT_TCP_CWR)) ==
		 (SWT_TCP_ECE | SWT_TCP_CWR);
}

/* Rebuild the SYN as a swt_pkt (L2 as it was, addresses, ports, seq). */
static void pkt_of(const struct fc_frame *f, struct swt_pkt *p)
{
	const __u8 *b = f->b;
	size_t off = 12;

	swt_pkt_init(p, f->v6);
	memcpy(p->dmac, b, 6);
	memcpy(p->smac, b + 6, 6);
	while (is_vlan(swt_get16(b + off)) && off + 4 < f->l3) {
		swt_pkt_vlan(p, swt_get16(b + off), swt_get16(b + off + 2));
		off += 4;
	}
	memcpy(p->saddr, f->saddr, 16);
	memcpy(p->daddr, f->daddr, 16);
	p->sport = f->sport;
	p->dport = f->dport;
	p->seq = f->seq;
}

static void check_synack(const struct fc_state_def *s, const struct fc_frame *f,
			 const __u8 *out, size_t olen, struct why *w)
{
	static __u8 exp[SWT_PKT_MAX];
	static struct swt_pkt sp;
	const struct synwall_keys *k = &s->keys;
	struct synwall_config rcfg;
	struct swt_synopts so;
	struct fc_cfg c;
	struct fc_opts oo;
	struct sw_flow flow;
	size_t l3 = f->l3, iplen = f->v6 ? 40 : 20, t = l3 + iplen, thl, elen;
	__u32 slot = k->current & 1, idx, cookie, want_cookie, mss_want;
	__u32 tso = 0, ts_off = 0;
	bool ecn;
	int client_mss;

	cfg_resolve(&s->cfg, &c);
	CHECK(w, olen <= f->len + 4,
	      "SYN-ACK of %zu bytes for a %zu-byte SYN: more than 4 bytes of "
	      "amplification",
	      olen, f->len);
	if (olen < t + 20) {
		viol(w, "SYN-ACK of %zu bytes cannot hold L2 + IP + TCP", olen);
		return;
	}
	/* Ethernet: MACs swapped, tags and ethertype as they were */
	CHECK(w, !memcmp(out, f->b + 6, 6) && !memcmp(out + 6, f->b, 6),
	      "Ethernet addresses not swapped");
	CHECK(w, !memcmp(out + 12, f->b + 12, l3 - 12),
	      "VLAN tags / ethertype changed");
	/* IP */
	if (f->v6) {
		CHECK(w, swt_get32(out + l3) == 0x60000000u,
		      "IPv6 version/class/flow %#x, want 0x60000000",
		      swt_get32(out + l3));
		CHECK(w, swt_get16(out + l3 + 4) == olen - t,
		      "IPv6 payload_len %u, want %zu", swt_get16(out + l3 + 4),
		      olen - t);
		CHECK(w, out[l3 + 6] == 6, "IPv6 next header %u", out[l3 + 6]);
		CHECK(w, out[l3 + 7] == c.ttl, "hop limit %u, want %u",
		      out[l3 + 7], c.ttl);
		CHECK(w,
		      !memcmp(out + l3 + 8, f->daddr, 16) &&
			      !memcmp(out + l3 + 24, f->saddr, 16),
		      "IPv6 addresses not swapped");
	} else {
		CHECK(w, out[l3] == 0x45 && out[l3 + 1] == 0,
		      "IPv4 version/IHL/TOS %02x %02x, want 45 00", out[l3],
		      out[l3 + 1]);
		CHECK(w, swt_get16(out + l3 + 2) == olen - l3,
		      "IPv4 tot_len %u, want %zu", swt_get16(out + l3 + 2),
		      olen - l3);
		CHECK(w,
		      swt_get16(out + l3 + 4) == 0 &&
			      swt_get16(out + l3 + 6) == 0x4000,
		      "IPv4 ID/frag %04x %04x, want 0000 4000",
		      swt_get16(out + l3 + 4), swt_get16(out + l3 + 6));
		CHECK(w, out[l3 + 8] == c.ttl && out[l3 + 9] == 6,
		      "TTL %u proto %u, want %u 6", out[l3 + 8], out[l3 + 9],
		      c.ttl);
		CHECK(w, swt_csum_fold(swt_csum_add(0, out + l3, 20)) == 0,
		      "IPv4 header checksum does not verify");
		CHECK(w,
		      !memcmp(out + l3 + 12, f->daddr, 4) &&
			      !memcmp(out + l3 + 16, f->saddr, 4),
		      "IPv4 addresses not swapped");
	}
	/* TCP */
	thl = (out[t + 12] >> 4) * 4u;
	CHECK(w, thl >= 20 && t + thl == olen,
	      "TCP header length %zu, frame holds %zu (no payload allowed)",
	      thl, olen - t);
	if (thl < 20 || t + thl != olen)
		return;
	CHECK(w,
	      swt_get16(out + t) == f->dport &&
		      swt_get16(out + t + 2) == f->sport,
	      "ports %u->%u, want %u->%u", swt_get16(out + t),
	      swt_get16(out + t + 2), f->dport, f->sport);
	CHECK(w, swt_get32(out + t + 8) == f->seq + 1,
	      "ack %#x, want ISN + 1 = %#x", swt_get32(out + t + 8),
	      f->seq + 1);
	CHECK(w, swt_get16(out + t + 14) == c.window, "window %u, want %u",
	      swt_get16(out + t + 14), c.window);
	CHECK(w, swt_get16(out + t + 18) == 0, "urgent pointer %u",
	      swt_get16(out + t + 18));
	CHECK(w,
	      swt_l4_csum(f->v6, out + (f->v6 ? l3 + 8 : l3 + 12),
			  out + (f->v6 ? l3 + 24 : l3 + 16), 6, out + t,
			  olen - t) == 0,
	      "TCP checksum does not verify");
	ecn = f->o.ts && !c.no_ecn &&
	      (f->flags & (SWT_TCP_ECE | SWT_TCP_CWR)) ==
		      (SWT_TCP_ECE | SWT_TCP_CWR);
	CHECK(w,
	      out[t + 13] ==
		      (SWT_TCP_SYN | SWT_TCP_ACK | (ecn ? SWT_TCP_ECE : 0)),
	      "flags %#x, want %#x", out[t + 13],
	      SWT_TCP_SYN | SWT_TCP_ACK | (ecn ? SWT_TCP_ECE : 0));
	/* the cookie */
	cookie = swt_get32(out + t + 4);
	client_mss = f->o.mss > 0 ? f->o.mss : f->v6 ? 1220 : 536;
	idx = swt_mss_index((__u32)client_mss, f->v6);
	frame_flow(f, f->seq, &flow);
	/* the option bits the TSval must carry, under the cookie's MAC */
	if (f->o.ts)
		tso = 0x400 | (__u32)c.wscale << 6 |
		      (__u32)(f->o.ws >= 0 ? f->o.ws : SW_WS_NONE) << 2 |
		      (f->o.sack ? 2 : 0) | (ecn ? 1 : 0);
	if (f->o.ts)
		want_cookie = sw_cookie_make(&k->key[slot], slot, &flow, f->v6,
					     c.now, idx, tso, &ts_off);
	else
		want_cookie = sw_cookie_make_nots(
			&k->key[slot], slot, &flow, f->v6, c.now,
			sw_nots_code((__u32)client_mss,
				     f->o.ws >= 0 ? (__u32)(f->o.ws > 14 ? 14 : f->o.ws) :
						    SW_WS_NONE,
				     f->o.sack, f->v6),
			c.wscale);
	CHECK(w,
	      sw_cookie_slot(cookie) == slot && k->installed_at[slot] &&
		      sw_cookie_check(&k->key[slot], cookie, &flow, f->v6,
				      c.now, tso, c.wscale),
	      "seq %#x is not a cookie valid under the current key (slot %u)",
	      cookie, slot);
	CHECK(w, cookie == want_cookie,
	      "cookie %#x, want %#x (MSS index %u, this epoch)", cookie,
	      want_cookie, idx);
	/* options: MSS, plus only what the client offered */
	if (!opts_walk(out + t + 20, thl - 20, &oo)) {
		viol(w, "SYN-ACK options malformed");
	} else {
		size_t i;

		mss_want = f->v6 ? c.mss6 : c.mss4;
		if (f->o.mss > 0 && (__u32)f->o.mss < mss_want)
			mss_want = (__u32)f->o.mss;
		CHECK(w,
		      oo.mss >= 0 && (__u32)oo.mss == mss_want &&
			      out[t + 20] == 2,
		      "MSS option %d (first: kind %u), want %u first", oo.mss,
		      out[t + 20], mss_want);
		CHECK(w, !oo.ts || f->o.ts,
		      "TS option not offered by the client");
		CHECK(w, oo.ts == f->o.ts, "TS option %s",
		      oo.ts ? "added" : "missing");
		CHECK(w, oo.sack == !!f->o.sack,
		      "SACK-permitted %s", oo.sack ? "not offered" : "missing");
		CHECK(w, (oo.ws >= 0) == (f->o.ws >= 0),
		      "window scale option %s",
		      oo.ws >= 0 ? "added" : "missing");
		if (oo.ws >= 0)
			CHECK(w, oo.ws == c.wscale, "window scale %d, want %u",
			      oo.ws, c.wscale);
		if (oo.ts) {
			struct sw_ts_opts d;

			CHECK(w, oo.tsecr == f->o.tsval,
			      "TSecr %#x, want the client's TSval %#x",
			      oo.tsecr, f->o.tsval);
			CHECK(w,
			      sw_ts_decode(oo.tsval, &d) &&
				      d.peer_ws == (f->o.ws >= 0 ?
							    f->o.ws :
							    SW_WS_NONE) &&
				      d.our_ws == c.wscale &&
				      d.sack == f->o.sack && d.ecn == ecn,
			      "TSval %#x does not encode the options",
			      oo.tsval);
			CHECK(w,
			      (oo.tsval & ~0x3ffu) ==
				      ((c.now * 1000u + ts_off) & ~0x3ffu),
			      "TSval %#x: high bits are not clock ms + the "
			      "flow's offset %#x",
			      oo.tsval, ts_off);
		}
		/* only kinds MSS, SACK-perm, TS, WS, NOP */
		for (i = 20; i < thl;) {
			__u8 kd = out[t + i];

			if (kd == 1) {
				i++;
				continue;
			}
			if (kd != 2 && kd != 3 && kd != 4 && kd != 8) {
				viol(w, "option kind %u in the SYN-ACK", kd);
				break;
			}
			i += out[t + i + 1];
		}
	}
	/* byte for byte: tests/lib's independent SYN-ACK builder */
	pkt_of(f, &sp);
	synopts_of(f, &so);
	if (so.mss == 0)
		so.mss = -1;
	rcfg = s->cfg;
	rcfg.wscale = c.wscale ? c.wscale : SYNWALL_WSCALE_ZERO;
	elen = swt_expect_synack(&sp, &so, &rcfg, k, exp, sizeof(exp), NULL,
				 NULL);
	if (!w->bad && (elen != olen || memcmp(exp, out, olen)))
		viol(w,
		     "SYN-ACK differs from swt_expect_synack()'s (%zu vs %zu "
		     "bytes)",
		     olen, elen);
}

/* ---- the handoff metadata ------------------------------------------- */

static void check_meta(const struct fc_state_def *s, const struct fc_frame *f,
		       const struct synwall_meta *m, struct why *w)
{
	struct synwall_meta want;
	struct sw_ts_opts d;
	__u32 cookie = f->ack - 1;

	CHECK(w, cookie_valid(&s->keys, f, cookie, &s->cfg),
	      "metadata for an ACK whose cookie %#x is not valid", cookie);
	memset(&want, 0, sizeof(want));
	want.magic = SYNWALL_META_MAGIC;
	want.cookie = cookie;
	want.mss = sw_index_to_mss(sw_cookie_mss_index(cookie), f->v6);
	if (f->o.ts && sw_ts_decode(f->o.tsecr, &d)) {
		want.tsval = f->o.tsval;
		want.tsecr = f->o.tsecr;
		want.flags = SYNWALL_MF_TSTAMP;
		if (d.peer_ws != SW_WS_NONE) {
			want.flags |= SYNWALL_MF_WSCALE;
			want.snd_wscale = d.peer_ws;
			want.rcv_wscale = d.our_ws;
		}
		if (d.sack)
			want.flags |= SYNWALL_MF_SACK;
		if (d.ecn)
			want.flags |= SYNWALL_MF_ECN;
	} else if (!f->o.ts) {
		/* the no-timestamp layout, decoded by hand (cookie.h) */
		static const int ws_of[8] = {-1, -1, 0, 0, 2, 6, 7, 8};
		__u32 code = (cookie >> 2) & 0x3f;

		want.mss = (f->v6 ? sw_nots_mss6 : sw_nots_mss4)[code & 7];
		if (ws_of[code >> 3] >= 0) {
			want.flags |= SYNWALL_MF_WSCALE;
			want.snd_wscale = (__u8)ws_of[code >> 3];
			want.rcv_wscale = (__u8)fc_our_ws(&s->cfg);
		}
		if ((code >> 3) != 0 && (code >> 3) != 2)
			want.flags |= SYNWALL_MF_SACK;
	}
	if (memcmp(&want, m, sizeof(want)))
		viol(w,
		     "metadata {magic %#x cookie %#x tsval %#x tsecr %#x mss "
		     "%u snd_ws %u rcv_ws %u flags %#x pad %02x%02x%02x}, want "
		     "{%#x %#x %#x %#x %u %u %u %#x 000000}",
		     m->magic, m->cookie, m->tsval, m->tsecr, m->mss,
		     m->snd_wscale, m->rcv_wscale, m->flags, m->pad[0],
		     m->pad[1], m->pad[2], want.magic, want.cookie, want.tsval,
		     want.tsecr, want.mss, want.snd_wscale, want.rcv_wscale,
		     want.flags);
}

/* ---- fc_check -------------------------------------------------------- */

static const char *cls_name(int c)
{
	static const char *const n[] = {"malformed", "not TCP", "fragment",
					"IPv6 ext", "TCP"};

	return n[c];
}

/*
 * Judge one run: the state, the input frame, what the program returned
 * and how the counters moved.  Adds violations to w.
 */
static void judge(const struct fc_env *e, int state, const __u8 *frame,
		  size_t flen, const struct swt_xdp_out *out,
		  const struct synwall_stats *before,
		  const struct synwall_stats *after, struct why *w)
{
	const struct fc_state_def *s = &fc_states[state];
	struct fc_frame f;
	struct fc_pred p;
	char moved[512];
	size_t i;
	int nmoved = 0;

	frame_parse(frame, flen, &f);
	predict(e, s, &f, &p);

	for (i = 0; i < swt_nstat_fields; i++) {
		size_t o = swt_stat_fields[i].off;

		nmoved += swt_stat_get(after, o) != swt_stat_get(before, o);
	}
	if (swt_stats_check_one(before, after, p.counter, moved, sizeof(moved)))
		viol(w, "counters: want %s +1 and nothing else, got %s%s",
		     swt_stat_name(p.counter), moved,
		     nmoved == 1 ? "" : " (not exactly one counter moved)");

	if (out->verdict != XDP_PASS && out->verdict != XDP_DROP &&
	    out->verdict != XDP_TX)
		viol(w, "undocumented verdict %s (%u)",
		     swt_xdp_verdict_name(out->verdict), out->verdict);
	else if (out->verdict != p.verdict)
		viol(w, "verdict %s, want %s",
		     swt_xdp_verdict_name(out->verdict),
		     swt_xdp_verdict_name(p.verdict));

	if (out->verdict == XDP_TX) {
		if (f.cls == FC_TCP && f.hdr_ok)
			check_synack(s, &f, swt_xdp_data(out), out->len, w);
		if (out->meta_len)
			viol(w, "XDP_TX with %u bytes of metadata",
			     out->meta_len);
	} else {
		if (out->meta_len) {
			if (out->verdict != XDP_PASS || !p.meta)
				viol(w,
				     "%u bytes of metadata with %s, where none "
				     "is due",
				     out->meta_len,
				     swt_xdp_verdict_name(out->verdict));
			else if (out->meta_len != sizeof(struct synwall_meta))
				viol(w, "%u bytes of metadata, want %zu",
				     out->meta_len,
				     sizeof(struct synwall_meta));
			else
				check_meta(s, &f, (const void *)out->buf, w);
		} else if (p.meta && out->verdict == XDP_PASS) {
			viol(w, "valid cookie passed without metadata");
		}
		if (out->len != flen || memcmp(swt_xdp_data(out), frame, flen))
			viol(w, "%s frame modified (%u bytes out, %zu in)",
			     swt_xdp_verdict_name(out->verdict), out->len,
			     flen);
	}
	if (w->bad) {
		char ctx[512];

		snprintf(ctx, sizeof(ctx),
			 " [state %d (%s); frame %zu bytes, model: %s%s%s, "
			 "dport %u, flags %#x, doff %zu, seg %zu]",
			 state, s->name, flen, cls_name(f.cls),
			 f.v6 ? " IPv6" : "", f.hdr_ok ? "" : " short-TCP",
			 f.dport, f.flags, f.doff, f.seg_len);
		viol(w, "%s", ctx);
	}
}

/*
 * The device a frame runs on: loopback (ifindex 1, MAC all zeros) if its
 * destination MAC is all zeros, else SWT_TEST_DEV.
 */
static __u32 fc_ifindex(const __u8 *frame)
{
	static const __u8 zero[6];

	return memcmp(frame, zero, 6) ? 0 : 1;
}

/* Run the program on an input: state, frame, output, counters. */
static int run_one(struct fc_env *e, const __u8 *in, size_t len, int *state,
		   size_t *flen, struct swt_xdp_out *out,
		   struct synwall_stats *after, char *whyb, size_t whylen)
{
	int r;

	*state = in[0] & (FC_NSTATES - 1);
	*flen = len - 1 > FC_FRAME_MAX ? FC_FRAME_MAX : len - 1;
	r = state_apply(e, *state);
	if (r) {
		snprintf(whyb, whylen, "map write: %s", strerror(-r));
		return -1;
	}
	if (swt_xdp_run(e->swt.xdp_fd, in + 1, *flen, fc_ifindex(in + 1),
			out)) {
		snprintf(whyb, whylen, "BPF_PROG_TEST_RUN: %s",
			 strerror(-out->err));
		return -1;
	}
	r = swt_stats_read(&e->swt, after);
	if (r) {
		snprintf(whyb, whylen, "stats read: %s", strerror(-r));
		return -1;
	}
	e->runs++;
	return 0;
}

int fc_check(struct fc_env *e, const __u8 *in, size_t len, char *whyb,
	     size_t whylen)
{
	static struct swt_xdp_out out;
	struct synwall_stats after;
	struct why w = {whyb, whylen, 0, 0};
	size_t flen, i;
	int state;

	if (whylen)
		whyb[0] = 0;
	if (len < 1 + FC_FRAME_MIN) {
		e->skipped_short++;
		return 0;
	}
	if (run_one(e, in, len, &state, &flen, &out, &after, whyb, whylen))
		return -1;
	for (i = 0; i < swt_nstat_fields && i < 32; i++) {
		size_t o = swt_stat_fields[i].off;

		if (swt_stat_get(&after, o) - swt_stat_get(&e->last, o) == 1)
			e->by_counter[i]++;
	}
	judge(e, state, in + 1, flen, &out, &e->last, &after, &w);
	e->last = after;
	if (!w.bad)
		return 0;
	e->violations++;
	return 1;
}

int fc_selftest(struct fc_env *e, const __u8 *in, size_t len,
		unsigned long *tried, unsigned long *caught, char *whyb,
		size_t whylen)
{
	static struct swt_xdp_out out, bad;
	static char scratch[4096];
	struct synwall_stats before, after, a2;
	size_t flen, n, bit;
	int state;

	if (len < 1 + FC_FRAME_MIN)
		return 0;
	before = e->last;
	if (run_one(e, in, len, &state, &flen, &out, &after, whyb, whylen))
		return -1;
	e->last = after;
	{
		struct why w = {scratch, sizeof(scratch), 0, 0};

		judge(e, state, in + 1, flen, &out, &before, &after, &w);
		if (w.bad) {
			snprintf(whyb, whylen,
				 "the real output already fails: %s", scratch);
			return 1;
		}
	}
	/* every bit of metadata and frame */
	n = out.meta_len + out.len;
	for (bit = 0; bit < n * 8; bit++) {
		struct why w = {scratch, sizeof(scratch), 0, 0};

		bad = out;
		bad.buf[bit / 8] ^= (__u8)(1u << (bit % 8));
		judge(e, state, in + 1, flen, &bad, &before, &after, &w);
		(*tried)++;
		*caught += w.bad;
		if (!w.bad && whylen && !whyb[0])
			snprintf(whyb, whylen,
				 "flipping bit %zu of the %s (byte %zu) went "
				 "unnoticed",
				 bit % 8,
				 bit / 8 < out.meta_len ? "metadata" : "frame",
				 bit / 8 < out.meta_len ?
					 bit / 8 :
					 bit / 8 - out.meta_len);
	}
	/* one byte more or less */
	{
		struct why w = {scratch, sizeof(scratch), 0, 0};

		bad = out;
		bad.len = out.len - 1;
		judge(e, state, in + 1, flen, &bad, &before, &after, &w);
		(*tried)++;
		*caught += w.bad;
		w.bad = 0;
		w.used = 0;
		bad.len = out.len + 1;
		judge(e, state, in + 1, flen, &bad, &before, &after, &w);
		(*tried)++;
		*caught += w.bad;
	}
	/* every other verdict */
	for (bit = 0; bit < 5; bit++) {
		struct why w = {scratch, sizeof(scratch), 0, 0};

		if (bit == out.verdict)
			continue;
		bad = out;
		bad.verdict = (__u32)bit;
		judge(e, state, in + 1, flen, &bad, &before, &after, &w);
		(*tried)++;
		*caught += w.bad;
	}
	/* a second counter moved; the right one did not */
	{
		struct why w = {scratch, sizeof(scratch), 0, 0};

		a2 = after;
		a2.xdp_drop_synack_err++;
		judge(e, state, in + 1, flen, &out, &before, &a2, &w);
		(*tried)++;
		*caught += w.bad;
		w.bad = 0;
		w.used = 0;
		judge(e, state, in + 1, flen, &out, &before, &before, &w);
		(*tried)++;
		*caught += w.bad;
	}
	return 0;
}

/* ---- seeds ----------------------------------------------------------- */

struct seedctx {
	fc_seed_fn fn;
	void *ctx;
	size_t n;
};

static void emit_raw(struct seedctx *sc, const char *name, int state,
		     const __u8 *frame, size_t len)
{
	static __u8 buf[FC_INPUT_MAX];

	if (len > FC_FRAME_MAX)
		len = FC_FRAME_MAX;
	buf[0] = (__u8)state;
	memcpy(buf + 1, frame, len);
	sc->fn(sc->ctx, name, buf, len + 1);
	sc->n++;
}

static void emit(struct seedctx *sc, const char *name, int state,
		 const struct swt_pkt *p)
{
	static __u8 fb[SWT_PKT_MAX];
	size_t len = swt_build(p, fb, sizeof(fb), NULL);

	if (len)
		emit_raw(sc, name, state, fb, len);
}

static void syn_linux(struct swt_pkt *p, bool v6)
{
	swt_pkt_init(p, v6);
	swt_opt_linux_syn(p, v6 ? 1440 : 1460, 0x01020304, 7);
}

/* SYN options as the seeds declare them, for the ACK's cookie. */
static void opts_decl(const struct swt_pkt *p, struct swt_synopts *o)
{
	static __u8 fb[SWT_PKT_MAX];
	struct fc_frame f;
	size_t len = swt_build(p, fb, sizeof(fb), NULL);

	frame_parse(fb, len, &f);
	synopts_of(&f, o);
}

/*
 * The third ACK for syn under state s, its SYN-ACK made at time t_syn
 * (0: the state's clock) with key slot `slot` (-1: the current one).
 */
static void make_ack(const struct swt_pkt *syn, int s, __u32 t_syn, int slot,
		     bool ts, struct swt_pkt *ack)
{
	static __u8 tmp[SWT_PKT_MAX];
	struct synwall_config cfg = fc_states[s].cfg;
	struct synwall_keys keys = fc_states[s].keys;
	struct swt_synopts o;
	__u32 ck = 0, tsv = 0;

	if (t_syn)
		cfg.fixed_time = t_syn;
	if (slot >= 0)
		keys.current = (__u32)slot;
	if (cfg.wscale > 14 && cfg.wscale != SYNWALL_WSCALE_ZERO)
		cfg.wscale = 14;
	opts_decl(syn, &o);
	if (o.mss == 0)
		o.mss = -1;
	swt_expect_synack(syn, &o, &cfg, &keys, tmp, sizeof(tmp), &ck, &tsv);
	swt_make_ack(syn, ck, ts && o.ts, 0x01020400, tsv, ack);
}

size_t fc_seeds(fc_seed_fn fn, void *ctx)
{
	static struct swt_pkt p, a;
	struct seedctx sc = {fn, ctx, 0};
	static __u8 raw[256];
	char name[96];
	int v, s;

	for (v = 0; v < 2; v++) {
		bool v6 = v;
		const char *fam = v6 ? "v6" : "v4";

#define NAME(...) (snprintf(name, sizeof(name), __VA_ARGS__), name)
		/* ---- SYNs ---- */
		syn_linux(&p, v6);
		emit(&sc, NAME("syn-linux-%s", fam), 0, &p);
		for (s = 1; s < FC_NSTATES; s++)
			emit(&sc, NAME("syn-linux-%s-state%d", fam, s), s, &p);
		p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
		emit(&sc, NAME("syn-ecn-%s", fam), 0, &p);
		emit(&sc, NAME("syn-ecn-%s-state2", fam), 2, &p);
		p.csum_offload = true;
		emit(&sc, NAME("syn-offload-%s", fam), 0, &p);

		swt_pkt_init(&p, v6);
		emit(&sc, NAME("syn-bare-%s", fam), 0, &p);
		emit(&sc, NAME("syn-bare-%s-state3", fam), 3, &p);
		swt_opt_mss(&p, 1220);
		emit(&sc, NAME("syn-mss-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_ts(&p, 0xfffffff0, 0);
		emit(&sc, NAME("syn-ts-%s", fam), 0, &p);
		swt_opt_nop(&p);
		swt_opt_ws(&p, 20);
		emit(&sc, NAME("syn-ts-ws20-%s", fam), 0, &p);
		/* odd order, SACK-perm last, EOL then garbage */
		swt_pkt_init(&p, v6);
		swt_opt_ws(&p, 3);
		swt_opt_ts(&p, 77, 88);
		swt_opt_sackperm(&p);
		swt_opt_mss(&p, 1300);
		swt_opt_raw(&p, "\x00\x99\x02", 3);
		emit(&sc, NAME("syn-oddorder-%s", fam), 0, &p);
		/* duplicates (last one wins), wrong lengths (ignored) */
		swt_pkt_init(&p, v6);
		swt_opt_mss(&p, 1400);
		swt_opt_raw(&p, "\x02\x03\x05", 3);
		swt_opt_mss(&p, 1280);
		swt_opt_raw(&p, "\x03\x04\x05\x06", 4);
		swt_opt_ws(&p, 2);
		swt_opt_ws(&p, 5);
		swt_opt_raw(&p, "\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00", 10);
		emit(&sc, NAME("syn-dupopts-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_mss(&p, 0);
		emit(&sc, NAME("syn-mss0-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_mss(&p, 100);
		emit(&sc, NAME("syn-mss100-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_mss(&p, 65535);
		swt_opt_sackperm(&p);
		swt_opt_ts(&p, 1, 2);
		emit(&sc, NAME("syn-mss65535-%s", fam), 3, &p);
		/* Fast Open: cookie option and data, never echoed */
		syn_linux(&p, v6);
		swt_opt_raw(&p, "\x22\x0a\x01\x02\x03\x04\x05\x06\x07\x08", 10);
		p.paylen = 100;
		memset(p.payload, 'D', 100);
		emit(&sc, NAME("syn-tfo-%s", fam), 0, &p);
		syn_linux(&p, v6);
		p.eth_pad = 30;
		p.eth_pad_byte = 0xee;
		emit(&sc, NAME("syn-ethpad-%s", fam), 0, &p);
		/* ports: every protected edge, one unprotected */
		syn_linux(&p, v6);
		p.dport = 443;
		emit(&sc, NAME("syn-443-%s", fam), 0, &p);
		p.dport = 8100;
		emit(&sc, NAME("syn-8100-%s", fam), 1, &p);
		p.dport = 65535;
		emit(&sc, NAME("syn-65535-%s", fam), 0, &p);
		p.dport = 0;
		emit(&sc, NAME("syn-port0-%s", fam), 0, &p);
		p.dport = 8101;
		emit(&sc, NAME("syn-unprotected-%s", fam), 0, &p);
		/* VLAN, QinQ, three tags */
		syn_linux(&p, v6);
		swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 100);
		emit(&sc, NAME("syn-vlan-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 10);
		swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 20);
		swt_opt_mss(&p, 1460);
		emit(&sc, NAME("syn-qinq-%s", fam), 0, &p);
		swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 30);
		emit(&sc, NAME("syn-3tags-%s", fam), 0, &p);

		/* ---- ACKs with valid cookies ---- */
		syn_linux(&p, v6);
		make_ack(&p, 0, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s", fam), 0, &a);
		a.flags |= SWT_TCP_PSH;
		a.paylen = 200;
		memset(a.payload, 'd', 200);
		emit(&sc, NAME("ack-data-%s", fam), 0, &a);
		a.paylen = 0;
		a.flags = SWT_TCP_ACK | SWT_TCP_FIN;
		emit(&sc, NAME("ack-fin-%s", fam), 0, &a);
		make_ack(&p, 0, FC_T0 + 10 - 64, -1, true, &a);
		emit(&sc, NAME("ack-prev-epoch-%s", fam), 0, &a);
		make_ack(&p, 0, FC_T0 + 10 - 128, -1, true, &a);
		emit(&sc, NAME("ack-expired-%s", fam), 0, &a);
		make_ack(&p, 0, 0, 1, true, &a);
		emit(&sc, NAME("ack-prev-key-%s", fam), 0, &a);
		make_ack(&p, 1, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s-state1", fam), 1, &a);
		make_ack(&p, 1, FC_T0 + 64, 0, true, &a);
		emit(&sc, NAME("ack-prev-key-epoch-%s-state1", fam), 1, &a);
		make_ack(&p, 7, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s-state7", fam), 7, &a);
		make_ack(&p, 7, 0xffffffffu << 6, 1, false, &a);
		emit(&sc, NAME("ack-epoch-wrap-%s-state7", fam), 7, &a);
		/* a cookie under the all-zero key of a never-written slot */
		make_ack(&p, 5, 0, 1, true, &a);
		emit(&sc, NAME("ack-zero-key-%s-state5", fam), 5, &a);
		make_ack(&p, 2, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s-state2", fam), 2, &a);
		make_ack(&p, 3, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s-state3", fam), 3, &a);
		/* TSecr altered: undecodable (our shift 15) */
		make_ack(&p, 0, 0, -1, true, &a);
		a.optlen = 0;
		swt_opt_nop(&a);
		swt_opt_nop(&a);
		swt_opt_ts(&a, 5, 0x3c0);
		emit(&sc, NAME("ack-bad-tsecr-%s", fam), 0, &a);
		/* TS in another layout (slow option walk) */
		a.optlen = 0;
		swt_opt_ts(&a, 5, 0x1bf);
		swt_opt_nop(&a);
		swt_opt_nop(&a);
		emit(&sc, NAME("ack-ts-other-layout-%s", fam), 0, &a);
		swt_pkt_init(&p, v6);
		make_ack(&p, 0, 0, -1, false, &a);
		emit(&sc, NAME("ack-nots-%s", fam), 0, &a);
		make_ack(&p, 4, 0, -1, false, &a);
		emit(&sc, NAME("ack-unkeyed-%s-state4", fam), 4, &a);
		swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 7);
		swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 8);
		make_ack(&p, 0, 0, -1, false, &a);
		emit(&sc, NAME("ack-qinq-%s", fam), 0, &a);
		/* forged */
		a.ack ^= 0x40;
		emit(&sc, NAME("ack-forged-%s", fam), 0, &a);

		/* ---- the rest of the verdict table ---- */
		swt_pkt_init(&p, v6);
		p.seq = 1000;
		p.ack = 2000;
		{
			static const struct {
				const char *n;
				__u8 fl;
			} fl[] = {
				{"rst", SWT_TCP_RST},
				{"rst-ack", SWT_TCP_RST | SWT_TCP_ACK},
				{"fin", SWT_TCP_FIN},
				{"noflags", 0},
				{"synack", SWT_TCP_SYN | SWT_TCP_ACK},
				{"synfin", SWT_TCP_SYN | SWT_TCP_FIN},
				{"synrst", SWT_TCP_SYN | SWT_TCP_RST},
				{"urg-psh", SWT_TCP_URG | SWT_TCP_PSH},
				{"all", 0xff},
			};
			size_t i;

			for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
				p.flags = fl[i].fl;
				emit(&sc, NAME("flags-%s-%s", fl[i].n, fam), 0,
				     &p);
			}
		}
		/* not addressed to this host: the kernel's, untouched */
		{
			static const struct {
				const char *n;
				__u8 mac[6];
				const char *dst, *src;
			} nh[] = {
				{"bcast-mac",
				 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
				 NULL,
				 NULL},
				{"mcast-mac", {0x01, 0x00, 0x5e, 0, 0, 1}, NULL, NULL},
				{"other-mac", {0x02, 0, 0, 0, 0, 0x99}, NULL, NULL},
				{"dst-other", {0}, "198.51.100.77", "2001:db8::77"},
				{"dst-mcast", {0}, "224.0.0.1", "ff02::1"},
				{"dst-bcast", {0}, "255.255.255.255", NULL},
				{"dst-subnet-bcast", {0}, "198.51.100.255", NULL},
				{"src-mcast", {0}, NULL, NULL},
				{"src-loopback", {0}, NULL, NULL},
				{"src-unspec", {0}, NULL, NULL},
				{"src-self", {0}, NULL, NULL},
			};
			size_t i;

			for (i = 0; i < sizeof(nh) / sizeof(nh[0]); i++) {
				const char *a;

				syn_linux(&p, v6);
				if (nh[i].mac[0] || nh[i].mac[5])
					memcpy(p.dmac, nh[i].mac, 6);
				a = v6 ? nh[i].src : nh[i].dst;
				if (v6 && !strcmp(nh[i].n, "dst-other"))
					a = "2001:db8::77";
				if (v6 && !strcmp(nh[i].n, "dst-mcast"))
					a = "ff02::1";
				if (a)
					inet_pton(v6 ? AF_INET6 : AF_INET, a,
						  p.daddr);
				if (!strcmp(nh[i].n, "src-mcast"))
					inet_pton(v6 ? AF_INET6 : AF_INET,
						  v6 ? "ff02::1" : "224.0.0.5",
						  p.saddr);
				if (!strcmp(nh[i].n, "src-loopback"))
					inet_pton(v6 ? AF_INET6 : AF_INET,
						  v6 ? "::1" : "127.0.0.1",
						  p.saddr);
				if (!strcmp(nh[i].n, "src-unspec"))
					memset(p.saddr, 0, 16);
				if (!strcmp(nh[i].n, "src-self"))
					inet_pton(v6 ? AF_INET6 : AF_INET,
						  v6 ? SWT_TEST_IP6B :
						       SWT_TEST_IP4B,
						  p.saddr);
				emit(&sc, NAME("syn-%s-%s", nh[i].n, fam), 0,
				     &p);
				p.flags = SWT_TCP_ACK;
				p.ack = 0x01020304;
				emit(&sc, NAME("ack-%s-%s", nh[i].n, fam), 0,
				     &p);
			}
			/* nothing listens on port 0: the kernel sends RST */
			syn_linux(&p, v6);
			p.dport = 0;
			emit(&sc, NAME("syn-no-listener-%s", fam), 0, &p);
		}
		/* established flow over loopback (lo's MAC is zero) */
		swt_pkt_init(&p, v6);
		memset(p.dmac, 0, 6);
		memset(p.smac, 0, 6);
		memset(p.saddr, 0, 16);
		memset(p.daddr, 0, 16);
		if (v6) {
			p.saddr[15] = p.daddr[15] = 1;
		} else {
			p.saddr[0] = p.daddr[0] = 127;
			p.saddr[3] = p.daddr[3] = 1;
		}
		p.sport = FC_SOCK_CPORT;
		p.dport = FC_SOCK_SPORT;
		p.seq = 5;
		p.ack = 6;
		p.flags = SWT_TCP_ACK;
		emit(&sc, NAME("est-ack-%s", fam), 0, &p);
		p.flags = SWT_TCP_ACK | SWT_TCP_PSH;
		p.paylen = 64;
		emit(&sc, NAME("est-data-%s", fam), 0, &p);
		p.paylen = 0;
		p.flags = SWT_TCP_RST;
		emit(&sc, NAME("est-rst-%s", fam), 0, &p);
		p.flags = SWT_TCP_SYN | SWT_TCP_ACK;
		emit(&sc, NAME("est-synack-%s", fam), 0, &p);
		p.flags = SWT_TCP_SYN;
		emit(&sc, NAME("est-syn-%s", fam), 0, &p);
		/* not TCP, fragments */
		swt_pkt_init(&p, v6);
		p.l4proto = 17;
		p.paylen = 8;
		emit(&sc, NAME("udp-%s", fam), 0, &p);
		p.l4proto = v6 ? 58 : 1;
		emit(&sc, NAME("icmp-%s", fam), 0, &p);
		syn_linux(&p, v6);
		if (v6) {
			p.v6ext_type = 44;
			memcpy(p.v6ext, "\x06\x00\x00\x01\x00\x00\x00\x07", 8);
			p.v6ext_len = 8;
			emit(&sc, "frag-v6", 0, &p);
			p.v6ext_type = 0;
			memcpy(p.v6ext, "\x06\x00\x01\x04\x00\x00\x00\x00", 8);
			emit(&sc, "hopbyhop-v6", 0, &p);
			p.v6ext_type = 60;
			emit(&sc, "dstopts-v6", 0, &p);
			p.v6ext_len = 0;
		} else {
			p.frag_off = 0x2000;
			emit(&sc, "frag-mf-v4", 0, &p);
			p.frag_off = 0x0010;
			emit(&sc, "frag-off-v4", 0, &p);
			p.frag_off = 0x4000;
			memcpy(p.ipopt, "\x07\x07\x04\x00\x00\x00\x00\x00", 8);
			p.ipopt_len = 8;
			emit(&sc, "syn-ipopts-v4", 0, &p);
			p.ipopt_len = 0;
		}
		/* malformed TCP to a protected port */
		syn_linux(&p, v6);
		p.doff = 4;
		emit(&sc, NAME("mal-doff4-%s", fam), 0, &p);
		p.doff = 15;
		emit(&sc, NAME("mal-doff15-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_raw(&p, "\x02\x04\x05\xb4\x08\x0b", 6);
		emit(&sc, NAME("mal-opt-overrun-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_raw(&p, "\x01\x01\x01\x03", 4);
		emit(&sc, NAME("mal-opt-nolen-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_raw(&p, "\x05\x01\x01\x01", 4);
		emit(&sc, NAME("mal-opt-len1-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_raw(&p, "\xfe\x00\x00\x00", 4);
		emit(&sc, NAME("mal-opt-len0-%s", fam), 0, &p);
		/* IP lengths */
		syn_linux(&p, v6);
		p.ip_len_override = 0xffff;
		emit(&sc, NAME("mal-iplen-big-%s", fam), 0, &p);
		p.ip_len_override = v6 ? 3 : 23;
		emit(&sc, NAME("mal-seg3-%s", fam), 0, &p);
		p.ip_len_override = v6 ? 19 : 39;
		emit(&sc, NAME("mal-seg19-%s", fam), 0, &p);
		p.ip_len_override = v6 ? 30 : 50;
		emit(&sc, NAME("mal-seg-lt-doff-%s", fam), 0, &p);
#undef NAME
	}
	/* IPv4 header oddities, raw */
	{
		static __u8 fb[SWT_PKT_MAX];
		size_t len;

		syn_linux(&p, false);
		len = swt_build(&p, fb, sizeof(fb), NULL);
		fb[14] = 0x44; /* IHL 4 */
		emit_raw(&sc, "mal-ihl4-v4", 0, fb, len);
		fb[14] = 0x55; /* version 5 */
		emit_raw(&sc, "mal-version5-v4", 0, fb, len);
		fb[14] = 0x4f; /* IHL 15: 60 bytes, past the TCP header */
		emit_raw(&sc, "mal-ihl15-v4", 0, fb, len);
		fb[14] = 0x45;
		emit_raw(&sc, "trunc-ip-v4", 0, fb, 14 + 19);
		emit_raw(&sc, "trunc-ports-v4", 0, fb, 14 + 20 + 3);
		emit_raw(&sc, "eth-only", 0, fb, 14);
		emit_raw(&sc, "trunc-vlan", 0,
			 (const __u8 *)"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x81"
				       "\x00\x00",
			 15);
		syn_linux(&p, true);
		len = swt_build(&p, fb, sizeof(fb), NULL);
		fb[14] = 0x40; /* version 4 in an IPv6 frame */
		emit_raw(&sc, "mal-version4-v6", 0, fb, len);
		fb[14] = 0x60;
		emit_raw(&sc, "trunc-ip-v6", 0, fb, 14 + 39);
		/* ARP */
		memset(raw, 0, sizeof(raw));
		memcpy(raw, fb, 12);
		raw[12] = 0x08;
		raw[13] = 0x06;
		emit_raw(&sc, "arp", 0, raw, 42);
	}
	return sc.n;
}

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
	for (i = 0; i < 3 && is_vlan(proto) && off + 4 <= len; i++) {
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

	frame_parse(b + 1, len - 1, &f);
	if (f.cls != FC_TCP || !f.hdr_ok)
		return;
	slot = fc_below(r, 2);
	if (!s->keys.installed_at[slot] && fc_below(r, 4))
		slot ^= 1;
	t = s->cfg.fixed_time - (fc_below(r, 3) ? 0 : 64);
	if (!fc_below(r, 16))
		t -= 128; /* expired */
	idx = fc_below(r, 16);
	frame_flow(&f, f.seq - 1, &w);
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
		ck = sw_cookie_make_nots(&s->keys.key[slot], slot, &w, f.v6, t,
					 fc_below(r, 64),
					 fc_our_ws(&s->cfg) ^
						 (fc_below(r, 8) ? 0 : 1));
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
		    is_vlan(swt_get16(f + 12))) {
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

/* ---- reporting ------------------------------------------------------- */

void fc_hexdump(FILE *f, const __u8 *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 32 == 0)
			fprintf(f, "%s# %04zx ", i ? "\n" : "", i);
		fprintf(f, "%02x", b[i]);
	}
	fprintf(f, "\n");
}

int fc_save(const char *dir, const char *prefix, const __u8 *in, size_t len,
	    char *path, size_t pathlen)
{
	__u64 h = 0xcbf29ce484222325ull;
	size_t i;
	int fd;
	ssize_t w;

	for (i = 0; i < len; i++)
		h = (h ^ in[i]) * 0x100000001b3ull;
	mkdir(dir, 0755);
	snprintf(path, pathlen, "%s/%s-%016llx", dir, prefix,
		 (unsigned long long)h);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, in, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -EIO;
}

void fc_histogram(const struct fc_env *e, char *out, size_t n)
{
	size_t i, used = 0;

	out[0] = 0;
	for (i = 0; i < swt_nstat_fields && i < 32; i++) {
		int k;

		if (!e->by_counter[i])
			continue;
		k = snprintf(out + used, n - used, "%s%s=%llu", used ? " " : "",
			     swt_stat_fields[i].name, e->by_counter[i]);
		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
}
