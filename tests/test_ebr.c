// SPDX-License-Identifier: MIT
/*
 * struct ptk_ebr (epoch-based reclamation) over a counting fake provider,
 * and the built-in providers' debug quarantine of freed tables.
 *
 * The fake provider records every block it is asked to free, so the
 * tests see exactly when the reclaimer lets a retired block go: never
 * while a read section that began before the retire is open, soon after
 * it closes, and always by synchronize and fini. Threads: a reader that
 * holds a section while the writer fills the ring (the writer must
 * wait), and readers racing a writer that swaps and retires blocks (run
 * under ASan and TSan too).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ptkit.h"
#include "ptkit/shared.h"
#include "harness/ptk_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

/* Block ids the fake hands out and takes back (its "addresses"). */
#define FAKE_IDS 4096

struct fake {
	struct ptk_mem_ops ops;
	struct ptk_mem mem;
	unsigned int next_id;
	unsigned int allocs, frees, maps;
	unsigned int bad_frees; /* twice, or an id never seen */
	unsigned char freed[FAKE_IDS];
	/* While *guard is set, no block may be freed. */
	const int *guard;
	unsigned int early;
};

static int fake_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa_out,
		      void **ptr_out)
{
	struct fake *f = arg;

	(void)lg2;
	if (f->next_id >= FAKE_IDS)
		return PTK_ENOMEM;
	*oa_out = f->next_id++;
	*ptr_out = (void *)(uintptr_t)(0x10000 + *oa_out * 16);
	__atomic_fetch_add(&f->allocs, 1, __ATOMIC_RELAXED);
	return 0;
}

static void fake_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct fake *f = arg;

	(void)lg2;
	if (oa >= FAKE_IDS || f->freed[oa] ||
	    ptr != (void *)(uintptr_t)(0x10000 + oa * 16))
		f->bad_frees++;
	else
		f->freed[oa] = 1;
	if (f->guard && __atomic_load_n(f->guard, __ATOMIC_SEQ_CST))
		f->early++;
	__atomic_fetch_add(&f->frees, 1, __ATOMIC_RELAXED);
}

static void *fake_map(void *arg, ptk_oa_t oa, unsigned int lg2)
{
	struct fake *f = arg;

	(void)lg2;
	f->maps++;
	return (void *)(uintptr_t)(0x10000 + oa * 16);
}

/* A version-1 provider, not linear: the oldest kind ptk_ebr must wrap. */
static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	PTK_ASSERT(f);
	f->ops.version = 1;
	f->ops.alloc = fake_alloc;
	f->ops.free = fake_free;
	f->ops.map = fake_map;
	f->mem.ops = &f->ops;
	f->mem.arg = f;
	f->next_id = 1;
	return f;
}

static unsigned int fake_frees(struct fake *f)
{
	return __atomic_load_n(&f->frees, __ATOMIC_SEQ_CST);
}

/* The reclaimer is ~20 KiB: on the heap, not the stack. */
static struct ptk_ebr *ebr_new(struct fake *f)
{
	struct ptk_ebr *e = malloc(sizeof(*e));

	PTK_ASSERT(e);
	PTK_ASSERT_OK(ptk_ebr_init(e, &f->mem));
	return e;
}

/* Allocate a block through the reclaimer, as a writer would. */
static ptk_oa_t ebr_block(struct ptk_ebr *e)
{
	ptk_oa_t oa;
	void *ptr;

	PTK_ASSERT_OK(e->mem.ops->alloc(e->mem.arg, 12, &oa, &ptr));
	return oa;
}

static void ebr_retire(struct ptk_ebr *e, ptk_oa_t oa)
{
	e->mem.ops->retire(e->mem.arg, oa,
			   (void *)(uintptr_t)(0x10000 + oa * 16), 12);
}

static unsigned long rd_lock(struct ptk_ebr *e)
{
	return e->mem.ops->read_lock(e->mem.arg);
}

static void rd_unlock(struct ptk_ebr *e, unsigned long tok)
{
	e->mem.ops->read_unlock(e->mem.arg, tok);
}

static void done(struct ptk_ebr *e, struct fake *f)
{
	struct ptk_ebr_stats st;

	ptk_ebr_fini(e);
	ptk_ebr_stats(e, &st);
	PTK_EXPECT_EQ(st.freed, st.retired);
	PTK_EXPECT_EQ(f->bad_frees, 0);
	PTK_EXPECT_EQ(f->early, 0);
	free(e);
	free(f);
}

PTK_TEST(ebr_init)
{
	struct fake *f = fake_new();
	struct ptk_ebr *e = malloc(sizeof(*e));
	struct ptk_ebr_stats st;
	struct ptk_mem_ops ops;
	struct ptk_mem m;
	ptk_oa_t oa;
	void *ptr;

	PTK_ASSERT(e);
	PTK_EXPECT_RC(ptk_ebr_init(NULL, &f->mem), PTK_EINVAL);
	PTK_EXPECT_RC(ptk_ebr_init(e, NULL), PTK_EINVAL);
	m = f->mem;
	m.ops = NULL;
	PTK_EXPECT_RC(ptk_ebr_init(e, &m), PTK_EINVAL);
	m.ops = &ops;
	ops = f->ops;
	ops.version = 0;
	PTK_EXPECT_RC(ptk_ebr_init(e, &m), PTK_EVERSION);
	ops.version = PTK_MEM_OPS_VERSION + 1;
	PTK_EXPECT_RC(ptk_ebr_init(e, &m), PTK_EVERSION);
	ops = f->ops;
	ops.alloc = NULL;
	PTK_EXPECT_RC(ptk_ebr_init(e, &m), PTK_EINVAL);
	ops = f->ops;
	ops.free = NULL;
	PTK_EXPECT_RC(ptk_ebr_init(e, &m), PTK_EINVAL);
	ops = f->ops;
	ops.map = NULL;
	PTK_EXPECT_RC(ptk_ebr_init(e, &m), PTK_EINVAL);
	/* a linear provider needs no map */
	m.flags = PTK_MEM_LINEAR;
	m.lin_delta = 0x1234;
	m.lin_lo = 0x1000;
	m.lin_hi = 0x1fffff;
	PTK_EXPECT_OK(ptk_ebr_init(e, &m));
	PTK_EXPECT_EQ(e->mem.flags, PTK_MEM_LINEAR);
	PTK_EXPECT_EQ(e->mem.lin_delta, 0x1234);
	PTK_EXPECT_EQ(e->mem.lin_lo, 0x1000);
	PTK_EXPECT_EQ(e->mem.lin_hi, 0x1fffff);
	PTK_EXPECT(e->mem.ops->map(e->mem.arg, 0x5000, 12) == NULL);
	ptk_ebr_fini(e);

	/* version 1, not linear: everything forwarded */
	PTK_ASSERT_OK(ptk_ebr_init(e, &f->mem));
	PTK_EXPECT_EQ(e->mem.ops->version, PTK_MEM_OPS_VERSION);
	PTK_EXPECT(e->mem.arg == e);
	PTK_EXPECT_EQ(e->mem.flags, 0);
	PTK_EXPECT(e->mem.ops->read_lock && e->mem.ops->read_unlock &&
		   e->mem.ops->retire);
	ptk_ebr_stats(e, &st);
	PTK_EXPECT_EQ(st.epoch, 1);
	PTK_EXPECT_EQ(st.retired, 0);
	PTK_EXPECT_EQ(st.freed, 0);
	PTK_EXPECT_EQ(st.waits, 0);
	PTK_ASSERT_OK(e->mem.ops->alloc(e->mem.arg, 12, &oa, &ptr));
	PTK_EXPECT_EQ(f->allocs, 1);
	PTK_EXPECT(ptr == (void *)(uintptr_t)(0x10000 + oa * 16));
	PTK_EXPECT(e->mem.ops->map(e->mem.arg, oa, 12) == ptr);
	PTK_EXPECT_EQ(f->maps, 1);
	/* plain free (never published) is immediate, not retired */
	e->mem.ops->free(e->mem.arg, oa, ptr, 12);
	PTK_EXPECT_EQ(f->frees, 1);
	PTK_EXPECT_EQ(f->freed[oa], 1);
	ptk_ebr_stats(e, &st);
	PTK_EXPECT_EQ(st.retired, 0);
	done(e, f);
}

PTK_TEST(ebr_retire_no_readers)
{
	struct fake *f = fake_new();
	struct ptk_ebr *e = ebr_new(f);
	struct ptk_ebr_stats st;
	ptk_oa_t oa[8];
	unsigned int i;

	for (i = 0; i < 8; i++) {
		oa[i] = ebr_block(e);
		ebr_retire(e, oa[i]);
		/* freed by the next retire at the latest */
		PTK_EXPECT(fake_frees(f) + 1 >= i + 1);
		if (i)
			PTK_EXPECT_EQ(f->freed[oa[i - 1]], 1);
	}
	ptk_ebr_synchronize(e);
	PTK_EXPECT_EQ(fake_frees(f), 8);
	for (i = 0; i < 8; i++)
		PTK_EXPECT_EQ(f->freed[oa[i]], 1);
	ptk_ebr_stats(e, &st);
	PTK_EXPECT_EQ(st.retired, 8);
	PTK_EXPECT_EQ(st.freed, 8);
	PTK_EXPECT_EQ(st.waits, 0);
	PTK_EXPECT(st.epoch > 8);
	done(e, f);
}

PTK_TEST(ebr_reader_holds_back)
{
	struct fake *f = fake_new();
	struct ptk_ebr *e = ebr_new(f);
	ptk_oa_t a = ebr_block(e), b = ebr_block(e), c = ebr_block(e);
	unsigned long tok;

	tok = rd_lock(e);
	ebr_retire(e, a);
	ebr_retire(e, b);
	PTK_EXPECT_EQ(fake_frees(f), 0);
	/* a plain free is not held back by readers */
	e->mem.ops->free(e->mem.arg, c, (void *)(uintptr_t)(0x10000 + c * 16),
			 12);
	PTK_EXPECT_EQ(fake_frees(f), 1);
	rd_unlock(e, tok);
	/* the next reclaim lets them go */
	c = ebr_block(e);
	ebr_retire(e, c);
	PTK_EXPECT_EQ(f->freed[a], 1);
	PTK_EXPECT_EQ(f->freed[b], 1);
	PTK_EXPECT_EQ(f->freed[c], 1);
	PTK_EXPECT_EQ(fake_frees(f), 4);
	done(e, f);
}

PTK_TEST(ebr_late_reader)
{
	struct fake *f = fake_new();
	struct ptk_ebr *e = ebr_new(f);
	ptk_oa_t a = ebr_block(e), b = ebr_block(e), c = ebr_block(e);
	unsigned long early, late;

	early = rd_lock(e);
	ebr_retire(e, a); /* held by the early reader */
	late = rd_lock(e); /* entered after a's retire */
	PTK_EXPECT(early != late);
	ebr_retire(e, b); /* held by both */
	rd_unlock(e, early);
	ebr_retire(e, c); /* the reclaim: only the late reader is left */
	PTK_EXPECT_EQ(f->freed[a], 1);
	PTK_EXPECT_EQ(f->freed[b], 0);
	PTK_EXPECT_EQ(f->freed[c], 0);
	PTK_EXPECT_EQ(fake_frees(f), 1);
	rd_unlock(e, late);
	ptk_ebr_synchronize(e);
	PTK_EXPECT_EQ(f->freed[b], 1);
	PTK_EXPECT_EQ(f->freed[c], 1);
	done(e, f);
}

PTK_TEST(ebr_synchronize_frees_all)
{
	struct fake *f = fake_new();
	struct ptk_ebr *e = ebr_new(f);
	struct ptk_ebr_stats st;
	unsigned long tok[3];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		tok[i] = rd_lock(e);
		ebr_retire(e, ebr_block(e));
		ebr_retire(e, ebr_block(e));
	}
	PTK_EXPECT_EQ(fake_frees(f), 0);
	for (i = 0; i < 3; i++)
		rd_unlock(e, tok[i]);
	PTK_EXPECT_EQ(fake_frees(f), 0); /* unlock itself frees nothing */
	ptk_ebr_synchronize(e);
	PTK_EXPECT_EQ(fake_frees(f), 6);
	ptk_ebr_stats(e, &st);
	PTK_EXPECT_EQ(st.retired, 6);
	PTK_EXPECT_EQ(st.freed, 6);
	/* with nothing retired and nobody inside it returns at once */
	ptk_ebr_synchronize(e);
	PTK_EXPECT_EQ(fake_frees(f), 6);
	done(e, f);
}

PTK_TEST(ebr_fini_frees_rest)
{
	struct fake *f = fake_new();
	struct ptk_ebr *e = ebr_new(f);
	unsigned long tok = rd_lock(e);
	unsigned int i;

	for (i = 0; i < 10; i++)
		ebr_retire(e, ebr_block(e));
	rd_unlock(e, tok);
	PTK_EXPECT_EQ(fake_frees(f), 0);
	ptk_ebr_fini(e);
	PTK_EXPECT_EQ(fake_frees(f), 10);
	for (i = 1; i <= 10; i++)
		PTK_EXPECT_EQ(f->freed[i], 1);
	ptk_ebr_fini(NULL);
	done(e, f);
}

PTK_TEST(ebr_every_slot)
{
	struct fake *f = fake_new();
	struct ptk_ebr *e = ebr_new(f);
	unsigned long tok[PTK_EBR_SLOTS];
	bool seen[PTK_EBR_SLOTS] = { false };
	ptk_oa_t a = ebr_block(e);
	unsigned int i;

	/* nested sections: each its own slot, until all are taken */
	for (i = 0; i < PTK_EBR_SLOTS; i++) {
		tok[i] = rd_lock(e);
		PTK_ASSERT(tok[i] < PTK_EBR_SLOTS);
		PTK_EXPECT(!seen[tok[i]]);
		seen[tok[i]] = true;
	}
	ebr_retire(e, a);
	for (i = 0; i < PTK_EBR_SLOTS; i++) {
		ebr_retire(e, ebr_block(e)); /* a reclaim between unlocks */
		PTK_EXPECT_EQ(f->freed[a], 0);
		rd_unlock(e, tok[i]);
	}
	ebr_retire(e, ebr_block(e));
	PTK_EXPECT_EQ(f->freed[a], 1);
	PTK_EXPECT_EQ(fake_frees(f), PTK_EBR_SLOTS + 2);
	done(e, f);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

struct holder {
	struct ptk_ebr *e;
	int entered;
	int inside;
	unsigned int hold_ms;
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	unsigned long tok = rd_lock(h->e);

	__atomic_store_n(&h->inside, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&h->entered, 1, __ATOMIC_SEQ_CST);
	sleep_ms(h->hold_ms);
	/* Cleared before leaving: a free seen while set is a real bug. */
	__atomic_store_n(&h->inside, 0, __ATOMIC_SEQ_CST);
	rd_unlock(h->e, tok);
	return NULL;
}

PTK_TEST(ebr_ring_full_waits)
{
	struct fake *f = fake_new();
	struct ptk_ebr *e = ebr_new(f);
	struct holder h = { e, 0, 0, 200 };
	struct ptk_ebr_stats st;
	pthread_t th;
	unsigned int i;

	f->guard = &h.inside;
	PTK_ASSERT_EQ(pthread_create(&th, NULL, holder_main, &h), 0);
	while (!__atomic_load_n(&h.entered, __ATOMIC_SEQ_CST))
		sleep_ms(1);
	/* the ring fills without a free... */
	for (i = 0; i < PTK_EBR_RING; i++)
		ebr_retire(e, ebr_block(e));
	PTK_EXPECT_EQ(fake_frees(f), 0);
	ptk_ebr_stats(e, &st);
	PTK_EXPECT_EQ(st.waits, 0);
	PTK_EXPECT(__atomic_load_n(&h.inside, __ATOMIC_SEQ_CST));
	/* ...and the next retire waits until the reader has left */
	for (i = 0; i < 8; i++)
		ebr_retire(e, ebr_block(e));
	PTK_EXPECT(!__atomic_load_n(&h.inside, __ATOMIC_SEQ_CST));
	PTK_EXPECT(fake_frees(f) >= PTK_EBR_RING);
	ptk_ebr_stats(e, &st);
	PTK_EXPECT_EQ(st.waits, 1);
	PTK_EXPECT_EQ(st.retired, PTK_EBR_RING + 8);
	PTK_EXPECT_EQ(f->early, 0);
	PTK_ASSERT_EQ(pthread_join(th, NULL), 0);
	ptk_ebr_synchronize(e);
	PTK_EXPECT_EQ(fake_frees(f), PTK_EBR_RING + 8);
	done(e, f);
}

/*
 * Readers racing a writer. The writer publishes a new block, unlinks the
 * old one and retires it; the provider scribbles on a block and really
 * frees it. A reader that dereferences a block after its free sees the
 * scribble (or ASan reports it, or TSan a race with the scribble).
 */
#define STRESS_LIVE 0x4c495645u
#define STRESS_DEAD 0xdeaddeadu
#define STRESS_READERS 3

struct sblock {
	unsigned int magic;
	unsigned int serial;
};

struct stress {
	struct ptk_ebr *e;
	struct sblock *cur;
	int stop;
	unsigned int started;
	unsigned int bad;
	unsigned long sections;
};

static int heap_blk_alloc(void *arg, unsigned int lg2, ptk_oa_t *oa_out,
			  void **ptr_out)
{
	struct sblock *b = calloc(1, sizeof(*b));

	(void)arg;
	(void)lg2;
	if (!b)
		return PTK_ENOMEM;
	*oa_out = (ptk_oa_t)(uintptr_t)b;
	*ptr_out = b;
	return 0;
}

static void heap_blk_free(void *arg, ptk_oa_t oa, void *ptr, unsigned int lg2)
{
	struct sblock *b = ptr;

	(void)arg;
	(void)oa;
	(void)lg2;
	b->magic = STRESS_DEAD;
	free(b);
}

static const struct ptk_mem_ops heap_blk_ops = {
	.version = 1,
	.alloc = heap_blk_alloc,
	.free = heap_blk_free,
};

static void *stress_reader(void *arg)
{
	struct stress *s = arg;
	unsigned long n = 0;
	unsigned int i;

	__atomic_fetch_add(&s->started, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		unsigned long tok = rd_lock(s->e);
		struct sblock *b = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);

		if (b->magic != STRESS_LIVE)
			__atomic_fetch_add(&s->bad, 1, __ATOMIC_RELAXED);
		/* stay a little, so retires land inside the section */
		for (i = 0; i < 64; i++)
			__atomic_load_n(&s->stop, __ATOMIC_RELAXED);
		if (b->magic != STRESS_LIVE)
			__atomic_fetch_add(&s->bad, 1, __ATOMIC_RELAXED);
		rd_unlock(s->e, tok);
		n++;
	}
	__atomic_fetch_add(&s->sections, n, __ATOMIC_RELAXED);
	return NULL;
}

PTK_TEST(ebr_stress)
{
	struct ptk_mem inner = {
		.ops = &heap_blk_ops,
		.flags = PTK_MEM_LINEAR,
		.lin_hi = ~(ptk_oa_t)0,
	};
	struct stress s = { 0 };
	struct ptk_ebr_stats st;
	pthread_t th[STRESS_READERS];
	unsigned int i,
		n = (unsigned int)ptk_test_env_u64("PTK_EBR_ITERS", 20000);
	ptk_oa_t oa;
	void *ptr;

	s.e = malloc(sizeof(*s.e));
	PTK_ASSERT(s.e);
	PTK_ASSERT_OK(ptk_ebr_init(s.e, &inner));
	PTK_ASSERT_OK(s.e->mem.ops->alloc(s.e->mem.arg, 4, &oa, &ptr));
	s.cur = ptr;
	s.cur->magic = STRESS_LIVE;
	for (i = 0; i < STRESS_READERS; i++)
		PTK_ASSERT_EQ(pthread_create(&th[i], NULL, stress_reader, &s),
			      0);
	while (__atomic_load_n(&s.started, __ATOMIC_SEQ_CST) < STRESS_READERS)
		sleep_ms(1);
	for (i = 0; i < n; i++) {
		struct sblock *nb, *old;

		PTK_ASSERT_OK(s.e->mem.ops->alloc(s.e->mem.arg, 4, &oa, &ptr));
		nb = ptr;
		nb->magic = STRESS_LIVE;
		nb->serial = i;
		/* W1: unlink the old block (and link the new one) */
		old = __atomic_exchange_n(&s.cur, nb, __ATOMIC_SEQ_CST);
		s.e->mem.ops->retire(s.e->mem.arg, (ptk_oa_t)(uintptr_t)old,
				     old, 4);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < STRESS_READERS; i++)
		PTK_ASSERT_EQ(pthread_join(th[i], NULL), 0);
	PTK_EXPECT_EQ(s.bad, 0);
	PTK_EXPECT(s.sections > 0);
	ptk_ebr_synchronize(s.e);
	ptk_ebr_stats(s.e, &st);
	PTK_EXPECT_EQ(st.retired, n);
	PTK_EXPECT_EQ(st.freed, n);
	s.e->mem.ops->free(s.e->mem.arg, (ptk_oa_t)(uintptr_t)s.cur, s.cur, 4);
	ptk_ebr_fini(s.e);
	free(s.e);
}

#if PTK_DEBUG >= 2
/* Whether all 2^@lg2 bytes at @p are the poison pattern. */
static bool all_poison(const void *p, unsigned int lg2)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < ((size_t)1 << lg2); i++)
		if (c[i] != 0xa5)
			return false;
	return true;
}

static bool all_zero(const void *p, unsigned int lg2)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < ((size_t)1 << lg2); i++)
		if (c[i])
			return false;
	return true;
}

#define QUAR 64

PTK_TEST(heap_quarantine)
{
	struct ptk_mem_heap h;
	const struct ptk_mem_ops *ops;
	ptk_oa_t a_oa, oa[QUAR], x_oa, y_oa;
	void *a, *p[QUAR], *x, *y;
	unsigned int i;

	PTK_ASSERT_OK(ptk_mem_heap_init(&h));
	ops = h.mem.ops;
	PTK_ASSERT_OK(ops->alloc(&h, 12, &a_oa, &a));
	for (i = 0; i < QUAR; i++)
		PTK_ASSERT_OK(ops->alloc(&h, 12, &oa[i], &p[i]));
	memset(a, 0x3c, 4096);
	ops->free(&h, a_oa, a, 12);
#ifndef TEST_ASAN
	/* (under ASan the quarantined block is poisoned: no peeking) */
	PTK_EXPECT(all_poison(a, 12));
#endif
	/* 63 more frees: a is still held back */
	for (i = 0; i + 1 < QUAR; i++)
		ops->free(&h, oa[i], p[i], 12);
#ifndef TEST_ASAN
	PTK_EXPECT(all_poison(a, 12));
#endif
	PTK_ASSERT_OK(ops->alloc(&h, 12, &y_oa, &y));
	PTK_EXPECT(y != a);
	PTK_EXPECT(all_zero(y, 12));
	/* the 64th other free pushes a out to the free list */
	ops->free(&h, oa[QUAR - 1], p[QUAR - 1], 12);
	PTK_ASSERT_OK(ops->alloc(&h, 12, &x_oa, &x));
	PTK_EXPECT(x == a);
	PTK_EXPECT(all_zero(x, 12));
	ops->free(&h, x_oa, x, 12);
	ops->free(&h, y_oa, y, 12);
	PTK_EXPECT_EQ(h.stats.allocs, QUAR + 3);
	PTK_EXPECT_EQ(h.stats.frees, QUAR + 3);
	PTK_EXPECT_EQ(h.stats.live, 0);
	PTK_EXPECT_EQ(h.stats.live_bytes, 0);
	/* fini with a full quarantine (ASan: nothing leaks or stays poisoned) */
	ptk_mem_heap_fini(&h);
}

PTK_TEST(arena_quarantine)
{
	struct ptk_mem_arena ar;
	const struct ptk_mem_ops *ops;
	ptk_oa_t a_oa, oa[QUAR], x_oa, y_oa;
	void *a, *p[QUAR], *x, *y;
	unsigned int i;

	PTK_ASSERT_OK(ptk_mem_arena_create(&ar, 0x200000, 1 << 20));
	ops = ar.mem.ops;
	PTK_ASSERT_OK(ops->alloc(&ar, 9, &a_oa, &a));
	for (i = 0; i < QUAR; i++)
		PTK_ASSERT_OK(ops->alloc(&ar, 9, &oa[i], &p[i]));
	memset(a, 0x3c, 512);
	ops->free(&ar, a_oa, a, 9);
	/* the arena is simulated physical memory: never ASan-poisoned */
	PTK_EXPECT(all_poison(ptk_mem_arena_ptr(&ar, a_oa), 9));
	for (i = 0; i + 1 < QUAR; i++)
		ops->free(&ar, oa[i], p[i], 9);
	PTK_EXPECT(all_poison(a, 9));
	PTK_EXPECT(all_poison(p[0], 9));
	PTK_ASSERT_OK(ops->alloc(&ar, 9, &y_oa, &y));
	PTK_EXPECT(y_oa != a_oa);
	PTK_EXPECT(all_zero(y, 9));
	/* the 64th other free pushes a out to the free list */
	ops->free(&ar, oa[QUAR - 1], p[QUAR - 1], 9);
	PTK_ASSERT_OK(ops->alloc(&ar, 9, &x_oa, &x));
	PTK_EXPECT_EQ(x_oa, a_oa);
	PTK_EXPECT(all_zero(x, 9));
	ops->free(&ar, x_oa, x, 9);
	ops->free(&ar, y_oa, y, 9);
	PTK_EXPECT_EQ(ar.stats.allocs, QUAR + 3);
	PTK_EXPECT_EQ(ar.stats.frees, QUAR + 3);
	PTK_EXPECT_EQ(ar.stats.live, 0);
	ptk_mem_arena_destroy(&ar);
}

PTK_TEST(arena_quarantine_when_full)
{
	static unsigned char buf[16 * 4096] __attribute__((aligned(4096)));
	struct ptk_mem_arena ar;
	const struct ptk_mem_ops *ops;
	ptk_oa_t oa[16];
	void *p[16];
	unsigned int i;

	/* 16 pages, all allocated, freed (quarantined), allocated again:
	 * the quarantine yields rather than fail the allocation */
	PTK_ASSERT_OK(ptk_mem_arena_init(&ar, buf, 0x40000000, sizeof(buf)));
	ops = ar.mem.ops;
	for (i = 0; i < 16; i++)
		PTK_ASSERT_OK(ops->alloc(&ar, 12, &oa[i], &p[i]));
	PTK_EXPECT_RC(ops->alloc(&ar, 12, &oa[0], &p[0]), PTK_ENOMEM);
	for (i = 0; i < 16; i++)
		ops->free(&ar, oa[i], p[i], 12);
	for (i = 0; i < 16; i++) {
		PTK_ASSERT_OK(ops->alloc(&ar, 12, &oa[i], &p[i]));
		PTK_EXPECT(all_zero(p[i], 12));
	}
	PTK_EXPECT_RC(ops->alloc(&ar, 12, &oa[0], &p[0]), PTK_ENOMEM);
	PTK_EXPECT_EQ(ar.stats.live, 16);
}
#endif /* PTK_DEBUG >= 2 */

static const struct ptk_test tests[] = {
	PTK_TEST_ENTRY(ebr_init),
	PTK_TEST_ENTRY(ebr_retire_no_readers),
	PTK_TEST_ENTRY(ebr_reader_holds_back),
	PTK_TEST_ENTRY(ebr_late_reader),
	PTK_TEST_ENTRY(ebr_synchronize_frees_all),
	PTK_TEST_ENTRY(ebr_fini_frees_rest),
	PTK_TEST_ENTRY(ebr_every_slot),
	PTK_TEST_ENTRY(ebr_ring_full_waits),
	PTK_TEST_ENTRY(ebr_stress),
#if PTK_DEBUG >= 2
	PTK_TEST_ENTRY(heap_quarantine),
	PTK_TEST_ENTRY(arena_quarantine),
	PTK_TEST_ENTRY(arena_quarantine_when_full),
#endif
	PTK_TEST_END,
};

PTK_TEST_MAIN(tests)
