/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The verb table.  Each verb declares what its command line is (its
 * options, how many operands, whether it takes the host-wide lock) and
 * its help; sw_verb_exec() parses the command line into the verb's
 * configuration struct and prints the help from the same table, so
 * `synwall VERB --help` lists exactly the options the verb accepts.
 * Modelled on xdp-tools' prog_command/prog_option tables.
 */
#ifndef SYNWALL_LOADER_CLI_H
#define SYNWALL_LOADER_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SW_VERSION "0.1"

#define SW_STR_(x) #x
#define SW_STR(x) SW_STR_(x) /* a numeric macro's value in help text */

enum sw_opt_kind {
	SW_OPT_K_FLAG, /* no argument: sets a bool */
	SW_OPT_K_STR,  /* keeps the argument (a const char *) */
	SW_OPT_K_FN,   /* hands the argument to a parser */
};

/* Parse arg (NULL: an optional argument left out) into the member the
 * option names; which tells options apart that share a parser.  Returns
 * 0, or -1 after printing the error. */
typedef int (*sw_opt_fn)(void *member, int which, const char *arg);

struct sw_opt {
	const char *name; /* --name */
	char short_name;  /* -c, or 0 */
	enum sw_opt_kind kind;
	bool optional_arg; /* --name[=ARG] */
	size_t off;	   /* of the member in the verb's struct */
	sw_opt_fn fn;
	int which;
	const char *meta; /* the argument's name in the help */
	const char *help; /* lines split by \n */
};

#define SW_OPT_FLAG(n, T, m, h)                                          \
	{                                                                \
		.name = n, .kind = SW_OPT_K_FLAG, .off = offsetof(T, m), \
		.help = h                                                \
	}
#define SW_OPT_STR(n, T, m, mt, h)                                      \
	{                                                               \
		.name = n, .kind = SW_OPT_K_STR, .off = offsetof(T, m), \
		.meta = mt, .help = h                                   \
	}
#define SW_OPT_FN(n, T, m, f, w, mt, h)                                \
	{                                                              \
		.name = n, .kind = SW_OPT_K_FN, .off = offsetof(T, m), \
		.fn = f, .which = w, .meta = mt, .help = h             \
	}
/* Every verb working on an interface's maps takes --pin-dir. */
#define SW_OPT_PIN_DIR(T, m, h) SW_OPT_STR("pin-dir", T, m, "DIR", h)
#define SW_OPT_END           \
	{                    \
		.name = NULL \
	}

struct sw_verb {
	const char *name;
	const char *summary;  /* one line in `synwall --help` */
	const char *synopsis; /* usage lines, each after "synwall " */
	const char *doc;      /* before the options */
	const char *notes;    /* after the options, or NULL */
	const struct sw_opt *opts;
	size_t cfg_size;	/* of the struct the options fill */
	const void *defaults;	/* its initial value, or NULL: zeroes */
	int min_args, max_args; /* operands; max_args -1: any number */
	/* It changes what is attached or configured: run it under the
	 * host-wide lock (lock.h). */
	bool locks;
	int (*run)(void *cfg, int nargs, char **args);
};

/* Parse argv ("VERB ARGS...") for v, take the lock if v says so, run
 * it.  Returns the exit code. */
int sw_verb_exec(const struct sw_verb *v, int argc, char **argv);
void sw_verb_usage(const struct sw_verb *v, FILE *f);
/* For a verb that checks its operands itself: exactly one interface?
 * Else says what is wrong, then the usage. */
bool sw_verb_one_iface(const struct sw_verb *v, int nargs);

#endif
