// SPDX-License-Identifier: MIT
/*
 * Host-only memory: the heap provider (a slab of table-sized blocks carved
 * from 2 MiB chunks) and arenas with their own buffer. Uses the C library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/ptk_internal.h"
#include <ptkit/mem.h>

#define CHUNK_LG2 21
#define CHUNK_SIZE ((size_t)1 << CHUNK_LG2)

struct ptk_mem_heap_chunk {
	struct ptk_mem_heap_chunk *next;
	void *mem;
};

void ptk_host_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "ptkit: BUG at %s:%d: %s\n", file, line, msg);
	abort();
}

static int heap_new_chunk(struct ptk_mem_heap *h)
{
	struct ptk_mem_heap_chunk *c = malloc(sizeof(*c));

	if (!c)
		return PTK_ENOMEM;
	c->mem = aligned_alloc(CHUNK_SIZE, CHUNK_SIZE);
	if (!c->mem) {
		free(c);
		return PTK_ENOMEM;
	}
	c->next = h->chunks;
	h->chunks = c;
	h->cur = c->mem;
	h->cur_left = CHUNK_SIZE;
	return 0;
}

static int heap_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa_out,
		      void **ptr_out)
{
	struct ptk_mem_heap *h = arg;
	size_t size;
	void *p;

	if (lg2 < PTK_MEM_MIN_LG2 || lg2 > PTK_MEM_MAX_LG2)
		return PTK_EINVAL;
	size = (size_t)1 << lg2;
	p = h->free_head[lg2];
	if (p) {
		memcpy(&h->free_head[lg2], p, sizeof(void *));
	} else {
		/* Chunks are 2 MiB aligned; keep the cursor size-aligned. */
		size_t pad = (size - ((uintptr_t)h->cur & (size - 1))) &
			     (size - 1);

		if (!h->cur || h->cur_left < pad + size) {
			int rc = heap_new_chunk(h);

			if (rc)
				return rc;
			pad = 0;
		}
		p = h->cur + pad;
		h->cur += pad + size;
		h->cur_left -= pad + size;
	}
	memset(p, 0, size);
	*oa_out = (ptk_oa_t)(uintptr_t)p;
	*ptr_out = p;
	h->stats.allocs++;
	h->stats.live++;
	h->stats.live_bytes += size;
	return 0;
}

static void heap_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct ptk_mem_heap *h = arg;

	(void)oa;
	if (lg2 < PTK_MEM_MIN_LG2 || lg2 > PTK_MEM_MAX_LG2 || !ptr)
		PTK_BUG("heap: bad free");
	memcpy(ptr, &h->free_head[lg2], sizeof(void *));
	h->free_head[lg2] = ptr;
	h->stats.frees++;
	h->stats.live--;
	h->stats.live_bytes -= (uint64_t)1 << lg2;
}

static void *heap_map(void *arg, ptk_oa_t oa, unsigned int lg2)
{
	(void)arg;
	(void)lg2;
	return (void *)(uintptr_t)oa;
}

static const struct ptk_mem_ops heap_ops = {
	.version = PTK_MEM_OPS_VERSION,
	.alloc = heap_alloc,
	.free = heap_free,
	.map = heap_map,
};

int ptk_mem_heap_init(struct ptk_mem_heap *h)
{
	if (!h)
		return PTK_EINVAL;
	memset(h, 0, sizeof(*h));
	h->mem.ops = &heap_ops;
	h->mem.arg = h;
	h->mem.flags = PTK_MEM_LINEAR;
	h->mem.lin_delta = 0;
	h->mem.lin_lo = 0;
	h->mem.lin_hi = (ptk_oa_t)UINTPTR_MAX;
	return 0;
}

void ptk_mem_heap_fini(struct ptk_mem_heap *h)
{
	struct ptk_mem_heap_chunk *c, *n;

	if (!h)
		return;
	for (c = h->chunks; c; c = n) {
		n = c->next;
		free(c->mem);
		free(c);
	}
	memset(h, 0, sizeof(*h));
}

int ptk_mem_arena_create(struct ptk_mem_arena *a, ptk_oa_t base, uint64_t size)
{
	void *buf;
	int rc;

	if (!a || !size || size > SIZE_MAX)
		return PTK_EINVAL;
	buf = calloc(1, (size_t)size);
	if (!buf)
		return PTK_ENOMEM;
	rc = ptk_mem_arena_init(a, buf, base, size);
	if (rc) {
		free(buf);
		return rc;
	}
	a->owns_buf = 1;
	return 0;
}

void ptk_mem_arena_destroy(struct ptk_mem_arena *a)
{
	if (!a)
		return;
	if (a->owns_buf)
		free(a->buf);
	memset(a, 0, sizeof(*a));
}
