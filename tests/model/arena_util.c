// SPDX-License-Identifier: MIT
/*
 * Arena inspection for tests; see arena_util.h.
 */
#include "arena_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void au_map_init(struct au_map *m, const struct ptk_mem_arena *a)
{
	m->nbits = (size_t)(a->size / AU_GRAIN) + 1;
	m->bits = calloc((m->nbits + 7) / 8, 1);
	if (!m->bits) {
		fprintf(stderr, "arena_util: out of memory\n");
		abort();
	}
}

void au_map_free(struct au_map *m)
{
	free(m->bits);
	memset(m, 0, sizeof(*m));
}

bool au_test(const struct au_map *m, uint64_t off)
{
	uint64_t i = off / AU_GRAIN;

	return i < m->nbits && (m->bits[i / 8] & (1u << (i % 8)));
}

bool au_any(const struct au_map *m, uint64_t off, uint64_t len)
{
	uint64_t i = off / AU_GRAIN,
		 end = (off + len + AU_GRAIN - 1) / AU_GRAIN;

	while (i < end && i < m->nbits) {
		if (!(i % 8) && i + 8 <= end) {
			if (m->bits[i / 8])
				return true;
			i += 8;
			continue;
		}
		if (m->bits[i / 8] & (1u << (i % 8)))
			return true;
		i++;
	}
	return false;
}

bool au_mark_free(struct au_map *m, const struct ptk_mem_arena *a)
{
	const unsigned int quar_len =
		sizeof(a->quar_off) / sizeof(a->quar_off[0]);
	unsigned int lg2, i;

	memset(m->bits, 0, (m->nbits + 7) / 8);
	for (lg2 = 0; lg2 <= PTK_MEM_MAX_LG2; lg2++) {
		uint64_t h = a->free_head[lg2], steps = 0, off, o;
		uint64_t size = UINT64_C(1) << lg2;

		while (h) {
			off = h - 1;
			if (++steps > m->nbits || off + size > a->bump ||
			    size < AU_GRAIN)
				return false;
			for (o = off; o < off + size; o += AU_GRAIN)
				m->bits[o / AU_GRAIN / 8] |=
					(uint8_t)(1u << (o / AU_GRAIN % 8));
			memcpy(&h, a->buf + off, sizeof(h));
		}
	}
	/* Quarantined blocks (PTK_DEBUG >= 2) are free, just not reusable yet. */
	for (i = 0; i < a->quar_nr; i++) {
		unsigned int k = (a->quar_head + i) % quar_len;
		uint64_t off = a->quar_off[k], o;
		uint64_t size = UINT64_C(1) << a->quar_lg2[k];

		if (a->quar_nr > quar_len || off + size > a->bump ||
		    size < AU_GRAIN)
			return false;
		for (o = off; o < off + size; o += AU_GRAIN)
			m->bits[o / AU_GRAIN / 8] |=
				(uint8_t)(1u << (o / AU_GRAIN % 8));
	}
	return true;
}

void au_snap_take(struct au_snap *s, const struct ptk_mem_arena *a)
{
	s->bump = a->bump;
	s->stats = a->stats;
	s->bytes = malloc(s->bump ? s->bump : 1);
	if (!s->bytes) {
		fprintf(stderr, "arena_util: out of memory\n");
		abort();
	}
	memcpy(s->bytes, a->buf, s->bump);
}

void au_snap_free(struct au_snap *s)
{
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

uint64_t au_snap_diff(const struct au_snap *s, const struct ptk_mem_arena *a)
{
	struct au_map m;
	uint64_t off, ret = UINT64_MAX, i;

	au_map_init(&m, a);
	if (!au_mark_free(&m, a)) {
		au_map_free(&m);
		return 0;
	}
	for (off = 0; off < a->bump && ret == UINT64_MAX; off += AU_GRAIN) {
		uint64_t n = a->bump - off < AU_GRAIN ? a->bump - off
						      : AU_GRAIN;

		if (au_test(&m, off))
			continue;
		/* above the old high-water mark: free, or never written
		 * (alignment padding the arena skipped; it starts zeroed) */
		for (i = 0; i < n; i++) {
			unsigned char was =
				off + i < s->bump ? s->bytes[off + i] : 0;

			if (a->buf[off + i] != was) {
				ret = off + i;
				break;
			}
		}
	}
	au_map_free(&m);
	return ret;
}
