// SPDX-License-Identifier: MIT
/*
 * Coherence under concurrency: writer threads change a PTK_TABLE_SHARED
 * primary (map, replace, unmap, protect, move, copy-on-write, split,
 * collapse), each in its own region; a faulting thread keeps a mirror
 * (x86_64 -> x86_ept, also shared) and reads it; a TLB thread
 * translates through a software TLB. Every answer is checked against an
 * exact per-page history kept by the writers.
 *
 * The history: a global clock; a writer reads it before an operation
 * (c0) and after it returns (c1), then, for every page the operation
 * may have touched, reads the primary (its own region: stable) and, if
 * the page's translation changed, closes the old state at c1 and opens
 * the new one at c0. So each state's window covers every moment the
 * primary may have held it. A reader reads the clock before (r0) and
 * after (r1) it looks at the mirror or the TLB; a translation it sees
 * must be a state of that page whose window meets [r0, r1]. That is
 * both properties at once: nothing the primary never held, and nothing
 * the primary stopped holding before an invalidating operation returned
 * (whose state closed at c1 < r0).
 *
 * PTK_MSTRESS_MS sets the run time (default 1500 ms).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

#define PG 4096ull
#define M2 (2ull << 20)
#define NW 2 /* writers */
#define REGION (4ull << 20) /* per writer: two 2 MiB slots */
#define BASE (1ull << 30)
#define NPAGES (NW * REGION / PG)
#define RING 64 /* states kept per page */
#define HOT 16 /* pages at the start of each 2 MiB slot most work is on */
#define OPEN (~(uint64_t)0)
#define NONE (~(uint64_t)0)

struct state {
	uint64_t oa; /* NONE: unmapped */
	uint64_t prot;
	uint64_t from;
	uint64_t to; /* OPEN while current */
};

struct page {
	uint64_t n; /* states ever appended */
	struct state s[RING];
};

static struct page *hist;
static uint64_t clk;
static int stop;
static uint64_t bad, checked, inconclusive;
static uint64_t wseq[NW]; /* odd while a writer's op is unrecorded */
static uint64_t kinds = 0x1ff; /* PTK_MSTRESS_KINDS: which operations */

static struct ptk_ebr *ebr_p, *ebr_s;
static struct ptk_mem_heap heap_p, heap_s;
static struct ptk_table prim, sec;
static struct ptk_mirror mir;
static struct ptk_tlb tlb;
static struct ptk_tlb_entry tlb_e[16 * 4];
static struct ptk_tlb_space tsp;

static uint64_t tick(void)
{
	return __atomic_fetch_add(&clk, 1, __ATOMIC_SEQ_CST);
}

#define LD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* The primary's state of page @i now (called by its writer only). */
static void now(unsigned int i, uint64_t *oa, uint64_t *prot)
{
	struct ptk_xlate x;
	struct ptk_attrs a;
	unsigned long tok = ptk_read_begin(&prim);

	*oa = NONE;
	*prot = 0;
	if (!ptk_translate(&prim, BASE + i * PG, &x) &&
	    !ptk_leaf_attrs(&a, &prim, x.level, x.pte)) {
		*oa = x.oa;
		*prot = a.prot;
	}
	ptk_read_end(&prim, tok);
}

static void record(ptk_va_t va, uint64_t len, uint64_t c0, uint64_t c1)
{
	uint64_t i, first = (va - BASE) / PG, n = len / PG;

	for (i = first; i < first + n && i < NPAGES; i++) {
		struct page *p = &hist[i];
		struct state *cur = &p->s[(p->n - 1) % RING];
		struct state *nx = &p->s[p->n % RING];
		uint64_t oa, prot;

		now((unsigned int)i, &oa, &prot);
		if (oa == cur->oa && prot == cur->prot)
			continue;
		ST(cur->to, c1);
		ST(nx->oa, oa);
		ST(nx->prot, prot);
		ST(nx->to, OPEN);
		ST(nx->from, c0);
		ST(p->n, p->n + 1);
	}
}

/*
 * Whether page @i held (oa, prot) at some moment of [r0, r1]. *@decided
 * says whether a "no" is one: the states looked at reach back before r0
 * (or to the first), rather than stopping at the ring's end while still
 * inside the window (a reader that lagged behind a fast writer).
 */
static bool held(struct page *p, uint64_t oa, uint64_t prot, uint64_t r0,
		 uint64_t r1, uint64_t *n1, uint64_t *lo, bool *decided)
{
	uint64_t k;

	*decided = true;

	*n1 = LD(p->n);
	*lo = *n1 > RING - 8 ? *n1 - (RING - 8) : 0;
	for (k = *n1; k-- > *lo;) {
		struct state *s = &p->s[k % RING];
		uint64_t from = LD(s->from), to = LD(s->to);

		if (LD(s->oa) == oa && LD(s->prot) == prot && from <= r1 &&
		    (to == OPEN || to >= r0))
			return true;
		if (to != OPEN && to < r0)
			return false; /* older states cannot meet the window */
	}
	*decided = *lo == 0;
	return false;
}

static void check(const char *who, unsigned int i, uint64_t oa, uint64_t prot,
		  uint64_t r0, uint64_t r1)
{
	struct page *p = &hist[i];
	unsigned int w = i / (unsigned int)(REGION / PG);
	uint64_t n1, lo, k, ws;
	bool decided;
	bool ok = held(p, oa, prot, r0, r1, &n1, &lo, &decided);

	if (!ok) {
		/*
		 * The page's writer may not have recorded its last operation
		 * yet (the new state opens at that operation's start, before
		 * our r1): wait until it has, and look again.
		 */
		ws = LD(wseq[w]);
		if (ws & 1)
			while (LD(wseq[w]) == ws)
				sched_yield();
		ok = held(p, oa, prot, r0, r1, &n1, &lo, &decided);
	}
	if (LD(p->n) - lo > RING || (!ok && !decided)) {
		__atomic_fetch_add(&inconclusive, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_add(&checked, 1, __ATOMIC_RELAXED);
	if (ok || __atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED) >= 5)
		return;
	fprintf(stderr,
		"%s: page %u (va %" PRIx64 ") oa %" PRIx64 " prot %" PRIx64
		" seen in [%" PRIu64 ",%" PRIu64
		"], which the primary did not hold then (%" PRIu64 " states)\n",
		who, i, (uint64_t)(BASE + i * PG), oa, prot, r0, r1, n1);
	if (getenv("PTK_MSTRESS_DUMP"))
		for (k = lo; k < n1; k++)
			fprintf(stderr,
				"  state %" PRIu64 ": oa %" PRIx64
				" prot %" PRIx64 " [%" PRIu64 ",%" PRIu64 "]\n",
				k, LD(p->s[k % RING].oa),
				LD(p->s[k % RING].prot),
				LD(p->s[k % RING].from), LD(p->s[k % RING].to));
}

static const struct ptk_attrs a_rw = { PTK_PROT_RW, 0, 0, 0 };

struct wctx {
	unsigned int id;
	struct ptk_rand rnd;
	struct ptk_mem_heap ph;
	struct ptk_table priv; /* copy-on-write target */
	uint64_t ops;
};

static void *writer(void *arg)
{
	struct wctx *w = arg;
	ptk_va_t lo = BASE + w->id * REGION;

	while (!LD(stop)) {
		uint64_t r = ptk_rand_next(&w->rnd);
		/* Weights: page-sized operations often, slot-wide ones
		 * (huge map, split, collapse) rarely, so that stale leaves
		 * live long enough to be seen when coherence breaks. */
		static const unsigned char pickk[23] = {
			0, 0, 0, 0, 1, 1, 1, 1, 2, 3, 3, 3,
			3, 4, 4, 4, 4, 5, 5, 6, 6, 7, 8,
		};
		unsigned int kind = pickk[r % 23];

		if (!((kinds >> kind) & 1))
			continue;
		uint64_t npg = 1 + (r >> 8) % 8, len = npg * PG;
		ptk_va_t va = lo + ((r >> 16) % (REGION / PG - npg)) * PG;
		ptk_va_t slot = lo + ((r >> 40) & 1) * M2, va2 = 0;

		/* Mostly the hot pages at the start of each slot. */
		if ((r >> 44) & 7)
			va = slot + ((r >> 16) % (HOT - npg + 1)) * PG;
		struct ptk_attrs at = a_rw;
		uint64_t oa = ((r >> 24) & 0xfffff) << 12, c0, c1;

		ST(wseq[w->id], wseq[w->id] + 1);
		c0 = tick();
		switch (kind) {
		case 0: /* fresh map */
			(void)ptk_map(&prim, va, len, oa, &at, 0, NULL);
			break;
		case 1: /* replace */
			at.prot = (r >> 50) & 1 ? PTK_PROT_READ : PTK_PROT_RW;
			(void)ptk_map(&prim, va, len, oa, &at, PTK_MAP_REPLACE,
				      NULL);
			break;
		case 2: /* a huge page */
			va = slot;
			len = M2;
			(void)ptk_map(&prim, va, len, oa << 9 & ~(M2 - 1), &at,
				      PTK_MAP_REPLACE, NULL);
			break;
		case 3:
			(void)ptk_unmap(&prim, va, len, PTK_UNMAP_SPLIT, NULL);
			break;
		case 4:
			(void)ptk_protect(&prim, va, len,
					  (r >> 50) & 1 ? PTK_PROT_READ
							: PTK_PROT_RW,
					  PTK_PROTECT_SPLIT, NULL);
			break;
		case 5: /* move to the other slot */
			va2 = va < lo + M2 ? va + M2 : va - M2;
			if (va2 + len > lo + REGION)
				va2 = lo + REGION - len;
			(void)ptk_move(&prim, va, va2, len, PTK_MOVE_SPLIT,
				       NULL);
			break;
		case 6: /* copy-on-write */
			(void)ptk_unmap(&w->priv, va, len, PTK_UNMAP_SPLIT,
					NULL);
			(void)ptk_copy(&w->priv, &prim, va, len, PTK_COPY_COW,
				       NULL);
			break;
		case 7:
			va = slot;
			len = M2;
			(void)ptk_split(&prim, va, 1, NULL);
			break;
		default:
			va = slot;
			len = M2;
			/* Make it collapsible first, now and then. */
			if ((r >> 52) & 1)
				(void)ptk_map(&prim, va, len,
					      oa << 9 & ~(M2 - 1), &at,
					      PTK_MAP_REPLACE |
						      PTK_MAP_MAX_PAGE(12),
					      NULL);
			(void)ptk_collapse(&prim, va, 1, NULL);
			break;
		}
		c1 = tick();
		record(va, len, c0, c1);
		if (va2)
			record(va2, len, c0, c1);
		ST(wseq[w->id], wseq[w->id] + 1);
		w->ops++;
	}
	return NULL;
}

struct rctx {
	struct ptk_rand rnd;
	uint64_t n;
	uint64_t hits;
};

/* Check the mirror's translation of page @k now. */
static bool look(unsigned int k)
{
	struct ptk_xlate x;
	struct ptk_attrs a;
	unsigned long tok;
	uint64_t r0 = tick(), r1;
	int rc;

	tok = ptk_read_begin(&sec);
	rc = ptk_translate(&sec, BASE + k * PG, &x);
	if (!rc)
		rc = ptk_leaf_attrs(&a, &sec, x.level, x.pte);
	ptk_read_end(&sec, tok);
	r1 = tick();
	if (rc)
		return false;
	check("mirror", k, x.oa, a.prot, r0, r1);
	return true;
}

/* A page to look at: mostly a hot one. */
static unsigned int pick(uint64_t r)
{
	if ((r >> 60) & 7)
		return (unsigned int)((r % (NPAGES / (M2 / PG))) * (M2 / PG) +
				      (r >> 20) % HOT);
	return (unsigned int)(r % NPAGES);
}

static void *faulter(void *arg)
{
	struct rctx *c = arg;

	while (!LD(stop)) {
		uint64_t r = ptk_rand_next(&c->rnd);
		unsigned int i = pick(r), k;
		unsigned int n = 1 + (unsigned int)((r >> 32) % 8);

		if (i + n > NPAGES)
			n = NPAGES - i;
		(void)ptk_mirror_fault(&mir, BASE + i * PG, n * PG);
		for (k = i; k < i + n; k++)
			c->hits += look(k);
		/* And pages faulted earlier: stale leaves stay until found. */
		for (k = 0; k < 8; k++)
			c->hits += look(pick(ptk_rand_next(&c->rnd)));
		c->n++;
	}
	return NULL;
}

static void *tlb_reader(void *arg)
{
	struct rctx *c = arg;

	while (!LD(stop)) {
		uint64_t r = ptk_rand_next(&c->rnd);
		unsigned int i = pick(r);
		struct ptk_tlb_result res;
		uint64_t r0 = tick(), r1;
		int rc;

		rc = ptk_tlb_translate(&tsp, BASE + i * PG, &res);
		r1 = tick();
		if (!rc) {
			check("tlb", i, res.oa, res.prot, r0, r1);
			c->hits++;
		}
		c->n++;
	}
	return NULL;
}

PTK_TEST(mirror_stress)
{
	const struct ptk_fmt *x86 = ptk_fmt_lookup("x86_64");
	struct ptk_mirror_opts mo = { 0, 6, 0, 0, 0 };
	struct ptk_tlb_opts to = { 16, 4, 2, { 12, 21, 0, 0 }, 8 };
	uint64_t ms = ptk_test_env_u64("PTK_MSTRESS_MS", 1500);
	struct ptk_rand rnd;
	struct wctx wc[NW];
	struct rctx fc, tc;
	pthread_t wt[NW], ft, tt;
	struct timespec ts;
	struct ptk_mirror_stats mst;
	struct ptk_tlb_stats tst;
	unsigned int i;
	uint64_t wops = 0;

	ptk_test_rand(&rnd);
	kinds = ptk_test_env_u64("PTK_MSTRESS_KINDS", 0x1ff);
	hist = calloc(NPAGES, sizeof(*hist));
	ebr_p = malloc(sizeof(*ebr_p));
	ebr_s = malloc(sizeof(*ebr_s));
	PTK_ASSERT(hist && ebr_p && ebr_s);
	for (i = 0; i < NPAGES; i++) {
		hist[i].n = 1;
		hist[i].s[0].oa = NONE;
		hist[i].s[0].to = OPEN;
	}
	PTK_ASSERT_OK(ptk_mem_heap_init(&heap_p));
	PTK_ASSERT_OK(ptk_mem_heap_init(&heap_s));
	PTK_ASSERT_OK(ptk_ebr_init(ebr_p, &heap_p.mem));
	PTK_ASSERT_OK(ptk_ebr_init(ebr_s, &heap_s.mem));
	PTK_ASSERT_OK(
		ptk_table_create(&prim, x86, &ebr_p->mem, PTK_TABLE_SHARED));
	PTK_ASSERT_OK(ptk_table_create(&sec, ptk_fmt_lookup("x86_ept"),
				       &ebr_s->mem, PTK_TABLE_SHARED));
	PTK_ASSERT_OK(
		ptk_mirror_init(&mir, &prim, &sec, BASE, NW * REGION, &mo));
	PTK_ASSERT_OK(ptk_tlb_init(&tlb, tlb_e, &to));
	PTK_ASSERT_OK(ptk_tlb_attach(&tsp, &tlb, &prim, 1, BASE, NW * REGION));
	for (i = 0; i < NW; i++) {
		wc[i].id = i;
		wc[i].ops = 0;
		ptk_rand_seed(&wc[i].rnd, ptk_rand_next(&rnd));
		PTK_ASSERT_OK(ptk_mem_heap_init(&wc[i].ph));
		PTK_ASSERT_OK(
			ptk_table_create(&wc[i].priv, x86, &wc[i].ph.mem, 0));
	}
	memset(&fc, 0, sizeof(fc));
	memset(&tc, 0, sizeof(tc));
	ptk_rand_seed(&fc.rnd, ptk_rand_next(&rnd));
	ptk_rand_seed(&tc.rnd, ptk_rand_next(&rnd));
	for (i = 0; i < NW; i++)
		PTK_ASSERT(!pthread_create(&wt[i], NULL, writer, &wc[i]));
	PTK_ASSERT(!pthread_create(&ft, NULL, faulter, &fc));
	PTK_ASSERT(!pthread_create(&tt, NULL, tlb_reader, &tc));
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
	ST(stop, 1);
	for (i = 0; i < NW; i++)
		pthread_join(wt[i], NULL);
	pthread_join(ft, NULL);
	pthread_join(tt, NULL);
	for (i = 0; i < NW; i++)
		wops += wc[i].ops;
	ptk_mirror_stats(&mir, &mst);
	ptk_tlb_stats(&tlb, &tst);
	printf("writer ops %" PRIu64 ", mirror faults %" PRIu64
	       " (retries %" PRIu64 ", invalidations %" PRIu64
	       ", translations seen %" PRIu64 "), tlb lookups %" PRIu64
	       " (hits %" PRIu64 ", fills %" PRIu64 ", retries %" PRIu64
	       ", flushed %" PRIu64 "), checked %" PRIu64
	       ", inconclusive %" PRIu64 ", bad %" PRIu64 "\n",
	       wops, mst.faults, mst.retries, mst.invalidations, fc.hits, tc.n,
	       tst.hits, tst.fills, tst.retries, tst.flushed, checked,
	       inconclusive, bad);
	PTK_EXPECT_EQ(bad, 0);
	/* The run must have exercised something. */
	PTK_EXPECT(wops > 100);
	PTK_EXPECT(checked > 100);
	PTK_EXPECT(mst.invalidations > 0);
	ptk_tlb_detach(&tsp);
	ptk_mirror_fini(&mir);
	for (i = 0; i < NW; i++) {
		ptk_table_destroy(&wc[i].priv);
		ptk_mem_heap_fini(&wc[i].ph);
	}
	ptk_table_destroy(&sec);
	ptk_table_destroy(&prim);
	ptk_ebr_fini(ebr_s);
	ptk_ebr_fini(ebr_p);
	ptk_mem_heap_fini(&heap_s);
	ptk_mem_heap_fini(&heap_p);
	free(ebr_s);
	free(ebr_p);
	free(hist);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(mirror_stress),
	PTK_TEST_END,
};
PTK_TEST_MAIN(tests)
