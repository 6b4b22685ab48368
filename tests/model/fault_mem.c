// SPDX-License-Identifier: MIT
#include <string.h>

#include "model/fault_mem.h"

static int fm_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa, void **ptr)
{
	struct fault_mem *fm = arg;

	if (++fm->calls == fm->fail_at)
		return PTK_ENOMEM;
	return fm->inner->mem.ops->alloc(fm->inner->mem.arg, lg2, oa, ptr);
}

static void fm_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct fault_mem *fm = arg;

	fm->inner->mem.ops->free(fm->inner->mem.arg, oa, ptr, lg2);
}

static void *fm_map(void *arg, ptk_oa_t oa, unsigned int lg2)
{
	struct fault_mem *fm = arg;

	return fm->inner->mem.ops->map(fm->inner->mem.arg, oa, lg2);
}

static const struct ptk_mem_ops fm_ops = {
	.version = PTK_MEM_OPS_VERSION,
	.alloc = fm_alloc,
	.free = fm_free,
	.map = fm_map,
};

void fm_init(struct fault_mem *fm, struct ptk_mem_arena *inner, bool linear)
{
	memset(fm, 0, sizeof(*fm));
	fm->inner = inner;
	if (linear) {
		fm->mem.flags = inner->mem.flags;
		fm->mem.lin_delta = inner->mem.lin_delta;
		fm->mem.lin_lo = inner->mem.lin_lo;
		fm->mem.lin_hi = inner->mem.lin_hi;
	}
	fm->mem.ops = &fm_ops;
	fm->mem.arg = fm;
}
