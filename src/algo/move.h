/* SPDX-License-Identifier: MIT */
/*
 * move (mremap): a DUAL iterator over one table, from a source range to a
 * destination range that does not overlap it. Whole tables are relinked
 * when alignment allows; leaves that keep their size move as raw entries
 * into the destination's tables (the kernel's move_ptes); anything else
 * is mapped again with map's body. Then the source range is unmapped
 * with unmap's body, which frees the tables left empty.
 *
 * When the move leaves nothing behind in the source (whole tables
 * relinked, holes), that unmap would only prune: then the move prunes as
 * it goes, where no piece still to be placed can land in the table (see
 * move_prune()), and the unmap is not run.
 */

/**
 * struct PTK_NS(move_args) - What ptk_move() asked for
 * @va: First address of the source range
 * @last: Its last address
 * @delta: new_va - va
 * @flags: PTK_MOVE_* flags
 * @left: This pass left work to the unmap that follows: source entries to
 *        clear, or a table to release or prune
 * @dc_tbl: The destination table dst_table() found last (a real one)...
 * @dc_va: ...the first address it spans...
 * @dc_l: ...and its level
 * @un: The unmap of the source range that follows
 */
struct PTK_NS(move_args) {
	ptk_va_t va;
	ptk_va_t last;
	ptk_va_t delta;
	unsigned int flags;
	bool left;
	unsigned int dc_l;
	void *dc_tbl;
	ptk_va_t dc_va;
	struct PTK_NS(unmap_args) un;
};

/*
 * Find (real pass: make) the table at level @l that holds the entry for
 * @va of the destination. Returns it in *@tbl_out (NULL in the check pass
 * when it would be new).
 *
 * The last table found is remembered, also from the check pass to the
 * real one: a table that exists stays linked until the move is done (the
 * pass unlinks only source tables no piece can land in, move_prune(); on
 * a shared table, other writers unlink nothing in this range).
 */
static PTK_NOINLINE int PTK_NS(dst_walk)(struct PTK_NS(mut) * m,
					 struct PTK_NS(move_args) * mv,
					 unsigned int l, ptk_va_t va,
					 ptk_va_t base, void **tbl_out)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int lv = ptkf_levels(f) - 1;
	struct ptk_cur c;
	ptk_oa_t coa;

	c.tbl = t->root;
	for (; lv > l; lv--) {
		c.idx = PTK_NS(idx)(f, lv, va);
		c.pte = PTK_NS(ld)(f, c.tbl, c.idx);
		switch (ptkf_classify(f, lv, c.pte)) {
		case PTK_ENTRY_TABLE:
			c.tbl = PTK_NS(cur_child)(&c, t, lv);
			if (!c.tbl)
				return PTK_ECORRUPT;
			continue;
		case PTK_ENTRY_EMPTY:
			if (m->check) {
				/* Every level from here down is new. */
				for (; lv > l; lv--)
					PTK_NS(count_new)
				(m, lv - 1,
				 va & ~ptk_lg2_mask(ptkf_shift(f, lv)));
				*tbl_out = NULL;
				return 0;
			}
			c.tbl = PTK_NS(link_new)(m, lv, &c, &coa);
			continue;
		case PTK_ENTRY_LEAF:
			return PTK_EEXIST;
		default:
			return PTK_ECORRUPT;
		}
	}
	mv->dc_tbl = c.tbl;
	mv->dc_va = base;
	mv->dc_l = l;
	*tbl_out = c.tbl;
	return 0;
}

static PTK_ALWAYS_INLINE int PTK_NS(dst_table)(struct PTK_NS(mut) * m,
					       struct PTK_NS(move_args) * mv,
					       unsigned int l, ptk_va_t va,
					       void **tbl_out)
{
	const struct ptk_fmt *f = m->t->fmt;
	ptk_va_t tmask = ptk_lg2_mask(ptkf_shift(f, l) + ptkf_bits(f, l));
	ptk_va_t base = va & ~tmask;

	if (mv->dc_tbl && mv->dc_l == l && mv->dc_va == base) {
		*tbl_out = mv->dc_tbl;
		return 0;
	}
	/* A table on the way down to where the passes start (it spans the
	 * whole source range, and stays linked until the move is done). */
	if (l >= m->l0 && base == (mv->va & ~tmask)) {
		*tbl_out = m->path[l];
		return 0;
	}
	return PTK_NS(dst_walk)(m, mv, l, va, base, tbl_out);
}

/*
 * The loop of move_run(): entries @idx.. of @src to @didx.. of @dst, at
 * most @max. @look: test each destination slot first; @check: write
 * nothing. Always inlined with both constant, so the real pass below
 * level 1 (the bulk of a move) runs a loop with neither test.
 */
static PTK_ALWAYS_INLINE int64_t PTK_NS(move_loop)(const struct ptk_table *t,
						   unsigned int l,
						   const void *src,
						   uint64_t idx, void *dst,
						   uint64_t didx, uint64_t max,
						   bool look, bool check)
{
	const struct ptk_fmt *f = t->fmt;
	uint64_t k;

	for (k = 0; k < max; k++) {
		ptk_pte_t se = PTK_NS(ld)(f, src, idx + k);
		enum ptk_entry_type ty = ptkf_classify(f, l, se);

		if (ty != PTK_ENTRY_LEAF) {
			if (ty == PTK_ENTRY_EMPTY && k)
				continue;
			break;
		}
		if (ptkf_contig_lg2(f, l) && ptkf_is_contig(f, l, se))
			break;
		if (look) {
			enum ptk_entry_type dt = ptkf_classify(
				f, l, PTK_NS(ld)(f, dst, didx + k));

			/* (shared: a table left in place; the leaves are
			 * mapped into it by map_like()) */
			if (dt == PTK_ENTRY_TABLE && ptk_table__shared(t))
				break;
			if (dt != PTK_ENTRY_EMPTY)
				return PTK_EEXIST;
		}
		if (!check)
			PTK_NS(st)(f, dst, didx + k, se);
	}
	return (int64_t)k;
}

/*
 * The raw move of the run of whole leaves from @c (level @l) that keep
 * their size: into the destination table at the same level, up to its
 * end. Returns the entries taken (0: none, use map_like()) or an error.
 */
static PTK_ALWAYS_INLINE int64_t PTK_NS(move_run)(struct PTK_NS(mut) * m,
						  struct PTK_NS(move_args) * mv,
						  unsigned int l,
						  struct ptk_cur *c)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	ptk_va_t dva = c->e_va + mv->delta;
	uint64_t didx = PTK_NS(idx)(f, l, dva), max;
	void *dtbl;
	int rc;

	rc = PTK_NS(dst_table)(m, mv, l, dva, &dtbl);
	if (rc)
		return rc;
	max = PTK_NS(cur_whole_room)(c, f, l);
	if (max > PTK_NS(nr_entries)(f, l) - didx)
		max = PTK_NS(nr_entries)(f, l) - didx;
	/* Check pass, level 0 of a trusted table without groups, into a
	 * table to be made: nothing there can fail. */
	if (m->check && !dtbl && l == 0 && !ptkf_contig_lg2(f, l) &&
	    PTK_NS(trusted)(t))
		return (int64_t)max;
	/* Level 0 holds no tables, and its slots in a new table are empty
	 * or were checked: only above look at the destination again. */
	if (m->check)
		return PTK_NS(move_loop)(t, l, c->tbl, c->idx, dtbl, didx, max,
					 dtbl != NULL, true);
	if (dtbl && l > 0)
		return PTK_NS(move_loop)(t, l, c->tbl, c->idx, dtbl, didx, max,
					 true, false);
	return PTK_NS(move_loop)(t, l, c->tbl, c->idx, dtbl, didx, max, false,
				 false);
}

/*
 * Real pass: the move is done with [c->a, c->b] of @child, the table below
 * the entry at @c (level @l), and left nothing there for the unmap. Do
 * the unmap's part here: prune @child if it is empty, unless a piece still
 * to be placed may land in it (the check pass counted on it being there),
 * or leave that to the unmap. A whole table is always left to it.
 */
static PTK_ALWAYS_INLINE void PTK_NS(move_prune)(struct PTK_NS(mut) * m,
						 struct PTK_NS(move_args) * mv,
						 unsigned int l,
						 struct ptk_cur *c, void *child)
{
	const struct ptk_fmt *f = m->t->fmt;
	ptk_va_t e_last = PTK_NS(cur_e_last)(c, f, l);

	if (mv->left)
		return;
	if (c->whole) {
		mv->left = true;
		return;
	}
	/* The pieces still to place go to [c->b + 1, last] + delta. */
	if (c->b < mv->last && c->b + 1 + mv->delta <= e_last &&
	    mv->last + mv->delta >= c->e_va) {
		if (!ptk_table__shared(m->t) &&
		    PTK_NS(table_empty)(f, l - 1, child))
			mv->left = true;
		return;
	}
	PTK_NS(prune)(m, l, c, child, ptkf_table_oa(f, l, c->pte));
}

/*
 * The destination slot of the relink of the table entry at @c (level
 * @l): its table in *@dtbl (NULL in the check pass: one the real pass
 * makes) and its index in *@didx. PTK_EEXIST when the slot is in use.
 */
static PTK_ALWAYS_INLINE int PTK_NS(relink_slot)(struct PTK_NS(mut) * m,
						 struct PTK_NS(move_args) * mv,
						 unsigned int l,
						 const struct ptk_cur *c,
						 void **dtbl, uint64_t *didx)
{
	const struct ptk_fmt *f = m->t->fmt;
	ptk_va_t dva = c->e_va + mv->delta;
	int rc = PTK_NS(dst_table)(m, mv, l, dva, dtbl);

	if (rc)
		return rc;
	*didx = PTK_NS(idx)(f, l, dva);
	if (*dtbl &&
	    ptkf_classify(f, l, PTK_NS(ld)(f, *dtbl, *didx)) != PTK_ENTRY_EMPTY)
		return PTK_EEXIST;
	return 0;
}

/* Real pass: move the table entry at @c (level @l) to that slot. */
static PTK_ALWAYS_INLINE void PTK_NS(relink)(struct PTK_NS(mut) * m,
					     unsigned int l, struct ptk_cur *c,
					     void *dtbl, uint64_t didx)
{
	const struct ptk_fmt *f = m->t->fmt;

	PTK_NS(st)(f, dtbl, didx, c->pte);
	PTK_NS(cur_set)(c, f, 0);
	PTK_NS(gather)(m, c->e_va, PTK_NS(cur_e_last)(c, f, l));
}

PTK_LEVELS_DECLARE(move,
		   (struct PTK_NS(mut) * m, struct PTK_NS(move_args) * mv,
		    void *tbl, ptk_va_t va, ptk_va_t last),
		   (m, mv, tbl, va, last))

PTK_BODY PTK_NS(move_body)(unsigned int l, struct PTK_NS(mut) * m,
			   struct PTK_NS(move_args) * mv, void *tbl,
			   ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	ptk_va_t smask = ptk_lg2_mask(ptkf_shift(f, l));
	bool keep_size = !(mv->delta & smask);
	struct ptk_cur c;
	int64_t n;
	int rc;

	PTK_NS(cur_start)(&c, f, l, tbl, va, last, PTK_ENTRY_EMPTY);
	do {
		switch (PTK_NS(cur_type)(&c, l)) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_TABLE: {
			void *child = PTK_NS(cur_child)(&c, t, l);
			void *dtbl;
			uint64_t didx;

			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			/*
			 * Not on a shared table: a reader may hold this table
			 * under its old address, and must not see it written
			 * to for the new one (its entries are moved instead,
			 * and the table retired like any other).
			 */
			if (!c.whole || l == top || !keep_size ||
			    ptk_table__shared(t)) {
				bool left = mv->left;

				mv->left = false;
				rc = PTK_NS(move_at)(l - 1, m, mv, child, c.a,
						     c.b);
				if (rc)
					return rc;
				if (!m->check)
					PTK_NS(move_prune)(m, mv, l, &c, child);
				mv->left |= left;
				break;
			}
			/* Aligned: relink the whole table. */
			rc = PTK_NS(relink_slot)(m, mv, l, &c, &dtbl, &didx);
			if (rc)
				return rc;
			if (!m->check)
				PTK_NS(relink)(m, l, &c, dtbl, didx);
			break;
		}
		case PTK_ENTRY_LEAF:
			if (!c.whole && !(mv->flags & PTK_MOVE_SPLIT))
				return PTK_ESPLIT;
			if (c.whole && keep_size &&
			    !(ptkf_contig_lg2(f, l) &&
			      ptkf_is_contig(f, l, c.pte))) {
				n = PTK_NS(move_run)(m, mv, l, &c);
				if (n < 0)
					return (int)n;
				if (n) {
					PTK_NS(cur_take)(&c, f, l, (uint64_t)n);
					mv->left = true;
					break;
				}
			}
			if (c.whole && !ptkf_is_contig(f, l, c.pte))
				PTK_NS(cur_take)
			(&c, f, l,
			 PTK_NS(run_len)(f, l, c.tbl, c.idx, c.pte,
					 PTK_NS(cur_whole_room)(&c, f, l), 0));
			rc = PTK_NS(
				map_like)(m, top, t->root, c.a + mv->delta,
					  c.b + mv->delta,
					  PTK_NS(entry_oa)(f, l, c.pte, c.idx) +
						  (c.a - c.e_va),
					  l, c.pte);
			if (rc)
				return rc;
			mv->left = true;
			break;
		default:
			return PTK_ECORRUPT;
		}
	} while (PTK_NS(cur_next)(&c, f, l));
	return 0;
}

PTK_LEVELS_DEFINE(move,
		  (struct PTK_NS(mut) * m, struct PTK_NS(move_args) * mv,
		   void *tbl, ptk_va_t va, ptk_va_t last),
		  (m, mv, tbl, va, last))

/*
 * Place every piece at the destination (in the check pass against the
 * table as it is: pieces are disjoint, so none can see another's work;
 * tables may be counted twice, never too few), then take the source
 * away.
 */
static int PTK_NS(move_pass)(struct PTK_NS(mut) * m, void *arg)
{
	struct PTK_NS(move_args) *mv = arg;
	int rc;

	mv->un.va = mv->va;
	mv->un.last = mv->last;
	mv->un.flags = (mv->flags & PTK_MOVE_SPLIT) ? PTK_UNMAP_SPLIT : 0;
	mv->left = false;
	rc = PTK_NS(move_at)(m->l0, m, mv, m->path[m->l0], mv->va, mv->last);
	if (rc)
		return rc;
	/* Nothing left in the source: the move pruned what it emptied
	 * (below where it started). */
	if (!m->check && !mv->left) {
		PTK_NS(prune_path)(m, mv->va);
		return 0;
	}
	/* Without PTK_MOVE_SPLIT and contiguous groups the unmap cannot
	 * fail: the move checked the source's edges (a cut huge leaf, a
	 * malformed entry). */
	if (m->check && !(mv->flags & PTK_MOVE_SPLIT) &&
	    !PTK_NS(has_groups)(m->t->fmt))
		return 0;
	rc = PTK_NS(unmap_at)(m->l0, m, &mv->un, m->path[m->l0], mv->va,
			      mv->last);
	if (!rc && !m->check)
		PTK_NS(prune_path)(m, mv->va);
	return rc;
}

/*
 * The shortcut of a move that is one relink (an aligned mremap of what
 * one table entry spans): the range is exactly the entry at m->path[m->l0]
 * where the passes would start, that entry is a table, and the
 * destination's slot is empty in a table that exists. Then the move is
 * two stores, checked before the first, and needs neither the passes nor
 * tables. Anything else is left to them (they also report what is wrong).
 */
static int PTK_NS(move_one)(struct PTK_NS(mut) * m, void *arg)
{
	struct PTK_NS(move_args) *mv = arg;
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int l = m->l0;
	ptk_va_t smask = ptk_lg2_mask(ptkf_shift(f, l));
	struct ptk_cur c;
	uint64_t didx;
	void *dtbl;

	/* One whole entry, to a place of the same alignment; not on a
	 * shared table (see move_body()), nor an entry of the root. */
	if (l == 0 || l == ptkf_levels(f) - 1 || (mv->va & smask) ||
	    mv->last != (mv->va | smask) || (mv->delta & smask) ||
	    ptk_table__shared(t))
		return PTK__PASSES;
	c.tbl = m->path[l];
	c.e_va = mv->va;
	c.idx = PTK_NS(idx)(f, l, mv->va);
	c.pte = PTK_NS(ld)(f, c.tbl, c.idx);
	if (ptkf_classify(f, l, c.pte) != PTK_ENTRY_TABLE ||
	    !PTK_NS(cur_child)(&c, t, l))
		return PTK__PASSES;
	if (PTK_NS(relink_slot)(m, mv, l, &c, &dtbl, &didx) || !dtbl)
		return PTK__PASSES;
	m->check = false;
	PTK_NS(relink)(m, l, &c, dtbl, didx);
	/* The table the entry left may be empty now, unless it holds the
	 * destination. */
	if (dtbl != c.tbl)
		PTK_NS(prune_path)(m, mv->va);
	return 0;
}

static int PTK_NS(move)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			ptk_va_t new_va, unsigned int flags,
			struct ptk_gather *g)
{
	struct PTK_NS(move_args) mv;
	struct ptk_range r = { va, last };

	/* (Every field is set: this is on the path of every small move.) */
	mv.va = va;
	mv.last = last;
	mv.delta = new_va - va;
	mv.flags = flags;
	mv.left = false;
	mv.dc_l = 0;
	mv.dc_tbl = NULL;
	mv.dc_va = 0;
	return PTK_NS(mutate)(t, g, PTK_NS(move_pass), PTK_NS(move_one), &mv,
			      &r);
}
