/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The degraded object's own maps (synwall_compat.bpf.c), besides the
 * ABI's of maps.h; layouts in include/synwall/compat.h.  The loader
 * writes both (loader/lib/compat.c); they are pinned by name.
 */
#ifndef SYNWALL_MAPS_COMPAT_H
#define SYNWALL_MAPS_COMPAT_H

#include <synwall/compat.h>

/* one entry: what the full object reads live (the device's MAC) and
 * what no kernel exports to BPF (HZ, net.core.rmem_max) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synwall_compat_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} compat SEC(".maps");

/* the addresses of the namespace, with SYNWALL_LA_* flags */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYNWALL_LOCAL_ADDRS_MAX);
	__type(key, struct synwall_laddr_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} local_addrs SEC(".maps");

#endif /* SYNWALL_MAPS_COMPAT_H */
