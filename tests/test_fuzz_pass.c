// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The bounded, deterministic fuzz pass of `make test`: the
 * built-in seeds, every file of tests/fuzz/corpus/, then N pseudo-random
 * mutations (fixed seed) of them, each run through the real XDP program
 * with BPF_PROG_TEST_RUN and checked by tests/lib/fc_*.c (fuzzcheck), the same
 * oracle as the libFuzzer target tests/fuzz/fuzz_xdp.c.
 *
 * Prints PASS:/FAIL: lines (tests/run.sh).  Inputs that violate a
 * property are saved under build/fuzz/violations/ (add them to
 * tests/fuzz/corpus/ once understood).
 *
 * Usage: test_fuzz_pass [-n MUTATIONS] [-s SEED] [--corpus DIR] [-v]
 *        test_fuzz_pass --write-seeds DIR      (libFuzzer's seed corpus)
 *        test_fuzz_pass --replay FILE...       (check these inputs, verbose)
 *        test_fuzz_pass --classify FILE...     (the counter each one moves)
 * Environment: FUZZ_PASS_ITERS, FUZZ_PASS_SEED, FUZZ_CORPUS.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzzcheck.h"
#include "swt_test.h"

#define DEFAULT_ITERS 500000
#define DEFAULT_SEED 0x5317a11f00dull
#define MAX_REPORTED 10
#define MAX_SAVED 50

struct input {
	__u8 *b;
	size_t len;
	char *name;
};

static struct input *pool;
static size_t npool, cappool;
static struct fc_env env;
static bool verbose;
static char viol_dir[PATH_MAX];
static unsigned saved, reported;

static void pool_add(const char *name, const __u8 *b, size_t len)
{
	if (npool == cappool) {
		cappool = cappool ? cappool * 2 : 256;
		pool = realloc(pool, cappool * sizeof(*pool));
		if (!pool) {
			perror("realloc");
			exit(2);
		}
	}
	pool[npool].b = malloc(len ? len : 1);
	pool[npool].name = strdup(name);
	if (!pool[npool].b || !pool[npool].name) {
		perror("malloc");
		exit(2);
	}
	memcpy(pool[npool].b, b, len);
	pool[npool].len = len;
	npool++;
}

static void seed_to_pool(void *ctx, const char *name, const __u8 *b, size_t len)
{
	(void)ctx;
	pool_add(name, b, len);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Check one input; report and save it on a violation.  -1: harness error */
static int check(const char *what, const __u8 *b, size_t len)
{
	static char why[8192];
	char path[PATH_MAX + 64];
	int r = fc_check(&env, b, len, why, sizeof(why));

	if (r < 0) {
		swt_linef(SWT_FAIL, "fuzz harness: %s: %s", what, why);
		return -1;
	}
	if (r == 0) {
		if (verbose)
			printf("  # ok %s (%zu bytes)\n", what, len);
		return 0;
	}
	if (saved < MAX_SAVED &&
	    fc_save(viol_dir, "violation", b, len, path, sizeof(path)) == 0)
		saved++;
	else
		path[0] = 0;
	if (reported++ < MAX_REPORTED || verbose) {
		printf("  # violation (%s, %zu bytes%s%s): %s\n", what, len,
		       path[0] ? ", saved as " : "", path, why);
		fc_hexdump(stdout, b, len);
	}
	return 1;
}

static int read_file(const char *path, __u8 *b, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, b, cap);
	close(fd);
	if (n < 0)
		return -errno;
	*len = (size_t)n;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, sorted by name, into the pool.  -1: error */
static long load_corpus(const char *dir)
{
	static __u8 buf[FC_INPUT_MAX + 1];
	char **names = NULL, path[PATH_MAX + 256];
	size_t n = 0, cap = 0, i, len;
	struct dirent *de;
	DIR *d = opendir(dir);
	long loaded = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "README.md"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				exit(2);
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (read_file(path, buf, sizeof(buf), &len) == 0) {
			if (len > FC_INPUT_MAX)
				len = FC_INPUT_MAX;
			pool_add(names[i], buf, len);
			loaded++;
		}
		free(names[i]);
	}
	free(names);
	return loaded;
}

static void default_paths(char *corpus, size_t n)
{
	char exe[PATH_MAX], *dir;
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *env_c = getenv("FUZZ_CORPUS");

	if (k > 0) {
		exe[k] = 0;
		dir = dirname(exe); /* build/tests */
		snprintf(corpus, n, "%s/../../tests/fuzz/corpus", dir);
		snprintf(viol_dir, sizeof(viol_dir), "%s/../fuzz", dir);
		mkdir(viol_dir, 0755);
		snprintf(viol_dir, sizeof(viol_dir), "%s/../fuzz/violations",
			 dir);
	} else {
		snprintf(corpus, n, "tests/fuzz/corpus");
		snprintf(viol_dir, sizeof(viol_dir), "build/fuzz/violations");
	}
	if (env_c && *env_c)
		snprintf(corpus, n, "%s", env_c);
}

struct writer {
	const char *dir;
	int err;
	size_t n;
};

static void seed_to_file(void *ctx, const char *name, const __u8 *b, size_t len)
{
	struct writer *w = ctx;
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", w->dir, name);
	f = fopen(path, "we");
	if (!f || fwrite(b, 1, len, f) != len)
		w->err = errno ? errno : EIO;
	if (f)
		fclose(f);
	w->n++;
}

/* Counters every complete run must have reached at least once. */
static const char *const must_reach[] = {
	"xdp_pass_not_tcp",	"xdp_pass_fragment",  "xdp_pass_ipv6_ext",
	"xdp_pass_malformed",	"xdp_pass_port",      "xdp_pass_unkeyed",
	"xdp_pass_socket",	"xdp_pass_cookie",    "xdp_tx_synack",
	"xdp_drop_malformed",	"xdp_drop_bad_ack",   "xdp_drop_no_socket",
	"xdp_pass_not_host",	"xdp_pass_not_local", "xdp_pass_martian",
	"xdp_pass_no_listener",
};

int main(int argc, char **argv)
{
	static __u8 buf[FC_INPUT_MAX];
	char err[512], corpus[PATH_MAX], hist[2048];
	unsigned long long seed = DEFAULT_SEED, before_viol;
	unsigned long long seed_runs[32] = {0};
	long iters = DEFAULT_ITERS, ncorpus, i;
	size_t nseeds, k, len, prev_len = 0;
	const char *write_dir = NULL;
	int replay_from = 0, fails = 0, hard = 0;
	bool classify = false;
	struct fc_rng rng;
	double t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("FUZZ_PASS_ITERS"))
		iters = atol(getenv("FUZZ_PASS_ITERS"));
	if (getenv("FUZZ_PASS_SEED"))
		seed = strtoull(getenv("FUZZ_PASS_SEED"), NULL, 0);
	default_paths(corpus, sizeof(corpus));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--corpus") && i + 1 < argc)
			snprintf(corpus, sizeof(corpus), "%s", argv[++i]);
		else if (!strcmp(argv[i], "--write-seeds") && i + 1 < argc)
			write_dir = argv[++i];
		else if (!strcmp(argv[i], "--replay") ||
			 !strcmp(argv[i], "--classify")) {
			classify = argv[i][2] == 'c';
			replay_from = (int)i + 1;
			break;
		} else {
			fprintf(stderr,
				"usage: %s [-n N] [-s SEED] [--corpus DIR] "
				"[-v] | --write-seeds DIR | --replay FILE... | "
				"--classify FILE...\n",
				argv[0]);
			return 2;
		}
	}

	if (write_dir) {
		struct writer w = {write_dir, 0, 0};

		mkdir(write_dir, 0755);
		fc_seeds(seed_to_file, &w);
		if (w.err) {
			fprintf(stderr, "writing seeds to %s: %s\n", write_dir,
				strerror(w.err));
			return 1;
		}
		printf("%zu seeds written to %s\n", w.n, write_dir);
		return 0;
	}

	if (fc_env_open(&env, err, sizeof(err))) {
		swt_linef(SWT_FAIL, "fuzz setup: %s", err);
		return 1;
	}
	if (err[0])
		printf("  # note: %s (IPv6 established-flow cases check the "
		       "no-socket rows instead)\n",
		       err);

	if (classify) {
		for (i = replay_from; i < argc; i++) {
			struct synwall_stats b;
			static char why[8192];
			size_t j;

			if (read_file(argv[i], buf, sizeof(buf), &len))
				continue;
			b = env.last;
			if (fc_check(&env, buf, len, why, sizeof(why)) < 0)
				continue;
			for (j = 0; j < swt_nstat_fields; j++)
				if (swt_stat_get(&env.last,
						 swt_stat_fields[j].off) !=
				    swt_stat_get(&b, swt_stat_fields[j].off))
					break;
			printf("%s %s\n", argv[i],
			       j < swt_nstat_fields ? swt_stat_fields[j].name :
						      "not-runnable");
		}
		fc_env_close(&env);
		return 0;
	}
	if (replay_from) {
		verbose = true;
		for (i = replay_from; i < argc; i++) {
			if (read_file(argv[i], buf, sizeof(buf), &len)) {
				swt_linef(SWT_FAIL, "replay %s: %s", argv[i],
					  strerror(errno));
				fails++;
				continue;
			}
			if (check(argv[i], buf, len))
				fails++;
			else
				swt_linef(SWT_PASS, "replay %s", argv[i]);
		}
		fc_env_close(&env);
		return fails ? 1 : 0;
	}

	/* 1. the built-in seeds */
	t0 = now_s();
	nseeds = fc_seeds(seed_to_pool, NULL);
	before_viol = env.violations;
	for (k = 0; k < nseeds; k++)
		if (check(pool[k].name, pool[k].b, pool[k].len) < 0)
			hard = 1;
	fc_histogram(&env, hist, sizeof(hist));
	if (hard || env.violations != before_viol) {
		swt_linef(SWT_FAIL,
			  "fuzz seeds: %llu of %zu built-in seeds violate "
			  "the contract",
			  env.violations - before_viol, nseeds);
		fails++;
	} else {
		swt_linef(SWT_PASS,
			  "fuzz seeds: %zu built-in seeds (SYNs, "
			  "valid-cookie ACKs, VLAN/QinQ, IPv6, every verdict "
			  "row) "
			  "checked: %s",
			  nseeds, hist);
	}
	if (hard)
		goto out;

	/* 1b. the oracle is not vacuous: corrupted outputs are caught */
	{
		unsigned long tried = 0, caught = 0;
		char why[1024] = "";
		int r = 0;

		for (k = 0; k < nseeds && r >= 0; k++) {
			int rk = fc_selftest(&env, pool[k].b, pool[k].len,
					     &tried, &caught, why, sizeof(why));

			if (rk && !r) {
				r = rk;
				printf("  # self-test on %s: %s\n",
				       pool[k].name, why);
			}
		}
		if (r == 0 && tried && caught == tried && !why[0])
			swt_linef(
				SWT_PASS,
				"fuzz oracle self-test: all %lu "
				"corruptions (every bit of every output frame "
				"and metadata, lengths, verdicts, counters) of "
				"the %zu seeds' real outputs caught",
				tried, nseeds);
		else {
			swt_linef(SWT_FAIL,
				  "fuzz oracle self-test: %lu of %lu "
				  "corruptions caught%s%s",
				  caught, tried, why[0] ? ": " : "", why);
			fails++;
		}
	}

	/* 2. the corpus of malformed cases */
	ncorpus = load_corpus(corpus);
	before_viol = env.violations;
	if (ncorpus < 0) {
		swt_linef(SWT_FAIL, "fuzz corpus: cannot read %s: %s", corpus,
			  strerror(errno));
		fails++;
		ncorpus = 0;
	}
	for (k = nseeds; k < npool; k++)
		if (check(pool[k].name, pool[k].b, pool[k].len) < 0)
			goto out_hard;
	if (ncorpus > 0 && env.violations == before_viol)
		swt_linef(SWT_PASS, "fuzz corpus: %ld files of %s checked",
			  ncorpus, corpus);
	else if (ncorpus > 0) {
		swt_linef(SWT_FAIL,
			  "fuzz corpus: %llu of %ld files violate the "
			  "contract",
			  env.violations - before_viol, ncorpus);
		fails++;
	} else if (ncorpus == 0) {
		swt_linef(SWT_FAIL, "fuzz corpus: no file in %s", corpus);
		fails++;
	}
	memcpy(seed_runs, env.by_counter, sizeof(seed_runs));

	/* 3. mutations, fixed seed */
	rng.s = seed ? seed : 1;
	before_viol = env.violations;
	{
		unsigned long long skipped0 = env.skipped_short;
		unsigned long long runs0 = env.runs;
		double t1 = now_s();

		for (i = 0; i < iters; i++) {
			const struct input *base, *other;
			char what[128];

			other = &pool[fc_below(&rng, (__u32)npool)];
			if (prev_len && fc_below(&rng, 4) == 0) {
				/* keep mutating the previous input */
				len = prev_len;
				snprintf(what, sizeof(what),
					 "mutation %ld (stacked)", i);
			} else {
				base = &pool[fc_below(&rng, (__u32)npool)];
				memcpy(buf, base->b, base->len);
				len = base->len;
				snprintf(what, sizeof(what),
					 "mutation %ld of %s", i, base->name);
			}
			len = fc_mutate(&rng, buf, len, sizeof(buf), other->b,
					other->len);
			prev_len = len;
			if (check(what, buf, len) < 0)
				goto out_hard;
		}
		for (k = 0; k < 32; k++)
			seed_runs[k] = env.by_counter[k] - seed_runs[k];
		{
			struct fc_env tmp = env;

			memcpy(tmp.by_counter, seed_runs, sizeof(seed_runs));
			fc_histogram(&tmp, hist, sizeof(hist));
		}
		if (env.violations == before_viol)
			swt_linef(SWT_PASS,
				  "fuzz mutations: %ld inputs (seed %#llx, "
				  "%llu run, %llu below 14 bytes not runnable) "
				  "in "
				  "%.1f s, 0 violations; verdicts: %s",
				  iters, seed, env.runs - runs0,
				  env.skipped_short - skipped0, now_s() - t1,
				  hist);
		else {
			swt_linef(SWT_FAIL,
				  "fuzz mutations: %llu of %ld inputs (seed "
				  "%#llx) violate the contract (saved in %s); "
				  "verdicts: %s\n",
				  env.violations - before_viol, iters, seed,
				  viol_dir, hist);
			fails++;
		}
	}

	/* 4. every reachable verdict row was exercised */
	{
		char missing[512] = "";
		size_t m, j, used = 0;

		for (m = 0; m < sizeof(must_reach) / sizeof(must_reach[0]);
		     m++) {
			for (j = 0; j < swt_nstat_fields; j++)
				if (!strcmp(swt_stat_fields[j].name,
					    must_reach[m]))
					break;
			if (j < swt_nstat_fields && j < 32 && env.by_counter[j])
				continue;
			used += snprintf(missing + used, sizeof(missing) - used,
					 " %s", must_reach[m]);
			if (used >= sizeof(missing))
				break;
		}
		if (missing[0]) {
			swt_linef(SWT_FAIL,
				  "fuzz coverage: verdict rows never "
				  "reached:%s",
				  missing);
			fails++;
		} else {
			swt_linef(SWT_PASS,
				  "fuzz coverage: all %zu reachable verdict "
				  "rows reached (%llu inputs run in %.1f s)",
				  sizeof(must_reach) / sizeof(must_reach[0]),
				  env.runs, now_s() - t0);
		}
	}
out:
	fc_env_close(&env);
	return fails || hard ? 1 : 0;
out_hard:
	fc_env_close(&env);
	return 1;
}
