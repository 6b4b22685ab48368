// SPDX-License-Identifier: MIT
/*
 * The image provider: detection by content, segments, bounds, notes, and
 * attaching a table through it.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ptkit.h>
#include <ptkit/image.h>

#include "harness/ptk_test.h"

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

/* An x86-64 tree at @base in @buf: root, PDPT, PD, PT, one page at VA 0. */
static void x86_tree(unsigned char *buf, uint64_t base)
{
	put64(buf + 0x0000, (base + 0x1000) | 7);
	put64(buf + 0x1000, (base + 0x2000) | 7);
	put64(buf + 0x2000, (base + 0x3000) | 7);
	put64(buf + 0x3000, 0x5000 | 7);
	put64(buf + 0x3008, 0x6000 | 3);
}

PTK_TEST(raw_base_and_bounds)
{
	unsigned char *buf = aligned_alloc(4096, 0x4000);
	struct ptk_image_opts o = { .base = 0x100000 };
	struct ptk_image *img;
	struct ptk_image_seg s;
	struct ptk_table t;
	struct ptk_xlate x;
	unsigned char b[16];

	PTK_ASSERT(buf);
	memset(buf, 0, 0x4000);
	x86_tree(buf, 0x100000);
	PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, 0x4000, &o));
	PTK_EXPECT_EQ(ptk_image_kind(img), PTK_IMAGE_RAW);
	PTK_EXPECT_STREQ(ptk_image_kind_name(PTK_IMAGE_RAW), "raw");
	PTK_ASSERT_EQ(ptk_image_nr_segs(img), 1);
	PTK_ASSERT_OK(ptk_image_seg(&s, img, 0));
	PTK_EXPECT_EQ(s.pa, 0x100000);
	PTK_EXPECT_EQ(s.size, 0x4000);
	PTK_EXPECT_RC(ptk_image_seg(&s, img, 1), PTK_ERANGE);
	PTK_EXPECT_EQ(ptk_image_nr_cpus(img), 0);
	/* Inside, at the edges, outside: never a zero page. */
	PTK_EXPECT(ptk_image_ptr(img, 0x100000, 0x4000) == buf);
	PTK_EXPECT(!ptk_image_ptr(img, 0x100000, 0x4001));
	PTK_EXPECT(!ptk_image_ptr(img, 0xfffff, 1));
	PTK_EXPECT(!ptk_image_ptr(img, 0x104000, 1));
	PTK_EXPECT(!ptk_image_ptr(img, ~0ull, 2));
	PTK_EXPECT_OK(ptk_image_read(b, img, 0x103ff8, 8));
	PTK_EXPECT_RC(ptk_image_read(b, img, 0x103ff8, 16), PTK_ERANGE);
	PTK_EXPECT_RC(ptk_image_read(b, img, ~0ull - 3, 8), PTK_EOVERFLOW);

	PTK_ASSERT_OK(ptk_table_attach(&t, &ptk_fmt_x86_64, ptk_image_mem(img),
				       0x100000, 0));
	PTK_ASSERT_OK(ptk_translate(&t, 0x1234, &x));
	PTK_EXPECT_EQ(x.oa, 0x6234);
	PTK_EXPECT_RC(ptk_translate(&t, 0x2000, &x), PTK_ENOENT);
	/* Read-only (the read_only test tries every mutation). */
	{
		struct ptk_attrs a = { PTK_PROT_RW, 0, 0, 0 };

		PTK_EXPECT_RC(ptk_map(&t, 0x40000000, 4096, 0x9000, &a, 0,
				      NULL),
			      PTK_EROFS);
	}
	ptk_table_destroy(&t);
	/* A root outside the image. */
	PTK_EXPECT_RC(ptk_table_attach(&t, &ptk_fmt_x86_64, ptk_image_mem(img),
				       0x200000, 0),
		      PTK_EINVAL);
	ptk_image_close(img);
	free(buf);
}

PTK_TEST(lime_segments)
{
	size_t n = 2 * (32 + 0x2000);
	unsigned char *buf = aligned_alloc(4096, 0x5000);
	struct ptk_image *img;
	struct ptk_image_seg s;
	struct ptk_table t;
	struct ptk_xlate x;
	unsigned char *r1 = buf + 32, *r2 = buf + 64 + 0x2000;
	unsigned char tmp[0x4000];

	PTK_ASSERT(buf);
	memset(buf, 0, 0x5000);
	/* The tree of raw_base_and_bounds, split in two ranges with a hole
	 * between them. */
	memset(tmp, 0, sizeof(tmp));
	x86_tree(tmp, 0x10000);
	put32(buf, 0x4C694D45);
	put32(buf + 4, 1);
	put64(buf + 8, 0x10000);
	put64(buf + 16, 0x11fff);
	memcpy(r1, tmp, 0x2000);
	put32(r1 + 0x2000, 0x4C694D45);
	put32(r1 + 0x2004, 1);
	put64(r1 + 0x2008, 0x12000);
	put64(r1 + 0x2010, 0x13fff);
	memcpy(r2, tmp + 0x2000, 0x2000);
	PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, n, NULL));
	PTK_EXPECT_EQ(ptk_image_kind(img), PTK_IMAGE_LIME);
	/* Adjacent in address but not in the file: two segments. */
	PTK_ASSERT_EQ(ptk_image_nr_segs(img), 2);
	PTK_ASSERT_OK(ptk_image_seg(&s, img, 1));
	PTK_EXPECT_EQ(s.pa, 0x12000);
	PTK_EXPECT(!ptk_image_ptr(img, 0x11ff8, 16)); /* straddles */
	{
		unsigned char b[16];

		PTK_EXPECT_OK(ptk_image_read(b, img, 0x11ff8, 16));
	}
	PTK_ASSERT_OK(ptk_table_attach(&t, &ptk_fmt_x86_64, ptk_image_mem(img),
				       0x10000, 0));
	PTK_ASSERT_OK(ptk_translate(&t, 0x1008, &x));
	PTK_EXPECT_EQ(x.oa, 0x6008);
	ptk_table_destroy(&t);
	ptk_image_close(img);

	/* A range that runs past the end of the file is refused, or with
	 * PTK_IMAGE_PARTIAL opened with the missing byte listed. */
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, n - 1, NULL), PTK_ETRUNC);
	{
		struct ptk_image_error e;
		struct ptk_image_opts o = { .flags = PTK_IMAGE_PARTIAL,
					    .error = &e };

		PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, n - 1, &o));
		PTK_EXPECT_EQ(e.code, 0);
		PTK_EXPECT_STREQ(e.msg, "");
		PTK_EXPECT_EQ(ptk_image_nr_segs(img), 2);
		PTK_ASSERT_EQ(ptk_image_nr_missing(img), 1);
		PTK_ASSERT_OK(ptk_image_missing(&s, img, 0));
		PTK_EXPECT_EQ(s.pa, 0x13fff);
		PTK_EXPECT_EQ(s.size, 1);
		PTK_EXPECT_EQ(s.file_off, n - 1);
		PTK_EXPECT_RC(ptk_image_missing(&s, img, 1), PTK_ERANGE);
		PTK_ASSERT_OK(ptk_image_seg(&s, img, 1));
		PTK_EXPECT_EQ(s.size, 0x1fff);
		ptk_image_close(img);
	}
	/* FORCE_RAW takes the same bytes as flat memory. */
	{
		struct ptk_image_opts o = { .flags = PTK_IMAGE_FORCE_RAW };

		PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, n, &o));
		PTK_EXPECT_EQ(ptk_image_kind(img), PTK_IMAGE_RAW);
		ptk_image_close(img);
	}
	free(buf);
}

struct load {
	uint64_t pa;
	uint64_t off;
	uint64_t size;
};

/* An x86-64 ELF64 core header at @buf: @n program headers at 64. */
static void elf_header(unsigned char *buf, unsigned int n)
{
	memcpy(buf, "\177ELF", 4);
	buf[4] = 2;
	buf[5] = 1;
	buf[6] = 1;
	put16(buf + 16, 4);
	put16(buf + 18, 62);
	put64(buf + 32, 64);
	put16(buf + 52, 64);
	put16(buf + 54, 56);
	put16(buf + 56, (uint16_t)n);
}

/* An x86-64 ELF64 core header at @buf with PT_LOADs @l, no notes. */
static void elf_loads(unsigned char *buf, const struct load *l, unsigned int n)
{
	unsigned int i;

	elf_header(buf, n);
	for (i = 0; i < n; i++) {
		unsigned char *ph = buf + 64 + 56 * i;

		put32(ph, 1);
		put64(ph + 8, l[i].off);
		put64(ph + 24, l[i].pa);
		put64(ph + 32, l[i].size);
		put64(ph + 40, l[i].size);
	}
}

/* ELF64 core: a note segment with PRSTATUS + QEMU notes, two PT_LOADs
 * (one at an odd file offset: its tables are read all the same). */
PTK_TEST(elf_core)
{
	unsigned char *buf = aligned_alloc(4096, 0x8000);
	unsigned char *n;
	struct ptk_image *img;
	const struct ptk_image_cpu *c;
	struct ptk_table t;
	struct ptk_xlate x;
	uint64_t v;
	size_t note_len = 12 + 8 + 336 + 12 + 8 + 440;

	PTK_ASSERT(buf);
	memset(buf, 0, 0x8000);
	elf_header(buf, 3);
	/* PT_NOTE */
	put32(buf + 64, 4);
	put64(buf + 64 + 8, 0x200);
	put64(buf + 64 + 32, note_len);
	/* PT_LOAD 0x10000..0x13fff from file 0x1000 */
	put32(buf + 120, 1);
	put64(buf + 120 + 8, 0x1000);
	put64(buf + 120 + 24, 0x10000);
	put64(buf + 120 + 32, 0x4000);
	/* PT_LOAD 0x20000..0x20fff from file 0x5001 (odd) */
	put32(buf + 176, 1);
	put64(buf + 176 + 8, 0x5001);
	put64(buf + 176 + 24, 0x20000);
	put64(buf + 176 + 32, 0x1000);
	n = buf + 0x200;
	put32(n, 5);
	put32(n + 4, 336);
	put32(n + 8, 1);
	memcpy(n + 12, "CORE", 5);
	put32(n + 20 + 32, 77); /* pr_pid */
	put64(n + 20 + 112 + 16 * 8, 0x401000); /* rip */
	n += 20 + 336;
	put32(n, 5);
	put32(n + 4, 440);
	put32(n + 8, 0);
	memcpy(n + 12, "QEMU", 5);
	put64(n + 20 + 8 + 18 * 8 + 10 * 24 + 3 * 8, 0x10000 | 0x18);
	put64(n + 20 + 8 + 18 * 8 + 10 * 24 + 4 * 8, 0x6f0);
	x86_tree(buf + 0x1000, 0x10000);
	put64(buf + 0x1000 + 0x2008, 0x20000 | 7); /* PD[1] -> odd seg */
	put64(buf + 0x5001 + 8, 0x7000 | 7); /* its PT[1] */

	PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, 0x8000, NULL));
	PTK_EXPECT_EQ(ptk_image_kind(img), PTK_IMAGE_ELF);
	PTK_EXPECT_EQ(ptk_image_machine(img), PTK_IMAGE_ARCH_X86_64);
	PTK_EXPECT_EQ(ptk_image_nr_segs(img), 2);
	PTK_ASSERT_EQ(ptk_image_nr_cpus(img), 1);
	c = ptk_image_cpu(img, 0);
	PTK_ASSERT(c);
	PTK_EXPECT_EQ(c->pid, 77);
	PTK_EXPECT_OK(ptk_image_cpu_reg(&v, c, "cr3"));
	PTK_EXPECT_EQ(v, 0x10018);
	PTK_EXPECT_OK(ptk_image_cpu_reg(&v, c, "rip"));
	PTK_EXPECT_EQ(v, 0x401000);
	PTK_EXPECT_RC(ptk_image_cpu_reg(&v, c, "satp"), PTK_ENOENT);
	PTK_EXPECT(!ptk_image_cpu(img, 1));
	PTK_ASSERT_OK(ptk_table_attach(&t, &ptk_fmt_x86_64, ptk_image_mem(img),
				       0x10000, 0));
	PTK_ASSERT_OK(ptk_translate(&t, 0x1000, &x));
	PTK_EXPECT_EQ(x.oa, 0x6000);
	/* The table in the odd segment is read from an aligned copy. */
	PTK_EXPECT(ptk_image_ptr(img, 0x20000, 8) != NULL);
	PTK_EXPECT(!((uintptr_t)ptk_image_ptr(img, 0x20000, 8) & 7));
	PTK_ASSERT_OK(ptk_translate(&t, 0x201010, &x));
	PTK_EXPECT_EQ(x.oa, 0x7010);
	PTK_EXPECT_RC(ptk_translate(&t, 0x200000, &x), PTK_ENOENT);
	ptk_table_destroy(&t);
	ptk_image_close(img);

	/* Notes that run past their segment. */
	put64(buf + 64 + 32, 20);
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x8000, NULL),
		      PTK_EBADIMAGE);
	/* Program headers past the end of the file. */
	put64(buf + 64 + 32, note_len);
	put64(buf + 32, 0x7ff0);
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x8000, NULL), PTK_ETRUNC);
	/* Big endian is not supported. */
	put64(buf + 32, 64);
	buf[5] = 2;
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x8000, NULL), PTK_ENOTSUP);
	free(buf);
}

/*
 * The PTKIT note `ptkit snapshot` writes (docs/IMAGES.md), made here byte
 * by byte: it names the format and the root, makes CPU 0's record, and
 * ptk_image_cpu_root() gives the root for that format only. A malformed
 * note is refused with PTK_EBADIMAGE.
 */
static void ptkit_core(unsigned char *buf, uint32_t version, const char *fmt,
		       size_t fmt_len, uint32_t descsz)
{
	unsigned char *n = buf + 0x200;

	memset(buf, 0, 0x6000);
	elf_header(buf, 2);
	put32(buf + 64, 4); /* PT_NOTE */
	put64(buf + 64 + 8, 0x200);
	put64(buf + 64 + 32, 20 + ((descsz + 3) & ~3u));
	put32(buf + 120, 1); /* PT_LOAD 0x40000000.. from 0x1000 */
	put64(buf + 120 + 8, 0x1000);
	put64(buf + 120 + 24, 0x40000000);
	put64(buf + 120 + 32, 0x4000);
	put32(n, 6);
	put32(n + 4, descsz);
	put32(n + 8, 1);
	memcpy(n + 12, "PTKIT", 6);
	put32(n + 20, version);
	put32(n + 24, 0);
	put64(n + 28, 0x40000018); /* root register: CR3 with PWT, PCD */
	put64(n + 36, 0x40000000); /* root table */
	put64(n + 44, 4242); /* pid */
	memcpy(n + 52, fmt, fmt_len);
	x86_tree(buf + 0x1000, 0x40000000);
}

PTK_TEST(elf_ptkit_note)
{
	unsigned char *buf = aligned_alloc(4096, 0x6000);
	struct ptk_image_ptkit pn;
	struct ptk_image *img;
	struct ptk_table t;
	struct ptk_xlate x;
	uint64_t v;
	char longname[40];

	PTK_ASSERT(buf);
	ptkit_core(buf, 1, "x86_64", 7, 64);
	PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, 0x6000, NULL));
	PTK_ASSERT_OK(ptk_image_ptkit(&pn, img));
	PTK_EXPECT_STREQ(pn.format, "x86_64");
	PTK_EXPECT_EQ(pn.root_reg, 0x40000018);
	PTK_EXPECT_EQ(pn.root_oa, 0x40000000);
	PTK_EXPECT_EQ(pn.pid, 4242);
	PTK_EXPECT_EQ(pn.cpu, 0);
	PTK_ASSERT_EQ(ptk_image_nr_cpus(img), 1);
	PTK_EXPECT_EQ(ptk_image_cpu(img, 0)->pid, 4242);
	PTK_EXPECT_OK(ptk_image_cpu_reg(&v, ptk_image_cpu(img, 0), "root"));
	PTK_EXPECT_EQ(v, 0x40000018);
	v = 0;
	PTK_EXPECT_OK(ptk_image_cpu_root(&v, img, 0, &ptk_fmt_x86_64));
	PTK_EXPECT_EQ(v, 0x40000018);
	/* Another format: the note does not name a root for it. */
	PTK_EXPECT_RC(ptk_image_cpu_root(&v, img, 0, &ptk_fmt_riscv_sv48),
		      PTK_ENOENT);
	PTK_EXPECT_RC(ptk_image_cpu_root(&v, img, 1, &ptk_fmt_x86_64),
		      PTK_EINVAL);
	PTK_ASSERT_OK(ptk_table_attach(&t, &ptk_fmt_x86_64, ptk_image_mem(img),
				       pn.root_oa, 0));
	PTK_ASSERT_OK(ptk_translate(&t, 0x1000, &x));
	PTK_EXPECT_EQ(x.oa, 0x6000);
	ptk_table_destroy(&t);
	ptk_image_close(img);

	/* A core without the note. */
	ptkit_core(buf, 1, "x86_64", 7, 64);
	memcpy(buf + 0x200 + 12, "PTKIS", 6);
	PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, 0x6000, NULL));
	PTK_EXPECT_RC(ptk_image_ptkit(&pn, img), PTK_ENOENT);
	PTK_EXPECT_RC(ptk_image_cpu_root(&v, img, 0, &ptk_fmt_x86_64),
		      PTK_EINVAL);
	ptk_image_close(img);

	/* Malformed: another version, a short descriptor, a name without
	 * its NUL, an empty name. */
	ptkit_core(buf, 2, "x86_64", 7, 64);
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x6000, NULL),
		      PTK_EBADIMAGE);
	ptkit_core(buf, 1, "x86_64", 7, 40);
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x6000, NULL),
		      PTK_EBADIMAGE);
	memset(longname, 'x', sizeof(longname));
	ptkit_core(buf, 1, longname, 32, 64);
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x6000, NULL),
		      PTK_EBADIMAGE);
	ptkit_core(buf, 1, "", 1, 64);
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x6000, NULL),
		      PTK_EBADIMAGE);
	free(buf);
}

/* The cell of @pa in the image's provider, or PTK_MEM_CELL_MAP. */
static uintptr_t cell_of(const struct ptk_mem *m, uint64_t pa)
{
	uint64_t i = (pa - m->cells.base) >> m->cells.lg2;

	return i < m->cells.nr ? m->cells.delta[i] : PTK_MEM_CELL_MAP;
}

/*
 * Every table in its own segment, at a file offset that is not the
 * address's (8-byte aligned, not page aligned): translation must go
 * through each, and every cell a segment covers whole must hold its
 * offset (the provider's inline path), whatever the span.
 */
PTK_TEST(elf_cells)
{
	static const uint64_t far[] = { 0x1000000, 0x1003000, 0x17ff000,
					0x1800000 };
	static const uint64_t wide[] = { 0x1000000, 0x40000000, 0x7fff000,
					 0x800000000000ull };
	const uint64_t *pas[] = { far, wide };
	unsigned char *buf = aligned_alloc(4096, 0x8000);
	unsigned int v, i;

	PTK_ASSERT(buf);
	for (v = 0; v < 2; v++) {
		const uint64_t *pa = pas[v];
		struct load l[5];
		struct ptk_image *img;
		const struct ptk_mem *m;
		struct ptk_table t;
		struct ptk_xlate x;

		memset(buf, 0, 0x8000);
		for (i = 0; i < 4; i++) {
			l[i].pa = pa[i];
			l[i].off = 0x1000 + i * 0x1008;
			l[i].size = 0x1000;
		}
		/* A segment that covers no cell whole: a 32-byte table
		 * (PAE's root) inside it goes through the search. */
		l[4].pa = 0x2000f00;
		l[4].off = 0x6000;
		l[4].size = 0x200;
		elf_loads(buf, l, 5);
		/* VA 0xc0a03123: PML4[0], PDPT[3], PD[5], PT[3]. */
		put64(buf + l[0].off, pa[1] | 7);
		put64(buf + l[1].off + 3 * 8, pa[2] | 7);
		put64(buf + l[2].off + 5 * 8, pa[3] | 7);
		put64(buf + l[3].off + 3 * 8, 0xabc000 | 7);
		/* PAE root at 0x2000fe0: entry 0 -> the PD above. */
		put64(buf + l[4].off + 0xe0, pa[2] | 1);
		PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, 0x8000, NULL));
		PTK_ASSERT_EQ(ptk_image_nr_segs(img), 5);
		m = ptk_image_mem(img);
		PTK_EXPECT(m->flags & PTK_MEM_CELLS);
		PTK_EXPECT(!(m->flags & PTK_MEM_LINEAR));
		PTK_EXPECT(m->cells.nr <= (1u << 19));
		for (i = 0; i < 4; i++) {
			uintptr_t want =
				(uintptr_t)(buf + l[i].off) - (uintptr_t)pa[i];

			/* Cells of 4 KiB when the span allows it. */
			if (m->cells.lg2 == 12)
				PTK_EXPECT_EQ(cell_of(m, pa[i]), want);
			else
				PTK_EXPECT_EQ(cell_of(m, pa[i]),
					      PTK_MEM_CELL_MAP);
		}
		PTK_EXPECT(v ? m->cells.lg2 > 12 : m->cells.lg2 == 12);
		PTK_EXPECT_EQ(cell_of(m, 0x2000f00), PTK_MEM_CELL_MAP);
		PTK_EXPECT_EQ(cell_of(m, 0x1001000), PTK_MEM_CELL_MAP);

		PTK_ASSERT_OK(
			ptk_table_attach(&t, &ptk_fmt_x86_64, m, pa[0], 0));
		PTK_ASSERT_OK(ptk_translate(&t, 0x00000000c0a03123ull, &x));
		PTK_EXPECT_EQ(x.oa, 0xabc123);
		PTK_EXPECT_RC(ptk_translate(&t, 0x00000000c0a04000ull, &x),
			      PTK_ENOENT);
		ptk_table_destroy(&t);
		/* A PAE root in the segment no cell covers. */
		PTK_ASSERT_OK(ptk_table_attach(&t, &ptk_fmt_x86_pae, m,
					       0x2000fe0, 0));
		PTK_ASSERT_OK(ptk_translate(&t, 0x00a03123, &x));
		PTK_EXPECT_EQ(x.oa, 0xabc123);
		ptk_table_destroy(&t);
		PTK_EXPECT_RC(ptk_table_attach(&t, &ptk_fmt_x86_pae, m,
					       0x2001100, 0),
			      PTK_EINVAL);
		ptk_image_close(img);
	}
	free(buf);
}

/*
 * Read-only tables. The same x86-64 tree at 0x200000 is presented as a
 * raw image over a caller's buffer, as a raw image file, as an ELF core
 * over a buffer, and (writable) in an arena: every mutation must fail
 * with PTK_EROFS on the first three and leave their bytes as they were,
 * and succeed on the arena and change its bytes there (so each call
 * would have written).
 */
#define RO_BASE 0x200000u
#define RO_SIZE 0x10000u

static void ro_tree(unsigned char *b)
{
	unsigned int i;

	memset(b, 0, RO_SIZE);
	put64(b + 0x0000, (RO_BASE + 0x1000) | 7);
	put64(b + 0x1000, (RO_BASE + 0x2000) | 7);
	/* PD[0] -> a full, uniform PT (collapsible); PD[1] a 2 MiB leaf,
	 * accessed and dirty. */
	put64(b + 0x2000, (RO_BASE + 0x3000) | 7);
	put64(b + 0x2008, 0x40000000 | 0x80 | 0x60 | 7);
	for (i = 0; i < 512; i++)
		put64(b + 0x3000 + 8 * i, (0x600000 + i * 0x1000) | 0x60 | 7);
}

enum ro_op {
	RO_MAP,
	RO_MAP_REPLACE,
	RO_UNMAP,
	RO_PROTECT,
	RO_HARVEST_CLEAR,
	RO_COPY_INTO,
	RO_COPY_COW_FROM,
	RO_MOVE,
	RO_SPLIT,
	RO_COLLAPSE,
	RO_ITER_SET,
	RO_ITER_CLEAR,
	RO_NR
};

static const char *const ro_names[RO_NR] = {
	"map",		 "map REPLACE", "unmap",	 "protect",
	"harvest CLEAR", "copy into",	"copy COW from", "move",
	"split",	 "collapse",	"iter_set",	 "iter_clear",
};

static int ro_found(ptk_va_t va, uint64_t len, unsigned int found, void *arg)
{
	(void)va;
	(void)len;
	(void)found;
	++*(unsigned int *)arg;
	return 0;
}

/* Run @op on @t; @h is a heap provider for a second table. */
static int ro_run(enum ro_op op, struct ptk_table *t, struct ptk_mem_heap *h)
{
	struct ptk_attrs a = { PTK_PROT_RW, 0, 0, 0 };
	struct ptk_gather g;
	struct ptk_table o;
	struct ptk_iter it;
	unsigned int n = 0;
	int rc = 0;

	ptk_gather_init(&g);
	PTK_ASSERT_OK(ptk_table_create(&o, &ptk_fmt_x86_64, &h->mem, 0));
	switch (op) {
	case RO_MAP: /* an empty PD entry: no table to allocate */
		rc = ptk_map(t, 0x400000, 0x200000, 0x800000, &a, 0, &g);
		break;
	case RO_MAP_REPLACE:
		rc = ptk_map(t, 0x200000, 0x200000, 0xa00000, &a,
			     PTK_MAP_REPLACE, &g);
		break;
	case RO_UNMAP:
		rc = ptk_unmap(t, 0, 0x1000, 0, &g);
		break;
	case RO_PROTECT:
		rc = ptk_protect(t, 0, 0x200000, PTK_PROT_READ, 0, &g);
		break;
	case RO_HARVEST_CLEAR:
		rc = ptk_harvest(t, 0, 0x400000,
				 PTK_ATTR_ACCESSED | PTK_ATTR_DIRTY,
				 PTK_HARVEST_CLEAR, ro_found, &n, &g);
		break;
	case RO_COPY_INTO:
		PTK_ASSERT_OK(
			ptk_map(&o, 0x80000000, 0x1000, 0x5000, &a, 0, NULL));
		rc = ptk_copy(t, &o, 0x80000000, 0x1000, 0, &g);
		break;
	case RO_COPY_COW_FROM:
		rc = ptk_copy(&o, t, 0, 0x400000, PTK_COPY_COW, &g);
		break;
	case RO_MOVE:
		rc = ptk_move(t, 0, 0x400000, 0x1000, 0, &g);
		break;
	case RO_SPLIT:
		rc = ptk_split(t, 0x200000, 1, &g);
		break;
	case RO_COLLAPSE:
		rc = ptk_collapse(t, 0, 1, &g);
		break;
	case RO_ITER_SET:
	case RO_ITER_CLEAR:
		PTK_ASSERT_OK(ptk_iter_init(&it, t, 0, 0x1000, 0));
		PTK_ASSERT_EQ(ptk_iter_next(&it), 1);
		rc = op == RO_ITER_SET ? ptk_iter_set(&it, 0x900000, &a, 0, &g)
				       : ptk_iter_clear(&it, &g);
		ptk_iter_fini(&it);
		break;
	case RO_NR:
		break;
	}
	ptk_table_flush(t, &g);
	ptk_table_destroy(&o);
	return rc;
}

/* The image's tables, read back through the image. */
static bool ro_same(const struct ptk_image *img, const unsigned char *want)
{
	static unsigned char b[RO_SIZE];

	return !ptk_image_read(b, img, RO_BASE, RO_SIZE) &&
	       !memcmp(b, want, RO_SIZE);
}

PTK_TEST(read_only)
{
	unsigned char *want = malloc(RO_SIZE);
	unsigned char *raw = aligned_alloc(4096, RO_SIZE);
	unsigned char *elf = aligned_alloc(4096, 0x1000 + RO_SIZE);
	unsigned char *abuf = aligned_alloc(4096, 4u << 20);
	char path[] = "/tmp/ptk-ro-XXXXXX";
	struct ptk_image_opts o = { .base = RO_BASE };
	struct ptk_mem_heap h;
	struct load l = { RO_BASE, 0x1000, RO_SIZE };
	struct ptk_image *imgs[3];
	unsigned int op, k;
	FILE *f;
	int fd;

	PTK_ASSERT(want && raw && elf && abuf);
	ro_tree(want);
	memcpy(raw, want, RO_SIZE);
	memset(elf, 0, 0x1000);
	elf_loads(elf, &l, 1);
	memcpy(elf + 0x1000, want, RO_SIZE);
	fd = mkstemp(path);
	PTK_ASSERT(fd >= 0);
	f = fdopen(fd, "wb");
	PTK_ASSERT(f && fwrite(want, 1, RO_SIZE, f) == RO_SIZE);
	fclose(f);
	PTK_ASSERT_OK(ptk_image_open_mem(&imgs[0], raw, RO_SIZE, &o));
	PTK_ASSERT_OK(ptk_image_open(&imgs[1], path, &o));
	PTK_ASSERT_OK(
		ptk_image_open_mem(&imgs[2], elf, 0x1000 + RO_SIZE, NULL));
	PTK_ASSERT_OK(ptk_mem_heap_init(&h));

	for (k = 0; k < 3; k++) {
		const struct ptk_mem *m = ptk_image_mem(imgs[k]);
		struct ptk_table t;

		PTK_EXPECT(m->flags & PTK_MEM_READONLY);
		PTK_EXPECT_RC(ptk_table_create(&t, &ptk_fmt_x86_64, m, 0),
			      PTK_EROFS);
		PTK_EXPECT_RC(ptk_table_attach(&t, &ptk_fmt_x86_64, m, RO_BASE,
					       PTK_TABLE_OWNED),
			      PTK_EROFS);
		for (op = 0; op < RO_NR; op++) {
			int rc;

			PTK_ASSERT_OK(ptk_table_attach(&t, &ptk_fmt_x86_64, m,
						       RO_BASE, 0));
			rc = ro_run(op, &t, &h);
			if (rc != PTK_EROFS || !ro_same(imgs[k], want))
				PTK_FAIL("image %u: %s: %s, bytes %s", k,
					 ro_names[op], ptk_errname(rc),
					 ro_same(imgs[k], want) ? "unchanged"
								: "CHANGED");
			ptk_table_destroy(&t);
		}
		/* Reading still works: a harvest that clears nothing, and a
		 * copy without copy-on-write out of the image. */
		PTK_ASSERT_OK(
			ptk_table_attach(&t, &ptk_fmt_x86_64, m, RO_BASE, 0));
		{
			struct ptk_table c;
			struct ptk_xlate x;
			unsigned int n = 0;

			PTK_EXPECT_OK(ptk_harvest(&t, 0, 0x400000,
						  PTK_ATTR_DIRTY, 0, ro_found,
						  &n, NULL));
			PTK_EXPECT(n > 0);
			PTK_ASSERT_OK(ptk_table_create(&c, &ptk_fmt_x86_64,
						       &h.mem, 0));
			PTK_EXPECT_OK(ptk_copy(&c, &t, 0, 0x400000, 0, NULL));
			PTK_EXPECT_OK(ptk_translate(&c, 0x201234, &x));
			PTK_EXPECT_EQ(x.oa, 0x40001234);
			ptk_table_destroy(&c);
		}
		ptk_table_destroy(&t);
		PTK_EXPECT(ro_same(imgs[k], want));
	}

	/* The same calls on a writable copy succeed and write. */
	for (op = 0; op < RO_NR; op++) {
		struct ptk_mem_arena a;
		struct ptk_table t;
		ptk_oa_t oa;
		void *p;
		int rc;

		PTK_ASSERT_OK(ptk_mem_arena_init(&a, abuf, RO_BASE, 4u << 20));
		PTK_ASSERT_OK(a.mem.ops->alloc(a.mem.arg, 16, &oa, &p));
		PTK_ASSERT_EQ(oa, RO_BASE);
		memcpy(p, want, RO_SIZE);
		PTK_ASSERT_OK(ptk_table_attach(&t, &ptk_fmt_x86_64, &a.mem,
					       RO_BASE, 0));
		rc = ro_run(op, &t, &h);
		if (rc || !memcmp(p, want, RO_SIZE))
			PTK_FAIL("writable: %s: %s, bytes %s", ro_names[op],
				 ptk_errname(rc),
				 memcmp(p, want, RO_SIZE) ? "changed"
							  : "unchanged");
		ptk_table_destroy(&t);
	}

	ptk_mem_heap_fini(&h);
	for (k = 0; k < 3; k++)
		ptk_image_close(imgs[k]);
	unlink(path);
	free(want);
	free(raw);
	free(elf);
	free(abuf);
}

/*
 * Open @n bytes of @buf and expect @code with every word of the
 * NULL-terminated list in the message (code 0: it opens, and is closed).
 */
static void expect_open(const char *what, const void *buf, size_t n,
			unsigned int flags, int code, ...)
{
	struct ptk_image_error e;
	struct ptk_image_opts o = { .flags = flags, .error = &e };
	struct ptk_image *img = NULL;
	const char *w;
	va_list ap;
	int rc;

	memset(&e, 0x55, sizeof(e));
	rc = ptk_image_open_mem(&img, buf, n, &o);
	if (rc != code || e.code != code || (!code) != (!e.msg[0]))
		PTK_FAIL("%s: %s (error %s, \"%.*s\"), want %s", what,
			 ptk_errname(rc), ptk_errname(e.code),
			 (int)sizeof(e.msg), e.msg, ptk_errname(code));
	va_start(ap, code);
	while ((w = va_arg(ap, const char *)))
		if (!strstr(e.msg, w))
			PTK_FAIL("%s: \"%s\" lacks \"%s\"", what, e.msg, w);
	va_end(ap);
	ptk_image_close(img);
}

/* An ELF64 x86-64 core of @nr_notes PRSTATUS notes and no memory. */
static unsigned char *elf_notes(size_t nr_notes, size_t *size)
{
	size_t desc = 336, one = 12 + 8 + desc, i;
	unsigned char *b;

	*size = 0x1000 + nr_notes * one;
	b = calloc(1, *size);
	if (!b)
		return NULL;
	elf_loads(b, NULL, 0);
	put16(b + 56, 1);
	put32(b + 64, 4);
	put64(b + 64 + 8, 0x1000);
	put64(b + 64 + 32, nr_notes * one);
	for (i = 0; i < nr_notes; i++) {
		unsigned char *n = b + 0x1000 + i * one;

		put32(n, 5);
		put32(n + 4, (uint32_t)desc);
		put32(n + 8, 1);
		memcpy(n + 12, "CORE", 5);
		put32(n + 20 + 32, (uint32_t)i + 1);
	}
	return b;
}

/* Each way an image is refused has its own code and a message naming
 * the cause, what was expected and what was found. */
PTK_TEST(open_errors)
{
	static const unsigned char gz[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0 };
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 0 };
	static const unsigned char zst[] = { 0x28, 0xb5, 0x2f, 0xfd, 0, 0 };
	unsigned char *b = aligned_alloc(4096, 0x10000);
	struct load l[3];
	struct ptk_image_seg sg;
	struct ptk_image *img;
	unsigned char *big;
	size_t n;

	PTK_ASSERT(b);
	expect_open("empty", b, 0, 0, PTK_EBADIMAGE, "empty", NULL);
	expect_open("gzip", gz, sizeof(gz), 0, PTK_ECOMPRESSED, "gzip",
		    "decompress", NULL);
	expect_open("xz", xz, sizeof(xz), 0, PTK_ECOMPRESSED, "xz", NULL);
	expect_open("zstd", zst, sizeof(zst), 0, PTK_ECOMPRESSED, "zstd", NULL);
	expect_open("gzip, forced raw", gz, sizeof(gz), PTK_IMAGE_FORCE_RAW, 0,
		    NULL);

	/* ELF headers. */
	memset(b, 0, 0x10000);
	elf_loads(b, NULL, 0);
	expect_open("ELF64 header cut", b, 40, 0, PTK_ETRUNC,
		    "ELF header cut short", "64 bytes", "has 40", NULL);
	expect_open("ELF magic only", b, 4, 0, PTK_ETRUNC,
		    "ELF header cut short", NULL);
	b[4] = 3;
	expect_open("ELF class", b, 64, 0, PTK_EBADIMAGE, "class 3", NULL);
	b[4] = 2;
	b[5] = 2;
	expect_open("big endian", b, 64, 0, PTK_ENOTSUP, "big-endian", NULL);
	b[5] = 1;
	put16(b + 54, 20);
	put16(b + 56, 1);
	expect_open("phentsize", b, 64 + 56, 0, PTK_EBADIMAGE,
		    "e_phentsize is 20", "56 bytes", NULL);
	put16(b + 54, 56);
	put16(b + 56, 3);
	expect_open("program headers cut", b, 64 + 56, 0, PTK_ETRUNC,
		    "program headers cut short", NULL);

	/* Memory cut short: refused with the ranges named, or opened with
	 * PTK_IMAGE_PARTIAL and the ranges listed. */
	l[0] = (struct load){ 0x100000, 0x1000, 0x1000 };
	l[1] = (struct load){ 0x300000, 0x2000, 0x2000 };
	l[2] = (struct load){ 0x500000, 0x4000, 0x1000 };
	elf_loads(b, l, 3);
	expect_open("ELF cut in half", b, 0x3000, 0, PTK_ETRUNC, "cut short",
		    "2 of 3 PT_LOAD segments", "0x301000-0x301fff",
		    "0x500000-0x500fff", NULL);
	PTK_ASSERT_OK(ptk_image_open_mem(
		&img, b, 0x3000,
		&(struct ptk_image_opts){ .flags = PTK_IMAGE_PARTIAL }));
	PTK_EXPECT_EQ(ptk_image_nr_segs(img), 2);
	PTK_ASSERT_EQ(ptk_image_nr_missing(img), 2);
	PTK_ASSERT_OK(ptk_image_missing(&sg, img, 0));
	PTK_EXPECT_EQ(sg.pa, 0x301000);
	PTK_EXPECT_EQ(sg.size, 0x1000);
	PTK_EXPECT_EQ(sg.file_off, 0x3000);
	PTK_ASSERT_OK(ptk_image_missing(&sg, img, 1));
	PTK_EXPECT_EQ(sg.pa, 0x500000);
	ptk_image_close(img);
	expect_open("ELF whole", b, 0x5000, 0, 0, NULL);

	/* Overlaps: the same bytes are one memory; different bytes are
	 * refused, naming both segments. */
	l[1] = (struct load){ 0x100800, 0x2000, 0x1000 };
	elf_loads(b, l, 3);
	memset(b + 0x1000, 0xaa, 0x1000);
	memset(b + 0x2000, 0xaa, 0x1000);
	PTK_ASSERT_OK(ptk_image_open_mem(&img, b, 0x5000, NULL));
	/* 0x100000-0x100fff, then the second's last half, then 0x500000. */
	PTK_ASSERT_EQ(ptk_image_nr_segs(img), 3);
	PTK_ASSERT_OK(ptk_image_seg(&sg, img, 1));
	PTK_EXPECT_EQ(sg.pa, 0x101000);
	PTK_EXPECT_EQ(sg.size, 0x800);
	PTK_EXPECT_EQ(sg.file_off, 0x2800);
	ptk_image_close(img);
	b[0x2000 + 0x123] = 0xab;
	expect_open("overlap", b, 0x5000, 0, PTK_EBADIMAGE,
		    "PT_LOAD segments 0 and 1 overlap", "0x100923",
		    "0x100000-0x100fff", "0x100800-0x1017ff", NULL);

	/* Extended numbering: e_phnum PN_XNUM, the count in sh_info. */
	l[1] = (struct load){ 0x300000, 0x2000, 0x2000 };
	elf_loads(b, l, 3);
	put16(b + 56, 0xffff);
	expect_open("PN_XNUM without sections", b, 0x5000, 0, PTK_EBADIMAGE,
		    "PN_XNUM", "e_shoff is 0", NULL);
	put64(b + 40, 0x800);
	put16(b + 58, 64);
	put32(b + 0x800 + 44, 3);
	PTK_ASSERT_OK(ptk_image_open_mem(&img, b, 0x5000, NULL));
	PTK_EXPECT_EQ(ptk_image_nr_segs(img), 3);
	ptk_image_close(img);
	expect_open("PN_XNUM section header cut", b, 0x810, 0, PTK_ETRUNC,
		    "PN_XNUM", "section header 0", NULL);

	/* More than 4096 CPUs; more than 65536 is refused by name. */
	big = elf_notes(5000, &n);
	PTK_ASSERT(big);
	PTK_ASSERT_OK(ptk_image_open_mem(&img, big, n, NULL));
	PTK_EXPECT_EQ(ptk_image_nr_cpus(img), 5000);
	PTK_EXPECT_EQ(ptk_image_cpu(img, 4999)->pid, 5000);
	ptk_image_close(img);
	free(big);
	big = elf_notes(65537, &n);
	PTK_ASSERT(big);
	expect_open("65537 CPUs", big, n, 0, PTK_EBADIMAGE,
		    "more than 65536 CPU notes", NULL);
	free(big);

	/* LiME: a bad second header, an unknown version, a range cut. */
	memset(b, 0, 0x10000);
	put32(b, 0x4C694D45);
	put32(b + 4, 1);
	put64(b + 8, 0x1000);
	put64(b + 16, 0x1fff);
	expect_open("LiME bad magic", b, 32 + 0x1000 + 32, 0, PTK_EBADIMAGE,
		    "LiME header 1", "magic 0x00000000", "0x4c694d45", NULL);
	expect_open("LiME header cut", b, 32 + 0x1000 + 8, 0, PTK_ETRUNC,
		    "LiME header 1 cut short", NULL);
	expect_open("LiME range cut", b, 32 + 0x800, 0, PTK_ETRUNC,
		    "1 of 1 LiME ranges", "0x1800-0x1fff", NULL);
	put32(b + 4, 2);
	expect_open("LiME version", b, 32 + 0x1000, 0, PTK_EBADIMAGE,
		    "version 2", "expected 1", NULL);
	put32(b + 4, 1);
	put64(b + 16, 0xfff);
	expect_open("LiME backwards", b, 32 + 0x1000, 0, PTK_EBADIMAGE,
		    "below its start", NULL);
	/* Two ranges over the same memory with different bytes. */
	put64(b + 16, 0x1fff);
	put32(b + 32 + 0x1000, 0x4C694D45);
	put32(b + 32 + 0x1004, 1);
	put64(b + 32 + 0x1008, 0x1800);
	put64(b + 32 + 0x1010, 0x27ff);
	b[64 + 0x1000] = 1;
	expect_open("LiME overlap", b, 64 + 0x2000, 0, PTK_EBADIMAGE,
		    "LiME ranges 0 and 1 overlap", NULL);
	free(b);
}

/* Open @path and expect @code with @word in the message. */
static void expect_file(const char *path, int code, const char *word)
{
	struct ptk_image_error e;
	struct ptk_image_opts o = { .error = &e };
	struct ptk_image *img = NULL;
	int rc = ptk_image_open(&img, path, &o);

	if (rc != code || e.code != code || !strstr(e.msg, word))
		PTK_FAIL("%s: %s \"%s\", want %s \"%s\"", path, ptk_errname(rc),
			 e.msg, ptk_errname(code), word);
	ptk_image_close(img);
}

PTK_TEST(file_open)
{
	char dir[] = "/tmp/ptk-img-XXXXXX";
	char fifo[64], empty[64];
	struct ptk_image *img;
	FILE *f;

	PTK_ASSERT(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	PTK_ASSERT(!mkfifo(fifo, 0600));
	f = fopen(empty, "wb");
	PTK_ASSERT(f);
	fclose(f);
	expect_file("/nonexistent/ptkit", PTK_EFILE,
		    "No such file or directory");
	expect_file(dir, PTK_EFILE, "is a directory");
	/* No writer: opening must not wait for one (SIGALRM ends a wait). */
	alarm(20);
	expect_file(fifo, PTK_EFILE, "is a FIFO");
	alarm(0);
	expect_file("/dev/zero", PTK_EFILE, "is a character device");
	expect_file(empty, PTK_EBADIMAGE, "empty (0 bytes)");
	PTK_EXPECT_RC(ptk_image_open(NULL, "/", NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_image_open(&img, NULL, NULL), PTK_EINVAL);
	ptk_image_close(NULL);
	unlink(fifo);
	unlink(empty);
	rmdir(dir);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(raw_base_and_bounds),
	PTK_TEST_ENTRY(lime_segments),
	PTK_TEST_ENTRY(elf_core),
	PTK_TEST_ENTRY(elf_ptkit_note),
	PTK_TEST_ENTRY(elf_cells),
	PTK_TEST_ENTRY(read_only),
	PTK_TEST_ENTRY(open_errors),
	PTK_TEST_ENTRY(file_open),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
