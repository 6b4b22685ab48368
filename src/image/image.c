// SPDX-License-Identifier: MIT
/*
 * Memory images: raw, ELF core and LiME, as a read-only ptk_mem provider.
 *
 * Host code (mmap, malloc); not part of the freestanding core. Every
 * number read from the file is checked before it is used: offsets and
 * sizes against the file size, with overflow checks, note lengths against
 * their segment. Every refusal says why in img->err (handed to the caller
 * through struct ptk_image_opts.error): one message per cause, naming
 * what was expected and what was found.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ptkit/errors.h>
#include <ptkit/fmt.h>
#include <ptkit/image.h>

#include "image/image_int.h"

#define LIME_MAGIC 0x4C694D45u
#define LIME_HDR 32u

#define PT_LOAD 1u
#define PT_NOTE 4u
#define NT_PRSTATUS 1u
#define NT_PTKIT_TABLE 1u
#define PN_XNUM 0xffffu

/*
 * More CPU notes than this is taken as a hostile header (Linux supports
 * at most 8192 CPUs); each record costs about 200 bytes.
 */
#define MAX_CPUS 65536u

/* Missing ranges named in a PTK_ETRUNC message before "and N more". */
#define MSG_RANGES 6u

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

/* --- errors */

/* Say why, and return @code. */
static int __attribute__((format(printf, 3, 4)))
fail(struct ptk_image *img, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(img->err.msg, sizeof(img->err.msg), fmt, ap);
	va_end(ap);
	img->err.code = code;
	return code;
}

/* A system call failed: its reason, after @what if not NULL. */
static int fail_sys(struct ptk_image *img, int code, int e, const char *what)
{
	img->err.sys_errno = e;
	if (!what)
		return fail(img, code, "%s", strerror(e));
	return fail(img, code, "%s: %s", what, strerror(e));
}

/* Append to @img's message, as far as it fits. */
static void __attribute__((format(printf, 2, 3)))
more(struct ptk_image *img, const char *fmt, ...)
{
	size_t n = strlen(img->err.msg);
	va_list ap;

	if (n + 1 >= sizeof(img->err.msg))
		return;
	va_start(ap, fmt);
	vsnprintf(img->err.msg + n, sizeof(img->err.msg) - n, fmt, ap);
	va_end(ap);
}

/* "PT_LOAD segment" or "LiME range": what a struct seg's @idx counts. */
static const char *seg_noun(const struct ptk_image *img)
{
	if (img->kind == PTK_IMAGE_KDUMP)
		return "kdump page run";
	return img->kind == PTK_IMAGE_LIME ? "LiME range" : "PT_LOAD segment";
}

/* --- segments */

static int seg_push(struct ptk_image *img, struct seg_list *l,
		    const struct seg *s)
{
	if (l->nr == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct seg *n;

		if (ncap > SIZE_MAX / sizeof(*n))
			return fail(img, PTK_ENOMEM, "too many segments");
		n = realloc(l->v, ncap * sizeof(*n));
		if (!n)
			return fail_sys(img, PTK_ENOMEM, ENOMEM,
					"cannot index the segments");
		l->v = n;
		l->cap = ncap;
	}
	l->v[l->nr++] = *s;
	return 0;
}

/*
 * A run of @size bytes of memory at @pa whose bytes the headers put at
 * file offset @off. What the file holds becomes a segment; the rest is
 * recorded as missing.
 */
static int seg_add(struct ptk_image *img, size_t idx, ptk_oa_t pa,
		   uint64_t size, uint64_t off)
{
	struct seg s = { pa, size, off, NULL, NULL, idx };
	uint64_t held;
	int rc;

	if (!size)
		return 0;
	img->nr_runs++;
	if (pa + (size - 1) < pa)
		return fail(img, PTK_EBADIMAGE,
			    "%s %zu: 0x%" PRIx64 " bytes at 0x%" PRIx64
			    " run past the top of the physical address space",
			    seg_noun(img), idx, size, pa);
	if (off + (size - 1) < off)
		return fail(img, PTK_EBADIMAGE,
			    "%s %zu: 0x%" PRIx64 " bytes at file offset "
			    "0x%" PRIx64 " run past the largest offset",
			    seg_noun(img), idx, size, off);
	if (off + (size - 1) > img->want_last)
		img->want_last = off + (size - 1);
	held = off >= img->size		? 0
	       : size > img->size - off ? img->size - off
					: size;
	if (held < size) {
		struct seg m = { pa + held, size - held, off + held,
				 NULL,	    NULL,	 idx };

		rc = seg_push(img, &img->missing, &m);
		if (rc)
			return rc;
	}
	if (!held)
		return 0;
	s.size = held;
	s.ptr = img->data + off;
	return seg_push(img, &img->segs, &s);
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	if (x->pa != y->pa)
		return x->pa < y->pa ? -1 : 1;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return 0;
}

static void seg_sort(struct seg_list *l)
{
	if (l->nr) /* v may be NULL: qsort() wants a real array */
		qsort(l->v, l->nr, sizeof(*l->v), seg_cmp);
}

/*
 * A cut file: refused with the missing ranges named, unless the caller
 * asked for what there is (PTK_IMAGE_PARTIAL).
 */
static int check_missing(struct ptk_image *img)
{
	const struct seg_list *m = &img->missing;
	uint64_t bytes = 0;
	size_t i;

	if (!m->nr || (img->flags & PTK_IMAGE_PARTIAL))
		return 0;
	for (i = 0; i < m->nr; i++)
		bytes += m->v[i].size;
	/* One missing range per header: the count is the headers'. */
	fail(img, PTK_ETRUNC,
	     "cut short: the file has 0x%" PRIx64 " bytes, its headers "
	     "place memory through file offset 0x%" PRIx64 "; 0x%" PRIx64
	     " bytes of memory missing in %zu of %zu %ss:",
	     img->size, img->want_last, bytes, m->nr, img->nr_runs,
	     seg_noun(img));
	for (i = 0; i < m->nr && i < MSG_RANGES; i++)
		more(img, "%s 0x%" PRIx64 "-0x%" PRIx64, i ? "," : "",
		     m->v[i].pa, m->v[i].pa + (m->v[i].size - 1));
	if (m->nr > MSG_RANGES)
		more(img, " and %zu more", m->nr - MSG_RANGES);
	return PTK_ETRUNC;
}

/*
 * Segments whose file offset leaves their bytes misaligned for the
 * addresses they hold (tables are read as aligned 4- and 8-byte words):
 * copy them once into memory that is aligned.
 */
static int seg_align(struct ptk_image *img)
{
	size_t i;

	for (i = 0; i < img->segs.nr; i++) {
		struct seg *s = &img->segs.v[i];
		unsigned char *c;

		if (!(((uintptr_t)s->ptr - (uintptr_t)s->pa) & 7))
			continue;
		if (s->size > SIZE_MAX - 8)
			return fail(img, PTK_ENOMEM,
				    "%s %zu: 0x%" PRIx64 " bytes at an odd "
				    "file offset, too large to copy",
				    seg_noun(img), s->idx, s->size);
		c = malloc((size_t)s->size + 8);
		if (!c)
			return fail(img, PTK_ENOMEM,
				    "%s %zu: no memory to copy its 0x%" PRIx64
				    " bytes from odd file offset 0x%" PRIx64
				    " to aligned memory",
				    seg_noun(img), s->idx, s->size,
				    s->file_off);
		s->copy = c;
		/* malloc() aligns to 16: land @pa's low bits on it. */
		c += s->pa & 7;
		memcpy(c, s->ptr, (size_t)s->size);
		s->ptr = c;
	}
	return 0;
}

/* Segments @r and @s claim the same memory, and differ at @at. */
static int fail_overlap(struct ptk_image *img, const struct seg *r,
			const struct seg *s, ptk_oa_t at)
{
	return fail(img, PTK_EBADIMAGE,
		    "%ss %zu and %zu overlap with different bytes "
		    "(first difference at 0x%" PRIx64 "): "
		    "%zu holds 0x%" PRIx64 "-0x%" PRIx64 " from file offset "
		    "0x%" PRIx64 ", "
		    "%zu holds 0x%" PRIx64 "-0x%" PRIx64 " from file offset "
		    "0x%" PRIx64 "; "
		    "which one holds the memory is unknown",
		    seg_noun(img), r->idx, s->idx, at, r->idx, r->pa,
		    r->pa + (r->size - 1), r->file_off, s->idx, s->pa,
		    s->pa + (s->size - 1), s->file_off);
}

/*
 * Sort; refuse overlaps whose bytes differ, naming both; keep one copy
 * of overlaps that agree (nothing is lost); merge neighbours contiguous
 * in both address and bytes.
 *
 * Checking each segment against the one reaching furthest before it is
 * enough: any earlier segment it overlaps lies, there, inside that one,
 * whose bytes were already found to agree with it.
 */
static int seg_finish(struct ptk_image *img)
{
	struct seg_list *l = &img->segs;
	size_t i, n = 0, far = 0;

	seg_sort(l);
	for (i = 1; i < l->nr; i++) {
		const struct seg *r = &l->v[far], *s = &l->v[i];
		ptk_oa_t rlast = r->pa + (r->size - 1);
		ptk_oa_t slast = s->pa + (s->size - 1);

		if (s->pa <= rlast) {
			uint64_t len =
				(slast < rlast ? slast : rlast) - s->pa + 1;
			const unsigned char *a = r->ptr + (s->pa - r->pa);
			uint64_t k;

			if (memcmp(a, s->ptr, (size_t)len)) {
				for (k = 0; a[k] == s->ptr[k]; k++)
					;
				return fail_overlap(img, r, s, s->pa + k);
			}
		}
		if (slast > rlast)
			far = i;
	}
	for (i = 0; i < l->nr; i++) {
		struct seg s = l->v[i];

		if (n) {
			struct seg *p = &l->v[n - 1];
			ptk_oa_t plast = p->pa + (p->size - 1);

			if (s.pa <= plast) {
				uint64_t cut;

				if (s.pa + (s.size - 1) <= plast) {
					/* Inside @p: its copy (if any) goes. */
					free(s.copy);
					continue;
				}
				cut = plast - s.pa + 1;
				s.pa += cut;
				s.size -= cut;
				s.file_off += cut;
				s.ptr += cut;
			}
			if (s.pa == plast + 1 && s.ptr == p->ptr + p->size &&
			    !s.copy && !p->copy) {
				p->size += s.size;
				continue;
			}
		}
		l->v[n++] = s;
	}
	l->nr = n;
	return 0;
}

/* The segment holding @pa, or NULL. */
static const struct seg *seg_find(const struct ptk_image *img, ptk_oa_t pa)
{
	size_t lo = 0, hi = img->segs.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct seg *s = &img->segs.v[mid];

		if (pa < s->pa)
			hi = mid;
		else if (pa - s->pa >= s->size)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

const void *ptk_image_ptr(const struct ptk_image *img, ptk_oa_t pa,
			  uint64_t len)
{
	const struct seg *s;

	if (!img || !len)
		return NULL;
	s = seg_find(img, pa);
	if (!s || len > s->size - (pa - s->pa))
		return NULL;
	if (img->kd && ptk_image__kdump_fill(img, s, pa, len, NULL))
		return NULL;
	return s->ptr + (pa - s->pa);
}

int ptk_image_read(void *buf, const struct ptk_image *img, ptk_oa_t pa,
		   size_t len)
{
	unsigned char *d = buf;

	if (!img || (len && !buf))
		return PTK_EINVAL;
	if (len && pa + (len - 1) < pa)
		return PTK_EOVERFLOW;
	while (len) {
		const struct seg *s = seg_find(img, pa);
		uint64_t room;
		size_t n;

		if (!s)
			return PTK_ERANGE;
		room = s->size - (pa - s->pa);
		n = room < len ? (size_t)room : len;
		if (img->kd) {
			int rc = ptk_image__kdump_fill(img, s, pa, n, NULL);

			if (rc)
				return rc;
		}
		memcpy(d, s->ptr + (pa - s->pa), n);
		d += n;
		pa += n;
		len -= n;
	}
	return 0;
}

int ptk_image_probe(const struct ptk_image *img, ptk_oa_t pa, uint64_t len,
		    ptk_oa_t *at)
{
	if (!img)
		return PTK_EINVAL;
	while (len) {
		const struct seg *s = seg_find(img, pa);
		uint64_t room;

		if (!s) {
			if (at)
				*at = pa;
			return PTK_ERANGE;
		}
		room = s->size - (pa - s->pa);
		if (img->kd) {
			int rc = ptk_image__kdump_fill(
				img, s, pa, room < len ? room : len, at);

			if (rc)
				return rc;
		}
		if (room >= len)
			break;
		len -= room;
		if (pa + room < pa) {
			if (at)
				*at = 0;
			return PTK_ERANGE;
		}
		pa += room;
	}
	return 0;
}

/* --- the provider */

static int img_alloc(void *arg, unsigned int size_lg2, ptk_oa_t *oa_out,
		     void **ptr_out)
{
	(void)arg;
	(void)size_lg2;
	(void)oa_out;
	(void)ptr_out;
	return PTK_ENOMEM;
}

static void img_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int size_lg2)
{
	(void)arg;
	(void)oa;
	(void)ptr;
	(void)size_lg2;
}

static void *img_map(void *arg, ptk_oa_t oa, unsigned int size_lg2)
{
	const struct ptk_image *img = arg;
	const void *p;

	if (size_lg2 >= 64)
		return NULL;
	p = ptk_image_ptr(img, oa, (uint64_t)1 << size_lg2);
	/* Tables are read as aligned words; seg_align() made every
	 * segment's bytes aligned like its addresses. */
	if (((uintptr_t)p - (uintptr_t)oa) & 7)
		return NULL;
	/* The engine reads through this pointer but never writes: the
	 * provider is PTK_MEM_READONLY, so every mutation stops at the
	 * API edge with PTK_EROFS. */
	return (void *)(uintptr_t)p;
}

static const struct ptk_mem_ops img_ops = {
	.version = PTK_MEM_OPS_VERSION,
	.alloc = img_alloc,
	.free = img_free,
	.map = img_map,
};

/*
 * The provider's fast path. One segment: a linear window. Several: an
 * index of cells (struct ptk_mem_cells), 4 KiB each unless that would
 * take more than MAX_CELLS of them over the span from the first segment
 * to the last; a cell wholly inside one segment gets that segment's
 * offset, so a table in any segment converts with one load and no call.
 * The rest (cells that holes or segment ends cut, tables across cells)
 * go through img_map, which searches the segments.
 */
#define CELL_MIN_LG2 12u
#define MAX_CELLS (1u << 19)

static int mem_setup(struct ptk_image *img)
{
	const struct seg *s = img->segs.v;
	size_t n = img->segs.nr, i;
	ptk_oa_t first, last;
	unsigned int lg2 = CELL_MIN_LG2;
	uint64_t nr, c;

	img->mem.ops = &img_ops;
	img->mem.arg = img;
	img->mem.flags = PTK_MEM_READONLY;
	/* A compressed kdump's pages are decompressed when first read: every
	 * table goes through img_map, never a direct window. */
	if (!n || img->kd)
		return 0;
	if (n == 1) {
		img->mem.lin_delta = (uintptr_t)s->ptr - (uintptr_t)s->pa;
		img->mem.flags |= PTK_MEM_LINEAR;
		img->mem.lin_lo = s->pa;
		img->mem.lin_hi = s->pa + (s->size - 1);
		return 0;
	}
	first = s[0].pa;
	last = s[n - 1].pa + (s[n - 1].size - 1);
	while (lg2 < 63 && ((last >> lg2) - (first >> lg2)) >= MAX_CELLS)
		lg2++;
	nr = (last >> lg2) - (first >> lg2) + 1;
	img->cell_delta = malloc(nr * sizeof(*img->cell_delta));
	if (!img->cell_delta)
		return fail_sys(img, PTK_ENOMEM, ENOMEM,
				"cannot index the segments");
	for (c = 0; c < nr; c++)
		img->cell_delta[c] = PTK_MEM_CELL_MAP;
	img->mem.cells.base = first & ~(((ptk_oa_t)1 << lg2) - 1);
	img->mem.cells.lg2 = lg2;
	img->mem.cells.nr = nr;
	img->mem.cells.delta = img->cell_delta;
	for (i = 0; i < n; i++) {
		ptk_oa_t lo = s[i].pa, hi = s[i].pa + (s[i].size - 1);
		uintptr_t d = (uintptr_t)s[i].ptr - (uintptr_t)lo;
		uint64_t c0 = (lo - img->mem.cells.base) >> lg2;
		uint64_t c1 = (hi - img->mem.cells.base) >> lg2;

		/* Only cells the segment covers whole. */
		if (lo & (((ptk_oa_t)1 << lg2) - 1))
			c0++;
		if (~hi & (((ptk_oa_t)1 << lg2) - 1)) {
			if (!c1)
				continue;
			c1--;
		}
		for (c = c0; c <= c1 && c < nr; c++)
			img->cell_delta[c] = d;
	}
	img->mem.flags |= PTK_MEM_CELLS;
	return 0;
}

/* --- LiME */

static int parse_lime(struct ptk_image *img)
{
	uint64_t off = 0;
	size_t idx = 0;
	int rc;

	while (off < img->size) {
		const unsigned char *h = img->data + off;
		uint64_t first, last;

		if (img->size - off < LIME_HDR) {
			if (img->flags & PTK_IMAGE_PARTIAL)
				break; /* what came before is whole */
			return fail(img, PTK_ETRUNC,
				    "LiME header %zu cut short: "
				    "a header is %u bytes, "
				    "the file has 0x%" PRIx64 " bytes "
				    "left at offset 0x%" PRIx64,
				    idx, LIME_HDR, img->size - off, off);
		}
		if (le32(h) != LIME_MAGIC)
			return fail(img, PTK_EBADIMAGE,
				    "LiME header %zu at file offset 0x%" PRIx64
				    ": magic 0x%08" PRIx32 ", expected 0x%08x",
				    idx, off, le32(h), LIME_MAGIC);
		if (le32(h + 4) != 1)
			return fail(img, PTK_EBADIMAGE,
				    "LiME header %zu at file offset 0x%" PRIx64
				    ": version %" PRIu32 ", expected 1",
				    idx, off, le32(h + 4));
		first = le64(h + 8);
		last = le64(h + 16);
		if (last < first)
			return fail(img, PTK_EBADIMAGE,
				    "LiME range %zu at file offset 0x%" PRIx64
				    ": ends at 0x%" PRIx64 ", below its start "
				    "0x%" PRIx64,
				    idx, off, last, first);
		if (last - first == UINT64_MAX)
			return fail(img, PTK_EBADIMAGE,
				    "LiME range %zu at file offset 0x%" PRIx64
				    ": covers all 2^64 addresses",
				    idx, off);
		off += LIME_HDR;
		rc = seg_add(img, idx, first, last - first + 1, off);
		if (rc)
			return rc;
		if (last - first + 1 > img->size - off)
			break; /* cut short: seg_add() noted what is missing */
		off += last - first + 1;
		idx++;
	}
	return 0;
}

/* --- ELF notes */

static void cpu_reg(struct ptk_image_cpu *c, const char *name, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < c->nr_regs; i++)
		if (!strcmp(c->regs[i].name, name))
			return; /* the first note that carries it wins */
	if (c->nr_regs < PTK_IMAGE_MAX_REGS) {
		c->regs[c->nr_regs].name = name;
		c->regs[c->nr_regs].value = v;
		c->nr_regs++;
	}
}

/*
 * CPU records are made by the first note of each kind: the Nth PRSTATUS
 * and the Nth QEMU note describe CPU N.
 */
static int cpu_slot(struct ptk_image *img, size_t n, struct ptk_image_cpu **out)
{
	if (n >= MAX_CPUS)
		return fail(img, PTK_EBADIMAGE,
			    "more than %u CPU notes: ptkit reads at most "
			    "that many CPUs",
			    MAX_CPUS);
	while (img->nr_cpus <= n) {
		struct ptk_image_cpu *c;

		if (img->nr_cpus == img->cpu_cap) {
			size_t ncap = img->cpu_cap ? img->cpu_cap * 2 : 8;
			struct ptk_image_cpu *p =
				realloc(img->cpus, ncap * sizeof(*p));

			if (!p)
				return fail_sys(img, PTK_ENOMEM, ENOMEM,
						"cannot record the CPUs");
			img->cpus = p;
			img->cpu_cap = ncap;
		}
		c = &img->cpus[img->nr_cpus];
		memset(c, 0, sizeof(*c));
		c->index = (unsigned int)img->nr_cpus;
		c->arch = img->machine;
		img->nr_cpus++;
	}
	*out = &img->cpus[n];
	return 0;
}

/*
 * QEMU's x86 per-CPU note (QEMUCPUState): u32 version, u32 size, 16
 * general registers, rip, rflags, 10 segment descriptors of 24 bytes,
 * then cr[0..4].
 */
#define QEMU_X86_RIP (8 + 16 * 8)
#define QEMU_X86_CR (8 + 18 * 8 + 10 * 24)

static void note_qemu(struct ptk_image_cpu *c, const unsigned char *d,
		      uint64_t n)
{
	if (n < QEMU_X86_CR + 5 * 8)
		return;
	cpu_reg(c, "cr3", le64(d + QEMU_X86_CR + 3 * 8));
	cpu_reg(c, "cr0", le64(d + QEMU_X86_CR));
	cpu_reg(c, "cr4", le64(d + QEMU_X86_CR + 4 * 8));
	cpu_reg(c, "cr2", le64(d + QEMU_X86_CR + 2 * 8));
	cpu_reg(c, "rip", le64(d + QEMU_X86_RIP));
}

/*
 * NT_PRSTATUS (struct elf_prstatus): the thread id at offset 32 (24 for
 * 32-bit machines), the register set at 112 (72). Register order is the
 * architecture's user_regs_struct.
 */
static void note_prstatus(struct ptk_image_cpu *c, unsigned int machine,
			  bool is64, const unsigned char *d, uint64_t n)
{
	const unsigned char *r;

	/* QEMU writes i386 cores as ELF64 with 32-bit notes. */
	if (!is64 || machine == PTK_IMAGE_ARCH_I386) {
		if (n < 72 + 17 * 4)
			return;
		c->pid = le32(d + 24);
		r = d + 72;
		if (machine == PTK_IMAGE_ARCH_I386) {
			cpu_reg(c, "eip", le32(r + 12 * 4));
			cpu_reg(c, "esp", le32(r + 15 * 4));
		}
		return;
	}
	if (n < 112 + 8)
		return;
	c->pid = le32(d + 32);
	r = d + 112;
	n -= 112;
	switch (machine) {
	case PTK_IMAGE_ARCH_X86_64:
		if (n >= 27 * 8) {
			cpu_reg(c, "rip", le64(r + 16 * 8));
			cpu_reg(c, "rsp", le64(r + 19 * 8));
		}
		break;
	case PTK_IMAGE_ARCH_AARCH64:
		if (n >= 34 * 8) {
			cpu_reg(c, "pc", le64(r + 32 * 8));
			cpu_reg(c, "sp", le64(r + 31 * 8));
			cpu_reg(c, "pstate", le64(r + 33 * 8));
		}
		break;
	case PTK_IMAGE_ARCH_RISCV:
		if (n >= 32 * 8) {
			cpu_reg(c, "pc", le64(r));
			cpu_reg(c, "sp", le64(r + 2 * 8));
		}
		break;
	default:
		break;
	}
}

struct note_count {
	size_t pr;
	size_t qemu;
	size_t ptkit;
};

/*
 * The "PTKIT" note `ptkit snapshot` writes (docs/IMAGES.md): u32 version
 * (1), u32 root index (0), u64 root register value, u64 root table
 * address, u64 pid, then the format's name, NUL-terminated in 32 bytes.
 * It makes a CPU record (the Nth PTKIT note describes CPU N) carrying
 * the register as "root"; the first note is the image's table.
 */
#define PTKIT_NOTE_SIZE (32 + PTK_IMAGE_FMT_NAME_MAX)

static int note_ptkit(struct ptk_image *img, struct ptk_image_cpu *c, size_t k,
		      size_t phidx, const unsigned char *d, uint64_t n)
{
	struct ptk_image_ptkit *t = &img->ptkit;
	const unsigned char *name = d + 32;

	if (n < PTKIT_NOTE_SIZE)
		return fail(img, PTK_EBADIMAGE,
			    "PTKIT note %zu of PT_NOTE segment %zu: "
			    "descriptor of %" PRIu64 " bytes, version 1 has %u",
			    k, phidx, n, PTKIT_NOTE_SIZE);
	if (le32(d) != 1 || le32(d + 4) != 0)
		return fail(img, PTK_EBADIMAGE,
			    "PTKIT note %zu of PT_NOTE segment %zu: version "
			    "%" PRIu32 ", root %" PRIu32 "; ptkit reads "
			    "version 1, root 0",
			    k, phidx, le32(d), le32(d + 4));
	if (!memchr(name, 0, PTK_IMAGE_FMT_NAME_MAX) || !name[0])
		return fail(img, PTK_EBADIMAGE,
			    "PTKIT note %zu of PT_NOTE segment %zu: the "
			    "format name is empty or not NUL-terminated "
			    "within %u bytes",
			    k, phidx, PTK_IMAGE_FMT_NAME_MAX);
	c->pid = le64(d + 24);
	cpu_reg(c, "root", le64(d + 8));
	if (img->have_ptkit)
		return 0; /* the first note names the image's table */
	memcpy(t->format, name, PTK_IMAGE_FMT_NAME_MAX);
	t->root_reg = le64(d + 8);
	t->root_oa = le64(d + 16);
	t->pid = le64(d + 24);
	t->cpu = c->index;
	img->have_ptkit = true;
	return 0;
}

static int parse_notes(struct ptk_image *img, bool is64, size_t phidx,
		       uint64_t off, uint64_t len, struct note_count *nc)
{
	const unsigned char *p;
	uint64_t i = 0;
	size_t k = 0;
	int rc;

	if (off > img->size || len > img->size - off)
		return fail(img, PTK_ETRUNC,
			    "PT_NOTE segment %zu cut short: 0x%" PRIx64
			    " bytes at file offset 0x%" PRIx64 ", the file has "
			    "0x%" PRIx64,
			    phidx, len, off, img->size);
	p = img->data + off;
	for (; len - i >= 12; k++) {
		uint32_t namesz = le32(p + i), descsz = le32(p + i + 4);
		uint32_t type = le32(p + i + 8);
		uint64_t name_off = i + 12;
		uint64_t desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
		uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
		const unsigned char *name = p + name_off;
		struct ptk_image_cpu *c;

		if (desc_off > len || descsz > len - desc_off)
			return fail(img, PTK_EBADIMAGE,
				    "note %zu of PT_NOTE segment %zu (file "
				    "offset 0x%" PRIx64 "): name of %" PRIu32
				    " and descriptor of %" PRIu32 " bytes run "
				    "past the segment's 0x%" PRIx64 " bytes",
				    k, phidx, off + i, namesz, descsz, len);
		if (namesz == 5 && !memcmp(name, "CORE", 5) &&
		    type == NT_PRSTATUS) {
			rc = cpu_slot(img, nc->pr++, &c);
			if (rc)
				return rc;
			note_prstatus(c, img->machine, is64, p + desc_off,
				      descsz);
		} else if (namesz == 11 && !memcmp(name, "VMCOREINFO", 11)) {
			rc = ptk_image__set_vmcoreinfo(img, p + desc_off,
						       descsz);
			if (rc)
				return rc;
		} else if (namesz == 5 && !memcmp(name, "QEMU", 5) &&
			   (img->machine == PTK_IMAGE_ARCH_X86_64 ||
			    img->machine == PTK_IMAGE_ARCH_I386)) {
			rc = cpu_slot(img, nc->qemu++, &c);
			if (rc)
				return rc;
			note_qemu(c, p + desc_off, descsz);
		} else if (namesz == 6 && !memcmp(name, "PTKIT", 6) &&
			   type == NT_PTKIT_TABLE) {
			rc = cpu_slot(img, nc->ptkit++, &c);
			if (!rc)
				rc = note_ptkit(img, c, (size_t)k, phidx,
						p + desc_off, descsz);
			if (rc)
				return rc;
		}
		if (next > len)
			break;
		i = next;
	}
	return 0;
}

int ptk_image__notes(struct ptk_image *img, bool is64, size_t idx, uint64_t off,
		     uint64_t len)
{
	struct note_count nc = { 0, 0, 0 };

	return parse_notes(img, is64, idx, off, len, &nc);
}

int ptk_image__seg_push(struct ptk_image *img, struct seg_list *l,
			const struct seg *s)
{
	return seg_push(img, l, s);
}

int ptk_image__set_vmcoreinfo(struct ptk_image *img, const unsigned char *p,
			      uint64_t len)
{
	if (img->vmcoreinfo || !len)
		return 0;
	if (len > (64u << 10))
		len = 64u << 10; /* VMCOREINFO is a few KiB of text */
	img->vmcoreinfo = malloc((size_t)len + 1);
	if (!img->vmcoreinfo)
		return fail_sys(img, PTK_ENOMEM, ENOMEM,
				"cannot keep the VMCOREINFO note");
	memcpy(img->vmcoreinfo, p, (size_t)len);
	img->vmcoreinfo[len] = 0;
	/* The text ends at its first NUL (a descriptor may be padded). */
	img->vmcoreinfo_len = strlen(img->vmcoreinfo);
	return 0;
}

const char *ptk_image_vmcoreinfo(const struct ptk_image *img, size_t *len)
{
	if (!img || !img->vmcoreinfo)
		return NULL;
	if (len)
		*len = img->vmcoreinfo_len;
	return img->vmcoreinfo;
}

/* --- ELF */

/*
 * e_phnum == PN_XNUM: more than 65534 program headers; the count is
 * section header 0's sh_info.
 */
static int elf_xnum(struct ptk_image *img, bool is64, uint64_t *phnum)
{
	const unsigned char *e = img->data;
	uint64_t shoff = is64 ? le64(e + 40) : le32(e + 32);
	unsigned int shentsize = le16(e + (is64 ? 58 : 46));
	unsigned int want = is64 ? 64 : 40, info = is64 ? 44 : 28;

	if (!shoff)
		return fail(img, PTK_EBADIMAGE,
			    "e_phnum is PN_XNUM (0xffff), but e_shoff is 0: "
			    "no section header 0 holds the program header "
			    "count");
	if (shentsize < want)
		return fail(img, PTK_EBADIMAGE,
			    "e_phnum is PN_XNUM (0xffff), but e_shentsize is "
			    "%u: a section header is %u bytes",
			    shentsize, want);
	if (shoff > img->size || img->size - shoff < want)
		return fail(img, PTK_ETRUNC,
			    "e_phnum is PN_XNUM (0xffff): the count is in "
			    "section header 0 at file offset 0x%" PRIx64
			    ", past the end of the file (0x%" PRIx64 " bytes)",
			    shoff, img->size);
	*phnum = le32(e + shoff + info);
	return 0;
}

static int parse_elf(struct ptk_image *img)
{
	const unsigned char *e = img->data;
	struct note_count nc = { 0, 0, 0 };
	uint64_t phoff, phnum, i;
	unsigned int phentsize, hdr, want;
	bool is64;
	int rc;

	if (img->size < 6)
		return fail(img, PTK_ETRUNC,
			    "ELF header cut short: the file has %" PRIu64
			    " bytes, an ELF header at least 52",
			    img->size);
	if (e[4] != 1 && e[4] != 2)
		return fail(img, PTK_EBADIMAGE,
			    "ELF class %u unknown: expected 1 (ELFCLASS32) "
			    "or 2 (ELFCLASS64)",
			    e[4]);
	if (e[5] == 2)
		return fail(img, PTK_ENOTSUP,
			    "big-endian ELF (EI_DATA 2): ptkit reads "
			    "little-endian cores only");
	if (e[5] != 1)
		return fail(img, PTK_EBADIMAGE,
			    "ELF data encoding %u unknown: "
			    "expected 1 (little endian)",
			    e[5]);
	is64 = e[4] == 2;
	hdr = is64 ? 64 : 52;
	if (img->size < hdr)
		return fail(img, PTK_ETRUNC,
			    "ELF header cut short: an ELF%s header is %u "
			    "bytes, the file has %" PRIu64,
			    is64 ? "64" : "32", hdr, img->size);
	img->machine = le16(e + 18);
	if (is64) {
		phoff = le64(e + 32);
		phentsize = le16(e + 54);
		phnum = le16(e + 56);
	} else {
		phoff = le32(e + 28);
		phentsize = le16(e + 42);
		phnum = le16(e + 44);
	}
	if (phnum == PN_XNUM) {
		rc = elf_xnum(img, is64, &phnum);
		if (rc)
			return rc;
	}
	want = is64 ? 56 : 32;
	if (phnum && phentsize < want)
		return fail(img, PTK_EBADIMAGE,
			    "e_phentsize is %u: "
			    "an ELF%s program header is %u bytes",
			    phentsize, is64 ? "64" : "32", want);
	if (phnum &&
	    (phoff > img->size || phnum * phentsize > img->size - phoff))
		return fail(img, PTK_ETRUNC,
			    "program headers cut short: %" PRIu64 " headers "
			    "of %u bytes at file offset 0x%" PRIx64 " need "
			    "0x%" PRIx64 " bytes, the file has 0x%" PRIx64,
			    phnum, phentsize, phoff, phoff + phnum * phentsize,
			    img->size);
	for (i = 0; i < phnum; i++) {
		const unsigned char *ph = e + phoff + i * phentsize;
		uint32_t type = le32(ph);
		uint64_t off, pa, filesz;

		if (is64) {
			off = le64(ph + 8);
			pa = le64(ph + 24);
			filesz = le64(ph + 32);
		} else {
			off = le32(ph + 4);
			pa = le32(ph + 12);
			filesz = le32(ph + 16);
		}
		if (type == PT_LOAD)
			rc = seg_add(img, (size_t)i, pa, filesz, off);
		else if (type == PT_NOTE)
			rc = parse_notes(img, is64, (size_t)i, off, filesz,
					 &nc);
		else
			rc = 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* --- open / close */

/* Compressed files, by their magic numbers. */
static const struct {
	const char *name;
	const char *tool;
	unsigned int len;
	unsigned char magic[6];
} compressed[] = {
	{ "a gzip", "gunzip -k", 2, { 0x1f, 0x8b } },
	{ "an xz", "unxz -k", 6, { 0xfd, '7', 'z', 'X', 'Z', 0 } },
	{ "a zstd", "unzstd", 4, { 0x28, 0xb5, 0x2f, 0xfd } },
	{ "a bzip2", "bunzip2 -k", 3, { 'B', 'Z', 'h' } },
	{ "an lz4", "unlz4", 4, { 0x04, 0x22, 0x4d, 0x18 } },
};

static int image_setup(struct ptk_image *img, const struct ptk_image_opts *o)
{
	size_t i;
	int rc;

	img->flags = o ? o->flags : 0;
	if (!img->size)
		return fail(img, PTK_EBADIMAGE,
			    "empty (0 bytes): expected an ELF core, a LiME "
			    "dump or raw memory");
	if (!(img->flags & PTK_IMAGE_FORCE_RAW)) {
		for (i = 0; i < sizeof(compressed) / sizeof(compressed[0]); i++)
			if (img->size >= compressed[i].len &&
			    !memcmp(img->data, compressed[i].magic,
				    compressed[i].len))
				return fail(img, PTK_ECOMPRESSED,
					    "this is %s file, not memory: "
					    "decompress it first (%s)",
					    compressed[i].name,
					    compressed[i].tool);
		if (img->size >= 4 && !memcmp(img->data, "\177ELF", 4)) {
			img->kind = PTK_IMAGE_ELF;
			rc = parse_elf(img);
			goto done;
		}
		if (img->size >= 4 && le32(img->data) == LIME_MAGIC) {
			img->kind = PTK_IMAGE_LIME;
			rc = parse_lime(img);
			goto done;
		}
		if ((img->size >= 8 && (!memcmp(img->data, "KDUMP   ", 8) ||
					!memcmp(img->data, "DISKDUMP", 8))) ||
		    (img->size >= 12 &&
		     !memcmp(img->data, "makedumpfile", 12))) {
			img->kind = PTK_IMAGE_KDUMP;
			rc = ptk_image__parse_kdump(img);
			goto done;
		}
	}
	img->kind = PTK_IMAGE_RAW;
	rc = seg_add(img, 0, o ? o->base : 0, img->size, 0);
done:
	if (!rc) {
		seg_sort(&img->missing);
		rc = check_missing(img);
	}
	if (!rc)
		rc = seg_align(img);
	if (!rc)
		rc = seg_finish(img);
	if (!rc)
		rc = mem_setup(img);
	return rc;
}

/* Hand the outcome to the caller's error struct. */
static int image_done(struct ptk_image *img, struct ptk_image **out,
		      const struct ptk_image_opts *opts, int rc)
{
	if (opts && opts->error) {
		*opts->error = img->err;
		opts->error->code = rc;
		if (!rc) {
			opts->error->sys_errno = 0;
			opts->error->msg[0] = '\0';
		} else if (!opts->error->msg[0]) {
			snprintf(opts->error->msg, sizeof(opts->error->msg),
				 "%s", ptk_strerror(rc));
		}
	}
	if (rc) {
		ptk_image_close(img);
		return rc;
	}
	*out = img;
	return 0;
}

/* Before there is an image to hold the reason. */
static int early_fail(const struct ptk_image_opts *opts, int rc, int e,
		      const char *msg)
{
	if (opts && opts->error) {
		opts->error->code = rc;
		opts->error->sys_errno = e;
		snprintf(opts->error->msg, sizeof(opts->error->msg), "%s", msg);
	}
	return rc;
}

int ptk_image_open_mem(struct ptk_image **out, const void *buf, size_t size,
		       const struct ptk_image_opts *opts)
{
	struct ptk_image *img;

	if (!out || (!buf && size))
		return early_fail(opts, PTK_EINVAL, 0,
				  !out ? "no place for the image (out is NULL)"
				       : "no buffer (NULL) for a non-zero "
					 "size");
	*out = NULL;
	img = calloc(1, sizeof(*img));
	if (!img)
		return early_fail(opts, PTK_ENOMEM, ENOMEM,
				  "cannot allocate the image");
	img->data = buf;
	img->size = size;
	return image_done(img, out, opts, image_setup(img, opts));
}

/* Why @st is no file to map, or NULL when it is one. */
static const char *not_regular(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return NULL;
	if (S_ISDIR(st->st_mode))
		return "is a directory, not an image file";
	if (S_ISFIFO(st->st_mode))
		return "is a FIFO (named pipe), not a regular file: images "
		       "are mapped, not streamed; save it to a file first";
	if (S_ISCHR(st->st_mode))
		return "is a character device, not a regular file: copy the "
		       "memory into a file first";
	if (S_ISBLK(st->st_mode))
		return "is a block device, not a regular file: copy it into "
		       "a file first";
	if (S_ISSOCK(st->st_mode))
		return "is a socket, not a regular file";
	return "is not a regular file";
}

static int file_map(struct ptk_image *img, const char *path)
{
	const char *why;
	struct stat st;
	void *m;
	int fd, e;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail_sys(img, PTK_EFILE, errno, NULL);
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		return fail_sys(img, PTK_EFILE, e, "cannot stat");
	}
	why = not_regular(&st);
	if (why) {
		close(fd);
		img->err.sys_errno = S_ISDIR(st.st_mode) ? EISDIR : 0;
		return fail(img, PTK_EFILE, "%s", why);
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return fail(img, PTK_EFILE,
			    "0x%" PRIx64 " bytes do not fit in this "
			    "process's address space",
			    (uint64_t)st.st_size);
	}
	if (!st.st_size) {
		close(fd);
		return 0; /* image_setup() says it is empty */
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (m == MAP_FAILED)
		return fail_sys(img, PTK_EFILE, e, "cannot map the file");
	img->map_addr = m;
	img->map_len = (size_t)st.st_size;
	img->data = m;
	img->size = (uint64_t)st.st_size;
	return 0;
}

int ptk_image_open(struct ptk_image **out, const char *path,
		   const struct ptk_image_opts *opts)
{
	struct ptk_image *img;
	int rc;

	if (!out || !path)
		return early_fail(opts, PTK_EINVAL, 0,
				  !out ? "no place for the image (out is NULL)"
				       : "no file name (NULL)");
	*out = NULL;
	img = calloc(1, sizeof(*img));
	if (!img)
		return early_fail(opts, PTK_ENOMEM, ENOMEM,
				  "cannot allocate the image");
	rc = file_map(img, path);
	if (!rc)
		rc = image_setup(img, opts);
	return image_done(img, out, opts, rc);
}

static void seg_free(struct seg_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->v[i].copy);
	free(l->v);
}

void ptk_image_close(struct ptk_image *img)
{
	if (!img)
		return;
	if (img->map_addr)
		munmap(img->map_addr, img->map_len);
	ptk_image__kdump_free(img);
	free(img->vmcoreinfo);
	seg_free(&img->segs);
	free(img->missing.v);
	free(img->cpus);
	free(img->cell_delta);
	free(img);
}

enum ptk_image_kind ptk_image_kind(const struct ptk_image *img)
{
	return img->kind;
}

const char *ptk_image_kind_name(enum ptk_image_kind kind)
{
	switch (kind) {
	case PTK_IMAGE_RAW:
		return "raw";
	case PTK_IMAGE_ELF:
		return "elf";
	case PTK_IMAGE_LIME:
		return "lime";
	case PTK_IMAGE_KDUMP:
		return "kdump";
	}
	return "?";
}

unsigned int ptk_image_machine(const struct ptk_image *img)
{
	return img->machine;
}

static int seg_out(struct ptk_image_seg *out, const struct seg_list *l,
		   size_t i)
{
	if (!out || i >= l->nr)
		return PTK_ERANGE;
	out->pa = l->v[i].pa;
	out->size = l->v[i].size;
	out->file_off = l->v[i].file_off;
	return 0;
}

size_t ptk_image_nr_segs(const struct ptk_image *img)
{
	return img->segs.nr;
}

int ptk_image_seg(struct ptk_image_seg *out, const struct ptk_image *img,
		  size_t i)
{
	return img ? seg_out(out, &img->segs, i) : PTK_ERANGE;
}

size_t ptk_image_nr_missing(const struct ptk_image *img)
{
	return img->missing.nr;
}

int ptk_image_missing(struct ptk_image_seg *out, const struct ptk_image *img,
		      size_t i)
{
	return img ? seg_out(out, &img->missing, i) : PTK_ERANGE;
}

size_t ptk_image_nr_cpus(const struct ptk_image *img)
{
	return img->nr_cpus;
}

const struct ptk_image_cpu *ptk_image_cpu(const struct ptk_image *img, size_t i)
{
	if (!img || i >= img->nr_cpus)
		return NULL;
	return &img->cpus[i];
}

int ptk_image_cpu_reg(uint64_t *out, const struct ptk_image_cpu *cpu,
		      const char *name)
{
	unsigned int i;

	if (!cpu || !name)
		return PTK_EINVAL;
	for (i = 0; i < cpu->nr_regs; i++)
		if (!strcmp(cpu->regs[i].name, name)) {
			if (out)
				*out = cpu->regs[i].value;
			return 0;
		}
	return PTK_ENOENT;
}

int ptk_image_ptkit(struct ptk_image_ptkit *out, const struct ptk_image *img)
{
	if (!out || !img)
		return PTK_EINVAL;
	if (!img->have_ptkit)
		return PTK_ENOENT;
	*out = img->ptkit;
	return 0;
}

int ptk_image_cpu_root(uint64_t *out, const struct ptk_image *img, size_t cpu,
		       const struct ptk_fmt *f)
{
	const struct ptk_image_cpu *c = ptk_image_cpu(img, cpu);
	const char *note;

	if (!c || !f)
		return PTK_EINVAL;
	note = ptk_fmt_arch(f)->note_root;
	if (note && !ptk_image_cpu_reg(out, c, note))
		return 0;
	/* A PTKIT note's root is the register of the format it names. */
	if (img->have_ptkit && img->ptkit.cpu == cpu &&
	    !strcmp(img->ptkit.format, f->name))
		return ptk_image_cpu_reg(out, c, "root");
	return PTK_ENOENT;
}

const struct ptk_mem *ptk_image_mem(const struct ptk_image *img)
{
	return &img->mem;
}
