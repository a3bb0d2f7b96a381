/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the object, in one place.  Both programs (XDP and TC) are
 * in one object, so they use the same maps.  The five maps of the ABI
 * (layouts in include/synwall/abi.h) are pinned by name, so that an
 * `ip link` or `tc` load shares them with the loader's; the two maps of
 * per-CPU scratch state are the data path's own and are not pinned.
 */
#ifndef SYNWALL_MAPS_H
#define SYNWALL_MAPS_H

#include <synwall/abi.h>

/* the operator's configuration; only the loader writes it */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

/* the protected ports: one bit per port */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYNWALL_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ports SEC(".maps");

/* the two cookie key slots */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_keys);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} keys SEC(".maps");

/* the verdict counters (verdict.h bumps them, one per packet) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

/* written by the data path only: the TC re-check flag, the flood mode */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_dp_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dp_state SEC(".maps");

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

#endif /* SYNWALL_MAPS_H */
