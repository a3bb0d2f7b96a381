// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: every input (a state byte, then an Ethernet frame; see
 * tests/lib/fuzzcheck.h) goes through the real synwall XDP program with
 * BPF_PROG_TEST_RUN and is judged by tests/lib/fc_*.c (fuzzcheck), the oracle
 * the bounded pass tests/test_fuzz_pass.c shares.  A violated property
 * aborts, so libFuzzer keeps the input as a crash artifact; replay it with
 * build/tests/test_fuzz_pass --replay FILE.
 *
 * Built by tests/fuzz/build.sh (clang -fsanitize=fuzzer,address,undefined),
 * run by tests/fuzz/run.sh (`make fuzz`).  Needs root (BPF, a private
 * network namespace).
 *
 * Coverage feedback comes from the model in fc_model.c, whose branches
 * follow the verdict table, so libFuzzer steers towards inputs that take
 * new paths through the contract; half of the mutations are fuzzcheck's
 * structure-aware ones (lengths kept consistent, cookies re-signed for
 * the mutated flow), half libFuzzer's own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzzcheck.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static struct fc_env env;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	if (fc_env_open(&env, err, sizeof(err))) {
		fprintf(stderr, "fuzz_xdp: setup failed: %s (run as root)\n",
			err);
		exit(2);
	}
	if (err[0])
		fprintf(stderr, "fuzz_xdp: note: %s\n", err);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char why[8192];
	int r = fc_check(&env, data, size, why, sizeof(why));

	if (r == 0)
		return 0;
	fprintf(stderr, "\nfuzz_xdp: %s: %s\n",
		r < 0 ? "harness error" : "CONTRACT VIOLATION", why);
	fc_hexdump(stderr, data, size);
	abort();
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	struct fc_rng r = {((__u64)seed << 32 | seed) ^ 0x9e3779b97f4a7c15ull};

	if (!r.s)
		r.s = 1;
	if (fc_below(&r, 2))
		return LLVMFuzzerMutate(data, size, max_size);
	if (max_size < 1)
		return size;
	return fc_mutate(&r, data, size, max_size, NULL, 0);
}
