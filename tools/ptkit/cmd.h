/* SPDX-License-Identifier: MIT */
/*
 * The ptkit command: what the subcommand files share (exit codes,
 * messages, the progress line, command-line numbers and options).
 */
#ifndef PTK_TOOL_CMD_H
#define PTK_TOOL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of every subcommand, as `ptkit --help` states them. */
#define PTK_EXIT_OK 0
#define PTK_EXIT_USAGE 1 /* bad command line */
#define PTK_EXIT_FAIL 2 /* runtime or data error */

/**
 * ptk_tool_err() - Print "ptkit: <message>" to stderr
 * @fmt: printf format of the message, without a trailing newline; one
 *       string literal, so that every message can be found with grep
 *
 * Clears a progress line first (see tool_progress()).
 *
 * Context: The ptkit command.
 *
 * Return: Nothing.
 */
void ptk_tool_err(const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* The errno of a failed write to stdout through struct out, or 0. */
extern int tool_stdout_errno;

/**
 * tool_progress_allowed() - Whether a progress line may be drawn
 *
 * Only when stderr is a terminal and stdout is not that same terminal
 * (a listing and a progress line on one screen garble each other).
 *
 * Context: The ptkit command.
 *
 * Return: true when tool_progress() should be used.
 */
bool tool_progress_allowed(void);

/**
 * tool_progress() - Draw or clear the progress line on stderr
 * @what: Short label ("dump"), or NULL to clear the line
 * @pct: Percentage done, 0..100
 *
 * Context: The ptkit command, after tool_progress_allowed() said yes.
 *
 * Return: Nothing.
 */
void tool_progress(const char *what, unsigned int pct);

/**
 * tool_parse_addr() - Parse an address or register value
 * @s: The text: hexadecimal, with or without 0x (QEMU prints addresses
 *     and registers without it: `info tlb`, `info mem`, `info registers`)
 * @out: The value
 *
 * Never decimal, never octal: "401234" is 0x401234, "0401000" is
 * 0x401000.
 *
 * Context: Any context.
 *
 * Return: 0, or -1 when @s is not 1 to 16 hexadecimal digits.
 */
int tool_parse_addr(const char *s, uint64_t *out);

/**
 * tool_parse_count() - Parse a count
 * @s: Decimal digits, or hexadecimal after 0x; a leading 0 is not octal
 * @out: The value
 *
 * Context: Any context.
 *
 * Return: 0, or -1 when @s is not a number that fits 64 bits.
 */
int tool_parse_count(const char *s, uint64_t *out);

/**
 * tool_opt() - Match an option that takes a value
 * @argc: Argument count
 * @argv: Arguments
 * @i: Index of the argument to look at; advanced past a separate value
 * @name: The option, e.g. "--format"; "--format=X" matches too
 * @val: Receives the value
 *
 * Context: The ptkit command.
 *
 * Return: 1 when matched (and @val is set), 0 when argv[*i] is another
 * argument, -1 when the value is missing (the message is printed).
 */
int tool_opt(int argc, char **argv, int *i, const char *name, const char **val);

/**
 * tool_is_help() - Whether an argument asks for help
 * @arg: The argument
 *
 * Context: Any context.
 *
 * Return: true for "--help" and "-h".
 */
bool tool_is_help(const char *arg);

/**
 * tool_grow() - Room for one more element at the end of a growing array
 * @v: The array (NULL while @cap is 0)
 * @cap: Its capacity in elements; doubled when full
 * @nr: Elements in use
 * @size: Bytes per element
 * @first: The capacity of the first allocation
 *
 * Context: The ptkit command.
 *
 * Return: The array, moved or not, with room for element @nr; NULL when
 * it cannot grow (then @v and @cap are unchanged and still valid).
 */
void *tool_grow(void *v, size_t *cap, size_t nr, size_t size, size_t first);

/**
 * ptk_cmd_formats() - `ptkit formats [--json]`
 * @argc: Argument count; @argv[0] is "formats"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_formats(int argc, char **argv);

/**
 * ptk_cmd_bench() - `ptkit bench [options]`
 * @argc: Argument count; @argv[0] is "bench"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_bench(int argc, char **argv);

/**
 * ptk_cmd_info() - `ptkit info IMAGE [--base PA] [--json]`
 * @argc: Argument count; @argv[0] is "info"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_info(int argc, char **argv);

/**
 * ptk_cmd_dump() - `ptkit dump IMAGE --format FMT --root VALUE ...`
 * @argc: Argument count; @argv[0] is "dump"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_dump(int argc, char **argv);

/**
 * ptk_cmd_translate() - `ptkit translate IMAGE --format FMT --root VALUE`
 * @argc: Argument count; @argv[0] is "translate"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_translate(int argc, char **argv);

/**
 * ptk_cmd_map() - `ptkit map IMAGE --format FMT --root VALUE --svg FILE`
 * @argc: Argument count; @argv[0] is "map"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_map(int argc, char **argv);

/**
 * ptk_cmd_roots() - `ptkit roots IMAGE [--format FMT]`
 * @argc: Argument count; @argv[0] is "roots"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_roots(int argc, char **argv);

/**
 * ptk_cmd_read() - `ptkit read IMAGE --format FMT --root VALUE VA LEN`
 * @argc: Argument count; @argv[0] is "read"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_read(int argc, char **argv);

/**
 * ptk_cmd_pa2va() - `ptkit pa2va IMAGE --format FMT --root VALUE PA`
 * @argc: Argument count; @argv[0] is "pa2va"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_pa2va(int argc, char **argv);

/**
 * ptk_cmd_snapshot() - `ptkit snapshot PID [-o FILE] [--format FMT]`
 * @argc: Argument count; @argv[0] is "snapshot"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_snapshot(int argc, char **argv);

/**
 * ptk_cmd_sim() - `ptkit sim [TRACE] [options]`
 * @argc: Argument count; @argv[0] is "sim"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_sim(int argc, char **argv);

#endif /* PTK_TOOL_CMD_H */
