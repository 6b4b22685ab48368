/* SPDX-License-Identifier: MIT */
/*
 * Looking inside a simulated arena, for tests.
 *
 * These read the private fields of struct ptk_mem_arena (buf, base,
 * bump, free_head, quar_*): free_head[lg2] holds the offset + 1 of the
 * first free block of 2^lg2 bytes (0: none), and each free block holds
 * the next such value in its first 8 bytes. At PTK_DEBUG >= 2 freed
 * blocks first wait in a FIFO quarantine (quar_nr entries from
 * quar_head, offsets in quar_off, sizes in quar_lg2) filled with 0xa5;
 * those count as free here too.
 */
#ifndef PTK_ARENA_UTIL_H
#define PTK_ARENA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptkit.h"

/* The granule the maps below are kept in: the smallest table (the root
 * of an Arm format with few top-level entries can be 16 bytes). */
#define AU_GRAIN 16u

struct au_map {
	uint8_t *bits; /* one bit per AU_GRAIN bytes of the arena */
	size_t nbits;
};

void au_map_init(struct au_map *m, const struct ptk_mem_arena *a);
void au_map_free(struct au_map *m);
/* Mark every block on the arena's free lists or in its quarantine;
 * false if they are broken. */
bool au_mark_free(struct au_map *m, const struct ptk_mem_arena *a);
bool au_test(const struct au_map *m, uint64_t off);
/* Whether any grain of [off, off + len) is free (off, len: grains). */
bool au_any(const struct au_map *m, uint64_t off, uint64_t len);

/* A copy of the arena's used part, to compare against later. */
struct au_snap {
	unsigned char *bytes;
	uint64_t bump;
	struct ptk_mem_stats stats;
};

void au_snap_take(struct au_snap *s, const struct ptk_mem_arena *a);
void au_snap_free(struct au_snap *s);
/*
 * Offset of the first byte, in any block not on a free list now, that
 * differs from the snapshot (bytes above the snapshot's bump must be
 * free or still zero: the arena starts zeroed and may skip padding), or
 * UINT64_MAX when there is none.
 */
uint64_t au_snap_diff(const struct au_snap *s, const struct ptk_mem_arena *a);

#endif /* PTK_ARENA_UTIL_H */
