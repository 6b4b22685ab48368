/* SPDX-License-Identifier: MIT */
/*
 * The format contract: every PTKF_* constant and ptkf_* hook a format
 * provides or may provide to the engine, what each must do, and the
 * default for each that may be left out.
 *
 * DOC: format contract
 *
 * The engine (src/algo) knows a format only through the names below.
 * Two kinds of instance supply them:
 *
 *  - a specialised instance (one per built-in format, src/fmt/<fmt>.c):
 *    the format header (src/fmt/<arch>.h, which includes only
 *    fmt/fmt_base.h) defines the PTKF_* constants as constant
 *    expressions and each hook as a static inline function followed by
 *    `#define ptkf_<hook> <fmt>_<hook>`; this header then derives the
 *    geometry accessors from the constants and fills in the defaults,
 *    so every shift, mask and hook folds to constants per level;
 *
 *  - the run-time instance (src/core/generic.c): it defines every
 *    ptkf_* name itself, reading struct ptk_fmt and calling its hooks
 *    through pointers, and defines no PTKF_LEVELS. It must define the
 *    same names with the same signatures as listed here.
 *
 * Include order: the format header (or generic.c's definitions), then
 * this header, then algo/levels.h and algo/engine.h. algo/template.h
 * does that for a built-in format and also turns the constants and hooks
 * into the format's const struct ptk_fmt (and its hook table), so the
 * descriptor and the specialised code cannot disagree.
 *
 * Every hook takes the descriptor first (specialised formats ignore it)
 * and a level l, 0 .. levels - 1, counted from the leaf. Entries are
 * passed zero-extended in a ptk_pte_t, whatever their width.
 *
 * Constants of a specialised format (all constant expressions):
 *
 *   PTKF_NAME, PTKF_DESC        struct ptk_fmt.name / .desc (strings)
 *   PTKF_LEVEL_NAMES            initializer list of the architecture's
 *                               level names, level 0 first
 *   PTKF_LEVELS                 number of levels, a literal 1..6 (the
 *                               level unroller pastes it)
 *   PTKF_LEVELS_MAX             the same literal (the run-time instance
 *                               uses PTK_MAX_LEVELS)
 *   PTKF_ENTRY_LG2              log2 of the entry size: 2 or 3
 *   PTKF_VA_BITS, PTKF_OA_BITS  struct ptk_fmt.va_bits / .oa_bits
 *   PTKF_LEAF_LEVELS            bit l set when level l may hold leaves;
 *                               a contiguous run from bit 0
 *   PTKF_FEATURES               PTK_FMT_* flags (PTK_FMT_SIGN_EXTEND)
 *   PTKF_SHIFT(l)               lowest VA bit level l's index decodes
 *   PTKF_BITS(l)                index bits at level l
 *   PTKF_LEAF_OA_MASK(l)        entry bits holding a leaf's OA at l
 *
 * Optional constants, with their defaults:
 *
 *   PTKF_LEAF_OA_BITS(l)        OA bits a leaf at l can hold, when fewer
 *                               than PTKF_OA_BITS (x86 PSE-36).
 *                               Default: PTKF_OA_BITS.
 *   PTKF_TABLE_OA_BITS          OA bits a table pointer (and the root
 *                               register) can hold. Default: PTKF_OA_BITS.
 *   PTKF_CONTIG_LG2(l)          log2 of the entries in a contiguous group
 *                               at l, or 0. Default: 0 (no groups).
 *   PTKF_HAS_CONTIG             defined (to 1) when some PTKF_CONTIG_LG2
 *                               is non-zero; the format then defines
 *                               ptkf_is_contig and ptkf_contig_entry.
 *
 * Geometry accessors (derived here from the constants for a specialised
 * format; generic.c reads struct ptk_fmt), each ignoring @f when
 * specialised:
 *
 *   ptkf_levels(f)  ptkf_shift(f, l)  ptkf_bits(f, l)  ptkf_entry_lg2(f)
 *   ptkf_va_bits(f)  ptkf_oa_bits(f)  ptkf_leaf_ok(f, l)
 *   ptkf_sign_extend(f)  ptkf_features(f)  ptkf_leaf_oa_mask(f, l)
 *   ptkf_leaf_oa_bits(f, l)
 *   ptkf_table_oa_bits(f)  ptkf_contig_lg2(f, l)
 *
 * Required hooks (struct ptk_fmt_hooks in include/ptkit/fmt.h says the
 * same for formats defined at run time):
 *
 *   ptkf_classify(f, l, pte) -> enum ptk_entry_type
 *       What @pte is at level @l. Total: any 64-bit value gives
 *       PTK_ENTRY_EMPTY, _TABLE, _LEAF or _INVALID, never a crash. A
 *       TABLE at level 0 and a LEAF at a level outside PTKF_LEAF_LEVELS
 *       must be reported INVALID.
 *   ptkf_table_oa(f, l, pte) -> ptk_oa_t
 *       The next table's OA, for an entry classified TABLE.
 *   ptkf_leaf_oa(f, l, pte) -> ptk_oa_t
 *       The OA of the page a LEAF maps, aligned to the level's page size
 *       (to the group's size for a member of a contiguous group).
 *   ptkf_make_table(f, l, oa) -> ptk_pte_t
 *       An entry at @l pointing to the table at @oa (which the engine
 *       keeps below 2^PTKF_TABLE_OA_BITS). It grants everything the
 *       format can grant at table level: the leaves decide.
 *   ptkf_make_leaf(f, l, oa, bits) -> ptk_pte_t
 *       A leaf at @l mapping @oa (aligned, below 2^PTKF_LEAF_OA_BITS(l))
 *       with the non-address bits @bits from ptkf_encode at the same
 *       level. Must classify LEAF and give back @oa and @bits.
 *   ptkf_encode(f, l, attrs, flags, bits_out) -> int
 *       The non-address bits of a leaf at @l granting @attrs: 0,
 *       PTK_EPROT when @attrs cannot be expressed (unless @flags has
 *       PTK_ENC_SUPERSET: then the nearest wider grant), PTK_EINVAL for
 *       fields out of range. Deterministic; writes *@bits_out only on 0.
 *   ptkf_decode(f, l, pte, attrs_out)
 *       The attributes of the leaf @pte. encode(decode(pte)) must give
 *       pte's non-address bits back for every valid leaf the format
 *       produces (the conformance suite checks the round trip).
 *
 * Optional hooks, with their defaults:
 *
 *   ptkf_is_contig(f, l, pte) -> bool
 *       Whether the leaf @pte belongs to a contiguous group. Default:
 *       false. Required with PTKF_HAS_CONTIG.
 *   ptkf_contig_entry(f, l, first, j) -> ptk_pte_t
 *       Entry @j of the group whose first page the plain leaf @first
 *       maps. Default: @first. Required with PTKF_HAS_CONTIG.
 *   ptkf_leaf_step(f, l) -> ptk_pte_t
 *       The value that, added to a leaf at @l, maps the next page with
 *       the same attributes, or 0 when the OA is not a plain in-place
 *       field (the engine then re-makes each leaf). Default: 0.
 *   ptkf_leaf_bit(f, l) -> ptk_pte_t
 *       A single bit that alone tells entries at @l apart: every entry
 *       with it set classifies LEAF, every entry without it EMPTY (none
 *       is a table or malformed), or 0 when no bit does. The walk's
 *       slots count (ptk_walk_slots_count()) then adds that bit over a
 *       table, several entries per instruction, instead of classifying
 *       each. Default: 0.
 *   ptkf_table_limit(f, l, pte) -> uint32_t
 *       PTK_LIMIT_* bits the entry @pte at @l (classified TABLE) puts on
 *       everything below it: permissions a non-leaf entry withholds.
 *       Default: 0 (tables grant everything; the leaf decides).
 *
 * The machine around the tables (struct ptk_fmt_arch: algo/template.h
 * builds it from these; the engine itself does not use them). All
 * optional, with their defaults:
 *
 *   PTKF_MACHINES               ELF e_machine values, comma-separated
 *                               (PTK_EM_*). Default: any machine.
 *   PTKF_ROOT_REG, PTKF_CTRL_REG  names of the root and control
 *                               registers ("CR3", "CR4"). Default: NULL.
 *   PTKF_NOTE_ROOT, PTKF_NOTE_CTRL  their names in an image's CPU notes
 *                               ("cr3", "cr4"). Default: NULL.
 *   PTKF_NR_ROOTS, PTKF_SELECT_BIT  2 and the VA bit that picks the upper
 *                               root for a format with two (Arm TTBR1).
 *                               Default: 1 and 0.
 *   PTKF_REGION_NAMES           three strings: the lower region, the hole,
 *                               the upper region. Default: neutral names.
 *   PTKF_LEAF_FLAGS             initializer list of struct ptk_fmt_flag,
 *                               the flags the architecture's listings
 *                               show. Default: none.
 *   PTKF_LISTINGS               PTK_FMT_LIST_* flags. Default: 0.
 *   ptkf_root_from_reg(f, root, reg, oa_out, why) -> int
 *       The root table's OA from a root register value; PTK_EINVAL and
 *       *@why (ptk_diag()) when the value does not fit the format.
 *       Default: ptk_fmt_root_from_reg()'s rule (the value is the
 *       address of a table aligned to its size).
 *   ptkf_check_ctrl(f, root, ctrl, why) -> int
 *       0 when the control register value @ctrl selects the format for
 *       root @root, else PTK_EINVAL and *@why. Default: nothing checked.
 *   ptkf_reg_from_root(f, root, oa, reg_out, why) -> int
 *       The root register value pointing to the table at @oa: the
 *       inverse of ptkf_root_from_reg, required with it. Default: the
 *       address.
 *   ptkf_ctrl_va_flags(f, root, ctrl) -> unsigned int
 *       PTK_VA_* flags the control register value sets for root @root's
 *       addresses (Arm TBI). Default: 0.
 *   PTKF_NOTE_ENABLE, PTKF_ENABLE_BITS  the CPU notes' name of the
 *                               register that turns translation on and
 *                               the bits that must be set ("cr0", PG).
 *                               Default: NULL and 0.
 *   PTKF_ARCH_FLAGS             PTK_ARCH_* flags (PTK_ARCH_NESTED: EPT,
 *                               Arm stage 2). Default: 0.
 */
#ifndef PTK_FMT_API_H
#define PTK_FMT_API_H

#ifdef PTKF_LEVELS
/* A specialised format: geometry from the format's constants. */
#define PTKF_SPECIALISED 1

static PTK_ALWAYS_INLINE unsigned int ptkf_levels(const struct ptk_fmt *f)
{
	(void)f;
	return PTKF_LEVELS;
}

static PTK_ALWAYS_INLINE unsigned int ptkf_shift(const struct ptk_fmt *f,
						 unsigned int l)
{
	(void)f;
	return PTKF_SHIFT(l);
}

static PTK_ALWAYS_INLINE unsigned int ptkf_bits(const struct ptk_fmt *f,
						unsigned int l)
{
	(void)f;
	(void)l;
	return PTKF_BITS(l);
}

static PTK_ALWAYS_INLINE unsigned int ptkf_entry_lg2(const struct ptk_fmt *f)
{
	(void)f;
	return PTKF_ENTRY_LG2;
}

static PTK_ALWAYS_INLINE unsigned int ptkf_va_bits(const struct ptk_fmt *f)
{
	(void)f;
	return PTKF_VA_BITS;
}

static PTK_ALWAYS_INLINE unsigned int ptkf_oa_bits(const struct ptk_fmt *f)
{
	(void)f;
	return PTKF_OA_BITS;
}

static PTK_ALWAYS_INLINE bool ptkf_leaf_ok(const struct ptk_fmt *f,
					   unsigned int l)
{
	(void)f;
	return (PTKF_LEAF_LEVELS >> l) & 1;
}

static PTK_ALWAYS_INLINE bool ptkf_sign_extend(const struct ptk_fmt *f)
{
	(void)f;
	return (PTKF_FEATURES & PTK_FMT_SIGN_EXTEND) != 0;
}

static PTK_ALWAYS_INLINE uint32_t ptkf_features(const struct ptk_fmt *f)
{
	(void)f;
	return PTKF_FEATURES;
}

static PTK_ALWAYS_INLINE ptk_pte_t ptkf_leaf_oa_mask(const struct ptk_fmt *f,
						     unsigned int l)
{
	(void)f;
	(void)l;
	return PTKF_LEAF_OA_MASK(l);
}
#else
#define PTKF_SPECIALISED 0
#endif

#ifndef PTKF_LEAF_OA_BITS
#define PTKF_LEAF_OA_BITS(l) PTKF_OA_BITS
#endif
#ifndef PTKF_TABLE_OA_BITS
#define PTKF_TABLE_OA_BITS PTKF_OA_BITS
#endif

#if PTKF_SPECIALISED
static PTK_ALWAYS_INLINE unsigned int ptkf_leaf_oa_bits(const struct ptk_fmt *f,
							unsigned int l)
{
	(void)f;
	(void)l;
	return PTKF_LEAF_OA_BITS(l);
}

static PTK_ALWAYS_INLINE unsigned int
ptkf_table_oa_bits(const struct ptk_fmt *f)
{
	(void)f;
	return PTKF_TABLE_OA_BITS;
}
#endif

#ifndef PTKF_CONTIG_LG2
#define PTKF_CONTIG_LG2(l) 0
#endif

#if PTKF_SPECIALISED
static PTK_ALWAYS_INLINE unsigned int ptkf_contig_lg2(const struct ptk_fmt *f,
						      unsigned int l)
{
	(void)f;
	(void)l;
	return PTKF_CONTIG_LG2(l);
}
#endif

#ifndef ptkf_leaf_bit
static PTK_ALWAYS_INLINE ptk_pte_t
ptkf_default_leaf_bit(const struct ptk_fmt *f, unsigned int l)
{
	(void)f;
	(void)l;
	return 0;
}
#define ptkf_leaf_bit ptkf_default_leaf_bit
#endif

#ifndef ptkf_is_contig
static PTK_ALWAYS_INLINE bool
ptkf_default_is_contig(const struct ptk_fmt *f, unsigned int l, ptk_pte_t pte)
{
	(void)f;
	(void)l;
	(void)pte;
	return false;
}
#define ptkf_is_contig ptkf_default_is_contig

static PTK_ALWAYS_INLINE ptk_pte_t
ptkf_default_contig_entry(const struct ptk_fmt *f, unsigned int l,
			  ptk_pte_t first, unsigned int j)
{
	(void)f;
	(void)l;
	(void)j;
	return first;
}
#define ptkf_contig_entry ptkf_default_contig_entry
#endif

#ifndef ptkf_leaf_step
static PTK_ALWAYS_INLINE ptk_pte_t
ptkf_default_leaf_step(const struct ptk_fmt *f, unsigned int l)
{
	(void)f;
	(void)l;
	return 0;
}
#define ptkf_leaf_step ptkf_default_leaf_step
#endif

#ifndef ptkf_table_limit
#define PTKF_DEFAULT_TABLE_LIMIT 1
static PTK_ALWAYS_INLINE uint32_t
ptkf_default_table_limit(const struct ptk_fmt *f, unsigned int l, ptk_pte_t pte)
{
	(void)f;
	(void)l;
	(void)pte;
	return 0;
}
#define ptkf_table_limit ptkf_default_table_limit
#endif

#ifndef PTKF_ROOT_REG
#define PTKF_ROOT_REG NULL
#endif
#ifndef PTKF_CTRL_REG
#define PTKF_CTRL_REG NULL
#endif
#ifndef PTKF_NOTE_ROOT
#define PTKF_NOTE_ROOT NULL
#endif
#ifndef PTKF_NOTE_CTRL
#define PTKF_NOTE_CTRL NULL
#endif
#ifndef PTKF_NR_ROOTS
#define PTKF_NR_ROOTS 1
#endif
#ifndef PTKF_SELECT_BIT
#define PTKF_SELECT_BIT 0
#endif
#ifndef PTKF_REGION_NAMES
#define PTKF_REGION_NAMES NULL, NULL, NULL
#endif
#ifndef PTKF_LISTINGS
#define PTKF_LISTINGS 0
#endif
#ifndef PTKF_NOTE_ENABLE
#define PTKF_NOTE_ENABLE NULL
#endif
#ifndef PTKF_ENABLE_BITS
#define PTKF_ENABLE_BITS 0
#endif
#ifndef PTKF_ARCH_FLAGS
#define PTKF_ARCH_FLAGS 0
#endif

/*
 * The hooks' signatures, as declarations: a format whose hook differs
 * from the contract fails to compile here rather than somewhere in the
 * engine (the names are macros for a specialised format, so these
 * redeclare the format's own functions).
 */
static inline enum ptk_entry_type ptkf_classify(const struct ptk_fmt *f,
						unsigned int l, ptk_pte_t pte);
static inline ptk_oa_t ptkf_table_oa(const struct ptk_fmt *f, unsigned int l,
				     ptk_pte_t pte);
static inline ptk_oa_t ptkf_leaf_oa(const struct ptk_fmt *f, unsigned int l,
				    ptk_pte_t pte);
static inline ptk_pte_t ptkf_make_table(const struct ptk_fmt *f, unsigned int l,
					ptk_oa_t oa);
static inline ptk_pte_t ptkf_make_leaf(const struct ptk_fmt *f, unsigned int l,
				       ptk_oa_t oa, ptk_pte_t bits);
static inline int ptkf_encode(const struct ptk_fmt *f, unsigned int l,
			      const struct ptk_attrs *attrs, unsigned int flags,
			      ptk_pte_t *bits_out);
static inline void ptkf_decode(const struct ptk_fmt *f, unsigned int l,
			       ptk_pte_t pte, struct ptk_attrs *attrs_out);
static inline bool ptkf_is_contig(const struct ptk_fmt *f, unsigned int l,
				  ptk_pte_t pte);
static inline ptk_pte_t ptkf_contig_entry(const struct ptk_fmt *f,
					  unsigned int l, ptk_pte_t first,
					  unsigned int j);
static inline ptk_pte_t ptkf_leaf_step(const struct ptk_fmt *f, unsigned int l);
static inline uint32_t ptkf_table_limit(const struct ptk_fmt *f, unsigned int l,
					ptk_pte_t pte);
#ifdef ptkf_root_from_reg
static inline int ptkf_root_from_reg(const struct ptk_fmt *f, unsigned int root,
				     uint64_t reg, ptk_oa_t *oa_out,
				     struct ptk_fmt_diag *why);
#endif
#ifdef ptkf_check_ctrl
static inline int ptkf_check_ctrl(const struct ptk_fmt *f, unsigned int root,
				  uint64_t ctrl, struct ptk_fmt_diag *why);
#endif
#ifdef ptkf_reg_from_root
static inline int ptkf_reg_from_root(const struct ptk_fmt *f, unsigned int root,
				     ptk_oa_t oa, uint64_t *reg_out,
				     struct ptk_fmt_diag *why);
#endif
#ifdef ptkf_ctrl_va_flags
static inline unsigned int ptkf_ctrl_va_flags(const struct ptk_fmt *f,
					      unsigned int root, uint64_t ctrl);
#endif

#endif /* PTK_FMT_API_H */
