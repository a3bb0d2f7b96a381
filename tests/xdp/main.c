// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: the case table and main().
 *
 * Usage: test_xdp [-v] [-l] [-k PATTERN]... [PATTERN]...
 */
#include "xdp.h"

static const struct swt_case cases[] = {
	SWT_CASE(lib_checksum),
	SWT_CASE(cookie_siphash_vectors),
	/* syn.c, options.c */
	SWT_CASE_V46("syn_v4_linux_options", "syn_v6_linux_options",
		     t_syn_linux),
	SWT_CASE_V46("syn_v4_no_options", "syn_v6_no_options",
		     t_syn_no_options),
	SWT_CASE_V46("syn_v4_mss_only", "syn_v6_mss_only", t_syn_mss_only),
	SWT_CASE(syn_linux_sysctl_layouts),
	SWT_CASE(syn_layout_lookalikes),
	SWT_CASE_V46("syn_v4_odd_order", "syn_v6_odd_order", t_syn_odd_order),
	SWT_CASE(syn_nop_eol_padding),
	SWT_CASE(syn_eol_ends_options),
	SWT_CASE(syn_wrong_length_known_options),
	SWT_CASE(syn_unknown_options),
	SWT_CASE_V46("syn_v4_mss_table", "syn_v6_mss_table", t_syn_mss_table),
	SWT_CASE(syn_vlan),
	SWT_CASE(syn_qinq),
	SWT_CASE(syn_fastopen_data),
	SWT_CASE(syn_ecn),
	SWT_CASE(syn_ipv4_options),
	SWT_CASE(syn_ethernet_padding),
	SWT_CASE(syn_config),
	SWT_CASE(syn_flags),
	SWT_CASE(syn_ports),
	SWT_CASE(checksum_offload),
	SWT_CASE(syn_key_slot1),
	/* ack.c */
	SWT_CASE_V46("ack_v4_valid", "ack_v6_valid", t_ack_valid),
	SWT_CASE(ack_valid_vlan_data),
	SWT_CASE(ack_layout_lookalikes),
	SWT_CASE(wscale_above_14),
	SWT_CASE(ack_bad_cookie),
	SWT_CASE(ack_age),
	SWT_CASE(ack_key_rotation),
	SWT_CASE(ack_empty_key_slot),
	SWT_CASE(flags_without_socket),
	/* sockets.c */
	SWT_CASE_V46("established_v4", "established_v6", t_established),
	SWT_CASE(listener_is_not_a_flow),
	SWT_CASE(time_wait),
	SWT_CASE(request_socket),
	/* flows.c */
	SWT_CASE_V46("flow_table_hit_v4", "flow_table_hit_v6",
		     t_flow_table_hit),
	SWT_CASE(flow_table_time_wait),
	SWT_CASE_V46("flow_trace_sockets_v4", "flow_trace_sockets_v6",
		     t_flow_trace_sockets),
	SWT_CASE(flow_trace_v4_mapped),
	SWT_CASE(flow_trace_other_netns),
	SWT_CASE(flow_seed),
	SWT_CASE(flow_sweep),
	SWT_CASE_V46("flow_table_trusted_v4", "flow_table_trusted_v6",
		     t_flow_table_trusted),
	SWT_CASE(flow_trace2_alone),
	SWT_CASE(flow_full_distrusts),
	SWT_CASE_V46("flow_hooks_v4", "flow_hooks_v6", t_flow_hooks),
	SWT_CASE_V46("flow_verify_v4", "flow_verify_v6", t_flow_verify),
	SWT_CASE_V46("flow_hashed_order_v4", "flow_hashed_order_v6",
		     t_flow_hashed_order),
	SWT_CASE_V46("flow_table_syn_v4", "flow_table_syn_v6",
		     t_flow_table_syn),
	SWT_CASE_V46("listener_table_v4", "listener_table_v6",
		     t_listener_table),
	SWT_CASE(listener_seed_close),
	SWT_CASE(listener_bound_after_listen),
	SWT_CASE_V46("listener_sk_lookup_v4", "listener_sk_lookup_v6",
		     t_listener_sk_lookup),
	SWT_CASE(listener_hooks),
	/* ack.c: keys and the program's own state */
	SWT_CASE(unkeyed),
	SWT_CASE(fresh_program),
	/* malformed.c */
	SWT_CASE(not_tcp),
	SWT_CASE(third_vlan_tag),
	SWT_CASE(fragments),
	SWT_CASE(ipv6_extension_headers),
	SWT_CASE(unprotected_port),
	SWT_CASE(truncated_ethernet),
	SWT_CASE(truncated_before_ports),
	SWT_CASE(ip_header_invalid),
	SWT_CASE(tcp_malformed),
};

/* every port a case sends a SYN to and wants answered */
static const __u16 listen_ports[] = {PORT_HTTP, PORT_HTTPS, 64, 65535};

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, setup_default);
	int r;

	/*
	 * A namespace of our own: socket lookups see only the sockets the
	 * tests open, whatever runs on the host.
	 */
	if (swt_suite_env(&env, "test_xdp", listen_ports,
			  sizeof(listen_ports) / sizeof(listen_ports[0])))
		return 1;
	r = swt_main(&suite, argc, argv);
	swt_env_close(&env);
	return r;
}
