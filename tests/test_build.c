// SPDX-License-Identifier: MIT
/*
 * The BUILD iterator (ptkit/build.h), for every built-in format
 * (build_<format>), on both engine instances:
 *
 *  - slots: ptk_build() at level 0 and at level 1 over ranges that start
 *    and end inside tables and cross table boundaries; the callback
 *    installs leaves (half of each run with ptk_build_fill(), the rest
 *    one by one with scattered OAs); every page is then translated and
 *    compared with an expectation computed from the range alone (which
 *    run a page is in follows from the geometry, not from the callback),
 *    and so is what the runs were (count, order, first index, VA);
 *  - all-or-nothing: a provider that fails its Nth allocation, N = 1, 2,
 *    ... until the build succeeds; after each failure, PTK_ENOMEM, no
 *    callback called, the arena byte for byte as before, the same live
 *    blocks and table counts, an empty gather;
 *  - a huge leaf in the way: PTK_EEXIST and nothing changed; with
 *    PTK_BUILD_REPLACE the callback finds the split leaves in its slots
 *    and the leaf's range is gathered; a table in the way of a level-1
 *    slot likewise;
 *  - pruning: a callback that sets nothing leaves the arena's live
 *    blocks as before (root only); one that clears existing leaves makes
 *    their tables go;
 *  - a callback that stops: PTK_EUSER, the runs before it stay, the
 *    table passes ptk_table_check() and frees everything on destroy;
 *  - gathers: filling empty slots gathers nothing, overwriting leaves
 *    gathers them (ptk_build_set() and ptk_build_fill() both).
 *
 * build_hash: hashed tables have no slots (PTK_EIMPL); build_args: the
 * argument checks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/arena_util.h"
#include "model/fault_mem.h"
#include "model/workload.h"

#define ABASE UINT64_C(0x40000000)

/* --- one format, one engine instance */

struct bctx {
	const struct ptk_fmt *f;
	struct ptk_mem_arena arena;
	struct fault_mem fm;
	struct ptk_table t;
	unsigned int tflags;
	struct ptk_attrs attrs;
};

static void bsetup(struct bctx *c, const struct ptk_fmt *f, unsigned int tf)
{
	static const struct ptk_attrs rw = { PTK_PROT_READ | PTK_PROT_WRITE, 0,
					     0, 0 };
	struct wl_profile p;

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->tflags = tf;
	PTK_ASSERT_OK(ptk_mem_arena_create(&c->arena, ABASE, 32 << 20));
	fm_init(&c->fm, &c->arena, false);
	PTK_ASSERT_OK(ptk_table_create(&c->t, f, &c->fm.mem, tf));
	/* What the format makes of read-write (its nearest superset). */
	wl_profile_from_fmt(&p, f);
	PTK_ASSERT(!wl_encode(&p, &rw, true, &c->attrs));
}

static void bteardown(struct bctx *c)
{
	ptk_table_destroy(&c->t);
	PTK_EXPECT_EQ(c->arena.stats.live, 0);
	ptk_mem_arena_destroy(&c->arena);
}

static uint64_t shift_of(const struct ptk_fmt *f, unsigned int l)
{
	return f->level_shift[l];
}

/* The highest VA + 1 of the lower part of the space. */
static uint64_t va_limit(const struct ptk_fmt *f)
{
	unsigned int vb = f->va_bits;

	if (f->features & PTK_FMT_SIGN_EXTEND)
		vb--;
	return vb >= 64 ? ~UINT64_C(0) : UINT64_C(1) << vb;
}

/*
 * A range of slots at level @l that starts 3 slots before the end of a
 * table and runs through the next table and 5 slots into the one after
 * it, clipped to the space (at the top level: slots 1..7).
 */
static void pick_range(const struct ptk_fmt *f, unsigned int l, uint64_t *va,
		       uint64_t *n)
{
	uint64_t slot = UINT64_C(1) << shift_of(f, l);
	uint64_t lim = va_limit(f);
	uint64_t per = UINT64_C(1) << f->level_bits[l];

	if (l + 1 < f->levels) {
		uint64_t tspan = UINT64_C(1) << shift_of(f, l + 1);

		*va = tspan - 3 * slot;
		*n = 3 + per + 5;
	} else {
		*va = slot;
		*n = per > 8 ? 7 : per - 1;
	}
	if ((lim - *va) / slot < *n)
		*n = (lim - *va) / slot;
}

/* --- the independent expectation of the slots test */

struct want {
	const struct ptk_fmt *f;
	unsigned int l;
	uint64_t va0, last;
};

/* The run (from the geometry) holding @va: its first VA and count. */
static void want_run(const struct want *w, uint64_t va, uint64_t *r_va,
		     uint64_t *r_n)
{
	unsigned int sh = (unsigned int)shift_of(w->f, w->l);
	uint64_t tmask = (UINT64_C(1) << (sh + w->f->level_bits[w->l])) - 1;
	uint64_t lo, hi;

	if (sh + w->f->level_bits[w->l] >= 64)
		tmask = ~UINT64_C(0);
	lo = va & ~tmask;
	hi = lo | tmask;
	lo = lo > w->va0 ? lo : w->va0;
	hi = hi < w->last ? hi : w->last;
	*r_va = lo;
	*r_n = ((hi - lo) >> sh) + 1;
}

/* The OA the slot at @va must map: the first half of each run maps
 * (va - va0) + 2^30-ish, the rest scattered slots. */
static uint64_t want_oa(const struct want *w, uint64_t va)
{
	unsigned int sh = (unsigned int)shift_of(w->f, w->l);
	uint64_t r_va, r_n, k;

	want_run(w, va, &r_va, &r_n);
	k = (va - r_va) >> sh;
	if (k < r_n / 2)
		return (UINT64_C(64) << sh) + (va - w->va0);
	return ((((va >> sh) * 7) & 0x3f) + 1) << sh;
}

struct slots_arg {
	const struct want *w;
	const struct ptk_attrs *attrs;
	ptk_pte_t bits;
	uint64_t runs;
	uint64_t slots;
	uint64_t next_va;
	bool bad_run;
	bool nonempty;
};

static int slots_cb(struct ptk_build_run *r, void *arg)
{
	struct slots_arg *a = arg;
	const struct want *w = a->w;
	uint64_t r_va, r_n, k, half;
	ptk_pte_t b;

	want_run(w, r->va, &r_va, &r_n);
	if (r->va != a->next_va || r->va != r_va || r->count != r_n ||
	    r->level != w->l || r->size_lg2 != shift_of(w->f, w->l) ||
	    r->first != ((r->va >> r->size_lg2) &
			 ((UINT64_C(1) << w->f->level_bits[w->l]) - 1)))
		a->bad_run = true;
	a->runs++;
	a->slots += r->count;
	a->next_va = r->va + (r->count << r->size_lg2);
	/* The run's own encoder agrees with the format's hook. */
	if (ptk_build_encode(&b, r, a->attrs, 0) || b != a->bits)
		a->bad_run = true;
	for (k = 0; k < r->count; k++)
		if (ptk_build_get(r, k) != 0)
			a->nonempty = true;
	half = r->count / 2;
	if (half && ptk_build_fill(r, 0, half, want_oa(w, r->va), a->bits))
		return 1;
	for (k = half; k < r->count; k++) {
		uint64_t va = r->va + (k << r->size_lg2);

		ptk_build_set(r, k, ptk_build_leaf(r, want_oa(w, va), a->bits));
	}
	return 0;
}

/* Every page in and around [va0, last] translates as the want says. */
static void check_xlate(const struct bctx *c, const struct want *w)
{
	uint64_t slot = UINT64_C(1) << shift_of(c->f, w->l);
	uint64_t pg = UINT64_C(1) << shift_of(c->f, 0);
	uint64_t va, step = slot / pg > 4 ? slot / 4 : pg;
	struct ptk_xlate x;
	unsigned int bad = 0;

	for (va = w->va0; va - 1 < w->last; va += step) {
		uint64_t sva = va & ~(slot - 1);
		uint64_t want = want_oa(w, sva) + (va - sva);
		int rc = ptk_translate(&c->t, va, &x);

		if ((rc || x.oa != want || x.level != w->l) && bad++ < 3)
			PTK_FAIL("%s l%u: 0x%" PRIx64 ": rc %d oa 0x%" PRIx64
				 " level %u, want 0x%" PRIx64,
				 c->f->name, w->l, va, rc, rc ? 0 : x.oa,
				 x.level, want);
		if (va + step < va)
			break;
	}
	if (w->va0)
		PTK_EXPECT_RC(ptk_translate(&c->t, w->va0 - pg, &x),
			      PTK_ENOENT);
	if (w->last + 1 < va_limit(c->f))
		PTK_EXPECT_RC(ptk_translate(&c->t, w->last + 1, &x),
			      PTK_ENOENT);
}

/* Bits for leaves at @l, as a callback would get them. */
static ptk_pte_t bits_at(const struct bctx *c, unsigned int l)
{
	ptk_pte_t bits = 0;

	PTK_ASSERT_OK(c->f->hooks->encode(c->f, l, &c->attrs, 0, &bits));
	return bits;
}

static void test_slots(const struct ptk_fmt *f, unsigned int tf, unsigned int l)
{
	struct bctx c;
	struct want w;
	struct slots_arg a;
	struct ptk_gather g;
	uint64_t n, tables;

	if (!(f->leaf_levels & (1u << l)))
		return;
	bsetup(&c, f, tf);
	pick_range(f, l, &w.va0, &n);
	w.f = f;
	w.l = l;
	w.last = w.va0 + (n << shift_of(f, l)) - 1;
	memset(&a, 0, sizeof(a));
	a.w = &w;
	a.attrs = &c.attrs;
	a.bits = bits_at(&c, l);
	a.next_va = w.va0;
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_build(&c.t, w.va0, n << shift_of(f, l), l, 0,
				slots_cb, &a, &g));
	/* Runs: one per table the range touches at level l. */
	tables = 0;
	{
		uint64_t va = w.va0, r_va, r_n;

		while (va - 1 < w.last) {
			want_run(&w, va, &r_va, &r_n);
			tables++;
			va = r_va + (r_n << shift_of(f, l));
			if (!va)
				break;
		}
	}
	PTK_EXPECT_EQ(a.runs, tables);
	PTK_EXPECT_EQ(a.slots, n);
	PTK_EXPECT(!a.bad_run);
	PTK_EXPECT(!a.nonempty);
	/* Filling empty slots invalidates nothing. */
	PTK_EXPECT_EQ(g.nr, 0);
	check_xlate(&c, &w);
	PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	/* Build again over it: the slots hold the leaves now, and setting
	 * them again to the same leaves changes (and gathers) nothing. */
	a.runs = a.slots = 0;
	a.next_va = w.va0;
	a.nonempty = false;
	PTK_ASSERT_OK(ptk_build(&c.t, w.va0, n << shift_of(f, l), l, 0,
				slots_cb, &a, &g));
	PTK_EXPECT(a.nonempty);
	PTK_EXPECT_EQ(g.nr, 0);
	check_xlate(&c, &w);
	ptk_table_flush(&c.t, &g);
	bteardown(&c);
}

/* --- all-or-nothing */

static int count_cb(struct ptk_build_run *r, void *arg)
{
	uint64_t *calls = arg;

	(void)r;
	++*calls;
	return 0;
}

static void test_fault(const struct ptk_fmt *f, unsigned int tf)
{
	struct bctx c;
	uint64_t va, n, s0 = UINT64_C(1) << shift_of(f, 0), fail;
	unsigned int fails = 0;

	bsetup(&c, f, tf);
	pick_range(f, 0, &va, &n);
	/* A neighbour, so that some tables exist already. */
	PTK_ASSERT_OK(ptk_map(&c.t, va - s0, s0, 0, &c.attrs, 0, NULL));
	for (fail = 1;; fail++) {
		struct au_snap s;
		struct ptk_gather g;
		uint64_t calls = 0, counts[PTK_MAX_LEVELS];
		unsigned int l;
		int rc;

		for (l = 0; l < f->levels; l++)
			counts[l] = ptk_table_count(&c.t, l);
		au_snap_take(&s, &c.arena);
		ptk_gather_init(&g);
		c.fm.calls = 0;
		c.fm.fail_at = fail;
		rc = ptk_build(&c.t, va, n * s0, 0, 0, count_cb, &calls, &g);
		c.fm.fail_at = 0;
		if (!rc) {
			/* It set nothing: the new tables went again. */
			PTK_EXPECT_EQ(g.nr_free, fails);
			ptk_table_flush(&c.t, &g);
			au_snap_free(&s);
			PTK_EXPECT(calls >= 2);
			break;
		}
		fails++;
		PTK_EXPECT_RC(rc, PTK_ENOMEM);
		PTK_EXPECT_EQ(calls, 0);
		PTK_EXPECT_EQ(au_snap_diff(&s, &c.arena), UINT64_MAX);
		PTK_EXPECT_EQ(c.arena.stats.live, s.stats.live);
		for (l = 0; l < f->levels; l++)
			PTK_EXPECT_EQ(ptk_table_count(&c.t, l), counts[l]);
		PTK_EXPECT_EQ(g.nr, 0);
		PTK_EXPECT_EQ(g.nr_free, 0);
		PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
		au_snap_free(&s);
		PTK_ASSERT(fail < 64);
	}
	/* The range needs at least two new tables at level 0. */
	PTK_EXPECT(fails >= 2);
	bteardown(&c);
}

/* --- things in the way */

struct seen_arg {
	uint64_t calls;
	uint64_t leaves;
	uint64_t first_oa_ok;
	const struct ptk_fmt *f;
	uint64_t huge_va, huge_oa;
};

static int seen_cb(struct ptk_build_run *r, void *arg)
{
	struct seen_arg *a = arg;
	uint64_t k;

	a->calls++;
	for (k = 0; k < r->count; k++) {
		ptk_pte_t pte = ptk_build_get(r, k);
		uint64_t va = r->va + (k << r->size_lg2);

		if (ptk_build_type(r, k) != PTK_ENTRY_LEAF)
			continue;
		a->leaves++;
		if (a->f->hooks->leaf_oa(a->f, r->level, pte) ==
		    a->huge_oa + (va - a->huge_va))
			a->first_oa_ok++;
	}
	return 0;
}

static void test_in_the_way(const struct ptk_fmt *f, unsigned int tf)
{
	struct bctx c;
	uint64_t s0 = UINT64_C(1) << shift_of(f, 0);
	uint64_t s1 = UINT64_C(1) << shift_of(f, 1);
	uint64_t hva, hoa = s1 * 4, n0;
	struct seen_arg sa;
	struct ptk_gather g;
	struct au_snap s;
	struct ptk_xlate x;

	bsetup(&c, f, tf);
	if (f->leaf_levels & 2) {
		/* A huge leaf at level 1; build level 0 over its middle. */
		hva = 2 * s1;
		PTK_ASSERT_OK(ptk_map(&c.t, hva, s1, hoa, &c.attrs, 0, NULL));
		PTK_ASSERT_OK(ptk_translate(&c.t, hva, &x));
		PTK_ASSERT_EQ(x.level, 1);
		memset(&sa, 0, sizeof(sa));
		sa.f = f;
		sa.huge_va = hva;
		sa.huge_oa = hoa;
		n0 = 5;
		au_snap_take(&s, &c.arena);
		ptk_gather_init(&g);
		PTK_EXPECT_RC(ptk_build(&c.t, hva + 3 * s0, n0 * s0, 0, 0,
					seen_cb, &sa, &g),
			      PTK_EEXIST);
		PTK_EXPECT_EQ(sa.calls, 0);
		PTK_EXPECT_EQ(au_snap_diff(&s, &c.arena), UINT64_MAX);
		PTK_EXPECT_EQ(g.nr, 0);
		au_snap_free(&s);
		/* REPLACE: split; the slots hold the pieces. */
		PTK_EXPECT_OK(ptk_build(&c.t, hva + 3 * s0, n0 * s0, 0,
					PTK_BUILD_REPLACE, seen_cb, &sa, &g));
		PTK_EXPECT_EQ(sa.calls, 1);
		PTK_EXPECT_EQ(sa.leaves, n0);
		PTK_EXPECT_EQ(sa.first_oa_ok, n0);
		PTK_EXPECT_EQ(g.nr, 1);
		PTK_EXPECT_EQ(g.ranges[0].va, hva);
		PTK_EXPECT_EQ(g.ranges[0].last, hva + s1 - 1);
		PTK_ASSERT_OK(ptk_translate(&c.t, hva + s1 - s0, &x));
		PTK_EXPECT_EQ(x.level, 0);
		PTK_EXPECT_EQ(x.oa, hoa + s1 - s0);
		ptk_table_flush(&c.t, &g);
		PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	}
	if (f->levels > 2) {
		/* A table at level 1 where a level-1 slot is wanted. */
		uint64_t tva = 8 * s1;

		PTK_ASSERT_OK(
			ptk_map(&c.t, tva + s0, s0, 0, &c.attrs, 0, NULL));
		memset(&sa, 0, sizeof(sa));
		sa.f = f;
		ptk_gather_init(&g);
		au_snap_take(&s, &c.arena);
		PTK_EXPECT_RC(ptk_build(&c.t, tva, 2 * s1, 1, 0, seen_cb, &sa,
					&g),
			      PTK_EEXIST);
		PTK_EXPECT_EQ(sa.calls, 0);
		PTK_EXPECT_EQ(au_snap_diff(&s, &c.arena), UINT64_MAX);
		au_snap_free(&s);
		PTK_EXPECT_OK(ptk_build(&c.t, tva, 2 * s1, 1, PTK_BUILD_REPLACE,
					seen_cb, &sa, &g));
		PTK_EXPECT_EQ(sa.calls, 1);
		PTK_EXPECT_EQ(sa.leaves, 0);
		PTK_EXPECT_EQ(g.nr, 1);
		PTK_EXPECT_EQ(g.nr_free, 1);
		PTK_EXPECT_RC(ptk_translate(&c.t, tva + s0, &x), PTK_ENOENT);
		ptk_table_flush(&c.t, &g);
		PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	}
	bteardown(&c);
}

/* --- pruning */

static int clear_cb(struct ptk_build_run *r, void *arg)
{
	uint64_t k;

	(void)arg;
	for (k = 0; k < r->count; k++)
		ptk_build_set(r, k, 0);
	return 0;
}

static void test_prune(const struct ptk_fmt *f, unsigned int tf)
{
	struct bctx c;
	uint64_t va, n, calls = 0, s0 = UINT64_C(1) << shift_of(f, 0);
	uint64_t live0;
	struct ptk_gather g;
	struct ptk_xlate x;
	unsigned int l;

	bsetup(&c, f, tf);
	live0 = c.arena.stats.live;
	pick_range(f, 0, &va, &n);
	PTK_ASSERT_OK(
		ptk_build(&c.t, va, n * s0, 0, 0, count_cb, &calls, NULL));
	PTK_EXPECT(calls >= 2);
	PTK_EXPECT_EQ(c.arena.stats.live, live0);
	for (l = 0; l < f->levels; l++)
		PTK_EXPECT_EQ(ptk_table_count(&c.t, l), 0);
	PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	/* Clearing the only leaves of some tables makes them go. */
	PTK_ASSERT_OK(ptk_map(&c.t, va, n * s0, 0, &c.attrs,
			      PTK_MAP_MAX_PAGE(shift_of(f, 0)), NULL));
	PTK_EXPECT(c.arena.stats.live > live0);
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_build(&c.t, va, n * s0, 0, 0, clear_cb, NULL, &g));
	PTK_EXPECT_EQ(g.nr, 1);
	PTK_EXPECT_EQ(g.ranges[0].va, va);
	PTK_EXPECT_EQ(g.ranges[0].last, va + n * s0 - 1);
	PTK_EXPECT(g.nr_free >= 2);
	ptk_table_flush(&c.t, &g);
	PTK_EXPECT_EQ(c.arena.stats.live, live0);
	PTK_EXPECT_RC(ptk_translate(&c.t, va, &x), PTK_ENOENT);
	PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	bteardown(&c);
}

/* --- filling over leaves */

static int refill_cb(struct ptk_build_run *r, void *arg)
{
	const ptk_pte_t *bits = arg;

	return ptk_build_fill(r, 0, r->count,
			      r->va + (UINT64_C(1) << r->size_lg2), *bits)
		       ? -1
		       : 0;
}

/*
 * ptk_build_fill() over a run that starts with empty slots and goes on
 * over leaves mapping something else: the empty ones invalidate
 * nothing, every changed leaf is gathered, and all translate to the new
 * addresses.
 */
static void test_refill(const struct ptk_fmt *f, unsigned int tf)
{
	struct bctx c;
	uint64_t va, n, k, s0 = UINT64_C(1) << shift_of(f, 0);
	struct ptk_gather g;
	struct ptk_xlate x;
	ptk_pte_t bits;

	bsetup(&c, f, tf);
	pick_range(f, 0, &va, &n);
	if (n < 4) {
		bteardown(&c);
		return;
	}
	bits = bits_at(&c, 0);
	PTK_ASSERT_OK(ptk_map(&c.t, va, n * s0, va, &c.attrs,
			      PTK_MAP_MAX_PAGE(shift_of(f, 0)), NULL));
	PTK_ASSERT_OK(ptk_unmap(&c.t, va, 2 * s0, 0, NULL));
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_build(&c.t, va, n * s0, 0, 0, refill_cb, &bits, &g));
	PTK_EXPECT_EQ(g.nr, 1);
	PTK_EXPECT_EQ(g.ranges[0].va, va + 2 * s0);
	PTK_EXPECT_EQ(g.ranges[0].last, va + n * s0 - 1);
	for (k = 0; k < n; k++) {
		PTK_ASSERT_OK(ptk_translate(&c.t, va + k * s0, &x));
		PTK_EXPECT_EQ(x.oa, va + (k + 1) * s0);
	}
	PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	ptk_table_flush(&c.t, &g);
	bteardown(&c);
}

/* --- a callback that stops */

struct stop_arg {
	uint64_t calls;
	uint64_t stop_at;
	ptk_pte_t bits;
	uint64_t first_va, first_n;
};

static int stop_cb(struct ptk_build_run *r, void *arg)
{
	struct stop_arg *a = arg;

	if (++a->calls == a->stop_at)
		return 7;
	if (a->calls == 1) {
		a->first_va = r->va;
		a->first_n = r->count;
	}
	return ptk_build_fill(r, 0, r->count, r->va, a->bits) ? -1 : 0;
}

static void test_stop(const struct ptk_fmt *f, unsigned int tf)
{
	struct bctx c;
	uint64_t va, n, s0 = UINT64_C(1) << shift_of(f, 0);
	struct stop_arg sa;
	struct ptk_xlate x;
	struct ptk_gather g;

	bsetup(&c, f, tf);
	pick_range(f, 0, &va, &n);
	memset(&sa, 0, sizeof(sa));
	sa.stop_at = 2;
	sa.bits = bits_at(&c, 0);
	ptk_gather_init(&g);
	PTK_EXPECT_RC(ptk_build(&c.t, va, n * s0, 0, 0, stop_cb, &sa, &g),
		      PTK_EUSER);
	PTK_EXPECT_EQ(sa.calls, 2);
	/* The first run stays; the stopping table and later ones hold
	 * nothing (and were not left behind empty). */
	PTK_ASSERT_OK(ptk_translate(&c.t, sa.first_va, &x));
	PTK_EXPECT_EQ(x.oa, sa.first_va);
	PTK_ASSERT_OK(
		ptk_translate(&c.t, sa.first_va + ((sa.first_n - 1) * s0), &x));
	PTK_EXPECT_RC(ptk_translate(&c.t, sa.first_va + sa.first_n * s0, &x),
		      PTK_ENOENT);
	PTK_EXPECT_RC(ptk_translate(&c.t, va + (n - 1) * s0, &x), PTK_ENOENT);
	PTK_EXPECT_OK(ptk_table_check(NULL, &c.t));
	PTK_EXPECT_EQ(ptk_table_count(&c.t, 0), 1);
	ptk_table_flush(&c.t, &g);
	bteardown(&c);
}

static void run_fmt(const struct ptk_fmt *f)
{
	unsigned int tf;

	for (tf = 0; tf < 2; tf++) {
		unsigned int flags = tf ? PTK_TABLE_GENERIC : 0;

		test_slots(f, flags, 0);
		test_slots(f, flags, 1);
		test_fault(f, flags);
		test_in_the_way(f, flags);
		test_prune(f, flags);
		test_refill(f, flags);
		test_stop(f, flags);
	}
}

static void test_by_name(void)
{
	const struct ptk_fmt *f =
		ptk_fmt_lookup(ptk_test_name() + strlen("build_"));

	PTK_ASSERT(f);
	run_fmt(f);
}

PTK_TEST(build_hash)
{
	struct ptk_mem_arena a;
	struct ptk_table t;
	uint64_t calls = 0;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ABASE, 4 << 20));
	PTK_ASSERT_OK(
		ptk_table_create(&t, &ptk_fmt_x86_64, &a.mem, PTK_TABLE_HASH));
	PTK_EXPECT_RC(ptk_build(&t, 0, 0x1000, 0, 0, count_cb, &calls, NULL),
		      PTK_EIMPL);
	PTK_EXPECT_EQ(calls, 0);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);
}

PTK_TEST(build_args)
{
	struct ptk_mem_arena a;
	struct ptk_table t;
	uint64_t calls = 0, live;

	PTK_ASSERT_OK(ptk_mem_arena_create(&a, ABASE, 4 << 20));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_x86_64, &a.mem, 0));
	live = a.stats.live;
	PTK_EXPECT_RC(ptk_build(&t, 0, 0x1000, 4, 0, count_cb, &calls, NULL),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_build(&t, 0, 0x1000, 0, 2, count_cb, &calls, NULL),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_build(&t, 0, 0x1000, 0, 0, NULL, &calls, NULL),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_build(&t, 0, 0, 0, 0, count_cb, &calls, NULL),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_build(&t, 0x1000, 0x200000, 1, 0, count_cb, &calls,
				NULL),
		      PTK_EALIGN);
	PTK_EXPECT_RC(ptk_build(&t, 0, 0x201000, 1, 0, count_cb, &calls, NULL),
		      PTK_EALIGN);
	PTK_EXPECT_RC(ptk_build(&t, UINT64_C(1) << 47, 0x1000, 0, 0, count_cb,
				&calls, NULL),
		      PTK_ERANGE);
	PTK_EXPECT_EQ(calls, 0);
	PTK_EXPECT_EQ(a.stats.live, live);
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);
}

/* build_<format> for every built-in format. */
static struct ptk_test tests[64 + 3];
static char names[64][80];

int main(int argc, char **argv)
{
	size_t i, n = 0;

	for (i = 0; i < ptk_fmt_count() && n < 64; i++) {
		snprintf(names[n], sizeof(names[n]), "build_%s",
			 ptk_fmt_get(i)->name);
		tests[n].name = names[n];
		tests[n++].fn = test_by_name;
	}
	tests[n++] = (struct ptk_test)PTK_TEST_ENTRY(build_hash);
	tests[n++] = (struct ptk_test)PTK_TEST_ENTRY(build_args);
	return ptk_test_main(argc, argv, tests);
}
