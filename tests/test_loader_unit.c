// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the loader's pure parts, no BPF and no root needed:
 * port lists, SHA-256 / HMAC-SHA256 / HKDF-SHA256 against the FIPS 180-2,
 * RFC 4231 and RFC 5869 vectors, fleet key derivation (against values
 * computed independently with Python's hashlib/hmac), key-file creation
 * and permission checks, the kernel capability probe's parts (the
 * handoff kfunc's refusal), the dispatcher-or-alone decision and its one
 * line, the verifier log's tail, and the rx VLAN stripping policy.
 *
 * They link build/libsynwall.a, the loader's library.
 * Output: PASS:/FAIL:/SKIP: lines (tests/run.sh).
 */
#define _GNU_SOURCE
#include "swt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

/* the loader's modules, from the archive both it and the tests link */
#include "../loader/lib/caps.h"
#include "../loader/lib/dispatch.h"
#include "../loader/lib/kdf.h"
#include "../loader/lib/keyfile.h"
#include "../loader/lib/keys.h"
#include "../loader/lib/liblog.h"
#include "../loader/lib/lock.h"
#include "../loader/lib/log.h"
#include "../loader/lib/maps.h"
#include "../loader/lib/ports.h"
#include "../loader/lib/rotate.h"
#include "../loader/lib/util.h"
#include "../loader/lib/vlan.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2)
		out[n++] = (uint8_t)strtoul((char[]){s[0], s[1], 0}, NULL, 16);
	return n;
}

/* ---- ports ---------------------------------------------------------- */

static void test_ports_parse(void)
{
	struct sw_portset s;
	char err[256];

	if (sw_ports_parse("22,80,443,8000-8100", &s, err, sizeof(err)))
		SWT_BAD("rejected a good list: %s", err);
	else if (sw_ports_count(&s) != 104)
		SWT_BAD("22,80,443,8000-8100 gave %u ports, want 104",
			sw_ports_count(&s));
	else if (!sw_ports_has(&s, 22) || !sw_ports_has(&s, 80) ||
		 !sw_ports_has(&s, 443) || !sw_ports_has(&s, 8000) ||
		 !sw_ports_has(&s, 8100) || sw_ports_has(&s, 8101) ||
		 sw_ports_has(&s, 7999) || sw_ports_has(&s, 21) ||
		 sw_ports_has(&s, 0))
		SWT_BAD("wrong membership");
	/* bit layout of the ports map: word port/64, bit port%64 */
	else if (!(s.w[0] & (1ULL << 22)))
		SWT_BAD("port 22 not at word 0 bit 22");
	else if (!(s.w[1] & (1ULL << 16)))
		SWT_BAD("port 80 not at word 1 bit 16");
	swt_report("ports_parse_list");

	if (sw_ports_parse(" 22 , 80 - 81 ", &s, err, sizeof(err)) ||
	    sw_ports_count(&s) != 3)
		SWT_BAD("blanks around elements not accepted");
	swt_report("ports_parse_blanks");

	if (sw_ports_parse("all", &s, err, sizeof(err)) ||
	    sw_ports_count(&s) != 65536)
		SWT_BAD("all is not 65536 ports");
	else if (sw_ports_parse("none", &s, err, sizeof(err)) ||
		 sw_ports_count(&s))
		SWT_BAD("none is not empty");
	else if (sw_ports_parse("", &s, err, sizeof(err)) || sw_ports_count(&s))
		SWT_BAD("empty list is not empty");
	else if (sw_ports_parse("0,65535", &s, err, sizeof(err)) ||
		 !sw_ports_has(&s, 0) || !sw_ports_has(&s, 65535) ||
		 !(s.w[1023] >> 63))
		SWT_BAD("0 and 65535 not expressible");
	else if (sw_ports_parse("0-65535", &s, err, sizeof(err)) ||
		 sw_ports_count(&s) != 65536)
		SWT_BAD("0-65535 is not every port");
	else if (sw_ports_parse("5-5", &s, err, sizeof(err)) ||
		 sw_ports_count(&s) != 1)
		SWT_BAD("5-5 is not one port");
	swt_report("ports_parse_edges");
}

static void test_ports_errors(void)
{
	static const struct {
		const char *list, *must;
	} cases[] = {
		{"80-70", "first port 80 is above last port 70"},
		{"70000", "'70000': ports are 0-65535"},
		{"1-65536", "ports are 0-65535"},
		{"80,,90", "empty element"},
		{"80,", "empty element"},
		{",80", "empty element"},
		{"http", "not a number"},
		{"1-", "FIRST-LAST"},
		{"-5", "FIRST-LAST"},
		{"5-6-7", "FIRST-LAST"},
		{"8O", "not a number"},
		{"+80", "not a number"},
		{"99999999999999999999", "ports are 0-65535"},
	};
	struct sw_portset s;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (!sw_ports_parse(cases[i].list, &s, err, sizeof(err)))
			SWT_BAD("'%s' accepted", cases[i].list);
		else if (!strstr(err, cases[i].must))
			SWT_BAD("'%s': message \"%s\" lacks \"%s\"",
				cases[i].list, err, cases[i].must);
	}
	swt_report("ports_parse_errors");
}

static void test_ports_format(void)
{
	static const char *const lists[] = {
		"22,80,443,8000-8100",
		"none",
		"all",
		"0",
		"65535",
		"0-1,3",
		"1-65535",
		"0-65534",
		"63-64,127-128,1000",
	};
	struct sw_portset s, t;
	char out[512], err[256];
	size_t i;
	unsigned int seed = 12345, j;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		sw_ports_parse(lists[i], &s, err, sizeof(err));
		sw_ports_format(&s, out, sizeof(out));
		if (strcmp(out, lists[i]))
			SWT_BAD("'%s' formats as '%s'", lists[i], out);
	}
	/* random sets survive format -> parse */
	for (i = 0; i < 50; i++) {
		static char big[65536 * 7];

		memset(&s, 0, sizeof(s));
		for (j = 0; j < 300; j++) {
			unsigned int p = (unsigned int)rand_r(&seed) % 65536;
			unsigned int len = (unsigned int)rand_r(&seed) % 5;

			for (; len-- && p < 65536; p++)
				sw_ports_set(&s, p);
		}
		sw_ports_format(&s, big, sizeof(big));
		if (sw_ports_parse(big, &t, err, sizeof(err)) ||
		    memcmp(&s, &t, sizeof(s)))
			SWT_BAD("random set %zu does not survive format/parse",
				i);
	}
	/* truncation is marked, never overflows */
	sw_ports_parse("1,3,5,7,9,11,13,15,17,19", &s, err, sizeof(err));
	if (sw_ports_format(&s, out, 10) <= 10 || strlen(out) != 9 ||
	    strcmp(out + 6, "..."))
		SWT_BAD("truncated output '%s' not marked", out);
	swt_report("ports_format_roundtrip");
}

/* ---- SHA-256, HMAC, HKDF -------------------------------------------- */

static void test_sha256(void)
{
	static const struct {
		const char *msg, *digest;
	} v[] = {
		/* FIPS 180-2 appendix B, and the empty string */
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7"
		     "852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff"
			"61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db0"
		 "6c1"},
		{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijkl"
		 "mnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee"
		 "9d1"},
	};
	uint8_t d[32], d2[32];
	char h[65];
	struct sw_sha256 c;
	static uint8_t mil[1000000];
	size_t i, off;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sw_sha256(v[i].msg, strlen(v[i].msg), d);
		hex(d, 32, h);
		if (strcmp(h, v[i].digest))
			SWT_BAD("sha256(\"%s\") = %s, want %s", v[i].msg, h,
				v[i].digest);
	}
	memset(mil, 'a', sizeof(mil));
	sw_sha256(mil, sizeof(mil), d);
	hex(d, 32, h);
	if (strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39cc"
		      "c7112cd0"))
		SWT_BAD("sha256(10^6 x 'a') = %s", h);
	/* any split into updates gives the same digest */
	sw_sha256_init(&c);
	for (off = 0, i = 1; off < sizeof(mil); off += i, i = i * 7 % 131 + 1)
		sw_sha256_update(&c, mil + off,
				 i < sizeof(mil) - off ? i : sizeof(mil) - off);
	sw_sha256_final(&c, d2);
	if (memcmp(d, d2, 32))
		SWT_BAD("incremental updates differ from one-shot");
	/* lengths around the padding boundary (55, 56, 63, 64, 65) */
	for (i = 54; i <= 66; i++) {
		sw_sha256_init(&c);
		sw_sha256_update(&c, mil, i / 2);
		sw_sha256_update(&c, mil + i / 2, i - i / 2);
		sw_sha256_final(&c, d2);
		sw_sha256(mil, i, d);
		if (memcmp(d, d2, 32))
			SWT_BAD("length %zu: split hash differs", i);
	}
	swt_report("sha256_fips_vectors");
}

static void test_hmac(void)
{
	/* RFC 4231 test cases 1-4, 6, 7 (5 truncates the output) */
	static const struct {
		const char *key, *data, *mac; /* key and data in hex */
	} v[] = {
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32c"
		 "ff7"},
		{"4a656665",
		 "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3"
		 "843"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		 "ddddddddddddddddddddddddddddddddddddddd",
		 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced56"
		 "5fe"},
		{"0102030405060708090a0b0c0d0e0f10111213141516171819",
		 "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdc"
		 "dcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		 "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff467296"
		 "65b"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaa",
		 "54657374205573696e67204c6172676572205468616e20426c6f636b2d536"
		 "97a65204b6579202d2048617368204b6579204669727374",
		 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37"
		 "f54"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaa",
		 "5468697320697320612074657374207573696e672061206c6172676572207"
		 "468616e20626c6f636b2d73697a65206b657920616e642061206c61726765"
		 "72207468616e20626c6f636b2d73697a6520646174612e20546865206b657"
		 "9206e6565647320746f20626520686173686564206265666f726520626569"
		 "6e6720757365642062792074686520484d414320616c676f726974686d2e",
		 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a3"
		 "5e2"},
	};
	static const int rfc_case[] = {1, 2, 3, 4, 6, 7};
	uint8_t key[256], data[256], mac[32];
	char h[65];
	size_t i, kl, dl;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		kl = unhex(v[i].key, key);
		dl = unhex(v[i].data, data);
		sw_hmac_sha256(key, kl, data, dl, mac);
		hex(mac, 32, h);
		if (strcmp(h, v[i].mac))
			SWT_BAD("RFC 4231 case %d: %s, want %s", rfc_case[i], h,
				v[i].mac);
	}
	/* case 5: output truncated to 128 bits */
	memset(key, 0x0c, 20);
	sw_hmac_sha256(key, 20, "Test With Truncation", 20, mac);
	hex(mac, 16, h);
	if (strcmp(h, "a3b6167473100ee06e0c796c2955552b"))
		SWT_BAD("RFC 4231 case 5: %s", h);
	swt_report("hmac_sha256_rfc4231");
}

static void test_hkdf(void)
{
	static const struct {
		const char *ikm, *salt, *info, *prk, *okm;
	} v[] = {
		/* RFC 5869 A.1, A.2, A.3 */
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		 "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
		 "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b"
		 "3e5",
		 "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c"
		 "5bf34007208d5b887185865"},
		{"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1"
		 "e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c"
		 "3d3e3f404142434445464748494a4b4c4d4e4f",
		 "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7"
		 "e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c"
		 "9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		 "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdc"
		 "ecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebec"
		 "edeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
		 "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc"
		 "244",
		 "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa"
		 "97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9ac"
		 "a3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
		 "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293cc"
		 "b04",
		 "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738"
		 "d2d9d201395faa4b61a96c8"},
	};
	uint8_t ikm[128], salt[128], info[128], prk[32], okm[128];
	char h[257];
	size_t i, il, sl, nl, ol;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		il = unhex(v[i].ikm, ikm);
		sl = unhex(v[i].salt, salt);
		nl = unhex(v[i].info, info);
		ol = strlen(v[i].okm) / 2;
		sw_hkdf_extract(sl ? salt : NULL, sl, ikm, il, prk);
		hex(prk, 32, h);
		if (strcmp(h, v[i].prk))
			SWT_BAD("RFC 5869 A.%zu PRK %s", i + 1, h);
		if (sw_hkdf_expand(prk, info, nl, okm, ol))
			SWT_BAD("RFC 5869 A.%zu: expand failed", i + 1);
		hex(okm, ol, h);
		if (strcmp(h, v[i].okm))
			SWT_BAD("RFC 5869 A.%zu OKM %s", i + 1, h);
		memset(okm, 0, sizeof(okm));
		sw_hkdf(sl ? salt : NULL, sl, ikm, il, info, nl, okm, ol);
		hex(okm, ol, h);
		if (strcmp(h, v[i].okm))
			SWT_BAD("RFC 5869 A.%zu one-shot OKM %s", i + 1, h);
	}
	if (sw_hkdf_expand(prk, "", 0, okm, 255 * 32 + 1) != -1)
		SWT_BAD("an OKM longer than 255 blocks was not refused");
	swt_report("hkdf_sha256_rfc5869");
}

static void test_fleet_key(void)
{
	/* Expected values computed with Python's hmac/hashlib (an
	 * independent HKDF), master = bytes 0..31. */
	static const struct {
		uint64_t n, k0, k1;
	} v[] = {
		{0, 0xac43a678a025a2d4ULL, 0xc31ad26fdfc52cf1ULL},
		{1, 0xa62c2d1e3d23d4baULL, 0xa537b1676c507b91ULL},
		{13990000, 0x65e4afcc5c67db64ULL, 0xeb90b63affda9441ULL},
		{UINT64_MAX, 0x7d96fa84796849d5ULL, 0x484ca8292bd6cc92ULL},
	};
	uint8_t master[32], other[32], fp[8];
	struct synwall_key k, k2;
	char h[17];
	size_t i;

	for (i = 0; i < 32; i++) {
		master[i] = (uint8_t)i;
		other[i] = (uint8_t)(i + 1);
	}
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sw_fleet_key(master, 32, v[i].n, &k);
		if (k.k0 != v[i].k0 || k.k1 != v[i].k1)
			SWT_BAD("n=%llu: key %016llx %016llx, want %016llx "
				"%016llx",
				(unsigned long long)v[i].n,
				(unsigned long long)k.k0,
				(unsigned long long)k.k1,
				(unsigned long long)v[i].k0,
				(unsigned long long)v[i].k1);
	}
	sw_fleet_key(master, 32, 5, &k);
	sw_fleet_key(other, 32, 5, &k2);
	if (k.k0 == k2.k0 && k.k1 == k2.k1)
		SWT_BAD("two master secrets give the same key");
	sw_fleet_fingerprint(master, 32, fp);
	hex(fp, 8, h);
	if (strcmp(h, "ab7c8f84416d98f0"))
		SWT_BAD("fingerprint %s", h);
	swt_report("fleet_key_hkdf");
}

/* ---- key files -------------------------------------------------------- */

static char tmpdir[] = "/tmp/synwall-unit.XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		SWT_BAD("cannot write %s", path);
	if (fd >= 0) {
		fchmod(fd, mode);
		close(fd);
	}
}

static void test_keyfile_create(void)
{
	char path[256], err[512];
	struct sw_master m, m2;
	struct stat st;
	mode_t old;

	snprintf(path, sizeof(path), "%s/new.key", tmpdir);
	old = umask(0); /* the file must still be 0600 */
	if (sw_keyfile_create(path, err, sizeof(err)))
		SWT_BAD("create failed: %s", err);
	umask(old);
	if (stat(path, &st) || (st.st_mode & 07777) != 0600)
		SWT_BAD("new key file has mode %04o, want 0600",
			(unsigned int)(st.st_mode & 07777));
	if (sw_keyfile_read(path, &m, err, sizeof(err)))
		SWT_BAD("cannot read the new key file: %s", err);
	else if (m.len != SW_MASTER_NEW)
		SWT_BAD("new secret has %zu bytes", m.len);
	if (!sw_keyfile_create(path, err, sizeof(err)) ||
	    !strstr(err, "already exists"))
		SWT_BAD("an existing key file was overwritten (or no clear "
			"message: %s)",
			err);
	if (sw_keyfile_read(path, &m2, err, sizeof(err)) ||
	    memcmp(&m, &m2, sizeof(m)))
		SWT_BAD("the key file changed after a refused create");
	snprintf(path, sizeof(path), "%s/new2.key", tmpdir);
	sw_keyfile_create(path, err, sizeof(err));
	if (sw_keyfile_read(path, &m2, err, sizeof(err)) ||
	    !memcmp(m.b, m2.b, m.len))
		SWT_BAD("two new key files hold the same secret");
	swt_report("keyfile_create_0600");
}

static void test_keyfile_perms(void)
{
	static const struct {
		mode_t mode;
		int ok;
	} v[] = {
		{0600, 1}, {0400, 1}, {0644, 0}, {0640, 0},
		{0604, 0}, {0660, 0}, {0606, 0}, {0700, 1},
	};
	const char *secret = "# fleet\n00112233445566778899aabbccddeeff\n";
	char path[256], err[512], want[300];
	struct sw_master m;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s/perm.key", tmpdir);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		write_file(path, secret, v[i].mode);
		err[0] = '\0';
		rc = sw_keyfile_read(path, &m, err, sizeof(err));
		snprintf(want, sizeof(want), "chmod 600 %s", path);
		if (v[i].ok && rc)
			SWT_BAD("mode %04o refused: %s",
				(unsigned int)v[i].mode, err);
		else if (!v[i].ok && !rc)
			SWT_BAD("mode %04o (group/world access) accepted",
				(unsigned int)v[i].mode);
		else if (!v[i].ok && !strstr(err, want))
			SWT_BAD("mode %04o: message \"%s\" does not say \"%s\"",
				(unsigned int)v[i].mode, err, want);
		else if (v[i].ok &&
			 (m.len != 16 || m.b[0] != 0x00 || m.b[15] != 0xff))
			SWT_BAD("secret misread");
	}
	swt_report("keyfile_refuses_group_world_access");
}

static void test_keyfile_content(void)
{
	static const struct {
		const char *text, *must; /* must: NULL = accepted */
	} v[] = {
		{"00112233445566778899AABBCCDDEEFF\n", NULL},
		{"  # comment\n\n\t00112233445566778899aabbccddeeff  \n# end\n",
		 NULL},
		{"00112233445566778899aabbccddeeff", NULL},
		{"", "holds no secret"},
		{"# only a comment\n", "holds no secret"},
		{"0011223344556677\n", "needs 128 to 512 bits"},
		{"00112233445566778899aabbccddeeffg0\n", "hex digits"},
		{"00112233445566778899aabbccddeeff0\n", "even number"},
		{"00112233445566778899aabbccddeeff\n00112233445566778899aabbccd"
		 "deeff\n",
		 "more than one"},
	};
	char path[256], link[256], err[512];
	struct sw_master m;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s/content.key", tmpdir);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		write_file(path, v[i].text, 0600);
		err[0] = '\0';
		rc = sw_keyfile_read(path, &m, err, sizeof(err));
		if (!v[i].must && rc)
			SWT_BAD("case %zu refused: %s", i, err);
		else if (v[i].must && !rc)
			SWT_BAD("case %zu accepted", i);
		else if (v[i].must && !strstr(err, v[i].must))
			SWT_BAD("case %zu: message \"%s\" lacks \"%s\"", i, err,
				v[i].must);
	}
	snprintf(link, sizeof(link), "%s/link.key", tmpdir);
	write_file(path, "00112233445566778899aabbccddeeff\n", 0600);
	if (symlink(path, link) == 0 &&
	    (!sw_keyfile_read(link, &m, err, sizeof(err)) ||
	     !strstr(err, "symbolic link")))
		SWT_BAD("a symbolic link was accepted");
	snprintf(path, sizeof(path), "%s/missing.key", tmpdir);
	if (!sw_keyfile_read(path, &m, err, sizeof(err)) ||
	    !strstr(err, "--new-file"))
		SWT_BAD("missing file: message \"%s\" does not say how to make "
			"one",
			err);
	if (!sw_keyfile_read(tmpdir, &m, err, sizeof(err)) ||
	    !strstr(err, "not a regular file"))
		SWT_BAD("a directory was accepted: %s", err);
	swt_report("keyfile_content");
}

/* ---- capability probe -------------------------------------------------- */

static void test_caps(void)
{
	struct sw_caps c;
	long v;
	int i;

	if (sw_sysctl_read("net.ipv4.tcp_syncookies", &v))
		SWT_BAD("cannot read net.ipv4.tcp_syncookies");
	if (sw_sysctl_read("net.ipv4.no_such_sysctl", &v) != -ENOENT)
		SWT_BAD("a missing sysctl did not give ENOENT");
	if (sw_bpffs_at("/tmp"))
		SWT_BAD("/tmp taken for a bpffs");
	sw_caps_check(&c, "/nonexistent/bpf/dir");
	for (i = 0; i < SW_CAP_COUNT; i++) {
		if (!c.cap[i].name || !c.cap[i].msg[0])
			SWT_BAD("capability %d has no name or message", i);
		if (!c.cap[i].ok && !strstr(c.cap[i].msg, "fix"))
			SWT_BAD("%s: missing, but the message names no fix: %s",
				c.cap[i].name, c.cap[i].msg);
	}
	if (c.cap[SW_CAP_BPFFS].ok)
		SWT_BAD("/nonexistent/bpf/dir taken for a bpffs");
	swt_report("caps_messages");

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		swt_report_skip("caps_kfunc",
				"no /sys/kernel/btf/vmlinux on this "
				"kernel");
		return;
	}
	if (sw_kfunc_present("bpf_this_kfunc_does_not_exist") != 0)
		SWT_BAD("a made-up kfunc was found");
	if (sw_kfunc_present("bpf_sk_release") <= 0 &&
	    sw_kfunc_present("bpf_obj_new_impl") <= 0 &&
	    sw_kfunc_present("tcp_v4_rcv") <= 0)
		SWT_BAD("no well-known function found in the kernel BTF");
	swt_report("caps_kfunc_lookup");
}

/* ---- libxdp's dispatcher or synwall alone (dispatch.c) --------------- */

static void test_xdp_decide(void)
{
	static const struct {
		int err, forced;
		bool dispatcher;
		enum sw_xdp_way want;
	} c[] = {
		{0, 0, true, SW_XDP_DISPATCHER},
		{0, 0, false,
		 SW_XDP_LIBXDP_ALONE}, /* 6.18: EPERM, libxdp alone */
		{-EINVAL, 0, false,
		 SW_XDP_FALLBACK}, /* 6.12: changes pkt data */
		{-EPERM, 0, false, SW_XDP_FALLBACK},
		{-EOPNOTSUPP, 0, false, SW_XDP_FALLBACK},
		{-ENOENT, 0, false, SW_XDP_FALLBACK}, /* no xdp-dispatcher.o */
		{-EACCES, 0, false,
		 SW_XDP_FALLBACK}, /* verifier, as extension */
		{-E2BIG, 0, false, SW_XDP_FALLBACK},
		{-EBUSY, 0, false, SW_XDP_BUSY},
		{-EEXIST, 0, false, SW_XDP_BUSY},
		{0, -EINVAL, true, SW_XDP_FALLBACK}, /* the test hook wins */
		{0, -EPERM, false, SW_XDP_FALLBACK},
		{0, -EBUSY, true, SW_XDP_BUSY},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sw_xdp_attempt t = {.err = c[i].err,
					   .dispatcher = c[i].dispatcher,
					   .forced_err = c[i].forced};

		if (sw_xdp_decide(&t) != c[i].want)
			SWT_BAD("case %zu (err %d, forced %d, dispatcher %d): "
				"got "
				"%d, want %d",
				i, c[i].err, c[i].forced, c[i].dispatcher,
				sw_xdp_decide(&t), c[i].want);
	}
	swt_report("xdp_dispatcher_decision");

	if (sw_errno_parse("EINVAL") != -EINVAL ||
	    sw_errno_parse("22") != -22 || sw_errno_parse("-1") != -1 ||
	    sw_errno_parse("EPERM") != -EPERM || sw_errno_parse("") != 0 ||
	    sw_errno_parse(NULL) != 0 || sw_errno_parse("yes") != 0 ||
	    sw_errno_parse("0") != 0)
		SWT_BAD("sw_errno_parse maps names and numbers wrongly");
	swt_report("xdp_force_errno_parse");
}

/* The one line: contains each of want[], and no newline. */
static void why_line(const char *name, enum sw_xdp_way way, int err,
		     const struct sw_xdp_why *swt_why, const char *const *want)
{
	char out[1024];

	sw_xdp_why_line(way, err, swt_why, "eth0", "native", out, sizeof(out));
	if (strchr(out, '\n'))
		SWT_BAD("%s: more than one line: %s", name, out);
	for (; *want; want++)
		if (!strstr(out, *want))
			SWT_BAD("%s: lacks \"%s\": %s", name, *want, out);
}

static void test_xdp_why_line(void)
{
	const char *const w612[] = {
		"dispatcher is not used on eth0",
		"Invalid argument: Extension program changes packet data, "
		"while original does not",
		"attaching synwall alone in native mode", NULL};
	const char *const w618[] = {
		"libxdp: Compatibility check for dispatcher program failed: "
		"Operation not permitted",
		"alone in native mode", NULL};
	const char *const wforce[] = {"SYNWALL_TEST_DISPATCHER_FAIL=EINVAL",
				      "a test hook", NULL};
	const char *const wskip[] = {"LIBXDP_SKIP_DISPATCHER=1 is set", NULL};
	const char *const wext[] = {"Operation not supported: Underlying "
				    "driver does not support XDP",
				    NULL};
	struct sw_xdp_why swt_why;

	memset(&swt_why, 0, sizeof(swt_why));
	swt_why.verifier = "Extension program changes packet data, while "
			   "original does not";
	why_line("6.12", SW_XDP_FALLBACK, -EINVAL, &swt_why, w612);
	memset(&swt_why, 0, sizeof(swt_why));
	swt_why.libxdp = "Compatibility check for dispatcher program failed: "
			 "Operation not permitted";
	swt_why.extack = "ignored: libxdp's account comes first";
	why_line("6.18", SW_XDP_LIBXDP_ALONE, 0, &swt_why, w618);
	memset(&swt_why, 0, sizeof(swt_why));
	swt_why.force_env = "EINVAL";
	swt_why.libxdp = "something else";
	why_line("forced", SW_XDP_FALLBACK, -EINVAL, &swt_why, wforce);
	memset(&swt_why, 0, sizeof(swt_why));
	swt_why.skip_env = "1";
	why_line("skip_env", SW_XDP_LIBXDP_ALONE, 0, &swt_why, wskip);
	memset(&swt_why, 0, sizeof(swt_why));
	swt_why.extack =
		"Underlying driver does not support XDP in native mode";
	why_line("extack", SW_XDP_FALLBACK, -EOPNOTSUPP, &swt_why, wext);
	swt_report("xdp_dispatcher_reason_line");
}

/* ---- the verifier log's tail (liblog.c) ------------------------------- */

static void test_verifier_tail(void)
{
	const char *log =
		"prog 'synwall_xdp': -- BEGIN PROG LOAD LOG --\n"
		"0: R1=ctx() R10=fp0\n"
		"; void *data = (void *)(long)ctx->data; @ synwall.bpf.c:10\n"
		"0: (61) r2 = *(u32 *)(r1 +0)\n"
		"1: (61) r3 = *(u32 *)(r1 +4)\n"
		"\n"
		"2: (71) r0 = *(u8 *)(r2 +0)\n"
		"invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)\n"
		"R2 offset is outside of the packet\n"
		"processed 3 insns (limit 1000000) max_states_per_insn 0 "
		"total_states 0 peak_states 0 mark_read 0\n"
		"-- END PROG LOAD LOG --\n";
	static const char *const want[] = {
		"0: (61) r2 = *(u32 *)(r1 +0)",
		"1: (61) r3 = *(u32 *)(r1 +4)",
		"2: (71) r0 = *(u8 *)(r2 +0)",
		"invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)",
		"R2 offset is outside of the packet",
	};
	struct sw_verifier_tail t;
	int i;

	if (sw_verifier_tail_parse(log, &t))
		SWT_BAD("a verifier log was not recognised");
	else if (strcmp(t.prog, "synwall_xdp"))
		SWT_BAD("program name '%s', want synwall_xdp", t.prog);
	else if (t.n != SW_VLOG_LINES)
		SWT_BAD("%d lines, want %d", t.n, SW_VLOG_LINES);
	else
		for (i = 0; i < SW_VLOG_LINES; i++)
			if (strcmp(t.line[i], want[i]))
				SWT_BAD("line %d: '%s', want '%s'", i,
					t.line[i], want[i]);
	if (sw_verifier_tail_parse("prog 'x': BPF program load failed: "
				   "Permission denied\n",
				   &t) != -1)
		SWT_BAD("an ordinary libbpf line taken for a verifier log");
	if (sw_verifier_tail_parse("prog 'x': -- BEGIN PROG LOAD LOG --\n"
				   "Extension program changes packet data, "
				   "while original does not\n"
				   "processed 0 insns\n"
				   "-- END PROG LOAD LOG --\n",
				   &t) ||
	    t.n != 1 ||
	    strcmp(t.line[0], "Extension program changes packet data, while "
			      "original does not"))
		SWT_BAD("the 6.12 one-line log: %d lines, '%s'", t.n,
			t.line[0]);
	swt_report("verifier_log_tail");
}

/* ---- rx VLAN stripping policy (vlan.c) -------------------------------- */

static void test_vlan_policy(void)
{
	static const struct {
		bool known, ctag, stag;
		int uppers;
		bool allow;
		enum sw_vlan_verdict want;
		const char *msg; /* must appear in the message */
	} c[] = {
		{false, true, true, 3, false, SW_VLAN_OK,
		 NULL}, /* no ethtool */
		{true, false, false, 2, false, SW_VLAN_OK,
		 NULL}, /* virtio_net */
		{true, true, false, 0, false, SW_VLAN_OK,
		 NULL}, /* veth, a NIC */
		{true, true, true, -1, false, SW_VLAN_OK, NULL}, /* unknown */
		{true, true, false, 1, false, SW_VLAN_REFUSE,
		 "fix: ethtool -K eth0 rxvlan off"},
		{true, true, false, 1, false, SW_VLAN_REFUSE,
		 "--allow-vlan-offload"},
		{true, true, false, 2, false, SW_VLAN_REFUSE,
		 "eth0.100 and other VLANs"},
		{true, false, true, 1, false, SW_VLAN_REFUSE,
		 "ethtool -K eth0 rx-vlan-stag-hw-parse off"},
		{true, true, true, 1, false, SW_VLAN_REFUSE,
		 "ethtool -K eth0 rxvlan off rx-vlan-stag-hw-parse off"},
		{true, true, false, 1, true, SW_VLAN_OVERRIDDEN,
		 "--allow-vlan-offload: going on"},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sw_vlan_facts f = {.features_known = c[i].known,
					  .ctag_strip = c[i].ctag,
					  .stag_strip = c[i].stag,
					  .uppers = c[i].uppers};
		char msg[512] = "";
		enum sw_vlan_verdict v;

		snprintf(f.upper, sizeof(f.upper), "eth0.100");
		v = sw_vlan_decide(&f, c[i].allow, "eth0", msg, sizeof(msg));
		if (v != c[i].want)
			SWT_BAD("case %zu: verdict %d, want %d (%s)", i, v,
				c[i].want, msg);
		else if (c[i].msg && !strstr(msg, c[i].msg))
			SWT_BAD("case %zu: message lacks \"%s\": %s", i,
				c[i].msg, msg);
	}
	swt_report("vlan_strip_policy");
}

/* ---- IPv6 built as a module (caps.c) ------------------------------------ */

static void test_ipv6_module(void)
{
	static const struct {
		struct sw_ipv6_facts f;
		enum sw_ipv6_verdict want;
		const char *msg;
	} c[] = {
		/* btf builtin module_live active */
		{{1, 1, 0, 1}, SW_IPV6_OK, "built in"},
		{{1, 1, 1, 1}, SW_IPV6_OK, "built in"}, /* builtin wins */
		{{0, 0, 1, 1}, SW_IPV6_OK, "cannot tell"},
		{{1, 0, 1, 1}, SW_IPV6_REFUSE, "loadable module (ipv6.ko)"},
		{{1, 0, 1, 1}, SW_IPV6_REFUSE, "-EINVAL"},
		{{1, 0, 1, 1}, SW_IPV6_REFUSE, "tc_err_einval"},
		{{1, 0, 1, 1},
		 SW_IPV6_REFUSE,
		 "fix: a kernel with CONFIG_IPV6=y"},
		{{1, 0, 1, 1}, SW_IPV6_REFUSE, "--force"},
		{{1, 0, 1, 0}, SW_IPV6_OK, "ipv6.disable=1"},
		{{1, 0, 0, 0}, SW_IPV6_OK, "not built in and not loaded"},
		{{1, 0, 0, 1}, SW_IPV6_OK, "not built in and not loaded"},
	};
	struct sw_ipv6_facts real;
	struct sw_caps caps;
	char msg[512];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum sw_ipv6_verdict v;

		msg[0] = '\0';
		v = sw_ipv6_decide(&c[i].f, msg, sizeof(msg));
		if (v != c[i].want)
			SWT_BAD("case %zu: verdict %d, want %d (%s)", i, v,
				c[i].want, msg);
		if (!strstr(msg, c[i].msg))
			SWT_BAD("case %zu: message lacks \"%s\": %s", i,
				c[i].msg, msg);
	}
	swt_report("ipv6_module_policy");

	/* this kernel, and the test hook the e2e check uses */
	sw_ipv6_probe(&real);
	printf("  # this kernel: IPv6 btf=%d builtin=%d module_live=%d "
	       "active=%d\n",
	       real.btf, real.builtin, real.module_live, real.active);
	if (real.btf && real.builtin && real.module_live)
		SWT_BAD("IPv6 both built in and a loaded module");
	setenv(SW_TEST_IPV6_MODULE, "1", 1);
	sw_caps_check(&caps, NULL);
	unsetenv(SW_TEST_IPV6_MODULE);
	if (caps.cap[SW_CAP_IPV6].ok ||
	    !strstr(caps.cap[SW_CAP_IPV6].msg, "loadable module"))
		SWT_BAD("%s=1: IPv6 not reported as a module: %s",
			SW_TEST_IPV6_MODULE, caps.cap[SW_CAP_IPV6].msg);
	sw_caps_check(&caps, NULL);
	if (real.btf && real.builtin && !caps.cap[SW_CAP_IPV6].ok)
		SWT_BAD("built-in IPv6 reported missing: %s",
			caps.cap[SW_CAP_IPV6].msg);
	swt_report("ipv6_module_probe");
}

/* ---- the handoff kfunc's refusal (caps.c) ----------------------------- */

static void test_kfunc_refusal(void)
{
	struct utsname u;
	struct sw_caps c;
	char msg[512];
	int real;

	uname(&u);
	sw_kfunc_missing_msg(SW_KFUNC_HANDOFF, 0, msg, sizeof(msg));
	if (!strstr(msg, u.release) ||
	    !strstr(msg, "lacks the kfunc " SW_KFUNC_HANDOFF) ||
	    !strstr(msg, "Linux >= 6.9") ||
	    !strstr(msg, "apt install linux-image-6.12-amd64") ||
	    !strstr(msg, "bookworm-security") || !strstr(msg, "fix: "))
		SWT_BAD("the refusal lacks the kernel, the requirement or the "
			"way "
			"out: %s",
			msg);
	swt_report("kfunc_refusal_message");

	real = sw_kfunc_present(SW_KFUNC_HANDOFF);
	if (real <= 0) {
		swt_report_skip("kfunc_test_hook",
				"this kernel has no %s to hide",
				SW_KFUNC_HANDOFF);
		return;
	}
	setenv(SW_TEST_HIDE_KFUNC, "bpf_other," SW_KFUNC_HANDOFF, 1);
	if (sw_kfunc_present(SW_KFUNC_HANDOFF) != 0)
		SWT_BAD("%s in a list did not hide the kfunc",
			SW_TEST_HIDE_KFUNC);
	sw_caps_check(&c, NULL);
	if (c.cap[SW_CAP_KFUNC].ok ||
	    !strstr(c.cap[SW_CAP_KFUNC].msg, "linux-image-6.12-amd64"))
		SWT_BAD("caps: a hidden kfunc is not reported missing: %s",
			c.cap[SW_CAP_KFUNC].msg);
	setenv(SW_TEST_HIDE_KFUNC, "bpf_sk_assign_tcp", 1);
	if (sw_kfunc_present(SW_KFUNC_HANDOFF) != 1)
		SWT_BAD("a prefix of the name hid the kfunc");
	unsetenv(SW_TEST_HIDE_KFUNC);
	if (sw_kfunc_present(SW_KFUNC_HANDOFF) != 1)
		SWT_BAD("the kfunc stays hidden without the hook");
	swt_report("kfunc_test_hook");
}

/* ---- the clock, the lock, the rotation guard ----------------------- */

static void test_tai_offset(void)
{
	struct timespec tai, utc;
	__s32 off;
	long d;

	if (sw_tai_offset(&off)) {
		SWT_BAD("sw_tai_offset failed");
	} else {
		clock_gettime(CLOCK_TAI, &tai);
		clock_gettime(CLOCK_REALTIME, &utc);
		d = (long)(tai.tv_sec - utc.tv_sec);
		if (tai.tv_nsec < utc.tv_nsec)
			d--; /* a second boundary between the reads */
		if (d != off && d + 1 != off)
			SWT_BAD("adjtimex says TAI - UTC = %d s, the clocks "
				"differ "
				"by %ld s",
				(int)off, d);
	}
	swt_report("tai_offset_is_clock_tai_minus_realtime");
}

static void test_rotate_wait(void)
{
	struct synwall_keys k;
	const __u64 t = 1700000000;

	memset(&k, 0, sizeof(k));
	k.generation = 1; /* a fresh install: slot 1 never made a cookie */
	k.installed_at[0] = k.installed_at[1] = t;
	if (sw_keys_rotate_wait(&k, t))
		SWT_BAD("fresh keys: a first rotation must not wait");
	k.generation = 2; /* rotated once, at t: slot 0 made cookies */
	k.current = 1;
	k.installed_at[1] = t;
	k.installed_at[0] = t - 1000;
	if (sw_keys_rotate_wait(&k, t) != SW_ROTATE_MIN)
		SWT_BAD("just rotated: wait %llu, want %u",
			(unsigned long long)sw_keys_rotate_wait(&k, t),
			SW_ROTATE_MIN);
	if (sw_keys_rotate_wait(&k, t + 100) != SW_ROTATE_MIN - 100)
		SWT_BAD("100 s after: wait %llu, want %u",
			(unsigned long long)sw_keys_rotate_wait(&k, t + 100),
			SW_ROTATE_MIN - 100);
	if (sw_keys_rotate_wait(&k, t + SW_ROTATE_MIN) ||
	    sw_keys_rotate_wait(&k, t + 5000))
		SWT_BAD("a key one cookie lifetime old must not wait");
	if (sw_keys_rotate_wait(&k, t - 50) != SW_ROTATE_MIN)
		SWT_BAD("clock stepped back: wait %llu, want %u",
			(unsigned long long)sw_keys_rotate_wait(&k, t - 50),
			SW_ROTATE_MIN);
	swt_report("rotate_wait_one_cookie_lifetime");
}

/* sw_lock_take holds SW_LOCK_PATH: another process cannot take it. */
static void test_lock(void)
{
	pid_t pid;
	int st;

	if (geteuid() != 0 || access("/run", W_OK)) {
		swt_report_skip("host_lock_excludes", "needs root (/run)");
		return;
	}
	if (sw_lock_take() || !sw_lock_held() || sw_lock_take()) {
		SWT_BAD("cannot take the lock (or not reentrant)");
		swt_report("host_lock_excludes");
		return;
	}
	pid = fork();
	if (pid == 0) {
		int fd = open(SW_LOCK_PATH, O_RDWR | O_CLOEXEC);

		_exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) &&
				      errno == EWOULDBLOCK ?
			      0 :
			      1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		SWT_BAD("another process could take %s while we held it",
			SW_LOCK_PATH);
	sw_lock_release();
	if (sw_lock_held())
		SWT_BAD("still held after release");
	swt_report("host_lock_excludes");
}

static const struct swt_case cases[] = {
	SWT_CHECKS("ports_parse", test_ports_parse),
	SWT_CHECKS("ports_errors", test_ports_errors),
	SWT_CHECKS("ports_format", test_ports_format),
	SWT_CHECKS("sha256", test_sha256),
	SWT_CHECKS("hmac", test_hmac),
	SWT_CHECKS("hkdf", test_hkdf),
	SWT_CHECKS("fleet_key", test_fleet_key),
	SWT_CHECKS("keyfile_create", test_keyfile_create),
	SWT_CHECKS("keyfile_perms", test_keyfile_perms),
	SWT_CHECKS("keyfile_content", test_keyfile_content),
	SWT_CHECKS("caps", test_caps),
	SWT_CHECKS("xdp_decide", test_xdp_decide),
	SWT_CHECKS("xdp_why_line", test_xdp_why_line),
	SWT_CHECKS("verifier_tail", test_verifier_tail),
	SWT_CHECKS("vlan_policy", test_vlan_policy),
	SWT_CHECKS("ipv6_module", test_ipv6_module),
	SWT_CHECKS("kfunc_refusal", test_kfunc_refusal),
	SWT_CHECKS("tai_offset", test_tai_offset),
	SWT_CHECKS("rotate_wait", test_rotate_wait),
	SWT_CHECKS("lock", test_lock),
};

int main(int argc, char **argv)
{
	static const struct swt_suite suite = SWT_SUITE(cases, NULL);
	int r;
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	r = swt_main(&suite, argc, argv);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			printf("  # could not remove %s\n", tmpdir);
	}
	return r;
}
