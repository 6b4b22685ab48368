// SPDX-License-Identifier: MIT
/*
 * The simulated physical arena: a buffer standing for physical memory at
 * [base, base + size). Freestanding: it allocates nothing itself.
 */
#include "internal/ptk_internal.h"
#include <ptkit/mem.h>

/*
 * Debug poisoning (PTK_DEBUG >= 2). A freed block is filled with 0xa5
 * bytes: bit 0 is set in every byte, so every entry of every format
 * reads as present, and as a malformed or bogus entry, and a walk that
 * reaches a freed table stops or goes astray at once instead of reading
 * plausible stale entries. The block then waits in a FIFO quarantine of
 * ARENA_QUAR blocks before it goes back on a free list, so a table used
 * after its free still holds the pattern for a while rather than
 * someone else's new table.
 *
 * No AddressSanitizer poisoning here: the arena stands for physical
 * memory, which tests and tools read as a whole (snapshots, compares),
 * and a hardware walker may read freed pages too. The pattern is the
 * detector.
 */
#define ARENA_POISON 0xa5
#define ARENA_QUAR                                                      \
	((unsigned int)(sizeof(((struct ptk_mem_arena *)0)->quar_off) / \
			sizeof(((struct ptk_mem_arena *)0)->quar_off[0])))
#define ARENA_NONE (~(uint64_t)0)

/* Put the block at @off on its free list. */
static void arena_push_free(struct ptk_mem_arena *a, uint64_t off,
			    unsigned int lg2)
{
	PTK_MEMCPY(a->buf + off, &a->free_head[lg2], sizeof(uint64_t));
	a->free_head[lg2] = off + 1;
}

/* Take a block off the free list of 2^@lg2 bytes, or ARENA_NONE. */
static uint64_t arena_pop_free(struct ptk_mem_arena *a, unsigned int lg2)
{
	uint64_t off;

	if (!a->free_head[lg2])
		return ARENA_NONE;
	off = a->free_head[lg2] - 1;
	PTK_MEMCPY(&a->free_head[lg2], a->buf + off, sizeof(uint64_t));
	return off;
}

/* A fresh naturally aligned block above the high-water mark, or ARENA_NONE. */
static uint64_t arena_bump(struct ptk_mem_arena *a, uint64_t size)
{
	uint64_t off = (a->bump + size - 1) & ~(size - 1);

	if (off > a->size || a->size - off < size)
		return ARENA_NONE;
	a->bump = off + size;
	return off;
}

#if PTK_DEBUG >= 2
/*
 * Quarantine the block at @off; the oldest one leaves for its free list
 * when the quarantine is full.
 */
static void arena_quarantine(struct ptk_mem_arena *a, uint64_t off,
			     unsigned int lg2)
{
	unsigned int i, k;

	for (i = 0; i < a->quar_nr; i++)
		if (a->quar_off[(a->quar_head + i) % ARENA_QUAR] == off)
			PTK_BUG("arena: double free");
	if (a->quar_nr == ARENA_QUAR) {
		k = a->quar_head;
		arena_push_free(a, a->quar_off[k], a->quar_lg2[k]);
		a->quar_head = (k + 1) % ARENA_QUAR;
		a->quar_nr--;
	}
	k = (a->quar_head + a->quar_nr) % ARENA_QUAR;
	a->quar_off[k] = off;
	a->quar_lg2[k] = (unsigned char)lg2;
	a->quar_nr++;
}
#endif

/*
 * Out of fresh memory: let every quarantined block go to its free list
 * rather than fail an allocation a build without quarantine would
 * serve. Returns whether anything was released.
 */
static bool arena_quarantine_drain(struct ptk_mem_arena *a)
{
	bool any = a->quar_nr != 0;

	while (a->quar_nr) {
		unsigned int k = a->quar_head;

		arena_push_free(a, a->quar_off[k], a->quar_lg2[k]);
		a->quar_head = (k + 1) % ARENA_QUAR;
		a->quar_nr--;
	}
	return any;
}

static int arena_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa_out,
		       void **ptr_out)
{
	struct ptk_mem_arena *a = arg;
	uint64_t size, off;

	if (lg2 < PTK_MEM_MIN_LG2 || lg2 > PTK_MEM_MAX_LG2)
		return PTK_EINVAL;
	size = PTK_BIT(lg2);
	off = arena_pop_free(a, lg2);
	if (off == ARENA_NONE)
		off = arena_bump(a, size);
	if (off == ARENA_NONE && arena_quarantine_drain(a))
		off = arena_pop_free(a, lg2);
	if (off == ARENA_NONE)
		return PTK_ENOMEM;
	PTK_MEMSET(a->buf + off, 0, size);
	*oa_out = a->base + off;
	*ptr_out = a->buf + off;
	a->stats.allocs++;
	a->stats.live++;
	a->stats.live_bytes += size;
	return 0;
}

/* Free the block at offset @off (2^@lg2 bytes). */
static void arena_free_off(struct ptk_mem_arena *a, uint64_t off,
			   unsigned int lg2)
{
	if (lg2 < PTK_MEM_MIN_LG2 || lg2 > PTK_MEM_MAX_LG2 || off >= a->bump ||
	    a->bump - off < PTK_BIT(lg2) || (off & ptk_lg2_mask(lg2)))
		PTK_BUG("arena: free of a block it does not own");
	a->stats.frees++;
	a->stats.live--;
	a->stats.live_bytes -= PTK_BIT(lg2);
#if PTK_DEBUG >= 2
	PTK_MEMSET(a->buf + off, ARENA_POISON, PTK_BIT(lg2));
	arena_quarantine(a, off, lg2);
#else
	/* No stale bytes of the caller's in a free block (they would make
	 * two arenas that did the same work compare different). */
	PTK_MEMSET(a->buf + off, 0, 16);
	arena_push_free(a, off, lg2);
#endif
}

static void arena_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct ptk_mem_arena *a = arg;

	(void)ptr;
	if (oa < a->base)
		PTK_BUG("arena: free of a block it does not own");
	arena_free_off(a, oa - a->base, lg2);
}

/* free_chain(): block by block (the free lists hold offsets), each found
 * from its pointer. */
static void arena_free_chain(void *arg, void *first, void *last, uint64_t nr,
			     unsigned int lg2)
{
	struct ptk_mem_arena *a = arg;
	unsigned char *p = first;

	for (; nr; nr--) {
		void *next;

		if (!p || (uintptr_t)p < (uintptr_t)a->buf ||
		    (nr == 1) != (p == last))
			PTK_BUG("arena: bad chain");
		PTK_MEMCPY(&next, p, sizeof(next));
		arena_free_off(a, (uint64_t)(p - a->buf), lg2);
		p = next;
	}
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
	.free_chain = arena_free_chain,
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
