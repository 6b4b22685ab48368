/* SPDX-License-Identifier: MIT */
/*
 * Buffered output for listings with millions of lines: numbers are
 * formatted by hand (printf costs ~10x more per line), and a failed write
 * is remembered so the caller can stop early and report it.
 */
#ifndef PTK_TOOL_OUT_H
#define PTK_TOOL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/**
 * struct out - A buffered writer
 * @f: Where it writes
 * @len: Bytes waiting in @buf
 * @err: A write failed (errno is kept in @err_no)
 * @err_no: The errno of the first failure
 * @buf: The buffer
 */
struct out {
	FILE *f;
	size_t len;
	bool err;
	int err_no;
	char buf[1 << 16];
};

/* Room for the longest single item out_room() is asked for. */
#define OUT_MAX_ITEM 512

/**
 * out_init() - Start writing to @f
 * @o: The writer
 * @f: The stream (stdout, or a file)
 *
 * Context: The ptkit command.
 *
 * Return: Nothing.
 */
void out_init(struct out *o, FILE *f);

/**
 * out_flush() - Write what is buffered
 * @o: The writer
 *
 * Context: The ptkit command.
 *
 * Return: 0, or -1 when this or an earlier write failed.
 */
int out_flush(struct out *o);

/**
 * out_room() - Space for @n more bytes
 * @o: The writer
 * @n: Bytes, at most OUT_MAX_ITEM
 *
 * Context: The ptkit command.
 *
 * Return: Where to write them; add what was written to @o->len.
 */
static inline char *out_room(struct out *o, size_t n)
{
	if (o->len + n > sizeof(o->buf))
		out_flush(o);
	return o->buf + o->len;
}

/* The out_* appenders below: Context: the ptkit command. Return: nothing. */
void out_str(struct out *o, const char *s);
void out_chr(struct out *o, char c);
void out_fmt(struct out *o, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* @v in hexadecimal, exactly @digits digits (zero-padded, truncated). */
void out_hex(struct out *o, uint64_t v, unsigned int digits);
/* "0x" and @v in hexadecimal without leading zeros. */
void out_hex0x(struct out *o, uint64_t v);
/* @v in decimal. */
void out_u64(struct out *o, uint64_t v);
/* A JSON string literal, quotes included. */
void out_json_str(struct out *o, const char *s);

/**
 * fmt_hex() - Write @v as @digits hexadecimal digits
 * @p: Destination
 * @v: The value
 * @digits: How many
 *
 * Context: Any context.
 *
 * Return: @p + @digits.
 */
char *fmt_hex(char *p, uint64_t v, unsigned int digits);

/**
 * fmt_u64() - Write @v in decimal
 * @p: Destination, room for 20 characters
 * @v: The value
 *
 * Context: Any context.
 *
 * Return: The end of what was written.
 */
char *fmt_u64(char *p, uint64_t v);

/**
 * fmt_bytes() - A byte count for people: "4K", "2M", "1G", "12288K"
 * @p: Destination, room for 24 characters
 * @bytes: The count; 0 stands for 2^64 (a whole 64-bit space)
 *
 * The largest unit that divides the count exactly (K, M, G, T, P, E).
 *
 * Context: Any context.
 *
 * Return: The end of what was written (not NUL-terminated).
 */
char *fmt_bytes(char *p, uint64_t bytes);

/**
 * fmt_lg2() - 2^@lg2 bytes as "4K", "2M", "1G", "512G"
 * @p: Destination, room for 24 characters
 * @lg2: log2 of the size, below 64
 *
 * Context: Any context.
 *
 * Return: The end of what was written (not NUL-terminated).
 */
char *fmt_lg2(char *p, unsigned int lg2);

#endif /* PTK_TOOL_OUT_H */
