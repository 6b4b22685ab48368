// SPDX-License-Identifier: MIT
/*
 * The hashed page table (ptkit/hash.h): struct ptk_impl_ops on one
 * open-addressed hash per page size instead of a radix tree.
 *
 * The contract is the radix engine's, down to which leaves an operation
 * makes and which error it meets first, so every operation here walks
 * the same virtual tree the engine walks (src/algo/engine.h), level by
 * level, with the state of each virtual entry derived from the hashes:
 *
 *   LEAF   a leaf of that level's page size is stored for the entry;
 *   TABLE  a leaf of a smaller page size lies inside the entry's span;
 *   EMPTY  neither.
 *
 * The radix tree holds a table exactly where a smaller leaf lies (empty
 * tables are freed), so these are the states its entries would have.
 * Empty stretches are skipped with the summary (see "order" below) in
 * time proportional to what is mapped, as the engine skips empty runs.
 *
 * Mutations are a dry run that changes nothing, finds every error and
 * counts the records the change may add, then the growth of every hash
 * that would pass its load limit (all allocations first, all or
 * nothing), then the real run, which cannot fail.
 *
 * Freestanding like the rest of the core: memory only from the table's
 * provider.
 */
#include "internal/ptk_internal.h"
#include <ptkit/hash.h>

#define HX_MAGIC 0x48707431u
#define HX_SEG_LG2 16 /* no block (segment, directory) above 64 KiB */
#define HX_MIN_LG2 3 /* the smallest capacity: 8 slots */
#define HX_FAN 6 /* a summary node covers 2^6 children */
#define HX_HMAX 10 /* summary heights: 6 * 10 >= any cluster number */
#define HX_NONE (~(uint64_t)0)

/* --- storage: open addressing over segmented arrays */

/* A block from the provider. */
struct hx_blk {
	ptk_oa_t oa;
	void *ptr;
};

/*
 * One hash: 2^cap_lg2 slots, a key (cluster number + 1, 0: free) and a
 * value of 2^val_lg2 bytes each. Keys and values are arrays of segments
 * of at most 2^HX_SEG_LG2 bytes; with one segment each they are k0 / v0,
 * else dir lists the key segments, then the value segments.
 */
struct hx_set {
	uint64_t nr;
	uint8_t cap_lg2; /* 0: no arrays */
	uint8_t val_lg2;
	uint8_t kseg_lg2; /* slots per key segment */
	uint8_t vseg_lg2; /* slots per value segment */
	uint32_t nkseg, nvseg;
	struct hx_blk k0, v0;
	struct hx_blk dir; /* NULL ptr unless nkseg + nvseg > 2 */
	unsigned int dir_lg2;
};

/*
 * The table's header (t->root): geometry per level, one hash of records
 * per leaf level, and the summaries of all levels in one more hash.
 */
struct hx_root {
	uint32_t magic;
	uint8_t nleaf; /* leaf levels: 0 .. nleaf - 1 */
	uint8_t root_lg2;
	uint8_t cl[PTK_MAX_LEVELS]; /* log2 entries per record */
	uint8_t hts[PTK_MAX_LEVELS]; /* summary heights */
	uint64_t gen; /* bumped whenever records move or appear */
	struct hx_set lv[PTK_MAX_LEVELS];
	struct hx_set sum;
};

static inline uint64_t hx_home(const struct hx_set *s, uint64_t key)
{
	return (key * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - s->cap_lg2);
}

static inline uint64_t *hx_kp(const struct hx_set *s, uint64_t i)
{
	const struct hx_blk *d;

	if (PTK_LIKELY(s->cap_lg2 <= s->kseg_lg2))
		return (uint64_t *)s->k0.ptr + i;
	d = s->dir.ptr;
	return (uint64_t *)d[i >> s->kseg_lg2].ptr +
	       (i & ptk_lg2_mask(s->kseg_lg2));
}

static inline void *hx_vp(const struct hx_set *s, uint64_t i)
{
	const struct hx_blk *d;

	if (PTK_LIKELY(s->cap_lg2 <= s->vseg_lg2))
		return (unsigned char *)s->v0.ptr + (i << s->val_lg2);
	d = s->dir.ptr;
	return (unsigned char *)d[s->nkseg + (i >> s->vseg_lg2)].ptr +
	       ((i & ptk_lg2_mask(s->vseg_lg2)) << s->val_lg2);
}

/*
 * The slot holding @key, or -1; *@lines (when not NULL) gets the cache
 * lines of keys the search read (eight keys to a line; a search that
 * wraps around the array's end counts the line it wraps to anew).
 */
static PTK_ALWAYS_INLINE int64_t hx_find_n(const struct hx_set *s, uint64_t key,
					   uint64_t *lines)
{
	uint64_t mask, i, h, k;
	int64_t at;

	if (!s->nr)
		return -1;
	mask = ptk_lg2_mask(s->cap_lg2);
	i = h = hx_home(s, key);
	if (PTK_LIKELY(s->cap_lg2 <= s->kseg_lg2)) {
		const uint64_t *kp = s->k0.ptr;

		for (;; i = (i + 1) & mask) {
			k = kp[i];
			if (k == key || !k)
				break;
		}
	} else {
		for (;; i = (i + 1) & mask) {
			k = *hx_kp(s, i);
			if (k == key || !k)
				break;
		}
	}
	at = k == key ? (int64_t)i : -1;
	if (lines) {
		*lines = i >= h ? (i >> 3) - (h >> 3) + 1
				: (mask >> 3) - (h >> 3) + 1 + (i >> 3) + 1;
		if (*lines > (mask >> 3) + 1)
			*lines = (mask >> 3) + 1; /* (every line, once) */
	}
	return at;
}

static inline int64_t hx_find(const struct hx_set *s, uint64_t key)
{
	return hx_find_n(s, key, NULL);
}

/* Add @key (absent; a free slot exists). Its value is zero. */
static uint64_t hx_insert(struct hx_set *s, uint64_t key)
{
	uint64_t mask = ptk_lg2_mask(s->cap_lg2), i = hx_home(s, key);

	PTK_ASSERT(s->nr < mask);
	while (*hx_kp(s, i))
		i = (i + 1) & mask;
	*hx_kp(s, i) = key;
	s->nr++;
	return i;
}

/* Remove the record in slot @i, shifting back the ones after it. */
static void hx_delete(struct hx_set *s, uint64_t i)
{
	uint64_t mask = ptk_lg2_mask(s->cap_lg2), j = i, k, h;
	size_t vs = (size_t)1 << s->val_lg2;

	for (;;) {
		j = (j + 1) & mask;
		k = *hx_kp(s, j);
		if (!k)
			break;
		h = hx_home(s, k);
		/* k may fill the hole unless its home lies in (i, j]. */
		if (((j - h) & mask) >= ((j - i) & mask)) {
			*hx_kp(s, i) = k;
			PTK_MEMCPY(hx_vp(s, i), hx_vp(s, j), vs);
			i = j;
		}
	}
	*hx_kp(s, i) = 0;
	PTK_MEMSET(hx_vp(s, i), 0, vs);
	s->nr--;
}

/* Whether @n records fit in 2^@cap_lg2 slots (3/4 load). */
static inline bool hx_fits(uint64_t n, unsigned int cap_lg2)
{
	return cap_lg2 && n * 4 <= (UINT64_C(3) << cap_lg2);
}

static unsigned int hx_cap_for(uint64_t n)
{
	unsigned int c = HX_MIN_LG2;

	while (!hx_fits(n, c))
		c++;
	return c;
}

static unsigned int hx_lg2_ceil(uint64_t n)
{
	unsigned int c = 0;

	while (((uint64_t)1 << c) < n)
		c++;
	return c;
}

static void hx_blk_free(struct ptk_table *t, const struct hx_blk *b,
			unsigned int lg2, struct ptk_gather *g)
{
	if (g)
		ptk_gather__defer_free(g, b->oa, b->ptr,
				       lg2 < PTK_MEM_MIN_LG2 ? PTK_MEM_MIN_LG2
							     : lg2);
	else
		ptk_table__free(t, b->oa, b->ptr, lg2);
}

static unsigned int hx_kblk_lg2(const struct hx_set *s)
{
	return (s->cap_lg2 < s->kseg_lg2 ? s->cap_lg2 : s->kseg_lg2) + 3;
}

static unsigned int hx_vblk_lg2(const struct hx_set *s)
{
	return (s->cap_lg2 < s->vseg_lg2 ? s->cap_lg2 : s->vseg_lg2) +
	       s->val_lg2;
}

/* The @i-th block of @s's arrays: key segments first. */
static const struct hx_blk *hx_seg(const struct hx_set *s, uint32_t i)
{
	if (s->dir.ptr)
		return (const struct hx_blk *)s->dir.ptr + i;
	return i ? &s->v0 : &s->k0;
}

/* Give back @s's arrays (to @g when given: after the flush). */
static void hx_set_release(struct ptk_table *t, struct hx_set *s,
			   struct ptk_gather *g)
{
	uint32_t i;

	if (!s->cap_lg2)
		return;
	for (i = 0; i < s->nkseg + s->nvseg; i++)
		hx_blk_free(t, hx_seg(s, i),
			    i < s->nkseg ? hx_kblk_lg2(s) : hx_vblk_lg2(s), g);
	if (s->dir.ptr)
		hx_blk_free(t, &s->dir, s->dir_lg2, g);
	s->cap_lg2 = 0;
	s->nkseg = s->nvseg = 0;
	PTK_MEMSET(&s->k0, 0, sizeof(s->k0));
	PTK_MEMSET(&s->v0, 0, sizeof(s->v0));
	PTK_MEMSET(&s->dir, 0, sizeof(s->dir));
}

/* Allocate empty arrays of 2^@cap_lg2 slots for @s's shape into @n. */
static int hx_set_alloc(struct ptk_table *t, struct hx_set *n,
			const struct hx_set *s, unsigned int cap_lg2)
{
	struct hx_blk *d = NULL;
	uint32_t i, total;
	int rc;

	PTK_MEMSET(n, 0, sizeof(*n));
	n->val_lg2 = s->val_lg2;
	n->kseg_lg2 = s->kseg_lg2;
	n->vseg_lg2 = s->vseg_lg2;
	n->cap_lg2 = (uint8_t)cap_lg2;
	n->nkseg = cap_lg2 > n->kseg_lg2 ? 1u << (cap_lg2 - n->kseg_lg2) : 1;
	n->nvseg = cap_lg2 > n->vseg_lg2 ? 1u << (cap_lg2 - n->vseg_lg2) : 1;
	total = n->nkseg + n->nvseg;
	if (total > 2) {
		n->dir_lg2 = hx_lg2_ceil((uint64_t)total * sizeof(*d));
		rc = ptk_table__alloc(t, n->dir_lg2, &n->dir.oa, &n->dir.ptr);
		if (rc)
			return rc;
		d = n->dir.ptr;
	}
	for (i = 0; i < total; i++) {
		struct hx_blk b;

		rc = ptk_table__alloc(
			t, i < n->nkseg ? hx_kblk_lg2(n) : hx_vblk_lg2(n),
			&b.oa, &b.ptr);
		if (rc) {
			/* Give back what this call took. */
			while (i--)
				ptk_table__free(t, hx_seg(n, i)->oa,
						hx_seg(n, i)->ptr,
						i < n->nkseg ? hx_kblk_lg2(n)
							     : hx_vblk_lg2(n));
			if (d)
				ptk_table__free(t, n->dir.oa, n->dir.ptr,
						n->dir_lg2);
			return rc;
		}
		if (d)
			d[i] = b;
		if (i == 0)
			n->k0 = b;
		if (i == n->nkseg)
			n->v0 = b;
	}
	return 0;
}

/* Move every record of @s into the fresh arrays @n (more slots). */
static void hx_set_rehash(struct hx_set *n, const struct hx_set *s)
{
	size_t vs = (size_t)1 << s->val_lg2;
	uint64_t i, k;

	if (!s->cap_lg2)
		return;
	for (i = 0; i < ((uint64_t)1 << s->cap_lg2); i++) {
		k = *hx_kp(s, i);
		if (k)
			PTK_MEMCPY(hx_vp(n, hx_insert(n, k)), hx_vp(s, i), vs);
	}
}

/* --- the table: geometry, lookups, the summary */

/* A table as operations see it, with a one-record cache per level. */
struct hx_view {
	const struct ptk_table *t;
	const struct ptk_fmt *f;
	struct hx_root *r;
	uint64_t gen;
	uint64_t ck[PTK_MAX_LEVELS];
	void *cp[PTK_MAX_LEVELS];
	bool cv[PTK_MAX_LEVELS];
};

static void hx_view_init(struct hx_view *v, const struct ptk_table *t)
{
	PTK_MEMSET(v, 0, sizeof(*v));
	v->t = t;
	v->f = t->fmt;
	v->r = t->root;
	v->gen = v->r->gen;
}

static inline unsigned int hx_shift(const struct hx_view *v, unsigned int l)
{
	return v->f->level_shift[l];
}

/* log2 of the span of one record at level @l. */
static inline unsigned int hx_cs(const struct hx_view *v, unsigned int l)
{
	return v->f->level_shift[l] + v->r->cl[l];
}

/* @va without its sign extension: keys and comparisons use these. */
static inline ptk_va_t hx_vm(const struct hx_view *v, ptk_va_t va)
{
	return va & ptk_lg2_mask(v->f->va_bits);
}

/* The VA for a masked one. */
static inline ptk_va_t hx_sext(const struct hx_view *v, ptk_va_t m)
{
	unsigned int vb = v->f->va_bits;

	if ((v->f->features & PTK_FMT_SIGN_EXTEND) && vb < 64 &&
	    ((m >> (vb - 1)) & 1))
		m |= ~ptk_lg2_mask(vb);
	return m;
}

static inline uint64_t hx_ck(const struct hx_view *v, unsigned int l,
			     ptk_va_t va)
{
	unsigned int cs = hx_cs(v, l);

	return cs >= 64 ? 0 : hx_vm(v, va) >> cs;
}

/* Index of @va's entry in its record. */
static inline uint64_t hx_ci(const struct hx_view *v, unsigned int l,
			     ptk_va_t va)
{
	return (va >> hx_shift(v, l)) & ptk_lg2_mask(v->r->cl[l]);
}

/* First VA of record @ck at level @l. */
static inline ptk_va_t hx_cva(const struct hx_view *v, unsigned int l,
			      uint64_t ck)
{
	unsigned int cs = hx_cs(v, l);

	return hx_sext(v, cs >= 64 ? 0 : ck << cs);
}

static inline ptk_pte_t hx_ld(const struct ptk_fmt *f, const void *e,
			      uint64_t j)
{
	if (f->entry_lg2 == 3)
		return ((const uint64_t *)e)[j];
	return ((const uint32_t *)e)[j];
}

static inline void hx_st(const struct ptk_fmt *f, void *e, uint64_t j,
			 ptk_pte_t pte)
{
	if (f->entry_lg2 == 3)
		((uint64_t *)e)[j] = pte;
	else
		((uint32_t *)e)[j] = (uint32_t)pte;
}

static inline void hx_view_sync(struct hx_view *v)
{
	if (PTK_UNLIKELY(v->gen != v->r->gen)) {
		PTK_MEMSET(v->cv, 0, sizeof(v->cv));
		v->gen = v->r->gen;
	}
}

/* The entries of record @ck at level @l, or NULL. */
static void *hx_rec(struct hx_view *v, unsigned int l, uint64_t ck)
{
	const struct hx_set *s = &v->r->lv[l];
	int64_t slot;
	void *p;

	hx_view_sync(v);
	if (v->cv[l] && v->ck[l] == ck)
		return v->cp[l];
	slot = hx_find(s, ck + 1);
	p = slot < 0 ? NULL : hx_vp(s, (uint64_t)slot);
	v->ck[l] = ck;
	v->cp[l] = p;
	v->cv[l] = true;
	return p;
}

/* The leaf at level @l for @va (0: none). */
static inline ptk_pte_t hx_leaf(struct hx_view *v, unsigned int l, ptk_va_t va)
{
	const void *e;

	if (l >= v->r->nleaf || !v->r->lv[l].nr)
		return 0;
	e = hx_rec(v, l, hx_ck(v, l, va));
	return e ? hx_ld(v->f, e, hx_ci(v, l, va)) : 0;
}

/* Summary record key: level, height (1..), node number. */
static inline uint64_t hx_skey(unsigned int l, unsigned int h, uint64_t k)
{
	return (((uint64_t)l << 60) | ((uint64_t)h << 55) | k) + 1;
}

static inline uint64_t hx_sbits(const struct hx_view *v, unsigned int l,
				unsigned int h, uint64_t k)
{
	int64_t slot = hx_find(&v->r->sum, hx_skey(l, h, k));

	return slot < 0 ? 0
			: *(const uint64_t *)hx_vp(&v->r->sum, (uint64_t)slot);
}

/*
 * The first record number >= @x and <= @xmax present at level @l, or
 * HX_NONE: climb the bitmaps until one has a bit at or after the path,
 * then take the lowest bits down.
 */
static uint64_t hx_next_ck(struct hx_view *v, unsigned int l, uint64_t x,
			   uint64_t xmax)
{
	unsigned int H = v->r->hts[l], h = 0;
	uint64_t k = x, b;

	if (x > xmax || !v->r->lv[l].nr)
		return HX_NONE;
	if (hx_rec(v, l, x))
		return x;
	for (;;) {
		uint64_t nk;

		if (h >= H)
			return HX_NONE;
		nk = k >> HX_FAN;
		b = hx_sbits(v, l, h + 1, nk) & (~UINT64_C(0) << (k & 63));
		if (b) {
			k = (nk << HX_FAN) | (uint64_t)__builtin_ctzll(b);
			break;
		}
		h++;
		k = nk + 1;
		if (k > (xmax >> (HX_FAN * h)))
			return HX_NONE;
	}
	while (h > 0) {
		b = hx_sbits(v, l, h, k);
		PTK_ASSERT(b);
		if (!b)
			return HX_NONE;
		k = (k << HX_FAN) | (uint64_t)__builtin_ctzll(b);
		h--;
	}
	return k <= xmax ? k : HX_NONE;
}

/* A leaf found by a search. */
struct hx_hit {
	ptk_va_t va; /* its first address */
	ptk_pte_t pte;
	unsigned int level;
};

/*
 * The first leaf at level @l that meets [@a, @b] (one part of the VA
 * space): the one holding @a, or the first after it.
 */
static bool hx_first_at(struct hx_view *v, unsigned int l, ptk_va_t a,
			ptk_va_t b, struct hx_hit *out)
{
	const struct ptk_fmt *f = v->f;
	uint64_t ck = hx_ck(v, l, a), ckmax = hx_ck(v, l, b);
	uint64_t j = hx_ci(v, l, a), n = (uint64_t)1 << v->r->cl[l];

	if (l >= v->r->nleaf || !v->r->lv[l].nr)
		return false;
	for (;;) {
		uint64_t nck = hx_next_ck(v, l, ck, ckmax), jend;
		const void *e;

		if (nck == HX_NONE)
			return false;
		if (nck != ck)
			j = 0;
		ck = nck;
		e = hx_rec(v, l, ck);
		jend = ck == ckmax ? hx_ci(v, l, b) : n - 1;
		for (; j <= jend; j++) {
			ptk_pte_t pte = hx_ld(f, e, j);

			if (pte) {
				out->va = hx_cva(v, l, ck) +
					  (j << hx_shift(v, l));
				out->pte = pte;
				out->level = l;
				return true;
			}
		}
		if (ck == ckmax)
			return false;
		ck++;
		j = 0;
	}
}

/* The first leaf at levels @lo..@hi that meets [@a, @b]. */
static bool hx_first(struct hx_view *v, unsigned int lo, unsigned int hi,
		     ptk_va_t a, ptk_va_t b, struct hx_hit *out)
{
	struct hx_hit h;
	bool any = false;
	unsigned int l;

	if (hi >= v->r->nleaf)
		hi = v->r->nleaf - 1u;
	for (l = lo; l <= hi && l < v->r->nleaf; l++) {
		if (!hx_first_at(v, l, a, b, &h))
			continue;
		if (!any || hx_vm(v, h.va) < hx_vm(v, out->va)) {
			*out = h;
			any = true;
		}
		/* Nothing can start before the leaf that holds @a. */
		if (hx_vm(v, h.va) <= hx_vm(v, a))
			break;
	}
	return any;
}

/* Entry states of the virtual radix tree. */
enum { HX_EMPTY, HX_LEAF, HX_TABLE };

/*
 * Where a loop over the entries of one level may ask "is there a smaller
 * leaf inside this entry?": the first such leaf at or after the place
 * it was computed for, reused until the loop passes it.
 */
struct hx_hz {
	bool ok;
	bool none;
	ptk_va_t va; /* masked */
	ptk_va_t lim; /* masked: searched up to here */
};

/* Whether a leaf below level @l lies in [@e_va, @e_last]; @lim >= @e_last
 * bounds the search (the loop's last address). */
static bool hx_below(struct hx_view *v, struct hx_hz *hz, unsigned int l,
		     ptk_va_t e_va, ptk_va_t e_last, ptk_va_t lim)
{
	struct hx_hit h;

	if (l == 0)
		return false;
	if (!hz->ok || (!hz->none && hz->va < hx_vm(v, e_va)) ||
	    hz->lim < hx_vm(v, e_last)) {
		hz->ok = true;
		hz->lim = hx_vm(v, lim);
		hz->none = !hx_first(v, 0, l - 1, e_va, lim, &h);
		if (!hz->none)
			hz->va = hx_vm(v, h.va);
	}
	return !hz->none && hz->va <= hx_vm(v, e_last);
}

/* State of the level-@l entry [@e_va, @e_last]; *@pte for a leaf. */
static int hx_state(struct hx_view *v, struct hx_hz *hz, unsigned int l,
		    ptk_va_t e_va, ptk_va_t e_last, ptk_va_t lim,
		    ptk_pte_t *pte)
{
	*pte = hx_leaf(v, l, e_va);
	if (*pte)
		return HX_LEAF;
	return hx_below(v, hz, l, e_va, e_last, lim) ? HX_TABLE : HX_EMPTY;
}

/* --- changing records (real runs: room was made beforehand) */

/* The summary learns that record @ck of level @l appeared. */
static void hx_sum_add(struct hx_root *r, unsigned int l, uint64_t ck)
{
	struct hx_set *s = &r->sum;
	uint64_t k = ck;
	unsigned int h;

	for (h = 1; h <= r->hts[l]; h++) {
		uint64_t key = hx_skey(l, h, k >> HX_FAN), *bits, was;
		int64_t slot = hx_find(s, key);

		if (slot < 0)
			slot = (int64_t)hx_insert(s, key);
		bits = hx_vp(s, (uint64_t)slot);
		was = *bits;
		*bits |= UINT64_C(1) << (k & 63);
		if (was)
			break; /* the parents know already */
		k >>= HX_FAN;
	}
}

/* ... and that it went. */
static void hx_sum_del(struct hx_root *r, unsigned int l, uint64_t ck)
{
	struct hx_set *s = &r->sum;
	uint64_t k = ck;
	unsigned int h;

	for (h = 1; h <= r->hts[l]; h++) {
		uint64_t key = hx_skey(l, h, k >> HX_FAN), *bits;
		int64_t slot = hx_find(s, key);

		PTK_ASSERT(slot >= 0);
		if (slot < 0)
			return;
		bits = hx_vp(s, (uint64_t)slot);
		*bits &= ~(UINT64_C(1) << (k & 63));
		if (*bits)
			break;
		hx_delete(s, (uint64_t)slot);
		k >>= HX_FAN;
	}
}

/* The entries of record @ck at level @l, made (zeroed) if absent. */
static void *hx_rec_make(struct hx_view *v, unsigned int l, uint64_t ck)
{
	void *e = hx_rec(v, l, ck);
	struct hx_set *s = &v->r->lv[l];

	if (e)
		return e;
	e = hx_vp(s, hx_insert(s, ck + 1));
	hx_sum_add(v->r, l, ck);
	v->r->gen++;
	return e;
}

/* Remove record @ck of level @l (present). */
static void hx_rec_drop(struct hx_view *v, unsigned int l, uint64_t ck)
{
	struct hx_set *s = &v->r->lv[l];
	int64_t slot = hx_find(s, ck + 1);

	PTK_ASSERT(slot >= 0);
	if (slot < 0)
		return;
	hx_delete(s, (uint64_t)slot);
	hx_sum_del(v->r, l, ck);
	v->r->gen++;
}

/* Remove record @ck of level @l if all its entries are empty. */
static void hx_rec_tidy(struct hx_view *v, unsigned int l, uint64_t ck)
{
	const void *e = hx_rec(v, l, ck);
	uint64_t j, n = (uint64_t)1 << v->r->cl[l];

	if (!e)
		return;
	for (j = 0; j < n; j++)
		if (hx_ld(v->f, e, j))
			return;
	hx_rec_drop(v, l, ck);
}

/* Store @pte as the entry for @va at level @l (0 clears it). */
static void hx_put(struct hx_view *v, unsigned int l, ptk_va_t va,
		   ptk_pte_t pte)
{
	uint64_t ck = hx_ck(v, l, va);
	void *e = pte ? hx_rec_make(v, l, ck) : hx_rec(v, l, ck);

	if (!e)
		return;
	hx_st(v->f, e, hx_ci(v, l, va), pte);
	if (!pte)
		hx_rec_tidy(v, l, ck);
}

/* Remove every leaf below level @l in [@va, @last] (whole records). */
static void hx_clear_below(struct hx_view *v, unsigned int l, ptk_va_t va,
			   ptk_va_t last)
{
	unsigned int m;

	for (m = 0; m < l && m < v->r->nleaf; m++) {
		uint64_t ck = hx_ck(v, m, va), ckmax = hx_ck(v, m, last);

		while ((ck = hx_next_ck(v, m, ck, ckmax)) != HX_NONE)
			hx_rec_drop(v, m, ck);
	}
}

/* --- operations: context, counting, growth */

/* The virtual table a dry run splits a leaf into (as the engine's). */
struct hx_vtable {
	bool split;
	ptk_va_t va;
	ptk_oa_t oa;
	struct ptk_attrs attrs;
};

struct hx_op {
	struct hx_view v; /* the table that changes (a copy's destination) */
	struct hx_view sv; /* a copy's source */
	struct ptk_table *t;
	const struct ptk_fmt *f;
	bool dry;
	unsigned int flags; /* PTK_MAP_* / PTK_UNMAP_* of map and unmap */
	unsigned int oflags; /* the range operations' flags */
	unsigned int max_lg2;
	ptk_va_t va0;
	ptk_oa_t oa0;
	ptk_pte_t bits[PTK_MAX_LEVELS];
	struct ptk_gather *g;
	struct ptk_gpend gp;
	struct hx_vtable vt[PTK_MAX_LEVELS];
	/* dry run: records the real run may add, per hash */
	uint64_t need[PTK_MAX_LEVELS];
	uint64_t need_sum;
	uint64_t ck_last[PTK_MAX_LEVELS];
	bool ck_ok[PTK_MAX_LEVELS];
	uint64_t sk_last[PTK_MAX_LEVELS][HX_HMAX + 1];
	bool sk_ok[PTK_MAX_LEVELS][HX_HMAX + 1];
	/* protect and copy-on-write */
	uint32_t prot;
	ptk_pte_t pmask[PTK_MAX_LEVELS];
	ptk_pte_t pc_key[PTK_MAX_LEVELS];
	ptk_pte_t pc_val[PTK_MAX_LEVELS];
	bool pc_ok[PTK_MAX_LEVELS];
	/* harvest */
	ptk_pte_t admask[PTK_MAX_LEVELS][2];
	int (*fn)(ptk_va_t va, uint64_t len, unsigned int found, void *arg);
	void *arg;
	ptk_va_t h_va;
	ptk_va_t h_last;
	unsigned int h_found;
	/* move: new_va - va */
	ptk_va_t delta;
};

static void hx_op_init(struct hx_op *c, struct ptk_table *t,
		       struct ptk_gather *g)
{
	PTK_MEMSET(c, 0, sizeof(*c));
	hx_view_init(&c->v, t);
	c->t = t;
	c->f = t->fmt;
	c->g = g;
	c->max_lg2 = 64;
}

/* Dry run: record @ck of level @l may be added. */
static void hx_count_rec(struct hx_op *c, unsigned int l, uint64_t ck)
{
	struct hx_root *r = c->v.r;
	uint64_t k = ck;
	unsigned int h;

	if (c->ck_ok[l] && c->ck_last[l] == ck)
		return;
	c->ck_ok[l] = true;
	c->ck_last[l] = ck;
	if (hx_rec(&c->v, l, ck))
		return;
	c->need[l]++;
	for (h = 1; h <= r->hts[l]; h++) {
		k >>= HX_FAN;
		if (c->sk_ok[l][h] && c->sk_last[l][h] == k)
			break;
		c->sk_ok[l][h] = true;
		c->sk_last[l][h] = k;
		if (hx_find(&r->sum, hx_skey(l, h, k)) >= 0)
			break;
		c->need_sum++;
	}
}

/* Dry run: leaves at level @l may be written over [@va, @last]. */
static void hx_count_range(struct hx_op *c, unsigned int l, ptk_va_t va,
			   ptk_va_t last)
{
	uint64_t ck = hx_ck(&c->v, l, va), ckmax = hx_ck(&c->v, l, last);

	for (;; ck++) {
		hx_count_rec(c, l, ck);
		if (ck == ckmax)
			break;
	}
}

/*
 * Make room for what the dry run counted: every hash that would pass
 * its load limit gets its new arrays first; only when all of them are
 * allocated are records moved and the old arrays given up (to the
 * gather, as unlinked tables are). PTK_ENOMEM changes nothing.
 */
static int hx_reserve(struct hx_op *c)
{
	struct hx_root *r = c->v.r;
	struct hx_set nw[PTK_MAX_LEVELS + 1];
	bool grow[PTK_MAX_LEVELS + 1];
	unsigned int i, n = r->nleaf + 1u;
	int rc = 0;

	for (i = 0; i < n; i++) {
		struct hx_set *s = i < r->nleaf ? &r->lv[i] : &r->sum;
		uint64_t want =
			s->nr + (i < r->nleaf ? c->need[i] : c->need_sum);

		grow[i] = want > s->nr && !hx_fits(want, s->cap_lg2);
		if (!grow[i])
			continue;
		rc = hx_set_alloc(c->t, &nw[i], s, hx_cap_for(want));
		if (rc) {
			grow[i] = false;
			while (i--)
				if (grow[i])
					hx_set_release(c->t, &nw[i], NULL);
			return rc;
		}
	}
	for (i = 0; i < n; i++) {
		struct hx_set *s = i < r->nleaf ? &r->lv[i] : &r->sum;

		if (!grow[i])
			continue;
		hx_set_rehash(&nw[i], s);
		nw[i].nr = s->nr;
		hx_set_release(c->t, s, c->g);
		*s = nw[i];
		r->gen++;
	}
	return 0;
}

/* After a real run: hashes left empty give their arrays back. */
static void hx_finish(struct hx_op *c)
{
	struct hx_root *r = c->v.r;
	unsigned int l;

	for (l = 0; l < r->nleaf; l++)
		if (!r->lv[l].nr)
			hx_set_release(c->t, &r->lv[l], c->g);
	if (!r->sum.nr)
		hx_set_release(c->t, &r->sum, c->g);
	/* (iterators keep the next leaf per level: any change voids that) */
	r->gen++;
	ptk_gpend__flush(&c->gp, c->g);
}

/* --- entries: what the engine derives from a format's hooks */

static inline bool hx_leaf_ok(const struct ptk_fmt *f, unsigned int l)
{
	return (f->leaf_levels >> l) & 1;
}

static inline bool hx_is_contig(const struct ptk_fmt *f, unsigned int l,
				ptk_pte_t pte)
{
	return f->contig_lg2[l] && f->hooks->is_contig &&
	       f->hooks->is_contig(f, l, pte);
}

static inline ptk_oa_t hx_leaf_oa(const struct ptk_fmt *f, unsigned int l,
				  ptk_pte_t pte)
{
	return f->hooks->leaf_oa(f, l, pte);
}

/* Whether a leaf at level @l can hold an OA up to @oa_last. */
static inline bool hx_oa_fits(const struct ptk_fmt *f, unsigned int l,
			      ptk_oa_t oa_last)
{
	unsigned int bits = f->leaf_oa_bits[l] ? f->leaf_oa_bits[l]
					       : f->oa_bits;

	return bits >= 64 || !(oa_last >> bits);
}

/* Where leaf @pte at level @l maps @va, and the size it translates as. */
static inline ptk_oa_t hx_va_oa(const struct ptk_fmt *f, unsigned int l,
				ptk_pte_t pte, ptk_va_t va,
				unsigned int *lg2_out)
{
	unsigned int shift = f->level_shift[l];

	if (hx_is_contig(f, l, pte))
		shift += f->contig_lg2[l];
	*lg2_out = shift;
	return (hx_leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift)) +
	       (va & ptk_lg2_mask(shift));
}

/* The OA of the page the entry at @e_va maps, inside a group too. */
static inline ptk_oa_t hx_entry_oa(const struct ptk_fmt *f, unsigned int l,
				   ptk_pte_t pte, ptk_va_t e_va)
{
	unsigned int lg2;

	return hx_va_oa(f, l, pte, e_va, &lg2);
}

/* Entry bits that hold accessed / dirty state at level @l. */
static ptk_pte_t hx_ad_bits(const struct ptk_fmt *f, unsigned int l)
{
	struct ptk_attrs a;
	ptk_pte_t b0, b1;

	PTK_MEMSET(&a, 0, sizeof(a));
	a.prot = PTK_PROT_READ | PTK_PROT_WRITE;
	if (f->hooks->encode(f, l, &a, PTK_ENC_SUPERSET, &b0))
		return 0;
	a.flags = PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY;
	if (f->hooks->encode(f, l, &a, PTK_ENC_SUPERSET, &b1))
		return 0;
	return (b0 ^ b1) & ~f->leaf_oa_mask[l];
}

/* The entry bits that carry protection, and accessed / dirty state. */
static void hx_masks(struct hx_op *c)
{
	const struct ptk_fmt *f = c->f;
	static const uint32_t which[2] = { PTK_ATTR_ACCESSED, PTK_ATTR_DIRTY };
	unsigned int l, k;

	for (l = 0; l < f->levels; l++) {
		struct ptk_attrs a;
		ptk_pte_t b0, b, m = 0;
		uint32_t p;

		if (!hx_leaf_ok(f, l))
			continue;
		PTK_MEMSET(&a, 0, sizeof(a));
		a.prot = PTK_PROT_READ;
		if (!f->hooks->encode(f, l, &a, PTK_ENC_SUPERSET, &b0)) {
			for (p = 0; p < 16; p++) {
				a.prot = p;
				if (!f->hooks->encode(f, l, &a,
						      PTK_ENC_SUPERSET, &b))
					m |= b ^ b0;
			}
			c->pmask[l] = m & ~f->leaf_oa_mask[l];
		}
		for (k = 0; k < 2; k++) {
			PTK_MEMSET(&a, 0, sizeof(a));
			a.prot = PTK_PROT_READ | PTK_PROT_WRITE;
			if (f->hooks->encode(f, l, &a, PTK_ENC_SUPERSET, &b0))
				continue;
			a.flags = which[k];
			if (f->hooks->encode(f, l, &a, PTK_ENC_SUPERSET, &b))
				continue;
			c->admask[l][k] = (b ^ b0) & ~f->leaf_oa_mask[l];
		}
	}
}

/*
 * Leaf @e at level @l with its protection replaced by c->prot, or for
 * copy-on-write (@cow) by its own without WRITE; only the protection
 * bits change. Cached per level on the non-address bits.
 */
static PTK_NOINLINE int hx_reprot_slow(struct hx_op *c, unsigned int l,
				       ptk_pte_t e, bool cow, ptk_pte_t *out);

static inline int hx_reprot(struct hx_op *c, unsigned int l, ptk_pte_t e,
			    bool cow, ptk_pte_t *out)
{
	if (PTK_LIKELY(c->pc_ok[l] &&
		       c->pc_key[l] == (e & ~c->f->leaf_oa_mask[l]))) {
		*out = (e & ~c->pmask[l]) | c->pc_val[l];
		return 0;
	}
	return hx_reprot_slow(c, l, e, cow, out);
}

static PTK_NOINLINE int hx_reprot_slow(struct hx_op *c, unsigned int l,
				       ptk_pte_t e, bool cow, ptk_pte_t *out)
{
	const struct ptk_fmt *f = c->f;
	ptk_pte_t key = e & ~f->leaf_oa_mask[l];
	struct ptk_attrs a;
	ptk_pte_t nb;
	int rc;

	{
		f->hooks->decode(f, l, e, &a);
		a.prot = cow ? (a.prot & ~(uint32_t)PTK_PROT_WRITE) : c->prot;
		rc = f->hooks->encode(f, l, &a,
				      (c->oflags & PTK_PROTECT_SUPERSET)
					      ? PTK_ENC_SUPERSET
					      : 0,
				      &nb);
		if (rc)
			return rc;
		c->pc_key[l] = key;
		c->pc_val[l] = nb & c->pmask[l];
		c->pc_ok[l] = true;
	}
	*out = (e & ~c->pmask[l]) | c->pc_val[l];
	return 0;
}

/* Rewrite the group holding @va at level @l as plain leaves. */
static void hx_uncontig(struct hx_view *v, unsigned int l, ptk_va_t va)
{
	const struct ptk_fmt *f = v->f;
	unsigned int shift = f->level_shift[l], cl = f->contig_lg2[l];
	ptk_va_t g_va = va & ~ptk_lg2_mask(shift + cl);
	void *e = hx_rec(v, l, hx_ck(v, l, g_va));
	uint64_t j0 = hx_ci(v, l, g_va), k;
	ptk_pte_t pte = hx_ld(f, e, j0), ad = hx_ad_bits(f, l), seen = 0,
		  bits = 0;
	ptk_oa_t goa = hx_leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift + cl);
	struct ptk_attrs attrs;

	for (k = 0; k < ((uint64_t)1 << cl); k++)
		seen |= hx_ld(f, e, j0 + k) & ad;
	f->hooks->decode(f, l, pte | seen, &attrs);
	(void)f->hooks->encode(f, l, &attrs, 0, &bits); /* checked dry */
	for (k = 0; k < ((uint64_t)1 << cl); k++)
		hx_st(f, e, j0 + k,
		      f->hooks->make_leaf(f, l, goa + (k << shift), bits));
}

/*
 * Groups that [@va, @last] covers only in part must become plain leaves
 * before part of them changes (the engine's fix_groups()).
 */
static int hx_fix_groups(struct hx_op *c, struct hx_view *v, unsigned int l,
			 ptk_va_t va, ptk_va_t last, bool split_ok, int err)
{
	const struct ptk_fmt *f = v->f;
	unsigned int cl = f->contig_lg2[l];
	ptk_va_t gmask, ends[2] = { va, last };
	int i;

	if (!cl || l >= v->r->nleaf)
		return 0;
	gmask = ptk_lg2_mask(f->level_shift[l] + cl);
	for (i = 0; i < 2; i++) {
		ptk_va_t g_va = ends[i] & ~gmask;
		ptk_pte_t pte, bits;
		struct ptk_attrs attrs;
		int rc;

		if (i == 1 && g_va == (va & ~gmask))
			break;
		if (va <= g_va && last >= (g_va | gmask))
			continue;
		pte = hx_leaf(v, l, g_va);
		if (!pte || !hx_is_contig(f, l, pte))
			continue;
		if (!split_ok)
			return err;
		if (c->dry) {
			f->hooks->decode(f, l, pte, &attrs);
			rc = f->hooks->encode(f, l, &attrs, 0, &bits);
			if (rc)
				return rc;
			continue;
		}
		hx_uncontig(v, l, g_va);
		ptk_gpend__add(&c->gp, c->g, g_va, g_va | gmask);
	}
	return 0;
}

/* Whether the group from @g_va is whole (every entry its leaf). */
static bool hx_group_whole(struct hx_view *v, unsigned int l, ptk_va_t g_va)
{
	const struct ptk_fmt *f = v->f;
	unsigned int cl = f->contig_lg2[l], shift = f->level_shift[l];
	ptk_va_t gmask = ptk_lg2_mask(shift + cl);
	const void *e = hx_rec(v, l, hx_ck(v, l, g_va));
	uint64_t j0 = hx_ci(v, l, g_va), k;
	ptk_pte_t pte, keep;
	ptk_oa_t goa;

	if (!e)
		return false;
	pte = hx_ld(f, e, j0);
	if (!pte || !hx_is_contig(f, l, pte))
		return false;
	keep = ~f->leaf_oa_mask[l] & ~hx_ad_bits(f, l);
	goa = hx_leaf_oa(f, l, pte) & ~gmask;
	for (k = 1; k < ((uint64_t)1 << cl); k++) {
		ptk_pte_t x = hx_ld(f, e, j0 + k);

		if (!x || ((x ^ pte) & keep) ||
		    (hx_leaf_oa(f, l, x) & ~gmask) != goa)
			return false;
	}
	return true;
}

/*
 * Dry run: describe the leaves a split of the level-@l leaf @pte at @e_va
 * (or of the virtual leaf there, @virt) would make at level l-1; count
 * their records. @empty: the caller overwrites all of them.
 */
static int hx_dry_split(struct hx_op *c, unsigned int l, bool virt,
			ptk_pte_t pte, ptk_va_t e_va, bool empty)
{
	const struct ptk_fmt *f = c->f;
	struct hx_vtable *vt = &c->vt[l - 1];
	ptk_pte_t bits;
	int rc;

	vt->split = !empty;
	if (empty)
		return 0;
	vt->va = e_va;
	if (!virt) {
		vt->oa = hx_leaf_oa(f, l, pte);
		f->hooks->decode(f, l, pte, &vt->attrs);
	} else {
		vt->oa = c->vt[l].oa + (e_va - c->vt[l].va);
		vt->attrs = c->vt[l].attrs;
	}
	if (!hx_oa_fits(f, l - 1, vt->oa + ptk_lg2_mask(f->level_shift[l])))
		return PTK_ERANGE;
	rc = f->hooks->encode(f, l - 1, &vt->attrs, 0, &bits);
	if (rc)
		return rc;
	hx_count_range(c, l - 1, e_va, e_va | ptk_lg2_mask(f->level_shift[l]));
	return 0;
}

/*
 * Real run: replace the level-@l leaf @pte at @e_va by the leaves of
 * level l-1 with the same translation (none when @empty: the caller
 * overwrites them all). The whole leaf is gathered.
 */
static void hx_split_leaf(struct hx_op *c, struct hx_view *v, unsigned int l,
			  ptk_pte_t pte, bool empty, ptk_va_t e_va)
{
	const struct ptk_fmt *f = v->f;
	unsigned int shift = f->level_shift[l - 1];
	ptk_va_t e_last = e_va | ptk_lg2_mask(f->level_shift[l]);

	hx_put(v, l, e_va, 0);
	if (!empty) {
		struct ptk_attrs attrs;
		ptk_oa_t oa = hx_leaf_oa(f, l, pte);
		ptk_pte_t bits = 0;
		uint64_t j, n = (uint64_t)1 << f->level_bits[l - 1];

		f->hooks->decode(f, l, pte, &attrs);
		if (!f->hooks->encode(f, l - 1, &attrs, 0, &bits) &&
		    hx_oa_fits(f, l - 1, oa + ptk_lg2_mask(f->level_shift[l])))
			for (j = 0; j < n; j++)
				hx_put(v, l - 1, e_va + (j << shift),
				       f->hooks->make_leaf(f, l - 1,
							   oa + (j << shift),
							   bits));
	}
	ptk_gpend__add(&c->gp, c->g, e_va, e_last);
}

/* --- map */

/* Whether the level-@l entry at @ev is empty in the real run. */
static bool hx_empty_at(struct hx_view *v, struct hx_hz *hz, bool virt,
			unsigned int l, ptk_va_t ev, ptk_va_t lim)
{
	ptk_va_t smask = ptk_lg2_mask(v->f->level_shift[l]);

	return virt ||
	       (!hx_leaf(v, l, ev) && !hx_below(v, hz, l, ev, ev + smask, lim));
}

/*
 * Real run: up to @max leaves from the (empty) entry at @e_va mapping
 * @oa onwards, in contiguous groups where alignment allows; stops at the
 * first entry after the first that is not empty. Returns the count.
 */
static uint64_t hx_put_leaves(struct hx_op *c, unsigned int l, bool virt,
			      struct hx_hz *hz, ptk_va_t e_va, ptk_oa_t oa,
			      uint64_t max, ptk_va_t lim)
{
	struct hx_view *v = &c->v;
	const struct ptk_fmt *f = c->f;
	unsigned int shift = f->level_shift[l], cl = f->contig_lg2[l];
	bool groups = cl && shift + cl <= c->max_lg2;
	uint64_t g = (uint64_t)1 << cl, j = 0, k;
	ptk_pte_t bits = c->bits[l];

	while (j < max) {
		ptk_oa_t o = oa + (j << shift);
		ptk_va_t ev = e_va + (j << shift);

		if (groups && !((ev >> shift) & (g - 1)) && max - j >= g &&
		    !(o & ptk_lg2_mask(shift + cl))) {
			for (k = 0; k < g; k++)
				if ((j + k) &&
				    !hx_empty_at(v, hz, virt, l,
						 ev + (k << shift), lim))
					break;
			if (k == g) {
				ptk_pte_t first =
					f->hooks->make_leaf(f, l, o, bits);

				for (k = 0; k < g; k++)
					hx_put(v, l, ev + (k << shift),
					       f->hooks->contig_entry(
						       f, l, first,
						       (unsigned int)k));
				j += g;
				continue;
			}
		}
		if (!groups) {
			/* plain leaves: straight into each record */
			unsigned char *rec = hx_rec_make(v, l, hx_ck(v, l, ev));
			uint64_t ri = hx_ci(v, l, ev);
			uint64_t nj = (uint64_t)1 << v->r->cl[l];

			for (; j < max && ri < nj; j++, ri++) {
				ev = e_va + (j << shift);
				if (j &&
				    (hx_ld(f, rec, ri) ||
				     (!virt &&
				      hx_below(v, hz, l, ev,
					       ev + ptk_lg2_mask(shift), lim))))
					return j;
				hx_st(f, rec, ri,
				      f->hooks->make_leaf(
					      f, l, oa + (j << shift), bits));
			}
			continue;
		}
		if (j && !hx_empty_at(v, hz, virt, l, ev, lim))
			break;
		hx_put(v, l, ev, f->hooks->make_leaf(f, l, o, bits));
		j++;
	}
	return j;
}

/*
 * The engine's map_body() over the virtual tree: the entries of level @l
 * in [@va, @last] (inside one entry of level l+1). @virt: this level's
 * entries are the dry run's virtual table c->vt[l] (a split leaf, or
 * empty), or in the real run known empty.
 */
static int hx_map_rec(struct hx_op *c, unsigned int l, bool virt, ptk_va_t va,
		      ptk_va_t last)
{
	struct hx_view *v = &c->v;
	const struct ptk_fmt *f = c->f;
	unsigned int shift = f->level_shift[l];
	ptk_va_t smask = ptk_lg2_mask(shift), lim = last | smask, x = va;
	bool can_leaf = hx_leaf_ok(f, l) && shift <= c->max_lg2;
	struct hx_hz hz = { 0 };
	int rc;

	if (f->contig_lg2[l] && !virt) {
		rc = hx_fix_groups(c, v, l, va, last,
				   c->flags & PTK_MAP_REPLACE, PTK_EEXIST);
		if (rc)
			return rc;
	}
	for (;;) {
		ptk_va_t e_va = x & ~smask, e_last = e_va | smask;
		ptk_va_t y = e_last < last ? e_last : last;
		ptk_oa_t oa = c->oa0 + (x - c->va0);
		bool full = x == e_va && y == e_last;
		bool leafable = l == 0 || (full && can_leaf && !(oa & smask));
		ptk_pte_t pte = 0;
		int type;

		if (virt)
			type = c->vt[l].split && c->dry ? HX_LEAF : HX_EMPTY;
		else
			type = hx_state(v, &hz, l, e_va, e_last, lim, &pte);

		if (type == HX_EMPTY && leafable) {
			uint64_t max = ((last - e_va) >> shift) +
				       (((last - e_va) & smask) == smask);
			uint64_t n = 1;

			if (c->dry) {
				if (virt)
					n = max;
				/* the run of empty entries, record by record */
				while (n < max) {
					ptk_va_t ev = e_va + (n << shift);
					const unsigned char *rec =
						hx_rec(v, l, hx_ck(v, l, ev));
					uint64_t j = hx_ci(v, l, ev);
					uint64_t nj = (uint64_t)1
						      << v->r->cl[l];

					for (; n < max && j < nj; n++, j++) {
						ev = e_va + (n << shift);
						if ((rec && hx_ld(f, rec, j)) ||
						    hx_below(v, &hz, l, ev,
							     ev + smask, lim))
							goto run_end;
					}
				}
			run_end:
				if (!hx_oa_fits(f, l, oa + ((n << shift) - 1)))
					return PTK_ERANGE;
				hx_count_range(c, l, e_va,
					       e_va + ((n << shift) - 1));
			} else {
				n = hx_put_leaves(c, l, virt, &hz, e_va, oa,
						  max, lim);
			}
			y = e_va + ((n << shift) - 1);
			goto next;
		}
		if (l == 0 && type != HX_LEAF)
			return PTK_ECORRUPT;
		switch (type) {
		case HX_EMPTY:
			c->vt[l - 1].split = false;
			rc = hx_map_rec(c, l - 1, true, x, y);
			if (rc)
				return rc;
			break;
		case HX_TABLE:
			rc = hx_map_rec(c, l - 1, false, x, y);
			if (rc)
				return rc;
			break;
		default: /* HX_LEAF */
			if (!(c->flags & PTK_MAP_REPLACE))
				return PTK_EEXIST;
			if (leafable) {
				if (!hx_oa_fits(f, l, oa | smask))
					return PTK_ERANGE;
				if (!c->dry) {
					hx_put(v, l, e_va,
					       f->hooks->make_leaf(f, l, oa,
								   c->bits[l]));
					ptk_gpend__add(&c->gp, c->g, e_va,
						       e_last);
				}
				break;
			}
			if (c->dry) {
				rc = hx_dry_split(c, l, virt, pte, e_va, full);
				if (rc)
					return rc;
				rc = hx_map_rec(c, l - 1, true, x, y);
			} else {
				hx_split_leaf(c, v, l, pte, full, e_va);
				c->vt[l - 1].split = false;
				rc = hx_map_rec(c, l - 1, full, x, y);
			}
			if (rc)
				return rc;
			break;
		}
	next:
		if (y >= last)
			return 0;
		x = y + 1;
	}
}

/* Encode @attrs at every leaf level into c->bits. */
static int hx_encode_all(struct hx_op *c, const struct ptk_attrs *attrs,
			 unsigned int flags, unsigned int top)
{
	const struct ptk_fmt *f = c->f;
	unsigned int l;
	int rc;

	for (l = 0; l <= top; l++) {
		if (!hx_leaf_ok(f, l))
			continue;
		rc = f->hooks->encode(f, l, attrs, flags, &c->bits[l]);
		if (rc)
			return rc;
	}
	return 0;
}

static int hx_map(struct ptk_table *t, ptk_va_t va, ptk_va_t last, ptk_oa_t oa,
		  const struct ptk_attrs *attrs, unsigned int flags,
		  struct ptk_gather *g)
{
	unsigned int top = t->fmt->levels - 1u, cap = (flags >> 8) & 0x3f;
	struct hx_op c;
	int rc;

	hx_op_init(&c, t, g);
	c.flags = flags;
	c.max_lg2 = cap ? cap : 64;
	c.va0 = va;
	c.oa0 = oa;
	rc = hx_encode_all(&c, attrs, flags & PTK_ENC_SUPERSET, top);
	if (rc)
		return rc;
	if (cap && cap < t->fmt->level_shift[0])
		return PTK_EINVAL;
	c.dry = true;
	rc = hx_map_rec(&c, top, false, va, last);
	if (rc)
		return rc;
	rc = hx_reserve(&c);
	if (rc)
		return rc;
	c.dry = false;
	PTK_MEMSET(c.vt, 0, sizeof(c.vt));
	hx_map_rec(&c, top, false, va, last);
	hx_finish(&c);
	return 0;
}

/* --- unmap */

/*
 * The next entry of level @l at or after @x (up to @last) that is not
 * empty: its state, leaf and the place to go on from (*@x). False when
 * there is none. Virtual levels (a dry run's split leaf) are all leaves.
 * An entry is a table when a smaller leaf lies anywhere in its span,
 * inside the range or not, as the engine's entries are.
 */
static bool hx_next_entry(struct hx_view *v, unsigned int l, bool virt,
			  ptk_va_t *x, ptk_va_t last, int *type, ptk_pte_t *pte)
{
	ptk_va_t smask = ptk_lg2_mask(v->f->level_shift[l]);
	struct hx_hit h;

	if (virt) {
		*type = HX_LEAF;
		*pte = 0;
		return true;
	}
	if (!hx_first(v, 0, l, *x & ~smask, last | smask, &h))
		return false;
	if (hx_vm(v, *x) < hx_vm(v, h.va & ~smask))
		*x = h.va & ~smask;
	*type = h.level == l ? HX_LEAF : HX_TABLE;
	*pte = h.level == l ? h.pte : 0;
	return true;
}

static int hx_unmap_rec(struct hx_op *c, unsigned int l, bool virt, ptk_va_t va,
			ptk_va_t last)
{
	struct hx_view *v = &c->v;
	const struct ptk_fmt *f = c->f;
	unsigned int shift = f->level_shift[l];
	ptk_va_t smask = ptk_lg2_mask(shift), x = va;
	int rc, type;

	if (f->contig_lg2[l] && !virt) {
		rc = hx_fix_groups(c, v, l, va, last,
				   c->flags & PTK_UNMAP_SPLIT, PTK_ESPLIT);
		if (rc)
			return rc;
	}
	for (;;) {
		ptk_va_t e_va, e_last, y;
		ptk_pte_t pte;
		bool full;

		if (!hx_next_entry(v, l, virt, &x, last, &type, &pte))
			return 0;
		e_va = x & ~smask;
		e_last = e_va | smask;
		y = e_last < last ? e_last : last;
		full = x == e_va && y == e_last;
		if (type == HX_LEAF) {
			if (full || l == 0) {
				if (!c->dry) {
					hx_put(v, l, e_va, 0);
					ptk_gpend__add(&c->gp, c->g, e_va,
						       e_last);
				}
			} else if (c->dry) {
				if (!(c->flags & PTK_UNMAP_SPLIT))
					return PTK_ESPLIT;
				rc = hx_dry_split(c, l, virt, pte, e_va, false);
				if (!rc)
					rc = hx_unmap_rec(c, l - 1, true, x, y);
				if (rc)
					return rc;
			} else {
				hx_split_leaf(c, v, l, pte, false, e_va);
				hx_unmap_rec(c, l - 1, false, x, y);
			}
		} else if (full) {
			if (!c->dry) {
				hx_clear_below(v, l, e_va, e_last);
				ptk_gpend__add(&c->gp, c->g, e_va, e_last);
			}
		} else {
			rc = hx_unmap_rec(c, l - 1, false, x, y);
			if (rc)
				return rc;
		}
		if (y >= last)
			return 0;
		x = y + 1;
	}
}

static int hx_unmap(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		    unsigned int flags, struct ptk_gather *g)
{
	unsigned int top = t->fmt->levels - 1u;
	struct hx_op c;
	int rc;

	hx_op_init(&c, t, g);
	c.flags = flags;
	c.dry = true;
	rc = hx_unmap_rec(&c, top, false, va, last);
	if (rc)
		return rc;
	rc = hx_reserve(&c);
	if (rc)
		return rc;
	c.dry = false;
	hx_unmap_rec(&c, top, false, va, last);
	hx_finish(&c);
	return 0;
}

/* --- translate */

static int hx_translate(const struct ptk_table *t, ptk_va_t va,
			struct ptk_xlate *out)
{
	const struct ptk_fmt *f = t->fmt;
	const struct hx_root *r = t->root;
	unsigned int vb = f->va_bits, l;
	ptk_va_t vm;

	if (f->features & PTK_FMT_SIGN_EXTEND) {
		if ((ptk_va_t)((int64_t)(va << (64 - vb)) >> (64 - vb)) != va)
			return PTK_ERANGE;
	} else if (vb < 64 && (va >> vb)) {
		return PTK_ERANGE;
	}
	vm = va & ptk_lg2_mask(vb);
	for (l = 0; l < r->nleaf; l++) {
		const struct hx_set *s = &r->lv[l];
		unsigned int shift = f->level_shift[l];
		unsigned int cs = shift + r->cl[l];
		const void *e;
		ptk_pte_t pte;
		int64_t slot;

		if (!s->nr)
			continue;
		slot = hx_find(s, (cs >= 64 ? 0 : vm >> cs) + 1);
		if (slot < 0)
			continue;
		e = hx_vp(s, (uint64_t)slot);
		pte = hx_ld(f, e, (va >> shift) & ptk_lg2_mask(r->cl[l]));
		if (!pte)
			continue;
		if (out) {
			out->oa = hx_va_oa(f, l, pte, va, &out->size_lg2);
			out->pte = pte;
			out->level = l;
		}
		return 0;
	}
	return PTK_ENOENT;
}

/*
 * What a hardware walker of this table reads to translate @va: per page
 * size tried (smallest first, as hx_translate() goes), the key lines of
 * its search, and on a hit the value line that holds the entry.
 */
static unsigned int hx_walk_refs(const struct ptk_table *t, ptk_va_t va)
{
	const struct ptk_fmt *f = t->fmt;
	const struct hx_root *r = t->root;
	unsigned int l, refs = 0;
	ptk_va_t vm = va & ptk_lg2_mask(f->va_bits);

	for (l = 0; l < r->nleaf; l++) {
		const struct hx_set *s = &r->lv[l];
		unsigned int shift = f->level_shift[l];
		unsigned int cs = shift + r->cl[l];
		uint64_t lines = 0;
		int64_t slot;

		if (!s->nr)
			continue;
		slot = hx_find_n(s, (cs >= 64 ? 0 : vm >> cs) + 1, &lines);
		refs += (unsigned int)lines;
		if (slot < 0)
			continue;
		refs++;
		if (hx_ld(f, hx_vp(s, (uint64_t)slot),
			  (va >> shift) & ptk_lg2_mask(r->cl[l])))
			break;
	}
	return refs;
}

/* --- leaves in address order */

/* A cursor over the leaves that meet [pos, last], in address order. */
struct hx_lcur {
	ptk_va_t pos;
	ptk_va_t last;
	ptk_va_t cand[PTK_MAX_LEVELS]; /* masked; HX_NONE: no more */
	ptk_pte_t cpte[PTK_MAX_LEVELS];
	bool known[PTK_MAX_LEVELS];
};

static void hx_lcur_init(struct hx_lcur *cur, ptk_va_t pos, ptk_va_t last)
{
	PTK_MEMSET(cur, 0, sizeof(*cur));
	cur->pos = pos;
	cur->last = last;
}

/*
 * The first leaf that meets [cur->pos, cur->last]. Each level's next
 * leaf is kept until the position passes it, so a scan costs one search
 * per leaf of the level it is at.
 */
static bool hx_lcur_next(struct hx_view *v, struct hx_lcur *cur,
			 struct hx_hit *out)
{
	ptk_va_t pm = hx_vm(v, cur->pos), best = HX_NONE;
	unsigned int l, bl = 0;
	struct hx_hit h;

	for (l = 0; l < v->r->nleaf; l++) {
		if (!v->r->lv[l].nr)
			continue;
		if (!cur->known[l] ||
		    (cur->cand[l] != HX_NONE &&
		     cur->cand[l] + ptk_lg2_mask(hx_shift(v, l)) < pm)) {
			cur->known[l] = true;
			cur->cand[l] = HX_NONE;
			if (hx_first_at(v, l, cur->pos, cur->last, &h)) {
				cur->cand[l] = hx_vm(v, h.va);
				cur->cpte[l] = h.pte;
			}
		}
		if (cur->cand[l] != HX_NONE &&
		    (best == HX_NONE || cur->cand[l] < best)) {
			best = cur->cand[l];
			bl = l;
		}
	}
	if (best == HX_NONE)
		return false;
	out->va = hx_sext(v, best);
	out->pte = cur->cpte[bl];
	out->level = bl;
	return true;
}

/* --- walk */

/*
 * Units (leaves, or whole groups of 2^@ulg2 entries) after the one at
 * @u_va (first entry @pte) that continue its run: consecutive, contiguous
 * OAs, equal other bits. At most @max in all.
 */
static uint64_t hx_run_len(struct hx_view *v, unsigned int l, ptk_va_t u_va,
			   ptk_pte_t pte, uint64_t max, unsigned int ulg2)
{
	const struct ptk_fmt *f = v->f;
	unsigned int ushift = f->level_shift[l] + ulg2;
	ptk_oa_t oa = hx_leaf_oa(f, l, pte) & ~ptk_lg2_mask(ushift);
	uint64_t room = (ptk_lg2_mask(f->oa_bits) - oa) >> ushift, n = 1;
	ptk_pte_t amask = ~f->leaf_oa_mask[l];

	if (max > room + 1)
		max = room + 1;
	if (!ulg2) {
		/* plain leaves: straight through each record's entries */
		while (n < max) {
			ptk_va_t uva = u_va + (n << ushift);
			const unsigned char *rec =
				hx_rec(v, l, hx_ck(v, l, uva));
			uint64_t j = hx_ci(v, l, uva);
			uint64_t nj = (uint64_t)1 << v->r->cl[l];

			if (!rec)
				return n;
			for (; n < max && j < nj; n++, j++) {
				ptk_pte_t e = hx_ld(f, rec, j);

				if (!e || ((e ^ pte) & amask) ||
				    (hx_leaf_oa(f, l, e) &
				     ~ptk_lg2_mask(ushift)) !=
					    oa + (n << ushift))
					return n;
			}
		}
		return n;
	}
	while (n < max) {
		ptk_va_t uva = u_va + (n << ushift);
		ptk_pte_t e = hx_leaf(v, l, uva);

		if (!e || ((e ^ pte) & amask) ||
		    (hx_leaf_oa(f, l, e) & ~ptk_lg2_mask(ushift)) !=
			    oa + (n << ushift) ||
		    !hx_group_whole(v, l, uva))
			break;
		n++;
	}
	return n;
}

/* The last address of the radix table at level @l that holds @va. */
static ptk_va_t hx_tbl_last(const struct hx_view *v, unsigned int l,
			    ptk_va_t va, ptk_va_t last)
{
	const struct ptk_fmt *f = v->f;
	unsigned int span = f->level_shift[l] + f->level_bits[l];
	ptk_va_t tl;

	if (l + 1u >= f->levels || span >= 64)
		return last;
	tl = va | ptk_lg2_mask(span);
	return tl < last ? tl : last;
}

struct hx_walk_attrs {
	bool valid;
	unsigned int level;
	ptk_pte_t key;
	struct ptk_attrs attrs;
};

/*
 * ops->leaves: the leaves of level @l from the one @h found, in batches
 * of up to PTK_WALK_BATCH, while they are of one radix table (and, when
 * holes are reported, consecutive), as the engine batches them. Returns
 * the hook's value; *@end gets the last address handed over.
 */
static int hx_walk_batch(struct hx_view *v, struct hx_lcur *cur,
			 const struct hx_hit *h, const struct ptk_walk_ops *ops,
			 void *arg, struct ptk_walk_page *pages, ptk_va_t last,
			 ptk_va_t *end)
{
	const struct ptk_fmt *f = v->f;
	unsigned int l = h->level, shift = f->level_shift[l];
	ptk_va_t tl = hx_tbl_last(v, l, h->va, last), next;
	struct ptk_walk_batch b;
	struct hx_hit n = *h;
	uint64_t k = 0;
	int rc;

	b.pages = pages;
	b.level = l;
	b.size_lg2 = shift;
	for (;;) {
		if (k == PTK_WALK_BATCH) {
			b.count = k;
			rc = ops->leaves(&b, arg);
			if (rc)
				return rc;
			k = 0;
		}
		pages[k].va = n.va;
		pages[k].oa = hx_entry_oa(f, l, n.pte, n.va);
		pages[k++].pte = n.pte;
		*end = n.va + ptk_lg2_mask(shift);
		next = *end + 1;
		if (hx_vm(v, *end) >= hx_vm(v, tl))
			break;
		cur->pos = next;
		if (!hx_lcur_next(v, cur, &n) || n.level != l ||
		    hx_vm(v, n.va) > hx_vm(v, tl) ||
		    (ops->hole && n.va != next))
			break;
	}
	b.count = k;
	return ops->leaves(&b, arg);
}

static int hx_walk(const struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		   const struct ptk_walk_ops *ops, void *arg)
{
	const struct ptk_fmt *f = t->fmt;
	struct hx_walk_attrs da = { 0 };
	struct ptk_walk_page pages[PTK_WALK_BATCH];
	struct hx_view v;
	struct hx_lcur cur;
	struct hx_hit h;
	ptk_va_t pos = va;
	int rc;

	if (!ops->leaf && !ops->leaves && !ops->hole && !ops->invalid)
		return 0;
	hx_view_init(&v, t);
	hx_lcur_init(&cur, va, last);
	while (hx_lcur_next(&v, &cur, &h)) {
		unsigned int l = h.level, shift = f->level_shift[l];
		unsigned int ulg2 = 0, ushift = shift;
		ptk_va_t e_va = h.va, b;
		ptk_pte_t pte = h.pte;
		ptk_oa_t oa = hx_leaf_oa(f, l, pte);
		uint64_t max, n;
		struct ptk_walk_leaf lf;

		if (ops->hole && hx_vm(&v, h.va) > hx_vm(&v, pos)) {
			rc = ops->hole(pos, h.va - 1, f->levels - 1u, arg);
			if (rc)
				return rc;
		}
		if (ops->leaves) {
			rc = hx_walk_batch(&v, &cur, &h, ops, arg, pages, last,
					   &b);
			if (rc)
				return rc;
			if (hx_vm(&v, b) >= hx_vm(&v, last))
				return 0;
			pos = b + 1;
			cur.pos = pos;
			continue;
		}
		if (hx_vm(&v, e_va) < hx_vm(&v, pos))
			e_va = pos & ~ptk_lg2_mask(shift);
		max = ((hx_tbl_last(&v, l, e_va, last) - e_va) >> shift) + 1;
		if (hx_is_contig(f, l, pte)) {
			unsigned int cl = f->contig_lg2[l];
			ptk_va_t gmask = ptk_lg2_mask(shift + cl);

			if (hx_group_whole(&v, l, e_va & ~gmask)) {
				ulg2 = cl;
				ushift = shift + cl;
				e_va &= ~gmask;
				pte = hx_leaf(&v, l, e_va);
				oa = hx_leaf_oa(f, l, pte);
				max = ((hx_tbl_last(&v, l, e_va, last) -
					e_va) >>
				       ushift) +
				      1;
			} else {
				oa = (oa & ~gmask) + (e_va & gmask);
				max = 1;
			}
		}
		n = hx_run_len(&v, l, e_va, pte, max, ulg2);
		if (ops->leaf) {
			ptk_pte_t key = pte & ~f->leaf_oa_mask[l];

			if (!da.valid || da.key != key || da.level != l) {
				f->hooks->decode(f, l, pte, &da.attrs);
				da.key = key;
				da.level = l;
				da.valid = true;
			}
			lf.va = e_va;
			lf.oa = oa & ~ptk_lg2_mask(ushift);
			lf.count = n;
			lf.pte = pte;
			lf.attrs = da.attrs;
			lf.level = l;
			lf.size_lg2 = ushift;
			rc = ops->leaf(&lf, arg);
			if (rc)
				return rc;
		}
		b = e_va + ((n << ushift) - 1);
		if (hx_vm(&v, b) >= hx_vm(&v, last))
			return 0;
		pos = b + 1;
		cur.pos = pos;
	}
	if (ops->hole)
		return ops->hole(pos, last, f->levels - 1u, arg);
	return 0;
}

/* --- protect */

/* Dry run: the leaf of virtual table c->vt[l] at @e_va. */
static int hx_vleaf(struct hx_op *c, unsigned int l, ptk_va_t e_va,
		    ptk_pte_t *out)
{
	const struct ptk_fmt *f = c->f;
	ptk_pte_t bits;
	int rc = f->hooks->encode(f, l, &c->vt[l].attrs, 0, &bits);

	if (rc)
		return rc;
	*out = f->hooks->make_leaf(f, l, c->vt[l].oa + (e_va - c->vt[l].va),
				   bits);
	return 0;
}

static int hx_prot_rec(struct hx_op *c, unsigned int l, bool virt, ptk_va_t va,
		       ptk_va_t last)
{
	struct hx_view *v = &c->v;
	const struct ptk_fmt *f = c->f;
	unsigned int shift = f->level_shift[l];
	ptk_va_t smask = ptk_lg2_mask(shift), x = va;
	bool split_ok = c->oflags & PTK_PROTECT_SPLIT;
	int rc, type;

	if (f->contig_lg2[l] && !virt) {
		rc = hx_fix_groups(c, v, l, va, last, split_ok, PTK_ESPLIT);
		if (rc)
			return rc;
	}
	for (;;) {
		ptk_va_t e_va, e_last, y;
		ptk_pte_t pte, n;
		bool full;

		if (!hx_next_entry(v, l, virt, &x, last, &type, &pte))
			return 0;
		e_va = x & ~smask;
		e_last = e_va | smask;
		y = e_last < last ? e_last : last;
		full = l == 0 || (x == e_va && y == e_last);
		if (type == HX_TABLE) {
			rc = hx_prot_rec(c, l - 1, false, x, y);
			if (rc)
				return rc;
		} else if (!full) {
			if (!split_ok)
				return PTK_ESPLIT;
			if (c->dry) {
				rc = hx_dry_split(c, l, virt, pte, e_va, false);
				if (!rc)
					rc = hx_prot_rec(c, l - 1, true, x, y);
				if (rc)
					return rc;
			} else {
				hx_split_leaf(c, v, l, pte, false, e_va);
				hx_prot_rec(c, l - 1, false, x, y);
			}
		} else if (virt) {
			rc = hx_vleaf(c, l, e_va, &pte);
			if (!rc)
				rc = hx_reprot(c, l, pte, false, &n);
			if (rc)
				return rc;
		} else {
			/* A run of whole leaves, in one go. */
			uint64_t max = ((last - e_va) >> shift) +
				       (((last - e_va) & smask) == smask);
			uint64_t k = 0;
			bool changed = false;

			(void)n;
			/* (entries only change in place: records stay put) */
			while (k < max) {
				ptk_va_t ev = e_va + (k << shift);
				unsigned char *rec =
					hx_rec(v, l, hx_ck(v, l, ev));
				uint64_t j = hx_ci(v, l, ev);
				uint64_t nj = (uint64_t)1 << v->r->cl[l];

				if (!rec)
					break;
				for (; k < max && j < nj; k++, j++) {
					pte = hx_ld(f, rec, j);
					if (!pte)
						goto prot_run_end;
					rc = hx_reprot(c, l, pte, false, &n);
					if (rc)
						return rc;
					if (!c->dry && n != pte) {
						hx_st(f, rec, j, n);
						changed = true;
					}
				}
			}
		prot_run_end:
			y = e_va + ((k << shift) - 1);
			if (y > last)
				y = last;
			if (changed)
				ptk_gpend__add(&c->gp, c->g, e_va, y);
		}
		if (y >= last)
			return 0;
		x = y + 1;
	}
}

static int hx_protect(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		      uint32_t prot, unsigned int flags, struct ptk_gather *g)
{
	unsigned int top = t->fmt->levels - 1u;
	struct hx_op c;
	int rc;

	hx_op_init(&c, t, g);
	c.prot = prot;
	c.oflags = flags;
	hx_masks(&c);
	c.dry = true;
	rc = hx_prot_rec(&c, top, false, va, last);
	if (rc)
		return rc;
	rc = hx_reserve(&c);
	if (rc)
		return rc;
	c.dry = false;
	hx_prot_rec(&c, top, false, va, last);
	hx_finish(&c);
	return 0;
}

/* --- harvest */

/* Hand the pending run of pages to the callback. */
static int hx_h_flush(struct hx_op *c)
{
	int rc = 0;

	if (c->h_found) {
		rc = c->fn(c->h_va, c->h_last - c->h_va + 1, c->h_found,
			   c->arg);
		c->h_found = 0;
	}
	return rc;
}

/* Pages [@a, @b] have @found set: extend the run, or start a new one. */
static int hx_h_add(struct hx_op *c, ptk_va_t a, ptk_va_t b, unsigned int found)
{
	int rc;

	if (c->h_found == found && a == c->h_last + 1) {
		c->h_last = b;
		return 0;
	}
	rc = hx_h_flush(c);
	c->h_va = a;
	c->h_last = b;
	c->h_found = found;
	return rc;
}

static int hx_harvest(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		      unsigned int what, unsigned int flags,
		      int (*fn)(ptk_va_t va, uint64_t len, unsigned int found,
				void *arg),
		      void *arg, struct ptk_gather *g)
{
	const struct ptk_fmt *f = t->fmt;
	struct hx_lcur cur;
	struct hx_hit h;
	struct hx_op c;
	ptk_va_t pos = va;
	unsigned int l;
	int rc;

	hx_op_init(&c, t, g);
	c.oflags = flags;
	c.fn = fn;
	c.arg = arg;
	hx_masks(&c);
	for (l = 0; l < f->levels; l++) {
		if (!(what & PTK_ATTR_ACCESSED))
			c.admask[l][0] = 0;
		if (!(what & PTK_ATTR_DIRTY))
			c.admask[l][1] = 0;
	}
	hx_lcur_init(&cur, va, last);
	while (hx_lcur_next(&c.v, &cur, &h)) {
		unsigned int shift = f->level_shift[h.level];
		ptk_va_t smask = ptk_lg2_mask(shift);
		ptk_pte_t ma = c.admask[h.level][0], md = c.admask[h.level][1];
		ptk_pte_t clear = (flags & PTK_HARVEST_CLEAR) ? (ma | md) : 0;
		ptk_va_t a = hx_vm(&c.v, h.va) < hx_vm(&c.v, pos) ? pos : h.va;
		ptk_va_t b;
		unsigned int found = 0;

		/* (an empty stretch before the leaf ends the pending run) */
		if (a != pos && c.h_found) {
			rc = hx_h_flush(&c);
			if (rc)
				goto out;
		}
		if (hx_is_contig(f, h.level, h.pte)) {
			/* A group is one page to the hardware. */
			unsigned int cl = f->contig_lg2[h.level];
			ptk_va_t gva = h.va & ~ptk_lg2_mask(shift + cl);
			ptk_va_t glast = gva | ptk_lg2_mask(shift + cl);
			uint64_t k;

			for (k = 0; k < ((uint64_t)1 << cl); k++) {
				ptk_pte_t e = hx_leaf(&c.v, h.level,
						      gva + (k << shift));

				found |= ((e & ma) ? PTK_ATTR_ACCESSED : 0) |
					 ((e & md) ? PTK_ATTR_DIRTY : 0);
			}
			b = glast < last ? glast : last;
			if (found) {
				rc = hx_h_add(&c, a, b, found);
				if (rc)
					goto out;
				if (clear) {
					for (k = 0; k < ((uint64_t)1 << cl);
					     k++) {
						ptk_va_t ev =
							gva + (k << shift);

						hx_put(&c.v, h.level, ev,
						       hx_leaf(&c.v, h.level,
							       ev) &
							       ~clear);
					}
					ptk_gpend__add(&c.gp, g, gva, glast);
				}
			} else if (c.h_found) {
				rc = hx_h_flush(&c);
				if (rc)
					goto out;
			}
		} else {
			found = !(h.pte & (ma | md))
					? 0
					: ((h.pte & ma) ? PTK_ATTR_ACCESSED
							: 0) |
						  ((h.pte & md) ? PTK_ATTR_DIRTY
								: 0);
			b = (h.va | smask) < last ? (h.va | smask) : last;
			if (found) {
				rc = hx_h_add(&c, a, b, found);
				if (rc)
					goto out;
				if (clear) {
					hx_put(&c.v, h.level, h.va,
					       h.pte & ~clear);
					ptk_gpend__add(&c.gp, g, h.va,
						       h.va | smask);
				}
			} else if (c.h_found) {
				rc = hx_h_flush(&c);
				if (rc)
					goto out;
			}
		}
		if (hx_vm(&c.v, b) >= hx_vm(&c.v, last))
			break;
		pos = b + 1;
		cur.pos = pos;
	}
	rc = hx_h_flush(&c);
out:
	ptk_gpend__flush(&c.gp, g);
	return rc;
}

/* --- copy (fork) */

/*
 * Map [@a, @b] of the destination (level @l, @dvirt: known empty) to
 * @oa with the attributes of leaf @e of level @el, with map's rules (the
 * engine's map_like()).
 */
static int hx_map_like(struct hx_op *c, unsigned int l, bool dvirt, ptk_va_t a,
		       ptk_va_t b, ptk_oa_t oa, unsigned int el, ptk_pte_t e)
{
	const struct ptk_fmt *f = c->f;
	struct ptk_attrs attrs;
	unsigned int flags = c->flags, max = c->max_lg2;
	int rc;

	f->hooks->decode(f, el, e, &attrs);
	rc = hx_encode_all(c, &attrs, 0, l);
	if (rc)
		return rc;
	c->va0 = a;
	c->oa0 = oa;
	c->flags = 0;
	c->max_lg2 = 64;
	if (dvirt)
		c->vt[l].split = false;
	rc = hx_map_rec(c, l, dvirt, a, b);
	c->flags = flags;
	c->max_lg2 = max;
	return rc;
}

/* The state of the destination's level-@l entry at @e_va. */
static int hx_dstate(struct hx_op *c, struct hx_hz *hz, bool dvirt,
		     unsigned int l, ptk_va_t e_va, ptk_va_t lim,
		     ptk_pte_t *pte)
{
	ptk_va_t smask = ptk_lg2_mask(c->f->level_shift[l]);

	*pte = 0;
	if (dvirt)
		return HX_EMPTY;
	return hx_state(&c->v, hz, l, e_va, e_va | smask, lim, pte);
}

static int hx_copy_rec(struct hx_op *c, unsigned int l, bool dvirt, ptk_va_t va,
		       ptk_va_t last)
{
	struct hx_view *sv = &c->sv;
	const struct ptk_fmt *f = c->f;
	unsigned int shift = f->level_shift[l], cl = f->contig_lg2[l];
	ptk_va_t smask = ptk_lg2_mask(shift), x = va, lim = last | smask;
	bool cow = c->oflags & PTK_COPY_COW;
	struct hx_hz dhz = { 0 };
	int rc, st, dt;

	/* Copy-on-write must not change a group's pages outside the range. */
	if (cl && cow && !c->dry)
		hx_fix_groups(c, sv, l, va, last, true, 0);
	for (;;) {
		ptk_va_t e_va, e_last, y;
		ptk_pte_t se, de;
		bool full;

		if (!hx_next_entry(sv, l, false, &x, last, &st, &se))
			return 0;
		e_va = x & ~smask;
		e_last = e_va | smask;
		y = e_last < last ? e_last : last;
		full = l == 0 || (x == e_va && y == e_last);
		dt = hx_dstate(c, &dhz, dvirt, l, e_va, lim, &de);
		if (st == HX_TABLE) {
			if (dt == HX_LEAF)
				return PTK_EEXIST;
			rc = hx_copy_rec(c, l - 1, dvirt || dt == HX_EMPTY, x,
					 y);
			if (rc)
				return rc;
		} else if (dt != HX_EMPTY && (full || dt != HX_TABLE)) {
			return PTK_EEXIST;
		} else if (!full) {
			/* Part of a huge leaf: map that part. */
			if (cow)
				return PTK_ESPLIT;
			rc = hx_map_like(c, l, dvirt, x, y,
					 hx_leaf_oa(f, l, se) + (x - e_va), l,
					 se);
			if (rc)
				return rc;
		} else if (hx_is_contig(f, l, se) && !cow &&
			   (x > (e_va & ~ptk_lg2_mask(shift + cl)) ||
			    last < (e_va | ptk_lg2_mask(shift + cl)))) {
			/* Part of a group: plain leaves. */
			rc = hx_map_like(c, l, dvirt, x, y,
					 hx_entry_oa(f, l, se, e_va), l, se);
			if (rc)
				return rc;
		} else {
			/* A run of whole leaves into empty entries. */
			uint64_t max = ((last - e_va) >> shift) +
				       (((last - e_va) & smask) == smask);
			uint64_t k = 0;
			ptk_pte_t n = se;
			bool changed = false;

			if (cl) {
				uint64_t idx = (e_va >> shift) &
					       ptk_lg2_mask(cl);

				if (max > ((uint64_t)1 << cl) - idx)
					max = ((uint64_t)1 << cl) - idx;
			}
			if (cow) {
				rc = hx_reprot(c, l, se, true, &n);
				if (rc)
					return rc;
			}
			for (;;) {
				ptk_va_t ev = e_va + (k << shift);

				if (!c->dry) {
					hx_put(&c->v, l, ev, n);
					if (n != se) {
						hx_put(sv, l, ev, n);
						changed = true;
					}
				}
				if (++k >= max)
					break;
				ev += smask + 1;
				se = hx_leaf(sv, l, ev);
				if (!se ||
				    (!dvirt && hx_dstate(c, &dhz, false, l, ev,
							 lim, &de) != HX_EMPTY))
					break;
				n = se;
				if (cow) {
					rc = hx_reprot(c, l, se, true, &n);
					if (rc)
						return rc;
				}
			}
			y = e_va + ((k << shift) - 1);
			if (y > last)
				y = last;
			if (c->dry)
				hx_count_range(c, l, e_va, y);
			if (changed)
				ptk_gpend__add(&c->gp, c->g, e_va, y);
		}
		if (y >= last)
			return 0;
		x = y + 1;
	}
}

static int hx_copy(struct ptk_table *dst, const struct ptk_table *src,
		   ptk_va_t va, ptk_va_t last, unsigned int flags,
		   struct ptk_gather *g)
{
	unsigned int top = dst->fmt->levels - 1u;
	struct hx_op c;
	int rc;

	if (src->ops != dst->ops)
		return PTK_EINVAL;
	hx_op_init(&c, dst, g);
	hx_view_init(&c.sv, src);
	c.oflags = flags;
	hx_masks(&c);
	c.dry = true;
	rc = hx_copy_rec(&c, top, false, va, last);
	if (rc)
		return rc;
	rc = hx_reserve(&c);
	if (rc)
		return rc;
	PTK_MEMSET(c.pc_ok, 0, sizeof(c.pc_ok));
	c.dry = false;
	hx_copy_rec(&c, top, false, va, last);
	hx_finish(&c);
	return 0;
}

/* --- move (mremap) */

/*
 * The engine's dst_table() for @dva at level @l: a leaf of a larger page
 * size holding @dva is in the way.
 */
static int hx_dst_path(struct hx_op *c, unsigned int l, ptk_va_t dva)
{
	unsigned int m;

	for (m = l + 1u; m < c->v.r->nleaf; m++)
		if (hx_leaf(&c->v, m, dva))
			return PTK_EEXIST;
	return 0;
}

/*
 * Relink: every record below level @l in [@va, @last] moves by c->delta
 * (a multiple of the level's entry span, so of every record's span).
 */
static void hx_relink(struct hx_op *c, unsigned int l, ptk_va_t va,
		      ptk_va_t last)
{
	struct hx_view *v = &c->v;
	unsigned int m;

	for (m = 0; m < l && m < v->r->nleaf; m++) {
		struct hx_set *s = &v->r->lv[m];
		uint64_t ck = hx_ck(v, m, va), ckmax = hx_ck(v, m, last);
		size_t vs = (size_t)1 << s->val_lg2;

		while ((ck = hx_next_ck(v, m, ck, ckmax)) != HX_NONE) {
			uint64_t nck = hx_ck(v, m, hx_cva(v, m, ck) + c->delta);

			if (c->dry) {
				hx_count_rec(c, m, nck);
			} else {
				void *to = hx_rec_make(v, m, nck);

				PTK_MEMCPY(to, hx_rec(v, m, ck), vs);
				hx_rec_drop(v, m, ck);
			}
			if (ck == ckmax)
				break;
			ck++;
		}
	}
}

static int hx_move_rec(struct hx_op *c, unsigned int l, ptk_va_t va,
		       ptk_va_t last)
{
	struct hx_view *v = &c->v;
	const struct ptk_fmt *f = c->f;
	unsigned int top = f->levels - 1u, shift = f->level_shift[l];
	ptk_va_t smask = ptk_lg2_mask(shift), x = va;
	struct hx_hz dhz = { 0 };
	int rc, type;

	for (;;) {
		ptk_va_t e_va, e_last, y;
		ptk_pte_t e, de;
		bool full;

		if (!hx_next_entry(v, l, false, &x, last, &type, &e))
			return 0;
		e_va = x & ~smask;
		e_last = e_va | smask;
		y = e_last < last ? e_last : last;
		full = l == 0 || (x == e_va && y == e_last);
		if (type == HX_TABLE) {
			if (full && l < top && !(c->delta & smask)) {
				/* Aligned: relink the whole table. */
				ptk_va_t dva = e_va + c->delta;

				rc = hx_dst_path(c, l, dva);
				if (!rc &&
				    hx_state(v, &dhz, l, dva, dva | smask,
					     dva | smask, &de) != HX_EMPTY)
					rc = PTK_EEXIST;
				if (rc)
					return rc;
				hx_relink(c, l, e_va, e_last);
				if (!c->dry)
					ptk_gpend__add(&c->gp, c->g, e_va,
						       e_last);
			} else {
				rc = hx_move_rec(c, l - 1, x, y);
				if (rc)
					return rc;
			}
		} else {
			ptk_oa_t oa = hx_entry_oa(f, l, e, e_va);
			bool contig = hx_is_contig(f, l, e);
			uint64_t max = ((last - e_va) >> shift) +
				       (((last - e_va) & smask) == smask);

			if (!full && !(c->oflags & PTK_MOVE_SPLIT))
				return PTK_ESPLIT;
			if (full && !(c->delta & smask) && !contig) {
				/* The leaves keep their size: move the
				 * entries themselves. */
				ptk_va_t dva = e_va + c->delta;
				uint64_t k, room, kmax = max;

				rc = hx_dst_path(c, l, dva);
				if (rc)
					return rc;
				room = ((hx_tbl_last(v, l, dva, ~(ptk_va_t)0) -
					 dva) >>
					shift) +
				       1;
				if (l + 1u >= f->levels)
					room = kmax;
				if (kmax > room)
					kmax = room;
				for (k = 0; k < kmax; k++) {
					ptk_va_t sva = e_va + (k << shift);
					ptk_va_t tva = dva + (k << shift);
					ptk_pte_t se = hx_leaf(v, l, sva);

					if (!se || hx_is_contig(f, l, se))
						break;
					if (hx_state(v, &dhz, l, tva,
						     tva | smask,
						     dva + ((kmax << shift) - 1),
						     &de) != HX_EMPTY)
						return PTK_EEXIST;
					if (c->dry)
						hx_count_rec(c, l,
							     hx_ck(v, l, tva));
					else
						hx_put(v, l, tva, se);
				}
				if (k) {
					y = e_va + ((k << shift) - 1);
					goto next;
				}
			}
			if (full && !contig) {
				uint64_t n = hx_run_len(v, l, e_va, e, max, 0);

				y = e_va + ((n << shift) - 1);
			}
			rc = hx_map_like(c, top, false, x + c->delta,
					 y + c->delta, oa + (x - e_va), l, e);
			if (rc)
				return rc;
		}
	next:
		if (y >= last)
			return 0;
		x = y + 1;
	}
}

static int hx_move(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		   ptk_va_t new_va, unsigned int flags, struct ptk_gather *g)
{
	unsigned int top = t->fmt->levels - 1u;
	struct hx_op c;
	int rc;

	hx_op_init(&c, t, g);
	c.oflags = flags;
	c.delta = new_va - va;
	/* Dry: place every piece at the destination (against the table as
	 * it is), then take the source away. */
	c.dry = true;
	rc = hx_move_rec(&c, top, va, last);
	if (rc)
		return rc;
	c.flags = (flags & PTK_MOVE_SPLIT) ? PTK_UNMAP_SPLIT : 0;
	PTK_MEMSET(c.vt, 0, sizeof(c.vt));
	rc = hx_unmap_rec(&c, top, false, va, last);
	if (rc)
		return rc;
	rc = hx_reserve(&c);
	if (rc)
		return rc;
	c.dry = false;
	c.flags = 0;
	hx_move_rec(&c, top, va, last);
	c.flags = (flags & PTK_MOVE_SPLIT) ? PTK_UNMAP_SPLIT : 0;
	hx_unmap_rec(&c, top, false, va, last);
	hx_finish(&c);
	return 0;
}

/* --- split and collapse */

static int hx_split(struct ptk_table *t, ptk_va_t va, unsigned int l,
		    struct ptk_gather *g)
{
	const struct ptk_fmt *f = t->fmt;
	ptk_va_t e_va = va & ~ptk_lg2_mask(f->level_shift[l]);
	struct hx_op c;
	ptk_pte_t pte;
	int rc;

	hx_op_init(&c, t, g);
	pte = hx_leaf(&c.v, l, va);
	if (!pte)
		return PTK_ENOENT;
	if (hx_is_contig(f, l, pte)) {
		/* A group splits into plain leaves, in place. */
		ptk_va_t g_va = va & ~ptk_lg2_mask(f->level_shift[l] +
						   f->contig_lg2[l]);

		c.dry = true;
		rc = hx_fix_groups(&c, &c.v, l, g_va, g_va, true, 0);
		if (rc)
			return rc;
		c.dry = false;
		hx_fix_groups(&c, &c.v, l, g_va, g_va, true, 0);
	} else {
		if (l == 0)
			return PTK_ENOENT;
		c.dry = true;
		rc = hx_dry_split(&c, l, false, pte, e_va, false);
		if (rc)
			return rc;
		rc = hx_reserve(&c);
		if (rc)
			return rc;
		c.dry = false;
		hx_split_leaf(&c, &c.v, l, pte, false, e_va);
	}
	hx_finish(&c);
	return 0;
}

static bool hx_attrs_eq(const struct ptk_attrs *a, const struct ptk_attrs *b)
{
	return a->prot == b->prot && a->flags == b->flags &&
	       a->memtype == b->memtype && a->sw == b->sw;
}

static int hx_collapse(struct ptk_table *t, ptk_va_t va, unsigned int l,
		       struct ptk_gather *g)
{
	const struct ptk_fmt *f = t->fmt;
	unsigned int shift = f->level_shift[l], lv, csh;
	ptk_va_t e_va = va & ~ptk_lg2_mask(shift);
	ptk_va_t e_last = e_va | ptk_lg2_mask(shift);
	struct ptk_attrs a0, aj;
	struct hx_hz hz;
	struct hx_op c;
	ptk_pte_t p, c0, bits;
	ptk_oa_t oa0;
	uint64_t n, j;
	int rc;

	hx_op_init(&c, t, g);
	/* The engine finds the table holding the entry first. */
	for (lv = f->levels - 1u; lv > l; lv--) {
		ptk_va_t m = ptk_lg2_mask(f->level_shift[lv]);

		PTK_MEMSET(&hz, 0, sizeof(hz));
		if (hx_state(&c.v, &hz, lv, va & ~m, va | m, va | m, &p) !=
		    HX_TABLE)
			return PTK_ENOENT;
	}
	if (l == 0 || !hx_leaf_ok(f, l))
		return PTK_ENOTSUP;
	PTK_MEMSET(&hz, 0, sizeof(hz));
	if (hx_state(&c.v, &hz, l, e_va, e_last, e_last, &p) != HX_TABLE)
		return PTK_ENOENT;
	csh = f->level_shift[l - 1];
	c0 = hx_leaf(&c.v, l - 1, e_va);
	if (!c0)
		return PTK_ENOTUNIFORM;
	oa0 = hx_entry_oa(f, l - 1, c0, e_va);
	if (oa0 & ptk_lg2_mask(shift))
		return PTK_ENOTUNIFORM;
	f->hooks->decode(f, l - 1, c0, &a0);
	n = (uint64_t)1 << f->level_bits[l - 1];
	for (j = 1; j < n; j++) {
		ptk_va_t ev = e_va + (j << csh);
		ptk_pte_t cj = hx_leaf(&c.v, l - 1, ev);

		if (!cj || hx_entry_oa(f, l - 1, cj, ev) != oa0 + (j << csh))
			return PTK_ENOTUNIFORM;
		f->hooks->decode(f, l - 1, cj, &aj);
		if (!hx_attrs_eq(&aj, &a0))
			return PTK_ENOTUNIFORM;
	}
	rc = f->hooks->encode(f, l, &a0, 0, &bits);
	if (rc)
		return rc;
	hx_count_rec(&c, l, hx_ck(&c.v, l, e_va));
	rc = hx_reserve(&c);
	if (rc)
		return rc;
	hx_clear_below(&c.v, l, e_va, e_last);
	hx_put(&c.v, l, e_va, f->hooks->make_leaf(f, l, oa0, bits));
	ptk_gather_add(g, e_va, e_last);
	hx_finish(&c);
	return 0;
}

/* --- the iterator */

/* @last inside the VA space (the end of its part when beyond it). */
static ptk_va_t hx_clip_last(const struct hx_view *v, ptk_va_t last)
{
	const struct ptk_fmt *f = v->f;
	unsigned int vb = f->va_bits;

	if (vb >= 64 || ptk_fmt_va_valid(f, last))
		return last;
	if (f->features & PTK_FMT_SIGN_EXTEND)
		return ptk_lg2_mask(vb - 1);
	return ptk_lg2_mask(vb);
}

static int hx_iter_next(struct ptk_iter *it)
{
	const struct ptk_fmt *f = it->t->fmt;
	ptk_va_t last, pm, best = HX_NONE, e_va, end;
	unsigned int l, bl = 0, shift, glg2;
	const unsigned char *rec;
	struct hx_view v;
	struct hx_hit h;
	uint64_t j, cnt = 1, max;
	ptk_pte_t pte;

	it->have_item = false;
	if (it->done)
		return 0;
	hx_view_init(&v, it->t);
	last = hx_clip_last(&v, it->last);
	pm = hx_vm(&v, it->pos);
	if (it->impl_gen != v.r->gen + 1) {
		for (l = 0; l < PTK_MAX_LEVELS; l++)
			it->impl_va[l] = HX_NONE - 1; /* unknown */
		it->impl_gen = v.r->gen + 1;
	}
	for (l = 0; l < v.r->nleaf; l++) {
		ptk_va_t cv = it->impl_va[l];

		if (!v.r->lv[l].nr)
			continue;
		if (cv == HX_NONE - 1 ||
		    (cv != HX_NONE &&
		     cv + ptk_lg2_mask(hx_shift(&v, l)) < pm)) {
			cv = HX_NONE;
			if (hx_first_at(&v, l, it->pos, last, &h))
				cv = hx_vm(&v, h.va);
			it->impl_va[l] = cv;
		}
		if (cv != HX_NONE && (best == HX_NONE || cv < best)) {
			best = cv;
			bl = l;
		}
	}
	if (best == HX_NONE) {
		it->done = true;
		return 0;
	}
	l = bl;
	shift = f->level_shift[l];
	e_va = hx_sext(&v, best);
	rec = hx_rec(&v, l, hx_ck(&v, l, e_va));
	j = hx_ci(&v, l, e_va);
	pte = hx_ld(f, rec, j);
	if (it->flags & PTK_ITER_RUNS) {
		ptk_va_t half = ptk_lg2_mask(f->va_bits - 1) + 1;

		max = ((uint64_t)1 << v.r->cl[l]) - j;
		if (max > ((hx_vm(&v, last) - best) >> shift) + 1)
			max = ((hx_vm(&v, last) - best) >> shift) + 1;
		/* Entries on both sides of the non-canonical hole. */
		if ((f->features & PTK_FMT_SIGN_EXTEND) && best < half &&
		    max > ((half - best) >> shift))
			max = (half - best) >> shift;
		while (cnt < max && hx_ld(f, rec, j + cnt))
			cnt++;
	}
	it->va = e_va;
	it->oa = hx_va_oa(f, l, pte, e_va, &glg2);
	it->count = cnt;
	it->pte = pte;
	it->level = l;
	it->size_lg2 = shift;
	it->entries = rec + (j << f->entry_lg2);
	if (!(it->flags & PTK_ITER_NO_ATTRS)) {
		ptk_pte_t key = pte & ~f->leaf_oa_mask[l];

		if (it->dkey != key || it->dlevel != l) {
			f->hooks->decode(f, l, pte, &it->attrs);
			it->dkey = key;
			it->dlevel = l;
		}
	}
	it->have_item = true;
	end = best + (cnt << shift); /* masked: the halves are adjacent */
	if (end - 1 >= hx_vm(&v, last) || end > ptk_lg2_mask(f->va_bits))
		it->done = true;
	else
		it->pos = hx_sext(&v, end);
	return 1;
}

static int hx_iter_set(struct ptk_iter *it, ptk_oa_t oa,
		       const struct ptk_attrs *attrs, unsigned int flags,
		       struct ptk_gather *g)
{
	const struct ptk_fmt *f = it->t->fmt;
	unsigned int l = it->level, shift = f->level_shift[l];
	struct hx_view v;
	unsigned char *rec;
	ptk_pte_t bits;
	uint64_t j, j0;
	int rc;

	if (oa & ptk_lg2_mask(shift))
		return PTK_EALIGN;
	if (oa + ((it->count << shift) - 1) < oa ||
	    !hx_oa_fits(f, l, oa + ((it->count << shift) - 1)))
		return PTK_ERANGE;
	hx_view_init(&v, it->t);
	rec = hx_rec(&v, l, hx_ck(&v, l, it->va));
	if (!rec)
		return PTK_EINVAL;
	j0 = hx_ci(&v, l, it->va);
	for (j = 0; j < it->count; j++)
		if (hx_is_contig(f, l, hx_ld(f, rec, j0 + j)))
			return PTK_ENOTSUP;
	rc = f->hooks->encode(f, l, attrs, flags & PTK_ENC_SUPERSET, &bits);
	if (rc)
		return rc;
	for (j = 0; j < it->count; j++)
		hx_st(f, rec, j0 + j,
		      f->hooks->make_leaf(f, l, oa + (j << shift), bits));
	ptk_gather_add(g, it->va, it->va + ((it->count << shift) - 1));
	it->oa = oa;
	it->pte = hx_ld(f, rec, j0);
	it->dkey = ~(ptk_pte_t)0;
	if (!(it->flags & PTK_ITER_NO_ATTRS)) {
		f->hooks->decode(f, l, it->pte, &it->attrs);
		it->dkey = it->pte & ~f->leaf_oa_mask[l];
		it->dlevel = l;
	}
	return 0;
}

static int hx_iter_clear(struct ptk_iter *it, struct ptk_gather *g)
{
	struct ptk_table *t = it->t;
	const struct ptk_fmt *f = t->fmt;
	unsigned int l = it->level, shift = f->level_shift[l];
	unsigned int cl = f->contig_lg2[l];
	ptk_va_t ilast = it->va + ((it->count << shift) - 1);
	struct hx_op c;
	uint64_t j;

	hx_op_init(&c, t, g);
	if (cl) {
		/* Groups the item covers in part become plain leaves. */
		ptk_va_t gmask = ptk_lg2_mask(shift + cl), ends[2];
		int i;

		ends[0] = it->va;
		ends[1] = ilast;
		for (i = 0; i < 2; i++) {
			ptk_va_t g_va = ends[i] & ~gmask;
			ptk_pte_t pte;

			if (i == 1 && g_va == (it->va & ~gmask))
				break;
			if (g_va >= it->va && (g_va | gmask) <= ilast)
				continue;
			pte = hx_leaf(&c.v, l, g_va);
			if (!pte || !hx_is_contig(f, l, pte))
				continue;
			hx_uncontig(&c.v, l, g_va);
			ptk_gather_add(g, g_va, g_va | gmask);
		}
	}
	for (j = 0; j < it->count; j++)
		hx_put(&c.v, l, it->va + (j << shift), 0);
	ptk_gather_add(g, it->va, ilast);
	hx_finish(&c);
	/* (what was found after the item is still there) */
	it->impl_gen = c.v.r->gen + 1;
	it->have_item = false;
	return 0;
}

/* --- check */

static int hx_fail(struct ptk_check *out, int level, ptk_va_t va,
		   const char *what)
{
	out->bad_level = level;
	out->bad_va = va;
	out->what = what;
	return PTK_ECORRUPT;
}

/* The engine's check_group() on the group holding the entry at @ev. */
static bool hx_group_ok(struct hx_view *v, unsigned int l, ptk_va_t ev)
{
	const struct ptk_fmt *f = v->f;
	unsigned int cl = f->contig_lg2[l], shift = f->level_shift[l];
	ptk_va_t g_va = ev & ~ptk_lg2_mask(shift + cl);
	ptk_pte_t pte = hx_leaf(v, l, g_va), bits, first, ad;
	struct ptk_attrs attrs;
	uint64_t k;

	if (!pte || !hx_is_contig(f, l, pte))
		return false;
	if (g_va != ev)
		return true;
	f->hooks->decode(f, l, pte, &attrs);
	if (f->hooks->encode(f, l, &attrs, 0, &bits))
		return false;
	first = f->hooks->make_leaf(
		f, l, hx_leaf_oa(f, l, pte) & ~ptk_lg2_mask(shift + cl), bits);
	ad = hx_ad_bits(f, l);
	for (k = 0; k < ((uint64_t)1 << cl); k++)
		if ((hx_leaf(v, l, g_va + (k << shift)) ^
		     f->hooks->contig_entry(f, l, first, (unsigned int)k)) &
		    ~ad)
			return false;
	return true;
}

/* Every record of level @l: reachable, not empty, valid leaves only,
 * known to the summary, no smaller leaf under a larger one. */
static int hx_check_level(struct ptk_check *out, struct hx_view *v,
			  unsigned int l)
{
	const struct ptk_fmt *f = v->f;
	const struct hx_set *s = &v->r->lv[l];
	unsigned int shift = f->level_shift[l];
	uint64_t i, j, n = (uint64_t)1 << v->r->cl[l], seen = 0;

	if (s->nr && !hx_fits(s->nr, s->cap_lg2))
		return hx_fail(out, (int)l, 0, "hash over its load limit");
	for (i = 0; s->cap_lg2 && i < ((uint64_t)1 << s->cap_lg2); i++) {
		uint64_t key = *hx_kp(s, i), ck;
		const void *e;
		bool any = false;

		if (!key)
			continue;
		seen++;
		ck = key - 1;
		if (hx_find(s, key) != (int64_t)i)
			return hx_fail(out, (int)l, hx_cva(v, l, ck),
				       "record not reachable from its home");
		if (!(hx_sbits(v, l, 1, ck >> HX_FAN) &
		      (UINT64_C(1) << (ck & 63))))
			return hx_fail(out, (int)l, hx_cva(v, l, ck),
				       "record missing from the summary");
		e = hx_vp(s, i);
		for (j = 0; j < n; j++) {
			ptk_pte_t pte = hx_ld(f, e, j);
			ptk_va_t ev = hx_cva(v, l, ck) + (j << shift);
			struct hx_hit h;

			if (!pte)
				continue;
			any = true;
			out->leaves[l]++;
			if (f->hooks->classify(f, l, pte) != PTK_ENTRY_LEAF)
				return hx_fail(out, (int)l, ev,
					       "invalid entry");
			if (hx_leaf_oa(f, l, pte) & ptk_lg2_mask(shift))
				return hx_fail(out, (int)l, ev,
					       "misaligned leaf");
			if (hx_is_contig(f, l, pte) && !hx_group_ok(v, l, ev))
				return hx_fail(out, (int)l, ev,
					       "broken contiguous group");
			if (l && hx_first(v, 0, l - 1, ev,
					  ev + ptk_lg2_mask(shift), &h))
				return hx_fail(out, (int)h.level, h.va,
					       "a leaf inside a larger one");
		}
		if (!any)
			return hx_fail(out, (int)l, hx_cva(v, l, ck),
				       "empty record");
	}
	if (seen != s->nr)
		return hx_fail(out, (int)l, 0, "record count is wrong");
	return 0;
}

/* The summary: every bit names a child that exists, every node a bit in
 * its parent. */
static int hx_check_sum(struct ptk_check *out, struct hx_view *v)
{
	const struct hx_set *s = &v->r->sum;
	uint64_t i, seen = 0;

	for (i = 0; s->cap_lg2 && i < ((uint64_t)1 << s->cap_lg2); i++) {
		uint64_t key = *hx_kp(s, i), raw, bits, k;
		unsigned int l, h, b;

		if (!key)
			continue;
		seen++;
		raw = key - 1;
		l = (unsigned int)(raw >> 60);
		h = (unsigned int)(raw >> 55) & 0x1f;
		k = raw & ptk_lg2_mask(55);
		bits = *(const uint64_t *)hx_vp(s, i);
		if (l >= v->r->nleaf || !h || h > v->r->hts[l] || !bits ||
		    hx_find(s, key) != (int64_t)i)
			return hx_fail(out, (int)l, 0, "bad summary record");
		for (b = 0; b < 64; b++) {
			uint64_t ck = (k << HX_FAN) | b;

			if (!((bits >> b) & 1))
				continue;
			if (h == 1 ? hx_find(&v->r->lv[l], ck + 1) < 0
				   : !hx_sbits(v, l, h - 1, ck))
				return hx_fail(out, (int)l, 0,
					       "summary bit without a child");
		}
		if (h < v->r->hts[l] && !(hx_sbits(v, l, h + 1, k >> HX_FAN) &
					  (UINT64_C(1) << (k & 63))))
			return hx_fail(out, (int)l, 0,
				       "summary node missing from its parent");
	}
	if (seen != s->nr)
		return hx_fail(out, -1, 0, "summary count is wrong");
	return 0;
}

static int hx_check(struct ptk_check *out, const struct ptk_table *t)
{
	struct hx_view v;
	unsigned int l;
	int rc;

	if (!t->root || ((const struct hx_root *)t->root)->magic != HX_MAGIC)
		return hx_fail(out, -1, 0, "not a hashed table");
	hx_view_init(&v, t);
	for (l = 0; l < v.r->nleaf; l++) {
		rc = hx_check_level(out, &v, l);
		if (rc)
			return rc;
	}
	return hx_check_sum(out, &v);
}

/* --- create, destroy, stats */

static void hx_destroy(struct ptk_table *t)
{
	struct hx_root *r = t->root;
	unsigned int l;

	if (!r)
		return;
	for (l = 0; l < r->nleaf; l++)
		hx_set_release(t, &r->lv[l], NULL);
	hx_set_release(t, &r->sum, NULL);
	ptk_table__free(t, t->root_oa, t->root, r->root_lg2);
	t->root = NULL;
}

static void hx_set_shape(struct hx_set *s, unsigned int val_lg2)
{
	PTK_MEMSET(s, 0, sizeof(*s));
	s->val_lg2 = (uint8_t)val_lg2;
	s->kseg_lg2 = HX_SEG_LG2 - 3;
	s->vseg_lg2 = (uint8_t)(HX_SEG_LG2 - val_lg2);
}

static int hx_create(struct ptk_table *t, const void *arg)
{
	const struct ptk_hash_opts *o = arg;
	const struct ptk_fmt *f = t->fmt;
	unsigned int cl = PTK_HASH_CLUSTER_DEFAULT, lg2, l;
	struct hx_root *r;
	int rc;

	if (o) {
		if (o->version != PTK_HASH_OPTS_VERSION)
			return PTK_EVERSION;
		if (o->cluster_lg2 > PTK_HASH_CLUSTER_MAX)
			return PTK_EINVAL;
		cl = o->cluster_lg2;
	}
	if (t->flags & PTK_TABLE_SHARED)
		return PTK_EIMPL;
	lg2 = hx_lg2_ceil(sizeof(struct hx_root));
	rc = ptk_table__alloc(t, lg2, &t->root_oa, &t->root);
	if (rc)
		return rc;
	r = t->root;
	PTK_MEMSET(r, 0, sizeof(*r));
	r->magic = HX_MAGIC;
	r->root_lg2 = (uint8_t)(lg2 < PTK_MEM_MIN_LG2 ? PTK_MEM_MIN_LG2 : lg2);
	while (r->nleaf < f->levels && hx_leaf_ok(f, r->nleaf))
		r->nleaf++;
	for (l = 0; l < r->nleaf; l++) {
		unsigned int c = cl, kb;

		if (c < f->contig_lg2[l])
			c = f->contig_lg2[l];
		if (c > f->level_bits[l])
			c = f->level_bits[l];
		r->cl[l] = (uint8_t)c;
		kb = f->va_bits > f->level_shift[l] + c
			     ? f->va_bits - f->level_shift[l] - c
			     : 0;
		r->hts[l] = (uint8_t)(kb ? (kb + HX_FAN - 1) / HX_FAN : 1);
		hx_set_shape(&r->lv[l], c + f->entry_lg2);
	}
	hx_set_shape(&r->sum, 3);
	return 0;
}

static void hx_stats_set(struct ptk_hash_stats *out, const struct hx_set *s)
{
	uint64_t i, mask;

	if (!s->cap_lg2)
		return;
	out->bytes += ((uint64_t)s->nkseg << hx_kblk_lg2(s)) +
		      ((uint64_t)s->nvseg << hx_vblk_lg2(s));
	out->blocks += s->nkseg + s->nvseg;
	if (s->dir.ptr) {
		out->bytes += (uint64_t)1 << s->dir_lg2;
		out->blocks++;
	}
	mask = ptk_lg2_mask(s->cap_lg2);
	for (i = 0; i <= mask; i++) {
		uint64_t k = *hx_kp(s, i);

		if (k)
			out->probe_sum += ((i - hx_home(s, k)) & mask) + 1;
	}
}

int ptk_hash_stats(struct ptk_hash_stats *out, const struct ptk_table *t)
{
	const struct hx_root *r;
	unsigned int l;

	if (!out || !t || t->ops != &ptk_hash_ops || !t->root)
		return PTK_EINVAL;
	r = t->root;
	PTK_MEMSET(out, 0, sizeof(*out));
	out->bytes = (uint64_t)1 << r->root_lg2;
	out->blocks = 1;
	for (l = 0; l < r->nleaf; l++) {
		out->records[l] = r->lv[l].nr;
		out->slots[l] =
			r->lv[l].cap_lg2 ? (uint64_t)1 << r->lv[l].cap_lg2 : 0;
		out->cluster_lg2[l] = r->cl[l];
		hx_stats_set(out, &r->lv[l]);
	}
	out->sum_records = r->sum.nr;
	out->sum_slots = r->sum.cap_lg2 ? (uint64_t)1 << r->sum.cap_lg2 : 0;
	hx_stats_set(out, &r->sum);
	return 0;
}

const struct ptk_impl_ops ptk_hash_ops = {
	.version = PTK_IMPL_OPS_VERSION,
	.name = "hash",
	.map = hx_map,
	.unmap = hx_unmap,
	.translate = hx_translate,
	.walk = hx_walk,
	.destroy = hx_destroy,
	.check = hx_check,
	.protect = hx_protect,
	.harvest = hx_harvest,
	.copy = hx_copy,
	.move = hx_move,
	.split = hx_split,
	.collapse = hx_collapse,
	.iter_next = hx_iter_next,
	.iter_set = hx_iter_set,
	.iter_clear = hx_iter_clear,
	.create = hx_create,
	.walk_refs = hx_walk_refs,
};
