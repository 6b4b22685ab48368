// SPDX-License-Identifier: MIT
/*
 * `ptkit snapshot PID [-o FILE] [--format FMT] [--json]`: a live
 * process's page table, built by the library in any format from
 * /proc/PID/maps and /proc/PID/pagemap, written as an ELF core that the
 * image commands read with no further arguments (its PTKIT note names
 * the format and the root).
 *
 * Nothing here knows an architecture: the format encodes the leaves
 * (ptk_map), says what its root register holds (ptk_fmt_reg_from_root)
 * and which ELF machine its tables belong to (struct ptk_fmt_arch
 * .machines). The host's own page and huge-page sizes come from the
 * host (sysconf, sysfs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ptkit.h>

#include "cmd.h"
#include "out.h"

/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PFN_MASK ((1ull << 55) - 1)
#define PM_SWAPPED (1ull << 62)
#define PM_PRESENT (1ull << 63)
/* kpageflags bits */
#define KPF_COMPOUND_HEAD 15
#define KPF_THP 22

/* The simulated physical range of the table pages is aligned to this. */
#define SIM_ALIGN (1ull << 30)

/* pagemap entries read at once; chunks are aligned to this many pages. */
#define CHUNK_PAGES 4096u

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptkit snapshot PID [-o FILE] [--format FMT] [--json] [--allow-hidden-pfns]\n"
		"\n"
		"Build the page table of a live process in a ptkit format from\n"
		"/proc/PID/maps and /proc/PID/pagemap, and write it as an ELF core\n"
		"(ELF64, ET_CORE): one PT_LOAD segment per run of table pages, at their\n"
		"physical addresses, and a PTKIT note naming the format and the root, so\n"
		"that 'ptkit dump FILE', 'ptkit translate FILE VA' and 'ptkit info FILE'\n"
		"need no other argument ('--root auto' and '--cpu 0' find the same root).\n"
		"\n"
		"Every page pagemap reports present is mapped to the frame it reports\n"
		"(PFN << page shift) with the permissions of its line in maps (r, w, x,\n"
		"and user); a permission the format cannot express is widened to the\n"
		"nearest it can (x86: write-only reads too). Pages that are not present\n"
		"are not mapped; swapped pages are counted, not mapped; present pages in\n"
		"a region without any permission (---p) are counted, not mapped (the\n"
		"hardware table holds them as not present). When /proc/kpageflags is\n"
		"readable (root), a transparent huge page that is aligned and whole in\n"
		"the region is mapped as one huge leaf if the format has that page size;\n"
		"otherwise (or when kpageflags cannot be read, as said in the summary) as\n"
		"small pages.\n"
		"\n"
		"The table pages get physical addresses of their own: a simulated range\n"
		"starting at the first 1 GiB boundary above the highest frame the process\n"
		"uses (1 GiB when the frames are hidden), so they overlap none of its\n"
		"frames. The image holds the table pages only, not the process's data.\n"
		"The process is not stopped: a snapshot of a running process may mix\n"
		"moments (stop it first, e.g. kill -STOP, for an exact one).\n"
		"\n"
		"Reading PFNs needs CAP_SYS_ADMIN: to other readers pagemap shows 0 for\n"
		"every present page. Then snapshot refuses (exit 2, naming the cause),\n"
		"unless --allow-hidden-pfns is given: the table is built with every\n"
		"present page mapped to physical address 0 (its shape, counts and\n"
		"permissions are right, its addresses are not), and the summary says so.\n"
		"\n"
		"  -o FILE              where to write the image (default: PID.core);\n"
		"                       written to a temporary file and renamed, so a\n"
		"                       failure leaves no partial FILE\n"
		"  --format FMT         table format (default x86_64; see 'ptkit formats');\n"
		"                       its smallest page must be the host's page size,\n"
		"                       and every present page's address must be in its\n"
		"                       VA space (else the address is named)\n"
		"  --allow-hidden-pfns  build even when pagemap hides the PFNs (see above)\n"
		"  --json               the summary as one JSON object\n"
		"  --help               this text\n"
		"\n"
		"The summary: regions, pages present, mapped, in huge leaves, swapped,\n"
		"present without permission, tables per level, the root, the image size.\n"
		"\n"
		"Exit status: 0 written; 1 usage error; 2 no such process, permission\n"
		"denied, hidden PFNs, a page the format cannot map, or a write failure.\n");
}

struct region {
	uint64_t start;
	uint64_t end;
	uint32_t prot; /* PTK_PROT_* */
	char perms[5];
};

struct snap {
	int pid;
	const struct ptk_fmt *fmt;
	unsigned int page_lg2;
	uint64_t hpage; /* host THP size in bytes, 0 if unknown */
	bool allow_hidden;
	struct region *rg;
	size_t nr_rg;
	int pagemap_fd;
	int kpf_fd; /* -1 when /proc/kpageflags cannot be read */
	int kpf_errno;
	/* the leaves, collected before the table is built */
	struct run *runs;
	size_t nr_runs;
	size_t cap_runs;
	uint64_t max_pfn;
	bool any_pfn;
	/* counts */
	uint64_t present, mapped, swapped, protnone, huge, thp_small;
	uint64_t hidden; /* present pages whose PFN reads as 0 */
};

/* A run of pages mapped with one ptk_map() call. */
struct run {
	uint64_t va;
	uint64_t pa;
	uint64_t len;
	uint32_t prot;
	bool huge;
};

static int push_run(struct snap *s, uint64_t va, uint64_t pa, uint64_t len,
		    uint32_t prot, bool huge)
{
	struct run *r = s->nr_runs ? &s->runs[s->nr_runs - 1] : NULL;

	if (r && !huge && !r->huge && r->prot == prot && r->va + r->len == va &&
	    r->pa + r->len == pa && pa) {
		r->len += len;
		return 0;
	}
	r = tool_grow(s->runs, &s->cap_runs, s->nr_runs, sizeof(*r), 1024);
	if (!r)
		return -1;
	s->runs = r;
	r = &s->runs[s->nr_runs++];
	r->va = va;
	r->pa = pa;
	r->len = len;
	r->prot = prot;
	r->huge = huge;
	return 0;
}

static int open_proc(int pid, const char *what, int *fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT)
		ptk_tool_err("snapshot: no such process %d (%s: %s)", pid, path,
			     strerror(errno));
	else if (errno == EACCES || errno == EPERM)
		ptk_tool_err(
			"snapshot: permission denied reading %s: the process must be yours (ptrace access) or you must be root",
			path);
	else
		ptk_tool_err("snapshot: cannot open %s: %s", path,
			     strerror(errno));
	return -1;
}

static int read_maps(struct snap *s)
{
	size_t cap = 0, lcap = 0;
	char *line = NULL;
	FILE *f;
	int fd;

	if (open_proc(s->pid, "maps", &fd))
		return -1;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		ptk_tool_err("snapshot: cannot read /proc/%d/maps: %s", s->pid,
			     strerror(errno));
		return -1;
	}
	errno = 0;
	while (getline(&line, &lcap, f) >= 0) {
		struct region r, *p;
		unsigned long long a, b;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) != 3 ||
		    strlen(perms) != 4 || b <= a) {
			ptk_tool_err(
				"snapshot: /proc/%d/maps: cannot read the line '%.60s'",
				s->pid, line);
			goto fail;
		}
		r.start = a;
		r.end = b;
		memcpy(r.perms, perms, 5);
		r.prot = PTK_PROT_USER;
		if (perms[0] == 'r')
			r.prot |= PTK_PROT_READ;
		if (perms[1] == 'w')
			r.prot |= PTK_PROT_WRITE;
		if (perms[2] == 'x')
			r.prot |= PTK_PROT_EXEC;
		p = tool_grow(s->rg, &cap, s->nr_rg, sizeof(*p), 64);
		if (!p) {
			ptk_tool_err("snapshot: out of memory");
			goto fail;
		}
		s->rg = p;
		s->rg[s->nr_rg++] = r;
	}
	if (ferror(f)) {
		ptk_tool_err(
			"snapshot: reading /proc/%d/maps failed: %s (permission denied: the process must be yours or you must be root)",
			s->pid, strerror(errno));
		goto fail;
	}
	free(line);
	fclose(f);
	return 0;
fail:
	free(line);
	fclose(f);
	return -1;
}

static int read_pm(struct snap *s, uint64_t *buf, uint64_t va, uint64_t n)
{
	size_t want = (size_t)n * 8;
	off_t off = (off_t)((va >> s->page_lg2) * 8);
	ssize_t got;

	got = pread(s->pagemap_fd, buf, want, off);
	if (got >= 0 && (size_t)got % 8 == 0) {
		/* pagemap ends at the top of the user address space: what
		 * lies above ([vsyscall]) reads as not present. */
		memset((char *)buf + got, 0, want - (size_t)got);
		return 0;
	}
	if (got < 0)
		ptk_tool_err(
			"snapshot: reading /proc/%d/pagemap at VA 0x%" PRIx64
			" failed: %s",
			s->pid, va, strerror(errno));
	else
		ptk_tool_err("snapshot: /proc/%d/pagemap at VA 0x%" PRIx64
			     ": short read (%zd of %zu bytes)",
			     s->pid, va, got, want);
	return -1;
}

/* Whether the frame @pfn heads a transparent huge page. */
static bool is_thp_head(struct snap *s, uint64_t pfn)
{
	uint64_t fl;

	if (s->kpf_fd < 0 || pread(s->kpf_fd, &fl, 8, (off_t)(pfn * 8)) != 8)
		return false;
	return (fl >> KPF_THP & 1) && (fl >> KPF_COMPOUND_HEAD & 1);
}

/*
 * Pages [i, i + nh) of @pm (at @va) as one huge page: aligned in VA and
 * PA, all present with consecutive frames, and kpageflags says THP.
 */
static bool thp_at(struct snap *s, const uint64_t *pm, uint64_t i, uint64_t n,
		   uint64_t va, uint64_t nh)
{
	uint64_t pfn = pm[i] & PM_PFN_MASK, j;

	if (!nh || (va & (s->hpage - 1)) || i + nh > n || !pfn ||
	    (pfn & (nh - 1)))
		return false;
	for (j = 0; j < nh; j++)
		if (!(pm[i + j] & PM_PRESENT) ||
		    (pm[i + j] & PM_PFN_MASK) != pfn + j)
			return false;
	return is_thp_head(s, pfn);
}

static int scan_region(struct snap *s, const struct region *r, uint64_t *pm)
{
	uint64_t page = 1ull << s->page_lg2, span = CHUNK_PAGES * page;
	uint64_t nh = s->hpage >> s->page_lg2, va = r->start;
	bool huge_ok;

	huge_ok = s->hpage && (ptk_fmt_page_sizes(s->fmt) & s->hpage);
	while (va < r->end) {
		uint64_t end = (va & ~(span - 1)) + span, n, i;

		if (end > r->end || end < va)
			end = r->end;
		n = (end - va) >> s->page_lg2;
		if (read_pm(s, pm, va, n))
			return -1;
		for (i = 0; i < n; i++) {
			uint64_t e = pm[i], a = va + (i << s->page_lg2), pfn;

			if (!(e & PM_PRESENT)) {
				if (e & PM_SWAPPED)
					s->swapped++;
				continue;
			}
			s->present++;
			pfn = e & PM_PFN_MASK;
			if (!pfn)
				s->hidden++;
			if (!ptk_fmt_va_valid(s->fmt, a)) {
				ptk_tool_err(
					"snapshot: format %s cannot express the address space of process %d: the page at VA 0x%" PRIx64
					" (region %" PRIx64 "-%" PRIx64
					" %s) is outside its VA space (%u bits)",
					s->fmt->name, s->pid, a, r->start,
					r->end, r->perms, s->fmt->va_bits);
				return -1;
			}
			if (!(r->prot & PTK_PROT_RWX)) {
				s->protnone++;
				continue;
			}
			if (pfn > s->max_pfn)
				s->max_pfn = pfn;
			s->any_pfn |= pfn != 0;
			if (nh > 1 && thp_at(s, pm, i, n, a, nh)) {
				if (huge_ok) {
					if (push_run(s, a, pfn << s->page_lg2,
						     s->hpage, r->prot, true))
						goto nomem;
					s->huge++;
					s->mapped += nh;
					s->present += nh - 1;
					if (pfn + nh - 1 > s->max_pfn)
						s->max_pfn = pfn + nh - 1;
					i += nh - 1;
					continue;
				}
				s->thp_small += nh;
			}
			if (push_run(s, a, pfn << s->page_lg2, page, r->prot,
				     false))
				goto nomem;
			s->mapped++;
		}
		va = end;
	}
	return 0;
nomem:
	ptk_tool_err("snapshot: out of memory");
	return -1;
}

/*
 * Bytes of table memory the runs can need at most: a table per level for
 * every distinct span of that level's tables the pages touch, twice
 * over for alignment, plus the root.
 */
static uint64_t table_bound(const struct snap *s)
{
	const struct ptk_fmt *f = s->fmt;
	uint64_t total = 0;
	unsigned int l;

	for (l = 0; l + 1 < f->levels; l++) {
		unsigned int sh = f->level_shift[l] + f->level_bits[l];
		uint64_t cnt = 0, last = UINT64_MAX, i;

		for (i = 0; i < s->nr_runs; i++) {
			uint64_t a = s->runs[i].va >> sh;
			uint64_t b = (s->runs[i].va + s->runs[i].len - 1) >> sh;

			cnt += b - a + 1 - (a == last);
			last = b;
		}
		total += cnt << (f->level_bits[l] + f->entry_lg2);
	}
	total += 1ull << (f->level_bits[f->levels - 1] + f->entry_lg2);
	total = total * 2 + (2ull << 20);
	return (total + (2ull << 20) - 1) & ~((2ull << 20) - 1);
}

struct tblist {
	struct tb {
		uint64_t oa;
		uint64_t size;
	} * v;
	size_t nr, cap;
	const struct ptk_fmt *fmt;
	uint64_t per_level[PTK_MAX_LEVELS];
};

static int tb_push(struct tblist *l, uint64_t oa, unsigned int level)
{
	struct tb *p = tool_grow(l->v, &l->cap, l->nr, sizeof(*p), 256);

	if (!p)
		return PTK_ENOMEM;
	l->v = p;
	l->v[l->nr].oa = oa;
	l->v[l->nr].size = 1ull
			   << (l->fmt->level_bits[level] + l->fmt->entry_lg2);
	l->nr++;
	l->per_level[level]++;
	return 0;
}

static int on_table(const struct ptk_walk_table *tb, void *arg)
{
	return tb_push(arg, tb->oa, tb->level);
}

static int cmp_tb(const void *a, const void *b)
{
	const struct tb *x = a, *y = b;

	return x->oa < y->oa ? -1 : x->oa > y->oa;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* A segment of the image: a run of adjacent tables. */
struct seg {
	uint64_t pa;
	uint64_t size;
	uint64_t off;
};

#define NOTE_DESC 64u
#define NOTE_BYTES (12u + 8u + NOTE_DESC)

/*
 * Write the core to @path through a temporary file in the same
 * directory; *@size gets the file's size.
 */
static int write_core(const struct snap *s, const char *path,
		      const struct ptk_mem_arena *a, const struct tblist *tl,
		      uint64_t root_reg, ptk_oa_t root_oa, uint64_t *size)
{
	const struct ptk_fmt_arch *arch = ptk_fmt_arch(s->fmt);
	struct seg *sg = calloc(tl->nr ? tl->nr : 1, sizeof(*sg));
	unsigned char eh[64], ph[56], note[NOTE_BYTES];
	size_t nsg = 0, i;
	uint64_t off;
	char *tmp = NULL;
	FILE *f = NULL;
	mode_t um;
	int fd = -1, err = 0;

	if (!sg)
		goto nomem;
	for (i = 0; i < tl->nr; i++) {
		if (nsg && sg[nsg - 1].pa + sg[nsg - 1].size == tl->v[i].oa) {
			sg[nsg - 1].size += tl->v[i].size;
			continue;
		}
		sg[nsg].pa = tl->v[i].oa;
		sg[nsg].size = tl->v[i].size;
		nsg++;
	}
	if (nsg + 1 >= 0xffff) {
		ptk_tool_err(
			"snapshot: %zu segments: more than an ELF header counts without extended numbering",
			nsg);
		free(sg);
		return -1;
	}
	off = 64 + 56 * (uint64_t)(nsg + 1);
	off += NOTE_BYTES;
	off = (off + 4095) & ~4095ull;
	for (i = 0; i < nsg; i++) {
		sg[i].off = off;
		off += sg[i].size;
	}
	*size = off;

	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
		goto nomem;
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	/* mkstemp makes it 0600: give it the mode a new file gets. */
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um)) {
		err = errno;
		close(fd);
		goto fail;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		err = errno;
		close(fd);
		goto fail;
	}

	memset(eh, 0, sizeof(eh));
	memcpy(eh, "\177ELF", 4);
	eh[4] = 2; /* ELFCLASS64 */
	eh[5] = 1; /* little endian */
	eh[6] = 1; /* EV_CURRENT */
	put16(eh + 16, 4); /* ET_CORE */
	put16(eh + 18, arch->machines ? arch->machines[0] : 0);
	put32(eh + 20, 1);
	put64(eh + 32, 64); /* e_phoff */
	put16(eh + 52, 64); /* e_ehsize */
	put16(eh + 54, 56); /* e_phentsize */
	put16(eh + 56, (uint16_t)(nsg + 1));
	fwrite(eh, 1, sizeof(eh), f);

	memset(ph, 0, sizeof(ph));
	put32(ph, 4); /* PT_NOTE */
	put64(ph + 8, 64 + 56 * (uint64_t)(nsg + 1));
	put64(ph + 32, NOTE_BYTES);
	put64(ph + 48, 4);
	fwrite(ph, 1, sizeof(ph), f);
	for (i = 0; i < nsg; i++) {
		memset(ph, 0, sizeof(ph));
		put32(ph, 1); /* PT_LOAD */
		put32(ph + 4, 4); /* PF_R */
		put64(ph + 8, sg[i].off);
		put64(ph + 24, sg[i].pa); /* p_paddr */
		put64(ph + 32, sg[i].size);
		put64(ph + 40, sg[i].size);
		put64(ph + 48, 4096);
		fwrite(ph, 1, sizeof(ph), f);
	}

	memset(note, 0, sizeof(note));
	put32(note, 6); /* "PTKIT\0" */
	put32(note + 4, NOTE_DESC);
	put32(note + 8, 1); /* NT_PTKIT_TABLE */
	memcpy(note + 12, "PTKIT", 6);
	put32(note + 20, 1); /* version */
	put32(note + 24, 0); /* root index */
	put64(note + 28, root_reg);
	put64(note + 36, root_oa);
	put64(note + 44, (uint64_t)s->pid);
	snprintf((char *)note + 52, PTK_IMAGE_FMT_NAME_MAX, "%s", s->fmt->name);
	fwrite(note, 1, sizeof(note), f);

	for (i = 0; i < nsg; i++) {
		const void *p = ptk_mem_arena_ptr(a, sg[i].pa);

		if (fseeko(f, (off_t)sg[i].off, SEEK_SET) || !p ||
		    fwrite(p, 1, (size_t)sg[i].size, f) != sg[i].size)
			break;
	}
	if (ferror(f) || i < nsg)
		err = EIO;
	if (fflush(f) || fsync(fileno(f)))
		err = err ? err : errno;
	if (fclose(f) && !err)
		err = errno;
	f = NULL;
	if (err)
		goto fail;
	if (rename(tmp, path)) {
		err = errno;
		goto fail;
	}
	free(tmp);
	free(sg);
	return 0;
nomem:
	err = ENOMEM;
fail:
	ptk_tool_err("snapshot: cannot write %s: %s", path, strerror(err));
	if (tmp && fd >= 0)
		unlink(tmp);
	free(tmp);
	free(sg);
	return -1;
}

static uint64_t host_thp_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
			"r");
	unsigned long long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1 || (v & (v - 1)))
		v = 0;
	fclose(f);
	return v;
}

static void print_summary(const struct snap *s, const struct tblist *tl,
			  const char *path, uint64_t root_reg, ptk_oa_t root_oa,
			  ptk_oa_t sim_base, uint64_t size, bool json,
			  double secs)
{
	const struct ptk_fmt *f = s->fmt;
	struct out o;
	unsigned int l;
	uint64_t tbytes = 0;
	size_t i;

	for (i = 0; i < tl->nr; i++)
		tbytes += tl->v[i].size;
	out_init(&o, stdout);
	if (json) {
		out_fmt(&o, "{\"pid\": %d, \"format\": ", s->pid);
		out_json_str(&o, f->name);
		out_str(&o, ", \"output\": ");
		out_json_str(&o, path);
		out_fmt(&o,
			", \"root\": \"0x%" PRIx64
			"\", \"root_table\": \"0x%" PRIx64
			"\", \"table_base\": \"0x%" PRIx64 "\"",
			root_reg, root_oa, sim_base);
		out_fmt(&o,
			", \"regions\": %zu, \"pages_present\": %" PRIu64
			", \"pages_mapped\": %" PRIu64
			", \"huge_leaves\": %" PRIu64
			", \"huge_page_size\": %" PRIu64
			", \"thp_pages_as_small\": %" PRIu64
			", \"pages_swapped\": %" PRIu64
			", \"pages_no_access\": %" PRIu64,
			s->nr_rg, s->present, s->mapped, s->huge, s->hpage,
			s->thp_small, s->swapped, s->protnone);
		out_fmt(&o,
			", \"pfns_hidden\": %s, \"pages_pfn_hidden\": %" PRIu64
			", \"kpageflags\": %s",
			s->hidden ? "true" : "false", s->hidden,
			s->kpf_fd >= 0 ? "true" : "false");
		out_str(&o, ", \"tables\": {");
		for (l = f->levels; l-- > 0;) {
			out_json_str(&o, ptk_fmt_level_name(f, l));
			out_fmt(&o, ": %" PRIu64 "%s", tl->per_level[l],
				l ? ", " : "");
		}
		out_fmt(&o,
			"}, \"table_bytes\": %" PRIu64
			", \"image_size\": %" PRIu64 ", \"seconds\": %.3f}\n",
			tbytes, size, secs);
	} else {
		out_fmt(&o, "process %d -> %s (format %s)\n", s->pid, path,
			f->name);
		out_fmt(&o,
			"root           0x%" PRIx64 " (table at 0x%" PRIx64
			"; table pages from 0x%" PRIx64 ", simulated)\n",
			root_reg, root_oa, sim_base);
		out_fmt(&o, "regions        %zu\n", s->nr_rg);
		out_fmt(&o, "pages present  %" PRIu64 "\n", s->present);
		out_fmt(&o, "pages mapped   %" PRIu64 "\n", s->mapped);
		out_fmt(&o,
			"huge leaves    %" PRIu64 " of %" PRIu64 " bytes%s\n",
			s->huge, s->hpage,
			s->kpf_fd >= 0
				? ""
				: " (kpageflags unreadable: not looked for)");
		if (s->thp_small)
			out_fmt(&o,
				"thp as small   %" PRIu64
				" pages (the format has no such page size)\n",
				s->thp_small);
		out_fmt(&o, "swapped        %" PRIu64 " pages (not mapped)\n",
			s->swapped);
		out_fmt(&o,
			"no access      %" PRIu64
			" present pages in ---p regions (not mapped)\n",
			s->protnone);
		if (s->hidden)
			out_fmt(&o,
				"PFNs hidden    %" PRIu64
				" present pages mapped to PA 0 (--allow-hidden-pfns)\n",
				s->hidden);
		out_str(&o, "tables        ");
		for (l = f->levels; l-- > 0;)
			out_fmt(&o, " %s=%" PRIu64, ptk_fmt_level_name(f, l),
				tl->per_level[l]);
		out_fmt(&o, " (%" PRIu64 " bytes)\n", tbytes);
		out_fmt(&o, "image size     %" PRIu64 " bytes\n", size);
		out_fmt(&o, "time           %.3f s\n", secs);
	}
	out_flush(&o);
}

static int build(struct snap *s, const char *path, bool json)
{
	static const struct ptk_walk_ops wops = { .pre_table = on_table };
	struct tblist tl = { .fmt = s->fmt };
	struct ptk_mem_arena a;
	struct ptk_table t;
	struct timespec t0, t1;
	uint64_t *pm = NULL, base, bound, reg, size = 0, oa_lim;
	ptk_oa_t root;
	size_t i;
	int rc, ret = PTK_EXIT_FAIL;

	memset(&a, 0, sizeof(a));
	memset(&t, 0, sizeof(t));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (read_maps(s))
		return PTK_EXIT_FAIL;
	if (open_proc(s->pid, "pagemap", &s->pagemap_fd))
		return PTK_EXIT_FAIL;
	s->kpf_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	s->kpf_errno = s->kpf_fd < 0 ? errno : 0;
	pm = malloc(CHUNK_PAGES * sizeof(*pm));
	if (!pm) {
		ptk_tool_err("snapshot: out of memory");
		goto out;
	}
	for (i = 0; i < s->nr_rg; i++)
		if (scan_region(s, &s->rg[i], pm))
			goto out;
	if (s->hidden && !s->allow_hidden) {
		ptk_tool_err(
			"snapshot: /proc/%d/pagemap hides the PFNs (%" PRIu64
			" present pages read as frame 0): reading them needs CAP_SYS_ADMIN (run as root), or pass --allow-hidden-pfns to build the table with every page at PA 0",
			s->pid, s->hidden);
		goto out;
	}
	if (s->hidden)
		ptk_tool_err(
			"snapshot: warning: /proc/%d/pagemap hides the PFNs (no CAP_SYS_ADMIN): %" PRIu64
			" present pages are mapped to PA 0 (--allow-hidden-pfns)",
			s->pid, s->hidden);
	if (s->kpf_fd < 0 && s->hpage)
		ptk_tool_err(
			"snapshot: /proc/kpageflags: %s: transparent huge pages are not looked for (mapped as small pages)",
			strerror(s->kpf_errno));

	/* The table pages: a simulated range above every frame. */
	bound = table_bound(s);
	base = s->any_pfn ? ((s->max_pfn + 1) << s->page_lg2) : 0;
	base = (base + SIM_ALIGN) & ~(SIM_ALIGN - 1);
	oa_lim = s->fmt->table_oa_bits >= 64
			 ? UINT64_MAX
			 : (1ull << s->fmt->table_oa_bits) - 1;
	if (base > oa_lim || bound - 1 > oa_lim - base) {
		ptk_tool_err(
			"snapshot: format %s cannot point to tables above 2^%u; the process's frames reach 0x%" PRIx64
			" and the table pages need 0x%" PRIx64
			" bytes above them",
			s->fmt->name, s->fmt->table_oa_bits,
			(s->max_pfn + 1) << s->page_lg2, bound);
		goto out;
	}
	rc = ptk_mem_arena_create(&a, base, bound);
	if (!rc)
		rc = ptk_table_create(&t, s->fmt, &a.mem, 0);
	if (rc) {
		ptk_tool_err("snapshot: cannot make the table: %s",
			     ptk_strerror(rc));
		goto out;
	}
	for (i = 0; i < s->nr_runs; i++) {
		const struct run *r = &s->runs[i];
		struct ptk_attrs at = { .prot = r->prot };
		unsigned int fl = PTK_MAP_SUPERSET;

		if (!r->huge)
			fl |= PTK_MAP_MAX_PAGE(s->page_lg2);
		rc = ptk_map(&t, r->va, r->len, r->pa, &at, fl, NULL);
		if (rc) {
			ptk_tool_err(
				"snapshot: format %s cannot map VA 0x%" PRIx64
				"-0x%" PRIx64 " to PA 0x%" PRIx64 ": %s",
				s->fmt->name, r->va, r->va + r->len - 1, r->pa,
				ptk_strerror(rc));
			goto out;
		}
	}
	root = ptk_table_root(&t);
	rc = ptk_fmt_reg_from_root(&reg, NULL, s->fmt, 0, root);
	if (!rc)
		rc = tb_push(&tl, root, s->fmt->levels - 1);
	if (!rc)
		rc = ptk_walk_all(&t, &wops, &tl);
	if (rc) {
		ptk_tool_err("snapshot: cannot list the tables: %s",
			     ptk_strerror(rc));
		goto out;
	}
	qsort(tl.v, tl.nr, sizeof(*tl.v), cmp_tb);
	if (write_core(s, path, &a, &tl, reg, root, &size))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_summary(s, &tl, path, reg, root, base, size, json,
		      (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	ret = PTK_EXIT_OK;
out:
	ptk_table_destroy(&t);
	ptk_mem_arena_destroy(&a);
	free(tl.v);
	free(pm);
	if (s->kpf_fd >= 0)
		close(s->kpf_fd);
	if (s->pagemap_fd >= 0)
		close(s->pagemap_fd);
	free(s->runs);
	free(s->rg);
	return ret;
}

int ptk_cmd_snapshot(int argc, char **argv)
{
	struct snap s;
	const char *fmt = "x86_64", *path = NULL, *v;
	char defpath[64];
	bool json = false;
	uint64_t pid = 0;
	bool have_pid = false;
	long ps;
	int i, rc;

	memset(&s, 0, sizeof(s));
	s.pagemap_fd = s.kpf_fd = -1;
	for (i = 1; i < argc; i++) {
		if (tool_is_help(argv[i])) {
			usage(stdout);
			return PTK_EXIT_OK;
		}
		if (!strcmp(argv[i], "--json")) {
			json = true;
			continue;
		}
		if (!strcmp(argv[i], "--allow-hidden-pfns")) {
			s.allow_hidden = true;
			continue;
		}
		if ((rc = tool_opt(argc, argv, &i, "--format", &v)) != 0) {
			if (rc < 0)
				return PTK_EXIT_USAGE;
			fmt = v;
			continue;
		}
		if ((rc = tool_opt(argc, argv, &i, "-o", &v)) != 0) {
			if (rc < 0)
				return PTK_EXIT_USAGE;
			path = v;
			continue;
		}
		if (argv[i][0] == '-' || have_pid) {
			ptk_tool_err(
				"snapshot: unexpected argument '%s' (see 'ptkit snapshot --help')",
				argv[i]);
			return PTK_EXIT_USAGE;
		}
		if (tool_parse_count(argv[i], &pid) || !pid ||
		    pid > 0x7fffffff) {
			ptk_tool_err(
				"snapshot: bad PID '%s': a process id is a positive decimal number",
				argv[i]);
			return PTK_EXIT_USAGE;
		}
		have_pid = true;
	}
	if (!have_pid) {
		ptk_tool_err(
			"snapshot: no PID given (see 'ptkit snapshot --help')");
		return PTK_EXIT_USAGE;
	}
	s.pid = (int)pid;
	s.fmt = ptk_fmt_lookup(fmt);
	if (!s.fmt) {
		ptk_tool_err(
			"snapshot: unknown format '%s' (see 'ptkit formats')",
			fmt);
		return PTK_EXIT_USAGE;
	}
	ps = sysconf(_SC_PAGESIZE);
	s.page_lg2 = (unsigned int)__builtin_ctzl((unsigned long)ps);
	if (s.fmt->level_shift[0] != s.page_lg2) {
		ptk_tool_err(
			"snapshot: format %s's smallest page is 2^%u bytes; this host's pages are %ld bytes",
			s.fmt->name, s.fmt->level_shift[0], ps);
		return PTK_EXIT_FAIL;
	}
	s.hpage = host_thp_size();
	if (!path) {
		snprintf(defpath, sizeof(defpath), "%d.core", s.pid);
		path = defpath;
	}
	return build(&s, path, json);
}
