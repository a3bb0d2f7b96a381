// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SHA-256, HMAC-SHA256, HKDF-SHA256 from libcrypto; the fleet key.  See
 * kdf.h. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "kdf.h"
#include "log.h"

/* Say what failed and libcrypto's reason (its error queue), then empty
 * the queue so that the next failure does not show this one's reason. */
static int crypto_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "no reason given";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	sw_err("libcrypto: %s failed: %s", what, reason);
	return -1;
}

int sw_sha256_init(struct sw_sha256 *c)
{
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx || !EVP_DigestInit_ex(c->ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(c->ctx);
		c->ctx = NULL;
		return crypto_fail("SHA-256 init");
	}
	return 0;
}

int sw_sha256_update(struct sw_sha256 *c, const void *data, size_t n)
{
	if (!c->ctx || !EVP_DigestUpdate(c->ctx, data, n))
		return crypto_fail("SHA-256 update");
	return 0;
}

int sw_sha256_final(struct sw_sha256 *c, uint8_t out[SW_SHA256_LEN])
{
	int ok = c->ctx && EVP_DigestFinal_ex(c->ctx, out, NULL);

	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
	return ok ? 0 : crypto_fail("SHA-256 final");
}

int sw_sha256(const void *data, size_t n, uint8_t out[SW_SHA256_LEN])
{
	if (!EVP_Digest(data, n, out, NULL, EVP_sha256(), NULL))
		return crypto_fail("SHA-256");
	return 0;
}

int sw_hmac_sha256(const void *key, size_t keylen, const void *msg,
		   size_t msglen, uint8_t out[SW_SHA256_LEN])
{
	if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, NULL))
		return crypto_fail("HMAC-SHA256");
	return 0;
}

/*
 * One HKDF call in the given mode (EVP_KDF_HKDF_MODE_*).  The key goes in
 * as the "key" parameter: the IKM for extract, the PRK for expand-only.
 * An absent salt is left out, and RFC 5869 then uses HashLen zero bytes.
 */
static int hkdf(int mode, const void *salt, size_t saltlen, const void *key,
		size_t keylen, const void *info, size_t infolen, uint8_t *out,
		size_t outlen)
{
	OSSL_PARAM params[6], *p = params;
	EVP_KDF_CTX *kctx = NULL;
	EVP_KDF *kdf;
	int rc = 0;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return crypto_fail("fetching HKDF");
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return crypto_fail("HKDF context");

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, keylen);
	if (salt && saltlen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, saltlen);
	if (info && infolen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();

	if (EVP_KDF_derive(kctx, out, outlen, params) <= 0)
		rc = crypto_fail("HKDF-SHA256");
	EVP_KDF_CTX_free(kctx);
	return rc;
}

int sw_hkdf_extract(const void *salt, size_t saltlen, const void *ikm,
		    size_t ikmlen, uint8_t prk[SW_SHA256_LEN])
{
	return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, saltlen, ikm, ikmlen,
		    NULL, 0, prk, SW_SHA256_LEN);
}

int sw_hkdf_expand(const uint8_t prk[SW_SHA256_LEN], const void *info,
		   size_t infolen, uint8_t *okm, size_t okmlen)
{
	/* RFC 5869's limit; libcrypto refuses it too, but with a queue
	 * entry that would read as a library failure */
	if (okmlen > 255 * SW_SHA256_LEN)
		return -1;
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk, SW_SHA256_LEN,
		    info, infolen, okm, okmlen);
}

int sw_hkdf(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
	    const void *info, size_t infolen, uint8_t *okm, size_t okmlen)
{
	if (okmlen > 255 * SW_SHA256_LEN)
		return -1;
	return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, salt, saltlen, ikm,
		    ikmlen, info, infolen, okm, okmlen);
}

int sw_fleet_key(const uint8_t *master, size_t masterlen, uint64_t n,
		 struct synwall_key *key)
{
	uint8_t info[sizeof(SW_FLEET_INFO) - 1 + 8], okm[16];
	size_t l = sizeof(SW_FLEET_INFO) - 1;
	int i;

	memcpy(info, SW_FLEET_INFO, l);
	for (i = 0; i < 8; i++)
		info[l + i] = (uint8_t)(n >> (56 - 8 * i));
	if (sw_hkdf(SW_FLEET_SALT, sizeof(SW_FLEET_SALT) - 1, master, masterlen,
		    info, sizeof(info), okm, sizeof(okm)))
		return -1;
	key->k0 = 0;
	key->k1 = 0;
	for (i = 7; i >= 0; i--) {
		key->k0 = key->k0 << 8 | okm[i];
		key->k1 = key->k1 << 8 | okm[8 + i];
	}
	sw_wipe(okm, sizeof(okm));
	return 0;
}

int sw_fleet_fingerprint(const uint8_t *master, size_t masterlen, uint8_t fp[8])
{
	static const char tag[] = "synwall fingerprint";
	uint8_t h[SW_SHA256_LEN];
	struct sw_sha256 c;

	if (sw_sha256_init(&c))
		return -1;
	if (sw_sha256_update(&c, tag, sizeof(tag) - 1) ||
	    sw_sha256_update(&c, master, masterlen)) {
		sw_sha256_final(&c, h);
		sw_wipe(h, sizeof(h));
		return -1;
	}
	if (sw_sha256_final(&c, h))
		return -1;
	memcpy(fp, h, 8);
	sw_wipe(h, sizeof(h));
	return 0;
}

void sw_wipe(void *p, size_t n)
{
	/* glibc's explicit_bzero: a store the compiler may not drop */
	explicit_bzero(p, n);
}
