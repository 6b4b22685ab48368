// SPDX-License-Identifier: MIT
/*
 * The hashed table's own API (ptkit/hash.h) and what it refuses; the
 * shared suites (model, diff, fault, iter: *_hash) check its contract.
 *
 *  - hash_create: PTK_TABLE_HASH and ptk_table_create_impl() with every
 *    record size; options checked (version, size); shared tables refused
 *    with PTK_EIMPL whatever the provider offers; impl ops checked.
 *  - hash_refusals: ptk_copy() between a radix and a hashed table is
 *    PTK_EIMPL both ways and changes nothing; ptk_hash_stats() of a radix
 *    table is PTK_EINVAL.
 *  - hash_stats: records, slots and blocks follow what is mapped (one
 *    record per 2^cluster_lg2 pages, at most 3/4 of the slots used, every
 *    block returned when the table is emptied).
 */
#include <stdlib.h>
#include <string.h>

#include "ptkit.h"
#include "ptkit/sys/impl.h"
#include "harness/ptk_test.h"

static const struct ptk_attrs rw = { PTK_PROT_READ | PTK_PROT_WRITE, 0, 0, 0 };

PTK_TEST(hash_create)
{
	struct ptk_mem_arena a;
	struct ptk_ebr *e = calloc(1, sizeof(*e));
	struct ptk_hash_opts o = { PTK_HASH_OPTS_VERSION, 0 };
	struct ptk_hash_stats hs;
	struct ptk_impl_ops bad;
	struct ptk_table t;
	struct ptk_xlate x;
	unsigned int k;

	PTK_ASSERT(e);
	PTK_ASSERT_OK(ptk_mem_arena_create(&a, 0x40000000, 16 << 20));
	for (k = 0; k <= PTK_HASH_CLUSTER_MAX; k++) {
		o.cluster_lg2 = k;
		PTK_ASSERT_OK(ptk_table_create_impl(&t, &ptk_fmt_x86_64, &a.mem,
						    &ptk_hash_ops, &o, 0));
		PTK_ASSERT_OK(
			ptk_map(&t, 0x7000, 0x3000, 0x9000, &rw, 0, NULL));
		PTK_ASSERT_OK(ptk_translate(&t, 0x8123, &x));
		PTK_EXPECT_EQ(x.oa, 0xa123);
		PTK_ASSERT_OK(ptk_hash_stats(&hs, &t));
		PTK_EXPECT_EQ(hs.cluster_lg2[0], k);
		/* pages 7, 8, 9 in records of 2^k */
		PTK_EXPECT_EQ(hs.records[0], k == 0 ? 3 : k < 4 ? 2 : 1);
		ptk_table_destroy(&t);
		PTK_EXPECT_EQ(a.stats.live, 0);
	}
	/* the record size is raised to a contiguous group, capped at a
	 * table */
	o.cluster_lg2 = 0;
	PTK_ASSERT_OK(ptk_table_create_impl(&t, &ptk_fmt_armv8_4k_48, &a.mem,
					    &ptk_hash_ops, &o, 0));
	PTK_ASSERT_OK(ptk_hash_stats(&hs, &t));
	PTK_EXPECT_EQ(hs.cluster_lg2[0], 4);
	ptk_table_destroy(&t);
	o.cluster_lg2 = 7;
	PTK_ASSERT_OK(ptk_table_create_impl(&t, &ptk_fmt_x86_32, &a.mem,
					    &ptk_hash_ops, &o, 0));
	PTK_ASSERT_OK(ptk_hash_stats(&hs, &t));
	PTK_EXPECT_EQ(hs.cluster_lg2[1], 7);
	ptk_table_destroy(&t);
	/* options */
	o.cluster_lg2 = PTK_HASH_CLUSTER_MAX + 1;
	PTK_EXPECT_RC(ptk_table_create_impl(&t, &ptk_fmt_x86_64, &a.mem,
					    &ptk_hash_ops, &o, 0),
		      PTK_EINVAL);
	o.cluster_lg2 = 3;
	o.version = PTK_HASH_OPTS_VERSION + 1;
	PTK_EXPECT_RC(ptk_table_create_impl(&t, &ptk_fmt_x86_64, &a.mem,
					    &ptk_hash_ops, &o, 0),
		      PTK_EVERSION);
	PTK_EXPECT_EQ(a.stats.live, 0);
	/* shared readers: refused, with or without read sections */
	PTK_EXPECT_RC(ptk_table_create(&t, &ptk_fmt_x86_64, &a.mem,
				       PTK_TABLE_HASH | PTK_TABLE_SHARED),
		      PTK_EIMPL);
	PTK_ASSERT_OK(ptk_ebr_init(e, &a.mem));
	PTK_EXPECT_RC(ptk_table_create(&t, &ptk_fmt_x86_64, &e->mem,
				       PTK_TABLE_HASH | PTK_TABLE_SHARED),
		      PTK_EIMPL);
	PTK_EXPECT_EQ(a.stats.live, 0);
	/* flags and implementations */
	PTK_EXPECT_RC(ptk_table_create_impl(&t, &ptk_fmt_x86_64, &a.mem,
					    &ptk_hash_ops, NULL, 0x80),
		      PTK_EINVAL);
	bad = ptk_hash_ops;
	bad.version = 1;
	PTK_EXPECT_RC(ptk_table_create_impl(&t, &ptk_fmt_x86_64, &a.mem, &bad,
					    NULL, 0),
		      PTK_EVERSION);
	/* NULL impl: the radix engine */
	PTK_ASSERT_OK(ptk_table_create_impl(&t, &ptk_fmt_x86_64, &a.mem, NULL,
					    NULL, 0));
	PTK_EXPECT_RC(ptk_hash_stats(&hs, &t), PTK_EINVAL);
	ptk_table_destroy(&t);
	ptk_ebr_fini(e);
	free(e);
	ptk_mem_arena_destroy(&a);
}

PTK_TEST(hash_refusals)
{
	struct ptk_mem_arena a;
	struct ptk_table r, h, r2;
	uint64_t live;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, 0x40000000, 16 << 20));
	PTK_ASSERT_OK(ptk_table_create(&r, &ptk_fmt_x86_64, &a.mem, 0));
	PTK_ASSERT_OK(ptk_table_create(&r2, &ptk_fmt_x86_64, &a.mem,
				       PTK_TABLE_GENERIC));
	PTK_ASSERT_OK(
		ptk_table_create(&h, &ptk_fmt_x86_64, &a.mem, PTK_TABLE_HASH));
	PTK_ASSERT_OK(ptk_map(&r, 0x200000, 0x200000, 0, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_map(&h, 0x200000, 0x200000, 0, &rw, 0, NULL));
	live = a.stats.live;
	PTK_EXPECT_RC(ptk_copy(&h, &r, 0x200000, 0x200000, 0, NULL), PTK_EIMPL);
	PTK_EXPECT_RC(ptk_copy(&r, &h, 0x200000, 0x200000, PTK_COPY_COW, NULL),
		      PTK_EIMPL);
	PTK_EXPECT_EQ(a.stats.live, live);
	PTK_EXPECT_RC(ptk_translate(&r2, 0x200000, NULL), PTK_ENOENT);
	/* radix instances still copy from each other */
	PTK_EXPECT_OK(ptk_copy(&r2, &r, 0x200000, 0x200000, 0, NULL));
	PTK_EXPECT_OK(ptk_translate(&r2, 0x200000, NULL));
	ptk_table_destroy(&h);
	ptk_table_destroy(&r2);
	ptk_table_destroy(&r);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

PTK_TEST(hash_stats)
{
	struct ptk_mem_arena a;
	struct ptk_hash_stats hs;
	struct ptk_table t;
	uint64_t n;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, 0x40000000, 64 << 20));
	PTK_ASSERT_OK(
		ptk_table_create(&t, &ptk_fmt_x86_64, &a.mem, PTK_TABLE_HASH));
	PTK_ASSERT_OK(ptk_hash_stats(&hs, &t));
	PTK_EXPECT_EQ(hs.blocks, 1); /* the header */
	PTK_EXPECT_EQ(a.stats.live, 1);
	/* 3000 records of 8 pages: 4096 slots, several segments */
	n = 3000 * 8;
	PTK_ASSERT_OK(ptk_map(&t, 0x10000000, n << 12, 0, &rw,
			      PTK_MAP_MAX_PAGE(12), NULL));
	PTK_ASSERT_OK(ptk_hash_stats(&hs, &t));
	PTK_EXPECT_EQ(hs.records[0], 3000);
	PTK_EXPECT_EQ(hs.slots[0], 4096);
	PTK_EXPECT_EQ(hs.records[1], 0);
	PTK_EXPECT_EQ(hs.slots[1], 0);
	PTK_EXPECT(hs.sum_records >= 3000 / 64);
	PTK_EXPECT_EQ(hs.blocks, a.stats.live);
	PTK_EXPECT_EQ(hs.bytes, a.stats.live_bytes);
	/* a 1 GiB leaf goes to the level-2 hash */
	PTK_ASSERT_OK(
		ptk_map(&t, 0x80000000, 1 << 30, 0x40000000, &rw, 0, NULL));
	PTK_ASSERT_OK(ptk_hash_stats(&hs, &t));
	PTK_EXPECT_EQ(hs.records[2], 1);
	/* empty again: the header alone */
	PTK_ASSERT_OK(ptk_unmap(&t, 0, 1ull << 47, 0, NULL));
	PTK_ASSERT_OK(ptk_hash_stats(&hs, &t));
	PTK_EXPECT_EQ(hs.blocks, 1);
	PTK_EXPECT_EQ(a.stats.live, 1);
	PTK_EXPECT_EQ(ptk_table_count(&t, 0), 0);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(hash_create),
	PTK_TEST_ENTRY(hash_refusals),
	PTK_TEST_ENTRY(hash_stats),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
