// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libbpf / libxdp messages: shown with -v; else kept, so that a failed
 * attach can say what the kernel said (liblog.h).  libbpf reports the two
 * reasons that matter only through its print callback: the verifier log
 * of a program that failed to load, and the extack of a netlink request
 * (bpf_xdp_attach, bpf_tc_attach).  libbpf's own log buffer is used, not
 * kernel_log_buf: libbpf grows its buffer until the whole log fits, while
 * a fixed one turns a verifier rejection into ENOSPC.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"
#include "liblog.h"

#define LIB_LOG_LINES 24
#define VLOG_BEGIN "-- BEGIN PROG LOAD LOG --"
#define VLOG_END "-- END PROG LOAD LOG --"
#define EXTACK_PREFIX "Kernel error message: "

static char lib_log[LIB_LOG_LINES][256];
static int lib_log_n;
static char extack[256];
static char xdp_reason[256];
static struct sw_verifier_tail vtail;

/* A verifier line that says nothing about what is wrong. */
static bool vlog_noise(const char *l, size_t len)
{
	static const char *const noise[] = {
		"processed ",
		"verification time ",
		"stack depth ",
	};
	size_t i;

	while (len && (*l == ' ' || *l == '\t')) {
		l++;
		len--;
	}
	if (!len)
		return true;
	for (i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		if (len >= strlen(noise[i]) &&
		    !strncmp(l, noise[i], strlen(noise[i])))
			return true;
	return false;
}

int sw_verifier_tail_parse(const char *msg, struct sw_verifier_tail *t)
{
	const char *begin, *end, *p, *q, *nl;
	size_t len;
	int i;

	memset(t, 0, sizeof(*t));
	begin = strstr(msg, VLOG_BEGIN);
	if (!begin)
		return -1;
	p = strstr(msg, "prog '");
	if (p && p < begin) {
		p += strlen("prog '");
		q = strchr(p, '\'');
		if (q && q < begin)
			snprintf(t->prog, sizeof(t->prog), "%.*s", (int)(q - p),
				 p);
	}
	if (!t->prog[0])
		snprintf(t->prog, sizeof(t->prog), "?");
	p = strchr(begin, '\n');
	if (!p)
		return 0;
	p++;
	end = strstr(p, VLOG_END);
	if (!end)
		end = p + strlen(p);
	/* Walk backwards from the end, collecting meaningful lines. */
	while (end > p && t->n < SW_VLOG_LINES) {
		q = end;
		if (q > p && q[-1] == '\n')
			q--;
		nl = q;
		while (nl > p && nl[-1] != '\n')
			nl--;
		len = (size_t)(q - nl);
		if (!vlog_noise(nl, len)) {
			/* shift down: lines are kept oldest first */
			for (i = t->n; i > 0; i--)
				memcpy(t->line[i], t->line[i - 1],
				       sizeof(t->line[0]));
			snprintf(t->line[0], sizeof(t->line[0]), "%.*s",
				 (int)len, nl);
			t->n++;
		}
		end = nl;
	}
	return 0;
}

/* The first line of src into dst, truncated to fit, without its newline
 * (libxdp adds paragraphs of advice after the reason). */
static void copy_line(char *dst, size_t len, const char *src)
{
	size_t l = strcspn(src, "\n");

	if (l > len - 1)
		l = len - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

static void keep_line(const char *who, const char *line)
{
	size_t l;

	if (lib_log_n == LIB_LOG_LINES) {
		memmove(lib_log[0], lib_log[1],
			sizeof(lib_log[0]) * (LIB_LOG_LINES - 1));
		lib_log_n--;
	}
	l = strlen(who);
	memcpy(lib_log[lib_log_n], who, l);
	memcpy(lib_log[lib_log_n] + l, ": ", 2);
	copy_line(lib_log[lib_log_n] + l + 2, sizeof(lib_log[0]) - l - 2, line);
	lib_log_n++;
}

/* Sort one message: a verifier log, an extack, libxdp's reason, or an
 * ordinary line. */
static void keep(const char *who, const char *msg)
{
	const char *p;

	if (strstr(msg, VLOG_BEGIN)) {
		sw_verifier_tail_parse(msg, &vtail);
		return;
	}
	/* libxdp's loader warns about every section it does not know; it
	 * never explains a failure. */
	if (strstr(msg, "skipping unrecognized data section"))
		return;
	p = strstr(msg, EXTACK_PREFIX);
	if (p)
		copy_line(extack, sizeof(extack), p + strlen(EXTACK_PREFIX));
	if (!strcmp(who, "libxdp") && !xdp_reason[0] &&
	    !strstr(msg, "Falling back"))
		copy_line(xdp_reason, sizeof(xdp_reason), msg);
	keep_line(who, msg);
}

static void vkeep(const char *who, const char *fmt, va_list ap)
{
	char small[512], *big = NULL;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		/* a verifier log: megabytes, possibly */
		if (vasprintf(&big, fmt, ap) < 0)
			return;
	}
	keep(who, big ? big : small);
	free(big);
}

/* Both libraries' messages: debug ones only with -vv, the others with -v,
 * and every non-debug line is kept for the error report (vkeep). */
static int lib_print(const char *who, int debug, const char *fmt, va_list ap)
{
	va_list aq;

	if (debug)
		return sw_verbose >= 2 ? vfprintf(stderr, fmt, ap) : 0;
	if (sw_verbose) {
		va_copy(aq, ap);
		vfprintf(stderr, fmt, aq);
		va_end(aq);
	}
	vkeep(who, fmt, ap);
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return lib_print("libbpf", level == LIBBPF_DEBUG, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	return lib_print("libxdp", level == LIBXDP_DEBUG, fmt, ap);
}

void sw_lib_log_init(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void sw_lib_log_flush(void)
{
	int i;

	if (!lib_log_n || sw_verbose)
		goto out;
	fprintf(stderr, "synwall: details from libbpf/libxdp:\n");
	for (i = 0; i < lib_log_n; i++)
		fprintf(stderr, "  %s\n", lib_log[i]);
out:
	sw_lib_log_clear();
}

void sw_lib_log_clear(void)
{
	lib_log_n = 0;
	extack[0] = '\0';
	xdp_reason[0] = '\0';
	memset(&vtail, 0, sizeof(vtail));
}

const char *sw_lib_extack(void)
{
	return extack[0] ? extack : NULL;
}

const struct sw_verifier_tail *sw_lib_verifier(void)
{
	return &vtail;
}

const char *sw_lib_libxdp_reason(void)
{
	return xdp_reason[0] ? xdp_reason : NULL;
}

void sw_lib_verifier_print(FILE *f, const char *indent)
{
	int i;

	for (i = 0; i < vtail.n; i++)
		fprintf(f, "%s%s\n", indent, vtail.line[i]);
}
