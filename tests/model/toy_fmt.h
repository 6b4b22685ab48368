/* SPDX-License-Identifier: MIT */
/*
 * "toy32": a format defined at run time, to prove that the engine's
 * run-time instance is real. Nothing in src/ knows it.
 *
 * Geometry: 3 levels of 10 index bits, 4-byte entries (a table is 1024
 * entries = 4 KiB), 4 KiB granule, 42 VA bits with no sign extension,
 * 32 OA bits. Leaves at level 0 (4 KiB) and level 1 (4 MiB).
 *
 * Entry bits (32-bit entries, zero-extended to ptk_pte_t):
 *   0  P     present; an entry with P clear must be all zero
 *   1  W     writable
 *   2  U     user
 *   5  A     accessed
 *   6  D     dirty
 *   7  H     huge: a leaf at level 1; must be clear at levels 0 and 2
 *   8  G     global
 *   9-11     software bits (struct ptk_attrs.sw bits 0-2)
 *   12-31    OA (a 4 MiB leaf also needs bits 21:12 clear)
 * Table entries are OA | P | W | U.
 *
 * Attribute encoding: the format cannot forbid reads or execution, so
 * every leaf is readable and executable. A request without
 * PTK_PROT_READ or without PTK_PROT_EXEC fails with PTK_EPROT unless
 * PTK_ENC_SUPERSET is passed, which adds them; decoding always reports
 * READ | EXEC. There are no memory types: memtype must be 0, sw must fit
 * in 3 bits, and unknown prot/flags bits are rejected (PTK_EINVAL).
 */
#ifndef PTK_TOY_FMT_H
#define PTK_TOY_FMT_H

#include "ptkit.h"

#define TOY_P 0x1u
#define TOY_W 0x2u
#define TOY_U 0x4u
#define TOY_A 0x20u
#define TOY_D 0x40u
#define TOY_H 0x80u
#define TOY_G 0x100u
#define TOY_SW_SHIFT 9
#define TOY_SW_BITS 3
#define TOY_OA_MASK 0xfffff000u
#define TOY_HUGE_OA_MASK 0xffc00000u

extern const struct ptk_fmt toy_fmt;

#endif /* PTK_TOY_FMT_H */
