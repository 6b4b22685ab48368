/* SPDX-License-Identifier: MIT */
/*
 * Secondary MMUs: benchmark rows of interval subscriptions, mirrors and
 * the software TLB (bench/bench_mirror.c).
 */
#ifndef PTK_BENCH_MIRROR_H
#define PTK_BENCH_MIRROR_H

#include "bench_core.h"

/* The row names the group makes, for bench.c's groups[] table. */
#define PTK_BENCH_MIRROR_ROWS                                       \
	"notif_dispatch_1 notif_dispatch_100 notif_dispatch_10000 " \
	"mirror_fault_1g_4k tlb_hit tlb_miss_fill tlb_invalidate_1g"

/**
 * rows_mirror() - The notif_*, mirror_* and tlb_* rows
 * @b: The benchmark
 *
 * Context: Host only.
 *
 * Return: 0, or -1 with a message on stderr.
 */
int rows_mirror(struct bench *b);

#endif /* PTK_BENCH_MIRROR_H */
