/* SPDX-License-Identifier: MIT */
/*
 * ptkit benchmark: ptkit against a tailored x86-64 page table.
 */
#ifndef PTK_BENCH_H
#define PTK_BENCH_H

/**
 * ptk_bench_main() - Run `ptkit bench`
 * @argc: Argument count; @argv[0] is the command name
 * @argv: Options: --quick (small sizes, a few seconds), --json (one JSON
 *        object per row on stdout), --help
 *
 * Measures, in this process and in one run, ptkit (x86_64 format, host
 * heap provider) and the tailored baseline of bench/tailored_x86_64.c on
 * the same workloads, checks that both compute the same results, and
 * prints ns per operation for each and the ratio ptkit / baseline.
 *
 * Context: Host only. Allocates up to about 1 GiB (less with --quick);
 * starts one thread at a time (the shared-table row's writer).
 *
 * Return: 0 on success, 1 for a usage error, 2 when a workload failed or
 * the two implementations disagreed (reported on stderr).
 */
int ptk_bench_main(int argc, char **argv);

#endif /* PTK_BENCH_H */
