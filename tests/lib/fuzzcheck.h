/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fuzzcheck: the oracle of synwall's fuzzing, shared by the
 * libFuzzer target tests/fuzz/fuzz_xdp.c and the deterministic bounded pass
 * tests/test_fuzz_pass.c.  No main() here: tests/lib/ is linked into every
 * test and benchmark.
 *
 * An input is one state byte followed by an Ethernet frame:
 *
 *   input[0] & 7   which of FC_NSTATES map states (config, keys, clock)
 *                  the frame is run against (struct fc_state_def)
 *   input[1..]     the frame, 14..FC_FRAME_MAX bytes (BPF_PROG_TEST_RUN
 *                  refuses frames shorter than an Ethernet header)
 *
 * For every input, fc_check() runs the real XDP program once with
 * BPF_PROG_TEST_RUN and checks:
 *   - the verdict and the one counter that moved are exactly what an
 *     independent model of docs/datapath.md predicts (its own parser, its
 *     own option walk, cookie.h for the MAC); no other counter moved;
 *   - XDP_TX: the output is a well-formed SYN-ACK answering the input:
 *     checksums verify (recomputed from scratch), MACs/addresses/ports
 *     swapped, VLAN tags kept, seq = a cookie valid under the current key
 *     (cookie.h), ack = ISN + 1, flags SYN|ACK (+ECE iff negotiated),
 *     options only MSS plus those the client offered, no larger than the
 *     input + 4 bytes; and it is byte for byte the frame tests/lib's
 *     swt_expect_synack() builds;
 *   - XDP_PASS with metadata: the ACK carried a valid cookie and the
 *     metadata is exactly what the ACK's options say;
 *   - any other verdict: the frame comes out untouched, no metadata.
 *
 * The process first moves into a private network namespace holding one
 * established TCP connection over loopback per family (127.0.0.1:40001 ->
 * 127.0.0.1:80, [::1]:40001 -> [::1]:80), so that socket lookups are
 * deterministic and the "flow has a socket" row is reachable.
 */
#ifndef FUZZCHECK_H
#define FUZZCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "swt.h"

#define FC_NSTATES 8
#define FC_FRAME_MAX 1600
#define FC_INPUT_MAX (1 + FC_FRAME_MAX)
#define FC_FRAME_MIN 14

/* The established connections of the private namespace. */
#define FC_SOCK_CPORT 40001
#define FC_SOCK_SPORT 80

/* Counters the model can predict (index into swt_stat_fields order). */
struct fc_env {
	struct swt_env swt;
	int state; /* state currently written to the maps, -1 none */
	struct synwall_stats last; /* counters after the previous run */
	int sock_fds[6];
	bool have_v6_sock;
	/* statistics of what was run */
	unsigned long long runs, skipped_short, violations;
	unsigned long long by_counter[32];
};

/* One predefined state of the maps: config, keys and the clock. */
struct fc_state_def {
	const char *name;
	struct synwall_config cfg;
	struct synwall_keys keys;
};

extern const struct fc_state_def fc_states[FC_NSTATES];

/* Open the namespace, the sockets and the BPF object.  0 or -1 (err). */
int fc_env_open(struct fc_env *e, char *err, size_t errlen);
void fc_env_close(struct fc_env *e);

/*
 * Run and check one input.  Returns 0 if every property held (or the
 * frame was too short to run: counted in skipped_short), 1 on a
 * violation, with a description (several lines, '#'-prefixed after the
 * first) in why; -1 if the test machinery itself failed (syscall error).
 */
int fc_check(struct fc_env *e, const __u8 *in, size_t len, char *why,
	     size_t whylen);

/*
 * Check the oracle itself on one input: run it, then corrupt what the
 * program returned (every bit of the output frame and metadata, the
 * length, the verdict, the counters) and count the corruptions the
 * oracle notices.  A bit the contract leaves free would go unnoticed:
 * every one must be caught.  0, or 1 with the first miss in why, or -1.
 */
int fc_selftest(struct fc_env *e, const __u8 *in, size_t len,
		unsigned long *tried, unsigned long *caught, char *why,
		size_t whylen);

/* ---- seeds ----------------------------------------------------------- */

/*
 * Call fn for each built-in seed: valid SYNs (Linux, bare, MSS only,
 * TS only, ECN, odd option orders, Fast Open data, IP options, padding),
 * VLAN and QinQ, IPv6, ACKs with valid cookies (both key slots, both
 * epochs, with and without timestamps, with data), established-flow
 * segments, and the verdict table's other rows.  in = state byte + frame.
 */
typedef void (*fc_seed_fn)(void *ctx, const char *name, const __u8 *in,
			   size_t len);
size_t fc_seeds(fc_seed_fn fn, void *ctx);

/* ---- mutation -------------------------------------------------------- */

struct fc_rng {
	__u64 s;
};

static inline __u64 fc_rand(struct fc_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static inline __u32 fc_below(struct fc_rng *r, __u32 n)
{
	return n ? (__u32)((fc_rand(r) >> 32) % n) : 0;
}

/*
 * Mutate in place (1 to 4 structure-aware or byte-level mutations):
 * returns the new length, at most cap (<= FC_INPUT_MAX).  other/olen, if
 * given, is a second input to splice from.
 */
size_t fc_mutate(struct fc_rng *r, __u8 *in, size_t len, size_t cap,
		 const __u8 *other, size_t olen);

/* ---- reporting ------------------------------------------------------- */

/* Hex of an input, 32 bytes a line, lines prefixed "# ". */
void fc_hexdump(FILE *f, const __u8 *b, size_t len);

/* Write an input to dir/prefix-<fnv64 of the bytes>; 0 or -errno. */
int fc_save(const char *dir, const char *prefix, const __u8 *in, size_t len,
	    char *path, size_t pathlen);

/* "name=count ..." of the counters the runs moved. */
void fc_histogram(const struct fc_env *e, char *out, size_t n);

#endif /* FUZZCHECK_H */
