/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * synwall ABI: the layouts shared by the BPF object (bpf/synwall.bpf.c),
 * the loader (loader/) and the tests (tests/).  Everything a user-space
 * program needs to read or write one of synwall's maps is here, and only
 * here, so the two sides cannot drift apart.
 *
 * Compiled twice: by clang -target bpf (after vmlinux.h) and by the host
 * compiler (after <linux/types.h>).  Only __u8.. __u64 types are used.
 */
#ifndef SYNWALL_ABI_H
#define SYNWALL_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Map names, as they appear in the object and under the pin directory. */
#define SYNWALL_MAP_CONFIG "config"
#define SYNWALL_MAP_PORTS "ports"
#define SYNWALL_MAP_KEYS "keys"
#define SYNWALL_MAP_STATS "stats"
#define SYNWALL_MAP_DP_STATE "dp_state"

/* Default pin directory: /sys/fs/bpf/synwall/<ifname>/ */
#define SYNWALL_PIN_ROOT "/sys/fs/bpf/synwall"

/*
 * Live configuration: array map "config", one entry (key 0).  A field left
 * at zero selects the documented default, so a program loaded by `ip link`
 * without any configuration still emits sane SYN-ACKs.
 */
struct synwall_config {
	__u16 mss4;   /* MSS we advertise on IPv4 (default 1460) */
	__u16 mss6;   /* MSS we advertise on IPv6 (default 1440) */
	__u16 window; /* SYN-ACK receive window, unscaled (default 65535) */
	__u8 wscale;  /* our window scale, 0..14; SYNWALL_WSCALE_DEFAULT if 0 */
	__u8 ttl;     /* IPv4 TTL / IPv6 hop limit of SYN-ACKs (default 64) */
	__u32 flags;  /* SYNWALL_CF_* */
	/*
	 * Test hook: when non-zero, the data path reads this many seconds
	 * as CLOCK_TAI instead of the real clock (tai_offset still applies).
	 * The loader never sets it; tests use it to age cookies without
	 * sleeping and to give two instances different clocks.
	 */
	__u32 fixed_time;
	/*
	 * TAI - UTC of this host's kernel in seconds (adjtimex(2) `tai`:
	 * 37 where chrony `leapsectz`, ntpd or phc2sys set it, else 0).
	 * The cookie clock is CLOCK_TAI - tai_offset = UTC, the time base
	 * of the fleet key schedule (CLOCK_REALTIME), so a host's TAI offset
	 * never splits a fleet.  The loader writes it with every config
	 * write and its rotation loop refreshes it (docs/loader.md).
	 */
	__s32 tai_offset;
	/*
	 * When synwall answers SYNs (docs/datapath.md, "Cookies only under
	 * flood"): SYNWALL_COOKIES_FLOOD (the default, also 0) or
	 * SYNWALL_COOKIES_ALWAYS.  In flood mode the detector switches to
	 * cookies when one CPU sees flood_on SYN/s or more (counted over
	 * SW_DETECT_WINDOW_MS windows), and back once every CPU has seen
	 * fewer than flood_off SYN/s for flood_hold_ms.
	 */
	__u32 flood_on;	     /* SYN/s per CPU (default 2000) */
	__u32 flood_off;     /* SYN/s per CPU (default flood_on / 2) */
	__u32 flood_hold_ms; /* default 10000 (10 s) */
	__u8 cookies;	     /* SYNWALL_COOKIES_* */
	__u8 pad[3];
};

#define SYNWALL_COOKIES_FLOOD 1
#define SYNWALL_COOKIES_ALWAYS 2
#define SYNWALL_FLOOD_ON_DEFAULT 2000
#define SYNWALL_FLOOD_HOLD_DEFAULT 10000 /* ms */
#define SYNWALL_FLOOD_HOLD_MAX 3600000	 /* ms */
/* the detector's counting window, ms (thresholds are per second) */
#define SYNWALL_DETECT_WINDOW_MS 100

#define SYNWALL_MSS4_DEFAULT 1460
#define SYNWALL_MSS6_DEFAULT 1440
#define SYNWALL_WINDOW_DEFAULT 65535
#define SYNWALL_WSCALE_DEFAULT 7
#define SYNWALL_TTL_DEFAULT 64
#define SYNWALL_WSCALE_MAX 14
/* config.wscale value meaning "advertise a window scale of 0" */
#define SYNWALL_WSCALE_ZERO 0xff

/* Do not negotiate ECN even when the client asks (RFC 3168 SYN). */
#define SYNWALL_CF_NO_ECN (1u << 0)
/* (bit 1 was the TC re-check flag: it is data-path state, see dp_state) */
/*
 * The flow table's differential mode (--verify-flows on): a miss of the
 * trusted table is looked up all the same, and a socket found where the
 * table's answer would hurt it (a drop, a cookie SYN-ACK) counts
 * xdp_pass_flow_missed: the segment is passed to it instead.  A debugging
 * switch: each miss costs the socket lookup again (~50-150 ns).
 */
#define SYNWALL_CF_VERIFY_FLOWS (1u << 2)

/*
 * State the data path owns: array map "dp_state", one entry.  The XDP
 * program writes it; the operator's config map stays the loader's alone,
 * so a `synwall config` read-modify-write can never undo what XDP set.
 * The loader only reads it (status), except to force a flag for tests.
 */
struct synwall_dp_state {
	__u32 flags; /* SYNWALL_DP_* */
	/*
	 * Flood mode (config.cookies): 1 while synwall answers SYNs with
	 * cookies, 0 while they go to the kernel.  Written only when the
	 * mode changes (never per packet), like the fields below.
	 */
	__u32 flooding;
	__u64 switches;	   /* pass-through -> cookies switches */
	__u64 flood_since; /* bpf_ktime_get_ns() of the last switch on */
	__u64 flood_ns; /* ns spent in cookie mode, up to the last switch off */
	__u64 last_off; /* bpf_ktime_get_ns() of the last switch off */
};

/*
 * TC re-checks cookies from the packet alone when an ACK arrives without
 * handoff metadata (docs/handoff.md).  Set by the XDP program itself the
 * first time the driver has no metadata room; it stays set.
 */
#define SYNWALL_DP_TC_RECHECK (1u << 0)

/*
 * The flow table of the full object (bpf/flows.h, docs/datapath.md "The
 * flow table"): hash maps "flows4" and "flows6", the 4-tuples on protected
 * ports that have a socket, seen from the wire (the peer is a packet's
 * source), and array map "flow_ctl", one entry, which the loader writes
 * at attach.  None is pinned by name: an `ip link` load has no table
 * (flow_ctl.on stays 0) and looks every socket up as before.
 */
#define SYNWALL_MAP_FLOWS4 "flows4"
#define SYNWALL_MAP_FLOWS6 "flows6"
#define SYNWALL_MAP_FLOW_CTL "flow_ctl"
/* entries, preallocated */
#define SYNWALL_FLOWS4_DEFAULT 65536
#define SYNWALL_FLOWS6_DEFAULT 32768
/* a TIME_WAIT entry outlives the kernel's TCP_TIMEWAIT_LEN by 1 s */
#define SYNWALL_FLOW_TW_NS (61ULL * 1000000000ULL)

/* IPv4, and IPv4 peers of dual-stack IPv6 sockets (v4-mapped) */
struct synwall_flow4_key {
	__u32 raddr; /* the peer's address */
	__u32 laddr; /* the local address */
	__u16 rport; /* the peer's port, network order */
	__u16 lport; /* the local port, network order */
};

struct synwall_flow6_key {
	__u32 raddr[4];
	__u32 laddr[4];
	__u16 rport;
	__u16 lport;
};

struct synwall_flow {
	/* 0: a live socket; else the bpf_ktime_get_ns() after which the
	 * socket the entry stands for -- the TIME_WAIT a closed socket left,
	 * or a request socket -- is surely gone */
	__u64 tw_until;
};

struct synwall_flow_ctl {
	__u32 on;	  /* 1: hooks attached and seeded: XDP reads flows */
	__u32 netns_ino;  /* the namespace whose sockets are tracked */
	__u64 insert_err; /* inserts that failed (table full): misses */
	__u64 seeded;	  /* entries the attach-time seed inserted */
	__u64 swept_at;	  /* bpf_ktime_get_ns() of the last sweep */
	__u64 sweeps;	  /* sweeps of expired entries (a table was full) */
	__u32 sweep_left; /* during a sweep: deletions it may still make */
	/*
	 * 1: every socket of a protected port is in the table, so that a
	 * miss means "no socket" and XDP skips the socket lookup for
	 * segments that are not SYNs.  The loader sets it once every hook is
	 * attached and the seed is done; it drops to 0 for good (until the
	 * next attach) when an insert fails or a port becomes protected.
	 */
	__u32 trusted;
	/* bpf_ktime_get_ns() of the last SYN the kernel itself answered
	 * with a cookie in the namespace (the loader writes the attach
	 * time: earlier ones are not known) */
	__u64 kcookie_at;
};

/*
 * The listener table (bpf/listeners.h): hash map "listeners", the
 * listening sockets of the tracked namespace on protected ports, counted
 * by the address they are bound to and their port; and hash map
 * "listen_socks", each socket counted (by its kernel address) with the
 * keys it counts under, so that counting is idempotent: the seed and the
 * hooks may both meet one socket, each of two programs on one hook does.
 * XDP reads it for SYNs where the flow table is trusted: "does anything
 * listen?" without bpf_skc_lookup_tcp().  Not pinned by name.
 */
#define SYNWALL_MAP_LISTENERS "listeners"
#define SYNWALL_MAP_LISTEN_SOCKS "listen_socks"
/* entries of each, preallocated; a full one stops the trust */
#define SYNWALL_LISTENERS_MAX 4096

struct synwall_listen_key {
	/* the bound address, network order (IPv4 in addr[0]); all 0: any */
	__u32 addr[4];
	__u16 port; /* network order */
	__u16 v6;   /* 1: IPv6; 0: IPv4, and IPv4 to a dual-stack socket */
};

struct synwall_listener {
	__u32 socks; /* listening sockets counted under the key */
	/* of them, bound to a device (SO_BINDTODEVICE): which device takes
	 * a SYN is the kernel's socket lookup to say */
	__u32 bound;
};

struct synwall_listen_sock {
	struct synwall_listen_key k[2]; /* the keys it counts under */
	__u32 n;			/* 1 or 2 (dual-stack: IPv6 and IPv4) */
	__u32 bound;			/* counted in .bound */
};

/* the kernel accepts a cookie of its own for less than 2 minutes after
 * it sent it (MAX_SYNCOOKIE_AGE); XDP checks them for 130 s */
#define SYNWALL_KCOOKIE_NS (130ULL * 1000000000ULL)

/*
 * Protected ports: array map "ports" of SYNWALL_PORT_WORDS entries of
 * __u64; bit (port % 64) of word (port / 64) set means the port, in host
 * byte order, is protected.  All 65536 ports are expressible and the check
 * is one array lookup and one bit test.  An empty set protects nothing:
 * a freshly loaded program passes every packet until ports are configured.
 */
#define SYNWALL_PORT_WORDS 1024

/*
 * Cookie keys: array map "keys", one entry.  Two slots, so that a rotation
 * never invalidates a cookie in flight: new SYN-ACKs use key[current]; an
 * ACK names the slot of the key that made its cookie (one cookie bit), so
 * checking costs exactly one MAC.  A rotation writes the new key into the
 * other slot, then flips current; the key two rotations old is gone.
 * generation == 0 means no key was ever installed: the data path then
 * protects nothing (it would otherwise issue cookies under a known key).
 */
struct synwall_key {
	__u64 k0;
	__u64 k1;
};

struct synwall_keys {
	struct synwall_key key[2];
	__u32 current;	  /* slot (0 or 1) that new cookies use */
	__u32 generation; /* incremented by every install; 0 = unkeyed */
	/*
	 * CLOCK_REALTIME seconds at which a slot was written.  0 means the
	 * slot holds no key: the data path rejects every cookie naming it
	 * (else an all-zero key would make cookies forgeable).
	 */
	__u64 installed_at[2];
};

/*
 * Statistics: per-CPU array map "stats", one entry; the loader sums over
 * CPUs.  Every packet the XDP program sees moves exactly one xdp_* counter;
 * every packet the TC program acts on moves exactly one tc_* counter.
 *
 * The list is defined once, here: X(name, help) for each counter, in map
 * order.  struct synwall_stats is generated from it (field names are what
 * `bpftool map dump` prints, thanks to BTF), and so are the loader's
 * printers and the tests' counter tables: a counter added here appears
 * everywhere.
 *
 * The XDP counters are the XDP program's verdict reasons: each names the
 * action the program returns with it (PASS, TX or DROP, the XDP_* suffix),
 * so the data path derives its action from the reason it counts.  That
 * list, SYNWALL_XDP_VERDICTS(X, arg), calls X(name, action, help, arg);
 * SYNWALL_XDP_COUNTERS(X) is its two-column view.
 */
#define SYNWALL_XDP_VERDICTS(X, a)                                             \
	X(xdp_pass_not_tcp, PASS, "XDP_PASS: not IPv4/IPv6 TCP", a)            \
	X(xdp_pass_fragment, PASS, "XDP_PASS: IPv4 or IPv6 fragment", a)       \
	X(xdp_pass_ipv6_ext, PASS, "XDP_PASS: IPv6 with extension headers", a) \
	X(xdp_pass_malformed, PASS,                                            \
	  "XDP_PASS: truncated before the TCP ports", a)                       \
	X(xdp_pass_port, PASS,                                                 \
	  "XDP_PASS: TCP to a port that is not protected", a)                  \
	X(xdp_pass_unkeyed, PASS,                                              \
	  "XDP_PASS: protected port but no key installed", a)                  \
	X(xdp_pass_socket, PASS,                                               \
	  "XDP_PASS: packet of a flow that has a socket", a)                   \
	X(xdp_pass_cookie, PASS,                                               \
	  "XDP_PASS: ACK with a valid cookie, handed to TC", a)                \
	X(xdp_pass_cookie_nometa, PASS,                                        \
	  "XDP_PASS: valid cookie, no metadata room", a)                       \
	X(xdp_tx_synack, TX, "XDP_TX: SYN answered with a cookie SYN-ACK", a)  \
	X(xdp_drop_malformed, DROP,                                            \
	  "XDP_DROP: malformed TCP to a protected port", a)                    \
	X(xdp_drop_bad_ack, DROP,                                              \
	  "XDP_DROP: ACK with neither a valid cookie nor a socket", a)         \
	X(xdp_drop_no_socket, DROP,                                            \
	  "XDP_DROP: RST/FIN/bare segment with no socket", a)                  \
	X(xdp_drop_synack_err, DROP, "XDP_DROP: SYN-ACK could not be built",   \
	  a)                                                                   \
	/* not for a local socket, so not synwall's (the kernel discards or  \
	 * forwards it) */ \
	X(xdp_pass_not_host, PASS,                                             \
	  "XDP_PASS: destination MAC not this device's", a)                    \
	X(xdp_pass_not_local, PASS,                                            \
	  "XDP_PASS: destination IP not a local address", a)                   \
	X(xdp_pass_martian, PASS, "XDP_PASS: martian source address", a)       \
	X(xdp_pass_no_listener, PASS,                                          \
	  "XDP_PASS: SYN to a port nothing listens on", a)                     \
	X(xdp_pass_syn_kernel, PASS,                                           \
	  "XDP_PASS: SYN to a listener, no flood: the kernel's handshake", a)  \
	X(xdp_pass_kernel_cookie, PASS,                                        \
	  "XDP_PASS: ACK carrying a valid cookie of the kernel's own", a)      \
	/* degraded mode (docs/degraded.md) */                                 \
	X(xdp_pass_syn_mark, PASS,                                             \
	  "XDP_PASS: SYN left to the kernel to renew its cookie mark", a)      \
	/* the flow table (full mode, attached by the loader) */               \
	X(xdp_pass_flow, PASS,                                                 \
	  "XDP_PASS: segment of a flow in the flow table (it has a socket)",   \
	  a)                                                                   \
	X(xdp_pass_flow_missed, PASS,                                          \
	  "XDP_PASS: socket the trusted flow table missed (--verify-flows)",   \
	  a)

#define SYNWALL_VERDICT_COUNTER(name, action, help, X) X(name, help)
#define SYNWALL_XDP_COUNTERS(X) SYNWALL_XDP_VERDICTS(SYNWALL_VERDICT_COUNTER, X)

#define SYNWALL_TC_COUNTERS(X)                                                 \
	X(tc_handoff_ok, "TC: handoff done, the kernel creates the socket")    \
	X(tc_no_listener, "TC: valid cookie but no listener")                  \
	X(tc_has_socket, "TC: the flow already has a socket")                  \
	X(tc_bad_cookie, "TC: cookie re-checked from the packet and invalid")  \
	/* a second cookie segment of a flow in the same receive batch as    \
	 * the one just handed off: left to the socket the first creates    \
	 * (docs/handoff.md) */ \
	X(tc_dup_batch,                                                        \
	  "TC: 2nd cookie segment in one batch, left to the new socket")       \
	X(tc_err_einval, "TC: bpf_sk_assign_tcp_reqsk() failed with EINVAL")   \
	X(tc_err_enoent, "TC: bpf_sk_assign_tcp_reqsk() failed with ENOENT")   \
	X(tc_err_enomem, "TC: bpf_sk_assign_tcp_reqsk() failed with ENOMEM")   \
	X(tc_err_other, "TC: bpf_sk_assign_tcp_reqsk() failed otherwise")

#define SYNWALL_COUNTERS(X) SYNWALL_XDP_COUNTERS(X) SYNWALL_TC_COUNTERS(X)

#define SYNWALL_STATS_FIELD(name, help) __u64 name;
struct synwall_stats {
	SYNWALL_COUNTERS(SYNWALL_STATS_FIELD)
};
#undef SYNWALL_STATS_FIELD

/*
 * XDP -> TC handoff metadata, written in front of the packet with
 * bpf_xdp_adjust_meta() and read in TC from skb->data_meta.  Only the XDP
 * program on this host can write it, so TC may trust it.
 */
#define SYNWALL_META_MAGIC 0x53574d31 /* "SWM1" */

struct synwall_meta {
	__u32 magic;
	__u32 cookie;	 /* the validated cookie (ack_seq - 1) */
	__u32 tsval;	 /* client's TSval in the ACK (0 if no TS) */
	__u32 tsecr;	 /* client's TSecr in the ACK (our TSval echoed) */
	__u16 mss;	 /* client MSS decoded from the cookie */
	__u8 snd_wscale; /* client's window scale */
	__u8 rcv_wscale; /* window scale our SYN-ACK advertised */
	__u8 flags;	 /* SYNWALL_MF_* */
	__u8 pad[3];
};

#define SYNWALL_MF_TSTAMP (1u << 0)
#define SYNWALL_MF_WSCALE (1u << 1)
#define SYNWALL_MF_SACK (1u << 2)
#define SYNWALL_MF_ECN (1u << 3)

#endif /* SYNWALL_ABI_H */
