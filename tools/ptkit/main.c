// SPDX-License-Identifier: MIT
/*
 * The ptkit command: dispatch to one subcommand per file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ptkit.h>

#include "cmd.h"

struct ptk_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct ptk_cmd cmds[] = {
	{ "formats", "list the built-in table formats and their geometry",
	  ptk_cmd_formats },
	{ "bench", "measure ptkit against hand-written code and the kernel",
	  ptk_cmd_bench },
	{ "info", "show a memory image's segments and CPU registers",
	  ptk_cmd_info },
	{ "dump", "list the mappings of a page table in a memory image",
	  ptk_cmd_dump },
	{ "translate", "translate addresses through a table in an image",
	  ptk_cmd_translate },
	{ "map", "draw the address space of a table in an image (SVG)",
	  ptk_cmd_map },
	{ "roots", "find page-table roots in an image without symbols",
	  ptk_cmd_roots },
	{ "read", "print the bytes at a virtual address in an image",
	  ptk_cmd_read },
	{ "pa2va", "list the virtual addresses that map a physical address",
	  ptk_cmd_pa2va },
	{ "sim", "replay a program's memory trace through spaces and a TLB",
	  ptk_cmd_sim },
	{ "snapshot", "write a live process's page table as an image",
	  ptk_cmd_snapshot },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: ptkit <command> [options]\n"
		"       ptkit help [<command>]\n"
		"       ptkit --help | --version\n"
		"\n"
		"ptkit %s: page tables as a data structure.\n"
		"\n"
		"commands:\n",
		PTK_VERSION_STRING);
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "  %-9s %s\n", "help",
		"show this text, or a command's options");
	fprintf(f,
		"\n"
		"Run 'ptkit <command> --help' for a command's options, 'man ptkit' for\n"
		"all of them. Addresses and register values are hexadecimal, with or\n"
		"without 0x, as QEMU prints them; counts are decimal.\n"
		"Exit status: 0 success, 1 usage error, 2 runtime or data error (the\n"
		"cause is printed on stderr).\n");
}

static const struct ptk_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct ptk_cmd *cmd;
	char help_opt[] = "--help";
	char *args[3];

	if (argc < 2) {
		usage(stdout);
		return PTK_EXIT_OK;
	}
	if (argc > 2) {
		ptk_tool_err(
			"help: too many arguments (usage: ptkit help [COMMAND])");
		return PTK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || tool_is_help(argv[1])) {
		usage(stdout);
		return PTK_EXIT_OK;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd) {
		ptk_tool_err("help: unknown command '%s' (see 'ptkit --help')",
			     argv[1]);
		return PTK_EXIT_USAGE;
	}
	args[0] = argv[1];
	args[1] = help_opt;
	args[2] = NULL;
	return cmd->run(2, args);
}

static int run(int argc, char **argv)
{
	const struct ptk_cmd *cmd;

	if (argc < 2) {
		usage(stderr);
		return PTK_EXIT_USAGE;
	}
	if (tool_is_help(argv[1])) {
		usage(stdout);
		return PTK_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ptkit %s\n", PTK_VERSION_STRING);
		return PTK_EXIT_OK;
	}
	if (!strcmp(argv[1], "help"))
		return cmd_help(argc - 1, argv + 1);
	cmd = find_cmd(argv[1]);
	if (!cmd) {
		if (argv[1][0] == '-')
			ptk_tool_err("unknown option '%s' (see 'ptkit --help')",
				     argv[1]);
		else
			ptk_tool_err(
				"unknown command '%s' (see 'ptkit --help')",
				argv[1]);
		return PTK_EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv), err;

	/* Every command's output ends here: a full disk or a closed pipe
	 * must not pass for success. */
	errno = 0;
	if (fflush(stdout) || ferror(stdout)) {
		err = errno ? errno : tool_stdout_errno;
		fclose(stdout);
		ptk_tool_err("cannot write to standard output: %s",
			     err ? strerror(err) : "write error");
		return PTK_EXIT_FAIL;
	}
	if (fclose(stdout)) {
		ptk_tool_err("cannot write to standard output: %s",
			     strerror(errno));
		return PTK_EXIT_FAIL;
	}
	return rc;
}
