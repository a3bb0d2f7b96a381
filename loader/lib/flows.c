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

bool sw_flows_pinned(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, SW_FLOW_TRACE_PIN);
	return access(path, F_OK) == 0;
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
	struct bpf_map *ctl = bpf_object__find_map_by_name(skel,
							   SYNWALL_MAP_FLOW_CTL);
	struct bpf_map *flows = bpf_object__find_map_by_name(skel,
							     SYNWALL_MAP_FLOWS);
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
	if (!ctl || !flows || !trace || !iter) {
		sw_err("the BPF object has no flow table (%s, %s, %s, %s)",
		       SYNWALL_MAP_FLOWS, SYNWALL_MAP_FLOW_CTL,
		       SW_FLOW_TRACE_PROG, SW_FLOW_SEED_PROG);
		return -1;
	}
	if (sw_netns_id(&dev, &ino)) {
		sw_err("cannot read this process's network namespace "
		       "(/proc/self/ns/net): %s",
		       strerror(errno));
		return -1;
	}
	out->max_entries = bpf_map__max_entries(flows);
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
