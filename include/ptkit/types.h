/* SPDX-License-Identifier: MIT */
/*
 * ptkit basic types: addresses, entries, protections and attributes.
 *
 * DOC: glossary
 *
 * VA       input (virtual) address; always a full 64-bit value at the API.
 *          Formats with sign extension (x86-64) take canonical addresses.
 * OA       output address (physical, or guest-physical for EPT/stage 2).
 * entry    one descriptor word in a table (4 or 8 bytes).
 * level    0 is the level whose entries map the smallest pages; the top
 *          level is levels - 1. Architecture names (PML4, L0, VPN[3]...)
 *          are only printed, never used in the API.
 * leaf     an entry that maps a page (a "huge" leaf above level 0).
 * range    (va, len) at the API; [va, last] inclusive inside, so the top
 *          of a 64-bit space is reachable and nothing wraps.
 * *_lg2    a log2 value: size_lg2 == 21 means 2 MiB.
 */
#ifndef PTKIT_TYPES_H
#define PTKIT_TYPES_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PTK_VERSION_MAJOR 0
#define PTK_VERSION_MINOR 1
#define PTK_VERSION_PATCH 0
/* major * 10000 + minor * 100 + patch */
#define PTK_VERSION_NUMBER                                     \
	(PTK_VERSION_MAJOR * 10000 + PTK_VERSION_MINOR * 100 + \
	 PTK_VERSION_PATCH)
#define PTK_VERSION_STRING "0.1.0"

/** typedef ptk_va_t - An input (virtual) address. */
typedef uint64_t ptk_va_t;
/** typedef ptk_oa_t - An output (physical) address. */
typedef uint64_t ptk_oa_t;
/** typedef ptk_pte_t - One raw table entry, zero-extended to 64 bits. */
typedef uint64_t ptk_pte_t;

/* The deepest table any format may have. */
#define PTK_MAX_LEVELS 6

/*
 * Format-neutral protections. A format encodes exactly what it can
 * express; anything else fails with PTK_EPROT unless the caller passes
 * PTK_MAP_SUPERSET, which picks the nearest wider protection.
 */
#define PTK_PROT_READ 0x1u
#define PTK_PROT_WRITE 0x2u
#define PTK_PROT_EXEC 0x4u
#define PTK_PROT_USER 0x8u /* accessible from the unprivileged level */
#define PTK_PROT_RW (PTK_PROT_READ | PTK_PROT_WRITE)
#define PTK_PROT_RWX (PTK_PROT_READ | PTK_PROT_WRITE | PTK_PROT_EXEC)

/* Format-neutral attribute flags. */
#define PTK_ATTR_GLOBAL 0x1u /* not tied to an address-space id */
#define PTK_ATTR_ACCESSED 0x2u
#define PTK_ATTR_DIRTY 0x4u

/**
 * struct ptk_attrs - What a leaf grants, in format-neutral terms
 * @prot: PTK_PROT_* bits
 * @flags: PTK_ATTR_* bits
 * @memtype: The format's memory-type field: on x86 the 3-bit PAT index
 *           (PAT << 2 | PCD << 1 | PWT), on EPT the memory type itself
 *           (6 is write-back, 0 uncacheable), on ARM the AttrIndx /
 *           MemAttr field, on RISC-V the PBMT field. Each format header
 *           says what its values mean.
 * @sw: Format-specific bits with no neutral meaning, packed from bit 0
 *      upwards in the order the format header lists them (x86-64: bits
 *      9-11 then 52-62, which includes the protection key in 62:59).
 */
struct ptk_attrs {
	uint32_t prot;
	uint32_t flags;
	uint32_t memtype;
	uint32_t sw;
};

/**
 * enum ptk_entry_type - What an entry is, at its level
 * @PTK_ENTRY_EMPTY: Not present; maps nothing.
 * @PTK_ENTRY_TABLE: Points to a table of the next lower level.
 * @PTK_ENTRY_LEAF: Maps a page of the level's size.
 * @PTK_ENTRY_INVALID: Present but malformed (reserved bits, a leaf where
 *                     the format allows none, a misaligned frame, ...).
 */
enum ptk_entry_type {
	PTK_ENTRY_EMPTY = 0,
	PTK_ENTRY_TABLE = 1,
	PTK_ENTRY_LEAF = 2,
	PTK_ENTRY_INVALID = 3,
};

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_TYPES_H */
