// SPDX-License-Identifier: MIT
/*
 * ptk_gather_add() against a brute-force oracle.
 *
 * Random ranges are added over a small universe of pages (placed at the
 * bottom and at the very top of the 64-bit space, so that adjacency at
 * 2^64 - 1 is exercised). After every add the gather must: hold at most
 * PTK_GATHER_RANGES ranges, sorted, disjoint and not adjacent; cover
 * every page ever added; and, unless PTK_GATHER_MERGED is set, cover
 * exactly those pages (the oracle is a bitmap of the pages added). While
 * the added pages never formed more than PTK_GATHER_RANGES separate runs,
 * nothing may have been widened.
 */
#include <inttypes.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

#define PAGES 64
#define PG 4096u

struct oracle {
	bool page[PAGES];
	bool ever_over; /* the added pages once formed > RANGES runs */
};

static unsigned int runs(const struct oracle *o)
{
	unsigned int i, n = 0;

	for (i = 0; i < PAGES; i++)
		if (o->page[i] && (i == 0 || !o->page[i - 1]))
			n++;
	return n;
}

static bool covered(const struct ptk_gather *g, uint64_t va, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < g->nr && i < PTK_GATHER_RANGES; i++)
		if (g->ranges[i].va <= va && last <= g->ranges[i].last)
			return true;
	return false;
}

static bool touched(const struct ptk_gather *g, uint64_t va, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < g->nr && i < PTK_GATHER_RANGES; i++)
		if (g->ranges[i].va <= last && va <= g->ranges[i].last)
			return true;
	return false;
}

static void check(const struct ptk_gather *g, const struct oracle *o,
		  uint64_t base, unsigned int step)
{
	unsigned int i;

	PTK_ASSERT(g->nr <= PTK_GATHER_RANGES);
	for (i = 0; i < g->nr; i++) {
		PTK_ASSERT(g->ranges[i].va <= g->ranges[i].last);
		if (i) {
			PTK_ASSERT(g->ranges[i - 1].last < g->ranges[i].va);
			if (g->ranges[i - 1].last + 1 == g->ranges[i].va)
				PTK_FAIL("step %u: ranges %u and %u adjacent",
					 step, i - 1, i);
		}
	}
	for (i = 0; i < PAGES; i++) {
		uint64_t va = base + (uint64_t)i * PG, last = va + PG - 1;

		if (o->page[i] && !covered(g, va, last))
			PTK_FAIL("step %u: page %u added but not covered", step,
				 i);
		if (!o->page[i] && touched(g, va, last) &&
		    !(g->flags & PTK_GATHER_MERGED))
			PTK_FAIL("step %u: page %u covered, never added, and "
				 "PTK_GATHER_MERGED not set",
				 step, i);
	}
	if (!o->ever_over && (g->flags & PTK_GATHER_MERGED))
		PTK_FAIL("step %u: merged although at most %u runs were added",
			 step, PTK_GATHER_RANGES);
	/* The gather never covers bytes outside the universe's pages when
	 * exact; when merged it stays within the hull of what was added. */
	if (g->nr) {
		unsigned int lo = 0, hi = PAGES - 1;

		while (!o->page[lo])
			lo++;
		while (!o->page[hi])
			hi--;
		PTK_EXPECT(g->ranges[0].va >= base + (uint64_t)lo * PG);
		PTK_EXPECT(g->ranges[g->nr - 1].last <=
			   base + (uint64_t)hi * PG + PG - 1);
	}
}

/*
 * Add pages [a, a + n) (cut at the universe's end) to @g and to the
 * oracle, then check @g against it; stop the test at the first failure.
 */
static void add_checked(struct ptk_gather *g, struct oracle *o, uint64_t base,
			unsigned int a, unsigned int n, unsigned int step,
			unsigned int round)
{
	unsigned int i;

	if (a + n > PAGES)
		n = PAGES - a;
	ptk_gather_add(g, base + (uint64_t)a * PG,
		       base + (uint64_t)(a + n) * PG - 1);
	for (i = a; i < a + n; i++)
		o->page[i] = true;
	if (runs(o) > PTK_GATHER_RANGES)
		o->ever_over = true;
	check(g, o, base, step);
	if (ptk_test_failures()) {
		PTK_FAIL("round %u", round);
		ptk_test_abort();
	}
}

static void run(uint64_t base, unsigned int rounds)
{
	struct ptk_rand r;
	unsigned int round, step;

	ptk_test_rand(&r);
	for (round = 0; round < rounds; round++) {
		struct ptk_gather g;
		struct oracle o;
		unsigned int nadds = (unsigned int)ptk_rand_range(&r, 1, 24);
		unsigned int maxlen = (unsigned int)ptk_rand_range(&r, 1, 8);

		memset(&o, 0, sizeof(o));
		ptk_gather_init(&g);
		PTK_ASSERT_EQ(g.nr, 0);
		PTK_ASSERT_EQ(g.flags, 0);
		PTK_ASSERT_EQ(g.nr_free, 0);
		for (step = 0; step < nadds; step++) {
			unsigned int a =
				(unsigned int)ptk_rand_below(&r, PAGES);
			unsigned int n =
				(unsigned int)ptk_rand_range(&r, 1, maxlen);

			add_checked(&g, &o, base, a, n, step, round);
		}
	}
}

PTK_TEST(gather_bottom)
{
	run(0, 20000);
}

PTK_TEST(gather_top)
{
	/* the universe's last page ends at 2^64 - 1 */
	run(0 - (uint64_t)PAGES * PG, 20000);
}

/*
 * Ranges added in address order, as operations add them: past
 * PTK_GATHER_RANGES runs every add takes the path for a full gather
 * that a range comes after.
 */
static void run_in_order(uint64_t base, unsigned int rounds)
{
	struct ptk_rand r;
	unsigned int round, step;

	ptk_test_rand(&r);
	for (round = 0; round < rounds; round++) {
		struct ptk_gather g;
		struct oracle o;
		unsigned int a = (unsigned int)ptk_rand_below(&r, 4);

		memset(&o, 0, sizeof(o));
		ptk_gather_init(&g);
		for (step = 0; a < PAGES; step++) {
			unsigned int n = (unsigned int)ptk_rand_range(&r, 1, 3);

			add_checked(&g, &o, base, a, n, step, round);
			a += n + (unsigned int)ptk_rand_below(&r, 5);
		}
	}
}

PTK_TEST(gather_in_order)
{
	struct ptk_gather g;

	run_in_order(0, 5000);
	run_in_order(0 - (uint64_t)PAGES * PG, 5000);
	/* A full gather and one more range after it: the two neighbours
	 * with the smallest gap are joined (the first of equal ones). */
	ptk_gather_init(&g);
	ptk_gather_add(&g, 0x00000, 0x00fff);
	ptk_gather_add(&g, 0x10000, 0x10fff);
	ptk_gather_add(&g, 0x12000, 0x12fff);
	ptk_gather_add(&g, 0x30000, 0x30fff);
	PTK_EXPECT_EQ(g.flags, 0);
	ptk_gather_add(&g, 0x50000, 0x50fff);
	PTK_EXPECT_EQ(g.nr, 4);
	PTK_EXPECT(g.flags & PTK_GATHER_MERGED);
	PTK_EXPECT_EQ(g.ranges[1].va, 0x10000);
	PTK_EXPECT_EQ(g.ranges[1].last, 0x12fff);
	PTK_EXPECT_EQ(g.ranges[2].va, 0x30000);
	PTK_EXPECT_EQ(g.ranges[3].va, 0x50000);
	PTK_EXPECT_EQ(g.ranges[3].last, 0x50fff);
	/* the new range's own gap the smallest: it joins the last */
	ptk_gather_add(&g, 0x51800, 0x51fff);
	PTK_EXPECT_EQ(g.nr, 4);
	PTK_EXPECT_EQ(g.ranges[3].va, 0x50000);
	PTK_EXPECT_EQ(g.ranges[3].last, 0x51fff);
	/* equal gaps: the first pair */
	ptk_gather_init(&g);
	for (unsigned int i = 0; i < 5; i++)
		ptk_gather_add(&g, i * 0x10000, i * 0x10000 + 0xfff);
	PTK_EXPECT_EQ(g.ranges[0].va, 0);
	PTK_EXPECT_EQ(g.ranges[0].last, 0x10fff);
	PTK_EXPECT_EQ(g.ranges[1].va, 0x20000);
	PTK_EXPECT_EQ(g.ranges[3].va, 0x40000);
	PTK_EXPECT_EQ(g.ranges[3].last, 0x40fff);
}

PTK_TEST(gather_examples)
{
	struct ptk_gather g;

	/* adjacent ranges merge into one */
	ptk_gather_init(&g);
	ptk_gather_add(&g, 0x1000, 0x1fff);
	ptk_gather_add(&g, 0x2000, 0x2fff);
	PTK_EXPECT_EQ(g.nr, 1);
	PTK_EXPECT_EQ(g.ranges[0].va, 0x1000);
	PTK_EXPECT_EQ(g.ranges[0].last, 0x2fff);
	PTK_EXPECT_EQ(g.flags, 0);
	/* out of order, then a bridge */
	ptk_gather_add(&g, 0x8000, 0x8fff);
	ptk_gather_add(&g, 0x5000, 0x5fff);
	PTK_EXPECT_EQ(g.nr, 3);
	PTK_EXPECT_EQ(g.ranges[1].va, 0x5000);
	ptk_gather_add(&g, 0x2000, 0x8000);
	PTK_EXPECT_EQ(g.nr, 1);
	PTK_EXPECT_EQ(g.ranges[0].va, 0x1000);
	PTK_EXPECT_EQ(g.ranges[0].last, 0x8fff);
	PTK_EXPECT_EQ(g.flags, 0);
	/* five separate ranges must widen */
	ptk_gather_init(&g);
	for (unsigned int i = 0; i < 5; i++)
		ptk_gather_add(&g, i * 0x10000, i * 0x10000 + 0xfff);
	PTK_EXPECT_EQ(g.nr, PTK_GATHER_RANGES);
	PTK_EXPECT(g.flags & PTK_GATHER_MERGED);
	/* the whole 64-bit space, and touching it from below */
	ptk_gather_init(&g);
	ptk_gather_add(&g, UINT64_MAX, UINT64_MAX);
	ptk_gather_add(&g, 0, UINT64_MAX - 1);
	PTK_EXPECT_EQ(g.nr, 1);
	PTK_EXPECT_EQ(g.ranges[0].va, 0);
	PTK_EXPECT_EQ(g.ranges[0].last, UINT64_MAX);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(gather_bottom),
	PTK_TEST_ENTRY(gather_top),
	PTK_TEST_ENTRY(gather_in_order),
	PTK_TEST_ENTRY(gather_examples),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
