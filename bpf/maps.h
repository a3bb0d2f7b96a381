/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The five maps of the ABI (layouts in include/synwall/abi.h), which both
 * objects have: the full one (synwall.bpf.c, XDP and TC) and the degraded
 * one (synwall_compat.bpf.c).  They are pinned by name, so that an
 * `ip link` or `tc` load shares them with the loader's.  Each object's
 * own maps are in maps_full.h and maps_compat.h.
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

#endif /* SYNWALL_MAPS_H */
