// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Interfaces and network namespaces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"

int sw_iface_index(const char *name)
{
	unsigned int idx;

	if (!name || !*name) {
		sw_err("no interface given");
		return 0;
	}
	if (strlen(name) >= IFNAMSIZ) {
		sw_err("interface name '%s' is too long (at most %d "
		       "characters)",
		       name, IFNAMSIZ - 1);
		return 0;
	}
	idx = if_nametoindex(name);
	if (!idx) {
		sw_err("unknown interface '%s' in this network namespace: `ip "
		       "link` lists them; for an interface in another "
		       "namespace use `synwall --netns NAME ...` or `nsenter "
		       "--net=/run/netns/NAME synwall ...` (not `ip netns "
		       "exec`, which hides /sys/fs/bpf)",
		       name);
		return 0;
	}
	return (int)idx;
}

int sw_netns_id(__u64 *dev, __u64 *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	*dev = (__u64)st.st_dev;
	*ino = (__u64)st.st_ino;
	return 0;
}

int sw_enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sw_err("cannot open network namespace %s: %s (`ip netns list` "
		       "shows the named ones)",
		       path, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		sw_err("cannot enter network namespace %s: %s (needs root)",
		       path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
