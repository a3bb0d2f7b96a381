// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The flow table at attach: hooks first, then the seed, then on.
 *
 * 1. flow_ctl gets the namespace (its inode) and stays off;
 * 2. the trace program (tp_btf/inet_sock_set_state) is attached and its
 *    link pinned as DIR/flow_trace, so that it outlives the loader and
 *    `synwall detach` (which removes the pins) ends it;
 * 3. the seed (iter/tcp) walks the namespace's TCP sockets once;
 * 4. flow_ctl.on = 1: XDP starts reading the table.
 * Every socket change after step 2 is traced, every socket that exists at
 * step 3 is seeded: none falls between.  Until step 4 XDP looks every
 * socket up, as it does where the table is off for good (an `ip link`
 * load).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <synwall/abi.h>

#include "flows.h"
#include "liblog.h"
#include "load.h"
#include "log.h"
#include "netns.h"

#define SW_FLOW_TRACE_PROG "synwall_flow_trace"
#define SW_FLOW_SEED_PROG "synwall_flow_seed"

int sw_flows_arg(const char *arg, unsigned long *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n < SW_FLOWS_MIN ||
	    n > SW_FLOWS_MAX) {
		sw_err("--flows '%s': expected a number of "
		       "entries, " SW_FLOWS_RANGE,
		       arg);
		return -1;
	}
	*out = n;
	return 0;
}

int sw_flows_size(struct bpf_object *skel, unsigned long n)
{
	const char *names[] = {SYNWALL_MAP_FLOWS4, SYNWALL_MAP_FLOWS6};
	size_t i;

	for (i = 0; i < 2; i++) {
		struct bpf_map *m =
			bpf_object__find_map_by_name(skel, names[i]);
		int err = m ? bpf_map__set_max_entries(m, (__u32)n) : -ENOENT;

		if (err) {
			sw_err("cannot size the flow table %s to %lu entries: "
			       "%s",
			       names[i], n, strerror(-err));
			return -1;
		}
	}
	return 0;
}

/* Run the seed iterator to its end. */
static int seed(struct bpf_program *prog)
{
	struct bpf_link *l = bpf_program__attach_iter(prog, NULL);
	char buf[256];
	ssize_t n;
	int fd, err = 0;

	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
out:
	bpf_link__destroy(l);
	return err;
}

int sw_flows_start(struct bpf_object *skel, const char *dir,
		   struct sw_flows_started *out)
{
	struct bpf_map *ctl =
		bpf_object__find_map_by_name(skel, SYNWALL_MAP_FLOW_CTL);
	struct bpf_map *f4 =
		bpf_object__find_map_by_name(skel, SYNWALL_MAP_FLOWS4);
	struct bpf_map *f6 =
		bpf_object__find_map_by_name(skel, SYNWALL_MAP_FLOWS6);
	struct bpf_program *trace =
		bpf_object__find_program_by_name(skel, SW_FLOW_TRACE_PROG);
	struct bpf_program *iter =
		bpf_object__find_program_by_name(skel, SW_FLOW_SEED_PROG);
	struct synwall_flow_ctl c = {0};
	struct bpf_link *link = NULL;
	char path[4096], why[256];
	__u64 dev, ino;
	__u32 zero = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!ctl || !f4 || !f6 || !trace || !iter) {
		sw_err("the BPF object has no flow table (%s, %s, %s, %s, %s)",
		       SYNWALL_MAP_FLOWS4, SYNWALL_MAP_FLOWS6,
		       SYNWALL_MAP_FLOW_CTL, SW_FLOW_TRACE_PROG,
		       SW_FLOW_SEED_PROG);
		return -1;
	}
	if (sw_netns_id(&dev, &ino)) {
		sw_err("cannot read this process's network namespace "
		       "(/proc/self/ns/net): %s",
		       strerror(errno));
		return -1;
	}
	out->max4 = bpf_map__max_entries(f4);
	out->max6 = bpf_map__max_entries(f6);
	c.netns_ino = (__u32)ino;
	if (bpf_map_update_elem(bpf_map__fd(ctl), &zero, &c, BPF_ANY)) {
		sw_err("cannot write the flow table's control entry: %s",
		       strerror(errno));
		return -1;
	}

	sw_lib_log_clear();
	link = bpf_program__attach(trace);
	if (!link) {
		err = -errno;
		sw_lib_log_flush();
		sw_err("cannot attach the socket-state trace "
		       "(tp_btf/inet_sock_set_state) that keeps the flow "
		       "table: %s",
		       sw_kernel_reason(err, why, sizeof(why)));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, SW_FLOW_TRACE_PIN);
	err = bpf_link__pin(link, path);
	if (err) {
		sw_err("cannot pin the flow trace's link as %s: %s", path,
		       strerror(-err));
		bpf_link__destroy(link);
		return -1;
	}
	err = seed(iter);
	if (err) {
		sw_err("cannot seed the flow table from this namespace's TCP "
		       "sockets (iter/tcp): %s",
		       sw_kernel_reason(err, why, sizeof(why)));
		goto undo;
	}
	if (bpf_map_lookup_elem(bpf_map__fd(ctl), &zero, &c)) {
		err = -errno;
		goto undo;
	}
	c.on = 1;
	if (bpf_map_update_elem(bpf_map__fd(ctl), &zero, &c, BPF_ANY)) {
		err = -errno;
		sw_err("cannot switch the flow table on: %s", strerror(-err));
		goto undo;
	}
	out->seeded = c.seeded;
	/* the pin holds the link; the loader's reference goes */
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return 0;
undo:
	bpf_link__unpin(link);
	bpf_link__destroy(link);
	return -1;
}

/* The map named name of program prog_id, as a new fd, or -1. */
static int prog_map(__u32 prog_id, const char *name, struct bpf_map_info *mi)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi), ids[16], i, n;
	int pfd = bpf_prog_get_fd_by_id(prog_id), fd = -1;

	if (pfd < 0)
		return -1;
	pi.nr_map_ids = 16;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(pfd, &pi, &len)) {
		close(pfd);
		return -1;
	}
	close(pfd);
	n = pi.nr_map_ids < 16 ? pi.nr_map_ids : 16;
	for (i = 0; i < n && fd < 0; i++) {
		__u32 mlen = sizeof(*mi);

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(mi, 0, sizeof(*mi));
		if (bpf_obj_get_info_by_fd(fd, mi, &mlen) ||
		    strcmp(mi->name, name)) {
			close(fd);
			fd = -1;
		}
	}
	return fd;
}

/* Entries of the hash map fd (a walk of its keys: status only). */
static unsigned long count_keys(int fd, size_t key_size)
{
	char k[64], next[64];
	unsigned long n = 0;

	if (key_size > sizeof(k))
		return 0;
	while (!bpf_map_get_next_key(fd, n ? k : NULL, next)) {
		memcpy(k, next, key_size);
		n++;
	}
	return n;
}

void sw_flows_print(const char *dir, const char *indent)
{
	struct bpf_link_info li = {};
	struct bpf_map_info mi, i4, i6;
	struct synwall_flow_ctl c;
	__u32 len = sizeof(li), zero = 0;
	char path[4096];
	int lfd, cfd, f4, f6;

	snprintf(path, sizeof(path), "%s/%s", dir, SW_FLOW_TRACE_PIN);
	lfd = bpf_obj_get(path);
	if (lfd < 0) {
		printf("%sflows:  off: no socket-state trace pinned (%s): "
		       "every "
		       "socket is looked up\n",
		       indent, path);
		return;
	}
	if (bpf_obj_get_info_by_fd(lfd, &li, &len)) {
		close(lfd);
		printf("%sflows:  cannot inspect %s: %s\n", indent, path,
		       strerror(errno));
		return;
	}
	close(lfd);
	cfd = prog_map(li.prog_id, SYNWALL_MAP_FLOW_CTL, &mi);
	f4 = prog_map(li.prog_id, SYNWALL_MAP_FLOWS4, &i4);
	f6 = prog_map(li.prog_id, SYNWALL_MAP_FLOWS6, &i6);
	if (cfd < 0 || f4 < 0 || f6 < 0 || bpf_map_lookup_elem(cfd, &zero, &c))
		printf("%sflows:  the trace (program id %u) has no readable "
		       "flow table\n",
		       indent, li.prog_id);
	else
		printf("%sflows:  %s: IPv4 %lu of %u, IPv6 %lu of %u entries; "
		       "%llu seeded at attach, %llu sweeps of a full table, "
		       "%llu inserts failed (those flows are looked up)\n",
		       indent, c.on ? "on" : "off", count_keys(f4, i4.key_size),
		       i4.max_entries, count_keys(f6, i6.key_size),
		       i6.max_entries, (unsigned long long)c.seeded,
		       (unsigned long long)c.sweeps,
		       (unsigned long long)c.insert_err);
	if (cfd >= 0)
		close(cfd);
	if (f4 >= 0)
		close(f4);
	if (f6 >= 0)
		close(f6);
}
