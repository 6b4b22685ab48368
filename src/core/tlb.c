// SPDX-License-Identifier: MIT
/*
 * The software TLB: a set-associative array read under a sequence
 * counter, written under a spin lock; fills through the sequence
 * protocol of interval subscriptions.
 */
#include "internal/ptk_internal.h"
#include <ptkit/interval.h>
#include <ptkit/tlb.h>

#define EMPTY (~(uint64_t)0)

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* A counter bumped without a read-modify-write: may lose counts. */
#define BUMP(x, n) ST(x, LD(x) + (n))

static void t_lock(struct ptk_tlb *tlb)
{
	while (__atomic_exchange_n(&tlb->lock, 1, __ATOMIC_ACQUIRE))
		while (LD(tlb->lock))
			PTK_CPU_RELAX();
	/* Odd: lookups that overlap the writes below retry. */
	ST(tlb->seq, tlb->seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void t_unlock(struct ptk_tlb *tlb)
{
	__atomic_store_n(&tlb->seq, tlb->seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&tlb->lock, 0, __ATOMIC_RELEASE);
}

int ptk_tlb_init(struct ptk_tlb *tlb, struct ptk_tlb_entry *entries,
		 const struct ptk_tlb_opts *opts)
{
	unsigned int i;
	uint64_t n;

	if (!tlb || !entries || !opts || !opts->sets ||
	    (opts->sets & (opts->sets - 1)) || opts->sets > (1u << 20) ||
	    !opts->ways || opts->ways > 16 || !opts->nr_sizes ||
	    opts->nr_sizes > PTK_TLB_MAX_SIZES || opts->pwc > PTK_TLB_PWC_MAX)
		return PTK_EINVAL;
	for (i = 0; i < opts->nr_sizes; i++)
		if (opts->sizes_lg2[i] < 10 || opts->sizes_lg2[i] > 48 ||
		    (i && opts->sizes_lg2[i] <= opts->sizes_lg2[i - 1]))
			return PTK_EINVAL;
	PTK_MEMSET(tlb, 0, sizeof(*tlb));
	tlb->e = entries;
	tlb->o = *opts;
	n = (uint64_t)opts->sets * opts->ways;
	for (i = 0; i < n; i++) {
		PTK_MEMSET(&entries[i], 0, sizeof(entries[i]));
		entries[i].tag = EMPTY;
	}
	for (i = 0; i < PTK_TLB_PWC_MAX; i++)
		tlb->pwc[i].tag = EMPTY;
	return 0;
}

/* An entry's tag: the page's address and its size in one word. */
static inline uint64_t key(uint64_t page, unsigned int lg2)
{
	return page << lg2 | lg2;
}

static bool match_id(uint32_t id, uint16_t asid)
{
	return id == asid || id == PTK_TLB__GLOBAL;
}

/* The entry caching @va for @asid, or NULL. Under the seq or the lock. */
static PTK_ALWAYS_INLINE struct ptk_tlb_entry *probe(struct ptk_tlb *tlb,
						     uint16_t asid, ptk_va_t va)
{
	unsigned int i, w;

	for (i = 0; i < tlb->o.nr_sizes; i++) {
		unsigned int lg2 = tlb->o.sizes_lg2[i];
		uint64_t page = va >> lg2, k = key(page, lg2);
		struct ptk_tlb_entry *set =
			&tlb->e[(page & (tlb->o.sets - 1)) * tlb->o.ways];

		for (w = 0; w < tlb->o.ways; w++) {
			struct ptk_tlb_entry *e = &set[w];

			if (LD(e->tag) == k && match_id(LD(e->id), asid))
				return e;
		}
	}
	return NULL;
}

int ptk_tlb_lookup_slow(struct ptk_tlb *tlb, uint16_t asid, ptk_va_t va,
			struct ptk_tlb_result *out)
{
	struct ptk_tlb_result r;
	uint64_t s;
	bool hit;

	for (;;) {
		struct ptk_tlb_entry *e;

		s = __atomic_load_n(&tlb->seq, __ATOMIC_ACQUIRE);
		if (s & 1) {
			PTK_CPU_RELAX();
			continue;
		}
		e = probe(tlb, asid, va);
		hit = e != NULL;
		if (hit) {
			uint32_t id = LD(e->id);

			r.size_lg2 = LD(e->tag) & 63;
			r.oa = LD(e->oa) + (va & ptk_lg2_mask(r.size_lg2));
			r.prot = LD(e->prot);
			r.global = id == PTK_TLB__GLOBAL;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (LD(tlb->seq) == s)
			break;
	}
	if (!hit) {
		BUMP(tlb->st.misses, 1);
		return PTK_ENOENT;
	}
	BUMP(tlb->st.hits, 1);
	if (out)
		*out = r;
	return 0;
}

/* Empty one entry; under the lock. */
static void drop(struct ptk_tlb *tlb, struct ptk_tlb_entry *e)
{
	ST(e->tag, EMPTY);
	BUMP(tlb->st.flushed, 1);
}

static void pwc_clear(struct ptk_tlb *tlb)
{
	unsigned int i;

	for (i = 0; i < tlb->o.pwc; i++)
		tlb->pwc[i].tag = EMPTY;
}

/* Drop @asid's (and global) entries overlapping [va, last]; locked. */
static void flush_locked(struct ptk_tlb *tlb, uint16_t asid, ptk_va_t va,
			 ptk_va_t last)
{
	uint64_t n = (uint64_t)tlb->o.sets * tlb->o.ways, k;
	unsigned int i, w;

	pwc_clear(tlb);
	if (((last - va) >> tlb->o.sizes_lg2[0]) < tlb->o.sets) {
		/* Few pages: look only where they can be. */
		for (i = 0; i < tlb->o.nr_sizes; i++) {
			unsigned int lg2 = tlb->o.sizes_lg2[i];
			uint64_t p, first = va >> lg2, lp = last >> lg2;

			for (p = first;; p++) {
				struct ptk_tlb_entry *set =
					&tlb->e[(p & (tlb->o.sets - 1)) *
						tlb->o.ways];

				for (w = 0; w < tlb->o.ways; w++)
					if (set[w].tag == key(p, lg2) &&
					    match_id(set[w].id, asid))
						drop(tlb, &set[w]);
				if (p == lp)
					break;
			}
		}
		return;
	}
	for (k = 0; k < n; k++) {
		struct ptk_tlb_entry *e = &tlb->e[k];
		ptk_va_t ev, el;

		if (e->tag == EMPTY || !match_id(e->id, asid))
			continue;
		ev = e->tag & ~(uint64_t)63;
		el = ev + ptk_lg2_mask(e->tag & 63);
		if (ev <= last && va <= el)
			drop(tlb, e);
	}
}

void ptk_tlb_flush_range(struct ptk_tlb *tlb, uint16_t asid, ptk_va_t va,
			 uint64_t len)
{
	ptk_va_t last;

	if (!tlb || !len)
		return;
	if (__builtin_add_overflow(va, len - 1, &last))
		last = ~(ptk_va_t)0;
	t_lock(tlb);
	flush_locked(tlb, asid, va, last);
	t_unlock(tlb);
}

/* Drop every entry (@all) or those of @asid, and the walk cache. */
static void flush_where(struct ptk_tlb *tlb, bool all, uint16_t asid)
{
	uint64_t n = (uint64_t)tlb->o.sets * tlb->o.ways, k;

	t_lock(tlb);
	for (k = 0; k < n; k++)
		if (tlb->e[k].tag != EMPTY && (all || tlb->e[k].id == asid))
			drop(tlb, &tlb->e[k]);
	pwc_clear(tlb);
	t_unlock(tlb);
}

void ptk_tlb_flush_asid(struct ptk_tlb *tlb, uint16_t asid)
{
	if (tlb)
		flush_where(tlb, false, asid);
}

void ptk_tlb_flush_all(struct ptk_tlb *tlb)
{
	if (tlb)
		flush_where(tlb, true, 0);
}

static void t_invalidate(struct ptk_interval *iv,
			 const struct ptk_interval_event *ev, uint64_t cur_seq)
{
	struct ptk_tlb_space *sp = (struct ptk_tlb_space *)iv;
	struct ptk_tlb *tlb = sp->tlb;
	unsigned int i;

	t_lock(tlb);
	ptk_interval_set_seq(iv, cur_seq);
	for (i = 0; i < ev->nr; i++) {
		ptk_va_t va = ev->ranges[i].va, last = ev->ranges[i].last;

		if (va > iv->last || last < iv->va)
			continue;
		flush_locked(tlb, sp->asid, va < iv->va ? iv->va : va,
			     last > iv->last ? iv->last : last);
	}
	t_unlock(tlb);
}

static const struct ptk_interval_ops tlb_ops = {
	PTK_INTERVAL_OPS_VERSION,
	t_invalidate,
	NULL,
};

int ptk_tlb_attach(struct ptk_tlb_space *sp, struct ptk_tlb *tlb,
		   struct ptk_table *t, uint16_t asid, ptk_va_t va,
		   uint64_t len)
{
	int rc;

	if (!sp || !tlb || !t)
		return PTK_EINVAL;
	if (__atomic_load_n(&sp->iv.t, __ATOMIC_ACQUIRE))
		return PTK_ESUBSCRIBED;
	PTK_MEMSET(sp, 0, sizeof(*sp));
	sp->iv.ops = &tlb_ops;
	sp->tlb = tlb;
	sp->t = t;
	sp->asid = asid;
	rc = ptk_interval_subscribe(t, &sp->iv, va, len);
	if (rc)
		PTK_MEMSET(sp, 0, sizeof(*sp));
	return rc;
}

void ptk_tlb_detach(struct ptk_tlb_space *sp)
{
	if (!sp || !sp->tlb)
		return;
	(void)ptk_interval_unsubscribe(&sp->iv);
	ptk_tlb_flush_asid(sp->tlb, sp->asid);
	PTK_MEMSET(sp, 0, sizeof(*sp));
}

/*
 * Table entries a hardware walker reads for a leaf at @level: from the
 * top, or from below the deepest level whose entry the walk cache holds.
 * Records the walk's upper-level entries in the cache. Locked.
 */
static unsigned int walk_refs(struct ptk_tlb *tlb, const struct ptk_fmt *f,
			      uint16_t asid, ptk_va_t va, unsigned int level,
			      unsigned int *nopwc)
{
	unsigned int top = f->levels - 1, from = top, l, i;

	*nopwc = top - level + 1;
	if (!tlb->o.pwc)
		return *nopwc;
	for (l = level + 1; l <= top && from == top; l++)
		for (i = 0; i < tlb->o.pwc; i++)
			if (tlb->pwc[i].level == l &&
			    tlb->pwc[i].asid == asid &&
			    tlb->pwc[i].tag == va >> f->level_shift[l]) {
				from = l - 1;
				break;
			}
	/* Cache the table entries read above the leaf. */
	for (l = level + 1; l <= from; l++) {
		i = tlb->pwc_next++ % tlb->o.pwc;
		tlb->pwc[i].tag = va >> f->level_shift[l];
		tlb->pwc[i].level = (uint8_t)l;
		tlb->pwc[i].asid = asid;
	}
	return from - level + 1;
}

int ptk_tlb_translate(struct ptk_tlb_space *sp, ptk_va_t va,
		      struct ptk_tlb_result *out)
{
	struct ptk_tlb *tlb;
	struct ptk_tlb_result r;
	int rc;

	if (!sp || !sp->tlb)
		return PTK_EINVAL;
	tlb = sp->tlb;
	if (va < sp->iv.va || va > sp->iv.last)
		return PTK_EOUTSIDE;
	if (!ptk_tlb_lookup(tlb, sp->asid, va, out))
		return 0;
	for (;;) {
		uint64_t seq = ptk_interval_read_begin(&sp->iv);
		unsigned long tok = ptk_read_begin(sp->t);
		struct ptk_attrs a;
		struct ptk_xlate x;
		unsigned int i, lg2 = 0, nopwc, refs;

		rc = ptk_translate(sp->t, va, &x);
		if (!rc)
			rc = ptk_leaf_attrs(&a, sp->t, x.level, x.pte);
		ptk_read_end(sp->t, tok);
		if (rc)
			return rc;
		for (i = 0; i < tlb->o.nr_sizes; i++)
			if (tlb->o.sizes_lg2[i] <= x.size_lg2)
				lg2 = tlb->o.sizes_lg2[i];
		r.oa = x.oa;
		r.prot = a.prot;
		r.size_lg2 = lg2 ? lg2 : x.size_lg2;
		r.global = a.flags & PTK_ATTR_GLOBAL;
		t_lock(tlb);
		if (ptk_interval_read_retry(&sp->iv, seq)) {
			t_unlock(tlb);
			BUMP(tlb->st.retries, 1);
			continue;
		}
		if (sp->t->ops->version >= 5 && sp->t->ops->walk_refs)
			refs = nopwc = sp->t->ops->walk_refs(sp->t, va);
		else
			refs = walk_refs(tlb, ptk_table_fmt(sp->t), sp->asid,
					 va, x.level, &nopwc);
		BUMP(tlb->st.walk_refs, refs);
		BUMP(tlb->st.walk_refs_nopwc, nopwc);
		/* Also the range: never cache beyond what we hear about. */
		if (lg2 && (va & ~ptk_lg2_mask(lg2)) >= sp->iv.va &&
		    (va | ptk_lg2_mask(lg2)) <= sp->iv.last &&
		    !probe(tlb, sp->asid, va)) {
			uint64_t page = va >> lg2;
			struct ptk_tlb_entry *set =
				&tlb->e[(page & (tlb->o.sets - 1)) *
					tlb->o.ways];
			struct ptk_tlb_entry *e = NULL;
			unsigned int w;

			for (w = 0; w < tlb->o.ways && !e; w++)
				if (set[w].tag == EMPTY)
					e = &set[w];
			if (!e)
				e = &set[tlb->victim++ % tlb->o.ways];
			ST(e->oa, x.oa & ~ptk_lg2_mask(lg2));
			ST(e->prot, a.prot);
			ST(e->id, r.global ? PTK_TLB__GLOBAL : sp->asid);
			ST(e->tag, key(page, lg2));
			BUMP(tlb->st.fills, 1);
		}
		t_unlock(tlb);
		if (out)
			*out = r;
		return 0;
	}
}

void ptk_tlb_stats(const struct ptk_tlb *tlb, struct ptk_tlb_stats *out)
{
	out->hits = LD(tlb->st.hits);
	out->misses = LD(tlb->st.misses);
	out->fills = LD(tlb->st.fills);
	out->walk_refs = LD(tlb->st.walk_refs);
	out->walk_refs_nopwc = LD(tlb->st.walk_refs_nopwc);
	out->flushed = LD(tlb->st.flushed);
	out->retries = LD(tlb->st.retries);
}
