// SPDX-License-Identifier: MIT
/*
 * Benchmark rows on a real page table in a memory image: enumeration,
 * translation and the `ptkit dump --style qemu-tlb` wall time.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ptkit.h>
#include <ptkit/image.h>

#include "bench_image.h"

#define NR_VAS 4096u

extern char **environ;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct enum_ctx {
	const struct ptk_fmt *f;
	uint64_t leaves;
	uint64_t entries; /* leaves, a contiguous group counted per entry */
	uint64_t runs;
	ptk_va_t *vas; /* sample for the translate row */
	unsigned int nr_vas;
};

static int count_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct enum_ctx *c = arg;

	c->leaves += l->count;
	return 0;
}

static int sample_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct enum_ctx *c = arg;

	/* Keep an evenly spread sample: every run's first page, and its
	 * last, replacing older ones round-robin once full. */
	c->vas[c->runs++ % NR_VAS] = l->va;
	if (l->count > 1)
		c->vas[c->runs++ % NR_VAS] =
			l->va + ((l->count - 1) << l->size_lg2);
	c->leaves += l->count;
	c->entries += l->count << (l->size_lg2 - c->f->level_shift[l->level]);
	return 0;
}

static int count_slots(const struct ptk_walk_slots *s, void *arg)
{
	struct enum_ctx *c = arg;
	uint64_t bad;

	c->entries += ptk_walk_slots_count(s, &bad);
	/* As the walk without an invalid hook: stop at a malformed entry. */
	return bad ? PTK_ECORRUPT : 0;
}

/*
 * `ptkit dump` as a user runs it, with the same --root value (the child
 * decodes it as the parent did), in the style @style (NULL: the default).
 * Fails, saying why, unless the child ran and exited 0.
 */
static int run_dump(const char *ptkit, const char *path, const char *format,
		    uint64_t root, const char *style, double *ms)
{
	char rootbuf[32];
	char *argv[] = { (char *)ptkit,	 "dump",   (char *)path, "--format",
			 (char *)format, "--root", rootbuf,	 "--style",
			 (char *)style,	 NULL };
	posix_spawn_file_actions_t fa;
	uint64_t t0;
	pid_t pid;
	int st, rc;

	if (!style)
		argv[7] = NULL;
	snprintf(rootbuf, sizeof(rootbuf), "0x%" PRIx64, root);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = now_ns();
	rc = posix_spawn(&pid, ptkit, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		fprintf(stderr, "ptkit: bench: cannot run %s: %s\n", ptkit,
			strerror(rc));
		return -1;
	}
	if (waitpid(pid, &st, 0) != pid) {
		fprintf(stderr, "ptkit: bench: lost the %s dump child\n",
			ptkit);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr,
			"ptkit: bench: %s dump %s --format %s --root %s "
			"failed (%s %d): no dump row\n",
			ptkit, path, format, rootbuf,
			WIFEXITED(st) ? "exit status" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	*ms = (double)(now_ns() - t0) / 1e6;
	return 0;
}

/* An enumeration row: leaves per second, the 400 M target. */
static void enum_row(struct ptk_bench_image_row *row, const char *name,
		     double best)
{
	row->name = name;
	row->unit = "leaves/s";
	row->value = best;
	row->target = 400e6;
	row->higher_better = true;
}

int ptk_bench_image(struct ptk_bench_image_row *rows, const char *path,
		    const char *format, uint64_t root, const char *ptkit,
		    bool quick)
{
	static const struct ptk_walk_ops count_ops = { .leaf = count_leaf };
	static const struct ptk_walk_ops sample_ops = { .leaf = sample_leaf };
	const struct ptk_fmt *f = ptk_fmt_lookup(format);
	unsigned int reps = quick ? 5 : 30, r, i;
	struct ptk_image *img = NULL;
	struct ptk_fmt_diag why;
	struct ptk_table t;
	struct enum_ctx c;
	const char *style;
	char line[256];
	ptk_oa_t root_oa;
	double best;
	uint64_t sink = 0, items = 0;
	int rc;

	memset(rows, 0, PTK_BENCH_IMAGE_ROWS * sizeof(*rows));
	if (!f) {
		fprintf(stderr, "ptkit: bench: unknown format %s\n", format);
		return -1;
	}
	/* The root register as `ptkit dump --root` takes it. */
	if (ptk_fmt_root_from_reg(&root_oa, &why, f, 0, root)) {
		ptk_fmt_diag_str(line, sizeof(line), &why);
		fprintf(stderr,
			"ptkit: bench: --root 0x%" PRIx64 " does not fit "
			"format %s: %s\n",
			root, format, line);
		return -1;
	}
	rc = ptk_image_open(&img, path, NULL);
	if (!rc)
		rc = ptk_table_attach(&t, f, ptk_image_mem(img), root_oa, 0);
	if (rc) {
		fprintf(stderr, "ptkit: bench: %s: %s\n", path,
			ptk_strerror(rc));
		ptk_image_close(img);
		return -1;
	}

	memset(&c, 0, sizeof(c));
	c.f = f;
	c.vas = calloc(NR_VAS, sizeof(*c.vas));
	if (!c.vas || ptk_walk_all(&t, &sample_ops, &c) || !c.leaves) {
		fprintf(stderr, "ptkit: bench: %s: walk failed\n", path);
		free(c.vas);
		ptk_table_destroy(&t);
		ptk_image_close(img);
		return -1;
	}
	c.nr_vas = c.runs < NR_VAS ? (unsigned int)c.runs : NR_VAS;

	/* Enumeration: leaves per second. */
	best = 0;
	for (r = 0; r < reps; r++) {
		struct enum_ctx e;
		uint64_t t0;
		double v;

		memset(&e, 0, sizeof(e));
		t0 = now_ns();
		ptk_walk_all(&t, &count_ops, &e);
		v = (double)e.leaves * 1e9 / (double)(now_ns() - t0 + 1);
		if (v > best)
			best = v;
	}
	enum_row(&rows[0], "image_enum", best);
	snprintf(rows[0].desc, sizeof(rows[0].desc),
		 "ptk_walk_all over a real %s root: %" PRIu64 " leaves in "
		 "%" PRIu64 " run"
		 "s",
		 format, c.leaves, c.runs);

	/*
	 * The same enumeration through the iterator: a run of leaves of one
	 * table per step, counted without a call per run. Malformed entries
	 * are stepped over, as the walk's default would stop there.
	 */
	best = 0;
	for (r = 0; r < reps; r++) {
		struct ptk_iter it;
		uint64_t t0, n = 0;
		double v;

		t0 = now_ns();
		rc = ptk_iter_init(&it, &t, 0, ~0ull,
				   PTK_ITER_RUNS | PTK_ITER_NO_ATTRS |
					   PTK_ITER_SKIP_INVALID);
		while (!rc && ptk_iter_next(&it) > 0) {
			n += it.count;
			items++;
		}
		ptk_iter_fini(&it);
		v = (double)n * 1e9 / (double)(now_ns() - t0 + 1);
		if (n != c.entries) {
			fprintf(stderr,
				"ptkit: bench: %s: the iterator found %" PRIu64
				" leaf entries, the walk %" PRIu64 "\n",
				path, n, c.entries);
			free(c.vas);
			ptk_table_destroy(&t);
			ptk_image_close(img);
			return -1;
		}
		if (v > best)
			best = v;
	}
	enum_row(&rows[3], "image_enum_iter", best);
	snprintf(rows[3].desc, sizeof(rows[3].desc),
		 "ptk_iter (PTK_ITER_RUNS | NO_ATTRS) over the whole space of "
		 "that root: %" PRIu64 " leaf entries in %" PRIu64 " items",
		 c.entries, items / reps);

	/*
	 * The same enumeration a table at a time: the walk hands each run
	 * of raw entries over, holes included, and the format's own test
	 * counts the leaves among them, a call per table.
	 */
	best = 0;
	for (r = 0; r < reps; r++) {
		static const struct ptk_walk_ops slot_ops = {
			.slots = count_slots,
		};
		struct enum_ctx e;
		uint64_t t0;
		double v;

		memset(&e, 0, sizeof(e));
		t0 = now_ns();
		rc = ptk_walk_all(&t, &slot_ops, &e);
		v = (double)e.entries * 1e9 / (double)(now_ns() - t0 + 1);
		if (rc || e.entries != c.entries) {
			fprintf(stderr,
				"ptkit: bench: %s: the slots walk found %" PRIu64
				" leaf entries (%s), the walk %" PRIu64 "\n",
				path, e.entries, ptk_strerror(rc), c.entries);
			free(c.vas);
			ptk_table_destroy(&t);
			ptk_image_close(img);
			return -1;
		}
		if (v > best)
			best = v;
	}
	enum_row(&rows[4], "image_enum_table", best);
	snprintf(rows[4].desc, sizeof(rows[4].desc),
		 "ptk_walk_all with a slots hook (a table's raw entries at a "
		 "time) and ptk_walk_slots_count(): %" PRIu64 " leaf entries",
		 c.entries);

	/* Translation: ns per address over the sampled mapped VAs. */
	best = 1e30;
	for (r = 0; r < reps; r++) {
		unsigned int passes = 64;
		uint64_t t0 = now_ns();
		struct ptk_xlate x;
		unsigned int p;
		double v;

		for (p = 0; p < passes; p++)
			for (i = 0; i < c.nr_vas; i++) {
				if (!ptk_translate(&t, c.vas[i], &x))
					sink += x.oa;
			}
		v = (double)(now_ns() - t0) /
		    ((double)passes * (double)c.nr_vas);
		if (v < best)
			best = v;
	}
	rows[1].name = "image_translate";
	rows[1].unit = "ns/op";
	rows[1].value = best;
	rows[1].target = 35;
	snprintf(rows[1].desc, sizeof(rows[1].desc),
		 "ptk_translate of %u mapped VAs of that root, bounds-checked "
		 "image provider (sink %" PRIx64 ")",
		 c.nr_vas, sink & 0xf);

	/*
	 * The dump, as a user runs it: QEMU's `info tlb` listing where the
	 * format has one (a line per page), else the default style.
	 */
	style = (ptk_fmt_arch(f)->listings & PTK_FMT_LIST_TLB) ? "qemu-tlb"
							       : NULL;
	rows[2].name = style ? "image_dump_tlb" : "image_dump";
	rows[2].unit = "ms";
	rows[2].target = 20;
	snprintf(rows[2].desc, sizeof(rows[2].desc),
		 "wall time of ptkit dump --style %s > /dev/null "
		 "(%" PRIu64 " leaves)",
		 style ? style : "ptdump", c.leaves);
	if (ptkit) {
		best = 1e30;
		for (r = 0; r < (quick ? 3u : 10u); r++) {
			double ms;

			if (run_dump(ptkit, path, format, root, style, &ms)) {
				free(c.vas);
				ptk_table_destroy(&t);
				ptk_image_close(img);
				return -1;
			}
			if (ms < best)
				best = ms;
		}
		rows[2].value = best;
	}
	free(c.vas);
	ptk_table_destroy(&t);
	ptk_image_close(img);
	return 0;
}
