// SPDX-License-Identifier: MIT
/*
 * Mirrors (ptkit/mirror.h) between formats: after a fault the secondary
 * holds exactly the primary's translations (same sizes where it can map
 * them); after any change of the primary it holds no translation the
 * primary does not; bad input. The oracle is the primary itself, read
 * with ptk_translate(), which the mirror does not use.
 */
#include <inttypes.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

#define PG 4096ull
#define G1 (1ull << 30)
#define M2 (2ull << 20)
/* The mirrored range: [1 GiB, 3 GiB), below 4 GiB for the 32-bit VAs. */
#define MVA G1
#define MLEN (2 * G1)

struct side {
	struct ptk_mem_heap h;
	struct ptk_table t;
};

static void side_init(struct side *s, const char *fmt)
{
	const struct ptk_fmt *f = ptk_fmt_lookup(fmt);

	PTK_ASSERT(f != NULL);
	if (f->table_oa_bits < 48)
		PTK_ASSERT_OK(ptk_mem_heap_init_below(&s->h, f->table_oa_bits));
	else
		PTK_ASSERT_OK(ptk_mem_heap_init(&s->h));
	PTK_ASSERT_OK(ptk_table_create(&s->t, f, &s->h.mem, 0));
}

static void side_fini(struct side *s)
{
	ptk_table_destroy(&s->t);
	ptk_mem_heap_fini(&s->h);
}

static uint32_t prot_of(const struct ptk_table *t, const struct ptk_xlate *x)
{
	struct ptk_attrs a;

	PTK_ASSERT_OK(ptk_leaf_attrs(&a, t, x->level, x->pte));
	return a.prot;
}

/* Every leaf of the secondary is the primary's, end to end. */
static void check_subset(struct ptk_table *p, struct ptk_table *s,
			 uint32_t prot_add)
{
	struct ptk_iter it;
	int rc;

	PTK_ASSERT_OK(ptk_iter_init(&it, s, MVA, MLEN, 0));
	while ((rc = ptk_iter_next(&it)) > 0) {
		uint64_t size = 1ull << it.size_lg2;
		struct ptk_xlate a, b;

		if (ptk_translate(p, it.va, &a) ||
		    ptk_translate(p, it.va + size - 1, &b) || a.oa != it.oa ||
		    b.oa != it.oa + size - 1 ||
		    (prot_of(p, &a) | prot_add) != it.attrs.prot) {
			PTK_FAIL("secondary leaf va %" PRIx64 " oa %" PRIx64
				 " size 2^%u prot %x not in the primary",
				 it.va, it.oa, it.size_lg2, it.attrs.prot);
			break;
		}
	}
	PTK_EXPECT_OK(rc);
	ptk_iter_fini(&it);
}

/* Every leaf of the primary is in the secondary, huge where possible. */
static void check_complete(struct ptk_table *p, struct ptk_table *s)
{
	uint64_t sizes = ptk_fmt_page_sizes(ptk_table_fmt(s));
	struct ptk_iter it;
	int rc;

	PTK_ASSERT_OK(ptk_iter_init(&it, p, MVA, MLEN, 0));
	while ((rc = ptk_iter_next(&it)) > 0) {
		uint64_t size = 1ull << it.size_lg2;
		struct ptk_xlate a, b;
		bool same = (sizes >> it.size_lg2) & 1;

		if (ptk_translate(s, it.va, &a) ||
		    ptk_translate(s, it.va + size - 1, &b) || a.oa != it.oa ||
		    b.oa != it.oa + size - 1 ||
		    (same && a.size_lg2 != it.size_lg2) ||
		    (!same && a.size_lg2 > it.size_lg2)) {
			PTK_FAIL("primary leaf va %" PRIx64
				 " size 2^%u missing "
				 "or wrong in the secondary",
				 it.va, it.size_lg2);
			break;
		}
	}
	PTK_EXPECT_OK(rc);
	ptk_iter_fini(&it);
}

static const struct ptk_attrs at_rw = { PTK_PROT_RW, 0, 0, 0 };
static const struct ptk_attrs at_r = { PTK_PROT_READ, 0, 0, 0 };
static const struct ptk_attrs at_rx = { PTK_PROT_READ | PTK_PROT_EXEC, 0, 0,
					0 };

static void populate(struct ptk_table *p)
{
	/* 4K pages of three protections, a 2 MiB page, a 1 GiB page. */
	PTK_ASSERT_OK(ptk_map(p, MVA, 16 * PG, 0x100000, &at_rw,
			      PTK_MAP_MAX_PAGE(12), NULL));
	PTK_ASSERT_OK(
		ptk_map(p, MVA + 16 * PG, 4 * PG, 0x200000, &at_r, 0, NULL));
	PTK_ASSERT_OK(
		ptk_map(p, MVA + 20 * PG, 4 * PG, 0x7000, &at_rx, 0, NULL));
	PTK_ASSERT_OK(ptk_map(p, MVA + M2, M2, 0x40000000, &at_rw, 0, NULL));
	PTK_ASSERT_OK(ptk_map(p, 2 * G1, G1, 0x80000000, &at_rw, 0, NULL));
}

static void one_pair(const char *pf, const char *sf, uint32_t memtype, bool s2)
{
	struct side p, s;
	struct ptk_mirror m;
	struct ptk_mirror_opts o = { 0, memtype, 0, 0, 0 };
	struct ptk_mirror_stats st;
	uint32_t mask = 0;

	if (s2) {
		/* Stage 2: every leaf is user and global. */
		o.prot_add = mask = PTK_PROT_USER;
		o.attr_add = PTK_ATTR_GLOBAL;
	}

	side_init(&p, pf);
	side_init(&s, sf);
	populate(&p.t);
	PTK_ASSERT_OK(ptk_mirror_init(&m, &p.t, &s.t, MVA, MLEN, &o));
	PTK_ASSERT_OK(ptk_mirror_fault(&m, MVA, MLEN));
	check_subset(&p.t, &s.t, mask);
	check_complete(&p.t, &s.t);

	/* Changes of every kind: the secondary keeps no stale leaf. */
	PTK_ASSERT_OK(ptk_unmap(&p.t, MVA + 2 * PG, 2 * PG, 0, NULL));
	check_subset(&p.t, &s.t, mask);
	PTK_ASSERT_OK(
		ptk_protect(&p.t, MVA + 5 * PG, PG, PTK_PROT_READ, 0, NULL));
	check_subset(&p.t, &s.t, mask);
	PTK_ASSERT_OK(ptk_split(&p.t, MVA + M2, 1, NULL));
	check_subset(&p.t, &s.t, mask);
	PTK_ASSERT_OK(ptk_unmap(&p.t, 2 * G1 + M2, PG, PTK_UNMAP_SPLIT, NULL));
	check_subset(&p.t, &s.t, mask);
	PTK_ASSERT_OK(
		ptk_move(&p.t, MVA + 8 * PG, MVA + 64 * PG, 4 * PG, 0, NULL));
	check_subset(&p.t, &s.t, mask);
	PTK_ASSERT_OK(ptk_map(&p.t, MVA + 8 * PG, PG, 0x123000, &at_rx,
			      PTK_MAP_REPLACE, NULL));
	check_subset(&p.t, &s.t, mask);
	PTK_ASSERT_OK(ptk_map(&p.t, MVA + 12 * PG, PG, 0x124000, &at_r,
			      PTK_MAP_REPLACE, NULL));
	check_subset(&p.t, &s.t, mask);
	/* Refault: complete again. */
	PTK_ASSERT_OK(ptk_mirror_fault(&m, MVA, MLEN));
	check_subset(&p.t, &s.t, mask);
	check_complete(&p.t, &s.t);
	ptk_mirror_stats(&m, &st);
	PTK_EXPECT_EQ(st.faults, 2);
	PTK_EXPECT(st.invalidations >= 6);
	PTK_EXPECT(st.installs > 0);
	ptk_mirror_fini(&m);
	PTK_EXPECT_RC(ptk_translate(&s.t, MVA, NULL), PTK_ENOENT);
	PTK_EXPECT_EQ(ptk_interval_count(&p.t), 0);
	side_fini(&s);
	side_fini(&p);
}

PTK_TEST(mirror_x86_64_to_s2)
{
	one_pair("x86_64", "armv8_s2_4k_48", 0xf, true);
}

PTK_TEST(mirror_x86_64_to_ept)
{
	one_pair("x86_64", "x86_ept", 6, false);
}

PTK_TEST(mirror_riscv_sv48_to_armv8)
{
	one_pair("riscv_sv48", "armv8_4k_48", 0, false);
}

PTK_TEST(mirror_x86_64_to_x86_64)
{
	one_pair("x86_64", "x86_64", 0, false);
}

/* No 1 GiB pages in the secondary: split into 2 MiB ones. */
PTK_TEST(mirror_x86_64_to_pae_split)
{
	one_pair("x86_64", "x86_pae", 0, false);
}

PTK_TEST(mirror_bad_input)
{
	struct side p, s, big;
	struct ptk_mirror m;
	const ptk_va_t high = 0xffff800000000000ull;

	side_init(&p, "x86_64");
	side_init(&s, "x86_ept");
	side_init(&big, "armv8_s2_64k_48");
	populate(&p.t);
	/* The upper canonical half has no EPT counterpart. */
	PTK_EXPECT_RC(ptk_mirror_init(&m, &p.t, &s.t, high, G1, NULL),
		      PTK_EMISFIT);
	/* Across x86-64's non-canonical hole. */
	PTK_EXPECT_RC(ptk_mirror_init(&m, &p.t, &s.t, 0x7fffc0000000ull,
				      0x800000000000ull, NULL),
		      PTK_EMISFIT);
	/* 64 KiB granule cannot hold 4 KiB pages. */
	PTK_EXPECT_RC(ptk_mirror_init(&m, &p.t, &big.t, MVA, MLEN, NULL),
		      PTK_EMISFIT);
	PTK_EXPECT_RC(ptk_mirror_init(&m, &p.t, &p.t, MVA, MLEN, NULL),
		      PTK_EINVAL);
	PTK_EXPECT_EQ(ptk_interval_count(&p.t), 0);
	/* Fault outside the subscription: error, nothing mapped. */
	PTK_ASSERT_OK(ptk_mirror_init(&m, &p.t, &s.t, MVA, 16 * PG, NULL));
	PTK_EXPECT_RC(ptk_mirror_fault(&m, MVA, 17 * PG), PTK_EOUTSIDE);
	PTK_EXPECT_RC(ptk_mirror_fault(&m, MVA - PG, PG), PTK_EOUTSIDE);
	PTK_EXPECT_RC(ptk_translate(&s.t, MVA, NULL), PTK_ENOENT);
	PTK_EXPECT_OK(ptk_mirror_fault(&m, MVA, 16 * PG));
	PTK_EXPECT_OK(ptk_translate(&s.t, MVA + 15 * PG, NULL));
	PTK_EXPECT_RC(ptk_translate(&s.t, MVA + 16 * PG, NULL), PTK_ENOENT);
	ptk_mirror_fini(&m);
	side_fini(&big);
	side_fini(&s);
	side_fini(&p);
}

/* Kernel pages into stage 2: a clear error unless the caller asks for
 * user and global to be added. */
PTK_TEST(mirror_s2_needs_user)
{
	struct side p, s;
	struct ptk_mirror m;
	struct ptk_mirror_opts o = { 0, 0xf, 0, 0, 0 };

	side_init(&p, "x86_64");
	side_init(&s, "armv8_s2_4k_48");
	PTK_ASSERT_OK(ptk_map(&p.t, MVA, PG, 0x5000, &at_r, 0, NULL));
	PTK_ASSERT_OK(ptk_mirror_init(&m, &p.t, &s.t, MVA, MLEN, &o));
	PTK_EXPECT_RC(ptk_mirror_fault(&m, MVA, PG), PTK_EPROT);
	PTK_EXPECT_RC(ptk_translate(&s.t, MVA, NULL), PTK_ENOENT);
	ptk_mirror_fini(&m);
	o.prot_add = PTK_PROT_USER;
	o.attr_add = PTK_ATTR_GLOBAL;
	PTK_ASSERT_OK(ptk_mirror_init(&m, &p.t, &s.t, MVA, MLEN, &o));
	PTK_EXPECT_OK(ptk_mirror_fault(&m, MVA, PG));
	check_subset(&p.t, &s.t, PTK_PROT_USER);
	ptk_mirror_fini(&m);
	side_fini(&s);
	side_fini(&p);
}

/* Changes the mirror caused itself (owner tag) are skipped; destroy of
 * the primary empties the secondary. */
PTK_TEST(mirror_owner_and_release)
{
	struct side p, s;
	struct ptk_mirror m;
	struct ptk_mirror_stats st;
	struct ptk_gather g;

	side_init(&p, "x86_64");
	side_init(&s, "x86_64");
	populate(&p.t);
	PTK_ASSERT_OK(ptk_mirror_init(&m, &p.t, &s.t, MVA, MLEN, NULL));
	PTK_ASSERT_OK(ptk_mirror_fault(&m, MVA, 24 * PG));
	ptk_gather_init(&g);
	g.owner = &m;
	PTK_ASSERT_OK(ptk_protect(&p.t, MVA, PG, PTK_PROT_READ, 0, &g));
	ptk_table_flush(&p.t, &g);
	ptk_mirror_stats(&m, &st);
	PTK_EXPECT_EQ(st.own, 1);
	PTK_EXPECT_EQ(st.invalidations, 0);
	ptk_table_destroy(&p.t);
	PTK_EXPECT_RC(ptk_translate(&s.t, MVA + PG, NULL), PTK_ENOENT);
	ptk_mirror_fini(&m);
	ptk_mem_heap_fini(&p.h);
	side_fini(&s);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(mirror_x86_64_to_s2),
	PTK_TEST_ENTRY(mirror_x86_64_to_ept),
	PTK_TEST_ENTRY(mirror_riscv_sv48_to_armv8),
	PTK_TEST_ENTRY(mirror_x86_64_to_x86_64),
	PTK_TEST_ENTRY(mirror_x86_64_to_pae_split),
	PTK_TEST_ENTRY(mirror_bad_input),
	PTK_TEST_ENTRY(mirror_s2_needs_user),
	PTK_TEST_ENTRY(mirror_owner_and_release),
	PTK_TEST_END,
};
PTK_TEST_MAIN(tests)
