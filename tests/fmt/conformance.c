// SPDX-License-Identifier: MIT
/*
 * The conformance suite, compiled once per built-in format
 * (-DPTK_TEST_FMT=<name>, see tests/fmt/CMakeLists.txt).
 *
 * It checks what every format must guarantee to the engine, level by
 * level: table pointers and leaves round-trip through their hooks at every
 * level and page size, attributes round-trip (or are refused with
 * -PTK_EPROT and then widened on request), every level decodes exactly its
 * own VA bits, and arbitrary entries classify without crashing into
 * something self-consistent. Bit-exact encodings are the golden tests'
 * job (golden_*.c); this suite is about the contract.
 */
#include <stdlib.h>
#include <string.h>

#include <ptkit.h>

#include "harness/ptk_test.h"

#ifndef PTK_TEST_FMT
#error "compile with -DPTK_TEST_FMT=<format name>"
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)

extern const struct ptk_fmt CAT(ptk_fmt_, PTK_TEST_FMT);
static const struct ptk_fmt *const F = &CAT(ptk_fmt_, PTK_TEST_FMT);

#define ARENA_BASE 0x200000ull
#define ARENA_SIZE (64ull << 20)

static unsigned int top(void)
{
	return F->levels - 1u;
}

static bool leaf_ok(unsigned int l)
{
	return (F->leaf_levels >> l) & 1;
}

static unsigned int tbl_lg2(unsigned int l)
{
	return F->level_bits[l] + F->entry_lg2;
}

static uint64_t lg2_mask(unsigned int lg2)
{
	return lg2 >= 64 ? ~0ull : (1ull << lg2) - 1;
}

static unsigned int leaf_bits(unsigned int l)
{
	return F->leaf_oa_bits[l] ? F->leaf_oa_bits[l] : F->oa_bits;
}

static unsigned int table_bits(void)
{
	return F->table_oa_bits ? F->table_oa_bits : F->oa_bits;
}

/* Highest OA aligned to 2^lg2 below 2^bits. */
static uint64_t max_oa_in(unsigned int bits, unsigned int lg2)
{
	return lg2_mask(bits) & ~lg2_mask(lg2);
}

/* Highest OA aligned to 2^lg2 that the format can hold somewhere. */
static uint64_t max_oa(unsigned int lg2)
{
	return max_oa_in(F->oa_bits, lg2);
}

/* A canonical VA from an index-space address. */
static uint64_t canon(uint64_t va)
{
	unsigned int vb = F->va_bits;

	va &= lg2_mask(vb);
	if ((F->features & PTK_FMT_SIGN_EXTEND) && ((va >> (vb - 1)) & 1))
		va |= ~lg2_mask(vb);
	return va;
}

/* Attributes every format can express once widened. */
static const struct ptk_attrs rw = { PTK_PROT_READ | PTK_PROT_WRITE,
				     PTK_ATTR_ACCESSED, 0, 0 };

PTK_TEST(geometry)
{
	unsigned int l, shift;
	uint64_t sizes;

	PTK_ASSERT_RC(ptk_fmt_check(F), 0);
	PTK_EXPECT(ptk_fmt_lookup(STR(PTK_TEST_FMT)) == F);
	PTK_EXPECT(strcmp(F->name, STR(PTK_TEST_FMT)) == 0);
	PTK_EXPECT(F->ops != NULL);
	shift = F->level_shift[0];
	for (l = 0; l < F->levels; l++) {
		PTK_EXPECT_EQ(F->level_shift[l], shift);
		shift += F->level_bits[l];
		PTK_EXPECT(strcmp(ptk_fmt_level_name(F, l), "?") != 0);
	}
	PTK_EXPECT_EQ(shift, F->va_bits);
	sizes = ptk_fmt_page_sizes(F);
	PTK_EXPECT(sizes & (1ull << F->level_shift[0]));
	for (l = 0; l < F->levels; l++)
		PTK_EXPECT_EQ(!!(sizes & (1ull << F->level_shift[l])),
			      leaf_ok(l));
}

/* make_table / table_oa / classify agree at every level above 0. */
PTK_TEST(table_roundtrip)
{
	struct ptk_rand r;
	unsigned int l, i;

	ptk_test_rand(&r);
	for (l = 1; l < F->levels; l++) {
		unsigned int lg2 = tbl_lg2(l - 1);
		uint64_t top = max_oa_in(table_bits(), lg2);
		uint64_t oas[8] = { 0, 1ull << lg2, top };

		for (i = 3; i < 8; i++)
			oas[i] = ptk_rand_next(&r) & top;
		for (i = 0; i < 8; i++) {
			ptk_pte_t e = F->hooks->make_table(F, l, oas[i]);

			if (F->entry_lg2 == 2)
				PTK_EXPECT_EQ(e >> 32, 0);
			PTK_EXPECT_EQ(F->hooks->classify(F, l, e),
				      PTK_ENTRY_TABLE);
			PTK_EXPECT_EQ(F->hooks->table_oa(F, l, e), oas[i]);
		}
	}
}

/* The attributes to try: every prot and flag combination, some types. */
static void for_each_attrs(void (*fn)(const struct ptk_attrs *a, void *arg),
			   void *arg)
{
	struct ptk_attrs a;
	uint32_t prot, fl, mt;

	memset(&a, 0, sizeof(a));
	for (prot = 0; prot < 16; prot++) {
		for (fl = 0; fl < 8; fl++) {
			for (mt = 0; mt < 8; mt++) {
				a.prot = prot;
				a.flags = fl;
				a.memtype = mt;
				fn(&a, arg);
			}
		}
	}
}

struct leaf_ctx {
	unsigned int level;
	uint64_t oa;
	unsigned int exact;
	unsigned int widened;
};

static void leaf_one(const struct ptk_attrs *a, void *arg)
{
	struct leaf_ctx *c = arg;
	unsigned int l = c->level;
	struct ptk_attrs back;
	ptk_pte_t bits, e;
	int rc;

	rc = F->hooks->encode(F, l, a, 0, &bits);
	if (rc == PTK_EPROT) {
		/* Inexpressible: the superset must work and be wider. */
		PTK_EXPECT_RC(
			F->hooks->encode(F, l, a, PTK_ENC_SUPERSET, &bits), 0);
		e = F->hooks->make_leaf(F, l, c->oa, bits);
		PTK_EXPECT_EQ(F->hooks->classify(F, l, e), PTK_ENTRY_LEAF);
		F->hooks->decode(F, l, e, &back);
		PTK_EXPECT_EQ(back.prot & a->prot, a->prot);
		c->widened++;
		return;
	}
	if (rc)
		return; /* e.g. a memory type the format reserves */
	e = F->hooks->make_leaf(F, l, c->oa, bits);
	if (F->entry_lg2 == 2)
		PTK_EXPECT_EQ(e >> 32, 0);
	PTK_EXPECT_EQ(F->hooks->classify(F, l, e), PTK_ENTRY_LEAF);
	PTK_EXPECT_EQ(F->hooks->leaf_oa(F, l, e), c->oa);
	F->hooks->decode(F, l, e, &back);
	PTK_EXPECT_EQ(back.prot, a->prot);
	PTK_EXPECT_EQ(back.flags, a->flags);
	PTK_EXPECT_EQ(back.memtype, a->memtype);
	PTK_EXPECT_EQ(back.sw, a->sw);
	/* Non-address bits are exactly the encoded ones. */
	PTK_EXPECT_EQ(e & ~F->leaf_oa_mask[l], bits & ~F->leaf_oa_mask[l]);
	c->exact++;
}

/* Leaves and attributes round-trip at every leaf level. */
PTK_TEST(leaf_roundtrip)
{
	struct ptk_rand r;
	unsigned int l, i;

	ptk_test_rand(&r);
	for (l = 0; l < F->levels; l++) {
		unsigned int shift = F->level_shift[l];
		uint64_t top = max_oa_in(leaf_bits(l), shift);
		uint64_t oas[4] = { 0, 1ull << shift, top,
				    ptk_rand_next(&r) & top };

		if (!leaf_ok(l)) {
			ptk_pte_t bits;

			/* No leaf can be made where none is allowed. */
			if (F->hooks->encode(F, l, &rw, PTK_ENC_SUPERSET,
					     &bits) == 0)
				PTK_EXPECT(F->hooks->classify(
						   F, l,
						   F->hooks->make_leaf(F, l, 0,
								       bits)) !=
					   PTK_ENTRY_LEAF);
			continue;
		}
		for (i = 0; i < 4; i++) {
			struct leaf_ctx c = { l, oas[i], 0, 0 };

			for_each_attrs(leaf_one, &c);
			/* Something must be expressible exactly. */
			PTK_EXPECT(c.exact > 0);
		}
	}
}

static void make_arena(struct ptk_mem_arena *a)
{
	PTK_ASSERT_RC(ptk_mem_arena_create(a, ARENA_BASE, ARENA_SIZE), 0);
}

/* The level whose leaves (or groups) are 2^lg2 bytes. */
static unsigned int level_of(unsigned int lg2)
{
	unsigned int l;

	for (l = 0; l < F->levels; l++)
		if (lg2 >= F->level_shift[l] &&
		    lg2 <= F->level_shift[l] + F->contig_lg2[l])
			return l;
	return 0;
}

/* Map and translate one page of every page size the format has. */
PTK_TEST(every_page_size)
{
	struct ptk_mem_arena a;
	struct ptk_table t;
	uint64_t sizes = ptk_fmt_page_sizes(F);
	unsigned int lg2;

	make_arena(&a);
	PTK_ASSERT_RC(ptk_table_create(&t, F, &a.mem, 0), 0);
	for (lg2 = 0; lg2 < 64; lg2++) {
		uint64_t size = 1ull << lg2, va, oa;
		struct ptk_xlate x;
		struct ptk_gather g;

		if (!(sizes & size))
			continue;
		/* A size-aligned VA in the low half, OA near the top. */
		va = canon(size * 3 > lg2_mask(F->va_bits - 1) ? 0 : size * 3);
		oa = max_oa_in(leaf_bits(level_of(lg2)), lg2) - size;
		if (lg2 + 1u >= F->va_bits)
			va = 0;
		ptk_gather_init(&g);
		PTK_EXPECT_RC(ptk_map(&t, va, size, oa, &rw, PTK_MAP_SUPERSET,
				      &g),
			      0);
		PTK_EXPECT_RC(ptk_translate(&t, va + size / 2, &x), 0);
		PTK_EXPECT_EQ(x.size_lg2, lg2);
		PTK_EXPECT_EQ(x.oa, oa + size / 2);
		PTK_EXPECT_RC(ptk_translate(&t, va + size - 1, &x), 0);
		PTK_EXPECT_EQ(x.oa, oa + size - 1);
		PTK_EXPECT_RC(ptk_table_check(NULL, &t), 0);
		PTK_EXPECT_RC(ptk_unmap(&t, va, size, 0, &g), 0);
		ptk_table_flush(&t, &g);
		PTK_EXPECT_RC(ptk_translate(&t, va, &x), PTK_ENOENT);
	}
	ptk_table_destroy(&t);
	PTK_EXPECT_EQ(a.stats.live, 0);
	ptk_mem_arena_destroy(&a);
}

struct where {
	unsigned int nr;
	unsigned int level[PTK_MAX_LEVELS * 2];
	uint64_t index[PTK_MAX_LEVELS * 2];
	const struct ptk_mem_arena *a;
	uint64_t root;
};

/* Record every present entry of every table (the tree holds one page). */
static void record_table(struct where *w, uint64_t oa, unsigned int l)
{
	const unsigned char *p = ptk_mem_arena_ptr(w->a, oa);
	uint64_t n = 1ull << F->level_bits[l], j;

	for (j = 0; j < n; j++) {
		ptk_pte_t e = 0;

		memcpy(&e, p + (j << F->entry_lg2), 1u << F->entry_lg2);
		switch (F->hooks->classify(F, l, e)) {
		case PTK_ENTRY_EMPTY:
			continue;
		case PTK_ENTRY_TABLE:
			record_table(w, F->hooks->table_oa(F, l, e), l - 1);
			__attribute__((fallthrough));
		default:
			if (w->nr < PTK_MAX_LEVELS * 2) {
				w->level[w->nr] = l;
				w->index[w->nr] = j;
			}
			w->nr++;
		}
	}
}

/*
 * Each level decodes exactly its own VA bits: a page at a VA with one bit
 * set sits at the entry that bit selects, at the level that owns it, and
 * index 0 everywhere else; flipping any other VA bit misses it.
 */
PTK_TEST(level_va_bits)
{
	unsigned int b, l, i;

	for (b = F->level_shift[0]; b < F->va_bits; b++) {
		struct ptk_mem_arena a;
		struct ptk_table t;
		struct where w;
		uint64_t va = canon(1ull << b),
			 page = 1ull << F->level_shift[0];
		unsigned int k;

		make_arena(&a);
		PTK_ASSERT_RC(ptk_table_create(&t, F, &a.mem, 0), 0);
		PTK_ASSERT_RC(ptk_map(&t, va, page,
				      0x5000ull << 12 &
					      max_oa(F->level_shift[0]),
				      &rw, PTK_MAP_SUPERSET, NULL),
			      0);
		memset(&w, 0, sizeof(w));
		w.a = &a;
		record_table(&w, ptk_table_root(&t), top());
		PTK_EXPECT_EQ(w.nr, F->levels);
		for (i = 0; i < w.nr && i < PTK_MAX_LEVELS * 2; i++) {
			uint64_t want = 0;

			l = w.level[i];
			if (b >= F->level_shift[l] &&
			    b < F->level_shift[l] + F->level_bits[l])
				want = 1ull << (b - F->level_shift[l]);
			if ((F->features & PTK_FMT_SIGN_EXTEND) &&
			    b == F->va_bits - 1u && l != top())
				want = 0;
			PTK_EXPECT_EQ(w.index[i], want);
		}
		for (k = F->level_shift[0]; k < F->va_bits; k++) {
			if (k == b)
				continue;
			PTK_EXPECT_RC(ptk_translate(&t, canon(va ^ (1ull << k)),
						    NULL),
				      PTK_ENOENT);
		}
		PTK_EXPECT_RC(ptk_translate(&t, va, NULL), 0);
		ptk_table_destroy(&t);
		ptk_mem_arena_destroy(&a);
	}
}

/*
 * Arbitrary entries: classification never crashes, and whatever is
 * called a leaf or a table is self-consistent (aligned OAs that
 * re-encode to an entry of the same kind).
 */
PTK_TEST(random_entries)
{
	struct ptk_rand r;
	unsigned int l, i;
	uint64_t kinds[4] = { 0 };

	ptk_test_rand(&r);
	for (i = 0; i < 200000; i++) {
		ptk_pte_t e = ptk_rand_next(&r);

		/* Skew towards few bits set, where the rules bite. */
		if (i & 1)
			e &= ptk_rand_next(&r) & ptk_rand_next(&r);
		if (F->entry_lg2 == 2)
			e &= 0xffffffffull;
		for (l = 0; l < F->levels; l++) {
			enum ptk_entry_type k = F->hooks->classify(F, l, e);

			PTK_ASSERT(k <= PTK_ENTRY_INVALID);
			kinds[k]++;
			if (k == PTK_ENTRY_LEAF) {
				struct ptk_attrs at;
				unsigned int s = F->level_shift[l];
				uint64_t oa = F->hooks->leaf_oa(F, l, e);

				PTK_ASSERT(leaf_ok(l));
				if (F->contig_lg2[l] &&
				    F->hooks->is_contig(F, l, e))
					s += F->contig_lg2[l];
				PTK_EXPECT_EQ(oa & lg2_mask(F->level_shift[l]),
					      0);
				PTK_EXPECT(oa <= lg2_mask(leaf_bits(l)));
				F->hooks->decode(F, l, e, &at);
				(void)s;
			} else if (k == PTK_ENTRY_TABLE) {
				uint64_t oa = F->hooks->table_oa(F, l, e);

				PTK_ASSERT(l > 0);
				PTK_EXPECT(oa <= lg2_mask(F->oa_bits));
				PTK_EXPECT_EQ(
					F->hooks->classify(
						F, l,
						F->hooks->make_table(F, l, oa)),
					PTK_ENTRY_TABLE);
			}
		}
		if (ptk_test_failures())
			break;
	}
	/* The generator reached every kind of entry. */
	PTK_EXPECT(kinds[PTK_ENTRY_EMPTY] > 0);
	PTK_EXPECT(kinds[PTK_ENTRY_LEAF] > 0);
	if (F->levels > 1)
		PTK_EXPECT(kinds[PTK_ENTRY_TABLE] > 0);
}

/* The specialised and run-time instances build identical bytes. */
PTK_TEST(instances_agree)
{
	struct ptk_mem_arena a[2];
	struct ptk_table t[2];
	struct ptk_rand r;
	unsigned int i, k;
	uint64_t sizes = ptk_fmt_page_sizes(F);

	ptk_test_rand(&r);
	for (k = 0; k < 2; k++) {
		make_arena(&a[k]);
		PTK_ASSERT_RC(ptk_table_create(&t[k], F, &a[k].mem,
					       k ? PTK_TABLE_GENERIC : 0),
			      0);
	}
	for (i = 0; i < 300; i++) {
		unsigned int lg2;
		uint64_t size, va, oa, n;
		int rc[2];

		do
			lg2 = (unsigned int)ptk_rand_below(&r, 40);
		while (!(sizes & (1ull << lg2)));
		size = 1ull << lg2;
		n = 1 + ptk_rand_below(&r, 4);
		va = canon(ptk_rand_next(&r) & ~lg2_mask(lg2) &
			   lg2_mask(F->va_bits - 2));
		oa = ptk_rand_next(&r) & max_oa(lg2) & lg2_mask(F->oa_bits - 2);
		for (k = 0; k < 2; k++) {
			if (i % 3 == 2)
				rc[k] = ptk_unmap(&t[k], va, n * size,
						  PTK_UNMAP_SPLIT, NULL);
			else
				rc[k] = ptk_map(&t[k], va, n * size, oa, &rw,
						PTK_MAP_SUPERSET, NULL);
		}
		PTK_EXPECT_EQ(rc[0], rc[1]);
		PTK_ASSERT_EQ(a[0].bump, a[1].bump);
		PTK_ASSERT(memcmp(ptk_mem_arena_ptr(&a[0], ARENA_BASE),
				  ptk_mem_arena_ptr(&a[1], ARENA_BASE),
				  a[0].bump) == 0);
	}
	for (k = 0; k < 2; k++) {
		ptk_table_destroy(&t[k]);
		ptk_mem_arena_destroy(&a[k]);
	}
}

/* The bits that carry the protection at level @l (as the engine finds
 * them: where the encodings of different prots differ). */
static ptk_pte_t prot_bits(unsigned int l)
{
	struct ptk_attrs a;
	ptk_pte_t b0, b, m = 0;
	uint32_t p;

	memset(&a, 0, sizeof(a));
	a.prot = PTK_PROT_READ;
	if (F->hooks->encode(F, l, &a, PTK_ENC_SUPERSET, &b0))
		return 0;
	for (p = 0; p < 16; p++) {
		a.prot = p;
		if (!F->hooks->encode(F, l, &a, PTK_ENC_SUPERSET, &b))
			m |= b ^ b0;
	}
	return m & ~F->leaf_oa_mask[l];
}

#define SEP_MAX 1024

struct sep_ctx {
	unsigned int level;
	unsigned int n;
	ptk_pte_t leaves[SEP_MAX];
};

static void sep_collect(const struct ptk_attrs *a, void *arg)
{
	struct sep_ctx *c = arg;
	ptk_pte_t bits;
	unsigned int sw;

	/* Some software bits too: a format may keep them anywhere. */
	for (sw = 0; sw < 4 && c->n < SEP_MAX; sw++) {
		struct ptk_attrs b = *a;

		b.sw = sw ? (1u << (sw * 3)) - 1 : 0;
		if (F->hooks->encode(F, c->level, &b, 0, &bits))
			continue;
		c->leaves[c->n++] = F->hooks->make_leaf(F, c->level, 0, bits);
	}
}

/*
 * PTK_FMT_PROT_SEPARATE is a promise the engine's protect and
 * copy-on-write rely on to skip looking at whole leaves (see
 * include/ptkit/fmt.h): for every pair of valid leaves and every prot,
 * replacing the prot encodes for both or neither, to the same protection
 * bits, and decode's prot depends only on those bits.
 */
PTK_TEST(prot_separate)
{
	static struct sep_ctx c;
	unsigned int l, i, j, flags;
	uint32_t p;

	if (!(F->features & PTK_FMT_PROT_SEPARATE))
		return; /* the engine then checks every leaf */
	for (l = 0; l < F->levels; l++) {
		ptk_pte_t pm = prot_bits(l);

		if (!leaf_ok(l))
			continue;
		c.level = l;
		c.n = 0;
		for_each_attrs(sep_collect, &c);
		PTK_EXPECT(c.n > 0);
		for (p = 0; p < 16; p++) {
			for (flags = 0; flags <= PTK_ENC_SUPERSET;
			     flags += PTK_ENC_SUPERSET) {
				int rc0 = 0;
				ptk_pte_t b0 = 0;

				for (i = 0; i < c.n; i++) {
					struct ptk_attrs a;
					ptk_pte_t b = 0;
					int rc;

					F->hooks->decode(F, l, c.leaves[i], &a);
					a.prot = p;
					rc = F->hooks->encode(F, l, &a, flags,
							      &b);
					if (!i) {
						rc0 = rc;
						b0 = b;
						continue;
					}
					PTK_EXPECT_RC(rc, rc0);
					if (!rc && !rc0)
						PTK_EXPECT_EQ(b & pm, b0 & pm);
				}
			}
		}
		/* decode's prot follows the protection bits alone. */
		for (i = 0; i < c.n; i++) {
			for (j = 0; j < c.n; j += 7) {
				struct ptk_attrs ai, am;
				ptk_pte_t e = (c.leaves[j] & ~pm) |
					      (c.leaves[i] & pm);

				F->hooks->decode(F, l, c.leaves[i], &ai);
				if (F->hooks->classify(F, l, e) !=
				    PTK_ENTRY_LEAF)
					continue;
				F->hooks->decode(F, l, e, &am);
				PTK_EXPECT_EQ(am.prot, ai.prot);
			}
		}
	}
}

/*
 * The root register both ways (struct ptk_fmt_arch.reg_from_root and
 * root_from_reg): every root-table-aligned address below 4 GiB (and
 * below 2^table_oa_bits) has a register value; a value the encoder
 * gives, for any aligned address, reads back as that address; and every
 * value root_from_reg accepts (the encoder's output with random bits
 * flipped: PCID, ASID, flags) names an address the encoder reaches and
 * reads back the same way. A misaligned address has no register value.
 * (The encoder may refuse an aligned address the register is too narrow
 * for: x86 PAE's CR3 holds a PDPT below 4 GiB only.)
 */
PTK_TEST(root_register)
{
	unsigned int lg2 = tbl_lg2(top()), root, i, b;
	unsigned int low_bits = table_bits() < 32 ? table_bits() : 32;
	uint64_t limit = max_oa_in(table_bits(), lg2), accepted = 0;
	uint64_t low = max_oa_in(low_bits, lg2), encoded = 0;
	struct ptk_rand r;

	ptk_test_rand(&r);
	for (root = 0; root < ptk_fmt_nr_roots(F); root++) {
		for (i = 0; i < 4000; i++) {
			uint64_t oa = i == 0	? 0
				      : i == 1	? low
				      : i == 2	? limit
				      : (i & 1) ? ptk_rand_next(&r) & low
						: ptk_rand_next(&r) & limit;
			uint64_t reg, reg2, flip;
			ptk_oa_t back = 0, back2 = 0;
			int rc = ptk_fmt_reg_from_root(&reg, NULL, F, root, oa);

			if (oa <= low)
				PTK_ASSERT_RC(rc, 0);
			if (rc)
				continue;
			encoded++;
			PTK_ASSERT_RC(ptk_fmt_root_from_reg(&back, NULL, F,
							    root, reg),
				      0);
			PTK_ASSERT_EQ(back, oa);
			/* Below the table's alignment: no register. */
			b = (unsigned int)ptk_rand_below(&r, lg2);
			PTK_EXPECT(ptk_fmt_reg_from_root(&reg2, NULL, F, root,
							 oa | 1ull << b) != 0);
			/* Any value the decoder takes, the encoder reaches. */
			flip = 1ull << ptk_rand_below(&r, 64);
			if (ptk_fmt_root_from_reg(&back, NULL, F, root,
						  reg ^ flip))
				continue;
			accepted++;
			PTK_ASSERT_RC(ptk_fmt_reg_from_root(&reg2, NULL, F,
							    root, back),
				      0);
			PTK_ASSERT_RC(ptk_fmt_root_from_reg(&back2, NULL, F,
							    root, reg2),
				      0);
			PTK_ASSERT_EQ(back2, back);
		}
	}
	/* Some flipped bit is one the register ignores or holds the
	 * address in: the second half ran. */
	PTK_EXPECT(accepted > 0);
	PTK_EXPECT(encoded >= 2000);
	/* The encoder's refusal names a field. */
	{
		struct ptk_fmt_diag why = { 0 };
		uint64_t reg;

		if (lg2 > 0) {
			PTK_EXPECT(ptk_fmt_reg_from_root(&reg, &why, F, 0, 1) !=
				   0);
			PTK_EXPECT(why.field != NULL);
		}
	}
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(geometry),	 PTK_TEST_ENTRY(table_roundtrip),
	PTK_TEST_ENTRY(leaf_roundtrip),	 PTK_TEST_ENTRY(every_page_size),
	PTK_TEST_ENTRY(level_va_bits),	 PTK_TEST_ENTRY(random_entries),
	PTK_TEST_ENTRY(instances_agree), PTK_TEST_ENTRY(prot_separate),
	PTK_TEST_ENTRY(root_register),	 PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
