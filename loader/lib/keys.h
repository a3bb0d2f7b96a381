/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The key store: the keys map's two slots, random and fleet keys. */
#ifndef SYNWALL_LOADER_KEYS_H
#define SYNWALL_LOADER_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <synwall/abi.h>

#include "maps.h"

/* The minimum rotation interval: a cookie lives up to SW_COOKIE_MAX_AGE
 * (128 s), and a key lives at least one interval after it stops being
 * current, so a shorter interval could kill cookies in flight. */
#define SW_ROTATE_MIN 128

int sw_keys_read(int fd, struct synwall_keys *k);
/* Random keys in both slots if none is installed yet (generation 0);
 * returns 1 if it installed them, 0 if keys were there. */
int sw_keys_ensure(int fd);
/* New random key in the other slot, then flip `current`. */
int sw_keys_rotate_random(int fd);
/*
 * Seconds a manual rotation must still wait so that it kills no handshake
 * in flight: it overwrites the previous key, which made cookies until the
 * current one was installed, and those live SW_ROTATE_MIN.  0 when the
 * current key is that old, or when the previous slot was never in use
 * (generation 1: the keys of a fresh install).
 */
__u64 sw_keys_rotate_wait(const struct synwall_keys *k, __u64 now);
/* Fleet keys for rotation number n: slot n&1 = KDF(master, n), the other
 * slot KDF(master, n-1), current = n&1, with the fewest writes. */
int sw_keys_fleet(int fd, const __u8 *master, size_t len, __u64 n);
/* Rotation number for CLOCK_REALTIME now and interval (0: static, n=0). */
__u64 sw_fleet_epoch(__u64 now, __u32 interval);
void sw_keys_print(int keys_fd, const struct sw_state *st, const char *indent);
/* Validate a rotation interval (prints the error). */
int sw_rotate_check(unsigned long secs, bool allow_short);
/* --rotate SECONDS of attach and run: parsed and checked into *secs
 * (left alone when arg is NULL); -1 after printing the error. */
int sw_rotate_arg(const char *arg, bool allow_short, unsigned long *secs);

#endif
