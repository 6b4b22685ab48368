/* SPDX-License-Identifier: MIT */
/*
 * Seeded pseudo-random numbers for tests: xorshift64* with the seed
 * spread by one splitmix64 step, so that small or similar seeds still
 * give unrelated streams.
 *
 * The run's seed comes from the environment (PTK_SEED=, decimal or 0x
 * hex) or a fixed default; the harness prints it when a test fails, so
 * every failure can be replayed with PTK_SEED=<seed> <binary> -s <test>.
 */
#ifndef PTK_RAND_H
#define PTK_RAND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define PTK_RAND_DEFAULT_SEED 0x5eed0f9a9e7ab1e5ull

struct ptk_rand {
	uint64_t s;
};

static inline uint64_t ptk_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline void ptk_rand_seed(struct ptk_rand *r, uint64_t seed)
{
	r->s = ptk_splitmix64(seed);
	if (!r->s)
		r->s = PTK_RAND_DEFAULT_SEED;
}

static inline uint64_t ptk_rand_next(struct ptk_rand *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n); n == 0 gives the full 64-bit range. */
static inline uint64_t ptk_rand_below(struct ptk_rand *r, uint64_t n)
{
	uint64_t x, lim;

	if (!n)
		return ptk_rand_next(r);
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		x = ptk_rand_next(r);
	while (x >= lim);
	return x % n;
}

/* Uniform in [lo, hi], inclusive. */
static inline uint64_t ptk_rand_range(struct ptk_rand *r, uint64_t lo,
				      uint64_t hi)
{
	return lo + ptk_rand_below(r, hi - lo + 1);
}

/* True with probability num/den. */
static inline bool ptk_rand_chance(struct ptk_rand *r, unsigned int num,
				   unsigned int den)
{
	return ptk_rand_below(r, den) < num;
}

/* The seed from PTK_SEED= or the default. */
static inline uint64_t ptk_rand_env_seed(void)
{
	const char *s = getenv("PTK_SEED");
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return PTK_RAND_DEFAULT_SEED;
	v = strtoull(s, &end, 0);
	if (*end)
		return PTK_RAND_DEFAULT_SEED;
	return v;
}

#endif /* PTK_RAND_H */
