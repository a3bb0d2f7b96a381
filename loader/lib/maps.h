/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pins and maps: the one list of what `synwall attach` pins, finding the
 * maps again (pin dir, or the attached program), the loader's state
 * record, and reading/writing config and ports.
 */
#ifndef SYNWALL_LOADER_MAPS_H
#define SYNWALL_LOADER_MAPS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <synwall/abi.h>

#include "ports.h"

#define SW_STATE_PIN "state"
#define SW_STATE_MAGIC 0x53574c44 /* "SWLD" */
#define SW_STATE_VERSION 1

#define SW_ST_CREATED_CLSACT (1u << 0) /* we created the clsact qdisc */
#define SW_ST_FLEET (1u << 1)	       /* keys derived from a key file */
#define SW_ST_DEGRADED (1u << 2)       /* degraded mode (compat.h) */

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

struct sw_maps {
	int config, ports, keys, stats, state; /* fds; -1 when absent */
	int dp;		    /* dp_state: the data path's own state, read only */
	char dir[PATH_MAX]; /* pin dir; "" when found by id */
	__u32 prog_id;	    /* program found by map ids */
};

/*
 * Every pin attach makes in the pin directory and detach removes, with
 * the layout a map must have to be taken for synwall's.  The maps both
 * objects have come first; then the loader's state record (ip link/tc
 * loading has none); last the degraded object's own maps
 * (include/synwall/compat.h), which struct sw_maps does not hold.
 */
struct sw_pin {
	const char *name;
	__u32 type, value_size, max_entries;
	size_t fd_off; /* where struct sw_maps keeps its fd; SW_PIN_NO_FD */
};
extern const struct sw_pin sw_pins[];
#define SW_NMAPS 5 /* the data path's maps of both objects */
#define SW_NPINS 8 /* with the state record and the degraded maps */
#define SW_PIN_NO_FD ((size_t)-1)

void sw_pin_dir_default(const char *ifname, char *out, size_t len);
/* Unlink every pin of sw_pins in dir (not dir itself); each failure is an
 * error when fatal, else a warning.  Returns -1 if any failed. */
int sw_pins_remove(const char *dir, bool fatal);

/* Open the five maps (and the state record if any) for ifname.
 * pin_dir: explicit --pin-dir or NULL: SYNWALL_PIN_ROOT/ifname, and if
 * that does not exist, the maps of the synwall XDP program attached to
 * the interface (ip link ... xdp obj synwall.bpf.o).  Prints the error. */
int sw_maps_open(const char *ifname, int ifindex, const char *pin_dir,
		 struct sw_maps *m);
/* The same after looking the interface up by name: what the verbs that
 * work on an attached synwall start with; ifindex may be NULL. */
int sw_maps_open_iface(const char *ifname, const char *pin_dir,
		       struct sw_maps *m, int *ifindex);
void sw_maps_close(struct sw_maps *m);

int sw_state_read(int fd, struct sw_state *st);
int sw_state_write(int fd, const struct sw_state *st);
int sw_state_create(const char *dir, const struct sw_state *st); /* fd */

/* The value of a one-entry map; prints "cannot read the NAME map". */
int sw_map_read_one(int fd, const char *name, void *val);
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
/* The same, where old is what the map holds (just read by the caller). */
int sw_ports_update(int fd, const struct sw_portset *old,
		    const struct sw_portset *s);

/* Effective values (zero fields mean "default"). */
void sw_config_effective(const struct synwall_config *raw,
			 struct synwall_config *eff);

#endif
