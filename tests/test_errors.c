// SPDX-License-Identifier: MIT
/*
 * Error codes: pinned values, names and messages for every entry of
 * PTK_ERROR_MAP, and the answers for 0 and unknown codes.
 */
#include <limits.h>
#include <string.h>

#include "ptkit.h"
#include "harness/ptk_test.h"

/*
 * The values are pinned: written out here by hand, so renumbering the
 * list (or reordering it) fails to compile.
 */
_Static_assert(PTK_EINVAL == -1, "pinned");
_Static_assert(PTK_ENOMEM == -2, "pinned");
_Static_assert(PTK_ERANGE == -3, "pinned");
_Static_assert(PTK_EOVERFLOW == -4, "pinned");
_Static_assert(PTK_EALIGN == -5, "pinned");
_Static_assert(PTK_EEXIST == -6, "pinned");
_Static_assert(PTK_ENOENT == -7, "pinned");
_Static_assert(PTK_EBBM == -8, "pinned");
_Static_assert(PTK_ENOTSUP == -9, "pinned");
_Static_assert(PTK_ECORRUPT == -10, "pinned");
_Static_assert(PTK_EAGAIN == -11, "pinned");
_Static_assert(PTK_EPROT == -12, "pinned");
_Static_assert(PTK_ESPLIT == -13, "pinned");
_Static_assert(PTK_EVERSION == -14, "pinned");
_Static_assert(PTK_EUSER == -15, "pinned");
_Static_assert(PTK_EROFS == -17, "pinned");
_Static_assert(PTK_EPROVIDER == -26, "pinned");
_Static_assert(PTK_ETABLEOA == -27, "pinned");
_Static_assert(PTK_EFILE == -28, "pinned");
_Static_assert(PTK_EBADIMAGE == -29, "pinned");
_Static_assert(PTK_ETRUNC == -30, "pinned");
_Static_assert(PTK_ECOMPRESSED == -31, "pinned");
_Static_assert(PTK_EDECOMPRESS == -34, "pinned");

struct err_entry {
	int code;
	int value;
	const char *name;
	const char *msg;
};

static const struct err_entry entries[] = {
#define E(name, val, msg) { PTK_##name, val, "PTK_" #name, msg },
	PTK_ERROR_MAP(E)
#undef E
};

#define NR_ENTRIES (sizeof(entries) / sizeof(entries[0]))

PTK_TEST(map_values_pinned_and_dense)
{
	size_t i;

	/* 15 codes today; new ones are appended, never renumbered. Codes
	 * are handed out in blocks to work that lands separately, so a
	 * branch may hold a gap until the others land: values increase,
	 * and the first 16 are dense. */
	PTK_EXPECT(NR_ENTRIES >= 15);
	for (i = 0; i < NR_ENTRIES; i++) {
		PTK_EXPECT_EQ(entries[i].code, -entries[i].value);
		if (i < 16)
			PTK_EXPECT_EQ(entries[i].value, i + 1);
		else
			PTK_EXPECT(entries[i].value > entries[i - 1].value);
	}
}

PTK_TEST(strerror_every_code)
{
	size_t i, j;

	for (i = 0; i < NR_ENTRIES; i++) {
		const char *s = ptk_strerror(entries[i].code);

		PTK_EXPECT_STREQ(s, entries[i].msg);
		/* messages are distinct */
		for (j = 0; j < i; j++)
			PTK_EXPECT(strcmp(entries[i].msg, entries[j].msg));
	}
}

PTK_TEST(errname_every_code)
{
	size_t i;

	for (i = 0; i < NR_ENTRIES; i++)
		PTK_EXPECT_STREQ(ptk_errname(entries[i].code), entries[i].name);
	/* a few spelled out, independent of the X-macro */
	PTK_EXPECT_STREQ(ptk_errname(-1), "PTK_EINVAL");
	PTK_EXPECT_STREQ(ptk_errname(-6), "PTK_EEXIST");
	PTK_EXPECT_STREQ(ptk_errname(-13), "PTK_ESPLIT");
	PTK_EXPECT_STREQ(ptk_errname(-15), "PTK_EUSER");
	PTK_EXPECT_STREQ(ptk_strerror(-2), "table allocation failed");
}

PTK_TEST(success)
{
	PTK_EXPECT_STREQ(ptk_strerror(0), "success");
	PTK_EXPECT_STREQ(ptk_errname(0), "0");
}

PTK_TEST(unknown_codes)
{
	/* codes past the end of the list (it may grow), and far out */
	int top = entries[NR_ENTRIES - 1].value;
	const int bad[] = { -top - 1, -top - 2, -1000, INT_MIN, INT_MIN + 1 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PTK_EXPECT_STREQ(ptk_strerror(bad[i]), "unknown error");
		PTK_EXPECT_STREQ(ptk_errname(bad[i]), "PTK_E?");
	}
}

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(map_values_pinned_and_dense),
	PTK_TEST_ENTRY(strerror_every_code),
	PTK_TEST_ENTRY(errname_every_code),
	PTK_TEST_ENTRY(success),
	PTK_TEST_ENTRY(unknown_codes),
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
