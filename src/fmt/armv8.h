/* SPDX-License-Identifier: MIT */
/*
 * Arm VMSAv8-64 translation tables (AArch64, 64-bit descriptors), stage 1
 * and stage 2, 4K / 16K / 64K granules, 48-bit and 52-bit output
 * addresses (FEAT_LPA with the 64K granule, FEAT_LPA2 with TCR.DS = 1).
 *
 * Implements the Arm Architecture Reference Manual for A-profile (DDI
 * 0487), chapter D8 "The AArch64 Virtual Memory System Architecture"
 * (section and table numbers as of issue K.a):
 *   D8.2   translation granules, lookup levels, the initial lookup level
 *          from TxSZ, concatenated stage 2 initial tables
 *   D8.3.1 descriptor formats: Table D8-48 (descriptor type), D8-50 and
 *          D8-51 (stage 1 / stage 2 Table descriptors), D8-52 and D8-53
 *          (stage 1 / stage 2 Block and Page descriptors)
 *   D8.4   Direct permissions: Table D8-63 (AP[2:1]), D8.4.1.2.3 (UXN,
 *          PXN), the stage 2 S2AP and XN fields
 *   D8.6   shareability and memory type fields (SH, AttrIndx, MemAttr)
 *   D8.7.1 the Contiguous bit: Table D8-104 (group sizes) and the levels
 *          where it is RES0
 *
 * Levels: ptkit level l is Arm lookup level 3 - l: level 0 = L3 (pages),
 * 1 = L2, 2 = L1, 3 = L0, 4 = L-1 (FEAT_LPA2, 4K granule only). The top
 * level decodes whatever VA bits are left (a two-entry L0 for 16K at 48
 * bits, a 16-entry L-1 for 4K at 52 bits); a stage 2 top level may decode
 * up to 4 more bits than a granule holds (up to 16 concatenated tables).
 *
 * Output address field (Tables D8-50..53), granule 2^g:
 *   48-bit OA     descriptor bits 47:g hold OA[47:g]; 49:48 are RES0
 *   FEAT_LPA      (64K, TCR.IPS = 52 bits) bits 47:16 hold OA[47:16],
 *                 bits 15:12 hold OA[51:48], in tables and leaves
 *   FEAT_LPA2     (4K/16K, TCR.DS = 1) bits 49:g hold OA[49:g], bits 9:8
 *                 hold OA[51:50]; shareability then comes from TCR.SHx
 *
 * Descriptor type (bits 1:0, Table D8-48): 0bx0 invalid (ptkit: empty;
 * the other bits are left to software), 0b11 a table above L3 and a page
 * at L3, 0b01 a block where the granule allows one (4K: L1 1G, L2 2M,
 * L0 512G with LPA2; 16K: L2 32M, L1 64G with LPA2; 64K: L2 512M, L1 4T
 * with LPA) and reserved (INVALID) at L3 or where no block is allowed.
 *
 * Format-neutral attributes, stage 1 (the EL1&0 regime: two privilege
 * levels; an EL2-only regime with AP[1] RES1 is not modelled):
 *   PTK_PROT_READ   always: a valid stage 1 entry is readable at EL1.
 *                   A request without it fails with PTK_EPROT unless
 *                   PTK_ENC_SUPERSET.
 *   PTK_PROT_WRITE  AP[2] (bit 7) = 0
 *   PTK_PROT_USER   AP[1] (bit 6) = 1: EL0 gets the same data access
 *   PTK_PROT_EXEC   with USER: UXN (bit 54) = 0 and PXN (bit 53) = 1 (the
 *                   kernel never executes user memory, as Linux maps it;
 *                   the architecture also removes PrivExecute from
 *                   EL0-writable memory, D8.4.1.2.3); without USER: PXN = 0,
 *                   UXN = 1. No EXEC: UXN = PXN = 1.
 *                   Decoding reads UXN for USER entries and PXN otherwise;
 *                   the other XN bit of a foreign entry is normalised when
 *                   the engine re-encodes it (split, contiguous unfold).
 *   PTK_ATTR_ACCESSED  AF (bit 10)
 *   PTK_ATTR_GLOBAL    nG (bit 11) = 0
 *   PTK_ATTR_DIRTY     DBM (bit 51): the entry takes part in hardware
 *                      dirty-state management (with AP[2] = 1 it is
 *                      writable-clean and a write clears AP[2]). A page is
 *                      "dirty" in the Linux sense when DBM = 1 and
 *                      AP[2] = 0, i.e. DIRTY and WRITE. So ptk_harvest()
 *                      of PTK_ATTR_DIRTY reports and clears DBM itself;
 *                      to log writes on Arm, write-protect the range
 *                      (ptk_protect) and read WRITE back instead.
 *   memtype  bits 2:0 = AttrIndx[2:0] (bits 4:2, an index into MAIR_ELx),
 *            bits 4:3 = SH[1:0] (bits 9:8; 0b00 non-, 0b10 outer, 0b11
 *            inner shareable, 0b01 reserved -> PTK_EINVAL). With LPA2,
 *            SH is in TCR and memtype is AttrIndx only (0..7). Linux
 *            normal memory is 0x18 (AttrIndx 0, inner shareable).
 *   sw       11 bits: 3:0 = bits 58:55 (reserved for software use),
 *            7:4 = bits 62:59 (PBHA / IGNORED), 8 = bit 63 (software use
 *            in Non-secure state), 9 = bit 50 (GP, FEAT_BTI guarded
 *            page), 10 = bit 5 (NS; RES0 in Non-secure state). They are
 *            carried as they are, so that every valid leaf round-trips.
 *
 * Stage 2 (a hypervisor's IPA -> PA tables, Table D8-53):
 *   PTK_PROT_READ   S2AP[0] (bit 6)
 *   PTK_PROT_WRITE  S2AP[1] (bit 7); write-only is expressible
 *   PTK_PROT_EXEC   XN (bit 54, XN[1] with FEAT_XNX) = 0
 *   PTK_PROT_USER   always: stage 2 applies to EL0 and EL1 of the guest
 *                   alike. Without it -> PTK_EPROT unless SUPERSET.
 *   PTK_ATTR_GLOBAL always: stage 2 entries are not tied to an ASID (they
 *                   are tagged by VMID only). Without it -> PTK_EPROT
 *                   unless SUPERSET.
 *   PTK_ATTR_ACCESSED AF (bit 10), PTK_ATTR_DIRTY DBM (bit 51; the
 *                   written state is S2AP[1] set by hardware, as above)
 *   memtype  bits 3:0 = MemAttr[3:0] (bits 5:2; 0xf is normal write-back
 *            without FEAT_S2FWB, 0x0 Device-nGnRnE), bits 5:4 = SH[1:0]
 *            (0b01 reserved); with LPA2 MemAttr only (0..15). KVM's
 *            normal memory is 0x3f.
 *   sw       10 bits: 3:0 = bits 58:55 (software use; 55 is NS in Realm
 *            state), 7:4 = bits 62:59 (reserved for a System MMU / PBHA),
 *            8 = bit 53 (XN[0], FEAT_XNX: with it, XN[1:0] = 0b01 keeps
 *            EL0 execution only and 0b11 keeps EL1 execution only; PROT_EXEC
 *            reports XN[1] alone), 9 = bit 11 (FnXS, FEAT_XS).
 *
 * Table descriptors are written as 0b11 and the next-level address, with
 * APTable, UXNTable, PXNTable and NSTable zero (no hierarchical limits);
 * any value of those is accepted when reading.
 *
 * Reported INVALID (PTK_ENTRY_INVALID), as the manual makes them RES0 or
 * reserved: 0b01 at L3; a block at a level that allows none; OA bits
 * below the block size set (descriptor bits [size-1:12], which include
 * nT, FEAT_BBML1, and the 16K/64K bits below the granule); bits 49:48
 * without LPA2; SH = 0b01; the Contiguous bit at a level without
 * contiguous groups (where the manual makes it RES0: 4K L0, 16K L1 with
 * LPA2, 64K L1 with LPA); an OA at or above 2^oa_bits; stage 2 leaf bits
 * 50 and 63; stage 2 table bits 63:59 (stage 2 Direct permissions, no
 * FEAT_S2PIE); table bit 50 and the table bits RES0 like the leaf's.
 *
 * Contiguous groups (Table D8-104): 4K: 16 entries at L3, L2, L1 (64K,
 * 32M, 16G); 16K: 128 at L3 (2M), 32 at L2 (1G); 64K: 32 at L3 (2M) and
 * L2 (16G). A group is never used at a top level too small to hold one.
 *
 * Include with ARMV8_GRANULE_K (4, 16 or 64), ARMV8_VA_BITS, ARMV8_OA_BITS
 * (48 or 52) and ARMV8_STAGE (1 or 2) defined for a specialised instance
 * (a stage 2 instance's VA is the IPA; its start level is the one the
 * granule needs with at most one concatenated table); without them, only
 * the shared inline core is defined (src/fmt/armv8_rt.c).
 */
#ifndef PTK_FMT_ARMV8_H
#define PTK_FMT_ARMV8_H

#include "fmt/fmt_base.h"

/* How the output address is held (see above). */
#define ARMV8_PA48 0u
#define ARMV8_LPA 1u
#define ARMV8_LPA2 2u

#define ARMV8_VALID PTK_BIT(0)
#define ARMV8_TYPE PTK_BIT(1) /* table above L3, page at L3 */
#define ARMV8_ATTRINDX PTK_GENMASK(4, 2) /* stage 1 */
#define ARMV8_MEMATTR PTK_GENMASK(5, 2) /* stage 2 */
#define ARMV8_NS PTK_BIT(5) /* stage 1 */
#define ARMV8_AP1 PTK_BIT(6) /* stage 1 AP[1]; stage 2 S2AP[0] (read) */
#define ARMV8_AP2 PTK_BIT(7) /* stage 1 AP[2]; stage 2 S2AP[1] (write) */
#define ARMV8_SH PTK_GENMASK(9, 8) /* or OA[51:50] with LPA2 */
#define ARMV8_AF PTK_BIT(10)
#define ARMV8_NG PTK_BIT(11) /* stage 1 nG; stage 2 FnXS */
#define ARMV8_GP PTK_BIT(50) /* stage 1; RES0 at stage 2 */
#define ARMV8_DBM PTK_BIT(51)
#define ARMV8_CONT PTK_BIT(52)
#define ARMV8_PXN PTK_BIT(53) /* stage 1 PXN; stage 2 XN[0] */
#define ARMV8_UXN PTK_BIT(54) /* stage 1 UXN; stage 2 XN (XN[1]) */
#define ARMV8_SWBITS PTK_GENMASK(58, 55)
#define ARMV8_PBHA PTK_GENMASK(62, 59)
#define ARMV8_BIT63 PTK_BIT(63)

#define ARMV8_S1_SW_BITS 11
#define ARMV8_S2_SW_BITS 10

/* Level l's shift for granule 2^g. */
#define ARMV8_SHIFT_(g, l) ((g) + ((g)-3) * (l))
/* Bits below 2^s, s < 64 (the mask is only ever wanted for such s). */
#define ARMV8_LOW_(s) (PTK_BIT((s)&63) - 1)
/* Highest descriptor bit of the in-place OA field. */
#define ARMV8_ADDR_HI_(mode) ((mode) == ARMV8_LPA2 ? 49 : 47)
/* OA bits held outside the in-place field. */
#define ARMV8_OA_EXTRA_(mode)                         \
	((mode) == ARMV8_LPA	? PTK_GENMASK(15, 12) \
	 : (mode) == ARMV8_LPA2 ? PTK_GENMASK(9, 8)   \
				: (uint64_t)0)
/* Descriptor bits that hold a leaf's OA when the leaf maps 2^s bytes. */
#define ARMV8_LEAF_OA_MASK_(mode, s)                               \
	((PTK_GENMASK(ARMV8_ADDR_HI_(mode), 0) & ~ARMV8_LOW_(s)) | \
	 ARMV8_OA_EXTRA_(mode))
/* Levels that may hold leaves (pages and blocks), D8.3.1.2. */
#define ARMV8_LEAF_LEVELS_(g, mode)                                \
	((g) == 12   ? (0x7u | ((mode) == ARMV8_LPA2 ? 0x8u : 0u)) \
	 : (g) == 14 ? (0x3u | ((mode) == ARMV8_LPA2 ? 0x4u : 0u)) \
		     : (0x3u | ((mode) == ARMV8_LPA ? 0x4u : 0u)))
/*
 * log2 of the contiguous group at level l (Table D8-104), 0 where the
 * level has no groups (including the LPA/LPA2 blocks where the
 * Contiguous bit is RES0, D8.7.1).
 */
#define ARMV8_CONT_LG2_(g, l)               \
	((g) == 12   ? ((l) <= 2 ? 4u : 0u) \
	 : (g) == 14 ? ((l) == 0   ? 7u     \
			: (l) == 1 ? 5u     \
				   : 0u)    \
		     : ((l) <= 1 ? 5u : 0u))

/* The variant parameters every hook needs. */
struct armv8_p {
	unsigned int g; /* granule lg2: 12, 14 or 16 */
	unsigned int stage; /* 1 or 2 */
	unsigned int mode; /* ARMV8_PA48, ARMV8_LPA, ARMV8_LPA2 */
	unsigned int oa_bits; /* PA/IPA size; <= the field's capacity */
};

static PTK_ALWAYS_INLINE unsigned int armv8_oa_cap(struct armv8_p p)
{
	return p.mode == ARMV8_PA48 ? 48 : 52;
}

/* An OA as descriptor bits (table address or leaf base). */
static PTK_ALWAYS_INLINE ptk_pte_t armv8_pack(struct armv8_p p, ptk_oa_t oa)
{
	if (p.mode == ARMV8_LPA)
		return (oa & PTK_GENMASK(47, 16)) |
		       ((oa >> 36) & PTK_GENMASK(15, 12));
	if (p.mode == ARMV8_LPA2)
		return (oa & PTK_GENMASK(49, p.g)) |
		       ((oa >> 42) & PTK_GENMASK(9, 8));
	return oa & PTK_GENMASK(47, p.g);
}

/* The OA descriptor bits @pte hold (granule-aligned). */
static PTK_ALWAYS_INLINE ptk_oa_t armv8_unpack(struct armv8_p p, ptk_pte_t pte)
{
	if (p.mode == ARMV8_LPA)
		return (pte & PTK_GENMASK(47, 16)) |
		       ((pte & PTK_GENMASK(15, 12)) << 36);
	if (p.mode == ARMV8_LPA2)
		return (pte & PTK_GENMASK(49, p.g)) |
		       ((pte & PTK_GENMASK(9, 8)) << 42);
	return pte & PTK_GENMASK(47, p.g);
}

/* RES0 bits of a Table descriptor (Tables D8-50, D8-51). */
static PTK_ALWAYS_INLINE ptk_pte_t armv8_table_res0(struct armv8_p p)
{
	ptk_pte_t m = ARMV8_GP;

	if (p.mode != ARMV8_LPA2)
		m |= PTK_GENMASK(49, 48);
	if (p.g > 12 && p.mode != ARMV8_LPA)
		m |= PTK_GENMASK(p.g - 1, 12);
	if (p.stage == 2)
		m |= PTK_GENMASK(63, 59);
	return m;
}

/* RES0 bits of a leaf mapping 2^@s bytes (Tables D8-52, D8-53). */
static PTK_ALWAYS_INLINE ptk_pte_t armv8_leaf_res0(struct armv8_p p,
						   unsigned int s)
{
	/* Below the block size: RES0, nT, and 16K/64K page bits < g. */
	ptk_pte_t m = ARMV8_LOW_(s) & ~ARMV8_LOW_(12);

	if (p.mode == ARMV8_LPA)
		m &= ~PTK_GENMASK(15, 12); /* OA[51:48] */
	if (p.mode != ARMV8_LPA2)
		m |= PTK_GENMASK(49, 48);
	if (p.stage == 2)
		m |= ARMV8_GP | ARMV8_BIT63;
	return m;
}

/*
 * What @pte is at level @l. @leaf_levels says where leaves may be;
 * @cont whether level @l has contiguous groups.
 */
static PTK_ALWAYS_INLINE enum ptk_entry_type
armv8_classify(struct armv8_p p, uint32_t leaf_levels, bool cont,
	       unsigned int l, ptk_pte_t pte)
{
	unsigned int s = ARMV8_SHIFT_(p.g, l);
	bool check_oa = p.oa_bits < armv8_oa_cap(p);

	if (!(pte & ARMV8_VALID))
		return PTK_ENTRY_EMPTY;
	if (l > 0 && (pte & ARMV8_TYPE)) {
		if (pte & armv8_table_res0(p))
			return PTK_ENTRY_INVALID;
		if (check_oa && (armv8_unpack(p, pte) >> p.oa_bits))
			return PTK_ENTRY_INVALID;
		return PTK_ENTRY_TABLE;
	}
	/* 0b01 at L3 is reserved; a block only where the granule has one. */
	if (l == 0 ? !(pte & ARMV8_TYPE) : !((leaf_levels >> l) & 1))
		return PTK_ENTRY_INVALID;
	if (pte & armv8_leaf_res0(p, s))
		return PTK_ENTRY_INVALID;
	if (!cont && (pte & ARMV8_CONT))
		return PTK_ENTRY_INVALID;
	if (p.mode != ARMV8_LPA2 && (pte & ARMV8_SH) == PTK_BIT(8))
		return PTK_ENTRY_INVALID;
	if (check_oa &&
	    (armv8_unpack(p, pte & ARMV8_LEAF_OA_MASK_(p.mode, s)) >>
	     p.oa_bits))
		return PTK_ENTRY_INVALID;
	return PTK_ENTRY_LEAF;
}

static PTK_ALWAYS_INLINE ptk_oa_t armv8_leaf_oa(struct armv8_p p,
						unsigned int l, ptk_pte_t pte)
{
	unsigned int s = ARMV8_SHIFT_(p.g, l);

	return armv8_unpack(p, pte & ARMV8_LEAF_OA_MASK_(p.mode, s));
}

static PTK_ALWAYS_INLINE ptk_pte_t armv8_make_leaf(struct armv8_p p,
						   unsigned int l, ptk_oa_t oa,
						   ptk_pte_t bits)
{
	unsigned int s = ARMV8_SHIFT_(p.g, l);

	return (armv8_pack(p, oa) & ARMV8_LEAF_OA_MASK_(p.mode, s)) | bits;
}

static PTK_ALWAYS_INLINE ptk_pte_t armv8_make_table(struct armv8_p p,
						    ptk_oa_t oa)
{
	/* APTable, UXNTable, PXNTable, NSTable all 0: no limits below. */
	return armv8_pack(p, oa) | ARMV8_VALID | ARMV8_TYPE;
}

static PTK_ALWAYS_INLINE ptk_pte_t armv8_contig_entry(struct armv8_p p,
						      unsigned int l,
						      ptk_pte_t first,
						      unsigned int j)
{
	/*
	 * The group's OA is aligned to the group, so adding j pages only
	 * changes in-place OA bits below the group size: no carry into
	 * the LPA/LPA2 bits.
	 */
	return (first + ((ptk_pte_t)j << ARMV8_SHIFT_(p.g, l))) | ARMV8_CONT;
}

static PTK_ALWAYS_INLINE int armv8_encode(struct armv8_p p, unsigned int l,
					  const struct ptk_attrs *a,
					  unsigned int flags,
					  ptk_pte_t *bits_out)
{
	uint32_t prot = a->prot, fl = a->flags, mt = a->memtype, sh;
	ptk_pte_t b = ARMV8_VALID | (l == 0 ? ARMV8_TYPE : 0);

	if (prot & ~(uint32_t)(PTK_PROT_RWX | PTK_PROT_USER))
		return PTK_EINVAL;
	if (fl &
	    ~(uint32_t)(PTK_ATTR_GLOBAL | PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY))
		return PTK_EINVAL;
	if (p.stage == 1) {
		if (a->sw >> ARMV8_S1_SW_BITS)
			return PTK_EINVAL;
		sh = mt >> 3;
		if (p.mode == ARMV8_LPA2 ? sh != 0 : (sh > 3 || sh == 1))
			return PTK_EINVAL;
		/* A valid stage 1 entry is always readable at EL1. */
		if (!(prot & PTK_PROT_READ) && !(flags & PTK_ENC_SUPERSET))
			return PTK_EPROT;
		if (!(prot & PTK_PROT_WRITE))
			b |= ARMV8_AP2;
		if (prot & PTK_PROT_USER)
			b |= ARMV8_AP1 | ARMV8_PXN |
			     ((prot & PTK_PROT_EXEC) ? 0 : ARMV8_UXN);
		else
			b |= ARMV8_UXN |
			     ((prot & PTK_PROT_EXEC) ? 0 : ARMV8_PXN);
		if (!(fl & PTK_ATTR_GLOBAL))
			b |= ARMV8_NG;
		b |= (ptk_pte_t)(mt & 7) << 2;
		b |= (ptk_pte_t)(a->sw & 0xff) << 55; /* 58:55, 62:59 */
		b |= (ptk_pte_t)((a->sw >> 8) & 1) << 63;
		b |= (ptk_pte_t)((a->sw >> 9) & 1) << 50;
		b |= (ptk_pte_t)((a->sw >> 10) & 1) << 5;
	} else {
		if (a->sw >> ARMV8_S2_SW_BITS)
			return PTK_EINVAL;
		sh = mt >> 4;
		if (p.mode == ARMV8_LPA2 ? sh != 0 : (sh > 3 || sh == 1))
			return PTK_EINVAL;
		/* Stage 2 grants every guest EL alike, for every ASID. */
		if ((!(prot & PTK_PROT_USER) || !(fl & PTK_ATTR_GLOBAL)) &&
		    !(flags & PTK_ENC_SUPERSET))
			return PTK_EPROT;
		if (prot & PTK_PROT_READ)
			b |= ARMV8_AP1;
		if (prot & PTK_PROT_WRITE)
			b |= ARMV8_AP2;
		if (!(prot & PTK_PROT_EXEC))
			b |= ARMV8_UXN;
		b |= (ptk_pte_t)(mt & 15) << 2;
		b |= (ptk_pte_t)(a->sw & 0xff) << 55; /* 58:55, 62:59 */
		b |= (ptk_pte_t)((a->sw >> 8) & 1) << 53;
		b |= (ptk_pte_t)((a->sw >> 9) & 1) << 11;
	}
	b |= (ptk_pte_t)sh << 8;
	if (fl & PTK_ATTR_ACCESSED)
		b |= ARMV8_AF;
	if (fl & PTK_ATTR_DIRTY)
		b |= ARMV8_DBM;
	*bits_out = b;
	return 0;
}

static PTK_ALWAYS_INLINE void armv8_decode(struct armv8_p p, ptk_pte_t pte,
					   struct ptk_attrs *a)
{
	uint32_t sh = p.mode == ARMV8_LPA2 ? 0 : (uint32_t)((pte >> 8) & 3);

	a->flags = 0;
	if (p.stage == 1) {
		a->prot = PTK_PROT_READ;
		if (!(pte & ARMV8_AP2))
			a->prot |= PTK_PROT_WRITE;
		if (pte & ARMV8_AP1)
			a->prot |= PTK_PROT_USER;
		if (!(pte & ((pte & ARMV8_AP1) ? ARMV8_UXN : ARMV8_PXN)))
			a->prot |= PTK_PROT_EXEC;
		if (!(pte & ARMV8_NG))
			a->flags |= PTK_ATTR_GLOBAL;
		a->memtype = (uint32_t)((pte >> 2) & 7) | (sh << 3);
		a->sw = (uint32_t)(((pte >> 55) & 0xff) |
				   (((pte >> 63) & 1) << 8) |
				   (((pte >> 50) & 1) << 9) |
				   (((pte >> 5) & 1) << 10));
	} else {
		a->prot = PTK_PROT_USER;
		if (pte & ARMV8_AP1)
			a->prot |= PTK_PROT_READ;
		if (pte & ARMV8_AP2)
			a->prot |= PTK_PROT_WRITE;
		if (!(pte & ARMV8_UXN))
			a->prot |= PTK_PROT_EXEC;
		a->flags |= PTK_ATTR_GLOBAL;
		a->memtype = (uint32_t)((pte >> 2) & 15) | (sh << 4);
		a->sw = (uint32_t)(((pte >> 55) & 0xff) |
				   (((pte >> 53) & 1) << 8) |
				   (((pte >> 11) & 1) << 9));
	}
	if (pte & ARMV8_AF)
		a->flags |= PTK_ATTR_ACCESSED;
	if (pte & ARMV8_DBM)
		a->flags |= PTK_ATTR_DIRTY;
}

#define ARMV8_LEVEL_NAMES "L3", "L2", "L1", "L0", "L-1"

/*
 * The machine around the tables.
 *
 * Stage 1 Table descriptors (Table D8-50, D8.4.1.3 hierarchical
 * permissions): APTable[1] (bit 62) removes write permission below,
 * APTable[0] (bit 61) EL0 access, UXNTable (60) EL0 execution, PXNTable
 * (59) EL1 execution. (TCR_ELx.HPDx = 1 disables them; not modelled.)
 * Stage 2 Table descriptors have no permission bits.
 */
static PTK_ALWAYS_INLINE uint32_t armv8_table_limit(struct armv8_p p,
						    ptk_pte_t pte)
{
	uint32_t lim = 0;

	if (p.stage != 1)
		return 0;
	if (pte & PTK_BIT(62))
		lim |= PTK_LIMIT_NO_WRITE;
	if (pte & PTK_BIT(61))
		lim |= PTK_LIMIT_NO_USER;
	if (pte & PTK_BIT(60))
		lim |= PTK_LIMIT_NO_USER_EXEC;
	if (pte & PTK_BIT(59))
		lim |= PTK_LIMIT_NO_PRIV_EXEC;
	return lim;
}

/*
 * TTBRn_ELx and VTTBR_EL2 (D19.2): ASID or VMID in 63:48, BADDR in 47:1,
 * CnP in bit 0. The initial table is aligned to its size, 2^@root_lg2
 * bytes: BADDR bits below that are RES0. With a 52-bit OA (FEAT_LPA,
 * FEAT_LPA2) bits 5:2 hold BADDR[51:48] and the table is aligned to at
 * least 64 bytes (D8.2.5.2).
 */
static PTK_ALWAYS_INLINE int armv8_root_from_reg(struct armv8_p p,
						 unsigned int root_lg2,
						 uint64_t reg, ptk_oa_t *oa_out,
						 struct ptk_fmt_diag *why)
{
	const unsigned int fl = PTK_DIAG_FOUND | PTK_DIAG_HEX;
	unsigned int x = root_lg2;
	ptk_oa_t oa;
	uint64_t low;

	if (armv8_oa_cap(p) > 48) {
		if (x < 6)
			x = 6;
		oa = (reg & PTK_GENMASK(47, x)) | (((reg >> 2) & 0xf) << 48);
		low = x > 6 ? reg & PTK_GENMASK(x - 1, 6) : 0;
	} else {
		oa = reg & PTK_GENMASK(47, x);
		low = reg & PTK_GENMASK(x - 1, 1);
	}
	if (low)
		return ptk_diag(why,
				p.stage == 1 ? "TTBR BADDR below the initial "
					       "table's size"
					     : "VTTBR BADDR below the initial "
					       "table's size",
				"0 (RES0: the table is aligned to its size)",
				fl, 0, low);
	if (p.oa_bits < 64 && (oa >> p.oa_bits))
		return ptk_diag(why,
				p.stage == 1 ? "TTBR BADDR" : "VTTBR BADDR",
				"an address below 2^oa_bits", fl, 0, oa);
	*oa_out = oa;
	return 0;
}

/* The TTBR / VTTBR value for the initial table at @oa (ASID/VMID 0). */
static PTK_ALWAYS_INLINE int armv8_reg_from_root(struct armv8_p p,
						 unsigned int root_lg2,
						 ptk_oa_t oa, uint64_t *reg_out,
						 struct ptk_fmt_diag *why)
{
	unsigned int x = root_lg2, cap = armv8_oa_cap(p);
	unsigned int bits = p.oa_bits < cap ? p.oa_bits : cap;

	if (cap > 48 && x < 6)
		x = 6;
	if ((oa & PTK_GENMASK(x - 1, 0)) || (oa >> bits))
		return ptk_diag(why,
				p.stage == 1 ? "root table address for TTBR"
					     : "root table address for VTTBR",
				"aligned to the initial table's size, below "
				"2^oa_bits",
				PTK_DIAG_FOUND | PTK_DIAG_HEX, 0, oa);
	*reg_out = cap > 48
			   ? (oa & PTK_GENMASK(47, x)) | ((oa >> 48) & 0xf) << 2
			   : oa;
	return 0;
}

/*
 * TCR_EL1.TBI0 (bit 37) and TBI1 (bit 38): the top byte of addresses in
 * the TTBR0 / TTBR1 range is ignored. Stage 2 has no such bit.
 */
static PTK_ALWAYS_INLINE unsigned int
armv8_ctrl_va_flags(struct armv8_p p, unsigned int root, uint64_t ctrl)
{
	if (p.stage != 1)
		return 0;
	return ((ctrl >> (root ? 38 : 37)) & 1) ? PTK_VA_TBI : 0;
}

/* TCR / VTCR against a format's variant and geometry (armv8_rt.c). */
int ptk_armv8__check_ctrl(struct armv8_p p, const struct ptk_fmt *f,
			  unsigned int root, uint64_t ctrl,
			  struct ptk_fmt_diag *why);

#define ARMV8_MACHINES PTK_EM_AARCH64
#define ARMV8_REGION_NAMES_S1 \
	"TTBR0 range", "hole between the TTBR0 and TTBR1 ranges", "TTBR1 range"
#define ARMV8_REGION_NAMES_S2 "IPA space", "beyond the IPA size", NULL
#define ARMV8_ARCH_FLAGS(stage) ((stage) == 1 ? 0 : PTK_ARCH_NESTED)

#endif /* PTK_FMT_ARMV8_H */

/* ---- A specialised instance: the ptkf_* format API for template.h ---- */
#if defined(ARMV8_GRANULE_K) && !defined(PTK_FMT_ARMV8_INSTANCE)
#define PTK_FMT_ARMV8_INSTANCE

#if ARMV8_GRANULE_K == 4
#define ARMV8_G 12
#elif ARMV8_GRANULE_K == 16
#define ARMV8_G 14
#elif ARMV8_GRANULE_K == 64
#define ARMV8_G 16
#else
#error "ARMV8_GRANULE_K must be 4, 16 or 64"
#endif

#if ARMV8_OA_BITS == 52 && ARMV8_G == 16
#define ARMV8_MODE ARMV8_LPA
#elif ARMV8_OA_BITS == 52
#define ARMV8_MODE ARMV8_LPA2
#elif ARMV8_OA_BITS == 48
#define ARMV8_MODE ARMV8_PA48
#else
#error "ARMV8_OA_BITS must be 48 or 52"
#endif

#if ARMV8_STAGE != 1 && ARMV8_STAGE != 2
#error "ARMV8_STAGE must be 1 or 2"
#endif

/* Levels: ceil((va - g) / (g - 3)), as a literal for the level unroller. */
#define ARMV8_NLEV_ ((ARMV8_VA_BITS - ARMV8_G + ARMV8_G - 4) / (ARMV8_G - 3))
#if ARMV8_NLEV_ == 2
#define PTKF_LEVELS 2
#elif ARMV8_NLEV_ == 3
#define PTKF_LEVELS 3
#elif ARMV8_NLEV_ == 4
#define PTKF_LEVELS 4
#elif ARMV8_NLEV_ == 5
#define PTKF_LEVELS 5
#else
#error "unsupported VA size for the granule"
#endif
#define PTKF_LEVELS_MAX PTKF_LEVELS

#define PTKF_ENTRY_LG2 3
#define PTKF_VA_BITS ARMV8_VA_BITS
#define PTKF_OA_BITS ARMV8_OA_BITS
#define PTKF_FEATURES PTK_FMT_PROT_SEPARATE
#define PTKF_SHIFT(l) ARMV8_SHIFT_(ARMV8_G, l)
#define PTKF_BITS(l)                                                        \
	((l) == PTKF_LEVELS - 1                                             \
		 ? (ARMV8_VA_BITS - ARMV8_SHIFT_(ARMV8_G, PTKF_LEVELS - 1)) \
		 : (ARMV8_G - 3))
#define PTKF_LEAF_LEVELS \
	(ARMV8_LEAF_LEVELS_(ARMV8_G, ARMV8_MODE) & ((1u << PTKF_LEVELS) - 1))
#define PTKF_LEAF_OA_MASK(l) ARMV8_LEAF_OA_MASK_(ARMV8_MODE, PTKF_SHIFT(l))
#define PTKF_HAS_CONTIG 1
#define PTKF_CONTIG_LG2(l)                                          \
	(((PTKF_LEAF_LEVELS >> (l)) & 1) &&                         \
			 ARMV8_CONT_LG2_(ARMV8_G, l) < PTKF_BITS(l) \
		 ? ARMV8_CONT_LG2_(ARMV8_G, l)                      \
		 : 0u)

/* A stage 2 instance decodes at most one table's bits at the top. */
_Static_assert(ARMV8_STAGE == 1 || PTKF_BITS(PTKF_LEVELS - 1) <= ARMV8_G - 3,
	       "named stage 2 formats use no concatenation");

#define ARMV8_P_ \
	((struct armv8_p){ ARMV8_G, ARMV8_STAGE, ARMV8_MODE, ARMV8_OA_BITS })

static inline enum ptk_entry_type
armv8_s_classify(const struct ptk_fmt *f, unsigned int level, ptk_pte_t pte)
{
	(void)f;
	return armv8_classify(ARMV8_P_, PTKF_LEAF_LEVELS,
			      PTKF_CONTIG_LG2(level) != 0, level, pte);
}
#define ptkf_classify armv8_s_classify

static inline ptk_oa_t armv8_s_table_oa(const struct ptk_fmt *f,
					unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return armv8_unpack(ARMV8_P_, pte);
}
#define ptkf_table_oa armv8_s_table_oa

static inline ptk_oa_t armv8_s_leaf_oa(const struct ptk_fmt *f,
				       unsigned int level, ptk_pte_t pte)
{
	(void)f;
	return armv8_leaf_oa(ARMV8_P_, level, pte);
}
#define ptkf_leaf_oa armv8_s_leaf_oa

static inline ptk_pte_t armv8_s_make_table(const struct ptk_fmt *f,
					   unsigned int level, ptk_oa_t oa)
{
	(void)f;
	(void)level;
	return armv8_make_table(ARMV8_P_, oa);
}
#define ptkf_make_table armv8_s_make_table

static inline ptk_pte_t armv8_s_make_leaf(const struct ptk_fmt *f,
					  unsigned int level, ptk_oa_t oa,
					  ptk_pte_t bits)
{
	(void)f;
	return armv8_make_leaf(ARMV8_P_, level, oa, bits);
}
#define ptkf_make_leaf armv8_s_make_leaf

#if ARMV8_MODE == ARMV8_PA48
/*
 * With a 48-bit OA the field is the address in place, and no run of
 * pages the engine writes or compares goes past 2^48. (With LPA/LPA2 a
 * carry out of bit 47/49 would land in RES0/GP, not in the high OA
 * bits, so those formats use the default: no step.)
 */
static inline ptk_pte_t armv8_s_leaf_step(const struct ptk_fmt *f,
					  unsigned int level)
{
	(void)f;
	return PTK_BIT(PTKF_SHIFT(level));
}
#define ptkf_leaf_step armv8_s_leaf_step
#endif

static inline int armv8_s_encode(const struct ptk_fmt *f, unsigned int level,
				 const struct ptk_attrs *a, unsigned int flags,
				 ptk_pte_t *bits_out)
{
	(void)f;
	return armv8_encode(ARMV8_P_, level, a, flags, bits_out);
}
#define ptkf_encode armv8_s_encode

static inline void armv8_s_decode(const struct ptk_fmt *f, unsigned int level,
				  ptk_pte_t pte, struct ptk_attrs *a)
{
	(void)f;
	(void)level;
	armv8_decode(ARMV8_P_, pte, a);
}
#define ptkf_decode armv8_s_decode

static inline bool armv8_s_is_contig(const struct ptk_fmt *f,
				     unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return (pte & ARMV8_CONT) != 0;
}
#define ptkf_is_contig armv8_s_is_contig

static inline ptk_pte_t armv8_s_contig_entry(const struct ptk_fmt *f,
					     unsigned int level,
					     ptk_pte_t first, unsigned int j)
{
	(void)f;
	return armv8_contig_entry(ARMV8_P_, level, first, j);
}
#define ptkf_contig_entry armv8_s_contig_entry

/* The machine around the tables (see armv8_root_from_reg() and friends). */
#define PTKF_MACHINES ARMV8_MACHINES
#if ARMV8_STAGE == 1
#define PTKF_ROOT_REG "TTBR"
#define PTKF_CTRL_REG "TCR_EL1"
#define PTKF_NR_ROOTS 2
#define PTKF_SELECT_BIT 55
#define PTKF_REGION_NAMES ARMV8_REGION_NAMES_S1
#else
#define PTKF_ROOT_REG "VTTBR"
#define PTKF_CTRL_REG "VTCR_EL2"
#define PTKF_REGION_NAMES ARMV8_REGION_NAMES_S2
#endif

static inline uint32_t armv8_s_table_limit(const struct ptk_fmt *f,
					   unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return armv8_table_limit(ARMV8_P_, pte);
}
#if ARMV8_STAGE == 1
#define ptkf_table_limit armv8_s_table_limit
#endif

static inline int armv8_s_root_from_reg(const struct ptk_fmt *f,
					unsigned int root, uint64_t reg,
					ptk_oa_t *oa_out,
					struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return armv8_root_from_reg(ARMV8_P_, PTKF_BITS(PTKF_LEVELS - 1) + 3,
				   reg, oa_out, why);
}
#define ptkf_root_from_reg armv8_s_root_from_reg

static inline int armv8_s_reg_from_root(const struct ptk_fmt *f,
					unsigned int root, ptk_oa_t oa,
					uint64_t *reg_out,
					struct ptk_fmt_diag *why)
{
	(void)f;
	(void)root;
	return armv8_reg_from_root(ARMV8_P_, PTKF_BITS(PTKF_LEVELS - 1) + 3, oa,
				   reg_out, why);
}
#define ptkf_reg_from_root armv8_s_reg_from_root

static inline unsigned int
armv8_s_ctrl_va_flags(const struct ptk_fmt *f, unsigned int root, uint64_t ctrl)
{
	(void)f;
	return armv8_ctrl_va_flags(ARMV8_P_, root, ctrl);
}
#define ptkf_ctrl_va_flags armv8_s_ctrl_va_flags
#define PTKF_ARCH_FLAGS ARMV8_ARCH_FLAGS(ARMV8_STAGE)

static inline int armv8_s_check_ctrl(const struct ptk_fmt *f, unsigned int root,
				     uint64_t ctrl, struct ptk_fmt_diag *why)
{
	return ptk_armv8__check_ctrl(ARMV8_P_, f, root, ctrl, why);
}
#define ptkf_check_ctrl armv8_s_check_ctrl

#define ARMV8_STR__(x) #x
#define ARMV8_STR_(x) ARMV8_STR__(x)
#if ARMV8_STAGE == 1
#define PTKF_NAME \
	"armv8_" ARMV8_STR_(ARMV8_GRANULE_K) "k_" ARMV8_STR_(ARMV8_VA_BITS)
#define ARMV8_DESC_STAGE_ "Arm VMSAv8-64 stage 1, "
#define ARMV8_DESC_VA_ "-bit VA"
#else
#define PTKF_NAME \
	"armv8_s2_" ARMV8_STR_(ARMV8_GRANULE_K) "k_" ARMV8_STR_(ARMV8_VA_BITS)
#define ARMV8_DESC_STAGE_ "Arm VMSAv8-64 stage 2, "
#define ARMV8_DESC_VA_ "-bit IPA"
#endif
#if ARMV8_MODE == ARMV8_LPA
#define ARMV8_DESC_OA_ ", 52-bit OA (FEAT_LPA)"
#elif ARMV8_MODE == ARMV8_LPA2
#define ARMV8_DESC_OA_ ", 52-bit OA (FEAT_LPA2)"
#else
#define ARMV8_DESC_OA_ ""
#endif
#define PTKF_DESC                                                        \
	ARMV8_DESC_STAGE_ ARMV8_STR_(                                    \
		ARMV8_GRANULE_K) "K granule, " ARMV8_STR_(ARMV8_VA_BITS) \
		ARMV8_DESC_VA_ ARMV8_DESC_OA_
#define PTKF_LEVEL_NAMES ARMV8_LEVEL_NAMES

#endif /* ARMV8_GRANULE_K */
