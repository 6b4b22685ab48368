/* SPDX-License-Identifier: MIT */
/*
 * The format API the algorithms use, and defaults for what a format
 * leaves out.
 *
 * Include order: the format header (which defines ptkf_* hooks and the
 * PTKF_* geometry) -> fmt_defaults.h -> engine.h. The run-time instance
 * (src/core/generic.c) defines the same names over a struct ptk_fmt.
 *
 * Every hook takes the descriptor first; specialised formats ignore it and
 * fold everything to constants.
 *
 *   ptkf_levels(f), ptkf_shift(f, l), ptkf_bits(f, l), ptkf_entry_lg2(f),
 *   ptkf_va_bits(f), ptkf_oa_bits(f), ptkf_leaf_ok(f, l),
 *   ptkf_sign_extend(f), ptkf_features(f),
 *   ptkf_leaf_oa_mask(f, l)                            geometry
 *   ptkf_classify, ptkf_table_oa, ptkf_leaf_oa,
 *   ptkf_make_table, ptkf_make_leaf, ptkf_encode,
 *   ptkf_decode                                        struct ptk_fmt_hooks
 *   ptkf_leaf_oa_bits(f, l), ptkf_table_oa_bits(f)   OA limits
 *   ptkf_contig_lg2(f, l)  log2 entries per contiguous group, or 0
 *   ptkf_is_contig, ptkf_contig_entry   (only with contiguous groups)
 *   ptkf_leaf_step(f, l)   entry delta that advances a leaf's OA by one
 *                          page, or 0 when the OA is not a plain field
 */
#ifndef PTK_ALGO_FMT_DEFAULTS_H
#define PTK_ALGO_FMT_DEFAULTS_H

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

#endif /* PTK_ALGO_FMT_DEFAULTS_H */
