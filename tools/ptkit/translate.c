// SPDX-License-Identifier: MIT
/*
 * `ptkit translate IMAGE --format FMT (--root VALUE | --cpu N) [VA ...]`:
 * translate addresses through a page table in a memory image.
 *
 * Each VA is walked by scan.c over that one address, so it meets exactly
 * the checks `ptkit dump` makes (malformed entries, tables outside the
 * image, an entry pointing to its own ancestor): where dump reports and
 * skips, translate reports and answers "not mapped". The library's
 * ptk_translate() gives the result itself, and the two must agree.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "out.h"
#include "scan.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit translate IMAGE --format FMT (--root VALUE | --cpu N) [options] [VA ...]\n"
		"\n"
		"Translate each VA (the arguments, or else the first word of each line of\n"
		"stdin, of any length; empty lines and lines starting with # are skipped)\n"
		"through the table. Prints 'VA PA', or 'VA -' when nothing maps it.\n"
		"\n" IMG_OPTS_HELP
		"  -v, --verbose     also the leaf's level, page size, attributes and raw entry\n"
		"  --json            one JSON document with every answer\n"
		"  --help            this text\n"
		"\n"
		"VA, VALUE and PA are hexadecimal, with or without 0x, as QEMU prints them\n"
		"(a line of QEMU's 'info tlb' works: its first word is the VA); N is decimal.\n"
		"\n"
		"Exit status: 0 every VA was answered; 1 usage error; 2 a malformed entry\n"
		"was met on the way of a VA (reported on stderr, the VA prints as unmapped,\n"
		"as 'ptkit dump' skips it), a line of stdin is not an address, nothing\n"
		"could be translated because the root table holds no valid entry (the\n"
		"reason is printed), or an error.\n");
}

struct xl {
	const struct img_target *tg;
	bool verbose;
	bool json;
	bool first;
	struct out *o;
	uint64_t bad; /* VAs (or lines) that failed */
	uint64_t seen;
	uint64_t mapped;
	uint64_t unmapped;
};

struct one_leaf {
	bool found;
	struct scan_leaf l;
};

static int on_leaf(const struct scan_leaf *l, void *arg)
{
	struct one_leaf *r = arg;

	r->found = true;
	r->l = *l;
	return 0;
}

/*
 * @r and its attributes @ap (the permissions every level grants, as dump
 * prints them: ptk_translate_effective()), or @err.
 */
static void print_result(struct xl *x, ptk_va_t va, const struct ptk_xlate *r,
			 const struct ptk_attrs *ap, const char *err)
{
	const struct ptk_fmt *f = x->tg->fmt;
	struct out *o = x->o;
	struct ptk_attrs a = { 0, 0, 0, 0 };
	char prot[5];

	if (r) {
		a = *ap;
		prot[0] = (a.prot & PTK_PROT_READ) ? 'r' : '-';
		prot[1] = (a.prot & PTK_PROT_WRITE) ? 'w' : '-';
		prot[2] = (a.prot & PTK_PROT_EXEC) ? 'x' : '-';
		prot[3] = (a.prot & PTK_PROT_USER) ? 'u' : 'k';
		prot[4] = 0;
	}
	if (x->json) {
		out_str(o, x->first ? "\n{\"va\": \"" : ",\n{\"va\": \"");
		x->first = false;
		out_hex0x(o, va);
		if (!r) {
			out_str(o, "\", \"pa\": null");
			if (err) {
				out_str(o, ", \"error\": ");
				out_json_str(o, err);
			}
			out_chr(o, '}');
			return;
		}
		out_str(o, "\", \"pa\": \"");
		out_hex0x(o, r->oa);
		out_str(o, "\", \"level\": ");
		out_u64(o, r->level);
		out_str(o, ", \"level_name\": ");
		out_json_str(o, ptk_fmt_level_name(f, r->level));
		out_str(o, ", \"page_size\": ");
		out_u64(o, (uint64_t)1 << r->size_lg2);
		out_str(o, ", \"prot\": \"");
		out_str(o, prot);
		out_str(o, "\", \"global\": ");
		out_str(o, (a.flags & PTK_ATTR_GLOBAL) ? "true" : "false");
		out_str(o, ", \"accessed\": ");
		out_str(o, (a.flags & PTK_ATTR_ACCESSED) ? "true" : "false");
		out_str(o, ", \"dirty\": ");
		out_str(o, (a.flags & PTK_ATTR_DIRTY) ? "true" : "false");
		out_str(o, ", \"memtype\": ");
		out_u64(o, a.memtype);
		out_str(o, ", \"pte\": \"");
		out_hex0x(o, r->pte);
		out_str(o, "\"}");
		return;
	}
	out_hex0x(o, va);
	if (!r) {
		out_str(o, " -\n");
		return;
	}
	out_chr(o, ' ');
	out_hex0x(o, r->oa);
	if (x->verbose) {
		char ps[32];

		*fmt_lg2(ps, r->size_lg2) = 0;
		out_fmt(o,
			" level=%s page=%s prot=%s%s%s%s memtype=%u pte=0x%" PRIx64,
			ptk_fmt_level_name(f, r->level), ps, prot,
			(a.flags & PTK_ATTR_GLOBAL) ? " global" : "",
			(a.flags & PTK_ATTR_ACCESSED) ? " accessed" : "",
			(a.flags & PTK_ATTR_DIRTY) ? " dirty" : "", a.memtype,
			r->pte);
	}
	out_chr(o, '\n');
}

static void one(struct xl *x, ptk_va_t va)
{
	static const struct scan_ops ops = { .leaf = on_leaf };
	const struct img_target *tg = x->tg;
	struct one_leaf found = { 0 };
	struct ptk_attrs a;
	struct ptk_xlate r;
	struct scan s;
	ptk_va_t inner, cva;
	int ti, rc;

	x->seen++;
	ti = img_select(tg, va, &inner);
	if (ti < 0) {
		x->unmapped++;
		print_result(x, va, NULL, NULL, NULL); /* outside every root */
		return;
	}
	/* The address without an ignored top byte, as dump lists it. */
	cva = (ti ? tg->hi_base : 0) + inner;
	/* The same checks as dump, on this VA's path only. */
	scan_init(&s, tg, &ops, &found);
	rc = scan_run(&s, cva, cva);
	if (s.bad) {
		x->bad++;
		print_result(x, va, NULL, NULL, "malformed entry on the way");
		return;
	}
	if (rc < 0 && rc != PTK_ERANGE) {
		ptk_tool_err("translate: 0x%" PRIx64 ": walk failed: %s", va,
			     ptk_strerror(rc));
		x->bad++;
		print_result(x, va, NULL, NULL, ptk_strerror(rc));
		return;
	}
	rc = ptk_translate_effective(&tg->t[ti], inner, &r, &a);
	if (found.found != !rc ||
	    (!rc && (r.oa != found.l.oa + (cva - found.l.va) ||
		     a.prot != found.l.prot))) {
		ptk_tool_err(
			"translate: 0x%" PRIx64
			": ptk_translate (%s) and the walk (%s) disagree; please report this",
			va, rc ? ptk_strerror(rc) : "mapped",
			found.found ? "mapped" : "not mapped");
		x->bad++;
		print_result(x, va, NULL, NULL, "internal disagreement");
		return;
	}
	if (rc) {
		x->unmapped++;
		print_result(x, va, NULL, NULL, NULL);
		return;
	}
	x->mapped++;
	print_result(x, va, &r, &a, NULL);
}

/* The first word of @line, with QEMU's "VA:" colon dropped; NULL if none. */
static char *first_word(char *line)
{
	char *s = line, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strcspn(s, " \t\r\n");
	if (e > s && e[-1] == ':')
		e--;
	*e = 0;
	return *s && *s != '#' ? s : NULL;
}

static void from_stdin(struct xl *x)
{
	char *line = NULL, *w;
	size_t cap = 0, lineno = 0;
	uint64_t va;

	while (getline(&line, &cap, stdin) >= 0) {
		lineno++;
		w = first_word(line);
		if (!w)
			continue;
		if (tool_parse_addr(w, &va)) {
			ptk_tool_err(
				"translate: stdin line %zu: bad address '%.40s%s': an address is hexadecimal (0x optional), at most 16 digits",
				lineno, w, strlen(w) > 40 ? "..." : "");
			x->bad++;
			continue;
		}
		one(x, va);
		if (x->o->err)
			break;
	}
	if (ferror(stdin)) {
		ptk_tool_err("translate: reading stdin failed");
		x->bad++;
	}
	free(line);
}

/* Nothing translated: say why when the root table is the cause. */
static bool nothing_usable(const struct xl *x)
{
	uint64_t valid = 0, bad = 0, total = 0, v, b, t;
	int i;

	if (!x->seen || x->mapped)
		return false;
	for (i = 0; i < 2; i++) {
		if (!x->tg->have[i])
			continue;
		img_root_summary(x->tg, i, &v, &b, &t);
		valid += v;
		bad += b;
		total += t;
	}
	if (valid)
		return false;
	if (bad)
		ptk_tool_err(
			"translate: nothing translated: the root table at 0x%" PRIx64
			" holds %" PRIu64
			" malformed entries and no valid one; is --format %s right for this image?",
			x->tg->root[0], bad, x->tg->fmt->name);
	else
		ptk_tool_err(
			"translate: nothing translated: the root table at 0x%" PRIx64
			" holds no entry at all (%" PRIu64
			" empty); for a raw image, is --base right?",
			x->tg->root[0], total);
	return true;
}

int ptk_cmd_translate(int argc, char **argv)
{
	static struct out out;
	struct img_opts o;
	struct img_target tg;
	struct xl x;
	uint64_t va;
	int i, rc, first_va = 0, nva = 0, ret;
	char **vas = argv;

	memset(&o, 0, sizeof(o));
	memset(&x, 0, sizeof(x));
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
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			x.verbose = true;
		} else if (!strcmp(a, "--json")) {
			x.json = true;
		} else if (a[0] == '-') {
			ptk_tool_err(
				"translate: unexpected argument '%s' (see 'ptkit translate --help')",
				a);
			return PTK_EXIT_USAGE;
		} else if (!o.path) {
			o.path = a;
		} else {
			if (tool_parse_addr(a, &va)) {
				ptk_tool_err(
					"translate: bad address '%s': an address is hexadecimal (0x optional), at most 16 digits",
					a);
				return PTK_EXIT_USAGE;
			}
			/* Collect VAs in place, after the options. */
			if (!nva)
				first_va = i;
			vas[first_va + nva++] = argv[i];
		}
	}
	if (!o.path) {
		ptk_tool_err(
			"translate: no IMAGE given (see 'ptkit translate --help')");
		return PTK_EXIT_USAGE;
	}
	rc = img_target_open(&tg, &o);
	if (rc)
		return rc;
	x.tg = &tg;
	x.o = &out;
	x.first = true;
	out_init(&out, stdout);
	if (x.json) {
		out_str(&out, "{\"format\": ");
		out_json_str(&out, tg.fmt->name);
		out_str(&out, ", \"image\": ");
		out_json_str(&out, o.path);
		out_str(&out, ", \"translations\": [");
	}
	if (nva) {
		for (i = 0; i < nva && !out.err; i++) {
			tool_parse_addr(vas[first_va + i], &va);
			one(&x, va);
		}
	} else {
		from_stdin(&x);
	}
	if (x.json) {
		out_str(&out, x.first ? "],\n" : "\n],\n");
		out_fmt(&out,
			"\"translated\": %" PRIu64 ", \"unmapped\": %" PRIu64
			", \"failed\": %" PRIu64 "}\n",
			x.mapped, x.unmapped, x.bad);
	}
	out_flush(&out);
	ret = x.bad || out.err ? PTK_EXIT_FAIL : PTK_EXIT_OK;
	if (!out.err && nothing_usable(&x))
		ret = PTK_EXIT_FAIL;
	img_target_close(&tg);
	return ret;
}
