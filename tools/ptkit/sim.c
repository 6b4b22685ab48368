// SPDX-License-Identifier: MIT
/*
 * `ptkit sim [TRACE]`: replay a program's memory history through ptkit
 * address spaces (ptkit/space.h) and the software TLB (ptkit/tlb.h), and
 * report what the tables and the TLB cost.
 *
 * Traces. A valgrind lackey log with syscalls (`valgrind --tool=lackey
 * --trace-mem=yes --trace-syscalls=yes --log-file=F prog`): I/L/S/M
 * lines are accesses, SYSCALL[pid,tid](nr) lines the syscalls. Or an
 * `strace -f` log: syscalls alone, and every page a successful mmap,
 * brk or mremap adds is touched once when it is added (an upper bound
 * of what the program touched). The format is told from the first
 * lines. A .gz trace is read through the system's zlib, opened at run
 * time (as the kdump reader opens its codecs), so that no -dev package
 * is a build dependency.
 *
 * Processes. Each pid has a space; fork (a clone without CLONE_VM)
 * makes the child's with ptk_space_fork() and gives it a new ASID in
 * the one TLB all spaces share; execve empties the space; exit_group
 * destroys it. Lackey's access lines carry no pid: they belong to the
 * pid of the last SYSCALL line (true for one process; for a trace where
 * processes interleave, record one log per process with --log-file=F.%p).
 *
 * Mappings. Every region is anonymous memory (&ptk_region_anon): a
 * file mapping's first touch allocates a frame as an anonymous page's
 * does, and processes share no page cache; MAP_SHARED regions stay
 * shared across fork. Lengths are rounded out to the format's smallest
 * page, and a traced mmap replaces whatever the model had there (the
 * kernel found it free, or the call had MAP_FIXED).
 *
 * Untraced memory. What exists before the first traced syscall (the
 * program, the loader, the stack set up by valgrind or the kernel) is
 * touched without any mmap: an access outside every region makes an
 * anonymous read-write-execute region of the one page it touches (the
 * space merges neighbours), counted as untraced; so do the holes of a
 * range mprotect or mremap names. An address a traced munmap, mremap or
 * brk released stays released until a traced syscall maps it again: an
 * access there is an error (the trace's line is named).
 */
#define _DEFAULT_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ptkit.h>
#include <ptkit/hash.h>
#include <ptkit/space.h>
#include <ptkit/tlb.h>

#include "cmd.h"
#include "out.h"

#define SIM_REGIONS 65536u /* per space, as Linux's vm.max_map_count */
#define SIM_FRAMES_LG2 22 /* simulated memory: 2^22 smallest pages */
#define SIM_LINE 65536
#define SIM_MAX_PROCS 4096u

/* Linux's numbers, as both tracers print them (lackey in decimal). */
#define L_PROT_READ 0x1u
#define L_PROT_WRITE 0x2u
#define L_PROT_EXEC 0x4u
#define L_MAP_SHARED 0x1u
#define L_MAP_FIXED 0x10u
#define L_CLONE_VM 0x100u

/* --- reading lines, plain or gzip */

typedef void *(*gzopen_fn)(const char *path, const char *mode);
typedef char *(*gzgets_fn)(void *gz, char *buf, int len);
typedef int (*gzclose_fn)(void *gz);

struct reader {
	FILE *f;
	void *gz;
	void *lib;
	gzgets_fn gets;
	gzclose_fn close;
};

static bool is_gz(const char *path)
{
	size_t n = strlen(path);

	return n > 3 && !strcmp(path + n - 3, ".gz");
}

static int reader_open(struct reader *r, const char *path)
{
	gzopen_fn open_fn;
	void *p;

	memset(r, 0, sizeof(*r));
	if (!strcmp(path, "-")) {
		r->f = stdin;
		return 0;
	}
	if (!is_gz(path)) {
		r->f = fopen(path, "r");
		if (!r->f) {
			ptk_tool_err("sim: cannot open %s: %s", path,
				     strerror(errno));
			return -1;
		}
		return 0;
	}
	r->lib = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!r->lib) {
		ptk_tool_err(
			"sim: %s is gzip-compressed and the system's zlib (libz.so.1, package zlib1g) cannot be loaded: install it or decompress the trace",
			path);
		return -1;
	}
	/* dlsym() returns an object pointer; POSIX guarantees it converts
	 * to a function pointer, which ISO C leaves to memcpy. */
	p = dlsym(r->lib, "gzopen");
	memcpy(&open_fn, &p, sizeof(p));
	p = dlsym(r->lib, "gzgets");
	memcpy(&r->gets, &p, sizeof(p));
	p = dlsym(r->lib, "gzclose");
	memcpy(&r->close, &p, sizeof(p));
	if (!open_fn || !r->gets || !r->close) {
		ptk_tool_err("sim: libz.so.1 lacks gzopen/gzgets/gzclose");
		dlclose(r->lib);
		return -1;
	}
	r->gz = open_fn(path, "rb");
	if (!r->gz) {
		ptk_tool_err("sim: cannot open %s: %s", path,
			     errno ? strerror(errno) : "zlib error");
		dlclose(r->lib);
		return -1;
	}
	return 0;
}

static char *reader_gets(struct reader *r, char *buf, int len)
{
	return r->gz ? r->gets(r->gz, buf, len) : fgets(buf, len, r->f);
}

static void reader_close(struct reader *r)
{
	if (r->gz) {
		r->close(r->gz);
		dlclose(r->lib);
	} else if (r->f && r->f != stdin) {
		fclose(r->f);
	}
}

/* --- the simulated machine */

struct range {
	uint64_t va, end;
};

struct proc {
	int pid;
	uint16_t asid;
	struct ptk_table t;
	struct ptk_space s;
	struct ptk_region *reg;
	struct ptk_tlb_space tsp;
	struct range *rel; /* released ranges, sorted, disjoint */
	unsigned int nrel, caprel;
	bool brk_known;
	bool implicit; /* made on first sight, not by a fork seen */
};

struct point {
	uint64_t events;
	uint64_t table_bytes;
	uint64_t faults;
	uint64_t cow;
	uint64_t hits;
	uint64_t misses;
	uint64_t refs, refs_nopwc;
	uint64_t untraced_pages;
	uint64_t per_level[PTK_MAX_LEVELS]; /* tables, or hashed records */
};

struct level_fig {
	uint64_t tables[PTK_MAX_LEVELS]; /* radix: tables per level, roots in */
	uint64_t records[PTK_MAX_LEVELS]; /* hashed */
	uint64_t slots[PTK_MAX_LEVELS];
	uint64_t sum_records, sum_slots, probe_sum;
	uint64_t bytes;
	uint64_t events;
};

struct sim {
	/* options */
	const char *path;
	const struct ptk_fmt *f;
	bool hashed;
	unsigned int thp_lg2;
	bool skip_errors;
	uint64_t every;
	bool strace;
	/* machine */
	unsigned int s0;
	uint64_t va_limit;
	struct ptk_mem_heap heap;
	struct ptk_frames fr;
	uint32_t *ref;
	struct ptk_tlb tlb;
	struct ptk_tlb_entry *te;
	struct ptk_tlb_opts to;
	struct proc **p;
	unsigned int np;
	struct proc *cur;
	struct proc *prev; /* the process that made a syscall before cur */
	uint16_t next_asid;
	/* counters */
	uint64_t line;
	uint64_t events, accesses, syscalls, modelled;
	uint64_t procs, forks, execs, exits;
	uint64_t untraced_pages;
	uint64_t errors, bad_lines;
	uint64_t table_peak, resident_peak;
	struct ptk_space_stats dead; /* of spaces gone */
	struct level_fig at_peak;
	struct point *pts;
	size_t npts, cappts;
	char first_err[512];
	/* pids that share another's space (threads, vfork children) */
	struct {
		int pid;
		struct proc *p;
	} * alias;
	unsigned int nalias, capalias;
	/* strace: calls cut by another process's line, per pid */
	struct {
		int pid;
		char text[1024];
	} pend[8];
};

static int sim_fail(struct sim *sm, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* A trace error at the current line: counted, and kept or printed. */
static int sim_fail(struct sim *sm, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sm->errors++;
	if (!sm->first_err[0])
		snprintf(sm->first_err, sizeof(sm->first_err),
			 "%s:%" PRIu64 ": %s", sm->path, sm->line, msg);
	if (!sm->skip_errors)
		ptk_tool_err("sim: %s:%" PRIu64 ": %s", sm->path, sm->line,
			     msg);
	return -1;
}

static uint64_t pmask(const struct sim *sm)
{
	return (UINT64_C(1) << sm->s0) - 1;
}

static struct ptk_space_stats total_stats(const struct sim *sm)
{
	struct ptk_space_stats t = sm->dead;
	unsigned int i;

	for (i = 0; i < sm->np; i++) {
		t.faults += sm->p[i]->s.stats.faults;
		t.cow_copies += sm->p[i]->s.stats.cow_copies;
		t.cow_reuses += sm->p[i]->s.stats.cow_reuses;
		t.errors += sm->p[i]->s.stats.errors;
	}
	return t;
}

/* Tables per level (or the hashes' shape) of every live space. */
static void levels_now(struct sim *sm, struct level_fig *lf)
{
	unsigned int i, l, top = sm->f->levels - 1u;

	memset(lf, 0, sizeof(*lf));
	lf->bytes = sm->heap.stats.live_bytes;
	lf->events = sm->events;
	for (i = 0; i < sm->np; i++) {
		const struct ptk_table *t = &sm->p[i]->t;

		if (sm->hashed) {
			struct ptk_hash_stats hs;

			if (ptk_hash_stats(&hs, t))
				continue;
			for (l = 0; l < sm->f->levels; l++) {
				lf->records[l] += hs.records[l];
				lf->slots[l] += hs.slots[l];
			}
			lf->sum_records += hs.sum_records;
			lf->sum_slots += hs.sum_slots;
			lf->probe_sum += hs.probe_sum;
		} else {
			for (l = 0; l < sm->f->levels; l++)
				lf->tables[l] += ptk_table_count(t, l);
			lf->tables[top]++; /* the root */
		}
	}
}

/* Before a space goes: keep the figures if they are the largest yet. */
static void levels_mark(struct sim *sm)
{
	struct level_fig lf;

	if (sm->heap.stats.live_bytes < sm->at_peak.bytes)
		return;
	levels_now(sm, &lf);
	sm->at_peak = lf;
}

static void sim_point(struct sim *sm)
{
	struct ptk_space_stats st = total_stats(sm);
	struct ptk_tlb_stats ts;
	struct level_fig lf;
	struct point *pt;

	if (sm->npts == sm->cappts) {
		size_t n = sm->cappts ? 2 * sm->cappts : 256;
		struct point *np = realloc(sm->pts, n * sizeof(*np));

		if (!np)
			return;
		sm->pts = np;
		sm->cappts = n;
	}
	ptk_tlb_stats(&sm->tlb, &ts);
	pt = &sm->pts[sm->npts++];
	pt->events = sm->events;
	pt->table_bytes = sm->heap.stats.live_bytes;
	pt->faults = st.faults;
	pt->cow = st.cow_copies + st.cow_reuses;
	pt->hits = ts.hits;
	pt->misses = ts.misses;
	pt->refs = ts.walk_refs;
	pt->refs_nopwc = ts.walk_refs_nopwc;
	pt->untraced_pages = sm->untraced_pages;
	levels_now(sm, &lf);
	memcpy(pt->per_level, sm->hashed ? lf.records : lf.tables,
	       sizeof(pt->per_level));
	if (lf.bytes >= sm->at_peak.bytes)
		sm->at_peak = lf;
}

static void sim_event(struct sim *sm)
{
	sm->events++;
	if (sm->heap.stats.live_bytes > sm->table_peak)
		sm->table_peak = sm->heap.stats.live_bytes;
	if (sm->fr.live > sm->resident_peak)
		sm->resident_peak = sm->fr.live;
	if (sm->every && sm->events % sm->every == 0)
		sim_point(sm);
}

/* --- released ranges: what a traced syscall took away */

static bool rel_has(const struct proc *p, uint64_t va)
{
	unsigned int lo = 0, hi = p->nrel;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (p->rel[mid].end <= va)
			lo = mid + 1;
		else if (p->rel[mid].va > va)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* Take [va, end) out of the released set. */
static int rel_cut(struct proc *p, uint64_t va, uint64_t end)
{
	unsigned int i, n = 0;
	struct range *out;

	if (!p->nrel)
		return 0;
	out = malloc((p->nrel + 1) * sizeof(*out));
	if (!out)
		return -1;
	for (i = 0; i < p->nrel; i++) {
		struct range r = p->rel[i];

		if (r.end <= va || r.va >= end) {
			out[n++] = r;
			continue;
		}
		if (r.va < va)
			out[n++] = (struct range){ r.va, va };
		if (r.end > end)
			out[n++] = (struct range){ end, r.end };
	}
	free(p->rel);
	p->rel = out;
	p->nrel = n;
	p->caprel = p->nrel + 1;
	return 0;
}

/* Add [va, end) to the released set, merging. */
static int rel_add(struct proc *p, uint64_t va, uint64_t end)
{
	unsigned int i, j;

	if (rel_cut(p, va, end))
		return -1;
	if (p->nrel + 1 > p->caprel) {
		unsigned int n = p->caprel ? 2 * p->caprel : 16;
		struct range *nr = realloc(p->rel, n * sizeof(*nr));

		if (!nr)
			return -1;
		p->rel = nr;
		p->caprel = n;
	}
	for (i = 0; i < p->nrel && p->rel[i].va < va; i++)
		;
	memmove(&p->rel[i + 1], &p->rel[i], (p->nrel - i) * sizeof(*p->rel));
	p->rel[i] = (struct range){ va, end };
	p->nrel++;
	/* merge touching neighbours */
	for (i = j = 0; i < p->nrel; i++) {
		if (j && p->rel[j - 1].end == p->rel[i].va)
			p->rel[j - 1].end = p->rel[i].end;
		else
			p->rel[j++] = p->rel[i];
	}
	p->nrel = j;
	return 0;
}

/* --- processes */

static struct proc *proc_find(struct sim *sm, int pid)
{
	unsigned int i;

	for (i = 0; i < sm->np; i++)
		if (sm->p[i]->pid == pid)
			return sm->p[i];
	for (i = 0; i < sm->nalias; i++)
		if (sm->alias[i].pid == pid)
			return sm->alias[i].p;
	return NULL;
}

/* Drop the alias @pid, or (@pid INT_MIN) every alias of @p. */
static bool alias_drop(struct sim *sm, int pid, const struct proc *p)
{
	unsigned int i, j;
	bool found = false;

	for (i = j = 0; i < sm->nalias; i++) {
		if (sm->alias[i].pid == pid || sm->alias[i].p == p) {
			found = true;
			continue;
		}
		sm->alias[j++] = sm->alias[i];
	}
	sm->nalias = j;
	return found;
}

static int alias_add(struct sim *sm, int pid, struct proc *p)
{
	if (sm->nalias == sm->capalias) {
		unsigned int n = sm->capalias ? 2 * sm->capalias : 16;
		void *na = realloc(sm->alias, n * sizeof(*sm->alias));

		if (!na)
			return sim_fail(sm, "out of memory");
		sm->alias = na;
		sm->capalias = n;
	}
	sm->alias[sm->nalias].pid = pid;
	sm->alias[sm->nalias++].p = p;
	return 0;
}

static void proc_free(struct proc *p)
{
	free(p->reg);
	free(p->rel);
	free(p);
}

/* A new process with an empty space, or NULL (the message is out). */
static struct proc *proc_new(struct sim *sm, int pid)
{
	struct proc *p;
	int rc;

	if (sm->np >= SIM_MAX_PROCS) {
		sim_fail(sm, "more than %u processes at once", SIM_MAX_PROCS);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->reg = malloc(SIM_REGIONS * sizeof(*p->reg));
	if (!p || !p->reg) {
		free(p);
		sim_fail(sm, "out of memory");
		return NULL;
	}
	p->pid = pid;
	rc = ptk_table_create_impl(&p->t, sm->f, &sm->heap.mem,
				   sm->hashed ? &ptk_hash_ops : NULL, NULL, 0);
	if (!rc)
		rc = ptk_space_init(&p->s, &p->t, &sm->fr, p->reg, SIM_REGIONS,
				    0);
	if (!rc) {
		p->asid = sm->next_asid;
		/* ASIDs are 16 bits: reuse from 1, flushing the one reused */
		sm->next_asid = sm->next_asid == UINT16_MAX ? 1
							    : sm->next_asid + 1;
		ptk_tlb_flush_asid(&sm->tlb, p->asid);
		rc = ptk_tlb_attach(&p->tsp, &sm->tlb, &p->t, p->asid, 0,
				    sm->va_limit);
		if (rc) {
			ptk_space_fini(&p->s);
			ptk_table_destroy(&p->t);
		}
	} else {
		ptk_table_destroy(&p->t);
	}
	if (rc) {
		sim_fail(sm, "cannot make a space: %s", ptk_strerror(rc));
		proc_free(p);
		return NULL;
	}
	sm->p[sm->np++] = p;
	sm->procs++;
	return p;
}

/* Before a space empties: its counters go to the dead's, its tables
 * to the peak snapshot if they are the largest yet. */
static void stats_retire(struct sim *sm, struct proc *p)
{
	levels_mark(sm);
	sm->dead.faults += p->s.stats.faults;
	sm->dead.cow_copies += p->s.stats.cow_copies;
	sm->dead.cow_reuses += p->s.stats.cow_reuses;
	sm->dead.errors += p->s.stats.errors;
	p->s.stats = (struct ptk_space_stats){ 0 };
}

static void proc_end(struct sim *sm, struct proc *p)
{
	unsigned int i;

	stats_retire(sm, p);
	ptk_tlb_detach(&p->tsp);
	ptk_space_fini(&p->s);
	ptk_table_destroy(&p->t);
	alias_drop(sm, INT_MIN, p);
	for (i = 0; i < sm->np && sm->p[i] != p; i++)
		;
	sm->p[i] = sm->p[--sm->np];
	if (sm->prev == p)
		sm->prev = NULL;
	if (sm->cur == p) {
		/* lackey's next accesses, before the next SYSCALL line, are
		 * the process that ran before (one left: that one) */
		sm->cur = sm->prev ? sm->prev : sm->np ? sm->p[0] : NULL;
		sm->prev = NULL;
	}
	proc_free(p);
}

/* The process of @pid, made on first sight (the first one traced). */
static struct proc *proc_get(struct sim *sm, int pid)
{
	struct proc *p = proc_find(sm, pid);

	if (!p && sm->cur && sm->cur->pid == -1) {
		/* accesses came before any pid was named: that was this one */
		sm->cur->pid = pid;
		p = sm->cur;
	}
	if (!p) {
		p = proc_new(sm, pid);
		if (p)
			p->implicit = true;
	}
	return p;
}

/* --- memory */

static void untraced_page(struct sim *sm, struct proc *p, uint64_t va)
{
	struct ptk_region_desc d = {
		.prot = PTK_PROT_RWX | PTK_PROT_USER,
		.flags = PTK_MMAP_FIXED,
		.max_page_lg2 = sm->thp_lg2,
		.ops = &ptk_region_anon,
	};

	if (!ptk_space_mmap(&p->s, va & ~pmask(sm), pmask(sm) + 1, &d))
		sm->untraced_pages++;
}

/* Make untraced regions of the holes of [va, end) not released. */
static int adopt_holes(struct sim *sm, struct proc *p, uint64_t va,
		       uint64_t end)
{
	uint64_t a;

	for (a = va; a < end; a += pmask(sm) + 1) {
		const struct ptk_region *r = ptk_space_region(&p->s, a);

		if (r) {
			a = r->end - (pmask(sm) + 1);
			continue;
		}
		if (!rel_has(p, a))
			untraced_page(sm, p, a);
	}
	return 0;
}

static uint32_t ptk_prot(uint64_t lprot)
{
	uint32_t prot = PTK_PROT_USER;

	if (lprot & L_PROT_READ)
		prot |= PTK_PROT_READ;
	if (lprot & L_PROT_WRITE)
		prot |= PTK_PROT_WRITE;
	if (lprot & L_PROT_EXEC)
		prot |= PTK_PROT_EXEC;
	return prot;
}

static const char *access_name(unsigned int a)
{
	return a & PTK_PROT_WRITE  ? "write"
	       : a & PTK_PROT_EXEC ? "instruction fetch"
				   : "read";
}

/*
 * One access of one page, as a CPU does it: the TLB, a walk on a miss;
 * a fault (not present, or not allowed: copy-on-write) goes to the
 * space, and the access is retried (one more miss and walk).
 */
static int sim_touch(struct sim *sm, struct proc *p, uint64_t va,
		     unsigned int access)
{
	struct ptk_tlb_result r;
	int rc;

	if (va >= sm->va_limit)
		return sim_fail(sm,
				"address 0x%" PRIx64
				" is beyond the format's user addresses",
				va);
	rc = ptk_tlb_translate(&p->tsp, va, &r);
	if (!rc && (r.prot & access) == access)
		return 0;
	rc = ptk_space_access(&p->s, va, access, NULL);
	if (rc == PTK_EFAULT && !ptk_space_region(&p->s, va) &&
	    !rel_has(p, va)) {
		untraced_page(sm, p, va);
		rc = ptk_space_access(&p->s, va, access, NULL);
	}
	if (rc) {
		if (rc == PTK_EFAULT && !ptk_space_region(&p->s, va))
			return sim_fail(
				sm,
				"%s at 0x%" PRIx64
				": no mapping there (unmapped by the trace)",
				access_name(access), va);
		if (rc == PTK_EFAULT)
			return sim_fail(sm,
					"%s at 0x%" PRIx64
					": the mapping's protection forbids it",
					access_name(access), va);
		return sim_fail(sm, "%s at 0x%" PRIx64 ": %s",
				access_name(access), va, ptk_strerror(rc));
	}
	/* the access again: one more miss and walk */
	rc = ptk_tlb_translate(&p->tsp, va, &r);
	if (!rc && (r.prot & access) != access) {
		/* a stale entry (a permission raised without invalidation)
		 * goes, as a spurious fault's handler flushes it */
		ptk_tlb_flush_range(&sm->tlb, p->asid, va & ~pmask(sm),
				    pmask(sm) + 1);
		ptk_tlb_translate(&p->tsp, va, NULL);
	}
	return 0;
}

static int sim_access(struct sim *sm, uint64_t va, uint64_t size,
		      unsigned int access)
{
	struct proc *p = sm->cur;
	uint64_t last, a;
	int rc = 0;

	if (!p) {
		/* an access before any process: the traced one */
		p = proc_new(sm, -1);
		if (!p)
			return -1;
		sm->cur = p;
	}
	sm->accesses++;
	last = va + (size ? size - 1 : 0);
	if (last < va)
		return sim_fail(sm, "access wraps around the address space");
	for (a = va & ~pmask(sm); !rc; a += pmask(sm) + 1) {
		rc = sim_touch(sm, p, a < va ? va : a, access);
		if (a >= (last & ~pmask(sm)))
			break;
	}
	sim_event(sm);
	return rc;
}

/* strace replays: touch each page of a new range once. */
static void populate(struct sim *sm, struct proc *p, uint64_t va, uint64_t len,
		     uint32_t prot)
{
	uint64_t a;

	if (!sm->strace || !(prot & PTK_PROT_READ))
		return;
	for (a = va; a < va + len; a += pmask(sm) + 1) {
		sim_touch(sm, p, a, PTK_PROT_READ);
		sim_event(sm);
	}
}

/* --- syscalls */

enum sc {
	SC_OTHER,
	SC_MMAP,
	SC_MUNMAP,
	SC_MPROTECT,
	SC_MREMAP,
	SC_BRK,
	SC_CLONE,
	SC_FORK,
	SC_VFORK,
	SC_EXECVE,
	SC_EXIT,
	SC_EXIT_GROUP,
};

static enum sc sc_of(const char *name, size_t n)
{
	static const struct {
		const char *s;
		enum sc sc;
	} t[] = {
		{ "mmap", SC_MMAP },	 { "mmap2", SC_MMAP },
		{ "munmap", SC_MUNMAP }, { "mprotect", SC_MPROTECT },
		{ "mremap", SC_MREMAP }, { "brk", SC_BRK },
		{ "clone", SC_CLONE },	 { "clone3", SC_CLONE },
		{ "fork", SC_FORK },	 { "vfork", SC_VFORK },
		{ "execve", SC_EXECVE }, { "execveat", SC_EXECVE },
		{ "exit", SC_EXIT },	 { "exit_group", SC_EXIT_GROUP },
	};
	size_t i;

	if (n > 4 && !strncmp(name, "sys_", 4)) {
		name += 4;
		n -= 4;
	}
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].s) == n && !strncmp(t[i].s, name, n))
			return t[i].sc;
	return SC_OTHER;
}

/* A decoded syscall; args already numbers. */
struct call {
	enum sc sc;
	int pid;
	unsigned int tid, main_tid; /* the caller's, the process's first */
	uint64_t a[6];
	unsigned int na;
	bool ok; /* succeeded */
	uint64_t ret;
	int child; /* fork / clone: the child's pid, or -1 */
	bool vm; /* clone with CLONE_VM: no new space */
};

static int do_mmap(struct sim *sm, struct proc *p, const struct call *c)
{
	uint64_t va = c->ret, len = c->a[1];
	struct ptk_region_desc d = {
		.prot = ptk_prot(c->a[2]),
		.flags = PTK_MMAP_FIXED |
			 (c->a[3] & L_MAP_SHARED ? PTK_REGION_SHARED : 0),
		.max_page_lg2 = sm->thp_lg2,
		.ops = &ptk_region_anon,
	};
	uint64_t end;
	int rc;

	if (c->na < 4)
		return sim_fail(sm, "mmap with %u arguments", c->na);
	end = (va + len + pmask(sm)) & ~pmask(sm);
	va &= ~pmask(sm);
	if (!len || end <= va || end > sm->va_limit)
		return sim_fail(sm,
				"mmap of a bad range 0x%" PRIx64 " + %" PRIu64,
				c->ret, len);
	rc = ptk_space_mmap(&p->s, va, end - va, &d);
	if (rc)
		return sim_fail(sm, "mmap 0x%" PRIx64 " + %" PRIu64 ": %s", va,
				end - va, ptk_strerror(rc));
	rel_cut(p, va, end);
	populate(sm, p, va, end - va, d.prot);
	return 0;
}

static int range_of(struct sim *sm, uint64_t va, uint64_t len, uint64_t *s,
		    uint64_t *e)
{
	*s = va & ~pmask(sm);
	*e = (va + len + pmask(sm)) & ~pmask(sm);
	return !len || *e <= *s || *e > sm->va_limit ? -1 : 0;
}

static int do_munmap(struct sim *sm, struct proc *p, const struct call *c)
{
	uint64_t s, e;
	int rc;

	if (c->na < 2 || range_of(sm, c->a[0], c->a[1], &s, &e))
		return sim_fail(sm, "munmap of a bad range");
	rc = ptk_space_munmap(&p->s, s, e - s);
	if (rc)
		return sim_fail(sm, "munmap 0x%" PRIx64 " + %" PRIu64 ": %s", s,
				e - s, ptk_strerror(rc));
	rel_add(p, s, e);
	return 0;
}

static int do_mprotect(struct sim *sm, struct proc *p, const struct call *c)
{
	uint64_t s, e;
	int rc;

	if (c->na < 3 || range_of(sm, c->a[0], c->a[1], &s, &e))
		return sim_fail(sm, "mprotect of a bad range");
	adopt_holes(sm, p, s, e);
	rc = ptk_space_mprotect(&p->s, s, e - s, ptk_prot(c->a[2]));
	if (rc)
		return sim_fail(sm, "mprotect 0x%" PRIx64 " + %" PRIu64 ": %s",
				s, e - s, ptk_strerror(rc));
	return 0;
}

static int do_mremap(struct sim *sm, struct proc *p, const struct call *c)
{
	uint64_t s, e, ns, ne;
	const struct ptk_region *r;
	int rc;

	if (c->na < 3 || range_of(sm, c->a[0], c->a[1], &s, &e) ||
	    range_of(sm, c->ret, c->a[2], &ns, &ne))
		return sim_fail(sm, "mremap of a bad range");
	adopt_holes(sm, p, s, e);
	/* the kernel found the new range free: untraced pages there go */
	if (ns != s)
		ptk_space_munmap(&p->s, ns, ne - ns);
	else if (ne > e)
		ptk_space_munmap(&p->s, e, ne - e);
	rc = ptk_space_mremap(&p->s, s, e - s, ns, ne - ns);
	if (rc)
		return sim_fail(sm,
				"mremap 0x%" PRIx64 " + %" PRIu64
				" to 0x%" PRIx64 " + %" PRIu64 ": %s",
				s, e - s, ns, ne - ns, ptk_strerror(rc));
	rel_cut(p, ns, ne);
	if (ns != s)
		rel_add(p, s, e);
	else if (ne < e)
		rel_add(p, ne, e);
	if (ne - ns > e - s && ns == s) {
		r = ptk_space_region(&p->s, e);
		populate(sm, p, e, ne - e, r ? r->prot : 0);
	} else if (ns != s) {
		r = ptk_space_region(&p->s, ns);
		populate(sm, p, ns, ne - ns, r ? r->prot : 0);
	}
	return 0;
}

static int do_brk(struct sim *sm, struct proc *p, const struct call *c)
{
	uint64_t cur = 0, want = c->ret;
	int rc;

	if (!p->brk_known) {
		/* the first brk answers where the heap is */
		rc = ptk_space_set_brk(&p->s, (want + pmask(sm)) & ~pmask(sm));
		if (rc)
			return sim_fail(sm, "brk at 0x%" PRIx64 ": %s", want,
					ptk_strerror(rc));
		p->brk_known = true;
		return 0;
	}
	ptk_space_brk(&p->s, 0, &cur);
	want = (want + pmask(sm)) & ~pmask(sm);
	if (want == cur)
		return 0;
	if (want > cur) /* the kernel found it free: untraced pages go */
		ptk_space_munmap(&p->s, cur, want - cur);
	rc = ptk_space_brk(&p->s, want, NULL);
	if (rc)
		return sim_fail(sm, "brk 0x%" PRIx64 " -> 0x%" PRIx64 ": %s",
				cur, want, ptk_strerror(rc));
	if (want < cur) {
		rel_add(p, want, cur);
	} else {
		rel_cut(p, cur, want);
		populate(sm, p, cur, want - cur, PTK_PROT_READ);
	}
	return 0;
}

static int do_fork(struct sim *sm, struct proc *p, const struct call *c)
{
	struct proc *ch;
	int rc;

	if (c->child <= 0)
		return 0;
	ch = proc_find(sm, c->child);
	if (ch && ch != p && ch->implicit && ch->pid == c->child &&
	    !ch->s.stats.faults) {
		/* strace showed the child's first calls before the parent's
		 * clone returned: they ran in the space made now */
		proc_end(sm, ch);
		sm->procs--;
	}
	if (c->vm) /* a thread, or a vfork child: the same space */
		return proc_find(sm, c->child) ? 0 : alias_add(sm, c->child, p);
	if (proc_find(sm, c->child))
		return sim_fail(sm, "fork: pid %d exists already", c->child);
	ch = proc_new(sm, c->child);
	if (!ch)
		return -1;
	rc = ptk_space_fork(&ch->s, &p->s);
	if (rc) {
		proc_end(sm, ch);
		return sim_fail(sm, "fork: %s", ptk_strerror(rc));
	}
	ch->brk_known = p->brk_known;
	if (p->nrel) {
		ch->rel = malloc(p->nrel * sizeof(*ch->rel));
		if (ch->rel) {
			memcpy(ch->rel, p->rel, p->nrel * sizeof(*ch->rel));
			ch->nrel = ch->caprel = p->nrel;
		}
	}
	sm->forks++;
	return 0;
}

static int sim_call(struct sim *sm, const struct call *c)
{
	struct proc *p;
	int rc = 0;

	p = proc_get(sm, c->pid);
	if (!p)
		return -1;
	if (sm->cur != p)
		sm->prev = sm->cur;
	sm->cur = p;
	sm->syscalls++;
	if (c->sc == SC_OTHER || !c->ok)
		goto out;
	sm->modelled++;
	switch (c->sc) {
	case SC_MMAP:
		rc = do_mmap(sm, p, c);
		break;
	case SC_MUNMAP:
		rc = do_munmap(sm, p, c);
		break;
	case SC_MPROTECT:
		rc = do_mprotect(sm, p, c);
		break;
	case SC_MREMAP:
		rc = do_mremap(sm, p, c);
		break;
	case SC_BRK:
		rc = do_brk(sm, p, c);
		break;
	case SC_CLONE:
	case SC_FORK:
	case SC_VFORK:
		rc = do_fork(sm, p, c);
		break;
	case SC_EXECVE:
		if (alias_drop(sm, c->pid, NULL)) {
			/* a vfork child leaves its parent's space */
			p = proc_new(sm, c->pid);
			if (!p)
				return -1;
			sm->cur = p;
			sm->execs++;
			break;
		}
		stats_retire(sm, p);
		ptk_space_fini(&p->s);
		p->nrel = 0;
		p->brk_known = false;
		sm->execs++;
		break;
	case SC_EXIT:
		if (alias_drop(sm, c->pid, NULL) || c->tid != c->main_tid)
			break; /* a thread */
		/* fall through */
	case SC_EXIT_GROUP:
		if (p->pid != c->pid) { /* a thread or vfork child */
			alias_drop(sm, c->pid, NULL);
			break;
		}
		proc_end(sm, p);
		sm->exits++;
		break;
	default:
		break;
	}
out:
	sim_event(sm);
	return rc;
}

/* --- parsing */

static const char *skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* lackey: "I  0401ab70,3", " L 1fff0006f8,8", " S ...", " M ..." */
/* A hexadecimal digit's value, or 16. */
static unsigned int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned int)(c - 'A' + 10);
	return 16;
}

static int lackey_access(struct sim *sm, const char *s)
{
	unsigned int access, n;
	uint64_t va, size;

	s = skip_sp(s);
	switch (*s) {
	case 'I':
		access = PTK_PROT_EXEC;
		break;
	case 'L':
		access = PTK_PROT_READ;
		break;
	case 'S':
	case 'M':
		access = PTK_PROT_WRITE;
		break;
	default:
		return 1;
	}
	s = skip_sp(s + 1);
	/* by hand: strtoull was a third of a replay's instructions */
	for (va = 0, n = 0; n < 17; n++, s++) {
		unsigned int d = hex_digit(*s);

		if (d > 15)
			break;
		va = va << 4 | d;
	}
	if (!n || n > 16 || *s != ',')
		return sim_fail(sm, "bad address in an access line");
	for (s++, size = 0, n = 0; n < 10 && *s >= '0' && *s <= '9'; n++, s++)
		size = size * 10 + (uint64_t)(*s - '0');
	if (!n || n == 10 || (*skip_sp(s) && *skip_sp(s) != '\n'))
		return sim_fail(sm, "bad size in an access line");
	return sim_access(sm, va, size, access);
}

/* The numeric arguments of "( a, b, c )": each decimal or 0x hex, any
 * text after the number (a string valgrind shows) ignored. */
static unsigned int parse_args(const char *s, const char *end, uint64_t *a,
			       unsigned int max, bool hex)
{
	unsigned int n = 0;

	while (s < end && n < max) {
		char *e;

		s = skip_sp(s);
		a[n++] = strtoull(s, &e, hex ? 16 : 0);
		s = memchr(e, ',', (size_t)(end - e));
		if (!s)
			break;
		s++;
	}
	return n;
}

/* The result of "... Success(0x4835000)" / "Failure(0x2)". */
static bool parse_result(const char *s, uint64_t *ret)
{
	const char *r = strstr(s, "Success(");

	if (!r)
		return false;
	*ret = strtoull(r + 8, NULL, 16);
	return true;
}

/* "SYSCALL[pid,tid](nr) name ( args ) --> ... Success(x)" */
static int lackey_syscall(struct sim *sm, const char *s)
{
	struct call c = { 0 };
	const char *name, *open, *close, *ch;
	size_t n;
	char *e;

	c.child = -1;
	c.main_tid = 1; /* valgrind numbers its threads from 1 */
	errno = 0;
	c.pid = (int)strtol(s + 8, &e, 10);
	if (*e != ',')
		return sim_fail(sm, "bad SYSCALL line (pid)");
	c.tid = (unsigned int)strtoul(e + 1, &e, 10);
	if (*e != ']' || e[1] != '(')
		return sim_fail(sm, "bad SYSCALL line (tid)");
	e = strchr(e, ')');
	if (!e)
		return sim_fail(sm, "bad SYSCALL line (number)");
	name = skip_sp(e + 1);
	if (!strncmp(name, "...", 3)) {
		/* the end of a call valgrind ran asynchronously: the ones
		 * modelled here never are */
		struct proc *p = proc_get(sm, c.pid);

		if (p)
			sm->cur = p;
		return p ? 0 : -1;
	}
	for (n = 0; name[n] && name[n] != ' ' && name[n] != '('; n++)
		;
	c.sc = sc_of(name, n);
	open = strchr(name, '(');
	close = open ? strrchr(open, ')') : NULL;
	if (c.sc == SC_OTHER || !open) {
		c.sc = SC_OTHER;
		return sim_call(sm, &c);
	}
	/* the closing parenthesis of the arguments: before " -->" */
	ch = strstr(open, "-->");
	if (ch) {
		for (close = ch; close > open && *close != ')'; close--)
			;
	}
	if (!close || close <= open)
		close = open + strlen(open);
	c.na = parse_args(open + 1, close, c.a, 6, c.sc == SC_CLONE);
	c.ok = parse_result(close, &c.ret);
	if (c.sc == SC_CLONE || c.sc == SC_FORK || c.sc == SC_VFORK) {
		/* "clone(fork): process P created child C"; the result is
		 * on the next line */
		ch = strstr(close, "created child ");
		c.ok = ch != NULL;
		if (ch)
			c.child = atoi(ch + 14);
		c.vm = (c.sc == SC_CLONE && (c.a[0] & L_CLONE_VM)) ||
		       c.sc == SC_VFORK;
	}
	if (c.sc == SC_EXIT || c.sc == SC_EXIT_GROUP || c.sc == SC_EXECVE)
		c.ok = c.sc != SC_EXECVE || parse_result(close, &c.ret) ||
		       !strstr(close, "Failure");
	return sim_call(sm, &c);
}

static int lackey_line(struct sim *sm, const char *s)
{
	int rc;

	/* the common lines first: "I  addr,size", " L addr,size" */
	if ((s[0] == 'I' && s[1] == ' ') ||
	    (s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M'))) {
		rc = lackey_access(sm, s);
		return rc == 1 ? sim_fail(sm, "not a lackey line") : rc;
	}
	if (!strncmp(s, "==", 2) || !strncmp(s, "--", 2) ||
	    !strncmp(s, " -->", 4) || !*skip_sp(s) || *skip_sp(s) == '\n')
		return 0;
	if (!strncmp(s, "SYSCALL[", 8))
		return lackey_syscall(sm, s);
	if (!strncmp(skip_sp(s), "clone(fork): process ", 21)) {
		/* valgrind's fork note, on a line of its own when the child
		 * printed first: "clone(fork): process P created child C" */
		struct call c = { .sc = SC_FORK, .ok = true, .main_tid = 1 };
		const char *ch = strstr(s, " created child ");
		char *e;

		c.pid = (int)strtol(skip_sp(s) + 21, &e, 10);
		if (!ch || e == skip_sp(s) + 21)
			return sim_fail(sm, "bad clone(fork) line");
		c.tid = 1;
		c.child = atoi(ch + 15);
		return sim_call(sm, &c);
	}
	rc = lackey_access(sm, s);
	return rc == 1 ? sim_fail(sm, "not a lackey line") : rc;
}

/* strace's symbolic PROT_* / MAP_* / CLONE_* flags, or a number. */
static uint64_t strace_flags(const char *s, const char *end)
{
	static const struct {
		const char *n;
		uint64_t v;
	} t[] = {
		{ "PROT_READ", L_PROT_READ }, { "PROT_WRITE", L_PROT_WRITE },
		{ "PROT_EXEC", L_PROT_EXEC }, { "MAP_SHARED", L_MAP_SHARED },
		{ "MAP_FIXED", L_MAP_FIXED }, { "CLONE_VM", L_CLONE_VM },
	};
	uint64_t v = 0;
	size_t i;

	s = skip_sp(s);
	if (s < end && *s >= '0' && *s <= '9')
		return strtoull(s, NULL, 0);
	while (s < end) {
		size_t n = 0;

		while (s + n < end && s[n] != '|' && s[n] != ',' &&
		       s[n] != '}' && s[n] != ' ')
			n++;
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strlen(t[i].n) == n && !strncmp(s, t[i].n, n))
				v |= t[i].v;
		if (s + n >= end || s[n] != '|')
			break;
		s += n + 1;
	}
	return v;
}

/* Argument @i of "name(a, b, ...)" in [*b, *e); false when missing.
 * Commas inside braces, brackets and quotes do not count. */
static bool strace_arg(const char *args, const char *end, unsigned int i,
		       const char **b, const char **e)
{
	const char *s = args;
	int depth = 0;
	bool q = false;

	for (*b = s; s < end; s++) {
		if (q) {
			if (*s == '\\' && s + 1 < end)
				s++;
			else if (*s == '"')
				q = false;
			continue;
		}
		if (*s == '"')
			q = true;
		else if (*s == '{' || *s == '[' || *s == '(')
			depth++;
		else if (*s == '}' || *s == ']' || *s == ')')
			depth--;
		else if (*s == ',' && !depth) {
			if (!i--) {
				*e = s;
				return true;
			}
			*b = s + 1;
		}
	}
	*e = end;
	return i == 0;
}

static uint64_t strace_num(const char *b, const char *e)
{
	b = skip_sp(b);
	if (e - b >= 4 && !strncmp(b, "NULL", 4))
		return 0;
	return strtoull(b, NULL, 0);
}

static int strace_call(struct sim *sm, int pid, const char *s)
{
	struct call c = { 0 };
	const char *open, *close, *eq, *b, *e;
	unsigned int i;
	size_t n;

	c.pid = pid;
	c.tid = (unsigned int)pid;
	c.main_tid = c.tid; /* a thread's pid is an alias, found above */
	c.child = -1;
	for (n = 0; s[n] && s[n] != '('; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_' ||
		      (s[n] >= '0' && s[n] <= '9')))
			return sim_fail(sm, "not an strace line");
	if (!s[n] || !n)
		return sim_fail(sm, "not an strace line");
	c.sc = sc_of(s, n);
	open = s + n;
	/* the result: after the last " = " (strace pads before it) */
	for (eq = NULL, b = strstr(open, " = "); b; b = strstr(b + 1, " = "))
		eq = b;
	for (close = eq; close && close > open && *close != ')'; close--)
		;
	if (!eq || close == open) {
		/* exit_group(0) = ? has it too; a line with no result */
		if (c.sc == SC_EXIT_GROUP || c.sc == SC_EXIT) {
			c.ok = true;
			return sim_call(sm, &c);
		}
		return sim_fail(sm, "strace line without a result");
	}
	eq = skip_sp(eq + 3);
	c.ok = *eq != '-' && *eq != '?';
	if (c.sc == SC_EXIT || c.sc == SC_EXIT_GROUP)
		c.ok = true;
	c.ret = strtoull(eq, NULL, 0);
	switch (c.sc) {
	case SC_MMAP:
		for (i = 0; i < 6 && strace_arg(open + 1, close, i, &b, &e);
		     i++)
			c.a[i] = i == 2 || i == 3 ? strace_flags(b, e)
						  : strace_num(b, e);
		c.na = i;
		break;
	case SC_MPROTECT:
	case SC_MUNMAP:
	case SC_MREMAP:
	case SC_BRK:
		for (i = 0; i < 5 && strace_arg(open + 1, close, i, &b, &e);
		     i++)
			c.a[i] = c.sc == SC_MPROTECT && i == 2
					 ? strace_flags(b, e)
					 : strace_num(b, e);
		c.na = i;
		break;
	case SC_CLONE:
	case SC_FORK:
	case SC_VFORK:
		b = strstr(open, "flags=");
		if (b)
			c.vm = strace_flags(b + 6, close) & L_CLONE_VM;
		c.vm |= c.sc == SC_VFORK;
		c.child = c.ok ? (int)c.ret : -1;
		break;
	default:
		break;
	}
	return sim_call(sm, &c);
}

static int strace_line(struct sim *sm, const char *s)
{
	int pid = 0;
	const char *r;
	char *e;
	size_t i;

	if (!strncmp(s, "[pid ", 5)) {
		pid = (int)strtol(s + 5, &e, 10);
		s = skip_sp(*e == ']' ? e + 1 : e);
	} else if (*s >= '0' && *s <= '9') {
		pid = (int)strtol(s, &e, 10);
		s = skip_sp(e);
	}
	if (!*s || *s == '\n' || !strncmp(s, "+++", 3) ||
	    !strncmp(s, "---", 3) || !strncmp(s, "strace: ", 8))
		return 0;
	r = strstr(s, " <unfinished ...>");
	if (r) {
		for (i = 0; i < 8 && sm->pend[i].pid; i++)
			;
		if (i == 8 || (size_t)(r - s) >= sizeof(sm->pend[0].text))
			return sim_fail(sm, "too many unfinished calls");
		sm->pend[i].pid = pid ? pid : -1;
		memcpy(sm->pend[i].text, s, (size_t)(r - s));
		sm->pend[i].text[r - s] = 0;
		return 0;
	}
	if (!strncmp(s, "<... ", 5)) {
		char buf[2048];

		r = strstr(s, " resumed>");
		for (i = 0; i < 8 && sm->pend[i].pid != (pid ? pid : -1); i++)
			;
		if (!r || i == 8)
			return sim_fail(sm, "a resumed call that never began");
		snprintf(buf, sizeof(buf), "%s%s", sm->pend[i].text, r + 9);
		sm->pend[i].pid = 0;
		return strace_call(sm, pid, buf);
	}
	return strace_call(sm, pid, s);
}

/* lackey or strace, from the first line that says. */
static bool looks_lackey(const char *s)
{
	return !strncmp(s, "==", 2) || !strncmp(s, "SYSCALL[", 8) ||
	       !strncmp(s, "I  ", 3) || !strncmp(s, " L ", 3) ||
	       !strncmp(s, " S ", 3) || !strncmp(s, " M ", 3);
}

/* --- the run */

static int sim_setup(struct sim *sm)
{
	const struct ptk_fmt *f = sm->f;
	unsigned int oa_bits = f->oa_bits, l;
	uint64_t nr, base = UINT64_C(1) << 30;
	int rc;

	sm->s0 = f->level_shift[0];
	/* the lower part of the VA space (the user half where the format
	 * sign-extends): the largest 2^k whose last address is valid */
	for (l = f->va_bits < 64 ? f->va_bits : 63; l > 0; l--)
		if (ptk_fmt_va_valid(f, (UINT64_C(1) << l) - 1))
			break;
	sm->va_limit = UINT64_C(1) << l;
	for (l = 0; l < f->levels; l++)
		if ((f->leaf_levels >> l & 1) && f->leaf_oa_bits[l] &&
		    f->leaf_oa_bits[l] < oa_bits)
			oa_bits = f->leaf_oa_bits[l];
	nr = UINT64_C(1) << SIM_FRAMES_LG2;
	if (oa_bits < 64 && ((UINT64_C(1) << oa_bits) - base) >> sm->s0 < nr)
		nr = ((UINT64_C(1) << oa_bits) - base) >> sm->s0;
	sm->ref = calloc(nr, sizeof(*sm->ref));
	sm->te = calloc((size_t)sm->to.sets * sm->to.ways, sizeof(*sm->te));
	sm->p = calloc(SIM_MAX_PROCS, sizeof(*sm->p));
	if (!sm->ref || !sm->te || !sm->p) {
		ptk_tool_err("sim: out of memory");
		return -1;
	}
	/* tables where the format can point to them (x86_32: below 4G) */
	rc = f->table_oa_bits && f->table_oa_bits < 64
		     ? ptk_mem_heap_init_below(&sm->heap, f->table_oa_bits)
		     : ptk_mem_heap_init(&sm->heap);
	if (!rc)
		rc = ptk_frames_init(&sm->fr, base, sm->s0, nr, sm->ref, NULL);
	if (!rc)
		rc = ptk_tlb_init(&sm->tlb, sm->te, &sm->to);
	if (rc) {
		ptk_tool_err("sim: cannot set up: %s", ptk_strerror(rc));
		return -1;
	}
	sm->next_asid = 1;
	return 0;
}

static void sim_teardown(struct sim *sm)
{
	while (sm->np)
		proc_end(sm, sm->p[sm->np - 1]);
	ptk_mem_heap_fini(&sm->heap);
	free(sm->ref);
	free(sm->te);
	free(sm->p);
	free(sm->pts);
	free(sm->alias);
}

static int sim_run(struct sim *sm, struct reader *rd)
{
	static char buf[SIM_LINE];
	bool known = false;
	int rc = 0;

	/* a sentinel: a line that fills the buffer overwrites it */
	buf[sizeof(buf) - 2] = 0;
	while (reader_gets(rd, buf, sizeof(buf))) {
		sm->line++;
		if (buf[sizeof(buf) - 2] && buf[sizeof(buf) - 2] != '\n') {
			sim_fail(sm, "line longer than %d bytes", SIM_LINE - 2);
			return -1;
		}
		if (!known) {
			if (!*skip_sp(buf) || *skip_sp(buf) == '\n')
				continue;
			sm->strace = !looks_lackey(buf);
			known = true;
		}
		rc = sm->strace ? strace_line(sm, buf) : lackey_line(sm, buf);
		if (rc && !sm->skip_errors)
			return -1;
		if (rc)
			sm->bad_lines++;
	}
	if (rd->f && ferror(rd->f)) {
		ptk_tool_err("sim: %s: read error: %s", sm->path,
			     strerror(errno));
		return -1;
	}
	return 0;
}

/* --- output */

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void out_dbl(struct out *o, double v)
{
	out_fmt(o, "%.6g", v);
}

struct totals {
	struct ptk_space_stats st;
	struct ptk_tlb_stats ts;
	double secs;
};

static void print_json(struct sim *sm, const struct totals *tt, bool series)
{
	struct out *o = malloc(sizeof(*o));
	const struct level_fig *lf = &sm->at_peak;
	uint64_t recs = 0;
	unsigned int l;
	size_t i;

	if (!o)
		return;
	out_init(o, stdout);
	out_str(o, "{\"trace\":");
	out_json_str(o, sm->path);
	out_str(o, ",\"trace_format\":");
	out_json_str(o, sm->strace ? "strace" : "lackey");
	out_str(o, ",\"format\":");
	out_json_str(o, sm->f->name);
	out_str(o, ",\"impl\":");
	out_json_str(o, sm->hashed ? "hashed" : "radix");
	out_str(o, ",\"thp\":");
	out_json_str(o, sm->thp_lg2 ? "always" : "never");
	out_fmt(o,
		",\"tlb\":{\"sets\":%u,\"ways\":%u,\"pwc\":%u}"
		",\"lines\":%" PRIu64 ",\"events\":%" PRIu64
		",\"accesses\":%" PRIu64 ",\"syscalls\":%" PRIu64
		",\"syscalls_modelled\":%" PRIu64 ",\"processes\":%" PRIu64
		",\"forks\":%" PRIu64 ",\"execs\":%" PRIu64
		",\"exits\":%" PRIu64,
		sm->to.sets, sm->to.ways, sm->to.pwc, sm->line, sm->events,
		sm->accesses, sm->syscalls, sm->modelled, sm->procs, sm->forks,
		sm->execs, sm->exits);
	out_fmt(o,
		",\"errors\":%" PRIu64 ",\"skipped_lines\":%" PRIu64
		",\"faults\":%" PRIu64 ",\"cow_copies\":%" PRIu64
		",\"cow_reuses\":%" PRIu64 ",\"cow_breaks\":%" PRIu64
		",\"untraced_pages\":%" PRIu64 ",\"untraced_bytes\":%" PRIu64,
		sm->errors, sm->bad_lines, tt->st.faults, tt->st.cow_copies,
		tt->st.cow_reuses, tt->st.cow_copies + tt->st.cow_reuses,
		sm->untraced_pages, sm->untraced_pages << sm->s0);
	out_fmt(o,
		",\"table_bytes_peak\":%" PRIu64 ",\"table_bytes_end\":%" PRIu64
		",\"resident_bytes_peak\":%" PRIu64,
		sm->table_peak, sm->heap.stats.live_bytes,
		sm->resident_peak << sm->s0);
	out_fmt(o,
		",\"at_peak\":{\"events\":%" PRIu64 ",\"table_bytes\":%" PRIu64,
		lf->events, lf->bytes);
	for (l = 0; l < sm->f->levels; l++)
		recs += lf->records[l];
	if (sm->hashed) {
		out_str(o, ",\"records_per_level\":[");
		for (l = 0; l < sm->f->levels; l++)
			out_fmt(o, "%s%" PRIu64, l ? "," : "", lf->records[l]);
		out_str(o, "],\"slots_per_level\":[");
		for (l = 0; l < sm->f->levels; l++)
			out_fmt(o, "%s%" PRIu64, l ? "," : "", lf->slots[l]);
		out_fmt(o,
			"],\"summary_records\":%" PRIu64
			",\"summary_slots\":%" PRIu64 ",\"probe_sum\":%" PRIu64,
			lf->sum_records, lf->sum_slots, lf->probe_sum);
		out_str(o, ",\"probes_per_lookup\":");
		out_dbl(o, ratio(lf->probe_sum, lf->sum_records + recs));
	} else {
		out_str(o, ",\"tables_per_level\":[");
		for (l = 0; l < sm->f->levels; l++)
			out_fmt(o, "%s%" PRIu64, l ? "," : "", lf->tables[l]);
		out_str(o, "]");
	}
	out_fmt(o,
		"},\"tlb_hits\":%" PRIu64 ",\"tlb_misses\":%" PRIu64
		",\"tlb_miss_rate\":",
		tt->ts.hits, tt->ts.misses);
	out_dbl(o, ratio(tt->ts.misses, tt->ts.hits + tt->ts.misses));
	out_fmt(o,
		",\"walk_refs\":%" PRIu64 ",\"walk_refs_nopwc\":%" PRIu64
		",\"refs_per_miss\":",
		tt->ts.walk_refs, tt->ts.walk_refs_nopwc);
	out_dbl(o, ratio(tt->ts.walk_refs, tt->ts.misses));
	out_str(o, ",\"refs_per_miss_nopwc\":");
	out_dbl(o, ratio(tt->ts.walk_refs_nopwc, tt->ts.misses));
	out_str(o, ",\"seconds\":");
	out_dbl(o, tt->secs);
	out_str(o, ",\"events_per_second\":");
	out_dbl(o, tt->secs > 0 ? (double)sm->events / tt->secs : 0.0);
	out_fmt(o, ",\"every\":%" PRIu64 ",\"series\":[", sm->every);
	for (i = 0; series && i < sm->npts; i++) {
		const struct point *pt = &sm->pts[i];
		uint64_t h0 = i ? sm->pts[i - 1].hits : 0;
		uint64_t m0 = i ? sm->pts[i - 1].misses : 0;

		out_fmt(o,
			"%s{\"events\":%" PRIu64 ",\"table_bytes\":%" PRIu64
			",\"faults\":%" PRIu64 ",\"cow_breaks\":%" PRIu64
			",\"tlb_hits\":%" PRIu64 ",\"tlb_misses\":%" PRIu64
			",\"walk_refs\":%" PRIu64
			",\"walk_refs_nopwc\":%" PRIu64
			",\"untraced_pages\":%" PRIu64 ",\"%s\":[",
			i ? "," : "", pt->events, pt->table_bytes, pt->faults,
			pt->cow, pt->hits, pt->misses, pt->refs, pt->refs_nopwc,
			pt->untraced_pages,
			sm->hashed ? "records_per_level" : "tables_per_level");
		for (l = 0; l < sm->f->levels; l++)
			out_fmt(o, "%s%" PRIu64, l ? "," : "",
				pt->per_level[l]);
		out_str(o, "],\"miss_rate\":");
		out_dbl(o, ratio(pt->misses - m0,
				 pt->hits - h0 + pt->misses - m0));
		out_chr(o, '}');
	}
	out_str(o, "]}\n");
	out_flush(o);
	free(o);
}

static void print_text(struct sim *sm, const struct totals *tt)
{
	const struct level_fig *lf = &sm->at_peak;
	uint64_t recs = 0;
	unsigned int l;
	size_t i;

	printf("trace            %s (%s)\n", sm->path,
	       sm->strace ? "strace" : "lackey");
	printf("tables           %s, %s, THP %s\n", sm->f->name,
	       sm->hashed ? "hashed" : "radix",
	       sm->thp_lg2 ? "always" : "never");
	printf("TLB              %u sets x %u ways, walk cache %u\n",
	       sm->to.sets, sm->to.ways, sm->to.pwc);
	if (sm->every && sm->npts) {
		printf("\n%12s %12s %10s %8s %10s\n", "events", "table bytes",
		       "faults", "COW", "miss rate");
		for (i = 0; i < sm->npts; i++) {
			const struct point *pt = &sm->pts[i];
			uint64_t h0 = i ? sm->pts[i - 1].hits : 0;
			uint64_t m0 = i ? sm->pts[i - 1].misses : 0;

			printf("%12" PRIu64 " %12" PRIu64 " %10" PRIu64
			       " %8" PRIu64 " %10.6f\n",
			       pt->events, pt->table_bytes, pt->faults, pt->cow,
			       ratio(pt->misses - m0,
				     pt->hits - h0 + pt->misses - m0));
		}
		printf("\n");
	}
	printf("events           %" PRIu64 " (%" PRIu64 " accesses, %" PRIu64
	       " syscalls, %" PRIu64 " modelled) in %" PRIu64 " lines\n",
	       sm->events, sm->accesses, sm->syscalls, sm->modelled, sm->line);
	printf("processes        %" PRIu64 " (%" PRIu64 " forks, %" PRIu64
	       " execs, %" PRIu64 " exits)\n",
	       sm->procs, sm->forks, sm->execs, sm->exits);
	printf("faults           %" PRIu64 "\n", tt->st.faults);
	printf("COW breaks       %" PRIu64 " (%" PRIu64 " copies, %" PRIu64
	       " reuses)\n",
	       tt->st.cow_copies + tt->st.cow_reuses, tt->st.cow_copies,
	       tt->st.cow_reuses);
	printf("untraced         %" PRIu64 " pages, %" PRIu64 " bytes\n",
	       sm->untraced_pages, sm->untraced_pages << sm->s0);
	printf("table memory     %" PRIu64 " bytes at peak, %" PRIu64
	       " at the end\n",
	       sm->table_peak, sm->heap.stats.live_bytes);
	if (sm->hashed) {
		printf("records/level    ");
		for (l = 0; l < sm->f->levels; l++)
			printf(" %s:%" PRIu64, ptk_fmt_level_name(sm->f, l),
			       lf->records[l]);
		for (l = 0; l < sm->f->levels; l++)
			recs += lf->records[l];
		printf("  (summary %" PRIu64 "; %.3f slots read per lookup)\n",
		       lf->sum_records,
		       ratio(lf->probe_sum, lf->sum_records + recs));
	} else {
		printf("tables/level     ");
		for (l = 0; l < sm->f->levels; l++)
			printf(" %s:%" PRIu64, ptk_fmt_level_name(sm->f, l),
			       lf->tables[l]);
		printf("  (at peak, roots included)\n");
	}
	printf("resident memory  %" PRIu64 " bytes at peak\n",
	       sm->resident_peak << sm->s0);
	printf("TLB              %" PRIu64 " hits, %" PRIu64
	       " misses, miss rate %.6f\n",
	       tt->ts.hits, tt->ts.misses,
	       ratio(tt->ts.misses, tt->ts.hits + tt->ts.misses));
	printf("refs per miss    %.3f with the walk cache, %.3f without\n",
	       ratio(tt->ts.walk_refs, tt->ts.misses),
	       ratio(tt->ts.walk_refs_nopwc, tt->ts.misses));
	printf("errors           %" PRIu64 " (%" PRIu64 " lines skipped)\n",
	       sm->errors, sm->bad_lines);
	printf("speed            %.0f events/s\n",
	       tt->secs > 0 ? (double)sm->events / tt->secs : 0.0);
}

/* --- the plot */

static int write_svg(struct sim *sm, const char *path)
{
	const double W = 800, H = 420, L = 80, R = 80, T = 40, B = 50;
	double pw = W - L - R, ph = H - T - B, maxb = 1, maxr = 0;
	uint64_t maxe = 1;
	FILE *f = fopen(path, "w");
	size_t i;
	int pass;

	if (!f) {
		ptk_tool_err("sim: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < sm->npts; i++) {
		const struct point *pt = &sm->pts[i];
		uint64_t h0 = i ? sm->pts[i - 1].hits : 0;
		uint64_t m0 = i ? sm->pts[i - 1].misses : 0;
		double r =
			ratio(pt->misses - m0, pt->hits - h0 + pt->misses - m0);

		if ((double)pt->table_bytes > maxb)
			maxb = (double)pt->table_bytes;
		if (r > maxr)
			maxr = r;
		if (pt->events > maxe)
			maxe = pt->events;
	}
	if (maxr <= 0)
		maxr = 1;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%.0f\" y=\"22\" font-size=\"14\">ptkit sim: %s, %s, THP %s</text>\n"
		"<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n",
		W, H, L, sm->f->name, sm->hashed ? "hashed" : "radix",
		sm->thp_lg2 ? "always" : "never", L, T, pw, ph);
	fprintf(f,
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">events (%" PRIu64
		" at the right edge)</text>\n"
		"<text x=\"12\" y=\"%.0f\" fill=\"#1f5fbf\">table bytes</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\" fill=\"#1f5fbf\" text-anchor=\"end\">%.0f</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\" fill=\"#1f5fbf\" text-anchor=\"end\">0</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\" fill=\"#c0392b\" text-anchor=\"end\">TLB miss rate</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\" fill=\"#c0392b\">%.4f</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\" fill=\"#c0392b\">0</text>\n",
		L + pw / 2, H - 15, maxe, T - 6, L - 4, T + 10, maxb, L - 4,
		T + ph, W - 4, T - 6, L + pw + 4, T + 10, maxr, L + pw + 4,
		T + ph);
	for (pass = 0; pass < 2; pass++) {
		fprintf(f,
			"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
			pass ? "#c0392b" : "#1f5fbf");
		for (i = 0; i < sm->npts; i++) {
			const struct point *pt = &sm->pts[i];
			uint64_t h0 = i ? sm->pts[i - 1].hits : 0;
			uint64_t m0 = i ? sm->pts[i - 1].misses : 0;
			double v =
				pass ? ratio(pt->misses - m0,
					     pt->hits - h0 + pt->misses - m0) /
						maxr
				     : (double)pt->table_bytes / maxb;

			fprintf(f, "%s%.1f,%.1f", i ? " " : "",
				L + pw * (double)pt->events / (double)maxe,
				T + ph * (1 - v));
		}
		fprintf(f, "\"/>\n");
	}
	fprintf(f, "</svg>\n");
	if (fclose(f)) {
		ptk_tool_err("sim: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* --- the command */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit sim [TRACE] [options]\n"
		"\n"
		"Replay a program's memory history through ptkit address spaces (demand\n"
		"faults, copy-on-write after fork) and a software TLB, and report table\n"
		"memory, tables per level, faults, copy-on-write breaks, TLB hits and\n"
		"misses and table references per miss, over time and in total.\n"
		"\n"
		"TRACE is a valgrind lackey log recorded with\n"
		"  valgrind --tool=lackey --trace-mem=yes --trace-syscalls=yes --log-file=F PROG\n"
		"or an 'strace -f' log (syscalls only: each page a successful mmap, brk or\n"
		"mremap adds is touched once); plain or .gz, '-' for stdin. Without TRACE,\n"
		"the recorded trace installed with ptkit (xz -2 compressing 2292 bytes;\n"
		"see traces/README.md).\n"
		"\n"
		"  --impl radix|hashed  the table implementation (default radix)\n"
		"  --format FMT         the table format (default x86_64; 'ptkit formats')\n"
		"  --tlb SETSxWAYS      the TLB geometry (default 128x8; sets a power of 2)\n"
		"  --pwc N              page-walk cache entries, 0..32 (default 16)\n"
		"  --thp never|always   map 2 MiB-class pages where a region allows\n"
		"                       (default never)\n"
		"  --every N            a time-series point every N events (default 65536;\n"
		"                       0: none)\n"
		"  --on-error stop|skip at a malformed line or an access the trace's own\n"
		"                       mappings forbid: stop with its line (default), or\n"
		"                       count it and go on\n"
		"  --json               one JSON object: the totals and the series\n"
		"  --svg FILE           plot table memory and TLB miss rate over time\n"
		"  --help               this text\n"
		"\n"
		"Memory touched before any traced syscall made it (the program, the loader,\n"
		"the stack) becomes one-page anonymous regions as it is first touched,\n"
		"reported as untraced. Exit status: 0 the replay completed (with --on-error\n"
		"skip: also with skipped lines, counted); 1 usage error; 2 a trace error\n"
		"(file:line: cause on stderr) or a runtime error.\n");
}

/* The default trace: beside an installed ptkit, else in the sources. */
static const char *default_trace(void)
{
	static char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 64);
	char *slash;

	if (n > 0) {
		buf[n] = 0;
		slash = strrchr(buf, '/');
		if (slash) {
			strcpy(slash, "/../" PTK_SIM_TRACE_REL);
			if (!access(buf, R_OK))
				return buf;
		}
	}
	if (!access(PTK_SIM_TRACE_INSTALLED, R_OK))
		return PTK_SIM_TRACE_INSTALLED;
	return PTK_SIM_TRACE_SOURCE;
}

static int parse_tlb(const char *v, struct ptk_tlb_opts *to)
{
	char *e;
	unsigned long s, w;

	errno = 0;
	s = strtoul(v, &e, 10);
	if (e == v || *e != 'x' || errno)
		return -1;
	w = strtoul(e + 1, &e, 10);
	if (*e || errno || !s || s > (1ul << 20) || (s & (s - 1)) || !w ||
	    w > 16)
		return -1;
	to->sets = (unsigned int)s;
	to->ways = (unsigned int)w;
	return 0;
}

/* The TLB holds the format's leaf sizes, smallest first (at most 4). */
static void tlb_sizes(const struct ptk_fmt *f, struct ptk_tlb_opts *to)
{
	unsigned int l;

	to->nr_sizes = 0;
	for (l = 0; l < f->levels && to->nr_sizes < PTK_TLB_MAX_SIZES; l++)
		if (f->leaf_levels >> l & 1)
			to->sizes_lg2[to->nr_sizes++] = f->level_shift[l];
}

int ptk_cmd_sim(int argc, char **argv)
{
	struct sim *sm = calloc(1, sizeof(*sm));
	const char *fmt = "x86_64", *svg = NULL, *v;
	struct reader rd;
	struct totals tt;
	struct timespec t0, t1;
	bool json = false;
	uint64_t n;
	int i, m, rc = PTK_EXIT_USAGE, run;

	if (!sm) {
		ptk_tool_err("sim: out of memory");
		return PTK_EXIT_FAIL;
	}
	sm->every = 65536;
	sm->to = (struct ptk_tlb_opts){ .sets = 128, .ways = 8, .pwc = 16 };
	for (i = 1; i < argc; i++) {
		if (tool_is_help(argv[i])) {
			usage(stdout);
			rc = PTK_EXIT_OK;
			goto out;
		}
		if (!strcmp(argv[i], "--json")) {
			json = true;
			continue;
		}
		if ((m = tool_opt(argc, argv, &i, "--format", &v))) {
			if (m < 0)
				goto out;
			fmt = v;
		} else if ((m = tool_opt(argc, argv, &i, "--impl", &v))) {
			if (m < 0)
				goto out;
			if (strcmp(v, "radix") && strcmp(v, "hashed")) {
				ptk_tool_err(
					"sim: bad --impl '%s' (radix or hashed)",
					v);
				goto out;
			}
			sm->hashed = !strcmp(v, "hashed");
		} else if ((m = tool_opt(argc, argv, &i, "--tlb", &v))) {
			if (m < 0)
				goto out;
			if (parse_tlb(v, &sm->to)) {
				ptk_tool_err(
					"sim: bad --tlb '%s' (SETSxWAYS: sets a power of 2, 1..16 ways)",
					v);
				goto out;
			}
		} else if ((m = tool_opt(argc, argv, &i, "--pwc", &v))) {
			if (m < 0)
				goto out;
			if (tool_parse_count(v, &n) || n > PTK_TLB_PWC_MAX) {
				ptk_tool_err("sim: bad --pwc '%s' (0..%d)", v,
					     PTK_TLB_PWC_MAX);
				goto out;
			}
			sm->to.pwc = (unsigned int)n;
		} else if ((m = tool_opt(argc, argv, &i, "--thp", &v))) {
			if (m < 0)
				goto out;
			if (strcmp(v, "never") && strcmp(v, "always")) {
				ptk_tool_err(
					"sim: bad --thp '%s' (never or always)",
					v);
				goto out;
			}
			sm->thp_lg2 = !strcmp(v, "always") ? 64 : 0;
		} else if ((m = tool_opt(argc, argv, &i, "--every", &v))) {
			if (m < 0)
				goto out;
			if (tool_parse_count(v, &sm->every)) {
				ptk_tool_err("sim: bad --every '%s'", v);
				goto out;
			}
		} else if ((m = tool_opt(argc, argv, &i, "--on-error", &v))) {
			if (m < 0)
				goto out;
			if (strcmp(v, "stop") && strcmp(v, "skip")) {
				ptk_tool_err(
					"sim: bad --on-error '%s' (stop or skip)",
					v);
				goto out;
			}
			sm->skip_errors = !strcmp(v, "skip");
		} else if ((m = tool_opt(argc, argv, &i, "--svg", &v))) {
			if (m < 0)
				goto out;
			svg = v;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			ptk_tool_err("sim: unexpected argument '%s'", argv[i]);
			goto out;
		} else if (sm->path) {
			ptk_tool_err("sim: more than one TRACE given");
			goto out;
		} else {
			sm->path = argv[i];
		}
	}
	sm->f = ptk_fmt_lookup(fmt);
	if (!sm->f) {
		ptk_tool_err("sim: unknown format '%s' (see 'ptkit formats')",
			     fmt);
		goto out;
	}
	if (sm->thp_lg2) {
		/* THP: the format's second leaf size (2 MiB on x86-64) */
		unsigned int l;

		sm->thp_lg2 = 0;
		for (l = 1; l < sm->f->levels && !sm->thp_lg2; l++)
			if (sm->f->leaf_levels >> l & 1)
				sm->thp_lg2 = sm->f->level_shift[l];
	}
	tlb_sizes(sm->f, &sm->to);
	if (!sm->path)
		sm->path = default_trace();
	rc = PTK_EXIT_FAIL;
	if (sim_setup(sm))
		goto out_free;
	if (reader_open(&rd, sm->path))
		goto out_free;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run = sim_run(sm, &rd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	reader_close(&rd);
	if (sm->every &&
	    (!sm->npts || sm->pts[sm->npts - 1].events != sm->events))
		sim_point(sm); /* the end */
	levels_mark(sm);
	tt.st = total_stats(sm);
	ptk_tlb_stats(&sm->tlb, &tt.ts);
	tt.secs = (double)(t1.tv_sec - t0.tv_sec) +
		  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!run) {
		if (json)
			print_json(sm, &tt, true);
		else
			print_text(sm, &tt);
		if (svg && write_svg(sm, svg))
			goto out_free;
		if (sm->errors)
			ptk_tool_err("sim: %" PRIu64
				     " errors skipped; the first: %s",
				     sm->errors, sm->first_err);
		rc = PTK_EXIT_OK;
	}
out_free:
	sim_teardown(sm);
out:
	free(sm);
	return rc;
}
