// SPDX-License-Identifier: MIT
/*
 * Notifiers, and the bracket every invalidating operation runs in: one
 * "before" call per subscriber, the operation, one "after" call, then the
 * unlinked tables are freed (or handed to the caller's gather).
 */
#include "internal/ptk_internal.h"
#include <ptkit/interval.h>

int ptk_notifier_register(struct ptk_table *t, struct ptk_notifier *n)
{
	struct ptk_notifier *p;

	if (!t || !n || !n->ops)
		return PTK_EINVAL;
	if (n->ops->version != PTK_NOTIFIER_OPS_VERSION)
		return PTK_EVERSION;
	for (p = t->notifiers; p; p = p->next)
		if (p == n)
			return PTK_EINVAL;
	n->next = t->notifiers;
	t->notifiers = n;
	return 0;
}

int ptk_notifier_unregister(struct ptk_table *t, struct ptk_notifier *n)
{
	struct ptk_notifier **pp;

	if (!t || !n)
		return PTK_EINVAL;
	for (pp = &t->notifiers; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			return 0;
		}
	}
	return PTK_ENOENT;
}

void ptk_gather__merge(struct ptk_gather *dst, struct ptk_gather *src)
{
	unsigned int i;

	for (i = 0; i < src->nr; i++)
		ptk_gather_add(dst, src->ranges[i].va, src->ranges[i].last);
	dst->flags |= src->flags;
	if (src->nr_free) {
		/* Hang dst's queue behind src's last table, take src's head. */
		ptk_link__set(src->free_tail, dst->free_oa, dst->free_ptr,
			      dst->free_lg2);
		ptk_gather__push(dst, src->free_oa, src->free_ptr,
				 src->free_lg2, src->free_tail, src->nr_free,
				 src->free_mixed);
	}
	ptk_gather_init(src);
}

static void call_all(const struct ptk_table *t, bool after,
		     const struct ptk_notify_event *ev)
{
	struct ptk_notifier *n, *next;

	for (n = t->notifiers; n; n = next) {
		next = n->next;
		if (after && n->ops->after)
			n->ops->after(n, ev);
		else if (!after && n->ops->before)
			n->ops->before(n, ev);
	}
}

static void iv_event(const struct ptk_op *op, struct ptk_interval_event *ev,
		     int result)
{
	const struct ptk_gather *u = op->user;

	ev->table = op->t;
	ev->reason = op->reason;
	ev->nr = op->nr;
	ev->ranges = op->ranges;
	ev->owner = u ? u->owner : NULL;
	ev->flags = (u && (u->flags & PTK_GATHER_ATOMIC))
			    ? 0
			    : PTK_INTERVAL_MAY_BLOCK;
	ev->result = result;
}

/* Whether @g is in a batch of @t's that covers @r. */
static bool in_batch(const struct ptk_table *t, const struct ptk_gather *g,
		     const struct ptk_range *r, unsigned int nr)
{
	unsigned int i;

	if (!g || g->batch_t != t)
		return false;
	for (i = 0; i < nr; i++)
		if (r[i].va < g->batch_r.va || r[i].last > g->batch_r.last)
			return false;
	return true;
}

void ptk_op__open(struct ptk_op *op, struct ptk_table *t, struct ptk_gather *g,
		  enum ptk_notify_reason reason, const struct ptk_range *r,
		  unsigned int nr)
{
	op->slow = true;
	op->t = t;
	op->user = g;
	op->reason = reason;
	op->nr = nr;
	op->ranges = r;
	op->iv = false;
	if (!reason || in_batch(t, g, r, nr)) {
		/* Nothing to announce, or announced by the batch. */
		op->notify = false;
		reason = 0;
	} else {
		op->notify = t->notifiers != NULL;
	}
	if (op->notify || !g) {
		ptk_gather_init(&op->local);
		op->g = &op->local;
	} else {
		op->g = g;
	}
	if (op->notify) {
		struct ptk_notify_event ev = { t, reason, nr, r, 0 };

		call_all(t, false, &ev);
	}
	if (reason) {
		struct ptk_interval_event iev;

		iv_event(op, &iev, 0);
		op->iv = ptk_interval__begin(t, &iev, &op->ivc);
	}
}

int ptk_op__close(struct ptk_op *op, int rc)
{
	if (op->notify) {
		/* A callback's stop (harvest, build) leaves what changed
		 * before it: report that too. */
		bool kept = !rc || rc == PTK_EUSER || rc > 0;
		struct ptk_notify_event ev = { op->t, op->reason,
					       kept ? op->g->nr : 0,
					       op->g->ranges, rc };

		call_all(op->t, true, &ev);
	}
	if (op->iv) {
		struct ptk_interval_event iev;

		iv_event(op, &iev, rc);
		ptk_interval__end(op->t, &iev, &op->ivc);
	}
	if (op->g == &op->local) {
		if (op->user)
			ptk_gather__merge(op->user, &op->local);
		else
			ptk_table_flush(op->t, &op->local);
	}
	return rc;
}
