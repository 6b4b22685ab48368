/* SPDX-License-Identifier: MIT */
/*
 * Instantiate the engine for one built-in format.
 *
 * A format instance file is a few definitions and two includes:
 *
 *   #define X86_64_LEVELS 4                     (format parameters)
 *   #define PTK_NS(name) ptk_x86_64_##name      (symbol prefix)
 *   #define PTK_FMT_SYM ptk_fmt_x86_64          (descriptor to define)
 *   #include "fmt/x86_64.h"
 *   #include "algo/template.h"
 *
 * This compiles every algorithm with the format's constants, wraps the
 * format's inline hooks as struct ptk_fmt_hooks for the run-time
 * instance, and defines the descriptor.
 */
#ifndef PTK_NS
#error "define PTK_NS before including template.h"
#endif

#include "internal/ptk_internal.h"
#include "fmt/fmt_api.h"
#include "algo/levels.h"

#define PTK_NS_NAME PTKF_NAME
#include "algo/engine.h"

/* The instance's vtable. */
static const struct ptk_impl_ops PTK_NS(ops) = {
	.version = PTK_IMPL_OPS_VERSION,
	.name = PTK_NS_NAME,
	.map = PTK_NS(map),
	.unmap = PTK_NS(unmap),
	.translate = PTK_NS(translate),
	.translate_direct = PTK_NS(translate_direct),
	.walk = PTK_NS(walk),
	.destroy = PTK_NS(destroy),
	.check = PTK_NS(check),
	.protect = PTK_NS(protect),
	.harvest = PTK_NS(harvest),
	.copy = PTK_NS(copy),
	.move = PTK_NS(move),
	.split = PTK_NS(split),
	.collapse = PTK_NS(collapse),
	.iter_next = PTK_NS(iter_next),
	.iter_set = PTK_NS(iter_set),
	.iter_clear = PTK_NS(iter_clear),
};

static enum ptk_entry_type PTK_NS(hook_classify)(const struct ptk_fmt *f,
						 unsigned int l, ptk_pte_t pte)
{
	return ptkf_classify(f, l, pte);
}

static ptk_oa_t PTK_NS(hook_table_oa)(const struct ptk_fmt *f, unsigned int l,
				      ptk_pte_t pte)
{
	return ptkf_table_oa(f, l, pte);
}

static ptk_oa_t PTK_NS(hook_leaf_oa)(const struct ptk_fmt *f, unsigned int l,
				     ptk_pte_t pte)
{
	return ptkf_leaf_oa(f, l, pte);
}

static ptk_pte_t PTK_NS(hook_make_table)(const struct ptk_fmt *f,
					 unsigned int l, ptk_oa_t oa)
{
	return ptkf_make_table(f, l, oa);
}

static ptk_pte_t PTK_NS(hook_make_leaf)(const struct ptk_fmt *f, unsigned int l,
					ptk_oa_t oa, ptk_pte_t bits)
{
	return ptkf_make_leaf(f, l, oa, bits);
}

static int PTK_NS(hook_encode)(const struct ptk_fmt *f, unsigned int l,
			       const struct ptk_attrs *attrs,
			       unsigned int flags, ptk_pte_t *bits_out)
{
	return ptkf_encode(f, l, attrs, flags, bits_out);
}

static void PTK_NS(hook_decode)(const struct ptk_fmt *f, unsigned int l,
				ptk_pte_t pte, struct ptk_attrs *attrs_out)
{
	ptkf_decode(f, l, pte, attrs_out);
}

#if defined(PTKF_HAS_CONTIG)
static bool PTK_NS(hook_is_contig)(const struct ptk_fmt *f, unsigned int l,
				   ptk_pte_t pte)
{
	return ptkf_is_contig(f, l, pte);
}

static ptk_pte_t PTK_NS(hook_contig_entry)(const struct ptk_fmt *f,
					   unsigned int l, ptk_pte_t first,
					   unsigned int j)
{
	return ptkf_contig_entry(f, l, first, j);
}
#define PTK_HOOK_CONTIG_                     \
	.is_contig = PTK_NS(hook_is_contig), \
	.contig_entry = PTK_NS(hook_contig_entry),
#else
#define PTK_HOOK_CONTIG_
#endif

static const struct ptk_fmt_hooks
	PTK_NS(hooks) = { .version = PTK_FMT_HOOKS_VERSION,
			  .classify = PTK_NS(hook_classify),
			  .table_oa = PTK_NS(hook_table_oa),
			  .leaf_oa = PTK_NS(hook_leaf_oa),
			  .make_table = PTK_NS(hook_make_table),
			  .make_leaf = PTK_NS(hook_make_leaf),
			  .encode = PTK_NS(hook_encode),
			  .decode = PTK_NS(hook_decode),
			  PTK_HOOK_CONTIG_ };

static const char *const PTK_NS(level_names)[] = { PTKF_LEVEL_NAMES };

#define PTK_GEO_(l, fn) ((l) < PTKF_LEVELS ? (fn(l)) : 0)

const struct ptk_fmt PTK_FMT_SYM = {
	.version = PTK_FMT_VERSION,
	.name = PTKF_NAME,
	.desc = PTKF_DESC,
	.levels = PTKF_LEVELS,
	.entry_lg2 = PTKF_ENTRY_LG2,
	.va_bits = PTKF_VA_BITS,
	.oa_bits = PTKF_OA_BITS,
	.level_shift = { PTK_GEO_(0, PTKF_SHIFT), PTK_GEO_(1, PTKF_SHIFT),
			 PTK_GEO_(2, PTKF_SHIFT), PTK_GEO_(3, PTKF_SHIFT),
			 PTK_GEO_(4, PTKF_SHIFT), PTK_GEO_(5, PTKF_SHIFT) },
	.level_bits = { PTK_GEO_(0, PTKF_BITS), PTK_GEO_(1, PTKF_BITS),
			PTK_GEO_(2, PTKF_BITS), PTK_GEO_(3, PTKF_BITS),
			PTK_GEO_(4, PTKF_BITS), PTK_GEO_(5, PTKF_BITS) },
	.leaf_levels = PTKF_LEAF_LEVELS,
	.features = PTKF_FEATURES,
	.leaf_oa_mask = { PTK_GEO_(0, PTKF_LEAF_OA_MASK),
			  PTK_GEO_(1, PTKF_LEAF_OA_MASK),
			  PTK_GEO_(2, PTKF_LEAF_OA_MASK),
			  PTK_GEO_(3, PTKF_LEAF_OA_MASK),
			  PTK_GEO_(4, PTKF_LEAF_OA_MASK),
			  PTK_GEO_(5, PTKF_LEAF_OA_MASK) },
	.contig_lg2 = { PTK_GEO_(0, PTKF_CONTIG_LG2),
			PTK_GEO_(1, PTKF_CONTIG_LG2),
			PTK_GEO_(2, PTKF_CONTIG_LG2),
			PTK_GEO_(3, PTKF_CONTIG_LG2),
			PTK_GEO_(4, PTKF_CONTIG_LG2),
			PTK_GEO_(5, PTKF_CONTIG_LG2) },
	.leaf_oa_bits = { PTK_GEO_(0, PTKF_LEAF_OA_BITS),
			  PTK_GEO_(1, PTKF_LEAF_OA_BITS),
			  PTK_GEO_(2, PTKF_LEAF_OA_BITS),
			  PTK_GEO_(3, PTKF_LEAF_OA_BITS),
			  PTK_GEO_(4, PTKF_LEAF_OA_BITS),
			  PTK_GEO_(5, PTKF_LEAF_OA_BITS) },
	.table_oa_bits = PTKF_TABLE_OA_BITS,
	.hooks = &PTK_NS(hooks),
	.ops = &PTK_NS(ops),
	.level_names = PTK_NS(level_names),
	.priv = NULL,
};
