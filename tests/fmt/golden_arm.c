// SPDX-License-Identifier: MIT
/*
 * Golden bytes for the Arm VMSAv8-64 formats: entries the engine writes,
 * compared with literals derived by hand from the Arm ARM (DDI 0487 K.a),
 * hand-written entries that must decode to known addresses or be
 * refused, and the run-time builders (include/ptkit/fmt_arm.h).
 *
 * Bit positions used in the derivations (D8.3.1, Tables D8-48..53):
 *   bits 1:0   0b11 table (levels above L3) / page (L3), 0b01 block
 *   4:2        stage 1 AttrIndx;  5:2 stage 2 MemAttr
 *   7:6        stage 1 AP[2:1] (D8.4.1.2.1 Table D8-63: 00 EL1 RW,
 *              01 EL1+EL0 RW, 10 EL1 RO, 11 EL1+EL0 RO);
 *              stage 2 S2AP (bit 6 read, bit 7 write)
 *   9:8        SH (0b11 inner shareable), or OA[51:50] with LPA2
 *   10 AF, 11 nG, 51 DBM, 52 Contiguous, 53 PXN, 54 UXN / stage 2 XN
 *   OA         47:g in place; 64K+LPA: OA[51:48] in 15:12;
 *              LPA2: 49:g in place, OA[51:50] in 9:8
 * Contiguous groups, D8.7.1 Table D8-104: 4K 16 entries (L3/L2/L1),
 * 16K 128 (L3) / 32 (L2), 64K 32 (L3/L2).
 *
 * The ptkit attribute mapping is in src/fmt/armv8.h. Memtype 0x18 is
 * AttrIndx 0 with SH = 0b11 (0x300 in the entry).
 *
 * Table addresses: a fresh arena hands out blocks bump-wise, naturally
 * aligned; ptk_table_create() takes the root first, and each ptk_map()
 * allocates the new tables it needs from the leaf level up (the engine
 * fills its per-level pools from level 0), so the tables' addresses
 * below are predictable.
 */
#include <inttypes.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/walk_rec.h"

#define R PTK_PROT_READ
#define W PTK_PROT_WRITE
#define X PTK_PROT_EXEC
#define U PTK_PROT_USER
#define G PTK_ATTR_GLOBAL
#define A PTK_ATTR_ACCESSED
#define D PTK_ATTR_DIRTY

#define ATTRS(p, fl, mt, sw) (&(struct ptk_attrs){ (p), (fl), (mt), (sw) })

#define KIB(n) (UINT64_C(n) << 10)
#define MIB(n) (UINT64_C(n) << 20)
#define GIB(n) (UINT64_C(n) << 30)
#define TIB(n) (UINT64_C(n) << 40)
#define BIT(n) (UINT64_C(1) << (n))

#define BASE_LOW UINT64_C(0x40000000)

struct gt {
	struct ptk_mem_arena a;
	struct ptk_table t;
	const struct ptk_fmt *f;
};

static void gt_init(struct gt *g, const struct ptk_fmt *f, uint64_t base,
		    unsigned int flags)
{
	g->f = f;
	PTK_ASSERT_OK(ptk_mem_arena_create(&g->a, base, MIB(16)));
	PTK_ASSERT_OK(ptk_table_create(&g->t, f, &g->a.mem, flags));
	PTK_ASSERT_EQ(ptk_table_root(&g->t), base);
}

static void gt_fini(struct gt *g)
{
	struct ptk_check c;

	PTK_EXPECT_OK(ptk_table_check(&c, &g->t));
	ptk_table_destroy(&g->t);
	ptk_mem_arena_destroy(&g->a);
}

/* Entry @idx of the table at @oa. */
static uint64_t ent(struct gt *g, uint64_t oa, uint64_t idx)
{
	uint64_t *p = ptk_mem_arena_ptr(&g->a, oa);

	PTK_ASSERT(p != NULL);
	return p[idx];
}

static void gt_map(struct gt *g, uint64_t va, uint64_t len, uint64_t oa,
		   const struct ptk_attrs *a)
{
	PTK_ASSERT_OK(ptk_map(&g->t, va, len, oa, a, 0, NULL));
}

/* Translate @va and expect @oa from a leaf of 2^@lg2 bytes. */
static void xlate(struct gt *g, uint64_t va, uint64_t oa, unsigned int lg2)
{
	struct ptk_xlate x;

	PTK_ASSERT_OK(ptk_translate(&g->t, va, &x));
	PTK_EXPECT_EQ(x.oa, oa);
	PTK_EXPECT_EQ(x.size_lg2, lg2);
}

/* Common attribute sets. */
#define USER_RW ATTRS(R | W | U, A, 0x18, 0) /* user data */
#define USER_RX ATTRS(R | X | U, A, 0x18, 0) /* user text */
#define KERN_RW ATTRS(R | W, G | A, 0x18, 0) /* kernel data */
#define KERN_RX ATTRS(R | X, G | A, 0x18, 0) /* kernel text */
#define KERN_RWX ATTRS(R | W | X, G | A, 0x18, 0)

/*
 * armv8_4k_48: L0 = VA[47:39], L1 = [38:30], L2 = [29:21], L3 = [20:12]
 * (D8.2, 4KB granule, 48-bit IA). Root at 0x40000000.
 */
PTK_TEST(golden_4k_48)
{
	struct gt g;
	uint64_t j;

	gt_init(&g, &ptk_fmt_armv8_4k_48, BASE_LOW, 0);

	/* VA 0x80_4020_3000: L0 idx 1, L1 idx 1, L2 idx 1, L3 idx 3.
	 * New tables: L3 0x40001000, L2 0x40002000, L1 0x40003000. */
	gt_map(&g, UINT64_C(0x8040203000), KIB(4), UINT64_C(0xfedcba987000),
	       USER_RW);
	/* Table descriptors (Table D8-50): NLTA[47:12] | 0b11. */
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 1), UINT64_C(0x0000000040003003));
	PTK_EXPECT_EQ(ent(&g, 0x40003000, 1), UINT64_C(0x0000000040002003));
	PTK_EXPECT_EQ(ent(&g, 0x40002000, 1), UINT64_C(0x0000000040001003));
	/* Page (Table D8-52): OA 0xfedcba987000 | UXN 54 | PXN 53 | nG
	 * 0x800 | AF 0x400 | SH 0x300 | AP[2:1]=01 0x40 | 0b11. */
	PTK_EXPECT_EQ(ent(&g, 0x40001000, 3), UINT64_C(0x0060fedcba987f43));
	xlate(&g, UINT64_C(0x8040203123), UINT64_C(0xfedcba987123), 12);

	/* 2M block at L2 idx 2: OA | UXN | AF | SH | AP=00 | 0b01. */
	gt_map(&g, UINT64_C(0x8040400000), MIB(2), UINT64_C(0x123456600000),
	       KERN_RWX);
	PTK_EXPECT_EQ(ent(&g, 0x40002000, 2), UINT64_C(0x0040123456600701));
	xlate(&g, UINT64_C(0x80405fffff), UINT64_C(0x1234567fffff), 21);

	/* 1G block at L1 idx 2, AttrIndx 4, SH 00, read-only (AP 10 =
	 * 0x80), no exec: 0x0060... | 0x400 | 0x80 | 4 << 2 | 0b01. */
	gt_map(&g, UINT64_C(0x8080000000), GIB(1), UINT64_C(0x7fc000000000),
	       ATTRS(R, G | A, 4, 0));
	PTK_EXPECT_EQ(ent(&g, 0x40003000, 2), UINT64_C(0x00607fc000000491));

	/* 64K contiguous at L3 idx 16..31: user R+X (AP 11 = 0xc0,
	 * UXN 0, PXN 1), Contiguous bit 52: 0x0030... | 0xfc3. */
	gt_map(&g, UINT64_C(0x8040210000), KIB(64), UINT64_C(0x123450000),
	       USER_RX);
	for (j = 0; j < 16; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40001000, 16 + j),
			      UINT64_C(0x0030000123450fc3) + (j << 12));
	xlate(&g, UINT64_C(0x804021f123), UINT64_C(0x12345f123), 16);

	/* 32M contiguous at L2 idx 16..31: kernel RW no exec (UXN and PXN),
	 * Contiguous: 0x0070... | 0x701, OA step 2M. */
	gt_map(&g, UINT64_C(0x8042000000), MIB(32), UINT64_C(0xc0000000),
	       KERN_RW);
	for (j = 0; j < 16; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40002000, 16 + j),
			      UINT64_C(0x00700000c0000701) + (j << 21));
	xlate(&g, UINT64_C(0x8043ffffff), UINT64_C(0xc1ffffff), 25);

	/* 16G contiguous at L1 idx 16..31 (L0 idx 1): OA step 1G. */
	gt_map(&g, UINT64_C(0x8400000000), GIB(16), UINT64_C(0x400000000),
	       KERN_RW);
	for (j = 0; j < 16; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40003000, 16 + j),
			      UINT64_C(0x0070000400000701) + (j << 30));
	xlate(&g, UINT64_C(0x87ffffffff), UINT64_C(0x7ffffffff), 34);

	/* Cutting a group: refused without PTK_UNMAP_SPLIT, else the rest
	 * of the group becomes plain pages (Contiguous bit cleared). */
	PTK_EXPECT_RC(ptk_unmap(&g.t, UINT64_C(0x8040210000), KIB(4), 0, NULL),
		      PTK_ESPLIT);
	PTK_EXPECT_OK(ptk_unmap(&g.t, UINT64_C(0x8040210000), KIB(4),
				PTK_UNMAP_SPLIT, NULL));
	PTK_EXPECT_EQ(ent(&g, 0x40001000, 16), 0);
	PTK_EXPECT_EQ(ent(&g, 0x40001000, 17), UINT64_C(0x0020000123451fc3));
	PTK_EXPECT_EQ(ent(&g, 0x40001000, 31), UINT64_C(0x002000012345ffc3));
	gt_fini(&g);
}

/* armv8_4k_39: 3 levels, the root is L1 (VA[38:30]) and holds blocks. */
PTK_TEST(golden_4k_39)
{
	struct gt g;
	uint64_t j;

	gt_init(&g, &ptk_fmt_armv8_4k_39, BASE_LOW, 0);
	/* VA 2^38: L1 idx 256, a 1G block of OA 2^39. */
	gt_map(&g, UINT64_C(0x4000000000), GIB(1), UINT64_C(0x8000000000),
	       KERN_RW);
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 256), UINT64_C(0x0060008000000701));
	/* 16 x 1G contiguous at L1 idx 272..287 (Table D8-104, 16G). */
	gt_map(&g, UINT64_C(0x4400000000), GIB(16), UINT64_C(0x7c00000000),
	       KERN_RX);
	for (j = 0; j < 16; j++)
		PTK_EXPECT_EQ(ent(&g, BASE_LOW, 272 + j),
			      UINT64_C(0x0050007c00000781) + (j << 30));
	/* Top of the space: L1 511, L2 511, L3 511. */
	gt_map(&g, UINT64_C(0x7ffffff000), KIB(4), UINT64_C(0x1000), USER_RW);
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 511), UINT64_C(0x40002003));
	PTK_EXPECT_EQ(ent(&g, 0x40002000, 511), UINT64_C(0x40001003));
	PTK_EXPECT_EQ(ent(&g, 0x40001000, 511), UINT64_C(0x0060000000001f43));
	PTK_EXPECT_RC(ptk_map(&g.t, UINT64_C(0x8000000000), KIB(4), 0, USER_RW,
			      0, NULL),
		      PTK_ERANGE);
	gt_fini(&g);
}

/*
 * armv8_4k_52 (FEAT_LPA2, TCR.DS = 1): L-1 = VA[51:48] (16 entries),
 * L0 = [47:39] with 512G blocks. The arena sits at 0xc_0000_0000_0000,
 * above 2^50, so every table address has OA[51:50] = 0b11: descriptor
 * bits 9:8 = 0b11 (Table D8-50, NLTA[51:50]).
 */
PTK_TEST(golden_4k_52_lpa2)
{
	const uint64_t b = UINT64_C(0x000c000000000000);
	struct gt g;

	gt_init(&g, &ptk_fmt_armv8_4k_52, b, 0);
	/* 512G block at L0 (level -1 idx 1, L0 idx 0). New L0 table at
	 * b + 0x1000 (the root is 16 * 8 = 128 bytes). OA 2^51: OA[51:50]
	 * = 0b10 -> bits 9:8 = 0x200; AttrIndx 1 (0x4), no SH with LPA2:
	 * 0x0060... | 0x400 | 0x200 | 0x4 | 0b01. */
	gt_map(&g, UINT64_C(0x0001000000000000), GIB(512),
	       UINT64_C(0x0008000000000000), ATTRS(R | W, G | A, 1, 0));
	PTK_EXPECT_EQ(ent(&g, b, 1), UINT64_C(0x0000000000001303));
	PTK_EXPECT_EQ(ent(&g, b + 0x1000, 0), UINT64_C(0x0060000000000605));
	xlate(&g, UINT64_C(0x0001000123456789), UINT64_C(0x0008000123456789),
	      39);

	/* The top page: indices 15, 511, 511, 511, 511. New tables L3 at
	 * b + 0x2000, L2 b + 0x3000, L1 b + 0x4000, L0 b + 0x5000. OA
	 * 0xf_1234_5678_9000: bits 49:12 = 0x3_1234_5678_9, OA[51:50] =
	 * 0b11 -> 0x300: 0x0063123456789000 | 0x0060... | 0x400 | 0x3. */
	gt_map(&g, UINT64_C(0x000ffffffffff000), KIB(4),
	       UINT64_C(0x000f123456789000), ATTRS(R | W, G | A, 0, 0));
	PTK_EXPECT_EQ(ent(&g, b, 15), UINT64_C(0x0000000000005303));
	PTK_EXPECT_EQ(ent(&g, b + 0x5000, 511), UINT64_C(0x0000000000004303));
	PTK_EXPECT_EQ(ent(&g, b + 0x4000, 511), UINT64_C(0x0000000000003303));
	PTK_EXPECT_EQ(ent(&g, b + 0x3000, 511), UINT64_C(0x0000000000002303));
	PTK_EXPECT_EQ(ent(&g, b + 0x2000, 511), UINT64_C(0x0063123456789703));
	xlate(&g, UINT64_C(0x000fffffffffffff), UINT64_C(0x000f123456789fff),
	      12);

	/* SH is in TCR with LPA2: memtype is AttrIndx only. */
	PTK_EXPECT_RC(ptk_map(&g.t, 0, KIB(4), 0, ATTRS(R, A, 8, 0), 0, NULL),
		      PTK_EINVAL);
	/* No contiguous groups of L0 blocks (RES0 with DS, D8.7.1). */
	PTK_EXPECT_EQ(g.f->contig_lg2[3], 0);
	gt_fini(&g);
}

/*
 * armv8_16k_48, as Linux configures it: L0 = VA[47] (a two-entry table,
 * 16 bytes), L1 = [46:36], L2 = [35:25], L3 = [24:14].
 */
PTK_TEST(golden_16k_48)
{
	struct gt g;
	uint64_t j;

	gt_init(&g, &ptk_fmt_armv8_16k_48, BASE_LOW, 0);
	PTK_EXPECT_EQ(g.f->level_bits[3], 1);
	/* VA 0x8000_0000_4000: L0 idx 1, L1 0, L2 0, L3 1. Tables 16K
	 * aligned after the 16-byte root: L3 0x40004000, L2 0x40008000,
	 * L1 0x4000c000. User RW exec: UXN 0, PXN 1 (0x0020...). */
	gt_map(&g, UINT64_C(0x800000004000), KIB(16), UINT64_C(0xabcdef01c000),
	       ATTRS(R | W | X | U, A, 0x18, 0));
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 0), 0);
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 1), UINT64_C(0x4000c003));
	PTK_EXPECT_EQ(ent(&g, 0x4000c000, 0), UINT64_C(0x40008003));
	PTK_EXPECT_EQ(ent(&g, 0x40008000, 0), UINT64_C(0x40004003));
	PTK_EXPECT_EQ(ent(&g, 0x40004000, 1), UINT64_C(0x0020abcdef01cf43));

	/* 32M block at L2 idx 1. */
	gt_map(&g, UINT64_C(0x800002000000), MIB(32), UINT64_C(0x6000000),
	       KERN_RW);
	PTK_EXPECT_EQ(ent(&g, 0x40008000, 1), UINT64_C(0x0060000006000701));

	/* 2M contiguous: L3 idx 128..255, kernel RX (AP 10, UXN only). */
	gt_map(&g, UINT64_C(0x800000200000), MIB(2), UINT64_C(0x100200000),
	       KERN_RX);
	for (j = 0; j < 128; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40004000, 128 + j),
			      UINT64_C(0x0050000100200783) + (j << 14));
	xlate(&g, UINT64_C(0x8000003fffff), UINT64_C(0x1003fffff), 21);

	/* 1G contiguous: L2 idx 32..63 (32 x 32M). */
	gt_map(&g, UINT64_C(0x800040000000), GIB(1), UINT64_C(0x4000000000),
	       KERN_RW);
	for (j = 0; j < 32; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40008000, 32 + j),
			      UINT64_C(0x0070004000000701) + (j << 25));
	gt_fini(&g);
}

/*
 * armv8_16k_52 (LPA2): L0 = VA[51:47] (32 entries), 64G blocks at L1,
 * never contiguous there (RES0, D8.7.1).
 */
PTK_TEST(golden_16k_52_lpa2)
{
	struct gt g;
	uint64_t j;

	gt_init(&g, &ptk_fmt_armv8_16k_52, BASE_LOW, 0);
	/* VA 2^36: L0 idx 0, L1 idx 1; new L1 table at 0x40004000. OA
	 * 0xe_0000_0000_0000: bits 49:36 = 0x2_0000_0000_0000 (OA[49:48] =
	 * 0b10), OA[51:50] = 0b11 -> 0x300; | AF | 0b01, XN bits 0x0060. */
	gt_map(&g, UINT64_C(0x1000000000), GIB(64),
	       UINT64_C(0x000e000000000000), ATTRS(R | W, G | A, 0, 0));
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 0), UINT64_C(0x40004003));
	PTK_EXPECT_EQ(ent(&g, 0x40004000, 1), UINT64_C(0x0062000000000701));
	/* 32 aligned 64G blocks stay plain (no Contiguous bit). OA below
	 * 2^50, and no SH field with LPA2: bits 9:8 = 0, so the low bits
	 * are AF | 0b01 = 0x401. */
	gt_map(&g, UINT64_C(0x20000000000), GIB(64) * 32,
	       UINT64_C(0x20000000000), ATTRS(R | W, G | A, 0, 0));
	for (j = 0; j < 32; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40004000, 32 + j),
			      UINT64_C(0x0060020000000401) + (j << 36));
	gt_fini(&g);
}

/* armv8_16k_47: L1 = VA[46:36] is the root (2048 entries). */
PTK_TEST(golden_16k_47)
{
	struct gt g;

	gt_init(&g, &ptk_fmt_armv8_16k_47, BASE_LOW, 0);
	PTK_EXPECT_EQ(g.f->levels, 3);
	PTK_EXPECT_EQ(g.f->level_bits[2], 11);
	/* VA 0x7fff_fe00_0000: L1 2047, L2 2047; a 32M block. The root
	 * is 16K: new L2 table at 0x40004000. */
	gt_map(&g, UINT64_C(0x7ffffe000000), MIB(32), UINT64_C(0x2000000),
	       KERN_RW);
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 2047), UINT64_C(0x40004003));
	PTK_EXPECT_EQ(ent(&g, 0x40004000, 2047), UINT64_C(0x0060000002000701));
	gt_fini(&g);
}

/* armv8_64k_48: L1 = VA[47:42] (64 entries), L2 = [41:29], L3 = [28:16]. */
PTK_TEST(golden_64k_48)
{
	struct gt g;
	uint64_t j;

	gt_init(&g, &ptk_fmt_armv8_64k_48, BASE_LOW, 0);
	/* VA 0xfc00_0001_0000: L1 63, L2 0, L3 1. Tables 64K aligned after
	 * the 512-byte root: L3 0x40010000, L2 0x40020000. */
	gt_map(&g, UINT64_C(0xfc0000010000), KIB(64), UINT64_C(0xffffffff0000),
	       USER_RW);
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 63), UINT64_C(0x40020003));
	PTK_EXPECT_EQ(ent(&g, 0x40020000, 0), UINT64_C(0x40010003));
	PTK_EXPECT_EQ(ent(&g, 0x40010000, 1), UINT64_C(0x0060ffffffff0f43));
	/* 512M block at L2 idx 1. */
	gt_map(&g, UINT64_C(0xfc0020000000), MIB(512), UINT64_C(0x20000000),
	       KERN_RW);
	PTK_EXPECT_EQ(ent(&g, 0x40020000, 1), UINT64_C(0x0060000020000701));
	/* 2M contiguous: L3 idx 32..63 (32 x 64K). */
	gt_map(&g, UINT64_C(0xfc0000200000), MIB(2), UINT64_C(0x4200000),
	       KERN_RX);
	for (j = 0; j < 32; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40010000, 32 + j),
			      UINT64_C(0x0050000004200783) + (j << 16));
	/* 16G contiguous: L2 idx 32..63 (32 x 512M). */
	gt_map(&g, UINT64_C(0xfc0400000000), GIB(16), UINT64_C(0x800000000),
	       KERN_RW);
	for (j = 0; j < 32; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40020000, 32 + j),
			      UINT64_C(0x0070000800000701) + (j << 29));
	xlate(&g, UINT64_C(0xfc07ffffffff), UINT64_C(0xbffffffff), 34);
	/* No 4T blocks without FEAT_LPA: 64 aligned... the root only
	 * links tables. */
	PTK_EXPECT_EQ(g.f->leaf_levels, 0x3);
	gt_fini(&g);
}

/*
 * armv8_64k_52 (FEAT_LPA): L1 = VA[51:42] (1024 entries); OA[51:48] in
 * descriptor bits 15:12 of tables and leaves. The arena sits at
 * 0x5_0000_0000_0000: every table descriptor has 0x5 in bits 15:12.
 */
PTK_TEST(golden_64k_52_lpa)
{
	const uint64_t b = UINT64_C(0x0005000000000000);
	struct gt g;
	uint64_t j;

	gt_init(&g, &ptk_fmt_armv8_64k_52, b, 0);
	/* VA 0xf_fc00_0000_0000: L1 1023, L2 0, L3 0. Root 8K at b; L3 at
	 * b + 0x10000, L2 at b + 0x20000. */
	gt_map(&g, UINT64_C(0x000ffc0000000000), KIB(64),
	       UINT64_C(0x000abcdef0120000), USER_RW);
	PTK_EXPECT_EQ(ent(&g, b, 1023), UINT64_C(0x0000000000025003));
	PTK_EXPECT_EQ(ent(&g, b + 0x20000, 0), UINT64_C(0x0000000000015003));
	/* OA[47:16] = 0xbcde_f012 in place, OA[51:48] = 0xa -> 0xa000. */
	PTK_EXPECT_EQ(ent(&g, b + 0x10000, 0), UINT64_C(0x0060bcdef012af43));
	xlate(&g, UINT64_C(0x000ffc000000abcd), UINT64_C(0x000abcdef012abcd),
	      16);

	/* 4T block at L1 idx 1 (allowed with LPA): OA 0xf_c000_0000_0000:
	 * bits 47:42 = 0xc000_0000_0000, OA[51:48] = 0xf -> 0xf000. */
	gt_map(&g, UINT64_C(0x40000000000), TIB(4),
	       UINT64_C(0x000fc00000000000), KERN_RW);
	PTK_EXPECT_EQ(ent(&g, b, 1), UINT64_C(0x0060c0000000f701));
	xlate(&g, UINT64_C(0x7ffffffffff), UINT64_C(0x000fc3ffffffffff), 42);

	/* 2M contiguous above 2^48: L3 idx 32..63, OA 0x3_0000_0020_0000. */
	gt_map(&g, UINT64_C(0x000ffc0000200000), MIB(2),
	       UINT64_C(0x0003000000200000), KERN_RX);
	for (j = 0; j < 32; j++)
		PTK_EXPECT_EQ(ent(&g, b + 0x10000, 32 + j),
			      UINT64_C(0x0050000000203783) + (j << 16));
	xlate(&g, UINT64_C(0x000ffc00003fffff), UINT64_C(0x00030000003fffff),
	      21);
	gt_fini(&g);
}

/* armv8_64k_42: two levels, L2 = VA[41:29] (8192 entries) is the root. */
PTK_TEST(golden_64k_42)
{
	struct gt g;
	uint64_t j;

	gt_init(&g, &ptk_fmt_armv8_64k_42, BASE_LOW, 0);
	PTK_EXPECT_EQ(g.f->levels, 2);
	gt_map(&g, UINT64_C(0x3ffe0000000), MIB(512), UINT64_C(0x800000000000),
	       KERN_RW);
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 8191), UINT64_C(0x0060800000000701));
	/* 16G contiguous in the root: idx 32..63. */
	gt_map(&g, UINT64_C(0x400000000), GIB(16), UINT64_C(0x400000000),
	       KERN_RW);
	for (j = 0; j < 32; j++)
		PTK_EXPECT_EQ(ent(&g, BASE_LOW, 32 + j),
			      UINT64_C(0x0070000400000701) + (j << 29));
	gt_fini(&g);
}

/*
 * Stage 2 (Table D8-53): S2AP[0] bit 6 read, S2AP[1] bit 7 write, XN bit
 * 54, MemAttr 5:2; memtype 0x3f = MemAttr 0xf (normal write-back) | SH
 * 0b11. Stage 2 always grants USER and GLOBAL.
 */
PTK_TEST(golden_s2_4k_48)
{
	struct gt g;

	gt_init(&g, &ptk_fmt_armv8_s2_4k_48, BASE_LOW, 0);
	/* IPA 0x8000_0000: L0 0, L1 2, L2 0, L3 0. Write-only, no exec:
	 * XN 0x0040... | AF | SH | S2AP 10 (0x80) | MemAttr 0x3c | 0b11. */
	gt_map(&g, UINT64_C(0x80000000), KIB(4), UINT64_C(0x123456789000),
	       ATTRS(W | U, G | A, 0x3f, 0));
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 0), UINT64_C(0x40003003));
	PTK_EXPECT_EQ(ent(&g, 0x40003000, 2), UINT64_C(0x40002003));
	PTK_EXPECT_EQ(ent(&g, 0x40002000, 0), UINT64_C(0x40001003));
	PTK_EXPECT_EQ(ent(&g, 0x40001000, 0), UINT64_C(0x00401234567897bf));
	/* RWX, DBM (bit 51), XN[0] through sw bit 8 (bit 53): S2AP 11. */
	gt_map(&g, UINT64_C(0x80001000), KIB(4), UINT64_C(0x1000),
	       ATTRS(R | W | X | U, G | A | D, 0x3f, 0x100));
	PTK_EXPECT_EQ(ent(&g, 0x40001000, 1), UINT64_C(0x00280000000017ff));
	/* A 1G block of Device-nGnRE (MemAttr 0b0001, SH 00). */
	gt_map(&g, GIB(1), GIB(1), GIB(4), ATTRS(R | W | U, G | A, 0x1, 0));
	PTK_EXPECT_EQ(ent(&g, 0x40003000, 1), UINT64_C(0x00400001000004c5));
	/* USER and GLOBAL are not optional at stage 2. */
	PTK_EXPECT_RC(ptk_map(&g.t, 0, KIB(4), 0, ATTRS(R | W, G | A, 0x3f, 0),
			      0, NULL),
		      PTK_EPROT);
	PTK_EXPECT_RC(ptk_map(&g.t, 0, KIB(4), 0, ATTRS(R | U, A, 0x3f, 0), 0,
			      NULL),
		      PTK_EPROT);
	PTK_EXPECT_OK(ptk_map(&g.t, 0, KIB(4), 0, ATTRS(R, A, 0x3f, 0),
			      PTK_MAP_SUPERSET, NULL));
	/* SH 0b01 is reserved. */
	PTK_EXPECT_RC(ptk_map(&g.t, MIB(2), KIB(4), 0,
			      ATTRS(R | U, G | A, 0x1f, 0), 0, NULL),
		      PTK_EINVAL);
	gt_fini(&g);
}

PTK_TEST(golden_s2_16k_64k)
{
	struct gt g;

	/* s2_16k_47: 3 levels, L1 root of 2048 entries. */
	gt_init(&g, &ptk_fmt_armv8_s2_16k_47, BASE_LOW, 0);
	PTK_EXPECT_EQ(g.f->levels, 3);
	gt_map(&g, MIB(32), MIB(32), MIB(64), ATTRS(R | U, G | A, 0x3f, 0));
	/* L1 0 -> L2 table at 0x40004000; 32M block at L2 idx 1: XN |
	 * AF | SH | S2AP 01 (0x40) | 0x3c | 0b01. */
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 0), UINT64_C(0x40004003));
	PTK_EXPECT_EQ(ent(&g, 0x40004000, 1), UINT64_C(0x004000000400077d));
	gt_fini(&g);

	/* s2_64k_48: 3 levels, L1 root of 64 entries. */
	gt_init(&g, &ptk_fmt_armv8_s2_64k_48, BASE_LOW, 0);
	gt_map(&g, UINT64_C(0xfc0000000000), KIB(64), UINT64_C(0xffff0000),
	       ATTRS(R | X | U, G | A, 0x3f, 0));
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 63), UINT64_C(0x40020003));
	PTK_EXPECT_EQ(ent(&g, 0x40020000, 0), UINT64_C(0x40010003));
	PTK_EXPECT_EQ(ent(&g, 0x40010000, 0), UINT64_C(0x00000000ffff077f));
	gt_fini(&g);
}

/*
 * A concatenated stage 2 root from the builder: 4K granule, 40-bit IPA
 * from level 1: IPA[39:30] indexes two concatenated 4K tables (D8.2), an
 * 8K root.
 */
PTK_TEST(golden_s2_concat)
{
	struct ptk_fmt f;
	struct gt g;
	uint64_t j;

	PTK_ASSERT_OK(ptk_fmt_armv8_s2(&f, 12, 40, 1));
	PTK_EXPECT_OK(ptk_fmt_check(&f));
	PTK_EXPECT(f.ops == NULL);
	PTK_EXPECT_EQ(f.levels, 3);
	PTK_EXPECT_EQ(f.va_bits, 40);
	PTK_EXPECT_EQ(f.level_bits[2], 10);
	PTK_EXPECT_EQ(f.leaf_levels, 0x7);
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&f, 2), "L1");

	gt_init(&g, &f, BASE_LOW, 0);
	/* IPA 2^39: root idx 512, the first entry of the second table. A
	 * 1G block, RWX: AF | SH | S2AP 11 | 0x3c | 0b01 = 0x7fd. */
	gt_map(&g, UINT64_C(0x8000000000), GIB(1), GIB(4),
	       ATTRS(R | W | X | U, G | A, 0x3f, 0));
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 512), UINT64_C(0x00000001000007fd));
	PTK_EXPECT_EQ(ent(&g, BASE_LOW + 0x1000, 0),
		      UINT64_C(0x00000001000007fd));
	/* The last page: root 1023, L2 511, L3 511; the new tables follow
	 * the 8K root: L3 0x40002000, L2 0x40003000. */
	gt_map(&g, UINT64_C(0xfffffff000), KIB(4), UINT64_C(0x7000),
	       ATTRS(R | U, G | A, 0x3f, 0));
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 1023), UINT64_C(0x40003003));
	PTK_EXPECT_EQ(ent(&g, 0x40003000, 511), UINT64_C(0x40002003));
	PTK_EXPECT_EQ(ent(&g, 0x40002000, 511), UINT64_C(0x004000000000777f));
	xlate(&g, UINT64_C(0xffffffffff), UINT64_C(0x7fff), 12);
	/* Contiguous 2M at L2 in the concatenated region (16 x 2M). */
	gt_map(&g, UINT64_C(0x8042000000), MIB(32), MIB(32),
	       ATTRS(R | U, G | A, 0x3f, 0));
	PTK_EXPECT_EQ(ent(&g, BASE_LOW, 513), UINT64_C(0x40004003));
	for (j = 0; j < 16; j++)
		PTK_EXPECT_EQ(ent(&g, 0x40004000, 16 + j),
			      UINT64_C(0x005000000200077d) + (j << 21));
	gt_fini(&g);

	/* The same through the generic engine: identical bytes. */
	gt_init(&g, &f, BASE_LOW, PTK_TABLE_GENERIC);
	gt_map(&g, UINT64_C(0xfffffff000), KIB(4), UINT64_C(0x7000),
	       ATTRS(R | U, G | A, 0x3f, 0));
	PTK_EXPECT_EQ(ent(&g, 0x40002000, 511), UINT64_C(0x004000000000777f));
	gt_fini(&g);
}

/* Builder results that are a built-in format come back as that format. */
static void expect_named(const struct ptk_fmt *got, const struct ptk_fmt *want)
{
	PTK_EXPECT_STREQ(got->name, want->name);
	PTK_EXPECT(got->ops == want->ops);
	PTK_EXPECT(got->hooks == want->hooks);
	PTK_EXPECT_EQ(got->levels, want->levels);
}

#define TCR_T0SZ(n) ((uint64_t)(n))
#define TCR_T1SZ(n) ((uint64_t)(n) << 16)
#define TCR_TG0_4K (UINT64_C(0) << 14)
#define TCR_TG0_64K (UINT64_C(1) << 14)
#define TCR_TG0_16K (UINT64_C(2) << 14)
#define TCR_TG1_16K (UINT64_C(1) << 30)
#define TCR_TG1_4K (UINT64_C(2) << 30)
#define TCR_TG1_64K (UINT64_C(3) << 30)
#define TCR_IPS(n) ((uint64_t)(n) << 32) /* 2: 40, 5: 48, 6: 52 bits */
#define TCR_DS (UINT64_C(1) << 59)

PTK_TEST(tcr_builder)
{
	struct ptk_fmt f;
	uint64_t tcr;

	/* Linux, 4K pages, 48-bit VA, 48-bit PA. */
	tcr = TCR_T0SZ(16) | TCR_T1SZ(16) | TCR_TG0_4K | TCR_TG1_4K |
	      TCR_IPS(5);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 0));
	expect_named(&f, &ptk_fmt_armv8_4k_48);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 1));
	expect_named(&f, &ptk_fmt_armv8_4k_48);

	/* 4K, 39-bit (T1SZ 25) on TTBR1. */
	tcr = TCR_T0SZ(25) | TCR_T1SZ(25) | TCR_TG0_4K | TCR_TG1_4K |
	      TCR_IPS(5);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 1));
	expect_named(&f, &ptk_fmt_armv8_4k_39);

	/* 16K, 47-bit: TG0 = 0b10 but TG1 = 0b01 for the same granule. */
	tcr = TCR_T0SZ(17) | TCR_T1SZ(17) | TCR_TG0_16K | TCR_TG1_16K |
	      TCR_IPS(5);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 0));
	expect_named(&f, &ptk_fmt_armv8_16k_47);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 1));
	expect_named(&f, &ptk_fmt_armv8_16k_47);
	tcr = TCR_T0SZ(16) | TCR_T1SZ(16) | TCR_TG0_16K | TCR_TG1_16K |
	      TCR_IPS(5);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 1));
	expect_named(&f, &ptk_fmt_armv8_16k_48);

	/* 64K, 42-bit: TG0 = 0b01, TG1 = 0b11. */
	tcr = TCR_T0SZ(22) | TCR_T1SZ(22) | TCR_TG0_64K | TCR_TG1_64K |
	      TCR_IPS(5);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 0));
	expect_named(&f, &ptk_fmt_armv8_64k_42);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 1));
	expect_named(&f, &ptk_fmt_armv8_64k_42);
	tcr = TCR_T0SZ(16) | TCR_TG0_64K | TCR_IPS(5);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 0));
	expect_named(&f, &ptk_fmt_armv8_64k_48);

	/* 64K, 52-bit VA (FEAT_LVA) and PA (IPS = 52: FEAT_LPA). */
	tcr = TCR_T0SZ(12) | TCR_TG0_64K | TCR_IPS(6);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 0));
	expect_named(&f, &ptk_fmt_armv8_64k_52);
	/* ... with a 48-bit PA: 52-bit VA, plain 48-bit descriptors. */
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(
		&f, TCR_T0SZ(12) | TCR_TG0_64K | TCR_IPS(5), 0));
	PTK_EXPECT(f.ops == NULL);
	PTK_EXPECT_EQ(f.va_bits, 52);
	PTK_EXPECT_EQ(f.oa_bits, 48);
	PTK_EXPECT_EQ(f.level_bits[2], 10);
	PTK_EXPECT_EQ(f.leaf_levels, 0x3);

	/* 4K and 16K, 52-bit with LPA2 (DS = 1). */
	tcr = TCR_T0SZ(12) | TCR_T1SZ(12) | TCR_TG0_4K | TCR_TG1_16K |
	      TCR_IPS(6) | TCR_DS;
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 0));
	expect_named(&f, &ptk_fmt_armv8_4k_52);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 1));
	expect_named(&f, &ptk_fmt_armv8_16k_52);
	/* T0SZ < 16 needs DS with the 4K granule. */
	PTK_EXPECT_RC(ptk_fmt_armv8_from_tcr(&f, tcr & ~TCR_DS, 0), PTK_EINVAL);

	/* Anything else is built at run time: 4K, 44-bit VA (L0 of 32
	 * entries), a 40-bit PA. */
	tcr = TCR_T0SZ(20) | TCR_TG0_4K | TCR_IPS(2);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 0));
	PTK_EXPECT(f.ops == NULL);
	PTK_EXPECT_OK(ptk_fmt_check(&f));
	PTK_EXPECT_EQ(f.levels, 4);
	PTK_EXPECT_EQ(f.level_bits[3], 5);
	PTK_EXPECT_EQ(f.oa_bits, 40);
	PTK_EXPECT_STREQ(f.name, "armv8_4k");
	/* FEAT_TTST: a one-level 4K table (T0SZ 48, 16-bit VA). */
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, TCR_T0SZ(48) | TCR_IPS(5), 0));
	PTK_EXPECT_EQ(f.levels, 1);
	PTK_EXPECT_EQ(f.level_bits[0], 4);
	PTK_EXPECT_OK(ptk_fmt_check(&f));

	/* The granule comes from the right field. */
	tcr = TCR_T0SZ(16) | TCR_T1SZ(16) | TCR_TG0_16K | TCR_TG1_4K |
	      TCR_IPS(5);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 0));
	expect_named(&f, &ptk_fmt_armv8_16k_48);
	PTK_ASSERT_OK(ptk_fmt_armv8_from_tcr(&f, tcr, 1));
	expect_named(&f, &ptk_fmt_armv8_4k_48);

	/* Reserved encodings and limits. */
	PTK_EXPECT_RC(ptk_fmt_armv8_from_tcr(&f, TCR_T1SZ(16) | TCR_IPS(5), 1),
		      PTK_EINVAL); /* TG1 = 0b00 */
	PTK_EXPECT_RC(ptk_fmt_armv8_from_tcr(
			      &f, TCR_T0SZ(16) | (UINT64_C(3) << 14), 0),
		      PTK_EINVAL); /* TG0 = 0b11 */
	PTK_EXPECT_RC(ptk_fmt_armv8_from_tcr(&f, TCR_T0SZ(16) | TCR_IPS(7), 0),
		      PTK_ENOTSUP);
	PTK_EXPECT_RC(ptk_fmt_armv8_from_tcr(&f, TCR_T0SZ(49), 0), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_fmt_armv8_from_tcr(NULL, 0, 0), PTK_EINVAL);
}

#define VTCR_T0SZ(n) ((uint64_t)(n))
#define VTCR_SL0(n) ((uint64_t)(n) << 6)
#define VTCR_TG0_4K (UINT64_C(0) << 14)
#define VTCR_TG0_64K (UINT64_C(1) << 14)
#define VTCR_TG0_16K (UINT64_C(2) << 14)
#define VTCR_PS(n) ((uint64_t)(n) << 16)
#define VTCR_DS (UINT64_C(1) << 32)
#define VTCR_SL2 (UINT64_C(1) << 33)

PTK_TEST(s2_builders)
{
	struct ptk_fmt f;

	/* The named stage 2 formats. */
	PTK_ASSERT_OK(ptk_fmt_armv8_s2(&f, 12, 48, 0));
	expect_named(&f, &ptk_fmt_armv8_s2_4k_48);
	PTK_ASSERT_OK(ptk_fmt_armv8_s2(&f, 14, 47, 1));
	expect_named(&f, &ptk_fmt_armv8_s2_16k_47);
	PTK_ASSERT_OK(ptk_fmt_armv8_s2(&f, 16, 48, 1));
	expect_named(&f, &ptk_fmt_armv8_s2_64k_48);
	/* VTCR_EL2, 4K, SL0 = 0b10 (level 0), 48-bit IPA and PA. */
	PTK_ASSERT_OK(ptk_fmt_armv8_from_vtcr(
		&f, VTCR_T0SZ(16) | VTCR_SL0(2) | VTCR_TG0_4K | VTCR_PS(5)));
	expect_named(&f, &ptk_fmt_armv8_s2_4k_48);

	/* KVM's default: 4K, 40-bit IPA from level 1 (SL0 = 0b01), 40-bit
	 * PA: two concatenated tables. */
	PTK_ASSERT_OK(ptk_fmt_armv8_from_vtcr(
		&f, VTCR_T0SZ(24) | VTCR_SL0(1) | VTCR_TG0_4K | VTCR_PS(2)));
	PTK_EXPECT(f.ops == NULL);
	PTK_EXPECT_EQ(f.levels, 3);
	PTK_EXPECT_EQ(f.level_bits[2], 10);
	PTK_EXPECT_EQ(f.oa_bits, 40);
	/* 16K, 48-bit IPA from level 1: two concatenated L1 tables. */
	PTK_ASSERT_OK(ptk_fmt_armv8_s2(&f, 14, 48, 1));
	PTK_EXPECT_EQ(f.level_bits[2], 12);
	PTK_EXPECT_OK(ptk_fmt_check(&f));
	/* 64K from level 2: up to 16 tables (13 + 4 bits, 46-bit IPA). */
	PTK_ASSERT_OK(ptk_fmt_armv8_s2(&f, 16, 46, 2));
	PTK_EXPECT_EQ(f.level_bits[1], 17);
	PTK_EXPECT_OK(ptk_fmt_check(&f));
	PTK_EXPECT_RC(ptk_fmt_armv8_s2(&f, 16, 47, 2), PTK_EINVAL);
	/* 4K, 52-bit IPA from level -1 (LPA2), and from level 0 with 16
	 * concatenated tables. */
	PTK_ASSERT_OK(ptk_fmt_armv8_s2(&f, 12, 52, -1));
	PTK_EXPECT_EQ(f.levels, 5);
	PTK_EXPECT_EQ(f.level_bits[4], 4);
	PTK_EXPECT_EQ(f.leaf_levels, 0xf);
	PTK_ASSERT_OK(ptk_fmt_armv8_s2(&f, 12, 52, 0));
	PTK_EXPECT_EQ(f.level_bits[3], 13);
	PTK_EXPECT_EQ(f.oa_bits, 52);
	/* VTCR with DS and SL2: 4K from level -1. */
	PTK_ASSERT_OK(ptk_fmt_armv8_from_vtcr(&f, VTCR_T0SZ(12) | VTCR_TG0_4K |
							  VTCR_PS(6) | VTCR_DS |
							  VTCR_SL2));
	PTK_EXPECT_EQ(f.levels, 5);
	PTK_EXPECT_EQ(f.oa_bits, 52);

	/* Inconsistent or impossible start levels. */
	PTK_EXPECT_RC(ptk_fmt_armv8_s2(&f, 12, 48, 1), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_fmt_armv8_s2(&f, 12, 39, 0), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_fmt_armv8_s2(&f, 16, 48, 0), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_fmt_armv8_s2(&f, 14, 52, -1), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_fmt_armv8_s2(&f, 13, 40, 1), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_fmt_armv8_from_vtcr(&f, VTCR_T0SZ(16) | VTCR_SL0(3) |
							  VTCR_TG0_64K),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_fmt_armv8_from_vtcr(&f, VTCR_T0SZ(16) | VTCR_SL0(3) |
							  VTCR_TG0_16K),
		      PTK_EINVAL); /* 16K level 0 needs DS */
}

/*
 * Hand-written tables, attached read-only: entries the manual makes RES0
 * or reserved are refused (-PTK_ECORRUPT), valid ones decode.
 */
struct hand {
	struct ptk_mem_arena a;
	struct ptk_table t;
	uint64_t *tbl[4]; /* tables at base + i * granule */
	uint64_t base, gran;
};

static void hand_init(struct hand *h, const struct ptk_fmt *f, uint64_t base)
{
	unsigned int i;

	h->base = base;
	h->gran = UINT64_C(1) << f->level_shift[0];
	PTK_ASSERT_OK(ptk_mem_arena_create(&h->a, base, MIB(2)));
	for (i = 0; i < 4; i++)
		h->tbl[i] = ptk_mem_arena_ptr(&h->a, base + i * h->gran);
	PTK_ASSERT_OK(ptk_table_attach(&h->t, f, &h->a.mem, base, 0));
}

static void hand_fini(struct hand *h)
{
	ptk_table_destroy(&h->t);
	ptk_mem_arena_destroy(&h->a);
}

static int hand_xlate(struct hand *h, uint64_t va, uint64_t *oa)
{
	struct ptk_xlate x;
	int rc = ptk_translate(&h->t, va, &x);

	if (!rc && oa)
		*oa = x.oa;
	return rc;
}

PTK_TEST(invalid_4k)
{
	struct hand h;
	uint64_t oa = 0;

	/* armv8_4k_48: tables 0 (L0), 1 (L1), 2 (L2), 3 (L3), chained at
	 * index 0 of each. */
	hand_init(&h, &ptk_fmt_armv8_4k_48, BASE_LOW);
	h.tbl[0][0] = BASE_LOW + 0x1003;
	h.tbl[1][0] = BASE_LOW + 0x2003;
	h.tbl[2][0] = BASE_LOW + 0x3003;
	/* A valid page, and its decode (control). */
	h.tbl[3][0] = UINT64_C(0x0060123456789f43);
	PTK_EXPECT_OK(hand_xlate(&h, 0x123, &oa));
	PTK_EXPECT_EQ(oa, UINT64_C(0x123456789123));
	/* bits[1:0] = 0b01 at L3: reserved (Table D8-48). */
	h.tbl[3][0] = UINT64_C(0x0060123456789f41);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	/* bits[1:0] = 0b00: invalid, i.e. nothing mapped. */
	h.tbl[3][0] = UINT64_C(0x0060123456789f40);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ENOENT);
	/* Bit 48 is RES0 without LPA2 (Table D8-52). */
	h.tbl[3][0] = UINT64_C(0x0061123456789f43);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	/* SH = 0b01 is reserved. */
	h.tbl[3][0] = UINT64_C(0x0060123456789d43);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	/* A block descriptor at L0: the 4K granule has none without
	 * LPA2. */
	h.tbl[0][1] = UINT64_C(0x0060008000000701);
	PTK_EXPECT_RC(hand_xlate(&h, UINT64_C(0x8000000000), NULL),
		      PTK_ECORRUPT);
	/* 2M blocks at L2 idx 1: aligned (valid), OA bit 12 set
	 * (misaligned), nT (bit 16, FEAT_BBML1, RES0 here). */
	h.tbl[2][1] = UINT64_C(0x0060000040200701);
	PTK_EXPECT_OK(hand_xlate(&h, MIB(2) + 5, &oa));
	PTK_EXPECT_EQ(oa, UINT64_C(0x40200005));
	h.tbl[2][1] = UINT64_C(0x0060000040201701);
	PTK_EXPECT_RC(hand_xlate(&h, MIB(2), NULL), PTK_ECORRUPT);
	h.tbl[2][1] = UINT64_C(0x0060000040210701);
	PTK_EXPECT_RC(hand_xlate(&h, MIB(2), NULL), PTK_ECORRUPT);
	/* A table descriptor with RES0 bit 50 (Table D8-50). */
	h.tbl[2][0] = BASE_LOW + 0x3003 + BIT(50);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	h.tbl[2][0] = BASE_LOW + 0x3003;
	/* Hierarchical attributes in a table descriptor are accepted. */
	h.tbl[1][0] = BASE_LOW + 0x2003 + (UINT64_C(0x1f) << 59);
	h.tbl[3][0] = UINT64_C(0x0060123456789f43);
	PTK_EXPECT_OK(hand_xlate(&h, 0, NULL));
	/* A 1G block misaligned by one 2M step. */
	h.tbl[1][1] = UINT64_C(0x0060000080200701);
	PTK_EXPECT_RC(hand_xlate(&h, GIB(1), NULL), PTK_ECORRUPT);
	hand_fini(&h);

	/* armv8_4k_52 (LPA2): L0 (table 1) holds 512G blocks; their
	 * Contiguous bit is RES0 (D8.7.1). */
	hand_init(&h, &ptk_fmt_armv8_4k_52, BASE_LOW);
	h.tbl[0][0] = BASE_LOW + 0x1003;
	h.tbl[1][1] = UINT64_C(0x0060000000000705); /* OA 0, SH bits = OA */
	h.tbl[1][2] = UINT64_C(0x0063000000000305); /* OA[51:48] = 0xf */
	PTK_EXPECT_OK(hand_xlate(&h, GIB(512), &oa));
	PTK_EXPECT_EQ(oa, UINT64_C(0x000c000000000000));
	PTK_EXPECT_OK(hand_xlate(&h, GIB(1024) + 7, &oa));
	PTK_EXPECT_EQ(oa, UINT64_C(0x000f000000000007));
	h.tbl[1][1] |= BIT(52);
	PTK_EXPECT_RC(hand_xlate(&h, GIB(512), NULL), PTK_ECORRUPT);
	/* OA bits below 512G (bit 38) set. */
	h.tbl[1][1] = UINT64_C(0x0060004000000705);
	PTK_EXPECT_RC(hand_xlate(&h, GIB(512), NULL), PTK_ECORRUPT);
	hand_fini(&h);
}

PTK_TEST(invalid_16k_64k)
{
	struct hand h;
	uint64_t oa = 0;

	/* armv8_16k_47: L1 (table 0), L2 (1), L3 (2). */
	hand_init(&h, &ptk_fmt_armv8_16k_47, BASE_LOW);
	h.tbl[0][0] = BASE_LOW + 0x4003;
	h.tbl[1][0] = BASE_LOW + 0x8003;
	h.tbl[2][0] = UINT64_C(0x006000000000cf43);
	PTK_EXPECT_OK(hand_xlate(&h, 1, &oa));
	PTK_EXPECT_EQ(oa, UINT64_C(0xc001));
	/* Page bit 13 (below the 16K granule) is RES0. */
	h.tbl[2][0] = UINT64_C(0x006000000000ef43);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	/* Table descriptor bit 12 is RES0 with 16K. */
	h.tbl[2][0] = UINT64_C(0x006000000000cf43);
	h.tbl[1][0] = BASE_LOW + 0x9003;
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	/* No 64G blocks at L1 without LPA2. */
	h.tbl[0][1] = UINT64_C(0x0060001000000701);
	PTK_EXPECT_RC(hand_xlate(&h, GIB(64), NULL), PTK_ECORRUPT);
	hand_fini(&h);

	/* armv8_64k_48 vs armv8_64k_52: bits 15:12 of a page are RES0
	 * without FEAT_LPA and OA[51:48] with it. */
	hand_init(&h, &ptk_fmt_armv8_64k_48, BASE_LOW);
	h.tbl[0][0] = BASE_LOW + 0x10003;
	h.tbl[1][0] = BASE_LOW + 0x20003;
	h.tbl[2][0] = UINT64_C(0x0060000000030f43);
	PTK_EXPECT_OK(hand_xlate(&h, 0, NULL));
	h.tbl[2][0] = UINT64_C(0x006000000003af43);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	/* No 4T blocks at L1 without FEAT_LPA. */
	h.tbl[0][1] = UINT64_C(0x0060040000000701);
	PTK_EXPECT_RC(hand_xlate(&h, TIB(4), NULL), PTK_ECORRUPT);
	hand_fini(&h);

	hand_init(&h, &ptk_fmt_armv8_64k_52, BASE_LOW);
	h.tbl[0][0] = BASE_LOW + 0x10003;
	h.tbl[1][0] = BASE_LOW + 0x20003;
	h.tbl[2][0] = UINT64_C(0x006000000003af43);
	PTK_EXPECT_OK(hand_xlate(&h, 0x42, &oa));
	PTK_EXPECT_EQ(oa, UINT64_C(0x000a000000030042));
	/* 4T block with OA[51:48] = 0x3, and one misaligned (bit 41). */
	h.tbl[0][1] = UINT64_C(0x0060040000003701);
	PTK_EXPECT_OK(hand_xlate(&h, TIB(4), &oa));
	PTK_EXPECT_EQ(oa, UINT64_C(0x0003040000000000));
	h.tbl[0][1] = UINT64_C(0x0060020000003701);
	PTK_EXPECT_RC(hand_xlate(&h, TIB(4), NULL), PTK_ECORRUPT);
	/* Bit 48 stays RES0 with FEAT_LPA (OA[48] is bit 12). */
	h.tbl[2][0] = UINT64_C(0x006100000003af43);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	hand_fini(&h);
}

PTK_TEST(invalid_s2)
{
	struct hand h;

	hand_init(&h, &ptk_fmt_armv8_s2_4k_48, BASE_LOW);
	h.tbl[0][0] = BASE_LOW + 0x1003;
	h.tbl[1][0] = BASE_LOW + 0x2003;
	h.tbl[2][0] = BASE_LOW + 0x3003;
	h.tbl[3][0] = UINT64_C(0x00401234567897bf);
	PTK_EXPECT_OK(hand_xlate(&h, 0, NULL));
	/* Leaf bits 50 and 63 are RES0 at stage 2 (Table D8-53). */
	h.tbl[3][0] = UINT64_C(0x00441234567897bf);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	h.tbl[3][0] = UINT64_C(0x80401234567897bf);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	/* Stage 2 table bits 63:59 are RES0 (Table D8-51): no
	 * hierarchical attributes. */
	h.tbl[3][0] = UINT64_C(0x00401234567897bf);
	h.tbl[2][0] = BASE_LOW + 0x3003 + BIT(59);
	PTK_EXPECT_RC(hand_xlate(&h, 0, NULL), PTK_ECORRUPT);
	hand_fini(&h);
}

/*
 * Walk @h and check every page of every leaf run it reports against
 * ptk_translate(), at its first and last byte; runs come in VA order.
 * Returns the number of runs.
 */
static size_t walk_vs_xlate(struct hand *h, struct walk_rec *w)
{
	uint64_t va, oa, j, next = 0;
	size_t i;

	wr_reset(w);
	PTK_ASSERT_OK(wr_walk(w, &h->t, 0, 0, true, WR_LEAVES));
	for (i = 0; i < w->n; i++) {
		const struct wr_event *e = &w->v[i];
		uint64_t size = UINT64_C(1) << e->size_lg2;

		PTK_EXPECT(e->va >= next);
		next = e->last + 1;
		for (j = 0; j < e->count; j++) {
			va = e->va + j * size;
			oa = ~UINT64_C(0);
			PTK_EXPECT_OK(hand_xlate(h, va, &oa));
			PTK_EXPECT_EQ(oa, e->oa + j * size);
			oa = ~UINT64_C(0);
			PTK_EXPECT_OK(hand_xlate(h, va + size - 1, &oa));
			PTK_EXPECT_EQ(oa, e->oa + j * size + size - 1);
		}
	}
	return w->n;
}

/*
 * Misprogrammed contiguous groups (D8.7.1: the Contiguous bit set in
 * only some entries of the set, or OAs that do not line up) in a foreign
 * table: the walk reports each address as ptk_translate() reads it, from
 * the address's own entry, and a group as one unit only when all of it
 * agrees. Found by walk_image_fuzz: the group's first entry was empty,
 * and the walk reported it as a 16G leaf at OA 0.
 */
PTK_TEST(contig_misprogrammed)
{
	/* 1G block, kernel RW, Contiguous: 16G group at OA 16G. */
	const uint64_t blk = UINT64_C(0x0070000400000701);
	struct walk_rec w = { 0 };
	struct hand h;
	unsigned int j;

	/* armv8_4k_48: L0 (table 0) -> L1 (table 1), L1 idx 16..31. */
	hand_init(&h, &ptk_fmt_armv8_4k_48, BASE_LOW);
	h.tbl[0][0] = BASE_LOW + 0x1003;

	/* Only the group's last entry: it alone is mapped. */
	h.tbl[1][31] = blk + (UINT64_C(15) << 30);
	PTK_ASSERT_EQ(walk_vs_xlate(&h, &w), 1);
	PTK_EXPECT_EQ(w.v[0].va, GIB(31));
	PTK_EXPECT_EQ(w.v[0].oa, GIB(31));
	PTK_EXPECT_EQ(w.v[0].count, 1);
	PTK_EXPECT_EQ(w.v[0].size_lg2, 30);
	PTK_EXPECT_EQ(w.v[0].pte, h.tbl[1][31]);

	/* The whole group (one entry not yet accessed): one 16G unit. */
	for (j = 0; j < 16; j++)
		h.tbl[1][16 + j] = blk + ((uint64_t)j << 30);
	h.tbl[1][20] &= ~BIT(10);
	PTK_ASSERT_EQ(walk_vs_xlate(&h, &w), 1);
	PTK_EXPECT_EQ(w.v[0].va, GIB(16));
	PTK_EXPECT_EQ(w.v[0].oa, GIB(16));
	PTK_EXPECT_EQ(w.v[0].count, 1);
	PTK_EXPECT_EQ(w.v[0].size_lg2, 34);

	/* The last entry in another group's OA; then the first entry
	 * without the Contiguous bit. */
	h.tbl[1][31] += GIB(16);
	PTK_EXPECT_EQ(walk_vs_xlate(&h, &w), 16);
	h.tbl[1][31] -= GIB(16);
	h.tbl[1][16] &= ~BIT(52);
	PTK_EXPECT_EQ(walk_vs_xlate(&h, &w), 16);
	/* The first entry empty (a 1G step off, to show the OA is the
	 * group's, as translate reads it). */
	h.tbl[1][16] = 0;
	h.tbl[1][17] += GIB(1);
	PTK_EXPECT_EQ(walk_vs_xlate(&h, &w), 15);
	wr_free(&w);
	hand_fini(&h);
}

/*
 * Every leaf the classifier accepts decodes and re-encodes to itself
 * (the engine relies on that to split and unfold groups), once the
 * execute-never bit the mapping does not read is normalised.
 */
PTK_TEST(leaf_roundtrip_random)
{
	static const struct ptk_fmt *const fmts[] = {
		&ptk_fmt_armv8_4k_39,	  &ptk_fmt_armv8_4k_48,
		&ptk_fmt_armv8_4k_52,	  &ptk_fmt_armv8_16k_47,
		&ptk_fmt_armv8_16k_48,	  &ptk_fmt_armv8_16k_52,
		&ptk_fmt_armv8_64k_42,	  &ptk_fmt_armv8_64k_48,
		&ptk_fmt_armv8_64k_52,	  &ptk_fmt_armv8_s2_4k_48,
		&ptk_fmt_armv8_s2_16k_47, &ptk_fmt_armv8_s2_64k_48,
	};
	struct ptk_rand r;
	unsigned int i, l, n;

	ptk_test_rand(&r);
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		const struct ptk_fmt *f = fmts[i];
		const struct ptk_fmt_hooks *h = f->hooks;
		bool s2 = strstr(f->name, "_s2_") != NULL;
		bool lpa2 = strstr(f->name, "k_52") && f->level_shift[0] != 16;
		bool lpa = strstr(f->name, "64k_52") != NULL;

		for (l = 0; l < f->levels; l++) {
			if (!((f->leaf_levels >> l) & 1))
				continue;
			for (n = 0; n < 2000; n++) {
				uint64_t pte = ptk_rand_next(&r), bits, got;
				unsigned int s = f->level_shift[l];
				struct ptk_attrs a;

				/* Clear what is RES0 for this leaf. */
				pte &= ~((UINT64_C(1) << s) - 1) |
				       UINT64_C(0xfff) |
				       (lpa ? UINT64_C(0xf000) : 0);
				if (!lpa2)
					pte &= ~(UINT64_C(3) << 48);
				if (s2)
					pte &= ~(BIT(50) | BIT(63));
				if (!lpa2 && ((pte >> 8) & 3) == 1)
					pte |= UINT64_C(0x300);
				pte &= ~BIT(52);
				pte = (pte & ~UINT64_C(3)) | (l ? 1 : 3);
				/* Normalise the XN bit decode does not read. */
				if (!s2)
					pte |= (pte & 0x40) ? BIT(53) : BIT(54);
				PTK_ASSERT_EQ(h->classify(f, l, pte),
					      PTK_ENTRY_LEAF);
				h->decode(f, l, pte, &a);
				PTK_ASSERT_OK(h->encode(f, l, &a, 0, &bits));
				got = h->make_leaf(f, l, h->leaf_oa(f, l, pte),
						   bits);
				if (got != pte) {
					PTK_FAIL("%s level %u: %016" PRIx64
						 " -> %016" PRIx64,
						 f->name, l, pte, got);
					return;
				}
				/* A contiguous entry of the group. */
				if (f->contig_lg2[l]) {
					PTK_EXPECT(h->is_contig(f, l,
								pte | BIT(52)));
					PTK_EXPECT_EQ(
						h->classify(f, l,
							    pte | BIT(52)),
						PTK_ENTRY_LEAF);
				}
			}
		}
	}
}

/* Names and level names, as `ptkit formats` prints them. */
PTK_TEST(names)
{
	PTK_EXPECT_STREQ(ptk_fmt_armv8_4k_48.name, "armv8_4k_48");
	PTK_EXPECT_STREQ(ptk_fmt_armv8_s2_16k_47.name, "armv8_s2_16k_47");
	PTK_EXPECT(ptk_fmt_lookup("armv8_64k_52") == &ptk_fmt_armv8_64k_52);
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_armv8_4k_52, 4), "L-1");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_armv8_4k_48, 0), "L3");
	PTK_EXPECT_STREQ(ptk_fmt_level_name(&ptk_fmt_armv8_64k_42, 1), "L2");
	PTK_EXPECT_EQ(ptk_fmt_page_sizes(&ptk_fmt_armv8_4k_48),
		      KIB(4) | KIB(64) | MIB(2) | MIB(32) | GIB(1) | GIB(16));
	PTK_EXPECT_EQ(ptk_fmt_page_sizes(&ptk_fmt_armv8_16k_52),
		      KIB(16) | MIB(2) | MIB(32) | GIB(1) | GIB(64));
	PTK_EXPECT_EQ(ptk_fmt_page_sizes(&ptk_fmt_armv8_64k_52),
		      KIB(64) | MIB(2) | MIB(512) | GIB(16) | TIB(4));
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(golden_4k_48),
	PTK_TEST_ENTRY(golden_4k_39),
	PTK_TEST_ENTRY(golden_4k_52_lpa2),
	PTK_TEST_ENTRY(golden_16k_48),
	PTK_TEST_ENTRY(golden_16k_52_lpa2),
	PTK_TEST_ENTRY(golden_16k_47),
	PTK_TEST_ENTRY(golden_64k_48),
	PTK_TEST_ENTRY(golden_64k_52_lpa),
	PTK_TEST_ENTRY(golden_64k_42),
	PTK_TEST_ENTRY(golden_s2_4k_48),
	PTK_TEST_ENTRY(golden_s2_16k_64k),
	PTK_TEST_ENTRY(golden_s2_concat),
	PTK_TEST_ENTRY(tcr_builder),
	PTK_TEST_ENTRY(s2_builders),
	PTK_TEST_ENTRY(invalid_4k),
	PTK_TEST_ENTRY(invalid_16k_64k),
	PTK_TEST_ENTRY(invalid_s2),
	PTK_TEST_ENTRY(contig_misprogrammed),
	PTK_TEST_ENTRY(leaf_roundtrip_random),
	PTK_TEST_ENTRY(names),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
