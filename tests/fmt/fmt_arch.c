// SPDX-License-Identifier: MIT
/*
 * The machine around the tables (struct ptk_fmt_arch, include/ptkit/fmt.h):
 * root registers, control registers, table-level permission limits, VA
 * regions, ELF machines, leaf flags, and ptk_fmt_check_explain().
 *
 * Expected values come from the manuals, not from the code:
 *  - CR3: Intel SDM vol. 3A 4.5 Table 4-12 (4/5-level: address 51:12,
 *    PCID or PWT/PCD below, LAM 62:61 and no-flush 63 above, 60:52
 *    reserved with M = 52), 4.3 and 4.4.1 (32-bit CR3: the PD at 31:12,
 *    PAE's PDPT at 31:5). CR4.PAE is bit 5, CR4.LA57 bit 12 (2.5).
 *  - EPTP: SDM vol. 3C 25.6.11: memory type 2:0 (0 or 6), walk length
 *    minus 1 in 5:3, A/D enable 6, 11:8 reserved, address 51:12.
 *  - TTBR/VTTBR: Arm ARM D19.2 (ASID/VMID 63:48, BADDR 47:1, CnP 0;
 *    BADDR[51:48] in 5:2 with a 52-bit OA), TCR_EL1 (T0SZ 5:0, TG0
 *    15:14 with 0b00 4K / 0b01 64K, T1SZ 21:16, TG1 31:30 with 0b10 4K
 *    / 0b11 64K, IPS 34:32), VTCR_EL2 (T0SZ, SL0 7:6, TG0, PS 18:16);
 *    the register values of the aarch64 fixtures in tests/fixtures.
 *  - satp: RISC-V privileged spec 10.1.11: RV64 MODE 63:60 (8 Sv39,
 *    9 Sv48, 10 Sv57), ASID 59:44, PPN 43:0; RV32 MODE 31, PPN 21:0.
 *  - Table-level limits: SDM 4.6 (R/W, U/S, XD in non-leaf entries);
 *    EPT 29.3.3.2; Arm D8.4.1.3 (APTable 62:61, UXNTable 60, PXNTable
 *    59 of a stage 1 Table descriptor).
 */
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/toy_fmt.h"

static ptk_oa_t root_of(const struct ptk_fmt *f, uint64_t reg, int want_rc)
{
	struct ptk_fmt_diag why;
	ptk_oa_t oa = 0x5a5a;
	int rc;

	memset(&why, 0, sizeof(why));
	rc = ptk_fmt_root_from_reg(&oa, &why, f, 0, reg);
	PTK_EXPECT_RC(rc, want_rc);
	if (rc)
		PTK_EXPECT(why.field != NULL && why.expected != NULL);
	return rc ? 0 : oa;
}

/* The diagnosis of a refused register value, as one line. */
static const char *why_of(const struct ptk_fmt *f, unsigned int root,
			  uint64_t reg, bool ctrl)
{
	static char line[256];
	struct ptk_fmt_diag why;
	ptk_oa_t oa;
	int rc;

	memset(&why, 0, sizeof(why));
	rc = ctrl ? ptk_fmt_check_ctrl(&why, f, root, reg)
		  : ptk_fmt_root_from_reg(&oa, &why, f, root, reg);
	if (rc == 0)
		return "(accepted)";
	ptk_fmt_diag_str(line, sizeof(line), &why);
	return line;
}

PTK_TEST(cr3)
{
	const struct ptk_fmt *x64 = &ptk_fmt_x86_64;

	PTK_EXPECT_EQ(root_of(x64, 0x29bc000, 0), 0x29bc000);
	/* PCID in 11:0, LAM in 62:61, no-flush in 63: not the address. */
	PTK_EXPECT_EQ(root_of(x64, 0x29bc123, 0), 0x29bc000);
	PTK_EXPECT_EQ(root_of(x64, 0xe0000000029bc018ull, 0), 0x29bc000);
	PTK_EXPECT_EQ(root_of(&ptk_fmt_x86_64_la57, 0x000fffffffff1000ull, 0),
		      0x000fffffffff1000ull);
	root_of(x64, 0x0010000000001000ull, PTK_EINVAL);
	PTK_EXPECT_STREQ(why_of(x64, 0, 0x1010000000001000ull, false),
			 "CR3 bits 60:52: expected 0 (reserved above a 52-bit "
			 "physical address), found 0x1010000000000000");
	/* PAE: the PDPT is 32-byte aligned (the bench's 0x100b180). */
	PTK_EXPECT_EQ(root_of(&ptk_fmt_x86_pae, 0x100b180, 0), 0x100b180);
	PTK_EXPECT_EQ(root_of(&ptk_fmt_x86_pae, 0x019be560, 0), 0x19be560);
	PTK_EXPECT_EQ(root_of(&ptk_fmt_x86_pae, 0x100b19f, 0), 0x100b180);
	root_of(&ptk_fmt_x86_pae, 0x10100b180ull, PTK_EINVAL);
	PTK_EXPECT_EQ(root_of(&ptk_fmt_x86_32, 0x1bd9018, 0), 0x1bd9000);
	root_of(&ptk_fmt_x86_32, 0x101bd9000ull, PTK_EINVAL);
	/* One root only. */
	PTK_EXPECT_STREQ(why_of(x64, 1, 0x1000, false), "root: expected a root "
							"the format has (0; 1 "
							"for the "
							"upper range of a "
							"format with two), "
							"found 1");
}

PTK_TEST(eptp)
{
	const struct ptk_fmt *e4 = &ptk_fmt_x86_ept, *e5 = &ptk_fmt_x86_ept_5;

	/* WB (6), walk length 4 (3 << 3), A/D on (bit 6). */
	PTK_EXPECT_EQ(root_of(e4, 0x1234005eull, 0), 0x12340000);
	PTK_EXPECT_EQ(root_of(e4, 0x12340018ull, 0), 0x12340000); /* UC */
	PTK_EXPECT_EQ(root_of(e5, 0x12340026ull, 0), 0x12340000);
	PTK_EXPECT_STREQ(why_of(e4, 0, 0x12340026ull, false),
			 "EPTP bits 5:3 (page-walk length - 1): expected 3 "
			 "(the format's levels - 1), found 4");
	PTK_EXPECT_STREQ(why_of(e5, 0, 0x1234001eull, false),
			 "EPTP bits 5:3 (page-walk length - 1): expected 4 "
			 "(the format's levels - 1), found 3");
	PTK_EXPECT_STREQ(why_of(e4, 0, 0x1234001dull, false),
			 "EPTP bits 2:0 (memory type): expected 0 "
			 "(uncacheable) or 6 (write-back), found 5");
	root_of(e4, 0x1234011eull, PTK_EINVAL); /* bit 8 reserved */
	root_of(e4, 0x801000001234001eull, PTK_EINVAL);
}

PTK_TEST(ttbr)
{
	const struct ptk_fmt *a48 = &ptk_fmt_armv8_4k_48;

	/* The aarch64-nokpti fixture's TTBR1: ASID 0x2a. */
	PTK_EXPECT_EQ(root_of(a48, 0x2a000041853000ull, 0), 0x41853000);
	PTK_EXPECT_EQ(root_of(a48, 0x41853001ull, 0), 0x41853000); /* CnP */
	PTK_EXPECT_STREQ(why_of(a48, 1, 0x41853008ull, false),
			 "TTBR BADDR below the initial table's size: expected "
			 "0 (RES0: the table is aligned to its size), found "
			 "0x8");
	/* 64K, 52-bit OA (FEAT_LPA): 8 KiB top table, BADDR[51:48] in
	 * bits 5:2. */
	PTK_EXPECT_EQ(root_of(&ptk_fmt_armv8_64k_52, 0x110000404c0000ull, 0),
		      0x404c0000);
	PTK_EXPECT_EQ(root_of(&ptk_fmt_armv8_64k_52, 0x404c000cull, 0),
		      0x00030000404c0000ull);
	root_of(&ptk_fmt_armv8_64k_52, 0x404c1000ull, PTK_EINVAL);
	/* 4K, 52-bit VA and OA (FEAT_LPA2): a 16-entry L-1 table (128 B). */
	PTK_EXPECT_EQ(root_of(&ptk_fmt_armv8_4k_52, 0x12380ull | (0xf << 2), 0),
		      0x000f000000012380ull);
	root_of(&ptk_fmt_armv8_4k_52, 0x123c0ull, PTK_EINVAL);
	/* 16K, 48 bits: a 2-entry L0 table, 16-byte aligned. */
	PTK_EXPECT_EQ(root_of(&ptk_fmt_armv8_16k_48, 0x40010ull, 0), 0x40010);
	root_of(&ptk_fmt_armv8_16k_48, 0x40018ull, PTK_EINVAL);
	/* VTTBR: VMID in 63:48. */
	PTK_EXPECT_EQ(root_of(&ptk_fmt_armv8_s2_4k_48, 0x0005000080000000ull,
			      0),
		      0x80000000);
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_armv8_s2_4k_48, 0, 0x80000800ull,
				false),
			 "VTTBR BADDR below the initial table's size: "
			 "expected 0 (RES0: the table is aligned to its size),"
			 " found 0x800");
}

PTK_TEST(satp)
{
	/* The riscv64-sv39 fixture's cpu0: MODE 8, ASID 0xb, PPN 0x80361. */
	PTK_EXPECT_EQ(root_of(&ptk_fmt_riscv_sv39, 0x8000b00000080361ull, 0),
		      0x80361000);
	PTK_EXPECT_EQ(root_of(&ptk_fmt_riscv_sv48, 0x900060000008095full, 0),
		      0x8095f000);
	PTK_EXPECT_EQ(root_of(&ptk_fmt_riscv_sv57, 0xa000300000080b0bull, 0),
		      0x80b0b000);
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_riscv_sv39, 0, 0x900060000008095full,
				false),
			 "satp bits 63:60 (MODE): expected 8 (the format's "
			 "mode: 8 Sv39, 9 Sv48, 10 Sv57), found 9");
	/* A bare address is not a satp value. */
	root_of(&ptk_fmt_riscv_sv57, 0x80b0b000ull, PTK_EINVAL);
	/* Sv32: MODE in bit 31, a 34-bit PA. */
	PTK_EXPECT_EQ(root_of(&ptk_fmt_riscv_sv32, 0x80280361ull, 0),
		      0x280361000ull);
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_riscv_sv32, 0, 0x00080361ull, false),
			 "satp bit 31 (MODE): expected 1 (Sv32; 0 is Bare), "
			 "found 0");
	root_of(&ptk_fmt_riscv_sv32, 0x180080361ull, PTK_EINVAL);
}

PTK_TEST(root_default_rule)
{
	/* A run-time format with no machine description: the value is the
	 * address of a root aligned to its size (toy32: 4 KiB). */
	PTK_EXPECT_EQ(root_of(&toy_fmt, 0x7000, 0), 0x7000);
	PTK_EXPECT_STREQ(why_of(&toy_fmt, 0, 0x7010, false),
			 "root address (bits below the table size): expected "
			 "0x0 (the root table is aligned to its size), found "
			 "0x10");
	root_of(&toy_fmt, 0x100000000ull, PTK_EINVAL); /* 32-bit OA */
	PTK_EXPECT_EQ(ptk_fmt_nr_roots(&toy_fmt), 1);
	PTK_EXPECT(ptk_fmt_arch(&toy_fmt) != NULL);
	PTK_EXPECT(ptk_fmt_arch(&toy_fmt)->root_from_reg == NULL);
}

PTK_TEST(cr4)
{
	const uint64_t pae = 1u << 5, la57 = 1u << 12;

	PTK_EXPECT_OK(ptk_fmt_check_ctrl(NULL, &ptk_fmt_x86_64, 0, pae));
	PTK_EXPECT_OK(
		ptk_fmt_check_ctrl(NULL, &ptk_fmt_x86_64_la57, 0, pae | la57));
	PTK_EXPECT_OK(ptk_fmt_check_ctrl(NULL, &ptk_fmt_x86_pae, 0, pae));
	PTK_EXPECT_OK(ptk_fmt_check_ctrl(NULL, &ptk_fmt_x86_32, 0, 0x10));
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_x86_64, 0, pae | la57, true),
			 "CR4.LA57 (bit 12): expected 0 (4-level paging; 1 "
			 "selects 5-level paging), found 1");
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_x86_64_la57, 0, pae, true),
			 "CR4.LA57 (bit 12): expected 1 (5-level paging; 0 "
			 "selects 4-level paging), found 0");
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_x86_32, 0, pae, true),
			 "CR4.PAE (bit 5): expected 0 (32-bit paging; 1 "
			 "selects PAE or 4/5-level paging), found 1");
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_x86_pae, 0, 0, true),
			 "CR4.PAE (bit 5): expected 1 (PAE or 4/5-level "
			 "paging; 0 selects 32-bit paging), found 0");
	/* No control register: nothing to check. */
	PTK_EXPECT_OK(ptk_fmt_check_ctrl(NULL, &ptk_fmt_riscv_sv39, 0, ~0ull));
	PTK_EXPECT_OK(ptk_fmt_check_ctrl(NULL, &toy_fmt, 0, ~0ull));
}

PTK_TEST(tcr)
{
	/* The fixtures' TCR_EL1 values, for both halves. */
	const uint64_t nokpti = 0x500074b5503510ull; /* 4K, 48-bit VA */
	const uint64_t k64 = 0x35f54c750cull; /* 64K, 52-bit VA, IPS 48 */

	PTK_EXPECT_OK(
		ptk_fmt_check_ctrl(NULL, &ptk_fmt_armv8_4k_48, 0, nokpti));
	PTK_EXPECT_OK(
		ptk_fmt_check_ctrl(NULL, &ptk_fmt_armv8_4k_48, 1, nokpti));
	/* A 52-bit OA format reads the OA[51:48] field that IPS 48 leaves
	 * zero: it fits. */
	PTK_EXPECT_OK(ptk_fmt_check_ctrl(NULL, &ptk_fmt_armv8_64k_52, 0, k64));
	PTK_EXPECT_OK(ptk_fmt_check_ctrl(NULL, &ptk_fmt_armv8_64k_52, 1, k64));
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_armv8_4k_48, 0, k64, true),
			 "TCR_EL1.TG0 (granule): expected 4096 (the format's "
			 "granule, in bytes), found 65536");
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_armv8_64k_48, 1, k64, true),
			 "TCR_EL1.T1SZ (64 - VA bits): expected 16 (64 - the "
			 "format's VA bits), found 12");
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_armv8_4k_39, 0, nokpti, true),
			 "TCR_EL1.T0SZ (64 - VA bits): expected 25 (64 - the "
			 "format's VA bits), found 16");
	/* IPS = 52 bits with 64K (FEAT_LPA): a 48-bit format misses
	 * OA[51:48]. */
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_armv8_64k_48, 0,
				(k64 & ~(7ull << 32) & ~0x3full) |
					(6ull << 32) | 16u,
				true),
			 "TCR_EL1.IPS and DS (output address layout): "
			 "expected 48 (the format's output address bits, in "
			 "its descriptor layout), found 52");
	/* DS = 1 (FEAT_LPA2) moves OA[51:50] into the SH bits. */
	PTK_EXPECT(ptk_fmt_check_ctrl(NULL, &ptk_fmt_armv8_4k_48, 0,
				      nokpti | (1ull << 59) | (6ull << 32)) ==
		   PTK_EINVAL);
	/* VTCR_EL2: T0SZ 16, SL0 0b10 (start at L0), 4K, PS 48 bits. */
	PTK_EXPECT_OK(ptk_fmt_check_ctrl(NULL, &ptk_fmt_armv8_s2_4k_48, 0,
					 16 | (2u << 6) | (5u << 16)));
	/* Start at L1 with 48 bits would need 512 concatenated tables. */
	PTK_EXPECT_STREQ(why_of(&ptk_fmt_armv8_s2_4k_48, 0,
				16 | (1u << 6) | (5u << 16), true),
			 "VTCR_EL2: expected a translation regime ptkit reads "
			 "(a granule, TxSZ and start level the Arm ARM allows, "
			 "no 56-bit output), found 0x50050");
}

PTK_TEST(table_limits)
{
	const unsigned int NW = PTK_LIMIT_NO_WRITE, NU = PTK_LIMIT_NO_USER;
	const unsigned int NX = PTK_LIMIT_NO_EXEC;

	/* x86: R/W (1), U/S (2) clear, XD (63) set. */
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_64, 1, 0x1000067), 0);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_64, 1, 0x1000065), NW);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_64, 3, 0x1000063), NU);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_64, 2,
					  0x8000000001000067ull),
		      NX);
	/* PAE: a PDPTE has no access rights; a PDE does. */
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_pae, 2, 0x1000001), 0);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_pae, 1, 0x1000001),
		      NW | NU);
	/* 32-bit paging has no XD: bit 63 is not in the entry. */
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_32, 1, 0x1000003), NU);
	/* EPT: R, W, X, user-mode execute (10). */
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_ept, 1, 0x1000407), 0);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_ept, 1, 0x1000005),
		      NW | NU);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_x86_ept, 2, 0x1000403), NX);
	/* Arm stage 1: APTable[1] 62, APTable[0] 61, UXN 60, PXN 59. */
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_armv8_4k_48, 1,
					  0x4000000001000003ull),
		      NW);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_armv8_4k_48, 1,
					  0x3800000001000003ull),
		      NU | PTK_LIMIT_NO_USER_EXEC | PTK_LIMIT_NO_PRIV_EXEC);
	/* Stage 2 and RISC-V tables carry no permissions. */
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_armv8_s2_4k_48, 1,
					  0x7800000001000003ull),
		      0);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&ptk_fmt_riscv_sv39, 1, 0x1), 0);
	PTK_EXPECT_EQ(ptk_fmt_table_limit(&toy_fmt, 1, 0x1), 0);
}

PTK_TEST(limit_prot)
{
	const uint32_t R = PTK_PROT_READ, W = PTK_PROT_WRITE;
	const uint32_t X = PTK_PROT_EXEC, U = PTK_PROT_USER;

	PTK_EXPECT_EQ(ptk_fmt_limit_prot(R | W | X | U, 0), R | W | X | U);
	PTK_EXPECT_EQ(ptk_fmt_limit_prot(R | W | X | U, PTK_LIMIT_NO_WRITE),
		      R | X | U);
	PTK_EXPECT_EQ(ptk_fmt_limit_prot(R | W | X | U, PTK_LIMIT_NO_USER),
		      R | W | X);
	PTK_EXPECT_EQ(ptk_fmt_limit_prot(R | X | U, PTK_LIMIT_NO_USER_EXEC),
		      R | U);
	PTK_EXPECT_EQ(ptk_fmt_limit_prot(R | X | U, PTK_LIMIT_NO_PRIV_EXEC),
		      R | X | U);
	PTK_EXPECT_EQ(ptk_fmt_limit_prot(R | X, PTK_LIMIT_NO_PRIV_EXEC), R);
	PTK_EXPECT_EQ(ptk_fmt_limit_prot(R | X, PTK_LIMIT_NO_USER_EXEC), R | X);
	PTK_EXPECT_EQ(ptk_fmt_limit_prot(R | W | X,
					 PTK_LIMIT_NO_READ | PTK_LIMIT_NO_EXEC),
		      W);
}

/* The entry at @level on @va's path in an arena-backed table. */
static void *entry_at(struct ptk_mem_arena *a, const struct ptk_table *t,
		      ptk_va_t va, unsigned int level)
{
	const struct ptk_fmt *f = ptk_table_fmt(t);
	ptk_oa_t oa = ptk_table_root(t);
	unsigned int l;

	for (l = f->levels; l-- > 0;) {
		uint64_t idx = (va >> f->level_shift[l]) &
			       ((1ull << f->level_bits[l]) - 1);
		unsigned char *e = (unsigned char *)ptk_mem_arena_ptr(a, oa) +
				   (idx << f->entry_lg2);
		uint64_t pte = 0;

		if (l == level)
			return e;
		memcpy(&pte, e, (size_t)1 << f->entry_lg2);
		PTK_ASSERT(f->hooks->classify(f, l, pte) == PTK_ENTRY_TABLE);
		oa = f->hooks->table_oa(f, l, pte);
	}
	return NULL;
}

static uint32_t effective(const struct ptk_table *t, ptk_va_t va,
			  uint32_t *leaf_prot)
{
	struct ptk_xlate x;
	struct ptk_attrs a;

	PTK_ASSERT_OK(ptk_translate_effective(t, va, &x, &a));
	PTK_ASSERT_OK(ptk_translate(t, va, &x));
	if (leaf_prot) {
		struct ptk_attrs own;

		PTK_ASSERT_OK(ptk_leaf_attrs(&own, t, x.level, x.pte));
		*leaf_prot = own.prot;
	}
	return a.prot;
}

PTK_TEST(translate_effective)
{
	const uint32_t R = PTK_PROT_READ, W = PTK_PROT_WRITE;
	const uint32_t X = PTK_PROT_EXEC, U = PTK_PROT_USER;
	const struct ptk_attrs rwxu = { R | W | X | U, 0, 0, 0 };
	struct ptk_mem_arena a;
	struct ptk_table t;
	uint32_t own;
	uint64_t *e;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, 0x200000, 1u << 20));

	/* x86_64: a PDE without R/W, a PDPTE with XD. */
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_64, &a.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, 0x40001000, 0x1000, 0x5000, &rwxu, 0, NULL));
	PTK_EXPECT_EQ(effective(&t, 0x40001234, &own), R | W | X | U);
	e = entry_at(&a, &t, 0x40001000, 1);
	*e &= ~(uint64_t)2;
	PTK_EXPECT_EQ(effective(&t, 0x40001234, &own), R | X | U);
	PTK_EXPECT_EQ(own, R | W | X | U); /* the leaf alone still grants W */
	e = entry_at(&a, &t, 0x40001000, 2);
	*e |= 1ull << 63;
	PTK_EXPECT_EQ(effective(&t, 0x40001234, NULL), R | U);
	e = entry_at(&a, &t, 0x40001000, 3);
	*e &= ~(uint64_t)4;
	PTK_EXPECT_EQ(effective(&t, 0x40001234, NULL), R);
	ptk_table_destroy(&t);

	/* Arm stage 1: UXNTable in L1, APTable[1] in L2. */
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_armv8_4k_48, &a.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, 0x40001000, 0x1000, 0x5000, &rwxu, 0, NULL));
	PTK_EXPECT_EQ(effective(&t, 0x40001000, NULL), R | W | X | U);
	e = entry_at(&a, &t, 0x40001000, 2);
	*e |= 1ull << 60;
	PTK_EXPECT_EQ(effective(&t, 0x40001000, NULL), R | W | U);
	e = entry_at(&a, &t, 0x40001000, 1);
	*e |= 1ull << 62;
	PTK_EXPECT_EQ(effective(&t, 0x40001000, &own), R | U);
	PTK_EXPECT_EQ(own, R | W | X | U);
	ptk_table_destroy(&t);

	/* RISC-V: nothing above the leaf limits it. */
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_riscv_sv39, &a.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, 0x40001000, 0x1000, 0x5000, &rwxu, 0, NULL));
	PTK_EXPECT_EQ(effective(&t, 0x40001000, NULL), R | W | X | U);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);
}

static void expect_region(const struct ptk_fmt_region *r, ptk_va_t va,
			  ptk_va_t last, ptk_va_t base, int root,
			  const char *name)
{
	PTK_EXPECT_EQ(r->va, va);
	PTK_EXPECT_EQ(r->last, last);
	PTK_EXPECT_EQ(r->base, base);
	PTK_EXPECT_EQ(r->root, root);
	PTK_EXPECT_STREQ(r->name, name);
}

PTK_TEST(regions)
{
	struct ptk_fmt_region r[3];

	PTK_ASSERT_EQ(ptk_fmt_regions(r, 3, &ptk_fmt_x86_64), 3);
	expect_region(&r[0], 0, 0x00007fffffffffffull, 0, 0,
		      "lower canonical half");
	expect_region(&r[1], 0x0000800000000000ull, 0xffff7fffffffffffull, 0,
		      PTK_REGION_HOLE, "non-canonical hole");
	expect_region(&r[2], 0xffff800000000000ull, ~0ull, 0, 0,
		      "upper canonical half");
	PTK_ASSERT_EQ(ptk_fmt_regions(r, 3, &ptk_fmt_riscv_sv39), 3);
	expect_region(&r[2], 0xffffffc000000000ull, ~0ull, 0, 0,
		      "upper canonical half");
	PTK_ASSERT_EQ(ptk_fmt_regions(r, 3, &ptk_fmt_armv8_4k_48), 3);
	expect_region(&r[0], 0, 0x0000ffffffffffffull, 0, 0, "TTBR0 range");
	expect_region(&r[1], 0x0001000000000000ull, 0xfffeffffffffffffull, 0,
		      PTK_REGION_HOLE,
		      "hole between the TTBR0 and TTBR1 ranges");
	expect_region(&r[2], 0xffff000000000000ull, ~0ull,
		      0xffff000000000000ull, 1, "TTBR1 range");
	PTK_ASSERT_EQ(ptk_fmt_regions(r, 3, &ptk_fmt_x86_pae), 2);
	expect_region(&r[0], 0, 0xffffffffull, 0, 0, "address space");
	expect_region(&r[1], 0x100000000ull, ~0ull, 0, PTK_REGION_HOLE,
		      "beyond the address space");
	PTK_ASSERT_EQ(ptk_fmt_regions(r, 3, &ptk_fmt_x86_ept), 2);
	PTK_EXPECT_STREQ(r[0].name, "guest-physical space");
	PTK_ASSERT_EQ(ptk_fmt_regions(r, 1, &ptk_fmt_armv8_s2_4k_48), 1);
	PTK_EXPECT_STREQ(r[0].name, "IPA space");
}

PTK_TEST(va_root)
{
	const struct ptk_fmt *a48 = &ptk_fmt_armv8_4k_48;
	ptk_va_t in = 0;

	PTK_EXPECT_EQ(ptk_fmt_va_root(&in, a48, 0xffff800000001000ull, 0), 1);
	PTK_EXPECT_EQ(in, 0x800000001000ull);
	PTK_EXPECT_EQ(ptk_fmt_va_root(&in, a48, 0x0000800000001000ull, 0), 0);
	PTK_EXPECT_EQ(in, 0x800000001000ull);
	PTK_EXPECT_RC(ptk_fmt_va_root(&in, a48, 0x00ff000000000000ull, 0),
		      PTK_ERANGE);
	PTK_EXPECT_RC(ptk_fmt_va_root(&in, a48, 0x7fff800000001000ull, 0),
		      PTK_ERANGE);
	/* Bit 55 picks the root; with TBI the top byte is a tag. */
	PTK_EXPECT_RC(ptk_fmt_va_root(&in, a48, 0x12ff800000001000ull, 0),
		      PTK_ERANGE);
	PTK_EXPECT_EQ(ptk_fmt_va_root(&in, a48, 0x12ff800000001000ull,
				      PTK_VA_TBI),
		      1);
	PTK_EXPECT_EQ(in, 0x800000001000ull);
	PTK_EXPECT_EQ(ptk_fmt_va_root(&in, a48, 0x3400800000001000ull,
				      PTK_VA_TBI),
		      0);
	PTK_EXPECT_RC(ptk_fmt_va_root(&in, a48, 0x3480800000001000ull,
				      PTK_VA_TBI),
		      PTK_ERANGE);
	/* x86-64: one root for both canonical halves. */
	PTK_EXPECT_EQ(ptk_fmt_va_root(&in, &ptk_fmt_x86_64,
				      0xffff800000001000ull, 0),
		      0);
	PTK_EXPECT_EQ(in, 0xffff800000001000ull);
	PTK_EXPECT_RC(ptk_fmt_va_root(&in, &ptk_fmt_x86_64,
				      0x0000800000000000ull, 0),
		      PTK_ERANGE);
	PTK_EXPECT_RC(ptk_fmt_va_root(&in, &ptk_fmt_x86_32, 1ull << 32, 0),
		      PTK_ERANGE);
	PTK_EXPECT_EQ(ptk_fmt_nr_roots(a48), 2);
	PTK_EXPECT_EQ(ptk_fmt_nr_roots(&ptk_fmt_armv8_s2_4k_48), 1);
}

PTK_TEST(machines)
{
	PTK_EXPECT(ptk_fmt_fits_machine(&ptk_fmt_x86_64, PTK_EM_X86_64));
	PTK_EXPECT(!ptk_fmt_fits_machine(&ptk_fmt_x86_64, PTK_EM_386));
	PTK_EXPECT(!ptk_fmt_fits_machine(&ptk_fmt_x86_64, PTK_EM_AARCH64));
	PTK_EXPECT(ptk_fmt_fits_machine(&ptk_fmt_x86_32, PTK_EM_386));
	PTK_EXPECT(ptk_fmt_fits_machine(&ptk_fmt_x86_pae, PTK_EM_X86_64));
	PTK_EXPECT(ptk_fmt_fits_machine(&ptk_fmt_x86_ept, PTK_EM_X86_64));
	PTK_EXPECT(!ptk_fmt_fits_machine(&ptk_fmt_armv8_4k_48, PTK_EM_X86_64));
	PTK_EXPECT(
		ptk_fmt_fits_machine(&ptk_fmt_armv8_s2_4k_48, PTK_EM_AARCH64));
	PTK_EXPECT(ptk_fmt_fits_machine(&ptk_fmt_riscv_sv32, PTK_EM_RISCV));
	PTK_EXPECT(!ptk_fmt_fits_machine(&ptk_fmt_riscv_sv39, PTK_EM_AARCH64));
	PTK_EXPECT(ptk_fmt_fits_machine(&ptk_fmt_riscv_sv39, 0)); /* raw */
	PTK_EXPECT(ptk_fmt_fits_machine(&toy_fmt, 1234)); /* says nothing */
	PTK_EXPECT_STREQ(ptk_fmt_machine_name(62), "x86-64");
	PTK_EXPECT_STREQ(ptk_fmt_machine_name(183), "AArch64");
	PTK_EXPECT(ptk_fmt_machine_name(1234) == NULL);
}

PTK_TEST(leaf_flags)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(&ptk_fmt_x86_64);
	char s[33];
	unsigned int i;
	uint32_t set;

	/* QEMU `info tlb` letters: X G P D A C T U W. */
	PTK_ASSERT_EQ(a->nr_leaf_flags, 9);
	for (i = 0; i < 9; i++)
		s[i] = a->leaf_flags[i].letter;
	s[9] = 0;
	PTK_EXPECT_STREQ(s, "XGPDACTUW");
	/* A PTE with XD, PAT (bit 7), D, A, U/S, R/W: bit 7 is not PS. */
	set = ptk_fmt_leaf_flags(&ptk_fmt_x86_64, 0, 0x80000000012340e7ull);
	PTK_EXPECT_EQ(set, 0x1 | 0x8 | 0x10 | 0x80 | 0x100);
	/* The same bit 7 in a 2 MiB leaf is PS. */
	set = ptk_fmt_leaf_flags(&ptk_fmt_x86_64, 1, 0x1200083ull);
	PTK_EXPECT_EQ(set, 0x4 | 0x100);
	/* x86_32 keeps the X column but never sets it. */
	set = ptk_fmt_leaf_flags(&ptk_fmt_x86_32, 0, 0xffffffffull);
	PTK_EXPECT_EQ(set & 1, 0);
	/* RISC-V: r w x u g a d, bits 1..7. */
	set = ptk_fmt_leaf_flags(&ptk_fmt_riscv_sv39, 0, 0xcf);
	PTK_EXPECT_EQ(set, 0x1 | 0x2 | 0x4 | 0x20 | 0x40);
	PTK_EXPECT_EQ(ptk_fmt_leaf_flags(&ptk_fmt_armv8_4k_48, 0, ~0ull), 0);
	PTK_EXPECT_EQ(ptk_fmt_arch(&ptk_fmt_x86_pae)->listings,
		      PTK_FMT_LIST_TLB | PTK_FMT_LIST_MEM_PROT);
	PTK_EXPECT_EQ(ptk_fmt_arch(&ptk_fmt_riscv_sv48)->listings,
		      PTK_FMT_LIST_MEM_ATTR);
	PTK_EXPECT_EQ(ptk_fmt_arch(&ptk_fmt_x86_ept)->listings, 0);
}

/* A copy of toy32 broken by @fn, checked and explained. */
static const char *explain(void (*fn)(struct ptk_fmt *f,
				      struct ptk_fmt_hooks *h,
				      struct ptk_fmt_arch *a),
			   int want_rc)
{
	static char line[256];
	static struct ptk_fmt_hooks h;
	static struct ptk_fmt_arch a;
	static struct ptk_fmt f;
	struct ptk_fmt_diag why;
	int rc;

	f = toy_fmt;
	h = *toy_fmt.hooks;
	memset(&a, 0, sizeof(a));
	a.version = PTK_FMT_ARCH_VERSION;
	f.hooks = &h;
	f.arch = &a;
	fn(&f, &h, &a);
	memset(&why, 0, sizeof(why));
	rc = ptk_fmt_check_explain(&f, &why);
	PTK_EXPECT_RC(rc, want_rc);
	PTK_EXPECT_RC(ptk_fmt_check(&f), want_rc);
	if (rc == 0)
		return "(accepted)";
	ptk_fmt_diag_str(line, sizeof(line), &why);
	return line;
}

static void b_none(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		   struct ptk_fmt_arch *a)
{
	(void)f;
	(void)h;
	(void)a;
}

static void b_levels(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		     struct ptk_fmt_arch *a)
{
	(void)h;
	(void)a;
	f->levels = 7;
}

static void b_shift(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		    struct ptk_fmt_arch *a)
{
	(void)h;
	(void)a;
	f->level_shift[2] = 33;
}

static void b_decode(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		     struct ptk_fmt_arch *a)
{
	(void)f;
	(void)a;
	h->decode = NULL;
}

static void b_version(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		      struct ptk_fmt_arch *a)
{
	(void)h;
	(void)a;
	f->version = 3;
}

static void b_v1(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		 struct ptk_fmt_arch *a)
{
	(void)h;
	/* A version 1 descriptor has no arch field to read: a broken one
	 * past its end must not matter. */
	f->version = 1;
	a->nr_roots = 9;
}

static void b_leaves(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		     struct ptk_fmt_arch *a)
{
	(void)h;
	(void)a;
	f->leaf_levels = 0x6;
}

static void b_va_bits(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		      struct ptk_fmt_arch *a)
{
	(void)h;
	(void)a;
	f->va_bits = 40;
}

static void b_roots(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		    struct ptk_fmt_arch *a)
{
	(void)f;
	(void)h;
	a->nr_roots = 3;
}

static void b_select(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		     struct ptk_fmt_arch *a)
{
	(void)f;
	(void)h;
	a->nr_roots = 2;
	a->select_bit = 30;
}

static void b_arch_version(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
			   struct ptk_fmt_arch *a)
{
	(void)f;
	(void)h;
	a->version = 0;
}

static void b_one_rule(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		       struct ptk_fmt_arch *a)
{
	(void)f;
	(void)h;
	a->root_from_reg = ptk_fmt_arch(&ptk_fmt_x86_64)->root_from_reg;
}

static void b_enable(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		     struct ptk_fmt_arch *a)
{
	(void)f;
	(void)h;
	a->enable_bits = 1u << 31;
}

static void b_flags(struct ptk_fmt *f, struct ptk_fmt_hooks *h,
		    struct ptk_fmt_arch *a)
{
	(void)f;
	(void)h;
	a->flags = 0x100;
}

/*
 * The register value for a table (the inverse of root_from_reg), bit
 * by bit from the manuals; the round trip itself is conformance.c's.
 */
PTK_TEST(reg_from_root)
{
	struct ptk_fmt_diag why;
	uint64_t reg = 0;

	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_x86_64, 0,
					    0x29bc000));
	PTK_EXPECT_EQ(reg, 0x29bc000);
	PTK_EXPECT_OK(
		ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_x86_pae, 0, 0x3fe0));
	PTK_EXPECT_EQ(reg, 0x3fe0);
	PTK_EXPECT_RC(ptk_fmt_reg_from_root(&reg, &why, &ptk_fmt_x86_32, 0,
					    0x100000000ull),
		      PTK_EINVAL);
	PTK_EXPECT_STREQ(why.field, "root table address for CR3");
	/* EPTP: write-back (6), walk length - 1 in 5:3. */
	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_x86_ept, 0,
					    0x29bc000));
	PTK_EXPECT_EQ(reg, 0x29bc01e);
	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_x86_ept_5, 0,
					    0x29bc000));
	PTK_EXPECT_EQ(reg, 0x29bc026);
	/* satp: MODE 8 (Sv39) in 63:60, PPN; Sv32: MODE bit 31. */
	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_riscv_sv39, 0,
					    0x80200000));
	PTK_EXPECT_EQ(reg, 0x8000000000080200ull);
	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_riscv_sv57, 0,
					    0x80200000));
	PTK_EXPECT_EQ(reg, 0xa000000000080200ull);
	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_riscv_sv32, 0,
					    0x80200000));
	PTK_EXPECT_EQ(reg, 0x80080200ull);
	/* TTBR with a 52-bit OA: BADDR[51:48] in bits 5:2. */
	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_armv8_64k_52,
					    1, 0xa000123450000ull));
	PTK_EXPECT_EQ(reg, 0x0000123450000ull | 0xa << 2);
	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &ptk_fmt_armv8_4k_48, 1,
					    0x40123000));
	PTK_EXPECT_EQ(reg, 0x40123000);
	PTK_EXPECT_RC(ptk_fmt_reg_from_root(&reg, &why, &ptk_fmt_armv8_4k_48, 2,
					    0x40123000),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_fmt_reg_from_root(&reg, &why, &ptk_fmt_x86_64, 1,
					    0x1000),
		      PTK_EINVAL);
	/* No rule of its own: the address, aligned to the table. */
	PTK_EXPECT_OK(ptk_fmt_reg_from_root(&reg, NULL, &toy_fmt, 0, 0x4000));
	PTK_EXPECT_EQ(reg, 0x4000);
}

/* TCR_EL1.TBI0 (bit 37) / TBI1 (bit 38), per root; none elsewhere. */
PTK_TEST(ctrl_va_flags)
{
	const uint64_t tbi0 = 1ull << 37, tbi1 = 1ull << 38;
	const struct ptk_fmt *a = &ptk_fmt_armv8_4k_48;

	PTK_EXPECT_EQ(ptk_fmt_ctrl_va_flags(a, 0, tbi0), PTK_VA_TBI);
	PTK_EXPECT_EQ(ptk_fmt_ctrl_va_flags(a, 1, tbi0), 0);
	PTK_EXPECT_EQ(ptk_fmt_ctrl_va_flags(a, 1, tbi1), PTK_VA_TBI);
	PTK_EXPECT_EQ(ptk_fmt_ctrl_va_flags(a, 0, tbi1), 0);
	PTK_EXPECT_EQ(ptk_fmt_ctrl_va_flags(a, 2, ~0ull), 0);
	PTK_EXPECT_EQ(ptk_fmt_ctrl_va_flags(&ptk_fmt_armv8_s2_4k_48, 0, ~0ull),
		      0);
	PTK_EXPECT_EQ(ptk_fmt_ctrl_va_flags(&ptk_fmt_x86_64, 0, ~0ull), 0);
	/* Second stages are flagged, first stages are not. */
	PTK_EXPECT(ptk_fmt_arch(&ptk_fmt_x86_ept)->flags & PTK_ARCH_NESTED);
	PTK_EXPECT(ptk_fmt_arch(&ptk_fmt_armv8_s2_64k_48)->flags &
		   PTK_ARCH_NESTED);
	PTK_EXPECT(!(ptk_fmt_arch(&ptk_fmt_armv8_64k_48)->flags &
		     PTK_ARCH_NESTED));
	PTK_EXPECT(
		!(ptk_fmt_arch(&ptk_fmt_riscv_sv48)->flags & PTK_ARCH_NESTED));
	/* x86: CR0.PG in the notes' cr0 turns paging on. */
	PTK_EXPECT_STREQ(ptk_fmt_arch(&ptk_fmt_x86_pae)->note_enable, "cr0");
	PTK_EXPECT_EQ(ptk_fmt_arch(&ptk_fmt_x86_pae)->enable_bits, 1ull << 31);
}

PTK_TEST(check_explain)
{
	size_t i;

	PTK_EXPECT_STREQ(explain(b_none, 0), "(accepted)");
	PTK_EXPECT_STREQ(explain(b_levels, PTK_EINVAL), "levels: expected 1 to "
							"6, found 7");
	PTK_EXPECT_STREQ(explain(b_shift, PTK_EINVAL), "level_shift at level "
						       "2: expected 32 (the "
						       "level "
						       "below's level_shift + "
						       "level_bits), found 33");
	PTK_EXPECT_STREQ(explain(b_decode, PTK_EINVAL), "hooks->decode: "
							"expected a function");
	PTK_EXPECT_STREQ(explain(b_version, PTK_EVERSION), "version: expected "
							   "2 (PTK_FMT_VERSION "
							   "(or 1)), found "
							   "3");
	PTK_EXPECT_STREQ(explain(b_v1, 0), "(accepted)");
	PTK_EXPECT_STREQ(explain(b_leaves, PTK_EINVAL), "leaf_levels: expected "
							"a run of levels from "
							"level 0 "
							"(bits 0..n-1 set, n "
							"<= levels), found "
							"0x6");
	PTK_EXPECT_STREQ(explain(b_va_bits, PTK_EINVAL), "va_bits: expected 42 "
							 "(the top level's "
							 "level_shift + "
							 "level_bits), found "
							 "40");
	PTK_EXPECT_STREQ(explain(b_roots, PTK_EINVAL), "arch->nr_roots: "
						       "expected 0, 1 or 2, "
						       "found 3");
	PTK_EXPECT_STREQ(explain(b_select, PTK_EINVAL), "arch->select_bit: "
							"expected a VA bit "
							"from va_bits to "
							"63, found 30");
	PTK_EXPECT_STREQ(explain(b_arch_version, PTK_EVERSION), "arch->version:"
								" expected 2 "
								"(PTK_FMT_ARCH_"
								"VERSION), "
								"found 0");
	PTK_EXPECT_STREQ(explain(b_one_rule, PTK_EINVAL),
			 "arch->reg_from_root: expected both register rules "
			 "or neither (each is the other's inverse)");
	PTK_EXPECT_STREQ(explain(b_enable, PTK_EINVAL),
			 "arch->enable_bits: expected bits of note_enable, "
			 "set exactly when it is, found 0x80000000");
	PTK_EXPECT_STREQ(explain(b_flags, PTK_EINVAL),
			 "arch->flags: expected PTK_ARCH_* flags only, found "
			 "0x100");
	PTK_EXPECT_RC(ptk_fmt_check_explain(NULL, NULL), PTK_EINVAL);
	/* Every built-in format passes, with its machine description. */
	for (i = 0; i < ptk_fmt_count(); i++) {
		const struct ptk_fmt *f = ptk_fmt_get(i);

		PTK_EXPECT_OK(ptk_fmt_check_explain(f, NULL));
		PTK_EXPECT(f->arch != NULL);
		PTK_EXPECT(f->arch->machines != NULL);
		PTK_EXPECT(f->arch->root_reg != NULL);
	}
}

PTK_TEST(diag_str_bounds)
{
	struct ptk_fmt_diag d = {
		"field", "something", 3, PTK_DIAG_FOUND, 0, 42
	};
	char small[8];
	size_t n;

	n = ptk_fmt_diag_str(small, sizeof(small), &d);
	PTK_EXPECT_EQ(n, strlen("field at level 3: expected something, "
				"found 42"));
	PTK_EXPECT_STREQ(small, "field a");
	n = ptk_fmt_diag_str(small, 0, &d);
	PTK_EXPECT(n > 0);
}

/* A table of @f on a heap whose memory lies below 2^@bits. */
static void low_heap_table(const struct ptk_fmt *f, unsigned int bits)
{
	const struct ptk_attrs a = { PTK_PROT_RWX, 0, 0, 0 };
	struct ptk_mem_heap h;
	struct ptk_xlate x;
	struct ptk_table t;

	PTK_ASSERT_OK(ptk_mem_heap_init_below(&h, bits));
	PTK_ASSERT_OK(ptk_table_create(&t, f, &h.mem, 0));
	PTK_EXPECT(ptk_table_root(&t) >> bits == 0);
	/* Four tables deep enough to need a level-0 table below the root. */
	PTK_ASSERT_OK(ptk_map(&t, 0x400000, 0x3000, 0x12345000, &a, 0, NULL));
	PTK_ASSERT_OK(ptk_translate(&t, 0x401abc, &x));
	PTK_EXPECT_EQ(x.oa, 0x12346abc);
	PTK_EXPECT_EQ(x.level, 0);
	PTK_ASSERT_OK(ptk_unmap(&t, 0x400000, 0x3000, 0, NULL));
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(h.stats.live, 0);
	ptk_mem_heap_fini(&h);
}

PTK_TEST(provider_errors)
{
	struct ptk_mem_heap h;
	struct ptk_table t;
	ptk_oa_t oa;
	void *p;

	/* A shared table needs the provider's read sections: the provider
	 * is the cause, and the message says so. */
	PTK_ASSERT_OK(ptk_mem_heap_init(&h));
	PTK_EXPECT_RC(ptk_table_create(&t, &ptk_fmt_x86_64, &h.mem,
				       PTK_TABLE_SHARED),
		      PTK_EPROVIDER);
	PTK_EXPECT(strstr(ptk_strerror(PTK_EPROVIDER), "provider") != NULL);
	/* x86_32 entries hold 32-bit table addresses: the plain heap of a
	 * 64-bit process is above them. */
	PTK_ASSERT_OK(h.mem.ops->alloc(h.mem.arg, 12, &oa, &p));
	h.mem.ops->free(h.mem.arg, oa, p, 12);
	if (oa >> 32) {
		PTK_EXPECT_RC(ptk_table_create(&t, &ptk_fmt_x86_32, &h.mem, 0),
			      PTK_ETABLEOA);
		PTK_EXPECT(strstr(ptk_strerror(PTK_ETABLEOA),
				  "ptk_mem_heap_"
				  "init_below") != NULL);
	}
	PTK_EXPECT_EQ(h.stats.live, 0);
	ptk_mem_heap_fini(&h);
	/* ... and a heap below 4 GiB (16 GiB for Sv32's 34-bit PA) works. */
	low_heap_table(&ptk_fmt_x86_32, 32);
	low_heap_table(&ptk_fmt_riscv_sv32, 34);
	low_heap_table(&ptk_fmt_x86_pae, 32);
	PTK_EXPECT_RC(ptk_mem_heap_init_below(&h, 20), PTK_EINVAL);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(cr3),
	PTK_TEST_ENTRY(eptp),
	PTK_TEST_ENTRY(ttbr),
	PTK_TEST_ENTRY(satp),
	PTK_TEST_ENTRY(root_default_rule),
	PTK_TEST_ENTRY(cr4),
	PTK_TEST_ENTRY(tcr),
	PTK_TEST_ENTRY(table_limits),
	PTK_TEST_ENTRY(limit_prot),
	PTK_TEST_ENTRY(translate_effective),
	PTK_TEST_ENTRY(regions),
	PTK_TEST_ENTRY(va_root),
	PTK_TEST_ENTRY(machines),
	PTK_TEST_ENTRY(leaf_flags),
	PTK_TEST_ENTRY(reg_from_root),
	PTK_TEST_ENTRY(ctrl_va_flags),
	PTK_TEST_ENTRY(check_explain),
	PTK_TEST_ENTRY(diag_str_bounds),
	PTK_TEST_ENTRY(provider_errors),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
