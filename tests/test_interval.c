// SPDX-License-Identifier: MIT
/*
 * Interval subscriptions (ptkit/interval.h): who is called (checked
 * against a brute-force overlap test), how often, with what; the
 * sequence protocol; batches; bad input.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

#define PG 4096u
#define NSUB 300
/* The VA window the random subscriptions and operations live in. */
#define SPAN (64ull << 20)
#define BASE (1ull << 30)

static const struct ptk_attrs rw = { PTK_PROT_READ | PTK_PROT_WRITE, 0, 0, 0 };

struct rec {
	struct ptk_interval iv;
	unsigned int begins;
	unsigned int ends;
	uint64_t last_seq;
	enum ptk_notify_reason reason;
	const void *owner;
	unsigned int flags;
	int result;
	unsigned int nr;
	struct ptk_range ranges[2];
};

static void rec_inval(struct ptk_interval *iv,
		      const struct ptk_interval_event *ev, uint64_t cur_seq)
{
	struct rec *r = (struct rec *)iv;
	unsigned int i;

	r->begins++;
	r->last_seq = cur_seq;
	r->reason = ev->reason;
	r->owner = ev->owner;
	r->flags = ev->flags;
	r->nr = ev->nr;
	for (i = 0; i < ev->nr && i < 2; i++)
		r->ranges[i] = ev->ranges[i];
	ptk_interval_set_seq(iv, cur_seq);
}

static void rec_end(struct ptk_interval *iv,
		    const struct ptk_interval_event *ev)
{
	struct rec *r = (struct rec *)iv;

	r->ends++;
	r->result = ev->result;
}

static const struct ptk_interval_ops rec_ops = { PTK_INTERVAL_OPS_VERSION,
						 rec_inval, rec_end };

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->iv.ops = &rec_ops;
}

static void reset(struct rec *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		r[i].begins = r[i].ends = 0;
}

static bool overlap(const struct rec *r, const struct ptk_range *x)
{
	return r->iv.va <= x->last && x->va <= r->iv.last;
}

struct env {
	struct ptk_mem_heap h;
	struct ptk_table t;
};

static void env_init(struct env *e)
{
	PTK_ASSERT_OK(ptk_mem_heap_init(&e->h));
	PTK_ASSERT_OK(ptk_table_create(&e->t, ptk_fmt_lookup("x86_64"),
				       &e->h.mem, 0));
}

static void env_fini(struct env *e)
{
	ptk_table_destroy(&e->t);
	ptk_mem_heap_fini(&e->h);
}

/* How interval_tree_random() finds the subscriptions to call. */
enum idx_mode {
	IDX_NONE, /* the tree alone */
	IDX_ROOM, /* an index with room for all of them */
	IDX_SMALL, /* an index with room for fewer: the tree again */
};

/*
 * Random subscriptions, random operations: exactly the overlapping ones
 * are called, each once before and once after; with an index, the
 * operations answered from it are counted (the table says whether it is
 * current), so a test that never used it cannot pass.
 */
static void tree_random(enum idx_mode mode)
{
	static struct rec subs[NSUB];
	static uint64_t idx[4096];
	unsigned int i, op, from_idx = 0;
	struct ptk_rand rnd;
	struct env e;

	ptk_test_rand(&rnd);
	env_init(&e);
	if (mode != IDX_NONE) {
		size_t bytes = ptk_interval_index_bytes(
			mode == IDX_ROOM ? NSUB : NSUB / 2);

		PTK_ASSERT(bytes <= sizeof(idx));
		PTK_EXPECT_RC(ptk_interval_index(&e.t, idx, 8), PTK_EINVAL);
		/* Unaligned on purpose: the table aligns it. */
		PTK_ASSERT_OK(ptk_interval_index(&e.t, (char *)idx + 8, bytes));
	}
	PTK_ASSERT_OK(ptk_map(&e.t, BASE, SPAN, 0x40000000ull, &rw, 0, NULL));
	for (i = 0; i < NSUB; i++) {
		uint64_t va = BASE + ptk_rand_below(&rnd, SPAN / PG) * PG;
		uint64_t len = (1 + ptk_rand_below(&rnd, 64)) * PG;

		if (ptk_rand_chance(&rnd, 1, 8))
			len *= 256;
		rec_init(&subs[i]);
		PTK_ASSERT_OK(
			ptk_interval_subscribe(&e.t, &subs[i].iv, va, len));
	}
	PTK_EXPECT_EQ(ptk_interval_count(&e.t), NSUB);
	for (op = 0; op < 400; op++) {
		struct ptk_range r[2];
		unsigned int nr = 1, k;
		uint64_t len = (1 + ptk_rand_below(&rnd, 32)) * PG;
		uint64_t va = BASE + ptk_rand_below(&rnd, SPAN / PG - 64) * PG;
		unsigned int kind = (unsigned int)ptk_rand_below(&rnd, 3);
		int rc = 0;

		reset(subs, NSUB);
		from_idx += e.t.iv_idx_nr != 0;
		r[0].va = va;
		r[0].last = va + len - 1;
		if (kind == 0) {
			rc = ptk_protect(&e.t, va, len,
					 ptk_rand_chance(&rnd, 1, 2)
						 ? PTK_PROT_READ
						 : PTK_PROT_RW,
					 PTK_PROTECT_SPLIT, NULL);
		} else if (kind == 1) {
			rc = ptk_unmap(&e.t, va, len, PTK_UNMAP_SPLIT, NULL);
			if (!rc)
				rc = ptk_map(&e.t, va, len, va, &rw, 0, NULL);
		} else {
			/* Move there and back: two ranges per call. */
			uint64_t to = BASE + SPAN + (1ull << 30);

			r[1].va = to;
			r[1].last = to + len - 1;
			nr = 2;
			rc = ptk_move(&e.t, va, to, len, PTK_MOVE_SPLIT, NULL);
			PTK_ASSERT_OK(rc);
			for (i = 0; i < NSUB; i++) {
				bool want = overlap(&subs[i], &r[0]) ||
					    overlap(&subs[i], &r[1]);

				PTK_EXPECT_EQ(subs[i].begins, want);
				PTK_EXPECT_EQ(subs[i].ends, want);
			}
			reset(subs, NSUB);
			rc = ptk_move(&e.t, to, va, len, PTK_MOVE_SPLIT, NULL);
		}
		PTK_ASSERT_OK(rc);
		for (i = 0; i < NSUB; i++) {
			bool want = false;

			for (k = 0; k < nr; k++)
				want |= overlap(&subs[i], &r[k]);
			if (subs[i].begins != want || subs[i].ends != want)
				PTK_FAIL("op %u kind %u [%" PRIx64 ",%" PRIx64
					 "] sub %u [%" PRIx64 ",%" PRIx64
					 "]: %u/%u calls, want %u",
					 op, kind, r[0].va, r[0].last, i,
					 subs[i].iv.va, subs[i].iv.last,
					 subs[i].begins, subs[i].ends, want);
		}
		/*
		 * Remove and re-add some, so the tree keeps changing shape
		 * (and the index goes stale: less often with one, so that it
		 * is current for some operations).
		 */
		if (ptk_rand_chance(&rnd, 1, mode == IDX_NONE ? 4 : 48)) {
			i = (unsigned int)ptk_rand_below(&rnd, NSUB);
			PTK_ASSERT_OK(ptk_interval_unsubscribe(&subs[i].iv));
			PTK_ASSERT_OK(ptk_interval_subscribe(
				&e.t, &subs[i].iv,
				BASE + ptk_rand_below(&rnd, SPAN / PG) * PG,
				PG * (1 + ptk_rand_below(&rnd, 16))));
		}
		if (ptk_test_failures())
			break;
	}
	if (mode == IDX_ROOM)
		PTK_EXPECT(from_idx > 100);
	else
		PTK_EXPECT_EQ(from_idx, 0);
	for (i = 0; i < NSUB; i += 2)
		PTK_ASSERT_OK(ptk_interval_unsubscribe(&subs[i].iv));
	PTK_EXPECT_EQ(ptk_interval_count(&e.t), NSUB / 2);
	reset(subs, NSUB);
	if (mode == IDX_ROOM) {
		/* Let the release (a range up to all-ones) use the index. */
		for (op = 0; op <= NSUB / 32 && ptk_test_failures() == 0; op++)
			PTK_ASSERT_OK(ptk_protect(&e.t, BASE, PG, PTK_PROT_RW,
						  0, NULL));
		PTK_EXPECT(e.t.iv_idx_nr != 0);
		reset(subs, NSUB);
	}
	env_fini(&e);
	/* Destroy released the rest, once each, and ended them. */
	for (i = 0; i < NSUB; i++) {
		PTK_EXPECT_EQ(subs[i].begins, i % 2);
		if (i % 2) {
			PTK_EXPECT_EQ(subs[i].reason, PTK_NOTIFY_RELEASE);
			PTK_EXPECT_RC(ptk_interval_unsubscribe(&subs[i].iv),
				      PTK_ENOTSUBSCRIBED);
		}
	}
}

PTK_TEST(interval_tree_random)
{
	tree_random(IDX_NONE);
}

PTK_TEST(interval_index_random)
{
	tree_random(IDX_ROOM);
}

PTK_TEST(interval_index_small)
{
	tree_random(IDX_SMALL);
}

/*
 * An operation whose range ends at the top of the address space (last
 * address all-ones, which the index's padding also is): the index must
 * still find the subscription there, and only it.
 */
PTK_TEST(interval_index_top)
{
	const uint64_t top = ~(uint64_t)0 - PG + 1;
	static uint64_t idx[512];
	struct rec subs[20];
	unsigned int i, op;
	struct env e;

	env_init(&e);
	PTK_ASSERT_OK(ptk_map(&e.t, top, PG, 0x1000, &rw, 0, NULL));
	for (i = 0; i < 20; i++) {
		rec_init(&subs[i]);
		PTK_ASSERT_OK(ptk_interval_subscribe(
			&e.t, &subs[i].iv, i < 19 ? BASE + i * 4 * PG : top,
			PG));
	}
	PTK_ASSERT(ptk_interval_index_bytes(20) <= sizeof(idx));
	PTK_ASSERT_OK(ptk_interval_index(&e.t, idx, sizeof(idx)));
	for (op = 0; op < 4; op++) {
		reset(subs, 20);
		PTK_ASSERT_OK(ptk_protect(&e.t, top, PG,
					  op & 1 ? PTK_PROT_RW : PTK_PROT_READ,
					  0, NULL));
		/* (the first finds it stale and walks the tree) */
		PTK_EXPECT(op == 0 || e.t.iv_idx_nr != 0);
		for (i = 0; i < 20; i++)
			PTK_EXPECT_EQ(subs[i].begins, i == 19);
	}
	reset(subs, 20);
	env_fini(&e);
	for (i = 0; i < 20; i++)
		PTK_EXPECT_EQ(subs[i].begins, 1);
}

/* What a call carries: reason, ranges, owner, may-block, result. */
PTK_TEST(interval_event_fields)
{
	struct env e;
	struct rec a, b;
	struct ptk_gather g;
	static const int me = 1;

	env_init(&e);
	rec_init(&a);
	rec_init(&b);
	PTK_ASSERT_OK(ptk_map(&e.t, BASE, 16 * PG, BASE, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_interval_subscribe(&e.t, &a.iv, BASE, 8 * PG));
	PTK_ASSERT_OK(ptk_interval_subscribe(&e.t, &b.iv, BASE + 8 * PG, PG));

	ptk_gather_init(&g);
	g.owner = &me;
	PTK_ASSERT_OK(ptk_unmap(&e.t, BASE + PG, PG, 0, &g));
	PTK_EXPECT_EQ(a.begins, 1);
	PTK_EXPECT_EQ(a.ends, 1);
	PTK_EXPECT_EQ(b.begins, 0);
	PTK_EXPECT_EQ(a.reason, PTK_NOTIFY_UNMAP);
	PTK_EXPECT(a.owner == &me);
	PTK_EXPECT_EQ(a.flags, PTK_INTERVAL_MAY_BLOCK);
	PTK_EXPECT_EQ(a.nr, 1);
	PTK_EXPECT_EQ(a.ranges[0].va, BASE + PG);
	PTK_EXPECT_EQ(a.ranges[0].last, BASE + 2 * PG - 1);
	PTK_EXPECT_EQ(a.last_seq & 1, 1);
	ptk_table_flush(&e.t, &g);
	PTK_EXPECT(g.owner == &me); /* kept by the flush */

	g.flags |= PTK_GATHER_ATOMIC;
	PTK_ASSERT_OK(
		ptk_protect(&e.t, BASE + 8 * PG, PG, PTK_PROT_READ, 0, &g));
	PTK_EXPECT_EQ(b.begins, 1);
	PTK_EXPECT_EQ(b.reason, PTK_NOTIFY_PROTECT);
	PTK_EXPECT_EQ(b.flags, 0);
	ptk_table_flush(&e.t, &g);

	/* A failed operation: both calls, the error in the end call. */
	PTK_EXPECT_RC(ptk_unmap(&e.t, BASE + 8 * PG, PG, 0x80, NULL),
		      PTK_EINVAL); /* refused at the edge: nobody called */
	PTK_EXPECT_EQ(b.begins, 1);
	/* A plain map changes no translation: nobody called. */
	PTK_ASSERT_OK(ptk_map(&e.t, BASE + PG, PG, BASE, &rw, 0, NULL));
	PTK_EXPECT_EQ(a.begins, 1);
	PTK_ASSERT_OK(
		ptk_map(&e.t, BASE + PG, PG, BASE, &rw, PTK_MAP_REPLACE, NULL));
	PTK_EXPECT_EQ(a.begins, 2);
	PTK_EXPECT_EQ(a.reason, PTK_NOTIFY_REPLACE);
	PTK_EXPECT_EQ(a.result, 0);
	env_fini(&e);
	PTK_EXPECT_EQ(a.reason, PTK_NOTIFY_RELEASE);
	PTK_EXPECT_EQ(a.begins, 3);
	PTK_EXPECT_EQ(a.ends, 3);
}

/* Bad input: clear errors, nothing changed. */
PTK_TEST(interval_bad_input)
{
	struct env e, e2;
	struct rec a, c;
	static const struct ptk_interval_ops v0 = { 0, rec_inval, NULL };

	env_init(&e);
	env_init(&e2);
	rec_init(&a);
	rec_init(&c);
	PTK_EXPECT_RC(ptk_interval_unsubscribe(&a.iv), PTK_ENOTSUBSCRIBED);
	PTK_EXPECT_RC(ptk_interval_subscribe(&e.t, &a.iv, BASE, 0), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_interval_subscribe(&e.t, &a.iv, ~0ull - PG, 2 * PG),
		      PTK_EOVERFLOW);
	PTK_EXPECT_RC(ptk_interval_subscribe(&e.t, &a.iv, 1ull << 50, PG),
		      PTK_ERANGE);
	PTK_EXPECT_EQ(ptk_interval_count(&e.t), 0);
	c.iv.ops = &v0;
	PTK_EXPECT_RC(ptk_interval_subscribe(&e.t, &c.iv, BASE, PG),
		      PTK_EVERSION);
	PTK_ASSERT_OK(ptk_interval_subscribe(&e.t, &a.iv, BASE, PG));
	PTK_EXPECT_RC(ptk_interval_subscribe(&e.t, &a.iv, BASE, 2 * PG),
		      PTK_ESUBSCRIBED);
	PTK_EXPECT_RC(ptk_interval_subscribe(&e2.t, &a.iv, BASE, PG),
		      PTK_ESUBSCRIBED);
	PTK_EXPECT_EQ(ptk_interval_count(&e.t), 1);
	PTK_EXPECT_EQ(ptk_interval_count(&e2.t), 0);
	PTK_EXPECT_EQ(a.iv.last, BASE + PG - 1); /* unchanged */
	PTK_EXPECT_OK(ptk_interval_unsubscribe(&a.iv));
	PTK_EXPECT_RC(ptk_interval_unsubscribe(&a.iv), PTK_ENOTSUBSCRIBED);
	PTK_EXPECT_EQ(ptk_interval_count(&e.t), 0);
	PTK_EXPECT_STREQ(ptk_errname(PTK_ESUBSCRIBED), "PTK_ESUBSCRIBED");
	env_fini(&e2);
	env_fini(&e);
}

/* The sequence: retry after an invalidation of this subscription only. */
PTK_TEST(interval_seq_retry)
{
	struct env e;
	struct rec a, b;
	uint64_t sa, sb, sa2;

	env_init(&e);
	rec_init(&a);
	rec_init(&b);
	PTK_ASSERT_OK(ptk_map(&e.t, BASE, 16 * PG, BASE, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_interval_subscribe(&e.t, &a.iv, BASE, 4 * PG));
	PTK_ASSERT_OK(ptk_interval_subscribe(&e.t, &b.iv, BASE + 8 * PG, PG));
	sa = ptk_interval_read_begin(&a.iv);
	sb = ptk_interval_read_begin(&b.iv);
	PTK_EXPECT(!ptk_interval_read_retry(&a.iv, sa));
	PTK_ASSERT_OK(ptk_unmap(&e.t, BASE, PG, 0, NULL));
	PTK_EXPECT(ptk_interval_read_retry(&a.iv, sa));
	PTK_EXPECT(!ptk_interval_read_retry(&b.iv, sb));
	/* After the end, a new read begins at once and holds. */
	sa2 = ptk_interval_read_begin(&a.iv);
	PTK_EXPECT(!ptk_interval_read_retry(&a.iv, sa2));
	PTK_EXPECT(sa2 != sa);
	env_fini(&e);
}

/* read_begin waits for an invalidation in progress that called it. */
struct waiter {
	struct rec r;
	int release; /* the callback spins until this is set */
	int in_cb;
	int op_done;
	int seen_done; /* the translation when read_begin returned */
	struct ptk_table *t;
};

static void slow_inval(struct ptk_interval *iv,
		       const struct ptk_interval_event *ev, uint64_t cur_seq)
{
	struct waiter *w = iv->arg;

	(void)ev;
	ptk_interval_set_seq(iv, cur_seq);
	__atomic_store_n(&w->in_cb, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&w->release, __ATOMIC_ACQUIRE))
		sched_yield();
}

static const struct ptk_interval_ops slow_ops = { PTK_INTERVAL_OPS_VERSION,
						  slow_inval, NULL };

static void *writer(void *arg)
{
	struct waiter *w = arg;

	if (ptk_unmap(w->t, BASE, PG, 0, NULL))
		return arg;
	__atomic_store_n(&w->op_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

PTK_TEST(interval_read_begin_waits)
{
	struct env e;
	struct waiter w;
	pthread_t th;
	void *ret;
	int i;

	env_init(&e);
	memset(&w, 0, sizeof(w));
	w.r.iv.ops = &slow_ops;
	w.r.iv.arg = &w;
	w.t = &e.t;
	PTK_ASSERT_OK(ptk_map(&e.t, BASE, PG, BASE, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_interval_subscribe(&e.t, &w.r.iv, BASE, PG));
	PTK_ASSERT(!pthread_create(&th, NULL, writer, &w));
	while (!__atomic_load_n(&w.in_cb, __ATOMIC_ACQUIRE))
		sched_yield();
	/* Let the writer go a little later, from here. */
	for (i = 0; i < 1000; i++)
		sched_yield();
	__atomic_store_n(&w.release, 1, __ATOMIC_RELEASE);
	(void)ptk_interval_read_begin(&w.r.iv);
	/*
	 * The callback had run (and set the sequence) before the release:
	 * read_begin returns only after the invalidation's end, so the
	 * unmap is visible now, before the writer is joined.
	 */
	w.seen_done = ptk_translate(&e.t, BASE, NULL);
	PTK_ASSERT(!pthread_join(th, &ret));
	PTK_EXPECT(ret == NULL);
	PTK_EXPECT_RC(w.seen_done, PTK_ENOENT);
	env_fini(&e);
}

/* A batch of iterator steps: one pair per batch instead of per item. */
static unsigned int nb_before, nb_after;

static void nb_b(struct ptk_notifier *n, const struct ptk_notify_event *ev)
{
	(void)n;
	(void)ev;
	nb_before++;
}

static void nb_a(struct ptk_notifier *n, const struct ptk_notify_event *ev)
{
	(void)n;
	(void)ev;
	nb_after++;
}

static const struct ptk_notifier_ops nb_ops = { PTK_NOTIFIER_OPS_VERSION, nb_b,
						nb_a };

static unsigned int iter_loop(struct ptk_table *t, struct ptk_gather *g)
{
	struct ptk_iter it;
	unsigned int n = 0;
	int rc;

	PTK_ASSERT_OK(ptk_iter_init(&it, t, BASE, 16 * PG, 0));
	while ((rc = ptk_iter_next(&it)) > 0) {
		if (n++ & 1)
			PTK_ASSERT_OK(ptk_iter_clear(&it, g));
		else
			PTK_ASSERT_OK(ptk_iter_set(&it, it.oa, &rw, 0, g));
	}
	PTK_EXPECT_OK(rc);
	ptk_iter_fini(&it);
	return n;
}

PTK_TEST(interval_batch)
{
	struct env e;
	struct rec a, out;
	struct ptk_notifier n = { &nb_ops, NULL, NULL };
	struct ptk_gather g;
	unsigned int items;

	env_init(&e);
	rec_init(&a);
	rec_init(&out);
	PTK_ASSERT_OK(ptk_notifier_register(&e.t, &n));
	PTK_ASSERT_OK(ptk_map(&e.t, BASE, 16 * PG, BASE, &rw,
			      PTK_MAP_MAX_PAGE(12), NULL));
	PTK_ASSERT_OK(ptk_interval_subscribe(&e.t, &a.iv, BASE, 16 * PG));
	PTK_ASSERT_OK(
		ptk_interval_subscribe(&e.t, &out.iv, BASE + 32 * PG, PG));
	/* Unbatched: a pair per item. */
	ptk_gather_init(&g);
	items = iter_loop(&e.t, &g);
	ptk_table_flush(&e.t, &g);
	PTK_EXPECT_EQ(items, 16);
	PTK_EXPECT_EQ(a.begins, 16);
	PTK_EXPECT_EQ(nb_before, 16);
	/* Batched: one pair. */
	PTK_ASSERT_OK(ptk_map(&e.t, BASE, 16 * PG, BASE, &rw,
			      PTK_MAP_MAX_PAGE(12) | PTK_MAP_REPLACE, NULL));
	reset(&a, 1);
	nb_before = nb_after = 0;
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_notify_batch_begin(&e.t, &g, PTK_NOTIFY_UNMAP, BASE,
					     16 * PG));
	PTK_EXPECT_RC(ptk_notify_batch_begin(&e.t, &g, PTK_NOTIFY_UNMAP, BASE,
					     PG),
		      PTK_EINVAL); /* one batch per gather */
	PTK_EXPECT_EQ(a.begins, 1);
	PTK_EXPECT_EQ(a.ends, 0);
	items = iter_loop(&e.t, &g);
	PTK_EXPECT_EQ(items, 16);
	PTK_EXPECT_EQ(a.begins, 1);
	PTK_EXPECT_EQ(a.ends, 0);
	PTK_EXPECT_OK(ptk_notify_batch_end(&g, 0));
	PTK_EXPECT_RC(ptk_notify_batch_end(&g, 0), PTK_EINVAL);
	ptk_table_flush(&e.t, &g);
	PTK_EXPECT_EQ(a.begins, 1);
	PTK_EXPECT_EQ(a.ends, 1);
	PTK_EXPECT_EQ(out.begins, 0);
	PTK_EXPECT_EQ(nb_before, 1);
	PTK_EXPECT_EQ(nb_after, 1);
	/* Half the pages are gone, the others still there. */
	PTK_EXPECT_OK(ptk_translate(&e.t, BASE, NULL));
	PTK_EXPECT_RC(ptk_translate(&e.t, BASE + PG, NULL), PTK_ENOENT);
	/* An operation outside the batch's range is notified on its own. */
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_notify_batch_begin(&e.t, &g, PTK_NOTIFY_PROTECT, BASE,
					     4 * PG));
	PTK_ASSERT_OK(
		ptk_protect(&e.t, BASE + 32 * PG, PG, PTK_PROT_READ, 0, &g));
	PTK_EXPECT_EQ(out.begins, 1);
	PTK_EXPECT_OK(ptk_notify_batch_end(&g, 0));
	ptk_table_flush(&e.t, &g);
	PTK_EXPECT_OK(ptk_notifier_unregister(&e.t, &n));
	env_fini(&e);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(interval_tree_random),
	PTK_TEST_ENTRY(interval_index_random),
	PTK_TEST_ENTRY(interval_index_small),
	PTK_TEST_ENTRY(interval_index_top),
	PTK_TEST_ENTRY(interval_event_fields),
	PTK_TEST_ENTRY(interval_bad_input),
	PTK_TEST_ENTRY(interval_seq_retry),
	PTK_TEST_ENTRY(interval_read_begin_waits),
	PTK_TEST_ENTRY(interval_batch),
	PTK_TEST_END,
};
PTK_TEST_MAIN(tests)
