/* SPDX-License-Identifier: MIT */
/*
 * x86-64 4-level and 5-level paging (IA-32e paging).
 *
 * Implements Intel SDM vol. 3A, section 4.5 "4-Level Paging and 5-Level
 * Paging": Table 4-14 (PML5E), 4-15 (PML4E), 4-16 (PDPTE mapping a 1 GiB
 * page), 4-17 (PDPTE referencing a page directory), 4-18 (PDE mapping a
 * 2 MiB page), 4-19 (PDE referencing a page table), 4-20 (PTE), and
 * section 4.5.4 on canonical addresses.
 *
 * Assumptions, as a 64-bit OS configures the CPU: IA32_EFER.NXE = 1 (bit
 * 63 is XD, not reserved) and MAXPHYADDR = 52 (no reserved bits between
 * the address and bit 52). The ignored bits 9-11 and 52-58 and the
 * protection key (bits 62:59, Table 4-20, when CR4.PKE/PKS is set) are
 * carried as ptk_attrs.sw: bits 0-2 and 3-13.
 *
 * Levels: ptkit level 0 = PT (PTE, 4 KiB pages), 1 = PD (PDE, 2 MiB),
 * 2 = PDPT (PDPTE, 1 GiB), 3 = PML4, 4 = PML5 (5-level only).
 *
 * Include once per compilation unit with X86_64_LEVELS defined to 4 or 5;
 * the header defines the ptkf_* format API used by src/algo/template.h.
 */
#ifndef PTK_FMT_X86_64_H
#define PTK_FMT_X86_64_H

#include "internal/ptk_internal.h"

#if !defined(X86_64_LEVELS) || (X86_64_LEVELS != 4 && X86_64_LEVELS != 5)
#error "define X86_64_LEVELS to 4 or 5 before including x86_64.h"
#endif

enum {
	X86_64_P = 1 << 0, /* present */
	X86_64_RW = 1 << 1, /* writable */
	X86_64_US = 1 << 2, /* user */
	X86_64_PWT = 1 << 3,
	X86_64_PCD = 1 << 4,
	X86_64_A = 1 << 5, /* accessed */
	X86_64_D = 1 << 6, /* dirty (leaves only) */
	X86_64_PS = 1 << 7, /* page size (PDE/PDPTE); PAT in a PTE */
	X86_64_G = 1 << 8, /* global (leaves only) */
};
#define X86_64_PAT_4K PTK_BIT(7)
#define X86_64_PAT_HUGE PTK_BIT(12)
#define X86_64_XD PTK_BIT(63)
#define X86_64_ADDR PTK_GENMASK(51, 12)
#define X86_64_SW_LO PTK_GENMASK(11, 9) /* ptk_attrs.sw bits 0-2 */
#define X86_64_SW_HI PTK_GENMASK(62, 52) /* ptk_attrs.sw bits 3-13 */

/* Geometry, as constant expressions. */
#define PTKF_LEVELS X86_64_LEVELS
#define PTKF_LEVELS_MAX X86_64_LEVELS
#define PTKF_ENTRY_LG2 3
#define PTKF_VA_BITS (X86_64_LEVELS == 5 ? 57 : 48)
#define PTKF_OA_BITS 52
#define PTKF_LEAF_LEVELS 0x7u /* 4K, 2M, 1G */
#define PTKF_FEATURES (PTK_FMT_SIGN_EXTEND | PTK_FMT_PROT_SEPARATE)
#define PTKF_SHIFT(l) (12 + 9 * (l))
#define PTKF_BITS(l) 9
#define PTKF_LEAF_OA_MASK(l) (X86_64_ADDR & ~(PTK_BIT(PTKF_SHIFT(l)) - 1))

static inline enum ptk_entry_type
x86_64_classify(const struct ptk_fmt *f, unsigned int level, ptk_pte_t pte)
{
	(void)f;
	if (!(pte & X86_64_P))
		return PTK_ENTRY_EMPTY;
	if (level == 0)
		return PTK_ENTRY_LEAF;
	if (!(pte & X86_64_PS))
		return PTK_ENTRY_TABLE;
	/* PS in a PML4E/PML5E is reserved (Tables 4-14, 4-15). */
	if (level > 2)
		return PTK_ENTRY_INVALID;
	/* Bits between PAT (12) and the frame are reserved (4-16, 4-18). */
	if (pte & PTK_GENMASK(PTKF_SHIFT(level) - 1, 13))
		return PTK_ENTRY_INVALID;
	return PTK_ENTRY_LEAF;
}
#define ptkf_classify x86_64_classify

static inline ptk_oa_t x86_64_table_oa(const struct ptk_fmt *f,
				       unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return pte & X86_64_ADDR;
}
#define ptkf_table_oa x86_64_table_oa

static inline ptk_oa_t x86_64_leaf_oa(const struct ptk_fmt *f,
				      unsigned int level, ptk_pte_t pte)
{
	(void)f;
	return pte & PTKF_LEAF_OA_MASK(level);
}
#define ptkf_leaf_oa x86_64_leaf_oa

static inline ptk_pte_t x86_64_make_table(const struct ptk_fmt *f,
					  unsigned int level, ptk_oa_t oa)
{
	(void)f;
	(void)level;
	/* Non-leaf entries grant everything; the leaf decides. */
	return (oa & X86_64_ADDR) | X86_64_P | X86_64_RW | X86_64_US;
}
#define ptkf_make_table x86_64_make_table

static inline ptk_pte_t x86_64_make_leaf(const struct ptk_fmt *f,
					 unsigned int level, ptk_oa_t oa,
					 ptk_pte_t bits)
{
	(void)f;
	return (oa & PTKF_LEAF_OA_MASK(level)) | bits;
}
#define ptkf_make_leaf x86_64_make_leaf

/* Advance a leaf by one page: the OA field is the address in place. */
static inline ptk_pte_t x86_64_leaf_step(const struct ptk_fmt *f,
					 unsigned int level)
{
	(void)f;
	return PTK_BIT(PTKF_SHIFT(level));
}
#define ptkf_leaf_step x86_64_leaf_step

static inline int x86_64_encode(const struct ptk_fmt *f, unsigned int level,
				const struct ptk_attrs *a, unsigned int flags,
				ptk_pte_t *bits_out)
{
	uint32_t prot = a->prot;
	ptk_pte_t b = X86_64_P;

	(void)f;
	if (prot & ~(uint32_t)(PTK_PROT_RWX | PTK_PROT_USER))
		return PTK_EINVAL;
	if (a->flags &
	    ~(uint32_t)(PTK_ATTR_GLOBAL | PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY))
		return PTK_EINVAL;
	if (a->memtype > 7 || a->sw >= (1u << 14))
		return PTK_EINVAL;
	/* A present x86 page is always readable (SDM 4.6). */
	if (!(prot & PTK_PROT_READ)) {
		if (!(flags & PTK_ENC_SUPERSET))
			return PTK_EPROT;
		prot |= PTK_PROT_READ;
	}
	if (prot & PTK_PROT_WRITE)
		b |= X86_64_RW;
	if (prot & PTK_PROT_USER)
		b |= X86_64_US;
	if (!(prot & PTK_PROT_EXEC))
		b |= X86_64_XD;
	if (a->flags & PTK_ATTR_GLOBAL)
		b |= X86_64_G;
	if (a->flags & PTK_ATTR_ACCESSED)
		b |= X86_64_A;
	if (a->flags & PTK_ATTR_DIRTY)
		b |= X86_64_D;
	if (a->memtype & 1)
		b |= X86_64_PWT;
	if (a->memtype & 2)
		b |= X86_64_PCD;
	if (a->memtype & 4)
		b |= level ? X86_64_PAT_HUGE : X86_64_PAT_4K;
	if (level)
		b |= X86_64_PS;
	b |= ((ptk_pte_t)(a->sw & 0x7) << 9) | ((ptk_pte_t)(a->sw >> 3) << 52);
	*bits_out = b;
	return 0;
}
#define ptkf_encode x86_64_encode

static inline void x86_64_decode(const struct ptk_fmt *f, unsigned int level,
				 ptk_pte_t pte, struct ptk_attrs *a)
{
	ptk_pte_t pat = level ? X86_64_PAT_HUGE : X86_64_PAT_4K;

	(void)f;
	a->prot = PTK_PROT_READ;
	if (pte & X86_64_RW)
		a->prot |= PTK_PROT_WRITE;
	if (pte & X86_64_US)
		a->prot |= PTK_PROT_USER;
	if (!(pte & X86_64_XD))
		a->prot |= PTK_PROT_EXEC;
	a->flags = 0;
	if (pte & X86_64_G)
		a->flags |= PTK_ATTR_GLOBAL;
	if (pte & X86_64_A)
		a->flags |= PTK_ATTR_ACCESSED;
	if (pte & X86_64_D)
		a->flags |= PTK_ATTR_DIRTY;
	a->memtype = (uint32_t)(((pte & X86_64_PWT) ? 1 : 0) |
				((pte & X86_64_PCD) ? 2 : 0) |
				((pte & pat) ? 4 : 0));
	a->sw = (uint32_t)(((pte & X86_64_SW_LO) >> 9) |
			   (((pte & X86_64_SW_HI) >> 52) << 3));
}
#define ptkf_decode x86_64_decode

#if X86_64_LEVELS == 5
#define PTKF_NAME "x86_64_la57"
#define PTKF_DESC "x86-64 5-level paging (LA57), 57-bit VA"
#else
#define PTKF_NAME "x86_64"
#define PTKF_DESC "x86-64 4-level paging, 48-bit VA"
#endif
#define PTKF_LEVEL_NAMES "PT", "PD", "PDPT", "PML4", "PML5"

#endif /* PTK_FMT_X86_64_H */
