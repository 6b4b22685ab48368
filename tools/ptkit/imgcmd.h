/* SPDX-License-Identifier: MIT */
/*
 * What `ptkit info`, `dump` and `translate` share: opening an image,
 * picking a format and a root. What a root register holds, which
 * machines a format fits, its VA regions and the limits table entries
 * put on the levels below are the format's to say (struct ptk_fmt_arch,
 * ptkit/fmt.h); nothing here knows an architecture.
 */
#ifndef PTK_TOOL_IMGCMD_H
#define PTK_TOOL_IMGCMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ptkit.h>
#include <ptkit/image.h>

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
	const char *ctrl; /* --ctrl as given, or NULL */
	uint64_t ctrl_val;
};

/* An opened image with up to two attached roots. */
struct img_target {
	struct ptk_image *img;
	const char *path;
	const struct ptk_fmt *fmt;
	struct ptk_table t[2];
	ptk_oa_t root[2];
	bool have[2];
	/* First VA of the second root's range (Arm TTBR1), else 0. */
	ptk_va_t hi_base;
	/* Per root, PTK_VA_* flags the control register sets (Arm TBI). */
	unsigned int va_flags[2];
};

/* What --help says about the options img_parse_opt() takes. */
#define IMG_OPTS_HELP                                                                     \
	"  --format FMT      table format (see 'ptkit formats')\n"                        \
	"  --root VALUE      the root register, as the format reads it: CR3 (PCID\n"      \
	"                    and flag bits ignored), EPTP, TTBR0 or VTTBR (ASID,\n"       \
	"                    CnP ignored), satp (ASID ignored); a value the format\n"     \
	"                    cannot hold (reserved bits, another MODE or walk\n"          \
	"                    length) is refused; 'auto': the best root 'ptkit\n"          \
	"                    roots' finds (said on stderr)\n"                             \
	"  --cpu N           take the root from CPU N's notes (x86 ELF cores: CR3)\n"     \
	"  --root1 VALUE     Arm: TTBR1, for the upper VA range (VAs with bit 55 set);\n" \
	"                    'auto': the best root without user pages\n"                  \
	"  --ctrl VALUE      the control register beside the root (CR4, TCR_EL1,\n"       \
	"                    VTCR_EL2): a value that does not select the format is\n"     \
	"                    refused; TCR_EL1.TBI0/TBI1 set: addresses of that range\n"   \
	"                    are read with their top byte ignored; replaces the\n"        \
	"                    value --cpu's notes carry\n"                                 \
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
