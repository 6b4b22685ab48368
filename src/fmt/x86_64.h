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
 * carried as ptk_attrs.sw: bits 0-2 and 3-13. The attribute encoding is
 * the one all x86 paging modes share (x86.h).
 *
 * Levels: ptkit level 0 = PT (PTE, 4 KiB pages), 1 = PD (PDE, 2 MiB),
 * 2 = PDPT (PDPTE, 1 GiB), 3 = PML4, 4 = PML5 (5-level only).
 *
 * Include once per compilation unit with X86_64_LEVELS defined to 4 or 5;
 * the header defines the ptkf_* format API (src/fmt/fmt_api.h).
 */
#ifndef PTK_FMT_X86_64_H
#define PTK_FMT_X86_64_H

#include "fmt/x86.h"

#if !defined(X86_64_LEVELS) || (X86_64_LEVELS != 4 && X86_64_LEVELS != 5)
#error "define X86_64_LEVELS to 4 or 5 before including x86_64.h"
#endif

#define X86_64_ADDR PTK_GENMASK(51, 12)
/* Leaf encoding (x86.h): XD in bit 63, ignored bits 62:52 -> sw 3-13. */
#define X86_64_P_ ((struct x86_p){ true, 11 })

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
	if (!(pte & X86_P))
		return PTK_ENTRY_EMPTY;
	if (level == 0)
		return PTK_ENTRY_LEAF;
	if (!(pte & X86_PS))
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

/* At level 0 P alone decides: a present PTE is a leaf (no reserved bits
 * below the frame, PAT in bit 7). */
static inline ptk_pte_t x86_64_leaf_bit(const struct ptk_fmt *f,
					unsigned int level)
{
	(void)f;
	return level == 0 ? X86_P : 0;
}
#define ptkf_leaf_bit x86_64_leaf_bit

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
	return (oa & X86_64_ADDR) | X86_P | X86_RW | X86_US;
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
	(void)f;
	return x86_encode(X86_64_P_, level, a, flags, bits_out);
}
#define ptkf_encode x86_64_encode

static inline void x86_64_decode(const struct ptk_fmt *f, unsigned int level,
				 ptk_pte_t pte, struct ptk_attrs *a)
{
	(void)f;
	x86_decode(X86_64_P_, level, pte, a);
}
#define ptkf_decode x86_64_decode

/* The machine around the tables (x86.h). */
#define PTKF_MACHINES PTK_EM_X86_64
#define PTKF_LEAF_FLAGS X86_LEAF_FLAGS(X86_XD)

static inline uint32_t x86_64_table_limit(const struct ptk_fmt *f,
					  unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return x86_table_limit(X86_64_P_, pte);
}
#define ptkf_table_limit x86_64_table_limit

static inline int x86_64_root_from_reg(const struct ptk_fmt *f,
				       unsigned int root, uint64_t reg,
				       ptk_oa_t *oa_out,
				       struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_root_from_cr3((X86_64_LEVELS == 5 ? X86_MODE_5L
						     : X86_MODE_4L),
				 reg, oa_out, why);
}
#define ptkf_root_from_reg x86_64_root_from_reg

static inline int x86_64_reg_from_root(const struct ptk_fmt *f,
				       unsigned int root, ptk_oa_t oa,
				       uint64_t *reg_out,
				       struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_cr3_from_root((X86_64_LEVELS == 5 ? X86_MODE_5L
						     : X86_MODE_4L),
				 oa, reg_out, why);
}
#define ptkf_reg_from_root x86_64_reg_from_root

static inline int x86_64_check_ctrl(const struct ptk_fmt *f, unsigned int root,
				    uint64_t ctrl, struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_check_cr4((X86_64_LEVELS == 5 ? X86_MODE_5L : X86_MODE_4L),
			     ctrl, why);
}
#define ptkf_check_ctrl x86_64_check_ctrl

#if X86_64_LEVELS == 5
#define PTKF_NAME "x86_64_la57"
#define PTKF_DESC "x86-64 5-level paging (LA57), 57-bit VA"
#else
#define PTKF_NAME "x86_64"
#define PTKF_DESC "x86-64 4-level paging, 48-bit VA"
#endif
#define PTKF_LEVEL_NAMES "PT", "PD", "PDPT", "PML4", "PML5"

#endif /* PTK_FMT_X86_64_H */
