// SPDX-License-Identifier: MIT
/*
 * Seeded random operation sequences checked against the reference model.
 *
 * One test per built-in format (the registry: model_<format> with the
 * specialised engine instance, model_<format>_generic with the run-time
 * one) and model_toy32 (a format defined at run time). x86_64 and
 * x86_64_la57 use hand-written attribute profiles; every other format's
 * profile is probed through its encode hook (wl_profile_from_fmt()).
 * PTK_OPS operations (defaults: 200000 for x86_64 / x86_64_la57, else
 * 4000 / 2000 / 1000 for 4K / 16K / 64K granules, 20000 for toy32; a
 * tenth of that for x86_64 / la57 _generic runs, a quarter for the
 * others; times PTK_OPS_SCALE) of map /
 * unmap / walk / translate / protect / harvest / copy / move / split /
 * collapse run on a table (and a copy target) in a simulated arena.
 * After every step:
 *  - the return code equals the contract's (argument errors) or the
 *    model's (EEXIST, ESPLIT, ENOENT, ENOTUNIFORM, success, ...); where
 *    the engine may meet two errors in either order both are accepted;
 *  - translate of probe addresses around the operation (both ranges of
 *    a move, the copy target) equals the model (OA, level, size,
 *    attributes); contiguous groups count as their pages;
 *  - harvest: the callback's runs equal the model's maximal runs of
 *    pages with the same accessed/dirty set, and clearing clears whole
 *    leaves (and groups) in the model too;
 *  - after a mutation: ptk_table_check() passes on both tables, the
 *    per-level table and leaf counts equal ptk_table_count() and the
 *    model's (with PTK_CHECK_EVERY=N, the long runs' setting: after
 *    every Nth mutation and at every full check below; the default is
 *    every one), the arena's live block count is 2 + the tables, the gather
 *    covers every range whose translation or attributes the model says
 *    changed (and is untouched on failure), flushing it frees exactly
 *    nr_free blocks; a quarter of the operations pass no gather;
 *  - the notifier registered on the table got exactly one before and one
 *    after call (none for operations that cannot invalidate, and none on
 *    the copy target), with the right reason and result; the after call
 *    covers every changed range; no table that existed before the
 *    operation was freed between the two calls.
 * Every 64 operations (PTK_FULL_EVERY) and at the end both tables are
 * walked and compared leaf by leaf with the models, along with hole/leaf
 * tiling of the address space, run maximality and pre/post table
 * nesting, and iterated with ptk_iter (per leaf and PTK_ITER_RUNS) and
 * compared with the models too (model/iter_check.h); so is every walked
 * range, and a walk's bad range must fail ptk_iter_init() the same way.
 * With >= 20000 operations the edge pages (0, both sides of the
 * non-canonical hole, the top) must each have been mapped at least once.
 *
 * Reproduce a failure with PTK_SEED=<seed printed> test_model -s <test>
 * (with PTK_CHECK_EVERY=1 a broken invariant stops at the step that
 * broke it);
 * PTK_TRACE=1 prints every operation (2: and the model's leaves in its
 * range); PTK_WL_NO_COPY=1 leaves ptk_copy() out (triage).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/iter_check.h"
#include "model/ref_model.h"
#include "model/toy_fmt.h"
#include "model/walk_rec.h"
#include "model/workload.h"

#define FULL_CHECK_EVERY 64

/* See rec_alloc(). */
struct rec_mem {
	struct ptk_mem mem;
	struct ptk_mem_arena *inner;
	bool window;
	bool early_free;
	ptk_oa_t fresh[4096];
	unsigned int nfresh;
};

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
	uint64_t rcs[WL_NR_KINDS][32];
	uint64_t max_leaves, max_tables, leaves_by_level[PTK_MAX_LEVELS];
	uint64_t edge_hits[4]; /* successful maps covering edge_pages() */
	/* range operations */
	struct ptk_table child; /* ptk_copy()'s destination */
	struct ref_model cm; /* its model */
	struct ref_model om; /* the model before the operation */
	struct ref_model om2; /* the copy target's, likewise */
	struct rm_ranges diff;
	struct rm_runs runs, got_runs;
	struct nrec *nr; /* the notifier on t */
	struct nrec *ncr; /* the notifier on child: never called */
	uint64_t notify_ops;
	unsigned int trace; /* PTK_TRACE=1: print every operation first;
			     * 2: and the model's leaves in its range */
	struct rec_mem rmem;
	bool child_dirty; /* check the copy target too */
	uint64_t check_every; /* PTK_CHECK_EVERY: full invariant every N */
	uint64_t nmut; /* mutations so far (check_counts() calls) */
	uint64_t nfull; /* full checks so far */
	bool hash; /* hashed tables (PTK_TABLE_HASH): no tables, own blocks */
};

/*
 * The provider the tables use: the arena, plus a record of the blocks
 * allocated while a notifier window (before .. after) is open, so that a
 * free in the window of a block that existed before it (a table the
 * operation unlinked) is caught. Blocks the operation itself took and
 * gave back (unused reserves) may be freed at any time.
 */

static int rec_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa, void **ptr)
{
	struct rec_mem *r = arg;
	int rc = r->inner->mem.ops->alloc(r->inner->mem.arg, lg2, oa, ptr);

	if (!rc && r->window) {
		if (r->nfresh == 4096)
			abort(); /* raise the bound */
		r->fresh[r->nfresh++] = *oa;
	}
	return rc;
}

static void rec_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct rec_mem *r = arg;
	unsigned int i;

	if (r->window) {
		for (i = 0; i < r->nfresh && r->fresh[i] != oa; i++)
			;
		if (i == r->nfresh)
			r->early_free = true;
	}
	r->inner->mem.ops->free(r->inner->mem.arg, oa, ptr, lg2);
}

static void *rec_map(void *arg, ptk_oa_t oa, unsigned int lg2)
{
	struct rec_mem *r = arg;

	return r->inner->mem.ops->map(r->inner->mem.arg, oa, lg2);
}

static const struct ptk_mem_ops rec_ops = {
	.version = PTK_MEM_OPS_VERSION,
	.alloc = rec_alloc,
	.free = rec_free,
	.map = rec_map,
};

/* A notifier that records what it was told. */
struct nrec {
	struct ptk_notifier n;
	struct ctx *c;
	unsigned int before, after;
	enum ptk_notify_reason reason_b, reason_a;
	unsigned int nr;
	struct ptk_range ranges[PTK_GATHER_RANGES];
	int result;
	bool freed_early; /* a table was freed between before and after */
};

static void nrec_before(struct ptk_notifier *n,
			const struct ptk_notify_event *ev)
{
	struct nrec *r = n->arg;

	r->before++;
	r->reason_b = ev->reason;
	r->c->rmem.window = true;
	r->c->rmem.nfresh = 0;
	r->c->rmem.early_free = false;
}

static void nrec_after(struct ptk_notifier *n,
		       const struct ptk_notify_event *ev)
{
	struct nrec *r = n->arg;
	unsigned int i;

	r->after++;
	r->reason_a = ev->reason;
	r->result = ev->result;
	r->nr = ev->nr;
	for (i = 0; i < ev->nr && i < PTK_GATHER_RANGES; i++)
		r->ranges[i] = ev->ranges[i];
	if (r->c->rmem.early_free)
		r->freed_early = true;
	r->c->rmem.window = false;
}

static const struct ptk_notifier_ops nrec_ops = {
	.version = PTK_NOTIFIER_OPS_VERSION,
	.before = nrec_before,
	.after = nrec_after,
};

static void nrec_reset(struct nrec *r)
{
	r->before = r->after = 0;
	r->reason_b = r->reason_a = 0;
	r->nr = 0;
	r->result = 0;
	r->freed_early = false;
}

/*
 * The notifier saw exactly one before and one after call for @reason (or
 * none when @reason is 0), and the after call's ranges cover @changed.
 */
static void nrec_check(struct ctx *c, const struct nrec *r,
		       enum ptk_notify_reason reason, int rc,
		       const struct rm_ranges *changed)
{
	size_t i;
	unsigned int k;

	if (!reason) {
		if (r->before || r->after)
			PTK_FAIL("notifier: %u before / %u after calls, want "
				 "none",
				 r->before, r->after);
		return;
	}
	c->notify_ops++;
	if (r->before != 1 || r->after != 1) {
		PTK_FAIL("notifier: %u before / %u after calls, want 1 / 1",
			 r->before, r->after);
		return;
	}
	if (r->reason_b != reason || r->reason_a != reason)
		PTK_FAIL("notifier: reason %d / %d, want %d", r->reason_b,
			 r->reason_a, reason);
	if (r->result != rc)
		PTK_FAIL("notifier: after result %d, op returned %d", r->result,
			 rc);
	if (r->freed_early)
		PTK_FAIL("notifier: a table was freed before the after call");
	if (rc) {
		if (r->nr)
			PTK_FAIL("notifier: failed op reports %u ranges",
				 r->nr);
		return;
	}
	for (i = 0; changed && i < changed->n; i++) {
		for (k = 0; k < r->nr; k++)
			if (r->ranges[k].va <= changed->v[i].va &&
			    changed->v[i].last <= r->ranges[k].last)
				break;
		if (k == r->nr)
			PTK_FAIL("notifier: after ranges miss changed "
				 "[0x%" PRIx64 ", 0x%" PRIx64 "]",
				 changed->v[i].va, changed->v[i].last);
	}
}

/*
 * The contiguous group holding @va in @t, if any (the model does not
 * know groups: they act as pages of their size and are checked by
 * ptk_table_check(); only where they change an outcome, ESPLIT or the
 * whole group harvest clears, the tests ask the table).
 */
static bool group_span(const struct ptk_table *t, uint64_t va, uint64_t *gva,
		       uint64_t *glast)
{
	const struct ptk_fmt *f = ptk_table_fmt(t);
	struct ptk_xlate x;

	if (ptk_translate(t, va, &x) || x.size_lg2 == f->level_shift[x.level])
		return false;
	*gva = va & ~((UINT64_C(1) << x.size_lg2) - 1);
	*glast = *gva + ((UINT64_C(1) << x.size_lg2) - 1);
	return true;
}

/* Whether a group crosses either end of [va, last]. */
static bool group_cut(const struct ptk_table *t, uint64_t va, uint64_t last)
{
	uint64_t g0, g1;

	if (group_span(t, va, &g0, &g1) && g0 < va)
		return true;
	return last != UINT64_MAX && group_span(t, last + 1, &g0, &g1) &&
	       g0 <= last;
}

/*
 * Pages at the edges of each space that the random runs must map at
 * least once: 0, the last page below the non-canonical hole (or the end
 * of the space), the first page above it, and the top page.
 */
static unsigned int edge_pages(const struct ptk_fmt *f, uint64_t out[4])
{
	unsigned int b = f->va_bits;

	uint64_t s0 = UINT64_C(1) << f->level_shift[0];

	out[0] = 0;
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		out[1] = (UINT64_C(1) << (b - 1)) - s0;
		out[2] = 0 - (UINT64_C(1) << (b - 1));
		out[3] = 0 - s0;
		return 4;
	}
	out[1] = (UINT64_C(1) << b) - s0;
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
	snprintf(buf, size,
		 "%s va=0x%" PRIx64 " len=0x%" PRIx64 " oa=0x%" PRIx64
		 " flags=%#x attrs=%s{prot=%#x flags=%#x memtype=%u sw=%#x}"
		 " arg=%#x new_va=0x%" PRIx64,
		 wl_kind_names[op->kind], op->va, op->len, op->oa, op->flags,
		 op->attrs_null ? "NULL" : "", op->attrs.prot, op->attrs.flags,
		 op->attrs.memtype, op->attrs.sw, op->arg, op->new_va);
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

static void probe_tm(struct ctx *c, const struct ptk_table *t,
		     const struct ref_model *m, uint64_t va);

/* Translate @va and compare with the model. */
static void probe(struct ctx *c, uint64_t va)
{
	probe_tm(c, &c->t, &c->m, va);
}

static void probe_tm(struct ctx *c, const struct ptk_table *t,
		     const struct ref_model *m, uint64_t va)
{
	const struct rm_leaf *l;
	struct ptk_xlate x;
	struct ptk_attrs a;
	unsigned int cl;
	int rc, rc2;

	memset(&x, 0xa5, sizeof(x));
	rc = ptk_translate(t, va, &x);
	rc2 = ptk_translate(t, va, NULL);
	if (rc != rc2)
		PTK_FAIL("translate 0x%" PRIx64 ": %s with out, %s without", va,
			 ptk_errname(rc), ptk_errname(rc2));
	if (!ptk_fmt_va_valid(c->f, va)) {
		if (rc != PTK_ERANGE)
			PTK_FAIL("translate 0x%" PRIx64 " (outside): %s", va,
				 ptk_errname(rc));
		return;
	}
	l = rm_lookup(m, va);
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
	cl = c->f->contig_lg2[l->level];
	if (x.oa != l->oa + (va - l->va) || x.level != l->level ||
	    (x.size_lg2 != l->size_lg2 &&
	     !(cl && x.size_lg2 == l->size_lg2 + cl)))
		PTK_FAIL("translate 0x%" PRIx64 ": oa 0x%" PRIx64 " level %u "
			 "size_lg2 "
			 "%u, want oa "
			 "0x%" PRIx64 " level %u size_lg2 %u",
			 va, x.oa, x.level, x.size_lg2, l->oa + (va - l->va),
			 l->level, l->size_lg2);
	rc = ptk_leaf_attrs(&a, t, x.level, x.pte);
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

/* The tables the model implies per level (none in a hashed table). */
static void want_tables(const struct ctx *c, const struct ref_model *m,
			uint64_t want[PTK_MAX_LEVELS])
{
	if (c->hash)
		memset(want, 0, PTK_MAX_LEVELS * sizeof(*want));
	else
		rm_table_counts(m, want);
}

/* Blocks the tables hold: 2 roots + their tables, or what the hashed
 * tables say they hold (header, arrays, directories). */
static uint64_t want_live(const struct ctx *c, uint64_t tables)
{
	struct ptk_hash_stats a, b;

	if (!c->hash)
		return 2 + tables;
	PTK_ASSERT_OK(ptk_hash_stats(&a, &c->t));
	PTK_ASSERT_OK(ptk_hash_stats(&b, &c->child));
	return a.blocks + b.blocks;
}

/*
 * After a mutation: ptk_table_check() on both tables and the per-level
 * counts against the model (the full invariant), every c->check_every
 * mutations and whenever @full; in between only what costs nothing: the
 * arena's live blocks against the tables' own counts (a leaked or lost
 * table shows there at once, the rest at the next full check).
 */
static void check_counts_full(struct ctx *c, bool full)
{
	uint64_t want[PTK_MAX_LEVELS], sum = 0;
	struct ptk_check chk;
	unsigned int l;
	int rc;

	int ti;

	if (!full && ++c->nmut % c->check_every) {
		for (l = 0; l < c->f->levels; l++)
			sum += ptk_table_count(&c->t, l) +
			       ptk_table_count(&c->child, l);
		if (c->arena.stats.live != want_live(c, sum))
			PTK_FAIL("arena live blocks %" PRIu64 ", want %" PRIu64,
				 c->arena.stats.live, want_live(c, sum));
		return;
	}
	/* the copy target only changes in copies (and its clean-ups) */
	for (ti = 0; ti < 1 + c->child_dirty; ti++) {
		const struct ptk_table *t = ti ? &c->child : &c->t;
		const struct ref_model *m = ti ? &c->cm : &c->m;

		memset(&chk, 0, sizeof(chk));
		rc = ptk_table_check(&chk, t);
		if (rc) {
			PTK_FAIL("ptk_table_check%s: %s: %s at level %d va "
				 "0x%" PRIx64,
				 ti ? " (copy target)" : "", ptk_errname(rc),
				 chk.what ? chk.what : "?", chk.bad_level,
				 chk.bad_va);
			return;
		}
		want_tables(c, m, want);
		for (l = 0; l < c->f->levels; l++) {
			uint64_t n = ptk_table_count(t, l);

			sum += n;
			if (n != want[l] || chk.tables[l] != n)
				PTK_FAIL("level %u tables: ptk_table_count "
					 "%" PRIu64 ", check reached %" PRIu64
					 ", model %" PRIu64,
					 l, n, chk.tables[l], want[l]);
			if (chk.leaves[l] != m->leaves[l])
				PTK_FAIL("level %u leaves%s: check found "
					 "%" PRIu64 ", model %" PRIu64,
					 l, ti ? " (copy target)" : "",
					 chk.leaves[l], m->leaves[l]);
		}
	}
	if (!c->child_dirty)
		for (l = 0; l < c->f->levels; l++)
			sum += ptk_table_count(&c->child, l);
	c->child_dirty = false;
	if (c->arena.stats.live != want_live(c, sum))
		PTK_FAIL("arena live blocks %" PRIu64 ", want %" PRIu64,
			 c->arena.stats.live, want_live(c, sum));
}

static void check_counts(struct ctx *c)
{
	check_counts_full(c, false);
}

/*
 * Compare a recorded walk with the model. [va, last] is the walked range
 * (the whole space for ptk_walk_all()); holes and clipped leaves must tile
 * its valid part in order, leaves must equal the model's leaves that
 * intersect it, runs must be maximal, tables properly nested.
 */
static void check_walk(struct ctx *c, const struct ref_model *m, uint64_t va,
		       uint64_t last, bool tables)
{
	const struct ptk_fmt *f = c->f;
	const struct wr_event *prev_leaf = NULL;
	struct wr_event stack[PTK_MAX_LEVELS + 1];
	uint64_t ntables[PTK_MAX_LEVELS] = { 0 }, want[PTK_MAX_LEVELS];
	uint64_t cursor = va, half = 0;
	bool done = false, se = f->features & PTK_FMT_SIGN_EXTEND;
	unsigned int depth = 0, l;
	size_t i, mi = rm_lower(m, va);
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

		/* leaves, one by one, against the model (a contiguous
		 * group is one unit of 2^contig_lg2 leaves) */
		if (!e->count ||
		    (e->size_lg2 != f->level_shift[e->level] &&
		     (!f->contig_lg2[e->level] ||
		      e->size_lg2 != f->level_shift[e->level] +
					     f->contig_lg2[e->level])))
			PTK_FAIL("walk: bad leaf run %s",
				 wr_event_str(e, buf, sizeof(buf)));
		for (k = 0;
		     k < (e->count << (e->size_lg2 - f->level_shift[e->level]));
		     k++, mi++) {
			const struct rm_leaf *ml = mi < m->n ? &m->v[mi] : NULL;
			uint64_t off = k << f->level_shift[e->level];
			uint64_t lva = e->va + off;

			/* a group's leaves outside the walked range */
			if (lva + ((UINT64_C(1) << f->level_shift[e->level]) -
				   1) <
				    va ||
			    lva > last) {
				mi--;
				continue;
			}

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
		    e->size_lg2 == f->level_shift[e->level] &&
		    prev_leaf->size_lg2 == e->size_lg2 &&
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
	if (mi < m->n && m->v[mi].va <= last)
		PTK_FAIL("walk: model leaf va 0x%" PRIx64 " not reported",
			 m->v[mi].va);
	if (tables) {
		want_tables(c, m, want);
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

/*
 * The whole space of @t with ptk_iter, per leaf and in runs, against @m.
 * Sign-extended spaces alternate between one range from 1 to the top
 * (across the hole; the leaf at 0, if any, straddles its start) and the
 * two halves, the upper one starting in the hole.
 */
static void check_iter_all(struct ctx *c, struct ptk_table *t,
			   const struct ref_model *m)
{
	const struct ptk_fmt *f = c->f;
	unsigned int mode;

	for (mode = 0; mode < 2; mode++) {
		/* every other full check steps with ptk_iter_for_each() */
		unsigned int flags = (mode ? PTK_ITER_RUNS : 0) |
				     (c->nfull & 2 ? IC_FOR_EACH : 0);

		if (!(f->features & PTK_FMT_SIGN_EXTEND)) {
			ic_check(t, m, 0, space_last(f) + 1, flags);
		} else if (c->nfull % 2) {
			ic_check(t, m, 1, UINT64_MAX, flags);
		} else {
			ic_check(t, m, 0, UINT64_C(1) << 63, flags);
			ic_check(t, m, UINT64_C(1) << 63, UINT64_C(1) << 63,
				 flags);
		}
	}
}

static void full_check(struct ctx *c)
{
	int rc;

	c->nfull++;
	c->child_dirty = true;
	check_counts_full(c, true);
	rc = wr_walk(&c->wr, &c->t, 0, 0, true, WR_ALL);
	if (rc) {
		PTK_FAIL("ptk_walk_all: %s", ptk_errname(rc));
		return;
	}
	check_walk(c, &c->m, 0, space_last(c->f), true);
	check_iter_all(c, &c->t, &c->m);
	rc = wr_walk(&c->wr, &c->child, 0, 0, true, WR_ALL);
	if (rc) {
		PTK_FAIL("ptk_walk_all (copy target): %s", ptk_errname(rc));
		return;
	}
	check_walk(c, &c->cm, 0, space_last(c->f), true);
	check_iter_all(c, &c->child, &c->cm);
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

	bool cut = false;
	enum ptk_notify_reason reason;

	for (l = 0; l < c->f->levels; l++)
		before[l] = ptk_table_count(&c->t, l);
	want = wl_expect_args(c->p, op, &enc_only);
	if (!want && op->kind == WL_UNMAP && !(op->flags & PTK_UNMAP_SPLIT))
		cut = group_cut(&c->t, op->va, op->va + op->len - 1);
	ptk_gather_init(&g);
	nrec_reset(c->nr);
	if (op->kind == WL_MAP)
		rc = ptk_map(&c->t, op->va, op->len, op->oa, attrs, op->flags,
			     &g);
	else
		rc = ptk_unmap(&c->t, op->va, op->len, op->flags, &g);
	reason = op->kind == WL_UNMAP			  ? PTK_NOTIFY_UNMAP
		 : (op->flags & PTK_MAP_REPLACE) && attrs ? PTK_NOTIFY_REPLACE
							  : 0;
	if (want && !enc_only)
		reason = 0;

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
		} else if (cut) {
			mrc = PTK_ESPLIT; /* a contiguous group is cut */
		} else {
			mrc = rm_unmap(&c->m, op->va, last,
				       op->flags & PTK_UNMAP_SPLIT,
				       &c->changed);
		}
		/* where a table exists the engine descends and may meet
		 * a leaf level too narrow for the OA before the overlap */
		if (op->kind == WL_MAP && mrc == PTK_EEXIST &&
		    rm_oa_limited(c->f))
			c->m.alt_rc = PTK_ERANGE;
		if (rc != mrc &&
		    !(c->m.alt_rc && rc == c->m.alt_rc && op->kind == WL_MAP))
			PTK_FAIL("got %d %s, model says %d %s", rc,
				 ptk_errname(rc), mrc, ptk_errname(mrc));
		if (rc && !mrc)
			mrc = rc;
	}
	nrec_check(c, c->nr, reason, rc, &c->changed);

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
			if (!rm_gather_covers(&g, c->changed.v[i].va,
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

/* Unmap all of the copy target. */
static void clear_child(struct ctx *c)
{
	const struct ptk_fmt *f = c->f;

	if (f->features & PTK_FMT_SIGN_EXTEND) {
		uint64_t half = UINT64_C(1) << (f->va_bits - 1);

		PTK_ASSERT_OK(
			ptk_unmap(&c->child, 0, half, PTK_UNMAP_SPLIT, NULL));
		PTK_ASSERT_OK(ptk_unmap(&c->child, 0 - half, half,
					PTK_UNMAP_SPLIT, NULL));
	} else {
		PTK_ASSERT_OK(ptk_unmap(&c->child, 0, space_last(f) + 1,
					PTK_UNMAP_SPLIT, NULL));
	}
	rm_clear(&c->cm);
	c->child_dirty = true;
}

/* rm_reattr_fn for protect: the new prot, as the format encodes it. */
struct reprot_arg {
	const struct wl_profile *p;
	uint32_t prot;
	bool superset;
	bool cow; /* remove WRITE instead */
};

static int reprot_fn(void *arg, unsigned int level, struct ptk_attrs *a)
{
	struct reprot_arg *r = arg;
	struct ptk_attrs n = *a;
	uint32_t set;

	(void)level;
	n.prot = r->cow ? a->prot & ~(uint32_t)PTK_PROT_WRITE : r->prot;
	if (!r->p->generic) {
		if ((n.prot & r->p->need_prot) != r->p->need_prot &&
		    !r->superset)
			return PTK_EPROT;
		n.prot |= r->p->need_prot;
		*a = n;
		return 0;
	}
	set = wl_encode(r->p, &n, r->superset, a);
	if (set)
		return -__builtin_ctz(set);
	return 0;
}

/* For collapse: the attributes must encode at the new level. */
static int enc_fn(void *arg, unsigned int level, struct ptk_attrs *a)
{
	const struct wl_profile *p = arg;
	uint32_t set;

	(void)level;
	if (!p->generic)
		return 0;
	set = wl_encode(p, a, false, NULL);
	return set ? -__builtin_ctz(set) : 0;
}

static int harvest_cb(ptk_va_t va, uint64_t len, unsigned int found, void *arg)
{
	struct rm_runs *r = arg;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		PTK_ASSERT(r->v);
	}
	r->v[r->n].va = va;
	r->v[r->n].last = va + (len - 1);
	r->v[r->n].found = found;
	r->n++;
	return 0;
}

static void check_runs(struct ctx *c)
{
	size_t i;

	if (c->got_runs.n != c->runs.n)
		PTK_FAIL("harvest: %zu callbacks, model has %zu runs",
			 c->got_runs.n, c->runs.n);
	for (i = 0; i < c->got_runs.n && i < c->runs.n; i++)
		if (c->got_runs.v[i].va != c->runs.v[i].va ||
		    c->got_runs.v[i].last != c->runs.v[i].last ||
		    c->got_runs.v[i].found != c->runs.v[i].found) {
			PTK_FAIL("harvest run %zu: [0x%" PRIx64 ", 0x%" PRIx64
				 "] found %#x, model [0x%" PRIx64 ", 0x%" PRIx64
				 "] found %#x",
				 i, c->got_runs.v[i].va, c->got_runs.v[i].last,
				 c->got_runs.v[i].found, c->runs.v[i].va,
				 c->runs.v[i].last, c->runs.v[i].found);
			return;
		}
}

/*
 * Where a successful @op can have changed the model: its range widened
 * by the largest page on each side (whole leaves and groups a harvest
 * clears, huge leaves cut), or for split and collapse the span of the
 * one entry at their level; the whole space when that is most of it.
 */
static void diff_window(const struct ctx *c, const struct wl_op *op,
			uint64_t *lo, uint64_t *hi)
{
	const struct ptk_fmt *f = c->f;
	uint64_t last = op->va + op->len - 1, sl;
	unsigned int tl = 0, sh;

	while (tl + 1 < f->levels && (f->leaf_levels & (1u << (tl + 1))))
		tl++;
	sh = f->level_shift[tl] + f->contig_lg2[tl];
	if (op->kind == WL_SPLIT || op->kind == WL_COLLAPSE) {
		if (op->arg >= f->levels)
			sh = 64;
		else if (f->level_shift[op->arg] + f->contig_lg2[op->arg] > sh)
			sh = f->level_shift[op->arg] + f->contig_lg2[op->arg];
		last = op->va;
	} else if (!op->len) {
		sh = 64;
	}
	if (sh >= 62) {
		*lo = 0;
		*hi = space_last(f);
		return;
	}
	sl = UINT64_C(1) << sh;
	*lo = op->va > sl ? (op->va & ~(sl - 1)) - sl : 0;
	*hi = last > UINT64_MAX - 2 * sl || last < op->va
		      ? UINT64_MAX
		      : (last | (sl - 1)) + sl;
}

/* protect, harvest, copy, move, split, collapse. */
static void range_op(struct ctx *c, const struct wl_op *op)
{
	uint64_t before[PTK_MAX_LEVELS], cbefore[PTK_MAX_LEVELS];
	uint64_t live = c->arena.stats.live, last = op->va + op->len - 1;
	uint64_t lfl, nfree;
	bool use_g = ptk_rand_chance(&c->r, 3, 4), maybe = false;
	struct ptk_gather g, *gp = use_g ? &g : NULL;
	enum ptk_notify_reason reason = 0;
	struct reprot_arg ra = { c->p, op->arg, false, false };
	uint32_t want = wl_expect_range_args(c->p, op);
	unsigned int l;
	int rc = 0, mrc = 0, alt = 0;
	char buf[64];
	size_t i;

	for (l = 0; l < c->f->levels; l++) {
		before[l] = ptk_table_count(&c->t, l);
		cbefore[l] = ptk_table_count(&c->child, l);
	}
	bool cut = false, grp = false;
	uint64_t g0, g1;

	if (!want && (op->kind == WL_PROTECT || op->kind == WL_MOVE))
		cut = group_cut(&c->t, op->va, last);
	if (!want && op->kind == WL_SPLIT) {
		const struct rm_leaf *ml = rm_lookup(&c->m, op->va);

		grp = group_span(&c->t, op->va, &g0, &g1) && ml &&
		      ml->level == op->arg;
	}
	rm_copy_model(&c->om, &c->m);
	ptk_gather_init(&g);
	nrec_reset(c->nr);
	nrec_reset(c->ncr);
	c->got_runs.n = 0;

	switch (op->kind) {
	case WL_PROTECT:
		reason = PTK_NOTIFY_PROTECT;
		rc = ptk_protect(&c->t, op->va, op->len, op->arg, op->flags,
				 gp);
		if (want)
			break;
		ra.superset = op->flags & PTK_PROTECT_SUPERSET;
		mrc = rm_reattr(&c->m, op->va, last,
				op->flags & PTK_PROTECT_SPLIT, reprot_fn, &ra);
		alt = c->m.alt_rc;
		if (!(op->flags & PTK_PROTECT_SPLIT) && cut) {
			/* a contiguous group is cut: ESPLIT, or the other
			 * error the model found (either may come first) */
			rm_copy_model(&c->m, &c->om);
			if (mrc && mrc != PTK_ESPLIT)
				alt = mrc;
			mrc = PTK_ESPLIT;
		}
		break;
	case WL_HARVEST: {
		bool clear = op->flags & PTK_HARVEST_CLEAR;
		uint64_t cv = op->va, cl = last;

		if (clear)
			reason = (op->arg & PTK_ATTR_DIRTY)
					 ? PTK_NOTIFY_CLEAR_DIRTY
					 : PTK_NOTIFY_CLEAR_ACCESSED;
		if (!want && group_span(&c->t, op->va, &g0, &g1))
			cv = g0;
		if (!want && group_span(&c->t, last, &g0, &g1))
			cl = g1;
		rc = ptk_harvest(&c->t, op->va, op->len, op->arg, op->flags,
				 harvest_cb, &c->got_runs, gp);
		if (want)
			break;
		rm_harvest(&c->m, op->va, last, op->arg, clear, cv, cl,
			   &c->runs);
		if (!rc)
			check_runs(c);
		break;
	}
	case WL_COPY: {
		bool cow = op->flags & PTK_COPY_COW;

		c->child_dirty = true;
		if (cow)
			reason = PTK_NOTIFY_COPY_WP;
		if (!want && ptk_rand_chance(&c->r, 3, 4)) {
			/* mostly into an empty range */
			/* (x86_32: splitting a PSE-36 leaf may not fit) */
			PTK_ASSERT_RC(ptk_unmap(&c->child, op->va, op->len,
						PTK_UNMAP_SPLIT, NULL),
				      rm_unmap(&c->cm, op->va, last, true,
					       NULL));
			for (l = 0; l < c->f->levels; l++)
				cbefore[l] = ptk_table_count(&c->child, l);
			live = c->arena.stats.live;
			nrec_reset(c->ncr);
		}
		rc = ptk_copy(&c->child, &c->t, op->va, op->len, op->flags, gp);
		if (want)
			break;
		mrc = rm_copy_check(&c->cm, &c->m, op->va, last, cow, &maybe,
				    &alt);
		if (maybe && rc == PTK_EEXIST)
			mrc = PTK_EEXIST;
		rm_copy_model(&c->om2, &c->cm);
		if (!mrc) {
			ra.cow = true;
			mrc = rm_copy_apply(&c->cm, &c->m, op->va, last,
					    cow ? reprot_fn : NULL, &ra);
			if (mrc) {
				rm_copy_model(&c->m, &c->om);
				rm_copy_model(&c->cm, &c->om2);
			}
		} else if (rm_oa_limited(c->f) && !alt) {
			alt = PTK_ERANGE;
		}
		break;
	}
	case WL_MOVE: {
		bool split = op->flags & PTK_MOVE_SPLIT;

		reason = PTK_NOTIFY_MOVE;
		rc = ptk_move(&c->t, op->va, op->new_va, op->len, op->flags,
			      gp);
		if (want)
			break;
		mrc = rm_move_check(&c->m, op->va, last, op->new_va - op->va,
				    split, &maybe, &alt);
		if (!mrc && !split && cut)
			mrc = PTK_ESPLIT;
		if (maybe && rc == PTK_EEXIST)
			mrc = PTK_EEXIST;
		if (!mrc) {
			mrc = rm_move_apply(&c->m, op->va, last,
					    op->new_va - op->va, split);
			if (mrc)
				rm_copy_model(&c->m, &c->om);
		} else if (rm_oa_limited(c->f) && !alt) {
			alt = PTK_ERANGE;
		}
		break;
	}
	case WL_SPLIT:
		reason = PTK_NOTIFY_SPLIT;
		rc = ptk_split(&c->t, op->va, op->arg, gp);
		if (want)
			break;
		mrc = rm_split(&c->m, op->va, op->arg, grp);
		break;
	case WL_COLLAPSE:
		reason = PTK_NOTIFY_COLLAPSE;
		rc = ptk_collapse(&c->t, op->va, op->arg, gp);
		if (want)
			break;
		mrc = rm_collapse(&c->m, op->va, op->arg, enc_fn, (void *)c->p);
		break;
	default:
		PTK_ASSERT(0);
	}
	c->rcs[op->kind][rc < 0 && rc > -32 ? -rc : 0]++;

	if (want) {
		if (rc >= 0 || !(want & WL_ERR(rc)))
			PTK_FAIL("got %d %s, want %s", rc, ptk_errname(rc),
				 wl_err_set_str(want, buf, sizeof(buf)));
		reason = 0;
		mrc = rc;
	} else if (rc != mrc && !(alt && rc == alt)) {
		PTK_FAIL("got %d %s, model says %d %s", rc, ptk_errname(rc),
			 mrc, ptk_errname(mrc));
	}
	if (rc && !mrc)
		mrc = rc;
	if (rc) {
		/* the model said no too: it must be unchanged */
		rm_copy_model(&c->m, &c->om);
		if (op->kind == WL_COPY && !want)
			rm_copy_model(&c->cm, &c->om2);
	}

	/*
	 * What changed, compared where it can have: the range(s), widened by
	 * the largest page (whole leaves and groups a harvest clears; split
	 * and collapse change the span of one entry at their level). After a
	 * failure the model was put back: it must equal the copy exactly.
	 */
	if (rc) {
		c->diff.n = 0;
		if (c->m.n != c->om.n ||
		    (c->m.n &&
		     memcmp(c->m.v, c->om.v, c->m.n * sizeof(*c->m.v))))
			rm_ranges_add(&c->diff, op->va, op->va);
	} else {
		uint64_t lo, hi;

		diff_window(c, op, &lo, &hi);
		rm_diff(&c->om, &c->m, lo, hi, &c->diff);
		if (op->kind == WL_MOVE) {
			struct rm_ranges d2 = { 0 };
			uint64_t nl = op->new_va + (op->len - 1);

			rm_diff(&c->om, &c->m, op->new_va,
				nl < op->new_va ? UINT64_MAX : nl, &d2);
			for (i = 0; i < d2.n; i++)
				rm_ranges_add(&c->diff, d2.v[i].va,
					      d2.v[i].last);
			rm_ranges_free(&d2);
		}
	}
	nrec_check(c, c->nr, reason, rc, &c->diff);
	nrec_check(c, c->ncr, 0, rc, NULL);
	if (rc) {
		if (use_g && !gather_untouched(&g))
			PTK_FAIL("failed op changed the gather");
		for (l = 0; l < c->f->levels; l++)
			if (ptk_table_count(&c->t, l) != before[l] ||
			    ptk_table_count(&c->child, l) != cbefore[l])
				PTK_FAIL("failed op changed level %u tables",
					 l);
		if (c->arena.stats.live != live)
			PTK_FAIL("failed op changed live blocks %" PRIu64
				 " -> %" PRIu64,
				 live, c->arena.stats.live);
		if (c->diff.n)
			PTK_FAIL("model changed by a failed op");
	} else if (use_g) {
		check_gather_shape(&g);
		for (i = 0; i < c->diff.n; i++)
			if (op->kind != WL_COPY &&
			    !rm_gather_covers(&g, c->diff.v[i].va,
					      c->diff.v[i].last))
				PTK_FAIL("gather misses changed range "
					 "[0x%" PRIx64 ", 0x%" PRIx64 "]",
					 c->diff.v[i].va, c->diff.v[i].last);
	}
	lfl = c->arena.stats.live;
	nfree = g.nr_free;
	if (use_g) {
		ptk_table_flush(&c->t, &g);
		if (lfl - c->arena.stats.live != nfree)
			PTK_FAIL("flush freed %" PRIu64 " blocks, gather said "
				 "%" PRIu64,
				 lfl - c->arena.stats.live, nfree);
	}
	check_counts(c);

	/* probes on both ranges, and the copy target */
	{
		struct wl_op p2 = *op;

		if (op->kind == WL_MOVE) {
			p2.va = op->new_va;
			probes_around(c, &p2);
		}
		if (op->kind == WL_SPLIT || op->kind == WL_COLLAPSE) {
			p2.va = op->va &
				~((UINT64_C(1) << wl_min_lg2(c->f)) - 1);
			p2.len = UINT64_C(1) << wl_min_lg2(c->f);
		}
		probes_around(c, &p2);
		if (op->kind == WL_COPY && op->len) {
			probe_tm(c, &c->child, &c->cm, op->va);
			probe_tm(c, &c->child, &c->cm, last);
			probe_tm(c, &c->child, &c->cm,
				 op->va + ptk_rand_below(&c->r, op->len));
		}
	}
	/* keep the copy target small */
	if (c->cm.n > 2000)
		clear_child(c);
}

static void step(struct ctx *c, const struct wl_op *op)
{
	unsigned int fails = ptk_test_failures();
	uint32_t want;
	bool enc_only;
	char buf[256];
	int rc;

	if (c->trace) {
		fprintf(stderr, "step %" PRIu64 ": %s\n", c->step,
			op_str(op, buf, sizeof(buf)));
		if (c->trace > 1 && op->len) {
			size_t i;
			uint64_t lo = op->va, hi = op->va + op->len - 1;

			if (op->kind == WL_MOVE && op->new_va < lo)
				lo = op->new_va;
			if (op->kind == WL_MOVE &&
			    op->new_va + op->len - 1 > hi)
				hi = op->new_va + op->len - 1;
			for (i = rm_lower(&c->m, lo);
			     i < c->m.n && c->m.v[i].va <= hi; i++)
				fprintf(stderr,
					"   leaf va 0x%" PRIx64 " oa 0x%" PRIx64
					" level %u prot %#x flags %#x mt %u "
					"sw %#x\n",
					c->m.v[i].va, c->m.v[i].oa,
					c->m.v[i].level, c->m.v[i].attrs.prot,
					c->m.v[i].attrs.flags,
					c->m.v[i].attrs.memtype,
					c->m.v[i].attrs.sw);
		}
	}
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
			struct ptk_iter it;
			int irc;

			if (rc >= 0 || !(want & WL_ERR(rc)))
				PTK_FAIL("walk: got %s, want %s",
					 ptk_errname(rc),
					 wl_err_set_str(want, buf, 64));
			/* the iterator takes ranges the way ptk_walk() does */
			irc = ptk_iter_init(&it, &c->t, op->va, op->len, 0);
			if (irc >= 0 || !(want & WL_ERR(irc)))
				PTK_FAIL("ptk_iter_init: got %s, want %s",
					 ptk_errname(irc),
					 wl_err_set_str(want, buf, 64));
			if (ptk_iter_next(&it))
				PTK_FAIL("ptk_iter_next after a failed init");
			ptk_iter_fini(&it);
		} else if (rc) {
			PTK_FAIL("walk: %s", ptk_errname(rc));
		} else {
			check_walk(c, &c->m, op->va, op->va + op->len - 1,
				   false);
			/* the same range with the iterator, per leaf and in
			 * runs (sometimes without decoded attributes) */
			ic_check(&c->t, &c->m, op->va, op->len,
				 c->step & 2 ? IC_FOR_EACH : 0);
			ic_check(&c->t, &c->m, op->va, op->len,
				 PTK_ITER_RUNS |
					 (c->step & 1 ? PTK_ITER_NO_ATTRS : 0));
		}
		c->rcs[op->kind][rc < 0 && rc > -32 ? -rc : 0]++;
		break;
	case WL_PROBE:
		probe(c, op->va);
		probes_around(c, op);
		break;
	default:
		range_op(c, op);
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
	unsigned int tb = p->fmt->table_oa_bits ? p->fmt->table_oa_bits
						: p->fmt->oa_bits;
	ptk_oa_t base = tb < 40 ? UINT64_C(0x40000000) : UINT64_C(0x100000000);

	memset(c, 0, sizeof(*c));
	c->p = p;
	c->f = p->fmt;
	c->hash = table_flags & PTK_TABLE_HASH;
	ptk_test_rand(&c->r);
	PTK_ASSERT_OK(ptk_mem_arena_create(&c->arena, base, 256 << 20));
	c->rmem.inner = &c->arena;
	c->rmem.mem = c->arena.mem; /* linear window and all */
	c->rmem.mem.ops = &rec_ops;
	c->rmem.mem.arg = &c->rmem;
	PTK_ASSERT_OK(ptk_table_create(&c->t, c->f, &c->rmem.mem, table_flags));
	PTK_ASSERT_OK(
		ptk_table_create(&c->child, c->f, &c->rmem.mem, table_flags));
	PTK_ASSERT_EQ(c->arena.stats.live, 2);
	rm_geom_from_fmt(&g, c->f);
	rm_init(&c->m, &g);
	rm_init(&c->cm, &g);
	rm_init(&c->om, &g);
	rm_init(&c->om2, &g);
	wl_init(&c->w, p, &c->m, ptk_rand_next(&c->r));
	c->w.range_ops = true;
	c->trace = (unsigned int)ptk_test_env_u64("PTK_TRACE", 0);
	c->check_every = ptk_test_env_u64("PTK_CHECK_EVERY", 1);
	if (!c->check_every)
		c->check_every = 1;
	c->nr = calloc(2, sizeof(*c->nr));
	PTK_ASSERT(c->nr);
	c->ncr = c->nr + 1;
	c->nr->n.ops = c->ncr->n.ops = &nrec_ops;
	c->nr->n.arg = c->nr;
	c->ncr->n.arg = c->ncr;
	c->nr->c = c->ncr->c = c;
	PTK_ASSERT_OK(ptk_notifier_register(&c->t, &c->nr->n));
	PTK_ASSERT_OK(ptk_notifier_register(&c->child, &c->ncr->n));
}

static void ctx_fini(struct ctx *c)
{
	PTK_EXPECT_OK(ptk_notifier_unregister(&c->t, &c->nr->n));
	PTK_EXPECT_OK(ptk_notifier_unregister(&c->child, &c->ncr->n));
	free(c->nr);
	ptk_table_destroy(&c->child);
	rm_fini(&c->cm);
	rm_fini(&c->om);
	rm_fini(&c->om2);
	rm_ranges_free(&c->diff);
	rm_runs_free(&c->runs);
	rm_runs_free(&c->got_runs);
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
	clear_child(c);
	PTK_EXPECT_EQ(c->m.n, 0);
	for (unsigned int l = 0; l < f->levels; l++)
		PTK_EXPECT_EQ(ptk_table_count(&c->t, l), 0);
	PTK_EXPECT_EQ(c->arena.stats.live, 2);
}

static void print_stats(const struct ctx *c, uint64_t nops)
{
	unsigned int k, e, l;

	printf("%s: %" PRIu64 " ops, seed 0x%016" PRIx64 ", max %" PRIu64
	       " leaves, max %" PRIu64 " tables, %" PRIu64 " notifier-checked "
	       "ops\n",
	       c->p->name, nops, ptk_test_seed(), c->max_leaves, c->max_tables,
	       c->notify_ops);
	for (k = 0; k < WL_NR_KINDS; k++) {
		if (k == WL_PROBE)
			continue;
		printf("  %-9s", wl_kind_names[k]);
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
	uint64_t every = ptk_test_env_u64("PTK_FULL_EVERY", FULL_CHECK_EVERY);
	struct wl_op op;
	struct ctx c;

	ctx_init(&c, p, table_flags);
	for (i = 0; i < nops; i++) {
		c.step = i;
		wl_next(&c.w, &op);
		step(&c, &op);
		if (i % every == every - 1 || i + 1 == nops) {
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

/*
 * Default operation counts. The issue asks for 200,000 per format for
 * the foundation formats (x86_64, x86_64_la57: their hand-written
 * profiles); the others run fewer by default so that the whole suite
 * stays within its time budget, and PTK_OPS_SCALE=100 (the `long`
 * tests) multiplies all of them.
 */
#define DEFAULT_OPS 200000
#define OTHER_OPS 4000

/*
 * Other formats: OTHER_OPS, halved per 4x of granule (a 16K / 64K table
 * costs the per-step table checks 4 / 16 times as much): 4000 for 4K
 * granules, 2000 for 16K, 1000 for 64K.
 */
static uint64_t other_ops(const struct ptk_fmt *f)
{
	unsigned int g = f->level_shift[0] > 12 ? f->level_shift[0] - 12 : 0;

	return OTHER_OPS >> (g / 2);
}

static const struct wl_profile *profile_for(const struct ptk_fmt *f,
					    struct wl_profile *buf)
{
	if (f == &ptk_fmt_x86_64)
		return &wl_x86_64;
	if (f == &ptk_fmt_x86_64_la57)
		return &wl_x86_64_la57;
	wl_profile_from_fmt(buf, f);
	return buf;
}

/*
 * model_<format> and model_<format>_generic for every built-in format
 * (the registry: ptk_fmt_count()/ptk_fmt_get()), and model_toy32.
 */
static void test_by_name(void)
{
	const char *name = ptk_test_name() + strlen("model_");
	char fname[64];
	const struct ptk_fmt *f;
	struct wl_profile pbuf;
	bool generic = false, hash = false;
	size_t n = strlen(name);
	uint64_t ops;

	if (n > 5 && !strcmp(name + n - 5, "_hash")) {
		hash = true;
		n -= 5;
	}
	if (n == 5 && !strncmp(name, "toy32", 5)) {
		run(&wl_toy, hash ? PTK_TABLE_HASH : 0, hash ? 5000 : 20000);
		return;
	}
	if (n > 8 && !strncmp(name + n - 8, "_generic", 8)) {
		generic = true;
		n -= 8;
	}
	PTK_ASSERT(n < sizeof(fname));
	memcpy(fname, name, n);
	fname[n] = 0;
	f = ptk_fmt_lookup(fname);
	PTK_ASSERT(f);
	ops = (f == &ptk_fmt_x86_64 || f == &ptk_fmt_x86_64_la57)
		      ? DEFAULT_OPS
		      : other_ops(f);
	/* the run-time instance and the hashed table: a tenth for x86_64 /
	 * la57, else a quarter */
	run(profile_for(f, &pbuf),
	    (generic ? PTK_TABLE_GENERIC : 0) | (hash ? PTK_TABLE_HASH : 0),
	    !generic && !hash	 ? ops
	    : ops == DEFAULT_OPS ? ops / 10
				 : ops / 4);
}

static struct ptk_test tests[3 * 64 + 3];
static char names[3 * 64 + 3][80];

/*
 * model_<format>, model_<format>_generic and model_<format>_hash (the
 * hashed implementation) for every built-in format, model_toy32 and
 * model_toy32_hash.
 */
int main(int argc, char **argv)
{
	static const char *const suffix[3] = { "", "_generic", "_hash" };
	size_t i, n = 0;
	int k;

	for (i = 0; i < ptk_fmt_count() && n + 5 < 3 * 64 + 3; i++) {
		for (k = 0; k < 3; k++) {
			snprintf(names[n], sizeof(names[n]), "model_%s%s",
				 ptk_fmt_get(i)->name, suffix[k]);
			tests[n].name = names[n];
			tests[n++].fn = test_by_name;
		}
	}
	tests[n].name = "model_toy32";
	tests[n++].fn = test_by_name;
	tests[n].name = "model_toy32_hash";
	tests[n++].fn = test_by_name;
	return ptk_test_main(argc, argv, tests);
}
