/* SPDX-License-Identifier: MIT */
/*
 * ptkit BUILD iterator: tables made over a range, slots handed out.
 *
 * DOC: build
 *
 * ptk_map() decides everything itself: page sizes, encodings, which
 * tables to make. Callers that install entries of their own (grant
 * mappings, device apertures, a loader's fixed layout) want the other
 * half of the job only: make sure the tables exist down to a level, then
 * let them write the slots. ptk_build() is that generic BUILD iterator
 * (Davies' READ / BUILD / DUAL classification; Linux's
 * apply_to_page_range() plays the same part for Xen):
 *
 *  1. every table over [va, va + len) down to @level is allocated before
 *     anything is written or any callback runs: an allocation failure
 *     (or any other error of this step) leaves the table exactly as it
 *     was and calls nothing;
 *  2. @fn is then called once per table at @level with the run of slots
 *     the range covers in it (struct ptk_build_run), empty ones
 *     included, in address order; it reads and writes them with the
 *     ptk_build_* helpers below;
 *  3. tables the callbacks left empty are unlinked again, so that a
 *     build that sets nothing leaves nothing behind.
 *
 * Writes go straight to the table: a callback that stops the build
 * (non-zero return: ptk_build() returns PTK_EUSER) leaves the slots it
 * and the callbacks before it wrote. That part is not all-or-nothing.
 */
#ifndef PTKIT_BUILD_H
#define PTKIT_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "types.h"
#include "fmt.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ptk_entry_store() - Publish one entry of a table
 * @tbl: The table's memory
 * @i: The entry's index in it
 * @entry_lg2: log2 of the entry size in bytes (2 or 3)
 * @v: The new entry
 *
 * One atomic store with release order: whatever was written before it
 * (the entries of a table @v points to) is visible to a reader that
 * loads @v. The engine writes every entry with this; so do the
 * ptk_build_* helpers, which makes them safe on PTK_TABLE_SHARED
 * tables.
 *
 * Context: Any context.
 *
 * Return: Nothing.
 */
static inline void ptk_entry_store(void *tbl, uint64_t i,
				   unsigned int entry_lg2, ptk_pte_t v)
{
	if (entry_lg2 == 3)
		__atomic_store_n((uint64_t *)tbl + i, v, __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint32_t *)tbl + i, (uint32_t)v,
				 __ATOMIC_RELEASE);
}

/* ptk_build() flags */
#define PTK_BUILD_REPLACE 0x1u /* split leaves and clear tables in the way */

struct ptk_build_run;

/**
 * typedef ptk_build_fill_fn - The engine's fill of a run (private)
 * @r: The run
 * @i: First slot, relative to the run
 * @n: Number of slots
 * @oa: OA of the first one
 * @bits: Non-address bits, from ptk_build_encode()
 *
 * Return: Nothing; ptk_build_fill() checked the arguments.
 */
typedef void (*ptk_build_fill_fn)(struct ptk_build_run *r, uint64_t i,
				  uint64_t n, ptk_oa_t oa, ptk_pte_t bits);

/**
 * struct ptk_build_run - The slots of one table that a build hands over
 * @va: VA of the first slot (slot k maps va + (k << size_lg2))
 * @count: Slots in the run, >= 1; helpers take indexes 0..count-1
 * @first: Index of the first slot in its table
 * @level: Their level (ptk_build()'s @level)
 * @size_lg2: log2 of the bytes one slot spans
 * @entry_lg2: log2 of the entry size in bytes (2 or 3)
 * @fmt: The table's format
 * @slots: The table's memory (entry @first is the run's slot 0)
 *
 * Read slots with ptk_build_get() / ptk_build_type() and write them
 * with ptk_build_set() / ptk_build_fill(), which keep track of what
 * changed for the gather and publish each entry with ptk_entry_store().
 * A slot may be set to a leaf (ptk_build_leaf(), ptk_build_fill()) or to
 * 0 (empty); never to a table entry: tables are the engine's.
 */
struct ptk_build_run {
	ptk_va_t va;
	uint64_t count;
	uint64_t first;
	unsigned int level;
	unsigned int size_lg2;
	unsigned int entry_lg2;
	const struct ptk_fmt *fmt;
	void *slots;
	/* private: */
	uint64_t chg_first;
	uint64_t chg_end;
	ptk_build_fill_fn fill;
};

/**
 * ptk_build_get() - Read a slot of a run
 * @r: The run
 * @i: The slot, 0..@r->count-1
 *
 * Context: Inside the ptk_build() callback that got @r.
 *
 * Return: The raw entry.
 */
static inline ptk_pte_t ptk_build_get(const struct ptk_build_run *r, uint64_t i)
{
	if (r->entry_lg2 == 3)
		return __atomic_load_n((const uint64_t *)r->slots + r->first +
					       i,
				       __ATOMIC_RELAXED);
	return __atomic_load_n((const uint32_t *)r->slots + r->first + i,
			       __ATOMIC_RELAXED);
}

/**
 * ptk_build_set() - Write a slot of a run
 * @r: The run
 * @i: The slot, 0..@r->count-1
 * @v: A leaf of @r's level (ptk_build_leaf()), or 0 to make it empty
 *
 * A slot that held something else than 0 and changes is gathered
 * (ptk_build() reports it to the gather and the notifiers); filling an
 * empty slot invalidates nothing.
 *
 * Context: Inside the ptk_build() callback that got @r.
 *
 * Return: Nothing.
 */
static inline void ptk_build_set(struct ptk_build_run *r, uint64_t i,
				 ptk_pte_t v)
{
	ptk_pte_t old;

	/* One test of the entry size and one address per slot: the
	 * atomics make the compiler read @r again at every call. */
	if (r->entry_lg2 == 3) {
		uint64_t *p = (uint64_t *)r->slots + r->first + i;

		old = __atomic_load_n(p, __ATOMIC_RELAXED);
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
	} else {
		uint32_t *p = (uint32_t *)r->slots + r->first + i;

		old = __atomic_load_n(p, __ATOMIC_RELAXED);
		__atomic_store_n(p, (uint32_t)v, __ATOMIC_RELEASE);
	}
	if (old && old != v) {
		if (i < r->chg_first)
			r->chg_first = i;
		if (i >= r->chg_end)
			r->chg_end = i + 1;
	}
}

/**
 * ptk_build_type() - What a slot holds
 * @r: The run
 * @i: The slot, 0..@r->count-1
 *
 * Context: Inside the ptk_build() callback that got @r.
 *
 * Return: Its type at @r's level (the format's classify hook).
 */
enum ptk_entry_type ptk_build_type(const struct ptk_build_run *r, uint64_t i);

/**
 * ptk_build_encode() - The non-address bits of a leaf at a run's level
 * @bits_out: The bits, for ptk_build_leaf() and ptk_build_fill()
 * @r: The run
 * @attrs: What the leaf grants
 * @flags: PTK_MAP_SUPERSET to widen a protection the format cannot
 *         express, else 0
 *
 * Encode once per run (or once per build: the bits depend only on the
 * level), then make any number of leaves with them.
 *
 * Context: Any context.
 *
 * Return: 0, PTK_EINVAL (NULL arguments, unknown flags), PTK_ENOTSUP
 * (the format has no leaves at @r's level) or the format's encode error
 * (PTK_EPROT: a protection or memory type it cannot express).
 */
int ptk_build_encode(ptk_pte_t *bits_out, const struct ptk_build_run *r,
		     const struct ptk_attrs *attrs, unsigned int flags);

/**
 * ptk_build_leaf() - Make a leaf for a slot of a run
 * @r: The run
 * @oa: Its output address, aligned to the slot size
 * @bits: From ptk_build_encode()
 *
 * Context: Any context.
 *
 * Return: The entry, for ptk_build_set(). The format's make_leaf hook
 * does no checks: ptk_build_fill() is the checked (and faster) way.
 */
ptk_pte_t ptk_build_leaf(const struct ptk_build_run *r, ptk_oa_t oa,
			 ptk_pte_t bits);

/**
 * ptk_build_fill() - Set a stretch of slots to leaves mapping a range
 * @r: The run
 * @i: First slot, relative to the run
 * @n: Number of slots (from @i, inside the run)
 * @oa: OA of slot @i (slot @i + k maps @oa + (k << @r->size_lg2))
 * @bits: From ptk_build_encode()
 *
 * The engine's own loop, specialised for the format: what to use for a
 * run of leaves that map contiguous memory. Slots that held something
 * else are gathered, as with ptk_build_set(). Contiguous-group hints
 * (Arm's contiguous bit, RISC-V Svnapot) are not set.
 *
 * Context: Inside the ptk_build() callback that got @r.
 *
 * Return: 0, or nothing written and PTK_EINVAL (@i + @n past the run,
 * or @n 0), PTK_ENOTSUP (no leaves at this level), PTK_EALIGN (@oa not
 * aligned to the slot size), PTK_EOVERFLOW or PTK_ERANGE (the last OA
 * above what a leaf at this level can hold).
 */
int ptk_build_fill(struct ptk_build_run *r, uint64_t i, uint64_t n, ptk_oa_t oa,
		   ptk_pte_t bits);

/**
 * typedef ptk_build_fn - Receives the slots of one table from ptk_build()
 * @r: The run; the callback may read and write its slots through the
 *     ptk_build_* helpers, and nothing else of the table
 * @arg: ptk_build()'s @arg
 *
 * Return: 0 to go on; anything else stops the build with PTK_EUSER.
 */
typedef int (*ptk_build_fn)(struct ptk_build_run *r, void *arg);

/**
 * ptk_build() - Make the tables over a range, then hand over their slots
 * @t: The table
 * @va: First address; aligned to the page size of @level
 * @len: Bytes; non-zero, a multiple of the page size of @level
 * @level: The level whose slots @fn gets: 0 for the smallest pages, up
 *         to the top level (slots of the root)
 * @flags: PTK_BUILD_REPLACE, or 0
 * @fn: Called once per table at @level, in address order, with the run
 *      of its slots that [@va, @va + @len) covers
 * @arg: Passed to @fn
 * @g: Collects invalidations and unlinked tables; NULL frees at once
 *
 * Step one makes every table at levels above @level that the range
 * needs, before any callback: it is all or nothing (on any error,
 * allocation failure included, the table is exactly as it was and @fn
 * was never called). What stands in the way of a table: a leaf above
 * @level (a huge page), and, when @level > 0, a table entry at @level in
 * the range (a slot must be a place for a leaf). Without
 * PTK_BUILD_REPLACE both fail with PTK_EEXIST. With it, such a leaf is
 * split into leaves of the next level down, as often as needed, keeping
 * its translation (the callback sees the pieces in its slots and may
 * keep them); such a table is unlinked with everything below it (its
 * mappings are gone: the slot is handed over empty). Contiguous groups
 * that the range cuts at @level are rewritten as plain leaves first
 * (same translation).
 *
 * Step two calls @fn. Step three, after each table's callback, unlinks
 * the tables the build made or found that are now empty (not on
 * PTK_TABLE_SHARED tables: see ptkit/shared.h).
 *
 * Gathered, and reported to notifiers as PTK_NOTIFY_REPLACE: the leaves
 * split and the tables unlinked in step one, and the slots the callbacks
 * changed that were not 0 before (merged per run, from the first to
 * the last such slot). Filling empty slots invalidates nothing.
 *
 * The page size of @level need not be one the format has leaves of:
 * the slots of such a level can only be read or made empty.
 *
 * Context: Caller excludes other users of the range and all readers
 * (unless PTK_TABLE_SHARED). @fn must not call other ptkit operations
 * on @t.
 *
 * Return: 0; PTK_EUSER (a callback returned non-zero: the slots written
 * until then stay written); or, with nothing changed and no callback
 * called: PTK_EINVAL (NULL @t or @fn, unknown flags, @level out of
 * range, zero @len), PTK_EROFS, PTK_EALIGN, PTK_EOVERFLOW, PTK_ERANGE,
 * PTK_EEXIST, PTK_ECORRUPT, PTK_ENOMEM, PTK_ETABLEOA, PTK_EIMPL (the
 * table's implementation has no tables to hand out: hashed tables).
 */
int ptk_build(struct ptk_table *t, ptk_va_t va, uint64_t len,
	      unsigned int level, unsigned int flags, ptk_build_fn fn,
	      void *arg, struct ptk_gather *g);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_BUILD_H */
