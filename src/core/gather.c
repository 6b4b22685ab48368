// SPDX-License-Identifier: MIT
/*
 * Gathers (invalidated ranges and tables to free after the flush) and
 * table pools.
 */
#include "internal/ptk_internal.h"

/* (A copy of this rather than a memset: compilers turn a memset of this
 * size into a string instruction whose start-up costs more than a small
 * operation does; the copy is a few vector moves.) */
static const struct ptk_gather gather_empty;

void ptk_gather_init(struct ptk_gather *g)
{
	*g = gather_empty;
}

/* Whether [a.va, a.last] and [b.va, b.last] (a before b) touch. */
static bool touches(const struct ptk_range *a, const struct ptk_range *b)
{
	return a->last == ~(ptk_va_t)0 || b->va <= a->last + 1;
}

/* The gap after range @i of a full @g, the last one's up to @va. */
static ptk_va_t gap_after(const struct ptk_gather *g, unsigned int i,
			  ptk_va_t va)
{
	ptk_va_t next = i + 1 < g->nr ? g->ranges[i + 1].va : va;

	return next - g->ranges[i].last;
}

void ptk_gather_add(struct ptk_gather *g, ptk_va_t va, ptk_va_t last)
{
	struct ptk_range in[PTK_GATHER_RANGES + 1];
	struct ptk_range r[PTK_GATHER_RANGES + 1];
	unsigned int n = 0, i, k = 0, best;
	ptk_va_t bgap;

	if (!g || last < va)
		return;
	if (!g->nr) {
		/* The first range: most operations gather only one. */
		g->ranges[0].va = va;
		g->ranges[0].last = last;
		g->nr = 1;
		return;
	}
	if (va > g->ranges[g->nr - 1].last &&
	    g->ranges[g->nr - 1].last != ~(ptk_va_t)0) {
		/* After every range: what operations in address order do. */
		struct ptk_range *t = &g->ranges[g->nr - 1];

		if (va == t->last + 1) {
			t->last = last;
			return;
		}
		if (g->nr < PTK_GATHER_RANGES) {
			t[1].va = va;
			t[1].last = last;
			g->nr++;
			return;
		}
		/* Full: what the merge below does when the new range comes
		 * last and touches none, without building it in copies (a
		 * harvest of scattered runs comes here once a run). */
		best = 0;
		bgap = gap_after(g, 0, va);
		for (i = 1; i < g->nr; i++) {
			ptk_va_t gap = gap_after(g, i, va);

			if (gap < bgap) {
				bgap = gap;
				best = i;
			}
		}
		if (best + 1 < g->nr) {
			g->ranges[best].last = g->ranges[best + 1].last;
			for (i = best + 1; i + 1 < g->nr; i++)
				g->ranges[i] = g->ranges[i + 1];
			t->va = va;
		}
		t->last = last;
		g->flags |= PTK_GATHER_MERGED;
		return;
	}
	/* The ranges plus the new one, sorted by start. */
	for (i = 0; i < g->nr && g->ranges[i].va <= va; i++)
		in[k++] = g->ranges[i];
	in[k].va = va;
	in[k++].last = last;
	for (; i < g->nr; i++)
		in[k++] = g->ranges[i];
	/* Merge the ones that overlap or touch. */
	for (i = 0; i < k; i++) {
		if (n && touches(&r[n - 1], &in[i])) {
			if (in[i].last > r[n - 1].last)
				r[n - 1].last = in[i].last;
		} else {
			r[n++] = in[i];
		}
	}
	if (n > PTK_GATHER_RANGES) {
		/* Too many: join the two neighbours with the smallest gap. */
		best = 0;
		for (i = 1; i + 1 < n; i++)
			if (r[i + 1].va - r[i].last <
			    r[best + 1].va - r[best].last)
				best = i;
		r[best].last = r[best + 1].last;
		for (i = best + 1; i + 1 < n; i++)
			r[i] = r[i + 1];
		n--;
		g->flags |= PTK_GATHER_MERGED;
	}
	for (i = 0; i < n; i++)
		g->ranges[i] = r[i];
	g->nr = n;
}

/*
 * Give the queued tables back to the provider: the whole queue in one
 * call when it can take a chain of blocks of one size (the queue's links
 * put each next pointer where free_chain() reads it), else one by one.
 */
static void free_queued(struct ptk_table *t, struct ptk_gather *g)
{
	const struct ptk_mem_ops *o = t->mem->ops;
	void *arg = t->mem->arg;
	ptk_oa_t oa = g->free_oa;
	void *ptr = g->free_ptr;
	unsigned int lg2 = g->free_lg2;
	uint64_t n;

	if (o->version >= 3 && o->free_chain && !g->free_mixed) {
		o->free_chain(arg, ptr, g->free_tail, g->nr_free, lg2);
		return;
	}
	/* Read each link before the provider gets the table. */
	for (n = g->nr_free; n; n--) {
		ptk_oa_t noa;
		void *nptr;
		unsigned int nlg2;

		ptk_link__get(ptr, &noa, &nptr, &nlg2);
		o->free(arg, oa, ptr, lg2);
		oa = noa;
		ptr = nptr;
		lg2 = nlg2;
	}
}

void ptk_table_flush(struct ptk_table *t, struct ptk_gather *g)
{
	unsigned int i;

	if (!g)
		return;
	if (g->nr_free)
		free_queued(t, g);
	g->nr_free = 0;
	/* The caller's settings and an open batch outlive the flush: the
	 * rest is as ptk_gather_init() leaves it. */
	for (i = 0; i < PTK_GATHER_RANGES; i++) {
		g->ranges[i].va = 0;
		g->ranges[i].last = 0;
	}
	g->nr = 0;
	g->flags &= PTK_GATHER_ATOMIC;
	g->free_oa = 0;
	g->free_ptr = NULL;
	g->free_lg2 = 0;
	g->free_mixed = 0;
	g->free_tail = NULL;
}

/*
 * The new tables go to the front of the pool in the order they were
 * allocated, so that ptk_pool__take() hands them out in that order: a
 * map over a fresh range then lays its tables out at ascending addresses
 * (a bump allocator's), which a scan of them later reads as one stream
 * the hardware prefetches; taken last first, they would descend page by
 * page and a dense scan out of DRAM runs at about half the speed.
 */
int ptk_pool__fill(struct ptk_table *t, struct ptk_pool *p, uint64_t n,
		   unsigned int lg2, unsigned int oa_bits)
{
	ptk_oa_t first_oa = 0;
	void *first = NULL, *last = NULL;
	uint64_t got = 0;
	int rc = 0;

	p->lg2 = lg2;
	while (p->nr + got < n) {
		ptk_oa_t oa;
		void *ptr;

		rc = ptk_table__alloc(t, lg2, &oa, &ptr);
		if (rc == 0 && oa_bits < 64 &&
		    ((oa | ptk_lg2_mask(lg2)) >> oa_bits)) {
			/* The format cannot point to memory that high. */
			ptk_table__free(t, oa, ptr, lg2);
			rc = PTK_ETABLEOA;
		}
		if (rc < 0)
			break;
		if (last) {
			ptk_link__set(last, oa, ptr, lg2);
		} else {
			first_oa = oa;
			first = ptr;
		}
		last = ptr;
		got++;
	}
	if (got) {
		ptk_link__set(last, p->oa, p->ptr, lg2);
		p->oa = first_oa;
		p->ptr = first;
		p->nr += got;
	}
	if (rc < 0) {
		ptk_pool__drain(t, p);
		return rc;
	}
	return 0;
}

void ptk_pool__drain(struct ptk_table *t, struct ptk_pool *p)
{
	while (p->nr) {
		ptk_oa_t oa;
		void *ptr = ptk_pool__take(p, &oa);

		ptk_table__free(t, oa, ptr, p->lg2);
	}
}
