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
 *
 * The iterator rows read the same tables through ptk_iter (in runs, and
 * per leaf) against tpt_scan() and tpt_walk(), and put the dense scan's
 * GB/s beside the machine's read bandwidth, measured in the same run.
 * translate_shared_rw measures ptkit against itself: a reader of a
 * PTK_TABLE_SHARED table alone, then beside a writer thread.
 *
 * The last rows measure the Linux kernel instead (bench/bench_kernel.c):
 * mprotect, fork, mremap and munmap of a populated region, each
 * alternating with ptkit doing the same to a table of as many 4K pages
 * (at unrelated OAs, as anonymous memory has). Those figures include the
 * kernel's VMA, TLB and struct page work, and say so.
 */
#define _GNU_SOURCE /* sched_setaffinity(), for translate_shared_rw */

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <ptkit.h>

#include "bench.h"
#include "bench_core.h"
#include "bench_hash.h"
#include "bench_mirror.h"
#include "bench_image.h"
#include "bench_kernel.h"
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
#define KERN_VA 0x0000400000000000ull
#define SHR_VA 0x0000500000000000ull /* translate_shared_rw's readers */
#define SHR_WVA (SHR_VA + 64 * SZ_1G) /* ... and its writer */
#define DENSE_OA 0x0000000100000000ull

/* What both sides map: read/write, not executable, supervisor. */
#define TPT_LEAF_BITS (TPT_P | TPT_RW | TPT_NX)
#define TARGET_TRANSLATE 1.10
#define TARGET_RANGE 1.25
/* The issue's own targets for rows where 1.25 is not the bar. */
#define TARGET_ITER_RUNS 1.10 /* runs of a table: within 10% */
#define TARGET_ITER_LEAF 2.00 /* one item per leaf: within 2x */
#define TARGET_SCATTERED 1.50 /* a walk with a call per table's leaves */
#define TARGET_MOVE_ALIGNED 1.50 /* one relink against one pointer copy */
#define TARGET_PER_SLOT 2.00 /* ptk_build_set() per slot: as per leaf */
#define TARGET_KERNEL 1.00 /* faster per page than the kernel */
#define TARGET_SMALL 2.00 /* a one-page call (the row's own target) */

#ifdef __GNUC__
#define PTK_BENCH_NOINLINE __attribute__((noinline))
#else
#define PTK_BENCH_NOINLINE
#endif

/* Deltas of the 1 GiB moves: a multiple of 1 GiB, and 4K past one. */
#define MOVE_ALIGNED (4 * SZ_1G)
#define MOVE_UNALIGNED (2 * SZ_1G + SZ_4K)

/* An odd multiplier: i -> i * ODD mod 2^n is a bijection on n bits. */
#define ODD 0x9e3779b97f4a7c15ull

/* One workload's two tables. */
struct pair {
	struct ptk_mem_heap heap;
	struct ptk_table t;
	struct tpt tp;
	bool ptk_ok;
	bool tpt_ok;
};

void bench_err(const char *fmt, ...)
{
	va_list ap;

	fputs("ptkit: bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t rnd(struct bench *b)
{
	/* splitmix64 */
	uint64_t z = (b->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void keep_min(double *best, uint64_t ns, uint64_t ops)
{
	double v = (double)ns / (double)ops;

	if (v < *best)
		*best = v;
}

struct bench_row *row_add(struct bench *b, const char *name, const char *unit,
			  double target, unsigned int reps, uint64_t ops)
{
	struct bench_row *r;

	if (b->nrows == BENCH_MAX_ROWS) {
		/* A programming error: raise BENCH_MAX_ROWS. */
		bench_err("more than %d rows", BENCH_MAX_ROWS);
		abort();
	}
	r = &b->rows[b->nrows++];
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

struct bench_row *row_add_abs(struct bench *b, const char *name,
			      const char *unit, double target,
			      bool higher_better, unsigned int reps)
{
	struct bench_row *r = row_add(b, name, unit, target, reps, 1);

	r->absolute = true;
	r->higher_better = higher_better;
	r->ptk_ns = higher_better ? 0 : DBL_MAX;
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
 * ptkit's side of the loops, two ways: @plain calls ptk_translate() (which
 * checks @t and loads its entry point on every call), else the entry point
 * ptk_table_translate_fn() gave once, the documented fastest path.
 * @plain is a constant in each caller.
 */
static inline __attribute__((always_inline)) int
ptk_xlate_one(ptk_translate_fn_t fn, const struct ptk_table *t, uint64_t va,
	      struct ptk_xlate *x, bool plain)
{
	return plain ? ptk_translate(t, va, x) : fn(t, va, x);
}

/*
 * Independent lookups: the CPU may overlap several (memory-level
 * parallelism), as a TLB-fill or IOMMU lookup loop would.
 */
static inline __attribute__((always_inline)) uint64_t
ptk_xlate_loop_(const struct ptk_table *t, const uint64_t *va, size_t n,
		uint64_t *misses, bool plain)
{
	ptk_translate_fn_t fn = ptk_table_translate_fn(t);
	struct ptk_xlate x;
	uint64_t sum = 0, miss = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ptk_xlate_one(fn, t, va[i], &x, plain))
			sum += x.oa;
		else
			miss++;
	}
	*misses = miss;
	return sum;
}

static uint64_t ptk_xlate_loop(const struct ptk_table *t, const uint64_t *va,
			       size_t n, uint64_t *misses)
{
	return ptk_xlate_loop_(t, va, n, misses, false);
}

static uint64_t ptk_xlate_loop_plain(const struct ptk_table *t,
				     const uint64_t *va, size_t n,
				     uint64_t *misses)
{
	return ptk_xlate_loop_(t, va, n, misses, true);
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
static inline __attribute__((always_inline)) uint64_t
ptk_chain_loop_(const struct ptk_table *t, const uint64_t *va, size_t n,
		uint64_t *misses, bool plain)
{
	ptk_translate_fn_t fn = ptk_table_translate_fn(t);
	struct ptk_xlate x;
	uint64_t sum = 0, miss = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!ptk_xlate_one(fn, t, va[k], &x, plain))
			sum += x.oa;
		else
			miss++;
		k = (k + (size_t)(sum >> 12) + 1) & (n - 1);
	}
	*misses = miss;
	return sum;
}

static uint64_t ptk_chain_loop(const struct ptk_table *t, const uint64_t *va,
			       size_t n, uint64_t *misses)
{
	return ptk_chain_loop_(t, va, n, misses, false);
}

static uint64_t ptk_chain_loop_plain(const struct ptk_table *t,
				     const uint64_t *va, size_t n,
				     uint64_t *misses)
{
	return ptk_chain_loop_(t, va, n, misses, true);
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
static const struct xlate_loops xlate_indep_plain = { ptk_xlate_loop_plain,
						      tpt_xlate_loop };
static const struct xlate_loops xlate_chain_plain = { ptk_chain_loop_plain,
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
		 "%u passes per sample; ptkit through ptk_table_translate_fn()",
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
	if (time_xlate(&p, &xlate_indep, va, c->hot_addrs, c->hot_addrs,
		       c->hot_passes, c->hot_reps, row))
		goto out;
	row = row_add(b, "translate_hot_plain", "translate", TARGET_TRANSLATE,
		      c->hot_reps, (uint64_t)c->hot_addrs * c->hot_passes);
	snprintf(row->desc, sizeof(row->desc),
		 "translate_hot through ptk_translate() (checks the table "
		 "and loads its entry point per call)");
	ret = time_xlate(&p, &xlate_indep_plain, va, c->hot_addrs, c->hot_addrs,
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
		 "lookups through ptk_table_translate_fn()",
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
	if (time_xlate(&p, &xlate_chain, va, c->cold_lookups, c->chain_sample,
		       1, c->cold_reps, row))
		goto out;
	row = row_add(b, "translate_cold_plain", "translate", TARGET_TRANSLATE,
		      c->cold_reps, c->cold_sample);
	snprintf(row->desc, sizeof(row->desc),
		 "translate_cold through ptk_translate()");
	if (time_xlate(&p, &xlate_indep_plain, va, c->cold_lookups,
		       c->cold_sample, 1, c->cold_reps, row))
		goto out;
	row = row_add(b, "translate_cold_chain_plain", "translate",
		      TARGET_TRANSLATE, c->cold_reps, c->chain_sample);
	snprintf(row->desc, sizeof(row->desc),
		 "translate_cold_chain through ptk_translate()");
	ret = time_xlate(&p, &xlate_chain_plain, va, c->cold_lookups,
			 c->chain_sample, 1, c->cold_reps, row);
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

/* What the batch hook carries from one batch to the next. */
struct walk_batch_sum {
	struct tpt_walk_sum s; /* first: walk_leaf() reads it too */
	uint64_t next_va;
	uint64_t next_oa;
};

/*
 * The same sums from a table's present leaves at a time (any OAs): a
 * run goes on while VA and OA both continue inside one table, as the
 * leaf hook's runs do.
 */
static int walk_leaves(const struct ptk_walk_batch *bt, void *arg)
{
	struct walk_batch_sum *w = arg;
	uint64_t size = (uint64_t)1 << bt->size_lg2;
	uint64_t span = size << 9, i;
	/* The sums in locals: stores through @w could alias the pages. */
	uint64_t runs = 0, mix = 0, nva = w->next_va, noa = w->next_oa;

	for (i = 0; i < bt->count; i++) {
		const struct ptk_walk_page *pg = &bt->pages[i];

		if (pg->va != nva || pg->oa != noa || !(pg->va & (span - 1))) {
			runs++;
			mix += pg->va ^ pg->oa;
		}
		nva = pg->va + size;
		noa = pg->oa + size;
	}
	w->next_va = nva;
	w->next_oa = noa;
	w->s.runs += runs;
	w->s.mix += mix;
	w->s.leaves += bt->count;
	return 0;
}

static const struct ptk_walk_ops walk_batch_ops = {
	.leaves = walk_leaves,
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
static int time_walks_ops(struct pair *p, uint64_t va, uint64_t len,
			  unsigned int n, unsigned int per_sample,
			  const struct tpt_walk_sum *want,
			  const struct ptk_walk_ops *ops, struct bench_row *row)
{
	struct walk_batch_sum s1;
	struct tpt_walk_sum s2;
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
				err = ptk_walk(&p->t, va, len, ops, &s1);
				if (err) {
					bench_err("%s: ptk_walk: %s", row->name,
						  ptk_strerror(err));
					return -1;
				}
			}
			keep_min(&row->ptk_ns, now_ns() - t0,
				 row->ops * per_sample);
		}

		if (sums_check(row->name, &s1.s, &s2, want))
			return -1;
	}
	return 0;
}

static int time_walks(struct pair *p, uint64_t va, uint64_t len, unsigned int n,
		      unsigned int per_sample, const struct tpt_walk_sum *want,
		      struct bench_row *row)
{
	return time_walks_ops(p, va, len, n, per_sample, want, &walk_ops, row);
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

/* ---- the cursor iterator over the dense 1 GiB ---- */

/* What a dense scan computed: the raw leaf entries' sum, their number. */
struct scan_sum {
	uint64_t sum;
	uint64_t leaves;
	uint32_t prot; /* leaf mode: the OR of the decoded protections */
};

/*
 * How the caller's loop reads the items (the rows iter_dense_1g,
 * iter_dense_1g_pte, iter_dense_1g_leaf, iter_dense_1g_leaf_next).
 */
enum scan_mode {
	SCAN_RUNS, /* runs, their entries through ptk_iter_ptes64() */
	SCAN_RUNS_PTE, /* runs, ptk_iter_pte() per entry */
	SCAN_LEAF, /* per leaf, ptk_iter_for_each() */
	SCAN_LEAF_NEXT, /* per leaf, while (ptk_iter_next() > 0) */
};

/*
 * The caller's loop of the iterator's dense mode: one step per run of
 * leaves (up to a PTE table's 512), then a plain loop over the run's raw
 * entries: an array the compiler vectorises (@pte: an atomic load of
 * each through ptk_iter_pte()).
 */
static int ptk_iter_scan(struct ptk_table *t, uint64_t va, uint64_t len,
			 bool pte, struct scan_sum *s)
{
	struct ptk_iter it;
	uint64_t sum = 0, n = 0, i;
	const uint64_t *e;
	int rc;

	rc = ptk_iter_init(&it, t, va, len, PTK_ITER_RUNS | PTK_ITER_NO_ATTRS);
	while (!rc && (rc = ptk_iter_next(&it)) > 0) {
		e = pte ? NULL : ptk_iter_ptes64(&it);
		if (e) {
			for (i = 0; i < it.count; i++)
				sum += e[i];
		} else {
			for (i = 0; i < it.count; i++)
				sum += ptk_iter_pte(&it, i);
		}
		n += it.count;
		rc = 0;
	}
	ptk_iter_fini(&it);
	s->sum = sum;
	s->leaves = n;
	s->prot = 0;
	return rc;
}

/*
 * Per leaf: one item per leaf, attributes decoded; the loop written
 * ptk_iter_for_each() (@next: the plain while loop over ptk_iter_next()).
 */
static int ptk_iter_scan_leaf(struct ptk_table *t, uint64_t va, uint64_t len,
			      bool next, struct scan_sum *s)
{
	struct ptk_iter it;
	uint64_t sum = 0, n = 0;
	uint32_t prot = 0;
	int rc;

	rc = ptk_iter_init(&it, t, va, len, 0);
	if (!rc && next) {
		while ((rc = ptk_iter_next(&it)) > 0) {
			sum += it.pte;
			prot |= it.attrs.prot;
			n++;
		}
	} else if (!rc) {
		ptk_iter_for_each(&it, rc) {
			sum += it.pte;
			prot |= it.attrs.prot;
			n++;
		}
	}
	ptk_iter_fini(&it);
	s->sum = sum;
	s->leaves = n;
	s->prot = prot;
	return rc;
}

/*
 * Time @n samples of @per_sample scans of [va, va + len) through the
 * iterator (the loop @mode) and through tpt_scan(), alternating; both
 * must find @want (the per-leaf modes also the table's protection).
 */
static int time_scans(struct bench *b, struct pair *p, uint64_t va,
		      uint64_t len, enum scan_mode mode, unsigned int n,
		      unsigned int per_sample, const struct scan_sum *want,
		      struct bench_row *row)
{
	struct scan_sum s1 = { 0 }, s2 = { 0 };
	unsigned int w, k, side;
	uint64_t t0;
	int err = 0;

	for (w = 0; w < n; w++) {
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ w) & 1) {
				for (k = 0; k < per_sample; k++)
					s2.sum = tpt_scan(&p->tp, va, len,
							  &s2.leaves);
				keep_min(&row->base_ns, now_ns() - t0,
					 row->ops * per_sample);
				continue;
			}
			for (k = 0; k < per_sample && !err; k++)
				err = mode >= SCAN_LEAF
					      ? ptk_iter_scan_leaf(
							&p->t, va, len,
							mode == SCAN_LEAF_NEXT,
							&s1)
					      : ptk_iter_scan(
							&p->t, va, len,
							mode == SCAN_RUNS_PTE,
							&s1);
			keep_min(&row->ptk_ns, now_ns() - t0,
				 row->ops * per_sample);
			if (err) {
				bench_err("%s: ptk_iter_next: %s", row->name,
					  ptk_strerror(err));
				return -1;
			}
		}
		if (s1.sum != want->sum || s1.leaves != want->leaves ||
		    s2.sum != want->sum || s2.leaves != want->leaves ||
		    (mode >= SCAN_LEAF && s1.prot != b->attrs.prot)) {
			bench_err("%s: scans differ: ptkit sum 0x%" PRIx64
				  " of %" PRIu64 " leaves (prot 0x%x), "
				  "baseline 0x%" PRIx64 " of %" PRIu64
				  ", expected 0x%" PRIx64 " of %" PRIu64,
				  row->name, s1.sum, s1.leaves, s1.prot, s2.sum,
				  s2.leaves, want->sum, want->leaves);
			return -1;
		}
	}
	return 0;
}

/* Sum of a buffer, four chains so the loads, not the adds, limit it. */
static PTK_BENCH_NOINLINE uint64_t sum_words(const uint64_t *w, size_t n)
{
	uint64_t a = 0, c = 0, d = 0, e = 0;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		a += w[i];
		c += w[i + 1];
		d += w[i + 2];
		e += w[i + 3];
	}
	return a + c + d + e;
}

/*
 * Sequential read bandwidth in GB/s (bytes per ns) over a buffer of
 * @bytes, best of @passes; 0 when the buffer cannot be had. The buffer
 * is written first so that its pages are real, not the shared zero page.
 */
static double read_gbps(uint64_t bytes, unsigned int passes)
{
	size_t n = bytes / 8, i;
	volatile uint64_t sink;
	double best = DBL_MAX;
	uint64_t *w = malloc(bytes), t0;
	unsigned int k;

	if (!w)
		return 0;
	for (i = 0; i < n; i++)
		w[i] = i * ODD;
	for (k = 0; k < passes; k++) {
		t0 = now_ns();
		sink = sum_words(w, n);
		keep_min(&best, now_ns() - t0, 1);
	}
	(void)sink;
	free(w);
	return (double)bytes / best;
}

/* The iterator rows' GB/s of entries and bandwidth fractions. */
static void iter_rows_finish(struct bench_row *it, struct bench_row *leaf,
			     double mem, double cached)
{
	double g = 8 / it->ptk_ns, gb = 8 / it->base_ns;

	snprintf(it->detail, sizeof(it->detail),
		 "%.1f GB/s of entries (baseline %.1f); %.2f of the "
		 "measured read bandwidth %.1f GB/s, %.2f of the in-cache "
		 "%.1f GB/s",
		 g, gb, g / mem, mem, g / cached, cached);
	snprintf(it->json, sizeof(it->json),
		 ",\"gbps\":%.3f,\"baseline_gbps\":%.3f,"
		 "\"mem_read_gbps\":%.3f,\"bandwidth_fraction\":%.4f,"
		 "\"cached_read_gbps\":%.3f,\"cached_fraction\":%.4f",
		 g, gb, mem, g / mem, cached, g / cached);
	snprintf(leaf->json, sizeof(leaf->json),
		 ",\"gbps\":%.3f,\"baseline_gbps\":%.3f", 8 / leaf->ptk_ns,
		 8 / leaf->base_ns);
}

static int rows_dense(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K;
	struct bench_row *map, *unmap, *walk, *scat, *iter, *ipte, *ileaf;
	struct bench_row *inext;
	struct tpt_walk_sum want = { 0 };
	struct scan_sum swant = { 0 };
	double mem_gbps, cached_gbps;
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
	scat = row_add(b, "walk_dense_1g_scattered", "leaf", TARGET_SCATTERED,
		       c->reps * c->dense_walks, npages);
	snprintf(scat->desc, sizeof(scat->desc),
		 "same, every page at an unrelated OA (262144 runs of 1), "
		 "the leaves hook (a table's present leaves per call) "
		 "finding the runs");
	iter = row_add(b, "iter_dense_1g", "entry", TARGET_ITER_RUNS,
		       c->reps * c->dense_walks, npages);
	ipte = row_add(b, "iter_dense_1g_pte", "entry", TARGET_ITER_RUNS,
		       c->reps * c->dense_walks, npages);
	snprintf(ipte->desc, sizeof(ipte->desc),
		 "same runs, the caller's loop calling ptk_iter_pte() per "
		 "entry (an atomic load each, not vectorised); baseline the "
		 "same tpt_scan()");
	ileaf = row_add(b, "iter_dense_1g_leaf", "entry", TARGET_ITER_LEAF,
			c->reps * c->dense_walks, npages);
	snprintf(ileaf->desc, sizeof(ileaf->desc),
		 "same, one item per leaf, attributes decoded (flags 0), "
		 "loop ptk_iter_for_each(), caller sums it.pte and ORs "
		 "it.attrs.prot; baseline the same tpt_scan()");
	inext = row_add(b, "iter_dense_1g_leaf_next", "entry", TARGET_ITER_LEAF,
			c->reps * c->dense_walks, npages);
	snprintf(inext->desc, sizeof(inext->desc),
		 "same per leaf, the plain loop while (ptk_iter_next(&it) "
		 "> 0); baseline the same tpt_scan()");

	/* The machine's read bandwidth: out of cache, and in cache at the
	 * size of the 1 GiB's PTE tables (2 MiB). */
	mem_gbps = read_gbps(c->bw_bytes, c->bw_passes);
	cached_gbps = read_gbps(SZ_2M, 64 * c->bw_passes);
	if (mem_gbps <= 0 || cached_gbps <= 0) {
		bench_err("out of memory");
		return -1;
	}
	snprintf(iter->desc, sizeof(iter->desc),
		 "iterator over the 1 GiB, PTK_ITER_RUNS | NO_ATTRS, caller "
		 "sums each run's entries through ptk_iter_ptes64(); "
		 "baseline tpt_scan(); "
		 "read bandwidth: sum of a %" PRIu64 " MiB buffer, best of %u",
		 c->bw_bytes >> 20, c->bw_passes);

	if (pair_init(&p))
		goto out;
	heap_live = p.heap.stats.live;
	for (i = 0; i < npages; i += 512) {
		want.runs++;
		want.leaves += 512;
		want.mix += (DENSE_VA + i * SZ_4K) ^ (DENSE_OA + i * SZ_4K);
	}
	for (i = 0; i < npages; i++)
		swant.sum += (DENSE_OA + i * SZ_4K) | TPT_LEAF_BITS;
	swant.leaves = npages;

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
			       walk) ||
		    time_scans(b, &p, DENSE_VA, SZ_1G, SCAN_RUNS,
			       c->dense_walks, 1, &swant, iter) ||
		    time_scans(b, &p, DENSE_VA, SZ_1G, SCAN_RUNS_PTE,
			       c->dense_walks, 1, &swant, ipte) ||
		    time_scans(b, &p, DENSE_VA, SZ_1G, SCAN_LEAF,
			       c->dense_walks, 1, &swant, ileaf) ||
		    time_scans(b, &p, DENSE_VA, SZ_1G, SCAN_LEAF_NEXT,
			       c->dense_walks, 1, &swant, inext))
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
	if (time_walks_ops(&p, DENSE_VA, SZ_1G, c->reps * c->dense_walks, 1,
			   &want, &walk_batch_ops, scat))
		goto out;
	iter_rows_finish(iter, ileaf, mem_gbps, cached_gbps);
	ret = 0;
out:
	pair_fini(&p);
	return ret;
}

/* ---- walk_sparse, iter_sparse ---- */

/*
 * What tpt_walk() computes, through the iterator: items (runs of leaves
 * of one table), their leaves, and (VA ^ OA) of each item.
 */
static int ptk_iter_walk(struct ptk_table *t, uint64_t va, uint64_t len,
			 struct tpt_walk_sum *s)
{
	struct ptk_iter it;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = ptk_iter_init(&it, t, va, len, PTK_ITER_RUNS | PTK_ITER_NO_ATTRS);
	while (!rc && (rc = ptk_iter_next(&it)) > 0) {
		s->runs++;
		s->leaves += it.count;
		s->mix += it.va ^ it.oa;
		rc = 0;
	}
	ptk_iter_fini(&it);
	return rc;
}

/*
 * A dense scan out of DRAM: 64 GiB of 4K leaves, 128 MiB of PTEs, far
 * beyond any cache, read by the iterator's runs and by the hand-written
 * scan; the figure that matters is the fraction of the machine's
 * single-thread read bandwidth (measured here, on a buffer of the same
 * size) that the iterator turns into entries.
 */
#define DRAM_LEN (64ull << 30)

static int row_dram(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = DRAM_LEN / SZ_4K;
	struct bench_row *row, *frac;
	struct scan_sum want = { 0 };
	double mem_gbps, g;
	struct pair p;
	uint64_t i;
	int ret = -1;

	row = row_add(b, "iter_dram_64g", "entry", TARGET_ITER_RUNS,
		      c->dram_reps, npages);
	frac = row_add_abs(b, "iter_dram_64g_bandwidth", "fraction", 0.6, true,
			   c->dram_reps);
	mem_gbps = read_gbps(DRAM_LEN / 512, 3);
	if (mem_gbps <= 0) {
		bench_err("iter_dram_64g: out of memory");
		return -1;
	}
	snprintf(row->desc, sizeof(row->desc),
		 "iterator over 64 GiB of 4K leaves (128 MiB of PTEs, out of "
		 "cache), PTK_ITER_RUNS | NO_ATTRS, caller sums the entries "
		 "(ptk_iter_ptes64()); "
		 "baseline tpt_scan()");
	snprintf(frac->desc, sizeof(frac->desc),
		 "iter_dram_64g's entry bytes per ns over the read bandwidth "
		 "of one thread summing a 128 MiB buffer (same run)");
	if (pair_init(&p))
		goto out;
	if (pair_map(b, &p, DENSE_VA, DRAM_LEN, DENSE_OA, 12))
		goto out;
	for (i = 0; i < npages; i++)
		want.sum += (DENSE_OA + i * SZ_4K) | TPT_LEAF_BITS;
	want.leaves = npages;
	if (time_scans(b, &p, DENSE_VA, DRAM_LEN, SCAN_RUNS, c->dram_reps, 1,
		       &want, row))
		goto out;
	g = 8 / row->ptk_ns;
	frac->ptk_ns = g / mem_gbps;
	snprintf(row->detail, sizeof(row->detail),
		 "%.2f GB/s of entries (baseline %.2f); read bandwidth "
		 "%.2f GB/s: fractions %.2f (baseline %.2f)",
		 g, 8 / row->base_ns, mem_gbps, g / mem_gbps,
		 8 / row->base_ns / mem_gbps);
	snprintf(row->json, sizeof(row->json),
		 ",\"gbps\":%.3f,\"baseline_gbps\":%.3f,"
		 "\"mem_read_gbps\":%.3f,\"bandwidth_fraction\":%.4f,"
		 "\"baseline_bandwidth_fraction\":%.4f",
		 g, 8 / row->base_ns, mem_gbps, g / mem_gbps,
		 8 / row->base_ns / mem_gbps);
	ret = 0;
out:
	pair_fini(&p);
	return ret;
}

/* Like time_walks(), the iterator in place of ptk_walk(). */
static int time_iter_walks(struct pair *p, uint64_t va, uint64_t len,
			   unsigned int n, unsigned int per_sample,
			   const struct tpt_walk_sum *want,
			   struct bench_row *row)
{
	struct tpt_walk_sum s1 = { 0 }, s2 = { 0 };
	unsigned int w, k, side;
	uint64_t t0;
	int err = 0;

	for (w = 0; w < n; w++) {
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ w) & 1) {
				for (k = 0; k < per_sample; k++)
					tpt_walk(&p->tp, va, len, &s2);
				keep_min(&row->base_ns, now_ns() - t0,
					 row->ops * per_sample);
				continue;
			}
			for (k = 0; k < per_sample && !err; k++)
				err = ptk_iter_walk(&p->t, va, len, &s1);
			keep_min(&row->ptk_ns, now_ns() - t0,
				 row->ops * per_sample);
			if (err) {
				bench_err("%s: ptk_iter_next: %s", row->name,
					  ptk_strerror(err));
				return -1;
			}
		}
		if (sums_check(row->name, &s1, &s2, want))
			return -1;
	}
	return 0;
}

static int row_walk_sparse(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	struct tpt_walk_sum want = { 0 };
	struct bench_row *row, *irow;
	struct pair p;
	uint64_t tables;
	unsigned int i, l;
	int ret = -1;

	row = row_add(b, "walk_sparse", "walk", TARGET_RANGE, c->sparse_reps,
		      1);
	row->us = true;
	snprintf(row->desc, sizeof(row->desc),
		 "walk of 1 TiB holding %u 4K pages at random addresses",
		 c->sparse_pages);
	irow = row_add(b, "iter_sparse", "iter", TARGET_RANGE, c->sparse_reps,
		       1);
	irow->us = true;
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
	if (time_walks(&p, SPARSE_VA, SZ_1T, c->sparse_reps, c->sparse_walks,
		       &want, row) ||
	    time_iter_walks(&p, SPARSE_VA, SZ_1T, c->sparse_reps,
			    c->sparse_walks, &want, irow))
		goto out;
	/* Tables below the root: each is read whole, nothing else is. */
	for (l = 0, tables = 0; l < 3; l++)
		tables += ptk_table_count(&p.t, l);
	snprintf(irow->desc, sizeof(irow->desc),
		 "iterator (PTK_ITER_RUNS | NO_ATTRS) over the same 1 TiB, "
		 "baseline tpt_walk(): time follows the %" PRIu64
		 " populated tables (%.0f ns per table, %.2f ns per entry "
		 "read), not the 1 TiB span",
		 tables, irow->ptk_ns / (double)tables,
		 irow->ptk_ns / (double)(tables * 512));
	snprintf(irow->json, sizeof(irow->json),
		 ",\"tables\":%" PRIu64 ",\"ns_per_table\":%.2f", tables,
		 irow->ptk_ns / (double)tables);
	ret = 0;
out:
	pair_fini(&p);
	return ret;
}

/* ---- range operations against the baseline ---- */

/* OA of page @i of a region: contiguous from DENSE_OA, or scattered. */
static uint64_t page_oa(bool scattered, uint64_t i)
{
	return scattered ? ((i * ODD) & 0xfffffff) << 12 : DENSE_OA + i * SZ_4K;
}

/* Map @npages 4K pages at @va on ptkit's side only. */
static int ptk_map_region(struct bench *b, struct pair *p, uint64_t va,
			  uint64_t npages, bool scattered)
{
	uint64_t i;

	if (!scattered)
		return ptk_map_checked(b, p, va, npages * SZ_4K, DENSE_OA, 12);
	for (i = 0; i < npages; i++)
		if (ptk_map_checked(b, p, va + i * SZ_4K, SZ_4K,
				    page_oa(true, i), 12))
			return -1;
	return 0;
}

static int pair_map_region(struct bench *b, struct pair *p, uint64_t va,
			   uint64_t npages, bool scattered)
{
	uint64_t i;

	if (ptk_map_region(b, p, va, npages, scattered))
		return -1;
	if (!scattered)
		return tpt_map_checked(p, va, npages * SZ_4K, DENSE_OA, 12);
	for (i = 0; i < npages; i++)
		if (tpt_map_checked(p, va + i * SZ_4K, SZ_4K, page_oa(true, i),
				    12))
			return -1;
	return 0;
}

/* Table pages in use, the root included, as tpt_pages() counts them. */
static uint64_t ptk_tables(const struct ptk_table *t)
{
	uint64_t n = 1;
	unsigned int l;

	for (l = 0; l < 4; l++)
		n += ptk_table_count(t, l);
	return n;
}

/* Both sides hold @want table pages (0: the same number). */
static int pair_check_tables(struct pair *p, const char *what, uint64_t want)
{
	uint64_t a = ptk_tables(&p->t), bl = tpt_pages(&p->tp);

	if (a == bl && (!want || a == want))
		return 0;
	bench_err("%s: ptkit holds %" PRIu64 " tables, baseline %" PRIu64
		  ", expected %" PRIu64,
		  what, a, bl, want ? want : bl);
	return -1;
}

/* Both sides map @va with leaf entry @want. */
static int pair_check_leaf(struct pair *p, const char *what, uint64_t va,
			   uint64_t want)
{
	struct ptk_xlate x;
	uint64_t e = 0;
	int e1 = ptk_translate(&p->t, va, &x);
	int e2 = tpt_leaf(&p->tp, va, &e);

	if (!e1 && !e2 && x.pte == want && e == want)
		return 0;
	bench_err("%s: leaf for 0x%" PRIx64 ": ptkit %s 0x%" PRIx64
		  ", baseline %s 0x%" PRIx64 ", expected 0x%" PRIx64,
		  what, va, e1 ? ptk_strerror(e1) : "ok", e1 ? 0 : x.pte,
		  e2 ? "miss" : "ok", e, want);
	return -1;
}

/*
 * The first, the last and 16 random pages of the region at @va map their
 * OAs with leaf bits @bits on both sides, and the pages just outside it
 * map nothing.
 */
static int pair_check_region(struct bench *b, struct pair *p, const char *what,
			     uint64_t va, uint64_t npages, bool scattered,
			     uint64_t bits)
{
	unsigned int k;

	for (k = 0; k < 18; k++) {
		uint64_t i = k == 0 ? 0 : k == 1 ? npages - 1 : rnd(b) % npages;

		if (pair_check_leaf(p, what, va + i * SZ_4K,
				    page_oa(scattered, i) | bits))
			return -1;
	}
	if (pair_check_xlate(p, va - 1, PTK_ENOENT, 0) ||
	    pair_check_xlate(p, va + npages * SZ_4K, PTK_ENOENT, 0))
		return -1;
	return 0;
}

/* Nothing is mapped at 18 pages of [va, va + npages pages). */
static int pair_check_gone(struct bench *b, struct pair *p, uint64_t va,
			   uint64_t npages)
{
	unsigned int k;

	for (k = 0; k < 18; k++) {
		uint64_t i = k == 0 ? 0 : k == 1 ? npages - 1 : rnd(b) % npages;

		if (pair_check_xlate(p, va + i * SZ_4K, PTK_ENOENT, 0))
			return -1;
	}
	return 0;
}

static int ptk_protect_flush(struct ptk_table *t, uint64_t va, uint64_t len,
			     uint32_t prot)
{
	struct ptk_gather g;
	int err;

	ptk_gather_init(&g);
	err = ptk_protect(t, va, len, prot, 0, &g);
	ptk_table_flush(t, &g);
	if (err)
		bench_err("ptk_protect: %s", ptk_strerror(err));
	return err ? -1 : 0;
}

static int ptk_unmap_flush(struct ptk_table *t, uint64_t va, uint64_t len)
{
	struct ptk_gather g;
	int err;

	ptk_gather_init(&g);
	err = ptk_unmap(t, va, len, 0, &g);
	ptk_table_flush(t, &g);
	if (err)
		bench_err("ptk_unmap: %s", ptk_strerror(err));
	return err ? -1 : 0;
}

static int ptk_copy_flush(struct ptk_table *dst, struct ptk_table *src,
			  uint64_t va, uint64_t len)
{
	struct ptk_gather g;
	int err;

	ptk_gather_init(&g);
	err = ptk_copy(dst, src, va, len, PTK_COPY_COW, &g);
	ptk_table_flush(src, &g);
	if (err)
		bench_err("ptk_copy: %s", ptk_strerror(err));
	return err ? -1 : 0;
}

static int ptk_move_flush(struct ptk_table *t, uint64_t from, uint64_t to,
			  uint64_t len)
{
	struct ptk_gather g;
	int err;

	ptk_gather_init(&g);
	err = ptk_move(t, from, to, len, 0, &g);
	ptk_table_flush(t, &g);
	if (err)
		bench_err("ptk_move: %s", ptk_strerror(err));
	return err ? -1 : 0;
}

#define LEAF_RO (TPT_P | TPT_NX)

static int row_protect(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K;
	struct bench_row *row;
	struct pair p;
	unsigned int r, side;
	uint64_t t0;
	int ret = -1;

	row = row_add(b, "protect_1g_4k", "page", TARGET_RANGE, c->range_reps,
		      npages);
	snprintf(row->desc, sizeof(row->desc),
		 "1 GiB of 4K pages RW -> R in one call (ptkit: gather + "
		 "ptk_table_flush; baseline: tpt_protect)");
	if (pair_init(&p) || pair_map_region(b, &p, DENSE_VA, npages, false))
		goto out;
	for (r = 0; r < c->range_reps; r++) {
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ r) & 1) {
				int64_t n = tpt_protect(&p.tp, DENSE_VA, SZ_1G,
							TPT_NX);

				keep_min(&row->base_ns, now_ns() - t0, npages);
				if (n != (int64_t)npages) {
					bench_err("tailored protect changed "
						  "%" PRId64 " leaves",
						  n);
					goto out;
				}
				continue;
			}
			if (ptk_protect_flush(&p.t, DENSE_VA, SZ_1G,
					      PTK_PROT_READ))
				goto out;
			keep_min(&row->ptk_ns, now_ns() - t0, npages);
		}
		if (pair_check_region(b, &p, row->name, DENSE_VA, npages, false,
				      LEAF_RO))
			goto out;
		/* Untimed: back to RW for the next sample. */
		if (ptk_protect_flush(&p.t, DENSE_VA, SZ_1G, PTK_PROT_RW) ||
		    tpt_protect(&p.tp, DENSE_VA, SZ_1G, TPT_RW | TPT_NX) !=
			    (int64_t)npages ||
		    pair_check_region(b, &p, row->name, DENSE_VA, npages, false,
				      TPT_LEAF_BITS) ||
		    pair_check_tables(&p, row->name, 515))
			goto out;
	}
	ret = 0;
out:
	pair_fini(&p);
	return ret;
}

/*
 * The small operations of a fault handler or an mprotect() of a few
 * pages: on 4096 pages spread over a mapped 1 GiB (every 64th), R, then
 * unmapped, then mapped RW again; the tables stay. Each call is an op.
 */
static int row_small(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K, n = 4096, stride = 64;
	struct bench_row *row;
	struct pair p;
	unsigned int r, side;
	uint64_t t0, i;
	int ret = -1;

	row = row_add(b, "small_ops_4k", "op", TARGET_SMALL, c->range_reps,
		      3 * n);
	snprintf(row->desc, sizeof(row->desc),
		 "one 4K page at a time, 4096 pages of a mapped 1 GiB: "
		 "protect R, unmap, map RW (ptkit: protect and unmap each "
		 "with a gather + ptk_table_flush, map without; baseline: "
		 "tpt_protect, tpt_unmap, tpt_map)");
	if (pair_init(&p) || pair_map_region(b, &p, DENSE_VA, npages, false))
		goto out;
	for (r = 0; r < c->range_reps; r++) {
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ r) & 1) {
				for (i = 0; i < n; i++) {
					uint64_t va =
						DENSE_VA + i * stride * SZ_4K;

					if (tpt_protect(&p.tp, va, SZ_4K,
							TPT_NX) != 1 ||
					    tpt_unmap(&p.tp, va, SZ_4K) ||
					    tpt_map(&p.tp, va, SZ_4K,
						    page_oa(false, i * stride),
						    TPT_LEAF_BITS, 12)) {
						bench_err("tailored small "
							  "operation failed");
						goto out;
					}
				}
				keep_min(&row->base_ns, now_ns() - t0, 3 * n);
				continue;
			}
			for (i = 0; i < n; i++) {
				uint64_t va = DENSE_VA + i * stride * SZ_4K;

				if (ptk_protect_flush(&p.t, va, SZ_4K,
						      PTK_PROT_READ) ||
				    ptk_unmap_flush(&p.t, va, SZ_4K) ||
				    ptk_map_checked(b, &p, va, SZ_4K,
						    page_oa(false, i * stride),
						    12))
					goto out;
			}
			keep_min(&row->ptk_ns, now_ns() - t0, 3 * n);
		}
		if (pair_check_region(b, &p, row->name, DENSE_VA, npages, false,
				      TPT_LEAF_BITS) ||
		    pair_check_tables(&p, row->name, 515))
			goto out;
	}
	ret = 0;
out:
	pair_fini(&p);
	return ret;
}

static int row_copy(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K;
	struct bench_row *row;
	struct pair p, q;
	unsigned int r, side;
	uint64_t t0, q_live;
	int ret = -1;

	row = row_add(b, "copy_cow_1g_4k", "page", TARGET_RANGE, c->range_reps,
		      npages);
	snprintf(row->desc, sizeof(row->desc),
		 "fork: copy 1 GiB of 4K pages into an empty table, RW "
		 "cleared on both sides (PTK_COPY_COW; tpt_copy)");
	memset(&q, 0, sizeof(q));
	if (pair_init(&p) || pair_init(&q) ||
	    pair_map_region(b, &p, DENSE_VA, npages, false))
		goto out;
	q_live = q.heap.stats.live;
	for (r = 0; r < c->range_reps; r++) {
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ r) & 1) {
				if (tpt_copy(&q.tp, &p.tp, DENSE_VA, SZ_1G,
					     1)) {
					bench_err("tailored copy failed");
					goto out;
				}
				keep_min(&row->base_ns, now_ns() - t0, npages);
				continue;
			}
			if (ptk_copy_flush(&q.t, &p.t, DENSE_VA, SZ_1G))
				goto out;
			keep_min(&row->ptk_ns, now_ns() - t0, npages);
		}
		if (pair_check_region(b, &p, row->name, DENSE_VA, npages, false,
				      LEAF_RO) ||
		    pair_check_region(b, &q, row->name, DENSE_VA, npages, false,
				      LEAF_RO) ||
		    pair_check_tables(&q, row->name, 515) ||
		    pair_check_tables(&p, row->name, 515))
			goto out;
		/* Untimed: empty the copy, make the source RW again. */
		if (ptk_unmap_flush(&q.t, DENSE_VA, SZ_1G) ||
		    tpt_unmap(&q.tp, DENSE_VA, SZ_1G) ||
		    pair_check_empty(&q, row->name, q_live) ||
		    ptk_protect_flush(&p.t, DENSE_VA, SZ_1G, PTK_PROT_RW) ||
		    tpt_protect(&p.tp, DENSE_VA, SZ_1G, TPT_RW | TPT_NX) !=
			    (int64_t)npages)
			goto out;
	}
	ret = 0;
out:
	pair_fini(&q);
	pair_fini(&p);
	return ret;
}

/*
 * 1 GiB moved by @delta and back. A sample is one move, or for a
 * relinking move (a few tens of ns, where this clock steps by 10 ns and
 * a reading costs 20-30) MOVE_BATCH moves there and back: an odd number,
 * so a sample ends with the range at its destination.
 */
#define MOVE_BATCH 31

static int row_move(struct bench *b, const char *name, uint64_t delta,
		    bool scattered)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K;
	const unsigned int k = delta & (SZ_1G - 1) ? 1 : MOVE_BATCH;
	uint64_t cur = DENSE_VA, to, t0;
	struct bench_row *row;
	struct pair p;
	unsigned int r, side, j;
	int ret = -1;

	row = row_add(b, name, "page",
		      delta & (SZ_1G - 1) ? TARGET_RANGE : TARGET_MOVE_ALIGNED,
		      c->range_reps, npages * k);
	if (!(delta & (SZ_1G - 1)))
		snprintf(row->desc, sizeof(row->desc),
			 "mremap: move 1 GiB of 4K pages by a 1 GiB multiple "
			 "(the PMD table is relinked), %u moves there and "
			 "back a sample; ns per page moved",
			 k);
	else
		snprintf(row->desc, sizeof(row->desc),
			 "mremap: move 1 GiB of 4K pages (%s OAs) by 2 GiB + "
			 "4K (every PTE moved)",
			 scattered ? "scattered" : "contiguous");
	if (pair_init(&p) ||
	    pair_map_region(b, &p, DENSE_VA, npages, scattered))
		goto out;
	for (r = 0; r < c->range_reps; r++) {
		to = cur == DENSE_VA ? DENSE_VA + delta : DENSE_VA;
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ r) & 1) {
				for (j = 0; j < k; j++)
					if (tpt_move(&p.tp, j & 1 ? to : cur,
						     j & 1 ? cur : to, SZ_1G)) {
						bench_err("tailored move "
							  "failed");
						goto out;
					}
				keep_min(&row->base_ns, now_ns() - t0,
					 npages * k);
				continue;
			}
			for (j = 0; j < k; j++)
				if (ptk_move_flush(&p.t, j & 1 ? to : cur,
						   j & 1 ? cur : to, SZ_1G))
					goto out;
			keep_min(&row->ptk_ns, now_ns() - t0, npages * k);
		}
		if (pair_check_region(b, &p, row->name, to, npages, scattered,
				      TPT_LEAF_BITS) ||
		    pair_check_gone(b, &p, cur, npages) ||
		    pair_check_tables(&p, row->name, 0))
			goto out;
		cur = to;
	}
	ret = 0;
out:
	pair_fini(&p);
	return ret;
}

static int row_move_aligned(struct bench *b)
{
	return row_move(b, "move_aligned_1g", MOVE_ALIGNED, false);
}

static int row_move_unaligned(struct bench *b)
{
	return row_move(b, "move_unaligned_1g", MOVE_UNALIGNED, false);
}

static int row_move_unaligned_scat(struct bench *b)
{
	return row_move(b, "move_unaligned_1g_scattered", MOVE_UNALIGNED, true);
}

/* What both sides' harvest callbacks add up. */
static int ptk_harvest_cb(ptk_va_t va, uint64_t len, unsigned int found,
			  void *arg)
{
	struct tpt_walk_sum *s = arg;

	s->runs++;
	s->leaves += len >> 12;
	s->mix += va ^ len ^ found;
	return 0;
}

static void tpt_harvest_cb(uint64_t va, uint64_t len, void *arg)
{
	struct tpt_walk_sum *s = arg;

	s->runs++;
	s->leaves += len >> 12;
	s->mix += va ^ len ^ PTK_ATTR_DIRTY;
}

/* A harvest segment: @n pages, dirty or clean. */
struct hseg {
	uint32_t n;
	bool dirty;
};

/* Map the 1 GiB at DENSE_VA segment by segment on both sides. */
static int harvest_map(struct bench *b, struct pair *p, const struct hseg *s,
		       size_t nseg)
{
	struct ptk_attrs clean = b->attrs, dirty = b->attrs;
	uint64_t off = 0;
	size_t k;
	int err;

	dirty.flags |= PTK_ATTR_DIRTY;
	for (k = 0; k < nseg; k++) {
		uint64_t len = (uint64_t)s[k].n * SZ_4K;

		err = ptk_map(&p->t, DENSE_VA + off, len, DENSE_OA + off,
			      s[k].dirty ? &dirty : &clean,
			      PTK_MAP_MAX_PAGE(12), NULL);
		if (err) {
			bench_err("ptk_map: %s", ptk_strerror(err));
			return -1;
		}
		if (tpt_map(&p->tp, DENSE_VA + off, len, DENSE_OA + off,
			    TPT_LEAF_BITS | (s[k].dirty ? TPT_D : 0), 12)) {
			bench_err("tailored map failed");
			return -1;
		}
		off += len;
	}
	return 0;
}

/* --- the BUILD iterator against ptk_map() */

struct build_bench {
	ptk_pte_t bits;
	bool per_slot;
	bool bad;
};

/* Each slot a 4K leaf at DENSE_OA + (va - DENSE_VA). */
static int build_bench_cb(struct ptk_build_run *r, void *arg)
{
	struct build_bench *bb = arg;
	ptk_oa_t oa = DENSE_OA + (r->va - DENSE_VA);
	uint64_t k;

	if (!bb->per_slot)
		return ptk_build_fill(r, 0, r->count, oa, bb->bits);
	/* One leaf made by the format, the rest by adding the page size
	 * (x86-64 keeps the OA in place: bits 12 up). */
	{
		ptk_pte_t e = ptk_build_leaf(r, oa, bb->bits);

		for (k = 0; k < r->count; k++)
			ptk_build_set(r, k, e + (k << 12));
	}
	return 0;
}

static int build_bench_run(struct bench *b, struct pair *p,
			   struct build_bench *bb)
{
	int err;

	(void)b;
	err = ptk_build(&p->t, DENSE_VA, SZ_1G, 0, 0, build_bench_cb, bb, NULL);
	if (err) {
		bench_err("ptk_build: %s", ptk_strerror(err));
		return -1;
	}
	return 0;
}

/*
 * build_1g_4k, build_1g_4k_set: ptk_build() of 1 GiB at level 0, the
 * callback setting every slot to a 4K leaf (ptk_build_fill(), or
 * ptk_build_set() per slot), against ptk_map() of the same range with
 * PTK_MAP_MAX_PAGE(12), both on the same table in the same run.
 */
static int rows_build(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K;
	struct bench_row *rows[2];
	struct build_bench bb;
	struct ptk_gather g;
	struct pair p;
	uint64_t heap_live, t0, i;
	unsigned int r, side, k;
	int err, ret = -1;

	rows[0] = row_add(b, "build_1g_4k", "page", TARGET_RANGE, c->range_reps,
			  npages);
	snprintf(rows[0]->desc, sizeof(rows[0]->desc),
		 "ptk_build() of 1 GiB at level 0, callback ptk_build_fill() "
		 "of each run with 4K leaves; baseline ptk_map() of it "
		 "(PTK_MAP_MAX_PAGE(12)), same run");
	rows[1] = row_add(b, "build_1g_4k_set", "page", TARGET_PER_SLOT,
			  c->range_reps, npages);
	snprintf(rows[1]->desc, sizeof(rows[1]->desc),
		 "same, callback ptk_build_set() per slot; baseline "
		 "ptk_map()");
	if (pair_init(&p))
		goto out;
	heap_live = p.heap.stats.live;
	memset(&bb, 0, sizeof(bb));
	bb.bits = 0;
	{
		/* The bits ptk_map() uses for these attributes at level 0. */
		const struct ptk_fmt *f = ptk_table_fmt(&p.t);

		err = f->hooks->encode(f, 0, &b->attrs, 0, &bb.bits);
		if (err) {
			bench_err("encode: %s", ptk_strerror(err));
			goto out;
		}
	}
	for (k = 0; k < 2; k++) {
		bb.per_slot = k;
		for (r = 0; r < c->range_reps; r++) {
			for (side = 0; side < 2; side++) {
				t0 = now_ns();
				if ((side ^ r) & 1) {
					if (ptk_map_checked(b, &p, DENSE_VA,
							    SZ_1G, DENSE_OA,
							    12))
						goto out;
					keep_min(&rows[k]->base_ns,
						 now_ns() - t0, npages);
				} else {
					if (build_bench_run(b, &p, &bb))
						goto out;
					keep_min(&rows[k]->ptk_ns,
						 now_ns() - t0, npages);
					if (ptk_table_count(&p.t, 0) != 512) {
						bench_err(
							"build_1g_4k: %" PRIu64
							" PTE tables",
							ptk_table_count(&p.t,
									0));
						goto out;
					}
					for (i = 0; i < 16; i++) {
						uint64_t off = rnd(b) &
							       (SZ_1G - 1);
						struct ptk_xlate x;

						if (ptk_translate(&p.t,
								  DENSE_VA +
									  off,
								  &x) ||
						    x.oa != DENSE_OA + off ||
						    x.level) {
							bench_err(
								"ptk_build: "
								"wrong "
								"translation");
							goto out;
						}
					}
				}
				ptk_gather_init(&g);
				err = ptk_unmap(&p.t, DENSE_VA, SZ_1G, 0, &g);
				ptk_table_flush(&p.t, &g);
				if (err) {
					bench_err("ptk_unmap: %s",
						  ptk_strerror(err));
					goto out;
				}
				if (ptk_table_count(&p.t, 0) ||
				    p.heap.stats.live != heap_live) {
					bench_err("build_1g_4k: not empty");
					goto out;
				}
			}
		}
	}
	ret = 0;
out:
	pair_fini(&p);
	return ret;
}

static int row_harvest(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K;
	struct tpt_walk_sum want = { 0 }, s1, s2, none = { 0 };
	struct hseg *seg = NULL;
	size_t nseg = 0;
	struct bench_row *row;
	struct ptk_gather g;
	struct pair p;
	uint64_t i, t0;
	unsigned int r, side;
	int64_t n;
	int err, ret = -1;

	row = row_add(b, "harvest_1g_4k", "page", TARGET_RANGE, c->range_reps,
		      npages);
	if (pair_init(&p))
		goto out;
	/* Clean and dirty runs of 1..64 pages, alternating: half dirty. */
	seg = malloc(npages * sizeof(*seg));
	if (!seg) {
		bench_err("out of memory");
		goto out;
	}
	for (i = 0; i < npages; nseg++) {
		uint64_t len = 1 + rnd(b) % 64;

		if (len > npages - i)
			len = npages - i;
		seg[nseg].n = (uint32_t)len;
		seg[nseg].dirty = nseg & 1;
		if (seg[nseg].dirty) {
			want.runs++;
			want.leaves += len;
			want.mix += (DENSE_VA + i * SZ_4K) ^ (len * SZ_4K) ^
				    PTK_ATTR_DIRTY;
		}
		i += len;
	}
	snprintf(row->desc, sizeof(row->desc),
		 "report and clear dirty over 1 GiB of 4K pages, %" PRIu64
		 " dirty in %" PRIu64 " runs of 1..64 (callback per run)",
		 want.leaves, want.runs);
	if (harvest_map(b, &p, seg, nseg))
		goto out;
	for (r = 0; r < c->range_reps; r++) {
		memset(&s1, 0, sizeof(s1));
		memset(&s2, 0, sizeof(s2));
		n = 0;
		for (side = 0; side < 2; side++) {
			t0 = now_ns();
			if ((side ^ r) & 1) {
				n = tpt_harvest(&p.tp, DENSE_VA, SZ_1G,
						tpt_harvest_cb, &s2);
				keep_min(&row->base_ns, now_ns() - t0, npages);
				continue;
			}
			ptk_gather_init(&g);
			err = ptk_harvest(&p.t, DENSE_VA, SZ_1G, PTK_ATTR_DIRTY,
					  PTK_HARVEST_CLEAR, ptk_harvest_cb,
					  &s1, &g);
			ptk_table_flush(&p.t, &g);
			keep_min(&row->ptk_ns, now_ns() - t0, npages);
			if (err) {
				bench_err("ptk_harvest: %s", ptk_strerror(err));
				goto out;
			}
		}
		if (sums_check(row->name, &s1, &s2, &want))
			goto out;
		if (n != (int64_t)want.leaves) {
			bench_err("%s: tailored harvest found %" PRId64 " dirty"
				  " leave"
				  "s",
				  row->name, n);
			goto out;
		}
		/* Untimed: nothing is dirty any more on either side. */
		memset(&s1, 0, sizeof(s1));
		memset(&s2, 0, sizeof(s2));
		err = ptk_harvest(&p.t, DENSE_VA, SZ_1G, PTK_ATTR_DIRTY, 0,
				  ptk_harvest_cb, &s1, NULL);
		n = tpt_harvest(&p.tp, DENSE_VA, SZ_1G, tpt_harvest_cb, &s2);
		if (err || n || sums_check(row->name, &s1, &s2, &none))
			goto out;
		if (pair_check_region(b, &p, row->name, DENSE_VA, npages, false,
				      TPT_LEAF_BITS))
			goto out;
		/* Untimed: map it again, dirty as before. */
		if (ptk_unmap_flush(&p.t, DENSE_VA, SZ_1G) ||
		    tpt_unmap(&p.tp, DENSE_VA, SZ_1G) ||
		    harvest_map(b, &p, seg, nseg))
			goto out;
	}
	ret = 0;
out:
	free(seg);
	pair_fini(&p);
	return ret;
}

/* ---- translate_shared_rw: readers beside a writer ---- */

/*
 * The writer: round after round over its 2 MiB chunks, each chunk's 4K
 * pages protected read-only and back, then unmapped (its PTE table is
 * unlinked and retired to the reclaimer) and mapped again (a new one).
 */
struct shr_writer {
	struct ptk_table *t;
	struct ptk_attrs attrs;
	unsigned int chunks;
	int stop; /* atomic: set by the reader's thread */
	int started; /* atomic: one round done (or failed) */
	uint64_t ops; /* calls made (atomic) */
	clockid_t cpu; /* the thread's CPU-time clock */
	int pin; /* the CPU it runs on, or -1 */
	int err;
};

/* CPU time a thread has used, in ns. */
static uint64_t cpu_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The writer's next 2 MiB chunk: four calls. Returns 0 or -1. */
static int shr_writer_step(struct shr_writer *w, unsigned int k)
{
	uint64_t va = SHR_WVA + (uint64_t)k * SZ_2M;
	int err;

	if (ptk_protect_flush(w->t, va, SZ_2M, PTK_PROT_READ) ||
	    ptk_protect_flush(w->t, va, SZ_2M, PTK_PROT_RW) ||
	    ptk_unmap_flush(w->t, va, SZ_2M))
		return -1;
	err = ptk_map(w->t, va, SZ_2M, DENSE_OA + k * SZ_2M, &w->attrs,
		      PTK_MAP_MAX_PAGE(12), NULL);
	if (err) {
		bench_err("translate_shared_rw: writer: ptk_map: %s",
			  ptk_strerror(err));
		return -1;
	}
	__atomic_fetch_add(&w->ops, 4, __ATOMIC_RELAXED);
	return 0;
}

static void *shr_writer_main(void *arg)
{
	struct shr_writer *w = arg;
	unsigned int k = 0;
	cpu_set_t set;

	if (w->pin >= 0) {
		CPU_ZERO(&set);
		CPU_SET(w->pin, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		if (shr_writer_step(w, k)) {
			w->err = 1;
			break;
		}
		if (++k == w->chunks) {
			k = 0;
			__atomic_store_n(&w->started, 1, __ATOMIC_RELEASE);
		}
	}
	__atomic_store_n(&w->started, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* One read section per translation. */
static uint64_t shr_xlate_each(const struct ptk_table *t, const uint64_t *va,
			       size_t n, uint64_t *misses)
{
	struct ptk_xlate x;
	uint64_t sum = 0, miss = 0;
	unsigned long tok;
	size_t i;

	for (i = 0; i < n; i++) {
		tok = ptk_read_begin(t);
		if (!ptk_translate(t, va[i], &x))
			sum += x.oa;
		else
			miss++;
		ptk_read_end(t, tok);
	}
	*misses = miss;
	return sum;
}

/* One read section per 64 translations (@n a multiple of 64). */
static uint64_t shr_xlate_batch(const struct ptk_table *t, const uint64_t *va,
				size_t n, uint64_t *misses)
{
	struct ptk_xlate x;
	uint64_t sum = 0, miss = 0;
	unsigned long tok;
	size_t i, j;

	for (i = 0; i < n; i += 64) {
		tok = ptk_read_begin(t);
		for (j = i; j < i + 64; j++) {
			if (!ptk_translate(t, va[j], &x))
				sum += x.oa;
			else
				miss++;
		}
		ptk_read_end(t, tok);
	}
	*misses = miss;
	return sum;
}

typedef uint64_t (*shr_loop_fn)(const struct ptk_table *t, const uint64_t *va,
				size_t n, uint64_t *misses);

/*
 * A pass with the writer counts only when both threads were on a CPU
 * for at least SHR_BUSY of its wall time (on a loaded machine either may
 * be descheduled, or both share one CPU); a pass is tried up to
 * SHR_TRIES times for that.
 */
#define SHR_TRIES 8
#define SHR_BUSY 0.9

struct shr_ctx {
	struct ptk_mem_heap heap, twin_heap;
	struct ptk_ebr *ebr;
	struct ptk_table t, twin;
	bool t_ok, twin_ok;
	uint64_t *va;
	size_t n;
	uint64_t want;
	/* minima, ns per translation */
	double batch_alone, batch_writer, nosec, plain;
	double wrate; /* writer calls per ns, alone (its best round) */
	uint64_t wcalls, wns; /* writer calls during kept passes, their ns */
	unsigned int kept, idle; /* passes with the writer kept, given up */
	double idle_each, idle_batch; /* minima of those given up */
	cpu_set_t mask; /* the reader's CPUs before the row */
	bool pinned;
	int rcpu, wcpu; /* the CPUs reader and writer are pinned to */
};

/*
 * Time one pass of @loop, keep the minimum in *@best; check the sum.
 * With a writer @w, a pass the two threads did not both run through
 * (SHR_BUSY) is tried again, up to SHR_TRIES times, and goes to
 * *@best_idle (counted in @x->idle) when that never works.
 */
static int shr_time(struct shr_ctx *x, shr_loop_fn loop,
		    const struct ptk_table *t, double *best,
		    const struct shr_writer *w, double *best_idle)
{
	uint64_t w0 = 0, c0 = 0, r0, t0, t1, miss, sum, ns = 0, calls = 0;
	uint64_t rcpu, wcpu = 0, span;
	bool both = false;
	unsigned int k;

	for (k = 0; k < SHR_TRIES; k++) {
		/* The threads' counters bracket the timed pass; @span is all
		 * of it, so that being descheduled while reading them shows. */
		t0 = now_ns();
		r0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
		if (w) {
			w0 = __atomic_load_n(&w->ops, __ATOMIC_RELAXED);
			c0 = cpu_ns(w->cpu);
		}
		t1 = now_ns();
		sum = loop(t, x->va, x->n, &miss);
		ns = now_ns() - t1;
		if (w) {
			calls = __atomic_load_n(&w->ops, __ATOMIC_RELAXED) - w0;
			wcpu = cpu_ns(w->cpu) - c0;
		}
		rcpu = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - r0;
		span = now_ns() - t0;
		if (sum != x->want || miss) {
			bench_err("translate_shared_rw: sum 0x%" PRIx64
				  " with %" PRIu64 " misses, expected "
				  "0x%" PRIx64,
				  sum, miss, x->want);
			return -1;
		}
		if (!w)
			break;
		both = rcpu >= SHR_BUSY * (double)span &&
		       wcpu >= SHR_BUSY * (double)span &&
		       wcpu <= span + span / 8;
		if (both)
			break;
	}
	if (w && !both) {
		keep_min(best_idle, ns, x->n);
		x->idle++;
		return 0;
	}
	keep_min(best, ns, x->n);
	if (w) {
		x->kept++;
		x->wcalls += calls;
		x->wns += ns;
	}
	return 0;
}

/* The reader alone: the row's baseline, and the reference figures. */
static int shr_alone(struct shr_ctx *x, struct bench_row *row)
{
	return shr_time(x, shr_xlate_each, &x->t, &row->base_ns, NULL, NULL) ||
	       shr_time(x, shr_xlate_batch, &x->t, &x->batch_alone, NULL,
			NULL) ||
	       shr_time(x, ptk_xlate_loop, &x->t, &x->nosec, NULL, NULL) ||
	       shr_time(x, ptk_xlate_loop, &x->twin, &x->plain, NULL, NULL);
}

/* The same reader while the writer runs. */
static int shr_with_writer(struct bench *b, struct shr_ctx *x,
			   struct bench_row *row)
{
	struct shr_writer w;
	struct timespec ts = { 0, 20000 };
	pthread_t th;
	int err, ret;

	memset(&w, 0, sizeof(w));
	w.t = &x->t;
	w.attrs = b->attrs;
	w.chunks = b->cfg.shr_wchunks;
	w.pin = x->pinned ? x->wcpu : -1;
	err = pthread_create(&th, NULL, shr_writer_main, &w);
	if (err) {
		bench_err("translate_shared_rw: pthread_create: %s",
			  strerror(err));
		return -1;
	}
	err = pthread_getcpuclockid(th, &w.cpu);
	if (err) {
		bench_err("translate_shared_rw: pthread_getcpuclockid: %s",
			  strerror(err));
		__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
		pthread_join(th, NULL);
		return -1;
	}
	/* Time nothing before the writer is well under way. */
	while (!__atomic_load_n(&w.started, __ATOMIC_ACQUIRE))
		nanosleep(&ts, NULL);
	ret = shr_time(x, shr_xlate_each, &x->t, &row->ptk_ns, &w,
		       &x->idle_each) ||
	      shr_time(x, shr_xlate_batch, &x->t, &x->batch_writer, &w,
		       &x->idle_batch);
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	return ret || w.err ? -1 : 0;
}

/*
 * Reader and writer on two different CPUs of this process's set, so
 * that the scheduler never puts them on one (the reader never sleeps).
 * Other processes may still take those CPUs; shr_time() checks.
 */
static void shr_pin(struct shr_ctx *x)
{
	cpu_set_t set;
	int i, found = 0;

	x->rcpu = -1;
	x->wcpu = -1;
	if (sched_getaffinity(0, sizeof(x->mask), &x->mask))
		return;
	for (i = 0; i < CPU_SETSIZE && found < 2; i++) {
		if (!CPU_ISSET(i, &x->mask))
			continue;
		if (found++)
			x->wcpu = i;
		else
			x->rcpu = i;
	}
	if (found < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(x->rcpu, &set);
	x->pinned = !sched_setaffinity(0, sizeof(set), &set);
}

/* The writer's pace alone, in this thread: best of a few rounds. */
static int shr_writer_pace(struct bench *b, struct shr_ctx *x)
{
	struct shr_writer w;
	double best = DBL_MAX;
	unsigned int r, k;
	uint64_t t0;

	memset(&w, 0, sizeof(w));
	w.t = &x->t;
	w.attrs = b->attrs;
	for (r = 0; r < 4; r++) {
		t0 = now_ns();
		for (k = 0; k < b->cfg.shr_wchunks; k++)
			if (shr_writer_step(&w, k))
				return -1;
		keep_min(&best, now_ns() - t0, 4 * b->cfg.shr_wchunks);
	}
	x->wrate = 1 / best;
	return 0;
}

static int row_translate_shared(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t len = 64ull << 20;
	struct ptk_ebr_stats st;
	struct bench_row *row;
	struct shr_ctx *x;
	unsigned int r, side;
	size_t i;
	int err, ret = -1;

	row = row_add(b, "translate_shared_rw", "translate", TARGET_RANGE,
		      c->shr_reps, c->shr_lookups);
	snprintf(row->desc, sizeof(row->desc),
		 "%u random translates over %" PRIu64 " MiB of 4K pages, "
		 "PTK_TABLE_SHARED (heap in struct ptk_ebr), a read section "
		 "per translate; with 1 writer thread (%u x 2 MiB elsewhere: "
		 "protect R, RW, unmap, map) / alone; threads pinned to 2 "
		 "CPUs",
		 c->shr_lookups, len >> 20, c->shr_wchunks);
	x = calloc(1, sizeof(*x));
	if (!x) {
		bench_err("out of memory");
		return -1;
	}
	x->batch_alone = DBL_MAX;
	x->batch_writer = DBL_MAX;
	x->nosec = DBL_MAX;
	x->plain = DBL_MAX;
	x->idle_each = DBL_MAX;
	x->idle_batch = DBL_MAX;
	x->n = c->shr_lookups;
	ptk_mem_heap_init(&x->heap);
	ptk_mem_heap_init(&x->twin_heap);
	x->ebr = aligned_alloc(64, sizeof(*x->ebr));
	x->va = malloc(x->n * sizeof(*x->va));
	if (!x->ebr || !x->va) {
		bench_err("out of memory");
		goto out;
	}
	err = ptk_ebr_init(x->ebr, &x->heap.mem);
	if (!err) {
		err = ptk_table_create(&x->t, &ptk_fmt_x86_64, &x->ebr->mem,
				       PTK_TABLE_SHARED);
		x->t_ok = !err;
	}
	if (!err) {
		err = ptk_table_create(&x->twin, &ptk_fmt_x86_64,
				       &x->twin_heap.mem, 0);
		x->twin_ok = !err;
	}
	if (!err)
		err = ptk_map(&x->t, SHR_VA, len, DENSE_OA, &b->attrs,
			      PTK_MAP_MAX_PAGE(12), NULL);
	if (!err)
		err = ptk_map(&x->twin, SHR_VA, len, DENSE_OA, &b->attrs,
			      PTK_MAP_MAX_PAGE(12), NULL);
	if (!err)
		err = ptk_map(&x->t, SHR_WVA, c->shr_wchunks * SZ_2M, DENSE_OA,
			      &b->attrs, PTK_MAP_MAX_PAGE(12), NULL);
	if (err) {
		bench_err("translate_shared_rw: setup: %s", ptk_strerror(err));
		goto out;
	}
	for (i = 0; i < x->n; i++) {
		uint64_t off = rnd(b) & (len - 1);

		x->va[i] = SHR_VA + off;
		x->want += DENSE_OA + off;
	}

	shr_pin(x);
	if (shr_writer_pace(b, x))
		goto out;
	for (r = 0; r < c->shr_reps; r++) {
		/* Odd repetitions run the writer's side first. */
		for (side = 0; side < 2; side++) {
			if ((side ^ r) & 1) {
				if (shr_with_writer(b, x, row))
					goto out;
			} else if (shr_alone(x, row)) {
				goto out;
			}
		}
	}
	ptk_ebr_stats(x->ebr, &st);
	if (!st.retired) {
		bench_err("translate_shared_rw: the writer retired no table");
		goto out;
	}
	/* The writer never got a CPU beside the reader (a loaded machine):
	 * say so rather than fail. */
	if (row->ptk_ns == DBL_MAX)
		row->ptk_ns = x->idle_each;
	if (x->batch_writer == DBL_MAX)
		x->batch_writer = x->idle_batch;
	snprintf(row->detail, sizeof(row->detail),
		 "alone %.1f, with writer %.1f ns; sections of 64 "
		 "translates: alone %.2f, with writer %.2f; no section %.2f, "
		 "non-shared table %.2f; passes with both threads on a CPU "
		 "(%s): %u kept, %u given up; writer %.0f k calls/s (%.0f k "
		 "alone), %" PRIu64 " tables retired, %" PRIu64 " waits for "
		 "readers",
		 row->base_ns, row->ptk_ns, x->batch_alone, x->batch_writer,
		 x->nosec, x->plain, x->pinned ? "pinned to two" : "not pinned",
		 x->kept, x->idle,
		 x->wns ? 1e6 * (double)x->wcalls / (double)x->wns : 0,
		 1e6 * x->wrate, st.retired, st.waits);
	snprintf(row->json, sizeof(row->json),
		 ",\"section\":\"per translate\",\"batch64_alone_ns\":%.3f,"
		 "\"batch64_writer_ns\":%.3f,\"batch64_ratio\":%.4f,"
		 "\"no_section_ns\":%.3f,\"plain_ns\":%.3f,\"pinned\":%s,"
		 "\"passes_kept\":%u,\"passes_given_up\":%u,"
		 "\"writer_calls_per_s\":%.0f,"
		 "\"writer_calls_per_s_alone\":%.0f,"
		 "\"retired\":%" PRIu64 ",\"ebr_waits\":%" PRIu64,
		 x->batch_alone, x->batch_writer,
		 x->batch_writer / x->batch_alone, x->nosec, x->plain,
		 x->pinned ? "true" : "false", x->kept, x->idle,
		 x->wns ? 1e9 * (double)x->wcalls / (double)x->wns : 0,
		 1e9 * x->wrate, st.retired, st.waits);
	ret = 0;
out:
	if (x->pinned)
		sched_setaffinity(0, sizeof(x->mask), &x->mask);
	if (x->t_ok)
		ptk_table_destroy(&x->t);
	if (x->twin_ok)
		ptk_table_destroy(&x->twin);
	if (x->ebr)
		ptk_ebr_fini(x->ebr);
	free(x->ebr);
	free(x->va);
	ptk_mem_heap_fini(&x->twin_heap);
	ptk_mem_heap_fini(&x->heap);
	free(x);
	return ret;
}

/* ---- against the Linux kernel ---- */

struct kern_ctx {
	struct kb_region kr;
	bool kr_ok; /* kb_region usable: populated at kr.cur */
	const char *why; /* why not */
	int why_errno;
	struct pair p; /* ptkit's side; its tailored table stays empty */
	uint64_t npages;
	double fork_base_ns; /* fork without the region, minimum */
};

static struct bench_row *kern_row(struct bench *b, struct kern_ctx *k,
				  const char *name, const char *note)
{
	struct bench_row *row = row_add(b, name, "page", TARGET_KERNEL,
					b->cfg.kern_reps, k->npages);

	row->kernel = true;
	row->note = note;
	if (!k->kr_ok) {
		row->skipped = true;
		snprintf(row->why, sizeof(row->why), "%s: %s", k->why,
			 strerror(k->why_errno));
	}
	return row;
}

/* A kernel call failed: skip the row (and the later ones if need be). */
static void kern_fail(struct kern_ctx *k, struct bench_row *row,
		      const char *what, bool region_lost)
{
	int e = errno;

	row->skipped = true;
	snprintf(row->why, sizeof(row->why), "%s: %s", what, strerror(e));
	if (region_lost) {
		k->kr_ok = false;
		k->why = what;
		k->why_errno = e;
	}
}

static int kern_protect(struct bench *b, struct kern_ctx *k)
{
	uint64_t len = k->npages * SZ_4K, ns, t0;
	struct bench_row *row;
	unsigned int r, side;

	row = kern_row(b, k, "kernel_mprotect",
		       "kernel: mprotect(PROT_READ) of the populated region; "
		       "includes VMA work and the TLB flush");
	snprintf(row->desc, sizeof(row->desc),
		 "mprotect RW -> R of %" PRIu64 " MiB populated vs "
		 "ptk_protect of the same (gather + flush)",
		 len >> 20);
	for (r = 0; r < row->reps && !row->skipped; r++) {
		for (side = 0; side < 2; side++) {
			if ((side ^ r) & 1) {
				if (kb_mprotect(&k->kr, &ns)) {
					kern_fail(k, row, "mprotect", true);
					break;
				}
				keep_min(&row->base_ns, ns, k->npages);
				continue;
			}
			t0 = now_ns();
			if (ptk_protect_flush(&k->p.t, KERN_VA, len,
					      PTK_PROT_READ))
				return -1;
			keep_min(&row->ptk_ns, now_ns() - t0, k->npages);
			if (ptk_protect_flush(&k->p.t, KERN_VA, len,
					      PTK_PROT_RW))
				return -1;
		}
	}
	return 0;
}

static int kern_fork(struct bench *b, struct kern_ctx *k)
{
	uint64_t len = k->npages * SZ_4K, ns, t0, q_live;
	double raw = DBL_MAX;
	struct bench_row *row;
	unsigned int r, side;
	struct pair q;
	int ret = -1;

	row = kern_row(b, k, "kernel_fork",
		       "kernel: fork() until it returns in the parent (child "
		       "created, _exits at once), minus a fork without the "
		       "region; includes VMA copy, per-page refcount/rmap, "
		       "COW write-protect and the TLB flush");
	snprintf(row->desc, sizeof(row->desc),
		 "fork of a process holding %" PRIu64 " MiB written vs "
		 "ptk_copy PTK_COPY_COW into an empty table",
		 len >> 20);
	if (pair_init(&q))
		goto out;
	q_live = q.heap.stats.live;
	for (r = 0; r < row->reps && !row->skipped; r++) {
		for (side = 0; side < 2; side++) {
			if ((side ^ r) & 1) {
				if (kb_fork(&k->kr, &ns)) {
					kern_fail(k, row, "fork", false);
					break;
				}
				if ((double)ns < raw)
					raw = (double)ns;
				continue;
			}
			t0 = now_ns();
			if (ptk_copy_flush(&q.t, &k->p.t, KERN_VA, len))
				goto out;
			keep_min(&row->ptk_ns, now_ns() - t0, k->npages);
			if (ptk_unmap_flush(&q.t, KERN_VA, len) ||
			    pair_check_empty(&q, row->name, q_live) ||
			    ptk_protect_flush(&k->p.t, KERN_VA, len,
					      PTK_PROT_RW))
				goto out;
		}
	}
	if (!row->skipped) {
		row->raw_ns = raw / (double)k->npages;
		row->base_ns = (raw - k->fork_base_ns) / (double)k->npages;
		snprintf(row->desc + strlen(row->desc),
			 sizeof(row->desc) - strlen(row->desc),
			 "; fork without it %.0f us", k->fork_base_ns / 1000);
	}
	ret = 0;
out:
	pair_fini(&q);
	return ret;
}

static int kern_move(struct bench *b, struct kern_ctx *k, bool aligned)
{
	uint64_t len = k->npages * SZ_4K, ns, t0;
	uint64_t delta = 2 * len + (aligned ? 0 : SZ_4K);
	uint64_t cur = KERN_VA, to;
	struct bench_row *row;
	unsigned int r, side;

	if (aligned)
		row = kern_row(b, k, "kernel_mremap_aligned",
			       "kernel: mremap(MREMAP_MAYMOVE|MREMAP_FIXED) "
			       "by a multiple of the region (moves whole "
			       "page tables: PUD or PMD entries); includes "
			       "VMA work, unmapping the destination's "
			       "placeholder and the TLB flush");
	else
		row = kern_row(b, k, "kernel_mremap_unaligned",
			       "kernel: mremap(MREMAP_MAYMOVE|MREMAP_FIXED) "
			       "by 2x the region + 4K (every PTE moved); "
			       "includes VMA work, unmapping the "
			       "destination's placeholder and the TLB flush");
	snprintf(row->desc, sizeof(row->desc),
		 "mremap of %" PRIu64 " MiB populated by %" PRIu64 " MiB%s vs "
		 "ptk_move "
		 "(OAs "
		 "scattered)",
		 len >> 20, delta >> 20, aligned ? "" : " + 4K");
	for (r = 0; r < row->reps && !row->skipped; r++) {
		to = cur == KERN_VA ? KERN_VA + delta : KERN_VA;
		for (side = 0; side < 2; side++) {
			if ((side ^ r) & 1) {
				if (kb_mremap(&k->kr, to - KERN_VA, &ns)) {
					kern_fail(k, row, "mremap", true);
					break;
				}
				keep_min(&row->base_ns, ns, k->npages);
				continue;
			}
			t0 = now_ns();
			if (ptk_move_flush(&k->p.t, cur, to, len))
				return -1;
			keep_min(&row->ptk_ns, now_ns() - t0, k->npages);
		}
		cur = to;
	}
	/* Back home on both sides, untimed. */
	if (cur != KERN_VA) {
		if (ptk_move_flush(&k->p.t, cur, KERN_VA, len))
			return -1;
		if (k->kr_ok && kb_mremap(&k->kr, 0, &ns))
			kern_fail(k, row, "mremap", true);
	}
	return 0;
}

static int kern_unmap(struct bench *b, struct kern_ctx *k)
{
	uint64_t len = k->npages * SZ_4K, ns, t0;
	struct bench_row *row;
	unsigned int r, side;

	row = kern_row(b, k, "kernel_munmap",
		       "kernel: munmap of the populated region; includes VMA "
		       "work, the TLB flush and freeing every data page "
		       "(ptkit frees only its tables)");
	snprintf(row->desc, sizeof(row->desc),
		 "munmap of %" PRIu64 " MiB populated vs ptk_unmap of the "
		 "same (gather + flush)",
		 len >> 20);
	for (r = 0; r < row->reps && !row->skipped; r++) {
		for (side = 0; side < 2; side++) {
			if ((side ^ r) & 1) {
				if (kb_munmap(&k->kr, &ns)) {
					kern_fail(k, row, "munmap", true);
					break;
				}
				keep_min(&row->base_ns, ns, k->npages);
				continue;
			}
			t0 = now_ns();
			if (ptk_unmap_flush(&k->p.t, KERN_VA, len))
				return -1;
			keep_min(&row->ptk_ns, now_ns() - t0, k->npages);
			if (ptk_map_region(b, &k->p, KERN_VA, k->npages, true))
				return -1;
		}
	}
	return 0;
}

static int rows_kernel(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	struct kern_ctx *k;
	unsigned int r;
	uint64_t ns;
	int ret = -1;

	k = calloc(1, sizeof(*k));
	if (!k) {
		bench_err("out of memory");
		return -1;
	}
	k->npages = c->kern_len / SZ_4K;
	k->fork_base_ns = DBL_MAX;
	/* ptkit's side: the same number of 4K pages at unrelated OAs. */
	if (pair_init(&k->p) ||
	    ptk_map_region(b, &k->p, KERN_VA, k->npages, true))
		goto out;
	for (r = 0; r < c->kern_reps; r++) {
		if (kb_fork(NULL, &ns)) {
			bench_err("fork: %s", strerror(errno));
			goto out;
		}
		if ((double)ns < k->fork_base_ns)
			k->fork_base_ns = (double)ns;
	}
	k->kr_ok = !kb_open(&k->kr, c->kern_len, &k->why);
	if (!k->kr_ok)
		k->why_errno = errno;
	b->kern_huge_kib = kb_huge_kib();
	if (kern_protect(b, k) || kern_fork(b, k) || kern_move(b, k, true) ||
	    kern_move(b, k, false) || kern_unmap(b, k))
		goto out;
	ret = 0;
out:
	kb_close(&k->kr);
	pair_fini(&k->p);
	free(k);
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

/* The 1-, 5- and 15-minute load averages, or "unknown". */
static void load_avg(char *buf, size_t size)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l1, l5, l15;

	if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		snprintf(buf, size, "%.2f %.2f %.2f", l1, l5, l15);
	else
		snprintf(buf, size, "unknown");
	if (f)
		fclose(f);
}

/* Enough digits for sub-nanosecond figures (relinking moves). */
static const char *ns_fmt(double v)
{
	return v < 0.1 ? "%12.4g" : "%12.3f";
}

static void print_json_row(const struct bench *b, const struct bench_row *r)
{
	double ratio = r->ptk_ns / r->base_ns;
	char load[64];

	load_avg(load, sizeof(load));
	printf("{\"name\":");
	json_str(r->name);
	printf(",\"baseline\":\"%s\"", r->absolute ? "none"
				       : r->kernel ? "kernel"
						   : "tailored");
	if (r->skipped) {
		printf(",\"skipped\":true,\"why\":");
		json_str(r->why);
		printf(",\"note\":");
		json_str(r->note);
		printf(",\"load\":\"%s\"}\n", load);
		return;
	}
	if (r->absolute) {
		bool met = r->higher_better ? r->ptk_ns >= r->target
					    : r->ptk_ns <= r->target;

		printf(",\"unit\":");
		json_str(r->unit);
		printf(",\"value\":%.6g,\"ptkit_ns\":%.6g,\"baseline_ns\":null,"
		       "\"ratio\":null,\"target\":%.6g,\"higher_better\":%s,"
		       "\"met\":%s",
		       r->ptk_ns, r->ptk_ns, r->target,
		       r->higher_better ? "true" : "false",
		       met ? "true" : "false");
		fputs(r->json, stdout);
		printf(",\"reps\":%u,\"quick\":%s,\"ptk_debug\":%d,"
		       "\"desc\":",
		       r->reps, b->cfg.quick ? "true" : "false", PTK_DEBUG);
		json_str(r->desc);
		printf(",\"load\":\"%s\"}\n", load);
		return;
	}
	printf(",\"unit\":");
	json_str(r->unit);
	printf(",\"ptkit_ns\":%.6g,\"baseline_ns\":%.6g,\"ratio\":%.4f",
	       r->ptk_ns, r->base_ns, ratio);
	if (r->kernel) {
		printf(",\"pages\":%" PRIu64 ",\"note\":", r->ops);
		json_str(r->note);
		if (r->raw_ns > 0)
			printf(",\"kernel_raw_ns\":%.5f", r->raw_ns);
	}
	if (r->us)
		printf(",\"ptkit_us\":%.3f,\"baseline_us\":%.3f",
		       r->ptk_ns / 1000, r->base_ns / 1000);
	fputs(r->json, stdout);
	printf(",\"target\":%.2f,\"met\":%s,\"stat\":\"min\",\"reps\":%u,"
	       "\"ops_per_sample\":%" PRIu64 ",\"quick\":%s,\"ptk_debug\":%d,"
	       "\"desc\":",
	       r->target,
	       (r->kernel ? ratio < r->target : ratio <= r->target) ? "true"
								    : "false",
	       r->reps, r->ops, b->cfg.quick ? "true" : "false", PTK_DEBUG);
	json_str(r->desc);
	printf(",\"load\":\"%s\"}\n", load);
}

static void print_header(const struct bench *b)
{
	char model[160], load[64];

	cpu_model(model, sizeof(model));
	load_avg(load, sizeof(load));
	printf("ptkit bench %s%s: ptkit (x86_64, heap provider) vs "
	       "tailored x86-64 baseline\n",
	       PTK_VERSION_STRING, b->cfg.quick ? " (--quick)" : "");
	printf("machine:   %s, %ld CPUs online\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("load:      %s (1, 5, 15 min) at the start\n", load);
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
	       "range operations <= %.2f (a row's own in its target column)\n\n",
	       TARGET_TRANSLATE, TARGET_RANGE);
	printf("%-24s %-9s %12s %12s %7s %8s %4s\n", "row", "op", "ptkit ns",
	       "baseline ns", "ratio", "target", "reps");
	fflush(stdout);
}

static void print_kernel_header(struct bench *b)
{
	char thp[128], load[64];
	struct utsname u;

	kb_thp_mode(thp, sizeof(thp));
	load_avg(load, sizeof(load));
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("\nvs the Linux kernel %s on this machine, %" PRIu64
	       " MiB of 4K pages, ns per page (baseline = kernel):\n",
	       u.release, b->cfg.kern_len >> 20);
	printf("THP:       %s; the region is MADV_NOHUGEPAGE before it is "
	       "populated (AnonHugePages %ld kB)\n",
	       thp, b->kern_huge_kib);
	printf("load:      %s\n", load);
	printf("NOTE:      the kernel's figures include its VMA and TLB work "
	       "(and the per-page\n"
	       "           struct page work its tables imply); ptkit's only "
	       "the page tables\n\n");
	printf("%-24s %-9s %12s %12s %7s %8s %4s\n", "row", "op", "ptkit ns",
	       "kernel ns", "ratio", "target", "reps");
	b->kern_header = true;
}

static void print_row(struct bench *b, const struct bench_row *r)
{
	double ratio = r->ptk_ns / r->base_ns;

	if (r->kernel && !b->kern_header)
		print_kernel_header(b);
	if (r->skipped) {
		printf("%-24s skipped: %s\n", r->name, r->why);
		fflush(stdout);
		return;
	}
	if (r->absolute) {
		bool met = r->higher_better ? r->ptk_ns >= r->target
					    : r->ptk_ns <= r->target;

		printf("%-24s %-9s %12.6g %12s %7s %s%-6.6g %4u  %s\n", r->name,
		       r->unit, r->ptk_ns, "-", "-",
		       r->higher_better ? ">= " : "<= ", r->target, r->reps,
		       met ? "ok" : "MISSED");
		if (r->detail[0])
			printf("%24s   (%s)\n", "", r->detail);
		fflush(stdout);
		return;
	}
	printf("%-24s %-9s ", r->name, r->unit);
	printf(ns_fmt(r->ptk_ns), r->ptk_ns);
	putchar(' ');
	printf(ns_fmt(r->base_ns), r->base_ns);
	printf(ratio < 0.01 ? " %7.5f" : " %7.3f", ratio);
	printf(" %5s%.2f %4u  %s\n", r->kernel ? "< " : "<= ", r->target,
	       r->reps,
	       (r->kernel ? ratio < r->target : ratio <= r->target) ? "ok"
								    : "OVER");
	if (r->kernel)
		printf("%24s   (%s)\n", "", r->note);
	if (r->detail[0])
		printf("%24s   (%s)\n", "", r->detail);
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

		if (r->us)
			printf("  %-24s ptkit %.1f us, baseline %.1f us per "
			       "%s\n",
			       r->name, r->ptk_ns / 1000, r->base_ns / 1000,
			       r->unit);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit bench [--quick] [--json] [--only "
		"WORD[,WORD...]]\n"
		"                   [--image FILE --format NAME --root "
		"VALUE]\n"
		"\n"
		"Measure ptkit (x86_64 format, heap provider) against a "
		"hand-written\n"
		"x86-64 page table in bench/, in one run: translate (hot, "
		"cold, and on\n"
		"a shared table beside a writer thread), map and unmap of "
		"1 GiB of 4K\n"
		"pages, dense and sparse walks, the cursor iterator (dense, "
		"against the\n"
		"machine's measured read bandwidth, and sparse), protect, "
		"one-page\n"
		"protect, unmap and map, copy-on-write copy, aligned and "
		"unaligned\n"
		"move, dirty harvest; then against the Linux kernel's mprotect, "
		"fork,\n"
		"mremap and munmap of a populated region (1 GiB; 64 MiB "
		"with --quick).\n"
		"Prints ns/op for both and the ratio ptkit/baseline (minimum of "
		"several\n"
		"repetitions). The hash_* rows measure the hashed table "
		"(ptkit/hash.h)\n"
		"with the radix engine as their baseline: translate, range "
		"operations,\n"
		"memory and cache lines per page (these under valgrind's "
		"lackey, when\n"
		"installed); see "
		"docs/RADIX_OR_HASH.md.\n"
		"\n"
		"  --quick   small sizes and few repetitions (a few "
		"seconds)\n"
		"  --json    one JSON object per row: name, ptkit_ns, "
		"baseline_ns, ratio, ...\n"
		"  --only WORD[,WORD...]\n"
		"            run only the row groups that make a row whose "
		"name\n"
		"            contains one of the words (e.g. --only "
		"protect,iter)\n"
		"  --image FILE --format NAME --root VALUE\n"
		"            also measure a real page table in a memory "
		"image: leaf\n"
		"            enumeration (leaves/s), translate (ns) and "
		"`ptkit dump`\n"
		"            (ms, qemu-tlb style where the format has it); "
		"VALUE is the\n"
		"            root register, as dump's --root takes it; the "
		"dump row\n"
		"            runs $PTKIT_BENCH_DUMP (another ptkit) when "
		"set; "
		"a dump\n"
		"            that fails fails the bench (status 2); e.g. "
		"the "
		"bundled\n"
		"            fixture after\n"
		"            gunzip -c tests/fixtures/x86_64/tables.elf.gz "
		"> t.elf,\n"
		"            with --format x86_64 --root 0x29bc000\n"
		"  --help    this text\n");
}

/*
 * Every row group, in the order they run, with the rows each makes
 * (space-separated; `--only` picks groups by a substring of these).
 */
static const struct bench_group {
	const char *rows;
	int (*fn)(struct bench *b);
} groups[] = {
	{ "translate_hot translate_hot_plain", row_translate_hot },
	{ "translate_cold translate_cold_chain translate_cold_plain "
	  "translate_cold_chain_plain",
	  row_translate_cold },
	{ "translate_shared_rw", row_translate_shared },
	{ "map_1g_4k unmap_1g_4k walk_dense_1g walk_dense_1g_scattered "
	  "iter_dense_1g iter_dense_1g_pte iter_dense_1g_leaf "
	  "iter_dense_1g_leaf_next",
	  rows_dense },
	{ "walk_sparse iter_sparse", row_walk_sparse },
	{ "iter_dram_64g iter_dram_64g_bandwidth", row_dram },
	{ "protect_1g_4k", row_protect },
	{ "small_ops_4k", row_small },
	{ "copy_cow_1g_4k", row_copy },
	{ "move_aligned_1g", row_move_aligned },
	{ "move_unaligned_1g", row_move_unaligned },
	{ "move_unaligned_1g_scattered", row_move_unaligned_scat },
	{ "harvest_1g_4k", row_harvest },
	{ "build_1g_4k build_1g_4k_set", rows_build },
	{ "kernel_mprotect kernel_fork kernel_mremap_aligned "
	  "kernel_mremap_unaligned kernel_munmap",
	  rows_kernel },
	{ PTK_BENCH_HASH_ROWS, rows_hash },
	{ PTK_BENCH_MIRROR_ROWS, rows_mirror },
};

/* Whether a group makes a row whose name contains one of @only's
 * comma-separated words (NULL: every group). */
static bool group_wanted(const struct bench_group *g, const char *only)
{
	char word[64];
	const char *p = only;

	if (!only)
		return true;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (strstr(g->rows, word))
				return true;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* The rows measured on a memory image (no baseline: peers' targets). */
static int rows_image(const struct bench *b, const char *path,
		      const char *format, uint64_t root)
{
	struct ptk_bench_image_row r[PTK_BENCH_IMAGE_ROWS];
	const char *dump = getenv("PTKIT_BENCH_DUMP");
	unsigned int i;

	if (ptk_bench_image(r, path, format, root,
			    dump && *dump ? dump : "/proc/self/exe",
			    b->cfg.quick))
		return 2;
	if (!b->cfg.json)
		printf("\nreal page table from %s (%s, root 0x%" PRIx64
		       "); targets from peers on such images:\n\n"
		       "row                      value          unit        "
		       "target\n",
		       path, format, root);
	for (i = 0; i < PTK_BENCH_IMAGE_ROWS; i++) {
		bool met = r[i].higher_better ? r[i].value >= r[i].target
					      : r[i].value <= r[i].target;
		double ns = !strcmp(r[i].unit, "leaves/s") ? 1e9 / r[i].value
			    : !strcmp(r[i].unit, "ms")	   ? r[i].value * 1e6
							   : r[i].value;

		if (b->cfg.json)
			printf("{\"name\":\"%s\",\"unit\":\"%s\","
			       "\"value\":%.6g,\"target\":%.6g,\"met\":%s,"
			       "\"ptkit_ns\":%.6g,\"baseline_ns\":null,"
			       "\"ratio\":null,\"baseline\":\"none\","
			       "\"desc\":\"%s\"}\n",
			       r[i].name, r[i].unit, r[i].value, r[i].target,
			       met ? "true" : "false", ns, r[i].desc);
		else
			printf("%-24s %-14.6g %-11s %s %-10.6g %s\n  %s\n",
			       r[i].name, r[i].value, r[i].unit,
			       r[i].higher_better ? ">=" : "<=", r[i].target,
			       met ? "ok" : "MISSED", r[i].desc);
	}
	return 0;
}

int ptk_bench_main(int argc, char **argv)
{
	struct bench *b;
	unsigned int i, printed = 0;
	const char *image = NULL, *format = "x86_64", *only = NULL;
	uint64_t root = 0;
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
		} else if (!strcmp(argv[i], "--only") &&
			   i + 1 < (unsigned int)argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--image") &&
			   i + 1 < (unsigned int)argc) {
			image = argv[++i];
		} else if (!strcmp(argv[i], "--format") &&
			   i + 1 < (unsigned int)argc) {
			format = argv[++i];
		} else if (!strcmp(argv[i], "--root") &&
			   i + 1 < (unsigned int)argc) {
			char *end;

			root = strtoull(argv[++i], &end, 0);
			if (*end) {
				bench_err("bad --root '%s'", argv[i]);
				free(b);
				return 1;
			}
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
		b->cfg.range_reps = 4;
		b->cfg.kern_len = 64ull << 20;
		b->cfg.kern_reps = 4;
		b->cfg.bw_bytes = 256ull << 20;
		b->cfg.bw_passes = 3;
		b->cfg.shr_reps = 4;
		b->cfg.shr_lookups = 1u << 13;
		b->cfg.shr_wchunks = 8;
		b->cfg.dram_reps = 3;
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
		b->cfg.range_reps = 16;
		b->cfg.kern_len = SZ_1G;
		b->cfg.kern_reps = 8;
		b->cfg.bw_bytes = 256ull << 20;
		b->cfg.bw_passes = 8;
		b->cfg.shr_reps = 64;
		b->cfg.shr_lookups = 1u << 14;
		b->cfg.shr_wchunks = 8;
		b->cfg.dram_reps = 8;
	}
	b->attrs.prot = PTK_PROT_RW;
	b->rng = 0x5eed0f9761c0ffeeull;

	if (!b->cfg.json)
		print_header(b);
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (!group_wanted(&groups[i], only))
			continue;
		if (groups[i].fn(b)) {
			ret = 2;
			break;
		}
		for (; printed < b->nrows; printed++) {
			if (b->cfg.json)
				print_json_row(b, &b->rows[printed]);
			else
				print_row(b, &b->rows[printed]);
		}
	}
	if (!ret && !b->cfg.json)
		print_legend(b);
	if (!ret && image)
		ret = rows_image(b, image, format, root);
	free(b);
	return ret;
}
