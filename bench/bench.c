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
 * The last rows measure the Linux kernel instead (bench/bench_kernel.c):
 * mprotect, fork, mremap and munmap of a populated region, each
 * alternating with ptkit doing the same to a table of as many 4K pages
 * (at unrelated OAs, as anonymous memory has). Those figures include the
 * kernel's VMA, TLB and struct page work, and say so.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <float.h>
#include <inttypes.h>
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
#define DENSE_OA 0x0000000100000000ull

/* What both sides map: read/write, not executable, supervisor. */
#define TPT_LEAF_BITS (TPT_P | TPT_RW | TPT_NX)
#define TARGET_TRANSLATE 1.10
#define TARGET_RANGE 1.25
#define TARGET_KERNEL 1.00 /* faster per page than the kernel */

/* Deltas of the 1 GiB moves: a multiple of 1 GiB, and 4K past one. */
#define MOVE_ALIGNED (4 * SZ_1G)
#define MOVE_UNALIGNED (2 * SZ_1G + SZ_4K)

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
	unsigned int range_reps; /* samples of each range-operation row */
	uint64_t kern_len; /* bytes of the kernel rows' region */
	unsigned int kern_reps; /* samples of each kernel row */
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
	/* rows against the kernel (baseline "kernel") */
	bool kernel;
	bool skipped; /* then @why says why */
	const char *note;
	double raw_ns; /* fork: before subtracting a fork without the region */
	char why[160];
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
	struct bench_row rows[40];
	long kern_huge_kib; /* AnonHugePages with the kernel rows' region */
	bool kern_header; /* printed */
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

/* 1 GiB moved by @delta and back, each move a sample. */
static int row_move(struct bench *b, const char *name, uint64_t delta,
		    bool scattered)
{
	const struct bench_cfg *c = &b->cfg;
	const uint64_t npages = SZ_1G / SZ_4K;
	uint64_t cur = DENSE_VA, to, t0;
	struct bench_row *row;
	struct pair p;
	unsigned int r, side;
	int ret = -1;

	row = row_add(b, name, "page", TARGET_RANGE, c->range_reps, npages);
	if (!(delta & (SZ_1G - 1)))
		snprintf(row->desc, sizeof(row->desc),
			 "mremap: move 1 GiB of 4K pages by a 1 GiB multiple "
			 "(the PMD table is relinked)");
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
				if (tpt_move(&p.tp, cur, to, SZ_1G)) {
					bench_err("tailored move failed");
					goto out;
				}
				keep_min(&row->base_ns, now_ns() - t0, npages);
				continue;
			}
			if (ptk_move_flush(&p.t, cur, to, SZ_1G))
				goto out;
			keep_min(&row->ptk_ns, now_ns() - t0, npages);
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
	return v < 0.1 ? "%12.5f" : "%12.3f";
}

static void print_json_row(const struct bench *b, const struct bench_row *r)
{
	double ratio = r->ptk_ns / r->base_ns;
	char load[64];

	load_avg(load, sizeof(load));
	printf("{\"name\":");
	json_str(r->name);
	printf(",\"baseline\":\"%s\"", r->kernel ? "kernel" : "tailored");
	if (r->skipped) {
		printf(",\"skipped\":true,\"why\":");
		json_str(r->why);
		printf(",\"note\":");
		json_str(r->note);
		printf(",\"load\":\"%s\"}\n", load);
		return;
	}
	printf(",\"unit\":");
	json_str(r->unit);
	printf(",\"ptkit_ns\":%.5f,\"baseline_ns\":%.5f,\"ratio\":%.4f",
	       r->ptk_ns, r->base_ns, ratio);
	if (r->kernel) {
		printf(",\"pages\":%" PRIu64 ",\"note\":", r->ops);
		json_str(r->note);
		if (r->raw_ns > 0)
			printf(",\"kernel_raw_ns\":%.5f", r->raw_ns);
	}
	if (!strcmp(r->unit, "walk"))
		printf(",\"ptkit_us\":%.3f,\"baseline_us\":%.3f",
		       r->ptk_ns / 1000, r->base_ns / 1000);
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
	       "range operations <= %.2f\n\n",
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
		   "and unmap of 1 GiB of 4K pages, dense and sparse walks, "
		   "protect,\n"
		   "copy-on-write copy, aligned and unaligned move, dirty "
		   "harvest; then\n"
		   "against the Linux kernel's mprotect, fork, mremap and "
		   "munmap of a\n"
		   "populated region (1 GiB; 64 MiB with --quick). Prints "
		   "ns/op for both\n"
		   "and the ratio ptkit/baseline (minimum of several "
		   "repetitions).\n"
		   "\n"
		   "  --quick   small sizes and few repetitions (a few "
		   "seconds)\n"
		   "  --json    one JSON object per row: name, ptkit_ns, "
		   "baseline_ns, ratio, ...\n"
		   "  --image FILE --format NAME --root VALUE\n"
		   "            also measure a real page table in a memory "
		   "image: leaf\n"
		   "            enumeration (leaves/s), translate (ns) and "
		   "`ptkit dump\n"
		   "            --style qemu-tlb` (ms); e.g. the bundled "
		   "fixture after\n"
		   "            gunzip -c tests/fixtures/x86_64/tables.elf.gz "
		   "> t.elf,\n"
		   "            with --format x86_64 --root 0x29bc000\n"
		   "  --help    this text\n");
}

/* The rows measured on a memory image (no baseline: peers' targets). */
static int rows_image(const struct bench *b, const char *path,
		      const char *format, uint64_t root)
{
	struct ptk_bench_image_row r[PTK_BENCH_IMAGE_ROWS];
	unsigned int i;

	if (ptk_bench_image(r, path, format, root, "/proc/self/exe",
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
	int (*const rows[])(struct bench *) = {
		row_translate_hot, row_translate_cold, rows_dense,
		row_walk_sparse,   row_protect,	       row_copy,
		row_move_aligned,  row_move_unaligned, row_move_unaligned_scat,
		row_harvest,	   rows_kernel,
	};
	struct bench *b;
	unsigned int i, printed = 0;
	const char *image = NULL, *format = "x86_64";
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
