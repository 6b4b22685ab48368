/* SPDX-License-Identifier: MIT */
/*
 * For implementers: the engine-instance vtable.
 *
 * DOC: impl
 *
 * Every format has a specialised instance of the engine (struct
 * ptk_fmt.ops); the run-time instance serves descriptors without one.
 * ptk_map() and the other public calls check their arguments, convert
 * (va, len) to an inclusive range, and then make exactly one indirect
 * call through this table. Other implementations provide the same
 * operations with the same contract (the hashed table of ptkit/hash.h
 * is one); ptk_table_create_impl() makes a table of any of them.
 */
#ifndef PTKIT_SYS_IMPL_H
#define PTKIT_SYS_IMPL_H

#include "../table.h"
#include "../range.h"
#include "../iter.h"
#include "../build.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PTK_IMPL_OPS_VERSION 5

/**
 * struct ptk_impl_ops - An engine instance
 * @version: PTK_IMPL_OPS_VERSION
 * @name: For diagnostics ("x86_64", "generic")
 * @map: ptk_map() on [va, last], arguments already checked
 * @unmap: ptk_unmap() on [va, last], arguments already checked
 * @translate: ptk_translate(); checks that the VA is in the space
 * @translate_direct: The same, only for tables the instance created in a
 *                    provider whose output addresses are pointers
 *                    (PTK_MEM_LINEAR with lin_delta 0); may be NULL
 * @walk: ptk_walk() on [va, last] inside the space
 * @destroy: Free every table below the root
 * @check: ptk_table_check()
 * @protect: ptk_protect() on [va, last]
 * @harvest: ptk_harvest() on [va, last]
 * @copy: ptk_copy() on [va, last]; both tables of this instance's format
 * @move: ptk_move() of [va, last] to new_va
 * @split: ptk_split()
 * @collapse: ptk_collapse()
 * @iter_next: ptk_iter_next() on an iterator ptk_iter_init() set up
 * @iter_set: ptk_iter_set() on the current item, arguments checked
 * @iter_clear: ptk_iter_clear() on the current item
 * @create: (version 3) Set up an empty table in @t, whose fmt, mem, ops
 *          and flags are filled in, from the implementation's own
 *          argument (ptk_table_create_impl()'s @impl_arg, may be NULL).
 *          NULL for the radix engine, whose root ptk_table_create()
 *          allocates itself. An implementation with @create owns all of
 *          its memory, @t->root included: @destroy frees everything.
 *          It decides about PTK_TABLE_SHARED in @t->flags (PTK_EIMPL
 *          when it has no shared readers). Return 0 or an error, with
 *          nothing allocated.
 * @build: (version 4) ptk_build() on [va, last], arguments checked;
 *         NULL (or a version-3 table) when the implementation has no
 *         tables to hand out: ptk_build() then fails with PTK_EIMPL
 * @slots_count: (version 5) ptk_walk_slots_count() on a run of entries
 *               its @walk handed to a @slots hook; NULL (or an older
 *               version) when @walk has no @slots hook: ptk_walk() with
 *               one then fails with PTK_EIMPL
 * @slot: (version 5) ptk_walk_slot(), arguments checked; set with
 *        @slots_count
 * @walk_refs: (version 5) The memory references (cache lines of table
 *             memory) a hardware walker of this implementation makes to
 *             translate @va, mapped or not, with no cache of its own:
 *             what a software TLB (ptkit/tlb.h) counts per fill. NULL
 *             for a radix walk, one entry per level from the top, which
 *             the TLB counts itself (with its walk cache)
 *
 * The mutating operations may be given a gather; it is never NULL here,
 * except in @map without PTK_MAP_REPLACE (nothing can have cached what
 * it adds: an implementation that frees memory there frees it at once
 * when @g is NULL).
 */
struct ptk_impl_ops {
	unsigned int version;
	const char *name;
	int (*map)(struct ptk_table *t, ptk_va_t va, ptk_va_t last, ptk_oa_t oa,
		   const struct ptk_attrs *attrs, unsigned int flags,
		   struct ptk_gather *g);
	int (*unmap)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		     unsigned int flags, struct ptk_gather *g);
	int (*translate)(const struct ptk_table *t, ptk_va_t va,
			 struct ptk_xlate *out);
	int (*translate_direct)(const struct ptk_table *t, ptk_va_t va,
				struct ptk_xlate *out);
	int (*walk)(const struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		    const struct ptk_walk_ops *ops, void *arg);
	void (*destroy)(struct ptk_table *t);
	int (*check)(struct ptk_check *out, const struct ptk_table *t);
	int (*protect)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		       uint32_t prot, unsigned int flags, struct ptk_gather *g);
	int (*harvest)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		       unsigned int what, unsigned int flags,
		       int (*fn)(ptk_va_t va, uint64_t len, unsigned int found,
				 void *arg),
		       void *arg, struct ptk_gather *g);
	int (*copy)(struct ptk_table *dst, const struct ptk_table *src,
		    ptk_va_t va, ptk_va_t last, unsigned int flags,
		    struct ptk_gather *g);
	int (*move)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		    ptk_va_t new_va, unsigned int flags, struct ptk_gather *g);
	int (*split)(struct ptk_table *t, ptk_va_t va, unsigned int level,
		     struct ptk_gather *g);
	int (*collapse)(struct ptk_table *t, ptk_va_t va, unsigned int level,
			struct ptk_gather *g);
	int (*iter_next)(struct ptk_iter *it);
	int (*iter_set)(struct ptk_iter *it, ptk_oa_t oa,
			const struct ptk_attrs *attrs, unsigned int flags,
			struct ptk_gather *g);
	int (*iter_clear)(struct ptk_iter *it, struct ptk_gather *g);
	int (*create)(struct ptk_table *t, const void *impl_arg);
	int (*build)(struct ptk_table *t, ptk_va_t va, ptk_va_t last,
		     unsigned int level, unsigned int flags, ptk_build_fn fn,
		     void *arg, struct ptk_gather *g);
	uint64_t (*slots_count)(const struct ptk_walk_slots *s, uint64_t *bad);
	int (*slot)(const struct ptk_walk_slots *s, uint64_t i,
		    struct ptk_walk_page *out);
	unsigned int (*walk_refs)(const struct ptk_table *t, ptk_va_t va);
};

/* The run-time instance, for descriptors whose ops is NULL. */
extern const struct ptk_impl_ops ptk_generic_ops;

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_SYS_IMPL_H */
