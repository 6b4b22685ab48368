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
	uint64_t leaf_oa_lim[PTK_MAX_LEVELS]; /* 0: no limit */
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
	/*
	 * Set by rm_map() when it returns PTK_EEXIST but some leaf it would
	 * make cannot hold its OA (a leaf_oa_bits limit): the engine may
	 * find either first, so PTK_ERANGE is acceptable too.
	 */
	int alt_rc;
};

/* A run of pages with the same accessed/dirty state (ptk_harvest()). */
struct rm_run {
	uint64_t va, last;
	unsigned int found;
};

struct rm_runs {
	struct rm_run *v;
	size_t n, cap;
};

/*
 * How an operation rewrites one leaf's attributes (protect, copy-on-write):
 * change *@a in place to what the table will decode, or return the error
 * the encoding fails with.
 */
typedef int (*rm_reattr_fn)(void *arg, unsigned int level, struct ptk_attrs *a);

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

/* Whether some level's leaves hold fewer OA bits than @f (PSE-36). */
bool rm_oa_limited(const struct ptk_fmt *f);

/* Whether one of @g's ranges holds all of [@va, @last]. */
bool rm_gather_covers(const struct ptk_gather *g, uint64_t va, uint64_t last);

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

/*
 * Change the attributes of every leaf in [va, last] with @fn. Returns 0,
 * PTK_ESPLIT (a huge leaf is cut and @split is false) or @fn's error;
 * on an error nothing changes. When both apply, m->alt_rc gets the
 * other one (the engine may find either first).
 */
int rm_reattr(struct ref_model *m, uint64_t va, uint64_t last, bool split,
	      rm_reattr_fn fn, void *arg);

/*
 * Harvest [va, last]: the maximal runs of pages with the same non-empty
 * (attrs.flags & @what) into @runs; with @clear, clear those bits in every
 * leaf that intersects [clr_va, clr_last] (the whole leaves: the caller
 * passes the range widened to contiguous groups).
 */
void rm_harvest(struct ref_model *m, uint64_t va, uint64_t last,
		unsigned int what, bool clear, uint64_t clr_va,
		uint64_t clr_last, struct rm_runs *runs);

/*
 * Copy [va, last] of @src into @dst (ptk_copy()). rm_copy_check(): 0,
 * PTK_EEXIST (a page mapped in both), PTK_ESPLIT (@cow and a huge leaf is
 * cut); *@maybe_eexist is set when @dst maps something in the range
 * without a conflict (the engine may refuse that too). rm_copy_apply()
 * does it; @fn rewrites attributes for copy-on-write (NULL: none).
 */
int rm_copy_check(const struct ref_model *dst, const struct ref_model *src,
		  uint64_t va, uint64_t last, bool cow, bool *maybe_eexist,
		  int *alt);
int rm_copy_apply(struct ref_model *dst, struct ref_model *src, uint64_t va,
		  uint64_t last, rm_reattr_fn fn, void *arg);

/*
 * Move [va, last] to [va + delta, ...] (ptk_move()); same conventions as
 * the copy pair (*@alt: a second error the engine may find first). The
 * apply functions return PTK_ERANGE (and leave the model half done: the
 * caller restores it) when a leaf cannot hold its OA. The destination's
 * leaves follow the engine's documented
 * strategy: whole tables whose span the range covers and delta keeps
 * aligned are relinked as they are; every other run of leaves (same
 * table, consecutive, contiguous OAs, equal attributes) is mapped anew,
 * in leaves no larger than its own.
 */
int rm_move_check(const struct ref_model *m, uint64_t va, uint64_t last,
		  uint64_t delta, bool split, bool *maybe_eexist, int *alt);
int rm_move_apply(struct ref_model *m, uint64_t va, uint64_t last,
		  uint64_t delta, bool split);

/*
 * ptk_split() of the leaf at @level holding @va: 0 (split one level
 * down), PTK_ENOENT, PTK_ERANGE (a child cannot hold its OA). @group:
 * the caller knows the entry is a contiguous group (no change then).
 */
int rm_split(struct ref_model *m, uint64_t va, unsigned int level, bool group);

/*
 * ptk_collapse() at @level for @va: 0, PTK_ENOENT, PTK_ENOTSUP,
 * PTK_ENOTUNIFORM. @enc (may be NULL) checks that the attributes encode
 * at @level.
 */
int rm_collapse(struct ref_model *m, uint64_t va, unsigned int level,
		rm_reattr_fn enc, void *arg);

/*
 * The ranges where @b differs from @a in translation or attributes (not
 * in leaf size alone) and @a mapped something, inside [va, last]: what
 * must be invalidated (pages @a did not map cannot be cached).
 */
void rm_diff(const struct ref_model *a, const struct ref_model *b, uint64_t va,
	     uint64_t last, struct rm_ranges *out);

void rm_copy_model(struct ref_model *dst, const struct ref_model *src);
/* Add a leaf above every other one. */
void rm_append(struct ref_model *m, const struct rm_leaf *l);
void rm_runs_free(struct rm_runs *r);

void rm_ranges_add(struct rm_ranges *r, uint64_t va, uint64_t last);
void rm_ranges_free(struct rm_ranges *r);

#endif /* PTK_REF_MODEL_H */
