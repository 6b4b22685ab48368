// SPDX-License-Identifier: MIT
/*
 * Memory images: raw, ELF core and LiME, as a read-only ptk_mem provider.
 *
 * Host code (mmap, malloc); not part of the freestanding core. Every
 * number read from the file is checked before it is used: offsets and
 * sizes against the file size, with overflow checks, note lengths against
 * their segment.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ptkit/errors.h>
#include <ptkit/image.h>

#define LIME_MAGIC 0x4C694D45u
#define LIME_HDR 32u

#define PT_LOAD 1u
#define PT_NOTE 4u
#define NT_PRSTATUS 1u

/* More than this many segments or CPUs is taken as a hostile header. */
#define MAX_SEGS (1u << 20)
#define MAX_CPUS 4096u

struct ptk_image {
	struct ptk_mem mem;
	enum ptk_image_kind kind;
	unsigned int machine;
	const unsigned char *data;
	uint64_t size;
	void *map_addr; /* non-NULL when we mmap'ed the file */
	size_t map_len;
	struct ptk_image_seg *segs;
	size_t nr_segs;
	struct ptk_image_cpu *cpus;
	size_t nr_cpus;
	uintptr_t *cell_delta; /* the provider's cells, several segments */
};

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

/* --- segments */

static int seg_add(struct ptk_image *img, size_t *cap, ptk_oa_t pa,
		   uint64_t size, uint64_t off)
{
	if (!size)
		return 0;
	/* Cut what the file does not hold. */
	if (off >= img->size)
		return 0;
	if (size > img->size - off)
		size = img->size - off;
	/* A segment must not wrap the physical address space. */
	if (pa + (size - 1) < pa)
		size = 0 - pa;
	if (!size)
		return 0;
	if (img->nr_segs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct ptk_image_seg *n;

		if (ncap > MAX_SEGS)
			return PTK_ECORRUPT;
		n = realloc(img->segs, ncap * sizeof(*n));
		if (!n)
			return PTK_ENOMEM;
		img->segs = n;
		*cap = ncap;
	}
	img->segs[img->nr_segs].pa = pa;
	img->segs[img->nr_segs].size = size;
	img->segs[img->nr_segs].file_off = off;
	img->nr_segs++;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct ptk_image_seg *x = a, *y = b;

	if (x->pa != y->pa)
		return x->pa < y->pa ? -1 : 1;
	return 0;
}

/*
 * Sort, drop what overlaps an earlier segment (first one wins), merge
 * neighbours contiguous in both address and file.
 */
static void seg_finish(struct ptk_image *img)
{
	size_t i, n = 0;

	if (!img->nr_segs)
		return; /* segs may be NULL: qsort() wants a real array */
	qsort(img->segs, img->nr_segs, sizeof(*img->segs), seg_cmp);
	for (i = 0; i < img->nr_segs; i++) {
		struct ptk_image_seg s = img->segs[i];

		if (n) {
			struct ptk_image_seg *p = &img->segs[n - 1];
			ptk_oa_t plast = p->pa + (p->size - 1);

			if (s.pa <= plast) {
				uint64_t cut;

				if (s.pa + (s.size - 1) <= plast)
					continue;
				cut = plast - s.pa + 1;
				s.pa += cut;
				s.size -= cut;
				s.file_off += cut;
			}
			if (s.pa == plast + 1 &&
			    s.file_off == p->file_off + p->size) {
				p->size += s.size;
				continue;
			}
		}
		img->segs[n++] = s;
	}
	img->nr_segs = n;
}

/* The segment holding @pa, or NULL. */
static const struct ptk_image_seg *seg_find(const struct ptk_image *img,
					    ptk_oa_t pa)
{
	size_t lo = 0, hi = img->nr_segs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ptk_image_seg *s = &img->segs[mid];

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
	const struct ptk_image_seg *s;

	if (!img || !len)
		return NULL;
	s = seg_find(img, pa);
	if (!s || len > s->size - (pa - s->pa))
		return NULL;
	return img->data + s->file_off + (pa - s->pa);
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
		const struct ptk_image_seg *s = seg_find(img, pa);
		uint64_t room;
		size_t n;

		if (!s)
			return PTK_ERANGE;
		room = s->size - (pa - s->pa);
		n = room < len ? (size_t)room : len;
		memcpy(d, img->data + s->file_off + (pa - s->pa), n);
		d += n;
		pa += n;
		len -= n;
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
	/* Tables are read as 4- or 8-byte words: a segment at an odd file
	 * offset cannot hold one (reported as a table not in the image). */
	if ((uintptr_t)p & 7)
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
 * The rest (cells holes or segment ends cut, tables across cells) go
 * through img_map, which searches the segments.
 */
#define CELL_MIN_LG2 12u
#define MAX_CELLS (1u << 19)

static int mem_setup(struct ptk_image *img)
{
	const struct ptk_image_seg *s = img->segs;
	size_t n = img->nr_segs, i;
	ptk_oa_t first, last;
	unsigned int lg2 = CELL_MIN_LG2;
	uint64_t nr, c;

	img->mem.ops = &img_ops;
	img->mem.arg = img;
	img->mem.flags = PTK_MEM_READONLY;
	if (!n)
		return 0;
	if (n == 1) {
		img->mem.lin_delta =
			(uintptr_t)(img->data + s->file_off) - (uintptr_t)s->pa;
		/* Tables sit at aligned addresses; the window serves them
		 * only if it keeps that alignment. */
		if (img->mem.lin_delta & 7)
			return 0;
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
		return PTK_ENOMEM;
	for (c = 0; c < nr; c++)
		img->cell_delta[c] = PTK_MEM_CELL_MAP;
	img->mem.cells.base = first & ~(((ptk_oa_t)1 << lg2) - 1);
	img->mem.cells.lg2 = lg2;
	img->mem.cells.nr = nr;
	img->mem.cells.delta = img->cell_delta;
	for (i = 0; i < n; i++) {
		ptk_oa_t lo = s[i].pa, hi = s[i].pa + (s[i].size - 1);
		uintptr_t d =
			(uintptr_t)(img->data + s[i].file_off) - (uintptr_t)lo;
		uint64_t c0 = (lo - img->mem.cells.base) >> lg2;
		uint64_t c1 = (hi - img->mem.cells.base) >> lg2;

		if (d & 7)
			continue; /* img_map refuses it too */
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
	size_t cap = 0;
	int rc;

	while (off < img->size) {
		const unsigned char *h = img->data + off;
		uint64_t first, last, len;

		if (img->size - off < LIME_HDR || le32(h) != LIME_MAGIC)
			return PTK_ECORRUPT;
		if (le32(h + 4) != 1)
			return PTK_ECORRUPT;
		first = le64(h + 8);
		last = le64(h + 16);
		if (last < first || last - first == UINT64_MAX)
			return PTK_ECORRUPT;
		len = last - first + 1;
		off += LIME_HDR;
		if (len > img->size - off)
			return PTK_ECORRUPT; /* truncated range */
		rc = seg_add(img, &cap, first, len, off);
		if (rc)
			return rc;
		off += len;
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
static struct ptk_image_cpu *cpu_slot(struct ptk_image *img, size_t *cap,
				      size_t n)
{
	if (n >= MAX_CPUS)
		return NULL;
	while (img->nr_cpus <= n) {
		struct ptk_image_cpu *c;

		if (img->nr_cpus == *cap) {
			size_t ncap = *cap ? *cap * 2 : 8;
			struct ptk_image_cpu *p =
				realloc(img->cpus, ncap * sizeof(*p));

			if (!p)
				return NULL;
			img->cpus = p;
			*cap = ncap;
		}
		c = &img->cpus[img->nr_cpus];
		memset(c, 0, sizeof(*c));
		c->index = (unsigned int)img->nr_cpus;
		c->arch = img->machine;
		img->nr_cpus++;
	}
	return &img->cpus[n];
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

static int parse_notes(struct ptk_image *img, bool is64, uint64_t off,
		       uint64_t len, size_t *cap, size_t *nr_pr,
		       size_t *nr_qemu)
{
	const unsigned char *p;
	uint64_t i = 0;

	if (off >= img->size || len > img->size - off)
		return PTK_ECORRUPT;
	p = img->data + off;
	while (len - i >= 12) {
		uint32_t namesz = le32(p + i), descsz = le32(p + i + 4);
		uint32_t type = le32(p + i + 8);
		uint64_t name_off = i + 12;
		uint64_t desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
		uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
		const unsigned char *name = p + name_off;
		struct ptk_image_cpu *c;

		if (desc_off > len || descsz > len - desc_off)
			return PTK_ECORRUPT;
		if (namesz == 5 && !memcmp(name, "CORE", 5) &&
		    type == NT_PRSTATUS) {
			c = cpu_slot(img, cap, (*nr_pr)++);
			if (!c)
				return PTK_ENOMEM;
			note_prstatus(c, img->machine, is64, p + desc_off,
				      descsz);
		} else if (namesz == 5 && !memcmp(name, "QEMU", 5) &&
			   (img->machine == PTK_IMAGE_ARCH_X86_64 ||
			    img->machine == PTK_IMAGE_ARCH_I386)) {
			c = cpu_slot(img, cap, (*nr_qemu)++);
			if (!c)
				return PTK_ENOMEM;
			note_qemu(c, p + desc_off, descsz);
		}
		if (next > len)
			break;
		i = next;
	}
	return 0;
}

/* --- ELF */

static int parse_elf(struct ptk_image *img)
{
	const unsigned char *e = img->data;
	bool is64;
	uint64_t phoff;
	unsigned int phentsize, phnum, i;
	size_t seg_cap = 0, cpu_cap = 0, nr_pr = 0, nr_qemu = 0;
	int rc;

	if (img->size < 52)
		return PTK_ECORRUPT;
	if (e[4] != 1 && e[4] != 2)
		return PTK_ECORRUPT;
	if (e[5] == 2)
		return PTK_ENOTSUP; /* big endian */
	if (e[5] != 1)
		return PTK_ECORRUPT;
	is64 = e[4] == 2;
	if (is64 && img->size < 64)
		return PTK_ECORRUPT;
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
	if (phnum && phentsize < (is64 ? 56u : 32u))
		return PTK_ECORRUPT;
	if (phoff > img->size ||
	    (uint64_t)phnum * phentsize > img->size - phoff)
		return PTK_ECORRUPT;
	for (i = 0; i < phnum; i++) {
		const unsigned char *ph = e + phoff + (uint64_t)i * phentsize;
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
		if (type == PT_LOAD) {
			rc = seg_add(img, &seg_cap, pa, filesz, off);
		} else if (type == PT_NOTE) {
			rc = parse_notes(img, is64, off, filesz, &cpu_cap,
					 &nr_pr, &nr_qemu);
		} else {
			rc = 0;
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* --- open / close */

static int image_setup(struct ptk_image *img, const struct ptk_image_opts *o)
{
	size_t cap = 0;
	int rc;

	if (!(o && (o->flags & PTK_IMAGE_FORCE_RAW))) {
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
	}
	img->kind = PTK_IMAGE_RAW;
	rc = seg_add(img, &cap, o ? o->base : 0, img->size, 0);
done:
	if (rc)
		return rc;
	seg_finish(img);
	return mem_setup(img);
}

int ptk_image_open_mem(struct ptk_image **out, const void *buf, size_t size,
		       const struct ptk_image_opts *opts)
{
	struct ptk_image *img;
	int rc;

	if (!out || (!buf && size))
		return PTK_EINVAL;
	*out = NULL;
	img = calloc(1, sizeof(*img));
	if (!img)
		return PTK_ENOMEM;
	img->data = buf;
	img->size = size;
	rc = image_setup(img, opts);
	if (rc) {
		ptk_image_close(img);
		return rc;
	}
	*out = img;
	return 0;
}

int ptk_image_open(struct ptk_image **out, const char *path,
		   const struct ptk_image_opts *opts)
{
	struct ptk_image *img;
	struct stat st;
	void *m;
	int fd, rc;

	if (!out || !path)
		return PTK_EINVAL;
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PTK_EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return PTK_EINVAL;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return PTK_EINVAL;
	img = calloc(1, sizeof(*img));
	if (!img) {
		munmap(m, (size_t)st.st_size);
		return PTK_ENOMEM;
	}
	img->map_addr = m;
	img->map_len = (size_t)st.st_size;
	img->data = m;
	img->size = (uint64_t)st.st_size;
	rc = image_setup(img, opts);
	if (rc) {
		ptk_image_close(img);
		return rc;
	}
	*out = img;
	return 0;
}

void ptk_image_close(struct ptk_image *img)
{
	if (!img)
		return;
	if (img->map_addr)
		munmap(img->map_addr, img->map_len);
	free(img->segs);
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
	}
	return "?";
}

unsigned int ptk_image_machine(const struct ptk_image *img)
{
	return img->machine;
}

size_t ptk_image_nr_segs(const struct ptk_image *img)
{
	return img->nr_segs;
}

int ptk_image_seg(struct ptk_image_seg *out, const struct ptk_image *img,
		  size_t i)
{
	if (!out || !img || i >= img->nr_segs)
		return PTK_ERANGE;
	*out = img->segs[i];
	return 0;
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

const struct ptk_mem *ptk_image_mem(const struct ptk_image *img)
{
	return &img->mem;
}
