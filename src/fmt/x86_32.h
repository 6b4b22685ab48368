/* SPDX-License-Identifier: MIT */
/*
 * x86 32-bit paging: two levels of 4-byte entries, 4 KiB pages and, with
 * CR4.PSE = 1, 4 MiB pages, including the PSE-36 high address bits.
 *
 * Implements Intel SDM vol. 3A, section 4.3 "32-Bit Paging": Table 4-4
 * (PDE mapping a 4-MByte page), Table 4-5 (PDE referencing a page table),
 * Table 4-6 (PTE mapping a 4-KByte page); Figures 4-2 and 4-3 for the
 * index fields (PD = VA 31:22, PT = VA 21:12). Section 4.1.4 for PSE-36
 * and PAT, section 4.9.2 for the PAT index.
 *
 * Assumptions, as an OS that uses these features configures the CPU:
 * CR4.PSE = 1 (bit 7 of a PDE selects a 4 MiB page), the PAT is
 * supported (bit 7 of a PTE and bit 12 of a 4 MiB PDE are PAT), and
 * PSE-36 with M = min(MAXPHYADDR, 40) = 40, so that a 4 MiB PDE holds
 * physical-address bits 39:32 in its bits 20:13 and bit 21 is reserved
 * (Table 4-4, rows "(M-20):13" and "21:(M-19)").
 *
 * Entries are 32 bits; the hooks take and return them zero-extended in a
 * ptk_pte_t, and a value with any of bits 63:32 set is never a valid
 * present entry.
 *
 * What ptk_attrs maps to (the encoding every x86 mode shares, x86.h):
 *   prot     32-bit paging has no execute-disable and no "not readable":
 *            every present page is readable and executable (section 4.6).
 *            READ and EXEC are therefore required: a request without
 *            either fails with PTK_EPROT, or with PTK_ENC_SUPERSET is
 *            widened to include them. WRITE -> R/W (bit 1), USER -> U/S
 *            (bit 2).
 *   flags    GLOBAL -> G (bit 8), ACCESSED -> A (bit 5), DIRTY -> D (6).
 *   memtype  the PAT index PAT << 2 | PCD << 1 | PWT: PWT bit 3, PCD
 *            bit 4, PAT bit 7 in a PTE and bit 12 in a 4 MiB PDE.
 *   sw       bits 0-2 -> the ignored bits 11:9.
 *
 * Output addresses: a 4 KiB page, and every table, must lie below 4 GiB
 * (the entries hold address bits 31:12 only); a 4 MiB page may lie
 * anywhere below 2^40. The format says so with per-level OA limits
 * (PTKF_LEAF_OA_BITS, PTKF_TABLE_OA_BITS): the engine refuses with
 * PTK_ERANGE a 4 KiB leaf, a split, or a table (from a provider such as
 * the host heap of a 64-bit process) that would not fit, rather than
 * truncate it.
 *
 * Levels: ptkit level 0 = PT (PTE, 4 KiB), level 1 = PD (PDE, 4 MiB).
 */
#ifndef PTK_FMT_X86_32_H
#define PTK_FMT_X86_32_H

#include "fmt/x86.h"

#define X86_32_ADDR PTK_GENMASK(31, 12) /* Tables 4-5, 4-6 */
#define X86_32_ADDR_4M PTK_GENMASK(31, 22) /* Table 4-4, PA 31:22 */
#define X86_32_PSE36 PTK_GENMASK(20, 13) /* Table 4-4, PA 39:32 */
#define X86_32_PSE36_SHIFT 19 /* PA bit 32 sits in entry bit 13 */
#define X86_32_RSVD_4M PTK_BIT(21) /* Table 4-4, 21:(M-19), M = 40 */
/* Leaf encoding (x86.h): no XD, no ignored high bits. */
#define X86_32_P_ ((struct x86_p){ false, 0 })
#define X86_32_ENTRY PTK_GENMASK(31, 0)

/* Geometry, as constant expressions. */
#define PTKF_LEVELS 2
#define PTKF_LEVELS_MAX 2
#define PTKF_ENTRY_LG2 2
#define PTKF_VA_BITS 32
#define PTKF_OA_BITS 40 /* 4 MiB leaves, PSE-36 */
#define PTKF_LEAF_OA_BITS(l) ((l) ? 40 : 32)
#define PTKF_TABLE_OA_BITS 32
#define PTKF_LEAF_LEVELS 0x3u /* 4K, 4M */
#define PTKF_FEATURES PTK_FMT_PROT_SEPARATE
#define PTKF_SHIFT(l) (12 + 10 * (l))
#define PTKF_BITS(l) 10
#define PTKF_LEAF_OA_MASK(l) \
	((l) ? (X86_32_ADDR_4M | X86_32_PSE36) : X86_32_ADDR)

static inline enum ptk_entry_type
x86_32_classify(const struct ptk_fmt *f, unsigned int level, ptk_pte_t pte)
{
	(void)f;
	if (!(pte & X86_P))
		return PTK_ENTRY_EMPTY;
	/* Not a 32-bit entry at all. */
	if (pte & ~X86_32_ENTRY)
		return PTK_ENTRY_INVALID;
	if (level == 0)
		return PTK_ENTRY_LEAF;
	if (!(pte & X86_PS))
		return PTK_ENTRY_TABLE;
	/* Bit 21 of a 4 MiB PDE is reserved with M = 40 (Table 4-4). */
	if (pte & X86_32_RSVD_4M)
		return PTK_ENTRY_INVALID;
	return PTK_ENTRY_LEAF;
}
#define ptkf_classify x86_32_classify

/* At level 0 P alone decides for a 32-bit PTE (the table holds nothing
 * wider: the bits above 31 of what the engine reads are 0). */
static inline ptk_pte_t x86_32_leaf_bit(const struct ptk_fmt *f,
					unsigned int level)
{
	(void)f;
	return level == 0 ? X86_P : 0;
}
#define ptkf_leaf_bit x86_32_leaf_bit

static inline ptk_oa_t x86_32_table_oa(const struct ptk_fmt *f,
				       unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return pte & X86_32_ADDR;
}
#define ptkf_table_oa x86_32_table_oa

static inline ptk_oa_t x86_32_leaf_oa(const struct ptk_fmt *f,
				      unsigned int level, ptk_pte_t pte)
{
	(void)f;
	if (!level)
		return pte & X86_32_ADDR;
	/* PA 31:22 in place, PA 39:32 from bits 20:13 (Table 4-4). */
	return (pte & X86_32_ADDR_4M) |
	       ((pte & X86_32_PSE36) << X86_32_PSE36_SHIFT);
}
#define ptkf_leaf_oa x86_32_leaf_oa

static inline ptk_pte_t x86_32_make_table(const struct ptk_fmt *f,
					  unsigned int level, ptk_oa_t oa)
{
	(void)f;
	(void)level;
	/* Non-leaf entries grant everything; the leaf decides (4.6). */
	return (oa & X86_32_ADDR) | X86_P | X86_RW | X86_US;
}
#define ptkf_make_table x86_32_make_table

static inline ptk_pte_t x86_32_make_leaf(const struct ptk_fmt *f,
					 unsigned int level, ptk_oa_t oa,
					 ptk_pte_t bits)
{
	(void)f;
	if (!level)
		return (oa & X86_32_ADDR) | bits;
	return (oa & X86_32_ADDR_4M) |
	       ((oa >> X86_32_PSE36_SHIFT) & X86_32_PSE36) | bits;
}
#define ptkf_make_leaf x86_32_make_leaf

/*
 * Advance a leaf by one page. A PTE's address is a plain field; a 4 MiB
 * PDE's is split (PA 39:32 sit below PA 31:22), so adding to it would
 * carry out of bit 31 instead of into bit 13: no step there.
 */
static inline ptk_pte_t x86_32_leaf_step(const struct ptk_fmt *f,
					 unsigned int level)
{
	(void)f;
	return level ? 0 : PTK_BIT(12);
}
#define ptkf_leaf_step x86_32_leaf_step

static inline int x86_32_encode(const struct ptk_fmt *f, unsigned int level,
				const struct ptk_attrs *a, unsigned int flags,
				ptk_pte_t *bits_out)
{
	(void)f;
	return x86_encode(X86_32_P_, level, a, flags, bits_out);
}
#define ptkf_encode x86_32_encode

static inline void x86_32_decode(const struct ptk_fmt *f, unsigned int level,
				 ptk_pte_t pte, struct ptk_attrs *a)
{
	(void)f;
	x86_decode(X86_32_P_, level, pte, a);
}
#define ptkf_decode x86_32_decode

/* The machine around the tables (x86.h). */
#define PTKF_MACHINES X86_MACHINES_32
#define PTKF_LEAF_FLAGS X86_LEAF_FLAGS(0)

static inline uint32_t x86_32_table_limit(const struct ptk_fmt *f,
					  unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return x86_table_limit(X86_32_P_, pte);
}
#define ptkf_table_limit x86_32_table_limit

static inline int x86_32_root_from_reg(const struct ptk_fmt *f,
				       unsigned int root, uint64_t reg,
				       ptk_oa_t *oa_out,
				       struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_root_from_cr3(X86_MODE_32, reg, oa_out, why);
}
#define ptkf_root_from_reg x86_32_root_from_reg

static inline int x86_32_reg_from_root(const struct ptk_fmt *f,
				       unsigned int root, ptk_oa_t oa,
				       uint64_t *reg_out,
				       struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_cr3_from_root(X86_MODE_32, oa, reg_out, why);
}
#define ptkf_reg_from_root x86_32_reg_from_root

static inline int x86_32_check_ctrl(const struct ptk_fmt *f, unsigned int root,
				    uint64_t ctrl, struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return x86_check_cr4(X86_MODE_32, ctrl, why);
}
#define ptkf_check_ctrl x86_32_check_ctrl

#define PTKF_NAME "x86_32"
#define PTKF_DESC "x86 32-bit paging, 4K/4M pages, PSE-36"
#define PTKF_LEVEL_NAMES "PT", "PD"

#endif /* PTK_FMT_X86_32_H */
