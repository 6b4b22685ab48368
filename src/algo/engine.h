/* SPDX-License-Identifier: MIT */
/*
 * The engine: translate, walk, map, unmap, release and check, written once.
 *
 * This is "templated C": it is compiled once per built-in format (with
 * every geometry value and hook a compile-time constant) and once for the
 * run-time instance. Include it only through template.h (specialised) or
 * src/core/generic.c (run-time).
 *
 * Conventions inside: ranges are inclusive [va, last]; a body at level l
 * works on one table whose entries are at level l and is given a range
 * that lies inside that table's span; e_va/e_last is the span of the
 * entry being looked at and [a, b] its part inside the range.
 *
 * Mutations run twice: a dry run that changes nothing, finds every error
 * (conflicts, cut huge leaves, inexpressible attributes, malformed
 * entries) and counts the tables the change needs, then, once those
 * tables are all allocated, the real run, which cannot fail. That is how
 * every mutation is all-or-nothing.
 */

/* --- entries and tables */

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
 * is visible to a reader that loads the pointer. */
static PTK_ALWAYS_INLINE void PTK_NS(st)(const struct ptk_fmt *f, void *tbl,
					 uint64_t i, ptk_pte_t v)
{
	if (ptkf_entry_lg2(f) == 3)
		__atomic_store_n((uint64_t *)tbl + i, v, __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint32_t *)tbl + i, (uint32_t)v,
				 __ATOMIC_RELEASE);
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

static PTK_ALWAYS_INLINE unsigned int PTK_NS(tbl_lg2)(const struct ptk_fmt *f,
						      unsigned int l)
{
	return ptkf_bits(f, l) + ptkf_entry_lg2(f);
}

static PTK_ALWAYS_INLINE uint64_t PTK_NS(idx)(const struct ptk_fmt *f,
					      unsigned int l, ptk_va_t va)
{
	return (va >> ptkf_shift(f, l)) & ptk_lg2_mask(ptkf_bits(f, l));
}

/* SAFETY: tables ptkit created came from the provider; a linear provider
 * maps them by adding a constant. Anything else is bounds-checked. */
static PTK_ALWAYS_INLINE void *PTK_NS(tptr)(const struct ptk_table *t,
					    ptk_oa_t oa, unsigned int lg2)
{
	if (PTK_LIKELY(t->linear == PTK_LIN_TRUSTED))
		return (void *)(uintptr_t)((uintptr_t)oa + t->lin_delta);
	return ptk_table__ptr(t, oa, lg2);
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

/* Whether [@oa, @oa_last] fits in what a leaf at level @l can hold. */
static PTK_ALWAYS_INLINE bool
PTK_NS(leaf_oa_fits)(const struct ptk_fmt *f, unsigned int l, ptk_oa_t oa_last)
{
	unsigned int bits = ptkf_leaf_oa_bits(f, l);

	return bits >= 64 || !(oa_last >> bits);
}

/* Entries from the one containing @a to the one containing @last. */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(span_entries)(unsigned int shift,
						       ptk_va_t e_va,
						       ptk_va_t last)
{
	return ((last - e_va) >> shift) + 1;
}

/* Fill @child (level @l) with leaves equal to the huge leaf mapping @oa. */
static PTK_ALWAYS_INLINE void PTK_NS(fill_split)(const struct ptk_fmt *f,
						 unsigned int l, void *child,
						 ptk_oa_t oa, ptk_pte_t bits)
{
	uint64_t n = (uint64_t)1 << ptkf_bits(f, l);
	unsigned int shift = ptkf_shift(f, l);
	uint64_t j;

	for (j = 0; j < n; j++)
		PTK_NS(st)
	(f, child, j, ptkf_make_leaf(f, l, oa + (j << shift), bits));
}

static PTK_ALWAYS_INLINE bool
PTK_NS(table_empty)(const struct ptk_fmt *f, unsigned int l, const void *tbl)
{
	uint64_t n = (uint64_t)1 << ptkf_bits(f, l);
	uint64_t j;

	for (j = 0; j < n; j++)
		if (ptkf_classify(f, l, PTK_NS(ld)(f, tbl, j)) !=
		    PTK_ENTRY_EMPTY)
			return false;
	return true;
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

/* --- translate */

/* Whether @va is in the format's VA space (canonical, if sign-extended). */
static PTK_ALWAYS_INLINE bool PTK_NS(va_ok)(const struct ptk_fmt *f,
					    ptk_va_t va)
{
	unsigned int vb = ptkf_va_bits(f);

	if (ptkf_sign_extend(f))
		return (ptk_va_t)((int64_t)(va << (64 - vb)) >> (64 - vb)) ==
		       va;
	return (va >> vb) == 0;
}

/*
 * Where the leaf @pte at level @l maps @va; *@lg2_out is the size of the
 * page it translates as: a contiguous group (Arm's hint, Svnapot) is one.
 */
static PTK_ALWAYS_INLINE ptk_oa_t PTK_NS(leaf_va_oa)(const struct ptk_fmt *f,
						     unsigned int l,
						     ptk_pte_t pte, ptk_va_t va,
						     unsigned int *lg2_out)
{
	unsigned int shift = ptkf_shift(f, l);

	if (ptkf_contig_lg2(f, l) && ptkf_is_contig(f, l, pte))
		shift += ptkf_contig_lg2(f, l);
	*lg2_out = shift;
	return (ptkf_leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift)) +
	       (va & ptk_lg2_mask(shift));
}

/* Out of line, so the hot path carries no error constants. */
static PTK_NOINLINE __attribute__((cold)) int
PTK_NS(translate_miss)(enum ptk_entry_type type)
{
	return type == PTK_ENTRY_EMPTY ? PTK_ENOENT : PTK_ECORRUPT;
}

/* One level of translate_body(); @l is a constant in each expansion. */
static PTK_ALWAYS_INLINE int
PTK_NS(translate_step)(const struct ptk_table *t, ptk_va_t va,
		       struct ptk_xlate *out, int trusted, const void **tbl,
		       unsigned int l)
{
	const struct ptk_fmt *f = t->fmt;
	ptk_pte_t pte = PTK_NS(ld)(f, *tbl, PTK_NS(idx)(f, l, va));
	enum ptk_entry_type type = ptkf_classify(f, l, pte);

	if (PTK_LIKELY(type == PTK_ENTRY_TABLE && l > 0)) {
		ptk_oa_t oa = ptkf_table_oa(f, l, pte);

		/* SAFETY: see tptr(); direct: the provider's delta is 0. */
		if (trusted == 2) {
			*tbl = (const void *)(uintptr_t)oa;
			return 1;
		}
		if (trusted) {
			*tbl = (const void *)(uintptr_t)((uintptr_t)oa +
							 t->lin_delta);
			return 1;
		}
		*tbl = ptk_table__ptr(t, oa, PTK_NS(tbl_lg2)(f, l - 1));
		return *tbl ? 1 : PTK_ECORRUPT;
	}
	if (type == PTK_ENTRY_LEAF) {
		if (out) {
			out->oa = PTK_NS(leaf_va_oa)(f, l, pte, va,
						     &out->size_lg2);
			out->pte = pte;
			out->level = l;
		}
		return 0;
	}
	return PTK_NS(translate_miss)(type);
}

/*
 * The walk for one address. @trusted (constant in each caller): tables
 * convert by the provider's offset, unchecked; else through the checked
 * path. Two copies, so the fast one calls nothing and saves nothing. The
 * levels are spelled out (not a loop) so that each leaf exit keeps its
 * constant shift.
 */
static PTK_ALWAYS_INLINE int PTK_NS(translate_body)(const struct ptk_table *t,
						    ptk_va_t va,
						    struct ptk_xlate *out,
						    int trusted)
{
	const struct ptk_fmt *f = t->fmt;
	const void *tbl = t->root;
	int rc;

	if (PTK_UNLIKELY(!PTK_NS(va_ok)(f, va)))
		return PTK_ERANGE;
#define PTK_XL_STEP_(L)                                                      \
	if ((L) < ptkf_levels(f)) {                                          \
		rc = PTK_NS(translate_step)(t, va, out, trusted, &tbl, (L)); \
		if (rc <= 0)                                                 \
			return rc;                                           \
	}
	PTK_XL_STEP_(5)
	PTK_XL_STEP_(4)
	PTK_XL_STEP_(3)
	PTK_XL_STEP_(2)
	PTK_XL_STEP_(1)
	PTK_XL_STEP_(0)
#undef PTK_XL_STEP_
	return PTK_ECORRUPT;
}

static PTK_NOINLINE int PTK_NS(translate_checked)(const struct ptk_table *t,
						  ptk_va_t va,
						  struct ptk_xlate *out)
{
	return PTK_NS(translate_body)(t, va, out, 0);
}

static int PTK_NS(translate)(const struct ptk_table *t, ptk_va_t va,
			     struct ptk_xlate *out)
{
	if (PTK_UNLIKELY(t->linear != PTK_LIN_TRUSTED))
		return PTK_NS(translate_checked)(t, va, out);
	return PTK_NS(translate_body)(t, va, out, 1);
}

/* For tables ptkit made in a provider whose addresses are pointers. */
static int PTK_NS(translate_direct)(const struct ptk_table *t, ptk_va_t va,
				    struct ptk_xlate *out)
{
	return PTK_NS(translate_body)(t, va, out, 2);
}

/* --- walk */

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
};

PTK_LEVELS_DECLARE(walk,
		   (struct PTK_NS(walk_ctx) * c, const void *tbl, ptk_va_t va,
		    ptk_va_t last),
		   (c, tbl, va, last))

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
 * others be). At most @max units.
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
	if (step) {
		ptk_pte_t expect = pte + step;

		while (n < max &&
		       PTK_NS(ld)(f, tbl, idx + (n << ulg2)) == expect &&
		       (!ulg2 ||
			PTK_NS(group_whole)(f, l, tbl, idx + (n << ulg2)))) {
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

PTK_BODY PTK_NS(walk_body)(unsigned int l, struct PTK_NS(walk_ctx) * c,
			   const void *tbl, ptk_va_t va, ptk_va_t last)
{
	const struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	const struct ptk_walk_ops *ops = c->ops;
	unsigned int shift = ptkf_shift(f, l);
	ptk_va_t smask = ptk_lg2_mask(shift);
	ptk_va_t a = va, hva = 0;
	bool in_hole = false;
	int rc;

	for (;;) {
		ptk_va_t e_va = a & ~smask;
		ptk_va_t b = (e_va | smask) < last ? (e_va | smask) : last;
		uint64_t idx = PTK_NS(idx)(f, l, a);
		ptk_pte_t pte = PTK_NS(ld)(f, tbl, idx);
		enum ptk_entry_type type = ptkf_classify(f, l, pte);

		if (type == PTK_ENTRY_EMPTY) {
			if (ops->hole) {
				if (!in_hole)
					hva = a;
				in_hole = true;
			} else {
				/* Skip a run of empty entries in one go. */
				uint64_t n = PTK_NS(empty_run)(
					f, l, tbl, idx,
					PTK_NS(span_entries)(shift, e_va,
							     last));

				b = e_va + ((n << shift) - 1);
				if (b > last)
					b = last;
			}
			goto next;
		}
		if (in_hole) {
			in_hole = false;
			rc = ops->hole(hva, a - 1, l, c->arg);
			if (rc)
				return rc;
		}
		if (type == PTK_ENTRY_LEAF) {
			struct ptk_walk_leaf lf;
			uint64_t n;

			unsigned int ulg2 = 0, ushift = shift;
			ptk_oa_t oa;
			uint64_t max;

			if (!ops->leaf)
				goto next;
			oa = ptkf_leaf_oa(f, l, pte);
			max = PTK_NS(span_entries)(shift, e_va, last);
			if (ptkf_contig_lg2(f, l) &&
			    ptkf_is_contig(f, l, pte)) {
				unsigned int cl = ptkf_contig_lg2(f, l);
				uint64_t g0 = idx & ~ptk_lg2_mask(cl);
				ptk_va_t gmask = ptk_lg2_mask(shift + cl);

				if (PTK_NS(group_whole)(f, l, tbl, g0)) {
					/* A group is reported whole, as one
					 * page. */
					ulg2 = cl;
					ushift = shift + ulg2;
					e_va = a & ~gmask;
					idx = g0;
					pte = PTK_NS(ld)(f, tbl, idx);
					oa = ptkf_leaf_oa(f, l, pte);
					max = PTK_NS(span_entries)(ushift, e_va,
								   last);
				} else {
					/* Misprogrammed: this entry alone,
					 * as translate() reads it. */
					oa = (oa & ~gmask) + (e_va & gmask);
					max = 1;
				}
			}
			n = PTK_NS(run_len)(f, l, tbl, idx, pte, max, ulg2);
			lf.va = e_va;
			lf.oa = oa & ~ptk_lg2_mask(ushift);
			lf.count = n;
			lf.pte = pte;
			lf.level = l;
			lf.size_lg2 = ushift;
			{
				ptk_pte_t key = pte & ~ptkf_leaf_oa_mask(f, l);

				if (PTK_UNLIKELY(!c->dvalid || c->dkey != key ||
						 c->dlevel != l)) {
					ptkf_decode(f, l, pte, &c->dattrs);
					c->dkey = key;
					c->dlevel = l;
					c->dvalid = true;
				}
				lf.attrs = c->dattrs;
			}
			rc = ops->leaf(&lf, c->arg);
			if (rc)
				return rc;
			b = e_va + ((n << ushift) - 1);
			if (b > last)
				b = last;
			goto next;
		}
		if (type == PTK_ENTRY_TABLE && PTK_LIKELY(l > 0)) {
			ptk_oa_t coa = ptkf_table_oa(f, l, pte);
			const void *child =
				PTK_NS(tptr)(t, coa, PTK_NS(tbl_lg2)(f, l - 1));
			struct ptk_walk_table tb;

			if (PTK_UNLIKELY(!child))
				goto invalid;
			tb.va = e_va;
			tb.last = e_va | smask;
			tb.oa = coa;
			tb.level = l - 1;
			rc = 0;
			if (ops->pre_table) {
				rc = ops->pre_table(&tb, c->arg);
				if (rc && rc != PTK_WALK_SKIP)
					return rc;
			}
			if (rc != PTK_WALK_SKIP &&
			    (l - 1 > 0 || c->scan_leaves)) {
				rc = PTK_NS(walk_at)(l - 1, c, child, a, b);
				if (rc)
					return rc;
			}
			if (ops->post_table) {
				rc = ops->post_table(&tb, c->arg);
				if (rc)
					return rc;
			}
			goto next;
		}
	invalid:
		if (!ops->invalid)
			return PTK_ECORRUPT;
		rc = ops->invalid(a, b, l, pte, c->arg);
		if (rc)
			return rc;
	next:
		if (b == last)
			break;
		a = b + 1;
	}
	if (in_hole)
		return ops->hole(hva, last, l, c->arg);
	return 0;
}

PTK_LEVELS_DEFINE(walk,
		  (struct PTK_NS(walk_ctx) * c, const void *tbl, ptk_va_t va,
		   ptk_va_t last),
		  (c, tbl, va, last))

static int PTK_NS(walk)(const struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			const struct ptk_walk_ops *ops, void *arg)
{
	struct PTK_NS(walk_ctx) c;

	PTK_MEMSET(&c, 0, sizeof(c));
	c.t = t;
	c.ops = ops;
	c.arg = arg;
	c.scan_leaves = ops->leaf || ops->hole || ops->invalid;
	if (!c.scan_leaves && !ops->pre_table && !ops->post_table)
		return 0;
	return PTK_NS(walk_at)(ptkf_levels(t->fmt) - 1, &c, t->root, va, last);
}

/* --- release: unlink-time freeing of a whole subtree */

struct PTK_NS(rel_ctx) {
	struct ptk_table *t;
	struct ptk_gather *g;
};

PTK_LEVELS_DECLARE(rel, (struct PTK_NS(rel_ctx) * c, void *tbl, ptk_oa_t oa),
		   (c, tbl, oa))

/*
 * Queue table @tbl (entries at level @l, at @oa) and everything below it
 * for freeing after the flush. Children go first: a queued table's first
 * words are overwritten by the queue link.
 */
PTK_BODY PTK_NS(rel_body)(unsigned int l, struct PTK_NS(rel_ctx) * c, void *tbl,
			  ptk_oa_t oa)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;

	if (l > 0) {
		uint64_t n = (uint64_t)1 << ptkf_bits(f, l);
		uint64_t j;

		for (j = 0; j < n; j++) {
			ptk_pte_t pte = PTK_NS(ld)(f, tbl, j);
			ptk_oa_t coa;
			void *child;

			if (ptkf_classify(f, l, pte) != PTK_ENTRY_TABLE)
				continue;
			coa = ptkf_table_oa(f, l, pte);
			child = PTK_NS(tptr)(t, coa, PTK_NS(tbl_lg2)(f, l - 1));
			if (child)
				PTK_NS(rel_at)(l - 1, c, child, coa);
			else
				PTK_ASSERT(!"release: table not addressable");
		}
	}
	ptk_table__unlinked(t, l, oa);
	ptk_table__defer_free(t, c->g, oa, tbl, PTK_NS(tbl_lg2)(f, l));
	return 0;
}

PTK_LEVELS_DEFINE(rel, (struct PTK_NS(rel_ctx) * c, void *tbl, ptk_oa_t oa),
		  (c, tbl, oa))

/* --- shared by map and unmap: the table pool and the dry run's view */

/*
 * In a dry run, a table that does not exist yet is "virtual": empty, or
 * the split of a huge leaf (every entry a leaf continuing @oa from @va
 * with @attrs).
 */
struct PTK_NS(vtable) {
	bool split;
	ptk_va_t va;
	ptk_oa_t oa;
	struct ptk_attrs attrs;
};

struct PTK_NS(mut_ctx) {
	struct ptk_table *t;
	bool dry;
	unsigned int flags;
	unsigned int max_lg2;
	ptk_va_t va0;
	ptk_oa_t oa0;
	ptk_pte_t bits[PTK_MAX_LEVELS];
	uint64_t need[PTK_MAX_LEVELS];
	struct ptk_pool pool[PTK_MAX_LEVELS];
	struct PTK_NS(vtable) v[PTK_MAX_LEVELS];
	/* The last new table the dry run counted per level (its VA base):
	 * operations that place several pieces (copy, move) visit a new
	 * table once per piece, in address order, and must count it once. */
	ptk_va_t nv_va[PTK_MAX_LEVELS];
	bool nv_ok[PTK_MAX_LEVELS];
	struct ptk_gather *g;
	struct ptk_gpend gp;
	/* flags of the range operations (PTK_PROTECT_*, PTK_COPY_*, ...) */
	unsigned int oflags;
	/* copy: the table copied from; move: new_va - old_va */
	const struct ptk_table *src;
	ptk_va_t delta;
	/* protect / copy-on-write: the new prot and a cache per level */
	uint32_t prot;
	ptk_pte_t pmask[PTK_MAX_LEVELS];
	ptk_pte_t pc_key[PTK_MAX_LEVELS];
	ptk_pte_t pc_val[PTK_MAX_LEVELS];
	bool pc_ok[PTK_MAX_LEVELS];
	/* harvest */
	ptk_pte_t admask[PTK_MAX_LEVELS][2];
	int (*fn)(ptk_va_t va, uint64_t len, unsigned int found, void *arg);
	void *arg;
	ptk_va_t h_va;
	ptk_va_t h_last;
	unsigned int h_found;
	int h_rc;
};

/* Dry run: a new table for level @l spanning from @va is needed. */
static PTK_ALWAYS_INLINE void PTK_NS(count_new)(struct PTK_NS(mut_ctx) * c,
						unsigned int l, ptk_va_t va)
{
	if (c->nv_ok[l] && c->nv_va[l] == va)
		return;
	c->need[l]++;
	c->nv_va[l] = va;
	c->nv_ok[l] = true;
}

/* Take a zeroed table for level @l from the pool filled after the dry run. */
static PTK_ALWAYS_INLINE void *PTK_NS(take)(struct PTK_NS(mut_ctx) * c,
					    unsigned int l, ptk_oa_t *oa_out)
{
	return ptk_pool__take(&c->pool[l], oa_out);
}

/*
 * Real run: link a new table for level l-1 into entry @idx of @tbl
 * (level @l), which held the empty entry @old. On a shared table another
 * writer (of a neighbouring range) may have linked one first; then ours
 * goes back to the pool and the winner's is used. *@oa_out is the new
 * table's address, or PTK_NO_OA when the winner's was taken.
 */
static PTK_ALWAYS_INLINE void *PTK_NS(link_new)(struct PTK_NS(mut_ctx) * c,
						unsigned int l, void *tbl,
						uint64_t idx, ptk_pte_t old,
						ptk_oa_t *oa_out)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	ptk_oa_t coa;
	void *child = PTK_NS(take)(c, l - 1, &coa);
	ptk_pte_t cur;

	if (PTK_LIKELY(!ptk_table__shared(t))) {
		PTK_NS(st)(f, tbl, idx, ptkf_make_table(f, l, coa));
	} else if (!PTK_NS(cas)(f, tbl, idx, old, ptkf_make_table(f, l, coa))) {
		ptk_pool__put(&c->pool[l - 1], coa, child);
		cur = PTK_NS(ld)(f, tbl, idx);
		/* Writers' ranges are disjoint: only a table can win here. */
		PTK_ASSERT(ptkf_classify(f, l, cur) == PTK_ENTRY_TABLE);
		*oa_out = PTK_NO_OA;
		return PTK_NS(tptr)(t, ptkf_table_oa(f, l, cur),
				    PTK_NS(tbl_lg2)(f, l - 1));
	}
	ptk_table__linked(t, l - 1, coa);
	*oa_out = coa;
	return child;
}

/* Allocate every table the dry run counted; all or nothing. */
static int PTK_NS(fill_pools)(struct PTK_NS(mut_ctx) * c)
{
	const struct ptk_fmt *f = c->t->fmt;
	unsigned int l;

	for (l = 0; l + 1 < ptkf_levels(f); l++) {
		int rc = ptk_pool__fill(c->t, &c->pool[l], c->need[l],
					PTK_NS(tbl_lg2)(f, l),
					ptkf_table_oa_bits(f));

		if (rc < 0) {
			while (l--)
				ptk_pool__drain(c->t, &c->pool[l]);
			return rc;
		}
	}
	return 0;
}

/* Free what the real run did not use (dry runs may over-count). */
static void PTK_NS(drain_pools)(struct PTK_NS(mut_ctx) * c)
{
	unsigned int l;

	for (l = 0; l < PTK_MAX_LEVELS; l++)
		ptk_pool__drain(c->t, &c->pool[l]);
}

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
 * Replace the huge leaf at entry @idx of @tbl (level @l, mapping from
 * @e_va) by a table of level l-1: empty when @empty (the caller overwrites
 * all of it), else holding leaves with the same translation. The whole
 * leaf is gathered: a TLB may hold it as one entry, and Arm requires
 * break-before-make for a change of block size. Real run only.
 */
static PTK_ALWAYS_INLINE void *PTK_NS(split_leaf)(struct PTK_NS(mut_ctx) * c,
						  unsigned int l, void *tbl,
						  uint64_t idx, ptk_pte_t pte,
						  bool empty, ptk_va_t e_va)
{
	const struct ptk_fmt *f = c->t->fmt;
	ptk_oa_t coa;
	void *child = PTK_NS(take)(c, l - 1, &coa);

	/* A reader of a shared table must not see the range unmapped for a
	 * moment: give it the old leaves until they are overwritten. */
	if (!empty || ptk_table__shared(c->t)) {
		struct ptk_attrs attrs;
		ptk_pte_t bits = 0;

		ptk_oa_t oa = ptkf_leaf_oa(f, l, pte);

		ptkf_decode(f, l, pte, &attrs);
		/* The dry run checked both when !@empty. */
		if (!PTK_NS(split_bits)(f, l - 1, &attrs, &bits) &&
		    PTK_NS(leaf_oa_fits)(f, l - 1,
					 oa + ptk_lg2_mask(ptkf_shift(f, l))))
			PTK_NS(fill_split)(f, l - 1, child, oa, bits);
	}
	PTK_NS(st)(f, tbl, idx, ptkf_make_table(f, l, coa));
	ptk_table__linked(c->t, l - 1, coa);
	ptk_gpend__add(&c->gp, c->g, e_va,
		       e_va | ptk_lg2_mask(ptkf_shift(f, l)));
	return child;
}

/* Dry run: describe the table a split of leaf @pte (or of virtual leaf
 * @e_va of table v[l]) would create at level l-1. */
static PTK_ALWAYS_INLINE int PTK_NS(dry_split)(struct PTK_NS(mut_ctx) * c,
					       unsigned int l, const void *tbl,
					       ptk_pte_t pte, ptk_va_t e_va,
					       bool empty)
{
	const struct ptk_fmt *f = c->t->fmt;
	struct PTK_NS(vtable) *v = &c->v[l - 1];
	ptk_pte_t bits;

	c->need[l - 1]++;
	v->split = !empty;
	if (empty)
		return 0;
	v->va = e_va;
	if (tbl) {
		v->oa = ptkf_leaf_oa(f, l, pte);
		ptkf_decode(f, l, pte, &v->attrs);
	} else {
		v->oa = c->v[l].oa + (e_va - c->v[l].va);
		v->attrs = c->v[l].attrs;
	}
	/* The smaller leaves may hold fewer OA bits (x86 PSE-36). */
	if (!PTK_NS(leaf_oa_fits)(f, l - 1,
				  v->oa + ptk_lg2_mask(ptkf_shift(f, l))))
		return PTK_ERANGE;
	return PTK_NS(split_bits)(f, l - 1, &v->attrs, &bits);
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
	/* The dry run checked that this encodes. */
	(void)ptkf_encode(f, l, &attrs, 0, &bits);
	for (k = 0; k < ((uint64_t)1 << cl); k++)
		PTK_NS(st)
	(f, tbl, gidx + k, ptkf_make_leaf(f, l, goa + (k << shift), bits));
}

/*
 * Contiguous groups that [va, last] covers only in part must become plain
 * leaves before part of them changes. In the dry run, say whether that is
 * allowed (@split_ok, else @err) and possible; in the real run, do it.
 */
static PTK_ALWAYS_INLINE int PTK_NS(fix_groups)(struct PTK_NS(mut_ctx) * c,
						unsigned int l, void *tbl,
						ptk_va_t va, ptk_va_t last,
						bool split_ok, int err)
{
	const struct ptk_fmt *f = c->t->fmt;
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
		if (c->dry) {
			ptkf_decode(f, l, pte, &attrs);
			rc = ptkf_encode(f, l, &attrs, 0, &bits);
			if (rc)
				return rc;
			continue;
		}
		PTK_NS(uncontig)(f, l, tbl, gidx);
		ptk_gpend__add(&c->gp, c->g, g_va, g_va | gmask);
	}
	return 0;
}

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

/* --- map */

PTK_LEVELS_DECLARE(map,
		   (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		    ptk_va_t last),
		   (c, tbl, va, last))

PTK_BODY PTK_NS(map_body)(unsigned int l, struct PTK_NS(mut_ctx) * c, void *tbl,
			  ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	ptk_va_t smask = ptk_lg2_mask(shift);
	bool can_leaf = ptkf_leaf_ok(f, l) && shift <= c->max_lg2;
	ptk_va_t a = va;
	int rc;

	if (ptkf_contig_lg2(f, l)) {
		rc = PTK_NS(fix_groups)(c, l, tbl, va, last,
					c->flags & PTK_MAP_REPLACE, PTK_EEXIST);
		if (rc)
			return rc;
	}
	for (;;) {
		ptk_va_t e_va = a & ~smask;
		ptk_va_t e_last = e_va | smask;
		ptk_va_t b = e_last < last ? e_last : last;
		uint64_t idx = PTK_NS(idx)(f, l, a);
		ptk_oa_t oa = c->oa0 + (a - c->va0);
		bool full = a == e_va && b == e_last;
		/* (Level 0 entries are always whole and aligned: the API
		 * checked the granule alignment.) */
		bool leafable = l == 0 || (full && can_leaf && !(oa & smask));
		ptk_pte_t pte = 0;
		enum ptk_entry_type type;

		if (tbl) {
			pte = PTK_NS(ld)(f, tbl, idx);
			type = ptkf_classify(f, l, pte);
		} else {
			type = c->v[l].split ? PTK_ENTRY_LEAF : PTK_ENTRY_EMPTY;
		}

		if (type == PTK_ENTRY_EMPTY && leafable) {
			/*
			 * A run of whole, empty entries: leaves. The run
			 * ends at the range, the table, or the first entry
			 * that is not empty.
			 */
			uint64_t max =
				((last - e_va) >> shift) +
				((((last - e_va) & smask) == smask) ? 1 : 0);
			uint64_t n = 1;

			if (c->dry) {
				if (!tbl)
					n = max;
				while (n < max &&
				       ptkf_classify(f, l,
						     PTK_NS(ld)(f, tbl,
								idx + n)) ==
					       PTK_ENTRY_EMPTY)
					n++;
				/* The leaves must hold their OAs (PSE-36). */
				if (!PTK_NS(leaf_oa_fits)(
					    f, l, oa + ((n << shift) - 1)))
					return PTK_ERANGE;
			} else if (ptkf_contig_lg2(f, l) &&
				   shift + ptkf_contig_lg2(f, l) <=
					   c->max_lg2) {
				n = PTK_NS(put_leaves_contig)(
					f, l, tbl, idx, oa, c->bits[l], max);
			} else {
				ptk_pte_t step = ptkf_leaf_step(f, l);
				ptk_pte_t bits = c->bits[l];

				PTK_NS(st)
				(f, tbl, idx, ptkf_make_leaf(f, l, oa, bits));
				if (step) {
					ptk_pte_t e =
						ptkf_make_leaf(f, l, oa, bits);

					while (n < max &&
					       PTK_NS(ld)(f, tbl, idx + n) ==
						       0) {
						e += step;
						PTK_NS(st)(f, tbl, idx + n, e);
						n++;
					}
				} else {
					while (n < max &&
					       PTK_NS(ld)(f, tbl, idx + n) ==
						       0) {
						PTK_NS(st)
						(f, tbl, idx + n,
						 ptkf_make_leaf(f, l,
								oa + (n
								      << shift),
								bits));
						n++;
					}
				}
			}
			b = e_va + ((n << shift) - 1);
			goto next;
		}

		/* Level 0 is all leaves and always whole: nothing descends. */
		if (PTK_UNLIKELY(l == 0) && type != PTK_ENTRY_LEAF)
			return PTK_ECORRUPT;

		switch (type) {
		case PTK_ENTRY_EMPTY:
			if (c->dry) {
				PTK_NS(count_new)(c, l - 1, e_va);
				c->v[l - 1].split = false;
				rc = PTK_NS(map_at)(l - 1, c, NULL, a, b);
				if (rc)
					return rc;
			} else {
				ptk_oa_t coa;
				void *child = PTK_NS(link_new)(c, l, tbl, idx,
							       pte, &coa);

				PTK_NS(map_at)(l - 1, c, child, a, b);
			}
			break;
		case PTK_ENTRY_TABLE: {
			void *child = PTK_NS(tptr)(t, ptkf_table_oa(f, l, pte),
						   PTK_NS(tbl_lg2)(f, l - 1));

			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			rc = PTK_NS(map_at)(l - 1, c, child, a, b);
			if (rc)
				return rc;
			break;
		}
		case PTK_ENTRY_LEAF:
			if (!(c->flags & PTK_MAP_REPLACE))
				return PTK_EEXIST;
			if (leafable) {
				if (!PTK_NS(leaf_oa_fits)(f, l, oa | smask))
					return PTK_ERANGE;
				if (!c->dry) {
					PTK_NS(st)
					(f, tbl, idx,
					 ptkf_make_leaf(f, l, oa, c->bits[l]));
					ptk_gpend__add(&c->gp, c->g, e_va,
						       e_last);
				}
				break;
			}
			if (c->dry) {
				rc = PTK_NS(dry_split)(c, l, tbl, pte, e_va,
						       full);
				if (rc)
					return rc;
				rc = PTK_NS(map_at)(l - 1, c, NULL, a, b);
				if (rc)
					return rc;
			} else {
				void *child = PTK_NS(split_leaf)(
					c, l, tbl, idx, pte, full, e_va);

				PTK_NS(map_at)(l - 1, c, child, a, b);
			}
			break;
		default:
			return PTK_ECORRUPT;
		}
	next:
		if (b >= last)
			return 0;
		a = b + 1;
	}
}

PTK_LEVELS_DEFINE(map,
		  (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		   ptk_va_t last),
		  (c, tbl, va, last))

static int PTK_NS(map)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		       ptk_oa_t oa, const struct ptk_attrs *attrs,
		       unsigned int flags, struct ptk_gather *g)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	unsigned int cap = (flags >> 8) & 0x3f;
	struct PTK_NS(mut_ctx) c;
	unsigned int l;
	int rc;

	PTK_MEMSET(&c, 0, sizeof(c));
	c.t = t;
	c.flags = flags;
	c.max_lg2 = cap ? cap : 64;
	c.va0 = va;
	c.oa0 = oa;
	c.g = g;
	for (l = 0; l <= top; l++) {
		if (!ptkf_leaf_ok(f, l))
			continue;
		rc = ptkf_encode(f, l, attrs, flags & PTK_ENC_SUPERSET,
				 &c.bits[l]);
		if (rc)
			return rc;
	}
	if (cap && cap < ptkf_shift(f, 0))
		return PTK_EINVAL;

	c.dry = true;
	rc = PTK_NS(map_at)(top, &c, t->root, va, last);
	if (rc)
		return rc;
	rc = PTK_NS(fill_pools)(&c);
	if (rc)
		return rc;
	c.dry = false;
	PTK_NS(map_at)(top, &c, t->root, va, last);
	ptk_gpend__flush(&c.gp, g);
	return 0;
}

/* --- unmap */

PTK_LEVELS_DECLARE(unmap,
		   (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		    ptk_va_t last),
		   (c, tbl, va, last))

PTK_BODY PTK_NS(unmap_body)(unsigned int l, struct PTK_NS(mut_ctx) * c,
			    void *tbl, ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = ptkf_shift(f, l);
	ptk_va_t smask = ptk_lg2_mask(shift);
	ptk_va_t a = va;
	int rc;

	if (ptkf_contig_lg2(f, l)) {
		rc = PTK_NS(fix_groups)(c, l, tbl, va, last,
					c->flags & PTK_UNMAP_SPLIT, PTK_ESPLIT);
		if (rc)
			return rc;
	}
	for (;;) {
		ptk_va_t e_va = a & ~smask;
		ptk_va_t e_last = e_va | smask;
		ptk_va_t b = e_last < last ? e_last : last;
		uint64_t idx = PTK_NS(idx)(f, l, a);
		bool full = a == e_va && b == e_last;
		ptk_pte_t pte = 0;
		enum ptk_entry_type type;

		if (tbl) {
			pte = PTK_NS(ld)(f, tbl, idx);
			type = ptkf_classify(f, l, pte);
		} else {
			/* Only split leaves are virtual in an unmap. */
			type = PTK_ENTRY_LEAF;
		}

		if (PTK_UNLIKELY(l == 0) && type == PTK_ENTRY_TABLE)
			type = PTK_ENTRY_INVALID;

		switch (type) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_LEAF:
			if (full || PTK_UNLIKELY(l == 0)) {
				if (!c->dry) {
					PTK_NS(st)(f, tbl, idx, 0);
					ptk_gpend__add(&c->gp, c->g, e_va,
						       e_last);
				}
				break;
			}
			if (c->dry) {
				if (!(c->flags & PTK_UNMAP_SPLIT))
					return PTK_ESPLIT;
				rc = PTK_NS(dry_split)(c, l, tbl, pte, e_va,
						       false);
				if (rc)
					return rc;
				rc = PTK_NS(unmap_at)(l - 1, c, NULL, a, b);
				if (rc)
					return rc;
			} else {
				void *child = PTK_NS(split_leaf)(
					c, l, tbl, idx, pte, false, e_va);

				PTK_NS(unmap_at)(l - 1, c, child, a, b);
			}
			break;
		case PTK_ENTRY_TABLE: {
			ptk_oa_t coa = ptkf_table_oa(f, l, pte);
			void *child =
				PTK_NS(tptr)(t, coa, PTK_NS(tbl_lg2)(f, l - 1));

			if (full) {
				if (!c->dry) {
					struct PTK_NS(rel_ctx)
						rc_ = { t, c->g };

					PTK_NS(st)(f, tbl, idx, 0);
					ptk_gpend__add(&c->gp, c->g, e_va,
						       e_last);
					if (child)
						PTK_NS(rel_at)
					(l - 1, &rc_, child, coa);
				}
				break;
			}
			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			rc = PTK_NS(unmap_at)(l - 1, c, child, a, b);
			if (rc)
				return rc;
			/* The table reaches outside the range: on a shared
			 * table another writer may be about to fill it. */
			if (!c->dry && !ptk_table__shared(t) &&
			    PTK_NS(table_empty)(f, l - 1, child)) {
				PTK_NS(st)(f, tbl, idx, 0);
				ptk_table__unlinked(t, l - 1, coa);
				ptk_table__defer_free(t, c->g, coa, child,
						      PTK_NS(tbl_lg2)(f,
								      l - 1));
			}
			break;
		}
		default:
			if (!full)
				return PTK_ECORRUPT;
			if (!c->dry) {
				PTK_NS(st)(f, tbl, idx, 0);
				ptk_gpend__add(&c->gp, c->g, e_va, e_last);
			}
			break;
		}
		if (b >= last)
			return 0;
		a = b + 1;
	}
}

PTK_LEVELS_DEFINE(unmap,
		  (struct PTK_NS(mut_ctx) * c, void *tbl, ptk_va_t va,
		   ptk_va_t last),
		  (c, tbl, va, last))

static int PTK_NS(unmap)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			 unsigned int flags, struct ptk_gather *g)
{
	unsigned int top = ptkf_levels(t->fmt) - 1;
	struct PTK_NS(mut_ctx) c;
	int rc;

	PTK_MEMSET(&c, 0, sizeof(c));
	c.t = t;
	c.flags = flags;
	c.g = g;
	c.dry = true;
	rc = PTK_NS(unmap_at)(top, &c, t->root, va, last);
	if (rc)
		return rc;
	rc = PTK_NS(fill_pools)(&c);
	if (rc)
		return rc;
	c.dry = false;
	PTK_NS(unmap_at)(top, &c, t->root, va, last);
	ptk_gpend__flush(&c.gp, g);
	return 0;
}

/* --- destroy */

static void PTK_NS(destroy)(struct ptk_table *t)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	uint64_t n = (uint64_t)1 << ptkf_bits(f, top);
	struct ptk_gather g;
	struct PTK_NS(rel_ctx) c;
	uint64_t j;

	ptk_gather_init(&g);
	c.t = t;
	c.g = &g;
	if (top > 0) {
		for (j = 0; j < n; j++) {
			ptk_pte_t pte = PTK_NS(ld)(f, t->root, j);
			ptk_oa_t coa;
			void *child;

			if (ptkf_classify(f, top, pte) != PTK_ENTRY_TABLE)
				continue;
			coa = ptkf_table_oa(f, top, pte);
			child = PTK_NS(tptr)(t, coa,
					     PTK_NS(tbl_lg2)(f, top - 1));
			if (child)
				PTK_NS(rel_at)(top - 1, &c, child, coa);
			PTK_NS(st)(f, t->root, j, 0);
		}
	}
	ptk_table_flush(t, &g);
}

/* --- check */

struct PTK_NS(check_ctx) {
	const struct ptk_table *t;
	struct ptk_check *out;
	bool owned;
	uint64_t sum;
};

PTK_LEVELS_DECLARE(check,
		   (struct PTK_NS(check_ctx) * c, const void *tbl, ptk_va_t va),
		   (c, tbl, va))

static int PTK_NS(check_fail)(struct PTK_NS(check_ctx) * c, unsigned int l,
			      ptk_va_t va, const char *what)
{
	c->out->bad_level = (int)l;
	c->out->bad_va = va;
	c->out->what = what;
	return PTK_ECORRUPT;
}

/*
 * Entry @j is part of a contiguous group: the group's first entry must be
 * one too, and when @j is that first entry, every entry of the group must
 * be exactly what the format makes for the group.
 */
static PTK_ALWAYS_INLINE int PTK_NS(check_group)(const struct ptk_fmt *f,
						 unsigned int l,
						 const void *tbl, uint64_t j)
{
	unsigned int cl = ptkf_contig_lg2(f, l);
	unsigned int shift = ptkf_shift(f, l);
	uint64_t g0 = j & ~ptk_lg2_mask(cl);
	ptk_pte_t pte = PTK_NS(ld)(f, tbl, g0);
	struct ptk_attrs attrs;
	ptk_pte_t bits, first, ad;
	uint64_t k;

	if (ptkf_classify(f, l, pte) != PTK_ENTRY_LEAF ||
	    !ptkf_is_contig(f, l, pte))
		return PTK_ECORRUPT;
	if (j != g0)
		return 0;
	ptkf_decode(f, l, pte, &attrs);
	if (ptkf_encode(f, l, &attrs, 0, &bits))
		return PTK_ECORRUPT;
	first = ptkf_make_leaf(
		f, l, ptkf_leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift + cl),
		bits);
	/* Accessed/dirty state may differ between entries (see ad_bits). */
	ad = PTK_NS(ad_bits)(f, l);
	for (k = 0; k < ((uint64_t)1 << cl); k++)
		if ((PTK_NS(ld)(f, tbl, g0 + k) ^
		     ptkf_contig_entry(f, l, first, (unsigned int)k)) &
		    ~ad)
			return PTK_ECORRUPT;
	return 0;
}

PTK_BODY PTK_NS(check_body)(unsigned int l, struct PTK_NS(check_ctx) * c,
			    const void *tbl, ptk_va_t va)
{
	const struct ptk_table *t = c->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int top = ptkf_levels(f) - 1;
	unsigned int shift = ptkf_shift(f, l);
	uint64_t n = (uint64_t)1 << ptkf_bits(f, l);
	bool nonempty = false;
	uint64_t j;
	int rc;

	for (j = 0; j < n; j++) {
		ptk_pte_t pte = PTK_NS(ld)(f, tbl, j);
		ptk_va_t e_va = l == top ? PTK_NS(top_va)(f, j)
					 : va + (j << shift);

		switch (ptkf_classify(f, l, pte)) {
		case PTK_ENTRY_EMPTY:
			continue;
		case PTK_ENTRY_LEAF:
			nonempty = true;
			c->out->leaves[l]++;
			if (ptkf_leaf_oa(f, l, pte) & ptk_lg2_mask(shift))
				return PTK_NS(check_fail)(c, l, e_va,
							  "misaligned leaf");
			if (ptkf_contig_lg2(f, l) &&
			    ptkf_is_contig(f, l, pte)) {
				rc = PTK_NS(check_group)(f, l, tbl, j);
				if (rc)
					return PTK_NS(check_fail)(c, l, e_va,
								  "broken "
								  "contiguous "
								  "group");
			}
			continue;
		case PTK_ENTRY_TABLE: {
			unsigned int clg2;
			ptk_oa_t coa = ptkf_table_oa(f, l, pte);
			const void *child;

			nonempty = true;
			if (l == 0)
				return PTK_NS(check_fail)(c, l, e_va,
							  "table at level 0");
			clg2 = PTK_NS(tbl_lg2)(f, l - 1);
			if (coa & ptk_lg2_mask(clg2))
				return PTK_NS(check_fail)(c, l, e_va,
							  "misaligned table");
			/* The checked path: the tree may be corrupt. */
			child = ptk_table__ptr(t, coa, clg2);
			if (!child)
				return PTK_NS(check_fail)(c, l, e_va,
							  "table not "
							  "addressable");
			c->out->tables[l - 1]++;
			c->sum += ptk_oa_mix(coa);
			rc = PTK_NS(check_at)(l - 1, c, child, e_va);
			if (rc)
				return rc;
			continue;
		}
		default:
			return PTK_NS(check_fail)(c, l, e_va, "invalid entry");
		}
	}
	/* (Shared tables keep empty tables other writers may be using.) */
	if (!nonempty && l != top && c->owned && !ptk_table__shared(c->t))
		return PTK_NS(check_fail)(c, l, va, "empty table");
	return 0;
}

PTK_LEVELS_DEFINE(check,
		  (struct PTK_NS(check_ctx) * c, const void *tbl, ptk_va_t va),
		  (c, tbl, va))

static int PTK_NS(check)(struct ptk_check *out, const struct ptk_table *t)
{
	const struct ptk_fmt *f = t->fmt;
	struct PTK_NS(check_ctx) c;
	unsigned int l;
	int rc;

	c.t = t;
	c.out = out;
	c.owned = !(t->flags & PTK_TABLE__ATTACHED);
	c.sum = 0;
	rc = PTK_NS(check_at)(ptkf_levels(f) - 1, &c, t->root, 0);
	if (rc)
		return rc;
	if (!c.owned)
		return 0;
	for (l = 0; l < ptkf_levels(f); l++) {
		if (out->tables[l] != t->nr_tables[l]) {
			out->bad_level = (int)l;
			out->bad_va = 0;
			out->what = "table count differs from allocations";
			return PTK_ECORRUPT;
		}
	}
	if (c.sum != t->tables_sum) {
		out->bad_va = 0;
		out->what = "a table is reached twice or one is orphaned";
		return PTK_ECORRUPT;
	}
	return 0;
}

#include "algo/range_ops.h"
#include "algo/iter.h"
