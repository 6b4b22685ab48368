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
struct ptk_table;
struct ptk_xlate;

/*
 * Version 2 adds struct ptk_fmt.arch. Version 1 descriptors are still
 * accepted (the library then reads nothing past @priv and applies the
 * documented defaults).
 */
#define PTK_FMT_VERSION 2
#define PTK_FMT_HOOKS_VERSION 1
/*
 * Arch version 2 adds @reg_from_root, @ctrl_va_flags, @note_enable,
 * @enable_bits and @flags. The library reads a struct ptk_fmt_arch of
 * another version as absent (ptk_fmt_arch()); ptk_fmt_check() refuses it.
 */
#define PTK_FMT_ARCH_VERSION 2

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
 * struct ptk_fmt_diag - Why a descriptor, or a value given for a format,
 * was refused
 * @field: What is at fault: a descriptor field ("level_shift") or bits
 *         of a register ("EPTP bits 5:3 (page-walk length - 1)"). Static
 *         storage.
 * @expected: What would have been accepted, as a phrase ("1 to 6", "0
 *            (reserved)"). Static storage.
 * @level: The level (array index) @field belongs to, or -1
 * @flags: PTK_DIAG_* flags: which of @want and @found hold a number
 * @want: With PTK_DIAG_WANT, the one value that would have been right
 * @found: With PTK_DIAG_FOUND, the value found
 *
 * Functions that take a struct ptk_fmt_diag * accept NULL and fill it
 * only when they refuse. ptk_fmt_diag_str() makes it one line.
 */
struct ptk_fmt_diag {
	const char *field;
	const char *expected;
	int level;
	unsigned int flags;
	uint64_t want;
	uint64_t found;
};

/* struct ptk_fmt_diag.flags */
#define PTK_DIAG_WANT 0x1u /* @want holds the expected value */
#define PTK_DIAG_FOUND 0x2u /* @found holds the value found */
#define PTK_DIAG_HEX 0x4u /* print the numbers in hex (bits, addresses) */

/*
 * Permission limits a table entry puts on everything below it
 * (ptk_fmt_table_limit()), applied to a leaf's PTK_PROT_* bits by
 * ptk_fmt_limit_prot().
 */
#define PTK_LIMIT_NO_READ 0x1u
#define PTK_LIMIT_NO_WRITE 0x2u
#define PTK_LIMIT_NO_EXEC 0x4u
#define PTK_LIMIT_NO_USER 0x8u /* no access from the unprivileged level */
#define PTK_LIMIT_NO_USER_EXEC \
	0x10u /* no execution by the unprivileged level */
#define PTK_LIMIT_NO_PRIV_EXEC 0x20u /* no execution by the privileged level */

/* ELF e_machine values (struct ptk_fmt_arch.machines) */
#define PTK_EM_386 3u
#define PTK_EM_X86_64 62u
#define PTK_EM_AARCH64 183u
#define PTK_EM_RISCV 243u

/**
 * struct ptk_fmt_region - A named part of a format's VA space
 * @va: First address, as the CPU sees it (canonical; Arm TTBR1 addresses
 *      with their top bits set)
 * @last: Last address, inclusive
 * @base: What to subtract from an address of the region to get the one
 *        the root table translates (the TTBR1 range's first address on
 *        Arm, else 0)
 * @name: "lower canonical half", "TTBR1 range", ...; static storage
 * @root: Which root translates the region: 0, 1 (the upper root of a
 *        format with two), or PTK_REGION_HOLE when nothing can
 */
struct ptk_fmt_region {
	ptk_va_t va;
	ptk_va_t last;
	ptk_va_t base;
	const char *name;
	int root;
};

#define PTK_REGION_HOLE (-1)

/* ptk_fmt_va_root() flags */
#define PTK_VA_TBI 0x1u /* the top byte is ignored (Arm TCR_ELx.TBIx) */

/* struct ptk_fmt_arch.flags */
/*
 * Second-stage tables: a hypervisor's translation of its guests'
 * physical addresses (Intel EPT, Arm stage 2). They sit in a host's
 * memory beside its own tables and look alike, so a search for roots
 * reads them only when asked to.
 */
#define PTK_ARCH_NESTED 0x1u

/**
 * struct ptk_fmt_flag - One flag of a leaf as the architecture's own
 * listings show it
 * @letter: The character shown when the flag is set
 * @levels: Bit L set when @mask means this flag at level L
 * @mask: The entry bits; the flag is set when any of them is. 0 keeps a
 *        column that this format never sets (x86_32 has no XD)
 */
struct ptk_fmt_flag {
	char letter;
	uint32_t levels;
	ptk_pte_t mask;
};

/* struct ptk_fmt_arch.listings: which of QEMU's monitor listings apply */
#define PTK_FMT_LIST_TLB 0x1u /* `info tlb`: a line per page, the flags */
#define PTK_FMT_LIST_MEM_PROT \
	0x2u /* `info mem`: ranges of equal effective
				       user/write permission over the VA
				       space without sign extension (x86) */
#define PTK_FMT_LIST_MEM_ATTR \
	0x4u /* `info mem`: runs of leaves with equal
				       flags and contiguous OAs inside one
				       table (RISC-V) */

/**
 * struct ptk_fmt_arch - What a format knows of the machine around its
 * tables
 * @version: PTK_FMT_ARCH_VERSION
 * @machines: The ELF e_machine values (PTK_EM_*) of the machines whose
 *            memory holds such tables, 0-terminated; NULL: any machine.
 *            The first is the machine whose own paging this is (x86_32:
 *            i386, though x86-64 memory may hold it too); a search for
 *            roots reads an image with its machine's own formats
 * @root_reg: The name of the register that points to the root ("CR3",
 *            "EPTP", "TTBR", "VTTBR", "satp"); NULL: "root"
 * @ctrl_reg: The control register @check_ctrl reads ("CR4", "TCR_EL1",
 *            "VTCR_EL2"), or NULL when there is none
 * @note_root: The name an image's CPU notes give @root_reg (see
 *             ptk_image_cpu_reg(): "cr3"), or NULL when notes never
 *             carry it
 * @note_ctrl: The same for @ctrl_reg ("cr4"), or NULL
 * @nr_roots: 1, or 2 when the upper part of the VA space has a root of
 *            its own (Arm TTBR0 / TTBR1); 0 means 1
 * @select_bit: With two roots, the VA bit that picks the upper one (Arm:
 *              55); at or above va_bits
 * @region_names: Names of the lower region, the hole above it and the
 *                upper region (ptk_fmt_regions()); NULL entries get
 *                neutral names
 * @root_from_reg: The root table's OA from a value of @root_reg for root
 *                 @root; PTK_EINVAL with *@why filled when the value
 *                 does not fit the format. NULL: the value is the
 *                 address, which must be aligned to the root table's
 *                 size and below 2^table_oa_bits
 * @check_ctrl: 0 when the control register value @ctrl selects this
 *              format for root @root, else PTK_EINVAL with *@why
 *              filled. NULL: nothing to check
 * @table_limit: PTK_LIMIT_* bits the table entry @pte at @level puts on
 *               everything below it (x86 R/W, U/S, XD; EPT R/W/X; Arm
 *               APTable, UXNTable, PXNTable). NULL: none
 * @leaf_flags: The leaf flags the architecture's listings show, in their
 *              order, or NULL
 * @nr_leaf_flags: Entries in @leaf_flags, at most 32
 * @listings: PTK_FMT_LIST_* flags
 * @reg_from_root: The value of @root_reg that points to the root table
 *                 at @oa for root @root, every other field of the
 *                 register at its plainest (x86 CR3: no PCID or flags;
 *                 EPTP: write-back, the format's walk length; TTBR: ASID
 *                 0; satp: the format's MODE, ASID 0): the inverse of
 *                 @root_from_reg. PTK_EINVAL with *@why filled when the
 *                 register cannot point to @oa. NULL: the address
 *                 itself, under @root_from_reg's default rule
 * @ctrl_va_flags: The PTK_VA_* flags a value of @ctrl_reg sets for the
 *                 addresses root @root translates (Arm TCR_EL1.TBI0 and
 *                 TBI1: PTK_VA_TBI). NULL: none
 * @note_enable: The name an image's CPU notes give the register that
 *               turns translation on ("cr0"), or NULL
 * @enable_bits: The bits of @note_enable that must all be set for the
 *               notes' @note_root to be in use (x86: CR0.PG)
 * @flags: PTK_ARCH_* flags
 *
 * Everything here is optional: a format without it (struct ptk_fmt.arch
 * NULL, or a version 1 descriptor) fits any machine, has one root whose
 * register value is the table address, no table-level limits and no
 * listings of its own.
 */
struct ptk_fmt_arch {
	unsigned int version;
	const uint16_t *machines;
	const char *root_reg;
	const char *ctrl_reg;
	const char *note_root;
	const char *note_ctrl;
	unsigned int nr_roots;
	unsigned int select_bit;
	const char *region_names[3];
	int (*root_from_reg)(const struct ptk_fmt *f, unsigned int root,
			     uint64_t reg, ptk_oa_t *oa_out,
			     struct ptk_fmt_diag *why);
	int (*check_ctrl)(const struct ptk_fmt *f, unsigned int root,
			  uint64_t ctrl, struct ptk_fmt_diag *why);
	uint32_t (*table_limit)(const struct ptk_fmt *f, unsigned int level,
				ptk_pte_t pte);
	const struct ptk_fmt_flag *leaf_flags;
	unsigned int nr_leaf_flags;
	unsigned int listings;
	int (*reg_from_root)(const struct ptk_fmt *f, unsigned int root,
			     ptk_oa_t oa, uint64_t *reg_out,
			     struct ptk_fmt_diag *why);
	unsigned int (*ctrl_va_flags)(const struct ptk_fmt *f,
				      unsigned int root, uint64_t ctrl);
	const char *note_enable;
	uint64_t enable_bits;
	unsigned int flags;
};

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
 * @arch: (version 2) Registers, VA regions, machines, table-level limits
 *        and listing flags (struct ptk_fmt_arch), or NULL
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
	const struct ptk_fmt_arch *arch;
};

/**
 * ptk_fmt_check() - Validate a format descriptor's geometry
 * @f: The descriptor
 *
 * Checks what the engine relies on: versions, 1..PTK_MAX_LEVELS levels,
 * 4- or 8-byte entries, consecutive level shifts, va_bits <= 63, leaf
 * levels a contiguous run from level 0, all hooks present, and a
 * well-formed struct ptk_fmt_arch. ptk_fmt_check_explain() says which
 * field is wrong.
 *
 * Context: Any context.
 *
 * Return: 0, PTK_EVERSION or PTK_EINVAL.
 */
int ptk_fmt_check(const struct ptk_fmt *f);

/**
 * ptk_fmt_check_explain() - Validate a descriptor and name what is wrong
 * @f: The descriptor
 * @why: Filled in when the check fails: the field, the level it belongs
 *       to, what was expected and what was found; may be NULL
 *
 * The same checks as ptk_fmt_check(), which calls this.
 *
 * Context: Any context.
 *
 * Return: 0, PTK_EVERSION or PTK_EINVAL.
 */
int ptk_fmt_check_explain(const struct ptk_fmt *f, struct ptk_fmt_diag *why);

/**
 * ptk_fmt_diag_str() - One line saying what a struct ptk_fmt_diag holds
 * @buf: Where to write; always NUL-terminated when @size > 0
 * @size: Bytes at @buf
 * @d: The diagnosis
 *
 * "FIELD[ at level L]: expected [WANT (]EXPECTED[)][, found FOUND]",
 * e.g. "EPTP bits 5:3 (page-walk length - 1): expected 3 (the format's
 * levels - 1), found 4".
 *
 * Context: Any context; allocates nothing.
 *
 * Return: The length of the full line (as snprintf: it was cut when
 * this is >= @size).
 */
size_t ptk_fmt_diag_str(char *buf, size_t size, const struct ptk_fmt_diag *d);

/**
 * ptk_fmt_arch() - A format's machine description
 * @f: The descriptor
 *
 * Context: Any context.
 *
 * Return: @f's struct ptk_fmt_arch, or, for a format without one (NULL,
 * a version 1 descriptor, or an arch of another PTK_FMT_ARCH_VERSION),
 * an empty one whose every field has its
 * default meaning. Never NULL.
 */
const struct ptk_fmt_arch *ptk_fmt_arch(const struct ptk_fmt *f);

/**
 * ptk_fmt_nr_roots() - How many root tables a format's VA space has
 * @f: The descriptor
 *
 * Context: Any context.
 *
 * Return: 1, or 2 (Arm stage 1: TTBR0 and TTBR1).
 */
unsigned int ptk_fmt_nr_roots(const struct ptk_fmt *f);

/**
 * ptk_fmt_root_from_reg() - The root table a register value points to
 * @out: The root table's OA
 * @why: Filled in when the value does not fit; may be NULL
 * @f: The descriptor
 * @root: 0, or 1 for the upper root of a format with two
 * @reg: The raw register value: CR3 (PCID, PWT/PCD and LAM bits
 *       ignored; PAE: the 32-byte aligned PDPT), EPTP (memory type, walk
 *       length and A/D bits checked), TTBRn_ELx / VTTBR_EL2 (ASID/VMID
 *       and CnP ignored; BADDR[51:48] in bits 5:2 with a 52-bit OA;
 *       BADDR bits below the root table's alignment must be 0), satp
 *       (MODE must be the format's, ASID ignored)
 *
 * Formats without a rule of their own take the value as the address: it
 * must be aligned to the root table's size and below 2^table_oa_bits.
 *
 * Context: Any context; allocates nothing.
 *
 * Return: 0, or PTK_EINVAL with *@why filled when @reg does not fit @f
 * (reserved bits set, a walk length or mode for another format, a
 * misaligned table) or @root is not one of @f's roots.
 */
int ptk_fmt_root_from_reg(ptk_oa_t *out, struct ptk_fmt_diag *why,
			  const struct ptk_fmt *f, unsigned int root,
			  uint64_t reg);

/**
 * ptk_fmt_reg_from_root() - The root register value that points to a table
 * @out: The register value
 * @why: Filled in when the register cannot point to @oa; may be NULL
 * @f: The descriptor
 * @root: 0, or 1 for the upper root of a format with two
 * @oa: The root table's address
 *
 * The inverse of ptk_fmt_root_from_reg(): CR3 is the address (PAE: the
 * 32-byte aligned PDPT), EPTP adds write-back and the walk length,
 * TTBRn / VTTBR carry the address with ASID/VMID 0 (a 52-bit OA puts
 * bits 51:48 in 5:2), satp is the format's MODE and the PPN. Formats
 * without a rule of their own take the address as the value.
 * ptk_fmt_root_from_reg() of the result gives @oa back.
 *
 * Context: Any context; allocates nothing.
 *
 * Return: 0, or PTK_EINVAL with *@why filled when @oa is misaligned or
 * too high for the register, or @root is not one of @f's roots.
 */
int ptk_fmt_reg_from_root(uint64_t *out, struct ptk_fmt_diag *why,
			  const struct ptk_fmt *f, unsigned int root,
			  ptk_oa_t oa);

/**
 * ptk_fmt_ctrl_va_flags() - How a control register value has a root's
 * addresses read
 * @f: The descriptor
 * @root: 0, or 1 for the upper root of a format with two
 * @ctrl: A value of struct ptk_fmt_arch.ctrl_reg (Arm: TCR_EL1)
 *
 * Context: Any context.
 *
 * Return: PTK_VA_* flags for ptk_fmt_va_root() (PTK_VA_TBI when Arm's
 * TCR_EL1.TBI0, for root 0, or TBI1, for root 1, is set); 0 for a format
 * whose control register sets none.
 */
unsigned int ptk_fmt_ctrl_va_flags(const struct ptk_fmt *f, unsigned int root,
				   uint64_t ctrl);

/**
 * ptk_fmt_check_ctrl() - Whether a control register selects a format
 * @why: Filled in when it does not; may be NULL
 * @f: The descriptor
 * @root: 0, or 1 for the upper root (Arm: TCR's T1SZ / TG1 fields)
 * @ctrl: The value of struct ptk_fmt_arch.ctrl_reg: CR4 (PAE and LA57
 *        against x86_32 / x86_pae / x86_64 / x86_64_la57), TCR_ELx
 *        (granule, VA size, output layout), VTCR_EL2 (the same and the
 *        start level)
 *
 * Context: Any context; allocates nothing.
 *
 * Return: 0 (also when the format has no control register), or
 * PTK_EINVAL with *@why filled.
 */
int ptk_fmt_check_ctrl(struct ptk_fmt_diag *why, const struct ptk_fmt *f,
		       unsigned int root, uint64_t ctrl);

/**
 * ptk_fmt_table_limit() - What a table entry allows the levels below it
 * @f: The descriptor
 * @level: The level of @pte, 1..levels-1
 * @pte: An entry that points to a table
 *
 * x86: R/W clear limits writes, U/S clear user access, XD set execution
 * (a PAE PDPTE has none of them). EPT: R, W, X and user-mode execute
 * (bit 10, as PTK_PROT_USER) clear. Arm stage 1: APTable[1] (bit 62)
 * writes, APTable[0] (bit 61) unprivileged access, UXNTable (60) and
 * PXNTable (59) execution. RISC-V and Arm stage 2 tables carry no
 * permissions. Limits add up along a path: OR them.
 *
 * Context: Any context.
 *
 * Return: PTK_LIMIT_* bits; 0 for none.
 */
uint32_t ptk_fmt_table_limit(const struct ptk_fmt *f, unsigned int level,
			     ptk_pte_t pte);

/**
 * ptk_fmt_limit_prot() - A leaf's permissions under table-level limits
 * @prot: The leaf's own PTK_PROT_* bits (struct ptk_attrs.prot)
 * @limit: The OR of ptk_fmt_table_limit() over the tables on the path
 *
 * The effective permissions, as the hardware grants them. Execution is
 * limited by PTK_LIMIT_NO_USER_EXEC for a leaf with PTK_PROT_USER and by
 * PTK_LIMIT_NO_PRIV_EXEC for one without.
 *
 * Context: Any context; pure function.
 *
 * Return: The effective PTK_PROT_* bits.
 */
uint32_t ptk_fmt_limit_prot(uint32_t prot, uint32_t limit);

/**
 * ptk_translate_effective() - Translate an address and decode the
 * permissions every level grants it
 * @t: The table
 * @va: The address (for a format with two roots, the address inside
 *      @t's range; see ptk_fmt_va_root())
 * @out: The translation, as ptk_translate() gives it
 * @attrs: The leaf's attributes, with @prot limited by every table
 *         entry on the way (ptk_fmt_table_limit(), ptk_fmt_limit_prot())
 *
 * Context: Readers only; see ptk_table for locking.
 *
 * Return: What ptk_translate() returns, or PTK_EINVAL for a NULL
 * argument.
 */
int ptk_translate_effective(const struct ptk_table *t, ptk_va_t va,
			    struct ptk_xlate *out, struct ptk_attrs *attrs);

/**
 * ptk_fmt_regions() - The named regions of a format's VA space
 * @out: Up to @max regions, in address order, covering 0 .. 2^64 - 1
 * @max: Room at @out; 3 is always enough
 * @f: The descriptor
 *
 * A sign-extended format (x86-64, RISC-V Sv39 and up): the lower
 * canonical half, the non-canonical hole and the upper half, both halves
 * translated by root 0. A format with two roots (Arm stage 1): the TTBR0
 * range from 0, the hole, and the TTBR1 range at the top (root 1, whose
 * table translates the address minus the range's base). Any other: the
 * address space from 0 and, above 2^va_bits, a hole.
 *
 * Context: Any context.
 *
 * Return: The number of regions written.
 */
unsigned int ptk_fmt_regions(struct ptk_fmt_region *out, unsigned int max,
			     const struct ptk_fmt *f);

/**
 * ptk_fmt_va_root() - Which root translates an address
 * @inner: The address that root's table translates
 * @f: The descriptor
 * @va: The address as the CPU sees it
 * @flags: PTK_VA_TBI when the top byte is ignored (formats with two
 *         roots: VA bit @select_bit picks the root and only the bits
 *         from there down to va_bits must agree with it)
 *
 * Context: Any context.
 *
 * Return: The root (0 or 1), or PTK_ERANGE when @va is in a hole.
 */
int ptk_fmt_va_root(ptk_va_t *inner, const struct ptk_fmt *f, ptk_va_t va,
		    unsigned int flags);

/**
 * ptk_fmt_fits_machine() - Whether a format's tables can be a machine's
 * @f: The descriptor
 * @e_machine: The ELF e_machine of an image (ptk_image_machine()); 0
 *             for an image that does not say
 *
 * Context: Any context.
 *
 * Return: true when @e_machine is 0, the format names no machines, or
 * it names @e_machine.
 */
bool ptk_fmt_fits_machine(const struct ptk_fmt *f, unsigned int e_machine);

/**
 * ptk_fmt_machine_name() - The name of an ELF machine
 * @e_machine: An ELF e_machine value
 *
 * Context: Any context.
 *
 * Return: "x86-64", "i386", "AArch64", "RISC-V", or NULL for one the
 * formats do not know.
 */
const char *ptk_fmt_machine_name(unsigned int e_machine);

/**
 * ptk_fmt_leaf_flags() - Which of the architecture's leaf flags are set
 * @f: The descriptor
 * @level: The leaf's level
 * @pte: The leaf
 *
 * Context: Any context.
 *
 * Return: Bit i set when struct ptk_fmt_arch.leaf_flags[i] is set in
 * @pte at @level; 0 for a format without leaf flags.
 */
uint32_t ptk_fmt_leaf_flags(const struct ptk_fmt *f, unsigned int level,
			    ptk_pte_t pte);

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
