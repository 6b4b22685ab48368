// SPDX-License-Identifier: MIT
/*
 * Address spaces (ptkit/space.h), on radix and hashed tables.
 *
 * space_<format>[_hash]: random mmap / munmap / mprotect / mremap / brk /
 * reads and writes / fork / exit over up to four spaces sharing one
 * frame allocator, checked after every operation against a model kept
 * here page by page (the region each page belongs to: protection,
 * sharing, backing object and offset; the contents each page should
 * show), and against the invariants:
 *  - every frame's reference count is the number of leaves mapping it in
 *    all live spaces plus the backing objects' own references;
 *  - no frame is freed while mapped: when the allocator frees a frame,
 *    none of the places that mapped it at the last check maps it now;
 *  - a private page is writable only when nothing else maps its frames
 *    (copy-on-write is safe), and leaves never straddle regions;
 *  - regions are sorted, disjoint, merged, and equal the model;
 *  - every read sees the last value written to that page in that space
 *    (or, for a shared object, by any space), whatever was forked or
 *    copied on write since;
 *  - failed operations change nothing (model, regions, references).
 * Backing objects: anonymous memory (ptk_region_anon), and two "files"
 * whose pages live in frames the object holds a reference to, mapped
 * shared or private (copy-on-write from the file's frame).
 *
 * space_cases: hand-made cases on both implementations: copy-on-write
 * copy and take-over, huge pages faulted and copied, a failing fault
 * hook and a hook that breaks its contract, table allocation failing in
 * a fault, a copy-on-write and a fork, region splits and merges
 * written down by hand, slots running out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"
#include "model/fault_mem.h"
#include "model/toy_fmt.h"

#define NSPACE 4
#define NREG 48
#define NFRAMES 8192u
#define WIN_PAGES 10240u /* the window: 8192 pages of maps, then the heap */
#define HEAP_PAGE 8192u
#define NOBJ 2
#define OBJ_PAGES 1024u
#define RMAP 8 /* places one frame may be mapped at, remembered per check */

/* A "file": frames it holds one reference to, per page. */
struct obj {
	struct world *w;
	ptk_oa_t oa[OBJ_PAGES];
	uint64_t val[OBJ_PAGES]; /* what a read of the page must see */
};

/* The model of one page of a space's window. */
struct mpage {
	bool present;
	uint32_t prot;
	unsigned int flags; /* PTK_REGION_SHARED */
	int obj; /* -1: anonymous */
	uint64_t pgoff;
	unsigned int max_page;
	/* contents: a private page's own value once written (else the
	 * object's, or 0) */
	bool own;
	uint64_t val;
};

struct wspace {
	bool live;
	struct ptk_table t;
	struct ptk_space s;
	struct ptk_region reg[NREG];
	struct mpage pg[WIN_PAGES];
	uint64_t brk; /* model: heap end */
};

struct rmap_ent {
	uint8_t n;
	uint8_t sp[RMAP];
	ptk_va_t va[RMAP];
};

struct world {
	const struct ptk_fmt *f;
	unsigned int tflags;
	unsigned int s0; /* smallest page, log2 */
	ptk_va_t base;
	struct ptk_mem_arena arena;
	struct fault_mem fm; /* the table's provider, failing on demand */
	struct ptk_frames fr;
	uint32_t ref[NFRAMES];
	uint64_t data[NFRAMES];
	uint32_t mapcount[NFRAMES];
	uint32_t pins[NFRAMES];
	struct rmap_ent rmap[NFRAMES];
	struct wspace sp[NSPACE];
	struct obj obj[NOBJ];
	struct ptk_rand r;
	uint64_t nextval;
	uint64_t ops[16], fails[16];
	bool model; /* the page model is kept (random runs) */
};

static uint64_t lmask(unsigned int lg2)
{
	return lg2 >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << lg2) - 1;
}

static uint64_t frame_of(const struct world *w, ptk_oa_t oa)
{
	return (oa - w->fr.base) >> w->s0;
}

/* --- backing objects */

static int obj_fault(struct ptk_space *s, const struct ptk_region *r,
		     ptk_va_t va, unsigned int access, struct ptk_fault *f)
{
	struct obj *o = r->arg;
	struct world *w = o->w;
	uint64_t pg = r->pgoff + ((va - r->start) >> w->s0);
	int rc;

	(void)s;
	(void)access;
	if (pg >= OBJ_PAGES)
		return PTK_EFAULT;
	f->size_lg2 = w->s0;
	if (!o->oa[pg]) {
		/* the object's own reference */
		rc = ptk_frames_alloc(&w->fr, w->s0, &o->oa[pg]);
		if (rc)
			return rc;
		w->pins[frame_of(w, o->oa[pg])]++;
	}
	ptk_frames_get(&w->fr, o->oa[pg], w->s0);
	f->oa = o->oa[pg];
	return 0;
}

static const struct ptk_region_ops obj_ops = {
	.version = PTK_REGION_OPS_VERSION,
	.fault = obj_fault,
};

/* A hook that takes a frame, gives it back and fails. */
static int bad_fault(struct ptk_space *s, const struct ptk_region *r,
		     ptk_va_t va, unsigned int access, struct ptk_fault *f)
{
	struct world *w = r->arg;
	ptk_oa_t oa;

	(void)s;
	(void)va;
	(void)access;
	if (!ptk_frames_alloc(&w->fr, w->s0, &oa))
		ptk_frames_put(&w->fr, oa, w->s0);
	f->oa = 0;
	return PTK_EUSER;
}

static const struct ptk_region_ops bad_ops = {
	.version = PTK_REGION_OPS_VERSION,
	.fault = bad_fault,
};

/* A hook that answers a misaligned frame (the space must refuse it and
 * drop the reference it carries). */
static int odd_fault(struct ptk_space *s, const struct ptk_region *r,
		     ptk_va_t va, unsigned int access, struct ptk_fault *f)
{
	struct world *w = r->arg;
	int rc;

	(void)s;
	(void)va;
	(void)access;
	f->size_lg2 = w->s0 + 1;
	rc = ptk_frames_alloc(&w->fr, w->s0 + 1, &f->oa);
	if (rc)
		return rc;
	f->oa += (ptk_oa_t)1 << w->s0; /* inside, not aligned */
	return 0;
}

static const struct ptk_region_ops odd_ops = {
	.version = PTK_REGION_OPS_VERSION,
	.fault = odd_fault,
};

/* --- the world */

static void on_free(void *arg, ptk_oa_t oa)
{
	struct world *w = arg;
	struct rmap_ent *e = &w->rmap[frame_of(w, oa)];
	unsigned int k;

	/* Where it was mapped at the last check must map it no more. */
	for (k = 0; k < e->n; k++) {
		struct wspace *ws = &w->sp[e->sp[k]];
		struct ptk_xlate x;

		if (!ws->live)
			continue;
		if (!ptk_translate(&ws->t, e->va[k], &x) &&
		    (x.oa & ~lmask(w->s0)) == oa)
			PTK_FAIL("frame 0x%" PRIx64 " freed while space %u "
				 "maps it at 0x%" PRIx64,
				 oa, e->sp[k], e->va[k]);
	}
}

static void world_init(struct world *w, const struct ptk_fmt *f,
		       unsigned int tflags)
{
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->f = f;
	w->tflags = tflags;
	w->s0 = f->level_shift[0];
	w->base = UINT64_C(1) << 30;
	ptk_test_rand(&w->r);
	PTK_ASSERT_OK(ptk_mem_arena_create(&w->arena, 0x40000000, 64 << 20));
	fm_init(&w->fm, &w->arena, true);
	/* frames above the tables, aligned to 2 GiB */
	PTK_ASSERT_OK(ptk_frames_init(&w->fr, UINT64_C(1) << 31, w->s0, NFRAMES,
				      w->ref, w->data));
	w->fr.on_free = on_free;
	w->fr.arg = w;
	for (i = 0; i < NOBJ; i++)
		w->obj[i].w = w;
	w->nextval = 1;
}

static struct wspace *space_new(struct world *w, unsigned int i)
{
	struct wspace *ws = &w->sp[i];

	memset(ws, 0, sizeof(*ws));
	PTK_ASSERT_OK(ptk_table_create(&ws->t, w->f, &w->fm.mem, w->tflags));
	PTK_ASSERT_OK(ptk_space_init(&ws->s, &ws->t, &w->fr, ws->reg, NREG,
				     w->base + ((uint64_t)HEAP_PAGE << w->s0)));
	ws->brk = w->base + ((uint64_t)HEAP_PAGE << w->s0);
	ws->live = true;
	for (i = 0; i < WIN_PAGES; i++)
		ws->pg[i].obj = -1;
	return ws;
}

static void space_exit(struct world *w, struct wspace *ws)
{
	(void)w;
	ptk_space_fini(&ws->s);
	ws->live = false;
	ptk_table_destroy(&ws->t);
}

static void world_fini(struct world *w)
{
	unsigned int i, k;

	for (i = 0; i < NSPACE; i++)
		if (w->sp[i].live)
			space_exit(w, &w->sp[i]);
	for (i = 0; i < NOBJ; i++)
		for (k = 0; k < OBJ_PAGES; k++)
			if (w->obj[i].oa[k]) {
				w->pins[frame_of(w, w->obj[i].oa[k])]--;
				ptk_frames_put(&w->fr, w->obj[i].oa[k], w->s0);
			}
	PTK_EXPECT_EQ(w->fr.live, 0);
	PTK_EXPECT_EQ(w->arena.stats.live, 0);
	ptk_mem_arena_destroy(&w->arena);
}

/* --- checks */

struct leaf_ctx {
	struct world *w;
	unsigned int si;
	bool writable_private_bad;
};

/* Count each leaf's frames; leaves lie inside one region; a private
 * writable leaf maps frames no one else does (checked after counting). */
static int count_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct leaf_ctx *c = arg;
	struct world *w = c->w;
	struct wspace *ws = &w->sp[c->si];
	uint64_t n = l->count << (l->size_lg2 - w->s0), k;

	/* each leaf (or group) of the run inside one region */
	for (k = 0; k < l->count; k++) {
		ptk_va_t va = l->va + (k << l->size_lg2);
		ptk_va_t last = va + lmask(l->size_lg2);
		const struct ptk_region *r = ptk_space_region(&ws->s, va);

		if (!r || r->end - 1 < last)
			PTK_FAIL("space %u: leaf 0x%" PRIx64 "..0x%" PRIx64
				 " outside one region",
				 c->si, va, last);
	}
	for (k = 0; k < n; k++) {
		ptk_oa_t oa = l->oa + (k << w->s0);
		uint64_t fi = frame_of(w, oa);
		struct rmap_ent *e;

		if (oa < w->fr.base || fi >= NFRAMES) {
			PTK_FAIL("space %u: leaf maps 0x%" PRIx64 ", not a "
				 "frame",
				 c->si, oa);
			return 0;
		}
		w->mapcount[fi]++;
		e = &w->rmap[fi];
		if (e->n < RMAP) {
			e->sp[e->n] = (uint8_t)c->si;
			e->va[e->n++] = l->va + (k << w->s0);
		}
	}
	return 0;
}

struct wp_ctx {
	struct world *w;
	unsigned int si;
};

static int check_wp(const struct ptk_walk_leaf *l, void *arg)
{
	struct wp_ctx *c = arg;
	struct world *w = c->w;
	const struct ptk_region *r = ptk_space_region(&w->sp[c->si].s, l->va);
	uint64_t n = l->count << (l->size_lg2 - w->s0), k;

	if (!r || (r->flags & PTK_REGION_SHARED) ||
	    !(l->attrs.prot & PTK_PROT_WRITE))
		return 0;
	for (k = 0; k < n; k++)
		if (w->ref[frame_of(w, l->oa + (k << w->s0))] != 1) {
			PTK_FAIL("space %u: private page 0x%" PRIx64 " writable"
				 " "
				 "with its frame mapped %u times",
				 c->si, l->va + (k << w->s0),
				 w->ref[frame_of(w, l->oa + (k << w->s0))]);
			return 1;
		}
	return 0;
}

/* What a read of page @p of @ws must see. */
static uint64_t expect_val(struct world *w, struct wspace *ws, unsigned int p)
{
	const struct mpage *m = &ws->pg[p];

	if (m->obj >= 0 && (m->flags & PTK_REGION_SHARED))
		return w->obj[m->obj].val[m->pgoff];
	if (m->own)
		return m->val;
	return m->obj >= 0 ? w->obj[m->obj].val[m->pgoff] : 0;
}

static bool mpage_alike(const struct mpage *a, const struct mpage *b)
{
	return a->present == b->present && a->prot == b->prot &&
	       a->flags == b->flags && a->obj == b->obj &&
	       a->max_page == b->max_page;
}

/* The regions equal the model page by page, and are merged. */
static void check_regions(struct world *w, unsigned int si)
{
	struct wspace *ws = &w->sp[si];
	const struct ptk_region *reg;
	unsigned int nr, i, p;
	ptk_va_t va;

	reg = ptk_space_regions(&ws->s, &nr);
	for (i = 0; i < nr; i++) {
		const struct ptk_region *r = &reg[i];

		if (r->start >= r->end || (i && reg[i - 1].end > r->start)) {
			PTK_FAIL("space %u: regions unsorted or empty", si);
			return;
		}
		if (i && reg[i - 1].end == r->start &&
		    reg[i - 1].prot == r->prot &&
		    reg[i - 1].flags == r->flags && reg[i - 1].ops == r->ops &&
		    reg[i - 1].arg == r->arg &&
		    reg[i - 1].max_page_lg2 == r->max_page_lg2 &&
		    r->pgoff == reg[i - 1].pgoff +
					((reg[i - 1].end - reg[i - 1].start) >>
					 w->s0))
			PTK_FAIL("space %u: regions at 0x%" PRIx64 " not "
				 "merged",
				 si, r->start);
	}
	for (p = 0; p < WIN_PAGES; p++) {
		const struct mpage *m = &ws->pg[p];
		const struct ptk_region *r;

		va = w->base + ((uint64_t)p << w->s0);
		r = ptk_space_region(&ws->s, va);
		if (!r != !m->present) {
			PTK_FAIL("space %u: page 0x%" PRIx64 " %s a region, "
				 "model %s",
				 si, va, r ? "in" : "not in",
				 m->present ? "in" : "not in");
			return;
		}
		if (!r)
			continue;
		if (r->prot != m->prot || r->flags != m->flags ||
		    r->max_page_lg2 != m->max_page ||
		    (m->obj >= 0 ? r->arg != &w->obj[m->obj]
				 : r->ops != &ptk_region_anon) ||
		    r->pgoff + ((va - r->start) >> w->s0) != m->pgoff) {
			PTK_FAIL("space %u: region at 0x%" PRIx64 " differs "
				 "from the "
				 "model (prot "
				 "%#x/%#x "
				 "flags "
				 "%#x/%#x)",
				 si, va, r->prot, m->prot, r->flags, m->flags);
			return;
		}
	}
	/* nothing outside the window */
	for (i = 0; i < nr; i++)
		if (reg[i].start < w->base ||
		    reg[i].end > w->base + ((uint64_t)WIN_PAGES << w->s0))
			PTK_FAIL("space %u: a region outside the window", si);
}

static void check_world(struct world *w)
{
	static const struct ptk_walk_ops count_ops = { .leaf = count_leaf };
	static const struct ptk_walk_ops wp_ops = { .leaf = check_wp };
	unsigned int i, p;

	memset(w->mapcount, 0, sizeof(w->mapcount));
	memset(w->rmap, 0, sizeof(w->rmap));
	for (i = 0; i < NSPACE; i++) {
		struct leaf_ctx c = { w, i, false };

		if (!w->sp[i].live)
			continue;
		PTK_EXPECT_OK(ptk_walk_all(&w->sp[i].t, &count_ops, &c));
		PTK_EXPECT_OK(ptk_table_check(NULL, &w->sp[i].t));
		if (w->model)
			check_regions(w, i);
	}
	for (i = 0; i < NFRAMES; i++)
		if (w->ref[i] != w->mapcount[i] + w->pins[i]) {
			PTK_FAIL("frame %u: %u references, %u mappings + %u "
				 "held by objects",
				 i, w->ref[i], w->mapcount[i], w->pins[i]);
			break;
		}
	for (i = 0; i < NSPACE; i++) {
		struct wp_ctx c = { w, i };
		struct wspace *ws = &w->sp[i];

		if (!ws->live)
			continue;
		PTK_EXPECT_OK(ptk_walk_all(&ws->t, &wp_ops, &c));
		/* contents of every mapped page */
		for (p = 0; w->model && p < WIN_PAGES; p++) {
			ptk_va_t va = w->base + ((uint64_t)p << w->s0);
			struct ptk_xlate x;
			uint64_t *d;

			if (ptk_translate(&ws->t, va, &x))
				continue;
			d = ptk_frames_data(&w->fr, x.oa);
			if (!ws->pg[p].present) {
				PTK_FAIL("space %u: 0x%" PRIx64 " mapped "
					 "outside any "
					 "region",
					 i, va);
				return;
			}
			if (!d || *d != expect_val(w, ws, p)) {
				PTK_FAIL("space %u: page 0x%" PRIx64
					 " holds %" PRIu64 ", want %" PRIu64,
					 i, va, d ? *d : 0,
					 expect_val(w, ws, p));
				return;
			}
		}
	}
}

/* --- the model's operations */

static ptk_va_t pva(const struct world *w, unsigned int p)
{
	return w->base + ((uint64_t)p << w->s0);
}

static bool alike_next(const struct wspace *ws, unsigned int p)
{
	const struct mpage *a = &ws->pg[p], *b = &ws->pg[p + 1];

	return a->present && mpage_alike(a, b) && b->pgoff == a->pgoff + 1;
}

static void m_map(struct wspace *ws, unsigned int p0, unsigned int n,
		  const struct ptk_region_desc *d, int obj)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		struct mpage *m = &ws->pg[p0 + k];

		memset(m, 0, sizeof(*m));
		m->present = true;
		m->prot = d->prot;
		m->flags = d->flags & PTK_REGION_SHARED;
		m->obj = obj;
		m->pgoff = d->pgoff + k;
		m->max_page = d->max_page_lg2;
	}
}

static void m_unmap(struct wspace *ws, unsigned int p0, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		memset(&ws->pg[p0 + k], 0, sizeof(ws->pg[0]));
		ws->pg[p0 + k].obj = -1;
	}
}

static bool m_any(const struct wspace *ws, unsigned int p0, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		if (ws->pg[p0 + k].present)
			return true;
	return false;
}

static bool m_all(const struct wspace *ws, unsigned int p0, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		if (!ws->pg[p0 + k].present)
			return false;
	return true;
}

/* Whether [p0, p0 + n) lies in one region of the model. */
static bool m_one(const struct wspace *ws, unsigned int p0, unsigned int n)
{
	unsigned int k;

	if (!ws->pg[p0].present)
		return false;
	for (k = 0; k + 1 < n; k++)
		if (!alike_next(ws, p0 + k))
			return false;
	return true;
}

/* Regions of the model that a change may add: a generous bound for
 * PTK_ENOSPC (slots are scarce only near the end of the array). */
static bool near_full(const struct wspace *ws)
{
	unsigned int nr;

	ptk_space_regions(&ws->s, &nr);
	return nr + 2 >= NREG;
}

enum {
	OP_MMAP,
	OP_MUNMAP,
	OP_MPROTECT,
	OP_MREMAP,
	OP_BRK,
	OP_READ,
	OP_WRITE,
	OP_FORK,
	OP_EXIT,
	OP_NR
};
static const char *const op_names[OP_NR] = { "mmap",   "munmap", "mprotect",
					     "mremap", "brk",	 "read",
					     "write",  "fork",	 "exit" };

/* A random page run inside the map area (below the heap). */
static void rand_run(struct world *w, unsigned int *p0, unsigned int *n)
{
	unsigned int len;

	switch (ptk_rand_below(&w->r, 8)) {
	case 0:
		len = 512 * (unsigned int)ptk_rand_range(&w->r, 1, 3);
		break;
	case 1:
		len = (unsigned int)ptk_rand_range(&w->r, 64, 600);
		break;
	default:
		len = (unsigned int)ptk_rand_range(&w->r, 1, 48);
		break;
	}
	*p0 = (unsigned int)ptk_rand_below(&w->r, HEAP_PAGE - len + 1);
	if (ptk_rand_chance(&w->r, 1, 3))
		*p0 &= ~511u;
	*n = len;
}

static uint32_t rand_prot(struct world *w)
{
	static const uint32_t prots[] = { PTK_PROT_READ,
					  PTK_PROT_READ | PTK_PROT_WRITE,
					  PTK_PROT_READ | PTK_PROT_EXEC,
					  PTK_PROT_READ | PTK_PROT_WRITE |
						  PTK_PROT_EXEC };

	return prots[ptk_rand_below(&w->r, 4)];
}

static unsigned int rand_policy(struct world *w)
{
	const struct ptk_fmt *f = w->f;

	switch (ptk_rand_below(&w->r, 4)) {
	case 0:
		if (f->contig_lg2[0])
			return f->level_shift[0] + f->contig_lg2[0];
		return 0;
	case 1:
		if (f->levels > 1 && (f->leaf_levels & 2) &&
		    f->level_shift[1] <= 22)
			return f->level_shift[1];
		return 0;
	default:
		return 0;
	}
}

/* A page of @ws to touch: mostly one in a region. */
static unsigned int rand_page(struct world *w, struct wspace *ws)
{
	unsigned int p, k;

	for (k = 0; k < 8; k++) {
		p = (unsigned int)ptk_rand_below(&w->r, WIN_PAGES);
		if (ws->pg[p].present)
			return p;
	}
	return p;
}

static struct wspace *rand_live(struct world *w)
{
	unsigned int i, k = (unsigned int)ptk_rand_below(&w->r, NSPACE);

	for (i = 0; i < NSPACE; i++)
		if (w->sp[(k + i) % NSPACE].live)
			return &w->sp[(k + i) % NSPACE];
	return NULL;
}

static unsigned int nr_live(const struct world *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < NSPACE; i++)
		n += w->sp[i].live;
	return n;
}

/* Accept @rc against the model's @want (or an allowed alternative). */
static bool rc_ok(int rc, int want, bool nospc_ok, bool nomem_ok)
{
	return rc == want || (rc == PTK_ENOSPC && nospc_ok) ||
	       (rc == PTK_ENOMEM && nomem_ok);
}

/* One random operation on the spaces and the model. */
static void step(struct world *w, uint64_t n)
{
	struct wspace *ws = rand_live(w);
	unsigned int kind = (unsigned int)ptk_rand_below(&w->r, 100);
	unsigned int p0, np, k, op;
	bool inject = ptk_rand_chance(&w->r, 1, 16);
	int rc = 0, want = 0;
	char what[160];

	if (kind < 22)
		op = OP_MMAP;
	else if (kind < 30)
		op = OP_MUNMAP;
	else if (kind < 38)
		op = OP_MPROTECT;
	else if (kind < 45)
		op = OP_MREMAP;
	else if (kind < 51)
		op = OP_BRK;
	else if (kind < 72)
		op = OP_READ;
	else if (kind < 95)
		op = OP_WRITE;
	else if (kind < 98)
		op = OP_FORK;
	else
		op = OP_EXIT;
	/* a table allocation of this operation fails now and then */
	w->fm.calls = 0;
	w->fm.fail_at = inject ? ptk_rand_range(&w->r, 1, 3) : 0;
	snprintf(what, sizeof(what), "%s", op_names[op]);
	switch (op) {
	case OP_MMAP: {
		struct ptk_region_desc d = { 0 };
		int obj = -1;

		rand_run(w, &p0, &np);
		d.prot = rand_prot(w);
		d.flags = ptk_rand_chance(&w->r, 1, 2) ? PTK_MMAP_FIXED : 0;
		d.max_page_lg2 = rand_policy(w);
		if (ptk_rand_chance(&w->r, 1, 3)) {
			obj = (int)ptk_rand_below(&w->r, NOBJ);
			d.ops = &obj_ops;
			d.arg = &w->obj[obj];
			d.pgoff = ptk_rand_below(&w->r, OBJ_PAGES / 2);
			d.max_page_lg2 = 0;
			if (ptk_rand_chance(&w->r, 1, 2))
				d.flags |= PTK_REGION_SHARED;
		} else {
			d.ops = &ptk_region_anon;
			d.pgoff = p0;
		}
		snprintf(what, sizeof(what),
			 "mmap 0x%" PRIx64 " +%u pages prot %#x flags %#x "
			 "obj %d pgoff %" PRIu64 " policy %u",
			 pva(w, p0), np, d.prot, d.flags, obj, d.pgoff,
			 d.max_page_lg2);
		want = m_any(ws, p0, np) && !(d.flags & PTK_MMAP_FIXED)
			       ? PTK_EEXIST
			       : 0;
		rc = ptk_space_mmap(&ws->s, pva(w, p0), (uint64_t)np << w->s0,
				    &d);
		if (!rc_ok(rc, want, near_full(ws), inject && !want))
			break;
		if (!rc)
			m_map(ws, p0, np, &d, obj);
		want = rc;
		break;
	}
	case OP_MUNMAP:
		rand_run(w, &p0, &np);
		snprintf(what, sizeof(what), "munmap 0x%" PRIx64 " +%u pages",
			 pva(w, p0), np);
		rc = ptk_space_munmap(&ws->s, pva(w, p0),
				      (uint64_t)np << w->s0);
		if (!rc_ok(rc, 0, near_full(ws), inject))
			break;
		if (!rc)
			m_unmap(ws, p0, np);
		want = rc;
		break;
	case OP_MPROTECT: {
		uint32_t prot = rand_prot(w);

		rand_run(w, &p0, &np);
		if (ptk_rand_chance(&w->r, 2, 3)) {
			/* mostly inside what is there */
			p0 = rand_page(w, ws);
			if (p0 >= HEAP_PAGE)
				p0 = 0;
			np = np > HEAP_PAGE - p0 ? HEAP_PAGE - p0 : np;
			for (k = 1; k < np && ws->pg[p0 + k].present; k++)
				;
			np = k;
		}
		snprintf(what, sizeof(what),
			 "mprotect 0x%" PRIx64 " +%u pages prot %#x",
			 pva(w, p0), np, prot);
		want = m_all(ws, p0, np) ? 0 : PTK_EFAULT;
		rc = ptk_space_mprotect(&ws->s, pva(w, p0),
					(uint64_t)np << w->s0, prot);
		if (!rc_ok(rc, want, near_full(ws) && !want, inject && !want))
			break;
		if (!rc)
			for (k = 0; k < np; k++)
				ws->pg[p0 + k].prot = prot;
		want = rc;
		break;
	}
	case OP_MREMAP: {
		unsigned int nn, q0;

		/* a piece of a region, to elsewhere or in place */
		p0 = rand_page(w, ws);
		if (p0 >= HEAP_PAGE || !ws->pg[p0].present) {
			p0 = 0;
			np = 1;
		} else {
			for (k = 1; k < 300 && p0 + k < HEAP_PAGE &&
				    alike_next(ws, p0 + k - 1);
			     k++)
				;
			np = (unsigned int)ptk_rand_range(&w->r, 1, k);
		}
		nn = (unsigned int)ptk_rand_range(&w->r, 1, np + 64);
		q0 = ptk_rand_chance(&w->r, 1, 3)
			     ? p0
			     : (unsigned int)ptk_rand_below(&w->r,
							    HEAP_PAGE - nn + 1);
		if (q0 + nn > HEAP_PAGE || p0 + np > HEAP_PAGE) {
			q0 = p0;
			nn = np;
		}
		snprintf(what, sizeof(what),
			 "mremap 0x%" PRIx64 " +%u pages -> 0x%" PRIx64 " +%u "
			 "pages",
			 pva(w, p0), np, pva(w, q0), nn);
		if (!m_one(ws, p0, np))
			want = PTK_EFAULT;
		else if (q0 == p0)
			want = nn <= np || ((p0 + np == HEAP_PAGE ||
					     !alike_next(ws, p0 + np - 1)) &&
					    !m_any(ws, p0 + np, nn - np))
				       ? 0
				       : PTK_EEXIST;
		else if (p0 < q0 + nn && q0 < p0 + np)
			want = PTK_EINVAL;
		else
			want = m_any(ws, q0, nn) ? PTK_EEXIST : 0;
		rc = ptk_space_mremap(&ws->s, pva(w, p0), (uint64_t)np << w->s0,
				      pva(w, q0), (uint64_t)nn << w->s0);
		if (!rc_ok(rc, want, near_full(ws) && !want, inject && !want))
			break;
		if (!rc && q0 == p0) {
			if (nn < np) {
				m_unmap(ws, p0 + nn, np - nn);
			} else {
				for (k = np; k < nn; k++) {
					ws->pg[p0 + k] = ws->pg[p0 + k - 1];
					ws->pg[p0 + k].pgoff++;
					ws->pg[p0 + k].own = false;
					ws->pg[p0 + k].val = 0;
				}
			}
		} else if (!rc) {
			struct mpage tmp[300 + 64];
			unsigned int keep = nn < np ? nn : np;

			for (k = 0; k < nn; k++) {
				tmp[k] = ws->pg[p0 + (k < keep ? k : keep - 1)];
				if (k >= keep) {
					tmp[k].pgoff += k - keep + 1;
					tmp[k].own = false;
					tmp[k].val = 0;
				}
			}
			m_unmap(ws, p0, np);
			for (k = 0; k < nn; k++)
				ws->pg[q0 + k] = tmp[k];
		}
		want = rc;
		break;
	}
	case OP_BRK: {
		unsigned int cur = (unsigned int)((ws->brk - w->base) >> w->s0);
		unsigned int to = (unsigned int)ptk_rand_range(&w->r, HEAP_PAGE,
							       WIN_PAGES);
		ptk_va_t got;

		snprintf(what, sizeof(what), "brk 0x%" PRIx64 " -> 0x%" PRIx64,
			 ws->brk, pva(w, to));
		want = to > cur && m_any(ws, cur, to - cur) ? PTK_EEXIST : 0;
		rc = ptk_space_brk(&ws->s, pva(w, to), &got);
		if (!rc_ok(rc, want, near_full(ws) && !want, inject && !want))
			break;
		if (!rc) {
			struct ptk_region_desc d = {
				.prot = PTK_PROT_READ | PTK_PROT_WRITE,
				.pgoff = cur - HEAP_PAGE,
			};

			if (to > cur)
				m_map(ws, cur, to - cur, &d, -1);
			else
				m_unmap(ws, to, cur - to);
			ws->brk = pva(w, to);
			if (got != ws->brk)
				PTK_FAIL("brk says 0x%" PRIx64, got);
		}
		want = rc;
		break;
	}
	case OP_READ:
	case OP_WRITE: {
		unsigned int acc = op == OP_WRITE ? PTK_PROT_WRITE
						  : PTK_PROT_READ;
		const struct mpage *m;
		struct ptk_xlate x;

		p0 = rand_page(w, ws);
		m = &ws->pg[p0];
		snprintf(what, sizeof(what), "%s 0x%" PRIx64, op_names[op],
			 pva(w, p0));
		want = m->present && !(acc & ~m->prot) &&
				       (m->obj < 0 || m->pgoff < OBJ_PAGES)
			       ? 0
			       : PTK_EFAULT;
		rc = ptk_space_access(
			&ws->s,
			pva(w, p0) +
				ptk_rand_below(&w->r, UINT64_C(1) << w->s0),
			acc, &x);
		if (!rc_ok(rc, want, !want && w->fr.live + 1024 > NFRAMES,
			   inject && !want))
			break;
		if (!rc) {
			uint64_t *d = ptk_frames_data(&w->fr, x.oa);

			if (!d) {
				PTK_FAIL("access gave 0x%" PRIx64, x.oa);
				break;
			}
			if (op == OP_READ) {
				if (*d != expect_val(w, ws, p0))
					PTK_FAIL("read %" PRIu64 ", want "
						 "%" PRIu64 " (oa 0x%" PRIx64
						 " ref %u, "
						 "model obj %d pgoff %" PRIu64
						 " flags %#x own %d)",
						 *d, expect_val(w, ws, p0),
						 x.oa,
						 ptk_frames_ref(&w->fr, x.oa),
						 m->obj, m->pgoff, m->flags,
						 m->own);
			} else {
				*d = w->nextval;
				snprintf(what + strlen(what),
					 sizeof(what) - strlen(what),
					 " = %" PRIu64 " (oa 0x%" PRIx64 ")",
					 w->nextval, x.oa);
				if (m->obj >= 0 &&
				    (m->flags & PTK_REGION_SHARED)) {
					w->obj[m->obj].val[m->pgoff] =
						w->nextval;
				} else {
					ws->pg[p0].own = true;
					ws->pg[p0].val = w->nextval;
				}
				w->nextval++;
			}
		}
		want = rc;
		break;
	}
	case OP_FORK: {
		struct wspace *c = NULL;

		for (k = 0; k < NSPACE; k++)
			if (!w->sp[k].live)
				c = &w->sp[k];
		if (!c)
			break;
		snprintf(what, sizeof(what), "fork of space %u into %u",
			 (unsigned int)(ws - w->sp), (unsigned int)(c - w->sp));
		k = (unsigned int)w->fm.fail_at;
		w->fm.fail_at = 0;
		space_new(w, (unsigned int)(c - w->sp));
		w->fm.calls = 0;
		w->fm.fail_at = k;
		rc = ptk_space_fork(&c->s, &ws->s);
		if (!rc_ok(rc, 0, false, inject))
			break;
		if (rc) {
			space_exit(w, c);
		} else {
			memcpy(c->pg, ws->pg, sizeof(c->pg));
			c->brk = ws->brk;
		}
		want = rc;
		break;
	}
	case OP_EXIT:
		if (nr_live(w) < 2)
			break;
		snprintf(what, sizeof(what), "exit of space %u",
			 (unsigned int)(ws - w->sp));
		space_exit(w, ws);
		break;
	}
	w->fm.fail_at = 0;
	if (getenv("PTK_TRACE"))
		fprintf(stderr, "%" PRIu64 ": space %u: %s -> %s%s\n", n,
			(unsigned int)(ws - w->sp), what, ptk_errname(rc),
			inject ? " (inject)" : "");
	w->ops[op]++;
	if (rc)
		w->fails[op]++;
	if (rc != want)
		PTK_FAIL("%s: got %s, model says %s", what, ptk_errname(rc),
			 ptk_errname(want));
	check_world(w);
	if (ptk_test_failures()) {
		PTK_FAIL("... at step %" PRIu64 ": %s (space %u)", n, what,
			 (unsigned int)(ws - w->sp));
		ptk_test_abort();
	}
}

static void random_run(const struct ptk_fmt *f, unsigned int tflags)
{
	uint64_t nops = ptk_test_env_u64("PTK_OPS", 1500) *
			ptk_test_env_u64("PTK_OPS_SCALE", 1),
		 i;
	struct world *w = calloc(1, sizeof(*w));
	unsigned int k;

	PTK_ASSERT(w);
	world_init(w, f, tflags);
	w->model = true;
	space_new(w, 0);
	for (i = 0; i < nops; i++)
		step(w, i);
	printf("%s%s: %" PRIu64 " ops, seed 0x%016" PRIx64 ", frames: %" PRIu64
	       " allocated, %" PRIu64 " copied\n ",
	       f->name, tflags & PTK_TABLE_HASH ? " (hash)" : "", nops,
	       ptk_test_seed(), w->fr.allocs, w->fr.copies);
	for (k = 0; k < OP_NR; k++)
		printf(" %s %" PRIu64 "/%" PRIu64, op_names[k], w->ops[k],
		       w->fails[k]);
	printf("\n");
	world_fini(w);
	free(w);
}

/* --- hand-made cases, on both implementations */

static const struct ptk_region_desc anon_rw = {
	.prot = PTK_PROT_READ | PTK_PROT_WRITE,
	.ops = &ptk_region_anon,
};

static ptk_oa_t touch(struct world *w, struct wspace *ws, ptk_va_t va,
		      unsigned int acc)
{
	struct ptk_xlate x;

	PTK_ASSERT_OK(ptk_space_access(&ws->s, va, acc, &x));
	(void)w;
	return x.oa;
}

static void cow_case(unsigned int tflags)
{
	struct world *w = calloc(1, sizeof(*w));
	struct wspace *p, *c;
	ptk_va_t a;
	ptk_oa_t o1, o2, o3;
	struct ptk_xlate x;
	struct ptk_region_desc d = anon_rw;

	PTK_ASSERT(w);
	world_init(w, &ptk_fmt_x86_64, tflags);
	p = space_new(w, 0);
	a = w->base;
	d.pgoff = 0;
	PTK_ASSERT_OK(ptk_space_mmap(&p->s, a, 4 << 12, &d));
	o1 = touch(w, p, a, PTK_PROT_WRITE);
	*ptk_frames_data(&w->fr, o1) = 11;
	c = space_new(w, 1);
	PTK_ASSERT_OK(ptk_space_fork(&c->s, &p->s));
	/* shared copy-on-write: one frame, two references, read-only */
	PTK_EXPECT_EQ(touch(w, c, a, PTK_PROT_READ), o1);
	PTK_EXPECT_EQ(ptk_frames_ref(&w->fr, o1), 2);
	PTK_ASSERT_OK(ptk_translate(&c->t, a, &x));
	/* the child writes: a copy, with the contents */
	o2 = touch(w, c, a, PTK_PROT_WRITE);
	PTK_EXPECT(o2 != o1);
	PTK_EXPECT_EQ(*ptk_frames_data(&w->fr, o2), 11);
	*ptk_frames_data(&w->fr, o2) = 22;
	PTK_EXPECT_EQ(*ptk_frames_data(&w->fr, o1), 11);
	PTK_EXPECT_EQ(ptk_frames_ref(&w->fr, o1), 1);
	PTK_EXPECT_EQ(c->s.stats.cow_copies, 1);
	/* the parent writes: the frame is its own again, no copy */
	o3 = touch(w, p, a, PTK_PROT_WRITE);
	PTK_EXPECT_EQ(o3, o1);
	PTK_EXPECT_EQ(p->s.stats.cow_reuses, 1);
	PTK_EXPECT_EQ(w->fr.copies, 1);
	/* a page never touched before the fork: each faults its own */
	PTK_EXPECT(touch(w, p, a + 4096, PTK_PROT_READ) !=
		   touch(w, c, a + 4096, PTK_PROT_READ));
	space_exit(w, c);
	PTK_EXPECT_EQ(ptk_frames_ref(&w->fr, o1), 1);
	world_fini(w);
	free(w);
}

static void huge_case(unsigned int tflags)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ptk_region_desc d = anon_rw;
	struct wspace *p, *c;
	struct ptk_xlate x;
	ptk_oa_t o1, o2;
	ptk_va_t a;

	PTK_ASSERT(w);
	world_init(w, &ptk_fmt_x86_64, tflags);
	p = space_new(w, 0);
	a = w->base;
	d.max_page_lg2 = 21;
	/* 2 MiB + 8 KiB: one huge page fits, the tail takes small ones */
	PTK_ASSERT_OK(ptk_space_mmap(&p->s, a, (2 << 20) + 8192, &d));
	PTK_ASSERT_OK(ptk_space_access(&p->s, a + 12345, PTK_PROT_WRITE, &x));
	PTK_EXPECT_EQ(x.size_lg2, 21);
	o1 = x.oa - 12345;
	PTK_ASSERT_OK(ptk_space_access(&p->s, a + (2 << 20) + 4096,
				       PTK_PROT_READ, &x));
	PTK_EXPECT_EQ(x.size_lg2, 12);
	PTK_EXPECT_EQ(w->fr.live, 512 + 1);
	c = space_new(w, 1);
	PTK_ASSERT_OK(ptk_space_fork(&c->s, &p->s));
	PTK_EXPECT_EQ(ptk_frames_ref(&w->fr, o1 + 4096 * 77), 2);
	o2 = touch(w, c, a + 5, PTK_PROT_WRITE) - 5;
	PTK_EXPECT(o2 != o1);
	PTK_EXPECT_EQ(w->fr.copies, 512);
	PTK_ASSERT_OK(ptk_translate(&c->t, a, &x));
	PTK_EXPECT_EQ(x.size_lg2, 21);
	/* munmap of part of the huge page splits it */
	PTK_ASSERT_OK(ptk_space_munmap(&c->s, a + 4096, 4096));
	PTK_EXPECT_EQ(ptk_frames_ref(&w->fr, o2 + 4096), 0);
	PTK_EXPECT_EQ(ptk_frames_ref(&w->fr, o2 + 8192), 1);
	PTK_EXPECT_RC(ptk_translate(&c->t, a + 4096, NULL), PTK_ENOENT);
	space_exit(w, c);
	world_fini(w);
	free(w);
}

/* Failing and misbehaving fault hooks; a table that cannot grow. */
static void fail_case(unsigned int tflags)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ptk_region_desc d = anon_rw;
	struct wspace *p, *c;
	uint64_t live, n;
	ptk_va_t a;
	int rc;

	PTK_ASSERT(w);
	world_init(w, &ptk_fmt_x86_64, tflags);
	p = space_new(w, 0);
	a = w->base;
	d.ops = &bad_ops;
	d.arg = w;
	PTK_ASSERT_OK(ptk_space_mmap(&p->s, a, 1 << 20, &d));
	live = w->fr.live;
	PTK_EXPECT_RC(ptk_space_access(&p->s, a, PTK_PROT_READ, NULL),
		      PTK_EUSER);
	PTK_EXPECT_EQ(w->fr.live, live);
	PTK_EXPECT_RC(ptk_translate(&p->t, a, NULL), PTK_ENOENT);
	d.ops = &odd_ops;
	PTK_ASSERT_OK(ptk_space_mmap(&p->s, a + (1 << 20), 1 << 20, &d));
	PTK_EXPECT_RC(ptk_space_access(&p->s, a + (1 << 20), PTK_PROT_READ,
				       NULL),
		      PTK_EINVAL);
	PTK_EXPECT_EQ(w->fr.live, live);
	/* the table cannot grow: the frame the hook gave goes back */
	d = anon_rw;
	d.pgoff = 1000;
	PTK_ASSERT_OK(ptk_space_mmap(&p->s, a + (8 << 20), 1 << 20, &d));
	w->fm.calls = 0;
	w->fm.fail_at = 1;
	PTK_EXPECT_RC(ptk_space_access(&p->s, a + (8 << 20), PTK_PROT_WRITE,
				       NULL),
		      PTK_ENOMEM);
	w->fm.fail_at = 0;
	PTK_EXPECT_EQ(w->fr.live, live);
	PTK_EXPECT_RC(ptk_translate(&p->t, a + (8 << 20), NULL), PTK_ENOENT);
	/* fork with each table allocation failing in turn */
	touch(w, p, a + (8 << 20), PTK_PROT_WRITE);
	touch(w, p, a + (8 << 20) + (512 << 10), PTK_PROT_READ);
	check_world(w);
	for (n = 1; n < 64; n++) {
		w->fm.fail_at = 0;
		c = space_new(w, 1);
		w->fm.calls = 0;
		w->fm.fail_at = n;
		rc = ptk_space_fork(&c->s, &p->s);
		w->fm.fail_at = 0;
		if (!rc) {
			memcpy(c->pg, p->pg, sizeof(c->pg));
			break;
		}
		PTK_EXPECT_RC(rc, PTK_ENOMEM);
		space_exit(w, c);
		check_world(w);
	}
	PTK_EXPECT(n > 1 && n < 64);
	space_exit(w, c);
	world_fini(w);
	free(w);
}

/* Region splits and merges, written down by hand; slots running out. */
static void expect_regions(struct wspace *ws, const ptk_va_t *want,
			   unsigned int n)
{
	const struct ptk_region *r;
	unsigned int nr, i;

	r = ptk_space_regions(&ws->s, &nr);
	PTK_EXPECT_EQ(nr, n);
	for (i = 0; i < nr && i < n; i++) {
		PTK_EXPECT_EQ(r[i].start, want[2 * i]);
		PTK_EXPECT_EQ(r[i].end, want[2 * i + 1]);
	}
}

static void region_case(unsigned int tflags)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ptk_region_desc d = anon_rw;
	struct wspace *p;
	ptk_va_t a, got;
	const uint64_t P = 4096;

	PTK_ASSERT(w);
	world_init(w, &ptk_fmt_x86_64, tflags);
	p = space_new(w, 0);
	a = w->base;
	d.pgoff = 0;
	PTK_ASSERT_OK(ptk_space_mmap(&p->s, a, 10 * P, &d));
	d.pgoff = 10;
	PTK_ASSERT_OK(ptk_space_mmap(&p->s, a + 10 * P, 10 * P, &d));
	expect_regions(p, (ptk_va_t[]){ a, a + 20 * P }, 1);
	touch(w, p, a + 7 * P, PTK_PROT_WRITE);
	PTK_ASSERT_OK(
		ptk_space_mprotect(&p->s, a + 5 * P, 10 * P, PTK_PROT_READ));
	expect_regions(p,
		       (ptk_va_t[]){ a, a + 5 * P, a + 5 * P, a + 15 * P,
				     a + 15 * P, a + 20 * P },
		       3);
	PTK_EXPECT_RC(ptk_space_access(&p->s, a + 7 * P, PTK_PROT_WRITE, NULL),
		      PTK_EFAULT);
	PTK_ASSERT_OK(ptk_space_mprotect(&p->s, a + 5 * P, 10 * P,
					 PTK_PROT_READ | PTK_PROT_WRITE));
	expect_regions(p, (ptk_va_t[]){ a, a + 20 * P }, 1);
	/* write permission comes back by a fault (the page is ours) */
	touch(w, p, a + 7 * P, PTK_PROT_WRITE);
	PTK_EXPECT_EQ(p->s.stats.cow_reuses, 1);
	PTK_EXPECT_RC(ptk_space_mprotect(&p->s, a + 15 * P, 10 * P,
					 PTK_PROT_READ),
		      PTK_EFAULT);
	PTK_ASSERT_OK(ptk_space_munmap(&p->s, a + 8 * P, 4 * P));
	expect_regions(p, (ptk_va_t[]){ a, a + 8 * P, a + 12 * P, a + 20 * P },
		       2);
	PTK_EXPECT_RC(ptk_translate(&p->t, a + 7 * P, NULL), 0);
	/* grow in place into the hole: merges again */
	PTK_ASSERT_OK(ptk_space_mremap(&p->s, a, 8 * P, a, 12 * P));
	expect_regions(p, (ptk_va_t[]){ a, a + 20 * P }, 1);
	/* move a piece away; the page and its contents go with it */
	*ptk_frames_data(&w->fr, touch(w, p, a + 7 * P, PTK_PROT_READ)) = 77;
	PTK_ASSERT_OK(
		ptk_space_mremap(&p->s, a + 6 * P, 2 * P, a + 100 * P, 3 * P));
	expect_regions(p,
		       (ptk_va_t[]){ a, a + 6 * P, a + 8 * P, a + 20 * P,
				     a + 100 * P, a + 103 * P },
		       3);
	PTK_EXPECT_EQ(*ptk_frames_data(&w->fr,
				       touch(w, p, a + 101 * P, PTK_PROT_READ)),
		      77);
	PTK_EXPECT_RC(ptk_translate(&p->t, a + 7 * P, NULL), PTK_ENOENT);
	PTK_EXPECT_RC(ptk_space_mremap(&p->s, a, 2 * P, a + 10 * P, P),
		      PTK_EEXIST);
	/* the heap */
	PTK_ASSERT_OK(ptk_space_brk(&p->s, 0, &got));
	PTK_EXPECT_EQ(got, a + ((uint64_t)HEAP_PAGE << 12));
	PTK_ASSERT_OK(ptk_space_brk(&p->s, got + 3 * P + 1, &got));
	PTK_EXPECT_EQ(got, a + ((uint64_t)HEAP_PAGE << 12) + 4 * P);
	touch(w, p, got - 1, PTK_PROT_WRITE);
	PTK_ASSERT_OK(ptk_space_brk(&p->s, got + 4 * P, &got));
	PTK_ASSERT_OK(ptk_space_brk(&p->s, got - 6 * P, &got));
	PTK_EXPECT_RC(ptk_translate(&p->t, got + 2 * P, NULL), PTK_ENOENT);
	expect_regions(p,
		       (ptk_va_t[]){ a, a + 6 * P, a + 8 * P, a + 20 * P,
				     a + 100 * P, a + 103 * P,
				     a + ((uint64_t)HEAP_PAGE << 12),
				     a + ((uint64_t)HEAP_PAGE << 12) + 2 * P },
		       4);
	check_world(w);
	world_fini(w);
	free(w);
}

static void slots_case(unsigned int tflags)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ptk_region_desc d = anon_rw;
	struct ptk_region few[3];
	struct ptk_space s;
	struct ptk_table t;
	unsigned int i, nr;
	const uint64_t P = 4096;
	ptk_va_t a, got;

	PTK_ASSERT(w);
	world_init(w, &ptk_fmt_x86_64, tflags);
	a = w->base;
	PTK_ASSERT_OK(ptk_table_create(&t, w->f, &w->fm.mem, tflags));
	PTK_ASSERT_OK(ptk_space_init(&s, &t, &w->fr, few, 3, 0));
	for (i = 0; i < 3; i++) {
		d.pgoff = 10 * i;
		PTK_ASSERT_OK(ptk_space_mmap(&s, a + 20 * i * P, 10 * P, &d));
	}
	PTK_EXPECT_RC(ptk_space_mmap(&s, a + 100 * P, P, &d), PTK_ENOSPC);
	PTK_EXPECT_RC(ptk_space_munmap(&s, a + 2 * P, P), PTK_ENOSPC);
	PTK_EXPECT_RC(ptk_space_mprotect(&s, a + 2 * P, P, PTK_PROT_READ),
		      PTK_ENOSPC);
	PTK_EXPECT_RC(ptk_space_brk(&s, a, NULL), PTK_EINVAL);
	/* a heap placed late: misaligned and zero bases refused */
	PTK_EXPECT_RC(ptk_space_set_brk(&s, a + 200 * P + 1), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_space_set_brk(&s, 0), PTK_EINVAL);
	PTK_ASSERT_OK(ptk_space_set_brk(&s, a + 200 * P));
	PTK_ASSERT_OK(ptk_space_brk(&s, 0, &got));
	PTK_EXPECT_EQ(got, a + 200 * P);
	/* no slot left for the heap's region: nothing changes */
	PTK_EXPECT_RC(ptk_space_brk(&s, a + 201 * P, &got), PTK_ENOSPC);
	PTK_EXPECT_EQ(got, a + 200 * P);
	PTK_ASSERT_OK(ptk_space_set_brk(&s, a + 300 * P));
	ptk_space_regions(&s, &nr);
	PTK_EXPECT_EQ(nr, 3);
	/* ends need no slot */
	PTK_ASSERT_OK(ptk_space_munmap(&s, a, P));
	PTK_ASSERT_OK(
		ptk_space_mprotect(&s, a + 20 * P, 10 * P, PTK_PROT_READ));
	ptk_space_fini(&s);
	ptk_table_destroy(&t);
	world_fini(w);
	free(w);
}

PTK_TEST(space_cases)
{
	static const unsigned int impls[2] = { 0, PTK_TABLE_HASH };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		cow_case(impls[i]);
		huge_case(impls[i]);
		fail_case(impls[i]);
		region_case(impls[i]);
		slots_case(impls[i]);
	}
}

/* space_<format>[_hash]: a random run. */
static void test_by_name(void)
{
	const char *name = ptk_test_name() + strlen("space_");
	size_t n = strlen(name);
	bool hash = n > 5 && !strcmp(name + n - 5, "_hash");
	const struct ptk_fmt *f;
	char fname[64];

	if (hash)
		n -= 5;
	PTK_ASSERT(n < sizeof(fname));
	memcpy(fname, name, n);
	fname[n] = 0;
	f = strcmp(fname, "toy32") ? ptk_fmt_lookup(fname) : &toy_fmt;
	PTK_ASSERT(f);
	random_run(f, hash ? PTK_TABLE_HASH : 0);
}

static struct ptk_test tests[2 * 64 + 4];
static char names[2 * 64 + 2][64];

int main(int argc, char **argv)
{
	size_t i, n = 0;

	tests[n].name = "space_cases";
	tests[n++].fn = ptk_test_space_cases;
	for (i = 0; i < ptk_fmt_count() && i < 64; i++) {
		snprintf(names[2 * i], sizeof(names[0]), "space_%s",
			 ptk_fmt_get(i)->name);
		tests[n].name = names[2 * i];
		tests[n++].fn = test_by_name;
		snprintf(names[2 * i + 1], sizeof(names[0]), "space_%s_hash",
			 ptk_fmt_get(i)->name);
		tests[n].name = names[2 * i + 1];
		tests[n++].fn = test_by_name;
	}
	tests[n].name = NULL;
	tests[n].fn = NULL;
	return ptk_test_main(argc, argv, tests);
}
