// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Parsing a verb's command line from its table, and its help. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lock.h"
#include "log.h"

/* The two options every verb takes; not in the verbs' tables. */
#define OPT_HELP 'h'
#define OPT_VERBOSE 'v'
#define OPT_BASE 256 /* getopt value of table entry i: OPT_BASE + i */

static size_t nopts(const struct sw_opt *o)
{
	size_t n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

static int opt_width(const struct sw_opt *o)
{
	int w = (int)strlen(o->name) + 2;

	if (o->short_name)
		w += 4; /* "-a, " */
	if (o->meta)
		w += (int)strlen(o->meta) + (o->optional_arg ? 3 : 1);
	return w;
}

/* "  --name ARG   help line 1\n" and the help's further lines under it;
 * a name too wide for the column gets its help on the next line. */
static void print_opt(FILE *f, const char *flag, const char *meta,
		      bool optional, const char *help, int col)
{
	const char *l = help, *nl;
	int w;

	w = fprintf(f, "  %s", flag);
	if (meta)
		w += fprintf(f, optional ? " [%s]" : " %s", meta);
	if (w > col) {
		fputc('\n', f);
		w = 0;
	}
	do {
		nl = strchr(l, '\n');
		fprintf(f, "%*s%.*s\n", col - w, "",
			nl ? (int)(nl - l) : (int)strlen(l), l);
		w = 0;
		l = nl + 1;
	} while (nl);
}

void sw_verb_usage(const struct sw_verb *v, FILE *f)
{
	const char *s = v->synopsis, *nl;
	size_t i, n = nopts(v->opts);
	int col = 16;
	char flag[64];

	/* each synopsis line is a way to call the verb; one that starts
	 * with a blank continues the line before */
	fputs("usage: ", f);
	for (;;) {
		int len;

		nl = strchr(s, '\n');
		len = nl ? (int)(nl - s) : (int)strlen(s);
		if (s[0] == ' ') {
			while (len && *s == ' ')
				s++, len--;
			fprintf(f, "%*s%.*s\n", (int)strlen(v->name) + 16, "",
				len, s);
		} else {
			fprintf(f, "%ssynwall %s %.*s\n",
				s == v->synopsis ? "" : "       ", v->name, len,
				s);
		}
		if (!nl)
			break;
		s = nl + 1;
	}
	fprintf(f, "\n%s\n\n", v->doc);
	for (i = 0; i < n; i++)
		if (opt_width(&v->opts[i]) + 2 > col &&
		    opt_width(&v->opts[i]) + 2 <= 24)
			col = opt_width(&v->opts[i]) + 2;
	for (i = 0; i < n; i++) {
		const struct sw_opt *o = &v->opts[i];

		if (o->short_name)
			snprintf(flag, sizeof(flag), "-%c, --%s", o->short_name,
				 o->name);
		else
			snprintf(flag, sizeof(flag), "--%s", o->name);
		print_opt(f, flag, o->meta, o->optional_arg, o->help, col + 2);
	}
	print_opt(f, "-v, --verbose", NULL, false,
		  "show libbpf/libxdp messages (as before the verb)", col + 2);
	print_opt(f, "-h, --help", NULL, false, "this text", col + 2);
	if (v->notes)
		fprintf(f, "\n%s\n", v->notes);
}

static int set_opt(const struct sw_opt *o, void *cfg, const char *arg)
{
	char *member = (char *)cfg + o->off;

	switch (o->kind) {
	case SW_OPT_K_FLAG:
		*(bool *)member = true;
		return 0;
	case SW_OPT_K_STR:
		*(const char **)member = arg;
		return 0;
	case SW_OPT_K_FN:
		return o->fn(member, o->which, arg);
	}
	return -1;
}

/* Parse the options into cfg; the operands are left at argv[optind..]. */
static int parse(const struct sw_verb *v, int argc, char **argv, void *cfg,
		 bool *help)
{
	size_t i, n = nopts(v->opts);
	struct option *lo;
	char shorts[64] = "hv";
	size_t ns = 2;
	int opt, rc = 0;

	lo = calloc(n + 3, sizeof(*lo));
	if (!lo) {
		sw_err("out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct sw_opt *o = &v->opts[i];

		lo[i].name = o->name;
		/* a parser without an argument name takes none */
		if (o->kind == SW_OPT_K_FLAG ||
		    (o->kind == SW_OPT_K_FN && !o->meta))
			lo[i].has_arg = no_argument;
		else if (o->optional_arg)
			lo[i].has_arg = optional_argument;
		else
			lo[i].has_arg = required_argument;
		lo[i].val = OPT_BASE + (int)i;
		if (o->short_name && ns + 1 < sizeof(shorts)) {
			shorts[ns++] = o->short_name;
			shorts[ns] = '\0';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, OPT_HELP};
	lo[n + 1] = (struct option){"verbose", no_argument, NULL, OPT_VERBOSE};

	optind = 1;
	while ((opt = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (opt == OPT_HELP) {
			*help = true;
			break;
		}
		if (opt == OPT_VERBOSE) {
			sw_verbose++;
			continue;
		}
		for (i = 0; i < n; i++)
			if (opt == OPT_BASE + (int)i ||
			    (v->opts[i].short_name &&
			     opt == v->opts[i].short_name))
				break;
		if (i == n) {
			sw_verb_usage(v, stderr);
			rc = -1;
			break;
		}
		if (set_opt(&v->opts[i], cfg, optarg)) {
			rc = -1;
			break;
		}
	}
	free(lo);
	return rc;
}

bool sw_verb_one_iface(const struct sw_verb *v, int nargs)
{
	if (nargs == 1)
		return true;
	sw_err(nargs < 1 ? "%s: no interface given" : "%s: one interface only",
	       v->name);
	sw_verb_usage(v, stderr);
	return false;
}

static bool operands_ok(const struct sw_verb *v, int nargs)
{
	if (v->min_args == 1 && v->max_args == 1)
		return sw_verb_one_iface(v, nargs);
	if (v->max_args >= 0 && nargs > v->max_args) {
		sw_err("%s: at most one interface", v->name);
		return false;
	}
	if (nargs < v->min_args) {
		sw_err("%s: no interface given", v->name);
		sw_verb_usage(v, stderr);
		return false;
	}
	return true;
}

int sw_verb_exec(const struct sw_verb *v, int argc, char **argv)
{
	bool help = false;
	void *cfg;
	int rc;

	cfg = calloc(1, v->cfg_size ? v->cfg_size : 1);
	if (!cfg) {
		sw_err("out of memory");
		return SW_EXIT_FAIL;
	}
	if (v->defaults)
		memcpy(cfg, v->defaults, v->cfg_size);
	if (parse(v, argc, argv, cfg, &help)) {
		rc = SW_EXIT_USAGE;
	} else if (help) {
		sw_verb_usage(v, stdout);
		rc = 0;
	} else if (!operands_ok(v, argc - optind)) {
		rc = SW_EXIT_USAGE;
	} else if (v->locks && sw_lock_take()) {
		rc = SW_EXIT_FAIL;
	} else {
		rc = v->run(cfg, argc - optind, argv + optind);
		sw_lock_release();
	}
	/* the configuration may hold a key file's secret */
	explicit_bzero(cfg, v->cfg_size);
	free(cfg);
	return rc;
}
