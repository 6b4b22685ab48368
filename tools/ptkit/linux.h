/* SPDX-License-Identifier: MIT */
/*
 * Linux's virtual address layouts, for `ptkit dump --style linux` and the
 * sections of `ptkit map`: data about Linux, one table per architecture
 * (linux.c), chosen by the machine the format says its tables are for
 * and its geometry, never by its name.
 */
#ifndef PTK_TOOL_LINUX_H
#define PTK_TOOL_LINUX_H

#include "imgcmd.h"

#define LINUX_MAX_MARKERS 32

/**
 * struct linux_marker - Where a section of the layout starts
 * @va: Its first address
 * @name: What Linux keeps there
 * @max_lines: Lines a listing shows in the section before it skips the
 *             rest (0: no limit); x86-64's ESPFIX area holds 65,536
 *             aliases of one page
 */
struct linux_marker {
	ptk_va_t va;
	const char *name;
	unsigned int max_lines;
};

/**
 * struct linux_layout - A layout resolved for one format's geometry
 * @name: "Linux x86-64, 4-level paging" and so on
 * @doc: Where Linux documents it
 * @kaslr: What KASLR moves, for the legend
 * @kernel_start: First kernel address (the W+X check looks from here up)
 * @n: Markers in @m
 * @m: The markers, in address order
 */
struct linux_layout {
	const char *name;
	const char *doc;
	const char *kaslr;
	ptk_va_t kernel_start;
	unsigned int n;
	struct linux_marker m[LINUX_MAX_MARKERS];
};

/**
 * linux_layout_get() - Linux's layout for a format
 * @out: The layout
 * @tg: The image's target (format, family, roots)
 *
 * Context: The ptkit command.
 *
 * Return: 0, or -1 when ptkit knows no Linux layout for the format
 * (layouts exist for x86-64 with 4- and 5-level paging and for arm64
 * stage 1 with 39- to 52-bit VAs).
 */
int linux_layout_get(struct linux_layout *out, const struct img_target *tg);

#endif /* PTK_TOOL_LINUX_H */
