// SPDX-License-Identifier: MIT
/*
 * An outside program using an installed ptkit: built by .ci/run through
 * pkg-config and through find_package(ptkit), against the static and the
 * shared library (tests/consumer/check.sh). It maps, translates (the
 * inline ptk_translate() of the installed header), walks and unmaps, and
 * checks each answer.
 */
#include <stdio.h>
#include <string.h>

#include <ptkit.h>

static int leaves;

static int count_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	(void)arg;
	leaves += (int)l->count;
	return 0;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "consumer: %s: %s\n", what, ptk_strerror(rc));
	return 1;
}

int main(void)
{
	static const struct ptk_walk_ops ops = { .leaf = count_leaf };
	struct ptk_attrs rw = { .prot = PTK_PROT_READ | PTK_PROT_WRITE };
	struct ptk_mem_heap heap;
	struct ptk_table t;
	struct ptk_xlate x;
	int rc;

	/* One descriptor, whether named by the program or by the library. */
	if (ptk_fmt_lookup("x86_64") != &ptk_fmt_x86_64)
		return fail("ptk_fmt_lookup gives another copy of the format",
			    PTK_EINVAL);
	if (ptk_mem_heap_init(&heap))
		return fail("heap", PTK_ENOMEM);
	rc = ptk_table_create(&t, ptk_fmt_lookup("x86_64"), &heap.mem, 0);
	if (rc)
		return fail("create", rc);
	/* 4 KiB pages up to 2 MiB, then 2 MiB leaves */
	rc = ptk_map(&t, 0x1ff000, (2u << 20) + 0x1000, 0x801ff000, &rw, 0,
		     NULL);
	if (rc)
		return fail("map", rc);
	rc = ptk_translate(&t, 0x200000 + 0x1234, &x);
	if (rc)
		return fail("translate", rc);
	if (x.oa != 0x80201234 || x.size_lg2 != 21) {
		fprintf(stderr, "consumer: translate gave 0x%llx (2^%u page)\n",
			(unsigned long long)x.oa, x.size_lg2);
		return 1;
	}
	rc = ptk_walk_all(&t, &ops, NULL);
	if (rc)
		return fail("walk", rc);
	if (leaves != 2) {
		fprintf(stderr, "consumer: walk found %d leaves, not 2\n",
			leaves);
		return 1;
	}
	rc = ptk_unmap(&t, 0x1ff000, (2u << 20) + 0x1000, 0, NULL);
	if (rc)
		return fail("unmap", rc);
	if (ptk_translate(&t, 0x200000, &x) != PTK_ENOENT)
		return fail("translate after unmap", PTK_EINVAL);
	ptk_table_destroy(&t);
	ptk_mem_heap_fini(&heap);
	if (strcmp(ptk_strerror(PTK_ENOENT), "no translation"))
		return fail("strerror", PTK_EINVAL);
	printf("consumer: ptkit %s ok\n", PTK_VERSION_STRING);
	return 0;
}
