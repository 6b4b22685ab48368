/* SPDX-License-Identifier: MIT */
/*
 * protect: rewrite the protection of the leaves of a range in place. Also
 * the protection rewriting that copy-on-write shares (struct reprot).
 */

/**
 * struct PTK_NS(reprot) - How leaves get their new protection
 * @pmask: Per level, the entry bits that carry the protection: every bit
 *         that differs between the encodings of any two prots. Rewriting
 *         only these keeps every other bit of an entry exactly, including
 *         bits ptkit does not model.
 * @kmask: Per level, the bits the new protection bits depend on: @pmask
 *         for a format with PTK_FMT_PROT_SEPARATE, else everything but
 *         the output address
 * @key: Per level, the last entry bits (under @kmask) rewritten...
 * @val: ...and the protection bits they got
 * @ok: @key and @val are set
 * @prot: protect: the new protection
 * @cow: copy-on-write: a leaf's new protection is its own minus WRITE
 * @enc: Flags for the format's encode hook (PTK_ENC_SUPERSET)
 * @sure: Every valid leaf's rewrite encodes (decided once, before any
 *        pass, for formats with PTK_FMT_PROT_SEPARATE): a check pass need
 *        not look at whole leaves
 */
struct PTK_NS(reprot) {
	ptk_pte_t pmask[PTK_MAX_LEVELS];
	ptk_pte_t kmask[PTK_MAX_LEVELS];
	ptk_pte_t key[PTK_MAX_LEVELS];
	ptk_pte_t val[PTK_MAX_LEVELS];
	bool ok[PTK_MAX_LEVELS];
	uint32_t prot;
	bool cow;
	unsigned int enc;
	bool sure;
};

/* Whether the format says a leaf's protection is separate from the rest. */
static PTK_ALWAYS_INLINE bool PTK_NS(prot_separate)(const struct ptk_fmt *f)
{
	return (ptkf_features(f) & PTK_FMT_PROT_SEPARATE) != 0;
}

/*
 * A valid leaf at level @l (its attributes), the reference against
 * which a format with PTK_FMT_PROT_SEPARATE is asked what a new
 * protection encodes to. Returns false if the format encodes nothing
 * there.
 */
static PTK_ALWAYS_INLINE bool
PTK_NS(ref_leaf)(const struct ptk_fmt *f, unsigned int l, struct ptk_attrs *a)
{
	ptk_pte_t bits;

	PTK_MEMSET(a, 0, sizeof(*a));
	a->prot = PTK_PROT_READ;
	if (ptkf_encode(f, l, a, PTK_ENC_SUPERSET, &bits))
		return false;
	ptkf_decode(f, l, ptkf_make_leaf(f, l, 0, bits), a);
	return true;
}

/*
 * Copy-on-write at level @l of a format with a separate protection, @ref
 * a valid leaf there: every protection a leaf can have must encode
 * without WRITE (else the check pass looks at every leaf). And when
 * taking WRITE away is the same bit change for every one of them (x86:
 * clear R/W; Arm: set AP[2]), say so in @rp as one rewrite for every
 * leaf, which needs no look-up per entry.
 */
static void PTK_NS(cow_delta)(const struct ptk_fmt *f, unsigned int l,
			      struct PTK_NS(reprot) * rp, struct ptk_attrs *ref)
{
	ptk_pte_t pm = rp->pmask[l], bw = 0, br = 0, clr, set, b, nb;
	bool uniform = true;
	uint32_t p;

	ref->prot = PTK_PROT_READ | PTK_PROT_WRITE;
	if (ptkf_encode(f, l, ref, 0, &bw))
		uniform = false;
	ref->prot = PTK_PROT_READ;
	if (ptkf_encode(f, l, ref, 0, &br))
		uniform = false;
	clr = (bw & ~br) & pm;
	set = (br & ~bw) & pm;
	for (p = 0; p < 16; p++) {
		ref->prot = p;
		if (ptkf_encode(f, l, ref, 0, &b))
			continue; /* no leaf has it */
		ref->prot = p & ~(uint32_t)PTK_PROT_WRITE;
		if (ptkf_encode(f, l, ref, 0, &nb)) {
			rp->sure = false;
			return;
		}
		if (((((b & ~clr) | set) ^ nb) & pm) != 0)
			uniform = false;
	}
	if (!uniform)
		return;
	rp->pmask[l] = clr | set;
	rp->kmask[l] = 0;
	rp->key[l] = 0;
	rp->val[l] = set;
	rp->ok[l] = true;
}

#define PTK_PROT_BITS_SET 0x80000000u /* struct ptk_table.prot_bits_have */

/*
 * The entry bits protections differ in, per leaf level of @t's format:
 * 17 encodes a level, the same for every call, so worked out at the
 * first and kept in the table (two writers of a shared table may both
 * work them out; they store the same values). Returns which levels have
 * them (bit l).
 */
static uint32_t PTK_NS(prot_bits)(struct ptk_table *t)
{
	uint32_t have = __atomic_load_n(&t->prot_bits_have, __ATOMIC_ACQUIRE);
	const struct ptk_fmt *f = t->fmt;
	unsigned int l;

	if (PTK_LIKELY(have & PTK_PROT_BITS_SET))
		return have;
	have = PTK_PROT_BITS_SET;
	for (l = 0; l < ptkf_levels(f); l++) {
		struct ptk_attrs a;
		ptk_pte_t b0, b, m = 0;
		uint32_t p;

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
		__atomic_store_n(&t->prot_bits[l], m & ~ptkf_leaf_oa_mask(f, l),
				 __ATOMIC_RELAXED);
		have |= 1u << l;
	}
	__atomic_store_n(&t->prot_bits_have, have, __ATOMIC_RELEASE);
	return have;
}

/*
 * Set up @rp for the levels of @t's format: the protection masks and,
 * for a separate protection, whether every rewrite encodes. Only the
 * levels whose entries fit in a range of @span + 1 bytes can hold a
 * whole leaf of it, the only kind rewritten (a leaf the range cuts is
 * split first): the others keep ok[l] false, the rewrite worked out at
 * the first leaf met (none is, in a range that small), and say nothing
 * of @rp->sure. A one-page protect so encodes one level, not four.
 */
static void PTK_NS(reprot_init)(struct ptk_table *t, struct PTK_NS(reprot) * rp,
				ptk_va_t span)
{
	const struct ptk_fmt *f = t->fmt;
	bool sep = PTK_NS(prot_separate)(f);
	uint32_t have = PTK_NS(prot_bits)(t);
	unsigned int l;

	rp->sure = sep;
	for (l = 0; l < ptkf_levels(f); l++) {
		struct ptk_attrs ref;
		ptk_pte_t b;

		rp->pmask[l] = 0;
		rp->kmask[l] = 0;
		rp->ok[l] = false;
		if (!(have & (1u << l)))
			continue;
		rp->pmask[l] =
			__atomic_load_n(&t->prot_bits[l], __ATOMIC_RELAXED);
		rp->kmask[l] = sep ? rp->pmask[l] : ~ptkf_leaf_oa_mask(f, l);
		if (!sep || ptk_lg2_mask(ptkf_shift(f, l)) > span ||
		    !PTK_NS(ref_leaf)(f, l, &ref))
			continue;
		if (!rp->cow) {
			/* One rewrite for every leaf of the level; if it does
			 * not encode, the check pass finds the first leaf it
			 * fails on (a range without leaves changes nothing). */
			ref.prot = rp->prot;
			if (ptkf_encode(f, l, &ref, rp->enc, &b)) {
				rp->sure = false;
				continue;
			}
			rp->key[l] = 0;
			rp->val[l] = b & rp->pmask[l];
			rp->ok[l] = true;
			rp->kmask[l] = 0; /* every key is the same */
			continue;
		}
		PTK_NS(cow_delta)(f, l, rp, &ref);
	}
}

/*
 * Leaf @e at level @l with its protection rewritten. Cached per level on
 * the entry's key bits, so a run of alike leaves costs one encode.
 */
static PTK_ALWAYS_INLINE int PTK_NS(reprot)(const struct ptk_fmt *f,
					    struct PTK_NS(reprot) * rp,
					    unsigned int l, ptk_pte_t e,
					    ptk_pte_t *out)
{
	ptk_pte_t key = e & rp->kmask[l];
	struct ptk_attrs a;
	ptk_pte_t nb;
	int rc;

	if (PTK_UNLIKELY(!rp->ok[l] || rp->key[l] != key)) {
		ptkf_decode(f, l, e, &a);
		a.prot = rp->cow ? (a.prot & ~(uint32_t)PTK_PROT_WRITE)
				 : rp->prot;
		rc = ptkf_encode(f, l, &a, rp->enc, &nb);
		if (rc)
			return rc;
		rp->key[l] = key;
		rp->val[l] = nb & rp->pmask[l];
		rp->ok[l] = true;
	}
	*out = (e & ~rp->pmask[l]) | rp->val[l];
	return 0;
}

/**
 * struct PTK_NS(prot_args) - What ptk_protect() asked for
 * @va: First address
 * @last: Last address
 * @flags: PTK_PROTECT_* flags
 * @rp: The rewrite
 */
struct PTK_NS(prot_args) {
	ptk_va_t va;
	ptk_va_t last;
	unsigned int flags;
	struct PTK_NS(reprot) rp;
};

/*
 * Check pass: every leaf of the run of whole entries from @c (leaves or
 * empty ones) must rewrite. The run ends at a table or malformed entry,
 * which the caller looks at next.
 */
static PTK_ALWAYS_INLINE int
PTK_NS(protect_check_run)(struct PTK_NS(mut) * m, struct PTK_NS(reprot) * rp,
			  unsigned int l, struct ptk_cur *c)
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
		rc = PTK_NS(reprot)(f, rp, l, e, &n);
		if (rc)
			return rc;
	}
	PTK_NS(cur_take)(c, f, l, k ? k : 1);
	return 0;
}

/*
 * Real pass: rewrite the leaves of the run of whole entries from @c
 * (leaves or empty ones), up to a table or malformed entry.
 */
static PTK_ALWAYS_INLINE void PTK_NS(protect_run)(struct PTK_NS(mut) * m,
						  struct PTK_NS(reprot) * rp,
						  unsigned int l,
						  struct ptk_cur *c)
{
	const struct ptk_fmt *f = m->t->fmt;
	uint64_t max = PTK_NS(cur_whole_room)(c, f, l), k;
	/* In locals: the stores below may alias anything to the compiler. */
	ptk_pte_t pmask = rp->pmask[l], val = rp->val[l];
	void *tbl = c->tbl;
	uint64_t idx = c->idx;
	struct ptk_changed ch = PTK_CHANGED_INIT;

	if (rp->ok[l] && !rp->kmask[l]) {
		/* One rewrite for every leaf (a separate protection). */
		for (k = 0; k < max; k++) {
			ptk_pte_t e = PTK_NS(ld)(f, tbl, idx + k), n;
			enum ptk_entry_type ty = ptkf_classify(f, l, e);

			if (ty != PTK_ENTRY_LEAF) {
				if (ty == PTK_ENTRY_EMPTY)
					continue;
				break;
			}
			n = (e & ~pmask) | val;
			if (n != e) {
				PTK_NS(st)(f, tbl, idx + k, n);
				ptk_changed_add(&ch, k);
			}
		}
	} else {
		for (k = 0; k < max; k++) {
			ptk_pte_t e = PTK_NS(ld)(f, tbl, idx + k), n;
			enum ptk_entry_type ty = ptkf_classify(f, l, e);

			if (ty != PTK_ENTRY_LEAF) {
				if (ty == PTK_ENTRY_EMPTY)
					continue;
				break;
			}
			/* The check pass saw that it encodes. */
			n = e;
			(void)PTK_NS(reprot)(f, rp, l, e, &n);
			if (n != e) {
				PTK_NS(st)(f, tbl, idx + k, n);
				ptk_changed_add(&ch, k);
			}
		}
	}
	PTK_NS(gather_changed)(m, c, l, &ch);
	PTK_NS(cur_take)(c, f, l, k ? k : 1);
}

/*
 * Check pass: whole entries can fail only without a sure rewrite or in a
 * table ptkit did not write; else only the range's edges are looked at.
 */
static PTK_ALWAYS_INLINE bool
PTK_NS(prot_edges)(const struct PTK_NS(mut) * m,
		   const struct PTK_NS(prot_args) * pa)
{
	return m->check && pa->rp.sure && PTK_NS(trusted)(m->t);
}

PTK_LEVELS_DECLARE(prot,
		   (struct PTK_NS(mut) * m, struct PTK_NS(prot_args) * pa,
		    void *tbl, ptk_va_t va, ptk_va_t last),
		   (m, pa, tbl, va, last))

PTK_BODY PTK_NS(prot_body)(unsigned int l, struct PTK_NS(mut) * m,
			   struct PTK_NS(prot_args) * pa, void *tbl,
			   ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *t = m->t;
	const struct ptk_fmt *f = t->fmt;
	bool split_ok = pa->flags & PTK_PROTECT_SPLIT;
	bool edges = PTK_NS(prot_edges)(m, pa);
	struct ptk_cur c;
	ptk_pte_t n;
	int rc;

	if (ptkf_contig_lg2(f, l)) {
		rc = PTK_NS(fix_groups)(m, l, tbl, va, last, split_ok,
					PTK_ESPLIT);
		if (rc)
			return rc;
	}
	PTK_NS(cur_start)(&c, f, l, tbl, va, last, PTK_ENTRY_LEAF);
	do {
		switch (PTK_NS(cur_type)(&c, l)) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_LEAF:
			if (!c.whole) {
				if (!split_ok)
					return PTK_ESPLIT;
				if (m->check) {
					rc = PTK_NS(check_split)(m, l, &c,
								 false);
					if (!rc)
						rc = PTK_NS(prot_at)(l - 1, m,
								     pa, NULL,
								     c.a, c.b);
					if (rc)
						return rc;
				} else {
					void *child = PTK_NS(
						split_leaf)(m, l, &c, false);

					PTK_NS(prot_at)
					(l - 1, m, pa, child, c.a, c.b);
				}
				break;
			}
			if (c.tbl) {
				if (!m->check) {
					PTK_NS(protect_run)(m, &pa->rp, l, &c);
				} else if (!edges) {
					rc = PTK_NS(protect_check_run)(
						m, &pa->rp, l, &c);
					if (rc)
						return rc;
				}
				break;
			}
			/* A leaf of a split in the check pass. */
			rc = PTK_NS(vleaf)(m, l, c.e_va, &n);
			if (!rc)
				rc = PTK_NS(reprot)(f, &pa->rp, l, n, &n);
			if (rc)
				return rc;
			break;
		case PTK_ENTRY_TABLE: {
			void *child;

			if (edges && c.whole)
				break; /* nothing below can fail */
			child = PTK_NS(cur_child)(&c, t, l);
			if (PTK_UNLIKELY(!child))
				return PTK_ECORRUPT;
			rc = PTK_NS(prot_at)(l - 1, m, pa, child, c.a, c.b);
			if (rc)
				return rc;
			break;
		}
		default:
			return PTK_ECORRUPT;
		}
	} while (PTK_NS(cur_next_checked)(&c, f, l, edges));
	return 0;
}

PTK_LEVELS_DEFINE(prot,
		  (struct PTK_NS(mut) * m, struct PTK_NS(prot_args) * pa,
		   void *tbl, ptk_va_t va, ptk_va_t last),
		  (m, pa, tbl, va, last))

static int PTK_NS(prot_pass)(struct PTK_NS(mut) * m, void *arg)
{
	struct PTK_NS(prot_args) *pa = arg;

	/* Check pass of a range inside one leaf table without groups, where
	 * only the edges can fail: every entry is whole, nothing to look at
	 * and no table to make. */
	if (PTK_NS(prot_edges)(m, pa) && m->l0 == 0 &&
	    !ptkf_contig_lg2(m->t->fmt, 0))
		return 0;
	return PTK_NS(prot_at)(m->l0, m, pa, m->path[m->l0], pa->va, pa->last);
}

static int PTK_NS(protect)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
			   uint32_t prot, unsigned int flags,
			   struct ptk_gather *g)
{
	struct PTK_NS(prot_args) pa;
	struct ptk_range r = { va, last };

	PTK_MEMSET(&pa, 0, sizeof(pa));
	pa.va = va;
	pa.last = last;
	pa.flags = flags;
	pa.rp.prot = prot;
	pa.rp.enc = (flags & PTK_PROTECT_SUPERSET) ? PTK_ENC_SUPERSET : 0;
	PTK_NS(reprot_init)(t, &pa.rp, last - va);
	return PTK_NS(mutate)(t, g, PTK_NS(prot_pass), NULL, &pa, &r);
}
