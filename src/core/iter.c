// SPDX-License-Identifier: MIT
/*
 * The public iterator: argument checks, the read section of shared
 * tables, the notifier bracket around modifications; the steps
 * themselves are the table's engine instance's (src/algo/iter.h).
 */
#include "internal/ptk_internal.h"

#define PTK_ITER_KNOWN \
	(PTK_ITER_RUNS | PTK_ITER_NO_ATTRS | PTK_ITER_SKIP_INVALID)

/* Path from the root only: the next step walks down to it->pos. */
static void iter_restart(struct ptk_iter *it)
{
	unsigned int top = it->t->fmt->levels - 1;

	it->depth = top;
	it->tbl[top] = it->t->root;
	it->tbl_oa[top] = it->t->root_oa;
	it->live[top] = ~(uint64_t)0;
	it->stale = false;
}

/*
 * Stop handing out the current run inline: the next step reads from the
 * leaf after the current one again. (@pos was past the whole run, in
 * the same table, so the path stays.)
 */
static void ptk_iter_drop_run(struct ptk_iter *it)
{
	if (it->run_rem) {
		it->pos = it->va + ((ptk_va_t)1 << it->size_lg2);
		it->run_rem = 0;
	}
}

int ptk_iter_init(struct ptk_iter *it, struct ptk_table *t, ptk_va_t va,
		  uint64_t len, unsigned int flags)
{
	const struct ptk_fmt *f;
	ptk_va_t last;

	if (!it)
		return PTK_EINVAL;
	PTK_MEMSET(it, 0, sizeof(*it));
	it->done = true;
	if (!t || !t->ops || !t->ops->iter_next || !len ||
	    (flags & ~PTK_ITER_KNOWN))
		return PTK_EINVAL;
	if (__builtin_add_overflow(va, len - 1, &last))
		return PTK_EOVERFLOW;
	f = t->fmt;
	if (!ptk_fmt_va_valid(f, va)) {
		/* In the non-canonical hole: start at the high half. */
		ptk_va_t hi_start = ~ptk_lg2_mask(f->va_bits - 1);

		if (!(f->features & PTK_FMT_SIGN_EXTEND) || va > hi_start ||
		    last < hi_start)
			return PTK_ERANGE;
		va = hi_start;
	}
	it->t = t;
	it->flags = flags;
	it->entry_lg2 = f->entry_lg2;
	/* Plain reads of the entries race with nothing only when no other
	 * thread may write the table (see ptk_iter_ptes64()). */
	it->raw64 = f->entry_lg2 == 3 && !ptk_table__shared(t);
	it->pos = va;
	it->last = last;
	it->dkey = ~(ptk_pte_t)0;
	it->done = false;
	iter_restart(it);
	if (ptk_table__shared(t)) {
		it->token = ptk_read_begin(t);
		it->in_read = true;
	}
	return 0;
}

int(ptk_iter_next)(struct ptk_iter *it)
{
	if (!it || !it->t)
		return 0;
	if (it->run_rem)
		return ptk_iter__next_inline(it);
	if (it->done) {
		it->have_item = false;
		return 0;
	}
	if (it->stale) {
		if (ptk_table__shared(it->t) && !it->in_read) {
			it->token = ptk_read_begin(it->t);
			it->in_read = true;
		}
		iter_restart(it);
	}
	return it->t->ops->iter_next(it);
}

int ptk_iter_set(struct ptk_iter *it, ptk_oa_t oa,
		 const struct ptk_attrs *attrs, unsigned int flags,
		 struct ptk_gather *g)
{
	struct ptk_range r;
	struct ptk_op op;
	int rc;

	if (!it || !it->t || !it->have_item || !attrs ||
	    (flags & ~PTK_MAP_SUPERSET))
		return PTK_EINVAL;
	if (ptk_table__rdonly(it->t))
		return PTK_EROFS;
	/* The leaves after this one keep their entries, not its
	 * attributes: the next step reads them again. */
	ptk_iter_drop_run(it);
	r.va = it->va;
	r.last = it->va + ((it->count << it->size_lg2) - 1);
	ptk_op__begin(&op, it->t, g, PTK_NOTIFY_REPLACE, &r, 1);
	rc = ptk_op__end(&op, it->t->ops->iter_set(it, oa, attrs, flags, op.g));
	PTK_CHECK_MUTATION(it->t);
	return rc;
}

int ptk_iter_clear(struct ptk_iter *it, struct ptk_gather *g)
{
	struct ptk_range r;
	struct ptk_op op;
	int rc;

	if (!it || !it->t || !it->have_item)
		return PTK_EINVAL;
	if (ptk_table__rdonly(it->t))
		return PTK_EROFS;
	ptk_iter_drop_run(it);
	r.va = it->va;
	r.last = it->va + ((it->count << it->size_lg2) - 1);
	ptk_op__begin(&op, it->t, g, PTK_NOTIFY_UNMAP, &r, 1);
	rc = ptk_op__end(&op, it->t->ops->iter_clear(it, op.g));
	PTK_CHECK_MUTATION(it->t);
	return rc;
}

void ptk_iter_yield(struct ptk_iter *it)
{
	if (!it || !it->t)
		return;
	if (it->in_read) {
		ptk_read_end(it->t, it->token);
		it->in_read = false;
	}
	ptk_iter_drop_run(it);
	it->stale = true;
	it->have_item = false;
}

void ptk_iter_fini(struct ptk_iter *it)
{
	if (!it)
		return;
	if (it->in_read && it->t)
		ptk_read_end(it->t, it->token);
	it->in_read = false;
	it->have_item = false;
	it->run_rem = 0;
	it->done = true;
}

ptk_oa_t ptk_iter_oa(const struct ptk_iter *it, uint64_t i)
{
	const struct ptk_fmt *f = it->t->fmt;
	const struct ptk_fmt_hooks *h = f->hooks;
	unsigned int l = it->level;
	unsigned int shift = f->level_shift[l];
	ptk_va_t va = it->va + (i << shift);
	ptk_pte_t pte = ptk_iter_pte(it, i);

	if (h->classify(f, l, pte) != PTK_ENTRY_LEAF)
		return PTK_OA_INVALID;
	if (f->contig_lg2[l] && h->is_contig && h->is_contig(f, l, pte))
		shift += f->contig_lg2[l];
	return (h->leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift)) +
	       (va & ptk_lg2_mask(shift));
}
