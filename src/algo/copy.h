/* SPDX-License-Identifier: MIT */
/*
 * copy (fork): a DUAL iterator over a source and a destination table of
 * one format. Leaves go to empty destination slots; with copy-on-write
 * both sides lose WRITE.
 */

/**
 * struct PTK_NS(copy_args) - What ptk_copy() asked for
 * @src: The table copied from (m->t is the destination)
 * @va: First address
 * @last: Last address
 * @cow: PTK_COPY_COW
 * @rp: The copy-on-write rewrite
 */
struct PTK_NS(copy_args) {
	const struct ptk_table *src;
	ptk_va_t va;
	ptk_va_t last;
	bool cow;
	struct PTK_NS(reprot) rp;
};

/*
 * Map [@a, @b] of the destination (table @dtbl at level @l, NULL for one
 * that does not exist yet in the check pass) to @oa with the attributes
 * of leaf @e (level @el): the part of a huge leaf a range covers, or a
 * leaf that must lose its contiguous grouping. map's own body does it.
 */
static int PTK_NS(map_like)(struct PTK_NS(mut) * m, unsigned int l, void *dtbl,
			    ptk_va_t a, ptk_va_t b, ptk_oa_t oa,
			    unsigned int el, ptk_pte_t e)
{
	const struct ptk_fmt *f = m->t->fmt;
	struct PTK_NS(map_args) ma;
	struct ptk_attrs attrs;
	int rc;

	PTK_MEMSET(&ma, 0, sizeof(ma));
	ptkf_decode(f, el, e, &attrs);
	rc = PTK_NS(encode_levels)(f, l, &attrs, 0, ma.bits);
	if (rc)
		return rc;
	ma.va0 = a;
	ma.last = b;
	ma.oa0 = oa;
	ma.max_lg2 = 64;
	if (!dtbl)
		m->v[l].split = false;
	rc = PTK_NS(map_at)(l, m, &ma, dtbl, a, b);
	if (!m->check)
		m->wrote = true;
	return rc;
}

/*
 * Real pass: the run of whole source entries from @c that are leaves (or
 * empty), into the destination @dtbl, whose slots there the check pass
 * found empty. Returns the entries taken.
 */
static PTK_ALWAYS_INLINE uint64_t
PTK_NS(copy_run)(struct PTK_NS(mut) * m, struct PTK_NS(copy_args) * ca,
		 unsigned int l, struct ptk_cur *c, void *dtbl)
{
	const struct ptk_fmt *f = m->t->fmt;
	unsigned int cl = ptkf_contig_lg2(f, l);
	struct PTK_NS(reprot) *rp = &ca->rp;
	uint64_t max = PTK_NS(cur_whole_room)(c, f, l), k;
	/* In locals: the stores below may alias anything to the compiler. */
	ptk_pte_t pmask = rp->pmask[l], kmask = rp->kmask[l];
	ptk_pte_t key = rp->key[l], val = rp->val[l];
	bool ok = rp->ok[l], cow = ca->cow;
	void *stbl = c->tbl;
	uint64_t idx = c->idx;
	struct ptk_changed ch = PTK_CHANGED_INIT;

	/* Groups are taken one by one (their edges are checked above). */
	if (cl && max > (((uint64_t)1 << cl) - (idx & ptk_lg2_mask(cl))))
		max = ((uint64_t)1 << cl) - (idx & ptk_lg2_mask(cl));
#define PTK_COPY_LOOP_(rewrite)                                    \
	for (k = 0; k < max; k++) {                                \
		ptk_pte_t e = PTK_NS(ld)(f, stbl, idx + k), n = e; \
		enum ptk_entry_type ty = ptkf_classify(f, l, e);   \
                                                                   \
		if (ty != PTK_ENTRY_LEAF) {                        \
			if (ty == PTK_ENTRY_EMPTY)                 \
				continue;                          \
			break;                                     \
		}                                                  \
		rewrite;                                           \
		if (n != e) {                                      \
			PTK_NS(st)(f, stbl, idx + k, n);           \
			ptk_changed_add(&ch, k);                   \
		}                                                  \
		PTK_NS(st)(f, dtbl, idx + k, n);                   \
	}
	if (!cow) {
		PTK_COPY_LOOP_((void)0)
	} else if (ok && !kmask) {
		/* One rewrite for every leaf. */
		PTK_COPY_LOOP_(n = (e & ~pmask) | val)
	} else {
		PTK_COPY_LOOP_(
			if (PTK_LIKELY(ok && (e & kmask) == key)) {
				n = (e & ~pmask) | val;
			} else {
				/* The check pass made sure it encodes. */
				(void)PTK_NS(reprot)(f, rp, l, e, &n);
				key = rp->key[l];
				val = rp->val[l];
				ok = true;
			})
	}
#undef PTK_COPY_LOOP_
	m->wrote = true;
	PTK_NS(gather_changed)(m, c, l, &ch);
	return k ? k : 1;
}

/*
 * Check pass: the run of whole source leaves from @c into @dtbl (NULL:
 * empty, not there yet): each destination slot must be empty, each
 * rewrite must encode. Returns the entries taken, or an error.
 */
static PTK_ALWAYS_INLINE int64_t
PTK_NS(copy_check_run)(struct PTK_NS(mut) * m, struct PTK_NS(copy_args) * ca,
		       unsigned int l, struct ptk_cur *c, const void *dtbl)
{
	const struct ptk_fmt *f = m->t->fmt;
	uint64_t max = PTK_NS(cur_whole_room)(c, f, l), k;
	ptk_pte_t n;
	int rc;

	for (k = 0; k < max; k++) {
		ptk_pte_t e = PTK_NS(ld)(f, c->tbl, c->idx + k);
		enum ptk_entry_type ty = ptkf_classify(f, l, e);

		if (ty != PTK_ENTRY_LEAF) {
			if (ty == PTK_ENTRY_EMPTY)
				continue;
			break;
		}
		if (ptkf_contig_lg2(f, l) && k && ptkf_is_contig(f, l, e))
			break; /* groups: one by one, see the body */
		if (dtbl) {
			ptk_pte_t de = PTK_NS(ld)(f, dtbl, c->idx + k);
			enum ptk_entry_type dt = ptkf_classify(f, l, de);

			if (dt != PTK_ENTRY_EMPTY)
				return dt == PTK_ENTRY_INVALID ? PTK_ECORRUPT
							       : PTK_EEXIST;
		}
		if (ca->cow) {
			rc = PTK_NS(reprot)(f, &ca->rp, l, e, &n);
			if (rc)
				return rc;
		}
	}
	return k ? (int64_t)k : 1;
}

PTK_LEVELS_DECLARE(copy,
		   (struct PTK_NS(mut) * m, struct PTK_NS(copy_args) * ca,
		    const void *stbl, void *dtbl, ptk_va_t va, ptk_va_t last),
		   (m, ca, stbl, dtbl, va, last))

PTK_BODY PTK_NS(copy_body)(unsigned int l, struct PTK_NS(mut) * m,
			   struct PTK_NS(copy_args) * ca, const void *stbl,
			   void *dtbl, ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	unsigned int cl = ptkf_contig_lg2(f, l);
	/* Check pass: leaves copied whole into slots that do not exist yet
	 * cannot fail when the rewrite is sure and the source trusted. */
	bool easy = m->check && !dtbl && PTK_NS(trusted)(ca->src) &&
		    (!ca->cow || ca->rp.sure);
	struct ptk_cur c;
	int64_t n;
	int rc;

	/* Copy-on-write must not change a group's pages outside the range. */
	if (cl && ca->cow && !m->check)
		PTK_NS(fix_groups)(m, l, (void *)stbl, va, last, true, 0);
	PTK_NS(cur_start)(&c, f, l, (void *)stbl, va, last, PTK_ENTRY_EMPTY);
	do {
		enum ptk_entry_type st = PTK_NS(cur_type)(&c, l);
		ptk_pte_t de = dtbl ? PTK_NS(ld)(f, dtbl, c.idx) : 0;
		enum ptk_entry_type dt = ptkf_classify(f, l, de);

		switch (st) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_TABLE: {
			unsigned int lc = PTK_NS(below)(l);
			const void *schild = PTK_NS(child)(ca->src, l, c.pte);
			void *dchild = NULL;
			ptk_oa_t new_oa = PTK_NO_OA;
			struct ptk_cur dc;
			bool wrote = m->wrote;

			if (PTK_UNLIKELY(!schild))
				return PTK_ECORRUPT;
			if (dt == PTK_ENTRY_TABLE) {
				dchild = PTK_NS(child)(t, l, de);
				if (PTK_UNLIKELY(!dchild))
					return PTK_ECORRUPT;
			} else if (dt != PTK_ENTRY_EMPTY) {
				return dt == PTK_ENTRY_LEAF ? PTK_EEXIST
							    : PTK_ECORRUPT;
			} else if (m->check) {
				PTK_NS(count_new)(m, lc, c.e_va);
			} else {
				dc.tbl = dtbl;
				dc.idx = c.idx;
				dc.pte = de;
				dchild = PTK_NS(link_new)(m, l, &dc, &new_oa);
			}
			m->wrote = false;
			rc = PTK_NS(copy_at)(lc, m, ca, schild, dchild, c.a,
					     c.b);
			if (rc)
				return rc;
			/*
			 * The source table held nothing in the range: the new
			 * destination table stays empty, so take it back (it
			 * was never visible with anything in it). Not on a
			 * shared table: a reader may hold it.
			 */
			if (new_oa != PTK_NO_OA && !m->wrote &&
			    !ptk_table__shared(t)) {
				PTK_NS(st)(f, dtbl, c.idx, 0);
				ptk_table__unlinked(t, lc, new_oa);
				ptk_pool__put(&m->pool[lc], new_oa, dchild);
			}
			m->wrote |= wrote;
			break;
		}
		case PTK_ENTRY_LEAF:
			if (dt != PTK_ENTRY_EMPTY &&
			    (c.whole || dt != PTK_ENTRY_TABLE))
				return dt == PTK_ENTRY_INVALID ? PTK_ECORRUPT
							       : PTK_EEXIST;
			if (!c.whole) {
				/* Part of a huge leaf: map that part. */
				if (ca->cow)
					return PTK_ESPLIT;
				rc = PTK_NS(
					map_like)(m, l, dtbl, c.a, c.b,
						  ptkf_leaf_oa(f, l, c.pte) +
							  (c.a - c.e_va),
						  l, c.pte);
				if (rc)
					return rc;
				break;
			}
			if (cl && ptkf_is_contig(f, l, c.pte) && !ca->cow &&
			    (c.a > (c.e_va & ~ptk_lg2_mask(shift + cl)) ||
			     last < (c.e_va | ptk_lg2_mask(shift + cl)))) {
				/* Part of a group: plain leaves. */
				rc = PTK_NS(map_like)(
					m, l, dtbl, c.a, c.b,
					PTK_NS(entry_oa)(f, l, c.pte, c.idx), l,
					c.pte);
				if (rc)
					return rc;
				break;
			}
			if (easy)
				break;
			if (m->check) {
				n = PTK_NS(copy_check_run)(m, ca, l, &c, dtbl);
				if (n < 0)
					return (int)n;
			} else {
				n = (int64_t)PTK_NS(copy_run)(m, ca, l, &c,
							      dtbl);
			}
			PTK_NS(cur_take)(&c, f, l, (uint64_t)n);
			break;
		default:
			return PTK_ECORRUPT;
		}
	} while (PTK_NS(cur_next_checked)(&c, f, l, easy && l == 0));
	return 0;
}

PTK_LEVELS_DEFINE(copy,
		  (struct PTK_NS(mut) * m, struct PTK_NS(copy_args) * ca,
		   const void *stbl, void *dtbl, ptk_va_t va, ptk_va_t last),
		  (m, ca, stbl, dtbl, va, last))

static int PTK_NS(copy_pass)(struct PTK_NS(mut) * m, void *arg)
{
	struct PTK_NS(copy_args) *ca = arg;

	/* Each pass starts from the same cache state. */
	PTK_MEMSET(ca->rp.ok, 0, sizeof(ca->rp.ok));
	return PTK_NS(copy_at)(ptkf_levels(m->t->fmt) - 1, m, ca, ca->src->root,
			       m->t->root, ca->va, ca->last);
}

static int PTK_NS(copy)(struct ptk_table *dst, const struct ptk_table *src,
			ptk_va_t va, ptk_va_t last, unsigned int flags,
			struct ptk_gather *g)
{
	struct PTK_NS(copy_args) ca;

	PTK_MEMSET(&ca, 0, sizeof(ca));
	ca.src = src;
	ca.va = va;
	ca.last = last;
	ca.cow = flags & PTK_COPY_COW;
	ca.rp.cow = ca.cow;
	/* (Every level: the rule that lets protect skip the levels above
	 * its range's size is argued for protect's body only.) */
	PTK_NS(reprot_init)(dst, &ca.rp, ~(ptk_va_t)0);
	return PTK_NS(mutate)(dst, g, PTK_NS(copy_pass), NULL, &ca, NULL);
}
