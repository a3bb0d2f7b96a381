// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Port lists <-> protected-port bitmap.  See ports.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ports.h"

/* Parse one port number in [s, e): digits only, 0..65535. */
static int parse_port(const char *s, const char *e, unsigned int *port)
{
	unsigned long v = 0;

	if (s == e)
		return -1;
	for (; s < e; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -2;
	}
	*port = (unsigned int)v;
	return 0;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

int sw_ports_parse(const char *list, struct sw_portset *set, char *err,
		   size_t errlen)
{
	const char *p = list, *end, *s, *e, *dash;
	unsigned int a, b, port;
	int rc;

	memset(set, 0, sizeof(*set));
	if (!list) {
		snprintf(err, errlen, "no port list given");
		return -1;
	}
	s = list;
	e = list + strlen(list);
	trim(&s, &e);
	if (s == e || (e - s == 4 && !strncmp(s, "none", 4)))
		return 0;
	if (e - s == 3 && !strncmp(s, "all", 3)) {
		memset(set, 0xff, sizeof(*set));
		return 0;
	}

	for (;;) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		s = p;
		e = end;
		trim(&s, &e);
		if (s == e) {
			snprintf(err, errlen,
				 "empty element in port list '%s' (a stray or "
				 "doubled comma?)",
				 list);
			return -1;
		}
		dash = memchr(s, '-', (size_t)(e - s));
		if (dash) {
			const char *ae = dash, *bs = dash + 1, *as = s, *be = e;

			trim(&as, &ae);
			trim(&bs, &be);
			rc = parse_port(as, ae, &a);
			if (!rc)
				rc = parse_port(bs, be, &b);
			if (rc) {
				snprintf(err, errlen,
					 "bad port range '%.*s': %s",
					 (int)(e - s), s,
					 rc == -2 ? "ports are 0-65535" :
						    "a range is FIRST-LAST, "
						    "two port numbers");
				return -1;
			}
			if (a > b) {
				snprintf(err, errlen,
					 "bad port range '%.*s': first port %u "
					 "is above last port %u",
					 (int)(e - s), s, a, b);
				return -1;
			}
		} else {
			rc = parse_port(s, e, &a);
			if (rc) {
				snprintf(err, errlen, "bad port '%.*s': %s",
					 (int)(e - s), s,
					 rc == -2 ?
						 "ports are 0-65535" :
						 "not a number (LIST is like "
						 "22,80,443,8000-8100)");
				return -1;
			}
			b = a;
		}
		for (port = a; port <= b; port++)
			sw_ports_set(set, port);
		if (!*end)
			break;
		p = end + 1;
	}
	return 0;
}

unsigned int sw_ports_count(const struct sw_portset *s)
{
	unsigned int n = 0, i;

	for (i = 0; i < SYNWALL_PORT_WORDS; i++)
		n += (unsigned int)__builtin_popcountll(s->w[i]);
	return n;
}

size_t sw_ports_format(const struct sw_portset *s, char *out, size_t outlen)
{
	size_t len = 0;
	unsigned int port = 0, first;
	int n;

	if (outlen)
		out[0] = '\0';
	if (sw_ports_count(s) == 0)
		return (size_t)snprintf(out, outlen, "none");
	if (sw_ports_count(s) == 65536)
		return (size_t)snprintf(out, outlen, "all");

	while (port <= 65535) {
		if (!sw_ports_has(s, port)) {
			port++;
			continue;
		}
		first = port;
		while (port + 1 <= 65535 && sw_ports_has(s, port + 1))
			port++;
		if (first == port)
			n = snprintf(out + (len < outlen ? len : outlen),
				     len < outlen ? outlen - len : 0, "%s%u",
				     len ? "," : "", first);
		else
			n = snprintf(out + (len < outlen ? len : outlen),
				     len < outlen ? outlen - len : 0, "%s%u-%u",
				     len ? "," : "", first, port);
		len += (size_t)n;
		port++;
	}
	if (len >= outlen && outlen >= 4)
		memcpy(out + outlen - 4, "...", 4);
	return len;
}
