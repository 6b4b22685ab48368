// SPDX-License-Identifier: MIT
/*
 * Walk recorder; see walk_rec.h.
 */
#include "walk_rec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wr_event *wr_push(struct walk_rec *r, enum wr_type type)
{
	struct wr_event *e;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v) {
			fprintf(stderr, "walk_rec: out of memory\n");
			abort();
		}
	}
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	return e;
}

static int wr_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct walk_rec *r = arg;
	struct wr_event *e = wr_push(r, WR_LEAF);

	e->va = l->va;
	e->last = l->va + ((l->count << l->size_lg2) - 1);
	e->oa = l->oa;
	e->count = l->count;
	e->pte = l->pte;
	e->attrs = l->attrs;
	e->level = l->level;
	e->size_lg2 = l->size_lg2;
	if (++r->leaf_calls == r->stop_after)
		return r->stop_rc;
	return 0;
}

static int wr_hole(ptk_va_t va, ptk_va_t last, unsigned int level, void *arg)
{
	struct wr_event *e = wr_push(arg, WR_HOLE);

	e->va = va;
	e->last = last;
	e->level = level;
	return 0;
}

static void wr_table(struct walk_rec *r, enum wr_type type,
		     const struct ptk_walk_table *tb)
{
	struct wr_event *e = wr_push(r, type);

	e->va = tb->va;
	e->last = tb->last;
	e->oa = tb->oa;
	e->level = tb->level;
}

static int wr_pre(const struct ptk_walk_table *tb, void *arg)
{
	wr_table(arg, WR_PRE, tb);
	return 0;
}

static int wr_post(const struct ptk_walk_table *tb, void *arg)
{
	wr_table(arg, WR_POST, tb);
	return 0;
}

static int wr_invalid(ptk_va_t va, ptk_va_t last, unsigned int level,
		      ptk_pte_t pte, void *arg)
{
	struct wr_event *e = wr_push(arg, WR_INVALID);

	e->va = va;
	e->last = last;
	e->level = level;
	e->pte = pte;
	return 0;
}

void wr_reset(struct walk_rec *r)
{
	r->n = 0;
	r->leaf_calls = 0;
}

void wr_free(struct walk_rec *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int wr_walk(struct walk_rec *r, const struct ptk_table *t, uint64_t va,
	    uint64_t len, bool all, unsigned int hooks)
{
	struct ptk_walk_ops ops = {
		.leaf = (hooks & WR_LEAVES) ? wr_leaf : NULL,
		.hole = (hooks & WR_HOLES) ? wr_hole : NULL,
		.pre_table = (hooks & WR_TABLES) ? wr_pre : NULL,
		.post_table = (hooks & WR_TABLES) ? wr_post : NULL,
		.invalid = (hooks & WR_INVALIDS) ? wr_invalid : NULL,
	};

	wr_reset(r);
	if (all)
		return ptk_walk_all(t, &ops, r);
	return ptk_walk(t, va, len, &ops, r);
}

bool wr_event_eq(const struct wr_event *a, const struct wr_event *b)
{
	return a->type == b->type && a->va == b->va && a->last == b->last &&
	       a->oa == b->oa && a->count == b->count && a->pte == b->pte &&
	       a->attrs.prot == b->attrs.prot &&
	       a->attrs.flags == b->attrs.flags &&
	       a->attrs.memtype == b->attrs.memtype &&
	       a->attrs.sw == b->attrs.sw && a->level == b->level &&
	       a->size_lg2 == b->size_lg2;
}

const char *wr_event_str(const struct wr_event *e, char *buf, size_t size)
{
	static const char *const names[] = { "leaf", "hole", "pre", "post",
					     "invalid" };

	snprintf(buf, size,
		 "%s va=0x%" PRIx64 " last=0x%" PRIx64 " oa=0x%" PRIx64
		 " count=%" PRIu64 " pte=0x%" PRIx64 " level=%u size_lg2=%u "
		 "prot=%#x flags=%#x "
		 "memtype=%u sw=%#x",
		 names[e->type], e->va, e->last, e->oa, e->count, e->pte,
		 e->level, e->size_lg2, e->attrs.prot, e->attrs.flags,
		 e->attrs.memtype, e->attrs.sw);
	return buf;
}
