// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The flow table at attach: hooks first, then the seed, then on.
 *
 * 1. flow_ctl gets the namespace (its inode) and stays off;
 * 2. the two socket-state traces (tp_btf/inet_sock_set_state) are
 *    attached, then the kernel function hooks (synwall_hooks.bpf.o: request
 *    sockets, children entering the established hash, the kernel's own
 *    cookies), each link pinned in the pin directory, so that they outlive
 *    the loader and `synwall detach` (which removes the pins) ends them;
 *    the hooks may be refused (no fentry/fexit here): the table is then kept
 *    without them and not trusted, and attach says why;
 * 3. the seed (iter/tcp) walks the namespace's TCP sockets once;
 * 4. flow_ctl.trusted = 1 if the hooks are on and no insert failed, then
 *    flow_ctl.on = 1: XDP starts reading the table.
 * Every socket change after step 2 is traced, every socket that exists at
 * step 3 is seeded: none falls between.  Until step 4 XDP looks every
 * socket up, as it does where the table is off for good (an `ip link`
 * load).  flow_ctl is written field by field through a mapping
 * (BPF_F_MMAPABLE), never as a whole over the BPF side's own writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <synwall/abi.h>

#include "flows.h"
#include "liblog.h"
#include "load.h"
#include "log.h"
#include "netns.h"
#include "synwall_hooks.skel.h"

#define SW_FLOW_SEED_PROG "synwall_flow_seed"

int sw_flows_arg(const char *arg, unsigned long *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n < SW_FLOWS_MIN ||
	    n > SW_FLOWS_MAX) {
		sw_err("--flows '%s': expected a number of "
		       "entries, " SW_FLOWS_RANGE,
		       arg);
		return -1;
	}
	*out = n;
	return 0;
}

int sw_flows_size(struct bpf_object *skel, unsigned long n)
{
	const char *names[] = {SYNWALL_MAP_FLOWS4, SYNWALL_MAP_FLOWS6};
	size_t i;

	for (i = 0; i < 2; i++) {
		struct bpf_map *m =
			bpf_object__find_map_by_name(skel, names[i]);
		int err = m ? bpf_map__set_max_entries(m, (__u32)n) : -ENOENT;

		if (err) {
			sw_err("cannot size the flow table %s to %lu entries: "
			       "%s",
			       names[i], n, strerror(-err));
			return -1;
		}
	}
	return 0;
}

/* Run the seed iterator to its end. */
static int seed(struct bpf_program *prog)
{
	struct bpf_link *l = bpf_program__attach_iter(prog, NULL);
	char buf[256];
	ssize_t n;
	int fd, err = 0;

	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
out:
	bpf_link__destroy(l);
	return err;
}

/* the tables' links: the state traces (synwall.bpf.o), then the kernel
 * function hooks (synwall_hooks.bpf.o); pin name = program name less
 * "synwall_" */
const char *const sw_flow_links[SW_FLOW_NLINKS] = {
	"synwall_flow_trace",	 "synwall_flow_trace2",
	"synwall_flow_req",	 "synwall_flow_req2",
	"synwall_flow_hashed",	 "synwall_flow_hashed2",
	"synwall_flow_kcookie4", "synwall_flow_kcookie6",
	"synwall_listen_start",	 "synwall_listen_start2",
};

const char *sw_flow_link_pin(int i)
{
	return sw_flow_links[i] + strlen("synwall_");
}

/* Attach program name of obj and pin its link in dir; 0 or -errno. */
static int attach_pin(struct bpf_object *obj, const char *name, const char *pin,
		      const char *dir)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	struct bpf_link *l;
	char path[4096];
	int err;

	if (!p)
		return -ENOENT;
	l = bpf_program__attach(p);
	if (!l)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", dir, pin);
	err = bpf_link__pin(l, path);
	/* the pin holds the link (or nothing does: it goes) */
	bpf_link__disconnect(l);
	if (err)
		bpf_link__detach(l);
	bpf_link__destroy(l);
	return err;
}

static void unpin_links(const char *dir, int from, int to)
{
	char path[4096];
	int i;

	for (i = from; i < to; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sw_flow_link_pin(i));
		unlink(path);
	}
}

int sw_hooks_share_maps(struct bpf_object *hooks, struct bpf_object *skel,
			char *why, size_t len)
{
	struct bpf_map *m;
	int err;

	bpf_object__for_each_map(m, hooks)
	{
		struct bpf_map *same =
			bpf_object__find_map_by_name(skel, bpf_map__name(m));

		/* the main object pinned it: not a second pin of the same */
		bpf_map__set_pin_path(m, NULL);
		err = same ? bpf_map__reuse_fd(m, bpf_map__fd(same)) : 0;
		if (err) {
			snprintf(why, len, "cannot share map %s: %s",
				 bpf_map__name(m), strerror(-err));
			return -1;
		}
	}
	return 0;
}

/*
 * The kernel function hooks (synwall_hooks.bpf.o) on the maps of skel,
 * attached and pinned; 0, or -1 with *why set and nothing of them left.
 * Not fatal: without them the table is not trusted.
 */
static int start_hooks(struct bpf_object *skel, const char *dir, char *why,
		       size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "synwall_hooks");
	struct bpf_object *h;
	const void *elf;
	char r[256];
	size_t sz;
	int i, err;

	elf = synwall_hooks__elf_bytes(&sz);
	h = bpf_object__open_mem(elf, sz, &oo);
	if (libbpf_get_error(h)) {
		snprintf(why, len, "cannot open the hooks' object: %s",
			 strerror(errno));
		return -1;
	}
	if (sw_hooks_share_maps(h, skel, why, len))
		goto fail;
	sw_lib_log_clear();
	err = bpf_object__load(h);
	if (err) {
		snprintf(why, len, "the kernel refused to load them: %s",
			 sw_kernel_reason(err, r, sizeof(r)));
		goto fail;
	}
	for (i = SW_FLOW_NTRACES; i < SW_FLOW_NLINKS; i++) {
		err = attach_pin(h, sw_flow_links[i], sw_flow_link_pin(i), dir);
		if (err) {
			snprintf(why, len, "cannot attach %s: %s",
				 sw_flow_links[i],
				 sw_kernel_reason(err, r, sizeof(r)));
			unpin_links(dir, SW_FLOW_NTRACES, i);
			goto fail;
		}
	}
	/* the links hold the programs */
	bpf_object__close(h);
	sw_lib_log_clear();
	return 0;
fail:
	bpf_object__close(h);
	sw_lib_log_clear();
	return -1;
}

/* The control entry, mapped: fields are written one at a time, never
 * the whole value over the BPF side's counters and its trusted = 0. */
static struct synwall_flow_ctl *map_ctl(int fd)
{
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE),
		       PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void unmap_ctl(struct synwall_flow_ctl *c)
{
	munmap(c, (size_t)sysconf(_SC_PAGESIZE));
}

/*
 * Trust the table (misses mean "no socket") unless an insert has failed;
 * BPF counts a failure before it clears trusted, so a failure either
 * shows here or clears what this wrote.
 */
static bool trust(struct synwall_flow_ctl *c)
{
	if (__atomic_load_n(&c->insert_err, __ATOMIC_SEQ_CST))
		return false;
	__atomic_store_n(&c->trusted, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->insert_err, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&c->trusted, 0, __ATOMIC_SEQ_CST);
		return false;
	}
	return true;
}

int sw_flows_start(struct bpf_object *skel, const char *dir,
		   struct sw_flows_started *out)
{
	struct bpf_map *ctl =
		bpf_object__find_map_by_name(skel, SYNWALL_MAP_FLOW_CTL);
	struct bpf_map *f4 =
		bpf_object__find_map_by_name(skel, SYNWALL_MAP_FLOWS4);
	struct bpf_map *f6 =
		bpf_object__find_map_by_name(skel, SYNWALL_MAP_FLOWS6);
	struct bpf_program *iter =
		bpf_object__find_program_by_name(skel, SW_FLOW_SEED_PROG);
	struct synwall_flow_ctl c = {0}, *mc = NULL;
	char why[256];
	struct timespec ts;
	__u64 dev, ino;
	__u32 zero = 0;
	int i, err;

	memset(out, 0, sizeof(*out));
	if (!ctl || !f4 || !f6 || !iter) {
		sw_err("the BPF object has no flow table (%s, %s, %s, %s)",
		       SYNWALL_MAP_FLOWS4, SYNWALL_MAP_FLOWS6,
		       SYNWALL_MAP_FLOW_CTL, SW_FLOW_SEED_PROG);
		return -1;
	}
	if (sw_netns_id(&dev, &ino)) {
		sw_err("cannot read this process's network namespace "
		       "(/proc/self/ns/net): %s",
		       strerror(errno));
		return -1;
	}
	out->max4 = bpf_map__max_entries(f4);
	out->max6 = bpf_map__max_entries(f6);
	c.netns_ino = (__u32)ino;
	if (bpf_map_update_elem(bpf_map__fd(ctl), &zero, &c, BPF_ANY)) {
		sw_err("cannot write the flow table's control entry: %s",
		       strerror(errno));
		return -1;
	}
	mc = map_ctl(bpf_map__fd(ctl));
	if (!mc) {
		sw_err("cannot map the flow table's control entry: %s",
		       strerror(errno));
		return -1;
	}

	/* hooks first: the state traces (required), the kernel function
	 * hooks (for trusted misses) */
	sw_lib_log_clear();
	for (i = 0; i < SW_FLOW_NTRACES; i++) {
		err = attach_pin(skel, sw_flow_links[i], sw_flow_link_pin(i),
				 dir);
		if (err) {
			sw_lib_log_flush();
			sw_err("cannot attach the socket-state trace %s "
			       "(tp_btf/inet_sock_set_state) that keeps the "
			       "flow table, pinned as %s/%s: %s",
			       sw_flow_links[i], dir, sw_flow_link_pin(i),
			       sw_kernel_reason(err, why, sizeof(why)));
			goto undo_traces;
		}
	}
	if (start_hooks(skel, dir, why, sizeof(why))) {
		snprintf(out->untrusted, sizeof(out->untrusted),
			 "the kernel function hooks (fentry/fexit, "
			 "synwall_hooks.bpf.o) are not attached: %s",
			 why);
		sw_warn("flow table: %s; every segment that misses the table "
			"is looked up (bpf_skc_lookup_tcp), as without "
			"trusted misses",
			out->untrusted);
	} else {
		out->hooks = true;
	}

	/* then the seed */
	err = seed(iter);
	if (err) {
		sw_err("cannot seed the flow table from this namespace's TCP "
		       "sockets (iter/tcp): %s",
		       sw_kernel_reason(err, why, sizeof(why)));
		goto undo;
	}

	/* the kernel's cookies before now are not known: taken for now */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	__atomic_store_n(&mc->kcookie_at,
			 (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec,
			 __ATOMIC_SEQ_CST);
	if (out->hooks && !trust(mc)) {
		snprintf(out->untrusted, sizeof(out->untrusted),
			 "%llu inserts into the table failed while seeding",
			 (unsigned long long)mc->insert_err);
		sw_warn("flow table: %s (it is full: attach --flows N for a "
			"larger one); every segment that misses it is looked "
			"up (bpf_skc_lookup_tcp)",
			out->untrusted);
	}
	out->trusted = out->hooks && !out->untrusted[0];
	__atomic_store_n(&mc->on, 1, __ATOMIC_SEQ_CST);
	out->seeded = __atomic_load_n(&mc->seeded, __ATOMIC_SEQ_CST);
	unmap_ctl(mc);
	return 0;
undo:
	i = SW_FLOW_NLINKS;
undo_traces:
	unpin_links(dir, 0, i);
	unmap_ctl(mc);
	return -1;
}

/*
 * The id of the program behind the socket-state trace pinned in dir (the
 * main object's: its maps are the flow table), 0 with errno set if none
 * is pinned or it cannot be read; path receives the pin's path.
 */
static __u32 trace_prog_id(const char *dir, char *path, size_t size)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	int fd, err = 0;

	snprintf(path, size, "%s/%s", dir, sw_flow_link_pin(0));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &li, &len))
		err = errno;
	close(fd);
	errno = err;
	return err ? 0 : li.prog_id;
}

int sw_flows_distrust(const char *dir, __u32 xdp_prog_id)
{
	struct synwall_flow_ctl *c;
	struct bpf_map_info mi;
	char path[4096];
	int fd;

	/* found by its pins (none: no table yet, nothing trusts it) */
	if (!xdp_prog_id && dir[0])
		xdp_prog_id = trace_prog_id(dir, path, sizeof(path));
	if (!xdp_prog_id)
		return 0;
	fd = sw_prog_map(xdp_prog_id, SYNWALL_MAP_FLOW_CTL, &mi);
	if (fd < 0)
		return 0; /* an object without a table */
	c = map_ctl(fd);
	close(fd);
	if (!c) {
		sw_err("cannot map the flow table's control entry to stop "
		       "trusting it before a port is protected: %s",
		       strerror(errno));
		return -1;
	}
	if (__atomic_exchange_n(&c->trusted, 0, __ATOMIC_SEQ_CST))
		sw_info("flow table: a newly protected port's sockets may be "
			"missing from it: misses are looked up until it is "
			"re-seeded");
	unmap_ctl(c);
	return 0;
}

int sw_prog_map_ids(int pfd, __u32 *ids)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	pi.nr_map_ids = SW_PROG_MAPS;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(pfd, &pi, &len))
		return -1;
	return pi.nr_map_ids < SW_PROG_MAPS ? pi.nr_map_ids : SW_PROG_MAPS;
}

/* sw_prog_map_ids() of the program with id prog_id. */
static int prog_id_map_ids(__u32 prog_id, __u32 *ids)
{
	int pfd = bpf_prog_get_fd_by_id(prog_id), n;

	if (pfd < 0)
		return -1;
	n = sw_prog_map_ids(pfd, ids);
	close(pfd);
	return n;
}

int sw_prog_map(__u32 prog_id, const char *name, struct bpf_map_info *mi)
{
	__u32 ids[SW_PROG_MAPS];
	int i, n = prog_id_map_ids(prog_id, ids), fd = -1;

	for (i = 0; i < n && fd < 0; i++) {
		__u32 mlen = sizeof(*mi);

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(mi, 0, sizeof(*mi));
		if (bpf_obj_get_info_by_fd(fd, mi, &mlen) ||
		    strcmp(mi->name, name)) {
			close(fd);
			fd = -1;
		}
	}
	return fd;
}

/* Is the map id among the map ids of program prog_id? */
static bool prog_has_map(__u32 prog_id, __u32 map_id)
{
	__u32 ids[SW_PROG_MAPS];
	int i, n = prog_id_map_ids(prog_id, ids);

	for (i = 0; i < n; i++)
		if (ids[i] == map_id)
			return true;
	return false;
}

/*
 * Every map the loaded seed program uses (but its own constants) is one
 * of the trace's: the seed wrote into the running tables, no copy.
 */
static bool seed_uses_running_maps(struct bpf_program *iter, __u32 trace_id)
{
	__u32 ids[SW_PROG_MAPS];
	int i, n = sw_prog_map_ids(bpf_program__fd(iter), ids);
	bool ok = n >= 0;

	for (i = 0; i < n && ok; i++) {
		struct bpf_map_info mi = {};
		__u32 ml = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			return false;
		if (bpf_obj_get_info_by_fd(fd, &mi, &ml))
			ok = false;
		else if (!strchr(mi.name, '.'))
			ok = prog_has_map(trace_id, ids[i]);
		close(fd);
	}
	return ok;
}

int sw_flows_reseed(const char *dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = dir,
		    .object_name = "synwall");
	struct synwall_flow_ctl *mc = NULL;
	struct bpf_object *obj = NULL;
	struct bpf_program *iter, *p;
	struct bpf_map_info mi;
	struct bpf_map *m;
	char path[4096], why[256];
	const void *elf;
	__u32 trace_id;
	size_t sz;
	int i, fd, err, r = 0;

	trace_id = trace_prog_id(dir, path, sizeof(path));
	if (!trace_id)
		return 0; /* no table: nothing trusts it */
	for (i = SW_FLOW_NTRACES; i < SW_FLOW_NLINKS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sw_flow_link_pin(i));
		if (access(path, F_OK))
			return 0; /* no hooks: never trusted, status says why */
	}
	fd = sw_prog_map(trace_id, SYNWALL_MAP_FLOW_CTL, &mi);
	if (fd < 0)
		return 0;
	mc = map_ctl(fd);
	close(fd);
	if (!mc)
		goto fail_errno;
	if (__atomic_load_n(&mc->insert_err, __ATOMIC_SEQ_CST))
		goto out; /* untrusted for good: status says why */

	/* the seed program of this loader's object, on the running maps */
	elf = sw_full_elf(&sz);
	obj = bpf_object__open_mem(elf, sz, &oo);
	if (libbpf_get_error(obj)) {
		obj = NULL;
		goto fail_errno;
	}
	iter = bpf_object__find_program_by_name(obj, SW_FLOW_SEED_PROG);
	if (!iter) {
		errno = ENOENT;
		goto fail_errno;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == iter);
	bpf_object__for_each_map(m, obj)
	{
		fd = sw_prog_map(trace_id, bpf_map__name(m), &mi);
		if (fd < 0)
			continue;
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err) {
			errno = -err;
			goto fail_errno;
		}
	}
	sw_lib_log_clear();
	err = bpf_object__load(obj);
	if (err) {
		sw_lib_log_flush();
		errno = -err;
		goto fail_errno;
	}
	sw_lib_log_clear();
	if (!seed_uses_running_maps(iter, trace_id)) {
		sw_warn("flow table: not re-seeded: the attached programs are "
			"of another synwall version than this loader's (their "
			"maps differ); misses stay looked up (re-attach to "
			"re-seed)");
		goto out;
	}
	err = seed(iter);
	if (err) {
		errno = -err;
		goto fail_errno;
	}
	if (trust(mc))
		sw_info("flow table: re-seeded from this namespace's sockets "
			"(%llu entries in all): misses trusted again",
			(unsigned long long)__atomic_load_n(&mc->seeded,
							    __ATOMIC_SEQ_CST));
	else
		sw_warn("flow table: an insert failed while re-seeding (it is "
			"full: attach --flows N for a larger one); misses stay "
			"looked up");
	goto out;
fail_errno:
	sw_warn("flow table: cannot re-seed it from this namespace's sockets: "
		"%s; misses stay looked up (re-attach to re-seed)",
		sw_kernel_reason(-errno, why, sizeof(why)));
out:
	if (obj)
		bpf_object__close(obj);
	if (mc)
		unmap_ctl(mc);
	return r;
}

/* Entries of the hash map fd (a walk of its keys: status only). */
static unsigned long count_keys(int fd, size_t key_size)
{
	char k[64], next[64];
	unsigned long n = 0;

	if (key_size > sizeof(k))
		return 0;
	while (!bpf_map_get_next_key(fd, n ? k : NULL, next)) {
		memcpy(k, next, key_size);
		n++;
	}
	return n;
}

/* Why a miss is (not) trusted, for status. */
static const char *trust_line(const char *dir, const struct synwall_flow_ctl *c)
{
	char path[4096];
	int i;

	if (c->trusted)
		return "trusted: every socket of a protected port is in the "
		       "tables, so a segment that misses the flow table is "
		       "judged without a socket lookup (a SYN by the listener "
		       "table)";
	for (i = SW_FLOW_NTRACES; i < SW_FLOW_NLINKS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sw_flow_link_pin(i));
		if (access(path, F_OK))
			return "looked up: the kernel function hooks "
			       "(fentry/fexit) "
			       "are not attached (attach printed the kernel's "
			       "reason)";
	}
	if (c->insert_err)
		return "looked up: an insert failed (the table was full), so "
		       "a socket may be missing; re-attach (--flows N) to "
		       "trust misses again";
	return "looked up: a port was protected after the seed (synwall "
	       "config --ports), whose sockets the table may lack; "
	       "re-attach to re-seed";
}

/* The listener table's line: what the hooks and the seed counted. */
static void print_listeners(__u32 id, const char *indent)
{
	struct bpf_map_info li, si;
	int lfd = sw_prog_map(id, SYNWALL_MAP_LISTENERS, &li);
	int sfd = sw_prog_map(id, SYNWALL_MAP_LISTEN_SOCKS, &si);

	if (lfd >= 0 && sfd >= 0)
		printf("%slisten: %lu listening sockets counted under %lu "
		       "keys (of %u)\n",
		       indent, count_keys(sfd, si.key_size),
		       count_keys(lfd, li.key_size), li.max_entries);
	else
		printf("%slisten: the trace (program id %u) has no readable "
		       "listener table\n",
		       indent, id);
	if (lfd >= 0)
		close(lfd);
	if (sfd >= 0)
		close(sfd);
}

void sw_flows_print(const char *dir, const char *indent)
{
	struct bpf_map_info mi, i4, i6;
	struct synwall_flow_ctl c;
	__u32 zero = 0, id;
	char path[4096];
	int cfd, f4, f6;

	id = trace_prog_id(dir, path, sizeof(path));
	if (!id && errno == ENOENT) {
		printf("%sflows:  off: no socket-state trace pinned (%s): "
		       "every socket is looked up\n",
		       indent, path);
		return;
	}
	if (!id) {
		printf("%sflows:  cannot inspect %s: %s\n", indent, path,
		       strerror(errno));
		return;
	}
	cfd = sw_prog_map(id, SYNWALL_MAP_FLOW_CTL, &mi);
	f4 = sw_prog_map(id, SYNWALL_MAP_FLOWS4, &i4);
	f6 = sw_prog_map(id, SYNWALL_MAP_FLOWS6, &i6);
	if (cfd < 0 || f4 < 0 || f6 < 0 || bpf_map_lookup_elem(cfd, &zero, &c))
		printf("%sflows:  the trace (program id %u) has no readable "
		       "flow table\n",
		       indent, id);
	else {
		printf("%sflows:  %s: IPv4 %lu of %u, IPv6 %lu of %u entries; "
		       "%llu seeded at attach, %llu sweeps of a full table, "
		       "%llu inserts failed (those flows are looked up)\n",
		       indent, c.on ? "on" : "off", count_keys(f4, i4.key_size),
		       i4.max_entries, count_keys(f6, i6.key_size),
		       i6.max_entries, (unsigned long long)c.seeded,
		       (unsigned long long)c.sweeps,
		       (unsigned long long)c.insert_err);
		printf("%sflows:  misses %s\n", indent, trust_line(dir, &c));
		print_listeners(id, indent);
	}
	if (cfd >= 0)
		close(cfd);
	if (f4 >= 0)
		close(f4);
	if (f6 >= 0)
		close(f6);
}
