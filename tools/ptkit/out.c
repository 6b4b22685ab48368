// SPDX-License-Identifier: MIT
/*
 * Buffered output with hand-made number formatting (see out.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cmd.h"
#include "out.h"

static const char hexd[] = "0123456789abcdef";

/* "000102...ff": two digits per byte, half the steps of a digit loop. */
static char hex2[512];

static void hex2_init(void)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		hex2[2 * i] = hexd[i >> 4];
		hex2[2 * i + 1] = hexd[i & 15];
	}
}

void out_init(struct out *o, FILE *f)
{
	if (!hex2[0])
		hex2_init();
	o->f = f;
	o->len = 0;
	o->err = false;
	o->err_no = 0;
}

int out_flush(struct out *o)
{
	if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->f) != o->len) {
		o->err = true;
		o->err_no = errno;
		if (o->f == stdout && !tool_stdout_errno)
			tool_stdout_errno = errno;
	}
	o->len = 0;
	return o->err ? -1 : 0;
}

void out_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		size_t k = n < OUT_MAX_ITEM ? n : OUT_MAX_ITEM;
		char *p = out_room(o, k);

		memcpy(p, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void out_chr(struct out *o, char c)
{
	*out_room(o, 1) = c;
	o->len++;
}

void out_fmt(struct out *o, const char *fmt, ...)
{
	char tmp[OUT_MAX_ITEM];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_str(o, tmp);
}

char *fmt_hex(char *p, uint64_t v, unsigned int digits)
{
	unsigned int i = digits;

	if (!hex2[0])
		hex2_init();
	for (; i >= 2; i -= 2) {
		memcpy(p + i - 2, hex2 + 2 * (v & 0xff), 2);
		v >>= 8;
	}
	if (i)
		p[0] = hexd[v & 15];
	return p + digits;
}

char *fmt_u64(char *p, uint64_t v)
{
	char tmp[20];
	unsigned int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

char *fmt_bytes(char *p, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0;

	if (!bytes) {
		memcpy(p, "16E", 3);
		return p + 3;
	}
	while (!(bytes & 1023) && u < 6) {
		bytes >>= 10;
		u++;
	}
	p = fmt_u64(p, bytes);
	if (u)
		*p++ = units[u - 1];
	return p;
}

char *fmt_lg2(char *p, unsigned int lg2)
{
	return fmt_bytes(p, (uint64_t)1 << lg2);
}

void out_hex(struct out *o, uint64_t v, unsigned int digits)
{
	char *p = out_room(o, digits);

	o->len += (size_t)(fmt_hex(p, v, digits) - p);
}

void out_hex0x(struct out *o, uint64_t v)
{
	char *p = out_room(o, 18);
	unsigned int digits = 1;

	while (digits < 16 && (v >> (4 * digits)))
		digits++;
	p[0] = '0';
	p[1] = 'x';
	o->len += 2 + (size_t)(fmt_hex(p + 2, v, digits) - (p + 2));
}

void out_u64(struct out *o, uint64_t v)
{
	char *p = out_room(o, 20);

	o->len += (size_t)(fmt_u64(p, v) - p);
}

void out_json_str(struct out *o, const char *s)
{
	out_chr(o, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out_chr(o, '\\');
			out_chr(o, (char)c);
		} else if (c < 0x20) {
			out_str(o, "\\u00");
			out_hex(o, c, 2);
		} else {
			out_chr(o, (char)c);
		}
	}
	out_chr(o, '"');
}
