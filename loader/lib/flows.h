/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flow table at attach (bpf/flows.h): attach the socket-state trace,
 * pin its link, seed the table from the sockets that exist, switch it on.
 */
#ifndef SYNWALL_LOADER_FLOWS_H
#define SYNWALL_LOADER_FLOWS_H

#include <stdbool.h>
#include <linux/types.h>

struct bpf_object;
struct bpf_map_info;

/*
 * The programs that keep the table, each attached with its link pinned
 * beside the maps as sw_flow_link_pin(i) ("flow_trace", ...), so that they
 * outlive the loader and `synwall detach` (which removes the pins) ends
 * them: first the SW_FLOW_NTRACES socket-state traces of synwall.bpf.o,
 * then the kernel function hooks of synwall_hooks.bpf.o.
 */
#define SW_FLOW_NTRACES 2
#define SW_FLOW_NLINKS 10
extern const char *const sw_flow_links[SW_FLOW_NLINKS];
const char *sw_flow_link_pin(int i);

struct sw_flows_started {
	__u64 seeded;	     /* entries the seed inserted */
	__u32 max4, max6;    /* the tables' sizes */
	bool hooks;	     /* the kernel function hooks are attached */
	bool trusted;	     /* XDP trusts a miss (flow_ctl.trusted) */
	char untrusted[400]; /* why not, when not */
};

/* --flows N: entries of each table */
#define SW_FLOWS_MIN 64
#define SW_FLOWS_MAX 4194304
#define SW_FLOWS_RANGE "64-4194304"
/* Parse --flows; 0, or -1 with the message printed. */
int sw_flows_arg(const char *arg, unsigned long *out);
/* Size the tables of the opened (not loaded) full object skel. */
int sw_flows_size(struct bpf_object *skel, unsigned long n);

/*
 * Before the opened hooks object (synwall_hooks.bpf.o) is loaded: each of
 * its maps becomes the loaded full object skel's map of the same name
 * (the flow table, its control entry, the ports), unpinned.  0, or -1
 * with *why set.
 */
int sw_hooks_share_maps(struct bpf_object *hooks, struct bpf_object *skel,
			char *why, size_t len);

/*
 * Start the flow table of the loaded full object skel, whose pins are in
 * dir, for the current network namespace.  On failure nothing of it is
 * left (no pin, the table stays off: XDP looks every socket up) and the
 * message is printed.
 */
int sw_flows_start(struct bpf_object *skel, const char *dir,
		   struct sw_flows_started *out);

/*
 * A port becomes protected: its sockets are not in the table (the seed and
 * the hooks tracked only protected ports), so a miss is no answer any more
 * (flow_ctl.trusted = 0, until the next attach).  The table is found
 * from xdp_prog_id, the XDP program, or if 0 from the trace's link pinned
 * in dir; where there is none, nothing trusts it.  0 or -1 (printed).
 */
int sw_flows_distrust(const char *dir, __u32 xdp_prog_id);

/*
 * After a port became protected (sw_flows_distrust(), then the ports map
 * written): run the seed again, with this loader's seed program on the
 * running table's maps, and trust misses again if the hooks are attached
 * and no insert ever failed.  The hooks track the new port's sockets from
 * the ports map's write on, the seed adds those that existed before: none
 * falls between, as at attach.  Where it cannot (no table, no hooks, an
 * attached object of another version), misses stay looked up and it says
 * why.  Returns 0: nothing of it is fatal to the config change.
 */
int sw_flows_reseed(const char *dir);

/* The map named name of program prog_id, as a new fd (its info in *mi),
 * or -1. */
int sw_prog_map(__u32 prog_id, const char *name, struct bpf_map_info *mi);

/* Most maps a synwall program uses, with room to spare. */
#define SW_PROG_MAPS 64

/*
 * The ids of the maps the program pfd uses, at most SW_PROG_MAPS of them,
 * into ids; returns how many, or -1 (errno set) if the kernel would not
 * say.
 */
int sw_prog_map_ids(int pfd, __u32 *ids);

/* The `synwall status` line of the flow table whose trace is pinned in
 * dir. */
void sw_flows_print(const char *dir, const char *indent);

#endif /* SYNWALL_LOADER_FLOWS_H */
