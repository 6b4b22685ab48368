/* SPDX-License-Identifier: MIT */
/*
 * x86 PAE paging: three levels of 8-byte entries translating a 32-bit
 * linear address, with a 4-entry page-directory-pointer table on top, 4 KiB
 * and 2 MiB pages and execute-disable.
 *
 * Implements Intel SDM vol. 3A, section 4.4 "PAE Paging": Table 4-8
 * (PDPTE), Table 4-9 (PDE mapping a 2-MByte page), Table 4-10 (PDE
 * referencing a page table), Table 4-11 (PTE mapping a 4-KByte page);
 * Figures 4-5 and 4-6 for the index fields (PDPT = VA 31:30, PD = VA
 * 29:21, PT = VA 20:12). Section 4.9.2 for the PAT index.
 *
 * Assumptions: IA32_EFER.NXE = 1 (bit 63 is XD in PDEs and PTEs, not
 * reserved), the PAT is supported, and MAXPHYADDR M = 52 as in x86_64.h,
 * so the address field is bits 51:12. Unlike 4-level paging, PAE has no
 * ignored high bits: bits 62:M of a PDE or PTE and bits 63:M of a PDPTE
 * are reserved (must be 0), so entries with them set classify as
 * invalid.
 *
 * A PDPTE (the top level here) has only P, PWT, PCD and the address;
 * bits 2:1 and 8:5 (so R/W, U/S, A, PS) are reserved (Table 4-8). Tables
 * ptkit makes are therefore linked with a PDPTE holding P alone, and
 * with a PDE holding P | R/W | U/S, so the leaf decides every
 * permission. There are no 1 GiB pages.
 *
 * What ptk_attrs maps to (the encoding every x86 mode shares, x86.h):
 *   prot     every present page is readable: READ is required (PTK_EPROT
 *            without it, unless PTK_ENC_SUPERSET). WRITE -> R/W (bit 1),
 *            USER -> U/S (bit 2), no EXEC -> XD (bit 63).
 *   flags    GLOBAL -> G (bit 8), ACCESSED -> A (5), DIRTY -> D (6).
 *   memtype  PAT << 2 | PCD << 1 | PWT: PWT bit 3, PCD bit 4, PAT bit 7
 *            in a PTE, bit 12 in a 2 MiB PDE.
 *   sw       bits 0-2 -> the ignored bits 11:9 (the only ignored bits
 *            in a PAE leaf).
 *
 * Levels: ptkit level 0 = PT (PTE, 4 KiB), 1 = PD (PDE, 2 MiB), 2 = PDPT
 * (4 PDPTEs, 32 bytes, no leaves).
 */
#ifndef PTK_FMT_X86_PAE_H
#define PTK_FMT_X86_PAE_H

#include "fmt/x86.h"

#define X86_PAE_ADDR PTK_GENMASK(51, 12) /* (M-1):12, M = 52 */
#define X86_PAE_RSVD PTK_GENMASK(62, 52) /* 62:M, Tables 4-9..4-11 */
#define X86_PAE_RSVD_2M PTK_GENMASK(20, 13) /* Table 4-9 */
/*
 * Table 4-8: bits 2:1, 8:5 and 63:M of a PDPTE are reserved. Bit 5 is
 * tolerated all the same: real images carry it (QEMU's walker sets the
 * accessed bit in PDPTEs, and the 6.1 PAE kernel's tables in the ground
 * truth have it in all four), and QEMU translates through them.
 */
#define X86_PAE_RSVD_PDPTE \
	(PTK_GENMASK(2, 1) | PTK_GENMASK(8, 6) | PTK_GENMASK(63, 52))
/* Leaf encoding (x86.h): XD in bit 63, no ignored high bits. */
#define X86_PAE_P_ ((struct x86_p){ true, 0 })

/* Geometry, as constant expressions. */
#define PTKF_LEVELS 3
#define PTKF_LEVELS_MAX 3
#define PTKF_ENTRY_LG2 3
#define PTKF_VA_BITS 32
#define PTKF_OA_BITS 52
#define PTKF_LEAF_LEVELS 0x3u /* 4K, 2M */
#define PTKF_FEATURES PTK_FMT_PROT_SEPARATE
#define PTKF_SHIFT(l) (12 + 9 * (l))
#define PTKF_BITS(l) ((l) == 2 ? 2 : 9)
#define PTKF_LEAF_OA_MASK(l) \
	((l) < 2 ? X86_PAE_ADDR & ~(PTK_BIT(PTKF_SHIFT(l)) - 1) : 0)

static inline enum ptk_entry_type
x86_pae_classify(const struct ptk_fmt *f, unsigned int level, ptk_pte_t pte)
{
	(void)f;
	if (!(pte & X86_P))
		return PTK_ENTRY_EMPTY;
	if (level == 2)
		return (pte & X86_PAE_RSVD_PDPTE) ? PTK_ENTRY_INVALID
						  : PTK_ENTRY_TABLE;
	if (pte & X86_PAE_RSVD)
		return PTK_ENTRY_INVALID;
	if (level == 0)
		return PTK_ENTRY_LEAF;
	if (!(pte & X86_PS))
		return PTK_ENTRY_TABLE;
	/* Bits 20:13 of a 2 MiB PDE are reserved: a misaligned frame. */
	if (pte & X86_PAE_RSVD_2M)
		return PTK_ENTRY_INVALID;
	return PTK_ENTRY_LEAF;
}
#define ptkf_classify x86_pae_classify

static inline ptk_oa_t x86_pae_table_oa(const struct ptk_fmt *f,
					unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return pte & X86_PAE_ADDR;
}
#define ptkf_table_oa x86_pae_table_oa

static inline ptk_oa_t x86_pae_leaf_oa(const struct ptk_fmt *f,
				       unsigned int level, ptk_pte_t pte)
{
	(void)f;
	return pte & PTKF_LEAF_OA_MASK(level);
}
#define ptkf_leaf_oa x86_pae_leaf_oa

static inline ptk_pte_t x86_pae_make_table(const struct ptk_fmt *f,
					   unsigned int level, ptk_oa_t oa)
{
	(void)f;
	/* A PDPTE has no R/W or U/S (Table 4-8); a PDE grants all (4-10). */
	if (level == 2)
		return (oa & X86_PAE_ADDR) | X86_P;
	return (oa & X86_PAE_ADDR) | X86_P | X86_RW | X86_US;
}
#define ptkf_make_table x86_pae_make_table

static inline ptk_pte_t x86_pae_make_leaf(const struct ptk_fmt *f,
					  unsigned int level, ptk_oa_t oa,
					  ptk_pte_t bits)
{
	(void)f;
	return (oa & PTKF_LEAF_OA_MASK(level)) | bits;
}
#define ptkf_make_leaf x86_pae_make_leaf

/* Advance a leaf by one page: the OA field is the address in place. */
static inline ptk_pte_t x86_pae_leaf_step(const struct ptk_fmt *f,
					  unsigned int level)
{
	(void)f;
	return PTK_BIT(PTKF_SHIFT(level));
}
#define ptkf_leaf_step x86_pae_leaf_step

static inline int x86_pae_encode(const struct ptk_fmt *f, unsigned int level,
				 const struct ptk_attrs *a, unsigned int flags,
				 ptk_pte_t *bits_out)
{
	(void)f;
	return x86_encode(X86_PAE_P_, level, a, flags, bits_out);
}
#define ptkf_encode x86_pae_encode

static inline void x86_pae_decode(const struct ptk_fmt *f, unsigned int level,
				  ptk_pte_t pte, struct ptk_attrs *a)
{
	(void)f;
	x86_decode(X86_PAE_P_, level, pte, a);
}
#define ptkf_decode x86_pae_decode

/* The machine around the tables (x86.h). */
#define PTKF_MACHINES X86_MACHINES_32
#define PTKF_LEAF_FLAGS X86_LEAF_FLAGS(X86_XD)

static inline uint32_t x86_pae_table_limit(const struct ptk_fmt *f,
					   unsigned int level, ptk_pte_t pte)
{
	(void)f;
	/* A PDPTE has no access rights (Table 4-8). */
	return level == 2 ? 0 : x86_table_limit(X86_PAE_P_, pte);
}
#define ptkf_table_limit x86_pae_table_limit

static inline int x86_pae_root_from_reg(const struct ptk_fmt *f,
					unsigned int root, uint64_t reg,
					ptk_oa_t *oa_out,
					struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_root_from_cr3(X86_MODE_PAE, reg, oa_out, why);
}
#define ptkf_root_from_reg x86_pae_root_from_reg

static inline int x86_pae_reg_from_root(const struct ptk_fmt *f,
					unsigned int root, ptk_oa_t oa,
					uint64_t *reg_out,
					struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_cr3_from_root(X86_MODE_PAE, oa, reg_out, why);
}
#define ptkf_reg_from_root x86_pae_reg_from_root

static inline int x86_pae_check_ctrl(const struct ptk_fmt *f, unsigned int root,
				     uint64_t ctrl, struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_check_cr4(X86_MODE_PAE, ctrl, why);
}
#define ptkf_check_ctrl x86_pae_check_ctrl

#define PTKF_NAME "x86_pae"
#define PTKF_DESC "x86 PAE paging, 3-level, 4K/2M pages, NX"
#define PTKF_LEVEL_NAMES "PT", "PD", "PDPT"

#endif /* PTK_FMT_X86_PAE_H */
