// SPDX-License-Identifier: MIT
/*
 * `ptkit pa2va IMAGE --format FMT --root VALUE PA`: every VA whose
 * translation reaches a physical address. One guarded walk (scan.c) over
 * every root with the batched leaf hook: each present leaf is looked at
 * once, and only the ones whose page holds PA are decoded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "out.h"
#include "scan.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit pa2va IMAGE --format FMT (--root VALUE | --cpu N) [options] PA\n"
		"\n"
		"List every VA whose translation reaches physical address PA, in VA\n"
		"order, one per line:\n"
		"  VA PROT PAGE LEVEL\n"
		"PROT is the permission in effect (the leaf's, limited by the tables above\n"
		"it, as 'ptkit dump' prints it: r/w/x, then u for user or k for kernel\n"
		"only), PAGE the size of the page that maps it, LEVEL the leaf's level by\n"
		"the architecture's name. The walk makes the checks dump makes (malformed\n"
		"entries are reported and skipped).\n"
		"\n" IMG_OPTS_HELP SCAN_OPTS_HELP
		"  --max N           print at most N VAs (all are counted; default: all)\n"
		"  --json            one JSON document\n"
		"  --help            this text\n"
		"\n"
		"PA is hexadecimal (0x optional).\n"
		"\n"
		"Exit status: 0 the walk completed (also when no VA maps PA: said on\n"
		"stderr); 1 usage error; 2 malformed entries were met, the budget ran out,\n"
		"or an error.\n");
}

struct p2v {
	ptk_oa_t pa;
	const struct ptk_fmt *f;
	struct out *o;
	bool json;
	uint64_t found;
	uint64_t max;
};

static void prot_str(char *p, uint32_t prot)
{
	p[0] = (prot & PTK_PROT_READ) ? 'r' : '-';
	p[1] = (prot & PTK_PROT_WRITE) ? 'w' : '-';
	p[2] = (prot & PTK_PROT_EXEC) ? 'x' : '-';
	p[3] = (prot & PTK_PROT_USER) ? 'u' : 'k';
	p[4] = 0;
}

static void print_va(struct p2v *x, ptk_va_t va, uint32_t prot,
		     unsigned int size_lg2, unsigned int level)
{
	struct out *o = x->o;
	char ps[32], pr[5];

	*fmt_lg2(ps, size_lg2) = 0;
	prot_str(pr, prot);
	if (x->json) {
		out_str(o, x->found > 1 ? ",\n{\"va\": \"" : "\n{\"va\": \"");
		out_hex0x(o, va);
		out_str(o, "\", \"prot\": \"");
		out_str(o, pr);
		out_str(o, "\", \"page_size\": ");
		out_u64(o, (uint64_t)1 << size_lg2);
		out_fmt(o, ", \"level\": %u, \"level_name\": ", level);
		out_json_str(o, ptk_fmt_level_name(x->f, level));
		out_chr(o, '}');
		return;
	}
	out_hex0x(o, va);
	out_chr(o, ' ');
	out_str(o, pr);
	out_chr(o, ' ');
	out_str(o, ps);
	out_chr(o, ' ');
	out_str(o, ptk_fmt_level_name(x->f, level));
	out_chr(o, '\n');
}

static int on_leaves(const struct scan *s, const struct ptk_walk_batch *b,
		     void *arg)
{
	struct p2v *x = arg;
	uint64_t size = (uint64_t)1 << b->size_lg2, i;

	for (i = 0; i < b->count; i++) {
		const struct ptk_walk_page *pg = &b->pages[i];

		if (x->pa - pg->oa >= size)
			continue;
		x->found++;
		if (x->max && x->found > x->max)
			continue;
		print_va(x, (pg->va | scan_va_or(s)) + (x->pa - pg->oa),
			 scan_leaf_prot(s, b->level, pg->pte), b->size_lg2,
			 b->level);
	}
	return x->o->err ? SCAN_STOP_USER : 0;
}

int ptk_cmd_pa2va(int argc, char **argv)
{
	static const struct scan_ops ops = { .leaves = on_leaves };
	static struct out out;
	struct img_opts o;
	struct scan_opts so;
	struct img_target tg;
	struct p2v x;
	struct scan s;
	const char *pas = NULL, *v;
	ptk_va_t vs, ve;
	int i, rc, ret = PTK_EXIT_OK;

	memset(&o, 0, sizeof(o));
	memset(&so, 0, sizeof(so));
	memset(&x, 0, sizeof(x));
	o.cpu = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (tool_is_help(a)) {
			usage(stdout);
			return PTK_EXIT_OK;
		}
		rc = img_parse_opt(&o, argc, argv, &i);
		if (!rc)
			rc = scan_parse_opt(&so, "pa2va", argc, argv, &i);
		if (!rc && (rc = tool_opt(argc, argv, &i, "--max", &v)) > 0 &&
		    tool_parse_count(v, &x.max)) {
			ptk_tool_err(
				"pa2va: bad --max '%s': a count of VAs, decimal",
				v);
			return PTK_EXIT_USAGE;
		}
		if (rc < 0)
			return PTK_EXIT_USAGE;
		if (rc > 0)
			continue;
		if (!strcmp(a, "--json")) {
			x.json = true;
		} else if (a[0] == '-') {
			ptk_tool_err(
				"pa2va: unexpected argument '%s' (see 'ptkit pa2va --help')",
				a);
			return PTK_EXIT_USAGE;
		} else if (!o.path) {
			o.path = a;
		} else if (!pas) {
			pas = a;
		} else {
			ptk_tool_err(
				"pa2va: too many arguments: '%s' (usage: IMAGE PA)",
				a);
			return PTK_EXIT_USAGE;
		}
	}
	if (!o.path || !pas) {
		ptk_tool_err(
			"pa2va: IMAGE and PA are needed (see 'ptkit pa2va --help')");
		return PTK_EXIT_USAGE;
	}
	if (tool_parse_addr(pas, &x.pa)) {
		ptk_tool_err(
			"pa2va: bad PA '%s': an address is hexadecimal (0x optional), at most 16 digits",
			pas);
		return PTK_EXIT_USAGE;
	}
	if (scan_opts_range(&so, "pa2va", &vs, &ve))
		return PTK_EXIT_USAGE;
	rc = img_target_open(&tg, &o);
	if (rc)
		return rc;
	x.f = tg.fmt;
	x.o = &out;
	out_init(&out, stdout);
	if (x.json) {
		out_str(&out, "{\"format\": ");
		out_json_str(&out, tg.fmt->name);
		out_str(&out, ", \"image\": ");
		out_json_str(&out, o.path);
		out_str(&out, ", \"pa\": \"");
		out_hex0x(&out, x.pa);
		out_str(&out, "\", \"vas\": [");
	}
	scan_init(&s, &tg, &ops, &x);
	s.report_limit = 100;
	if (so.have_budget)
		s.budget = so.budget;
	rc = scan_run(&s, vs, ve);
	if (x.json)
		out_fmt(&out,
			"%s], \"count\": %" PRIu64 ", \"complete\": %s}\n",
			x.found ? "\n" : "", x.found,
			rc || s.bad ? "false" : "true");
	out_flush(&out);
	scan_summary(&s, "pa2va");
	if (rc < 0 && rc != PTK_ERANGE) {
		ptk_tool_err("pa2va: walk failed: %s", ptk_strerror(rc));
		ret = PTK_EXIT_FAIL;
	} else if (rc > 0 || s.bad || out.err) {
		ret = PTK_EXIT_FAIL;
	}
	if (!out.err) {
		if (!x.found && !s.leaves)
			scan_why_empty(&s, "pa2va", vs || ve != ~(ptk_va_t)0);
		else if (!x.found)
			ptk_tool_err("pa2va: no VA maps PA 0x%" PRIx64
				     " (%" PRIu64 " pages looked at)",
				     x.pa, s.leaves);
		else if (x.max && x.found > x.max)
			ptk_tool_err("pa2va: %" PRIu64 " VAs map PA 0x%" PRIx64
				     "; the first %" PRIu64 " shown (--max)",
				     x.found, x.pa, x.max);
	}
	if (!x.found && !s.leaves)
		ret = PTK_EXIT_FAIL;
	img_target_close(&tg);
	return ret;
}
