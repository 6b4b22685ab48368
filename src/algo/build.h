/* SPDX-License-Identifier: MIT */
/*
 * build: the generic BUILD iterator (ptkit/build.h). One pass run by the
 * mutation driver, like map's: the check pass finds what stands in the
 * way and counts the tables down to the chosen level; the driver
 * allocates them all; the real pass links them and, at the chosen level,
 * hands each table's run of slots to the caller. So every table exists
 * before the first callback, and an allocation failure calls nothing.
 *
 * After a table's callback, the tables above it that are now empty
 * (the caller set nothing) are unlinked on the way back up (the
 * driver's prune), also when the callback stops the build.
 */

/**
 * struct PTK_NS(build_args) - What ptk_build() asked for
 * @va0: First VA
 * @last: Last VA
 * @level: The level whose slots the callback gets
 * @flags: PTK_BUILD_* flags
 * @fn: The callback
 * @arg: Its argument
 */
struct PTK_NS(build_args) {
	ptk_va_t va0;
	ptk_va_t last;
	unsigned int level;
	unsigned int flags;
	ptk_build_fn fn;
	void *arg;
};

/* --- the fill helper of a run (ptk_build_fill()) */

PTK_LEVELS_DECLARE(bfill,
		   (struct ptk_build_run * r, uint64_t i, uint64_t n,
		    ptk_oa_t oa, ptk_pte_t bits),
		   (r, i, n, oa, bits))

/*
 * Set slots [i, i + n) of @r to leaves mapping @oa onwards (checked by
 * ptk_build_fill()), recording those that held something else. Stretches
 * of empty slots, all of them in a table the build just made, are
 * written by map's own loop (put_leaves); only the others are compared.
 */
PTK_BODY PTK_NS(bfill_body)(unsigned int l, struct ptk_build_run *r, uint64_t i,
			    uint64_t n, ptk_oa_t oa, ptk_pte_t bits)
{
	const struct ptk_fmt *f = r->fmt;
	unsigned int shift = ptkf_shift(f, l);
	void *slots = r->slots;
	uint64_t k0 = r->first + i, k = 0;
	uint64_t lo = ~(uint64_t)0, end = 0;

	while (k < n) {
		ptk_oa_t o = oa + (k << shift);
		ptk_pte_t old = PTK_NS(ld)(f, slots, k0 + k);
		ptk_pte_t v;

		if (!old) {
			k += PTK_NS(put_leaves)(f, l, slots, k0 + k, o, bits,
						n - k);
			continue;
		}
		v = ptkf_make_leaf(f, l, o, bits);
		if (old != v) {
			if (lo == ~(uint64_t)0)
				lo = k;
			end = k + 1;
		}
		PTK_NS(st)(f, slots, k0 + k, v);
		k++;
	}
	if (PTK_UNLIKELY(end)) {
		if (i + lo < r->chg_first)
			r->chg_first = i + lo;
		if (i + end > r->chg_end)
			r->chg_end = i + end;
	}
	return 0;
}

PTK_LEVELS_DEFINE(bfill,
		  (struct ptk_build_run * r, uint64_t i, uint64_t n,
		   ptk_oa_t oa, ptk_pte_t bits),
		  (r, i, n, oa, bits))

static void PTK_NS(build_fill)(struct ptk_build_run *r, uint64_t i, uint64_t n,
			       ptk_oa_t oa, ptk_pte_t bits)
{
	(void)PTK_NS(bfill_at)(r->level, r, i, n, oa, bits);
}

/* --- the pass */

PTK_LEVELS_DECLARE(build,
		   (struct PTK_NS(mut) * m,
		    const struct PTK_NS(build_args) * ba, void *tbl,
		    ptk_va_t va, ptk_va_t last),
		   (m, ba, tbl, va, last))

/*
 * The table @tbl at the chosen level @l: clear what stands in the way
 * (REPLACE), then hand its slots in [va, last] to the callback and
 * gather what it changed. In the check pass, only find errors.
 */
static PTK_ALWAYS_INLINE int
PTK_NS(build_slots)(struct PTK_NS(mut) * m,
		    const struct PTK_NS(build_args) * ba, unsigned int l,
		    void *tbl, ptk_va_t va, ptk_va_t last)
{
	const struct ptk_fmt *f = m->t->fmt;
	struct ptk_build_run r;
	struct ptk_cur c;
	int rc;

	if (!tbl)
		return 0; /* a new table (check pass): nothing in the way */
	/* Groups the range cuts become plain leaves, same translation. */
	rc = PTK_NS(fix_groups)(m, l, tbl, va, last, true, 0);
	if (rc)
		return rc;
	/* A slot above level 0 must not hold a table. */
	if (l > 0 && (m->check || (ba->flags & PTK_BUILD_REPLACE))) {
		PTK_NS(cur_start)(&c, f, l, tbl, va, last, PTK_ENTRY_EMPTY);
		do {
			if (PTK_NS(cur_type)(&c, l) != PTK_ENTRY_TABLE)
				continue;
			if (!(ba->flags & PTK_BUILD_REPLACE))
				return PTK_EEXIST;
			if (!m->check)
				PTK_NS(release_entry)(m, l, &c);
		} while (PTK_NS(cur_next)(&c, f, l));
	}
	if (m->check)
		return 0;
	r.va = va;
	r.first = PTK_NS(idx)(f, l, va);
	r.count = PTK_NS(span_entries)(ptkf_shift(f, l), va, last);
	r.level = l;
	r.size_lg2 = ptkf_shift(f, l);
	r.entry_lg2 = ptkf_entry_lg2(f);
	r.fmt = f;
	r.slots = tbl;
	r.chg_first = ~(uint64_t)0;
	r.chg_end = 0;
	r.fill = PTK_NS(build_fill);
	rc = ba->fn(&r, ba->arg);
	if (r.chg_end)
		PTK_NS(gather)
	(m, va + (r.chg_first << r.size_lg2),
	 va + ((r.chg_end << r.size_lg2) - 1));
	return rc ? PTK_EUSER : 0;
}

PTK_BODY PTK_NS(build_body)(unsigned int l, struct PTK_NS(mut) * m,
			    const struct PTK_NS(build_args) * ba, void *tbl,
			    ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	struct ptk_cur c;
	int rc;

	/* (l == 0 too, for the compiler: ba->level is at most l) */
	if (l == ba->level || l == 0)
		return PTK_NS(build_slots)(m, ba, l, tbl, va, last);
	PTK_NS(cur_start)(&c, f, l, tbl, va, last, PTK_NS(vtype)(m, l));
	do {
		void *child;

		switch (PTK_NS(cur_type)(&c, l)) {
		case PTK_ENTRY_EMPTY:
			if (m->check) {
				PTK_NS(count_new)(m, l - 1, c.e_va);
				m->v[l - 1].split = false;
				child = NULL;
			} else {
				ptk_oa_t coa;

				child = PTK_NS(link_new)(m, l, &c, &coa);
			}
			break;
		case PTK_ENTRY_TABLE:
			child = PTK_NS(cur_child)(&c, t, l);
			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			break;
		case PTK_ENTRY_LEAF:
			if (!(ba->flags & PTK_BUILD_REPLACE))
				return PTK_EEXIST;
			if (m->check) {
				rc = PTK_NS(check_split)(m, l, &c, false);
				if (rc)
					return rc;
				child = NULL;
			} else {
				child = PTK_NS(split_leaf)(m, l, &c, false);
			}
			break;
		default:
			return PTK_ECORRUPT;
		}
		rc = PTK_NS(build_at)(l - 1, m, ba, child, c.a, c.b);
		/* Unlink what the callbacks left empty, also on a stop. */
		if (!m->check)
			PTK_NS(prune)
		(m, l, &c, child, ptkf_table_oa(f, l, c.pte));
		if (rc)
			return rc;
	} while (PTK_NS(cur_next)(&c, f, l));
	return 0;
}

PTK_LEVELS_DEFINE(build,
		  (struct PTK_NS(mut) * m, const struct PTK_NS(build_args) * ba,
		   void *tbl, ptk_va_t va, ptk_va_t last),
		  (m, ba, tbl, va, last))

static int PTK_NS(build_pass)(struct PTK_NS(mut) * m, void *arg)
{
	const struct PTK_NS(build_args) *ba = arg;

	return PTK_NS(build_at)(ptkf_levels(m->t->fmt) - 1, m, ba, m->t->root,
				ba->va0, ba->last);
}

static int PTK_NS(build)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			 unsigned int level, unsigned int flags,
			 ptk_build_fn fn, void *arg, struct ptk_gather *g)
{
	struct PTK_NS(build_args) ba;

	ba.va0 = va;
	ba.last = last;
	ba.level = level;
	ba.flags = flags;
	ba.fn = fn;
	ba.arg = arg;
	return PTK_NS(mutate)(t, g, PTK_NS(build_pass), NULL, &ba, NULL);
}
