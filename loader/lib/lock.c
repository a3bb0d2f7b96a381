// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The host-wide lock of the verbs that change things (lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"

static int sw_lock_fd = -1;

bool sw_lock_held(void)
{
	return sw_lock_fd >= 0;
}

int sw_lock_take(void)
{
	int fd;

	if (sw_lock_fd >= 0)
		return 0;
	fd = open(SW_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		sw_err("cannot open the lock file %s: %s (is /run writable? "
		       "run as root)",
		       SW_LOCK_PATH, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK) {
			sw_err("cannot lock %s: %s", SW_LOCK_PATH,
			       strerror(errno));
			close(fd);
			return -1;
		}
		if (sw_verbose)
			fprintf(stderr, "synwall: waiting for another synwall "
					"command to finish\n");
		if (flock(fd, LOCK_EX)) {
			int e = errno;

			/* EINTR: a signal the caller handles (a rotation
			 * loop's SIGTERM): no message, errno says why */
			if (e != EINTR)
				sw_err("cannot lock %s: %s", SW_LOCK_PATH,
				       strerror(e));
			close(fd);
			errno = e;
			return -1;
		}
	}
	sw_lock_fd = fd;
	return 0;
}

void sw_lock_release(void)
{
	if (sw_lock_fd >= 0) {
		close(sw_lock_fd);
		sw_lock_fd = -1;
	}
}
