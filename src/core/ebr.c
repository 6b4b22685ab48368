// SPDX-License-Identifier: MIT
/*
 * Epoch-based reclamation around a memory provider (struct ptk_ebr, see
 * include/ptkit/shared.h). Freestanding: GCC/Clang __atomic builtins and
 * nothing else; it allocates nothing.
 *
 * State. A global epoch, starting at 1, bumped by every retire. Reader
 * slots, one cache line each: 0 when free, else 1 + the epoch its reader
 * entered in. A ring of retired blocks, each stamped with the epoch the
 * retire bumped from, oldest first. The ring, the counters and the
 * wrapped provider are guarded by a spinlock; readers never take it
 * (except through the wrapped provider's map, which it serialises).
 *
 * Why a block is never freed under a reader. Take a writer W that
 * unlinks table T and retires it, and a reader R that might reach T:
 *
 *   W1  store the entry that pointed at T (unlink)
 *   W2  r = fetch_add(epoch, 1)                     seq_cst
 *   W3  (now or at any later reclaim, under the lock)
 *       load every slot; free T if r < every (slot - 1)   seq_cst
 *
 *   R1  publish slot = e + 1                  seq_cst CAS / store
 *   R2  reload the epoch; if not e, e := it, back to R1   seq_cst
 *   R3  load entries, possibly T's, and read T
 *   R4  slot = 0                                          release
 *
 * Let e be the value the last R2 read; from then on the slot holds
 * e + 1. All of W2, W3, R1, R2 are seq_cst, so they sit in one total
 * order S, and either:
 *
 *  - the last R2 comes before W2 in S. Then W2 reads at least e (the
 *    epoch only grows), so r >= e; and R1 comes before R2 before W2
 *    before W3 in S, so W3 sees the slot at e + 1 (or 0 once R4 has
 *    happened) and keeps T while R is inside: r < e is false.
 *  - W2 comes before the last R2 in S. Then R2 read a value at least
 *    r + 1: it read from W2 or a later fetch_add, all of which continue
 *    W2's release sequence, so W2 synchronises with R2 and W1 happens
 *    before R3. R3 then cannot load the entry's old value: R never
 *    reaches T, whatever its slot says (and e >= r + 1 does not hold T
 *    back, which is why a reader that entered after the retire never
 *    delays it).
 *
 * A reader never advertises an epoch older than the one it observed
 * after publishing: that is the R1/R2 loop, and it is what makes the
 * first case sound. A slot seen as 0 was either freed by R4 (a release
 * store that the seq_cst load of W3 reads from, so R3 happens before the
 * free) or not yet published (the second case). The free itself is done
 * by whichever writer runs W3 later, always under the lock that ordered
 * the append after W2.
 *
 * ptk_ebr_synchronize() is the same argument with the bump and the scan
 * in one call: after its fetch_add returned s, any reader that can still
 * reach a block stamped <= s holds a slot <= s + 1, and it waits for
 * each such slot to change.
 *
 * A writer that retires from inside a read section of the same
 * reclaimer holds back everything retired since it entered: if the ring
 * fills with those blocks it waits for itself. Writers should retire
 * outside their own read sections.
 */
#include "internal/ptk_internal.h"
#include <ptkit/mem.h>
#include <ptkit/shared.h>

/* Test-and-test-and-set: spin on a plain load so waiters share the line. */
static void ebr_lock(struct ptk_ebr *e)
{
	for (;;) {
		if (!__atomic_exchange_n(&e->lock, 1, __ATOMIC_ACQUIRE))
			return;
		while (__atomic_load_n(&e->lock, __ATOMIC_RELAXED))
			PTK_CPU_RELAX();
	}
}

static void ebr_unlock(struct ptk_ebr *e)
{
	__atomic_store_n(&e->lock, 0, __ATOMIC_RELEASE);
}

/*
 * The counters are written under the lock but read by ptk_ebr_stats()
 * without it: atomic, relaxed, so the snapshot is racy but not a race.
 */
static void ebr_count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static int ebr_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa_out,
		     void **ptr_out)
{
	struct ptk_ebr *e = arg;
	int rc;

	ebr_lock(e);
	rc = e->inner->ops->alloc(e->inner->arg, lg2, oa_out, ptr_out);
	ebr_unlock(e);
	return rc;
}

/* A block that never became reachable (a lost install race, a pool). */
static void ebr_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct ptk_ebr *e = arg;

	ebr_lock(e);
	e->inner->ops->free(e->inner->arg, oa, ptr, lg2);
	ebr_unlock(e);
}

static void *ebr_map(void *arg, ptk_oa_t oa, unsigned int lg2)
{
	struct ptk_ebr *e = arg;
	void *p;

	if (!e->inner->ops->map)
		return NULL; /* linear provider: nothing outside the window */
	ebr_lock(e);
	p = e->inner->ops->map(e->inner->arg, oa, lg2);
	ebr_unlock(e);
	return p;
}

/*
 * Where a reader starts looking for a free slot. The address of a local
 * differs between threads (each has its own stack), so concurrent
 * readers mostly start on different slots and do not fight over one
 * line; collisions only cost a few more CAS attempts.
 */
static unsigned int ebr_slot_hint(const void *local)
{
	uint64_t h = (uint64_t)(uintptr_t)local * 0x9e3779b97f4a7c15ull;

	return (unsigned int)(h >> 32) % PTK_EBR_SLOTS;
}

static unsigned long ebr_read_lock(void *arg)
{
	struct ptk_ebr *e = arg;
	uint64_t ep = __atomic_load_n(&e->epoch, __ATOMIC_SEQ_CST), now;
	unsigned int i = ebr_slot_hint(&ep), n;

	/* R1: claim a slot, advertising the epoch we saw. */
	for (;;) {
		for (n = 0; n < PTK_EBR_SLOTS; n++) {
			uint64_t zero = 0;

			if (!__atomic_load_n(&e->slot[i].epoch,
					     __ATOMIC_RELAXED) &&
			    __atomic_compare_exchange_n(
				    &e->slot[i].epoch, &zero, ep + 1, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
				goto claimed;
			i = (i + 1) % PTK_EBR_SLOTS;
		}
		/* Every slot busy: readers are short, one will leave. */
		PTK_CPU_RELAX();
	}
claimed:
	/*
	 * R2: the epoch may have moved between our load and the publish. A
	 * writer that bumped it in between may have scanned the slots
	 * before ours was visible; its block is safe from us only because
	 * we will see its unlink, which the bump guarantees once we have
	 * read the bumped epoch. So do not read any entry until the slot
	 * holds the epoch as it is after the slot was published.
	 */
	for (;;) {
		now = __atomic_load_n(&e->epoch, __ATOMIC_SEQ_CST);
		if (now == ep)
			break;
		ep = now;
		__atomic_store_n(&e->slot[i].epoch, ep + 1, __ATOMIC_SEQ_CST);
	}
	return i;
}

static void ebr_read_unlock(void *arg, unsigned long token)
{
	struct ptk_ebr *e = arg;

	PTK_ASSERT(token < PTK_EBR_SLOTS);
	if (PTK_UNLIKELY(token >= PTK_EBR_SLOTS))
		return;
	PTK_ASSERT(__atomic_load_n(&e->slot[token].epoch, __ATOMIC_RELAXED));
	/* Release: our reads of retired tables happen before their free. */
	__atomic_store_n(&e->slot[token].epoch, 0, __ATOMIC_RELEASE);
}

/* The oldest epoch a reader may still be in, or UINT64_MAX for none. */
static uint64_t ebr_min_epoch(struct ptk_ebr *e)
{
	uint64_t min = UINT64_MAX, v;
	unsigned int i;

	for (i = 0; i < PTK_EBR_SLOTS; i++) {
		v = __atomic_load_n(&e->slot[i].epoch, __ATOMIC_SEQ_CST);
		if (v && v - 1 < min)
			min = v - 1;
	}
	return min;
}

/* Free retired blocks, oldest first, while stamped below @bound. Locked. */
static void ebr_free_below(struct ptk_ebr *e, uint64_t bound)
{
	const struct ptk_mem *in = e->inner;
	uint64_t n = 0;

	while (e->nr) {
		unsigned int k = (unsigned int)(e->head % PTK_EBR_RING);

		/* Stamped in retire order, so the first kept ends the run. */
		if (e->ring[k].epoch >= bound)
			break;
		in->ops->free(in->arg, e->ring[k].oa, e->ring[k].ptr,
			      e->ring[k].lg2);
		e->head++;
		e->nr--;
		n++;
	}
	if (n)
		ebr_count(&e->freed, n);
}

/* W3: free whatever no reader can still reach. Locked. */
static void ebr_reclaim(struct ptk_ebr *e)
{
	if (e->nr)
		ebr_free_below(e, ebr_min_epoch(e));
}

static void ebr_retire(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct ptk_ebr *e = arg;
	unsigned int k;
	uint64_t r;

	ebr_lock(e);
	if (e->nr == PTK_EBR_RING)
		ebr_reclaim(e);
	if (e->nr == PTK_EBR_RING) {
		/*
		 * Full of blocks some reader may still reach. Retire must
		 * not fail, so wait for readers to leave. Not under the
		 * lock: a reader may need it (map) to finish its section.
		 * The epoch does not move meanwhile, so readers entering
		 * now advertise an epoch newer than every block here and
		 * hold nothing back: only the old readers are waited for.
		 */
		ebr_count(&e->waits, 1);
		do {
			ebr_unlock(e);
			PTK_CPU_RELAX();
			ebr_lock(e);
			ebr_reclaim(e);
		} while (e->nr == PTK_EBR_RING);
	}
	/* W2, after the caller's unlink (W1). */
	r = __atomic_fetch_add(&e->epoch, 1, __ATOMIC_SEQ_CST);
	k = (unsigned int)((e->head + e->nr) % PTK_EBR_RING);
	e->ring[k].epoch = r;
	e->ring[k].oa = oa;
	e->ring[k].ptr = ptr;
	e->ring[k].lg2 = lg2;
	e->nr++;
	ebr_count(&e->retired, 1);
	/* With no reader inside, this frees the block at once. */
	ebr_reclaim(e);
	ebr_unlock(e);
}

int ptk_ebr_init(struct ptk_ebr *e, const struct ptk_mem *inner)
{
	const struct ptk_mem_ops *ops;

	if (!e || !inner || !inner->ops)
		return PTK_EINVAL;
	ops = inner->ops;
	/* Check the version first: other versions may lay ops out anew. */
	if (ops->version < 1 || ops->version > PTK_MEM_OPS_VERSION)
		return PTK_EVERSION;
	if (!ops->alloc || !ops->free)
		return PTK_EINVAL;
	if (!(inner->flags & PTK_MEM_LINEAR) && !ops->map)
		return PTK_EINVAL;

	PTK_MEMSET(e, 0, sizeof(*e));
	e->inner = inner;
	e->epoch = 1;
	e->ops.version = PTK_MEM_OPS_VERSION;
	e->ops.alloc = ebr_alloc;
	e->ops.free = ebr_free;
	e->ops.map = ebr_map;
	e->ops.read_lock = ebr_read_lock;
	e->ops.read_unlock = ebr_read_unlock;
	e->ops.retire = ebr_retire;
	e->mem.ops = &e->ops;
	e->mem.arg = e;
	e->mem.flags = inner->flags;
	e->mem.lin_delta = inner->lin_delta;
	e->mem.lin_lo = inner->lin_lo;
	e->mem.lin_hi = inner->lin_hi;
	e->mem.cells = inner->cells;
	return 0;
}

void ptk_ebr_synchronize(struct ptk_ebr *e)
{
	uint64_t s, v;
	unsigned int i;

	/* Readers that enter from now on advertise at least s + 1. */
	s = __atomic_fetch_add(&e->epoch, 1, __ATOMIC_SEQ_CST);
	/*
	 * Wait for every slot that advertises s or older. A slot that is
	 * claimed anew meanwhile may show a stale epoch for a moment; its
	 * reader re-reads the epoch (R2) and moves on to s + 1 or later.
	 */
	for (i = 0; i < PTK_EBR_SLOTS; i++) {
		for (;;) {
			v = __atomic_load_n(&e->slot[i].epoch,
					    __ATOMIC_SEQ_CST);
			if (!v || v - 1 > s)
				break;
			PTK_CPU_RELAX();
		}
	}
	ebr_lock(e);
	/* Everything retired before the call is stamped <= s. */
	ebr_free_below(e, s + 1);
	ebr_reclaim(e);
	ebr_unlock(e);
}

void ptk_ebr_fini(struct ptk_ebr *e)
{
	if (!e || !e->inner)
		return;
	ebr_lock(e);
	ebr_free_below(e, UINT64_MAX);
	ebr_unlock(e);
}

void ptk_ebr_stats(const struct ptk_ebr *e, struct ptk_ebr_stats *out)
{
	out->retired = __atomic_load_n(&e->retired, __ATOMIC_RELAXED);
	out->freed = __atomic_load_n(&e->freed, __ATOMIC_RELAXED);
	out->waits = __atomic_load_n(&e->waits, __ATOMIC_RELAXED);
	out->epoch = __atomic_load_n(&e->epoch, __ATOMIC_RELAXED);
}
