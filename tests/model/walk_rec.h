/* SPDX-License-Identifier: MIT */
/*
 * Record what ptk_walk() reports, in order, for comparison.
 */
#ifndef PTK_WALK_REC_H
#define PTK_WALK_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptkit.h"

enum wr_type {
	WR_LEAF,
	WR_HOLE,
	WR_PRE,
	WR_POST,
	WR_INVALID,
};

struct wr_event {
	enum wr_type type;
	uint64_t va;
	uint64_t last; /* leaf: va + (count << size_lg2) - 1 */
	uint64_t oa;
	uint64_t count;
	ptk_pte_t pte;
	struct ptk_attrs attrs;
	unsigned int level;
	unsigned int size_lg2;
};

/* Which hooks to install. */
#define WR_LEAVES 0x1u
#define WR_HOLES 0x2u
#define WR_TABLES 0x4u
#define WR_INVALIDS 0x8u
#define WR_ALL (WR_LEAVES | WR_HOLES | WR_TABLES | WR_INVALIDS)

struct walk_rec {
	struct wr_event *v;
	size_t n, cap;
	uint64_t stop_after; /* leaf hook returns stop_rc on this call (1-based) */
	int stop_rc;
	uint64_t leaf_calls;
};

void wr_reset(struct walk_rec *r);
void wr_free(struct walk_rec *r);
/* ptk_walk(), or ptk_walk_all() when @all, recording into @r. */
int wr_walk(struct walk_rec *r, const struct ptk_table *t, uint64_t va,
	    uint64_t len, bool all, unsigned int hooks);
/* Whether two events are equal in every field. */
bool wr_event_eq(const struct wr_event *a, const struct wr_event *b);
/* One line describing @e. */
const char *wr_event_str(const struct wr_event *e, char *buf, size_t size);

#endif /* PTK_WALK_REC_H */
