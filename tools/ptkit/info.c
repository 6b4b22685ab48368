// SPDX-License-Identifier: MIT
/*
 * `ptkit info IMAGE [--base PA] [--json]`: what an image holds.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "imgcmd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ptkit info IMAGE [--base PA] [--json]\n"
		   "\n"
		   "Show an image's kind (raw, ELF core, LiME, recognised by "
		   "content), its\n"
		   "physical segments and the CPU registers its notes carry "
		   "(CR3 and friends\n"
		   "from QEMU's per-CPU note, PC/SP from NT_PRSTATUS), i.e. "
		   "which roots exist.\n"
		   "\n"
		   "  --base PA  physical address of a raw image's first byte "
		   "(default 0;\n"
		   "             hexadecimal, 0x optional)\n"
		   "  --json     one JSON object\n"
		   "  --help     this text\n");
}

/* The formats' name for an ELF machine (ptk_fmt_machine_name()). */
static const char *machine_name(unsigned int m)
{
	const char *name = ptk_fmt_machine_name(m);

	return name ? name : m ? "other" : "none";
}

static void print_text(const struct ptk_image *img)
{
	struct ptk_image_ptkit pn;
	size_t i, n = ptk_image_nr_segs(img);
	uint64_t total = 0;
	char b[32];

	for (i = 0; i < n; i++) {
		struct ptk_image_seg s;

		ptk_image_seg(&s, img, i);
		total += s.size;
	}
	img_bytes_str(b, sizeof(b), total);
	printf("kind      %s\n", ptk_image_kind_name(ptk_image_kind(img)));
	if (ptk_image_kind(img) == PTK_IMAGE_ELF)
		printf("machine   %s (%u)\n",
		       machine_name(ptk_image_machine(img)),
		       ptk_image_machine(img));
	printf("memory    %s bytes in %zu segment%s\n", b, n,
	       n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		struct ptk_image_seg s;

		ptk_image_seg(&s, img, i);
		img_bytes_str(b, sizeof(b), s.size);
		printf("  %016" PRIx64 "-%016" PRIx64 " %8s  file offset "
		       "0x%" PRIx64 "\n",
		       s.pa, s.pa + (s.size - 1), b, s.file_off);
	}
	if (!ptk_image_ptkit(&pn, img))
		printf("table     format %s root 0x%" PRIx64
		       " (table at 0x%" PRIx64 ", cpu %u) pid %" PRIu64
		       " (ptkit note)\n",
		       pn.format, pn.root_reg, pn.root_oa, pn.cpu, pn.pid);
	n = ptk_image_nr_cpus(img);
	printf("cpus      %zu\n", n);
	for (i = 0; i < n; i++) {
		const struct ptk_image_cpu *c = ptk_image_cpu(img, i);
		unsigned int r;

		printf("  cpu %u", c->index);
		if (c->pid)
			printf(" pid %" PRIu64, c->pid);
		for (r = 0; r < c->nr_regs; r++)
			printf(" %s=0x%" PRIx64, c->regs[r].name,
			       c->regs[r].value);
		putchar('\n');
	}
}

static void print_json(const struct ptk_image *img)
{
	struct ptk_image_ptkit pn;
	size_t i, n = ptk_image_nr_segs(img);

	printf("{\"kind\": \"%s\", \"machine\": %u, \"segments\": [",
	       ptk_image_kind_name(ptk_image_kind(img)),
	       ptk_image_machine(img));
	for (i = 0; i < n; i++) {
		struct ptk_image_seg s;

		ptk_image_seg(&s, img, i);
		printf("%s{\"pa\": \"0x%" PRIx64 "\", \"size\": %" PRIu64
		       ", \"file_offset\": %" PRIu64 "}",
		       i ? ", " : "", s.pa, s.size, s.file_off);
	}
	printf("], ");
	if (!ptk_image_ptkit(&pn, img))
		printf("\"table\": {\"format\": \"%s\", \"root\": \"0x%" PRIx64
		       "\", \"table_pa\": \"0x%" PRIx64 "\", \"cpu\": %u, "
		       "\"pid\": %" PRIu64 "}, ",
		       pn.format, pn.root_reg, pn.root_oa, pn.cpu, pn.pid);
	printf("\"cpus\": [");
	n = ptk_image_nr_cpus(img);
	for (i = 0; i < n; i++) {
		const struct ptk_image_cpu *c = ptk_image_cpu(img, i);
		unsigned int r;

		printf("%s{\"cpu\": %u, \"pid\": %" PRIu64 ", \"regs\": {",
		       i ? ", " : "", c->index, c->pid);
		for (r = 0; r < c->nr_regs; r++)
			printf("%s\"%s\": \"0x%" PRIx64 "\"", r ? ", " : "",
			       c->regs[r].name, c->regs[r].value);
		printf("}}");
	}
	printf("]}\n");
}

int ptk_cmd_info(int argc, char **argv)
{
	struct img_opts o;
	struct ptk_image *img;
	bool json = false;
	int i, rc;

	memset(&o, 0, sizeof(o));
	o.cpu = -1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return PTK_EXIT_OK;
		}
		if (!strcmp(argv[i], "--json")) {
			json = true;
			continue;
		}
		rc = img_parse_opt(&o, argc, argv, &i);
		if (rc < 0)
			return PTK_EXIT_USAGE;
		if (rc > 0 &&
		    (o.format || o.root || o.root1 || o.cpu >= 0 || o.ctrl)) {
			ptk_tool_err(
				"info: only --base and --json apply to info ('%s' does not)",
				argv[i]);
			return PTK_EXIT_USAGE;
		}
		if (rc > 0)
			continue;
		if (argv[i][0] == '-' || o.path) {
			ptk_tool_err(
				"info: unexpected argument '%s' (see 'ptkit info --help')",
				argv[i]);
			return PTK_EXIT_USAGE;
		}
		o.path = argv[i];
	}
	if (!o.path) {
		ptk_tool_err("info: no IMAGE given (see 'ptkit info --help')");
		return PTK_EXIT_USAGE;
	}
	if (img_open(&img, &o))
		return PTK_EXIT_FAIL;
	if (json)
		print_json(img);
	else
		print_text(img);
	ptk_image_close(img);
	return PTK_EXIT_OK;
}
