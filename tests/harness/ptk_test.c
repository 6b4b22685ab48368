// SPDX-License-Identifier: MIT
/*
 * The harness's runner; see ptk_test.h.
 */
#include "ptk_test.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* After this many failures a test is stopped, to keep logs readable. */
#define PTK_TEST_MAX_FAILURES 25

static const char *cur_name;
static unsigned int cur_failures;
static jmp_buf cur_jmp;
static uint64_t run_seed;

void ptk_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s: %s:%d: ", cur_name ? cur_name : "?", file,
		line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	if (++cur_failures >= PTK_TEST_MAX_FAILURES) {
		fprintf(stderr, "FAIL %s: too many failures, stopping it\n",
			cur_name);
		ptk_test_abort();
	}
}

_Noreturn void ptk_test_abort(void)
{
	if (!cur_failures)
		cur_failures = 1;
	longjmp(cur_jmp, 1);
}

unsigned int ptk_test_failures(void)
{
	return cur_failures;
}

uint64_t ptk_test_seed(void)
{
	return run_seed;
}

const char *ptk_test_name(void)
{
	return cur_name;
}

void ptk_test_rand(struct ptk_rand *r)
{
	/* FNV-1a of the name, so a test's stream does not depend on order. */
	uint64_t h = 0xcbf29ce484222325ull;
	const char *p;

	for (p = cur_name ? cur_name : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	ptk_rand_seed(r, run_seed ^ h);
}

uint64_t ptk_test_env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end || errno) {
		fprintf(stderr, "ignoring malformed %s=%s\n", name, s);
		return def;
	}
	return v;
}

static double now(void)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--list] [-s NAME]...\n", argv0);
}

static const struct ptk_test *find(const struct ptk_test *tests,
				   const char *name)
{
	for (; tests->name; tests++)
		if (!strcmp(tests->name, name))
			return tests;
	return NULL;
}

/* volatile: modified between setjmp and longjmp */
static int run_one(const struct ptk_test *t)
{
	volatile double t0 = now();

	cur_name = t->name;
	cur_failures = 0;
	if (!setjmp(cur_jmp))
		t->fn();
	printf("%s %s (%.2fs)\n", cur_failures ? "FAIL" : "ok  ", t->name,
	       now() - t0);
	fflush(stdout);
	cur_name = NULL;
	return cur_failures ? 1 : 0;
}

int ptk_test_main(int argc, char **argv, const struct ptk_test *tests)
{
	const char *only[64];
	unsigned int nr_only = 0, passed = 0, failed = 0, i;
	const struct ptk_test *t;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--list")) {
			for (t = tests; t->name; t++)
				printf("%s\n", t->name);
			return 0;
		} else if (!strcmp(argv[a], "-s") && a + 1 < argc &&
			   nr_only < 64) {
			only[nr_only++] = argv[++a];
		} else {
			usage(argv[0]);
			printf("0 passed, 1 failed\n");
			return 2;
		}
	}
	run_seed = ptk_test_env_u64("PTK_SEED", PTK_RAND_DEFAULT_SEED);

	if (nr_only) {
		for (i = 0; i < nr_only; i++) {
			t = find(tests, only[i]);
			if (!t) {
				fprintf(stderr, "no test named %s\n", only[i]);
				failed++;
				continue;
			}
			if (run_one(t))
				failed++;
			else
				passed++;
		}
	} else {
		for (t = tests; t->name; t++) {
			if (run_one(t))
				failed++;
			else
				passed++;
		}
	}
	if (failed)
		printf("seed: PTK_SEED=0x%016" PRIx64 "\n", run_seed);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
