/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What libbpf and libxdp print, kept so that a failure can name the
 * kernel's own reason without -v (liblog.c):
 *   - the tail of a verifier log (libbpf prints the whole log, at warning
 *     level, when a program fails to load);
 *   - the netlink extack message of a failed XDP or TC attach (libbpf
 *     prints it as "Kernel error message: ...");
 *   - libxdp's and libbpf's other warning and info lines.
 * With -v they are printed as they come as well.
 */
#ifndef SYNWALL_LOADER_LIBLOG_H
#define SYNWALL_LOADER_LIBLOG_H

#include <stdio.h>

/* libbpf/libxdp messages: shown with -v, else kept and shown only when an
 * operation fails (sw_lib_log_flush). */
void sw_lib_log_init(void);
void sw_lib_log_flush(void);
void sw_lib_log_clear(void);

#define SW_VLOG_LINES 5 /* verifier lines shown with a load failure */

struct sw_verifier_tail {
	char prog[64]; /* the rejected program; "" when none was seen */
	int n;	       /* lines in line[], oldest first */
	char line[SW_VLOG_LINES][256];
};

/*
 * The last SW_VLOG_LINES meaningful lines of one verifier log, as libbpf
 * prints it: "prog 'NAME': -- BEGIN PROG LOAD LOG --\n...\n-- END PROG
 * LOAD LOG --\n".  The statistics lines ("processed N insns", "verification
 * time", "stack depth") and blank lines are skipped: they never say what
 * is wrong.  Returns 0, or -1 if msg is not such a log.  Pure.
 */
int sw_verifier_tail_parse(const char *msg, struct sw_verifier_tail *t);

/* Since the last sw_lib_log_clear(): */
const char *sw_lib_extack(void); /* last netlink extack, or NULL */
const struct sw_verifier_tail *sw_lib_verifier(void); /* n == 0: none */
/* libxdp's first warning/info line that gives a reason (not its "Falling
 * back ..." notice), or NULL. */
const char *sw_lib_libxdp_reason(void);

/* The verifier tail as indented lines on f. */
void sw_lib_verifier_print(FILE *f, const char *indent);

#endif
