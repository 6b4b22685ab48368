/* SPDX-License-Identifier: MIT */
/*
 * destroy (every table below the root) and check (the invariant checker
 * behind ptk_table_check() and the PTK_DEBUG=3 check after every
 * mutation). Both look at whole tables, not at a range.
 */

static void PTK_NS(destroy)(struct ptk_table *t)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	uint64_t n = (uint64_t)1 << ptkf_bits(f, top);
	struct ptk_gather g;
	uint64_t j;

	ptk_gather_init(&g);
	if (top > 0) {
		for (j = 0; j < n; j++) {
			ptk_pte_t pte = PTK_NS(ld)(f, t->root, j);
			ptk_oa_t coa;
			void *child;

			if (ptkf_classify(f, top, pte) != PTK_ENTRY_TABLE)
				continue;
			coa = ptkf_table_oa(f, top, pte);
			child = PTK_NS(child)(t, top, pte);
			if (child)
				PTK_NS(rel_at)(top - 1, t, &g, child, coa);
			PTK_NS(st)(f, t->root, j, 0);
		}
	}
	ptk_table_flush(t, &g);
}

/* --- check */

struct PTK_NS(check_ctx) {
	const struct ptk_table *t;
	struct ptk_check *out;
	bool owned;
	uint64_t sum;
};

PTK_LEVELS_DECLARE(check,
		   (struct PTK_NS(check_ctx) * c, const void *tbl, ptk_va_t va),
		   (c, tbl, va))

static int PTK_NS(check_fail)(struct PTK_NS(check_ctx) * c, unsigned int l,
			      ptk_va_t va, const char *what)
{
	c->out->bad_level = (int)l;
	c->out->bad_va = va;
	c->out->what = what;
	return PTK_ECORRUPT;
}

/*
 * Entry @j is part of a contiguous group: the group's first entry must be
 * one too, and when @j is that first entry, every entry of the group must
 * be exactly what the format makes for the group.
 */
static PTK_ALWAYS_INLINE int PTK_NS(check_group)(const struct ptk_fmt *f,
						 unsigned int l,
						 const void *tbl, uint64_t j)
{
	unsigned int cl = ptkf_contig_lg2(f, l);
	unsigned int shift = ptkf_shift(f, l);
	uint64_t g0 = j & ~ptk_lg2_mask(cl);
	ptk_pte_t pte = PTK_NS(ld)(f, tbl, g0);
	struct ptk_attrs attrs;
	ptk_pte_t bits, first, ad;
	uint64_t k;

	if (ptkf_classify(f, l, pte) != PTK_ENTRY_LEAF ||
	    !ptkf_is_contig(f, l, pte))
		return PTK_ECORRUPT;
	if (j != g0)
		return 0;
	ptkf_decode(f, l, pte, &attrs);
	if (ptkf_encode(f, l, &attrs, 0, &bits))
		return PTK_ECORRUPT;
	first = ptkf_make_leaf(
		f, l, ptkf_leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift + cl),
		bits);
	/* Accessed/dirty state may differ between entries (see ad_bits). */
	ad = PTK_NS(ad_bits)(f, l);
	for (k = 0; k < ((uint64_t)1 << cl); k++)
		if ((PTK_NS(ld)(f, tbl, g0 + k) ^
		     ptkf_contig_entry(f, l, first, (unsigned int)k)) &
		    ~ad)
			return PTK_ECORRUPT;
	return 0;
}

PTK_BODY PTK_NS(check_body)(unsigned int l, struct PTK_NS(check_ctx) * c,
			    const void *tbl, ptk_va_t va)
{
	const struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	unsigned int shift = ptkf_shift(f, l);
	uint64_t n = (uint64_t)1 << ptkf_bits(f, l);
	bool nonempty = false;
	uint64_t j;
	int rc;

	for (j = 0; j < n; j++) {
		ptk_pte_t pte = PTK_NS(ld)(f, tbl, j);
		ptk_va_t e_va = l == top ? PTK_NS(top_va)(f, j)
					 : va + (j << shift);

		switch (ptkf_classify(f, l, pte)) {
		case PTK_ENTRY_EMPTY:
			continue;
		case PTK_ENTRY_LEAF:
			nonempty = true;
			c->out->leaves[l]++;
			if (ptkf_leaf_oa(f, l, pte) & ptk_lg2_mask(shift))
				return PTK_NS(check_fail)(c, l, e_va,
							  "misaligned leaf");
			if (ptkf_contig_lg2(f, l) &&
			    ptkf_is_contig(f, l, pte)) {
				rc = PTK_NS(check_group)(f, l, tbl, j);
				if (rc)
					return PTK_NS(check_fail)(c, l, e_va,
								  "broken "
								  "contiguous "
								  "group");
			}
			continue;
		case PTK_ENTRY_TABLE: {
			unsigned int clg2;
			ptk_oa_t coa = ptkf_table_oa(f, l, pte);
			const void *child;

			nonempty = true;
			if (l == 0)
				return PTK_NS(check_fail)(c, l, e_va,
							  "table at level 0");
			clg2 = PTK_NS(tbl_lg2)(f, l - 1);
			if (coa & ptk_lg2_mask(clg2))
				return PTK_NS(check_fail)(c, l, e_va,
							  "misaligned table");
			/* The checked path: the tree may be corrupt. */
			child = ptk_table__ptr(t, coa, clg2);
			if (!child)
				return PTK_NS(check_fail)(c, l, e_va,
							  "table not "
							  "addressable");
			c->out->tables[l - 1]++;
			c->sum += ptk_oa_mix(coa);
			rc = PTK_NS(check_at)(l - 1, c, child, e_va);
			if (rc)
				return rc;
			continue;
		}
		default:
			return PTK_NS(check_fail)(c, l, e_va, "invalid entry");
		}
	}
	/* (Shared tables keep empty tables other writers may be using.) */
	if (!nonempty && l != top && c->owned && !ptk_table__shared(c->t))
		return PTK_NS(check_fail)(c, l, va, "empty table");
	return 0;
}

PTK_LEVELS_DEFINE(check,
		  (struct PTK_NS(check_ctx) * c, const void *tbl, ptk_va_t va),
		  (c, tbl, va))

static int PTK_NS(check)(struct ptk_check *out, const struct ptk_table *t)
{
	const struct ptk_fmt *f = t->fmt;
	struct PTK_NS(check_ctx) c;
	unsigned int l;
	int rc;

	c.t = t;
	c.out = out;
	c.owned = !(t->flags & PTK_TABLE__ATTACHED);
	c.sum = 0;
	rc = PTK_NS(check_at)(ptkf_levels(f) - 1, &c, t->root, 0);
	if (rc)
		return rc;
	if (!c.owned)
		return 0;
	for (l = 0; l < ptkf_levels(f); l++) {
		if (out->tables[l] != t->nr_tables[l]) {
			out->bad_level = (int)l;
			out->bad_va = 0;
			out->what = "table count differs from allocations";
			return PTK_ECORRUPT;
		}
	}
	if (c.sum != t->tables_sum) {
		out->bad_va = 0;
		out->what = "a table is reached twice or one is orphaned";
		return PTK_ECORRUPT;
	}
	return 0;
}
