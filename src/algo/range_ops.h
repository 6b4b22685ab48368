/* SPDX-License-Identifier: MIT */
/*
 * Range operations on the engine: protect and harvest (read iterators
 * that may write entries in place), copy (fork) and move (mremap), the
 * dual iterators, and split / collapse. Included at the end of engine.h;
 * same conventions: [va, last] inclusive, a body at level l works inside
 * one table, and every mutation is a dry run followed by a real run that
 * cannot fail.
 */

/* The OA of the page entry @idx maps, also inside a contiguous group. */
static PTK_ALWAYS_INLINE ptk_oa_t PTK_NS(entry_oa)(const struct ptk_fmt *f,
						   unsigned int l, ptk_pte_t e,
						   uint64_t idx)
{
	ptk_oa_t oa = ptkf_leaf_oa(f, l, e);
	unsigned int cl = ptkf_contig_lg2(f, l);
	unsigned int shift = ptkf_shift(f, l);

	if (cl && ptkf_is_contig(f, l, e))
		oa = (oa & ~ptk_lg2_mask(shift + cl)) +
		     ((idx & ptk_lg2_mask(cl)) << shift);
	return oa;
}

/* Whole entries from the one at @e_va (itself whole) within [.., last]. */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(whole_entries)(unsigned int shift,
							ptk_va_t e_va,
							ptk_va_t last)
{
	ptk_va_t d = last - e_va;

	return (d >> shift) +
	       ((d & ptk_lg2_mask(shift)) == ptk_lg2_mask(shift));
}

/*
 * The entry bits that carry the protection, per leaf level: every bit
 * that differs between the encodings of any two prots. Rewriting only
 * these keeps every other bit of an entry exactly, including bits ptkit
 * does not model.
 */
static void PTK_NS(prot_masks)(struct PTK_NS(mut_ctx) * c)
{
	const struct ptk_fmt *f = c->t->fmt;
	unsigned int l;

	for (l = 0; l < ptkf_levels(f); l++) {
		struct ptk_attrs a;
		ptk_pte_t b0, b, m = 0;
		uint32_t p;

		c->pmask[l] = 0;
		if (!ptkf_leaf_ok(f, l))
			continue;
		PTK_MEMSET(&a, 0, sizeof(a));
		a.prot = PTK_PROT_READ;
		if (ptkf_encode(f, l, &a, PTK_ENC_SUPERSET, &b0))
			continue;
		for (p = 0; p < 16; p++) {
			a.prot = p;
			if (!ptkf_encode(f, l, &a, PTK_ENC_SUPERSET, &b))
				m |= b ^ b0;
		}
		c->pmask[l] = m & ~ptkf_leaf_oa_mask(f, l);
	}
}

/* As prot_masks(), for the accessed ([0]) and dirty ([1]) state. */
static void PTK_NS(ad_masks)(struct PTK_NS(mut_ctx) * c)
{
	const struct ptk_fmt *f = c->t->fmt;
	static const uint32_t which[2] = { PTK_ATTR_ACCESSED, PTK_ATTR_DIRTY };
	unsigned int l, k;

	for (l = 0; l < ptkf_levels(f); l++) {
		for (k = 0; k < 2; k++) {
			struct ptk_attrs a;
			ptk_pte_t b0, b;

			c->admask[l][k] = 0;
			if (!ptkf_leaf_ok(f, l))
				continue;
			PTK_MEMSET(&a, 0, sizeof(a));
			a.prot = PTK_PROT_READ | PTK_PROT_WRITE;
			if (ptkf_encode(f, l, &a, PTK_ENC_SUPERSET, &b0))
				continue;
			a.flags = which[k];
			if (ptkf_encode(f, l, &a, PTK_ENC_SUPERSET, &b))
				continue;
			c->admask[l][k] = (b ^ b0) & ~ptkf_leaf_oa_mask(f, l);
		}
	}
}

/*
 * Leaf @e at level @l with its protection replaced: by c->prot, or, for
 * copy-on-write (@cow), by its own minus PTK_PROT_WRITE. Cached per level
 * on the entry's non-address bits, so a run of alike leaves costs one
 * encode.
 */
static PTK_ALWAYS_INLINE int PTK_NS(reprot)(struct PTK_NS(mut_ctx) * c,
					    unsigned int l, ptk_pte_t e,
					    bool cow, ptk_pte_t *out)
{
	const struct ptk_fmt *f = c->t->fmt;
	ptk_pte_t key = e & ~ptkf_leaf_oa_mask(f, l);
	struct ptk_attrs a;
	ptk_pte_t nb;
	int rc;

	if (PTK_UNLIKELY(!c->pc_ok[l] || c->pc_key[l] != key)) {
		ptkf_decode(f, l, e, &a);
		a.prot = cow ? (a.prot & ~(uint32_t)PTK_PROT_WRITE) : c->prot;
		rc = ptkf_encode(f, l, &a,
				 (c->oflags & PTK_PROTECT_SUPERSET)
					 ? PTK_ENC_SUPERSET
					 : 0,
				 &nb);
		if (rc)
			return rc;
		c->pc_key[l] = key;
		c->pc_val[l] = nb & c->pmask[l];
		c->pc_ok[l] = true;
	}
	*out = (e & ~c->pmask[l]) | c->pc_val[l];
	return 0;
}

/* A leaf of virtual table v[l] (a split in the dry run), for checks. */
static PTK_ALWAYS_INLINE int PTK_NS(vleaf)(struct PTK_NS(mut_ctx) * c,
					   unsigned int l, ptk_va_t e_va,
					   ptk_pte_t *out)
{
	const struct ptk_fmt *f = c->t->fmt;
	ptk_pte_t bits;
	int rc = ptkf_encode(f, l, &c->v[l].attrs, 0, &bits);

	if (rc)
		return rc;
	*out = ptkf_make_leaf(f, l, c->v[l].oa + (e_va - c->v[l].va), bits);
	return 0;
}

/* --- protect */

PTK_LEVELS_DECLARE(prot,
		   (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		    ptk_va_t last),
		   (c, tbl, va, last))

PTK_BODY PTK_NS(prot_body)(unsigned int l, struct PTK_NS(mut_ctx) * c,
			   void *tbl, ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	ptk_va_t smask = ptk_lg2_mask(shift);
	bool split_ok = c->oflags & PTK_PROTECT_SPLIT;
	ptk_va_t a = va;
	int rc;

	if (ptkf_contig_lg2(f, l)) {
		rc = PTK_NS(fix_groups)(c, l, tbl, va, last, split_ok,
					PTK_ESPLIT);
		if (rc)
			return rc;
	}
	for (;;) {
		ptk_va_t e_va = a & ~smask;
		ptk_va_t e_last = e_va | smask;
		ptk_va_t b = e_last < last ? e_last : last;
		uint64_t idx = PTK_NS(idx)(f, l, a);
		bool full = l == 0 || (a == e_va && b == e_last);
		ptk_pte_t pte = 0, n = 0;
		enum ptk_entry_type type = PTK_ENTRY_LEAF;

		if (tbl) {
			pte = PTK_NS(ld)(f, tbl, idx);
			type = ptkf_classify(f, l, pte);
		}
		if (PTK_UNLIKELY(l == 0) && type == PTK_ENTRY_TABLE)
			type = PTK_ENTRY_INVALID;

		switch (type) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_LEAF:
			if (!full) {
				if (!split_ok)
					return PTK_ESPLIT;
				if (c->dry) {
					rc = PTK_NS(dry_split)(c, l, tbl, pte,
							       e_va, false);
					if (rc)
						return rc;
					rc = PTK_NS(prot_at)(l - 1, c, NULL, a,
							     b);
					if (rc)
						return rc;
				} else {
					void *child = PTK_NS(
						split_leaf)(c, l, tbl, idx, pte,
							    false, e_va);

					PTK_NS(prot_at)(l - 1, c, child, a, b);
				}
				break;
			}
			if (!tbl) {
				rc = PTK_NS(vleaf)(c, l, e_va, &pte);
				if (!rc)
					rc = PTK_NS(reprot)(c, l, pte, false,
							    &n);
				if (rc)
					return rc;
				break;
			}
			{
				/*
				 * A run of whole leaves, in one go, in both
				 * runs: alike leaves (same non-address bits)
				 * reuse one encoding, kept in locals.
				 */
				uint64_t max = PTK_NS(
					whole_entries)(shift, e_va, last);
				ptk_pte_t oamask = ptkf_leaf_oa_mask(f, l);
				ptk_pte_t pmask = c->pmask[l];
				ptk_pte_t key, val;
				uint64_t k = 0;
				bool changed = false;

				rc = PTK_NS(reprot)(c, l, pte, false, &n);
				if (rc)
					return rc;
				key = c->pc_key[l];
				val = c->pc_val[l];
				for (;;) {
					if (!c->dry && n != pte) {
						PTK_NS(st)(f, tbl, idx + k, n);
						changed = true;
					}
					if (++k >= max)
						break;
					pte = PTK_NS(ld)(f, tbl, idx + k);
					if (ptkf_classify(f, l, pte) !=
					    PTK_ENTRY_LEAF)
						break;
					if (PTK_LIKELY((pte & ~oamask) ==
						       key)) {
						n = (pte & ~pmask) | val;
						continue;
					}
					rc = PTK_NS(reprot)(c, l, pte, false,
							    &n);
					if (rc)
						return rc;
					key = c->pc_key[l];
					val = c->pc_val[l];
				}
				b = e_va + ((k << shift) - 1);
				if (b > last)
					b = last;
				if (changed)
					ptk_gpend__add(&c->gp, c->g, e_va, b);
			}
			break;
		case PTK_ENTRY_TABLE: {
			void *child = PTK_NS(tptr)(t, ptkf_table_oa(f, l, pte),
						   PTK_NS(tbl_lg2)(f, l - 1));

			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			rc = PTK_NS(prot_at)(l - 1, c, child, a, b);
			if (rc)
				return rc;
			break;
		}
		default:
			return PTK_ECORRUPT;
		}
		if (b >= last)
			return 0;
		a = b + 1;
	}
}

PTK_LEVELS_DEFINE(prot,
		  (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		   ptk_va_t last),
		  (c, tbl, va, last))

static int PTK_NS(protect)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			   uint32_t prot, unsigned int flags,
			   struct ptk_gather *g)
{
	unsigned int top = ptkf_levels(t->fmt) - 1;
	struct PTK_NS(mut_ctx) c;
	int rc;

	PTK_MEMSET(&c, 0, sizeof(c));
	c.t = t;
	c.g = g;
	c.prot = prot;
	c.oflags = flags;
	PTK_NS(prot_masks)(&c);
	c.dry = true;
	rc = PTK_NS(prot_at)(top, &c, t->root, va, last);
	if (rc)
		return rc;
	rc = PTK_NS(fill_pools)(&c);
	if (rc)
		return rc;
	c.dry = false;
	PTK_NS(prot_at)(top, &c, t->root, va, last);
	PTK_NS(drain_pools)(&c);
	ptk_gpend__flush(&c.gp, g);
	return 0;
}

/* --- harvest */

/* Hand the pending run of pages to the callback. */
static PTK_ALWAYS_INLINE int PTK_NS(h_flush)(struct PTK_NS(mut_ctx) * c)
{
	int rc = 0;

	if (c->h_found) {
		rc = c->fn(c->h_va, c->h_last - c->h_va + 1, c->h_found,
			   c->arg);
		c->h_found = 0;
	}
	return rc;
}

/* Pages [@a, @b] have @found set: extend the run, or start a new one. */
static PTK_ALWAYS_INLINE int PTK_NS(h_add)(struct PTK_NS(mut_ctx) * c,
					   ptk_va_t a, ptk_va_t b,
					   unsigned int found)
{
	int rc;

	if (c->h_found == found && a == c->h_last + 1) {
		c->h_last = b;
		return 0;
	}
	rc = PTK_NS(h_flush)(c);
	c->h_va = a;
	c->h_last = b;
	c->h_found = found;
	return rc;
}

PTK_LEVELS_DECLARE(harv,
		   (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		    ptk_va_t last),
		   (c, tbl, va, last))

PTK_BODY PTK_NS(harv_body)(unsigned int l, struct PTK_NS(mut_ctx) * c,
			   void *tbl, ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	ptk_va_t smask = ptk_lg2_mask(shift);
	ptk_pte_t ma = c->admask[l][0], md = c->admask[l][1];
	ptk_pte_t clear = (c->oflags & PTK_HARVEST_CLEAR) ? (ma | md) : 0;
	ptk_va_t a = va;
	int rc;

	for (;;) {
		ptk_va_t e_va = a & ~smask;
		ptk_va_t b = (e_va | smask) < last ? (e_va | smask) : last;
		uint64_t idx = PTK_NS(idx)(f, l, a);
		ptk_pte_t pte = PTK_NS(ld)(f, tbl, idx);
		enum ptk_entry_type type = ptkf_classify(f, l, pte);

		if (type == PTK_ENTRY_LEAF && ptkf_contig_lg2(f, l) &&
		    ptkf_is_contig(f, l, pte)) {
			/*
			 * A contiguous group is one page to the hardware:
			 * its state is that of all its entries, and clearing
			 * clears them all.
			 */
			unsigned int cl = ptkf_contig_lg2(f, l);
			uint64_t g0 = idx & ~ptk_lg2_mask(cl), k;
			ptk_va_t gva = a & ~ptk_lg2_mask(shift + cl);
			ptk_va_t glast = gva | ptk_lg2_mask(shift + cl);
			unsigned int found = 0;

			for (k = 0; k < ((uint64_t)1 << cl); k++) {
				ptk_pte_t e = PTK_NS(ld)(f, tbl, g0 + k);

				found |= ((e & ma) ? PTK_ATTR_ACCESSED : 0) |
					 ((e & md) ? PTK_ATTR_DIRTY : 0);
			}
			b = glast < last ? glast : last;
			if (found) {
				rc = PTK_NS(h_add)(c, a, b, found);
				if (rc)
					return rc;
				if (clear) {
					for (k = 0; k < ((uint64_t)1 << cl);
					     k++)
						PTK_NS(st)
					(f, tbl, g0 + k,
					 PTK_NS(ld)(f, tbl, g0 + k) & ~clear);
					ptk_gpend__add(&c->gp, c->g, gva,
						       glast);
				}
			} else if (c->h_found) {
				rc = PTK_NS(h_flush)(c);
				if (rc)
					return rc;
			}
		} else if (type == PTK_ENTRY_LEAF) {
			uint64_t max = PTK_NS(span_entries)(shift, e_va, last);
			uint64_t k = 0;
			ptk_va_t p = a;

			if (ptkf_contig_lg2(f, l) &&
			    max > (((uint64_t)1 << ptkf_contig_lg2(f, l)) -
				   (idx & ptk_lg2_mask(ptkf_contig_lg2(f, l)))))
				max = ((uint64_t)1 << ptkf_contig_lg2(f, l)) -
				      (idx &
				       ptk_lg2_mask(ptkf_contig_lg2(f, l)));

			/* A run of leaves in this table, in one go. */
			for (;;) {
				unsigned int found =
					!(pte & (ma | md))
						? 0
						: ((pte & ma)
							   ? PTK_ATTR_ACCESSED
							   : 0) |
							  ((pte & md)
								   ? PTK_ATTR_DIRTY
								   : 0);
				ptk_va_t pl = e_va + ((k + 1) << shift) - 1;

				if (pl > last)
					pl = last;
				if (found) {
					if (c->h_found == found &&
					    p == c->h_last + 1) {
						c->h_last = pl;
					} else {
						rc = PTK_NS(h_add)(c, p, pl,
								   found);
						if (rc)
							return rc;
					}
					if (clear && !c->dry) {
						PTK_NS(st)
						(f, tbl, idx + k, pte & ~clear);
						ptk_gpend__add(
							&c->gp, c->g,
							e_va + (k << shift),
							e_va + (k << shift) +
								smask);
					}
				} else if (c->h_found) {
					rc = PTK_NS(h_flush)(c);
					if (rc)
						return rc;
				}
				if (++k >= max)
					break;
				p = e_va + (k << shift);
				pte = PTK_NS(ld)(f, tbl, idx + k);
				if (ptkf_classify(f, l, pte) != PTK_ENTRY_LEAF)
					break;
			}
			b = e_va + ((k << shift) - 1);
			if (b > last)
				b = last;
		} else if (type == PTK_ENTRY_EMPTY) {
			if (c->h_found) {
				rc = PTK_NS(h_flush)(c);
				if (rc)
					return rc;
			}
		} else if (type == PTK_ENTRY_TABLE && l > 0) {
			void *child = PTK_NS(tptr)(t, ptkf_table_oa(f, l, pte),
						   PTK_NS(tbl_lg2)(f, l - 1));

			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			rc = PTK_NS(harv_at)(l - 1, c, child, a, b);
			if (rc)
				return rc;
		} else {
			return PTK_ECORRUPT;
		}
		if (b >= last)
			return 0;
		a = b + 1;
	}
}

PTK_LEVELS_DEFINE(harv,
		  (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		   ptk_va_t last),
		  (c, tbl, va, last))

static int PTK_NS(harvest)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			   unsigned int what, unsigned int flags,
			   int (*fn)(ptk_va_t va, uint64_t len,
				     unsigned int found, void *arg),
			   void *arg, struct ptk_gather *g)
{
	unsigned int top = ptkf_levels(t->fmt) - 1;
	struct PTK_NS(mut_ctx) c;
	unsigned int l;
	int rc;

	PTK_MEMSET(&c, 0, sizeof(c));
	c.t = t;
	c.g = g;
	c.oflags = flags;
	c.fn = fn;
	c.arg = arg;
	PTK_NS(ad_masks)(&c);
	for (l = 0; l <= top; l++) {
		if (!(what & PTK_ATTR_ACCESSED))
			c.admask[l][0] = 0;
		if (!(what & PTK_ATTR_DIRTY))
			c.admask[l][1] = 0;
	}
	/*
	 * Only an attached (untrusted) table can hold a malformed entry;
	 * check it first so that a clearing harvest changes nothing then.
	 */
	if ((flags & PTK_HARVEST_CLEAR) && (t->flags & PTK_TABLE__ATTACHED)) {
		struct ptk_walk_ops none = { 0 };
		struct PTK_NS(walk_ctx) w;

		PTK_MEMSET(&w, 0, sizeof(w));
		w.t = t;
		w.ops = &none;
		w.scan_leaves = true;

		rc = PTK_NS(walk_at)(top, &w, t->root, va, last);
		if (rc)
			return rc;
	}
	c.dry = false;
	rc = PTK_NS(harv_at)(top, &c, t->root, va, last);
	if (!rc)
		rc = PTK_NS(h_flush)(&c);
	ptk_gpend__flush(&c.gp, g);
	return rc;
}

/* --- copy (fork) */

PTK_LEVELS_DECLARE(copy,
		   (struct PTK_NS(mut_ctx) * c, const void *stbl, void *dtbl,
		    ptk_va_t va, ptk_va_t last),
		   (c, stbl, dtbl, va, last))

/*
 * Map [a, b] of the destination (table @dtbl at level @l, NULL for a
 * virtual empty one in the dry run) to @oa with the attributes of leaf @e
 * (level @el): the part of a huge leaf a range covers, or a leaf that
 * must lose its contiguous grouping. Uses map's machinery.
 */
static int PTK_NS(map_like)(struct PTK_NS(mut_ctx) * c, unsigned int l,
			    void *dtbl, ptk_va_t a, ptk_va_t b, ptk_oa_t oa,
			    unsigned int el, ptk_pte_t e)
{
	const struct ptk_fmt *f = c->t->fmt;
	struct ptk_attrs attrs;
	unsigned int k, flags = c->flags, max = c->max_lg2;
	int rc;

	ptkf_decode(f, el, e, &attrs);
	for (k = 0; k <= l; k++) {
		if (!ptkf_leaf_ok(f, k))
			continue;
		rc = ptkf_encode(f, k, &attrs, 0, &c->bits[k]);
		if (rc)
			return rc;
	}
	c->va0 = a;
	c->oa0 = oa;
	c->flags = 0;
	c->max_lg2 = 64;
	if (!dtbl)
		c->v[l].split = false;
	rc = PTK_NS(map_at)(l, c, dtbl, a, b);
	c->flags = flags;
	c->max_lg2 = max;
	return rc;
}

PTK_BODY PTK_NS(copy_body)(unsigned int l, struct PTK_NS(mut_ctx) * c,
			   const void *stbl, void *dtbl, ptk_va_t va,
			   ptk_va_t last)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	unsigned int cl = ptkf_contig_lg2(f, l);
	ptk_va_t smask = ptk_lg2_mask(shift);
	bool cow = c->oflags & PTK_COPY_COW;
	ptk_va_t a = va;
	int rc;

	/* Copy-on-write must not change a group's pages outside the range. */
	if (cl && cow && !c->dry)
		PTK_NS(fix_groups)(c, l, (void *)stbl, va, last, true, 0);
	for (;;) {
		ptk_va_t e_va = a & ~smask;
		ptk_va_t e_last = e_va | smask;
		ptk_va_t b = e_last < last ? e_last : last;
		uint64_t idx = PTK_NS(idx)(f, l, a);
		bool full = l == 0 || (a == e_va && b == e_last);
		ptk_pte_t se = PTK_NS(ld)(f, stbl, idx);
		ptk_pte_t de = dtbl ? PTK_NS(ld)(f, dtbl, idx) : 0;
		enum ptk_entry_type st = ptkf_classify(f, l, se);
		enum ptk_entry_type dt = ptkf_classify(f, l, de);

		if (PTK_UNLIKELY(l == 0) && st == PTK_ENTRY_TABLE)
			st = PTK_ENTRY_INVALID;
		switch (st) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_TABLE: {
			const void *schild =
				PTK_NS(tptr)(c->src, ptkf_table_oa(f, l, se),
					     PTK_NS(tbl_lg2)(f, l - 1));
			void *dchild = NULL;
			ptk_oa_t new_oa = PTK_NO_OA;

			if (PTK_UNLIKELY(!schild))
				return PTK_ECORRUPT;
			if (dt == PTK_ENTRY_TABLE) {
				dchild =
					PTK_NS(tptr)(t, ptkf_table_oa(f, l, de),
						     PTK_NS(tbl_lg2)(f, l - 1));
				if (PTK_UNLIKELY(!dchild))
					return PTK_ECORRUPT;
			} else if (dt != PTK_ENTRY_EMPTY) {
				return dt == PTK_ENTRY_LEAF ? PTK_EEXIST
							    : PTK_ECORRUPT;
			} else if (c->dry) {
				PTK_NS(count_new)(c, l - 1, e_va);
			} else {
				dchild = PTK_NS(link_new)(c, l, dtbl, idx, de,
							  &new_oa);
			}
			rc = PTK_NS(copy_at)(l - 1, c, schild, dchild, a, b);
			if (rc)
				return rc;
			/*
			 * The source table held nothing in the range: the new
			 * destination table stays empty, so take it back (it
			 * was never visible with anything in it). Not on a
			 * shared table: a reader may hold it.
			 */
			if (new_oa != PTK_NO_OA && !ptk_table__shared(t) &&
			    PTK_NS(table_empty)(f, l - 1, dchild)) {
				PTK_NS(st)(f, dtbl, idx, 0);
				ptk_table__unlinked(t, l - 1, new_oa);
				ptk_pool__put(&c->pool[l - 1], new_oa, dchild);
			}
			break;
		}
		case PTK_ENTRY_LEAF:
			if (dt != PTK_ENTRY_EMPTY &&
			    (full || dt != PTK_ENTRY_TABLE))
				return dt == PTK_ENTRY_INVALID ? PTK_ECORRUPT
							       : PTK_EEXIST;
			if (!full) {
				/* Part of a huge leaf: map that part. */
				if (cow)
					return PTK_ESPLIT;
				rc = PTK_NS(map_like)(c, l, dtbl, a, b,
						      ptkf_leaf_oa(f, l, se) +
							      (a - e_va),
						      l, se);
				if (rc)
					return rc;
				break;
			}
			if (cl && ptkf_is_contig(f, l, se) && !cow &&
			    (a > (e_va & ~ptk_lg2_mask(shift + cl)) ||
			     last < (e_va | ptk_lg2_mask(shift + cl)))) {
				/* Part of a group: plain leaves. */
				rc = PTK_NS(map_like)(
					c, l, dtbl, a, b,
					PTK_NS(entry_oa)(f, l, se, idx), l, se);
				if (rc)
					return rc;
				break;
			}
			{
				/*
				 * A run of whole leaves into empty destination
				 * entries, in one go, in both runs; alike
				 * leaves reuse one encoding, kept in locals.
				 */
				uint64_t max = PTK_NS(
					whole_entries)(shift, e_va, last);
				ptk_pte_t oamask = ptkf_leaf_oa_mask(f, l);
				ptk_pte_t pmask = c->pmask[l];
				ptk_pte_t n = se, key = 0, val = 0;
				uint64_t k = 0;
				bool changed = false;

				/* Groups are checked one by one, above. */
				if (cl && max > (((uint64_t)1 << cl) -
						 (idx & ptk_lg2_mask(cl))))
					max = ((uint64_t)1 << cl) -
					      (idx & ptk_lg2_mask(cl));
				if (cow) {
					rc = PTK_NS(reprot)(c, l, se, true, &n);
					if (rc)
						return rc;
					key = c->pc_key[l];
					val = c->pc_val[l];
				}
				for (;;) {
					if (!c->dry) {
						PTK_NS(st)(f, dtbl, idx + k, n);
						if (n != se) {
							PTK_NS(st)
							(f, (void *)stbl,
							 idx + k, n);
							changed = true;
						}
					}
					if (++k >= max)
						break;
					se = PTK_NS(ld)(f, stbl, idx + k);
					if (ptkf_classify(f, l, se) !=
						    PTK_ENTRY_LEAF ||
					    (dtbl &&
					     PTK_NS(ld)(f, dtbl, idx + k) != 0))
						break;
					if (!cow) {
						n = se;
					} else if (PTK_LIKELY((se & ~oamask) ==
							      key)) {
						n = (se & ~pmask) | val;
					} else {
						rc = PTK_NS(reprot)(c, l, se,
								    true, &n);
						if (rc)
							return rc;
						key = c->pc_key[l];
						val = c->pc_val[l];
					}
				}
				b = e_va + ((k << shift) - 1);
				if (b > last)
					b = last;
				if (changed)
					ptk_gpend__add(&c->gp, c->g, e_va, b);
			}
			break;
		default:
			return PTK_ECORRUPT;
		}
		if (b >= last)
			return 0;
		a = b + 1;
	}
}

PTK_LEVELS_DEFINE(copy,
		  (struct PTK_NS(mut_ctx) * c, const void *stbl, void *dtbl,
		   ptk_va_t va, ptk_va_t last),
		  (c, stbl, dtbl, va, last))

static int PTK_NS(copy)(struct ptk_table *dst, const struct ptk_table *src,
			ptk_va_t va, ptk_va_t last, unsigned int flags,
			struct ptk_gather *g)
{
	unsigned int top = ptkf_levels(dst->fmt) - 1;
	struct PTK_NS(mut_ctx) c;
	int rc;

	PTK_MEMSET(&c, 0, sizeof(c));
	c.t = dst;
	c.src = src;
	c.g = g;
	c.oflags = flags;
	c.max_lg2 = 64;
	PTK_NS(prot_masks)(&c);
	c.dry = true;
	rc = PTK_NS(copy_at)(top, &c, src->root, dst->root, va, last);
	if (rc)
		return rc;
	rc = PTK_NS(fill_pools)(&c);
	if (rc)
		return rc;
	PTK_MEMSET(c.pc_ok, 0, sizeof(c.pc_ok));
	c.dry = false;
	PTK_NS(copy_at)(top, &c, src->root, dst->root, va, last);
	PTK_NS(drain_pools)(&c);
	ptk_gpend__flush(&c.gp, g);
	return 0;
}

/* --- move (mremap) */

/*
 * Find (real run: make) the table at level @l that holds the entry for
 * @va, for a table to be relinked there. Returns it in *@tbl_out (NULL in
 * the dry run when it would be new); the entry must be empty.
 */
static int PTK_NS(dst_table)(struct PTK_NS(mut_ctx) * c, unsigned int l,
			     ptk_va_t va, void **tbl_out)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int lv = ptkf_levels(f) - 1;
	void *tbl = t->root;

	for (; lv > l; lv--) {
		uint64_t idx = PTK_NS(idx)(f, lv, va);
		ptk_pte_t e = PTK_NS(ld)(f, tbl, idx);
		ptk_oa_t coa;

		switch (ptkf_classify(f, lv, e)) {
		case PTK_ENTRY_TABLE:
			tbl = PTK_NS(tptr)(t, ptkf_table_oa(f, lv, e),
					   PTK_NS(tbl_lg2)(f, lv - 1));
			if (!tbl)
				return PTK_ECORRUPT;
			continue;
		case PTK_ENTRY_EMPTY:
			if (c->dry) {
				/* Every level from here down is new. */
				for (; lv > l; lv--)
					PTK_NS(count_new)
				(c, lv - 1,
				 va & ~ptk_lg2_mask(ptkf_shift(f, lv)));
				*tbl_out = NULL;
				return 0;
			}
			tbl = PTK_NS(link_new)(c, lv, tbl, idx, e, &coa);
			continue;
		case PTK_ENTRY_LEAF:
			return PTK_EEXIST;
		default:
			return PTK_ECORRUPT;
		}
	}
	*tbl_out = tbl;
	return 0;
}

/* dst_table(), and the entry for @va there must be empty. */
static int PTK_NS(dst_slot)(struct PTK_NS(mut_ctx) * c, unsigned int l,
			    ptk_va_t va, void **tbl_out)
{
	const struct ptk_fmt *f = c->t->fmt;
	int rc = PTK_NS(dst_table)(c, l, va, tbl_out);

	if (rc || !*tbl_out)
		return rc;
	if (ptkf_classify(f, l,
			  PTK_NS(ld)(f, *tbl_out, PTK_NS(idx)(f, l, va))) !=
	    PTK_ENTRY_EMPTY)
		return PTK_EEXIST;
	return 0;
}

PTK_LEVELS_DECLARE(move,
		   (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		    ptk_va_t last),
		   (c, tbl, va, last))

PTK_BODY PTK_NS(move_body)(unsigned int l, struct PTK_NS(mut_ctx) * c,
			   void *tbl, ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	unsigned int shift = ptkf_shift(f, l);
	ptk_va_t smask = ptk_lg2_mask(shift);
	ptk_va_t a = va;
	int rc;

	for (;;) {
		ptk_va_t e_va = a & ~smask;
		ptk_va_t e_last = e_va | smask;
		ptk_va_t b = e_last < last ? e_last : last;
		uint64_t idx = PTK_NS(idx)(f, l, a);
		bool full = l == 0 || (a == e_va && b == e_last);
		ptk_pte_t e = PTK_NS(ld)(f, tbl, idx);
		enum ptk_entry_type type = ptkf_classify(f, l, e);

		if (PTK_UNLIKELY(l == 0) && type == PTK_ENTRY_TABLE)
			type = PTK_ENTRY_INVALID;
		switch (type) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_TABLE: {
			void *child = PTK_NS(tptr)(t, ptkf_table_oa(f, l, e),
						   PTK_NS(tbl_lg2)(f, l - 1));

			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			/*
			 * Not on a shared table: a reader may hold this table
			 * under its old address, and must not see it written
			 * to for the new one (its entries are moved instead,
			 * and the table retired like any other).
			 */
			if (full && l < top && !(c->delta & smask) &&
			    !ptk_table__shared(t)) {
				/* Aligned: relink the whole table. */
				void *dtbl;

				rc = PTK_NS(dst_slot)(c, l, e_va + c->delta,
						      &dtbl);
				if (rc)
					return rc;
				if (!c->dry) {
					PTK_NS(st)
					(f, dtbl,
					 PTK_NS(idx)(f, l, e_va + c->delta), e);
					PTK_NS(st)(f, tbl, idx, 0);
					ptk_gpend__add(&c->gp, c->g, e_va,
						       e_last);
				}
				break;
			}
			rc = PTK_NS(move_at)(l - 1, c, child, a, b);
			if (rc)
				return rc;
			break;
		}
		case PTK_ENTRY_LEAF: {
			/* A run of leaves that map contiguously, in one go. */
			uint64_t n = 1;
			ptk_oa_t oa = PTK_NS(entry_oa)(f, l, e, idx);

			if (!full && !(c->oflags & PTK_MOVE_SPLIT))
				return PTK_ESPLIT;
			if (full && !(c->delta & smask) &&
			    !(ptkf_contig_lg2(f, l) &&
			      ptkf_is_contig(f, l, e))) {
				/*
				 * The leaves keep their size: move the entries
				 * themselves into the destination table (one
				 * walk per source and destination table).
				 */
				ptk_va_t dva = e_va + c->delta;
				uint64_t didx = PTK_NS(idx)(f, l, dva), k, max;
				void *dtbl;

				rc = PTK_NS(dst_table)(c, l, dva, &dtbl);
				if (rc)
					return rc;
				max = PTK_NS(whole_entries)(shift, e_va, last);
				if (max >
				    ((uint64_t)1 << ptkf_bits(f, l)) - didx)
					max = ((uint64_t)1 << ptkf_bits(f, l)) -
					      didx;
				for (k = 0; k < max; k++) {
					ptk_pte_t se =
						PTK_NS(ld)(f, tbl, idx + k);
					enum ptk_entry_type dt =
						dtbl ? ptkf_classify(
							       f, l,
							       PTK_NS(ld)(
								       f, dtbl,
								       didx + k))
						     : PTK_ENTRY_EMPTY;

					if (ptkf_classify(f, l, se) !=
						    PTK_ENTRY_LEAF ||
					    (ptkf_contig_lg2(f, l) &&
					     ptkf_is_contig(f, l, se)))
						break;
					/* (shared: a table left in place; the
					 * leaves are mapped into it below) */
					if (dt == PTK_ENTRY_TABLE &&
					    ptk_table__shared(t))
						break;
					if (dt != PTK_ENTRY_EMPTY)
						return PTK_EEXIST;
					if (!c->dry)
						PTK_NS(st)
					(f, dtbl, didx + k, se);
				}
				if (k) {
					b = e_va + ((k << shift) - 1);
					break;
				}
			}
			if (full && !ptkf_is_contig(f, l, e)) {
				n = PTK_NS(run_len)(f, l, tbl, idx, e,
						    PTK_NS(whole_entries)(
							    shift, e_va, last),
						    0);
				b = e_va + ((n << shift) - 1);
			}
			rc = PTK_NS(map_like)(c, top, t->root, a + c->delta,
					      b + c->delta, oa + (a - e_va), l,
					      e);
			if (rc)
				return rc;
			break;
		}
		default:
			return PTK_ECORRUPT;
		}
		if (b >= last)
			return 0;
		a = b + 1;
	}
}

PTK_LEVELS_DEFINE(move,
		  (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		   ptk_va_t last),
		  (c, tbl, va, last))

static int PTK_NS(move)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			ptk_va_t new_va, unsigned int flags,
			struct ptk_gather *g)
{
	unsigned int top = ptkf_levels(t->fmt) - 1;
	struct PTK_NS(mut_ctx) c;
	int rc;

	PTK_MEMSET(&c, 0, sizeof(c));
	c.t = t;
	c.g = g;
	c.oflags = flags;
	c.delta = new_va - va;
	c.max_lg2 = 64;
	/*
	 * Dry: place every piece at the destination (against the table as
	 * it is: pieces are disjoint, so none can see another's work; tables
	 * may be counted twice, never too few), then take the source away.
	 */
	c.dry = true;
	rc = PTK_NS(move_at)(top, &c, t->root, va, last);
	if (rc)
		return rc;
	c.flags = (flags & PTK_MOVE_SPLIT) ? PTK_UNMAP_SPLIT : 0;
	rc = PTK_NS(unmap_at)(top, &c, t->root, va, last);
	if (rc)
		return rc;
	rc = PTK_NS(fill_pools)(&c);
	if (rc)
		return rc;
	c.dry = false;
	c.flags = 0;
	PTK_NS(move_at)(top, &c, t->root, va, last);
	c.flags = (flags & PTK_MOVE_SPLIT) ? PTK_UNMAP_SPLIT : 0;
	PTK_NS(unmap_at)(top, &c, t->root, va, last);
	PTK_NS(drain_pools)(&c);
	ptk_gpend__flush(&c.gp, g);
	return 0;
}

/* --- split and collapse */

/* The table holding the entry for @va at level @l, or NULL. */
static void *PTK_NS(find_table)(const struct ptk_table *t, ptk_va_t va,
				unsigned int l, int *err)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int lv = ptkf_levels(f) - 1;
	void *tbl = t->root;

	for (; lv > l; lv--) {
		ptk_pte_t e = PTK_NS(ld)(f, tbl, PTK_NS(idx)(f, lv, va));
		enum ptk_entry_type ty = ptkf_classify(f, lv, e);

		if (ty != PTK_ENTRY_TABLE) {
			*err = ty == PTK_ENTRY_INVALID ? PTK_ECORRUPT
						       : PTK_ENOENT;
			return NULL;
		}
		tbl = PTK_NS(tptr)(t, ptkf_table_oa(f, lv, e),
				   PTK_NS(tbl_lg2)(f, lv - 1));
		if (!tbl) {
			*err = PTK_ECORRUPT;
			return NULL;
		}
	}
	return tbl;
}

static int PTK_NS(split)(struct ptk_table *t, ptk_va_t va, unsigned int l,
			 struct ptk_gather *g)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	ptk_va_t e_va = va & ~ptk_lg2_mask(shift);
	struct PTK_NS(mut_ctx) c;
	int rc = 0;
	void *tbl = PTK_NS(find_table)(t, va, l, &rc);
	uint64_t idx = PTK_NS(idx)(f, l, va);
	ptk_pte_t e;

	if (!tbl)
		return rc;
	e = PTK_NS(ld)(f, tbl, idx);
	if (ptkf_classify(f, l, e) != PTK_ENTRY_LEAF)
		return PTK_ENOENT;
	PTK_MEMSET(&c, 0, sizeof(c));
	c.t = t;
	c.g = g;
	if (ptkf_contig_lg2(f, l) && ptkf_is_contig(f, l, e)) {
		/* A group splits into plain leaves, in place. */
		ptk_va_t gmask = ptk_lg2_mask(shift + ptkf_contig_lg2(f, l));

		c.dry = true;
		rc = PTK_NS(fix_groups)(&c, l, tbl, va & ~gmask, va & ~gmask,
					true, 0);
		if (rc)
			return rc;
		c.dry = false;
		PTK_NS(fix_groups)
		(&c, l, tbl, va & ~gmask, va & ~gmask, true, 0);
	} else {
		if (l == 0)
			return PTK_ENOENT;
		c.dry = true;
		rc = PTK_NS(dry_split)(&c, l, tbl, e, e_va, false);
		if (rc)
			return rc;
		rc = PTK_NS(fill_pools)(&c);
		if (rc)
			return rc;
		c.dry = false;
		PTK_NS(split_leaf)(&c, l, tbl, idx, e, false, e_va);
	}
	ptk_gpend__flush(&c.gp, g);
	return 0;
}

static int PTK_NS(collapse)(struct ptk_table *t, ptk_va_t va, unsigned int l,
			    struct ptk_gather *g)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	ptk_va_t e_va = va & ~ptk_lg2_mask(shift);
	int rc = 0;
	void *tbl = PTK_NS(find_table)(t, va, l, &rc);
	uint64_t idx = PTK_NS(idx)(f, l, va), n, j;
	struct ptk_attrs a0, aj;
	ptk_pte_t e, c0, bits;
	ptk_oa_t coa, oa0;
	void *child;

	if (!tbl)
		return rc;
	if (l == 0 || !ptkf_leaf_ok(f, l))
		return PTK_ENOTSUP;
	e = PTK_NS(ld)(f, tbl, idx);
	if (ptkf_classify(f, l, e) != PTK_ENTRY_TABLE)
		return PTK_ENOENT;
	coa = ptkf_table_oa(f, l, e);
	child = PTK_NS(tptr)(t, coa, PTK_NS(tbl_lg2)(f, l - 1));
	if (!child)
		return PTK_ECORRUPT;
	c0 = PTK_NS(ld)(f, child, 0);
	if (ptkf_classify(f, l - 1, c0) != PTK_ENTRY_LEAF)
		return PTK_ENOTUNIFORM;
	oa0 = PTK_NS(entry_oa)(f, l - 1, c0, 0);
	if (oa0 & ptk_lg2_mask(shift))
		return PTK_ENOTUNIFORM;
	ptkf_decode(f, l - 1, c0, &a0);
	n = (uint64_t)1 << ptkf_bits(f, l - 1);
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
	rc = ptkf_encode(f, l, &a0, 0, &bits);
	if (rc)
		return rc;
	PTK_NS(st)(f, tbl, idx, ptkf_make_leaf(f, l, oa0, bits));
	ptk_table__unlinked(t, l - 1, coa);
	ptk_table__defer_free(t, g, coa, child, PTK_NS(tbl_lg2)(f, l - 1));
	ptk_gather_add(g, e_va, e_va | ptk_lg2_mask(shift));
	return 0;
}
