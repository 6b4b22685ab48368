// SPDX-License-Identifier: MIT
/*
 * The run-time instance of the engine: the same algorithms as the
 * specialised instances, driven by a struct ptk_fmt read at run time and
 * its hooks called through pointers. It serves formats defined at run
 * time, and it is the differential oracle for the specialised instances.
 */
#include "internal/ptk_internal.h"

#define PTK_NS(name) ptk_generic_##name
#define PTK_NS_NAME "generic"
#define PTKF_LEVELS_MAX PTK_MAX_LEVELS

static inline unsigned int ptkf_levels(const struct ptk_fmt *f)
{
	return f->levels;
}

static inline unsigned int ptkf_shift(const struct ptk_fmt *f, unsigned int l)
{
	return f->level_shift[l];
}

static inline unsigned int ptkf_bits(const struct ptk_fmt *f, unsigned int l)
{
	return f->level_bits[l];
}

static inline unsigned int ptkf_entry_lg2(const struct ptk_fmt *f)
{
	return f->entry_lg2;
}

static inline unsigned int ptkf_va_bits(const struct ptk_fmt *f)
{
	return f->va_bits;
}

static inline unsigned int ptkf_oa_bits(const struct ptk_fmt *f)
{
	return f->oa_bits;
}

static inline bool ptkf_leaf_ok(const struct ptk_fmt *f, unsigned int l)
{
	return (f->leaf_levels >> l) & 1;
}

static inline bool ptkf_sign_extend(const struct ptk_fmt *f)
{
	return (f->features & PTK_FMT_SIGN_EXTEND) != 0;
}

static inline uint32_t ptkf_features(const struct ptk_fmt *f)
{
	return f->features;
}

static inline ptk_pte_t ptkf_leaf_oa_mask(const struct ptk_fmt *f,
					  unsigned int l)
{
	return f->leaf_oa_mask[l];
}

static inline enum ptk_entry_type ptkf_classify(const struct ptk_fmt *f,
						unsigned int l, ptk_pte_t pte)
{
	return f->hooks->classify(f, l, pte);
}

static inline ptk_oa_t ptkf_table_oa(const struct ptk_fmt *f, unsigned int l,
				     ptk_pte_t pte)
{
	return f->hooks->table_oa(f, l, pte);
}

static inline ptk_oa_t ptkf_leaf_oa(const struct ptk_fmt *f, unsigned int l,
				    ptk_pte_t pte)
{
	return f->hooks->leaf_oa(f, l, pte);
}

static inline ptk_pte_t ptkf_make_table(const struct ptk_fmt *f, unsigned int l,
					ptk_oa_t oa)
{
	return f->hooks->make_table(f, l, oa);
}

static inline ptk_pte_t ptkf_make_leaf(const struct ptk_fmt *f, unsigned int l,
				       ptk_oa_t oa, ptk_pte_t bits)
{
	return f->hooks->make_leaf(f, l, oa, bits);
}

static inline int ptkf_encode(const struct ptk_fmt *f, unsigned int l,
			      const struct ptk_attrs *attrs, unsigned int flags,
			      ptk_pte_t *bits_out)
{
	return f->hooks->encode(f, l, attrs, flags, bits_out);
}

static inline void ptkf_decode(const struct ptk_fmt *f, unsigned int l,
			       ptk_pte_t pte, struct ptk_attrs *attrs_out)
{
	f->hooks->decode(f, l, pte, attrs_out);
}

static inline unsigned int ptkf_leaf_oa_bits(const struct ptk_fmt *f,
					     unsigned int l)
{
	return f->leaf_oa_bits[l] ? f->leaf_oa_bits[l] : f->oa_bits;
}

static inline unsigned int ptkf_table_oa_bits(const struct ptk_fmt *f)
{
	return f->table_oa_bits ? f->table_oa_bits : f->oa_bits;
}

static inline unsigned int ptkf_contig_lg2(const struct ptk_fmt *f,
					   unsigned int l)
{
	return f->contig_lg2[l];
}

static inline bool ptkf_is_contig(const struct ptk_fmt *f, unsigned int l,
				  ptk_pte_t pte)
{
	return f->hooks->is_contig && f->hooks->is_contig(f, l, pte);
}

static inline ptk_pte_t ptkf_contig_entry(const struct ptk_fmt *f,
					  unsigned int l, ptk_pte_t first,
					  unsigned int j)
{
	return f->hooks->contig_entry(f, l, first, j);
}
#define ptkf_is_contig ptkf_is_contig

static inline ptk_pte_t ptkf_leaf_step(const struct ptk_fmt *f, unsigned int l)
{
	/* Nothing says a run-time format's OA is a plain field. */
	(void)f;
	(void)l;
	return 0;
}
#define ptkf_leaf_step ptkf_leaf_step

static inline PTK_UNUSED uint32_t ptkf_table_limit(const struct ptk_fmt *f,
						   unsigned int l,
						   ptk_pte_t pte)
{
	return ptk_fmt_table_limit(f, l, pte);
}
#define ptkf_table_limit ptkf_table_limit

#include "fmt/fmt_api.h"
#include "algo/levels.h"
#include "algo/engine.h"

const struct ptk_impl_ops ptk_generic_ops = {
	.version = PTK_IMPL_OPS_VERSION,
	.name = "generic",
	.map = ptk_generic_map,
	.unmap = ptk_generic_unmap,
	.translate = ptk_generic_translate,
	.translate_direct = ptk_generic_translate_direct,
	.walk = ptk_generic_walk,
	.destroy = ptk_generic_destroy,
	.check = ptk_generic_check,
	.protect = ptk_generic_protect,
	.harvest = ptk_generic_harvest,
	.copy = ptk_generic_copy,
	.move = ptk_generic_move,
	.split = ptk_generic_split,
	.collapse = ptk_generic_collapse,
	.iter_next = ptk_generic_iter_next,
	.iter_set = ptk_generic_iter_set,
	.iter_clear = ptk_generic_iter_clear,
	.build = ptk_generic_build,
	.slots_count = ptk_generic_slots_count,
	.slot = ptk_generic_slot,
};
