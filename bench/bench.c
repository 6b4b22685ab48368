// SPDX-License-Identifier: MIT
/*
 * `ptkit bench`: ptkit against the tailored x86-64 baseline, in one
 * process and one run.
 *
 * Every row runs the same workload on a ptkit table (x86_64 format, host
 * heap provider, the specialised engine instance) and on a struct tpt
 * (bench/tailored_x86_64.c), alternating the two inside every
 * repetition, and keeps the minimum time of each. Both sides' results
 * are compared on every repetition (translated OAs, walk sums, table
 * counts after unmap), so a broken path cannot be timed by accident.
 */
#define _POSIX_C_SOURCE 200809L

#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ptkit.h>

#include "bench.h"
#include "tailored_x86_64.h"

#ifndef PTK_DEBUG
#define PTK_DEBUG 0 /* normally set for every target by CMake */
#endif

#define SZ_4K (1ull << 12)
#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)
#define SZ_1T (1ull << 40)

/* Where each workload lives (lower canonical half, all 1 TiB aligned). */
#define HOT_VA 0x00007f0000000000ull
#define COLD_VA 0x0000100000000000ull
#define DENSE_VA 0x0000200000000000ull
#define SPARSE_VA 0x0000300000000000ull
#define DENSE_OA 0x0000000100000000ull

/* What both sides map: read/write, not executable, supervisor. */
#define TPT_LEAF_BITS (TPT_P | TPT_RW | TPT_NX)
#define TARGET_TRANSLATE 1.10
#define TARGET_RANGE 1.25

/* An odd multiplier: i -> i * ODD mod 2^n is a bijection on n bits. */
#define ODD 0x9e3779b97f4a7c15ull

struct bench_cfg {
	bool quick;
	bool json;
	unsigned int reps; /* map/walk/unmap cycles of the 1 GiB rows */
	unsigned int hot_reps; /* samples of translate_hot */
	unsigned int hot_addrs; /* addresses in the hot array */
	unsigned int hot_passes; /* passes over it per sample */
	unsigned int cold_regions; /* 2 MiB regions in the cold mapping */
	unsigned int cold_per_region; /* 4K pages mapped in each */
	unsigned int cold_lookups; /* random addresses, a power of 2 */
	unsigned int cold_sample; /* translations per sample, a power of 2 */
	unsigned int chain_sample; /* dependent ones, a power of 2 */
	unsigned int cold_reps; /* samples of each cold row */
	unsigned int dense_walks; /* walks per map in the dense rows */
	unsigned int sparse_pages;
	unsigned int sparse_reps; /* samples of walk_sparse */
	unsigned int sparse_walks; /* walks per sample */
};

struct bench_row {
	const char *name;
	const char *unit;
	double ptk_ns;
	double base_ns;
	double target;
	unsigned int reps;
	uint64_t ops;
	char desc[160];
};

/* One workload's two tables. */
struct pair {
	struct ptk_mem_heap heap;
	struct ptk_table t;
	struct tpt tp;
	bool ptk_ok;
	bool tpt_ok;
};

struct bench {
	struct bench_cfg cfg;
	struct ptk_attrs attrs;
	uint64_t rng;
	unsigned int nrows;
	struct bench_row rows[16];
};

#ifdef __GNUC__
__attribute__((format(printf, 1, 2)))
#endif
static void
bench_err(const char *fmt, ...)
{
	va_list ap;

	fputs("ptkit: bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(struct bench *b)
{
	/* splitmix64 */
	uint64_t z = (b->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void keep_min(double *best, uint64_t ns, uint64_t ops)
{
	double v = (double)ns / (double)ops;

	if (v < *best)
		*best = v;
}

static struct bench_row *row_add(struct bench *b, const char *name,
				 const char *unit, double target,
				 unsigned int reps, uint64_t ops)
{
	struct bench_row *r = &b->rows[b->nrows++];

	memset(r, 0, sizeof(*r));
	r->name = name;
	r->unit = unit;
	r->target = target;
	r->reps = reps;
	r->ops = ops;
	r->ptk_ns = DBL_MAX;
	r->base_ns = DBL_MAX;
	return r;
}

/* ---- the two tables of a workload ---- */

static int pair_init(struct pair *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	ptk_mem_heap_init(&p->heap);
	err = ptk_table_create(&p->t, &ptk_fmt_x86_64, &p->heap.mem, 0);
	if (err) {
		bench_err("ptk_table_create: %s", ptk_strerror(err));
		ptk_mem_heap_fini(&p->heap);
		return -1;
	}
	p->ptk_ok = true;
	if (tpt_create(&p->tp)) {
		bench_err("tailored table: out of memory");
		return -1;
	}
	p->tpt_ok = true;
	return 0;
}

static void pair_fini(struct pair *p)
{
	if (p->ptk_ok) {
		ptk_table_destroy(&p->t);
		ptk_mem_heap_fini(&p->heap);
	}
	if (p->tpt_ok)
		tpt_destroy(&p->tp);
	p->ptk_ok = false;
	p->tpt_ok = false;
}

static int ptk_map_checked(struct bench *b, struct pair *p, uint64_t va,
			   uint64_t len, uint64_t oa, unsigned int max_lg2)
{
	int err = ptk_map(&p->t, va, len, oa, &b->attrs,
			  PTK_MAP_MAX_PAGE(max_lg2), NULL);

	if (err)
		bench_err("ptk_map(0x%" PRIx64 ", 0x%" PRIx64 "): %s", va, len,
			  ptk_strerror(err));
	return err ? -1 : 0;
}

static int tpt_map_checked(struct pair *p, uint64_t va, uint64_t len,
			   uint64_t oa, unsigned int max_lg2)
{
	if (tpt_map(&p->tp, va, len, oa, TPT_LEAF_BITS, max_lg2)) {
		bench_err("tailored map(0x%" PRIx64 ", 0x%" PRIx64 ") failed",
			  va, len);
		return -1;
	}
	return 0;
}

static int pair_map(struct bench *b, struct pair *p, uint64_t va, uint64_t len,
		    uint64_t oa, unsigned int max_lg2)
{
	if (ptk_map_checked(b, p, va, len, oa, max_lg2))
		return -1;
	return tpt_map_checked(p, va, len, oa, max_lg2);
}

/*
 * Both sides translate @va to @want when @want_err is 0; otherwise ptkit
 * fails with @want_err and the baseline misses.
 */
static int pair_check_xlate(struct pair *p, uint64_t va, int want_err,
			    uint64_t want)
{
	struct ptk_xlate x;
	uint64_t oa = 0;
	int e1 = ptk_translate(&p->t, va, &x);
	int e2 = tpt_translate(&p->tp, va, &oa);

	if (!want_err && (e1 || e2 || x.oa != want || oa != want)) {
		bench_err("translate(0x%" PRIx64 "): ptkit %s 0x%" PRIx64
			  ", baseline %s 0x%" PRIx64 ", expected 0x%" PRIx64,
			  va, e1 ? ptk_strerror(e1) : "ok", e1 ? 0 : x.oa,
			  e2 ? "miss" : "ok", e2 ? 0 : oa, want);
		return -1;
	}
	if (want_err && (e1 != want_err || e2 != -1)) {
		bench_err("translate(0x%" PRIx64 "): expected %s, "
			  "ptkit says %s, baseline %s",
			  va, ptk_errname(want_err), ptk_errname(e1),
			  e2 ? "miss" : "mapped");
		return -1;
	}
	return 0;
}

/* ---- translate loops (the timed parts) ---- */

/*
 * Independent lookups: the CPU may overlap several (memory-level
 * parallelism), as a TLB-fill or IOMMU lookup loop would.
 */
static uint64_t ptk_xlate_loop(const struct ptk_table *t, const uint64_t *va,
			       size_t n, uint64_t *misses)
{
	struct ptk_xlate x;
	uint64_t sum = 0, miss = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ptk_translate(t, va[i], &x))
			sum += x.oa;
		else
			miss++;
	}
	*misses = miss;
	return sum;
}

static uint64_t tpt_xlate_loop(const struct tpt *tp, const uint64_t *va,
			       size_t n, uint64_t *misses)
{
	uint64_t oa, sum = 0, miss = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!tpt_translate(tp, va[i], &oa))
			sum += oa;
		else
			miss++;
	}
	*misses = miss;
	return sum;
}

/*
 * Dependent lookups: which address comes next depends on the previous
 * result, so lookups cannot overlap and each costs its full latency.
 * @n must be a power of two.
 */
static uint64_t ptk_chain_loop(const struct ptk_table *t, const uint64_t *va,
			       size_t n, uint64_t *misses)
{
	struct ptk_xlate x;
	uint64_t sum = 0, miss = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!ptk_translate(t, va[k], &x))
			sum += x.oa;
		else
			miss++;
		k = (k + (size_t)(sum >> 12) + 1) & (n - 1);
	}
	*misses = miss;
	return sum;
}

static uint64_t tpt_chain_loop(const struct tpt *tp, const uint64_t *va,
			       size_t n, uint64_t *misses)
{
	uint64_t oa, sum = 0, miss = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!tpt_translate(tp, va[k], &oa))
			sum += oa;
		else
			miss++;
		k = (k + (size_t)(sum >> 12) + 1) & (n - 1);
	}
	*misses = miss;
	return sum;
}

struct xlate_loops {
	uint64_t (*ptk)(const struct ptk_table *t, const uint64_t *va, size_t n,
			uint64_t *misses);
	uint64_t (*tpt)(const struct tpt *tp, const uint64_t *va, size_t n,
			uint64_t *misses);
};

static const struct xlate_loops xlate_indep = { ptk_xlate_loop,
						tpt_xlate_loop };
static const struct xlate_loops xlate_chain = { ptk_chain_loop,
						tpt_chain_loop };

/*
 * Time @passes passes over @n addresses on both sides, @reps times,
 * keeping the minimum ns per translation; the sums must agree and nothing
 * may miss. Repetition r uses the r-th window of @n addresses in @va,
 * which holds @total (@n and @total powers of two). Many short samples
 * let the minimum dodge other load on the machine.
 */
static int time_xlate(struct pair *p, const struct xlate_loops *loops,
		      const uint64_t *all, size_t total, size_t n,
		      unsigned int passes, unsigned int reps,
		      struct bench_row *row)
{
	uint64_t t0, s1, s2, m1, m2;
	unsigned int r, k;

	for (r = 0; r < reps; r++) {
		const uint64_t *va = all + (((size_t)r * n) & (total - 1));
		unsigned int side;

		s1 = 0;
		s2 = 0;
		m1 = 0;
		m2 = 0;
		/* Odd repetitions run the baseline first. */
		for (side = 0; side < 2; side++) {
			uint64_t m;

			t0 = now_ns();
			if ((side ^ r) & 1) {
				for (k = 0; k < passes; k++) {
					s2 += loops->tpt(&p->tp, va, n, &m);
					m2 += m;
				}
				keep_min(&row->base_ns, now_ns() - t0,
					 (uint64_t)n * passes);
			} else {
				for (k = 0; k < passes; k++) {
					s1 += loops->ptk(&p->t, va, n, &m);
					m1 += m;
				}
				keep_min(&row->ptk_ns, now_ns() - t0,
					 (uint64_t)n * passes);
			}
		}

		if (s1 != s2 || m1 || m2) {
			bench_err("%s: results differ (ptkit sum 0x%" PRIx64
				  " misses %" PRIu64 ", baseline sum 0x%" PRIx64
				  " misses %" PRIu64 ")",
				  row->name, s1, m1, s2, m2);
			return -1;
		}
	}
	return 0;
}

/* ---- translate_hot ---- */

static int row_translate_hot(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	struct bench_row *row;
	struct pair p;
	uint64_t page_oa[64], *va = NULL;
	unsigned int i;
	int ret = -1;

	row = row_add(b, "translate_hot", "translate", TARGET_TRANSLATE,
		      c->hot_reps, (uint64_t)c->hot_addrs * c->hot_passes);
	snprintf(row->desc, sizeof(row->desc),
		 "64 4K pages in one 2M region, %u random addresses, "
		 "%u passes per sample",
		 c->hot_addrs, c->hot_passes);
	if (pair_init(&p))
		goto out;
	/* Every 8th page of the region, each at an unrelated OA. */
	for (i = 0; i < 64; i++) {
		page_oa[i] = ((rnd(b) & 0xfffffff) + 1) << 12;
		if (pair_map(b, &p, HOT_VA + i * 8 * SZ_4K, SZ_4K, page_oa[i],
			     12))
			goto out;
	}
	va = malloc(c->hot_addrs * sizeof(*va));
	if (!va) {
		bench_err("out of memory");
		goto out;
	}
	for (i = 0; i < c->hot_addrs; i++) {
		uint64_t r = rnd(b);
		unsigned int pg = r & 63;
		uint64_t off = (r >> 8) & (SZ_4K - 1);

		va[i] = HOT_VA + pg * 8 * SZ_4K + off;
		if (pair_check_xlate(&p, va[i], 0, page_oa[pg] + off))
			goto out;
	}
	if (pair_check_xlate(&p, HOT_VA + SZ_4K, PTK_ENOENT, 0) ||
	    pair_check_xlate(&p, HOT_VA + SZ_2M, PTK_ENOENT, 0) ||
	    pair_check_xlate(&p, 0x0000800000000000ull, PTK_ERANGE, 0))
		goto out;
	ret = time_xlate(&p, &xlate_indep, va, c->hot_addrs, c->hot_addrs,
			 c->hot_passes, c->hot_reps, row);
out:
	free(va);
	pair_fini(&p);
	return ret;
}

/* ---- translate_cold ---- */

static int row_translate_cold(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t nregions = SZ_1T / SZ_2M;
	uint64_t npages = (uint64_t)c->cold_regions * c->cold_per_region;
	unsigned int stride = 512 / c->cold_per_region;
	uint64_t *page_va = NULL, *va = NULL;
	struct bench_row *row;
	struct pair p;
	uint64_t k, i;
	int ret = -1;

	row = row_add(b, "translate_cold", "translate", TARGET_TRANSLATE,
		      c->cold_reps, c->cold_sample);
	snprintf(row->desc, sizeof(row->desc),
		 "%" PRIu64 " 4K pages in %u 2M regions over 1 TiB "
		 "(%" PRIu64 " MiB of PTE tables per side), independent random "
		 "lookups",
		 npages, c->cold_regions,
		 (uint64_t)((c->cold_regions * SZ_4K) >> 20));
	if (pair_init(&p))
		goto out;
	page_va = malloc(npages * sizeof(*page_va));
	va = malloc((size_t)c->cold_lookups * sizeof(*va));
	if (!page_va || !va) {
		bench_err("out of memory");
		goto out;
	}
	/*
	 * Region k is (k * ODD) mod 2^19: distinct regions spread over the
	 * TiB. Its pages are @stride slots apart, so no two share a cache
	 * line of the PTE table. Page n's OA is (n * ODD) mod 2^28, pages.
	 */
	for (k = 0, i = 0; k < c->cold_regions; k++) {
		uint64_t reg = (k * ODD) & (nregions - 1);
		unsigned int first = rnd(b) % stride, j;

		for (j = 0; j < c->cold_per_region; j++, i++) {
			uint64_t v = COLD_VA + reg * SZ_2M +
				     (uint64_t)(first + j * stride) * SZ_4K;
			uint64_t oa = ((i * ODD) & 0xfffffff) << 12;

			page_va[i] = v;
			if (pair_map(b, &p, v, SZ_4K, oa, 12))
				goto out;
		}
	}
	for (i = 0; i < c->cold_lookups; i++) {
		uint64_t r = rnd(b);
		uint64_t n = r % npages;
		uint64_t off = (r >> 40) & (SZ_4K - 1);

		va[i] = page_va[n] + off;
		if (pair_check_xlate(&p, va[i], 0,
				     (((n * ODD) & 0xfffffff) << 12) + off))
			goto out;
	}
	if (time_xlate(&p, &xlate_indep, va, c->cold_lookups, c->cold_sample, 1,
		       c->cold_reps, row))
		goto out;
	row = row_add(b, "translate_cold_chain", "translate", TARGET_TRANSLATE,
		      c->cold_reps, c->chain_sample);
	snprintf(row->desc, sizeof(row->desc),
		 "same tables, each lookup's address picked by the previous "
		 "result (no overlap: latency)");
	ret = time_xlate(&p, &xlate_chain, va, c->cold_lookups, c->chain_sample,
			 1, c->cold_reps, row);
out:
	free(page_va);
	free(va);
	pair_fini(&p);
	return ret;
}

/* ---- the 1 GiB rows: map, walk, unmap ---- */

static int walk_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct tpt_walk_sum *s = arg;

	s->runs++;
	s->leaves += l->count;
	s->mix += l->va ^ l->oa;
	return 0;
}

static const struct ptk_walk_ops walk_ops = {
	.leaf = walk_leaf,
};

static int sums_check(const char *what, const struct tpt_walk_sum *a,
		      const struct tpt_walk_sum *bl,
		      const struct tpt_walk_sum *want)
{
	if (a->runs == want->runs && a->leaves == want->leaves &&
	    a->mix == want->mix && bl->runs == want->runs &&
	    bl->leaves == want->leaves && bl->mix == want->mix)
		return 0;
	bench_err("%s: walk results differ: ptkit %" PRIu64 " runs %" PRIu64
		  " leaves mix 0x%" PRIx64 ", baseline %" PRIu64
		  " runs %" PRIu64 " leaves mix 0x%" PRIx64
		  ", expected %" PRIu64 " runs %" PRIu64 " leaves mix "
		  "0x%" PRIx64,
		  what, a->runs, a->leaves, a->mix, bl->runs, bl->leaves,
		  bl->mix, want->runs, want->leaves, want->mix);
	return -1;
}

/* Time @n walks of [va, va + len) on each side; keep the minimum. */
static int time_walks(struct pair *p, uint64_t va, uint64_t len, unsigned int n,
		      unsigned int per_sample, const struct tpt_walk_sum *want,
		      struct bench_row *row)
{
	struct tpt_walk_sum s1, s2;
	unsigned int w, k;
	uint64_t t0;
	int err;

	for (w = 0; w < n; w++) {
		unsigned int side;

		/* Odd samples run the baseline first. */
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ w) & 1) {
				for (k = 0; k < per_sample; k++)
					tpt_walk(&p->tp, va, len, &s2);
				keep_min(&row->base_ns, now_ns() - t0,
					 row->ops * per_sample);
				continue;
			}
			for (k = 0; k < per_sample; k++) {
				memset(&s1, 0, sizeof(s1));
				err = ptk_walk(&p->t, va, len, &walk_ops, &s1);
				if (err) {
					bench_err("%s: ptk_walk: %s", row->name,
						  ptk_strerror(err));
					return -1;
				}
			}
			keep_min(&row->ptk_ns, now_ns() - t0,
				 row->ops * per_sample);
		}

		if (sums_check(row->name, &s1, &s2, want))
			return -1;
	}
	return 0;
}

/* Both sides are back to their empty state. */
static int pair_check_empty(struct pair *p, const char *what,
			    uint64_t heap_live)
{
	unsigned int l;

	for (l = 0; l < 4; l++) {
		if (ptk_table_count(&p->t, l)) {
			bench_err("%s: ptkit still has %" PRIu64 " tables at "
				  "level %u",
				  what, ptk_table_count(&p->t, l), l);
			return -1;
		}
	}
	if (p->heap.stats.live != heap_live) {
		bench_err("%s: ptkit heap holds %" PRIu64 " blocks, expected "
			  "%" PRIu64,
			  what, p->heap.stats.live, heap_live);
		return -1;
	}
	if (tpt_pages(&p->tp) != 1) {
		bench_err("%s: baseline still holds %" PRIu64 " table pages",
			  what, tpt_pages(&p->tp));
		return -1;
	}
	return 0;
}

static int rows_dense(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K;
	struct bench_row *map, *unmap, *walk, *scat;
	struct tpt_walk_sum want = { 0 };
	struct ptk_gather g;
	struct pair p;
	uint64_t heap_live, t0, i;
	unsigned int r;
	int err, ret = -1;

	map = row_add(b, "map_1g_4k", "page", TARGET_RANGE, c->reps, npages);
	snprintf(map->desc, sizeof(map->desc),
		 "one call mapping 1 GiB with 4K leaves "
		 "(PTK_MAP_MAX_PAGE(12)), "
		 "contiguous OA");
	unmap = row_add(b, "unmap_1g_4k", "page", TARGET_RANGE, c->reps,
			npages);
	snprintf(unmap->desc, sizeof(unmap->desc),
		 "one call unmapping it, empty tables freed (ptkit: gather "
		 "+ ptk_table_flush)");
	walk = row_add(b, "walk_dense_1g", "leaf", TARGET_RANGE,
		       c->reps * c->dense_walks, npages);
	snprintf(walk->desc, sizeof(walk->desc),
		 "walk of the 1 GiB, leaf hook counting runs (512 runs: one "
		 "per PTE table)");
	scat = row_add(b, "walk_dense_1g_scattered", "leaf", TARGET_RANGE,
		       c->reps * c->dense_walks, npages);
	snprintf(scat->desc, sizeof(scat->desc),
		 "same, every page at an unrelated OA (262144 runs of 1)");

	if (pair_init(&p))
		goto out;
	heap_live = p.heap.stats.live;
	for (i = 0; i < npages; i += 512) {
		want.runs++;
		want.leaves += 512;
		want.mix += (DENSE_VA + i * SZ_4K) ^ (DENSE_OA + i * SZ_4K);
	}

	for (r = 0; r < c->reps; r++) {
		unsigned int side;

		/* Odd repetitions run the baseline first. */
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ r) & 1) {
				if (tpt_map_checked(&p, DENSE_VA, SZ_1G,
						    DENSE_OA, 12))
					goto out;
				keep_min(&map->base_ns, now_ns() - t0, npages);
			} else {
				if (ptk_map_checked(b, &p, DENSE_VA, SZ_1G,
						    DENSE_OA, 12))
					goto out;
				keep_min(&map->ptk_ns, now_ns() - t0, npages);
			}
		}

		if (ptk_table_count(&p.t, 0) != 512) {
			bench_err("map_1g_4k: ptkit made %" PRIu64 " PTE "
				  "tables, "
				  "expected "
				  "512",
				  ptk_table_count(&p.t, 0));
			goto out;
		}
		for (i = 0; i < 16; i++) {
			uint64_t off = rnd(b) & (SZ_1G - 1);

			if (pair_check_xlate(&p, DENSE_VA + off, 0,
					     DENSE_OA + off))
				goto out;
		}
		if (pair_check_xlate(&p, DENSE_VA - 1, PTK_ENOENT, 0) ||
		    pair_check_xlate(&p, DENSE_VA + SZ_1G, PTK_ENOENT, 0))
			goto out;

		if (time_walks(&p, DENSE_VA, SZ_1G, c->dense_walks, 1, &want,
			       walk))
			goto out;

		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ r) & 1) {
				if (tpt_unmap(&p.tp, DENSE_VA, SZ_1G)) {
					bench_err("tailored unmap failed");
					goto out;
				}
				keep_min(&unmap->base_ns, now_ns() - t0,
					 npages);
				continue;
			}
			ptk_gather_init(&g);
			err = ptk_unmap(&p.t, DENSE_VA, SZ_1G, 0, &g);
			ptk_table_flush(&p.t, &g);
			keep_min(&unmap->ptk_ns, now_ns() - t0, npages);
			if (err) {
				bench_err("ptk_unmap: %s", ptk_strerror(err));
				goto out;
			}
		}
		if (pair_check_empty(&p, "unmap_1g_4k", heap_live))
			goto out;
	}

	/* Scattered OAs: page i at (i * ODD) mod 2^28, never contiguous. */
	memset(&want, 0, sizeof(want));
	for (i = 0; i < npages; i++) {
		uint64_t v = DENSE_VA + i * SZ_4K;
		uint64_t oa = ((i * ODD) & 0xfffffff) << 12;

		if (pair_map(b, &p, v, SZ_4K, oa, 12))
			goto out;
		want.runs++;
		want.leaves++;
		want.mix += v ^ oa;
	}
	if (time_walks(&p, DENSE_VA, SZ_1G, c->reps * c->dense_walks, 1, &want,
		       scat))
		goto out;
	ret = 0;
out:
	pair_fini(&p);
	return ret;
}

/* ---- walk_sparse ---- */

static int row_walk_sparse(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	struct tpt_walk_sum want = { 0 };
	struct bench_row *row;
	struct pair p;
	unsigned int i;
	int ret = -1;

	row = row_add(b, "walk_sparse", "walk", TARGET_RANGE, c->sparse_reps,
		      1);
	snprintf(row->desc, sizeof(row->desc),
		 "walk of 1 TiB holding %u 4K pages at random addresses",
		 c->sparse_pages);
	if (pair_init(&p))
		goto out;
	/* No two pages adjacent, so every page is a run of its own. */
	for (i = 0; i < c->sparse_pages;) {
		uint64_t r = rnd(b);
		uint64_t v =
			SPARSE_VA + SZ_4K + ((r % (SZ_1T / SZ_4K - 2)) << 12);
		uint64_t oa = ((r >> 28) & 0xfffffff) << 12;
		uint64_t dummy;

		if (!tpt_translate(&p.tp, v - SZ_4K, &dummy) ||
		    !tpt_translate(&p.tp, v, &dummy) ||
		    !tpt_translate(&p.tp, v + SZ_4K, &dummy))
			continue;
		if (pair_map(b, &p, v, SZ_4K, oa, 12))
			goto out;
		want.runs++;
		want.leaves++;
		want.mix += v ^ oa;
		i++;
	}
	ret = time_walks(&p, SPARSE_VA, SZ_1T, c->sparse_reps, c->sparse_walks,
			 &want, row);
out:
	pair_fini(&p);
	return ret;
}

/* ---- output ---- */

/* "model name" and, when given, "cpu MHz" of the first CPU. */
static void cpu_model(char *buf, size_t size)
{
	char line[256], model[160] = "unknown", mhz[32] = "";
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *val = strchr(line, ':');

		if (!val)
			continue;
		val++;
		val += strspn(val, " \t");
		val[strcspn(val, "\n")] = '\0';
		if (!strncmp(line, "model name", 10))
			snprintf(model, sizeof(model), "%s", val);
		else if (!strncmp(line, "cpu MHz", 7))
			snprintf(mhz, sizeof(mhz), "%.0f MHz", atof(val));
		else if (!strncmp(line, "processor", 9) &&
			 strcmp(model, "unknown") && mhz[0])
			break; /* the second CPU's entry */
	}
	if (f)
		fclose(f);
	snprintf(buf, size, "%s%s%s", model, mhz[0] ? ", " : "", mhz);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_json_row(const struct bench *b, const struct bench_row *r)
{
	double ratio = r->ptk_ns / r->base_ns;

	printf("{\"name\":");
	json_str(r->name);
	printf(",\"unit\":");
	json_str(r->unit);
	printf(",\"ptkit_ns\":%.3f,\"baseline_ns\":%.3f,\"ratio\":%.3f",
	       r->ptk_ns, r->base_ns, ratio);
	if (!strcmp(r->unit, "walk"))
		printf(",\"ptkit_us\":%.3f,\"baseline_us\":%.3f",
		       r->ptk_ns / 1000, r->base_ns / 1000);
	printf(",\"target\":%.2f,\"met\":%s,\"stat\":\"min\",\"reps\":%u,"
	       "\"ops_per_sample\":%" PRIu64 ",\"quick\":%s,\"ptk_debug\":%d,"
	       "\"desc\":",
	       r->target, ratio <= r->target ? "true" : "false", r->reps,
	       r->ops, b->cfg.quick ? "true" : "false", PTK_DEBUG);
	json_str(r->desc);
	printf("}\n");
}

static void print_header(const struct bench *b)
{
	char model[160];

	cpu_model(model, sizeof(model));
	printf("ptkit bench %s%s: ptkit (x86_64, heap provider) vs "
	       "tailored x86-64 baseline\n",
	       PTK_VERSION_STRING, b->cfg.quick ? " (--quick)" : "");
	printf("machine:   %s, %ld CPUs online\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN));
#if !defined(__OPTIMIZE__) || PTK_DEBUG > 0
	printf("build:     PTK_DEBUG=%d%s: NOT a release build, figures "
	       "are not representative\n",
	       PTK_DEBUG,
#ifdef __OPTIMIZE__
	       ""
#else
	       ", unoptimised"
#endif
	);
#endif
	printf("statistic: minimum over repetitions (sides alternate inside "
	       "each); ns per op\n");
	printf("ratio:     ptkit / baseline; targets: translate <= %.2f, "
	       "range operations <= %.2f\n\n",
	       TARGET_TRANSLATE, TARGET_RANGE);
	printf("%-24s %-9s %12s %12s %7s %8s %4s\n", "row", "op", "ptkit ns",
	       "baseline ns", "ratio", "target", "reps");
	fflush(stdout);
}

static void print_row(const struct bench_row *r)
{
	double ratio = r->ptk_ns / r->base_ns;

	printf("%-24s %-9s %12.3f %12.3f %7.3f %5s%.2f %4u  %s\n", r->name,
	       r->unit, r->ptk_ns, r->base_ns, ratio, "<= ", r->target, r->reps,
	       ratio <= r->target ? "ok" : "OVER");
	fflush(stdout);
}

static void print_legend(const struct bench *b)
{
	unsigned int i;

	printf("\nworkloads:\n");
	for (i = 0; i < b->nrows; i++)
		printf("  %-24s %s\n", b->rows[i].name, b->rows[i].desc);
	for (i = 0; i < b->nrows; i++) {
		const struct bench_row *r = &b->rows[i];

		if (!strcmp(r->unit, "walk"))
			printf("  %-24s ptkit %.1f us, baseline %.1f us per "
			       "walk\n",
			       r->name, r->ptk_ns / 1000, r->base_ns / 1000);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ptkit bench [--quick] [--json]\n"
		   "\n"
		   "Measure ptkit (x86_64 format, heap provider) against a "
		   "hand-written\n"
		   "x86-64 page table in bench/, in one run: translate (hot, "
		   "cold), map\n"
		   "and unmap of 1 GiB of 4K pages, dense and sparse walks. "
		   "Prints ns/op\n"
		   "for both and the ratio ptkit/baseline (minimum of several "
		   "repetitions).\n"
		   "\n"
		   "  --quick   small sizes and few repetitions (a few "
		   "seconds)\n"
		   "  --json    one JSON object per row: name, ptkit_ns, "
		   "baseline_ns, ratio, ...\n"
		   "  --help    this text\n");
}

int ptk_bench_main(int argc, char **argv)
{
	int (*const rows[])(struct bench *) = {
		row_translate_hot,
		row_translate_cold,
		rows_dense,
		row_walk_sparse,
	};
	struct bench *b;
	unsigned int i, printed = 0;
	int ret = 0;

	b = calloc(1, sizeof(*b));
	if (!b) {
		bench_err("out of memory");
		return 2;
	}
	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			b->cfg.quick = true;
		} else if (!strcmp(argv[i], "--json")) {
			b->cfg.json = true;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			usage(stdout);
			free(b);
			return 0;
		} else {
			bench_err("unknown argument '%s'", argv[i]);
			usage(stderr);
			free(b);
			return 1;
		}
	}
	/*
	 * Many short samples (about a millisecond each): the minimum then
	 * holds up even when other processes share the CPUs.
	 */
	if (b->cfg.quick) {
		b->cfg.reps = 6;
		b->cfg.hot_reps = 8;
		b->cfg.hot_addrs = 1024;
		b->cfg.hot_passes = 64;
		b->cfg.cold_regions = 4096;
		b->cfg.cold_per_region = 16;
		b->cfg.cold_lookups = 1u << 17;
		b->cfg.cold_sample = 1u << 13;
		b->cfg.chain_sample = 1u << 11;
		b->cfg.cold_reps = 8;
		b->cfg.dense_walks = 2;
		b->cfg.sparse_pages = 100;
		b->cfg.sparse_reps = 8;
		b->cfg.sparse_walks = 4;
	} else {
		b->cfg.reps = 32;
		b->cfg.hot_reps = 64;
		b->cfg.hot_addrs = 1024;
		b->cfg.hot_passes = 128;
		b->cfg.cold_regions = 65536;
		b->cfg.cold_per_region = 16;
		b->cfg.cold_lookups = 1u << 21;
		b->cfg.cold_sample = 1u << 14;
		b->cfg.chain_sample = 1u << 12;
		b->cfg.cold_reps = 64;
		b->cfg.dense_walks = 4;
		b->cfg.sparse_pages = 100;
		b->cfg.sparse_reps = 64;
		b->cfg.sparse_walks = 10;
	}
	b->attrs.prot = PTK_PROT_RW;
	b->rng = 0x5eed0f9761c0ffeeull;

	if (!b->cfg.json)
		print_header(b);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i](b)) {
			ret = 2;
			break;
		}
		for (; printed < b->nrows; printed++) {
			if (b->cfg.json)
				print_json_row(b, &b->rows[printed]);
			else
				print_row(&b->rows[printed]);
		}
	}
	if (!ret && !b->cfg.json)
		print_legend(b);
	free(b);
	return ret;
}
