/* SPDX-License-Identifier: MIT */
/*
 * walk: the READ iterator with visitor hooks (struct ptk_walk_ops): runs
 * of leaves, batches of leaves, holes, tables entered and left, malformed
 * entries.
 */

struct PTK_NS(walk_ctx) {
	const struct ptk_table *t;
	const struct ptk_walk_ops *ops;
	void *arg;
	bool scan_leaves;
	/* The last decoded attributes, keyed by level and non-address bits */
	bool dvalid;
	unsigned int dlevel;
	ptk_pte_t dkey;
	struct ptk_attrs dattrs;
	/* ops->leaves: the batch being filled */
	struct ptk_walk_page *pages;
};

PTK_LEVELS_DECLARE(walk,
		   (struct PTK_NS(walk_ctx) * w, const void *tbl, ptk_va_t va,
		    ptk_va_t last),
		   (w, tbl, va, last))

/* Hand a run of leaves from @c (level @l) to ops->leaf, as one call. */
static PTK_ALWAYS_INLINE int PTK_NS(walk_run)(struct PTK_NS(walk_ctx) * w,
					      unsigned int l, struct ptk_cur *c)
{
	const struct ptk_fmt *f = w->t->fmt;
	unsigned int shift = ptkf_shift(f, l), ushift = shift, ulg2 = 0;
	ptk_va_t e_va = c->e_va;
	uint64_t idx = c->idx, max = PTK_NS(cur_room)(c, f, l), n;
	ptk_pte_t pte = c->pte, key;
	ptk_oa_t oa = ptkf_leaf_oa(f, l, pte);
	struct ptk_walk_leaf lf;

	if (ptkf_contig_lg2(f, l) && ptkf_is_contig(f, l, pte)) {
		unsigned int cl = ptkf_contig_lg2(f, l);
		uint64_t g0 = idx & ~ptk_lg2_mask(cl);
		ptk_va_t gmask = ptk_lg2_mask(shift + cl);

		if (PTK_NS(group_whole)(f, l, c->tbl, g0)) {
			/* A group is reported whole, as one page. */
			ulg2 = cl;
			ushift = shift + cl;
			e_va = c->a & ~gmask;
			idx = g0;
			pte = PTK_NS(ld)(f, c->tbl, idx);
			oa = ptkf_leaf_oa(f, l, pte);
			max = PTK_NS(span_entries)(ushift, e_va, c->last);
		} else {
			/* Misprogrammed: this entry alone, as translate()
			 * reads it. */
			oa = (oa & ~gmask) + (e_va & gmask);
			max = 1;
		}
	}
	n = PTK_NS(run_len)(f, l, c->tbl, idx, pte, max, ulg2);
	lf.va = e_va;
	lf.oa = oa & ~ptk_lg2_mask(ushift);
	lf.count = n;
	lf.pte = pte;
	lf.level = l;
	lf.size_lg2 = ushift;
	key = pte & ~ptkf_leaf_oa_mask(f, l);
	if (PTK_UNLIKELY(!w->dvalid || w->dkey != key || w->dlevel != l)) {
		ptkf_decode(f, l, pte, &w->dattrs);
		w->dkey = key;
		w->dlevel = l;
		w->dvalid = true;
	}
	lf.attrs = w->dattrs;
	c->e_va = e_va;
	PTK_NS(cur_take)(c, f, l, n << ulg2);
	return w->ops->leaf(&lf, w->arg);
}

/*
 * Hand the present leaves from @c (level @l) to ops->leaves, a batch at a
 * time, up to the first table or malformed entry (or hole, when holes are
 * reported) or the end of the range.
 */
static PTK_ALWAYS_INLINE int PTK_NS(walk_batch)(struct PTK_NS(walk_ctx) * w,
						unsigned int l,
						struct ptk_cur *c)
{
	const struct ptk_fmt *f = w->t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	unsigned int elg2 = ptkf_entry_lg2(f);
	uint64_t max = PTK_NS(cur_room)(c, f, l);
	bool stop_at_hole = w->ops->hole != NULL;
	/* The entries from the cursor's to the range's end, one pointer
	 * moving over them (with the VA beside it) */
	const unsigned char *row =
		(const unsigned char *)c->tbl + (c->idx << elg2);
	const unsigned char *q = row, *end = row + (max << elg2);
	struct ptk_walk_page *p = w->pages, *full = w->pages + PTK_WALK_BATCH;
	ptk_va_t va = c->e_va;
	struct ptk_walk_batch b;
	int rc;

	b.pages = w->pages;
	b.level = l;
	b.size_lg2 = shift;
	for (; q != end; q += 1u << elg2, va += (ptk_va_t)1 << shift) {
		ptk_pte_t e = PTK_NS(ld)(f, q, 0);
		enum ptk_entry_type ty = ptkf_classify(f, l, e);

		if (ty != PTK_ENTRY_LEAF) {
			if (ty != PTK_ENTRY_EMPTY || stop_at_hole)
				break;
			continue;
		}
		if (PTK_UNLIKELY(p == full)) {
			b.count = PTK_WALK_BATCH;
			rc = w->ops->leaves(&b, w->arg);
			if (rc)
				return rc;
			p = w->pages;
		}
		p->va = va;
		p->oa = PTK_NS(entry_oa)(
			f, l, e, c->idx + (uint64_t)((q - row) >> elg2));
		p->pte = e;
		p++;
	}
	PTK_NS(cur_take)(c, f, l, (uint64_t)(q - row) >> elg2);
	b.count = (uint64_t)(p - w->pages);
	return w->ops->leaves(&b, w->arg);
}

/*
 * Hand ops->slots the entries from @c (level @l) raw: at level 0 all of
 * them up to the end of the range, unread; above, up to the next table
 * entry, which the body enters.
 */
static PTK_ALWAYS_INLINE int PTK_NS(walk_slots)(struct PTK_NS(walk_ctx) * w,
						unsigned int l,
						struct ptk_cur *c)
{
	const struct ptk_fmt *f = w->t->fmt;
	uint64_t max = PTK_NS(cur_room)(c, f, l), k = max;
	struct ptk_walk_slots s;

	if (l > 0)
		for (k = 1; k < max; k++) {
			ptk_pte_t e = PTK_NS(ld)(f, c->tbl, c->idx + k);

			if (!e)
				k += PTK_NS(empty_run)(f, l, c->tbl, c->idx + k,
						       max - k) -
				     1;
			else if (ptkf_classify(f, l, e) == PTK_ENTRY_TABLE)
				break;
		}
	s.t = w->t;
	s.slots = (const unsigned char *)c->tbl + (c->idx << ptkf_entry_lg2(f));
	s.count = k;
	s.va = c->e_va;
	s.level = l;
	s.size_lg2 = ptkf_shift(f, l);
	PTK_NS(cur_take)(c, f, l, k);
	return w->ops->slots(&s, w->arg);
}

/*
 * The table entry at @c (level @l): its hooks and its entries, or, when
 * its table cannot be read, the invalid hook (or PTK_ECORRUPT).
 */
static PTK_ALWAYS_INLINE int PTK_NS(walk_table)(struct PTK_NS(walk_ctx) * w,
						unsigned int l,
						struct ptk_cur *c)
{
	const struct ptk_table *t = w->t;
	const struct ptk_fmt *f = t->fmt;
	const struct ptk_walk_ops *ops = w->ops;
	const void *child = PTK_NS(cur_child)(c, t, l);
	struct ptk_walk_table tb;
	int rc = 0;

	if (PTK_UNLIKELY(!child)) {
		if (!ops->invalid)
			return PTK_ECORRUPT;
		return ops->invalid(c->a, c->b, l, c->pte, w->arg);
	}
	tb.va = c->e_va;
	tb.last = PTK_NS(cur_e_last)(c, f, l);
	tb.oa = ptkf_table_oa(f, l, c->pte);
	tb.level = l - 1;
	if (ops->pre_table) {
		rc = ops->pre_table(&tb, w->arg);
		if (rc && rc != PTK_WALK_SKIP)
			return rc;
	}
	if (rc != PTK_WALK_SKIP && (l - 1 > 0 || w->scan_leaves)) {
		if (l == 1) {
			const unsigned char *nx =
				PTK_NS(next_leaf_table)(t, c->tbl, c->idx);

			PTK_NS(prefetch_lines)(nx, 8);
		}
		rc = PTK_NS(walk_at)(l - 1, w, child, c->a, c->b);
		if (rc)
			return rc;
	}
	if (ops->post_table)
		return ops->post_table(&tb, w->arg);
	return 0;
}

PTK_BODY PTK_NS(walk_body)(unsigned int l, struct PTK_NS(walk_ctx) * w,
			   const void *tbl, ptk_va_t va, ptk_va_t last)
{
	const struct ptk_table *t = w->t;
	const struct ptk_fmt *f = t->fmt;
	const struct ptk_walk_ops *ops = w->ops;
	ptk_va_t hva = 0;
	bool in_hole = false;
	struct ptk_cur c;
	int rc;

	PTK_NS(cur_start)(&c, f, l, (void *)tbl, va, last, PTK_ENTRY_EMPTY);
	if (PTK_UNLIKELY(ops->slots != NULL)) {
		/* Runs of raw entries; the walk enters only tables. */
		do {
			if (PTK_NS(cur_type)(&c, l) == PTK_ENTRY_TABLE)
				rc = PTK_NS(walk_table)(w, l, &c);
			else
				rc = PTK_NS(walk_slots)(w, l, &c);
			if (rc)
				return rc;
		} while (PTK_NS(cur_next)(&c, f, l));
		return 0;
	}
	do {
		if (c.type == PTK_ENTRY_EMPTY) {
			if (ops->hole) {
				if (!in_hole)
					hva = c.a;
				in_hole = true;
			} else {
				/* Skip a run of empty entries in one go. */
				PTK_NS(cur_take)
				(&c, f, l,
				 PTK_NS(empty_run)(f, l, c.tbl, c.idx,
						   PTK_NS(cur_room)(&c, f, l)));
			}
			continue;
		}
		if (in_hole) {
			in_hole = false;
			rc = ops->hole(hva, c.a - 1, l, w->arg);
			if (rc)
				return rc;
		}
		if (c.type == PTK_ENTRY_LEAF) {
			if (ops->leaves)
				rc = PTK_NS(walk_batch)(w, l, &c);
			else if (ops->leaf)
				rc = PTK_NS(walk_run)(w, l, &c);
			else
				rc = 0;
			if (rc)
				return rc;
			continue;
		}
		if (PTK_NS(cur_type)(&c, l) == PTK_ENTRY_TABLE) {
			rc = PTK_NS(walk_table)(w, l, &c);
			if (rc)
				return rc;
			continue;
		}
		/* Malformed. */
		if (!ops->invalid)
			return PTK_ECORRUPT;
		rc = ops->invalid(c.a, c.b, l, c.pte, w->arg);
		if (rc)
			return rc;
	} while (PTK_NS(cur_next)(&c, f, l));
	if (in_hole)
		return ops->hole(hva, last, l, w->arg);
	return 0;
}

PTK_LEVELS_DEFINE(walk,
		  (struct PTK_NS(walk_ctx) * w, const void *tbl, ptk_va_t va,
		   ptk_va_t last),
		  (w, tbl, va, last))

/* A walk of [@va, @last] with the hooks @ops; @pages: a batch buffer. */
static PTK_ALWAYS_INLINE int PTK_NS(walk_with)(const struct ptk_table *t,
					       ptk_va_t va, ptk_va_t last,
					       const struct ptk_walk_ops *ops,
					       void *arg,
					       struct ptk_walk_page *pages)
{
	struct PTK_NS(walk_ctx) w;

	PTK_MEMSET(&w, 0, sizeof(w));
	w.t = t;
	w.ops = ops;
	w.arg = arg;
	w.pages = pages;
	w.scan_leaves = ops->leaf || ops->leaves || ops->hole || ops->invalid ||
			ops->slots;
	if (!w.scan_leaves && !ops->pre_table && !ops->post_table)
		return 0;
	return PTK_NS(walk_at)(ptkf_levels(t->fmt) - 1, &w, t->root, va, last);
}

static int PTK_NS(walk)(const struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			const struct ptk_walk_ops *ops, void *arg)
{
	struct ptk_walk_page pages[PTK_WALK_BATCH];

	if (!ops->leaves)
		return PTK_NS(walk_with)(t, va, last, ops, arg, NULL);
	return PTK_NS(walk_with)(t, va, last, ops, arg, pages);
}

/*
 * The set bits @bit of @n entries of type @T at @tbl: up to a 16-byte
 * boundary one by one, then eight 16-byte vectors a step (GCC's and
 * Clang's vector extension; one SSE2 register each on x86, the aligned
 * loads folded into the AND), each lane summing its entries' @bit,
 * which stays far below overflow for a table's entries.
 */
#define PTK_SUM_BIT_(T, tbl, n, bit, out)                                   \
	do {                                                                \
		typedef T v_t_ __attribute__((vector_size(16), may_alias)); \
		enum { W_ = 16 / sizeof(T) };                               \
		const T *p_ = (const T *)(tbl);                             \
		v_t_ a0_ = { 0 }, a1_ = { 0 }, a2_ = { 0 }, a3_ = { 0 };    \
		v_t_ m_ = { 0 };                                            \
		uint64_t i_ = 0, s_ = 0;                                    \
		unsigned int k_;                                            \
                                                                            \
		m_ += (T)(bit);                                             \
		for (; i_ < (n) && ((uintptr_t)(p_ + i_) & 15); i_++)       \
			s_ += (p_[i_] & (T)(bit)) != 0;                     \
		for (; i_ + 8 * W_ <= (n); i_ += 8 * W_) {                  \
			const v_t_ *v_ = (const v_t_ *)(p_ + i_);           \
                                                                            \
			a0_ += v_[0] & m_;                                  \
			a1_ += v_[1] & m_;                                  \
			a2_ += v_[2] & m_;                                  \
			a3_ += v_[3] & m_;                                  \
			a0_ += v_[4] & m_;                                  \
			a1_ += v_[5] & m_;                                  \
			a2_ += v_[6] & m_;                                  \
			a3_ += v_[7] & m_;                                  \
		}                                                           \
		a0_ += a1_ + a2_ + a3_;                                     \
		for (k_ = 0; k_ < W_; k_++)                                 \
			s_ += a0_[k_] / (T)(bit);                           \
		for (; i_ < (n); i_++)                                      \
			s_ += (p_[i_] & (T)(bit)) != 0;                     \
		(out) = s_;                                                 \
	} while (0)

/*
 * Leaves among @n raw entries at @tbl (level @l); @bad: the malformed
 * ones. A table entry at level 0 is malformed. Where the format has a
 * bit that alone tells leaves (ptkf_leaf_bit()) and the table is not
 * shared, the bit is summed several entries at a time; else each entry
 * is classified.
 */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(count_at)(const struct ptk_fmt *f,
						   unsigned int l,
						   const void *tbl, uint64_t n,
						   bool shared, uint64_t *bad)
{
	ptk_pte_t bit = ptkf_leaf_bit(f, l);
	uint64_t leaves = 0, other = 0, i;

	if (bit && !shared) {
		if (ptkf_entry_lg2(f) == 3)
			PTK_SUM_BIT_(uint64_t, tbl, n, bit, leaves);
		else
			PTK_SUM_BIT_(uint32_t, tbl, n, bit, leaves);
		*bad = 0;
		return leaves;
	}
	for (i = 0; i < n; i++) {
		ptk_pte_t e = PTK_NS(ld)(f, tbl, i);
		enum ptk_entry_type ty;

		if (!e) {
			/* Zero is empty in every format: skip the run. */
			i += PTK_NS(empty_run)(f, l, tbl, i, n - i) - 1;
			continue;
		}
		ty = ptkf_classify(f, l, e);
		leaves += ty == PTK_ENTRY_LEAF;
		other += ty != PTK_ENTRY_EMPTY;
	}
	*bad = other - leaves;
	return leaves;
}

/* ptk_walk_slots_count(): the level-0 loop compiled on its own. */
static uint64_t PTK_NS(slots_count)(const struct ptk_walk_slots *s,
				    uint64_t *bad)
{
	const struct ptk_fmt *f = s->t->fmt;
	bool shared = (s->t->flags & PTK_TABLE_SHARED) != 0;

	if (s->level == 0)
		return PTK_NS(count_at)(f, 0, s->slots, s->count, shared, bad);
	return PTK_NS(count_at)(f, s->level, s->slots, s->count, shared, bad);
}

/* ptk_walk_slot(): entry @i of @s, as walk_batch() reports a leaf. */
static int PTK_NS(slot)(const struct ptk_walk_slots *s, uint64_t i,
			struct ptk_walk_page *out)
{
	const struct ptk_fmt *f = s->t->fmt;
	unsigned int l = s->level;
	ptk_pte_t e = PTK_NS(ld)(f, s->slots, i);
	enum ptk_entry_type ty = ptkf_classify(f, l, e);

	if (ty == PTK_ENTRY_EMPTY)
		return 0;
	if (ty != PTK_ENTRY_LEAF)
		return PTK_ECORRUPT;
	out->va = s->va + (i << s->size_lg2);
	out->oa = PTK_NS(entry_oa)(f, l, e, PTK_NS(idx)(f, l, out->va));
	out->pte = e;
	return 1;
}
