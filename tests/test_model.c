// SPDX-License-Identifier: MIT
/*
 * Seeded random operation sequences checked against the reference model.
 *
 * For each format (x86_64, x86_64_la57 and the run-time toy32), and for
 * both engine instances of x86 (specialised and PTK_TABLE_GENERIC),
 * PTK_OPS operations (default 200000 per format, 50000 for the generic
 * runs; times PTK_OPS_SCALE) of map / unmap / walk / translate with mixed
 * page sizes run on a table in a simulated arena. After every step:
 *  - the return code equals the contract's (argument errors) or the
 *    model's (EEXIST, ESPLIT, success);
 *  - translate of probe addresses around the operation and of random
 *    mapped addresses equals the model (OA, level, size, attributes);
 *  - after a mutation: ptk_table_check() passes, its per-level table and
 *    leaf counts equal ptk_table_count() and the model's, the arena's
 *    live block count is 1 + the tables, the gather covers every range
 *    whose translation the model says changed (and is untouched on
 *    failure), and flushing it frees exactly nr_free blocks;
 * every 64 operations and at the end the whole table is walked and
 * compared leaf by leaf with the model, along with hole/leaf tiling of the
 * address space, run maximality and pre/post table nesting. At the end
 * the edge pages (0, both sides of the non-canonical hole, the top) must
 * each have been mapped at least once.
 *
 * Reproduce a failure with PTK_SEED=<seed printed> test_model -s <test>.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/ref_model.h"
#include "model/toy_fmt.h"
#include "model/walk_rec.h"
#include "model/workload.h"

#define FULL_CHECK_EVERY 64

struct ctx {
	const struct wl_profile *p;
	const struct ptk_fmt *f;
	struct ptk_mem_arena arena;
	struct ptk_table t;
	struct ref_model m;
	struct wl w;
	struct walk_rec wr;
	struct rm_ranges changed;
	uint64_t step;
	struct ptk_rand r;
	/* coverage: outcomes per op kind, by error code */
	uint64_t rcs[4][32];
	uint64_t max_leaves, max_tables, leaves_by_level[PTK_MAX_LEVELS];
	uint64_t edge_hits[4]; /* successful maps covering edge_pages() */
};

/*
 * Pages at the edges of each space that the random runs must map at
 * least once: 0, the last page below the non-canonical hole (or the end
 * of the space), the first page above it, and the top page.
 */
static unsigned int edge_pages(const struct ptk_fmt *f, uint64_t out[4])
{
	unsigned int b = f->va_bits;

	out[0] = 0;
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		out[1] = (UINT64_C(1) << (b - 1)) - 0x1000;
		out[2] = 0 - (UINT64_C(1) << (b - 1));
		out[3] = UINT64_C(0xfffffffffffff000);
		return 4;
	}
	out[1] = (UINT64_C(1) << b) - 0x1000;
	out[2] = out[3] = 0;
	return 2;
}

static uint64_t total_ops(uint64_t def)
{
	return ptk_test_env_u64("PTK_OPS", def) *
	       ptk_test_env_u64("PTK_OPS_SCALE", 1);
}

static const char *op_str(const struct wl_op *op, char *buf, size_t size)
{
	static const char *const kinds[] = { "map", "unmap", "walk",
					     "translate" };

	snprintf(buf, size,
		 "%s va=0x%" PRIx64 " len=0x%" PRIx64 " oa=0x%" PRIx64
		 " flags=%#x attrs=%s{prot=%#x flags=%#x memtype=%u sw=%#x}",
		 kinds[op->kind], op->va, op->len, op->oa, op->flags,
		 op->attrs_null ? "NULL" : "", op->attrs.prot, op->attrs.flags,
		 op->attrs.memtype, op->attrs.sw);
	return buf;
}

static bool attrs_eq(const struct ptk_attrs *a, const struct ptk_attrs *b)
{
	return a->prot == b->prot && a->flags == b->flags &&
	       a->memtype == b->memtype && a->sw == b->sw;
}

static void check_attrs(const char *what, uint64_t va,
			const struct ptk_attrs *got,
			const struct ptk_attrs *want)
{
	if (!attrs_eq(got, want))
		PTK_FAIL("%s 0x%" PRIx64 ": attrs prot=%#x flags=%#x "
			 "memtype=%u sw=%#x, want prot=%#x flags=%#x "
			 "memtype=%u sw=%#x",
			 what, va, got->prot, got->flags, got->memtype, got->sw,
			 want->prot, want->flags, want->memtype, want->sw);
}

/* Translate @va and compare with the model. */
static void probe(struct ctx *c, uint64_t va)
{
	const struct rm_leaf *l;
	struct ptk_xlate x;
	struct ptk_attrs a;
	int rc, rc2;

	memset(&x, 0xa5, sizeof(x));
	rc = ptk_translate(&c->t, va, &x);
	rc2 = ptk_translate(&c->t, va, NULL);
	if (rc != rc2)
		PTK_FAIL("translate 0x%" PRIx64 ": %s with out, %s without", va,
			 ptk_errname(rc), ptk_errname(rc2));
	if (!ptk_fmt_va_valid(c->f, va)) {
		if (rc != PTK_ERANGE)
			PTK_FAIL("translate 0x%" PRIx64 " (outside): %s", va,
				 ptk_errname(rc));
		return;
	}
	l = rm_lookup(&c->m, va);
	if (!l) {
		if (rc != PTK_ENOENT)
			PTK_FAIL("translate 0x%" PRIx64 ": %s (oa 0x%" PRIx64
				 " level %u), model: not mapped",
				 va, ptk_errname(rc), x.oa, x.level);
		return;
	}
	if (rc) {
		PTK_FAIL("translate 0x%" PRIx64 ": %s, model: leaf va "
			 "0x%" PRIx64 " oa 0x%" PRIx64 " level %u",
			 va, ptk_errname(rc), l->va, l->oa, l->level);
		return;
	}
	if (x.oa != l->oa + (va - l->va) || x.level != l->level ||
	    x.size_lg2 != l->size_lg2)
		PTK_FAIL("translate 0x%" PRIx64 ": oa 0x%" PRIx64 " level %u "
			 "size_lg2 "
			 "%u, want oa "
			 "0x%" PRIx64 " level %u size_lg2 %u",
			 va, x.oa, x.level, x.size_lg2, l->oa + (va - l->va),
			 l->level, l->size_lg2);
	rc = ptk_leaf_attrs(&a, &c->t, x.level, x.pte);
	if (rc)
		PTK_FAIL("ptk_leaf_attrs(pte 0x%" PRIx64 ", level %u): %s",
			 x.pte, x.level, ptk_errname(rc));
	else
		check_attrs("translate", va, &a, &l->attrs);
}

static bool gather_untouched(const struct ptk_gather *g)
{
	return g->nr == 0 && g->flags == 0 && g->nr_free == 0;
}

/* Sorted, disjoint, not adjacent, at most PTK_GATHER_RANGES. */
static void check_gather_shape(const struct ptk_gather *g)
{
	unsigned int i;

	if (g->nr > PTK_GATHER_RANGES) {
		PTK_FAIL("gather nr %u > %u", g->nr, PTK_GATHER_RANGES);
		return;
	}
	for (i = 0; i < g->nr; i++) {
		if (g->ranges[i].last < g->ranges[i].va)
			PTK_FAIL("gather range %u: last < va", i);
		if (i && (g->ranges[i - 1].last >= g->ranges[i].va ||
			  g->ranges[i - 1].last + 1 == g->ranges[i].va))
			PTK_FAIL("gather ranges %u and %u overlap, touch or "
				 "are unsorted",
				 i - 1, i);
	}
}

static bool gather_covers(const struct ptk_gather *g, uint64_t va,
			  uint64_t last)
{
	unsigned int i;

	for (i = 0; i < g->nr && i < PTK_GATHER_RANGES; i++)
		if (g->ranges[i].va <= va && last <= g->ranges[i].last)
			return true;
	return false;
}

static void check_counts(struct ctx *c)
{
	uint64_t want[PTK_MAX_LEVELS], sum = 0;
	struct ptk_check chk;
	unsigned int l;
	int rc;

	memset(&chk, 0, sizeof(chk));
	rc = ptk_table_check(&chk, &c->t);
	if (rc) {
		PTK_FAIL("ptk_table_check: %s: %s at level %d va 0x%" PRIx64,
			 ptk_errname(rc), chk.what ? chk.what : "?",
			 chk.bad_level, chk.bad_va);
		return;
	}
	rm_table_counts(&c->m, want);
	for (l = 0; l < c->f->levels; l++) {
		uint64_t n = ptk_table_count(&c->t, l);

		sum += n;
		if (n != want[l] || chk.tables[l] != n)
			PTK_FAIL("level %u tables: ptk_table_count %" PRIu64
				 ", check reached %" PRIu64 ", model %" PRIu64,
				 l, n, chk.tables[l], want[l]);
		if (chk.leaves[l] != c->m.leaves[l])
			PTK_FAIL("level %u leaves: check found %" PRIu64
				 ", model %" PRIu64,
				 l, chk.leaves[l], c->m.leaves[l]);
	}
	if (c->arena.stats.live != 1 + sum)
		PTK_FAIL("arena live blocks %" PRIu64 ", want 1 + %" PRIu64,
			 c->arena.stats.live, sum);
}

/*
 * Compare a recorded walk with the model. [va, last] is the walked range
 * (the whole space for ptk_walk_all()); holes and clipped leaves must tile
 * its valid part in order, leaves must equal the model's leaves that
 * intersect it, runs must be maximal, tables properly nested.
 */
static void check_walk(struct ctx *c, uint64_t va, uint64_t last, bool tables)
{
	const struct ptk_fmt *f = c->f;
	const struct wr_event *prev_leaf = NULL;
	struct wr_event stack[PTK_MAX_LEVELS + 1];
	uint64_t ntables[PTK_MAX_LEVELS] = { 0 }, want[PTK_MAX_LEVELS];
	uint64_t cursor = va, half = 0;
	bool done = false, se = f->features & PTK_FMT_SIGN_EXTEND;
	unsigned int depth = 0, l;
	size_t i, mi = rm_lower(&c->m, va);
	char buf[256], buf2[256];

	uint64_t end = last;

	/* The part of [va, last] inside the space. */
	if (se && f->va_bits < 64) {
		half = UINT64_C(1) << (f->va_bits - 1);
		if (cursor >= half && cursor < 0 - half)
			cursor = 0 - half;
		if (end >= half && end < 0 - half)
			end = half - 1;
	} else if (!se && f->va_bits < 64 &&
		   end >= (UINT64_C(1) << f->va_bits)) {
		end = (UINT64_C(1) << f->va_bits) - 1;
	}

	for (i = 0; i < c->wr.n; i++) {
		const struct wr_event *e = &c->wr.v[i];
		uint64_t lo, hi, k;

		if (e->type == WR_PRE || e->type == WR_POST) {
			uint64_t span = UINT64_C(1)
					<< (f->level_shift[e->level] +
					    f->level_bits[e->level]);

			if (e->level + 1 >= f->levels || (e->va & (span - 1)) ||
			    e->last != e->va + span - 1)
				PTK_FAIL("walk: bad table event %s",
					 wr_event_str(e, buf, sizeof(buf)));
			if (e->type == WR_PRE) {
				if (depth > PTK_MAX_LEVELS) {
					PTK_FAIL("walk: tables nest too deep");
					return;
				}
				stack[depth++] = *e;
				if (e->level < PTK_MAX_LEVELS)
					ntables[e->level]++;
			} else if (!depth || stack[--depth].va != e->va ||
				   stack[depth].last != e->last ||
				   stack[depth].oa != e->oa ||
				   stack[depth].level != e->level) {
				PTK_FAIL("walk: post_table without its pre: %s",
					 wr_event_str(e, buf, sizeof(buf)));
			}
			continue;
		}
		if (e->type == WR_INVALID) {
			PTK_FAIL("walk: invalid entry %s",
				 wr_event_str(e, buf, sizeof(buf)));
			continue;
		}
		if (depth && (e->va < stack[depth - 1].va ||
			      e->last > stack[depth - 1].last))
			PTK_FAIL("walk: %s outside its table",
				 wr_event_str(e, buf, sizeof(buf)));

		/* tiling of the walked range */
		lo = e->va < va ? va : e->va;
		hi = e->last > last ? last : e->last;
		if (done || lo != cursor || hi < lo) {
			PTK_FAIL("walk: gap or overlap at 0x%" PRIx64 ": %s",
				 cursor, wr_event_str(e, buf, sizeof(buf)));
			return;
		}
		if (hi == end) {
			done = true;
		} else {
			cursor = hi + 1;
			if (se && cursor == half)
				cursor = 0 - half; /* the hole is skipped */
		}
		if (e->type == WR_HOLE) {
			if (e->va < va || e->last > last)
				PTK_FAIL("walk: hole not clipped: %s",
					 wr_event_str(e, buf, sizeof(buf)));
			prev_leaf = NULL;
			continue;
		}

		/* leaves, one by one, against the model */
		if (!e->count || e->size_lg2 != f->level_shift[e->level])
			PTK_FAIL("walk: bad leaf run %s",
				 wr_event_str(e, buf, sizeof(buf)));
		for (k = 0; k < e->count; k++, mi++) {
			const struct rm_leaf *ml = mi < c->m.n ? &c->m.v[mi]
							       : NULL;
			uint64_t off = k << e->size_lg2;

			if (!ml || ml->va != e->va + off ||
			    ml->oa != e->oa + off || ml->level != e->level) {
				PTK_FAIL("walk: leaf %" PRIu64 " of %s; model: "
					 "%s va 0x%" PRIx64 " oa 0x%" PRIx64
					 " level %u",
					 k, wr_event_str(e, buf, sizeof(buf)),
					 ml ? "" : "nothing", ml ? ml->va : 0,
					 ml ? ml->oa : 0, ml ? ml->level : 0);
				return;
			}
			check_attrs("walk leaf", ml->va, &e->attrs, &ml->attrs);
		}
		if (prev_leaf && prev_leaf->level == e->level &&
		    prev_leaf->last + 1 == e->va &&
		    prev_leaf->oa + (prev_leaf->count << e->size_lg2) ==
			    e->oa &&
		    (e->level + 1 >= f->levels ||
		     prev_leaf->va >> f->level_shift[e->level + 1] ==
			     e->va >> f->level_shift[e->level + 1]) &&
		    ((prev_leaf->pte ^ e->pte) & ~f->leaf_oa_mask[e->level]) ==
			    0)
			PTK_FAIL("walk: run not maximal: %s then %s",
				 wr_event_str(prev_leaf, buf, sizeof(buf)),
				 wr_event_str(e, buf2, sizeof(buf2)));
		prev_leaf = e;
	}
	if (!done)
		PTK_FAIL("walk: stopped at 0x%" PRIx64 ", range ends at "
			 "0x%" PRIx64,
			 cursor, end);
	if (depth)
		PTK_FAIL("walk: %u tables not closed", depth);
	if (mi < c->m.n && c->m.v[mi].va <= last)
		PTK_FAIL("walk: model leaf va 0x%" PRIx64 " not reported",
			 c->m.v[mi].va);
	if (tables) {
		rm_table_counts(&c->m, want);
		for (l = 0; l < f->levels; l++)
			if (ntables[l] != want[l])
				PTK_FAIL("walk: %" PRIu64 " level-%u tables "
					 "visited, model %" PRIu64,
					 ntables[l], l, want[l]);
	}
}

static uint64_t space_last(const struct ptk_fmt *f)
{
	if (f->va_bits >= 64 || (f->features & PTK_FMT_SIGN_EXTEND))
		return UINT64_MAX;
	return (UINT64_C(1) << f->va_bits) - 1;
}

static void full_check(struct ctx *c)
{
	int rc = wr_walk(&c->wr, &c->t, 0, 0, true, WR_ALL);

	if (rc) {
		PTK_FAIL("ptk_walk_all: %s", ptk_errname(rc));
		return;
	}
	check_walk(c, 0, space_last(c->f), true);
}

static void probes_around(struct ctx *c, const struct wl_op *op)
{
	uint64_t s0 = UINT64_C(1) << wl_min_lg2(c->f), last, i;

	if (op->len) {
		last = op->va + op->len - 1;
		probe(c, op->va);
		probe(c, op->va - s0);
		probe(c, op->va - 1);
		probe(c, last);
		probe(c, last + 1);
		probe(c, last - s0 + 1);
		for (i = 0; i < 4; i++)
			probe(c, op->va + ptk_rand_below(&c->r, op->len));
	}
	for (i = 0; i < 4; i++)
		probe(c, wl_probe_va(&c->w));
}

static void mutate(struct ctx *c, const struct wl_op *op)
{
	uint64_t before[PTK_MAX_LEVELS], live = c->arena.stats.live, lfl;
	const struct ptk_attrs *attrs = op->attrs_null ? NULL : &op->attrs;
	struct ptk_attrs eff;
	struct ptk_gather g;
	uint32_t want;
	bool enc_only;
	unsigned int l;
	size_t i;
	int rc, mrc;
	char buf[64];

	for (l = 0; l < c->f->levels; l++)
		before[l] = ptk_table_count(&c->t, l);
	want = wl_expect_args(c->p, op, &enc_only);
	ptk_gather_init(&g);
	if (op->kind == WL_MAP)
		rc = ptk_map(&c->t, op->va, op->len, op->oa, attrs, op->flags,
			     &g);
	else
		rc = ptk_unmap(&c->t, op->va, op->len, op->flags, &g);

	if (want) {
		if (enc_only && !(op->flags & PTK_MAP_REPLACE) &&
		    rm_overlaps(&c->m, op->va, op->va + op->len - 1))
			want |= WL_ERR(PTK_EEXIST);
		if (rc >= 0 || !(want & WL_ERR(rc)))
			PTK_FAIL("got %d %s, want %s", rc, ptk_errname(rc),
				 wl_err_set_str(want, buf, sizeof(buf)));
		mrc = rc;
	} else {
		uint64_t last = op->va + op->len - 1;

		c->changed.n = 0;
		if (op->kind == WL_MAP) {
			wl_effective_attrs(c->p, op, &eff);
			mrc = rm_map(&c->m, op->va, last, op->oa, &eff,
				     op->flags & PTK_MAP_REPLACE,
				     (op->flags >> 8) & 0x3f, &c->changed);
		} else {
			mrc = rm_unmap(&c->m, op->va, last,
				       op->flags & PTK_UNMAP_SPLIT,
				       &c->changed);
		}
		if (rc != mrc)
			PTK_FAIL("got %d %s, model says %d %s", rc,
				 ptk_errname(rc), mrc, ptk_errname(mrc));
	}

	c->rcs[op->kind][rc < 0 && rc > -32 ? -rc : 0]++;
	if (rc || mrc) {
		if (!gather_untouched(&g))
			PTK_FAIL("failed op changed the gather (nr %u, "
				 "nr_free %" PRIu64 ")",
				 g.nr, g.nr_free);
		for (l = 0; l < c->f->levels; l++)
			if (ptk_table_count(&c->t, l) != before[l])
				PTK_FAIL("failed op changed level %u tables",
					 l);
		if (c->arena.stats.live != live)
			PTK_FAIL("failed op changed live blocks %" PRIu64
				 " -> %" PRIu64,
				 live, c->arena.stats.live);
	} else {
		uint64_t edges[4], last = op->va + op->len - 1;
		unsigned int k, ne = edge_pages(c->f, edges);

		for (k = 0; k < ne && op->kind == WL_MAP; k++)
			if (edges[k] >= op->va && edges[k] <= last)
				c->edge_hits[k]++;
		check_gather_shape(&g);
		for (i = 0; i < c->changed.n; i++)
			if (!gather_covers(&g, c->changed.v[i].va,
					   c->changed.v[i].last))
				PTK_FAIL("gather misses changed range "
					 "[0x%" PRIx64 ", 0x%" PRIx64 "]",
					 c->changed.v[i].va,
					 c->changed.v[i].last);
	}
	if (c->m.n > c->max_leaves)
		c->max_leaves = c->m.n;
	if (c->arena.stats.live > c->max_tables)
		c->max_tables = c->arena.stats.live;
	for (l = 0; l < c->f->levels; l++)
		c->leaves_by_level[l] += c->m.leaves[l];
	lfl = c->arena.stats.live;
	i = g.nr_free;
	ptk_table_flush(&c->t, &g);
	if (lfl - c->arena.stats.live != i)
		PTK_FAIL("flush freed %" PRIu64 " blocks, gather said %zu",
			 lfl - c->arena.stats.live, i);
	if (g.nr || g.nr_free)
		PTK_FAIL("flush did not reset the gather");
	check_counts(c);
}

static void step(struct ctx *c, const struct wl_op *op)
{
	unsigned int fails = ptk_test_failures();
	uint32_t want;
	bool enc_only;
	char buf[256];
	int rc;

	switch (op->kind) {
	case WL_MAP:
	case WL_UNMAP:
		mutate(c, op);
		probes_around(c, op);
		break;
	case WL_WALK:
		want = wl_expect_args(c->p, op, &enc_only);
		rc = wr_walk(&c->wr, &c->t, op->va, op->len, false,
			     WR_LEAVES | WR_HOLES);
		if (want) {
			if (rc >= 0 || !(want & WL_ERR(rc)))
				PTK_FAIL("walk: got %s, want %s",
					 ptk_errname(rc),
					 wl_err_set_str(want, buf, 64));
		} else if (rc) {
			PTK_FAIL("walk: %s", ptk_errname(rc));
		} else {
			check_walk(c, op->va, op->va + op->len - 1, false);
		}
		c->rcs[op->kind][rc < 0 && rc > -32 ? -rc : 0]++;
		break;
	case WL_PROBE:
		probe(c, op->va);
		probes_around(c, op);
		break;
	}
	if (ptk_test_failures() != fails) {
		PTK_FAIL("... at step %" PRIu64 ": %s", c->step,
			 op_str(op, buf, sizeof(buf)));
		ptk_test_abort();
	}
}

static void ctx_init(struct ctx *c, const struct wl_profile *p,
		     unsigned int table_flags)
{
	struct rm_geom g;
	/* The toy stores 32-bit table addresses. */
	ptk_oa_t base = p->fmt->oa_bits < 40 ? UINT64_C(0x40000000)
					     : UINT64_C(0x100000000);

	memset(c, 0, sizeof(*c));
	c->p = p;
	c->f = p->fmt;
	ptk_test_rand(&c->r);
	PTK_ASSERT_OK(ptk_mem_arena_create(&c->arena, base, 64 << 20));
	PTK_ASSERT_OK(
		ptk_table_create(&c->t, c->f, &c->arena.mem, table_flags));
	PTK_ASSERT_EQ(c->arena.stats.live, 1);
	rm_geom_from_fmt(&g, c->f);
	rm_init(&c->m, &g);
	wl_init(&c->w, p, &c->m, ptk_rand_next(&c->r));
}

static void ctx_fini(struct ctx *c)
{
	ptk_table_destroy(&c->t);
	PTK_EXPECT_EQ(c->arena.stats.live, 0);
	ptk_mem_arena_destroy(&c->arena);
	rm_fini(&c->m);
	wr_free(&c->wr);
	rm_ranges_free(&c->changed);
}

/* Unmap the whole space, half by half. */
static void unmap_all(struct ctx *c)
{
	const struct ptk_fmt *f = c->f;
	struct wl_op op = { .kind = WL_UNMAP, .flags = PTK_UNMAP_SPLIT };

	if (f->features & PTK_FMT_SIGN_EXTEND) {
		uint64_t half = UINT64_C(1) << (f->va_bits - 1);

		op.va = 0;
		op.len = half;
		step(c, &op);
		op.va = 0 - half;
		step(c, &op);
	} else {
		op.va = 0;
		op.len = space_last(f) + 1;
		step(c, &op);
	}
	PTK_EXPECT_EQ(c->m.n, 0);
	for (unsigned int l = 0; l < f->levels; l++)
		PTK_EXPECT_EQ(ptk_table_count(&c->t, l), 0);
	PTK_EXPECT_EQ(c->arena.stats.live, 1);
}

static void print_stats(const struct ctx *c, uint64_t nops)
{
	static const char *const kinds[] = { "map", "unmap", "walk" };
	unsigned int k, e, l;

	printf("%s: %" PRIu64 " ops, seed 0x%016" PRIx64 ", max %" PRIu64
	       " leaves, max %" PRIu64 " tables\n",
	       c->p->name, nops, ptk_test_seed(), c->max_leaves, c->max_tables);
	for (k = 0; k < 3; k++) {
		printf("  %-6s", kinds[k]);
		for (e = 0; e < 32; e++)
			if (c->rcs[k][e])
				printf(" %s=%" PRIu64,
				       e ? ptk_errname(-(int)e) : "ok",
				       c->rcs[k][e]);
		printf("\n");
	}
	printf("  edge pages mapped: %" PRIu64 " %" PRIu64 " %" PRIu64
	       " %" PRIu64 "\n",
	       c->edge_hits[0], c->edge_hits[1], c->edge_hits[2],
	       c->edge_hits[3]);
	printf("  mean leaves per level:");
	for (l = 0; l < c->f->levels; l++)
		printf(" %.1f", (double)c->leaves_by_level[l] /
					(double)(nops ? nops : 1));
	printf("\n");
}

static void run(const struct wl_profile *p, unsigned int table_flags,
		uint64_t def_ops)
{
	uint64_t nops = total_ops(def_ops), i;
	struct wl_op op;
	struct ctx c;

	ctx_init(&c, p, table_flags);
	for (i = 0; i < nops; i++) {
		c.step = i;
		wl_next(&c.w, &op);
		step(&c, &op);
		if (i % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1 ||
		    i + 1 == nops) {
			full_check(&c);
			if (ptk_test_failures()) {
				PTK_FAIL("... in the full check after step "
					 "%" PRIu64,
					 i);
				ptk_test_abort();
			}
		}
	}
	c.step = nops;
	if (nops >= 20000) {
		uint64_t edges[4];
		unsigned int k, ne = edge_pages(p->fmt, edges);

		for (k = 0; k < ne; k++)
			if (!c.edge_hits[k])
				PTK_FAIL("the edge page 0x%" PRIx64 " was "
					 "never "
					 "mapped",
					 edges[k]);
	}
	unmap_all(&c);
	full_check(&c);
	print_stats(&c, nops);
	ctx_fini(&c);
}

#define DEFAULT_OPS 200000

PTK_TEST(model_x86_64)
{
	run(&wl_x86_64, 0, DEFAULT_OPS);
}

PTK_TEST(model_x86_64_la57)
{
	run(&wl_x86_64_la57, 0, DEFAULT_OPS);
}

PTK_TEST(model_toy32)
{
	run(&wl_toy, 0, DEFAULT_OPS);
}

/* The run-time instance on the built-in formats, fewer ops. */
PTK_TEST(model_x86_64_generic)
{
	run(&wl_x86_64, PTK_TABLE_GENERIC, DEFAULT_OPS / 4);
}

PTK_TEST(model_x86_64_la57_generic)
{
	run(&wl_x86_64_la57, PTK_TABLE_GENERIC, DEFAULT_OPS / 4);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(model_x86_64),
	PTK_TEST_ENTRY(model_x86_64_la57),
	PTK_TEST_ENTRY(model_toy32),
	PTK_TEST_ENTRY(model_x86_64_generic),
	PTK_TEST_ENTRY(model_x86_64_la57_generic),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
