// SPDX-License-Identifier: MIT
/*
 * The public range operations: argument checks at the edge, then one
 * call into the table's engine instance inside the notifier bracket.
 */
#include "internal/ptk_internal.h"

int ptk_protect(struct ptk_table *t, ptk_va_t va, uint64_t len, uint32_t prot,
		unsigned int flags, struct ptk_gather *g)
{
	struct ptk_range r;
	struct ptk_op op;
	int rc;

	if (!t || !t->ops ||
	    (flags & ~(PTK_PROTECT_SPLIT | PTK_PROTECT_SUPERSET)) ||
	    (prot & ~(uint32_t)(PTK_PROT_RWX | PTK_PROT_USER)))
		return PTK_EINVAL;
	if (ptk_table__rdonly(t))
		return PTK_EROFS;
	rc = ptk_table__range(t, va, len, &r.last);
	if (rc)
		return rc;
	r.va = va;
	ptk_op__begin(&op, t, g, PTK_NOTIFY_PROTECT, &r, 1);
	rc = ptk_op__end(&op,
			 t->ops->protect(t, va, r.last, prot, flags, op.g));
	PTK_CHECK_MUTATION(t);
	return rc;
}

int ptk_harvest(struct ptk_table *t, ptk_va_t va, uint64_t len,
		unsigned int what, unsigned int flags, ptk_harvest_fn fn,
		void *arg, struct ptk_gather *g)
{
	enum ptk_notify_reason reason = 0;
	struct ptk_range r;
	struct ptk_op op;
	int rc;

	if (!t || !t->ops || !fn || (flags & ~PTK_HARVEST_CLEAR) || !what ||
	    (what & ~(PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY)))
		return PTK_EINVAL;
	if ((flags & PTK_HARVEST_CLEAR) && ptk_table__rdonly(t))
		return PTK_EROFS;
	rc = ptk_table__range(t, va, len, &r.last);
	if (rc)
		return rc;
	r.va = va;
	if (flags & PTK_HARVEST_CLEAR)
		reason = (what & PTK_ATTR_DIRTY) ? PTK_NOTIFY_CLEAR_DIRTY
						 : PTK_NOTIFY_CLEAR_ACCESSED;
	ptk_op__begin(&op, t, g, reason, &r, 1);
	rc = ptk_op__end(&op, t->ops->harvest(t, va, r.last, what, flags, fn,
					      arg, op.g));
	PTK_CHECK_MUTATION(t);
	return rc;
}

int ptk_copy(struct ptk_table *dst, struct ptk_table *src, ptk_va_t va,
	     uint64_t len, unsigned int flags, struct ptk_gather *g)
{
	struct ptk_range r;
	struct ptk_op op;
	int rc;

	if (!dst || !src || !dst->ops || !src->ops || dst == src ||
	    dst->fmt != src->fmt || (flags & ~PTK_COPY_COW))
		return PTK_EINVAL;
	/* Radix instances read each other's trees; others only their own. */
	if (dst->ops != src->ops && (dst->ops->create || src->ops->create))
		return PTK_EIMPL;
	/* Copy-on-write write-protects the source too. */
	if (ptk_table__rdonly(dst) ||
	    ((flags & PTK_COPY_COW) && ptk_table__rdonly(src)))
		return PTK_EROFS;
	rc = ptk_table__range(src, va, len, &r.last);
	if (rc)
		return rc;
	r.va = va;
	/* Only the source can lose translations (copy-on-write). */
	ptk_op__begin(&op, src, g,
		      (flags & PTK_COPY_COW) ? PTK_NOTIFY_COPY_WP : 0, &r, 1);
	rc = ptk_op__end(&op,
			 dst->ops->copy(dst, src, va, r.last, flags, op.g));
	PTK_CHECK_MUTATION(dst);
	PTK_CHECK_MUTATION(src);
	return rc;
}

int ptk_move(struct ptk_table *t, ptk_va_t old_va, ptk_va_t new_va,
	     uint64_t len, unsigned int flags, struct ptk_gather *g)
{
	struct ptk_range r[2];
	struct ptk_op op;
	int rc;

	if (!t || !t->ops || (flags & ~PTK_MOVE_SPLIT))
		return PTK_EINVAL;
	if (ptk_table__rdonly(t))
		return PTK_EROFS;
	rc = ptk_table__range(t, old_va, len, &r[0].last);
	if (rc)
		return rc;
	rc = ptk_table__range(t, new_va, len, &r[1].last);
	if (rc)
		return rc;
	r[0].va = old_va;
	r[1].va = new_va;
	if (old_va <= r[1].last && new_va <= r[0].last)
		return PTK_EINVAL; /* overlapping ranges */
	if (new_va > old_va) {
		struct ptk_range tmp = r[0];

		r[0] = r[1];
		r[1] = tmp;
	}
	ptk_op__begin(&op, t, g, PTK_NOTIFY_MOVE, r, 2);
	rc = ptk_op__end(&op, t->ops->move(t, old_va, old_va + (len - 1),
					   new_va, flags, op.g));
	PTK_CHECK_MUTATION(t);
	return rc;
}

/* The leaf-level checks split and collapse share. */
static int level_op_args(const struct ptk_table *t, ptk_va_t va,
			 unsigned int level, struct ptk_range *r)
{
	const struct ptk_fmt *f;
	unsigned int shift;

	if (!t || !t->ops)
		return PTK_EINVAL;
	if (ptk_table__rdonly(t))
		return PTK_EROFS;
	f = t->fmt;
	if (level >= f->levels)
		return PTK_EINVAL;
	if (!ptk_fmt_va_valid(f, va))
		return PTK_ERANGE;
	shift = f->level_shift[level] + f->contig_lg2[level];
	r->va = va & ~ptk_lg2_mask(shift);
	r->last = r->va | ptk_lg2_mask(shift);
	return 0;
}

int ptk_split(struct ptk_table *t, ptk_va_t va, unsigned int level,
	      struct ptk_gather *g)
{
	struct ptk_range r;
	struct ptk_op op;
	int rc = level_op_args(t, va, level, &r);

	if (rc)
		return rc;
	ptk_op__begin(&op, t, g, PTK_NOTIFY_SPLIT, &r, 1);
	rc = ptk_op__end(&op, t->ops->split(t, va, level, op.g));
	PTK_CHECK_MUTATION(t);
	return rc;
}

int ptk_collapse(struct ptk_table *t, ptk_va_t va, unsigned int level,
		 struct ptk_gather *g)
{
	struct ptk_range r;
	struct ptk_op op;
	int rc = level_op_args(t, va, level, &r);

	if (rc)
		return rc;
	ptk_op__begin(&op, t, g, PTK_NOTIFY_COLLAPSE, &r, 1);
	rc = ptk_op__end(&op, t->ops->collapse(t, va, level, op.g));
	PTK_CHECK_MUTATION(t);
	return rc;
}
