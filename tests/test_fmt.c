// SPDX-License-Identifier: MIT
/*
 * Format descriptors: the built-in geometry (literals from the Intel SDM
 * vol. 3A 4.5: 4-level paging translates 48 bits with 9 index bits per
 * level above a 12-bit page offset, 5-level paging 57 bits; M = 52
 * physical-address bits at most), lookup, page sizes, level names,
 * canonical addresses, and ptk_fmt_check() on broken descriptors.
 */
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/toy_fmt.h"

PTK_TEST(x86_64_geometry)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_64;
	unsigned int l;

	PTK_EXPECT_OK(ptk_fmt_check(f));
	PTK_EXPECT_STREQ(f->name, "x86_64");
	PTK_EXPECT_EQ(f->levels, 4);
	PTK_EXPECT_EQ(f->entry_lg2, 3);
	PTK_EXPECT_EQ(f->va_bits, 48);
	PTK_EXPECT_EQ(f->oa_bits, 52);
	for (l = 0; l < 4; l++) {
		PTK_EXPECT_EQ(f->level_shift[l], 12 + 9 * l);
		PTK_EXPECT_EQ(f->level_bits[l], 9);
	}
	PTK_EXPECT_EQ(f->leaf_levels, 0x7); /* PTE, 2M PDE, 1G PDPTE */
	PTK_EXPECT(f->features & PTK_FMT_SIGN_EXTEND);
	PTK_EXPECT(f->ops != NULL); /* it has a specialised instance */
}

PTK_TEST(x86_64_la57_geometry)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_64_la57;
	unsigned int l;

	PTK_EXPECT_OK(ptk_fmt_check(f));
	PTK_EXPECT_STREQ(f->name, "x86_64_la57");
	PTK_EXPECT_EQ(f->levels, 5);
	PTK_EXPECT_EQ(f->entry_lg2, 3);
	PTK_EXPECT_EQ(f->va_bits, 57);
	PTK_EXPECT_EQ(f->oa_bits, 52);
	for (l = 0; l < 5; l++) {
		PTK_EXPECT_EQ(f->level_shift[l], 12 + 9 * l);
		PTK_EXPECT_EQ(f->level_bits[l], 9);
	}
	PTK_EXPECT_EQ(f->leaf_levels, 0x7);
	PTK_EXPECT(f->features & PTK_FMT_SIGN_EXTEND);
	PTK_EXPECT(f->ops != NULL);
	PTK_EXPECT(f->ops != ptk_fmt_x86_64.ops);
}

PTK_TEST(toy_descriptor_checks)
{
	PTK_EXPECT_OK(ptk_fmt_check(&toy_fmt));
	PTK_EXPECT(toy_fmt.ops == NULL);
}

PTK_TEST(page_sizes)
{
	const uint64_t x86 = (UINT64_C(1) << 12) | (UINT64_C(1) << 21) |
			     (UINT64_C(1) << 30);

	PTK_EXPECT_EQ(ptk_fmt_page_sizes(&ptk_fmt_x86_64), x86);
	PTK_EXPECT_EQ(ptk_fmt_page_sizes(&ptk_fmt_x86_64_la57), x86);
	PTK_EXPECT_EQ(ptk_fmt_page_sizes(&toy_fmt),
		      (UINT64_C(1) << 12) | (UINT64_C(1) << 22));
}

PTK_TEST(lookup_and_enumerate)
{
	size_t n = ptk_fmt_count(), i, j;
	bool seen64 = false, seen57 = false;

	PTK_EXPECT(ptk_fmt_lookup("x86_64") == &ptk_fmt_x86_64);
	PTK_EXPECT(ptk_fmt_lookup("x86_64_la57") == &ptk_fmt_x86_64_la57);
	PTK_EXPECT(ptk_fmt_lookup("x86") == NULL);
	PTK_EXPECT(ptk_fmt_lookup("x86_64_") == NULL);
	PTK_EXPECT(ptk_fmt_lookup("x86_64_la5") == NULL);
	PTK_EXPECT(ptk_fmt_lookup("") == NULL);
	PTK_EXPECT(ptk_fmt_lookup("toy32") == NULL); /* run-time only */

	PTK_EXPECT(n >= 2);
	for (i = 0; i < n; i++) {
		const struct ptk_fmt *f = ptk_fmt_get(i);

		PTK_ASSERT(f != NULL);
		PTK_EXPECT_OK(ptk_fmt_check(f));
		PTK_EXPECT(ptk_fmt_lookup(f->name) == f);
		seen64 |= f == &ptk_fmt_x86_64;
		seen57 |= f == &ptk_fmt_x86_64_la57;
		for (j = 0; j < i; j++)
			PTK_EXPECT(strcmp(f->name, ptk_fmt_get(j)->name));
	}
	PTK_EXPECT(seen64 && seen57);
	PTK_EXPECT(ptk_fmt_get(n) == NULL);
	PTK_EXPECT(ptk_fmt_get((size_t)-1) == NULL);
}

PTK_TEST(level_names)
{
	/* SDM names: PT, PD, PDPT, PML4, PML5 tables. */
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_x86_64, 0), "PT");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_x86_64, 1), "PD");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_x86_64, 2), "PDPT");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_x86_64, 3), "PML4");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_x86_64, 4), "?");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_x86_64_la57, 4), "PML5");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_x86_64_la57, 5), "?");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&toy_fmt, 2), "T2");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&toy_fmt, 100), "?");
}

PTK_TEST(canonical_addresses)
{
	const struct ptk_fmt *f4 = &ptk_fmt_x86_64, *f5 = &ptk_fmt_x86_64_la57;

	/* 48-bit: bits 63:47 all equal */
	PTK_EXPECT(ptk_fmt_va_valid(f4, 0));
	PTK_EXPECT(ptk_fmt_va_valid(f4, UINT64_C(0x00007fffffffffff)));
	PTK_EXPECT(!ptk_fmt_va_valid(f4, UINT64_C(0x0000800000000000)));
	PTK_EXPECT(!ptk_fmt_va_valid(f4, UINT64_C(0x00ff000000000000)));
	PTK_EXPECT(!ptk_fmt_va_valid(f4, UINT64_C(0x8000000000000000)));
	PTK_EXPECT(!ptk_fmt_va_valid(f4, UINT64_C(0xffff7fffffffffff)));
	PTK_EXPECT(ptk_fmt_va_valid(f4, UINT64_C(0xffff800000000000)));
	PTK_EXPECT(ptk_fmt_va_valid(f4, UINT64_C(0xffffffffffffffff)));
	/* 57-bit: bits 63:56 all equal */
	PTK_EXPECT(ptk_fmt_va_valid(f5, UINT64_C(0x0000800000000000)));
	PTK_EXPECT(ptk_fmt_va_valid(f5, UINT64_C(0x00ffffffffffffff)));
	PTK_EXPECT(!ptk_fmt_va_valid(f5, UINT64_C(0x0100000000000000)));
	PTK_EXPECT(!ptk_fmt_va_valid(f5, UINT64_C(0xfeffffffffffffff)));
	PTK_EXPECT(ptk_fmt_va_valid(f5, UINT64_C(0xff00000000000000)));
	PTK_EXPECT(ptk_fmt_va_valid(f5, UINT64_C(0xffff7fffffffffff)));
	/* no sign extension: below 2^42 */
	PTK_EXPECT(ptk_fmt_va_valid(&toy_fmt, (UINT64_C(1) << 42) - 1));
	PTK_EXPECT(!ptk_fmt_va_valid(&toy_fmt, UINT64_C(1) << 42));
	PTK_EXPECT(!ptk_fmt_va_valid(&toy_fmt, UINT64_MAX));
}

/* Each mutation of a valid descriptor that ptk_fmt_check() must catch. */
static void expect_bad(const struct ptk_fmt *f, int want, const char *what)
{
	int rc = ptk_fmt_check(f);

	if (rc != want)
		PTK_FAIL("%s: ptk_fmt_check gave %s, want %s", what,
			 ptk_errname(rc), ptk_errname(want));
}

PTK_TEST(check_rejects_bad_descriptors)
{
	struct ptk_fmt_hooks hooks = *toy_fmt.hooks;
	struct ptk_fmt f;

#define MUT(stmt, want)                      \
	do {                                 \
		f = toy_fmt;                 \
		f.hooks = &hooks;            \
		hooks = *toy_fmt.hooks;      \
		stmt;                        \
		expect_bad(&f, want, #stmt); \
	} while (0)

	MUT((void)0, 0);
	MUT(f.version = 0, PTK_EVERSION);
	MUT(f.version = PTK_FMT_VERSION + 1, PTK_EVERSION);
	MUT(hooks.version = PTK_FMT_HOOKS_VERSION + 1, PTK_EVERSION);
	MUT(f.hooks = NULL, PTK_EINVAL);
	MUT(hooks.classify = NULL, PTK_EINVAL);
	MUT(hooks.table_oa = NULL, PTK_EINVAL);
	MUT(hooks.leaf_oa = NULL, PTK_EINVAL);
	MUT(hooks.make_table = NULL, PTK_EINVAL);
	MUT(hooks.make_leaf = NULL, PTK_EINVAL);
	MUT(hooks.encode = NULL, PTK_EINVAL);
	MUT(hooks.decode = NULL, PTK_EINVAL);
	MUT(f.levels = 0, PTK_EINVAL);
	MUT(f.levels = PTK_MAX_LEVELS + 1, PTK_EINVAL);
	MUT(f.entry_lg2 = 1, PTK_EINVAL);
	MUT(f.entry_lg2 = 4, PTK_EINVAL);
	/* shifts must be consecutive: shift[l+1] == shift[l] + bits[l] */
	MUT(f.level_shift[1] = 23, PTK_EINVAL);
	MUT(f.level_shift[2] = 31, PTK_EINVAL);
	MUT(f.level_bits[0] = 11, PTK_EINVAL);
	/* va_bits == shift[top] + bits[top] */
	MUT(f.va_bits = 41, PTK_EINVAL);
	MUT(f.va_bits = 43, PTK_EINVAL);
	MUT((f.level_bits[2] = 33, f.va_bits = 65), PTK_EINVAL);
	/* leaf levels: a contiguous run from level 0 */
	MUT(f.leaf_levels = 0, PTK_EINVAL);
	MUT(f.leaf_levels = 0x2, PTK_EINVAL);
	MUT(f.leaf_levels = 0x5, PTK_EINVAL);
	MUT(f.leaf_levels = 0xf, PTK_EINVAL); /* level 3 does not exist */
	MUT(f.leaf_levels = 0x7, 0);
#undef MUT

	PTK_EXPECT_RC(ptk_fmt_check(NULL), PTK_EINVAL);
}

PTK_TEST(create_rejects_bad_descriptor)
{
	struct ptk_mem_arena a;
	struct ptk_table t;
	struct ptk_fmt f = toy_fmt;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, 0x200000, 1 << 20));
	f.levels = 0;
	PTK_EXPECT_RC(ptk_table_create(&t, &f, &a.mem, 0), PTK_EINVAL);
	f = toy_fmt;
	f.version = 99;
	PTK_EXPECT_RC(ptk_table_create(&t, &f, &a.mem, 0), PTK_EVERSION);
	PTK_EXPECT_EQ(a.stats.allocs, 0);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(x86_64_geometry),
	PTK_TEST_ENTRY(x86_64_la57_geometry),
	PTK_TEST_ENTRY(toy_descriptor_checks),
	PTK_TEST_ENTRY(page_sizes),
	PTK_TEST_ENTRY(lookup_and_enumerate),
	PTK_TEST_ENTRY(level_names),
	PTK_TEST_ENTRY(canonical_addresses),
	PTK_TEST_ENTRY(check_rejects_bad_descriptors),
	PTK_TEST_ENTRY(create_rejects_bad_descriptor),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
