// SPDX-License-Identifier: MIT
/*
 * The image provider: detection by content, segments, bounds, notes, and
 * attaching a table through it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
	struct ptk_image_opts o = { 0, 0x100000 };
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
	/* Read-only: the provider cannot allocate. */
	{
		struct ptk_attrs a = { PTK_PROT_RW, 0, 0, 0 };

		PTK_EXPECT_RC(ptk_map(&t, 0x40000000, 4096, 0x9000, &a, 0,
				      NULL),
			      PTK_ENOMEM);
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

	/* A range that runs past the end of the file is refused. */
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, n - 1, NULL), PTK_ECORRUPT);
	/* FORCE_RAW takes the same bytes as flat memory. */
	{
		struct ptk_image_opts o = { PTK_IMAGE_FORCE_RAW, 0 };

		PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, n, &o));
		PTK_EXPECT_EQ(ptk_image_kind(img), PTK_IMAGE_RAW);
		ptk_image_close(img);
	}
	free(buf);
}

/* ELF64 core: a note segment with PRSTATUS + QEMU notes, two PT_LOADs
 * (one at an odd file offset: present, but no table can live there). */
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
	memcpy(buf, "\177ELF", 4);
	buf[4] = 2;
	buf[5] = 1;
	buf[6] = 1;
	put16(buf + 16, 4);
	put16(buf + 18, 62);
	put64(buf + 32, 64);
	put16(buf + 54, 56);
	put16(buf + 56, 3);
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
	/* The table in the odd segment is there but unreadable. */
	PTK_EXPECT(ptk_image_ptr(img, 0x20000, 8) != NULL);
	PTK_EXPECT_RC(ptk_translate(&t, 0x200000, &x), PTK_ECORRUPT);
	ptk_table_destroy(&t);
	ptk_image_close(img);

	/* Notes that run past their segment. */
	put64(buf + 64 + 32, 20);
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x8000, NULL),
		      PTK_ECORRUPT);
	/* Program headers past the end of the file. */
	put64(buf + 64 + 32, note_len);
	put64(buf + 32, 0x7ff0);
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x8000, NULL),
		      PTK_ECORRUPT);
	/* Big endian is not supported. */
	put64(buf + 32, 64);
	buf[5] = 2;
	PTK_EXPECT_RC(ptk_image_open_mem(&img, buf, 0x8000, NULL), PTK_ENOTSUP);
	free(buf);
}

struct load {
	uint64_t pa;
	uint64_t off;
	uint64_t size;
};

/* An x86-64 ELF64 core header at @buf with PT_LOADs @l, no notes. */
static void elf_loads(unsigned char *buf, const struct load *l, unsigned int n)
{
	unsigned int i;

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
	for (i = 0; i < n; i++) {
		unsigned char *ph = buf + 64 + 56 * i;

		put32(ph, 1);
		put64(ph + 8, l[i].off);
		put64(ph + 24, l[i].pa);
		put64(ph + 32, l[i].size);
		put64(ph + 40, l[i].size);
	}
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

PTK_TEST(file_open)
{
	struct ptk_image *img;

	PTK_EXPECT_RC(ptk_image_open(&img, "/nonexistent/ptkit", NULL),
		      PTK_EINVAL);
	PTK_EXPECT_RC(ptk_image_open(&img, "/", NULL), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_image_open(NULL, "/", NULL), PTK_EINVAL);
	ptk_image_close(NULL);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(raw_base_and_bounds),
	PTK_TEST_ENTRY(lime_segments),
	PTK_TEST_ENTRY(elf_core),
	PTK_TEST_ENTRY(elf_cells),
	PTK_TEST_ENTRY(file_open),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
