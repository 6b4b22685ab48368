// SPDX-License-Identifier: MIT
/*
 * The run-time "toy32" format; see toy_fmt.h.
 */
#include "toy_fmt.h"

static enum ptk_entry_type toy_classify(const struct ptk_fmt *f,
					unsigned int level, ptk_pte_t pte)
{
	(void)f;
	if (pte >> 32)
		return PTK_ENTRY_INVALID;
	if (!pte)
		return PTK_ENTRY_EMPTY;
	if (!(pte & TOY_P))
		return PTK_ENTRY_INVALID;
	switch (level) {
	case 0:
		return (pte & TOY_H) ? PTK_ENTRY_INVALID : PTK_ENTRY_LEAF;
	case 1:
		if (!(pte & TOY_H))
			return PTK_ENTRY_TABLE;
		if (pte & (TOY_OA_MASK & ~TOY_HUGE_OA_MASK))
			return PTK_ENTRY_INVALID;
		return PTK_ENTRY_LEAF;
	case 2:
		return (pte & TOY_H) ? PTK_ENTRY_INVALID : PTK_ENTRY_TABLE;
	default:
		return PTK_ENTRY_INVALID;
	}
}

static ptk_oa_t toy_table_oa(const struct ptk_fmt *f, unsigned int level,
			     ptk_pte_t pte)
{
	(void)f;
	(void)level;
	return pte & TOY_OA_MASK;
}

static ptk_oa_t toy_leaf_oa(const struct ptk_fmt *f, unsigned int level,
			    ptk_pte_t pte)
{
	(void)f;
	return pte & (level ? TOY_HUGE_OA_MASK : TOY_OA_MASK);
}

static ptk_pte_t toy_make_table(const struct ptk_fmt *f, unsigned int level,
				ptk_oa_t oa)
{
	(void)f;
	(void)level;
	return (oa & TOY_OA_MASK) | TOY_P | TOY_W | TOY_U;
}

static ptk_pte_t toy_make_leaf(const struct ptk_fmt *f, unsigned int level,
			       ptk_oa_t oa, ptk_pte_t bits)
{
	(void)f;
	return (oa & (level ? TOY_HUGE_OA_MASK : TOY_OA_MASK)) | bits;
}

static int toy_encode(const struct ptk_fmt *f, unsigned int level,
		      const struct ptk_attrs *a, unsigned int flags,
		      ptk_pte_t *bits_out)
{
	const uint32_t rx = PTK_PROT_READ | PTK_PROT_EXEC;
	ptk_pte_t bits = TOY_P;

	(void)f;
	if (level > 1 || a->memtype || a->sw >> TOY_SW_BITS ||
	    (a->prot & ~(PTK_PROT_RWX | PTK_PROT_USER)) ||
	    (a->flags &
	     ~(PTK_ATTR_GLOBAL | PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY)))
		return PTK_EINVAL;
	if ((a->prot & rx) != rx && !(flags & PTK_ENC_SUPERSET))
		return PTK_EPROT;
	if (a->prot & PTK_PROT_WRITE)
		bits |= TOY_W;
	if (a->prot & PTK_PROT_USER)
		bits |= TOY_U;
	if (a->flags & PTK_ATTR_ACCESSED)
		bits |= TOY_A;
	if (a->flags & PTK_ATTR_DIRTY)
		bits |= TOY_D;
	if (a->flags & PTK_ATTR_GLOBAL)
		bits |= TOY_G;
	if (level == 1)
		bits |= TOY_H;
	bits |= (ptk_pte_t)a->sw << TOY_SW_SHIFT;
	*bits_out = bits;
	return 0;
}

static void toy_decode(const struct ptk_fmt *f, unsigned int level,
		       ptk_pte_t pte, struct ptk_attrs *a)
{
	(void)f;
	(void)level;
	a->prot = PTK_PROT_READ | PTK_PROT_EXEC;
	if (pte & TOY_W)
		a->prot |= PTK_PROT_WRITE;
	if (pte & TOY_U)
		a->prot |= PTK_PROT_USER;
	a->flags = 0;
	if (pte & TOY_G)
		a->flags |= PTK_ATTR_GLOBAL;
	if (pte & TOY_A)
		a->flags |= PTK_ATTR_ACCESSED;
	if (pte & TOY_D)
		a->flags |= PTK_ATTR_DIRTY;
	a->memtype = 0;
	a->sw = (uint32_t)(pte >> TOY_SW_SHIFT) & ((1u << TOY_SW_BITS) - 1);
}

static const struct ptk_fmt_hooks toy_hooks = {
	.version = PTK_FMT_HOOKS_VERSION,
	.classify = toy_classify,
	.table_oa = toy_table_oa,
	.leaf_oa = toy_leaf_oa,
	.make_table = toy_make_table,
	.make_leaf = toy_make_leaf,
	.encode = toy_encode,
	.decode = toy_decode,
};

static const char *const toy_level_names[] = { "T0", "T1", "T2" };

const struct ptk_fmt toy_fmt = {
	.version = PTK_FMT_VERSION,
	.name = "toy32",
	.desc = "test-only 3-level format, 32-bit entries, 4K/4M pages",
	.levels = 3,
	.entry_lg2 = 2,
	.va_bits = 42,
	.oa_bits = 32,
	.level_shift = { 12, 22, 32 },
	.level_bits = { 10, 10, 10 },
	.leaf_levels = 0x3,
	.features = 0,
	.leaf_oa_mask = { TOY_OA_MASK, TOY_HUGE_OA_MASK, 0 },
	.hooks = &toy_hooks,
	.ops = NULL,
	.level_names = toy_level_names,
	.priv = NULL,
};
