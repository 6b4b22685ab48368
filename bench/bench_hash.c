// SPDX-License-Identifier: MIT
/*
 * Radix or hash: the hashed table (ptkit/hash.h) against the radix engine,
 * on the same x86-64 workloads, in one run. In these rows "ptkit" is the
 * hashed table and "baseline" its radix counterpart (the specialised
 * x86_64 instance); ratio = hash / radix. Each side has its own heap
 * provider, so memory is what each provider holds for its table.
 *
 *  hash_translate_hot     64 pages in one 2 MiB region, random addresses
 *  hash_translate_cold    pages spread over 64 GiB, random addresses
 *  hash_{map,protect,unmap}_dense_1g, hash_{walk,iter}_dense_1g
 *                         1 GiB of 4K pages; ns per page
 *  hash_{map,protect,unmap,walk}_sparse
 *                         100 pages at random in 1 TiB; the range
 *                         operations and the walk cover the whole TiB
 *  hash_mem_{dense_1g,sparse,procmaps}
 *                         bytes held: 1 GiB dense, the 100 sparse pages,
 *                         and every range of this process's
 *                         /proc/self/maps mapped with 4K pages
 *  hash_lines_*           distinct cache lines of table memory a range
 *                         operation touches, per page it covers mapped,
 *                         counted by valgrind's lackey from every load
 *                         and store (no hardware counters here)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ptkit.h>

#include "bench_core.h"
#include "bench_hash.h"

#define SZ_4K (1ull << 12)
#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)
#define SZ_1T (1ull << 40)

#define H_HOT_VA 0x00007e0000000000ull
#define H_COLD_VA 0x0000110000000000ull
#define H_DENSE_VA 0x0000210000000000ull
#define H_SPARSE_VA 0x0000310000000000ull
#define H_OA 0x0000000100000000ull
#define H_ODD 0x9e3779b97f4a7c15ull

/* "hash no slower, no larger than radix" */
#define H_TARGET 1.00

/* The two tables of a row, each on its own heap. */
struct hpair {
	struct ptk_mem_heap mr, mh;
	struct ptk_table r, h;
};

static int hpair_init(struct hpair *p, unsigned int cluster_lg2)
{
	struct ptk_hash_opts o = { PTK_HASH_OPTS_VERSION, cluster_lg2 };
	int rc;

	memset(p, 0, sizeof(*p));
	ptk_mem_heap_init(&p->mr);
	ptk_mem_heap_init(&p->mh);
	rc = ptk_table_create(&p->r, &ptk_fmt_x86_64, &p->mr.mem, 0);
	if (!rc)
		rc = ptk_table_create_impl(&p->h, &ptk_fmt_x86_64, &p->mh.mem,
					   &ptk_hash_ops, &o, 0);
	if (rc)
		bench_err("hash: table create: %s", ptk_strerror(rc));
	return rc;
}

static void hpair_fini(struct hpair *p)
{
	ptk_table_destroy(&p->h);
	ptk_table_destroy(&p->r);
	ptk_mem_heap_fini(&p->mh);
	ptk_mem_heap_fini(&p->mr);
}

static struct ptk_table *side_t(struct hpair *p, int hash)
{
	return hash ? &p->h : &p->r;
}

/* Map on both sides, 4K pages only when @small. */
static int hpair_map(struct bench *b, struct hpair *p, uint64_t va,
		     uint64_t len, uint64_t oa, bool small)
{
	unsigned int flags = small ? PTK_MAP_MAX_PAGE(12) : 0;
	int k, rc;

	for (k = 0; k < 2; k++) {
		rc = ptk_map(side_t(p, k), va, len, oa, &b->attrs, flags, NULL);
		if (rc) {
			bench_err("hash: map 0x%" PRIx64 " on %s: %s", va,
				  k ? "hash" : "radix", ptk_strerror(rc));
			return rc;
		}
	}
	return 0;
}

/* --- translate */

static PTK_BENCH_HASH_NOINLINE uint64_t xl_loop(const struct ptk_table *t,
						const uint64_t *va, size_t n,
						uint64_t *miss)
{
	struct ptk_xlate x;
	uint64_t sum = 0, m = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ptk_translate(t, va[i], &x))
			sum += x.oa;
		else
			m++;
	}
	*miss = m;
	return sum;
}

/* Time translations of @va on both sides, minimum per translation. */
static int time_xl(struct hpair *p, const uint64_t *all, size_t total, size_t n,
		   unsigned int passes, unsigned int reps,
		   struct bench_row *row)
{
	unsigned int r, k, side;

	for (r = 0; r < reps; r++) {
		const uint64_t *va = all + (((size_t)r * n) & (total - 1));
		uint64_t sums[2] = { 0, 0 }, miss = 0, m;

		for (side = 0; side < 2; side++) {
			int h = (int)((side ^ r) & 1);
			uint64_t t0 = now_ns();

			for (k = 0; k < passes; k++) {
				sums[h] += xl_loop(side_t(p, h), va, n, &m);
				miss += m;
			}
			keep_min(h ? &row->ptk_ns : &row->base_ns,
				 now_ns() - t0, (uint64_t)n * passes);
		}
		if (sums[0] != sums[1] || miss) {
			bench_err("%s: hash and radix disagree", row->name);
			return -1;
		}
	}
	return 0;
}

static int row_hash_translate_hot(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	struct bench_row *row;
	struct hpair p;
	uint64_t *va = NULL;
	unsigned int i;
	int ret = -1;

	row = row_add(b, "hash_translate_hot", "translate", H_TARGET,
		      c->hot_reps, (uint64_t)c->hot_addrs * c->hot_passes);
	snprintf(row->desc, sizeof(row->desc),
		 "hash vs radix: 64 4K pages in one 2M region, %u random "
		 "addresses, %u passes per sample",
		 c->hot_addrs, c->hot_passes);
	if (hpair_init(&p, PTK_HASH_CLUSTER_DEFAULT))
		return -1;
	for (i = 0; i < 64; i++)
		if (hpair_map(b, &p, H_HOT_VA + i * 8 * SZ_4K, SZ_4K,
			      ((rnd(b) & 0xfffffff) + 1) << 12, true))
			goto out;
	va = malloc(c->hot_addrs * sizeof(*va));
	if (!va)
		goto out;
	for (i = 0; i < c->hot_addrs; i++) {
		uint64_t r = rnd(b);

		va[i] = H_HOT_VA + (r & 63) * 8 * SZ_4K + ((r >> 8) & 4095);
	}
	ret = time_xl(&p, va, c->hot_addrs, c->hot_addrs, c->hot_passes,
		      c->hot_reps, row);
out:
	free(va);
	hpair_fini(&p);
	return ret;
}

/* Pages over 64 GiB: @per of every 2 MiB region, random lookups. */
static int cold_setup(struct bench *b, struct hpair *p, uint64_t regions,
		      unsigned int per, uint64_t **va_out, size_t nlook)
{
	unsigned int stride = 512 / per, j;
	uint64_t k, i;
	uint64_t *va = malloc(nlook * sizeof(*va));

	if (!va)
		return -1;
	for (k = 0; k < regions; k++) {
		uint64_t reg = (k * H_ODD) & (regions - 1);

		for (j = 0; j < per; j++) {
			uint64_t v = H_COLD_VA + reg * SZ_2M +
				     (uint64_t)(j * stride) * SZ_4K;
			uint64_t oa = (((k * per + j) * H_ODD) & 0xfffffff)
				      << 12;

			if (hpair_map(b, p, v, SZ_4K, oa, true)) {
				free(va);
				return -1;
			}
		}
	}
	for (i = 0; i < nlook; i++) {
		uint64_t r = rnd(b);

		va[i] = H_COLD_VA + (r % regions) * SZ_2M +
			(uint64_t)((r >> 32) % per * stride) * SZ_4K +
			((r >> 48) & 4095);
	}
	*va_out = va;
	return 0;
}

static int row_hash_translate_cold(struct bench *b)
{
	const struct bench_cfg *c = &b->cfg;
	uint64_t regions = 64 * SZ_1G / SZ_2M;
	unsigned int per = c->quick ? 2 : 16;
	struct bench_row *row;
	struct hpair p;
	uint64_t *va = NULL;
	double alt[2], mem_h = 0, mem_r = 0, probes = 0;
	unsigned int k, cl[2] = { 0, 4 };
	int ret = -1;

	row = row_add(b, "hash_translate_cold", "translate", H_TARGET,
		      c->cold_reps, c->cold_sample);
	snprintf(row->desc, sizeof(row->desc),
		 "hash vs radix: %" PRIu64 " 4K pages, %u in each 2M region "
		 "of 64 GiB, independent random lookups",
		 regions * per, per);
	if (hpair_init(&p, PTK_HASH_CLUSTER_DEFAULT))
		return -1;
	if (cold_setup(b, &p, regions, per, &va, c->cold_lookups))
		goto out;
	ret = time_xl(&p, va, c->cold_lookups, c->cold_sample, 1, c->cold_reps,
		      row);
	{
		struct ptk_hash_stats hs;

		ptk_hash_stats(&hs, &p.h);
		mem_h = (double)p.mh.stats.live_bytes;
		mem_r = (double)p.mr.stats.live_bytes;
		probes = (double)hs.probe_sum /
			 (double)(hs.records[0] + hs.sum_records);
	}
	/* the cluster size chosen: one entry and sixteen, for comparison */
	for (k = 0; k < 2 && !ret; k++) {
		struct bench_row tmp = *row;

		hpair_fini(&p);
		free(va);
		va = NULL;
		if (hpair_init(&p, cl[k]) ||
		    cold_setup(b, &p, regions, per, &va, c->cold_lookups)) {
			ret = -1;
			break;
		}
		tmp.ptk_ns = tmp.base_ns = DBL_MAX;
		ret = time_xl(&p, va, c->cold_lookups, c->cold_sample, 1,
			      c->cold_reps / 2 + 1, &tmp);
		alt[k] = tmp.ptk_ns / tmp.base_ns;
	}
	if (!ret)
		snprintf(row->detail, sizeof(row->detail),
			 "%.1f probes per lookup; %.0f MiB hashed, %.0f MiB "
			 "radix; ratio with records of 1 entry %.3f, of 16 "
			 "entries %.3f (same run, fewer samples)",
			 probes, mem_h / (1 << 20), mem_r / (1 << 20), alt[0],
			 alt[1]);
out:
	free(va);
	hpair_fini(&p);
	return ret;
}

/* --- dense: 1 GiB of 4K pages */

struct wsum {
	uint64_t leaves, oa;
};

static int sum_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct wsum *s = arg;

	s->leaves += l->count;
	s->oa += l->oa;
	return 0;
}

static PTK_BENCH_HASH_NOINLINE uint64_t iter_scan(struct ptk_table *t,
						  uint64_t va, uint64_t len)
{
	struct ptk_iter it;
	uint64_t n = 0, i, x = 0;

	if (ptk_iter_init(&it, t, va, len, PTK_ITER_RUNS | PTK_ITER_NO_ATTRS))
		return 0;
	while (ptk_iter_next(&it) > 0)
		for (i = 0; i < it.count; i++, n++)
			x ^= ptk_iter_pte(&it, i);
	ptk_iter_fini(&it);
	return n + (x & 0);
}

static int rows_hash_dense(struct bench *b)
{
	static const char *const names[5] = {
		"hash_map_dense_1g", "hash_walk_dense_1g", "hash_iter_dense_1g",
		"hash_protect_dense_1g", "hash_unmap_dense_1g"
	};
	static const char *const units[5] = { "page", "page", "page", "page",
					      "page" };
	const struct bench_cfg *c = &b->cfg;
	const uint64_t n = SZ_1G / SZ_4K;
	struct bench_row *rows[5], *mem;
	unsigned int r, k, i;
	struct hpair p;
	int ret = -1;

	for (k = 0; k < 5; k++) {
		rows[k] = row_add(b, names[k], units[k], H_TARGET, c->reps, n);
		snprintf(rows[k]->desc, sizeof(rows[k]->desc),
			 "hash vs radix: 1 GiB of 4K pages (%s); ns per page",
			 k == 0	  ? "map into empty tables"
			 : k == 1 ? "ptk_walk(), a leaf hook per run"
			 : k == 2 ? "iterator, runs, every entry read"
			 : k == 3 ? "protect RW to R"
				  : "unmap, tables freed");
	}
	mem = row_add(b, "hash_mem_dense_1g", "bytes", H_TARGET, 1, 1);
	snprintf(mem->desc, sizeof(mem->desc),
		 "hash vs radix: bytes the provider holds for 1 GiB of 4K "
		 "pages");
	if (hpair_init(&p, PTK_HASH_CLUSTER_DEFAULT))
		return -1;
	for (r = 0; r < c->reps; r++) {
		uint64_t res[2][5];

		for (i = 0; i < 2; i++) {
			int h = (int)((i ^ r) & 1);
			struct ptk_table *t = side_t(&p, h);
			struct ptk_attrs ro = { .prot = PTK_PROT_READ };
			struct wsum ws = { 0, 0 };
			struct ptk_walk_ops ops = { .leaf = sum_leaf };
			uint64_t t0;
			int rc;

			t0 = now_ns();
			rc = ptk_map(t, H_DENSE_VA, SZ_1G, H_OA, &b->attrs,
				     PTK_MAP_MAX_PAGE(12), NULL);
			keep_min(h ? &rows[0]->ptk_ns : &rows[0]->base_ns,
				 now_ns() - t0, n);
			if (rc) {
				bench_err("hash: dense map: %s",
					  ptk_strerror(rc));
				goto out;
			}
			if (!r && h)
				mem->ptk_ns = (double)p.mh.stats.live_bytes;
			else if (!r)
				mem->base_ns = (double)p.mr.stats.live_bytes;
			t0 = now_ns();
			rc = ptk_walk(t, H_DENSE_VA, SZ_1G, &ops, &ws);
			keep_min(h ? &rows[1]->ptk_ns : &rows[1]->base_ns,
				 now_ns() - t0, n);
			res[h][1] = ws.leaves ^ ws.oa;
			t0 = now_ns();
			res[h][2] = iter_scan(t, H_DENSE_VA, SZ_1G);
			keep_min(h ? &rows[2]->ptk_ns : &rows[2]->base_ns,
				 now_ns() - t0, n);
			t0 = now_ns();
			rc |= ptk_protect(t, H_DENSE_VA, SZ_1G, ro.prot, 0,
					  NULL);
			keep_min(h ? &rows[3]->ptk_ns : &rows[3]->base_ns,
				 now_ns() - t0, n);
			t0 = now_ns();
			rc |= ptk_unmap(t, H_DENSE_VA, SZ_1G, 0, NULL);
			keep_min(h ? &rows[4]->ptk_ns : &rows[4]->base_ns,
				 now_ns() - t0, n);
			if (rc || ws.leaves != n || res[h][2] != n) {
				bench_err("hash: dense rows failed");
				goto out;
			}
		}
		if (res[0][1] != res[1][1]) {
			bench_err("hash: dense walks disagree");
			goto out;
		}
	}
	{
		struct ptk_hash_stats hs;

		/* the footprint with one and sixteen entries per record */
		double alt[2];
		unsigned int cl[2] = { 0, 4 };

		for (k = 0; k < 2; k++) {
			struct hpair q;

			if (hpair_init(&q, cl[k]))
				goto out;
			ptk_map(&q.h, H_DENSE_VA, SZ_1G, H_OA, &b->attrs,
				PTK_MAP_MAX_PAGE(12), NULL);
			alt[k] = (double)q.mh.stats.live_bytes;
			hpair_fini(&q);
		}
		ptk_map(&p.h, H_DENSE_VA, SZ_1G, H_OA, &b->attrs,
			PTK_MAP_MAX_PAGE(12), NULL);
		ptk_hash_stats(&hs, &p.h);
		snprintf(mem->detail, sizeof(mem->detail),
			 "records of 1 / 8 / 16 entries: %.1f / %.1f / %.1f "
			 "MiB; %" PRIu64 " records in %" PRIu64 " slots, %.2f "
			 "probes per "
			 "lookup",
			 alt[0] / (1 << 20), mem->ptk_ns / (1 << 20),
			 alt[1] / (1 << 20), hs.records[0], hs.slots[0],
			 (double)hs.probe_sum /
				 (double)(hs.records[0] + hs.sum_records));
	}
	ret = 0;
out:
	hpair_fini(&p);
	return ret;
}

/* --- sparse: 100 pages in 1 TiB */

static int rows_hash_sparse(struct bench *b)
{
	static const char *const names[4] = { "hash_map_sparse",
					      "hash_walk_sparse",
					      "hash_protect_sparse",
					      "hash_unmap_sparse" };
	const struct bench_cfg *c = &b->cfg;
	unsigned int np = c->sparse_pages, r, i, k;
	struct bench_row *rows[4], *mem;
	uint64_t *pva = malloc(np * sizeof(*pva));
	struct hpair p;
	int ret = -1;

	if (!pva)
		return -1;
	for (k = 0; k < 4; k++) {
		rows[k] = row_add(b, names[k], k ? "op" : "page", H_TARGET,
				  c->sparse_reps, k ? 1 : np);
		rows[k]->us = k != 0;
		snprintf(rows[k]->desc, sizeof(rows[k]->desc),
			 "hash vs radix: %u 4K pages at random in 1 TiB; %s",
			 np,
			 k == 0	  ? "each mapped alone, ns per page"
			 : k == 1 ? "one ptk_walk() of the TiB"
			 : k == 2 ? "one ptk_protect() of the TiB"
				  : "one ptk_unmap() of the TiB");
	}
	mem = row_add(b, "hash_mem_sparse", "bytes", H_TARGET, 1, 1);
	snprintf(mem->desc, sizeof(mem->desc),
		 "hash vs radix: bytes the provider holds for the %u sparse "
		 "pages",
		 np);
	for (i = 0; i < np; i++) {
		uint64_t v;

		do {
			v = H_SPARSE_VA + (rnd(b) & (SZ_1T - 1) & ~(SZ_4K - 1));
			for (k = 0; k < i && pva[k] != v; k++)
				;
		} while (k < i);
		pva[i] = v;
	}
	if (hpair_init(&p, PTK_HASH_CLUSTER_DEFAULT))
		goto out;
	for (r = 0; r < c->sparse_reps; r++) {
		uint64_t leaves[2];

		for (k = 0; k < 2; k++) {
			int h = (int)((k ^ r) & 1);
			struct ptk_table *t = side_t(&p, h);
			struct wsum ws = { 0, 0 };
			struct ptk_walk_ops ops = { .leaf = sum_leaf };
			uint64_t t0 = now_ns();
			int rc = 0;

			for (i = 0; i < np; i++)
				rc |= ptk_map(t, pva[i], SZ_4K,
					      H_OA + i * SZ_4K, &b->attrs, 0,
					      NULL);
			keep_min(h ? &rows[0]->ptk_ns : &rows[0]->base_ns,
				 now_ns() - t0, np);
			if (!r && h)
				mem->ptk_ns = (double)p.mh.stats.live_bytes;
			else if (!r)
				mem->base_ns = (double)p.mr.stats.live_bytes;
			t0 = now_ns();
			rc |= ptk_walk(t, H_SPARSE_VA, SZ_1T, &ops, &ws);
			keep_min(h ? &rows[1]->ptk_ns : &rows[1]->base_ns,
				 now_ns() - t0, 1);
			t0 = now_ns();
			rc |= ptk_protect(t, H_SPARSE_VA, SZ_1T, PTK_PROT_READ,
					  0, NULL);
			keep_min(h ? &rows[2]->ptk_ns : &rows[2]->base_ns,
				 now_ns() - t0, 1);
			t0 = now_ns();
			rc |= ptk_unmap(t, H_SPARSE_VA, SZ_1T, 0, NULL);
			keep_min(h ? &rows[3]->ptk_ns : &rows[3]->base_ns,
				 now_ns() - t0, 1);
			leaves[h] = ws.leaves;
			if (rc) {
				bench_err("hash: sparse rows failed");
				goto out;
			}
		}
		if (leaves[0] != np || leaves[1] != np) {
			bench_err("hash: sparse walks found %" PRIu64
				  " / %" PRIu64 " leaves",
				  leaves[0], leaves[1]);
			goto out;
		}
	}
	ret = 0;
out:
	hpair_fini(&p);
	free(pva);
	return ret;
}

/* --- a real process's layout */

static int row_hash_procmaps(struct bench *b)
{
	struct bench_row *mem;
	unsigned int nvma = 0;
	uint64_t pages = 0;
	struct hpair p;
	char line[512];
	FILE *f;
	int ret = -1;

	mem = row_add(b, "hash_mem_procmaps", "bytes", H_TARGET, 1, 1);
	if (hpair_init(&p, PTK_HASH_CLUSTER_DEFAULT))
		return -1;
	f = fopen("/proc/self/maps", "r");
	if (!f) {
		mem->skipped = true;
		snprintf(mem->why, sizeof(mem->why), "no /proc/self/maps");
		hpair_fini(&p);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2 || hi <= lo)
			continue;
		if (hpair_map(b, &p, lo, hi - lo, lo & ((1ull << 52) - 1),
			      true))
			goto out;
		nvma++;
		pages += (hi - lo) >> 12;
	}
	mem->ptk_ns = (double)p.mh.stats.live_bytes;
	mem->base_ns = (double)p.mr.stats.live_bytes;
	snprintf(mem->desc, sizeof(mem->desc),
		 "hash vs radix: bytes held for this process's layout "
		 "(/proc/self/maps: %u ranges, %" PRIu64 " 4K pages)",
		 nvma, pages);
	ret = 0;
out:
	fclose(f);
	hpair_fini(&p);
	return ret;
}

/* --- cache lines touched, counted by valgrind's lackey */

#define L_PHASES 12
#define L_DENSE (8ull << 20)
#define L_ARENA (64ull << 20)

static volatile uint64_t l_marks[2 * L_PHASES];

static const char *const l_names[6] = {
	"hash_lines_protect_dense", "hash_lines_walk_dense",
	"hash_lines_unmap_dense",   "hash_lines_protect_sparse",
	"hash_lines_walk_sparse",   "hash_lines_unmap_sparse",
};

/*
 * In the child under lackey: for radix then hash, a dense 8 MiB and 100
 * pages in 1 TiB, each protected, walked and unmapped, every operation
 * between two marker stores. Table memory is an arena, whose buffer the
 * parent is told about; so are the markers.
 */
static void lines_child(struct bench *b)
{
	static const struct ptk_walk_ops ops = { .leaf = sum_leaf };
	unsigned int h, lay, k;

	printf("PTKLINES marks %p %u\n", (void *)l_marks, 2 * L_PHASES);
	for (h = 0; h < 2; h++) {
		for (lay = 0; lay < 2; lay++) {
			struct ptk_mem_arena a;
			struct ptk_table t;
			struct wsum ws = { 0, 0 };
			unsigned int ph = (h * 2 + lay) * 3;
			uint64_t va = lay ? H_SPARSE_VA : H_DENSE_VA;
			uint64_t len = lay ? SZ_1T : L_DENSE;
			uint64_t pages = lay ? b->cfg.sparse_pages
					     : L_DENSE / SZ_4K;

			if (ptk_mem_arena_create(&a, 0x40000000, L_ARENA) ||
			    ptk_table_create(&t, &ptk_fmt_x86_64, &a.mem,
					     h ? PTK_TABLE_HASH : 0))
				exit(3);
			printf("PTKLINES range %p %p\n", (void *)a.buf,
			       (void *)(a.buf + L_ARENA));
			for (k = 0; k < 3; k++)
				printf("PTKLINES pages %u %" PRIu64 "\n",
				       ph + k, pages);
			fflush(stdout);
			if (lay) {
				for (k = 0; k < pages; k++)
					ptk_map(&t,
						va + (((k + 1) * H_ODD) &
						      (SZ_1T - 1) &
						      ~(SZ_4K - 1)),
						SZ_4K, H_OA + k * SZ_4K,
						&b->attrs, 0, NULL);
			} else {
				ptk_map(&t, va, len, H_OA, &b->attrs,
					PTK_MAP_MAX_PAGE(12), NULL);
			}
			l_marks[2 * ph] = 1;
			ptk_protect(&t, va, len, PTK_PROT_READ, 0, NULL);
			l_marks[2 * ph + 1] = 1;
			l_marks[2 * ph + 2] = 1;
			ptk_walk(&t, va, len, &ops, &ws);
			l_marks[2 * ph + 3] = 1;
			l_marks[2 * ph + 4] = 1;
			ptk_unmap(&t, va, len, 0, NULL);
			l_marks[2 * ph + 5] = 1;
			ptk_table_destroy(&t);
			ptk_mem_arena_destroy(&a);
		}
	}
	fflush(stdout);
	exit(0);
}

/* A set of cache-line numbers. */
struct lset {
	uint64_t *v;
	size_t cap, n;
};

static int lset_add(struct lset *s, uint64_t line)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct lset g = { NULL, s->cap ? 2 * s->cap : 4096, 0 };

		g.v = calloc(g.cap, sizeof(*g.v));
		if (!g.v)
			return -1;
		for (i = 0; i < s->cap; i++)
			if (s->v[i])
				lset_add(&g, s->v[i] - 1);
		free(s->v);
		*s = g;
	}
	i = (size_t)((line * H_ODD) >> 20) & (s->cap - 1);
	while (s->v[i] && s->v[i] != line + 1)
		i = (i + 1) & (s->cap - 1);
	if (!s->v[i]) {
		s->v[i] = line + 1;
		s->n++;
	}
	return 0;
}

static void lset_clear(struct lset *s)
{
	if (s->v)
		memset(s->v, 0, s->cap * sizeof(*s->v));
	s->n = 0;
}

struct lparse {
	uint64_t mark_lo, mark_hi;
	uint64_t lo[4], hi[4];
	unsigned int nranges;
	int phase; /* collecting, or -1 */
	uint64_t lines[L_PHASES], pages[L_PHASES];
	struct lset set;
};

static int lparse_line(struct lparse *p, const char *s)
{
	unsigned long long a, z;
	unsigned int sz, ph, i;
	void *x, *y;

	if (sscanf(s, "PTKLINES marks %p %u", &x, &sz) == 2) {
		p->mark_lo = (uint64_t)(uintptr_t)x;
		p->mark_hi = p->mark_lo + 8ull * sz;
		return 0;
	}
	if (sscanf(s, "PTKLINES range %p %p", &x, &y) == 2 && p->nranges < 4) {
		p->lo[p->nranges] = (uint64_t)(uintptr_t)x;
		p->hi[p->nranges++] = (uint64_t)(uintptr_t)y;
		return 0;
	}
	if (sscanf(s, "PTKLINES pages %u %llu", &ph, &a) == 2 &&
	    ph < L_PHASES) {
		p->pages[ph] = a;
		return 0;
	}
	if ((s[0] != ' ' || (s[1] != 'L' && s[1] != 'S' && s[1] != 'M')) ||
	    sscanf(s + 2, "%llx,%u", &a, &sz) != 2)
		return 0;
	if (a >= p->mark_lo && a < p->mark_hi) {
		unsigned int k = (unsigned int)((a - p->mark_lo) / 8);

		if (!(k & 1)) {
			p->phase = (int)(k / 2);
			lset_clear(&p->set);
		} else if (p->phase == (int)(k / 2)) {
			p->lines[p->phase] = p->set.n;
			p->phase = -1;
		}
		return 0;
	}
	if (p->phase < 0)
		return 0;
	for (i = 0; i < p->nranges; i++) {
		if (a < p->lo[i] || a >= p->hi[i])
			continue;
		for (z = a >> 6; z <= (a + (sz ? sz - 1 : 0)) >> 6; z++)
			if (lset_add(&p->set, z))
				return -1;
	}
	return 0;
}

static int rows_hash_lines(struct bench *b)
{
	struct bench_row *rows[6];
	struct lparse lp;
	char exe[4096], line[512];
	int fds[2], status, ret = 0;
	unsigned int k;
	ssize_t n;
	pid_t pid;
	FILE *f;

	if (getenv("PTK_BENCH_LINES_CHILD"))
		lines_child(b);
	for (k = 0; k < 6; k++) {
		rows[k] = row_add(b, l_names[k], "lines/pg", H_TARGET, 1, 1);
		snprintf(rows[k]->desc, sizeof(rows[k]->desc),
			 "hash vs radix: distinct 64-byte lines of table "
			 "memory "
			 "one %s of %s touches, per mapped page (valgrind "
			 "lackey, every load and store)",
			 k % 3 == 0   ? "protect"
			 : k % 3 == 1 ? "walk"
				      : "unmap",
			 k < 3 ? "8 MiB of 4K pages" : "100 pages in 1 TiB");
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || system("valgrind --version >/dev/null 2>&1")) {
		for (k = 0; k < 6; k++) {
			rows[k]->skipped = true;
			snprintf(rows[k]->why, sizeof(rows[k]->why),
				 "needs valgrind (no hardware counters)");
		}
		return 0;
	}
	exe[n] = '\0';
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		setenv("PTK_BENCH_LINES_CHILD", "1", 1);
		execlp("valgrind", "valgrind", "--tool=lackey",
		       "--trace-mem=yes", "--log-fd=1", exe, "bench", "--only",
		       "hash_lines", "--quick", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	memset(&lp, 0, sizeof(lp));
	lp.phase = -1;
	while (f && fgets(line, sizeof(line), f))
		if (lparse_line(&lp, line))
			ret = -1;
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	free(lp.set.v);
	if (ret || !WIFEXITED(status) || WEXITSTATUS(status)) {
		bench_err("hash_lines: the lackey run failed");
		return -1;
	}
	for (k = 0; k < 6; k++) {
		unsigned int r = (k / 3) * 3 + k % 3, hph = 6 + r;

		if (!lp.pages[r] || !lp.pages[hph]) {
			bench_err("hash_lines: phases missing in the trace");
			return -1;
		}
		rows[k]->base_ns = (double)lp.lines[r] / (double)lp.pages[r];
		rows[k]->ptk_ns = (double)lp.lines[hph] / (double)lp.pages[hph];
		snprintf(rows[k]->detail, sizeof(rows[k]->detail),
			 "%" PRIu64 " lines hashed, %" PRIu64 " radix",
			 lp.lines[hph], lp.lines[r]);
	}
	return 0;
}

int rows_hash(struct bench *b)
{
	if (getenv("PTK_BENCH_LINES_CHILD"))
		return rows_hash_lines(b);
	/* (the process's own layout first, before these rows grow it) */
	if (row_hash_procmaps(b) || row_hash_translate_hot(b) ||
	    row_hash_translate_cold(b) || rows_hash_dense(b) ||
	    rows_hash_sparse(b) || rows_hash_lines(b))
		return -1;
	return 0;
}
