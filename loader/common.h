/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared declarations of the synwall loader (build/synwall).
 *
 *   main.c     verb dispatch, global options (--netns, -v)
 *   util.c     messages, number parsing, interfaces, network namespaces
 *   liblog.c   libbpf/libxdp messages: the verifier's and netlink's reasons
 *   maps.c     finding the maps (pin dir, or the attached program), the
 *              loader's state record, reading/writing config and ports
 *   keys.c     the keys map: random keys, fleet keys, rotation; `keys` verb
 *   rotate.c   the rotation loop (`attach --rotate S`, `run`)
 *   xdp.c      XDP query/detach through libxdp, attach alone (libbpf)
 *   dispatch.c libxdp's dispatcher or synwall alone: the decision (pure)
 *   vlan.c     rx VLAN tag stripping: probe and decision
 *   tc.c       TC clsact ingress filter attach/detach/query
 *   attach.c detach.c status.c config.c stats.c   one verb each
 *   compat.c   degraded mode: choice, checks, HZ, addresses, status
 *   ports.c kdf.c keyfile.c caps.c   pure helpers, also used by the tests
 */
#ifndef SYNWALL_LOADER_COMMON_H
#define SYNWALL_LOADER_COMMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include <synwall/abi.h>

#include "ports.h"

#define SW_VERSION "0.1"

#define SW_EXIT_FAIL 1	/* something failed; the message says what */
#define SW_EXIT_USAGE 2 /* bad command line */

extern int sw_verbose;

/*
 * Verbs that change what is attached or configured (attach, detach,
 * config, keys, run) hold this host-wide lock, so two of them never
 * interleave (two concurrent attaches to one interface would otherwise
 * both see it free).  A rotation loop does not hold it while it sleeps,
 * only around each key or clock write.  Taking it while held is a no-op.
 */
#define SW_LOCK_PATH "/run/synwall.lock"
int sw_lock_take(void);
void sw_lock_release(void);
bool sw_lock_held(void);

void sw_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A verb takes exactly one operand, the interface: say so if nargs != 1. */
bool sw_one_operand(const char *verb, int nargs);
void sw_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sw_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sw_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libbpf/libxdp messages: shown with -v, else kept and shown only when an
 * operation fails (sw_lib_log_flush). */
void sw_lib_log_init(void);
void sw_lib_log_flush(void);
void sw_lib_log_clear(void);

/* Parse an unsigned number for option opt within [min, max]; prints the
 * error (naming the option and the range) and returns -1 when bad. */
int sw_parse_ulong(const char *opt, const char *s, unsigned long min,
		   unsigned long max, unsigned long *out);

/* ifindex of name in the current network namespace, or 0 after printing
 * an error that says how to find the right one. */
int sw_iface_index(const char *name);

/* Identity of the current network namespace. */
int sw_netns_id(__u64 *dev, __u64 *ino);

/* Enter the network namespace NAME (/run/netns/NAME) or PATH, only that
 * namespace: the mount namespace (and so /sys/fs/bpf) stays the host's. */
int sw_enter_netns(const char *name);

__u64 sw_now_realtime(void);
/*
 * The kernel's TAI - UTC offset in seconds (adjtimex(2) `tai`), which the
 * data path subtracts from CLOCK_TAI to run on UTC like the loader.
 */
int sw_tai_offset(__s32 *off);

/* Human-readable duration, e.g. "3h04m", "59s". */
const char *sw_fmt_age(__u64 secs, char *buf, size_t len);

/* ---- where the maps are (maps.c) ---------------------------------- */

#define SW_STATE_PIN "state"
#define SW_STATE_MAGIC 0x53574c44 /* "SWLD" */
#define SW_STATE_VERSION 1

#define SW_ST_CREATED_CLSACT (1u << 0) /* we created the clsact qdisc */
#define SW_ST_FLEET (1u << 1)	       /* keys derived from a key file */
#define SW_ST_DEGRADED (1u << 2)       /* degraded mode (loader/compat.h) */

/*
 * The loader's record of one attachment, kept in a one-entry array map
 * pinned as DIR/state (bpffs holds no plain files), so it goes away with
 * the pins.  Not part of the data path's ABI: only the loader reads it.
 */
struct sw_state {
	__u32 magic;
	__u32 version;
	__u64 netns_dev, netns_ino; /* network namespace of the interface */
	__u32 ifindex;
	__u32 xdp_mode; /* enum xdp_attach_mode */
	__u32 xdp_prog_id;
	__u32 tc_prog_id;
	__u32 tc_handle, tc_prio;
	__u32 flags;	      /* SW_ST_* */
	__u32 rotate_seconds; /* 0: keys are not rotated by a daemon */
	__u64 attached_at;    /* CLOCK_REALTIME seconds */
	__u8 fleet_fp[8];     /* fingerprint of the fleet key file */
	char ifname[16];
	__u32 daemon_pid; /* pid of the rotation loop, 0 if none */
	__u32 pad;
};

/* Every pin attach makes in the pin directory, and detach removes. */
#define SW_PIN_NAMES                                            \
	SYNWALL_MAP_CONFIG, SYNWALL_MAP_PORTS, SYNWALL_MAP_KEYS, \
		SYNWALL_MAP_STATS, SYNWALL_MAP_DP_STATE, SW_STATE_PIN, \
		SW_PIN_COMPAT_NAMES
/* the degraded object's own maps (include/synwall/compat.h) */
#define SW_PIN_COMPAT_NAMES "compat", "local_addrs"

struct sw_maps {
	int config, ports, keys, stats, state; /* fds; -1 when absent */
	int dp; /* dp_state: the data path's own state, read only */
	char dir[PATH_MAX]; /* pin dir; "" when found by id */
	__u32 prog_id;	    /* program found by map ids */
};

void sw_pin_dir_default(const char *ifname, char *out, size_t len);

/* Open the five maps (and the state record if any) for ifname.
 * pin_dir: explicit --pin-dir or NULL: SYNWALL_PIN_ROOT/ifname, and if
 * that does not exist, the maps of the synwall XDP program attached to
 * the interface (ip link ... xdp obj synwall.bpf.o).  Prints the error. */
int sw_maps_open(const char *ifname, int ifindex, const char *pin_dir,
		 struct sw_maps *m);
void sw_maps_close(struct sw_maps *m);

int sw_state_read(int fd, struct sw_state *st);
int sw_state_write(int fd, const struct sw_state *st);
int sw_state_create(const char *dir, const struct sw_state *st); /* fd */

int sw_config_read(int fd, struct synwall_config *c);
/* Writes c with tai_offset set to the host's current TAI offset. */
int sw_config_write(int fd, const struct synwall_config *c);
/* Refresh config.tai_offset if the host's changed (a read-modify-write:
 * hold the lock).  1 if it wrote, 0 if unchanged, -1 on error. */
int sw_clock_sync(int config_fd);
int sw_dp_read(int fd, struct synwall_dp_state *d);
int sw_ports_read(int fd, struct sw_portset *s);
/* Writes only the words that change, so a live update never opens a gap
 * for the ports that stay. */
int sw_ports_write(int fd, const struct sw_portset *s);

/* Effective values (zero fields mean "default"). */
void sw_config_effective(const struct synwall_config *raw,
			 struct synwall_config *eff);

/* ---- configuration requests (config.c) ---------------------------- */

struct sw_cfg_req {
	bool set_ports, set_mss4, set_mss6, set_wscale, set_ttl, set_window,
		set_ecn, set_cookies, set_flood_on, set_flood_off,
		set_flood_hold;
	__u8 cookies; /* SYNWALL_COOKIES_* */
	__u32 flood_on, flood_off, flood_hold_ms;
	struct sw_portset ports;
	char ports_text[256];
	__u16 mss4, mss6, window;
	__u8 wscale, ttl;
	bool ecn;
	int add_del; /* 0 replace; +1 --add-ports; -1 --del-ports */
};

enum {
	SW_OPT_PORTS = 1000,
	SW_OPT_ADD_PORTS,
	SW_OPT_DEL_PORTS,
	SW_OPT_MSS4,
	SW_OPT_MSS6,
	SW_OPT_WSCALE,
	SW_OPT_TTL,
	SW_OPT_WINDOW,
	SW_OPT_ECN,
	SW_OPT_COOKIES,
	SW_OPT_FLOOD_ON,
	SW_OPT_FLOOD_OFF,
	SW_OPT_FLOOD_HOLD,
	SW_OPT_PIN_DIR,
	SW_OPT_MODE,
	SW_OPT_KEY_FILE,
	SW_OPT_ROTATE,
	SW_OPT_SHORT_ROTATE,
	SW_OPT_FORCE,
	SW_OPT_SET_FILE,
	SW_OPT_SHOW_AGE,
	SW_OPT_NEW_FILE,
	SW_OPT_INTERVAL,
	SW_OPT_WATCH,
	SW_OPT_JSON,
	SW_OPT_PROM,
	SW_OPT_COUNT,
	SW_OPT_OUTPUT,
};

/* getopt_long entries of the configuration options. */
#define CFG_LONGOPTS                                                      \
	{"ports", required_argument, NULL, SW_OPT_PORTS},                 \
		{"add-ports", required_argument, NULL, SW_OPT_ADD_PORTS}, \
		{"del-ports", required_argument, NULL, SW_OPT_DEL_PORTS}, \
		{"mss4", required_argument, NULL, SW_OPT_MSS4},           \
		{"mss6", required_argument, NULL, SW_OPT_MSS6},           \
		{"wscale", required_argument, NULL, SW_OPT_WSCALE},       \
		{"ttl", required_argument, NULL, SW_OPT_TTL},             \
		{"window", required_argument, NULL, SW_OPT_WINDOW},       \
		{"cookies", required_argument, NULL, SW_OPT_COOKIES},     \
		{"flood-on", required_argument, NULL, SW_OPT_FLOOD_ON},   \
		{"flood-off", required_argument, NULL, SW_OPT_FLOOD_OFF}, \
		{"flood-hold", required_argument, NULL, SW_OPT_FLOOD_HOLD}, \
	{                                                                 \
		"ecn", required_argument, NULL, SW_OPT_ECN                \
	}

/* Handle one configuration option (the SW_OPT_PORTS..SW_OPT_ECN codes);
 * returns 0, or -1 after printing the error. */
int sw_cfg_option(int opt, const char *arg, struct sw_cfg_req *r);
/* Apply to the maps; defaults: fill unset fields with the defaults (a
 * fresh attach) instead of keeping what the maps hold. */
int sw_cfg_apply(const struct sw_maps *m, const struct sw_cfg_req *r,
		 bool defaults);
void sw_cfg_print(const struct sw_maps *m, const char *indent);

/* The cookie mode and the flood detector's state, for status and stats. */
struct sw_mode_info {
	bool always;	 /* --cookies always */
	bool flooding;	 /* answering SYNs with cookies now (flood mode) */
	__u64 switches;	 /* switches to cookie mode */
	double cookie_s; /* seconds spent in cookie mode (flood mode) */
	__u32 flood_on, flood_off, hold_ms; /* effective thresholds */
};
int sw_mode_read(const struct sw_maps *m, struct sw_mode_info *i);

/* ---- keys (keys.c, rotate.c) -------------------------------------- */

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

struct sw_rotate_opts {
	__u32 interval;	      /* seconds */
	const char *key_file; /* fleet mode when set */
	const char *ifname;
	int ifindex;
};
/* Rotate keys in the foreground until SIGTERM/SIGINT or until synwall is
 * detached from the interface.  Returns the exit code. */
int sw_rotate_loop(struct sw_maps *m, const struct sw_rotate_opts *o);
/* Is pid a running synwall (a rotation loop)? */
bool sw_daemon_alive(__u32 pid);
/* Validate a --rotate value (prints the error). */
int sw_rotate_check(unsigned long secs, bool allow_short);

/* ---- programs on the interface (xdp.c, tc.c) ---------------------- */

#define SW_XDP_PROG_NAME "synwall_xdp"
#define SW_TC_PROG_NAME "synwall_tc"
#define SW_TC_HANDLE 0x5357 /* "SW" */
#define SW_TC_PRIO 1

struct sw_xdp_info {
	__u32 prog_id;	/* the synwall program, 0 if none */
	__u32 other_id; /* some other program holding the interface */
	char other_name[16];
	int mode;	 /* enum xdp_attach_mode of the attachment */
	bool dispatcher; /* attached through libxdp's dispatcher */
};

int sw_xdp_query(int ifindex, struct sw_xdp_info *info);
int sw_xdp_detach(int ifindex, __u32 prog_id, int mode);
/* synwall alone, without libxdp's dispatcher (bpf_xdp_attach). */
int sw_xdp_attach_alone(int ifindex, int prog_fd, int mode, __u32 *prog_id);
/* Remove what a failed libxdp attempt left: synwall, its dispatcher, pins. */
int sw_xdp_scrub(int ifindex);
const char *sw_xdp_mode_name(int mode);

int sw_tc_query(int ifindex, __u32 *prog_id);
/* Attach prog_fd at clsact ingress; *created: whether we made clsact. */
int sw_tc_attach(int ifindex, int prog_fd, bool *created, __u32 *prog_id);
/* Remove our filter; and the clsact qdisc too if we created it and no
 * other filter remains on it.  Returns 1 if the qdisc went too, 0, or
 * -errno. */
int sw_tc_detach(int ifindex, bool created_clsact);
/* Number of filters on the clsact hook (ingress or egress), or -errno. */
int sw_tc_count_filters(int ifindex, bool ingress);

/* ---- verbs -------------------------------------------------------- */

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
