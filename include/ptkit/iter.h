/* SPDX-License-Identifier: MIT */
/*
 * ptkit cursor iterator.
 *
 * DOC: iterator
 *
 * A for-loop over the present leaves of a range, in address order:
 *
 *	struct ptk_iter it;
 *	int rc;
 *
 *	ptk_iter_init(&it, t, va, len, 0);
 *	while ((rc = ptk_iter_next(&it)) > 0)
 *		use(it.va, it.oa, it.size_lg2, &it.attrs);
 *	ptk_iter_fini(&it);
 *
 * The iterator keeps one table per level (a path stack) and never walks
 * from the root again while items come from tables it already holds;
 * empty entries are skipped at the highest level where they are empty,
 * so an empty 512 GiB slot costs one load. It allocates nothing and may
 * live on the stack.
 *
 * With PTK_ITER_RUNS an item is a run of consecutive leaves of one table
 * (same level, any output addresses) and @entries points at the first of
 * them, so a dense scan is a plain loop over ptk_iter_pte() with nothing
 * called per entry (or, faster, over ptk_iter_ptes64(), which the
 * compiler can vectorise).
 *
 * The loop may also be written ptk_iter_for_each(&it, rc) { use(...); },
 * which means the same but steps inside a run of alike leaves without
 * a call, so that the compiler keeps the item's fields in registers:
 * per leaf, the cost of a hand-written scan.
 *
 * The current item can be rewritten (ptk_iter_set()) or cleared
 * (ptk_iter_clear()) through the iterator, which stays valid: a table
 * emptied that way is unlinked as soon as it is empty (not on a shared
 * table, where, as with ptk_unmap(), a neighbouring writer may be using
 * it).
 *
 * On a PTK_TABLE_SHARED table the iterator holds a read section from
 * ptk_iter_init() to ptk_iter_fini(). ptk_iter_yield() leaves it (e.g.
 * before dropping a lock or sleeping); the next ptk_iter_next() enters a
 * new one and walks down from the root again to the address after the
 * last item, so tables freed meanwhile are never touched.
 */
#ifndef PTKIT_ITER_H
#define PTKIT_ITER_H

#include <stdbool.h>
#include <stdint.h>

#include "types.h"
#include "fmt.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "No address": what ptk_iter_oa() returns for an entry that is no leaf. */
#define PTK_OA_INVALID (~(ptk_oa_t)0)

/* ptk_iter_init() flags */
#define PTK_ITER_RUNS 0x1u /* items are runs of leaves of one table */
#define PTK_ITER_NO_ATTRS 0x2u /* leave @attrs undecoded (faster) */
#define PTK_ITER_SKIP_INVALID 0x4u /* step over malformed entries */

/**
 * struct ptk_iter - A cursor over the leaves of a range
 * @va: First VA of the current item
 * @oa: Output address of its first leaf
 * @count: Leaves in the item: 1, or up to a table's worth with
 *         PTK_ITER_RUNS
 * @pte: The first leaf's raw entry
 * @attrs: Its decoded attributes (not with PTK_ITER_NO_ATTRS)
 * @level: The leaves' level
 * @size_lg2: log2 of each leaf's page size (a contiguous group counts as
 *            its entries, each of the base size)
 * @entries: The first leaf's entry in its table (read it with
 *           ptk_iter_pte(); do not write through it)
 * @entry_lg2: log2 of the entry size in bytes (2 or 3)
 *
 * The item spans @count << @size_lg2 bytes from @va. The fields are valid
 * after ptk_iter_next() returned 1 (or PTK_ECORRUPT: then @va, @level and
 * @pte describe the malformed entry). Everything else is private.
 */
struct ptk_iter {
	ptk_va_t va;
	ptk_oa_t oa;
	uint64_t count;
	ptk_pte_t pte;
	struct ptk_attrs attrs;
	unsigned int level;
	unsigned int size_lg2;
	const void *entries;
	unsigned int entry_lg2;
	/* private: */
	struct ptk_table *t;
	unsigned int flags;
	unsigned int depth; /* path valid from the top down to this level */
	bool stale; /* walk down from the root at the next step */
	bool done;
	bool in_read;
	bool have_item;
	bool pf; /* prefetch the next leaf table at the next leaf */
	bool raw64; /* ptk_iter_ptes64() may hand out @entries */
	unsigned long token;
	ptk_va_t pos; /* next address to look at */
	ptk_va_t last; /* last address of the range */
	void *tbl[PTK_MAX_LEVELS];
	ptk_oa_t tbl_oa[PTK_MAX_LEVELS];
	uint64_t live[PTK_MAX_LEVELS]; /* non-empty entries; ~0: not counted */
	ptk_pte_t dkey; /* attribute cache: key of @attrs, or ~0 */
	unsigned int dlevel;
	/* For implementations other than the radix engine (the hashed
	 * table: per level, the next leaf at or after @pos, and the table
	 * generation it was found in). */
	ptk_va_t impl_va[PTK_MAX_LEVELS];
	uint64_t impl_gen;
	/* One item per leaf: leaves after the current one that continue
	 * its run (same attributes, each entry @run_step above the last),
	 * read already; ptk_iter_next() hands them out inline. @pos is
	 * past the whole run meanwhile. */
	uint64_t run_rem;
	ptk_pte_t run_step;
	ptk_va_t run_size;
	size_t run_esize;
};

/**
 * ptk_iter_init() - Start iterating a range
 * @it: The iterator (caller storage)
 * @t: The table
 * @va: First address
 * @len: Bytes; non-zero. For sign-extended formats the range may cross
 *       the non-canonical hole, which is skipped.
 * @flags: PTK_ITER_* flags
 *
 * Context: As ptk_walk(). On a shared table, enters a read section that
 * lasts until ptk_iter_fini() or ptk_iter_yield().
 *
 * Return: 0, PTK_EINVAL (NULL arguments, zero length, unknown flags),
 * PTK_EOVERFLOW (@va + @len wraps) or PTK_ERANGE (no part of the range
 * is in the VA space). On error @it is set up to return 0 at once and
 * ptk_iter_fini() is still fine.
 */
int ptk_iter_init(struct ptk_iter *it, struct ptk_table *t, ptk_va_t va,
		  uint64_t len, unsigned int flags);

/**
 * ptk_iter_next() - Step to the next item
 * @it: The iterator
 *
 * Context: The thread that owns @it.
 *
 * Return: 1 with the item in @it's public fields, 0 at the end of the
 * range, PTK_ECORRUPT at a malformed entry (described in @va, @level and
 * @pte; the next call goes on after it) unless PTK_ITER_SKIP_INVALID,
 * or another negative error.
 */
int ptk_iter_next(struct ptk_iter *it);

/*
 * The step inside a run of alike leaves, inlined into the caller's loop
 * (a call per leaf costs more than the leaf); ptk_iter_next() remains a
 * function for FFI and for taking its address.
 */
static inline int ptk_iter__run_step(struct ptk_iter *it)
{
	if (!it->run_rem)
		return 0;
	it->run_rem--;
	it->va += it->run_size;
	it->oa += it->run_size;
	it->pte += it->run_step;
	it->entries = (const unsigned char *)it->entries + it->run_esize;
	return 1;
}

static inline int ptk_iter__next_inline(struct ptk_iter *it)
{
	if (it && ptk_iter__run_step(it))
		return 1;
	return (ptk_iter_next)(it);
}
#define ptk_iter_next(it) ptk_iter__next_inline(it)

#define PTK_ITER__CAT2(a, b) a##b
#define PTK_ITER__CAT(a, b) PTK_ITER__CAT2(a, b)
#define PTK_ITER__BRK PTK_ITER__CAT(ptk_iter__brk_, __LINE__)

/**
 * ptk_iter_for_each() - Loop over the items, as while ptk_iter_next() > 0
 * @it: The iterator (a pointer), set up by ptk_iter_init()
 * @rc: An int lvalue: ptk_iter_next()'s last return value
 *
 * Written before a statement (the loop body):
 *
 *	ptk_iter_for_each(&it, rc)
 *		sum += it.pte;
 *	if (rc < 0)
 *		error;
 *
 * It runs the body for the same items, in the same order, as
 * while ((rc = ptk_iter_next(&it)) > 0) does, and leaves @rc the same:
 * 0 at the end, a negative error (PTK_ECORRUPT: the malformed entry is
 * not handed to the body), or 1 after a break out of the body. break,
 * continue and return behave as in that while loop, and the body may
 * call ptk_iter_set(), ptk_iter_clear(), ptk_iter_take_run() and
 * ptk_iter_yield() as there. The difference is the shape: an outer
 * loop calls ptk_iter_next(), an inner one hands out the leaves the
 * step read ahead (see ptk_iter_take_run()) with no call in it, so the
 * compiler can keep @it's fields in registers across a run instead of
 * storing and reloading them at every leaf. That only pays when the body
 * itself calls nothing that could see @it.
 *
 * Uses a hidden variable named after the line; two loops on one line do
 * not nest.
 */
#define ptk_iter_for_each(it, rc)                                 \
	for (int PTK_ITER__BRK = ((rc) = (ptk_iter_next)(it), 0); \
	     !PTK_ITER__BRK && (rc) > 0;                          \
	     (rc) = PTK_ITER__BRK ? (rc) : (ptk_iter_next)(it))   \
		for (PTK_ITER__BRK = 1; PTK_ITER__BRK;            \
		     PTK_ITER__BRK = ptk_iter__run_step(it))

/**
 * ptk_iter_take_run() - Take the leaves that continue the current one
 * @it: The iterator, just after ptk_iter_next() returned 1, without
 *      PTK_ITER_RUNS
 *
 * Without PTK_ITER_RUNS the iterator hands out one leaf per item, but it
 * has read ahead the leaves of the same table that continue the item:
 * same level and attributes, output addresses following on. This makes
 * them part of the current item (@count grows; @va, @oa, @pte and
 * @entries stay those of the first leaf) and the next step goes on after
 * them, so that a caller that wants ranges of alike memory (a mirror, a
 * copy into another format) pays per run, not per leaf.
 *
 * Context: Inside the iteration, before the next step.
 *
 * Return: The leaves added to @count (0 when none continue it).
 */
static inline uint64_t ptk_iter_take_run(struct ptk_iter *it)
{
	uint64_t n = it->run_rem;

	it->count += n;
	it->run_rem = 0;
	return n;
}

/**
 * ptk_iter_set() - Rewrite the current item
 * @it: The iterator, just after ptk_iter_next() returned 1
 * @oa: New output address of its first leaf; the item's other leaves
 *      follow at consecutive addresses. Aligned to the item's page size.
 * @attrs: New attributes
 * @flags: PTK_MAP_SUPERSET to widen a protection the format cannot
 *         express
 * @g: Collects the item's range for invalidation; NULL when nothing can
 *     have cached the table
 *
 * Keeps the page size. The item's public fields are updated.
 *
 * Context: Caller excludes other writers of the range.
 *
 * Return: 0; PTK_EINVAL (no current item), PTK_EROFS, PTK_EALIGN, PTK_ERANGE (@oa
 * too large for the format), PTK_EPROT, PTK_ENOTSUP (the item holds
 * entries of a contiguous group, Arm's hint or Svnapot: ptk_protect()
 * takes groups apart). On error nothing changed.
 */
int ptk_iter_set(struct ptk_iter *it, ptk_oa_t oa,
		 const struct ptk_attrs *attrs, unsigned int flags,
		 struct ptk_gather *g);

/**
 * ptk_iter_clear() - Unmap the current item
 * @it: The iterator, just after ptk_iter_next() returned 1
 * @g: Collects the item's range and the tables it emptied; NULL frees
 *     them at once
 *
 * Tables the clearing empties are unlinked (the root stays; on a shared
 * table they stay linked). A contiguous group the item only partly
 * covers becomes plain leaves first, and the whole group is gathered.
 * The next ptk_iter_next() goes on after the item.
 *
 * Context: Caller excludes other writers of the range. (On a shared
 * table nothing is retired here, so clearing from inside the iterator's
 * own read section cannot make the reclaimer wait for it.)
 *
 * Return: 0, PTK_EINVAL when there is no current item, or PTK_EROFS
 * (read-only memory; nothing changed).
 */
int ptk_iter_clear(struct ptk_iter *it, struct ptk_gather *g);

/**
 * ptk_iter_yield() - Let go of the tables until the next step
 * @it: The iterator
 *
 * Leaves the read section of a shared table and forgets the path; the
 * next ptk_iter_next() re-enters and walks down from the root to the
 * address after the current item. Between the two the caller may drop
 * its locks, sleep, or let writers change and free tables.
 *
 * Context: The thread that owns @it.
 *
 * Return: Nothing.
 */
void ptk_iter_yield(struct ptk_iter *it);

/**
 * ptk_iter_fini() - Finish iterating
 * @it: The iterator; a zeroed one is accepted
 *
 * Leaves the read section, if any. @it may be initialised again.
 *
 * Context: The thread that owns @it.
 *
 * Return: Nothing.
 */
void ptk_iter_fini(struct ptk_iter *it);

/**
 * ptk_iter_pte() - Raw entry @i of the current run
 * @it: The iterator
 * @i: 0 .. @count - 1
 *
 * Context: Inside the iteration, before the next step.
 *
 * Return: The entry, read once.
 */
static inline ptk_pte_t ptk_iter_pte(const struct ptk_iter *it, uint64_t i)
{
	if (it->entry_lg2 == 3)
		return __atomic_load_n((const uint64_t *)it->entries + i,
				       __ATOMIC_RELAXED);
	return __atomic_load_n((const uint32_t *)it->entries + i,
			       __ATOMIC_RELAXED);
}

/**
 * ptk_iter_ptes64() - The current run's entries as an array
 * @it: The iterator
 *
 * For a loop over a run's raw entries that the compiler can vectorise:
 * entry @i of the run is ptk_iter_ptes64(@it)[@i], @i below @count, and
 * equals ptk_iter_pte(@it, @i). The reads through the array are plain
 * reads: each entry should be read once (it is the table's memory, not
 * a copy). That is only race-free when no thread writes the table
 * meanwhile, so this is NULL on a PTK_TABLE_SHARED table (whose writers
 * may change entries under its readers: read those with ptk_iter_pte(),
 * an atomic load each) and for formats whose entries are not 64-bit.
 *
 * Context: Inside the iteration, before the next step; the caller
 * excludes writers of the table, as for ptk_walk().
 *
 * Return: The first entry of the run, or NULL.
 */
static inline const uint64_t *ptk_iter_ptes64(const struct ptk_iter *it)
{
	return it->raw64 ? (const uint64_t *)it->entries : NULL;
}

/**
 * ptk_iter_oa() - Output address of leaf @i of the current run
 * @it: The iterator
 * @i: 0 .. @count - 1
 *
 * Context: Inside the iteration, before the next step.
 *
 * Return: The leaf's output address (the base of its page), or
 * PTK_OA_INVALID if the entry is no longer a leaf.
 */
ptk_oa_t ptk_iter_oa(const struct ptk_iter *it, uint64_t i);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_ITER_H */
