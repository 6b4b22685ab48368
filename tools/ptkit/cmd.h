/* SPDX-License-Identifier: MIT */
/*
 * The ptkit command: what the subcommand files share.
 */
#ifndef PTK_TOOL_CMD_H
#define PTK_TOOL_CMD_H

/* Exit codes of every subcommand. */
#define PTK_EXIT_OK 0
#define PTK_EXIT_USAGE 1 /* bad command line */
#define PTK_EXIT_FAIL 2 /* runtime or data error */

/**
 * ptk_tool_err() - Print "ptkit: <message>" to stderr
 * @fmt: printf format of the message, without a trailing newline
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
 * ptk_cmd_bench() - `ptkit bench [--quick] [--json]`
 * @argc: Argument count; @argv[0] is "bench"
 * @argv: Arguments
 *
 * Context: The ptkit command.
 *
 * Return: A PTK_EXIT_* code.
 */
int ptk_cmd_bench(int argc, char **argv);

/**
 * ptk_cmd_info() - `ptkit info IMAGE [--json]`
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

#endif /* PTK_TOOL_CMD_H */
