/* SPDX-License-Identifier: MIT */
/*
 * Entries and tables: how the engine reads, writes and finds them, and
 * what a leaf means (its output address, its run, its contiguous group).
 * Everything here is a small always-inline function of the format's
 * hooks; included first by engine.h.
 */

/*
 * Every entry is read with one atomic load and written with one atomic
 * store, so that shared tables (PTK_TABLE_SHARED) can be read while they
 * change; on the machines ptkit runs on these are the plain moves a
 * non-atomic access compiles to. A reader follows a loaded table pointer
 * by an address dependency, which orders it after the writer's release
 * store on every architecture Linux supports (READ_ONCE's reasoning);
 * ThreadSanitizer does not know that, so under it the load is an acquire.
 */
#if defined(__SANITIZE_THREAD__)
#define PTK_LD_ORDER __ATOMIC_ACQUIRE
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PTK_LD_ORDER __ATOMIC_ACQUIRE
#endif
#endif
#ifndef PTK_LD_ORDER
#define PTK_LD_ORDER __ATOMIC_RELAXED
#endif

static PTK_ALWAYS_INLINE ptk_pte_t PTK_NS(ld)(const struct ptk_fmt *f,
					      const void *tbl, uint64_t i)
{
	if (ptkf_entry_lg2(f) == 3)
		return __atomic_load_n((const uint64_t *)tbl + i, PTK_LD_ORDER);
	return __atomic_load_n((const uint32_t *)tbl + i, PTK_LD_ORDER);
}

/* Release: whatever was written to a table before its pointer is stored
 * is visible to a reader that loads the pointer (one home for this:
 * ptk_entry_store() of ptkit/build.h, which ptk_build()'s callers use). */
static PTK_ALWAYS_INLINE void PTK_NS(st)(const struct ptk_fmt *f, void *tbl,
					 uint64_t i, ptk_pte_t v)
{
	ptk_entry_store(tbl, i, ptkf_entry_lg2(f), v);
}

/* Replace @old by @v at entry @i; false (and nothing written) if the
 * entry no longer holds @old. */
static PTK_ALWAYS_INLINE bool PTK_NS(cas)(const struct ptk_fmt *f, void *tbl,
					  uint64_t i, ptk_pte_t old,
					  ptk_pte_t v)
{
	if (ptkf_entry_lg2(f) == 3) {
		uint64_t o = old;

		return __atomic_compare_exchange_n((uint64_t *)tbl + i, &o, v,
						   false, __ATOMIC_ACQ_REL,
						   __ATOMIC_ACQUIRE);
	} else {
		uint32_t o = (uint32_t)old;

		return __atomic_compare_exchange_n((uint32_t *)tbl + i, &o,
						   (uint32_t)v, false,
						   __ATOMIC_ACQ_REL,
						   __ATOMIC_ACQUIRE);
	}
}

/* log2 of the bytes of a table whose entries are at level @l. */
static PTK_ALWAYS_INLINE unsigned int PTK_NS(tbl_lg2)(const struct ptk_fmt *f,
						      unsigned int l)
{
	return ptkf_bits(f, l) + ptkf_entry_lg2(f);
}

static PTK_ALWAYS_INLINE uint64_t PTK_NS(nr_entries)(const struct ptk_fmt *f,
						     unsigned int l)
{
	return (uint64_t)1 << ptkf_bits(f, l);
}

static PTK_ALWAYS_INLINE uint64_t PTK_NS(idx)(const struct ptk_fmt *f,
					      unsigned int l, ptk_va_t va)
{
	return (va >> ptkf_shift(f, l)) & ptk_lg2_mask(ptkf_bits(f, l));
}

/* SAFETY: tables ptkit created came from the provider; a linear provider
 * maps them by adding a constant. Anything else is bounds-checked. */
static PTK_ALWAYS_INLINE void *PTK_NS(lin_ptr)(uintptr_t delta, ptk_oa_t oa)
{
	return (void *)(uintptr_t)((uintptr_t)oa + delta);
}

static PTK_ALWAYS_INLINE void *PTK_NS(tptr)(const struct ptk_table *t,
					    ptk_oa_t oa, unsigned int lg2)
{
	if (PTK_LIKELY(t->linear == PTK_LIN_TRUSTED))
		return PTK_NS(lin_ptr)(t->lin_delta, oa);
	return ptk_table__ptr(t, oa, lg2);
}

/* The table the table entry @pte at level @l points to, or NULL. */
static PTK_ALWAYS_INLINE void *PTK_NS(child)(const struct ptk_table *t,
					     unsigned int l, ptk_pte_t pte)
{
	const struct ptk_fmt *f = t->fmt;

	return PTK_NS(tptr)(t, ptkf_table_oa(f, l, pte),
			    PTK_NS(tbl_lg2)(f, l - 1));
}

/*
 * A scan reading the level-0 table of entry @idx of @tbl (level 1) can
 * start fetching the next entry's table, which lies elsewhere in memory
 * where the hardware's sequential prefetch does not reach: that table,
 * or NULL. (Only in trusted linear memory: a hint must cost no bounds
 * check.)
 */
static PTK_ALWAYS_INLINE const unsigned char *
PTK_NS(next_leaf_table)(const struct ptk_table *t, const void *tbl,
			uint64_t idx)
{
	const struct ptk_fmt *f = t->fmt;
	ptk_pte_t pte;

	if (t->linear != PTK_LIN_TRUSTED ||
	    idx + 1 >= ((uint64_t)1 << ptkf_bits(f, 1)))
		return NULL;
	pte = PTK_NS(ld)(f, tbl, idx + 1);
	if (ptkf_classify(f, 1, pte) != PTK_ENTRY_TABLE)
		return NULL;
	return PTK_NS(lin_ptr)(t->lin_delta, ptkf_table_oa(f, 1, pte));
}

/* The first @lines cache lines of @p on their way (@p may be NULL). */
static PTK_ALWAYS_INLINE void PTK_NS(prefetch_lines)(const unsigned char *p,
						     unsigned int lines)
{
	unsigned int i;

	if (p)
		for (i = 0; i < lines; i++)
			__builtin_prefetch(p + 64 * i);
}

/* The VA of entry @idx of the root table (sign-extended where needed). */
static PTK_ALWAYS_INLINE ptk_va_t PTK_NS(top_va)(const struct ptk_fmt *f,
						 uint64_t idx)
{
	unsigned int top = ptkf_levels(f) - 1;
	unsigned int vb = ptkf_va_bits(f);
	ptk_va_t va = idx << ptkf_shift(f, top);

	if (ptkf_sign_extend(f) && ((va >> (vb - 1)) & 1))
		va |= ~ptk_lg2_mask(vb);
	return va;
}

/*
 * Whether @va is in the format's VA space (canonical, if sign-extended:
 * bits 63..vb-1 all equal). Not written as "sign-extend and compare":
 * the compiler then uses the sign-extended copy for @va, and translate's
 * first index waits for the check's two shifts.
 */
static PTK_ALWAYS_INLINE bool PTK_NS(va_ok)(const struct ptk_fmt *f,
					    ptk_va_t va)
{
	unsigned int vb = ptkf_va_bits(f);

	if (ptkf_sign_extend(f))
		return (ptk_va_t)(((int64_t)va >> (vb - 1)) + 1) <= 1;
	return (va >> vb) == 0;
}

/* Whether [@oa, @oa_last] fits in what a leaf at level @l can hold. */
static PTK_ALWAYS_INLINE bool
PTK_NS(leaf_oa_fits)(const struct ptk_fmt *f, unsigned int l, ptk_oa_t oa_last)
{
	unsigned int bits = ptkf_leaf_oa_bits(f, l);

	return bits >= 64 || !(oa_last >> bits);
}

/* Entries from the one at @e_va to the one holding @last. */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(span_entries)(unsigned int shift,
						       ptk_va_t e_va,
						       ptk_va_t last)
{
	return ((last - e_va) >> shift) + 1;
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
 * The run of empty entries from @idx, which is empty itself, up to @max
 * entries: all-zero entries four at a time, then any other empty ones.
 */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(empty_run)(const struct ptk_fmt *f,
						    unsigned int l,
						    const void *tbl,
						    uint64_t idx, uint64_t max)
{
	uint64_t n = 1;

	if (ptkf_entry_lg2(f) == 3) {
		const uint64_t *e = (const uint64_t *)tbl + idx;

		while (n + 4 <= max &&
		       !(PTK_NS(ld)(f, e, n) | PTK_NS(ld)(f, e, n + 1) |
			 PTK_NS(ld)(f, e, n + 2) | PTK_NS(ld)(f, e, n + 3)))
			n += 4;
	}
	while (n < max && ptkf_classify(f, l, PTK_NS(ld)(f, tbl, idx + n)) ==
				  PTK_ENTRY_EMPTY)
		n++;
	return n;
}

/* Whether every entry of @tbl (level @l) is empty. */
static PTK_ALWAYS_INLINE bool
PTK_NS(table_empty)(const struct ptk_fmt *f, unsigned int l, const void *tbl)
{
	uint64_t n = PTK_NS(nr_entries)(f, l);

	return ptkf_classify(f, l, PTK_NS(ld)(f, tbl, 0)) == PTK_ENTRY_EMPTY &&
	       PTK_NS(empty_run)(f, l, tbl, 0, n) == n;
}

/* --- leaves */

/* log2 of the bytes a leaf @pte at level @l translates as one page: a
 * contiguous group (Arm's hint, Svnapot) is one. */
static PTK_ALWAYS_INLINE unsigned int
PTK_NS(leaf_lg2)(const struct ptk_fmt *f, unsigned int l, ptk_pte_t pte)
{
	unsigned int shift = ptkf_shift(f, l);

	if (ptkf_contig_lg2(f, l) && ptkf_is_contig(f, l, pte))
		shift += ptkf_contig_lg2(f, l);
	return shift;
}

/* Where the leaf @pte at level @l maps @va; *@lg2_out as leaf_lg2(). */
static PTK_ALWAYS_INLINE ptk_oa_t PTK_NS(leaf_va_oa)(const struct ptk_fmt *f,
						     unsigned int l,
						     ptk_pte_t pte, ptk_va_t va,
						     unsigned int *lg2_out)
{
	unsigned int shift = PTK_NS(leaf_lg2)(f, l, pte);

	*lg2_out = shift;
	return (ptkf_leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift)) +
	       (va & ptk_lg2_mask(shift));
}

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

/* Fill @child (level @l) with leaves equal to the huge leaf mapping @oa. */
static PTK_ALWAYS_INLINE void PTK_NS(fill_split)(const struct ptk_fmt *f,
						 unsigned int l, void *child,
						 ptk_oa_t oa, ptk_pte_t bits)
{
	uint64_t n = PTK_NS(nr_entries)(f, l);
	unsigned int shift = ptkf_shift(f, l);
	uint64_t j;

	for (j = 0; j < n; j++)
		PTK_NS(st)
	(f, child, j, ptkf_make_leaf(f, l, oa + (j << shift), bits));
}

/*
 * The entry bits of a leaf at level @l that hold accessed and dirty
 * state: hardware may set them in any one entry of a contiguous group
 * (RISC-V Svnapot, Arm's contiguous hint), so they may differ there.
 */
static PTK_ALWAYS_INLINE ptk_pte_t PTK_NS(ad_bits)(const struct ptk_fmt *f,
						   unsigned int l)
{
	struct ptk_attrs a;
	ptk_pte_t b0, b1;

	PTK_MEMSET(&a, 0, sizeof(a));
	a.prot = PTK_PROT_READ | PTK_PROT_WRITE;
	if (ptkf_encode(f, l, &a, PTK_ENC_SUPERSET, &b0))
		return 0;
	a.flags = PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY;
	if (ptkf_encode(f, l, &a, PTK_ENC_SUPERSET, &b1))
		return 0;
	return (b0 ^ b1) & ~ptkf_leaf_oa_mask(f, l);
}

/*
 * Whether the contiguous group from entry @g0 is whole: every entry a
 * leaf with the group's OA and the first entry's other bits (accessed
 * and dirty state aside). A foreign table may set the Contiguous bit in
 * some entries of a group only, or in entries whose OAs do not line up
 * (misprogrammed, CONSTRAINED UNPREDICTABLE on Arm); translate() reads
 * each address's own entry, so only a whole group may be reported as one.
 */
static PTK_ALWAYS_INLINE bool PTK_NS(group_whole)(const struct ptk_fmt *f,
						  unsigned int l,
						  const void *tbl, uint64_t g0)
{
	unsigned int cl = ptkf_contig_lg2(f, l);
	ptk_va_t gmask = ptk_lg2_mask(ptkf_shift(f, l) + cl);
	ptk_pte_t pte = PTK_NS(ld)(f, tbl, g0), keep;
	ptk_oa_t goa;
	uint64_t k;

	if (ptkf_classify(f, l, pte) != PTK_ENTRY_LEAF ||
	    !ptkf_is_contig(f, l, pte))
		return false;
	keep = ~ptkf_leaf_oa_mask(f, l) & ~PTK_NS(ad_bits)(f, l);
	goa = ptkf_leaf_oa(f, l, pte) & ~gmask;
	for (k = 1; k < ((uint64_t)1 << cl); k++) {
		ptk_pte_t e = PTK_NS(ld)(f, tbl, g0 + k);

		if (((e ^ pte) & keep) ||
		    ptkf_classify(f, l, e) != PTK_ENTRY_LEAF ||
		    (ptkf_leaf_oa(f, l, e) & ~gmask) != goa)
			return false;
	}
	return true;
}

/*
 * Count the units after the one at entry @idx that continue its run: a
 * unit is one leaf (@ulg2 == 0) or one contiguous group of 2^@ulg2
 * entries, whose first entry is @pte (a whole group, and so must the
 * others be). At most @max units. A run has consecutive VAs, contiguous
 * OAs and equal non-address bits.
 */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(run_len)(const struct ptk_fmt *f,
						  unsigned int l,
						  const void *tbl, uint64_t idx,
						  ptk_pte_t pte, uint64_t max,
						  unsigned int ulg2)
{
	unsigned int ushift = ptkf_shift(f, l) + ulg2;
	ptk_pte_t step = ptkf_leaf_step(f, l) << ulg2;
	ptk_oa_t oa = ptkf_leaf_oa(f, l, pte) & ~ptk_lg2_mask(ushift);
	uint64_t room = (ptk_lg2_mask(ptkf_oa_bits(f)) - oa) >> ushift;
	uint64_t n = 1;

	if (max > room + 1)
		max = room + 1;
	if (step && !ulg2) {
		/* Four entries a test, then one at a time. A loop of one
		 * entry a test (the atomic load does not fold into the
		 * compare: eight instructions) ran a dense walk at 0.68-0.70
		 * ns a leaf against 0.35-0.41 for the hand-written loop;
		 * this one at 0.38-0.42. */
		ptk_pte_t expect = pte + step;
		uint64_t i = idx + 1, end = idx + max;

		while (i + 4 <= end &&
		       !((PTK_NS(ld)(f, tbl, i) ^ expect) |
			 (PTK_NS(ld)(f, tbl, i + 1) ^ (expect + step)) |
			 (PTK_NS(ld)(f, tbl, i + 2) ^ (expect + 2 * step)) |
			 (PTK_NS(ld)(f, tbl, i + 3) ^ (expect + 3 * step)))) {
			i += 4;
			expect += 4 * step;
		}
		while (i < end && PTK_NS(ld)(f, tbl, i) == expect) {
			i++;
			expect += step;
		}
		n = i - idx;
	} else if (step) {
		ptk_pte_t expect = pte + step;

		while (n < max &&
		       PTK_NS(ld)(f, tbl, idx + (n << ulg2)) == expect &&
		       PTK_NS(group_whole)(f, l, tbl, idx + (n << ulg2))) {
			n++;
			expect += step;
		}
	} else {
		ptk_pte_t amask = ~ptkf_leaf_oa_mask(f, l);

		while (n < max) {
			ptk_pte_t e = PTK_NS(ld)(f, tbl, idx + (n << ulg2));

			if (((e ^ pte) & amask) ||
			    ptkf_classify(f, l, e) != PTK_ENTRY_LEAF ||
			    (ptkf_leaf_oa(f, l, e) & ~ptk_lg2_mask(ushift)) !=
				    oa + (n << ushift) ||
			    (ulg2 && !PTK_NS(group_whole)(f, l, tbl,
							  idx + (n << ulg2))))
				break;
			n++;
		}
	}
	return n;
}
