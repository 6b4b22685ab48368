// SPDX-License-Identifier: MIT
/*
 * The walk's slots hook (a table's raw entries at a time) against the
 * walk's leaf hook: the same pages (VA, OA, size) in the same order and
 * the same malformed entries, on the real page tables of the fixtures
 * (tests/fixtures, PTK_FIXTURES names the directory) and on tables made
 * here for several formats, with holes, huge leaves, contiguous groups
 * and a table page missing from an image.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ptkit.h>
#include <ptkit/image.h>
#include <ptkit/shared.h>

#include "harness/ptk_test.h"

/* One page of a leaf, or one malformed entry (size 0, OA = its last VA). */
struct page {
	ptk_va_t va;
	ptk_oa_t oa;
	unsigned int size_lg2;
	unsigned int level;
};

struct seen {
	const struct ptk_fmt *f;
	struct page *v;
	size_t nr, cap;
	uint64_t counted; /* leaves by ptk_walk_slots_count() */
	uint64_t bad; /* malformed entries by ptk_walk_slots_count() */
	uint64_t calls;
	bool mismatch; /* a run whose count disagrees with its entries */
};

static void add(struct seen *s, ptk_va_t va, ptk_oa_t oa, unsigned int lg2,
		unsigned int level)
{
	if (s->nr == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		PTK_ASSERT(s->v);
	}
	s->v[s->nr].va = va;
	s->v[s->nr].oa = oa;
	s->v[s->nr].size_lg2 = lg2;
	s->v[s->nr].level = level;
	s->nr++;
}

/* The reference: runs of the leaf hook, cut into their entries' pages. */
static int ref_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct seen *s = arg;
	unsigned int base = s->f->level_shift[l->level];
	uint64_t per = (uint64_t)1 << (l->size_lg2 - base), i, j;

	for (i = 0; i < l->count; i++)
		for (j = 0; j < per; j++)
			add(s, l->va + (i << l->size_lg2) + (j << base),
			    l->oa + (i << l->size_lg2) + (j << base), base,
			    l->level);
	return 0;
}

static int note_invalid(ptk_va_t va, ptk_va_t last, unsigned int level,
			ptk_pte_t pte, void *arg)
{
	(void)pte;
	add(arg, va, last, 0, level);
	return 0;
}

/* Under test: each run's entries decoded one by one, and counted. */
static int got_slots(const struct ptk_walk_slots *r, void *arg)
{
	struct seen *s = arg;
	uint64_t i, leaves = 0, bad = 0, n, nbad;
	struct ptk_walk_page p;

	PTK_EXPECT(r->count >= 1);
	PTK_EXPECT_EQ(r->size_lg2, s->f->level_shift[r->level]);
	for (i = 0; i < r->count; i++) {
		int rc = ptk_walk_slot(r, i, &p);

		if (rc == 1) {
			add(s, p.va, p.oa, r->size_lg2, r->level);
			leaves++;
		} else if (rc == PTK_ECORRUPT) {
			ptk_va_t va = r->va + (i << r->size_lg2);

			add(s, va, va + (((ptk_va_t)1 << r->size_lg2) - 1), 0,
			    r->level);
			bad++;
		} else {
			PTK_EXPECT_EQ(rc, 0);
		}
	}
	PTK_EXPECT_RC(ptk_walk_slot(r, r->count, &p), PTK_EINVAL);
	n = ptk_walk_slots_count(r, &nbad);
	if (n != leaves || nbad != bad)
		s->mismatch = true;
	s->counted += n;
	s->bad += nbad;
	s->calls++;
	return 0;
}

static int count_only(const struct ptk_walk_slots *r, void *arg)
{
	uint64_t *n = arg;

	*n += ptk_walk_slots_count(r, NULL);
	return 0;
}

/* Compare the two walks of @t over [va, va + len - 1] (len 0: all). */
static void compare(const struct ptk_table *t, ptk_va_t va, uint64_t len,
		    uint64_t *leaves_out, uint64_t *bad_out)
{
	static const struct ptk_walk_ops ref_ops = {
		.leaf = ref_leaf,
		.invalid = note_invalid,
	};
	static const struct ptk_walk_ops slot_ops = {
		.slots = got_slots,
		.invalid = note_invalid,
	};
	struct seen a, b;
	size_t i, nbad = 0;
	int ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.f = b.f = t->fmt;
	ra = len ? ptk_walk(t, va, len, &ref_ops, &a)
		 : ptk_walk_all(t, &ref_ops, &a);
	rb = len ? ptk_walk(t, va, len, &slot_ops, &b)
		 : ptk_walk_all(t, &slot_ops, &b);
	PTK_EXPECT_EQ(ra, rb);
	PTK_EXPECT(!b.mismatch);
	PTK_EXPECT_EQ(a.nr, b.nr);
	for (i = 0; i < a.nr && i < b.nr; i++) {
		if (a.v[i].va != b.v[i].va || a.v[i].oa != b.v[i].oa ||
		    a.v[i].size_lg2 != b.v[i].size_lg2 ||
		    a.v[i].level != b.v[i].level) {
			PTK_FAIL("%s: entry %zu: walk %" PRIx64 " -> %" PRIx64
				 " (lg2 %u, level %u), slots %" PRIx64
				 " -> %" PRIx64 " (lg2 %u, level %u)",
				 t->fmt->name, i, a.v[i].va, a.v[i].oa,
				 a.v[i].size_lg2, a.v[i].level, b.v[i].va,
				 b.v[i].oa, b.v[i].size_lg2, b.v[i].level);
			break;
		}
		nbad += !a.v[i].size_lg2;
	}
	/* Malformed leaf-table entries are in the runs; missing tables
	 * come through the invalid hook in both walks. */
	PTK_EXPECT(b.bad <= nbad);
	PTK_EXPECT_EQ(b.counted + nbad, a.nr);
	if (leaves_out)
		*leaves_out = b.counted;
	if (bad_out)
		*bad_out = nbad;
	free(a.v);
	free(b.v);
}

/* The count alone, as the bench runs it, must agree too. */
static uint64_t count_all(const struct ptk_table *t)
{
	static const struct ptk_walk_ops ops = { .slots = count_only };
	uint64_t n = 0;

	PTK_EXPECT_OK(ptk_walk_all(t, &ops, &n));
	return n;
}

/* ---- the fixtures */

static char *slurp_gz(const char *path, size_t *size)
{
	char cmd[4200];
	size_t cap = 1 << 20, n = 0, k;
	char *buf = malloc(cap);
	FILE *p;

	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
	p = popen(cmd, "r");
	if (!p || !buf) {
		free(buf);
		return NULL;
	}
	while ((k = fread(buf + n, 1, cap - n, p)) > 0) {
		n += k;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				break;
		}
	}
	if (pclose(p) || !buf || !n) {
		free(buf);
		return NULL;
	}
	*size = n;
	return buf;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	if (!fp || !buf) {
		if (fp)
			fclose(fp);
		free(buf);
		return NULL;
	}
	if (!fread(buf, 1, (1 << 16) - 1, fp)) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/* The string value after "@key": in @p, into @out. */
static const char *json_str(const char *p, const char *key, char *out,
			    size_t size)
{
	char pat[32];
	const char *q;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(p, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	q = strchr(p, '"');
	if (!q)
		return NULL;
	n = (size_t)(q - p) < size - 1 ? (size_t)(q - p) : size - 1;
	memcpy(out, p, n);
	out[n] = 0;
	return q;
}

static const char *const variants[] = {
	"x86_64",   "x86_64-la57",    "i386",
	"i386-pae", "aarch64-nokpti", "aarch64-64k-52",
	"riscv64",  "riscv64-sv39",   "riscv64-sv48",
};

PTK_TEST(fixtures)
{
	const char *dir = getenv("PTK_FIXTURES");
	unsigned int v, roots = 0;

	PTK_ASSERT(dir);
	for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		char path[4096], fmt[64], reg[64];
		const struct ptk_fmt *f;
		struct ptk_image *img;
		const char *p;
		char *json, *buf;
		size_t size;

		snprintf(path, sizeof(path), "%s/%s/fixture.json", dir,
			 variants[v]);
		json = slurp(path);
		PTK_ASSERT(json);
		PTK_ASSERT(json_str(json, "format", fmt, sizeof(fmt)));
		f = ptk_fmt_lookup(fmt);
		PTK_ASSERT(f);
		snprintf(path, sizeof(path), "%s/%s/tables.elf.gz", dir,
			 variants[v]);
		buf = slurp_gz(path, &size);
		PTK_ASSERT(buf);
		PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, size, NULL));
		/* Every vCPU's root, and TTBR1 where there is one. */
		for (p = json; (p = strstr(p, "\"root"));) {
			unsigned int which = p[5] == '1';
			struct ptk_fmt_diag why;
			struct ptk_table t;
			ptk_oa_t oa;
			uint64_t leaves, bad;

			p = json_str(p, which ? "root1" : "root", reg,
				     sizeof(reg));
			PTK_ASSERT(p);
			PTK_ASSERT_OK(ptk_fmt_root_from_reg(
				&oa, &why, f, which, strtoull(reg, NULL, 16)));
			PTK_ASSERT_OK(ptk_table_attach(
				&t, f, ptk_image_mem(img), oa, 0));
			compare(&t, 0, 0, &leaves, &bad);
			PTK_EXPECT(leaves > 0);
			PTK_EXPECT_EQ(count_all(&t), leaves);
			ptk_table_destroy(&t);
			roots++;
		}
		ptk_image_close(img);
		free(buf);
		free(json);
	}
	PTK_EXPECT(roots >= 30);
}

/* ---- tables made here */

static const struct ptk_attrs rw = { PTK_PROT_RW, 0, 0, 0 };

/* Holes, single pages, runs, huge leaves where the format has them. */
static void fill(struct ptk_table *t)
{
	const struct ptk_fmt *f = t->fmt;
	uint64_t pg = (uint64_t)1 << f->level_shift[0], i;
	unsigned int l;

	for (i = 0; i < 40; i++)
		PTK_ASSERT_OK(ptk_map(t, (1024 + 3 * i) * pg, pg,
				      0x9000000 + 7 * i * pg, &rw,
				      PTK_MAP_SUPERSET, NULL));
	PTK_ASSERT_OK(ptk_map(t, 1536 * pg, 0x21 * pg, 0x20000000, &rw,
			      PTK_MAP_SUPERSET, NULL));
	/* The last page of one lowest table, the first of the next one. */
	PTK_ASSERT_OK(ptk_map(t, 2047 * pg, 2 * pg, 0x30000000, &rw,
			      PTK_MAP_SUPERSET, NULL));
	for (l = 1; l < f->levels; l++) {
		uint64_t sz = (uint64_t)1 << f->level_shift[l];

		if (!((f->leaf_levels >> l) & 1) || f->level_shift[l] > 30 ||
		    10 * sz > ((uint64_t)1 << (f->va_bits - 1)))
			continue;
		PTK_ASSERT_OK(ptk_map(t, 8 * sz, 2 * sz, 4 * sz, &rw,
				      PTK_MAP_SUPERSET, NULL));
	}
}

static void synthetic(const struct ptk_fmt *f, unsigned int flags)
{
	struct ptk_ebr *e = NULL;
	struct ptk_mem_heap h;
	struct ptk_table t;
	uint64_t leaves, bad;
	unsigned long tok;

	PTK_ASSERT_OK(f->table_oa_bits < 64
			      ? ptk_mem_heap_init_below(&h, f->table_oa_bits)
			      : ptk_mem_heap_init(&h));
	if (flags & PTK_TABLE_SHARED) {
		/* Shared tables need a provider with read sections: the
		 * count then reads each entry with one atomic load. */
		e = malloc(sizeof(*e));
		PTK_ASSERT(e);
		PTK_ASSERT_OK(ptk_ebr_init(e, &h.mem));
	}
	PTK_ASSERT_OK(ptk_table_create(&t, f, e ? &e->mem : &h.mem, flags));
	fill(&t);
	tok = ptk_read_begin(&t);
	compare(&t, 0, 0, &leaves, &bad);
	PTK_EXPECT(leaves >= 40 + 0x21 + 2);
	PTK_EXPECT_EQ(bad, 0);
	PTK_EXPECT_EQ(count_all(&t), leaves);
	/* A range that starts and ends inside tables. */
	compare(&t, (ptk_va_t)1027 << f->level_shift[0],
		(uint64_t)1025 << f->level_shift[0], NULL, NULL);
	ptk_read_end(&t, tok);
	ptk_table_destroy(&t);
	if (e) {
		ptk_ebr_fini(e);
		free(e);
	}
	ptk_mem_heap_fini(&h);
}

PTK_TEST(synthetic_formats)
{
	static const char *const names[] = {
		"x86_64",      "x86_32",       "x86_pae",
		"armv8_4k_48", "armv8_16k_47", "armv8_64k_48",
		"riscv_sv39",  "riscv_sv32",   "x86_ept",
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct ptk_fmt *f = ptk_fmt_lookup(names[i]);

		PTK_ASSERT(f);
		synthetic(f, 0);
		synthetic(f, PTK_TABLE_GENERIC);
		synthetic(f, PTK_TABLE_SHARED);
	}
}

/* The OA of the level-0 table holding 0x410000. */
static int find_pt(const struct ptk_walk_table *tb, void *arg)
{
	if (tb->level == 0 && tb->va <= 0x410000 && 0x410000 <= tb->last)
		*(ptk_oa_t *)arg = tb->oa;
	return 0;
}

/* Arm: a 64 KiB range maps as one contiguous group of 16 entries. */
PTK_TEST(contiguous_groups)
{
	struct ptk_mem_heap h;
	struct ptk_table t;
	uint64_t leaves, bad, i;
	static const struct ptk_walk_ops pt_ops = { .pre_table = find_pt };
	ptk_oa_t pt_oa = 0;
	ptk_pte_t *pt;
	struct ptk_xlate x;

	PTK_ASSERT_OK(ptk_mem_heap_init(&h));
	PTK_ASSERT_OK(ptk_table_create(&t, &ptk_fmt_armv8_4k_48, &h.mem, 0));
	PTK_ASSERT_OK(ptk_map(&t, 0x410000, 0x20000, 0x80000000, &rw,
			      PTK_MAP_SUPERSET, NULL));
	PTK_ASSERT_OK(ptk_translate(&t, 0x410000, &x));
	PTK_ASSERT_EQ(x.size_lg2, 16); /* the group, else nothing tested */
	compare(&t, 0, 0, &leaves, &bad);
	PTK_EXPECT_EQ(leaves, 32);
	/* A misprogrammed group: one entry's OA moved. Each entry then maps
	 * its own page, as translate reads it. */
	PTK_ASSERT_OK(ptk_walk_all(&t, &pt_ops, &pt_oa));
	PTK_ASSERT(pt_oa);
	pt = (ptk_pte_t *)(uintptr_t)pt_oa; /* the heap: OA == pointer */
	i = (0x410000 >> 12) & 511;
	pt[i + 3] += 0x1000; /* the OA of entry 4 */
	compare(&t, 0, 0, &leaves, &bad);
	PTK_EXPECT_EQ(leaves, 32);
	pt[i + 3] -= 0x1000;
	ptk_table_destroy(&t);
	ptk_mem_heap_fini(&h);
}

/*
 * An image whose x86-64 PD points at a PT outside the image and holds a
 * malformed 2 MiB entry: both walks report the same, with and without
 * an invalid hook, and never read outside the image.
 */
static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

PTK_TEST(corrupt_image)
{
	static const struct ptk_walk_ops plain = { .slots = count_only };
	unsigned char *buf = aligned_alloc(4096, 0x5000);
	struct ptk_image *img;
	struct ptk_table t;
	uint64_t leaves, bad, n = 0;
	struct ptk_walk_ops both = { .leaf = ref_leaf, .slots = count_only };

	PTK_ASSERT(buf);
	memset(buf, 0, 0x5000);
	put64(buf + 0x0000, 0x1000 | 7); /* PML4[0] -> PDPT */
	put64(buf + 0x1000, 0x2000 | 7); /* PDPT[0] -> PD */
	put64(buf + 0x2000, 0x3000 | 7); /* PD[0] -> PT */
	put64(buf + 0x2008, 0x40000000 | 7); /* PD[1] -> a PT not there */
	put64(buf + 0x2010, 0x400000 | 0x2000 | 0x87); /* reserved bit */
	put64(buf + 0x2018, 0x600000 | 0x83); /* a 2 MiB leaf */
	put64(buf + 0x3000, 0x5000 | 3);
	put64(buf + 0x3ff8, 0x6000 | 3);
	PTK_ASSERT_OK(ptk_image_open_mem(&img, buf, 0x5000, NULL));
	PTK_ASSERT_OK(ptk_table_attach(&t, &ptk_fmt_x86_64, ptk_image_mem(img),
				       0, 0));
	compare(&t, 0, 0, &leaves, &bad);
	PTK_EXPECT_EQ(leaves, 3);
	PTK_EXPECT_EQ(bad, 2);
	/* Without an invalid hook: stopped, not crashed, as the walk is. */
	PTK_EXPECT_RC(ptk_walk_all(&t, &plain, &n), PTK_ECORRUPT);
	PTK_EXPECT_EQ(n, 2);
	PTK_EXPECT_RC(ptk_walk_all(&t, &both, &n), PTK_EINVAL);
	ptk_table_destroy(&t);
	ptk_image_close(img);
	free(buf);
}

/* A table without a radix has no runs of entries to hand over. */
PTK_TEST(hash_refuses)
{
	static const struct ptk_walk_ops ops = { .slots = count_only };
	struct ptk_mem_heap h;
	struct ptk_table t;
	uint64_t n = 0;

	PTK_ASSERT_OK(ptk_mem_heap_init(&h));
	PTK_ASSERT_OK(
		ptk_table_create(&t, &ptk_fmt_x86_64, &h.mem, PTK_TABLE_HASH));
	PTK_ASSERT_OK(ptk_map(&t, 0x1000, 0x1000, 0x5000, &rw, 0, NULL));
	PTK_EXPECT_RC(ptk_walk_all(&t, &ops, &n), PTK_EIMPL);
	PTK_EXPECT_RC(ptk_walk(&t, 0, 0x2000, &ops, &n), PTK_EIMPL);
	PTK_EXPECT_EQ(n, 0);
	ptk_table_destroy(&t);
	ptk_mem_heap_fini(&h);
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(fixtures),	   PTK_TEST_ENTRY(synthetic_formats),
	PTK_TEST_ENTRY(contiguous_groups), PTK_TEST_ENTRY(corrupt_image),
	PTK_TEST_ENTRY(hash_refuses),	   PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
