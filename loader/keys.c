// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The keys map (struct synwall_keys): random keys, fleet keys, rotation,
 * and the `synwall keys` verb.
 *
 * Every change goes through keys_install(), which moves the map to the
 * wanted (key[0], key[1], current) with whole-value updates in an order
 * that never lets the data path see a half-written key in use: first the
 * slot that is not current, then `current`, then (only when the key in
 * use itself must change, i.e. a switch between key regimes) the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common.h"
#include "kdf.h"
#include "keyfile.h"

int sw_keys_read(int fd, struct synwall_keys *k)
{
	__u32 z = 0;

	if (bpf_map_lookup_elem(fd, &z, k)) {
		sw_err("cannot read the keys map: %s", strerror(errno));
		return -1;
	}
	return 0;
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
	return now - at >= SW_ROTATE_MIN ? 0 :
					       at + SW_ROTATE_MIN - now;
}

__u64 sw_fleet_epoch(__u64 now, __u32 interval)
{
	return interval ? now / interval : 0;
}

int sw_keys_fleet(int fd, const __u8 *master, size_t len, __u64 n)
{
	struct synwall_key want[2];
	int rc;

	sw_fleet_key(master, len, n, &want[n & 1]);
	sw_fleet_key(master, len, n - 1, &want[(n - 1) & 1]);
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

/* ---- the `keys` verb ----------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: synwall keys IFACE --rotate [--force] [--pin-dir DIR]\n"
		"       synwall keys IFACE --set-file FILE [--interval "
		"SECONDS] [--pin-dir DIR]\n"
		"       synwall keys IFACE --show-age [--pin-dir DIR]\n"
		"       synwall keys --new-file FILE\n"
		"\n"
		"Cookie key management.  synwall holds two keys: new SYN-ACKs "
		"use the\n"
		"current one, ACKs are checked with the one that made their "
		"cookie, so a\n"
		"rotation never breaks a handshake in flight.\n"
		"\n"
		"  --rotate            put a new random key (getrandom) in the "
		"other slot and\n"
		"                      make it current; the old one stays "
		"valid until the next\n"
		"                      rotation.  Refused while the current key "
		"is younger than\n"
		"                      the cookie lifetime (%u s): a second "
		"rotation would drop\n"
		"                      the previous key and kill the handshakes "
		"in flight that it\n"
		"                      made; the message says how long to wait.  "
		"Refused in fleet\n"
		"                      mode too (leaving it: other hosts then "
		"reject our cookies)\n"
		"  --force             rotate anyway: kills in-flight "
		"handshakes made with the\n"
		"                      previous key; leaves fleet mode\n"
		"  --set-file FILE     fleet mode: derive the keys from the "
		"master secret in\n"
		"                      FILE (HKDF-SHA256) and the wall clock: "
		"key n =\n"
		"                      KDF(secret, n), n = time / SECONDS (n = "
		"0 without an\n"
		"                      interval: one static key).  Every host "
		"with the same file\n"
		"                      and a synchronised clock makes and "
		"accepts the same cookies\n"
		"  --interval SECONDS  fleet rotation interval, >= %d "
		"(default: the interface's\n"
		"                      current one; keys follow the clock "
		"while `synwall run` or\n"
		"                      `synwall attach --rotate` runs)\n"
		"  --show-age          print the keys' ages and where they "
		"come from\n"
		"  --new-file FILE     create a key file: 256 random bits, "
		"mode 0600, never\n"
		"                      overwriting; copy it to every host of "
		"the fleet\n"
		"  --pin-dir DIR       maps pinned in DIR (see synwall config "
		"--help)\n"
		"\n"
		"Key files must be mode 0600 (or 0400) and owned by root or "
		"you: a file that\n"
		"group or others can read is refused.\n",
		SW_ROTATE_MIN, SW_ROTATE_MIN);
}

int cmd_keys(int argc, char **argv)
{
	static const struct option lo[] = {
		{"rotate", no_argument, NULL, SW_OPT_ROTATE},
		{"set-file", required_argument, NULL, SW_OPT_SET_FILE},
		{"show-age", no_argument, NULL, SW_OPT_SHOW_AGE},
		{"new-file", required_argument, NULL, SW_OPT_NEW_FILE},
		{"interval", required_argument, NULL, SW_OPT_INTERVAL},
		{"allow-short-rotate", no_argument, NULL, SW_OPT_SHORT_ROTATE},
		{"force", no_argument, NULL, SW_OPT_FORCE},
		{"pin-dir", required_argument, NULL, SW_OPT_PIN_DIR},
		{"help", no_argument, NULL, 'h'},
		{"verbose", no_argument, NULL, 'v'},
		{0},
	};
	const char *pin_dir = NULL, *set_file = NULL, *new_file = NULL, *ifname;
	bool rotate = false, show = false, force = false, short_ok = false;
	bool have_interval = false;
	unsigned long interval = 0;
	const char *interval_arg = NULL;
	struct sw_state st;
	struct sw_maps m;
	char err[512];
	int opt, ifindex, nact, rc = 0, have_state;

	while ((opt = getopt_long(argc, argv, "hv", lo, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			sw_verbose++;
			break;
		case SW_OPT_ROTATE:
			rotate = true;
			break;
		case SW_OPT_SHOW_AGE:
			show = true;
			break;
		case SW_OPT_SET_FILE:
			set_file = optarg;
			break;
		case SW_OPT_NEW_FILE:
			new_file = optarg;
			break;
		case SW_OPT_FORCE:
			force = true;
			break;
		case SW_OPT_SHORT_ROTATE:
			short_ok = true;
			break;
		case SW_OPT_PIN_DIR:
			pin_dir = optarg;
			break;
		case SW_OPT_INTERVAL:
			interval_arg = optarg;
			have_interval = true;
			break;
		default:
			usage(stderr);
			return SW_EXIT_USAGE;
		}
	}
	if (have_interval) {
		if (sw_parse_ulong("--interval", interval_arg, 0, 1UL << 30,
				   &interval))
			return SW_EXIT_USAGE;
		if (interval && sw_rotate_check(interval, short_ok))
			return SW_EXIT_USAGE;
	}
	nact = rotate + show + !!set_file + !!new_file;
	if (nact != 1) {
		sw_err("keys: give exactly one of --rotate, --set-file FILE, "
		       "--show-age, --new-file FILE");
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	if (new_file) {
		if (optind != argc) {
			sw_err("keys --new-file takes no interface");
			return SW_EXIT_USAGE;
		}
		if (sw_keyfile_create(new_file, err, sizeof(err))) {
			sw_err("%s", err);
			return SW_EXIT_FAIL;
		}
		sw_info("created key file %s (mode 0600): copy it to every "
			"host of the fleet, then `synwall attach IFACE "
			"--key-file %s --rotate SECONDS`",
			new_file, new_file);
		return 0;
	}
	if (have_interval && !set_file) {
		sw_err("--interval goes with --set-file");
		return SW_EXIT_USAGE;
	}
	if (!sw_one_operand("keys", argc - optind)) {
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	ifname = argv[optind];
	ifindex = sw_iface_index(ifname);
	if (!ifindex)
		return SW_EXIT_FAIL;
	if (sw_maps_open(ifname, ifindex, pin_dir, &m))
		return SW_EXIT_FAIL;
	have_state = sw_state_read(m.state, &st) == 0;

	if (show) {
		sw_keys_print(m.keys, have_state ? &st : NULL, "");
	} else if (rotate) {
		if (have_state && (st.flags & SW_ST_FLEET) && !force) {
			sw_err("%s uses fleet keys derived from a key file: "
			       "they change with the clock, not by hand. To "
			       "re-derive them: synwall keys %s --set-file "
			       "FILE; to leave fleet mode for a random key: "
			       "--rotate --force (the fleet's other hosts then "
			       "reject this host's cookies)",
			       ifname, ifname);
			rc = SW_EXIT_FAIL;
			goto out;
		}
		if (!force) {
			struct synwall_keys k;
			__u64 now = sw_now_realtime(), wait = 0;

			if (sw_keys_read(m.keys, &k) == 0)
				wait = sw_keys_rotate_wait(&k, now);
			sw_wipe(&k, sizeof(k));
			if (wait) {
				sw_err("%s: the current key is only %llus old: "
				       "a rotation now would replace the "
				       "previous key while cookies it made are "
				       "still valid (up to %us), killing the "
				       "handshakes in flight. Wait %llus and "
				       "rotate again, or give --force to "
				       "rotate now and kill them (after a "
				       "suspected key disclosure, that is what "
				       "you want)",
				       ifname,
				       (unsigned long long)(SW_ROTATE_MIN -
							    wait),
				       SW_ROTATE_MIN,
				       (unsigned long long)wait);
				rc = SW_EXIT_FAIL;
				goto out;
			}
		}
		if (sw_keys_rotate_random(m.keys)) {
			rc = SW_EXIT_FAIL;
			goto out;
		}
		if (have_state && (st.flags & SW_ST_FLEET)) {
			st.flags &= ~SW_ST_FLEET;
			memset(st.fleet_fp, 0, sizeof(st.fleet_fp));
			sw_state_write(m.state, &st);
		}
		sw_info("%s: rotated: new random key is current, the previous "
			"one stays valid until the next rotation",
			ifname);
		sw_keys_print(m.keys, have_state ? &st : NULL, "  ");
	} else {
		struct sw_master master;
		__u32 iv;
		__u64 n;

		if (sw_keyfile_read(set_file, &master, err, sizeof(err))) {
			sw_err("%s", err);
			rc = SW_EXIT_FAIL;
			goto out;
		}
		iv = have_interval ? (__u32)interval :
		     have_state && (st.flags & SW_ST_FLEET) ?
				     st.rotate_seconds :
				     0;
		n = sw_fleet_epoch(sw_now_realtime(), iv);
		rc = sw_keys_fleet(m.keys, master.b, master.len, n);
		if (!rc && have_state) {
			st.flags |= SW_ST_FLEET;
			st.rotate_seconds = iv;
			sw_fleet_fingerprint(master.b, master.len, st.fleet_fp);
			sw_state_write(m.state, &st);
		}
		sw_wipe(&master, sizeof(master));
		if (rc) {
			rc = SW_EXIT_FAIL;
			goto out;
		}
		if (iv)
			sw_info("%s: fleet keys installed for rotation %llu "
				"(every %us); they follow the clock while "
				"`synwall run %s` or `synwall attach %s "
				"--rotate %u` runs",
				ifname, (unsigned long long)n, iv, ifname,
				ifname, iv);
		else
			sw_info("%s: fleet key installed (static: no rotation "
				"interval)",
				ifname);
		sw_keys_print(m.keys, have_state ? &st : NULL, "  ");
	}
	/* keys follow CLOCK_REALTIME: keep the data path's clock on it too */
	if (!show && !rc && sw_clock_sync(m.config) < 0)
		rc = SW_EXIT_FAIL;
out:
	sw_maps_close(&m);
	return rc;
}
