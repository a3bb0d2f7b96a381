// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * legit: the legitimate client of bench/flood.sh.  N sequential TCP
 * connections to ADDR:PORT through the kernel's own stack; each one
 * connects, sends "HI\n" and waits for a line starting with "HI" (the
 * protocol of tests/e2e/tcpprobe's server), so a success means a real
 * server socket took the connection.  Connect time is from connect() to
 * the socket becoming writable (the client has the SYN-ACK and sent its
 * ACK).
 *
 * Every step is bounded: a connection that is not up and answered within
 * --timeout-ms fails; after --deadline-s seconds the remaining connections
 * are not attempted (counted in "skipped"), so a flood that starves the
 * client cannot stall a benchmark.
 *
 *   legit ADDR PORT N [--timeout-ms MS] [--deadline-s S]
 *
 * Output, one line: ok= fail= skipped= p50_us= p99_us= max_us= secs=
 * (latencies over the successful connections; "-" when there are none).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Wait for events on fd until the absolute deadline (µs).  1 if ready. */
static int wait_fd(int fd, short ev, double deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = ev};
		double left = deadline - now_us();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)(left / 1000) + 1);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

/* One connection; its connect time in *lat.  0 on success. */
static int one(const struct sockaddr_storage *ss, socklen_t len, int tmo_ms,
	       double *lat)
{
	double t0 = now_us(), deadline = t0 + tmo_ms * 1000.0;
	char buf[16];
	int fd, err = 0, got = 0;
	socklen_t el = sizeof(err);

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, len) &&
	    errno != EINPROGRESS)
		goto fail;
	if (!wait_fd(fd, POLLOUT, deadline) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		goto fail;
	*lat = now_us() - t0;
	if (write(fd, "HI\n", 3) != 3)
		goto fail;
	while (got < 2) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN, deadline))
			goto fail;
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			goto fail;
		got += n;
	}
	close(fd);
	return memcmp(buf, "HI", 2) ? -1 : 0;
fail:
	close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int n, i, ok = 0, fail = 0, tmo_ms = 3000;
	double deadline_s = 60, t0, *lat;

	if (argc < 4) {
		fprintf(stderr, "usage: legit ADDR PORT N [--timeout-ms MS] "
				"[--deadline-s S]\n");
		return 2;
	}
	for (i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--timeout-ms"))
			tmo_ms = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--deadline-s"))
			deadline_s = atof(argv[i + 1]);
	}
	if (inet_pton(AF_INET, argv[1], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(atoi(argv[2]));
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, argv[1], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(atoi(argv[2]));
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "legit: bad address %s\n", argv[1]);
		return 2;
	}
	n = atoi(argv[3]);
	lat = calloc(n > 0 ? n : 1, sizeof(*lat));
	if (!lat)
		return 1;
	t0 = now_us();
	for (i = 0; i < n && now_us() - t0 < deadline_s * 1e6; i++) {
		if (one(&ss, len, tmo_ms, &lat[ok]) == 0)
			ok++;
		else
			fail++;
	}
	qsort(lat, ok, sizeof(*lat), cmp_double);
	printf("ok=%d fail=%d skipped=%d", ok, fail, n - ok - fail);
	if (ok)
		printf(" p50_us=%.0f p99_us=%.0f max_us=%.0f", lat[ok / 2],
		       lat[(int)(ok * 0.99) < ok ? (int)(ok * 0.99) : ok - 1],
		       lat[ok - 1]);
	else
		printf(" p50_us=- p99_us=- max_us=-");
	printf(" secs=%.2f\n", (now_us() - t0) / 1e6);
	free(lat);
	return 0;
}
