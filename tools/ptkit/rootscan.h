/* SPDX-License-Identifier: MIT */
/*
 * Finding page-table roots in an image without symbols (`ptkit roots`,
 * and `--root auto` of the image commands).
 *
 * Every position of the image aligned to a format's root-table size is a
 * candidate top-level table. A candidate is kept when all its entries
 * classify validly and it points to at least one table inside the image.
 * Each kept candidate is then read to the bottom: every table below it
 * is classified at its level, once per (address, level) whatever the
 * number of candidates reaching it, so the whole search costs at most
 * one pass over the image per level. The score says how well-formed the
 * tree is at every level (entries that are malformed, tables outside
 * the image, a table pointing to itself), how many of its top entries
 * other candidates hold at the same index (the kernel half the roots of
 * one machine share), and its size. A table that another well-formed
 * tree reaches as a lower-level table is an inner table, not a root; a
 * candidate inside the top table of one that a format with the same
 * lower geometry and a larger VA space reads as well (x86_64 under LA57,
 * Arm 39-bit under 48-bit, Arm 64K/48-bit under 64K/52-bit) is that
 * format's root read too narrowly, and is dropped; a tree whose every
 * page is aligned to a coarser granule of the same machine (a 64K tree
 * read with 4K or 16K pages) is read too finely, and is not plausible.
 *
 * What the scan cannot see from the tables alone (how a root register
 * encodes the table address, which formats a machine uses, which are a
 * hypervisor's second stage, which CPU notes name a root) the formats
 * say (struct ptk_fmt_arch): a new format needs no edit here.
 */
#ifndef PTK_TOOL_ROOTSCAN_H
#define PTK_TOOL_ROOTSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ptkit.h>
#include <ptkit/image.h>

/* struct root_cand.flags */
#define ROOT_NOTES 0x1u /* a CPU's notes name it (QEMU's CR3) */
#define ROOT_VMCOREINFO \
	0x2u /* it maps a VMCOREINFO page-table symbol to itself */
#define ROOT_KERNEL 0x4u /* no leaf grants user access */
#define ROOT_INNER 0x8u /* another well-formed tree reaches it */
#define ROOT_PLAUSIBLE 0x10u /* listed without --all */
#define ROOT_FINE 0x20u /* every page it maps is aligned to a coarser granule */

/**
 * struct root_cand - One candidate root
 * @fmt: The format it was read with
 * @oa: The root table's address
 * @reg: The root register value that points to it (what --root takes)
 * @score: 0..100, higher is more plausible
 * @quality: Well-formed entries over all non-empty ones, in the tree
 * @leaves: Leaves reached (pages, counted once per path)
 * @tables: Tables reached below the root, per path
 * @bad: Malformed entries, tables outside the image and self-pointers
 * @user: Leaves that grant user access
 * @shared: Top entries another candidate holds at the same index
 * @flags: ROOT_* flags
 * @cpu: The first CPU whose notes name it, or -1
 * @symbol: The VMCOREINFO symbol it maps to itself, or NULL
 * @leaves0: Leaves at level 0 (private)
 * @oa_or: The OR of their OAs (private)
 */
struct root_cand {
	const struct ptk_fmt *fmt;
	ptk_oa_t oa;
	uint64_t reg;
	double score;
	double quality;
	uint64_t leaves;
	uint64_t tables;
	uint64_t bad;
	uint64_t user;
	unsigned int shared;
	unsigned int flags;
	int cpu;
	const char *symbol;
	/* private: */
	uint64_t leaves0;
	uint64_t oa_or;
};

/**
 * struct roots_opts - What to look for
 * @fmt: The one format to read the image with, or NULL for every format
 *       the image's machine may use (all stage-1 formats when it does
 *       not say; EPT and Arm stage 2 only when named)
 * @no_notes: Ignore the registers in the image's notes and VMCOREINFO
 *            (the scan alone)
 * @have_ctrl: Without @fmt: read only the formats @ctrl selects
 *             (roots_ctrl_fits()), second-stage ones included
 * @ctrl: A control register value (CR4, TCR_EL1, VTCR_EL2)
 */
struct roots_opts {
	const struct ptk_fmt *fmt;
	bool no_notes;
	bool have_ctrl;
	uint64_t ctrl;
};

/**
 * struct roots_result - What roots_find() found
 * @v: Every candidate, best first (plausible ones before the others)
 * @nr: Entries in @v
 * @nr_plausible: How many of them are plausible roots
 * @looked: Positions read as a candidate top-level table
 * @kept: Candidates that passed the first test (all entries valid, one
 *        table inside the image)
 * @fmts: The formats read
 * @nr_fmts: Entries in @fmts
 */
struct roots_result {
	struct root_cand *v;
	size_t nr;
	size_t nr_plausible;
	uint64_t looked;
	uint64_t kept;
	const struct ptk_fmt *fmts[64];
	size_t nr_fmts;
};

/**
 * roots_find() - Look for page-table roots in an image
 * @out: The result; free it with roots_free()
 * @img: The image
 * @o: Options
 *
 * Context: The ptkit command.
 *
 * Return: 0 (also when nothing plausible was found: @out->nr_plausible
 * is 0), or PTK_ENOMEM.
 */
int roots_find(struct roots_result *out, struct ptk_image *img,
	       const struct roots_opts *o);

/**
 * roots_free() - Release what roots_find() allocated
 * @r: The result
 *
 * Context: The ptkit command.
 *
 * Return: Nothing.
 */
void roots_free(struct roots_result *r);

/**
 * roots_ctrl_fits() - Whether a control register value selects a format
 * @f: The format
 * @machine: The image's ELF machine (0: any)
 * @ctrl: The value
 *
 * Context: Any context.
 *
 * Return: true when @f has a control register, fits @machine, and
 * ptk_fmt_check_ctrl() takes @ctrl for every root of @f.
 */
bool roots_ctrl_fits(const struct ptk_fmt *f, unsigned int machine,
		     uint64_t ctrl);

/**
 * roots_auto() - The register value of the best root for `--root auto`
 * @reg: The value
 * @img: The image
 * @f: The format
 * @upper: For a format with two roots: the upper root (TTBR1: the best
 *         candidate without user leaves); else the lower one (TTBR0:
 *         the best with user leaves). Ignored for other formats.
 * @path: The image's name, for messages
 *
 * Says on stderr which candidate was taken and how it scored.
 *
 * Context: The ptkit command.
 *
 * Return: 0, or -1 when no plausible root was found (said on stderr).
 */
int roots_auto(uint64_t *reg, struct ptk_image *img, const struct ptk_fmt *f,
	       bool upper, const char *path);

#endif /* PTK_TOOL_ROOTSCAN_H */
