// SPDX-License-Identifier: MIT
/*
 * `ptkit bench`: the benchmark lives in bench/ (library ptkit_bench).
 */
#include "bench.h"
#include "cmd.h"

int ptk_cmd_bench(int argc, char **argv)
{
	return ptk_bench_main(argc, argv);
}
