/* SPDX-License-Identifier: MIT */
/*
 * The Linux kernel's own page-table work, timed from user space: the
 * other baseline of `ptkit bench`.
 *
 * DOC: kernel baseline
 *
 * A populated anonymous region (4 KiB pages: MADV_NOHUGEPAGE before it is
 * populated, so transparent huge pages stay out whatever the system
 * setting) is mprotect()ed, fork()ed, mremap()ed and munmap()ed, one
 * timed system call at a time, so that `ptkit bench` can alternate them
 * with ptkit doing the same to its own table. Every figure includes what
 * the kernel does beyond the page tables: VMA lookup, split and merge,
 * TLB flushes, and per page the struct page work (reference counts,
 * reverse map, freeing) that its tables imply.
 *
 * The region lives in a PROT_NONE reservation five times its size, at a
 * 1 GiB-aligned offset, so moves have room at aligned and unaligned
 * destinations; a range a move or unmap vacates is reserved again at
 * once, so nothing else lands there.
 */
#ifndef PTK_BENCH_KERNEL_H
#define PTK_BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct kb_region - The kernel-side region
 * @res: The PROT_NONE reservation
 * @res_len: Its length
 * @base: 1 GiB-aligned start of the slot the region is populated at
 * @cur: Where the region is now (moves change it)
 * @len: The region's length, a multiple of 2 MiB
 * @populated: Whether pages are mapped at @cur
 */
struct kb_region {
	unsigned char *res;
	size_t res_len;
	unsigned char *base;
	unsigned char *cur;
	size_t len;
	int populated;
};

/**
 * kb_thp_mode() - The system's transparent-huge-page setting
 * @buf: Gets the contents of /sys/kernel/mm/transparent_hugepage/enabled
 *       (e.g. "always [madvise] never"), or "unknown"
 * @size: Size of @buf
 *
 * Return: Nothing.
 */
void kb_thp_mode(char *buf, size_t size);

/**
 * kb_open() - Reserve address space and populate the region
 * @r: Caller storage
 * @len: Bytes, a multiple of 2 MiB
 * @why: On failure, what failed (static or in @r-independent storage)
 *
 * Context: Host only; allocates @len of memory.
 *
 * Return: 0, or -1 with *@why set (errno names the cause).
 */
int kb_open(struct kb_region *r, size_t len, const char **why);

/**
 * kb_close() - Give everything back
 * @r: A region from kb_open(), or zeroed storage
 *
 * Return: Nothing.
 */
void kb_close(struct kb_region *r);

/**
 * kb_huge_kib() - AnonHugePages of this process, from smaps_rollup
 *
 * Return: KiB, or -1 when unknown.
 */
long kb_huge_kib(void);

/**
 * kb_mprotect() - Time mprotect(PROT_READ) of the populated region
 * @r: The region, populated and writable
 * @ns: The time of the one call
 *
 * Makes it PROT_READ|PROT_WRITE again afterwards, untimed (pages written
 * before stay writable: the kernel knows they are exclusive).
 *
 * Return: 0, or -1 with errno set.
 */
int kb_mprotect(struct kb_region *r, uint64_t *ns);

/**
 * kb_fork() - Time fork() of this process while it holds the region
 * @r: The region, or NULL to time a fork without it (the process's other
 *     memory only)
 * @ns: Time from the call to fork() until it returns in the parent, the
 *      child created (the child _exit()s at once and is waited for,
 *      untimed)
 *
 * Afterwards every page of the region is written again, untimed, so the
 * next fork finds writable entries to write-protect, as the first did.
 *
 * Return: 0, or -1 with errno set.
 */
int kb_fork(struct kb_region *r, uint64_t *ns);

/**
 * kb_mremap() - Time mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of the region
 * @r: The region
 * @off: Destination, as a byte offset from @r->base; the destination
 *       must not overlap where the region is now
 * @ns: The time of the one call
 *
 * The range left behind is reserved again, untimed.
 *
 * Return: 0, or -1 with errno set.
 */
int kb_mremap(struct kb_region *r, size_t off, uint64_t *ns);

/**
 * kb_munmap() - Time munmap() of the populated region
 * @r: The region
 * @ns: The time of the one call
 *
 * Then reserves the range again and populates the region anew at
 * @r->base, untimed.
 *
 * Return: 0, or -1 with errno set (the region may then be unpopulated).
 */
int kb_munmap(struct kb_region *r, uint64_t *ns);

#endif /* PTK_BENCH_KERNEL_H */
