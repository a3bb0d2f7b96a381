/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Receive VLAN tag stripping and synwall (vlan.c, self-contained: libc and
 * kernel headers only, so the unit tests include it).
 *
 * A NIC with rx-vlan-offload on (NETIF_F_HW_VLAN_CTAG_RX, ethtool's
 * "rx-vlan-hw-parse"; "rx-vlan-stag-hw-parse" for 802.1ad) removes the tag
 * before XDP runs and hands it to the stack beside the packet.  synwall's
 * XDP program sees an untagged SYN, and its XDP_TX SYN-ACK leaves untagged:
 * on the wrong VLAN, so the handshake of every client reaching the host
 * through a VLAN device on top of IFACE fails.
 *
 * Policy: attach refuses when stripping is on and IFACE has 802.1Q/802.1ad
 * devices on top (in this network namespace); --allow-vlan-offload
 * overrides (for hosts whose protected ports are reached untagged only).
 * Stripping without VLAN devices is fine: tagged frames are then dropped by
 * the kernel anyway.  veth reports rx-vlan-offload on but has no hardware
 * that strips anything; it is fine the same way unless it carries VLANs.
 */
#ifndef SYNWALL_LOADER_VLAN_H
#define SYNWALL_LOADER_VLAN_H

#include <stdbool.h>
#include <stddef.h>

struct sw_vlan_facts {
	bool features_known; /* the ethtool feature query worked */
	bool ctag_strip;     /* rx-vlan-hw-parse active */
	bool stag_strip;     /* rx-vlan-stag-hw-parse active */
	int uppers;	     /* VLAN devices on top; -1: unknown */
	char upper[16];	     /* the first one's name */
};

enum sw_vlan_verdict {
	SW_VLAN_OK,	    /* attach */
	SW_VLAN_REFUSE,	    /* msg: why, and the fix */
	SW_VLAN_OVERRIDDEN, /* attach; msg: the warning */
};

/* The decision, pure: facts, --allow-vlan-offload, and the message (for
 * REFUSE and OVERRIDDEN) naming IFACE, the VLAN device and the fix. */
enum sw_vlan_verdict sw_vlan_decide(const struct sw_vlan_facts *f, bool allow,
				    const char *ifname, char *msg, size_t len);

/* Read IFACE's features (ethtool ioctl) and count its VLAN devices
 * (rtnetlink dump, this network namespace).  0, or -errno if neither
 * could be read; a part that fails is left "unknown". */
int sw_vlan_probe(const char *ifname, int ifindex, struct sw_vlan_facts *f);

#endif
