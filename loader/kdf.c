// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SHA-256, HMAC-SHA256, HKDF-SHA256 and the fleet key.  See kdf.h. */
#include <string.h>

#include "kdf.h"

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^
			      (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) +
		     ((e & f) ^ (~e & g)) + K256[i] + w[i];
		t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
	sw_wipe(w, sizeof(w));
}

void sw_sha256_init(struct sw_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->nbuf = 0;
}

void sw_sha256_update(struct sw_sha256 *c, const void *data, size_t n)
{
	const uint8_t *p = data;

	c->len += n;
	if (c->nbuf) {
		size_t take = SW_SHA256_BLOCK - c->nbuf;

		if (take > n)
			take = n;
		memcpy(c->buf + c->nbuf, p, take);
		c->nbuf += take;
		p += take;
		n -= take;
		if (c->nbuf < SW_SHA256_BLOCK)
			return;
		sha256_block(c->h, c->buf);
		c->nbuf = 0;
	}
	for (; n >= SW_SHA256_BLOCK; n -= SW_SHA256_BLOCK, p += SW_SHA256_BLOCK)
		sha256_block(c->h, p);
	memcpy(c->buf, p, n);
	c->nbuf = n;
}

void sw_sha256_final(struct sw_sha256 *c, uint8_t out[SW_SHA256_LEN])
{
	uint64_t bits = c->len * 8;
	int i;

	c->buf[c->nbuf++] = 0x80;
	if (c->nbuf > SW_SHA256_BLOCK - 8) {
		memset(c->buf + c->nbuf, 0, SW_SHA256_BLOCK - c->nbuf);
		sha256_block(c->h, c->buf);
		c->nbuf = 0;
	}
	memset(c->buf + c->nbuf, 0, SW_SHA256_BLOCK - 8 - c->nbuf);
	for (i = 0; i < 8; i++)
		c->buf[SW_SHA256_BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha256_block(c->h, c->buf);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
	sw_wipe(c, sizeof(*c));
}

void sw_sha256(const void *data, size_t n, uint8_t out[SW_SHA256_LEN])
{
	struct sw_sha256 c;

	sw_sha256_init(&c);
	sw_sha256_update(&c, data, n);
	sw_sha256_final(&c, out);
}

void sw_hmac_sha256(const void *key, size_t keylen, const void *msg,
		    size_t msglen, uint8_t out[SW_SHA256_LEN])
{
	uint8_t k[SW_SHA256_BLOCK] = {0}, pad[SW_SHA256_BLOCK];
	uint8_t inner[SW_SHA256_LEN];
	struct sw_sha256 c;
	int i;

	if (keylen > SW_SHA256_BLOCK)
		sw_sha256(key, keylen, k);
	else if (keylen)
		memcpy(k, key, keylen);

	for (i = 0; i < SW_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	sw_sha256_init(&c);
	sw_sha256_update(&c, pad, sizeof(pad));
	sw_sha256_update(&c, msg, msglen);
	sw_sha256_final(&c, inner);

	for (i = 0; i < SW_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	sw_sha256_init(&c);
	sw_sha256_update(&c, pad, sizeof(pad));
	sw_sha256_update(&c, inner, sizeof(inner));
	sw_sha256_final(&c, out);

	sw_wipe(k, sizeof(k));
	sw_wipe(pad, sizeof(pad));
	sw_wipe(inner, sizeof(inner));
}

void sw_hkdf_extract(const void *salt, size_t saltlen, const void *ikm,
		     size_t ikmlen, uint8_t prk[SW_SHA256_LEN])
{
	static const uint8_t zeros[SW_SHA256_LEN];

	if (!salt || !saltlen) {
		salt = zeros;
		saltlen = sizeof(zeros);
	}
	sw_hmac_sha256(salt, saltlen, ikm, ikmlen, prk);
}

int sw_hkdf_expand(const uint8_t prk[SW_SHA256_LEN], const void *info,
		   size_t infolen, uint8_t *okm, size_t okmlen)
{
	uint8_t t[SW_SHA256_LEN], msg[SW_SHA256_LEN + 256 + 1];
	size_t tlen = 0, done = 0, take;
	unsigned int i;

	if (okmlen > 255 * SW_SHA256_LEN || infolen > 256)
		return -1;
	for (i = 1; done < okmlen; i++) {
		/* T(i) = HMAC(PRK, T(i-1) | info | i) */
		memcpy(msg, t, tlen);
		if (infolen)
			memcpy(msg + tlen, info, infolen);
		msg[tlen + infolen] = (uint8_t)i;
		sw_hmac_sha256(prk, SW_SHA256_LEN, msg, tlen + infolen + 1, t);
		tlen = SW_SHA256_LEN;
		take = okmlen - done < SW_SHA256_LEN ? okmlen - done :
						       SW_SHA256_LEN;
		memcpy(okm + done, t, take);
		done += take;
	}
	sw_wipe(t, sizeof(t));
	sw_wipe(msg, sizeof(msg));
	return 0;
}

int sw_hkdf(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
	    const void *info, size_t infolen, uint8_t *okm, size_t okmlen)
{
	uint8_t prk[SW_SHA256_LEN];
	int rc;

	sw_hkdf_extract(salt, saltlen, ikm, ikmlen, prk);
	rc = sw_hkdf_expand(prk, info, infolen, okm, okmlen);
	sw_wipe(prk, sizeof(prk));
	return rc;
}

void sw_fleet_key(const uint8_t *master, size_t masterlen, uint64_t n,
		  struct synwall_key *key)
{
	uint8_t info[sizeof(SW_FLEET_INFO) - 1 + 8], okm[16];
	size_t l = sizeof(SW_FLEET_INFO) - 1;
	int i;

	memcpy(info, SW_FLEET_INFO, l);
	for (i = 0; i < 8; i++)
		info[l + i] = (uint8_t)(n >> (56 - 8 * i));
	sw_hkdf(SW_FLEET_SALT, sizeof(SW_FLEET_SALT) - 1, master, masterlen,
		info, sizeof(info), okm, sizeof(okm));
	key->k0 = 0;
	key->k1 = 0;
	for (i = 7; i >= 0; i--) {
		key->k0 = key->k0 << 8 | okm[i];
		key->k1 = key->k1 << 8 | okm[8 + i];
	}
	sw_wipe(okm, sizeof(okm));
}

void sw_fleet_fingerprint(const uint8_t *master, size_t masterlen,
			  uint8_t fp[8])
{
	static const char tag[] = "synwall fingerprint";
	uint8_t h[SW_SHA256_LEN];
	struct sw_sha256 c;

	sw_sha256_init(&c);
	sw_sha256_update(&c, tag, sizeof(tag) - 1);
	sw_sha256_update(&c, master, masterlen);
	sw_sha256_final(&c, h);
	memcpy(fp, h, 8);
	sw_wipe(h, sizeof(h));
}

void sw_wipe(void *p, size_t n)
{
	/* glibc's explicit_bzero: a store the compiler may not drop */
	explicit_bzero(p, n);
}
