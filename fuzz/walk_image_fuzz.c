// SPDX-License-Identifier: MIT
/*
 * Fuzz target: walking and translating through an untrusted memory image.
 *
 * Input layout: byte 0 picks a built-in format (modulo their count),
 * bytes 1-8 are the root (little endian, taken modulo the image size and
 * aligned down to the root table's size, plus the image's first segment
 * address), the rest is the image. The image bytes go through
 * ptk_image_open_mem(), so inputs that start with an ELF or LiME header
 * exercise those parsers (segments, notes), and anything else is a raw
 * image at base 0x100000. Bit 63 of the root asks for PTK_IMAGE_PARTIAL
 * (cut files opened with their missing ranges listed).
 *
 * Opening must fail with a message (struct ptk_image_error: NUL
 * terminated, non-empty, the code returned), or succeed with sorted,
 * disjoint, readable segments and sorted missing ranges. The table is
 * read-only: an unmap of the first page must return PTK_EROFS
 * and leave every byte of the image as it was.
 *
 * The walk runs with the same defences as `ptkit dump`: a work budget and
 * cycle detection on the current path in pre_table (PTK_WALK_SKIP), an
 * invalid hook that records and goes on. It must end, must not read
 * outside the input (ASan), and its leaves must agree with ptk_translate()
 * on their first and last address. Translations of addresses taken from
 * the input must not crash.
 *
 * Built with libFuzzer under clang (-DPTK_FUZZ=ON); otherwise
 * standalone_driver.c replays the corpus and seeded random inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ptkit.h>
#include <ptkit/image.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAW_BASE 0x100000ull
#define BUDGET (1u << 16) /* table entries */

struct ctx {
	const struct ptk_table *t;
	const struct ptk_fmt *f;
	ptk_oa_t path[PTK_MAX_LEVELS];
	uint64_t work;
	uint64_t leaves;
	uint64_t bad;
	uint64_t checks;
};

static void die(const char *what)
{
	fprintf(stderr, "walk_image_fuzz: %s\n", what);
	abort();
}

static int pre_table(const struct ptk_walk_table *tb, void *arg)
{
	struct ctx *c = arg;
	unsigned int j;

	for (j = tb->level + 1; j < c->f->levels; j++)
		if (c->path[j] == tb->oa) {
			c->bad++;
			return PTK_WALK_SKIP;
		}
	c->work += (uint64_t)1 << c->f->level_bits[tb->level];
	if (c->work > BUDGET)
		return 1; /* stop: budget */
	c->path[tb->level] = tb->oa;
	return 0;
}

static void check_xlate(struct ctx *c, ptk_va_t va, ptk_oa_t want)
{
	struct ptk_xlate x;
	int rc;

	/* A leaf seen by the walk translates, unless the path to it was
	 * cut by our own skip (then translate may see the cycle, and
	 * decode garbage, but must not crash). */
	rc = ptk_translate(c->t, va, &x);
	c->checks++;
	if (rc == 0 && x.oa != want && !c->bad)
		die("walk and translate disagree");
}

static int leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct ctx *c = arg;
	uint64_t span = (l->count << l->size_lg2) - 1;

	c->leaves += l->count;
	if (l->count == 0)
		die("empty leaf run");
	if (c->checks < 64) {
		check_xlate(c, l->va, l->oa);
		check_xlate(c, l->va + span, l->oa + span);
	}
	return 0;
}

static int invalid(ptk_va_t va, ptk_va_t last, unsigned int level,
		   ptk_pte_t pte, void *arg)
{
	struct ctx *c = arg;

	(void)va;
	(void)last;
	(void)level;
	(void)pte;
	c->bad++;
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Sorted, disjoint, readable to their last byte; missing ones sorted. */
static void check_segs(const struct ptk_image *img)
{
	struct ptk_image_seg s, p;
	volatile uint8_t sink;
	size_t i;

	for (i = 0; i < ptk_image_nr_segs(img); i++) {
		const uint8_t *b;

		if (ptk_image_seg(&s, img, i) || !s.size)
			die("bad segment");
		if (i && s.pa <= p.pa + (p.size - 1))
			die("segments overlap or are out of order");
		b = ptk_image_ptr(img, s.pa, s.size);
		if (!b)
			die("a segment is not readable");
		sink = b[0];
		sink = b[s.size - 1];
		(void)sink;
		p = s;
	}
	for (i = 0; i < ptk_image_nr_missing(img); i++) {
		if (ptk_image_missing(&s, img, i) || !s.size)
			die("bad missing range");
		if (i && s.pa < p.pa)
			die("missing ranges out of order");
		p = s;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ptk_walk_ops ops = {
		.leaf = leaf,
		.pre_table = pre_table,
		.invalid = invalid,
	};
	struct ptk_image_error err;
	struct ptk_image_opts io = { .base = RAW_BASE, .error = &err };
	const struct ptk_fmt *f;
	struct ptk_image *img;
	struct ptk_image_seg seg;
	struct ptk_table t;
	struct ctx c;
	uint64_t root, rsize;
	const uint8_t *orig;
	uint8_t *copy;
	size_t i, n;
	int rc;

	if (size < 10 || !ptk_fmt_count())
		return 0;
	f = ptk_fmt_get(data[0] % ptk_fmt_count());
	root = le64(data + 1);
	if (root >> 63)
		io.flags |= PTK_IMAGE_PARTIAL;
	data += 9;
	size -= 9;
	/* An aligned copy, as mmap would give; misaligned segments inside
	 * (odd ELF offsets) stay possible: the provider copies them. */
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	orig = data;
	data = copy;
	memset(&err, 0x55, sizeof(err));
	rc = ptk_image_open_mem(&img, data, size, &io);
	if (err.code != rc || !memchr(err.msg, 0, sizeof(err.msg)) ||
	    (rc != 0) != (err.msg[0] != 0))
		die("open: error struct does not match the return");
	if (rc) {
		free(copy);
		return 0;
	}
	check_segs(img);
	/* Whatever the notes said must be readable. */
	n = ptk_image_nr_cpus(img);
	for (i = 0; i < n; i++) {
		uint64_t v;

		(void)ptk_image_cpu_reg(&v, ptk_image_cpu(img, i), "cr3");
	}
	if (ptk_image_seg(&seg, img, 0)) {
		ptk_image_close(img);
		free(copy);
		return 0;
	}
	rsize = (uint64_t)1 << (f->level_bits[f->levels - 1] + f->entry_lg2);
	root = seg.pa + (seg.size > rsize ? root % seg.size : 0);
	root &= ~(rsize - 1);
	if (ptk_table_attach(&t, f, ptk_image_mem(img), root, 0)) {
		ptk_image_close(img);
		free(copy);
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.t = &t;
	c.f = f;
	c.path[f->levels - 1] = root;
	c.work = (uint64_t)1 << f->level_bits[f->levels - 1];
	{
		struct ptk_gather g;
		uint64_t page = (uint64_t)1 << f->level_shift[0];

		ptk_gather_init(&g);
		if (ptk_unmap(&t, 0, page, PTK_UNMAP_SPLIT, &g) != PTK_EROFS ||
		    memcmp(copy, orig, size))
			die("a read-only image was written");
	}
	rc = ptk_walk_all(&t, &ops, &c);
	if (rc < 0 && rc != PTK_ECORRUPT)
		die("unexpected walk error");
	/* Addresses taken from the input. */
	for (i = 0; i + 8 <= size && i < 256; i += 8) {
		struct ptk_xlate x;

		rc = ptk_translate(&t, le64(data + i), &x);
		if (rc && rc != PTK_ENOENT && rc != PTK_ECORRUPT &&
		    rc != PTK_ERANGE)
			die("unexpected translate error");
	}
	ptk_table_destroy(&t);
	ptk_image_close(img);
	free(copy);
	return 0;
}
