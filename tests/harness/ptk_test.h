/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness.
 *
 * Each test binary lists its tests in a table and hands it to
 * ptk_test_main():
 *
 *	PTK_TEST(foo)
 *	{
 *		PTK_EXPECT_EQ(1 + 1, 2);
 *	}
 *
 *	static const struct ptk_test tests[] = {
 *		PTK_TEST_ENTRY(foo),
 *		PTK_TEST_END,
 *	};
 *	PTK_TEST_MAIN(tests)
 *
 * Options: --list prints the test names; -s NAME runs one test (may be
 * given several times). The last line a binary prints is always
 * "N passed, N failed" (tests, not checks), and it exits non-zero when a
 * test failed.
 *
 * PTK_EXPECT_* record a failure and go on; PTK_ASSERT_* record it and
 * leave the test at once (longjmp), so they may be used in helpers at
 * any depth.
 */
#ifndef PTK_TEST_H
#define PTK_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ptkit/errors.h"
#include "ptk_rand.h"

struct ptk_test {
	const char *name;
	void (*fn)(void);
};

#define PTK_TEST(name) static void ptk_test_##name(void)
/* clang-format off */
#define PTK_TEST_ENTRY(name) { #name, ptk_test_##name }
#define PTK_TEST_END { NULL, NULL }
/* clang-format on */
#define PTK_TEST_MAIN(table)                             \
	int main(int argc, char **argv)                  \
	{                                                \
		return ptk_test_main(argc, argv, table); \
	}

int ptk_test_main(int argc, char **argv, const struct ptk_test *tests);

#if defined(__GNUC__)
#define PTK_TEST_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PTK_TEST_PRINTF(a, b)
#endif

/* Record a failure of the running test. */
void ptk_test_fail(const char *file, int line, const char *fmt, ...)
	PTK_TEST_PRINTF(3, 4);
/* Leave the running test (it counts as failed if anything failed). */
_Noreturn void ptk_test_abort(void);
/* Failures recorded so far in the running test. */
unsigned int ptk_test_failures(void);
/* The run's seed (PTK_SEED= or the default). */
uint64_t ptk_test_seed(void);
/* A generator seeded from the run's seed and the running test's name. */
void ptk_test_rand(struct ptk_rand *r);
/* Name of the running test. */
const char *ptk_test_name(void);
/* An unsigned number from the environment, or @def. */
uint64_t ptk_test_env_u64(const char *name, uint64_t def);

#define PTK_FAIL(...) ptk_test_fail(__FILE__, __LINE__, __VA_ARGS__)

#define PTK_CHECK_EQ_(a, b, fatal)                                            \
	do {                                                                  \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);              \
		if (a_ != b_) {                                               \
			PTK_FAIL("%s == %s: 0x%" PRIx64 " != 0x%" PRIx64, #a, \
				 #b, a_, b_);                                 \
			if (fatal)                                            \
				ptk_test_abort();                             \
		}                                                             \
	} while (0)

#define PTK_EXPECT_EQ(a, b) PTK_CHECK_EQ_(a, b, 0)
#define PTK_ASSERT_EQ(a, b) PTK_CHECK_EQ_(a, b, 1)

#define PTK_CHECK_(cond, fatal)                         \
	do {                                            \
		if (!(cond)) {                          \
			PTK_FAIL("expected %s", #cond); \
			if (fatal)                      \
				ptk_test_abort();       \
		}                                       \
	} while (0)

#define PTK_EXPECT(cond) PTK_CHECK_(cond, 0)
#define PTK_ASSERT(cond) PTK_CHECK_(cond, 1)

/* A return code: both sides printed by name and message. */
#define PTK_CHECK_RC_(rc, want, fatal)                                       \
	do {                                                                 \
		int r_ = (rc), w_ = (want);                                  \
		if (r_ != w_) {                                              \
			PTK_FAIL("%s: got %d %s (%s), want %d %s (%s)", #rc, \
				 r_, ptk_errname(r_), ptk_strerror(r_), w_,  \
				 ptk_errname(w_), ptk_strerror(w_));         \
			if (fatal)                                           \
				ptk_test_abort();                            \
		}                                                            \
	} while (0)

#define PTK_EXPECT_RC(rc, want) PTK_CHECK_RC_(rc, want, 0)
#define PTK_ASSERT_RC(rc, want) PTK_CHECK_RC_(rc, want, 1)
#define PTK_EXPECT_OK(rc) PTK_CHECK_RC_(rc, 0, 0)
#define PTK_ASSERT_OK(rc) PTK_CHECK_RC_(rc, 0, 1)

#define PTK_EXPECT_STREQ(a, b)                                            \
	do {                                                              \
		const char *a_ = (a), *b_ = (b);                          \
		if (!a_ || !b_ || strcmp(a_, b_))                         \
			PTK_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,    \
				 a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

#endif /* PTK_TEST_H */
