/* SPDX-License-Identifier: MIT */
/*
 * The cursor iterator's steps, written once like the rest of the engine
 * (included at the end of engine.h).
 *
 * State (struct ptk_iter, private part): the path stack tbl[] from the
 * root (tbl[top]) down to tbl[depth], and pos, the next address to look
 * at, which lies inside tbl[depth]'s span. A step looks at the entry for
 * pos in tbl[depth]: an empty run is skipped in one go, a table entry
 * pushes the child, a leaf (or a run of them) is the item. Stepping past
 * the last entry of a table pops back to its parent, so nothing is read
 * twice and the root is only read again after ptk_iter_yield().
 */

/* Decode @pte's attributes into @it, unless they are there already. */
static PTK_ALWAYS_INLINE void PTK_NS(iter_attrs)(struct ptk_iter *it,
						 unsigned int l, ptk_pte_t pte)
{
	const struct ptk_fmt *f = it->t->fmt;
	ptk_pte_t key = pte & ~ptkf_leaf_oa_mask(f, l);

	if (PTK_UNLIKELY(it->dkey != key || it->dlevel != l)) {
		ptkf_decode(f, l, pte, &it->attrs);
		it->dkey = key;
		it->dlevel = l;
	}
}

/*
 * Move past the entry of tbl[@l] at @idx, whose span ends at @e_last:
 * pops tables whose last entry that was. Returns false at the end of the
 * range.
 */
static PTK_ALWAYS_INLINE bool PTK_NS(iter_advance)(struct ptk_iter *it,
						   unsigned int l, uint64_t idx,
						   ptk_va_t e_last)
{
	const struct ptk_fmt *f = it->t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	ptk_va_t pos;

	if (e_last >= it->last) {
		it->done = true;
		return false;
	}
	if (l == top) {
		if (idx + 1 >= ((uint64_t)1 << ptkf_bits(f, top)))
			goto end;
		pos = PTK_NS(top_va)(f, idx + 1);
	} else {
		pos = e_last + 1;
		/* Past a table's last entry: continue in its parent. */
		while (l < top && PTK_NS(idx)(f, l, pos) == 0)
			l++;
		if (l == top)
			pos = PTK_NS(top_va)(f, PTK_NS(idx)(f, top, pos));
		if (l == top && PTK_NS(idx)(f, top, pos) == 0)
			goto end; /* wrapped past the top of the space */
	}
	if (pos > it->last)
		goto end;
	it->pos = pos;
	it->depth = l;
	return true;
end:
	it->done = true;
	return false;
}

/*
 * Leaves from entry @idx of @tbl on (the first is one), at most @max:
 * eight classified at a time, without a branch between them (with 8-byte
 * entries, a cache line a test, and one prefetch of the next table's
 * line as far in).
 */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(leaf_run)(const struct ptk_fmt *f,
						   unsigned int l,
						   const void *tbl,
						   uint64_t idx, uint64_t max,
						   const unsigned char *pf)
{
	uint64_t cnt = 1;

#define PTK_IS_LEAF_(j) \
	(int)(ptkf_classify(f, l, PTK_NS(ld)(f, tbl, (j))) == PTK_ENTRY_LEAF)
	while (cnt + 8 <= max &&
	       (PTK_IS_LEAF_(idx + cnt) & PTK_IS_LEAF_(idx + cnt + 1) &
		PTK_IS_LEAF_(idx + cnt + 2) & PTK_IS_LEAF_(idx + cnt + 3) &
		PTK_IS_LEAF_(idx + cnt + 4) & PTK_IS_LEAF_(idx + cnt + 5) &
		PTK_IS_LEAF_(idx + cnt + 6) & PTK_IS_LEAF_(idx + cnt + 7))) {
		/* The next table, as far into it as this one is read. */
		if (pf)
			__builtin_prefetch(pf +
					   ((idx + cnt) << ptkf_entry_lg2(f)));
		cnt += 8;
	}
	while (cnt < max && PTK_IS_LEAF_(idx + cnt))
		cnt++;
#undef PTK_IS_LEAF_
	return cnt;
}

/*
 * One item per leaf: how many leaves after the one at @idx (entry @pte,
 * VA @e_va) the caller's ptk_iter_next() may hand out without a step,
 * each entry leaf_step above the one before (so the same attributes and
 * the next output address). None is the table's last entry or the
 * range's last, after which a step must pop a table or end; nor at the
 * top level, where the non-canonical hole may split a run.
 */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(iter_run)(
	struct ptk_iter *it, unsigned int l, const void *tbl, uint64_t idx,
	ptk_pte_t pte, ptk_va_t e_va, const unsigned char *pf)
{
	const struct ptk_fmt *f = it->t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	ptk_pte_t step = ptkf_leaf_step(f, l);
	uint64_t n = (uint64_t)1 << ptkf_bits(f, l);
	uint64_t max, k;

	if (!step || l == ptkf_levels(f) - 1)
		return 0;
	max = PTK_NS(span_entries)(shift, e_va, it->last);
	if (max > n - idx)
		max = n - idx;
	if (max < 3)
		return 0;
	max -= 2;
	/* Eight entries a compare (with 8-byte entries, a cache line and
	 * one prefetch), then one by one to the run's end. */
	for (k = 0; k + 8 <= max; k += 8) {
		const uint64_t j = idx + 1 + k;

		if (((PTK_NS(ld)(f, tbl, j) - pte) ^ step) |
		    ((PTK_NS(ld)(f, tbl, j + 1) - pte) ^ (2 * step)) |
		    ((PTK_NS(ld)(f, tbl, j + 2) - pte) ^ (3 * step)) |
		    ((PTK_NS(ld)(f, tbl, j + 3) - pte) ^ (4 * step)) |
		    ((PTK_NS(ld)(f, tbl, j + 4) - pte) ^ (5 * step)) |
		    ((PTK_NS(ld)(f, tbl, j + 5) - pte) ^ (6 * step)) |
		    ((PTK_NS(ld)(f, tbl, j + 6) - pte) ^ (7 * step)) |
		    ((PTK_NS(ld)(f, tbl, j + 7) - pte) ^ (8 * step)))
			break;
		if (pf)
			__builtin_prefetch(pf + (j << ptkf_entry_lg2(f)));
		pte += 8 * step;
	}
	for (; k < max; k++) {
		pte += step;
		if (PTK_NS(ld)(f, tbl, idx + 1 + k) != pte)
			break;
	}
	if (k) {
		it->run_step = step;
		it->run_size = (ptk_va_t)1 << shift;
		it->run_esize = (size_t)1 << ptkf_entry_lg2(f);
	}
	return k;
}

/*
 * One look at the entry for it->pos in tbl[@l]: 1 with an item, 0 at the
 * end, an error, or PTK_ITER_MOVED_ when the path moved (a push, a pop
 * or an empty run skipped) and the caller should look again at
 * it->depth. Always inlined with @l a constant where that pays.
 */
#define PTK_ITER_MOVED_ 2

static PTK_ALWAYS_INLINE int PTK_NS(iter_step)(struct ptk_iter *it,
					       unsigned int l)
{
	const struct ptk_table *t = it->t;
	const struct ptk_fmt *f = t->fmt;

	{
		const void *tbl = it->tbl[l];
		unsigned int shift = ptkf_shift(f, l);
		uint64_t n = (uint64_t)1 << ptkf_bits(f, l);
		ptk_va_t pos = it->pos;
		uint64_t idx = PTK_NS(idx)(f, l, pos);
		ptk_va_t e_va = pos & ~ptk_lg2_mask(shift);
		ptk_va_t e_last = e_va | ptk_lg2_mask(shift);
		ptk_pte_t pte = PTK_NS(ld)(f, tbl, idx);
		enum ptk_entry_type type = ptkf_classify(f, l, pte);

		if (type == PTK_ENTRY_TABLE && l > 0) {
			ptk_oa_t coa = ptkf_table_oa(f, l, pte);
			void *child =
				PTK_NS(tptr)(t, coa, PTK_NS(tbl_lg2)(f, l - 1));

			if (PTK_LIKELY(child)) {
				/* Its first item fetches the next one. */
				it->pf = l == 1;
				l--;
				it->tbl[l] = child;
				it->tbl_oa[l] = coa;
				it->live[l] = ~(uint64_t)0;
				it->depth = l;
				return PTK_ITER_MOVED_;
			}
			type = PTK_ENTRY_INVALID; /* points outside memory */
		}
		if (type == PTK_ENTRY_LEAF) {
			const unsigned char *pf = NULL;
			unsigned int glg2;
			uint64_t cnt = 1;

			if (l == 0 && it->pf) {
				/* The table's first item: the loops below
				 * fetch the next table as they read this. */
				it->pf = false;
				pf = PTK_NS(next_leaf_table)(
					t, it->tbl[1], PTK_NS(idx)(f, 1, e_va));
			}

			if (it->flags & PTK_ITER_RUNS) {
				/* Consecutive leaves of this table that start
				 * inside the range: the bound once, not per
				 * entry. */
				uint64_t max = PTK_NS(span_entries)(shift, e_va,
								    it->last);
				uint64_t hole;

				if (max > n - idx)
					max = n - idx;
				/* Root entries on both sides of the
				 * non-canonical hole are no run. */
				if (ptkf_sign_extend(f) &&
				    l == ptkf_levels(f) - 1) {
					hole = (uint64_t)1
					       << (ptkf_va_bits(f) - 1 - shift);
					if (idx < hole && max > hole - idx)
						max = hole - idx;
				}
				cnt = PTK_NS(leaf_run)(f, l, tbl, idx, max, pf);
			}
			it->va = e_va;
			/* (e_va: the page's own base, inside a group too) */
			it->oa = PTK_NS(leaf_va_oa)(f, l, pte, e_va, &glg2);
			it->count = cnt;
			it->pte = pte;
			it->level = l;
			it->size_lg2 = shift;
			it->entries = (const unsigned char *)tbl +
				      (idx << ptkf_entry_lg2(f));
			if (!(it->flags & PTK_ITER_NO_ATTRS))
				PTK_NS(iter_attrs)(it, l, pte);
			it->have_item = true;
			/* Handed out one by one, a run is still passed
			 * over in one go (see ptk_iter_drop_run()). */
			if (!(it->flags & PTK_ITER_RUNS)) {
				cnt = PTK_NS(iter_run)(it, l, tbl, idx, pte,
						       e_va, pf);
				it->run_rem = cnt++;
			}
			PTK_NS(iter_advance)
			(it, l, idx + cnt - 1, e_last + ((cnt - 1) << shift));
			return 1;
		}
		if (type == PTK_ENTRY_EMPTY) {
			/* The whole run of empty entries in one go. */
			uint64_t max =
				PTK_NS(span_entries)(shift, e_va, it->last);
			uint64_t k;

			if (max > n - idx)
				max = n - idx;
			k = PTK_NS(empty_run)(f, l, tbl, idx, max);
			idx += k - 1;
			e_last += (k - 1) << shift;
			if (!PTK_NS(iter_advance)(it, l, idx, e_last))
				return 0;
			return PTK_ITER_MOVED_;
		}
		/* Malformed (or a table entry at level 0). */
		it->va = e_va;
		it->oa = PTK_OA_INVALID;
		it->count = 1;
		it->pte = pte;
		it->level = l;
		it->size_lg2 = shift;
		it->entries = NULL;
		PTK_NS(iter_advance)(it, l, idx, e_last);
		if (!(it->flags & PTK_ITER_SKIP_INVALID))
			return PTK_ECORRUPT;
		return PTK_ITER_MOVED_;
	}
}

static int PTK_NS(iter_next)(struct ptk_iter *it)
{
	int rc;

	it->have_item = false;
	while (!it->done) {
		/* Most items of a dense scan are level-0 leaves: that level
		 * gets a copy of the step with its geometry constant. */
		if (it->depth == 0)
			rc = PTK_NS(iter_step)(it, 0);
		else
			rc = PTK_NS(iter_step)(it, it->depth);
		if (rc != PTK_ITER_MOVED_)
			return rc;
	}
	return 0;
}

/* --- modification through the iterator */

static int PTK_NS(iter_set)(struct ptk_iter *it, ptk_oa_t oa,
			    const struct ptk_attrs *attrs, unsigned int flags,
			    struct ptk_gather *g)
{
	const struct ptk_fmt *f = it->t->fmt;
	unsigned int l = it->level;
	unsigned int shift = ptkf_shift(f, l);
	void *tbl = it->tbl[l];
	uint64_t idx = PTK_NS(idx)(f, l, it->va);
	ptk_pte_t bits;
	uint64_t j;
	int rc;

	if (oa & ptk_lg2_mask(shift))
		return PTK_EALIGN;
	if (oa + ((it->count << shift) - 1) < oa ||
	    !PTK_NS(leaf_oa_fits)(f, l, oa + ((it->count << shift) - 1)))
		return PTK_ERANGE;
	/* Rewriting one entry of a contiguous group would break the group's
	 * rule (equal attributes, one aligned block): ptk_protect() knows
	 * how to take a group apart. */
	if (ptkf_contig_lg2(f, l))
		for (j = 0; j < it->count; j++)
			if (ptkf_is_contig(f, l, PTK_NS(ld)(f, tbl, idx + j)))
				return PTK_ENOTSUP;
	rc = ptkf_encode(f, l, attrs, flags & PTK_ENC_SUPERSET, &bits);
	if (rc)
		return rc;
	for (j = 0; j < it->count; j++)
		PTK_NS(st)
	(f, tbl, idx + j, ptkf_make_leaf(f, l, oa + (j << shift), bits));
	ptk_gather_add(g, it->va, it->va + ((it->count << shift) - 1));
	it->oa = oa;
	it->pte = PTK_NS(ld)(f, tbl, idx);
	it->dkey = ~(ptk_pte_t)0;
	if (!(it->flags & PTK_ITER_NO_ATTRS))
		PTK_NS(iter_attrs)(it, l, it->pte);
	return 0;
}

/* Non-empty entries of a table at level @l. */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(iter_live)(const struct ptk_fmt *f,
						    unsigned int l,
						    const void *tbl)
{
	uint64_t n = (uint64_t)1 << ptkf_bits(f, l);
	uint64_t j, live = 0;

	for (j = 0; j < n; j++)
		live += ptkf_classify(f, l, PTK_NS(ld)(f, tbl, j)) !=
			PTK_ENTRY_EMPTY;
	return live;
}

/*
 * A contiguous group is all or nothing: make those the current item
 * covers only in part (at its ends) plain leaves, and gather their whole
 * range (any entry may have been cached as the whole group).
 */
static void PTK_NS(iter_ungroup)(struct ptk_iter *it, uint64_t idx,
				 struct ptk_gather *g)
{
	const struct ptk_fmt *f = it->t->fmt;
	unsigned int l = it->level;
	unsigned int shift = ptkf_shift(f, l);
	unsigned int cl = ptkf_contig_lg2(f, l);
	uint64_t ends[2] = { idx, idx + it->count - 1 };
	void *tbl = it->tbl[l];
	int i;

	for (i = 0; i < 2; i++) {
		uint64_t g0 = ends[i] & ~ptk_lg2_mask(cl);
		ptk_va_t g_va = (it->va + ((ends[i] - idx) << shift)) &
				~ptk_lg2_mask(shift + cl);
		ptk_pte_t pte = PTK_NS(ld)(f, tbl, g0);

		if (i == 1 && g0 == (ends[0] & ~ptk_lg2_mask(cl)))
			break; /* one group holds both ends */
		if (g0 >= idx && g0 + ptk_lg2_mask(cl) <= ends[1])
			continue; /* wholly covered */
		if (ptkf_classify(f, l, pte) != PTK_ENTRY_LEAF ||
		    !ptkf_is_contig(f, l, pte))
			continue;
		PTK_NS(uncontig)(f, l, tbl, g0);
		ptk_gather_add(g, g_va, g_va | ptk_lg2_mask(shift + cl));
	}
}

static int PTK_NS(iter_clear)(struct ptk_iter *it, struct ptk_gather *g)
{
	struct ptk_table *t = it->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	unsigned int l = it->level;
	unsigned int shift = ptkf_shift(f, l);
	uint64_t idx = PTK_NS(idx)(f, l, it->va);
	ptk_va_t span_last;
	uint64_t j;

	/* Counted once per table, then kept up to date: clearing a whole
	 * table costs one scan of it, not one per entry. */
	if (it->live[l] == ~(uint64_t)0)
		it->live[l] = PTK_NS(iter_live)(f, l, it->tbl[l]);
	if (ptkf_contig_lg2(f, l))
		PTK_NS(iter_ungroup)(it, idx, g);
	for (j = 0; j < it->count; j++)
		PTK_NS(st)(f, it->tbl[l], idx + j, 0);
	ptk_gather_add(g, it->va, it->va + ((it->count << shift) - 1));
	it->live[l] -= it->count;

	/*
	 * Unlink the tables this emptied, bottom up (never the root). Not on
	 * a shared table: a writer of a neighbouring range may be filling
	 * one (the counts above would not see it), so empty tables stay,
	 * as they do after ptk_unmap() (see ptkit/shared.h).
	 */
	span_last = it->va + ((it->count << shift) - 1);
	while (l < top && it->live[l] == 0 && !ptk_table__shared(t)) {
		unsigned int pl = l + 1;
		uint64_t pidx = PTK_NS(idx)(f, pl, it->va);

		if (it->live[pl] == ~(uint64_t)0)
			it->live[pl] = PTK_NS(iter_live)(f, pl, it->tbl[pl]);
		PTK_NS(st)(f, it->tbl[pl], pidx, 0);
		ptk_table__unlinked(t, l, it->tbl_oa[l]);
		ptk_table__defer_free(t, g, it->tbl_oa[l], it->tbl[l],
				      PTK_NS(tbl_lg2)(f, l));
		it->live[pl]--;
		span_last = it->va | ptk_lg2_mask(ptkf_shift(f, pl));
		l = pl;
		/* The path below @l is gone: go on after its entry. */
		it->done = false;
		PTK_NS(iter_advance)
		(it, l, pidx, span_last);
	}
	it->have_item = false;
	return 0;
}
