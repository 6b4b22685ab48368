/* SPDX-License-Identifier: MIT */
/*
 * ptkit range operations: protect, harvest, copy, move, split, collapse.
 *
 * DOC: range operations
 *
 * The kernel's page-table loops come in three kinds: READ loops that
 * visit entries and may change them in place (change protection, harvest
 * accessed/dirty state), BUILD loops that create entries (map), and DUAL
 * loops over two ranges at once (fork's copy, mremap's move). ptkit has
 * all of them on one engine, compiled per format, and each keeps its
 * position in the tree: nothing re-walks from the root per entry.
 *
 * Every operation here follows ptk_map()'s rules: (va, len) ranges
 * aligned to the smallest page, all or nothing under any failure
 * (allocation included), invalidations reported through the gather, and
 * one pair of notifier calls per operation (see notify.h).
 */
#ifndef PTKIT_RANGE_H
#define PTKIT_RANGE_H

#include <stdint.h>

#include "types.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ptk_protect() flags */
#define PTK_PROTECT_SPLIT 0x1u /* split huge leaves the range cuts */
#define PTK_PROTECT_SUPERSET 0x2u /* widen an inexpressible prot */

/**
 * ptk_protect() - Change the protection of every leaf in a range
 * @t: The table
 * @va: First address; aligned to the smallest page size
 * @len: Bytes; non-zero, a multiple of the smallest page size
 * @prot: The new PTK_PROT_* bits; other attributes are kept, and so is
 *        every entry bit that does not encode protection
 * @flags: PTK_PROTECT_SPLIT, PTK_PROTECT_SUPERSET
 * @g: Collects the ranges whose entries changed; NULL flushes at once
 *
 * Holes are skipped. A huge leaf (or contiguous group) the range covers
 * only in part is split first with PTK_PROTECT_SPLIT; without it the
 * call fails with PTK_ESPLIT and nothing changes.
 *
 * Context: Caller excludes other users of the range and all readers.
 *
 * Return: 0, PTK_EINVAL, PTK_EROFS (read-only memory), PTK_EALIGN,
 * PTK_EOVERFLOW, PTK_ERANGE, PTK_ESPLIT, PTK_EPROT, PTK_ECORRUPT or
 * PTK_ENOMEM.
 */
int ptk_protect(struct ptk_table *t, ptk_va_t va, uint64_t len, uint32_t prot,
		unsigned int flags, struct ptk_gather *g);

/* ptk_harvest() flags */
#define PTK_HARVEST_CLEAR 0x1u /* clear what was found */

/**
 * typedef ptk_harvest_fn - Receives one run of pages from ptk_harvest()
 * @va: First address of the run
 * @len: Bytes in the run
 * @found: The PTK_ATTR_ACCESSED / PTK_ATTR_DIRTY bits every page of the
 *         run has (among those asked for)
 * @arg: The caller's argument
 *
 * Return: 0 to go on; anything else stops the harvest, which returns it.
 */
typedef int (*ptk_harvest_fn)(ptk_va_t va, uint64_t len, unsigned int found,
			      void *arg);

/**
 * ptk_harvest() - Report (and optionally clear) accessed / dirty state
 * @t: The table
 * @va: First address; aligned to the smallest page size
 * @len: Bytes; non-zero, a multiple of the smallest page size
 * @what: PTK_ATTR_ACCESSED and/or PTK_ATTR_DIRTY
 * @flags: PTK_HARVEST_CLEAR to clear the bits found
 * @fn: Called once per maximal run of consecutive pages (within the
 *      range) that have the same non-empty set of @what bits
 * @arg: Passed to @fn
 * @g: Collects the ranges cleared; NULL flushes at once
 *
 * This is what dirty logging for live migration and an IOMMU's
 * read-and-clear-dirty need. A huge leaf reports the part of it inside
 * the range, and clearing clears it for the whole leaf (the hardware
 * keeps one bit for it); a contiguous group likewise acts as one page.
 *
 * Context: Caller excludes other writers of the range. @fn must not
 * change the table.
 *
 * Return: 0, @fn's non-zero value (pages before it were cleared as
 * asked), PTK_EINVAL, PTK_EROFS (PTK_HARVEST_CLEAR on read-only
 * memory), PTK_EALIGN, PTK_EOVERFLOW, PTK_ERANGE or PTK_ECORRUPT (then
 * nothing was cleared).
 */
int ptk_harvest(struct ptk_table *t, ptk_va_t va, uint64_t len,
		unsigned int what, unsigned int flags, ptk_harvest_fn fn,
		void *arg, struct ptk_gather *g);

/* ptk_copy() flags */
#define PTK_COPY_COW 0x1u /* write-protect both sides (fork) */

/**
 * ptk_copy() - Copy a range's mappings from one table to another (fork)
 * @dst: The table to copy into; its range must be empty
 * @src: The table to copy from; same format as @dst
 * @va: First address; aligned to the smallest page size
 * @len: Bytes; non-zero, a multiple of the smallest page size
 * @flags: PTK_COPY_COW to remove write permission on both sides
 * @g: Collects @src's ranges that copy-on-write changed; NULL flushes
 *
 * @dst gets tables of its own; leaves keep their size where the range
 * covers them whole. Part of a huge leaf is copied as smaller leaves;
 * with PTK_COPY_COW that would change @src outside the range, so it
 * fails with PTK_ESPLIT (split the leaf first).
 *
 * Context: Caller excludes other users of both ranges and all readers.
 *
 * Return: 0, PTK_EINVAL (NULL tables, different formats), PTK_EIMPL
 * (tables of different implementations, e.g. radix and hashed),
 * PTK_EROFS (@dst read-only, or @src with PTK_COPY_COW), PTK_EALIGN,
 * PTK_EOVERFLOW, PTK_ERANGE, PTK_EEXIST (@dst not empty there),
 * PTK_ESPLIT, PTK_ECORRUPT or PTK_ENOMEM.
 */
int ptk_copy(struct ptk_table *dst, struct ptk_table *src, ptk_va_t va,
	     uint64_t len, unsigned int flags, struct ptk_gather *g);

/* ptk_move() flags */
#define PTK_MOVE_SPLIT 0x1u /* split huge leaves the source range cuts */

/**
 * ptk_move() - Move a range's mappings to another VA in the same table
 * @t: The table
 * @old_va: First address of the source; aligned to the smallest page
 * @new_va: First address of the destination; aligned likewise
 * @len: Bytes; non-zero, a multiple of the smallest page size
 * @flags: PTK_MOVE_SPLIT
 * @g: Collects the source ranges that were unmapped; NULL flushes
 *
 * What mremap() does to page tables: afterwards [new_va, +len) maps what
 * [old_va, +len) mapped and the source maps nothing. Where a whole table
 * of the source lines up with a slot of the destination (both aligned to
 * the table's span), the table itself is relinked instead of copied
 * entry by entry (not on a PTK_TABLE_SHARED table, where a reader may
 * still hold the table under its old address: there the entries are
 * moved and the old tables retired). The ranges must not overlap.
 *
 * Context: Caller excludes other users of both ranges and all readers.
 *
 * Return: 0, PTK_EINVAL (overlap), PTK_EROFS, PTK_EALIGN, PTK_EOVERFLOW,
 * PTK_ERANGE, PTK_EEXIST (destination not empty), PTK_ESPLIT,
 * PTK_ECORRUPT or PTK_ENOMEM.
 */
int ptk_move(struct ptk_table *t, ptk_va_t old_va, ptk_va_t new_va,
	     uint64_t len, unsigned int flags, struct ptk_gather *g);

/**
 * ptk_split() - Split the huge leaf at a level into smaller leaves
 * @t: The table
 * @va: Any address inside the leaf
 * @level: The leaf's level
 * @g: Collects the leaf's range; NULL flushes at once
 *
 * The leaf becomes a table of leaves one level down with the same
 * translation and attributes; a contiguous group becomes plain leaves in
 * place (no allocation).
 *
 * Context: Caller excludes other users of the range and all readers.
 *
 * Return: 0, PTK_EINVAL, PTK_EROFS, PTK_ERANGE, PTK_ENOENT (no leaf or group
 * at @level there), PTK_ECORRUPT or PTK_ENOMEM.
 */
int ptk_split(struct ptk_table *t, ptk_va_t va, unsigned int level,
	      struct ptk_gather *g);

/**
 * ptk_collapse() - Replace a table of uniform leaves by one huge leaf
 * @t: The table
 * @va: Any address inside the range the table covers
 * @level: The level of the entry that points to the table
 * @g: Collects the range and the freed table; NULL flushes at once
 *
 * What khugepaged does: when every entry of the table below is a leaf,
 * their OAs are contiguous from an address aligned to the level's page
 * size, and their attributes are equal, the entry becomes a leaf at
 * @level and the table is freed (after the flush).
 *
 * Context: Caller excludes other users of the range and all readers.
 *
 * Return: 0, PTK_EINVAL, PTK_EROFS, PTK_ERANGE, PTK_ENOENT (no table there),
 * PTK_ENOTSUP (@level cannot hold leaves), PTK_ENOTUNIFORM,
 * PTK_ECORRUPT, or (hashed tables only, whose page size's hash may have
 * to grow for the new leaf) PTK_ENOMEM.
 */
int ptk_collapse(struct ptk_table *t, ptk_va_t va, unsigned int level,
		 struct ptk_gather *g);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_RANGE_H */
