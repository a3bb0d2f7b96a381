// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fc_env: the fuzz oracle's environment: the states (config, keys, ports),
 * the listeners and sockets they need, and the reports (hex dump, saved
 * inputs, verdict histogram).
 * See fuzzcheck.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "fc_int.h"

/* ---- states ------------------------------------------------------------ */

/* clang-format off */
const struct fc_state_def fc_states[FC_NSTATES] = {
	/* every config field 0: the documented defaults apply */
	{ "defaults, slot 0 current, slot 1 previous, even epoch",
	  { .fixed_time = FC_T0 + 10 },
	  { { KEY_A, KEY_B }, 0, 2, { FC_T0 - 100, FC_T0 - 300 } } },
	{ "explicit config, slot 1 current, odd epoch",
	  { 1460, 1440, 65535, 7, 64, 0, FC_T0 + 64 + 30, 0, 0, 0, 0, 0, { 0 } },
	  { { KEY_A, KEY_B }, 1, 3, { FC_T0 - 100, FC_T0 + 50 } } },
	{ "small: MSS 536/1220, window 1, wscale 0, TTL 1, no ECN",
	  { 536, 1220, 1, SYNWALL_WSCALE_ZERO, 1, SYNWALL_CF_NO_ECN, FC_T0 + 5, 0, 0, 0, 0, 0, { 0 } },
	  { { KEY_A, KEY_B }, 0, 2, { FC_T0 - 100, FC_T0 - 300 } } },
	{ "big: MSS 9000/65475, wscale 20 (clamped to 14), TTL 255, last second of an epoch",
	  { 9000, 65475, 65535, 20, 255, 0, FC_T0 + 127, 0, 0, 0, 0, 0, { 0 } },
	  { { KEY_C, KEY_B }, 0, 7, { FC_T0 - 100, FC_T0 - 300 } } },
	{ "unkeyed: generation 0",
	  { .fixed_time = FC_T0 + 10 },
	  { { { 0, 0 }, { 0, 0 } }, 0, 0, { 0, 0 } } },
	{ "one key: slot 1 never installed (all-zero key)",
	  { .fixed_time = FC_T0 + 200 },
	  { { KEY_A, { 0, 0 } }, 0, 1, { FC_T0 - 100, 0 } } },
	{ "current slot not installed: unkeyed",
	  { .fixed_time = FC_T0 + 10 },
	  { { KEY_A, KEY_B }, 1, 1, { FC_T0 - 100, 0 } } },
	{ "epoch 0: the previous epoch wraps to 2^32-1",
	  { 0, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0, { 0 } },
	  { { KEY_C, KEY_B }, 0, 9, { 1, 1 } } },
};
/* clang-format on */

/* Protected ports of every state. */
bool fc_protected(__u16 port)
{
	return port == 0 || port == 22 || port == 80 || port == 443 ||
	       (port >= 8000 && port <= 8100) || port == 65535;
}

/* ---- environment ----------------------------------------------------- */

static int ports_write(const struct swt_env *e)
{
	__u64 w[SYNWALL_PORT_WORDS] = {0};
	__u32 k, p;

	for (p = 0; p < 65536; p++)
		if (fc_protected((__u16)p))
			w[p / 64] |= 1ull << (p % 64);
	for (k = 0; k < SYNWALL_PORT_WORDS; k++)
		if (bpf_map_update_elem(e->ports_fd, &k, &w[k], BPF_ANY))
			return -errno;
	return 0;
}

/* A connected pair over loopback: client bound to FC_SOCK_CPORT. */
static int sock_pair(struct fc_env *e, int fam, int *slot, char *err,
		     size_t errlen)
{
	struct sockaddr_storage ss = {0}, cs = {0};
	struct sockaddr_in *s4 = (void *)&ss, *c4 = (void *)&cs;
	struct sockaddr_in6 *s6 = (void *)&ss, *c6 = (void *)&cs;
	socklen_t alen = fam == AF_INET ? sizeof(*s4) : sizeof(*s6);
	int one = 1, l, c, a;

	if (fam == AF_INET) {
		s4->sin_family = c4->sin_family = AF_INET;
		s4->sin_addr.s_addr = c4->sin_addr.s_addr = htonl(0x7f000001);
		s4->sin_port = htons(FC_SOCK_SPORT);
		c4->sin_port = htons(FC_SOCK_CPORT);
	} else {
		s6->sin6_family = c6->sin6_family = AF_INET6;
		s6->sin6_addr = c6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(FC_SOCK_SPORT);
		c6->sin6_port = htons(FC_SOCK_CPORT);
	}
	l = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || c < 0)
		goto fail;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6)
		setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l, (void *)&ss, alen) || listen(l, 4) ||
	    bind(c, (void *)&cs, alen) || connect(c, (void *)&ss, alen))
		goto fail;
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		goto fail;
	e->sock_fds[slot[0]++] = l;
	e->sock_fds[slot[0]++] = c;
	e->sock_fds[slot[0]++] = a;
	return 0;
fail:
	snprintf(err, errlen, "loopback connection (%s): %s",
		 fam == AF_INET ? "IPv4" : "IPv6", strerror(errno));
	if (l >= 0)
		close(l);
	if (c >= 0)
		close(c);
	return -1;
}

/*
 * The server of SWT_TEST_DEV: a listener on each of its addresses at every
 * protected port but 0 (nothing can listen there).  Left open until exit.
 */
static int listeners_open(char *err, size_t errlen)
{
	static const char *const addr[] = {SWT_TEST_IP4, SWT_TEST_IP4B,
					   SWT_TEST_IP6, SWT_TEST_IP6B};
	__u32 port;
	size_t i;

	for (port = 1; port < 65536; port++) {
		if (!fc_protected((__u16)port))
			continue;
		for (i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
			struct sockaddr_storage ss = {0};
			struct sockaddr_in *s4 = (void *)&ss;
			struct sockaddr_in6 *s6 = (void *)&ss;
			bool v6 = strchr(addr[i], ':') != NULL;
			int fd, one = 1;

			if (v6) {
				s6->sin6_family = AF_INET6;
				s6->sin6_port = htons((__u16)port);
				inet_pton(AF_INET6, addr[i], &s6->sin6_addr);
			} else {
				s4->sin_family = AF_INET;
				s4->sin_port = htons((__u16)port);
				inet_pton(AF_INET, addr[i], &s4->sin_addr);
			}
			fd = socket(v6 ? AF_INET6 : AF_INET,
				    SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0 ||
			    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one)) ||
			    bind(fd, (void *)&ss,
				 v6 ? sizeof(*s6) : sizeof(*s4)) ||
			    listen(fd, 4)) {
				snprintf(err, errlen,
					 "listen on %s port %u: %s", addr[i],
					 port, strerror(errno));
				if (fd >= 0)
					close(fd);
				return -1;
			}
		}
	}
	return 0;
}

int fc_env_open(struct fc_env *e, char *err, size_t errlen)
{
	int n = 0, i, r;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < 6; i++)
		e->sock_fds[i] = -1;
	e->state = -1;
	/* socket lookups must see only the connections made here */
	if (swt_netns_private(err, errlen))
		return -1;
	if (sock_pair(e, AF_INET, &n, err, errlen))
		return -1;
	/* IPv6 loopback may be disabled on a host: the v6 pair is optional */
	e->have_v6_sock = sock_pair(e, AF_INET6, &n, err, errlen) == 0;
	if (listeners_open(err, errlen))
		return -1;
	if (swt_env_open(&e->swt, err, errlen))
		return -1;
	r = ports_write(&e->swt);
	if (r) {
		snprintf(err, errlen, "ports write: %s", strerror(-r));
		return -1;
	}
	r = swt_stats_zero(&e->swt);
	if (!r)
		r = swt_stats_read(&e->swt, &e->last);
	if (r) {
		snprintf(err, errlen, "stats: %s", strerror(-r));
		return -1;
	}
	err[0] = 0;
	return 0;
}

void fc_env_close(struct fc_env *e)
{
	int i;

	swt_env_close(&e->swt);
	for (i = 0; i < 6; i++)
		if (e->sock_fds[i] >= 0)
			close(e->sock_fds[i]);
}

int fc_state_apply(struct fc_env *e, int s)
{
	int r;

	if (e->state == s)
		return 0;
	r = swt_config_write(&e->swt, &fc_states[s].cfg);
	if (!r)
		r = swt_keys_write(&e->swt, &fc_states[s].keys);
	if (r)
		return r;
	e->state = s;
	return 0;
}

/* ---- reporting ------------------------------------------------------- */

void fc_hexdump(FILE *f, const __u8 *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 32 == 0)
			fprintf(f, "%s# %04zx ", i ? "\n" : "", i);
		fprintf(f, "%02x", b[i]);
	}
	fprintf(f, "\n");
}

int fc_save(const char *dir, const char *prefix, const __u8 *in, size_t len,
	    char *path, size_t pathlen)
{
	__u64 h = 0xcbf29ce484222325ull;
	size_t i;
	int fd;
	ssize_t w;

	for (i = 0; i < len; i++)
		h = (h ^ in[i]) * 0x100000001b3ull;
	mkdir(dir, 0755);
	snprintf(path, pathlen, "%s/%s-%016llx", dir, prefix,
		 (unsigned long long)h);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, in, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -EIO;
}

void fc_histogram(const struct fc_env *e, char *out, size_t n)
{
	size_t i, used = 0;

	out[0] = 0;
	for (i = 0; i < swt_nstat_fields && i < 32; i++) {
		int k;

		if (!e->by_counter[i])
			continue;
		k = snprintf(out + used, n - used, "%s%s=%llu", used ? " " : "",
			     swt_stat_fields[i].name, e->by_counter[i]);
		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
}
