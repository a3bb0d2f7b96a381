// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: flows with a socket (established, listener, time-wait,
 * request socket).
 */
#include "xdp.h"

/* ---- flows with a socket (bpf_skc_lookup_tcp) ------------------------ */

struct tcp_conn {
	int lfd, cfd, afd;
	__u16 lport, cport;
};

static void conn_close(struct tcp_conn *c)
{
	if (c->afd >= 0)
		close(c->afd);
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->lfd >= 0)
		close(c->lfd);
	c->lfd = c->cfd = c->afd = -1;
}

/* A listener on loopback and, if connect, one connection to it. */
static int conn_open(bool v6, bool connect_it, struct tcp_conn *c)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = v6 ? sizeof(*s6) : sizeof(*s4);
	int fam = v6 ? AF_INET6 : AF_INET;

	c->lfd = c->cfd = c->afd = -1;
	if (v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	c->lfd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&ss, sl) ||
	    listen(c->lfd, 8) ||
	    getsockname(c->lfd, (struct sockaddr *)&ss, &sl))
		goto err;
	c->lport = ntohs(v6 ? s6->sin6_port : s4->sin_port);
	if (!connect_it)
		return 0;
	c->cfd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->cfd < 0 || connect(c->cfd, (struct sockaddr *)&ss, sl))
		goto err;
	c->afd = accept(c->lfd, NULL, NULL);
	sl = sizeof(ss);
	if (c->afd < 0 || getsockname(c->cfd, (struct sockaddr *)&ss, &sl))
		goto err;
	c->cport = ntohs(v6 ? s6->sin6_port : s4->sin_port);
	return 0;
err:
	snprintf(swt_why, sizeof(swt_why), "loopback TCP %s: %s",
		 v6 ? "IPv6" : "IPv4", strerror(errno));
	conn_close(c);
	return -1;
}

static void loopback_pkt(struct swt_pkt *p, bool v6, __u16 sport, __u16 dport)
{
	swt_pkt_init(p, v6);
	/* lo's MAC address is all zeros */
	memset(p->dmac, 0, 6);
	memset(p->smac, 0, 6);
	memset(p->saddr, 0, 16);
	memset(p->daddr, 0, 16);
	if (v6) {
		p->saddr[15] = 1;
		p->daddr[15] = 1;
	} else {
		p->saddr[0] = p->daddr[0] = 127;
		p->saddr[3] = p->daddr[3] = 1;
	}
	p->sport = sport;
	p->dport = dport;
	p->seq = 0x01000000;
	p->ack = 0x02000000; /* not a cookie */
	p->flags = SWT_TCP_ACK;
}

static int run_lo(const struct swt_pkt *p, __u32 verdict, size_t counter)
{
	static __u8 buf[SWT_PKT_MAX];
	struct want w = {.verdict = verdict, .counter = counter, .ifindex = 1};

	return run(buf, swt_build(p, buf, sizeof(buf), NULL), &w);
}

int t_established(long v6)
{
	static const struct {
		const char *name;
		__u8 flags;
		size_t paylen;
	} seg[] = {
		{"ACK", SWT_TCP_ACK, 0},
		{"data", SWT_TCP_ACK | SWT_TCP_PSH, 100},
		{"FIN|ACK", SWT_TCP_ACK | SWT_TCP_FIN, 0},
		{"RST", SWT_TCP_RST, 0},
		{"RST|ACK", SWT_TCP_RST | SWT_TCP_ACK, 0},
		/* a SYN on a live 4-tuple is the kernel's (challenge ACK) */
		{"SYN", SWT_TCP_SYN, 0},
	};
	struct tcp_conn c;
	struct swt_pkt p;
	size_t i;
	int r = SWT_PASS;

	if (conn_open(v6, true, &c)) {
		if (v6)
			return swt_skipf("no IPv6 loopback (::1)");
		return SWT_FAIL;
	}
	if ((r = protect(c.lport, true)) != SWT_PASS)
		goto out;
	for (i = 0; i < sizeof(seg) / sizeof(seg[0]) && r == SWT_PASS; i++) {
		loopback_pkt(&p, v6, c.cport, c.lport);
		p.flags = seg[i].flags;
		p.paylen = seg[i].paylen;
		r = swt_sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			    "%s of an established flow", seg[i].name);
	}
	/* the same port from another client port: only the listener */
	if (r == SWT_PASS) {
		loopback_pkt(&p, v6, c.cport ^ 0x4000, c.lport);
		r = swt_sub(run_lo(&p, XDP_DROP, SWT_STAT(xdp_drop_bad_ack)),
			    "ACK to the listener, no flow");
	}
out:
	conn_close(&c);
	return r;
}

int t_listener_is_not_a_flow(void)
{
	struct synwall_meta m;
	struct tcp_conn c;
	struct swt_pkt syn, ack;
	struct swt_synopts o;
	__u32 ck, tsv;
	int r;

	/*
	 * A listener matches every 4-tuple to its port: a cookie ACK to it
	 * must still be checked (and handed off), not passed as "socket".
	 */
	if (conn_open(false, false, &c))
		return SWT_FAIL;
	if ((r = protect(c.lport, true)) != SWT_PASS)
		goto out;
	loopback_pkt(&syn, false, 40000, c.lport);
	swt_opt_linux_syn(&syn, 1460, CLIENT_TSVAL, 7);
	syn.flags = SWT_TCP_SYN;
	o = (struct swt_synopts){.mss = 1460,
				 .ws = 7,
				 .sack = true,
				 .ts = true,
				 .tsval = CLIENT_TSVAL};
	syn_ifindex = 1;
	r = swt_sub(expect_synack(&syn, &o, &ck, &tsv), "SYN");
	syn_ifindex = 0;
	if (r != SWT_PASS)
		goto out;
	swt_make_ack(&syn, ck, true, o.tsval + 1, tsv, &ack);
	want_meta(&m, ck, false, &o, true, o.tsval + 1, tsv);
	r = swt_sub(expect_cookie_ack(&ack, &m, 1), "valid cookie ACK");
	if (r != SWT_PASS)
		goto out;
	ack.ack ^= 1u << 30;
	r = swt_sub(run_lo(&ack, XDP_DROP, SWT_STAT(xdp_drop_bad_ack)),
		    "bad cookie ACK");
	if (r != SWT_PASS)
		goto out;
	ack.flags = SWT_TCP_RST;
	r = swt_sub(run_lo(&ack, XDP_DROP, SWT_STAT(xdp_drop_no_socket)),
		    "RST");
out:
	conn_close(&c);
	return r;
}

/* Is a socket on local port `port` (IPv4) in TCP state `st`? (/proc/net/tcp) */
static bool port_in_tcp_state(__u16 port, unsigned int want)
{
	char line[256];
	unsigned int lp, st;
	bool found = false;
	FILE *f = fopen("/proc/net/tcp", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*u: %*x:%x %*x:%*x %x", &lp, &st) == 2 &&
		    lp == port && st == want)
			found = true;
	fclose(f);
	return found;
}

#define TCP_STATE_SYN_RECV 3
#define TCP_STATE_TIME_WAIT 6

static bool in_time_wait(__u16 port)
{
	return port_in_tcp_state(port, TCP_STATE_TIME_WAIT);
}

int t_time_wait(void)
{
	struct tcp_conn c;
	struct swt_pkt p;
	char b;
	int i, r;

	/* the client closes first and keeps the flow in TIME_WAIT */
	if (conn_open(false, true, &c))
		return SWT_FAIL;
	close(c.cfd);
	c.cfd = -1;
	if (read(c.afd, &b, 1) != 0) {
		conn_close(&c);
		SWT_FAIL("no EOF on the accepted socket");
	}
	close(c.afd);
	c.afd = -1;
	for (i = 0; i < 100 && !in_time_wait(c.cport); i++)
		usleep(10000);
	if (!in_time_wait(c.cport)) {
		conn_close(&c);
		SWT_FAIL("client port %u never reached TIME_WAIT", c.cport);
	}
	/* a segment from the server side to the TIME_WAIT client port */
	r = protect(c.cport, true);
	if (r == SWT_PASS) {
		loopback_pkt(&p, false, c.lport, c.cport);
		p.flags = SWT_TCP_ACK | SWT_TCP_FIN;
		r = swt_sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			    "FIN|ACK to a TIME_WAIT flow");
	}
	/*
	 * A new SYN reusing the TIME_WAIT 4-tuple must reach the kernel,
	 * which recycles the TIME_WAIT socket; a cookie SYN-ACK would leave
	 * the client's ACK to the old socket.
	 */
	if (r == SWT_PASS) {
		loopback_pkt(&p, false, c.lport, c.cport);
		p.flags = SWT_TCP_SYN;
		p.ack = 0;
		swt_opt_linux_syn(&p, 1460, CLIENT_TSVAL, 7);
		r = swt_sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			    "SYN reusing a TIME_WAIT 4-tuple");
	}
	conn_close(&c);
	return r;
}

/* Route 10.9.9.0/24 into lo, so that a SYN from there gets a reqsk. */
static int route_to_lo(const char *net)
{
	struct rtentry rt = {};
	struct sockaddr_in *a;
	char dev[] = "lo";
	int fd, r;

	a = (struct sockaddr_in *)&rt.rt_dst;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, net, &a->sin_addr);
	a = (struct sockaddr_in *)&rt.rt_genmask;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0xffffff00);
	rt.rt_flags = RTF_UP;
	rt.rt_dev = dev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = ioctl(fd, SIOCADDRT, &rt);
	if (r && errno == EEXIST)
		r = 0;
	close(fd);
	return r;
}

/* A request socket (SYN_RECV) on local port `port`? */
static bool in_syn_recv(__u16 port)
{
	return port_in_tcp_state(port, TCP_STATE_SYN_RECV);
}

int t_request_socket(void)
{
	static __u8 b[SWT_PKT_MAX];
	struct sockaddr_in dst = {.sin_family = AF_INET};
	struct swt_layout lo;
	struct tcp_conn c;
	struct swt_pkt p;
	size_t len;
	int fd, i, r;

	/*
	 * A SYN from 10.9.9.9 (routed into lo, so the SYN-ACK leaves and
	 * is never answered) leaves a request socket in the listener; the
	 * client's next segment must be passed to it.
	 */
	if (route_to_lo("10.9.9.0"))
		SWT_FAIL("route 10.9.9.0/24 dev lo: %s", strerror(errno));
	if (conn_open(false, false, &c))
		return SWT_FAIL;
	loopback_pkt(&p, false, 40001, c.lport);
	p.saddr[0] = 10, p.saddr[1] = 9, p.saddr[2] = 9, p.saddr[3] = 9;
	p.flags = SWT_TCP_SYN;
	p.ack = 0;
	swt_opt_mss(&p, 1460);
	len = swt_build(&p, b, sizeof(b), &lo);
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || sendto(fd, b + lo.l3, len - lo.l3, 0,
			     (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		snprintf(swt_why, sizeof(swt_why), "raw SYN: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		conn_close(&c);
		return SWT_FAIL;
	}
	close(fd);
	for (i = 0; i < 100 && !in_syn_recv(c.lport); i++)
		usleep(10000);
	if (!in_syn_recv(c.lport)) {
		conn_close(&c);
		SWT_FAIL("no request socket on port %u", c.lport);
	}
	r = protect(c.lport, true);
	if (r == SWT_PASS) {
		p.optlen = 0;
		p.seq++;
		p.ack = 0x02000000; /* whatever the listener's ISN was */
		p.flags = SWT_TCP_ACK;
		r = swt_sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			    "ACK to a request socket");
	}
	conn_close(&c);
	return r;
}

/* ---- passed untouched ------------------------------------------------ */
