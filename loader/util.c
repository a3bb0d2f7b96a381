// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Messages, numbers, interfaces, network namespaces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

int sw_verbose;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "synwall: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sw_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void sw_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void sw_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void sw_dbg(const char *fmt, ...)
{
	va_list ap;

	if (!sw_verbose)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

/* ---- numbers, time ------------------------------------------------- */

int sw_parse_ulong(const char *opt, const char *s, unsigned long min,
		   unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+') {
		sw_err("%s '%s': expected a number from %lu to %lu", opt,
		       s ? s : "", min, max);
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end) {
		sw_err("%s '%s': expected a number from %lu to %lu", opt, s,
		       min, max);
		return -1;
	}
	if (v < min || v > max) {
		sw_err("%s %s: out of range, must be %lu to %lu", opt, s, min,
		       max);
		return -1;
	}
	*out = v;
	return 0;
}

__u64 sw_now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec;
}

int sw_tai_offset(__s32 *off)
{
	struct timex tx;

	memset(&tx, 0, sizeof(tx)); /* modes 0: read only */
	if (adjtimex(&tx) < 0) {
		sw_err("adjtimex: %s (cannot read the kernel's TAI offset)",
		       strerror(errno));
		return -1;
	}
	*off = (__s32)tx.tai;
	return 0;
}

const char *sw_fmt_age(__u64 s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)s / 60,
			 (unsigned long long)s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)s / 3600,
			 (unsigned long long)s % 3600 / 60);
	else
		snprintf(buf, len, "%llud%02lluh",
			 (unsigned long long)s / 86400,
			 (unsigned long long)s % 86400 / 3600);
	return buf;
}

/* ---- interfaces and namespaces -------------------------------------- */

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

static bool sw_cmdline_is_loop(__u32 pid)
{
	char path[64], buf[4096];
	size_t n, i = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (i < n) {
		const char *arg = buf + i;

		if (!strcmp(arg, "run") || !strcmp(arg, "--rotate") ||
		    !strncmp(arg, "--rotate=", 9))
			return true;
		i += strlen(arg) + 1;
	}
	return false;
}

bool sw_daemon_alive(__u32 pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (!pid)
		return false;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	if (strncmp(comm, "synwall", 7))
		return false;
	/*
	 * The pid may have been reused by another synwall command after the
	 * loop died (SIGKILL leaves the state behind): only a process whose
	 * command line is a rotation loop ("run" or "--rotate") counts.
	 */
	return sw_cmdline_is_loop(pid);
}

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

bool sw_one_operand(const char *verb, int nargs)
{
	if (nargs == 1)
		return true;
	sw_err(nargs < 1 ? "%s: no interface given" : "%s: one interface only",
	       verb);
	return false;
}
