// SPDX-License-Identifier: MIT
/* The registry of built-in formats and descriptor helpers. */
#include "internal/ptk_internal.h"
#include "fmt/fmt_base.h"

/* One line per format in src/fmt/list_*.def: PTK_FORMAT(name). */
#define PTK_FORMAT(name) extern const struct ptk_fmt ptk_fmt_##name;
#include "fmt/list_x86.def"
#include "fmt/list_arm.def"
#include "fmt/list_riscv.def"
#undef PTK_FORMAT

static const struct ptk_fmt *const builtin[] = {
#define PTK_FORMAT(name) &ptk_fmt_##name,
#include "fmt/list_x86.def"
#include "fmt/list_arm.def"
#include "fmt/list_riscv.def"
#undef PTK_FORMAT
};

#define NR_BUILTIN (sizeof(builtin) / sizeof(builtin[0]))

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

const struct ptk_fmt *ptk_fmt_lookup(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < NR_BUILTIN; i++)
		if (str_eq(builtin[i]->name, name))
			return builtin[i];
	return NULL;
}

size_t ptk_fmt_count(void)
{
	return NR_BUILTIN;
}

const struct ptk_fmt *ptk_fmt_get(size_t index)
{
	return index < NR_BUILTIN ? builtin[index] : NULL;
}

/* Refuse a descriptor field, at @level or -1. */
static int bad(struct ptk_fmt_diag *why, int rc, const char *field, int level,
	       const char *expected, unsigned int flags, uint64_t want,
	       uint64_t found)
{
	ptk_diag(why, field, expected, flags, want, found);
	if (why)
		why->level = level;
	return rc;
}

#define FOUND PTK_DIAG_FOUND
#define WANT_FOUND (PTK_DIAG_WANT | PTK_DIAG_FOUND)
#define HEX_FOUND (PTK_DIAG_FOUND | PTK_DIAG_HEX)

static int check_hooks(const struct ptk_fmt_hooks *h, struct ptk_fmt_diag *why)
{
	static const char fn[] = "a function";

	if (!h)
		return bad(why, PTK_EINVAL, "hooks", -1,
			   "a struct ptk_fmt_hooks", 0, 0, 0);
	if (h->version != PTK_FMT_HOOKS_VERSION)
		return bad(why, PTK_EVERSION, "hooks->version", -1,
			   "PTK_FMT_HOOKS_VERSION", WANT_FOUND,
			   PTK_FMT_HOOKS_VERSION, h->version);
	if (!h->classify)
		return bad(why, PTK_EINVAL, "hooks->classify", -1, fn, 0, 0, 0);
	if (!h->table_oa)
		return bad(why, PTK_EINVAL, "hooks->table_oa", -1, fn, 0, 0, 0);
	if (!h->leaf_oa)
		return bad(why, PTK_EINVAL, "hooks->leaf_oa", -1, fn, 0, 0, 0);
	if (!h->make_table)
		return bad(why, PTK_EINVAL, "hooks->make_table", -1, fn, 0, 0,
			   0);
	if (!h->make_leaf)
		return bad(why, PTK_EINVAL, "hooks->make_leaf", -1, fn, 0, 0,
			   0);
	if (!h->encode)
		return bad(why, PTK_EINVAL, "hooks->encode", -1, fn, 0, 0, 0);
	if (!h->decode)
		return bad(why, PTK_EINVAL, "hooks->decode", -1, fn, 0, 0, 0);
	return 0;
}

static int check_arch(const struct ptk_fmt *f, struct ptk_fmt_diag *why)
{
	const struct ptk_fmt_arch *a = f->version >= 2 ? f->arch : NULL;

	if (!a)
		return 0;
	if (a->version != PTK_FMT_ARCH_VERSION)
		return bad(why, PTK_EVERSION, "arch->version", -1,
			   "PTK_FMT_ARCH_VERSION", WANT_FOUND,
			   PTK_FMT_ARCH_VERSION, a->version);
	if (a->nr_roots > 2)
		return bad(why, PTK_EINVAL, "arch->nr_roots", -1, "0, 1 or 2",
			   FOUND, 0, a->nr_roots);
	if (a->nr_roots == 2 && (f->features & PTK_FMT_SIGN_EXTEND))
		return bad(why, PTK_EINVAL, "arch->nr_roots", -1,
			   "1 for a sign-extended format (both halves share "
			   "the root)",
			   WANT_FOUND, 1, a->nr_roots);
	if (a->nr_roots == 2 &&
	    (a->select_bit < f->va_bits || a->select_bit > 63))
		return bad(why, PTK_EINVAL, "arch->select_bit", -1,
			   "a VA bit from va_bits to 63", FOUND, 0,
			   a->select_bit);
	if (a->nr_leaf_flags > 32 || (a->nr_leaf_flags && !a->leaf_flags))
		return bad(why, PTK_EINVAL, "arch->nr_leaf_flags", -1,
			   "at most 32, with leaf_flags set", FOUND, 0,
			   a->nr_leaf_flags);
	if (a->listings &
	    ~(PTK_FMT_LIST_TLB | PTK_FMT_LIST_MEM_PROT | PTK_FMT_LIST_MEM_ATTR))
		return bad(why, PTK_EINVAL, "arch->listings", -1,
			   "PTK_FMT_LIST_* flags only", HEX_FOUND, 0,
			   a->listings);
	if (a->flags & ~PTK_ARCH_NESTED)
		return bad(why, PTK_EINVAL, "arch->flags", -1,
			   "PTK_ARCH_* flags only", HEX_FOUND, 0, a->flags);
	if (!a->note_enable != !a->enable_bits)
		return bad(why, PTK_EINVAL, "arch->enable_bits", -1,
			   "bits of note_enable, set exactly when it is",
			   HEX_FOUND, 0, a->enable_bits);
	if (!a->root_from_reg != !a->reg_from_root)
		return bad(why, PTK_EINVAL,
			   a->root_from_reg ? "arch->reg_from_root"
					    : "arch->root_from_reg",
			   -1,
			   "both register rules or neither (each is the "
			   "other's inverse)",
			   0, 0, 0);
	return 0;
}

int ptk_fmt_check_explain(const struct ptk_fmt *f, struct ptk_fmt_diag *why)
{
	unsigned int l, shift;
	uint32_t leaves;

	if (!f)
		return bad(why, PTK_EINVAL, "descriptor", -1,
			   "a format, not NULL", 0, 0, 0);
	if (f->version != PTK_FMT_VERSION && f->version != 1)
		return bad(why, PTK_EVERSION, "version", -1,
			   "PTK_FMT_VERSION (or 1)", WANT_FOUND,
			   PTK_FMT_VERSION, f->version);
	PTK_TRY(check_hooks(f->hooks, why));
	if (f->ops && f->ops->version != PTK_IMPL_OPS_VERSION)
		return bad(why, PTK_EVERSION, "ops->version", -1,
			   "PTK_IMPL_OPS_VERSION", WANT_FOUND,
			   PTK_IMPL_OPS_VERSION, f->ops->version);
	if (f->levels < 1 || f->levels > PTK_MAX_LEVELS)
		return bad(why, PTK_EINVAL, "levels", -1, "1 to 6", FOUND, 0,
			   f->levels);
	if (f->entry_lg2 != 2 && f->entry_lg2 != 3)
		return bad(why, PTK_EINVAL, "entry_lg2", -1,
			   "2 or 3 (4- or 8-byte entries)", FOUND, 0,
			   f->entry_lg2);
	if (f->oa_bits < 1 || f->oa_bits > 64)
		return bad(why, PTK_EINVAL, "oa_bits", -1, "1 to 64", FOUND, 0,
			   f->oa_bits);
	if (f->table_oa_bits > f->oa_bits)
		return bad(why, PTK_EINVAL, "table_oa_bits", -1,
			   "at most oa_bits (0 means oa_bits)", FOUND, 0,
			   f->table_oa_bits);
	for (l = 0; l < PTK_MAX_LEVELS; l++)
		if (f->leaf_oa_bits[l] > f->oa_bits)
			return bad(why, PTK_EINVAL, "leaf_oa_bits", (int)l,
				   "at most oa_bits (0 means oa_bits)", FOUND,
				   0, f->leaf_oa_bits[l]);
	shift = f->level_shift[0];
	if (shift < 2)
		return bad(why, PTK_EINVAL, "level_shift", 0, "at least 2",
			   FOUND, 0, shift);
	for (l = 0; l < f->levels; l++) {
		unsigned int tlg2 = f->level_bits[l] + f->entry_lg2;

		if (f->level_shift[l] != shift)
			return bad(why, PTK_EINVAL, "level_shift", (int)l,
				   "the level below's level_shift + level_bits",
				   WANT_FOUND, shift, f->level_shift[l]);
		if (f->level_bits[l] < 1)
			return bad(why, PTK_EINVAL, "level_bits", (int)l,
				   "at least 1", FOUND, 0, f->level_bits[l]);
		/* Tables carry the free-queue link in their first 16 bytes. */
		if (l + 1 < f->levels && tlg2 < 4)
			return bad(why, PTK_EINVAL, "level_bits", (int)l,
				   "a table of at least 16 bytes below the top "
				   "(level_bits + entry_lg2 >= 4)",
				   FOUND, 0, f->level_bits[l]);
		if (tlg2 > PTK_MEM_MAX_LG2)
			return bad(why, PTK_EINVAL, "level_bits", (int)l,
				   "a table of at most 2 MiB (level_bits + "
				   "entry_lg2 <= 21)",
				   FOUND, 0, f->level_bits[l]);
		if (f->contig_lg2[l] &&
		    (!((f->leaf_levels >> l) & 1) ||
		     f->contig_lg2[l] >= f->level_bits[l] ||
		     !f->hooks->is_contig || !f->hooks->contig_entry))
			return bad(why, PTK_EINVAL, "contig_lg2", (int)l,
				   "0, or below level_bits at a leaf level "
				   "with is_contig and contig_entry hooks",
				   FOUND, 0, f->contig_lg2[l]);
		shift += f->level_bits[l];
	}
	/* The top of the space must stay representable: va_bits <= 63. */
	if (shift != f->va_bits)
		return bad(why, PTK_EINVAL, "va_bits", -1,
			   "the top level's level_shift + level_bits",
			   WANT_FOUND, shift, f->va_bits);
	if (shift > 63)
		return bad(why, PTK_EINVAL, "va_bits", -1, "at most 63", FOUND,
			   0, shift);
	leaves = f->leaf_levels;
	if (!(leaves & 1) || (leaves & (leaves + 1)) ||
	    leaves >= (1u << f->levels))
		return bad(why, PTK_EINVAL, "leaf_levels", -1,
			   "a run of levels from level 0 (bits 0..n-1 set, "
			   "n <= levels)",
			   HEX_FOUND, 0, leaves);
	if (f->features & ~(PTK_FMT_SIGN_EXTEND | PTK_FMT_PROT_SEPARATE))
		return bad(why, PTK_EINVAL, "features", -1,
			   "PTK_FMT_SIGN_EXTEND, PTK_FMT_PROT_SEPARATE or 0",
			   HEX_FOUND, 0, f->features);
	return check_arch(f, why);
}

int ptk_fmt_check(const struct ptk_fmt *f)
{
	return ptk_fmt_check_explain(f, NULL);
}

/* --- ptk_fmt_diag_str(): a bounded writer, no libc */

struct strbuf {
	char *buf;
	size_t size;
	size_t len; /* what the whole line needs */
};

static void sb_putc(struct strbuf *b, char c)
{
	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

static void sb_puts(struct strbuf *b, const char *s)
{
	while (s && *s)
		sb_putc(b, *s++);
}

static void sb_num(struct strbuf *b, uint64_t v, bool hex)
{
	char tmp[24];
	unsigned int n = 0;

	if (hex)
		sb_puts(b, "0x");
	do {
		unsigned int d = (unsigned int)(hex ? v & 15 : v % 10);

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v = hex ? v >> 4 : v / 10;
	} while (v);
	while (n)
		sb_putc(b, tmp[--n]);
}

size_t ptk_fmt_diag_str(char *buf, size_t size, const struct ptk_fmt_diag *d)
{
	struct strbuf b = { buf, size, 0 };
	bool hex = d && (d->flags & PTK_DIAG_HEX);

	if (!d || !d->field) {
		sb_puts(&b, "no diagnosis");
	} else {
		sb_puts(&b, d->field);
		if (d->level >= 0) {
			sb_puts(&b, " at level ");
			sb_num(&b, (uint64_t)d->level, false);
		}
		sb_puts(&b, ": expected ");
		if (d->flags & PTK_DIAG_WANT) {
			sb_num(&b, d->want, hex);
			if (d->expected) {
				sb_puts(&b, " (");
				sb_puts(&b, d->expected);
				sb_putc(&b, ')');
			}
		} else {
			sb_puts(&b, d->expected ? d->expected : "?");
		}
		if (d->flags & PTK_DIAG_FOUND) {
			sb_puts(&b, ", found ");
			sb_num(&b, d->found, hex);
		}
	}
	if (size)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return b.len;
}

uint64_t ptk_fmt_page_sizes(const struct ptk_fmt *f)
{
	uint64_t m = 0;
	unsigned int l;

	if (!f || f->levels > PTK_MAX_LEVELS)
		return 0;
	for (l = 0; l < f->levels; l++) {
		if (!((f->leaf_levels >> l) & 1))
			continue;
		m |= PTK_BIT(f->level_shift[l]);
		if (f->contig_lg2[l])
			m |= PTK_BIT(f->level_shift[l] + f->contig_lg2[l]);
	}
	return m;
}

const char *ptk_fmt_level_name(const struct ptk_fmt *f, unsigned int level)
{
	if (!f || !f->level_names || level >= f->levels ||
	    !f->level_names[level])
		return "?";
	return f->level_names[level];
}

bool ptk_fmt_va_valid(const struct ptk_fmt *f, ptk_va_t va)
{
	if (f->va_bits >= 64)
		return true;
	return ptk_fmt__part_ok(f, va >> ptk_fmt__part_shift(f));
}

/* --- the machine around the tables (struct ptk_fmt_arch) */

static const struct ptk_fmt_arch arch_none = {
	.version = PTK_FMT_ARCH_VERSION,
};

const struct ptk_fmt_arch *ptk_fmt_arch(const struct ptk_fmt *f)
{
	if (!f || f->version < 2 || !f->arch ||
	    f->arch->version != PTK_FMT_ARCH_VERSION)
		return &arch_none;
	return f->arch;
}

unsigned int ptk_fmt_nr_roots(const struct ptk_fmt *f)
{
	return ptk_fmt_arch(f)->nr_roots == 2 ? 2 : 1;
}

static unsigned int root_table_lg2(const struct ptk_fmt *f)
{
	return f->level_bits[f->levels - 1] + f->entry_lg2;
}

/* The checks both directions of the register rule make first. */
static int root_args(const void *out, struct ptk_fmt_diag *why,
		     const struct ptk_fmt *f, unsigned int root)
{
	if (!out || !f || !f->levels || f->levels > PTK_MAX_LEVELS)
		return ptk_diag(why, "arguments", "a format and an output", 0,
				0, 0);
	if (root >= ptk_fmt_nr_roots(f))
		return ptk_diag(why, "root",
				"a root the format has (0; 1 for the upper "
				"range of a format with two)",
				FOUND, 0, root);
	return 0;
}

/*
 * The rule of a format without one of its own, both ways: the register
 * value is the root table's address, aligned to the table's size and
 * below 2^table_oa_bits. @field, @aligned: how a message names @v and
 * the alignment it wants.
 */
static int root_plain(uint64_t *out, struct ptk_fmt_diag *why,
		      const struct ptk_fmt *f, uint64_t v, const char *field,
		      const char *hi_field, const char *aligned)
{
	unsigned int lg2 = root_table_lg2(f);
	unsigned int bits = f->table_oa_bits ? f->table_oa_bits : f->oa_bits;

	if (v & ptk_lg2_mask(lg2))
		return ptk_diag(why, field, aligned, PTK_DIAG_WANT | HEX_FOUND,
				0, v & ptk_lg2_mask(lg2));
	if (bits < 64 && (v >> bits))
		return ptk_diag(why, hi_field,
				"an address below 2^table_oa_bits", HEX_FOUND,
				0, v);
	*out = v;
	return 0;
}

int ptk_fmt_root_from_reg(ptk_oa_t *out, struct ptk_fmt_diag *why,
			  const struct ptk_fmt *f, unsigned int root,
			  uint64_t reg)
{
	int rc = root_args(out, why, f, root);

	if (rc)
		return rc;
	if (ptk_fmt_arch(f)->root_from_reg)
		return ptk_fmt_arch(f)->root_from_reg(f, root, reg, out, why);
	return root_plain(out, why, f, reg,
			  "root address (bits below the table size)",
			  "root address",
			  "the root table is aligned to its size");
}

int ptk_fmt_reg_from_root(uint64_t *out, struct ptk_fmt_diag *why,
			  const struct ptk_fmt *f, unsigned int root,
			  ptk_oa_t oa)
{
	int rc = root_args(out, why, f, root);

	if (rc)
		return rc;
	if (ptk_fmt_arch(f)->reg_from_root)
		return ptk_fmt_arch(f)->reg_from_root(f, root, oa, out, why);
	return root_plain(out, why, f, oa, "root table address",
			  "root table address",
			  "aligned to the root table's size");
}

unsigned int ptk_fmt_ctrl_va_flags(const struct ptk_fmt *f, unsigned int root,
				   uint64_t ctrl)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);

	if (!f || root >= ptk_fmt_nr_roots(f) || !a->ctrl_va_flags)
		return 0;
	return a->ctrl_va_flags(f, root, ctrl);
}

int ptk_fmt_check_ctrl(struct ptk_fmt_diag *why, const struct ptk_fmt *f,
		       unsigned int root, uint64_t ctrl)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);

	if (!f)
		return ptk_diag(why, "arguments", "a format", 0, 0, 0);
	if (root >= ptk_fmt_nr_roots(f))
		return ptk_diag(why, "root", "a root the format has", FOUND, 0,
				root);
	return a->check_ctrl ? a->check_ctrl(f, root, ctrl, why) : 0;
}

uint32_t ptk_fmt_table_limit(const struct ptk_fmt *f, unsigned int level,
			     ptk_pte_t pte)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);

	return a->table_limit ? a->table_limit(f, level, pte) : 0;
}

uint32_t ptk_fmt_limit_prot(uint32_t prot, uint32_t limit)
{
	/* Which execute limit applies depends on whom the leaf serves. */
	if (limit & ((prot & PTK_PROT_USER) ? PTK_LIMIT_NO_USER_EXEC
					    : PTK_LIMIT_NO_PRIV_EXEC))
		prot &= ~PTK_PROT_EXEC;
	if (limit & PTK_LIMIT_NO_READ)
		prot &= ~PTK_PROT_READ;
	if (limit & PTK_LIMIT_NO_WRITE)
		prot &= ~PTK_PROT_WRITE;
	if (limit & PTK_LIMIT_NO_EXEC)
		prot &= ~PTK_PROT_EXEC;
	if (limit & PTK_LIMIT_NO_USER)
		prot &= ~PTK_PROT_USER;
	return prot;
}

/* The limits of the table entries on the way to a leaf (a walk hook). */
struct eff_walk {
	const struct ptk_table *t;
	ptk_oa_t parent; /* the table holding the entry for the next one */
	uint32_t limit;
};

static int eff_pre_table(const struct ptk_walk_table *tb, void *arg)
{
	struct eff_walk *e = arg;
	const struct ptk_fmt *f = e->t->fmt;
	unsigned int p = tb->level + 1;
	unsigned int elg2 = f->entry_lg2;
	uint64_t idx = (tb->va >> f->level_shift[p]) &
		       ptk_lg2_mask(f->level_bits[p]);
	const unsigned char *tbl;
	ptk_pte_t pte = 0;

	tbl = ptk_table__ptr(e->t, e->parent, f->level_bits[p] + elg2);
	if (!tbl)
		return PTK_ECORRUPT;
	if (elg2 == 3) {
		PTK_MEMCPY(&pte, tbl + (idx << 3), 8);
	} else {
		uint32_t v;

		PTK_MEMCPY(&v, tbl + (idx << 2), 4);
		pte = v;
	}
	e->limit |= ptk_fmt_table_limit(f, p, pte);
	e->parent = tb->oa;
	return 0;
}

int ptk_translate_effective(const struct ptk_table *t, ptk_va_t va,
			    struct ptk_xlate *out, struct ptk_attrs *attrs)
{
	static const struct ptk_walk_ops ops = { .pre_table = eff_pre_table };
	struct eff_walk e;
	int rc;

	if (!t || !t->fmt || !out || !attrs)
		return PTK_EINVAL;
	PTK_TRY(ptk_translate(t, va, out));
	PTK_TRY(ptk_leaf_attrs(attrs, t, out->level, out->pte));
	if (!ptk_fmt_arch(t->fmt)->table_limit ||
	    out->level + 1u >= t->fmt->levels)
		return 0;
	e.t = t;
	e.parent = t->root_oa;
	e.limit = 0;
	rc = ptk_walk(t, va, 1, &ops, &e);
	if (rc < 0)
		return rc;
	attrs->prot = ptk_fmt_limit_prot(attrs->prot, e.limit);
	return 0;
}

static const char *region_name(const struct ptk_fmt_arch *a, unsigned int i,
			       const char *dflt)
{
	return a->region_names[i] ? a->region_names[i] : dflt;
}

unsigned int ptk_fmt_regions(struct ptk_fmt_region *out, unsigned int max,
			     const struct ptk_fmt *f)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);
	struct ptk_fmt_region r[3];
	unsigned int vb, n = 0, i;

	if (!out || !f || f->va_bits < 1 || f->va_bits > 63)
		return 0;
	vb = f->va_bits;
	PTK_MEMSET(r, 0, sizeof(r));
	if (f->features & PTK_FMT_SIGN_EXTEND) {
		ptk_va_t half = PTK_BIT(vb - 1);

		r[0] = (struct ptk_fmt_region){
			0, half - 1, 0,
			region_name(a, 0, "lower canonical half"), 0
		};
		r[1] = (struct ptk_fmt_region){
			half, (ptk_va_t)0 - half - 1, 0,
			region_name(a, 1, "non-canonical hole"), PTK_REGION_HOLE
		};
		r[2] = (struct ptk_fmt_region){
			(ptk_va_t)0 - half, ~(ptk_va_t)0, 0,
			region_name(a, 2, "upper canonical half"), 0
		};
		n = 3;
	} else if (ptk_fmt_nr_roots(f) == 2) {
		ptk_va_t size = PTK_BIT(vb);

		r[0] = (struct ptk_fmt_region){
			0, size - 1, 0, region_name(a, 0, "lower range"), 0
		};
		r[1] = (struct ptk_fmt_region){ size, (ptk_va_t)0 - size - 1, 0,
						region_name(a, 1, "hole"),
						PTK_REGION_HOLE };
		r[2] = (struct ptk_fmt_region){
			(ptk_va_t)0 - size, ~(ptk_va_t)0, (ptk_va_t)0 - size,
			region_name(a, 2, "upper range"), 1
		};
		n = 3;
	} else {
		r[0] = (struct ptk_fmt_region){
			0, PTK_BIT(vb) - 1, 0,
			region_name(a, 0, "address space"), 0
		};
		r[1] = (struct ptk_fmt_region){ PTK_BIT(vb), ~(ptk_va_t)0, 0,
						region_name(a, 1,
							    "beyond the "
							    "address space"),
						PTK_REGION_HOLE };
		n = 2;
	}
	for (i = 0; i < n && i < max; i++)
		out[i] = r[i];
	return i;
}

int ptk_fmt_va_root(ptk_va_t *inner, const struct ptk_fmt *f, ptk_va_t va,
		    unsigned int flags)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);
	unsigned int vb, hi;
	uint64_t top, sel;

	if (!inner || !f || f->va_bits < 1 || f->va_bits > 63)
		return PTK_EINVAL;
	vb = f->va_bits;
	if (ptk_fmt_nr_roots(f) == 2) {
		/* Bit select_bit picks the root; the bits from the top (or
		 * from select_bit with the top byte ignored) down to va_bits
		 * must all equal it. */
		sel = (va >> a->select_bit) & 1;
		hi = (flags & PTK_VA_TBI) ? a->select_bit : 63;
		top = (va & PTK_GENMASK(hi, vb)) >> vb;
		if (top != (sel ? ptk_lg2_mask(hi + 1 - vb) : 0))
			return PTK_ERANGE;
		*inner = va & ptk_lg2_mask(vb);
		return (int)sel;
	}
	if (!ptk_fmt_va_valid(f, va))
		return PTK_ERANGE;
	*inner = va;
	return 0;
}

bool ptk_fmt_fits_machine(const struct ptk_fmt *f, unsigned int e_machine)
{
	const uint16_t *m = ptk_fmt_arch(f)->machines;

	if (!e_machine || !m)
		return true;
	for (; *m; m++)
		if (*m == e_machine)
			return true;
	return false;
}

const char *ptk_fmt_machine_name(unsigned int e_machine)
{
	switch (e_machine) {
	case PTK_EM_386:
		return "i386";
	case PTK_EM_X86_64:
		return "x86-64";
	case PTK_EM_AARCH64:
		return "AArch64";
	case PTK_EM_RISCV:
		return "RISC-V";
	}
	return NULL;
}

uint32_t ptk_fmt_leaf_flags(const struct ptk_fmt *f, unsigned int level,
			    ptk_pte_t pte)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);
	uint32_t set = 0;
	unsigned int i;

	for (i = 0; i < a->nr_leaf_flags && i < 32; i++) {
		const struct ptk_fmt_flag *fl = &a->leaf_flags[i];

		if (level < 32 && ((fl->levels >> level) & 1) &&
		    (pte & fl->mask))
			set |= 1u << i;
	}
	return set;
}
