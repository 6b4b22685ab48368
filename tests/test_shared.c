// SPDX-License-Identifier: MIT
/*
 * Shared walks under fire: reader threads translate, walk and iterate a
 * PTK_TABLE_SHARED table while writer threads map, unmap, protect, move,
 * split, collapse, copy from and rewrite it through the iterator, and
 * every answer a reader gets is checked against the writers' history.
 *
 * The contract (include/ptkit/shared.h): inside a read section a reader
 * sees, at every entry, a value the entry held at some point during the
 * section. For a page that means: what a reader finds there (a leaf's
 * output address and protection, or nothing) is a value the page had at
 * some moment between the start and the end of the section.
 *
 * The history. Each writer owns a window of VA (writers of disjoint
 * ranges may run at once) and numbers its operations k = 1, 2, ...; its
 * version counter holds 2k - 1 while operation k runs and 2k after it
 * (seq_cst stores, one per edge). A page's value is packed in 44 bits
 * (output page number, protection, present bit; 0 = unmapped) and every
 * change of it is logged in a ring of RING slots per page: change number
 * c of the page goes to slot c % RING as two words, (c, k) and
 * (c, value), written with relaxed atomic stores before the table entry
 * that makes the change visible. A reader loads the version before it
 * enters its section (k0 = v / 2: operations up to k0 had finished) and
 * again when it checks an answer, after the answer was read
 * (k1 = (v + 1) / 2: operations after k1 had not begun). The values the
 * page may have shown are then exactly: the value after the last change
 * with k <= k0 (nothing, if there is none) and every change with
 * k0 < k <= k1. Changes are numbered per page, so the reader knows when
 * the ring has lost one it needs (a slot holds a later change than the
 * one it expects): such a check is counted as unverifiable, never as a
 * pass or a failure. Why nothing is missed: a change's log entry is
 * written before its table store (release), and the reader loads the
 * version and the ring after its table loads (behind an acquire fence),
 * so the change it saw is in the ring when it looks.
 *
 * Output addresses carry a tag of the operation that made them (bits 33
 * and up) above the page's offset in the window, so that 2 MiB and
 * 1 GiB alignment follows the VA's and a stale address differs from a
 * current one (the tag wraps after 2^16 operations, which can only hide
 * a stale answer, never fail a right one). A leaf of any size is checked
 * at its first, its last and a random page, against the whole leaf's
 * alignment and window. Holes (ENOENT, empty runs of a walk or an
 * iteration) are checked the same way: "nothing" must have been a value
 * of the page in the section.
 *
 * The windows: A = [4G, 7.5G) with three whole 1 GiB slots, B = [7.5G,
 * 8.5G), written only during the middle half of the run. They share the
 * level-1 table of [7G, 8G) and everything above, so the two writers race
 * to install tables (and must leave each other's alone). A third of the
 * readers' iterations dwell: they give the CPU away inside their section
 * so that writers unlink and retire tables under them.
 *
 * Writers check themselves exactly (their window changes only under
 * them): a few translations after each operation, a full walk now and
 * then. At the end, with everyone stopped: the table equals both models,
 * ptk_table_check() passes, destroy retires everything, and after
 * ptk_ebr_synchronize() and ptk_ebr_fini() every retired table was freed
 * and the providers hold nothing.
 *
 * Knobs: PTK_SHARED_MS per configuration (default 1100), readers:
 * PTK_SHARED_READERS (default 3). Replay a seed with PTK_SEED (the
 * interleaving is not replayable, writer A's operations are). To tell an
 * engine bug from a shared-mode one: PTK_SHARED_SOLO=1 runs writer A
 * alone on a private table (at PTK_DEBUG=3 each of its operations is then
 * checked by the library), PTK_SHARED_OPS=N stops the writers after N
 * operations.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ptkit.h"
#include "ptkit/iter.h"
#include "ptkit/range.h"
#include "ptkit/shared.h"
#include "harness/ptk_test.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define PG_SHIFT 12
#define PG (UINT64_C(1) << PG_SHIFT)
#define PG_MASK (PG - 1)

/* The change log: RING slots per page. */
#define RING 4u
#define VAL_BITS 44
#define VAL_MASK ((UINT64_C(1) << VAL_BITS) - 1)
#define A_CMASK ((UINT64_C(1) << (64 - VAL_BITS)) - 1)

/* What readers look at: both windows and unmapped space around them. */
#define ROAM_LO (UINT64_C(3) * GiB)
#define ROAM_HI (UINT64_C(9) * GiB) /* exclusive */

#define PROT_MASK (PTK_PROT_READ | PTK_PROT_WRITE | PTK_PROT_EXEC)

static const uint32_t prots[4] = {
	PTK_PROT_READ,
	PTK_PROT_READ | PTK_PROT_WRITE,
	PTK_PROT_READ | PTK_PROT_EXEC,
	PTK_PROT_RWX,
};

enum op_kind {
	OP_MAP,
	OP_UNMAP,
	OP_PROTECT,
	OP_MOVE,
	OP_SPLIT,
	OP_COLLAPSE,
	OP_COPY,
	OP_ITER,
	OP_NR
};

static const char *const op_names[OP_NR] = {
	"map", "unmap", "protect", "move", "split", "collapse", "copy", "iter",
};

/* A page's value: 0, or present | prot << 1 | output page << 4. */
static uint64_t mkval(ptk_oa_t oa, uint32_t prot)
{
	return ((oa >> PG_SHIFT) << 4) | ((uint64_t)(prot & 7) << 1) | 1;
}

static uint64_t reprot(uint64_t v, uint32_t prot)
{
	return v ? (v & ~UINT64_C(0xe)) | ((uint64_t)(prot & 7) << 1) : 0;
}

static const char *valstr(uint64_t v, char *buf, size_t n)
{
	if (!v)
		snprintf(buf, n, "unmapped");
	else
		snprintf(buf, n, "oa %#" PRIx64 " prot %c%c%c",
			 (v >> 4) << PG_SHIFT, (v & 2) ? 'r' : '-',
			 (v & 4) ? 'w' : '-', (v & 8) ? 'x' : '-');
	return buf;
}

/* One writer's window and its history. */
struct win {
	/* Fixed before the threads start. */
	const char *name;
	uint64_t base;
	uint64_t npages;
	bool big; /* 1 GiB leaves fit */
	uint64_t start_ns, stop_ns; /* when its writer runs, from t0 */
	uint64_t min_k; /* ops it goes on for past @stop_ns (slow machines) */
	/* Published: version, a hint where it works, the change log. */
	uint64_t ver;
	uint64_t hint;
	uint64_t *ra; /* (c << VAL_BITS) | value */
	uint64_t *rb; /* (c << 32) | k */
	/* The writer's own. */
	uint64_t *cur;
	uint32_t *nchg;
	uint64_t *old;
	uint64_t k;
	uint64_t mapped;
	uint64_t focus; /* first page of the region most operations hit */
	struct ptk_rand rnd;
	struct ptk_mem_heap priv_heap;
	struct ptk_table priv; /* ptk_copy()'s destination */
	uint64_t nops[OP_NR];
	uint64_t nskip[OP_NR]; /* changed nothing (nothing to do, ESPLIT) */
	uint64_t nrefused; /* iterator rewrites refused: groups (ENOTSUP) */
};

struct run {
	const char *cfg;
	struct ptk_table t;
	const struct ptk_fmt *fmt;
	uint64_t tagmask;
	struct win w[2];
	uint64_t t0_ns, dur_ns;
	int stop;
	int abort_;
	unsigned int violations;
	unsigned int nreaders;
	bool solo;
	uint64_t max_ops;
	/* reader totals */
	uint64_t checks, unverified, xlates, items, walks, iters, yields;
};

struct reader {
	struct run *r;
	unsigned int id;
	struct ptk_rand rnd;
	uint64_t k0[2];
	uint64_t checks, unverified, xlates, items, walks, iters, yields;
	const char *how;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static bool aborted(const struct run *r)
{
	return __atomic_load_n(&r->abort_, __ATOMIC_RELAXED);
}

/* Report a broken promise (from any thread) and stop the run. */
static void violation(struct run *r, const char *who, const char *fmt, ...)
	PTK_TEST_PRINTF(3, 4);

static void violation(struct run *r, const char *who, const char *fmt, ...)
{
	unsigned int n =
		__atomic_fetch_add(&r->violations, 1, __ATOMIC_RELAXED);
	char buf[1024];
	va_list ap;

	__atomic_store_n(&r->abort_, 1, __ATOMIC_RELAXED);
	if (n >= 8)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "VIOLATION [%s, %s] %s\n", r->cfg, who, buf);
}

static struct win *win_of(struct run *r, uint64_t va, unsigned int *idx)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct win *w = &r->w[i];

		if (va >= w->base && va - w->base < (w->npages << PG_SHIFT)) {
			if (idx)
				*idx = i;
			return w;
		}
	}
	return NULL;
}

/* --- the log, reader side */

struct slot {
	uint64_t c, k, v;
};

static bool read_slot(const struct win *w, uint64_t p, unsigned int s,
		      struct slot *o)
{
	unsigned int tries;

	for (tries = 0; tries < 8; tries++) {
		uint64_t a =
			__atomic_load_n(&w->ra[p * RING + s], __ATOMIC_RELAXED);
		uint64_t b =
			__atomic_load_n(&w->rb[p * RING + s], __ATOMIC_RELAXED);

		if (!a && !b) {
			o->c = o->k = o->v = 0;
			return true;
		}
		if (((b >> 32) & A_CMASK) == a >> VAL_BITS) {
			o->c = b >> 32;
			o->k = b & 0xffffffffu;
			o->v = a & VAL_MASK;
			return true;
		}
	}
	return false;
}

/*
 * Whether page @p of @w may have shown @obs to a reader whose section
 * began after operation @k0 ended and whose answer was read before
 * operation @k1 + 1 began: 1 yes, 0 no, -1 the log no longer knows.
 */
static int allowed(const struct win *w, uint64_t p, uint64_t k0, uint64_t k1,
		   uint64_t obs)
{
	struct slot sl[RING];
	uint64_t m = 0, c;
	unsigned int s;

	for (s = 0; s < RING; s++)
		if (!read_slot(w, p, s, &sl[s]))
			return -1;
	/* The last change begun by k1 (every such change is in the log:
	 * the slot that would hold the next one holds nothing later). */
	for (s = 0; s < RING; s++)
		if (sl[s].c && sl[s].k <= k1 && sl[s].c > m)
			m = sl[s].c;
	if (sl[(m + 1) % RING].c > m + 1)
		return -1;
	/* Back from it to the value the page had when k0 ended. */
	for (c = m;; c--) {
		if (!c)
			return obs == 0;
		s = c % RING;
		if (sl[s].c != c)
			return -1;
		if (sl[s].v == obs)
			return 1;
		if (sl[s].k <= k0)
			return 0;
	}
}

static void dump_page(const struct win *w, uint64_t p, uint64_t k0, uint64_t k1,
		      char *buf, size_t n)
{
	size_t used;
	unsigned int s;

	used = (size_t)snprintf(buf, n,
				"window %s page %#" PRIx64
				", section ops (%" PRIu64 ", %" PRIu64 "]; "
				"log:",
				w->name, w->base + (p << PG_SHIFT), k0, k1);
	for (s = 0; s < RING && used < n; s++) {
		struct slot sl;
		char vb[64];

		if (!read_slot(w, p, s, &sl)) {
			used += (size_t)snprintf(buf + used, n - used,
						 " [torn]");
			continue;
		}
		if (!sl.c)
			continue;
		used += (size_t)snprintf(buf + used, n - used,
					 " [change %" PRIu64 " by op %" PRIu64
					 ": %s]",
					 sl.c, sl.k,
					 valstr(sl.v, vb, sizeof(vb)));
	}
}

/* --- reader checks */

static void sect_begin(struct reader *rd)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		rd->k0[i] =
			__atomic_load_n(&rd->r->w[i].ver, __ATOMIC_SEQ_CST) / 2;
}

/* Page @va (page-aligned) showed @obs in the current section. */
static void check_page(struct reader *rd, uint64_t va, uint64_t obs)
{
	struct run *r = rd->r;
	unsigned int wi;
	struct win *w = win_of(r, va, &wi);
	uint64_t k1;
	char who[16], vb[64], dump[512];
	int res;

	snprintf(who, sizeof(who), "reader %u", rd->id);
	if (!w) {
		if (obs)
			violation(r, who,
				  "%s: %#" PRIx64 " (no window) shows %s",
				  rd->how, va, valstr(obs, vb, sizeof(vb)));
		return;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	k1 = (__atomic_load_n(&w->ver, __ATOMIC_SEQ_CST) + 1) / 2;
	res = allowed(w, (va - w->base) >> PG_SHIFT, rd->k0[wi], k1, obs);
	rd->checks++;
	if (res < 0) {
		rd->unverified++;
	} else if (!res) {
		dump_page(w, (va - w->base) >> PG_SHIFT, rd->k0[wi], k1, dump,
			  sizeof(dump));
		violation(r, who,
			  "%s: %#" PRIx64 " shows %s, never its value "
			  "during the section: %s",
			  rd->how, va, valstr(obs, vb, sizeof(vb)), dump);
	}
}

/*
 * A leaf of 2^@lg2 bytes at @va to @oa with @prot, seen in the current
 * section: aligned, inside one window, and right at its first, last and
 * a random page (which also checks its size: a leaf too big for what was
 * mapped disagrees with the history somewhere).
 */
static void check_leaf(struct reader *rd, uint64_t va, unsigned int lg2,
		       ptk_oa_t oa, uint32_t prot)
{
	struct run *r = rd->r;
	uint64_t size = UINT64_C(1) << lg2, off[3];
	struct win *w = win_of(r, va, NULL);
	char who[16];
	unsigned int i;

	snprintf(who, sizeof(who), "reader %u", rd->id);
	if ((va | oa) & (size - 1)) {
		violation(r, who,
			  "%s: leaf %#" PRIx64 " -> %#" PRIx64 " of 2^%u bytes "
			  "is misaligned",
			  rd->how, va, oa, lg2);
		return;
	}
	if (!(prot & PTK_PROT_READ)) {
		violation(r, who, "%s: leaf %#" PRIx64 " has prot %#x", rd->how,
			  va, prot);
		return;
	}
	if (w && size > 1 &&
	    (va + size - 1 - w->base) >> PG_SHIFT >= w->npages) {
		violation(r, who,
			  "%s: leaf %#" PRIx64 " of 2^%u bytes reaches out of "
			  "window %s",
			  rd->how, va, lg2, w->name);
		return;
	}
	off[0] = 0;
	off[1] = size - PG;
	off[2] = ptk_rand_below(&rd->rnd, size >> PG_SHIFT) << PG_SHIFT;
	for (i = 0; i < 3; i++) {
		if (i && off[i] == 0)
			continue;
		check_page(rd, va + off[i], mkval(oa + off[i], prot));
	}
}

/* [va, last] was seen empty: check a few pages of it inside the windows. */
static void check_hole(struct reader *rd, uint64_t va, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		const struct win *w = &rd->r->w[i];
		uint64_t lo = va > w->base ? va : w->base;
		uint64_t wl = w->base + (w->npages << PG_SHIFT) - 1;
		uint64_t hi = last < wl ? last : wl;

		if (lo > hi)
			continue;
		lo &= ~PG_MASK;
		hi &= ~PG_MASK;
		check_page(rd, lo, 0);
		if (hi != lo)
			check_page(rd, hi, 0);
		if ((hi - lo) >> PG_SHIFT > 1)
			check_page(rd,
				   lo + (ptk_rand_range(
						 &rd->rnd, 1,
						 ((hi - lo) >> PG_SHIFT) - 1)
					 << PG_SHIFT),
				   0);
	}
}

static uint32_t leaf_prot(struct reader *rd, unsigned int level, ptk_pte_t pte)
{
	struct ptk_attrs a;
	int rc = ptk_leaf_attrs(&a, &rd->r->t, level, pte);

	if (rc) {
		char who[16];

		snprintf(who, sizeof(who), "reader %u", rd->id);
		violation(rd->r, who,
			  "%s: leaf entry %#" PRIx64 " at level %u does not "
			  "decode: %s",
			  rd->how, (uint64_t)pte, level, ptk_errname(rc));
		return 0;
	}
	return a.prot & PROT_MASK;
}

/* An address readers look at: near a writer's work, or anywhere. */
static uint64_t pick_va(struct reader *rd)
{
	struct ptk_rand *rnd = &rd->rnd;

	if (ptk_rand_chance(rnd, 1, 2)) {
		const struct win *w = &rd->r->w[ptk_rand_below(rnd, 2)];
		uint64_t h = __atomic_load_n(&w->hint, __ATOMIC_RELAXED);

		return h + ptk_rand_below(rnd, 64 * MiB);
	}
	return ptk_rand_range(rnd, ROAM_LO, ROAM_HI - 1);
}

static void reader_translate(struct reader *rd)
{
	struct run *r = rd->r;
	struct ptk_xlate x[8];
	uint64_t va[8];
	int rc[8];
	unsigned int n = 1 + (unsigned int)ptk_rand_below(&rd->rnd, 8), i;
	unsigned long tok;

	for (i = 0; i < n; i++)
		va[i] = pick_va(rd);
	sect_begin(rd);
	tok = ptk_read_begin(&r->t);
	for (i = 0; i < n; i++)
		rc[i] = ptk_translate(&r->t, va[i], &x[i]);
	ptk_read_end(&r->t, tok);
	rd->how = "translate";
	for (i = 0; i < n; i++) {
		rd->xlates++;
		if (rc[i] == PTK_ENOENT) {
			check_page(rd, va[i] & ~PG_MASK, 0);
		} else if (rc[i]) {
			violation(r, "reader", "translate %#" PRIx64 ": %s",
				  va[i], ptk_errname(rc[i]));
		} else {
			uint64_t lmask = (UINT64_C(1) << x[i].size_lg2) - 1;
			uint32_t prot = leaf_prot(rd, x[i].level, x[i].pte);

			/* the offset inside the page must survive */
			if ((x[i].oa & PG_MASK) != (va[i] & PG_MASK))
				violation(r, "reader",
					  "translate %#" PRIx64 " -> %#" PRIx64,
					  va[i], x[i].oa);
			check_page(rd, va[i] & ~PG_MASK,
				   mkval(x[i].oa & ~PG_MASK, prot));
			check_leaf(rd, va[i] & ~lmask, x[i].size_lg2,
				   x[i].oa - (va[i] & lmask), prot);
		}
	}
}

struct walk_arg {
	struct reader *rd;
};

static int rwalk_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct reader *rd = ((struct walk_arg *)arg)->rd;
	uint64_t pick[3] = { 0, l->count - 1,
			     ptk_rand_below(&rd->rnd, l->count) };
	unsigned int i;

	rd->items++;
	for (i = 0; i < 3; i++) {
		if (i && (pick[i] == 0 || (i == 2 && pick[2] == pick[1])))
			continue;
		check_leaf(rd, l->va + (pick[i] << l->size_lg2), l->size_lg2,
			   l->oa + (pick[i] << l->size_lg2),
			   l->attrs.prot & PROT_MASK);
	}
	return aborted(rd->r) ? 1 : 0;
}

static int rwalk_hole(ptk_va_t va, ptk_va_t last, unsigned int level, void *arg)
{
	struct reader *rd = ((struct walk_arg *)arg)->rd;

	(void)level;
	check_hole(rd, va, last);
	return 0;
}

static void pick_span(struct reader *rd, uint64_t *va, uint64_t *len)
{
	struct ptk_rand *rnd = &rd->rnd;
	uint64_t v = pick_va(rd) & ~PG_MASK, l;

	switch (ptk_rand_below(rnd, 8)) {
	case 0:
		v = ROAM_LO;
		l = ROAM_HI - ROAM_LO;
		break;
	case 1:
	case 2:
		l = ptk_rand_range(rnd, 1, 256 * MiB >> PG_SHIFT) << PG_SHIFT;
		break;
	default:
		l = ptk_rand_range(rnd, 1, 8 * MiB >> PG_SHIFT) << PG_SHIFT;
		break;
	}
	if (v >= ROAM_HI)
		v = ROAM_HI - PG;
	if (l > ROAM_HI - v)
		l = ROAM_HI - v;
	*va = v;
	*len = l;
}

static void reader_walk(struct reader *rd)
{
	static const struct ptk_walk_ops ops = {
		.leaf = rwalk_leaf,
		.hole = rwalk_hole,
	};
	struct run *r = rd->r;
	struct walk_arg wa = { rd };
	uint64_t va, len;
	unsigned long tok;
	int rc;

	pick_span(rd, &va, &len);
	rd->how = "walk";
	sect_begin(rd);
	tok = ptk_read_begin(&r->t);
	rc = ptk_walk(&r->t, va, len, &ops, &wa);
	ptk_read_end(&r->t, tok);
	rd->walks++;
	if (rc < 0)
		violation(r, "reader", "walk [%#" PRIx64 ", +%#" PRIx64 "): %s",
			  va, len, ptk_errname(rc));
}

/* One leaf @i of the current (run) item, read consistently. */
static void check_run_leaf(struct reader *rd, struct ptk_iter *it, uint64_t i)
{
	ptk_pte_t p1 = ptk_iter_pte(it, i), p2;
	ptk_oa_t oa = ptk_iter_oa(it, i);
	uint32_t prot;

	p2 = ptk_iter_pte(it, i);
	/* Changed under us (allowed): nothing to pin the OA to. Not a leaf
	 * any more (split, or cleared): fine too, it was one when seen. */
	if (p1 != p2 || oa == PTK_OA_INVALID)
		return;
	prot = leaf_prot(rd, it->level, p1);
	check_leaf(rd, it->va + (i << it->size_lg2), it->size_lg2, oa, prot);
}

static void reader_iter(struct reader *rd)
{
	static const unsigned int modes[4] = {
		0,
		PTK_ITER_RUNS,
		PTK_ITER_NO_ATTRS,
		PTK_ITER_RUNS | PTK_ITER_NO_ATTRS,
	};
	struct run *r = rd->r;
	unsigned int flags = modes[ptk_rand_below(&rd->rnd, 4)];
	/* A third of the iterations dwell: they let the writers run while
	 * they hold tables, so that tables are unlinked under them. */
	bool dwell = ptk_rand_chance(&rd->rnd, 1, 3);
	uint64_t va, len, exp, last, held = 0;
	struct ptk_iter it;
	int rc;

	pick_span(rd, &va, &len);
	last = va + len - 1;
	exp = va;
	rd->how = (flags & PTK_ITER_RUNS) ? "iterate (runs)" : "iterate";
	sect_begin(rd);
	rc = ptk_iter_init(&it, &r->t, va, len, flags);
	if (rc) {
		violation(r, "reader", "ptk_iter_init: %s", ptk_errname(rc));
		return;
	}
	rd->iters++;
	while ((rc = ptk_iter_next(&it)) > 0) {
		uint64_t end = it.va + (it.count << it.size_lg2);

		rd->items++;
		/* Plain reads of a shared table's entries would race with
		 * its writers: the array view is not handed out. */
		if (ptk_iter_ptes64(&it) && (r->t.flags & PTK_TABLE_SHARED))
			violation(r, "reader",
				  "ptk_iter_ptes64() on a shared table");
		if (flags & PTK_ITER_RUNS) {
			uint64_t pick = ptk_rand_below(&rd->rnd, it.count);

			check_run_leaf(rd, &it, 0);
			if (it.count > 1)
				check_run_leaf(rd, &it, it.count - 1);
			if (pick && pick + 1 < it.count)
				check_run_leaf(rd, &it, pick);
		} else {
			uint32_t prot =
				(flags & PTK_ITER_NO_ATTRS)
					? leaf_prot(rd, it.level, it.pte)
					: it.attrs.prot & PROT_MASK;

			if (it.count != 1)
				violation(r, "reader",
					  "iterate: count %" PRIu64, it.count);
			check_leaf(rd, it.va, it.size_lg2, it.oa, prot);
		}
		if (it.va > exp)
			check_hole(rd, exp, it.va - 1);
		if (end - 1 >= exp)
			exp = end;
		if (aborted(r))
			break;
		if (dwell && ptk_rand_chance(&rd->rnd, 1, 4))
			sched_yield(); /* still inside the section */
		if (ptk_rand_chance(&rd->rnd, 1, 16) || ++held == 64) {
			ptk_iter_yield(&it);
			rd->yields++;
			held = 0;
			if (ptk_rand_chance(&rd->rnd, 1, 4))
				sched_yield();
			/* The next step enters a new section. */
			sect_begin(rd);
		}
	}
	if (rc < 0)
		violation(r, "reader",
			  "iterate [%#" PRIx64 ", +%#" PRIx64 ") at %#" PRIx64
			  ": %s",
			  va, len, it.va, ptk_errname(rc));
	else if (!rc && exp <= last)
		check_hole(rd, exp, last);
	ptk_iter_fini(&it);
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct run *r = rd->r;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED) && !aborted(r)) {
		uint64_t x = ptk_rand_below(&rd->rnd, 10);

		if (x < 5)
			reader_translate(rd);
		else if (x < 8)
			reader_iter(rd);
		else
			reader_walk(rd);
	}
	return NULL;
}

/* --- writers */

/* What a writer sees that its model does not say. */
#define MISMATCH "%s (op %" PRIu64 "): %#" PRIx64 " is %s, model: %s"

struct wctx {
	struct run *r;
	struct win *w;
	char who[16];
};

/* Log page @p's change to @v as part of the running operation. */
static void rec(struct win *w, uint64_t p, uint64_t v)
{
	uint64_t old = w->cur[p], c;
	unsigned int s;

	if (old == v)
		return;
	c = ++w->nchg[p];
	s = (unsigned int)(c % RING);
	__atomic_store_n(&w->rb[p * RING + s], (c << 32) | w->k,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&w->ra[p * RING + s], ((c & A_CMASK) << VAL_BITS) | v,
			 __ATOMIC_RELAXED);
	w->cur[p] = v;
	w->mapped += (uint64_t)(v != 0) - (uint64_t)(old != 0);
}

static void op_begin(struct win *w)
{
	w->k++;
	__atomic_store_n(&w->ver, 2 * w->k - 1, __ATOMIC_SEQ_CST);
}

static void op_end(struct win *w)
{
	__atomic_store_n(&w->ver, 2 * w->k, __ATOMIC_SEQ_CST);
}

static uint64_t pva(const struct win *w, uint64_t p)
{
	return w->base + (p << PG_SHIFT);
}

static bool any_mapped(const struct win *w, uint64_t p, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (w->cur[p + i])
			return true;
	return false;
}

/* A range of pages [*p, *p + *n) in the window, of one of a few shapes. */
static void pick_range(struct win *w, uint64_t *p_out, uint64_t *n_out,
		       bool allow_1g)
{
	struct ptk_rand *rnd = &w->rnd;
	uint64_t np = w->npages, p, n;
	uint64_t lo = ptk_rand_chance(rnd, 2, 3) ? w->focus : 0;
	uint64_t span = lo ? (64 * MiB >> PG_SHIFT) : np;

	if (lo + span > np)
		span = np - lo;
	switch (ptk_rand_below(rnd, 10)) {
	case 0:
	case 1:
	case 2:
		p = lo + ptk_rand_below(rnd, span);
		n = 1 + ptk_rand_below(rnd, 16);
		break;
	case 3:
	case 4:
		p = lo + ptk_rand_below(rnd, span);
		n = 1 + ptk_rand_below(rnd, 1024);
		break;
	case 5:
	case 6:
		/* 2 MiB aligned: huge leaves, whole tables freed */
		p = (lo + ptk_rand_below(rnd, span)) & ~UINT64_C(511);
		n = 512 * (1 + ptk_rand_below(rnd, 4));
		break;
	case 7:
	case 8:
		/* across a 2 MiB boundary */
		p = ((lo + ptk_rand_below(rnd, span)) & ~UINT64_C(511)) + 512 -
		    1 - ptk_rand_below(rnd, 64);
		n = 1 + ptk_rand_below(rnd, 64) + 512 * ptk_rand_below(rnd, 2) +
		    ptk_rand_below(rnd, 64);
		break;
	default:
		if (allow_1g && w->big && ptk_rand_chance(rnd, 1, 3)) {
			/* a whole 1 GiB slot: 1G leaves, L1 tables freed */
			p = ptk_rand_below(rnd, np >> 18) << 18;
			n = UINT64_C(1) << 18;
		} else {
			p = (lo + ptk_rand_below(rnd, span)) & ~UINT64_C(511);
			n = 512;
		}
		break;
	}
	if (p >= np)
		p = np - 1;
	if (n > np - p)
		n = np - p;
	*p_out = p;
	*n_out = n;
}

/* Translate page @p inside a section and compare with the model. */
static void self_check_page(struct wctx *wc, uint64_t p, const char *after)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_xlate x;
	unsigned long tok = ptk_read_begin(&r->t);
	int rc = ptk_translate(&r->t, pva(w, p), &x);
	uint64_t got = 0;
	char b1[64], b2[64];

	ptk_read_end(&r->t, tok);
	if (!rc) {
		struct ptk_attrs a;

		if (ptk_leaf_attrs(&a, &r->t, x.level, x.pte))
			a.prot = 0;
		got = mkval(x.oa, a.prot & PROT_MASK);
	} else if (rc != PTK_ENOENT) {
		violation(r, wc->who, "after %s: translate %#" PRIx64 ": %s",
			  after, pva(w, p), ptk_errname(rc));
		return;
	}
	if (got != w->cur[p])
		violation(r, wc->who, MISMATCH, after, w->k, pva(w, p),
			  valstr(got, b1, sizeof(b1)),
			  valstr(w->cur[p], b2, sizeof(b2)));
}

struct cmp_arg {
	struct wctx *wc;
	const struct win *w;
	const char *what;
	uint64_t pages;
};

static int cmp_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct cmp_arg *ca = arg;
	const struct win *w = ca->w;
	uint64_t bytes = l->count << l->size_lg2, off;

	for (off = 0; off < bytes; off += PG) {
		uint64_t va = l->va + off, p = (va - w->base) >> PG_SHIFT;
		uint64_t want,
			got = mkval(l->oa + off, l->attrs.prot & PROT_MASK);
		char b1[64], b2[64];

		if (va < w->base || p >= w->npages) {
			violation(ca->wc->r, ca->wc->who,
				  "%s: leaf at %#" PRIx64 " outside window %s",
				  ca->what, va, w->name);
			return 1;
		}
		want = w->cur[p];
		if (got != want) {
			violation(ca->wc->r, ca->wc->who, MISMATCH, ca->what,
				  w->k, va, valstr(got, b1, sizeof(b1)),
				  valstr(want, b2, sizeof(b2)));
			return 1;
		}
		ca->pages++;
	}
	return 0;
}

/* Table @t over window pages [p, p + n) against the model, exactly. */
static void compare_range(struct wctx *wc, const struct ptk_table *t,
			  uint64_t p, uint64_t n, const char *what)
{
	static const struct ptk_walk_ops ops = { .leaf = cmp_leaf };
	struct win *w = wc->w;
	struct cmp_arg ca = { wc, w, what, 0 };
	uint64_t want = 0, i;
	unsigned long tok = ptk_read_begin(t);
	int rc = ptk_walk(t, pva(w, p), n << PG_SHIFT, &ops, &ca);

	ptk_read_end(t, tok);
	if (rc < 0)
		violation(wc->r, wc->who, "%s: walk: %s", what,
			  ptk_errname(rc));
	if (rc)
		return;
	for (i = 0; i < n; i++)
		want += w->cur[p + i] != 0;
	if (ca.pages != want)
		violation(wc->r, wc->who,
			  "%s (op %" PRIu64 "): %" PRIu64 " pages mapped, the "
			  "model says %" PRIu64,
			  what, w->k, ca.pages, want);
}

static void self_check(struct wctx *wc, uint64_t p, uint64_t n,
		       const char *after)
{
	struct win *w = wc->w;

	self_check_page(wc, p, after);
	self_check_page(wc, p + n - 1, after);
	self_check_page(wc, p + ptk_rand_below(&w->rnd, n), after);
	self_check_page(wc, ptk_rand_below(&w->rnd, w->npages), after);
}

/* A gather now and then: on a shared table it never holds tables. */
static struct ptk_gather *maybe_gather(struct win *w, struct ptk_gather *g)
{
	if (ptk_rand_chance(&w->rnd, 1, 2))
		return NULL;
	ptk_gather_init(g);
	return g;
}

static void end_gather(struct wctx *wc, struct ptk_gather *g)
{
	if (!g)
		return;
	if (g->nr_free && !wc->r->solo)
		violation(wc->r, wc->who,
			  "a gather queued %" PRIu64 " tables of a shared "
			  "table",
			  g->nr_free);
	ptk_table_flush(&wc->r->t, g);
}

static ptk_oa_t new_oa(struct run *r, struct win *w, uint64_t p)
{
	uint64_t tag = ((w->k + 1) & r->tagmask) + 1;

	return (tag << 33) + (p << PG_SHIFT);
}

static bool expect_ok(struct wctx *wc, const char *what, uint64_t va,
		      uint64_t len, int rc)
{
	if (!rc)
		return true;
	violation(wc->r, wc->who,
		  "%s [%#" PRIx64 ", +%#" PRIx64 ") (op %" PRIu64 "): %s", what,
		  va, len, wc->w->k, ptk_errname(rc));
	return false;
}

static void do_map(struct wctx *wc, uint64_t p, uint64_t n, unsigned int flags)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_gather gs, *g = maybe_gather(w, &gs);
	struct ptk_attrs a = { .prot = prots[ptk_rand_below(&w->rnd, 4)] };
	ptk_oa_t oa = new_oa(r, w, p);
	uint64_t i;
	int rc;

	w->nops[OP_MAP]++;
	if (any_mapped(w, p, n) || ptk_rand_chance(&w->rnd, 1, 4))
		flags |= PTK_MAP_REPLACE;
	if (ptk_rand_chance(&w->rnd, 1, 4))
		oa += (1 + ptk_rand_below(&w->rnd, 511)) << PG_SHIFT;
	op_begin(w);
	for (i = 0; i < n; i++)
		rec(w, p + i, mkval(oa + (i << PG_SHIFT), a.prot));
	rc = ptk_map(&r->t, pva(w, p), n << PG_SHIFT, oa, &a, flags, g);
	op_end(w);
	end_gather(wc, g);
	if (expect_ok(wc, "map", pva(w, p), n << PG_SHIFT, rc))
		self_check(wc, p, n, "map");
}

static void op_map(struct wctx *wc)
{
	struct win *w = wc->w;
	unsigned int flags = 0;
	uint64_t p, n;

	pick_range(w, &p, &n, true);
	if (ptk_rand_chance(&w->rnd, 1, 6))
		flags |= PTK_MAP_MAX_PAGE(ptk_rand_chance(&w->rnd, 1, 2) ? 12
									 : 21);
	do_map(wc, p, n, flags);
}

static void op_unmap(struct wctx *wc)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_gather gs, *g = maybe_gather(w, &gs);
	uint64_t p, n, i;
	int rc;

	w->nops[OP_UNMAP]++;
	pick_range(w, &p, &n, true);
	op_begin(w);
	for (i = 0; i < n; i++)
		rec(w, p + i, 0);
	rc = ptk_unmap(&r->t, pva(w, p), n << PG_SHIFT, PTK_UNMAP_SPLIT, g);
	op_end(w);
	end_gather(wc, g);
	if (expect_ok(wc, "unmap", pva(w, p), n << PG_SHIFT, rc))
		self_check(wc, p, n, "unmap");
}

static void op_protect(struct wctx *wc)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_gather gs, *g = maybe_gather(w, &gs);
	uint32_t prot = prots[ptk_rand_below(&w->rnd, 4)];
	uint64_t p, n, i;
	int rc;

	w->nops[OP_PROTECT]++;
	pick_range(w, &p, &n, true);
	op_begin(w);
	for (i = 0; i < n; i++)
		rec(w, p + i, reprot(w->cur[p + i], prot));
	rc = ptk_protect(&r->t, pva(w, p), n << PG_SHIFT, prot,
			 PTK_PROTECT_SPLIT, g);
	op_end(w);
	end_gather(wc, g);
	if (expect_ok(wc, "protect", pva(w, p), n << PG_SHIFT, rc))
		self_check(wc, p, n, "protect");
}

static void op_move(struct wctx *wc)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_gather gs, *g;
	uint64_t p, n, d = 0, i;
	unsigned int tries;
	bool found = false;
	int rc;

	w->nops[OP_MOVE]++;
	pick_range(w, &p, &n, true);
	for (tries = 0; tries < 16 && !found; tries++) {
		if (n > w->npages / 2)
			break;
		d = ptk_rand_below(&w->rnd, w->npages - n + 1);
		/* Half the time a delta that keeps 2 MiB alignment (whole
		 * tables relinked), or 1 GiB for a whole slot. */
		if (ptk_rand_chance(&w->rnd, 1, 2)) {
			uint64_t al = n >= (UINT64_C(1) << 18)
					      ? (UINT64_C(1) << 18)
					      : 512;

			d = (d & ~(al - 1)) + (p & (al - 1));
			if (d + n > w->npages)
				continue;
		}
		if (d < p + n && p < d + n)
			continue;
		found = !any_mapped(w, d, n);
	}
	if (!found) {
		w->nskip[OP_MOVE]++;
		return;
	}
	g = maybe_gather(w, &gs);
	op_begin(w);
	for (i = 0; i < n; i++)
		rec(w, d + i, w->cur[p + i]);
	for (i = 0; i < n; i++)
		rec(w, p + i, 0);
	rc = ptk_move(&r->t, pva(w, p), pva(w, d), n << PG_SHIFT,
		      PTK_MOVE_SPLIT, g);
	op_end(w);
	end_gather(wc, g);
	if (expect_ok(wc, "move", pva(w, p), n << PG_SHIFT, rc)) {
		self_check(wc, p, n, "move (source)");
		self_check(wc, d, n, "move (destination)");
	}
}

/* A mapped page of the focus region, or of the window; false if none. */
static bool find_mapped(struct win *w, uint64_t *p_out)
{
	unsigned int tries;

	for (tries = 0; tries < 32; tries++) {
		uint64_t p = ptk_rand_chance(&w->rnd, 3, 4)
				     ? w->focus + ptk_rand_below(
							  &w->rnd,
							  64 * MiB >> PG_SHIFT)
				     : ptk_rand_below(&w->rnd, w->npages);

		if (p < w->npages && w->cur[p]) {
			*p_out = p;
			return true;
		}
	}
	return false;
}

static void op_split(struct wctx *wc)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_gather gs, *g;
	struct ptk_xlate x;
	unsigned long tok;
	uint64_t p;
	int rc;

	w->nops[OP_SPLIT]++;
	if (!find_mapped(w, &p)) {
		w->nskip[OP_SPLIT]++;
		return;
	}
	tok = ptk_read_begin(&r->t);
	rc = ptk_translate(&r->t, pva(w, p), &x);
	ptk_read_end(&r->t, tok);
	if (rc || !x.level) {
		if (rc)
			expect_ok(wc, "translate before split", pva(w, p), PG,
				  rc);
		w->nskip[OP_SPLIT]++;
		return;
	}
	g = maybe_gather(w, &gs);
	op_begin(w);
	rc = ptk_split(&r->t, pva(w, p), x.level, g);
	op_end(w);
	end_gather(wc, g);
	if (expect_ok(wc, "split", pva(w, p), PG, rc))
		self_check(wc,
			   p & ~((UINT64_C(1) << (x.size_lg2 - PG_SHIFT)) - 1),
			   UINT64_C(1) << (x.size_lg2 - PG_SHIFT), "split");
}

/* Whether the model maps pages [p, p + n) as one huge leaf could. */
static bool uniform(const struct win *w, uint64_t p, uint64_t n)
{
	uint64_t v0 = w->cur[p], i;

	if (!v0 || ((v0 >> 4) & (n - 1)))
		return false;
	for (i = 1; i < n; i++)
		if (w->cur[p + i] != v0 + (i << 4))
			return false;
	return true;
}

static void op_collapse(struct wctx *wc)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_gather gs, *g;
	bool big = w->big && ptk_rand_chance(&w->rnd, 1, 4);
	uint64_t n = big ? UINT64_C(1) << 18 : 512, p;
	unsigned int level = big ? 2 : 1;
	bool uni;
	int rc;

	w->nops[OP_COLLAPSE]++;
	if (big)
		p = ptk_rand_below(&w->rnd, w->npages >> 18) << 18;
	else
		p = ((ptk_rand_chance(&w->rnd, 3, 4)
			      ? w->focus + ptk_rand_below(&w->rnd,
							  64 * MiB >> PG_SHIFT)
			      : ptk_rand_below(&w->rnd, w->npages)) &
		     ~UINT64_C(511));
	if (p + n > w->npages)
		p = (w->npages - n) & ~(n - 1);
	/* Half the time, first map it with leaves one level down. */
	if (ptk_rand_chance(&w->rnd, 1, 2))
		do_map(wc, p, n, PTK_MAP_MAX_PAGE(big ? 21 : 12));
	if (aborted(r))
		return;
	uni = uniform(w, p, n);
	g = maybe_gather(w, &gs);
	op_begin(w);
	rc = ptk_collapse(&r->t, pva(w, p), level, g);
	op_end(w);
	end_gather(wc, g);
	if (rc == PTK_ENOENT || rc == PTK_ENOTUNIFORM) {
		w->nskip[OP_COLLAPSE]++;
		rc = 0;
	} else if (!rc && !uni) {
		violation(r, wc->who,
			  "collapse %#" PRIx64 " at level %u (op %" PRIu64
			  ") succeeded, but the model is not uniform there",
			  pva(w, p), level, w->k);
		return;
	}
	if (expect_ok(wc, "collapse", pva(w, p), n << PG_SHIFT, rc))
		self_check(wc, p, n, "collapse");
}

static void op_copy(struct wctx *wc)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_gather gs, *g;
	bool cow = ptk_rand_chance(&w->rnd, 1, 2);
	uint64_t p, n, i;
	int rc;

	w->nops[OP_COPY]++;
	pick_range(w, &p, &n, false);
	g = maybe_gather(w, &gs);
	op_begin(w);
	if (cow)
		for (i = 0; i < n; i++) {
			w->old[i] = w->cur[p + i];
			rec(w, p + i,
			    reprot(w->cur[p + i],
				   (uint32_t)((w->cur[p + i] >> 1) & 7) &
					   ~PTK_PROT_WRITE));
		}
	rc = ptk_copy(&w->priv, &r->t, pva(w, p), n << PG_SHIFT,
		      cow ? PTK_COPY_COW : 0, g);
	if (rc == PTK_ESPLIT && cow) {
		/* Refused as documented: nothing changed, log it back. */
		for (i = 0; i < n; i++)
			rec(w, p + i, w->old[i]);
	}
	op_end(w);
	end_gather(wc, g);
	if (rc == PTK_ESPLIT && cow) {
		w->nskip[OP_COPY]++;
		self_check(wc, p, n, "refused copy");
		return;
	}
	if (!expect_ok(wc, cow ? "copy (cow)" : "copy", pva(w, p),
		       n << PG_SHIFT, rc))
		return;
	self_check(wc, p, n, "copy");
	/* The copy holds exactly the model's range; then empty it again. */
	compare_range(wc, &w->priv, p, n, "copy's destination");
	rc = ptk_unmap(&w->priv, pva(w, p), n << PG_SHIFT, 0, NULL);
	expect_ok(wc, "unmap of the copy", pva(w, p), n << PG_SHIFT, rc);
	if (!ptk_rand_below(&w->rnd, 64)) {
		struct ptk_check c;

		rc = ptk_table_check(&c, &w->priv);
		if (rc || c.leaves[0] || c.leaves[1] || c.leaves[2] ||
		    c.tables[0] || c.tables[1] || c.tables[2])
			violation(r, wc->who,
				  "copy destination after unmap: %s",
				  c.what ? c.what : "leftovers");
	}
}

/* Rewrite or clear items of a range through the iterator. */
static void op_iter(struct wctx *wc)
{
	struct run *r = wc->r;
	struct win *w = wc->w;
	struct ptk_gather gs, *g = maybe_gather(w, &gs);
	unsigned int flags = ptk_rand_chance(&w->rnd, 1, 2) ? PTK_ITER_RUNS : 0;
	struct ptk_iter it;
	uint64_t p, n, i;
	int rc;

	w->nops[OP_ITER]++;
	pick_range(w, &p, &n, true);
	op_begin(w);
	rc = ptk_iter_init(&it, &r->t, pva(w, p), n << PG_SHIFT, flags);
	if (!expect_ok(wc, "ptk_iter_init", pva(w, p), n << PG_SHIFT, rc)) {
		op_end(w);
		return;
	}
	while ((rc = ptk_iter_next(&it)) > 0) {
		uint64_t ip = (it.va - w->base) >> PG_SHIFT;
		uint64_t in = (it.count << it.size_lg2) >> PG_SHIFT;
		uint64_t act = ptk_rand_below(&w->rnd, 10);
		ptk_oa_t oa0 = ptk_iter_oa(&it, 0);
		struct ptk_attrs a;
		char b1[64], b2[64];

		if (it.va < w->base || ip + in > w->npages) {
			violation(r, wc->who,
				  "iterator item %#" PRIx64 " +%" PRIu64
				  " pages reaches out of window %s",
				  it.va, in, w->name);
			break;
		}
		if (ptk_leaf_attrs(&a, &r->t, it.level, ptk_iter_pte(&it, 0)))
			a.prot = 0;
		if (mkval(oa0, a.prot & PROT_MASK) != w->cur[ip]) {
			violation(r, wc->who,
				  "iterator item %#" PRIx64 " shows %s, the "
				  "model says %s",
				  it.va,
				  valstr(mkval(oa0, a.prot & PROT_MASK), b1,
					 sizeof(b1)),
				  valstr(w->cur[ip], b2, sizeof(b2)));
			break;
		}
		if (act < 4) {
			for (i = 0; i < in; i++)
				rec(w, ip + i, 0);
			rc = ptk_iter_clear(&it, g);
			if (!expect_ok(wc, "ptk_iter_clear", it.va,
				       in << PG_SHIFT, rc))
				break;
			/* Clearing may retire tables: not from inside our
			 * own section for long (the ring could fill with
			 * blocks we hold back ourselves). */
			ptk_iter_yield(&it);
		} else if (act < 7) {
			ptk_oa_t oa = new_oa(r, w, ip);

			a.prot = prots[ptk_rand_below(&w->rnd, 4)];
			for (i = 0; i < in; i++) {
				w->old[i] = w->cur[ip + i];
				rec(w, ip + i,
				    mkval(oa + (i << PG_SHIFT), a.prot));
			}
			rc = ptk_iter_set(&it, oa, &a, 0, g);
			if (rc == PTK_ENOTSUP) {
				/* a contiguous group: refused, log it back */
				for (i = 0; i < in; i++)
					rec(w, ip + i, w->old[i]);
				w->nrefused++;
			} else if (!expect_ok(wc, "ptk_iter_set", it.va,
					      in << PG_SHIFT, rc)) {
				break;
			}
		}
		if (aborted(r))
			break;
	}
	if (rc < 0)
		expect_ok(wc, "ptk_iter_next", pva(w, p), n << PG_SHIFT, rc);
	ptk_iter_fini(&it);
	op_end(w);
	end_gather(wc, g);
	if (!aborted(r))
		self_check(wc, p, n, "iterator rewrite");
}

static void *writer_main(void *arg)
{
	struct wctx *wc = arg;
	struct run *r = wc->r;
	struct win *w = wc->w;
	uint64_t nops = 0;

	while (now_ns() - r->t0_ns < w->start_ns && !aborted(r))
		sleep_ms(5);
	/* Past its time while it has done too little to prove anything
	 * (a loaded machine), up to ten times the run's length. */
	while ((now_ns() - r->t0_ns < w->stop_ns ||
		(w->k < w->min_k && now_ns() - r->t0_ns < 10 * r->dur_ns)) &&
	       !aborted(r) && (!r->max_ops || w->k < r->max_ops)) {
		uint64_t x = ptk_rand_below(&w->rnd, 100);

		if (!(nops % 512)) {
			w->focus = ptk_rand_below(&w->rnd, w->npages) &
				   ~UINT64_C(511);
			__atomic_store_n(&w->hint, pva(w, w->focus),
					 __ATOMIC_RELAXED);
		}
		if (x < 26)
			op_map(wc);
		else if (x < 44)
			op_unmap(wc);
		else if (x < 58)
			op_protect(wc);
		else if (x < 70)
			op_move(wc);
		else if (x < 75)
			op_split(wc);
		else if (x < 80)
			op_collapse(wc);
		else if (x < 88)
			op_copy(wc);
		else
			op_iter(wc);
		if (!(++nops % 256) && !aborted(r))
			compare_range(wc, &r->t, 0, w->npages, "full check");
	}
	return NULL;
}

/* --- one configuration */

struct cfg {
	const char *name;
	const char *fmt;
	bool arena;
	bool generic;
};

static void win_init(struct run *r, struct win *w, const char *name,
		     uint64_t base, uint64_t size, bool big, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->name = name;
	w->base = base;
	w->npages = size >> PG_SHIFT;
	w->big = big;
	w->ra = calloc(w->npages * RING, sizeof(*w->ra));
	w->rb = calloc(w->npages * RING, sizeof(*w->rb));
	w->cur = calloc(w->npages, sizeof(*w->cur));
	w->nchg = calloc(w->npages, sizeof(*w->nchg));
	w->old = calloc(w->npages, sizeof(*w->old));
	PTK_ASSERT(w->ra && w->rb && w->cur && w->nchg && w->old);
	ptk_rand_seed(&w->rnd, seed);
	PTK_ASSERT_OK(ptk_mem_heap_init(&w->priv_heap));
	PTK_ASSERT_OK(ptk_table_create(&w->priv, r->fmt, &w->priv_heap.mem, 0));
}

static void win_fini(struct win *w)
{
	ptk_table_destroy(&w->priv);
	PTK_EXPECT_EQ(w->priv_heap.stats.live, 0);
	ptk_mem_heap_fini(&w->priv_heap);
	free(w->ra);
	free(w->rb);
	free(w->cur);
	free(w->nchg);
	free(w->old);
}

/* The formats must express the four protections exactly. */
static void check_prots(const struct ptk_fmt *f)
{
	struct ptk_mem_heap h;
	struct ptk_table t;
	unsigned int i;

	PTK_ASSERT_OK(ptk_mem_heap_init(&h));
	PTK_ASSERT_OK(ptk_table_create(&t, f, &h.mem, 0));
	for (i = 0; i < 4; i++) {
		struct ptk_attrs a = { .prot = prots[i] }, d;
		struct ptk_xlate x;
		uint64_t va = UINT64_C(0x40000000) + ((uint64_t)i << 21);

		PTK_ASSERT_OK(ptk_map(&t, va, PG, va, &a, 0, NULL));
		PTK_ASSERT_OK(ptk_translate(&t, va, &x));
		PTK_ASSERT_OK(ptk_leaf_attrs(&d, &t, x.level, x.pte));
		PTK_EXPECT_EQ(d.prot & PROT_MASK, prots[i]);
	}
	ptk_table_destroy(&t);
	ptk_mem_heap_fini(&h);
}

static int count_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	*(uint64_t *)arg += (l->count << l->size_lg2) >> PG_SHIFT;
	return 0;
}

static void run_cfg(const struct cfg *cfg)
{
	static const struct ptk_walk_ops count_ops = { .leaf = count_leaf };
	struct ptk_rand rnd;
	struct ptk_mem_heap heap;
	struct ptk_mem_arena arena;
	struct ptk_ebr *ebr;
	struct ptk_ebr_stats st;
	struct ptk_check chk;
	struct run *r;
	struct reader *rd;
	struct wctx wc[2];
	pthread_t wt[2], *rt;
	const struct ptk_mem *inner;
	uint64_t ms = ptk_test_env_u64("PTK_SHARED_MS", 1100), total = 0, seen;
	bool r_solo;
	unsigned int nr = (unsigned int)ptk_test_env_u64("PTK_SHARED_READERS",
							 3),
		     i, j;

	if (nr < 1)
		nr = 1;
	r_solo = ptk_test_env_u64("PTK_SHARED_SOLO", 0) != 0;
	if (r_solo)
		nr = 0;
	if (nr > 32)
		nr = 32;
	ptk_test_rand(&rnd);
	r = calloc(1, sizeof(*r));
	ebr = malloc(sizeof(*ebr));
	rd = calloc(nr + 1, sizeof(*rd));
	rt = calloc(nr + 1, sizeof(*rt));
	PTK_ASSERT(r && ebr && rd && rt);
	r->cfg = cfg->name;
	r->fmt = ptk_fmt_lookup(cfg->fmt);
	PTK_ASSERT(r->fmt);
	check_prots(r->fmt);
	/* The tag above bit 33 must leave the OA inside the format. */
	r->tagmask =
		(UINT64_C(1)
		 << (r->fmt->oa_bits - 34 < 16 ? r->fmt->oa_bits - 34 : 16)) -
		1;

	if (cfg->arena) {
		PTK_ASSERT_OK(ptk_mem_arena_create(&arena, 1 * GiB, 128 * MiB));
		inner = &arena.mem;
	} else {
		PTK_ASSERT_OK(ptk_mem_heap_init(&heap));
		inner = &heap.mem;
	}
	PTK_ASSERT_OK(ptk_ebr_init(ebr, inner));
	PTK_ASSERT_OK(ptk_table_create(&r->t, r->fmt, &ebr->mem,
				       (r_solo ? 0 : PTK_TABLE_SHARED) |
					       (cfg->generic ? PTK_TABLE_GENERIC
							     : 0)));

	/*
	 * Window A: [4G, 7.5G), with three whole 1 GiB slots; window B:
	 * [7.5G, 8.5G). They share the table for [7G, 8G) and the one
	 * above all of them, so the writers race to install those.
	 */
	win_init(r, &r->w[0], "A", 4 * GiB, 3 * GiB + 512 * MiB, true,
		 ptk_rand_next(&rnd));
	win_init(r, &r->w[1], "B", 7 * GiB + 512 * MiB, 1 * GiB, false,
		 ptk_rand_next(&rnd));
	r->dur_ns = ms * 1000000u;
	r->w[0].start_ns = 0;
	r->w[0].stop_ns = r->dur_ns;
	/* B writes for the middle half of the run. */
	r->w[1].start_ns = r->dur_ns / 4;
	r->w[1].stop_ns = r_solo ? 0 : r->dur_ns / 4 * 3;
	r->solo = r_solo;
	r->w[0].min_k = 101;
	r->w[1].min_k = r_solo ? 0 : 21;
	r->max_ops = ptk_test_env_u64("PTK_SHARED_OPS", 0);
	r->nreaders = nr;

	r->t0_ns = now_ns();
	for (i = 0; i < nr; i++) {
		rd[i].r = r;
		rd[i].id = i;
		ptk_rand_seed(&rd[i].rnd, ptk_rand_next(&rnd));
		PTK_ASSERT_EQ(pthread_create(&rt[i], NULL, reader_main, &rd[i]),
			      0);
	}
	for (i = 0; i < 2; i++) {
		wc[i].r = r;
		wc[i].w = &r->w[i];
		snprintf(wc[i].who, sizeof(wc[i].who), "writer %s",
			 r->w[i].name);
		PTK_ASSERT_EQ(pthread_create(&wt[i], NULL, writer_main, &wc[i]),
			      0);
	}
	for (i = 0; i < 2; i++)
		PTK_ASSERT_EQ(pthread_join(wt[i], NULL), 0);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nr; i++) {
		PTK_ASSERT_EQ(pthread_join(rt[i], NULL), 0);
		r->checks += rd[i].checks;
		r->unverified += rd[i].unverified;
		r->xlates += rd[i].xlates;
		r->items += rd[i].items;
		r->walks += rd[i].walks;
		r->iters += rd[i].iters;
		r->yields += rd[i].yields;
	}

	/* Quiet now: the table is exactly both models. */
	if (!r->violations) {
		for (i = 0; i < 2; i++) {
			compare_range(&wc[i], &r->t, 0, r->w[i].npages,
				      "final check");
			total += r->w[i].mapped;
		}
		seen = 0;
		PTK_EXPECT_OK(ptk_walk_all(&r->t, &count_ops, &seen));
		PTK_EXPECT_EQ(seen, total);
	}
	memset(&chk, 0, sizeof(chk));
	if (ptk_table_check(&chk, &r->t))
		PTK_FAIL("ptk_table_check: %s at level %d va %#" PRIx64,
			 chk.what, chk.bad_level, (uint64_t)chk.bad_va);

	ptk_ebr_stats(ebr, &st);
	printf("%s: %u readers, %" PRIu64 " translations, %" PRIu64
	       " walks, %" PRIu64 " iterations (%" PRIu64 " yields), %" PRIu64
	       " items; %" PRIu64 " page checks, %" PRIu64 " unverifiable "
	       "(%.2f%%)\n",
	       cfg->name, nr, r->xlates, r->walks, r->iters, r->yields,
	       r->items, r->checks, r->unverified,
	       r->checks ? 100.0 * (double)r->unverified / (double)r->checks
			 : 0.0);
	for (i = 0; i < 2; i++) {
		const struct win *w = &r->w[i];

		printf("%s: writer %s: %" PRIu64 " ops:", cfg->name, w->name,
		       w->k);
		for (j = 0; j < OP_NR; j++)
			printf(" %s %" PRIu64 "/%" PRIu64, op_names[j],
			       w->nops[j] - w->nskip[j], w->nops[j]);
		printf("; %" PRIu64 " group items left alone by the iterator; "
		       "%" PRIu64 " pages mapped at the end\n",
		       w->nrefused, w->mapped);
	}
	printf("%s: ebr: %" PRIu64 " retired, %" PRIu64 " freed, %" PRIu64
	       " waits, epoch %" PRIu64 "\n",
	       cfg->name, st.retired, st.freed, st.waits, st.epoch);

	PTK_EXPECT_EQ(r->violations, 0);
	/* A test that checked nothing proves nothing. */
	if (!r->solo && !r->max_ops) {
		PTK_EXPECT(r->checks > 1000);
		PTK_EXPECT(r->unverified * 4 < r->checks);
		PTK_EXPECT(r->w[0].k > 100 && r->w[1].k > 20);
		PTK_EXPECT(st.retired > 0);
	}

	/* Destroy retires every table; then nothing may stay behind. */
	ptk_table_destroy(&r->t);
	ptk_ebr_synchronize(ebr);
	ptk_ebr_stats(ebr, &st);
	PTK_EXPECT_EQ(st.freed, st.retired);
	ptk_ebr_fini(ebr);
	ptk_ebr_stats(ebr, &st);
	PTK_EXPECT_EQ(st.freed, st.retired);
	if (cfg->arena) {
		PTK_EXPECT_EQ(arena.stats.live, 0);
		PTK_EXPECT_EQ(arena.stats.allocs, arena.stats.frees);
		ptk_mem_arena_destroy(&arena);
	} else {
		PTK_EXPECT_EQ(heap.stats.live, 0);
		PTK_EXPECT_EQ(heap.stats.allocs, heap.stats.frees);
		ptk_mem_heap_fini(&heap);
	}
	for (i = 0; i < 2; i++)
		win_fini(&r->w[i]);
	free(ebr);
	free(rd);
	free(rt);
	free(r);
}

/* The checker itself, on a one-page window with a known history. */
PTK_TEST(shared_history)
{
	static const uint32_t pr[8] = { 1, 3, 5, 7, 1, 3, 5, 7 };
	uint64_t v[8];
	struct win w;
	unsigned int i;

	memset(&w, 0, sizeof(w));
	w.name = "unit";
	w.npages = 1;
	w.ra = calloc(RING, sizeof(*w.ra));
	w.rb = calloc(RING, sizeof(*w.rb));
	w.cur = calloc(1, sizeof(*w.cur));
	w.nchg = calloc(1, sizeof(*w.nchg));
	PTK_ASSERT(w.ra && w.rb && w.cur && w.nchg);
	for (i = 0; i < 8; i++)
		v[i] = mkval((uint64_t)(i + 1) << 21, pr[i]);

	/* never changed: only "unmapped" */
	PTK_EXPECT_EQ(allowed(&w, 0, 0, 0, 0), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 0, 0, v[0]), 0);
	/* op 1 maps v0, op 2 leaves the page alone, op 3 maps v1 */
	op_begin(&w);
	rec(&w, 0, v[0]);
	op_end(&w);
	op_begin(&w);
	op_end(&w);
	op_begin(&w);
	rec(&w, 0, v[1]);
	op_end(&w);
	PTK_EXPECT_EQ(allowed(&w, 0, 0, 0, 0), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 0, 0, v[0]), 0); /* op 1 not begun */
	PTK_EXPECT_EQ(allowed(&w, 0, 0, 1, 0), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 0, 1, v[0]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 1, 2, 0), 0); /* gone by op 1's end */
	PTK_EXPECT_EQ(allowed(&w, 0, 1, 2, v[0]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 1, 3, v[1]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 1, 3, v[0]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 3, 3, v[0]), 0);
	PTK_EXPECT_EQ(allowed(&w, 0, 3, 3, v[1]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 1, 3, v[2]), 0); /* never */
	/* ops 4..7 map v2..v5: the ring (4 slots) forgets changes 1, 2 */
	for (i = 2; i < 6; i++) {
		op_begin(&w);
		rec(&w, 0, v[i]);
		op_end(&w);
	}
	PTK_EXPECT_EQ(allowed(&w, 0, 3, 3, v[1]), -1);
	PTK_EXPECT_EQ(allowed(&w, 0, 3, 7, v[1]), -1);
	PTK_EXPECT_EQ(allowed(&w, 0, 4, 7, v[2]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 4, 7, v[5]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 4, 7, v[1]), 0);
	PTK_EXPECT_EQ(allowed(&w, 0, 5, 5, v[3]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 5, 5, v[4]), 0); /* op 6 not begun */
	PTK_EXPECT_EQ(allowed(&w, 0, 5, 6, v[4]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 7, 7, v[5]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 7, 7, 0), 0);
	/* op 8 logs v6, is refused and logs v5 back: both possible in it */
	op_begin(&w);
	rec(&w, 0, v[6]);
	rec(&w, 0, v[5]);
	op_end(&w);
	PTK_EXPECT_EQ(allowed(&w, 0, 7, 8, v[6]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 7, 8, v[5]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 8, 8, v[5]), 1);
	PTK_EXPECT_EQ(allowed(&w, 0, 7, 8, v[4]), 0);
	/* a torn slot (the writer between its two stores) is not trusted */
	__atomic_store_n(&w.rb[0], (UINT64_C(99) << 32) | 9, __ATOMIC_RELAXED);
	PTK_EXPECT_EQ(allowed(&w, 0, 8, 8, v[5]), -1);
	free(w.ra);
	free(w.rb);
	free(w.cur);
	free(w.nchg);
}

PTK_TEST(shared_x86_64)
{
	static const struct cfg c = { "x86_64/heap", "x86_64", false, false };

	run_cfg(&c);
}

PTK_TEST(shared_armv8_4k_48)
{
	static const struct cfg c = { "armv8_4k_48/arena", "armv8_4k_48", true,
				      false };

	run_cfg(&c);
}

PTK_TEST(shared_riscv_sv48_generic)
{
	static const struct cfg c = { "riscv_sv48/arena/generic", "riscv_sv48",
				      true, true };

	run_cfg(&c);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(shared_history),
	PTK_TEST_ENTRY(shared_x86_64),
	PTK_TEST_ENTRY(shared_armv8_4k_48),
	PTK_TEST_ENTRY(shared_riscv_sv48_generic),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
