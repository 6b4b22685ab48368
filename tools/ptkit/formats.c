// SPDX-License-Identifier: MIT
/*
 * `ptkit formats [--json]`: the built-in formats and their geometry.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <ptkit.h>

#include "cmd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ptkit formats [--json]\n"
		   "\n"
		   "List the built-in table formats: levels, VA and OA bits, "
		   "entry size,\n"
		   "page sizes and the architecture's level names (top level "
		   "first).\n"
		   "\n"
		   "  --json    a JSON array with one object per format\n"
		   "  --help    this text\n");
}

/* 2^@lg2 bytes as "4K", "2M", "1G", "512G", ... */
static void size_str(char *buf, size_t size, unsigned int lg2)
{
	static const char units[] = " KMGTPE";
	unsigned int u = lg2 / 10;

	if (u == 0)
		snprintf(buf, size, "%" PRIu64, (uint64_t)1 << lg2);
	else
		snprintf(buf, size, "%" PRIu64 "%c",
			 (uint64_t)1 << (lg2 - u * 10), units[u]);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_json(const struct ptk_fmt *f, bool last)
{
	uint64_t sizes = ptk_fmt_page_sizes(f);
	unsigned int n;
	bool first = true;
	int l;

	printf("{\"name\":");
	json_str(f->name ? f->name : "");
	printf(",\"desc\":");
	json_str(f->desc ? f->desc : "");
	printf(",\"levels\":%u,\"va_bits\":%u,\"oa_bits\":%u,"
	       "\"entry_bytes\":%u,\"sign_extend\":%s,\"page_sizes\":[",
	       f->levels, f->va_bits, f->oa_bits, 1u << f->entry_lg2,
	       (f->features & PTK_FMT_SIGN_EXTEND) ? "true" : "false");
	for (n = 0; n < 64; n++) {
		if (!(sizes >> n & 1))
			continue;
		printf("%s%" PRIu64, first ? "" : ",", (uint64_t)1 << n);
		first = false;
	}
	printf("],\"level_names\":[");
	for (l = f->levels - 1; l >= 0; l--) {
		json_str(ptk_fmt_level_name(f, (unsigned int)l));
		if (l)
			putchar(',');
	}
	printf("]}%s\n", last ? "" : ",");
}

/* "4K,2M,1G": the format's page sizes, smallest first. */
static void sizes_list(char *list, size_t size, const struct ptk_fmt *f)
{
	uint64_t sizes = ptk_fmt_page_sizes(f);
	char one[16];
	unsigned int n;

	list[0] = '\0';
	for (n = 0; n < 64; n++) {
		if (!(sizes >> n & 1))
			continue;
		size_str(one, sizeof(one), n);
		if (list[0])
			strncat(list, ",", size - strlen(list) - 1);
		strncat(list, one, size - strlen(list) - 1);
	}
}

static void print_human(const struct ptk_fmt *f, int name_w, int sizes_w)
{
	char list[128];
	int l;

	sizes_list(list, sizeof(list), f);
	printf("%-*s %6u %7u %7u %5uB  %-*s ", name_w, f->name ? f->name : "?",
	       f->levels, f->va_bits, f->oa_bits, 1u << f->entry_lg2, sizes_w,
	       list);
	for (l = f->levels - 1; l >= 0; l--)
		printf("%s%s", ptk_fmt_level_name(f, (unsigned int)l),
		       l ? " " : "\n");
}

int ptk_cmd_formats(int argc, char **argv)
{
	bool json = false;
	size_t i, n = ptk_fmt_count();
	int a, name_w = 4, sizes_w = 10;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else if (!strcmp(argv[a], "--help") ||
			   !strcmp(argv[a], "-h")) {
			usage(stdout);
			return PTK_EXIT_OK;
		} else {
			ptk_tool_err(
				"formats: unexpected argument '%s' (see 'ptkit formats --help')",
				argv[a]);
			return PTK_EXIT_USAGE;
		}
	}
	for (i = 0; i < n; i++) {
		const struct ptk_fmt *f = ptk_fmt_get(i);
		char list[128];

		if (!f) {
			ptk_tool_err("formats: no format at index %zu", i);
			return PTK_EXIT_FAIL;
		}
		sizes_list(list, sizeof(list), f);
		if (f->name && (int)strlen(f->name) > name_w)
			name_w = (int)strlen(f->name);
		if ((int)strlen(list) > sizes_w)
			sizes_w = (int)strlen(list);
	}
	if (json)
		printf("[\n");
	else
		printf("%-*s %6s %7s %7s %6s  %-*s %s\n", name_w, "name",
		       "levels", "va_bits", "oa_bits", "entry", sizes_w,
		       "page sizes", "level names (top first)");
	for (i = 0; i < n; i++) {
		const struct ptk_fmt *f = ptk_fmt_get(i);

		if (!f) {
			ptk_tool_err("formats: no format at index %zu", i);
			return PTK_EXIT_FAIL;
		}
		if (json)
			print_json(f, i + 1 == n);
		else
			print_human(f, name_w, sizes_w);
	}
	if (json)
		printf("]\n");
	return PTK_EXIT_OK; /* main() checks that stdout was written */
}
