/* SPDX-License-Identifier: MIT */
/*
 * A hand-written x86-64 4-level page table: the baseline ptkit is measured
 * against.
 *
 * DOC: tailored baseline
 *
 * This is page-table code the way a kernel writes it for one format: the
 * shifts (39/30/21/12) and masks are constants, each level has its own
 * loop (pgd/pud/pmd/pte), entries are plain uint64_t, and there are no
 * descriptors, hooks or function pointers. Table pages come from a small
 * pool (2 MiB chunks carved into 4 KiB pages, with a free list, zeroed on
 * allocation), like ptkit's heap provider. Host pointers are the table
 * addresses, as with ptkit's heap provider.
 *
 * It is the speed limit in `ptkit bench`: it only has to be correct for
 * the tables it builds itself. Map is not all-or-nothing (like the
 * kernel's vmap, a failed map leaves what it did in place for the caller
 * to unmap), and huge leaves that an unmap only partly covers are left
 * alone (counted in the return value) instead of split.
 */
#ifndef PTK_BENCH_TAILORED_X86_64_H
#define PTK_BENCH_TAILORED_X86_64_H

#include <stddef.h>
#include <stdint.h>

#define TPT_P 0x1ull
#define TPT_RW 0x2ull
#define TPT_US 0x4ull
#define TPT_A 0x20ull
#define TPT_D 0x40ull
#define TPT_PS 0x80ull
#define TPT_NX (1ull << 63)

#define TPT_OA_MASK 0x000ffffffffff000ull /* 4K leaf or next table */
#define TPT_OA_MASK_2M 0x000fffffffe00000ull /* PS leaf in a PMD */
#define TPT_OA_MASK_1G 0x000fffffc0000000ull /* PS leaf in a PUD */

#define TPT_PAGE_SHIFT 12
#define TPT_PMD_SHIFT 21
#define TPT_PUD_SHIFT 30
#define TPT_PGD_SHIFT 39
#define TPT_PTRS 512

/* The entry bits a table pointer carries (like the kernel's _PAGE_TABLE). */
#define TPT_TABLE_BITS (TPT_P | TPT_RW | TPT_US | TPT_A)

/* The leaf bits tpt_protect() replaces (like the kernel's pte_modify()). */
#define TPT_PROT_BITS (TPT_RW | TPT_US | TPT_NX)

struct tpt_chunk;

/**
 * struct tpt_pool - Table-page allocator of the tailored baseline
 * @chunks: Every 2 MiB chunk, for tpt_destroy()
 * @cur: Next never-used page of the newest chunk
 * @left: Bytes left after @cur
 * @free_head: Freed pages, linked through their first word
 * @live: Pages currently handed out
 */
struct tpt_pool {
	struct tpt_chunk *chunks;
	unsigned char *cur;
	size_t left;
	void *free_head;
	uint64_t live;
};

/**
 * struct tpt - A tailored x86-64 4-level table
 * @pgd: The root (PML4) table
 * @pool: Where its table pages come from
 */
struct tpt {
	uint64_t *pgd;
	struct tpt_pool pool;
};

/**
 * struct tpt_walk_sum - What a walk computed
 * @runs: Number of leaf runs (see struct ptk_walk_leaf for the rule)
 * @leaves: Number of leaves, summed over the runs
 * @mix: Sum over the runs of (VA ^ OA) of the run's first leaf
 */
struct tpt_walk_sum {
	uint64_t runs;
	uint64_t leaves;
	uint64_t mix;
};

/**
 * tpt_create() - Make an empty table
 * @pt: Caller storage
 *
 * Context: Host only; allocates.
 *
 * Return: 0, or -1 when memory ran out.
 */
int tpt_create(struct tpt *pt);

/**
 * tpt_destroy() - Free the table and every page its pool holds
 * @pt: The table
 *
 * Context: No other users of @pt.
 *
 * Return: Nothing.
 */
void tpt_destroy(struct tpt *pt);

/**
 * tpt_map() - Map [@va, @va + @len) to [@pa, @pa + @len)
 * @pt: The table
 * @va: First address, canonical, 4 KiB aligned
 * @len: Bytes, a non-zero multiple of 4 KiB
 * @pa: First output address, 4 KiB aligned
 * @leaf_bits: Non-address bits of every leaf (TPT_P, TPT_RW, ...; PS is
 *             added for huge leaves)
 * @max_shift: Largest page size to use, as a shift: 12, 21 or 30
 *
 * Uses 1 GiB and 2 MiB leaves where alignment, @max_shift and the length
 * allow and nothing is mapped yet, 4 KiB leaves elsewhere. Tables are
 * allocated on demand.
 *
 * Context: Caller excludes every other user of @pt.
 *
 * Return: 0; -1 for bad arguments, a present entry in the range, or no
 * memory. On failure what was mapped before the failure stays mapped.
 */
int tpt_map(struct tpt *pt, uint64_t va, uint64_t len, uint64_t pa,
	    uint64_t leaf_bits, unsigned int max_shift);

/**
 * tpt_unmap() - Remove every leaf in [@va, @va + @len)
 * @pt: The table
 * @va: First address, canonical, 4 KiB aligned
 * @len: Bytes, a non-zero multiple of 4 KiB
 *
 * Every leaf in the range is cleared and tables that become empty are
 * freed. A table whose whole span is unmapped is unlinked and freed as it
 * is, like the IOMMU page-table code does: its entries are not cleared
 * (the pool zeroes pages when it hands them out) and a leaf table is not
 * read at all.
 *
 * Context: Caller excludes every other user of @pt.
 *
 * Return: The number of huge leaves left in place because the range only
 * partly covers them (0 normally), or -1 for bad arguments.
 */
int tpt_unmap(struct tpt *pt, uint64_t va, uint64_t len);

/**
 * tpt_translate() - Translate one address
 * @pt: The table
 * @va: The address
 * @pa: The output address (page address + offset)
 *
 * Context: Readers only.
 *
 * Return: 0, or -1 when @va is not canonical or not mapped.
 */
int tpt_translate(const struct tpt *pt, uint64_t va, uint64_t *pa);

/**
 * tpt_walk() - Sum up the leaf runs in [@va, @va + @len)
 * @pt: The table
 * @va: First address, canonical, 4 KiB aligned
 * @len: Bytes, a non-zero multiple of 4 KiB; the range must stay in one
 *       canonical half
 * @sum: Gets the runs, leaves and mix of the range (overwritten)
 *
 * Computes inline what a ptk_walk() leaf hook that counts runs and leaves
 * and sums (VA ^ OA) of each run's first leaf computes: runs are maximal
 * sequences of leaves inside one table and inside the range with
 * consecutive VAs, contiguous OAs and equal non-address bits.
 *
 * Context: Readers only.
 *
 * Return: Nothing.
 */
void tpt_walk(const struct tpt *pt, uint64_t va, uint64_t len,
	      struct tpt_walk_sum *sum);

/**
 * tpt_scan() - Sum the leaf entries in [@va, @va + @len)
 * @pt: The table
 * @va: First address, canonical, 4 KiB aligned
 * @len: Bytes, a non-zero multiple of 4 KiB; the range must stay in one
 *       canonical half, and huge leaves must lie inside it whole
 * @leaves: Gets the number of present leaves in the range
 *
 * A dense scan, the way a hand-written loop reads a table: one loop per
 * level, and at the PTE level a plain loop adding up the table's entries
 * in the range (empty entries are 0 here, so they add nothing). Huge
 * leaves count as one entry each.
 *
 * Context: Readers only.
 *
 * Return: The sum of the raw entries of the present leaves, mod 2^64.
 */
uint64_t tpt_scan(const struct tpt *pt, uint64_t va, uint64_t len,
		  uint64_t *leaves);

/**
 * tpt_leaf() - The leaf entry that maps one address
 * @pt: The table
 * @va: The address
 * @e: The entry, at whatever level it is
 *
 * Context: Readers only.
 *
 * Return: 0, or -1 when @va is not canonical or not mapped.
 */
int tpt_leaf(const struct tpt *pt, uint64_t va, uint64_t *e);

/**
 * tpt_protect() - Change the protection of every leaf in [@va, @va + @len)
 * @pt: The table
 * @va: First address, canonical, 4 KiB aligned
 * @len: Bytes, a non-zero multiple of 4 KiB; one canonical half
 * @prot_bits: The new TPT_PROT_BITS of every leaf (TPT_RW, TPT_US,
 *             TPT_NX); its other bits are kept
 *
 * What the kernel's change_protection() does to the tables: holes are
 * skipped, and an entry is stored only when it changes. Huge leaves the
 * range only partly covers are left alone.
 *
 * Context: Caller excludes every other user of @pt.
 *
 * Return: The number of leaves changed, or -1 for bad arguments.
 */
int64_t tpt_protect(struct tpt *pt, uint64_t va, uint64_t len,
		    uint64_t prot_bits);

/**
 * typedef tpt_harvest_fn - Receives one run of dirty pages
 * @va: First address of the run
 * @len: Bytes in the run
 * @arg: The caller's argument
 */
typedef void (*tpt_harvest_fn)(uint64_t va, uint64_t len, void *arg);

/**
 * tpt_harvest() - Report and clear the dirty bit in [@va, @va + @len)
 * @pt: The table
 * @va: First address, canonical, 4 KiB aligned
 * @len: Bytes, a non-zero multiple of 4 KiB; one canonical half
 * @fn: Called once per maximal run of consecutive dirty pages (a huge
 *      leaf counts with the part of it inside the range)
 * @arg: Passed to @fn
 *
 * Dirty logging as a hypervisor or an IOMMU driver writes it: every
 * present leaf with D set loses it, and the dirty pages are handed to
 * @fn as runs, across table boundaries.
 *
 * Context: Caller excludes every other user of @pt.
 *
 * Return: The number of dirty leaves found, or -1 for bad arguments.
 */
int64_t tpt_harvest(struct tpt *pt, uint64_t va, uint64_t len,
		    tpt_harvest_fn fn, void *arg);

/**
 * tpt_copy() - Copy the leaves of [@va, @va + @len) into another table
 * @dst: The table to copy into; empty in the range
 * @src: The table to copy from
 * @va: First address, canonical, 4 KiB aligned
 * @len: Bytes, a non-zero multiple of 4 KiB; one canonical half
 * @cow: Clear TPT_RW on both sides (fork's copy-on-write)
 *
 * What the kernel's copy_page_range() does to the tables at fork: @dst
 * gets tables of its own, allocated as the copy goes, and every present
 * leaf is copied, write-protected in @src and @dst when @cow. @dst is
 * not checked for existing entries (fork's child is new). Huge leaves
 * the range only partly covers are not copied.
 *
 * Context: Caller excludes every other user of both tables.
 *
 * Return: 0; -1 for bad arguments or no memory (what was copied before
 * stays).
 */
int tpt_copy(struct tpt *dst, struct tpt *src, uint64_t va, uint64_t len,
	     int cow);

/**
 * tpt_move() - Move the leaves of [@old_va, +@len) to @new_va (mremap)
 * @pt: The table
 * @old_va: First address of the source, canonical, 4 KiB aligned
 * @new_va: First address of the destination, likewise; the ranges must
 *          not overlap and the destination must be empty
 * @len: Bytes, a non-zero multiple of 4 KiB; each range in one half
 *
 * The kernel's move_page_tables(): the range is cut into extents that
 * end at the next 1 GiB (then 2 MiB) boundary of either side. Where an
 * extent is a whole 1 GiB or 2 MiB slot on both sides, the PUD or PMD
 * entry (a table or a huge leaf) is relinked; otherwise its PTEs are
 * moved one by one. Both table paths are looked up from the root once
 * per extent. The source tables left empty are then freed as
 * tpt_unmap() frees them.
 *
 * Context: Caller excludes every other user of @pt.
 *
 * Return: 0; -1 for bad arguments, overlap, no memory, a non-empty slot
 * for a relinked entry or a huge leaf that an extent only partly covers
 * (what was moved before stays moved).
 */
int tpt_move(struct tpt *pt, uint64_t old_va, uint64_t new_va, uint64_t len);

/**
 * tpt_pages() - Table pages in use, root included
 * @pt: The table
 *
 * Context: Any context.
 *
 * Return: The count.
 */
uint64_t tpt_pages(const struct tpt *pt);

#endif /* PTK_BENCH_TAILORED_X86_64_H */
