// SPDX-License-Identifier: MIT
/*
 * Finding page-table roots in an image without symbols (see rootscan.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "rootscan.h"

#define BIT(n) ((uint64_t)1 << (n))
#define MASK(n) ((n) >= 64 ? ~(uint64_t)0 : BIT(n) - 1)

/*
 * Thresholds of the score. A tree is well-formed when at least
 * GOOD_QUALITY of its non-empty entries are; only well-formed trees mark
 * the tables they reach as inner, share top entries and hide shallower
 * readings. A table with more than 1 in JUNK_DIV of its entries
 * malformed is not read further: real tables have none.
 */
#define GOOD_QUALITY 0.9
#define JUNK_DIV 8

/* ------------------------------------------------------------------ */
/*
 * What the tables alone do not say (how a root register encodes the
 * table address, which machines a format fits, whether its tables are a
 * hypervisor's second stage, which notes name the root) is the formats'
 * to say: struct ptk_fmt_arch, through the ptk_fmt_* functions. Nothing
 * here names an architecture.
 */

/*
 * The machine a format belongs to first (0: any): formats of one machine
 * are compared with each other (covers(), find_fine()).
 */
static unsigned int machine_of(const struct ptk_fmt *f)
{
	const uint16_t *m = ptk_fmt_arch(f)->machines;

	return m ? m[0] : 0;
}

/* Whether a format is read when no --format names one. */
static bool by_default(const struct ptk_fmt *f)
{
	return !(ptk_fmt_arch(f)->flags & PTK_ARCH_NESTED);
}

/*
 * Whether a CPU's notes say it runs format @f: translation on (when the
 * notes carry the register that turns it on) and the control register
 * (when they carry it) selecting @f.
 */
static bool note_selects(const struct ptk_fmt *f,
			 const struct ptk_image_cpu *cpu)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);
	uint64_t v;

	if (a->note_enable && !ptk_image_cpu_reg(&v, cpu, a->note_enable) &&
	    (v & a->enable_bits) != a->enable_bits)
		return false;
	if (a->note_ctrl && !ptk_image_cpu_reg(&v, cpu, a->note_ctrl) &&
	    ptk_fmt_check_ctrl(NULL, f, 0, v))
		return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The trees below candidates, each table read once per level. */

enum node_state {
	NODE_OK = 1,
	NODE_ABSENT, /* not (wholly) in the image */
	NODE_JUNK, /* too many malformed entries to be a table */
};

struct stats {
	uint64_t leaves;
	uint64_t leaves0; /* leaves at level 0 */
	uint64_t oa_or; /* the OR of their OAs: how they are aligned */
	uint64_t tables;
	uint64_t valid;
	uint64_t bad;
	uint64_t user;
	uint8_t state;
};

struct node {
	uint64_t key; /* (oa << 3 | level) + 1; 0 = free */
	struct stats st;
};

struct memo {
	struct node *v;
	size_t cap; /* a power of two */
	size_t nr;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static struct node *memo_find(const struct memo *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->v[i].key == key)
			return &m->v[i];
		if (!m->v[i].key)
			return NULL;
	}
}

static int memo_put(struct memo *m, uint64_t key, const struct stats *st)
{
	size_t i;

	if ((m->nr + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 1024, j;
		struct node *n = calloc(ncap, sizeof(*n));

		if (!n)
			return PTK_ENOMEM;
		for (j = 0; j < m->cap; j++) {
			if (!m->v[j].key)
				continue;
			for (i = mix(m->v[j].key) & (ncap - 1); n[i].key;
			     i = (i + 1) & (ncap - 1))
				;
			n[i] = m->v[j];
		}
		free(m->v);
		m->v = n;
		m->cap = ncap;
	}
	for (i = mix(key) & (m->cap - 1); m->v[i].key;
	     i = (i + 1) & (m->cap - 1))
		;
	m->v[i].key = key;
	m->v[i].st = *st;
	m->nr++;
	return 0;
}

struct ctx {
	struct ptk_image *img;
	const struct ptk_fmt *f;
	struct memo memo;
};

static uint64_t table_bytes(const struct ptk_fmt *f, unsigned int level)
{
	return (uint64_t)1 << (f->level_bits[level] + f->entry_lg2);
}

static ptk_pte_t rd(const unsigned char *p, unsigned int lg2)
{
	uint32_t w;
	uint64_t d;

	if (lg2 == 2) {
		memcpy(&w, p, 4);
		return w;
	}
	memcpy(&d, p, 8);
	return d;
}

/* What the table at @oa, read at @level, and everything below it hold. */
static int eval(struct ctx *c, ptk_oa_t oa, unsigned int level,
		struct stats *out)
{
	const struct ptk_fmt *f = c->f;
	const struct ptk_fmt_hooks *h = f->hooks;
	uint64_t key = (oa << 3 | level) + 1, n, j, nonempty = 0, invalid = 0;
	unsigned int esz = 1u << f->entry_lg2;
	const unsigned char *e;
	struct node *nd = memo_find(&c->memo, key);
	struct stats st = { 0 };
	int rc;

	if (nd) {
		*out = nd->st;
		return 0;
	}
	n = (uint64_t)1 << f->level_bits[level];
	e = ptk_image_ptr(c->img, oa, table_bytes(f, level));
	if (!e) {
		st.state = NODE_ABSENT;
		goto done;
	}
	for (j = 0; j < n; j++) {
		enum ptk_entry_type t =
			h->classify(f, level, rd(e + j * esz, f->entry_lg2));

		nonempty += t != PTK_ENTRY_EMPTY;
		invalid += t == PTK_ENTRY_INVALID;
	}
	if (invalid > nonempty / JUNK_DIV + 1) {
		st.state = NODE_JUNK;
		st.bad = nonempty;
		goto done;
	}
	st.state = NODE_OK;
	for (j = 0; j < n; j++) {
		ptk_pte_t pte = rd(e + j * esz, f->entry_lg2);
		struct ptk_attrs a;
		struct stats sub;
		ptk_oa_t child;

		switch (h->classify(f, level, pte)) {
		case PTK_ENTRY_EMPTY:
			break;
		case PTK_ENTRY_INVALID:
			st.bad++;
			break;
		case PTK_ENTRY_LEAF:
			st.valid++;
			st.leaves++;
			if (!level) {
				st.leaves0++;
				st.oa_or |= h->leaf_oa(f, level, pte);
			}
			h->decode(f, level, pte, &a);
			if (a.prot & PTK_PROT_USER)
				st.user++;
			break;
		case PTK_ENTRY_TABLE:
			child = h->table_oa(f, level, pte);
			if (child == oa || !level) {
				st.bad++; /* points to itself */
				break;
			}
			rc = eval(c, child, level - 1, &sub);
			if (rc)
				return rc;
			if (sub.state != NODE_OK) {
				st.bad += sub.state == NODE_ABSENT
						  ? 1
						  : 1 + sub.bad;
				break;
			}
			st.valid += 1 + sub.valid;
			st.bad += sub.bad;
			st.tables += 1 + sub.tables;
			st.leaves += sub.leaves;
			st.leaves0 += sub.leaves0;
			st.oa_or |= sub.oa_or;
			st.user += sub.user;
			break;
		}
	}
done:
	*out = st;
	return memo_put(&c->memo, key, &st);
}

/*
 * The first test of a candidate top-level table: every entry valid, at
 * least one pointing to a table inside the image.
 */
static bool worth_reading(struct ctx *c, const unsigned char *e)
{
	const struct ptk_fmt *f = c->f;
	const struct ptk_fmt_hooks *h = f->hooks;
	unsigned int top = f->levels - 1, esz = 1u << f->entry_lg2;
	uint64_t n = (uint64_t)1 << f->level_bits[top], j;
	bool reaches = false;

	for (j = 0; j < n; j++) {
		ptk_pte_t pte = rd(e + j * esz, f->entry_lg2);

		switch (h->classify(f, top, pte)) {
		case PTK_ENTRY_INVALID:
			return false;
		case PTK_ENTRY_TABLE:
			if (!reaches && top &&
			    ptk_image_ptr(c->img, h->table_oa(f, top, pte),
					  table_bytes(f, top - 1)))
				reaches = true;
			break;
		default:
			break;
		}
	}
	return reaches;
}

/* ------------------------------------------------------------------ */
/* The candidates of every format, and what they say of each other. */

struct cand_list {
	struct root_cand *v;
	size_t nr;
	size_t cap;
};

static int cand_push(struct cand_list *l, const struct root_cand *c)
{
	struct root_cand *n = tool_grow(l->v, &l->cap, l->nr, sizeof(*n), 64);

	if (!n)
		return PTK_ENOMEM;
	l->v = n;
	l->v[l->nr++] = *c;
	return 0;
}

/* @reg: the root register value pointing to @oa (ptk_fmt_reg_from_root) */
static void cand_from_stats(struct root_cand *rc, const struct ptk_fmt *f,
			    ptk_oa_t oa, uint64_t reg, const struct stats *st)
{
	memset(rc, 0, sizeof(*rc));
	rc->fmt = f;
	rc->oa = oa;
	rc->reg = reg;
	rc->leaves = st->leaves;
	rc->tables = st->tables;
	rc->bad = st->bad;
	rc->user = st->user;
	rc->quality =
		st->valid + st->bad
			? (double)st->valid / (double)(st->valid + st->bad)
			: 0;
	rc->cpu = -1;
	rc->leaves0 = st->leaves0;
	rc->oa_or = st->oa_or;
	if (!st->user && st->leaves)
		rc->flags |= ROOT_KERNEL;
}

/* Every aligned position of every segment, read as format @f's root. */
static int scan_format(struct cand_list *out, struct roots_result *res,
		       struct ctx *c)
{
	const struct ptk_fmt *f = c->f;
	unsigned int top = f->levels - 1;
	uint64_t rsz = table_bytes(f, top);
	size_t i, nseg = ptk_image_nr_segs(c->img);
	int rc;

	if (!top)
		return 0;
	for (i = 0; i < nseg; i++) {
		struct ptk_image_seg s;
		ptk_oa_t pa, end;

		ptk_image_seg(&s, c->img, i);
		end = s.pa + s.size;
		if (f->table_oa_bits && f->table_oa_bits < 64 &&
		    end > BIT(f->table_oa_bits))
			end = BIT(f->table_oa_bits);
		for (pa = (s.pa + rsz - 1) & ~(rsz - 1);
		     pa >= s.pa && pa + rsz <= end; pa += rsz) {
			const unsigned char *e = ptk_image_ptr(c->img, pa, rsz);
			struct root_cand rcand;
			struct stats st;
			uint64_t reg;

			res->looked++;
			/* No root register can point there: not a root. */
			if (!e || ptk_fmt_reg_from_root(&reg, NULL, f, 0, pa) ||
			    !worth_reading(c, e))
				continue;
			res->kept++;
			rc = eval(c, pa, top, &st);
			if (rc)
				return rc;
			cand_from_stats(&rcand, f, pa, reg, &st);
			rc = cand_push(out, &rcand);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static bool good(const struct root_cand *c)
{
	return c->quality >= GOOD_QUALITY;
}

/* A set of 64-bit keys (open addressing; 0 is stored as a flag). */
struct keyset {
	uint64_t *v;
	uint32_t *count;
	size_t cap;
	size_t nr;
};

static uint32_t *keyset_slot(struct keyset *s, uint64_t key, bool add)
{
	size_t i;

	key++; /* 0 marks a free slot */
	if (add && (s->nr + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024, j;
		uint64_t *nv = calloc(ncap, sizeof(*nv));
		uint32_t *nc = calloc(ncap, sizeof(*nc));

		if (!nv || !nc) {
			free(nv);
			free(nc);
			return NULL;
		}
		for (j = 0; j < s->cap; j++) {
			if (!s->v[j])
				continue;
			for (i = mix(s->v[j]) & (ncap - 1); nv[i];
			     i = (i + 1) & (ncap - 1))
				;
			nv[i] = s->v[j];
			nc[i] = s->count[j];
		}
		free(s->v);
		free(s->count);
		s->v = nv;
		s->count = nc;
		s->cap = ncap;
	}
	if (!s->cap)
		return NULL;
	for (i = mix(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == key)
			return &s->count[i];
		if (!s->v[i])
			break;
	}
	if (!add)
		return NULL;
	s->v[i] = key;
	s->nr++;
	return &s->count[i];
}

static void keyset_free(struct keyset *s)
{
	free(s->v);
	free(s->count);
	memset(s, 0, sizeof(*s));
}

/* The key of top entry @idx holding @pte of a candidate of format @fi. */
static uint64_t share_key(size_t fi, uint64_t idx, ptk_pte_t pte)
{
	return mix(mix(pte) ^ (idx << 8 | fi));
}

struct finder {
	struct ptk_image *img;
	struct roots_result *res;
	struct cand_list l;
	struct memo memo[64]; /* per format, as res->fmts */
};

static int fmt_index(const struct finder *fd, const struct ptk_fmt *f)
{
	size_t i;

	for (i = 0; i < fd->res->nr_fmts; i++)
		if (fd->res->fmts[i] == f)
			return (int)i;
	return -1;
}

/*
 * The kernel half: top entries of well-formed candidates that other
 * candidates of the same format hold at the same index.
 */
static int count_shared(struct finder *fd)
{
	struct keyset set = { 0 };
	size_t i, pass;
	int rc = 0;

	for (pass = 0; pass < 2 && !rc; pass++) {
		for (i = 0; i < fd->l.nr && !rc; i++) {
			struct root_cand *c = &fd->l.v[i];
			const struct ptk_fmt *f = c->fmt;
			unsigned int top = f->levels - 1;
			unsigned int esz = 1u << f->entry_lg2;
			uint64_t n = (uint64_t)1 << f->level_bits[top], j;
			const unsigned char *e;
			int fi = fmt_index(fd, f);

			if (!good(c))
				continue;
			e = ptk_image_ptr(fd->img, c->oa, table_bytes(f, top));
			for (j = 0; e && j < n; j++) {
				ptk_pte_t pte = rd(e + j * esz, f->entry_lg2);
				enum ptk_entry_type t =
					f->hooks->classify(f, top, pte);
				uint32_t *cnt;

				if (t != PTK_ENTRY_TABLE && t != PTK_ENTRY_LEAF)
					continue;
				cnt = keyset_slot(&set,
						  share_key((size_t)fi, j, pte),
						  pass == 0);
				if (pass == 0) {
					if (!cnt) {
						rc = PTK_ENOMEM;
						break;
					}
					(*cnt)++;
				} else if (cnt && *cnt >= 2) {
					c->shared++;
				}
			}
		}
	}
	keyset_free(&set);
	return rc;
}

/*
 * Mark every table that the tree of @root (format @fi) reaches below its
 * top in @refs. @seen holds the (format, table, level) already walked.
 */
static int mark_reached(struct finder *fd, int fi, ptk_oa_t oa,
			unsigned int level, ptk_oa_t root, struct keyset *seen,
			struct keyset *refs)
{
	const struct ptk_fmt *f = fd->res->fmts[fi];
	unsigned int esz = 1u << f->entry_lg2;
	uint64_t n = (uint64_t)1 << f->level_bits[level], j;
	uint64_t key = mix((oa << 3 | level) ^ ((uint64_t)fi << 58));
	const unsigned char *e;
	uint32_t *slot;
	int rc;

	if (keyset_slot(seen, key, false))
		return 0;
	slot = keyset_slot(seen, key, true);
	if (!slot)
		return PTK_ENOMEM;
	e = ptk_image_ptr(fd->img, oa, table_bytes(f, level));
	for (j = 0; e && level && j < n; j++) {
		ptk_pte_t pte = rd(e + j * esz, f->entry_lg2);
		struct node *nd;
		ptk_oa_t child;

		if (f->hooks->classify(f, level, pte) != PTK_ENTRY_TABLE)
			continue;
		child = f->hooks->table_oa(f, level, pte);
		nd = memo_find(&fd->memo[fi], (child << 3 | (level - 1)) + 1);
		if (!nd || nd->st.state != NODE_OK || child == root)
			continue;
		if (!keyset_slot(refs, child, true))
			return PTK_ENOMEM;
		rc = mark_reached(fd, fi, child, level - 1, root, seen, refs);
		if (rc)
			return rc;
	}
	return 0;
}

/* Candidates that a well-formed tree reaches are inner tables. */
static int find_inner(struct finder *fd)
{
	struct keyset seen = { 0 }, refs = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < fd->l.nr && !rc; i++) {
		struct root_cand *c = &fd->l.v[i];

		if (good(c))
			rc = mark_reached(fd, fmt_index(fd, c->fmt), c->oa,
					  c->fmt->levels - 1, c->oa, &seen,
					  &refs);
	}
	for (i = 0; i < fd->l.nr && !rc; i++)
		if (keyset_slot(&refs, fd->l.v[i].oa, false))
			fd->l.v[i].flags |= ROOT_INNER;
	keyset_free(&seen);
	keyset_free(&refs);
	return rc;
}

/*
 * Whether @g reads tables as @f does with a larger VA space on top (more
 * levels, or a wider top table): a root of @g read with @f then looks
 * like a root of @f that misses the upper part.
 */
static bool covers(const struct ptk_fmt *g, const struct ptk_fmt *f)
{
	unsigned int l;

	if (g == f || g->entry_lg2 != f->entry_lg2 ||
	    g->va_bits <= f->va_bits || g->levels < f->levels ||
	    machine_of(g) != machine_of(f))
		return false;
	for (l = 0; l + 1 < f->levels; l++)
		if (g->level_bits[l] != f->level_bits[l] ||
		    g->level_shift[l] != f->level_shift[l])
			return false;
	return true;
}

static int cmp_oa(const void *a, const void *b)
{
	const struct root_cand *x = a, *y = b;

	return x->oa < y->oa ? -1 : x->oa > y->oa;
}

#define DROPPED 0x80000000u

/*
 * Drop the candidates that lie in the top table of a well-formed root of
 * a format covering theirs (see covers()).
 */
static void drop_covered(struct finder *fd)
{
	struct cand_list *l = &fd->l;
	size_t i, j, n = 0;

	if (l->nr >
	    1) /* (no candidates: v is NULL, which qsort may not take) */
		qsort(l->v, l->nr, sizeof(*l->v), cmp_oa);
	for (i = 0; i < l->nr; i++) {
		struct root_cand *c = &l->v[i];
		uint64_t csz = table_bytes(c->fmt, c->fmt->levels - 1);
		size_t end = i + 1;

		while (end < l->nr && l->v[end].oa == c->oa)
			end++;
		for (j = end; j-- > 0;) {
			const struct root_cand *d = &l->v[j];
			uint64_t dsz = table_bytes(d->fmt, d->fmt->levels - 1);

			if (c->oa - d->oa >= BIT(20))
				break; /* top tables are smaller */
			if (j == i || !good(d) || !covers(d->fmt, c->fmt) ||
			    c->oa + csz > d->oa + dsz ||
			    d->quality < c->quality - 0.02)
				continue;
			c->flags |= DROPPED;
			break;
		}
	}
	for (i = 0; i < l->nr; i++)
		if (!(l->v[i].flags & DROPPED))
			l->v[n++] = l->v[i];
	l->nr = n;
}

/*
 * A tree read with pages finer than its own: every level-0 leaf is
 * aligned to the level-0 page of another format of the machine read.
 */
static void find_fine(struct finder *fd)
{
	size_t i, k;

	for (i = 0; i < fd->l.nr; i++) {
		struct root_cand *c = &fd->l.v[i];
		unsigned int s = c->fmt->level_shift[0];

		if (c->leaves0 < 4)
			continue;
		for (k = 0; k < fd->res->nr_fmts; k++) {
			const struct ptk_fmt *g = fd->res->fmts[k];
			unsigned int t = g->level_shift[0];

			if (t > s && machine_of(g) == machine_of(c->fmt) &&
			    !(c->oa_or & MASK(t))) {
				c->flags |= ROOT_FINE;
				break;
			}
		}
	}
}

/* Roots named by the CPUs' notes (QEMU's x86 note: CR3, CR4). */
static int from_notes(struct finder *fd)
{
	size_t ci, i, fi;
	int rc;

	for (ci = 0; ci < ptk_image_nr_cpus(fd->img); ci++) {
		const struct ptk_image_cpu *cpu = ptk_image_cpu(fd->img, ci);
		uint64_t reg;

		for (fi = 0; fi < fd->res->nr_fmts; fi++) {
			const struct ptk_fmt *f = fd->res->fmts[fi];
			struct root_cand c;
			struct stats st;
			ptk_oa_t oa;

			/* A value the format cannot read names no root of it. */
			if (ptk_image_cpu_root(&reg, fd->img, ci, f) ||
			    !note_selects(f, cpu) ||
			    ptk_fmt_root_from_reg(&oa, NULL, f, 0, reg))
				continue;
			for (i = 0; i < fd->l.nr; i++)
				if (fd->l.v[i].fmt == f && fd->l.v[i].oa == oa)
					break;
			if (i == fd->l.nr) {
				struct ctx cx = { fd->img, f, fd->memo[fi] };
				uint64_t creg;

				if (ptk_fmt_reg_from_root(&creg, NULL, f, 0,
							  oa))
					continue;
				if (!ptk_image_ptr(fd->img, oa,
						   table_bytes(f,
							       f->levels - 1)))
					continue;
				rc = eval(&cx, oa, f->levels - 1, &st);
				fd->memo[fi] = cx.memo;
				if (rc)
					return rc;
				cand_from_stats(&c, f, oa, creg, &st);
				rc = cand_push(&fd->l, &c);
				if (rc)
					return rc;
			}
			fd->l.v[i].flags |= ROOT_NOTES;
			if (fd->l.v[i].cpu < 0)
				fd->l.v[i].cpu = (int)ci;
		}
	}
	return 0;
}

/*
 * VMCOREINFO names the kernel's own top table by its VA. The candidate
 * that maps that VA to itself is that table: the check needs no
 * knowledge of how the kernel maps itself (phys_base, kimage_voffset,
 * ...), only the tables.
 */
static const char *const vmci_symbols[] = {
	"swapper_pg_dir", /* arm64, riscv, i386, older x86-64 */
	"init_top_pgt", /* x86-64 */
	"init_level4_pgt", /* x86-64 before 4.13 */
};

static void from_vmcoreinfo(struct finder *fd)
{
	const char *text = ptk_image_vmcoreinfo(fd->img, NULL);
	size_t si, i;

	if (!text)
		return;
	for (si = 0; si < sizeof(vmci_symbols) / sizeof(vmci_symbols[0]);
	     si++) {
		char key[64];
		const char *p;
		uint64_t va;

		snprintf(key, sizeof(key), "SYMBOL(%s)=", vmci_symbols[si]);
		p = strstr(text, key);
		if (!p || sscanf(p + strlen(key), "%" SCNx64, &va) != 1)
			continue;
		for (i = 0; i < fd->l.nr; i++) {
			struct root_cand *c = &fd->l.v[i];
			const struct ptk_fmt *f = c->fmt;
			struct ptk_table t;
			struct ptk_xlate x;
			ptk_va_t inner;

			if (!good(c) || (c->flags & ROOT_INNER))
				continue;
			/* Either root's table may be the one mapping @va. */
			if (ptk_fmt_va_root(&inner, f, va, 0) < 0)
				continue;
			if (ptk_table_attach(&t, f, ptk_image_mem(fd->img),
					     c->oa, 0))
				continue;
			if (!ptk_translate(&t, inner, &x) && x.oa == c->oa) {
				c->flags |= ROOT_VMCOREINFO;
				c->symbol = vmci_symbols[si];
			}
			ptk_table_destroy(&t);
		}
	}
}

static void score_all(struct finder *fd)
{
	unsigned int max_shared = 0;
	uint64_t max_tables = 0;
	size_t i;

	for (i = 0; i < fd->l.nr; i++) {
		const struct root_cand *c = &fd->l.v[i];

		if (!good(c) || (c->flags & (ROOT_INNER | ROOT_FINE)))
			continue;
		if (c->shared > max_shared)
			max_shared = c->shared;
		if (c->tables > max_tables)
			max_tables = c->tables;
	}
	for (i = 0; i < fd->l.nr; i++) {
		struct root_cand *c = &fd->l.v[i];
		double sf = max_shared ? (double)c->shared / max_shared : 0;
		double zf = max_tables ? log2(1.0 + (double)c->tables) /
						 log2(1.0 + (double)max_tables)
				       : 0;

		if (sf > 1)
			sf = 1;
		if (zf > 1)
			zf = 1;
		/* Each defect (malformed entry, table outside the image)
		 * costs a fifth, up to 30 of them. */
		c->score = 100 * pow(c->quality, 16) *
			   pow(0.8, (double)(c->bad < 30 ? c->bad : 30)) *
			   (0.6 + 0.3 * sf + 0.1 * zf);
		if (c->flags & (ROOT_INNER | ROOT_FINE))
			c->score *= 0.25;
		if ((good(c) && !(c->flags & (ROOT_INNER | ROOT_FINE)) &&
		     c->leaves) ||
		    (c->flags & (ROOT_NOTES | ROOT_VMCOREINFO)))
			c->flags |= ROOT_PLAUSIBLE;
	}
}

static int cmp_rank(const void *a, const void *b)
{
	const struct root_cand *x = a, *y = b;
	unsigned int px = !!(x->flags & ROOT_PLAUSIBLE);
	unsigned int py = !!(y->flags & ROOT_PLAUSIBLE);
	/* The kernel's own root (VMCOREINFO) first, then the CPUs'. */
	unsigned int nx = (x->flags & ROOT_VMCOREINFO) ? 2
			  : (x->flags & ROOT_NOTES)    ? 1
						       : 0;
	unsigned int ny = (y->flags & ROOT_VMCOREINFO) ? 2
			  : (y->flags & ROOT_NOTES)    ? 1
						       : 0;

	if (px != py)
		return px > py ? -1 : 1;
	if (nx != ny)
		return nx > ny ? -1 : 1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->cpu != y->cpu && x->cpu >= 0 && y->cpu >= 0)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->leaves != y->leaves)
		return x->leaves > y->leaves ? -1 : 1;
	return x->oa < y->oa ? -1 : x->oa > y->oa;
}

bool roots_ctrl_fits(const struct ptk_fmt *f, unsigned int machine,
		     uint64_t ctrl)
{
	unsigned int r;

	if (!ptk_fmt_arch(f)->ctrl_reg || !ptk_fmt_fits_machine(f, machine))
		return false;
	for (r = 0; r < ptk_fmt_nr_roots(f); r++)
		if (ptk_fmt_check_ctrl(NULL, f, r, ctrl))
			return false;
	return true;
}

#define NR_FMTS (sizeof(((struct roots_result *)0)->fmts) / sizeof(void *))

/* The formats to read: @o->fmt, or those the image's machine may use. */
static void pick_formats(struct roots_result *r, const struct ptk_image *img,
			 const struct roots_opts *o)
{
	unsigned int m = ptk_image_machine(img);
	size_t i;

	if (o->fmt) {
		r->fmts[r->nr_fmts++] = o->fmt;
		return;
	}
	/* A control register value: the formats it selects, nested too. */
	if (o->have_ctrl) {
		for (i = 0; i < ptk_fmt_count() && r->nr_fmts < NR_FMTS; i++)
			if (roots_ctrl_fits(ptk_fmt_get(i), m, o->ctrl))
				r->fmts[r->nr_fmts++] = ptk_fmt_get(i);
		return;
	}
	for (i = 0; i < ptk_fmt_count() && r->nr_fmts < NR_FMTS; i++) {
		const struct ptk_fmt *f = ptk_fmt_get(i);

		if (by_default(f) && machine_of(f) &&
		    (!m || machine_of(f) == m))
			r->fmts[r->nr_fmts++] = f;
	}
	/* An ELF machine no format belongs to: read them all. */
	if (!r->nr_fmts)
		for (i = 0; i < ptk_fmt_count() && r->nr_fmts < NR_FMTS; i++)
			if (by_default(ptk_fmt_get(i)))
				r->fmts[r->nr_fmts++] = ptk_fmt_get(i);
}

int roots_find(struct roots_result *out, struct ptk_image *img,
	       const struct roots_opts *o)
{
	struct finder fd;
	size_t i, n = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&fd, 0, sizeof(fd));
	fd.img = img;
	fd.res = out;
	pick_formats(out, img, o);
	for (i = 0; i < out->nr_fmts && !rc; i++) {
		struct ctx c = { img, out->fmts[i], { NULL, 0, 0 } };

		rc = scan_format(&fd.l, out, &c);
		fd.memo[i] = c.memo;
	}
	if (!rc)
		rc = count_shared(&fd);
	if (!rc)
		rc = find_inner(&fd);
	if (!rc) {
		drop_covered(&fd);
		find_fine(&fd);
	}
	if (!rc && !o->no_notes) {
		rc = from_notes(&fd);
		from_vmcoreinfo(&fd);
	}
	for (i = 0; i < out->nr_fmts; i++)
		free(fd.memo[i].v);
	if (rc) {
		free(fd.l.v);
		return rc;
	}
	score_all(&fd);
	if (fd.l.nr > 1)
		qsort(fd.l.v, fd.l.nr, sizeof(*fd.l.v), cmp_rank);
	for (i = 0; i < fd.l.nr; i++)
		n += !!(fd.l.v[i].flags & ROOT_PLAUSIBLE);
	out->v = fd.l.v;
	out->nr = fd.l.nr;
	out->nr_plausible = n;
	return 0;
}

void roots_free(struct roots_result *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int roots_auto(uint64_t *reg, struct ptk_image *img, const struct ptk_fmt *f,
	       bool upper, const char *path)
{
	struct roots_opts o = { .fmt = f };
	struct roots_result r;
	const struct root_cand *best = NULL;
	bool two = ptk_fmt_nr_roots(f) == 2;
	size_t i;
	int rc;

	rc = roots_find(&r, img, &o);
	if (rc) {
		ptk_tool_err("%s: --root auto: the search failed: %s", path,
			     ptk_strerror(rc));
		return -1;
	}
	for (i = 0; i < r.nr_plausible && !best; i++)
		if (!two || !(r.v[i].flags & ROOT_KERNEL) == !upper)
			best = &r.v[i];
	if (!best) {
		ptk_tool_err(
			"%s: --root%s auto: no plausible %s root for format %s among %" PRIu64
			" candidate tables (see 'ptkit roots %s --format %s --all')",
			path, upper ? "1" : "",
			two ? (upper ? "upper (kernel-only)"
				     : "lower (with user pages)")
			    : "page-table",
			f->name, r.kept, path, f->name);
		roots_free(&r);
		return -1;
	}
	*reg = best->reg;
	ptk_tool_err("--root%s auto: 0x%" PRIx64 " (%s, score %.1f, %" PRIu64
		     " leaves; the best of %zu plausible roots)",
		     upper ? "1" : "", best->reg, f->name, best->score,
		     best->leaves, r.nr_plausible);
	roots_free(&r);
	return 0;
}
