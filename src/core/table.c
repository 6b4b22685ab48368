// SPDX-License-Identifier: MIT
/*
 * The public table API: argument checks at the edge, (va, len) to
 * [va, last], then one call into the table's engine instance.
 */
#include "internal/ptk_internal.h"
#include <ptkit/hash.h>

#if PTK_DEBUG >= 3
void ptk_table__check_or_bug(const struct ptk_table *t)
{
	struct ptk_check c;

	/* Other writers may be half-way through theirs: shared tables are
	 * checked by their users at quiet points (the stress test does). */
	if (ptk_table__shared(t))
		return;
	if (ptk_table_check(&c, t))
		PTK_BUG(c.what ? c.what : "table invariant broken");
}
#endif

void *ptk_table__ptr(const struct ptk_table *t, ptk_oa_t oa, unsigned int lg2)
{
	const struct ptk_mem *m = t->mem;
	uint64_t span = ptk_lg2_mask(lg2);

	if ((m->flags & PTK_MEM_LINEAR) && oa >= m->lin_lo && oa <= m->lin_hi &&
	    span <= m->lin_hi - oa)
		return (void *)(uintptr_t)((uintptr_t)oa + m->lin_delta);
	if (m->flags & PTK_MEM_CELLS) {
		const struct ptk_mem_cells *c = &m->cells;
		uint64_t i = (oa - c->base) >> c->lg2;

		/* In range, and the whole table in cell i (a wrap of
		 * oa + span sets the top bit, so it fails too). */
		if (i < c->nr && !((oa ^ (oa + span)) >> c->lg2)) {
			uintptr_t d = c->delta[i];

			if (!(d & PTK_MEM_CELL_MAP))
				return (void *)(uintptr_t)((uintptr_t)oa + d);
		}
	}
	if (m->ops->map)
		return m->ops->map(m->arg, oa, lg2);
	return NULL;
}

int ptk_table__alloc(struct ptk_table *t, unsigned int lg2, ptk_oa_t *oa_out,
		     void **ptr_out)
{
	const struct ptk_mem *m = t->mem;
	int rc;

	lg2 = ptk_block_lg2(lg2);
	rc = m->ops->alloc(m->arg, lg2, oa_out, ptr_out);
	if (rc < 0)
		return rc;
	PTK_ASSERT(!(*oa_out & ptk_lg2_mask(lg2)));
	return 0;
}

void ptk_table__free(struct ptk_table *t, ptk_oa_t oa, void *ptr,
		     unsigned int lg2)
{
	const struct ptk_mem *m = t->mem;

	m->ops->free(m->arg, oa, ptr, ptk_block_lg2(lg2));
}

static int check_mem(const struct ptk_mem *mem)
{
	if (!mem || !mem->ops)
		return PTK_EINVAL;
	if (mem->ops->version < 1 || mem->ops->version > PTK_MEM_OPS_VERSION)
		return PTK_EVERSION;
	if (!mem->ops->alloc || !mem->ops->free)
		return PTK_EINVAL;
	if (!(mem->flags & PTK_MEM_LINEAR) && !mem->ops->map)
		return PTK_EINVAL;
	return 0;
}

/* Shared tables need read sections and deferred freeing from @mem. */
static int check_shared(const struct ptk_mem *mem, unsigned int flags)
{
	const struct ptk_mem_ops *o = mem->ops;

	if (!(flags & PTK_TABLE_SHARED))
		return 0;
	if (o->version < 2 || !o->read_lock || !o->read_unlock || !o->retire)
		return PTK_EPROVIDER;
	return 0;
}

static unsigned int root_lg2(const struct ptk_fmt *f)
{
	return f->level_bits[f->levels - 1] + f->entry_lg2;
}

/*
 * What a root is allocated with: its size, but at least 64 bytes, which
 * Arm requires of small top tables with 52-bit output addresses (Arm ARM
 * D8.2.5.2) and which costs nothing elsewhere.
 */
static unsigned int root_alloc_lg2(const struct ptk_fmt *f)
{
	unsigned int lg2 = root_lg2(f);

	return lg2 < 6 ? 6 : lg2;
}

/* Whether the format can point to a table at @oa (CR3 and the like). */
static bool root_fits(const struct ptk_fmt *f, ptk_oa_t oa)
{
	unsigned int bits = f->table_oa_bits ? f->table_oa_bits : f->oa_bits;

	return bits >= 64 || !((oa | ptk_lg2_mask(PTK_MEM_MIN_LG2)) >> bits);
}

static void table_setup(struct ptk_table *t, const struct ptk_fmt *fmt,
			const struct ptk_mem *mem, unsigned int flags)
{
	PTK_MEMSET(t, 0, sizeof(*t));
	t->fmt = fmt;
	t->ops = (fmt->ops && !(flags & PTK_TABLE_GENERIC)) ? fmt->ops
							    : &ptk_generic_ops;
	t->mem = mem;
	t->flags = flags;
	t->lin_delta = mem->lin_delta;
	t->xlate = t->ops->translate;
}

int ptk_table_create(struct ptk_table *t, const struct ptk_fmt *fmt,
		     const struct ptk_mem *mem, unsigned int flags)
{
	int rc;

	if (t && (flags & PTK_TABLE_HASH))
		return ptk_table_create_impl(t, fmt, mem, &ptk_hash_ops, NULL,
					     flags & ~PTK_TABLE_HASH);
	if (!t || (flags & ~(PTK_TABLE_GENERIC | PTK_TABLE_SHARED)))
		return PTK_EINVAL;
	PTK_TRY(ptk_fmt_check(fmt));
	PTK_TRY(check_mem(mem));
	if (mem->flags & PTK_MEM_READONLY)
		return PTK_EROFS;
	PTK_TRY(check_shared(mem, flags));
	table_setup(t, fmt, mem, flags);
	/* Tables ptkit allocates are trusted: convert them by offset. */
	t->linear = (mem->flags & PTK_MEM_LINEAR) ? PTK_LIN_TRUSTED
						  : PTK_LIN_NONE;
	rc = ptk_table__alloc(t, root_alloc_lg2(fmt), &t->root_oa, &t->root);
	if (rc == 0 && !root_fits(fmt, t->root_oa)) {
		ptk_table__free(t, t->root_oa, t->root, root_alloc_lg2(fmt));
		rc = PTK_ETABLEOA;
	}
	if (rc < 0) {
		PTK_MEMSET(t, 0, sizeof(*t));
		return rc;
	}
	if (t->linear == PTK_LIN_TRUSTED && !t->lin_delta &&
	    t->ops->translate_direct)
		t->xlate = t->ops->translate_direct;
	return 0;
}

int ptk_table_create_impl(struct ptk_table *t, const struct ptk_fmt *fmt,
			  const struct ptk_mem *mem,
			  const struct ptk_impl_ops *impl, const void *impl_arg,
			  unsigned int flags)
{
	int rc;

	if (!impl)
		return ptk_table_create(t, fmt, mem, flags & ~PTK_TABLE_HASH);
	if (!t || (flags & ~(PTK_TABLE_GENERIC | PTK_TABLE_SHARED)))
		return PTK_EINVAL;
	/* Version 3 (no @build) is still accepted: ptk_build() says
	 * PTK_EIMPL to it. */
	if (impl->version < 3 || impl->version > PTK_IMPL_OPS_VERSION ||
	    !impl->create)
		return PTK_EVERSION;
	PTK_TRY(ptk_fmt_check(fmt));
	PTK_TRY(check_mem(mem));
	if (mem->flags & PTK_MEM_READONLY)
		return PTK_EROFS;
	/* (PTK_TABLE_SHARED is the implementation's to accept or refuse) */
	table_setup(t, fmt, mem, flags);
	t->ops = impl;
	t->xlate = impl->translate;
	t->linear = PTK_LIN_NONE;
	rc = impl->create(t, impl_arg);
	if (rc < 0)
		PTK_MEMSET(t, 0, sizeof(*t));
	return rc;
}

int ptk_table_attach(struct ptk_table *t, const struct ptk_fmt *fmt,
		     const struct ptk_mem *mem, ptk_oa_t root,
		     unsigned int flags)
{
	unsigned int lg2;

	if (!t ||
	    (flags & ~(PTK_TABLE_GENERIC | PTK_TABLE_OWNED | PTK_TABLE_SHARED)))
		return PTK_EINVAL;
	PTK_TRY(ptk_fmt_check(fmt));
	PTK_TRY(check_mem(mem));
	/* Destroying an owned table frees (and so writes) its tables. */
	if ((mem->flags & PTK_MEM_READONLY) && (flags & PTK_TABLE_OWNED))
		return PTK_EROFS;
	PTK_TRY(check_shared(mem, flags));
	lg2 = root_lg2(fmt);
	/* A root table is aligned to its size, as the hardware requires. */
	if (root & ptk_lg2_mask(lg2))
		return PTK_EINVAL;
	table_setup(t, fmt, mem, flags | PTK_TABLE__ATTACHED);
	t->linear = PTK_LIN_NONE; /* entries are not ours: check them */
	t->root_oa = root;
	t->root = ptk_table__ptr(t, root, lg2);
	if (!t->root) {
		PTK_MEMSET(t, 0, sizeof(*t));
		return PTK_EINVAL;
	}
	return 0;
}

void ptk_table_destroy(struct ptk_table *t)
{
	if (!t || !t->fmt || !t->ops)
		return;
	ptk_interval__release(t);
	if (t->ops->create) {
		t->ops->destroy(t); /* owns all its memory, root included */
	} else if (!(t->flags & PTK_TABLE__ATTACHED) ||
		   (t->flags & PTK_TABLE_OWNED)) {
		t->ops->destroy(t);
		ptk_table__free(t, t->root_oa, t->root, root_alloc_lg2(t->fmt));
	}
	PTK_MEMSET(t, 0, sizeof(*t));
}

unsigned long ptk_read_begin(const struct ptk_table *t)
{
	const struct ptk_mem *m;

	if (!t || !ptk_table__shared(t))
		return 0;
	m = t->mem;
	return m->ops->read_lock(m->arg);
}

void ptk_read_end(const struct ptk_table *t, unsigned long token)
{
	const struct ptk_mem *m;

	if (!t || !ptk_table__shared(t))
		return;
	m = t->mem;
	m->ops->read_unlock(m->arg, token);
}

ptk_oa_t ptk_table_root(const struct ptk_table *t)
{
	return t->root_oa;
}

const struct ptk_fmt *ptk_table_fmt(const struct ptk_table *t)
{
	return t->fmt;
}

uint64_t ptk_table_count(const struct ptk_table *t, unsigned int level)
{
	if (!t || !t->fmt || level >= t->fmt->levels)
		return 0;
	return t->nr_tables[level];
}

/* The span of the VA space that holds @va: its canonical half, or all. */
static void va_half(const struct ptk_fmt *f, ptk_va_t va, ptk_va_t *lo,
		    ptk_va_t *hi)
{
	unsigned int vb = f->va_bits;

	if (!(f->features & PTK_FMT_SIGN_EXTEND)) {
		*lo = 0;
		*hi = ptk_lg2_mask(vb);
	} else if ((va >> (vb - 1)) & 1) {
		*lo = ~ptk_lg2_mask(vb - 1);
		*hi = ~(ptk_va_t)0;
	} else {
		*lo = 0;
		*hi = ptk_lg2_mask(vb - 1);
	}
}

#define PTK_MAP_KNOWN \
	(PTK_MAP_REPLACE | PTK_MAP_SUPERSET | PTK_MAP_MAX_PAGE(0x3f))

int ptk_map(struct ptk_table *t, ptk_va_t va, uint64_t len, ptk_oa_t oa,
	    const struct ptk_attrs *attrs, unsigned int flags,
	    struct ptk_gather *g)
{
	const struct ptk_fmt *f;
	ptk_va_t last;
	ptk_oa_t oa_last;
	int rc;

	if (!t || !t->ops || !attrs || (flags & ~PTK_MAP_KNOWN))
		return PTK_EINVAL;
	if (ptk_table__rdonly(t))
		return PTK_EROFS;
	f = t->fmt;
	rc = ptk_table__range(t, va, len, &last);
	if (rc)
		return rc;
	if (oa & ptk_lg2_mask(f->level_shift[0]))
		return PTK_EALIGN;
	if (__builtin_add_overflow(oa, len - 1, &oa_last))
		return PTK_EOVERFLOW;
	if (f->oa_bits < 64 && (oa_last >> f->oa_bits))
		return PTK_ERANGE;
	if (flags & PTK_MAP_REPLACE) {
		struct ptk_range r = { va, last };
		struct ptk_op op;

		ptk_op__begin(&op, t, g, PTK_NOTIFY_REPLACE, &r, 1);
		rc = ptk_op__end(&op, t->ops->map(t, va, last, oa, attrs, flags,
						  op.g));
	} else {
		/* Only empty entries change: nothing to invalidate. */
		rc = t->ops->map(t, va, last, oa, attrs, flags, g);
	}
	PTK_CHECK_MUTATION(t);
	return rc;
}

int ptk_unmap(struct ptk_table *t, ptk_va_t va, uint64_t len,
	      unsigned int flags, struct ptk_gather *g)
{
	struct ptk_range r;
	struct ptk_op op;
	ptk_va_t last;
	int rc;

	if (!t || !t->ops || (flags & ~PTK_UNMAP_SPLIT))
		return PTK_EINVAL;
	if (ptk_table__rdonly(t))
		return PTK_EROFS;
	rc = ptk_table__range(t, va, len, &last);
	if (rc)
		return rc;
	r.va = va;
	r.last = last;
	ptk_op__begin(&op, t, g, PTK_NOTIFY_UNMAP, &r, 1);
	rc = ptk_op__end(&op, t->ops->unmap(t, va, last, flags, op.g));
	PTK_CHECK_MUTATION(t);
	return rc;
}

/* The external definition of the inline function in ptkit/table.h. */
extern inline int ptk_translate(const struct ptk_table *t, ptk_va_t va,
				struct ptk_xlate *out);

/* What ptk_table_translate_fn() hands out for a table it cannot use. */
static int translate_inval(const struct ptk_table *t, ptk_va_t va,
			   struct ptk_xlate *out)
{
	(void)t;
	(void)va;
	(void)out;
	return PTK_EINVAL;
}

ptk_translate_fn_t ptk_table_translate_fn(const struct ptk_table *t)
{
	if (!t || !t->xlate)
		return translate_inval;
	return t->xlate;
}

int ptk_leaf_attrs(struct ptk_attrs *out, const struct ptk_table *t,
		   unsigned int level, ptk_pte_t pte)
{
	const struct ptk_fmt *f;

	if (!out || !t || !t->fmt || level >= t->fmt->levels)
		return PTK_EINVAL;
	f = t->fmt;
	if (f->hooks->classify(f, level, pte) != PTK_ENTRY_LEAF)
		return PTK_EINVAL;
	f->hooks->decode(f, level, pte, out);
	return 0;
}

/* Walk [va, last] piece by piece over the parts of the VA space. */
static int walk_range(const struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		      const struct ptk_walk_ops *ops, void *arg)
{
	const struct ptk_fmt *f = t->fmt;
	bool any = false;
	ptk_va_t lo, hi;
	int rc;

	for (;;) {
		ptk_va_t a, b;

		va_half(f, va, &lo, &hi);
		if (!ptk_fmt_va_valid(f, va)) {
			/* In the non-canonical hole: skip to the high half. */
			if (!(f->features & PTK_FMT_SIGN_EXTEND))
				break;
			lo = ~ptk_lg2_mask(f->va_bits - 1);
			if (last < lo)
				break;
			va = lo;
			continue;
		}
		a = va;
		b = last < hi ? last : hi;
		any = true;
		rc = t->ops->walk(t, a, b, ops, arg);
		if (rc)
			return rc;
		if (b == last || hi == ~(ptk_va_t)0)
			break;
		va = hi + 1;
	}
	return any ? 0 : PTK_ERANGE;
}

/* The hooks @ops may be given together, and whether @t can call them. */
static int walk_ops_check(const struct ptk_table *t,
			  const struct ptk_walk_ops *ops)
{
	if (!ops->slots)
		return 0;
	if (ops->leaf || ops->leaves || ops->hole)
		return PTK_EINVAL;
	if (t->ops->version < 5 || !t->ops->slots_count)
		return PTK_EIMPL;
	return 0;
}

int ptk_walk(const struct ptk_table *t, ptk_va_t va, uint64_t len,
	     const struct ptk_walk_ops *ops, void *arg)
{
	ptk_va_t last;

	if (!t || !t->ops || !ops || !len)
		return PTK_EINVAL;
	PTK_TRY(walk_ops_check(t, ops));
	if (__builtin_add_overflow(va, len - 1, &last))
		return PTK_EOVERFLOW;
	return walk_range(t, va, last, ops, arg);
}

int ptk_walk_all(const struct ptk_table *t, const struct ptk_walk_ops *ops,
		 void *arg)
{
	if (!t || !t->ops || !ops)
		return PTK_EINVAL;
	PTK_TRY(walk_ops_check(t, ops));
	return walk_range(t, 0, ~(ptk_va_t)0, ops, arg);
}

uint64_t ptk_walk_slots_count(const struct ptk_walk_slots *s, uint64_t *bad)
{
	uint64_t nbad = 0, n = 0;

	if (s && s->t && s->t->ops && s->t->ops->version >= 5 &&
	    s->t->ops->slots_count && s->count)
		n = s->t->ops->slots_count(s, &nbad);
	if (bad)
		*bad = nbad;
	return n;
}

int ptk_walk_slot(const struct ptk_walk_slots *s, uint64_t i,
		  struct ptk_walk_page *out)
{
	if (!s || !s->t || !s->t->fmt || !s->slots || i >= s->count || !out ||
	    s->level >= s->t->fmt->levels || !s->t->ops ||
	    s->t->ops->version < 5 || !s->t->ops->slot)
		return PTK_EINVAL;
	return s->t->ops->slot(s, i, out);
}

int ptk_table_check(struct ptk_check *out, const struct ptk_table *t)
{
	struct ptk_check local;

	if (!t || !t->ops)
		return PTK_EINVAL;
	if (!out)
		out = &local;
	PTK_MEMSET(out, 0, sizeof(*out));
	out->bad_level = -1;
	return t->ops->check(out, t);
}
