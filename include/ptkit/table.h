/* SPDX-License-Identifier: MIT */
/*
 * ptkit tables: create, map, unmap, translate, walk.
 *
 * DOC: tables
 *
 * A struct ptk_table is a root table of some format, the memory provider
 * its tables come from, and the engine instance that operates on it. The
 * struct is caller-allocated (stack, static, embedded) so that ptkit
 * allocates nothing but table memory; its fields are private.
 *
 * Locking is the caller's: mutations of one table must not run
 * concurrently with each other or with readers, unless the table was
 * created with PTK_TABLE_SHARED (see ptkit/shared.h).
 *
 * Every mutation reports what it invalidated through a struct ptk_gather:
 * merged VA ranges whose old translations may be cached somewhere (TLBs,
 * secondary MMUs), and the tables it unlinked. Unlinked tables are freed
 * by ptk_table_flush() after the caller has invalidated the ranges, never
 * before.
 */
#ifndef PTKIT_TABLE_H
#define PTKIT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "types.h"
#include "fmt.h"
#include "mem.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ptk_notifier;
struct ptk_interval;
struct ptk_xlate;
struct ptk_impl_ops;

/* ptk_table_create() / ptk_table_attach() flags */
#define PTK_TABLE_GENERIC 0x1u /* use the run-time engine instance */
#define PTK_TABLE_OWNED 0x2u /* attach: destroy frees the tables too */
#define PTK_TABLE_SHARED 0x4u /* readers beside writers: see ptkit/shared.h */
#define PTK_TABLE_HASH 0x8u /* create: a hashed table (ptkit/hash.h) */

/**
 * typedef ptk_translate_fn_t - A table's translate entry point
 *
 * What ptk_table_translate_fn() hands out: called as fn(t, va, out) with
 * the table it was fetched for, it does what ptk_translate(t, va, out)
 * does.
 */
typedef int (*ptk_translate_fn_t)(const struct ptk_table *t, ptk_va_t va,
				  struct ptk_xlate *out);

/**
 * struct ptk_table - A translation table
 *
 * All fields are private; use the functions below.
 */
struct ptk_table {
	/* private: */
	const struct ptk_fmt *fmt;
	const struct ptk_impl_ops *ops;
	const struct ptk_mem *mem;
	void *root;
	ptk_oa_t root_oa;
	uintptr_t lin_delta;
	unsigned int linear;
	unsigned int flags;
	uint64_t nr_tables[PTK_MAX_LEVELS];
	uint64_t tables_sum;
	struct ptk_notifier *notifiers;
	struct ptk_interval *iv_root; /* interval tree (ptkit/interval.h) */
	uint64_t iv_seq; /* odd while invalidations are in progress */
	uint32_t iv_lock;
	uint32_t iv_active; /* invalidations in progress */
	uint32_t iv_nr; /* subscriptions */
	uint32_t iv_idx_nr; /* entries in the index; 0 while it is stale */
	uint32_t iv_idx_cap; /* entries the index memory can hold */
	uint32_t iv_idx_stale; /* invalidations since it went stale */
	uint64_t *iv_idx; /* fast-reject index (ptk_interval_index()) */
	/* Per leaf level, the entry bits protections differ in (the
	 * engine's protect and copy-on-write; filled at the first use) */
	uint64_t prot_bits[PTK_MAX_LEVELS];
	uint32_t prot_bits_have; /* bit l: prot_bits[l] holds; bit 31: set */
	ptk_translate_fn_t xlate;
};

#define PTK_GATHER_RANGES 4

/* struct ptk_gather.flags */
#define PTK_GATHER_MERGED 0x1u /* ranges were widened to fit; covers more */
/* Set by the caller: its operations must not block (interval subscribers
 * are told so, see ptkit/interval.h). Kept by ptk_table_flush(). */
#define PTK_GATHER_ATOMIC 0x2u

/**
 * struct ptk_range - An inclusive VA range
 * @va: First address
 * @last: Last address (inclusive)
 */
struct ptk_range {
	ptk_va_t va;
	ptk_va_t last;
};

/**
 * struct ptk_gather - What a mutation invalidated
 * @nr: Number of valid entries in @ranges, sorted by address, disjoint
 *      and not adjacent
 * @flags: PTK_GATHER_* flags
 * @ranges: VA ranges whose old translations must be invalidated; when
 *          more than PTK_GATHER_RANGES were touched, neighbours are
 *          merged (the ranges then cover more than was changed, never
 *          less)
 * @nr_free: Tables unlinked and waiting for ptk_table_flush()
 * @owner: Who makes the changes, set by the caller after
 *         ptk_gather_init() and kept by ptk_table_flush(); interval
 *         subscribers receive it (a mirror skips its own changes). NULL:
 *         nobody in particular.
 */
struct ptk_gather {
	unsigned int nr;
	unsigned int flags;
	struct ptk_range ranges[PTK_GATHER_RANGES];
	uint64_t nr_free;
	const void *owner;
	/* private: */
	ptk_oa_t free_oa;
	void *free_ptr;
	unsigned int free_lg2;
	unsigned int free_mixed; /* the queue holds tables of two sizes */
	void *free_tail; /* the queue's last table (the first queued) */
	/* A notification batch (ptk_notify_batch_begin()). */
	struct ptk_table *batch_t;
	unsigned int batch_reason;
	unsigned int batch_iv; /* interval subscriptions were called */
	unsigned int batch_iv_nr; /* how many */
	void *batch_iv_one; /* the one, when one */
	struct ptk_range batch_r;
};

/**
 * ptk_gather_init() - Start an empty gather
 * @g: The gather
 *
 * Context: Any context.
 *
 * Return: Nothing.
 */
void ptk_gather_init(struct ptk_gather *g);

/**
 * ptk_gather_add() - Record an invalidated range
 * @g: The gather
 * @va: First address
 * @last: Last address, inclusive, >= @va
 *
 * Context: Any context.
 *
 * Return: Nothing.
 */
void ptk_gather_add(struct ptk_gather *g, ptk_va_t va, ptk_va_t last);

/**
 * ptk_table_flush() - Free the tables a gather collected and reset it
 * @t: The table the gather was used with
 * @g: The gather; may be NULL
 *
 * Call after the gathered ranges have been invalidated wherever they may
 * be cached.
 *
 * Context: Same as the mutation that filled @g.
 *
 * Return: Nothing.
 */
void ptk_table_flush(struct ptk_table *t, struct ptk_gather *g);

/**
 * ptk_table_create() - Make an empty table
 * @t: Caller storage for the table
 * @fmt: Its format (built-in, or filled in at run time)
 * @mem: Where its tables come from; must outlive the table
 * @flags: PTK_TABLE_GENERIC to force the run-time engine instance;
 *         PTK_TABLE_SHARED for readers beside writers (ptkit/shared.h);
 *         PTK_TABLE_HASH for a hashed table with default options (the
 *         same as ptk_table_create_impl() with &ptk_hash_ops and a NULL
 *         @impl_arg)
 *
 * Allocates the root table (a hashed table: its header).
 *
 * Context: Any context that may call @mem's alloc.
 *
 * Return: 0, PTK_EINVAL / PTK_EVERSION for a bad @fmt or @mem (see
 * ptk_fmt_check()), PTK_EPROVIDER (PTK_TABLE_SHARED, but @mem has no
 * read-section hooks), PTK_EROFS (@mem is PTK_MEM_READONLY),
 * PTK_ETABLEOA (@mem gave a root the format cannot point to: above
 * 2^table_oa_bits), PTK_EIMPL (PTK_TABLE_SHARED with PTK_TABLE_HASH:
 * hashed tables have no shared readers) or PTK_ENOMEM.
 */
int ptk_table_create(struct ptk_table *t, const struct ptk_fmt *fmt,
		     const struct ptk_mem *mem, unsigned int flags);

/**
 * ptk_table_create_impl() - Make an empty table of a given implementation
 * @t: Caller storage for the table
 * @fmt: Its format; any implementation encodes entries with the format's
 *       hooks, so every format works with every implementation
 * @mem: Where its memory comes from; must outlive the table
 * @impl: The implementation (struct ptk_impl_ops, ptkit/sys/impl.h):
 *        &ptk_hash_ops for a hashed table (ptkit/hash.h), your own, or
 *        NULL for the radix engine (then this is ptk_table_create())
 * @impl_arg: The implementation's options (for &ptk_hash_ops a const
 *            struct ptk_hash_opts *), or NULL for its defaults
 * @flags: PTK_TABLE_GENERIC (radix only), PTK_TABLE_SHARED (refused
 *         with PTK_EIMPL by implementations without shared readers)
 *
 * The implementation is chosen once, here: every later call on @t goes
 * to it, and the rest of the API (ranges, iterators, notifiers, gathers)
 * works the same on every implementation.
 *
 * Context: Any context that may call @mem's alloc.
 *
 * Return: 0, PTK_EINVAL (NULL @t, unknown flags, bad options),
 * PTK_EVERSION (@impl's version), the errors of ptk_table_create(),
 * PTK_EIMPL or PTK_ENOMEM. On error @t is zeroed and nothing is
 * allocated.
 */
int ptk_table_create_impl(struct ptk_table *t, const struct ptk_fmt *fmt,
			  const struct ptk_mem *mem,
			  const struct ptk_impl_ops *impl, const void *impl_arg,
			  unsigned int flags);

/**
 * ptk_table_attach() - Wrap an existing root table
 * @t: Caller storage for the table
 * @fmt: The root's format
 * @mem: The memory the tables live in; must map @root
 * @root: Output address of the root table
 * @flags: PTK_TABLE_GENERIC; PTK_TABLE_OWNED when ptk_table_destroy()
 *         should free the tables through @mem; PTK_TABLE_SHARED (as for
 *         ptk_table_create())
 *
 * Per-level table counts start at zero for attached tables; the
 * invariant checker only compares them on tables ptkit created.
 *
 * Context: Any context.
 *
 * Return: 0, PTK_EINVAL (bad arguments, @root misaligned or not mapped
 * by @mem), PTK_EPROVIDER (see ptk_table_create()), PTK_EROFS
 * (PTK_TABLE_OWNED on PTK_MEM_READONLY memory) or PTK_EVERSION.
 */
int ptk_table_attach(struct ptk_table *t, const struct ptk_fmt *fmt,
		     const struct ptk_mem *mem, ptk_oa_t root,
		     unsigned int flags);

/**
 * ptk_table_destroy() - Tear a table down
 * @t: The table; NULL and zeroed tables are accepted
 *
 * Frees every table below the root and the root itself, unless the
 * table was attached without PTK_TABLE_OWNED, in which case nothing is
 * freed. @t may be reused afterwards.
 *
 * Context: No concurrent users of @t.
 *
 * Return: Nothing.
 */
void ptk_table_destroy(struct ptk_table *t);

/**
 * ptk_table_root() - The root table's output address
 * @t: The table
 *
 * Context: Any context.
 *
 * Return: What a CR3/TTBR/satp would point to.
 */
ptk_oa_t ptk_table_root(const struct ptk_table *t);

/**
 * ptk_table_fmt() - The table's format
 * @t: The table
 *
 * Context: Any context.
 *
 * Return: The descriptor the table was made with.
 */
const struct ptk_fmt *ptk_table_fmt(const struct ptk_table *t);

/**
 * ptk_table_count() - Tables ptkit allocated at a level, root excluded
 * @t: The table
 * @level: 0..levels-1
 *
 * Context: Any context.
 *
 * Return: The count, or 0 for a level out of range (and at every level
 * of a hashed table, which has no tables: see ptk_hash_stats()).
 */
uint64_t ptk_table_count(const struct ptk_table *t, unsigned int level);

/* ptk_map() flags */
#define PTK_MAP_REPLACE 0x1u /* overwrite present leaves instead of EEXIST */
#define PTK_MAP_SUPERSET 0x2u /* widen a prot the format cannot express */
/* Cap the page size at 2^lg2 bytes (0 = no cap). */
#define PTK_MAP_MAX_PAGE(lg2) (((unsigned int)(lg2)&0x3fu) << 8)

/**
 * ptk_map() - Map a VA range to an OA range
 * @t: The table
 * @va: First input address; aligned to the smallest page size
 * @len: Bytes; non-zero, a multiple of the smallest page size
 * @oa: First output address; aligned to the smallest page size
 * @attrs: What the mapping grants
 * @flags: PTK_MAP_* flags
 * @g: Collects invalidations and unlinked tables; NULL when nothing can
 *     have cached the table (then unlinked tables are freed at once)
 *
 * At each point the largest page size is used that the format allows at
 * some level, that VA and OA alignment allow, and that the remaining
 * length covers, unless a table already exists there (then ptk_map()
 * descends into it). Tables are allocated on demand.
 *
 * All or nothing: on any error, allocation failure included, the table
 * is exactly as it was and @g is unchanged.
 *
 * With PTK_MAP_REPLACE, present leaves in the range are overwritten (a
 * huge leaf the range only partly covers is split first) and their range
 * is gathered.
 *
 * Context: Caller excludes other users of the range and all readers.
 *
 * Return: 0; PTK_EINVAL (NULL arguments, zero length, unknown flags),
 * PTK_EROFS (the table's memory is read-only), PTK_EALIGN, PTK_EOVERFLOW (@va + @len or @oa + @len wraps),
 * PTK_ERANGE (outside the VA space or OA above oa_bits), PTK_EEXIST
 * (something is mapped in the range), PTK_EPROT, PTK_ENOMEM, PTK_ETABLEOA
 * (the provider gave a table the format cannot point to).
 */
int ptk_map(struct ptk_table *t, ptk_va_t va, uint64_t len, ptk_oa_t oa,
	    const struct ptk_attrs *attrs, unsigned int flags,
	    struct ptk_gather *g);

/* ptk_unmap() flags */
#define PTK_UNMAP_SPLIT 0x1u /* split huge leaves the range cuts */

/**
 * ptk_unmap() - Remove every mapping in a VA range
 * @t: The table
 * @va: First input address; aligned to the smallest page size
 * @len: Bytes; non-zero, a multiple of the smallest page size
 * @flags: PTK_UNMAP_SPLIT to split huge leaves that straddle the ends
 * @g: Collects invalidations and unlinked tables; NULL frees at once
 *
 * Holes in the range are fine. Tables that become empty are unlinked
 * (and freed after ptk_table_flush()); the root is never freed. Without
 * PTK_UNMAP_SPLIT, a huge leaf that the range cuts makes the call fail
 * with PTK_ESPLIT and nothing changes. All or nothing, like ptk_map().
 *
 * Context: Caller excludes other users of the range and all readers.
 *
 * Return: 0, PTK_EINVAL, PTK_EROFS, PTK_EALIGN, PTK_EOVERFLOW, PTK_ERANGE,
 * PTK_ESPLIT, PTK_ECORRUPT (an invalid entry in the range) or
 * PTK_ENOMEM (splitting needed a table).
 */
int ptk_unmap(struct ptk_table *t, ptk_va_t va, uint64_t len,
	      unsigned int flags, struct ptk_gather *g);

/**
 * struct ptk_xlate - The result of a translation
 * @oa: The output address of the translated VA (page OA + offset)
 * @pte: The leaf entry
 * @level: The level of the leaf
 * @size_lg2: log2 of the leaf's page size
 */
struct ptk_xlate {
	ptk_oa_t oa;
	ptk_pte_t pte;
	unsigned int level;
	unsigned int size_lg2;
};

/**
 * ptk_translate() - Translate one address
 * @t: The table
 * @va: The address
 * @out: The result; may be NULL to only test for a mapping
 *
 * Context: Readers only; see ptk_table for locking.
 *
 * The hot path: an inline call straight into the table's engine instance
 * (the function is also exported, for bindings).
 *
 * Return: 0, PTK_ENOENT (not mapped), PTK_ERANGE (outside the VA space),
 * PTK_EINVAL (@t NULL or not set up) or PTK_ECORRUPT (an invalid entry
 * on the way).
 */
inline int ptk_translate(const struct ptk_table *t, ptk_va_t va,
			 struct ptk_xlate *out)
{
	if (!t || !t->xlate)
		return PTK_EINVAL;
	return t->xlate(t, va, out);
}

/**
 * ptk_table_translate_fn() - The translate entry point of one table
 * @t: The table
 *
 * ptk_translate() checks @t and calls through it on every lookup; a
 * caller that translates many addresses through one table fetches it
 * once and calls fn(@t, va, out) itself, the fastest correct path. It
 * is the function ptk_translate() would call for @t: the format's own
 * engine instance (or the run-time one with PTK_TABLE_GENERIC, the
 * hashed or the caller's implementation, an image's checked walk), so
 * its results and errors are ptk_translate()'s, @out NULL included, and
 * so are its rules (PTK_TABLE_SHARED: inside a read section).
 *
 * Valid for @t until ptk_table_destroy(@t) or until @t is created or
 * attached again; call it with no other table.
 *
 * Context: Any context.
 *
 * Return: The entry point; for a NULL or not set up @t, a function that
 * returns PTK_EINVAL (as ptk_translate() does). Never NULL.
 */
ptk_translate_fn_t ptk_table_translate_fn(const struct ptk_table *t);

/**
 * ptk_leaf_attrs() - Decode a leaf's attributes
 * @out: The attributes
 * @t: The table the leaf belongs to
 * @level: Its level
 * @pte: The leaf
 *
 * Context: Any context.
 *
 * Return: 0, or PTK_EINVAL if @pte is not a leaf at @level.
 */
int ptk_leaf_attrs(struct ptk_attrs *out, const struct ptk_table *t,
		   unsigned int level, ptk_pte_t pte);

/**
 * struct ptk_walk_leaf - A run of leaves handed to a walk's leaf hook
 * @va: VA of the first leaf
 * @oa: OA of the first leaf
 * @count: Number of leaves in the run (>= 1)
 * @pte: The first leaf's raw entry
 * @attrs: Its decoded attributes
 * @level: Their level
 * @size_lg2: log2 of each leaf's page size
 *
 * A run is a maximal sequence of leaves, inside one table and inside the
 * walked range, with consecutive VAs, contiguous OAs and equal
 * non-address bits. It spans count << size_lg2 bytes.
 */
struct ptk_walk_leaf {
	ptk_va_t va;
	ptk_oa_t oa;
	uint64_t count;
	ptk_pte_t pte;
	struct ptk_attrs attrs;
	unsigned int level;
	unsigned int size_lg2;
};

/**
 * struct ptk_walk_table - A table a walk enters or leaves
 * @va: First VA the table spans
 * @last: Last VA the table spans (inclusive)
 * @oa: The table's output address
 * @level: The table's level (its entries' level)
 */
struct ptk_walk_table {
	ptk_va_t va;
	ptk_va_t last;
	ptk_oa_t oa;
	unsigned int level;
};

/**
 * struct ptk_walk_page - One leaf of a batch
 * @va: The VA of its page
 * @oa: The OA of its page (inside a contiguous group: this entry's own)
 * @pte: The raw entry
 */
struct ptk_walk_page {
	ptk_va_t va;
	ptk_oa_t oa;
	ptk_pte_t pte;
};

/* The most pages one batch holds. */
#define PTK_WALK_BATCH 128

/**
 * struct ptk_walk_batch - Present leaves of one table, handed over at once
 * @pages: The leaves, in address order, with any OAs
 * @count: Entries in @pages, 1..PTK_WALK_BATCH
 * @level: Their level (all the same)
 * @size_lg2: log2 of each one's page size (the base size of the level,
 *            also for the entries of a contiguous group)
 *
 * The pages come from one table; a table with more present leaves in the
 * range than PTK_WALK_BATCH gives several batches (the buffer is on the
 * walk's stack: 3 KiB). A range that begins inside a huge page reports
 * that page from its start, as @leaf does. Empty entries between
 * them are skipped, unless the walk has a @hole hook: then a batch ends
 * at each hole, so that every hook is called in address order.
 */
struct ptk_walk_batch {
	const struct ptk_walk_page *pages;
	uint64_t count;
	unsigned int level;
	unsigned int size_lg2;
};

/**
 * struct ptk_walk_slots - A table's entries handed over raw, holes included
 * @t: The table walked (for ptk_walk_slots_count() and ptk_walk_slot())
 * @slots: The first entry, in the table itself: read-only, valid only
 *         during the hook; 1 << @t's format's entry_lg2 bytes each
 * @count: Entries from @slots on (>= 1)
 * @va: VA of the first entry's start (a range that begins inside an
 *      entry hands it over whole, as @leaf reports a huge page)
 * @level: Their level
 * @size_lg2: log2 of the bytes each entry spans
 *
 * The entries are as the table holds them: empty, leaves (of any OA,
 * contiguous groups entry by entry) and malformed ones alike; the walk
 * does not look at them. At level 0 that is every entry of a table in
 * the range; above it, a run of entries up to the next table entry,
 * which the walk enters itself.
 */
struct ptk_walk_slots {
	const struct ptk_table *t;
	const void *slots;
	uint64_t count;
	ptk_va_t va;
	unsigned int level;
	unsigned int size_lg2;
};

/* pre_table's return value to skip the table's entries; see ptk_walk_ops. */
#define PTK_WALK_SKIP 0x7ffffffe

/**
 * struct ptk_walk_ops - Walk hooks; any may be NULL
 * @leaf: A run of present leaves
 * @hole: [@va, @last] maps nothing; reported per run of empty entries at
 *        @level, clipped to the walked range
 * @pre_table: Before the entries of a table below the root are visited
 * @post_table: After them
 * @invalid: A malformed entry at @level spanning [@va, @last]; when NULL
 *           the walk stops with PTK_ECORRUPT
 * @leaves: Present leaves a table at a time (struct ptk_walk_batch), one
 *          call for up to PTK_WALK_BATCH of them whatever their OAs:
 *          what a scan of scattered pages wants, where @leaf would be
 *          called once per page. Set @leaves or @leaf, not both.
 * @slots: Every entry that is not a table, raw, a table's run at a time
 *         (struct ptk_walk_slots): empty and malformed entries are in
 *         the run, so enumerating a table costs one call per table, not
 *         per leaf; count or decode them with ptk_walk_slots_count()
 *         and ptk_walk_slot(). With @slots, set none of @leaf, @leaves
 *         and @hole (PTK_EINVAL); @invalid is called only for a table
 *         entry whose table cannot be read (a page missing from an
 *         image), else the walk stops there with PTK_ECORRUPT as
 *         without @slots. Tables without a radix (ptkit/hash.h) return
 *         PTK_EIMPL.
 *
 * Each hook returns 0 to go on, a positive value to stop the walk and
 * make ptk_walk() return that value, or a negative error to stop and
 * return it. One positive value is special: @pre_table may return
 * PTK_WALK_SKIP to leave that table's entries out (its @post_table is
 * still called), e.g. to bound the work on a hostile image.
 *
 * NULL hooks cost nothing: with neither @leaf, @leaves, @hole nor
 * @invalid, level-0 tables are not read at all.
 *
 * Hooks must not modify the table being walked.
 */
struct ptk_walk_ops {
	int (*leaf)(const struct ptk_walk_leaf *l, void *arg);
	int (*hole)(ptk_va_t va, ptk_va_t last, unsigned int level, void *arg);
	int (*pre_table)(const struct ptk_walk_table *tb, void *arg);
	int (*post_table)(const struct ptk_walk_table *tb, void *arg);
	int (*invalid)(ptk_va_t va, ptk_va_t last, unsigned int level,
		       ptk_pte_t pte, void *arg);
	int (*leaves)(const struct ptk_walk_batch *b, void *arg);
	int (*slots)(const struct ptk_walk_slots *s, void *arg);
};

/**
 * ptk_walk() - Visit everything in a VA range, in address order
 * @t: The table
 * @va: First address
 * @len: Bytes; non-zero
 * @ops: Hooks
 * @arg: Passed to every hook
 *
 * For sign-extended formats the range may cross the non-canonical hole;
 * the hole is skipped (no hooks are called for it).
 *
 * Context: Readers only; see ptk_table for locking.
 *
 * Return: 0 when the whole range was visited, a hook's positive or
 * negative return value, PTK_EINVAL, PTK_EOVERFLOW, PTK_ERANGE (no
 * part of the range is in the VA space) or PTK_ECORRUPT.
 */
int ptk_walk(const struct ptk_table *t, ptk_va_t va, uint64_t len,
	     const struct ptk_walk_ops *ops, void *arg);

/**
 * ptk_walk_all() - ptk_walk() over the whole VA space
 * @t: The table
 * @ops: Hooks
 * @arg: Passed to every hook
 *
 * Context: Readers only.
 *
 * Return: As ptk_walk().
 */
int ptk_walk_all(const struct ptk_table *t, const struct ptk_walk_ops *ops,
		 void *arg);

/**
 * ptk_walk_slots_count() - Count the leaves among a run of raw entries
 * @s: The run, as the walk's @slots hook got it
 * @bad: If not NULL, set to the number of malformed entries in the run
 *       (those the walk's @invalid hook would get, or stop at)
 *
 * The count uses the format's own entry test, compiled for the format,
 * one pass over the run; an entry of a contiguous group counts as one.
 *
 * Context: Inside the @slots hook that got @s.
 *
 * Return: The number of present leaves in @s.
 */
uint64_t ptk_walk_slots_count(const struct ptk_walk_slots *s, uint64_t *bad);

/**
 * ptk_walk_slot() - Decode one entry of a run of raw entries
 * @s: The run, as the walk's @slots hook got it
 * @i: Index of the entry in the run, below @s->count
 * @out: Set, for a leaf, to its page: the VA and OA of this entry's own
 *       page (of 1 << @s->size_lg2 bytes, also inside a contiguous
 *       group) and the raw entry
 *
 * Context: Inside the @slots hook that got @s.
 *
 * Return: 1 for a leaf, 0 for an empty entry, PTK_ECORRUPT for a
 * malformed one, PTK_EINVAL for a bad @s or @i.
 */
int ptk_walk_slot(const struct ptk_walk_slots *s, uint64_t i,
		  struct ptk_walk_page *out);

/**
 * struct ptk_check - What the invariant checker found
 * @tables: Tables reached below the root, per level
 * @leaves: Leaves found, per level
 * @bad_level: Level of the first problem, or -1
 * @bad_va: VA of the first problem
 * @what: Static description of the first problem, or NULL
 */
struct ptk_check {
	uint64_t tables[PTK_MAX_LEVELS];
	uint64_t leaves[PTK_MAX_LEVELS];
	int bad_level;
	ptk_va_t bad_va;
	const char *what;
};

/**
 * ptk_table_check() - Check a table's invariants
 * @out: Findings; may be NULL
 * @t: The table
 *
 * Checks that every entry decodes (no invalid entries), every table is
 * aligned and reachable once, no table below the root is empty, and, for
 * tables ptkit created, that the tables reached per level equal the
 * tables allocated per level (no orphans, no leaks).
 *
 * Context: Readers only. Cost: the whole tree.
 *
 * Return: 0, or PTK_ECORRUPT with @out describing the first problem.
 */
int ptk_table_check(struct ptk_check *out, const struct ptk_table *t);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_TABLE_H */
