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
static void rm_split_at(struct ref_model *m, uint64_t addr)
{
	struct rm_leaf *kids = NULL;
	size_t cap = 0;

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
		rm_splice(m, i, 1, kids, nr);
	}
	free(kids);
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

int rm_map(struct ref_model *m, uint64_t va, uint64_t last, uint64_t oa,
	   const struct ptk_attrs *attrs, bool replace, unsigned int max_lg2,
	   struct rm_ranges *changed)
{
	struct rm_leaf *add = NULL;
	size_t nr = 0, cap = 0;
	uint64_t pos = va, o = oa;

	RM_BUG_ON(last < va);
	if (!replace) {
		if (rm_overlaps(m, va, last))
			return PTK_EEXIST;
	} else {
		rm_split_at(m, va);
		if (last != UINT64_MAX)
			rm_split_at(m, last + 1);
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

	rm_remove(m, va, last, add, nr, replace ? changed : NULL);
	free(add);
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
		rm_split_at(m, va);
		if (last != UINT64_MAX)
			rm_split_at(m, last + 1);
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
