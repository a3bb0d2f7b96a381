/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * swt: the synwall test library, shared by tests/ and bench/.
 *
 * - packet builders (Ethernet, 802.1Q/802.1ad tags, IPv4 with options,
 *   IPv6 with extension headers, TCP with arbitrary option bytes, UDP);
 * - an RFC 1071 checksum written here, independent of bpf/;
 * - the expected SYN-ACK and handoff metadata, computed in user space
 *   from the shared cookie header only;
 * - the skeleton opened and loaded with pinning disabled, BPF_PROG_TEST_RUN
 *   for XDP, and the config/ports/keys/stats maps.
 *
 * No main() here: bench/ programs link these files too.
 */
#ifndef SWT_H
#define SWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include <synwall/abi.h>

#define SWT_PKT_MAX 2048

#define SWT_TCP_FIN 0x01
#define SWT_TCP_SYN 0x02
#define SWT_TCP_RST 0x04
#define SWT_TCP_PSH 0x08
#define SWT_TCP_ACK 0x10
#define SWT_TCP_URG 0x20
#define SWT_TCP_ECE 0x40
#define SWT_TCP_CWR 0x80

#define SWT_ETH_P_IP 0x0800
#define SWT_ETH_P_ARP 0x0806
#define SWT_ETH_P_8021Q 0x8100
#define SWT_ETH_P_8021AD 0x88a8
#define SWT_ETH_P_IPV6 0x86dd

/* ---- checksum (RFC 1071) -------------------------------------------- */

/* Add len bytes, read as big-endian 16-bit words, to a 32-bit sum. */
__u32 swt_csum_add(__u32 sum, const void *data, size_t len);
/* Fold and complement: the value to store, big-endian, in the field. */
__u16 swt_csum_fold(__u32 sum);
/* Sum of the TCP/UDP pseudo-header for a segment of len bytes. */
__u32 swt_pseudo_sum(bool v6, const __u8 *saddr, const __u8 *daddr, __u8 proto,
		     size_t len);
/* TCP/UDP checksum over the pseudo-header and seg (checksum field zero). */
__u16 swt_l4_csum(bool v6, const __u8 *saddr, const __u8 *daddr, __u8 proto,
		  const void *seg, size_t len);
/* Write a 16-bit value big-endian. */
void swt_put16(__u8 *p, __u16 v);
void swt_put32(__u8 *p, __u32 v);
__u16 swt_get16(const __u8 *p);
__u32 swt_get32(const __u8 *p);

/* ---- packet builder -------------------------------------------------- */

/*
 * A frame, field by field.  swt_pkt_init() fills sane defaults (a TCP SYN
 * from 192.0.2.1:40000 to 198.51.100.2:80, or 2001:db8::1 -> 2001:db8::2);
 * tests change what they need and call swt_build().  Every field is
 * written as given, except those documented as "0 = computed".
 */
struct swt_pkt {
	__u8 dmac[6];
	__u8 smac[6];
	int nvlan; /* tags, outermost first (0..3) */
	__u16 vlan_tpid[3];
	__u16 vlan_tci[3];
	__u16 ethertype; /* innermost; 0 = computed from v6 */
	/* when l3raw_len > 0, these bytes follow L2 instead of an IP packet */
	const __u8 *l3raw;
	size_t l3raw_len;

	bool v6;
	__u8 saddr[16]; /* IPv4: first 4 bytes */
	__u8 daddr[16];
	__u8 tos;	 /* IPv4 TOS / IPv6 traffic class */
	__u32 flowlabel; /* IPv6 */
	__u8 ttl;	 /* TTL / hop limit */
	__u16 ip_id;
	__u16 frag_off; /* IPv4 flags + fragment offset, host order */
	__u8 ipopt[40]; /* IPv4 options (IHL grows), multiple of 4 */
	size_t ipopt_len;
	/* IPv6 extension headers between the fixed header and L4 */
	__u8 v6ext_type; /* next header of the fixed header */
	__u8 v6ext[64];
	size_t v6ext_len;
	__u8 l4proto; /* 6 TCP, 17 UDP, anything else: payload only */

	__u16 sport; /* host order */
	__u16 dport;
	__u32 seq;
	__u32 ack;
	__u8 flags; /* SWT_TCP_* */
	__u16 window;
	__u16 urg;
	__u8 opt[40]; /* raw option bytes; zero-padded to a multiple of 4 */
	size_t optlen;
	int doff; /* 0 = computed; else written as is (low 4 bits) */
	__u8 payload[1024];
	size_t paylen;
	size_t eth_pad;	   /* bytes after the IP packet (Ethernet padding) */
	__u8 eth_pad_byte; /* their value */
	/* if non-zero, the IPv4 tot_len / IPv6 payload_len written instead */
	int ip_len_override;
	/*
	 * Checksums as a sender with offload leaves them: IPv4 header
	 * checksum 0, TCP/UDP checksum = the pseudo-header sum only (what
	 * CHECKSUM_PARTIAL puts there for the NIC to finish).
	 */
	bool csum_offload;
};

/* Offsets of each layer in a built frame. */
struct swt_layout {
	size_t l3;  /* IP header */
	size_t l4;  /* TCP/UDP header */
	size_t opt; /* TCP options */
	size_t payload;
	size_t ip_end; /* end of the IP packet (start of Ethernet padding) */
	size_t len;    /* whole frame */
};

void swt_pkt_init(struct swt_pkt *p, bool v6);
/* Push a tag inside the existing ones. */
void swt_pkt_vlan(struct swt_pkt *p, __u16 tpid, __u16 tci);
/* Swap L2 addresses, L3 addresses and ports (the reply direction). */
void swt_pkt_reverse(struct swt_pkt *p);
/* Append TCP option bytes. */
void swt_opt_raw(struct swt_pkt *p, const void *b, size_t n);
void swt_opt_mss(struct swt_pkt *p, __u16 mss);
void swt_opt_ws(struct swt_pkt *p, __u8 ws);
void swt_opt_sackperm(struct swt_pkt *p);
void swt_opt_ts(struct swt_pkt *p, __u32 tsval, __u32 tsecr);
void swt_opt_nop(struct swt_pkt *p);
/* What Linux sends in a SYN: MSS, SACK-permitted, TS, NOP, WS. */
void swt_opt_linux_syn(struct swt_pkt *p, __u16 mss, __u32 tsval, __u8 ws);

/*
 * Build the frame into buf (cap bytes).  Returns its length, 0 if it does
 * not fit.  IPv4 header and TCP/UDP checksums are computed from scratch.
 */
size_t swt_build(const struct swt_pkt *p, __u8 *buf, size_t cap,
		 struct swt_layout *lo);

/* ---- expectations ---------------------------------------------------- */

/* What a SYN offered, as the test declares it (not parsed from bytes). */
struct swt_synopts {
	int mss; /* -1: no MSS option */
	int ws;	 /* -1: no window scale option */
	bool sack;
	bool ts;
	__u32 tsval;
	bool ecn; /* ECE and CWR both set */
};

/* Configuration with the documented defaults resolved. */
struct swt_cfg {
	__u16 mss4, mss6, window;
	__u8 wscale, ttl;
	bool no_ecn;
	__u32 now;
};

void swt_cfg_resolve(const struct synwall_config *c, struct swt_cfg *r);

/*
 * The tests' usual state: config with every value explicit (MSS
 * 1460/1440, window 65535, wscale 7, TTL 64) and the clock frozen at now;
 * one key in slot 0, installed at now, generation 1.
 */
void swt_cfg_default(struct synwall_config *c, __u32 now);
void swt_keys_one(struct synwall_keys *k, const struct synwall_key *key,
		  __u32 now);

/* Index of the largest table entry <= mss (0 if none), by linear scan. */
__u32 swt_mss_index(__u32 mss, bool v6);

/* The cookie flow of a client->server segment. */
struct sw_flow;
void swt_flow(const struct swt_pkt *p, __u32 isn, struct sw_flow *f);
/* The same from the fields (addresses as bytes, ports host order). */
void swt_flow_of(bool v6, const __u8 *saddr, const __u8 *daddr, __u16 sport,
		 __u16 dport, __u32 isn, struct sw_flow *f);

/*
 * The SYN-ACK synwall must answer syn with, built as a fresh frame.
 * Returns its length; *cookie and *tsval receive our ISN and TSval.
 */
size_t swt_expect_synack(const struct swt_pkt *syn, const struct swt_synopts *o,
			 const struct synwall_config *cfg,
			 const struct synwall_keys *keys, __u8 *buf, size_t cap,
			 __u32 *cookie, __u32 *tsval);

/*
 * The third ACK a client sends after the SYN-ACK (seq = isn + 1,
 * ack = cookie + 1; with ts: options NOP NOP TS(tsval, tsecr), as Linux
 * sends them).
 */
void swt_make_ack(const struct swt_pkt *syn, __u32 cookie, bool ts, __u32 tsval,
		  __u32 tsecr, struct swt_pkt *ack);

/* ---- BPF: skeleton, test run, maps ---------------------------------- */

struct synwall;

struct swt_env {
	struct synwall *skel;
	int xdp_fd;
	int tc_fd;
	int config_fd;
	int ports_fd;
	int keys_fd;
	int stats_fd;
	int dp_state_fd; /* the data path's own state (struct synwall_dp_state) */
	int ncpus;
};

/* The first kfunc the synwall object calls that this kernel lacks, or
 * NULL (SYNWALL_TEST_HIDE_KFUNC counts). */
const char *swt_missing_kfunc(void);
/* SKIP line and exit(0) when the kernel lacks a kfunc the object calls. */
void swt_skip_without_kfuncs(void);
/* Open and load build/synwall.bpf.o's skeleton, never pinning any map
 * (first swt_skip_without_kfuncs()). */
int swt_env_open(struct swt_env *e, char *err, size_t errlen);
void swt_env_close(struct swt_env *e);

int swt_config_write(const struct swt_env *e, const struct synwall_config *c);
int swt_config_read(const struct swt_env *e, struct synwall_config *c);
int swt_ports_clear(const struct swt_env *e);
int swt_port_set(const struct swt_env *e, __u16 port, bool on);
int swt_keys_write(const struct swt_env *e, const struct synwall_keys *k);
int swt_dp_flags_write(const struct swt_env *e, __u32 flags);
/* Stats summed over all possible CPUs. */
int swt_stats_read(const struct swt_env *e, struct synwall_stats *s);
int swt_stats_zero(const struct swt_env *e);

/* The stats fields by name: one row per __u64 of struct synwall_stats. */
struct swt_stat_field {
	const char *name;
	size_t off;
};
extern const struct swt_stat_field swt_stat_fields[];
extern const size_t swt_nstat_fields;
#define SWT_STAT(field) offsetof(struct synwall_stats, field)
const char *swt_stat_name(size_t off);
__u64 swt_stat_get(const struct synwall_stats *s, size_t off);
/*
 * 0 if exactly the counter at off moved, by 1, and no other; else 1 with
 * the moves described in why.
 */
int swt_stats_check_one(const struct synwall_stats *before,
			const struct synwall_stats *after, size_t off,
			char *why, size_t n);

/* One XDP BPF_PROG_TEST_RUN (repeat 1) and what it returned. */
struct swt_xdp_out {
	int err; /* 0 or -errno of the syscall */
	__u32 verdict;
	__u32 meta_len;	       /* bytes of metadata in front of the packet */
	__u32 len;	       /* packet length (after the metadata) */
	__u8 buf[SWT_PKT_MAX]; /* metadata, then packet */
};

/*
 * Run prog_fd on pkt.  ifindex != 0 becomes xdp_md.ingress_ifindex (the
 * device whose namespace socket lookups use, and whose MAC and addresses
 * the data path checks; 1 = loopback); 0 means SWT_TEST_DEV.
 */
int swt_xdp_run(int prog_fd, const void *pkt, size_t len, __u32 ifindex,
		struct swt_xdp_out *o);
static inline const __u8 *swt_xdp_data(const struct swt_xdp_out *o)
{
	return o->buf + o->meta_len;
}

const char *swt_xdp_verdict_name(__u32 v);

/* ---- misc ----------------------------------------------------------- */

/* Hex dump of expected vs got, differing bytes marked; lines start "# ". */
void swt_hexdiff(FILE *f, const __u8 *exp, size_t elen, const __u8 *got,
		 size_t glen);

/*
 * Move the process into a fresh network namespace with loopback up, so
 * socket lookups see only the test's own sockets, and the server's device
 * SWT_TEST_DEV: a veth with swt_pkt_init()'s server MAC and addresses
 * (198.51.100.2/24, 2001:db8::2/64, and a second address of each family,
 * .3 and ::3, for tests that change the destination), the device frames
 * run on when a test gives no ifindex.  0 on success.
 */
int swt_netns_private(char *err, size_t errlen);
/* Run iterator program prog (attached for the call) to its end: 0 or
 * -errno. */
struct bpf_program;
int swt_iter_run(struct bpf_program *prog);
/* Write net.ipv4.NAME of this namespace (best effort: a test that
 * depends on it checks what the kernel then does). */
void swt_sysctl_ipv4(const char *name, const char *value);

#define SWT_TEST_DEV "swt0"
#define SWT_TEST_MAC "02:00:00:00:00:02"
#define SWT_TEST_IP4 "198.51.100.2"
#define SWT_TEST_IP6 "2001:db8::2"
#define SWT_TEST_IP4B "198.51.100.3"
#define SWT_TEST_IP6B "2001:db8::3"
/* ifindex of SWT_TEST_DEV once swt_netns_private() made it, else 0 */
extern __u32 swt_test_ifindex;
/* ifindex, or SWT_TEST_DEV's when 0: the device a test run uses */
__u32 swt_ifindex(__u32 ifindex);
/*
 * A listener on every address of the namespace (IPv4 and IPv6) at port:
 * the data path answers SYNs only where something listens.  The fd, or
 * -errno.
 */
int swt_listen_any(__u16 port);

/*
 * The start of a suite: a private namespace (swt_netns_private; without
 * one, a note on stderr and the tests run where they are), the skeleton
 * loaded, and a listener on each of ports (nports of them).  0, or 1
 * after a "FAIL: setup: ..." line.
 */
int swt_suite_env(struct swt_env *e, const char *suite, const __u16 *ports,
		  size_t nports);

/* A TCP connection over loopback (lo): listener lport, client cport. */
struct swt_conn {
	int lfd, cfd, afd; /* -1: none */
	__u16 lport, cport;
};

/*
 * A listener on ::1 or 127.0.0.1 (an ephemeral port) and, if connect_it,
 * one accepted connection to it.  0, or -errno with every fd closed.
 */
int swt_conn_open(bool v6, bool connect_it, struct swt_conn *c);
void swt_conn_close(struct swt_conn *c);
/* An ACK on lo: zero MACs, loopback addresses, no cookie in ack_seq. */
void swt_pkt_loopback(struct swt_pkt *p, bool v6, __u16 sport, __u16 dport);

#endif /* SWT_H */
