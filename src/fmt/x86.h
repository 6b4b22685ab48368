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

#endif /* PTK_FMT_X86_H */
