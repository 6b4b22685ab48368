// SPDX-License-Identifier: MIT
/*
 * Fuzz target: decoding arbitrary entries, specialised versus run-time.
 *
 * The input is taken as physical memory holding a table tree of some
 * built-in format (the first byte picks the format, the rest is the
 * memory, root at its start). The same memory is attached twice: once
 * driven by the format's specialised engine instance (every hook inlined
 * with constants), once by the run-time instance (the descriptor's hooks
 * through pointers). Translations of addresses taken from the input, the
 * full walk (leaves, holes, tables and malformed entries) and the hooks on
 * every input word at every level must agree exactly. The machine
 * description (struct ptk_fmt_arch) must hold its contract on every input
 * word: a root register value decodes to an aligned root the format can
 * point to, or is refused with a diagnosis; table limits and leaf flags
 * stay within their bits; the root an address picks matches the region
 * it lies in; effective permissions never grant what the leaf does not.
 * Any difference, a crash, or a read outside the input aborts.
 *
 * Built with libFuzzer under clang (-DPTK_FUZZ=ON); otherwise
 * standalone_driver.c replays the corpus and a few thousand seeded random
 * inputs as an ordinary test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ptkit.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x400000ull
#define MAX_MEM (1u << 18)

struct rec {
	uint64_t h;
	uint64_t n;
	uint64_t budget;
};

static void mix(struct rec *r, uint64_t v)
{
	r->h = (r->h ^ v) * 0x100000001b3ull;
	r->n++;
}

static int stop(struct rec *r)
{
	return r->n >= r->budget ? 1 : 0;
}

static int on_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct rec *r = arg;

	mix(r, l->va);
	mix(r, l->oa);
	mix(r, l->count);
	mix(r, l->pte);
	mix(r, l->level | (uint64_t)l->size_lg2 << 8);
	mix(r, l->attrs.prot | (uint64_t)l->attrs.flags << 8 |
		       (uint64_t)l->attrs.memtype << 16 |
		       (uint64_t)l->attrs.sw << 32);
	return stop(r);
}

static int on_hole(ptk_va_t va, ptk_va_t last, unsigned int level, void *arg)
{
	struct rec *r = arg;

	mix(r, va);
	mix(r, last);
	mix(r, level);
	return stop(r);
}

static int on_table(const struct ptk_walk_table *tb, void *arg)
{
	struct rec *r = arg;

	mix(r, tb->va);
	mix(r, tb->oa);
	mix(r, tb->level);
	return stop(r);
}

static int on_invalid(ptk_va_t va, ptk_va_t last, unsigned int level,
		      ptk_pte_t pte, void *arg)
{
	struct rec *r = arg;

	mix(r, va ^ 0x5a5a);
	mix(r, last);
	mix(r, level);
	mix(r, pte);
	return stop(r);
}

static const struct ptk_walk_ops walk_ops = {
	.leaf = on_leaf,
	.hole = on_hole,
	.pre_table = on_table,
	.invalid = on_invalid,
};

static void fail(const char *what, const struct ptk_fmt *f)
{
	fprintf(stderr, "fmt_decode_fuzz: %s differs (format %s)\n", what,
		f->name);
	abort();
}

/* The machine description's contract on one input word. */
static void check_arch(const struct ptk_fmt *f, uint64_t v)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);
	unsigned int root_lg2 = f->level_bits[f->levels - 1] + f->entry_lg2;
	unsigned int bits = f->table_oa_bits ? f->table_oa_bits : f->oa_bits;
	struct ptk_fmt_region reg[3];
	unsigned int r, l, n;
	ptk_va_t inner;
	int root;

	for (r = 0; r < ptk_fmt_nr_roots(f); r++) {
		struct ptk_fmt_diag why = { NULL, NULL, 0, 0, 0, 0 };
		ptk_oa_t oa = 0;
		int rc = ptk_fmt_root_from_reg(&oa, &why, f, r, v);

		if (rc == 0 && ((oa & ((1ull << root_lg2) - 1)) ||
				(bits < 64 && (oa >> bits))))
			fail("root_from_reg: a root the format cannot hold", f);
		if (rc && (rc != PTK_EINVAL || !why.field || !why.expected))
			fail("root_from_reg: a refusal without a diagnosis", f);
	}
	for (l = 1; l < f->levels; l++)
		if (ptk_fmt_table_limit(f, l, v) &
		    ~(PTK_LIMIT_NO_READ | PTK_LIMIT_NO_WRITE |
		      PTK_LIMIT_NO_EXEC | PTK_LIMIT_NO_USER |
		      PTK_LIMIT_NO_USER_EXEC | PTK_LIMIT_NO_PRIV_EXEC))
			fail("table_limit: unknown bits", f);
	for (l = 0; l < f->levels; l++)
		if (a->nr_leaf_flags < 32 &&
		    (ptk_fmt_leaf_flags(f, l, v) >> a->nr_leaf_flags))
			fail("leaf_flags: beyond nr_leaf_flags", f);
	/* The root an address picks is its region's. */
	root = ptk_fmt_va_root(&inner, f, v, 0);
	n = ptk_fmt_regions(reg, 3, f);
	for (r = 0; r < n; r++) {
		if (v < reg[r].va || v > reg[r].last)
			continue;
		if (root != (reg[r].root < 0 ? PTK_ERANGE : reg[r].root) ||
		    (root >= 0 && inner != v - reg[r].base))
			fail("va_root disagrees with the regions", f);
		break;
	}
	if (r == n)
		fail("regions do not cover the address", f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ptk_fmt *f;
	struct ptk_mem_arena a;
	struct ptk_table t[2];
	struct rec rec[2];
	unsigned char *mem;
	size_t len, i, w;
	int k, rc[2];

	if (size < 2 || !ptk_fmt_count())
		return 0;
	f = ptk_fmt_get(data[0] % ptk_fmt_count());
	data++;
	size--;
	len = size < MAX_MEM ? size : MAX_MEM;
	/* Room for the root table even when the input is short. */
	mem = calloc(1, len + (1u << 21));
	if (!mem)
		return 0;
	memcpy(mem, data, len);
	if (ptk_mem_arena_init(&a, mem, BASE, len + (1u << 21)))
		abort();
	for (k = 0; k < 2; k++)
		if (ptk_table_attach(&t[k], f, &a.mem, BASE,
				     k ? PTK_TABLE_GENERIC : 0))
			abort();

	/* Hooks on every word, at every level. */
	w = (size_t)1 << f->entry_lg2;
	for (i = 0; i + w <= len; i += w) {
		ptk_pte_t e = 0;
		unsigned int l;

		memcpy(&e, mem + i, w);
		for (l = 0; l < f->levels; l++) {
			enum ptk_entry_type ty = f->hooks->classify(f, l, e);

			if (ty > PTK_ENTRY_INVALID)
				fail("classify range", f);
			if (ty == PTK_ENTRY_LEAF &&
			    !((f->leaf_levels >> l) & 1))
				fail("leaf at a level without leaves", f);
			if (ty == PTK_ENTRY_TABLE && l == 0)
				fail("table at level 0", f);
		}
	}

	/* Translations of addresses drawn from the input. */
	for (i = 0; i + 8 <= len && i < 4096; i += 8) {
		struct ptk_xlate x[2], xe;
		struct ptk_attrs own, eff;
		ptk_va_t va;

		memcpy(&va, mem + i, 8);
		memset(x, 0, sizeof(x));
		for (k = 0; k < 2; k++)
			rc[k] = ptk_translate(&t[k], va, &x[k]);
		if (rc[0] != rc[1] || memcmp(&x[0], &x[1], sizeof(x[0])))
			fail("translate", f);
		memset(&xe, 0, sizeof(xe));
		if (ptk_translate_effective(&t[0], va, &xe, &eff) != rc[0] ||
		    (!rc[0] && memcmp(&xe, &x[0], sizeof(xe))))
			fail("translate_effective", f);
		if (!rc[0] &&
		    (ptk_leaf_attrs(&own, &t[0], xe.level, xe.pte) ||
		     (eff.prot & ~own.prot) || eff.flags != own.flags))
			fail("effective grants more than the leaf", f);
		check_arch(f, va);
	}

	/* The whole walk, with a work budget against hostile fan-out. */
	for (k = 0; k < 2; k++) {
		rec[k].h = 0xcbf29ce484222325ull;
		rec[k].n = 0;
		rec[k].budget = 20000;
		rc[k] = ptk_walk_all(&t[k], &walk_ops, &rec[k]);
	}
	if (rc[0] != rc[1] || rec[0].h != rec[1].h || rec[0].n != rec[1].n)
		fail("walk", f);

	for (k = 0; k < 2; k++)
		ptk_table_destroy(&t[k]);
	free(mem);
	return 0;
}
