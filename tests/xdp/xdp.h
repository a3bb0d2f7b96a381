/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * test_xdp: packet-level tests of the synwall XDP program
 * (docs/datapath.md), run through BPF_PROG_TEST_RUN on the real object.
 * Each case asserts the verdict, that exactly one xdp_* counter moved (by
 * one), and the output bytes: the SYN-ACK is rebuilt independently
 * (tests/lib builder and checksum, cookie.h for the ISN and TSval only)
 * and compared byte for byte; passed and dropped frames must come out
 * untouched.
 *
 * What the files of tests/xdp/ share: the maps' state, the runners and
 * the cases (main.c holds the table).
 */
#ifndef TEST_XDP_H
#define TEST_XDP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "swt.h"
/* cookie.h's "#pragma unroll" is for clang -target bpf */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <synwall/cookie.h>
#include "swt_test.h"

/* 1700000000 = 64 * 26562500: the start of a cookie epoch */
#define T_NOW 1700000000u
#define PORT_HTTP 80
#define PORT_HTTPS 443
#define PORT_OPEN 81 /* never protected */
#define CLIENT_TSVAL 0x01020304u

extern struct swt_env env;
extern struct synwall_config cfg;
extern struct synwall_keys keys;
extern const struct synwall_key key_a, key_b, key_c;

/* What one run must produce. */
struct want {
	__u32 verdict;
	size_t counter;	 /* SWT_STAT(field) */
	const __u8 *out; /* NULL: the input, untouched */
	size_t out_len;
	const struct synwall_meta *meta; /* NULL: no metadata */
	__u32 ifindex;
};

extern struct swt_xdp_out last; /* the last run's output */
extern __u32 syn_ifindex;	/* the device SYNs run on (0: SWT_TEST_DEV) */

/* common.c: maps, running one frame, the SYN helpers, library self-checks */
int write_config(void);
int write_keys(void);
int set_time(__u32 t);
int protect(__u16 port, bool on);
int setup_default(void);
int run(const __u8 *pkt, size_t len, const struct want *w);
int run_pkt(const struct swt_pkt *p, __u32 verdict, size_t counter);
int expect_pass(const struct swt_pkt *p, size_t counter);
int expect_drop(const struct swt_pkt *p, size_t counter);
int expect_raw(const __u8 *b, size_t len, __u32 verdict, size_t counter);
int expect_synack(const struct swt_pkt *syn, const struct swt_synopts *o,
		  __u32 *cookie, __u32 *tsval);
void want_meta(struct synwall_meta *m, __u32 cookie, bool v6,
	       const struct swt_synopts *o, bool ack_ts, __u32 tsval,
	       __u32 tsecr);
int expect_cookie_ack(const struct swt_pkt *ack, const struct synwall_meta *m,
		      __u32 ifindex);
void syn_linux(struct swt_pkt *p, struct swt_synopts *o, bool v6, __u16 mss);
void syn_bare(struct swt_pkt *p, struct swt_synopts *o, bool v6);
int check_mss_index(__u32 cookie, __u32 want);
int check_nots_mss(__u32 cookie, __u32 mss, bool v6);
int t_lib_checksum(void);
int t_cookie_siphash_vectors(void);

/* syn.c: SYN -> SYN-ACK */
int t_syn_linux(long v6);
int t_syn_no_options(long v6);
int t_syn_mss_only(long v6);
int t_syn_vlan(void);
int t_syn_qinq(void);
int t_syn_fastopen_data(void);
int t_syn_ecn(void);
int t_syn_ipv4_options(void);
int t_syn_ethernet_padding(void);
int t_syn_config(void);
int t_syn_flags(void);
int t_checksum_offload(void);
int t_syn_ports(void);
int t_syn_key_slot1(void);

/* options.c: TCP option layouts and the MSS table */
int t_syn_linux_sysctl_layouts(void);
int t_syn_layout_lookalikes(void);
int t_syn_odd_order(long v6);
int t_syn_nop_eol_padding(void);
int t_syn_eol_ends_options(void);
int t_syn_wrong_length_known_options(void);
int t_syn_unknown_options(void);
int t_syn_mss_table(long v6);

/* ack.c: the third ACK, keys, the clock */
int handshake(const struct swt_pkt *syn, const struct swt_synopts *o,
	      __u32 t_syn, __u32 t_ack, __u32 ifindex);
int t_ack_valid(long v6);
int t_wscale_above_14(void);
int t_ack_layout_lookalikes(void);
int t_ack_valid_vlan_data(void);
int t_ack_bad_cookie(void);
int t_ack_age(void);
int t_ack_key_rotation(void);
int t_ack_empty_key_slot(void);
int t_flags_without_socket(void);
int t_unkeyed(void);
int t_fresh_program(void);

/* sockets.c: flows with a socket (bpf_skc_lookup_tcp) */
int t_established(long v6);
int t_listener_is_not_a_flow(void);
int t_time_wait(void);
/* flows.c: the flow table and the listener table */
int flows_reset(void);
int t_flow_table_hit(long v6);
int t_flow_table_time_wait(void);
int t_flow_trace_sockets(long v6);
int t_flow_trace_v4_mapped(void);
int t_flow_trace_other_netns(void);
int t_flow_seed(void);
int t_flow_sweep(void);
int t_flow_table_trusted(long v6);
int t_flow_trace2_alone(void);
int t_flow_full_distrusts(void);
int t_flow_hooks(long v6);
int t_flow_verify(long v6);
int t_flow_hashed_order(long v6);
int t_flow_table_syn(long v6);
int t_listener_table(long v6);
int t_listener_seed_close(void);
int t_listener_bound_after_listen(void);
int t_listener_sk_lookup(long v6);
int t_listener_hooks(void);
int t_request_socket(void);

/* malformed.c: what is not a TCP segment to answer */
int t_not_tcp(void);
int t_third_vlan_tag(void);
int t_fragments(void);
int t_ipv6_extension_headers(void);
int t_unprotected_port(void);
int t_truncated_before_ports(void);
int t_ip_header_invalid(void);
int t_tcp_malformed(void);
int t_truncated_ethernet(void);

#endif /* TEST_XDP_H */
