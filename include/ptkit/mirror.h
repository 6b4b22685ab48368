/* SPDX-License-Identifier: MIT */
/*
 * ptkit mirrors: a secondary table kept coherent with a primary one.
 *
 * DOC: mirrors
 *
 * A struct ptk_mirror subscribes to [va, last] of a primary table
 * (ptkit/interval.h) and keeps a secondary table, of any format, memory
 * provider or implementation, a subset of it: ptk_mirror_fault() copies
 * the primary's translations of a range into the secondary (the same
 * input addresses, the same output addresses, the attributes converted
 * through struct ptk_attrs), and every operation on the primary that
 * may invalidate translations in the range removes them from the
 * secondary before it changes the primary. So the secondary never holds
 * a translation the primary did not hold at some moment since the fault
 * began, and none at all once the invalidating operation has returned.
 *
 * A primary huge leaf stays one leaf in the secondary when the secondary
 * can map that size there, else it becomes the largest pages that fit.
 * Attributes: between tables of one format they are copied whole;
 * between formats the protection is copied, the memory type is
 * struct ptk_mirror_opts.memtype, format-specific bits and accessed /
 * dirty / global flags are dropped; then the caller's @prot_drop,
 * @prot_add and @attr_add apply (a stage 2 secondary, which knows no
 * user/kernel distinction and no ASIDs, wants PTK_PROT_USER and
 * PTK_ATTR_GLOBAL added: asking for that is the caller's decision). A
 * protection the secondary still cannot express makes the fault fail
 * with PTK_EPROT, unless PTK_MIRROR_SUPERSET allows widening it.
 *
 * The secondary is written only by the mirror (faults and
 * invalidations, serialised by the mirror's own lock). Readers of the
 * secondary in other threads need it to be PTK_TABLE_SHARED.
 */
#ifndef PTKIT_MIRROR_H
#define PTKIT_MIRROR_H

#include <stdint.h>

#include "types.h"
#include "table.h"
#include "interval.h"

#ifdef __cplusplus
extern "C" {
#endif

/* struct ptk_mirror_opts.flags */
#define PTK_MIRROR_SUPERSET 0x1u /* widen prot the secondary cannot express */

/**
 * struct ptk_mirror_opts - How a mirror converts
 * @flags: PTK_MIRROR_* flags
 * @memtype: struct ptk_attrs.memtype of the secondary's leaves when the
 *           formats differ (e.g. 6, write-back, for x86_ept)
 * @prot_drop: PTK_PROT_* bits removed from every converted leaf
 * @prot_add: PTK_PROT_* bits added to every converted leaf
 * @attr_add: PTK_ATTR_* flags added to every converted leaf
 */
struct ptk_mirror_opts {
	unsigned int flags;
	uint32_t memtype;
	uint32_t prot_drop;
	uint32_t prot_add;
	uint32_t attr_add;
};

/**
 * struct ptk_mirror_stats - What a mirror did
 * @faults: ptk_mirror_fault() calls
 * @retries: Times a fault threw away what it read (sequence moved)
 * @installs: Runs of leaves mapped into the secondary
 * @invalidations: Invalidation calls that removed something
 * @own: Invalidation calls for changes the mirror itself caused
 *       (struct ptk_gather.owner == the mirror), which it skipped
 */
struct ptk_mirror_stats {
	uint64_t faults;
	uint64_t retries;
	uint64_t installs;
	uint64_t invalidations;
	uint64_t own;
};

/**
 * struct ptk_mirror - A secondary table kept coherent with a primary
 *
 * Caller storage; all fields are private.
 */
struct ptk_mirror {
	/* private: */
	struct ptk_interval iv;
	struct ptk_table *primary;
	struct ptk_table *secondary;
	struct ptk_mirror_opts opts;
	unsigned int max_lg2; /* the secondary's largest page */
	uint32_t lock;
	struct ptk_mirror_stats st;
};

/**
 * ptk_mirror_init() - Start mirroring a range
 * @m: The mirror
 * @primary: The table to follow
 * @secondary: The table to keep a subset of @primary in; should be empty
 *             in the range
 * @va: First address of the range
 * @len: Bytes; non-zero
 * @opts: Conversion options; NULL for none
 *
 * Context: Like ptk_interval_subscribe() on @primary.
 *
 * Return: 0; PTK_EINVAL (NULL, @primary == @secondary, zero @len, unknown
 * flags), PTK_EOVERFLOW, PTK_EMISFIT (the range is not inside both
 * tables' address spaces, crosses a sign-extension hole, or the
 * secondary's smallest page is larger than the primary's), or an error
 * of ptk_interval_subscribe(). Nothing changes on error.
 */
int ptk_mirror_init(struct ptk_mirror *m, struct ptk_table *primary,
		    struct ptk_table *secondary, ptk_va_t va, uint64_t len,
		    const struct ptk_mirror_opts *opts);

/**
 * ptk_mirror_fault() - Copy the primary's translations of a range
 * @m: The mirror
 * @va: First address
 * @len: Bytes; non-zero
 *
 * Walks the primary with its iterator (inside a read section of a
 * shared primary) and maps what it finds into the secondary, checking
 * the subscription's sequence under the mirror's lock before each
 * install and starting again from there when it moved. Holes stay holes.
 *
 * Context: Not from an invalidation callback of the primary. Concurrent
 * with the primary's writers when the primary is PTK_TABLE_SHARED, and
 * with other faults of @m.
 *
 * Return: 0; PTK_EINVAL, PTK_EOVERFLOW, PTK_EOUTSIDE (the range is not
 * inside the mirrored one: nothing changes); PTK_EPROT (a protection the
 * secondary cannot express), PTK_ERANGE (an output address above the
 * secondary's), PTK_ENOMEM: what was installed before stays.
 */
int ptk_mirror_fault(struct ptk_mirror *m, ptk_va_t va, uint64_t len);

/**
 * ptk_mirror_fini() - Stop mirroring
 * @m: The mirror
 *
 * Unsubscribes (the subscription may already have been ended by
 * ptk_table_destroy() of the primary) and unmaps the range from the
 * secondary.
 *
 * Context: Not from a callback; no faults of @m running.
 *
 * Return: Nothing.
 */
void ptk_mirror_fini(struct ptk_mirror *m);

/**
 * ptk_mirror_stats() - A mirror's counters
 * @m: The mirror
 * @out: The counters
 *
 * Context: Any context; a racy snapshot.
 *
 * Return: Nothing.
 */
void ptk_mirror_stats(const struct ptk_mirror *m, struct ptk_mirror_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_MIRROR_H */
