// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: the flow table (bpf/flows.h).  XDP's side through entries the
 * test writes itself; the writers' side (the socket-state trace, the seed
 * iterator) through real loopback sockets, the entries they leave read
 * back from the map and compared with the sockets' own addresses.
 */
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp.h"
#include <netinet/tcp.h>
#include "synwall.skel.h"
#include "synwall_hooks.skel.h"
#include "flows.h" /* loader/lib: the hooks on the table's maps */

static int flows_fd(bool v6)
{
	return bpf_map__fd(v6 ? env.skel->maps.flows6 : env.skel->maps.flows4);
}

static int ctl_write(__u32 on, __u32 netns_ino)
{
	struct synwall_flow_ctl c = {.on = on, .netns_ino = netns_ino};
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(env.skel->maps.flow_ctl), &zero, &c,
				BPF_ANY))
		SWT_FAIL("flow_ctl write: %s", strerror(errno));
	return SWT_PASS;
}

static int ctl_read(struct synwall_flow_ctl *c)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(env.skel->maps.flow_ctl), &zero, c))
		SWT_FAIL("flow_ctl read: %s", strerror(errno));
	return SWT_PASS;
}

static int clear(bool v6)
{
	__u8 k[36], next[36];

	while (!bpf_map_get_next_key(flows_fd(v6), NULL, next)) {
		memcpy(k, next, sizeof(k));
		if (bpf_map_delete_elem(flows_fd(v6), k))
			SWT_FAIL("flows delete: %s", strerror(errno));
	}
	return SWT_PASS;
}

/* Empty map fd of keys of key_size bytes. */
static int clear_map(int fd, size_t key_size)
{
	__u8 k[64], next[64];

	if (key_size > sizeof(k))
		SWT_FAIL("key of %zu bytes", key_size);
	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(k, next, key_size);
		if (bpf_map_delete_elem(fd, k))
			SWT_FAIL("map delete: %s", strerror(errno));
	}
	return SWT_PASS;
}

/* listen_any (bpf/listeners.h): every counter 0, in one call */
static int clear_listen_any(void)
{
	static __u32 keys[2 * 65536], zeros[2 * 65536];
	__u32 i, n = sizeof(keys) / sizeof(keys[0]);
	int fd = bpf_map__fd(env.skel->maps.listen_any);

	for (i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(fd, keys, zeros, &n, NULL))
		SWT_FAIL("listen_any: batch update: %s", strerror(errno));
	return SWT_PASS;
}

/* Empty the tables and switch them off: every case's start. */
int flows_reset(void)
{
	TRY(clear(false));
	TRY(clear(true));
	TRY(clear_map(bpf_map__fd(env.skel->maps.listeners),
		      sizeof(struct synwall_listen_key)));
	TRY(clear_map(bpf_map__fd(env.skel->maps.listen_socks), sizeof(__u64)));
	TRY(clear_listen_any());
	return ctl_write(0, 0);
}

/*
 * The key of packet p as the wire shows it (the peer is its source), built
 * here from the packet's bytes, not from the program's structures.
 */
static size_t key_of_pkt(const struct swt_pkt *p, __u8 *k)
{
	__u16 rport = htons(p->sport), lport = htons(p->dport);
	size_t a = p->v6 ? 16 : 4;

	memcpy(k, p->saddr, a);
	memcpy(k + a, p->daddr, a);
	memcpy(k + 2 * a, &rport, 2);
	memcpy(k + 2 * a + 2, &lport, 2);
	return 2 * a + 4;
}

static int put(const struct swt_pkt *p, __u64 tw_until)
{
	struct synwall_flow v = {.tw_until = tw_until};
	__u8 k[36];

	key_of_pkt(p, k);
	if (bpf_map_update_elem(flows_fd(p->v6), k, &v, BPF_ANY))
		SWT_FAIL("flows insert: %s", strerror(errno));
	return SWT_PASS;
}

/* -1: no entry for p's flow, else its tw_until */
static long long entry_of(const struct swt_pkt *p)
{
	struct synwall_flow v;
	__u8 k[36];

	key_of_pkt(p, k);
	if (bpf_map_lookup_elem(flows_fd(p->v6), k, &v))
		return -1;
	return (long long)v.tw_until;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static __u32 netns_ino(void)
{
	struct stat sb;

	return stat("/proc/self/ns/net", &sb) ? 0 : (__u32)sb.st_ino;
}

/* A protected port nothing listens on: only the table can pass its ACKs. */
#define PORT_FLOW 8443

int t_flow_table_hit(long v6)
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
		{"bare (no flags)", 0, 0},
	};
	struct swt_pkt p;
	size_t i;

	TRY(protect(PORT_FLOW, true));
	swt_pkt_init(&p, v6);
	p.sport = 40001;
	p.dport = PORT_FLOW;
	p.flags = SWT_TCP_ACK;
	p.ack = 0x02000000; /* not a cookie */
	/* off: an entry is not read, the ACK has neither cookie nor socket */
	TRY(put(&p, 0));
	TRY(swt_sub(expect_drop(&p, SWT_STAT(xdp_drop_bad_ack)),
		    "table off, entry present"));
	TRY(ctl_write(1, 0));
	for (i = 0; i < sizeof(seg) / sizeof(seg[0]); i++) {
		p.flags = seg[i].flags;
		p.paylen = seg[i].paylen;
		TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_flow)),
			    "%s of a flow in the table", seg[i].name));
	}
	/* an option Linux tolerates and synwall's parser would refuse */
	p.flags = SWT_TCP_ACK;
	p.paylen = 0;
	memcpy(p.opt, "\xfd\x01\x00\x00", 4); /* a length below 2 */
	p.optlen = 4;
	TRY(ctl_write(0, 0));
	TRY(swt_sub(expect_drop(&p, SWT_STAT(xdp_drop_malformed)),
		    "odd options, table off"));
	TRY(ctl_write(1, 0));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_flow)),
		    "odd options on a flow in the table"));
	p.optlen = 0;
	/* a SYN never reads the table: the lookup finds no listener */
	p.flags = SWT_TCP_SYN;
	p.ack = 0;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "SYN on a 4-tuple in the table"));
	/* another peer port: a miss, judged as without the table */
	p.flags = SWT_TCP_ACK;
	p.ack = 0x02000000;
	p.sport = 40002;
	TRY(swt_sub(expect_drop(&p, SWT_STAT(xdp_drop_bad_ack)),
		    "ACK of a flow not in the table"));
	return SWT_PASS;
}

int t_flow_table_time_wait(void)
{
	struct swt_pkt p;

	TRY(protect(PORT_FLOW, true));
	TRY(ctl_write(1, 0));
	swt_pkt_init(&p, false);
	p.sport = 40003;
	p.dport = PORT_FLOW;
	p.flags = SWT_TCP_ACK | SWT_TCP_FIN;
	TRY(put(&p, mono_ns() + 30ull * 1000000000ull));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_flow)),
		    "FIN|ACK within the TIME_WAIT"));
	ASSERT_TRUE(entry_of(&p) > 0, "the TIME_WAIT entry stays");
	/* past its time: deleted by XDP, and the packet is judged anew */
	TRY(put(&p, mono_ns() - 1000000000ull));
	p.flags = SWT_TCP_ACK;
	TRY(swt_sub(expect_drop(&p, SWT_STAT(xdp_drop_bad_ack)),
		    "ACK after the TIME_WAIT"));
	ASSERT_EQ(entry_of(&p), -1, "the expired entry (-1: deleted)");
	return SWT_PASS;
}

/*
 * A loopback listener (ephemeral port), protected before any connect;
 * dual: an IPv6 socket on [::] that takes IPv4 too (IPV6_V6ONLY 0).
 */
static int listen_any(bool v6, bool dual, int *lfd, __u16 *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd, zero = 0;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = dual ? in6addr_any : in6addr_loopback;
		len = sizeof(*a);
		if (dual && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				       sizeof(zero))) {
			close(fd);
			return -errno;
		}
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		int e = -errno;

		close(fd);
		return e;
	}
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			   ((struct sockaddr_in *)&ss)->sin_port);
	*lfd = fd;
	if (protect(*port, true) != SWT_PASS) {
		close(fd);
		return -EIO;
	}
	return 0;
}

static int listen_protected(bool v6, int *lfd, __u16 *port)
{
	return listen_any(v6, false, lfd, port);
}

/* A protected IPv4 loopback listener, and trace program prog attached. */
static int listen_traced(struct bpf_program *prog, int *lfd, __u16 *port,
			 struct bpf_link **l)
{
	int r = listen_protected(false, lfd, port);

	if (r)
		SWT_FAIL("loopback listener: %s", strerror(-r));
	*l = bpf_program__attach(prog);
	if (!*l) {
		close(*lfd);
		SWT_FAIL("attach %s: %s", bpf_program__name(prog),
			 strerror(errno));
	}
	return SWT_PASS;
}

/*
 * Connect to the listener on ::1 or 127.0.0.1 (v6 picks): c gets the
 * client and the accepted socket.
 */
static int connect_to(bool v6, int lfd, __u16 port, struct swt_conn *c)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;

	(void)lfd;
	c->lfd = -1;
	c->lport = port;
	c->cfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	c->afd = -1;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	if (c->cfd < 0 || connect(c->cfd, (struct sockaddr *)&ss, len))
		return -errno;
	c->afd = accept(lfd, NULL, NULL);
	len = sizeof(ss);
	if (c->afd < 0 || getsockname(c->cfd, (struct sockaddr *)&ss, &len))
		return -errno;
	c->cport = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			      ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static int wait_entry(const struct swt_pkt *p, int want, const char *what)
{
	long long e = -1;
	int i;

	/* want: -1 no entry, 0 a live one, 1 a TIME_WAIT one */
	for (i = 0; i < 200; i++) {
		e = entry_of(p);
		if ((want < 0 && e < 0) || (want == 0 && e == 0) ||
		    (want > 0 && e > 0))
			return SWT_PASS;
		usleep(5000);
	}
	SWT_FAIL("%s: entry %lld (-1: none, 0: live, else TIME_WAIT), want %s",
		 what, e,
		 want < 0 ? "none" :
		 want	  ? "TIME_WAIT" :
			    "live");
}

/* Connect, and wait for the connection's live entry; p: its ACK. */
static int connect_live(bool v6, int lfd, __u16 port, struct swt_conn *c,
			struct swt_pkt *p, const char *what)
{
	int r = connect_to(v6, lfd, port, c);

	if (r) {
		swt_conn_close(c);
		SWT_FAIL("loopback connect: %s", strerror(-r));
	}
	swt_pkt_loopback(p, v6, c->cport, c->lport);
	return wait_entry(p, 0, what);
}

static int trace_case(bool v6, int lfd, __u16 port)
{
	struct swt_conn c;
	struct swt_pkt p;
	long long tw;
	char b;
	int r;

	/* 1. a connection: live, and its segments pass on the table */
	r = connect_live(v6, lfd, port, &c, &p, "established");
	if (r == SWT_PASS)
		r = swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_flow)),
			    "ACK of the traced connection");
	/* 2. the client closes first: the server side ends through
	 * LAST_ACK, with no TIME_WAIT, and its entry goes */
	if (r == SWT_PASS) {
		close(c.cfd);
		c.cfd = -1;
		if (read(c.afd, &b, 1) != 0)
			r = swt_failf(__FILE__, __LINE__, "no EOF");
		close(c.afd);
		c.afd = -1;
		if (r == SWT_PASS)
			r = wait_entry(&p, -1, "after a passive close");
	}
	swt_conn_close(&c);
	if (r != SWT_PASS)
		return r;
	/* 3. the server closes first: its TIME_WAIT keeps the entry 61 s */
	r = connect_live(v6, lfd, port, &c, &p, "second connection");
	if (r != SWT_PASS) {
		swt_conn_close(&c);
		return r;
	}
	close(c.afd);
	c.afd = -1;
	if (read(c.cfd, &b, 1) != 0) {
		swt_conn_close(&c);
		SWT_FAIL("no EOF on the client");
	}
	close(c.cfd);
	c.cfd = -1;
	swt_conn_close(&c);
	TRY(wait_entry(&p, 1, "after an active close"));
	tw = entry_of(&p) - (long long)mono_ns();
	ASSERT_TRUE(tw > 59000000000ll && tw <= 61000000000ll,
		    "TIME_WAIT entry ends in %lld ns, want 59-61 s", tw);
	p.flags = SWT_TCP_ACK | SWT_TCP_FIN;
	return swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_flow)),
		       "FIN|ACK to the TIME_WAIT flow");
}

/* v6: 0 IPv4, 1 IPv6, 2 IPv4 to a dual-stack IPv6 listener (v4-mapped) */
int t_flow_trace_sockets(long v6)
{
	struct bpf_link *l;
	__u16 port;
	int lfd, r;

	TRY(ctl_write(1, netns_ino()));
	r = listen_any(v6 != 0, v6 == 2, &lfd, &port);
	if (r) {
		if (v6 == 1)
			return swt_skipf("no IPv6 loopback (::1): %s",
					 strerror(-r));
		SWT_FAIL("loopback listener: %s", strerror(-r));
	}
	l = bpf_program__attach(env.skel->progs.synwall_flow_trace);
	if (!l) {
		close(lfd);
		SWT_FAIL("attach tp_btf/inet_sock_set_state: %s",
			 strerror(errno));
	}
	/* a v4-mapped flow has IPv4 packets: its entry is an IPv4 one */
	r = trace_case(v6 == 1, lfd, port);
	bpf_link__destroy(l);
	close(lfd);
	return r;
}

/* Entries of the IPv4 table. */
static unsigned long count4(void)
{
	__u8 k[12], next[12];
	unsigned long n = 0;

	while (!bpf_map_get_next_key(flows_fd(false), n ? k : NULL, next)) {
		memcpy(k, next, sizeof(k));
		n++;
	}
	return n;
}

/* Fill the IPv4 table with max entries v of other 4-tuples. */
static int fill4(const struct synwall_flow *v, __u32 max)
{
	__u32 i;

	for (i = 0; i < max; i++) {
		struct {
			__u32 raddr, laddr;
			__u16 rport, lport;
		} k = {htonl(0x0a000000u + i), htonl(0x0a630001u), htons(4242),
		       htons(PORT_FLOW)};

		if (bpf_map_update_elem(flows_fd(false), &k, v, BPF_NOEXIST))
			SWT_FAIL("filling entry %u of %u: %s", i, max,
				 strerror(errno));
	}
	return SWT_PASS;
}

/*
 * A full table: the trace sweeps the TIME_WAIT entries past their time
 * (bpf/flows.h, sw_flow_sweep) and inserts the new flow.  The table is
 * filled with expired TIME_WAIT entries of other 4-tuples, then a real
 * connection is made.
 */
int t_flow_sweep(void)
{
	struct synwall_flow v = {.tw_until = 1}; /* long past */
	struct synwall_flow_ctl ctl;
	__u32 max = bpf_map__max_entries(env.skel->maps.flows4);
	struct bpf_link *l;
	struct swt_conn c;
	struct swt_pkt p;
	__u16 port;
	int lfd, r;

	TRY(fill4(&v, max));
	ASSERT_EQ(count4(), max, "entries after the fill");
	TRY(ctl_write(1, netns_ino()));
	TRY(listen_traced(env.skel->progs.synwall_flow_trace, &lfd, &port, &l));
	r = connect_to(false, lfd, port, &c);
	swt_pkt_loopback(&p, false, c.cport, c.lport);
	if (r)
		r = swt_failf(__FILE__, __LINE__, "connect: %s", strerror(-r));
	else
		r = wait_entry(&p, 0, "the connection, table full before");
	{
		/* what the sweep cost, where kernel.bpf_stats_enabled=1 */
		struct bpf_prog_info pi = {};
		__u32 len = sizeof(pi);

		if (!bpf_obj_get_info_by_fd(
			    bpf_program__fd(env.skel->progs.synwall_flow_trace),
			    &pi, &len) &&
		    pi.run_cnt)
			printf("  # flow_sweep: the trace ran %llu times, "
			       "%llu ns in all (one sweep of %u entries "
			       "among them)\n",
			       (unsigned long long)pi.run_cnt,
			       (unsigned long long)pi.run_time_ns, max);
	}
	bpf_link__destroy(l);
	swt_conn_close(&c);
	close(lfd);
	if (r != SWT_PASS)
		return r;
	TRY(ctl_read(&ctl));
	ASSERT_EQ(ctl.sweeps, 1, "flow_ctl.sweeps");
	ASSERT_EQ(ctl.insert_err, 0, "flow_ctl.insert_err");
	/* SW_SWEEP_MAX (4096) expired ones went, and the new flow came in */
	ASSERT_EQ(count4(), max - 4096 + 1, "entries after the sweep");
	return SWT_PASS;
}

/* Another namespace's sockets are not this table's: none is written. */
int t_flow_trace_v4_mapped(void)
{
	return t_flow_trace_sockets(2);
}

int t_flow_trace_other_netns(void)
{
	struct bpf_link *l;
	struct swt_conn c;
	struct swt_pkt p;
	__u16 port;
	int lfd, r;

	TRY(ctl_write(1, netns_ino() + 1));
	TRY(listen_traced(env.skel->progs.synwall_flow_trace, &lfd, &port, &l));
	r = connect_to(false, lfd, port, &c);
	usleep(50000);
	swt_pkt_loopback(&p, false, c.cport, c.lport);
	if (r)
		r = swt_failf(__FILE__, __LINE__, "connect: %s", strerror(-r));
	else if (entry_of(&p) >= 0)
		r = swt_failf(__FILE__, __LINE__,
			      "a socket of another namespace got an entry");
	else
		r = SWT_PASS;
	swt_conn_close(&c);
	bpf_link__destroy(l);
	close(lfd);
	return r;
}

/* The seed: sockets made before the trace, TIME_WAIT ones included. */
int t_flow_seed(void)
{
	struct swt_conn live, tw;
	struct swt_pkt pl, pt;
	struct synwall_flow_ctl ctl;
	char b;
	__u16 port;
	int lfd, r, e;

	TRY(ctl_write(0, netns_ino()));
	if ((r = listen_protected(false, &lfd, &port)))
		SWT_FAIL("loopback listener: %s", strerror(-r));
	r = connect_to(false, lfd, port, &live);
	if (!r)
		r = connect_to(false, lfd, port, &tw);
	if (r) {
		close(lfd);
		SWT_FAIL("loopback connect: %s", strerror(-r));
	}
	/* the server closes tw first: a TIME_WAIT socket on its side */
	close(tw.afd);
	tw.afd = -1;
	if (read(tw.cfd, &b, 1) == 0) {
		close(tw.cfd);
		tw.cfd = -1;
	}
	usleep(50000);
	swt_pkt_loopback(&pl, false, live.cport, live.lport);
	swt_pkt_loopback(&pt, false, tw.cport, tw.lport);
	r = SWT_PASS;
	if (entry_of(&pl) >= 0 || entry_of(&pt) >= 0)
		r = swt_failf(__FILE__, __LINE__,
			      "entries before the seed ran (no trace here)");
	if (r == SWT_PASS &&
	    (e = swt_iter_run(env.skel->progs.synwall_flow_seed)))
		r = swt_failf(__FILE__, __LINE__, "the seed (iter/tcp): %s",
			      strerror(-e));
	if (r == SWT_PASS) {
		if (entry_of(&pl) != 0)
			r = swt_failf(__FILE__, __LINE__,
				      "the established socket: entry %lld, "
				      "want 0 (live)",
				      entry_of(&pl));
		else if (entry_of(&pt) <= 0)
			r = swt_failf(__FILE__, __LINE__,
				      "the TIME_WAIT socket: entry %lld, "
				      "want a TIME_WAIT end",
				      entry_of(&pt));
		else if (ctl_read(&ctl) == SWT_PASS && ctl.seeded != 2)
			r = swt_failf(__FILE__, __LINE__,
				      "flow_ctl.seeded = %llu, want 2",
				      (unsigned long long)ctl.seeded);
	}
	swt_conn_close(&live);
	swt_conn_close(&tw);
	close(lfd);
	return r;
}

static int ctl_trust(__u32 trusted, __u64 kcookie_at)
{
	struct synwall_flow_ctl c;
	__u32 zero = 0;

	TRY(ctl_read(&c));
	c.trusted = trusted;
	c.kcookie_at = kcookie_at;
	if (bpf_map_update_elem(bpf_map__fd(env.skel->maps.flow_ctl), &zero, &c,
				BPF_ANY))
		SWT_FAIL("flow_ctl write: %s", strerror(errno));
	return SWT_PASS;
}

/* Run p on loopback (ifindex 1), where its addresses are local. */
static int lo_run(const struct swt_pkt *p, __u32 verdict, size_t counter)
{
	static __u8 buf[SWT_PKT_MAX];
	struct want w = {.verdict = verdict, .counter = counter, .ifindex = 1};

	return run(buf, swt_build(p, buf, sizeof(buf), NULL), &w);
}

static int lo_pass(const struct swt_pkt *p, size_t counter)
{
	return lo_run(p, XDP_PASS, counter);
}

static int lo_drop(const struct swt_pkt *p, size_t counter)
{
	return lo_run(p, XDP_DROP, counter);
}

/*
 * A real loopback connection on a protected port that the table does not
 * hold (a missed flow: a trusted table never lets one happen), the table
 * on and not trusted, and p one of its ACKs whose ack is no cookie.
 * SWT_PASS with c open; else the skip or the failure, c closed.
 */
static int missed_flow_open(long v6, struct swt_conn *c, struct swt_pkt *p)
{
	int r = swt_conn_open(v6, true, c);

	if (r) {
		if (v6)
			return swt_skipf("no IPv6 loopback (::1): %s",
					 strerror(-r));
		SWT_FAIL("loopback connection: %s", strerror(-r));
	}
	swt_pkt_loopback(p, v6, c->cport, c->lport);
	p->ack = 0x02000000; /* not a cookie */
	r = protect(c->lport, true);
	if (r == SWT_PASS)
		r = ctl_write(1, 0);
	if (r != SWT_PASS)
		swt_conn_close(c);
	return r;
}

/*
 * A trusted table answers a miss itself: a segment that is not a SYN and
 * misses the table has no socket, and the socket lookup is skipped.  Shown
 * with a real connection that is not in the table (which a trusted table
 * never lets happen): its ACK is looked up and passed while the table is
 * not trusted, and judged as a cookie (and dropped) once it is.  A SYN
 * still asks the kernel.
 */
int t_flow_table_trusted(long v6)
{
	struct swt_conn c;
	struct swt_pkt p;
	int r = missed_flow_open(v6, &c, &p);

	if (r != SWT_PASS)
		return r;
	if (r == SWT_PASS)
		r = swt_sub(lo_pass(&p, SWT_STAT(xdp_pass_socket)),
			    "untrusted miss: looked up, the socket found");
	if (r == SWT_PASS)
		r = ctl_trust(1, 0);
	if (r == SWT_PASS)
		r = swt_sub(lo_drop(&p, SWT_STAT(xdp_drop_bad_ack)),
			    "trusted miss: no lookup, a bad cookie");
	if (r == SWT_PASS) {
		p.flags = SWT_TCP_ACK | SWT_TCP_PSH;
		p.paylen = 10;
		r = swt_sub(lo_drop(&p, SWT_STAT(xdp_drop_bad_ack)),
			    "trusted miss: data, no lookup");
		p.paylen = 0;
	}
	if (r == SWT_PASS) {
		p.flags = SWT_TCP_RST;
		r = swt_sub(lo_drop(&p, SWT_STAT(xdp_drop_no_socket)),
			    "trusted miss: RST, no lookup");
	}
	if (r == SWT_PASS) {
		/* the listener table has no entry: nobody listens, as far
		 * as a trusted table knows (the real listener is not
		 * asked) */
		p.flags = SWT_TCP_SYN;
		p.ack = 0;
		r = swt_sub(
			lo_pass(&p, SWT_STAT(xdp_pass_no_listener)),
			"trusted table, SYN: no lookup, the listener table");
	}
	if (r == SWT_PASS) {
		p.flags = SWT_TCP_ACK;
		p.ack = 0x02000000;
		r = put(&p, 0);
	}
	if (r == SWT_PASS)
		r = swt_sub(lo_pass(&p, SWT_STAT(xdp_pass_flow)),
			    "trusted table, a hit");
	if (r == SWT_PASS) {
		p.flags = SWT_TCP_SYN;
		p.ack = 0;
		r = swt_sub(lo_pass(&p, SWT_STAT(xdp_pass_flow)),
			    "trusted table, a SYN of a flow with a socket");
	}
	swt_conn_close(&c);
	return r;
}

static int la_put(bool v6, __u16 port, __u32 n);

/*
 * The differential mode (SYNWALL_CF_VERIFY_FLOWS, --verify-flows on): a
 * trusted miss is looked up as well, and a socket found is a missed flow
 * where the table's answer would hurt it (a drop, a cookie SYN-ACK):
 * counted and passed to the socket instead; the table's hit, a miss
 * without a socket and a pass are judged as without the mode.
 */
int t_flow_verify(long v6)
{
	struct swt_conn c;
	struct swt_pkt p;
	int r = missed_flow_open(v6, &c, &p);

	if (r != SWT_PASS)
		return r;
	if (r == SWT_PASS)
		r = ctl_trust(1, 0);
	if (r == SWT_PASS)
		r = swt_sub(lo_drop(&p, SWT_STAT(xdp_drop_bad_ack)),
			    "mode off: the missed flow's segment is dropped");
	if (r == SWT_PASS) {
		cfg.flags |= SYNWALL_CF_VERIFY_FLOWS;
		r = write_config();
	}
	if (r == SWT_PASS)
		r = swt_sub(lo_pass(&p, SWT_STAT(xdp_pass_flow_missed)),
			    "mode on: the missed flow counted and passed");
	if (r == SWT_PASS) {
		p.flags = SWT_TCP_SYN;
		p.ack = 0;
		/* passed either way: no harm, not counted */
		r = swt_sub(lo_pass(&p, SWT_STAT(xdp_pass_no_listener)),
			    "mode on: a SYN of the missed flow, nobody listens "
			    "as far as the table knows");
	}
	if (r == SWT_PASS)
		r = la_put(v6, c.lport, 1);
	if (r == SWT_PASS) {
		r = swt_sub(lo_pass(&p, SWT_STAT(xdp_pass_flow_missed)),
			    "mode on: a SYN of the missed flow that the "
			    "table would answer with a cookie");
		la_put(v6, c.lport, 0);
	}
	p.flags = SWT_TCP_ACK;
	p.ack = 0x02000000;
	if (r == SWT_PASS) {
		p.sport ^= 0x4000; /* a 4-tuple without a socket */
		r = swt_sub(lo_drop(&p, SWT_STAT(xdp_drop_bad_ack)),
			    "mode on: a miss without a socket, judged as "
			    "before");
		p.sport ^= 0x4000;
	}
	if (r == SWT_PASS)
		r = put(&p, 0);
	if (r == SWT_PASS)
		r = swt_sub(lo_pass(&p, SWT_STAT(xdp_pass_flow)),
			    "mode on: a hit, no lookup");
	cfg.flags &= ~SYNWALL_CF_VERIFY_FLOWS;
	if (write_config() != SWT_PASS && r == SWT_PASS)
		r = swt_failf(__FILE__, __LINE__, "config write (mode off)");
	swt_conn_close(&c);
	return r;
}

/* The second copy of the state trace keeps the table alone as well. */
int t_flow_trace2_alone(void)
{
	struct bpf_link *l;
	__u16 port;
	int lfd, r;

	TRY(ctl_write(1, netns_ino()));
	TRY(listen_traced(env.skel->progs.synwall_flow_trace2, &lfd, &port,
			  &l));
	r = trace_case(false, lfd, port);
	bpf_link__destroy(l);
	close(lfd);
	return r;
}

/*
 * A table that cannot take a socket's entry is no longer trusted: every
 * slot is taken by a live entry (nothing to sweep), a connection is made,
 * its insert fails, and flow_ctl.trusted drops to 0 with insert_err
 * counting it.
 */
int t_flow_full_distrusts(void)
{
	struct synwall_flow v = {.tw_until = 0}; /* live: never swept */
	struct synwall_flow_ctl ctl;
	__u32 max = bpf_map__max_entries(env.skel->maps.flows4);
	struct bpf_link *l;
	struct swt_conn c;
	__u16 port;
	int lfd, r;

	TRY(fill4(&v, max));
	TRY(ctl_write(1, netns_ino()));
	TRY(ctl_trust(1, 0));
	TRY(listen_traced(env.skel->progs.synwall_flow_trace, &lfd, &port, &l));
	r = connect_to(false, lfd, port, &c);
	usleep(50000);
	bpf_link__destroy(l);
	swt_conn_close(&c);
	close(lfd);
	if (r)
		SWT_FAIL("connect: %s", strerror(-r));
	TRY(ctl_read(&ctl));
	ASSERT_TRUE(ctl.insert_err >= 1,
		    "flow_ctl.insert_err = %llu, want >= 1",
		    (unsigned long long)ctl.insert_err);
	ASSERT_EQ(ctl.trusted, 0, "flow_ctl.trusted after a failed insert");
	return SWT_PASS;
}

/* ---- the kernel function hooks (synwall_hooks.bpf.o) ------------------ */

/*
 * Can this kernel load a program on a kernel function at all?  Asked with
 * a program of no consequence (build/e2e/fentry_probe.bpf.o), so that a
 * kernel that refuses fentry is a skip and synwall's hooks failing where
 * fentry works is a failure.  NULL, or why not.
 */
static const char *fentry_refused(void)
{
	static char why[160];
	struct bpf_object *o;
	int err;

	o = bpf_object__open_file("build/e2e/fentry_probe.bpf.o", NULL);
	if (!o) {
		snprintf(why, sizeof(why),
			 "cannot open build/e2e/fentry_probe.bpf.o: %s",
			 strerror(errno));
		return why;
	}
	err = bpf_object__load(o);
	bpf_object__close(o);
	if (!err)
		return NULL;
	snprintf(why, sizeof(why),
		 "this kernel refuses fentry programs (a minimal one on "
		 "inet_ehash_nolisten: %s)",
		 strerror(-err));
	return why;
}

/* The hooks on env's maps, attached; *links gets their links. */
static int hooks_start(struct synwall_hooks **h, struct bpf_link **links,
		       int *n)
{
	struct bpf_program *prog;
	char why[256];
	int err;

	*n = 0;
	*h = synwall_hooks__open();
	if (!*h)
		SWT_FAIL("synwall_hooks__open: %s", strerror(errno));
	if (sw_hooks_share_maps((*h)->obj, env.skel->obj, why, sizeof(why)))
		SWT_FAIL("%s", why);
	err = synwall_hooks__load(*h);
	if (err)
		SWT_FAIL("the hooks do not load where fentry does: %s",
			 strerror(-err));
	bpf_object__for_each_program(prog, (*h)->obj)
	{
		if (*n >= SW_FLOW_NLINKS)
			SWT_FAIL("more hooks than the loader's %d links",
				 SW_FLOW_NLINKS);
		links[*n] = bpf_program__attach(prog);
		if (!links[*n])
			SWT_FAIL("attach %s: %s", bpf_program__name(prog),
				 strerror(errno));
		(*n)++;
	}
	return SWT_PASS;
}

static void hooks_stop(struct synwall_hooks *h, struct bpf_link **links, int n)
{
	while (n > 0)
		bpf_link__destroy(links[--n]);
	synwall_hooks__destroy(h);
}

/*
 * A kernel handshake, step by step: the request socket gets an entry
 * with an end (the listener defers accept, so the client's bare final ACK
 * leaves it a request: fentry inet_csk_reqsk_queue_hash_add); its segments
 * pass on the table; the client's data makes the child, whose entry is
 * live (fentry inet_ehash_nolisten).  Then the kernel's own cookies
 * (tcp_syncookies=2: every SYN) move flow_ctl.kcookie_at.
 */
int t_flow_hooks(long v6)
{
	const char *why = fentry_refused();
	struct synwall_hooks *h = NULL;
	struct bpf_link *links[SW_FLOW_NLINKS];
	struct synwall_flow_ctl ctl;
	struct swt_conn c = {.lfd = -1, .cfd = -1, .afd = -1};
	struct swt_pkt p;
	int n = 0, r, lfd = -1, secs = 10;
	long long end;
	__u64 t0;
	__u16 port;

	if (why)
		return swt_skipf("%s", why);
	TRY(ctl_write(1, netns_ino()));
	TRY(ctl_trust(1, 0));
	r = hooks_start(&h, links, &n);
	if (r == SWT_PASS && (r = listen_any(v6, false, &lfd, &port))) {
		if (v6) {
			hooks_stop(h, links, n);
			return swt_skipf("no IPv6 loopback (::1): %s",
					 strerror(-r));
		}
		r = swt_failf(__FILE__, __LINE__, "listener: %s", strerror(-r));
	}
	if (r == SWT_PASS &&
	    setsockopt(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)))
		r = swt_failf(__FILE__, __LINE__, "TCP_DEFER_ACCEPT: %s",
			      strerror(errno));
	if (r == SWT_PASS) {
		/* connect() returns at the SYN-ACK; accept() would wait */
		c.lport = port;
		c.cfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
		if (c.cfd < 0) {
			r = swt_failf(__FILE__, __LINE__, "socket: %s",
				      strerror(errno));
		} else {
			struct sockaddr_storage ss = {0};
			socklen_t len;

			if (v6) {
				struct sockaddr_in6 *a = (void *)&ss;

				a->sin6_family = AF_INET6;
				a->sin6_addr = in6addr_loopback;
				a->sin6_port = htons(port);
				len = sizeof(*a);
			} else {
				struct sockaddr_in *a = (void *)&ss;

				a->sin_family = AF_INET;
				a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
				a->sin_port = htons(port);
				len = sizeof(*a);
			}
			if (connect(c.cfd, (struct sockaddr *)&ss, len))
				r = swt_failf(__FILE__, __LINE__, "connect: %s",
					      strerror(errno));
			len = sizeof(ss);
			if (r == SWT_PASS &&
			    getsockname(c.cfd, (struct sockaddr *)&ss, &len))
				r = swt_failf(__FILE__, __LINE__,
					      "getsockname: %s",
					      strerror(errno));
			c.cport = ntohs(
				v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
				     ((struct sockaddr_in *)&ss)->sin_port);
		}
	}
	if (r == SWT_PASS) {
		swt_pkt_loopback(&p, v6, c.cport, c.lport);
		r = wait_entry(&p, 1, "the request socket (deferred accept)");
	}
	if (r == SWT_PASS) {
		end = entry_of(&p) - (long long)mono_ns();
		if (end < 60000000000ll || end > 1200000000000ll)
			r = swt_failf(__FILE__, __LINE__,
				      "the request's entry ends in %lld ns, "
				      "want 60-1200 s (5 SYN-ACK "
				      "retransmissions: 63 s)",
				      end);
	}
	if (r == SWT_PASS)
		r = swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_flow)),
			    "a segment of the request's flow");
	if (r == SWT_PASS && write(c.cfd, "x", 1) != 1)
		r = swt_failf(__FILE__, __LINE__, "write: %s", strerror(errno));
	if (r == SWT_PASS)
		r = wait_entry(&p, 0, "the child, once data came");
	/* the kernel's own cookies: every SYN with tcp_syncookies=2 (to a
	 * listener that accepts at once: connect_to() waits in accept()) */
	if (r == SWT_PASS)
		r = ctl_trust(1, 0);
	if (r == SWT_PASS) {
		struct swt_conn k = {.lfd = -1, .cfd = -1, .afd = -1};
		__u16 kport;
		int klfd;

		r = listen_any(v6, false, &klfd, &kport);
		if (r) {
			r = swt_failf(__FILE__, __LINE__, "listener: %s",
				      strerror(-r));
			goto out;
		}
		t0 = mono_ns();
		swt_sysctl_ipv4("tcp_syncookies", "2");
		r = connect_to(v6, klfd, kport, &k);
		swt_sysctl_ipv4("tcp_syncookies", "1");
		swt_conn_close(&k);
		close(klfd);
		if (r)
			r = swt_failf(__FILE__, __LINE__,
				      "connect with tcp_syncookies=2: %s",
				      strerror(-r));
		else if (ctl_read(&ctl) == SWT_PASS &&
			 (ctl.kcookie_at < t0 || ctl.kcookie_at > mono_ns()))
			r = swt_failf(__FILE__, __LINE__,
				      "flow_ctl.kcookie_at %llu, want the "
				      "connect's time (%llu..)",
				      (unsigned long long)ctl.kcookie_at,
				      (unsigned long long)t0);
		else if (ctl.trusted != 1 || ctl.insert_err)
			r = swt_failf(__FILE__, __LINE__,
				      "trusted %u, insert_err %llu after the "
				      "hooks' inserts",
				      ctl.trusted,
				      (unsigned long long)ctl.insert_err);
	}
out:
	swt_conn_close(&c);
	if (lfd >= 0)
		close(lfd);
	hooks_stop(h, links, n);
	return r;
}

/*
 * The observer of tests/bpf/hash_order.bpf.c on env's maps, its two
 * programs attached (before synwall's hooks: the kernel runs the newest
 * first, so that the observer's entry program runs after the hooks'); its
 * counters' map in *bss.
 */
static int order_start(struct bpf_object **o, struct bpf_link **l,
		       struct bpf_map **bss)
{
	const char *path = "build/tests/bpf/hash_order.bpf.o";
	struct bpf_program *prog;
	char why[256];
	int err, i = 0;

	*o = bpf_object__open_file(path, NULL);
	if (!*o) {
		*o = NULL;
		SWT_FAIL("open %s: %s", path, strerror(errno));
	}
	if (sw_hooks_share_maps(*o, env.skel->obj, why, sizeof(why)))
		SWT_FAIL("%s", why);
	err = bpf_object__load(*o);
	if (err)
		SWT_FAIL("load %s where synwall's hooks load: %s", path,
			 strerror(-err));
	*bss = bpf_object__find_map_by_name(*o, ".bss");
	if (!*bss)
		SWT_FAIL("%s has no .bss map", path);
	bpf_object__for_each_program(prog, *o)
	{
		if (i >= 2)
			SWT_FAIL("%s: more than two programs", path);
		l[i] = bpf_program__attach(prog);
		if (!l[i])
			SWT_FAIL("attach %s: %s", bpf_program__name(prog),
				 strerror(errno));
		i++;
	}
	return SWT_PASS;
}

/*
 * The hooks write a socket's entry only once the socket can be found in
 * the established hash.  An entry written before (at the entry of
 * inet_ehash_nolisten) opens a gap: a segment of the flow that another CPU
 * meets then passes on the table, and the kernel's lookup finds only the
 * listener, which cannot check synwall's cookie and resets the
 * connection (seen on the 6.12 guest's multiqueue virtio_net: a legit
 * connect reset).  Observed around a real child's hashing (the entry
 * there, then the entry of the connection from here): a loopback
 * connect with tcp_syncookies=2, whose child (the kernel's cookie; no
 * request socket, so no earlier entry) is hashed by the same call as
 * synwall's handoff's.
 */
int t_flow_hashed_order(long v6)
{
	const char *why = fentry_refused();
	struct synwall_hooks *h = NULL;
	struct bpf_link *links[SW_FLOW_NLINKS], *ol[2] = {NULL, NULL};
	struct swt_conn c = {.lfd = -1, .cfd = -1, .afd = -1};
	struct bpf_object *o = NULL;
	struct bpf_map *bss = NULL;
	__u64 order[3] = {0};
	__u32 zero = 0;
	int n = 0, r, lfd = -1;
	__u16 port;

	if (why)
		return swt_skipf("%s", why);
	TRY(ctl_write(1, netns_ino()));
	TRY(ctl_trust(1, 0));
	r = order_start(&o, ol, &bss);
	if (r == SWT_PASS)
		r = hooks_start(&h, links, &n);
	if (r == SWT_PASS && (r = listen_any(v6, false, &lfd, &port))) {
		if (v6) {
			r = swt_skipf("no IPv6 loopback (::1): %s",
				      strerror(-r));
			goto out;
		}
		r = swt_failf(__FILE__, __LINE__, "listener: %s", strerror(-r));
	}
	if (r == SWT_PASS) {
		swt_sysctl_ipv4("tcp_syncookies", "2");
		r = connect_to(v6, lfd, port, &c);
		swt_sysctl_ipv4("tcp_syncookies", "1");
		if (r)
			r = swt_failf(__FILE__, __LINE__,
				      "connect with tcp_syncookies=2: %s",
				      strerror(-r));
	}
	if (r == SWT_PASS &&
	    bpf_map_lookup_elem(bpf_map__fd(bss), &zero, order))
		r = swt_failf(__FILE__, __LINE__, "read the counters: %s",
			      strerror(errno));
	if (r == SWT_PASS && (order[0] < 1 || order[2] < 1))
		r = swt_failf(__FILE__, __LINE__,
			      "the child was not seen entering the hash "
			      "(%llu calls, %llu hashed)",
			      (unsigned long long)order[0],
			      (unsigned long long)order[2]);
	if (r == SWT_PASS && order[1])
		r = swt_failf(__FILE__, __LINE__,
			      "%llu of %llu sockets had an entry before they "
			      "were in the established hash",
			      (unsigned long long)order[1],
			      (unsigned long long)order[0]);
	if (r == SWT_PASS) {
		struct swt_pkt p;

		swt_pkt_loopback(&p, v6, c.cport, c.lport);
		r = wait_entry(&p, 0, "the child, once hashed");
	}
out:
	swt_conn_close(&c);
	if (lfd >= 0)
		close(lfd);
	bpf_link__destroy(ol[1]);
	bpf_link__destroy(ol[0]);
	bpf_object__close(o);
	hooks_stop(h, links, n);
	return r;
}

/* ---- the listener table (bpf/listeners.h) ----------------------------- */

/* A protected port nothing listens on but the table's entries. */
#define PORT_LISTEN 8444

static int lt_fd(void)
{
	return bpf_map__fd(env.skel->maps.listeners);
}

static void lt_key(struct synwall_listen_key *k, bool v6, const __u8 *addr,
		   __u16 port)
{
	memset(k, 0, sizeof(*k));
	if (addr)
		memcpy(k->addr, addr, v6 ? 16 : 4);
	k->port = htons(port);
	k->v6 = v6;
}

/* The entry of (addr or any, port) in the listener table. */
static int lt_put(bool v6, const __u8 *addr, __u16 port, __u32 socks,
		  __u32 bound)
{
	struct synwall_listener l = {.socks = socks, .bound = bound};
	struct synwall_listen_key k;

	lt_key(&k, v6, addr, port);
	if (bpf_map_update_elem(lt_fd(), &k, &l, BPF_ANY))
		SWT_FAIL("listeners insert: %s", strerror(errno));
	return SWT_PASS;
}

/* -1 if (addr or any, port) has no entry, else its socks | bound << 16 */
static long lt_get(bool v6, const __u8 *addr, __u16 port)
{
	struct synwall_listen_key k;
	struct synwall_listener l;

	lt_key(&k, v6, addr, port);
	if (bpf_map_lookup_elem(lt_fd(), &k, &l))
		return -1;
	return (long)l.socks | (long)l.bound << 16;
}

/*
 * A trusted SYN and the flow table: a live entry passes it (the socket's);
 * a TIME_WAIT or request entry, which may outlive its socket, sends it to
 * the socket lookup, which answers as without the table (here: no socket
 * for the 4-tuple, the test device's real listener on PORT_HTTP, so a
 * SYN-ACK; the listener table, empty, would have said nobody listens).
 */
int t_flow_table_syn(long v6)
{
	struct swt_synopts o;
	struct swt_pkt p;
	__u32 cookie, tsval;

	TRY(ctl_write(1, 0));
	TRY(ctl_trust(1, 0));
	syn_linux(&p, &o, v6, 1460);
	p.dport = PORT_HTTP;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "no entry: the (empty) listener table answers"));
	TRY(put(&p, mono_ns() + 30ull * 1000000000ull));
	TRY(swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		    "a TIME_WAIT entry: the socket lookup answers"));
	TRY(put(&p, 0));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_flow)),
		    "a live entry: the flow's socket"));
	TRY(put(&p, mono_ns() - 1000000000ull));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "an entry past its time: deleted, a miss"));
	ASSERT_EQ(entry_of(&p), -1, "the expired entry (-1: deleted)");
	return SWT_PASS;
}

/* listen_any's counter of (any, port): the unbound listeners there */
static long la_get(bool v6, __u16 port)
{
	__u32 slot = (__u32)port << 1 | v6, n;

	if (bpf_map_lookup_elem(bpf_map__fd(env.skel->maps.listen_any), &slot,
				&n))
		return -1;
	return n;
}

static int la_put(bool v6, __u16 port, __u32 n)
{
	__u32 slot = (__u32)port << 1 | v6;

	if (bpf_map_update_elem(bpf_map__fd(env.skel->maps.listen_any), &slot,
				&n, BPF_ANY))
		SWT_FAIL("listen_any write: %s", strerror(errno));
	return SWT_PASS;
}

/*
 * Does listen_any say what the hash's "any" entry want (socks | bound <<
 * 16, -1: none) says: socks - bound unbound listeners?
 */
static bool la_matches(bool v6, __u16 port, long want)
{
	long unbound = want < 0 ? 0 : (want & 0xffff) - (want >> 16);

	return la_get(v6, port) == unbound;
}

/* lt_get() of an address written out (NULL: any) */
static long lt_get_at(bool v6, const char *addr, __u16 port)
{
	__u8 a[16];

	if (addr && inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1)
		return -2;
	return lt_get(v6, addr ? a : NULL, port);
}

/*
 * A trusted table answers a SYN's "who listens?" from the listener table,
 * not the socket lookup: a SYN-ACK where the table counts a listener and
 * none exists, no answer where a listener exists and the table has none.
 * The key is the address the listener is bound to, or any; a socket bound
 * to a device (counted in .bound) sends the SYN to the socket lookup.
 */
int t_listener_table(long v6)
{
	static const __u8 other6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
					0,    0, 0, 0, 0, 0, 0, 0x99};
	static const __u8 other4[4] = {192, 0, 2, 99};
	struct swt_synopts o;
	struct swt_pkt p;
	__u32 cookie, tsval;

	TRY(protect(PORT_LISTEN, true));
	TRY(ctl_write(1, 0));
	TRY(ctl_trust(1, 0));
	syn_linux(&p, &o, v6, 1460);
	p.dport = PORT_LISTEN;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "no entry: nobody listens"));
	TRY(lt_put(v6, NULL, PORT_LISTEN, 1, 0));
	TRY(swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		    "a listener on any address (no socket exists: the "
		    "table answered)"));
	TRY(lt_put(v6, NULL, PORT_LISTEN, 0, 0));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "the listener closed (count 0)"));
	/* listen_any, read first: its count answers without the hash */
	TRY(la_put(v6, PORT_LISTEN, 1));
	TRY(swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		    "listen_any counts an unbound listener on any"));
	TRY(la_put(!v6, PORT_LISTEN, 1));
	TRY(la_put(v6, PORT_LISTEN, 0));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "listen_any counts one of the other family only"));
	TRY(la_put(!v6, PORT_LISTEN, 0));
	TRY(lt_put(v6, p.daddr, PORT_LISTEN, 1, 0));
	TRY(swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		    "a listener bound to the destination"));
	TRY(lt_put(v6, p.daddr, PORT_LISTEN, 0, 0));
	TRY(lt_put(v6, v6 ? other6 : other4, PORT_LISTEN, 1, 0));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "a listener bound to another address"));
	TRY(lt_put(!v6, NULL, PORT_LISTEN, 1, 0));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "a listener of the other family only"));
	/* bound to a device only: the socket lookup, which finds none on
	 * PORT_LISTEN and the test device's listener on PORT_HTTP */
	TRY(lt_put(v6, NULL, PORT_LISTEN, 1, 1));
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "device-bound only: the lookup finds nobody"));
	p.dport = PORT_HTTP;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "a real listener the table does not count: not asked"));
	TRY(lt_put(v6, NULL, PORT_HTTP, 1, 1));
	TRY(swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		    "device-bound only: the lookup finds the real listener"));
	TRY(lt_put(v6, NULL, PORT_HTTP, 2, 1));
	TRY(swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		    "one bound, one not"));
	/* untrusted: the table is not read, the socket lookup answers */
	TRY(lt_put(v6, NULL, PORT_LISTEN, 1, 0));
	TRY(ctl_trust(0, 0));
	p.dport = PORT_LISTEN;
	TRY(swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "untrusted: the lookup, not the table"));
	return SWT_PASS;
}

/*
 * A listening socket: family AF_INET or AF_INET6, bound to addr (NULL:
 * any) on an ephemeral port, IPV6_V6ONLY v6only, bound to device dev
 * (NULL: none), its port protected.  0 or -errno.
 */
static int lsock(int family, const char *addr, int v6only, const char *dev,
		 int *fd, __u16 *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int s = socket(family, SOCK_STREAM, 0), e;

	if (s < 0)
		return -errno;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		if (addr && inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			goto inval;
		len = sizeof(*a);
		if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			       sizeof(v6only)))
			goto err;
	} else {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		if (addr && inet_pton(AF_INET, addr, &a->sin_addr) != 1)
			goto inval;
		len = sizeof(*a);
	}
	if (dev &&
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, dev, strlen(dev) + 1))
		goto err;
	if (bind(s, (struct sockaddr *)&ss, len) ||
	    getsockname(s, (struct sockaddr *)&ss, &len))
		goto err;
	*port = ntohs(family == AF_INET6 ?
			      ((struct sockaddr_in6 *)&ss)->sin6_port :
			      ((struct sockaddr_in *)&ss)->sin_port);
	if (protect(*port, true) != SWT_PASS) {
		close(s);
		return -EIO;
	}
	if (listen(s, 8))
		goto err;
	*fd = s;
	return 0;
inval:
	errno = EINVAL;
err:
	e = -errno;
	close(s);
	return e;
}

/* The seed iterator, run once to its end. */
static int run_seed(void)
{
	int e = swt_iter_run(env.skel->progs.synwall_flow_seed);

	if (e)
		SWT_FAIL("the seed (iter/tcp): %s", strerror(-e));
	return SWT_PASS;
}

/* sockets recorded in listen_socks */
static int socks_counted(void)
{
	int fd = bpf_map__fd(env.skel->maps.listen_socks), n = 0;
	__u64 k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

#define LT_N 5
/*
 * The writers without fentry: the seed counts the listeners that exist,
 * under the keys the kernel's listener lookup matches them by, once however
 * often it runs; the socket-state trace uncounts them as they close.
 */
int t_listener_seed_close(void)
{
	static const struct {
		const char *what;
		int family, v6only;
		const char *addr, *dev;
		/* want: the IPv6 key's entry (addr6 or any), the IPv4 one
		 * (addr4 or any), as socks | bound << 16, -1 for none */
		const char *addr6, *addr4;
		long want6, want4;
	} ls[LT_N] = {
		{"IPv4 on 127.0.0.1", AF_INET, 0, "127.0.0.1", NULL, NULL,
		 "127.0.0.1", -1, 1},
		{"IPv6 on [::], dual-stack", AF_INET6, 0, NULL, NULL, NULL,
		 NULL, 1, 1},
		{"IPv6 on [::], IPV6_V6ONLY", AF_INET6, 1, NULL, NULL, NULL,
		 NULL, 1, -1},
		{"IPv6 on ::ffff:127.0.0.1", AF_INET6, 0, "::ffff:127.0.0.1",
		 NULL, "::ffff:127.0.0.1", "127.0.0.1", -1, 1},
		{"IPv4 on any, bound to lo", AF_INET, 0, NULL, "lo", NULL, NULL,
		 -1, 1 | 1 << 16},
	};
	int fd[LT_N], i, r = SWT_PASS, round, seeded = 0;
	struct bpf_link *l = NULL;
	__u16 port[LT_N];

	TRY(ctl_write(1, netns_ino()));
	for (i = 0; i < LT_N; i++)
		fd[i] = -1;
	for (i = 0; i < LT_N && r == SWT_PASS; i++) {
		int e = lsock(ls[i].family, ls[i].addr, ls[i].v6only, ls[i].dev,
			      &fd[i], &port[i]);

		if (e == -EADDRNOTAVAIL || e == -EAFNOSUPPORT) {
			r = swt_skipf("%s: no IPv6 here: %s", ls[i].what,
				      strerror(-e));
		} else if (e) {
			r = swt_failf(__FILE__, __LINE__, "listener %s: %s",
				      ls[i].what, strerror(-e));
		}
	}
	/* twice: the second run meets the same sockets, counted already */
	for (round = 0; round < 2 && r == SWT_PASS; round++) {
		r = run_seed();
		if (r == SWT_PASS && round == 1 && socks_counted() != seeded)
			r = swt_failf(__FILE__, __LINE__,
				      "the second seed: %d sockets recorded, "
				      "the first %d",
				      socks_counted(), seeded);
		seeded = socks_counted();
		for (i = 0; i < LT_N && r == SWT_PASS; i++) {
			long g6 = lt_get_at(true, ls[i].addr6, port[i]);
			long g4 = lt_get_at(false, ls[i].addr4, port[i]);

			if (g6 != ls[i].want6 || g4 != ls[i].want4)
				r = swt_failf(
					__FILE__, __LINE__,
					"seed round %d, %s: IPv6 key %#lx "
					"IPv4 key %#lx, want %#lx %#lx "
					"(socks | bound << 16)",
					round + 1, ls[i].what, g6, g4,
					ls[i].want6, ls[i].want4);
			else if ((!ls[i].addr6 &&
				  !la_matches(true, port[i], g6)) ||
				 (!ls[i].addr4 &&
				  !la_matches(false, port[i], g4)))
				r = swt_failf(
					__FILE__, __LINE__,
					"seed round %d, %s: listen_any says "
					"IPv6 %ld IPv4 %ld unbound, the "
					"table's keys %#lx %#lx",
					round + 1, ls[i].what,
					la_get(true, port[i]),
					la_get(false, port[i]), g6, g4);
		}
	}
	if (r == SWT_PASS) {
		l = bpf_program__attach(env.skel->progs.synwall_flow_trace);
		if (!l)
			r = swt_failf(__FILE__, __LINE__, "attach trace: %s",
				      strerror(errno));
	}
	for (i = 0; i < LT_N; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		fd[i] = -1;
	}
	for (i = 0; i < LT_N && r == SWT_PASS; i++) {
		long g6 = lt_get_at(true, ls[i].addr6, port[i]);
		long g4 = lt_get_at(false, ls[i].addr4, port[i]);

		/* the entries stay, counting nobody (listen_any too) */
		if ((ls[i].want6 >= 0 && g6 != 0) ||
		    (ls[i].want4 >= 0 && g4 != 0) ||
		    la_get(true, port[i]) != 0 || la_get(false, port[i]) != 0)
			r = swt_failf(
				__FILE__, __LINE__,
				"closed, %s: IPv6 key %#lx IPv4 key %#lx, "
				"want 0",
				ls[i].what, g6, g4);
	}
	/* the suite's own listeners (protected ports 80, 443) stay */
	if (r == SWT_PASS && socks_counted() != seeded - LT_N)
		r = swt_failf(__FILE__, __LINE__,
			      "listen_socks holds %d sockets after %d of %d "
			      "closed",
			      socks_counted(), LT_N, seeded);
	bpf_link__destroy(l);
	return r;
}

/*
 * A documented difference (docs/datapath.md "The listener table"): a
 * socket bound to a device after listen() has no socket event, so the
 * table keeps counting it as unbound (and answers its SYNs from any
 * device, where the kernel's lookup would pass over it).
 */
int t_listener_bound_after_listen(void)
{
	__u16 port;
	int fd, r, e;

	TRY(ctl_write(1, netns_ino()));
	e = lsock(AF_INET, "127.0.0.1", 0, NULL, &fd, &port);
	if (e)
		SWT_FAIL("listener: %s", strerror(-e));
	r = run_seed();
	if (r == SWT_PASS &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3))
		r = swt_failf(__FILE__, __LINE__, "SO_BINDTODEVICE lo: %s",
			      strerror(errno));
	if (r == SWT_PASS && lt_get_at(false, "127.0.0.1", port) != 1)
		r = swt_failf(__FILE__, __LINE__,
			      "bound after listen(): %#lx, want 1 (counted, "
			      "not as bound)",
			      lt_get_at(false, "127.0.0.1", port));
	close(fd);
	return r;
}

/*
 * An SK_LOOKUP program of this namespace that refuses the listener lookups
 * of port (SK_DROP: the kernel resets such a SYN) and leaves the others to
 * the listening hash (SK_PASS without a socket): its link fd, or -errno.
 */
static int sk_lookup_refusing(__u16 port)
{
	const struct bpf_insn insns[] = {
		/* r2 = ctx->local_port (host order) */
		{.code = BPF_LDX | BPF_MEM | BPF_W,
		 .dst_reg = BPF_REG_2,
		 .src_reg = BPF_REG_1,
		 .off = offsetof(struct bpf_sk_lookup, local_port)},
		{.code = BPF_JMP | BPF_JNE | BPF_K,
		 .dst_reg = BPF_REG_2,
		 .off = 2,
		 .imm = port},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K,
		 .dst_reg = BPF_REG_0,
		 .imm = SK_DROP},
		{.code = BPF_JMP | BPF_EXIT},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K,
		 .dst_reg = BPF_REG_0,
		 .imm = SK_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo,
		    .expected_attach_type = BPF_SK_LOOKUP);
	int pfd, nfd, lfd, e;

	pfd = bpf_prog_load(BPF_PROG_TYPE_SK_LOOKUP, "swt_sk_lookup", "GPL",
			    insns, sizeof(insns) / sizeof(insns[0]), &lo);
	if (pfd < 0)
		return -errno;
	nfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nfd < 0) {
		e = -errno;
		close(pfd);
		return e;
	}
	lfd = bpf_link_create(pfd, nfd, BPF_SK_LOOKUP, NULL);
	e = lfd < 0 ? -errno : 0;
	close(nfd);
	close(pfd);
	return e ? e : lfd;
}

/*
 * An SK_LOOKUP program runs before the kernel's listening hash and may
 * answer otherwise than the listener table (steer the SYN elsewhere, or
 * refuse it), with no socket event.  While one is attached, a trusted
 * table's SYN goes to the socket lookup, which runs the program as the
 * kernel's own lookup does: a listener the table counts but no socket is
 * behind is not answered, nor is a real listener the program refuses (the
 * kernel resets that SYN, as it would without synwall).  Detached, the
 * table answers again.
 */
int t_listener_sk_lookup(long v6)
{
	struct swt_synopts o;
	struct swt_pkt p;
	__u32 cookie, tsval;
	int link, r = SWT_PASS;

	TRY(protect(PORT_LISTEN, true));
	TRY(ctl_write(1, 0));
	TRY(ctl_trust(1, 0));
	syn_linux(&p, &o, v6, 1460);
	/* counted by the table, no socket; the real listener on any */
	TRY(lt_put(v6, NULL, PORT_LISTEN, 1, 0));
	TRY(la_put(v6, PORT_HTTP, 1));
	p.dport = PORT_LISTEN;
	TRY(swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		    "no program: the table answers"));
	link = sk_lookup_refusing(PORT_HTTP);
	if (link < 0)
		SWT_FAIL("SK_LOOKUP program (load and attach to this "
			 "namespace): %s",
			 strerror(-link));
	r = swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
		    "a program attached: the socket lookup, not the table, "
		    "answers (no socket)");
	p.dport = PORT_HTTP;
	if (r == SWT_PASS)
		r = swt_sub(expect_pass(&p, SWT_STAT(xdp_pass_no_listener)),
			    "the program refuses a real listener's port: no "
			    "SYN-ACK (the kernel resets)");
	close(link);
	TRY(r);
	TRY(swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		    "detached: the real listener's port answered again"));
	p.dport = PORT_LISTEN;
	return swt_sub(expect_synack(&p, &o, &cookie, &tsval),
		       "detached: the table answers again");
}

/*
 * The fentry writer: listen() counts a socket once it listens; a listen()
 * that fails (the port taken: inet_csk_get_port()) counts nothing; the
 * trace uncounts at close.  Where the kernel takes fentry.
 */
/* With the hooks on: a listener on "any" counted in listen_any, and not
 * once it closes. */
static int listener_any_hooked(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int r = SWT_PASS, s = socket(AF_INET, SOCK_STREAM, 0);
	__u16 port = 0;
	long g, n;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		r = swt_failf(__FILE__, __LINE__, "a socket on any: %s",
			      strerror(errno));
	if (r == SWT_PASS) {
		port = ntohs(a.sin_port);
		r = protect(port, true);
	}
	if (r == SWT_PASS && listen(s, 8))
		r = swt_failf(__FILE__, __LINE__, "listen on any: %s",
			      strerror(errno));
	g = lt_get(false, NULL, port);
	n = la_get(false, port);
	if (r == SWT_PASS && (g != 1 || n != 1))
		r = swt_failf(__FILE__, __LINE__,
			      "listening on any: key %#lx, listen_any %ld, "
			      "want 1 1",
			      g, n);
	if (s >= 0)
		close(s);
	n = la_get(false, port);
	if (r == SWT_PASS && n != 0)
		r = swt_failf(__FILE__, __LINE__,
			      "closed: listen_any %ld, want 0", n);
	return r;
}

int t_listener_hooks(void)
{
	const char *why = fentry_refused();
	struct bpf_link *links[SW_FLOW_NLINKS], *l = NULL;
	struct synwall_hooks *h = NULL;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int n = 0, r, s1 = -1, s2 = -1, one = 1;
	long g;

	if (why)
		return swt_skipf("%s", why);
	TRY(ctl_write(1, netns_ino()));
	r = hooks_start(&h, links, &n);
	if (r == SWT_PASS) {
		l = bpf_program__attach(env.skel->progs.synwall_flow_trace);
		if (!l)
			r = swt_failf(__FILE__, __LINE__, "attach trace: %s",
				      strerror(errno));
	}
	/* two sockets on one port (SO_REUSEADDR lets both bind): the
	 * second's listen() fails in inet_csk_get_port() */
	s1 = socket(AF_INET, SOCK_STREAM, 0);
	s2 = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (r == SWT_PASS &&
	    (s1 < 0 || s2 < 0 ||
	     setsockopt(s1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	     setsockopt(s2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	     bind(s1, (struct sockaddr *)&a, sizeof(a)) ||
	     getsockname(s1, (struct sockaddr *)&a, &len) ||
	     bind(s2, (struct sockaddr *)&a, sizeof(a))))
		r = swt_failf(__FILE__, __LINE__, "two sockets on one port: %s",
			      strerror(errno));
	if (r == SWT_PASS)
		r = protect(ntohs(a.sin_port), true);
	if (r == SWT_PASS && listen(s1, 8))
		r = swt_failf(__FILE__, __LINE__, "listen: %s",
			      strerror(errno));
	if (r == SWT_PASS && !listen(s2, 8))
		r = swt_failf(__FILE__, __LINE__,
			      "the second listen() on the port succeeded");
	g = lt_get(false, (const __u8 *)&a.sin_addr, ntohs(a.sin_port));
	if (r == SWT_PASS && g != 1)
		r = swt_failf(__FILE__, __LINE__,
			      "after listen() and a failed one: %#lx, want 1",
			      g);
	if (s1 >= 0)
		close(s1);
	s1 = -1;
	g = lt_get(false, (const __u8 *)&a.sin_addr, ntohs(a.sin_port));
	if (r == SWT_PASS && g != 0)
		r = swt_failf(__FILE__, __LINE__, "after close: %#lx, want 0",
			      g);
	if (r == SWT_PASS)
		r = listener_any_hooked();
	if (s2 >= 0)
		close(s2);
	bpf_link__destroy(l);
	if (h)
		hooks_stop(h, links, n);
	return r;
}
