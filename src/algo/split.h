/* SPDX-License-Identifier: MIT */
/*
 * split and collapse: one leaf at a given level becomes a table of
 * smaller leaves with the same translation (a contiguous group becomes
 * plain leaves in place), and back.
 */

/**
 * struct PTK_NS(one_args) - The entry split or collapse works on
 * @va: An address inside it
 * @l: Its level
 */
struct PTK_NS(one_args) {
	ptk_va_t va;
	unsigned int l;
};

/*
 * Point @c at the entry for @va at level @l; 0, PTK_ENOENT (no table
 * down to it) or PTK_ECORRUPT.
 */
static int PTK_NS(cur_find)(struct ptk_cur *c, const struct ptk_table *t,
			    ptk_va_t va, unsigned int l)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int lv = ptkf_levels(f) - 1;

	c->tbl = t->root;
	c->a = va;
	c->last = va;
	c->vtype = PTK_ENTRY_EMPTY;
	for (;; lv--) {
		c->idx = PTK_NS(idx)(f, lv, va);
		c->pte = PTK_NS(ld)(f, c->tbl, c->idx);
		c->type = ptkf_classify(f, lv, c->pte);
		if (lv == l)
			break;
		if (c->type != PTK_ENTRY_TABLE)
			return c->type == PTK_ENTRY_INVALID ? PTK_ECORRUPT
							    : PTK_ENOENT;
		c->tbl = PTK_NS(cur_child)(c, t, lv);
		if (!c->tbl)
			return PTK_ECORRUPT;
	}
	PTK_NS(cur_load)(c, f, l);
	return 0;
}

static int PTK_NS(split_pass)(struct PTK_NS(mut) * m, void *arg)
{
	const struct PTK_NS(one_args) *sa = arg;
	const struct ptk_fmt *f = m->t->fmt;
	unsigned int l = sa->l;
	struct ptk_cur c;
	int rc = PTK_NS(cur_find)(&c, m->t, sa->va, l);

	if (rc)
		return rc;
	if (c.type != PTK_ENTRY_LEAF)
		return PTK_ENOENT;
	if (ptkf_contig_lg2(f, l) && ptkf_is_contig(f, l, c.pte)) {
		/* A group splits into plain leaves, in place. */
		ptk_va_t g = sa->va & ~ptk_lg2_mask(ptkf_shift(f, l) +
						    ptkf_contig_lg2(f, l));

		return PTK_NS(fix_groups)(m, l, c.tbl, g, g, true, 0);
	}
	if (l == 0)
		return PTK_ENOENT;
	if (m->check)
		return PTK_NS(check_split)(m, l, &c, false);
	PTK_NS(split_leaf)(m, l, &c, false);
	return 0;
}

static int PTK_NS(split)(struct ptk_table *t, ptk_va_t va, unsigned int l,
			 struct ptk_gather *g)
{
	struct PTK_NS(one_args) sa = { va, l };

	return PTK_NS(mutate)(t, g, PTK_NS(split_pass), NULL, &sa, NULL);
}

static int PTK_NS(collapse_pass)(struct PTK_NS(mut) * m, void *arg)
{
	const struct PTK_NS(one_args) *sa = arg;
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int l = sa->l;
	uint64_t n, j;
	struct ptk_attrs a0, aj;
	ptk_pte_t c0, bits = 0;
	ptk_oa_t coa, oa0;
	struct ptk_cur c;
	void *child;
	int rc = PTK_NS(cur_find)(&c, t, sa->va, l);

	if (rc)
		return rc;
	if (l == 0 || !ptkf_leaf_ok(f, l))
		return PTK_ENOTSUP;
	if (c.type != PTK_ENTRY_TABLE)
		return PTK_ENOENT;
	coa = ptkf_table_oa(f, l, c.pte);
	child = PTK_NS(cur_child)(&c, t, l);
	if (!child)
		return PTK_ECORRUPT;
	c0 = PTK_NS(ld)(f, child, 0);
	if (ptkf_classify(f, l - 1, c0) != PTK_ENTRY_LEAF)
		return PTK_ENOTUNIFORM;
	oa0 = PTK_NS(entry_oa)(f, l - 1, c0, 0);
	if (oa0 & ptk_lg2_mask(ptkf_shift(f, l)))
		return PTK_ENOTUNIFORM;
	ptkf_decode(f, l - 1, c0, &a0);
	if (!m->check) {
		/* The check pass found it uniform, and that it encodes. */
		(void)ptkf_encode(f, l, &a0, 0, &bits);
		PTK_NS(cur_set)(&c, f, ptkf_make_leaf(f, l, oa0, bits));
		ptk_table__unlinked(t, l - 1, coa);
		ptk_table__defer_free(t, m->g, coa, child,
				      PTK_NS(tbl_lg2)(f, l - 1));
		PTK_NS(gather)(m, c.e_va, PTK_NS(cur_e_last)(&c, f, l));
		return 0;
	}
	n = PTK_NS(nr_entries)(f, l - 1);
	for (j = 1; j < n; j++) {
		ptk_pte_t cj = PTK_NS(ld)(f, child, j);

		if (ptkf_classify(f, l - 1, cj) != PTK_ENTRY_LEAF ||
		    PTK_NS(entry_oa)(f, l - 1, cj, j) !=
			    oa0 + (j << ptkf_shift(f, l - 1)))
			return PTK_ENOTUNIFORM;
		ptkf_decode(f, l - 1, cj, &aj);
		if (aj.prot != a0.prot || aj.flags != a0.flags ||
		    aj.memtype != a0.memtype || aj.sw != a0.sw)
			return PTK_ENOTUNIFORM;
	}
	return ptkf_encode(f, l, &a0, 0, &bits);
}

static int PTK_NS(collapse)(struct ptk_table *t, ptk_va_t va, unsigned int l,
			    struct ptk_gather *g)
{
	struct PTK_NS(one_args) sa = { va, l };

	return PTK_NS(mutate)(t, g, PTK_NS(collapse_pass), NULL, &sa, NULL);
}
