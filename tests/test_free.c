// SPDX-License-Identifier: MIT
/*
 * The tables an operation unlinks, as the provider gets them back.
 *
 * A recording provider over an arena remembers every block it handed
 * out, with its size. Its free_chain() walks the chain it is given and
 * checks it against that record: each block live, of the size named,
 * freed once, the walk ending at @last after exactly @nr blocks. So the
 * queue's links, its tail and its count are checked by someone who did
 * not write them, and so is the rule that nothing is freed before the
 * flush, and that a queue of two block sizes goes back block by block.
 */
#include <stdlib.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/toy_fmt.h"

#define ARENA_SZ (64u << 20)
#define MAXB 4096

struct rec {
	struct ptk_mem mem;
	struct ptk_mem_ops ops;
	struct ptk_mem_arena a;
	void *buf;
	void *ptr[MAXB];
	unsigned int lg2[MAXB];
	bool live[MAXB];
	unsigned int nr;
	uint64_t nlive;
	uint64_t frees; /* blocks through free() */
	uint64_t chains; /* free_chain() calls */
	uint64_t chained; /* blocks through free_chain() */
};

static int rec_find(struct rec *r, const void *p)
{
	unsigned int i;

	for (i = 0; i < r->nr; i++)
		if (r->ptr[i] == p)
			return (int)i;
	return -1;
}

static int rec_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa, void **ptr)
{
	struct rec *r = arg;
	int rc;

	if (r->nr == MAXB)
		return PTK_ENOMEM;
	rc = r->a.mem.ops->alloc(r->a.mem.arg, lg2, oa, ptr);
	if (rc)
		return rc;
	/* A recycled block gets a new record; the old one is dead. */
	r->ptr[r->nr] = *ptr;
	r->lg2[r->nr] = lg2;
	r->live[r->nr] = true;
	r->nr++;
	r->nlive++;
	return 0;
}

/* Mark the live block at @p (2^@lg2 bytes) freed; false if it is not. */
static bool rec_kill(struct rec *r, const void *p, unsigned int lg2)
{
	unsigned int i;

	for (i = r->nr; i-- > 0;) {
		if (r->ptr[i] != p || !r->live[i])
			continue;
		if (r->lg2[i] != lg2)
			return false;
		r->live[i] = false;
		r->nlive--;
		return true;
	}
	return false;
}

static void rec_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct rec *r = arg;

	PTK_EXPECT(rec_kill(r, ptr, lg2));
	r->frees++;
	r->a.mem.ops->free(r->a.mem.arg, oa, ptr, lg2);
}

/* The arena's address of the block at @p. */
static ptk_oa_t rec_oa(const struct rec *r, const unsigned char *p)
{
	return 0x40000000 + (ptk_oa_t)(p - (const unsigned char *)r->buf);
}

static void rec_free_chain(void *arg, void *first, void *last, uint64_t nr,
			   unsigned int lg2)
{
	struct rec *r = arg;
	unsigned char *p = first;
	uint64_t k;

	r->chains++;
	for (k = 0; k < nr; k++) {
		void *next;

		PTK_ASSERT(p != NULL);
		PTK_ASSERT(rec_find(r, p) >= 0);
		memcpy(&next, p, sizeof(next));
		PTK_EXPECT_EQ((next == NULL), (k + 1 == nr));
		PTK_EXPECT_EQ((p == (unsigned char *)last), (k + 1 == nr));
		PTK_EXPECT(rec_kill(r, p, lg2));
		r->chained++;
		r->a.mem.ops->free(r->a.mem.arg, rec_oa(r, p), p, lg2);
		p = next;
	}
}

static void rec_init(struct rec *r, unsigned int version)
{
	memset(r, 0, sizeof(*r));
	r->buf = malloc(ARENA_SZ);
	PTK_ASSERT(r->buf != NULL);
	PTK_ASSERT_OK(ptk_mem_arena_init(&r->a, r->buf, 0x40000000, ARENA_SZ));
	r->ops.version = version;
	r->ops.alloc = rec_alloc;
	r->ops.free = rec_free;
	r->ops.map = r->a.mem.ops->map;
	r->ops.free_chain = rec_free_chain;
	r->mem = r->a.mem;
	r->mem.ops = &r->ops;
	r->mem.arg = r;
}

static void rec_fini(struct rec *r)
{
	free(r->buf);
}

/* Map [va, va + len) with small pages (at an OA any format holds). */
static void map(struct ptk_table *t, uint64_t va, uint64_t len)
{
	struct ptk_attrs a;

	memset(&a, 0, sizeof(a));
	a.prot = PTK_PROT_RWX;
	PTK_ASSERT_OK(
		ptk_map(t, va, len, 0x1000000, &a, PTK_MAP_MAX_PAGE(12), NULL));
}

/* The tables @t holds, its root included. */
static uint64_t tables(const struct ptk_table *t)
{
	uint64_t n = 1;
	unsigned int l;

	for (l = 0; l < ptk_table_fmt(t)->levels; l++)
		n += ptk_table_count(t, l);
	return n;
}

/*
 * One size of table: the whole queue goes back in one free_chain(). The
 * first unmap covers a PUD entry whole (its PMD table and the leaf
 * tables below go in one sweep, into the empty queue), the next two cut
 * leaf tables, whole PMD tables and a PUD table out of ranges they cover
 * in part.
 */
PTK_TEST(free_chain_one_call)
{
	const uint64_t gib = 1ull << 30, mib = 1ull << 20;
	const uint64_t va = 0x7f0000000000ull;
	struct rec r;
	struct ptk_table t;
	struct ptk_gather g;
	uint64_t before, freed;

	rec_init(&r, PTK_MEM_OPS_VERSION);
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_64, &r.mem, 0));
	map(&t, va + 2 * gib + 4 * mib, 8 * mib + 0x3000);
	map(&t, va - 2 * mib, 6 * mib + 0x5000);
	map(&t, va + gib, 2 * mib);
	before = tables(&t);
	PTK_EXPECT_EQ(r.nlive, before);
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_unmap(&t, va + 2 * gib, gib, 0, &g));
	PTK_EXPECT_EQ(g.nr_free, 6);
	PTK_ASSERT_OK(ptk_unmap(&t, va - 2 * mib, 6 * mib + 0x5000, 0, &g));
	PTK_ASSERT_OK(ptk_unmap(&t, va + gib, 2 * mib, 0, &g));
	freed = before - tables(&t);
	PTK_EXPECT(freed >= 12);
	PTK_EXPECT_EQ(g.nr_free, freed);
	/* Nothing goes back before the flush. */
	PTK_EXPECT_EQ(r.nlive, before);
	PTK_EXPECT_EQ(r.chains, 0);
	ptk_table_flush(&t, &g);
	PTK_EXPECT_EQ(r.chains, 1);
	PTK_EXPECT_EQ(r.chained, freed);
	PTK_EXPECT_EQ(r.frees, 0);
	PTK_EXPECT_EQ(r.nlive, tables(&t));
	PTK_EXPECT_EQ(g.nr_free, 0);
	/* A flush of an empty queue calls nothing. */
	ptk_table_flush(&t, &g);
	PTK_EXPECT_EQ(r.chains, 1);
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(r.nlive, 0);
	rec_fini(&r);
}

/* A provider of version 2 has no free_chain: it is never read. */
PTK_TEST(free_chain_old_provider)
{
	struct rec r;
	struct ptk_table t;
	struct ptk_gather g;
	uint64_t before;

	rec_init(&r, 2);
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_64, &r.mem, 0));
	map(&t, 0x200000, 4ull << 20);
	before = tables(&t);
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_unmap(&t, 0x200000, 4ull << 20, 0, &g));
	ptk_table_flush(&t, &g);
	PTK_EXPECT_EQ(r.chains, 0);
	PTK_EXPECT_EQ(r.frees, before - tables(&t));
	PTK_EXPECT_EQ(r.nlive, tables(&t));
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(r.nlive, 0);
	rec_fini(&r);
}

/*
 * The toy format with 2048-entry middle tables (8 KiB) above 4 KiB leaf
 * tables: a queue of two sizes goes back block by block, each with its
 * own size.
 */
PTK_TEST(free_chain_two_sizes)
{
	struct ptk_fmt f = toy_fmt;
	struct rec r;
	struct ptk_table t;
	struct ptk_gather g;
	uint64_t before;

	f.level_bits[1] = 11;
	f.level_shift[2] = 33;
	f.va_bits = 43;
	PTK_ASSERT_OK(ptk_fmt_check(&f));
	rec_init(&r, PTK_MEM_OPS_VERSION);
	PTK_ASSERT_OK(ptk_table_create(&t, &f, &r.mem, 0));
	/* Two middle tables (each spans 8 GiB), 3 leaf tables. */
	map(&t, (1ull << 33) - (8ull << 20), 12ull << 20);
	before = tables(&t);
	PTK_EXPECT_EQ(before, 1 + 2 + 3);
	ptk_gather_init(&g);
	PTK_ASSERT_OK(
		ptk_unmap(&t, (1ull << 33) - (8ull << 20), 12ull << 20, 0, &g));
	PTK_EXPECT_EQ(g.nr_free, 5);
	ptk_table_flush(&t, &g);
	PTK_EXPECT_EQ(r.chains, 0);
	PTK_EXPECT_EQ(r.frees, 5);
	PTK_EXPECT_EQ(r.nlive, 1);
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(r.nlive, 0);
	rec_fini(&r);
}

static void nop_cb(struct ptk_notifier *n, const struct ptk_notify_event *ev)
{
	(void)n;
	(void)ev;
}

static const struct ptk_notifier_ops nop_ops = {
	.version = PTK_NOTIFIER_OPS_VERSION,
	.before = nop_cb,
	.after = nop_cb,
};

/*
 * With a notifier each operation queues into a gather of its own, which
 * is then hung onto the caller's: the caller's queue, its tail and its
 * sizes must come out as if the operations had queued there directly.
 */
static void merged(const struct ptk_fmt *f, uint64_t va, uint64_t len,
		   bool one_size)
{
	struct rec r;
	struct ptk_table t;
	struct ptk_notifier n = { &nop_ops, NULL, NULL };
	struct ptk_gather g;
	uint64_t before, freed;

	rec_init(&r, PTK_MEM_OPS_VERSION);
	PTK_ASSERT_OK(ptk_table_create(&t, f, &r.mem, 0));
	PTK_ASSERT_OK(ptk_notifier_register(&t, &n));
	map(&t, va, len);
	map(&t, va + 2 * len, len);
	map(&t, va + 4 * len, len);
	before = tables(&t);
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_unmap(&t, va, len, 0, &g));
	PTK_ASSERT_OK(ptk_unmap(&t, va + 2 * len, len, 0, &g));
	PTK_ASSERT_OK(ptk_unmap(&t, va + 4 * len, len, 0, &g));
	freed = before - tables(&t);
	PTK_EXPECT(freed >= 3);
	PTK_EXPECT_EQ(g.nr_free, freed);
	PTK_EXPECT_EQ(r.nlive, before);
	ptk_table_flush(&t, &g);
	PTK_EXPECT_EQ(r.chains, (uint64_t)(one_size ? 1 : 0));
	PTK_EXPECT_EQ(r.chained + r.frees, freed);
	PTK_EXPECT_EQ(r.nlive, tables(&t));
	PTK_ASSERT_OK(ptk_notifier_unregister(&t, &n));
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(r.nlive, 0);
	rec_fini(&r);
}

PTK_TEST(free_chain_merged)
{
	struct ptk_fmt f = toy_fmt;

	merged(&ptk_fmt_x86_64, 0x40000000, 4ull << 20, true);
	f.level_bits[1] = 11;
	f.level_shift[2] = 33;
	f.va_bits = 43;
	/* Leaf tables only in the first two, a middle table in the third. */
	merged(&f, 1ull << 33, 1ull << 22, false);
	merged(&f, 1ull << 33, 1ull << 28, false);
}

/*
 * The host heap splices the chain into its free list (release builds)
 * or frees it block by block through its quarantine (debug): either way
 * what one round frees, the next reuses, and the heap's bump pointer
 * stops moving after the first round. A block lost from the chain, or a
 * chain spliced in without its tail, shows as a moving bump pointer, a
 * live count above one, or a table handed out twice (the map's check).
 */
PTK_TEST(free_chain_heap_reuse)
{
	const uint64_t va = 0x5500000000ull;
	struct ptk_mem_heap h;
	struct ptk_table t;
	struct ptk_gather g;
	unsigned char *cur = NULL;
	unsigned int round;

	PTK_ASSERT_OK(ptk_mem_heap_init(&h));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_64, &h.mem, 0));
	for (round = 0; round < 4; round++) {
		map(&t, va, 1ull << 30);
		map(&t, va + (3ull << 30) + 0x7000, 5ull << 20);
		PTK_EXPECT_EQ(h.stats.live, tables(&t));
		if (round > 1)
			PTK_EXPECT(h.cur == cur);
		cur = h.cur;
		/* Two flushes: the second chain joins a non-empty list. */
		ptk_gather_init(&g);
		PTK_ASSERT_OK(ptk_unmap(&t, va + (3ull << 30) + 0x7000,
					5ull << 20, 0, &g));
		ptk_table_flush(&t, &g);
		PTK_ASSERT_OK(ptk_unmap(&t, va, 1ull << 30, 0, &g));
		ptk_table_flush(&t, &g);
		PTK_EXPECT_EQ(h.stats.live, 1);
		PTK_EXPECT_EQ(h.stats.allocs - h.stats.frees, 1);
	}
	ptk_table_destroy(&t);
	ptk_mem_heap_fini(&h);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(free_chain_one_call),
	PTK_TEST_ENTRY(free_chain_old_provider),
	PTK_TEST_ENTRY(free_chain_two_sizes),
	PTK_TEST_ENTRY(free_chain_merged),
	PTK_TEST_ENTRY(free_chain_heap_reuse),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
