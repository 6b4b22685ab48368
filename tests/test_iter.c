// SPDX-License-Identifier: MIT
/*
 * The cursor iterator (ptkit/iter.h) against the reference model.
 *
 * Every item is compared with the model (model/iter_check.h: the model's
 * leaves that intersect the range, whole, in order; runs expanded with
 * ptk_iter_oa()/ptk_iter_pte() and maximal) or with values written down
 * by hand; changes made through the iterator are made to the model too
 * and checked with ptk_translate(), ptk_table_check() and the per-level
 * table counts.
 *
 * The hand-made cases (ctest: iter_cases, i.e. test_iter --cases):
 *  - iter_args: ptk_iter_init() errors (NULL, zero length, overflow,
 *    unknown flags, ranges outside the space / in the non-canonical
 *    hole) leave an iterator that ends at once; ranges that cross the
 *    hole, start in it or end in it; set/clear without a current item;
 *  - iter_empty: empty tables of every format and instance;
 *  - iter_huge_boundaries: ranges that start and end inside huge leaves
 *    (whole leaves reported, runs start and stop at the range);
 *  - iter_hole_runs: RISC-V top-level leaves on both sides of the hole
 *    are never one run;
 *  - iter_set: ptk_iter_set() per leaf and on runs; EALIGN, ERANGE,
 *    EPROT and encoding errors change nothing (arena snapshot);
 *  - iter_clear_unlinks: clearing empties and unlinks tables (counts
 *    written down, the gather's nr_free), with and without a gather;
 *  - iter_corrupt: PTK_ECORRUPT at malformed entries (each level, inside
 *    a run, a table pointer outside memory), then the rest;
 *    PTK_ITER_SKIP_INVALID;
 *  - iter_contig: Arm contiguous-hint and Svnapot groups appear as their
 *    entries; clearing part of a group leaves a valid table;
 *  - iter_yield_heap: tables the iterator held are freed (host heap,
 *    poisoned in debug builds, ASan-poisoned under ASan) while it is
 *    yielded; it goes on with exactly what the model holds after.
 *
 * iter_<format> (every registry format, both engine instances) and
 * iter_toy32: a random table (the model tests' workload), then random
 * ranges, the whole space, ptk_iter_set() on items and runs, yields with
 * random changes in between, and clearing every other item, every other
 * run and whole ranges; PTK_OPS_SCALE multiplies the work.
 * iter_<format>_hash and iter_toy32_hash: the same on hashed tables
 * (runs end at records; what a hashed table holds is counted in its own
 * blocks, ptk_hash_stats(), where a radix one counts tables).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/arena_util.h"
#include "model/iter_check.h"
#include "model/ref_model.h"
#include "model/toy_fmt.h"
#include "model/workload.h"

#define RW (PTK_PROT_READ | PTK_PROT_WRITE)
#define G (UINT64_C(1) << 30)
#define M2 (UINT64_C(1) << 21)

/* --- fixture: a table, its model, the memory under it */

/* What a random run did, for its summary line. */
struct stats {
	uint64_t items, sets, set_errs, clears, yields, max_leaves;
};

struct fix {
	const struct ptk_fmt *f;
	struct stats st;
	struct wl_profile p;
	struct ptk_mem_arena arena;
	struct ptk_mem_heap heap;
	bool on_heap;
	struct ptk_table t;
	struct ref_model m;
	struct ptk_rand r;
	struct wl w;
	bool have_wl;
	bool hash; /* a hashed table: blocks, not tables */
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static void fix_init(struct fix *x, const struct ptk_fmt *f,
		     unsigned int tflags, bool heap)
{
	unsigned int tb = f->table_oa_bits ? f->table_oa_bits : f->oa_bits;
	const struct ptk_mem *mem;
	struct ptk_rand r0;
	struct rm_geom g;

	memset(x, 0, sizeof(*x));
	x->f = f;
	wl_profile_from_fmt(&x->p, f);
	ptk_test_rand(&r0);
	ptk_rand_seed(&x->r, ptk_rand_next(&r0) ^ name_hash(f->name) ^ tflags);
	x->on_heap = heap;
	if (heap) {
		PTK_ASSERT_OK(ptk_mem_heap_init(&x->heap));
		mem = &x->heap.mem;
	} else {
		PTK_ASSERT_OK(ptk_mem_arena_create(
			&x->arena,
			tb < 40 ? UINT64_C(0x40000000) : UINT64_C(0x100000000),
			64 << 20));
		mem = &x->arena.mem;
	}
	PTK_ASSERT_OK(ptk_table_create(&x->t, f, mem, tflags));
	x->hash = tflags & PTK_TABLE_HASH;
	rm_geom_from_fmt(&g, f);
	rm_init(&x->m, &g);
}

/* Tables below the root (a hashed table: blocks besides its header). */
static uint64_t tables_sum(const struct fix *x)
{
	struct ptk_hash_stats hs;
	uint64_t sum = 0;
	unsigned int l;

	if (x->hash) {
		PTK_ASSERT_OK(ptk_hash_stats(&hs, &x->t));
		return hs.blocks - 1;
	}
	for (l = 0; l < x->f->levels; l++)
		sum += ptk_table_count(&x->t, l);
	return sum;
}

static uint64_t fix_live(const struct fix *x)
{
	return x->on_heap ? x->heap.stats.live : x->arena.stats.live;
}

static void fix_fini(struct fix *x)
{
	ptk_table_destroy(&x->t);
	PTK_EXPECT_EQ(fix_live(x), 0);
	if (x->on_heap)
		ptk_mem_heap_fini(&x->heap);
	else
		ptk_mem_arena_destroy(&x->arena);
	rm_fini(&x->m);
}

/* The attributes a leaf made from @a (with PTK_MAP_SUPERSET) decodes to,
 * from the format's hooks. */
static struct ptk_attrs fix_eff(struct fix *x, const struct ptk_attrs *a)
{
	struct ptk_attrs eff;

	PTK_ASSERT_EQ(wl_encode(&x->p, a, true, &eff), 0);
	return eff;
}

static void fix_map(struct fix *x, uint64_t va, uint64_t len, uint64_t oa,
		    uint32_t prot)
{
	struct ptk_attrs a = { .prot = prot }, eff = fix_eff(x, &a);

	PTK_ASSERT_OK(ptk_map(&x->t, va, len, oa, &a, PTK_MAP_SUPERSET, NULL));
	PTK_ASSERT_OK(
		rm_map(&x->m, va, va + (len - 1), oa, &eff, false, 0, NULL));
}

static void fix_unmap(struct fix *x, uint64_t va, uint64_t len)
{
	int rc = ptk_unmap(&x->t, va, len, PTK_UNMAP_SPLIT, NULL);

	PTK_ASSERT_RC(rc, rm_unmap(&x->m, va, va + (len - 1), true, NULL));
}

/* A map or unmap of the workload, to the table and the model. */
static void fix_wl_op(struct fix *x, struct wl_op *op)
{
	uint64_t last = op->va + (op->len - 1);
	struct ptk_attrs eff;
	bool enc_only;
	int rc, mrc;

	if (op->kind == WL_UNMAP)
		op->flags |= PTK_UNMAP_SPLIT; /* the model knows no groups */
	if (wl_expect_args(&x->p, op, &enc_only)) {
		/* attributes the format cannot encode: plain ones instead */
		if (op->kind != WL_MAP || !enc_only)
			return;
		memset(&op->attrs, 0, sizeof(op->attrs));
		op->attrs.prot = RW;
		op->flags |= PTK_MAP_SUPERSET;
		if (wl_expect_args(&x->p, op, &enc_only))
			return;
	}
	if (op->kind == WL_MAP) {
		wl_effective_attrs(&x->p, op, &eff);
		rc = ptk_map(&x->t, op->va, op->len, op->oa, &op->attrs,
			     op->flags, NULL);
		mrc = rm_map(&x->m, op->va, last, op->oa, &eff,
			     op->flags & PTK_MAP_REPLACE,
			     (op->flags >> 8) & 0x3f, NULL);
		if (rc != mrc && !(rc && rc == x->m.alt_rc) &&
		    !(rc == PTK_ERANGE && mrc == PTK_EEXIST &&
		      rm_oa_limited(x->f)))
			PTK_FAIL("map 0x%" PRIx64 " +0x%" PRIx64 ": %s, model "
				 "%s",
				 op->va, op->len, ptk_errname(rc),
				 ptk_errname(mrc));
	} else {
		rc = ptk_unmap(&x->t, op->va, op->len, op->flags, NULL);
		mrc = rm_unmap(&x->m, op->va, last, true, NULL);
		if (rc != mrc)
			PTK_FAIL("unmap 0x%" PRIx64 " +0x%" PRIx64 ": %s, "
				 "model %s",
				 op->va, op->len, ptk_errname(rc),
				 ptk_errname(mrc));
	}
	if (ptk_test_failures())
		ptk_test_abort();
}

/* @n workload draws; maps (and, unless @maps_only, unmaps) are applied. */
static void fix_populate(struct fix *x, unsigned int n, bool maps_only)
{
	struct wl_op op;
	unsigned int i;

	if (!x->have_wl) {
		wl_init(&x->w, &x->p, &x->m, ptk_rand_next(&x->r));
		x->have_wl = true;
	}
	for (i = 0; i < n; i++) {
		wl_next(&x->w, &op);
		if (op.kind == WL_MAP || (op.kind == WL_UNMAP && !maps_only))
			fix_wl_op(x, &op);
	}
}

/*
 * ptk_table_check() passes; tables per level: ptk_table_count() ==
 * what the checker reached == what the model implies; leaves per level
 * as the model; the provider holds the root, those tables and the
 * @pending ones unlinked into a gather not flushed yet.
 */
static void check_tables_p(struct fix *x, uint64_t pending)
{
	uint64_t want[PTK_MAX_LEVELS], sum = 0;
	struct ptk_check chk;
	unsigned int l;
	int rc;

	memset(&chk, 0, sizeof(chk));
	rc = ptk_table_check(&chk, &x->t);
	if (rc) {
		PTK_FAIL("ptk_table_check: %s: %s at level %d va 0x%" PRIx64,
			 ptk_errname(rc), chk.what ? chk.what : "?",
			 chk.bad_level, chk.bad_va);
		return;
	}
	if (x->hash)
		memset(want, 0, sizeof(want));
	else
		rm_table_counts(&x->m, want);
	for (l = 0; l < x->f->levels; l++) {
		uint64_t n = ptk_table_count(&x->t, l);

		sum += n;
		if (n != chk.tables[l] || n != want[l])
			PTK_FAIL("level %u tables: ptk_table_count %" PRIu64
				 ", check reached %" PRIu64 ", model %" PRIu64,
				 l, n, chk.tables[l], want[l]);
		if (chk.leaves[l] != x->m.leaves[l])
			PTK_FAIL("level %u leaves: check %" PRIu64 ", model "
				 "%" PRIu64,
				 l, chk.leaves[l], x->m.leaves[l]);
	}
	if (x->hash)
		sum = tables_sum(x);
	if (fix_live(x) != 1 + sum + pending)
		PTK_FAIL("provider holds %" PRIu64 " blocks, want 1 + %" PRIu64
			 " + %" PRIu64 " unflushed",
			 fix_live(x), sum, pending);
}

static void check_tables(struct fix *x)
{
	check_tables_p(x, 0);
}

static bool sign_ext(const struct ptk_fmt *f)
{
	return (f->features & PTK_FMT_SIGN_EXTEND) && f->va_bits < 64;
}

static uint64_t space_last(const struct ptk_fmt *f)
{
	if (f->va_bits >= 64 || (f->features & PTK_FMT_SIGN_EXTEND))
		return UINT64_MAX;
	return (UINT64_C(1) << f->va_bits) - 1;
}

/* The whole space, both modes: [0, top] or, sign-extended, [1, 2^64 - 1]
 * (across the hole) and the two halves (the upper one from the hole). */
static void check_all(struct fix *x)
{
	unsigned int mode;

	/* Leaves, runs, and leaves with the runs that continue them taken
	 * (a mirror's way); then the first two and the last through
	 * ptk_iter_for_each(). */
	for (mode = 0; mode < 6; mode++) {
		unsigned int flags = (mode % 3 == 1   ? PTK_ITER_RUNS
				      : mode % 3 == 2 ? IC_TAKE_RUN
						      : 0) |
				     (mode >= 3 ? IC_FOR_EACH : 0);

		if (!sign_ext(x->f)) {
			ic_check(&x->t, &x->m, 0, space_last(x->f) + 1, flags);
			continue;
		}
		ic_check(&x->t, &x->m, 1, UINT64_MAX, flags);
		ic_check(&x->t, &x->m, 0, UINT64_C(1) << 63, flags);
		ic_check(&x->t, &x->m, UINT64_C(1) << 63, UINT64_C(1) << 63,
			 flags);
	}
}

/* What an item should be, written down by hand. */
struct want_item {
	uint64_t va, oa, count;
	unsigned int level;
};

/* Iterate and compare with @want (and with the model). */
static void expect_items(struct fix *x, uint64_t va, uint64_t len,
			 unsigned int flags, const struct want_item *want,
			 unsigned int n)
{
	struct ptk_iter it;
	unsigned int i = 0;
	int rc;

	PTK_ASSERT_OK(ptk_iter_init(&it, &x->t, va, len, flags));
	while ((rc = ptk_iter_next(&it)) == 1) {
		if (i == n) {
			PTK_FAIL("[0x%" PRIx64 " +0x%" PRIx64 "] flags %#x: "
				 "extra item va 0x%" PRIx64 " count %" PRIu64,
				 va, len, flags, it.va, it.count);
			break;
		}
		if (it.va != want[i].va || it.oa != want[i].oa ||
		    it.count != want[i].count || it.level != want[i].level ||
		    it.size_lg2 != x->f->level_shift[it.level])
			PTK_FAIL("[0x%" PRIx64 " +0x%" PRIx64 "] flags %#x "
				 "item %u: va 0x%" PRIx64 " oa 0x%" PRIx64
				 " count %" PRIu64 " level %u size_lg2 %u, "
				 "want va 0x%" PRIx64 " oa 0x%" PRIx64
				 " count %" PRIu64 " level %u",
				 va, len, flags, i, it.va, it.oa, it.count,
				 it.level, it.size_lg2, want[i].va, want[i].oa,
				 want[i].count, want[i].level);
		i++;
	}
	PTK_EXPECT_RC(rc, 0);
	if (i != n)
		PTK_FAIL("[0x%" PRIx64 " +0x%" PRIx64 "] flags %#x: %u items, "
			 "want %u",
			 va, len, flags, i, n);
	ptk_iter_fini(&it);
	ic_check(&x->t, &x->m, va, len, flags);
}

/* A failed init leaves an iterator that ends at once and has no item. */
static void expect_init_err(struct ptk_table *t, uint64_t va, uint64_t len,
			    unsigned int flags, int want)
{
	static const struct ptk_attrs ra = { .prot = PTK_PROT_READ };
	struct ptk_iter it;

	memset(&it, 0x5a, sizeof(it));
	PTK_EXPECT_RC(ptk_iter_init(&it, t, va, len, flags), want);
	PTK_EXPECT_RC(ptk_iter_next(&it), 0);
	PTK_EXPECT_RC(ptk_iter_next(&it), 0);
	PTK_EXPECT_RC(ptk_iter_set(&it, 0, &ra, 0, NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_iter_clear(&it, NULL), PTK_EINVAL);
	ptk_iter_yield(&it);
	PTK_EXPECT_RC(ptk_iter_next(&it), 0);
	ptk_iter_fini(&it);
	ptk_iter_fini(&it);
}

/* The entry for @va at @level, found with the format's hooks from the
 * root (arena tables; the path must exist). */
static void *entry_at(struct fix *x, uint64_t va, unsigned int level)
{
	const struct ptk_fmt *f = x->f;
	uint64_t oa = ptk_table_root(&x->t);
	unsigned int l = f->levels - 1;

	for (;;) {
		uint64_t idx = (va >> f->level_shift[l]) &
			       ((UINT64_C(1) << f->level_bits[l]) - 1);
		unsigned char *tbl = ptk_mem_arena_ptr(&x->arena, oa);
		void *e;
		ptk_pte_t pte;

		PTK_ASSERT(tbl != NULL);
		e = tbl + (idx << f->entry_lg2);
		if (l == level)
			return e;
		pte = f->entry_lg2 == 3 ? *(uint64_t *)e : *(uint32_t *)e;
		PTK_ASSERT_EQ(f->hooks->classify(f, l, pte), PTK_ENTRY_TABLE);
		oa = f->hooks->table_oa(f, l, pte);
		l--;
	}
}

static ptk_pte_t ent_get(const struct ptk_fmt *f, const void *e)
{
	return f->entry_lg2 == 3 ? *(const uint64_t *)e : *(const uint32_t *)e;
}

static void ent_set(const struct ptk_fmt *f, void *e, ptk_pte_t v)
{
	if (f->entry_lg2 == 3)
		*(uint64_t *)e = v;
	else
		*(uint32_t *)e = (uint32_t)v;
}

static bool attrs_eq(const struct ptk_attrs *a, const struct ptk_attrs *b)
{
	return a->prot == b->prot && a->flags == b->flags &&
	       a->memtype == b->memtype && a->sw == b->sw;
}

static bool gather_untouched(const struct ptk_gather *g)
{
	return g->nr == 0 && g->flags == 0 && g->nr_free == 0;
}

/* Translate @va and compare with the model. */
static void expect_xlate(struct fix *x, uint64_t va)
{
	const struct rm_leaf *l = rm_lookup(&x->m, va);
	struct ptk_xlate xl;
	struct ptk_attrs a;
	int rc = ptk_translate(&x->t, va, &xl);

	if (!l) {
		if (rc != PTK_ENOENT)
			PTK_FAIL("translate 0x%" PRIx64 ": %s, model: not "
				 "mapped",
				 va, ptk_errname(rc));
		return;
	}
	if (rc || xl.oa != l->oa + (va - l->va) || xl.level != l->level) {
		PTK_FAIL("translate 0x%" PRIx64 ": %s oa 0x%" PRIx64
			 " level %u, model oa 0x%" PRIx64 " level %u",
			 va, ptk_errname(rc), xl.oa, xl.level,
			 l->oa + (va - l->va), l->level);
		return;
	}
	if (ptk_leaf_attrs(&a, &x->t, xl.level, xl.pte) ||
	    !attrs_eq(&a, &l->attrs))
		PTK_FAIL("translate 0x%" PRIx64 ": attrs differ from the "
			 "model",
			 va);
}

/* The leaf the model holds at exactly @va (the iterator's current one). */
static struct rm_leaf *model_leaf(struct fix *x, uint64_t va)
{
	size_t i = rm_lower(&x->m, va);

	PTK_ASSERT(i < x->m.n && x->m.v[i].va == va);
	return &x->m.v[i];
}

/* Remove the current item's leaves from the model; *@mi follows. */
static void model_clear_item(struct fix *x, const struct ptk_iter *it,
			     size_t *mi)
{
	uint64_t last = it->va + ((it->count << it->size_lg2) - 1);

	PTK_ASSERT_OK(rm_unmap(&x->m, it->va, last, false, NULL));
	PTK_ASSERT(*mi >= it->count);
	*mi -= it->count;
}

/* Whether an entry of the current item is part of a contiguous group
 * (asked of the format's hooks). */
static bool item_in_group(const struct fix *x, const struct ptk_iter *it)
{
	const struct ptk_fmt *f = x->f;
	uint64_t k;

	if (!f->contig_lg2[it->level] || !f->hooks->is_contig)
		return false;
	for (k = 0; k < it->count; k++)
		if (f->hooks->is_contig(f, it->level, ptk_iter_pte(it, k)))
			return true;
	return false;
}

/* Random attributes the profile says encode (or, sometimes, anything). */
static void rand_attrs(struct fix *x, struct ptk_attrs *a)
{
	const struct wl_profile *p = &x->p;
	uint32_t v;

	memset(a, 0, sizeof(*a));
	do
		v = (uint32_t)ptk_rand_below(&x->r, 16);
	while (p->prots_ok && !(p->prots_ok & (1u << v)));
	a->prot = v;
	a->flags = (uint32_t)ptk_rand_below(&x->r, 8) & p->flags_ok;
	do
		v = (uint32_t)ptk_rand_below(&x->r, 32);
	while (p->memtypes_ok && !(p->memtypes_ok & (1u << v)));
	a->memtype = p->memtypes_ok ? v : 0;
	a->sw = (uint32_t)ptk_rand_below(&x->r, UINT64_C(1) << p->sw_bits);
	if (ptk_rand_chance(&x->r, 1, 10))
		a->prot = (uint32_t)ptk_rand_below(&x->r, 16);
}

/*
 * ptk_iter_set(@oa, @a, @flags) on the current item, checked: on success
 * the model's leaves change the same way, translate agrees, the item's
 * fields follow and the gather has its range; on an error (the format's
 * encode hook says which, or @want_err) nothing changed. Returns the rc.
 */
static int set_item(struct fix *x, struct ptk_iter *it, uint64_t oa,
		    const struct ptk_attrs *a, unsigned int flags, int want_err)
{
	const struct ptk_fmt *f = x->f;
	unsigned int l = it->level, s = it->size_lg2;
	struct ptk_iter before = *it;
	struct ptk_attrs eff;
	struct ptk_gather g;
	struct au_snap snap;
	ptk_pte_t bits = 0;
	bool group = item_in_group(x, it), snapped = false;
	uint64_t k, span = (it->count << s) - 1;
	int rc, erc;

	erc = f->hooks->encode(f, l, a,
			       flags & PTK_MAP_SUPERSET ? PTK_ENC_SUPERSET : 0,
			       &bits);
	if (!erc)
		f->hooks->decode(f, l, f->hooks->make_leaf(f, l, oa, bits),
				 &eff);
	if (!want_err)
		want_err = erc;
	if ((want_err || group) && !x->on_heap) {
		au_snap_take(&snap, &x->arena);
		snapped = true;
	}
	ptk_gather_init(&g);
	rc = ptk_iter_set(it, oa, a, flags, &g);
	if (rc == PTK_ENOTSUP && group && (!want_err || want_err == erc)) {
		/* the engine refuses to rewrite entries of a contiguous
		 * group (before it encodes): fine, if nothing changed */
		want_err = PTK_ENOTSUP;
	}
	if (want_err) {
		PTK_EXPECT_RC(rc, want_err);
		if (!gather_untouched(&g))
			PTK_FAIL("failed ptk_iter_set changed the gather");
		if (snapped && au_snap_diff(&snap, &x->arena) != UINT64_MAX)
			PTK_FAIL("failed ptk_iter_set (%s) changed the table",
				 ptk_errname(rc));
		if (it->va != before.va || it->oa != before.oa ||
		    it->pte != before.pte || it->count != before.count)
			PTK_FAIL("failed ptk_iter_set changed the item");
	} else {
		PTK_EXPECT_OK(rc);
	}
	if (snapped)
		au_snap_free(&snap);
	if (rc)
		return rc;

	for (k = 0; k < it->count; k++) {
		struct rm_leaf *ml = model_leaf(x, it->va + (k << s));

		ml->oa = oa + (k << s);
		ml->attrs = eff;
	}
	if (it->oa != oa || it->pte != ptk_iter_pte(it, 0) ||
	    it->va != before.va || it->count != before.count)
		PTK_FAIL("ptk_iter_set: item not updated");
	if (!attrs_eq(&it->attrs, &eff))
		PTK_FAIL("ptk_iter_set: item attrs not updated");
	for (k = 0; k < it->count; k++)
		if (ptk_iter_oa(it, k) != oa + (k << s))
			PTK_FAIL("ptk_iter_set: ptk_iter_oa(%" PRIu64 ")", k);
	if (!rm_gather_covers(&g, it->va, it->va + span))
		PTK_FAIL("ptk_iter_set: gather misses [0x%" PRIx64
			 ", 0x%" PRIx64 "]",
			 it->va, it->va + span);
	if (g.nr_free)
		PTK_FAIL("ptk_iter_set freed tables");
	ptk_table_flush(&x->t, &g);
	expect_xlate(x, it->va);
	expect_xlate(x, it->va + span);
	return 0;
}

/* ptk_iter_clear() on the current item, into @g (may be NULL). */
static void clear_item(struct fix *x, struct ptk_iter *it, size_t *mi,
		       struct ptk_gather *g, struct rm_ranges *cleared)
{
	uint64_t va = it->va, last = va + ((it->count << it->size_lg2) - 1);

	rm_ranges_add(cleared, va, last);
	model_clear_item(x, it, mi);
	PTK_EXPECT_OK(ptk_iter_clear(it, g));
	PTK_EXPECT_RC(ptk_iter_clear(it, g), PTK_EINVAL);
	expect_xlate(x, va);
	expect_xlate(x, last);
}

/* The gather of a run of clears: covers them all; its nr_free is what
 * the table counts lost; flushing frees that many blocks. */
static void check_clear_gather(struct fix *x, struct ptk_gather *g,
			       const struct rm_ranges *cleared,
			       uint64_t tables_before)
{
	uint64_t live, after = tables_sum(x);
	size_t i;

	for (i = 0; i < cleared->n; i++)
		if (!rm_gather_covers(g, cleared->v[i].va,
				      cleared->v[i].last)) {
			PTK_FAIL("gather misses cleared [0x%" PRIx64
				 ", 0x%" PRIx64 "]",
				 cleared->v[i].va, cleared->v[i].last);
			break;
		}
	PTK_EXPECT_EQ(g->nr_free, tables_before - after);
	live = fix_live(x);
	ptk_table_flush(&x->t, g);
	PTK_EXPECT_EQ(live - fix_live(x), tables_before - after);
}

/* --- the hand-made cases */

PTK_TEST(iter_args)
{
	static const struct ptk_attrs ra = { .prot = PTK_PROT_READ };
	const uint64_t hi = UINT64_C(0xffff800000000000);
	const uint64_t lo_end = UINT64_C(0x800000000000);
	struct ptk_table zt;
	struct ptk_iter it;
	struct fix x;
	int rc;

	fix_init(&x, &ptk_fmt_x86_64, 0, false);
	fix_map(&x, 0, 0x1000, 0x5000, RW);
	fix_map(&x, lo_end - 0x2000, 0x2000, 0x1000, RW);
	fix_map(&x, hi, 0x3000, 0x10000, RW);

	PTK_EXPECT_RC(ptk_iter_init(NULL, &x.t, 0, 0x1000, 0), PTK_EINVAL);
	expect_init_err(NULL, 0, 0x1000, 0, PTK_EINVAL);
	memset(&zt, 0, sizeof(zt));
	expect_init_err(&zt, 0, 0x1000, 0, PTK_EINVAL);
	expect_init_err(&x.t, 0, 0, 0, PTK_EINVAL);
	expect_init_err(&x.t, 0, 0x1000, 0x8, PTK_EINVAL);
	expect_init_err(&x.t, 0, 0x1000, 0x80000000u, PTK_EINVAL);
	expect_init_err(&x.t, 0, 0x1000, PTK_ITER_RUNS | 0x100, PTK_EINVAL);
	expect_init_err(&x.t, UINT64_MAX - 0xfff, 0x2000, 0, PTK_EOVERFLOW);
	expect_init_err(&x.t, 2, UINT64_MAX, 0, PTK_EOVERFLOW);
	/* in the hole: one page, all of it, its last page */
	expect_init_err(&x.t, lo_end, 0x1000, 0, PTK_ERANGE);
	expect_init_err(&x.t, lo_end, hi - lo_end, 0, PTK_ERANGE);
	expect_init_err(&x.t, hi - 0x1000, 0x1000, PTK_ITER_RUNS, PTK_ERANGE);

	/* crossing the hole, starting in it, ending in it */
	{
		const struct want_item a[] = {
			{ lo_end - 0x1000, 0x2000, 1, 0 },
			{ hi, 0x10000, 1, 0 },
			{ hi + 0x1000, 0x11000, 1, 0 },
		};
		const struct want_item ar[] = {
			{ lo_end - 0x1000, 0x2000, 1, 0 },
			{ hi, 0x10000, 2, 0 },
		};
		const struct want_item b[] = { { hi, 0x10000, 1, 0 } };
		const struct want_item c[] = {
			{ lo_end - 0x2000, 0x1000, 1, 0 },
			{ lo_end - 0x1000, 0x2000, 1, 0 },
		};
		const struct want_item cr[] = {
			{ lo_end - 0x2000, 0x1000, 2, 0 },
		};
		const struct want_item d[] = {
			{ 0, 0x5000, 1, 0 },
			{ lo_end - 0x2000, 0x1000, 1, 0 },
			{ lo_end - 0x1000, 0x2000, 1, 0 },
			{ hi, 0x10000, 1, 0 },
			{ hi + 0x1000, 0x11000, 1, 0 },
			{ hi + 0x2000, 0x12000, 1, 0 },
		};
		uint64_t va = lo_end - 0x1000, last = hi + 0x1fff;

		expect_items(&x, va, last - va + 1, 0, a, 3);
		expect_items(&x, va, last - va + 1, PTK_ITER_RUNS, ar, 2);
		expect_items(&x, UINT64_C(0x0000900000000000),
			     hi + 0x1000 - UINT64_C(0x0000900000000000), 0, b,
			     1);
		expect_items(&x, lo_end + 1, hi - lo_end, PTK_ITER_RUNS, b, 1);
		expect_items(&x, lo_end - 0x1800, 0x100000000, 0, c, 2);
		expect_items(&x, lo_end - 0x1800, 0x100000000, PTK_ITER_RUNS,
			     cr, 1);
		/* all of it, from 1: the page at 0 straddles the start */
		expect_items(&x, 1, UINT64_MAX, 0, d, 6);
		expect_items(&x, hi + 0x1fff, 1, PTK_ITER_RUNS, &d[4], 1);
		expect_items(&x, UINT64_MAX, 1, 0, NULL, 0);
	}

	/* set / clear need a current item */
	PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, 0, 0x10000, 0));
	PTK_EXPECT_RC(ptk_iter_set(&it, 0x5000, &ra, 0, NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_iter_clear(&it, NULL), PTK_EINVAL);
	PTK_ASSERT_EQ(ptk_iter_next(&it), 1);
	PTK_EXPECT_RC(ptk_iter_set(&it, 0x5000, NULL, 0, NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_iter_set(&it, 0x5000, &ra, PTK_MAP_REPLACE, NULL),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_iter_set(&it, 0x5000, &ra, 0x100, NULL), PTK_EINVAL);
	ptk_iter_yield(&it);
	PTK_EXPECT_RC(ptk_iter_set(&it, 0x5000, &ra, 0, NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_iter_clear(&it, NULL), PTK_EINVAL);
	rc = ptk_iter_next(&it);
	PTK_EXPECT_RC(rc, 0);
	PTK_EXPECT_RC(ptk_iter_set(&it, 0x5000, &ra, 0, NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_iter_clear(&it, NULL), PTK_EINVAL);
	ptk_iter_fini(&it);
	ptk_iter_fini(&it);
	memset(&it, 0, sizeof(it));
	ptk_iter_fini(&it);
	PTK_EXPECT_RC(ptk_iter_next(&it), 0);
	ptk_iter_fini(NULL);
	ptk_iter_yield(NULL);
	PTK_EXPECT_RC(ptk_iter_next(NULL), 0);
	PTK_EXPECT_RC(ptk_iter_clear(NULL, NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_iter_set(NULL, 0, &ra, 0, NULL), PTK_EINVAL);
	check_tables(&x);
	fix_fini(&x);

	/* spaces without sign extension end at 2^va_bits */
	{
		const struct ptk_fmt *fs[] = { ptk_fmt_lookup("armv8_4k_39"),
					       &toy_fmt };
		unsigned int i;

		for (i = 0; i < 2; i++) {
			uint64_t end = UINT64_C(1) << fs[i]->va_bits;
			const struct want_item w[] = {
				{ end - 0x1000, 0x3000, 1, 0 },
			};

			PTK_ASSERT(fs[i] != NULL);
			fix_init(&x, fs[i], PTK_TABLE_GENERIC, false);
			fix_map(&x, end - 0x1000, 0x1000, 0x3000, RW);
			expect_init_err(&x.t, end, 0x1000, 0, PTK_ERANGE);
			expect_init_err(&x.t, end, UINT64_MAX - end, 0,
					PTK_ERANGE);
			expect_items(&x, end - 0x800, 0x10000, 0, w, 1);
			expect_items(&x, end - 0x1000, 0 - (end - 0x1000),
				     PTK_ITER_RUNS, w, 1);
			fix_fini(&x);
		}
	}
}

/* Every format, both instances: an empty table has no items. */
PTK_TEST(iter_empty)
{
	size_t i, n = ptk_fmt_count();
	unsigned int inst;

	for (i = 0; i <= n; i++) {
		const struct ptk_fmt *f = i < n ? ptk_fmt_get(i) : &toy_fmt;

		for (inst = 0; inst < 2; inst++) {
			uint64_t s0 = UINT64_C(1) << f->level_shift[0];
			struct fix x;

			fix_init(&x, f, inst ? PTK_TABLE_GENERIC : 0, false);
			check_all(&x);
			ic_check(&x.t, &x.m, 0, 1, 0);
			ic_check(&x.t, &x.m, s0, 77 * s0, PTK_ITER_RUNS);
			/* mapped and unmapped again: nothing either */
			fix_map(&x, 5 * s0, 3 * s0, 0, RW);
			fix_unmap(&x, 5 * s0, 3 * s0);
			check_all(&x);
			check_tables(&x);
			fix_fini(&x);
		}
	}
}

/* x86_64: ranges that start and end inside huge leaves. */
PTK_TEST(iter_huge_boundaries)
{
	struct fix x;
	unsigned int inst;

	for (inst = 0; inst < 2; inst++) {
		fix_init(&x, &ptk_fmt_x86_64, inst ? PTK_TABLE_GENERIC : 0,
			 false);
		fix_map(&x, G, G, 4 * G, RW); /* a 1G leaf */
		fix_map(&x, 2 * G, 4 * M2, 2 * G, RW); /* four 2M leaves */
		fix_map(&x, 2 * G + 4 * M2, 0x4000, 0x7000, RW); /* 4K */
		{
			const struct want_item a[] = { { G, 4 * G, 1, 2 } };
			const struct want_item b[] = { { G, 4 * G, 1, 2 },
						       { 2 * G, 2 * G, 1, 1 } };
			const struct want_item c[] = {
				{ 2 * G + M2, 2 * G + M2, 1, 1 },
				{ 2 * G + 2 * M2, 2 * G + 2 * M2, 1, 1 },
			};
			const struct want_item cr[] = {
				{ 2 * G + M2, 2 * G + M2, 2, 1 },
			};
			const struct want_item d[] = {
				{ 2 * G + 3 * M2, 2 * G + 3 * M2, 1, 1 },
				{ 2 * G + 4 * M2, 0x7000, 1, 0 },
			};
			const struct want_item e[] = {
				{ 2 * G, 2 * G, 4, 1 },
				{ 2 * G + 4 * M2, 0x7000, 3, 0 },
			};

			expect_items(&x, G + 0x1234, 1, 0, a, 1);
			expect_items(&x, 2 * G - 1, 1, PTK_ITER_RUNS, a, 1);
			/* ends 0x1000 into the first 2M leaf: that one only */
			expect_items(&x, G + 0x1000, G, 0, b, 2);
			expect_items(&x, G + 0x1000, G, PTK_ITER_RUNS, b, 2);
			expect_items(&x, 2 * G + 3 * (M2 / 2), M2, 0, c, 2);
			expect_items(&x, 2 * G + 3 * (M2 / 2), M2,
				     PTK_ITER_RUNS, cr, 1);
			expect_items(&x, 2 * G + 4 * M2 - 1, 2, 0, d, 2);
			expect_items(&x, 2 * G + 4 * M2 - 1, 2, PTK_ITER_RUNS,
				     d, 2);
			/* runs: a run stops at the range's last leaf */
			expect_items(&x, 2 * G + 0x10, 4 * M2 + 0x2000,
				     PTK_ITER_RUNS, e, 2);
		}
		check_all(&x);
		fix_fini(&x);
	}
}

/*
 * RISC-V leaves in the root, on both sides of the non-canonical hole:
 * consecutive root entries, but not consecutive addresses, so never one
 * run; a range that ends in the first upper one stops there.
 */
PTK_TEST(iter_hole_runs)
{
	static const char *const names[] = { "riscv_sv39", "riscv_sv48" };
	unsigned int i, inst;

	for (i = 0; i < 2; i++) {
		for (inst = 0; inst < 2; inst++) {
			const struct ptk_fmt *f = ptk_fmt_lookup(names[i]);
			unsigned int top = f->levels - 1;
			uint64_t s = UINT64_C(1) << f->level_shift[top];
			uint64_t half = UINT64_C(1) << (f->va_bits - 1);
			uint64_t lo = half - s, hi = 0 - half;
			struct ptk_gather g;
			struct ptk_iter it;
			struct fix x;
			size_t mi;
			uint64_t before;

			PTK_ASSERT(f->leaf_levels & (1u << top));
			fix_init(&x, f, inst ? PTK_TABLE_GENERIC : 0, false);
			fix_map(&x, lo - s, 2 * s, 0, RW);
			fix_map(&x, hi, 2 * s, 2 * s, RW);
			{
				const struct want_item a[] = {
					{ lo, s, 1, top },
					{ hi, 2 * s, 1, top },
				};
				const struct want_item b[] = {
					{ lo - s, 0, 2, top },
					{ hi, 2 * s, 1, top },
				};
				const struct want_item c[] = {
					{ lo - s, 0, 2, top },
					{ hi, 2 * s, 2, top },
				};

				expect_items(&x, lo, hi + 1 - lo, 0, a, 2);
				expect_items(&x, lo, hi + 1 - lo, PTK_ITER_RUNS,
					     a, 2);
				expect_items(&x, lo - s, hi + 1 - (lo - s),
					     PTK_ITER_RUNS, b, 2);
				expect_items(&x, lo - s, 0 - (lo - s),
					     PTK_ITER_RUNS, c, 2);
			}
			check_all(&x);

			/* clear the runs of [lo, hi]: the last low leaf and
			 * the first high one, nothing else */
			before = tables_sum(&x);
			ptk_gather_init(&g);
			PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, lo, hi + 1 - lo,
						    PTK_ITER_RUNS));
			mi = rm_lower(&x.m, lo);
			while (ptk_iter_next(&it) == 1) {
				struct rm_ranges cl = { 0 };

				if (!ic_compare_item(&it, &x.t, PTK_ITER_RUNS,
						     &x.m, &mi, hi))
					break;
				clear_item(&x, &it, &mi, &g, &cl);
				rm_ranges_free(&cl);
			}
			ptk_iter_fini(&it);
			PTK_EXPECT_EQ(x.m.n, 2);
			PTK_EXPECT_EQ(g.nr_free, before - tables_sum(&x));
			ptk_table_flush(&x.t, &g);
			check_all(&x);
			check_tables(&x);
			fix_fini(&x);
		}
	}
}

/* A prot the format refuses without PTK_MAP_SUPERSET at level 0, or 16. */
static uint32_t refused_prot(const struct fix *x)
{
	const struct ptk_fmt *f = x->f;
	uint32_t v;

	for (v = 0; v < 16; v++) {
		struct ptk_attrs a = { .prot = v };
		ptk_pte_t b;

		if (f->hooks->encode(f, 0, &a, 0, &b) == PTK_EPROT &&
		    !f->hooks->encode(f, 0, &a, PTK_ENC_SUPERSET, &b))
			return v;
	}
	return 16;
}

/*
 * ptk_iter_set() on one leaf per leaf level and on a run of small
 * pages: the errors first (each changes nothing), then a rewrite.
 */
static void set_cases(const struct ptk_fmt *f, unsigned int tflags)
{
	struct ptk_attrs a = { .prot = RW }, bad;
	unsigned int top = f->levels - 1, mode, l;
	uint64_t tspan = UINT64_C(1) << f->level_shift[top];
	uint32_t rp;
	struct fix x;

	fix_init(&x, f, tflags, false);
	for (l = 0; l < f->levels && l < 3; l++) {
		uint64_t s = UINT64_C(1) << f->level_shift[l];

		if (!(f->leaf_levels & (1u << l)) || l == top)
			continue;
		fix_map(&x, (l + 1) * tspan, s, 3 * s, RW);
	}
	fix_map(&x, tspan + 16 * (UINT64_C(1) << f->level_shift[0]),
		3 * (UINT64_C(1) << f->level_shift[0]), 0x40000, RW);
	rp = refused_prot(&x);

	for (mode = 0; mode < 2; mode++) {
		unsigned int flags = mode ? PTK_ITER_RUNS : 0;
		unsigned int bits = f->oa_bits < 64 ? f->oa_bits : 63;
		struct ptk_iter it;
		size_t mi;

		PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, 0, 8 * tspan, flags));
		mi = 0;
		while (ptk_iter_next(&it) == 1) {
			unsigned int s = it.size_lg2;
			uint64_t size = UINT64_C(1) << s;
			uint64_t noa = it.oa ^ (size << 3);

			if (!ic_compare_item(&it, &x.t, flags, &x.m, &mi,
					     8 * tspan - 1))
				break;
			/* misaligned: half a page, or one small page off */
			set_item(&x, &it, it.oa + size / 2, &a, 0, PTK_EALIGN);
			if (s > f->level_shift[0])
				set_item(&x, &it,
					 it.oa + (UINT64_C(1)
						  << f->level_shift[0]),
					 &a, 0, PTK_EALIGN);
			/* above the OA space, and wrapping */
			set_item(&x, &it, UINT64_C(1) << bits, &a, 0,
				 PTK_ERANGE);
			set_item(&x, &it, 0 - size, &a, 0, PTK_ERANGE);
			/* a prot the format cannot express */
			if (rp < 16) {
				bad = a;
				bad.prot = rp;
				set_item(&x, &it, noa, &bad, 0, 0);
				set_item(&x, &it, noa, &bad, PTK_MAP_SUPERSET,
					 0);
			}
			/* an out-of-range field: the encode hook's error */
			bad = a;
			bad.memtype = 200;
			set_item(&x, &it, noa, &bad, 0, 0);
			/* and a plain rewrite, then back */
			rand_attrs(&x, &bad);
			set_item(&x, &it, noa + size, &bad, 0, 0);
			set_item(&x, &it, it.oa - size, &a, PTK_MAP_SUPERSET,
				 0);
		}
		ptk_iter_fini(&it);
		check_all(&x);
		check_tables(&x);
	}
	fix_fini(&x);
}

PTK_TEST(iter_set)
{
	set_cases(&ptk_fmt_x86_64, 0);
	set_cases(&ptk_fmt_x86_64, PTK_TABLE_GENERIC);
	set_cases(&ptk_fmt_x86_32, 0);
	set_cases(&toy_fmt, 0);
	set_cases(ptk_fmt_lookup("armv8_4k_48"), 0);
}

/*
 * x86_64: three page tables under one page directory, a 2M leaf beside
 * them, and pages under a second PDPT entry. Clearing everything in
 * [0x1000, 0x402fff] empties and unlinks the first two PTs; clearing the
 * rest unlinks everything else.
 */
PTK_TEST(iter_clear_unlinks)
{
	unsigned int round;

	for (round = 0; round < 4; round++) {
		bool use_g = round & 1;
		unsigned int flags = round & 2 ? PTK_ITER_RUNS : 0;
		struct ptk_gather g, *gp = use_g ? &g : NULL;
		struct rm_ranges cl = { 0 };
		struct ptk_iter it;
		struct fix x;
		uint64_t before, live;
		size_t mi;

		fix_init(&x, &ptk_fmt_x86_64, round ? 0 : PTK_TABLE_GENERIC,
			 false);
		fix_map(&x, 0x1000, 0x3000, 0x100000, RW); /* PT 0 */
		fix_map(&x, 0x200000, 0x1000, 0x200000, RW); /* PT 1 */
		fix_map(&x, 0x402000, 0x2000, 0x300000, RW); /* PT 2 */
		fix_map(&x, 0x600000, M2, 0x400000, RW); /* 2M leaf */
		fix_map(&x, G + 0x5000, 0x1000, 0x500000, RW); /* PDPT 1 */
		check_tables(&x);
		PTK_EXPECT_EQ(ptk_table_count(&x.t, 0), 4);
		PTK_EXPECT_EQ(ptk_table_count(&x.t, 1), 2);
		PTK_EXPECT_EQ(ptk_table_count(&x.t, 2), 1);

		ptk_gather_init(&g);
		before = tables_sum(&x);
		PTK_ASSERT_OK(
			ptk_iter_init(&it, &x.t, 0x1000, 0x402000, flags));
		mi = rm_lower(&x.m, 0x1000);
		while (ptk_iter_next(&it) == 1) {
			if (!ic_compare_item(&it, &x.t, flags, &x.m, &mi,
					     0x402fff))
				break;
			clear_item(&x, &it, &mi, gp, &cl);
			check_tables_p(&x, g.nr_free);
		}
		ptk_iter_fini(&it);
		/* the page at 0x403000 stays, and so does PT 2 */
		PTK_EXPECT_EQ(x.m.n, 3);
		PTK_EXPECT_EQ(ptk_table_count(&x.t, 0), 2);
		PTK_EXPECT_EQ(ptk_table_count(&x.t, 1), 2);
		if (use_g) {
			PTK_EXPECT_EQ(g.nr_free, 2);
			check_clear_gather(&x, &g, &cl, before);
		}
		check_tables(&x);
		check_all(&x);

		/* now everything: PT 2, both PTs and PDs of PDPT 0/1, the
		 * PDPT; only the root is left */
		cl.n = 0;
		before = tables_sum(&x);
		PTK_ASSERT_OK(
			ptk_iter_init(&it, &x.t, 0, UINT64_C(1) << 47, flags));
		mi = 0;
		while (ptk_iter_next(&it) == 1) {
			if (!ic_compare_item(&it, &x.t, flags, &x.m, &mi,
					     (UINT64_C(1) << 47) - 1))
				break;
			clear_item(&x, &it, &mi, gp, &cl);
		}
		ptk_iter_fini(&it);
		PTK_EXPECT_EQ(x.m.n, 0);
		if (use_g) {
			PTK_EXPECT_EQ(g.nr_free, before);
			check_clear_gather(&x, &g, &cl, before);
		}
		live = fix_live(&x);
		PTK_EXPECT_EQ(live, 1);
		check_tables(&x);
		check_all(&x);
		rm_ranges_free(&cl);
		fix_fini(&x);
	}
}

/*
 * Iterate [va, va + len) of a table with a malformed entry spanning
 * [bad_va, bad_last] at @bad_level: the model's leaves outside that
 * span, in order, with one PTK_ECORRUPT describing the entry where it
 * lies (none with PTK_ITER_SKIP_INVALID).
 */
static void expect_corrupt(struct fix *x, struct ptk_table *t, uint64_t va,
			   uint64_t len, unsigned int flags, uint64_t bad_va,
			   uint64_t bad_last, unsigned int bad_level,
			   ptk_pte_t bad_pte)
{
	uint64_t last = va + (len - 1);
	struct ref_model m2;
	struct ptk_iter it;
	unsigned int seen = 0;
	size_t mi;
	int rc;

	rm_init(&m2, &x->m.g);
	rm_copy_model(&m2, &x->m);
	PTK_ASSERT_OK(rm_unmap(&m2, bad_va, bad_last, false, NULL));
	PTK_ASSERT_OK(ptk_iter_init(&it, t, va, len, flags));
	mi = rm_lower(&m2, va);
	while ((rc = ptk_iter_next(&it)) != 0) {
		if (rc == PTK_ECORRUPT) {
			seen++;
			if (it.va != bad_va || it.level != bad_level ||
			    it.pte != bad_pte)
				PTK_FAIL("ECORRUPT va 0x%" PRIx64 " level %u "
					 "pte 0x%" PRIx64 ", want va 0x%" PRIx64
					 " level %u pte 0x%" PRIx64,
					 it.va, it.level, it.pte, bad_va,
					 bad_level, bad_pte);
			if ((mi < m2.n && m2.v[mi].va < bad_va) ||
			    (mi && rm_leaf_last(&m2.v[mi - 1]) >= bad_va))
				PTK_FAIL("ECORRUPT out of order");
			continue;
		}
		if (rc != 1) {
			PTK_FAIL("ptk_iter_next: %s", ptk_errname(rc));
			break;
		}
		if (!ic_compare_item(&it, t, flags, &m2, &mi, last))
			break;
	}
	if (mi < m2.n && m2.v[mi].va <= last)
		PTK_FAIL("model leaf 0x%" PRIx64 " not reported", m2.v[mi].va);
	PTK_EXPECT_EQ(seen, flags & PTK_ITER_SKIP_INVALID ? 0 : 1);
	PTK_EXPECT_RC(ptk_iter_next(&it), 0);
	ptk_iter_fini(&it);
	rm_fini(&m2);
}

static void expect_corrupt_all_modes(struct fix *x, struct ptk_table *t,
				     uint64_t va, uint64_t len, uint64_t bad_va,
				     uint64_t bad_last, unsigned int bad_level,
				     ptk_pte_t bad_pte)
{
	static const unsigned int modes[] = {
		0,
		PTK_ITER_RUNS,
		PTK_ITER_NO_ATTRS,
		PTK_ITER_SKIP_INVALID,
		PTK_ITER_RUNS | PTK_ITER_SKIP_INVALID,
	};
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		expect_corrupt(x, t, va, len, modes[i], bad_va, bad_last,
			       bad_level, bad_pte);
}

PTK_TEST(iter_corrupt)
{
	unsigned int inst;

	for (inst = 0; inst < 2; inst++) {
		unsigned int tf = inst ? PTK_TABLE_GENERIC : 0;
		struct ptk_table view;
		uint64_t *e, saved;
		struct fix x;

		/* x86_64 (Intel SDM vol. 3A, 4.5) */
		fix_init(&x, &ptk_fmt_x86_64, tf, false);
		fix_map(&x, 0x1000, 0x1000, 0x9000, RW);
		fix_map(&x, 0x40201000, 0x1000, 0xa000, RW);
		fix_map(&x, 0x40400000, 0x3000, 0xb000, RW);
		fix_map(&x, 0x8000000000, 0x2000, 0x10000, RW);
		fix_map(&x, 0x10000000000, 0x1000, 0x20000, RW);

		/* PS in a PML4E is reserved: hides PML4 slot 1 */
		e = entry_at(&x, 0x8000000000, 3);
		saved = *e;
		*e |= 0x80;
		expect_corrupt_all_modes(&x, &x.t, 0, 0x20000000000,
					 0x8000000000, 0xffffffffff, 3, *e);
		/* a range starting inside the bad entry's span */
		expect_corrupt_all_modes(&x, &x.t, 0x8000001000, 0x10000000000,
					 0x8000000000, 0xffffffffff, 3, *e);
		*e = saved;

		/* a 2M leaf with a reserved bit, in an empty PDE */
		e = entry_at(&x, 0x40600000, 1);
		PTK_ASSERT_EQ(*e, 0);
		*e = UINT64_C(0x202083);
		expect_corrupt_all_modes(&x, &x.t, 0x40000000, G, 0x40600000,
					 0x407fffff, 1, *e);
		*e = 0;

		/* a table pointer outside memory, read through an attached
		 * view (whose entries are not trusted) */
		e = entry_at(&x, 0x40000000, 2);
		saved = *e;
		*e = UINT64_C(0x7ff000000) | 0x7;
		PTK_ASSERT_OK(ptk_table_attach(&view, &ptk_fmt_x86_64,
					       &x.arena.mem,
					       ptk_table_root(&x.t), tf));
		expect_corrupt_all_modes(&x, &view, 0, 0x20000000000,
					 0x40000000, 0x7fffffff, 2, *e);
		ptk_table_destroy(&view);
		*e = saved;
		check_tables(&x);
		fix_fini(&x);

		/* Arm: a level-3 descriptor with the type bit clear, inside
		 * a run of pages, and one in place of a page */
		fix_init(&x, ptk_fmt_lookup("armv8_4k_48"), tf, false);
		fix_map(&x, 0x1000, 0x4000, 0x101000, RW);
		fix_map(&x, 0x6000, 0x3000, 0x106000, RW);
		e = entry_at(&x, 0x5000, 0);
		PTK_ASSERT_EQ(*e, 0);
		*e = 0x1;
		expect_corrupt_all_modes(&x, &x.t, 0, 0x10000, 0x5000, 0x5fff,
					 0, 0x1);
		*e = 0;
		e = entry_at(&x, 0x7000, 0);
		saved = *e;
		*e = 0x1;
		expect_corrupt_all_modes(&x, &x.t, 0x2000, 0x7000, 0x7000,
					 0x7fff, 0, 0x1);
		*e = saved;
		check_tables(&x);
		fix_fini(&x);
	}

	/* toy32 (run-time format): P clear but not zero */
	{
		struct fix x;
		void *e;

		fix_init(&x, &toy_fmt, 0, false);
		fix_map(&x, 0x1000, 0x2000, 0x9000, RW);
		fix_map(&x, 0x4000, 0x1000, 0xa000, RW);
		e = entry_at(&x, 0x3000, 0);
		PTK_ASSERT_EQ(ent_get(x.f, e), 0);
		ent_set(x.f, e, TOY_W);
		expect_corrupt_all_modes(&x, &x.t, 0, 0x400000, 0x3000, 0x3fff,
					 0, TOY_W);
		ent_set(x.f, e, 0);
		check_tables(&x);
		fix_fini(&x);
	}
}

/* Arm's contiguous hint and Svnapot: groups appear as their entries. */
PTK_TEST(iter_contig)
{
	static const char *const names[] = { "armv8_4k_48", "riscv_sv39" };
	unsigned int i, inst;

	for (i = 0; i < 2; i++) {
		for (inst = 0; inst < 2; inst++) {
			const struct ptk_fmt *f = ptk_fmt_lookup(names[i]);
			const uint64_t base = 0x10000, oa = 0x100000;
			struct ptk_attrs ra = { .prot = PTK_PROT_READ };
			struct rm_ranges cl = { 0 };
			struct ptk_gather g;
			struct ptk_xlate xl;
			struct ptk_iter it;
			struct fix x;
			size_t mi;
			uint64_t k;

			PTK_ASSERT(f && f->contig_lg2[0] == 4);
			fix_init(&x, f, inst ? PTK_TABLE_GENERIC : 0, false);
			fix_map(&x, base, 0x20000, oa, RW); /* two groups */
			fix_map(&x, base + 0x20000, 0x1000, 0x200000, RW);
			PTK_ASSERT_OK(ptk_translate(&x.t, base + 0x5000, &xl));
			PTK_ASSERT_EQ(xl.size_lg2, 16); /* a group indeed */
			{
				const struct want_item r[] = {
					{ base, oa, 33, 0 },
				};
				struct want_item w[17];

				for (k = 0; k < 17; k++) {
					w[k].va = base + 0x8000 + k * 0x1000;
					w[k].oa =
						k < 8 ? oa + 0x8000 + k * 0x1000
						      : oa + 0x10000 +
								(k - 8) *
									0x1000;
					w[k].count = 1;
					w[k].level = 0;
				}
				expect_items(&x, base, 0x21000, PTK_ITER_RUNS,
					     r, 1);
				expect_items(&x, base + 0x8800, 0x10000, 0, w,
					     17);
			}

			/* clear one entry of the first group */
			ptk_gather_init(&g);
			PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, base + 0x5000,
						    0x1000, 0));
			mi = rm_lower(&x.m, base + 0x5000);
			PTK_ASSERT_EQ(ptk_iter_next(&it), 1);
			PTK_ASSERT(ic_compare_item(&it, &x.t, 0, &x.m, &mi,
						   base + 0x5fff));
			clear_item(&x, &it, &mi, &g, &cl);
			PTK_EXPECT_RC(ptk_iter_next(&it), 0);
			ptk_iter_fini(&it);
			/* the rest of the group may have been cached as one
			 * 64K translation: all of it is invalidated */
			PTK_EXPECT(rm_gather_covers(&g, base, base + 0xffff));
			ptk_table_flush(&x.t, &g);
			check_tables(&x);
			for (k = 0; k < 16; k++)
				expect_xlate(&x, base + k * 0x1000);
			check_all(&x);

			/* set on an entry of the second group */
			PTK_ASSERT_OK(
				ptk_iter_init(&it, &x.t, base + 0x13000, 1, 0));
			mi = rm_lower(&x.m, base + 0x13000);
			PTK_ASSERT_EQ(ptk_iter_next(&it), 1);
			PTK_ASSERT(ic_compare_item(&it, &x.t, 0, &x.m, &mi,
						   base + 0x13000));
			set_item(&x, &it, 0x300000, &ra, PTK_MAP_SUPERSET, 0);
			ptk_iter_fini(&it);
			check_tables(&x);
			check_all(&x);

			/* a run that starts inside the second group */
			ptk_gather_init(&g);
			PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, base + 0x1a000,
						    0x4000, PTK_ITER_RUNS));
			mi = rm_lower(&x.m, base + 0x1a000);
			while (ptk_iter_next(&it) == 1) {
				if (!ic_compare_item(&it, &x.t, PTK_ITER_RUNS,
						     &x.m, &mi, base + 0x1dfff))
					break;
				clear_item(&x, &it, &mi, &g, &cl);
			}
			ptk_iter_fini(&it);
			ptk_table_flush(&x.t, &g);
			check_tables(&x);
			for (k = 0; k < 33; k++)
				expect_xlate(&x, base + k * 0x1000);
			check_all(&x);
			rm_ranges_free(&cl);
			fix_fini(&x);
		}
	}
}

/*
 * Host heap (poisoned when freed in debug builds; ASan-poisoned under
 * ASan): the iterator yields inside a page table, that table, its page
 * directory and more are unmapped and freed, things are mapped before
 * and after it, and it goes on with exactly the model's leaves from the
 * address after its last item.
 */
PTK_TEST(iter_yield_heap)
{
	unsigned int round;

	for (round = 0; round < 4; round++) {
		unsigned int flags = round & 1 ? PTK_ITER_RUNS : 0;
		uint64_t last = 8 * G - 1, pos = 0, k;
		struct ptk_iter it;
		struct fix x;
		unsigned int n = 0;
		size_t mi;
		int rc;

		fix_init(&x, &ptk_fmt_x86_64, round & 2 ? PTK_TABLE_GENERIC : 0,
			 true);
		for (k = 0; k < 6; k++) {
			fix_map(&x, k * G + 0x3000, 0x5000, 0x100000, RW);
			fix_map(&x, k * G + 7 * M2 + 0x1000, 0x2000, 0x200000,
				RW);
			fix_map(&x, k * G + 9 * M2, M2, 0x400000, RW);
		}
		check_tables(&x);

		PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, 0, last + 1, flags));
		mi = 0;
		while ((rc = ptk_iter_next(&it)) == 1) {
			if (!ic_compare_item(&it, &x.t, flags, &x.m, &mi, last))
				break;
			pos = it.va + (it.count << it.size_lg2);
			n++;
			if (it.va == G + 0x4000 ||
			    (flags && it.va == G + 0x3000)) {
				/* inside PD 1's first PT: free it and the
				 * PD, then map a 2M leaf over the address it
				 * goes on from (reported whole) and another
				 * one further on */
				ptk_iter_yield(&it);
				fix_unmap(&x, G, G);
				fix_map(&x, G, M2, 0x800000, RW);
				fix_map(&x, G + M2 * 4, M2, 0x600000, RW);
				check_tables(&x);
			} else if (it.va == 3 * G + 9 * M2) {
				/* a 2M leaf: unmap it and the rest of its
				 * PD, map it again and a page before it
				 * (never seen), pages after it (seen) */
				ptk_iter_yield(&it);
				fix_unmap(&x, 3 * G + 9 * M2, G - 9 * M2);
				fix_map(&x, 3 * G + 9 * M2, M2, 0xa00000, RW);
				fix_map(&x, 3 * G + 8 * M2, 0x1000, 0xc000, RW);
				fix_map(&x, 3 * G + 20 * M2, 0x3000, 0x9000,
					RW);
				fix_map(&x, 4 * G + 0x10000, 0x1000, 0xb000,
					RW);
			} else if (it.va == 5 * G + 7 * M2 + 0x1000) {
				/* everything after it goes */
				ptk_iter_yield(&it);
				fix_unmap(&x, 5 * G + 7 * M2 + 0x2000,
					  3 * G - 7 * M2 - 0x2000);
				check_tables(&x);
			} else if (n % 3 == 0) {
				/* and sometimes nothing happens */
				ptk_iter_yield(&it);
			} else {
				continue;
			}
			/* from here on: the model's leaves from @pos */
			mi = rm_lower(&x.m, pos);
		}
		PTK_EXPECT_RC(rc, 0);
		if (mi < x.m.n && x.m.v[mi].va <= last)
			PTK_FAIL("model leaf 0x%" PRIx64 " not reported",
				 x.m.v[mi].va);
		/* yielded at the end: still the end */
		ptk_iter_yield(&it);
		PTK_EXPECT_RC(ptk_iter_next(&it), 0);
		ptk_iter_fini(&it);
		check_all(&x);
		check_tables(&x);
		fix_fini(&x);
	}
}

/* --- the random runs, per format */

static uint64_t scale(void)
{
	return ptk_test_env_u64("PTK_OPS_SCALE", 1);
}

/* A random valid start and a length that does not wrap; @dense: from
 * inside one leaf to inside another. */
static void rand_range(struct fix *x, uint64_t *va, uint64_t *len, bool dense)
{
	const struct ptk_fmt *f = x->f;
	unsigned int l;
	uint64_t v, n;

	if (x->m.n && (dense || ptk_rand_chance(&x->r, 1, 2))) {
		/* from inside one leaf to inside another, up to 300 on */
		size_t i = ptk_rand_below(&x->r, x->m.n), j;

		j = i +
		    ptk_rand_below(&x->r, x->m.n - i < 300 ? x->m.n - i : 300);
		v = x->m.v[i].va +
		    ptk_rand_below(&x->r, UINT64_C(1) << x->m.v[i].size_lg2);
		*va = v;
		*len = x->m.v[j].va - v + 1 +
		       ptk_rand_below(&x->r, UINT64_C(1) << x->m.v[j].size_lg2);
		if (v + (*len - 1) < v)
			*len = 0 - v;
		return;
	}
	do {
		if (x->m.n && ptk_rand_chance(&x->r, 3, 4))
			v = x->m.v[ptk_rand_below(&x->r, x->m.n)].va;
		else
			v = x->p.anchors[ptk_rand_below(&x->r, x->p.nr_anchors)];
		l = (unsigned int)ptk_rand_below(&x->r, f->levels);
		v += (ptk_rand_below(&x->r, 9) - 4)
		     << f->level_shift[l < 2 ? l : 1];
		if (ptk_rand_chance(&x->r, 1, 3))
			v += ptk_rand_below(&x->r,
					    UINT64_C(1) << f->level_shift[0]);
	} while (!ptk_fmt_va_valid(f, v));
	l = (unsigned int)ptk_rand_below(&x->r, f->levels);
	n = ptk_rand_range(&x->r, 1, 40) << f->level_shift[l < 2 ? l : 1];
	if (ptk_rand_chance(&x->r, 1, 3))
		n += ptk_rand_below(&x->r, UINT64_C(1) << f->level_shift[0]);
	if (ptk_rand_chance(&x->r, 1, 20))
		n = UINT64_C(1) << f->level_shift[f->levels - 1];
	if (v + (n - 1) < v)
		n = 0 - v;
	*va = v;
	*len = n;
}

/* A new OA for the current item (aligned, inside what the leaf holds),
 * or false when there is none. */
static bool rand_oa(struct fix *x, const struct ptk_iter *it, uint64_t *oa)
{
	const struct ptk_fmt *f = x->f;
	unsigned int b = f->leaf_oa_bits[it->level] ? f->leaf_oa_bits[it->level]
						    : f->oa_bits;
	uint64_t need = it->count << it->size_lg2, lim;

	if (b > 40)
		b = 40;
	lim = UINT64_C(1) << b;
	if (need > lim || need == 0)
		return false;
	*oa = ptk_rand_below(&x->r, ((lim - need) >> it->size_lg2) + 1)
	      << it->size_lg2;
	return true;
}

static void set_pass(struct fix *x, unsigned int flags)
{
	struct ptk_attrs a;
	struct ptk_iter it;
	uint64_t va, len, oa, n = 0, nset = 0;
	size_t mi;
	int rc;

	rand_range(x, &va, &len, true);
	PTK_ASSERT_OK(ptk_iter_init(&it, &x->t, va, len, flags));
	mi = rm_lower(&x->m, va);
	while ((rc = ptk_iter_next(&it)) == 1) {
		if (!ic_compare_item(&it, &x->t, flags, &x->m, &mi,
				     va + (len - 1)))
			break;
		if (n++ % 2 || nset >= 48 || !rand_oa(x, &it, &oa))
			continue;
		nset++;
		rand_attrs(x, &a);
		if (set_item(x, &it, oa, &a,
			     ptk_rand_chance(&x->r, 1, 4) ? PTK_MAP_SUPERSET
							  : 0,
			     0))
			x->st.set_errs++;
		else
			x->st.sets++;
		if (ptk_test_failures())
			break;
	}
	PTK_EXPECT_RC(rc, 0);
	ptk_iter_fini(&it);
	ic_check(&x->t, &x->m, va, len, flags ^ PTK_ITER_RUNS);
}

/*
 * Clear items of a random range: every other one (@every 2) or all; the
 * model, the gather (or none), table counts and the checker agree.
 */
static void clear_pass(struct fix *x, unsigned int flags, unsigned int every)
{
	bool use_g = ptk_rand_chance(&x->r, 3, 4);
	struct ptk_gather g, *gp = use_g ? &g : NULL;
	struct rm_ranges cl = { 0 };
	uint64_t va, len, before = tables_sum(x), n = 0;
	uint64_t clears0 = x->st.clears;
	struct ptk_iter it;
	size_t mi;
	int rc;

	rand_range(x, &va, &len, every > 1 || ptk_rand_chance(&x->r, 1, 2));
	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_iter_init(&it, &x->t, va, len, flags));
	mi = rm_lower(&x->m, va);
	while ((rc = ptk_iter_next(&it)) == 1) {
		if (!ic_compare_item(&it, &x->t, flags, &x->m, &mi,
				     va + (len - 1)))
			break;
		if (n++ % every || x->st.clears - clears0 >= 150)
			continue;
		clear_item(x, &it, &mi, gp, &cl);
		x->st.clears++;
		if (n % 8 == 0)
			check_tables_p(x, g.nr_free);
		if (ptk_test_failures())
			break;
	}
	PTK_EXPECT_RC(rc, 0);
	ptk_iter_fini(&it);
	if (use_g)
		check_clear_gather(x, &g, &cl, before);
	check_tables(x);
	if (every == 1)
		ic_check(&x->t, &x->m, va, len, 0);
	rm_ranges_free(&cl);
}

/*
 * Iterate everything; now and then yield, change the table (random maps
 * and unmaps, or unmap the tables around the last item) and go on: the
 * items must be the model's leaves from the address after the last one.
 */
static void yield_pass(struct fix *x, unsigned int flags)
{
	const struct ptk_fmt *f = x->f;
	uint64_t va = 0, len = space_last(f) + 1, last, pos;
	unsigned int yields = 0;
	struct ptk_iter it;
	size_t mi;
	int rc;

	if (sign_ext(f)) {
		va = 1;
		len = UINT64_MAX;
	}
	last = va + (len - 1);
	PTK_ASSERT_OK(ptk_iter_init(&it, &x->t, va, len, flags));
	mi = rm_lower(&x->m, va);
	while ((rc = ptk_iter_next(&it)) == 1) {
		unsigned int l, k;

		if (!ic_compare_item(&it, &x->t, flags, &x->m, &mi, last))
			break;
		x->st.items++;
		if (yields >= 100 || !ptk_rand_chance(&x->r, 1, 6))
			continue;
		yields++;
		x->st.yields++;
		pos = it.va + (it.count << it.size_lg2);
		l = it.level + 1 + ptk_rand_chance(&x->r, 1, 4);
		ptk_iter_yield(&it);
		if (l < f->levels && ptk_rand_chance(&x->r, 1, 2)) {
			/* the tables holding the last item (when that does
			 * not empty the table) */
			uint64_t span = UINT64_C(1) << f->level_shift[l];
			uint64_t s = it.va & ~(span - 1);

			if (wl_range_valid(f, s, s + (span - 1)) &&
			    rm_lower(&x->m, s + (span - 1)) -
					    rm_lower(&x->m, s) <
				    64)
				fix_unmap(x, s, span);
		}
		/* unmap a few leaves ahead or behind, map a few */
		for (k = (unsigned int)ptk_rand_below(&x->r, 3); k; k--) {
			size_t i = rm_lower(&x->m, pos), j;

			if (ptk_rand_chance(&x->r, 1, 3))
				i = i > 8 ? i - 8 : 0;
			i += ptk_rand_below(&x->r, 8);
			j = i + ptk_rand_below(&x->r, 16);
			if (j >= x->m.n ||
			    !wl_range_valid(f, x->m.v[i].va,
					    rm_leaf_last(&x->m.v[j])))
				continue;
			fix_unmap(x, x->m.v[i].va,
				  rm_leaf_last(&x->m.v[j]) - x->m.v[i].va + 1);
		}
		fix_populate(x, (unsigned int)ptk_rand_below(&x->r, 4), true);
		if (!pos)
			break; /* that was the top of the space */
		mi = rm_lower(&x->m, pos);
	}
	PTK_EXPECT(rc == 0 || rc == 1);
	if (rc == 0 && mi < x->m.n && x->m.v[mi].va <= last)
		PTK_FAIL("model leaf 0x%" PRIx64 " not reported after %u "
			 "yields",
			 x->m.v[mi].va, yields);
	ptk_iter_fini(&it);
	check_tables(x);
}

static void random_run(const struct ptk_fmt *f, unsigned int tflags)
{
	unsigned int s0 = f->level_shift[0], i, k;
	/* 16K / 64K tables cost the per-mutation checks 4 / 16 times */
	unsigned int ops = 400 >> (s0 > 12 ? (s0 - 12) / 2 : 0);
	uint64_t rounds = scale();
	struct fix x;

	fix_init(&x, f, tflags, false);
	for (i = 0; i < rounds; i++) {
		fix_populate(&x, ops, true);
		if (x.m.n > x.st.max_leaves)
			x.st.max_leaves = x.m.n;
		check_tables(&x);
		check_all(&x);
		for (k = 0; k < 24; k++) {
			uint64_t va, len;

			rand_range(&x, &va, &len, false);
			ic_check(&x.t, &x.m, va, len, 0);
			ic_check(&x.t, &x.m, va, len,
				 PTK_ITER_RUNS |
					 (k & 1 ? PTK_ITER_NO_ATTRS : 0));
		}
		set_pass(&x, 0);
		set_pass(&x, PTK_ITER_RUNS);
		yield_pass(&x, i & 1 ? PTK_ITER_RUNS : 0);
		clear_pass(&x, 0, 2);
		clear_pass(&x, PTK_ITER_RUNS, 2);
		clear_pass(&x, i & 1 ? 0 : PTK_ITER_RUNS, 1);
		check_all(&x);
		if (ptk_test_failures())
			ptk_test_abort();
	}
	printf("%s%s: seed 0x%016" PRIx64 ", max %" PRIu64 " leaves, %" PRIu64
	       " items yield-checked after %" PRIu64 " yields, %" PRIu64
	       " sets (%" PRIu64 " refused), %" PRIu64 " clears\n",
	       f->name,
	       tflags & PTK_TABLE_GENERIC ? " (generic)"
	       : tflags & PTK_TABLE_HASH  ? " (hash)"
					  : "",
	       ptk_test_seed(), x.st.max_leaves, x.st.items, x.st.yields,
	       x.st.sets, x.st.set_errs, x.st.clears);
	fix_fini(&x);
}

/* An item as a loop saw it. */
struct seen {
	uint64_t va, oa, count, pte;
};

/*
 * Every item of [@va, +@len) (per leaf, or runs with @flags), by the
 * plain while loop over ptk_iter_next(); returns how many (at most @max).
 */
static size_t items_by_next(struct fix *x, uint64_t va, uint64_t len,
			    unsigned int flags, struct seen *out, size_t max)
{
	struct ptk_iter it;
	size_t n = 0;
	int rc;

	PTK_ASSERT_OK(ptk_iter_init(&it, &x->t, va, len, flags));
	while ((rc = ptk_iter_next(&it)) > 0) {
		PTK_ASSERT(n < max);
		out[n++] = (struct seen){ it.va, it.oa, it.count, it.pte };
	}
	PTK_EXPECT_RC(rc, 0);
	ptk_iter_fini(&it);
	return n;
}

static bool seen_eq(const struct seen *a, const struct ptk_iter *it)
{
	return a->va == it->va && a->oa == it->oa && a->count == it->count &&
	       a->pte == it->pte;
}

#define FE_MAX 4096

/*
 * ptk_iter_for_each() against the while loop over ptk_iter_next() on the
 * same table: the same items; break leaves rc 1 at the item and the
 * iterator goes on after it; continue, ptk_iter_yield() and
 * ptk_iter_clear() inside the body.
 */
static void for_each_cases(const struct ptk_fmt *f)
{
	static struct seen want[FE_MAX];
	uint64_t s0 = UINT64_C(1) << f->level_shift[0];
	uint64_t t0 = s0 << f->level_bits[0]; /* a leaf table's span */
	uint64_t va = 4 * t0, len = 3 * t0, k, n, cleared;
	unsigned int flags, brk;
	struct ptk_iter it;
	struct fix x;
	int rc;

	fix_init(&x, f, 0, false);
	/* three leaf tables: runs of following OAs, a lone page at an
	 * unrelated OA, holes, a second protection */
	fix_map(&x, va, 100 * s0, 1000 * s0, RW);
	fix_map(&x, va + 100 * s0, s0, 77 * s0, RW);
	fix_map(&x, va + 101 * s0, 60 * s0, 1101 * s0, RW);
	fix_map(&x, va + 200 * s0, 40 * s0, 5000 * s0, PTK_PROT_READ);
	fix_map(&x, va + t0 - 3 * s0, t0 + 9 * s0, 9000 * s0, RW);
	fix_map(&x, va + 2 * t0 + 7 * s0, 5 * s0, 20000 * s0, RW);

	for (flags = 0; flags <= PTK_ITER_RUNS; flags += PTK_ITER_RUNS) {
		n = items_by_next(&x, va, len, flags, want, FE_MAX);
		PTK_ASSERT(n > 3);

		/* the same items, the same end */
		k = 0;
		PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, va, len, flags));
		ptk_iter_for_each(&it, rc) {
			if (k >= n || !seen_eq(&want[k], &it))
				break;
			k++;
		}
		PTK_EXPECT_RC(rc, 0);
		PTK_EXPECT_EQ(k, n);
		ptk_iter_fini(&it);

		/* break at each of a few items: rc 1 there, then the
		 * plain loop goes on with the next item */
		for (brk = 0; brk < n; brk += 1 + brk / 2) {
			k = 0;
			PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, va, len, flags));
			ptk_iter_for_each(&it, rc) {
				if (k == brk)
					break;
				k++;
			}
			PTK_EXPECT_RC(rc, 1);
			PTK_EXPECT(seen_eq(&want[brk], &it));
			rc = ptk_iter_next(&it);
			if (brk + 1 < n) {
				PTK_EXPECT_RC(rc, 1);
				PTK_EXPECT(seen_eq(&want[brk + 1], &it));
			} else {
				PTK_EXPECT_RC(rc, 0);
			}
			ptk_iter_fini(&it);
		}

		/* continue over every other item, a yield every third */
		k = 0;
		PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, va, len, flags));
		ptk_iter_for_each(&it, rc) {
			if (k >= n || !seen_eq(&want[k], &it))
				break;
			if (k++ % 3 == 1)
				ptk_iter_yield(&it);
			if (k % 2)
				continue;
		}
		PTK_EXPECT_RC(rc, 0);
		PTK_EXPECT_EQ(k, n);
		ptk_iter_fini(&it);
	}

	/* clear every third leaf from inside the body; the others stay */
	n = items_by_next(&x, va, len, 0, want, FE_MAX);
	k = 0;
	cleared = 0;
	PTK_ASSERT_OK(ptk_iter_init(&it, &x.t, va, len, 0));
	ptk_iter_for_each(&it, rc) {
		/* (va and oa: on armv8 the raw entries of neighbouring
		 * leaves may change as leaves are cleared) */
		if (k >= n || want[k].va != it.va || want[k].oa != it.oa ||
		    it.count != 1)
			break;
		if (k++ % 3 == 0) {
			PTK_EXPECT_OK(ptk_iter_clear(&it, NULL));
			cleared++;
		}
	}
	PTK_EXPECT_RC(rc, 0);
	PTK_EXPECT_EQ(k, n);
	ptk_iter_fini(&it);
	for (k = 0; k < n; k++) {
		struct ptk_xlate xl = { 0 };
		int xr = ptk_translate(&x.t, want[k].va, &xl);

		if (k % 3 == 0) {
			PTK_EXPECT_RC(xr, PTK_ENOENT);
			PTK_ASSERT_OK(rm_unmap(&x.m, want[k].va,
					       want[k].va + (s0 - 1), false,
					       NULL));
		} else {
			PTK_EXPECT_OK(xr);
			PTK_EXPECT_EQ(xl.oa, want[k].oa);
		}
	}
	PTK_EXPECT_EQ(cleared, (n + 2) / 3);
	check_all(&x);
	fix_fini(&x);
}

PTK_TEST(iter_for_each)
{
	for_each_cases(&ptk_fmt_x86_64);
	for_each_cases(&ptk_fmt_x86_32);
	for_each_cases(ptk_fmt_lookup("armv8_4k_48"));
}

static void test_by_name(void)
{
	const char *name = ptk_test_name() + strlen("iter_");
	size_t n = strlen(name);
	bool hash = n > 5 && !strcmp(name + n - 5, "_hash");
	const struct ptk_fmt *f;
	char fname[64];

	if (hash)
		n -= 5;
	PTK_ASSERT(n < sizeof(fname));
	memcpy(fname, name, n);
	fname[n] = 0;
	f = strcmp(fname, "toy32") ? ptk_fmt_lookup(fname) : &toy_fmt;
	PTK_ASSERT(f);
	if (hash) {
		random_run(f, PTK_TABLE_HASH);
		return;
	}
	random_run(f, 0);
	if (f != &toy_fmt)
		random_run(f, PTK_TABLE_GENERIC);
}

static const struct ptk_test cases[] = {
	PTK_TEST_ENTRY(iter_args),
	PTK_TEST_ENTRY(iter_empty),
	PTK_TEST_ENTRY(iter_huge_boundaries),
	PTK_TEST_ENTRY(iter_hole_runs),
	PTK_TEST_ENTRY(iter_set),
	PTK_TEST_ENTRY(iter_clear_unlinks),
	PTK_TEST_ENTRY(iter_corrupt),
	PTK_TEST_ENTRY(iter_contig),
	PTK_TEST_ENTRY(iter_yield_heap),
	PTK_TEST_ENTRY(iter_for_each),
	PTK_TEST_END,
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]) - 1)

static struct ptk_test tests[NR_CASES + 2 * 64 + 3];
static char names[2 * 64 + 2][64];

/* test_iter --cases: the hand-made cases only; -s iter_<format>: one
 * random run. */
int main(int argc, char **argv)
{
	size_t i, n = 0;

	if (argc > 1 && !strcmp(argv[1], "--cases")) {
		argv[1] = argv[0];
		return ptk_test_main(argc - 1, argv + 1, cases);
	}
	for (i = 0; i < NR_CASES; i++)
		tests[n++] = cases[i];
	for (i = 0; i < ptk_fmt_count() && i < 64; i++) {
		snprintf(names[2 * i], sizeof(names[0]), "iter_%s",
			 ptk_fmt_get(i)->name);
		tests[n].name = names[2 * i];
		tests[n++].fn = test_by_name;
		snprintf(names[2 * i + 1], sizeof(names[0]), "iter_%s_hash",
			 ptk_fmt_get(i)->name);
		tests[n].name = names[2 * i + 1];
		tests[n++].fn = test_by_name;
	}
	tests[n].name = "iter_toy32";
	tests[n++].fn = test_by_name;
	tests[n].name = "iter_toy32_hash";
	tests[n++].fn = test_by_name;
	tests[n].name = NULL;
	tests[n].fn = NULL;
	return ptk_test_main(argc, argv, tests);
}
