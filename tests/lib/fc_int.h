/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fuzzcheck's parts (fc_env.c, fc_model.c, fc_judge.c, fc_seeds.c,
 * fc_mutate.c): what they share beyond the public fuzzcheck.h.
 */
#ifndef FC_INT_H
#define FC_INT_H

#include "fuzzcheck.h"
/* cookie.h's "#pragma unroll" is for clang -target bpf */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>

#define ST(f) SWT_STAT(f)

/* ---- fc_env.c: the states --------------------------------------------- */

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

/* Protected ports of every state. */
bool fc_protected(__u16 port);
/* Write state s's config and keys into the maps. */
int fc_state_apply(struct fc_env *e, int s);

/* ---- fc_model.c: the model -------------------------------------------- */

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

/* Configuration with the documented defaults (and clamps) resolved. */
struct fc_cfg {
	__u16 mss4, mss6, window;
	__u8 wscale, ttl;
	bool no_ecn;
	__u32 now;
};

struct fc_pred {
	__u32 verdict;
	size_t counter;
	bool synack; /* XDP_TX: check the SYN-ACK */
	bool meta;   /* PASS with metadata */
};

bool fc_is_vlan(__u16 t);
bool fc_opts_walk(const __u8 *b, size_t n, struct fc_opts *o);
void fc_frame_parse(const __u8 *b, size_t len, struct fc_frame *f);
void fc_frame_flow(const struct fc_frame *f, __u32 isn, struct sw_flow *w);
void fc_cfg_resolve(const struct synwall_config *c, struct fc_cfg *r);
/* the window scale synwall advertises under config c */
__u32 fc_our_ws(const struct synwall_config *c);
bool fc_cookie_valid(const struct synwall_keys *k, const struct fc_frame *f,
		     __u32 cookie, const struct synwall_config *cfg);
void fc_predict(const struct fc_env *e, const struct fc_state_def *s,
		const struct fc_frame *f, struct fc_pred *p);

/* ---- fc_judge.c ------------------------------------------------------- */

/* The SYN's options as tests/lib's expectation takes them. */
void fc_synopts_of(const struct fc_frame *f, struct swt_synopts *o);

#endif /* FC_INT_H */
