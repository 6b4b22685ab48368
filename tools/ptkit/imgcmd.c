// SPDX-License-Identifier: MIT
/*
 * Shared by `ptkit info`, `dump` and `translate`: image, format and root.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imgcmd.h"
#include "rootscan.h"

#define BIT(n) ((uint64_t)1 << (n))
#define MASK(n) ((n) >= 64 ? ~(uint64_t)0 : BIT(n) - 1)

int img_parse_opt(struct img_opts *o, int argc, char **argv, int *i)
{
	const char *v = NULL;
	uint64_t n;
	int rc;

	if ((rc = tool_opt(argc, argv, i, "--format", &v)) > 0) {
		o->format = v;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--root", &v)) > 0) {
		o->root_auto = !strcmp(v, "auto");
		if (!o->root_auto && tool_parse_addr(v, &o->root_val)) {
			ptk_tool_err(
				"bad --root '%s': a register value is hexadecimal (0x optional), at most 16 digits, or 'auto'",
				v);
			return -1;
		}
		o->root = v;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--root1", &v)) > 0) {
		o->root1_auto = !strcmp(v, "auto");
		if (!o->root1_auto && tool_parse_addr(v, &o->root1_val)) {
			ptk_tool_err(
				"bad --root1 '%s': a register value is hexadecimal (0x optional), at most 16 digits, or 'auto'",
				v);
			return -1;
		}
		o->root1 = v;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--cpu", &v)) > 0) {
		if (tool_parse_count(v, &n) || n > 1u << 20) {
			ptk_tool_err(
				"bad --cpu '%s': a CPU number is decimal, 0 for the first",
				v);
			return -1;
		}
		o->cpu = (int)n;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--base", &v)) > 0) {
		if (tool_parse_addr(v, &o->base)) {
			ptk_tool_err(
				"bad --base '%s': a physical address is hexadecimal (0x optional), at most 16 digits",
				v);
			return -1;
		}
		o->have_base = true;
	}
	return rc;
}

int img_open(struct ptk_image **out, const struct img_opts *o)
{
	struct ptk_image_error err;
	struct ptk_image_opts io = { .error = &err };
	int rc;

	if (o->have_base)
		io.base = o->base;
	rc = ptk_image_open(out, o->path, &io);
	if (rc) /* the library names the cause */
		ptk_tool_err("%s: cannot open image: %s", o->path, err.msg);
	return rc;
}

bool img_report_page_errors(const struct ptk_image *img, const char *path)
{
	size_t n = ptk_image_nr_page_errors(img), i;
	struct ptk_image_page_error e;

	for (i = 0; !ptk_image_page_error(&e, img, i); i++)
		ptk_tool_err("%s: the page at PA 0x%" PRIx64 " (%" PRIu32
			     " bytes at file offset 0x%" PRIx64
			     ") does not decompress: %s; it is read as absent",
			     path, e.pa, e.file_size, e.file_off, e.msg);
	if (n > i)
		ptk_tool_err("%s: %zu more pages do not decompress", path,
			     n - i);
	return n != 0;
}

enum img_family img_family_of(const struct ptk_fmt *f)
{
	const char *n = f->name ? f->name : "";

	if (!strncmp(n, "x86_64", 6))
		return FAM_X86_64;
	if (!strcmp(n, "x86_pae"))
		return FAM_X86_PAE;
	if (!strcmp(n, "x86_32"))
		return FAM_X86_32;
	if (!strncmp(n, "x86_ept", 7))
		return FAM_EPT;
	if (!strncmp(n, "armv8_s2", 8))
		return FAM_ARM_S2;
	if (!strncmp(n, "armv8", 5))
		return FAM_ARM;
	if (!strncmp(n, "riscv", 5))
		return FAM_RISCV;
	return FAM_OTHER;
}

static unsigned int root_lg2(const struct ptk_fmt *f)
{
	return f->level_bits[f->levels - 1] + f->entry_lg2;
}

int img_root_from_reg(ptk_oa_t *out, const struct ptk_fmt *f,
		      enum img_family fam, uint64_t reg)
{
	unsigned int lg2 = root_lg2(f);
	uint64_t mode;

	switch (fam) {
	case FAM_X86_64:
	case FAM_EPT:
		/* CR3 / EPTP: bits 51:12; PCID, PWT/PCD, LAM, memory type,
		 * walk length and A/D enable are below or above. */
		*out = reg & (MASK(52) & ~MASK(12));
		break;
	case FAM_X86_PAE:
		*out = reg & 0xffffffe0u; /* CR3 bits 31:5: the PDPT */
		break;
	case FAM_X86_32:
		*out = reg & 0xfffff000u;
		break;
	case FAM_ARM:
	case FAM_ARM_S2:
		/* TTBR/VTTBR: BADDR in 47:1, ASID/VMID in 63:48, CnP in 0;
		 * with 52-bit output, bits 5:2 hold BADDR 51:48. The table
		 * is aligned to its size, which may be below a page. */
		*out = reg & MASK(48);
		if (f->oa_bits > 48 && lg2 >= 6)
			*out |= ((reg >> 2) & 0xf) << 48;
		*out &= ~MASK(lg2 < 6 ? lg2 : 6);
		if (lg2 > 6)
			*out &= ~MASK(lg2);
		break;
	case FAM_RISCV:
		if (f->entry_lg2 == 2) {
			mode = reg >> 31;
			*out = (reg & MASK(22)) << 12;
			if (mode != 1)
				ptk_tool_err("warning: satp 0x%" PRIx64
					     " does not select Sv32",
					     reg);
		} else {
			mode = reg >> 60;
			*out = (reg & MASK(44)) << 12;
			if (mode != 8 + (unsigned int)(f->levels - 3))
				ptk_tool_err("warning: satp 0x%" PRIx64
					     " selects mode %" PRIu64
					     ", not %s",
					     reg, mode, f->name);
		}
		break;
	default:
		*out = reg & ~MASK(lg2 < 12 ? lg2 : 12);
		break;
	}
	return 0;
}

unsigned int img_table_deny(enum img_family fam, const struct ptk_fmt *f,
			    unsigned int level, ptk_pte_t pte)
{
	unsigned int d = 0;

	switch (fam) {
	case FAM_X86_PAE:
		if (level == 2)
			return 0; /* a PDPTE has no access rights */
		/* fall through */
	case FAM_X86_64:
		if (pte & BIT(63))
			d |= DENY_X;
		/* fall through */
	case FAM_X86_32:
		if (!(pte & BIT(1)))
			d |= DENY_W;
		if (!(pte & BIT(2)))
			d |= DENY_U;
		break;
	case FAM_EPT:
		if (!(pte & BIT(0)))
			d |= DENY_R;
		if (!(pte & BIT(1)))
			d |= DENY_W;
		if (!(pte & BIT(2)))
			d |= DENY_X;
		break;
	case FAM_ARM:
		/* APTable[1:0] (62:61), UXNTable (60), PXNTable (59). */
		if (pte & BIT(62))
			d |= DENY_W;
		if (pte & BIT(61))
			d |= DENY_U;
		if (pte & BIT(60))
			d |= DENY_UX;
		if (pte & BIT(59))
			d |= DENY_PX;
		break;
	default:
		break;
	}
	(void)f;
	return d;
}

uint32_t img_apply_deny(uint32_t prot, unsigned int deny)
{
	if (deny & ((prot & PTK_PROT_USER) ? DENY_UX : DENY_PX))
		prot &= ~PTK_PROT_EXEC;
	if (deny & DENY_R)
		prot &= ~PTK_PROT_READ;
	if (deny & DENY_W)
		prot &= ~PTK_PROT_WRITE;
	if (deny & DENY_X)
		prot &= ~PTK_PROT_EXEC;
	if (deny & DENY_U)
		prot &= ~PTK_PROT_USER;
	return prot;
}

int img_select(const struct img_target *tg, ptk_va_t va, ptk_va_t *inner)
{
	unsigned int vb = tg->fmt->va_bits;

	if (tg->fam == FAM_ARM && vb < 64) {
		uint64_t top = va >> vb;

		if ((va >> 55) & 1) {
			if (!tg->have[1] || top != MASK(64 - vb))
				return -1;
			*inner = va & MASK(vb);
			return 1;
		}
		if (top)
			return -1;
	}
	if (!tg->have[0])
		return -1;
	*inner = va;
	return 0;
}

static int root_value(uint64_t *out, const struct img_target *tg,
		      const struct img_opts *o)
{
	const struct ptk_image_cpu *c;
	uint64_t cr4;

	if (o->root_auto)
		return roots_auto(out, tg->img, tg->fmt, false, o->path);
	if (o->root) {
		*out = o->root_val;
		return 0;
	}
	c = ptk_image_cpu(tg->img, (size_t)o->cpu);
	if (!c) {
		ptk_tool_err("%s: the image describes %zu CPUs, no CPU %d",
			     o->path, ptk_image_nr_cpus(tg->img), o->cpu);
		return -1;
	}
	if (ptk_image_cpu_reg(out, c, "cr3")) {
		ptk_tool_err(
			"%s: CPU %d's notes carry no page-table root; pass --root",
			o->path, o->cpu);
		return -1;
	}
	if (!ptk_image_cpu_reg(&cr4, c, "cr4")) {
		bool la57 = cr4 & BIT(12), pae = cr4 & BIT(5);
		const char *want = NULL;

		if (tg->fam == FAM_X86_64 && !pae)
			want = "x86_32 or x86_pae";
		else if (tg->fam == FAM_X86_64 &&
			 la57 != (tg->fmt->levels == 5))
			want = la57 ? "x86_64_la57" : "x86_64";
		else if ((tg->fam == FAM_X86_PAE || tg->fam == FAM_X86_32) &&
			 pae != (tg->fam == FAM_X86_PAE))
			want = pae ? "x86_pae" : "x86_32";
		if (want)
			ptk_tool_err("warning: CPU %d's CR4=0x%" PRIx64
				     " suggests --format %s",
				     o->cpu, cr4, want);
	}
	return 0;
}

int img_target_open(struct img_target *tg, const struct img_opts *o)
{
	uint64_t reg;
	int rc, i;

	memset(tg, 0, sizeof(*tg));
	tg->path = o->path;
	if (!o->format) {
		ptk_tool_err("--format is required (see 'ptkit formats')");
		return PTK_EXIT_USAGE;
	}
	tg->fmt = ptk_fmt_lookup(o->format);
	if (!tg->fmt) {
		ptk_tool_err("unknown format '%s' (see 'ptkit formats')",
			     o->format);
		return PTK_EXIT_USAGE;
	}
	tg->fam = img_family_of(tg->fmt);
	if (!o->root == (o->cpu < 0)) {
		ptk_tool_err("give exactly one of --root and --cpu");
		return PTK_EXIT_USAGE;
	}
	if (o->root1 && tg->fam != FAM_ARM) {
		ptk_tool_err("--root1 (TTBR1) is for Arm stage 1 formats");
		return PTK_EXIT_USAGE;
	}
	if (img_open(&tg->img, o))
		return PTK_EXIT_FAIL;
	if (root_value(&reg, tg, o))
		goto fail;
	img_root_from_reg(&tg->root[0], tg->fmt, tg->fam, reg);
	tg->have[0] = true;
	if (o->root1) {
		reg = o->root1_val;
		if (o->root1_auto &&
		    roots_auto(&reg, tg->img, tg->fmt, true, o->path))
			goto fail;
		img_root_from_reg(&tg->root[1], tg->fmt, tg->fam, reg);
		tg->have[1] = true;
		tg->hi_base = ~MASK(tg->fmt->va_bits);
	}
	for (i = 0; i < 2; i++) {
		if (!tg->have[i])
			continue;
		rc = ptk_table_attach(&tg->t[i], tg->fmt,
				      ptk_image_mem(tg->img), tg->root[i], 0);
		if (rc) {
			ptk_tool_err("root table at 0x%" PRIx64
				     " is not in the image (%s)",
				     tg->root[i], ptk_strerror(rc));
			img_report_page_errors(tg->img, o->path);
			goto fail;
		}
	}
	return 0;
fail:
	ptk_image_close(tg->img);
	tg->img = NULL;
	return PTK_EXIT_FAIL;
}

void img_target_close(struct img_target *tg)
{
	if (tg->img)
		img_report_page_errors(tg->img, tg->path);
	ptk_table_destroy(&tg->t[0]);
	ptk_table_destroy(&tg->t[1]);
	ptk_image_close(tg->img);
	tg->img = NULL;
}

void img_size_str(char *buf, size_t size, unsigned int lg2)
{
	static const char units[] = " KMGTPE";
	unsigned int u = lg2 / 10;

	if (u == 0)
		snprintf(buf, size, "%" PRIu64, (uint64_t)1 << lg2);
	else
		snprintf(buf, size, "%" PRIu64 "%c",
			 (uint64_t)1 << (lg2 - u * 10), units[u]);
}

void img_bytes_str(char *buf, size_t size, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0;

	while (bytes && !(bytes & 1023) && u < 6) {
		bytes >>= 10;
		u++;
	}
	if (!u)
		snprintf(buf, size, "%" PRIu64, bytes);
	else
		snprintf(buf, size, "%" PRIu64 "%c", bytes, units[u - 1]);
}

uint64_t img_default_budget(const struct img_target *tg)
{
	size_t i, n = ptk_image_nr_segs(tg->img);
	uint64_t bytes = 0, entries;

	for (i = 0; i < n; i++) {
		struct ptk_image_seg s;

		if (!ptk_image_seg(&s, tg->img, i))
			bytes += s.size;
	}
	/* A tree reads each of its tables once: it cannot hold more entries
	 * than the image's memory. Twice that covers two roots; the floor
	 * covers tables a kernel maps many times (x86-64's ESPFIX maps one
	 * page table 65,536 times). */
	entries = bytes >> tg->fmt->entry_lg2;
	if (entries > UINT64_MAX / 2)
		return UINT64_MAX;
	return entries * 2 > (1ull << 26) ? entries * 2 : 1ull << 26;
}

void img_root_summary(const struct img_target *tg, int ti, uint64_t *valid,
		      uint64_t *bad, uint64_t *total)
{
	const struct ptk_fmt *f = tg->fmt;
	unsigned int top = f->levels - 1, esz = 1u << f->entry_lg2, b;
	uint64_t n = (uint64_t)1 << f->level_bits[top], j;
	const unsigned char *e =
		ptk_image_ptr(tg->img, tg->root[ti], n << f->entry_lg2);

	*valid = *bad = 0;
	*total = n;
	if (!e)
		return;
	for (j = 0; j < n; j++, e += esz) {
		ptk_pte_t pte = 0;

		for (b = 0; b < esz; b++)
			pte |= (ptk_pte_t)e[b] << (8 * b);
		switch (f->hooks->classify(f, top, pte)) {
		case PTK_ENTRY_TABLE:
		case PTK_ENTRY_LEAF:
			(*valid)++;
			break;
		case PTK_ENTRY_INVALID:
			(*bad)++;
			break;
		default:
			break;
		}
	}
}
