// SPDX-License-Identifier: MIT
/*
 * Notifiers beside a caller's gather that is not empty.
 *
 * A caller batching invalidations passes one gather to many operations;
 * each operation adds its ranges to it. A notifier's @after call must
 * still describe only the operation it brackets: the model tests pass an
 * empty gather every time, where "this operation's ranges" and "the
 * caller's gather" are the same thing, so they cannot tell the two
 * apart. Here every operation gets a gather that already holds an
 * unrelated range (UNREL, far from the window the operations touch).
 *
 * Random map (replacing), unmap, protect, clearing harvest, move,
 * copy-on-write (the source is notified), split and collapse run in an
 * 8 MiB window of an x86_64 table and a riscv_sv39 table (Svnapot
 * groups). Around each, every page of the window is translated before
 * and after (OA, level, page size, attributes): that diff, computed here
 * and not by the library, is what changed. Then, for the @after call:
 *  - on success, its ranges are sorted and disjoint, cover every changed
 *    page, and each lies inside the operation's own range(s) widened to
 *    the largest leaf that can exist in the window (2 MiB: a huge leaf
 *    the operation cuts is invalidated whole), so none of them is UNREL
 *    or touches it; on failure there are none and nothing changed;
 *  - the caller's gather still holds UNREL, and covers every changed
 *    page too (the operation's ranges were merged into it).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptkit.h"
#include "ptkit/notify.h"
#include "ptkit/range.h"
#include "harness/ptk_test.h"

#define PG UINT64_C(0x1000)
#define MB2 (UINT64_C(1) << 21)
#define WIN_VA UINT64_C(0x40000000)
#define WIN_LEN (UINT64_C(8) << 20)
#define NPG (WIN_LEN / PG)
#define UNREL_VA UINT64_C(0x10000000) /* below the window */
#define UNREL_LAST (UNREL_VA + 0x3fff)

struct pg {
	int rc;
	uint64_t oa;
	unsigned int level, size_lg2;
	struct ptk_attrs a;
};

struct seen {
	struct ptk_notifier n;
	unsigned int before, after;
	unsigned int nr;
	struct ptk_range ranges[PTK_GATHER_RANGES];
	int result;
};

static void seen_before(struct ptk_notifier *n,
			const struct ptk_notify_event *ev)
{
	struct seen *s = n->arg;

	(void)ev;
	s->before++;
}

static void seen_after(struct ptk_notifier *n,
		       const struct ptk_notify_event *ev)
{
	struct seen *s = n->arg;
	unsigned int i;

	s->after++;
	s->result = ev->result;
	s->nr = ev->nr;
	for (i = 0; i < ev->nr && i < PTK_GATHER_RANGES; i++)
		s->ranges[i] = ev->ranges[i];
}

static const struct ptk_notifier_ops seen_ops = {
	.version = PTK_NOTIFIER_OPS_VERSION,
	.before = seen_before,
	.after = seen_after,
};

/* Every page of the window, as ptk_translate() and the format decode it. */
static void snapshot(const struct ptk_table *t, struct pg *out)
{
	uint64_t i;

	for (i = 0; i < NPG; i++) {
		struct ptk_xlate x;
		struct pg *p = &out[i];

		memset(p, 0, sizeof(*p));
		p->rc = ptk_translate(t, WIN_VA + i * PG, &x);
		if (p->rc)
			continue;
		p->oa = x.oa;
		p->level = x.level;
		p->size_lg2 = x.size_lg2;
		PTK_EXPECT_OK(ptk_leaf_attrs(&p->a, t, x.level, x.pte));
	}
}

static bool pg_same(const struct pg *a, const struct pg *b)
{
	return a->rc == b->rc && a->oa == b->oa && a->level == b->level &&
	       a->size_lg2 == b->size_lg2 && a->a.prot == b->a.prot &&
	       a->a.flags == b->a.flags && a->a.memtype == b->a.memtype &&
	       a->a.sw == b->a.sw;
}

static bool in_ranges(const struct ptk_range *r, unsigned int nr, uint64_t va,
		      uint64_t last)
{
	unsigned int k;

	for (k = 0; k < nr; k++)
		if (r[k].va <= va && last <= r[k].last)
			return true;
	return false;
}

/* The operation's own range(s), widened to whole 2 MiB. */
struct span {
	unsigned int n;
	uint64_t lo[2], hi[2];
};

static void span_add(struct span *s, uint64_t va, uint64_t len)
{
	s->lo[s->n] = va & ~(MB2 - 1);
	s->hi[s->n] = (va + len - 1) | (MB2 - 1);
	s->n++;
}

static bool in_span(const struct span *s, uint64_t va, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->lo[i] <= va && last <= s->hi[i])
			return true;
	return false;
}

struct run {
	const struct ptk_fmt *f;
	struct ptk_mem_arena a;
	struct ptk_table t, child;
	struct seen s;
	struct pg *old, *cur;
	struct ptk_rand r;
	uint32_t need_prot; /* what every leaf of the format must have */
	uint64_t ops, changed_ops, inval_ops, failed_ops, ranges;
};

static int harvest_nop(ptk_va_t va, uint64_t len, unsigned int found, void *arg)
{
	(void)va;
	(void)len;
	(void)found;
	(void)arg;
	return 0;
}

/* A random page-aligned range in the window: often 2 MiB aligned. */
static void pick(struct run *r, uint64_t *va, uint64_t *len)
{
	uint64_t max = 2 * MB2;

	if (ptk_rand_chance(&r->r, 1, 3)) {
		*va = WIN_VA + ptk_rand_below(&r->r, WIN_LEN / MB2) * MB2;
		*len = MB2;
	} else if (ptk_rand_chance(&r->r, 1, 2)) {
		*va = WIN_VA + ptk_rand_below(&r->r, NPG / 16) * 16 * PG;
		*len = (1 + ptk_rand_below(&r->r, 4)) * 16 * PG;
	} else {
		*va = WIN_VA + ptk_rand_below(&r->r, NPG) * PG;
		*len = (1 + ptk_rand_below(&r->r, max / PG)) * PG;
	}
	if (*va + *len > WIN_VA + WIN_LEN)
		*len = WIN_VA + WIN_LEN - *va;
}

static void one_op(struct run *r)
{
	static const uint32_t prots[3] = {
		PTK_PROT_READ,
		PTK_PROT_READ | PTK_PROT_WRITE,
		PTK_PROT_READ | PTK_PROT_EXEC,
	};
	struct ptk_attrs at = { 0, 0, 0, 0 };
	struct ptk_gather g;
	struct span sp = { 0, { 0, 0 }, { 0, 0 } };
	uint64_t va, len, nva = 0, i, oa;
	unsigned int kind = (unsigned int)ptk_rand_below(&r->r, 8), k;
	unsigned int lvl;
	bool changed = false, invalidated = false;
	int rc;

	pick(r, &va, &len);
	snapshot(&r->t, r->old);
	ptk_gather_init(&g);
	ptk_gather_add(&g, UNREL_VA, UNREL_LAST);
	r->s.before = r->s.after = r->s.nr = 0;
	r->s.result = 0;
	span_add(&sp, va, len);
	switch (kind) {
	case 0:
		at.prot = prots[ptk_rand_below(&r->r, 3)] | r->need_prot;
		at.flags = PTK_ATTR_ACCESSED |
			   (ptk_rand_chance(&r->r, 1, 2) ? PTK_ATTR_DIRTY : 0);
		oa = UINT64_C(0x100000000) + (ptk_rand_below(&r->r, 64) << 21) +
		     (va & (MB2 - 1));
		rc = ptk_map(&r->t, va, len, oa, &at, PTK_MAP_REPLACE, &g);
		break;
	case 1:
		rc = ptk_unmap(&r->t, va, len, PTK_UNMAP_SPLIT, &g);
		break;
	case 2:
		rc = ptk_protect(&r->t, va, len,
				 prots[ptk_rand_below(&r->r, 3)] | r->need_prot,
				 PTK_PROTECT_SPLIT, &g);
		break;
	case 3:
		rc = ptk_harvest(&r->t, va, len,
				 ptk_rand_chance(&r->r, 1, 2)
					 ? PTK_ATTR_DIRTY
					 : PTK_ATTR_ACCESSED,
				 PTK_HARVEST_CLEAR, harvest_nop, NULL, &g);
		break;
	case 4:
		/* Somewhere else in the window, keeping the offset in 2 MiB
		 * half the time (huge leaves move whole). */
		nva = WIN_VA + ptk_rand_below(&r->r, NPG) * PG;
		if (ptk_rand_chance(&r->r, 1, 2))
			nva = (nva & ~(MB2 - 1)) | (va & (MB2 - 1));
		if (nva + len > WIN_VA + WIN_LEN)
			nva = va;
		span_add(&sp, nva, len);
		rc = ptk_move(&r->t, va, nva, len, PTK_MOVE_SPLIT, &g);
		break;
	case 5:
		PTK_ASSERT_OK(ptk_unmap(&r->child, WIN_VA, WIN_LEN,
					PTK_UNMAP_SPLIT, NULL));
		rc = ptk_copy(&r->child, &r->t, va, len, PTK_COPY_COW, &g);
		break;
	case 6:
		lvl = (unsigned int)ptk_rand_below(&r->r, 2);
		rc = ptk_split(&r->t, va, lvl + 1, &g);
		break;
	default:
		lvl = (unsigned int)ptk_rand_below(&r->r, 2);
		rc = ptk_collapse(&r->t, va, lvl + 1, &g);
		break;
	}
	snapshot(&r->t, r->cur);
	r->ops++;

	/* The caller's gather keeps what it held. */
	if (!in_ranges(g.ranges, g.nr, UNREL_VA, UNREL_LAST))
		PTK_FAIL("op %u: the caller's gather lost its range", kind);
	/* Kinds that cannot invalidate (a map into empty space) may run
	 * without a notification; the others get exactly one pair. */
	if (r->s.before != r->s.after || r->s.after > 1)
		PTK_FAIL("op %u: %u before / %u after calls", kind, r->s.before,
			 r->s.after);
	if (r->s.after && r->s.result != rc)
		PTK_FAIL("op %u: after result %d, op returned %d", kind,
			 r->s.result, rc);
	for (k = 0; r->s.after && k < r->s.nr; k++) {
		const struct ptk_range *e = &r->s.ranges[k];

		r->ranges++;
		if (rc)
			PTK_FAIL("op %u failed (%d) but reports ranges", kind,
				 rc);
		if (e->last < e->va || (k && e->va <= r->s.ranges[k - 1].last))
			PTK_FAIL("op %u: after ranges not sorted / disjoint",
				 kind);
		if (!in_span(&sp, e->va, e->last))
			PTK_FAIL("op %u [0x%" PRIx64 ", +0x%" PRIx64
				 "): after range [0x%" PRIx64 ", 0x%" PRIx64
				 "] is not this operation's",
				 kind, va, len, e->va, e->last);
	}
	for (i = 0; i < NPG; i++) {
		uint64_t pva = WIN_VA + i * PG;

		if (pg_same(&r->old[i], &r->cur[i]))
			continue;
		changed = true;
		if (rc)
			PTK_FAIL("op %u failed (%d) but page 0x%" PRIx64
				 " changed",
				 kind, rc, pva);
		/* Filling empty space needs no invalidation. */
		if (r->old[i].rc)
			continue;
		invalidated = true;
		if (!in_ranges(g.ranges, g.nr, pva, pva + PG - 1))
			PTK_FAIL("op %u: the gather misses changed page "
				 "0x%" PRIx64,
				 kind, pva);
		if (!r->s.after)
			PTK_FAIL("op %u: page 0x%" PRIx64 " changed without "
				 "a notification",
				 kind, pva);
		else if (!in_ranges(r->s.ranges, r->s.nr, pva, pva + PG - 1))
			PTK_FAIL("op %u: after ranges miss changed page "
				 "0x%" PRIx64,
				 kind, pva);
	}
	r->changed_ops += changed;
	r->inval_ops += invalidated;
	r->failed_ops += rc != 0;
	ptk_table_flush(&r->t, &g);
}

static void run_fmt(const struct ptk_fmt *f, uint32_t need_prot)
{
	struct run *r = calloc(1, sizeof(*r));
	uint64_t i, n = ptk_test_env_u64("PTK_OPS", 1500);

	PTK_ASSERT(r != NULL);
	r->f = f;
	r->need_prot = need_prot;
	r->old = calloc(NPG, sizeof(*r->old));
	r->cur = calloc(NPG, sizeof(*r->cur));
	PTK_ASSERT(r->old && r->cur);
	ptk_test_rand(&r->r);
	PTK_ASSERT_OK(
		ptk_mem_arena_create(&r->a, UINT64_C(0x80000000), 64 << 20));
	PTK_ASSERT_OK(ptk_table_create(&r->t, f, &r->a.mem, 0));
	PTK_ASSERT_OK(ptk_table_create(&r->child, f, &r->a.mem, 0));
	r->s.n.ops = &seen_ops;
	r->s.n.arg = &r->s;
	PTK_ASSERT_OK(ptk_notifier_register(&r->t, &r->s.n));
	for (i = 0; i < n && !ptk_test_failures(); i++)
		one_op(r);
	printf("%s: %" PRIu64 " ops, %" PRIu64 " changed something, %" PRIu64
	       " changed mapped pages, %" PRIu64 " failed, %" PRIu64
	       " after ranges checked\n",
	       f->name, r->ops, r->changed_ops, r->inval_ops, r->failed_ops,
	       r->ranges);
	/* The run must have exercised what it checks. */
	PTK_EXPECT(r->changed_ops > r->ops / 4);
	PTK_EXPECT(r->inval_ops > r->ops / 5);
	PTK_EXPECT(r->ranges > r->ops / 4);
	PTK_EXPECT_OK(ptk_notifier_unregister(&r->t, &r->s.n));
	PTK_EXPECT_OK(ptk_table_check(NULL, &r->t));
	ptk_table_destroy(&r->child);
	ptk_table_destroy(&r->t);
	PTK_EXPECT_EQ(r->a.stats.live, 0);
	ptk_mem_arena_destroy(&r->a);
	free(r->old);
	free(r->cur);
	free(r);
}

PTK_TEST(notify_gather_x86_64)
{
	run_fmt(&ptk_fmt_x86_64, 0);
}

PTK_TEST(notify_gather_riscv_sv39)
{
	run_fmt(&ptk_fmt_riscv_sv39, 0);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(notify_gather_x86_64),
	PTK_TEST_ENTRY(notify_gather_riscv_sv39),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
