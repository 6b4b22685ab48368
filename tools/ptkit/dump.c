// SPDX-License-Identifier: MIT
/*
 * `ptkit dump IMAGE --format FMT (--root VALUE | --cpu N) ...`: list the
 * mappings of a page table found in a memory image.
 *
 * The walk is scan.c's (budget, cycles, malformed entries, effective
 * permissions, progress); this file has the output styles: merged runs
 * (ptdump, the default), one JSON document, exactly QEMU's `info tlb` /
 * `info mem`, the tables walked, and Linux's ptdump layout with its W+X
 * check.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "linux.h"
#include "out.h"
#include "scan.h"

#define REPORT_LIMIT 100 /* malformed entries described, without --all-errors */

enum style {
	STYLE_PTDUMP,
	STYLE_JSON,
	STYLE_TLB,
	STYLE_MEM,
	STYLE_TABLES,
	STYLE_TABLES_JSON,
	STYLE_LINUX,
	STYLE_WX,
};

struct run {
	ptk_va_t va; /* first VA */
	ptk_va_t last; /* last VA, inclusive */
	ptk_oa_t oa;
	uint32_t prot;
	uint32_t flags;
	uint32_t memtype;
	unsigned int level;
	unsigned int size_lg2;
	uint64_t key; /* style-specific identity */
};

struct dump {
	const struct img_target *tg;
	const struct ptk_fmt *f;
	enum style style;
	struct out *o;
	bool have;
	struct run cur;
	uint64_t lines;
	bool first_item; /* JSON: no comma before the first */
	/* qemu-mem (x86): the flat (unsigned-extended) address space */
	unsigned int flat_bits;
	/* qemu-tlb, qemu-mem: QEMU's listings of the format (struct
	 * ptk_fmt_arch.listings) and the letters of the last leaf's flags */
	unsigned int listings;
	ptk_pte_t flag_mask; /* every bit some leaf flag reads */
	ptk_pte_t flags_key;
	unsigned int flags_level;
	unsigned int flags_len; /* 0: nothing cached */
	char flags[32];
	/* linux and --check-wx */
	struct linux_layout lx;
	unsigned int mi; /* next marker */
	uint64_t sec_lines; /* lines in the current section */
	uint64_t sec_skipped;
	ptk_va_t pos; /* first VA not yet listed */
	bool at_top; /* everything up to 2^64 - 1 is listed */
	uint64_t wx_pages;
	uint64_t wx_runs;
	unsigned int page_lg2; /* the format's smallest page */
};

static struct out dump_out;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit dump IMAGE --format FMT (--root VALUE | --cpu N) [options]\n"
		"\n"
		"List the mappings of a page table in a memory image (raw, ELF core or\n"
		"LiME).\n"
		"\n" IMG_OPTS_HELP
		"  --style S         ptdump (default): runs of leaves with equal attributes\n"
		"                    and contiguous physical addresses, permissions in\n"
		"                    effect across levels;\n"
		"                    linux: Linux's ptdump view (x86-64, arm64): sections of\n"
		"                    Linux's layout, holes, a W+X check and a legend;\n"
		"                    qemu-tlb: QEMU's x86 'info tlb';\n"
		"                    qemu-mem: QEMU's 'info mem' (x86, RISC-V);\n"
		"                    tables: every table walked (level, address, bytes)\n"
		"  --json            one JSON document: the ptdump runs, or with --style\n"
		"                    tables the tables\n"
		"  --check-wx        no listing: report kernel mappings that are writable and\n"
		"                    executable, as Linux's CONFIG_DEBUG_WX does (x86-64,\n"
		"                    arm64); exit status 2 when there are any\n" SCAN_OPTS_HELP
		"  --strict          stop with status 2 at the first malformed entry\n"
		"  --all-errors      describe every malformed entry (default: the first %d,\n"
		"                    then a count)\n"
		"  --help            this text\n"
		"\n"
		"VALUE, PA, A and B are hexadecimal, with or without 0x, as QEMU prints them\n"
		"('info registers', 'info tlb'); N is decimal (or hexadecimal after 0x).\n"
		"Malformed entries (reserved bits, misaligned frames, leaves where the format\n"
		"allows none, tables outside the image, cycles and self-maps) are reported on\n"
		"stderr and skipped; the rest is listed. With stderr on a terminal (and the\n"
		"listing elsewhere) a progress line follows the work.\n"
		"\n"
		"Exit status: 0 listed; 1 usage error; 2 nothing usable was found (the reason\n"
		"is printed), the budget ran out, --strict met a malformed entry, --check-wx\n"
		"found W+X mappings, or an error.\n",
		REPORT_LIMIT);
}

/* --- QEMU's styles */

static ptk_va_t canon(unsigned int bits, ptk_va_t a)
{
	if (bits < 64 && ((a >> (bits - 1)) & 1))
		a |= ~(((ptk_va_t)1 << bits) - 1);
	return a;
}

/* The format's leaf flags (its listings' letters), '-' where clear. */
static char *flag_letters(char *p, const struct ptk_fmt *f, uint32_t set)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);
	unsigned int i;

	for (i = 0; i < a->nr_leaf_flags && i < 32; i++)
		*p++ = ((set >> i) & 1) ? a->leaf_flags[i].letter : '-';
	return p;
}

/* d->flags: @pte's letters; neighbouring leaves mostly share them. */
static void leaf_letters(struct dump *d, unsigned int level, ptk_pte_t pte)
{
	uint32_t set;

	if (d->flags_len && d->flags_level == level &&
	    d->flags_key == (pte & d->flag_mask))
		return;
	set = ptk_fmt_leaf_flags(d->f, level, pte);
	d->flags_len =
		(unsigned int)(flag_letters(d->flags, d->f, set) - d->flags);
	d->flags_level = level;
	d->flags_key = pte & d->flag_mask;
}

/*
 * QEMU `info tlb`: one line per leaf, the leaf entry's own flags (the
 * format's: an x86 PS only above a 4 KiB PTE, where bit 7 is PAT).
 */
static void tlb_line(struct dump *d, ptk_va_t va, ptk_oa_t oa, ptk_pte_t pte,
		     unsigned int level)
{
	char *p = out_room(d->o, 80), *s = p;

	p = fmt_hex(p, va, 16);
	*p++ = ':';
	*p++ = ' ';
	p = fmt_hex(p, oa, 16);
	*p++ = ' ';
	leaf_letters(d, level, pte);
	memcpy(p, d->flags, d->flags_len);
	p += d->flags_len;
	*p++ = '\n';
	d->o->len += (size_t)(p - s);
	d->lines++;
}

/* QEMU `info mem` for x86: ranges of equal U/W over the flat space. */
static void mem_x86_flush(struct dump *d)
{
	const struct run *r = &d->cur;
	unsigned int cb = d->flat_bits == 32 ? 64 : d->flat_bits;
	char *p, *s;

	if (!d->have)
		return;
	p = out_room(d->o, 64);
	s = p;
	p = fmt_hex(p, canon(cb, r->va), 16);
	*p++ = '-';
	p = fmt_hex(p, canon(cb, r->last + 1), 16);
	*p++ = ' ';
	p = fmt_hex(p, canon(cb, r->last + 1 - r->va), 16);
	*p++ = ' ';
	*p++ = (r->prot & PTK_PROT_USER) ? 'u' : '-';
	*p++ = 'r';
	*p++ = (r->prot & PTK_PROT_WRITE) ? 'w' : '-';
	*p++ = '\n';
	d->o->len += (size_t)(p - s);
	d->lines++;
	d->have = false;
}

/* QEMU `info mem` for RISC-V: runs inside one table, equal leaf flags. */
static void mem_rv_flush(struct dump *d)
{
	const struct run *r = &d->cur;
	bool rv32 = d->f->entry_lg2 == 2;
	char *p, *s;

	if (!d->have)
		return;
	p = out_room(d->o, 96);
	s = p;
	p = fmt_hex(p, r->va, rv32 ? 8 : 16);
	*p++ = ' ';
	p = fmt_hex(p, r->oa, 16);
	*p++ = ' ';
	p = fmt_hex(p, r->last + 1 - r->va, rv32 ? 8 : 16);
	*p++ = ' ';
	p = flag_letters(p, d->f, (uint32_t)r->key);
	*p++ = '\n';
	d->o->len += (size_t)(p - s);
	d->lines++;
	d->have = false;
}

static void leaf_mem(struct dump *d, const struct scan_leaf *l)
{
	struct run *c = &d->cur;
	uint64_t bytes = l->count << l->size_lg2;
	ptk_va_t va = l->va;

	if (d->listings & PTK_FMT_LIST_MEM_ATTR) {
		/* QEMU merges only inside one table. */
		unsigned int tl = d->f->level_shift[l->level] +
				  d->f->level_bits[l->level];
		uint64_t attr = ptk_fmt_leaf_flags(d->f, l->level, l->pte);

		if (d->have && c->key == attr && c->last + 1 == va &&
		    c->oa + (c->last + 1 - c->va) == l->oa &&
		    c->level == l->level && tl < 64 &&
		    ((c->va ^ va) >> tl) == 0) {
			c->last += bytes;
			return;
		}
		mem_rv_flush(d);
		c->va = va;
		c->last = va + (bytes - 1);
		c->oa = l->oa;
		c->level = l->level;
		c->key = attr;
		d->have = true;
	} else {
		ptk_va_t fmask = ((ptk_va_t)1 << d->flat_bits) - 1;
		ptk_va_t fva = va & fmask;
		uint32_t prot = l->prot & (PTK_PROT_USER | PTK_PROT_WRITE);

		if (d->have && c->prot == prot && c->last + 1 == fva) {
			c->last += bytes;
			return;
		}
		mem_x86_flush(d);
		c->va = fva;
		c->last = fva + (bytes - 1);
		c->prot = prot;
		d->have = true;
	}
}

/* --- ptdump runs, text and JSON */

static char *prot_chars(char *p, uint32_t prot)
{
	*p++ = (prot & PTK_PROT_READ) ? 'r' : '-';
	*p++ = (prot & PTK_PROT_WRITE) ? 'w' : '-';
	*p++ = (prot & PTK_PROT_EXEC) ? 'x' : '-';
	*p++ = (prot & PTK_PROT_USER) ? 'u' : 'k';
	return p;
}

static char *pad_left(char *p, const char *s, size_t n, size_t width)
{
	while (n < width) {
		*p++ = ' ';
		width--;
	}
	memcpy(p, s, n);
	return p + n;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* A string literal: its length is a constant, the copy is inlined. */
#define PUT_LIT(p, lit) \
	(memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* "%016lx-%016lx %7s -> %016lx rwxk GAD mtN %5s LEVEL\n" */
static void run_text(struct dump *d, const struct run *r)
{
	char *p = out_room(d->o, 128), *s = p, tmp[32];
	size_t n;

	p = fmt_hex(p, r->va, 16);
	*p++ = '-';
	p = fmt_hex(p, r->last, 16);
	*p++ = ' ';
	n = (size_t)(fmt_bytes(tmp, r->last - r->va + 1) - tmp);
	p = pad_left(p, tmp, n, 7);
	p = PUT_LIT(p, " -> ");
	p = fmt_hex(p, r->oa, 16);
	*p++ = ' ';
	p = prot_chars(p, r->prot);
	*p++ = ' ';
	*p++ = (r->flags & PTK_ATTR_GLOBAL) ? 'G' : '-';
	*p++ = (r->flags & PTK_ATTR_ACCESSED) ? 'A' : '-';
	*p++ = (r->flags & PTK_ATTR_DIRTY) ? 'D' : '-';
	p = PUT_LIT(p, " mt");
	p = fmt_u64(p, r->memtype);
	*p++ = ' ';
	n = (size_t)(fmt_lg2(tmp, r->size_lg2) - tmp);
	p = pad_left(p, tmp, n, 5);
	*p++ = ' ';
	p = put_str(p, ptk_fmt_level_name(d->f, r->level));
	*p++ = '\n';
	d->o->len += (size_t)(p - s);
}

static void out_bool(struct out *o, const char *key, bool v)
{
	out_str(o, key);
	out_str(o, v ? "true" : "false");
}

/* A run's end, exclusive; the top of a 64-bit space is 2^64. */
static void out_end(struct out *o, ptk_va_t last)
{
	if (last == ~(ptk_va_t)0)
		out_str(o, "0x10000000000000000");
	else
		out_hex0x(o, last + 1);
}

static void run_json(struct dump *d, const struct run *r)
{
	struct out *o = d->o;
	uint64_t bytes = r->last - r->va + 1; /* 0 only for a whole 2^64 */
	char prot[5];

	*prot_chars(prot, r->prot) = 0;
	out_str(o, d->first_item ? "\n" : ",\n");
	d->first_item = false;
	out_str(o, "{\"va\": \"");
	out_hex0x(o, r->va);
	out_str(o, "\", \"end\": \"");
	out_end(o, r->last);
	out_str(o, "\", \"last\": \"");
	out_hex0x(o, r->last);
	out_str(o, "\", \"size\": ");
	out_u64(o, bytes);
	out_str(o, ", \"pa\": \"");
	out_hex0x(o, r->oa);
	out_str(o, "\", \"prot\": \"");
	out_str(o, prot);
	out_chr(o, '"');
	out_bool(o, ", \"global\": ", r->flags & PTK_ATTR_GLOBAL);
	out_bool(o, ", \"accessed\": ", r->flags & PTK_ATTR_ACCESSED);
	out_bool(o, ", \"dirty\": ", r->flags & PTK_ATTR_DIRTY);
	out_str(o, ", \"memtype\": ");
	out_u64(o, r->memtype);
	out_str(o, ", \"page_size\": ");
	out_u64(o, (uint64_t)1 << r->size_lg2);
	out_str(o, ", \"pages\": ");
	out_u64(o, ((r->last - r->va) >> r->size_lg2) + 1);
	out_str(o, ", \"level\": ");
	out_u64(o, r->level);
	out_str(o, ", \"level_name\": ");
	out_json_str(o, ptk_fmt_level_name(d->f, r->level));
	out_chr(o, '}');
}

static void run_flush(struct dump *d)
{
	if (!d->have)
		return;
	if (d->style == STYLE_JSON)
		run_json(d, &d->cur);
	else
		run_text(d, &d->cur);
	d->lines++;
	d->have = false;
}

/* The current run becomes the leaves @l. */
static void run_start(struct dump *d, const struct scan_leaf *l)
{
	struct run *c = &d->cur;

	c->va = l->va;
	c->last = l->va + ((l->count << l->size_lg2) - 1);
	c->oa = l->oa;
	c->prot = l->prot;
	c->flags = l->attrs.flags;
	c->memtype = l->attrs.memtype;
	c->size_lg2 = l->size_lg2;
	c->level = l->level;
	d->have = true;
}

static void leaf_run(struct dump *d, const struct scan_leaf *l)
{
	struct run *c = &d->cur;
	uint64_t bytes = l->count << l->size_lg2;

	if (d->have && c->last + 1 == l->va && c->prot == l->prot &&
	    c->flags == l->attrs.flags && c->memtype == l->attrs.memtype &&
	    c->size_lg2 == l->size_lg2 && c->level == l->level &&
	    c->oa + (c->last + 1 - c->va) == l->oa) {
		c->last += bytes;
		return;
	}
	run_flush(d);
	run_start(d, l);
}

/* --- Linux's ptdump view and the W+X check */

static bool is_wx(const struct dump *d, const struct run *r)
{
	return r->va >= d->lx.kernel_start && !(r->prot & PTK_PROT_USER) &&
	       (r->prot & PTK_PROT_WRITE) && (r->prot & PTK_PROT_EXEC);
}

static void lx_skipped(struct dump *d)
{
	if (!d->sec_skipped || d->style != STYLE_LINUX)
		return;
	out_fmt(d->o,
		"... %" PRIu64 " more lines in this section not shown ...\n",
		d->sec_skipped);
	d->sec_skipped = 0;
}

static void lx_header(struct dump *d, unsigned int i)
{
	lx_skipped(d);
	d->sec_lines = 0;
	if (d->style != STYLE_LINUX)
		return;
	out_str(d->o, "---[ ");
	out_str(d->o, d->lx.m[i].name);
	out_str(d->o, " ]---\n");
}

/* One line of [va, last]: a run (@r) or a hole (@r NULL), in one section. */
static void lx_line(struct dump *d, ptk_va_t va, ptk_va_t last,
		    const struct run *r)
{
	unsigned int max = d->mi ? d->lx.m[d->mi - 1].max_lines : 0;
	char *p, *s, tmp[32];
	size_t n;
	bool wx;

	wx = r && is_wx(d, r);
	if (wx) {
		d->wx_runs++;
		d->wx_pages += ((last - va) >> d->page_lg2) + 1;
		if (d->style == STYLE_WX)
			out_fmt(d->o,
				"W+X mapping 0x%016" PRIx64 "-0x%016" PRIx64
				" (%" PRIu64 " pages)\n",
				va, last, ((last - va) >> d->page_lg2) + 1);
	}
	if (d->style != STYLE_LINUX)
		return;
	if (max && d->sec_lines >= max) {
		d->sec_skipped++;
		return;
	}
	d->sec_lines++;
	d->lines++;
	p = out_room(d->o, 128);
	s = p;
	p = PUT_LIT(p, "0x");
	p = fmt_hex(p, va, 16);
	p = PUT_LIT(p, "-0x");
	p = fmt_hex(p, last, 16);
	n = (size_t)(fmt_bytes(tmp, last - va + 1) - tmp);
	*p++ = ' ';
	p = pad_left(p, tmp, n, 12);
	if (!r) {
		p = PUT_LIT(p, "   hole\n");
		d->o->len += (size_t)(p - s);
		return;
	}
	p = ((r->prot & PTK_PROT_USER) ? PUT_LIT(p, "   USR")
				       : PUT_LIT(p, "      "));
	p = ((r->prot & PTK_PROT_WRITE) ? PUT_LIT(p, " RW")
					: PUT_LIT(p, " ro"));
	p = ((r->prot & PTK_PROT_EXEC) ? PUT_LIT(p, " x ") : PUT_LIT(p, " NX"));
	p = ((r->flags & PTK_ATTR_GLOBAL) ? PUT_LIT(p, " GLB")
					  : PUT_LIT(p, "    "));
	p = PUT_LIT(p, " mt");
	p = fmt_u64(p, r->memtype);
	n = (size_t)(fmt_lg2(tmp, r->size_lg2) - tmp);
	p = pad_left(p, tmp, n, 6);
	*p++ = ' ';
	p = put_str(p, ptk_fmt_level_name(d->f, r->level));
	if (wx)
		p = PUT_LIT(p, "  W+X");
	*p++ = '\n';
	d->o->len += (size_t)(p - s);
}

/* [va, last] split at the section markers it crosses. */
static void lx_emit(struct dump *d, ptk_va_t va, ptk_va_t last,
		    const struct run *r)
{
	for (;;) {
		ptk_va_t end;

		while (d->mi < d->lx.n && d->lx.m[d->mi].va <= va)
			lx_header(d, d->mi++);
		end = last;
		if (d->mi < d->lx.n && d->lx.m[d->mi].va - 1 < last)
			end = d->lx.m[d->mi].va - 1;
		lx_line(d, va, end, r);
		if (end == last)
			return;
		va = end + 1;
	}
}

/* Holes up to @va (exclusive): everything below it is now listed. */
static void lx_advance(struct dump *d, ptk_va_t va)
{
	if (!d->at_top && d->pos < va)
		lx_emit(d, d->pos, va - 1, NULL);
	d->pos = va;
}

static void lx_flush(struct dump *d)
{
	if (!d->have)
		return;
	lx_advance(d, d->cur.va);
	lx_emit(d, d->cur.va, d->cur.last, &d->cur);
	if (d->cur.last == ~(ptk_va_t)0)
		d->at_top = true;
	else
		d->pos = d->cur.last + 1;
	d->have = false;
}

static void leaf_linux(struct dump *d, const struct scan_leaf *l)
{
	struct run *c = &d->cur;
	uint64_t bytes = l->count << l->size_lg2;

	/* Linux merges equal permissions and levels, whatever the OA. */
	if (d->have && c->last + 1 == l->va && c->prot == l->prot &&
	    (c->flags & PTK_ATTR_GLOBAL) ==
		    (l->attrs.flags & PTK_ATTR_GLOBAL) &&
	    c->memtype == l->attrs.memtype && c->size_lg2 == l->size_lg2 &&
	    c->level == l->level) {
		c->last += bytes;
		return;
	}
	lx_flush(d);
	run_start(d, l);
}

static void lx_begin(struct dump *d, ptk_va_t vs)
{
	d->pos = vs;
	/* Start in the section that holds @vs, without the ones before. */
	while (d->mi + 1 < d->lx.n && d->lx.m[d->mi + 1].va <= vs)
		d->mi++;
	if (d->style != STYLE_LINUX)
		return;
	out_str(d->o, "# ");
	out_str(d->o, d->lx.name);
	out_str(d->o, " (");
	out_str(d->o, d->f->name);
	out_str(d->o, "): the legend is at the end\n");
}

static void lx_end(struct dump *d, ptk_va_t ve, bool complete)
{
	lx_flush(d);
	if (complete && !d->at_top && d->pos <= ve)
		lx_emit(d, d->pos, ve, NULL); /* the holes after the last run */
	lx_skipped(d);
	if (d->style == STYLE_WX) {
		if (d->wx_pages)
			out_fmt(d->o,
				"W+X check: FAILED, %" PRIu64
				" W+X pages found in %" PRIu64 " mappings\n",
				d->wx_pages, d->wx_runs);
		else
			out_str(d->o,
				"W+X check: passed, no W+X pages found\n");
		return;
	}
	out_str(d->o, "---[ W+X check ]---\n");
	if (d->wx_pages)
		out_fmt(d->o,
			"W+X check: FAILED, %" PRIu64
			" W+X pages found in %" PRIu64
			" mappings (marked W+X above)\n",
			d->wx_pages, d->wx_runs);
	else
		out_str(d->o, "W+X check: passed, no W+X pages found\n");
	out_str(d->o,
		"---[ Legend ]---\n"
		"Each line: first and last VA of a range, its size, then for mapped ranges\n"
		"the permissions in effect after every table level's limits: USR user\n"
		"accessible (blank: kernel only), RW writable or ro read-only, x executable\n"
		"or NX not, GLB global, mtN the format's memory type N; then the page size\n"
		"and the table level that holds the leaves. Equal neighbours are merged\n"
		"whatever their physical addresses. 'hole': nothing is mapped there.\n"
		"W+X: a kernel mapping that is writable and executable; the check counts\n"
		"pages of the smallest page size from the first kernel address up, as\n"
		"Linux's CONFIG_DEBUG_WX does.\n"
		"Sections: ");
	out_str(d->o, d->lx.name);
	out_str(d->o, " as ");
	out_str(d->o, d->lx.doc);
	out_str(d->o, " (Linux 6.1) lays it out, unrandomized.\n");
	out_str(d->o, d->lx.kaslr);
	out_chr(d->o, '\n');
}

/* --- tables */

static int on_table(const struct scan_table *t, void *arg)
{
	struct dump *d = arg;
	const struct ptk_fmt *f = d->f;
	uint64_t bytes = (uint64_t)1
			 << (f->level_bits[t->level] + f->entry_lg2);

	if (d->style == STYLE_TABLES) {
		out_str(d->o, ptk_fmt_level_name(f, t->level));
		out_chr(d->o, ' ');
		out_hex0x(d->o, t->oa);
		out_chr(d->o, ' ');
		out_u64(d->o, bytes);
		out_chr(d->o, '\n');
	} else if (d->style == STYLE_TABLES_JSON) {
		out_str(d->o, d->first_item ? "\n" : ",\n");
		d->first_item = false;
		out_str(d->o, "{\"level\": ");
		out_u64(d->o, t->level);
		out_str(d->o, ", \"level_name\": ");
		out_json_str(d->o, ptk_fmt_level_name(f, t->level));
		out_str(d->o, ", \"pa\": \"");
		out_hex0x(d->o, t->oa);
		out_str(d->o, "\", \"bytes\": ");
		out_u64(d->o, bytes);
		out_str(d->o, ", \"va\": \"");
		out_hex0x(d->o, t->va);
		out_str(d->o, "\", \"last\": \"");
		out_hex0x(d->o, t->last);
		out_str(d->o, "\"}");
	}
	d->lines++;
	return d->o->err ? SCAN_STOP_USER : 0;
}

/* --- the walk's consumer */

static int on_leaf(const struct scan_leaf *l, void *arg)
{
	struct dump *d = arg;
	uint64_t i;

	switch (d->style) {
	case STYLE_TLB:
		for (i = 0; i < l->count; i++) {
			tlb_line(d, l->va + (i << l->size_lg2),
				 l->oa + (i << l->size_lg2), l->pte, l->level);
		}
		break;
	case STYLE_MEM:
		leaf_mem(d, l);
		break;
	case STYLE_PTDUMP:
	case STYLE_JSON:
		leaf_run(d, l);
		break;
	case STYLE_LINUX:
	case STYLE_WX:
		leaf_linux(d, l);
		break;
	default:
		break;
	}
	return d->o->err ? SCAN_STOP_USER : 0;
}

static void flush_cur(struct dump *d)
{
	switch (d->style) {
	case STYLE_MEM:
		if (d->listings & PTK_FMT_LIST_MEM_ATTR)
			mem_rv_flush(d);
		else
			mem_x86_flush(d);
		break;
	case STYLE_PTDUMP:
	case STYLE_JSON:
		run_flush(d);
		break;
	default:
		break;
	}
}

static void json_begin(struct dump *d, const struct img_opts *o, ptk_va_t vs,
		       ptk_va_t ve)
{
	int i;

	out_str(d->o, "{\"format\": ");
	out_json_str(d->o, d->f->name);
	out_str(d->o, ", \"image\": ");
	out_json_str(d->o, o->path);
	out_str(d->o, ", \"roots\": [");
	for (i = 0; i < 2; i++) {
		if (!d->tg->have[i])
			continue;
		out_str(d->o, i ? ", \"" : "\"");
		out_hex0x(d->o, d->tg->root[i]);
		out_chr(d->o, '"');
	}
	out_str(d->o, "], \"va_start\": \"");
	out_hex0x(d->o, vs);
	out_str(d->o, "\", \"va_last\": \"");
	out_hex0x(d->o, ve);
	out_str(d->o, d->style == STYLE_JSON ? "\", \"runs\": ["
					     : "\", \"tables\": [");
	d->first_item = true;
}

static void json_end(struct dump *d, const struct scan *s, const char *stop)
{
	out_str(d->o, d->first_item ? "],\n" : "\n],\n");
	out_str(d->o, "\"leaves\": ");
	out_u64(d->o, s->leaves);
	out_str(d->o, ", \"tables_walked\": ");
	out_u64(d->o, s->tables);
	out_str(d->o, ", \"entries_visited\": ");
	out_u64(d->o, s->work);
	out_str(d->o, ", \"malformed_entries\": ");
	out_u64(d->o, s->bad);
	out_bool(d->o, ", \"complete\": ", !stop);
	if (stop) {
		out_str(d->o, ", \"stopped\": ");
		out_json_str(d->o, stop);
	}
	out_str(d->o, "}\n");
}

static int parse_style(const char *style, bool json, bool wx, enum style *st)
{
	if (wx) {
		if (json || style) {
			ptk_tool_err(
				"dump: --check-wx prints its own report; drop --json and --style");
			return -1;
		}
		*st = STYLE_WX;
	} else if (!style || !strcmp(style, "ptdump")) {
		*st = json ? STYLE_JSON : STYLE_PTDUMP;
	} else if (!strcmp(style, "tables")) {
		*st = json ? STYLE_TABLES_JSON : STYLE_TABLES;
	} else if (!strcmp(style, "qemu-tlb") || !strcmp(style, "qemu-mem") ||
		   !strcmp(style, "linux")) {
		if (json) {
			ptk_tool_err(
				"dump: --json is for the ptdump and tables styles; --style %s is text only",
				style);
			return -1;
		}
		*st = style[0] == 'l'	? STYLE_LINUX
		      : style[5] == 't' ? STYLE_TLB
					: STYLE_MEM;
	} else {
		ptk_tool_err(
			"dump: unknown style '%s' (ptdump, linux, qemu-tlb, qemu-mem, tables)",
			style);
		return -1;
	}
	return 0;
}

static bool style_fits(struct dump *d, const char *style)
{
	/* Which of QEMU's listings exist for the format is the format's. */
	d->listings = ptk_fmt_arch(d->f)->listings;
	if (d->style == STYLE_TLB && !(d->listings & PTK_FMT_LIST_TLB)) {
		ptk_tool_err(
			"dump: --style qemu-tlb is QEMU's x86 listing; %s is not an x86 format",
			d->f->name);
		return false;
	}
	if (d->style == STYLE_MEM &&
	    !(d->listings & (PTK_FMT_LIST_MEM_PROT | PTK_FMT_LIST_MEM_ATTR))) {
		ptk_tool_err(
			"dump: --style qemu-mem is QEMU's x86 and RISC-V listing; %s is neither",
			d->f->name);
		return false;
	}
	if ((d->style == STYLE_LINUX || d->style == STYLE_WX) &&
	    linux_layout_get(&d->lx, d->tg)) {
		ptk_tool_err(
			"dump: %s needs Linux's layout, which ptkit knows for x86-64 (4- and 5-level) and arm64 stage 1; not for %s",
			style ? "--style linux" : "--check-wx", d->f->name);
		return false;
	}
	return true;
}

int ptk_cmd_dump(int argc, char **argv)
{
	struct img_opts o;
	struct img_target tg;
	struct dump d;
	struct scan s;
	static const struct scan_ops ops = { .leaf = on_leaf,
					     .table = on_table };
	struct scan_opts so = { 0 };
	ptk_va_t vs, ve;
	bool json = false, wx = false;
	bool strict = false, all_errors = false;
	const char *style = NULL, *v, *stop = NULL;
	int i, rc, ret = PTK_EXIT_OK;

	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
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
		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--check-wx")) {
			wx = true;
		} else if (!strcmp(a, "--strict")) {
			strict = true;
		} else if (!strcmp(a, "--all-errors")) {
			all_errors = true;
		} else if ((rc = tool_opt(argc, argv, &i, "--style", &v))) {
			if (rc < 0)
				return PTK_EXIT_USAGE;
			style = v;
		} else if ((rc = scan_parse_opt(&so, "dump", argc, argv, &i))) {
			if (rc < 0)
				return PTK_EXIT_USAGE;
		} else if (a[0] != '-' && !o.path) {
			o.path = a;
		} else {
			ptk_tool_err(
				"dump: unexpected argument '%s' (see 'ptkit dump --help')",
				a);
			return PTK_EXIT_USAGE;
		}
	}
	if (!o.path) {
		ptk_tool_err("dump: no IMAGE given (see 'ptkit dump --help')");
		return PTK_EXIT_USAGE;
	}
	if (parse_style(style, json, wx, &d.style))
		return PTK_EXIT_USAGE;
	if (scan_opts_range(&so, "dump", &vs, &ve))
		return PTK_EXIT_USAGE;
	rc = img_target_open(&tg, &o);
	if (rc)
		return rc;
	d.tg = &tg;
	d.f = tg.fmt;
	if (!style_fits(&d, style)) {
		img_target_close(&tg);
		return PTK_EXIT_USAGE;
	}
	d.flat_bits = tg.fmt->va_bits;
	for (i = 0; i < (int)ptk_fmt_arch(tg.fmt)->nr_leaf_flags && i < 32; i++)
		d.flag_mask |= ptk_fmt_arch(tg.fmt)->leaf_flags[i].mask;
	d.page_lg2 = tg.fmt->level_shift[0];
	d.o = &dump_out;
	out_init(&dump_out, stdout);
	scan_init(&s, &tg, &ops, &d);
	s.strict = strict;
	s.report_limit = all_errors ? 0 : REPORT_LIMIT;
	if (so.have_budget)
		s.budget = so.budget;
	if (tool_progress_allowed())
		s.progress = "dump";
	if (d.style == STYLE_MEM && (d.listings & PTK_FMT_LIST_MEM_ATTR))
		out_str(&dump_out,
			tg.fmt->entry_lg2 == 2
				? "vaddr    paddr            size     attr\n"
				  "-------- ---------------- -------- -------\n"
				: "vaddr            paddr            size             attr\n"
				  "---------------- ---------------- ---------------- -------\n");
	if (d.style == STYLE_JSON || d.style == STYLE_TABLES_JSON)
		json_begin(&d, &o, vs, ve);
	if (d.style == STYLE_LINUX || d.style == STYLE_WX)
		lx_begin(&d, vs);
	rc = scan_run(&s, vs, ve);
	scan_summary(&s, "dump");
	if (rc == SCAN_BUDGET)
		stop = "the walk budget ran out";
	else if (rc == SCAN_STRICT)
		stop = "a malformed entry (--strict)";
	else if (rc && rc != SCAN_STOP_USER)
		stop = ptk_strerror(rc);
	flush_cur(&d);
	if (d.style == STYLE_LINUX || d.style == STYLE_WX)
		lx_end(&d, ve, !rc);
	if (d.style == STYLE_JSON || d.style == STYLE_TABLES_JSON)
		json_end(&d, &s, stop);
	out_flush(&dump_out);
	if (dump_out.err) {
		/* main() names the error when it flushes stdout. */
		ret = PTK_EXIT_FAIL;
	} else if (rc == SCAN_BUDGET || rc == SCAN_STRICT) {
		ret = PTK_EXIT_FAIL;
	} else if (rc) {
		ptk_tool_err("dump: walk failed: %s", ptk_strerror(rc));
		ret = PTK_EXIT_FAIL;
	} else if (!s.leaves) {
		scan_why_empty(&s, "dump", vs || so.ve);
		ret = PTK_EXIT_FAIL;
	} else if (s.bad > s.leaves) {
		ptk_tool_err(
			"dump: more malformed entries (%" PRIu64
			") than leaves (%" PRIu64
			"): the listing is likely garbage; is --format %s right for this image?",
			s.bad, s.leaves, tg.fmt->name);
		ret = PTK_EXIT_FAIL;
	} else if (d.style == STYLE_WX && d.wx_pages) {
		ret = PTK_EXIT_FAIL;
	}
	img_target_close(&tg);
	return ret;
}
