/* SPDX-License-Identifier: MIT */
/*
 * ptkit software TLB: a set-associative cache of translations, kept
 * coherent with its tables through interval subscriptions.
 *
 * DOC: software TLB
 *
 * A struct ptk_tlb caches leaves of one or more tables: entries of
 * several page sizes in one set-associative array (sets x ways, in the
 * caller's memory), tagged with an address-space id or global. A lookup
 * probes each configured page size; ptk_tlb_translate() fills on a miss
 * by walking the table, and counts the memory references a hardware
 * walker would make: one per level from the top down to the leaf, or,
 * with the page-walk cache, only those below the deepest level whose
 * table entry it holds. (The walk cache is a model for that count: the
 * fill itself is a ptk_translate().)
 *
 * Each table is attached through a struct ptk_tlb_space, an interval
 * subscription on it: every invalidating operation on the table removes
 * the entries of the space's id (and global ones) in its ranges, and
 * the whole walk cache, before it changes the table; fills use the
 * sequence protocol and never install a translation that was invalidated
 * meanwhile.
 *
 * Lookups take no lock: the array is read under a sequence counter that
 * fills and flushes (serialised by a spin lock) make odd while they
 * write. A hit is answered inline (ptk_tlb_lookup() below): per page
 * size one set, per way one compare of the tag word (page address and
 * size) and one of the id word (ASID or global), then the counter is
 * re-read; anything else goes to ptk_tlb_lookup_slow(). The statistics
 * counters are updated without atomic read-modify-write and may lose
 * counts when lookups run concurrently.
 */
#ifndef PTKIT_TLB_H
#define PTKIT_TLB_H

#include <stdbool.h>
#include <stdint.h>

#include "types.h"
#include "table.h"
#include "interval.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most page sizes one TLB holds, and the largest walk cache. */
#define PTK_TLB_MAX_SIZES 4
#define PTK_TLB_PWC_MAX 32

/**
 * struct ptk_tlb_entry - One cached translation (storage for the TLB)
 *
 * Caller storage for ptk_tlb_init(); the fields are private.
 */
struct ptk_tlb_entry {
	/* private: */
	uint64_t tag; /* the page's first VA | lg2, or ~0: empty */
	ptk_oa_t oa; /* the page's first OA */
	uint32_t id; /* the ASID, or PTK_TLB__GLOBAL */
	uint32_t prot;
};

/* The id of a global entry: no ASID (16 bits) equals it. */
#define PTK_TLB__GLOBAL 0x10000u

/**
 * struct ptk_tlb_opts - The geometry
 * @sets: Sets; a power of two
 * @ways: Entries per set, 1..16
 * @nr_sizes: Entries in @sizes_lg2, 1..PTK_TLB_MAX_SIZES
 * @sizes_lg2: The page sizes held, log2 (leaves of other sizes are
 *             cached as the largest of these that fits in them)
 * @pwc: Page-walk cache entries, 0 (none) to PTK_TLB_PWC_MAX
 */
struct ptk_tlb_opts {
	unsigned int sets;
	unsigned int ways;
	unsigned int nr_sizes;
	uint8_t sizes_lg2[PTK_TLB_MAX_SIZES];
	unsigned int pwc;
};

/**
 * struct ptk_tlb_stats - What a TLB did
 * @hits: Lookups answered from the array
 * @misses: Lookups not answered
 * @fills: Entries installed
 * @walk_refs: Memory references of fills: for a radix table the entries
 *             read, counting the walk cache; for another implementation
 *             (a hashed table) the cache lines its lookup reads
 *             (struct ptk_impl_ops @walk_refs), which no walk cache
 *             shortens
 * @walk_refs_nopwc: The same without a walk cache (radix: top to leaf)
 * @flushed: Entries removed by flushes and invalidations
 * @retries: Fills thrown away because an invalidation intervened
 */
struct ptk_tlb_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t fills;
	uint64_t walk_refs;
	uint64_t walk_refs_nopwc;
	uint64_t flushed;
	uint64_t retries;
};

/**
 * struct ptk_tlb - A software TLB
 *
 * Caller storage; the fields are private.
 */
struct ptk_tlb {
	/* private: */
	struct ptk_tlb_entry *e;
	struct ptk_tlb_opts o;
	uint64_t seq; /* odd while the array is written */
	uint32_t lock;
	uint32_t victim;
	struct {
		uint64_t tag; /* va >> the level's shift, or ~0 */
		uint16_t asid;
		uint8_t level;
	} pwc[PTK_TLB_PWC_MAX];
	uint32_t pwc_next;
	struct ptk_tlb_stats st;
};

/**
 * struct ptk_tlb_space - A table attached to a TLB under an id
 *
 * Caller storage; the fields are private.
 */
struct ptk_tlb_space {
	/* private: */
	struct ptk_interval iv;
	struct ptk_tlb *tlb;
	struct ptk_table *t;
	uint16_t asid;
};

/**
 * struct ptk_tlb_result - A translation the TLB gave
 * @oa: The output address of the looked-up VA
 * @prot: PTK_PROT_* of the leaf
 * @size_lg2: log2 of the cached page size
 * @global: Whether the entry is global
 */
struct ptk_tlb_result {
	ptk_oa_t oa;
	uint32_t prot;
	unsigned int size_lg2;
	bool global;
};

/**
 * ptk_tlb_init() - Make an empty TLB
 * @tlb: The TLB
 * @entries: @opts->sets * @opts->ways entries of storage
 * @opts: The geometry
 *
 * Context: Any context; allocates nothing.
 *
 * Return: 0, or PTK_EINVAL (NULL, a geometry out of range, unsorted or
 * repeated sizes).
 */
int ptk_tlb_init(struct ptk_tlb *tlb, struct ptk_tlb_entry *entries,
		 const struct ptk_tlb_opts *opts);

/**
 * ptk_tlb_attach() - Cache a table's translations under an id
 * @sp: The attachment, zeroed (or detached)
 * @tlb: The TLB
 * @t: The table
 * @asid: Its address-space id
 * @va: First address the TLB may cache (and must hear invalidations of)
 * @len: Bytes; non-zero
 *
 * Context: Like ptk_interval_subscribe() on @t.
 *
 * Return: 0, PTK_EINVAL, PTK_ESUBSCRIBED (@sp is attached already) or an
 * error of ptk_interval_subscribe().
 */
int ptk_tlb_attach(struct ptk_tlb_space *sp, struct ptk_tlb *tlb,
		   struct ptk_table *t, uint16_t asid, ptk_va_t va,
		   uint64_t len);

/**
 * ptk_tlb_detach() - Stop caching a table
 * @sp: The attachment
 *
 * Unsubscribes and flushes the id.
 *
 * Context: Not from a callback of the table.
 *
 * Return: Nothing.
 */
void ptk_tlb_detach(struct ptk_tlb_space *sp);

/**
 * ptk_tlb_lookup_slow() - Look a VA up, without filling: the out-of-line part
 * @tlb: The TLB
 * @asid: The address-space id
 * @va: The address
 * @out: The translation on a hit; may be NULL
 *
 * What ptk_tlb_lookup() calls when its inline probe does not hit (a
 * miss, or the array being written meanwhile): the probe again, retried
 * until no write overlaps it, and the miss counted.
 *
 * Context: As ptk_tlb_lookup().
 *
 * Return: As ptk_tlb_lookup().
 */
int ptk_tlb_lookup_slow(struct ptk_tlb *tlb, uint16_t asid, ptk_va_t va,
			struct ptk_tlb_result *out);

/**
 * ptk_tlb_lookup() - Look a VA up, without filling
 * @tlb: The TLB
 * @asid: The address-space id (global entries match every id)
 * @va: The address
 * @out: The translation on a hit; may be NULL
 *
 * Context: Any thread, concurrently with fills, flushes and other
 * lookups. Takes no lock.
 *
 * Return: 0 on a hit, PTK_ENOENT on a miss.
 */
static inline int ptk_tlb_lookup(struct ptk_tlb *tlb, uint16_t asid,
				 ptk_va_t va, struct ptk_tlb_result *out)
{
	/* The geometry, read once: the atomic loads below pin reloads. */
	const struct ptk_tlb_entry *base = tlb->e;
	unsigned int nr = tlb->o.nr_sizes, ways = tlb->o.ways, i, w;
	uint64_t smask = tlb->o.sets - 1;
	uint64_t s = __atomic_load_n(&tlb->seq, __ATOMIC_ACQUIRE);

	if (s & 1)
		return ptk_tlb_lookup_slow(tlb, asid, va, out);
	for (i = 0; i < nr; i++) {
		unsigned int lg2 = tlb->o.sizes_lg2[i];
		uint64_t page = va >> lg2, k = page << lg2 | lg2;
		const struct ptk_tlb_entry *set = &base[(page & smask) * ways];

		for (w = 0; w < ways; w++) {
			const struct ptk_tlb_entry *e = &set[w];
			uint32_t id, prot;
			ptk_oa_t oa;

			if (__atomic_load_n(&e->tag, __ATOMIC_RELAXED) != k)
				continue;
			id = __atomic_load_n(&e->id, __ATOMIC_RELAXED);
			if (id != asid && id != PTK_TLB__GLOBAL)
				continue;
			oa = __atomic_load_n(&e->oa, __ATOMIC_RELAXED);
			prot = __atomic_load_n(&e->prot, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&tlb->seq, __ATOMIC_RELAXED) != s)
				return ptk_tlb_lookup_slow(tlb, asid, va, out);
			__atomic_store_n(&tlb->st.hits,
					 __atomic_load_n(&tlb->st.hits,
							 __ATOMIC_RELAXED) +
						 1,
					 __ATOMIC_RELAXED);
			if (out) {
				out->oa = oa | (va & ((1ull << lg2) - 1));
				out->prot = prot;
				out->size_lg2 = lg2;
				out->global = id == PTK_TLB__GLOBAL;
			}
			return 0;
		}
	}
	return ptk_tlb_lookup_slow(tlb, asid, va, out);
}

/**
 * ptk_tlb_translate() - Look up, and fill from the table on a miss
 * @sp: The attachment of the table
 * @va: The address; inside the attached range
 * @out: The translation; may be NULL
 *
 * Context: Any thread; on a PTK_TABLE_SHARED table concurrently with its
 * writers. Not from an invalidation callback of the table.
 *
 * Return: 0; PTK_EOUTSIDE (@va not in the attached range) or an error of
 * ptk_translate() (PTK_ENOENT when nothing is mapped there).
 */
int ptk_tlb_translate(struct ptk_tlb_space *sp, ptk_va_t va,
		      struct ptk_tlb_result *out);

/**
 * ptk_tlb_flush_range() - Drop the entries of an id in a range
 * @tlb: The TLB
 * @asid: The id; global entries in the range go too
 * @va: First address
 * @len: Bytes
 *
 * Also empties the walk cache.
 *
 * Context: Any thread.
 *
 * Return: Nothing.
 */
void ptk_tlb_flush_range(struct ptk_tlb *tlb, uint16_t asid, ptk_va_t va,
			 uint64_t len);

/**
 * ptk_tlb_flush_asid() - Drop the non-global entries of an id
 * @tlb: The TLB
 * @asid: The id
 *
 * Context: Any thread.
 *
 * Return: Nothing.
 */
void ptk_tlb_flush_asid(struct ptk_tlb *tlb, uint16_t asid);

/**
 * ptk_tlb_flush_all() - Drop every entry
 * @tlb: The TLB
 *
 * Context: Any thread.
 *
 * Return: Nothing.
 */
void ptk_tlb_flush_all(struct ptk_tlb *tlb);

/**
 * ptk_tlb_stats() - A TLB's counters
 * @tlb: The TLB
 * @out: The counters
 *
 * Context: Any context; a racy snapshot.
 *
 * Return: Nothing.
 */
void ptk_tlb_stats(const struct ptk_tlb *tlb, struct ptk_tlb_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_TLB_H */
