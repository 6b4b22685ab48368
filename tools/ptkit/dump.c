// SPDX-License-Identifier: MIT
/*
 * `ptkit dump IMAGE --format FMT (--root VALUE | --cpu N) ...`: list the
 * mappings of a page table found in a memory image.
 *
 * The walk is the library's (ptk_walk with leaf runs); this file adds what
 * a tool needs on untrusted data: a work budget, cycle detection on the
 * current path, a report of every malformed entry, effective permissions
 * accumulated across levels (the walk's pre_table hook does not carry the
 * table entry, so it is read here from the parent table), and the output
 * styles: ptdump-like merged runs, JSON lines, and exactly QEMU's
 * `info tlb` / `info mem`.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "imgcmd.h"

#define DEFAULT_BUDGET (1ull << 26) /* table entries visited */
#define STOP_BUDGET 1
#define STOP_STRICT 2
#define STOP_IO 3

enum style { STYLE_PTDUMP, STYLE_JSON, STYLE_TLB, STYLE_MEM, STYLE_TABLES };

struct run {
	ptk_va_t va; /* first VA */
	ptk_va_t end; /* VA after the run (may wrap to 0) */
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
	bool strict;
	bool progress;
	int ti; /* which root is being walked */
	ptk_va_t va_or; /* added to the walked VAs (Arm TTBR1) */
	uint64_t budget;
	uint64_t work;
	uint64_t tables;
	uint64_t bad;
	uint64_t leaves;
	uint64_t lines;
	ptk_oa_t path[PTK_MAX_LEVELS];
	unsigned int deny[PTK_MAX_LEVELS];
	bool have;
	struct run cur;
	/* qemu-mem (x86): the flat (unsigned-extended) address space */
	unsigned int flat_bits;
	/* output */
	char *buf;
	size_t len;
	bool io_err;
};

static char outbuf[1 << 20];

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit dump IMAGE --format FMT (--root VALUE | --cpu N) "
		"[options]\n"
		"\n"
		"List the mappings of a page table in a memory image (raw, ELF "
		"core or\n"
		"LiME). VALUE is the raw root register: CR3 (PCID and flag "
		"bits "
		"are\n"
		"masked), TTBR (ASID masked), satp (mode and ASID masked).\n"
		"\n"
		"  --format FMT      table format (see 'ptkit formats')\n"
		"  --root VALUE      root register value\n"
		"  --cpu N           take the root from CPU N's notes (x86 "
		"ELF cores: CR3)\n"
		"  --root1 VALUE     Arm: TTBR1 for the upper VA range\n"
		"  --base PA         physical address of a raw image's first "
		"byte\n"
		"  --style S         ptdump (default): merged runs with "
		"effective\n"
		"                    permissions across levels; qemu-tlb: "
		"QEMU's "
		"x86\n"
		"                    'info tlb'; qemu-mem: QEMU's 'info mem' "
		"(x86, RISC-V);\n"
		"                    tables: every table walked (level, "
		"address, bytes)\n"
		"  --json            one JSON object per run (JSON lines)\n"
		"  --va-start A      first VA to list (default 0)\n"
		"  --va-end B        VA after the last to list (default: the "
		"top)\n"
		"  --strict          stop with status 2 at the first malformed "
		"entry\n"
		"  --budget N        table entries the walk may visit (default "
		"%llu);\n"
		"                    exceeding it stops the dump with status "
		"2\n"
		"\n"
		"Malformed entries (reserved bits, misaligned frames, leaves "
		"where the\n"
		"format allows none, tables outside the image, cycles) are "
		"reported on\n"
		"stderr and skipped; the rest is listed.\n",
		(unsigned long long)DEFAULT_BUDGET);
}

/* --- output */

static void out_flush(struct dump *d)
{
	if (d->len && fwrite(d->buf, 1, d->len, stdout) != d->len)
		d->io_err = true;
	d->len = 0;
}

static char *out_room(struct dump *d, size_t n)
{
	if (d->len + n > sizeof(outbuf))
		out_flush(d);
	return d->buf + d->len;
}

static const char hexd[] = "0123456789abcdef";

static char *hex_fixed(char *p, uint64_t v, unsigned int digits)
{
	unsigned int i;

	for (i = digits; i-- > 0;) {
		p[i] = hexd[v & 15];
		v >>= 4;
	}
	return p + digits;
}

static void out_str(struct dump *d, const char *s)
{
	size_t n = strlen(s);
	char *p = out_room(d, n);

	memcpy(p, s, n);
	d->len += n;
}

static void out_fmt(struct dump *d, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void out_fmt(struct dump *d, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_str(d, tmp);
}

/* --- styles */

static ptk_va_t canon(unsigned int bits, ptk_va_t a)
{
	if (bits < 64 && ((a >> (bits - 1)) & 1))
		a |= ~(((ptk_va_t)1 << bits) - 1);
	return a;
}

/* QEMU `info tlb`: one line per leaf, the leaf entry's own flags. */
static void tlb_line(struct dump *d, ptk_va_t va, ptk_oa_t oa, ptk_pte_t pte,
		     unsigned int level)
{
	char *p = out_room(d, 64), *s = p;
	bool big = level > 0;

	p = hex_fixed(p, va, 16);
	*p++ = ':';
	*p++ = ' ';
	p = hex_fixed(p, oa, 16);
	*p++ = ' ';
	*p++ = (d->f->entry_lg2 == 3 && (pte >> 63)) ? 'X' : '-';
	*p++ = (pte & 0x100) ? 'G' : '-';
	*p++ = big ? 'P' : '-'; /* PS; bit 7 of a PTE is PAT */
	*p++ = (pte & 0x40) ? 'D' : '-';
	*p++ = (pte & 0x20) ? 'A' : '-';
	*p++ = (pte & 0x10) ? 'C' : '-';
	*p++ = (pte & 0x08) ? 'T' : '-';
	*p++ = (pte & 0x04) ? 'U' : '-';
	*p++ = (pte & 0x02) ? 'W' : '-';
	*p++ = '\n';
	d->len += (size_t)(p - s);
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
	p = out_room(d, 64);
	s = p;
	p = hex_fixed(p, canon(cb, r->va), 16);
	*p++ = '-';
	p = hex_fixed(p, canon(cb, r->end), 16);
	*p++ = ' ';
	p = hex_fixed(p, canon(cb, r->end - r->va), 16);
	*p++ = ' ';
	*p++ = (r->prot & PTK_PROT_USER) ? 'u' : '-';
	*p++ = 'r';
	*p++ = (r->prot & PTK_PROT_WRITE) ? 'w' : '-';
	*p++ = '\n';
	d->len += (size_t)(p - s);
	d->lines++;
	d->have = false;
}

/* QEMU `info mem` for RISC-V: runs inside one table, equal attr byte. */
static void mem_rv_flush(struct dump *d)
{
	const struct run *r = &d->cur;
	uint32_t a = (uint32_t)r->key;
	bool rv32 = d->f->entry_lg2 == 2;
	char *p, *s;

	if (!d->have)
		return;
	p = out_room(d, 80);
	s = p;
	p = hex_fixed(p, r->va, rv32 ? 8 : 16);
	*p++ = ' ';
	p = hex_fixed(p, r->oa, 16);
	*p++ = ' ';
	p = hex_fixed(p, r->end - r->va, rv32 ? 8 : 16);
	*p++ = ' ';
	*p++ = (a & 0x02) ? 'r' : '-';
	*p++ = (a & 0x04) ? 'w' : '-';
	*p++ = (a & 0x08) ? 'x' : '-';
	*p++ = (a & 0x10) ? 'u' : '-';
	*p++ = (a & 0x20) ? 'g' : '-';
	*p++ = (a & 0x40) ? 'a' : '-';
	*p++ = (a & 0x80) ? 'd' : '-';
	*p++ = '\n';
	d->len += (size_t)(p - s);
	d->lines++;
	d->have = false;
}

static void prot_str(char *b, uint32_t prot)
{
	b[0] = (prot & PTK_PROT_READ) ? 'r' : '-';
	b[1] = (prot & PTK_PROT_WRITE) ? 'w' : '-';
	b[2] = (prot & PTK_PROT_EXEC) ? 'x' : '-';
	b[3] = (prot & PTK_PROT_USER) ? 'u' : 'k';
	b[4] = 0;
}

static void run_flush(struct dump *d)
{
	const struct run *r = &d->cur;
	char prot[8], size[32], page[16];
	uint64_t bytes = r->end - r->va;

	if (!d->have)
		return;
	prot_str(prot, r->prot);
	img_size_str(page, sizeof(page), r->size_lg2);
	if (d->style == STYLE_JSON) {
		out_fmt(d,
			"{\"va\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
			"\", \"size\": %" PRIu64 ", \"pa\": \"0x%" PRIx64
			"\", \"prot\": \"%s\", \"global\": %s, "
			"\"accessed\": %s, \"dirty\": %s, \"memtype\": %u, "
			"\"page_size\": %" PRIu64 ", \"pages\": %" PRIu64
			", \"level\": %u, \"level_name\": \"%s\"}\n",
			r->va, r->end, bytes, r->oa, prot,
			(r->flags & PTK_ATTR_GLOBAL) ? "true" : "false",
			(r->flags & PTK_ATTR_ACCESSED) ? "true" : "false",
			(r->flags & PTK_ATTR_DIRTY) ? "true" : "false",
			r->memtype, (uint64_t)1 << r->size_lg2,
			bytes >> r->size_lg2, r->level,
			ptk_fmt_level_name(d->f, r->level));
	} else {
		img_bytes_str(size, sizeof(size), bytes);
		out_fmt(d,
			"%016" PRIx64 "-%016" PRIx64 " %7s -> %016" PRIx64
			" %s %c%c%c mt%u %5s %s\n",
			r->va, r->end - 1, size, r->oa, prot,
			(r->flags & PTK_ATTR_GLOBAL) ? 'G' : '-',
			(r->flags & PTK_ATTR_ACCESSED) ? 'A' : '-',
			(r->flags & PTK_ATTR_DIRTY) ? 'D' : '-', r->memtype,
			page, ptk_fmt_level_name(d->f, r->level));
	}
	d->lines++;
	d->have = false;
}

static void flush_cur(struct dump *d)
{
	if (d->style == STYLE_MEM) {
		if (img_family_of(d->f) == FAM_RISCV)
			mem_rv_flush(d);
		else
			mem_x86_flush(d);
	} else if (d->style != STYLE_TLB) {
		run_flush(d);
	}
}

/* `--style tables`: every table the walk enters: level, address, bytes. */
static void table_line(struct dump *d, unsigned int level, ptk_oa_t oa)
{
	out_fmt(d, "%s 0x%" PRIx64 " %" PRIu64 "\n",
		ptk_fmt_level_name(d->f, level), oa,
		(uint64_t)1 << (d->f->level_bits[level] + d->f->entry_lg2));
	d->lines++;
}

/* --- walk hooks */

static void progress(struct dump *d, ptk_va_t va)
{
	unsigned int vb = d->f->va_bits;
	uint64_t pos = vb < 64 ? (va & (((uint64_t)1 << vb) - 1)) >> (vb - 10)
			       : va >> 54;

	fprintf(stderr, "\rptkit: dump root %d: %3u%% ", d->ti,
		(unsigned int)(pos * 100 / 1024));
}

static int hook_pre(const struct ptk_walk_table *tb, void *arg)
{
	struct dump *d = arg;
	const struct ptk_fmt *f = d->f;
	unsigned int k = tb->level, p = k + 1, j;
	uint64_t esz = (uint64_t)1 << f->entry_lg2;
	uint64_t idx = (tb->va >> f->level_shift[p]) &
		       (((uint64_t)1 << f->level_bits[p]) - 1);
	const unsigned char *e;
	ptk_pte_t pte = 0;

	for (j = p; j < f->levels; j++) {
		if (d->path[j] == tb->oa) {
			d->bad++;
			ptk_tool_err("bad entry: %s entry for VA 0x%" PRIx64
				     "-0x%" PRIx64 " points to table 0x%" PRIx64
				     ", its own ancestor at level %s (cycle "
				     "or self-map); not followed",
				     ptk_fmt_level_name(f, p),
				     tb->va | d->va_or, tb->last | d->va_or,
				     tb->oa, ptk_fmt_level_name(f, j));
			return d->strict ? STOP_STRICT : PTK_WALK_SKIP;
		}
	}
	d->work += (uint64_t)1 << f->level_bits[k];
	if (d->work > d->budget) {
		static const char msg[] = "the listing is incomplete "
					  "(raise --budget)";

		ptk_tool_err("walk budget of %" PRIu64 " table entries "
			     "exhausted at VA "
			     "0x%" PRIx64 "; %s",
			     d->budget, tb->va | d->va_or, msg);
		return STOP_BUDGET;
	}
	d->tables++;
	if (d->progress && !(d->tables & 1023))
		progress(d, tb->va);
	e = ptk_image_ptr(d->tg->img, d->path[p] + idx * esz, esz);
	if (e) {
		unsigned int b;

		for (b = 0; b < esz; b++)
			pte |= (ptk_pte_t)e[b] << (8 * b);
	}
	d->deny[k] = d->deny[p] | img_table_deny(img_family_of(f), f, p, pte);
	d->path[k] = tb->oa;
	if (d->style == STYLE_TABLES)
		table_line(d, k, tb->oa);
	return 0;
}

static int hook_invalid(ptk_va_t va, ptk_va_t last, unsigned int level,
			ptk_pte_t pte, void *arg)
{
	struct dump *d = arg;
	const struct ptk_fmt *f = d->f;
	const char *why = "malformed entry (reserved bits, misaligned frame "
			  "or a leaf the level does not allow)";

	if (f->hooks->classify(f, level, pte) == PTK_ENTRY_TABLE) {
		ptk_tool_err("bad entry: %s entry 0x%0*" PRIx64
			     " for VA 0x%" PRIx64 "-0x%" PRIx64 ": its table "
			     "at 0x%" PRIx64 " is outside the image; skipped",
			     ptk_fmt_level_name(f, level), 2 << f->entry_lg2,
			     pte, va | d->va_or, last | d->va_or,
			     f->hooks->table_oa(f, level, pte));
	} else {
		ptk_tool_err("bad entry: %s entry 0x%0*" PRIx64
			     " for VA 0x%" PRIx64 "-0x%" PRIx64 ": %s; skipped",
			     ptk_fmt_level_name(f, level), 2 << f->entry_lg2,
			     pte, va | d->va_or, last | d->va_or, why);
	}
	d->bad++;
	return d->strict ? STOP_STRICT : 0;
}

static int hook_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct dump *d = arg;
	ptk_va_t va = l->va | d->va_or;
	uint64_t bytes = l->count << l->size_lg2;
	struct run *c = &d->cur;
	uint32_t prot;
	uint64_t i;

	d->leaves += l->count;
	switch (d->style) {
	case STYLE_TABLES:
		break;
	case STYLE_TLB:
		for (i = 0; i < l->count; i++)
			tlb_line(d, va + (i << l->size_lg2),
				 l->oa + (i << l->size_lg2), l->pte, l->level);
		break;
	case STYLE_MEM:
		if (img_family_of(d->f) == FAM_RISCV) {
			/* QEMU merges only inside one table. */
			unsigned int tl = d->f->level_shift[l->level] +
					  d->f->level_bits[l->level];
			uint64_t attr = l->pte & 0xff;

			if (d->have && c->key == attr && c->end == va &&
			    c->oa + (c->end - c->va) == l->oa &&
			    c->level == l->level && tl < 64 &&
			    ((c->va ^ va) >> tl) == 0) {
				c->end += bytes;
				break;
			}
			mem_rv_flush(d);
			c->va = va;
			c->end = va + bytes;
			c->oa = l->oa;
			c->level = l->level;
			c->key = attr;
			d->have = true;
		} else {
			ptk_va_t fmask = ((ptk_va_t)1 << d->flat_bits) - 1;
			ptk_va_t fva = va & fmask;

			prot = img_apply_deny(l->attrs.prot,
					      d->deny[l->level]) &
			       (PTK_PROT_USER | PTK_PROT_WRITE);
			if (d->have && c->prot == prot && c->end == fva) {
				c->end += bytes;
				break;
			}
			mem_x86_flush(d);
			c->va = fva;
			c->end = fva + bytes;
			c->prot = prot;
			d->have = true;
		}
		break;
	default:
		prot = img_apply_deny(l->attrs.prot, d->deny[l->level]);
		if (d->have && c->end == va && c->prot == prot &&
		    c->flags == l->attrs.flags &&
		    c->memtype == l->attrs.memtype &&
		    c->size_lg2 == l->size_lg2 && c->level == l->level &&
		    c->oa + (c->end - c->va) == l->oa) {
			c->end += bytes;
			break;
		}
		run_flush(d);
		c->va = va;
		c->end = va + bytes;
		c->oa = l->oa;
		c->prot = prot;
		c->flags = l->attrs.flags;
		c->memtype = l->attrs.memtype;
		c->size_lg2 = l->size_lg2;
		c->level = l->level;
		d->have = true;
		break;
	}
	return d->io_err ? STOP_IO : 0;
}

/* --- driver */

static int walk_one(struct dump *d, int ti, ptk_va_t vs, ptk_va_t ve)
{
	static const struct ptk_walk_ops ops = {
		.leaf = hook_leaf,
		.pre_table = hook_pre,
		.invalid = hook_invalid,
	};
	const struct ptk_fmt *f = d->f;
	const struct ptk_table *t = &d->tg->t[ti];
	unsigned int vb = f->va_bits;
	ptk_va_t lo = 0, hi = vb >= 64 ? ~(ptk_va_t)0 : ((ptk_va_t)1 << vb) - 1;
	unsigned int top = f->levels - 1;

	if (f->features & PTK_FMT_SIGN_EXTEND)
		hi = ~(ptk_va_t)0;
	d->ti = ti;
	d->va_or = ti ? d->tg->hi_base : 0;
	if (ti) {
		if (ve < d->va_or)
			return 0;
		vs = vs < d->va_or ? 0 : vs - d->va_or;
		ve -= d->va_or;
	}
	if (vs > lo)
		lo = vs;
	if (ve < hi)
		hi = ve;
	if (lo > hi)
		return 0;
	memset(d->path, 0, sizeof(d->path));
	d->path[top] = d->tg->root[ti];
	d->deny[top] = 0;
	d->work += (uint64_t)1 << f->level_bits[top];
	if (d->style == STYLE_TABLES)
		table_line(d, top, d->tg->root[ti]);
	if (!lo && hi == ~(ptk_va_t)0)
		return ptk_walk_all(t, &ops, d);
	return ptk_walk(t, lo, hi - lo + 1, &ops, d);
}

int ptk_cmd_dump(int argc, char **argv)
{
	struct img_opts o;
	struct img_target tg;
	struct dump d;
	uint64_t vs = 0, ve = 0;
	bool have_ve = false, json = false;
	const char *style = "ptdump";
	int i, rc, ret = PTK_EXIT_OK;

	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	o.cpu = -1;
	d.budget = DEFAULT_BUDGET;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
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
		} else if (!strcmp(a, "--strict")) {
			d.strict = true;
		} else if (!strcmp(a, "--style") && i + 1 < argc) {
			style = argv[++i];
		} else if (!strcmp(a, "--va-start") && i + 1 < argc) {
			if (img_parse_u64(argv[++i], &vs))
				goto bad_value;
		} else if (!strcmp(a, "--va-end") && i + 1 < argc) {
			if (img_parse_u64(argv[++i], &ve))
				goto bad_value;
			have_ve = true;
		} else if (!strcmp(a, "--budget") && i + 1 < argc) {
			if (img_parse_u64(argv[++i], &d.budget))
				goto bad_value;
		} else if (a[0] != '-' && !o.path) {
			o.path = a;
		} else {
			ptk_tool_err("dump: unexpected '%s'", a);
			usage(stderr);
			return PTK_EXIT_USAGE;
		}
	}
	if (!o.path) {
		usage(stderr);
		return PTK_EXIT_USAGE;
	}
	if (!strcmp(style, "ptdump")) {
		d.style = json ? STYLE_JSON : STYLE_PTDUMP;
	} else if (!strcmp(style, "qemu-tlb") && !json) {
		d.style = STYLE_TLB;
	} else if (!strcmp(style, "qemu-mem") && !json) {
		d.style = STYLE_MEM;
	} else if (!strcmp(style, "tables") && !json) {
		d.style = STYLE_TABLES;
	} else {
		ptk_tool_err("dump: unknown style '%s'%s", style,
			     json ? " with --json" : "");
		return PTK_EXIT_USAGE;
	}
	if (have_ve && ve <= vs && ve) {
		ptk_tool_err("dump: --va-end must be above --va-start");
		return PTK_EXIT_USAGE;
	}
	rc = img_target_open(&tg, &o);
	if (rc)
		return rc;
	d.tg = &tg;
	d.f = tg.fmt;
	if ((d.style == STYLE_TLB &&
	     (tg.fam < FAM_X86_64 || tg.fam > FAM_X86_32)) ||
	    (d.style == STYLE_MEM && tg.fam != FAM_RISCV &&
	     (tg.fam < FAM_X86_64 || tg.fam > FAM_X86_32))) {
		ptk_tool_err("dump: style %s is not defined for %s", style,
			     tg.fmt->name);
		img_target_close(&tg);
		return PTK_EXIT_USAGE;
	}
	d.flat_bits = tg.fmt->va_bits;
	d.buf = outbuf;
	d.progress = isatty(2);
	if (d.style == STYLE_MEM && tg.fam == FAM_RISCV)
		out_str(&d, tg.fmt->entry_lg2 == 2
				    ? "vaddr    paddr            size     "
				      "attr\n"
				      "-------- ---------------- -------- "
				      "-------\n"
				    : "vaddr            paddr            size  "
				      "           attr\n"
				      "---------------- ---------------- "
				      "---------------- -------\n");
	ve = have_ve ? ve - 1 : ~(uint64_t)0;
	rc = walk_one(&d, 0, vs, ve);
	if (!rc && tg.have[1])
		rc = walk_one(&d, 1, vs, ve);
	flush_cur(&d);
	out_flush(&d);
	if (fflush(stdout) || d.io_err) {
		ptk_tool_err("dump: write error");
		ret = PTK_EXIT_FAIL;
	}
	if (d.progress)
		fputs("\r\033[K", stderr);
	if (rc == STOP_BUDGET || rc == STOP_STRICT) {
		ret = PTK_EXIT_FAIL;
	} else if (rc && rc != STOP_IO) {
		ptk_tool_err("dump: walk failed: %s", ptk_strerror(rc));
		ret = PTK_EXIT_FAIL;
	}
	if (d.bad)
		ptk_tool_err("%" PRIu64 " bad entr%s reported%s", d.bad,
			     d.bad == 1 ? "y" : "ies",
			     d.strict ? "" : " and skipped");
	img_target_close(&tg);
	return ret;
bad_value:
	ptk_tool_err("dump: bad value for '%s'", argv[i - 1]);
	return PTK_EXIT_USAGE;
}
