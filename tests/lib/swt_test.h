/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * swt_test: the harness of every C test suite in tests/.
 *
 * A suite is a table of cases and swt_main().  A case is either
 *   - a function returning SWT_PASS, SWT_FAIL or SWT_SKIP, the reason in
 *     swt_why (SWT_FAIL() and the ASSERT_*() macros write it, prefixed
 *     with the file and line of the check); or
 *   - a function that reports named checks itself, one line each
 *     (swt_report(); SWT_BAD() records the first problem of a check).
 *
 * Every case, or every check, prints one line that tests/run.sh counts:
 *   PASS: name | FAIL: name: why | SKIP: name: why
 *
 * Command line of a suite: [-v] [-l] [-k PATTERN]... [PATTERN]...
 * runs the cases (or checks) whose name contains one of the patterns,
 * all of them without a pattern; -l lists the case names; -v sets
 * swt_verbose.
 */
#ifndef SWT_TEST_H
#define SWT_TEST_H

#include <stdbool.h>
#include <stddef.h>

enum { SWT_PASS, SWT_FAIL, SWT_SKIP };

/* why the running case (or check) fails or is skipped */
extern char swt_why[2048];
/* -v on the command line */
extern bool swt_verbose;

struct swt_case {
	const char *name;
	int (*fn)(void);       /* a case with one result */
	int (*fn_arg)(long a); /* the same, parameterised by arg */
	long arg;
	void (*checks)(void); /* a case that calls swt_report() */
	bool whole;	      /* checks: runs only when its name is selected */
};

#define SWT_CASE(n)                     \
	{                               \
		.name = #n, .fn = t_##n \
	}
/* one case body run under several names, e.g. for IPv4 and IPv6 */
#define SWT_CASE_ARG(n, f, a)                    \
	{                                        \
		.name = n, .fn_arg = f, .arg = a \
	}
/* the same body for IPv4 (arg 0) and IPv6 (arg 1) */
#define SWT_CASE_V46(name4, name6, f) \
	SWT_CASE_ARG(name4, f, 0), SWT_CASE_ARG(name6, f, 1)
/* checks selected one by one: the case runs, swt_report() filters */
#define SWT_CHECKS(n, f)               \
	{                              \
		.name = n, .checks = f \
	}
/* checks that come out of one run (swt_linef): selected by the case name */
#define SWT_CHECKS_WHOLE(n, f)                        \
	{                                             \
		.name = n, .checks = f, .whole = true \
	}

struct swt_suite {
	const struct swt_case *cases;
	size_t ncases;
	/* before every case; its failure is the case's */
	int (*before_each)(void);
};

#define SWT_SUITE(tbl, before)                            \
	{                                                 \
		tbl, sizeof(tbl) / sizeof(tbl[0]), before \
	}

/*
 * Run the selected cases of s; the exit status (0: nothing failed).
 * Cases run in table order.
 */
int swt_main(const struct swt_suite *s, int argc, char **argv);

int swt_failf(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int swt_skipf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the reason of a failed sub-step: "what: why"; returns r. */
int swt_sub(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define SWT_FAIL(...) return swt_failf(__FILE__, __LINE__, __VA_ARGS__)
#define SWT_SKIP(...) return swt_skipf(__VA_ARGS__)

/* Return the result of x unless it passed. */
#define TRY(x)                          \
	do {                            \
		int _swt_r = (x);       \
		if (_swt_r != SWT_PASS) \
			return _swt_r;  \
	} while (0)

#define ASSERT_TRUE(c, ...)                    \
	do {                                   \
		if (!(c))                      \
			SWT_FAIL(__VA_ARGS__); \
	} while (0)

#define ASSERT_EQ(got, want, what)                                       \
	do {                                                             \
		long long _g = (long long)(got), _w = (long long)(want); \
		if (_g != _w)                                            \
			SWT_FAIL("%s: %lld, want %lld", what, _g, _w);   \
	} while (0)

/* ---- checks that report themselves ------------------------------------ */

/* Record the first problem of the current check (with file and line). */
void swt_badf(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define SWT_BAD(...) swt_badf(__FILE__, __LINE__, __VA_ARGS__)
/* PASS or FAIL line for check name, from what SWT_BAD() recorded. */
void swt_report(const char *name);
/* SKIP line for check name. */
void swt_report_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print a PASS/FAIL/SKIP line for a result r of name (swt_why: reason). */
void swt_result(const char *name, int r);
/*
 * The same line from a format, for checks whose name carries what they
 * measured ("PASS: fuzz seeds: 214 built-in seeds ...").
 */
void swt_linef(int r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Whether the command line selects a check of this name. */
bool swt_selected(const char *name);
/* How many FAIL lines were printed. */
int swt_failures(void);

#endif /* SWT_TEST_H */
