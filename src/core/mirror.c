// SPDX-License-Identifier: MIT
/*
 * Mirrors: faults through the primary's iterator and the sequence
 * protocol of interval subscriptions; invalidations unmap the secondary.
 */
#include "internal/ptk_internal.h"
#include <ptkit/interval.h>
#include <ptkit/mirror.h>

static void m_lock(struct ptk_mirror *m)
{
	while (__atomic_exchange_n(&m->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&m->lock, __ATOMIC_RELAXED))
			PTK_CPU_RELAX();
}

static void m_unlock(struct ptk_mirror *m)
{
	__atomic_store_n(&m->lock, 0, __ATOMIC_RELEASE);
}

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* Remove [va, last] from the secondary. Called with the lock held. */
static void m_unmap(struct ptk_mirror *m, ptk_va_t va, ptk_va_t last)
{
	struct ptk_table *s = m->secondary;
	struct ptk_gather g;
	int rc;

	ptk_gather_init(&g);
	g.owner = m;
	rc = ptk_unmap(s, va, last - va + 1, PTK_UNMAP_SPLIT, &g);
	if (rc) {
		/*
		 * Splitting a huge leaf failed (no memory): drop every leaf
		 * the range touches whole instead. Aligned to the largest
		 * page, the range cuts none.
		 */
		ptk_va_t mask = ptk_lg2_mask(m->max_lg2);
		ptk_va_t wva = va & ~mask, wlast = last | mask;

		if (!ptk_fmt_va_valid(s->fmt, wva))
			wva = va;
		if (!ptk_fmt_va_valid(s->fmt, wlast))
			wlast = last;
		rc = ptk_unmap(s, wva, wlast - wva + 1, 0, &g);
		PTK_ASSERT(!rc);
	}
	ptk_table_flush(s, &g);
}

static void m_invalidate(struct ptk_interval *iv,
			 const struct ptk_interval_event *ev, uint64_t cur_seq)
{
	struct ptk_mirror *m = (struct ptk_mirror *)iv;
	unsigned int i;

	m_lock(m);
	ptk_interval_set_seq(iv, cur_seq);
	if (ev->owner == m) {
		count(&m->st.own);
		m_unlock(m);
		return;
	}
	for (i = 0; i < ev->nr; i++) {
		ptk_va_t va = ev->ranges[i].va, last = ev->ranges[i].last;

		if (va > iv->last || last < iv->va)
			continue;
		if (va < iv->va)
			va = iv->va;
		if (last > iv->last)
			last = iv->last;
		m_unmap(m, va, last);
	}
	count(&m->st.invalidations);
	m_unlock(m);
}

static const struct ptk_interval_ops mirror_ops = {
	PTK_INTERVAL_OPS_VERSION,
	m_invalidate,
	NULL,
};

static unsigned int top_bit(uint64_t x)
{
	return 63u - (unsigned int)__builtin_clzll(x);
}

/* Whether [va, last] is one stretch of @f's VA space. */
static bool fits(const struct ptk_fmt *f, ptk_va_t va, ptk_va_t last)
{
	if (!ptk_fmt_va_valid(f, va) || !ptk_fmt_va_valid(f, last))
		return false;
	if (f->features & PTK_FMT_SIGN_EXTEND)
		return (va >> 63) == (last >> 63);
	return true;
}

int ptk_mirror_init(struct ptk_mirror *m, struct ptk_table *primary,
		    struct ptk_table *secondary, ptk_va_t va, uint64_t len,
		    const struct ptk_mirror_opts *opts)
{
	ptk_va_t last;
	uint64_t ps, ss;
	int rc;

	if (!m || !primary || !secondary || primary == secondary ||
	    !primary->fmt || !secondary->fmt || !len ||
	    (opts && (opts->flags & ~PTK_MIRROR_SUPERSET)))
		return PTK_EINVAL;
	if (__builtin_add_overflow(va, len - 1, &last))
		return PTK_EOVERFLOW;
	if (!fits(primary->fmt, va, last) || !fits(secondary->fmt, va, last))
		return PTK_EMISFIT;
	ps = ptk_fmt_page_sizes(primary->fmt);
	ss = ptk_fmt_page_sizes(secondary->fmt);
	if (!ps || !ss || __builtin_ctzll(ss) > __builtin_ctzll(ps))
		return PTK_EMISFIT;
	PTK_MEMSET(m, 0, sizeof(*m));
	m->iv.ops = &mirror_ops;
	m->iv.arg = m;
	m->primary = primary;
	m->secondary = secondary;
	if (opts)
		m->opts = *opts;
	m->max_lg2 = top_bit(ss);
	rc = ptk_interval_subscribe(primary, &m->iv, va, len);
	if (rc)
		PTK_MEMSET(m, 0, sizeof(*m));
	return rc;
}

/* A run of primary leaves waiting to be installed. */
struct run {
	ptk_va_t va;
	ptk_oa_t oa;
	uint64_t len;
	unsigned int lg2;
	struct ptk_attrs attrs;
};

static void convert(const struct ptk_mirror *m, const struct ptk_attrs *in,
		    struct ptk_attrs *out)
{
	if (m->primary->fmt == m->secondary->fmt) {
		*out = *in;
	} else {
		out->prot = in->prot;
		out->flags = 0;
		out->memtype = m->opts.memtype;
		out->sw = 0;
	}
	out->prot = (out->prot & ~m->opts.prot_drop) | m->opts.prot_add;
	out->flags |= m->opts.attr_add;
}

static int install(struct ptk_mirror *m, struct run *r)
{
	unsigned int flags = PTK_MAP_REPLACE | PTK_MAP_MAX_PAGE(r->lg2);
	struct ptk_gather g;
	int rc;

	if (m->opts.flags & PTK_MIRROR_SUPERSET)
		flags |= PTK_MAP_SUPERSET;
	ptk_gather_init(&g);
	g.owner = m;
	rc = ptk_map(m->secondary, r->va, r->len, r->oa, &r->attrs, flags, &g);
	ptk_table_flush(m->secondary, &g);
	if (!rc)
		count(&m->st.installs);
	return rc;
}

/* The most bytes one install covers: bounds the work a retry repeats. */
#define RUN_MAX (64ull << 20)

int ptk_mirror_fault(struct ptk_mirror *m, ptk_va_t va, uint64_t len)
{
	ptk_va_t last, pos;
	int rc;

	if (!m || !m->primary || !len)
		return PTK_EINVAL;
	if (__builtin_add_overflow(va, len - 1, &last))
		return PTK_EOVERFLOW;
	if (va < m->iv.va || last > m->iv.last)
		return PTK_EOUTSIDE;
	count(&m->st.faults);
	pos = va;
	for (;;) {
		uint64_t seq = ptk_interval_read_begin(&m->iv);
		struct run r = { 0, 0, 0, 0, { 0, 0, 0, 0 } };
		struct ptk_iter it;
		bool retry = false;

		rc = ptk_iter_init(&it, m->primary, pos, last - pos + 1, 0);
		if (rc)
			return rc;
		for (;;) {
			struct ptk_attrs a = { 0, 0, 0, 0 };
			ptk_va_t iva = 0, ilast = 0;
			ptk_oa_t ioa = 0;
			int n = ptk_iter_next(&it);

			if (n < 0) {
				ptk_iter_fini(&it);
				return n;
			}
			if (n > 0) {
				/* The leaves that continue it, at once; then
				 * clip them to the subscription. */
				(void)ptk_iter_take_run(&it);
				iva = it.va;
				ilast = it.va + ((it.count << it.size_lg2) - 1);
				ioa = it.oa;
				if (iva < m->iv.va) {
					ioa += m->iv.va - iva;
					iva = m->iv.va;
				}
				if (ilast > m->iv.last)
					ilast = m->iv.last;
				convert(m, &it.attrs, &a);
				if (r.len && iva == r.va + r.len &&
				    ioa == r.oa + r.len &&
				    it.size_lg2 == r.lg2 && r.len < RUN_MAX &&
				    a.prot == r.attrs.prot &&
				    a.flags == r.attrs.flags &&
				    a.memtype == r.attrs.memtype &&
				    a.sw == r.attrs.sw) {
					r.len += ilast - iva + 1;
					continue;
				}
			}
			if (r.len) {
				m_lock(m);
				if (ptk_interval_read_retry(&m->iv, seq)) {
					m_unlock(m);
					count(&m->st.retries);
					pos = r.va < pos ? pos : r.va;
					retry = true;
					break;
				}
				rc = install(m, &r);
				m_unlock(m);
				if (rc) {
					ptk_iter_fini(&it);
					return rc;
				}
			}
			if (!n)
				break;
			r.va = iva;
			r.oa = ioa;
			r.len = ilast - iva + 1;
			r.lg2 = it.size_lg2;
			r.attrs = a;
		}
		ptk_iter_fini(&it);
		if (!retry)
			return 0;
	}
}

void ptk_mirror_fini(struct ptk_mirror *m)
{
	if (!m || !m->primary)
		return;
	(void)ptk_interval_unsubscribe(&m->iv);
	m_lock(m);
	m_unmap(m, m->iv.va, m->iv.last);
	m_unlock(m);
	PTK_MEMSET(m, 0, sizeof(*m));
}

void ptk_mirror_stats(const struct ptk_mirror *m, struct ptk_mirror_stats *out)
{
	out->faults = __atomic_load_n(&m->st.faults, __ATOMIC_RELAXED);
	out->retries = __atomic_load_n(&m->st.retries, __ATOMIC_RELAXED);
	out->installs = __atomic_load_n(&m->st.installs, __ATOMIC_RELAXED);
	out->invalidations =
		__atomic_load_n(&m->st.invalidations, __ATOMIC_RELAXED);
	out->own = __atomic_load_n(&m->st.own, __ATOMIC_RELAXED);
}
