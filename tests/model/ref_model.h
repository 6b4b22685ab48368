/* SPDX-License-Identifier: MIT */
/*
 * The reference model: a plain sorted array of leaves.
 *
 * Each record is one leaf as the table should hold it: VA, OA, level,
 * page size and attributes; a huge leaf is one record. Records are kept
 * sorted by VA and never overlap. Every operation is written the obvious
 * way (binary search, splice) so that it can be trusted more than the
 * engine it checks; it only knows the format's geometry, never its
 * encoding.
 *
 * The model follows the documented semantics of ptk_map()/ptk_unmap():
 *  - map picks, at each point, the largest leaf size the format allows
 *    that VA and OA alignment and the remaining length allow (and the
 *    PTK_MAP_MAX_PAGE cap), except that with PTK_MAP_REPLACE it goes
 *    down a level where a table already exists (where smaller leaves
 *    than the candidate lie inside the candidate's span);
 *  - a huge leaf that a range only partly covers is split minimally:
 *    into leaves one level down, and only the child that the cut still
 *    crosses is split further;
 *  - tables exist exactly where some leaf below them exists (empty
 *    tables are freed).
 */
#ifndef PTK_REF_MODEL_H
#define PTK_REF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptkit.h"

struct rm_leaf {
	uint64_t va;
	uint64_t oa;
	struct ptk_attrs attrs;
	uint8_t level;
	uint8_t size_lg2;
};

static inline uint64_t rm_leaf_last(const struct rm_leaf *l)
{
	return l->va + ((UINT64_C(1) << l->size_lg2) - 1);
}

struct rm_geom {
	unsigned int levels;
	unsigned int shift[PTK_MAX_LEVELS];
	unsigned int bits[PTK_MAX_LEVELS];
	uint32_t leaf_levels;
};

/* A growable list of inclusive ranges. */
struct rm_ranges {
	struct ptk_range *v;
	size_t n, cap;
};

struct ref_model {
	struct rm_geom g;
	struct rm_leaf *v;
	size_t n, cap;
	uint64_t leaves[PTK_MAX_LEVELS]; /* per level */
};

void rm_geom_from_fmt(struct rm_geom *g, const struct ptk_fmt *f);

void rm_init(struct ref_model *m, const struct rm_geom *g);
void rm_fini(struct ref_model *m);
void rm_clear(struct ref_model *m);

/* Index of the first leaf whose last address is >= va (n if none). */
size_t rm_lower(const struct ref_model *m, uint64_t va);
/* The leaf containing va, or NULL. */
const struct rm_leaf *rm_lookup(const struct ref_model *m, uint64_t va);
/* Whether any leaf intersects [va, last]. */
bool rm_overlaps(const struct ref_model *m, uint64_t va, uint64_t last);

/*
 * Map [va, last] to oa. @replace: PTK_MAP_REPLACE semantics; @max_lg2:
 * the PTK_MAP_MAX_PAGE cap or 0. Arguments must already be valid (aligned,
 * inside the space). Returns 0 or PTK_EEXIST (and then changes
 * nothing). @changed (may be NULL) receives every address range whose
 * translation changed: the old leaves (or, for a leaf that was split, the
 * parts of it) inside [va, last]. A split leaf's parts outside the range
 * keep their translation and are not listed.
 */
int rm_map(struct ref_model *m, uint64_t va, uint64_t last, uint64_t oa,
	   const struct ptk_attrs *attrs, bool replace, unsigned int max_lg2,
	   struct rm_ranges *changed);

/*
 * Unmap [va, last]. Returns 0 or PTK_ESPLIT (a huge leaf is cut and
 * @split is false; nothing changes).
 */
int rm_unmap(struct ref_model *m, uint64_t va, uint64_t last, bool split,
	     struct rm_ranges *changed);

/* Tables below the root implied by the leaves, per level. */
void rm_table_counts(const struct ref_model *m, uint64_t out[PTK_MAX_LEVELS]);

void rm_ranges_add(struct rm_ranges *r, uint64_t va, uint64_t last);
void rm_ranges_free(struct rm_ranges *r);

#endif /* PTK_REF_MODEL_H */
