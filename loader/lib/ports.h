/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Port lists: "22,80,443,8000-8100" <-> the 65536-bit bitmap of the
 * "ports" map (SYNWALL_PORT_WORDS words of 64 bits, bit port%64 of word
 * port/64).  Pure user-space code, no libbpf: the unit tests include it.
 */
#ifndef SYNWALL_LOADER_PORTS_H
#define SYNWALL_LOADER_PORTS_H

#include <stddef.h>
#include <synwall/abi.h>

struct sw_portset {
	__u64 w[SYNWALL_PORT_WORDS];
};

/*
 * Parse LIST into set (cleared first).  LIST is a comma-separated list of
 * ports (0-65535) and inclusive ranges A-B with A <= B; "all" is 0-65535,
 * "none" (or an empty string) is the empty set.  Blanks around elements
 * are allowed.  On error returns -1 and writes a one-line explanation,
 * naming the bad element and the rule it breaks, into err.
 */
int sw_ports_parse(const char *list, struct sw_portset *set, char *err,
		   size_t errlen);

static inline int sw_ports_has(const struct sw_portset *s, unsigned int port)
{
	return (s->w[(port & 0xffff) / 64] >> (port % 64)) & 1;
}

static inline void sw_ports_set(struct sw_portset *s, unsigned int port)
{
	s->w[(port & 0xffff) / 64] |= 1ULL << (port % 64);
}

/* Number of ports in the set. */
unsigned int sw_ports_count(const struct sw_portset *s);

/*
 * Format the set back into the shortest LIST ("22,80,8000-8100"; "none"
 * for the empty set; "all" for 0-65535).  Returns the length it needed
 * (as snprintf); out is always terminated, "..." marks a truncation.
 */
size_t sw_ports_format(const struct sw_portset *s, char *out, size_t outlen);

#endif
