/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Checksums of the SYN-ACKs the XDP programs build, from scratch. */
#ifndef SYNWALL_CSUM_H
#define SYNWALL_CSUM_H

/* One's-complement sum of n 32-bit words, unfolded. */
static __always_inline __u64 sw_csum_words(const __u32 *w, int n, __u64 sum)
{
	int i;

#pragma unroll
	for (i = 0; i < n; i++)
		sum += w[i];
	return sum;
}

static __always_inline __u16 sw_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* SYNWALL_CSUM_H */
