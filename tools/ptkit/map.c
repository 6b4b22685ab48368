// SPDX-License-Identifier: MIT
/*
 * `ptkit map IMAGE --format FMT (--root VALUE | --cpu N) --svg FILE`: a
 * picture of the address space a table maps.
 *
 * The address space is cut into bands in VA order: regions (neighbouring
 * leaves of equal permissions and page size, whatever their physical
 * addresses), holes, and the addresses no root translates. Each band is
 * as tall as the log2 of its size (MAP_H0 pixels for 4 KiB, MAP_K more
 * per doubling), so a 4 KiB page and a 128 TiB half are both visible on
 * one page. Beside the bands: the page size of each region, and one
 * column per table level with the VA span of every table (tables closer
 * than a pixel drawn as one block with their count). Too many bands
 * (x86-64's ESPFIX area has 65,536 pages with holes between) are merged:
 * the smallest holes first, into "mixed" bands that say how many regions
 * and bytes they hold. Every element carries data-* attributes with its
 * exact addresses, so the picture can be checked against `ptkit dump`.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "linux.h"
#include "out.h"
#include "scan.h"

#define MAP_H0 3.0 /* pixels of a 4 KiB band */
#define MAP_K 1.25 /* pixels per doubling */
#define DEFAULT_MAX_BANDS 800

enum band_kind { BAND_MAPPED, BAND_HOLE, BAND_OUTSIDE, BAND_MIXED };

static const char *const kind_names[] = { "mapped", "hole", "outside",
					  "mixed" };

struct band {
	ptk_va_t va;
	ptk_va_t last;
	enum band_kind kind;
	uint32_t prot;
	unsigned int size_lg2;
	unsigned int level;
	uint64_t regions; /* mapped regions inside (1 for BAND_MAPPED) */
	uint64_t mapped; /* bytes mapped inside */
	double y;
	double h;
};

struct tbl {
	ptk_va_t va;
	ptk_va_t last;
};

struct vec {
	void *p;
	size_t n;
	size_t cap;
};

struct map {
	const struct img_target *tg;
	const struct ptk_fmt *f;
	struct vec regs; /* struct band, BAND_MAPPED, in VA order */
	struct vec tables[PTK_MAX_LEVELS]; /* struct tbl */
	bool oom;
};

static void *vec_push(struct vec *v, size_t size, bool *oom)
{
	void *p = tool_grow(v->p, &v->cap, v->n, size, 256);

	if (!p) {
		*oom = true;
		return NULL;
	}
	v->p = p;
	return (char *)v->p + size * v->n++;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit map IMAGE --format FMT (--root VALUE | --cpu N) --svg FILE [options]\n"
		"\n"
		"Draw the address space a page table maps as an SVG picture: its regions\n"
		"coloured by permission (in effect across levels) with their page sizes,\n"
		"its holes, and one column per table level showing where the tables are.\n"
		"Band heights follow log2 of their size (3 px for 4 KiB, 1.25 px more per\n"
		"doubling: 128 TiB is 46.75 px), so a page and a half of the address space\n"
		"are both visible; the legend in the picture repeats this.\n"
		"\n"
		"  --svg FILE        where to write the picture ('-': stdout)\n" IMG_OPTS_HELP
			SCAN_OPTS_HELP
		"  --max-bands N     at most N bands: neighbouring regions and the holes\n"
		"                    between them are merged into mixed bands, the densest\n"
		"                    areas first (default %d)\n"
		"  --help            this text\n"
		"\n"
		"VALUE, PA, A and B are hexadecimal, with or without 0x; N is decimal.\n"
		"Malformed entries are reported on stderr and skipped, as dump does.\n"
		"Exit status: 0 drawn; 1 usage error; 2 nothing mapped (the reason is\n"
		"printed), the budget ran out, or an error.\n",
		DEFAULT_MAX_BANDS);
}

/* --- collecting */

static int on_leaf(const struct scan_leaf *l, void *arg)
{
	struct map *m = arg;
	struct band *b = m->regs.n ? (struct band *)m->regs.p + m->regs.n - 1
				   : NULL;
	uint64_t bytes = l->count << l->size_lg2;

	if (b && b->last + 1 == l->va && b->prot == l->prot &&
	    b->size_lg2 == l->size_lg2 && b->level == l->level) {
		b->last += bytes;
		b->mapped += bytes;
		return 0;
	}
	b = vec_push(&m->regs, sizeof(*b), &m->oom);
	if (!b)
		return SCAN_STOP_USER;
	memset(b, 0, sizeof(*b));
	b->va = l->va;
	b->last = l->va + (bytes - 1);
	b->kind = BAND_MAPPED;
	b->prot = l->prot;
	b->size_lg2 = l->size_lg2;
	b->level = l->level;
	b->regions = 1;
	b->mapped = bytes;
	return 0;
}

static int on_table(const struct scan_table *t, void *arg)
{
	struct map *m = arg;
	struct tbl *e = vec_push(&m->tables[t->level], sizeof(*e), &m->oom);

	if (!e)
		return SCAN_STOP_USER;
	e->va = t->va;
	e->last = t->last;
	return 0;
}

/* --- bands */

/* Whether no root can translate any of [va, last] (it lies in one gap). */
static bool outside(const struct map *m, ptk_va_t va, ptk_va_t last)
{
	const struct ptk_fmt *f = m->f;
	unsigned int vb = f->va_bits;
	ptk_va_t lo, hi; /* the untranslatable gap, inclusive */

	if (vb >= 64)
		return false;
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		lo = (ptk_va_t)1 << (vb - 1);
		hi = ~lo;
	} else {
		lo = (ptk_va_t)1 << vb;
		hi = m->tg->have[1] ? m->tg->hi_base - 1 : ~(ptk_va_t)0;
	}
	return va >= lo && last <= hi;
}

/* Gap boundaries a hole is split at: the untranslatable range's ends. */
static int gap_edges(const struct map *m, ptk_va_t edge[2])
{
	const struct ptk_fmt *f = m->f;
	unsigned int vb = f->va_bits;

	if (vb >= 64)
		return 0;
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		edge[0] = (ptk_va_t)1 << (vb - 1);
		edge[1] = (ptk_va_t)0 - ((ptk_va_t)1 << (vb - 1));
		return 2;
	}
	edge[0] = (ptk_va_t)1 << vb;
	if (m->tg->have[1]) {
		edge[1] = m->tg->hi_base;
		return 2;
	}
	return 1;
}

static bool add_hole(struct vec *v, const struct map *m, ptk_va_t va,
		     ptk_va_t last, bool *oom)
{
	ptk_va_t edge[2];
	int n = gap_edges(m, edge), i;

	for (i = 0; i <= n; i++) {
		ptk_va_t end = last;
		struct band *b;

		if (i < n && edge[i] > va && edge[i] - 1 < last)
			end = edge[i] - 1;
		else if (i < n)
			continue;
		b = vec_push(v, sizeof(*b), oom);
		if (!b)
			return false;
		memset(b, 0, sizeof(*b));
		b->va = va;
		b->last = end;
		b->kind = outside(m, va, end) ? BAND_OUTSIDE : BAND_HOLE;
		if (end == last)
			return true;
		va = end + 1;
	}
	return true;
}

/* Regions and holes over [vs, ve], in VA order. */
static bool make_bands(struct vec *v, const struct map *m, ptk_va_t vs,
		       ptk_va_t ve, bool *oom)
{
	const struct band *r = m->regs.p;
	ptk_va_t pos = vs;
	bool top = false;
	size_t i;

	for (i = 0; i < m->regs.n; i++) {
		struct band *b;

		if (r[i].va > pos && !add_hole(v, m, pos, r[i].va - 1, oom))
			return false;
		b = vec_push(v, sizeof(*b), oom);
		if (!b)
			return false;
		*b = r[i];
		top = r[i].last == ~(ptk_va_t)0;
		pos = r[i].last + 1;
	}
	if (!top && pos <= ve && !add_hole(v, m, pos, ve, oom))
		return false;
	return true;
}

/*
 * Merging, when there are more bands than --max-bands: two neighbouring
 * regions (and the hole between them) become one mixed band, cheapest
 * first, until few enough bands are left. The cost of a merge is the
 * span of the merged band divided by the square of how many regions lie
 * around it (in the original listing, within 32 spans either side): dense
 * repetitive areas (x86-64's 65,536 ESPFIX aliases, vmalloc's guard pages)
 * collapse first, and as a whole, while a few distinct regions keep their
 * own bands. A mixed band shows the
 * permission and page size of its largest region; regions are never
 * merged across addresses no root translates.
 */
struct heap_ent {
	double cost;
	size_t i;
	uint64_t ver;
};

struct merger {
	struct band *r; /* the regions, merged in place */
	size_t n;
	const ptk_va_t *orig_va; /* first VAs of the original regions */
	size_t *next;
	size_t *prev;
	uint64_t *ver;
	bool *dead;
	struct heap_ent *heap;
	size_t hn;
};

#define NONE ((size_t)-1)

static size_t count_between(const ptk_va_t *va, size_t n, ptk_va_t lo,
			    ptk_va_t hi)
{
	size_t a = 0, b = n, l, h;

	/* first index with va >= lo */
	for (l = 0, h = n; l < h;) {
		size_t mid = l + (h - l) / 2;

		if (va[mid] < lo)
			l = mid + 1;
		else
			h = mid;
	}
	a = l;
	/* first index with va > hi */
	for (l = a, h = n; l < h;) {
		size_t mid = l + (h - l) / 2;

		if (va[mid] <= hi)
			l = mid + 1;
		else
			h = mid;
	}
	b = l;
	return b - a;
}

static void heap_push(struct merger *g, double cost, size_t i)
{
	size_t k = g->hn++;

	while (k) {
		size_t p = (k - 1) / 2;

		if (g->heap[p].cost <= cost)
			break;
		g->heap[k] = g->heap[p];
		k = p;
	}
	g->heap[k].cost = cost;
	g->heap[k].i = i;
	g->heap[k].ver = g->ver[i];
}

static struct heap_ent heap_pop(struct merger *g)
{
	struct heap_ent top = g->heap[0], last = g->heap[--g->hn];
	size_t k = 0;

	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= g->hn)
			break;
		if (c + 1 < g->hn && g->heap[c + 1].cost < g->heap[c].cost)
			c++;
		if (last.cost <= g->heap[c].cost)
			break;
		g->heap[k] = g->heap[c];
		k = c;
	}
	if (g->hn)
		g->heap[k] = last;
	return top;
}

/* Offer the merge of region @i with the one after it. */
static void offer(struct merger *g, const struct map *m, size_t i)
{
	size_t j = g->next[i];
	ptk_va_t span, lo, hi, edge[2];
	int ne, e;
	double around;

	if (j == NONE)
		return;
	ne = gap_edges(m, edge);
	for (e = 0; e < ne; e++)
		if (edge[e] > g->r[i].last && edge[e] <= g->r[j].va)
			return; /* never across untranslated addresses */
	span = g->r[j].last - g->r[i].va;
	lo = g->r[i].va - (span < g->r[i].va / 32 ? span * 32 : g->r[i].va);
	hi = g->r[j].last +
	     (span < (~g->r[j].last) / 32 ? span * 32 : ~g->r[j].last);
	around = (double)count_between(g->orig_va, g->n, lo, hi);
	if (around < 1)
		around = 1;
	heap_push(g, ((double)span + 1.0) / (around * around), i);
}

static bool merge_regions(struct map *m, size_t max_bands, size_t bands)
{
	struct band *r = m->regs.p;
	size_t n = m->regs.n, i, k;
	struct merger g = { 0 };
	ptk_va_t *orig = malloc(n * sizeof(*orig));
	bool ok = false;

	g.r = r;
	g.n = n;
	g.next = malloc(n * sizeof(*g.next));
	g.prev = malloc(n * sizeof(*g.prev));
	g.ver = calloc(n, sizeof(*g.ver));
	g.dead = calloc(n, sizeof(*g.dead));
	g.heap = malloc((3 * n + 1) * sizeof(*g.heap)); /* n + 2 per merge */
	if (!orig || !g.next || !g.prev || !g.ver || !g.dead || !g.heap)
		goto out;
	for (i = 0; i < n; i++) {
		orig[i] = r[i].va;
		g.next[i] = i + 1 < n ? i + 1 : NONE;
		g.prev[i] = i ? i - 1 : NONE;
	}
	g.orig_va = orig;
	for (i = 0; i < n; i++)
		offer(&g, m, i);
	while (bands > max_bands && g.hn) {
		struct heap_ent h = heap_pop(&g);
		size_t j;
		uint64_t big;

		if (g.dead[h.i] || h.ver != g.ver[h.i] || g.next[h.i] == NONE)
			continue;
		i = h.i;
		j = g.next[i];
		/* the bands this merge removes: j, and the hole between */
		bands -= g.r[i].last + 1 == g.r[j].va ? 1 : 2;
		big = r[i].mapped > r[j].mapped ? 0 : 1;
		if (big) {
			r[i].prot = r[j].prot;
			r[i].size_lg2 = r[j].size_lg2;
			r[i].level = r[j].level;
		}
		r[i].kind = BAND_MIXED;
		r[i].last = r[j].last;
		r[i].regions += r[j].regions;
		r[i].mapped += r[j].mapped;
		g.dead[j] = true;
		g.next[i] = g.next[j];
		if (g.next[j] != NONE)
			g.prev[g.next[j]] = i;
		g.ver[i]++;
		if (g.prev[i] != NONE) {
			g.ver[g.prev[i]]++;
			offer(&g, m, g.prev[i]);
		}
		offer(&g, m, i);
	}
	for (i = k = 0; i < n; i++)
		if (!g.dead[i])
			r[k++] = r[i];
	m->regs.n = k;
	ok = true;
out:
	free(orig);
	free(g.next);
	free(g.prev);
	free(g.ver);
	free(g.dead);
	free(g.heap);
	return ok;
}

static double band_height(const struct band *b)
{
	double bytes = (double)(b->last - b->va) + 1.0;
	double lg = log2(bytes);

	if (lg < 12)
		lg = 12;
	return MAP_H0 + MAP_K * (lg - 12);
}

/* --- drawing */

static const char *prot_color(uint32_t prot)
{
	/* index: R W X U */
	static const char *const colors[16] = {
		"#bdbdbd", /* ---k: no access (EPT, stage 2) */
		"#a1d99b", /* r--k */
		"#31a354", /* -w-k (shown as rw-k) */
		"#31a354", /* rw-k */
		"#fdae6b", /* --xk */
		"#fdae6b", /* r-xk */
		"#de2d26", /* -wxk: W+X */
		"#de2d26", /* rwxk: W+X */
		"#d9d9d9", /* ---u */
		"#c6dbef", /* r--u */
		"#6baed6", /* -w-u */
		"#6baed6", /* rw-u */
		"#9e9ac8", /* --xu */
		"#9e9ac8", /* r-xu */
		"#e7298a", /* -wxu */
		"#e7298a", /* rwxu */
	};
	unsigned int i = ((prot & PTK_PROT_READ) ? 1 : 0) |
			 ((prot & PTK_PROT_WRITE) ? 2 : 0) |
			 ((prot & PTK_PROT_EXEC) ? 4 : 0) |
			 ((prot & PTK_PROT_USER) ? 8 : 0);

	return colors[i];
}

static const char *size_color(unsigned int lg2)
{
	if (lg2 <= 12)
		return "#c6dbef";
	if (lg2 < 21)
		return "#9ecae1";
	if (lg2 == 21)
		return "#4292c6";
	if (lg2 < 30)
		return "#2171b5";
	return "#08306b";
}

static const char *const level_colors[PTK_MAX_LEVELS] = {
	"#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603", "#7f2704",
};

static void prot_str(char *p, uint32_t prot)
{
	p[0] = (prot & PTK_PROT_READ) ? 'r' : '-';
	p[1] = (prot & PTK_PROT_WRITE) ? 'w' : '-';
	p[2] = (prot & PTK_PROT_EXEC) ? 'x' : '-';
	p[3] = (prot & PTK_PROT_USER) ? 'u' : 'k';
	p[4] = 0;
}

/* The y of @va: inside its band, in proportion to the band's span. */
static double y_of(const struct band *b, size_t n, ptk_va_t va)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (b[mid].va <= va)
			lo = mid;
		else
			hi = mid;
	}
	if (va < b[lo].va)
		return b[lo].y;
	if (va > b[lo].last)
		return b[lo].y + b[lo].h;
	return b[lo].y + b[lo].h * ((double)(va - b[lo].va) /
				    ((double)(b[lo].last - b[lo].va) + 1.0));
}

#define X_LABEL 10
#define X_BAR 150
#define W_BAR 220
#define X_SIZE (X_BAR + W_BAR + 4)
#define W_SIZE 14
#define X_TBL (X_SIZE + W_SIZE + 10)
#define W_TBL 24
#define TOP 70

static void svg_text(struct out *o, double x, double y, const char *cls,
		     const char *text)
{
	out_fmt(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\">", x, y, cls);
	for (; *text; text++) {
		if (*text == '<')
			out_str(o, "&lt;");
		else if (*text == '>')
			out_str(o, "&gt;");
		else if (*text == '&')
			out_str(o, "&amp;");
		else
			out_chr(o, *text);
	}
	out_str(o, "</text>\n");
}

static void band_label(char *buf, size_t size, const struct band *b)
{
	char bytes[32], page[32], prot[8], mapped[32];

	*fmt_bytes(bytes, b->last - b->va + 1) = 0;
	*fmt_lg2(page, b->size_lg2) = 0;
	*fmt_bytes(mapped, b->mapped) = 0;
	prot_str(prot, b->prot);
	switch (b->kind) {
	case BAND_MAPPED:
		snprintf(buf, size, "%s %s, %s pages", bytes, prot, page);
		break;
	case BAND_MIXED:
		snprintf(buf, size,
			 "%s: %" PRIu64 " regions, %s mapped (mostly %s %s)",
			 bytes, b->regions, mapped, prot, page);
		break;
	case BAND_HOLE:
		snprintf(buf, size, "%s hole", bytes);
		break;
	default:
		snprintf(buf, size, "%s not translated", bytes);
		break;
	}
}

static void draw(struct out *o, const struct map *m, struct band *b, size_t n,
		 const struct img_opts *opts, const struct linux_layout *lx,
		 bool have_lx, size_t nregions)
{
	const struct ptk_fmt *f = m->f;
	unsigned int levels = f->levels, l;
	double y = TOP, h, x_text, width, height, last_label = -100;
	char buf[256], prot[8];
	size_t i, k, ntables = 0;

	for (i = 0; i < n; i++) {
		b[i].y = y;
		b[i].h = band_height(&b[i]);
		y += b[i].h;
	}
	for (l = 0; l < levels; l++)
		ntables += m->tables[l].n;
	x_text = X_TBL + levels * (W_TBL + 2) + 12;
	width = x_text + 900;
	height = (y > 560 ? y : 560) + 40;
	out_fmt(o,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" data-format=\"%s\" data-scale-h0=\"%.2f\" data-scale-k=\"%.2f\">\n",
		width, height, width, height, f->name, MAP_H0, MAP_K);
	out_str(o,
		"<style>text{font:11px monospace} .t{font:bold 14px sans-serif} .s{font:10px sans-serif} .sec{font:bold 11px sans-serif;fill:#444}</style>\n");
	snprintf(buf, sizeof(buf), "ptkit map: %s, format %s, root 0x%" PRIx64,
		 opts->path, f->name, m->tg->root[0]);
	svg_text(o, X_LABEL, 20, "t", buf);
	snprintf(
		buf, sizeof(buf),
		"%zu regions, %zu bands drawn, %zu tables in %u levels; band height = log2 of its size (legend on the right)",
		nregions, n, ntables, levels);
	svg_text(o, X_LABEL, 38, "s", buf);
	svg_text(o, X_BAR, TOP - 6, "s", "virtual address space");
	svg_text(o, X_SIZE - 4, TOP - 20, "s", "page");
	svg_text(o, X_TBL, TOP - 6, "s", "tables per level");
	for (l = 0; l < levels; l++)
		svg_text(o, X_TBL + (levels - 1 - l) * (W_TBL + 2),
			 TOP - 20 - 10 * (l & 1), "s",
			 ptk_fmt_level_name(f, l));

	/* the bands */
	for (i = 0; i < n; i++) {
		const struct band *c = &b[i];
		const char *fill = c->kind == BAND_HOLE ? "#ffffff"
				   : c->kind == BAND_OUTSIDE
					   ? "url(#outside)"
					   : prot_color(c->prot);

		prot_str(prot, c->prot);
		band_label(buf, sizeof(buf), c);
		out_fmt(o,
			"<rect class=\"band\" x=\"%d\" y=\"%.3f\" width=\"%d\" height=\"%.3f\" fill=\"%s\"%s stroke=\"#888\" stroke-width=\"0.3\" data-kind=\"%s\" data-va=\"0x%" PRIx64
			"\" data-last=\"0x%" PRIx64 "\"",
			X_BAR, c->y, W_BAR, c->h, fill,
			c->kind == BAND_MIXED ? " fill-opacity=\"0.55\"" : "",
			kind_names[c->kind], c->va, c->last);
		if (c->kind == BAND_MAPPED || c->kind == BAND_MIXED)
			out_fmt(o,
				" data-prot=\"%s\" data-page=\"%" PRIu64
				"\" data-level=\"%u\" data-regions=\"%" PRIu64
				"\" data-mapped=\"%" PRIu64 "\"",
				prot, (uint64_t)1 << c->size_lg2, c->level,
				c->regions, c->mapped);
		out_fmt(o,
			"><title>0x%016" PRIx64 "-0x%016" PRIx64
			" %s</title></rect>\n",
			c->va, c->last, buf);
		if (c->kind == BAND_MAPPED || c->kind == BAND_MIXED)
			out_fmt(o,
				"<rect class=\"page\" x=\"%d\" y=\"%.3f\" width=\"%d\" height=\"%.3f\" fill=\"%s\" data-page=\"%" PRIu64
				"\"/>\n",
				X_SIZE, c->y, W_SIZE, c->h,
				size_color(c->size_lg2),
				(uint64_t)1 << c->size_lg2);
		if (c->h >= 9 && c->y >= last_label + 10) {
			snprintf(buf, sizeof(buf), "%016" PRIx64, c->va);
			svg_text(o, X_LABEL, c->y + 9, "a", buf);
			band_label(buf, sizeof(buf), c);
			svg_text(o, x_text, c->y + 9, "a", buf);
			last_label = c->y;
		}
	}
	/* Linux's sections */
	if (have_lx) {
		double last_sec = -100;

		for (i = 0; i < lx->n; i++) {
			double sy;

			if (lx->m[i].va < b[0].va ||
			    lx->m[i].va > b[n - 1].last)
				continue;
			sy = y_of(b, n, lx->m[i].va);
			out_fmt(o,
				"<line class=\"section\" x1=\"%d\" x2=\"%.0f\" y1=\"%.3f\" y2=\"%.3f\" stroke=\"#444\" stroke-dasharray=\"4 2\" stroke-width=\"0.6\" data-va=\"0x%" PRIx64
				"\"/>\n",
				X_BAR - 4, x_text + 300, sy, sy, lx->m[i].va);
			if (sy >= last_sec + 12) {
				svg_text(o, x_text + 310, sy + 4, "sec",
					 lx->m[i].name);
				last_sec = sy;
			}
		}
	}
	/* tables, one column per level, top level first */
	for (l = 0; l < levels; l++) {
		const struct tbl *t = m->tables[l].p;
		double x = X_TBL + (levels - 1 - l) * (W_TBL + 2);

		for (i = 0; i < m->tables[l].n; i = k) {
			double y0 = y_of(b, n, t[i].va), y1;
			ptk_va_t last = t[i].last;

			y1 = last == ~(ptk_va_t)0 ? b[n - 1].y + b[n - 1].h
						  : y_of(b, n, last + 1);
			for (k = i + 1; k < m->tables[l].n; k++) {
				double ny0 = y_of(b, n, t[k].va);

				if (ny0 > y1 + 1.0 || t[k].va < t[i].va)
					break;
				last = t[k].last > last ? t[k].last : last;
				y1 = last == ~(ptk_va_t)0
					     ? b[n - 1].y + b[n - 1].h
					     : y_of(b, n, last + 1);
			}
			h = y1 - y0 < 1.0 ? 1.0 : y1 - y0;
			out_fmt(o,
				"<rect class=\"tables\" x=\"%.0f\" y=\"%.3f\" width=\"%d\" height=\"%.3f\" fill=\"%s\" stroke=\"#7f2704\" stroke-width=\"0.2\" data-level=\"%u\" data-count=\"%zu\" data-va=\"0x%" PRIx64
				"\" data-last=\"0x%" PRIx64
				"\"><title>%zu %s table%s</title></rect>\n",
				x, y0, W_TBL, h, level_colors[l], l, k - i,
				t[i].va, last, k - i, ptk_fmt_level_name(f, l),
				k - i == 1 ? "" : "s");
		}
	}
	/* the legend */
	{
		double lx0 = x_text + 620, ly = TOP + 10;
		static const uint32_t prots[] = {
			PTK_PROT_READ,
			PTK_PROT_READ | PTK_PROT_WRITE,
			PTK_PROT_READ | PTK_PROT_EXEC,
			PTK_PROT_RWX,
			PTK_PROT_READ | PTK_PROT_USER,
			PTK_PROT_RW | PTK_PROT_USER,
			PTK_PROT_READ | PTK_PROT_EXEC | PTK_PROT_USER,
			PTK_PROT_RWX | PTK_PROT_USER,
		};
		static const unsigned int sizes[] = { 12, 16, 21, 25, 30 };
		static const unsigned int samples[] = { 12, 21, 30, 39, 47 };
		double sx;

		out_str(o, "<g class=\"legend\">\n");
		svg_text(o, lx0, ly, "t", "Legend");
		ly += 16;
		svg_text(o, lx0, ly, "s",
			 "permissions in effect (k kernel, u user; red: W+X):");
		for (i = 0; i < sizeof(prots) / sizeof(prots[0]); i++) {
			ly += 14;
			prot_str(prot, prots[i]);
			out_fmt(o,
				"<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"10\" fill=\"%s\" stroke=\"#888\" stroke-width=\"0.3\"/>\n",
				lx0, ly - 9, prot_color(prots[i]));
			svg_text(o, lx0 + 20, ly, "a", prot);
		}
		ly += 14;
		out_fmt(o,
			"<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"10\" fill=\"#ffffff\" stroke=\"#888\" stroke-width=\"0.3\"/>\n",
			lx0, ly - 9);
		svg_text(o, lx0 + 20, ly, "s", "hole: nothing mapped");
		ly += 14;
		out_fmt(o,
			"<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"10\" fill=\"url(#outside)\" stroke=\"#888\" stroke-width=\"0.3\"/>\n",
			lx0, ly - 9);
		svg_text(o, lx0 + 20, ly, "s",
			 "not translated (non-canonical, between roots)");
		ly += 14;
		out_fmt(o,
			"<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"10\" fill=\"#31a354\" fill-opacity=\"0.55\" stroke=\"#888\" stroke-width=\"0.3\"/>\n",
			lx0, ly - 9);
		svg_text(o, lx0 + 20, ly, "s",
			 "mixed: several regions and small holes merged");
		ly += 20;
		svg_text(o, lx0, ly, "s", "page size:");
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			char s[32];

			*fmt_lg2(s, sizes[i]) = 0;
			ly += 14;
			out_fmt(o,
				"<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"10\" fill=\"%s\"/>\n",
				lx0, ly - 9, size_color(sizes[i]));
			svg_text(o, lx0 + 20, ly, "a", s);
		}
		ly += 20;
		svg_text(o, lx0, ly, "s", "tables per level (top level left):");
		for (l = levels; l-- > 0;) {
			ly += 14;
			out_fmt(o,
				"<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"10\" fill=\"%s\"/>\n",
				lx0, ly - 9, level_colors[l]);
			snprintf(buf, sizeof(buf), "%s: %zu tables",
				 ptk_fmt_level_name(f, l), m->tables[l].n);
			svg_text(o, lx0 + 20, ly, "a", buf);
		}
		ly += 22;
		svg_text(o, lx0, ly, "s",
			 "scale: a band's height is 3 px + 1.25 px per");
		ly += 12;
		svg_text(o, lx0, ly, "s", "doubling of its size above 4 KiB:");
		ly += 8;
		sx = lx0;
		for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			char s[32];
			double sh = MAP_H0 + MAP_K * (samples[i] - 12);

			*fmt_lg2(s, samples[i]) = 0;
			out_fmt(o,
				"<rect class=\"scale\" x=\"%.0f\" y=\"%.0f\" width=\"18\" height=\"%.2f\" fill=\"#bbb\" data-bytes=\"%" PRIu64
				"\"/>\n",
				sx, ly, sh, (uint64_t)1 << samples[i]);
			svg_text(o, sx, ly + sh + 12, "a", s);
			sx += 44;
		}
		out_str(o, "</g>\n");
	}
	out_str(o,
		"<defs><pattern id=\"outside\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#eeeeee\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#aaaaaa\" stroke-width=\"2\"/></pattern></defs>\n");
	out_str(o, "</svg>\n");
}

int ptk_cmd_map(int argc, char **argv)
{
	static const struct scan_ops ops = { .leaf = on_leaf,
					     .table = on_table };
	static struct out out;
	struct img_opts o;
	struct img_target tg;
	struct map m;
	struct scan s;
	struct vec bands = { 0 };
	struct band *merged;
	struct linux_layout lx;
	struct scan_opts so = { 0 };
	uint64_t max_bands = DEFAULT_MAX_BANDS;
	ptk_va_t vs, ve;
	bool have_lx;
	const char *svg = NULL, *v;
	FILE *fo;
	size_t n, nregions;
	unsigned int l;
	int i, rc, ret = PTK_EXIT_OK;

	memset(&o, 0, sizeof(o));
	memset(&m, 0, sizeof(m));
	o.cpu = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (tool_is_help(a)) {
			usage(stdout);
			return PTK_EXIT_OK;
		}
		rc = img_parse_opt(&o, argc, argv, &i);
		if (rc < 0)
			return PTK_EXIT_USAGE;
		if (rc > 0)
			continue;
		if ((rc = tool_opt(argc, argv, &i, "--svg", &v))) {
			if (rc < 0)
				return PTK_EXIT_USAGE;
			svg = v;
		} else if ((rc = scan_parse_opt(&so, "map", argc, argv, &i))) {
			if (rc < 0)
				return PTK_EXIT_USAGE;
		} else if ((rc = tool_opt(argc, argv, &i, "--max-bands", &v))) {
			if (rc < 0)
				return PTK_EXIT_USAGE;
			if (tool_parse_count(v, &max_bands) || max_bands < 16 ||
			    max_bands > 1000000) {
				ptk_tool_err(
					"map: bad --max-bands '%s': a decimal count from 16 to 1000000",
					v);
				return PTK_EXIT_USAGE;
			}
		} else if (a[0] != '-' && !o.path) {
			o.path = a;
		} else {
			ptk_tool_err(
				"map: unexpected argument '%s' (see 'ptkit map --help')",
				a);
			return PTK_EXIT_USAGE;
		}
	}
	if (!o.path) {
		ptk_tool_err("map: no IMAGE given (see 'ptkit map --help')");
		return PTK_EXIT_USAGE;
	}
	if (!svg) {
		ptk_tool_err(
			"map: --svg FILE is required (the picture is SVG; '-' writes it to stdout)");
		return PTK_EXIT_USAGE;
	}
	if (scan_opts_range(&so, "map", &vs, &ve))
		return PTK_EXIT_USAGE;
	rc = img_target_open(&tg, &o);
	if (rc)
		return rc;
	m.tg = &tg;
	m.f = tg.fmt;
	scan_init(&s, &tg, &ops, &m);
	s.report_limit = 100;
	if (so.have_budget)
		s.budget = so.budget;
	if (tool_progress_allowed() && strcmp(svg, "-"))
		s.progress = "map";
	if (!(tg.fmt->features & PTK_FMT_SIGN_EXTEND) && !tg.have[1] &&
	    tg.fmt->va_bits < 64 && ve >> tg.fmt->va_bits)
		ve = ((ptk_va_t)1 << tg.fmt->va_bits) - 1; /* nothing above */
	rc = scan_run(&s, vs, ve);
	scan_summary(&s, "map");
	if (m.oom) {
		ptk_tool_err("map: out of memory collecting the regions");
		ret = PTK_EXIT_FAIL;
		goto done;
	}
	if (rc == SCAN_BUDGET || rc == SCAN_STRICT) {
		ret = PTK_EXIT_FAIL;
		goto done;
	}
	if (rc) {
		ptk_tool_err("map: walk failed: %s", ptk_strerror(rc));
		ret = PTK_EXIT_FAIL;
		goto done;
	}
	if (!s.leaves) {
		scan_why_empty(&s, "map", vs || so.ve);
		ret = PTK_EXIT_FAIL;
		goto done;
	}
	nregions = m.regs.n;
	if (!make_bands(&bands, &m, vs, ve, &m.oom) ||
	    (bands.n > max_bands &&
	     !merge_regions(&m, (size_t)max_bands, bands.n))) {
		ptk_tool_err("map: out of memory collecting the regions");
		ret = PTK_EXIT_FAIL;
		goto done;
	}
	if (bands.n > max_bands) {
		bands.n = 0;
		if (!make_bands(&bands, &m, vs, ve, &m.oom)) {
			ptk_tool_err(
				"map: out of memory collecting the regions");
			ret = PTK_EXIT_FAIL;
			goto done;
		}
	}
	merged = bands.p;
	n = bands.n;
	have_lx = !linux_layout_get(&lx, &tg);
	fo = strcmp(svg, "-") ? fopen(svg, "w") : stdout;
	if (!fo) {
		ptk_tool_err("map: cannot create %s: %s", svg, strerror(errno));
		ret = PTK_EXIT_FAIL;
		goto done;
	}
	out_init(&out, fo);
	draw(&out, &m, merged, n, &o, &lx, have_lx, nregions);
	out_flush(&out);
	if (fo != stdout) {
		if (out.err || fclose(fo)) {
			ptk_tool_err("map: cannot write %s: %s", svg,
				     strerror(out.err ? out.err_no : errno));
			ret = PTK_EXIT_FAIL;
			goto done;
		}
		printf("%s: %zu regions in %zu bands, %" PRIu64 " tables\n",
		       svg, nregions, n, s.tables);
	} else if (out.err) {
		ret = PTK_EXIT_FAIL;
	}
done:
	free(bands.p);
	free(m.regs.p);
	for (l = 0; l < PTK_MAX_LEVELS; l++)
		free(m.tables[l].p);
	img_target_close(&tg);
	return ret;
}
