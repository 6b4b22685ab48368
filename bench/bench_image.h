/* SPDX-License-Identifier: MIT */
/*
 * ptkit benchmark rows on a real page table read from a memory image.
 */
#ifndef PTK_BENCH_IMAGE_H
#define PTK_BENCH_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

/**
 * struct ptk_bench_image_row - One measured figure
 * @name: Row name ("image_enum", "image_translate", "image_dump_tlb" or
 *        "image_dump", "image_enum_iter", "image_enum_table")
 * @unit: What @value counts: "leaves/s", "ns/op" or "ms"
 * @value: The best of the repetitions
 * @target: The target in the same unit
 * @higher_better: Whether @value must be >= @target (else <=)
 * @desc: One line on what was measured
 */
struct ptk_bench_image_row {
	const char *name;
	const char *unit;
	double value;
	double target;
	bool higher_better;
	char desc[160];
};

#define PTK_BENCH_IMAGE_ROWS 5

/**
 * ptk_bench_image() - Measure enumeration, translation and dump on an image
 * @rows: PTK_BENCH_IMAGE_ROWS rows, filled in
 * @path: The image (raw at base 0, ELF core or LiME), e.g. the bundled
 *        tests/fixtures/x86_64/tables.elf.gz decompressed
 * @format: Its format name, e.g. "x86_64"
 * @root: The raw root register value (CR3, TTBR, satp, ...), decoded as
 *        `ptkit dump --root` decodes it (ptk_fmt_root_from_reg())
 * @ptkit: Path of the ptkit executable for the dump row, or NULL to skip
 *         that row (its value is then 0)
 * @quick: Fewer repetitions
 *
 * Rows: every leaf of the root enumerated through ptk_walk_all() with a
 * leaf hook that only counts (leaves per second, runs expanded to their
 * page count); ptk_translate() of addresses sampled from those leaves
 * (ns per address, the image in the page cache, all tables warm); the
 * wall time of `ptkit dump` to /dev/null with the same --root, in
 * QEMU's `info tlb` style where the format has it ("image_dump_tlb"),
 * else in the default style ("image_dump"); the iterator's runs
 * ("image_enum_iter"); the walk's slots hook with
 * ptk_walk_slots_count(), a call per table ("image_enum_table").
 *
 * Context: Host only.
 *
 * Return: 0, or -1 with a message on stderr: the root does not fit the
 * format, the image or the walk failed, or a dump child did not exit 0
 * (so no row is reported as measured that was not).
 */
int ptk_bench_image(struct ptk_bench_image_row *rows, const char *path,
		    const char *format, uint64_t root, const char *ptkit,
		    bool quick);

#endif /* PTK_BENCH_IMAGE_H */
