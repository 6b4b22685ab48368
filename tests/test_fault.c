// SPDX-License-Identifier: MIT
/*
 * Fault injection: every table allocation an operation makes may fail,
 * and a failed operation leaves nothing behind.
 *
 * A provider wrapping a simulated arena fails its Nth allocation. For
 * each scenario (a map into a fresh table; a map next to existing
 * neighbours; a 1 GiB + 4 KiB range off every alignment; a replace that
 * splits a huge leaf; unmaps with PTK_UNMAP_SPLIT that need tables;
 * protect with PTK_PROTECT_SPLIT; a clearing harvest and a collapse, which
 * must allocate nothing; copy into an empty table, plain and
 * copy-on-write; move unaligned and aligned; split of the largest leaf),
 * the operation is run with N = 1, 2, ... until it succeeds. After each
 * failure: the return is PTK_ENOMEM; every byte of the arena outside
 * free blocks equals the snapshot taken before (both tables live in it;
 * blocks above the old high-water mark are free or still zero); the live
 * block count, the per-level table counts and the gather are unchanged;
 * ptk_table_check() passes. After the success, the table equals the
 * reference model leaf by leaf.
 *
 * Each scenario runs for every built-in format (fault_<format>) and
 * toy32, with attributes as the format expresses them, with both engine
 * instances, and with the wrapper both linear (the engine converts
 * addresses itself) and not (every access goes through mem->map).
 *
 * fault_<format>_hash and fault_toy32_hash run the same scenarios on
 * hashed tables. What a hashed table allocates (arrays that grow, none
 * per level) is its own business: there the counts written down for the
 * radix tree become "at least one" (none for harvest), and collapse may
 * allocate (the larger page size's hash may have to grow).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/arena_util.h"
#include "model/ref_model.h"
#include "model/toy_fmt.h"
#include "model/fault_mem.h"
#include "model/walk_rec.h"
#include "model/workload.h"

struct fctx {
	const struct ptk_fmt *f;
	struct ptk_mem_arena arena;
	struct fault_mem fm;
	struct ptk_table t;
	struct ptk_table dst; /* ptk_copy()'s destination */
	struct ref_model m;
	struct ref_model dm;
	struct walk_rec wr;
	uint64_t s0, s1, sl; /* smallest, next, largest page sizes */
	uint64_t base; /* a VA aligned to the largest page, mid-space */
	struct ptk_attrs aa, ab; /* attrs_a / attrs_b as the format has them */
	uint32_t prot2; /* another prot the format can express */
};

static const struct ptk_attrs attrs_a = {
	PTK_PROT_READ | PTK_PROT_WRITE | PTK_PROT_EXEC, 0, 0, 1
};
static const struct ptk_attrs attrs_b = {
	PTK_PROT_READ | PTK_PROT_EXEC | PTK_PROT_USER, PTK_ATTR_ACCESSED, 0, 2
};

static void check_model_tm(struct fctx *c, const struct ptk_table *t,
			   const struct ref_model *m, const char *what);

/* Both tables equal their models, leaf by leaf. */
static void check_model(struct fctx *c, const char *what)
{
	check_model_tm(c, &c->t, &c->m, what);
	check_model_tm(c, &c->dst, &c->dm, what);
}

static void check_model_tm(struct fctx *c, const struct ptk_table *t,
			   const struct ref_model *m, const char *what)
{
	size_t mi = 0, i;
	uint64_t k;

	PTK_ASSERT_OK(wr_walk(&c->wr, t, 0, 0, true, WR_LEAVES));
	for (i = 0; i < c->wr.n; i++) {
		const struct wr_event *e = &c->wr.v[i];
		unsigned int sh = c->f->level_shift[e->level];

		/* a contiguous group is 2^contig_lg2 leaves */
		for (k = 0; k < (e->count << (e->size_lg2 - sh)); k++, mi++) {
			const struct rm_leaf *l = &m->v[mi];
			uint64_t off = k << sh;

			if (mi >= m->n || l->va != e->va + off ||
			    l->oa != e->oa + off || l->level != e->level ||
			    l->attrs.prot != e->attrs.prot ||
			    l->attrs.sw != e->attrs.sw) {
				PTK_FAIL("%s: leaf at 0x%" PRIx64 " level %u "
					 "differs "
					 "from the "
					 "model",
					 what, e->va + off, e->level);
				return;
			}
		}
	}
	if (mi != m->n)
		PTK_FAIL("%s: %zu leaves walked, model has %zu", what, mi,
			 m->n);
}

static void setup(struct fctx *c, const struct ptk_fmt *f,
		  unsigned int table_flags, bool linear)
{
	struct rm_geom g;
	unsigned int top = 0;

	memset(c, 0, sizeof(*c));
	c->f = f;
	while (top + 1 < f->levels && (f->leaf_levels & (1u << (top + 1))))
		top++;
	c->s0 = UINT64_C(1) << f->level_shift[0];
	c->s1 = UINT64_C(1) << f->level_shift[1];
	c->sl = UINT64_C(1) << f->level_shift[top];
	/* a few top-level entries up, so that ranges cross boundaries
	 * (entry 1 when the top level has only two) */
	c->base = (f->level_bits[f->levels - 1] > 1 ? UINT64_C(3) : 1)
		  << f->level_shift[f->levels - 1];
	PTK_ASSERT_OK(ptk_mem_arena_create(&c->arena, 0x40000000, 64 << 20));
	fm_init(&c->fm, &c->arena, linear);
	PTK_ASSERT_OK(ptk_table_create(&c->t, f, &c->fm.mem, table_flags));
	PTK_ASSERT_OK(ptk_table_create(&c->dst, f, &c->fm.mem, table_flags));
	rm_geom_from_fmt(&g, f);
	rm_init(&c->m, &g);
	rm_init(&c->dm, &g);
	/* what the format makes of the attributes (toy32: READ|EXEC) */
	{
		struct wl_profile p;
		struct ptk_attrs r = { PTK_PROT_READ | PTK_PROT_EXEC, 0, 0, 0 };

		wl_profile_from_fmt(&p, f);
		c->aa = attrs_a;
		c->ab = attrs_b;
		c->aa.sw &= (1u << p.sw_bits) - 1;
		c->ab.sw &= (1u << p.sw_bits) - 1;
		c->aa.flags &= p.flags_ok;
		c->ab.flags &= p.flags_ok;
		PTK_ASSERT(!wl_encode(&p, &c->aa, true, &c->aa));
		PTK_ASSERT(!wl_encode(&p, &c->ab, true, &c->ab));
		PTK_ASSERT(!wl_encode(&p, &r, true, &r));
		c->prot2 = r.prot;
	}
}

static void teardown(struct fctx *c)
{
	ptk_table_destroy(&c->dst);
	rm_fini(&c->dm);
	ptk_table_destroy(&c->t);
	PTK_EXPECT_EQ(c->arena.stats.live, 0);
	ptk_mem_arena_destroy(&c->arena);
	rm_fini(&c->m);
	wr_free(&c->wr);
}

/* A mapping that must work (scenario set-up), applied to the model too. */
static void premap(struct fctx *c, uint64_t va, uint64_t len, uint64_t oa,
		   const struct ptk_attrs *a)
{
	c->fm.fail_at = 0;
	PTK_ASSERT_OK(ptk_map(&c->t, va, len, oa, a, 0, NULL));
	PTK_ASSERT_OK(rm_map(&c->m, va, va + len - 1, oa, a, false, 0, NULL));
}

enum fop {
	F_MAP,
	F_MAP_REPLACE,
	F_UNMAP_SPLIT,
	F_PROTECT_SPLIT, /* a: the prot */
	F_HARVEST_CLEAR,
	F_COPY, /* a: ptk_copy() flags */
	F_MOVE, /* oa: the new VA; a: ptk_move() flags */
	F_SPLIT, /* a: the level */
	F_COLLAPSE, /* a: the level */
};

static int nop_harvest(ptk_va_t va, uint64_t len, unsigned int found, void *arg)
{
	(void)va;
	(void)len;
	(void)found;
	(void)arg;
	return 0;
}

/* For protect and copy-on-write in the model (x86 and toy formats only
 * need READ kept; prots here always encode). */
static int fault_reprot(void *arg, unsigned int level, struct ptk_attrs *a)
{
	const uint32_t *prot = arg;

	(void)level;
	a->prot = prot ? *prot : a->prot & ~(uint32_t)PTK_PROT_WRITE;
	return 0;
}

/*
 * Run one operation with allocation N failing, N = 1, 2, ...; return the
 * number of allocations the successful run made.
 */
static uint64_t inject_a(struct fctx *c, const char *what, enum fop op,
			 uint64_t va, uint64_t len, uint64_t oa,
			 const struct ptk_attrs *a, uint32_t arg);

static uint64_t inject(struct fctx *c, const char *what, enum fop op,
		       uint64_t va, uint64_t len, uint64_t oa,
		       const struct ptk_attrs *a)
{
	return inject_a(c, what, op, va, len, oa, a, 0);
}

static uint64_t inject_a(struct fctx *c, const char *what, enum fop op,
			 uint64_t va, uint64_t len, uint64_t oa,
			 const struct ptk_attrs *a, uint32_t arg)
{
	uint64_t n, counts[PTK_MAX_LEVELS], diff, need;
	struct ptk_gather g;
	struct au_snap snap;
	struct ptk_check chk;
	unsigned int l;
	int rc = 0;

	for (n = 1; n < 64; n++) {
		for (l = 0; l < c->f->levels; l++)
			counts[l] = ptk_table_count(&c->t, l);
		au_snap_take(&snap, &c->arena);
		ptk_gather_init(&g);
		c->fm.calls = 0;
		c->fm.fail_at = n;
		switch (op) {
		case F_MAP:
			rc = ptk_map(&c->t, va, len, oa, a, 0, &g);
			break;
		case F_MAP_REPLACE:
			rc = ptk_map(&c->t, va, len, oa, a, PTK_MAP_REPLACE,
				     &g);
			break;
		case F_UNMAP_SPLIT:
			rc = ptk_unmap(&c->t, va, len, PTK_UNMAP_SPLIT, &g);
			break;
		case F_PROTECT_SPLIT:
			rc = ptk_protect(&c->t, va, len, arg, PTK_PROTECT_SPLIT,
					 &g);
			break;
		case F_HARVEST_CLEAR:
			rc = ptk_harvest(&c->t, va, len,
					 PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY,
					 PTK_HARVEST_CLEAR, nop_harvest, NULL,
					 &g);
			break;
		case F_COPY:
			rc = ptk_copy(&c->dst, &c->t, va, len, arg, &g);
			break;
		case F_MOVE:
			rc = ptk_move(&c->t, va, oa, len, arg, &g);
			break;
		case F_SPLIT:
			rc = ptk_split(&c->t, va, arg, &g);
			break;
		case F_COLLAPSE:
			rc = ptk_collapse(&c->t, va, arg, &g);
			break;
		}
		need = c->fm.calls;
		c->fm.fail_at = 0;
		if (!rc) {
			au_snap_free(&snap);
			break;
		}
		if (rc != PTK_ENOMEM) {
			PTK_FAIL("%s: allocation %" PRIu64 " failed: got %s, "
				 "want PTK_ENOMEM",
				 what, n, ptk_errname(rc));
		}
		diff = au_snap_diff(&snap, &c->arena);
		if (diff != UINT64_MAX)
			PTK_FAIL("%s: allocation %" PRIu64 " failed: arena "
				 "byte at offset 0x%" PRIx64 " changed",
				 what, n, diff);
		if (c->arena.stats.live != snap.stats.live)
			PTK_FAIL("%s: allocation %" PRIu64 " failed: live "
				 "blocks %" PRIu64 " -> %" PRIu64,
				 what, n, snap.stats.live, c->arena.stats.live);
		for (l = 0; l < c->f->levels; l++)
			if (ptk_table_count(&c->t, l) != counts[l])
				PTK_FAIL("%s: allocation %" PRIu64 " failed: "
					 "level %u table count changed",
					 what, n, l);
		if (g.nr || g.nr_free || g.flags)
			PTK_FAIL("%s: allocation %" PRIu64 " failed: the "
				 "gather was changed",
				 what, n);
		rc = ptk_table_check(&chk, &c->t);
		if (rc)
			PTK_FAIL("%s: allocation %" PRIu64 " failed: "
				 "ptk_table_check: %s (%s)",
				 what, n, ptk_errname(rc),
				 chk.what ? chk.what : "?");
		check_model(c, what);
		au_snap_free(&snap);
		if (ptk_test_failures())
			ptk_test_abort();
	}
	PTK_ASSERT_OK(rc);
	/* The successful run made n - 1 allocations: all were tried. */
	PTK_EXPECT_EQ(need, n - 1);
	ptk_table_flush(&c->t, &g);

	switch (op) {
	case F_MAP:
	case F_MAP_REPLACE:
		PTK_ASSERT_OK(rm_map(&c->m, va, va + len - 1, oa, a,
				     op == F_MAP_REPLACE, 0, NULL));
		break;
	case F_UNMAP_SPLIT:
		PTK_ASSERT_OK(rm_unmap(&c->m, va, va + len - 1, true, NULL));
		break;
	case F_PROTECT_SPLIT:
		PTK_ASSERT_OK(rm_reattr(&c->m, va, va + len - 1, true,
					fault_reprot, &arg));
		break;
	case F_HARVEST_CLEAR: {
		struct rm_runs runs = { 0 };

		rm_harvest(&c->m, va, va + len - 1,
			   PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY, true, va,
			   va + len - 1, &runs);
		rm_runs_free(&runs);
		break;
	}
	case F_COPY:
		PTK_ASSERT_OK(rm_copy_apply(
			&c->dm, &c->m, va, va + len - 1,
			(arg & PTK_COPY_COW) ? fault_reprot : NULL, NULL));
		break;
	case F_MOVE:
		PTK_ASSERT_OK(rm_move_apply(&c->m, va, va + len - 1, oa - va,
					    arg & PTK_MOVE_SPLIT));
		break;
	case F_SPLIT:
		PTK_ASSERT_OK(rm_split(&c->m, va, arg, false));
		break;
	case F_COLLAPSE:
		PTK_ASSERT_OK(rm_collapse(&c->m, va, arg, NULL, NULL));
		break;
	}
	check_model(c, what);
	PTK_EXPECT_OK(ptk_table_check(NULL, &c->t));
	return n - 1;
}

/*
 * All scenarios on one format / instance / provider mode; returns the
 * allocations that were made to fail in total.
 */
static uint64_t scenarios(const struct ptk_fmt *f, unsigned int table_flags,
			  bool linear)
{
	bool hash = table_flags & PTK_TABLE_HASH;
	struct fctx c;
	uint64_t b, total = 0, n;

	/* 1: a single page in a fresh table needs a table per level (a
	 * hashed table: its first arrays) */
	setup(&c, f, table_flags, linear);
	b = c.base;
	n = inject(&c, "fresh", F_MAP, b + 5 * c.s0, c.s0, 7 * c.s0, &c.aa);
	if (hash)
		PTK_EXPECT(n >= 1);
	else
		PTK_EXPECT_EQ(n, f->levels - 1u);
	total += n;
	teardown(&c);

	/* 2: next to neighbours, some tables exist and some do not */
	setup(&c, f, table_flags, linear);
	b = c.base;
	premap(&c, b, c.s0, c.s0, &c.aa);
	premap(&c, b + 3 * c.s1 + 8 * c.s0, c.s0, 2 * c.s0, &c.ab);
	premap(&c, b + 4 * c.s1 + 2 * c.sl, c.s1, 0, &c.aa);
	total += inject(&c, "neighbours", F_MAP, b + 2 * c.s0,
			3 * c.s1 + 5 * c.s0, 16 * c.s0, &c.ab);
	teardown(&c);

	/* 3: largest page + one small page, off every alignment, across a
	 * top-level boundary */
	setup(&c, f, table_flags, linear);
	b = c.base + c.s1 - c.s0;
	total += inject(&c, "unaligned", F_MAP, b - c.sl, c.sl + c.s0,
			(c.sl * 5) + c.s1 - c.s0, &c.aa);
	teardown(&c);

	/* 4: replacing one page inside the largest leaf splits it down */
	setup(&c, f, table_flags, linear);
	b = c.base;
	premap(&c, b, c.sl, c.sl, &c.aa);
	n = inject(&c, "replace-split", F_MAP_REPLACE, b + c.s1 + c.s0, c.s0,
		   3 * c.s0, &c.ab);
	PTK_EXPECT(n >= 1);
	total += n;
	teardown(&c);

	/* 5: unmap with split, inside the largest leaf and across two */
	setup(&c, f, table_flags, linear);
	b = c.base;
	premap(&c, b, 2 * c.sl, 0, &c.aa);
	total += inject(&c, "unmap-split", F_UNMAP_SPLIT, b + c.sl - 3 * c.s0,
			7 * c.s0, 0, NULL);
	total += inject(&c, "unmap-split-2", F_UNMAP_SPLIT,
			b + 3 * c.s1 + 5 * c.s0, c.s0, 0, NULL);
	teardown(&c);

	/* 7: protect with a split inside the largest leaf */
	setup(&c, f, table_flags, linear);
	b = c.base;
	premap(&c, b, 2 * c.sl, 0, &c.aa);
	n = inject_a(&c, "protect-split", F_PROTECT_SPLIT, b + c.sl - 3 * c.s0,
		     7 * c.s0, 0, NULL, c.prot2);
	PTK_EXPECT(n >= 1);
	total += n;
	/* harvest allocates nothing, collapse neither */
	PTK_EXPECT_EQ(inject(&c, "harvest", F_HARVEST_CLEAR, b, 2 * c.sl, 0,
			     NULL),
		      0);
	teardown(&c);

	/* 8: copy (fork) into an empty table, plain and copy-on-write */
	setup(&c, f, table_flags, linear);
	b = c.base;
	premap(&c, b, c.s0, c.s0, &c.aa);
	premap(&c, b + 3 * c.s1 + 8 * c.s0, 5 * c.s0, 2 * c.s0, &c.ab);
	premap(&c, b + 2 * c.sl, c.sl, c.sl, &c.aa);
	n = inject_a(&c, "copy", F_COPY, b, 3 * c.sl, 0, NULL, 0);
	PTK_EXPECT(n >= 1);
	total += n;
	teardown(&c);
	setup(&c, f, table_flags, linear);
	b = c.base;
	premap(&c, b, c.s0, c.s0, &c.aa);
	premap(&c, b + 3 * c.s1 + 8 * c.s0, 5 * c.s0, 2 * c.s0, &c.ab);
	n = inject_a(&c, "copy-cow", F_COPY, b, c.sl, 0, NULL, PTK_COPY_COW);
	PTK_EXPECT(n >= 1);
	total += n;
	teardown(&c);

	/* 9: move, unaligned (remapped) and aligned (relinked) */
	setup(&c, f, table_flags, linear);
	b = c.base;
	premap(&c, b, 3 * c.s0, c.s0, &c.aa);
	premap(&c, b + c.s1, c.s1, 0, &c.ab);
	n = inject_a(&c, "move-unaligned", F_MOVE, b, 2 * c.s1,
		     b + 5 * c.sl + c.s0, NULL, 0);
	PTK_EXPECT(n >= 1);
	total += n;
	n = inject_a(&c, "move-aligned", F_MOVE, b + 5 * c.sl + c.s0 - c.s0,
		     c.sl, b + 9 * c.sl, NULL, PTK_MOVE_SPLIT);
	total += n;
	teardown(&c);

	/* 10: split the largest leaf; collapse it back (no allocation) */
	setup(&c, f, table_flags, linear);
	b = c.base;
	premap(&c, b, c.sl, c.sl, &c.aa);
	{
		unsigned int top = 0;

		while (top + 1 < f->levels &&
		       (f->leaf_levels & (1u << (top + 1))))
			top++;
		if (top) {
			n = inject_a(&c, "split", F_SPLIT, b + c.s0, 0, 0, NULL,
				     top);
			if (hash)
				PTK_EXPECT(n >= 1);
			else
				PTK_EXPECT_EQ(n, 1);
			total += n;
			n = inject_a(&c, "collapse", F_COLLAPSE, b, 0, 0, NULL,
				     top);
			if (!hash)
				PTK_EXPECT_EQ(n, 0);
			total += n;
		}
	}
	teardown(&c);

	/* 11 (hashed tables): growth of a hash that is just full, into
	 * arrays of several segments and a directory */
	if (hash) {
		struct ptk_hash_stats hs;
		uint64_t pages, cs, val, slots;

		setup(&c, f, table_flags, linear);
		PTK_ASSERT_OK(ptk_hash_stats(&hs, &c.t));
		/* Records of small pages that fill a hash to 3/4: it grows
		 * to 2 * slots, up to 1 MiB of values (at most 16 segments
		 * of 64 KiB, so the injection below stays short). */
		val = UINT64_C(1) << (hs.cluster_lg2[0] + f->entry_lg2);
		slots = (UINT64_C(1) << 20) / val;
		if (slots > 8192)
			slots = 8192;
		slots /= 2;
		cs = c.s0 << hs.cluster_lg2[0];
		pages = (slots / 4 * 3) << hs.cluster_lg2[0];
		c.fm.fail_at = 0;
		PTK_ASSERT_OK(ptk_map(&c.t, 0, pages * c.s0, 0, &c.aa,
				      PTK_MAP_MAX_PAGE(f->level_shift[0]),
				      NULL));
		PTK_ASSERT_OK(rm_map(&c.m, 0, pages * c.s0 - 1, 0, &c.aa, false,
				     f->level_shift[0], NULL));
		PTK_ASSERT_OK(ptk_hash_stats(&hs, &c.t));
		PTK_EXPECT_EQ(hs.records[0], slots / 4 * 3);
		PTK_EXPECT_EQ(hs.slots[0], slots);
		n = inject(&c, "grow", F_MAP, 3 * pages * c.s0 + cs, c.s0, c.s0,
			   &c.aa);
		PTK_ASSERT_OK(ptk_hash_stats(&hs, &c.t));
		PTK_EXPECT_EQ(hs.slots[0], 2 * slots);
		PTK_EXPECT(n >= 3); /* a directory and segments */
		total += n;
		teardown(&c);
	}

	/* 6: creating the table itself */
	{
		struct ptk_mem_arena a;
		struct fault_mem fm;
		struct ptk_table t;

		PTK_ASSERT_OK(ptk_mem_arena_create(&a, 0x40000000, 1 << 20));
		fm_init(&fm, &a, linear);
		fm.fail_at = 1;
		PTK_EXPECT_RC(ptk_table_create(&t, f, &fm.mem, table_flags),
			      PTK_ENOMEM);
		PTK_EXPECT_EQ(a.stats.live, 0);
		ptk_mem_arena_destroy(&a);
	}
	return total;
}

static void run(const struct ptk_fmt *f, bool hash)
{
	uint64_t n = 0;
	int mode;

	/* (a hashed table has one instance: linear and not only) */
	for (mode = 0; mode < 4; mode++)
		if (!hash || !(mode & 1))
			n += scenarios(f,
				       hash	  ? PTK_TABLE_HASH
				       : mode & 1 ? PTK_TABLE_GENERIC
						  : 0,
				       mode & 2);
	printf("%s%s: %" PRIu64 " injected failures\n", f->name,
	       hash ? " (hash)" : "", n);
}

/* fault_<format>[_hash] for every built-in format, and fault_toy32[_hash]. */
static void test_by_name(void)
{
	const char *name = ptk_test_name() + strlen("fault_");
	size_t n = strlen(name);
	bool hash = n > 5 && !strcmp(name + n - 5, "_hash");
	const struct ptk_fmt *f;
	char fname[64];

	if (hash)
		n -= 5;
	PTK_ASSERT(n < sizeof(fname));
	memcpy(fname, name, n);
	fname[n] = 0;
	if (!strcmp(fname, "toy32")) {
		run(&toy_fmt, hash);
		return;
	}
	f = ptk_fmt_lookup(fname);
	PTK_ASSERT(f);
	run(f, hash);
}

static struct ptk_test tests[2 * 64 + 2];
static char names[2 * 64 + 2][80];

int main(int argc, char **argv)
{
	size_t i, n = 0;
	int k;

	for (i = 0; i < ptk_fmt_count() && n + 4 < 2 * 64 + 2; i++) {
		for (k = 0; k < 2; k++) {
			snprintf(names[n], sizeof(names[n]), "fault_%s%s",
				 ptk_fmt_get(i)->name, k ? "_hash" : "");
			tests[n].name = names[n];
			tests[n++].fn = test_by_name;
		}
	}
	tests[n].name = "fault_toy32";
	tests[n++].fn = test_by_name;
	tests[n].name = "fault_toy32_hash";
	tests[n++].fn = test_by_name;
	return ptk_test_main(argc, argv, tests);
}
