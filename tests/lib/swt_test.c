// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * swt_test: case table, selection, assertions with file and line, and
 * the PASS/FAIL/SKIP lines of tests/run.sh (swt_test.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swt_test.h"

char swt_why[2048];
bool swt_verbose;

static const char *patterns[64];
static int npatterns;
static int failures;
/* the running case's name was selected (its checks all print) */
static bool case_selected;

static bool matches(const char *name)
{
	int i;

	if (!npatterns)
		return true;
	for (i = 0; i < npatterns; i++)
		if (strstr(name, patterns[i]))
			return true;
	return false;
}

static const char *base(const char *file)
{
	const char *s = strrchr(file, '/');

	return s ? s + 1 : file;
}

int swt_failf(const char *file, int line, const char *fmt, ...)
{
	int n = snprintf(swt_why, sizeof(swt_why), "%s:%d: ", base(file), line);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(swt_why))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(swt_why + n, sizeof(swt_why) - n, fmt, ap);
	va_end(ap);
	return SWT_FAIL;
}

int swt_skipf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(swt_why, sizeof(swt_why), fmt, ap);
	va_end(ap);
	return SWT_SKIP;
}

int swt_sub(int r, const char *fmt, ...)
{
	char buf[sizeof(swt_why)];
	va_list ap;
	int n;

	if (r != SWT_FAIL)
		return r;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 3)
		return r;
	snprintf(buf + n, sizeof(buf) - n, ": %.*s", (int)(sizeof(buf) - n - 3),
		 swt_why);
	memcpy(swt_why, buf, sizeof(swt_why));
	return r;
}

void swt_badf(const char *file, int line, const char *fmt, ...)
{
	int n;
	va_list ap;

	if (swt_why[0])
		return;
	n = snprintf(swt_why, sizeof(swt_why), "%s:%d: ", base(file), line);
	if (n < 0 || (size_t)n >= sizeof(swt_why))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(swt_why + n, sizeof(swt_why) - n, fmt, ap);
	va_end(ap);
}

void swt_result(const char *name, int r)
{
	if (r == SWT_PASS) {
		printf("PASS: %s\n", name);
	} else if (r == SWT_SKIP) {
		printf("SKIP: %s: %s\n", name, swt_why);
	} else {
		printf("FAIL: %s: %s\n", name, swt_why[0] ? swt_why : "failed");
		failures++;
	}
	swt_why[0] = 0;
}

void swt_linef(int r, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", r == SWT_PASS ? "PASS" :
		       r == SWT_SKIP ? "SKIP" :
				       "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures += r == SWT_FAIL;
}

bool swt_selected(const char *name)
{
	return case_selected || matches(name);
}

int swt_failures(void)
{
	return failures;
}

void swt_report(const char *name)
{
	if (!case_selected && !matches(name)) {
		swt_why[0] = 0;
		return;
	}
	swt_result(name, swt_why[0] ? SWT_FAIL : SWT_PASS);
}

void swt_report_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	if (!case_selected && !matches(name))
		return;
	va_start(ap, fmt);
	vsnprintf(swt_why, sizeof(swt_why), fmt, ap);
	va_end(ap);
	swt_result(name, SWT_SKIP);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-v] [-l] [-k PATTERN]... [PATTERN]...\n"
		"  runs the cases whose name contains a PATTERN (all "
		"without)\n",
		prog);
	exit(2);
}

int swt_main(const struct swt_suite *s, int argc, char **argv)
{
	bool list = false;
	size_t i;
	int a, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (a = 1; a < argc; a++) {
		const char *p = argv[a];

		if (!strcmp(p, "-v")) {
			swt_verbose = true;
			continue;
		}
		if (!strcmp(p, "-l")) {
			list = true;
			continue;
		}
		if (!strcmp(p, "-k")) {
			if (++a == argc)
				usage(argv[0]);
			p = argv[a];
		} else if (p[0] == '-') {
			usage(argv[0]);
		}
		if (npatterns == (int)(sizeof(patterns) / sizeof(patterns[0])))
			usage(argv[0]);
		patterns[npatterns++] = p;
	}
	for (i = 0; i < s->ncases; i++) {
		const struct swt_case *c = &s->cases[i];

		case_selected = matches(c->name);
		if (list) {
			printf("%s\n", c->name);
			continue;
		}
		/* checks are selected one by one (swt_report) */
		if (!case_selected && (!c->checks || c->whole))
			continue;
		swt_why[0] = 0;
		r = s->before_each ? s->before_each() : SWT_PASS;
		if (r != SWT_PASS) {
			swt_result(c->name, r);
			continue;
		}
		if (c->checks) {
			c->checks();
			continue;
		}
		r = c->fn ? c->fn() : c->fn_arg(c->arg);
		swt_result(c->name, r);
	}
	return failures ? 1 : 0;
}
