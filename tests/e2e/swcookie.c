// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * swcookie: the cookie and TSval of include/synwall/cookie.h, computed in
 * user space, so the e2e suite can forge a correct final ACK without a
 * SYN-ACK (to exercise TC's no-metadata fallback).
 *
 *   swcookie SADDR DADDR SPORT DPORT ISN NOW_SEC MSS_IDX SLOT K0 K1
 *       prints the cookie (our ISN) for a SYN from SADDR:SPORT with
 *       sequence number ISN, in decimal.  K0, K1: the key, 0x-hex.
 *   swcookie ts CLOCK_MS OUR_WS PEER_WS SACK ECN
 *       prints the TSval of the SYN-ACK.
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
	int v6;

	if (argc == 7 && !strcmp(argv[1], "ts")) {
		printf("%u\n", sw_ts_encode(strtoul(argv[2], 0, 0),
					    strtoul(argv[3], 0, 0),
					    strtoul(argv[4], 0, 0),
					    atoi(argv[5]), atoi(argv[6])));
		return 0;
	}
	if (argc != 11) {
		fprintf(stderr, "usage: swcookie SADDR DADDR SPORT DPORT ISN "
				"NOW_SEC MSS_IDX SLOT K0 K1\n"
				"       swcookie ts CLOCK_MS OUR_WS PEER_WS "
				"SACK ECN\n");
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
	key.k0 = strtoull(argv[9], 0, 0);
	key.k1 = strtoull(argv[10], 0, 0);
	printf("%u\n",
	       sw_cookie_make(&key, strtoul(argv[8], 0, 0), &f, v6,
			      strtoul(argv[6], 0, 0), strtoul(argv[7], 0, 0)));
	return 0;
}
