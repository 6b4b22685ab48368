// SPDX-License-Identifier: MIT
/*
 * ENGINE BUG REPRODUCERS: minimal cases the random tests found, one per
 * test, each failing until the engine is fixed (then kept as a
 * regression test). Registered as ctest tests named engine_bug_*.
 *
 * Status: engine_bug_copy_empty_tables is fixed by commit 30be938 ("copy
 * gives back destination tables that stay empty") and passes since.
 *
 * engine_bug_copy_empty_tables: ptk_copy() of a range where the source
 * has a table on the path but nothing mapped inside the range creates
 * that table (and the ones above it) in the destination and leaves them
 * empty. Found by model_* / diff_* (every format) at its first copy of
 * such a range. With PTK_DEBUG=3 the library's own post-mutation check
 * aborts ("BUG ... empty table"); otherwise ptk_table_check() reports
 * it and the per-level table counts are 3 instead of 0.
 *
 * engine_bug_shared_map_pool_leak: on a PTK_TABLE_SHARED table, when the
 * tables ptk_map() allocated after its check pass find their slots
 * already filled by a writer of a neighbouring range (or lose the
 * compare-and-swap for them), they go back into the operation's pool,
 * and the old engine's map never gave that pool back: the tables were
 * never freed. Reproduced deterministically: the neighbouring writer
 * runs inside the provider's alloc hook, between map's check pass and
 * its real pass. Old engine (before the mutate() driver): 3 blocks live
 * after ptk_table_destroy(); expected 0.
 */
#include <stdio.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

PTK_TEST(engine_bug_copy_empty_tables)
{
	struct ptk_mem_arena a;
	struct ptk_table src, dst;
	struct ptk_attrs at = { PTK_PROT_READ | PTK_PROT_WRITE, 0, 0, 0 };
	struct ptk_check chk;
	unsigned int l;

	PTK_ASSERT_OK(
		ptk_mem_arena_create(&a, UINT64_C(0x100000000), 16 << 20));
	PTK_ASSERT_OK(ptk_table_create(&src, &ptk_fmt_x86_64, &a.mem, 0));
	PTK_ASSERT_OK(ptk_table_create(&dst, &ptk_fmt_x86_64, &a.mem, 0));
	/* one 4K page at 0x1000; copy [0x3000, 0x4000), which is empty */
	PTK_ASSERT_OK(ptk_map(&src, 0x1000, 0x1000, 0x5000, &at, 0, NULL));
	PTK_EXPECT_OK(ptk_copy(&dst, &src, 0x3000, 0x1000, 0, NULL));
	/* expected: nothing copied, so the destination has no tables */
	for (l = 0; l < 4; l++)
		PTK_EXPECT_EQ(ptk_table_count(&dst, l), 0);
	PTK_EXPECT_OK(ptk_table_check(&chk, &dst));
	PTK_EXPECT_EQ(a.stats.live, 2 + 3); /* the two roots + src's 3 */
	ptk_table_destroy(&dst);
	ptk_table_destroy(&src);
	ptk_mem_arena_destroy(&a);
}

/*
 * A provider for a shared table over an arena: read sections are no-ops
 * and retire frees at once (one thread, no readers). Its alloc hook, when
 * armed, first maps one page at @nb_va into @t (once), as a writer of a
 * neighbouring range would.
 */
struct hook_mem {
	struct ptk_mem mem;
	struct ptk_mem_ops ops;
	struct ptk_mem_arena *a;
	struct ptk_table *t;
	ptk_va_t nb_va;
	int armed;
	int fired;
	int nb_rc;
};

static int hook_alloc(void *arg, unsigned int size_lg2, ptk_oa_t *oa_out,
		      void **ptr_out)
{
	struct hook_mem *h = arg;
	const struct ptk_mem *in = &h->a->mem;

	if (h->armed) {
		struct ptk_attrs at = { PTK_PROT_READ, 0, 0, 0 };

		h->armed = 0;
		h->fired = 1;
		h->nb_rc =
			ptk_map(h->t, h->nb_va, 0x1000, 0x7000, &at, 0, NULL);
	}
	return in->ops->alloc(in->arg, size_lg2, oa_out, ptr_out);
}

static void hook_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int size_lg2)
{
	struct hook_mem *h = arg;

	h->a->mem.ops->free(h->a->mem.arg, oa, ptr, size_lg2);
}

static void *hook_map(void *arg, ptk_oa_t oa, unsigned int size_lg2)
{
	struct hook_mem *h = arg;

	return h->a->mem.ops->map(h->a->mem.arg, oa, size_lg2);
}

static unsigned long hook_read_lock(void *arg)
{
	(void)arg;
	return 0;
}

static void hook_read_unlock(void *arg, unsigned long token)
{
	(void)arg;
	(void)token;
}

static void hook_init(struct hook_mem *h, struct ptk_mem_arena *a)
{
	memset(h, 0, sizeof(*h));
	h->a = a;
	h->ops.version = PTK_MEM_OPS_VERSION;
	h->ops.alloc = hook_alloc;
	h->ops.free = hook_free;
	h->ops.map = hook_map;
	h->ops.read_lock = hook_read_lock;
	h->ops.read_unlock = hook_read_unlock;
	h->ops.retire = hook_free;
	h->mem.ops = &h->ops;
	h->mem.arg = h;
}

PTK_TEST(engine_bug_shared_map_pool_leak)
{
	struct ptk_mem_arena a;
	struct hook_mem h;
	struct ptk_table t;
	struct ptk_attrs at = { PTK_PROT_READ | PTK_PROT_WRITE, 0, 0, 0 };
	struct ptk_xlate tr;

	PTK_ASSERT_OK(
		ptk_mem_arena_create(&a, UINT64_C(0x100000000), 16 << 20));
	hook_init(&h, &a);
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_64, &h.mem,
				       PTK_TABLE_SHARED));
	PTK_EXPECT_EQ(a.stats.live, 1); /* the root */
	h.t = &t;
	h.nb_va = 0x2000;
	h.armed = 1;
	/* The check pass counts 3 new tables (PDPT, PD, PT); the first
	 * allocation maps 0x2000, which makes all three; the real pass then
	 * finds them and uses none of its own. */
	PTK_EXPECT_OK(ptk_map(&t, 0x1000, 0x1000, 0x5000, &at, 0, NULL));
	PTK_EXPECT_EQ(h.fired, 1);
	PTK_EXPECT_OK(h.nb_rc);
	PTK_EXPECT_OK(ptk_translate(&t, 0x1000, &tr));
	PTK_EXPECT_EQ(tr.oa, 0x5000);
	PTK_EXPECT_OK(ptk_translate(&t, 0x2000, &tr));
	PTK_EXPECT_EQ(tr.oa, 0x7000);
	/* The root and the neighbour's three tables, nothing else. */
	PTK_EXPECT_EQ(a.stats.live, 1 + 3);
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(engine_bug_copy_empty_tables),
	PTK_TEST_ENTRY(engine_bug_shared_map_pool_leak),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
