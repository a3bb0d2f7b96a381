// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Fleet key files.  See keyfile.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdf.h"
#include "keyfile.h"

int sw_random_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;
	ssize_t r;

	while (n) {
		r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int sw_keyfile_read(const char *path, struct sw_master *m, char *err,
		    size_t errlen)
{
	char buf[4096], *line, *save = NULL;
	struct stat st;
	ssize_t n;
	size_t total = 0;
	int fd, found = 0;

	memset(m, 0, sizeof(*m));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen,
				 "key file %s is a symbolic link: give the "
				 "real file's path",
				 path);
		else if (errno == ENOENT)
			snprintf(err, errlen,
				 "key file %s does not exist: create one with "
				 "`synwall keys --new-file %s` (then copy it "
				 "to every host of the fleet)",
				 path, path);
		else
			snprintf(err, errlen, "cannot open key file %s: %s",
				 path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat key file %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s is not a regular file",
			 path);
		goto fail;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "key file %s is accessible by group or others (mode "
			 "%04o): refusing a secret others can read; fix: chmod "
			 "600 %s",
			 path, (unsigned int)(st.st_mode & 07777), path);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "key file %s is owned by uid %u, not by root or by "
			 "you: fix: chown root: %s",
			 path, (unsigned int)st.st_uid, path);
		goto fail;
	}
	while (total < sizeof(buf) - 1) {
		n = read(fd, buf + total, sizeof(buf) - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read key file %s: %s",
				 path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		total += (size_t)n;
	}
	buf[total] = '\0';
	close(fd);
	fd = -1;

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s = line, *e = line + strlen(line);
		size_t i, digits;

		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		if (found) {
			snprintf(err, errlen,
				 "key file %s has more than one secret line: "
				 "keep one hex line (comments start with #)",
				 path);
			goto fail;
		}
		found = 1;
		digits = (size_t)(e - s);
		for (i = 0; i < digits; i++)
			if (hexval((unsigned char)s[i]) < 0)
				break;
		if (i < digits || digits % 2) {
			snprintf(err, errlen,
				 "key file %s: the secret must be an even "
				 "number of hex digits (0-9, a-f) on one line",
				 path);
			goto fail;
		}
		if (digits < 2 * SW_MASTER_MIN || digits > 2 * SW_MASTER_MAX) {
			snprintf(err, errlen,
				 "key file %s: the secret has %zu bits; it "
				 "needs %d to %d bits (%d to %d hex digits): "
				 "make a new one with `synwall keys --new-file "
				 "FILE`",
				 path, digits * 4, SW_MASTER_MIN * 8,
				 SW_MASTER_MAX * 8, SW_MASTER_MIN * 2,
				 SW_MASTER_MAX * 2);
			goto fail;
		}
		for (i = 0; i < digits / 2; i++)
			m->b[i] =
				(uint8_t)(hexval((unsigned char)s[2 * i]) << 4 |
					  hexval((unsigned char)s[2 * i + 1]));
		m->len = digits / 2;
	}
	sw_wipe(buf, sizeof(buf));
	if (!found) {
		snprintf(err, errlen,
			 "key file %s holds no secret: make one with `synwall "
			 "keys --new-file FILE`",
			 path);
		return -1;
	}
	return 0;
fail:
	sw_wipe(buf, sizeof(buf));
	sw_wipe(m, sizeof(*m));
	if (fd >= 0)
		close(fd);
	return -1;
}

int sw_keyfile_create(const char *path, char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t secret[SW_MASTER_NEW];
	char text[256];
	size_t len, i;
	int fd, rc;

	rc = sw_random_bytes(secret, sizeof(secret));
	if (rc) {
		sw_wipe(secret, sizeof(secret)); /* possibly half filled */
		snprintf(err, errlen, "getrandom failed: %s", strerror(-rc));
		return -1;
	}
	len = (size_t)snprintf(text, sizeof(text),
			       "# synwall fleet master secret: keep it mode "
			       "0600, copy it to every host of the fleet\n");
	for (i = 0; i < sizeof(secret); i++) {
		text[len++] = hex[secret[i] >> 4];
		text[len++] = hex[secret[i] & 0xf];
	}
	text[len++] = '\n';
	sw_wipe(secret, sizeof(secret));

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen,
				 "%s already exists: synwall never overwrites "
				 "a key file; remove it first if you really "
				 "mean to replace the fleet's secret",
				 path);
		else
			snprintf(err, errlen, "cannot create key file %s: %s",
				 path, strerror(errno));
		sw_wipe(text, sizeof(text));
		return -1;
	}
	/* The umask can only narrow 0600, but be explicit. */
	if (fchmod(fd, 0600) < 0 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "cannot write key file %s: %s", path,
			 strerror(errno));
		close(fd);
		unlink(path);
		sw_wipe(text, sizeof(text));
		return -1;
	}
	sw_wipe(text, sizeof(text));
	if (close(fd) < 0) {
		snprintf(err, errlen, "cannot write key file %s: %s", path,
			 strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}
