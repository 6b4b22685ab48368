// SPDX-License-Identifier: MIT
/*
 * The kernel baseline of `ptkit bench`: mprotect, fork, mremap and munmap
 * of a populated anonymous region of 4 KiB pages, one timed call at a
 * time.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_kernel.h"

#define KB_ALIGN (1ull << 30)
#define KB_PAGE 4096ull

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

static uint64_t kb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void kb_thp_mode(char *buf, size_t size)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f || !fgets(buf, (int)size, f))
		snprintf(buf, size, "unknown");
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

long kb_huge_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "AnonHugePages:", 14))
			kib = atol(line + 14);
	if (f)
		fclose(f);
	return kib;
}

/* Hold [@at, @at + @len) with an inaccessible, unpopulated mapping. */
static int kb_reserve(unsigned char *at, size_t len)
{
	void *p = mmap(at, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		       -1, 0);

	return p == MAP_FAILED ? -1 : 0;
}

/* Write one byte of every page: each entry present, dirty and writable. */
static void kb_touch(unsigned char *p, size_t len)
{
	volatile unsigned char *v = p;
	size_t off;

	for (off = 0; off < len; off += KB_PAGE)
		v[off] = (unsigned char)(off >> 12);
}

/*
 * Map the region at @r->base with 4 KiB pages only: MADV_NOHUGEPAGE
 * before anything is populated, then populated for writing.
 */
static int kb_populate(struct kb_region *r, const char **why)
{
	void *p = mmap(r->base, r->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED) {
		*why = "mmap of the region";
		return -1;
	}
	r->cur = r->base;
	r->populated = 1;
	if (madvise(r->base, r->len, MADV_NOHUGEPAGE)) {
		*why = "madvise(MADV_NOHUGEPAGE)";
		return -1;
	}
	if (madvise(r->base, r->len, MADV_POPULATE_WRITE)) {
		if (errno != EINVAL) {
			*why = "madvise(MADV_POPULATE_WRITE)";
			return -1;
		}
		kb_touch(r->base, r->len); /* before Linux 5.14 */
	}
	return 0;
}

int kb_open(struct kb_region *r, size_t len, const char **why)
{
	uintptr_t a;
	void *p;

	memset(r, 0, sizeof(*r));
	r->len = len;
	r->res_len = 5 * len + KB_ALIGN;
	p = mmap(NULL, r->res_len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		*why = "reserving address space";
		r->res = NULL;
		return -1;
	}
	r->res = p;
	a = ((uintptr_t)p + KB_ALIGN - 1) & ~(uintptr_t)(KB_ALIGN - 1);
	r->base = (unsigned char *)a;
	r->cur = r->base;
	return kb_populate(r, why);
}

void kb_close(struct kb_region *r)
{
	if (r->res)
		munmap(r->res, r->res_len);
	memset(r, 0, sizeof(*r));
}

int kb_mprotect(struct kb_region *r, uint64_t *ns)
{
	uint64_t t0 = kb_now();

	if (mprotect(r->cur, r->len, PROT_READ))
		return -1;
	*ns = kb_now() - t0;
	return mprotect(r->cur, r->len, PROT_READ | PROT_WRITE);
}

int kb_fork(struct kb_region *r, uint64_t *ns)
{
	int status;
	uint64_t t0 = kb_now();
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	*ns = kb_now() - t0;
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		errno = ECHILD;
		return -1;
	}
	if (r)
		kb_touch(r->cur, r->len);
	return 0;
}

int kb_mremap(struct kb_region *r, size_t off, uint64_t *ns)
{
	unsigned char *to = r->base + off;
	uint64_t t0 = kb_now();
	void *p = mremap(r->cur, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED,
			 to);

	*ns = kb_now() - t0;
	if (p == MAP_FAILED)
		return -1;
	if (kb_reserve(r->cur, r->len))
		return -1;
	r->cur = to;
	return 0;
}

int kb_munmap(struct kb_region *r, uint64_t *ns)
{
	const char *why;
	uint64_t t0 = kb_now();

	if (munmap(r->cur, r->len))
		return -1;
	*ns = kb_now() - t0;
	r->populated = 0;
	if (kb_reserve(r->cur, r->len))
		return -1;
	return kb_populate(r, &why);
}
