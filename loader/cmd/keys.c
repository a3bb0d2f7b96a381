// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `synwall keys`: rotate by hand, fleet key files, key ages. */
#include <stdio.h>
#include <string.h>

#include "kdf.h"
#include "keyfile.h"
#include "keys.h"
#include "log.h"
#include "maps.h"
#include "util.h"
#include "verbs.h"

struct keys_cfg {
	bool rotate, show, force, short_ok;
	const char *set_file, *new_file, *interval_arg, *pin_dir;
};

static int run_keys(void *cfg, int nargs, char **args)
{
	struct keys_cfg *c = cfg;
	unsigned long interval = 0;
	const char *ifname;
	struct sw_state st;
	struct sw_maps m;
	char err[512];
	int nact, rc = 0, have_state;

	if (c->interval_arg) {
		if (sw_parse_ulong("--interval", c->interval_arg, 0, 1UL << 30,
				   &interval))
			return SW_EXIT_USAGE;
		if (interval && sw_rotate_check(interval, c->short_ok))
			return SW_EXIT_USAGE;
	}
	nact = c->rotate + c->show + !!c->set_file + !!c->new_file;
	if (nact != 1) {
		sw_err("keys: give exactly one of --rotate, --set-file FILE, "
		       "--show-age, --new-file FILE");
		sw_verb_usage(&sw_verb_keys, stderr);
		return SW_EXIT_USAGE;
	}
	if (c->new_file) {
		if (nargs) {
			sw_err("keys --new-file takes no interface");
			return SW_EXIT_USAGE;
		}
		if (sw_keyfile_create(c->new_file, err, sizeof(err))) {
			sw_err("%s", err);
			return SW_EXIT_FAIL;
		}
		sw_info("created key file %s (mode 0600): copy it to every "
			"host of the fleet, then `synwall attach IFACE "
			"--key-file %s --rotate SECONDS`",
			c->new_file, c->new_file);
		return 0;
	}
	if (c->interval_arg && !c->set_file) {
		sw_err("--interval goes with --set-file");
		return SW_EXIT_USAGE;
	}
	if (!sw_verb_one_iface(&sw_verb_keys, nargs))
		return SW_EXIT_USAGE;
	ifname = args[0];
	if (sw_maps_open_iface(ifname, c->pin_dir, &m, NULL))
		return SW_EXIT_FAIL;
	have_state = sw_state_read(m.state, &st) == 0;

	if (c->show) {
		sw_keys_print(m.keys, have_state ? &st : NULL, "");
	} else if (c->rotate) {
		if (have_state && (st.flags & SW_ST_FLEET) && !c->force) {
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
		if (!c->force) {
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
				       SW_ROTATE_MIN, (unsigned long long)wait);
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

		if (sw_keyfile_read(c->set_file, &master, err, sizeof(err))) {
			sw_err("%s", err);
			rc = SW_EXIT_FAIL;
			goto out;
		}
		iv = c->interval_arg ? (__u32)interval :
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
	if (!c->show && !rc && sw_clock_sync(m.config) < 0)
		rc = SW_EXIT_FAIL;
out:
	sw_maps_close(&m);
	return rc;
}

#define ROT_MIN SW_STR(SW_ROTATE_MIN)

static const struct sw_opt keys_opts[] = {
	SW_OPT_FLAG("rotate", struct keys_cfg, rotate,
		    "put a new random key (getrandom) in the other slot and\n"
		    "make it current; the old one stays valid until the next\n"
		    "rotation.  Refused while the current key is younger "
		    "than\nthe cookie lifetime (" ROT_MIN " s): a second "
		    "rotation would drop\nthe previous key and kill the "
		    "handshakes in flight that it\nmade; the message says "
		    "how long to wait.  Refused in fleet\nmode too (leaving "
		    "it: other hosts then reject our cookies)"),
	SW_OPT_FLAG("force", struct keys_cfg, force,
		    "rotate anyway: kills in-flight handshakes made with the\n"
		    "previous key; leaves fleet mode"),
	SW_OPT_STR("set-file", struct keys_cfg, set_file, "FILE",
		   "fleet mode: derive the keys from the master secret in\n"
		   "FILE (HKDF-SHA256) and the wall clock: key n =\n"
		   "KDF(secret, n), n = time / SECONDS (n = 0 without an\n"
		   "interval: one static key).  Every host with the same "
		   "file\nand a synchronised clock makes and accepts the same "
		   "cookies"),
	SW_OPT_STR("interval", struct keys_cfg, interval_arg, "SECONDS",
		   "fleet rotation interval, >= " ROT_MIN " (default: the "
		   "interface's\ncurrent one; keys follow the clock while "
		   "`synwall run` or\n`synwall attach --rotate` runs)"),
	SW_OPT_FLAG("allow-short-rotate", struct keys_cfg, short_ok,
		    "accept an --interval below " ROT_MIN " s (tests only)"),
	SW_OPT_FLAG("show-age", struct keys_cfg, show,
		    "print the keys' ages and where they come from"),
	SW_OPT_STR("new-file", struct keys_cfg, new_file, "FILE",
		   "create a key file: 256 random bits, mode 0600, never\n"
		   "overwriting; copy it to every host of the fleet"),
	SW_OPT_PIN_DIR(struct keys_cfg, pin_dir, SW_PIN_DIR_HELP),
	SW_OPT_END,
};

const struct sw_verb sw_verb_keys = {
	.name = "keys",
	.summary = "rotate keys, fleet key files, key ages",
	.synopsis = "IFACE --rotate [--force] [--pin-dir DIR]\n"
		    "IFACE --set-file FILE [--interval SECONDS] [--pin-dir "
		    "DIR]\n"
		    "IFACE --show-age [--pin-dir DIR]\n"
		    "--new-file FILE",
	.doc = "Cookie key management.  synwall holds two keys: new SYN-ACKs "
	       "use the\n"
	       "current one, ACKs are checked with the one that made their "
	       "cookie, so a\n"
	       "rotation never breaks a handshake in flight.",
	.notes = "Key files must be mode 0600 (or 0400) and owned by root or "
		 "you: a file that\n"
		 "group or others can read is refused.",
	.opts = keys_opts,
	.cfg_size = sizeof(struct keys_cfg),
	.min_args = 0,
	.max_args = -1, /* --new-file takes none: run_keys checks */
	.locks = true,
	.run = run_keys,
};
