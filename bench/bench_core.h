/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's shared state, for files that add rows of their own.
 *
 * A row group is a function that appends rows with row_add() and fills
 * them in; it is listed in bench.c's group table with the names of the
 * rows it makes (`ptkit bench --only` matches against those). A row
 * compares ptkit (ptk_ns) with a baseline (base_ns) measured in the same
 * run, or, with @absolute, holds a figure against a fixed target.
 */
#ifndef PTK_BENCH_CORE_H
#define PTK_BENCH_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <ptkit.h>

#define BENCH_MAX_ROWS 128

struct bench_cfg {
	bool quick;
	bool json;
	unsigned int reps; /* map/walk/unmap cycles of the 1 GiB rows */
	unsigned int hot_reps; /* samples of translate_hot */
	unsigned int hot_addrs; /* addresses in the hot array */
	unsigned int hot_passes; /* passes over it per sample */
	unsigned int cold_regions; /* 2 MiB regions in the cold mapping */
	unsigned int cold_per_region; /* 4K pages mapped in each */
	unsigned int cold_lookups; /* random addresses, a power of 2 */
	unsigned int cold_sample; /* translations per sample, a power of 2 */
	unsigned int chain_sample; /* dependent ones, a power of 2 */
	unsigned int cold_reps; /* samples of each cold row */
	unsigned int dense_walks; /* walks per map in the dense rows */
	unsigned int sparse_pages;
	unsigned int sparse_reps; /* samples of walk_sparse */
	unsigned int sparse_walks; /* walks per sample */
	unsigned int range_reps; /* samples of each range-operation row */
	uint64_t kern_len; /* bytes of the kernel rows' region */
	unsigned int kern_reps; /* samples of each kernel row */
	uint64_t bw_bytes; /* buffer of the memory-bandwidth measurement */
	unsigned int bw_passes; /* passes over it (the best is kept) */
	unsigned int shr_reps; /* samples of translate_shared_rw */
	unsigned int shr_lookups; /* translations per sample, 64 | it */
	unsigned int shr_wchunks; /* 2 MiB chunks the writer cycles over */
	unsigned int dram_reps; /* samples of iter_dram_64g */
};

struct bench_row {
	const char *name;
	const char *unit;
	double ptk_ns;
	double base_ns;
	double target;
	unsigned int reps;
	uint64_t ops;
	char desc[256];
	bool us; /* also in us per op (a whole walk or iteration) */
	char detail[512]; /* text output: a line under the row */
	char json[512]; /* --json: more fields, each ",\"key\":value" */
	/* rows against the kernel (baseline "kernel") */
	bool kernel;
	bool skipped; /* then @why says why */
	const char *note;
	double raw_ns; /* fork: before subtracting a fork without the region */
	char why[160];
	/*
	 * Rows with an absolute target and no baseline (base_ns unused):
	 * ptk_ns holds the figure in @unit, met when it is <= target (>=
	 * with @higher_better).
	 */
	bool absolute;
	bool higher_better;
};

struct bench {
	struct bench_cfg cfg;
	struct ptk_attrs attrs;
	uint64_t rng;
	unsigned int nrows;
	struct bench_row rows[BENCH_MAX_ROWS];
	long kern_huge_kib; /* AnonHugePages with the kernel rows' region */
	bool kern_header; /* printed */
};

#ifdef __GNUC__
__attribute__((format(printf, 1, 2)))
#endif
void bench_err(const char *fmt, ...);

/* CLOCK_MONOTONIC in ns. */
uint64_t now_ns(void);

/* The run's random stream (splitmix64, fixed seed). */
uint64_t rnd(struct bench *b);

/* *@best = min(*@best, @ns / @ops). */
void keep_min(double *best, uint64_t ns, uint64_t ops);

/* Append a row (ptk_ns and base_ns start at DBL_MAX: keep_min them). */
struct bench_row *row_add(struct bench *b, const char *name, const char *unit,
			  double target, unsigned int reps, uint64_t ops);

/* Append a row with an absolute @target in @unit (no baseline). */
struct bench_row *row_add_abs(struct bench *b, const char *name,
			      const char *unit, double target,
			      bool higher_better, unsigned int reps);

#endif /* PTK_BENCH_CORE_H */
