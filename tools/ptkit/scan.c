// SPDX-License-Identifier: MIT
/*
 * The guarded walk of `dump`, `map` and `translate` (see scan.h).
 *
 * The walk is the library's ptk_walk() with leaf runs. The pre_table hook
 * does not carry the table entry, so the entry is read here from the
 * parent table (whose address the path keeps) to apply the limits it puts
 * on the levels below (the format's: ptk_fmt_table_limit(), applied by
 * ptk_fmt_limit_prot(), as ptk_translate_effective() applies them).
 */
#include <inttypes.h>
#include <string.h>

#include "cmd.h"
#include "scan.h"

#define STOP_COUNT (SCAN_STOP_USER - 1) /* the counting pass hit the budget */

void scan_init(struct scan *s, const struct img_target *tg,
	       const struct scan_ops *ops, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->tg = tg;
	s->f = tg->fmt;
	s->ops = ops;
	s->arg = arg;
	s->budget = img_default_budget(tg);
}

static void progress_step(struct scan *s)
{
	unsigned int pct;

	if (!s->progress || s->counting || !s->total)
		return;
	pct = (unsigned int)(s->work >= s->total ? 100
						 : s->work * 100 / s->total);
	if (pct != s->pct) {
		s->pct = pct;
		tool_progress(s->progress, pct);
	}
}

static bool report(struct scan *s)
{
	s->bad++;
	if (s->counting)
		return false;
	if (s->report_limit && s->bad > s->report_limit) {
		if (s->bad == s->report_limit + 1)
			ptk_tool_err(
				"more malformed entries follow; they are counted, not shown (--all-errors shows each)");
		return false;
	}
	return true;
}

static int hook_pre(const struct ptk_walk_table *tb, void *arg)
{
	struct scan *s = arg;
	const struct ptk_fmt *f = s->f;
	unsigned int k = tb->level, p = k + 1, j;
	uint64_t esz = (uint64_t)1 << f->entry_lg2;
	uint64_t idx = (tb->va >> f->level_shift[p]) &
		       (((uint64_t)1 << f->level_bits[p]) - 1);
	const unsigned char *e;
	ptk_pte_t pte = 0;

	for (j = p; j < f->levels; j++) {
		if (s->path[j] != tb->oa)
			continue;
		if (report(s))
			ptk_tool_err(
				"bad entry: %s entry for VA 0x%" PRIx64
				"-0x%" PRIx64 " points to table 0x%" PRIx64
				", its own ancestor at level %s (cycle or self-map); not followed",
				ptk_fmt_level_name(f, p), tb->va | s->va_or,
				tb->last | s->va_or, tb->oa,
				ptk_fmt_level_name(f, j));
		return s->strict && !s->counting ? SCAN_STRICT : PTK_WALK_SKIP;
	}
	s->work += (uint64_t)1 << f->level_bits[k];
	if (s->work > s->budget) {
		if (s->counting)
			return STOP_COUNT;
		ptk_tool_err("walk budget of %" PRIu64
			     " table entries exhausted at VA 0x%" PRIx64
			     "; the listing is incomplete (raise --budget)",
			     s->budget, tb->va | s->va_or);
		return SCAN_BUDGET;
	}
	s->tables++;
	if (s->counting)
		return k == 0 ? PTK_WALK_SKIP
			      : 0; /* count it, do not read it */
	progress_step(s);
	e = ptk_image_ptr(s->tg->img, s->path[p] + idx * esz, esz);
	if (e) {
		unsigned int b;

		for (b = 0; b < esz; b++)
			pte |= (ptk_pte_t)e[b] << (8 * b);
	}
	s->deny[k] = s->deny[p] | ptk_fmt_table_limit(f, p, pte);
	s->path[k] = tb->oa;
	if (s->ops->table) {
		struct scan_table st = {
			.va = tb->va | s->va_or,
			.last = tb->last | s->va_or,
			.oa = tb->oa,
			.level = k,
			.ti = s->ti,
		};

		return s->ops->table(&st, s->arg);
	}
	return 0;
}

static int hook_invalid(ptk_va_t va, ptk_va_t last, unsigned int level,
			ptk_pte_t pte, void *arg)
{
	struct scan *s = arg;
	const struct ptk_fmt *f = s->f;

	if (!report(s))
		return s->strict && !s->counting ? SCAN_STRICT : 0;
	if (f->hooks->classify(f, level, pte) == PTK_ENTRY_TABLE)
		ptk_tool_err("bad entry: %s entry 0x%0*" PRIx64
			     " for VA 0x%" PRIx64 "-0x%" PRIx64
			     ": its table at 0x%" PRIx64
			     " is outside the image; skipped",
			     ptk_fmt_level_name(f, level), 2 << f->entry_lg2,
			     pte, va | s->va_or, last | s->va_or,
			     f->hooks->table_oa(f, level, pte));
	else
		ptk_tool_err(
			"bad entry: %s entry 0x%0*" PRIx64 " for VA 0x%" PRIx64
			"-0x%" PRIx64
			": malformed entry (reserved bits, misaligned frame or a leaf the level does not allow); skipped",
			ptk_fmt_level_name(f, level), 2 << f->entry_lg2, pte,
			va | s->va_or, last | s->va_or);
	return s->strict ? SCAN_STRICT : 0;
}

static int hook_leaf(const struct ptk_walk_leaf *l, void *arg)
{
	struct scan *s = arg;
	struct scan_leaf sl;

	s->leaves += l->count;
	if (!s->ops->leaf)
		return 0;
	sl.va = l->va | s->va_or;
	sl.oa = l->oa;
	sl.count = l->count;
	sl.size_lg2 = l->size_lg2;
	sl.level = l->level;
	sl.pte = l->pte;
	sl.attrs = l->attrs;
	sl.prot = ptk_fmt_limit_prot(l->attrs.prot, s->deny[l->level]);
	sl.ti = s->ti;
	return s->ops->leaf(&sl, s->arg);
}

static int hook_leaves(const struct ptk_walk_batch *b, void *arg)
{
	struct scan *s = arg;

	s->leaves += b->count;
	return s->ops->leaves(s, b, s->arg);
}

uint32_t scan_leaf_prot(const struct scan *s, unsigned int level, ptk_pte_t pte)
{
	struct ptk_attrs a;

	if (ptk_leaf_attrs(&a, &s->tg->t[s->ti], level, pte))
		return 0;
	return ptk_fmt_limit_prot(a.prot, s->deny[level]);
}

ptk_va_t scan_va_or(const struct scan *s)
{
	return s->va_or;
}

int scan_root(const struct scan *s)
{
	return s->ti;
}

static int walk_root(struct scan *s, int ti, ptk_va_t vs, ptk_va_t ve)
{
	static const struct ptk_walk_ops walk_ops = {
		.leaf = hook_leaf,
		.pre_table = hook_pre,
		.invalid = hook_invalid,
	};
	static const struct ptk_walk_ops batch_ops = {
		.leaves = hook_leaves,
		.pre_table = hook_pre,
		.invalid = hook_invalid,
	};
	static const struct ptk_walk_ops count_ops = {
		.pre_table = hook_pre,
		.invalid = hook_invalid,
	};
	const struct ptk_fmt *f = s->f;
	const struct ptk_table *t = &s->tg->t[ti];
	const struct ptk_walk_ops *ops = s->counting	  ? &count_ops
					 : s->ops->leaves ? &batch_ops
							  : &walk_ops;
	unsigned int vb = f->va_bits, top = f->levels - 1;
	ptk_va_t lo = 0, hi = vb >= 64 ? ~(ptk_va_t)0 : ((ptk_va_t)1 << vb) - 1;
	int rc;

	if (f->features & PTK_FMT_SIGN_EXTEND)
		hi = ~(ptk_va_t)0;
	s->ti = ti;
	s->va_or = ti ? s->tg->hi_base : 0;
	if (ti) {
		if (ve < s->va_or)
			return 0;
		vs = vs < s->va_or ? 0 : vs - s->va_or;
		ve -= s->va_or;
	}
	if (vs > lo)
		lo = vs;
	if (ve < hi)
		hi = ve;
	if (lo > hi)
		return 0;
	memset(s->path, 0, sizeof(s->path));
	s->path[top] = s->tg->root[ti];
	s->deny[top] = 0;
	s->work += (uint64_t)1 << f->level_bits[top];
	s->tables++;
	if (!s->counting && s->ops->table) {
		struct scan_table st = {
			.va = s->va_or | lo,
			.last = s->va_or | hi,
			.oa = s->tg->root[ti],
			.level = top,
			.ti = ti,
		};

		rc = s->ops->table(&st, s->arg);
		if (rc)
			return rc;
	}
	if (!lo && hi == ~(ptk_va_t)0)
		return ptk_walk_all(t, ops, s);
	return ptk_walk(t, lo, hi - lo + 1, ops, s);
}

static int walk_all_roots(struct scan *s, ptk_va_t vs, ptk_va_t ve)
{
	int rc = walk_root(s, 0, vs, ve);

	if (!rc && s->tg->have[1])
		rc = walk_root(s, 1, vs, ve);
	return rc;
}

int scan_run(struct scan *s, ptk_va_t vs, ptk_va_t ve)
{
	int rc;

	if (s->progress) {
		/* The work to come: every table of the upper levels is read,
		 * the level-0 tables are only counted. */
		s->counting = true;
		rc = walk_all_roots(s, vs, ve);
		s->total = rc == STOP_COUNT ? s->budget : s->work;
		s->counting = false;
		s->work = s->tables = s->leaves = s->bad = 0;
		s->pct = 101;
		progress_step(s);
	}
	rc = walk_all_roots(s, vs, ve);
	if (s->progress)
		tool_progress(NULL, 0);
	return rc;
}

void scan_summary(const struct scan *s, const char *what)
{
	/* With --strict the walk stopped at the one it reported. */
	if (!s->bad || s->strict)
		return;
	if (s->bad == 1)
		ptk_tool_err("%s: 1 malformed entry found and skipped", what);
	else if (s->report_limit && s->bad > s->report_limit)
		ptk_tool_err(
			"%s: %" PRIu64
			" malformed entries found and skipped (the first %" PRIu64
			" shown)",
			what, s->bad, s->report_limit);
	else
		ptk_tool_err("%s: %" PRIu64
			     " malformed entries found and skipped",
			     what, s->bad);
}

void scan_why_empty(const struct scan *s, const char *what, bool ranged)
{
	const struct img_target *tg = s->tg;
	uint64_t valid = 0, bad = 0, total = 0, v, b, t;
	int i;

	for (i = 0; i < 2; i++) {
		if (!tg->have[i])
			continue;
		img_root_summary(tg, i, &v, &b, &t);
		valid += v;
		bad += b;
		total += t;
	}
	if (ranged)
		ptk_tool_err(
			"%s: nothing is mapped between --va-start and --va-end (%" PRIu64
			" malformed entries met)",
			what, s->bad);
	else if (!valid && !bad)
		ptk_tool_err("%s: no mappings: the root table at 0x%" PRIx64
			     " holds no entry at all (%" PRIu64
			     " empty); for a raw image, is --base right?",
			     what, tg->root[0], total);
	else if (s->bad)
		ptk_tool_err(
			"%s: no mappings: %" PRIu64
			" malformed entries and not one valid leaf under root 0x%" PRIx64
			"; is --format %s right for this image?",
			what, s->bad, tg->root[0], tg->fmt->name);
	else
		ptk_tool_err("%s: no mappings: the tables under root 0x%" PRIx64
			     " hold no leaf",
			     what, tg->root[0]);
}

int scan_parse_opt(struct scan_opts *so, const char *cmd, int argc, char **argv,
		   int *i)
{
	const char *v = NULL;
	int rc;

	if ((rc = tool_opt(argc, argv, i, "--va-start", &v)) > 0) {
		if (tool_parse_addr(v, &so->vs)) {
			ptk_tool_err(
				"%s: bad --va-start '%s': an address is hexadecimal (0x optional), at most 16 digits",
				cmd, v);
			return -1;
		}
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--va-end", &v)) > 0) {
		if (tool_parse_addr(v, &so->ve)) {
			ptk_tool_err(
				"%s: bad --va-end '%s': an address is hexadecimal (0x optional), at most 16 digits",
				cmd, v);
			return -1;
		}
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--budget", &v)) > 0) {
		if (tool_parse_count(v, &so->budget) || !so->budget) {
			ptk_tool_err(
				"%s: bad --budget '%s': a count of table entries, decimal (or 0x hexadecimal), above 0",
				cmd, v);
			return -1;
		}
		so->have_budget = true;
	}
	return rc;
}

int scan_opts_range(const struct scan_opts *so, const char *cmd, ptk_va_t *vs,
		    ptk_va_t *ve)
{
	if (so->ve && so->ve <= so->vs) {
		ptk_tool_err("%s: --va-end must be above --va-start", cmd);
		return -1;
	}
	*vs = so->vs;
	*ve = so->ve ? so->ve - 1 : ~(ptk_va_t)0;
	return 0;
}
