// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Internet checksum (RFC 1071), written for the tests without looking
 * at bpf/: a one's complement sum of big-endian 16-bit words, an odd last
 * byte padded with zero, carries folded back, result complemented.
 */
#include <string.h>

#include "swt.h"

void swt_put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void swt_put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

__u16 swt_get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

__u32 swt_get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

__u32 swt_csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (__u32)(p[i] << 8 | p[i + 1]);
		/* fold early: a 32-bit sum never overflows this way */
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1) {
		sum += (__u32)p[len - 1] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

__u16 swt_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

__u32 swt_pseudo_sum(bool v6, const __u8 *saddr, const __u8 *daddr, __u8 proto,
		     size_t len)
{
	__u8 ph[40];
	size_t alen = v6 ? 16 : 4;

	/* RFC 793 / RFC 8200 section 8.1 pseudo-header */
	memset(ph, 0, sizeof(ph));
	memcpy(ph, saddr, alen);
	memcpy(ph + alen, daddr, alen);
	if (v6) {
		swt_put32(ph + 32, (__u32)len);
		ph[39] = proto;
		return swt_csum_add(0, ph, 40);
	}
	ph[9] = proto;
	swt_put16(ph + 10, (__u16)len);
	return swt_csum_add(0, ph, 12);
}

__u16 swt_l4_csum(bool v6, const __u8 *saddr, const __u8 *daddr, __u8 proto,
		  const void *seg, size_t len)
{
	__u32 sum = swt_pseudo_sum(v6, saddr, daddr, proto, len);

	return swt_csum_fold(swt_csum_add(sum, seg, len));
}
