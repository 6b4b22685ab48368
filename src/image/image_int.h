/* SPDX-License-Identifier: MIT */
/*
 * What the image readers share inside src/image (image.c, kdump.c): the
 * image itself, its segments, and the helpers a reader calls. Not a
 * public header.
 */
#ifndef PTK_IMAGE_INT_H
#define PTK_IMAGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ptkit/image.h>

struct kdump;

/*
 * One run of memory. @idx numbers it as its header does (the PT_LOAD's
 * program header, the LiME range), for messages; @ptr is where its bytes
 * are: in the file, or in @copy when the file's were misaligned.
 */
struct seg {
	ptk_oa_t pa;
	uint64_t size;
	uint64_t file_off;
	const unsigned char *ptr;
	unsigned char *copy;
	size_t idx;
};

struct seg_list {
	struct seg *v;
	size_t nr;
	size_t cap;
};

struct ptk_image {
	struct ptk_mem mem;
	enum ptk_image_kind kind;
	unsigned int machine;
	unsigned int flags; /* PTK_IMAGE_* from the options */
	const unsigned char *data;
	uint64_t size;
	void *map_addr; /* non-NULL when we mmap'ed the file */
	size_t map_len;
	struct seg_list segs;
	struct seg_list missing; /* promised by headers, not in the file */
	uint64_t want_last; /* the last file offset the headers promise */
	size_t nr_runs; /* PT_LOADs or LiME ranges with memory */
	struct ptk_image_cpu *cpus;
	size_t nr_cpus;
	size_t cpu_cap;
	uintptr_t *cell_delta; /* the provider's cells, several segments */
	struct kdump *kd; /* a compressed kdump's pages (kdump.c), or NULL */
	char *vmcoreinfo; /* VMCOREINFO text, NUL-terminated, or NULL */
	struct ptk_image_ptkit ptkit; /* the PTKIT note (ptkit snapshot) */
	bool have_ptkit;
	size_t vmcoreinfo_len;
	struct ptk_image_error err;
};

/* image.c: push a segment (or a missing range) onto a list. */
int ptk_image__seg_push(struct ptk_image *img, struct seg_list *l,
			const struct seg *s);

/* image.c: read a run of ELF notes (the CPUs' registers, VMCOREINFO). */
int ptk_image__notes(struct ptk_image *img, bool is64, size_t idx, uint64_t off,
		     uint64_t len);

/* image.c: keep a copy of VMCOREINFO text (the first one found wins). */
int ptk_image__set_vmcoreinfo(struct ptk_image *img, const unsigned char *p,
			      uint64_t len);

/* kdump.c: read a compressed kdump (makedumpfile's, QEMU's -z). */
int ptk_image__parse_kdump(struct ptk_image *img);

/*
 * kdump.c: make [pa, pa + len) of segment @s readable (decompress its
 * pages once); 0, or PTK_EDECOMPRESS with *@at the first address that
 * is not.
 */
int ptk_image__kdump_fill(const struct ptk_image *img, const struct seg *s,
			  ptk_oa_t pa, uint64_t len, ptk_oa_t *at);

/* kdump.c: release what ptk_image__parse_kdump() made. */
void ptk_image__kdump_free(struct ptk_image *img);

#endif /* PTK_IMAGE_INT_H */
