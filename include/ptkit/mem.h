/* SPDX-License-Identifier: MIT */
/*
 * ptkit table memory.
 *
 * DOC: memory
 *
 * The engine never allocates by itself. It asks a struct ptk_mem for
 * table memory, which gives it two things for each table: the output
 * address that other entries store, and a pointer through which ptkit
 * reads and writes it. Two providers are built in:
 *
 *  - the host heap: the address is the pointer; tables are carved from
 *    large aligned chunks (a slab), so a table costs a few instructions;
 *  - a simulated physical arena: a buffer that stands for physical
 *    memory from @base to @base + @size; addresses are not pointers.
 *
 * A provider whose memory must not be written (a memory image, a
 * snapshot, another machine's memory mapped read-only) says so with
 * PTK_MEM_READONLY: tables in it can be attached, translated, walked and
 * iterated, and every call that would write an entry (ptk_map,
 * ptk_unmap, ptk_protect, ptk_harvest with PTK_HARVEST_CLEAR, ptk_copy
 * into such a table or with PTK_COPY_COW from one, ptk_move, ptk_split,
 * ptk_collapse, ptk_iter_set, ptk_iter_clear) fails with PTK_EROFS
 * before it reads anything, as do ptk_table_create() and an attach with
 * PTK_TABLE_OWNED.
 *
 * A provider whose address-to-pointer translation is a constant offset
 * says so (PTK_MEM_LINEAR), and the engine then converts without calling
 * it. A provider whose memory is many runs, each at its own offset (a
 * memory image), can hand the engine an index of equal cells instead
 * (PTK_MEM_CELLS), with the same effect. Embedders (kernels, hypervisors)
 * write their own provider.
 */
#ifndef PTKIT_MEM_H
#define PTKIT_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 and 2 are still accepted (without the fields added since) */
#define PTK_MEM_OPS_VERSION 3

/**
 * struct ptk_mem_ops - A table-memory provider
 * @version: PTK_MEM_OPS_VERSION (or 1, without the fields from @read_lock
 *           on, or 2, without @free_chain)
 * @alloc: Allocate 2^@size_lg2 bytes, aligned to their size and zeroed.
 *         Store the output address in *@oa_out and a pointer to it in
 *         *@ptr_out. Return 0 or PTK_ENOMEM; on failure nothing is
 *         allocated.
 * @free: Give back a block @alloc returned, with the same @size_lg2.
 * @map: Return a pointer to 2^@size_lg2 bytes at @oa, or NULL when no
 *       such memory exists. Only called when the provider is not
 *       PTK_MEM_LINEAR, or for addresses outside its linear window.
 * @read_lock: (version 2) Enter a read section: until the matching
 *             @read_unlock, no table retired after this call began is
 *             freed. Returns a token for @read_unlock. Must not block
 *             for long; may be called from many threads at once.
 * @read_unlock: (version 2) Leave the read section @token names.
 * @retire: (version 2) Free a block that was unlinked from a shared
 *          table, once every read section that may have seen it has
 *          ended (rcu_read_lock / call_rcu in a kernel; the built-in
 *          struct ptk_ebr otherwise). Writers call it from the mutation
 *          that unlinked the block; it may wait for readers but must not
 *          fail.
 * @free_chain: (version 3, optional) Give back @nr blocks of 2^@size_lg2
 *              bytes at once, all returned by @alloc: @first is the
 *              first block's pointer, the first pointer-sized word of
 *              each block holds the next one's (NULL in @last's), and
 *              the rest of the blocks' bytes are undefined. The
 *              unlinked tables of one ptk_table_flush() come this way
 *              when they are all of one size: a provider whose free
 *              lists have this shape splices them in O(1) (the host
 *              heap does). NULL: ptkit calls @free once per block.
 *              Only for providers that can find a block from its
 *              pointer; never called for shared tables' blocks (those
 *              go to @retire).
 *
 * The three read-section hooks are what PTK_TABLE_SHARED needs. A
 * provider leaves them NULL when its environment has nothing of the kind:
 * shared tables are then refused (PTK_EPROVIDER), and tables are only safe
 * under the caller's lock.
 */
struct ptk_mem_ops {
	unsigned int version;
	int (*alloc)(void *arg, unsigned int size_lg2, ptk_oa_t *oa_out,
		     void **ptr_out);
	void (*free)(void *arg, ptk_oa_t oa, void *ptr, unsigned int size_lg2);
	void *(*map)(void *arg, ptk_oa_t oa, unsigned int size_lg2);
	unsigned long (*read_lock)(void *arg);
	void (*read_unlock)(void *arg, unsigned long token);
	void (*retire)(void *arg, ptk_oa_t oa, void *ptr,
		       unsigned int size_lg2);
	void (*free_chain)(void *arg, void *first, void *last, uint64_t nr,
			   unsigned int size_lg2);
};

/* struct ptk_mem.flags */
#define PTK_MEM_LINEAR 0x1u /* ptr == oa + delta inside [lin_lo, lin_hi] */
#define PTK_MEM_READONLY 0x2u /* tables can be read, never written */
#define PTK_MEM_CELLS 0x4u /* @cells converts addresses without a call */

/* struct ptk_mem_cells.delta: the cell is not wholly in one run of memory */
#define PTK_MEM_CELL_MAP ((uintptr_t)1)

/**
 * struct ptk_mem_cells - A provider's memory as equal cells, each with an offset
 * @base: The address of cell 0, aligned to 2^@lg2
 * @nr: Number of cells
 * @lg2: Bytes per cell, log2; at most 63
 * @delta: One value per cell: for every address @oa in cell i, the pointer
 *         is (uintptr_t)@oa + @delta[i] (modulo the pointer width); or
 *         PTK_MEM_CELL_MAP when the cell is not wholly inside one run of
 *         memory the provider can reach (a hole, or two runs meeting
 *         inside it), and then the provider's @map decides
 *
 * For a provider whose memory is many runs at unrelated places, as an
 * ELF core's segments are: a table that lies inside one cell converts
 * with one indexed load and no call, whichever run holds it. Tables that
 * straddle cells, and addresses outside [@base, @base + @nr * 2^@lg2),
 * go to @map. A table pointer must be aligned for its entries, so a
 * delta other than PTK_MEM_CELL_MAP is even.
 */
struct ptk_mem_cells {
	ptk_oa_t base;
	uint64_t nr;
	unsigned int lg2;
	const uintptr_t *delta;
};

/**
 * struct ptk_mem - A provider instance
 * @ops: The provider's operations
 * @arg: Passed to every operation
 * @flags: PTK_MEM_* flags: PTK_MEM_LINEAR, PTK_MEM_READONLY, PTK_MEM_CELLS
 * @lin_delta: With PTK_MEM_LINEAR, pointer = (uintptr_t)oa + lin_delta
 *             (modulo the pointer width)
 * @lin_lo: First address of the linear window
 * @lin_hi: Last address of the linear window (inclusive)
 * @cells: With PTK_MEM_CELLS, an index the engine converts addresses
 *         through before it calls @map (struct ptk_mem_cells); read
 *         only when the flag is set. Held here, not behind a pointer, so
 *         that a conversion is one dependent load shorter.
 */
struct ptk_mem {
	const struct ptk_mem_ops *ops;
	void *arg;
	unsigned int flags;
	uintptr_t lin_delta;
	ptk_oa_t lin_lo;
	ptk_oa_t lin_hi;
	struct ptk_mem_cells cells;
};

/**
 * struct ptk_mem_stats - What a built-in provider has handed out
 * @allocs: Successful allocations so far
 * @frees: Frees so far
 * @live: Blocks currently allocated
 * @live_bytes: Bytes currently allocated
 */
struct ptk_mem_stats {
	uint64_t allocs;
	uint64_t frees;
	uint64_t live;
	uint64_t live_bytes;
};

/* Size classes the built-in providers serve: 2^PTK_MEM_MIN_LG2 .. 2^PTK_MEM_MAX_LG2. */
#define PTK_MEM_MIN_LG2 4
#define PTK_MEM_MAX_LG2 21

/**
 * struct ptk_mem_arena - Simulated physical memory
 * @mem: The provider; pass &arena.mem to ptk_table_create()
 * @stats: Allocation counters
 *
 * Blocks are handed out from a bump pointer, naturally aligned, and
 * recycled through one free list per size class.
 */
struct ptk_mem_arena {
	struct ptk_mem mem;
	struct ptk_mem_stats stats;
	/* private: */
	unsigned char *buf;
	ptk_oa_t base;
	uint64_t size;
	uint64_t bump;
	uint64_t free_head[PTK_MEM_MAX_LG2 + 1]; /* offset + 1, 0 = empty */
	int owns_buf;
	/* Freed blocks held back before reuse (PTK_DEBUG >= 2), FIFO. Here
	 * at every debug tier, so the layout does not depend on it. */
	uint64_t quar_off[64];
	unsigned char quar_lg2[64];
	unsigned int quar_head;
	unsigned int quar_nr;
};

/**
 * ptk_mem_arena_init() - Make an arena over a caller's buffer
 * @a: The arena to initialise
 * @buf: @size bytes standing for physical memory at @base; 16-byte
 *       aligned. Its contents need not be zero.
 * @base: The physical address of @buf[0]; 2 MiB aligned, so that blocks
 *        up to 2^PTK_MEM_MAX_LG2 bytes can be naturally aligned
 * @size: Bytes
 *
 * Context: Any context; allocates nothing. Usable freestanding.
 *
 * Return: 0, or PTK_EINVAL for a NULL buffer, a zero size, a range
 * that wraps, or misaligned @buf / @base.
 */
int ptk_mem_arena_init(struct ptk_mem_arena *a, void *buf, ptk_oa_t base,
		       uint64_t size);

/**
 * ptk_mem_arena_create() - Make an arena with its own zeroed buffer
 * @a: The arena to initialise
 * @base: Physical address of the first byte; 2 MiB aligned
 * @size: Bytes
 *
 * Context: Host builds only (uses the C library's allocator).
 *
 * Return: 0, PTK_EINVAL (see ptk_mem_arena_init()) or PTK_ENOMEM.
 */
int ptk_mem_arena_create(struct ptk_mem_arena *a, ptk_oa_t base, uint64_t size);

/**
 * ptk_mem_arena_destroy() - Release an arena made by ptk_mem_arena_create()
 * @a: The arena; NULL and zeroed arenas are accepted
 *
 * Tables still allocated from it become invalid.
 *
 * Context: Host builds only.
 *
 * Return: Nothing.
 */
void ptk_mem_arena_destroy(struct ptk_mem_arena *a);

/**
 * ptk_mem_arena_ptr() - The pointer behind an arena address
 * @a: The arena
 * @oa: An address inside it
 *
 * Context: Any context.
 *
 * Return: The pointer, or NULL when @oa is outside the arena.
 */
void *ptk_mem_arena_ptr(const struct ptk_mem_arena *a, ptk_oa_t oa);

struct ptk_mem_heap_chunk;

/**
 * struct ptk_mem_heap - Host heap provider (address == pointer)
 * @mem: The provider; pass &heap.mem to ptk_table_create()
 * @stats: Allocation counters
 */
struct ptk_mem_heap {
	struct ptk_mem mem;
	struct ptk_mem_stats stats;
	/* private: */
	struct ptk_mem_heap_chunk *chunks;
	unsigned char *cur;
	size_t cur_left;
	void *free_head[PTK_MEM_MAX_LG2 + 1];
	/* Freed blocks held back before reuse (PTK_DEBUG >= 2), FIFO. */
	void *quar_ptr[64];
	unsigned char quar_lg2[64];
	unsigned int quar_head;
	unsigned int quar_nr;
	unsigned int below_bits; /* 0, or blocks below 2^below_bits */
};

/**
 * ptk_mem_heap_init() - Make a host-heap provider
 * @h: The provider to initialise
 *
 * Context: Host builds only. Not thread-safe: one provider per thread,
 * or a lock around the tables that share it.
 *
 * Return: 0.
 */
int ptk_mem_heap_init(struct ptk_mem_heap *h);

/**
 * ptk_mem_heap_fini() - Release all memory of a host-heap provider
 * @h: The provider; NULL and zeroed providers are accepted
 *
 * Tables still allocated from it become invalid.
 *
 * Context: Host builds only.
 *
 * Return: Nothing.
 */
void ptk_mem_heap_fini(struct ptk_mem_heap *h);

/**
 * ptk_mem_heap_init_below() - A host-heap provider whose memory lies low
 * @h: The provider to initialise
 * @oa_bits: Every block lies below 2^@oa_bits
 *
 * For formats whose table pointers hold fewer address bits than the
 * host's pointers (struct ptk_fmt.table_oa_bits: 32 for x86_32, 34 for
 * riscv_sv32): on a 64-bit host the plain heap's memory is above those
 * limits, and ptk_table_create() fails with PTK_ETABLEOA. This provider
 * maps its chunks at addresses below 2^@oa_bits instead (an address hint
 * to the system, checked); when no such memory is left, allocations
 * fail with PTK_ENOMEM. Free with ptk_mem_heap_fini().
 *
 * Context: Host builds only (POSIX mmap). Not thread-safe, like
 * ptk_mem_heap_init().
 *
 * Return: 0, or PTK_EINVAL for a NULL @h or @oa_bits below 30 (less
 * than a chunk can be found in).
 */
int ptk_mem_heap_init_below(struct ptk_mem_heap *h, unsigned int oa_bits);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_MEM_H */
