// SPDX-License-Identifier: MIT
/*
 * The tailored x86-64 baseline: fixed shifts, one loop per level.
 *
 * Ranges are half-open [addr, end) inside, with end == 0 standing for the
 * top of the 64-bit space; tpt_addr_end() clamps to the next boundary the
 * way the kernel's pXd_addr_end() does, so nothing wraps. Empty entries
 * are 0: the pool zeroes pages and unmap writes 0.
 */
#include <stdlib.h>
#include <string.h>

#include "tailored_x86_64.h"

#define TPT_PAGE_SIZE (1ull << TPT_PAGE_SHIFT)
#define TPT_PMD_SIZE (1ull << TPT_PMD_SHIFT)
#define TPT_PUD_SIZE (1ull << TPT_PUD_SHIFT)
#define TPT_PGD_SIZE (1ull << TPT_PGD_SHIFT)

#define TPT_CHUNK_SIZE (2ull << 20)

#ifdef __GNUC__
#define TPT_NOINLINE __attribute__((noinline))
#else
#define TPT_NOINLINE
#endif

struct tpt_chunk {
	struct tpt_chunk *next;
	void *mem;
};

static inline unsigned int tpt_pgd_index(uint64_t va)
{
	return (va >> TPT_PGD_SHIFT) & (TPT_PTRS - 1);
}

static inline unsigned int tpt_pud_index(uint64_t va)
{
	return (va >> TPT_PUD_SHIFT) & (TPT_PTRS - 1);
}

static inline unsigned int tpt_pmd_index(uint64_t va)
{
	return (va >> TPT_PMD_SHIFT) & (TPT_PTRS - 1);
}

static inline unsigned int tpt_pte_index(uint64_t va)
{
	return (va >> TPT_PAGE_SHIFT) & (TPT_PTRS - 1);
}

static inline uint64_t *tpt_table(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & TPT_OA_MASK);
}

/* The next @size boundary after @addr, or @end if that comes first. */
static inline uint64_t tpt_addr_end(uint64_t addr, uint64_t end, uint64_t size)
{
	uint64_t boundary = (addr + size) & ~(size - 1);

	return boundary - 1 < end - 1 ? boundary : end;
}

static inline int tpt_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* [va, va + len) is non-empty, aligned, canonical and in one half. */
static int tpt_range_ok(uint64_t va, uint64_t len)
{
	uint64_t last = va + len - 1;

	if (!len || ((va | len) & (TPT_PAGE_SIZE - 1)) || last < va)
		return 0;
	return tpt_canonical(va) && tpt_canonical(last) && !((va ^ last) >> 47);
}

static int tpt_pool_grow(struct tpt_pool *p)
{
	struct tpt_chunk *c = malloc(sizeof(*c));

	if (!c)
		return -1;
	c->mem = aligned_alloc(TPT_CHUNK_SIZE, TPT_CHUNK_SIZE);
	if (!c->mem) {
		free(c);
		return -1;
	}
	c->next = p->chunks;
	p->chunks = c;
	p->cur = c->mem;
	p->left = TPT_CHUNK_SIZE;
	return 0;
}

static uint64_t *tpt_page_alloc(struct tpt_pool *p)
{
	void *pg = p->free_head;

	if (pg) {
		p->free_head = *(void **)pg;
	} else {
		if (!p->left && tpt_pool_grow(p))
			return NULL;
		pg = p->cur;
		p->cur += TPT_PAGE_SIZE;
		p->left -= TPT_PAGE_SIZE;
	}
	memset(pg, 0, TPT_PAGE_SIZE);
	p->live++;
	return pg;
}

static void tpt_page_free(struct tpt_pool *p, uint64_t *pg)
{
	*(void **)pg = p->free_head;
	p->free_head = pg;
	p->live--;
}

/*
 * The table below *@e, allocated and linked in when *@e is empty. NULL
 * when *@e is a huge leaf or memory ran out.
 */
static uint64_t *tpt_lower(struct tpt_pool *p, uint64_t *e)
{
	uint64_t *t;

	if (*e & TPT_P)
		return (*e & TPT_PS) ? NULL : tpt_table(*e);
	t = tpt_page_alloc(p);
	if (t)
		*e = (uint64_t)(uintptr_t)t | TPT_TABLE_BITS;
	return t;
}

static int tpt_table_empty(const uint64_t *t)
{
	unsigned int i;

	for (i = 0; i < TPT_PTRS; i++)
		if (t[i])
			return 0;
	return 1;
}

int tpt_create(struct tpt *pt)
{
	memset(pt, 0, sizeof(*pt));
	pt->pgd = tpt_page_alloc(&pt->pool);
	return pt->pgd ? 0 : -1;
}

void tpt_destroy(struct tpt *pt)
{
	struct tpt_chunk *c, *next;

	for (c = pt->pool.chunks; c; c = next) {
		next = c->next;
		free(c->mem);
		free(c);
	}
	memset(pt, 0, sizeof(*pt));
}

uint64_t tpt_pages(const struct tpt *pt)
{
	return pt->pool.live;
}

/* ---- map ---- */

static int tpt_map_pte(struct tpt_pool *p, uint64_t *pmd, uint64_t va,
		       uint64_t end, uint64_t pa, uint64_t bits)
{
	uint64_t *pte = tpt_lower(p, pmd);

	if (!pte)
		return -1;
	pte += tpt_pte_index(va);
	do {
		if (*pte & TPT_P)
			return -1;
		*pte = pa | bits;
		pa += TPT_PAGE_SIZE;
	} while (pte++, va += TPT_PAGE_SIZE, va != end);
	return 0;
}

static int tpt_map_pmd(struct tpt_pool *p, uint64_t *pud, uint64_t va,
		       uint64_t end, uint64_t pa, uint64_t bits,
		       unsigned int max_shift)
{
	uint64_t *pmd = tpt_lower(p, pud);
	uint64_t next;

	if (!pmd)
		return -1;
	pmd += tpt_pmd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PMD_SIZE);
		if (max_shift >= TPT_PMD_SHIFT && next - va == TPT_PMD_SIZE &&
		    !(pa & (TPT_PMD_SIZE - 1)) && !*pmd)
			*pmd = pa | bits | TPT_PS;
		else if (tpt_map_pte(p, pmd, va, next, pa, bits))
			return -1;
		pa += next - va;
	} while (pmd++, va = next, va != end);
	return 0;
}

static int tpt_map_pud(struct tpt_pool *p, uint64_t *pgd, uint64_t va,
		       uint64_t end, uint64_t pa, uint64_t bits,
		       unsigned int max_shift)
{
	uint64_t *pud = tpt_lower(p, pgd);
	uint64_t next;

	if (!pud)
		return -1;
	pud += tpt_pud_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PUD_SIZE);
		if (max_shift >= TPT_PUD_SHIFT && next - va == TPT_PUD_SIZE &&
		    !(pa & (TPT_PUD_SIZE - 1)) && !*pud)
			*pud = pa | bits | TPT_PS;
		else if (tpt_map_pmd(p, pud, va, next, pa, bits, max_shift))
			return -1;
		pa += next - va;
	} while (pud++, va = next, va != end);
	return 0;
}

int tpt_map(struct tpt *pt, uint64_t va, uint64_t len, uint64_t pa,
	    uint64_t leaf_bits, unsigned int max_shift)
{
	uint64_t *pgd, next, end = va + len;

	if (!tpt_range_ok(va, len) || (pa & ~TPT_OA_MASK) ||
	    ((pa + len - 1) & ~TPT_OA_MASK & ~(TPT_PAGE_SIZE - 1)) ||
	    (leaf_bits & TPT_OA_MASK))
		return -1;
	pgd = pt->pgd + tpt_pgd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PGD_SIZE);
		if (tpt_map_pud(&pt->pool, pgd, va, next, pa, leaf_bits,
				max_shift))
			return -1;
		pa += next - va;
	} while (pgd++, va = next, va != end);
	return 0;
}

/* ---- unmap ---- */

/*
 * Freeing a table whose whole span is unmapped: its entries are not
 * cleared (the pool zeroes pages when it hands them out again) and leaf
 * tables are not even read; only upper-level tables are scanned for the
 * tables below them.
 */
static void tpt_free_pmd_table(struct tpt_pool *p, uint64_t *pmd)
{
	unsigned int i;

	for (i = 0; i < TPT_PTRS; i++)
		if ((pmd[i] & (TPT_P | TPT_PS)) == TPT_P)
			tpt_page_free(p, tpt_table(pmd[i]));
	tpt_page_free(p, pmd);
}

static void tpt_free_pud_table(struct tpt_pool *p, uint64_t *pud)
{
	unsigned int i;

	for (i = 0; i < TPT_PTRS; i++)
		if ((pud[i] & (TPT_P | TPT_PS)) == TPT_P)
			tpt_free_pmd_table(p, tpt_table(pud[i]));
	tpt_page_free(p, pud);
}

static void tpt_unmap_pte(uint64_t *pte, uint64_t va, uint64_t end)
{
	pte += tpt_pte_index(va);
	do {
		*pte = 0;
	} while (pte++, va += TPT_PAGE_SIZE, va != end);
}

static int tpt_unmap_pmd(struct tpt_pool *p, uint64_t *pmd, uint64_t va,
			 uint64_t end)
{
	uint64_t next, *pte;
	int partial = 0;

	pmd += tpt_pmd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PMD_SIZE);
		if (!(*pmd & TPT_P))
			continue;
		if (next - va == TPT_PMD_SIZE) {
			if (!(*pmd & TPT_PS))
				tpt_page_free(p, tpt_table(*pmd));
			*pmd = 0;
			continue;
		}
		if (*pmd & TPT_PS) {
			partial++;
			continue;
		}
		pte = tpt_table(*pmd);
		tpt_unmap_pte(pte, va, next);
		if (tpt_table_empty(pte)) {
			*pmd = 0;
			tpt_page_free(p, pte);
		}
	} while (pmd++, va = next, va != end);
	return partial;
}

static int tpt_unmap_pud(struct tpt_pool *p, uint64_t *pud, uint64_t va,
			 uint64_t end)
{
	uint64_t next, *pmd;
	int partial = 0;

	pud += tpt_pud_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PUD_SIZE);
		if (!(*pud & TPT_P))
			continue;
		if (next - va == TPT_PUD_SIZE) {
			if (!(*pud & TPT_PS))
				tpt_free_pmd_table(p, tpt_table(*pud));
			*pud = 0;
			continue;
		}
		if (*pud & TPT_PS) {
			partial++;
			continue;
		}
		pmd = tpt_table(*pud);
		partial += tpt_unmap_pmd(p, pmd, va, next);
		if (tpt_table_empty(pmd)) {
			*pud = 0;
			tpt_page_free(p, pmd);
		}
	} while (pud++, va = next, va != end);
	return partial;
}

int tpt_unmap(struct tpt *pt, uint64_t va, uint64_t len)
{
	uint64_t *pgd, *pud, next, end = va + len;
	int partial = 0;

	if (!tpt_range_ok(va, len))
		return -1;
	pgd = pt->pgd + tpt_pgd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PGD_SIZE);
		if (!(*pgd & TPT_P))
			continue;
		if (next - va == TPT_PGD_SIZE) {
			tpt_free_pud_table(&pt->pool, tpt_table(*pgd));
			*pgd = 0;
			continue;
		}
		pud = tpt_table(*pgd);
		partial += tpt_unmap_pud(&pt->pool, pud, va, next);
		if (tpt_table_empty(pud)) {
			*pgd = 0;
			tpt_page_free(&pt->pool, pud);
		}
	} while (pgd++, va = next, va != end);
	return partial;
}

/* ---- translate ---- */

int tpt_translate(const struct tpt *pt, uint64_t va, uint64_t *pa)
{
	uint64_t e;

	if (!tpt_canonical(va))
		return -1;
	e = pt->pgd[tpt_pgd_index(va)];
	if (!(e & TPT_P))
		return -1;
	e = tpt_table(e)[tpt_pud_index(va)];
	if (!(e & TPT_P))
		return -1;
	if (e & TPT_PS) {
		*pa = (e & TPT_OA_MASK_1G) | (va & (TPT_PUD_SIZE - 1));
		return 0;
	}
	e = tpt_table(e)[tpt_pmd_index(va)];
	if (!(e & TPT_P))
		return -1;
	if (e & TPT_PS) {
		*pa = (e & TPT_OA_MASK_2M) | (va & (TPT_PMD_SIZE - 1));
		return 0;
	}
	e = tpt_table(e)[tpt_pte_index(va)];
	if (!(e & TPT_P))
		return -1;
	*pa = (e & TPT_OA_MASK) | (va & (TPT_PAGE_SIZE - 1));
	return 0;
}

/* ---- walk ---- */

/*
 * Inside the walk, ranges are inclusive [va, last]; the entries of one
 * table from index i0 to i1 are scanned with two tight loops: one skips
 * empty entries, the other extends a run while each entry equals the
 * previous one plus the page size (same non-address bits, next OA; an OA
 * field carrying into bit 52 cannot occur below 2^52 - page size, which
 * is all the bench maps). Runs never cross a table.
 */
static inline void tpt_run_add(struct tpt_walk_sum *s, uint64_t va, uint64_t oa,
			       uint64_t n)
{
	s->runs++;
	s->leaves += n;
	s->mix += va ^ oa;
}

/*
 * Not inlined: inside tpt_walk() the upper levels' state costs this loop
 * its registers (measured: 7.1 vs 6.1 instructions per leaf on a dense
 * table, 24 vs 20 per run of one).
 */
static TPT_NOINLINE void tpt_walk_pte(const uint64_t *pte, uint64_t va,
				      uint64_t last, struct tpt_walk_sum *s)
{
	size_t i = tpt_pte_index(va), end = tpt_pte_index(last) + 1;
	uint64_t runs = 0, leaves = 0, mix = 0;

	va &= ~(TPT_PMD_SIZE - 1);
	while (i < end) {
		uint64_t e = pte[i], next;
		size_t j;

		if (!(e & TPT_P)) {
			i++;
			continue;
		}
		next = e + TPT_PAGE_SIZE;
		for (j = i + 1; j < end && pte[j] == next; j++)
			next += TPT_PAGE_SIZE;
		runs++;
		leaves += j - i;
		mix += (va + (i << TPT_PAGE_SHIFT)) ^ (e & TPT_OA_MASK);
		i = j;
	}
	s->runs += runs;
	s->leaves += leaves;
	s->mix += mix;
}

static void tpt_walk_pmd(const uint64_t *pmd, uint64_t va, uint64_t last,
			 struct tpt_walk_sum *s)
{
	uint64_t base = va & ~(TPT_PUD_SIZE - 1);
	size_t i = tpt_pmd_index(va), end = tpt_pmd_index(last) + 1;

	while (i < end) {
		uint64_t e = pmd[i], e_va, next;
		size_t j;

		if (!(e & TPT_P)) {
			i++;
			continue;
		}
		e_va = base + ((uint64_t)i << TPT_PMD_SHIFT);
		if (!(e & TPT_PS)) {
			tpt_walk_pte(tpt_table(e), e_va > va ? e_va : va,
				     e_va + (TPT_PMD_SIZE - 1) < last
					     ? e_va + (TPT_PMD_SIZE - 1)
					     : last,
				     s);
			i++;
			continue;
		}
		next = e + TPT_PMD_SIZE;
		for (j = i + 1; j < end && pmd[j] == next; j++)
			next += TPT_PMD_SIZE;
		tpt_run_add(s, e_va, e & TPT_OA_MASK_2M, j - i);
		i = j;
	}
}

static void tpt_walk_pud(const uint64_t *pud, uint64_t va, uint64_t last,
			 struct tpt_walk_sum *s)
{
	uint64_t base = va & ~(TPT_PGD_SIZE - 1);
	size_t i = tpt_pud_index(va), end = tpt_pud_index(last) + 1;

	while (i < end) {
		uint64_t e = pud[i], e_va, next;
		size_t j;

		if (!(e & TPT_P)) {
			i++;
			continue;
		}
		e_va = base + ((uint64_t)i << TPT_PUD_SHIFT);
		if (!(e & TPT_PS)) {
			tpt_walk_pmd(tpt_table(e), e_va > va ? e_va : va,
				     e_va + (TPT_PUD_SIZE - 1) < last
					     ? e_va + (TPT_PUD_SIZE - 1)
					     : last,
				     s);
			i++;
			continue;
		}
		next = e + TPT_PUD_SIZE;
		for (j = i + 1; j < end && pud[j] == next; j++)
			next += TPT_PUD_SIZE;
		tpt_run_add(s, e_va, e & TPT_OA_MASK_1G, j - i);
		i = j;
	}
}

void tpt_walk(const struct tpt *pt, uint64_t va, uint64_t len,
	      struct tpt_walk_sum *sum)
{
	uint64_t last = va + len - 1;
	/* The sign-extended VA of PGD entry 0 of the range's half. */
	uint64_t base = (va >> 47) ? 0xffff800000000000ull : 0;
	unsigned int i = tpt_pgd_index(va), end = tpt_pgd_index(last) + 1;

	memset(sum, 0, sizeof(*sum));
	for (; i < end; i++) {
		uint64_t e = pt->pgd[i], e_va;

		if (!(e & TPT_P))
			continue;
		e_va = base + ((uint64_t)(i & 255) << TPT_PGD_SHIFT);
		tpt_walk_pud(tpt_table(e), e_va > va ? e_va : va,
			     e_va + (TPT_PGD_SIZE - 1) < last
				     ? e_va + (TPT_PGD_SIZE - 1)
				     : last,
			     sum);
	}
}

/* ---- scan ---- */

/* Entries @i0..@i1 of a PTE table; empty entries are 0 and add nothing. */
static TPT_NOINLINE uint64_t tpt_scan_pte(const uint64_t *pte, size_t i0,
					  size_t i1, uint64_t *leaves)
{
	uint64_t sum = 0, n = 0;
	size_t i;

	for (i = i0; i <= i1; i++) {
		sum += pte[i];
		n += pte[i] & TPT_P;
	}
	*leaves += n;
	return sum;
}

/* Index bounds at a level of shift @shift for the part of [va, last] in
 * the entry's span starting at @base. */
static inline void tpt_scan_bounds(uint64_t base, uint64_t va, uint64_t last,
				   unsigned int shift, uint64_t span,
				   size_t *i0, size_t *i1)
{
	*i0 = va > base ? (va >> shift) & (TPT_PTRS - 1) : 0;
	*i1 = last < base + (span - 1) ? (last >> shift) & (TPT_PTRS - 1)
				       : TPT_PTRS - 1;
}

uint64_t tpt_scan(const struct tpt *pt, uint64_t va, uint64_t len,
		  uint64_t *leaves)
{
	uint64_t last = va + len - 1, sum = 0, n = 0;
	uint64_t half = (va >> 47) ? 0xffff800000000000ull : 0;
	size_t g, u, m, u0, u1, m0, m1, p0, p1;

	for (g = tpt_pgd_index(va); g <= tpt_pgd_index(last); g++) {
		uint64_t ge = pt->pgd[g], gva;
		const uint64_t *pud;

		if (!(ge & TPT_P))
			continue;
		gva = half + ((uint64_t)(g & 255) << TPT_PGD_SHIFT);
		pud = tpt_table(ge);
		tpt_scan_bounds(gva, va, last, TPT_PUD_SHIFT, TPT_PGD_SIZE, &u0,
				&u1);
		for (u = u0; u <= u1; u++) {
			uint64_t ue = pud[u];
			uint64_t uva = gva + ((uint64_t)u << TPT_PUD_SHIFT);
			const uint64_t *pmd;

			if (!(ue & TPT_P))
				continue;
			if (ue & TPT_PS) {
				sum += ue;
				n++;
				continue;
			}
			pmd = tpt_table(ue);
			tpt_scan_bounds(uva, va, last, TPT_PMD_SHIFT,
					TPT_PUD_SIZE, &m0, &m1);
			for (m = m0; m <= m1; m++) {
				uint64_t me = pmd[m];
				uint64_t mva =
					uva + ((uint64_t)m << TPT_PMD_SHIFT);

				if (!(me & TPT_P))
					continue;
				if (me & TPT_PS) {
					sum += me;
					n++;
					continue;
				}
				tpt_scan_bounds(mva, va, last, TPT_PAGE_SHIFT,
						TPT_PMD_SIZE, &p0, &p1);
				sum += tpt_scan_pte(tpt_table(me), p0, p1, &n);
			}
		}
	}
	*leaves = n;
	return sum;
}

int tpt_leaf(const struct tpt *pt, uint64_t va, uint64_t *e)
{
	uint64_t pa;

	if (tpt_translate(pt, va, &pa))
		return -1;
	*e = pt->pgd[tpt_pgd_index(va)];
	*e = tpt_table(*e)[tpt_pud_index(va)];
	if (!(*e & TPT_PS)) {
		*e = tpt_table(*e)[tpt_pmd_index(va)];
		if (!(*e & TPT_PS))
			*e = tpt_table(*e)[tpt_pte_index(va)];
	}
	return 0;
}

/* ---- protect ---- */

static int64_t tpt_protect_pte(uint64_t *pte, uint64_t va, uint64_t end,
			       uint64_t bits)
{
	int64_t n = 0;

	pte += tpt_pte_index(va);
	do {
		uint64_t e = *pte, ne;

		if (!(e & TPT_P))
			continue;
		ne = (e & ~TPT_PROT_BITS) | bits;
		if (ne != e) {
			*pte = ne;
			n++;
		}
	} while (pte++, va += TPT_PAGE_SIZE, va != end);
	return n;
}

/* A huge leaf the range covers whole; 0 or 1 leaves changed. */
static int64_t tpt_protect_huge(uint64_t *e, uint64_t bits)
{
	uint64_t ne = (*e & ~TPT_PROT_BITS) | bits;

	if (ne == *e)
		return 0;
	*e = ne;
	return 1;
}

static int64_t tpt_protect_pmd(uint64_t *pmd, uint64_t va, uint64_t end,
			       uint64_t bits)
{
	uint64_t next;
	int64_t n = 0;

	pmd += tpt_pmd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PMD_SIZE);
		if (!(*pmd & TPT_P))
			continue;
		if (*pmd & TPT_PS) {
			if (next - va == TPT_PMD_SIZE)
				n += tpt_protect_huge(pmd, bits);
			continue;
		}
		n += tpt_protect_pte(tpt_table(*pmd), va, next, bits);
	} while (pmd++, va = next, va != end);
	return n;
}

static int64_t tpt_protect_pud(uint64_t *pud, uint64_t va, uint64_t end,
			       uint64_t bits)
{
	uint64_t next;
	int64_t n = 0;

	pud += tpt_pud_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PUD_SIZE);
		if (!(*pud & TPT_P))
			continue;
		if (*pud & TPT_PS) {
			if (next - va == TPT_PUD_SIZE)
				n += tpt_protect_huge(pud, bits);
			continue;
		}
		n += tpt_protect_pmd(tpt_table(*pud), va, next, bits);
	} while (pud++, va = next, va != end);
	return n;
}

int64_t tpt_protect(struct tpt *pt, uint64_t va, uint64_t len,
		    uint64_t prot_bits)
{
	uint64_t *pgd, next, end = va + len;
	int64_t n = 0;

	if (!tpt_range_ok(va, len) || (prot_bits & ~TPT_PROT_BITS))
		return -1;
	pgd = pt->pgd + tpt_pgd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PGD_SIZE);
		if (*pgd & TPT_P)
			n += tpt_protect_pud(tpt_table(*pgd), va, next,
					     prot_bits);
	} while (pgd++, va = next, va != end);
	return n;
}

/* ---- harvest ---- */

/* The pending run of dirty pages is [va, end); empty when va == end. */
struct tpt_run {
	tpt_harvest_fn fn;
	void *arg;
	uint64_t va;
	uint64_t end;
	int64_t n;
};

/* Dirty pages [@va, @end) follow: extend the run, or start a new one. */
static inline void tpt_run_dirty(struct tpt_run *r, uint64_t va, uint64_t end)
{
	if (va != r->end) {
		if (r->va != r->end)
			r->fn(r->va, r->end - r->va, r->arg);
		r->va = va;
	}
	r->end = end;
}

/*
 * The run is kept in locals here: stores through @pte may alias *@r, and
 * reloading it per entry would cost the loop.
 */
static TPT_NOINLINE void tpt_harvest_pte(uint64_t *pte, uint64_t va,
					 uint64_t end, struct tpt_run *r)
{
	uint64_t rva = r->va, rend = r->end;
	int64_t n = 0;

	pte += tpt_pte_index(va);
	do {
		uint64_t e = *pte;

		if ((e & (TPT_P | TPT_D)) != (TPT_P | TPT_D))
			continue;
		*pte = e & ~TPT_D;
		n++;
		if (va != rend) {
			if (rva != rend)
				r->fn(rva, rend - rva, r->arg);
			rva = va;
		}
		rend = va + TPT_PAGE_SIZE;
	} while (pte++, va += TPT_PAGE_SIZE, va != end);
	r->va = rva;
	r->end = rend;
	r->n += n;
}

/* A huge leaf: the part [@va, @end) of it is in the range. */
static void tpt_harvest_huge(uint64_t *e, uint64_t va, uint64_t end,
			     struct tpt_run *r)
{
	if (!(*e & TPT_D))
		return;
	*e &= ~TPT_D;
	r->n++;
	tpt_run_dirty(r, va, end);
}

static void tpt_harvest_pmd(uint64_t *pmd, uint64_t va, uint64_t end,
			    struct tpt_run *r)
{
	uint64_t next;

	pmd += tpt_pmd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PMD_SIZE);
		if (!(*pmd & TPT_P))
			continue;
		if (*pmd & TPT_PS)
			tpt_harvest_huge(pmd, va, next, r);
		else
			tpt_harvest_pte(tpt_table(*pmd), va, next, r);
	} while (pmd++, va = next, va != end);
}

static void tpt_harvest_pud(uint64_t *pud, uint64_t va, uint64_t end,
			    struct tpt_run *r)
{
	uint64_t next;

	pud += tpt_pud_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PUD_SIZE);
		if (!(*pud & TPT_P))
			continue;
		if (*pud & TPT_PS)
			tpt_harvest_huge(pud, va, next, r);
		else
			tpt_harvest_pmd(tpt_table(*pud), va, next, r);
	} while (pud++, va = next, va != end);
}

int64_t tpt_harvest(struct tpt *pt, uint64_t va, uint64_t len,
		    tpt_harvest_fn fn, void *arg)
{
	struct tpt_run r = { fn, arg, 0, 0, 0 };
	uint64_t *pgd, next, end = va + len;

	if (!tpt_range_ok(va, len))
		return -1;
	pgd = pt->pgd + tpt_pgd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PGD_SIZE);
		if (*pgd & TPT_P)
			tpt_harvest_pud(tpt_table(*pgd), va, next, &r);
	} while (pgd++, va = next, va != end);
	if (r.va != r.end)
		fn(r.va, r.end - r.va, arg);
	return r.n;
}

/* ---- copy (fork) ---- */

static int tpt_copy_pte(struct tpt_pool *p, uint64_t *dpmd, uint64_t *spte,
			uint64_t va, uint64_t end, int cow)
{
	uint64_t *dpte = tpt_lower(p, dpmd);

	if (!dpte)
		return -1;
	dpte += tpt_pte_index(va);
	spte += tpt_pte_index(va);
	do {
		uint64_t e = *spte;

		if (!(e & TPT_P))
			continue;
		if (cow && (e & TPT_RW)) {
			e &= ~TPT_RW;
			*spte = e;
		}
		*dpte = e;
	} while (dpte++, spte++, va += TPT_PAGE_SIZE, va != end);
	return 0;
}

/* A huge leaf the range covers whole. */
static void tpt_copy_huge(uint64_t *de, uint64_t *se, int cow)
{
	if (cow)
		*se &= ~TPT_RW;
	*de = *se;
}

static int tpt_copy_pmd(struct tpt_pool *p, uint64_t *dpud, uint64_t *spmd,
			uint64_t va, uint64_t end, int cow)
{
	uint64_t next, *dpmd = tpt_lower(p, dpud);

	if (!dpmd)
		return -1;
	dpmd += tpt_pmd_index(va);
	spmd += tpt_pmd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PMD_SIZE);
		if (!(*spmd & TPT_P))
			continue;
		if (*spmd & TPT_PS) {
			if (next - va == TPT_PMD_SIZE)
				tpt_copy_huge(dpmd, spmd, cow);
			continue;
		}
		if (tpt_copy_pte(p, dpmd, tpt_table(*spmd), va, next, cow))
			return -1;
	} while (dpmd++, spmd++, va = next, va != end);
	return 0;
}

static int tpt_copy_pud(struct tpt_pool *p, uint64_t *dpgd, uint64_t *spud,
			uint64_t va, uint64_t end, int cow)
{
	uint64_t next, *dpud = tpt_lower(p, dpgd);

	if (!dpud)
		return -1;
	dpud += tpt_pud_index(va);
	spud += tpt_pud_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PUD_SIZE);
		if (!(*spud & TPT_P))
			continue;
		if (*spud & TPT_PS) {
			if (next - va == TPT_PUD_SIZE)
				tpt_copy_huge(dpud, spud, cow);
			continue;
		}
		if (tpt_copy_pmd(p, dpud, tpt_table(*spud), va, next, cow))
			return -1;
	} while (dpud++, spud++, va = next, va != end);
	return 0;
}

int tpt_copy(struct tpt *dst, struct tpt *src, uint64_t va, uint64_t len,
	     int cow)
{
	uint64_t *dpgd, *spgd, next, end = va + len;

	if (!tpt_range_ok(va, len) || dst == src)
		return -1;
	dpgd = dst->pgd + tpt_pgd_index(va);
	spgd = src->pgd + tpt_pgd_index(va);
	do {
		next = tpt_addr_end(va, end, TPT_PGD_SIZE);
		if (!(*spgd & TPT_P))
			continue;
		if (tpt_copy_pud(&dst->pool, dpgd, tpt_table(*spgd), va, next,
				 cow))
			return -1;
	} while (dpgd++, spgd++, va = next, va != end);
	return 0;
}

/* ---- move (mremap) ---- */

/* The bytes from @old to the next @size boundary of either side, or @end. */
static inline uint64_t tpt_extent(uint64_t old, uint64_t end, uint64_t new,
				  uint64_t size)
{
	uint64_t ext = tpt_addr_end(old, end, size) - old;
	uint64_t to_new = ((new + size) & ~(size - 1)) - new;

	return to_new < ext ? to_new : ext;
}

/* The source's PUD entry for @va, or NULL when it has no PUD table. */
static uint64_t *tpt_old_pud(const struct tpt *pt, uint64_t va)
{
	uint64_t e = pt->pgd[tpt_pgd_index(va)];

	return (e & TPT_P) ? tpt_table(e) + tpt_pud_index(va) : NULL;
}

/* The destination's PUD entry for @va; its PUD table made if need be. */
static uint64_t *tpt_new_pud(struct tpt *pt, uint64_t va)
{
	uint64_t *pud = tpt_lower(&pt->pool, pt->pgd + tpt_pgd_index(va));

	return pud ? pud + tpt_pud_index(va) : NULL;
}

/* Likewise its PMD entry; NULL also under a huge PUD leaf. */
static uint64_t *tpt_new_pmd(struct tpt *pt, uint64_t va)
{
	uint64_t *pud = tpt_new_pud(pt, va), *pmd;

	if (!pud)
		return NULL;
	pmd = tpt_lower(&pt->pool, pud);
	return pmd ? pmd + tpt_pmd_index(va) : NULL;
}

/* Like the kernel's move_ptes(): @n entries, empty ones skipped. */
static void tpt_move_ptes(uint64_t *old_pte, uint64_t *new_pte, uint64_t n)
{
	do {
		uint64_t e = *old_pte;

		if (!e)
			continue;
		*old_pte = 0;
		*new_pte = e;
	} while (old_pte++, new_pte++, --n);
}

int tpt_move(struct tpt *pt, uint64_t old_va, uint64_t new_va, uint64_t len)
{
	uint64_t old = old_va, new = new_va, old_end = old_va + len, ext;
	uint64_t *opud, *npud, *opmd, *npmd, *npte;

	if (!tpt_range_ok(old_va, len) || !tpt_range_ok(new_va, len) ||
	    (old_va <= new_va + (len - 1) && new_va <= old_va + (len - 1)))
		return -1;
	for (; old != old_end; old += ext, new += ext) {
		ext = tpt_extent(old, old_end, new, TPT_PUD_SIZE);
		if (ext == TPT_PUD_SIZE) {
			opud = tpt_old_pud(pt, old);
			if (!opud || !*opud)
				continue;
			npud = tpt_new_pud(pt, new);
			if (!npud || *npud)
				return -1;
			*npud = *opud;
			*opud = 0;
			continue;
		}
		ext = tpt_extent(old, old_end, new, TPT_PMD_SIZE);
		opud = tpt_old_pud(pt, old);
		if (!opud || !*opud)
			continue;
		if (*opud & TPT_PS)
			return -1;
		opmd = tpt_table(*opud) + tpt_pmd_index(old);
		if (!*opmd)
			continue;
		npmd = tpt_new_pmd(pt, new);
		if (!npmd)
			return -1;
		if (ext == TPT_PMD_SIZE) {
			if (*npmd)
				return -1;
			*npmd = *opmd;
			*opmd = 0;
			continue;
		}
		if (*opmd & TPT_PS)
			return -1;
		npte = tpt_lower(&pt->pool, npmd);
		if (!npte)
			return -1;
		tpt_move_ptes(tpt_table(*opmd) + tpt_pte_index(old),
			      npte + tpt_pte_index(new), ext >> TPT_PAGE_SHIFT);
	}
	/* Free the source's tables, now empty. */
	return tpt_unmap(pt, old_va, len) ? -1 : 0;
}
