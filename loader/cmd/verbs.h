/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The verbs, one file each in this directory; main.c lists them. */
#ifndef SYNWALL_LOADER_VERBS_H
#define SYNWALL_LOADER_VERBS_H

#include "cli.h"

extern const struct sw_verb sw_verb_attach;
extern const struct sw_verb sw_verb_detach;
extern const struct sw_verb sw_verb_status;
extern const struct sw_verb sw_verb_config;
extern const struct sw_verb sw_verb_keys;
extern const struct sw_verb sw_verb_stats;
extern const struct sw_verb sw_verb_run;

/* The help of every verb that works on an interface's maps. */
#define SW_PIN_DIR_HELP "maps pinned in DIR (see synwall config --help)"

#endif
