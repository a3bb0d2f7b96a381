/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Configuration requests: the options attach and config share (ports,
 * MSS, window scale, TTL, window, ECN, cookie mode, flood thresholds),
 * their parsing, applying them to the maps and printing what is set.
 */
#ifndef SYNWALL_LOADER_CFG_H
#define SYNWALL_LOADER_CFG_H

#include <stdbool.h>
#include <linux/types.h>

#include "cli.h"
#include "maps.h"
#include "ports.h"

struct sw_cfg_req {
	bool set_ports, set_mss4, set_mss6, set_wscale, set_ttl, set_window,
		set_ecn, set_cookies, set_flood_on, set_flood_off,
		set_flood_hold, set_verify_flows;
	__u8 cookies; /* SYNWALL_COOKIES_* */
	__u32 flood_on, flood_off, flood_hold_ms;
	struct sw_portset ports;
	char ports_text[256];
	__u16 mss4, mss6, window;
	__u8 wscale, ttl;
	bool ecn;
	bool verify_flows;
	int add_del; /* 0 replace; +1 --add-ports; -1 --del-ports */
};

/* Which configuration option sw_cfg_option is handed. */
enum sw_cfg_opt {
	SW_CFG_PORTS = 1,
	SW_CFG_ADD_PORTS,
	SW_CFG_DEL_PORTS,
	SW_CFG_MSS4,
	SW_CFG_MSS6,
	SW_CFG_WSCALE,
	SW_CFG_TTL,
	SW_CFG_WINDOW,
	SW_CFG_ECN,
	SW_CFG_COOKIES,
	SW_CFG_FLOOD_ON,
	SW_CFG_FLOOD_OFF,
	SW_CFG_FLOOD_HOLD,
	SW_CFG_VERIFY_FLOWS,
};

#define SW_MSS4_MIN 536
#define SW_MSS4_MAX 65495 /* 65535 - 20 (IPv4) - 20 (TCP) */
#define SW_MSS6_MIN 1220
#define SW_MSS6_MAX 65475 /* 65535 - 40 (IPv6, payload_len) - 20 (TCP) */

/* Handle one configuration option; r is the request.  Returns 0, or -1
 * after printing the error.  The sw_opt_fn of the table below. */
int sw_cfg_option(void *r, int which, const char *arg);

/*
 * The option table entries of the configuration options, for a verb
 * whose configuration struct T holds its request in member M: attach and
 * config list the same options with the same meaning.
 */
#define SW_CFG_OPT(T, M, name, which, meta, help) \
	SW_OPT_FN(name, T, M, sw_cfg_option, which, meta, help)
#define SW_CFG_OPTS(T, M)                                                                    \
	SW_CFG_OPT(T, M, "ports", SW_CFG_PORTS, "LIST",                                      \
		   "protect exactly these ports: 22,80,443,8000-8100\n"                      \
		   "(also all, none)"),                                                      \
		SW_CFG_OPT(T, M, "add-ports", SW_CFG_ADD_PORTS, "LIST",                      \
			   "protect these ports too"),                                       \
		SW_CFG_OPT(T, M, "del-ports", SW_CFG_DEL_PORTS, "LIST",                      \
			   "stop protecting these ports"),                                   \
		SW_CFG_OPT(                                                                  \
			T, M, "mss4", SW_CFG_MSS4, "N",                                      \
			"MSS advertised on IPv4, " SW_STR(SW_MSS4_MIN) "-" SW_STR(           \
				SW_MSS4_MAX) " (default " SW_STR(SYNWALL_MSS4_DEFAULT) ")"), \
		SW_CFG_OPT(                                                                  \
			T, M, "mss6", SW_CFG_MSS6, "N",                                      \
			"MSS advertised on IPv6, " SW_STR(SW_MSS6_MIN) "-" SW_STR(           \
				SW_MSS6_MAX) " (default " SW_STR(SYNWALL_MSS6_DEFAULT) ")"), \
		SW_CFG_OPT(T, M, "wscale", SW_CFG_WSCALE, "N",                               \
			   "window scale advertised, 0-14 (default " SW_STR(                 \
				   SYNWALL_WSCALE_DEFAULT) ")"),                             \
		SW_CFG_OPT(                                                                  \
			T, M, "ttl", SW_CFG_TTL, "N",                                        \
			"TTL / hop limit of SYN-ACKs, 1-255 (default " SW_STR(               \
				SYNWALL_TTL_DEFAULT) ")"),                                   \
		SW_CFG_OPT(T, M, "window", SW_CFG_WINDOW, "N",                               \
			   "SYN-ACK window, 1-65535 (default " SW_STR(                       \
				   SYNWALL_WINDOW_DEFAULT) ")"),                             \
		SW_CFG_OPT(T, M, "ecn", SW_CFG_ECN, "on|off",                                \
			   "negotiate ECN when the client asks (default on)"),               \
		SW_CFG_OPT(                                                                  \
			T, M, "cookies", SW_CFG_COOKIES, "flood|always",                     \
			"flood (default): SYNs go to the kernel's own "                      \
			"handshake\nuntil a flood is detected, then synwall "                \
			"answers them with\ncookies until the flood has "                    \
			"stayed away for the hold time;\nalways: every SYN "                 \
			"to a listener gets a cookie"),                                      \
		SW_CFG_OPT(T, M, "flood-on", SW_CFG_FLOOD_ON, "N",                           \
			   "SYN/s on one CPU that switch to cookies "                        \
			   "(default " SW_STR(SYNWALL_FLOOD_ON_DEFAULT) ")"),                \
		SW_CFG_OPT(T, M, "flood-off", SW_CFG_FLOOD_OFF, "N",                         \
			   "SYN/s per CPU below which the hold time runs "                   \
			   "(default\nhalf of --flood-on: the hysteresis)"),                 \
		SW_CFG_OPT(                                                                  \
			T, M, "flood-hold", SW_CFG_FLOOD_HOLD, "SECS",                       \
			"seconds without a CPU at --flood-off before SYNs go "               \
			"back\nto the kernel (default 10)"),                                 \
		SW_CFG_OPT(                                                                  \
			T, M, "verify-flows", SW_CFG_VERIFY_FLOWS, "on|off",                 \
			"debug: look up every trusted flow-table miss as "                   \
			"well\n"                                                             \
			"and count a socket found (xdp_pass_flow_missed);\n"                 \
			"costs a socket lookup per miss (default off)")

/* Did the request set anything? */
bool sw_cfg_any(const struct sw_cfg_req *r);
/* Apply to the maps; defaults: fill unset fields with the defaults (a
 * fresh attach) instead of keeping what the maps hold. */
int sw_cfg_apply(const struct sw_maps *m, const struct sw_cfg_req *r,
		 bool defaults);
void sw_cfg_print(const struct sw_maps *m, const char *indent);

/* The cookie mode and the flood detector's state, for status and stats. */
struct sw_mode_info {
	bool always;	 /* --cookies always */
	bool flooding;	 /* answering SYNs with cookies now (flood mode) */
	__u64 switches;	 /* switches to cookie mode */
	double cookie_s; /* seconds spent in cookie mode (flood mode) */
	__u32 flood_on, flood_off, hold_ms; /* effective thresholds */
};
int sw_mode_read(const struct sw_maps *m, struct sw_mode_info *i);

#endif
