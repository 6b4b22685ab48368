/* SPDX-License-Identifier: MIT */
/*
 * ptkit interval subscriptions: invalidations by range, and a sequence
 * protocol for secondary structures (mirrors, software TLBs).
 *
 * DOC: interval subscriptions
 *
 * A struct ptk_interval covers [va, last] of one table. Every operation
 * that may invalidate translations (the reasons of enum
 * ptk_notify_reason) calls @invalidate of each subscription one of whose
 * ranges it overlaps, before it changes anything, and @invalidate_end
 * after it is done; subscriptions it does not overlap are not called.
 * The subscriptions live in an interval tree (an AVL tree by first
 * address, each node knowing the highest last address below it), so
 * finding the k called ones among n costs O(log n + k).
 * ptk_table_destroy() calls every subscription with PTK_NOTIFY_RELEASE
 * and ends it.
 *
 * The sequence protocol lets a subscriber fill its own structure from
 * the table without holding whatever lock the table's writers hold, and
 * never install a stale translation::
 *
 *	again:
 *		seq = ptk_interval_read_begin(iv);
 *		read the table (a read section on a shared table)
 *		lock(my_lock);
 *		if (ptk_interval_read_retry(iv, seq)) {
 *			unlock(my_lock);
 *			goto again;
 *		}
 *		install what was read;
 *		unlock(my_lock);
 *
 * and in @invalidate::
 *
 *	lock(my_lock);
 *	ptk_interval_set_seq(iv, cur_seq);
 *	remove [range] from my structure;
 *	unlock(my_lock);
 *
 * ptk_interval_read_begin() waits while an invalidation that already
 * called this subscription is in progress, so what is read afterwards is
 * at least as new as its end; an invalidation that calls the subscription
 * later changes the sequence, and ptk_interval_read_retry() under the
 * subscriber's lock sees it; one that calls it after the install removes
 * what was installed. docs/notify.md has the whole argument.
 *
 * The per-table notifiers of ptkit/notify.h stay; both are called from
 * the same bracket around each operation.
 */
#ifndef PTKIT_INTERVAL_H
#define PTKIT_INTERVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "types.h"
#include "table.h"
#include "notify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* struct ptk_interval_event.flags */
#define PTK_INTERVAL_MAY_BLOCK 0x1u /* the callee may sleep */

/**
 * struct ptk_interval_event - One invalidation, as a subscription sees it
 * @table: The table that changes
 * @reason: Why (PTK_NOTIFY_RELEASE from ptk_table_destroy())
 * @nr: Entries in @ranges (1 or 2)
 * @ranges: Sorted, disjoint ranges the operation may change; at least
 *          one overlaps the subscription. Clip them to it.
 * @owner: struct ptk_gather.owner of the operation's gather, or NULL
 * @flags: PTK_INTERVAL_MAY_BLOCK unless the gather had PTK_GATHER_ATOMIC
 * @result: In @invalidate_end, the operation's return value; 0 before
 */
struct ptk_interval_event {
	const struct ptk_table *table;
	enum ptk_notify_reason reason;
	unsigned int nr;
	const struct ptk_range *ranges;
	const void *owner;
	unsigned int flags;
	int result;
};

struct ptk_interval;

#define PTK_INTERVAL_OPS_VERSION 1

/**
 * struct ptk_interval_ops - A subscription's callbacks
 * @version: PTK_INTERVAL_OPS_VERSION
 * @invalidate: Before the change. Must call ptk_interval_set_seq() with
 *              @cur_seq under the lock its readers check
 *              ptk_interval_read_retry() under, and drop what it holds
 *              of the ranges. Required.
 * @invalidate_end: After the change; may be NULL
 *
 * The callbacks must not change the table, subscribe or unsubscribe on
 * it, or call ptk_interval_read_begin() on it (that would wait for
 * itself).
 */
struct ptk_interval_ops {
	unsigned int version;
	void (*invalidate)(struct ptk_interval *iv,
			   const struct ptk_interval_event *ev,
			   uint64_t cur_seq);
	void (*invalidate_end)(struct ptk_interval *iv,
			       const struct ptk_interval_event *ev);
};

/**
 * struct ptk_interval - A subscription to a range of a table
 * @ops: Its callbacks
 * @arg: For the subscriber's use
 *
 * In the subscriber's memory; zero it before the first
 * ptk_interval_subscribe(). The rest is private.
 */
struct ptk_interval {
	const struct ptk_interval_ops *ops;
	void *arg;
	/* private: */
	struct ptk_table *t;
	ptk_va_t va;
	ptk_va_t last;
	ptk_va_t max_last; /* highest @last in this subtree */
	struct ptk_interval *left;
	struct ptk_interval *right;
	int height;
	uint64_t seq;
};

/**
 * ptk_interval_subscribe() - Cover a range of a table
 * @t: The table
 * @iv: The subscription, zeroed, with @ops set; owned by the caller and
 *      must stay in place until it ends
 * @va: First address
 * @len: Bytes; non-zero
 *
 * Waits until no invalidation is in progress on @t.
 *
 * Context: Not from a callback of @t. Any thread otherwise (a spin lock
 * of @t's serialises subscriptions against invalidations).
 *
 * Return: 0; PTK_EINVAL (NULL, no @ops or @ops->invalidate, zero @len),
 * PTK_EVERSION, PTK_EOVERFLOW (@va + @len wraps), PTK_ERANGE (@va or the
 * last address outside @t's VA space), PTK_ESUBSCRIBED (@iv is
 * subscribed already, here or elsewhere). Nothing changes on error.
 */
int ptk_interval_subscribe(struct ptk_table *t, struct ptk_interval *iv,
			   ptk_va_t va, uint64_t len);

/**
 * ptk_interval_unsubscribe() - End a subscription
 * @iv: The subscription
 *
 * Waits until no invalidation is in progress on its table; afterwards no
 * callback of @iv runs or will run, and @iv may be freed or subscribed
 * again.
 *
 * Context: Not from a callback of the same table.
 *
 * Return: 0; PTK_EINVAL (NULL), PTK_ENOTSUBSCRIBED (never subscribed,
 * already ended, or ended by ptk_table_destroy()).
 */
int ptk_interval_unsubscribe(struct ptk_interval *iv);

/**
 * ptk_interval_read_begin() - Start reading the table for a subscription
 * @iv: A subscription
 *
 * Waits while an invalidation that has already called @iv is in
 * progress (busy-waits: keep operations short).
 *
 * Context: Not inside a read section of the table, and not holding the
 * lock @iv's @invalidate takes (either would wait for itself).
 *
 * Return: The sequence to hand to ptk_interval_read_retry().
 */
uint64_t ptk_interval_read_begin(struct ptk_interval *iv);

/**
 * ptk_interval_read_retry() - Whether what was read may be stale
 * @iv: The subscription
 * @seq: What ptk_interval_read_begin() returned
 *
 * Context: Under the lock @iv's @invalidate calls
 * ptk_interval_set_seq() under.
 *
 * Return: true when an invalidation called @iv since @seq was taken:
 * throw away what was read and begin again.
 */
bool ptk_interval_read_retry(const struct ptk_interval *iv, uint64_t seq);

/**
 * ptk_interval_set_seq() - Record an invalidation, from @invalidate
 * @iv: The subscription being called
 * @cur_seq: The @cur_seq argument of @invalidate
 *
 * Context: In @invalidate, under the subscriber's lock.
 *
 * Return: Nothing.
 */
void ptk_interval_set_seq(struct ptk_interval *iv, uint64_t cur_seq);

/**
 * ptk_interval_index_bytes() - Memory an index of @n subscriptions needs
 * @n: Subscriptions
 *
 * Context: Any context.
 *
 * Return: Bytes to give ptk_interval_index() so that it indexes up to @n
 * subscriptions (about 17 bytes each, plus 64 for alignment).
 */
size_t ptk_interval_index_bytes(uint64_t n);

/**
 * ptk_interval_index() - Give a table memory for a fast-reject index
 * @t: The table
 * @mem: Memory, any alignment, owned by the caller until it is taken
 *       back (NULL, or ptk_table_destroy(), takes it back)
 * @bytes: Its size; ptk_interval_index_bytes() says how much suits
 *
 * Finding the subscriptions an operation overlaps costs a descent of the
 * interval tree, one subscription (a cache line, often missed) per
 * level. An operation that overlaps none, the common case of a table
 * with many small subscriptions, can be answered from an index instead:
 * the subscriptions' first addresses sorted in a static tree of 64-byte
 * blocks, eight keys each, with the running maximum of their last
 * addresses, searched with one block per level (5 for 10,000
 * subscriptions). An operation that overlaps some still walks the tree.
 *
 * The index goes stale whenever a subscription comes or goes, and is
 * rebuilt, in time linear in the number of subscriptions, by the
 * invalidation that finds it stale after n / 16 others have walked the
 * tree instead: rebuilding costs at most 16 entries per invalidation
 * however often subscriptions change. With more subscriptions than the
 * memory holds the tree alone is used. Nothing is allocated.
 *
 * Context: Like ptk_interval_subscribe().
 *
 * Return: 0; PTK_EINVAL (@t NULL, or @mem given with room for less than
 * one subscription). Nothing changes on error.
 */
int ptk_interval_index(struct ptk_table *t, void *mem, size_t bytes);

/**
 * ptk_interval_count() - Subscriptions on a table
 * @t: The table
 *
 * Context: Any context; a racy snapshot while others subscribe.
 *
 * Return: The number of subscriptions.
 */
uint64_t ptk_interval_count(const struct ptk_table *t);

/**
 * ptk_notify_batch_begin() - Announce a batch of changes once
 * @t: The table
 * @g: The gather every operation of the batch will be given; its
 *     @owner and PTK_GATHER_ATOMIC are used
 * @reason: What the batch does (PTK_NOTIFY_UNMAP for a loop that both
 *          rewrites and clears)
 * @va: First address the batch may change
 * @len: Bytes; non-zero
 *
 * Notifiers (ptkit/notify.h) get one @before call and interval
 * subscriptions overlapping [@va, @va + @len - 1] one @invalidate call,
 * now; operations on @t given @g (ptk_iter_set(), ptk_iter_clear(),
 * ptk_unmap(), ...) inside that range then notify nobody, until
 * ptk_notify_batch_end(). An operation of the batch outside the range is
 * notified on its own, as usual.
 *
 * Context: Like a mutation of the range. Must be ended with
 * ptk_notify_batch_end() in the same thread before @g is flushed.
 *
 * Return: 0; PTK_EINVAL (NULL, @reason not a change, zero @len, @g in a
 * batch already), PTK_EOVERFLOW or PTK_ERANGE. Nothing is called on error.
 */
int ptk_notify_batch_begin(struct ptk_table *t, struct ptk_gather *g,
			   enum ptk_notify_reason reason, ptk_va_t va,
			   uint64_t len);

/**
 * ptk_notify_batch_end() - Close a batch
 * @g: The gather of ptk_notify_batch_begin()
 * @result: What the batch achieved (0, or the error that stopped it),
 *          passed to the after-calls
 *
 * Notifiers get their @after call with @g's ranges, subscriptions their
 * @invalidate_end call. Flush @g afterwards, as after any operation.
 *
 * Context: The thread of ptk_notify_batch_begin().
 *
 * Return: 0, or PTK_EINVAL (NULL, or @g not in a batch).
 */
int ptk_notify_batch_end(struct ptk_gather *g, int result);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_INTERVAL_H */
