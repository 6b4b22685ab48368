// SPDX-License-Identifier: MIT
/*
 * The reference model; see ref_model.h.
 */
#include "ref_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "ref_model: out of memory\n");
		abort();
	}
	return p;
}

#define RM_BUG_ON(c)                                                   \
	do {                                                           \
		if (c) {                                               \
			fprintf(stderr, "ref_model: %s:%d: BUG: %s\n", \
				__FILE__, __LINE__, #c);               \
			abort();                                       \
		}                                                      \
	} while (0)

void rm_geom_from_fmt(struct rm_geom *g, const struct ptk_fmt *f)
{
	unsigned int l;

	memset(g, 0, sizeof(*g));
	g->levels = f->levels;
	for (l = 0; l < f->levels; l++) {
		g->shift[l] = f->level_shift[l];
		g->bits[l] = f->level_bits[l];
	}
	g->leaf_levels = f->leaf_levels;
	for (l = 0; l < f->levels; l++) {
		unsigned int b = f->leaf_oa_bits[l] ? f->leaf_oa_bits[l]
						    : f->oa_bits;

		g->leaf_oa_lim[l] = b >= 64 ? 0 : UINT64_C(1) << b;
	}
}

void rm_init(struct ref_model *m, const struct rm_geom *g)
{
	memset(m, 0, sizeof(*m));
	m->g = *g;
}

void rm_fini(struct ref_model *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

void rm_clear(struct ref_model *m)
{
	m->n = 0;
	memset(m->leaves, 0, sizeof(m->leaves));
}

void rm_ranges_add(struct rm_ranges *r, uint64_t va, uint64_t last)
{
	if (!r)
		return;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n].va = va;
	r->v[r->n].last = last;
	r->n++;
}

void rm_ranges_free(struct rm_ranges *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

size_t rm_lower(const struct ref_model *m, uint64_t va)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rm_leaf_last(&m->v[mid]) < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct rm_leaf *rm_lookup(const struct ref_model *m, uint64_t va)
{
	size_t i = rm_lower(m, va);

	if (i < m->n && m->v[i].va <= va)
		return &m->v[i];
	return NULL;
}

bool rm_overlaps(const struct ref_model *m, uint64_t va, uint64_t last)
{
	size_t i = rm_lower(m, va);

	return i < m->n && m->v[i].va <= last;
}

/* Replace m->v[at, at + nr_old) by add[0, nr_add). */
static void rm_splice(struct ref_model *m, size_t at, size_t nr_old,
		      const struct rm_leaf *add, size_t nr_add)
{
	size_t i, tail = m->n - at - nr_old;

	RM_BUG_ON(at + nr_old > m->n);
	for (i = at; i < at + nr_old; i++)
		m->leaves[m->v[i].level]--;
	if (m->n - nr_old + nr_add > m->cap) {
		m->cap = 2 * (m->n - nr_old + nr_add) + 64;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	if (tail)
		memmove(&m->v[at + nr_add], &m->v[at + nr_old],
			tail * sizeof(*m->v));
	if (nr_add)
		memcpy(&m->v[at], add, nr_add * sizeof(*add));
	m->n = m->n - nr_old + nr_add;
	for (i = 0; i < nr_add; i++)
		m->leaves[add[i].level]++;
}

/*
 * Make sure no leaf crosses the boundary at @addr (a leaf starting at
 * @addr is fine): split the leaf that does, one level at a time, only
 * ever splitting the child that still crosses.
 */
static int rm_split_at(struct ref_model *m, uint64_t addr)
{
	struct rm_leaf *kids = NULL;
	size_t cap = 0;
	int rc = 0;

	for (;;) {
		size_t i = rm_lower(m, addr), nr, k;
		struct rm_leaf l;
		unsigned int cl;

		if (i == m->n || m->v[i].va >= addr)
			break;
		l = m->v[i];
		RM_BUG_ON(l.level == 0);
		cl = l.level - 1;
		RM_BUG_ON(!(m->g.leaf_levels & (1u << cl)));
		nr = (size_t)1 << (m->g.shift[l.level] - m->g.shift[cl]);
		if (nr > cap) {
			cap = nr;
			kids = xrealloc(kids, cap * sizeof(*kids));
		}
		for (k = 0; k < nr; k++) {
			uint64_t off = (uint64_t)k << m->g.shift[cl];

			kids[k] = l;
			kids[k].va = l.va + off;
			kids[k].oa = l.oa + off;
			kids[k].level = (uint8_t)cl;
			kids[k].size_lg2 = (uint8_t)m->g.shift[cl];
		}
		if (m->g.leaf_oa_lim[cl] &&
		    kids[nr - 1].oa + ((UINT64_C(1) << m->g.shift[cl]) - 1) >=
			    m->g.leaf_oa_lim[cl])
			rc = PTK_ERANGE;
		rm_splice(m, i, 1, kids, nr);
	}
	free(kids);
	return rc;
}

/* Split at both ends of [va, last]; the first error (still splits). */
static int rm_split_ends(struct ref_model *m, uint64_t va, uint64_t last)
{
	int rc = rm_split_at(m, va), rc2 = 0;

	if (last != UINT64_MAX)
		rc2 = rm_split_at(m, last + 1);
	return rc ? rc : rc2;
}

/* A copy of the leaves, to undo a failed operation with. */
struct rm_saved {
	struct rm_leaf *v;
	size_t n;
	uint64_t leaves[PTK_MAX_LEVELS];
};

static void rm_save(const struct ref_model *m, struct rm_saved *sv)
{
	sv->v = xrealloc(NULL, (m->n + 1) * sizeof(*sv->v));
	if (m->n)
		memcpy(sv->v, m->v, m->n * sizeof(*sv->v));
	sv->n = m->n;
	memcpy(sv->leaves, m->leaves, sizeof(sv->leaves));
}

static void rm_restore(struct ref_model *m, struct rm_saved *sv)
{
	if (sv->n > m->cap) {
		m->cap = sv->n;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	if (sv->n)
		memcpy(m->v, sv->v, sv->n * sizeof(*sv->v));
	m->n = sv->n;
	memcpy(m->leaves, sv->leaves, sizeof(sv->leaves));
	free(sv->v);
	sv->v = NULL;
}

/* Whether a leaf of a level below @level lies inside [va, last]. */
static bool rm_has_smaller(const struct ref_model *m, uint64_t va,
			   uint64_t last, unsigned int level)
{
	size_t i;

	for (i = rm_lower(m, va); i < m->n && m->v[i].va <= last; i++)
		if (m->v[i].level < level)
			return true;
	return false;
}

/* Remove every leaf inside [va, last]; none may cross its ends. */
static size_t rm_remove(struct ref_model *m, uint64_t va, uint64_t last,
			const struct rm_leaf *add, size_t nr_add,
			struct rm_ranges *changed)
{
	size_t i0 = rm_lower(m, va), i1;

	for (i1 = i0; i1 < m->n && m->v[i1].va <= last; i1++) {
		RM_BUG_ON(m->v[i1].va < va);
		RM_BUG_ON(rm_leaf_last(&m->v[i1]) > last);
		rm_ranges_add(changed, m->v[i1].va, rm_leaf_last(&m->v[i1]));
	}
	rm_splice(m, i0, i1 - i0, add, nr_add);
	return i1 - i0;
}

/*
 * Whether the leaves a (non-replacing) map into an empty range would make
 * include one that cannot hold its OA.
 */
static bool rm_plan_oa_bad(const struct ref_model *m, uint64_t va,
			   uint64_t last, uint64_t oa, unsigned int max_lg2)
{
	uint64_t pos = va, o = oa;

	for (;;) {
		uint64_t rem = last - pos, mask = 0, lim;
		int lvl;

		for (lvl = (int)m->g.levels - 1; lvl >= 0; lvl--) {
			unsigned int s = m->g.shift[lvl];

			if (!(m->g.leaf_levels & (1u << lvl)))
				continue;
			if (max_lg2 && s > max_lg2)
				continue;
			mask = (UINT64_C(1) << s) - 1;
			if ((pos & mask) || (o & mask) || rem < mask)
				continue;
			break;
		}
		lim = m->g.leaf_oa_lim[lvl];
		if (lim && o + mask >= lim)
			return true;
		if (pos + mask == last)
			return false;
		pos += mask + 1;
		o += mask + 1;
	}
}

int rm_map(struct ref_model *m, uint64_t va, uint64_t last, uint64_t oa,
	   const struct ptk_attrs *attrs, bool replace, unsigned int max_lg2,
	   struct rm_ranges *changed)
{
	struct rm_leaf *add = NULL;
	size_t nr = 0, cap = 0;
	uint64_t pos = va, o = oa;
	struct rm_saved sv = { 0 };

	RM_BUG_ON(last < va);
	m->alt_rc = 0;
	if (!replace) {
		if (rm_overlaps(m, va, last)) {
			if (rm_plan_oa_bad(m, va, last, oa, max_lg2))
				m->alt_rc = PTK_ERANGE;
			return PTK_EEXIST;
		}
	} else {
		rm_save(m, &sv);
		if (rm_split_ends(m, va, last)) {
			rm_restore(m, &sv);
			return PTK_ERANGE;
		}
	}

	for (;;) {
		uint64_t rem = last - pos, mask = 0;
		int lvl;

		for (lvl = (int)m->g.levels - 1; lvl >= 0; lvl--) {
			unsigned int s = m->g.shift[lvl];

			if (!(m->g.leaf_levels & (1u << lvl)))
				continue;
			if (max_lg2 && s > max_lg2)
				continue;
			mask = (UINT64_C(1) << s) - 1;
			if ((pos & mask) || (o & mask) || rem < mask)
				continue;
			if (replace && lvl > 0 &&
			    rm_has_smaller(m, pos, pos + mask, (unsigned)lvl))
				continue;
			break;
		}
		RM_BUG_ON(lvl < 0);
		if (nr == cap) {
			cap = cap ? 2 * cap : 64;
			add = xrealloc(add, cap * sizeof(*add));
		}
		add[nr].va = pos;
		add[nr].oa = o;
		add[nr].attrs = *attrs;
		add[nr].level = (uint8_t)lvl;
		add[nr].size_lg2 = (uint8_t)m->g.shift[lvl];
		nr++;
		if (pos + mask == last)
			break;
		pos += mask + 1;
		o += mask + 1;
	}

	for (size_t i = 0; i < nr; i++) {
		uint64_t lim = m->g.leaf_oa_lim[add[i].level];

		if (lim &&
		    rm_leaf_last(&add[i]) - add[i].va + add[i].oa >= lim) {
			free(add);
			if (replace)
				rm_restore(m, &sv);
			return PTK_ERANGE;
		}
	}
	rm_remove(m, va, last, add, nr, replace ? changed : NULL);
	free(add);
	free(sv.v);
	return 0;
}

int rm_unmap(struct ref_model *m, uint64_t va, uint64_t last, bool split,
	     struct rm_ranges *changed)
{
	const struct rm_leaf *l;

	RM_BUG_ON(last < va);
	if (!split) {
		l = rm_lookup(m, va);
		if (l && l->va < va)
			return PTK_ESPLIT;
		l = rm_lookup(m, last);
		if (l && rm_leaf_last(l) > last)
			return PTK_ESPLIT;
	} else {
		struct rm_saved sv;

		rm_save(m, &sv);
		if (rm_split_ends(m, va, last)) {
			rm_restore(m, &sv);
			return PTK_ERANGE;
		}
		free(sv.v);
	}
	rm_remove(m, va, last, NULL, 0, changed);
	return 0;
}

void rm_table_counts(const struct ref_model *m, uint64_t out[PTK_MAX_LEVELS])
{
	uint64_t prev[PTK_MAX_LEVELS] = { 0 };
	bool seen[PTK_MAX_LEVELS] = { false };
	unsigned int top = m->g.levels - 1, l;
	size_t i;

	memset(out, 0, PTK_MAX_LEVELS * sizeof(*out));
	for (i = 0; i < m->n; i++) {
		for (l = m->v[i].level; l < top; l++) {
			uint64_t r = m->v[i].va >> m->g.shift[l + 1];

			if (!seen[l] || prev[l] != r) {
				out[l]++;
				seen[l] = true;
				prev[l] = r;
			}
		}
	}
}

void rm_copy_model(struct ref_model *dst, const struct ref_model *src)
{
	if (src->n > dst->cap) {
		dst->cap = src->n + 64;
		dst->v = xrealloc(dst->v, dst->cap * sizeof(*dst->v));
	}
	if (src->n)
		memcpy(dst->v, src->v, src->n * sizeof(*src->v));
	dst->n = src->n;
	dst->g = src->g;
	memcpy(dst->leaves, src->leaves, sizeof(dst->leaves));
}

void rm_runs_free(struct rm_runs *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void rm_runs_add(struct rm_runs *r, uint64_t va, uint64_t last,
			unsigned int found)
{
	if (r->n && r->v[r->n - 1].found == found &&
	    r->v[r->n - 1].last + 1 == va) {
		r->v[r->n - 1].last = last;
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n].va = va;
	r->v[r->n].last = last;
	r->v[r->n].found = found;
	r->n++;
}

/* Whether a leaf crosses the boundary at @addr. */
static bool rm_cuts(const struct ref_model *m, uint64_t addr)
{
	const struct rm_leaf *l = rm_lookup(m, addr);

	return l && l->va < addr;
}

static bool rm_cuts_ends(const struct ref_model *m, uint64_t va, uint64_t last)
{
	return rm_cuts(m, va) || (last != UINT64_MAX && rm_cuts(m, last + 1));
}

int rm_reattr(struct ref_model *m, uint64_t va, uint64_t last, bool split,
	      rm_reattr_fn fn, void *arg)
{
	int esplit = 0, eenc = 0;
	size_t i;

	m->alt_rc = 0;
	if (!split && rm_cuts_ends(m, va, last))
		esplit = PTK_ESPLIT;
	for (i = rm_lower(m, va); i < m->n && m->v[i].va <= last; i++) {
		struct ptk_attrs a = m->v[i].attrs;
		int rc = fn(arg, m->v[i].level, &a);

		if (rc) {
			eenc = rc;
			break;
		}
	}
	if (eenc && split) {
		/* splitting may fail first (a child cannot hold its OA) */
		struct rm_saved sv;

		rm_save(m, &sv);
		if (rm_split_ends(m, va, last))
			m->alt_rc = PTK_ERANGE;
		rm_restore(m, &sv);
	}
	if (esplit || eenc) {
		if (esplit && eenc)
			m->alt_rc = eenc;
		return esplit ? esplit : eenc;
	}
	if (split) {
		struct rm_saved sv;

		rm_save(m, &sv);
		if (rm_split_ends(m, va, last)) {
			rm_restore(m, &sv);
			return PTK_ERANGE;
		}
		free(sv.v);
	}
	for (i = rm_lower(m, va); i < m->n && m->v[i].va <= last; i++)
		(void)fn(arg, m->v[i].level, &m->v[i].attrs);
	return 0;
}

void rm_harvest(struct ref_model *m, uint64_t va, uint64_t last,
		unsigned int what, bool clear, uint64_t clr_va,
		uint64_t clr_last, struct rm_runs *runs)
{
	size_t i;

	runs->n = 0;
	for (i = rm_lower(m, va); i < m->n && m->v[i].va <= last; i++) {
		const struct rm_leaf *l = &m->v[i];
		unsigned int found = l->attrs.flags & what;
		uint64_t lo = l->va < va ? va : l->va;
		uint64_t hi = rm_leaf_last(l) > last ? last : rm_leaf_last(l);

		if (!found) {
			/* breaks a run: a sentinel the next add won't join */
			if (runs->n)
				runs->v[runs->n - 1].found |= 0x80000000u;
			continue;
		}
		rm_runs_add(runs, lo, hi, found);
	}
	for (i = 0; i < runs->n; i++)
		runs->v[i].found &= ~0x80000000u;
	if (!clear)
		return;
	for (i = rm_lower(m, clr_va); i < m->n && m->v[i].va <= clr_last; i++)
		m->v[i].attrs.flags &= ~what;
}

/* Whether any page of [va, last] is mapped in both @a and @b (shifted). */
static bool rm_conflict(const struct ref_model *a, uint64_t va, uint64_t last,
			const struct ref_model *b, uint64_t delta)
{
	size_t i;

	for (i = rm_lower(a, va); i < a->n && a->v[i].va <= last; i++) {
		uint64_t lo = a->v[i].va < va ? va : a->v[i].va;
		uint64_t hi = rm_leaf_last(&a->v[i]) > last
				      ? last
				      : rm_leaf_last(&a->v[i]);

		if (rm_overlaps(b, lo + delta, hi + delta))
			return true;
	}
	return false;
}

int rm_copy_check(const struct ref_model *dst, const struct ref_model *src,
		  uint64_t va, uint64_t last, bool cow, bool *maybe_eexist,
		  int *alt)
{
	bool cut = cow && rm_cuts_ends(src, va, last);

	*maybe_eexist = rm_overlaps(dst, va, last);
	*alt = 0;
	if (rm_conflict(src, va, last, dst, 0)) {
		if (cut)
			*alt = PTK_ESPLIT; /* either may be found first */
		return PTK_EEXIST;
	}
	return cut ? PTK_ESPLIT : 0;
}

int rm_copy_apply(struct ref_model *dst, struct ref_model *src, uint64_t va,
		  uint64_t last, rm_reattr_fn fn, void *arg)
{
	size_t i;

	for (i = rm_lower(src, va); i < src->n && src->v[i].va <= last; i++) {
		struct rm_leaf *l = &src->v[i];
		uint64_t lo = l->va < va ? va : l->va;
		uint64_t hi = rm_leaf_last(l) > last ? last : rm_leaf_last(l);
		int rc;

		if (fn)
			(void)fn(arg, l->level, &l->attrs);
		rc = rm_map(dst, lo, hi, l->oa + (lo - l->va), &l->attrs, false,
			    0, NULL);
		RM_BUG_ON(rc && rc != PTK_ERANGE);
		if (rc)
			return rc;
	}
	return 0;
}

int rm_move_check(const struct ref_model *m, uint64_t va, uint64_t last,
		  uint64_t delta, bool split, bool *maybe_eexist, int *alt)
{
	bool cut = !split && rm_cuts_ends(m, va, last);

	*maybe_eexist = rm_overlaps(m, va + delta, last + delta);
	*alt = 0;
	if (rm_conflict(m, va, last, m, delta)) {
		/* either may be found first */
		if (cut)
			*alt = PTK_ESPLIT;
		return PTK_EEXIST;
	}
	if (cut)
		return PTK_ESPLIT;
	return 0;
}

static bool attrs_same(const struct ptk_attrs *a, const struct ptk_attrs *b)
{
	return a->prot == b->prot && a->flags == b->flags &&
	       a->memtype == b->memtype && a->sw == b->sw;
}

/* The start of the relinked table span holding @va, or 1 if none. */
static uint64_t rm_relinked(const struct ref_model *m, uint64_t va,
			    uint64_t last, uint64_t delta, uint64_t x,
			    unsigned int *lvl_out)
{
	unsigned int top = m->g.levels - 1, L;

	for (L = top - 1; L >= 1 && L < top; L--) {
		uint64_t mask = (UINT64_C(1) << m->g.shift[L]) - 1;
		uint64_t s = x & ~mask;
		size_t i;

		if (delta & mask)
			continue;
		if (s < va || (s | mask) > last)
			continue;
		/* a table there: some leaf below level L in the span */
		for (i = rm_lower(m, s); i < m->n && m->v[i].va <= (s | mask);
		     i++)
			if (m->v[i].level < L)
				break;
		if (i < m->n && m->v[i].va <= (s | mask)) {
			*lvl_out = L;
			return s;
		}
	}
	return 1;
}

int rm_move_apply(struct ref_model *m, uint64_t va, uint64_t last,
		  uint64_t delta, bool split)
{
	struct rm_leaf *pieces = NULL, *keep = NULL;
	size_t np = 0, nk = 0, cap = 0, kcap = 0, i;
	int rc = 0;

	/* plan from the old state */
	for (i = rm_lower(m, va); i < m->n && m->v[i].va <= last; i++) {
		const struct rm_leaf *l = &m->v[i];
		uint64_t lo = l->va < va ? va : l->va;
		uint64_t hi = rm_leaf_last(l) > last ? last : rm_leaf_last(l);
		unsigned int rl;
		struct rm_leaf p = *l;

		if (rm_relinked(m, va, last, delta, l->va, &rl) != 1) {
			if (nk == kcap) {
				kcap = kcap ? 2 * kcap : 64;
				keep = xrealloc(keep, kcap * sizeof(*keep));
			}
			keep[nk] = *l;
			keep[nk++].va += delta;
			continue;
		}
		p.va = lo;
		p.oa = l->oa + (lo - l->va);
		/* p.size_lg2 unused; last kept in .size_lg2-free form: */
		if (np == cap) {
			cap = cap ? 2 * cap : 64;
			pieces = xrealloc(pieces, 2 * cap * sizeof(*pieces));
		}
		/* whole leaves of one table join the previous run */
		if (np && lo == l->va && hi == rm_leaf_last(l) &&
		    pieces[2 * np - 2].level == l->level &&
		    pieces[2 * np - 2].size_lg2 == 1 &&
		    pieces[2 * np - 1].va + 1 == lo &&
		    pieces[2 * np - 1].oa + 1 == p.oa &&
		    attrs_same(&pieces[2 * np - 2].attrs, &l->attrs) &&
		    (l->level + 1 >= (int)m->g.levels ||
		     pieces[2 * np - 2].va >> m->g.shift[l->level + 1] ==
			     lo >> m->g.shift[l->level + 1])) {
			pieces[2 * np - 1].va = hi;
			pieces[2 * np - 1].oa = p.oa + (hi - lo);
			continue;
		}
		/* [2k] = first (size_lg2: 1 if whole leaves), [2k+1] = last */
		pieces[2 * np] = p;
		pieces[2 * np].size_lg2 =
			lo == l->va && hi == rm_leaf_last(l) ? 1 : 0;
		pieces[2 * np + 1].va = hi;
		pieces[2 * np + 1].oa = p.oa + (hi - lo);
		np++;
	}
	rc = rm_unmap(m, va, last, split, NULL);
	RM_BUG_ON(rc && rc != PTK_ERANGE);
	if (rc) {
		free(pieces);
		free(keep);
		return rc;
	}
	for (i = 0; i < nk; i++) {
		size_t at = rm_lower(m, keep[i].va);

		RM_BUG_ON(rm_overlaps(m, keep[i].va, rm_leaf_last(&keep[i])));
		rm_splice(m, at, 0, &keep[i], 1);
	}
	for (i = 0; i < np; i++) {
		/* leaves never grow (what the engine does: in a 2-level
		 * format, where no table is relinked, a table of small leaves
		 * moved to an aligned place stays small leaves) */
		rc = rm_map(m, pieces[2 * i].va + delta,
			    pieces[2 * i + 1].va + delta, pieces[2 * i].oa,
			    &pieces[2 * i].attrs, false,
			    m->g.shift[pieces[2 * i].level], NULL);
		RM_BUG_ON(rc && rc != PTK_ERANGE);
		if (rc)
			break;
	}
	free(pieces);
	free(keep);
	return rc;
}

int rm_split(struct ref_model *m, uint64_t va, unsigned int level, bool group)
{
	const struct rm_leaf *l = rm_lookup(m, va);
	struct rm_saved sv;
	uint64_t mid;

	if (!l || l->level != level)
		return PTK_ENOENT;
	if (group)
		return 0;
	if (level == 0)
		return PTK_ENOENT;
	rm_save(m, &sv);
	/* split exactly one level: cut at the second child boundary */
	mid = l->va + (UINT64_C(1) << m->g.shift[level - 1]);
	if (rm_split_at(m, mid)) {
		rm_restore(m, &sv);
		return PTK_ERANGE;
	}
	free(sv.v);
	return 0;
}

int rm_collapse(struct ref_model *m, uint64_t va, unsigned int level,
		rm_reattr_fn enc, void *arg)
{
	unsigned int top = m->g.levels - 1, lv;
	uint64_t mask, s, n, k;
	size_t i0, i;
	struct rm_leaf nl;
	struct ptk_attrs a;

	/* tables from the top down to the entry at @level */
	for (lv = top; lv > level; lv--) {
		const struct rm_leaf *l = rm_lookup(m, va);

		mask = (UINT64_C(1) << m->g.shift[lv]) - 1;
		s = va & ~mask;
		i = rm_lower(m, s);
		while (i < m->n && m->v[i].va <= (s | mask) &&
		       m->v[i].level >= lv)
			i++;
		if (!(i < m->n && m->v[i].va <= (s | mask)))
			return PTK_ENOENT; /* no table at lv */
		(void)l;
	}
	if (level == 0 || !(m->g.leaf_levels & (1u << level)))
		return PTK_ENOTSUP;
	mask = (UINT64_C(1) << m->g.shift[level]) - 1;
	s = va & ~mask;
	i0 = rm_lower(m, s);
	for (i = i0; i < m->n && m->v[i].va <= (s | mask); i++)
		if (m->v[i].level < level)
			break;
	if (!(i < m->n && m->v[i].va <= (s | mask)))
		return PTK_ENOENT; /* the entry is a leaf or empty */
	n = UINT64_C(1) << (m->g.shift[level] - m->g.shift[level - 1]);
	if (i0 + n > m->n)
		return PTK_ENOTUNIFORM;
	for (k = 0; k < n; k++) {
		const struct rm_leaf *l = &m->v[i0 + k];

		if (l->level != level - 1 ||
		    l->va != s + (k << m->g.shift[level - 1]) ||
		    l->oa != m->v[i0].oa + (k << m->g.shift[level - 1]) ||
		    !attrs_same(&l->attrs, &m->v[i0].attrs))
			return PTK_ENOTUNIFORM;
	}
	if (m->v[i0].oa & mask)
		return PTK_ENOTUNIFORM;
	a = m->v[i0].attrs;
	if (enc) {
		int rc = enc(arg, level, &a);

		if (rc)
			return rc;
	}
	nl = m->v[i0];
	nl.level = (uint8_t)level;
	nl.size_lg2 = (uint8_t)m->g.shift[level];
	nl.attrs = a;
	rm_splice(m, i0, n, &nl, 1);
	return 0;
}

/* The first leaf of @m from *@i on that ends at or after @x (rm_lower()
 * of @x, for @x increasing from where *@i was set), and that leaf if it
 * holds @x. */
static const struct rm_leaf *rm_at(const struct ref_model *m, size_t *i,
				   uint64_t x)
{
	while (*i < m->n && rm_leaf_last(&m->v[*i]) < x)
		(*i)++;
	return *i < m->n && m->v[*i].va <= x ? &m->v[*i] : NULL;
}

/* One pass over both arrays: each leaf in the window is looked at once. */
void rm_diff(const struct ref_model *a, const struct ref_model *b, uint64_t va,
	     uint64_t last, struct rm_ranges *out)
{
	size_t ia = rm_lower(a, va), ib = rm_lower(b, va);
	uint64_t x = va;

	out->n = 0;
	for (;;) {
		const struct rm_leaf *la = rm_at(a, &ia, x),
				     *lb = rm_at(b, &ib, x);
		uint64_t end = last;
		bool same;

		/* the next boundary of either */
		if (la && rm_leaf_last(la) < end)
			end = rm_leaf_last(la);
		if (lb && rm_leaf_last(lb) < end)
			end = rm_leaf_last(lb);
		if (!la && ia < a->n && a->v[ia].va - 1 < end)
			end = a->v[ia].va - 1;
		if (!lb && ib < b->n && b->v[ib].va - 1 < end)
			end = b->v[ib].va - 1;
		same = !la || (la && lb && la->oa - la->va == lb->oa - lb->va &&
			       attrs_same(&la->attrs, &lb->attrs));
		if (!same) {
			if (out->n && out->v[out->n - 1].last + 1 == x)
				out->v[out->n - 1].last = end;
			else
				rm_ranges_add(out, x, end);
		}
		if (end >= last)
			break;
		x = end + 1;
		/* skip long empty stretches quickly */
		if (!rm_at(a, &ia, x) && !rm_at(b, &ib, x)) {
			uint64_t na = ia < a->n ? a->v[ia].va : UINT64_MAX;
			uint64_t nb = ib < b->n ? b->v[ib].va : UINT64_MAX;
			uint64_t nx = na < nb ? na : nb;

			if (nx > last || nx < x)
				break;
			x = nx;
		}
	}
}

void rm_append(struct ref_model *m, const struct rm_leaf *l)
{
	RM_BUG_ON(m->n && rm_leaf_last(&m->v[m->n - 1]) >= l->va);
	rm_splice(m, m->n, 0, l, 1);
}

bool rm_gather_covers(const struct ptk_gather *g, uint64_t va, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < g->nr && i < PTK_GATHER_RANGES; i++)
		if (g->ranges[i].va <= va && last <= g->ranges[i].last)
			return true;
	return false;
}

bool rm_oa_limited(const struct ptk_fmt *f)
{
	unsigned int l;

	for (l = 0; l < f->levels; l++)
		if (f->leaf_oa_bits[l] && f->leaf_oa_bits[l] < f->oa_bits)
			return true;
	return false;
}
