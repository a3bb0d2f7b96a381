// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* synwall: the loader's command line.  `synwall --help` lists the verbs;
 * `synwall VERB --help` explains one; docs/synwall.8 is the manual. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
	{"attach", cmd_attach,
	 "load and attach synwall to an interface, configure it"},
	{"detach", cmd_detach, "remove synwall from an interface"},
	{"status", cmd_status, "what is attached where; kernel capabilities"},
	{"config", cmd_config, "change ports, MSS, window scale, TTL live"},
	{"keys", cmd_keys, "rotate keys, fleet key files, key ages"},
	{"stats", cmd_stats, "counters, rates (--watch), JSON, Prometheus"},
	{"run", cmd_run,
	 "rotate the keys of an attached synwall in the foreground"},
};

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
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
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
	const char *netns = NULL;
	int i = 1;
	size_t v;

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
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		if (!strcmp(argv[i], verbs[v].name)) {
			const char *n = verbs[v].name;
			bool help = i + 1 < argc &&
				    (!strcmp(argv[i + 1], "--help") ||
				     !strcmp(argv[i + 1], "-h"));
			int rc;

			if (!help &&
			    (!strcmp(n, "attach") || !strcmp(n, "detach") ||
			     !strcmp(n, "config") || !strcmp(n, "keys") ||
			     !strcmp(n, "run")) &&
			    sw_lock_take())
				return SW_EXIT_FAIL;
			/* getopt_long in the verb sees "VERB ARGS..." */
			rc = verbs[v].fn(argc - i, argv + i);
			sw_lock_release();
			return rc;
		}
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
				if (!strcmp(argv[i + 1], verbs[v].name)) {
					char *hv[] = {argv[i + 1], "--help",
						      NULL};

					return verbs[v].fn(2, hv);
				}
			}
		}
		usage(stdout);
		return 0;
	}
	sw_err("unknown verb '%s' (synwall --help lists them)", argv[i]);
	return SW_EXIT_USAGE;
}
