// SPDX-License-Identifier: MIT
/*
 * `ptkit roots IMAGE [--format FMT]`: page-table roots found in an image
 * without symbols (the search itself is rootscan.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "imgcmd.h"
#include "out.h"
#include "rootscan.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit roots IMAGE [--format FMT] [options]\n"
		"\n"
		"Find page-table roots in an image without symbols. Every position aligned\n"
		"to a format's root-table size is read as a top-level table; one whose\n"
		"entries are all valid and that reaches a table inside the image is read to\n"
		"the bottom and scored: how well-formed its entries are at every level\n"
		"(malformed entries, tables outside the image, tables pointing to\n"
		"themselves), how many of its top entries other candidates hold at the same\n"
		"index (the kernel half the roots of one machine share), and its size. A\n"
		"table that another well-formed tree reaches is an inner table, not a root.\n"
		"Roots that the image's notes name (QEMU's per-CPU CR3) are listed first, and\n"
		"the one that maps VMCOREINFO's SYMBOL(swapper_pg_dir) (or init_top_pgt) to\n"
		"itself is the kernel's own (symbol=NAME).\n"
		"\n"
		"One root per line, best first:\n"
		"  ROOT FORMAT SCORE LEAVES [tables=N] [shared=N] [bad=N] [kernel|user]\n"
		"       [table=PA] [cpu=N] [symbol=NAME] [inner] [coarser-pages]\n"
		"       [implausible]\n"
		"ROOT is the root register value the image commands take (CR3, TTBR,\n"
		"satp with its mode, EPTP); table= gives the table's address when it\n"
		"differs. SCORE is 0..100;\n"
		"LEAVES counts the pages the tree maps (a page mapped twice counts twice);\n"
		"shared= counts top entries other roots share; kernel means no leaf grants\n"
		"user access (on Arm, the TTBR1 root); cpu= names the first CPU whose notes\n"
		"point to it; inner: another tree reaches it; coarser-pages: every page it\n"
		"maps is aligned to a coarser granule of the machine (read too finely).\n"
		"\n"
		"  --format FMT      read the image with this format only (default: the\n"
		"                    stage-1 formats of the image's machine, all of them\n"
		"                    for a raw image; EPT and Arm stage 2 only when named)\n"
		"  --all             list the implausible candidates too (inner tables,\n"
		"                    malformed trees)\n"
		"  --max N           list at most N roots (default 20; 0: all)\n"
		"  --no-notes        ignore the image's notes and VMCOREINFO: the scan alone\n"
		"  --ctrl VALUE      a control register value (CR4, TCR_EL1, VTCR_EL2): read\n"
		"                    only the formats it selects (EPT and Arm stage 2\n"
		"                    included); with --format, that format must take it\n"
		"  --base PA         physical address of a raw image's first byte (default 0)\n"
		"  --json            one JSON document\n"
		"  --help            this text\n"
		"\n"
		"Exit status: 0 at least one plausible root; 1 usage error; 2 no plausible\n"
		"root (said on stderr, with what was looked at) or an error.\n"
		"The image commands take the best root found here as `ptkit dump --root auto`.\n");
}

static void print_line(struct out *o, const struct root_cand *c)
{
	out_hex0x(o, c->reg);
	out_chr(o, ' ');
	out_str(o, c->fmt->name);
	out_fmt(o, " %.1f ", c->score);
	out_u64(o, c->leaves);
	out_fmt(o, " tables=%" PRIu64, c->tables);
	if (c->shared)
		out_fmt(o, " shared=%u", c->shared);
	if (c->bad)
		out_fmt(o, " bad=%" PRIu64, c->bad);
	if (c->leaves)
		out_str(o, (c->flags & ROOT_KERNEL) ? " kernel" : " user");
	if (c->reg != c->oa) {
		out_str(o, " table=");
		out_hex0x(o, c->oa);
	}
	if (c->cpu >= 0)
		out_fmt(o, " cpu=%d", c->cpu);
	if (c->symbol)
		out_fmt(o, " symbol=%s", c->symbol);
	if (c->flags & ROOT_INNER)
		out_str(o, " inner");
	if (c->flags & ROOT_FINE)
		out_str(o, " coarser-pages");
	if (!(c->flags & ROOT_PLAUSIBLE))
		out_str(o, " implausible");
	out_chr(o, '\n');
}

static void print_json(struct out *o, const struct roots_result *r,
		       const char *path, size_t shown, double secs)
{
	size_t i;

	out_str(o, "{\"image\": ");
	out_json_str(o, path);
	out_str(o, ", \"formats\": [");
	for (i = 0; i < r->nr_fmts; i++) {
		if (i)
			out_str(o, ", ");
		out_json_str(o, r->fmts[i]->name);
	}
	out_fmt(o,
		"], \"positions\": %" PRIu64 ", \"candidates\": %" PRIu64
		", \"plausible\": %zu, \"seconds\": %.3f, \"roots\": [",
		r->looked, r->kept, r->nr_plausible, secs);
	for (i = 0; i < shown; i++) {
		const struct root_cand *c = &r->v[i];

		out_str(o, i ? ",\n{\"root\": \"" : "\n{\"root\": \"");
		out_hex0x(o, c->reg);
		out_str(o, "\", \"table\": \"");
		out_hex0x(o, c->oa);
		out_str(o, "\", \"format\": ");
		out_json_str(o, c->fmt->name);
		out_fmt(o,
			", \"score\": %.2f, \"quality\": %.4f, \"leaves\": %" PRIu64
			", \"tables\": %" PRIu64 ", \"bad\": %" PRIu64
			", \"user_leaves\": %" PRIu64 ", \"shared\": %u",
			c->score, c->quality, c->leaves, c->tables, c->bad,
			c->user, c->shared);
		out_fmt(o,
			", \"kernel_only\": %s, \"inner\": %s, \"coarser_pages\": %s, \"plausible\": %s, \"from_notes\": %s",
			(c->flags & ROOT_KERNEL) ? "true" : "false",
			(c->flags & ROOT_INNER) ? "true" : "false",
			(c->flags & ROOT_FINE) ? "true" : "false",
			(c->flags & ROOT_PLAUSIBLE) ? "true" : "false",
			(c->flags & ROOT_NOTES) ? "true" : "false");
		if (c->symbol) {
			out_str(o, ", \"symbol\": ");
			out_json_str(o, c->symbol);
		}
		if (c->cpu >= 0)
			out_fmt(o, ", \"cpu\": %d", c->cpu);
		else
			out_str(o, ", \"cpu\": null");
		out_chr(o, '}');
	}
	out_str(o, shown ? "\n]}\n" : "]}\n");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * --ctrl: the named format must take the value; without --format, some
 * format must. Says why not on stderr.
 */
static int ctrl_check(const struct ptk_image *img, const struct roots_opts *ro,
		      const char *path)
{
	unsigned int m = ptk_image_machine(img), r;
	const struct ptk_fmt_arch *a;
	struct ptk_fmt_diag why;
	char line[256];
	size_t i;

	if (!ro->fmt) {
		for (i = 0; i < ptk_fmt_count(); i++)
			if (roots_ctrl_fits(ptk_fmt_get(i), m, ro->ctrl))
				return 0;
		ptk_tool_err(
			"%s: --ctrl 0x%" PRIx64
			" selects none of the formats of this image's machine (no control register of theirs takes it; see 'ptkit formats')",
			path, ro->ctrl);
		return -1;
	}
	a = ptk_fmt_arch(ro->fmt);
	if (!a->ctrl_reg) {
		ptk_tool_err(
			"--ctrl: format %s has no control register (its root register says all it reads)",
			ro->fmt->name);
		return -1;
	}
	for (r = 0; r < ptk_fmt_nr_roots(ro->fmt); r++) {
		if (!ptk_fmt_check_ctrl(&why, ro->fmt, r, ro->ctrl))
			continue;
		ptk_fmt_diag_str(line, sizeof(line), &why);
		ptk_tool_err("%s: --ctrl %s=0x%" PRIx64
			     " does not fit format %s: %s",
			     path, a->ctrl_reg, ro->ctrl, ro->fmt->name, line);
		return -1;
	}
	return 0;
}

int ptk_cmd_roots(int argc, char **argv)
{
	static struct out out;
	struct img_opts io;
	struct roots_opts ro;
	struct roots_result r;
	struct ptk_image *img;
	uint64_t max = 20;
	bool json = false, all = false;
	size_t i, shown;
	double t0, secs;
	int rc;

	memset(&io, 0, sizeof(io));
	memset(&ro, 0, sizeof(ro));
	io.cpu = -1;
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v;
		int ii = (int)i;

		if (tool_is_help(a)) {
			usage(stdout);
			return PTK_EXIT_OK;
		}
		if ((rc = tool_opt(argc, argv, &ii, "--format", &v)) > 0) {
			io.format = v;
		} else if (rc < 0) {
			return PTK_EXIT_USAGE;
		} else if ((rc = tool_opt(argc, argv, &ii, "--max", &v)) > 0) {
			if (tool_parse_count(v, &max)) {
				ptk_tool_err(
					"roots: bad --max '%s': a count of roots, decimal, 0 for all",
					v);
				return PTK_EXIT_USAGE;
			}
		} else if (rc < 0) {
			return PTK_EXIT_USAGE;
		} else if ((rc = tool_opt(argc, argv, &ii, "--ctrl", &v)) > 0) {
			if (tool_parse_addr(v, &ro.ctrl)) {
				ptk_tool_err(
					"roots: bad --ctrl '%s': a control register value is hexadecimal (0x optional), at most 16 digits",
					v);
				return PTK_EXIT_USAGE;
			}
			ro.have_ctrl = true;
		} else if (rc < 0) {
			return PTK_EXIT_USAGE;
		} else if ((rc = tool_opt(argc, argv, &ii, "--base", &v)) > 0) {
			if (tool_parse_addr(v, &io.base)) {
				ptk_tool_err(
					"roots: bad --base '%s': a physical address is hexadecimal (0x optional), at most 16 digits",
					v);
				return PTK_EXIT_USAGE;
			}
			io.have_base = true;
		} else if (rc < 0) {
			return PTK_EXIT_USAGE;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--all")) {
			all = true;
		} else if (!strcmp(a, "--no-notes")) {
			ro.no_notes = true;
		} else if (a[0] == '-') {
			ptk_tool_err(
				"roots: unexpected argument '%s' (see 'ptkit roots --help')",
				a);
			return PTK_EXIT_USAGE;
		} else if (!io.path) {
			io.path = a;
		} else {
			ptk_tool_err(
				"roots: one IMAGE only, '%s' is a second (see 'ptkit roots --help')",
				a);
			return PTK_EXIT_USAGE;
		}
		i = (size_t)ii;
	}
	if (!io.path) {
		ptk_tool_err(
			"roots: no IMAGE given (see 'ptkit roots --help')");
		return PTK_EXIT_USAGE;
	}
	if (io.format) {
		ro.fmt = ptk_fmt_lookup(io.format);
		if (!ro.fmt) {
			ptk_tool_err(
				"unknown format '%s' (see 'ptkit formats')",
				io.format);
			return PTK_EXIT_USAGE;
		}
	}
	if (img_open(&img, &io))
		return PTK_EXIT_FAIL;
	if (ro.have_ctrl && ctrl_check(img, &ro, io.path)) {
		ptk_image_close(img);
		return PTK_EXIT_FAIL;
	}
	t0 = now();
	rc = roots_find(&r, img, &ro);
	secs = now() - t0;
	if (rc) {
		ptk_tool_err("roots: %s: the search failed: %s", io.path,
			     ptk_strerror(rc));
		ptk_image_close(img);
		return PTK_EXIT_FAIL;
	}
	shown = all ? r.nr : r.nr_plausible;
	if (max && shown > max)
		shown = (size_t)max;
	out_init(&out, stdout);
	if (json)
		print_json(&out, &r, io.path, shown, secs);
	else
		for (i = 0; i < shown; i++)
			print_line(&out, &r.v[i]);
	out_flush(&out);
	if (!r.nr_plausible) {
		if (r.nr)
			ptk_tool_err(
				"roots: %s: no plausible page-table root: %" PRIu64
				" of %" PRIu64
				" positions read as a top-level table were candidates, the best (0x%" PRIx64
				", %s) scored %.1f with %" PRIu64
				" malformed entries%s (--all lists them)",
				io.path, r.kept, r.looked, r.v[0].reg,
				r.v[0].fmt->name, r.v[0].score, r.v[0].bad,
				(r.v[0].flags & ROOT_INNER)
					? ", and another tree reaches it"
					: "");
		else
			ptk_tool_err(
				"roots: %s: no plausible page-table root: none of the %" PRIu64
				" positions read as a top-level table (%s%s) has only valid entries and reaches a table in the image",
				io.path, r.looked,
				r.nr_fmts == 1 ? "format " : "",
				r.nr_fmts == 1 ? r.fmts[0]->name
					       : "every format of the machine");
	} else if (!json) {
		ptk_tool_err("roots: %zu plausible root%s among %" PRIu64
			     " candidate tables (%" PRIu64
			     " positions read) in %.2f s",
			     r.nr_plausible, r.nr_plausible == 1 ? "" : "s",
			     r.kept, r.looked, secs);
	}
	rc = r.nr_plausible && !out.err ? PTK_EXIT_OK : PTK_EXIT_FAIL;
	img_report_page_errors(img, io.path);
	roots_free(&r);
	ptk_image_close(img);
	return rc;
}
