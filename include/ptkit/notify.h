/* SPDX-License-Identifier: MIT */
/*
 * ptkit notifiers: who else must hear that translations changed.
 *
 * DOC: notifiers
 *
 * Secondary MMUs, software TLBs and mirrors subscribe to a table. For
 * every operation that can invalidate translations (unmap, protect,
 * clearing harvest, move, copy-on-write, split, collapse, replacing map)
 * each subscriber is called exactly twice: @before with the range(s) the
 * operation was asked to change, and @after with the merged range(s) it
 * did change — never once per page. Tables the operation unlinked are
 * freed only after the @after calls (or, when the caller passed a
 * gather, at its ptk_table_flush()).
 */
#ifndef PTKIT_NOTIFY_H
#define PTKIT_NOTIFY_H

#include "types.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum ptk_notify_reason - Why translations change
 * @PTK_NOTIFY_UNMAP: ptk_unmap()
 * @PTK_NOTIFY_PROTECT: ptk_protect()
 * @PTK_NOTIFY_CLEAR_DIRTY: ptk_harvest() clearing dirty state (and
 *                          accessed state with it, if asked)
 * @PTK_NOTIFY_CLEAR_ACCESSED: ptk_harvest() clearing accessed state only
 * @PTK_NOTIFY_MOVE: ptk_move()
 * @PTK_NOTIFY_COPY_WP: ptk_copy() write-protecting its source
 * @PTK_NOTIFY_SPLIT: ptk_split()
 * @PTK_NOTIFY_COLLAPSE: ptk_collapse()
 * @PTK_NOTIFY_REPLACE: ptk_map() with PTK_MAP_REPLACE, and ptk_build()
 * @PTK_NOTIFY_RELEASE: ptk_table_destroy(); only interval subscribers
 *                      (ptkit/interval.h) hear it
 */
enum ptk_notify_reason {
	PTK_NOTIFY_UNMAP = 1,
	PTK_NOTIFY_PROTECT,
	PTK_NOTIFY_CLEAR_DIRTY,
	PTK_NOTIFY_CLEAR_ACCESSED,
	PTK_NOTIFY_MOVE,
	PTK_NOTIFY_COPY_WP,
	PTK_NOTIFY_SPLIT,
	PTK_NOTIFY_COLLAPSE,
	PTK_NOTIFY_REPLACE,
	PTK_NOTIFY_RELEASE,
};

/**
 * struct ptk_notify_event - One notification
 * @table: The table that changes
 * @reason: Why
 * @nr: Entries in @ranges (0 in @after when nothing changed)
 * @ranges: Sorted, disjoint VA ranges; may cover more than changed
 * @result: In @after, the operation's return value (on an error nothing
 *          changed and @nr is 0, except when a callback stopped
 *          ptk_harvest() or ptk_build(): then @ranges holds what changed
 *          before the stop); 0 in @before
 */
struct ptk_notify_event {
	const struct ptk_table *table;
	enum ptk_notify_reason reason;
	unsigned int nr;
	const struct ptk_range *ranges;
	int result;
};

struct ptk_notifier;

#define PTK_NOTIFIER_OPS_VERSION 1

/**
 * struct ptk_notifier_ops - A subscriber's callbacks
 * @version: PTK_NOTIFIER_OPS_VERSION
 * @before: Before the change; may be NULL
 * @after: After the change, before unlinked tables are freed; may be NULL
 *
 * The callbacks must not change the table.
 */
struct ptk_notifier_ops {
	unsigned int version;
	void (*before)(struct ptk_notifier *n,
		       const struct ptk_notify_event *ev);
	void (*after)(struct ptk_notifier *n,
		      const struct ptk_notify_event *ev);
};

/**
 * struct ptk_notifier - A subscription, in the subscriber's memory
 * @ops: Its callbacks
 * @arg: For the subscriber's use
 */
struct ptk_notifier {
	const struct ptk_notifier_ops *ops;
	void *arg;
	/* private: */
	struct ptk_notifier *next;
};

/**
 * ptk_notifier_register() - Subscribe to a table's changes
 * @t: The table
 * @n: The subscription; @n->ops set; stays owned by the caller and must
 *     outlive the registration
 *
 * Context: Like a mutation: no operation on @t may run concurrently.
 *
 * Return: 0, PTK_EINVAL (NULL, already registered) or PTK_EVERSION.
 */
int ptk_notifier_register(struct ptk_table *t, struct ptk_notifier *n);

/**
 * ptk_notifier_unregister() - End a subscription
 * @t: The table
 * @n: A subscription registered on @t
 *
 * Context: Like a mutation.
 *
 * Return: 0, or PTK_ENOENT if @n is not registered on @t.
 */
int ptk_notifier_unregister(struct ptk_table *t, struct ptk_notifier *n);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_NOTIFY_H */
