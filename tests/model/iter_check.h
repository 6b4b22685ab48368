/* SPDX-License-Identifier: MIT */
/*
 * Check what a ptk_iter reports against the reference model.
 *
 * The iterator reports whole leaves (an item may start before the range
 * when a huge leaf straddles its start), in address order, and a
 * contiguous group as its entries, each of the base page size of its
 * level: exactly the model's leaves that intersect the range (the model
 * records groups as their pages too). With PTK_ITER_RUNS an item is a
 * run of such leaves in one table, expanded here with ptk_iter_oa() and
 * ptk_iter_pte() (and compared with ptk_iter_ptes64(), which must hand
 * out the same entries for 64-bit formats, and NULL for others and on a
 * shared table); a run must be maximal (the model has no leaf of the
 * same level right after it in the same table and inside the range).
 *
 * Failures are recorded with PTK_FAIL() (the running test fails); the
 * functions return false after the first one.
 */
#ifndef PTK_ITER_CHECK_H
#define PTK_ITER_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "ptkit.h"
#include "ref_model.h"

/*
 * A flag of the checker's own, beside the PTK_ITER_* ones: items are
 * leaves extended with ptk_iter_take_run() (ic_compare_rest() takes the
 * run of each), so an item may hold several leaves, which must follow
 * on in output address and have the first one's attributes.
 */
#define IC_TAKE_RUN 0x10000u

/*
 * Another: step with ptk_iter_for_each() instead of a loop over
 * ptk_iter_next() (the same items must come out, and the loop must end
 * with the same return value).
 */
#define IC_FOR_EACH 0x20000u
#define IC_OWN_FLAGS (IC_TAKE_RUN | IC_FOR_EACH)

/*
 * Step @it (set up on @t with @flags) to its end and compare every item
 * with @m's leaves that intersect [@from, @last]. @nr_items (may be NULL)
 * gets the number of items.
 */
bool ic_compare_rest(struct ptk_iter *it, struct ptk_table *t,
		     unsigned int flags, const struct ref_model *m,
		     uint64_t from, uint64_t last, uint64_t *nr_items);

/*
 * Compare one item (ptk_iter_next() just returned 1) with @m's leaves
 * from index *@mi on; advances *@mi past them. @last is the range's last
 * address (for the run maximality check).
 */
bool ic_compare_item(const struct ptk_iter *it, const struct ptk_table *t,
		     unsigned int flags, const struct ref_model *m, size_t *mi,
		     uint64_t last);

/* ptk_iter_init(@t, @va, @len, @flags), ic_compare_rest(), fini. */
bool ic_check(struct ptk_table *t, const struct ref_model *m, uint64_t va,
	      uint64_t len, unsigned int flags);

#endif /* PTK_ITER_CHECK_H */
