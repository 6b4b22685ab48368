/* SPDX-License-Identifier: MIT */
/*
 * What `ptkit info`, `dump` and `translate` share: opening an image,
 * picking a format and a root, and the per-architecture knowledge the
 * library's format descriptors do not carry (how a root register is laid
 * out, which table-entry bits restrict the levels below).
 */
#ifndef PTK_TOOL_IMGCMD_H
#define PTK_TOOL_IMGCMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ptkit.h>
#include <ptkit/image.h>

/* Architecture families, for what a descriptor does not say. */
enum img_family {
	FAM_OTHER = 0,
	FAM_X86_64, /* x86_64, x86_64_la57 */
	FAM_X86_PAE,
	FAM_X86_32,
	FAM_EPT,
	FAM_ARM, /* stage 1 */
	FAM_ARM_S2,
	FAM_RISCV,
};

/* Restrictions a table entry puts on everything below it (deny bits). */
#define DENY_R 0x1u
#define DENY_W 0x2u
#define DENY_X 0x4u /* any execution */
#define DENY_U 0x8u /* no user access */
#define DENY_UX 0x10u /* no user execution (Arm UXNTable) */
#define DENY_PX 0x20u /* no privileged execution (Arm PXNTable) */

/* Options the image commands share. */
struct img_opts {
	const char *path;
	const char *format;
	const char *root; /* as given, or NULL */
	const char *root1;
	uint64_t root_val; /* parsed */
	uint64_t root1_val;
	bool root_auto; /* --root auto: the best root `ptkit roots` finds */
	bool root1_auto;
	int cpu; /* -1: none */
	bool have_base;
	uint64_t base;
};

/* An opened image with up to two attached roots. */
struct img_target {
	struct ptk_image *img;
	const char *path;
	const struct ptk_fmt *fmt;
	enum img_family fam;
	struct ptk_table t[2];
	ptk_oa_t root[2];
	bool have[2];
	/* VA of the TTBR1 range's first address (Arm), else 0. */
	ptk_va_t hi_base;
};

/* What --help says about the options img_parse_opt() takes. */
#define IMG_OPTS_HELP                                                                     \
	"  --format FMT      table format (see 'ptkit formats')\n"                        \
	"  --root VALUE      the root register: CR3 (PCID and flag bits are\n"            \
	"                    masked), EPTP, TTBR0 (ASID masked), satp (mode and\n"        \
	"                    ASID masked); 'auto': the best root 'ptkit roots'\n"         \
	"                    finds (said on stderr)\n"                                    \
	"  --cpu N           take the root from CPU N's notes (x86 ELF cores: CR3)\n"     \
	"  --root1 VALUE     Arm: TTBR1, for the upper VA range (VAs with bit 55 set);\n" \
	"                    'auto': the best root without user pages\n"                  \
	"  --base PA         physical address of a raw image's first byte (default 0)\n"

/*
 * Parse one shared option at argv[*i]; 1 = consumed, 0 = not ours, <0 = a
 * usage error (printed).
 */
int img_parse_opt(struct img_opts *o, int argc, char **argv, int *i);

int img_open(struct ptk_image **out, const struct img_opts *o);

/*
 * Name every page of a compressed image that did not decompress (its PA,
 * where its data is in the file, why); true when there was one.
 */
bool img_report_page_errors(const struct ptk_image *img, const char *path);
int img_target_open(struct img_target *tg, const struct img_opts *o);
void img_target_close(struct img_target *tg);

enum img_family img_family_of(const struct ptk_fmt *f);

/* The table address a raw root register holds, for format @f. */
int img_root_from_reg(ptk_oa_t *out, const struct ptk_fmt *f,
		      enum img_family fam, uint64_t reg);

/* Deny bits a table entry at @level (pointing to a table) imposes. */
unsigned int img_table_deny(enum img_family fam, const struct ptk_fmt *f,
			    unsigned int level, ptk_pte_t pte);

/* Apply deny bits to a leaf's protection. */
uint32_t img_apply_deny(uint32_t prot, unsigned int deny);

/* Which table (0 or 1) translates @va, and the VA inside it; -1 if none. */
int img_select(const struct img_target *tg, ptk_va_t va, ptk_va_t *inner);

/*
 * The default walk budget (table entries visited) for a table in this
 * image: twice the entries its memory can hold, at least 2^26.
 */
uint64_t img_default_budget(const struct img_target *tg);

/*
 * What the root table @ti holds: *valid gets the entries that are leaves
 * or tables, *bad the malformed ones, out of *total.
 */
void img_root_summary(const struct img_target *tg, int ti, uint64_t *valid,
		      uint64_t *bad, uint64_t *total);

/* "4K", "2M", "1G", ... */
void img_size_str(char *buf, size_t size, unsigned int lg2);

/* Human-readable size of any byte count. */
void img_bytes_str(char *buf, size_t size, uint64_t bytes);

#endif /* PTK_TOOL_IMGCMD_H */
