// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * swcookie: the cookie and TSval of include/synwall/cookie.h, computed in
 * user space, so the e2e suite can forge a correct final ACK without a
 * SYN-ACK (to exercise TC's no-metadata fallback).
 *
 *   swcookie SADDR DADDR SPORT DPORT ISN NOW_SEC MSS_IDX SLOT K0 K1
 *       prints the cookie (our ISN) for a SYN from SADDR:SPORT with
 *       sequence number ISN and no timestamp, in decimal.  K0, K1: the
 *       key, 0x-hex.
 *   swcookie ... K0 K1 OUR_WS PEER_WS SACK ECN
 *       the same for a SYN with a timestamp, whose SYN-ACK's TSval (clock
 *       NOW_SEC * 1000 ms) carries these options: prints "COOKIE TSVAL".
 *       The MAC covers the options, so the ACK must echo that TSval.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synwall/cookie.h>

int main(int argc, char **argv)
{
	struct synwall_key key;
	struct sw_flow f;
	__u32 now, tso = 0, off, cookie;
	int v6;

	if (argc != 11 && argc != 15) {
		fprintf(stderr, "usage: swcookie SADDR DADDR SPORT DPORT ISN "
				"NOW_SEC MSS_IDX SLOT K0 K1 "
				"[OUR_WS PEER_WS SACK ECN]\n");
		return 2;
	}
	memset(&f, 0, sizeof(f));
	v6 = strchr(argv[1], ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, argv[1], f.saddr) != 1 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, argv[2], f.daddr) != 1) {
		fprintf(stderr, "swcookie: bad address\n");
		return 2;
	}
	f.sport = htons(atoi(argv[3]));
	f.dport = htons(atoi(argv[4]));
	f.isn = strtoul(argv[5], 0, 0);
	now = strtoul(argv[6], 0, 0);
	key.k0 = strtoull(argv[9], 0, 0);
	key.k1 = strtoull(argv[10], 0, 0);
	if (argc == 15)
		tso = SW_TSO_PRESENT |
		      sw_ts_opts(strtoul(argv[11], 0, 0),
				 strtoul(argv[12], 0, 0), atoi(argv[13]),
				 atoi(argv[14]));
	cookie = sw_cookie_make(&key, strtoul(argv[8], 0, 0), &f, v6, now,
				strtoul(argv[7], 0, 0), tso, &off);
	if (argc == 15)
		printf("%u %u\n", cookie, sw_tsval(now * 1000u, off, tso));
	else
		printf("%u\n", cookie);
	return 0;
}
