// SPDX-License-Identifier: MIT
/*
 * Differential test: the specialised engine instance against the run-time
 * (descriptor-driven) one.
 *
 * The same random operation sequence runs on two tables of one format,
 * one created with flags 0 and one with PTK_TABLE_GENERIC, each in its
 * own simulated arena with the same base and size. After every
 * operation the return codes, the gathers and the arenas' whole used
 * memory (every byte, freed blocks included) must be identical, and so
 * must translations of probe addresses; walks are compared event by
 * event. No expected value comes from the engine: the two instances are
 * each other's oracle (test_model checks them against the model).
 *
 * toy32 has no specialised instance, so both of its tables run the
 * run-time one: the test then shows the engine is deterministic.
 *
 * diff_<format>_hash (and diff_toy32_hash) run the same sequences with
 * the radix engine as the oracle for the hashed implementation: return
 * codes, harvest runs, translations of the probes (output address, raw
 * entry, level, size) and every leaf event of the walks must be equal,
 * and so must the pages and batch boundaries of the batched walks
 * (@leaves, with and without holes); so must the copy targets' leaves. Memory, gathers, holes and table
 * events differ by nature and are not compared (test_model checks the
 * hashed gathers against the model).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/arena_util.h"
#include "model/ref_model.h"
#include "model/walk_rec.h"
#include "model/workload.h"

#define ARENA_SIZE (256u << 20)

struct side {
	struct ptk_mem_arena arena;
	struct ptk_table t;
	struct ptk_table child; /* ptk_copy()'s destination */
	struct walk_rec wr;
	struct ptk_gather g;
	struct rm_runs runs; /* what ptk_harvest() reported */
	int rc, rc2;
};

struct dctx {
	const struct wl_profile *p;
	struct side s[2];
	struct ref_model m; /* only to steer the workload */
	struct wl w;
	struct ptk_rand r;
	struct au_map free_a, free_b;
	bool clear_child;
	uint64_t child_ops;
	bool hash; /* side B is a hashed table, side A the radix oracle */
};

/* Side @k's table flags. */
static unsigned int side_flags(const struct dctx *c, int k)
{
	if (!k)
		return 0;
	return c->hash ? PTK_TABLE_HASH : PTK_TABLE_GENERIC;
}

/* What walks record: leaves only against a hashed table. */
static unsigned int walk_hooks(const struct dctx *c)
{
	return c->hash ? WR_LEAVES : WR_ALL;
}

/* Rebuild the steering model from side A's table (after range ops). */
static void resync(struct dctx *c)
{
	struct side *a = &c->s[0];
	const struct ptk_fmt *f = c->p->fmt;
	size_t i;
	uint64_t k;

	PTK_ASSERT_OK(wr_walk(&a->wr, &a->t, 0, 0, true, WR_LEAVES));
	rm_clear(&c->m);
	for (i = 0; i < a->wr.n; i++) {
		const struct wr_event *e = &a->wr.v[i];
		unsigned int sh = f->level_shift[e->level];
		uint64_t n = e->count << (e->size_lg2 - sh);

		for (k = 0; k < n; k++) {
			struct rm_leaf l = { 0 };

			l.va = e->va + (k << sh);
			l.oa = e->oa + (k << sh);
			l.attrs = e->attrs;
			l.level = (uint8_t)e->level;
			l.size_lg2 = (uint8_t)sh;
			rm_append(&c->m, &l);
		}
	}
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

static void apply(struct dctx *c, struct side *s, const struct wl_op *op)
{
	const struct ptk_attrs *attrs = op->attrs_null ? NULL : &op->attrs;

	ptk_gather_init(&s->g);
	s->runs.n = 0;
	s->rc2 = 0;
	switch (op->kind) {
	case WL_PROTECT:
		s->rc = ptk_protect(&s->t, op->va, op->len, op->arg, op->flags,
				    &s->g);
		break;
	case WL_HARVEST:
		s->rc = ptk_harvest(&s->t, op->va, op->len, op->arg, op->flags,
				    harvest_cb, &s->runs, &s->g);
		break;
	case WL_COPY:
		/* (both sides must agree on this too; compared below) */
		if (c->clear_child)
			s->rc2 = ptk_unmap(&s->child, op->va, op->len,
					   PTK_UNMAP_SPLIT, NULL);
		s->rc = ptk_copy(&s->child, &s->t, op->va, op->len, op->flags,
				 &s->g);
		break;
	case WL_MOVE:
		s->rc = ptk_move(&s->t, op->va, op->new_va, op->len, op->flags,
				 &s->g);
		break;
	case WL_SPLIT:
		s->rc = ptk_split(&s->t, op->va, op->arg, &s->g);
		break;
	case WL_COLLAPSE:
		s->rc = ptk_collapse(&s->t, op->va, op->arg, &s->g);
		break;
	case WL_MAP:
		s->rc = ptk_map(&s->t, op->va, op->len, op->oa, attrs,
				op->flags, &s->g);
		break;
	case WL_UNMAP:
		s->rc = ptk_unmap(&s->t, op->va, op->len, op->flags, &s->g);
		break;
	case WL_WALK:
		s->rc = wr_walk(&s->wr, &s->t, op->va, op->len, false,
				walk_hooks(c));
		break;
	case WL_PROBE:
	default:
		s->rc = 0;
		break;
	}
}

/* What ptk_walk() hands a @leaves hook: every page, and where batches end. */
struct brec {
	struct ptk_walk_page *v;
	uint64_t *ends; /* bit 63: a hole came before the batch */
	size_t n, nends, cap, capends;
	bool hole;
};

static int brec_leaves(const struct ptk_walk_batch *b, void *arg)
{
	struct brec *r = arg;
	uint64_t i;

	if (r->n + b->count > r->cap) {
		r->cap = 2 * (r->n + b->count) + 256;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		PTK_ASSERT(r->v);
	}
	if (r->nends == r->capends) {
		r->capends = 2 * r->capends + 64;
		r->ends = realloc(r->ends, r->capends * sizeof(*r->ends));
		PTK_ASSERT(r->ends);
	}
	for (i = 0; i < b->count; i++)
		r->v[r->n++] = b->pages[i];
	r->ends[r->nends++] = (uint64_t)r->n | ((uint64_t)b->level << 48) |
			      ((uint64_t)b->size_lg2 << 52) |
			      ((uint64_t)r->hole << 63);
	r->hole = false;
	return 0;
}

static int brec_hole(ptk_va_t va, ptk_va_t last, unsigned int level, void *arg)
{
	struct brec *r = arg;

	(void)va;
	(void)last;
	(void)level;
	r->hole = true;
	return 0;
}

/*
 * The batched walk (@leaves) of [va, va + len), with and without a hole
 * hook, on both sides: the same pages, cut into the same batches.
 */
static void compare_batches(struct dctx *c, uint64_t va, uint64_t len, bool all)
{
	static const struct ptk_walk_ops ops[2] = {
		{ .leaves = brec_leaves },
		{ .leaves = brec_leaves, .hole = brec_hole },
	};
	struct brec r[2];
	int k, h, rc[2];

	for (h = 0; h < 2; h++) {
		memset(r, 0, sizeof(r));
		for (k = 0; k < 2; k++)
			rc[k] = all ? ptk_walk_all(&c->s[k].t, &ops[h], &r[k])
				    : ptk_walk(&c->s[k].t, va, len, &ops[h],
					       &r[k]);
		if (rc[0] != rc[1])
			PTK_FAIL("batched walk: %s vs %s", ptk_errname(rc[0]),
				 ptk_errname(rc[1]));
		else if (r[0].n != r[1].n || r[0].nends != r[1].nends ||
			 (r[0].n &&
			  memcmp(r[0].v, r[1].v, r[0].n * sizeof(*r[0].v))) ||
			 (r[0].nends &&
			  memcmp(r[0].ends, r[1].ends,
				 r[0].nends * sizeof(*r[0].ends))))
			PTK_FAIL("batched walk%s: %zu pages in %zu batches vs "
				 "%zu in %zu",
				 h ? " with holes" : "", r[0].n, r[0].nends,
				 r[1].n, r[1].nends);
		/* Each page as translate, which does not share the walk's
		 * code, reads it: both sides could be wrong alike. */
		for (size_t i = 0; i < r[0].n; i++) {
			struct ptk_xlate x;

			if (ptk_translate(&c->s[0].t, r[0].v[i].va, &x) ||
			    x.oa != r[0].v[i].oa) {
				PTK_FAIL("batched walk: page 0x%" PRIx64
					 " at OA 0x%" PRIx64
					 ", translate says otherwise",
					 r[0].v[i].va, r[0].v[i].oa);
				break;
			}
		}
		for (k = 0; k < 2; k++) {
			free(r[k].v);
			free(r[k].ends);
		}
	}
}

static void compare_walks(struct dctx *c)
{
	struct walk_rec *a = &c->s[0].wr, *b = &c->s[1].wr;
	char b1[256], b2[256];
	size_t i;

	if (a->n != b->n)
		PTK_FAIL("walks differ in length: %zu vs %zu", a->n, b->n);
	for (i = 0; i < a->n && i < b->n; i++) {
		if (!wr_event_eq(&a->v[i], &b->v[i])) {
			PTK_FAIL("walk event %zu: %s vs %s", i,
				 wr_event_str(&a->v[i], b1, sizeof(b1)),
				 wr_event_str(&b->v[i], b2, sizeof(b2)));
			return;
		}
	}
}

static bool xlate_eq(int rc0, const struct ptk_xlate *a, int rc1,
		     const struct ptk_xlate *b)
{
	return rc0 == rc1 && a->oa == b->oa && a->pte == b->pte &&
	       a->level == b->level && a->size_lg2 == b->size_lg2;
}

/*
 * Side A's ptk_translate(), side A's ptk_table_translate_fn() entry
 * point (with and without @out) and side B's ptk_translate() (the
 * oracle: the run-time instance, or the radix one against a hashed
 * table) must agree on @va.
 */
static void compare_probe(struct dctx *c, uint64_t va)
{
	ptk_translate_fn_t fn = ptk_table_translate_fn(&c->s[0].t);
	struct ptk_xlate x[3];
	int rc[3], rn, i;

	for (i = 0; i < 3; i++)
		memset(&x[i], 0, sizeof(x[i]));
	rc[0] = ptk_translate(&c->s[0].t, va, &x[0]);
	rc[1] = ptk_translate(&c->s[1].t, va, &x[1]);
	rc[2] = fn(&c->s[0].t, va, &x[2]);
	rn = fn(&c->s[0].t, va, NULL);
	if (!xlate_eq(rc[0], &x[0], rc[1], &x[1]))
		PTK_FAIL("translate 0x%" PRIx64 ": %s oa 0x%" PRIx64
			 " pte 0x%" PRIx64 " level %u vs %s oa 0x%" PRIx64
			 " pte 0x%" PRIx64 " level %u",
			 va, ptk_errname(rc[0]), x[0].oa, x[0].pte, x[0].level,
			 ptk_errname(rc[1]), x[1].oa, x[1].pte, x[1].level);
	if (!xlate_eq(rc[2], &x[2], rc[1], &x[1]) || rn != rc[1])
		PTK_FAIL("translate_fn 0x%" PRIx64 ": %s (%s without out) oa "
			 "0x%" PRIx64 " pte 0x%" PRIx64 " level %u vs %s oa "
			 "0x%" PRIx64 " pte 0x%" PRIx64 " level %u",
			 va, ptk_errname(rc[2]), ptk_errname(rn), x[2].oa,
			 x[2].pte, x[2].level, ptk_errname(rc[1]), x[1].oa,
			 x[1].pte, x[1].level);
}

/*
 * Corrupt leaves: for @va's leaf, each bit flipped in turn in both
 * arenas (equal byte for byte), then compare_probe() (so the entry
 * point must report PTK_ECORRUPT, a miss or another page exactly as the
 * run-time instance does). Flips that would make the entry a table are
 * skipped: the specialised side converts trusted tables unchecked.
 */
static void corrupt_leaf(struct dctx *c, uint64_t va)
{
	const struct ptk_fmt *f = c->p->fmt;
	struct ptk_mem_arena *a = &c->s[0].arena, *b = &c->s[1].arena;
	unsigned int esz = 1u << f->entry_lg2, bit, found = 0;
	struct ptk_xlate x;
	uint64_t off, at = 0;

	if (ptk_translate(&c->s[1].t, va, &x))
		return;
	for (off = 0; off + esz <= a->bump; off += esz) {
		uint64_t e = 0;

		memcpy(&e, a->buf + off, esz);
		if (e == x.pte) {
			at = off;
			found++;
		}
	}
	if (found != 1)
		return; /* (an alias: not this probe) */
	for (bit = 0; bit < 8 * esz; bit++) {
		uint64_t e = x.pte ^ ((uint64_t)1 << bit);

		if (f->hooks->classify(f, x.level, e) == PTK_ENTRY_TABLE)
			continue;
		memcpy(a->buf + at, &e, esz);
		memcpy(b->buf + at, &e, esz);
		compare_probe(c, va);
		memcpy(a->buf + at, &x.pte, esz);
		memcpy(b->buf + at, &x.pte, esz);
	}
}

static void compare_state(struct dctx *c, bool flushed)
{
	struct side *a = &c->s[0], *b = &c->s[1];
	const struct ptk_fmt *f = c->p->fmt;
	unsigned int l;
	uint64_t off;

	for (l = 0; l < f->levels; l++)
		if (ptk_table_count(&a->t, l) != ptk_table_count(&b->t, l))
			PTK_FAIL("level %u table counts differ", l);
	if (a->arena.stats.allocs != b->arena.stats.allocs ||
	    a->arena.stats.frees != b->arena.stats.frees ||
	    a->arena.stats.live != b->arena.stats.live)
		PTK_FAIL("arena stats differ: allocs %" PRIu64 "/%" PRIu64
			 " frees %" PRIu64 "/%" PRIu64,
			 a->arena.stats.allocs, b->arena.stats.allocs,
			 a->arena.stats.frees, b->arena.stats.frees);
	if (ptk_table_root(&a->t) != ptk_table_root(&b->t))
		PTK_FAIL("roots differ");
	/* The arenas' private fields: the used part of the buffers. */
	if (a->arena.bump != b->arena.bump) {
		PTK_FAIL("arena high-water marks differ: 0x%" PRIx64 " vs "
			 "0x"
			 "%" PRIx64,
			 a->arena.bump, b->arena.bump);
		return;
	}
	/*
	 * Freed blocks keep whatever the allocator and the gather left in
	 * them (the engine threads its pending-free list through unlinked
	 * tables, host pointers included), so they are masked out; the free
	 * lists themselves must be equal.
	 */
	if (!flushed)
		return;
	if (!au_mark_free(&c->free_a, &a->arena) ||
	    !au_mark_free(&c->free_b, &b->arena))
		PTK_FAIL("arena free lists are broken");
	if (memcmp(c->free_a.bits, c->free_b.bits, (c->free_a.nbits + 7) / 8))
		PTK_FAIL("arena free lists differ");
	for (off = 0; off < a->arena.bump;) {
		size_t n = a->arena.bump - off < 4096
				   ? (size_t)(a->arena.bump - off)
				   : 4096;

		/* whole 4 KiB chunks at once when nothing in them is free */
		if (au_any(&c->free_a, off, n)) {
			n = AU_GRAIN;
			if (au_test(&c->free_a, off)) {
				off += n;
				continue;
			}
		}
		if (memcmp(a->arena.buf + off, b->arena.buf + off, n)) {
			PTK_FAIL("arena bytes differ in the block at 0x%" PRIx64
				 " (oa 0x%" PRIx64 ")",
				 off, a->arena.base + off);
			return;
		}
		off += n;
	}
}

static void step(struct dctx *c, const struct wl_op *op, uint64_t n, bool full)
{
	unsigned int fails = ptk_test_failures(), i;
	struct side *a = &c->s[0], *b = &c->s[1];
	char buf[256];

	c->clear_child = op->kind == WL_COPY && ptk_rand_chance(&c->r, 3, 4);
	apply(c, a, op);
	apply(c, b, op);
	if (a->rc != b->rc || a->rc2 != b->rc2)
		PTK_FAIL("rc %d %s vs %d %s", a->rc, ptk_errname(a->rc), b->rc,
			 ptk_errname(b->rc));
	if (op->kind == WL_HARVEST) {
		if (a->runs.n != b->runs.n)
			PTK_FAIL("harvest: %zu vs %zu runs", a->runs.n,
				 b->runs.n);
		for (i = 0; i < a->runs.n && i < b->runs.n; i++)
			if (a->runs.v[i].va != b->runs.v[i].va ||
			    a->runs.v[i].last != b->runs.v[i].last ||
			    a->runs.v[i].found != b->runs.v[i].found)
				PTK_FAIL("harvest run %u differs", i);
	}
	if (op->kind == WL_WALK) {
		compare_walks(c);
		if (c->hash)
			compare_batches(c, op->va, op->len, false);
	} else if (op->kind != WL_PROBE) {
		if (c->hash) {
			/* (gathers and memory differ by nature) */
		} else if (a->g.nr != b->g.nr || a->g.flags != b->g.flags ||
			   a->g.nr_free != b->g.nr_free)
			PTK_FAIL("gathers differ: nr %u/%u flags %#x/%#x "
				 "nr_free %" PRIu64 "/%" PRIu64,
				 a->g.nr, b->g.nr, a->g.flags, b->g.flags,
				 a->g.nr_free, b->g.nr_free);
		for (i = 0; !c->hash && i < a->g.nr && i < PTK_GATHER_RANGES;
		     i++)
			if (a->g.ranges[i].va != b->g.ranges[i].va ||
			    a->g.ranges[i].last != b->g.ranges[i].last)
				PTK_FAIL("gather range %u differs", i);
		/* Before the flush too: unlinked tables are still there. */
		if (!c->hash)
			compare_state(c, false);
		ptk_table_flush(&a->t, &a->g);
		ptk_table_flush(&b->t, &b->g);
		if (!c->hash)
			compare_state(c, true);
		/* Keep the steering model in step with what happened. */
		if (!a->rc && op->kind == WL_MAP) {
			struct ptk_attrs eff;

			wl_effective_attrs(c->p, op, &eff);
			rm_map(&c->m, op->va, op->va + op->len - 1, op->oa,
			       &eff, op->flags & PTK_MAP_REPLACE,
			       (op->flags >> 8) & 0x3f, NULL);
		} else if (!a->rc && op->kind == WL_UNMAP) {
			rm_unmap(&c->m, op->va, op->va + op->len - 1,
				 op->flags & PTK_UNMAP_SPLIT, NULL);
		} else if (!a->rc) {
			resync(c);
		}
		/* the copy target: same bytes (compared with the arenas),
		 * emptied now and then */
		if (op->kind == WL_COPY && ++c->child_ops % 64 == 0) {
			for (i = 0; i < 2; i++) {
				ptk_table_destroy(&c->s[i].child);
				PTK_ASSERT_OK(ptk_table_create(
					&c->s[i].child, c->p->fmt,
					&c->s[i].arena.mem,
					side_flags(c, (int)i)));
			}
			if (!c->hash)
				compare_state(c, true);
		}
	}
	compare_probe(c, op->va);
	compare_probe(c, op->va + op->len);
	for (i = 0; i < 6; i++)
		compare_probe(c, wl_probe_va(&c->w));
	if (!c->hash && n % 64 == 0)
		corrupt_leaf(c, op->va);
	if (full) {
		a->rc = wr_walk(&a->wr, &a->t, 0, 0, true, walk_hooks(c));
		b->rc = wr_walk(&b->wr, &b->t, 0, 0, true, walk_hooks(c));
		if (a->rc || b->rc)
			PTK_FAIL("walk_all: %s / %s", ptk_errname(a->rc),
				 ptk_errname(b->rc));
		compare_walks(c);
		if (c->hash) {
			compare_batches(c, 0, 0, true);
			/* the copy targets (radix ones: in the arenas) */
			a->rc = wr_walk(&a->wr, &a->child, 0, 0, true,
					WR_LEAVES);
			b->rc = wr_walk(&b->wr, &b->child, 0, 0, true,
					WR_LEAVES);
			if (a->rc || b->rc)
				PTK_FAIL("walk_all (copy targets): %s / %s",
					 ptk_errname(a->rc),
					 ptk_errname(b->rc));
			compare_walks(c);
		}
	}
	if (ptk_test_failures() != fails) {
		PTK_FAIL("... at step %" PRIu64 ": %s va 0x%" PRIx64
			 " len 0x%" PRIx64 " oa 0x%" PRIx64 " flags %#x arg "
			 "%#x new_va "
			 "0x%" PRIx64,
			 n, wl_kind_names[op->kind], op->va, op->len, op->oa,
			 op->flags, op->arg, op->new_va);
		(void)buf;
		ptk_test_abort();
	}
}

static void run(const struct wl_profile *p, uint64_t def_ops, bool hash)
{
	uint64_t nops = ptk_test_env_u64("PTK_OPS", def_ops) *
			ptk_test_env_u64("PTK_OPS_SCALE", 1),
		 i;
	unsigned int tb = p->fmt->table_oa_bits ? p->fmt->table_oa_bits
						: p->fmt->oa_bits;
	ptk_oa_t base = tb < 40 ? UINT64_C(0x40000000) : UINT64_C(0x100000000);
	struct dctx *c = calloc(1, sizeof(*c));
	struct rm_geom g;
	struct wl_op op;
	int k;

	PTK_ASSERT(c);
	c->p = p;
	c->hash = hash;
	ptk_test_rand(&c->r);
	for (k = 0; k < 2; k++) {
		PTK_ASSERT_OK(
			ptk_mem_arena_create(&c->s[k].arena, base, ARENA_SIZE));
		PTK_ASSERT_OK(ptk_table_create(&c->s[k].t, p->fmt,
					       &c->s[k].arena.mem,
					       side_flags(c, k)));
		PTK_ASSERT_OK(ptk_table_create(&c->s[k].child, p->fmt,
					       &c->s[k].arena.mem,
					       side_flags(c, k)));
	}
	au_map_init(&c->free_a, &c->s[0].arena);
	au_map_init(&c->free_b, &c->s[1].arena);
	rm_geom_from_fmt(&g, p->fmt);
	rm_init(&c->m, &g);
	wl_init(&c->w, p, &c->m, ptk_rand_next(&c->r));
	c->w.range_ops = true;
	if (!hash)
		compare_state(c, true);

	for (i = 0; i < nops; i++) {
		wl_next(&c->w, &op);
		step(c, &op, i, i % 64 == 63 || i + 1 == nops);
	}

	for (k = 0; k < 2; k++) {
		ptk_table_destroy(&c->s[k].child);
		rm_runs_free(&c->s[k].runs);
		ptk_table_destroy(&c->s[k].t);
		PTK_EXPECT_EQ(c->s[k].arena.stats.live, 0);
		ptk_mem_arena_destroy(&c->s[k].arena);
		wr_free(&c->s[k].wr);
	}
	rm_fini(&c->m);
	au_map_free(&c->free_a);
	au_map_free(&c->free_b);
	printf("%s%s: %" PRIu64 " ops\n", p->name, hash ? " (hash)" : "", nops);
	free(c);
}

/*
 * diff_<format> for every built-in format (the registry), and
 * diff_toy32 (both tables on the run-time instance: determinism).
 * x86_64 and x86_64_la57 run 25,000 operations, the others fewer;
 * PTK_OPS / PTK_OPS_SCALE as in test_model.
 */
#define DEFAULT_OPS 25000
#define OTHER_OPS 4000

/* As in test_model: 4000 for 4K granules, 2000 for 16K, 1000 for 64K. */
static uint64_t other_ops(const struct ptk_fmt *f)
{
	unsigned int g = f->level_shift[0] > 12 ? f->level_shift[0] - 12 : 0;

	return OTHER_OPS >> (g / 2);
}

static void test_by_name(void)
{
	const char *name = ptk_test_name() + strlen("diff_");
	const struct ptk_fmt *f;
	struct wl_profile pbuf;
	char fname[64];
	size_t n = strlen(name);
	bool hash = n > 5 && !strcmp(name + n - 5, "_hash");

	if (hash)
		n -= 5;
	PTK_ASSERT(n < sizeof(fname));
	memcpy(fname, name, n);
	fname[n] = 0;
	if (!strcmp(fname, "toy32")) {
		run(&wl_toy, 10000, hash);
		return;
	}
	f = ptk_fmt_lookup(fname);
	PTK_ASSERT(f);
	if (f == &ptk_fmt_x86_64) {
		run(&wl_x86_64, DEFAULT_OPS, hash);
		return;
	}
	if (f == &ptk_fmt_x86_64_la57) {
		run(&wl_x86_64_la57, DEFAULT_OPS, hash);
		return;
	}
	wl_profile_from_fmt(&pbuf, f);
	run(&pbuf, other_ops(f), hash);
}

static struct ptk_test tests[2 * 64 + 2];
static char names[2 * 64 + 2][80];

int main(int argc, char **argv)
{
	size_t i, n = 0;
	int k;

	for (i = 0; i < ptk_fmt_count() && n + 4 < 2 * 64 + 2; i++) {
		for (k = 0; k < 2; k++) {
			snprintf(names[n], sizeof(names[n]), "diff_%s%s",
				 ptk_fmt_get(i)->name, k ? "_hash" : "");
			tests[n].name = names[n];
			tests[n++].fn = test_by_name;
		}
	}
	tests[n].name = "diff_toy32";
	tests[n++].fn = test_by_name;
	tests[n].name = "diff_toy32_hash";
	tests[n++].fn = test_by_name;
	return ptk_test_main(argc, argv, tests);
}
