/* SPDX-License-Identifier: MIT */
/*
 * ptkit shared walks: readers beside writers, and epoch-based reclamation.
 *
 * DOC: shared walks
 *
 * A table created with PTK_TABLE_SHARED may be read (ptk_translate(),
 * ptk_walk(), the iterator) in threads that run concurrently with its
 * writers. Writers of one shared table may also run concurrently with
 * each other when their ranges are disjoint and no huge leaf spans two
 * writers' ranges ("one writer per range").
 *
 * How: every entry is read with one atomic load and written with one
 * atomic store (release, so a reader that sees a new table pointer sees
 * the table's contents); a new table is installed with compare-and-swap,
 * and a writer that loses the race gives its table back and continues in
 * the winner's. A table unlinked from a shared table is never written to
 * again and is handed to the memory provider's @retire hook, which frees
 * it only after every read section that might have reached it has ended.
 * Empty tables whose span reaches outside the writer's range are left in
 * place (another writer may be about to use them); ptk_unmap() of a
 * range covering a table's whole span frees it, and so does destroy.
 *
 * Readers bracket their reads with ptk_read_begin() / ptk_read_end(); the
 * iterator does that itself. Inside a read section a reader sees, at
 * every entry, a value the entry held at some point during the section:
 * it never returns a translation that was never valid, and never touches
 * freed memory. Keep read sections short: writers that retire tables may
 * wait for them (the iterator can yield, see ptk_iter_yield()).
 *
 * The read-section hooks come from the memory provider (struct
 * ptk_mem_ops version 2). A kernel or hypervisor plugs in its own RCU.
 * Elsewhere, struct ptk_ebr wraps any provider with epoch-based
 * reclamation: readers publish the epoch they entered in, writers stamp
 * each retired table with the epoch and free it once no reader is left
 * in an epoch that old. It is freestanding (atomics only), allocates
 * nothing, and also serialises the wrapped provider's alloc and free, so
 * that concurrent writers can share it.
 */
#ifndef PTKIT_SHARED_H
#define PTKIT_SHARED_H

#include <stdint.h>

#include "types.h"
#include "mem.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ptk_table;

/**
 * ptk_read_begin() - Enter a read section on a table
 * @t: The table
 *
 * Required around ptk_translate() and ptk_walk() on a PTK_TABLE_SHARED
 * table that writers may change concurrently; costs nothing on other
 * tables. Sections may nest.
 *
 * Context: Any thread. Must be paired with ptk_read_end() in the same
 * thread; do not block inside.
 *
 * Return: A token for ptk_read_end().
 */
unsigned long ptk_read_begin(const struct ptk_table *t);

/**
 * ptk_read_end() - Leave a read section
 * @t: The table
 * @token: What ptk_read_begin() returned
 *
 * Context: The thread that called ptk_read_begin().
 *
 * Return: Nothing.
 */
void ptk_read_end(const struct ptk_table *t, unsigned long token);

/* Reader slots of a struct ptk_ebr: readers inside a section at once. */
#define PTK_EBR_SLOTS 64
/* Retired blocks a struct ptk_ebr holds before a writer must wait. */
#define PTK_EBR_RING 512

/**
 * struct ptk_ebr_stats - What an epoch-based reclaimer did
 * @retired: Blocks handed to it
 * @freed: Blocks it gave back to the wrapped provider
 * @waits: Times a writer had to wait for readers (ring full)
 * @epoch: The current epoch
 */
struct ptk_ebr_stats {
	uint64_t retired;
	uint64_t freed;
	uint64_t waits;
	uint64_t epoch;
};

/**
 * struct ptk_ebr - Epoch-based reclamation around a memory provider
 * @mem: The provider to give ptk_table_create(); forwards allocation to
 *       the wrapped one and adds read sections and deferred freeing
 *
 * Everything else is private. The struct is large (a cache line per
 * reader slot and the ring of retired blocks): allocate it statically or
 * on the heap rather than on a small stack.
 */
struct ptk_ebr {
	struct ptk_mem mem;
	/* private: */
	const struct ptk_mem *inner;
	struct ptk_mem_ops ops;
	uint64_t epoch;
	uint32_t lock;
	uint64_t retired;
	uint64_t freed;
	uint64_t waits;
	uint64_t head; /* ring[head % PTK_EBR_RING] is the oldest */
	uint64_t nr;
	struct {
		uint64_t epoch;
		ptk_oa_t oa;
		void *ptr;
		unsigned int lg2;
	} ring[PTK_EBR_RING];
	struct {
		uint64_t epoch; /* 0: free; else 1 + the epoch entered in */
		char pad[56];
	} slot[PTK_EBR_SLOTS] __attribute__((aligned(64)));
};

/**
 * ptk_ebr_init() - Wrap a provider with epoch-based reclamation
 * @e: The reclaimer to initialise
 * @inner: The provider tables really come from; must outlive @e. Its own
 *         read-section hooks, if any, are not used.
 *
 * Context: Any context; allocates nothing. Usable freestanding.
 *
 * Return: 0, PTK_EINVAL (NULL arguments, @inner without alloc/free) or
 * PTK_EVERSION.
 */
int ptk_ebr_init(struct ptk_ebr *e, const struct ptk_mem *inner);

/**
 * ptk_ebr_synchronize() - Wait for current readers, free what they held
 * @e: The reclaimer
 *
 * Waits until every read section that began before the call has ended,
 * then frees every block retired before the call.
 *
 * Context: Not inside a read section of @e (it would wait for itself).
 *
 * Return: Nothing.
 */
void ptk_ebr_synchronize(struct ptk_ebr *e);

/**
 * ptk_ebr_fini() - Free everything still retired
 * @e: The reclaimer; NULL is accepted
 *
 * Context: No reader or writer may use @e any more.
 *
 * Return: Nothing.
 */
void ptk_ebr_fini(struct ptk_ebr *e);

/**
 * ptk_ebr_stats() - Counters of a reclaimer
 * @e: The reclaimer
 * @out: The counters
 *
 * Context: Any context; the counters are a racy snapshot.
 *
 * Return: Nothing.
 */
void ptk_ebr_stats(const struct ptk_ebr *e, struct ptk_ebr_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_SHARED_H */
