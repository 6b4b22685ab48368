/* SPDX-License-Identifier: MIT */
/*
 * ptkit hashed page tables: the same table API on a hash instead of a tree.
 *
 * DOC: hashed tables
 *
 * A hashed table keeps the leaves of any format in one hash table per
 * page size (per leaf level), keyed by virtual page number, in the
 * format's own entry encoding: entries are made, read and rewritten with
 * the format's hooks, so a hashed x86-64 or Arm table holds bit for bit
 * the entries a radix one would. Make one with
 * ptk_table_create(..., PTK_TABLE_HASH) or, with options,
 * ptk_table_create_impl(..., &ptk_hash_ops, &opts, 0); everything else
 * (ptk_map(), the range operations, ptk_walk(), the iterator, gathers,
 * notifiers) is called as for any table, with the same contract: the
 * same leaves as the radix engine for the same operations (largest page
 * sizes alignment allows, the same splits, the same errors), all or
 * nothing under allocation failure.
 *
 * Layout. A record is a cluster of 2^cluster_lg2 consecutive entries of
 * one page size (Talluri and Hill's clustered page table: one tag for a
 * small aligned block of pages), at least a format's contiguous group
 * (Arm's contiguous hint, Svnapot), so that groups never straddle two
 * records. Records live in an open-addressed table with linear probing,
 * keys and values in separate arrays (a probe reads 8 keys per cache
 * line; a hit then reads the one value line that holds the entry), the
 * home slot a multiplicative hash of the cluster number. A table grows
 * (doubling, at 3/4 load) before an operation changes anything, or the
 * operation fails with PTK_ENOMEM and nothing changed; deletion shifts
 * back (no tombstones). Arrays larger than 64 KiB are split into 64 KiB
 * segments with a directory, so no allocation is ever larger than that
 * and the provider's largest size does not bound the table.
 *
 * Order. A hash has none, but walks, the iterator and every range
 * operation go in address order, and skip what is not mapped in time
 * proportional to what is. For that each page size has a summary: a
 * 64-ary trie of occupancy bitmaps over its cluster numbers, kept in one
 * more hash (as Elastic Cuckoo Page Tables keep Cuckoo Walk Tables next
 * to their ways). The next mapped cluster after any address is found by
 * climbing that trie until a bitmap has a later bit, and descending.
 *
 * What differs from the radix engine, by nature:
 *  - there are no tables: ptk_table_count() is 0 at every level,
 *    ptk_walk() never calls pre_table / post_table, and reports each
 *    maximal unmapped gap as one hole with @level the top level;
 *  - a run of the iterator (PTK_ITER_RUNS) is a run of consecutive
 *    leaves of one record, at most 2^cluster_lg2 (the leaves a run can
 *    point at with one @entries pointer), where a radix run may hold a
 *    whole table;
 *  - ptk_collapse() and ptk_split() may need to grow a page size's
 *    hash, so they may fail with PTK_ENOMEM (and change nothing);
 *  - memory freed by an operation (arrays replaced by a larger one, or
 *    emptied) goes to the gather like unlinked tables do, and is freed
 *    by ptk_table_flush(); a hash keeps its capacity until it is empty
 *    (shrinking would allocate inside operations that cannot fail);
 *  - PTK_TABLE_SHARED is refused with PTK_EIMPL: records move (growth,
 *    backward-shift deletion) under a would-be lockless reader, and
 *    writers of disjoint ranges would share one array.
 *
 * docs/RADIX_OR_HASH.md has the measurements behind these choices (the
 * record size, the probing, the summary) and the comparison with the
 * radix engine (`ptkit bench --only hash`).
 */
#ifndef PTKIT_HASH_H
#define PTKIT_HASH_H

#include <stdint.h>

#include "types.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ptk_impl_ops;

/* The hashed implementation, for ptk_table_create_impl(). */
extern const struct ptk_impl_ops ptk_hash_ops;

#define PTK_HASH_OPTS_VERSION 1

/* Largest cluster_lg2 (128 entries per record). */
#define PTK_HASH_CLUSTER_MAX 7

/**
 * struct ptk_hash_opts - Options of a hashed table
 * @version: PTK_HASH_OPTS_VERSION
 * @cluster_lg2: log2 of the entries per record, 0..PTK_HASH_CLUSTER_MAX
 *               (0: one entry per record, the classic inverted layout;
 *               the default, 3, is one 64-byte line of 8-byte entries).
 *               Raised per level to the format's contiguous group, and
 *               lowered to a level's table size.
 *
 * ptk_table_create_impl() with a NULL @impl_arg uses the defaults.
 */
struct ptk_hash_opts {
	unsigned int version;
	unsigned int cluster_lg2;
};

/* What ptk_table_create(PTK_TABLE_HASH) uses. */
#define PTK_HASH_CLUSTER_DEFAULT 3

/**
 * struct ptk_hash_stats - The shape of a hashed table
 * @bytes: Memory it holds from its provider (header, arrays, directories)
 * @blocks: Blocks it holds
 * @records: Records (clusters) per level
 * @slots: Capacity per level (0 when the level holds nothing)
 * @cluster_lg2: log2 entries per record, per level (0 where no leaves)
 * @sum_records: Summary records (occupancy bitmaps), all levels
 * @sum_slots: Their capacity
 * @probe_sum: Sum over every record and summary record of the slots a
 *             lookup of it reads (1 when it sits in its home slot)
 */
struct ptk_hash_stats {
	uint64_t bytes;
	uint64_t blocks;
	uint64_t records[PTK_MAX_LEVELS];
	uint64_t slots[PTK_MAX_LEVELS];
	unsigned int cluster_lg2[PTK_MAX_LEVELS];
	uint64_t sum_records;
	uint64_t sum_slots;
	uint64_t probe_sum;
};

/**
 * ptk_hash_stats() - Describe a hashed table
 * @out: The figures
 * @t: A table made with &ptk_hash_ops
 *
 * Context: Readers only. Cost: one pass over the arrays.
 *
 * Return: 0, or PTK_EINVAL when @t is not a hashed table.
 */
int ptk_hash_stats(struct ptk_hash_stats *out, const struct ptk_table *t);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_HASH_H */
