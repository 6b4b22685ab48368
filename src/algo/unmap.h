/* SPDX-License-Identifier: MIT */
/*
 * unmap: clear a range, release whole subtrees, prune tables it empties.
 *
 * Whole entries cannot make an unmap fail (a whole malformed entry is
 * cleared like any other), so its check pass looks only at the two ends
 * of the range at each level: a huge leaf to split, a contiguous group to
 * take apart, a table to descend into; and at nothing when the range
 * lies inside one leaf table without groups.
 */

/**
 * struct PTK_NS(unmap_args) - What ptk_unmap() asked for
 * @va: First address
 * @last: Last address
 * @flags: PTK_UNMAP_* flags
 */
struct PTK_NS(unmap_args) {
	ptk_va_t va;
	ptk_va_t last;
	unsigned int flags;
};

/*
 * Real pass: clear the run of whole entries from @c that are no tables
 * (leaves, malformed ones, empty ones), and gather what held something.
 */
static PTK_ALWAYS_INLINE void
PTK_NS(clear_run)(struct PTK_NS(mut) * m, unsigned int l, struct ptk_cur *c)
{
	const struct ptk_fmt *f = m->t->fmt;
	uint64_t max = PTK_NS(cur_whole_room)(c, f, l);
	uint64_t k;
	struct ptk_changed ch = PTK_CHANGED_INIT;

	for (k = 0; k < max; k++) {
		ptk_pte_t e = PTK_NS(ld)(f, c->tbl, c->idx + k);
		enum ptk_entry_type ty = ptkf_classify(f, l, e);

		if (ty == PTK_ENTRY_EMPTY)
			continue;
		if (l > 0 && ty == PTK_ENTRY_TABLE)
			break;
		PTK_NS(st)(f, c->tbl, c->idx + k, 0);
		ptk_changed_add(&ch, k);
	}
	PTK_NS(gather_changed)(m, c, l, &ch);
	PTK_NS(cur_take)(c, f, l, k ? k : 1);
}

PTK_LEVELS_DECLARE(unmap,
		   (struct PTK_NS(mut) * m,
		    const struct PTK_NS(unmap_args) * ua, void *tbl,
		    ptk_va_t va, ptk_va_t last),
		   (m, ua, tbl, va, last))

PTK_BODY PTK_NS(unmap_body)(unsigned int l, struct PTK_NS(mut) * m,
			    const struct PTK_NS(unmap_args) * ua, void *tbl,
			    ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	bool split = ua->flags & PTK_UNMAP_SPLIT;
	struct ptk_cur c;
	int rc;

	if (ptkf_contig_lg2(f, l)) {
		rc = PTK_NS(fix_groups)(m, l, tbl, va, last, split, PTK_ESPLIT);
		if (rc)
			return rc;
	}
	/* (Only the split of a huge leaf is a table that does not exist
	 * yet in an unmap.) */
	PTK_NS(cur_start)(&c, f, l, tbl, va, last, PTK_ENTRY_LEAF);
	do {
		switch (PTK_NS(cur_type)(&c, l)) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_TABLE: {
			void *child;

			if (c.whole) {
				if (!m->check)
					PTK_NS(release_entry)(m, l, &c);
				break;
			}
			child = PTK_NS(cur_child)(&c, t, l);
			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			rc = PTK_NS(unmap_at)(l - 1, m, ua, child, c.a, c.b);
			if (rc)
				return rc;
			if (!m->check)
				PTK_NS(prune)
			(m, l, &c, child, ptkf_table_oa(f, l, c.pte));
			break;
		}
		case PTK_ENTRY_LEAF:
			if (c.whole) {
				if (!m->check)
					PTK_NS(clear_run)(m, l, &c);
				break;
			}
			if (!split)
				return PTK_ESPLIT;
			if (m->check) {
				rc = PTK_NS(check_split)(m, l, &c, false);
				if (!rc)
					rc = PTK_NS(unmap_at)(l - 1, m, ua,
							      NULL, c.a, c.b);
				if (rc)
					return rc;
			} else {
				void *child =
					PTK_NS(split_leaf)(m, l, &c, false);

				PTK_NS(unmap_at)(l - 1, m, ua, child, c.a, c.b);
			}
			break;
		default:
			if (!c.whole)
				return PTK_ECORRUPT;
			if (!m->check)
				PTK_NS(clear_run)(m, l, &c);
			break;
		}
	} while (PTK_NS(cur_next_checked)(&c, f, l, m->check));
	return 0;
}

PTK_LEVELS_DEFINE(unmap,
		  (struct PTK_NS(mut) * m, const struct PTK_NS(unmap_args) * ua,
		   void *tbl, ptk_va_t va, ptk_va_t last),
		  (m, ua, tbl, va, last))

static int PTK_NS(unmap_pass)(struct PTK_NS(mut) * m, void *arg)
{
	const struct PTK_NS(unmap_args) *ua = arg;
	int rc;

	/* Check pass, a range inside one leaf table without groups: its
	 * entries are whole and cleared, whatever they hold; nothing there
	 * can fail or needs a table. */
	if (m->check && m->l0 == 0 && !ptkf_contig_lg2(m->t->fmt, 0))
		return 0;
	rc = PTK_NS(unmap_at)(m->l0, m, ua, m->path[m->l0], ua->va, ua->last);
	if (!rc && !m->check)
		PTK_NS(prune_path)(m, ua->va);
	return rc;
}

static int PTK_NS(unmap)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			 unsigned int flags, struct ptk_gather *g)
{
	struct PTK_NS(unmap_args) ua = { va, last, flags };
	struct ptk_range r = { va, last };

	return PTK_NS(mutate)(t, g, PTK_NS(unmap_pass), NULL, &ua, &r);
}
