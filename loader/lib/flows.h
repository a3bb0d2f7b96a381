/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flow table at attach (bpf/flows.h): attach the socket-state trace,
 * pin its link, seed the table from the sockets that exist, switch it on.
 */
#ifndef SYNWALL_LOADER_FLOWS_H
#define SYNWALL_LOADER_FLOWS_H

#include <linux/types.h>

struct bpf_object;

/* the trace program's link, pinned beside the maps */
#define SW_FLOW_TRACE_PIN "flow_trace"

struct sw_flows_started {
	__u64 seeded;	  /* entries the seed inserted */
	__u32 max4, max6; /* the tables' sizes */
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
 * Start the flow table of the loaded full object skel, whose pins are in
 * dir, for the current network namespace.  On failure nothing of it is
 * left (no pin, the table stays off: XDP looks every socket up) and the
 * message is printed.
 */
int sw_flows_start(struct bpf_object *skel, const char *dir,
		   struct sw_flows_started *out);

/* The `synwall status` line of the flow table whose trace is pinned in
 * dir. */
void sw_flows_print(const char *dir, const char *indent);

#endif /* SYNWALL_LOADER_FLOWS_H */
