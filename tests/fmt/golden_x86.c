// SPDX-License-Identifier: MIT
/*
 * Golden bytes for x86_32, x86_pae, x86_ept and x86_ept_5: entries the
 * engine writes, compared with literals derived by hand from the Intel
 * SDM, and hand-written entries that must be refused.
 *
 * Vol. 3A section 4.3 "32-Bit Paging" (CR4.PSE = 1, PAT, PSE-36 with
 * M = 40):
 *   Table 4-4  PDE mapping a 4-MByte page: P 0, R/W 1, U/S 2, PWT 3,
 *              PCD 4, A 5, D 6, PS 7 (1), G 8, ignored 11:9, PAT 12,
 *              PA 39:32 in 20:13, reserved 21, PA 31:22 in 31:22
 *   Table 4-5  PDE referencing a page table: address 31:12, PS 7 = 0
 *   Table 4-6  PTE: as above with PAT in bit 7 and address 31:12
 *   Index fields (Figures 4-2, 4-3): PD = VA 31:22, PT = VA 21:12.
 *
 * Vol. 3A section 4.4 "PAE Paging" (EFER.NXE = 1, M = 52):
 *   Table 4-8  PDPTE: P 0, PWT 3, PCD 4, ignored 11:9, address 51:12;
 *              2:1, 8:5 and 63:52 reserved
 *   Table 4-9  PDE mapping a 2-MByte page: flags as Table 4-4, PAT 12,
 *              20:13 reserved, address 51:21, 62:52 reserved, XD 63
 *   Table 4-10 PDE referencing a page table
 *   Table 4-11 PTE: PAT 7, address 51:12, 62:52 reserved, XD 63
 *   Index fields (Figures 4-5, 4-6): PDPT = VA 31:30, PD = 29:21,
 *   PT = 20:12.
 *
 * Vol. 3C section 29.3.2 "EPT Translation Mechanism", Tables 29-1..29-7
 * (PML5E, PML4E, PDPTE 1G, PDPTE, PDE 2M, PDE, PTE): R 0, W 1, X 2,
 * memory type 5:3 (leaves), ignore PAT 6 (leaves), PS 7, A 8, D 9
 * (leaves), user-mode execute 10, ignored 11, address 51:12 (N = 52),
 * ignored 62:52, suppress #VE 63 (leaves); section 29.3.3.1 "EPT
 * Misconfigurations" for W without R, reserved bits and memory types 2,
 * 3 and 7. Index fields as 4-level/5-level paging: PML5 = GPA 56:48,
 * PML4 = 47:39, PDPT = 38:30, PD = 29:21, PT = 20:12.
 *
 * The attribute mappings are documented in src/fmt/x86_32.h,
 * x86_pae.h and x86_ept.h. Tables are linked with P | R/W | U/S (0x7)
 * in x86_32 and PAE PDEs, P alone (0x1) in PAE PDPTEs, and R | W | X |
 * user-execute (0x407) in EPT.
 */
#include <inttypes.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

#define ARENA_BASE UINT64_C(0x200000)
#define ARENA_SIZE (4u << 20)

#define R PTK_PROT_READ
#define W PTK_PROT_WRITE
#define X PTK_PROT_EXEC
#define U PTK_PROT_USER
#define G PTK_ATTR_GLOBAL
#define A PTK_ATTR_ACCESSED
#define D PTK_ATTR_DIRTY

/* A compound literal with every field, for -Wmissing-field-initializers. */
#define ATTRS(p, fl, mt, sw) (&(struct ptk_attrs){ (p), (fl), (mt), (sw) })

#define KIB(n) (UINT64_C(n) << 10)
#define MIB(n) (UINT64_C(n) << 20)
#define GIB(n) (UINT64_C(n) << 30)

/* How a format links tables: the address field and the flag bits. */
struct layout {
	const struct ptk_fmt *f;
	uint64_t addr_mask; /* table address bits of a non-leaf entry */
	uint64_t table_flags[6]; /* per level: non-address bits, or 0 */
};

static const struct layout lay_32 = {
	&ptk_fmt_x86_32,
	UINT64_C(0xfffff000), /* Table 4-5: bits 31:12 */
	{ 0, 0x7 }, /* PDE: P | R/W | U/S */
};

static const struct layout lay_pae = {
	&ptk_fmt_x86_pae,
	UINT64_C(0x000ffffffffff000), /* Tables 4-8, 4-10: 51:12 */
	{ 0, 0x7, 0x1 }, /* PDE: P | R/W | U/S; PDPTE: P only */
};

static const struct layout lay_ept = {
	&ptk_fmt_x86_ept,
	UINT64_C(0x000ffffffffff000), /* Tables 29-2, 29-4, 29-6 */
	{ 0, 0x407, 0x407, 0x407 }, /* R | W | X | user-execute */
};

static const struct layout lay_ept5 = {
	&ptk_fmt_x86_ept_5,
	UINT64_C(0x000ffffffffff000), /* Tables 29-1, 29-2, 29-4, 29-6 */
	{ 0, 0x407, 0x407, 0x407, 0x407 },
};

struct golden {
	uint64_t va;
	uint64_t len;
	uint64_t oa;
	struct ptk_attrs attrs;
	unsigned int idx[5]; /* table indexes, top level first */
	unsigned int level; /* of the leaf */
	uint64_t pte; /* the expected leaf, derived by hand */
};

/* x86_32: Tables 4-4 and 4-6. */
static const struct golden golden_32[] = {
	/*
	 * 4K at 0x401000 -> 0x12345000, user RW (EXEC is required).
	 * PD 1, PT 1. PTE (4-6): 0x12345000 | U/S 0x4 | R/W 0x2 | P 0x1.
	 */
	{ 0x401000,
	  KIB(4),
	  0x12345000,
	  { R | W | X | U, 0, 0, 0 },
	  { 1, 1 },
	  0,
	  0x12345007 },
	/*
	 * 4K at 0x402000 -> 0xfee00000, kernel read-only, G A D, memtype
	 * 7, sw 5. PD 1, PT 2. PTE (4-6): 0xfee00000 | sw 5 << 9 = 0xa00 |
	 * G 0x100 | PAT 0x80 | D 0x40 | A 0x20 | PCD 0x10 | PWT 0x8 | P.
	 */
	{ 0x402000,
	  KIB(4),
	  0xfee00000,
	  { R | X, G | A | D, 7, 5 },
	  { 1, 2 },
	  0,
	  0xfee00bf9 },
	/*
	 * 4K at the top page 0xfffff000 -> the top frame 0xfffff000,
	 * user read-only, memtype 3. PD 1023, PT 1023.
	 * PTE (4-6): 0xfffff000 | PCD 0x10 | PWT 0x8 | U/S 0x4 | P 0x1.
	 */
	{ 0xfffff000,
	  KIB(4),
	  0xfffff000,
	  { R | X | U, 0, 3, 0 },
	  { 1023, 1023 },
	  0,
	  0xfffff01d },
	/*
	 * 4M at 0x800000 -> 0x40000000, kernel RW, global, memtype 4.
	 * PD 2. PDE (4-4): 0x40000000 | PAT 0x1000 (bit 12, not 7) |
	 * G 0x100 | PS 0x80 | R/W 0x2 | P 0x1.
	 */
	{ 0x800000,
	  MIB(4),
	  0x40000000,
	  { R | W | X, G, 4, 0 },
	  { 2 },
	  1,
	  0x40001183 },
	/*
	 * 4M at 0xc0000000 -> 0xffc00000, user RW, A D, memtype 2, sw 2.
	 * PD 768. PDE (4-4): 0xffc00000 | sw 2 << 9 = 0x400 | PS 0x80 |
	 * D 0x40 | A 0x20 | PCD 0x10 | U/S 0x4 | R/W 0x2 | P 0x1.
	 */
	{ 0xc0000000,
	  MIB(4),
	  0xffc00000,
	  { R | W | X | U, A | D, 2, 2 },
	  { 768 },
	  1,
	  0xffc004f7 },
};

/* x86_pae: Tables 4-9 and 4-11. */
static const struct golden golden_pae[] = {
	/*
	 * 4K at 0x401000 -> 0x123456000 (above 4 GiB), user RW, no exec.
	 * PDPT 0, PD 2, PT 1. PTE (4-11): XD bit 63 | 0x123456000 |
	 * U/S 0x4 | R/W 0x2 | P 0x1.
	 */
	{ 0x401000,
	  KIB(4),
	  0x123456000,
	  { R | W | U, 0, 0, 0 },
	  { 0, 2, 1 },
	  0,
	  UINT64_C(0x8000000123456007) },
	/*
	 * 4K at 0x402000 -> 0xfee00000, kernel RWX, G A D, memtype 7,
	 * sw 7. PDPT 0, PD 2, PT 2. PTE (4-11): 0xfee00000 | 0xe00 (11:9)
	 * | G 0x100 | PAT 0x80 | D 0x40 | A 0x20 | PCD 0x10 | PWT 0x8 |
	 * R/W 0x2 | P 0x1.
	 */
	{ 0x402000,
	  KIB(4),
	  0xfee00000,
	  { R | W | X, G | A | D, 7, 7 },
	  { 0, 2, 2 },
	  0,
	  UINT64_C(0x00000000fee00ffb) },
	/*
	 * 2M at 0xc0000000 -> 0xfffffffe00000 (the highest 2M frame of a
	 * 52-bit space), user read-exec, memtype 4. PDPT 3, PD 0.
	 * PDE (4-9): 0xfffffffe00000 | PAT 0x1000 | PS 0x80 | U/S 0x4 | P.
	 */
	{ 0xc0000000,
	  MIB(2),
	  UINT64_C(0xfffffffe00000),
	  { R | X | U, 0, 4, 0 },
	  { 3, 0 },
	  1,
	  UINT64_C(0x000fffffffe01085) },
	/*
	 * 2M at 0x7fe00000 -> 0x40000000, kernel read-only, accessed,
	 * memtype 1. PDPT 1, PD 511. PDE (4-9): XD | 0x40000000 |
	 * PS 0x80 | A 0x20 | PWT 0x8 | P 0x1.
	 */
	{ 0x7fe00000,
	  MIB(2),
	  0x40000000,
	  { R, A, 1, 0 },
	  { 1, 511 },
	  1,
	  UINT64_C(0x80000000400000a9) },
	/*
	 * 4K at the top page 0xfffff000 -> 0xffffffffff000 (the highest
	 * frame), user RWX. PDPT 3, PD 511, PT 511.
	 * PTE (4-11): 0xffffffffff000 | U/S 0x4 | R/W 0x2 | P 0x1.
	 */
	{ 0xfffff000,
	  KIB(4),
	  UINT64_C(0xffffffffff000),
	  { R | W | X | U, 0, 0, 0 },
	  { 3, 511, 511 },
	  0,
	  UINT64_C(0x000ffffffffff007) },
};

/* x86_ept (4-level): Tables 29-3, 29-5, 29-7. */
static const struct golden golden_ept[] = {
	/*
	 * 4K at 0x1000 -> 0x123456000, RWX, A D, memtype 6 (WB), sw 1
	 * (ignore PAT). PML4 0, PDPT 0, PD 0, PT 1. PTE (29-7):
	 * 0x123456000 | D 0x200 | A 0x100 | IPAT 0x40 | 6 << 3 = 0x30 |
	 * X 0x4 | W 0x2 | R 0x1.
	 */
	{ 0x1000,
	  KIB(4),
	  0x123456000,
	  { R | W | X, A | D, 6, 1 },
	  { 0, 0, 0, 1 },
	  0,
	  UINT64_C(0x0000000123456377) },
	/*
	 * 4K at 0x2000 -> 0xfee00000, read-only, memtype 0 (UC), sw 2
	 * (suppress #VE). PT 2. PTE (29-7): SVE bit 63 | 0xfee00000 | R.
	 */
	{ 0x2000,
	  KIB(4),
	  0xfee00000,
	  { R, 0, 0, 2 },
	  { 0, 0, 0, 2 },
	  0,
	  UINT64_C(0x80000000fee00001) },
	/*
	 * 4K at 0x3000 -> 0x5000, execute-only, memtype 6. PT 3.
	 * PTE (29-7): 0x5000 | 6 << 3 = 0x30 | X 0x4.
	 */
	{ 0x3000,
	  KIB(4),
	  0x5000,
	  { X, 0, 6, 0 },
	  { 0, 0, 0, 3 },
	  0,
	  UINT64_C(0x0000000000005034) },
	/*
	 * 4K at 0x4000 -> 0x6000, read + supervisor and user execute,
	 * memtype 4 (WT), sw 0xc (bit 11, bit 52). PT 4. PTE (29-7):
	 * bit 52 | 0x6000 | bit 11 0x800 | XU 0x400 | 4 << 3 = 0x20 |
	 * X 0x4 | R 0x1.
	 */
	{ 0x4000,
	  KIB(4),
	  0x6000,
	  { R | X | U, 0, 4, 0xc },
	  { 0, 0, 0, 4 },
	  0,
	  UINT64_C(0x0010000000006c25) },
	/*
	 * 2M at 0x40000000 -> 0x80000000, RW, memtype 1 (WC). PML4 0,
	 * PDPT 1, PD 0. PDE (29-5): 0x80000000 | PS 0x80 | 1 << 3 = 0x8 |
	 * W 0x2 | R 0x1.
	 */
	{ 0x40000000,
	  MIB(2),
	  0x80000000,
	  { R | W, 0, 1, 0 },
	  { 0, 1, 0 },
	  1,
	  UINT64_C(0x000000008000008b) },
	/*
	 * 1G at 0x7fc0000000 -> 0xfffffc0000000 (the highest 1G frame),
	 * RWX and user execute, memtype 5 (WP), sw 0x3ff8 (bits 62:52).
	 * PML4 0, PDPT 511. PDPTE (29-3): 0x7ff << 52 | 0xfffffc0000000 |
	 * XU 0x400 | PS 0x80 | 5 << 3 = 0x28 | X W R 0x7.
	 */
	{ UINT64_C(0x7fc0000000),
	  GIB(1),
	  UINT64_C(0xfffffc0000000),
	  { R | W | X | U, 0, 5, 0x3ff8 },
	  { 0, 511 },
	  2,
	  UINT64_C(0x7fffffffc00004af) },
	/*
	 * 2M at the top of the 48-bit space 0xffffffe00000 -> 0x200000,
	 * read + user-mode execute only, memtype 6. PML4 511, PDPT 511,
	 * PD 511. PDE (29-5): 0x200000 | XU 0x400 | PS 0x80 | 0x30 | R.
	 */
	{ UINT64_C(0xffffffe00000),
	  MIB(2),
	  0x200000,
	  { R | U, 0, 6, 0 },
	  { 511, 511, 511 },
	  1,
	  UINT64_C(0x00000000002004b1) },
};

/* x86_ept_5: Tables 29-3, 29-5, 29-7 under a PML5 (29-1). */
static const struct golden golden_ept5[] = {
	/*
	 * 1G at GPA 2^56 -> 0x40000000, read-exec, memtype 6. PML5 256,
	 * PML4 0, PDPT 0. PDPTE (29-3): 0x40000000 | PS 0x80 | 0x30 |
	 * X 0x4 | R 0x1.
	 */
	{ UINT64_C(0x0100000000000000),
	  GIB(1),
	  0x40000000,
	  { R | X, 0, 6, 0 },
	  { 256, 0, 0 },
	  2,
	  UINT64_C(0x00000000400000b5) },
	/*
	 * 4K at the top of the 57-bit space 0x1fffffffffff000 ->
	 * 0xffffffffff000, RW, accessed, memtype 0. PML5..PT all 511.
	 * PTE (29-7): 0xffffffffff000 | A 0x100 | W 0x2 | R 0x1.
	 */
	{ UINT64_C(0x01fffffffffff000),
	  KIB(4),
	  UINT64_C(0xffffffffff000),
	  { R | W, A, 0, 0 },
	  { 511, 511, 511, 511, 511 },
	  0,
	  UINT64_C(0x000ffffffffff103) },
	/*
	 * 2M at 0 -> 0x200000, RWX and user execute, dirty, memtype 6.
	 * PML5..PD all 0. PDE (29-5): 0x200000 | D 0x200 | XU 0x400 |
	 * PS 0x80 | 0x30 | X W R 0x7.
	 */
	{ 0,
	  MIB(2),
	  0x200000,
	  { R | W | X | U, D, 6, 0 },
	  { 0, 0, 0, 0 },
	  1,
	  UINT64_C(0x00000000002006b7) },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t read_entry(const struct ptk_mem_arena *a,
			   const struct ptk_fmt *f, uint64_t table,
			   uint64_t idx)
{
	unsigned int esz = 1u << f->entry_lg2;
	const unsigned char *p = ptk_mem_arena_ptr(a, table + esz * idx);
	uint64_t e = 0;

	PTK_ASSERT(p != NULL);
	memcpy(&e, p, esz); /* little-endian host, as the tables are */
	return e;
}

static void write_entry(struct ptk_mem_arena *a, const struct ptk_fmt *f,
			uint64_t table, uint64_t idx, uint64_t e)
{
	unsigned int esz = 1u << f->entry_lg2;
	unsigned char *p = ptk_mem_arena_ptr(a, table + esz * idx);

	PTK_ASSERT(p != NULL);
	memcpy(p, &e, esz);
}

struct seen_table {
	uint64_t oa;
	unsigned int level;
	bool used[1024];
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
	PTK_ASSERT(*n < 32);
	memset(&s[*n], 0, sizeof(s[*n]));
	s[*n].oa = oa;
	s[*n].level = level;
	return &s[(*n)++];
}

/*
 * Map every golden entry, then walk the raw tables by hand: every table
 * link must carry exactly the format's table flags, every leaf must be
 * the literal, and nothing else may be set anywhere.
 */
static void run(const struct layout *ly, const struct golden *gs, size_t n,
		unsigned int table_flags)
{
	static struct seen_table tables[32];
	const struct ptk_fmt *f = ly->f;
	unsigned int ntables = 0, i, j;
	struct ptk_mem_arena a;
	struct ptk_table t;
	size_t k;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, f, &a.mem, table_flags));

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
			e = read_entry(&a, f, table, g->idx[d]);
			if (level == g->level)
				break;
			if ((e & ~ly->addr_mask) != ly->table_flags[level])
				PTK_FAIL("%s va 0x%" PRIx64 " level %u entry "
					 "0x%" PRIx64 ": flags 0x%" PRIx64
					 ", want 0x%" PRIx64,
					 f->name, g->va, level, e,
					 e & ~ly->addr_mask,
					 ly->table_flags[level]);
			table = e & ly->addr_mask;
			if (table < ARENA_BASE ||
			    table >= ARENA_BASE + ARENA_SIZE) {
				PTK_FAIL("%s va 0x%" PRIx64 " level %u: table "
					 "0x%" PRIx64 " outside the arena",
					 f->name, g->va, level, table);
				break;
			}
		}
		if (e != g->pte)
			PTK_FAIL("%s va 0x%" PRIx64 " level %u leaf "
				 "0x%016" PRIx64 ", want "
				 "0x%"
				 "01"
				 "6" PRIx64,
				 f->name, g->va, level, e, g->pte);

		/* translate and decode agree with the literal */
		PTK_EXPECT_OK(ptk_translate(&t, g->va + 0x123, &x));
		PTK_EXPECT_EQ(x.pte, g->pte);
		PTK_EXPECT_EQ(x.level, g->level);
		PTK_EXPECT_EQ(x.oa, g->oa + 0x123);
		PTK_EXPECT_EQ(x.size_lg2, f->level_shift[g->level]);
		PTK_EXPECT_OK(ptk_leaf_attrs(&got, &t, g->level, g->pte));
		PTK_EXPECT_EQ(got.prot, g->attrs.prot);
		PTK_EXPECT_EQ(got.flags, g->attrs.flags);
		PTK_EXPECT_EQ(got.memtype, g->attrs.memtype);
		PTK_EXPECT_EQ(got.sw, g->attrs.sw);
	}

	/* Nothing else is set in any table, and no table is left over. */
	for (i = 0; i < ntables; i++)
		for (j = 0; j < (1u << f->level_bits[tables[i].level]); j++)
			if (!tables[i].used[j] &&
			    read_entry(&a, f, tables[i].oa, j))
				PTK_FAIL("%s level %u table 0x%" PRIx64
					 " entry %u is 0x%" PRIx64 ", want 0",
					 f->name, tables[i].level, tables[i].oa,
					 j, read_entry(&a, f, tables[i].oa, j));
	PTK_EXPECT_EQ(a.stats.live, ntables);
	PTK_EXPECT_OK(ptk_table_check(NULL, &t));

	/* Unmapping everything clears the root and frees all tables. */
	for (k = 0; k < n; k++)
		PTK_EXPECT_OK(ptk_unmap(&t, gs[k].va, gs[k].len, 0, NULL));
	for (j = 0; j < (1u << f->level_bits[f->levels - 1]); j++)
		PTK_EXPECT_EQ(read_entry(&a, f, ptk_table_root(&t), j), 0);
	PTK_EXPECT_EQ(a.stats.live, 1);
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

PTK_TEST(golden_x86_32)
{
	run(&lay_32, golden_32, N(golden_32), 0);
	run(&lay_32, golden_32, N(golden_32), PTK_TABLE_GENERIC);
}

PTK_TEST(golden_x86_pae)
{
	run(&lay_pae, golden_pae, N(golden_pae), 0);
	run(&lay_pae, golden_pae, N(golden_pae), PTK_TABLE_GENERIC);
}

PTK_TEST(golden_x86_ept)
{
	run(&lay_ept, golden_ept, N(golden_ept), 0);
	run(&lay_ept, golden_ept, N(golden_ept), PTK_TABLE_GENERIC);
}

PTK_TEST(golden_x86_ept_5)
{
	run(&lay_ept5, golden_ept5, N(golden_ept5), 0);
	run(&lay_ept5, golden_ept5, N(golden_ept5), PTK_TABLE_GENERIC);
}

/* Geometry and page sizes, as `ptkit formats` prints them. */
PTK_TEST(geometry)
{
	static const struct {
		const struct ptk_fmt *f;
		const char *name;
		unsigned int levels, entry_lg2, va_bits, oa_bits;
		uint8_t shift[5], bits[5];
		uint32_t leaf_levels;
		uint64_t sizes;
		const char *names[5];
	} want[] = {
		{ &ptk_fmt_x86_32,
		  "x86_32",
		  2,
		  2,
		  32,
		  40, /* PSE-36; 4K leaves and tables: 32 (below) */
		  { 12, 22 },
		  { 10, 10 },
		  0x3,
		  KIB(4) | MIB(4),
		  { "PT", "PD" } },
		{ &ptk_fmt_x86_pae,
		  "x86_pae",
		  3,
		  3,
		  32,
		  52,
		  { 12, 21, 30 },
		  { 9, 9, 2 },
		  0x3,
		  KIB(4) | MIB(2),
		  { "PT", "PD", "PDPT" } },
		{ &ptk_fmt_x86_ept,
		  "x86_ept",
		  4,
		  3,
		  48,
		  52,
		  { 12, 21, 30, 39 },
		  { 9, 9, 9, 9 },
		  0x7,
		  KIB(4) | MIB(2) | GIB(1),
		  { "PT", "PD", "PDPT", "PML4" } },
		{ &ptk_fmt_x86_ept_5,
		  "x86_ept_5",
		  5,
		  3,
		  57,
		  52,
		  { 12, 21, 30, 39, 48 },
		  { 9, 9, 9, 9, 9 },
		  0x7,
		  KIB(4) | MIB(2) | GIB(1),
		  { "PT", "PD", "PDPT", "PML4", "PML5" } },
	};
	static const char *const order[] = { "x86_32",	"x86_pae",
					     "x86_64",	"x86_64_la57",
					     "x86_ept", "x86_ept_5" };
	size_t i, k;
	unsigned int l;

	for (i = 0; i < N(want); i++) {
		const struct ptk_fmt *f = want[i].f;

		PTK_EXPECT_OK(ptk_fmt_check(f));
		PTK_EXPECT(ptk_fmt_lookup(want[i].name) == f);
		PTK_EXPECT_STREQ(f->name, want[i].name);
		PTK_EXPECT_EQ(f->levels, want[i].levels);
		PTK_EXPECT_EQ(f->entry_lg2, want[i].entry_lg2);
		PTK_EXPECT_EQ(f->va_bits, want[i].va_bits);
		PTK_EXPECT_EQ(f->oa_bits, want[i].oa_bits);
		if (f == &ptk_fmt_x86_32) {
			/* SDM 4.3, Tables 4-5/4-6: a PTE and a PDE pointing
			 * to a table hold address bits 31:12 only. */
			PTK_EXPECT_EQ(f->leaf_oa_bits[0], 32);
			PTK_EXPECT_EQ(f->leaf_oa_bits[1], 40);
			PTK_EXPECT_EQ(f->table_oa_bits, 32);
		}
		PTK_EXPECT_EQ(f->leaf_levels, want[i].leaf_levels);
		PTK_EXPECT_EQ(f->features, PTK_FMT_PROT_SEPARATE);
		PTK_EXPECT_EQ(ptk_fmt_page_sizes(f), want[i].sizes);
		for (l = 0; l < f->levels; l++) {
			PTK_EXPECT_EQ(f->level_shift[l], want[i].shift[l]);
			PTK_EXPECT_EQ(f->level_bits[l], want[i].bits[l]);
			PTK_EXPECT_EQ(f->contig_lg2[l], 0);
			PTK_EXPECT_STREQ(ptk_fmt_level_name(f, l),
					 want[i].names[l]);
		}
		/* No sign extension: the top of the space, then outside. */
		PTK_EXPECT(
			ptk_fmt_va_valid(f, (UINT64_C(1) << f->va_bits) - 1));
		PTK_EXPECT(!ptk_fmt_va_valid(f, UINT64_C(1) << f->va_bits));
		PTK_EXPECT(!ptk_fmt_va_valid(f, ~UINT64_C(0)));
	}
	/* The registry lists the x86 formats in this order. */
	for (i = 0; i + N(order) <= ptk_fmt_count(); i++)
		if (!strcmp(ptk_fmt_get(i)->name, order[0]))
			break;
	for (k = 0; k < N(order); k++) {
		const struct ptk_fmt *f = ptk_fmt_get(i + k);

		PTK_EXPECT(f != NULL);
		if (f)
			PTK_EXPECT_STREQ(f->name, order[k]);
	}
}

/* The PAE root is four 8-byte PDPTEs: a 32-byte table. */
PTK_TEST(pae_root_is_32_bytes)
{
	struct ptk_mem_arena a;
	struct ptk_table t;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_pae, &a.mem, 0));
	/* 4 entries (SDM 4.4.1: CR3 bits 31:5 locate it, 32-byte aligned);
	 * ptkit allocates every root at least 64 bytes. */
	PTK_EXPECT_EQ(ptk_fmt_x86_pae.level_bits[2], 2);
	PTK_EXPECT_EQ(a.stats.live_bytes, 64);
	PTK_EXPECT_EQ(ptk_table_root(&t) & 0x1f, 0);
	/* VA 0xc0000000 is PDPTE 3, the last; nothing lies above 4 GiB. */
	PTK_EXPECT_OK(
		ptk_map(&t, 0xffe00000, MIB(2), 0, ATTRS(R, 0, 0, 0), 0, NULL));
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_pae, ptk_table_root(&t), 3) &
			      ~lay_pae.addr_mask,
		      0x1);
	PTK_EXPECT_RC(ptk_map(&t, UINT64_C(0x100000000), KIB(4), 0,
			      ATTRS(R, 0, 0, 0), 0, NULL),
		      PTK_ERANGE);
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

/*
 * A split moves PAT: 4M (x86_32) or 2M (PAE) leaf with memtype 4 (PAT in
 * bit 12, Tables 4-4 / 4-9), then one 4K page replaced; the other PTEs
 * carry PAT in bit 7 (Tables 4-6 / 4-11) and lose PS.
 */
PTK_TEST(split_moves_pat)
{
	const struct ptk_attrs big32 = { R | W | X | U, 0, 4, 0 };
	const struct ptk_attrs bigpae = { R | W | U, 0, 4, 0 };
	const struct ptk_attrs small = { R | X, 0, 0, 0 };
	struct ptk_mem_arena a;
	struct ptk_table t;
	uint64_t pd, pt, e;

	/* x86_32: 4M at 0x400000 -> 0x800000, PD 1. */
	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_32, &a.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, MIB(4), MIB(4), MIB(8), &big32, 0, NULL));
	pd = ptk_table_root(&t);
	/* PDE (4-4): 0x800000 | PAT 0x1000 | PS 0x80 | U/S | R/W | P */
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_32, pd, 1), 0x00801087);
	PTK_ASSERT_OK(ptk_map(&t, MIB(4) + KIB(4), KIB(4), 0x7000, &small,
			      PTK_MAP_REPLACE, NULL));
	e = read_entry(&a, &ptk_fmt_x86_32, pd, 1);
	PTK_EXPECT_EQ(e & 0xfff, 0x7);
	pt = e & lay_32.addr_mask;
	/* PTE 0 (4-6): 0x800000 | PAT 0x80 | U/S | R/W | P */
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_32, pt, 0), 0x00800087);
	/* PTE 1: the replacement, 0x7000 | P */
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_32, pt, 1), 0x00007001);
	/* PTE 1023: 0xbff000 | PAT | U/S | R/W | P */
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_32, pt, 1023), 0x00bff087);
	PTK_EXPECT_OK(ptk_table_check(NULL, &t));
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);

	/* PAE: 2M at 0x40000000 -> 0x80000000, PDPT 1, PD 0. */
	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_pae, &a.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, GIB(1), MIB(2), GIB(2), &bigpae, 0, NULL));
	pd = read_entry(&a, &ptk_fmt_x86_pae, ptk_table_root(&t), 1) &
	     lay_pae.addr_mask;
	/* PDE (4-9): XD | 0x80000000 | PAT 0x1000 | PS | U/S | R/W | P */
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_pae, pd, 0),
		      UINT64_C(0x8000000080001087));
	PTK_ASSERT_OK(ptk_map(&t, GIB(1) + KIB(4), KIB(4), 0x7000, &small,
			      PTK_MAP_REPLACE, NULL));
	e = read_entry(&a, &ptk_fmt_x86_pae, pd, 0);
	PTK_EXPECT_EQ(e & ~lay_pae.addr_mask, 0x7);
	pt = e & lay_pae.addr_mask;
	/* PTE 0 (4-11): XD | 0x80000000 | PAT 0x80 | U/S | R/W | P */
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_pae, pt, 0),
		      UINT64_C(0x8000000080000087));
	/* PTE 1: 0x7000 | P (executable: no XD) */
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_pae, pt, 1),
		      UINT64_C(0x0000000000007001));
	/* PTE 511: XD | 0x801ff000 | PAT | U/S | R/W | P */
	PTK_EXPECT_EQ(read_entry(&a, &ptk_fmt_x86_pae, pt, 511),
		      UINT64_C(0x80000000801ff087));
	PTK_EXPECT_OK(ptk_table_check(NULL, &t));
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

/* A hand-written table in an arena whose bytes the test writes. */
struct hand {
	struct ptk_mem_arena a;
	struct ptk_table t;
	const struct ptk_fmt *f;
};

static void hand_init(struct hand *h, const struct ptk_fmt *f)
{
	h->f = f;
	PTK_ASSERT_OK(ptk_mem_arena_create(&h->a, ARENA_BASE, ARENA_SIZE));
}

static void hand_attach(struct hand *h, uint64_t root)
{
	PTK_ASSERT_OK(ptk_table_attach(&h->t, h->f, &h->a.mem, root, 0));
}

static void hand_fini(struct hand *h)
{
	ptk_table_destroy(&h->t);
	ptk_mem_arena_destroy(&h->a);
}

/*
 * @pte at @level must be refused by classify, by a translation of @va
 * through it, and by the checker; the entry is restored afterwards.
 */
static void expect_invalid(struct hand *h, uint64_t table, uint64_t idx,
			   unsigned int level, uint64_t pte, uint64_t va)
{
	uint64_t old = read_entry(&h->a, h->f, table, idx);
	struct ptk_xlate x;

	PTK_EXPECT_EQ(h->f->hooks->classify(h->f, level, pte),
		      PTK_ENTRY_INVALID);
	write_entry(&h->a, h->f, table, idx, pte);
	PTK_EXPECT_RC(ptk_translate(&h->t, va, &x), PTK_ECORRUPT);
	PTK_EXPECT_RC(ptk_table_check(NULL, &h->t), PTK_ECORRUPT);
	write_entry(&h->a, h->f, table, idx, old);
}

/*
 * x86_32: PSE-36 (Table 4-4, M = 40). PD at 0x200000, PT at 0x201000.
 */
PTK_TEST(x86_32_pse36_and_invalid)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_32;
	const uint64_t pd = ARENA_BASE, pt = ARENA_BASE + 0x1000;
	struct ptk_attrs at;
	struct ptk_xlate x;
	struct hand h;
	ptk_pte_t bits;

	/*
	 * make_leaf puts PA 39:32 in bits 20:13: 0x1234c00000 -> 31:22 =
	 * 0x34c00000, 0x12 << 13 = 0x24000; with P | PS (encode of
	 * R|X at level 1 gives 0x81): 0x34c24081.
	 */
	PTK_ASSERT_OK(f->hooks->encode(f, 1, ATTRS(R | X, 0, 0, 0), 0, &bits));
	PTK_EXPECT_EQ(bits, 0x81);
	PTK_EXPECT_EQ(f->hooks->make_leaf(f, 1, UINT64_C(0x1234c00000), bits),
		      0x34c24081);
	PTK_EXPECT_EQ(f->hooks->classify(f, 1, 0x34c24081), PTK_ENTRY_LEAF);
	PTK_EXPECT_EQ(f->hooks->leaf_oa(f, 1, 0x34c24081),
		      UINT64_C(0x1234c00000));

	hand_init(&h, f);
	hand_attach(&h, pd);
	/* PD 3 (VA 0xc00000): the 4M page at PA 0x1234c00000. */
	write_entry(&h.a, f, pd, 3, 0x34c24081);
	PTK_EXPECT_OK(ptk_translate(&h.t, 0x00c12345, &x));
	PTK_EXPECT_EQ(x.oa, UINT64_C(0x1234c12345));
	PTK_EXPECT_EQ(x.level, 1);
	PTK_EXPECT_EQ(x.size_lg2, 22);
	PTK_EXPECT_OK(ptk_leaf_attrs(&at, &h.t, 1, x.pte));
	PTK_EXPECT_EQ(at.prot, R | X);
	/*
	 * PD 4 (VA 0x1000000): the highest 4M frame, PA 0xffffc00000:
	 * 0xffc00000 | 0xff << 13 = 0x1fe000 | PS | P = 0xffdfe081.
	 */
	write_entry(&h.a, f, pd, 4, 0xffdfe081);
	PTK_EXPECT_OK(ptk_translate(&h.t, 0x013fffff, &x));
	PTK_EXPECT_EQ(x.oa, UINT64_C(0xffffffffff));
	PTK_EXPECT_OK(ptk_table_check(NULL, &h.t));
	/* PD 5 -> PT at 0x201000 (Table 4-5: 0x201000 | 0x7); PTE 7. */
	write_entry(&h.a, f, pd, 5, pt | 0x7);
	write_entry(&h.a, f, pt, 7, 0xabcde001);
	PTK_EXPECT_OK(ptk_translate(&h.t, 0x01407abc, &x));
	PTK_EXPECT_EQ(x.oa, 0xabcdeabc);
	PTK_EXPECT_EQ(x.size_lg2, 12);

	/* Bit 21 of a 4M PDE is reserved (21:(M-19) with M = 40). */
	expect_invalid(&h, pd, 6, 1, 0x40200081, 0x01800000);
	/* Not a 32-bit entry (bits above 31 cannot be stored). */
	PTK_EXPECT_EQ(f->hooks->classify(f, 0, UINT64_C(0x100000001)),
		      PTK_ENTRY_INVALID);
	/* Not present: everything else is ignored. */
	PTK_EXPECT_EQ(f->hooks->classify(f, 1, 0xfffffffe), PTK_ENTRY_EMPTY);
	hand_fini(&h);
}

/*
 * x86_32 encoding limits: no execute-disable, no write-only, OA below
 * 4 GiB for ptk_map, 3 sw bits.
 */
PTK_TEST(x86_32_encode_limits)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_32;
	struct ptk_mem_arena a;
	struct ptk_table t;
	struct ptk_xlate x;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, f, &a.mem, 0));
	PTK_EXPECT_RC(ptk_map(&t, 0, KIB(4), 0, ATTRS(R | W, 0, 0, 0), 0, NULL),
		      PTK_EPROT);
	PTK_EXPECT_RC(ptk_map(&t, 0, KIB(4), 0, ATTRS(W | X, 0, 0, 0), 0, NULL),
		      PTK_EPROT);
	PTK_EXPECT_RC(ptk_map(&t, 0, KIB(4), 0, ATTRS(R | X, 0, 0, 8), 0, NULL),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_map(&t, 0, KIB(4), UINT64_C(0x100000000),
			      ATTRS(R | X, 0, 0, 0), 0, NULL),
		      PTK_ERANGE);
	/* The superset of R|W is R|W|X: PTE 0x1000 | R/W | P. */
	PTK_EXPECT_OK(ptk_map(&t, 0, KIB(4), 0x1000, ATTRS(R | W, 0, 0, 0),
			      PTK_MAP_SUPERSET, NULL));
	PTK_EXPECT_OK(ptk_translate(&t, 0, &x));
	PTK_EXPECT_EQ(x.pte, 0x1003);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);
}

/*
 * x86_pae: hand-written tables with the PDPT at a 32-byte (not 4K)
 * aligned address, as CR3 allows (section 4.4.1).
 */
PTK_TEST(x86_pae_invalid)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_pae;
	const uint64_t pdpt = ARENA_BASE + 0x20, pd = ARENA_BASE + 0x1000,
		       pt = ARENA_BASE + 0x2000;
	struct ptk_xlate x;
	struct hand h;

	hand_init(&h, f);
	hand_attach(&h, pdpt);
	/* PDPTE 1 -> PD (Table 4-8: address | P); PDE 2 -> PT (4-10). */
	write_entry(&h.a, f, pdpt, 1, pd | 0x1);
	write_entry(&h.a, f, pd, 2, pt | 0x7);
	write_entry(&h.a, f, pt, 3, UINT64_C(0x8000000123456001));
	PTK_EXPECT_OK(ptk_translate(&h.t, GIB(1) + MIB(4) + 0x3abc, &x));
	PTK_EXPECT_EQ(x.oa, UINT64_C(0x123456abc));
	PTK_EXPECT_EQ(x.level, 0);
	/* PDE 3: 2M leaf 0x40000000 (4-9): XD | PS | P. */
	write_entry(&h.a, f, pd, 3, UINT64_C(0x8000000040000081));
	PTK_EXPECT_OK(ptk_translate(&h.t, GIB(1) + MIB(6) + 0x12345, &x));
	PTK_EXPECT_EQ(x.oa, UINT64_C(0x40012345));
	PTK_EXPECT_EQ(x.size_lg2, 21);
	PTK_EXPECT_OK(ptk_table_check(NULL, &h.t));

	/* PS (bit 7) in a PDPTE is reserved (Table 4-8): no 1G pages. */
	expect_invalid(&h, pdpt, 0, 2, 0x81, 0);
	/* So are R/W (bit 1), U/S (2), D (6) and XD (63) there. */
	expect_invalid(&h, pdpt, 0, 2, pd | 0x3, 0);
	expect_invalid(&h, pdpt, 0, 2, pd | 0x5, 0);
	expect_invalid(&h, pdpt, 0, 2, pd | 0x41, 0);
	/* A (5) is reserved too, but tolerated: QEMU sets it (see
	 * x86_pae.h and the i386-pae ground-truth fixture). */
	PTK_EXPECT_EQ(f->hooks->classify(f, 2, pd | 0x21), PTK_ENTRY_TABLE);
	expect_invalid(&h, pdpt, 0, 2, UINT64_C(0x8000000000000001) | pd, 0);
	/* Bits 62:52 of a PDPTE are reserved too (63:M, M = 52). */
	expect_invalid(&h, pdpt, 0, 2, UINT64_C(0x0010000000000001) | pd, 0);
	/* A 2M frame with bit 13 set is misaligned (20:13 reserved, 4-9). */
	expect_invalid(&h, pd, 4, 1, UINT64_C(0x0000000040002081),
		       GIB(1) + MIB(8));
	/* Bits 62:52 of a PDE or PTE are reserved (62:M). */
	expect_invalid(&h, pd, 4, 1, UINT64_C(0x4000000040000081),
		       GIB(1) + MIB(8));
	expect_invalid(&h, pt, 4, 0, UINT64_C(0x0010000000005001),
		       GIB(1) + MIB(4) + KIB(16));
	expect_invalid(&h, pd, 4, 1, UINT64_C(0x0010000000000007) | pt,
		       GIB(1) + MIB(8));
	/* PWT/PCD in a PDPTE are allowed (Table 4-8). */
	PTK_EXPECT_EQ(f->hooks->classify(f, 2, pd | 0x19), PTK_ENTRY_TABLE);
	hand_fini(&h);
}

/* x86_pae encoding limits. */
PTK_TEST(x86_pae_encode_limits)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_pae;
	ptk_pte_t bits;

	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(W, 0, 0, 0), 0, &bits),
		      PTK_EPROT);
	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(W, 0, 0, 0),
				       PTK_ENC_SUPERSET, &bits),
		      0);
	/* R/W | P | XD */
	PTK_EXPECT_EQ(bits, UINT64_C(0x8000000000000003));
	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(R, 0, 0, 8), 0, &bits),
		      PTK_EINVAL);
	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(R, 0, 8, 0), 0, &bits),
		      PTK_EINVAL);
}

/* EPT: hand-written tables, 4-level, all at the start of the arena. */
PTK_TEST(x86_ept_invalid)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_ept;
	const uint64_t pml4 = ARENA_BASE, pdpt = ARENA_BASE + 0x1000,
		       pd = ARENA_BASE + 0x2000, pt = ARENA_BASE + 0x3000;
	const uint64_t gpa_pt = 0x5000; /* PML4 0, PDPT 0, PD 0, PT 5 */
	struct ptk_xlate x;
	struct hand h;

	hand_init(&h, f);
	hand_attach(&h, pml4);
	/* Non-leaf entries: address | R W X (Tables 29-2, 29-4, 29-6);
	 * execute-only links (0x4) are valid too. */
	write_entry(&h.a, f, pml4, 0, pdpt | 0x7);
	write_entry(&h.a, f, pdpt, 0, pd | 0x4);
	write_entry(&h.a, f, pd, 0, pt | 0x407);
	/* PTE 5: 0x123456000 | WB 0x30 | R (Table 29-7) */
	write_entry(&h.a, f, pt, 5, UINT64_C(0x0000000123456031));
	PTK_EXPECT_OK(ptk_translate(&h.t, gpa_pt + 0xabc, &x));
	PTK_EXPECT_EQ(x.oa, UINT64_C(0x123456abc));
	/* PDE 1: a 2M leaf 0x80000000 | PS | WB | R W (Table 29-5). */
	write_entry(&h.a, f, pd, 1, UINT64_C(0x00000000800000b3));
	PTK_EXPECT_OK(ptk_translate(&h.t, MIB(2) + 0x1234, &x));
	PTK_EXPECT_EQ(x.oa, UINT64_C(0x80001234));
	PTK_EXPECT_OK(ptk_table_check(NULL, &h.t));

	/* W without R, at a leaf and at a link: misconfigured (29.3.3.1). */
	expect_invalid(&h, pt, 6, 0, 0x5032, 0x6000);
	expect_invalid(&h, pt, 6, 0, 0x5036, 0x6000);
	expect_invalid(&h, pdpt, 0, 2, pd | 0x2, 0x6000);
	/* Memory types 2, 3 and 7 are reserved. */
	expect_invalid(&h, pt, 6, 0, 0x5011, 0x6000); /* 2 << 3 | R */
	expect_invalid(&h, pt, 6, 0, 0x5019, 0x6000); /* 3 << 3 | R */
	expect_invalid(&h, pt, 6, 0, 0x5039, 0x6000); /* 7 << 3 | R */
	expect_invalid(&h, pd, 2, 1, 0x800000b9, MIB(4)); /* 2M, type 7 */
	/* A 2M frame with bit 12 set is misaligned (20:12 reserved). */
	expect_invalid(&h, pd, 2, 1, 0x800010b1, MIB(4));
	/* A 1G frame with bit 29 set (29:12 reserved, Table 29-3). */
	expect_invalid(&h, pdpt, 1, 2, 0xa00000b1, GIB(1));
	/* PS in a PML4E is reserved (bit 7, Table 29-2). */
	expect_invalid(&h, pml4, 1, 3, pdpt | 0x87, UINT64_C(1) << 39);
	/* Bits 6:3 of a non-leaf entry are reserved (Tables 29-4, 29-6). */
	expect_invalid(&h, pd, 2, 1, pt | 0x37, MIB(4));
	expect_invalid(&h, pd, 2, 1, pt | 0x47, MIB(4));
	/* Bits 2:0 clear: not present, whatever else is set (29.3.2). */
	write_entry(&h.a, f, pt, 6, UINT64_C(0xfff0000000005ff8));
	PTK_EXPECT_RC(ptk_translate(&h.t, 0x6000, &x), PTK_ENOENT);
	PTK_EXPECT_EQ(f->hooks->classify(f, 3, 0x400), PTK_ENTRY_EMPTY);
	write_entry(&h.a, f, pt, 6, 0);
	hand_fini(&h);
}

/* x86_ept encoding limits (see src/fmt/x86_ept.h). */
PTK_TEST(x86_ept_encode_limits)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_ept;
	struct ptk_mem_arena a;
	struct ptk_table t;
	struct ptk_xlate x;
	ptk_pte_t bits;
	uint32_t mt;

	/* Write-only: refused, or widened to R W: 0x3 | WB 0x30. */
	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(W, 0, 6, 0), 0, &bits),
		      PTK_EPROT);
	PTK_EXPECT_OK(f->hooks->encode(f, 0, ATTRS(W, 0, 6, 0),
				       PTK_ENC_SUPERSET, &bits));
	PTK_EXPECT_EQ(bits, 0x33);
	/* Nothing at all, or only user-execute: not present; widened
	 * with R. */
	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(0, 0, 0, 0), 0, &bits),
		      PTK_EPROT);
	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(U, 0, 0, 0), 0, &bits),
		      PTK_EPROT);
	PTK_EXPECT_OK(f->hooks->encode(f, 1, ATTRS(U, 0, 0, 0),
				       PTK_ENC_SUPERSET, &bits));
	PTK_EXPECT_EQ(bits, 0x481); /* XU | PS | R, memtype 0 */
	/* Global: refused, or dropped. */
	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(R, G, 0, 0), 0, &bits),
		      PTK_EPROT);
	PTK_EXPECT_OK(f->hooks->encode(f, 0, ATTRS(X, G, 0, 0),
				       PTK_ENC_SUPERSET, &bits));
	PTK_EXPECT_EQ(bits, 0x4);
	/* Memory types: 0, 1, 4, 5, 6 valid; 2, 3, 7 and above 7 not. */
	for (mt = 0; mt < 10; mt++) {
		int want = (mt == 2 || mt == 3 || mt >= 7) ? PTK_EINVAL : 0;

		PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(R, 0, mt, 0), 0,
					       &bits),
			      want);
		if (!want)
			PTK_EXPECT_EQ(bits, 1 | mt << 3);
	}
	PTK_EXPECT_RC(f->hooks->encode(f, 0, ATTRS(R, 0, 6, 1u << 14), 0,
				       &bits),
		      PTK_EINVAL);

	/* Through ptk_map: write-only fails, and nothing is allocated. */
	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, f, &a.mem, 0));
	PTK_EXPECT_RC(ptk_map(&t, 0, KIB(4), 0, ATTRS(W, 0, 6, 0), 0, NULL),
		      PTK_EPROT);
	PTK_EXPECT_RC(ptk_map(&t, 0, KIB(4), 0, ATTRS(R, 0, 2, 0), 0, NULL),
		      PTK_EINVAL);
	PTK_EXPECT_EQ(a.stats.live, 1);
	PTK_EXPECT_OK(ptk_map(&t, 0, KIB(4), 0x9000, ATTRS(W, 0, 6, 0),
			      PTK_MAP_SUPERSET, NULL));
	PTK_EXPECT_OK(ptk_translate(&t, 0, &x));
	PTK_EXPECT_EQ(x.pte, 0x9033);
	/* Above the 48-bit input space. */
	PTK_EXPECT_RC(ptk_map(&t, UINT64_C(1) << 48, KIB(4), 0,
			      ATTRS(R, 0, 6, 0), 0, NULL),
		      PTK_ERANGE);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);
}

/* 5-level EPT: a PML5E with PS is reserved; hand-written chain works. */
PTK_TEST(x86_ept_5_invalid)
{
	const struct ptk_fmt *f = &ptk_fmt_x86_ept_5;
	const uint64_t pml5 = ARENA_BASE, pml4 = ARENA_BASE + 0x1000,
		       pdpt = ARENA_BASE + 0x2000;
	const uint64_t gpa = UINT64_C(0x0001000000000000); /* PML5 1 */
	struct ptk_xlate x;
	struct hand h;

	hand_init(&h, f);
	hand_attach(&h, pml5);
	write_entry(&h.a, f, pml5, 1, pml4 | 0x7);
	write_entry(&h.a, f, pml4, 0, pdpt | 0x7);
	/* PDPTE 0: 1G leaf 0x40000000 | PS | WB | X R (Table 29-3) */
	write_entry(&h.a, f, pdpt, 0, UINT64_C(0x00000000400000b5));
	PTK_EXPECT_OK(ptk_translate(&h.t, gpa + 0x12345678, &x));
	PTK_EXPECT_EQ(x.oa, UINT64_C(0x52345678));
	PTK_EXPECT_EQ(x.size_lg2, 30);
	/* PS in a PML5E (Table 29-1) or PML4E (29-2) is reserved. */
	expect_invalid(&h, pml5, 2, 4, pml4 | 0x87, gpa * 2);
	expect_invalid(&h, pml4, 1, 3, pdpt | 0x87, gpa + (UINT64_C(1) << 39));
	/* The 57-bit input space ends at 2^57. */
	PTK_EXPECT_RC(ptk_translate(&h.t, UINT64_C(1) << 57, &x), PTK_ERANGE);
	hand_fini(&h);
}

static int count_run(ptk_va_t va, uint64_t len, unsigned int found, void *arg)
{
	uint64_t *n = arg;

	(void)va;
	n[0] += len;
	n[1] |= found;
	return 0;
}

/*
 * The range operations re-encode leaves through the same hooks: collapse
 * moves PAT from bit 7 to bit 12 (x86_32), protect rewrites only the
 * permission bits, harvest clears A/D, copy-on-write clears R/W on both
 * sides.
 */
PTK_TEST(range_ops_bits)
{
	const struct ptk_attrs rwxu4 = { R | W | X | U, 0, 4, 0 };
	const struct ptk_attrs ept = { R | W | X, A | D, 6, 0 };
	struct ptk_mem_arena a, b;
	struct ptk_table t, t2;
	struct ptk_xlate x;
	uint64_t seen[2] = { 0, 0 };

	/* x86_32: 1024 PTEs 0x800000.. | PAT | U/S | R/W | P, collapsed
	 * into PDE 1 = 0x800000 | PAT 0x1000 | PS | U/S | R/W | P. */
	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_32, &a.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, MIB(4), MIB(4), MIB(8), &rwxu4,
			      PTK_MAP_MAX_PAGE(12), NULL));
	PTK_EXPECT_OK(ptk_translate(&t, MIB(4), &x));
	PTK_EXPECT_EQ(x.pte, 0x00800087);
	PTK_EXPECT_OK(ptk_collapse(&t, MIB(4), 1, NULL));
	PTK_EXPECT_OK(ptk_translate(&t, MIB(4), &x));
	PTK_EXPECT_EQ(x.pte, 0x00801087);
	PTK_EXPECT_EQ(a.stats.live, 1);
	/* Read-only: R/W goes, nothing else changes. */
	PTK_EXPECT_OK(ptk_protect(&t, MIB(4), MIB(4), R | X | U, 0, NULL));
	PTK_EXPECT_OK(ptk_translate(&t, MIB(4), &x));
	PTK_EXPECT_EQ(x.pte, 0x00801085);
	/* No execute-disable in 32-bit paging. */
	PTK_EXPECT_RC(ptk_protect(&t, MIB(4), MIB(4), R | U, 0, NULL),
		      PTK_EPROT);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);

	/* EPT: PTE 0x5000 | D 0x200 | A 0x100 | WB 0x30 | X W R = 0x5337. */
	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_ept, &a.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, 0x1000, KIB(4), 0x5000, &ept, 0, NULL));
	PTK_EXPECT_OK(ptk_translate(&t, 0x1000, &x));
	PTK_EXPECT_EQ(x.pte, 0x5337);
	/* Execute-only: 0x5000 | D | A | WB | X = 0x5334. */
	PTK_EXPECT_OK(ptk_protect(&t, 0x1000, KIB(4), X, 0, NULL));
	PTK_EXPECT_OK(ptk_translate(&t, 0x1000, &x));
	PTK_EXPECT_EQ(x.pte, 0x5334);
	/* Write-only is a misconfiguration; widened it is R W: 0x5333. */
	PTK_EXPECT_RC(ptk_protect(&t, 0x1000, KIB(4), W, 0, NULL), PTK_EPROT);
	PTK_EXPECT_OK(
		ptk_protect(&t, 0x1000, KIB(4), W, PTK_PROTECT_SUPERSET, NULL));
	PTK_EXPECT_OK(ptk_translate(&t, 0x1000, &x));
	PTK_EXPECT_EQ(x.pte, 0x5333);
	/* Harvest A (bit 8) and D (bit 9), clearing them: 0x5033. */
	PTK_EXPECT_OK(ptk_harvest(&t, 0, MIB(2), A | D, PTK_HARVEST_CLEAR,
				  count_run, seen, NULL));
	PTK_EXPECT_EQ(seen[0], KIB(4));
	PTK_EXPECT_EQ(seen[1], A | D);
	PTK_EXPECT_OK(ptk_translate(&t, 0x1000, &x));
	PTK_EXPECT_EQ(x.pte, 0x5033);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);

	/* PAE fork: 2M PDE XD | 0x40000000 | PS | U/S | R/W | P on both
	 * sides loses R/W: 0x8000000040000085. */
	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_mem_arena_create(&b, ARENA_BASE, ARENA_SIZE));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_pae, &a.mem, 0));
	PTK_ASSERT_OK(ptk_table_create(&t2, &ptk_fmt_x86_pae, &b.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, GIB(3), MIB(2), GIB(1),
			      ATTRS(R | W | U, 0, 0, 0), 0, NULL));
	PTK_EXPECT_OK(ptk_copy(&t2, &t, GIB(3), MIB(2), PTK_COPY_COW, NULL));
	PTK_EXPECT_OK(ptk_translate(&t, GIB(3), &x));
	PTK_EXPECT_EQ(x.pte, UINT64_C(0x8000000040000085));
	PTK_EXPECT_OK(ptk_translate(&t2, GIB(3), &x));
	PTK_EXPECT_EQ(x.pte, UINT64_C(0x8000000040000085));
	/* The copy's PDPTE 3 holds P alone (Table 4-8). */
	PTK_EXPECT_EQ(read_entry(&b, &ptk_fmt_x86_pae, ptk_table_root(&t2), 3) &
			      ~lay_pae.addr_mask,
		      0x1);
	ptk_table_destroy(&t2);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&b);
	ptk_mem_arena_destroy(&a);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(range_ops_bits),
	PTK_TEST_ENTRY(golden_x86_32),
	PTK_TEST_ENTRY(golden_x86_pae),
	PTK_TEST_ENTRY(golden_x86_ept),
	PTK_TEST_ENTRY(golden_x86_ept_5),
	PTK_TEST_ENTRY(geometry),
	PTK_TEST_ENTRY(pae_root_is_32_bytes),
	PTK_TEST_ENTRY(split_moves_pat),
	PTK_TEST_ENTRY(x86_32_pse36_and_invalid),
	PTK_TEST_ENTRY(x86_32_encode_limits),
	PTK_TEST_ENTRY(x86_pae_invalid),
	PTK_TEST_ENTRY(x86_pae_encode_limits),
	PTK_TEST_ENTRY(x86_ept_invalid),
	PTK_TEST_ENTRY(x86_ept_encode_limits),
	PTK_TEST_ENTRY(x86_ept_5_invalid),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
