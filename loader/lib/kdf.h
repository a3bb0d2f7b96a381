/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fleet-mode key derivation: SHA-256, HMAC-SHA256 and HKDF-SHA256
 * (RFC 5869) from OpenSSL's libcrypto (EVP_KDF "HKDF"), and the fleet
 * key made with them.  Every function that can fail returns 0, or -1
 * after printing what failed with libcrypto's reason.
 *
 * The cookie key of rotation number n is
 *
 *   HKDF-SHA256(IKM  = master secret (the key file),
 *               salt = "synwall fleet v1",
 *               info = "synwall cookie key" || n as 8 bytes big-endian,
 *               L    = 16)
 *
 * read as two little-endian 64-bit words k0, k1 (struct synwall_key).
 * The data path's cookie MAC (SipHash, include/synwall/cookie.h) is not
 * here: BPF code cannot call a library.
 */
#ifndef SYNWALL_LOADER_KDF_H
#define SYNWALL_LOADER_KDF_H

#include <stddef.h>
#include <stdint.h>
#include <synwall/abi.h>

#define SW_SHA256_LEN 32

/* An incremental SHA-256 (an EVP digest context); final frees it. */
struct sw_sha256 {
	struct evp_md_ctx_st *ctx;
};

int sw_sha256_init(struct sw_sha256 *c);
int sw_sha256_update(struct sw_sha256 *c, const void *data, size_t n);
int sw_sha256_final(struct sw_sha256 *c, uint8_t out[SW_SHA256_LEN]);
int sw_sha256(const void *data, size_t n, uint8_t out[SW_SHA256_LEN]);

int sw_hmac_sha256(const void *key, size_t keylen, const void *msg,
		   size_t msglen, uint8_t out[SW_SHA256_LEN]);

/* RFC 5869.  salt may be NULL (then HashLen zero bytes).  An okmlen over
 * 255 * 32 is refused (-1) without a message. */
int sw_hkdf_extract(const void *salt, size_t saltlen, const void *ikm,
		    size_t ikmlen, uint8_t prk[SW_SHA256_LEN]);
int sw_hkdf_expand(const uint8_t prk[SW_SHA256_LEN], const void *info,
		   size_t infolen, uint8_t *okm, size_t okmlen);
int sw_hkdf(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
	    const void *info, size_t infolen, uint8_t *okm, size_t okmlen);

#define SW_FLEET_SALT "synwall fleet v1"
#define SW_FLEET_INFO "synwall cookie key"

/* The cookie key for rotation number n (see above). */
int sw_fleet_key(const uint8_t *master, size_t masterlen, uint64_t n,
		 struct synwall_key *key);

/* A short public fingerprint of a master secret (first 8 bytes of
 * SHA-256("synwall fingerprint" || master)), to tell key files apart in
 * `synwall status` without revealing anything usable. */
int sw_fleet_fingerprint(const uint8_t *master, size_t masterlen,
			 uint8_t fp[8]);

/* Wipe memory that held a secret (not optimised away). */
void sw_wipe(void *p, size_t n);

#endif
