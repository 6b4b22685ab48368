/* SPDX-License-Identifier: MIT */
/*
 * Intel EPT (extended page tables): 4-level (48-bit guest-physical input)
 * and 5-level (57-bit input), the second-stage translation of VMX.
 *
 * Implements Intel SDM vol. 3C, section 29.3.2 "EPT Translation
 * Mechanism" (section 28.2.2 in older editions) and its tables:
 * "Format of an EPT PML5 Entry (PML5E)", "... EPT PML4 Entry (PML4E)",
 * "... EPT Page-Directory-Pointer-Table Entry (PDPTE) that Maps a
 * 1-GByte Page", "... PDPTE that References an EPT Page Directory",
 * "... EPT Page-Directory Entry (PDE) that Maps a 2-MByte Page", "...
 * PDE that References an EPT Page Table", "... EPT Page-Table Entry
 * that Maps a 4-KByte Page" (Tables 29-1 to 29-7 in recent editions);
 * section 29.3.3.1 "EPT Misconfigurations" for what is invalid and
 * the section "EPT and Memory Typing" for the memory types.
 *
 * Bits of every entry: R (0), W (1), X (2; supervisor-mode execute when
 * mode-based execute control for EPT is 1), A (8, with EPTP bit 6),
 * user-mode execute (10, with mode-based execute control; ignored
 * otherwise), address (N-1):12 with N = 52 here. Leaves add the EPT
 * memory type (5:3), ignore-PAT (6), D (9) and, in bit 63, suppress #VE.
 * Bit 7 is PS in a PDPTE or PDE (1 GiB / 2 MiB page) and reserved in a
 * PML4E or PML5E.
 *
 * Presence and validity (29.3.2, 29.3.3.1): an entry with bits 2:0 all 0
 * is not present (every other bit is ignored). A present entry is
 * invalid (an EPT misconfiguration) when it is writable but not
 * readable (bits 1:0 = 10b), when a reserved bit is set (7:3 of a
 * non-leaf entry, 7 of a PML4E/PML5E, 29:12 of a 1 GiB leaf, 20:12 of a
 * 2 MiB leaf), or when a leaf's memory type is 2, 3 or 7. Execute-only
 * entries (bits 2:0 = 100b) are valid: the CPU is assumed to report
 * execute-only support in IA32_VMX_EPT_VPID_CAP bit 0, and 1 GiB pages
 * in bit 17.
 *
 * What ptk_attrs maps to:
 *   prot     READ -> R (bit 0), WRITE -> W (bit 1), EXEC -> X (bit 2),
 *            USER -> bit 10. EPT read and write permission does not
 *            depend on the guest's privilege level, so USER has no
 *            read/write meaning here: it is the user-mode execute
 *            permission of mode-based execute control (MBEC), and EXEC
 *            is then supervisor-mode execute. Without MBEC the CPU
 *            ignores bit 10 and bit 2 is execute for all. So EXEC|USER
 *            -> bits 2 and 10 (executable at every level, either way),
 *            EXEC alone -> bit 2 only, USER alone -> bit 10 only
 *            (user-mode execute only, under MBEC). Callers not using
 *            MBEC may set USER or not; it changes nothing for them.
 *            Callers using MBEC: USER on a mapping without EXEC grants
 *            user-mode execute; it does not mean "user-accessible".
 *            Not expressible: W without R (a misconfiguration), and a
 *            leaf with none of R, W, X (not present). Both fail with
 *            PTK_EPROT; with PTK_ENC_SUPERSET, READ is added.
 *   flags    ACCESSED -> A (bit 8), DIRTY -> D (bit 9). EPT has no
 *            global translations (they are tagged with the EPTP): GLOBAL
 *            fails with PTK_EPROT, or with PTK_ENC_SUPERSET is dropped
 *            (a non-global translation grants the same access).
 *   memtype  the EPT memory type, bits 5:3, as is: 0 UC, 1 WC, 4 WT,
 *            5 WP, 6 WB. 2, 3 and 7 are reserved: PTK_EINVAL. (Unlike
 *            the x86 PAT index, memtype 0 is uncacheable here; normal
 *            memory is 6.)
 *   sw       bit 0 -> ignore-PAT (bit 6), bit 1 -> suppress #VE (bit
 *            63), bit 2 -> bit 11 (ignored), bits 3-13 -> bits 52-62
 *            (ignored, or used by features software enables: verify
 *            guest paging 57, paging-write 58, supervisor shadow stack
 *            60, sub-page write 61 (4 KiB leaves)). ptkit stores and
 *            preserves them and gives them no meaning.
 *
 * Non-leaf entries are made with R | W | X and user-mode execute (bits
 * 0-2 and 10, 0x407) and the table address, so the leaf decides every
 * permission with or without MBEC (without it, bit 10 is ignored).
 *
 * Levels: ptkit level 0 = PT (EPT PTE, 4 KiB), 1 = PD (2 MiB), 2 = PDPT
 * (1 GiB), 3 = PML4, 4 = PML5 (5-level only). The input is a
 * guest-physical address: no sign extension.
 *
 * Include once per compilation unit with X86_EPT_LEVELS defined to 4 or
 * 5.
 */
#ifndef PTK_FMT_X86_EPT_H
#define PTK_FMT_X86_EPT_H

#include "fmt/fmt_base.h"

#if !defined(X86_EPT_LEVELS) || (X86_EPT_LEVELS != 4 && X86_EPT_LEVELS != 5)
#error "define X86_EPT_LEVELS to 4 or 5 before including x86_ept.h"
#endif

enum {
	X86_EPT_R = 1 << 0, /* read */
	X86_EPT_W = 1 << 1, /* write */
	X86_EPT_X = 1 << 2, /* execute (supervisor-mode under MBEC) */
	X86_EPT_RWX = 0x7,
	X86_EPT_IPAT = 1 << 6, /* ignore PAT (leaves) */
	X86_EPT_PS = 1 << 7, /* page size (PDPTE, PDE) */
	X86_EPT_A = 1 << 8, /* accessed */
	X86_EPT_D = 1 << 9, /* dirty (leaves) */
	X86_EPT_XU = 1 << 10, /* user-mode execute (MBEC) */
	X86_EPT_IGN11 = 1 << 11, /* ignored */
};
#define X86_EPT_MT_SHIFT 3
#define X86_EPT_MT PTK_GENMASK(5, 3) /* EPT memory type (leaves) */
#define X86_EPT_RSVD_TABLE PTK_GENMASK(7, 3) /* non-leaf entries */
#define X86_EPT_SVE PTK_BIT(63) /* suppress #VE (leaves) */
#define X86_EPT_ADDR PTK_GENMASK(51, 12) /* (N-1):12, N = 52 */
#define X86_EPT_SW_HI PTK_GENMASK(62, 52) /* ptk_attrs.sw bits 3-13 */
/* Memory types 2, 3 and 7 are reserved (29.3.3.1). */
#define X86_EPT_MT_RSVD ((1u << 2) | (1u << 3) | (1u << 7))

/* Geometry, as constant expressions. */
#define PTKF_LEVELS X86_EPT_LEVELS
#define PTKF_LEVELS_MAX X86_EPT_LEVELS
#define PTKF_ENTRY_LG2 3
#define PTKF_VA_BITS (X86_EPT_LEVELS == 5 ? 57 : 48)
#define PTKF_OA_BITS 52
#define PTKF_LEAF_LEVELS 0x7u /* 4K, 2M, 1G */
#define PTKF_FEATURES PTK_FMT_PROT_SEPARATE
#define PTKF_SHIFT(l) (12 + 9 * (l))
#define PTKF_BITS(l) 9
#define PTKF_LEAF_OA_MASK(l) (X86_EPT_ADDR & ~(PTK_BIT(PTKF_SHIFT(l)) - 1))

static inline bool x86_ept_mt_ok(ptk_pte_t pte)
{
	unsigned int mt =
		(unsigned int)((pte & X86_EPT_MT) >> X86_EPT_MT_SHIFT);

	return !((X86_EPT_MT_RSVD >> mt) & 1);
}

static inline enum ptk_entry_type
x86_ept_classify(const struct ptk_fmt *f, unsigned int level, ptk_pte_t pte)
{
	(void)f;
	if (!(pte & X86_EPT_RWX))
		return PTK_ENTRY_EMPTY;
	/* Writable but not readable: a misconfiguration (29.3.3.1). */
	if ((pte & (X86_EPT_R | X86_EPT_W)) == X86_EPT_W)
		return PTK_ENTRY_INVALID;
	if (level == 0)
		return x86_ept_mt_ok(pte) ? PTK_ENTRY_LEAF : PTK_ENTRY_INVALID;
	if (!(pte & X86_EPT_PS))
		return (pte & X86_EPT_RSVD_TABLE) ? PTK_ENTRY_INVALID
						  : PTK_ENTRY_TABLE;
	/* Bit 7 of a PML4E or PML5E is reserved. */
	if (level > 2)
		return PTK_ENTRY_INVALID;
	/* Bits 29:12 (1 GiB) or 20:12 (2 MiB) are reserved. */
	if (pte & PTK_GENMASK(PTKF_SHIFT(level) - 1, 12))
		return PTK_ENTRY_INVALID;
	return x86_ept_mt_ok(pte) ? PTK_ENTRY_LEAF : PTK_ENTRY_INVALID;
}
#define ptkf_classify x86_ept_classify

static inline ptk_oa_t x86_ept_table_oa(const struct ptk_fmt *f,
					unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return pte & X86_EPT_ADDR;
}
#define ptkf_table_oa x86_ept_table_oa

static inline ptk_oa_t x86_ept_leaf_oa(const struct ptk_fmt *f,
				       unsigned int level, ptk_pte_t pte)
{
	(void)f;
	return pte & PTKF_LEAF_OA_MASK(level);
}
#define ptkf_leaf_oa x86_ept_leaf_oa

static inline ptk_pte_t x86_ept_make_table(const struct ptk_fmt *f,
					   unsigned int level, ptk_oa_t oa)
{
	(void)f;
	(void)level;
	/* Non-leaf entries grant R, W, X and XU; the leaf decides. */
	return (oa & X86_EPT_ADDR) | X86_EPT_RWX | X86_EPT_XU;
}
#define ptkf_make_table x86_ept_make_table

static inline ptk_pte_t x86_ept_make_leaf(const struct ptk_fmt *f,
					  unsigned int level, ptk_oa_t oa,
					  ptk_pte_t bits)
{
	(void)f;
	return (oa & PTKF_LEAF_OA_MASK(level)) | bits;
}
#define ptkf_make_leaf x86_ept_make_leaf

/* Advance a leaf by one page: the OA field is the address in place. */
static inline ptk_pte_t x86_ept_leaf_step(const struct ptk_fmt *f,
					  unsigned int level)
{
	(void)f;
	return PTK_BIT(PTKF_SHIFT(level));
}
#define ptkf_leaf_step x86_ept_leaf_step

static inline int x86_ept_encode(const struct ptk_fmt *f, unsigned int level,
				 const struct ptk_attrs *a, unsigned int flags,
				 ptk_pte_t *bits_out)
{
	uint32_t prot = a->prot;
	ptk_pte_t b = 0;

	(void)f;
	if (prot & ~(uint32_t)(PTK_PROT_RWX | PTK_PROT_USER))
		return PTK_EINVAL;
	if (a->flags &
	    ~(uint32_t)(PTK_ATTR_GLOBAL | PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY))
		return PTK_EINVAL;
	if (a->memtype > 7 || ((X86_EPT_MT_RSVD >> a->memtype) & 1) ||
	    a->sw >= (1u << 14))
		return PTK_EINVAL;
	/*
	 * Write without read is a misconfiguration and no R/W/X is not
	 * present (29.3.2, 29.3.3.1); EPT has no global translations.
	 */
	if (((prot & PTK_PROT_WRITE) && !(prot & PTK_PROT_READ)) ||
	    !(prot & PTK_PROT_RWX) || (a->flags & PTK_ATTR_GLOBAL)) {
		if (!(flags & PTK_ENC_SUPERSET))
			return PTK_EPROT;
		/* The nearest superset: add read where it is missing. */
		if ((prot & PTK_PROT_WRITE) || !(prot & PTK_PROT_RWX))
			prot |= PTK_PROT_READ;
	}
	if (prot & PTK_PROT_READ)
		b |= X86_EPT_R;
	if (prot & PTK_PROT_WRITE)
		b |= X86_EPT_W;
	if (prot & PTK_PROT_EXEC)
		b |= X86_EPT_X;
	if (prot & PTK_PROT_USER)
		b |= X86_EPT_XU;
	if (a->flags & PTK_ATTR_ACCESSED)
		b |= X86_EPT_A;
	if (a->flags & PTK_ATTR_DIRTY)
		b |= X86_EPT_D;
	b |= (ptk_pte_t)a->memtype << X86_EPT_MT_SHIFT;
	if (level)
		b |= X86_EPT_PS;
	if (a->sw & 1)
		b |= X86_EPT_IPAT;
	if (a->sw & 2)
		b |= X86_EPT_SVE;
	if (a->sw & 4)
		b |= X86_EPT_IGN11;
	b |= (ptk_pte_t)(a->sw >> 3) << 52;
	*bits_out = b;
	return 0;
}
#define ptkf_encode x86_ept_encode

static inline void x86_ept_decode(const struct ptk_fmt *f, unsigned int level,
				  ptk_pte_t pte, struct ptk_attrs *a)
{
	(void)f;
	(void)level;
	a->prot = 0;
	if (pte & X86_EPT_R)
		a->prot |= PTK_PROT_READ;
	if (pte & X86_EPT_W)
		a->prot |= PTK_PROT_WRITE;
	if (pte & X86_EPT_X)
		a->prot |= PTK_PROT_EXEC;
	if (pte & X86_EPT_XU)
		a->prot |= PTK_PROT_USER;
	a->flags = 0;
	if (pte & X86_EPT_A)
		a->flags |= PTK_ATTR_ACCESSED;
	if (pte & X86_EPT_D)
		a->flags |= PTK_ATTR_DIRTY;
	a->memtype = (uint32_t)((pte & X86_EPT_MT) >> X86_EPT_MT_SHIFT);
	a->sw = (uint32_t)(((pte & X86_EPT_IPAT) ? 1 : 0) |
			   ((pte & X86_EPT_SVE) ? 2 : 0) |
			   ((pte & X86_EPT_IGN11) ? 4 : 0) |
			   (((pte & X86_EPT_SW_HI) >> 52) << 3));
}
#define ptkf_decode x86_ept_decode

/*
 * The machine around the tables. EPTP (SDM vol. 3C, "Extended-Page-Table
 * Pointer (EPTP)"): bits 2:0 the memory type of the walk (0 UC or 6
 * WB), 5:3 the page-walk length minus 1 (3 for 4 levels, 4 for 5), bit 6
 * enables the accessed and dirty flags, bit 7 supervisor shadow-stack
 * control, 11:8 reserved, (N-1):12 the top table, 63:N reserved. EPT
 * tables live in the memory of an x86 host; its CPU notes do not carry
 * the EPTP (a VMCS field). Non-leaf entries withhold what they clear of
 * R, W, X and user-mode execute (bit 10, PTK_PROT_USER here; under MBEC):
 * the access rights are the AND along the walk (29.3.3.2).
 */
#define PTKF_MACHINES PTK_EM_X86_64, PTK_EM_386
#define PTKF_ROOT_REG "EPTP"
#define PTKF_ARCH_FLAGS PTK_ARCH_NESTED
#define PTKF_REGION_NAMES \
	"guest-physical space", "beyond the guest-physical size", NULL

static inline uint32_t x86_ept_table_limit(const struct ptk_fmt *f,
					   unsigned int level, ptk_pte_t pte)
{
	uint32_t lim = 0;

	(void)f;
	(void)level;
	if (!(pte & X86_EPT_R))
		lim |= PTK_LIMIT_NO_READ;
	if (!(pte & X86_EPT_W))
		lim |= PTK_LIMIT_NO_WRITE;
	if (!(pte & X86_EPT_X))
		lim |= PTK_LIMIT_NO_EXEC;
	if (!(pte & X86_EPT_XU))
		lim |= PTK_LIMIT_NO_USER;
	return lim;
}
#define ptkf_table_limit x86_ept_table_limit

static inline int x86_ept_root_from_reg(const struct ptk_fmt *f,
					unsigned int root, uint64_t reg,
					ptk_oa_t *oa_out,
					struct ptk_fmt_diag *why)
{
	const unsigned int fl = PTK_DIAG_FOUND | PTK_DIAG_HEX;
	uint64_t mt = reg & 7, walk = (reg >> 3) & 7;

	(void)f;
	(void)root;
	if (mt != 0 && mt != 6)
		return ptk_diag(why, "EPTP bits 2:0 (memory type)",
				"0 (uncacheable) or 6 (write-back)",
				PTK_DIAG_FOUND, 0, mt);
	if (walk != X86_EPT_LEVELS - 1)
		return ptk_diag(why, "EPTP bits 5:3 (page-walk length - 1)",
				"the format's levels - 1",
				PTK_DIAG_WANT | PTK_DIAG_FOUND,
				X86_EPT_LEVELS - 1, walk);
	if (reg & PTK_GENMASK(11, 8))
		return ptk_diag(why, "EPTP bits 11:8", "0 (reserved)", fl, 0,
				reg & PTK_GENMASK(11, 8));
	if (reg & PTK_GENMASK(63, 52))
		return ptk_diag(why, "EPTP bits 63:52",
				"0 (reserved above a 52-bit physical address)",
				fl, 0, reg & PTK_GENMASK(63, 52));
	*oa_out = reg & X86_EPT_ADDR;
	return 0;
}
#define ptkf_root_from_reg x86_ept_root_from_reg

/* EPTP for the table at @oa: write-back walks, the format's length. */
static inline int x86_ept_reg_from_root(const struct ptk_fmt *f,
					unsigned int root, ptk_oa_t oa,
					uint64_t *reg_out,
					struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	if (oa & ~X86_EPT_ADDR)
		return ptk_diag(why, "root table address for EPTP",
				"a 4 KiB aligned table below 2^52",
				PTK_DIAG_FOUND | PTK_DIAG_HEX, 0, oa);
	*reg_out = oa | (uint64_t)(X86_EPT_LEVELS - 1) << 3 | 6;
	return 0;
}
#define ptkf_reg_from_root x86_ept_reg_from_root

#if X86_EPT_LEVELS == 5
#define PTKF_NAME "x86_ept_5"
#define PTKF_DESC "Intel EPT, 5-level, 57-bit guest-physical input"
#else
#define PTKF_NAME "x86_ept"
#define PTKF_DESC "Intel EPT, 4-level, 48-bit guest-physical input"
#endif
#define PTKF_LEVEL_NAMES "PT", "PD", "PDPT", "PML4", "PML5"

#endif /* PTK_FMT_X86_EPT_H */
