/* SPDX-License-Identifier: MIT */
/*
 * Everything a format header may use, and nothing of the engine.
 *
 * A format header (src/fmt/<arch>.h) describes entries: constants, bit
 * masks and small inline hooks (the contract is src/fmt/fmt_api.h). It
 * needs the neutral types (ptk_pte_t, struct ptk_attrs, enum
 * ptk_entry_type, struct ptk_fmt and its PTK_FMT_* / PTK_ENC_* / PTK_LIMIT_*
 * flags), the error codes its hooks return, the bit helpers (PTK_BIT,
 * PTK_GENMASK, ptk_lg2_mask) and the port macros (PTK_ALWAYS_INLINE,
 * PTK_MEMSET). It includes this header and never the engine's internals
 * (src/internal/ptk_internal.h), so a format cannot come to depend on
 * how the engine keeps its tables.
 */
#ifndef PTK_FMT_BASE_H
#define PTK_FMT_BASE_H

#include "port/ptk_deps.h"
#include "internal/ptk_bits.h"
#include <ptkit/errors.h>
#include <ptkit/types.h>
#include <ptkit/fmt.h>

/*
 * Refuse a value and say why (struct ptk_fmt_diag); @why may be NULL.
 * @field and @expected must be static strings. Returns PTK_EINVAL, so a
 * hook can `return ptk_diag(...)`.
 */
static inline int ptk_diag(struct ptk_fmt_diag *why, const char *field,
			   const char *expected, unsigned int flags,
			   uint64_t want, uint64_t found)
{
	if (why) {
		why->field = field;
		why->expected = expected;
		why->level = -1;
		why->flags = flags;
		why->want = want;
		why->found = found;
	}
	return PTK_EINVAL;
}

#endif /* PTK_FMT_BASE_H */
