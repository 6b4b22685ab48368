/* SPDX-License-Identifier: MIT */
/*
 * ptkit format descriptors.
 *
 * DOC: formats
 *
 * A format is the hardware (or invented) layout of a translation table:
 * how many levels, how many VA bits each level decodes, how wide an entry
 * is, which levels may hold leaves, and how an entry is encoded. Every
 * built-in format is described by a const struct ptk_fmt and, in addition,
 * compiled into a specialised instance of the engine with all of these
 * values constant (struct ptk_fmt.ops). A format defined at run time fills
 * the same struct with its own hooks and leaves @ops NULL; the engine's
 * run-time instance then drives it through the descriptor.
 *
 * Levels count from the leaf: level 0 maps the smallest pages, the top
 * level is levels - 1.
 */
#ifndef PTKIT_FMT_H
#define PTKIT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ptk_fmt;
struct ptk_impl_ops;

#define PTK_FMT_VERSION 1
#define PTK_FMT_HOOKS_VERSION 1

/* struct ptk_fmt.features */
#define PTK_FMT_SIGN_EXTEND 0x1u /* VA bits above va_bits copy bit va_bits-1 */
/*
 * A leaf's protection is separate from its other attributes: for any two
 * valid leaves at one level (as @decode returns them) and any prot,
 * replacing their prot encodes for both or for neither (the same error),
 * to the same bits where encodings of different prots differ; and
 * @decode's prot depends only on those bits. Protect and copy-on-write
 * then decide once per level whether a rewrite encodes, instead of once
 * per distinct leaf. tests/fmt/conformance.c checks the claim.
 */
#define PTK_FMT_PROT_SEPARATE 0x2u

/* Flags for the encode hook (a subset of the PTK_MAP_* flags). */
#define PTK_ENC_SUPERSET \
	0x2u /* widen an inexpressible prot instead of failing */

/**
 * struct ptk_fmt_hooks - How a format reads and writes its entries
 * @version: PTK_FMT_HOOKS_VERSION
 * @classify: What @pte is at @level (see enum ptk_entry_type). Must
 *            return PTK_ENTRY_INVALID, never crash, for any 64-bit value.
 * @table_oa: The OA of the next-level table a PTK_ENTRY_TABLE points to.
 * @leaf_oa: The OA of the page a PTK_ENTRY_LEAF maps (aligned to the
 *           level's page size).
 * @make_table: An entry at @level pointing to the table at @oa.
 * @make_leaf: A leaf at @level mapping @oa with the non-address bits
 *             @bits (as returned by @encode for the same level).
 * @encode: Turn @attrs into the non-address bits of a leaf at @level,
 *          including whatever marks the entry as a present leaf.
 *          Return 0, PTK_EPROT if the format cannot express @attrs
 *          (unless @flags has PTK_ENC_SUPERSET), PTK_EINVAL for
 *          out-of-range fields.
 * @decode: The format-neutral attributes of the leaf @pte at @level.
 * @is_contig: Whether the leaf @pte is part of a contiguous group (ARM's
 *             contiguous hint, RISC-V Svnapot). NULL when the format has
 *             no groups (contig_lg2 all zero).
 * @contig_entry: Entry @j of the group whose first page the plain leaf
 *                @first (made by @make_leaf) maps. NULL when no groups.
 *                @leaf_oa of any entry of a group, rounded down to the
 *                group's size, must give the group's OA.
 *
 * Every hook receives the descriptor, so one set of hooks can serve
 * several geometries (an ARM granule at any VA size, say).
 */
struct ptk_fmt_hooks {
	unsigned int version;
	enum ptk_entry_type (*classify)(const struct ptk_fmt *f,
					unsigned int level, ptk_pte_t pte);
	ptk_oa_t (*table_oa)(const struct ptk_fmt *f, unsigned int level,
			     ptk_pte_t pte);
	ptk_oa_t (*leaf_oa)(const struct ptk_fmt *f, unsigned int level,
			    ptk_pte_t pte);
	ptk_pte_t (*make_table)(const struct ptk_fmt *f, unsigned int level,
				ptk_oa_t oa);
	ptk_pte_t (*make_leaf)(const struct ptk_fmt *f, unsigned int level,
			       ptk_oa_t oa, ptk_pte_t bits);
	int (*encode)(const struct ptk_fmt *f, unsigned int level,
		      const struct ptk_attrs *attrs, unsigned int flags,
		      ptk_pte_t *bits_out);
	void (*decode)(const struct ptk_fmt *f, unsigned int level,
		       ptk_pte_t pte, struct ptk_attrs *attrs_out);
	bool (*is_contig)(const struct ptk_fmt *f, unsigned int level,
			  ptk_pte_t pte);
	ptk_pte_t (*contig_entry)(const struct ptk_fmt *f, unsigned int level,
				  ptk_pte_t first, unsigned int j);
};

/**
 * struct ptk_fmt - A table format
 * @version: PTK_FMT_VERSION
 * @name: Short name, as `ptkit formats` prints it ("x86_64")
 * @desc: One line for people
 * @levels: Number of levels, 1..PTK_MAX_LEVELS
 * @entry_lg2: log2 of the entry size in bytes: 2 or 3
 * @va_bits: VA bits translated; equals level_shift[top] + level_bits[top]
 * @oa_bits: Output address bits the format can hold (at some level)
 * @leaf_oa_bits: Per level, OA bits a leaf there can hold, when fewer
 *                than @oa_bits (x86 PSE-36: 40 in a 4M leaf, 32 in a
 *                PTE); 0 means @oa_bits
 * @table_oa_bits: OA bits a table pointer can hold, when fewer than
 *                 @oa_bits; 0 means @oa_bits. Tables (the root included)
 *                 must lie below 2^table_oa_bits
 * @level_shift: Per level, the lowest VA bit its index decodes, which is
 *               also log2 of the size one entry at that level spans
 * @level_bits: Per level, index bits; a table at level L has
 *              2^level_bits[L] entries
 * @leaf_levels: Bit L set when level L may hold leaves; must be a
 *               contiguous run starting at level 0
 * @features: PTK_FMT_* flags
 * @leaf_oa_mask: Per level, the entry bits that hold a leaf's OA; two
 *                leaves at one level with equal bits outside this mask
 *                have equal attributes
 * @contig_lg2: Per level, log2 of the entries in a contiguous group (a
 *              group of 2^contig_lg2 aligned leaves mapping an aligned
 *              block acts as one page of that size), or 0
 * @hooks: Entry encoding; required
 * @ops: Specialised engine instance, or NULL for the run-time instance
 * @level_names: Architecture names per level (index = level), or NULL
 * @priv: For the hooks' own use
 */
struct ptk_fmt {
	unsigned int version;
	const char *name;
	const char *desc;
	uint8_t levels;
	uint8_t entry_lg2;
	uint8_t va_bits;
	uint8_t oa_bits;
	uint8_t level_shift[PTK_MAX_LEVELS];
	uint8_t level_bits[PTK_MAX_LEVELS];
	uint32_t leaf_levels;
	uint32_t features;
	ptk_pte_t leaf_oa_mask[PTK_MAX_LEVELS];
	uint8_t contig_lg2[PTK_MAX_LEVELS];
	uint8_t leaf_oa_bits[PTK_MAX_LEVELS];
	uint8_t table_oa_bits;
	const struct ptk_fmt_hooks *hooks;
	const struct ptk_impl_ops *ops;
	const char *const *level_names;
	const void *priv;
};

/**
 * ptk_fmt_check() - Validate a format descriptor's geometry
 * @f: The descriptor
 *
 * Checks what the engine relies on: versions, 1..PTK_MAX_LEVELS levels,
 * 4- or 8-byte entries, consecutive level shifts, va_bits <= 64, leaf
 * levels a contiguous run from level 0, all hooks present.
 *
 * Context: Any context.
 *
 * Return: 0, PTK_EVERSION or PTK_EINVAL.
 */
int ptk_fmt_check(const struct ptk_fmt *f);

/**
 * ptk_fmt_lookup() - Find a built-in format by name
 * @name: The format's name, e.g. "x86_64"
 *
 * Context: Any context.
 *
 * Return: The descriptor, or NULL if no built-in format has that name.
 */
const struct ptk_fmt *ptk_fmt_lookup(const char *name);

/**
 * ptk_fmt_count() - Number of built-in formats
 *
 * Context: Any context.
 *
 * Return: The count; ptk_fmt_get() takes indexes below it.
 */
size_t ptk_fmt_count(void);

/**
 * ptk_fmt_get() - A built-in format by index
 * @index: 0..ptk_fmt_count()-1
 *
 * Context: Any context.
 *
 * Return: The descriptor, or NULL when @index is out of range.
 */
const struct ptk_fmt *ptk_fmt_get(size_t index);

/**
 * ptk_fmt_page_sizes() - The page sizes a format can map
 * @f: The descriptor
 *
 * Context: Any context.
 *
 * Return: A mask with bit n set when 2^n bytes is a page size.
 */
uint64_t ptk_fmt_page_sizes(const struct ptk_fmt *f);

/**
 * ptk_fmt_level_name() - The architecture's name for a level
 * @f: The descriptor
 * @level: 0..levels-1
 *
 * Context: Any context.
 *
 * Return: The name ("PML4", "L0", ...), or "?" when unknown. Never NULL.
 */
const char *ptk_fmt_level_name(const struct ptk_fmt *f, unsigned int level);

/**
 * ptk_fmt_va_valid() - Whether an address is in a format's VA space
 * @f: The descriptor
 * @va: The address
 *
 * With PTK_FMT_SIGN_EXTEND the address must be canonical (bits above
 * va_bits - 1 equal to it); without, it must be below 2^va_bits.
 *
 * Context: Any context.
 *
 * Return: true when @va can be translated by the format.
 */
bool ptk_fmt_va_valid(const struct ptk_fmt *f, ptk_va_t va);

/*
 * The built-in formats (`ptkit formats` lists them with their geometry).
 * Level names and manual sections are in each format's header under
 * src/fmt/.
 */
extern const struct ptk_fmt ptk_fmt_x86_32; /* 2-level, PSE, PSE-36 */
extern const struct ptk_fmt ptk_fmt_x86_pae; /* 3-level PAE */
extern const struct ptk_fmt ptk_fmt_x86_64; /* 4-level, 48-bit VA */
extern const struct ptk_fmt ptk_fmt_x86_64_la57; /* 5-level, 57-bit VA */
extern const struct ptk_fmt ptk_fmt_x86_ept; /* 4-level EPT */
extern const struct ptk_fmt ptk_fmt_x86_ept_5; /* 5-level EPT */
extern const struct ptk_fmt ptk_fmt_armv8_4k_39; /* Arm stage 1 */
extern const struct ptk_fmt ptk_fmt_armv8_4k_48;
extern const struct ptk_fmt ptk_fmt_armv8_4k_52;
extern const struct ptk_fmt ptk_fmt_armv8_16k_47;
extern const struct ptk_fmt ptk_fmt_armv8_16k_48;
extern const struct ptk_fmt ptk_fmt_armv8_16k_52;
extern const struct ptk_fmt ptk_fmt_armv8_64k_42;
extern const struct ptk_fmt ptk_fmt_armv8_64k_48;
extern const struct ptk_fmt ptk_fmt_armv8_64k_52;
extern const struct ptk_fmt ptk_fmt_armv8_s2_4k_48; /* Arm stage 2 */
extern const struct ptk_fmt ptk_fmt_armv8_s2_16k_47;
extern const struct ptk_fmt ptk_fmt_armv8_s2_64k_48;
extern const struct ptk_fmt ptk_fmt_riscv_sv32; /* RISC-V */
extern const struct ptk_fmt ptk_fmt_riscv_sv39;
extern const struct ptk_fmt ptk_fmt_riscv_sv48;
extern const struct ptk_fmt ptk_fmt_riscv_sv57;

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_FMT_H */
