/* SPDX-License-Identifier: MIT */
/*
 * Arm VMSAv8-64 formats built at run time from register values.
 *
 * DOC: arm formats
 *
 * The built-in Arm formats (ptk_fmt_armv8_4k_48 and friends, see
 * src/fmt/armv8.h for the bit-level mapping) cover the configurations
 * Linux and KVM use. Any other one a TCR_ELx or VTCR_EL2 can select is
 * built here into a caller-owned struct ptk_fmt: the granule, the input
 * size from TxSZ (every start level, including a small or concatenated
 * top table), 52-bit output addresses with FEAT_LPA (64K granule,
 * {I}PS = 52 bits) or FEAT_LPA2 (DS = 1), stage 1 or stage 2.
 *
 * The result uses the Arm hooks with @ops NULL (the run-time engine
 * instance), except when it equals a built-in format's geometry and
 * encoding: then it is a copy of that format's descriptor, specialised
 * engine included.
 *
 * Translation tables take input addresses from 0: a TTBR1 (upper range)
 * table built with ttbr1 = 1 translates VA & (2^va_bits - 1), so callers
 * pass the VA with its top bits cleared.
 */
#ifndef PTKIT_FMT_ARM_H
#define PTKIT_FMT_ARM_H

#include <stdint.h>

#include "fmt.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ptk_fmt_armv8_from_tcr() - The stage 1 format a TCR_ELx value selects
 * @out: The format, filled in
 * @tcr: A TCR_EL1 (or TCR_EL2 with E2H = 1) value
 * @ttbr1: Non-zero for the TTBR1 (upper) range: T1SZ and TG1 instead of
 *         T0SZ and TG0
 *
 * Reads TG0/TG1 (the two fields encode the granules differently),
 * T0SZ/T1SZ, IPS (bits 34:32: the output size, and FEAT_LPA for the 64K
 * granule when it selects 52 bits) and DS (bit 59: FEAT_LPA2 for the 4K
 * and 16K granules). EPDx, TBIx, HPDx, HA/HD and the cacheability fields
 * do not change the table format and are ignored. TxSZ may be 16..39,
 * down to 12 with LPA2 (4K/16K) or FEAT_LVA (64K), and up to 48 (47 for
 * 64K) as FEAT_TTST allows.
 *
 * Context: Any context; allocates nothing.
 *
 * Return: 0; PTK_EINVAL for a NULL @out, a reserved granule encoding or
 * a TxSZ out of range; PTK_ENOTSUP for IPS = 0b111 (56-bit, FEAT_D128
 * descriptors).
 */
int ptk_fmt_armv8_from_tcr(struct ptk_fmt *out, uint64_t tcr, int ttbr1);

/**
 * ptk_fmt_armv8_from_vtcr() - The stage 2 format a VTCR_EL2 value selects
 * @out: The format, filled in
 * @vtcr: A VTCR_EL2 value
 *
 * Reads T0SZ (the IPA size), SL0 and SL2 (the start level, as the granule
 * interprets it), TG0, PS (the output size, and FEAT_LPA for 64K when it
 * selects 52 bits) and DS (bit 32, FEAT_LPA2). The start level and T0SZ
 * must agree as the manual requires: the initial table decodes 1 to
 * granule bits + 4 IPA bits (up to 16 concatenated tables).
 *
 * Context: Any context; allocates nothing.
 *
 * Return: 0; PTK_EINVAL for a NULL @out, a reserved TG0 or SL0/SL2
 * encoding, or an inconsistent start level; PTK_ENOTSUP for PS = 0b111.
 */
int ptk_fmt_armv8_from_vtcr(struct ptk_fmt *out, uint64_t vtcr);

/**
 * ptk_fmt_armv8_s2() - A stage 2 format by granule, IPA size and start
 * @out: The format, filled in
 * @granule_lg2: 12, 14 or 16 (4K, 16K, 64K)
 * @ipa_bits: Input (IPA) size in bits, up to 52
 * @start_level: Arm lookup level of the initial table: -1..3
 *
 * The initial table decodes @ipa_bits minus what the levels below it
 * decode; when that is more than one table holds, 2 to 16 tables are
 * concatenated (e.g. 4K, 40 bits from level 1: two tables, 1024
 * entries). The output is 48 bits, or 52 (FEAT_LPA2 for 4K/16K, FEAT_LPA
 * for 64K) when @ipa_bits is above 48 or the start level needs it (4K
 * level -1, 16K level 0).
 *
 * Context: Any context; allocates nothing.
 *
 * Return: 0, or PTK_EINVAL for a NULL @out, an unknown granule, a start
 * level the granule does not have (64K level 0) or one inconsistent with
 * @ipa_bits.
 */
int ptk_fmt_armv8_s2(struct ptk_fmt *out, unsigned int granule_lg2,
		     unsigned int ipa_bits, int start_level);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_FMT_ARM_H */
