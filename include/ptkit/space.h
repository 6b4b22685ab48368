/* SPDX-License-Identifier: MIT */
/*
 * ptkit address spaces: a table, regions that fault pages in, and frames
 * with reference counts.
 *
 * DOC: address spaces
 *
 * A struct ptk_space is what an operating system keeps per process, in
 * miniature: a translation table (any implementation, any format), a
 * sorted list of regions [start, end) each with its own operations, and
 * a simulated physical frame allocator shared by every space that uses
 * it. Nothing is mapped when a region is made; ptk_space_access() finds
 * the region of an address that misses and asks its fault hook for the
 * frame and attributes (Piggin's ->fault: the space asks the region's
 * backing store for the page at a virtual address, then installs it),
 * at the largest page size the region's policy, the format, the region's
 * bounds and alignment allow. ptk_space_fork() copies a space with
 * copy-on-write; a write to a copy-on-write page copies the frame (or,
 * when no other mapping is left, takes it over) on the fault.
 *
 * Invariants (checked by the space tests after every operation): every
 * frame's reference count is the number of leaves mapping it, in all
 * spaces of its allocator, plus the references a backing store holds
 * itself; no frame is freed while it is mapped; an operation that fails
 * (a fault hook's error, a table allocation, no room) changes no
 * mapping, no reference count and no region.
 *
 * Memory. The core is freestanding and allocates nothing: the caller
 * gives the space its table, the frame allocator (with arrays for the
 * reference counts and the simulated contents) and an array of struct
 * ptk_region slots. An operation that would need more slots than the
 * array has fails with PTK_ENOSPC before it changes anything (Linux's
 * vm.max_map_count, made explicit). Regions are merged whenever two
 * neighbours are alike, so a space rarely needs many.
 *
 * Locking is the caller's: one thread per space (and per allocator).
 */
#ifndef PTKIT_SPACE_H
#define PTKIT_SPACE_H

#include <stdint.h>

#include "types.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- frames */

/**
 * struct ptk_frames - A simulated physical frame allocator
 * @base: Output address of frame 0
 * @frame_lg2: log2 of a frame's size (the format's smallest page)
 * @nr: Frames
 * @allocs: Frames handed out so far
 * @frees: Frames whose last reference went
 * @copies: Frames copied (copy-on-write)
 * @live: Frames with references now
 * @on_free: Called with each frame whose last reference goes, before it
 *           is reused; may be NULL (tests check nothing maps it)
 * @arg: For @on_free
 *
 * Frame n is [base + n * 2^frame_lg2, ...). Reference counts and the
 * simulated contents (one 64-bit word per frame, copied by copy-on-write
 * and zeroed by allocation, so tests can tell frames apart) live in
 * caller arrays. Runs for huge pages are aligned to their size.
 */
struct ptk_frames {
	ptk_oa_t base;
	unsigned int frame_lg2;
	uint64_t nr;
	uint64_t allocs;
	uint64_t frees;
	uint64_t copies;
	uint64_t live;
	void (*on_free)(void *arg, ptk_oa_t oa);
	void *arg;
	/* private: */
	uint32_t *ref;
	uint64_t *data;
	uint64_t hint;
};

/**
 * ptk_frames_init() - Set up a frame allocator over caller arrays
 * @fr: The allocator
 * @base: Output address of the first frame, aligned to the largest page
 *        size that will be allocated
 * @frame_lg2: log2 of the frame size
 * @nr: Number of frames
 * @ref: @nr reference counts (initialised here)
 * @data: @nr words of simulated contents, or NULL
 *
 * Context: Any context; allocates nothing.
 *
 * Return: 0, or PTK_EINVAL (NULL @ref, zero @nr, a size that wraps).
 */
int ptk_frames_init(struct ptk_frames *fr, ptk_oa_t base,
		    unsigned int frame_lg2, uint64_t nr, uint32_t *ref,
		    uint64_t *data);

/**
 * ptk_frames_alloc() - Allocate an aligned run of free frames
 * @fr: The allocator
 * @size_lg2: log2 of the run's size, >= frame_lg2
 * @oa_out: Its output address
 *
 * Every frame of the run gets one reference and zeroed contents.
 *
 * Context: The allocator's owner.
 *
 * Return: 0, PTK_EINVAL or PTK_ENOSPC (no free run that large).
 */
int ptk_frames_alloc(struct ptk_frames *fr, unsigned int size_lg2,
		     ptk_oa_t *oa_out);

/**
 * ptk_frames_get() - Take one more reference to every frame of a run
 * @fr: The allocator
 * @oa: First frame; allocated
 * @size_lg2: log2 of the run's size
 *
 * Context: The allocator's owner.
 *
 * Return: Nothing.
 */
void ptk_frames_get(struct ptk_frames *fr, ptk_oa_t oa, unsigned int size_lg2);

/**
 * ptk_frames_put() - Drop a reference to every frame of a run
 * @fr: The allocator
 * @oa: First frame
 * @size_lg2: log2 of the run's size
 *
 * Frames whose last reference goes are freed (@on_free is told).
 *
 * Context: The allocator's owner.
 *
 * Return: Nothing.
 */
void ptk_frames_put(struct ptk_frames *fr, ptk_oa_t oa, unsigned int size_lg2);

/**
 * ptk_frames_ref() - A frame's reference count
 * @fr: The allocator
 * @oa: Any address inside the frame
 *
 * Context: Any context.
 *
 * Return: The count; 0 for a free frame or an address outside @fr.
 */
uint32_t ptk_frames_ref(const struct ptk_frames *fr, ptk_oa_t oa);

/**
 * ptk_frames_data() - A frame's simulated contents
 * @fr: The allocator
 * @oa: Any address inside the frame
 *
 * Context: Any context.
 *
 * Return: A pointer to the frame's word, or NULL (no contents array, or
 * an address outside @fr).
 */
uint64_t *ptk_frames_data(const struct ptk_frames *fr, ptk_oa_t oa);

/* --- regions */

struct ptk_space;
struct ptk_region;

/* struct ptk_region.flags, ptk_space_mmap() flags */
#define PTK_REGION_SHARED 0x1u /* fork shares the pages; else copy-on-write */
#define PTK_MMAP_FIXED 0x100u /* mmap: replace what the range overlaps */

/**
 * struct ptk_fault - What a region's fault hook answers
 * @oa: Output address of the page (aligned to 2^@size_lg2), with one
 *      reference taken on each of its frames for the new mapping
 * @size_lg2: On entry the page size the space would like (the region's
 *            policy, clamped to the format, the region and alignment);
 *            the hook may lower it to any page size the format has
 * @attrs: Attributes of the leaf, except the protection, which is the
 *         region's (memory type, software bits...)
 */
struct ptk_fault {
	ptk_oa_t oa;
	unsigned int size_lg2;
	struct ptk_attrs attrs;
};

#define PTK_REGION_OPS_VERSION 1

/**
 * struct ptk_region_ops - A region's backing store
 * @version: PTK_REGION_OPS_VERSION
 * @fault: The page of region @r at @va (aligned to @f->size_lg2), for
 *         an @access (PTK_PROT_* bits) that missed. Fill @f and return
 *         0, or return an error and hold no new reference: nothing is
 *         mapped then. Must not change the space.
 * @page_lg2: The page-size policy: the largest page (log2) a fault at
 *            @va may map; NULL for the region's @max_page_lg2 alone
 */
struct ptk_region_ops {
	unsigned int version;
	int (*fault)(struct ptk_space *s, const struct ptk_region *r,
		     ptk_va_t va, unsigned int access, struct ptk_fault *f);
	unsigned int (*page_lg2)(const struct ptk_space *s,
				 const struct ptk_region *r, ptk_va_t va);
};

/**
 * struct ptk_region - A range of a space with its own backing store
 * @start: First address
 * @end: One past the last address (@start < @end)
 * @prot: PTK_PROT_* the region allows
 * @flags: PTK_REGION_SHARED, or 0 for private (copy-on-write)
 * @max_page_lg2: Largest page a fault may map (0: the smallest page)
 * @ops: The backing store
 * @arg: For @ops
 * @pgoff: Offset of @start in the backing object, in smallest pages;
 *         kept across splits and mremap
 */
struct ptk_region {
	ptk_va_t start;
	ptk_va_t end;
	uint32_t prot;
	unsigned int flags;
	unsigned int max_page_lg2;
	const struct ptk_region_ops *ops;
	void *arg;
	uint64_t pgoff;
};

/*
 * Anonymous memory: each fault allocates zeroed frames from the space's
 * allocator, as large as asked when a run is free, else smaller.
 */
extern const struct ptk_region_ops ptk_region_anon;

/* --- spaces */

/**
 * struct ptk_space_stats - What a space did
 * @faults: Misses that mapped a page
 * @cow_copies: Write faults that copied a frame
 * @cow_reuses: Write faults that took over a frame no one else mapped
 * @errors: Accesses that failed
 */
struct ptk_space_stats {
	uint64_t faults;
	uint64_t cow_copies;
	uint64_t cow_reuses;
	uint64_t errors;
};

/**
 * struct ptk_space - An address space
 * @stats: Counters
 *
 * Everything else is private; use the functions below.
 */
struct ptk_space {
	struct ptk_space_stats stats;
	/* private: */
	struct ptk_table *t;
	struct ptk_frames *fr;
	struct ptk_region *reg;
	unsigned int nr;
	unsigned int cap;
	ptk_va_t brk_base;
	ptk_va_t brk;
};

/**
 * ptk_space_init() - Make an empty space
 * @s: The space
 * @t: Its table, empty; any format and implementation
 * @fr: The frame allocator, its frames of the format's smallest page
 * @regions: Caller storage for the region list
 * @cap: Slots in @regions
 * @brk_base: Where the heap (ptk_space_brk()) starts; aligned to the
 *            smallest page, or 0 for no heap
 *
 * Context: Any context.
 *
 * Return: 0, or PTK_EINVAL (NULL arguments, frames of another size than
 * the format's smallest page, a misaligned @brk_base).
 */
int ptk_space_init(struct ptk_space *s, struct ptk_table *t,
		   struct ptk_frames *fr, struct ptk_region *regions,
		   unsigned int cap, ptk_va_t brk_base);

/**
 * ptk_space_fini() - Unmap everything and forget the regions
 * @s: The space
 *
 * Drops the references of every mapped page; the table stays (empty),
 * for the caller to destroy.
 *
 * Context: The space's owner.
 *
 * Return: Nothing.
 */
void ptk_space_fini(struct ptk_space *s);

/**
 * struct ptk_region_desc - A region to make (ptk_space_mmap())
 * @prot: PTK_PROT_* it allows
 * @flags: PTK_REGION_SHARED, PTK_MMAP_FIXED
 * @max_page_lg2: Its page-size policy (0: smallest pages)
 * @ops: Its backing store (&ptk_region_anon, or yours)
 * @arg: For @ops
 * @pgoff: Offset in the backing object, in smallest pages
 */
struct ptk_region_desc {
	uint32_t prot;
	unsigned int flags;
	unsigned int max_page_lg2;
	const struct ptk_region_ops *ops;
	void *arg;
	uint64_t pgoff;
};

/**
 * ptk_space_mmap() - Make a region over [va, va + len)
 * @s: The space
 * @va: First address; aligned to the smallest page
 * @len: Bytes; non-zero, a multiple of the smallest page
 * @d: What the region is
 *
 * Maps nothing: pages come in on access. With PTK_MMAP_FIXED whatever
 * the range overlaps is unmapped first, else an overlap fails. Merges
 * with alike neighbours.
 *
 * Context: The space's owner.
 *
 * Return: 0, PTK_EINVAL, PTK_EALIGN, PTK_EOVERFLOW, PTK_ERANGE,
 * PTK_EEXIST (overlap without PTK_MMAP_FIXED), PTK_ENOSPC (region slots)
 * or PTK_ENOMEM (splitting a huge leaf the range cuts). On error
 * nothing changed.
 */
int ptk_space_mmap(struct ptk_space *s, ptk_va_t va, uint64_t len,
		   const struct ptk_region_desc *d);

/**
 * ptk_space_munmap() - Remove [va, va + len) from the space
 * @s: The space
 * @va: First address; aligned to the smallest page
 * @len: Bytes; non-zero, a multiple of the smallest page
 *
 * Unmaps the pages (dropping their frames' references) and cuts the
 * regions; a region the range splits in two takes one more slot.
 *
 * Context: The space's owner.
 *
 * Return: 0, PTK_EINVAL, PTK_EALIGN, PTK_EOVERFLOW, PTK_ERANGE,
 * PTK_ENOSPC or PTK_ENOMEM. On error nothing changed.
 */
int ptk_space_munmap(struct ptk_space *s, ptk_va_t va, uint64_t len);

/**
 * ptk_space_mprotect() - Change what [va, va + len) allows
 * @s: The space
 * @va: First address; aligned to the smallest page
 * @len: Bytes; non-zero, a multiple of the smallest page
 * @prot: The new PTK_PROT_* bits
 *
 * Every address of the range must lie in a region. Regions are split at
 * the range's ends and merged again where alike. Mapped pages get the
 * new protection at once, except that write permission on a private
 * region is only ever granted by a write fault (a page may be shared
 * copy-on-write).
 *
 * Context: The space's owner.
 *
 * Return: 0, PTK_EINVAL, PTK_EALIGN, PTK_EOVERFLOW, PTK_ERANGE,
 * PTK_EFAULT (a hole in the range), PTK_ENOSPC or PTK_ENOMEM. On error
 * nothing changed.
 */
int ptk_space_mprotect(struct ptk_space *s, ptk_va_t va, uint64_t len,
		       uint32_t prot);

/**
 * ptk_space_mremap() - Resize or move [old_va, old_va + old_len)
 * @s: The space
 * @old_va: First address; aligned to the smallest page
 * @old_len: Bytes; the range must lie in one region
 * @new_va: Where it goes: @old_va to resize in place
 * @new_len: Its new length
 *
 * Shrinking unmaps the tail. Growing in place needs the range to end
 * its region and the addresses after it to be free. Moving needs
 * [new_va, new_va + new_len) free of regions; the pages move with
 * ptk_move() (frames and reference counts stay as they are) and the new
 * region continues the old one's backing object.
 *
 * Context: The space's owner.
 *
 * Return: 0, PTK_EINVAL (ranges overlap when moving), PTK_EALIGN,
 * PTK_EOVERFLOW, PTK_ERANGE, PTK_EFAULT (not one region), PTK_EEXIST
 * (the destination is not free), PTK_ENOSPC or PTK_ENOMEM. On error
 * nothing changed.
 */
int ptk_space_mremap(struct ptk_space *s, ptk_va_t old_va, uint64_t old_len,
		     ptk_va_t new_va, uint64_t new_len);

/**
 * ptk_space_brk() - Move the end of the heap
 * @s: The space
 * @want: The new end (rounded up to the smallest page), or 0 to ask
 * @cur: Receives the end after the call; may be NULL
 *
 * The heap is an anonymous private read-write region from the space's
 * @brk_base; growing needs the addresses to be free, shrinking unmaps.
 *
 * Context: The space's owner.
 *
 * Return: 0, PTK_EINVAL (no heap, @want below its base), PTK_EEXIST,
 * PTK_ERANGE, PTK_ENOSPC or PTK_ENOMEM.
 */
int ptk_space_brk(struct ptk_space *s, ptk_va_t want, ptk_va_t *cur);

/**
 * ptk_space_set_brk() - Place the heap of a space that has none yet
 * @s: The space
 * @base: Where the heap starts; aligned to the smallest page, non-zero
 *
 * For a caller that learns where the heap is only after making the
 * space (a trace replay hears the first brk() of a program it started
 * watching late). The heap is then empty at @base, as ptk_space_init()
 * with @base would have left it; ptk_space_brk() moves its end.
 *
 * Context: The space's owner.
 *
 * Return: 0, or PTK_EINVAL (NULL @s, a zero or misaligned @base) or
 * PTK_EEXIST (the space has a heap already, not empty). On error
 * nothing changed.
 */
int ptk_space_set_brk(struct ptk_space *s, ptk_va_t base);

/**
 * ptk_space_access() - Touch an address, faulting the page in
 * @s: The space
 * @va: The address
 * @access: PTK_PROT_READ, _WRITE and/or _EXEC
 * @out: The translation after the access; may be NULL
 *
 * A hit costs one ptk_translate(). A miss asks the region's fault hook
 * and maps the page; a write to a copy-on-write page copies its frames
 * into new ones (or, when no other mapping is left, makes it writable).
 * A private page whose frame someone else maps too is mapped without
 * write permission, whatever the hook gave.
 *
 * Context: The space's owner.
 *
 * Return: 0, PTK_EFAULT (no region, or it forbids @access), PTK_ERANGE,
 * PTK_EINVAL, the fault hook's error, PTK_ENOSPC (no frames for a copy)
 * or PTK_ENOMEM. On error nothing changed.
 */
int ptk_space_access(struct ptk_space *s, ptk_va_t va, unsigned int access,
		     struct ptk_xlate *out);

/**
 * ptk_space_fork() - Copy a space, pages shared copy-on-write
 * @child: An empty space (ptk_space_init()) on the same frame allocator,
 *         its table of the same format and implementation as @parent's
 * @parent: The space to copy
 *
 * Private regions' pages lose write permission on both sides and are
 * copied on the next write; shared regions' pages stay writable and
 * shared. Every frame gets one more reference per page copied.
 *
 * Context: The owner of both spaces.
 *
 * Return: 0, PTK_EINVAL, PTK_EIMPL (tables of different
 * implementations), PTK_ENOSPC (@child's region slots) or PTK_ENOMEM.
 * On error @child is empty again and no reference changed (@parent's
 * pages may have lost write permission, which a write fault restores).
 */
int ptk_space_fork(struct ptk_space *child, struct ptk_space *parent);

/**
 * ptk_space_region() - The region holding an address
 * @s: The space
 * @va: The address
 *
 * Context: The space's owner; valid until the next change of @s.
 *
 * Return: The region, or NULL.
 */
const struct ptk_region *ptk_space_region(const struct ptk_space *s,
					  ptk_va_t va);

/**
 * ptk_space_regions() - The region list
 * @s: The space
 * @nr: Receives the number of regions
 *
 * Context: The space's owner; valid until the next change of @s.
 *
 * Return: The regions, sorted by address, disjoint.
 */
const struct ptk_region *ptk_space_regions(const struct ptk_space *s,
					   unsigned int *nr);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_SPACE_H */
