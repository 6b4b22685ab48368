// SPDX-License-Identifier: MIT
/*
 * `ptkit translate IMAGE --format FMT --root VALUE [VA ...]`: translate
 * addresses through a page table in a memory image.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "imgcmd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ptkit translate IMAGE --format FMT (--root VALUE | "
		   "--cpu N)\n"
		   "                       [--root1 VALUE] [--base PA] [-v] "
		   "[VA ...]\n"
		   "\n"
		   "Translate each VA (arguments, or one per line on stdin) "
		   "through the\n"
		   "table: prints 'VA PA', or 'VA -' when nothing maps it. "
		   "VALUE is the raw\n"
		   "root register (CR3, TTBR, satp). Arm: VAs with bit 55 set "
		   "use --root1.\n"
		   "\n"
		   "  -v        also the leaf's level, page size, attributes "
		   "and "
		   "raw entry\n"
		   "  --help    this text\n"
		   "\n"
		   "Exit status 2 when a malformed entry was met on the way "
		   "(reported on\n"
		   "stderr; the VA prints as unmapped).\n");
}

struct xl {
	const struct img_target *tg;
	bool verbose;
	unsigned long bad;
};

static void one(struct xl *x, const char *arg)
{
	const struct img_target *tg = x->tg;
	const struct ptk_fmt *f = tg->fmt;
	struct ptk_xlate r;
	ptk_va_t va, inner;
	int ti, rc;

	if (img_parse_u64(arg, &va)) {
		ptk_tool_err("translate: bad address '%s'", arg);
		x->bad++;
		return;
	}
	ti = img_select(tg, va, &inner);
	rc = ti < 0 ? PTK_ERANGE : ptk_translate(&tg->t[ti], inner, &r);
	if (rc) {
		if (rc == PTK_ECORRUPT) {
			ptk_tool_err("translate: 0x%" PRIx64 ": malformed "
				     "entry or table "
				     "outside the "
				     "image on the way",
				     va);
			x->bad++;
		}
		printf("0x%" PRIx64 " -\n", va);
		return;
	}
	if (!x->verbose) {
		printf("0x%" PRIx64 " 0x%" PRIx64 "\n", va, r.oa);
		return;
	}
	{
		struct ptk_attrs a;
		char ps[16];

		ptk_leaf_attrs(&a, &tg->t[ti], r.level, r.pte);
		img_size_str(ps, sizeof(ps), r.size_lg2);
		printf("0x%" PRIx64 " 0x%" PRIx64 " level=%s page=%s "
		       "prot=%c%c%c%c%s%s%s "
		       "memtype=%u "
		       "pte=0x%" PRIx64 "\n",
		       va, r.oa, ptk_fmt_level_name(f, r.level), ps,
		       (a.prot & PTK_PROT_READ) ? 'r' : '-',
		       (a.prot & PTK_PROT_WRITE) ? 'w' : '-',
		       (a.prot & PTK_PROT_EXEC) ? 'x' : '-',
		       (a.prot & PTK_PROT_USER) ? 'u' : 'k',
		       (a.flags & PTK_ATTR_GLOBAL) ? " global" : "",
		       (a.flags & PTK_ATTR_ACCESSED) ? " accessed" : "",
		       (a.flags & PTK_ATTR_DIRTY) ? " dirty" : "", a.memtype,
		       r.pte);
	}
}

int ptk_cmd_translate(int argc, char **argv)
{
	struct img_opts o;
	struct img_target tg;
	struct xl x;
	int i, rc, first_va = 0, nva = 0;
	char **vas;

	memset(&o, 0, sizeof(o));
	memset(&x, 0, sizeof(x));
	o.cpu = -1;
	vas = argv;
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
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			x.verbose = true;
		} else if (a[0] == '-') {
			ptk_tool_err("translate: unexpected '%s'", a);
			usage(stderr);
			return PTK_EXIT_USAGE;
		} else if (!o.path) {
			o.path = a;
		} else {
			/* Collect VAs in place, after the options. */
			if (!nva)
				first_va = i;
			vas[first_va + nva++] = argv[i];
		}
	}
	if (!o.path) {
		usage(stderr);
		return PTK_EXIT_USAGE;
	}
	rc = img_target_open(&tg, &o);
	if (rc)
		return rc;
	x.tg = &tg;
	if (nva) {
		for (i = 0; i < nva; i++)
			one(&x, vas[first_va + i]);
	} else {
		char line[256];

		while (fgets(line, sizeof(line), stdin)) {
			char *s = line, *e;

			while (*s == ' ' || *s == '\t')
				s++;
			e = s + strcspn(s, " \t\r\n");
			*e = 0;
			if (*s && *s != '#')
				one(&x, s);
		}
	}
	img_target_close(&tg);
	if (fflush(stdout)) {
		ptk_tool_err("translate: write error");
		return PTK_EXIT_FAIL;
	}
	return x.bad ? PTK_EXIT_FAIL : PTK_EXIT_OK;
}
