/* SPDX-License-Identifier: MIT */
/*
 * Radix or hash: benchmark rows of the hashed table against the radix
 * engine (bench/bench_hash.c; names start with hash_).
 */
#ifndef PTK_BENCH_HASH_H
#define PTK_BENCH_HASH_H

#include "bench_core.h"

#ifdef __GNUC__
#define PTK_BENCH_HASH_NOINLINE __attribute__((noinline))
#else
#define PTK_BENCH_HASH_NOINLINE
#endif

/* The row names each group makes, for bench.c's groups[] table. */
#define PTK_BENCH_HASH_ROWS                                            \
	"hash_mem_procmaps hash_translate_hot hash_translate_cold "    \
	"hash_map_dense_1g "                                           \
	"hash_walk_dense_1g hash_iter_dense_1g hash_protect_dense_1g " \
	"hash_unmap_dense_1g hash_mem_dense_1g hash_map_sparse "       \
	"hash_walk_sparse hash_protect_sparse hash_unmap_sparse "      \
	"hash_mem_sparse hash_lines_protect_dense "                    \
	"hash_lines_walk_dense hash_lines_unmap_dense "                \
	"hash_lines_protect_sparse hash_lines_walk_sparse "            \
	"hash_lines_unmap_sparse"

/**
 * rows_hash() - Every hash_* row
 * @b: The benchmark
 *
 * Context: Host only. Starts valgrind (lackey) once for the hash_lines
 * rows when it is installed; they are skipped otherwise.
 *
 * Return: 0, or -1 with a message on stderr.
 */
int rows_hash(struct bench *b);

#endif /* PTK_BENCH_HASH_H */
