// SPDX-License-Identifier: MIT
/*
 * The software TLB (ptkit/tlb.h): answers equal ptk_translate()'s, hits
 * and misses as the geometry implies, walk references as an x86-64
 * walker makes them (4 levels: 4 for a 4K leaf, 3 for 2M, 2 for 1G)
 * and a hashed table's lookup reads them (key and value lines),
 * flushes by range/id/all exact to the page, coherence through the
 * subscription, bad input.
 */
#include <inttypes.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

#define PG 4096ull
#define M2 (2ull << 20)
#define G1 (1ull << 30)
#define BASE G1

static const struct ptk_attrs rw = { PTK_PROT_RW, 0, 0, 0 };
static const struct ptk_attrs rg = { PTK_PROT_READ, PTK_ATTR_GLOBAL, 0, 0 };

struct env {
	struct ptk_mem_heap h;
	struct ptk_table t;
	struct ptk_tlb tlb;
	struct ptk_tlb_entry e[64 * 4];
	struct ptk_tlb_space sp;
};

static void env_init(struct env *v, unsigned int pwc, unsigned int nr_sizes)
{
	struct ptk_tlb_opts o = { 64, 4, nr_sizes, { 12, 21, 30, 0 }, pwc };

	PTK_ASSERT_OK(ptk_mem_heap_init(&v->h));
	PTK_ASSERT_OK(ptk_table_create(&v->t, ptk_fmt_lookup("x86_64"),
				       &v->h.mem, 0));
	/* 4K pages at BASE, a 2 MiB page at BASE + 2M, a 1 GiB one at 2G. */
	PTK_ASSERT_OK(ptk_map(&v->t, BASE, 64 * PG, 0x100000, &rw,
			      PTK_MAP_MAX_PAGE(12), NULL));
	PTK_ASSERT_OK(ptk_map(&v->t, BASE + M2, M2, 0x40000000, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_map(&v->t, 2 * G1, G1, 0x80000000, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_tlb_init(&v->tlb, v->e, &o));
	PTK_ASSERT_OK(ptk_tlb_attach(&v->sp, &v->tlb, &v->t, 1, BASE, 2 * G1));
}

static void env_fini(struct env *v)
{
	ptk_tlb_detach(&v->sp);
	ptk_table_destroy(&v->t);
	ptk_mem_heap_fini(&v->h);
}

/* The TLB's answer for @va is the table's. */
static void same(struct env *v, ptk_va_t va)
{
	struct ptk_tlb_result r;
	struct ptk_xlate x;

	PTK_ASSERT_OK(ptk_translate(&v->t, va, &x));
	PTK_ASSERT_OK(ptk_tlb_translate(&v->sp, va, &r));
	PTK_EXPECT_EQ(r.oa, x.oa);
	PTK_ASSERT_OK(ptk_tlb_lookup(&v->tlb, 1, va, &r));
	PTK_EXPECT_EQ(r.oa, x.oa);
}

PTK_TEST(tlb_hit_miss_fill)
{
	static struct env v;
	struct ptk_tlb_stats st;
	struct ptk_tlb_result r;

	env_init(&v, 0, 3);
	same(&v, BASE + 5 * PG + 7);
	same(&v, BASE + M2 + 0x12345);
	same(&v, 2 * G1 + 0x1234567);
	ptk_tlb_stats(&v.tlb, &st);
	PTK_EXPECT_EQ(st.fills, 3);
	PTK_EXPECT_EQ(st.misses, 3);
	PTK_EXPECT_EQ(st.hits, 3);
	/* Other addresses in the same pages hit, with their sizes. */
	PTK_ASSERT_OK(ptk_tlb_lookup(&v.tlb, 1, BASE + M2 + M2 - 1, &r));
	PTK_EXPECT_EQ(r.size_lg2, 21);
	PTK_EXPECT_EQ(r.oa, 0x40000000 + M2 - 1);
	PTK_ASSERT_OK(ptk_tlb_lookup(&v.tlb, 1, 3 * G1 - 1, &r));
	PTK_EXPECT_EQ(r.size_lg2, 30);
	PTK_EXPECT_EQ(r.prot, PTK_PROT_RW);
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 1, BASE + 6 * PG, &r), PTK_ENOENT);
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 2, BASE + 5 * PG, &r),
		      PTK_ENOENT); /* another id */
	/* Not mapped: the table's error, nothing cached. */
	PTK_EXPECT_RC(ptk_tlb_translate(&v.sp, BASE + 100 * PG, &r),
		      PTK_ENOENT);
	ptk_tlb_stats(&v.tlb, &st);
	PTK_EXPECT_EQ(st.fills, 3);
	env_fini(&v);
}

/* Only 4K entries: a 2 MiB leaf is cached a 4K page at a time. */
PTK_TEST(tlb_size_not_held)
{
	static struct env v;
	struct ptk_tlb_result r;

	env_init(&v, 0, 1);
	same(&v, BASE + M2 + 0x12345);
	PTK_ASSERT_OK(ptk_tlb_lookup(&v.tlb, 1, BASE + M2 + 0x12000, &r));
	PTK_EXPECT_EQ(r.size_lg2, 12);
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 1, BASE + M2 + 0x13000, &r),
		      PTK_ENOENT);
	env_fini(&v);
}

PTK_TEST(tlb_walk_refs)
{
	static struct env v;
	struct ptk_tlb_stats st;

	env_init(&v, 0, 3);
	same(&v, BASE);
	same(&v, BASE + M2);
	same(&v, 2 * G1);
	ptk_tlb_stats(&v.tlb, &st);
	PTK_EXPECT_EQ(st.walk_refs, 4 + 3 + 2);
	PTK_EXPECT_EQ(st.walk_refs_nopwc, 4 + 3 + 2);
	env_fini(&v);

	env_init(&v, 16, 3);
	same(&v, BASE);
	same(&v, BASE + PG); /* PML4E, PDPTE, PDE cached: the PTE only */
	same(&v, BASE + M2); /* PML4E, PDPTE cached: the PDE */
	same(&v, 2 * G1); /* PML4E cached: the PDPTE */
	ptk_tlb_stats(&v.tlb, &st);
	PTK_EXPECT_EQ(st.walk_refs, 4 + 1 + 1 + 1);
	PTK_EXPECT_EQ(st.walk_refs_nopwc, 4 + 4 + 3 + 2);
	env_fini(&v);
}

/*
 * A hashed table: a fill reads, per page size tried (smallest first),
 * the key line of its search and, on the hit, the value line. One page
 * of each size, one record per size, so no search goes past its home
 * line: 4K = 2 (hit), 2M = 1 + 2, 1G = 1 + 1 + 2, walk cache or not.
 */
PTK_TEST(tlb_walk_refs_hash)
{
	struct ptk_tlb_opts o = { 64, 4, 3, { 12, 21, 30, 0 }, 16 };
	static struct ptk_tlb_entry e[64 * 4];
	static const unsigned int want[3] = { 2, 3, 4 };
	static const ptk_va_t va[3] = { BASE, BASE + M2, 2 * G1 };
	struct ptk_mem_heap h;
	struct ptk_tlb_space sp;
	struct ptk_tlb_stats st;
	struct ptk_tlb_result r;
	struct ptk_table t;
	struct ptk_tlb tlb;
	uint64_t before = 0;
	unsigned int i;

	PTK_ASSERT_OK(ptk_mem_heap_init(&h));
	PTK_ASSERT_OK(ptk_table_create(&t, ptk_fmt_lookup("x86_64"), &h.mem,
				       PTK_TABLE_HASH));
	PTK_ASSERT_OK(ptk_map(&t, BASE, PG, 0x100000, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_map(&t, BASE + M2, M2, 0x40000000, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_map(&t, 2 * G1, G1, 0x80000000, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_tlb_init(&tlb, e, &o));
	memset(&sp, 0, sizeof(sp));
	PTK_ASSERT_OK(ptk_tlb_attach(&sp, &tlb, &t, 1, BASE, 2 * G1));
	for (i = 0; i < 3; i++) {
		PTK_ASSERT_OK(ptk_tlb_translate(&sp, va[i], &r));
		ptk_tlb_stats(&tlb, &st);
		PTK_EXPECT_EQ(st.walk_refs - before, want[i]);
		PTK_EXPECT_EQ(st.walk_refs_nopwc, st.walk_refs);
		before = st.walk_refs;
	}
	ptk_tlb_detach(&sp);
	ptk_table_destroy(&t);
	ptk_mem_heap_fini(&h);
}

/* Invalidation through the subscription, exact at both ends. */
PTK_TEST(tlb_coherent_range)
{
	static struct env v;
	struct ptk_tlb_result r;
	struct ptk_tlb_stats st;
	unsigned int i;

	env_init(&v, 4, 3);
	for (i = 0; i < 32; i++)
		same(&v, BASE + i * PG);
	PTK_ASSERT_OK(ptk_unmap(&v.t, BASE + 8 * PG, 8 * PG, 0, NULL));
	for (i = 0; i < 32; i++) {
		int want = (i >= 8 && i < 16) ? PTK_ENOENT : 0;

		if (ptk_tlb_lookup(&v.tlb, 1, BASE + i * PG, &r) != want)
			PTK_FAIL("page %u after unmap of 8..15: want %d", i,
				 want);
	}
	ptk_tlb_stats(&v.tlb, &st);
	PTK_EXPECT_EQ(st.flushed, 8);
	PTK_ASSERT_OK(
		ptk_protect(&v.t, BASE + 20 * PG, PG, PTK_PROT_READ, 0, NULL));
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 1, BASE + 20 * PG, &r),
		      PTK_ENOENT);
	PTK_ASSERT_OK(ptk_tlb_translate(&v.sp, BASE + 20 * PG, &r));
	PTK_EXPECT_EQ(r.prot, PTK_PROT_READ);
	/* A big range: the scan path. */
	same(&v, 2 * G1 + 5 * PG);
	PTK_ASSERT_OK(ptk_protect(&v.t, 2 * G1, G1, PTK_PROT_READ, 0, NULL));
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 1, 2 * G1, &r), PTK_ENOENT);
	PTK_EXPECT_OK(ptk_tlb_lookup(&v.tlb, 1, BASE + 21 * PG, &r));
	/* By hand: range, id, all. */
	ptk_tlb_flush_range(&v.tlb, 1, BASE + 21 * PG, PG);
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 1, BASE + 21 * PG, &r),
		      PTK_ENOENT);
	PTK_EXPECT_OK(ptk_tlb_lookup(&v.tlb, 1, BASE + 22 * PG, &r));
	PTK_EXPECT_OK(ptk_tlb_lookup(&v.tlb, 1, BASE + 20 * PG, &r));
	ptk_tlb_flush_all(&v.tlb);
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 1, BASE + 22 * PG, &r),
		      PTK_ENOENT);
	env_fini(&v);
}

PTK_TEST(tlb_asid_global)
{
	static struct env v, w;
	struct ptk_tlb_space sp2;
	struct ptk_tlb_result r;

	memset(&sp2, 0, sizeof(sp2));
	env_init(&v, 0, 3);
	env_init(&w, 0, 3);
	/* w's table under id 2 in v's TLB, a global page in v's table. */
	PTK_ASSERT_OK(ptk_tlb_attach(&sp2, &v.tlb, &w.t, 2, BASE, 2 * G1));
	PTK_ASSERT_OK(
		ptk_map(&w.t, BASE, PG, 0x999000, &rw, PTK_MAP_REPLACE, NULL));
	PTK_ASSERT_OK(
		ptk_map(&v.t, BASE + 200 * PG, PG, 0x777000, &rg, 0, NULL));
	PTK_ASSERT_OK(ptk_tlb_translate(&v.sp, BASE, &r));
	PTK_EXPECT_EQ(r.oa, 0x100000);
	PTK_ASSERT_OK(ptk_tlb_translate(&sp2, BASE, &r));
	PTK_EXPECT_EQ(r.oa, 0x999000);
	PTK_ASSERT_OK(ptk_tlb_translate(&v.sp, BASE + 200 * PG, &r));
	PTK_EXPECT(r.global);
	PTK_ASSERT_OK(ptk_tlb_lookup(&v.tlb, 2, BASE + 200 * PG, &r));
	PTK_EXPECT_EQ(r.oa, 0x777000);
	ptk_tlb_flush_asid(&v.tlb, 1);
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 1, BASE, &r), PTK_ENOENT);
	PTK_EXPECT_OK(ptk_tlb_lookup(&v.tlb, 2, BASE, &r));
	PTK_EXPECT_OK(ptk_tlb_lookup(&v.tlb, 1, BASE + 200 * PG, &r));
	/* An unmap in w's table drops id 2's entry only. */
	PTK_ASSERT_OK(ptk_tlb_translate(&v.sp, BASE, &r));
	PTK_ASSERT_OK(ptk_unmap(&w.t, BASE, PG, 0, NULL));
	PTK_EXPECT_RC(ptk_tlb_lookup(&v.tlb, 2, BASE, &r), PTK_ENOENT);
	PTK_EXPECT_OK(ptk_tlb_lookup(&v.tlb, 1, BASE, &r));
	ptk_tlb_detach(&sp2);
	env_fini(&w);
	env_fini(&v);
}

PTK_TEST(tlb_bad_input)
{
	static struct env v;
	struct ptk_tlb t;
	struct ptk_tlb_entry e[8];
	struct ptk_tlb_opts o = { 3, 2, 1, { 12, 0, 0, 0 }, 0 };
	struct ptk_tlb_result r;

	PTK_EXPECT_RC(ptk_tlb_init(&t, e, &o), PTK_EINVAL); /* sets */
	o.sets = 4;
	o.ways = 0;
	PTK_EXPECT_RC(ptk_tlb_init(&t, e, &o), PTK_EINVAL);
	o.ways = 2;
	o.nr_sizes = 2;
	o.sizes_lg2[1] = 12;
	PTK_EXPECT_RC(ptk_tlb_init(&t, e, &o), PTK_EINVAL); /* repeated */
	o.nr_sizes = 1;
	o.pwc = PTK_TLB_PWC_MAX + 1;
	PTK_EXPECT_RC(ptk_tlb_init(&t, e, &o), PTK_EINVAL);
	env_init(&v, 0, 3);
	PTK_EXPECT_RC(ptk_tlb_translate(&v.sp, BASE - PG, &r), PTK_EOUTSIDE);
	PTK_EXPECT_RC(ptk_tlb_attach(&v.sp, &v.tlb, &v.t, 1, BASE, PG),
		      PTK_ESUBSCRIBED);
	env_fini(&v);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(tlb_hit_miss_fill),  PTK_TEST_ENTRY(tlb_size_not_held),
	PTK_TEST_ENTRY(tlb_walk_refs),	    PTK_TEST_ENTRY(tlb_walk_refs_hash),
	PTK_TEST_ENTRY(tlb_coherent_range), PTK_TEST_ENTRY(tlb_asid_global),
	PTK_TEST_ENTRY(tlb_bad_input),	    PTK_TEST_END,
};
PTK_TEST_MAIN(tests)
