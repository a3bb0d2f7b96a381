/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * synwall SYN cookie: one header, compiled into the BPF object and into
 * user space, so the tests compute the cookie the BPF program must emit
 * without trusting the BPF program.
 *
 * The cookie is the ISN of our SYN-ACK (32 bits).  With a client timestamp:
 *
 *   31                                   6 5      2   1     0
 *  +--------------------------------------+--------+------+------+
 *  |     MAC (26 bits, SipHash-2-4)       | MSS idx| epoch| key  |
 *  |                                      | 4 bits | par. | slot |
 *  +--------------------------------------+--------+------+------+
 *
 * H   = SipHash-2-4(key[slot], saddr, daddr, sport, dport, client ISN,
 *                   epoch, MSS index, address family, tso), 64 bits;
 * MAC = the top 26 bits of H.
 *
 * tso (11 bits) is what the SYN-ACK's timestamp says: 0 when the client
 * sent no timestamp (the SYN-ACK has none), else SW_TSO_PRESENT | the 10
 * option bits below.  On the ACK it is rebuilt from the ACK alone: 0
 * without a timestamp option, else SW_TSO_PRESENT | (TSecr & 0x3ff).  So
 * an edited TSecr (another window scale, SACK or ECN), a timestamp added
 * to the ACK of a SYN-ACK that had none, or one left out of the ACK of a
 * SYN-ACK that had one, all fail the MAC like a forged ISN: the option
 * bits are authenticated by the same single MAC.
 *
 * epoch = seconds >> SW_EPOCH_SHIFT (64 s), seconds of UTC (the data
 * path's CLOCK_TAI - tai_offset; the loader's CLOCK_REALTIME), the time
 * base of the fleet key schedule too.  A cookie stores the epoch's parity
 * only: on the ACK the full epoch is E = (now + SW_CLOCK_SKEW) >> 6 if the
 * parity matches, else E - 1.  A cookie two or more epochs old is
 * reconstructed with the wrong epoch and fails its MAC, and a check is
 * exactly one MAC: no trial over epochs or keys.
 *
 * Skew tolerance: a cookie made by a host up to SW_CLOCK_SKEW (8) seconds
 * ahead of the checking host is accepted (its epoch is at most E).  The
 * price is lifetime: a cookie is accepted until the checker's clock reaches
 * the start of its epoch + 128 s - SW_CLOCK_SKEW, so its age window is
 * at least 64 - 8 = 56 s and always below 128 s (SW_COOKIE_MAX_AGE), by
 * the clock of the host that made it.  Hosts further apart reject part
 * of each other's cookies: fleet clocks must agree within 8 s.
 *
 * The key slot bit names which of the two installed keys made the cookie
 * (see struct synwall_keys), so a rotation keeps the previous key valid.
 *
 * With TCP timestamps, the options that the cookie has no room for ride in
 * the low 10 bits of our TSval, which the client echoes in every TSecr;
 * the bits above them are the millisecond clock plus a secret per-flow
 * offset, ts_off = the low 32 bits of H (disjoint from the MAC bits: the
 * same single SipHash per SYN gives both, and a check recomputes it):
 *
 *   31                              10 9      6 5      2   1    0
 *  +----------------------------------+--------+--------+----+-----+
 *  | ((clock ms + ts_off) >> 10)      | our ws | peer ws|sack| ecn |
 *  +----------------------------------+--------+--------+----+-----+
 *                                       peer ws 0xf = client sent no WS
 *
 * Two flows answered in the same millisecond get unrelated TSvals, and a
 * TSval says nothing about the host's clock, as with Linux's per-flow
 * ts_off (secure_tcp_ts_off); the offset is a function of the cookie's
 * inputs, so it needs no state.  The kernel's child socket continues
 * from the TSval the client echoes (bpf_sk_assign_tcp_reqsk sets ts_off =
 * TSecr - its clock), so the established socket keeps the offset and its
 * TSvals never go back from the SYN-ACK's (the client's PAWS holds).
 *
 * Without timestamps the cookie has another layout (below, "the cookie
 * without timestamps"): 24 MAC bits, an 8-entry MSS table, the client's
 * window scale (rounded down) and SACK-permitted; ECN is given up.
 */
#ifndef SYNWALL_COOKIE_H
#define SYNWALL_COOKIE_H

#include "abi.h"

#ifdef __bpf__
/* keep the tables in .rodata, where their BTF says they are (clang would
 * otherwise merge them into .rodata.cst32, which libbpf cannot load) */
#define SW_RODATA __attribute__((section(".rodata")))
#else
#define SW_RODATA
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

#define SW_EPOCH_SHIFT 6			 /* cookie epoch = 64 seconds */
#define SW_COOKIE_MAX_AGE (2u << SW_EPOCH_SHIFT) /* exclusive bound, s */
/* a cookie from a host this many seconds ahead is still accepted */
#define SW_CLOCK_SKEW 8u
#define SW_MAC_BITS 26
#define SW_MAC_MASK ((1u << SW_MAC_BITS) - 1)
#define SW_MSS_SLOTS 16

#define SW_TS_OPT_BITS 10
#define SW_TS_OPT_MASK ((1u << SW_TS_OPT_BITS) - 1)
/* tso: a timestamp was offered (SYN) / is present (ACK); option bits below */
#define SW_TSO_PRESENT (1u << SW_TS_OPT_BITS)
#define SW_WS_NONE 0xf

/*
 * MSS tables: the largest entry not above the client's MSS is encoded.
 * Entry 0 is what a client that sends no MSS option gets (RFC 9293:
 * 536 for IPv4; IPv6's minimum MTU gives 1220).  The rest cover Ethernet,
 * PPPoE, tunnels (GRE, IPsec, WireGuard, VXLAN) and jumbo frames.
 */
static const __u16 sw_mss_table4[SW_MSS_SLOTS] SW_RODATA = {
	536,  1024, 1200, 1220, 1260, 1300, 1340, 1360,
	1380, 1400, 1420, 1440, 1452, 1460, 4312, 8960,
};

static const __u16 sw_mss_table6[SW_MSS_SLOTS] SW_RODATA = {
	1220, 1232, 1240, 1260, 1280, 1300, 1320, 1340,
	1360, 1380, 1400, 1412, 1420, 1440, 4292, 8940,
};

/* Index of the largest table entry <= mss (entry 0 when mss is smaller). */
static __always_inline __u32 sw_mss_to_index(__u32 mss, int v6)
{
	const __u16 *t = v6 ? sw_mss_table6 : sw_mss_table4;
	__u32 i = 0;

	/* Branch-light binary search over 16 sorted entries. */
	if (mss >= t[i + 8])
		i += 8;
	if (mss >= t[i + 4])
		i += 4;
	if (mss >= t[i + 2])
		i += 2;
	if (mss >= t[i + 1])
		i += 1;
	return i;
}

static __always_inline __u16 sw_index_to_mss(__u32 idx, int v6)
{
	idx &= SW_MSS_SLOTS - 1;
	return v6 ? sw_mss_table6[idx] : sw_mss_table4[idx];
}

/* ---- SipHash-2-4 over whole 64-bit words ---------------------------- */

#define SW_ROTL64(x, b) (__u64)(((x) << (b)) | ((x) >> (64 - (b))))

#define SW_SIPROUND(v0, v1, v2, v3)     \
	do {                            \
		v0 += v1;               \
		v1 = SW_ROTL64(v1, 13); \
		v1 ^= v0;               \
		v0 = SW_ROTL64(v0, 32); \
		v2 += v3;               \
		v3 = SW_ROTL64(v3, 16); \
		v3 ^= v2;               \
		v0 += v3;               \
		v3 = SW_ROTL64(v3, 21); \
		v3 ^= v0;               \
		v2 += v1;               \
		v1 = SW_ROTL64(v1, 17); \
		v1 ^= v2;               \
		v2 = SW_ROTL64(v2, 32); \
	} while (0)

#define SW_SIP_COMPRESS(v0, v1, v2, v3, m)   \
	do {                                 \
		v3 ^= (m);                   \
		SW_SIPROUND(v0, v1, v2, v3); \
		SW_SIPROUND(v0, v1, v2, v3); \
		v0 ^= (m);                   \
	} while (0)

/*
 * SipHash-2-4 of n little-endian 64-bit words (8 * n bytes).  n is a
 * compile-time constant at every call site, so the loop unrolls and the
 * verifier sees straight-line code.
 */
static __always_inline __u64 sw_siphash(const struct synwall_key *key,
					const __u64 *m, const int n)
{
	__u64 v0 = 0x736f6d6570736575ULL ^ key->k0;
	__u64 v1 = 0x646f72616e646f6dULL ^ key->k1;
	__u64 v2 = 0x6c7967656e657261ULL ^ key->k0;
	__u64 v3 = 0x7465646279746573ULL ^ key->k1;
	__u64 b = (__u64)(n * 8) << 56;
	int i;

#ifdef SW_VARIANT_NO_MAC
	/* bench/variants.sh "no-mac": the MAC's cost, by leaving it out */
	if (n)
		return m[0] ^ key->k0 ^ m[n - 1];
#endif
#ifdef __clang__
#pragma unroll
#endif
	for (i = 0; i < n; i++)
		SW_SIP_COMPRESS(v0, v1, v2, v3, m[i]);
	SW_SIP_COMPRESS(v0, v1, v2, v3, b);
	v2 ^= 0xff;
	SW_SIPROUND(v0, v1, v2, v3);
	SW_SIPROUND(v0, v1, v2, v3);
	SW_SIPROUND(v0, v1, v2, v3);
	SW_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- the cookie ------------------------------------------------------ */

/*
 * A flow as the cookie sees it.  Addresses and ports are the packet's
 * bytes loaded as native words (network order in memory), exactly as the
 * BPF program reads them; isn is the client's sequence number in host
 * order.  IPv4 uses saddr[0] and daddr[0].
 */
struct sw_flow {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u32 isn;
};

/*
 * H of the layout above: the MAC is its top SW_MAC_BITS, the TSval offset
 * its low 32 bits.  tso < 2^11 (SW_TSO_PRESENT | option bits, or 0).
 * mss_idx < 2^12: the 4-bit MSS index of a timestamp cookie, or the
 * no-timestamp cookie's 6 code bits | our window scale << 6 (sw_nots_in).
 */
static __always_inline __u64 sw_mac4(const struct synwall_key *key,
				     const struct sw_flow *f, __u32 epoch,
				     __u32 mss_idx, __u32 tso)
{
	__u64 m[3];

	m[0] = (__u64)f->saddr[0] | (__u64)f->daddr[0] << 32;
	m[1] = (__u64)f->sport | (__u64)f->dport << 16 | (__u64)f->isn << 32;
	m[2] = (__u64)epoch | (__u64)mss_idx << 32 | (__u64)4 << 44 |
	       (__u64)tso << 48;
	return sw_siphash(key, m, 3);
}

static __always_inline __u64 sw_mac6(const struct synwall_key *key,
				     const struct sw_flow *f, __u32 epoch,
				     __u32 mss_idx, __u32 tso)
{
	__u64 m[6];

	m[0] = (__u64)f->saddr[0] | (__u64)f->saddr[1] << 32;
	m[1] = (__u64)f->saddr[2] | (__u64)f->saddr[3] << 32;
	m[2] = (__u64)f->daddr[0] | (__u64)f->daddr[1] << 32;
	m[3] = (__u64)f->daddr[2] | (__u64)f->daddr[3] << 32;
	m[4] = (__u64)f->sport | (__u64)f->dport << 16 | (__u64)f->isn << 32;
	m[5] = (__u64)epoch | (__u64)mss_idx << 32 | (__u64)6 << 44 |
	       (__u64)tso << 48;
	return sw_siphash(key, m, 6);
}

static __always_inline __u64 sw_mac(const struct synwall_key *key,
				    const struct sw_flow *f, int v6,
				    __u32 epoch, __u32 mss_idx, __u32 tso)
{
	tso &= SW_TSO_PRESENT | SW_TS_OPT_MASK;
	return v6 ? sw_mac6(key, f, epoch, mss_idx, tso) :
		    sw_mac4(key, f, epoch, mss_idx, tso);
}

/* The cookie's MAC field (26 bits) and the TSval offset, both from H. */
static __always_inline __u32 sw_h_mac(__u64 h)
{
	return (__u32)(h >> (64 - SW_MAC_BITS));
}

static __always_inline __u32 sw_h_ts_off(__u64 h)
{
	return (__u32)h;
}

static __always_inline __u32 sw_epoch(__u32 now_sec)
{
	return now_sec >> SW_EPOCH_SHIFT;
}

/*
 * The cookie for a SYN: our ISN.  tso: 0 if the SYN-ACK carries no
 * timestamp, else SW_TSO_PRESENT | sw_ts_opts(...).  *ts_off (if not
 * NULL) receives the flow's TSval offset (sw_tsval), from the same MAC.
 */
static __always_inline __u32 sw_cookie_make(const struct synwall_key *key,
					    __u32 slot, const struct sw_flow *f,
					    int v6, __u32 now_sec,
					    __u32 mss_idx, __u32 tso,
					    __u32 *ts_off)
{
	__u32 epoch = sw_epoch(now_sec);
	__u64 h = sw_mac(key, f, v6, epoch, mss_idx, tso);

	if (ts_off)
		*ts_off = sw_h_ts_off(h);
	return sw_h_mac(h) << 6 | (mss_idx & 0xf) << 2 | (epoch & 1) << 1 |
	       (slot & 1);
}

static __always_inline __u32 sw_cookie_slot(__u32 cookie)
{
	return cookie & 1;
}

static __always_inline __u32 sw_cookie_mss_index(__u32 cookie)
{
	return (cookie >> 2) & 0xf;
}

/* ---- the cookie without timestamps ---------------------------------- */

/*
 * A client that offers no timestamp gets a cookie of another layout (the
 * ACK tells which: a timestamp cookie's ACK echoes our TSval, this one's
 * carries none, and the MAC input says which layout it is, tso = 0):
 *
 *   31                          8 7     5 4     2   1     0
 *  +-----------------------------+-------+-------+------+------+
 *  |   MAC (24 bits, SipHash)    |  opt  |  MSS  | epoch| key  |
 *  |                             | 3 bits| 3 bits| par. | slot |
 *  +-----------------------------+-------+-------+------+------+
 *
 * MSS: index into an 8-entry table per family (sw_nots_mss4/6), the
 * largest entry not above the client's MSS.
 * opt: the client's window scale and SACK-permitted, jointly:
 *
 *   opt       0     1     2     3     4     5     6     7
 *   WS        none  none  0     0     2     6     7     8
 *   SACK      no    yes   no    yes   yes   yes   yes   yes
 *
 * A client's shift is rounded DOWN to the largest listed value (1 -> 0,
 * 3..5 -> 2, 9..14 -> 8): we then under-read its window, never over-read
 * it.  SACK is never claimed for a client that did not offer it: a client
 * with WS but without SACK gets opt 2 (its shift read as 0).  The common
 * clients lose nothing: Windows (WS 8, SACK), macOS/FreeBSD/iOS (WS 6,
 * SACK), Linux (WS 7, SACK).  ECN is not carried: given up without
 * timestamps.
 *
 * H = SipHash-2-4(key[slot], 4-tuple, client ISN, epoch, the 6 code bits
 *     | our window scale << 6 (0 when opt has no WS), family, tso = 0);
 * MAC = the top 24 bits of H.  The code bits and the window scale our
 * SYN-ACK advertised are inside the MAC: an ACK with edited bits fails it,
 * and so does one whose cookie was made under another config.wscale (a
 * `synwall config --wscale` change kills the no-timestamp handshakes of
 * the last two minutes still in flight: their ACKs are dropped).
 */
#define SW_NOTS_MAC_BITS 24
#define SW_NOTS_MSS_SLOTS 8

static const __u16 sw_nots_mss4[SW_NOTS_MSS_SLOTS] SW_RODATA = {
	536, 1220, 1360, 1380, 1400, 1440, 1460, 8960,
};

static const __u16 sw_nots_mss6[SW_NOTS_MSS_SLOTS] SW_RODATA = {
	1220, 1280, 1340, 1380, 1400, 1420, 1440, 8940,
};

/* the window scale of each opt code (SW_WS_NONE: none) */
static const __u8 sw_nots_ws[8] SW_RODATA = {
	SW_WS_NONE, SW_WS_NONE, 0, 0, 2, 6, 7, 8,
};

/* SACK-permitted of opt code c */
static __always_inline int sw_nots_sack(__u32 c)
{
	return (0xfau >> (c & 7)) & 1;
}

static __always_inline __u32 sw_nots_ws_of(__u32 c)
{
	return sw_nots_ws[c & 7];
}

static __always_inline __u32 sw_nots_mss_index(__u32 mss, int v6)
{
	const __u16 *t = v6 ? sw_nots_mss6 : sw_nots_mss4;
	__u32 i = 0;

	if (mss >= t[i + 4])
		i += 4;
	if (mss >= t[i + 2])
		i += 2;
	if (mss >= t[i + 1])
		i += 1;
	return i;
}

static __always_inline __u16 sw_nots_index_to_mss(__u32 idx, int v6)
{
	idx &= SW_NOTS_MSS_SLOTS - 1;
	return v6 ? sw_nots_mss6[idx] : sw_nots_mss4[idx];
}

/* The opt code of a client's window scale (SW_WS_NONE: none) and SACK. */
static __always_inline __u32 sw_nots_opt(__u32 ws, int sack)
{
	if (ws == SW_WS_NONE)
		return sack ? 1 : 0;
	if (!sack)
		return 2;
	if (ws >= 8)
		return 7;
	if (ws >= 7)
		return 6;
	if (ws >= 6)
		return 5;
	if (ws >= 2)
		return 4;
	return 3;
}

/* The 6 code bits: opt << 3 | MSS index. */
static __always_inline __u32 sw_nots_code(__u32 mss, __u32 ws, int sack,
					  int v6)
{
	return sw_nots_opt(ws, sack) << 3 | sw_nots_mss_index(mss, v6);
}

static __always_inline __u32 sw_cookie_nots_code(__u32 cookie)
{
	return (cookie >> 2) & 0x3f;
}

/* The MAC's mss_idx input of a no-timestamp cookie. */
static __always_inline __u32 sw_nots_in(__u32 code, __u32 our_ws)
{
	code &= 0x3f;
	if (sw_nots_ws_of(code >> 3) == SW_WS_NONE)
		our_ws = 0;
	return code | (our_ws & 0xf) << 6;
}

/*
 * The cookie for a SYN without a timestamp.  code = sw_nots_code(...);
 * our_ws: the window scale the SYN-ACK advertises (used only when code
 * carries a client WS).
 */
static __always_inline __u32 sw_cookie_make_nots(const struct synwall_key *key,
						 __u32 slot,
						 const struct sw_flow *f, int v6,
						 __u32 now_sec, __u32 code,
						 __u32 our_ws)
{
	__u32 epoch = sw_epoch(now_sec);
	__u64 h = sw_mac(key, f, v6, epoch, sw_nots_in(code, our_ws), 0);

	return (__u32)(h >> (64 - SW_NOTS_MAC_BITS)) << 8 |
	       (code & 0x3f) << 2 | (epoch & 1) << 1 | (slot & 1);
}

/*
 * Check a cookie (ack_seq - 1 of the client's ACK; f->isn = seq - 1).
 * key must be key[sw_cookie_slot(cookie)]; tso = sw_tso_of_ack(the ACK's
 * timestamp): 0 selects the no-timestamp layout, whose MAC also covers
 * our_ws (the window scale synwall advertises now: config.wscale).
 * Exactly one MAC.  Returns 1 if valid: issued under this key
 * in epoch E or E - 1, E the epoch of now_sec + SW_CLOCK_SKEW (so less than
 * SW_COOKIE_MAX_AGE seconds ago, at least 64 - SW_CLOCK_SKEW; or by a host
 * at most SW_CLOCK_SKEW seconds ahead), for a SYN-ACK whose timestamp
 * option bits are those the ACK echoes, else 0.
 */
static __always_inline int sw_cookie_check(const struct synwall_key *key,
					   __u32 cookie,
					   const struct sw_flow *f, int v6,
					   __u32 now_sec, __u32 tso,
					   __u32 our_ws)
{
	__u32 now_epoch = sw_epoch(now_sec + SW_CLOCK_SKEW);
	/* parity differs -> the cookie is from the previous epoch */
	__u32 epoch = now_epoch - ((now_epoch ^ (cookie >> 1)) & 1);
	__u64 h;

	if (!tso) {
		h = sw_mac(key, f, v6, epoch,
			   sw_nots_in(sw_cookie_nots_code(cookie), our_ws), 0);
		return (__u32)(h >> (64 - SW_NOTS_MAC_BITS)) == (cookie >> 8);
	}
	h = sw_mac(key, f, v6, epoch, sw_cookie_mss_index(cookie), tso);
	return sw_h_mac(h) == (cookie >> 6);
}

/* ---- options carried in our TSval ----------------------------------- */

/*
 * The 10 option bits of our TSval.
 * our_ws: the configured window scale (0..14), which the SYN-ACK
 * advertises when the client sent one; meaningless when peer_ws is
 * SW_WS_NONE (no scaling then, in either direction).
 * peer_ws: the client's, SW_WS_NONE when it sent no WS option.
 * ecn: ECN agreed (the client asked, and SYNWALL_CF_NO_ECN is clear).
 */
static __always_inline __u32 sw_ts_opts(__u32 our_ws, __u32 peer_ws, int sack,
					int ecn)
{
	return (our_ws & 0xf) << 6 | (peer_ws & 0xf) << 2 | (sack ? 2 : 0) |
	       (ecn ? 1 : 0);
}

/*
 * Our TSval: the millisecond clock plus the flow's secret offset (from
 * sw_cookie_make), its low 10 bits replaced by the option bits (tso's).
 */
static __always_inline __u32 sw_tsval(__u32 clock_ms, __u32 ts_off, __u32 tso)
{
	return ((clock_ms + ts_off) & ~SW_TS_OPT_MASK) | (tso & SW_TS_OPT_MASK);
}

/* The tso a cookie check uses, from the final ACK's timestamp option. */
static __always_inline __u32 sw_tso_of_ack(int ts_ok, __u32 tsecr)
{
	return ts_ok ? SW_TSO_PRESENT | (tsecr & SW_TS_OPT_MASK) : 0;
}

struct sw_ts_opts {
	__u8 our_ws;
	__u8 peer_ws; /* SW_WS_NONE: no window scaling */
	__u8 sack;
	__u8 ecn;
};

/*
 * Decode the TSecr of the final ACK.  Returns 0 if the values are bogus
 * (never for an ACK whose cookie checked: the MAC covers these bits).
 */
static __always_inline int sw_ts_decode(__u32 tsecr, struct sw_ts_opts *o)
{
	o->our_ws = (tsecr >> 6) & 0xf;
	o->peer_ws = (tsecr >> 2) & 0xf;
	o->sack = (tsecr >> 1) & 1;
	o->ecn = tsecr & 1;
	if (o->our_ws > SYNWALL_WSCALE_MAX)
		return 0;
	if (o->peer_ws != SW_WS_NONE && o->peer_ws > SYNWALL_WSCALE_MAX)
		return 0;
	return 1;
}

#endif /* SYNWALL_COOKIE_H */
