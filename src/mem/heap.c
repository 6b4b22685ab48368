// SPDX-License-Identifier: MIT
/*
 * Host-only memory: the heap provider (a slab of table-sized blocks carved
 * from 2 MiB chunks) and arenas with their own buffer. Uses the C library.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal/ptk_internal.h"
#include <ptkit/mem.h>

#define CHUNK_LG2 21
#define CHUNK_SIZE ((size_t)1 << CHUNK_LG2)

/*
 * Debug poisoning (PTK_DEBUG >= 2): a freed block is filled with 0xa5
 * bytes (bit 0 set in every byte: every entry of every format reads as
 * present and malformed or bogus, so a walk through a freed table goes
 * wrong loudly) and waits in a FIFO quarantine of HEAP_QUAR blocks
 * before it can be handed out again. Under AddressSanitizer the
 * quarantined block is also poisoned, so any access to it is reported
 * where it happens.
 */
#define HEAP_POISON 0xa5
#define HEAP_QUAR                                                      \
	((unsigned int)(sizeof(((struct ptk_mem_heap *)0)->quar_ptr) / \
			sizeof(((struct ptk_mem_heap *)0)->quar_ptr[0])))

#if defined(__SANITIZE_ADDRESS__)
#define HEAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAP_ASAN 1
#endif
#endif

#ifdef HEAP_ASAN
/* From <sanitizer/asan_interface.h>, declared here to need no header. */
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define HEAP_ASAN_POISON(p, n) __asan_poison_memory_region((p), (n))
#define HEAP_ASAN_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define HEAP_ASAN_POISON(p, n) ((void)(p), (void)(n))
#define HEAP_ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct ptk_mem_heap_chunk {
	struct ptk_mem_heap_chunk *next;
	void *mem;
	bool mapped; /* from heap_low_chunk(): munmap, not free */
};

void ptk_host_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "ptkit: BUG at %s:%d: %s\n", file, line, msg);
	abort();
}

/*
 * A chunk below 2^@bits: ask the system for one at each 2 MiB step from
 * 256 MiB up (a hint, not MAP_FIXED: nothing mapped is replaced) and
 * keep the first it places where asked. Sanitizer runtimes reserve parts
 * of low memory too; those steps are just refused.
 */
static void *heap_low_chunk(unsigned int bits)
{
	uint64_t limit = (uint64_t)1 << bits, hint;

	for (hint = (uint64_t)1 << 28; hint + CHUNK_SIZE <= limit;
	     hint += CHUNK_SIZE) {
		void *p = mmap((void *)(uintptr_t)hint, CHUNK_SIZE,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			continue;
		if ((uint64_t)(uintptr_t)p + CHUNK_SIZE <= limit &&
		    !((uintptr_t)p & (CHUNK_SIZE - 1)))
			return p;
		munmap(p, CHUNK_SIZE);
	}
	return NULL;
}

static int heap_new_chunk(struct ptk_mem_heap *h)
{
	struct ptk_mem_heap_chunk *c = malloc(sizeof(*c));

	if (!c)
		return PTK_ENOMEM;
	c->mapped = h->below_bits != 0;
	if (c->mapped)
		c->mem = heap_low_chunk(h->below_bits);
	else
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

/* Put @p (2^@lg2 bytes) on its free list. */
static void heap_push_free(struct ptk_mem_heap *h, void *p, unsigned int lg2)
{
	memcpy(p, &h->free_head[lg2], sizeof(void *));
	h->free_head[lg2] = p;
}

/* The oldest quarantined block leaves for its free list. */
static void heap_quarantine_pop(struct ptk_mem_heap *h)
{
	unsigned int k = h->quar_head, lg2 = h->quar_lg2[k];
	void *p = h->quar_ptr[k];

	HEAP_ASAN_UNPOISON(p, (size_t)1 << lg2);
	heap_push_free(h, p, lg2);
	h->quar_head = (k + 1) % HEAP_QUAR;
	h->quar_nr--;
}

#if PTK_DEBUG >= 2
static void heap_quarantine(struct ptk_mem_heap *h, void *p, unsigned int lg2)
{
	unsigned int i, k;

	for (i = 0; i < h->quar_nr; i++)
		if (h->quar_ptr[(h->quar_head + i) % HEAP_QUAR] == p)
			PTK_BUG("heap: double free");
	if (h->quar_nr == HEAP_QUAR)
		heap_quarantine_pop(h);
	memset(p, HEAP_POISON, (size_t)1 << lg2);
	HEAP_ASAN_POISON(p, (size_t)1 << lg2);
	k = (h->quar_head + h->quar_nr) % HEAP_QUAR;
	h->quar_ptr[k] = p;
	h->quar_lg2[k] = (unsigned char)lg2;
	h->quar_nr++;
}
#endif

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

			if (rc && !h->quar_nr)
				return rc;
			if (rc) {
				/* Rather than fail what a build without
				 * quarantine would serve: release it. */
				while (h->quar_nr)
					heap_quarantine_pop(h);
				return heap_alloc(arg, lg2, oa_out, ptr_out);
			}
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
	h->stats.frees++;
	h->stats.live--;
	h->stats.live_bytes -= (uint64_t)1 << lg2;
#if PTK_DEBUG >= 2
	heap_quarantine(h, ptr, lg2);
#else
	heap_push_free(h, ptr, lg2);
#endif
}

/*
 * free_chain(): the chain's links are this heap's free-list links, so a
 * release build splices the whole chain in; a debug build frees block by
 * block through the quarantine, checking the chain on the way.
 */
static void heap_free_chain(void *arg, void *first, void *last, uint64_t nr,
			    unsigned int lg2)
{
	struct ptk_mem_heap *h = arg;

	if (lg2 < PTK_MEM_MIN_LG2 || lg2 > PTK_MEM_MAX_LG2 || !first || !last ||
	    !nr)
		PTK_BUG("heap: bad free");
#if PTK_DEBUG >= 2
	for (; nr; nr--) {
		void *next;

		memcpy(&next, first, sizeof(next));
		if ((nr == 1) != (first == last) || (nr == 1) != !next)
			PTK_BUG("heap: bad chain");
		heap_free(h, 0, first, lg2);
		first = next;
	}
#else
	h->stats.frees += nr;
	h->stats.live -= nr;
	h->stats.live_bytes -= nr << lg2;
	memcpy(last, &h->free_head[lg2], sizeof(void *));
	h->free_head[lg2] = first;
#endif
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
	.free_chain = heap_free_chain,
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

int ptk_mem_heap_init_below(struct ptk_mem_heap *h, unsigned int oa_bits)
{
	if (!h || oa_bits < 30)
		return PTK_EINVAL;
	ptk_mem_heap_init(h);
	/* Pointers no wider than the limit need nothing special. */
	if (oa_bits < 64 && oa_bits < sizeof(uintptr_t) * 8)
		h->below_bits = oa_bits;
	return 0;
}

void ptk_mem_heap_fini(struct ptk_mem_heap *h)
{
	struct ptk_mem_heap_chunk *c, *n;

	if (!h)
		return;
	/* Quarantined blocks live in the chunks; only ASan needs telling. */
	while (h->quar_nr)
		heap_quarantine_pop(h);
	for (c = h->chunks; c; c = n) {
		n = c->next;
		if (c->mapped)
			munmap(c->mem, CHUNK_SIZE);
		else
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
