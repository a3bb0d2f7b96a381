// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Can this kernel load a program on a kernel function (fentry)?  The
 * question synwall_hooks.bpf.o asks, asked apart from synwall: the e2e
 * lab's has_fentry loads it with bpftool, so that the tests know whether
 * the flow table must come up trusted or say why it cannot.
 */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

SEC("fentry/inet_ehash_nolisten")
int fentry_probe(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
