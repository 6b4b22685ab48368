/* SPDX-License-Identifier: MIT */
/*
 * translate: one address, root to leaf, the hot path of every reader.
 */

/* One level of translate_body(); @l is a constant in each expansion. */
static PTK_ALWAYS_INLINE int
PTK_NS(translate_step)(const struct ptk_table *t, ptk_va_t va,
		       struct ptk_xlate *out, int trusted, const void **tbl,
		       unsigned int l)
{
	const struct ptk_fmt *f = t->fmt;
	ptk_pte_t pte = PTK_NS(ld)(f, *tbl, PTK_NS(idx)(f, l, va));
	enum ptk_entry_type type = ptkf_classify(f, l, pte);

	if (PTK_LIKELY(type == PTK_ENTRY_TABLE && l > 0)) {
		ptk_oa_t oa = ptkf_table_oa(f, l, pte);

		/* SAFETY: see tptr(); direct: the provider's delta is 0. */
		if (trusted == 2) {
			*tbl = (const void *)(uintptr_t)oa;
			return 1;
		}
		if (trusted) {
			*tbl = (const void *)(uintptr_t)((uintptr_t)oa +
							 t->lin_delta);
			return 1;
		}
		*tbl = ptk_table__ptr(t, oa, PTK_NS(tbl_lg2)(f, l - 1));
		return *tbl ? 1 : PTK_ECORRUPT;
	}
	if (type == PTK_ENTRY_LEAF) {
		if (out) {
			out->oa = PTK_NS(leaf_va_oa)(f, l, pte, va,
						     &out->size_lg2);
			out->pte = pte;
			out->level = l;
		}
		return 0;
	}
	return type == PTK_ENTRY_EMPTY ? PTK_ENOENT : PTK_ECORRUPT;
}

/*
 * The walk for one address. @trusted (constant in each caller): tables
 * convert by the provider's offset, unchecked; else through the checked
 * path. Two copies, so the fast one calls nothing and saves nothing. The
 * levels are spelled out (not a loop) so that each leaf exit keeps its
 * constant shift.
 */
static PTK_ALWAYS_INLINE int PTK_NS(translate_body)(const struct ptk_table *t,
						    ptk_va_t va,
						    struct ptk_xlate *out,
						    int trusted)
{
	const struct ptk_fmt *f = t->fmt;
	const void *tbl = t->root;
	int rc;

	if (PTK_UNLIKELY(!PTK_NS(va_ok)(f, va)))
		return PTK_ERANGE;
#define PTK_XL_STEP_(L)                                                      \
	if ((L) < ptkf_levels(f)) {                                          \
		rc = PTK_NS(translate_step)(t, va, out, trusted, &tbl, (L)); \
		if (rc <= 0)                                                 \
			return rc;                                           \
	}
	PTK_XL_STEP_(5)
	PTK_XL_STEP_(4)
	PTK_XL_STEP_(3)
	PTK_XL_STEP_(2)
	PTK_XL_STEP_(1)
	PTK_XL_STEP_(0)
#undef PTK_XL_STEP_
	return PTK_ECORRUPT;
}

static PTK_NOINLINE int PTK_NS(translate_checked)(const struct ptk_table *t,
						  ptk_va_t va,
						  struct ptk_xlate *out)
{
	return PTK_NS(translate_body)(t, va, out, 0);
}

static int PTK_NS(translate)(const struct ptk_table *t, ptk_va_t va,
			     struct ptk_xlate *out)
{
	if (PTK_UNLIKELY(t->linear != PTK_LIN_TRUSTED))
		return PTK_NS(translate_checked)(t, va, out);
	return PTK_NS(translate_body)(t, va, out, 1);
}

/* For tables ptkit made in a provider whose addresses are pointers. */
static int PTK_NS(translate_direct)(const struct ptk_table *t, ptk_va_t va,
				    struct ptk_xlate *out)
{
	return PTK_NS(translate_body)(t, va, out, 2);
}
