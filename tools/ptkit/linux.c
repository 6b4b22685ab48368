// SPDX-License-Identifier: MIT
/*
 * Linux's virtual address layouts (see linux.h), as Linux 6.1 documents
 * them: Documentation/x86/x86_64/mm.rst and Documentation/arm64/memory.rst
 * with arch/arm64/include/asm/memory.h. Addresses only; no text of
 * either. These are the documented, unrandomized places: x86-64's KASLR
 * (CONFIG_RANDOMIZE_MEMORY) puts the direct map, vmalloc and vmemmap
 * areas at random, in that order, between the direct map's documented
 * start and the KASAN shadow, so their mappings may lie in a neighbouring
 * section (each layout's @kaslr says so in the legend). x86-64 modules
 * start at 0xffffffffc0000000 on kernels built with CONFIG_RANDOMIZE_BASE
 * (a 1 GiB kernel image area, as distributions build them), at
 * 0xffffffffa0000000 without.
 */
#include <string.h>

#include "linux.h"

/* How a row's address is found from the format's geometry. */
enum lx_base {
	LX_ABS, /* .off itself */
	LX_TOP_USER, /* 2^va_bits + off (Arm: the end of TTBR0's range) */
	LX_PAGE_OFFSET, /* -2^va_bits + off (Arm: the linear map) */
	LX_PAGE_END, /* -2^(min(va_bits, 48) - 1) + off (Arm: modules) */
	LX_VMEMMAP, /* -2^(va_bits - (page_shift - 6)) + off (Arm) */
	LX_VMEMMAP_END, /* LX_VMEMMAP + its size + off (Arm) */
};

/* Rows apply to any VA size (0) or to one. */
struct lx_row {
	enum lx_base base;
	int64_t off;
	unsigned int va_bits;
	unsigned int max_lines;
	unsigned int kernel_start; /* 1: the first kernel address */
	const char *name;
};

#define MB(n) ((int64_t)(n) << 20)

static const struct lx_row lx_x86_64[] = {
	{ LX_ABS, 0, 0, 0, 0, "User space" },
	{ LX_ABS, 0x0000800000000000, 48, 0, 0,
	  "Non-canonical addresses (not translated)" },
	{ LX_ABS, (int64_t)0xffff800000000000, 48, 0, 1,
	  "Kernel space: guard hole (reserved for a hypervisor)" },
	{ LX_ABS, (int64_t)0xffff880000000000, 48, 0, 0, "LDT remap for PTI" },
	{ LX_ABS, (int64_t)0xffff888000000000, 48, 0, 0,
	  "Direct map of all physical memory (page_offset_base)" },
	{ LX_ABS, (int64_t)0xffffc88000000000, 48, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffffc90000000000, 48, 0, 0,
	  "vmalloc and ioremap space (vmalloc_base)" },
	{ LX_ABS, (int64_t)0xffffe90000000000, 48, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffffea0000000000, 48, 0, 0,
	  "Virtual memory map (vmemmap_base)" },
	{ LX_ABS, (int64_t)0xffffeb0000000000, 48, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffffec0000000000, 48, 0, 0,
	  "KASAN shadow memory" },
	{ LX_ABS, 0x0100000000000000, 57, 0, 0,
	  "Non-canonical addresses (not translated)" },
	{ LX_ABS, (int64_t)0xff00000000000000, 57, 0, 1,
	  "Kernel space: guard hole (reserved for a hypervisor)" },
	{ LX_ABS, (int64_t)0xff10000000000000, 57, 0, 0, "LDT remap for PTI" },
	{ LX_ABS, (int64_t)0xff11000000000000, 57, 0, 0,
	  "Direct map of all physical memory (page_offset_base)" },
	{ LX_ABS, (int64_t)0xff91000000000000, 57, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffa0000000000000, 57, 0, 0,
	  "vmalloc and ioremap space (vmalloc_base)" },
	{ LX_ABS, (int64_t)0xffd2000000000000, 57, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffd4000000000000, 57, 0, 0,
	  "Virtual memory map (vmemmap_base)" },
	{ LX_ABS, (int64_t)0xffd6000000000000, 57, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffdf000000000000, 57, 0, 0,
	  "KASAN shadow memory" },
	{ LX_ABS, (int64_t)0xfffffc0000000000, 0, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xfffffe0000000000, 0, 0, 0, "CPU entry area" },
	{ LX_ABS, (int64_t)0xfffffe8000000000, 0, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffffff0000000000, 0, 16, 0,
	  "ESPFIX stacks (%esp fixup)" },
	{ LX_ABS, (int64_t)0xffffff8000000000, 0, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffffffef00000000, 0, 0, 0,
	  "EFI runtime services" },
	{ LX_ABS, (int64_t)0xffffffff00000000, 0, 0, 0, "Unused hole" },
	{ LX_ABS, (int64_t)0xffffffff80000000, 0, 0, 0,
	  "Kernel image (text, data, bss)" },
	{ LX_ABS, (int64_t)0xffffffffc0000000, 0, 0, 0, "Modules" },
	{ LX_ABS, (int64_t)0xffffffffff000000, 0, 0, 0,
	  "Fixmap and the legacy vsyscall page" },
};

static const struct lx_row lx_arm64[] = {
	{ LX_ABS, 0, 0, 0, 0, "User space (TTBR0)" },
	{ LX_TOP_USER, 0, 0, 0, 0, "Neither TTBR0 nor TTBR1 (not translated)" },
	{ LX_PAGE_OFFSET, 0, 0, 0, 1, "Linear map of physical memory (TTBR1)" },
	{ LX_PAGE_END, 0, 0, 0, 0, "Modules" },
	{ LX_PAGE_END, MB(128), 0, 0, 0, "vmalloc" },
	{ LX_VMEMMAP, -MB(256), 0, 0, 0, "Fixmap (top down)" },
	{ LX_VMEMMAP, -MB(32), 0, 0, 0, "Guard region" },
	{ LX_VMEMMAP, -MB(24), 0, 0, 0, "PCI I/O space" },
	{ LX_VMEMMAP, -MB(8), 0, 0, 0, "Guard region" },
	{ LX_VMEMMAP, 0, 0, 0, 0, "vmemmap (struct page array)" },
	{ LX_VMEMMAP_END, 0, 0, 0, 0, "Guard region" },
};

/* Whether the format says its tables are a machine @m's (by ELF machine). */
static bool names_machine(const struct ptk_fmt *f, unsigned int m)
{
	return ptk_fmt_arch(f)->machines && ptk_fmt_fits_machine(f, m);
}

static ptk_va_t neg_pow2(unsigned int lg2)
{
	return (ptk_va_t)0 - ((ptk_va_t)1 << lg2);
}

int linux_layout_get(struct linux_layout *out, const struct img_target *tg)
{
	const struct ptk_fmt *f = tg->fmt;
	const struct lx_row *rows;
	unsigned int nrows, i, vb = f->va_bits, vamin, vm_shift;
	ptk_va_t vmemmap = 0, vmemmap_size = 0;

	memset(out, 0, sizeof(*out));
	/*
	 * Linux's layouts are per machine and paging mode: x86-64 paging is
	 * an x86-64 format with sign-extended 48- or 57-bit VAs, arm64 a
	 * format with two roots (stage 1: TTBR0 and TTBR1).
	 */
	if (names_machine(f, PTK_EM_X86_64) &&
	    (f->features & PTK_FMT_SIGN_EXTEND)) {
		if (vb != 48 && vb != 57)
			return -1;
		rows = lx_x86_64;
		nrows = sizeof(lx_x86_64) / sizeof(lx_x86_64[0]);
		out->name = vb == 48 ? "Linux x86-64, 4-level paging"
				     : "Linux x86-64, 5-level paging";
		out->doc = "Documentation/x86/x86_64/mm.rst";
		out->kaslr =
			"KASLR places the direct map, vmalloc and vmemmap areas at random, in that\norder, from the direct map's start to the KASAN shadow: their mappings may\nlie in a neighbouring section.";
	} else if (names_machine(f, PTK_EM_AARCH64) &&
		   ptk_fmt_nr_roots(f) == 2) {
		if (vb < 39 || vb > 52 || f->level_shift[0] < 12)
			return -1;
		rows = lx_arm64;
		nrows = sizeof(lx_arm64) / sizeof(lx_arm64[0]);
		out->name = "Linux arm64";
		out->doc = "Documentation/arm64/memory.rst";
		out->kaslr =
			"KASLR moves the kernel image and modules inside the vmalloc area, and the\nlinear map's physical base.";
		vamin = vb < 48 ? vb : 48;
		vm_shift = f->level_shift[0] - 6;
		vmemmap = neg_pow2(vb - vm_shift);
		vmemmap_size = (neg_pow2(vamin - 1) - neg_pow2(vb)) >> vm_shift;
	} else {
		return -1;
	}
	for (i = 0; i < nrows && out->n < LINUX_MAX_MARKERS; i++) {
		const struct lx_row *r = &rows[i];
		ptk_va_t va = (ptk_va_t)r->off;

		if (r->va_bits && r->va_bits != vb)
			continue;
		switch (r->base) {
		case LX_ABS:
			break;
		case LX_TOP_USER:
			va += (ptk_va_t)1 << vb;
			break;
		case LX_PAGE_OFFSET:
			va += neg_pow2(vb);
			break;
		case LX_PAGE_END:
			va += neg_pow2((vb < 48 ? vb : 48) - 1);
			break;
		case LX_VMEMMAP:
			va += vmemmap;
			break;
		case LX_VMEMMAP_END:
			va += vmemmap + vmemmap_size;
			break;
		}
		/* Keep the rows in order: a geometry where a row would fall
		 * before the one above it (a small VA) drops it. */
		if (out->n && va <= out->m[out->n - 1].va)
			continue;
		if (r->kernel_start)
			out->kernel_start = va;
		out->m[out->n].va = va;
		out->m[out->n].name = r->name;
		out->m[out->n].max_lines = r->max_lines;
		out->n++;
	}
	return 0;
}
