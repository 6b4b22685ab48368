// SPDX-License-Identifier: MIT
/*
 * Random operation sequences; see workload.h.
 */
#include "workload.h"

#include <stdio.h>
#include <string.h>

#include "toy_fmt.h"

#define G1 (UINT64_C(1) << 30)

const struct wl_profile wl_x86_64 = {
	.name = "x86_64",
	.fmt = &ptk_fmt_x86_64,
	.anchors = {
		0,				/* also the top, going down */
		G1,				/* a PDPT entry boundary */
		UINT64_C(1) << 39,		/* a PML4 entry boundary */
		UINT64_C(1) << 47,		/* end of the low half */
		UINT64_C(0xffff800000000000),	/* start of the high half */
		UINT64_C(0xffffffff80000000),	/* a kernel image, -2 GiB */
	},
	.nr_anchors = 6,
	.memtype_max = 7,
	.sw_bits = 14,
	.need_prot = PTK_PROT_READ,
};

const struct wl_profile wl_x86_64_la57 = {
	.name = "x86_64_la57",
	.fmt = &ptk_fmt_x86_64_la57,
	.anchors = {
		0,
		G1,
		UINT64_C(1) << 48,		/* a PML5 entry boundary */
		UINT64_C(1) << 56,		/* end of the low half */
		UINT64_C(0xff00000000000000),	/* start of the high half */
		UINT64_C(0xffffffff80000000),
	},
	.nr_anchors = 6,
	.memtype_max = 7,
	.sw_bits = 14,
	.need_prot = PTK_PROT_READ,
};

const struct wl_profile wl_toy = {
	.name = "toy32",
	.fmt = &toy_fmt,
	.anchors = {
		0,
		UINT64_C(1) << 22,		/* a level-1 entry boundary */
		UINT64_C(1) << 32,		/* a top-level entry boundary */
		UINT64_C(1) << 41,
		UINT64_C(1) << 42,		/* end of the space */
	},
	.nr_anchors = 5,
	.memtype_max = 0,
	.sw_bits = TOY_SW_BITS,
	.need_prot = PTK_PROT_READ | PTK_PROT_EXEC,
};

unsigned int wl_min_lg2(const struct ptk_fmt *f)
{
	return f->level_shift[0];
}

static unsigned int top_leaf(const struct ptk_fmt *f)
{
	unsigned int l = 0;

	while (l + 1 < f->levels && (f->leaf_levels & (1u << (l + 1))))
		l++;
	return l;
}

static uint64_t leaf_size(const struct ptk_fmt *f, unsigned int level)
{
	unsigned int t = top_leaf(f);

	return UINT64_C(1) << f->level_shift[level > t ? t : level];
}

static bool va_valid(const struct ptk_fmt *f, uint64_t va)
{
	unsigned int b = f->va_bits;

	if (b >= 64)
		return true;
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		uint64_t half = UINT64_C(1) << (b - 1);

		return va < half || va >= 0 - half;
	}
	return va < (UINT64_C(1) << b);
}

bool wl_range_valid(const struct ptk_fmt *f, uint64_t va, uint64_t last)
{
	unsigned int b = f->va_bits;

	if (last < va)
		return false;
	if (b >= 64)
		return true;
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		uint64_t half = UINT64_C(1) << (b - 1);

		return last < half || va >= 0 - half;
	}
	return last < (UINT64_C(1) << b);
}

/* Whether [va, last] (not wrapping) contains any address of the space. */
static bool range_touches_space(const struct ptk_fmt *f, uint64_t va,
				uint64_t last)
{
	unsigned int b = f->va_bits;

	if (b >= 64)
		return true;
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		uint64_t half = UINT64_C(1) << (b - 1);

		return va < half || last >= 0 - half;
	}
	return va < (UINT64_C(1) << b);
}

/* The space's top address is 2^64 - 1. */
static bool space_reaches_top(const struct ptk_fmt *f)
{
	return f->va_bits >= 64 || (f->features & PTK_FMT_SIGN_EXTEND);
}

void wl_init(struct wl *w, const struct wl_profile *p,
	     const struct ref_model *m, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->p = p;
	w->f = p->fmt;
	w->m = m;
	ptk_rand_seed(&w->r, seed);
	w->leaf_cap = 1500;
}

static uint64_t anchor(struct wl *w)
{
	return w->p->anchors[ptk_rand_below(&w->r, w->p->nr_anchors)];
}

/* anchor rounded down to @unit, plus k units for k in [-n, n). */
static uint64_t near(struct wl *w, uint64_t a, uint64_t unit, uint64_t n)
{
	uint64_t k = ptk_rand_below(&w->r, 2 * n);

	return (a & ~(unit - 1)) + (k - n) * unit;
}

static uint64_t oa_limit(const struct ptk_fmt *f)
{
	return f->oa_bits >= 64 ? 0 : UINT64_C(1) << f->oa_bits;
}

static uint64_t rand_oa(struct wl *w, uint64_t align)
{
	uint64_t lim = oa_limit(w->f);

	if (lim && ptk_rand_chance(&w->r, 1, 50))
		return lim - align * ptk_rand_range(&w->r, 1, 8);
	return ptk_rand_below(&w->r, lim) & ~(align - 1);
}

static void rand_attrs(struct wl *w, struct ptk_attrs *a)
{
	a->prot = w->p->need_prot | (uint32_t)ptk_rand_below(&w->r, 16);
	a->flags = (uint32_t)ptk_rand_below(&w->r, 8);
	a->memtype = (uint32_t)ptk_rand_below(&w->r, w->p->memtype_max + 1);
	a->sw = (uint32_t)ptk_rand_below(&w->r, UINT64_C(1) << w->p->sw_bits);
}

static void gen_map(struct wl *w, struct wl_op *op)
{
	const struct ptk_fmt *f = w->f;
	uint64_t s0 = leaf_size(f, 0), s1 = leaf_size(f, 1);
	uint64_t sl = leaf_size(f, top_leaf(f)), a = anchor(w);
	unsigned int c = (unsigned int)ptk_rand_below(&w->r, 100);

	op->kind = WL_MAP;
	if (c < 40) {
		op->va = near(w, a, s0, 64);
		op->len = ptk_rand_range(&w->r, 1, 16) * s0;
		op->oa = rand_oa(w, s0);
	} else if (c < 60) {
		op->va = near(w, a, s1, 8);
		op->len = ptk_rand_range(&w->r, 1, 3) * s1;
		op->oa = rand_oa(w, ptk_rand_chance(&w->r, 9, 10) ? s1 : s0);
	} else if (c < 70) {
		op->va = near(w, a, sl, 4);
		op->len = ptk_rand_range(&w->r, 1, 2) * sl;
		op->oa = rand_oa(w, ptk_rand_chance(&w->r, 8, 10) ? sl : s1);
	} else if (c < 90) {
		op->va = near(w, a, s0, 1024);
		op->len = ptk_rand_range(&w->r, 1, 3 * (s1 / s0)) * s0;
		op->oa = rand_oa(w, sl) + (op->va & (sl - 1));
		if (ptk_rand_chance(&w->r, 1, 2))
			op->oa = rand_oa(w, s0);
	} else {
		/* a little more than the largest page, off by a few pages */
		op->va = near(w, a, sl, 2) - ptk_rand_range(&w->r, 0, 4) * s0;
		op->len = sl + ptk_rand_range(&w->r, 1, 8) * s0;
		op->oa = rand_oa(w, sl) + (op->va & (sl - 1));
	}
	rand_attrs(w, &op->attrs);
	op->flags = 0;
	if (ptk_rand_chance(&w->r, 1, 4))
		op->flags |= PTK_MAP_REPLACE;
	if (op->len <= 16 * s1 && ptk_rand_chance(&w->r, 1, 20)) {
		unsigned int l =
			(unsigned int)ptk_rand_below(&w->r, top_leaf(f) + 1);

		op->flags |= PTK_MAP_MAX_PAGE(f->level_shift[l]);
	}
	if (ptk_rand_chance(&w->r, 1, 20)) {
		op->flags |= PTK_MAP_SUPERSET;
		op->attrs.prot = (uint32_t)ptk_rand_below(&w->r, 16);
	}
}

/* [lo, hi] clipped to the canonical half (or space) that holds va. */
static void clip_to_half(const struct ptk_fmt *f, uint64_t va, uint64_t *lo,
			 uint64_t *hi)
{
	uint64_t s_lo = 0, s_hi = UINT64_MAX;
	unsigned int b = f->va_bits;

	if (b < 64) {
		if (f->features & PTK_FMT_SIGN_EXTEND) {
			uint64_t half = UINT64_C(1) << (b - 1);

			if (va < half) {
				s_hi = half - 1;
			} else {
				s_lo = 0 - half;
			}
		} else {
			s_hi = (UINT64_C(1) << b) - 1;
		}
	}
	if (*lo < s_lo || *lo > va)
		*lo = s_lo;
	if (*hi > s_hi || *hi < va)
		*hi = s_hi;
}

static void gen_cleanup(struct wl *w, struct wl_op *op)
{
	const struct ptk_fmt *f = w->f;
	uint64_t sl = leaf_size(f, top_leaf(f)), va, lo, hi;

	if (w->m->n)
		va = w->m->v[ptk_rand_below(&w->r, w->m->n)].va;
	else
		va = anchor(w) & ~(sl - 1);
	if (!va_valid(f, va))
		va = 0;
	va &= ~(leaf_size(f, 0) - 1);
	lo = va - 4 * sl;
	hi = va + 4 * sl - 1;
	clip_to_half(f, va, &lo, &hi);
	op->kind = WL_UNMAP;
	op->va = lo;
	op->len = hi - lo + 1; /* 0 if the whole 64-bit space: not here */
	op->flags = PTK_UNMAP_SPLIT;
}

static void gen_unmap(struct wl *w, struct wl_op *op)
{
	const struct ptk_fmt *f = w->f;
	const struct ref_model *m = w->m;
	uint64_t s0 = leaf_size(f, 0), s1 = leaf_size(f, 1);
	uint64_t sl = leaf_size(f, top_leaf(f)), a = anchor(w);
	unsigned int c = (unsigned int)ptk_rand_below(&w->r, 100);

	op->kind = WL_UNMAP;
	op->flags = ptk_rand_chance(&w->r, 1, 2) ? PTK_UNMAP_SPLIT : 0;
	if (c < 30 && m->n) {
		size_t i = ptk_rand_below(&w->r, m->n);
		size_t j = i + ptk_rand_below(&w->r, 4);

		if (j >= m->n)
			j = m->n - 1;
		op->va = m->v[i].va;
		op->len = rm_leaf_last(&m->v[j]) - op->va + 1;
	} else if (c < 55) {
		op->va = near(w, a, s0, 64);
		op->len = ptk_rand_range(&w->r, 1, 32) * s0;
	} else if (c < 75) {
		op->va = near(w, a, s1, 8);
		op->len = ptk_rand_range(&w->r, 1, 4) * s1;
		if (ptk_rand_chance(&w->r, 1, 3))
			op->va += ptk_rand_range(&w->r, 1, 8) * s0;
		if (ptk_rand_chance(&w->r, 1, 3))
			op->len += ptk_rand_range(&w->r, 1, 8) * s0;
	} else if (c < 92) {
		op->va = near(w, a, sl, 4);
		op->len = ptk_rand_range(&w->r, 1, 3) * sl;
		if (ptk_rand_chance(&w->r, 1, 2))
			op->va += ptk_rand_below(&w->r, sl / s1) * s1;
		if (ptk_rand_chance(&w->r, 1, 4))
			op->va += ptk_rand_below(&w->r, s1 / s0) * s0;
	} else {
		gen_cleanup(w, op);
	}
}

/* One operation whose arguments are wrong in one way. */
static void gen_error(struct wl *w, struct wl_op *op)
{
	const struct ptk_fmt *f = w->f;
	uint64_t s0 = leaf_size(f, 0), a = anchor(w), half;
	unsigned int b = f->va_bits;
	bool se = f->features & PTK_FMT_SIGN_EXTEND;

	gen_map(w, op);
	op->va = near(w, a, s0, 64);
	op->len = ptk_rand_range(&w->r, 1, 8) * s0;
	op->oa = rand_oa(w, s0);
	if (ptk_rand_chance(&w->r, 1, 2))
		op->kind = WL_UNMAP, op->flags = 0;

	switch (ptk_rand_below(&w->r, 11)) {
	case 0:
		op->len = 0;
		break;
	case 1:
		if (op->kind == WL_MAP)
			op->flags |=
				ptk_rand_chance(&w->r, 1, 2)
					? 1u << ptk_rand_range(&w->r, 2, 7)
					: 1u << ptk_rand_range(&w->r, 14, 31);
		else
			op->flags |= 1u << ptk_rand_range(&w->r, 1, 31);
		break;
	case 2:
		op->kind = WL_MAP;
		op->attrs_null = true;
		break;
	case 3: {
		uint64_t off = ptk_rand_range(&w->r, 1, s0 - 1);

		switch (ptk_rand_below(&w->r, 3)) {
		case 0:
			op->va += off;
			break;
		case 1:
			op->len += off;
			break;
		default:
			op->oa += off;
			break;
		}
		break;
	}
	case 4:
		/* wraps past 2^64 */
		op->len = (0 - (op->va & ~(s0 - 1))) +
			  ptk_rand_range(&w->r, 1, 4) * s0;
		op->va &= ~(s0 - 1);
		if (ptk_rand_chance(&w->r, 1, 3)) {
			op->kind = WL_MAP;
			op->va = 0;
			op->oa = 0 - ptk_rand_range(&w->r, 1, 4) * s0;
			op->len = 8 * s0;
		}
		break;
	case 5:
		/* outside the space: the hole, or above va_bits */
		if (b >= 64)
			break;
		half = UINT64_C(1) << (se ? b - 1 : b);
		op->va = half + ptk_rand_below(&w->r, 1024) * s0;
		if (ptk_rand_chance(&w->r, 1, 3)) {
			/* straddle the end of the (low) space */
			op->va = half - ptk_rand_range(&w->r, 1, 4) * s0;
			op->len = ptk_rand_range(&w->r, 5, 8) * s0;
		} else if (se && ptk_rand_chance(&w->r, 1, 2)) {
			/* straddle the start of the high half */
			op->va = 0 - half - ptk_rand_range(&w->r, 1, 4) * s0;
			op->len = ptk_rand_range(&w->r, 5, 8) * s0;
		}
		break;
	case 6:
		/* OA above oa_bits */
		if (!oa_limit(f))
			break;
		op->kind = WL_MAP;
		op->oa = oa_limit(f) - ptk_rand_range(&w->r, 0, 3) * s0;
		op->len = ptk_rand_range(&w->r, 4, 8) * s0;
		break;
	case 7: {
		/* a protection the format cannot express */
		uint32_t drop = w->p->need_prot &
				(uint32_t)ptk_rand_range(&w->r, 1, 15);

		op->kind = WL_MAP;
		op->flags = PTK_MAP_REPLACE;
		op->attrs.prot &= ~(drop ? drop : PTK_PROT_READ);
		break;
	}
	case 8:
		/* an attribute field out of range */
		op->kind = WL_MAP;
		op->flags = PTK_MAP_REPLACE;
		switch (ptk_rand_below(&w->r, 4)) {
		case 0:
			op->attrs.memtype = w->p->memtype_max + 1 +
					    (uint32_t)ptk_rand_below(&w->r, 4);
			break;
		case 1:
			op->attrs.sw = 1u << w->p->sw_bits;
			break;
		case 2:
			op->attrs.prot |= 0x10;
			break;
		default:
			op->attrs.flags |= 0x8;
			break;
		}
		break;
	case 9:
		/* walks with bad ranges */
		op->kind = WL_WALK;
		switch (ptk_rand_below(&w->r, 3)) {
		case 0:
			op->len = 0;
			break;
		case 1:
			op->len = 0 - op->va + ptk_rand_range(&w->r, 1, 99);
			break;
		default:
			if (b >= 64)
				break;
			half = UINT64_C(1) << (se ? b - 1 : b);
			op->va = half + ptk_rand_below(&w->r, 1024) * s0;
			op->len = s0;
			break;
		}
		break;
	default:
		/* translate outside the space */
		op->kind = WL_PROBE;
		if (b < 64)
			op->va = (UINT64_C(1) << (se ? b - 1 : b)) +
				 ptk_rand_below(&w->r, UINT64_C(1) << 20);
		break;
	}
}

static void gen_walk(struct wl *w, struct wl_op *op)
{
	const struct ptk_fmt *f = w->f;
	uint64_t s0 = leaf_size(f, 0), s1 = leaf_size(f, 1);
	unsigned int b = f->va_bits;

	op->kind = WL_WALK;
	op->va = near(w, anchor(w), s0, 4096);
	op->len = ptk_rand_range(&w->r, 1, 32 * (s1 / s0)) * s0;
	if (b < 64 && (f->features & PTK_FMT_SIGN_EXTEND) &&
	    ptk_rand_chance(&w->r, 1, 8)) {
		/* across the non-canonical hole */
		uint64_t half = UINT64_C(1) << (b - 1);

		op->va = half - ptk_rand_range(&w->r, 1, 64) * s1;
		op->len =
			(0 - half) + ptk_rand_range(&w->r, 1, 64) * s1 - op->va;
	}
}

uint64_t wl_probe_va(struct wl *w)
{
	const struct ref_model *m = w->m;
	unsigned int c = (unsigned int)ptk_rand_below(&w->r, 10);

	if (c < 5 && m->n) {
		const struct rm_leaf *l = &m->v[ptk_rand_below(&w->r, m->n)];

		return l->va +
		       ptk_rand_below(&w->r, UINT64_C(1) << l->size_lg2);
	}
	if (c < 9)
		return anchor(w) + ptk_rand_below(&w->r, UINT64_C(1) << 24) -
		       (UINT64_C(1) << 23);
	return ptk_rand_next(&w->r);
}

void wl_next(struct wl *w, struct wl_op *op)
{
	unsigned int c = (unsigned int)ptk_rand_below(&w->r, 100);

	memset(op, 0, sizeof(*op));
	if (w->m->n > w->leaf_cap) {
		gen_cleanup(w, op);
		return;
	}
	if (c < 45) {
		gen_map(w, op);
	} else if (c < 75) {
		gen_unmap(w, op);
	} else if (c < 87) {
		gen_error(w, op);
	} else if (c < 95) {
		gen_walk(w, op);
	} else {
		op->kind = WL_PROBE;
		op->va = wl_probe_va(w);
	}
}

uint32_t wl_expect_args(const struct wl_profile *p, const struct wl_op *op,
			bool *enc_only)
{
	const struct ptk_fmt *f = p->fmt;
	uint64_t s0 = leaf_size(f, 0), lim = oa_limit(f);
	const unsigned int map_flags = PTK_MAP_REPLACE | PTK_MAP_SUPERSET |
				       PTK_MAP_MAX_PAGE(0x3f);
	uint32_t set = 0, enc = 0;
	bool vwrap, owrap;

	*enc_only = false;
	if (op->kind == WL_PROBE)
		return va_valid(f, op->va) ? 0 : WL_ERR(PTK_ERANGE);

	vwrap = op->len && op->len - 1 > ~op->va;
	if (op->kind == WL_WALK) {
		if (!op->len)
			return WL_ERR(PTK_EINVAL);
		if (vwrap) {
			set |= WL_ERR(PTK_EOVERFLOW);
			if (!va_valid(f, op->va) || !space_reaches_top(f))
				set |= WL_ERR(PTK_ERANGE);
			return set;
		}
		if (!range_touches_space(f, op->va, op->va + op->len - 1))
			set |= WL_ERR(PTK_ERANGE);
		return set;
	}

	if (!op->len)
		set |= WL_ERR(PTK_EINVAL);
	if (op->kind == WL_MAP) {
		if (op->attrs_null || (op->flags & ~map_flags))
			set |= WL_ERR(PTK_EINVAL);
	} else if (op->flags & ~PTK_UNMAP_SPLIT) {
		set |= WL_ERR(PTK_EINVAL);
	}
	if ((op->va | op->len) & (s0 - 1))
		set |= WL_ERR(PTK_EALIGN);
	if (op->kind == WL_MAP && (op->oa & (s0 - 1)))
		set |= WL_ERR(PTK_EALIGN);
	if (op->len) {
		owrap = op->kind == WL_MAP && op->len - 1 > ~op->oa;
		if (vwrap || owrap)
			set |= WL_ERR(PTK_EOVERFLOW);
		if (!va_valid(f, op->va) || (vwrap && !space_reaches_top(f)) ||
		    (!vwrap &&
		     !wl_range_valid(f, op->va, op->va + op->len - 1)))
			set |= WL_ERR(PTK_ERANGE);
		if (op->kind == WL_MAP && lim &&
		    (op->oa >= lim || owrap || op->oa + op->len - 1 >= lim))
			set |= WL_ERR(PTK_ERANGE);
	}
	if (set || op->kind != WL_MAP)
		return set;

	if (op->attrs.memtype > p->memtype_max ||
	    (op->attrs.sw >> p->sw_bits) ||
	    (op->attrs.prot & ~(PTK_PROT_RWX | PTK_PROT_USER)) ||
	    (op->attrs.flags &
	     ~(PTK_ATTR_GLOBAL | PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY)))
		enc |= WL_ERR(PTK_EINVAL);
	if ((op->attrs.prot & p->need_prot) != p->need_prot &&
	    !(op->flags & PTK_MAP_SUPERSET))
		enc |= WL_ERR(PTK_EPROT);
	*enc_only = enc != 0;
	return enc;
}

void wl_effective_attrs(const struct wl_profile *p, const struct wl_op *op,
			struct ptk_attrs *out)
{
	*out = op->attrs;
	out->prot |= p->need_prot;
}

const char *wl_err_set_str(uint32_t set, char *buf, size_t size)
{
	size_t n = 0;
	int e;

	buf[0] = 0;
	if (!set)
		snprintf(buf, size, "{0}");
	for (e = 1; e < 32 && n < size; e++)
		if (set & (UINT32_C(1) << e))
			n += (size_t)snprintf(buf + n, size - n, "%s%s",
					      n ? "|" : "", ptk_errname(-e));
	return buf;
}
