/* SPDX-License-Identifier: MIT */
/*
 * Bit and log2 helpers shared by the formats and the engine.
 *
 * Constant expressions where the arguments are, so a format's masks fold
 * to literals in its specialised instance.
 */
#ifndef PTK_BITS_H
#define PTK_BITS_H

#include <stdint.h>

/* Bit @n of a 64-bit word. */
#define PTK_BIT(n) ((uint64_t)1 << (n))

/* Bits @hi..@lo set (inclusive), like the kernel's GENMASK_ULL. */
#define PTK_GENMASK(hi, lo) \
	((~(uint64_t)0 >> (63 - (hi))) & (~(uint64_t)0 << (lo)))

/* A mask of the low @lg2 bits; @lg2 may be 64. */
static inline uint64_t ptk_lg2_mask(unsigned int lg2)
{
	return lg2 >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << lg2) - 1;
}

#endif /* PTK_BITS_H */
