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

#define ARENA_SIZE (64u << 20)

struct side {
	struct ptk_mem_arena arena;
	struct ptk_table t;
	struct walk_rec wr;
	struct ptk_gather g;
	int rc;
};

struct dctx {
	const struct wl_profile *p;
	struct side s[2];
	struct ref_model m; /* only to steer the workload */
	struct wl w;
	struct ptk_rand r;
	struct au_map free_a, free_b;
};

static void apply(struct dctx *c, struct side *s, const struct wl_op *op)
{
	const struct ptk_attrs *attrs = op->attrs_null ? NULL : &op->attrs;

	ptk_gather_init(&s->g);
	switch (op->kind) {
	case WL_MAP:
		s->rc = ptk_map(&s->t, op->va, op->len, op->oa, attrs,
				op->flags, &s->g);
		break;
	case WL_UNMAP:
		s->rc = ptk_unmap(&s->t, op->va, op->len, op->flags, &s->g);
		break;
	case WL_WALK:
		s->rc = wr_walk(&s->wr, &s->t, op->va, op->len, false, WR_ALL);
		break;
	case WL_PROBE:
		s->rc = 0;
		break;
	}
	(void)c;
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

static void compare_probe(struct dctx *c, uint64_t va)
{
	struct ptk_xlate x[2];
	int rc[2], i;

	for (i = 0; i < 2; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		rc[i] = ptk_translate(&c->s[i].t, va, &x[i]);
	}
	if (rc[0] != rc[1] || x[0].oa != x[1].oa || x[0].pte != x[1].pte ||
	    x[0].level != x[1].level || x[0].size_lg2 != x[1].size_lg2)
		PTK_FAIL("translate 0x%" PRIx64 ": %s oa 0x%" PRIx64
			 " pte 0x%" PRIx64 " level %u vs %s oa 0x%" PRIx64
			 " pte 0x%" PRIx64 " level %u",
			 va, ptk_errname(rc[0]), x[0].oa, x[0].pte, x[0].level,
			 ptk_errname(rc[1]), x[1].oa, x[1].pte, x[1].level);
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
	for (off = 0; off < a->arena.bump; off += AU_GRAIN) {
		size_t n = a->arena.bump - off < AU_GRAIN
				   ? (size_t)(a->arena.bump - off)
				   : AU_GRAIN;

		if (au_test(&c->free_a, off))
			continue;
		if (memcmp(a->arena.buf + off, b->arena.buf + off, n)) {
			PTK_FAIL("arena bytes differ in the block at 0x%" PRIx64
				 " (oa 0x%" PRIx64 ")",
				 off, a->arena.base + off);
			return;
		}
	}
}

static void step(struct dctx *c, const struct wl_op *op, uint64_t n, bool full)
{
	unsigned int fails = ptk_test_failures(), i;
	struct side *a = &c->s[0], *b = &c->s[1];
	char buf[256];

	apply(c, a, op);
	apply(c, b, op);
	if (a->rc != b->rc)
		PTK_FAIL("rc %d %s vs %d %s", a->rc, ptk_errname(a->rc), b->rc,
			 ptk_errname(b->rc));
	if (op->kind == WL_WALK) {
		compare_walks(c);
	} else if (op->kind != WL_PROBE) {
		if (a->g.nr != b->g.nr || a->g.flags != b->g.flags ||
		    a->g.nr_free != b->g.nr_free)
			PTK_FAIL("gathers differ: nr %u/%u flags %#x/%#x "
				 "nr_free %" PRIu64 "/%" PRIu64,
				 a->g.nr, b->g.nr, a->g.flags, b->g.flags,
				 a->g.nr_free, b->g.nr_free);
		for (i = 0; i < a->g.nr && i < PTK_GATHER_RANGES; i++)
			if (a->g.ranges[i].va != b->g.ranges[i].va ||
			    a->g.ranges[i].last != b->g.ranges[i].last)
				PTK_FAIL("gather range %u differs", i);
		/* Before the flush too: unlinked tables are still there. */
		compare_state(c, false);
		ptk_table_flush(&a->t, &a->g);
		ptk_table_flush(&b->t, &b->g);
		compare_state(c, true);
		/* Keep the steering model in step with what happened. */
		if (!a->rc && op->kind == WL_MAP) {
			struct ptk_attrs eff;

			wl_effective_attrs(c->p, op, &eff);
			rm_map(&c->m, op->va, op->va + op->len - 1, op->oa,
			       &eff, op->flags & PTK_MAP_REPLACE,
			       (op->flags >> 8) & 0x3f, NULL);
		} else if (!a->rc) {
			rm_unmap(&c->m, op->va, op->va + op->len - 1,
				 op->flags & PTK_UNMAP_SPLIT, NULL);
		}
	}
	compare_probe(c, op->va);
	compare_probe(c, op->va + op->len);
	for (i = 0; i < 6; i++)
		compare_probe(c, wl_probe_va(&c->w));
	if (full) {
		a->rc = wr_walk(&a->wr, &a->t, 0, 0, true, WR_ALL);
		b->rc = wr_walk(&b->wr, &b->t, 0, 0, true, WR_ALL);
		if (a->rc || b->rc)
			PTK_FAIL("walk_all: %s / %s", ptk_errname(a->rc),
				 ptk_errname(b->rc));
		compare_walks(c);
	}
	if (ptk_test_failures() != fails) {
		PTK_FAIL("... at step %" PRIu64 ": kind %d va 0x%" PRIx64
			 " len 0x%" PRIx64 " oa 0x%" PRIx64 " flags %#x",
			 n, (int)op->kind, op->va, op->len, op->oa, op->flags);
		(void)buf;
		ptk_test_abort();
	}
}

static void run(const struct wl_profile *p, uint64_t def_ops)
{
	uint64_t nops = ptk_test_env_u64("PTK_OPS", def_ops) *
			ptk_test_env_u64("PTK_OPS_SCALE", 1),
		 i;
	ptk_oa_t base = p->fmt->oa_bits < 40 ? UINT64_C(0x40000000)
					     : UINT64_C(0x100000000);
	struct dctx *c = calloc(1, sizeof(*c));
	struct rm_geom g;
	struct wl_op op;
	int k;

	PTK_ASSERT(c);
	c->p = p;
	ptk_test_rand(&c->r);
	for (k = 0; k < 2; k++) {
		PTK_ASSERT_OK(
			ptk_mem_arena_create(&c->s[k].arena, base, ARENA_SIZE));
		PTK_ASSERT_OK(ptk_table_create(&c->s[k].t, p->fmt,
					       &c->s[k].arena.mem,
					       k ? PTK_TABLE_GENERIC : 0));
	}
	au_map_init(&c->free_a, &c->s[0].arena);
	au_map_init(&c->free_b, &c->s[1].arena);
	rm_geom_from_fmt(&g, p->fmt);
	rm_init(&c->m, &g);
	wl_init(&c->w, p, &c->m, ptk_rand_next(&c->r));
	compare_state(c, true);

	for (i = 0; i < nops; i++) {
		wl_next(&c->w, &op);
		step(c, &op, i, i % 64 == 63 || i + 1 == nops);
	}

	for (k = 0; k < 2; k++) {
		ptk_table_destroy(&c->s[k].t);
		PTK_EXPECT_EQ(c->s[k].arena.stats.live, 0);
		ptk_mem_arena_destroy(&c->s[k].arena);
		wr_free(&c->s[k].wr);
	}
	rm_fini(&c->m);
	au_map_free(&c->free_a);
	au_map_free(&c->free_b);
	printf("%s: %" PRIu64 " ops\n", p->name, nops);
	free(c);
}

#define DEFAULT_OPS 100000

PTK_TEST(diff_x86_64)
{
	run(&wl_x86_64, DEFAULT_OPS);
}

PTK_TEST(diff_x86_64_la57)
{
	run(&wl_x86_64_la57, DEFAULT_OPS);
}

PTK_TEST(diff_toy32)
{
	run(&wl_toy, DEFAULT_OPS / 4);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(diff_x86_64),
	PTK_TEST_ENTRY(diff_x86_64_la57),
	PTK_TEST_ENTRY(diff_toy32),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
