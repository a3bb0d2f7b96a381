/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Interfaces and network namespaces. */
#ifndef SYNWALL_LOADER_NETNS_H
#define SYNWALL_LOADER_NETNS_H

#include <linux/types.h>

/* ifindex of name in the current network namespace, or 0 after printing
 * an error that says how to find the right one. */
int sw_iface_index(const char *name);

/* Identity of the current network namespace. */
int sw_netns_id(__u64 *dev, __u64 *ino);

/* Enter the network namespace NAME (/run/netns/NAME) or PATH, only that
 * namespace: the mount namespace (and so /sys/fs/bpf) stays the host's. */
int sw_enter_netns(const char *name);

#endif
