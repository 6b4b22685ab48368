// SPDX-License-Identifier: MIT
/*
 * Interval subscriptions: an AVL tree ordered by (first address, node
 * address), each node augmented with the highest last address of its
 * subtree; the sequence protocol; notification batches.
 *
 * Locking: t->iv_lock (a spin lock) guards the tree's shape, iv_active
 * and iv_seq. An invalidation counts itself in iv_active under the lock,
 * then walks the tree without it: the tree does not change while
 * iv_active is non-zero, because subscribe and unsubscribe wait for it to
 * reach zero. iv_seq is odd exactly while iv_active is non-zero; every
 * period of activity has its own odd value.
 *
 * The fast-reject index (ptk_interval_index()) is written only under
 * the lock, and only while it is marked stale (iv_idx_nr == 0), when no
 * invalidation reads it: each decides under the lock whether to use it.
 * It is marked stale only by subscribe and unsubscribe, which wait for
 * iv_active to reach zero first.
 */
#include "internal/ptk_internal.h"
#include <ptkit/interval.h>

static void iv_lock(struct ptk_table *t)
{
	while (__atomic_exchange_n(&t->iv_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&t->iv_lock, __ATOMIC_RELAXED))
			PTK_CPU_RELAX();
}

static void iv_unlock(struct ptk_table *t)
{
	__atomic_store_n(&t->iv_lock, 0, __ATOMIC_RELEASE);
}

/* Take the lock with no invalidation in progress. */
static void iv_lock_idle(struct ptk_table *t)
{
	for (;;) {
		iv_lock(t);
		if (!t->iv_active)
			return;
		iv_unlock(t);
		while (__atomic_load_n(&t->iv_active, __ATOMIC_RELAXED))
			PTK_CPU_RELAX();
	}
}

/* The AVL tree. */

static int height(const struct ptk_interval *n)
{
	return n ? n->height : 0;
}

static void update(struct ptk_interval *n)
{
	int hl = height(n->left), hr = height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
	n->max_last = n->last;
	if (n->left && n->left->max_last > n->max_last)
		n->max_last = n->left->max_last;
	if (n->right && n->right->max_last > n->max_last)
		n->max_last = n->right->max_last;
}

static struct ptk_interval *rot_right(struct ptk_interval *n)
{
	struct ptk_interval *l = n->left;

	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct ptk_interval *rot_left(struct ptk_interval *n)
{
	struct ptk_interval *r = n->right;

	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

static struct ptk_interval *balance(struct ptk_interval *n)
{
	int b;

	update(n);
	b = height(n->left) - height(n->right);
	if (b > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rot_left(n->left);
		return rot_right(n);
	}
	if (b < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rot_right(n->right);
		return rot_left(n);
	}
	return n;
}

/* Order by first address, then by the node's own address. */
static bool before(const struct ptk_interval *a, const struct ptk_interval *b)
{
	if (a->va != b->va)
		return a->va < b->va;
	return (uintptr_t)a < (uintptr_t)b;
}

static struct ptk_interval *insert(struct ptk_interval *root,
				   struct ptk_interval *n)
{
	if (!root)
		return n;
	if (before(n, root))
		root->left = insert(root->left, n);
	else
		root->right = insert(root->right, n);
	return balance(root);
}

static struct ptk_interval *take_min(struct ptk_interval *root,
				     struct ptk_interval **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = take_min(root->left, min);
	return balance(root);
}

/* Remove @n from the tree at @root; *@found says whether it was there. */
static struct ptk_interval *erase(struct ptk_interval *root,
				  struct ptk_interval *n, bool *found)
{
	struct ptk_interval *m;

	if (!root)
		return NULL;
	if (root != n) {
		if (before(n, root))
			root->left = erase(root->left, n, found);
		else
			root->right = erase(root->right, n, found);
		return balance(root);
	}
	*found = true;
	if (!root->left || !root->right)
		return root->left ? root->left : root->right;
	root->right = take_min(root->right, &m);
	m->left = root->left;
	m->right = root->right;
	return balance(m);
}

static bool overlaps(const struct ptk_interval *n, const struct ptk_range *r)
{
	return n->va <= r->last && r->va <= n->last;
}

/*
 * Call every subscription overlapping ev->ranges[k] and none of the
 * ranges before it (so that one overlapping both ranges of a move is
 * called once).
 */
static void call_range(struct ptk_interval *n,
		       const struct ptk_interval_event *ev, unsigned int k,
		       bool end, uint64_t cur_seq, struct ptk_iv_called *c)
{
	const struct ptk_range *r = &ev->ranges[k];
	unsigned int j;

	while (n && n->max_last >= r->va) {
		if (n->va > r->last) {
			/* @n and everything right of it start too late. */
			n = n->left;
			continue;
		}
		if (n->left && n->left->max_last >= r->va)
			call_range(n->left, ev, k, end, cur_seq, c);
		if (n->last >= r->va) {
			for (j = 0; j < k; j++)
				if (overlaps(n, &ev->ranges[j]))
					break;
			if (j == k) {
				c->nr++;
				c->one = n;
				if (!end)
					n->ops->invalidate(n, ev, cur_seq);
				else if (n->ops->invalidate_end)
					n->ops->invalidate_end(n, ev);
			}
		}
		n = n->right;
	}
}

/*
 * The index: in caller memory aligned to 64 bytes, a header of IDX_HDR
 * words (the top level's number, then each level's offset and length),
 * pmax[n] (the running maximum of the last addresses, in order of first
 * address), then level 0 (the first addresses, sorted), level 1 (every
 * eighth key of level 0), ... up to a level of at most eight keys. Every
 * level starts on a 64-byte boundary and is padded to a multiple of
 * eight keys with all-ones, so a block of eight is one cache line.
 */
#define IDX_FAN 8u
#define IDX_MAX_LEVELS 12 /* 8^11 > 2^32 subscriptions */
#define IDX_HDR 32u /* words: 1 + 2 * IDX_MAX_LEVELS, rounded to lines */

static uint64_t idx_round(uint64_t n)
{
	return (n + IDX_FAN - 1) & ~(uint64_t)(IDX_FAN - 1);
}

/* Where each level starts (in words), how long it is; returns the top. */
static unsigned int idx_layout(uint64_t n, uint64_t *off, uint64_t *len)
{
	unsigned int l = 0;

	off[0] = IDX_HDR + idx_round(n);
	len[0] = n;
	while (len[l] > IDX_FAN) {
		off[l + 1] = off[l] + idx_round(len[l]);
		len[l + 1] = (len[l] + IDX_FAN - 1) / IDX_FAN;
		l++;
	}
	return l;
}

size_t ptk_interval_index_bytes(uint64_t n)
{
	uint64_t off[IDX_MAX_LEVELS], len[IDX_MAX_LEVELS];
	unsigned int top;

	if (!n)
		n = 1;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	top = idx_layout(n, off, len);
	return (size_t)((off[top] + idx_round(len[top])) * 8 + 64);
}

/* In-order: first addresses into @va, last addresses into @pmax. */
static uint64_t idx_fill(const struct ptk_interval *n, uint64_t *va,
			 uint64_t *pmax, uint64_t i)
{
	for (; n; n = n->right) {
		i = idx_fill(n->left, va, pmax, i);
		va[i] = n->va;
		pmax[i] = n->last;
		i++;
	}
	return i;
}

static void idx_build(struct ptk_table *t)
{
	uint64_t off[IDX_MAX_LEVELS], len[IDX_MAX_LEVELS], i;
	uint64_t *w = t->iv_idx, *pmax = w + IDX_HDR;
	unsigned int top = idx_layout(t->iv_nr, off, len), l;

	idx_fill(t->iv_root, w + off[0], pmax, 0);
	for (i = 1; i < t->iv_nr; i++)
		if (pmax[i] < pmax[i - 1])
			pmax[i] = pmax[i - 1];
	w[0] = top;
	for (l = 0; l <= top; l++) {
		w[1 + 2 * l] = off[l];
		w[2 + 2 * l] = len[l];
		if (l)
			for (i = 0; i < len[l]; i++)
				w[off[l] + i] = w[off[l - 1] + i * IDX_FAN];
		for (i = len[l]; i < idx_round(len[l]); i++)
			w[off[l] + i] = ~(uint64_t)0;
	}
	t->iv_idx_nr = t->iv_nr;
}

/* Whether a subscription overlaps @r, from the index. */
static bool idx_overlaps(const struct ptk_table *t, const struct ptk_range *r)
{
	const uint64_t *w = t->iv_idx;
	uint64_t l = w[0] + 1, at = 0;

	/*
	 * At each level, count the keys of the block that are at most
	 * r->last (padding counts when r->last is all-ones: clamp to the
	 * keys there are); the last of them leads to the block below.
	 */
	while (l--) {
		const uint64_t *k = w + w[1 + 2 * l] + at;
		uint64_t c = 0, have = w[2 + 2 * l] - at;
		unsigned int j;

		for (j = 0; j < IDX_FAN; j++)
			c += k[j] <= r->last;
		if (c > have)
			c = have;
		if (!c)
			return false; /* (only at the top: below, c >= 1) */
		at = (at + c - 1) * (l ? IDX_FAN : 1);
	}
	return w[IDX_HDR + at] >= r->va;
}

static void idx_stale(struct ptk_table *t)
{
	t->iv_idx_nr = 0;
	t->iv_idx_stale = 0;
}

/* Under the lock: whether this invalidation may answer from the index. */
static bool idx_use(struct ptk_table *t)
{
	if (!t->iv_idx || t->iv_nr > t->iv_idx_cap)
		return false;
	if (!t->iv_idx_nr) {
		if (++t->iv_idx_stale <= t->iv_nr / 16)
			return false;
		idx_build(t);
	}
	return true;
}

static void call_all(struct ptk_table *t, const struct ptk_interval_event *ev,
		     bool end, uint64_t cur_seq, struct ptk_iv_called *c)
{
	unsigned int k;

	c->nr = 0;
	c->one = NULL;
	for (k = 0; k < ev->nr; k++)
		call_range(t->iv_root, ev, k, end, cur_seq, c);
}

bool ptk_interval__begin(struct ptk_table *t,
			 const struct ptk_interval_event *ev,
			 struct ptk_iv_called *c)
{
	unsigned int k;
	bool use_idx;
	uint64_t cur;

	if (!__atomic_load_n(&t->iv_root, __ATOMIC_RELAXED))
		return false;
	iv_lock(t);
	if (!t->iv_root) {
		iv_unlock(t);
		return false;
	}
	if (t->iv_active++ == 0)
		__atomic_store_n(&t->iv_seq, t->iv_seq + 1, __ATOMIC_RELAXED);
	cur = t->iv_seq;
	use_idx = idx_use(t);
	iv_unlock(t);
	if (use_idx) {
		for (k = 0; k < ev->nr; k++)
			if (idx_overlaps(t, &ev->ranges[k]))
				break;
		if (k == ev->nr) {
			/* Nobody to call: the end only counts itself out. */
			c->nr = 0;
			c->one = NULL;
			return true;
		}
	}
	call_all(t, ev, false, cur, c);
	return true;
}

void ptk_interval__end(struct ptk_table *t, const struct ptk_interval_event *ev,
		       const struct ptk_iv_called *c)
{
	struct ptk_iv_called again;

	/* The tree has not changed since the begin: reuse what it found. */
	if (c && c->nr == 1) {
		if (c->one->ops->invalidate_end)
			c->one->ops->invalidate_end(c->one, ev);
	} else if (!c || c->nr) {
		call_all(t, ev, true, 0, &again);
	}
	iv_lock(t);
	if (--t->iv_active == 0)
		__atomic_store_n(&t->iv_seq, t->iv_seq + 1, __ATOMIC_RELEASE);
	iv_unlock(t);
}

static void detach_all(struct ptk_interval *n)
{
	if (!n)
		return;
	detach_all(n->left);
	detach_all(n->right);
	n->left = NULL;
	n->right = NULL;
	__atomic_store_n(&n->t, NULL, __ATOMIC_RELEASE);
}

void ptk_interval__release(struct ptk_table *t)
{
	struct ptk_range all = { 0, ~(ptk_va_t)0 };
	struct ptk_interval_event ev = { t,    PTK_NOTIFY_RELEASE,     1, &all,
					 NULL, PTK_INTERVAL_MAY_BLOCK, 0 };
	struct ptk_iv_called c;

	if (!t->iv_root)
		return;
	if (ptk_interval__begin(t, &ev, &c))
		ptk_interval__end(t, &ev, &c);
	iv_lock_idle(t);
	detach_all(t->iv_root);
	t->iv_root = NULL;
	t->iv_nr = 0;
	t->iv_idx = NULL;
	t->iv_idx_cap = 0;
	idx_stale(t);
	iv_unlock(t);
}

int ptk_interval_subscribe(struct ptk_table *t, struct ptk_interval *iv,
			   ptk_va_t va, uint64_t len)
{
	ptk_va_t last;

	if (!t || !t->fmt || !iv || !iv->ops || !iv->ops->invalidate || !len)
		return PTK_EINVAL;
	if (iv->ops->version != PTK_INTERVAL_OPS_VERSION)
		return PTK_EVERSION;
	if (__builtin_add_overflow(va, len - 1, &last))
		return PTK_EOVERFLOW;
	if (!ptk_fmt_va_valid(t->fmt, va) || !ptk_fmt_va_valid(t->fmt, last))
		return PTK_ERANGE;
	if (__atomic_load_n(&iv->t, __ATOMIC_ACQUIRE))
		return PTK_ESUBSCRIBED;
	iv_lock_idle(t);
	iv->va = va;
	iv->last = last;
	iv->left = NULL;
	iv->right = NULL;
	iv->height = 1;
	iv->max_last = last;
	/* Even: no invalidation of this subscription to wait for. */
	__atomic_store_n(&iv->seq, t->iv_seq & ~(uint64_t)1, __ATOMIC_RELAXED);
	__atomic_store_n(&iv->t, t, __ATOMIC_RELEASE);
	__atomic_store_n(&t->iv_root, insert(t->iv_root, iv), __ATOMIC_RELAXED);
	__atomic_store_n(&t->iv_nr, t->iv_nr + 1, __ATOMIC_RELAXED);
	idx_stale(t);
	iv_unlock(t);
	return 0;
}

int ptk_interval_unsubscribe(struct ptk_interval *iv)
{
	struct ptk_table *t;
	bool found = false;

	if (!iv)
		return PTK_EINVAL;
	t = __atomic_load_n(&iv->t, __ATOMIC_ACQUIRE);
	if (!t)
		return PTK_ENOTSUBSCRIBED;
	iv_lock_idle(t);
	if (iv->t == t)
		__atomic_store_n(&t->iv_root, erase(t->iv_root, iv, &found),
				 __ATOMIC_RELAXED);
	if (found) {
		__atomic_store_n(&t->iv_nr, t->iv_nr - 1, __ATOMIC_RELAXED);
		idx_stale(t);
		iv->left = NULL;
		iv->right = NULL;
		__atomic_store_n(&iv->t, NULL, __ATOMIC_RELEASE);
	}
	iv_unlock(t);
	return found ? 0 : PTK_ENOTSUBSCRIBED;
}

uint64_t ptk_interval_read_begin(struct ptk_interval *iv)
{
	struct ptk_table *t = __atomic_load_n(&iv->t, __ATOMIC_ACQUIRE);
	uint64_t seq = __atomic_load_n(&iv->seq, __ATOMIC_ACQUIRE);

	/*
	 * iv->seq is odd only when an invalidation set it; if that period of
	 * activity is still going on, wait for its end. Each period has its
	 * own odd value, so an equal value cannot be a later period.
	 */
	if (t && (seq & 1))
		while (__atomic_load_n(&t->iv_seq, __ATOMIC_ACQUIRE) == seq)
			PTK_CPU_RELAX();
	return seq;
}

bool ptk_interval_read_retry(const struct ptk_interval *iv, uint64_t seq)
{
	return __atomic_load_n(&iv->seq, __ATOMIC_ACQUIRE) != seq;
}

void ptk_interval_set_seq(struct ptk_interval *iv, uint64_t cur_seq)
{
	__atomic_store_n(&iv->seq, cur_seq, __ATOMIC_RELEASE);
}

uint64_t ptk_interval_count(const struct ptk_table *t)
{
	return t ? __atomic_load_n(&t->iv_nr, __ATOMIC_RELAXED) : 0;
}

int ptk_interval_index(struct ptk_table *t, void *mem, size_t bytes)
{
	uint64_t lo = 1, hi = UINT32_MAX;
	uintptr_t p = (uintptr_t)mem;

	if (!t || (mem && bytes < ptk_interval_index_bytes(1)))
		return PTK_EINVAL;
	/* The most subscriptions @bytes holds (the need grows with n). */
	while (mem && lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (ptk_interval_index_bytes(mid) <= bytes)
			lo = mid;
		else
			hi = mid - 1;
	}
	iv_lock_idle(t);
	t->iv_idx = mem ? (uint64_t *)((p + 63) & ~(uintptr_t)63) : NULL;
	t->iv_idx_cap = mem ? (uint32_t)lo : 0;
	idx_stale(t);
	iv_unlock(t);
	return 0;
}

int ptk_notify_batch_begin(struct ptk_table *t, struct ptk_gather *g,
			   enum ptk_notify_reason reason, ptk_va_t va,
			   uint64_t len)
{
	struct ptk_range r;
	struct ptk_op op;

	if (!t || !t->ops || !g || !len || reason < PTK_NOTIFY_UNMAP ||
	    reason >= PTK_NOTIFY_RELEASE || g->batch_t)
		return PTK_EINVAL;
	if (__builtin_add_overflow(va, len - 1, &r.last))
		return PTK_EOVERFLOW;
	if (!ptk_fmt_va_valid(t->fmt, va) || !ptk_fmt_va_valid(t->fmt, r.last))
		return PTK_ERANGE;
	r.va = va;
	g->batch_reason = reason;
	g->batch_r = r;
	/* The bracket's "before" half; batch_t set after, so it notifies. */
	ptk_op__open(&op, t, g, reason, &g->batch_r, 1);
	g->batch_iv = op.iv;
	g->batch_iv_nr = op.ivc.nr;
	g->batch_iv_one = op.ivc.one;
	g->batch_t = t;
	return 0;
}

int ptk_notify_batch_end(struct ptk_gather *g, int result)
{
	struct ptk_op op;

	if (!g || !g->batch_t)
		return PTK_EINVAL;
	/* Rebuild the bracket as ptk_notify_batch_begin() opened it. */
	op.t = g->batch_t;
	op.user = g;
	op.g = g;
	op.reason = (enum ptk_notify_reason)g->batch_reason;
	op.notify = op.t->notifiers != NULL;
	op.iv = g->batch_iv;
	op.ivc.nr = g->batch_iv_nr;
	op.ivc.one = g->batch_iv_one;
	op.nr = 1;
	op.ranges = &g->batch_r;
	g->batch_t = NULL;
	ptk_op__close(&op, result);
	return 0;
}
