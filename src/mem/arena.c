// SPDX-License-Identifier: MIT
/*
 * The simulated physical arena: a buffer standing for physical memory at
 * [base, base + size). Freestanding: it allocates nothing itself.
 */
#include "internal/ptk_internal.h"
#include <ptkit/mem.h>

static int arena_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa_out,
		       void **ptr_out)
{
	struct ptk_mem_arena *a = arg;
	uint64_t size, off;

	if (lg2 < PTK_MEM_MIN_LG2 || lg2 > PTK_MEM_MAX_LG2)
		return PTK_EINVAL;
	size = PTK_BIT(lg2);
	if (a->free_head[lg2]) {
		off = a->free_head[lg2] - 1;
		PTK_MEMCPY(&a->free_head[lg2], a->buf + off, sizeof(uint64_t));
	} else {
		off = (a->bump + size - 1) & ~(size - 1);
		if (off > a->size || a->size - off < size)
			return PTK_ENOMEM;
		a->bump = off + size;
	}
	PTK_MEMSET(a->buf + off, 0, size);
	*oa_out = a->base + off;
	*ptr_out = a->buf + off;
	a->stats.allocs++;
	a->stats.live++;
	a->stats.live_bytes += size;
	return 0;
}

static void arena_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct ptk_mem_arena *a = arg;
	uint64_t off = oa - a->base;

	(void)ptr;
	if (lg2 < PTK_MEM_MIN_LG2 || lg2 > PTK_MEM_MAX_LG2 || oa < a->base ||
	    off >= a->size)
		PTK_BUG("arena: free of a block it does not own");
	/* No stale bytes of the caller's in a free block (they would make
	 * two arenas that did the same work compare different). */
	PTK_MEMSET(a->buf + off, 0, 16);
	PTK_MEMCPY(a->buf + off, &a->free_head[lg2], sizeof(uint64_t));
	a->free_head[lg2] = off + 1;
	a->stats.frees++;
	a->stats.live--;
	a->stats.live_bytes -= PTK_BIT(lg2);
}

void *ptk_mem_arena_ptr(const struct ptk_mem_arena *a, ptk_oa_t oa)
{
	if (oa < a->base || oa - a->base >= a->size)
		return NULL;
	return a->buf + (oa - a->base);
}

static void *arena_map(void *arg, ptk_oa_t oa, unsigned int lg2)
{
	struct ptk_mem_arena *a = arg;
	uint64_t off = oa - a->base;

	if (oa < a->base || off >= a->size || a->size - off < PTK_BIT(lg2))
		return NULL;
	return a->buf + off;
}

static const struct ptk_mem_ops arena_ops = {
	.version = PTK_MEM_OPS_VERSION,
	.alloc = arena_alloc,
	.free = arena_free,
	.map = arena_map,
};

int ptk_mem_arena_init(struct ptk_mem_arena *a, void *buf, ptk_oa_t base,
		       uint64_t size)
{
	if (!a || !buf || !size || base + (size - 1) < base)
		return PTK_EINVAL;
	if ((base & ptk_lg2_mask(PTK_MEM_MAX_LG2)) || ((uintptr_t)buf & 15))
		return PTK_EINVAL;
	PTK_MEMSET(a, 0, sizeof(*a));
	a->buf = buf;
	a->base = base;
	a->size = size;
	a->mem.ops = &arena_ops;
	a->mem.arg = a;
	a->mem.flags = PTK_MEM_LINEAR;
	a->mem.lin_delta = (uintptr_t)buf - (uintptr_t)base;
	a->mem.lin_lo = base;
	a->mem.lin_hi = base + (size - 1);
	return 0;
}
