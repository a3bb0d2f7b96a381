/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Verbs that change what is attached or configured hold this host-wide
 * lock (their verb table entry says so), so two of them never interleave:
 * two concurrent attaches to one interface would otherwise both see it
 * free.  A rotation loop does not hold it while it sleeps, only around
 * each key or clock write.  Taking it while held is a no-op.
 */
#ifndef SYNWALL_LOADER_LOCK_H
#define SYNWALL_LOADER_LOCK_H

#include <stdbool.h>

#define SW_LOCK_PATH "/run/synwall.lock"

int sw_lock_take(void);
void sw_lock_release(void);
bool sw_lock_held(void);

#endif
