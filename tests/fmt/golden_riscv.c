// SPDX-License-Identifier: MIT
/*
 * Golden bytes for the RISC-V formats (riscv_sv32/39/48/57), derived by
 * hand from the RISC-V Privileged Architecture, document version 20240411:
 * ch. 10 (Supervisor-Level ISA 1.13) sections 10.3 Sv32, 10.4 Sv39,
 * 10.5 Sv48, 10.6 Sv57; ch. 11 Svnapot; ch. 12 Svpbmt. (v1.12/20211203:
 * 4.3-4.6, ch. 5, ch. 6.)
 *
 * The PTE rules used below (10.3.1, figure "Sv32 page table entry" and
 * 10.4, figure "Sv39 page table entry"):
 *   bit 0 V, 1 R, 2 W, 3 X, 4 U, 5 G, 6 A, 7 D, 9:8 RSW,
 *   PPN = PA >> 12 in bits 31:10 (Sv32: PPN[1] 31:20, PPN[0] 19:10) or
 *   53:10 (Sv39/48/57), so the PTE holds PA >> 2 above bit 9;
 *   Sv39+: 60:54 reserved, 62:61 PBMT (ch. 12: 0 PMA, 1 NC, 2 IO,
 *   3 reserved), 63 N (ch. 11: with ppn[0][3:0] = 1000, 64 KiB).
 * VA fields (10.3.1, 10.4-10.6): Sv32 VPN[i] = VA[21+10i:12+10i];
 * Sv39/48/57 VPN[i] = VA[20+9i:12+9i]; VA bits above the top VPN copy its
 * highest bit.
 *
 * Tables come from a fresh simulated arena at 0x80000000 per case; the
 * engine allocates them bottom level first, so a walk to level 0 puts the
 * level-0 table at 0x80001000, level 1 at 0x80002000, and so on. A
 * pointer to the table at T is (T >> 12) << 10 | V:
 *   0x80001000 -> PPN 0x80001 -> 0x20000400 | 1 = 0x20000401
 *   0x80002000 -> PPN 0x80002 -> 0x20000800 | 1 = 0x20000801
 *   0x80003000 -> PPN 0x80003 -> 0x20000c00 | 1 = 0x20000c01
 */
#include <string.h>

#include <ptkit.h>
#include <ptkit/range.h>

#include "harness/ptk_test.h"

#define BASE 0x80000000ull
#define ARENA (1ull << 20)

#define V 0x01ull
#define R 0x02ull
#define W 0x04ull
#define X 0x08ull
#define U 0x10ull
#define G 0x20ull
#define A 0x40ull
#define D 0x80ull

#define P_R PTK_PROT_READ
#define P_W PTK_PROT_WRITE
#define P_X PTK_PROT_EXEC
#define P_U PTK_PROT_USER
#define F_G PTK_ATTR_GLOBAL
#define F_A PTK_ATTR_ACCESSED
#define F_D PTK_ATTR_DIRTY

/* --- helpers */

static unsigned int vpn_bits(const struct ptk_fmt *f)
{
	return f->entry_lg2 == 2 ? 10 : 9; /* Sv32 : Sv39/48/57 */
}

/* VA.VPN[l] (10.3.1, 10.4-10.6). */
static uint64_t vpn(const struct ptk_fmt *f, uint64_t va, unsigned int l)
{
	unsigned int b = vpn_bits(f);

	return (va >> (12 + b * l)) & ((1ull << b) - 1);
}

static uint64_t rd(const struct ptk_mem_arena *a, const struct ptk_fmt *f,
		   uint64_t tbl, uint64_t i)
{
	const unsigned char *p = ptk_mem_arena_ptr(a, tbl);
	uint64_t e = 0;

	PTK_ASSERT(p != NULL);
	memcpy(&e, p + (i << f->entry_lg2), 1u << f->entry_lg2);
	return e;
}

static void wr(struct ptk_mem_arena *a, const struct ptk_fmt *f, uint64_t tbl,
	       uint64_t i, uint64_t e)
{
	unsigned char *p = ptk_mem_arena_ptr(a, tbl);

	PTK_ASSERT(p != NULL);
	memcpy(p + (i << f->entry_lg2), &e, 1u << f->entry_lg2);
}

/* The spec's a = pte.ppn x PAGESIZE (10.3.2 step 4). */
static uint64_t next_table(uint64_t pte)
{
	return ((pte >> 10) & ((1ull << 44) - 1)) << 12;
}

/*
 * One mapping in a fresh table, then the entries on its path: @want[0]
 * at the top level down to @want[top - leaf] at the leaf's level, the
 * last of them repeated @count times (a Svnapot group).
 */
struct golden {
	const char *what;
	const struct ptk_fmt *f;
	uint64_t va, len, oa;
	struct ptk_attrs attrs;
	unsigned int flags;
	unsigned int leaf_level;
	unsigned int count;
	uint64_t want[5];
	uint64_t probe_va, probe_oa;
	unsigned int probe_lg2;
};

struct ctx {
	struct ptk_mem_arena a;
	struct ptk_table t;
};

static void ctx_init(struct ctx *c, const struct ptk_fmt *f)
{
	PTK_ASSERT_OK(ptk_mem_arena_create(&c->a, BASE, ARENA));
	PTK_ASSERT_OK(ptk_table_create(&c->t, f, &c->a.mem, 0));
	PTK_ASSERT_EQ(ptk_table_root(&c->t), BASE);
}

static void ctx_fini(struct ctx *c)
{
	PTK_EXPECT_OK(ptk_table_check(NULL, &c->t));
	ptk_table_destroy(&c->t);
	PTK_EXPECT_EQ(c->a.stats.live, 0);
	ptk_mem_arena_destroy(&c->a);
}

/* The leaf-level table on @g's path, checking every entry on the way. */
static uint64_t check_path(struct ctx *c, const struct golden *g)
{
	const struct ptk_fmt *f = g->f;
	uint64_t tbl = BASE;
	unsigned int l, k;

	for (l = f->levels - 1u, k = 0;; l--, k++) {
		uint64_t e = rd(&c->a, f, tbl, vpn(f, g->va, l));

		if (e != g->want[k])
			PTK_FAIL("%s: %s level %u index 0x%llx: 0x%llx, want "
				 "0x%llx",
				 g->what, f->name, l,
				 (unsigned long long)vpn(f, g->va, l),
				 (unsigned long long)e,
				 (unsigned long long)g->want[k]);
		if (l == g->leaf_level)
			return tbl;
		tbl = next_table(e);
	}
}

static void run_golden(const struct golden *g)
{
	const struct ptk_fmt *f = g->f;
	struct ptk_xlate x;
	struct ptk_attrs back;
	struct ctx c;
	uint64_t tbl, i0, j;

	ctx_init(&c, f);
	PTK_ASSERT_OK(
		ptk_map(&c.t, g->va, g->len, g->oa, &g->attrs, g->flags, NULL));
	tbl = check_path(&c, g);
	i0 = vpn(f, g->va, g->leaf_level);
	for (j = 1; j < g->count; j++)
		PTK_EXPECT_EQ(rd(&c.a, f, tbl, i0 + j),
			      g->want[f->levels - 1u - g->leaf_level]);
	/* Nothing else in the leaf table (the range is exactly the group). */
	PTK_EXPECT_EQ(rd(&c.a, f, tbl, i0 + g->count), 0);
	PTK_ASSERT_OK(ptk_translate(&c.t, g->probe_va, &x));
	PTK_EXPECT_EQ(x.oa, g->probe_oa);
	PTK_EXPECT_EQ(x.level, g->leaf_level);
	PTK_EXPECT_EQ(x.size_lg2, g->probe_lg2);
	PTK_EXPECT_EQ(x.pte, g->want[f->levels - 1u - g->leaf_level]);
	PTK_EXPECT_OK(ptk_leaf_attrs(&back, &c.t, x.level, x.pte));
	if (!(g->flags & PTK_MAP_SUPERSET))
		PTK_EXPECT_EQ(back.prot, g->attrs.prot);
	PTK_EXPECT_EQ(back.flags, g->attrs.flags);
	PTK_EXPECT_EQ(back.memtype, g->attrs.memtype);
	PTK_EXPECT_EQ(back.sw, g->attrs.sw);
	ctx_fini(&c);
}

/* --- mappings built by ptk_map, per format and level */

static const struct golden sv32_cases[] = {
	/* 10.3: VA 0x00403000: VPN[1] = 1, VPN[0] = 3; 34-bit PA
	 * 0x3_0000_5000: PPN 0x300005 << 10 = 0xc0001400 (PPN[1] = 0xc00
	 * in 31:20 holds PA 33:22), | D A W R V (0xc7). */
	{ "sv32 4K leaf, 34-bit PA",
	  &ptk_fmt_riscv_sv32,
	  0x00403000,
	  0x1000,
	  0x300005000ull,
	  { P_R | P_W, F_A | F_D, 0, 0 },
	  0,
	  0,
	  1,
	  { 0x20000401, 0xc00014c7 },
	  0x00403abc,
	  0x300005abcull,
	  12 },
	/* 10.3.1 megapage: VA 0x00800000: VPN[1] = 2; PA 0x3_0040_0000:
	 * PPN 0x300400 (PPN[0] = 0: aligned) << 10 = 0xc0100000, RSW = 3
	 * (0x300), G U X R V A (0x7b). */
	{ "sv32 4M leaf, RSW",
	  &ptk_fmt_riscv_sv32,
	  0x00800000,
	  0x400000,
	  0x300400000ull,
	  { P_R | P_X | P_U, F_G | F_A, 0, 3 },
	  0,
	  1,
	  1,
	  { 0xc010037b },
	  0x00912345,
	  0x300512345ull,
	  22 },
};

static const struct golden sv39_cases[] = {
	/* 10.4: VA 0x40403000: VPN[2] = 1, VPN[1] = 2, VPN[0] = 3; PA
	 * 0x1_2345_6000: PPN 0x123456 << 10 = 0x48d15800 | D A W R V. */
	{ "sv39 4K leaf",
	  &ptk_fmt_riscv_sv39,
	  0x40403000,
	  0x1000,
	  0x123456000ull,
	  { P_R | P_W, F_A | F_D, 0, 0 },
	  0,
	  0,
	  1,
	  { 0x20000801, 0x20000401, 0x48d158c7 },
	  0x40403123,
	  0x123456123ull,
	  12 },
	/* ch. 11: 64 KiB at VA 0x40410000 (VPN[0] 0x10-0x1f), PA 0x8765_0000:
	 * ppn 0x87650 with ppn[0][3:0] = 1000 -> 0x87658 << 10 = 0x21d96000,
	 * | D A W R V, PBMT = NC (1 << 61), N (1 << 63); 16 copies. The walk
	 * replaces ppn[3:0] by vpn[0][3:0]: 0x4041fffc -> 0x8765fffc. */
	{ "sv39 Svnapot 64K, PBMT=NC",
	  &ptk_fmt_riscv_sv39,
	  0x40410000,
	  0x10000,
	  0x87650000ull,
	  { P_R | P_W, F_A | F_D, 1, 0 },
	  0,
	  0,
	  16,
	  { 0x20000801, 0x20000401, 0xa000000021d960c7ull },
	  0x4041fffc,
	  0x8765fffcull,
	  16 },
	/* 10.4 megapage: VA 0x40600000: VPN[2] = 1, VPN[1] = 3; PA
	 * 0x3_8020_0000: PPN 0x380200 (PPN[0] = 0) << 10 = 0xe0080000,
	 * | A G U X R V (0x7b). Only a level-1 table: at 0x80001000. */
	{ "sv39 2M leaf",
	  &ptk_fmt_riscv_sv39,
	  0x40600000,
	  0x200000,
	  0x380200000ull,
	  { P_R | P_X | P_U, F_G | F_A, 0, 0 },
	  0,
	  1,
	  1,
	  { 0x20000401, 0xe008007b },
	  0x406abcde,
	  0x3802abcdeull,
	  21 },
	/* 10.4 gigapage in the high half: VA 0xffffffc000000000 (bits 63:39
	 * = bit 38 = 1): VPN[2] = 0x100; PA 0xc000_0000: PPN 0xc0000 << 10 =
	 * 0x30000000, | D A G X W R V (0xef), RSW = 1 (0x100), PBMT = IO
	 * (2 << 61 = 0x4000000000000000). */
	{ "sv39 1G leaf, sign-extended VA, PBMT=IO, RSW",
	  &ptk_fmt_riscv_sv39,
	  0xffffffc000000000ull,
	  0x40000000,
	  0xc0000000ull,
	  { P_R | P_W | P_X, F_G | F_A | F_D, 2, 1 },
	  0,
	  2,
	  1,
	  { 0x40000000300001efull },
	  0xffffffc012345678ull,
	  0xd2345678ull,
	  30 },
	/* 10.3.1 table "Encoding of PTE R/W/X fields": W without R is
	 * reserved; the superset is R+W: PA 0x2000 -> PPN 2 << 10 = 0x800,
	 * | W R V. */
	{ "sv39 write-only widened to RW",
	  &ptk_fmt_riscv_sv39,
	  0x1000,
	  0x1000,
	  0x2000,
	  { P_W, 0, 0, 0 },
	  PTK_MAP_SUPERSET,
	  0,
	  1,
	  { 0x20000801, 0x20000401, 0x807 },
	  0x1008,
	  0x2008,
	  12 },
};

static const struct golden sv48_cases[] = {
	/* 10.5 terapage: VA 0x80_0000_0000: VPN[3] = 1; PA 3 x 512 GiB =
	 * 0x180_0000_0000: PPN 0x18000000 (PPN[2:0] = 0) << 10 =
	 * 0x60_0000_0000, | A R V (0x43). */
	{ "sv48 512G leaf",
	  &ptk_fmt_riscv_sv48,
	  0x8000000000ull,
	  0x8000000000ull,
	  0x18000000000ull,
	  { P_R, F_A, 0, 0 },
	  0,
	  3,
	  1,
	  { 0x0000006000000043ull },
	  0x8123456789ull,
	  0x18123456789ull,
	  39 },
	/* 10.5: VA 0xffff800000000000 (bits 63:48 = bit 47): VPN[3] = 0x100,
	 * VPN[2..0] = 0; PA 0x5000: PPN 5 << 10 = 0x1400 | D A W R V. Tables
	 * for levels 0, 1, 2 at 0x80001000, 0x80002000, 0x80003000. */
	{ "sv48 4K leaf, sign-extended VA",
	  &ptk_fmt_riscv_sv48,
	  0xffff800000000000ull,
	  0x1000,
	  0x5000,
	  { P_R | P_W, F_A | F_D, 0, 0 },
	  0,
	  0,
	  1,
	  { 0x20000c01, 0x20000801, 0x20000401, 0x14c7 },
	  0xffff800000000ff0ull,
	  0x5ff0,
	  12 },
};

static const struct golden sv57_cases[] = {
	/* 10.6 petapage: VA 1 << 48: VPN[4] = 1; PA 5 x 256 TiB =
	 * 0x5_0000_0000_0000: PPN 0x5000000000 (PPN[3:0] = 0) << 10 =
	 * 0x1_4000_0000_0000, | D A W R V, PBMT = NC (1 << 61). */
	{ "sv57 256T leaf, PBMT=NC",
	  &ptk_fmt_riscv_sv57,
	  0x1000000000000ull,
	  0x1000000000000ull,
	  0x5000000000000ull,
	  { P_R | P_W, F_A | F_D, 1, 0 },
	  0,
	  4,
	  1,
	  { 0x20014000000000c7ull },
	  0x1abcdef012345ull,
	  0x5abcdef012345ull,
	  48 },
	/* 10.6: VA 0xff00000000000000 (bits 63:57 = bit 56): VPN[4] = 0x100;
	 * a megapage at PA 0x20_0000: PPN 0x200 << 10 = 0x80000 | X R V.
	 * Tables for levels 1, 2, 3 at 0x80001000, 0x80002000, 0x80003000. */
	{ "sv57 2M leaf, sign-extended VA",
	  &ptk_fmt_riscv_sv57,
	  0xff00000000000000ull,
	  0x200000,
	  0x200000,
	  { P_R | P_X, 0, 0, 0 },
	  0,
	  1,
	  1,
	  { 0x20000c01, 0x20000801, 0x20000401, 0x8000b },
	  0xff00000000123456ull,
	  0x323456,
	  21 },
};

#define RUN_ALL(arr)                                                  \
	do {                                                          \
		size_t i_;                                            \
		for (i_ = 0; i_ < sizeof(arr) / sizeof(arr[0]); i_++) \
			run_golden(&arr[i_]);                         \
	} while (0)

PTK_TEST(sv32_map)
{
	RUN_ALL(sv32_cases);
}

PTK_TEST(sv39_map)
{
	RUN_ALL(sv39_cases);
}

PTK_TEST(sv48_map)
{
	RUN_ALL(sv48_cases);
}

PTK_TEST(sv57_map)
{
	RUN_ALL(sv57_cases);
}

/* --- Svnapot groups: splitting, capping, the checker */

/*
 * Cutting one page out of a 64 KiB group rewrites the other 15 as plain
 * 4 KiB leaves (N = 0, ppn = group ppn + k): entry 0x11 maps PA
 * 0x8765_1000: PPN 0x87651 << 10 = 0x21d94400 | PBMT NC | D A W R V;
 * entry 0x1f: 0x8765f << 10 = 0x21d97c00.
 */
PTK_TEST(sv39_napot_split)
{
	const struct golden *g = &sv39_cases[1];
	const struct ptk_fmt *f = g->f;
	struct ptk_xlate x;
	struct ctx c;
	uint64_t l0 = BASE + 0x1000, k;

	ctx_init(&c, f);
	PTK_ASSERT_OK(ptk_map(&c.t, g->va, g->len, g->oa, &g->attrs, 0, NULL));
	PTK_EXPECT_RC(ptk_unmap(&c.t, g->va, 0x1000, 0, NULL), PTK_ESPLIT);
	PTK_EXPECT_EQ(rd(&c.a, f, l0, 0x10), 0xa000000021d960c7ull);
	PTK_ASSERT_OK(ptk_unmap(&c.t, g->va, 0x1000, PTK_UNMAP_SPLIT, NULL));
	PTK_EXPECT_EQ(rd(&c.a, f, l0, 0x10), 0);
	PTK_EXPECT_EQ(rd(&c.a, f, l0, 0x11), 0x2000000021d944c7ull);
	PTK_EXPECT_EQ(rd(&c.a, f, l0, 0x1f), 0x2000000021d97cc7ull);
	for (k = 0x11; k < 0x20; k++)
		PTK_EXPECT_EQ(rd(&c.a, f, l0, k),
			      0x2000000021d944c7ull + ((k - 0x11) << 10));
	PTK_ASSERT_OK(ptk_translate(&c.t, 0x4041fffc, &x));
	PTK_EXPECT_EQ(x.oa, 0x8765fffc);
	PTK_EXPECT_EQ(x.size_lg2, 12);
	PTK_EXPECT_RC(ptk_translate(&c.t, 0x40410000, NULL), PTK_ENOENT);
	ctx_fini(&c);
}

/* With the page size capped at 4 KiB the same range is 16 plain leaves:
 * entry 0x10 = 0x87650 << 10 = 0x21d94000 | NC | D A W R V. */
PTK_TEST(sv39_napot_capped)
{
	const struct golden *g = &sv39_cases[1];
	const struct ptk_fmt *f = g->f;
	struct ctx c;
	uint64_t l0 = BASE + 0x1000, k;

	ctx_init(&c, f);
	PTK_ASSERT_OK(ptk_map(&c.t, g->va, g->len, g->oa, &g->attrs,
			      PTK_MAP_MAX_PAGE(12), NULL));
	for (k = 0; k < 16; k++)
		PTK_EXPECT_EQ(rd(&c.a, f, l0, 0x10 + k),
			      0x2000000021d940c7ull + (k << 10));
	ctx_fini(&c);
}

/* A group with one entry changed is no longer a group: the checker says
 * so (ch. 11: entries of one range share bits 5-0 and the PPN). */
PTK_TEST(sv39_napot_broken_group)
{
	const struct golden *g = &sv39_cases[1];
	const struct ptk_fmt *f = g->f;
	struct ptk_check chk;
	struct ctx c;
	uint64_t l0 = BASE + 0x1000;

	ctx_init(&c, f);
	PTK_ASSERT_OK(ptk_map(&c.t, g->va, g->len, g->oa, &g->attrs, 0, NULL));
	PTK_ASSERT_OK(ptk_table_check(&chk, &c.t));
	PTK_EXPECT_EQ(chk.leaves[0], 16);
	/* Entry 0x15 gains U (bit 4): a valid NAPOT PTE on its own, but the
	 * group's entries must agree in bits 5-0. (A and D may differ: the
	 * hardware updates only the alias it walked; see ch. 11's note.) */
	wr(&c.a, f, l0, 0x15, 0xa000000021d960d7ull);
	memset(&chk, 0, sizeof(chk));
	PTK_EXPECT_RC(ptk_table_check(&chk, &c.t), PTK_ECORRUPT);
	PTK_EXPECT_EQ(chk.bad_level, 0);
	wr(&c.a, f, l0, 0x15, 0xa000000021d960c7ull);
	ctx_fini(&c);
}

struct harvested {
	unsigned int n;
	uint64_t va, len;
	unsigned int found;
};

static int harvest_fn(ptk_va_t va, uint64_t len, unsigned int found, void *arg)
{
	struct harvested *h = arg;

	if (!h->n++) {
		h->va = va;
		h->len = len;
		h->found = found;
	}
	return 0;
}

/*
 * ch. 11 note: the hardware may set A/D in any one alias of a NAPOT
 * range, and software must query (and clear) all 16. Entry 0x17 gets D
 * as a store would set it; harvesting reports the whole 64 KiB dirty and
 * clearing leaves all 16 entries at 0x87658 << 10 | N | NC | A W R V.
 */
PTK_TEST(sv39_napot_harvest)
{
	static const struct ptk_attrs rwa = { P_R | P_W, F_A, 1, 0 };
	const struct ptk_fmt *f = &ptk_fmt_riscv_sv39;
	struct harvested h = { 0, 0, 0, 0 };
	struct ctx c;
	uint64_t l0 = BASE + 0x1000, k;

	ctx_init(&c, f);
	PTK_ASSERT_OK(
		ptk_map(&c.t, 0x40410000, 0x10000, 0x87650000, &rwa, 0, NULL));
	PTK_EXPECT_EQ(rd(&c.a, f, l0, 0x17), 0xa000000021d96047ull);
	wr(&c.a, f, l0, 0x17, 0xa000000021d960c7ull);
	PTK_ASSERT_OK(ptk_harvest(&c.t, 0x40400000, 0x200000, PTK_ATTR_DIRTY,
				  PTK_HARVEST_CLEAR, harvest_fn, &h, NULL));
	PTK_EXPECT_EQ(h.n, 1);
	PTK_EXPECT_EQ(h.va, 0x40410000);
	PTK_EXPECT_EQ(h.len, 0x10000);
	PTK_EXPECT_EQ(h.found, PTK_ATTR_DIRTY);
	for (k = 0x10; k < 0x20; k++)
		PTK_EXPECT_EQ(rd(&c.a, f, l0, k), 0xa000000021d96047ull);
	ctx_fini(&c);
}

/*
 * The same group after a plain 4 KiB leaf (entry 0x0f) with the same
 * bits, D set in 0x0f and, as a store would set it, in alias 0x17: the
 * scan of plain leaves that starts at 0x0f must stop at the group and
 * leave it to the group rule, so one run [0x4040f000, 0x40420000) is
 * reported and every alias is cleared (a scan that took the aliases for
 * plain leaves reports 0x0f and 0x17 as two 4 KiB runs).
 */
PTK_TEST(sv39_napot_harvest_after_leaf)
{
	static const struct ptk_attrs rwa = { P_R | P_W, F_A, 1, 0 };
	const struct ptk_fmt *f = &ptk_fmt_riscv_sv39;
	struct harvested h = { 0, 0, 0, 0 };
	struct ctx c;
	uint64_t l0 = BASE + 0x1000, k, plain;

	ctx_init(&c, f);
	PTK_ASSERT_OK(
		ptk_map(&c.t, 0x40410000, 0x10000, 0x87650000, &rwa, 0, NULL));
	PTK_ASSERT_OK(
		ptk_map(&c.t, 0x4040f000, 0x1000, 0x8764f000, &rwa, 0, NULL));
	plain = rd(&c.a, f, l0, 0x0f);
	PTK_EXPECT_EQ(plain & 0x80, 0);
	PTK_EXPECT_EQ(plain >> 63, 0);
	wr(&c.a, f, l0, 0x0f, plain | 0x80);
	wr(&c.a, f, l0, 0x17, 0xa000000021d960c7ull);
	PTK_ASSERT_OK(ptk_harvest(&c.t, 0x40400000, 0x200000, PTK_ATTR_DIRTY,
				  PTK_HARVEST_CLEAR, harvest_fn, &h, NULL));
	PTK_EXPECT_EQ(h.n, 1);
	PTK_EXPECT_EQ(h.va, 0x4040f000);
	PTK_EXPECT_EQ(h.len, 0x11000);
	PTK_EXPECT_EQ(h.found, PTK_ATTR_DIRTY);
	PTK_EXPECT_EQ(rd(&c.a, f, l0, 0x0f), plain);
	for (k = 0x10; k < 0x20; k++)
		PTK_EXPECT_EQ(rd(&c.a, f, l0, k), 0xa000000021d96047ull);
	ctx_fini(&c);
}

/*
 * A NAPOT PTE's output address, from ch. 11 alone: the PTE holds
 * ppn[0][3:0] = 1000 (64 KiB) and N = bit 63; the group's PA is the PPN
 * with those four bits cleared, times 4 KiB, and the walk puts
 * VA[15:12] there (ch. 11: "pte.ppn[0][3:0] = va.vpn[0][3:0]"). So for
 * the group at PA P (64 KiB aligned): PTE = N | ((P >> 12) | 8) << 10 |
 * bits, the format's leaf_oa hook must answer P itself (the page the
 * entry maps is the group: every alias is the same PTE), and translate
 * of P's VA + k * 4 KiB + off must give P + k * 4 KiB + off. On every
 * 64-bit mode, at a low and a high PA (Sv57's PA is 56 bits).
 */
PTK_TEST(napot_leaf_oa)
{
	static const struct ptk_attrs rw = { P_R | P_W, F_A | F_D, 0, 0 };
	const struct ptk_fmt *fmts[3] = { &ptk_fmt_riscv_sv39,
					  &ptk_fmt_riscv_sv48,
					  &ptk_fmt_riscv_sv57 };
	static const uint64_t pas[3] = { 0x87650000ull, 0x3fedcba90000ull,
					 0xfedcba9870000ull };
	unsigned int i, j, k;

	for (i = 0; i < 3; i++) {
		const struct ptk_fmt *f = fmts[i];

		for (j = 0; j < 3; j++) {
			uint64_t pa = pas[j], va = 0x40410000ull;
			uint64_t want = (1ull << 63) |
					(((pa >> 12) | 8) << 10) | D | A | W |
					R | V;
			uint64_t l0 = BASE + 0x1000;
			struct ptk_xlate x;
			struct ctx c;

			if (pa >> f->oa_bits)
				continue;
			/* The hook on a PTE made by hand. */
			PTK_EXPECT_EQ(f->hooks->classify(f, 0, want),
				      PTK_ENTRY_LEAF);
			PTK_EXPECT_EQ(f->hooks->leaf_oa(f, 0, want), pa);
			/* The same PTE made by the engine, and translate. */
			ctx_init(&c, f);
			PTK_ASSERT_OK(
				ptk_map(&c.t, va, 0x10000, pa, &rw, 0, NULL));
			for (k = 0; k < 16; k++) {
				uint64_t e = rd(&c.a, f, l0, 0x10 + k);
				uint64_t off = (k << 12) | (0x10 * k + 4);

				PTK_EXPECT_EQ(e, want);
				PTK_EXPECT_EQ(f->hooks->leaf_oa(f, 0, e), pa);
				PTK_ASSERT_OK(
					ptk_translate(&c.t, va + off, &x));
				PTK_EXPECT_EQ(x.oa, pa + off);
				PTK_EXPECT_EQ(x.level, 0);
			}
			ctx_fini(&c);
		}
	}
}

/* --- requests a format cannot express */

PTK_TEST(encode_errors)
{
	struct ptk_attrs wo = { P_W, 0, 0, 0 }, none = { 0, 0, 0, 0 },
			 wx = { P_W | P_X, 0, 0, 0 }, pbmt3 = { P_R, 0, 3, 0 },
			 sw4 = { P_R, 0, 0, 4 }, nc = { P_R, 0, 1, 0 };
	struct ctx c;

	ctx_init(&c, &ptk_fmt_riscv_sv39);
	/* 10.3.1 "Encoding of PTE R/W/X fields": W without R reserved;
	 * R = W = X = 0 is a pointer, not a leaf. */
	PTK_EXPECT_RC(ptk_map(&c.t, 0, 0x1000, 0, &wo, 0, NULL), PTK_EPROT);
	PTK_EXPECT_RC(ptk_map(&c.t, 0, 0x1000, 0, &wx, 0, NULL), PTK_EPROT);
	PTK_EXPECT_RC(ptk_map(&c.t, 0, 0x1000, 0, &none, 0, NULL), PTK_EPROT);
	/* ch. 12: PBMT = 3 is reserved. RSW is two bits. */
	PTK_EXPECT_RC(ptk_map(&c.t, 0, 0x1000, 0, &pbmt3, 0, NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_map(&c.t, 0, 0x1000, 0, &sw4, 0, NULL), PTK_EINVAL);
	/* 10.4: bits 63:39 must equal bit 38. */
	PTK_EXPECT_RC(ptk_map(&c.t, 0x4000000000ull, 0x1000, 0, &nc, 0, NULL),
		      PTK_ERANGE);
	/* 10.4: 56-bit physical addresses. */
	PTK_EXPECT_RC(ptk_map(&c.t, 0, 0x1000, 1ull << 56, &nc, 0, NULL),
		      PTK_ERANGE);
	PTK_EXPECT_EQ(c.a.stats.live, 1); /* nothing but the root */
	/* Superset of nothing is R: PA 0x3000 -> 0xc00 | R V. */
	PTK_ASSERT_OK(ptk_map(&c.t, 0, 0x1000, 0x3000, &none, PTK_MAP_SUPERSET,
			      NULL));
	PTK_EXPECT_EQ(rd(&c.a, &ptk_fmt_riscv_sv39, BASE + 0x1000, 0), 0xc03);
	/* W+X widened: 0x4000 -> 0x1000 | X W R V. */
	PTK_ASSERT_OK(ptk_map(&c.t, 0x1000, 0x1000, 0x4000, &wx,
			      PTK_MAP_SUPERSET, NULL));
	PTK_EXPECT_EQ(rd(&c.a, &ptk_fmt_riscv_sv39, BASE + 0x1000, 1), 0x100f);
	ctx_fini(&c);

	/* Sv32 (10.3): no PBMT field, 32-bit VA, 34-bit PA. */
	ctx_init(&c, &ptk_fmt_riscv_sv32);
	PTK_EXPECT_RC(ptk_map(&c.t, 0, 0x1000, 0, &nc, 0, NULL), PTK_EINVAL);
	nc.memtype = 0;
	PTK_EXPECT_RC(ptk_map(&c.t, 0x100000000ull, 0x1000, 0, &nc, 0, NULL),
		      PTK_ERANGE);
	PTK_EXPECT_RC(ptk_map(&c.t, 0, 0x1000, 1ull << 34, &nc, 0, NULL),
		      PTK_ERANGE);
	PTK_EXPECT_OK(
		ptk_map(&c.t, 0, 0x1000, (1ull << 34) - 0x1000, &nc, 0, NULL));
	/* PPN 0x3fffff << 10 = 0xfffffc00 | R V. */
	PTK_EXPECT_EQ(rd(&c.a, &ptk_fmt_riscv_sv32, BASE + 0x1000, 0),
		      0xfffffc03);
	ctx_fini(&c);
}

/* --- hand-written entries: what the walk must refuse (10.3.2) */

struct bad {
	const char *what;
	unsigned int level; /* 0: in the level-0 table, 1: level 1, ... */
	uint64_t index;
	uint64_t pte;
};

/*
 * Sv39, by hand: root (0x80000000)[0] -> level-1 table (0x80001000)
 * [0] -> level-0 table (0x80002000). Good entries first, then one bad
 * entry per rule; each bad one must make ptk_translate() fail with
 * -PTK_ECORRUPT at its VA.
 */
static const struct bad sv39_bad[] = {
	/* step 3: W = 1, R = 0 (0xc5 = D A W V). */
	{ "W without R", 0, 1, 0x48d158c5 },
	/* step 3: W X without R (0xcd). */
	{ "W+X without R", 0, 2, 0x48d158cd },
	/* 10.4: bit 54 of the reserved 60:54. */
	{ "reserved bit 54", 0, 3, 0x0040000048d158c7ull },
	/* 10.4: bit 60. */
	{ "reserved bit 60", 0, 4, 0x1000000048d158c7ull },
	/* ch. 11: N = 1 with ppn[3:0] = 0100 (PA 0x8765_4000) is reserved. */
	{ "napot ppn[3:0] = 0100", 0, 5, 0x8000000021d950c7ull },
	/* ch. 11: N = 1 with ppn[3:0] = 0000 is reserved. */
	{ "napot ppn[3:0] = 0000", 0, 6, 0x8000000021d940c7ull },
	/* ch. 12: PBMT = 3 (bits 62:61 = 11). */
	{ "PBMT = 3", 0, 7, 0x6000000048d158c7ull },
	/* step 4: R = W = X = 0 at the last level (i < 0). */
	{ "pointer at level 0", 0, 8, 0x20000801 },
	/* step 5: a 2M leaf with PPN[0] = 1 (PA 0x3_8020_1000). */
	{ "misaligned 2M", 1, 1, 0xe008047b },
	/* ch. 11: N = 1 on a non-leaf (i >= 1 row is reserved). */
	{ "N on a pointer", 1, 2, 0x8000000020000801ull },
	/* ch. 11: N = 1 on a 2M leaf, ppn[0][3:0] = 1000 but i = 1. */
	{ "napot at level 1", 1, 3, 0x80000000e008207bull },
	/* 10.3.1: A reserved in a non-leaf PTE. */
	{ "A on a pointer", 1, 4, 0x20000841 },
	/* 10.3.1: U reserved in a non-leaf PTE. */
	{ "U on a pointer", 1, 5, 0x20000811 },
	/* 10.3.1: D reserved in a non-leaf PTE. */
	{ "D on a pointer", 1, 6, 0x20000881 },
	/* ch. 12: PBMT reserved in a non-leaf PTE. */
	{ "PBMT on a pointer", 1, 7, 0x2000000020000801ull },
	/* step 5: a 1G leaf with PPN[1] = 1 (PA 0xc020_0000). */
	{ "misaligned 1G", 2, 1, 0x300800cf },
};

static void attach_sv39(struct ctx *c)
{
	const struct ptk_fmt *f = &ptk_fmt_riscv_sv39;

	PTK_ASSERT_OK(ptk_mem_arena_create(&c->a, BASE, ARENA));
	/* root[0] -> 0x80001000: PPN 0x80001 << 10 | V. */
	wr(&c->a, f, BASE, 0, 0x20000401);
	/* l1[0] -> 0x80002000. */
	wr(&c->a, f, BASE + 0x1000, 0, 0x20000801);
	/* l0[0]: PA 0x1_2345_6000, D A W R V (as in sv39_cases[0]). */
	wr(&c->a, f, BASE + 0x2000, 0, 0x48d158c7);
	/* l1[8]: a pointer with G set (legal: 10.3.1) to a second level-0
	 * table at 0x80003000: PPN 0x80003 << 10 = 0x20000c00 | G V. */
	wr(&c->a, f, BASE + 0x1000, 8, 0x20000c21);
	/* l0b[0]: PA 0x1_2345_6000 again. */
	wr(&c->a, f, BASE + 0x3000, 0, 0x48d158c7);
	/* l1[9]: a good 2M leaf (sv39_cases[2]). */
	wr(&c->a, f, BASE + 0x1000, 9, 0xe008007b);
	/* root[3]: V = 0, every other bit set: empty (10.3.1). */
	wr(&c->a, f, BASE, 3, 0xfffffffffffffffeull);
	PTK_ASSERT_OK(ptk_table_attach(&c->t, f, &c->a.mem, BASE, 0));
}

static uint64_t bad_va(const struct bad *b)
{
	return b->index << (12 + 9 * b->level);
}

static uint64_t bad_table(const struct bad *b)
{
	static const uint64_t at[3] = { BASE + 0x2000, BASE + 0x1000, BASE };

	return at[b->level];
}

PTK_TEST(sv39_invalid)
{
	const struct ptk_fmt *f = &ptk_fmt_riscv_sv39;
	struct ptk_xlate x;
	struct ptk_check chk;
	struct ctx c;
	size_t i;

	attach_sv39(&c);
	PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	PTK_ASSERT_OK(ptk_translate(&c.t, 0x123, &x));
	PTK_EXPECT_EQ(x.oa, 0x123456123ull);
	/* G on a non-leaf: the walk continues (l1[8] = VA 8 << 21). */
	PTK_ASSERT_OK(ptk_translate(&c.t, 0x1000123, &x));
	PTK_EXPECT_EQ(x.oa, 0x123456123ull);
	PTK_ASSERT_OK(ptk_translate(&c.t, 0x1234567, &x));
	PTK_EXPECT_EQ(x.oa, 0x380234567ull);
	PTK_EXPECT_EQ(x.size_lg2, 21);
	PTK_EXPECT_RC(ptk_translate(&c.t, 3ull << 30, NULL), PTK_ENOENT);
	for (i = 0; i < sizeof(sv39_bad) / sizeof(sv39_bad[0]); i++) {
		const struct bad *b = &sv39_bad[i];
		int rc;

		wr(&c.a, f, bad_table(b), b->index, b->pte);
		rc = ptk_translate(&c.t, bad_va(b), NULL);
		if (rc != PTK_ECORRUPT)
			PTK_FAIL("%s: translate gave %d", b->what, rc);
		if (f->hooks->classify(f, b->level, b->pte) !=
		    PTK_ENTRY_INVALID)
			PTK_FAIL("%s: not classified invalid", b->what);
		memset(&chk, 0, sizeof(chk));
		PTK_EXPECT_RC(ptk_table_check(&chk, &c.t), PTK_ECORRUPT);
		PTK_EXPECT_EQ(chk.bad_level, b->level);
		wr(&c.a, f, bad_table(b), b->index, 0);
		/* The good entries are untouched. */
		PTK_EXPECT_RC(ptk_translate(&c.t, 0x123, NULL), 0);
	}
	PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	ptk_table_destroy(&c.t);
	ptk_mem_arena_destroy(&c.a);
}

/* The same rules, at the levels only Sv48 and Sv57 have. */
PTK_TEST(sv48_sv57_invalid)
{
	static const struct {
		const struct ptk_fmt *f;
		const char *what;
		uint64_t pte;
	} cases[] = {
		/* 10.5 step 5: 512G leaf, PA 0x180_0000_0000 + 1G (PPN bit
		 * 18 = PTE bit 28). */
		{ &ptk_fmt_riscv_sv48, "misaligned 512G", 0x6010000043ull },
		/* ch. 11: N on a 512G leaf. */
		{ &ptk_fmt_riscv_sv48, "napot 512G", 0x8000006000002043ull },
		/* 10.6 step 5: 256T leaf, PA 0x5_0000_0000_0000 + 512G (PTE
		 * bit 37). */
		{ &ptk_fmt_riscv_sv57, "misaligned 256T",
		  0x20014020000000c7ull },
		/* 10.6 / 10.3.1: U on a top-level pointer. */
		{ &ptk_fmt_riscv_sv57, "U on a pointer", 0x20000411 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ptk_fmt *f = cases[i].f;
		unsigned int top = f->levels - 1u;
		struct ctx c;
		int rc;

		PTK_ASSERT_OK(ptk_mem_arena_create(&c.a, BASE, ARENA));
		wr(&c.a, f, BASE, 1, cases[i].pte);
		PTK_ASSERT_OK(ptk_table_attach(&c.t, f, &c.a.mem, BASE, 0));
		rc = ptk_translate(&c.t, 1ull << (12 + 9 * top), NULL);
		if (rc != PTK_ECORRUPT)
			PTK_FAIL("%s: translate gave %d", cases[i].what, rc);
		PTK_EXPECT_EQ(f->hooks->classify(f, top, cases[i].pte),
			      PTK_ENTRY_INVALID);
		ptk_table_destroy(&c.t);
		ptk_mem_arena_destroy(&c.a);
	}
}

/* Sv32 by hand: root[0] -> level-0 table at 0x80001000. */
PTK_TEST(sv32_invalid)
{
	static const struct bad bads[] = {
		/* step 3: W without R (0xc5). */
		{ "W without R", 0, 1, 0xc00014c5 },
		/* step 4: V only at the last level. */
		{ "pointer at level 0", 0, 2, 0xc0001401 },
		/* step 5: 4M leaf with PPN[0] = 1 (PA 0x3_0040_1000). */
		{ "misaligned 4M", 1, 1, 0xc010047b },
		/* 10.3.1: D on a non-leaf. */
		{ "D on a pointer", 1, 2, 0x20000481 },
		/* 10.3.1: A on a non-leaf. */
		{ "A on a pointer", 1, 3, 0x20000441 },
	};
	const struct ptk_fmt *f = &ptk_fmt_riscv_sv32;
	struct ptk_xlate x;
	struct ctx c;
	size_t i;

	PTK_ASSERT_OK(ptk_mem_arena_create(&c.a, BASE, ARENA));
	wr(&c.a, f, BASE, 0, 0x20000401);
	/* PA 0x3_0000_5000, D A W R V (sv32_cases[0]). */
	wr(&c.a, f, BASE + 0x1000, 0, 0xc00014c7);
	PTK_ASSERT_OK(ptk_table_attach(&c.t, f, &c.a.mem, BASE, 0));
	PTK_ASSERT_OK(ptk_translate(&c.t, 0xabc, &x));
	PTK_EXPECT_EQ(x.oa, 0x300005abcull);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		uint64_t tbl = b->level ? BASE : BASE + 0x1000;
		int rc;

		wr(&c.a, f, tbl, b->index, b->pte);
		rc = ptk_translate(&c.t, b->index << (12 + 10 * b->level),
				   NULL);
		if (rc != PTK_ECORRUPT)
			PTK_FAIL("%s: translate gave %d", b->what, rc);
		PTK_EXPECT_EQ(f->hooks->classify(f, b->level, b->pte),
			      PTK_ENTRY_INVALID);
		wr(&c.a, f, tbl, b->index, 0);
	}
	/* A 32-bit entry cannot hold bits 63:32; a value that has them is
	 * not an Sv32 PTE. */
	PTK_EXPECT_EQ(f->hooks->classify(f, 0, 0x1c00014c7ull),
		      PTK_ENTRY_INVALID);
	PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	ptk_table_destroy(&c.t);
	ptk_mem_arena_destroy(&c.a);
}

/* --- geometry (10.3-10.6, ch. 11) */

PTK_TEST(geometry)
{
	static const struct {
		const struct ptk_fmt *f;
		const char *name;
		unsigned int levels, entry_lg2, bits, va, oa;
		uint64_t sizes;
		const char *top_name;
	} g[] = {
		/* 4 KiB, 4 MiB. */
		{ &ptk_fmt_riscv_sv32, "riscv_sv32", 2, 2, 10, 32, 34,
		  (1ull << 12) | (1ull << 22), "VPN[1]" },
		/* 4 KiB, 64 KiB napot, 2 MiB, 1 GiB. */
		{ &ptk_fmt_riscv_sv39, "riscv_sv39", 3, 3, 9, 39, 56,
		  (1ull << 12) | (1ull << 16) | (1ull << 21) | (1ull << 30),
		  "VPN[2]" },
		/* ... and 512 GiB. */
		{ &ptk_fmt_riscv_sv48, "riscv_sv48", 4, 3, 9, 48, 56,
		  (1ull << 12) | (1ull << 16) | (1ull << 21) | (1ull << 30) |
			  (1ull << 39),
		  "VPN[3]" },
		/* ... and 256 TiB. */
		{ &ptk_fmt_riscv_sv57, "riscv_sv57", 5, 3, 9, 57, 56,
		  (1ull << 12) | (1ull << 16) | (1ull << 21) | (1ull << 30) |
			  (1ull << 39) | (1ull << 48),
		  "VPN[4]" },
	};
	size_t i;
	unsigned int l;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		const struct ptk_fmt *f = g[i].f;

		PTK_EXPECT_OK(ptk_fmt_check(f));
		PTK_EXPECT(ptk_fmt_lookup(g[i].name) == f);
		PTK_EXPECT_STREQ(f->name, g[i].name);
		PTK_EXPECT_EQ(f->levels, g[i].levels);
		PTK_EXPECT_EQ(f->entry_lg2, g[i].entry_lg2);
		PTK_EXPECT_EQ(f->va_bits, g[i].va);
		PTK_EXPECT_EQ(f->oa_bits, g[i].oa);
		PTK_EXPECT_EQ(f->leaf_levels, (1u << g[i].levels) - 1);
		PTK_EXPECT_EQ(!!(f->features & PTK_FMT_SIGN_EXTEND),
			      g[i].entry_lg2 == 3);
		for (l = 0; l < f->levels; l++) {
			PTK_EXPECT_EQ(f->level_shift[l], 12 + g[i].bits * l);
			PTK_EXPECT_EQ(f->level_bits[l], g[i].bits);
			PTK_EXPECT_EQ(f->contig_lg2[l],
				      (l == 0 && g[i].entry_lg2 == 3) ? 4 : 0);
		}
		PTK_EXPECT_EQ(ptk_fmt_page_sizes(f), g[i].sizes);
		PTK_EXPECT_STREQ(ptk_fmt_level_name(f, 0), "VPN[0]");
		PTK_EXPECT_STREQ(ptk_fmt_level_name(f, f->levels - 1u),
				 g[i].top_name);
	}
	/* Sign extension (10.4-10.6): canonical and not. */
	PTK_EXPECT(
		ptk_fmt_va_valid(&ptk_fmt_riscv_sv39, 0xffffffc000000000ull));
	PTK_EXPECT(
		!ptk_fmt_va_valid(&ptk_fmt_riscv_sv39, 0x0000004000000000ull));
	PTK_EXPECT(
		!ptk_fmt_va_valid(&ptk_fmt_riscv_sv39, 0xffffff8000000000ull));
	PTK_EXPECT(
		ptk_fmt_va_valid(&ptk_fmt_riscv_sv48, 0xffff800000000000ull));
	PTK_EXPECT(
		ptk_fmt_va_valid(&ptk_fmt_riscv_sv57, 0xff00000000000000ull));
	PTK_EXPECT(
		!ptk_fmt_va_valid(&ptk_fmt_riscv_sv57, 0x0100000000000000ull));
	PTK_EXPECT(ptk_fmt_va_valid(&ptk_fmt_riscv_sv32, 0xffffffffull));
	PTK_EXPECT(!ptk_fmt_va_valid(&ptk_fmt_riscv_sv32, 0x100000000ull));
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(geometry),
	PTK_TEST_ENTRY(sv32_map),
	PTK_TEST_ENTRY(sv39_map),
	PTK_TEST_ENTRY(sv48_map),
	PTK_TEST_ENTRY(sv57_map),
	PTK_TEST_ENTRY(sv39_napot_split),
	PTK_TEST_ENTRY(sv39_napot_capped),
	PTK_TEST_ENTRY(sv39_napot_broken_group),
	PTK_TEST_ENTRY(sv39_napot_harvest),
	PTK_TEST_ENTRY(sv39_napot_harvest_after_leaf),
	PTK_TEST_ENTRY(napot_leaf_oa),
	PTK_TEST_ENTRY(encode_errors),
	PTK_TEST_ENTRY(sv39_invalid),
	PTK_TEST_ENTRY(sv48_sv57_invalid),
	PTK_TEST_ENTRY(sv32_invalid),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
