// SPDX-License-Identifier: MIT
/*
 * `ptkit read IMAGE --format FMT --root VALUE VA LEN`: the bytes at a
 * virtual address, through a page table in the image (the library's
 * ptk_image_read_va(), page by page, any page size).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imgcmd.h"
#include "out.h"

/* Bytes read at once: the output streams, whatever LEN is. */
#define CHUNK (1u << 16)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit read IMAGE --format FMT (--root VALUE | --cpu N) [options] VA LEN\n"
		"\n"
		"Print the LEN bytes at virtual address VA as a hexdump (16 bytes a line:\n"
		"the VA, the bytes, and the printable ones), translating page by page\n"
		"across pages of any size. A VA that nothing maps, or that maps to memory\n"
		"the image does not hold, stops the read: the bytes before it are printed\n"
		"and the VA is named on stderr (with its PA when it is mapped).\n"
		"\n" IMG_OPTS_HELP
		"  --raw             write the bytes themselves to stdout, not a hexdump\n"
		"  --help            this text\n"
		"\n"
		"VA is hexadecimal (0x optional); LEN is decimal, or hexadecimal after 0x.\n"
		"\n"
		"Exit status: 0 all LEN bytes were read; 1 usage error; 2 a VA was not\n"
		"mapped, mapped to memory the image does not hold, or a compressed page\n"
		"did not decompress (the VA is named), or another error.\n");
}

/* One hexdump line: VA, 16 bytes (fewer at the end), the printable ones. */
static void hex_line(struct out *o, ptk_va_t va, const unsigned char *p,
		     size_t n)
{
	size_t i;

	out_hex(o, va, 16);
	out_str(o, "  ");
	for (i = 0; i < 16; i++) {
		if (i < n)
			out_hex(o, p[i], 2);
		else
			out_str(o, "  ");
		out_chr(o, ' ');
		if (i == 7)
			out_chr(o, ' ');
	}
	out_str(o, " |");
	for (i = 0; i < n; i++)
		out_chr(o, p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.');
	out_str(o, "|\n");
}

/* Say where the read stopped, and why. */
static void report_stop(const struct img_target *tg, ptk_va_t va_or,
			const struct ptk_image_va_stop *st, uint64_t total,
			const char *path)
{
	const struct ptk_fmt *f = tg->fmt;
	ptk_va_t va = st->va | va_or;
	char size[32];

	*fmt_lg2(size, st->size_lg2) = 0;
	switch (st->code) {
	case PTK_ENOENT:
		ptk_tool_err("read: VA 0x%" PRIx64
			     " is not mapped (%zu of %" PRIu64
			     " bytes read before it)",
			     va, st->done, total);
		break;
	case PTK_ECORRUPT:
		ptk_tool_err(
			"read: VA 0x%" PRIx64
			": a malformed entry on its way (%zu of %" PRIu64
			" bytes read before it; 'ptkit translate -v' shows it)",
			va, st->done, total);
		break;
	case PTK_ERANGE:
		ptk_tool_err("read: VA 0x%" PRIx64
			     " is mapped (%s page, %s) to PA 0x%" PRIx64
			     ", which %s does not hold (%zu of %" PRIu64
			     " bytes read before it)",
			     va, size, ptk_fmt_level_name(f, st->level), st->pa,
			     path, st->done, total);
		break;
	case PTK_EDECOMPRESS:
		ptk_tool_err(
			"read: VA 0x%" PRIx64
			" is mapped (%s page, %s) to PA 0x%" PRIx64
			", whose compressed page in %s does not decompress (%zu of %" PRIu64
			" bytes read before it)",
			va, size, ptk_fmt_level_name(f, st->level), st->pa,
			path, st->done, total);
		break;
	default:
		ptk_tool_err("read: VA 0x%" PRIx64 ": %s", va,
			     ptk_strerror(st->code));
		break;
	}
}

int ptk_cmd_read(int argc, char **argv)
{
	static struct out out;
	struct img_opts o;
	struct img_target tg;
	struct ptk_image_va_stop st;
	const char *vas = NULL, *lens = NULL;
	uint64_t va = 0, len = 0, left;
	unsigned char *buf;
	bool raw = false;
	ptk_va_t inner, va_or;
	int i, rc, ti, ret = PTK_EXIT_OK;

	memset(&o, 0, sizeof(o));
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
		if (!strcmp(a, "--raw")) {
			raw = true;
		} else if (a[0] == '-') {
			ptk_tool_err(
				"read: unexpected argument '%s' (see 'ptkit read --help')",
				a);
			return PTK_EXIT_USAGE;
		} else if (!o.path) {
			o.path = a;
		} else if (!vas) {
			vas = a;
		} else if (!lens) {
			lens = a;
		} else {
			ptk_tool_err(
				"read: too many arguments: '%s' (usage: IMAGE VA LEN)",
				a);
			return PTK_EXIT_USAGE;
		}
	}
	if (!o.path || !vas || !lens) {
		ptk_tool_err(
			"read: IMAGE, VA and LEN are needed (see 'ptkit read --help')");
		return PTK_EXIT_USAGE;
	}
	if (tool_parse_addr(vas, &va)) {
		ptk_tool_err(
			"read: bad VA '%s': an address is hexadecimal (0x optional), at most 16 digits",
			vas);
		return PTK_EXIT_USAGE;
	}
	if (tool_parse_count(lens, &len) || !len) {
		ptk_tool_err(
			"read: bad LEN '%s': a byte count above 0, decimal or 0x hexadecimal",
			lens);
		return PTK_EXIT_USAGE;
	}
	if (len - 1 > ~va) {
		ptk_tool_err("read: VA 0x%" PRIx64 " + LEN %" PRIu64
			     " runs past the top of the address space",
			     va, len);
		return PTK_EXIT_USAGE;
	}
	rc = img_target_open(&tg, &o);
	if (rc)
		return rc;
	buf = malloc(CHUNK);
	if (!buf) {
		ptk_tool_err("read: out of memory");
		img_target_close(&tg);
		return PTK_EXIT_FAIL;
	}
	out_init(&out, stdout);
	ti = img_select(&tg, va, &inner);
	va_or = va - inner;
	memset(&st, 0, sizeof(st));
	if (ti < 0) {
		st.va = va;
		st.code = PTK_ENOENT;
		report_stop(&tg, 0, &st, len, o.path);
		ret = PTK_EXIT_FAIL;
	}
	for (left = len; ti >= 0 && left && !out.err;) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK, j;
		ptk_va_t at = inner;

		rc = ptk_image_read_va(buf, tg.img, &tg.t[ti], inner, n, &st);
		for (j = 0; j < st.done || (!rc && j < n); j += 16) {
			size_t k = (rc ? st.done : n) - j;

			if (k > 16)
				k = 16;
			if (raw) {
				memcpy(out_room(&out, k), buf + j, k);
				out.len += k;
			} else {
				hex_line(&out, (at + j) | va_or, buf + j, k);
			}
		}
		if (rc) {
			st.done += (size_t)(len - left);
			report_stop(&tg, va_or, &st, len, o.path);
			ret = PTK_EXIT_FAIL;
			break;
		}
		left -= n;
		inner += n;
	}
	out_flush(&out);
	if (out.err)
		ret = PTK_EXIT_FAIL;
	free(buf);
	img_target_close(&tg);
	return ret;
}
