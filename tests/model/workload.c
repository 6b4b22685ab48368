// SPDX-License-Identifier: MIT
/*
 * Random operation sequences; see workload.h.
 */
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
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

const char *const wl_kind_names[WL_NR_KINDS] = {
	"map",	   "unmap", "walk", "translate", "protect",
	"harvest", "copy",  "move", "split",	 "collapse",
};

static unsigned int leaf_level_mask(const struct ptk_fmt *f)
{
	return f->leaf_levels & ((1u << f->levels) - 1);
}

uint32_t wl_encode(const struct wl_profile *p, const struct ptk_attrs *a,
		   bool superset, struct ptk_attrs *out)
{
	const struct ptk_fmt *f = p->fmt;
	uint32_t set = 0;
	unsigned int l;
	bool got = false;

	for (l = 0; l < f->levels; l++) {
		ptk_pte_t bits = 0;
		int rc;

		if (!(leaf_level_mask(f) & (1u << l)))
			continue;
		rc = f->hooks->encode(f, l, a, superset ? PTK_ENC_SUPERSET : 0,
				      &bits);
		if (rc) {
			set |= WL_ERR(rc);
			continue;
		}
		if (out && !got) {
			ptk_pte_t pte = f->hooks->make_leaf(f, l, 0, bits);

			f->hooks->decode(f, l, pte, out);
			got = true;
		}
	}
	return set;
}

void wl_profile_from_fmt(struct wl_profile *p, const struct ptk_fmt *f)
{
	struct ptk_attrs a;
	unsigned int top = 0, b, i, l, n = 0;
	uint32_t v;

	memset(p, 0, sizeof(*p));
	p->name = f->name;
	p->fmt = f;
	p->generic = true;
	while (top + 1 < f->levels && (f->leaf_levels & (1u << (top + 1))))
		top++;
	for (l = 0; l < f->levels; l++)
		if (f->contig_lg2[l])
			p->contig_any = 1;
	b = f->va_bits;
	p->anchors[n++] = 0;
	p->anchors[n++] = UINT64_C(1) << f->level_shift[1];
	p->anchors[n++] = UINT64_C(1) << f->level_shift[f->levels - 1];
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		p->anchors[n++] = UINT64_C(1) << (b - 1); /* end of low half */
		p->anchors[n++] = 0 - (UINT64_C(1) << (b - 1));
		p->anchors[n++] = 0 - (UINT64_C(2) << f->level_shift[top]);
	} else if (b < 64) {
		p->anchors[n++] = UINT64_C(1) << b; /* end of the space */
		p->anchors[n++] = (UINT64_C(1) << b) -
				  (UINT64_C(2) << f->level_shift[top]);
	}
	p->nr_anchors = n;

	/* memtypes, with some prot that encodes */
	for (v = 0; v < 16; v++) {
		memset(&a, 0, sizeof(a));
		a.prot = v;
		if (!wl_encode(p, &a, false, NULL))
			p->prots_ok |= 1u << v;
	}
	memset(&a, 0, sizeof(a));
	a.prot = PTK_PROT_READ;
	for (v = 0; v < 16 && !(p->prots_ok & (1u << v)); v++)
		;
	if (v < 16)
		a.prot = v;
	for (v = 0; v < 32; v++) {
		struct ptk_attrs t = a;

		t.memtype = v;
		if (!wl_encode(p, &t, true, NULL))
			p->memtypes_ok |= 1u << v;
	}
	for (i = 0; i < 3; i++) {
		struct ptk_attrs t = a;

		t.flags = 1u << i;
		if (!wl_encode(p, &t, true, NULL))
			p->flags_ok |= 1u << i;
	}
	for (i = 0; i < 32; i++) {
		struct ptk_attrs t = a;

		t.sw = 1u << i;
		if (wl_encode(p, &t, true, NULL))
			break;
	}
	p->sw_bits = i;
	p->memtype_max = 0;
	for (v = 0; v < 32; v++)
		if (p->memtypes_ok & (1u << v))
			p->memtype_max = v;
}

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
	w->no_copy = getenv("PTK_WL_NO_COPY") &&
		     *getenv("PTK_WL_NO_COPY") == '1';
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

	/* mostly what every leaf level can hold (x86 PSE-36: 32 bits) */
	if (w->f->leaf_oa_bits[0] && w->f->leaf_oa_bits[0] < 64 &&
	    ptk_rand_chance(&w->r, 9, 10))
		lim = UINT64_C(1) << w->f->leaf_oa_bits[0];

	if (lim && ptk_rand_chance(&w->r, 1, 50))
		return lim - align * ptk_rand_range(&w->r, 1, 8);
	return ptk_rand_below(&w->r, lim) & ~(align - 1);
}

/* A random set bit of @mask (nonzero). */
static uint32_t pick_bit(struct wl *w, uint32_t mask)
{
	unsigned int n = (unsigned int)__builtin_popcount(mask), k;

	k = (unsigned int)ptk_rand_below(&w->r, n);
	while (k--)
		mask &= mask - 1;
	return (uint32_t)__builtin_ctz(mask);
}

static void rand_attrs(struct wl *w, struct ptk_attrs *a)
{
	if (w->p->generic) {
		a->prot = w->p->prots_ok ? pick_bit(w, w->p->prots_ok)
					 : (uint32_t)ptk_rand_below(&w->r, 16);
		a->flags = (uint32_t)ptk_rand_below(&w->r, 8) & w->p->flags_ok;
		a->memtype = w->p->memtypes_ok ? pick_bit(w, w->p->memtypes_ok)
					       : 0;
		a->sw = (uint32_t)ptk_rand_below(&w->r,
						 UINT64_C(1) << w->p->sw_bits);
		return;
	}
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
		/* misaligned: at most 512 smaller leaves per large one */
		op->oa = rand_oa(w, ptk_rand_chance(&w->r, 8, 10) ? sl
				    : s1 > sl >> 9		  ? s1
								  : sl >> 9);
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
		if (w->p->generic) {
			if (w->p->prots_ok != 0xffff)
				op->attrs.prot =
					pick_bit(w, ~w->p->prots_ok & 0xffff);
			break;
		}
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
			if (w->p->generic && ~w->p->memtypes_ok)
				op->attrs.memtype =
					pick_bit(w, ~w->p->memtypes_ok);
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

/* A range like gen_unmap()'s. */
static void gen_range(struct wl *w, struct wl_op *op)
{
	gen_unmap(w, op);
	op->flags = 0;
}

static void gen_protect(struct wl *w, struct wl_op *op)
{
	gen_range(w, op);
	op->kind = WL_PROTECT;
	if (w->p->generic)
		op->arg = w->p->prots_ok && ptk_rand_chance(&w->r, 9, 10)
				  ? pick_bit(w, w->p->prots_ok)
				  : (uint32_t)ptk_rand_below(&w->r, 16);
	else
		op->arg =
			(ptk_rand_chance(&w->r, 9, 10) ? w->p->need_prot : 0) |
			(uint32_t)ptk_rand_below(&w->r, 16);
	if (ptk_rand_chance(&w->r, 1, 2))
		op->flags |= PTK_PROTECT_SPLIT;
	if (ptk_rand_chance(&w->r, 1, 8))
		op->flags |= PTK_PROTECT_SUPERSET;
}

static void gen_harvest(struct wl *w, struct wl_op *op)
{
	gen_range(w, op);
	op->kind = WL_HARVEST;
	op->arg = (uint32_t)ptk_rand_range(&w->r, 1, 3) << 1;
	if (ptk_rand_chance(&w->r, 1, 2))
		op->flags = PTK_HARVEST_CLEAR;
}

static void gen_copy(struct wl *w, struct wl_op *op)
{
	gen_range(w, op);
	op->kind = WL_COPY;
	if (ptk_rand_chance(&w->r, 1, 2))
		op->flags = PTK_COPY_COW;
}

static void gen_move(struct wl *w, struct wl_op *op)
{
	const struct ptk_fmt *f = w->f;
	unsigned int l = (unsigned int)ptk_rand_below(&w->r, f->levels);
	uint64_t unit = UINT64_C(1) << f->level_shift[l], k;

	uint64_t maxleaf = leaf_size(f, 0);
	size_t i;

	gen_range(w, op);
	op->kind = WL_MOVE;
	if (ptk_rand_chance(&w->r, 1, 2))
		unit = leaf_size(f, 0); /* unaligned, mostly */
	/*
	 * A leaf that lands misaligned is remapped in smaller pages: keep
	 * that to at most 512 per leaf and the range short, or the table
	 * (and the model) would grow without bound.
	 */
	for (i = rm_lower(w->m, op->va);
	     i < w->m->n && w->m->v[i].va <= op->va + (op->len - 1); i++)
		if ((UINT64_C(1) << w->m->v[i].size_lg2) > maxleaf)
			maxleaf = UINT64_C(1) << w->m->v[i].size_lg2;
	if (unit < maxleaf >> 9)
		unit = maxleaf >> 9;
	if (unit < leaf_size(f, 1) && op->len > 8 * leaf_size(f, 1))
		op->len = 8 * leaf_size(f, 1);
	k = (op->len + unit - 1) / unit + ptk_rand_below(&w->r, 4);
	if (ptk_rand_chance(&w->r, 1, 20))
		k = ptk_rand_below(&w->r, k + 1); /* may overlap */
	op->new_va = ptk_rand_chance(&w->r, 1, 2) ? op->va + k * unit
						  : op->va - k * unit;
	if (ptk_rand_chance(&w->r, 1, 2))
		op->flags = PTK_MOVE_SPLIT;
}

static void gen_split(struct wl *w, struct wl_op *op)
{
	const struct ref_model *m = w->m;

	op->kind = WL_SPLIT;
	op->va = anchor(w);
	op->arg = (uint32_t)ptk_rand_below(&w->r, w->f->levels);
	if (m->n && ptk_rand_chance(&w->r, 7, 8)) {
		const struct rm_leaf *l = &m->v[ptk_rand_below(&w->r, m->n)];
		size_t i;

		/* prefer a huge leaf */
		for (i = 0; i < 8 && !l->level; i++)
			l = &m->v[ptk_rand_below(&w->r, m->n)];
		op->va = l->va +
			 ptk_rand_below(&w->r, UINT64_C(1) << l->size_lg2);
		if (ptk_rand_chance(&w->r, 5, 6))
			op->arg = l->level;
	}
	if (ptk_rand_chance(&w->r, 1, 50))
		op->arg = w->f->levels + (uint32_t)ptk_rand_below(&w->r, 3);
}

/*
 * Collapse: half the time set up a uniform table first (a replacing map
 * of a whole span capped one level down), and collapse it next.
 */
static void gen_collapse(struct wl *w, struct wl_op *op)
{
	const struct ptk_fmt *f = w->f;
	unsigned int top = top_leaf(f), l;
	uint64_t span;

	if (top == 0 || ptk_rand_chance(&w->r, 1, 3)) {
		gen_split(w, op);
		op->kind = WL_COLLAPSE;
		if (ptk_rand_chance(&w->r, 1, 2))
			op->arg++;
		return;
	}
	l = 1 + (unsigned int)ptk_rand_below(&w->r, top);
	/* keep the prepared table small: at most 1024 leaves */
	while (l > 1 && f->level_shift[l] - f->level_shift[l - 1] > 10)
		l--;
	span = UINT64_C(1) << f->level_shift[l];
	gen_map(w, op);
	op->va = near(w, anchor(w), span, 4);
	op->len = span;
	op->oa = rand_oa(w, span);
	op->flags = PTK_MAP_REPLACE | PTK_MAP_MAX_PAGE(f->level_shift[l - 1]);
	if (!wl_range_valid(f, op->va, op->va + span - 1) ||
	    wl_expect_args(w->p, op, &(bool){ false })) {
		gen_split(w, op);
		op->kind = WL_COLLAPSE;
		return;
	}
	w->pending = *op;
	w->pending.kind = WL_COLLAPSE;
	w->pending.arg = l;
	w->pending.va = op->va + ptk_rand_below(&w->r, span);
	w->has_pending = true;
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
	if (w->has_pending) {
		*op = w->pending;
		w->has_pending = false;
		return;
	}
	if (w->m->n > w->leaf_cap) {
		gen_cleanup(w, op);
		return;
	}
	if (w->range_ops) {
		if (c < 30)
			gen_map(w, op);
		else if (c < 48)
			gen_unmap(w, op);
		else if (c < 55)
			gen_error(w, op);
		else if (c < 59)
			gen_walk(w, op);
		else if (c < 62) {
			op->kind = WL_PROBE;
			op->va = wl_probe_va(w);
		} else if (c < 71)
			gen_protect(w, op);
		else if (c < 80)
			gen_harvest(w, op);
		else if (c < 86 && !w->no_copy)
			gen_copy(w, op);
		else if (c < 86)
			gen_protect(w, op);
		else if (c < 93)
			gen_move(w, op);
		else if (c < 96)
			gen_split(w, op);
		else
			gen_collapse(w, op);
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
	if (p->generic) {
		if ((op->attrs.prot & ~(PTK_PROT_RWX | PTK_PROT_USER)) ||
		    (op->attrs.flags &
		     ~(PTK_ATTR_GLOBAL | PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY)))
			enc = WL_ERR(PTK_EINVAL);
		else
			enc = wl_encode(p, &op->attrs,
					op->flags & PTK_MAP_SUPERSET, NULL);
		*enc_only = enc != 0;
		return enc;
	}

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
	if (p->generic) {
		(void)wl_encode(p, &op->attrs, op->flags & PTK_MAP_SUPERSET,
				out);
		return;
	}
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

uint32_t wl_expect_range_args(const struct wl_profile *p,
			      const struct wl_op *op)
{
	const struct ptk_fmt *f = p->fmt;
	struct wl_op r = *op;
	uint32_t set = 0;
	bool enc;

	r.kind = WL_UNMAP;
	r.flags = 0;
	switch (op->kind) {
	case WL_PROTECT:
		if ((op->flags & ~(PTK_PROTECT_SPLIT | PTK_PROTECT_SUPERSET)) ||
		    (op->arg & ~(PTK_PROT_RWX | PTK_PROT_USER)))
			return WL_ERR(PTK_EINVAL);
		return wl_expect_args(p, &r, &enc);
	case WL_HARVEST:
		if ((op->flags & ~PTK_HARVEST_CLEAR) || !op->arg ||
		    (op->arg & ~(PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY)))
			return WL_ERR(PTK_EINVAL);
		return wl_expect_args(p, &r, &enc);
	case WL_COPY:
		if (op->flags & ~PTK_COPY_COW)
			return WL_ERR(PTK_EINVAL);
		return wl_expect_args(p, &r, &enc);
	case WL_MOVE:
		if (op->flags & ~PTK_MOVE_SPLIT)
			return WL_ERR(PTK_EINVAL);
		set = wl_expect_args(p, &r, &enc);
		if (set)
			return set;
		r.va = op->new_va;
		set = wl_expect_args(p, &r, &enc);
		if (set)
			return set;
		if (op->va <= op->new_va + (op->len - 1) &&
		    op->new_va <= op->va + (op->len - 1))
			return WL_ERR(PTK_EINVAL);
		return 0;
	case WL_SPLIT:
	case WL_COLLAPSE:
		if (op->arg >= f->levels)
			return WL_ERR(PTK_EINVAL);
		if (!va_valid(f, op->va))
			return WL_ERR(PTK_ERANGE);
		return 0;
	default:
		return 0;
	}
}
