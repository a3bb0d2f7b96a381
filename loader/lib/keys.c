// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The key store: the keys map (struct synwall_keys), random keys, fleet
 * keys, rotation.
 *
 * Every change goes through keys_install(), which moves the map to the
 * wanted (key[0], key[1], current) with whole-value updates in an order
 * that never lets the data path see a half-written key in use: first the
 * slot that is not current, then `current`, then (only when the key in
 * use itself must change, i.e. a switch between key regimes) the rest.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "kdf.h"
#include "keyfile.h"
#include "keys.h"
#include "log.h"
#include "rotate.h"
#include "util.h"

int sw_keys_read(int fd, struct synwall_keys *k)
{
	return sw_map_read_one(fd, SYNWALL_MAP_KEYS, k);
}

static int keys_write(int fd, const struct synwall_keys *k)
{
	__u32 z = 0;

	if (bpf_map_update_elem(fd, &z, k, BPF_ANY)) {
		sw_err("cannot write the keys map: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool key_eq(const struct synwall_key *a, const struct synwall_key *b)
{
	return a->k0 == b->k0 && a->k1 == b->k1;
}

static int keys_install_v(int fd, struct synwall_keys *pv,
			  const struct synwall_key want[2], __u32 cur_want);

/* keys_install_v with the map's copy on our stack wiped afterwards. */
static int keys_install(int fd, const struct synwall_key want[2],
			__u32 cur_want)
{
	struct synwall_keys v;
	int rc = keys_install_v(fd, &v, want, cur_want);

	sw_wipe(&v, sizeof(v));
	return rc;
}

static int keys_install_v(int fd, struct synwall_keys *pv,
			  const struct synwall_key want[2], __u32 cur_want)
{
	__u64 now = sw_now_realtime();
	__u32 cur, oth;

	if (sw_keys_read(fd, pv))
		return -1;
	cur_want &= 1;
	if (pv->generation == 0) {
		/* Unkeyed: the data path ignores the map until generation
		 * becomes non-zero, so one write with everything. */
		memset(pv, 0, sizeof(*pv));
		pv->key[0] = want[0];
		pv->key[1] = want[1];
		pv->current = cur_want;
		pv->generation = 1;
		pv->installed_at[0] = pv->installed_at[1] = now;
		return keys_write(fd, pv);
	}
	cur = pv->current & 1;
	oth = 1 - cur;
	if (key_eq(&pv->key[0], &want[0]) && key_eq(&pv->key[1], &want[1]) &&
	    cur == cur_want)
		return 0; /* already so: not a new install */
	pv->generation++;
	if (!pv->generation)
		pv->generation = 1;
	if (!key_eq(&pv->key[oth], &want[oth])) {
		pv->key[oth] = want[oth];
		pv->installed_at[oth] = now;
	}
	if (keys_write(fd, pv))
		return -1;
	if (cur_want != cur) {
		pv->current = cur_want;
		if (keys_write(fd, pv))
			return -1;
	}
	if (!key_eq(&pv->key[cur], &want[cur])) {
		pv->key[cur] = want[cur];
		pv->installed_at[cur] = now;
		if (keys_write(fd, pv))
			return -1;
	}
	return 0;
}

static int random_key(struct synwall_key *k)
{
	int rc;

	do {
		rc = sw_random_bytes(k, sizeof(*k));
		if (rc) {
			sw_err("getrandom failed: %s", strerror(-rc));
			return -1;
		}
	} while (!k->k0 && !k->k1);
	return 0;
}

int sw_keys_ensure(int fd)
{
	struct synwall_keys v;
	struct synwall_key want[2];
	int rc;

	if (sw_keys_read(fd, &v))
		return -1;
	rc = v.generation;
	sw_wipe(&v, sizeof(v));
	if (rc)
		return 0;
	if (random_key(&want[0]) || random_key(&want[1])) {
		sw_wipe(want, sizeof(want));
		return -1;
	}
	rc = keys_install(fd, want, 0);
	sw_wipe(want, sizeof(want));
	return rc ? -1 : 1;
}

int sw_keys_rotate_random(int fd)
{
	struct synwall_keys v;
	struct synwall_key want[2];
	__u32 cur;
	int rc;

	if (sw_keys_read(fd, &v))
		return -1;
	if (!v.generation)
		return sw_keys_ensure(fd) < 0 ? -1 : 0;
	cur = v.current & 1;
	want[cur] = v.key[cur];
	sw_wipe(&v, sizeof(v));
	if (random_key(&want[1 - cur])) {
		sw_wipe(want, sizeof(want));
		return -1;
	}
	rc = keys_install(fd, want, 1 - cur);
	sw_wipe(want, sizeof(want));
	return rc;
}

__u64 sw_keys_rotate_wait(const struct synwall_keys *k, __u64 now)
{
	__u64 at = k->installed_at[k->current & 1];

	if (k->generation <= 1 || !at)
		return 0; /* the previous slot never made a cookie */
	if (now < at)
		now = at; /* the clock stepped back: count from 0 */
	return now - at >= SW_ROTATE_MIN ? 0 : at + SW_ROTATE_MIN - now;
}

__u64 sw_fleet_epoch(__u64 now, __u32 interval)
{
	return interval ? now / interval : 0;
}

int sw_keys_fleet(int fd, const __u8 *master, size_t len, __u64 n)
{
	struct synwall_key want[2];
	int rc;

	if (sw_fleet_key(master, len, n, &want[n & 1]) ||
	    sw_fleet_key(master, len, n - 1, &want[(n - 1) & 1]))
		rc = -1;
	else
		rc = keys_install(fd, want, (__u32)(n & 1));
	sw_wipe(want, sizeof(want));
	return rc;
}

void sw_keys_print(int keys_fd, const struct sw_state *st, const char *indent)
{
	struct synwall_keys k;
	__u64 now = sw_now_realtime();
	char a[32], b[32];
	__u32 cur;

	if (sw_keys_read(keys_fd, &k))
		return;
	if (!k.generation) {
		sw_wipe(&k, sizeof(k));
		printf("%skeys:   none installed: synwall passes every packet "
		       "(fix: synwall keys IFACE --rotate)\n",
		       indent);
		return;
	}
	cur = k.current & 1;
	printf("%skeys:   current slot %u, age %s; previous slot %u, age %s; "
	       "generation %u\n",
	       indent, cur,
	       sw_fmt_age(now > k.installed_at[cur] ?
				  now - k.installed_at[cur] :
				  0,
			  a, sizeof(a)),
	       1 - cur,
	       sw_fmt_age(now > k.installed_at[1 - cur] ?
				  now - k.installed_at[1 - cur] :
				  0,
			  b, sizeof(b)),
	       k.generation);
	if (!st)
		printf("%s        source unknown (no loader state: loaded by "
		       "ip link/tc?)\n",
		       indent);
	else if (st->flags & SW_ST_FLEET)
		printf("%s        fleet keys from a key file (fingerprint "
		       "%02x%02x%02x%02x%02x%02x%02x%02x), %s\n",
		       indent, st->fleet_fp[0], st->fleet_fp[1],
		       st->fleet_fp[2], st->fleet_fp[3], st->fleet_fp[4],
		       st->fleet_fp[5], st->fleet_fp[6], st->fleet_fp[7],
		       st->rotate_seconds ? "rotating with the wall clock" :
					    "static (no rotation)");
	else
		printf("%s        random keys (getrandom)\n", indent);
	if (st && st->rotate_seconds) {
		bool alive = sw_daemon_alive(st->daemon_pid);

		printf("%s        rotation every %us: %s", indent,
		       st->rotate_seconds,
		       alive ? "rotation loop running, pid " :
			       "NO rotation loop running");
		if (alive)
			printf("%u", st->daemon_pid);
		printf("\n");
	}
	sw_wipe(&k, sizeof(k));
}

int sw_rotate_check(unsigned long secs, bool allow_short)
{
	if (secs >= SW_ROTATE_MIN)
		return 0;
	if (allow_short) {
		sw_warn("rotating every %lus, below the cookie lifetime (%us): "
			"a handshake slower than %lus can fail across a "
			"rotation (--allow-short-rotate is for tests)",
			secs, SW_ROTATE_MIN, secs);
		return 0;
	}
	sw_err("--rotate %lu: a rotation interval must be at least %u seconds, "
	       "the cookie lifetime: a key must outlive every cookie made with "
	       "it, or handshakes in flight fail (--allow-short-rotate "
	       "overrides this, for tests only)",
	       secs, SW_ROTATE_MIN);
	return -1;
}

int sw_rotate_arg(const char *arg, bool allow_short, unsigned long *secs)
{
	if (!arg)
		return 0;
	if (sw_parse_ulong("--rotate", arg, 1, 1UL << 30, secs) ||
	    sw_rotate_check(*secs, allow_short))
		return -1;
	return 0;
}
