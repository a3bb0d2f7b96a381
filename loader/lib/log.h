/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The loader's own messages ("synwall: error: ...") and exit codes.
 * libbpf's and libxdp's messages go through liblog.h instead.
 */
#ifndef SYNWALL_LOADER_LOG_H
#define SYNWALL_LOADER_LOG_H

#define SW_EXIT_FAIL 1	/* something failed; the message says what */
#define SW_EXIT_USAGE 2 /* bad command line */

/* -v: once shows libbpf/libxdp messages, twice their debug messages too. */
extern int sw_verbose;

void sw_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sw_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sw_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sw_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
