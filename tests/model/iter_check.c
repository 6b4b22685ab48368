// SPDX-License-Identifier: MIT
/*
 * Iterator checker; see iter_check.h.
 */
#include "iter_check.h"

#include <inttypes.h>
#include <stdio.h>

#include "harness/ptk_test.h"

static bool ic_attrs_eq(const struct ptk_attrs *a, const struct ptk_attrs *b)
{
	return a->prot == b->prot && a->flags == b->flags &&
	       a->memtype == b->memtype && a->sw == b->sw;
}

static void ic_fail_item(const struct ptk_iter *it, uint64_t k,
			 const struct rm_leaf *ml, const char *what)
{
	typedef unsigned long long ull;
	char a[160], b[128] = "nothing";
	int n;

	n = snprintf(a, sizeof(a), "va 0x%llx oa 0x%llx count %llu",
		     (ull)it->va, (ull)it->oa, (ull)it->count);
	snprintf(a + n, sizeof(a) - (size_t)n,
		 " level %u size_lg2 %u pte 0x%llx", it->level, it->size_lg2,
		 (ull)it->pte);
	if (ml)
		snprintf(b, sizeof(b),
			 "va 0x%llx oa 0x%llx level %u size_lg2 %u",
			 (ull)ml->va, (ull)ml->oa, ml->level, ml->size_lg2);
	PTK_FAIL("iter: %s: item %s, leaf %llu; model: %s", what, a, (ull)k, b);
}

/*
 * ptk_iter_ptes64(): the run's entries, as ptk_iter_pte() reads them,
 * where entries are 64-bit and the table is not shared; else NULL.
 */
static bool ic_ptes64_ok(const struct ptk_iter *it, const struct ptk_table *t)
{
	const uint64_t *e = ptk_iter_ptes64(it);
	bool want = ptk_table_fmt(t)->entry_lg2 == 3 &&
		    !(t->flags & PTK_TABLE_SHARED);
	uint64_t k;

	if (!e != !want) {
		ic_fail_item(it, 0, NULL,
			     want ? "ptk_iter_ptes64() is NULL"
				  : "ptk_iter_ptes64() is not NULL (shared "
				    "table or 32-bit entries)");
		return false;
	}
	for (k = 0; e && k < it->count; k++) {
		if (e[k] != ptk_iter_pte(it, k)) {
			ic_fail_item(it, k, NULL,
				     "ptk_iter_ptes64() differs from "
				     "ptk_iter_pte()");
			return false;
		}
	}
	return true;
}

bool ic_compare_item(const struct ptk_iter *it, const struct ptk_table *t,
		     unsigned int flags, const struct ref_model *m, size_t *mi,
		     uint64_t last)
{
	const struct ptk_fmt *f = ptk_table_fmt(t);
	const struct rm_leaf *ml;
	unsigned int l = it->level, s;
	uint64_t k, span;

	if (l >= f->levels || !(f->leaf_levels & (1u << l))) {
		ic_fail_item(it, 0, NULL, "not a leaf level");
		return false;
	}
	s = f->level_shift[l];
	if (it->size_lg2 != s) {
		ic_fail_item(it, 0, NULL, "size_lg2 is not the level's");
		return false;
	}
	if (!it->count ||
	    (!(flags & (PTK_ITER_RUNS | IC_TAKE_RUN)) && it->count != 1) ||
	    it->count > (UINT64_C(1) << f->level_bits[l])) {
		ic_fail_item(it, 0, NULL, "bad count");
		return false;
	}
	if (!it->entries || it->entry_lg2 != f->entry_lg2 ||
	    ptk_iter_pte(it, 0) != it->pte || ptk_iter_oa(it, 0) != it->oa) {
		ic_fail_item(it, 0, NULL,
			     "entries/entry_lg2/pte/oa disagree with "
			     "ptk_iter_pte()/ptk_iter_oa()");
		return false;
	}
	if (!ic_ptes64_ok(it, t))
		return false;
	span = (it->count << s) - 1;
	if (it->va + span < it->va ||
	    (l + 1 < f->levels &&
	     ((it->va ^ (it->va + span)) >> f->level_shift[l + 1]))) {
		ic_fail_item(it, 0, NULL, "run crosses a table");
		return false;
	}
	for (k = 0; k < it->count; k++) {
		uint64_t va = it->va + (k << s);
		struct ptk_attrs a;

		if (va > last) {
			ic_fail_item(it, k, NULL,
				     "leaf starts after the range");
			return false;
		}
		ml = *mi < m->n ? &m->v[*mi] : NULL;
		if (!ml || ml->va != va || ml->level != l ||
		    ml->size_lg2 != s || ptk_iter_oa(it, k) != ml->oa) {
			ic_fail_item(it, k, ml, "leaf differs");
			return false;
		}
		if (k == 0 && !(flags & PTK_ITER_NO_ATTRS)) {
			a = it->attrs;
		} else if (ptk_leaf_attrs(&a, t, l, ptk_iter_pte(it, k))) {
			ic_fail_item(it, k, ml, "ptk_leaf_attrs failed");
			return false;
		}
		if ((flags & IC_TAKE_RUN) &&
		    (ptk_iter_oa(it, k) != it->oa + (k << s) ||
		     !ic_attrs_eq(&a, &it->attrs))) {
			ic_fail_item(it, k, ml,
				     "a taken run's leaf does not continue "
				     "the first (output address or "
				     "attributes)");
			return false;
		}
		if (!ic_attrs_eq(&a, &ml->attrs)) {
			PTK_FAIL("iter: leaf va 0x%" PRIx64 ": attrs prot=%#x "
				 "flags=%#x memtype=%u sw=%#x, model prot=%#x "
				 "flags=%#x memtype=%u sw=%#x",
				 va, a.prot, a.flags, a.memtype, a.sw,
				 ml->attrs.prot, ml->attrs.flags,
				 ml->attrs.memtype, ml->attrs.sw);
			return false;
		}
		(*mi)++;
	}
	if (flags & PTK_ITER_RUNS) {
		/* maximal: no leaf of the run's level right after it, in its
		 * table (a hashed table: its record) and starting inside the
		 * range */
		uint64_t end = it->va + span + 1;
		struct ptk_hash_stats hs;
		unsigned int bound = l + 1 < f->levels ? f->level_shift[l + 1]
						       : 64;

		if (!ptk_hash_stats(&hs, t))
			bound = s + hs.cluster_lg2[l];
		ml = *mi < m->n ? &m->v[*mi] : NULL;
		if (end && end <= last &&
		    (bound >= 64 || (end & ((UINT64_C(1) << bound) - 1))) &&
		    ml && ml->va == end && ml->level == l) {
			ic_fail_item(it, it->count, ml, "run not maximal");
			return false;
		}
	}
	return true;
}

bool ic_compare_rest(struct ptk_iter *it, struct ptk_table *t,
		     unsigned int flags, const struct ref_model *m,
		     uint64_t from, uint64_t last, uint64_t *nr_items)
{
	size_t mi = rm_lower(m, from);
	uint64_t n = 0;
	int rc;

	if (nr_items)
		*nr_items = 0;
	if (flags & IC_FOR_EACH) {
		/* The macro's loop; a failed item breaks out of it. */
		bool ok = true;

		ptk_iter_for_each(it, rc) {
			if (flags & IC_TAKE_RUN)
				(void)ptk_iter_take_run(it);
			ok = ic_compare_item(it, t, flags, m, &mi, last);
			if (!ok)
				break;
			n++;
		}
		if (!ok || rc != 0) {
			if (ok)
				PTK_FAIL("iter [0x%" PRIx64 ", 0x%" PRIx64
					 "] flags %#x: ptk_iter_for_each "
					 "ended with %s after %" PRIu64
					 " items",
					 from, last, flags, ptk_errname(rc), n);
			else if (rc != 1)
				PTK_FAIL("ptk_iter_for_each: rc %d after a "
					 "break, want 1",
					 rc);
			PTK_FAIL("... iterating [0x%" PRIx64 ", 0x%" PRIx64
				 "] flags %#x, item %" PRIu64,
				 from, last, flags, n);
			return false;
		}
	}
	while (!(flags & IC_FOR_EACH)) {
		rc = ptk_iter_next(it);
		if (!rc)
			break;
		if (rc != 1) {
			PTK_FAIL("iter [0x%" PRIx64 ", 0x%" PRIx64 "] flags "
				 "%#x: "
				 "ptk_iter_next: %s after %" PRIu64 " items",
				 from, last, flags, ptk_errname(rc), n);
			return false;
		}
		if (flags & IC_TAKE_RUN)
			(void)ptk_iter_take_run(it);
		if (!ic_compare_item(it, t, flags, m, &mi, last)) {
			PTK_FAIL("... iterating [0x%" PRIx64 ", 0x%" PRIx64
				 "] flags %#x, item %" PRIu64,
				 from, last, flags, n);
			return false;
		}
		n++;
	}
	if (nr_items)
		*nr_items = n;
	if (mi < m->n && m->v[mi].va <= last) {
		PTK_FAIL("iter [0x%" PRIx64 ", 0x%" PRIx64 "] flags %#x: "
			 "model leaf va 0x%" PRIx64 " level %u not reported "
			 "(%" PRIu64 " items)",
			 from, last, flags, m->v[mi].va, m->v[mi].level, n);
		return false;
	}
	rc = ptk_iter_next(it);
	if (rc) {
		PTK_FAIL("iter: ptk_iter_next after the end: %d", rc);
		return false;
	}
	return true;
}

bool ic_check(struct ptk_table *t, const struct ref_model *m, uint64_t va,
	      uint64_t len, unsigned int flags)
{
	struct ptk_iter it;
	bool ok;
	int rc;

	rc = ptk_iter_init(&it, t, va, len, flags & ~IC_OWN_FLAGS);
	if (rc) {
		PTK_FAIL("ptk_iter_init(0x%" PRIx64 ", 0x%" PRIx64 ", %#x): %s",
			 va, len, flags, ptk_errname(rc));
		ptk_iter_fini(&it);
		return false;
	}
	ok = ic_compare_rest(&it, t, flags, m, va, va + (len - 1), NULL);
	ptk_iter_fini(&it);
	return ok;
}
