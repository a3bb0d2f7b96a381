// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: flows with a socket (established, listener, time-wait,
 * request socket).
 */
#include "xdp.h"

/* ---- flows with a socket (bpf_skc_lookup_tcp) ------------------------ */

/* A listener on loopback and, if connect_it, one connection to it. */
static int conn_open(bool v6, bool connect_it, struct swt_conn *c)
{
	int r = swt_conn_open(v6, connect_it, c);

	if (r)
		snprintf(swt_why, sizeof(swt_why), "loopback TCP %s: %s",
			 v6 ? "IPv6" : "IPv4", strerror(-r));
	return r;
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
	struct swt_conn c;
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
		swt_pkt_loopback(&p, v6, c.cport, c.lport);
		p.flags = seg[i].flags;
		p.paylen = seg[i].paylen;
		r = swt_sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			    "%s of an established flow", seg[i].name);
	}
	/* the same port from another client port: only the listener */
	if (r == SWT_PASS) {
		swt_pkt_loopback(&p, v6, c.cport ^ 0x4000, c.lport);
		r = swt_sub(run_lo(&p, XDP_DROP, SWT_STAT(xdp_drop_bad_ack)),
			    "ACK to the listener, no flow");
	}
out:
	swt_conn_close(&c);
	return r;
}

int t_listener_is_not_a_flow(void)
{
	struct synwall_meta m;
	struct swt_conn c;
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
	swt_pkt_loopback(&syn, false, 40000, c.lport);
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
	swt_conn_close(&c);
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
	struct swt_conn c;
	struct swt_pkt p;
	char b;
	int i, r;

	/* the client closes first and keeps the flow in TIME_WAIT */
	if (conn_open(false, true, &c))
		return SWT_FAIL;
	close(c.cfd);
	c.cfd = -1;
	if (read(c.afd, &b, 1) != 0) {
		swt_conn_close(&c);
		SWT_FAIL("no EOF on the accepted socket");
	}
	close(c.afd);
	c.afd = -1;
	for (i = 0; i < 100 && !in_time_wait(c.cport); i++)
		usleep(10000);
	if (!in_time_wait(c.cport)) {
		swt_conn_close(&c);
		SWT_FAIL("client port %u never reached TIME_WAIT", c.cport);
	}
	/* a segment from the server side to the TIME_WAIT client port */
	r = protect(c.cport, true);
	if (r == SWT_PASS) {
		swt_pkt_loopback(&p, false, c.lport, c.cport);
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
		swt_pkt_loopback(&p, false, c.lport, c.cport);
		p.flags = SWT_TCP_SYN;
		p.ack = 0;
		swt_opt_linux_syn(&p, 1460, CLIENT_TSVAL, 7);
		r = swt_sub(run_lo(&p, XDP_PASS, SWT_STAT(xdp_pass_socket)),
			    "SYN reusing a TIME_WAIT 4-tuple");
	}
	swt_conn_close(&c);
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
	struct swt_conn c;
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
	swt_pkt_loopback(&p, false, 40001, c.lport);
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
		swt_conn_close(&c);
		return SWT_FAIL;
	}
	close(fd);
	for (i = 0; i < 100 && !in_syn_recv(c.lport); i++)
		usleep(10000);
	if (!in_syn_recv(c.lport)) {
		swt_conn_close(&c);
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
	swt_conn_close(&c);
	return r;
}

/* ---- passed untouched ------------------------------------------------ */
