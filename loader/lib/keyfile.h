/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fleet key files.  A key file holds one master secret as hex text:
 *
 *   # synwall fleet master secret (keep it 0600; same file on every host)
 *   3f1c...e9            (32 to 128 hex digits: 128 to 512 bits)
 *
 * Lines starting with '#' and blank lines are ignored.  A key file must be
 * a regular file, not readable or writable by group or others (mode 0600
 * or 0400), and owned by root or by the user running synwall: anything
 * else is refused with the chmod/chown that fixes it.  Pure user-space
 * code: the unit tests include it.
 */
#ifndef SYNWALL_LOADER_KEYFILE_H
#define SYNWALL_LOADER_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define SW_MASTER_MIN 16 /* bytes: 128 bits */
#define SW_MASTER_MAX 64 /* bytes: 512 bits */
#define SW_MASTER_NEW 32 /* bytes a new key file gets: 256 bits */

struct sw_master {
	uint8_t b[SW_MASTER_MAX];
	size_t len;
};

/*
 * Read and check a key file.  Returns 0, or -1 with a one-line message
 * (what is wrong and how to fix it) in err.
 */
int sw_keyfile_read(const char *path, struct sw_master *m, char *err,
		    size_t errlen);

/*
 * Create a new key file with SW_MASTER_NEW random bytes (getrandom),
 * mode 0600, refusing to overwrite an existing file.  Returns 0 or -1
 * with a message in err.
 */
int sw_keyfile_create(const char *path, char *err, size_t errlen);

/* Fill buf with n bytes from getrandom(2).  Returns 0 or -errno. */
int sw_random_bytes(void *buf, size_t n);

#endif
