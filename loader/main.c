// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* synwall: the loader's command line.  `synwall --help` lists the verbs;
 * `synwall VERB --help` explains one; docs/synwall.8 is the manual. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "liblog.h"
#include "log.h"
#include "netns.h"
#include "verbs.h"

static const struct sw_verb *const verbs[] = {
	&sw_verb_attach, &sw_verb_detach, &sw_verb_status, &sw_verb_config,
	&sw_verb_keys,	 &sw_verb_stats,  &sw_verb_run,
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static const struct sw_verb *find_verb(const char *name)
{
	size_t v;

	for (v = 0; v < NVERBS; v++)
		if (!strcmp(name, verbs[v]->name))
			return verbs[v];
	return NULL;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: synwall [--netns NAME] [-v] VERB [ARGS]\n"
		   "\n"
		   "synwall answers TCP SYNs with SYN cookies in XDP and hands "
		   "valid ACKs to\n"
		   "the kernel from TC, so a SYN flood never fills a listen "
		   "queue.\n"
		   "\n"
		   "verbs:\n");
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "  %-8s %s\n", verbs[i]->name, verbs[i]->summary);
	fprintf(f, "\n"
		   "options:\n"
		   "  --netns NAME   work in network namespace NAME "
		   "(/run/netns/NAME) or PATH;\n"
		   "                 only the network namespace is entered, so "
		   "/sys/fs/bpf stays\n"
		   "                 the host's (unlike `ip netns exec`)\n"
		   "  -v, --verbose  show libbpf/libxdp messages (twice: debug "
		   "messages too);\n"
		   "                 without it a failure still shows the "
		   "kernel's reason\n"
		   "                 (verifier lines, netlink message)\n"
		   "  --version      print the version\n"
		   "\n"
		   "`synwall VERB --help` explains a verb; man synwall(8) has "
		   "the rest.\n");
}

int main(int argc, char **argv)
{
	const struct sw_verb *verb;
	const char *netns = NULL;
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("synwall %s\n", SW_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-v") ||
			   !strcmp(argv[i], "--verbose")) {
			sw_verbose++;
		} else if (!strcmp(argv[i], "--netns") && i + 1 < argc) {
			netns = argv[++i];
		} else if (!strncmp(argv[i], "--netns=", 8)) {
			netns = argv[i] + 8;
		} else {
			sw_err("unknown option '%s' (before the verb: --netns "
			       "NAME, -v, --help, --version)",
			       argv[i]);
			return SW_EXIT_USAGE;
		}
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	sw_lib_log_init();
	if (netns && sw_enter_netns(netns))
		return SW_EXIT_FAIL;
	/* getopt_long in the verb sees "VERB ARGS..." */
	verb = find_verb(argv[i]);
	if (verb)
		return sw_verb_exec(verb, argc - i, argv + i);
	if (!strcmp(argv[i], "help")) {
		verb = i + 1 < argc ? find_verb(argv[i + 1]) : NULL;
		if (verb)
			sw_verb_usage(verb, stdout);
		else
			usage(stdout);
		return 0;
	}
	sw_err("unknown verb '%s' (synwall --help lists them)", argv[i]);
	return SW_EXIT_USAGE;
}
