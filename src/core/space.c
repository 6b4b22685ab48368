// SPDX-License-Identifier: MIT
/*
 * Address spaces (ptkit/space.h): regions with fault hooks over any
 * table, and a simulated frame allocator with reference counts.
 *
 * Every operation checks what can fail first (arguments, region slots,
 * splitting a huge leaf a boundary cuts), so that the rest, which
 * changes mappings, references and regions, cannot fail. Splitting a
 * leaf changes no translation, so a split done before a later error is
 * no change anyone can see. Leaves never straddle a region boundary:
 * faults map inside one region, and every operation that makes a new
 * boundary splits the leaves there first.
 */
#include "internal/ptk_internal.h"
#include <ptkit/space.h>

/* --- frames */

int ptk_frames_init(struct ptk_frames *fr, ptk_oa_t base,
		    unsigned int frame_lg2, uint64_t nr, uint32_t *ref,
		    uint64_t *data)
{
	uint64_t i;

	if (!fr || !ref || !nr || frame_lg2 >= 64 ||
	    (base & ptk_lg2_mask(frame_lg2)) ||
	    nr > (ptk_lg2_mask(64 - frame_lg2) - (base >> frame_lg2)))
		return PTK_EINVAL;
	PTK_MEMSET(fr, 0, sizeof(*fr));
	fr->base = base;
	fr->frame_lg2 = frame_lg2;
	fr->nr = nr;
	fr->ref = ref;
	fr->data = data;
	for (i = 0; i < nr; i++) {
		ref[i] = 0;
		if (data)
			data[i] = 0;
	}
	return 0;
}

/* Frame index of @oa, or false when it is outside @fr. */
static bool fr_index(const struct ptk_frames *fr, ptk_oa_t oa, uint64_t *idx)
{
	if (oa < fr->base)
		return false;
	*idx = (oa - fr->base) >> fr->frame_lg2;
	return *idx < fr->nr;
}

static uint64_t fr_count(const struct ptk_frames *fr, unsigned int size_lg2)
{
	return (uint64_t)1 << (size_lg2 - fr->frame_lg2);
}

int ptk_frames_alloc(struct ptk_frames *fr, unsigned int size_lg2,
		     ptk_oa_t *oa_out)
{
	uint64_t n, i, k, tries, start;

	if (!fr || !oa_out || size_lg2 < fr->frame_lg2 ||
	    size_lg2 - fr->frame_lg2 >= 63)
		return PTK_EINVAL;
	n = fr_count(fr, size_lg2);
	if (n > fr->nr)
		return PTK_ENOSPC;
	/* Runs aligned to their size in the address space, next fit. */
	start = ((fr->base >> fr->frame_lg2) + fr->hint + n - 1) & ~(n - 1);
	start -= fr->base >> fr->frame_lg2;
	for (tries = 0; tries <= fr->nr / n + 1; tries++, start += n) {
		if (start + n > fr->nr) {
			start = (n - ((fr->base >> fr->frame_lg2) & (n - 1))) &
				(n - 1);
			if (start + n > fr->nr)
				break;
		}
		for (k = 0; k < n && !fr->ref[start + k]; k++)
			;
		if (k < n)
			continue;
		for (i = start; i < start + n; i++) {
			fr->ref[i] = 1;
			if (fr->data)
				fr->data[i] = 0;
		}
		fr->allocs += n;
		fr->live += n;
		fr->hint = start + n;
		*oa_out = fr->base + (start << fr->frame_lg2);
		return 0;
	}
	return PTK_ENOSPC;
}

void ptk_frames_get(struct ptk_frames *fr, ptk_oa_t oa, unsigned int size_lg2)
{
	uint64_t i, k, n = fr_count(fr, size_lg2);

	if (!fr_index(fr, oa, &i) || i + n > fr->nr) {
		PTK_ASSERT(!"ptk_frames_get: outside the allocator");
		return;
	}
	for (k = 0; k < n; k++) {
		PTK_ASSERT(fr->ref[i + k]);
		fr->ref[i + k]++;
	}
}

void ptk_frames_put(struct ptk_frames *fr, ptk_oa_t oa, unsigned int size_lg2)
{
	uint64_t i, k, n = fr_count(fr, size_lg2);

	if (!fr_index(fr, oa, &i) || i + n > fr->nr) {
		PTK_ASSERT(!"ptk_frames_put: outside the allocator");
		return;
	}
	for (k = 0; k < n; k++) {
		if (!fr->ref[i + k]) {
			PTK_ASSERT(!"ptk_frames_put: frame not allocated");
			continue;
		}
		if (--fr->ref[i + k])
			continue;
		fr->frees++;
		fr->live--;
		if (fr->on_free)
			fr->on_free(fr->arg,
				    fr->base + ((i + k) << fr->frame_lg2));
	}
}

uint32_t ptk_frames_ref(const struct ptk_frames *fr, ptk_oa_t oa)
{
	uint64_t i;

	return fr && fr_index(fr, oa, &i) ? fr->ref[i] : 0;
}

uint64_t *ptk_frames_data(const struct ptk_frames *fr, ptk_oa_t oa)
{
	uint64_t i;

	return fr && fr->data && fr_index(fr, oa, &i) ? &fr->data[i] : NULL;
}

/* Whether no one else maps (or holds) the frames of a run. */
static bool fr_exclusive(const struct ptk_frames *fr, ptk_oa_t oa,
			 unsigned int size_lg2)
{
	uint64_t i, k, n = fr_count(fr, size_lg2);

	if (!fr_index(fr, oa, &i) || i + n > fr->nr)
		return false;
	for (k = 0; k < n; k++)
		if (fr->ref[i + k] != 1)
			return false;
	return true;
}

/* Copy the contents of a run of frames into another. */
static void sp_copy_frames(struct ptk_frames *fr, ptk_oa_t to, ptk_oa_t from,
			   unsigned int size_lg2)
{
	uint64_t k, n = fr_count(fr, size_lg2);

	for (k = 0; k < n; k++) {
		uint64_t *f = ptk_frames_data(fr, from + (k << fr->frame_lg2));
		uint64_t *t = ptk_frames_data(fr, to + (k << fr->frame_lg2));

		if (f && t)
			*t = *f;
	}
	fr->copies += n;
}

/* --- anonymous memory */

static int anon_fault(struct ptk_space *s, const struct ptk_region *r,
		      ptk_va_t va, unsigned int access, struct ptk_fault *f)
{
	uint64_t sizes = ptk_fmt_page_sizes(s->t->fmt);
	unsigned int p = f->size_lg2;

	(void)r;
	(void)va;
	(void)access;
	/* The size asked for, or the next smaller one with a free run. */
	for (;;) {
		if (((sizes >> p) & 1) && !ptk_frames_alloc(s->fr, p, &f->oa)) {
			f->size_lg2 = p;
			return 0;
		}
		if (p <= s->fr->frame_lg2)
			return PTK_ENOSPC;
		p--;
	}
}

const struct ptk_region_ops ptk_region_anon = {
	.version = PTK_REGION_OPS_VERSION,
	.fault = anon_fault,
};

/* --- the region list */

static unsigned int sp_min_lg2(const struct ptk_space *s)
{
	return s->t->fmt->level_shift[0];
}

/* Index of the first region that ends after @va. */
static unsigned int sp_lower(const struct ptk_space *s, ptk_va_t va)
{
	unsigned int lo = 0, hi = s->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->reg[mid].end - 1 < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ptk_region *ptk_space_region(const struct ptk_space *s,
					  ptk_va_t va)
{
	unsigned int i;

	if (!s)
		return NULL;
	i = sp_lower(s, va);
	return i < s->nr && s->reg[i].start <= va ? &s->reg[i] : NULL;
}

const struct ptk_region *ptk_space_regions(const struct ptk_space *s,
					   unsigned int *nr)
{
	*nr = s ? s->nr : 0;
	return s ? s->reg : NULL;
}

/* Whether any region meets [va, last]. */
static bool sp_overlaps(const struct ptk_space *s, ptk_va_t va, ptk_va_t last)
{
	unsigned int i = sp_lower(s, va);

	return i < s->nr && s->reg[i].start <= last;
}

static void sp_insert(struct ptk_space *s, unsigned int i,
		      const struct ptk_region *r)
{
	unsigned int k;

	PTK_ASSERT(s->nr < s->cap);
	for (k = s->nr; k > i; k--)
		s->reg[k] = s->reg[k - 1];
	s->reg[i] = *r;
	s->nr++;
}

static void sp_remove(struct ptk_space *s, unsigned int i)
{
	for (; i + 1 < s->nr; i++)
		s->reg[i] = s->reg[i + 1];
	s->nr--;
}

/* Whether @b continues @a: adjacent, alike, the same backing object. */
static bool sp_alike(const struct ptk_space *s, const struct ptk_region *a,
		     const struct ptk_region *b)
{
	return a->end == b->start && a->prot == b->prot &&
	       a->flags == b->flags && a->max_page_lg2 == b->max_page_lg2 &&
	       a->ops == b->ops && a->arg == b->arg &&
	       b->pgoff == a->pgoff + ((a->end - a->start) >> sp_min_lg2(s));
}

/* Merge every pair of alike neighbours. */
static void sp_merge(struct ptk_space *s)
{
	unsigned int i = 0;

	while (i + 1 < s->nr) {
		if (sp_alike(s, &s->reg[i], &s->reg[i + 1])) {
			s->reg[i].end = s->reg[i + 1].end;
			sp_remove(s, i + 1);
		} else {
			i++;
		}
	}
}

/* Split the region holding @b so that a region starts at @b. */
static void sp_split_at(struct ptk_space *s, ptk_va_t b)
{
	unsigned int i = sp_lower(s, b);
	struct ptk_region r;

	if (i >= s->nr || s->reg[i].start >= b)
		return;
	r = s->reg[i];
	r.pgoff += (b - r.start) >> sp_min_lg2(s);
	r.start = b;
	s->reg[i].end = b;
	sp_insert(s, i + 1, &r);
}

/* Slots sp_split_at(@va) and sp_split_at(@last + 1) would add. */
static unsigned int sp_split_need(const struct ptk_space *s, ptk_va_t va,
				  ptk_va_t last)
{
	const struct ptk_region *a = ptk_space_region(s, va);
	const struct ptk_region *b = ptk_space_region(s, last);

	return (a && a->start < va) + (b && b->end - 1 > last);
}

/* Slots sp_carve() adds: one when a region holds [va, last] inside. */
static unsigned int sp_carve_need(const struct ptk_space *s, ptk_va_t va,
				  ptk_va_t last)
{
	const struct ptk_region *r = ptk_space_region(s, va);

	return r && r->start < va && r->end - 1 > last;
}

/* Take [va, last] out of the regions (the slots were checked). */
static void sp_carve(struct ptk_space *s, ptk_va_t va, ptk_va_t last)
{
	unsigned int i = sp_lower(s, va), sh = sp_min_lg2(s);

	while (i < s->nr && s->reg[i].start <= last) {
		struct ptk_region *r = &s->reg[i];

		if (r->start < va && r->end - 1 > last) {
			struct ptk_region tail = *r;

			tail.pgoff += (last + 1 - r->start) >> sh;
			tail.start = last + 1;
			r->end = va;
			sp_insert(s, i + 1, &tail);
			return;
		}
		if (r->start < va) {
			r->end = va;
			i++;
		} else if (r->end - 1 > last) {
			r->pgoff += (last + 1 - r->start) >> sh;
			r->start = last + 1;
			return;
		} else {
			sp_remove(s, i);
		}
	}
}

/* --- pages */

/* Split leaves until none crosses @b. */
static int sp_cut(struct ptk_space *s, ptk_va_t b)
{
	for (;;) {
		struct ptk_xlate x;
		int rc = ptk_translate(s->t, b, &x);

		if (rc == PTK_ENOENT || rc == PTK_ERANGE)
			return 0;
		if (rc)
			return rc;
		if (!(b & ptk_lg2_mask(x.size_lg2)))
			return 0;
		rc = ptk_split(s->t, b, x.level, NULL);
		if (rc)
			return rc;
	}
}

/* Make @va and @last + 1 boundaries of leaves. */
static int sp_cut2(struct ptk_space *s, ptk_va_t va, ptk_va_t last)
{
	int rc = sp_cut(s, va);

	if (!rc && last != ~(ptk_va_t)0)
		rc = sp_cut(s, last + 1);
	return rc;
}

/*
 * Unmap every page in [va, last], dropping its frames' references after
 * its entry is gone. The ends must be leaf boundaries (sp_cut2()): then
 * nothing here can fail.
 */
static void sp_drop(struct ptk_space *s, ptk_va_t va, ptk_va_t last)
{
	struct ptk_iter it;

	if (ptk_iter_init(&it, s->t, va, last - va + 1, PTK_ITER_NO_ATTRS))
		return;
	while (ptk_iter_next(&it) == 1) {
		ptk_oa_t oa = it.oa;
		unsigned int lg2 = it.size_lg2;

		PTK_ASSERT(it.va >= va && it.va + ptk_lg2_mask(lg2) <= last);
		ptk_iter_clear(&it, NULL);
		ptk_frames_put(s->fr, oa, lg2);
	}
	ptk_iter_fini(&it);
}

/* One more reference per page mapped in [va, last]. */
static int sp_get_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct ptk_space *s = arg;
	unsigned int lg2 = l->size_lg2;
	uint64_t k;

	for (k = 0; k < l->count; k++)
		ptk_frames_get(s->fr, l->oa + (k << lg2), lg2);
	return 0;
}

/* --- the space */

int ptk_space_init(struct ptk_space *s, struct ptk_table *t,
		   struct ptk_frames *fr, struct ptk_region *regions,
		   unsigned int cap, ptk_va_t brk_base)
{
	if (!s || !t || !t->fmt || !fr || !regions || !cap ||
	    fr->frame_lg2 != t->fmt->level_shift[0] ||
	    (brk_base & ptk_lg2_mask(fr->frame_lg2)))
		return PTK_EINVAL;
	PTK_MEMSET(s, 0, sizeof(*s));
	s->t = t;
	s->fr = fr;
	s->reg = regions;
	s->cap = cap;
	s->brk_base = brk_base;
	s->brk = brk_base;
	return 0;
}

void ptk_space_fini(struct ptk_space *s)
{
	unsigned int i;

	if (!s || !s->t)
		return;
	for (i = 0; i < s->nr; i++)
		sp_drop(s, s->reg[i].start, s->reg[i].end - 1);
	s->nr = 0;
	s->brk = s->brk_base;
}

/* (va, len) to [va, *last], checked like a table mutation's range. */
static int sp_range(const struct ptk_space *s, ptk_va_t va, uint64_t len,
		    ptk_va_t *last)
{
	int rc = ptk_table__range(s->t, va, len, last);

	/* (a region's end is exclusive: the top page cannot be one's) */
	if (!rc && *last == ~(ptk_va_t)0)
		rc = PTK_ERANGE;
	return rc;
}

#define PTK_MMAP_KNOWN (PTK_REGION_SHARED | PTK_MMAP_FIXED)

int ptk_space_mmap(struct ptk_space *s, ptk_va_t va, uint64_t len,
		   const struct ptk_region_desc *d)
{
	struct ptk_region r;
	ptk_va_t last;
	bool overlap;

	if (!s || !s->t || !d || !d->ops || !d->ops->fault ||
	    (d->flags & ~PTK_MMAP_KNOWN) ||
	    (d->prot & ~(uint32_t)(PTK_PROT_RWX | PTK_PROT_USER)))
		return PTK_EINVAL;
	if (d->ops->version != PTK_REGION_OPS_VERSION)
		return PTK_EVERSION;
	PTK_TRY(sp_range(s, va, len, &last));
	overlap = sp_overlaps(s, va, last);
	if (overlap && !(d->flags & PTK_MMAP_FIXED))
		return PTK_EEXIST;
	if (s->nr + 1 + sp_carve_need(s, va, last) > s->cap)
		return PTK_ENOSPC;
	if (overlap) {
		PTK_TRY(sp_cut2(s, va, last));
		sp_drop(s, va, last);
		sp_carve(s, va, last);
	}
	r.start = va;
	r.end = last + 1;
	r.prot = d->prot;
	r.flags = d->flags & PTK_REGION_SHARED;
	r.max_page_lg2 = d->max_page_lg2;
	r.ops = d->ops;
	r.arg = d->arg;
	r.pgoff = d->pgoff;
	sp_insert(s, sp_lower(s, va), &r);
	sp_merge(s);
	return 0;
}

int ptk_space_munmap(struct ptk_space *s, ptk_va_t va, uint64_t len)
{
	ptk_va_t last;

	if (!s || !s->t)
		return PTK_EINVAL;
	PTK_TRY(sp_range(s, va, len, &last));
	if (s->nr + sp_carve_need(s, va, last) > s->cap)
		return PTK_ENOSPC;
	PTK_TRY(sp_cut2(s, va, last));
	sp_drop(s, va, last);
	sp_carve(s, va, last);
	return 0;
}

/* Whether regions cover every address of [va, last]. */
static bool sp_covered(const struct ptk_space *s, ptk_va_t va, ptk_va_t last)
{
	unsigned int i = sp_lower(s, va);
	ptk_va_t next = va;

	for (; i < s->nr && s->reg[i].start <= next; i++) {
		if (s->reg[i].end - 1 >= last)
			return true;
		next = s->reg[i].end;
	}
	return false;
}

int ptk_space_mprotect(struct ptk_space *s, ptk_va_t va, uint64_t len,
		       uint32_t prot)
{
	ptk_va_t last;
	unsigned int i;

	if (!s || !s->t || (prot & ~(uint32_t)(PTK_PROT_RWX | PTK_PROT_USER)))
		return PTK_EINVAL;
	PTK_TRY(sp_range(s, va, len, &last));
	if (!sp_covered(s, va, last))
		return PTK_EFAULT;
	if (s->nr + sp_split_need(s, va, last) > s->cap)
		return PTK_ENOSPC;
	PTK_TRY(sp_cut2(s, va, last));
	sp_split_at(s, va);
	sp_split_at(s, last + 1);
	for (i = sp_lower(s, va); i < s->nr && s->reg[i].start <= last; i++) {
		struct ptk_region *r = &s->reg[i];
		/* Write permission on a private page only by a write fault:
		 * it may be shared copy-on-write. */
		uint32_t eff = (r->flags & PTK_REGION_SHARED)
				       ? prot
				       : prot & ~(uint32_t)PTK_PROT_WRITE;
		int rc = ptk_protect(s->t, r->start, r->end - r->start, eff,
				     PTK_PROTECT_SUPERSET, NULL);

		/* Leaves lie inside regions and the ends were cut. */
		PTK_ASSERT(!rc);
		(void)rc;
		r->prot = prot;
	}
	sp_merge(s);
	return 0;
}

int ptk_space_mremap(struct ptk_space *s, ptk_va_t old_va, uint64_t old_len,
		     ptk_va_t new_va, uint64_t new_len)
{
	const struct ptk_region *ro;
	struct ptk_region r;
	ptk_va_t olast, nlast;
	uint64_t keep;
	int rc;

	if (!s || !s->t)
		return PTK_EINVAL;
	PTK_TRY(sp_range(s, old_va, old_len, &olast));
	PTK_TRY(sp_range(s, new_va, new_len, &nlast));
	ro = ptk_space_region(s, old_va);
	if (!ro || ro->end - 1 < olast)
		return PTK_EFAULT;
	if (new_va == old_va) {
		if (new_len == old_len)
			return 0;
		if (new_len < old_len)
			return ptk_space_munmap(s, old_va + new_len,
						old_len - new_len);
		/* Grow in place: the range ends its region, then room. */
		if (ro->end - 1 != olast || sp_overlaps(s, olast + 1, nlast))
			return PTK_EEXIST;
		s->reg[ro - s->reg].end = nlast + 1;
		sp_merge(s);
		return 0;
	}
	if (old_va <= nlast && new_va <= olast)
		return PTK_EINVAL;
	if (sp_overlaps(s, new_va, nlast))
		return PTK_EEXIST;
	if (s->nr + 1 + sp_carve_need(s, old_va, olast) > s->cap)
		return PTK_ENOSPC;
	keep = old_len < new_len ? old_len : new_len;
	rc = sp_cut2(s, old_va, olast);
	if (!rc && keep < old_len)
		rc = sp_cut(s, old_va + keep);
	if (rc)
		return rc;
	PTK_TRY(ptk_move(s->t, old_va, new_va, keep, PTK_MOVE_SPLIT, NULL));
	if (keep < old_len)
		sp_drop(s, old_va + keep, olast);
	r = *ro;
	r.pgoff += (old_va - r.start) >> sp_min_lg2(s);
	r.start = new_va;
	r.end = nlast + 1;
	sp_carve(s, old_va, olast);
	sp_insert(s, sp_lower(s, new_va), &r);
	sp_merge(s);
	return 0;
}

int ptk_space_brk(struct ptk_space *s, ptk_va_t want, ptk_va_t *cur)
{
	uint64_t pmask;
	int rc = 0;

	if (!s || !s->t || !s->brk_base)
		return PTK_EINVAL;
	pmask = ptk_lg2_mask(sp_min_lg2(s));
	if (want) {
		if (want < s->brk_base || want + pmask < want)
			return PTK_EINVAL;
		want = (want + pmask) & ~pmask;
		if (want > s->brk) {
			struct ptk_region_desc d = {
				.prot = PTK_PROT_READ | PTK_PROT_WRITE,
				.ops = &ptk_region_anon,
				.pgoff = (s->brk - s->brk_base) >>
					 sp_min_lg2(s),
			};

			rc = ptk_space_mmap(s, s->brk, want - s->brk, &d);
		} else if (want < s->brk) {
			rc = ptk_space_munmap(s, want, s->brk - want);
		}
		if (!rc)
			s->brk = want;
	}
	if (cur)
		*cur = s->brk;
	return rc;
}

int ptk_space_set_brk(struct ptk_space *s, ptk_va_t base)
{
	if (!s || !s->t || !base || (base & ptk_lg2_mask(sp_min_lg2(s))))
		return PTK_EINVAL;
	if (s->brk != s->brk_base)
		return PTK_EEXIST;
	s->brk_base = base;
	s->brk = base;
	return 0;
}

/* The page size a miss at @va in @r maps: the policy's largest that the
 * format has, the region holds aligned and nothing maps yet. */
static unsigned int sp_page_lg2(struct ptk_space *s, const struct ptk_region *r,
				ptk_va_t va, unsigned int cap)
{
	uint64_t sizes = ptk_fmt_page_sizes(s->t->fmt);
	unsigned int want = r->max_page_lg2 < cap ? r->max_page_lg2 : cap, p;

	if (r->ops->page_lg2) {
		unsigned int h = r->ops->page_lg2(s, r, va);

		if (h < want)
			want = h;
	}
	for (p = want < 63 ? want : 63; p > sp_min_lg2(s); p--) {
		ptk_va_t blk = va & ~ptk_lg2_mask(p);
		struct ptk_iter it;
		int rc;

		if (!((sizes >> p) & 1) || blk < r->start ||
		    blk + ptk_lg2_mask(p) > r->end - 1)
			continue;
		if (ptk_iter_init(&it, s->t, blk, (uint64_t)1 << p,
				  PTK_ITER_NO_ATTRS))
			continue;
		rc = ptk_iter_next(&it);
		ptk_iter_fini(&it);
		if (!rc)
			return p;
	}
	return sp_min_lg2(s);
}

static int sp_xlate(struct ptk_space *s, ptk_va_t va, struct ptk_xlate *out)
{
	return out ? ptk_translate(s->t, va, out) : 0;
}

/*
 * A miss in @r: ask the backing store, map what it gives. Pages no larger
 * than 2^@cap (a retry after a copy found no free run that large).
 */
static int sp_miss(struct ptk_space *s, const struct ptk_region *r, ptk_va_t va,
		   unsigned int access, struct ptk_xlate *out, unsigned int cap)
{
	uint64_t sizes = ptk_fmt_page_sizes(s->t->fmt);
	unsigned int want = sp_page_lg2(s, r, va, cap);
	struct ptk_fault f;
	struct ptk_attrs a;
	ptk_va_t blk;
	int rc;

	PTK_MEMSET(&f, 0, sizeof(f));
	f.size_lg2 = want;
	rc = r->ops->fault(s, r, va & ~ptk_lg2_mask(want), access, &f);
	if (rc)
		return rc;
	if (f.size_lg2 > want || f.size_lg2 < sp_min_lg2(s) ||
	    !((sizes >> f.size_lg2) & 1) || (f.oa & ptk_lg2_mask(f.size_lg2))) {
		/* (the hook broke its contract: give back what it took) */
		if (f.size_lg2 >= s->fr->frame_lg2 && f.size_lg2 < 64)
			ptk_frames_put(s->fr, f.oa & ~ptk_lg2_mask(f.size_lg2),
				       f.size_lg2);
		return PTK_EINVAL;
	}
	a = f.attrs;
	a.prot = r->prot;
	if (!(r->flags & PTK_REGION_SHARED) &&
	    !fr_exclusive(s->fr, f.oa, f.size_lg2)) {
		ptk_oa_t noa;

		/* Someone else maps the frame: read-only, or for a write a
		 * private copy at once. */
		if (!(access & PTK_PROT_WRITE)) {
			a.prot &= ~(uint32_t)PTK_PROT_WRITE;
		} else {
			rc = ptk_frames_alloc(s->fr, f.size_lg2, &noa);
			if (rc) {
				ptk_frames_put(s->fr, f.oa, f.size_lg2);
				if (f.size_lg2 <= sp_min_lg2(s))
					return rc;
				/* no free run that large: smaller pages */
				return sp_miss(s, r, va, access, out,
					       f.size_lg2 - 1);
			}
			sp_copy_frames(s->fr, noa, f.oa, f.size_lg2);
			ptk_frames_put(s->fr, f.oa, f.size_lg2);
			f.oa = noa;
			s->stats.cow_copies++;
		}
	}
	blk = va & ~ptk_lg2_mask(f.size_lg2);
	rc = ptk_map(s->t, blk, (uint64_t)1 << f.size_lg2, f.oa, &a,
		     PTK_MAP_SUPERSET | PTK_MAP_MAX_PAGE(f.size_lg2), NULL);
	if (rc) {
		ptk_frames_put(s->fr, f.oa, f.size_lg2);
		return rc;
	}
	s->stats.faults++;
	return sp_xlate(s, va, out);
}

/* A write to a write-protected page of a writable region. */
static int sp_wp_fault(struct ptk_space *s, const struct ptk_region *r,
		       ptk_va_t va, const struct ptk_xlate *x,
		       const struct ptk_attrs *la, struct ptk_xlate *out)
{
	unsigned int lg2 = x->size_lg2;
	ptk_va_t pva = va & ~ptk_lg2_mask(lg2);
	ptk_oa_t poa = x->oa & ~ptk_lg2_mask(lg2), noa;
	struct ptk_attrs a = *la, sa;
	struct ptk_xlate sx;
	int rc;

	if ((r->flags & PTK_REGION_SHARED) || fr_exclusive(s->fr, poa, lg2)) {
		/* No one else maps it: it is ours to write. */
		rc = ptk_protect(s->t, pva, (uint64_t)1 << lg2, r->prot,
				 PTK_PROTECT_SUPERSET, NULL);
		if (rc)
			return rc;
		if (!(r->flags & PTK_REGION_SHARED))
			s->stats.cow_reuses++;
		return sp_xlate(s, va, out);
	}
	/* Copy-on-write: new frames, the contents, the mapping, then the
	 * old frames lose this mapping's reference. */
	rc = ptk_frames_alloc(s->fr, lg2, &noa);
	if (rc && lg2 > sp_min_lg2(s)) {
		/* No free run that large: split the page (no translation
		 * changes) and copy only the smaller piece written. */
		rc = ptk_split(s->t, va, x->level, NULL);
		if (rc)
			return rc;
		PTK_TRY(ptk_translate(s->t, va, &sx));
		PTK_TRY(ptk_leaf_attrs(&sa, s->t, sx.level, sx.pte));
		return sp_wp_fault(s, r, va, &sx, &sa, out);
	}
	if (rc)
		return rc;
	sp_copy_frames(s->fr, noa, poa, lg2);
	a.prot = r->prot;
	rc = ptk_map(s->t, pva, (uint64_t)1 << lg2, noa, &a,
		     PTK_MAP_REPLACE | PTK_MAP_SUPERSET | PTK_MAP_MAX_PAGE(lg2),
		     NULL);
	if (rc) {
		ptk_frames_put(s->fr, noa, lg2);
		return rc;
	}
	ptk_frames_put(s->fr, poa, lg2);
	s->stats.cow_copies++;
	return sp_xlate(s, va, out);
}

int ptk_space_access(struct ptk_space *s, ptk_va_t va, unsigned int access,
		     struct ptk_xlate *out)
{
	const struct ptk_region *r;
	struct ptk_attrs a;
	struct ptk_xlate x;
	int rc;

	if (!s || !s->t || !access || (access & ~(unsigned int)PTK_PROT_RWX))
		return PTK_EINVAL;
	if (!ptk_fmt_va_valid(s->t->fmt, va))
		return PTK_ERANGE;
	r = ptk_space_region(s, va);
	if (!r || (access & ~r->prot)) {
		rc = PTK_EFAULT;
		goto err;
	}
	rc = ptk_translate(s->t, va, &x);
	if (rc == PTK_ENOENT) {
		rc = sp_miss(s, r, va, access, out, 63);
	} else if (!rc) {
		rc = ptk_leaf_attrs(&a, s->t, x.level, x.pte);
		if (!rc && (access & ~a.prot)) {
			rc = PTK_EFAULT;
			if ((access & PTK_PROT_WRITE) &&
			    !(a.prot & PTK_PROT_WRITE))
				rc = sp_wp_fault(s, r, va, &x, &a, out);
		} else if (!rc && out) {
			*out = x;
		}
	}
	if (!rc)
		return 0;
err:
	s->stats.errors++;
	return rc;
}

int ptk_space_fork(struct ptk_space *child, struct ptk_space *parent)
{
	static const struct ptk_walk_ops get_ops = { .leaf = sp_get_leaf };
	unsigned int i, j;
	int rc;

	if (!child || !parent || !child->t || !parent->t || child == parent ||
	    child->nr || child->fr != parent->fr ||
	    child->t->fmt != parent->t->fmt)
		return PTK_EINVAL;
	if (parent->nr > child->cap)
		return PTK_ENOSPC;
	for (i = 0; i < parent->nr; i++) {
		const struct ptk_region *r = &parent->reg[i];

		rc = ptk_copy(child->t, parent->t, r->start, r->end - r->start,
			      (r->flags & PTK_REGION_SHARED) ? 0 : PTK_COPY_COW,
			      NULL);
		if (rc) {
			/* Give back what the child got so far. */
			for (j = 0; j < i; j++)
				sp_drop(child, parent->reg[j].start,
					parent->reg[j].end - 1);
			return rc;
		}
		rc = ptk_walk(child->t, r->start, r->end - r->start, &get_ops,
			      child);
		PTK_ASSERT(!rc);
	}
	for (i = 0; i < parent->nr; i++)
		child->reg[i] = parent->reg[i];
	child->nr = parent->nr;
	child->brk_base = parent->brk_base;
	child->brk = parent->brk;
	return 0;
}
