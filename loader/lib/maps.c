// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Pins and maps: the pin list, finding the maps, the state record,
 * config and ports I/O (maps.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <synwall/compat.h>

#include "caps.h"
#include "flows.h"
#include "log.h"
#include "maps.h"
#include "netns.h"
#include "util.h"
#include "xdp.h"

void sw_pin_dir_default(const char *ifname, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", SYNWALL_PIN_ROOT, ifname);
}

static void maps_init(struct sw_maps *m)
{
	memset(m, 0, sizeof(*m));
	m->config = m->ports = m->keys = m->stats = m->state = m->dp = -1;
}

void sw_maps_close(struct sw_maps *m)
{
	int *fds[] = {&m->config, &m->ports, &m->keys,
		      &m->stats,  &m->state, &m->dp};
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

#define PIN_MAP(n, t, T, entries, fd)                                  \
	{                                                              \
		n, t, sizeof(T), entries, offsetof(struct sw_maps, fd) \
	}

const struct sw_pin sw_pins[SW_NPINS] = {
	PIN_MAP(SYNWALL_MAP_CONFIG, BPF_MAP_TYPE_ARRAY, struct synwall_config,
		1, config),
	PIN_MAP(SYNWALL_MAP_PORTS, BPF_MAP_TYPE_ARRAY, __u64,
		SYNWALL_PORT_WORDS, ports),
	PIN_MAP(SYNWALL_MAP_KEYS, BPF_MAP_TYPE_ARRAY, struct synwall_keys, 1,
		keys),
	PIN_MAP(SYNWALL_MAP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY,
		struct synwall_stats, 1, stats),
	PIN_MAP(SYNWALL_MAP_DP_STATE, BPF_MAP_TYPE_ARRAY,
		struct synwall_dp_state, 1, dp),
	PIN_MAP(SW_STATE_PIN, BPF_MAP_TYPE_ARRAY, struct sw_state, 1, state),
	{SYNWALL_MAP_COMPAT, BPF_MAP_TYPE_ARRAY,
	 sizeof(struct synwall_compat_cfg), 1, SW_PIN_NO_FD},
	{SYNWALL_MAP_LOCAL_ADDRS, BPF_MAP_TYPE_HASH, sizeof(__u32),
	 SYNWALL_LOCAL_ADDRS_MAX, SW_PIN_NO_FD},
};

static int *slot(struct sw_maps *m, int i)
{
	return (int *)((char *)m + sw_pins[i].fd_off);
}

int sw_pins_remove(const char *dir, bool fatal)
{
	char path[PATH_MAX + 32];
	int i, rc = 0;

	/* the flow table's links first: their programs stop with them */
	for (i = -SW_FLOW_NLINKS; i < SW_NPINS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 i < 0 ? sw_flow_link_pin(i + SW_FLOW_NLINKS) :
				 sw_pins[i].name);
		if (unlink(path) && errno != ENOENT) {
			if (fatal)
				sw_err("cannot remove %s: %s", path,
				       strerror(errno));
			else
				sw_warn("cannot remove %s: %s", path,
					strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

static int check_map(int fd, const struct sw_pin *w, const char *where)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		sw_err("cannot inspect map %s: %s", where, strerror(errno));
		return -1;
	}
	if (info.type != w->type || info.value_size != w->value_size ||
	    info.max_entries != w->max_entries || info.key_size != 4) {
		sw_err("map %s does not have the layout this synwall expects "
		       "(type %u, value %u bytes, %u entries; expected type "
		       "%u, %u bytes, %u entries): it belongs to another "
		       "synwall version or another program; detach it and "
		       "attach again with this build",
		       where, info.type, info.value_size, info.max_entries,
		       w->type, w->value_size, w->max_entries);
		return -1;
	}
	return 0;
}

static int open_from_dir(const char *dir, struct sw_maps *m)
{
	char path[PATH_MAX + 32];
	int i, fd;

	for (i = 0; i < SW_NMAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sw_pins[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			int e = errno;

			if (e == ENOENT)
				sw_err("no synwall map %s: nothing "
				       "synwall-shaped is pinned in %s (was "
				       "synwall attached? with `ip link`/`tc` "
				       "loading the maps are in "
				       "/sys/fs/bpf/tc/globals)",
				       path, dir);
			else
				sw_err("cannot open pinned map %s: %s", path,
				       strerror(e));
			return -1;
		}
		*slot(m, i) = fd;
		if (check_map(fd, &sw_pins[i], path))
			return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, SW_STATE_PIN);
	m->state = bpf_obj_get(path);
	snprintf(m->dir, sizeof(m->dir), "%s", dir);
	return 0;
}

/* The maps of the synwall XDP program attached to ifindex. */
static int open_from_prog(const char *ifname, int ifindex, struct sw_maps *m)
{
	struct sw_xdp_info xi;
	__u32 ids[SW_PROG_MAPS];
	int pfd, i, j, n, found = 0;

	if (sw_xdp_query(ifindex, &xi) < 0 || !xi.prog_id) {
		char dir[PATH_MAX];

		sw_pin_dir_default(ifname, dir, sizeof(dir));
		if (xi.other_id)
			sw_err("synwall is not attached to %s: %s has another "
			       "XDP program (id %u, %s) and there is no %s",
			       ifname, ifname, xi.other_id, xi.other_name, dir);
		else
			sw_err("synwall is not attached to %s (no %s, no "
			       "synwall XDP program on it): attach it with "
			       "`synwall attach %s`; maps pinned elsewhere: "
			       "--pin-dir DIR",
			       ifname, dir, ifname);
		return -1;
	}
	pfd = bpf_prog_get_fd_by_id(xi.prog_id);
	if (pfd < 0) {
		sw_err("cannot open XDP program id %u on %s: %s", xi.prog_id,
		       ifname, strerror(errno));
		return -1;
	}
	n = sw_prog_map_ids(pfd, ids);
	if (n < 0) {
		sw_err("cannot inspect XDP program id %u: %s", xi.prog_id,
		       strerror(errno));
		close(pfd);
		return -1;
	}
	close(pfd);
	for (i = 0; i < n; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			close(fd);
			continue;
		}
		for (j = 0; j < SW_NMAPS; j++) {
			if (strcmp(mi.name, sw_pins[j].name) ||
			    *slot(m, j) >= 0)
				continue;
			*slot(m, j) = fd;
			found++;
			if (check_map(fd, &sw_pins[j], sw_pins[j].name))
				return -1;
			fd = -1;
			break;
		}
		if (fd >= 0)
			close(fd);
	}
	if (found != SW_NMAPS) {
		sw_err("the XDP program on %s (id %u) does not use synwall's "
		       "maps (config, ports, keys, stats, dp_state): it is not "
		       "synwall's, or from another version",
		       ifname, xi.prog_id);
		return -1;
	}
	m->prog_id = xi.prog_id;
	m->dir[0] = '\0';
	return 0;
}

int sw_maps_open(const char *ifname, int ifindex, const char *pin_dir,
		 struct sw_maps *m)
{
	char dir[PATH_MAX];
	struct stat st;

	maps_init(m);
	if (pin_dir) {
		if (!sw_bpffs_at(pin_dir)) {
			if (stat(pin_dir, &st) < 0)
				sw_err("--pin-dir %s: %s", pin_dir,
				       !sw_bpffs_at(SW_BPFFS_DEFAULT) ?
					       "does not exist, and bpffs is "
					       "not mounted at /sys/fs/bpf: "
					       "mount -t bpf bpf /sys/fs/bpf" :
					       "does not exist (is synwall "
					       "attached? `synwall status` "
					       "lists the pin directories)");
			else
				sw_err("--pin-dir %s is not on a bpffs: give "
				       "the directory holding synwall's pinned "
				       "maps, e.g. /sys/fs/bpf/tc/globals",
				       pin_dir);
			return -1;
		}
		if (open_from_dir(pin_dir, m))
			goto fail;
		return 0;
	}
	sw_pin_dir_default(ifname, dir, sizeof(dir));
	if (stat(dir, &st) == 0) {
		if (open_from_dir(dir, m))
			goto fail;
		return 0;
	}
	if (!sw_bpffs_at(SW_BPFFS_DEFAULT))
		sw_warn("bpffs not mounted at /sys/fs/bpf (fix: mount -t bpf "
			"bpf /sys/fs/bpf); looking for the maps through the "
			"program attached to %s",
			ifname);
	if (open_from_prog(ifname, ifindex, m))
		goto fail;
	return 0;
fail:
	sw_maps_close(m);
	return -1;
}

int sw_maps_open_iface(const char *ifname, const char *pin_dir,
		       struct sw_maps *m, int *ifindex)
{
	int idx = sw_iface_index(ifname);

	if (!idx)
		return -1;
	if (ifindex)
		*ifindex = idx;
	return sw_maps_open(ifname, idx, pin_dir, m);
}

/* ---- the state record ------------------------------------------------ */

int sw_state_read(int fd, struct sw_state *st)
{
	__u32 k = 0;

	if (fd < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(fd, &k, st))
		return -errno;
	if (st->magic != SW_STATE_MAGIC || st->version != SW_STATE_VERSION)
		return -EINVAL;
	return 0;
}

int sw_state_write(int fd, const struct sw_state *st)
{
	__u32 k = 0;

	if (bpf_map_update_elem(fd, &k, st, BPF_ANY))
		return -errno;
	return 0;
}

int sw_state_create(const char *dir, const struct sw_state *st)
{
	char path[PATH_MAX + 32];
	int fd, e;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "synwall_state", 4, sizeof(*st),
			    1, NULL);
	if (fd < 0)
		return -errno;
	if (sw_state_write(fd, st)) {
		e = errno;
		close(fd);
		return -e;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, SW_STATE_PIN);
	if (bpf_obj_pin(fd, path)) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* ---- config and ports ------------------------------------------------ */

int sw_map_read_one(int fd, const char *name, void *val)
{
	__u32 k = 0;

	if (bpf_map_lookup_elem(fd, &k, val)) {
		sw_err("cannot read the %s map: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

int sw_config_read(int fd, struct synwall_config *c)
{
	return sw_map_read_one(fd, SYNWALL_MAP_CONFIG, c);
}

int sw_config_write(int fd, const struct synwall_config *c)
{
	struct synwall_config v = *c;
	__u32 k = 0;

	/* every config write carries the host's current TAI offset */
	if (sw_tai_offset(&v.tai_offset))
		return -1;
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) {
		sw_err("cannot write the config map: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int sw_clock_sync(int config_fd)
{
	struct synwall_config c;
	__s32 off;

	if (sw_tai_offset(&off) || sw_config_read(config_fd, &c))
		return -1;
	if (c.tai_offset == off)
		return 0;
	return sw_config_write(config_fd, &c) ? -1 : 1;
}

int sw_dp_read(int fd, struct synwall_dp_state *d)
{
	__u32 k = 0;

	memset(d, 0, sizeof(*d));
	if (fd < 0 || bpf_map_lookup_elem(fd, &k, d))
		return -1;
	return 0;
}

int sw_ports_read(int fd, struct sw_portset *s)
{
	__u32 i;

	for (i = 0; i < SYNWALL_PORT_WORDS; i++) {
		if (bpf_map_lookup_elem(fd, &i, &s->w[i])) {
			sw_err("cannot read the ports map: %s",
			       strerror(errno));
			return -1;
		}
	}
	return 0;
}

int sw_ports_update(int fd, const struct sw_portset *old,
		    const struct sw_portset *s)
{
	__u32 i;

	for (i = 0; i < SYNWALL_PORT_WORDS; i++) {
		if (old->w[i] == s->w[i])
			continue;
		if (bpf_map_update_elem(fd, &i, &s->w[i], BPF_ANY)) {
			sw_err("cannot write the ports map: %s",
			       strerror(errno));
			return -1;
		}
	}
	return 0;
}

int sw_ports_write(int fd, const struct sw_portset *s)
{
	struct sw_portset old;

	if (sw_ports_read(fd, &old))
		return -1;
	return sw_ports_update(fd, &old, s);
}

void sw_config_effective(const struct synwall_config *raw,
			 struct synwall_config *eff)
{
	*eff = *raw;
	if (!eff->mss4)
		eff->mss4 = SYNWALL_MSS4_DEFAULT;
	if (!eff->mss6)
		eff->mss6 = SYNWALL_MSS6_DEFAULT;
	if (!eff->window)
		eff->window = SYNWALL_WINDOW_DEFAULT;
	if (!eff->wscale)
		eff->wscale = SYNWALL_WSCALE_DEFAULT;
	else if (eff->wscale == SYNWALL_WSCALE_ZERO)
		eff->wscale = 0;
	if (!eff->ttl)
		eff->ttl = SYNWALL_TTL_DEFAULT;
}
