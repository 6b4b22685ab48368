// SPDX-License-Identifier: MIT
/*
 * Arm VMSAv8-64 formats built at run time (include/ptkit/fmt_arm.h): one
 * set of hooks for every granule, stage and output-address variant,
 * reading the variant from struct ptk_fmt.priv and the geometry from the
 * descriptor. The bit-level rules are the shared core in src/fmt/armv8.h.
 *
 * Start levels and sizes follow the Arm ARM (DDI 0487) D8.2: stage 1
 * starts at level 4 - ceil((va_bits - g) / (g - 3)); a stage 2 initial
 * table decodes 1 to (g - 3) + 4 IPA bits (up to 16 concatenated
 * tables), with the start-level encodings of VTCR_EL2.SL0/SL2.
 */
#include "fmt/armv8.h"
#include <ptkit/fmt_arm.h>

struct armv8_var {
	uint8_t g;
	uint8_t stage;
	uint8_t mode;
};

/* Every variant, indexed by armv8_var_index(): stage, granule, mode. */
static const struct armv8_var armv8_vars[18] = {
	{ 12, 1, ARMV8_PA48 }, { 12, 1, ARMV8_LPA }, { 12, 1, ARMV8_LPA2 },
	{ 14, 1, ARMV8_PA48 }, { 14, 1, ARMV8_LPA }, { 14, 1, ARMV8_LPA2 },
	{ 16, 1, ARMV8_PA48 }, { 16, 1, ARMV8_LPA }, { 16, 1, ARMV8_LPA2 },
	{ 12, 2, ARMV8_PA48 }, { 12, 2, ARMV8_LPA }, { 12, 2, ARMV8_LPA2 },
	{ 14, 2, ARMV8_PA48 }, { 14, 2, ARMV8_LPA }, { 14, 2, ARMV8_LPA2 },
	{ 16, 2, ARMV8_PA48 }, { 16, 2, ARMV8_LPA }, { 16, 2, ARMV8_LPA2 },
};

static unsigned int armv8_var_index(unsigned int g, unsigned int stage,
				    unsigned int mode)
{
	return (stage - 1) * 9 + (g - 12) / 2 * 3 + mode;
}

static struct armv8_p armv8_rt_p(const struct ptk_fmt *f)
{
	const struct armv8_var *v = f->priv;
	struct armv8_p p;

	p.g = v->g;
	p.stage = v->stage;
	p.mode = v->mode;
	p.oa_bits = f->oa_bits;
	return p;
}

static enum ptk_entry_type armv8_rt_classify(const struct ptk_fmt *f,
					     unsigned int l, ptk_pte_t pte)
{
	if (l >= f->levels)
		return PTK_ENTRY_INVALID;
	return armv8_classify(armv8_rt_p(f), f->leaf_levels,
			      f->contig_lg2[l] != 0, l, pte);
}

static ptk_oa_t armv8_rt_table_oa(const struct ptk_fmt *f, unsigned int l,
				  ptk_pte_t pte)
{
	(void)l;
	return armv8_unpack(armv8_rt_p(f), pte);
}

static ptk_oa_t armv8_rt_leaf_oa(const struct ptk_fmt *f, unsigned int l,
				 ptk_pte_t pte)
{
	return armv8_leaf_oa(armv8_rt_p(f), l, pte);
}

static ptk_pte_t armv8_rt_make_table(const struct ptk_fmt *f, unsigned int l,
				     ptk_oa_t oa)
{
	(void)l;
	return armv8_make_table(armv8_rt_p(f), oa);
}

static ptk_pte_t armv8_rt_make_leaf(const struct ptk_fmt *f, unsigned int l,
				    ptk_oa_t oa, ptk_pte_t bits)
{
	return armv8_make_leaf(armv8_rt_p(f), l, oa, bits);
}

static int armv8_rt_encode(const struct ptk_fmt *f, unsigned int l,
			   const struct ptk_attrs *a, unsigned int flags,
			   ptk_pte_t *bits_out)
{
	if (l >= f->levels || !((f->leaf_levels >> l) & 1))
		return PTK_EINVAL;
	return armv8_encode(armv8_rt_p(f), l, a, flags, bits_out);
}

static void armv8_rt_decode(const struct ptk_fmt *f, unsigned int l,
			    ptk_pte_t pte, struct ptk_attrs *a)
{
	(void)l;
	armv8_decode(armv8_rt_p(f), pte, a);
}

static bool armv8_rt_is_contig(const struct ptk_fmt *f, unsigned int l,
			       ptk_pte_t pte)
{
	(void)f;
	(void)l;
	return (pte & ARMV8_CONT) != 0;
}

static ptk_pte_t armv8_rt_contig_entry(const struct ptk_fmt *f, unsigned int l,
				       ptk_pte_t first, unsigned int j)
{
	return armv8_contig_entry(armv8_rt_p(f), l, first, j);
}

static uint32_t armv8_rt_table_limit(const struct ptk_fmt *f, unsigned int l,
				     ptk_pte_t pte)
{
	(void)l;
	return armv8_table_limit(armv8_rt_p(f), pte);
}

static int armv8_rt_root_from_reg(const struct ptk_fmt *f, unsigned int root,
				  uint64_t reg, ptk_oa_t *oa_out,
				  struct ptk_fmt_diag *why)
{
	(void)root;
	return armv8_root_from_reg(armv8_rt_p(f),
				   f->level_bits[f->levels - 1] + 3u, reg,
				   oa_out, why);
}

static int armv8_rt_reg_from_root(const struct ptk_fmt *f, unsigned int root,
				  ptk_oa_t oa, uint64_t *reg_out,
				  struct ptk_fmt_diag *why)
{
	(void)root;
	return armv8_reg_from_root(armv8_rt_p(f),
				   f->level_bits[f->levels - 1] + 3u, oa,
				   reg_out, why);
}

static unsigned int armv8_rt_ctrl_va_flags(const struct ptk_fmt *f,
					   unsigned int root, uint64_t ctrl)
{
	return armv8_ctrl_va_flags(armv8_rt_p(f), root, ctrl);
}

static int armv8_rt_check_ctrl(const struct ptk_fmt *f, unsigned int root,
			       uint64_t ctrl, struct ptk_fmt_diag *why)
{
	return ptk_armv8__check_ctrl(armv8_rt_p(f), f, root, ctrl, why);
}

int ptk_armv8__check_ctrl(struct armv8_p p, const struct ptk_fmt *f,
			  unsigned int root, uint64_t ctrl,
			  struct ptk_fmt_diag *why)
{
	const unsigned int fl = PTK_DIAG_WANT | PTK_DIAG_FOUND;
	bool s1 = p.stage == 1;
	struct ptk_fmt t;
	ptk_pte_t tm, fm;
	unsigned int top;

	if (s1 ? ptk_fmt_armv8_from_tcr(&t, ctrl, (int)root)
	       : ptk_fmt_armv8_from_vtcr(&t, ctrl))
		return ptk_diag(why, s1 ? "TCR_EL1" : "VTCR_EL2",
				"a translation regime ptkit reads (a granule, "
				"TxSZ and start level the Arm ARM allows, "
				"no 56-bit output)",
				PTK_DIAG_FOUND | PTK_DIAG_HEX, 0, ctrl);
	if (t.level_shift[0] != f->level_shift[0])
		return ptk_diag(why,
				!s1    ? "VTCR_EL2.TG0 (granule)"
				: root ? "TCR_EL1.TG1 (granule)"
				       : "TCR_EL1.TG0 (granule)",
				"the format's granule, in bytes", fl,
				PTK_BIT(f->level_shift[0]),
				PTK_BIT(t.level_shift[0]));
	if (t.va_bits != f->va_bits)
		return ptk_diag(why,
				!s1    ? "VTCR_EL2.T0SZ (64 - IPA bits)"
				: root ? "TCR_EL1.T1SZ (64 - VA bits)"
				       : "TCR_EL1.T0SZ (64 - VA bits)",
				"64 - the format's VA bits", fl,
				64u - f->va_bits, 64u - t.va_bits);
	top = f->levels - 1u;
	if (t.levels != f->levels ||
	    t.level_bits[t.levels - 1] != f->level_bits[top])
		return ptk_diag(why, "VTCR_EL2.SL0 (start level)",
				"the format's number of levels", fl, f->levels,
				t.levels);
	/*
	 * The descriptors must hold the OA where the format reads it: the
	 * format may read OA bits the register leaves RES0 (a 52-bit
	 * format under a 48-bit IPS), not miss any, nor read SH as OA.
	 */
	tm = t.leaf_oa_mask[0];
	fm = f->leaf_oa_mask[0];
	if ((tm & ~fm) || (fm & ~tm & ARMV8_SH))
		return ptk_diag(why,
				s1 ? "TCR_EL1.IPS and DS (output address "
				     "layout)"
				   : "VTCR_EL2.PS and DS (output address "
				     "layout)",
				"the format's output address bits, in its "
				"descriptor layout",
				fl, f->oa_bits, t.oa_bits);
	return 0;
}

static const struct ptk_fmt_hooks armv8_rt_hooks = {
	.version = PTK_FMT_HOOKS_VERSION,
	.classify = armv8_rt_classify,
	.table_oa = armv8_rt_table_oa,
	.leaf_oa = armv8_rt_leaf_oa,
	.make_table = armv8_rt_make_table,
	.make_leaf = armv8_rt_make_leaf,
	.encode = armv8_rt_encode,
	.decode = armv8_rt_decode,
	.is_contig = armv8_rt_is_contig,
	.contig_entry = armv8_rt_contig_entry,
};

static const char *const armv8_rt_level_names[] = { ARMV8_LEVEL_NAMES };

static const uint16_t armv8_rt_machines[] = { ARMV8_MACHINES, 0 };

static const struct ptk_fmt_arch armv8_rt_arch[2] = {
	{
		.version = PTK_FMT_ARCH_VERSION,
		.machines = armv8_rt_machines,
		.root_reg = "TTBR",
		.ctrl_reg = "TCR_EL1",
		.nr_roots = 2,
		.select_bit = 55,
		.region_names = { ARMV8_REGION_NAMES_S1 },
		.root_from_reg = armv8_rt_root_from_reg,
		.check_ctrl = armv8_rt_check_ctrl,
		.table_limit = armv8_rt_table_limit,
		.reg_from_root = armv8_rt_reg_from_root,
		.ctrl_va_flags = armv8_rt_ctrl_va_flags,
		.flags = ARMV8_ARCH_FLAGS(1),
	},
	{
		.version = PTK_FMT_ARCH_VERSION,
		.machines = armv8_rt_machines,
		.root_reg = "VTTBR",
		.ctrl_reg = "VTCR_EL2",
		.nr_roots = 1,
		.region_names = { ARMV8_REGION_NAMES_S2 },
		.root_from_reg = armv8_rt_root_from_reg,
		.check_ctrl = armv8_rt_check_ctrl,
		.reg_from_root = armv8_rt_reg_from_root,
		.ctrl_va_flags = armv8_rt_ctrl_va_flags,
		.flags = ARMV8_ARCH_FLAGS(2),
	},
};

static const char *const armv8_rt_names[2][3] = {
	{ "armv8_4k", "armv8_16k", "armv8_64k" },
	{ "armv8_s2_4k", "armv8_s2_16k", "armv8_s2_64k" },
};

static const char *const armv8_rt_descs[2][3] = {
	{ "Arm VMSAv8-64 stage 1, 4K granule (run-time geometry)",
	  "Arm VMSAv8-64 stage 1, 16K granule (run-time geometry)",
	  "Arm VMSAv8-64 stage 1, 64K granule (run-time geometry)" },
	{ "Arm VMSAv8-64 stage 2, 4K granule (run-time geometry)",
	  "Arm VMSAv8-64 stage 2, 16K granule (run-time geometry)",
	  "Arm VMSAv8-64 stage 2, 64K granule (run-time geometry)" },
};

/* The built-in formats, with the variant their hooks are compiled for. */
static const struct {
	const struct ptk_fmt *f;
	uint8_t g;
	uint8_t stage;
	uint8_t mode;
} armv8_named[] = {
	{ &ptk_fmt_armv8_4k_39, 12, 1, ARMV8_PA48 },
	{ &ptk_fmt_armv8_4k_48, 12, 1, ARMV8_PA48 },
	{ &ptk_fmt_armv8_4k_52, 12, 1, ARMV8_LPA2 },
	{ &ptk_fmt_armv8_16k_47, 14, 1, ARMV8_PA48 },
	{ &ptk_fmt_armv8_16k_48, 14, 1, ARMV8_PA48 },
	{ &ptk_fmt_armv8_16k_52, 14, 1, ARMV8_LPA2 },
	{ &ptk_fmt_armv8_64k_42, 16, 1, ARMV8_PA48 },
	{ &ptk_fmt_armv8_64k_48, 16, 1, ARMV8_PA48 },
	{ &ptk_fmt_armv8_64k_52, 16, 1, ARMV8_LPA },
	{ &ptk_fmt_armv8_s2_4k_48, 12, 2, ARMV8_PA48 },
	{ &ptk_fmt_armv8_s2_16k_47, 14, 2, ARMV8_PA48 },
	{ &ptk_fmt_armv8_s2_64k_48, 16, 2, ARMV8_PA48 },
};

static bool armv8_same_geometry(const struct ptk_fmt *a,
				const struct ptk_fmt *b)
{
	unsigned int l;

	if (a->levels != b->levels || a->va_bits != b->va_bits ||
	    a->oa_bits != b->oa_bits || a->leaf_levels != b->leaf_levels ||
	    a->entry_lg2 != b->entry_lg2 || a->features != b->features)
		return false;
	for (l = 0; l < a->levels; l++)
		if (a->level_shift[l] != b->level_shift[l] ||
		    a->level_bits[l] != b->level_bits[l] ||
		    a->leaf_oa_mask[l] != b->leaf_oa_mask[l] ||
		    a->contig_lg2[l] != b->contig_lg2[l])
			return false;
	return true;
}

/*
 * Fill @out for granule 2^@g, @stage, OA @mode, an input of @in_bits
 * starting at Arm lookup level @start (-1..3), @oa_bits of output.
 */
static int armv8_build(struct ptk_fmt *out, unsigned int g, unsigned int stage,
		       unsigned int mode, unsigned int in_bits, int start,
		       unsigned int oa_bits)
{
	unsigned int stride = g - 3, levels, top, top_shift, top_bits, l;
	uint32_t leaves;
	size_t i;

	if (start < -1 || start > 3 || in_bits > 52)
		return PTK_EINVAL;
	levels = (unsigned int)(4 - start);
	top = levels - 1;
	top_shift = ARMV8_SHIFT_(g, top);
	if (in_bits <= top_shift)
		return PTK_EINVAL;
	top_bits = in_bits - top_shift;
	/* Stage 2 may concatenate up to 16 initial tables (D8.2). */
	if (top_bits > stride + (stage == 2 ? 4 : 0))
		return PTK_EINVAL;

	PTK_MEMSET(out, 0, sizeof(*out));
	out->version = PTK_FMT_VERSION;
	out->name = armv8_rt_names[stage - 1][(g - 12) / 2];
	out->desc = armv8_rt_descs[stage - 1][(g - 12) / 2];
	out->levels = (uint8_t)levels;
	out->entry_lg2 = 3;
	out->va_bits = (uint8_t)in_bits;
	out->oa_bits = (uint8_t)oa_bits;
	leaves = ARMV8_LEAF_LEVELS_(g, mode) & ((1u << levels) - 1);
	out->leaf_levels = leaves;
	out->features = PTK_FMT_PROT_SEPARATE; /* as the built-in ones */
	for (l = 0; l < levels; l++) {
		unsigned int shift = ARMV8_SHIFT_(g, l);
		unsigned int bits = l == top ? top_bits : stride;
		unsigned int cl = ARMV8_CONT_LG2_(g, l);

		out->level_shift[l] = (uint8_t)shift;
		out->level_bits[l] = (uint8_t)bits;
		out->leaf_oa_mask[l] = ARMV8_LEAF_OA_MASK_(mode, shift);
		if (((leaves >> l) & 1) && cl < bits)
			out->contig_lg2[l] = (uint8_t)cl;
	}
	out->hooks = &armv8_rt_hooks;
	out->ops = NULL;
	out->level_names = armv8_rt_level_names;
	out->priv = &armv8_vars[armv8_var_index(g, stage, mode)];
	out->arch = &armv8_rt_arch[stage - 1];

	for (i = 0; i < sizeof(armv8_named) / sizeof(armv8_named[0]); i++) {
		if (armv8_named[i].g == g && armv8_named[i].stage == stage &&
		    armv8_named[i].mode == mode &&
		    armv8_same_geometry(out, armv8_named[i].f)) {
			*out = *armv8_named[i].f;
			break;
		}
	}
	return 0;
}

/* TCR.{I}PS and VTCR.PS: output size in bits (0b111 is FEAT_D128). */
static const uint8_t armv8_pa_size[7] = { 32, 36, 40, 42, 44, 48, 52 };

static unsigned int armv8_oa_bits(unsigned int ps, unsigned int mode)
{
	unsigned int cap = mode == ARMV8_PA48 ? 48 : 52;

	return armv8_pa_size[ps] < cap ? armv8_pa_size[ps] : cap;
}

int ptk_fmt_armv8_from_tcr(struct ptk_fmt *out, uint64_t tcr, int ttbr1)
{
	unsigned int tsz, tg, g, ps, mode, va, levels;
	bool ds = (tcr >> 59) & 1;

	if (!out)
		return PTK_EINVAL;
	if (ttbr1) {
		/* TG1: 0b01 16K, 0b10 4K, 0b11 64K. */
		tsz = (unsigned int)(tcr >> 16) & 63;
		tg = (unsigned int)(tcr >> 30) & 3;
		g = tg == 1 ? 14 : tg == 2 ? 12 : tg == 3 ? 16 : 0;
	} else {
		/* TG0: 0b00 4K, 0b01 64K, 0b10 16K. */
		tsz = (unsigned int)tcr & 63;
		tg = (unsigned int)(tcr >> 14) & 3;
		g = tg == 0 ? 12 : tg == 1 ? 16 : tg == 2 ? 14 : 0;
	}
	if (!g)
		return PTK_EINVAL;
	ps = (unsigned int)(tcr >> 32) & 7;
	if (ps == 7)
		return PTK_ENOTSUP;
	if (g == 16)
		mode = ps == 6 ? ARMV8_LPA : ARMV8_PA48;
	else
		mode = ds ? ARMV8_LPA2 : ARMV8_PA48;
	/* 52-bit VAs need LPA2 (4K/16K) or FEAT_LVA (64K); FEAT_TTST
	 * allows TxSZ up to 48 (47 with 64K). */
	if (tsz < ((g == 16 || mode == ARMV8_LPA2) ? 12u : 16u) ||
	    tsz > (g == 16 ? 47u : 48u))
		return PTK_EINVAL;
	va = 64 - tsz;
	levels = (va - 4) / (g - 3);
	return armv8_build(out, g, 1, mode, va, 4 - (int)levels,
			   armv8_oa_bits(ps, mode));
}

int ptk_fmt_armv8_from_vtcr(struct ptk_fmt *out, uint64_t vtcr)
{
	unsigned int tsz = (unsigned int)vtcr & 63;
	unsigned int sl0 = (unsigned int)(vtcr >> 6) & 3;
	unsigned int tg = (unsigned int)(vtcr >> 14) & 3;
	unsigned int ps = (unsigned int)(vtcr >> 16) & 7;
	bool ds = (vtcr >> 32) & 1, sl2 = (vtcr >> 33) & 1;
	unsigned int g, mode;
	int start;

	if (!out)
		return PTK_EINVAL;
	g = tg == 0 ? 12 : tg == 1 ? 16 : tg == 2 ? 14 : 0;
	if (!g)
		return PTK_EINVAL;
	if (ps == 7)
		return PTK_ENOTSUP;
	if (g == 16)
		mode = ps == 6 ? ARMV8_LPA : ARMV8_PA48;
	else
		mode = ds ? ARMV8_LPA2 : ARMV8_PA48;
	if (g == 12) {
		/* SL0: 0b00 L2, 0b01 L1, 0b10 L0, 0b11 L3; SL2 (DS) L-1. */
		if (ds && sl2) {
			if (sl0)
				return PTK_EINVAL;
			start = -1;
		} else {
			start = sl0 == 3 ? 3 : 2 - (int)sl0;
		}
	} else {
		/* 16K/64K SL0: 0b00 L3, 0b01 L2, 0b10 L1, 0b11 L0 (16K
		 * with DS only). */
		if (sl0 == 3 && (g == 16 || !ds))
			return PTK_EINVAL;
		start = 3 - (int)sl0;
	}
	if (tsz < (mode == ARMV8_PA48 ? 16u : 12u) ||
	    tsz > (g == 16 ? 47u : 48u))
		return PTK_EINVAL;
	return armv8_build(out, g, 2, mode, 64 - tsz, start,
			   armv8_oa_bits(ps, mode));
}

int ptk_fmt_armv8_s2(struct ptk_fmt *out, unsigned int granule_lg2,
		     unsigned int ipa_bits, int start_level)
{
	unsigned int g = granule_lg2;
	bool wide;

	if (!out || (g != 12 && g != 14 && g != 16))
		return PTK_EINVAL;
	if (start_level < -1 || start_level > 3 || ipa_bits > 52 ||
	    (start_level == -1 && g != 12) || (start_level == 0 && g == 16))
		return PTK_EINVAL;
	/* 4K level -1 and 16K level 0 exist only with LPA2 (DS = 1). */
	wide = ipa_bits > 48 || start_level == -1 ||
	       (start_level == 0 && g == 14);
	return armv8_build(out, g, 2,
			   wide ? (g == 16 ? ARMV8_LPA : ARMV8_LPA2)
				: ARMV8_PA48,
			   ipa_bits, start_level, wide ? 52 : 48);
}
