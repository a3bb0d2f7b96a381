/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * synwall's degraded mode (kernels without bpf_sk_assign_tcp_reqsk, e.g.
 * 6.1-6.8): the layouts of the maps only bpf/synwall_compat.bpf.c has,
 * shared with the loader and the tests.  The maps both objects have
 * (config, ports, keys, stats, dp_state) keep their layouts of abi.h.
 *
 * In degraded mode the SYN-ACK carries the kernel's own cookie
 * (bpf_tcp_raw_gen_syncookie_*), the final ACK is checked with the
 * kernel's helper and passed on, and the kernel's own cookie_v4/v6_check
 * creates the socket.  docs/degraded.md has the design and what is lost.
 */
#ifndef SYNWALL_COMPAT_H
#define SYNWALL_COMPAT_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define SYNWALL_MAP_COMPAT "compat"
#define SYNWALL_MAP_LOCAL_ADDRS "local_addrs"

/*
 * Array map "compat", one entry, written by the loader.  Without the
 * kfuncs of 6.2+ the program cannot read the device, so what the full
 * object reads live from the kernel comes from here; zero fields make the
 * program pass every packet (mac) or every SYN (hz) to the kernel.
 */
struct synwall_compat_cfg {
	__u8 mac[6]; /* the ingress device's MAC address */
	__u16 pad;
	__u32 hz;	  /* the kernel's HZ (jiffies per second), measured */
	__u32 rmem_max;	  /* net.core.rmem_max (global, not readable in BPF) */
	__u32 refresh_s;  /* answer in XDP only while the listener's cookie
			    * mark is younger than this (default 60 s) */
	__u32 generation; /* incremented by each loader write */
};

#define SYNWALL_COMPAT_REFRESH_DEFAULT 60
/* the kernel accepts cookies for 120 s after a listener's mark */
#define SYNWALL_COMPAT_REFRESH_MAX 100

/*
 * Hash map "local_addrs": the addresses of this network namespace, as the
 * loader read them (key: family + address, IPv4 in addr[0]), each with
 * SYNWALL_LA_* flags.  A destination must be LOCAL and not BCAST; a
 * source that is either is martian.
 */
struct synwall_laddr_key {
	__u32 v6;
	__u32 addr[4];
};

#define SYNWALL_LA_LOCAL (1u << 0) /* a unicast address of some device */
#define SYNWALL_LA_BCAST (1u << 1) /* a broadcast address of a device */
#define SYNWALL_LOCAL_ADDRS_MAX 4096

#endif /* SYNWALL_COMPAT_H */
