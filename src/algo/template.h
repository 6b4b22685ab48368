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
 * instance and as struct ptk_fmt_arch, and defines the descriptor. The
 * names it reads are listed in src/fmt/fmt_api.h.
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
	.build = PTK_NS(build),
	.slots_count = PTK_NS(slots_count),
	.slot = PTK_NS(slot),
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

/* The machine around the tables: struct ptk_fmt_arch. */
#ifdef PTKF_MACHINES
static const uint16_t PTK_NS(machines)[] = { PTKF_MACHINES, 0 };
#define PTK_ARCH_MACHINES_ PTK_NS(machines)
#else
#define PTK_ARCH_MACHINES_ NULL
#endif

#ifdef PTKF_LEAF_FLAGS
static const struct ptk_fmt_flag PTK_NS(leaf_flags)[] = { PTKF_LEAF_FLAGS };
#define PTK_ARCH_LEAF_FLAGS_ PTK_NS(leaf_flags)
#define PTK_ARCH_NR_LEAF_FLAGS_ \
	(sizeof(PTK_NS(leaf_flags)) / sizeof(PTK_NS(leaf_flags)[0]))
#else
#define PTK_ARCH_LEAF_FLAGS_ NULL
#define PTK_ARCH_NR_LEAF_FLAGS_ 0
#endif

#ifdef ptkf_root_from_reg
static int PTK_NS(hook_root_from_reg)(const struct ptk_fmt *f,
				      unsigned int root, uint64_t reg,
				      ptk_oa_t *oa_out,
				      struct ptk_fmt_diag *why)
{
	return ptkf_root_from_reg(f, root, reg, oa_out, why);
}
#define PTK_ARCH_ROOT_FROM_REG_ PTK_NS(hook_root_from_reg)
#else
#define PTK_ARCH_ROOT_FROM_REG_ NULL
#endif

#ifdef ptkf_check_ctrl
static int PTK_NS(hook_check_ctrl)(const struct ptk_fmt *f, unsigned int root,
				   uint64_t ctrl, struct ptk_fmt_diag *why)
{
	return ptkf_check_ctrl(f, root, ctrl, why);
}
#define PTK_ARCH_CHECK_CTRL_ PTK_NS(hook_check_ctrl)
#else
#define PTK_ARCH_CHECK_CTRL_ NULL
#endif

#ifdef ptkf_reg_from_root
static int PTK_NS(hook_reg_from_root)(const struct ptk_fmt *f,
				      unsigned int root, ptk_oa_t oa,
				      uint64_t *reg_out,
				      struct ptk_fmt_diag *why)
{
	return ptkf_reg_from_root(f, root, oa, reg_out, why);
}
#define PTK_ARCH_REG_FROM_ROOT_ PTK_NS(hook_reg_from_root)
#else
#define PTK_ARCH_REG_FROM_ROOT_ NULL
#endif

#ifdef ptkf_ctrl_va_flags
static unsigned int PTK_NS(hook_ctrl_va_flags)(const struct ptk_fmt *f,
					       unsigned int root, uint64_t ctrl)
{
	return ptkf_ctrl_va_flags(f, root, ctrl);
}
#define PTK_ARCH_CTRL_VA_FLAGS_ PTK_NS(hook_ctrl_va_flags)
#else
#define PTK_ARCH_CTRL_VA_FLAGS_ NULL
#endif

#ifndef PTKF_DEFAULT_TABLE_LIMIT
static uint32_t PTK_NS(hook_table_limit)(const struct ptk_fmt *f,
					 unsigned int l, ptk_pte_t pte)
{
	return ptkf_table_limit(f, l, pte);
}
#define PTK_ARCH_TABLE_LIMIT_ PTK_NS(hook_table_limit)
#else
#define PTK_ARCH_TABLE_LIMIT_ NULL
#endif

static const struct ptk_fmt_arch PTK_NS(arch) = {
	.version = PTK_FMT_ARCH_VERSION,
	.machines = PTK_ARCH_MACHINES_,
	.root_reg = PTKF_ROOT_REG,
	.ctrl_reg = PTKF_CTRL_REG,
	.note_root = PTKF_NOTE_ROOT,
	.note_ctrl = PTKF_NOTE_CTRL,
	.nr_roots = PTKF_NR_ROOTS,
	.select_bit = PTKF_SELECT_BIT,
	.region_names = { PTKF_REGION_NAMES },
	.root_from_reg = PTK_ARCH_ROOT_FROM_REG_,
	.check_ctrl = PTK_ARCH_CHECK_CTRL_,
	.table_limit = PTK_ARCH_TABLE_LIMIT_,
	.leaf_flags = PTK_ARCH_LEAF_FLAGS_,
	.nr_leaf_flags = PTK_ARCH_NR_LEAF_FLAGS_,
	.listings = PTKF_LISTINGS,
	.reg_from_root = PTK_ARCH_REG_FROM_ROOT_,
	.ctrl_va_flags = PTK_ARCH_CTRL_VA_FLAGS_,
	.note_enable = PTKF_NOTE_ENABLE,
	.enable_bits = PTKF_ENABLE_BITS,
	.flags = PTKF_ARCH_FLAGS,
};

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
	.arch = &PTK_NS(arch),
};
