/* SPDX-License-Identifier: MIT */
/*
 * The mutation driver: the one place that makes an operation
 * all-or-nothing, and the tools its passes share to make tables.
 *
 * Every operation that changes a table (map, unmap, protect, harvest,
 * copy, move, split, and the BUILD iterator's set-up) is an argument
 * struct and a pass over the table. The driver runs that pass twice:
 *
 *   1. the check pass (m->check), which changes nothing, finds every
 *      error the change could meet and counts the tables it needs;
 *   2. then it allocates all of those tables (ptk_pool__fill: all or
 *      nothing), and
 *   3. runs the pass again for real; that pass takes tables from the
 *      pools and cannot fail;
 *   4. and in every case it gives back what the pools still hold (a
 *      check pass may count more than the real pass takes, and a table
 *      that lost a race for a slot of a shared table goes back to its
 *      pool) and hands the merged invalidated range to the gather.
 *
 * So no operation can forget a step: they are written once, here.
 *
 * Why the check pass does not read every entry a second time: it only
 * has to visit what can fail or allocate, and on tables ptkit made that
 * is little:
 *
 *  - Partial entries: only the first and the last entry of the range at
 *    each level can be cut by it (a huge leaf to split, a contiguous
 *    group to take apart, a table to descend into). Every entry in
 *    between is whole.
 *  - Whole entries fail only through what the operation computes for
 *    them: a new encoding (protect, copy-on-write), or a slot that must
 *    be empty (map into existing tables, the destination of copy and
 *    move). Formats that declare PTK_FMT_PROT_SEPARATE (the protection
 *    bits of a leaf can be replaced without looking at its other
 *    attributes, and whether that encodes depends only on the new
 *    protection) let protect and copy-on-write decide that once per
 *    level, before any pass; the conformance tests check each built-in
 *    format's claim. Destinations that do not exist yet are empty by
 *    construction and are not read.
 *  - Malformed entries exist only in tables ptkit did not write
 *    (attached ones): there every entry in the range is checked, because
 *    any of them may be the one that makes the operation fail.
 *  - Tables needed: counted from the structure above the leaves (one
 *    read per table, not per entry).
 *
 * A pass says which mode it is in through cur_next_checked() below: in a
 * check pass over entries that cannot fail, the cursor goes from the
 * first entry straight to the last.
 *
 * Where the passes start: an operation that names its range starts both
 * passes at the deepest table that holds all of it (m->path[m->l0]),
 * found once, before the check pass: the entries above it that lead
 * there are table entries the range lies strictly inside, where every
 * body would only descend. A small operation on a four-level table so
 * skips three of its four per-level bodies, twice. Those entries cannot
 * change between the passes (on a shared table other writers link
 * tables only into empty entries, and unlink none). A pass that prunes
 * the tables it empties (unmap, move) calls prune_path() after its real
 * pass, for the tables on the way down.
 *
 * An operation that is one change there, checked before it is made and
 * needing no table, may skip both passes: its shortcut (move's of one
 * whole table entry, move_one()) looks at the start table after the
 * descent, and either makes the change or declines, having changed
 * nothing, and the passes run. An aligned mremap of what one entry spans
 * is two stores: through the passes the whole call took 689 instructions
 * against a hand-written relink's 296, with the shortcut 400. mutate() is
 * inlined into each operation (one copy each, some 80 KiB of code in
 * all), so that the pass and the shortcut are direct calls.
 */

/* In a check pass, a table that does not exist yet: empty, or the split
 * of a huge leaf (every entry a leaf continuing @oa from @va with
 * @attrs). */
struct PTK_NS(vtable) {
	bool split;
	ptk_va_t va;
	ptk_oa_t oa;
	struct ptk_attrs attrs;
};

/**
 * struct PTK_NS(mut) - The driver's state, shared by every pass
 * @t: The table that changes
 * @g: Where invalidated ranges and unlinked tables go
 * @gp: The range being gathered (merged locally, see ptk_gpend)
 * @check: This is the check pass: change nothing
 * @need_mask: Bit l: @need[l] is set (and not 0)
 * @need: Tables the check pass counted, per level
 * @pooled: Bit l: @pool[l] is in use (the others are not even read)
 * @pool: Tables allocated for the real pass, per level
 * @v: The tables that do not exist yet, per level (check pass)
 * @nv_va: The last new table counted per level (its VA base), so that an
 *         operation placing several pieces (copy, move) counts it once
 * @nv_ok: Bit l: @nv_va[l] is set
 * @wrote: The real pass wrote a leaf since this was last cleared (copy
 *         takes back new tables that stay empty)
 * @l0: The level of the table the passes start at (see descend())
 * @path: The tables from the root down to that one, by level
 */
struct PTK_NS(mut) {
	/* Zeroed at the start: */
	struct ptk_gpend gp;
	bool check;
	bool wrote;
	unsigned int nv_ok;
	unsigned int need_mask;
	unsigned int pooled;
	/* Set before use: */
	uint64_t need[PTK_MAX_LEVELS];
	struct ptk_table *t;
	struct ptk_gather *g;
	struct ptk_pool pool[PTK_MAX_LEVELS];
	struct PTK_NS(vtable) v[PTK_MAX_LEVELS];
	ptk_va_t nv_va[PTK_MAX_LEVELS];
	unsigned int l0;
	void *path[PTK_MAX_LEVELS];
};

/* Whether the format has contiguous groups at any level. */
static PTK_ALWAYS_INLINE bool PTK_NS(has_groups)(const struct ptk_fmt *f)
{
	unsigned int l;

	for (l = 0; l < ptkf_levels(f); l++)
		if (ptkf_contig_lg2(f, l))
			return true;
	return false;
}

/* The table's entries were all written by ptkit: none is malformed. */
static PTK_ALWAYS_INLINE bool PTK_NS(trusted)(const struct ptk_table *t)
{
	return !(t->flags & PTK_TABLE__ATTACHED);
}

/* Record [va, last] as invalidated (real pass). */
static PTK_ALWAYS_INLINE void PTK_NS(gather)(struct PTK_NS(mut) * m,
					     ptk_va_t va, ptk_va_t last)
{
	ptk_gpend__add(&m->gp, m->g, va, last);
}

/* The entries of a run that changed: [first, end) from the cursor's. */
struct ptk_changed {
	uint64_t first;
	uint64_t end;
};

#define PTK_CHANGED_INIT        \
	{                       \
		~(uint64_t)0, 0 \
	}

static PTK_ALWAYS_INLINE void ptk_changed_add(struct ptk_changed *ch,
					      uint64_t k)
{
	if (PTK_UNLIKELY(ch->first == ~(uint64_t)0))
		ch->first = k;
	ch->end = k + 1;
}

/* Gather the changed entries of the run from @c (level @l) as one range. */
static PTK_ALWAYS_INLINE void
PTK_NS(gather_changed)(struct PTK_NS(mut) * m, const struct ptk_cur *c,
		       unsigned int l, const struct ptk_changed *ch)
{
	unsigned int shift = ptkf_shift(m->t->fmt, l);

	if (ch->end)
		PTK_NS(gather)
	(m, c->e_va + (ch->first << shift), c->e_va + ((ch->end << shift) - 1));
}

/*
 * Step to the next entry worth a look: in a check pass where whole
 * entries cannot fail (@edges), that is only the range's last entry, if
 * the range cuts it.
 */
static PTK_ALWAYS_INLINE bool PTK_NS(cur_next_checked)(struct ptk_cur *c,
						       const struct ptk_fmt *f,
						       unsigned int l,
						       bool edges)
{
	ptk_va_t smask, le;

	if (!edges)
		return PTK_NS(cur_next)(c, f, l);
	if (c->b >= c->last)
		return false;
	smask = ptk_lg2_mask(ptkf_shift(f, l));
	if ((c->last & smask) == smask)
		return false; /* the last entry is whole too */
	le = c->last & ~smask;
	c->a = le > c->b + 1 ? le : c->b + 1;
	PTK_NS(cur_load)(c, f, l);
	return true;
}

/* Check pass: one more table is needed at level @l. */
static PTK_ALWAYS_INLINE void PTK_NS(need_one)(struct PTK_NS(mut) * m,
					       unsigned int l)
{
	if (!(m->need_mask & (1u << l))) {
		m->need_mask |= 1u << l;
		m->need[l] = 0;
	}
	m->need[l]++;
}

/* Check pass: a new table for level @l spanning from @va is needed. */
static PTK_ALWAYS_INLINE void PTK_NS(count_new)(struct PTK_NS(mut) * m,
						unsigned int l, ptk_va_t va)
{
	if ((m->nv_ok & (1u << l)) && m->nv_va[l] == va)
		return;
	PTK_NS(need_one)(m, l);
	m->nv_va[l] = va;
	m->nv_ok |= 1u << l;
}

/*
 * Real pass: link a new table for level l-1 into the current entry of
 * @c (level @l), which holds the empty entry c->pte. On a shared table
 * another writer (of a neighbouring range) may have linked one first;
 * then ours goes back to the pool (the driver frees it) and the winner's
 * is used. *@oa_out is the new table's address, or PTK_NO_OA when the
 * winner's was taken.
 */
static PTK_ALWAYS_INLINE void *PTK_NS(link_new)(struct PTK_NS(mut) * m,
						unsigned int l,
						struct ptk_cur *c,
						ptk_oa_t *oa_out)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	ptk_oa_t coa;
	void *child = ptk_pool__take(&m->pool[l - 1], &coa);
	ptk_pte_t e = ptkf_make_table(f, l, coa);

	if (PTK_LIKELY(!ptk_table__shared(t))) {
		PTK_NS(cur_set)(c, f, e);
	} else if (PTK_NS(cas)(f, c->tbl, c->idx, c->pte, e)) {
		c->pte = e;
	} else {
		ptk_pool__put(&m->pool[l - 1], coa, child);
		c->pte = PTK_NS(ld)(f, c->tbl, c->idx);
		/* Writers' ranges are disjoint: only a table can win here. */
		PTK_ASSERT(ptkf_classify(f, l, c->pte) == PTK_ENTRY_TABLE);
		*oa_out = PTK_NO_OA;
		return PTK_NS(cur_child)(c, t, l);
	}
	ptk_table__linked(t, l - 1, coa);
	*oa_out = coa;
	return child;
}

/* The driver's step 2: allocate every table the check pass counted. */
static int PTK_NS(fill_pools)(struct PTK_NS(mut) * m)
{
	const struct ptk_fmt *f = m->t->fmt;
	unsigned int todo = m->need_mask;

	while (todo) {
		unsigned int l = (unsigned int)__builtin_ctz(todo);
		int rc;

		todo &= todo - 1;
		m->pool[l].nr = 0;
		m->pooled |= 1u << l;
		rc = ptk_pool__fill(m->t, &m->pool[l], m->need[l],
				    PTK_NS(tbl_lg2)(f, l),
				    ptkf_table_oa_bits(f));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The driver's step 4. */
static void PTK_NS(drain_pools)(struct PTK_NS(mut) * m)
{
	unsigned int todo = m->pooled;

	while (todo) {
		unsigned int l = (unsigned int)__builtin_ctz(todo);

		todo &= todo - 1;
		if (m->pool[l].nr)
			ptk_pool__drain(m->t, &m->pool[l]);
	}
}

/*
 * Find where the passes over [@va, @last] start: from the root, go down
 * through the table entries the range lies strictly inside (not whole:
 * there a body may act on the entry itself). Stop at anything else: a
 * body reports it (an entry the range does not fit in, a leaf, an empty
 * entry, a table entry that is malformed or points outside the table's
 * memory).
 */
static PTK_ALWAYS_INLINE void PTK_NS(descend)(struct PTK_NS(mut) * m,
					      ptk_va_t va, ptk_va_t last)
{
	const struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int l = m->l0;

	for (; l > 0; l--) {
		ptk_va_t smask = ptk_lg2_mask(ptkf_shift(f, l));
		ptk_pte_t pte;
		void *child;

		if ((va ^ last) & ~smask)
			break; /* more than one entry */
		if (!(va & smask) && (last & smask) == smask)
			break; /* the entry whole */
		pte = PTK_NS(ld)(f, m->path[l], PTK_NS(idx)(f, l, va));
		if (ptkf_classify(f, l, pte) != PTK_ENTRY_TABLE)
			break;
		child = PTK_NS(child)(t, l, pte);
		if (!child)
			break;
		m->path[l - 1] = child;
	}
	m->l0 = l;
}

/* An operation's pass over the table: 0, or an error (check pass). */
typedef int (*PTK_NS(pass_fn))(struct PTK_NS(mut) * m, void *arg);

/* What an operation's shortcut returns when the passes have to run. */
#define PTK__PASSES 1

/**
 * mutate() - Run an operation all-or-nothing
 * @t: The table
 * @g: The gather (never NULL here)
 * @pass: The operation's pass
 * @shortcut: Or NULL. Called after the descent, before the check pass,
 *            for an operation that is one change at the table the passes
 *            would start at, and cannot fail once that is checked: it
 *            checks (in m->check), then makes the change, or returns
 *            PTK__PASSES having changed and counted nothing that stays
 * @arg: The operation's argument struct
 * @r: The range its passes start from (see descend()), or NULL: at the
 *     root
 *
 * Return: 0, the check pass's error (nothing changed), PTK_ENOMEM
 * (nothing changed), or what the real pass returned: only harvest's and
 * build's passes may return something else, when their callback stops
 * them.
 */
static PTK_ALWAYS_INLINE int
PTK_NS(mutate)(struct ptk_table *t, struct ptk_gather *g, PTK_NS(pass_fn) pass,
	       PTK_NS(pass_fn) shortcut, void *arg, const struct ptk_range *r)
{
	unsigned int l, levels = ptkf_levels(t->fmt);
	struct PTK_NS(mut) m;
	int rc;

	/* (Not all of it: the pools' and the tables' state is set where it
	 * is first used; this is on the path of every small operation.) */
	PTK_MEMSET(&m, 0, offsetof(struct PTK_NS(mut), need));
	m.t = t;
	m.g = g;
	m.l0 = levels - 1;
	m.path[m.l0] = t->root;
	if (r)
		PTK_NS(descend)(&m, r->va, r->last);
	m.check = true;
	if (shortcut) {
		rc = shortcut(&m, arg);
		if (rc != PTK__PASSES)
			goto out;
		/* (What a look-ahead of the shortcut counted.) */
		m.need_mask = 0;
		m.nv_ok = 0;
	}
	/* vtype() reads every level's split flag, also where no check pass
	 * set it (the argument is evaluated for real tables too). */
	for (l = 0; l < levels; l++)
		m.v[l].split = false;
	rc = pass(&m, arg);
	if (!rc && m.need_mask)
		rc = PTK_NS(fill_pools)(&m);
	if (!rc) {
		m.check = false;
		rc = pass(&m, arg);
	}
	if (m.pooled)
		PTK_NS(drain_pools)(&m);
out:
	ptk_gpend__flush(&m.gp, g);
	return rc;
}

/* --- huge leaves split on the way */

/*
 * The leaf bits at level @l for a leaf split off a bigger one with @attrs.
 * Formats encode some attributes per level (x86 PAT, PS), so re-encode.
 */
static PTK_ALWAYS_INLINE int PTK_NS(split_bits)(const struct ptk_fmt *f,
						unsigned int l,
						const struct ptk_attrs *attrs,
						ptk_pte_t *bits)
{
	return ptkf_encode(f, l, attrs, 0, bits);
}

/*
 * Real pass: replace the huge leaf at @c (level @l) by a table of level
 * l-1: empty when @empty (the caller overwrites all of it), else holding
 * leaves with the same translation. The whole leaf is gathered: a TLB
 * may hold it as one entry, and Arm requires break-before-make for a
 * change of block size.
 */
static PTK_ALWAYS_INLINE void *PTK_NS(split_leaf)(struct PTK_NS(mut) * m,
						  unsigned int l,
						  struct ptk_cur *c, bool empty)
{
	const struct ptk_fmt *f = m->t->fmt;
	ptk_pte_t pte = c->pte;
	ptk_oa_t coa;
	void *child = ptk_pool__take(&m->pool[l - 1], &coa);

	/* A reader of a shared table must not see the range unmapped for a
	 * moment: give it the old leaves until they are overwritten. */
	if (!empty || ptk_table__shared(m->t)) {
		struct ptk_attrs attrs;
		ptk_pte_t bits = 0;
		ptk_oa_t oa = ptkf_leaf_oa(f, l, pte);

		ptkf_decode(f, l, pte, &attrs);
		/* The check pass checked both when !@empty. */
		if (!PTK_NS(split_bits)(f, l - 1, &attrs, &bits) &&
		    PTK_NS(leaf_oa_fits)(f, l - 1,
					 oa + ptk_lg2_mask(ptkf_shift(f, l))))
			PTK_NS(fill_split)(f, l - 1, child, oa, bits);
	}
	PTK_NS(cur_set)(c, f, ptkf_make_table(f, l, coa));
	ptk_table__linked(m->t, l - 1, coa);
	PTK_NS(gather)(m, c->e_va, PTK_NS(cur_e_last)(c, f, l));
	return child;
}

/*
 * Check pass: the split of the leaf at @c (level @l; in a table that does
 * not exist yet, of its virtual leaf) would create a table at level l-1:
 * count it and describe it in m->v[l - 1].
 */
static PTK_ALWAYS_INLINE int PTK_NS(check_split)(struct PTK_NS(mut) * m,
						 unsigned int l,
						 const struct ptk_cur *c,
						 bool empty)
{
	const struct ptk_fmt *f = m->t->fmt;
	struct PTK_NS(vtable) *v = &m->v[l - 1];
	ptk_pte_t bits;

	PTK_NS(need_one)(m, l - 1);
	v->split = !empty;
	if (empty)
		return 0;
	v->va = c->e_va;
	if (c->tbl) {
		v->oa = ptkf_leaf_oa(f, l, c->pte);
		ptkf_decode(f, l, c->pte, &v->attrs);
	} else {
		v->oa = m->v[l].oa + (c->e_va - m->v[l].va);
		v->attrs = m->v[l].attrs;
	}
	/* The smaller leaves may hold fewer OA bits (x86 PSE-36). */
	if (!PTK_NS(leaf_oa_fits)(f, l - 1,
				  v->oa + ptk_lg2_mask(ptkf_shift(f, l))))
		return PTK_ERANGE;
	return PTK_NS(split_bits)(f, l - 1, &v->attrs, &bits);
}

/* The type of the entries of the table below @c in a check pass. */
static PTK_ALWAYS_INLINE enum ptk_entry_type
PTK_NS(vtype)(const struct PTK_NS(mut) * m, unsigned int l)
{
	return m->v[l].split ? PTK_ENTRY_LEAF : PTK_ENTRY_EMPTY;
}

/* A leaf of the table at level @l that does not exist yet, for checks. */
static PTK_ALWAYS_INLINE int PTK_NS(vleaf)(const struct PTK_NS(mut) * m,
					   unsigned int l, ptk_va_t e_va,
					   ptk_pte_t *out)
{
	const struct ptk_fmt *f = m->t->fmt;
	ptk_pte_t bits;
	int rc = ptkf_encode(f, l, &m->v[l].attrs, 0, &bits);

	if (rc)
		return rc;
	*out = ptkf_make_leaf(f, l, m->v[l].oa + (e_va - m->v[l].va), bits);
	return 0;
}

/* --- contiguous groups */

/* Rewrite the contiguous group at entry @gidx as plain leaves. */
static PTK_ALWAYS_INLINE void PTK_NS(uncontig)(const struct ptk_fmt *f,
					       unsigned int l, void *tbl,
					       uint64_t gidx)
{
	unsigned int shift = ptkf_shift(f, l);
	unsigned int cl = ptkf_contig_lg2(f, l);
	ptk_pte_t pte = PTK_NS(ld)(f, tbl, gidx);
	ptk_oa_t goa = ptkf_leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift + cl);
	ptk_pte_t ad = PTK_NS(ad_bits)(f, l), seen = 0;
	struct ptk_attrs attrs;
	ptk_pte_t bits = 0;
	uint64_t k;

	/* The group's accessed/dirty state is that of any of its entries. */
	for (k = 0; k < ((uint64_t)1 << cl); k++)
		seen |= PTK_NS(ld)(f, tbl, gidx + k) & ad;
	ptkf_decode(f, l, pte | seen, &attrs);
	/* The check pass checked that this encodes. */
	(void)ptkf_encode(f, l, &attrs, 0, &bits);
	for (k = 0; k < ((uint64_t)1 << cl); k++)
		PTK_NS(st)
	(f, tbl, gidx + k, ptkf_make_leaf(f, l, goa + (k << shift), bits));
}

/*
 * Contiguous groups that [va, last] covers only in part must become plain
 * leaves before part of them changes. In the check pass, say whether
 * that is allowed (@split_ok, else @err) and possible; in the real pass,
 * do it.
 */
static PTK_ALWAYS_INLINE int PTK_NS(fix_groups)(struct PTK_NS(mut) * m,
						unsigned int l, void *tbl,
						ptk_va_t va, ptk_va_t last,
						bool split_ok, int err)
{
	const struct ptk_fmt *f = m->t->fmt;
	unsigned int cl = ptkf_contig_lg2(f, l);
	ptk_va_t gmask, ends[2];
	int i;

	if (!cl || !tbl)
		return 0;
	gmask = ptk_lg2_mask(ptkf_shift(f, l) + cl);
	ends[0] = va;
	ends[1] = last;
	for (i = 0; i < 2; i++) {
		ptk_va_t g_va = ends[i] & ~gmask;
		uint64_t gidx = PTK_NS(idx)(f, l, g_va);
		ptk_pte_t pte = PTK_NS(ld)(f, tbl, gidx);
		struct ptk_attrs attrs;
		ptk_pte_t bits;
		int rc;

		if (i == 1 && g_va == (va & ~gmask))
			break; /* one group holds both ends */
		if (va <= g_va && last >= (g_va | gmask))
			continue; /* wholly covered */
		if (ptkf_classify(f, l, pte) != PTK_ENTRY_LEAF ||
		    !ptkf_is_contig(f, l, pte))
			continue;
		if (!split_ok)
			return err;
		if (m->check) {
			ptkf_decode(f, l, pte, &attrs);
			rc = ptkf_encode(f, l, &attrs, 0, &bits);
			if (rc)
				return rc;
			continue;
		}
		PTK_NS(uncontig)(f, l, tbl, gidx);
		PTK_NS(gather)(m, g_va, g_va | gmask);
	}
	return 0;
}

/* --- the release of whole subtrees */

PTK_LEVELS_DECLARE(rel,
		   (struct ptk_table * t, struct ptk_gather *g, void *tbl,
		    ptk_oa_t oa),
		   (t, g, tbl, oa))

/*
 * rel_body() at level 1 of a private table: queue the level-0 tables
 * below @tbl, which hold no tables. The same as calling rel_body() for
 * each (unlinked, then ptk_gather__defer_free()), with the count, the
 * checksum and the queue's head kept in locals: an unmap of a dense range
 * frees one such table per 512 pages, and this is most of its work.
 * @lin (a constant): the table is in trusted linear memory, whose offset
 * is @delta (a local: the links written here might alias *@t for all the
 * compiler knows, and t->lin_delta would be read again per table).
 */
struct ptk_relq {
	uint64_t hw; /* the queue head's ptk_link__word() */
	void *hptr; /* and its pointer */
	void *first; /* the first table this call queued */
	ptk_oa_t sum;
	uint64_t nr;
};

/* One entry of rel_leaf_tables(); @first: none was queued yet. */
static PTK_ALWAYS_INLINE void
PTK_NS(rel_leaf_one)(struct ptk_table *t, struct ptk_relq *q, ptk_pte_t pte,
		     uint64_t mark, bool lin, uintptr_t delta, bool first)
{
	const struct ptk_fmt *f = t->fmt;
	ptk_oa_t coa;
	void *child;

	if (ptkf_classify(f, 1, pte) != PTK_ENTRY_TABLE)
		return;
	coa = ptkf_table_oa(f, 1, pte);
	if (lin) {
		child = PTK_NS(lin_ptr)(delta, coa);
	} else {
		child = PTK_NS(tptr)(t, coa, PTK_NS(tbl_lg2)(f, 0));
		if (PTK_UNLIKELY(!child)) {
			PTK_ASSERT(!"release: table not addressable");
			return;
		}
	}
	ptk_link__put(child, q->hptr, q->hw);
	if (first)
		q->first = child;
	q->hw = coa | mark;
	q->hptr = child;
	q->sum += coa;
	q->nr++;
}

static PTK_ALWAYS_INLINE void PTK_NS(rel_leaf_tables)(struct ptk_table *t,
						      struct ptk_gather *g,
						      void *tbl, bool lin,
						      uintptr_t delta)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int blg2 = ptk_block_lg2(PTK_NS(tbl_lg2)(f, 0));
	uint64_t n = PTK_NS(nr_entries)(f, 1), j;
	uint64_t mark = ptk_link__word(0, blg2);
	struct ptk_relq q = { ptk_link__word(g->free_oa, g->free_lg2),
			      g->free_ptr, NULL, 0, 0 };

	/* (Two loops: only until the first table is found is it noted.) */
	for (j = 0; j < n && !q.nr; j++)
		PTK_NS(rel_leaf_one)
	(t, &q, PTK_NS(ld)(f, tbl, j), mark, lin, delta, true);
	for (; j < n; j++)
		PTK_NS(rel_leaf_one)
	(t, &q, PTK_NS(ld)(f, tbl, j), mark, lin, delta, false);
	if (!q.nr)
		return;
	ptk_gather__push(g, q.hw & ~mark, q.hptr, blg2, q.first, q.nr, false);
	/* (ptk_oa_mix() is a product: the sum of the mixes is the mix of
	 * the sum.) */
	t->nr_tables[0] -= q.nr < t->nr_tables[0] ? q.nr : t->nr_tables[0];
	t->tables_sum -= ptk_oa_mix(q.sum);
}

/*
 * Queue table @tbl (entries at level @l, at @oa) and everything below it
 * for freeing after the flush. Children go first: a queued table's first
 * words are overwritten by the queue link.
 */
PTK_BODY PTK_NS(rel_body)(unsigned int l, struct ptk_table *t,
			  struct ptk_gather *g, void *tbl, ptk_oa_t oa)
{
	const struct ptk_fmt *f = t->fmt;

	if (l == 1 && !ptk_table__shared(t)) {
		if (PTK_LIKELY(t->linear == PTK_LIN_TRUSTED))
			PTK_NS(rel_leaf_tables)(t, g, tbl, true, t->lin_delta);
		else
			PTK_NS(rel_leaf_tables)(t, g, tbl, false, 0);
	} else if (l > 0) {
		uint64_t n = PTK_NS(nr_entries)(f, l);
		uint64_t j;

		for (j = 0; j < n; j++) {
			ptk_pte_t pte = PTK_NS(ld)(f, tbl, j);
			void *child;

			if (ptkf_classify(f, l, pte) != PTK_ENTRY_TABLE)
				continue;
			child = PTK_NS(child)(t, l, pte);
			if (child)
				PTK_NS(rel_at)
			(l - 1, t, g, child, ptkf_table_oa(f, l, pte));
			else PTK_ASSERT(!"release: table not addressable");
		}
	}
	ptk_table__unlinked(t, l, oa);
	ptk_table__defer_free(t, g, oa, tbl, PTK_NS(tbl_lg2)(f, l));
	return 0;
}

PTK_LEVELS_DEFINE(rel,
		  (struct ptk_table * t, struct ptk_gather *g, void *tbl,
		   ptk_oa_t oa),
		  (t, g, tbl, oa))

/* Real pass: clear the table entry at @c (level @l) and release what it
 * points to. */
static PTK_ALWAYS_INLINE void
PTK_NS(release_entry)(struct PTK_NS(mut) * m, unsigned int l, struct ptk_cur *c)
{
	const struct ptk_fmt *f = m->t->fmt;
	ptk_oa_t coa = ptkf_table_oa(f, l, c->pte);
	void *child = PTK_NS(cur_child)(c, m->t, l);

	PTK_NS(cur_set)(c, f, 0);
	PTK_NS(gather)(m, c->e_va, PTK_NS(cur_e_last)(c, f, l));
	if (child)
		PTK_NS(rel_at)(l - 1, m->t, m->g, child, coa);
}

/*
 * Real pass: the table @child (level l-1, at @coa) below the entry at @c
 * may have become empty: unlink it. Not on a shared table: it reaches
 * outside this writer's range, and another writer may be about to fill
 * it (see ptkit/shared.h).
 */
static PTK_ALWAYS_INLINE void PTK_NS(prune)(struct PTK_NS(mut) * m,
					    unsigned int l, struct ptk_cur *c,
					    void *child, ptk_oa_t coa)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;

	if (ptk_table__shared(t) || !PTK_NS(table_empty)(f, l - 1, child))
		return;
	PTK_NS(cur_set)(c, f, 0);
	ptk_table__unlinked(t, l - 1, coa);
	ptk_table__defer_free(t, m->g, coa, child, PTK_NS(tbl_lg2)(f, l - 1));
}

/*
 * Real pass of an operation that prunes (unmap, move): the tables on the
 * way down to m->path[m->l0], where the pass started, may have become
 * empty. Unlink them from the bottom up, as the bodies would have.
 */
static void PTK_NS(prune_path)(struct PTK_NS(mut) * m, ptk_va_t va)
{
	const struct ptk_fmt *f = m->t->fmt;
	unsigned int l;
	struct ptk_cur c;

	for (l = m->l0 + 1; l < ptkf_levels(f); l++) {
		c.tbl = m->path[l];
		c.idx = PTK_NS(idx)(f, l, va);
		c.pte = PTK_NS(ld)(f, c.tbl, c.idx);
		PTK_NS(prune)
		(m, l, &c, m->path[l - 1], ptkf_table_oa(f, l, c.pte));
		if (c.pte)
			return;
	}
}
