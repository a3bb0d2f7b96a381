// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `synwall stats IFACE [--watch [SECS]] [--json] [--prometheus]`
 *
 * The stats map is a per-CPU array: each CPU counts in its own copy, the
 * totals are the sums over all possible CPUs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cfg.h"
#include "log.h"
#include "maps.h"
#include "util.h"
#include "verbs.h"

struct counter {
	const char *name;
	size_t off;
	const char *help;
};

#define C(f, h) {#f, offsetof(struct synwall_stats, f), h},
static const struct counter counters[] = {SYNWALL_COUNTERS(C)};
#undef C
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))
_Static_assert(sizeof(struct synwall_stats) == NCOUNTERS * sizeof(__u64),
	       "stats.c must list every counter of struct synwall_stats");

static __u64 get(const struct synwall_stats *s, size_t i)
{
	return *(const __u64 *)((const char *)s + counters[i].off);
}

/* Sum the per-CPU values. */
static int read_stats(int fd, struct synwall_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	size_t i, stride = (sizeof(*sum) + 7) & ~(size_t)7;
	char *buf;
	__u32 k = 0;

	if (ncpu <= 0) {
		sw_err("cannot count the CPUs: %s", strerror(-ncpu));
		return -1;
	}
	buf = calloc((size_t)ncpu, stride);
	if (!buf)
		return -1;
	if (bpf_map_lookup_elem(fd, &k, buf)) {
		sw_err("cannot read the stats map: %s", strerror(errno));
		free(buf);
		return -1;
	}
	memset(sum, 0, sizeof(*sum));
	for (c = 0; c < ncpu; c++) {
		const struct synwall_stats *s =
			(const void *)(buf + (size_t)c * stride);

		for (i = 0; i < NCOUNTERS; i++)
			*(__u64 *)((char *)sum + counters[i].off) += get(s, i);
	}
	free(buf);
	return 0;
}

/* the cookie mode and the detector, read with the counters */
static struct sw_mode_info mode;
static bool have_mode;

static const char *mode_name(void)
{
	return mode.always ? "always" : "flood";
}

static const char *state_name(void)
{
	return mode.always || mode.flooding ? "cookies" : "pass-through";
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_text(FILE *f, const char *ifname,
		       const struct synwall_stats *s,
		       const struct synwall_stats *prev, double dt, bool all)
{
	size_t i;
	__u64 xdp = 0;

	for (i = 0; i < NCOUNTERS; i++)
		if (!strncmp(counters[i].name, "xdp_", 4))
			xdp += get(s, i);
	if (prev)
		fprintf(f, "synwall %s: %.1fs interval\n%-24s %14s %12s\n",
			ifname, dt, "counter", "total", "per second");
	else
		fprintf(f, "synwall %s\n%-24s %14s\n", ifname, "counter",
			"total");
	for (i = 0; i < NCOUNTERS; i++) {
		__u64 v = get(s, i);

		if (!v && !all && !(prev && get(prev, i) != v))
			continue;
		if (prev)
			fprintf(f, "%-24s %14llu %12.0f\n", counters[i].name,
				(unsigned long long)v,
				dt > 0 ? (double)(v - get(prev, i)) / dt : 0.0);
		else
			fprintf(f, "%-24s %14llu\n", counters[i].name,
				(unsigned long long)v);
	}
	fprintf(f, "%-24s %14llu\n", "xdp packets (all)",
		(unsigned long long)xdp);
	if (have_mode)
		fprintf(f,
			"cookies: mode %s, state %s, %llu switch%s to cookies, "
			"%.1f s in cookie mode\n",
			mode_name(), state_name(),
			(unsigned long long)mode.switches,
			mode.switches == 1 ? "" : "es", mode.cookie_s);
}

static void print_json(FILE *f, const char *ifname,
		       const struct synwall_stats *s,
		       const struct synwall_stats *prev, double dt)
{
	size_t i;

	fprintf(f, "{\"iface\":\"%s\",\"time\":%llu,\"counters\":{", ifname,
		(unsigned long long)sw_now_realtime());
	for (i = 0; i < NCOUNTERS; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", counters[i].name,
			(unsigned long long)get(s, i));
	fprintf(f, "}");
	if (prev) {
		fprintf(f, ",\"interval\":%.3f,\"rates\":{", dt);
		for (i = 0; i < NCOUNTERS; i++)
			fprintf(f, "%s\"%s\":%.1f", i ? "," : "",
				counters[i].name,
				dt > 0 ? (double)(get(s, i) - get(prev, i)) /
						 dt :
					 0.0);
		fprintf(f, "}");
	}
	if (have_mode)
		fprintf(f,
			",\"cookies\":{\"mode\":\"%s\",\"state\":\"%s\","
			"\"switches\":%llu,\"cookie_seconds\":%.3f}",
			mode_name(), state_name(),
			(unsigned long long)mode.switches, mode.cookie_s);
	fprintf(f, "}\n");
}

/* Prometheus text exposition format (node_exporter textfile collector). */
static void print_prom(FILE *f, const char *ifname,
		       const struct synwall_stats *s)
{
	size_t i;

	for (i = 0; i < NCOUNTERS; i++) {
		fprintf(f, "# HELP synwall_%s_total %s\n", counters[i].name,
			counters[i].help);
		fprintf(f, "# TYPE synwall_%s_total counter\n",
			counters[i].name);
		fprintf(f, "synwall_%s_total{iface=\"%s\"} %llu\n",
			counters[i].name, ifname,
			(unsigned long long)get(s, i));
	}
	if (!have_mode)
		return;
	fprintf(f,
		"# HELP synwall_cookie_mode 1 while SYNs are answered with "
		"cookies (mode: the --cookies setting)\n"
		"# TYPE synwall_cookie_mode gauge\n"
		"synwall_cookie_mode{iface=\"%s\",mode=\"%s\"} %d\n",
		ifname, mode_name(), mode.always || mode.flooding);
	fprintf(f,
		"# HELP synwall_cookie_switches_total switches from "
		"pass-through to cookies\n"
		"# TYPE synwall_cookie_switches_total counter\n"
		"synwall_cookie_switches_total{iface=\"%s\"} %llu\n",
		ifname, (unsigned long long)mode.switches);
	fprintf(f,
		"# HELP synwall_cookie_seconds_total time spent answering "
		"SYNs with cookies in flood mode\n"
		"# TYPE synwall_cookie_seconds_total counter\n"
		"synwall_cookie_seconds_total{iface=\"%s\"} %.3f\n",
		ifname, mode.cookie_s);
}

static volatile sig_atomic_t stop;
static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static int emit(const char *out, const char *ifname, int fmt,
		const struct synwall_stats *s, const struct synwall_stats *prev,
		double dt, bool all, bool tty_clear)
{
	char tmp[PATH_MAX + 16];
	FILE *f = stdout;
	int fd;

	if (out) {
		snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out);
		fd = mkstemp(tmp);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			sw_err("cannot write %s: %s", tmp, strerror(errno));
			return -1;
		}
		fchmod(fd, 0644);
	} else if (tty_clear) {
		fputs("\033[H\033[2J", f);
	}
	if (fmt == 'j')
		print_json(f, ifname, s, prev, dt);
	else if (fmt == 'p')
		print_prom(f, ifname, s);
	else
		print_text(f, ifname, s, prev, dt, all);
	if (out) {
		if (fclose(f) || rename(tmp, out)) {
			sw_err("cannot write %s: %s", out, strerror(errno));
			unlink(tmp);
			return -1;
		}
	} else {
		fflush(f);
	}
	return 0;
}

enum { FMT_TEXT = 't', FMT_JSON = 'j', FMT_PROM = 'p' };

struct stats_cfg {
	bool watch, all;
	const char *watch_arg, *out, *pin_dir;
	unsigned long count;
	int fmt;
};

static const struct stats_cfg stats_defaults = {.fmt = FMT_TEXT};

/* --watch[=SECS]: SECS is checked once the operands are known. */
static int opt_watch(void *member, int which, const char *arg)
{
	struct stats_cfg *c = member;

	c->watch = true;
	c->watch_arg = arg;
	return 0;
}

static int opt_count(void *member, int which, const char *arg)
{
	return sw_parse_ulong("--count", arg, 1, 1UL << 31, member);
}

static int opt_fmt(void *member, int which, const char *arg)
{
	*(int *)member = which;
	return 0;
}

static int run_stats(void *cfg, int nargs, char **args)
{
	struct stats_cfg *c = cfg;
	const char *ifname, *out = c->out;
	struct synwall_stats cur, prev;
	double interval = 1.0, t0, t1;
	int fmt = c->fmt, rc = 0;
	bool all = c->all;
	unsigned long n;
	struct sw_maps m;
	struct sigaction sa = {.sa_handler = on_sig};

	/* "--watch 2": getopt leaves the 2 as a second operand. */
	if (c->watch && !c->watch_arg && nargs == 2) {
		c->watch_arg = args[1];
		nargs = 1;
	}
	if (!sw_verb_one_iface(&sw_verb_stats, nargs))
		return SW_EXIT_USAGE;
	if (c->watch_arg) {
		char *end;

		interval = strtod(c->watch_arg, &end);
		if (*end || !(interval >= 0.1 && interval <= 3600)) {
			sw_err("--watch '%s': expected seconds between 0.1 and "
			       "3600",
			       c->watch_arg);
			return SW_EXIT_USAGE;
		}
	}
	if (c->count && !c->watch) {
		sw_err("--count goes with --watch");
		return SW_EXIT_USAGE;
	}
	ifname = args[0];
	if (sw_maps_open_iface(ifname, c->pin_dir, &m, NULL))
		return SW_EXIT_FAIL;
	have_mode = sw_mode_read(&m, &mode) == 0;
	if (read_stats(m.stats, &cur)) {
		rc = SW_EXIT_FAIL;
		goto out;
	}
	if (!c->watch) {
		rc = emit(out, ifname, fmt, &cur, NULL, 0, all, false) ?
			     SW_EXIT_FAIL :
			     0;
		goto out;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	t0 = now_mono();
	for (n = 0; !stop && (!c->count || n < c->count); n++) {
		struct timespec ts = {
			(time_t)interval,
			(long)((interval - (double)(time_t)interval) * 1e9)};

		prev = cur;
		while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
			;
		if (stop)
			break;
		have_mode = sw_mode_read(&m, &mode) == 0;
		if (read_stats(m.stats, &cur)) {
			rc = SW_EXIT_FAIL;
			break;
		}
		t1 = now_mono();
		if (emit(out, ifname, fmt, &cur, &prev, t1 - t0, all, false)) {
			rc = SW_EXIT_FAIL;
			break;
		}
		t0 = t1;
	}
out:
	sw_maps_close(&m);
	return rc;
}

static const struct sw_opt stats_opts[] = {
	/* the parser sets two members: it is handed the whole struct */
	{.name = "watch",
	 .kind = SW_OPT_K_FN,
	 .off = 0,
	 .optional_arg = true,
	 .fn = opt_watch,
	 .meta = "SECS",
	 .help = "print again every SECS seconds (default 1) with rates "
		 "per\nsecond, until Ctrl-C (or --count N times)"},
	SW_OPT_FN("count", struct stats_cfg, count, opt_count, 0, "N",
		  "with --watch: stop after N updates"),
	SW_OPT_FN("json", struct stats_cfg, fmt, opt_fmt, FMT_JSON, NULL,
		  "one JSON object (per update with --watch)"),
	SW_OPT_FN("prometheus", struct stats_cfg, fmt, opt_fmt, FMT_PROM, NULL,
		  "Prometheus text format, e.g. for node_exporter's "
		  "textfile\ncollector: synwall stats eth0 --prometheus "
		  "--output\n/var/lib/node_exporter/textfile_collector/"
		  "synwall_eth0.prom"),
	SW_OPT_STR("output", struct stats_cfg, out, "FILE",
		   "write to FILE atomically (temporary file + rename)"),
	{.name = "all",
	 .short_name = 'a',
	 .kind = SW_OPT_K_FLAG,
	 .off = offsetof(struct stats_cfg, all),
	 .help = "list counters that are zero too (text format)"},
	SW_OPT_PIN_DIR(struct stats_cfg, pin_dir, SW_PIN_DIR_HELP),
	SW_OPT_END,
};

const struct sw_verb sw_verb_stats = {
	.name = "stats",
	.summary = "counters, rates (--watch), JSON, Prometheus",
	.synopsis =
		"IFACE [--watch [SECS]] [--count N] [--json | "
		"--prometheus]\n"
		"                    [--all] [--output FILE] [--pin-dir DIR]",
	.doc = "Print synwall's counters on IFACE, summed over CPUs.",
	.notes = "The same counters, by name: bpftool map dump pinned "
		 "/sys/fs/bpf/synwall/IFACE/stats",
	.opts = stats_opts,
	.cfg_size = sizeof(struct stats_cfg),
	.defaults = &stats_defaults,
	.min_args = 1,
	.max_args = 2, /* "--watch 2" */
	.run = run_stats,
};
