// SPDX-License-Identifier: MIT
/*
 * Compressed kdump images: makedumpfile's "KDUMP" format (which crash
 * reads) and QEMU's dump-guest-memory -z (kdump-zlib, kdump-lzo,
 * kdump-snappy: the same container).
 *
 * The file: a header block (struct disk_dump_header: signature, version,
 * utsname, the block size, the bitmap size, the highest PFN), a sub-header
 * (phys_base, dump level, where the ELF notes and VMCOREINFO are), two
 * bitmaps of max_mapnr bits (the second says which pages are in the
 * dump), then one 24-byte page descriptor per dumped page in PFN order
 * (file offset, size, compression flags), then the pages' data. Both
 * header layouts exist: 32-bit writers pad the timestamp to 4 bytes,
 * 64-bit ones to 8.
 *
 * Pages are decompressed when first read, into an anonymous mapping with
 * one page-sized slot per dumped page, so an image much larger than
 * memory can be opened and only what is read costs memory. The
 * decompressors are the system's own libraries, loaded when a page needs
 * them (zlib, LZO, snappy, zstd): none is a build dependency, and a page
 * whose library is missing is named like any page that does not
 * decompress (ptk_image_page_error()).
 */
#define _DEFAULT_SOURCE
#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ptkit/errors.h>
#include <ptkit/image.h>

#include "image/image_int.h"

/* Page descriptor flags. */
#define DH_ZLIB 0x1u
#define DH_LZO 0x2u
#define DH_SNAPPY 0x4u
#define DH_ZSTD 0x20u
#define DH_COMPRESSED (DH_ZLIB | DH_LZO | DH_SNAPPY | DH_ZSTD)

#define PD_SIZE 24u /* struct page_desc */
#define MAX_ERRS 1024u /* page errors kept with their reason */

/* What a page's state byte says. */
enum { PG_NEW = 0, PG_READY = 1, PG_FAILED = 2 };

enum codec { C_ZLIB, C_LZO, C_SNAPPY, C_ZSTD, NR_CODECS };

static const struct {
	const char *name;
	const char *lib;
	const char *package; /* Debian's */
} codecs[NR_CODECS] = {
	{ "zlib", "libz.so.1", "zlib1g" },
	{ "lzo", "liblzo2.so.2", "liblzo2-2" },
	{ "snappy", "libsnappy.so.1", "libsnappy1v5" },
	{ "zstd", "libzstd.so.1", "libzstd1" },
};

typedef int (*zlib_uncompress_fn)(unsigned char *dst, unsigned long *dlen,
				  const unsigned char *src, unsigned long slen);
typedef int (*lzo_decompress_fn)(const unsigned char *src, unsigned long slen,
				 unsigned char *dst, unsigned long *dlen,
				 void *wrk);
typedef int (*snappy_uncompress_fn)(const char *src, size_t slen, char *dst,
				    size_t *dlen);
typedef size_t (*zstd_decompress_fn)(void *dst, size_t cap, const void *src,
				     size_t slen);
typedef unsigned int (*zstd_is_error_fn)(size_t code);
typedef const char *(*zstd_error_name_fn)(size_t code);

struct kdump {
	unsigned char *flat; /* a flattened file, rearranged, or NULL */
	size_t flat_len;
	unsigned char *area; /* one slot of @block bytes per dumped page */
	size_t area_len;
	uint64_t nr; /* dumped pages */
	uint32_t block; /* the page size */
	uint64_t pd_off; /* the page descriptors' file offset */
	uint8_t *state; /* per dumped page: PG_* */
	pthread_mutex_t lock;
	struct ptk_image_page_error *errs;
	size_t nr_kept;
	size_t nr_errs;
	void *lib[NR_CODECS];
	bool tried[NR_CODECS];
	/* The decompressors, once loaded. */
	zlib_uncompress_fn zlib;
	lzo_decompress_fn lzo;
	snappy_uncompress_fn snappy;
	zstd_decompress_fn zstd;
	zstd_is_error_fn zstd_is_error;
	zstd_error_name_fn zstd_error_name;
};

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

static int __attribute__((format(printf, 3, 4)))
kfail(struct ptk_image *img, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(img->err.msg, sizeof(img->err.msg), fmt, ap);
	va_end(ap);
	img->err.code = code;
	return code;
}

/* --- the decompressors */

static void *sym(void *h, const char *name)
{
	return h ? dlsym(h, name) : NULL;
}

/* Load codec @c's library once; false when the system has none. */
static bool codec_load(struct kdump *kd, enum codec c)
{
	void *p;

	if (kd->tried[c])
		return kd->lib[c] != NULL;
	kd->tried[c] = true;
	kd->lib[c] = dlopen(codecs[c].lib, RTLD_NOW | RTLD_LOCAL);
	/* dlsym() returns an object pointer; POSIX guarantees it converts
	 * to a function pointer, which ISO C leaves to memcpy. */
	switch (c) {
	case C_ZLIB:
		p = sym(kd->lib[c], "uncompress");
		memcpy(&kd->zlib, &p, sizeof(p));
		break;
	case C_LZO:
		p = sym(kd->lib[c], "lzo1x_decompress_safe");
		memcpy(&kd->lzo, &p, sizeof(p));
		break;
	case C_SNAPPY:
		p = sym(kd->lib[c], "snappy_uncompress");
		memcpy(&kd->snappy, &p, sizeof(p));
		break;
	case C_ZSTD:
		p = sym(kd->lib[c], "ZSTD_decompress");
		memcpy(&kd->zstd, &p, sizeof(p));
		p = sym(kd->lib[c], "ZSTD_isError");
		memcpy(&kd->zstd_is_error, &p, sizeof(p));
		p = sym(kd->lib[c], "ZSTD_getErrorName");
		memcpy(&kd->zstd_error_name, &p, sizeof(p));
		if (!kd->zstd_is_error || !kd->zstd_error_name)
			kd->zstd = NULL;
		break;
	default:
		break;
	}
	if (kd->lib[c] && !(c == C_ZLIB	    ? !!kd->zlib
			    : c == C_LZO    ? !!kd->lzo
			    : c == C_SNAPPY ? !!kd->snappy
					    : !!kd->zstd)) {
		dlclose(kd->lib[c]); /* a library without the function */
		kd->lib[c] = NULL;
	}
	return kd->lib[c] != NULL;
}

static const char *zlib_why(int rc)
{
	switch (rc) {
	case -3:
		return "corrupt data (Z_DATA_ERROR)";
	case -5:
		return "more than a page of output, or input cut short "
		       "(Z_BUF_ERROR)";
	case -4:
		return "out of memory (Z_MEM_ERROR)";
	default:
		return "error";
	}
}

static const char *lzo_why(int rc)
{
	switch (rc) {
	case -4:
		return "input overrun";
	case -5:
		return "more than a page of output";
	case -6:
		return "lookbehind overrun";
	case -8:
		return "input not consumed";
	default:
		return "corrupt data";
	}
}

/* Record why page @pa did not decompress. Called with kd->lock held. */
static void __attribute__((format(printf, 5, 6)))
page_failed(struct kdump *kd, ptk_oa_t pa, uint64_t off, uint32_t size,
	    const char *fmt, ...)
{
	struct ptk_image_page_error *e;
	va_list ap;

	kd->nr_errs++;
	if (kd->nr_kept == MAX_ERRS)
		return;
	if (!kd->errs) {
		kd->errs = calloc(MAX_ERRS, sizeof(*kd->errs));
		if (!kd->errs)
			return;
	}
	e = &kd->errs[kd->nr_kept++];
	e->pa = pa;
	e->file_off = off;
	e->file_size = size;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Decompress dumped page @i (physical address @pa) into its slot. */
static bool page_read(const struct ptk_image *img, struct kdump *kd, uint64_t i,
		      ptk_oa_t pa)
{
	const unsigned char *d = img->data + kd->pd_off + i * PD_SIZE;
	uint64_t off = le64(d);
	uint32_t size = le32(d + 8), flags = le32(d + 12);
	uint32_t comp = flags & DH_COMPRESSED;
	unsigned char *dst = kd->area + i * kd->block;
	const unsigned char *src;
	enum codec c;

	if (!size || off > img->size || size > img->size - off) {
		page_failed(kd, pa, off, size,
			    "its %" PRIu32 " bytes at file offset 0x%" PRIx64
			    " are not in the file (0x%" PRIx64
			    " bytes): a dump cut short or not finished",
			    size, off, img->size);
		return false;
	}
	src = img->data + off;
	if (!comp) {
		if (size != kd->block) {
			page_failed(kd, pa, off, size,
				    "stored uncompressed in %" PRIu32
				    " bytes, a page is %" PRIu32,
				    size, kd->block);
			return false;
		}
		memcpy(dst, src, size);
		return true;
	}
	if (comp & (comp - 1)) {
		page_failed(kd, pa, off, size,
			    "descriptor flags 0x%" PRIx32
			    " name several compressions",
			    flags);
		return false;
	}
	c = comp == DH_ZLIB	? C_ZLIB
	    : comp == DH_LZO	? C_LZO
	    : comp == DH_SNAPPY ? C_SNAPPY
				: C_ZSTD;
	if (!codec_load(kd, c)) {
		page_failed(kd, pa, off, size,
			    "compressed with %s, and %s cannot be loaded "
			    "(Debian package %s): %s",
			    codecs[c].name, codecs[c].lib, codecs[c].package,
			    "no decompressor");
		return false;
	}
	switch (c) {
	case C_ZLIB: {
		unsigned long n = kd->block;
		int rc = kd->zlib(dst, &n, src, size);

		if (rc || n != kd->block) {
			if (rc)
				page_failed(kd, pa, off, size,
					    "zlib: %s (uncompress %d)",
					    zlib_why(rc), rc);
			else
				page_failed(kd, pa, off, size,
					    "zlib: %lu bytes out, a page is "
					    "%" PRIu32,
					    n, kd->block);
			return false;
		}
		return true;
	}
	case C_LZO: {
		unsigned long n = kd->block;
		int rc = kd->lzo(src, size, dst, &n, NULL);

		if (rc || n != kd->block) {
			if (rc)
				page_failed(
					kd, pa, off, size,
					"lzo: %s (lzo1x_decompress_safe %d)",
					lzo_why(rc), rc);
			else
				page_failed(kd, pa, off, size,
					    "lzo: %lu bytes out, a page is "
					    "%" PRIu32,
					    n, kd->block);
			return false;
		}
		return true;
	}
	case C_SNAPPY: {
		size_t n = kd->block;
		int rc = kd->snappy((const char *)src, size, (char *)dst, &n);

		if (rc || n != kd->block) {
			page_failed(kd, pa, off, size,
				    "snappy: %s (snappy_uncompress %d, %zu "
				    "bytes out)",
				    rc == 2 ? "more than a page of output"
					    : "corrupt data",
				    rc, n);
			return false;
		}
		return true;
	}
	default: {
		size_t n = kd->zstd(dst, kd->block, src, size);

		if (kd->zstd_is_error(n) || n != kd->block) {
			page_failed(kd, pa, off, size, "zstd: %s",
				    kd->zstd_is_error(n)
					    ? kd->zstd_error_name(n)
					    : "short output");
			return false;
		}
		return true;
	}
	}
}

int ptk_image__kdump_fill(const struct ptk_image *img, const struct seg *s,
			  ptk_oa_t pa, uint64_t len, ptk_oa_t *at)
{
	struct kdump *kd = img->kd;
	uint64_t first, last, i;
	size_t rel;

	if (!len)
		return 0;
	rel = (size_t)(s->ptr - kd->area) + (size_t)(pa - s->pa);
	first = rel / kd->block;
	last = (rel + len - 1) / kd->block;
	for (i = first; i <= last; i++) {
		uint8_t st = __atomic_load_n(&kd->state[i], __ATOMIC_ACQUIRE);
		ptk_oa_t page_pa =
			s->pa + (i * kd->block - (size_t)(s->ptr - kd->area));

		if (st == PG_NEW) {
			pthread_mutex_lock(&kd->lock);
			st = kd->state[i];
			if (st == PG_NEW) {
				st = page_read(img, kd, i, page_pa) ? PG_READY
								    : PG_FAILED;
				__atomic_store_n(&kd->state[i], st,
						 __ATOMIC_RELEASE);
			}
			pthread_mutex_unlock(&kd->lock);
		}
		if (st == PG_FAILED) {
			if (at)
				*at = page_pa > pa ? page_pa : pa;
			return PTK_EDECOMPRESS;
		}
	}
	return 0;
}

size_t ptk_image_nr_page_errors(const struct ptk_image *img)
{
	size_t n;

	if (!img || !img->kd)
		return 0;
	pthread_mutex_lock(&img->kd->lock);
	n = img->kd->nr_errs;
	pthread_mutex_unlock(&img->kd->lock);
	return n;
}

int ptk_image_page_error(struct ptk_image_page_error *out,
			 const struct ptk_image *img, size_t i)
{
	int rc = PTK_ERANGE;

	if (!out || !img || !img->kd)
		return PTK_ERANGE;
	pthread_mutex_lock(&img->kd->lock);
	if (i < img->kd->nr_kept) {
		*out = img->kd->errs[i];
		rc = 0;
	}
	pthread_mutex_unlock(&img->kd->lock);
	return rc;
}

/* --- the headers */

/* The two layouts of struct disk_dump_header, by field offset. */
struct hdr_layout {
	bool is64;
	unsigned int block, sub_hdr, bitmap_blocks, max_mapnr, nr_cpus;
};

static const struct hdr_layout hdr64 = { true, 428, 432, 436, 440, 460 };
static const struct hdr_layout hdr32 = { false, 416, 420, 424, 428, 448 };

#define UTS_MACHINE (8 + 4 + 4 * 65) /* utsname.machine */

static bool block_ok(uint32_t b)
{
	return b >= 1024 && b <= (1u << 20) && !(b & (b - 1));
}

/* Whether utsname.machine names a 32-bit machine (i686, riscv32, armv7l). */
static bool machine_is32(const char *m)
{
	return (m[0] == 'i' && m[1] >= '3' && m[1] <= '6' &&
		!strcmp(m + 2, "86")) ||
	       !strcmp(m, "riscv32") ||
	       (!strncmp(m, "arm", 3) && strcmp(m, "arm64"));
}

/*
 * Whether the header read with layout @h is self-consistent: a block
 * size, a sub-header and an even number of bitmap blocks that fit the
 * file. A 32-bit header read as a 64-bit one takes max_mapnr for the
 * block size and the (zero) block counts after it for the rest.
 */
static bool layout_ok(const unsigned char *d, uint64_t size,
		      const struct hdr_layout *h)
{
	uint32_t block = le32(d + h->block), sub = le32(d + h->sub_hdr);
	uint32_t bm = le32(d + h->bitmap_blocks);

	if (!block_ok(block) || !sub || !bm || (bm & 1) || sub > (1u << 20) ||
	    bm > (1u << 30) / (block / 1024))
		return false;
	return (1 + (uint64_t)sub + bm) * block <= size;
}

/* The ELF machine of a utsname.machine string, or 0. */
static unsigned int machine_of(const char *m)
{
	if (!strcmp(m, "x86_64"))
		return PTK_IMAGE_ARCH_X86_64;
	if (m[0] == 'i' && m[1] >= '3' && m[1] <= '6' && !strcmp(m + 2, "86"))
		return PTK_IMAGE_ARCH_I386;
	if (!strcmp(m, "aarch64") || !strcmp(m, "arm64"))
		return PTK_IMAGE_ARCH_AARCH64;
	if (!strcmp(m, "riscv64") || !strcmp(m, "riscv32"))
		return PTK_IMAGE_ARCH_RISCV;
	return 0;
}

/* Whether the file holds the data descriptor @i points to. */
static bool desc_in_file(const struct ptk_image *img, const struct kdump *kd,
			 uint64_t i)
{
	const unsigned char *p = img->data + kd->pd_off + i * PD_SIZE;
	uint64_t off = le64(p), size = le32(p + 8);

	return size && off <= img->size && size <= img->size - off;
}

/* Add the run of dumped pages [pfn, pfn + n) at descriptor @i. */
static int add_run(struct ptk_image *img, uint64_t i, uint64_t pfn, uint64_t n)
{
	struct kdump *kd = img->kd;
	struct seg s;

	memset(&s, 0, sizeof(s));
	s.pa = pfn * kd->block;
	s.size = n * kd->block;
	s.file_off = le64(img->data + kd->pd_off + i * PD_SIZE);
	s.ptr = kd->area + i * kd->block;
	s.idx = (size_t)i;
	img->nr_runs++;
	return ptk_image__seg_push(img, &img->segs, &s);
}

/* Pages whose descriptors the file does not hold: missing. */
static int add_missing(struct ptk_image *img, uint64_t pfn, uint64_t n,
		       uint64_t i)
{
	struct kdump *kd = img->kd;
	struct seg m;

	memset(&m, 0, sizeof(m));
	m.pa = pfn * kd->block;
	m.size = n * kd->block;
	m.file_off = kd->pd_off + i * PD_SIZE;
	m.idx = (size_t)i;
	return ptk_image__seg_push(img, &img->missing, &m);
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

#define FLAT_HDR 4096u /* the flattened format's header */

/*
 * A flattened file (makedumpfile -F, and what QEMU 7.2's dump-guest-memory
 * writes for its kdump formats): after a 4 KiB header, records of a
 * big-endian (offset, size) pair and the bytes that belong at that offset
 * of the dump file, until an offset of -1. The dump file they make is
 * rebuilt in anonymous memory (its size, which is the compressed size)
 * and read from there.
 */
static int rearrange(struct ptk_image *img, struct kdump *kd)
{
	const unsigned char *d = img->data;
	uint64_t pos = FLAT_HDR, end = 0, n = 0;

	if (be64(d + 16) != 1 || be64(d + 24) != 1)
		return kfail(img, PTK_EBADIMAGE,
			     "flattened makedumpfile header: type %" PRIu64
			     ", version %" PRIu64 ": expected 1 and 1",
			     be64(d + 16), be64(d + 24));
	for (;;) {
		uint64_t off, len;

		if (pos > img->size - 16)
			return kfail(img, PTK_ETRUNC,
				     "flattened dump cut short: record %" PRIu64
				     " at file offset 0x%" PRIx64
				     " is past the end (0x%" PRIx64
				     " bytes; no end record)",
				     n, pos, img->size);
		off = be64(d + pos);
		len = be64(d + pos + 8);
		if (off == UINT64_MAX)
			break;
		if (len > img->size - pos - 16 || off > (1ull << 50) ||
		    len > (1ull << 50))
			return kfail(img, PTK_EBADIMAGE,
				     "flattened dump record %" PRIu64
				     " at file offset 0x%" PRIx64 ": 0x%" PRIx64
				     " bytes for offset 0x%" PRIx64
				     " run past the end of the file (0x%" PRIx64
				     ")",
				     n, pos, len, off, img->size);
		if (off + len > end)
			end = off + len;
		pos += 16 + len;
		n++;
	}
	if (!end || end > SIZE_MAX)
		return kfail(img, PTK_EBADIMAGE,
			     "flattened dump with no data (%" PRIu64
			     " records)",
			     n);
	kd->flat_len = (size_t)end;
	kd->flat = mmap(NULL, kd->flat_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (kd->flat == MAP_FAILED) {
		kd->flat = NULL;
		return kfail(img, PTK_ENOMEM,
			     "cannot reserve 0x%zx bytes to rearrange a "
			     "flattened dump",
			     kd->flat_len);
	}
	for (pos = FLAT_HDR;; pos += 16 + be64(d + pos + 8)) {
		uint64_t off = be64(d + pos);

		if (off == UINT64_MAX)
			break;
		memcpy(kd->flat + off, d + pos + 16, (size_t)be64(d + pos + 8));
	}
	img->data = kd->flat;
	img->size = end;
	return 0;
}

int ptk_image__parse_kdump(struct ptk_image *img)
{
	const unsigned char *d = img->data;
	const struct hdr_layout *h, *other;
	struct kdump *kd;
	uint64_t sub, max_mapnr, bm_off, bm_len, held, i, pfn, nr = 0;
	uint32_t version, block, sub_blocks, bm_blocks;
	char machine[66];
	const unsigned char *bm2;
	uint64_t run_pfn = 0, run_i = 0, run_n = 0, miss_pfn = 0, miss_n = 0,
		 miss_i = 0;
	int rc;

	kd = calloc(1, sizeof(*kd));
	if (!kd)
		return kfail(img, PTK_ENOMEM,
			     "cannot allocate the kdump index");
	img->kd = kd;
	pthread_mutex_init(&kd->lock, NULL);
	/* (image_setup() saw one of the signatures, in at least 8 bytes) */
	if (img->size >= 12 && !memcmp(d, "makedumpfile", 12)) {
		if (img->size < FLAT_HDR + 16)
			return kfail(img, PTK_ETRUNC,
				     "flattened dump cut short: %" PRIu64
				     " bytes, its header alone is 4096",
				     img->size);
		rc = rearrange(img, kd);
		if (rc)
			return rc;
		d = img->data;
		if (img->size < 8 || memcmp(d, "KDUMP   ", 8))
			return kfail(
				img, PTK_EBADIMAGE,
				"flattened dump: what it rebuilds does not "
				"start with the KDUMP signature");
	}
	if (img->size >= 8 && !memcmp(d, "DISKDUMP", 8))
		return kfail(img, PTK_ENOTSUP,
			     "the old diskdump format (signature DISKDUMP): "
			     "only makedumpfile's and QEMU's KDUMP format is "
			     "read");
	if (img->size < 464 + 4)
		return kfail(img, PTK_ETRUNC,
			     "kdump header cut short: the file has %" PRIu64
			     " bytes, the header at least 468",
			     img->size);
	version = le32(d + 8);
	memcpy(machine, d + UTS_MACHINE, 65);
	machine[65] = 0;
	img->machine = machine_of(machine);
	/*
	 * 32-bit writers pad the timestamp to 4 bytes, 64-bit ones to 8.
	 * The machine says which to try first; a layout that does not hold
	 * together gives way to one that does (an unknown machine's dump).
	 */
	h = machine_is32(machine) ? &hdr32 : &hdr64;
	other = h == &hdr64 ? &hdr32 : &hdr64;
	if (!layout_ok(d, img->size, h) && (layout_ok(d, img->size, other) ||
					    (!block_ok(le32(d + h->block)) &&
					     block_ok(le32(d + other->block)))))
		h = other;
	block = le32(d + h->block);
	sub_blocks = le32(d + h->sub_hdr);
	bm_blocks = le32(d + h->bitmap_blocks);
	if (!block_ok(block))
		return kfail(img, PTK_EBADIMAGE,
			     "kdump header: block size %" PRIu32
			     " (at offset %u or %u): expected a power of two "
			     "from 1024 to 1M",
			     le32(d + hdr64.block), hdr64.block, hdr32.block);
	if (!version || version > 1000)
		return kfail(img, PTK_EBADIMAGE,
			     "kdump header: version %" PRIu32
			     ": expected 1 to 6 (or a later one)",
			     version);
	if (!sub_blocks || !bm_blocks || (bm_blocks & 1) ||
	    sub_blocks > (1u << 20) || bm_blocks > (1u << 30) / (block / 1024))
		return kfail(img, PTK_EBADIMAGE,
			     "kdump header: %" PRIu32
			     " sub-header blocks and %" PRIu32
			     " bitmap blocks: expected at least 1 and an even "
			     "number of bitmap blocks",
			     sub_blocks, bm_blocks);
	sub = block;
	if (img->size < sub + 104)
		return kfail(
			img, PTK_ETRUNC,
			"kdump sub-header cut short: at file offset 0x%" PRIx64
			", the file has 0x%" PRIx64 " bytes",
			sub, img->size);
	max_mapnr = le32(d + h->max_mapnr);
	if (version >= 6)
		max_mapnr = le64(d + sub + (h->is64 ? 96 : 72));
	if (version >= 2 && le32(d + sub + (h->is64 ? 12 : 8)))
		return kfail(
			img, PTK_ENOTSUP,
			"one part of a split dump (makedumpfile --split): "
			"join the parts first (makedumpfile --reassemble)");
	bm_off = (1 + (uint64_t)sub_blocks) * block;
	bm_len = (uint64_t)bm_blocks * block;
	if (bm_off + bm_len > img->size)
		return kfail(img, PTK_ETRUNC,
			     "kdump bitmaps cut short: 0x%" PRIx64
			     " bytes at file offset 0x%" PRIx64
			     ", the file has 0x%" PRIx64,
			     bm_len, bm_off, img->size);
	if (max_mapnr > bm_len / 2 * 8)
		return kfail(img, PTK_EBADIMAGE,
			     "kdump header: %" PRIu64 " pages (max_mapnr), but "
			     "the bitmaps have room for %" PRIu64,
			     max_mapnr, bm_len / 2 * 8);
	bm2 = d + bm_off + bm_len / 2;
	for (pfn = 0; pfn < max_mapnr; pfn++)
		nr += (bm2[pfn / 8] >> (pfn % 8)) & 1;

	kd->block = block;
	kd->nr = nr;
	kd->pd_off = bm_off + bm_len;
	if (nr) {
		if (nr > SIZE_MAX / block)
			return kfail(img, PTK_ENOMEM,
				     "%" PRIu64 " pages of %" PRIu32
				     " bytes do not fit this process",
				     nr, block);
		kd->area_len = (size_t)(nr * block);
		kd->area = mmap(NULL, kd->area_len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
				0);
		if (kd->area == MAP_FAILED) {
			kd->area = NULL;
			return kfail(img, PTK_ENOMEM,
				     "cannot reserve 0x%zx bytes for the "
				     "decompressed pages",
				     kd->area_len);
		}
		kd->state = calloc((size_t)nr, 1);
		if (!kd->state)
			return kfail(img, PTK_ENOMEM,
				     "cannot index %" PRIu64 " pages", nr);
	}
	/* Descriptors the file holds: runs of consecutive PFNs become
	 * segments; the rest is missing (a dump cut short). */
	held = img->size > kd->pd_off ? (img->size - kd->pd_off) / PD_SIZE : 0;
	img->want_last = kd->pd_off + nr * PD_SIZE - 1;
	for (pfn = 0, i = 0; pfn < max_mapnr; pfn++) {
		if (!((bm2[pfn / 8] >> (pfn % 8)) & 1))
			continue;
		if (i < held) {
			const unsigned char *pd = d + kd->pd_off + i * PD_SIZE;
			uint64_t last = le64(pd) + le32(pd + 8) - 1;

			if (le32(pd + 8) && last > img->want_last)
				img->want_last = last;
		}
		if (i < held && desc_in_file(img, kd, i)) {
			if (run_n && pfn == run_pfn + run_n) {
				run_n++;
			} else {
				if (run_n &&
				    (rc = add_run(img, run_i, run_pfn, run_n)))
					return rc;
				run_pfn = pfn;
				run_i = i;
				run_n = 1;
			}
		} else if (miss_n && pfn == miss_pfn + miss_n) {
			miss_n++;
		} else {
			if (miss_n &&
			    (rc = add_missing(img, miss_pfn, miss_n, miss_i)))
				return rc;
			miss_pfn = pfn;
			miss_i = i;
			miss_n = 1;
		}
		i++;
	}
	if (run_n && (rc = add_run(img, run_i, run_pfn, run_n)))
		return rc;
	if (miss_n && (rc = add_missing(img, miss_pfn, miss_n, miss_i)))
		return rc;
	if (miss_n)
		img->nr_runs++;
	/* VMCOREINFO (version 3) and the ELF notes (version 4). */
	if (version >= 3) {
		uint64_t off = le64(d + sub + (h->is64 ? 32 : 20));
		uint64_t len = h->is64 ? le64(d + sub + 40)
				       : le32(d + sub + 28);

		if (len && (off > img->size || len > img->size - off))
			return kfail(img, PTK_ETRUNC,
				     "kdump VMCOREINFO cut short: 0x%" PRIx64
				     " bytes at file offset 0x%" PRIx64
				     ", the file has 0x%" PRIx64,
				     len, off, img->size);
		if (len && (rc = ptk_image__set_vmcoreinfo(img, d + off, len)))
			return rc;
	}
	if (version >= 4) {
		uint64_t off = le64(d + sub + (h->is64 ? 48 : 32));
		uint64_t len = h->is64 ? le64(d + sub + 56)
				       : le32(d + sub + 40);

		if (len && (rc = ptk_image__notes(img, h->is64, 0, off, len)))
			return rc;
	}
	return 0;
}

void ptk_image__kdump_free(struct ptk_image *img)
{
	struct kdump *kd = img->kd;
	int c;

	if (!kd)
		return;
	if (kd->area)
		munmap(kd->area, kd->area_len);
	if (kd->flat)
		munmap(kd->flat, kd->flat_len);
	for (c = 0; c < NR_CODECS; c++)
		if (kd->lib[c])
			dlclose(kd->lib[c]);
	pthread_mutex_destroy(&kd->lock);
	free(kd->state);
	free(kd->errs);
	free(kd);
	img->kd = NULL;
}
