/* SPDX-License-Identifier: MIT */
/*
 * The level cursor: one table at one level, and the part of a range that
 * lies inside it, entry by entry. Every body of the engine is a loop over
 * a cursor (the model is Linux's generic_pt pt_state and its
 * for_each_pt_level_entry):
 *
 *	struct ptk_cur c;
 *
 *	PTK_NS(cur_start)(&c, f, l, tbl, va, last, PTK_ENTRY_EMPTY);
 *	do {
 *		... c.pte / c.type is the entry, [c.a, c.b] the part of the
 *		range it holds, c.whole whether that is all of it ...
 *	} while (PTK_NS(cur_next)(&c, f, l));
 *
 * A body that handles a run of entries at once moves the cursor's end
 * with cur_take(), and the next cur_next() goes on after the run.
 *
 * The rules every body would otherwise repeat live here once:
 *  - a range is inclusive, [a, b] is clipped to it, and the top of the
 *    address space is reachable (nothing wraps);
 *  - a table entry at level 0 is malformed (PTK_ENTRY_INVALID);
 *  - entries at level 0 are always whole (the API checked that ranges are
 *    aligned to the smallest page);
 *  - a table that does not exist yet (a check pass looking ahead into
 *    tables the operation will make) has tbl == NULL, and all its entries
 *    are of one type: empty, or leaves (the split of a huge leaf).
 */

#ifndef PTK_ALGO_CURSOR_STRUCT
#define PTK_ALGO_CURSOR_STRUCT
/**
 * struct ptk_cur - A position in one table, inside a range
 * @tbl: The table; NULL for one that does not exist yet
 * @a: First address of the range in the current entry
 * @b: Last address of the range in it (or in the run cur_take() took)
 * @last: Last address of the range in this table
 * @e_va: First address the current entry spans
 * @idx: Index of the current entry
 * @pte: The entry (0 in a table that does not exist yet)
 * @type: What it is; a table entry at level 0 reads as invalid
 * @vtype: The type of every entry of a table that does not exist yet
 * @whole: The range covers the entry whole
 */
struct ptk_cur {
	void *tbl;
	ptk_va_t a;
	ptk_va_t b;
	ptk_va_t last;
	ptk_va_t e_va;
	uint64_t idx;
	ptk_pte_t pte;
	enum ptk_entry_type type;
	enum ptk_entry_type vtype;
	bool whole;
};
#endif

/* Read the entry at c->a (its span, index, value and type). */
static PTK_ALWAYS_INLINE void
PTK_NS(cur_load)(struct ptk_cur *c, const struct ptk_fmt *f, unsigned int l)
{
	ptk_va_t smask = ptk_lg2_mask(ptkf_shift(f, l));
	ptk_va_t e_last;

	c->e_va = c->a & ~smask;
	e_last = c->e_va | smask;
	c->b = e_last < c->last ? e_last : c->last;
	c->whole = l == 0 || (c->a == c->e_va && c->b == e_last);
	c->idx = PTK_NS(idx)(f, l, c->a);
	if (PTK_LIKELY(c->tbl != NULL)) {
		c->pte = PTK_NS(ld)(f, c->tbl, c->idx);
		c->type = ptkf_classify(f, l, c->pte);
		if (l == 0 && c->type == PTK_ENTRY_TABLE)
			c->type = PTK_ENTRY_INVALID;
	} else {
		c->pte = 0;
		c->type = c->vtype;
	}
}

/*
 * Start at the entry holding @va of @tbl (level @l), for the range
 * [@va, @last], which lies inside @tbl's span. @vtype: the type of the
 * entries when @tbl is NULL.
 */
static PTK_ALWAYS_INLINE void PTK_NS(cur_start)(struct ptk_cur *c,
						const struct ptk_fmt *f,
						unsigned int l, void *tbl,
						ptk_va_t va, ptk_va_t last,
						enum ptk_entry_type vtype)
{
	c->tbl = tbl;
	c->a = va;
	c->last = last;
	c->vtype = vtype;
	PTK_NS(cur_load)(c, f, l);
}

/*
 * The current entry's type, for a switch: the same as c->type, but with
 * the level-0 rule spelled out where the compiler sees @l, so that the
 * table case of a body compiles away at level 0.
 */
static PTK_ALWAYS_INLINE enum ptk_entry_type
PTK_NS(cur_type)(const struct ptk_cur *c, unsigned int l)
{
	enum ptk_entry_type ty = c->type;

	if (l == 0 && ty == PTK_ENTRY_TABLE)
		return PTK_ENTRY_INVALID;
	return ty;
}

/*
 * The level of the table a table entry at level @l points to. Bodies
 * meet table entries only above level 0 (cur_type()); this tells the
 * compiler, which cannot always follow that through the cursor.
 */
static PTK_ALWAYS_INLINE unsigned int PTK_NS(below)(unsigned int l)
{
	if (l == 0)
		__builtin_unreachable();
	return l - 1;
}

/* Step past the current entry (or run); false at the end of the range. */
static PTK_ALWAYS_INLINE bool
PTK_NS(cur_next)(struct ptk_cur *c, const struct ptk_fmt *f, unsigned int l)
{
	if (c->b >= c->last)
		return false;
	c->a = c->b + 1;
	PTK_NS(cur_load)(c, f, l);
	return true;
}

/* The current piece is @n entries from the current one (clipped). */
static PTK_ALWAYS_INLINE void PTK_NS(cur_take)(struct ptk_cur *c,
					       const struct ptk_fmt *f,
					       unsigned int l, uint64_t n)
{
	ptk_va_t b = c->e_va + ((n << ptkf_shift(f, l)) - 1);

	c->b = b < c->last ? b : c->last;
}

/* Entries from the current one to the one holding the range's end. */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(cur_room)(const struct ptk_cur *c,
						   const struct ptk_fmt *f,
						   unsigned int l)
{
	return PTK_NS(span_entries)(ptkf_shift(f, l), c->e_va, c->last);
}

/* Whole entries from the current one (whole itself) in the range. */
static PTK_ALWAYS_INLINE uint64_t PTK_NS(cur_whole_room)(
	const struct ptk_cur *c, const struct ptk_fmt *f, unsigned int l)
{
	return PTK_NS(whole_entries)(ptkf_shift(f, l), c->e_va, c->last);
}

/* Last address the current entry spans. */
static PTK_ALWAYS_INLINE ptk_va_t PTK_NS(cur_e_last)(const struct ptk_cur *c,
						     const struct ptk_fmt *f,
						     unsigned int l)
{
	return c->e_va | ptk_lg2_mask(ptkf_shift(f, l));
}

/* The table the current (table) entry points to, or NULL: corrupt. */
static PTK_ALWAYS_INLINE void *PTK_NS(cur_child)(const struct ptk_cur *c,
						 const struct ptk_table *t,
						 unsigned int l)
{
	return PTK_NS(child)(t, l, c->pte);
}

/* Write the current entry. */
static PTK_ALWAYS_INLINE void
PTK_NS(cur_set)(struct ptk_cur *c, const struct ptk_fmt *f, ptk_pte_t v)
{
	PTK_NS(st)(f, c->tbl, c->idx, v);
	c->pte = v;
}
