/* SPDX-License-Identifier: MIT */
/*
 * A memory provider for tests that fails its Nth allocation and passes
 * everything else to an arena: the fault-injection, BUILD and address
 * space tests' allocator.
 */
#ifndef PTK_FAULT_MEM_H
#define PTK_FAULT_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "ptkit.h"

struct fault_mem {
	struct ptk_mem mem;
	struct ptk_mem_arena *inner;
	uint64_t calls; /* allocations asked for so far */
	uint64_t fail_at; /* the one that fails (1-based); 0: never */
};

/* Zero @fm over @inner; @linear: with @inner's linear-mapping promise. */
void fm_init(struct fault_mem *fm, struct ptk_mem_arena *inner, bool linear);

#endif /* PTK_FAULT_MEM_H */
