/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The full object's own maps (synwall.bpf.c), besides the ABI's of
 * maps.h: per-CPU scratch state of the data path, not pinned.
 */
#ifndef SYNWALL_MAPS_FULL_H
#define SYNWALL_MAPS_FULL_H

/*
 * The flood detector's state (flood.h), per CPU: SYNs to a listener
 * counted over windows of SYNWALL_DETECT_WINDOW_MS (a window opens at the
 * first SYN after the previous one closed), and when this CPU last saw
 * the off rate.  Only this CPU writes its entry; other CPUs read it.
 */
struct sw_detect {
	__u64 win_start; /* ns */
	__u64 hot_at;	 /* ns: a window reached flood_off here */
	__u32 count;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_detect);
} detect SEC(".maps");

/*
 * The last handoff on this CPU (tc_handoff.h): which flow (cookie and
 * ports) and when, to leave a second cookie segment of the same receive
 * batch to the socket the first one creates.
 */
struct sw_recent_handoff {
	__u64 flow;
	__u64 at_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_recent_handoff);
} recent_handoff SEC(".maps");

#endif /* SYNWALL_MAPS_FULL_H */
