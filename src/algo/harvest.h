/* SPDX-License-Identifier: MIT */
/*
 * harvest: report (and clear) accessed and dirty state, in runs of pages.
 *
 * Nothing in a harvest needs a table or a new encoding, so on tables
 * ptkit wrote its check pass has nothing to do; on attached tables a
 * clearing harvest first checks every entry, so that a malformed one
 * stops it before anything is cleared.
 */

/**
 * struct PTK_NS(harv_args) - What ptk_harvest() asked for, and its run
 * @va: First address
 * @last: Last address
 * @flags: PTK_HARVEST_* flags
 * @admask: Per level, the accessed ([0]) and dirty ([1]) bits asked for
 * @fn: The callback
 * @arg: Its argument
 * @h_va: The pending run of pages with @h_found set: first address...
 * @h_last: ...and last
 * @h_found: Its PTK_ATTR_ACCESSED / PTK_ATTR_DIRTY bits; 0: no run
 */
struct PTK_NS(harv_args) {
	ptk_va_t va;
	ptk_va_t last;
	unsigned int flags;
	ptk_pte_t admask[PTK_MAX_LEVELS][2];
	ptk_harvest_fn fn;
	void *arg;
	ptk_va_t h_va;
	ptk_va_t h_last;
	unsigned int h_found;
};

/* As reprot_init()'s masks, for the accessed and dirty state. */
static void PTK_NS(ad_masks)(const struct ptk_fmt *f,
			     struct PTK_NS(harv_args) * ha, unsigned int what)
{
	static const uint32_t which[2] = { PTK_ATTR_ACCESSED, PTK_ATTR_DIRTY };
	unsigned int l, k;

	for (l = 0; l < ptkf_levels(f); l++) {
		for (k = 0; k < 2; k++) {
			struct ptk_attrs a;
			ptk_pte_t b0, b;

			ha->admask[l][k] = 0;
			if (!ptkf_leaf_ok(f, l) || !(what & which[k]))
				continue;
			PTK_MEMSET(&a, 0, sizeof(a));
			a.prot = PTK_PROT_READ | PTK_PROT_WRITE;
			if (ptkf_encode(f, l, &a, PTK_ENC_SUPERSET, &b0))
				continue;
			a.flags = which[k];
			if (ptkf_encode(f, l, &a, PTK_ENC_SUPERSET, &b))
				continue;
			ha->admask[l][k] = (b ^ b0) & ~ptkf_leaf_oa_mask(f, l);
		}
	}
}

/*
 * Hand the pending run of pages to the callback. A clearing harvest
 * cleared them as they joined the run: gather them now, whatever the
 * callback says.
 */
static PTK_NOINLINE int PTK_NS(h_flush)(struct PTK_NS(mut) * m,
					struct PTK_NS(harv_args) * ha)
{
	int rc = 0;

	if (ha->h_found) {
		if (ha->flags & PTK_HARVEST_CLEAR)
			PTK_NS(gather)(m, ha->h_va, ha->h_last);
		rc = ha->fn(ha->h_va, ha->h_last - ha->h_va + 1, ha->h_found,
			    ha->arg);
		ha->h_found = 0;
	}
	return rc;
}

/* Pages [@a, @b] have @found set: extend the run, or start a new one. */
static PTK_ALWAYS_INLINE int PTK_NS(h_add)(struct PTK_NS(mut) * m,
					   struct PTK_NS(harv_args) * ha,
					   ptk_va_t a, ptk_va_t b,
					   unsigned int found)
{
	int rc;

	if (ha->h_found == found && a == ha->h_last + 1) {
		ha->h_last = b;
		return 0;
	}
	rc = PTK_NS(h_flush)(m, ha);
	ha->h_va = a;
	ha->h_last = b;
	ha->h_found = found;
	return rc;
}

static PTK_ALWAYS_INLINE unsigned int PTK_NS(h_found)(ptk_pte_t e, ptk_pte_t ma,
						      ptk_pte_t md)
{
	return ((e & ma) ? PTK_ATTR_ACCESSED : 0) |
	       ((e & md) ? PTK_ATTR_DIRTY : 0);
}

/*
 * A contiguous group is one page to the hardware: its state is that of
 * all its entries, and clearing clears them all.
 */
static PTK_ALWAYS_INLINE int
PTK_NS(harvest_group)(struct PTK_NS(mut) * m, struct PTK_NS(harv_args) * ha,
		      unsigned int l, struct ptk_cur *c)
{
	const struct ptk_fmt *f = m->t->fmt;
	unsigned int cl = ptkf_contig_lg2(f, l);
	ptk_pte_t ma = ha->admask[l][0], md = ha->admask[l][1];
	ptk_pte_t clear = (ha->flags & PTK_HARVEST_CLEAR) ? (ma | md) : 0;
	uint64_t g0 = c->idx & ~ptk_lg2_mask(cl), k;
	ptk_va_t gmask = ptk_lg2_mask(ptkf_shift(f, l) + cl);
	ptk_va_t gva = c->a & ~gmask, glast = gva | gmask;
	unsigned int found = 0;
	int rc;

	for (k = 0; k < ((uint64_t)1 << cl); k++)
		found |= PTK_NS(h_found)(PTK_NS(ld)(f, c->tbl, g0 + k), ma, md);
	c->b = glast < c->last ? glast : c->last;
	if (!found)
		return PTK_NS(h_flush)(m, ha);
	rc = PTK_NS(h_add)(m, ha, c->a, c->b, found);
	if (rc || !clear)
		return rc;
	for (k = 0; k < ((uint64_t)1 << cl); k++)
		PTK_NS(st)
	(f, c->tbl, g0 + k, PTK_NS(ld)(f, c->tbl, g0 + k) & ~clear);
	PTK_NS(gather)(m, gva, glast);
	return 0;
}

/*
 * Whether @e, at level @l of a format whose groups there have 2^@cl
 * entries, is a leaf that harvest_run() reports alone: a leaf not in a
 * contiguous group.
 */
static PTK_ALWAYS_INLINE bool PTK_NS(h_plain)(const struct ptk_fmt *f,
					      unsigned int l, unsigned int cl,
					      ptk_pte_t e)
{
	return ptkf_classify(f, l, e) == PTK_ENTRY_LEAF &&
	       !(cl && ptkf_is_contig(f, l, e));
}

/*
 * The run of entries from @c that are leaves (not in a contiguous group)
 * or empty, in this table, up to the range's end: report their state,
 * clear it if asked. Entries with nothing to report are skipped in a
 * loop of their own; from a leaf with something, the leaves after it
 * with the same bits (so the same state) join its run in another, which
 * clears them. The pending run is kept in locals meanwhile (the stores
 * may alias anything to the compiler), and handed to the callback only
 * when a leaf that does not continue it is found, or by the caller: a
 * callback that stops the harvest thus sees its run before anything
 * after it is cleared.
 */
static PTK_ALWAYS_INLINE int PTK_NS(harvest_run)(struct PTK_NS(mut) * m,
						 struct PTK_NS(harv_args) * ha,
						 unsigned int l,
						 struct ptk_cur *c)
{
	const struct ptk_fmt *f = m->t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	unsigned int cl = ptkf_contig_lg2(f, l);
	ptk_pte_t ma = ha->admask[l][0], md = ha->admask[l][1];
	ptk_pte_t mm = ma | md;
	ptk_pte_t clear = (ha->flags & PTK_HARVEST_CLEAR) ? mm : 0;
	ptk_pte_t keep = ~clear;
	uint64_t max = PTK_NS(cur_room)(c, f, l), k = 0, j;
	/* The entries from the cursor's: row[0] is c->idx */
	void *row = (unsigned char *)c->tbl + (c->idx << ptkf_entry_lg2(f));
	ptk_va_t e_va = c->e_va;
	ptk_va_t hv = ha->h_va, hl = ha->h_last;
	unsigned int hf = ha->h_found;
	int rc = 0;

	while (k < max) {
		ptk_pte_t e = PTK_NS(ld)(f, row, k), bits;
		unsigned int found;
		ptk_va_t p, pl;

		/* (The first entry is a plain leaf: k > 0 on a break.) */
		if (!PTK_NS(h_plain)(f, l, cl, e)) {
			if (ptkf_classify(f, l, e) != PTK_ENTRY_EMPTY)
				break; /* a table, a group or a malformed one */
			k++;
			continue;
		}
		bits = e & mm;
		if (PTK_LIKELY(!bits)) {
			k++;
			continue;
		}
		found = PTK_NS(h_found)(e, ma, md);
		p = e_va + (k << shift);
		if (l > 0 && p < c->a)
			p = c->a;
		/* Part of the run (reported, or about to be) before it is
		 * cleared: a callback that stops the harvest leaves the rest
		 * as it was. */
		if (hf != found || p != hl + 1) {
			if (hf) {
				ha->h_va = hv;
				ha->h_last = hl;
				ha->h_found = hf;
				rc = PTK_NS(h_flush)(m, ha);
				if (rc) {
					hf = 0;
					break;
				}
			}
			hv = p;
			hf = found;
		}
		j = k;
		if (clear) {
			do {
				PTK_NS(st)(f, row, j, e & keep);
				/* A huge page the range cuts is cleared
				 * whole: gather it whole (the run gathers
				 * only what it reports). */
				if (l > 0) {
					ptk_va_t cv = e_va + (j << shift);

					PTK_NS(gather)
					(m, cv, cv + ptk_lg2_mask(shift));
				}
				if (++j == max)
					break;
				e = PTK_NS(ld)(f, row, j);
			} while (PTK_NS(h_plain)(f, l, cl, e) &&
				 (e & mm) == bits);
		} else {
			do {
				if (++j == max)
					break;
				e = PTK_NS(ld)(f, row, j);
			} while (PTK_NS(h_plain)(f, l, cl, e) &&
				 (e & mm) == bits);
		}
		pl = e_va + ((j << shift) - 1);
		if (l > 0 && pl > c->last)
			pl = c->last;
		hl = pl;
		k = j;
	}
	ha->h_va = hv;
	ha->h_last = hl;
	ha->h_found = hf;
	PTK_NS(cur_take)(c, f, l, k ? k : 1);
	return rc;
}

PTK_LEVELS_DECLARE(harv,
		   (struct PTK_NS(mut) * m, struct PTK_NS(harv_args) * ha,
		    void *tbl, ptk_va_t va, ptk_va_t last),
		   (m, ha, tbl, va, last))

PTK_BODY PTK_NS(harv_body)(unsigned int l, struct PTK_NS(mut) * m,
			   struct PTK_NS(harv_args) * ha, void *tbl,
			   ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	struct ptk_cur c;
	int rc;

	PTK_NS(cur_start)(&c, f, l, tbl, va, last, PTK_ENTRY_EMPTY);
	do {
		switch (PTK_NS(cur_type)(&c, l)) {
		case PTK_ENTRY_EMPTY:
			if (m->check)
				break;
			rc = PTK_NS(h_flush)(m, ha);
			if (rc)
				return rc;
			PTK_NS(cur_take)
			(&c, f, l,
			 PTK_NS(empty_run)(f, l, c.tbl, c.idx,
					   PTK_NS(cur_room)(&c, f, l)));
			break;
		case PTK_ENTRY_LEAF:
			if (m->check)
				break;
			if (ptkf_contig_lg2(f, l) &&
			    ptkf_is_contig(f, l, c.pte))
				rc = PTK_NS(harvest_group)(m, ha, l, &c);
			else
				rc = PTK_NS(harvest_run)(m, ha, l, &c);
			if (rc)
				return rc;
			break;
		case PTK_ENTRY_TABLE: {
			void *child = PTK_NS(cur_child)(&c, t, l);

			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			rc = PTK_NS(harv_at)(l - 1, m, ha, child, c.a, c.b);
			if (rc)
				return rc;
			break;
		}
		default:
			return PTK_ECORRUPT;
		}
	} while (PTK_NS(cur_next)(&c, f, l));
	return 0;
}

PTK_LEVELS_DEFINE(harv,
		  (struct PTK_NS(mut) * m, struct PTK_NS(harv_args) * ha,
		   void *tbl, ptk_va_t va, ptk_va_t last),
		  (m, ha, tbl, va, last))

static int PTK_NS(harv_pass)(struct PTK_NS(mut) * m, void *arg)
{
	struct PTK_NS(harv_args) *ha = arg;
	int rc;

	/* Only a table ptkit did not write can hold a malformed entry, and
	 * only a clearing harvest must find it before it changes anything. */
	if (m->check &&
	    (PTK_NS(trusted)(m->t) || !(ha->flags & PTK_HARVEST_CLEAR)))
		return 0;
	rc = PTK_NS(harv_at)(m->l0, m, ha, m->path[m->l0], ha->va, ha->last);
	if (!rc && !m->check)
		rc = PTK_NS(h_flush)(m, ha);
	return rc;
}

static int PTK_NS(harvest)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			   unsigned int what, unsigned int flags,
			   ptk_harvest_fn fn, void *arg, struct ptk_gather *g)
{
	struct PTK_NS(harv_args) ha;
	struct ptk_range r = { va, last };

	PTK_MEMSET(&ha, 0, sizeof(ha));
	ha.va = va;
	ha.last = last;
	ha.flags = flags;
	ha.fn = fn;
	ha.arg = arg;
	PTK_NS(ad_masks)(t->fmt, &ha, what);
	return PTK_NS(mutate)(t, g, PTK_NS(harv_pass), NULL, &ha, &r);
}
