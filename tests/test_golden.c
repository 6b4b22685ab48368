// SPDX-License-Identifier: MIT
/*
 * Golden bytes: entries the engine writes for x86_64 (4-level paging) and
 * x86_64_la57 (5-level paging), compared with 64-bit values derived by
 * hand from the Intel SDM vol. 3A, section 4.5 "4-Level Paging and
 * 5-Level Paging":
 *
 *   Table 4-14  PML5E referencing a PML4 table
 *   Table 4-15  PML4E referencing a PDPT
 *   Table 4-16  PDPTE mapping a 1-GByte page
 *   Table 4-17  PDPTE referencing a page directory
 *   Table 4-18  PDE mapping a 2-MByte page
 *   Table 4-19  PDE referencing a page table
 *   Table 4-20  PTE mapping a 4-KByte page
 *
 * Bits used: P 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6, PS 7 (in a PTE,
 * bit 7 is PAT), G 8, ignored 11:9, PAT 12 (2M/1G leaves), address
 * (M-1):12 resp. (M-1):21 / (M-1):30 with M = 52, ignored 58:52, 62:59
 * (protection key when CR4.PKE=1, else ignored), XD 63.
 *
 * Index fields (4.5.4, Figures 4-8..4-11): PML5 = VA 56:48, PML4 = 47:39,
 * PDPT = 38:30, PD = 29:21, PT = 20:12.
 *
 * ptkit's mapping of attributes onto these bits (include/ptkit/types.h):
 * PTK_PROT_READ is required; WRITE -> R/W; USER -> U/S; no EXEC -> XD;
 * GLOBAL -> G; ACCESSED -> A; DIRTY -> D; memtype = PAT<<2 | PCD<<1 | PWT;
 * sw bits 0-2 -> bits 9-11, sw bits 3-13 -> bits 52-62.
 * Tables are made with P | R/W | U/S (0x7) and the table's address, so
 * the permissions are decided by the leaf alone.
 *
 * Where tables land in the arena is the allocator's business: the test
 * follows the table addresses found in the entries (checking that they
 * lie in the arena), but every flag bit and every leaf is a literal.
 */
#include <inttypes.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

#define ARENA_BASE UINT64_C(0x200000)
#define ARENA_SIZE (4u << 20)
/* Bits (M-1):12 with M = 52: a table address in a non-leaf entry. */
#define ADDR_MASK UINT64_C(0x000ffffffffff000)
/* P | R/W | U/S, everything else clear (Tables 4-14, 4-15, 4-17, 4-19). */
#define TABLE_FLAGS UINT64_C(0x7)

#define R PTK_PROT_READ
#define W PTK_PROT_WRITE
#define X PTK_PROT_EXEC
#define U PTK_PROT_USER
#define G PTK_ATTR_GLOBAL
#define A PTK_ATTR_ACCESSED
#define D PTK_ATTR_DIRTY

struct golden {
	uint64_t va;
	uint64_t len;
	uint64_t oa;
	struct ptk_attrs attrs;
	unsigned int idx[5]; /* table indexes, top level first */
	unsigned int level; /* of the leaf */
	uint64_t pte; /* the expected leaf, derived by hand */
};

/* 4-level paging */
static const struct golden golden4[] = {
	/*
	 * 4K at 0x401000 -> 0x123456000, user read-write, not executable.
	 * PML4 0, PDPT 0, PD 2, PT 1.
	 * PTE (Table 4-20): addr 0x123456000 | XD (bit 63) | U/S 0x4 |
	 * R/W 0x2 | P 0x1.
	 */
	{ 0x401000,
	  0x1000,
	  0x123456000,
	  { R | W | U, 0, 0, 0 },
	  { 0, 0, 2, 1 },
	  0,
	  UINT64_C(0x8000000123456007) },
	/*
	 * 4K at 0x402000 -> 0xfee00000, kernel RWX, global, accessed,
	 * dirty, memtype 7 (PAT=1 PCD=1 PWT=1), sw 0xd (sw 0,2 -> bits 9,
	 * 11; sw 3 -> bit 52). PML4 0, PDPT 0, PD 2, PT 2.
	 * PTE (Table 4-20): addr 0xfee00000 | bit 52 | 0x800 (bit 11) |
	 * 0x200 (bit 9) | G 0x100 | PAT 0x80 | D 0x40 | A 0x20 | PCD 0x10 |
	 * PWT 0x8 | R/W 0x2 | P 0x1 = 0x00100000fee00bfb.
	 */
	{ 0x402000,
	  0x1000,
	  0xfee00000,
	  { R | W | X, G | A | D, 7, 0xd },
	  { 0, 0, 2, 2 },
	  0,
	  UINT64_C(0x00100000fee00bfb) },
	/*
	 * 4K at 0 -> 0, kernel read-only, not executable.
	 * PML4 0, PDPT 0, PD 0, PT 0. PTE: XD | P.
	 */
	{ 0,
	  0x1000,
	  0,
	  { R, 0, 0, 0 },
	  { 0, 0, 0, 0 },
	  0,
	  UINT64_C(0x8000000000000001) },
	/*
	 * 4K at the last canonical low page 0x7ffffffff000 -> 0x5000, user
	 * read-only, not executable. PML4 255, PDPT 511, PD 511, PT 511.
	 * PTE: addr 0x5000 | XD | U/S | P.
	 */
	{ 0x7ffffffff000,
	  0x1000,
	  0x5000,
	  { R | U, 0, 0, 0 },
	  { 255, 511, 511, 511 },
	  0,
	  UINT64_C(0x8000000000005005) },
	/*
	 * 2M at 0x7f0000200000 -> 0x80000000, kernel read-only executable,
	 * global. PML4 254, PDPT 0, PD 1.
	 * PDE (Table 4-18): addr 0x80000000 (bits 51:21) | G 0x100 |
	 * PS 0x80 | P 0x1; R/W, U/S, XD clear.
	 */
	{ 0x7f0000200000,
	  0x200000,
	  0x80000000,
	  { R | X, G, 0, 0 },
	  { 254, 0, 1 },
	  1,
	  UINT64_C(0x0000000080000181) },
	/*
	 * 1G at the first high-half address 0xffff800000000000 ->
	 * 0x4000000000, kernel read-write, not executable, accessed,
	 * dirty, memtype 5 (PAT=1 PCD=0 PWT=1). PML4 256, PDPT 0.
	 * PDPTE (Table 4-16): addr 0x4000000000 (bits 51:30) | XD |
	 * PAT 0x1000 | PS 0x80 | D 0x40 | A 0x20 | PWT 0x8 | R/W 0x2 | P.
	 */
	{ UINT64_C(0xffff800000000000),
	  0x40000000,
	  0x4000000000,
	  { R | W, A | D, 5, 0 },
	  { 256, 0 },
	  2,
	  UINT64_C(0x80000040000010eb) },
	/*
	 * 2M at the top 0xffffffffffe00000 -> 0xfffffffe00000 (the highest
	 * 2M frame of a 52-bit space), user read-only executable, memtype 2
	 * (PCD), sw 0x3ff8 (sw 3-13 -> bits 52-62). PML4 511, PDPT 511,
	 * PD 511.
	 * PDE (Table 4-18): bits 62:52 (0x7ff << 52) | addr 0xfffffffe00000
	 * | PS 0x80 | PCD 0x10 | U/S 0x4 | P 0x1 = 0x7fffffffffe00095.
	 */
	{ UINT64_C(0xffffffffffe00000),
	  0x200000,
	  UINT64_C(0xfffffffe00000),
	  { R | X | U, 0, 2, 0x3ff8 },
	  { 511, 511, 511 },
	  1,
	  UINT64_C(0x7fffffffffe00095) },
};

/* 5-level paging */
static const struct golden golden5[] = {
	/*
	 * 1G at the first high-half address 0xff00000000000000 ->
	 * 0x40000000, user RWX, memtype 3 (PCD PWT). PML5 256, PML4 0,
	 * PDPT 0. PDPTE (Table 4-16): addr 0x40000000 | PS 0x80 | PCD 0x10
	 * | PWT 0x8 | U/S 0x4 | R/W 0x2 | P 0x1 = 0x4000009f.
	 */
	{ UINT64_C(0xff00000000000000),
	  0x40000000,
	  0x40000000,
	  { R | W | X | U, 0, 3, 0 },
	  { 256, 0, 0 },
	  2,
	  UINT64_C(0x000000004000009f) },
	/*
	 * 4K at the very top 0xfffffffffffff000 -> 0xffffffffff000 (the
	 * highest frame of a 52-bit space), kernel read-only, global,
	 * memtype 4 (PAT; bit 7 in a PTE), sw 1 (bit 9). PML5..PT all 511.
	 * PTE (Table 4-20): XD | addr | 0x200 | G 0x100 | PAT 0x80 | P.
	 */
	{ UINT64_C(0xfffffffffffff000),
	  0x1000,
	  UINT64_C(0xffffffffff000),
	  { R, G, 4, 1 },
	  { 511, 511, 511, 511, 511 },
	  0,
	  UINT64_C(0x800ffffffffff381) },
	/*
	 * 2M at the last low canonical 2M 0x00ffffffffe00000 -> 0x200000,
	 * kernel RWX, accessed, memtype 6 (PAT PCD). PML5 255, PML4 511,
	 * PDPT 511, PD 511. PDE (Table 4-18): addr 0x200000 | PAT 0x1000 |
	 * PS 0x80 | A 0x20 | PCD 0x10 | R/W 0x2 | P 0x1 = 0x2010b3.
	 */
	{ UINT64_C(0x00ffffffffe00000),
	  0x200000,
	  0x200000,
	  { R | W | X, A, 6, 0 },
	  { 255, 511, 511, 511 },
	  1,
	  UINT64_C(0x00000000002010b3) },
	/*
	 * 4K at 0 -> 0x1000, user RWX, dirty, memtype 1 (PWT).
	 * PML5..PT all 0. PTE: addr 0x1000 | D 0x40 | PWT 0x8 | U/S | R/W
	 * | P = 0x104f.
	 */
	{ 0,
	  0x1000,
	  0x1000,
	  { R | W | X | U, D, 1, 0 },
	  { 0, 0, 0, 0, 0 },
	  0,
	  UINT64_C(0x000000000000104f) },
};

static uint64_t read_entry(const struct ptk_mem_arena *a, uint64_t table,
			   unsigned int idx)
{
	const unsigned char *p = ptk_mem_arena_ptr(a, table + 8 * idx);
	uint64_t e;

	PTK_ASSERT(p != NULL);
	memcpy(&e, p, sizeof(e));
	return e;
}

struct seen_table {
	uint64_t oa;
	unsigned int level;
	bool used[512];
};

static struct seen_table *seen(struct seen_table *s, unsigned int *n,
			       uint64_t oa, unsigned int level)
{
	unsigned int i;

	for (i = 0; i < *n; i++) {
		if (s[i].oa == oa) {
			PTK_EXPECT_EQ(s[i].level, level);
			return &s[i];
		}
	}
	PTK_ASSERT(*n < 64);
	memset(&s[*n], 0, sizeof(s[*n]));
	s[*n].oa = oa;
	s[*n].level = level;
	return &s[(*n)++];
}

static void run(const struct ptk_fmt *f, const struct golden *gs, size_t n,
		unsigned int table_flags)
{
	struct seen_table tables[64];
	unsigned int ntables = 0, i, j;
	struct ptk_mem_arena a;
	struct ptk_table t;
	size_t k;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, f, &a.mem, table_flags));
	PTK_EXPECT_EQ(ptk_table_root(&t) & 0xfff, 0);
	PTK_EXPECT(ptk_table_root(&t) >= ARENA_BASE &&
		   ptk_table_root(&t) < ARENA_BASE + ARENA_SIZE);

	for (k = 0; k < n; k++)
		PTK_ASSERT_OK(ptk_map(&t, gs[k].va, gs[k].len, gs[k].oa,
				      &gs[k].attrs, 0, NULL));

	for (k = 0; k < n; k++) {
		const struct golden *g = &gs[k];
		uint64_t table = ptk_table_root(&t), e;
		unsigned int level = f->levels - 1, d = 0;
		struct ptk_xlate x;
		struct ptk_attrs got;

		for (;; level--, d++) {
			struct seen_table *st =
				seen(tables, &ntables, table, level);

			st->used[g->idx[d]] = true;
			e = read_entry(&a, table, g->idx[d]);
			if (level == g->level)
				break;
			if ((e & ~ADDR_MASK) != TABLE_FLAGS)
				PTK_FAIL("va 0x%" PRIx64 " level %u entry "
					 "0x%" PRIx64 ": flags 0x%" PRIx64 ", "
					 "wan"
					 "t "
					 "0x"
					 "7",
					 g->va, level, e, e & ~ADDR_MASK);
			table = e & ADDR_MASK;
			if (table < ARENA_BASE ||
			    table >= ARENA_BASE + ARENA_SIZE) {
				PTK_FAIL("va 0x%" PRIx64 " level %u: table "
					 "0x%" PRIx64 " outside the arena",
					 g->va, level, table);
				break;
			}
		}
		if (e != g->pte)
			PTK_FAIL("va 0x%" PRIx64 " level %u leaf 0x%016" PRIx64
				 ", want 0x%016" PRIx64,
				 g->va, level, e, g->pte);

		/* translate and decode agree with the literal */
		PTK_EXPECT_OK(ptk_translate(&t, g->va + 0x123, &x));
		PTK_EXPECT_EQ(x.pte, g->pte);
		PTK_EXPECT_EQ(x.level, g->level);
		PTK_EXPECT_EQ(x.oa, g->oa + 0x123);
		PTK_EXPECT_OK(ptk_leaf_attrs(&got, &t, g->level, g->pte));
		PTK_EXPECT_EQ(got.prot, g->attrs.prot);
		PTK_EXPECT_EQ(got.flags, g->attrs.flags);
		PTK_EXPECT_EQ(got.memtype, g->attrs.memtype);
		PTK_EXPECT_EQ(got.sw, g->attrs.sw);
	}

	/* Nothing else is set in any table, and no table is left over. */
	for (i = 0; i < ntables; i++)
		for (j = 0; j < 512; j++)
			if (!tables[i].used[j] &&
			    read_entry(&a, tables[i].oa, j))
				PTK_FAIL("level %u table 0x%" PRIx64
					 " entry %u is 0x%" PRIx64 ", want 0",
					 tables[i].level, tables[i].oa, j,
					 read_entry(&a, tables[i].oa, j));
	PTK_EXPECT_EQ(a.stats.live, ntables);

	/* Unmapping everything clears the root and frees all tables. */
	for (k = 0; k < n; k++)
		PTK_EXPECT_OK(ptk_unmap(&t, gs[k].va, gs[k].len, 0, NULL));
	for (j = 0; j < 512; j++)
		PTK_EXPECT_EQ(read_entry(&a, ptk_table_root(&t), j), 0);
	PTK_EXPECT_EQ(a.stats.live, 1);
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

PTK_TEST(golden_x86_64)
{
	run(&ptk_fmt_x86_64, golden4, sizeof(golden4) / sizeof(golden4[0]), 0);
}

PTK_TEST(golden_x86_64_generic)
{
	run(&ptk_fmt_x86_64, golden4, sizeof(golden4) / sizeof(golden4[0]),
	    PTK_TABLE_GENERIC);
}

PTK_TEST(golden_x86_64_la57)
{
	run(&ptk_fmt_x86_64_la57, golden5, sizeof(golden5) / sizeof(golden5[0]),
	    0);
}

PTK_TEST(golden_x86_64_la57_generic)
{
	run(&ptk_fmt_x86_64_la57, golden5, sizeof(golden5) / sizeof(golden5[0]),
	    PTK_TABLE_GENERIC);
}

/*
 * A split: 2M leaf 0x40000000 -> 0x80000000 (user RW, memtype 4: PAT in
 * bit 12 of the PDE), then 4K at 0x40001000 replaced. The other 511
 * 4K PTEs must carry the same attributes with PAT moved to bit 7
 * (Table 4-18 vs Table 4-20).
 */
PTK_TEST(golden_split_moves_pat)
{
	const struct ptk_attrs big = { R | W | U, 0, 4, 0 };
	const struct ptk_attrs small = { R, 0, 0, 0 };
	struct ptk_mem_arena a;
	struct ptk_table t;
	uint64_t pd, pt, e;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_64, &a.mem, 0));
	PTK_ASSERT_OK(
		ptk_map(&t, 0x40000000, 0x200000, 0x80000000, &big, 0, NULL));
	/* PML4 0 -> PDPT 1 -> PD 0; PDE: XD | PAT 0x1000 | PS | U | W | P */
	pd = read_entry(&a, ptk_table_root(&t), 0) & ADDR_MASK;
	pd = read_entry(&a, pd, 1) & ADDR_MASK;
	PTK_EXPECT_EQ(read_entry(&a, pd, 0), UINT64_C(0x8000000080001087));
	PTK_ASSERT_OK(ptk_map(&t, 0x40001000, 0x1000, 0x7000, &small,
			      PTK_MAP_REPLACE, NULL));
	e = read_entry(&a, pd, 0);
	PTK_EXPECT_EQ(e & ~ADDR_MASK, TABLE_FLAGS);
	pt = e & ADDR_MASK;
	/* PTE 0: 0x80000000 | XD | PAT 0x80 | U | W | P */
	PTK_EXPECT_EQ(read_entry(&a, pt, 0), UINT64_C(0x8000000080000087));
	/* PTE 1: the replacement, 0x7000 | XD | P */
	PTK_EXPECT_EQ(read_entry(&a, pt, 1), UINT64_C(0x8000000000007001));
	/* PTE 511: 0x801ff000 | XD | PAT | U | W | P */
	PTK_EXPECT_EQ(read_entry(&a, pt, 511), UINT64_C(0x80000000801ff087));
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(golden_x86_64),
	PTK_TEST_ENTRY(golden_x86_64_generic),
	PTK_TEST_ENTRY(golden_x86_64_la57),
	PTK_TEST_ENTRY(golden_x86_64_la57_generic),
	PTK_TEST_ENTRY(golden_split_moves_pat),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
