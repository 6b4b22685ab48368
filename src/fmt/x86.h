/* SPDX-License-Identifier: MIT */
/*
 * What x86 paging's three modes share: the flag bits of an entry and one
 * attribute encode/decode core for 32-bit paging (x86_32.h), PAE paging
 * (x86_pae.h) and 4-level / 5-level paging (x86_64.h). EPT encodes
 * differently and has its own header (x86_ept.h).
 *
 * Intel SDM vol. 3A: Tables 4-4 to 4-6 (32-bit paging), 4-9 to 4-11
 * (PAE), 4-14 to 4-20 (4-level and 5-level paging) give every mode the
 * same flag bits in a leaf: P (0), R/W (1), U/S (2), PWT (3), PCD (4),
 * A (5), D (6), G (8), PAT in bit 7 of a 4 KiB PTE and bit 12 of a huge
 * leaf, PS (7) in a huge leaf, and ignored bits 11:9. PAE and 4/5-level
 * paging add execute-disable in bit 63 (IA32_EFER.NXE = 1); 4/5-level
 * paging also ignores bits 58:52 and carries the protection key in 62:59
 * (section 4.6.2, Table 4-20). Section 4.6: every present page is
 * readable, and without XD executable. Section 4.9.2: the PAT index is
 * PAT << 2 | PCD << 1 | PWT.
 *
 * What ptk_attrs maps to, in every mode:
 *   prot     READ is required (PTK_EPROT without it, unless
 *            PTK_ENC_SUPERSET), and EXEC too where there is no XD.
 *            WRITE -> R/W, USER -> U/S, no EXEC -> XD.
 *   flags    GLOBAL -> G, ACCESSED -> A, DIRTY -> D.
 *   memtype  the PAT index: PWT, PCD and the level's PAT bit.
 *   sw       bits 0-2 -> ignored bits 11:9; with @sw_hi, bits 3.. ->
 *            bits 52.. (4/5-level: 62:52, protection key included).
 */
#ifndef PTK_FMT_X86_H
#define PTK_FMT_X86_H

#include "fmt/fmt_base.h"

enum {
	X86_P = 1 << 0, /* present */
	X86_RW = 1 << 1, /* writable */
	X86_US = 1 << 2, /* user */
	X86_PWT = 1 << 3,
	X86_PCD = 1 << 4,
	X86_A = 1 << 5, /* accessed */
	X86_D = 1 << 6, /* dirty (leaves only) */
	X86_PS = 1 << 7, /* page size in a PDE/PDPTE; PAT in a PTE */
	X86_G = 1 << 8, /* global (leaves only) */
};
#define X86_PAT_4K PTK_BIT(7) /* PAT in a 4 KiB PTE */
#define X86_PAT_HUGE PTK_BIT(12) /* PAT in a 2M/4M/1G leaf */
#define X86_XD PTK_BIT(63) /* execute-disable (PAE, 4/5-level) */
#define X86_SW_LO PTK_GENMASK(11, 9) /* ignored: ptk_attrs.sw bits 0-2 */
#define X86_SW_HI_SHIFT 52 /* ptk_attrs.sw bits 3.. from here */

/* What differs between the modes' leaf encodings. */
struct x86_p {
	bool xd; /* bit 63 is XD */
	unsigned int sw_hi; /* ignored bits carried from bit 52 up */
};

static PTK_ALWAYS_INLINE ptk_pte_t x86_pat_bit(unsigned int level)
{
	return level ? X86_PAT_HUGE : X86_PAT_4K;
}

static PTK_ALWAYS_INLINE int x86_encode(struct x86_p p, unsigned int level,
					const struct ptk_attrs *a,
					unsigned int flags, ptk_pte_t *bits_out)
{
	const uint32_t need = PTK_PROT_READ | (p.xd ? 0 : PTK_PROT_EXEC);
	uint32_t prot = a->prot;
	ptk_pte_t b = X86_P;

	if (prot & ~(uint32_t)(PTK_PROT_RWX | PTK_PROT_USER))
		return PTK_EINVAL;
	if (a->flags &
	    ~(uint32_t)(PTK_ATTR_GLOBAL | PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY))
		return PTK_EINVAL;
	if (a->memtype > 7 || (a->sw >> (3 + p.sw_hi)))
		return PTK_EINVAL;
	/* Present pages are readable, and executable without XD (4.6). */
	if ((prot & need) != need) {
		if (!(flags & PTK_ENC_SUPERSET))
			return PTK_EPROT;
		prot |= need;
	}
	if (prot & PTK_PROT_WRITE)
		b |= X86_RW;
	if (prot & PTK_PROT_USER)
		b |= X86_US;
	if (p.xd && !(prot & PTK_PROT_EXEC))
		b |= X86_XD;
	if (a->flags & PTK_ATTR_GLOBAL)
		b |= X86_G;
	if (a->flags & PTK_ATTR_ACCESSED)
		b |= X86_A;
	if (a->flags & PTK_ATTR_DIRTY)
		b |= X86_D;
	if (a->memtype & 1)
		b |= X86_PWT;
	if (a->memtype & 2)
		b |= X86_PCD;
	if (a->memtype & 4)
		b |= x86_pat_bit(level);
	if (level)
		b |= X86_PS;
	b |= (ptk_pte_t)(a->sw & 0x7) << 9;
	if (p.sw_hi)
		b |= (ptk_pte_t)(a->sw >> 3) << X86_SW_HI_SHIFT;
	*bits_out = b;
	return 0;
}

static PTK_ALWAYS_INLINE void x86_decode(struct x86_p p, unsigned int level,
					 ptk_pte_t pte, struct ptk_attrs *a)
{
	a->prot = PTK_PROT_READ;
	if (pte & X86_RW)
		a->prot |= PTK_PROT_WRITE;
	if (pte & X86_US)
		a->prot |= PTK_PROT_USER;
	if (!p.xd || !(pte & X86_XD))
		a->prot |= PTK_PROT_EXEC;
	a->flags = 0;
	if (pte & X86_G)
		a->flags |= PTK_ATTR_GLOBAL;
	if (pte & X86_A)
		a->flags |= PTK_ATTR_ACCESSED;
	if (pte & X86_D)
		a->flags |= PTK_ATTR_DIRTY;
	a->memtype = (uint32_t)(((pte & X86_PWT) ? 1 : 0) |
				((pte & X86_PCD) ? 2 : 0) |
				((pte & x86_pat_bit(level)) ? 4 : 0));
	a->sw = (uint32_t)((pte & X86_SW_LO) >> 9);
	if (p.sw_hi)
		a->sw |= (uint32_t)(((pte >> X86_SW_HI_SHIFT) &
				     ptk_lg2_mask(p.sw_hi))
				    << 3);
}

/*
 * The machine around the tables, shared by the three modes.
 *
 * CR3 (SDM vol. 3A 4.5, Table 4-12 for 4/5-level paging; 4.3 and 4.4
 * for 32-bit and PAE paging, where CR3 is 32 bits): the root's address,
 * with the PCID or PWT/PCD below it and, in 4/5-level paging, LAM bits
 * 62:61 and the no-flush bit 63 above. CR4 (2.5): PAE (bit 5) selects
 * PAE or 4/5-level paging, LA57 (bit 12) 5-level paging.
 *
 * Non-leaf entries (4.6): R/W clear makes everything below read-only
 * (supervisor writes too, as with CR0.WP = 1), U/S clear makes it
 * supervisor-only, XD set (where XD exists) makes it non-executable.
 *
 * QEMU's monitor lists x86 tables with `info tlb` (flags X G P D A C T
 * U W: XD, G, PS, D, A, PCD, PWT, U/S, R/W; PS only above a 4 KiB PTE,
 * where bit 7 is PAT) and `info mem` (ranges of equal user/write
 * permission).
 */
enum x86_mode {
	X86_MODE_32, /* 32-bit paging */
	X86_MODE_PAE,
	X86_MODE_4L, /* 4-level paging */
	X86_MODE_5L, /* 5-level paging */
};

#define X86_CR4_PAE PTK_BIT(5)
#define X86_CR4_LA57 PTK_BIT(12)
#define X86_CR0_PG PTK_BIT(31) /* paging on (CR0 bit 31) */

#define X86_MACHINES_32 PTK_EM_386, PTK_EM_X86_64
#define X86_LEAF_FLAGS(xd)                                             \
	{ 'X', ~0u, (xd) }, { 'G', ~0u, X86_G }, { 'P', ~1u, X86_PS }, \
		{ 'D', ~0u, X86_D }, { 'A', ~0u, X86_A },              \
		{ 'C', ~0u, X86_PCD }, { 'T', ~0u, X86_PWT },          \
		{ 'U', ~0u, X86_US },                                  \
	{                                                              \
		'W', ~0u, X86_RW                                       \
	}

/* The same in every mode (fmt_api.h): registers, notes, QEMU listings. */
#define PTKF_ROOT_REG "CR3"
#define PTKF_CTRL_REG "CR4"
#define PTKF_NOTE_ROOT "cr3"
#define PTKF_NOTE_CTRL "cr4"
#define PTKF_NOTE_ENABLE "cr0"
#define PTKF_ENABLE_BITS X86_CR0_PG
#define PTKF_LISTINGS (PTK_FMT_LIST_TLB | PTK_FMT_LIST_MEM_PROT)

static PTK_ALWAYS_INLINE uint32_t x86_table_limit(struct x86_p p, ptk_pte_t pte)
{
	uint32_t lim = 0;

	if (!(pte & X86_RW))
		lim |= PTK_LIMIT_NO_WRITE;
	if (!(pte & X86_US))
		lim |= PTK_LIMIT_NO_USER;
	if (p.xd && (pte & X86_XD))
		lim |= PTK_LIMIT_NO_EXEC;
	return lim;
}

static PTK_ALWAYS_INLINE int x86_root_from_cr3(enum x86_mode mode, uint64_t reg,
					       ptk_oa_t *oa_out,
					       struct ptk_fmt_diag *why)
{
	const uint64_t hi = PTK_GENMASK(63, 32), rsvd = PTK_GENMASK(60, 52);

	if (mode == X86_MODE_32 || mode == X86_MODE_PAE) {
		if (reg & hi)
			return ptk_diag(why, "CR3 bits 63:32",
					"0 (CR3 is 32 bits in 32-bit and PAE "
					"paging)",
					PTK_DIAG_FOUND | PTK_DIAG_HEX, 0,
					reg & hi);
		/* PAE: CR3 holds the 32-byte aligned PDPT (4.4.1). */
		*oa_out = reg & (mode == X86_MODE_PAE ? PTK_GENMASK(31, 5)
						      : PTK_GENMASK(31, 12));
		return 0;
	}
	if (reg & rsvd)
		return ptk_diag(why, "CR3 bits 60:52",
				"0 (reserved above a 52-bit physical address)",
				PTK_DIAG_FOUND | PTK_DIAG_HEX, 0, reg & rsvd);
	*oa_out = reg & PTK_GENMASK(51, 12);
	return 0;
}

/* The CR3 value pointing to the top table at @oa: the address itself. */
static PTK_ALWAYS_INLINE int x86_cr3_from_root(enum x86_mode mode, ptk_oa_t oa,
					       uint64_t *reg_out,
					       struct ptk_fmt_diag *why)
{
	const bool narrow = mode == X86_MODE_32 || mode == X86_MODE_PAE;
	const uint64_t keep = mode == X86_MODE_PAE ? PTK_GENMASK(31, 5)
			      : narrow		   ? PTK_GENMASK(31, 12)
						   : PTK_GENMASK(51, 12);

	if (oa & ~keep)
		return ptk_diag(why, "root table address for CR3",
				mode == X86_MODE_PAE
					? "a 32-byte aligned PDPT below 4 GiB"
				: narrow ? "a 4 KiB aligned table below 4 GiB"
					 : "a 4 KiB aligned table below 2^52",
				PTK_DIAG_FOUND | PTK_DIAG_HEX, 0, oa);
	*reg_out = oa;
	return 0;
}

static PTK_ALWAYS_INLINE int x86_check_cr4(enum x86_mode mode, uint64_t cr4,
					   struct ptk_fmt_diag *why)
{
	const unsigned int fl = PTK_DIAG_WANT | PTK_DIAG_FOUND;
	uint64_t pae = (cr4 & X86_CR4_PAE) ? 1 : 0;
	uint64_t la57 = (cr4 & X86_CR4_LA57) ? 1 : 0;

	if (mode == X86_MODE_32 && pae)
		return ptk_diag(why, "CR4.PAE (bit 5)",
				"32-bit paging; 1 selects PAE or 4/5-level "
				"paging",
				fl, 0, pae);
	if (mode != X86_MODE_32 && !pae)
		return ptk_diag(why, "CR4.PAE (bit 5)",
				"PAE or 4/5-level paging; 0 selects 32-bit "
				"paging",
				fl, 1, pae);
	if (mode == X86_MODE_4L && la57)
		return ptk_diag(why, "CR4.LA57 (bit 12)",
				"4-level paging; 1 selects 5-level paging", fl,
				0, la57);
	if (mode == X86_MODE_5L && !la57)
		return ptk_diag(why, "CR4.LA57 (bit 12)",
				"5-level paging; 0 selects 4-level paging", fl,
				1, la57);
	return 0;
}

#endif /* PTK_FMT_X86_H */
