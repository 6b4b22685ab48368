/* SPDX-License-Identifier: MIT */
/*
 * Library-internal helpers: debug tiers, asserts, log2 arithmetic.
 *
 * Debug tiers (PTK_DEBUG, set by the build):
 *   0  nothing beyond what the API needs to be safe
 *   1  cheap argument checks at the API edge (always compiled: they are
 *      part of the contract, so levels 0 and 1 differ only in warnings)
 *   2  internal assertions (PTK_ASSERT)
 *   3  a full ptk_table_check() after every mutation
 */
#ifndef PTK_INTERNAL_H
#define PTK_INTERNAL_H

#include "port/ptk_deps.h"
#include "internal/ptk_bits.h"
#include <ptkit/errors.h>
#include <ptkit/types.h>
#include <ptkit/fmt.h>
#include <ptkit/table.h>
#include <ptkit/range.h>
#include <ptkit/notify.h>
#include <ptkit/shared.h>
#include <ptkit/iter.h>
#include <ptkit/build.h>
#include <ptkit/sys/impl.h>

#ifndef PTK_DEBUG
#define PTK_DEBUG 1
#endif

#if PTK_DEBUG >= 2
#define PTK_ASSERT(cond)                                     \
	do {                                                 \
		if (PTK_UNLIKELY(!(cond)))                   \
			PTK_BUG("assertion failed: " #cond); \
	} while (0)
#else
#define PTK_ASSERT(cond) ((void)0)
#endif

/* Forward a negative return. */
#define PTK_TRY(expr)                              \
	do {                                       \
		int ptk_try_rc_ = (expr);          \
		if (PTK_UNLIKELY(ptk_try_rc_ < 0)) \
			return ptk_try_rc_;        \
	} while (0)

/* struct ptk_table.linear */
#define PTK_LIN_NONE 0 /* ask the provider, check every address */
#define PTK_LIN_TRUSTED 1 /* tables ptkit made in a linear provider */

/* Private struct ptk_table.flags, above the public PTK_TABLE_* ones. */
#define PTK_TABLE__ATTACHED 0x10000u

/* Internal cross-file functions (double underscore: library-private). */

/* Pointer to the table of 2^@lg2 bytes at @oa, or NULL (checked path). */
void *ptk_table__ptr(const struct ptk_table *t, ptk_oa_t oa, unsigned int lg2);

#if PTK_DEBUG >= 3
void ptk_table__check_or_bug(const struct ptk_table *t);
#define PTK_CHECK_MUTATION(t) ptk_table__check_or_bug(t)
#else
#define PTK_CHECK_MUTATION(t) ((void)0)
#endif

/*
 * Bookkeeping of the tables linked below the root: a count per level and
 * a sum of a bijective mix of their OAs, so the checker can tell a table
 * reached twice (and another orphaned) from the right set.
 */
static inline uint64_t ptk_oa_mix(ptk_oa_t oa)
{
	return oa * 0x9e3779b97f4a7c15ull; /* odd: a bijection mod 2^64 */
}

static inline bool ptk_table__shared(const struct ptk_table *t)
{
	return t->flags & PTK_TABLE_SHARED;
}

/* Whether @t's tables must not be written (PTK_MEM_READONLY): every
 * mutation returns PTK_EROFS at the API edge, before the engine runs. */
static inline bool ptk_table__rdonly(const struct ptk_table *t)
{
	return t->mem->flags & PTK_MEM_READONLY;
}

/* Shared tables: writers of disjoint ranges may link and unlink at once. */
static inline void ptk_table__linked(struct ptk_table *t, unsigned int level,
				     ptk_oa_t oa)
{
	if (ptk_table__shared(t)) {
		__atomic_fetch_add(&t->nr_tables[level], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&t->tables_sum, ptk_oa_mix(oa),
				   __ATOMIC_RELAXED);
		return;
	}
	t->nr_tables[level]++;
	t->tables_sum += ptk_oa_mix(oa);
}

static inline void ptk_table__unlinked(struct ptk_table *t, unsigned int level,
				       ptk_oa_t oa)
{
	if (ptk_table__shared(t)) {
		__atomic_fetch_sub(&t->nr_tables[level], 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&t->tables_sum, ptk_oa_mix(oa),
				   __ATOMIC_RELAXED);
		return;
	}
	if (t->nr_tables[level])
		t->nr_tables[level]--;
	t->tables_sum -= ptk_oa_mix(oa);
}

/*
 * The VA space is one part, or two canonical halves when it is
 * sign-extended: the shift above which an address's bits name its part
 * (1 <= va_bits <= 63, ptk_fmt_check()), and whether @top, those bits,
 * name one (all 0: the low part; all 1: the high half).
 */
static inline unsigned int ptk_fmt__part_shift(const struct ptk_fmt *f)
{
	return f->va_bits - ((f->features & PTK_FMT_SIGN_EXTEND) ? 1 : 0);
}

static inline bool ptk_fmt__part_ok(const struct ptk_fmt *f, uint64_t top)
{
	return !top || ((f->features & PTK_FMT_SIGN_EXTEND) &&
			top == ~(uint64_t)0 >> ptk_fmt__part_shift(f));
}

/*
 * Check a mutation's (va, len) and convert it to [va, *last]: aligned to
 * the smallest page, not wrapping, inside one part of the VA space.
 * Inline and without a call: this is on the path of every small
 * operation.
 */
static inline int ptk_table__range(const struct ptk_table *t, ptk_va_t va,
				   uint64_t len, ptk_va_t *last)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int s = ptk_fmt__part_shift(f);
	uint64_t top;

	if (PTK_UNLIKELY(!len))
		return PTK_EINVAL;
	if (PTK_UNLIKELY((va | len) & ptk_lg2_mask(f->level_shift[0])))
		return PTK_EALIGN;
	if (PTK_UNLIKELY(__builtin_add_overflow(va, len - 1, last)))
		return PTK_EOVERFLOW;
	/* Both ends in the same part. */
	top = va >> s;
	if (PTK_UNLIKELY((*last >> s) != top || !ptk_fmt__part_ok(f, top)))
		return PTK_ERANGE;
	return 0;
}

/* Move @src's ranges and queued tables into @dst; @src ends empty. */
void ptk_gather__merge(struct ptk_gather *dst, struct ptk_gather *src);

/*
 * The bracket around an operation that may invalidate translations:
 * notifier calls before and after, and a gather of the operation's own
 * when there are subscribers (so that "after" sees exactly this
 * operation's ranges) or when the caller passed none.
 */
/* Whom an interval invalidation called: how many, and the last one. */
struct ptk_iv_called {
	unsigned int nr;
	struct ptk_interval *one;
};

struct ptk_op {
	bool slow; /* the bracket is open: ptk_op__close() must run */
	struct ptk_table *t;
	struct ptk_gather *user;
	struct ptk_gather *g; /* hand this to the engine */
	struct ptk_gather local;
	enum ptk_notify_reason reason;
	bool notify; /* per-table notifiers */
	bool iv; /* interval subscriptions were called */
	struct ptk_iv_called ivc;
	unsigned int nr;
	const struct ptk_range *ranges;
};

/* Interval subscriptions (interval.c): the halves of the bracket, and
 * the release at destroy. ptk_interval__begin() returns whether it
 * called anyone (then ptk_interval__end() must follow). */
struct ptk_interval_event;
bool ptk_interval__begin(struct ptk_table *t,
			 const struct ptk_interval_event *ev,
			 struct ptk_iv_called *c);
void ptk_interval__end(struct ptk_table *t, const struct ptk_interval_event *ev,
		       const struct ptk_iv_called *c);
void ptk_interval__release(struct ptk_table *t);

void ptk_op__open(struct ptk_op *op, struct ptk_table *t, struct ptk_gather *g,
		  enum ptk_notify_reason reason, const struct ptk_range *r,
		  unsigned int nr);
int ptk_op__close(struct ptk_op *op, int rc);

/*
 * Open the bracket. With a gather from the caller and nobody to tell (no
 * notifier, no interval subscription: one test), there is nothing to do
 * around the operation, and it writes into the caller's gather; this is
 * on the path of every small operation.
 */
static inline void ptk_op__begin(struct ptk_op *op, struct ptk_table *t,
				 struct ptk_gather *g,
				 enum ptk_notify_reason reason,
				 const struct ptk_range *r, unsigned int nr)
{
	uintptr_t watched =
		(uintptr_t)t->notifiers |
		(uintptr_t)__atomic_load_n(&t->iv_root, __ATOMIC_RELAXED);

	if (PTK_LIKELY(g && !watched)) {
		op->slow = false;
		op->g = g;
		return;
	}
	ptk_op__open(op, t, g, reason, r, nr);
}

/* Close the bracket; returns @rc, the operation's result. */
static inline int ptk_op__end(struct ptk_op *op, int rc)
{
	if (PTK_LIKELY(!op->slow))
		return rc;
	return ptk_op__close(op, rc);
}

/* Allocate / free one table through the table's provider. */
int ptk_table__alloc(struct ptk_table *t, unsigned int lg2, ptk_oa_t *oa_out,
		     void **ptr_out);
void ptk_table__free(struct ptk_table *t, ptk_oa_t oa, void *ptr,
		     unsigned int lg2);

/*
 * A list of preallocated tables for one level, threaded through the
 * tables like the gather's queue. Filled after a mutation's dry run,
 * emptied by its real run.
 */
struct ptk_pool {
	ptk_oa_t oa;
	void *ptr;
	uint64_t nr;
	unsigned int lg2;
};

int ptk_pool__fill(struct ptk_table *t, struct ptk_pool *p, uint64_t n,
		   unsigned int lg2, unsigned int oa_bits);
void ptk_pool__drain(struct ptk_table *t, struct ptk_pool *p);

/* The block size a table of 2^@lg2 bytes is allocated with. */
static inline unsigned int ptk_block_lg2(unsigned int lg2)
{
	return lg2 < PTK_MEM_MIN_LG2 ? PTK_MEM_MIN_LG2 : lg2;
}

/*
 * The link of a queue of tables (a pool, the tables a gather frees) lives
 * in the first 16 bytes of each table: at offset 0 the next table's
 * pointer, where a provider's free_chain() looks for it; at offset 8 its
 * address with the bit just below its block's alignment set, which gives
 * the block size back (bit lg2-1 of a block of 2^lg2 bytes is clear).
 * @lg2 0: the end of a queue (no table).
 */
static inline uint64_t ptk_link__word(ptk_oa_t oa, unsigned int lg2)
{
	return lg2 ? oa | PTK_BIT(ptk_block_lg2(lg2) - 1) : 0;
}

/* Write a link whose second word ptk_link__word() made. */
static inline void ptk_link__put(void *tbl, void *ptr, uint64_t w)
{
	PTK_MEMCPY(tbl, &ptr, sizeof(ptr));
	PTK_MEMCPY((unsigned char *)tbl + 8, &w, sizeof(w));
}

static inline void ptk_link__set(void *tbl, ptk_oa_t oa, void *ptr,
				 unsigned int lg2)
{
	ptk_link__put(tbl, ptr, ptk_link__word(oa, lg2));
}

static inline void ptk_link__get(const void *tbl, ptk_oa_t *oa, void **ptr,
				 unsigned int *lg2)
{
	uint64_t w;

	PTK_MEMCPY(ptr, tbl, sizeof(*ptr));
	PTK_MEMCPY(&w, (const unsigned char *)tbl + 8, sizeof(w));
	*lg2 = w ? (unsigned int)__builtin_ctzll(w) + 1 : 0;
	*oa = w & (w - 1);
}

/*
 * Put a chain of @nr queued tables in front of @g's queue. Its links are
 * written, the last one's (@tail's) to the queue's old head; @oa, @ptr
 * and @lg2 (a block size) are its first table's; @mixed: it holds
 * tables of two sizes.
 */
static inline void ptk_gather__push(struct ptk_gather *g, ptk_oa_t oa,
				    void *ptr, unsigned int lg2, void *tail,
				    uint64_t nr, bool mixed)
{
	if (!g->nr_free)
		g->free_tail = tail;
	else if (lg2 != g->free_lg2)
		mixed = true;
	if (mixed)
		g->free_mixed = 1;
	g->free_oa = oa;
	g->free_ptr = ptr;
	g->free_lg2 = lg2;
	g->nr_free += nr;
}

/*
 * Queue a table for freeing at ptk_table_flush(). The queue is threaded
 * through the first 16 bytes of the queued tables themselves, so queuing
 * never allocates (and so never fails).
 */
static inline void ptk_gather__defer_free(struct ptk_gather *g, ptk_oa_t oa,
					  void *ptr, unsigned int lg2)
{
	ptk_link__set(ptr, g->free_oa, g->free_ptr, g->free_lg2);
	ptk_gather__push(g, oa, ptr, ptk_block_lg2(lg2), ptr, 1, false);
}

/*
 * A table was unlinked. Private tables wait in @g for ptk_table_flush();
 * a shared table's may still be read by concurrent readers, so nothing
 * may be written into it (not even the queue link): it goes to the
 * provider's reclaimer, which frees it after those readers are gone.
 */
static inline void ptk_table__defer_free(struct ptk_table *t,
					 struct ptk_gather *g, ptk_oa_t oa,
					 void *ptr, unsigned int lg2)
{
	if (ptk_table__shared(t)) {
		const struct ptk_mem *m = t->mem;

		m->ops->retire(m->arg, oa, ptr, ptk_block_lg2(lg2));
		return;
	}
	ptk_gather__defer_free(g, oa, ptr, lg2);
}

/* Give back a table taken from the pool (zeroed: it held nothing). */
static inline void ptk_pool__put(struct ptk_pool *p, ptk_oa_t oa, void *ptr)
{
	ptk_link__set(ptr, p->oa, p->ptr, p->lg2);
	p->oa = oa;
	p->ptr = ptr;
	p->nr++;
}

/* "No address" where an OA is optional. */
#define PTK_NO_OA (~(ptk_oa_t)0)

static inline void *ptk_pool__take(struct ptk_pool *p, ptk_oa_t *oa_out)
{
	void *ptr = p->ptr;
	unsigned int lg2;

	PTK_ASSERT(p->nr > 0);
	*oa_out = p->oa;
	ptk_link__get(ptr, &p->oa, &p->ptr, &lg2);
	PTK_MEMSET(ptr, 0, 16);
	p->nr--;
	return ptr;
}

/*
 * Gather bookkeeping inside one operation: consecutive ranges are merged
 * locally and handed to the gather only when a discontiguous one comes.
 */
struct ptk_gpend {
	ptk_va_t va;
	ptk_va_t last;
	bool pending;
};

static PTK_ALWAYS_INLINE void ptk_gpend__add(struct ptk_gpend *gp,
					     struct ptk_gather *g, ptk_va_t va,
					     ptk_va_t last)
{
	if (gp->pending && va == gp->last + 1 && gp->last != ~(ptk_va_t)0) {
		gp->last = last;
		return;
	}
	if (gp->pending && g)
		ptk_gather_add(g, gp->va, gp->last);
	gp->va = va;
	gp->last = last;
	gp->pending = true;
}

static inline void ptk_gpend__flush(struct ptk_gpend *gp, struct ptk_gather *g)
{
	if (gp->pending && g)
		ptk_gather_add(g, gp->va, gp->last);
	gp->pending = false;
}

#endif /* PTK_INTERNAL_H */
