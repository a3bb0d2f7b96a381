// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The key rotation loop: `synwall attach IFACE --rotate S` stays in the
 * foreground running it, as does `synwall run IFACE`; synwall@.service
 * uses the former.
 *
 * Random keys: every S seconds (monotonic clock) a new random key goes
 * into the other slot and becomes current.
 * Fleet keys: at every multiple of S seconds of CLOCK_REALTIME, rotation
 * number n = time / S begins: slot n&1 gets KDF(secret, n) and becomes
 * current, the other slot keeps KDF(secret, n-1).  Hosts with the same
 * key file and synchronised clocks agree on both keys without talking.
 *
 * The loop ends on SIGTERM/SIGINT/SIGHUP (leaving synwall attached: the
 * keys stay as they are), or when synwall is detached from the interface.
 *
 * Every write (keys, the state record, config.tai_offset) holds the
 * host-wide lock, as `synwall keys` and `synwall config` do, so a manual
 * change never interleaves with a rotation; the loop sleeps without it.
 * At least every SW_CLOCK_REFRESH seconds it wakes to refresh the data
 * path's TAI offset (chrony or ntpd may set it after synwall started).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "kdf.h"
#include "keyfile.h"
#include "keys.h"
#include "lock.h"
#include "log.h"
#include "maps.h"
#include "rotate.h"
#include "util.h"
#include "xdp.h"

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* Is the keys map we hold still the one synwall uses on the interface? */
static bool still_attached(const struct sw_maps *m, int ifindex)
{
	char path[PATH_MAX + 16];
	struct sw_xdp_info xi;
	bool same;
	int fd;

	if (m->dir[0]) {
		snprintf(path, sizeof(path), "%s/%s", m->dir, SYNWALL_MAP_KEYS);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return false;
		same = map_id(fd) == map_id(m->keys);
		close(fd);
		return same;
	}
	return sw_xdp_query(ifindex, &xi) == 0 && xi.prog_id == m->prog_id;
}

static int load_master(const char *file, struct sw_master *mk)
{
	char err[512];

	if (sw_keyfile_read(file, mk, err, sizeof(err))) {
		sw_err("%s", err);
		return -1;
	}
	return 0;
}

/* Sleep until the absolute time t on clock; false if a signal came. */
static bool sleep_until(clockid_t clock, const struct timespec *t)
{
	int rc;

	while ((rc = clock_nanosleep(clock, TIMER_ABSTIME, t, NULL)) == EINTR)
		if (stop_sig)
			return false;
	return !stop_sig;
}

static void set_daemon_pid(const struct sw_maps *m, __u32 pid, __u32 interval,
			   bool only_if_ours)
{
	struct sw_state st;

	if (sw_state_read(m->state, &st))
		return;
	if (only_if_ours && st.daemon_pid != (__u32)getpid())
		return;
	st.daemon_pid = pid;
	if (pid)
		st.rotate_seconds = interval;
	sw_state_write(m->state, &st);
}

/* Keep config.tai_offset on the kernel's (lock held). */
static void clock_sync(const struct sw_maps *m, const struct sw_rotate_opts *o)
{
	struct synwall_config c;

	if (sw_clock_sync(m->config) == 1 && sw_config_read(m->config, &c) == 0)
		sw_info("%s: the kernel's TAI offset is %d s: data path clock "
			"updated (UTC = CLOCK_TAI - %d s)",
			o->ifname, (int)c.tai_offset, (int)c.tai_offset);
}

int sw_rotate_loop(struct sw_maps *m, const struct sw_rotate_opts *o)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct sw_master mk = {.len = 0};
	struct sw_state st;
	struct timespec next;
	__u64 n = 0;
	int rc = 0;
	bool fleet = o->key_file != NULL;
	__u8 fp[8] = {0};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* the first writes, under the lock (`run` holds it already) */
	if (sw_lock_take())
		return SW_EXIT_FAIL;
	if (fleet) {
		if (load_master(o->key_file, &mk)) {
			sw_lock_release();
			return SW_EXIT_FAIL;
		}
		sw_fleet_fingerprint(mk.b, mk.len, fp);
		n = sw_fleet_epoch(sw_now_realtime(), o->interval);
		if (sw_keys_fleet(m->keys, mk.b, mk.len, n)) {
			sw_wipe(&mk, sizeof(mk));
			sw_lock_release();
			return SW_EXIT_FAIL;
		}
		if (sw_state_read(m->state, &st) == 0) {
			st.flags |= SW_ST_FLEET;
			memcpy(st.fleet_fp, fp, sizeof(fp));
			sw_state_write(m->state, &st);
		}
		next.tv_sec = (time_t)((n + 1) * o->interval);
		next.tv_nsec = 0;
		sw_info("%s: rotating fleet keys every %us with the wall clock "
			"(rotation %llu now, next in %llus); SIGTERM stops "
			"rotating and leaves synwall attached",
			o->ifname, o->interval, (unsigned long long)n,
			(unsigned long long)(next.tv_sec -
					     (time_t)sw_now_realtime()));
	} else {
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += o->interval;
		sw_info("%s: rotating random keys every %us; SIGTERM stops "
			"rotating and leaves synwall attached",
			o->ifname, o->interval);
	}
	set_daemon_pid(m, (__u32)getpid(), o->interval, false);
	clock_sync(m, o);
	sw_lock_release();

	for (;;) {
		clockid_t clk = fleet ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		struct timespec wake = next, now;

		clock_gettime(clk, &now);
		if (now.tv_sec + SW_CLOCK_REFRESH < next.tv_sec) {
			wake = now;
			wake.tv_sec += SW_CLOCK_REFRESH;
		}
		if (!sleep_until(clk, &wake))
			break;
		if (sw_lock_take()) {
			if (!stop_sig)
				rc = SW_EXIT_FAIL;
			break;
		}
		if (!still_attached(m, o->ifindex)) {
			sw_lock_release();
			sw_info("%s: synwall was detached: rotation loop ends",
				o->ifname);
			goto out_detached;
		}
		if (sw_state_read(m->state, &st) == 0 &&
		    (!!(st.flags & SW_ST_FLEET) != fleet ||
		     (fleet && memcmp(st.fleet_fp, fp, sizeof(fp))))) {
			sw_info("%s: the key mode was changed with `synwall "
				"keys`: rotation loop ends",
				o->ifname);
			goto out;
		}
		clock_sync(m, o);
		clock_gettime(clk, &now);
		if (now.tv_sec < next.tv_sec) {
			/* woken to refresh the clock only */
			sw_lock_release();
			continue;
		}
		if (fleet) {
			struct sw_master fresh;
			__u64 t = sw_now_realtime();

			/* Re-read the file: a fleet can replace its secret. */
			if (load_master(o->key_file, &fresh) == 0) {
				sw_wipe(&mk, sizeof(mk));
				mk = fresh;
				sw_wipe(&fresh, sizeof(fresh));
				sw_fleet_fingerprint(mk.b, mk.len, fp);
				if (sw_state_read(m->state, &st) == 0 &&
				    memcmp(st.fleet_fp, fp, sizeof(fp))) {
					memcpy(st.fleet_fp, fp, sizeof(fp));
					sw_state_write(m->state, &st);
				}
			} else {
				sw_warn("keeping the secret read before");
			}
			n = sw_fleet_epoch(t, o->interval);
			if (sw_keys_fleet(m->keys, mk.b, mk.len, n)) {
				rc = SW_EXIT_FAIL;
				break;
			}
			sw_info("%s: fleet key rotation %llu installed",
				o->ifname, (unsigned long long)n);
			next.tv_sec = (time_t)((n + 1) * o->interval);
		} else {
			if (sw_keys_rotate_random(m->keys)) {
				rc = SW_EXIT_FAIL;
				break;
			}
			sw_info("%s: new random key installed", o->ifname);
			next.tv_sec += o->interval;
			/* late (the lock was held, or the machine slept):
			 * never catch up with rotations in a row, each would
			 * kill the handshakes of the key before */
			if (next.tv_sec <= now.tv_sec) {
				next = now;
				next.tv_sec += o->interval;
			}
		}
		sw_lock_release();
	}
out:
	if (!sw_lock_held() && sw_lock_take())
		sw_warn("%s: cannot take the lock to record that the rotation "
			"loop ended",
			o->ifname);
	set_daemon_pid(m, 0, 0, true);
	sw_lock_release();
out_detached:
	sw_wipe(&mk, sizeof(mk));
	if (stop_sig && !still_attached(m, o->ifindex))
		sw_info("%s: synwall was detached: rotation loop ends",
			o->ifname);
	else if (stop_sig)
		sw_info("%s: signal %d: rotation stopped; synwall stays "
			"attached (synwall detach %s removes it)",
			o->ifname, (int)stop_sig, o->ifname);
	return rc;
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
