/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration as the data path reads it: the protected-port check,
 * the cookie clock and the config fields with their defaults resolved
 * (a field left at zero selects the documented default, abi.h).
 */
#ifndef SYNWALL_CONFIG_H
#define SYNWALL_CONFIG_H

#include <synwall/abi.h>
#include "maps.h"
#include "parse.h"
#include "verdict.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* Is the destination port (network order) in the protected set?  O(1). */
static __always_inline int sw_port_protected(__u16 port_be)
{
	__u32 port = bpf_ntohs(port_be);
	__u32 word = port >> 6;
	__u64 *bits = bpf_map_lookup_elem(&ports, &word);

	return bits && (*bits >> (port & 63)) & 1;
}

/*
 * Parse the packet into p: SW_R_NONE if it is TCP to a protected port
 * (the XDP programs' to judge), else the reason to pass it untouched.
 */
static __always_inline enum sw_reason
sw_xdp_protected_tcp(void *data, void *data_end, struct sw_pkt *p)
{
	enum sw_parse_res r = sw_parse(data, data_end, p);

	if (r != SW_PARSE_TCP)
		return sw_parse_reason(r);
	if (!sw_port_protected(p->flow.dport))
		return SW_R_xdp_pass_port;
	return SW_R_NONE;
}

/* The window scale synwall advertises (config.wscale resolved). */
static __always_inline __u32 sw_cfg_wscale(const struct synwall_config *cfg)
{
	__u32 ws = cfg->wscale == SYNWALL_WSCALE_ZERO ? 0 :
		   cfg->wscale			      ? cfg->wscale :
							SYNWALL_WSCALE_DEFAULT;

	return ws > SYNWALL_WSCALE_MAX ? SYNWALL_WSCALE_MAX : ws;
}

/* The MSS synwall advertises for the family, before the client's cap. */
static __always_inline __u32 sw_cfg_mss(const struct synwall_config *cfg,
					int v6)
{
	__u32 mss = v6 ? cfg->mss6 : cfg->mss4;

	if (!mss)
		mss = v6 ? SYNWALL_MSS6_DEFAULT : SYNWALL_MSS4_DEFAULT;
	return mss;
}

static __always_inline __u16 sw_cfg_window(const struct synwall_config *cfg)
{
	return cfg->window ? cfg->window : SYNWALL_WINDOW_DEFAULT;
}

/* IPv4 TTL and IPv6 hop limit of SYN-ACKs */
static __always_inline __u8 sw_cfg_ttl(const struct synwall_config *cfg)
{
	return cfg->ttl ? cfg->ttl : SYNWALL_TTL_DEFAULT;
}

#endif /* SYNWALL_CONFIG_H */
