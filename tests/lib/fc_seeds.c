// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fc_seeds: the fuzz oracle's seeds: one frame per row of the verdict table,
 * built with tests/lib, with the state they are meant for.
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

/* ---- seeds ----------------------------------------------------------- */

struct seedctx {
	fc_seed_fn fn;
	void *ctx;
	size_t n;
};

static void emit_raw(struct seedctx *sc, const char *name, int state,
		     const __u8 *frame, size_t len)
{
	static __u8 buf[FC_INPUT_MAX];

	if (len > FC_FRAME_MAX)
		len = FC_FRAME_MAX;
	buf[0] = (__u8)state;
	memcpy(buf + 1, frame, len);
	sc->fn(sc->ctx, name, buf, len + 1);
	sc->n++;
}

static void emit(struct seedctx *sc, const char *name, int state,
		 const struct swt_pkt *p)
{
	static __u8 fb[SWT_PKT_MAX];
	size_t len = swt_build(p, fb, sizeof(fb), NULL);

	if (len)
		emit_raw(sc, name, state, fb, len);
}

static void syn_linux(struct swt_pkt *p, bool v6)
{
	swt_pkt_init(p, v6);
	swt_opt_linux_syn(p, v6 ? 1440 : 1460, 0x01020304, 7);
}

/* SYN options as the seeds declare them, for the ACK's cookie. */
static void opts_decl(const struct swt_pkt *p, struct swt_synopts *o)
{
	static __u8 fb[SWT_PKT_MAX];
	struct fc_frame f;
	size_t len = swt_build(p, fb, sizeof(fb), NULL);

	fc_frame_parse(fb, len, &f);
	fc_synopts_of(&f, o);
}

/*
 * The third ACK for syn under state s, its SYN-ACK made at time t_syn
 * (0: the state's clock) with key slot `slot` (-1: the current one).
 */
static void make_ack(const struct swt_pkt *syn, int s, __u32 t_syn, int slot,
		     bool ts, struct swt_pkt *ack)
{
	static __u8 tmp[SWT_PKT_MAX];
	struct synwall_config cfg = fc_states[s].cfg;
	struct synwall_keys keys = fc_states[s].keys;
	struct swt_synopts o;
	__u32 ck = 0, tsv = 0;

	if (t_syn)
		cfg.fixed_time = t_syn;
	if (slot >= 0)
		keys.current = (__u32)slot;
	if (cfg.wscale > 14 && cfg.wscale != SYNWALL_WSCALE_ZERO)
		cfg.wscale = 14;
	opts_decl(syn, &o);
	if (o.mss == 0)
		o.mss = -1;
	swt_expect_synack(syn, &o, &cfg, &keys, tmp, sizeof(tmp), &ck, &tsv);
	swt_make_ack(syn, ck, ts && o.ts, 0x01020400, tsv, ack);
}

size_t fc_seeds(fc_seed_fn fn, void *ctx)
{
	static struct swt_pkt p, a;
	struct seedctx sc = {fn, ctx, 0};
	static __u8 raw[256];
	char name[96];
	int v, s;

	for (v = 0; v < 2; v++) {
		bool v6 = v;
		const char *fam = v6 ? "v6" : "v4";

#define NAME(...) (snprintf(name, sizeof(name), __VA_ARGS__), name)
		/* ---- SYNs ---- */
		syn_linux(&p, v6);
		emit(&sc, NAME("syn-linux-%s", fam), 0, &p);
		for (s = 1; s < FC_NSTATES; s++)
			emit(&sc, NAME("syn-linux-%s-state%d", fam, s), s, &p);
		p.flags |= SWT_TCP_ECE | SWT_TCP_CWR;
		emit(&sc, NAME("syn-ecn-%s", fam), 0, &p);
		emit(&sc, NAME("syn-ecn-%s-state2", fam), 2, &p);
		p.csum_offload = true;
		emit(&sc, NAME("syn-offload-%s", fam), 0, &p);

		swt_pkt_init(&p, v6);
		emit(&sc, NAME("syn-bare-%s", fam), 0, &p);
		emit(&sc, NAME("syn-bare-%s-state3", fam), 3, &p);
		swt_opt_mss(&p, 1220);
		emit(&sc, NAME("syn-mss-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_ts(&p, 0xfffffff0, 0);
		emit(&sc, NAME("syn-ts-%s", fam), 0, &p);
		swt_opt_nop(&p);
		swt_opt_ws(&p, 20);
		emit(&sc, NAME("syn-ts-ws20-%s", fam), 0, &p);
		/* odd order, SACK-perm last, EOL then garbage */
		swt_pkt_init(&p, v6);
		swt_opt_ws(&p, 3);
		swt_opt_ts(&p, 77, 88);
		swt_opt_sackperm(&p);
		swt_opt_mss(&p, 1300);
		swt_opt_raw(&p, "\x00\x99\x02", 3);
		emit(&sc, NAME("syn-oddorder-%s", fam), 0, &p);
		/* duplicates (last one wins), wrong lengths (ignored) */
		swt_pkt_init(&p, v6);
		swt_opt_mss(&p, 1400);
		swt_opt_raw(&p, "\x02\x03\x05", 3);
		swt_opt_mss(&p, 1280);
		swt_opt_raw(&p, "\x03\x04\x05\x06", 4);
		swt_opt_ws(&p, 2);
		swt_opt_ws(&p, 5);
		swt_opt_raw(&p, "\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00", 10);
		emit(&sc, NAME("syn-dupopts-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_mss(&p, 0);
		emit(&sc, NAME("syn-mss0-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_mss(&p, 100);
		emit(&sc, NAME("syn-mss100-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_mss(&p, 65535);
		swt_opt_sackperm(&p);
		swt_opt_ts(&p, 1, 2);
		emit(&sc, NAME("syn-mss65535-%s", fam), 3, &p);
		/* Fast Open: cookie option and data, never echoed */
		syn_linux(&p, v6);
		swt_opt_raw(&p, "\x22\x0a\x01\x02\x03\x04\x05\x06\x07\x08", 10);
		p.paylen = 100;
		memset(p.payload, 'D', 100);
		emit(&sc, NAME("syn-tfo-%s", fam), 0, &p);
		syn_linux(&p, v6);
		p.eth_pad = 30;
		p.eth_pad_byte = 0xee;
		emit(&sc, NAME("syn-ethpad-%s", fam), 0, &p);
		/* ports: every protected edge, one unprotected */
		syn_linux(&p, v6);
		p.dport = 443;
		emit(&sc, NAME("syn-443-%s", fam), 0, &p);
		p.dport = 8100;
		emit(&sc, NAME("syn-8100-%s", fam), 1, &p);
		p.dport = 65535;
		emit(&sc, NAME("syn-65535-%s", fam), 0, &p);
		p.dport = 0;
		emit(&sc, NAME("syn-port0-%s", fam), 0, &p);
		p.dport = 8101;
		emit(&sc, NAME("syn-unprotected-%s", fam), 0, &p);
		/* VLAN, QinQ, three tags */
		syn_linux(&p, v6);
		swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 100);
		emit(&sc, NAME("syn-vlan-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 10);
		swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 20);
		swt_opt_mss(&p, 1460);
		emit(&sc, NAME("syn-qinq-%s", fam), 0, &p);
		swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 30);
		emit(&sc, NAME("syn-3tags-%s", fam), 0, &p);

		/* ---- ACKs with valid cookies ---- */
		syn_linux(&p, v6);
		make_ack(&p, 0, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s", fam), 0, &a);
		a.flags |= SWT_TCP_PSH;
		a.paylen = 200;
		memset(a.payload, 'd', 200);
		emit(&sc, NAME("ack-data-%s", fam), 0, &a);
		a.paylen = 0;
		a.flags = SWT_TCP_ACK | SWT_TCP_FIN;
		emit(&sc, NAME("ack-fin-%s", fam), 0, &a);
		make_ack(&p, 0, FC_T0 + 10 - 64, -1, true, &a);
		emit(&sc, NAME("ack-prev-epoch-%s", fam), 0, &a);
		make_ack(&p, 0, FC_T0 + 10 - 128, -1, true, &a);
		emit(&sc, NAME("ack-expired-%s", fam), 0, &a);
		make_ack(&p, 0, 0, 1, true, &a);
		emit(&sc, NAME("ack-prev-key-%s", fam), 0, &a);
		make_ack(&p, 1, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s-state1", fam), 1, &a);
		make_ack(&p, 1, FC_T0 + 64, 0, true, &a);
		emit(&sc, NAME("ack-prev-key-epoch-%s-state1", fam), 1, &a);
		make_ack(&p, 7, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s-state7", fam), 7, &a);
		make_ack(&p, 7, 0xffffffffu << 6, 1, false, &a);
		emit(&sc, NAME("ack-epoch-wrap-%s-state7", fam), 7, &a);
		/* a cookie under the all-zero key of a never-written slot */
		make_ack(&p, 5, 0, 1, true, &a);
		emit(&sc, NAME("ack-zero-key-%s-state5", fam), 5, &a);
		make_ack(&p, 2, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s-state2", fam), 2, &a);
		make_ack(&p, 3, 0, -1, true, &a);
		emit(&sc, NAME("ack-ts-%s-state3", fam), 3, &a);
		/* TSecr altered: undecodable (our shift 15) */
		make_ack(&p, 0, 0, -1, true, &a);
		a.optlen = 0;
		swt_opt_nop(&a);
		swt_opt_nop(&a);
		swt_opt_ts(&a, 5, 0x3c0);
		emit(&sc, NAME("ack-bad-tsecr-%s", fam), 0, &a);
		/* TS in another layout (slow option walk) */
		a.optlen = 0;
		swt_opt_ts(&a, 5, 0x1bf);
		swt_opt_nop(&a);
		swt_opt_nop(&a);
		emit(&sc, NAME("ack-ts-other-layout-%s", fam), 0, &a);
		swt_pkt_init(&p, v6);
		make_ack(&p, 0, 0, -1, false, &a);
		emit(&sc, NAME("ack-nots-%s", fam), 0, &a);
		make_ack(&p, 4, 0, -1, false, &a);
		emit(&sc, NAME("ack-unkeyed-%s-state4", fam), 4, &a);
		swt_pkt_vlan(&p, SWT_ETH_P_8021AD, 7);
		swt_pkt_vlan(&p, SWT_ETH_P_8021Q, 8);
		make_ack(&p, 0, 0, -1, false, &a);
		emit(&sc, NAME("ack-qinq-%s", fam), 0, &a);
		/* forged */
		a.ack ^= 0x40;
		emit(&sc, NAME("ack-forged-%s", fam), 0, &a);

		/* ---- the rest of the verdict table ---- */
		swt_pkt_init(&p, v6);
		p.seq = 1000;
		p.ack = 2000;
		{
			static const struct {
				const char *n;
				__u8 fl;
			} fl[] = {
				{"rst", SWT_TCP_RST},
				{"rst-ack", SWT_TCP_RST | SWT_TCP_ACK},
				{"fin", SWT_TCP_FIN},
				{"noflags", 0},
				{"synack", SWT_TCP_SYN | SWT_TCP_ACK},
				{"synfin", SWT_TCP_SYN | SWT_TCP_FIN},
				{"synrst", SWT_TCP_SYN | SWT_TCP_RST},
				{"urg-psh", SWT_TCP_URG | SWT_TCP_PSH},
				{"all", 0xff},
			};
			size_t i;

			for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
				p.flags = fl[i].fl;
				emit(&sc, NAME("flags-%s-%s", fl[i].n, fam), 0,
				     &p);
			}
		}
		/* not addressed to this host: the kernel's, untouched */
		{
			static const struct {
				const char *n;
				__u8 mac[6];
				const char *dst, *src;
			} nh[] = {
				{"bcast-mac",
				 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
				 NULL,
				 NULL},
				{"mcast-mac",
				 {0x01, 0x00, 0x5e, 0, 0, 1},
				 NULL,
				 NULL},
				{"other-mac",
				 {0x02, 0, 0, 0, 0, 0x99},
				 NULL,
				 NULL},
				{"dst-other",
				 {0},
				 "198.51.100.77",
				 "2001:db8::77"},
				{"dst-mcast", {0}, "224.0.0.1", "ff02::1"},
				{"dst-bcast", {0}, "255.255.255.255", NULL},
				{"dst-subnet-bcast",
				 {0},
				 "198.51.100.255",
				 NULL},
				{"src-mcast", {0}, NULL, NULL},
				{"src-loopback", {0}, NULL, NULL},
				{"src-unspec", {0}, NULL, NULL},
				{"src-self", {0}, NULL, NULL},
			};
			size_t i;

			for (i = 0; i < sizeof(nh) / sizeof(nh[0]); i++) {
				const char *a;

				syn_linux(&p, v6);
				if (nh[i].mac[0] || nh[i].mac[5])
					memcpy(p.dmac, nh[i].mac, 6);
				a = v6 ? nh[i].src : nh[i].dst;
				if (v6 && !strcmp(nh[i].n, "dst-other"))
					a = "2001:db8::77";
				if (v6 && !strcmp(nh[i].n, "dst-mcast"))
					a = "ff02::1";
				if (a)
					inet_pton(v6 ? AF_INET6 : AF_INET, a,
						  p.daddr);
				if (!strcmp(nh[i].n, "src-mcast"))
					inet_pton(v6 ? AF_INET6 : AF_INET,
						  v6 ? "ff02::1" : "224.0.0.5",
						  p.saddr);
				if (!strcmp(nh[i].n, "src-loopback"))
					inet_pton(v6 ? AF_INET6 : AF_INET,
						  v6 ? "::1" : "127.0.0.1",
						  p.saddr);
				if (!strcmp(nh[i].n, "src-unspec"))
					memset(p.saddr, 0, 16);
				if (!strcmp(nh[i].n, "src-self"))
					inet_pton(v6 ? AF_INET6 : AF_INET,
						  v6 ? SWT_TEST_IP6B :
						       SWT_TEST_IP4B,
						  p.saddr);
				emit(&sc, NAME("syn-%s-%s", nh[i].n, fam), 0,
				     &p);
				p.flags = SWT_TCP_ACK;
				p.ack = 0x01020304;
				emit(&sc, NAME("ack-%s-%s", nh[i].n, fam), 0,
				     &p);
			}
			/* nothing listens on port 0: the kernel sends RST */
			syn_linux(&p, v6);
			p.dport = 0;
			emit(&sc, NAME("syn-no-listener-%s", fam), 0, &p);
		}
		/* established flow over loopback (lo's MAC is zero) */
		swt_pkt_init(&p, v6);
		memset(p.dmac, 0, 6);
		memset(p.smac, 0, 6);
		memset(p.saddr, 0, 16);
		memset(p.daddr, 0, 16);
		if (v6) {
			p.saddr[15] = p.daddr[15] = 1;
		} else {
			p.saddr[0] = p.daddr[0] = 127;
			p.saddr[3] = p.daddr[3] = 1;
		}
		p.sport = FC_SOCK_CPORT;
		p.dport = FC_SOCK_SPORT;
		p.seq = 5;
		p.ack = 6;
		p.flags = SWT_TCP_ACK;
		emit(&sc, NAME("est-ack-%s", fam), 0, &p);
		p.flags = SWT_TCP_ACK | SWT_TCP_PSH;
		p.paylen = 64;
		emit(&sc, NAME("est-data-%s", fam), 0, &p);
		p.paylen = 0;
		p.flags = SWT_TCP_RST;
		emit(&sc, NAME("est-rst-%s", fam), 0, &p);
		p.flags = SWT_TCP_SYN | SWT_TCP_ACK;
		emit(&sc, NAME("est-synack-%s", fam), 0, &p);
		p.flags = SWT_TCP_SYN;
		emit(&sc, NAME("est-syn-%s", fam), 0, &p);
		/* not TCP, fragments */
		swt_pkt_init(&p, v6);
		p.l4proto = 17;
		p.paylen = 8;
		emit(&sc, NAME("udp-%s", fam), 0, &p);
		p.l4proto = v6 ? 58 : 1;
		emit(&sc, NAME("icmp-%s", fam), 0, &p);
		syn_linux(&p, v6);
		if (v6) {
			p.v6ext_type = 44;
			memcpy(p.v6ext, "\x06\x00\x00\x01\x00\x00\x00\x07", 8);
			p.v6ext_len = 8;
			emit(&sc, "frag-v6", 0, &p);
			p.v6ext_type = 0;
			memcpy(p.v6ext, "\x06\x00\x01\x04\x00\x00\x00\x00", 8);
			emit(&sc, "hopbyhop-v6", 0, &p);
			p.v6ext_type = 60;
			emit(&sc, "dstopts-v6", 0, &p);
			p.v6ext_len = 0;
		} else {
			p.frag_off = 0x2000;
			emit(&sc, "frag-mf-v4", 0, &p);
			p.frag_off = 0x0010;
			emit(&sc, "frag-off-v4", 0, &p);
			p.frag_off = 0x4000;
			memcpy(p.ipopt, "\x07\x07\x04\x00\x00\x00\x00\x00", 8);
			p.ipopt_len = 8;
			emit(&sc, "syn-ipopts-v4", 0, &p);
			p.ipopt_len = 0;
		}
		/* malformed TCP to a protected port */
		syn_linux(&p, v6);
		p.doff = 4;
		emit(&sc, NAME("mal-doff4-%s", fam), 0, &p);
		p.doff = 15;
		emit(&sc, NAME("mal-doff15-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_raw(&p, "\x02\x04\x05\xb4\x08\x0b", 6);
		emit(&sc, NAME("mal-opt-overrun-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_raw(&p, "\x01\x01\x01\x03", 4);
		emit(&sc, NAME("mal-opt-nolen-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_raw(&p, "\x05\x01\x01\x01", 4);
		emit(&sc, NAME("mal-opt-len1-%s", fam), 0, &p);
		swt_pkt_init(&p, v6);
		swt_opt_raw(&p, "\xfe\x00\x00\x00", 4);
		emit(&sc, NAME("mal-opt-len0-%s", fam), 0, &p);
		/* IP lengths */
		syn_linux(&p, v6);
		p.ip_len_override = 0xffff;
		emit(&sc, NAME("mal-iplen-big-%s", fam), 0, &p);
		p.ip_len_override = v6 ? 3 : 23;
		emit(&sc, NAME("mal-seg3-%s", fam), 0, &p);
		p.ip_len_override = v6 ? 19 : 39;
		emit(&sc, NAME("mal-seg19-%s", fam), 0, &p);
		p.ip_len_override = v6 ? 30 : 50;
		emit(&sc, NAME("mal-seg-lt-doff-%s", fam), 0, &p);
#undef NAME
	}
	/* IPv4 header oddities, raw */
	{
		static __u8 fb[SWT_PKT_MAX];
		size_t len;

		syn_linux(&p, false);
		len = swt_build(&p, fb, sizeof(fb), NULL);
		fb[14] = 0x44; /* IHL 4 */
		emit_raw(&sc, "mal-ihl4-v4", 0, fb, len);
		fb[14] = 0x55; /* version 5 */
		emit_raw(&sc, "mal-version5-v4", 0, fb, len);
		fb[14] = 0x4f; /* IHL 15: 60 bytes, past the TCP header */
		emit_raw(&sc, "mal-ihl15-v4", 0, fb, len);
		fb[14] = 0x45;
		emit_raw(&sc, "trunc-ip-v4", 0, fb, 14 + 19);
		emit_raw(&sc, "trunc-ports-v4", 0, fb, 14 + 20 + 3);
		emit_raw(&sc, "eth-only", 0, fb, 14);
		emit_raw(&sc, "trunc-vlan", 0,
			 (const __u8 *)"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x81"
				       "\x00\x00",
			 15);
		syn_linux(&p, true);
		len = swt_build(&p, fb, sizeof(fb), NULL);
		fb[14] = 0x40; /* version 4 in an IPv6 frame */
		emit_raw(&sc, "mal-version4-v6", 0, fb, len);
		fb[14] = 0x60;
		emit_raw(&sc, "trunc-ip-v6", 0, fb, 14 + 39);
		/* ARP */
		memset(raw, 0, sizeof(raw));
		memcpy(raw, fb, 12);
		raw[12] = 0x08;
		raw[13] = 0x06;
		emit_raw(&sc, "arp", 0, raw, 42);
	}
	return sc.n;
}
