// SPDX-License-Identifier: MIT
/*
 * The ptkit command: messages, the progress line, numbers and options.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

static bool progress_shown;
int tool_stdout_errno;

void ptk_tool_err(const char *fmt, ...)
{
	va_list ap;

	if (progress_shown)
		tool_progress(NULL, 0);
	fputs("ptkit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool tool_progress_allowed(void)
{
	struct stat so, se;

	if (!isatty(2))
		return false;
	if (!isatty(1))
		return true;
	/* Both on terminals: only when they are different ones. */
	if (fstat(1, &so) || fstat(2, &se))
		return false;
	return so.st_rdev != se.st_rdev;
}

void tool_progress(const char *what, unsigned int pct)
{
	if (!what) {
		if (progress_shown)
			fputs("\r\033[K", stderr);
		progress_shown = false;
		return;
	}
	fprintf(stderr, "\r\033[Kptkit: %s %3u%%", what, pct > 100 ? 100 : pct);
	progress_shown = true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int d;

	if (!*s)
		return -1;
	for (; *s; s++) {
		d = hex_digit(*s);
		if (d < 0 || v >> 60)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

int tool_parse_addr(const char *s, uint64_t *out)
{
	if (!s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return parse_hex(s, out);
}

int tool_parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_hex(s + 2, out);
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int tool_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc) {
		ptk_tool_err("option %s needs a value", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

bool tool_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

void *tool_grow(void *v, size_t *cap, size_t nr, size_t size, size_t first)
{
	size_t ncap;

	if (nr < *cap)
		return v;
	ncap = *cap ? *cap * 2 : first;
	v = realloc(v, ncap * size);
	if (v)
		*cap = ncap;
	return v;
}
