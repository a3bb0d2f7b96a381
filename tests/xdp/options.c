// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp: TCP option layouts of a SYN, and the MSS table.
 */
#include "xdp.h"

int t_syn_linux_sysctl_layouts(void)
{
	struct swt_pkt p;
	struct swt_synopts o;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		/* tcp_sack=0: MSS, NOP, NOP, TS, NOP, WS (20 bytes) */
		syn_bare(&p, &o, v6);
		swt_opt_mss(&p, 1460);
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_ts(&p, CLIENT_TSVAL, 0);
		swt_opt_nop(&p);
		swt_opt_ws(&p, 7);
		o = (struct swt_synopts){.mss = 1460,
					 .ws = 7,
					 .ts = true,
					 .tsval = CLIENT_TSVAL};
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "tcp_sack=0%s",
			    v6 ? " (IPv6)" : ""));
		/* tcp_timestamps=0: MSS, NOP, NOP, SACK, NOP, WS (12 bytes) */
		syn_bare(&p, &o, v6);
		swt_opt_mss(&p, 1460);
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_sackperm(&p);
		swt_opt_nop(&p);
		swt_opt_ws(&p, 7);
		o = (struct swt_synopts){.mss = 1460, .ws = 7, .sack = true};
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL),
			    "tcp_timestamps=0%s", v6 ? " (IPv6)" : ""));
		/* tcp_window_scaling=0: MSS, SACK, TS (16 bytes) */
		syn_bare(&p, &o, v6);
		swt_opt_mss(&p, 1460);
		swt_opt_sackperm(&p);
		swt_opt_ts(&p, CLIENT_TSVAL, 0);
		o = (struct swt_synopts){.mss = 1460,
					 .ws = -1,
					 .sack = true,
					 .ts = true,
					 .tsval = CLIENT_TSVAL};
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL),
			    "tcp_window_scaling=0%s", v6 ? " (IPv6)" : ""));
		/* NOP, NOP, TS alone (the ACK layout, 12 bytes) in a SYN */
		syn_bare(&p, &o, v6);
		swt_opt_nop(&p);
		swt_opt_nop(&p);
		swt_opt_ts(&p, CLIENT_TSVAL, 0);
		o = (struct swt_synopts){
			.mss = -1, .ws = -1, .ts = true, .tsval = CLIENT_TSVAL};
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "NOP NOP TS%s",
			    v6 ? " (IPv6)" : ""));
	}
	return SWT_PASS;
}

int t_syn_layout_lookalikes(void)
{
	static const __u8 ts[10] = {8, 10, 1, 2, 3, 4, 0, 0, 0, 0};
	/* MSS SACK TS and 4 bytes that are not NOP WS */
	static const struct {
		const char *b, *what;
	} tail20[] = {
		{"\x01\x01\x01\x00", "MSS SACK TS NOP NOP NOP EOL (20 bytes)"},
		{"\x01\x03\x02\x01", "MSS SACK TS NOP WS-len-2 NOP (20 bytes)"},
	};
	struct swt_pkt p;
	struct swt_synopts o;
	size_t i;

	/*
	 * The lengths of the common layouts (20, 12, 4 bytes) with other
	 * contents: each byte must be read as what it is.
	 */
	for (i = 0; i < sizeof(tail20) / sizeof(tail20[0]); i++) {
		syn_bare(&p, &o, false);
		swt_opt_mss(&p, 1400);
		swt_opt_sackperm(&p);
		swt_opt_raw(&p, ts, sizeof(ts));
		swt_opt_raw(&p, tail20[i].b, 4);
		o = (struct swt_synopts){.mss = 1400,
					 .ws = -1,
					 .sack = true,
					 .ts = true,
					 .tsval = 0x01020304};
		TRY(swt_sub(expect_synack(&p, &o, NULL, NULL), "%s",
			    tail20[i].what));
	}
	syn_bare(&p, &o, false);
	swt_opt_raw(&p, "\x00\x00", 2);
	swt_opt_raw(&p, ts, sizeof(ts));
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL),
		    "EOL EOL TS (12 bytes)"));
	syn_bare(&p, &o, false);
	swt_opt_raw(&p, "\x01\x00", 2);
	swt_opt_raw(&p, ts, sizeof(ts));
	TRY(swt_sub(expect_synack(&p, &o, NULL, NULL),
		    "NOP EOL TS (12 bytes)"));
	syn_bare(&p, &o, false);
	swt_opt_raw(&p, "\x02\x02\x01\x01", 4);
	return swt_sub(expect_synack(&p, &o, NULL, NULL),
		       "MSS-len-2 NOP NOP (4 bytes)");
}

/* Options in an order Linux never sends, one layout per family. */
static const struct odd_order {
	__u8 opt[24];
	size_t len;
	struct swt_synopts o;
	__u32 idx;
} odd_order[2] = {
	/* clang-format off */
	/* IPv4: TS first, then NOP WS 5, SACK-permitted, MSS 1400 */
	{{8, 10, 0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 0, 0, 1, 3, 3, 5, 4, 2, 2, 4, 0x05, 0x78}, 20,
	 {.mss = 1400, .ws = 5, .sack = true, .ts = true, .tsval = 0xaabbccdd}, 9},
	/* IPv6: WS 14, MSS 1240, TS, SACK-permitted, EOL */
	{{3, 3, 14, 2, 4, 0x04, 0xd8, 8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 4, 2, 0}, 20,
	 {.mss = 1240, .ws = 14, .sack = true, .ts = true, .tsval = 0x11223344}, 2},
	/* clang-format on */
};

int t_syn_odd_order(long v6)
{
	const struct odd_order *c = &odd_order[v6 ? 1 : 0];
	struct swt_pkt p;
	__u32 ck;

	swt_pkt_init(&p, v6);
	swt_opt_raw(&p, c->opt, c->len);
	TRY(expect_synack(&p, &c->o, &ck, NULL));
	return check_mss_index(ck, c->idx);
}

int t_syn_nop_eol_padding(void)
{
	/* NOPs everywhere, EOL padding at the end (32 bytes of options) */
	/* clang-format off */
	static const __u8 opt[] = {
		1, 1, 1,					/* NOPs */
		2, 4, 0x05, 0xb4,				/* MSS 1460 */
		1, 1, 4, 2,					/* SACK-perm */
		1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0,	/* TS */
		1, 3, 3, 7,					/* WS 7 */
		0, 0, 0, 0, 0,					/* EOL */
	};
	/* clang-format on */
	struct swt_pkt p;
	struct swt_synopts o = {.mss = 1460,
				.ws = 7,
				.sack = true,
				.ts = true,
				.tsval = 0x1234};

	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt, sizeof(opt));
	return expect_synack(&p, &o, NULL, NULL);
}

int t_syn_eol_ends_options(void)
{
	/* after EOL, even a well-formed TS and SACK are not options */
	/* clang-format off */
	static const __u8 opt[] = {
		2, 4, 0x05, 0x50,				/* MSS 1360 */
		0,						/* EOL */
		8, 10, 0, 0, 0, 1, 0, 0, 0, 0,			/* "TS" */
		4, 2, 0, 0, 0,					/* "SACK" */
	};
	/* clang-format on */
	struct swt_pkt p;
	struct swt_synopts o = {.mss = 1360, .ws = -1};
	__u32 ck;

	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt, sizeof(opt));
	TRY(expect_synack(&p, &o, &ck, NULL));
	return check_nots_mss(ck, 1360, false);
}

int t_syn_wrong_length_known_options(void)
{
	/*
	 * MSS with length 3 and WS with length 4 are well-formed but
	 * ignored (as Linux does); SACK-permitted and TS count.
	 */
	/* clang-format off */
	static const __u8 opt1[] = {
		2, 3, 5,					/* MSS, len 3 */
		1,						/* NOP */
		3, 4, 7, 0,					/* WS, len 4 */
		4, 2,						/* SACK-perm */
		8, 10, 0, 0, 0, 9, 0, 0, 0, 0,			/* TS */
	};
	/* TS with length 6: ignored, so SACK and WS are not offered either */
	static const __u8 opt2[] = {
		2, 4, 0x05, 0xb4,				/* MSS 1460 */
		4, 2,						/* SACK-perm */
		8, 6, 0, 0, 0, 1,				/* TS, len 6 */
		1, 3, 3, 7,					/* NOP WS 7 */
	};
	/* clang-format on */
	struct swt_pkt p;
	struct swt_synopts o1 = {
		.mss = -1, .ws = -1, .sack = true, .ts = true, .tsval = 9};
	struct swt_synopts o2 = {.mss = 1460, .ws = 7, .sack = true};
	__u32 ck;

	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt1, sizeof(opt1));
	TRY(swt_sub(expect_synack(&p, &o1, &ck, NULL), "MSS len 3, WS len 4"));
	TRY(swt_sub(check_mss_index(ck, 0), "MSS len 3"));
	swt_pkt_init(&p, false);
	swt_opt_raw(&p, opt2, sizeof(opt2));
	return swt_sub(expect_synack(&p, &o2, NULL, NULL), "TS len 6");
}

int t_syn_unknown_options(void)
{
	/* RFC 6994 experimental option, TCP-MD5-sized unknown, then Linux's */
	static const __u8 exp[] = {0xfe, 6, 0xf9, 0x89, 0, 0};
	struct swt_pkt p;
	struct swt_synopts o;

	syn_linux(&p, &o, false, 1460);
	p.optlen = 0;
	swt_opt_raw(&p, exp, sizeof(exp));
	swt_opt_linux_syn(&p, 1460, CLIENT_TSVAL, 7);
	return expect_synack(&p, &o, NULL, NULL);
}

struct mss_case {
	__u16 mss;
	__u8 idx;
};

static int mss_table(bool v6, const struct mss_case *c, size_t n)
{
	struct swt_pkt p;
	struct swt_synopts o;
	__u32 ck;
	size_t i;

	for (i = 0; i < n; i++) {
		if (swt_mss_index(c[i].mss, v6) != c[i].idx)
			SWT_FAIL("test bug: swt_mss_index(%u) = %u, want %u",
				 c[i].mss, swt_mss_index(c[i].mss, v6),
				 c[i].idx);
		syn_linux(&p, &o, v6, c[i].mss);
		p.seq += i; /* a different flow each time */
		TRY(swt_sub(expect_synack(&p, &o, &ck, NULL), "MSS %u",
			    c[i].mss));
		TRY(swt_sub(check_mss_index(ck, c[i].idx), "MSS %u", c[i].mss));
		/* the documented encoder agrees */
		if (sw_mss_to_index(c[i].mss, v6) != c[i].idx)
			SWT_FAIL("MSS %u: sw_mss_to_index %u, want %u",
				 c[i].mss, sw_mss_to_index(c[i].mss, v6),
				 c[i].idx);
	}
	return SWT_PASS;
}

/* The MSS table of each family, entry by entry (cookie.h). */
static const struct mss_case mss4_cases[] = {
	{88, 0},    {535, 0},	{536, 0},    {1023, 0},	 {1024, 1},  {1199, 1},
	{1200, 2},  {1220, 3},	{1259, 3},   {1260, 4},	 {1300, 5},  {1339, 5},
	{1340, 6},  {1360, 7},	{1380, 8},   {1400, 9},	 {1420, 10}, {1440, 11},
	{1452, 12}, {1459, 12}, {1460, 13},  {1500, 13}, {4312, 14}, {8959, 14},
	{8960, 15}, {9000, 15}, {65535, 15},
};

static const struct mss_case mss6_cases[] = {
	{536, 0},   {1219, 0},	{1220, 0},  {1232, 1},	{1239, 1},   {1240, 2},
	{1260, 3},  {1280, 4},	{1300, 5},  {1320, 6},	{1340, 7},   {1360, 8},
	{1380, 9},  {1400, 10}, {1412, 11}, {1420, 12}, {1439, 12},  {1440, 13},
	{1460, 13}, {4292, 14}, {8939, 14}, {8940, 15}, {65535, 15},
};

int t_syn_mss_table(long v6)
{
	if (v6)
		return mss_table(true, mss6_cases,
				 sizeof(mss6_cases) / sizeof(mss6_cases[0]));
	return mss_table(false, mss4_cases,
			 sizeof(mss4_cases) / sizeof(mss4_cases[0]));
}
