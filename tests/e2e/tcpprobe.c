// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcpprobe: the real-TCP client and server of synwall's end-to-end suite
 * (tests/e2e/test_handoff.sh).  Both ends use the kernel's own TCP stack;
 * nothing here knows about synwall.
 *
 *   tcpprobe server ADDR PORT
 *       Serve until killed, one thread per connection.  A connection
 *       starts with one command line:
 *         HI            reply "HI"
 *         INFO          reply with this end's TCP_INFO line
 *         PING          echo every byte until the peer closes
 *         XFER N        read N bytes, check them against stream 1, reply
 *                       "OK"/"BAD <offset>", then send N bytes of stream 2
 *   tcpprobe info ADDR PORT [MSS]   both ends' TCP_INFO, one line each
 *   tcpprobe xfer ADDR PORT BYTES   BYTES each way, checked byte by byte
 *   tcpprobe seq ADDR PORT N        N sequential connects (+ HI round trip)
 *                                   and the connect() latency: median, p99
 *   tcpprobe conc ADDR PORT N       N connections at once, then HI on each
 *   tcpprobe hold ADDR PORT MS STEP one connection, a PING round trip every
 *                                   STEP ms for MS ms
 *   tcpprobe reset ADDR PORT MS     expect the connection to be reset (or
 *                                   refused) within MS ms: exit 0 if so
 *   tcpprobe twreuse ADDR PORT SPORT  two connections from source port
 *                                   SPORT, the first closed by the server
 *                                   first (TIME_WAIT on the server)
 *
 * ADDR is IPv4 or IPv6 (numeric).  Output is key=value words on one
 * line; exit status 0 means every check passed.  Every blocking call has
 * a timeout: nothing here can hang a test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 5000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int parse_addr(const char *host, int port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	fprintf(stderr, "tcpprobe: bad address %s\n", host);
	return -1;
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000,
			     .tv_usec = (ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* connect with a timeout (SO_SNDTIMEO bounds connect()); mss 0: default */
static int dial(const struct sockaddr_storage *ss, socklen_t len, int mss,
		double *us)
{
	int fd = socket(ss->ss_family, SOCK_STREAM, 0);
	double t0;

	if (fd < 0)
		return -1;
	set_timeouts(fd, IO_TIMEOUT_MS);
	if (mss && setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss))) {
		close(fd);
		return -1;
	}
	t0 = now_us();
	if (connect(fd, (const struct sockaddr *)ss, len)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (us)
		*us = now_us() - t0;
	return fd;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/* read one line (without the newline) into buf; -1 on error/EOF */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		char c;
		ssize_t r = recv(fd, &c, 1, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return 0;
}

/* the deterministic byte streams of XFER (xorshift32, one byte a step) */
struct stream {
	uint32_t s;
};

static void stream_init(struct stream *st, uint32_t seed)
{
	st->s = seed ? seed : 1;
}

static void stream_fill(struct stream *st, unsigned char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		st->s ^= st->s << 13;
		st->s ^= st->s >> 17;
		st->s ^= st->s << 5;
		buf[i] = st->s >> 24;
	}
}

/* send n bytes of stream seed */
static int stream_send(int fd, uint32_t seed, size_t n)
{
	unsigned char buf[65536];
	struct stream st;

	stream_init(&st, seed);
	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		stream_fill(&st, buf, k);
		if (write_all(fd, buf, k))
			return -1;
		n -= k;
	}
	return 0;
}

/* receive n bytes and compare with stream seed: 0, or -1 and *bad set to
 * the first differing offset (or the count received, on a short read) */
static int stream_check(int fd, uint32_t seed, size_t n, size_t *bad)
{
	unsigned char buf[65536], want[65536];
	struct stream st;
	size_t got = 0;

	stream_init(&st, seed);
	while (got < n) {
		size_t k = n - got < sizeof(buf) ? n - got : sizeof(buf);
		ssize_t r = recv(fd, buf, k, 0);
		ssize_t i;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*bad = got;
			return -1;
		}
		stream_fill(&st, want, r);
		for (i = 0; i < r; i++)
			if (buf[i] != want[i]) {
				*bad = got + i;
				return -1;
			}
		got += r;
	}
	return 0;
}

static void info_line(int fd, char *buf, size_t size)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len)) {
		snprintf(buf, size, "error=%d", errno);
		return;
	}
	snprintf(buf, size,
		 "snd_mss=%u rcv_mss=%u advmss=%u ts=%d sack=%d wscale=%d "
		 "ecn=%d snd_wscale=%u rcv_wscale=%u",
		 ti.tcpi_snd_mss, ti.tcpi_rcv_mss, ti.tcpi_advmss,
		 !!(ti.tcpi_options & TCPI_OPT_TIMESTAMPS),
		 !!(ti.tcpi_options & TCPI_OPT_SACK),
		 !!(ti.tcpi_options & TCPI_OPT_WSCALE),
		 !!(ti.tcpi_options & TCPI_OPT_ECN), ti.tcpi_snd_wscale,
		 ti.tcpi_rcv_wscale);
}

/* ---- server ---------------------------------------------------------- */

static void *serve_conn(void *arg)
{
	int fd = (int)(long)arg;
	char line[128], out[512];

	set_timeouts(fd, 30000);
	if (read_line(fd, line, sizeof(line)))
		goto out;
	if (!strcmp(line, "HI")) {
		/* reply, then let the client close first: the TIME_WAIT
		 * stays on the client, which never reuses its 4-tuple */
		if (!write_all(fd, "HI\n", 3))
			recv(fd, line, sizeof(line), 0);
	} else if (!strcmp(line, "INFO")) {
		info_line(fd, out, sizeof(out) - 1);
		strcat(out, "\n");
		write_all(fd, out, strlen(out));
		/* wait for the client's close */
		recv(fd, line, sizeof(line), 0);
	} else if (!strcmp(line, "PING")) {
		char buf[4096];
		ssize_t r;

		while ((r = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (write_all(fd, buf, r))
				break;
	} else if (!strncmp(line, "XFER ", 5)) {
		size_t n = strtoull(line + 5, NULL, 10), bad = 0;

		if (stream_check(fd, 1, n, &bad))
			snprintf(out, sizeof(out), "BAD %zu\n", bad);
		else
			snprintf(out, sizeof(out), "OK\n");
		write_all(fd, out, strlen(out));
		if (out[0] == 'O')
			stream_send(fd, 2, n);
		shutdown(fd, SHUT_WR);
		recv(fd, line, sizeof(line), 0);
	}
out:
	close(fd);
	return NULL;
}

static int cmd_server(struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM, 0);
	pthread_attr_t attr;

	if (fd < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)ss, len) || listen(fd, 4096)) {
		perror("bind/listen");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		pthread_t t;
		int c = accept(fd, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("accept");
			return 1;
		}
		if (pthread_create(&t, &attr, serve_conn, (void *)(long)c))
			close(c);
	}
}

/* ---- clients --------------------------------------------------------- */

static int hi(int fd)
{
	char line[16];

	if (write_all(fd, "HI\n", 3) || read_line(fd, line, sizeof(line)))
		return -1;
	return strcmp(line, "HI") ? -1 : 0;
}

static int cmd_info(struct sockaddr_storage *ss, socklen_t len, int mss)
{
	char mine[512], theirs[512];
	int fd = dial(ss, len, mss, NULL);

	if (fd < 0) {
		printf("connect_error=%d\n", errno);
		return 1;
	}
	if (write_all(fd, "INFO\n", 5) ||
	    read_line(fd, theirs, sizeof(theirs))) {
		printf("io_error=%d\n", errno);
		return 1;
	}
	info_line(fd, mine, sizeof(mine));
	printf("client %s\nserver %s\n", mine, theirs);
	close(fd);
	return 0;
}

static int cmd_xfer(struct sockaddr_storage *ss, socklen_t len, size_t n)
{
	char line[64];
	size_t bad = 0;
	double t0 = now_us();
	int fd = dial(ss, len, 0, NULL);

	if (fd < 0) {
		printf("connect_error=%d\n", errno);
		return 1;
	}
	snprintf(line, sizeof(line), "XFER %zu\n", n);
	if (write_all(fd, line, strlen(line)) || stream_send(fd, 1, n)) {
		printf("send_error=%d\n", errno);
		return 1;
	}
	if (read_line(fd, line, sizeof(line))) {
		printf("reply_error=%d\n", errno);
		return 1;
	}
	if (strcmp(line, "OK")) {
		printf("upstream=%s\n", line);
		return 1;
	}
	if (stream_check(fd, 2, n, &bad)) {
		printf("upstream=ok downstream=bad_at_%zu errno=%d\n", bad,
		       errno);
		return 1;
	}
	printf("upstream=ok downstream=ok bytes=%zu ms=%.0f\n", n,
	       (now_us() - t0) / 1e3);
	close(fd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_seq(struct sockaddr_storage *ss, socklen_t len, int n)
{
	double *lat = calloc(n, sizeof(*lat));
	int i, ok = 0, fail = 0, first_err = 0;

	if (!lat)
		return 1;
	for (i = 0; i < n; i++) {
		int fd = dial(ss, len, 0, &lat[ok]);

		if (fd < 0 || hi(fd)) {
			if (!first_err)
				first_err = errno ? errno : -1;
			fail++;
		} else {
			ok++;
		}
		if (fd >= 0)
			close(fd);
	}
	qsort(lat, ok, sizeof(*lat), cmp_double);
	printf("ok=%d fail=%d first_errno=%d", ok, fail, first_err);
	if (ok)
		printf(" median_us=%.1f p99_us=%.1f max_us=%.1f", lat[ok / 2],
		       lat[(int)(ok * 0.99) < ok ? (int)(ok * 0.99) : ok - 1],
		       lat[ok - 1]);
	printf("\n");
	free(lat);
	return fail ? 1 : 0;
}

static void set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

static int cmd_conc(struct sockaddr_storage *ss, socklen_t len, int n)
{
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	int *state = calloc(n, sizeof(*state)); /* 0 pending, 1 up, -1 failed */
	int i, pending = 0, ok = 0, fail = 0, first_err = 0;
	double deadline = now_us() + IO_TIMEOUT_MS * 1000.0;

	if (!pfd || !state)
		return 1;
	/* every connect in flight at once */
	for (i = 0; i < n; i++) {
		int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

		pfd[i].fd = fd;
		pfd[i].events = POLLOUT;
		if (fd < 0 || (connect(fd, (struct sockaddr *)ss, len) &&
			       errno != EINPROGRESS)) {
			if (!first_err)
				first_err = errno;
			state[i] = -1;
			pfd[i].fd = -1;
			if (fd >= 0)
				close(fd);
			continue;
		}
		pending++;
	}
	while (pending && now_us() < deadline) {
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			int err = 0;
			socklen_t el = sizeof(err);

			if (pfd[i].fd < 0 || state[i] || !pfd[i].revents)
				continue;
			getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
			state[i] = err ? -1 : 1;
			if (err && !first_err)
				first_err = err;
			pfd[i].events = 0;
			pfd[i].revents = 0;
			pending--;
		}
	}
	/* then a HI round trip on every connection */
	for (i = 0; i < n; i++) {
		int fd = pfd[i].fd;

		if (state[i] == 1) {
			set_blocking(fd);
			set_timeouts(fd, IO_TIMEOUT_MS);
			if (hi(fd) == 0) {
				ok++;
				close(fd);
				continue;
			}
			if (!first_err)
				first_err = errno;
		}
		fail++;
		if (fd >= 0)
			close(fd);
	}
	printf("ok=%d fail=%d first_errno=%d\n", ok, fail, first_err);
	free(pfd);
	free(state);
	return fail ? 1 : 0;
}

static int cmd_hold(struct sockaddr_storage *ss, socklen_t len, int ms,
		    int step)
{
	double end = now_us() + ms * 1000.0;
	int fd = dial(ss, len, 0, NULL), pings = 0, fails = 0;
	char buf[8];

	if (fd < 0) {
		printf("connect_error=%d\n", errno);
		return 1;
	}
	if (write_all(fd, "PING\n", 5))
		return 1;
	printf("connected\n");
	fflush(stdout);
	while (now_us() < end) {
		pings++;
		if (write_all(fd, "p", 1) || recv(fd, buf, 1, 0) != 1 ||
		    buf[0] != 'p')
			fails++;
		usleep(step * 1000);
	}
	printf("pings=%d fails=%d\n", pings, fails);
	close(fd);
	return fails ? 1 : 0;
}

/* 0 if the connection is refused or reset within ms; 1 if it works or
 * the reply never comes (that would be the hang this guards against) */
static int cmd_reset(struct sockaddr_storage *ss, socklen_t len, int ms)
{
	double t0 = now_us();
	int fd = socket(ss->ss_family, SOCK_STREAM, 0), r;
	char line[16];

	set_timeouts(fd, ms);
	if (connect(fd, (struct sockaddr *)ss, len)) {
		printf("result=connect_error errno=%d ms=%.0f\n", errno,
		       (now_us() - t0) / 1e3);
		return errno == ECONNREFUSED || errno == ECONNRESET ? 0 : 1;
	}
	r = write_all(fd, "HI\n", 3) ? -1 : read_line(fd, line, sizeof(line));
	if (r == 0) {
		printf("result=works ms=%.0f\n", (now_us() - t0) / 1e3);
		return 1;
	}
	printf("result=%s errno=%d ms=%.0f\n",
	       errno == ECONNRESET || errno == EPIPE ? "reset" :
	       errno == EAGAIN			     ? "timeout" :
						       "error",
	       errno, (now_us() - t0) / 1e3);
	return errno == ECONNRESET || errno == EPIPE ? 0 : 1;
}

/* connect from source port sport: 0, or -1 with errno */
static int dial_from(const struct sockaddr_storage *ss, socklen_t len,
		     int sport)
{
	struct sockaddr_storage src;
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&src, 0, sizeof(src));
	src.ss_family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)&src)->sin_port = htons(sport);
	else
		((struct sockaddr_in6 *)&src)->sin6_port = htons(sport);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_timeouts(fd, 3000);
	if (bind(fd, (struct sockaddr *)&src, len) ||
	    connect(fd, (const struct sockaddr *)ss, len)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * The same 4-tuple twice: the first connection is closed by the server
 * first (XFER 0), which leaves a TIME_WAIT socket on the server; the
 * second must work as it does without synwall (RFC 6191, Linux accepts a
 * SYN into TIME_WAIT).
 */
static int cmd_twreuse(struct sockaddr_storage *ss, socklen_t len, int sport)
{
	char line[64];
	int fd, i;

	for (i = 0; i < 2; i++) {
		double t0 = now_us();

		fd = dial_from(ss, len, sport);
		if (fd < 0) {
			printf("conn%d=connect_error errno=%d\n", i + 1, errno);
			return 1;
		}
		if (write_all(fd, "XFER 0\n", 7) ||
		    read_line(fd, line, sizeof(line)) || strcmp(line, "OK")) {
			printf("conn%d=no_reply errno=%d ms=%.0f\n", i + 1,
			       errno, (now_us() - t0) / 1e3);
			close(fd);
			return 1;
		}
		/* the server's FIN: it closes first */
		recv(fd, line, sizeof(line), 0);
		close(fd);
		printf("conn%d=ok ", i + 1);
		usleep(100000);
	}
	printf("\n");
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: tcpprobe server ADDR PORT\n"
			"       tcpprobe info ADDR PORT [MSS]\n"
			"       tcpprobe xfer ADDR PORT BYTES\n"
			"       tcpprobe seq|conc ADDR PORT N\n"
			"       tcpprobe hold ADDR PORT MS STEP_MS\n"
			"       tcpprobe reset ADDR PORT MS\n"
			"       tcpprobe twreuse ADDR PORT SPORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *cmd;

	if (argc < 4)
		return usage();
	cmd = argv[1];
	if (parse_addr(argv[2], atoi(argv[3]), &ss, &len))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "server"))
		return cmd_server(&ss, len);
	if (!strcmp(cmd, "info"))
		return cmd_info(&ss, len, argc > 4 ? atoi(argv[4]) : 0);
	if (!strcmp(cmd, "xfer") && argc > 4)
		return cmd_xfer(&ss, len, strtoull(argv[4], NULL, 0));
	if (!strcmp(cmd, "seq") && argc > 4)
		return cmd_seq(&ss, len, atoi(argv[4]));
	if (!strcmp(cmd, "conc") && argc > 4)
		return cmd_conc(&ss, len, atoi(argv[4]));
	if (!strcmp(cmd, "hold") && argc > 5)
		return cmd_hold(&ss, len, atoi(argv[4]), atoi(argv[5]));
	if (!strcmp(cmd, "reset") && argc > 4)
		return cmd_reset(&ss, len, atoi(argv[4]));
	if (!strcmp(cmd, "twreuse") && argc > 4)
		return cmd_twreuse(&ss, len, atoi(argv[4]));
	return usage();
}
