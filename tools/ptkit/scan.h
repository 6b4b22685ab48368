/* SPDX-License-Identifier: MIT */
/*
 * The guarded walk that `dump`, `map` and `translate` share: the
 * library's ptk_walk() over one or two roots of an image, plus what a
 * tool needs on untrusted data: a work budget, cycle detection on the
 * current path (an entry pointing to one of its own ancestors, as a
 * self-map does, is reported and not followed), a report of every
 * malformed entry, effective permissions accumulated across levels, and
 * a progress line that follows the work (table entries visited out of a
 * count made first over the upper levels), not the VA.
 */
#ifndef PTK_TOOL_SCAN_H
#define PTK_TOOL_SCAN_H

#include "imgcmd.h"

/* scan_run()'s own stop codes; a consumer's hooks use SCAN_STOP_USER+. */
#define SCAN_BUDGET 1 /* the budget ran out (reported) */
#define SCAN_STRICT 2 /* --strict and a malformed entry (reported) */
#define SCAN_STOP_USER 16

/**
 * struct scan_leaf - A run of leaves
 * @va: First VA, with the root's upper bits (Arm TTBR1)
 * @oa: First OA
 * @count: Leaves in the run
 * @size_lg2: log2 of each leaf's page size
 * @level: Their level
 * @pte: The first leaf's entry
 * @attrs: Its attributes, as the leaf alone says
 * @prot: Its protection with the limits of the tables above applied
 * @ti: Which root (0, or 1 for Arm TTBR1)
 */
struct scan_leaf {
	ptk_va_t va;
	ptk_oa_t oa;
	uint64_t count;
	unsigned int size_lg2;
	unsigned int level;
	ptk_pte_t pte;
	struct ptk_attrs attrs;
	uint32_t prot;
	int ti;
};

/**
 * struct scan_table - A table the walk enters (the roots included)
 * @va: First VA it spans, with the root's upper bits
 * @last: Last VA it spans
 * @oa: Its address
 * @level: Its level
 * @ti: Which root
 */
struct scan_table {
	ptk_va_t va;
	ptk_va_t last;
	ptk_oa_t oa;
	unsigned int level;
	int ti;
};

struct scan;

/**
 * struct scan_ops - What a consumer is told; any may be NULL
 * @leaf: A run of leaves, in VA order
 * @table: A table, before its entries
 * @leaves: Instead of @leaf: the present leaves of a table, up to
 *          PTK_WALK_BATCH at once whatever their OAs (ptk_walk()'s
 *          batched hook), for scans that look at every page; VAs are
 *          as the root's table sees them (add scan_va_or()), and
 *          scan_leaf_prot() gives a page's effective protection
 *
 * Each returns 0 to go on, or SCAN_STOP_USER or above to stop.
 */
struct scan_ops {
	int (*leaf)(const struct scan_leaf *l, void *arg);
	int (*table)(const struct scan_table *t, void *arg);
	int (*leaves)(const struct scan *s, const struct ptk_walk_batch *b,
		      void *arg);
};

/**
 * struct scan - One guarded walk
 * @tg: The image and its roots
 * @ops: The consumer
 * @arg: Passed to @ops
 * @budget: Table entries the walk may visit
 * @strict: Stop at the first malformed entry
 * @report_limit: Malformed entries described on stderr (0: all); the
 *                rest are counted
 * @progress: Label of a progress line, or NULL for none
 * @work: Table entries visited
 * @tables: Tables entered, roots included
 * @leaves: Leaves found
 * @bad: Malformed entries (cycles and tables outside the image included)
 * @f: The format (private)
 */
struct scan {
	const struct img_target *tg;
	const struct scan_ops *ops;
	void *arg;
	uint64_t budget;
	bool strict;
	uint64_t report_limit;
	const char *progress;
	uint64_t work;
	uint64_t tables;
	uint64_t leaves;
	uint64_t bad;
	/* private: */
	const struct ptk_fmt *f;
	bool counting;
	int ti;
	ptk_va_t va_or;
	uint64_t total;
	unsigned int pct;
	ptk_oa_t path[PTK_MAX_LEVELS];
	uint32_t deny[PTK_MAX_LEVELS]; /* PTK_LIMIT_* from the levels above */
};

/**
 * struct scan_opts - The walk's options on the command line
 * @vs: --va-start
 * @ve: --va-end (exclusive; 0 is the top)
 * @budget: --budget, when @have_budget
 * @have_budget: --budget was given
 */
struct scan_opts {
	uint64_t vs;
	uint64_t ve;
	uint64_t budget;
	bool have_budget;
};

/* What --help says about the options scan_parse_opt() takes. */
#define SCAN_OPTS_HELP                                                               \
	"  --va-start A      first VA to walk (default 0)\n"                         \
	"  --va-end B        VA after the last to walk (default, or 0: the top)\n"   \
	"  --budget N        table entries the walk may visit (default: twice the\n" \
	"                    entries the image's memory holds, at least 2^26);\n"    \
	"                    running out stops the walk with status 2\n"

/**
 * scan_parse_opt() - Parse --va-start, --va-end or --budget at argv[*i]
 * @so: Where the values go
 * @cmd: The command, for messages
 * @argc: Argument count
 * @argv: Arguments
 * @i: Index; advanced past a separate value
 *
 * Context: The ptkit command.
 *
 * Return: 1 consumed, 0 not one of these, -1 a usage error (printed).
 */
int scan_parse_opt(struct scan_opts *so, const char *cmd, int argc, char **argv,
		   int *i);

/**
 * scan_opts_range() - The inclusive VA range the options ask for
 * @so: The options
 * @cmd: The command, for messages
 * @vs: First VA
 * @ve: Last VA, inclusive
 *
 * Context: The ptkit command.
 *
 * Return: 0, or -1 when --va-end is not above --va-start (printed).
 */
int scan_opts_range(const struct scan_opts *so, const char *cmd, ptk_va_t *vs,
		    ptk_va_t *ve);

/**
 * scan_init() - Set a walk up with the defaults
 * @s: The walk
 * @tg: The image and its roots
 * @ops: The consumer
 * @arg: Passed to @ops
 *
 * Budget: img_default_budget(); every malformed entry reported; no
 * progress line.
 *
 * Context: The ptkit command.
 *
 * Return: Nothing.
 */
void scan_init(struct scan *s, const struct img_target *tg,
	       const struct scan_ops *ops, void *arg);

/**
 * scan_run() - Walk the VAs [@vs, @ve] of every root, in VA order
 * @s: The walk
 * @vs: First VA (full 64-bit value)
 * @ve: Last VA, inclusive
 *
 * Context: The ptkit command.
 *
 * Return: 0 when everything was visited, SCAN_BUDGET or SCAN_STRICT
 * (already reported), a consumer's stop code, or a negative PTK_E* code.
 */
int scan_run(struct scan *s, ptk_va_t vs, ptk_va_t ve);

/**
 * scan_leaf_prot() - A leaf's protection with the tables' limits applied
 * @s: The walk, inside a @leaves hook
 * @level: The leaf's level
 * @pte: The leaf
 *
 * Context: The ptkit command.
 *
 * Return: PTK_PROT_* bits, as dump prints them.
 */
uint32_t scan_leaf_prot(const struct scan *s, unsigned int level,
			ptk_pte_t pte);

/**
 * scan_va_or() - The bits to add to a VA the walk reports
 * @s: The walk, inside a hook
 *
 * Context: The ptkit command.
 *
 * Return: The upper root's range base (Arm TTBR1), else 0.
 */
ptk_va_t scan_va_or(const struct scan *s);

/**
 * scan_root() - Which root the walk is in
 * @s: The walk, inside a hook
 *
 * Context: The ptkit command.
 *
 * Return: 0, or 1 for the upper root (Arm TTBR1).
 */
int scan_root(const struct scan *s);

/**
 * scan_summary() - Report malformed entries that were counted, not shown
 * @s: The walk
 * @what: The command ("dump")
 *
 * Context: The ptkit command.
 *
 * Return: Nothing.
 */
void scan_summary(const struct scan *s, const char *what);

/**
 * scan_why_empty() - Say why a walk found no leaf
 * @s: The walk, after scan_run()
 * @what: The command ("dump")
 * @ranged: The walk covered only part of the VA space
 *
 * Context: The ptkit command.
 *
 * Return: Nothing.
 */
void scan_why_empty(const struct scan *s, const char *what, bool ranged);

#endif /* PTK_TOOL_SCAN_H */
