// SPDX-License-Identifier: MIT
/*
 * The BUILD iterator's edge (ptkit/build.h): argument checks, the
 * notifier bracket, and the helpers a callback uses on its run. The
 * pass itself is the engine's (src/algo/build.h).
 */
#include "internal/ptk_internal.h"

int ptk_build(struct ptk_table *t, ptk_va_t va, uint64_t len,
	      unsigned int level, unsigned int flags, ptk_build_fn fn,
	      void *arg, struct ptk_gather *g)
{
	const struct ptk_fmt *f;
	struct ptk_range r;
	struct ptk_op op;
	uint64_t smask;
	int rc;

	if (!t || !t->ops || !fn || (flags & ~PTK_BUILD_REPLACE))
		return PTK_EINVAL;
	f = t->fmt;
	if (level >= f->levels)
		return PTK_EINVAL;
	if (t->ops->version < 4 || !t->ops->build)
		return PTK_EIMPL;
	if (ptk_table__rdonly(t))
		return PTK_EROFS;
	rc = ptk_table__range(t, va, len, &r.last);
	if (rc)
		return rc;
	/* Slots are handed over whole. */
	smask = ptk_lg2_mask(f->level_shift[level]);
	if ((va | len) & smask)
		return PTK_EALIGN;
	r.va = va;
	ptk_op__begin(&op, t, g, PTK_NOTIFY_REPLACE, &r, 1);
	rc = ptk_op__end(&op, t->ops->build(t, va, r.last, level, flags, fn,
					    arg, op.g));
	PTK_CHECK_MUTATION(t);
	return rc;
}

enum ptk_entry_type ptk_build_type(const struct ptk_build_run *r, uint64_t i)
{
	return r->fmt->hooks->classify(r->fmt, r->level, ptk_build_get(r, i));
}

int ptk_build_encode(ptk_pte_t *bits_out, const struct ptk_build_run *r,
		     const struct ptk_attrs *attrs, unsigned int flags)
{
	if (!bits_out || !r || !attrs || (flags & ~PTK_MAP_SUPERSET))
		return PTK_EINVAL;
	if (!(r->fmt->leaf_levels & (1u << r->level)))
		return PTK_ENOTSUP;
	return r->fmt->hooks->encode(r->fmt, r->level, attrs,
				     flags ? PTK_ENC_SUPERSET : 0, bits_out);
}

ptk_pte_t ptk_build_leaf(const struct ptk_build_run *r, ptk_oa_t oa,
			 ptk_pte_t bits)
{
	return r->fmt->hooks->make_leaf(r->fmt, r->level, oa, bits);
}

int ptk_build_fill(struct ptk_build_run *r, uint64_t i, uint64_t n, ptk_oa_t oa,
		   ptk_pte_t bits)
{
	const struct ptk_fmt *f;
	unsigned int ob;
	ptk_oa_t oa_last;

	if (!r || !n || i >= r->count || n > r->count - i)
		return PTK_EINVAL;
	f = r->fmt;
	if (!(f->leaf_levels & (1u << r->level)))
		return PTK_ENOTSUP;
	if (oa & ptk_lg2_mask(r->size_lg2))
		return PTK_EALIGN;
	if (__builtin_add_overflow(oa, (n << r->size_lg2) - 1, &oa_last))
		return PTK_EOVERFLOW;
	ob = f->leaf_oa_bits[r->level] ? f->leaf_oa_bits[r->level] : f->oa_bits;
	if (ob < 64 && (oa_last >> ob))
		return PTK_ERANGE;
	r->fill(r, i, n, oa, bits);
	return 0;
}
