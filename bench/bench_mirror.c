// SPDX-License-Identifier: MIT
/*
 * Secondary MMUs (ptkit/interval.h, ptkit/mirror.h, ptkit/tlb.h):
 *
 *  notif_dispatch_N     ns an invalidating operation (ptk_protect of one
 *                       page) spends on interval subscriptions, with N
 *                       non-overlapping ones of which it overlaps one:
 *                       the protect with them minus the protect without,
 *                       measured alternately in one run (target 100 ns)
 *  notif_dispatch_N_none
 *                       the same with the protected page between two
 *                       subscriptions, so that none overlaps (the
 *                       issue's case: target 100 ns)
 *  mirror_fault_1g_4k   ptk_mirror_fault() of 1 GiB of 4K pages (x86_64
 *                       -> x86_ept) against the primary's own ptk_map()
 *                       of the range, per page (target ratio 2.0)
 *  tlb_hit              ns per ptk_tlb_lookup() hit (target 5 ns)
 *  tlb_miss_fill        ptk_tlb_translate() missing on random 4K pages
 *                       of 1 GiB against ptk_translate() of the same
 *                       addresses (target ratio 2.0)
 *  tlb_invalidate_1g    one invalidation of 1 GiB against a loop of
 *                       per-page flushes over it (target ratio 1.0)
 *
 * With --quick the 1 GiB rows use 64 MiB.
 */
#define _GNU_SOURCE
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ptkit.h>

#include "bench_core.h"
#include "bench_mirror.h"

#define SZ_4K (1ull << 12)
#define SZ_1G (1ull << 30)
#define M_VA 0x0000100000000000ull
#define M_OA 0x0000000100000000ull

static const struct ptk_attrs m_rw = { PTK_PROT_RW, 0, 0, 0 };

static void nop_inval(struct ptk_interval *iv,
		      const struct ptk_interval_event *ev, uint64_t cur_seq)
{
	(void)ev;
	ptk_interval_set_seq(iv, cur_seq);
}

static const struct ptk_interval_ops nop_ops = { PTK_INTERVAL_OPS_VERSION,
						 nop_inval, NULL };

struct tbl {
	struct ptk_mem_heap h;
	struct ptk_table t;
};

static int tbl_init(struct tbl *x, const struct ptk_fmt *f)
{
	int rc;

	memset(x, 0, sizeof(*x));
	ptk_mem_heap_init(&x->h);
	rc = ptk_table_create(&x->t, f, &x->h.mem, 0);
	if (rc)
		bench_err("mirror: table create: %s", ptk_strerror(rc));
	return rc;
}

static void tbl_fini(struct tbl *x)
{
	ptk_table_destroy(&x->t);
	ptk_mem_heap_fini(&x->h);
}

/*
 * ns per protect of one of @n pages (2 pages apart) on @t; @gap moves
 * the page to the one after it, between two subscriptions.
 */
static uint64_t protect_loop(struct ptk_table *t, uint64_t n, uint64_t ops,
			     uint64_t *seed, uint64_t gap)
{
	uint64_t t0 = now_ns(), i;

	for (i = 0; i < ops; i++) {
		uint64_t k;

		*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
		k = (*seed >> 33) % n;
		(void)ptk_protect(t, M_VA + k * 2 * SZ_4K + gap, SZ_4K,
				  (i & 1) ? PTK_PROT_READ : PTK_PROT_RW, 0,
				  NULL);
	}
	return now_ns() - t0;
}

static int row_dispatch(struct bench *b, const char *name, uint64_t n,
			bool none)
{
	uint64_t gap = none ? SZ_4K : 0;
	unsigned int reps = b->cfg.quick ? 3 : 9, r;
	uint64_t ops = b->cfg.quick ? 20000 : 200000, i, seed = 1;
	struct ptk_interval *iv;
	struct bench_row *row;
	struct tbl with, without;
	double w = DBL_MAX, wo = DBL_MAX;
	void *idx = NULL;
	int ret = -1;

	row = row_add_abs(b, name, "ns/op", 100.0, false, reps);
	snprintf(row->desc, sizeof(row->desc),
		 "interval dispatch: ptk_protect of 1 page %s %" PRIu64
		 " subscribed pages, minus the same without subscriptions",
		 none ? "between two of" : "of", n);
	iv = calloc(n, sizeof(*iv));
	if (!iv || tbl_init(&with, &ptk_fmt_x86_64)) {
		free(iv);
		return -1;
	}
	if (tbl_init(&without, &ptk_fmt_x86_64))
		goto out2;
	if (ptk_map(&with.t, M_VA, 2 * n * SZ_4K, M_OA, &m_rw,
		    PTK_MAP_MAX_PAGE(12), NULL) ||
	    ptk_map(&without.t, M_VA, 2 * n * SZ_4K, M_OA, &m_rw,
		    PTK_MAP_MAX_PAGE(12), NULL))
		goto out;
	/* An index for the fast reject (ptk_interval_index()). */
	idx = malloc(ptk_interval_index_bytes(n));
	if (!idx ||
	    ptk_interval_index(&with.t, idx, ptk_interval_index_bytes(n)))
		goto out;
	for (i = 0; i < n; i++) {
		iv[i].ops = &nop_ops;
		if (ptk_interval_subscribe(&with.t, &iv[i],
					   M_VA + i * 2 * SZ_4K, SZ_4K))
			goto out;
	}
	for (r = 0; r < reps; r++) {
		keep_min(&w, protect_loop(&with.t, n, ops, &seed, gap), ops);
		keep_min(&wo, protect_loop(&without.t, n, ops, &seed, gap),
			 ops);
	}
	row->ptk_ns = w > wo ? w - wo : 0;
	snprintf(row->detail, sizeof(row->detail),
		 "protect with %" PRIu64 " subscriptions %.1f ns, without "
		 "%.1f ns",
		 n, w, wo);
	snprintf(row->json, sizeof(row->json),
		 ",\"with_ns\":%.2f,\"without_ns\":%.2f", w, wo);
	ret = 0;
out:
	tbl_fini(&without);
out2:
	tbl_fini(&with);
	free(idx);
	free(iv);
	return ret;
}

static int row_mirror_fault(struct bench *b)
{
	uint64_t len = b->cfg.quick ? (64ull << 20) : SZ_1G;
	unsigned int reps = b->cfg.quick ? 2 : 5, r;
	struct ptk_mirror_opts o = { 0, 6, 0, 0, 0 };
	struct bench_row *row;
	struct tbl p, s, base;
	struct ptk_mirror m;
	int ret = -1;

	row = row_add(b, "mirror_fault_1g_4k", "page", 2.0, reps, len / SZ_4K);
	snprintf(row->desc, sizeof(row->desc),
		 "ptk_mirror_fault of %" PRIu64
		 " MiB of 4K pages, x86_64 -> x86_ept, vs ptk_map of the "
		 "range into an empty x86_64 table",
		 len >> 20);
	if (tbl_init(&p, &ptk_fmt_x86_64))
		return -1;
	if (ptk_map(&p.t, M_VA, len, M_OA, &m_rw, PTK_MAP_MAX_PAGE(12), NULL))
		goto out;
	for (r = 0; r < reps; r++) {
		uint64_t t0;

		if (tbl_init(&base, &ptk_fmt_x86_64))
			goto out;
		t0 = now_ns();
		(void)ptk_map(&base.t, M_VA, len, M_OA, &m_rw,
			      PTK_MAP_MAX_PAGE(12), NULL);
		keep_min(&row->base_ns, now_ns() - t0, len / SZ_4K);
		tbl_fini(&base);
		if (tbl_init(&s, &ptk_fmt_x86_ept))
			goto out;
		if (ptk_mirror_init(&m, &p.t, &s.t, M_VA, len, &o)) {
			tbl_fini(&s);
			goto out;
		}
		t0 = now_ns();
		if (ptk_mirror_fault(&m, M_VA, len))
			bench_err("mirror: fault failed");
		keep_min(&row->ptk_ns, now_ns() - t0, len / SZ_4K);
		ptk_mirror_fini(&m);
		tbl_fini(&s);
	}
	ret = 0;
out:
	tbl_fini(&p);
	return ret;
}

struct tlbenv {
	struct tbl x;
	struct ptk_tlb tlb;
	struct ptk_tlb_entry e[64 * 4];
	struct ptk_tlb_space sp;
};

static int tlbenv_init(struct tlbenv *v, uint64_t len, unsigned int pwc)
{
	struct ptk_tlb_opts o = { 64, 4, 2, { 12, 21, 0, 0 }, pwc };

	if (tbl_init(&v->x, &ptk_fmt_x86_64))
		return -1;
	memset(&v->sp, 0, sizeof(v->sp));
	if (ptk_map(&v->x.t, M_VA, len, M_OA, &m_rw, PTK_MAP_MAX_PAGE(12),
		    NULL) ||
	    ptk_tlb_init(&v->tlb, v->e, &o) ||
	    ptk_tlb_attach(&v->sp, &v->tlb, &v->x.t, 1, M_VA, len)) {
		tbl_fini(&v->x);
		return -1;
	}
	return 0;
}

static void tlbenv_fini(struct tlbenv *v)
{
	ptk_tlb_detach(&v->sp);
	tbl_fini(&v->x);
}

static int rows_tlb(struct bench *b)
{
	uint64_t len = b->cfg.quick ? (64ull << 20) : SZ_1G;
	uint64_t npages = len / SZ_4K, nlook = 1 << 16, i;
	unsigned int reps = b->cfg.quick ? 3 : 9, r;
	struct bench_row *hit, *miss, *inv;
	struct ptk_tlb_result res;
	struct ptk_tlb_stats st;
	struct tlbenv *v;
	uint64_t *va, sink = 0, seed = 7, h0;
	int ret = -1;

	hit = row_add_abs(b, "tlb_hit", "ns/lookup", 5.0, false, reps);
	snprintf(hit->desc, sizeof(hit->desc),
		 "ptk_tlb_lookup hits: 64 4K pages cached in a 64x4 TLB "
		 "(4K and 2M entries), random order");
	miss = row_add(b, "tlb_miss_fill", "translate", 2.0, reps, nlook);
	snprintf(miss->desc, sizeof(miss->desc),
		 "ptk_tlb_translate missing (random 4K pages of %" PRIu64
		 " MiB, walk cache of 16) vs ptk_translate of the same "
		 "addresses",
		 len >> 20);
	inv = row_add(b, "tlb_invalidate_1g", "invalidation", 1.0, reps, 1);
	snprintf(inv->desc, sizeof(inv->desc),
		 "ptk_tlb_flush_range of %" PRIu64
		 " MiB (256 entries cached) vs a loop of per-page flushes",
		 len >> 20);
	v = calloc(1, sizeof(*v));
	va = malloc(nlook * sizeof(*va));
	if (!v || !va || tlbenv_init(v, len, 16))
		goto out;
	/*
	 * Hits: 64 consecutive pages, one per set (pages 8 apart would share
	 * 8 of the 64 sets, 32 entries for 64 pages: half the lookups
	 * missed).
	 */
	for (i = 0; i < 64; i++)
		(void)ptk_tlb_translate(&v->sp, M_VA + i * SZ_4K, NULL);
	for (i = 0; i < nlook; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		va[i] = M_VA + ((seed >> 33) & 63) * SZ_4K;
	}
	ptk_tlb_stats(&v->tlb, &st);
	h0 = st.hits;
	for (r = 0; r < reps; r++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < nlook; i++) {
			ptk_tlb_lookup(&v->tlb, 1, va[i], &res);
			sink += res.oa;
		}
		keep_min(&hit->ptk_ns, now_ns() - t0, nlook);
	}
	ptk_tlb_stats(&v->tlb, &st);
	snprintf(hit->detail, sizeof(hit->detail),
		 "%" PRIu64 " of %" PRIu64 " lookups hit", st.hits - h0,
		 (uint64_t)reps * nlook);
	/* Misses: random pages of the whole range. */
	for (i = 0; i < nlook; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		va[i] = M_VA + ((seed >> 20) % npages) * SZ_4K;
	}
	for (r = 0; r < reps; r++) {
		struct ptk_xlate x;
		uint64_t t0 = now_ns();

		for (i = 0; i < nlook; i++) {
			ptk_translate(&v->x.t, va[i], &x);
			sink += x.oa;
		}
		keep_min(&miss->base_ns, now_ns() - t0, nlook);
		ptk_tlb_flush_all(&v->tlb);
		t0 = now_ns();
		for (i = 0; i < nlook; i++) {
			ptk_tlb_translate(&v->sp, va[i], &res);
			sink += res.oa;
		}
		keep_min(&miss->ptk_ns, now_ns() - t0, nlook);
	}
	ptk_tlb_stats(&v->tlb, &st);
	snprintf(miss->detail, sizeof(miss->detail),
		 "walk refs per fill %.2f with the walk cache, %.2f without",
		 st.fills ? (double)st.walk_refs / (double)st.fills : 0.0,
		 st.fills ? (double)st.walk_refs_nopwc / (double)st.fills
			  : 0.0);
	snprintf(miss->json, sizeof(miss->json),
		 ",\"refs_per_fill\":%.3f,\"refs_per_fill_nopwc\":%.3f",
		 st.fills ? (double)st.walk_refs / (double)st.fills : 0.0,
		 st.fills ? (double)st.walk_refs_nopwc / (double)st.fills
			  : 0.0);
	/* Invalidation: one range call against a per-page loop. */
	for (r = 0; r < reps; r++) {
		uint64_t t0;

		for (i = 0; i < 256; i++)
			(void)ptk_tlb_translate(&v->sp, va[i], NULL);
		t0 = now_ns();
		ptk_tlb_flush_range(&v->tlb, 1, M_VA, len);
		keep_min(&inv->ptk_ns, now_ns() - t0, 1);
		for (i = 0; i < 256; i++)
			(void)ptk_tlb_translate(&v->sp, va[i], NULL);
		t0 = now_ns();
		for (i = 0; i < npages; i++)
			ptk_tlb_flush_range(&v->tlb, 1, M_VA + i * SZ_4K,
					    SZ_4K);
		keep_min(&inv->base_ns, now_ns() - t0, 1);
	}
	if (sink == 42)
		printf(" ");
	ret = 0;
	tlbenv_fini(v);
out:
	free(va);
	free(v);
	return ret;
}

int rows_mirror(struct bench *b)
{
	if (row_dispatch(b, "notif_dispatch_1", 1, false) ||
	    row_dispatch(b, "notif_dispatch_100", 100, false) ||
	    row_dispatch(b, "notif_dispatch_10000", 10000, false) ||
	    row_dispatch(b, "notif_dispatch_10000_none", 10000, true) ||
	    row_mirror_fault(b) || rows_tlb(b))
		return -1;
	return 0;
}
