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
 */
#include <stdio.h>

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

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(engine_bug_copy_empty_tables),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
