/* SPDX-License-Identifier: MIT */
/*
 * RISC-V page-based virtual memory: Sv32, Sv39, Sv48 and Sv57, with the
 * Svnapot and Svpbmt extensions on the 64-bit modes.
 *
 * Implements the RISC-V Privileged Architecture, document version
 * 20240411 (section numbers of v1.12 / 20211203 in brackets):
 *  - ch. 10 "Supervisor-Level ISA, Version 1.13" [ch. 4]:
 *    10.3 Sv32 [4.3]: the PTE layout (figure "Sv32 page table entry"),
 *    table "Encoding of PTE R/W/X fields", 4 MiB megapages, D/A/U
 *    reserved in non-leaf PTEs (10.3.1), and the translation process
 *    (10.3.2) whose step 3 faults on V=0, on W=1 with R=0 and on any
 *    reserved bit or encoding, step 4 on a pointer at the last level and
 *    step 5 on a misaligned superpage;
 *    10.4 Sv39 [4.4]: 8-byte PTEs, PPN in bits 53:10, bits 60:54
 *    reserved, bit 63 for Svnapot and 62:61 for Svpbmt, 2 MiB and 1 GiB
 *    leaves, bits 63:39 of a VA equal to bit 38;
 *    10.5 Sv48 [4.5]: four levels, adds 512 GiB leaves;
 *    10.6 Sv57 [4.6]: five levels, adds 256 TiB leaves;
 *  - ch. 11 "Svnapot" [ch. 5]: table "Page table entry encodings when
 *    pte.N=1": only i = 0 with ppn[0][3:0] = 1000 (64 KiB) is defined,
 *    every other N=1 encoding (any other low bits, any level i >= 1,
 *    hence any non-leaf PTE) is reserved and faults;
 *  - ch. 12 "Svpbmt" [ch. 6]: PBMT (bits 62:61) 0 = PMA, 1 = NC, 2 = IO,
 *    3 reserved; bits 62:61 reserved in non-leaf PTEs.
 *
 * Assumptions: the 64-bit modes implement Svnapot and Svpbmt (without
 * them bits 63 and 62:61 are reserved: a table that sets them is then
 * valid here but faults on such hardware). Sv32 PTEs are 32 bits: no N,
 * no PBMT; a physical address is 34 bits (PPN[1] in PTE bits 31:20 holds
 * PA bits 33:22). In every mode a PTE holds PPN = PA >> 12 at bit 10,
 * i.e. PA >> 2: the OA is not in place in the entry.
 *
 * Entries, as classified:
 *  - V=0: empty (all other bits are software's);
 *  - V=1, R=W=X=0: a pointer to the next table; INVALID at level 0 and
 *    when D, A, U, PBMT or N is set (reserved in non-leaf PTEs);
 *  - V=1, R or X set: a leaf; INVALID for W=1 with R=0, PBMT=3, a
 *    superpage whose PPN has bits set below its size, or N=1 anywhere
 *    but a level-0 leaf with PPN[3:0] = 1000;
 *  - bits 60:54 set (Sv39/48/57; bits 63:32 for Sv32): INVALID.
 *
 * Format-neutral attributes: PTK_PROT_READ -> R, WRITE -> W, EXEC -> X,
 * USER -> U, PTK_ATTR_GLOBAL -> G, ACCESSED -> A, DIRTY -> D; memtype ->
 * PBMT (0 PMA, 1 NC, 2 IO; 3 is PTK_EINVAL; Sv32: 0 only); sw -> RSW
 * (bits 9:8, two bits). A prot without R, W or X is not a leaf and W
 * without R is reserved: both are PTK_EPROT unless PTK_ENC_SUPERSET,
 * which adds R. Non-leaf entries are written with V and the PPN only
 * (G, like U/A/D, stays clear: the leaves decide).
 *
 * Svnapot: a 64 KiB page is a contiguous group of the 16 aligned level-0
 * entries, all identical: the group's first page as a plain leaf with
 * N=1 and PPN[3:0] = 1000. The OA of such an entry is its PPN with the
 * low four bits cleared (the group's OA).
 *
 * Levels: ptkit level i = the spec's level i, the table indexed by
 * VA.VPN[i]; level 0 maps 4 KiB pages, the top level is LEVELS - 1.
 *
 * Include once per compilation unit with RISCV_SV defined to 32, 39, 48
 * or 57; the header defines the ptkf_* format API used by
 * src/algo/template.h.
 */
#ifndef PTK_FMT_RISCV_H
#define PTK_FMT_RISCV_H

#include "fmt/fmt_base.h"

#if !defined(RISCV_SV) || \
	(RISCV_SV != 32 && RISCV_SV != 39 && RISCV_SV != 48 && RISCV_SV != 57)
#error "define RISCV_SV to 32, 39, 48 or 57 before including riscv.h"
#endif

enum {
	RISCV_V = 1 << 0, /* valid */
	RISCV_R = 1 << 1, /* readable */
	RISCV_W = 1 << 2, /* writable */
	RISCV_X = 1 << 3, /* executable */
	RISCV_U = 1 << 4, /* user */
	RISCV_G = 1 << 5, /* global */
	RISCV_A = 1 << 6, /* accessed */
	RISCV_D = 1 << 7, /* dirty */
	RISCV_RWX = RISCV_R | RISCV_W | RISCV_X,
};
#define RISCV_RSW PTK_GENMASK(9, 8) /* ptk_attrs.sw bits 0-1 */
#define RISCV_RSW_SHIFT 8

#if RISCV_SV == 32
#define RISCV_PPN PTK_GENMASK(31, 10) /* PPN[1] 31:20, PPN[0] 19:10 */
#define RISCV_RSVD PTK_GENMASK(63, 32) /* not in a 4-byte entry */
#define RISCV_PBMT 0ull
#define RISCV_N 0ull
#define RISCV_VPN_BITS 10
#define RISCV_MEMTYPE_MAX 0u
#define PTKF_LEVELS 2
#else
#define RISCV_PPN PTK_GENMASK(53, 10) /* PA bits 55:12 */
#define RISCV_RSVD PTK_GENMASK(60, 54) /* reserved for future use */
#define RISCV_PBMT PTK_GENMASK(62, 61) /* Svpbmt */
#define RISCV_PBMT_SHIFT 61
#define RISCV_N PTK_BIT(63) /* Svnapot */
#define RISCV_NAPOT_LO PTK_GENMASK(13, 10) /* PPN[0][3:0] */
#define RISCV_NAPOT_64K PTK_BIT(13) /* PPN[0][3:0] = 1000 */
#define RISCV_VPN_BITS 9
#define RISCV_MEMTYPE_MAX 2u /* PBMT 3 is reserved */
#if RISCV_SV == 39
#define PTKF_LEVELS 3
#elif RISCV_SV == 48
#define PTKF_LEVELS 4
#else
#define PTKF_LEVELS 5
#endif
#endif

/* Geometry, as constant expressions (PTKF_LEVELS above: a literal). */
#define PTKF_LEVELS_MAX PTKF_LEVELS
#define PTKF_ENTRY_LG2 (RISCV_SV == 32 ? 2 : 3)
#define PTKF_VA_BITS RISCV_SV
#define PTKF_OA_BITS (RISCV_SV == 32 ? 34 : 56)
#define PTKF_LEAF_LEVELS ((1u << PTKF_LEVELS) - 1) /* any level */
#define PTKF_FEATURES \
	(PTK_FMT_PROT_SEPARATE | (RISCV_SV == 32 ? 0u : PTK_FMT_SIGN_EXTEND))
#define PTKF_SHIFT(l) (12 + RISCV_VPN_BITS * (l))
#define PTKF_BITS(l) RISCV_VPN_BITS
/* PPN bits at and above the page size; PTE bit n holds PA bit n + 2. */
#define PTKF_LEAF_OA_MASK(l) (RISCV_PPN & ~(PTK_BIT(PTKF_SHIFT(l) - 2) - 1))
#if RISCV_SV != 32
#define PTKF_HAS_CONTIG 1
#define PTKF_CONTIG_LG2(l) ((l) == 0 ? 4 : 0) /* Svnapot 64 KiB */
#endif

static inline enum ptk_entry_type
riscv_classify(const struct ptk_fmt *f, unsigned int level, ptk_pte_t pte)
{
	(void)f;
	if (!(pte & RISCV_V))
		return PTK_ENTRY_EMPTY;
	if (pte & RISCV_RSVD)
		return PTK_ENTRY_INVALID;
	if (!(pte & RISCV_RWX)) {
		/* A pointer at the last level faults (step 4). */
		if (level == 0)
			return PTK_ENTRY_INVALID;
		/* D, A, U (10.3.1), PBMT and N are reserved in non-leaves. */
		if (pte & (RISCV_D | RISCV_A | RISCV_U | RISCV_PBMT | RISCV_N))
			return PTK_ENTRY_INVALID;
		return PTK_ENTRY_TABLE;
	}
	/* Write-only and write-execute are reserved (step 3). */
	if ((pte & (RISCV_R | RISCV_W)) == RISCV_W)
		return PTK_ENTRY_INVALID;
#if RISCV_SV != 32
	if ((pte & RISCV_PBMT) == RISCV_PBMT)
		return PTK_ENTRY_INVALID;
	if (pte & RISCV_N) {
		/* Only the 64 KiB encoding at i = 0 is defined. */
		if (level != 0 || (pte & RISCV_NAPOT_LO) != RISCV_NAPOT_64K)
			return PTK_ENTRY_INVALID;
		return PTK_ENTRY_LEAF;
	}
#endif
	/* A misaligned superpage faults (step 5). */
	if (pte & RISCV_PPN & ~PTKF_LEAF_OA_MASK(level))
		return PTK_ENTRY_INVALID;
	return PTK_ENTRY_LEAF;
}
#define ptkf_classify riscv_classify

static inline ptk_oa_t riscv_table_oa(const struct ptk_fmt *f,
				      unsigned int level, ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return (pte & RISCV_PPN) << 2;
}
#define ptkf_table_oa riscv_table_oa

static inline ptk_oa_t riscv_leaf_oa(const struct ptk_fmt *f,
				     unsigned int level, ptk_pte_t pte)
{
	ptk_pte_t m = PTKF_LEAF_OA_MASK(level);

	(void)f;
#if RISCV_SV != 32
	/* A NAPOT entry: the group's OA, without the size encoding. */
	if (pte & RISCV_N)
		m &= ~RISCV_NAPOT_LO;
#endif
	return (pte & m) << 2;
}
#define ptkf_leaf_oa riscv_leaf_oa

static inline ptk_pte_t riscv_make_table(const struct ptk_fmt *f,
					 unsigned int level, ptk_oa_t oa)
{
	(void)f;
	(void)level;
	return ((oa >> 2) & RISCV_PPN) | RISCV_V;
}
#define ptkf_make_table riscv_make_table

static inline ptk_pte_t riscv_make_leaf(const struct ptk_fmt *f,
					unsigned int level, ptk_oa_t oa,
					ptk_pte_t bits)
{
	(void)f;
	return ((oa >> 2) & PTKF_LEAF_OA_MASK(level)) | bits;
}
#define ptkf_make_leaf riscv_make_leaf

/* Advance a leaf by one page: one page of PA is 2^(shift - 2) in the PPN. */
static inline ptk_pte_t riscv_leaf_step(const struct ptk_fmt *f,
					unsigned int level)
{
	(void)f;
	return PTK_BIT(PTKF_SHIFT(level) - 2);
}
#define ptkf_leaf_step riscv_leaf_step

#if RISCV_SV != 32
static inline bool riscv_is_contig(const struct ptk_fmt *f, unsigned int level,
				   ptk_pte_t pte)
{
	(void)f;
	return level == 0 && (pte & RISCV_N);
}
#define ptkf_is_contig riscv_is_contig

/* All 16 entries of a 64 KiB group are the same NAPOT PTE. */
static inline ptk_pte_t riscv_contig_entry(const struct ptk_fmt *f,
					   unsigned int level, ptk_pte_t first,
					   unsigned int j)
{
	(void)f;
	(void)level;
	(void)j;
	return (first & ~RISCV_NAPOT_LO) | RISCV_NAPOT_64K | RISCV_N;
}
#define ptkf_contig_entry riscv_contig_entry
#endif

static inline int riscv_encode(const struct ptk_fmt *f, unsigned int level,
			       const struct ptk_attrs *a, unsigned int flags,
			       ptk_pte_t *bits_out)
{
	uint32_t prot = a->prot;
	ptk_pte_t b = RISCV_V;

	(void)f;
	(void)level;
	if (prot & ~(uint32_t)(PTK_PROT_RWX | PTK_PROT_USER))
		return PTK_EINVAL;
	if (a->flags &
	    ~(uint32_t)(PTK_ATTR_GLOBAL | PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY))
		return PTK_EINVAL;
	if (a->memtype > RISCV_MEMTYPE_MAX || a->sw > 3)
		return PTK_EINVAL;
	/* No R/W/X would be a pointer; W without R is reserved. */
	if (!(prot & PTK_PROT_RWX) ||
	    (prot & (PTK_PROT_READ | PTK_PROT_WRITE)) == PTK_PROT_WRITE) {
		if (!(flags & PTK_ENC_SUPERSET))
			return PTK_EPROT;
		prot |= PTK_PROT_READ;
	}
	if (prot & PTK_PROT_READ)
		b |= RISCV_R;
	if (prot & PTK_PROT_WRITE)
		b |= RISCV_W;
	if (prot & PTK_PROT_EXEC)
		b |= RISCV_X;
	if (prot & PTK_PROT_USER)
		b |= RISCV_U;
	if (a->flags & PTK_ATTR_GLOBAL)
		b |= RISCV_G;
	if (a->flags & PTK_ATTR_ACCESSED)
		b |= RISCV_A;
	if (a->flags & PTK_ATTR_DIRTY)
		b |= RISCV_D;
	b |= (ptk_pte_t)a->sw << RISCV_RSW_SHIFT;
#if RISCV_SV != 32
	b |= (ptk_pte_t)a->memtype << RISCV_PBMT_SHIFT;
#endif
	*bits_out = b;
	return 0;
}
#define ptkf_encode riscv_encode

static inline void riscv_decode(const struct ptk_fmt *f, unsigned int level,
				ptk_pte_t pte, struct ptk_attrs *a)
{
	(void)f;
	(void)level;
	a->prot = 0;
	if (pte & RISCV_R)
		a->prot |= PTK_PROT_READ;
	if (pte & RISCV_W)
		a->prot |= PTK_PROT_WRITE;
	if (pte & RISCV_X)
		a->prot |= PTK_PROT_EXEC;
	if (pte & RISCV_U)
		a->prot |= PTK_PROT_USER;
	a->flags = 0;
	if (pte & RISCV_G)
		a->flags |= PTK_ATTR_GLOBAL;
	if (pte & RISCV_A)
		a->flags |= PTK_ATTR_ACCESSED;
	if (pte & RISCV_D)
		a->flags |= PTK_ATTR_DIRTY;
#if RISCV_SV != 32
	a->memtype = (uint32_t)((pte & RISCV_PBMT) >> RISCV_PBMT_SHIFT);
#else
	a->memtype = 0;
#endif
	a->sw = (uint32_t)((pte & RISCV_RSW) >> RISCV_RSW_SHIFT);
}
#define ptkf_decode riscv_decode

/*
 * The machine around the tables. satp (privileged spec 10.1.11
 * [4.1.11]): RV32 MODE in bit 31 (1 = Sv32), ASID 30:22, PPN 21:0;
 * RV64 MODE in 63:60 (8 = Sv39, 9 = Sv48, 10 = Sv57), ASID 59:44, PPN
 * 43:0. Non-leaf PTEs carry no permissions. QEMU's `info mem` lists
 * RISC-V tables as runs inside one table with equal r w x u g a d bits.
 */
#define PTKF_MACHINES PTK_EM_RISCV
#define PTKF_ROOT_REG "satp"
#define PTKF_LEAF_FLAGS                                                      \
	{ 'r', ~0u, RISCV_R }, { 'w', ~0u, RISCV_W }, { 'x', ~0u, RISCV_X }, \
		{ 'u', ~0u, RISCV_U }, { 'g', ~0u, RISCV_G },                \
		{ 'a', ~0u, RISCV_A },                                       \
	{                                                                    \
		'd', ~0u, RISCV_D                                            \
	}
#define PTKF_LISTINGS PTK_FMT_LIST_MEM_ATTR

static inline int riscv_root_from_reg(const struct ptk_fmt *f,
				      unsigned int root, uint64_t reg,
				      ptk_oa_t *oa_out,
				      struct ptk_fmt_diag *why)
{
	const unsigned int fl = PTK_DIAG_WANT | PTK_DIAG_FOUND;

	(void)f;
	(void)root;
#if RISCV_SV == 32
	if (reg >> 32)
		return ptk_diag(why, "satp bits 63:32",
				"0 (satp is 32 bits in RV32)",
				PTK_DIAG_FOUND | PTK_DIAG_HEX, 0,
				reg & PTK_GENMASK(63, 32));
	if (!((reg >> 31) & 1))
		return ptk_diag(why, "satp bit 31 (MODE)", "Sv32; 0 is Bare",
				fl, 1, 0);
	*oa_out = (reg & PTK_GENMASK(21, 0)) << 12;
#else
	if ((reg >> 60) != 8 + (PTKF_LEVELS - 3))
		return ptk_diag(why, "satp bits 63:60 (MODE)",
				"the format's mode: 8 Sv39, 9 Sv48, 10 Sv57",
				fl, 8 + (PTKF_LEVELS - 3), reg >> 60);
	*oa_out = (reg & PTK_GENMASK(43, 0)) << 12;
#endif
	return 0;
}
#define ptkf_root_from_reg riscv_root_from_reg

/* satp for the table at @oa: the format's MODE, ASID 0, the PPN. */
static inline int riscv_reg_from_root(const struct ptk_fmt *f,
				      unsigned int root, ptk_oa_t oa,
				      uint64_t *reg_out,
				      struct ptk_fmt_diag *why)
{
#if RISCV_SV == 32
	const unsigned int ppn_bits = 22;
	const uint64_t mode = PTK_BIT(31);
#else
	const unsigned int ppn_bits = 44;
	const uint64_t mode = (uint64_t)(8 + (PTKF_LEVELS - 3)) << 60;
#endif

	(void)f;
	(void)root;
	if (oa & ~PTK_GENMASK(ppn_bits + 11, 12))
		return ptk_diag(why, "root table address for satp",
				"a 4 KiB aligned table the PPN field holds",
				PTK_DIAG_FOUND | PTK_DIAG_HEX, 0, oa);
	*reg_out = mode | oa >> 12;
	return 0;
}
#define ptkf_reg_from_root riscv_reg_from_root

#if RISCV_SV == 32
#define PTKF_NAME "riscv_sv32"
#define PTKF_DESC "RISC-V Sv32, 2 levels, 32-bit VA, 34-bit PA"
#elif RISCV_SV == 39
#define PTKF_NAME "riscv_sv39"
#define PTKF_DESC "RISC-V Sv39, 3 levels, 39-bit VA, Svnapot, Svpbmt"
#elif RISCV_SV == 48
#define PTKF_NAME "riscv_sv48"
#define PTKF_DESC "RISC-V Sv48, 4 levels, 48-bit VA, Svnapot, Svpbmt"
#else
#define PTKF_NAME "riscv_sv57"
#define PTKF_DESC "RISC-V Sv57, 5 levels, 57-bit VA, Svnapot, Svpbmt"
#endif
/* The table each level's entries are indexed by: VA.VPN[i]. */
#define PTKF_LEVEL_NAMES "VPN[0]", "VPN[1]", "VPN[2]", "VPN[3]", "VPN[4]"

#endif /* PTK_FMT_RISCV_H */
