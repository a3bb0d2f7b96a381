// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Configuration requests: parse, apply to the maps, print (cfg.h). */
#include <errno.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "flows.h"
#include "log.h"
#include "util.h"

/* on|off (also 1|0, yes|no) of option name into *v; 0, or -1 said */
static int sw_parse_onoff(const char *name, const char *arg, bool *v)
{
	if (!strcmp(arg, "on") || !strcmp(arg, "1") || !strcmp(arg, "yes"))
		*v = true;
	else if (!strcmp(arg, "off") || !strcmp(arg, "0") || !strcmp(arg, "no"))
		*v = false;
	else {
		sw_err("%s '%s': expected on or off", name, arg);
		return -1;
	}
	return 0;
}

int sw_cfg_option(void *req, int opt, const char *arg)
{
	struct sw_cfg_req *r = req;
	unsigned long v;
	char err[256];

	switch (opt) {
	case SW_CFG_PORTS:
	case SW_CFG_ADD_PORTS:
	case SW_CFG_DEL_PORTS:
		if (r->set_ports) {
			sw_err("give one of --ports, --add-ports, --del-ports, "
			       "once");
			return -1;
		}
		if (sw_ports_parse(arg, &r->ports, err, sizeof(err))) {
			sw_err("%s: %s",
			       opt == SW_CFG_PORTS     ? "--ports" :
			       opt == SW_CFG_ADD_PORTS ? "--add-ports" :
							 "--del-ports",
			       err);
			return -1;
		}
		snprintf(r->ports_text, sizeof(r->ports_text), "%s", arg);
		r->set_ports = true;
		r->add_del = opt == SW_CFG_PORTS     ? 0 :
			     opt == SW_CFG_ADD_PORTS ? 1 :
						       -1;
		return 0;
	case SW_CFG_MSS4:
		if (sw_parse_ulong("--mss4", arg, SW_MSS4_MIN, SW_MSS4_MAX, &v))
			return -1;
		r->mss4 = (__u16)v;
		r->set_mss4 = true;
		return 0;
	case SW_CFG_MSS6:
		if (sw_parse_ulong("--mss6", arg, SW_MSS6_MIN, SW_MSS6_MAX, &v))
			return -1;
		r->mss6 = (__u16)v;
		r->set_mss6 = true;
		return 0;
	case SW_CFG_WSCALE:
		if (sw_parse_ulong("--wscale", arg, 0, SYNWALL_WSCALE_MAX, &v))
			return -1;
		r->wscale = (__u8)v;
		r->set_wscale = true;
		return 0;
	case SW_CFG_TTL:
		if (sw_parse_ulong("--ttl", arg, 1, 255, &v))
			return -1;
		r->ttl = (__u8)v;
		r->set_ttl = true;
		return 0;
	case SW_CFG_WINDOW:
		if (sw_parse_ulong("--window", arg, 1, 65535, &v))
			return -1;
		r->window = (__u16)v;
		r->set_window = true;
		return 0;
	case SW_CFG_ECN:
		if (sw_parse_onoff("--ecn", arg, &r->ecn))
			return -1;
		r->set_ecn = true;
		return 0;
	case SW_CFG_VERIFY_FLOWS:
		if (sw_parse_onoff("--verify-flows", arg, &r->verify_flows))
			return -1;
		r->set_verify_flows = true;
		return 0;
	case SW_CFG_COOKIES:
		if (!strcmp(arg, "flood"))
			r->cookies = SYNWALL_COOKIES_FLOOD;
		else if (!strcmp(arg, "always"))
			r->cookies = SYNWALL_COOKIES_ALWAYS;
		else {
			sw_err("--cookies '%s': expected flood or always", arg);
			return -1;
		}
		r->set_cookies = true;
		return 0;
	case SW_CFG_FLOOD_ON:
		if (sw_parse_ulong("--flood-on", arg, 10, 100000000, &v))
			return -1;
		r->flood_on = (__u32)v;
		r->set_flood_on = true;
		return 0;
	case SW_CFG_FLOOD_OFF:
		if (sw_parse_ulong("--flood-off", arg, 10, 100000000, &v))
			return -1;
		r->flood_off = (__u32)v;
		r->set_flood_off = true;
		return 0;
	case SW_CFG_FLOOD_HOLD: {
		char *end;
		double sec;

		errno = 0;
		sec = strtod(arg, &end);
		if (errno || end == arg || *end || sec < 0.1 ||
		    sec * 1000 > SYNWALL_FLOOD_HOLD_MAX) {
			sw_err("--flood-hold '%s': expected seconds, 0.1 to "
			       "%u",
			       arg, SYNWALL_FLOOD_HOLD_MAX / 1000);
			return -1;
		}
		r->flood_hold_ms = (__u32)(sec * 1000 + 0.5);
		r->set_flood_hold = true;
		return 0;
	}
	}
	return -1;
}

bool sw_cfg_any(const struct sw_cfg_req *r)
{
	return r->set_ports || r->set_mss4 || r->set_mss6 || r->set_wscale ||
	       r->set_ttl || r->set_window || r->set_ecn || r->set_cookies ||
	       r->set_flood_on || r->set_flood_off || r->set_flood_hold ||
	       r->set_verify_flows;
}

/* Does ps protect a port that old does not? */
static bool ports_widen(const struct sw_portset *old,
			const struct sw_portset *ps)
{
	__u32 i;

	for (i = 0; i < SYNWALL_PORT_WORDS; i++)
		if (ps->w[i] & ~old->w[i])
			return true;
	return false;
}

int sw_cfg_apply(const struct sw_maps *m, const struct sw_cfg_req *r,
		 bool defaults)
{
	struct synwall_config c;
	struct sw_portset ps;
	unsigned int i;

	if (defaults) {
		/* the data path's own state (dp_state) is not in config */
		memset(&c, 0, sizeof(c));
		c.mss4 = SYNWALL_MSS4_DEFAULT;
		c.mss6 = SYNWALL_MSS6_DEFAULT;
		c.window = SYNWALL_WINDOW_DEFAULT;
		c.wscale = SYNWALL_WSCALE_DEFAULT;
		c.ttl = SYNWALL_TTL_DEFAULT;
		c.cookies = SYNWALL_COOKIES_FLOOD;
		c.flood_on = SYNWALL_FLOOD_ON_DEFAULT;
		c.flood_off = SYNWALL_FLOOD_ON_DEFAULT / 2;
		c.flood_hold_ms = SYNWALL_FLOOD_HOLD_DEFAULT;
	} else if (sw_config_read(m->config, &c)) {
		return -1;
	}
	if (r->set_mss4)
		c.mss4 = r->mss4;
	if (r->set_mss6)
		c.mss6 = r->mss6;
	if (r->set_window)
		c.window = r->window;
	if (r->set_wscale)
		c.wscale = r->wscale ? r->wscale : SYNWALL_WSCALE_ZERO;
	if (r->set_ttl)
		c.ttl = r->ttl;
	if (r->set_ecn) {
		if (r->ecn)
			c.flags &= ~SYNWALL_CF_NO_ECN;
		else
			c.flags |= SYNWALL_CF_NO_ECN;
	}
	if (r->set_verify_flows) {
		if (r->verify_flows)
			c.flags |= SYNWALL_CF_VERIFY_FLOWS;
		else
			c.flags &= ~SYNWALL_CF_VERIFY_FLOWS;
	}
	if (r->set_cookies)
		c.cookies = r->cookies;
	if (r->set_flood_on) {
		c.flood_on = r->flood_on;
		/* the off rate follows unless given */
		if (!r->set_flood_off &&
		    (!c.flood_off || c.flood_off > c.flood_on))
			c.flood_off = c.flood_on / 2;
	}
	if (r->set_flood_off)
		c.flood_off = r->flood_off;
	if (c.flood_on && c.flood_off > c.flood_on) {
		sw_err("--flood-off %u is above --flood-on %u (the off rate "
		       "must not exceed the on rate)",
		       c.flood_off, c.flood_on);
		return -1;
	}
	if (r->set_flood_hold)
		c.flood_hold_ms = r->flood_hold_ms;
	/* Ports first when narrowing, config first when widening: either way
	 * a SYN never meets half of the change in a harmful order (the MSS,
	 * TTL, ... apply to whatever ports are protected). */
	if (sw_config_write(m->config, &c))
		return -1;

	if (r->set_ports) {
		struct sw_portset old;
		bool widen;

		if (sw_ports_read(m->ports, &old))
			return -1;
		for (i = 0; i < SYNWALL_PORT_WORDS; i++) {
			if (r->add_del == 0)
				ps.w[i] = r->ports.w[i];
			else if (r->add_del > 0)
				ps.w[i] = old.w[i] | r->ports.w[i];
			else
				ps.w[i] = old.w[i] & ~r->ports.w[i];
		}
		/* a port newly protected: distrust the flow table first,
		 * then (the hooks track the port from the write on) re-seed */
		widen = ports_widen(&old, &ps);
		if (widen && sw_flows_distrust(m->dir, m->prog_id))
			return -1;
		if (sw_ports_update(m->ports, &old, &ps))
			return -1;
		if (widen)
			sw_flows_reseed(m->dir);
	} else if (defaults) {
		memset(&ps, 0, sizeof(ps));
		if (sw_ports_write(m->ports, &ps))
			return -1;
	}
	return 0;
}

void sw_cfg_print(const struct sw_maps *m, const char *indent)
{
	struct synwall_config raw, c;
	struct synwall_dp_state dp;
	struct sw_portset ps;
	char list[1024];
	__s32 host_tai;

	if (sw_config_read(m->config, &raw) || sw_ports_read(m->ports, &ps))
		return;
	sw_config_effective(&raw, &c);
	sw_ports_format(&ps, list, sizeof(list));
	printf("%sports:  %s (%u port%s)\n", indent, list, sw_ports_count(&ps),
	       sw_ports_count(&ps) == 1 ? "" : "s");
	printf("%smss4 %u  mss6 %u  wscale %u  ttl %u  window %u  ecn %s%s%s\n",
	       indent, c.mss4, c.mss6, c.wscale, c.ttl, c.window,
	       c.flags & SYNWALL_CF_NO_ECN ? "off" : "on",
	       c.flags & SYNWALL_CF_VERIFY_FLOWS ?
		       "  verify-flows on (every trusted miss looked up)" :
		       "",
	       raw.fixed_time ? "  (test clock fixed_time set)" : "");
	printf("%sclock:  UTC = CLOCK_TAI - %d s (tai_offset)", indent,
	       (int)raw.tai_offset);
	if (sw_tai_offset(&host_tai) == 0 && host_tai != raw.tai_offset)
		printf(": STALE, the kernel's TAI offset is %d s (any config "
		       "write or the rotation loop refreshes it)",
		       (int)host_tai);
	printf("\n");
	{
		struct sw_mode_info mi;

		if (sw_mode_read(m, &mi) == 0) {
			if (mi.always)
				printf("%scookies: always (every SYN to a "
				       "listener is answered with a cookie)\n",
				       indent);
			else
				printf("%scookies: flood: now %s; on at %u "
				       "SYN/s per CPU, off below %u SYN/s "
				       "for %.1f s; %llu switch%s, %.1f s in "
				       "cookie mode\n",
				       indent,
				       mi.flooding ? "COOKIES (flood)" :
						     "pass-through (no flood)",
				       mi.flood_on, mi.flood_off,
				       mi.hold_ms / 1000.0,
				       (unsigned long long)mi.switches,
				       mi.switches == 1 ? "" : "es",
				       mi.cookie_s);
		}
	}
	if (sw_dp_read(m->dp, &dp) == 0 && (dp.flags & SYNWALL_DP_TC_RECHECK))
		printf("%shandoff: the driver gave no XDP metadata; TC "
		       "re-checks "
		       "cookies from the packet (docs/handoff.md)\n",
		       indent);
}

int sw_mode_read(const struct sw_maps *m, struct sw_mode_info *i)
{
	struct synwall_config raw;
	struct synwall_dp_state dp;
	struct timespec ts;
	__u64 now;

	memset(i, 0, sizeof(*i));
	if (sw_config_read(m->config, &raw) || sw_dp_read(m->dp, &dp))
		return -1;
	i->always = raw.cookies == SYNWALL_COOKIES_ALWAYS;
	i->flood_on = raw.flood_on ? raw.flood_on : SYNWALL_FLOOD_ON_DEFAULT;
	i->flood_off = raw.flood_off ? raw.flood_off : i->flood_on / 2;
	if (i->flood_off > i->flood_on)
		i->flood_off = i->flood_on;
	i->hold_ms = raw.flood_hold_ms ? raw.flood_hold_ms :
					 SYNWALL_FLOOD_HOLD_DEFAULT;
	i->flooding = dp.flooding;
	i->switches = dp.switches;
	/* the data path's clock: bpf_ktime_get_coarse_ns() is
	 * CLOCK_MONOTONIC_COARSE, which lags CLOCK_MONOTONIC by a tick */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	i->cookie_s = (double)dp.flood_ns / 1e9;
	if (dp.flooding && now > dp.flood_since)
		i->cookie_s += (double)(now - dp.flood_since) / 1e9;
	return 0;
}
