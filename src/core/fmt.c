// SPDX-License-Identifier: MIT
/* The registry of built-in formats and descriptor helpers. */
#include "internal/ptk_internal.h"

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

int ptk_fmt_check(const struct ptk_fmt *f)
{
	const struct ptk_fmt_hooks *h;
	unsigned int l, shift;
	uint32_t leaves;

	if (!f)
		return PTK_EINVAL;
	if (f->version != PTK_FMT_VERSION)
		return PTK_EVERSION;
	h = f->hooks;
	if (!h)
		return PTK_EINVAL;
	if (h->version != PTK_FMT_HOOKS_VERSION)
		return PTK_EVERSION;
	if (!h->classify || !h->table_oa || !h->leaf_oa || !h->make_table ||
	    !h->make_leaf || !h->encode || !h->decode)
		return PTK_EINVAL;
	if (f->ops && f->ops->version != PTK_IMPL_OPS_VERSION)
		return PTK_EVERSION;
	if (f->levels < 1 || f->levels > PTK_MAX_LEVELS)
		return PTK_EINVAL;
	if (f->entry_lg2 != 2 && f->entry_lg2 != 3)
		return PTK_EINVAL;
	if (f->oa_bits < 1 || f->oa_bits > 64 || f->table_oa_bits > f->oa_bits)
		return PTK_EINVAL;
	for (l = 0; l < PTK_MAX_LEVELS; l++)
		if (f->leaf_oa_bits[l] > f->oa_bits)
			return PTK_EINVAL;
	shift = f->level_shift[0];
	if (shift < 2)
		return PTK_EINVAL;
	for (l = 0; l < f->levels; l++) {
		unsigned int tlg2 = f->level_bits[l] + f->entry_lg2;

		if (f->level_shift[l] != shift || f->level_bits[l] < 1)
			return PTK_EINVAL;
		/* Tables carry the free-queue link in their first 16 bytes. */
		if (l + 1 < f->levels && tlg2 < 4)
			return PTK_EINVAL;
		if (tlg2 > PTK_MEM_MAX_LG2)
			return PTK_EINVAL;
		if (f->contig_lg2[l] && (!((f->leaf_levels >> l) & 1) ||
					 f->contig_lg2[l] >= f->level_bits[l] ||
					 !h->is_contig || !h->contig_entry))
			return PTK_EINVAL;
		shift += f->level_bits[l];
	}
	/* The top of the space must stay representable: va_bits <= 63. */
	if (shift != f->va_bits || shift > 63)
		return PTK_EINVAL;
	leaves = f->leaf_levels;
	if (!(leaves & 1) || (leaves & (leaves + 1)) ||
	    leaves >= (1u << f->levels))
		return PTK_EINVAL;
	if (f->features & ~(PTK_FMT_SIGN_EXTEND | PTK_FMT_PROT_SEPARATE))
		return PTK_EINVAL;
	return 0;
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
	unsigned int vb = f->va_bits;
	uint64_t hi;

	if (vb >= 64)
		return true;
	hi = va >> (vb - ((f->features & PTK_FMT_SIGN_EXTEND) ? 1 : 0));
	if (!(f->features & PTK_FMT_SIGN_EXTEND))
		return hi == 0;
	return hi == 0 || hi == (~(uint64_t)0 >> (vb - 1));
}
