/* SPDX-License-Identifier: MIT */
/*
 * map: the BUILD iterator of the tailored operations. Leaves of the
 * largest size alignment allows, tables made on the way.
 */

/**
 * struct PTK_NS(map_args) - What ptk_map() asked for
 * @va0: First VA of the mapping
 * @last: Its last VA
 * @oa0: Its first OA (the OA of VA v is @oa0 + (v - @va0))
 * @flags: PTK_MAP_* flags
 * @max_lg2: Largest page size to use (64: no cap)
 * @bits: Per leaf level, the encoded non-address bits
 */
struct PTK_NS(map_args) {
	ptk_va_t va0;
	ptk_va_t last;
	ptk_oa_t oa0;
	unsigned int flags;
	unsigned int max_lg2;
	ptk_pte_t bits[PTK_MAX_LEVELS];
};

/*
 * Write up to @max leaves from entry @idx, mapping @oa onwards, using
 * contiguous groups where alignment allows. Entry @idx is known empty;
 * stops at the first other entry that is not zero. Returns the count.
 */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(put_leaves_contig)(
	const struct ptk_fmt *f, unsigned int l, void *tbl, uint64_t idx,
	ptk_oa_t oa, ptk_pte_t bits, uint64_t max)
{
	unsigned int shift = ptkf_shift(f, l);
	unsigned int cl = ptkf_contig_lg2(f, l);
	uint64_t g = (uint64_t)1 << cl;
	uint64_t j = 0, k;

	while (j < max) {
		ptk_oa_t o = oa + (j << shift);

		if (!((idx + j) & (g - 1)) && max - j >= g &&
		    !(o & ptk_lg2_mask(shift + cl))) {
			for (k = 0; k < g; k++)
				if (j + k && PTK_NS(ld)(f, tbl, idx + j + k))
					break;
			if (k == g) {
				ptk_pte_t first = ptkf_make_leaf(f, l, o, bits);

				for (k = 0; k < g; k++)
					PTK_NS(st)
				(f, tbl, idx + j + k,
				 ptkf_contig_entry(f, l, first,
						   (unsigned int)k));
				j += g;
				continue;
			}
		}
		if (j && PTK_NS(ld)(f, tbl, idx + j) != 0)
			break;
		PTK_NS(st)(f, tbl, idx + j, ptkf_make_leaf(f, l, o, bits));
		j++;
	}
	return j;
}

/*
 * Write up to @max leaves from entry @idx (known empty), mapping @oa
 * onwards with @bits; stops at the first other entry that is not zero.
 * Returns the count.
 */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(put_leaves)(const struct ptk_fmt *f,
						     unsigned int l, void *tbl,
						     uint64_t idx, ptk_oa_t oa,
						     ptk_pte_t bits,
						     uint64_t max)
{
	ptk_pte_t step = ptkf_leaf_step(f, l);
	ptk_pte_t e = ptkf_make_leaf(f, l, oa, bits);
	uint64_t n = 1;

	PTK_NS(st)(f, tbl, idx, e);
	if (step) {
		while (n < max && PTK_NS(ld)(f, tbl, idx + n) == 0) {
			e += step;
			PTK_NS(st)(f, tbl, idx + n, e);
			n++;
		}
	} else {
		unsigned int shift = ptkf_shift(f, l);

		while (n < max && PTK_NS(ld)(f, tbl, idx + n) == 0) {
			PTK_NS(st)
			(f, tbl, idx + n,
			 ptkf_make_leaf(f, l, oa + (n << shift), bits));
			n++;
		}
	}
	return n;
}

PTK_LEVELS_DECLARE(map,
		   (struct PTK_NS(mut) * m, const struct PTK_NS(map_args) * ma,
		    void *tbl, ptk_va_t va, ptk_va_t last),
		   (m, ma, tbl, va, last))

/*
 * A run of whole, empty entries from @c that can be leaves: map them. The
 * run ends at the range, the table, or the first entry that is not
 * empty.
 */
static PTK_ALWAYS_INLINE int
PTK_NS(map_leaves)(struct PTK_NS(mut) * m, const struct PTK_NS(map_args) * ma,
		   unsigned int l, struct ptk_cur *c, ptk_oa_t oa)
{
	const struct ptk_fmt *f = m->t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	uint64_t max = PTK_NS(cur_whole_room)(c, f, l);
	uint64_t n = 1;

	if (m->check) {
		if (!c->tbl)
			n = max;
		while (n < max &&
		       ptkf_classify(f, l, PTK_NS(ld)(f, c->tbl, c->idx + n)) ==
			       PTK_ENTRY_EMPTY)
			n++;
		/* The leaves must hold their OAs (PSE-36). */
		if (!PTK_NS(leaf_oa_fits)(f, l, oa + ((n << shift) - 1)))
			return PTK_ERANGE;
	} else if (ptkf_contig_lg2(f, l) &&
		   shift + ptkf_contig_lg2(f, l) <= ma->max_lg2) {
		n = PTK_NS(put_leaves_contig)(f, l, c->tbl, c->idx, oa,
					      ma->bits[l], max);
	} else {
		n = PTK_NS(put_leaves)(f, l, c->tbl, c->idx, oa, ma->bits[l],
				       max);
	}
	PTK_NS(cur_take)(c, f, l, n);
	return 0;
}

PTK_BODY PTK_NS(map_body)(unsigned int l, struct PTK_NS(mut) * m,
			  const struct PTK_NS(map_args) * ma, void *tbl,
			  ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	ptk_va_t smask = ptk_lg2_mask(ptkf_shift(f, l));
	bool can_leaf = ptkf_leaf_ok(f, l) && ptkf_shift(f, l) <= ma->max_lg2;
	struct ptk_cur c;
	int rc;

	if (ptkf_contig_lg2(f, l)) {
		rc = PTK_NS(fix_groups)(m, l, tbl, va, last,
					ma->flags & PTK_MAP_REPLACE,
					PTK_EEXIST);
		if (rc)
			return rc;
	}
	PTK_NS(cur_start)(&c, f, l, tbl, va, last, PTK_NS(vtype)(m, l));
	do {
		ptk_oa_t oa = ma->oa0 + (c.a - ma->va0);
		/* (Level 0 entries are whole and aligned: the API checked
		 * the granule alignment.) */
		bool leafable = l == 0 ||
				(c.whole && can_leaf && !(oa & smask));

		switch (PTK_NS(cur_type)(&c, l)) {
		case PTK_ENTRY_EMPTY:
			if (leafable) {
				rc = PTK_NS(map_leaves)(m, ma, l, &c, oa);
				if (rc)
					return rc;
				break;
			}
			if (m->check) {
				PTK_NS(count_new)(m, l - 1, c.e_va);
				m->v[l - 1].split = false;
				rc = PTK_NS(map_at)(l - 1, m, ma, NULL, c.a,
						    c.b);
				if (rc)
					return rc;
			} else {
				ptk_oa_t coa;
				void *child = PTK_NS(link_new)(m, l, &c, &coa);

				PTK_NS(map_at)(l - 1, m, ma, child, c.a, c.b);
			}
			break;
		case PTK_ENTRY_TABLE: {
			void *child = PTK_NS(cur_child)(&c, t, l);

			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			rc = PTK_NS(map_at)(l - 1, m, ma, child, c.a, c.b);
			if (rc)
				return rc;
			break;
		}
		case PTK_ENTRY_LEAF:
			if (!(ma->flags & PTK_MAP_REPLACE))
				return PTK_EEXIST;
			if (leafable) {
				if (!PTK_NS(leaf_oa_fits)(f, l, oa | smask))
					return PTK_ERANGE;
				if (!m->check) {
					PTK_NS(cur_set)
					(&c, f,
					 ptkf_make_leaf(f, l, oa, ma->bits[l]));
					PTK_NS(gather)
					(m, c.e_va,
					 PTK_NS(cur_e_last)(&c, f, l));
				}
				break;
			}
			if (m->check) {
				rc = PTK_NS(check_split)(m, l, &c, c.whole);
				if (rc)
					return rc;
				rc = PTK_NS(map_at)(l - 1, m, ma, NULL, c.a,
						    c.b);
				if (rc)
					return rc;
			} else {
				void *child =
					PTK_NS(split_leaf)(m, l, &c, c.whole);

				PTK_NS(map_at)(l - 1, m, ma, child, c.a, c.b);
			}
			break;
		default:
			return PTK_ECORRUPT;
		}
	} while (PTK_NS(cur_next)(&c, f, l));
	return 0;
}

PTK_LEVELS_DEFINE(map,
		  (struct PTK_NS(mut) * m, const struct PTK_NS(map_args) * ma,
		   void *tbl, ptk_va_t va, ptk_va_t last),
		  (m, ma, tbl, va, last))

static int PTK_NS(map_pass)(struct PTK_NS(mut) * m, void *arg)
{
	const struct PTK_NS(map_args) *ma = arg;

	return PTK_NS(map_at)(m->l0, m, ma, m->path[m->l0], ma->va0, ma->last);
}

/*
 * Encode @attrs for every leaf level up to @top into @bits (what map and
 * the parts of copy and move that map share).
 */
static PTK_ALWAYS_INLINE int
PTK_NS(encode_levels)(const struct ptk_fmt *f, unsigned int top,
		      const struct ptk_attrs *attrs, unsigned int flags,
		      ptk_pte_t *bits)
{
	unsigned int l;

	for (l = 0; l <= top; l++) {
		int rc;

		if (!ptkf_leaf_ok(f, l))
			continue;
		rc = ptkf_encode(f, l, attrs, flags, &bits[l]);
		if (rc)
			return rc;
	}
	return 0;
}

static int PTK_NS(map)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		       ptk_oa_t oa, const struct ptk_attrs *attrs,
		       unsigned int flags, struct ptk_gather *g)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int cap = (flags >> 8) & 0x3f;
	struct PTK_NS(map_args) ma;
	struct ptk_range r = { va, last };
	int rc;

	PTK_MEMSET(&ma, 0, sizeof(ma));
	ma.va0 = va;
	ma.last = last;
	ma.oa0 = oa;
	ma.flags = flags;
	ma.max_lg2 = cap ? cap : 64;
	rc = PTK_NS(encode_levels)(f, ptkf_levels(f) - 1, attrs,
				   flags & PTK_ENC_SUPERSET, ma.bits);
	if (rc)
		return rc;
	if (cap && cap < ptkf_shift(f, 0))
		return PTK_EINVAL;
	return PTK_NS(mutate)(t, g, PTK_NS(map_pass), NULL, &ma, &r);
}
