// SPDX-License-Identifier: MIT
/*
 * Shared by `ptkit info`, `dump` and `translate`: image, format and root.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imgcmd.h"
#include "rootscan.h"

int img_parse_opt(struct img_opts *o, int argc, char **argv, int *i)
{
	const char *v = NULL;
	uint64_t n;
	int rc;

	if ((rc = tool_opt(argc, argv, i, "--format", &v)) > 0) {
		o->format = v;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--root", &v)) > 0) {
		o->root_auto = !strcmp(v, "auto");
		if (!o->root_auto && tool_parse_addr(v, &o->root_val)) {
			ptk_tool_err(
				"bad --root '%s': a register value is hexadecimal (0x optional), at most 16 digits, or 'auto'",
				v);
			return -1;
		}
		o->root = v;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--root1", &v)) > 0) {
		o->root1_auto = !strcmp(v, "auto");
		if (!o->root1_auto && tool_parse_addr(v, &o->root1_val)) {
			ptk_tool_err(
				"bad --root1 '%s': a register value is hexadecimal (0x optional), at most 16 digits, or 'auto'",
				v);
			return -1;
		}
		o->root1 = v;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--ctrl", &v)) > 0) {
		if (tool_parse_addr(v, &o->ctrl_val)) {
			ptk_tool_err(
				"bad --ctrl '%s': a control register value is hexadecimal (0x optional), at most 16 digits",
				v);
			return -1;
		}
		o->ctrl = v;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--cpu", &v)) > 0) {
		if (tool_parse_count(v, &n) || n > 1u << 20) {
			ptk_tool_err(
				"bad --cpu '%s': a CPU number is decimal, 0 for the first",
				v);
			return -1;
		}
		o->cpu = (int)n;
	} else if (rc < 0) {
		return rc;
	} else if ((rc = tool_opt(argc, argv, i, "--base", &v)) > 0) {
		if (tool_parse_addr(v, &o->base)) {
			ptk_tool_err(
				"bad --base '%s': a physical address is hexadecimal (0x optional), at most 16 digits",
				v);
			return -1;
		}
		o->have_base = true;
	}
	return rc;
}

int img_open(struct ptk_image **out, const struct img_opts *o)
{
	struct ptk_image_error err;
	struct ptk_image_opts io = { .error = &err };
	int rc;

	if (o->have_base)
		io.base = o->base;
	rc = ptk_image_open(out, o->path, &io);
	if (rc) /* the library names the cause */
		ptk_tool_err("%s: cannot open image: %s", o->path, err.msg);
	return rc;
}

bool img_report_page_errors(const struct ptk_image *img, const char *path)
{
	size_t n = ptk_image_nr_page_errors(img), i;
	struct ptk_image_page_error e;

	for (i = 0; !ptk_image_page_error(&e, img, i); i++)
		ptk_tool_err("%s: the page at PA 0x%" PRIx64 " (%" PRIu32
			     " bytes at file offset 0x%" PRIx64
			     ") does not decompress: %s; it is read as absent",
			     path, e.pa, e.file_size, e.file_off, e.msg);
	if (n > i)
		ptk_tool_err("%s: %zu more pages do not decompress", path,
			     n - i);
	return n != 0;
}

int img_select(const struct img_target *tg, ptk_va_t va, ptk_va_t *inner)
{
	int root = ptk_fmt_va_root(inner, tg->fmt, va, 0);

	/* Top byte ignored: only for the range whose control bit says so. */
	if (root < 0 && ((tg->va_flags[0] | tg->va_flags[1]) & PTK_VA_TBI)) {
		root = ptk_fmt_va_root(inner, tg->fmt, va, PTK_VA_TBI);
		if (root >= 0 && root <= 1 &&
		    !(tg->va_flags[root] & PTK_VA_TBI))
			root = -1;
	}
	if (root < 0 || root > 1 || !tg->have[root])
		return -1;
	return root;
}

/* "x86_32, x86_pae, ..." : the built-in formats @fits accepts. */
static void fitting_formats(char *buf, size_t size,
			    bool (*fits)(const struct ptk_fmt *f,
					 const void *arg),
			    const void *arg)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < ptk_fmt_count(); i++) {
		const struct ptk_fmt *f = ptk_fmt_get(i);
		int n;

		if (!fits(f, arg))
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
			     f->name);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	if (!len)
		snprintf(buf, size, "none of the built-in formats");
}

static bool fits_machine(const struct ptk_fmt *f, const void *arg)
{
	return ptk_fmt_fits_machine(f, *(const unsigned int *)arg);
}

struct ctrl_arg {
	const char *reg; /* the control register's name (ctrl_reg) */
	uint64_t value;
	unsigned int machine;
	unsigned int root;
};

static bool fits_ctrl(const struct ptk_fmt *f, const void *arg)
{
	const struct ctrl_arg *c = arg;
	const struct ptk_fmt_arch *a = ptk_fmt_arch(f);

	return ptk_fmt_fits_machine(f, c->machine) && a->ctrl_reg &&
	       !strcmp(a->ctrl_reg, c->reg) && c->root < ptk_fmt_nr_roots(f) &&
	       !ptk_fmt_check_ctrl(NULL, f, c->root, c->value);
}

/*
 * The control register value @ctrl (from @what: "--ctrl", a CPU's notes)
 * must select the format for every root in use; it sets how their
 * addresses are read (tg->va_flags).
 */
static int apply_ctrl(struct img_target *tg, uint64_t ctrl, const char *what)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(tg->fmt);
	struct ptk_fmt_diag why;
	struct ctrl_arg arg;
	char line[256], list[512];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (!tg->have[i])
			continue;
		if (ptk_fmt_check_ctrl(&why, tg->fmt, i, ctrl)) {
			ptk_fmt_diag_str(line, sizeof(line), &why);
			arg.reg = a->ctrl_reg;
			arg.value = ctrl;
			arg.machine = ptk_image_machine(tg->img);
			arg.root = i;
			fitting_formats(list, sizeof(list), fits_ctrl, &arg);
			ptk_tool_err(
				"%s: %s %s=0x%" PRIx64
				" does not fit format %s%s: %s; formats that fit: %s",
				tg->path, what, a->ctrl_reg, ctrl,
				tg->fmt->name,
				ptk_fmt_nr_roots(tg->fmt) > 1
					? (i ? " (upper root)"
					     : " (lower root)")
					: "",
				line, list);
			return -1;
		}
		tg->va_flags[i] = ptk_fmt_ctrl_va_flags(tg->fmt, i, ctrl);
	}
	return 0;
}

/* The image's machine must be one the format's tables live in. */
static int check_machine(const struct img_target *tg, const char *path)
{
	unsigned int m = ptk_image_machine(tg->img);
	const char *name = ptk_fmt_machine_name(m);
	char list[512];

	if (ptk_fmt_fits_machine(tg->fmt, m))
		return 0;
	fitting_formats(list, sizeof(list), fits_machine, &m);
	ptk_tool_err(
		"%s: format %s does not fit this %s image (ELF machine %u); formats that fit: %s",
		path, tg->fmt->name, name ? name : "unknown-machine", m, list);
	return -1;
}

/* The root table a register value names, or a message saying why not. */
static int decode_root(ptk_oa_t *out, const struct img_target *tg,
		       unsigned int root, uint64_t reg, const char *what)
{
	struct ptk_fmt_diag why;
	char line[256];

	if (!ptk_fmt_root_from_reg(out, &why, tg->fmt, root, reg))
		return 0;
	ptk_fmt_diag_str(line, sizeof(line), &why);
	ptk_tool_err("%s 0x%" PRIx64 " does not fit format %s: %s", what, reg,
		     tg->fmt->name, line);
	return -1;
}

static int root_value(uint64_t *out, const struct img_target *tg,
		      const struct img_opts *o)
{
	if (o->root_auto)
		return roots_auto(out, tg->img, tg->fmt, false, o->path);
	if (o->root) {
		*out = o->root_val;
		return 0;
	}
	if (!ptk_image_cpu(tg->img, (size_t)o->cpu)) {
		ptk_tool_err("%s: the image describes %zu CPUs, no CPU %d",
			     o->path, ptk_image_nr_cpus(tg->img), o->cpu);
		return -1;
	}
	if (ptk_image_cpu_root(out, tg->img, (size_t)o->cpu, tg->fmt)) {
		ptk_tool_err(
			"%s: CPU %d's notes carry no page-table root; pass --root",
			o->path, o->cpu);
		return -1;
	}
	return 0;
}

/* The control register value: --ctrl, else the one CPU --cpu's notes. */
static int ctrl_value(struct img_target *tg, const struct img_opts *o)
{
	const struct ptk_fmt_arch *a = ptk_fmt_arch(tg->fmt);
	const struct ptk_image_cpu *c;
	char what[64];
	uint64_t v;

	if (o->ctrl)
		return apply_ctrl(tg, o->ctrl_val, "--ctrl");
	c = o->cpu >= 0 ? ptk_image_cpu(tg->img, (size_t)o->cpu) : NULL;
	if (!c || !a->note_ctrl || ptk_image_cpu_reg(&v, c, a->note_ctrl))
		return 0;
	snprintf(what, sizeof(what), "CPU %d's", o->cpu);
	return apply_ctrl(tg, v, what);
}

/*
 * Without --format, or without --root and --cpu: an image whose PTKIT
 * note (`ptkit snapshot`) names its table supplies them, as if --format
 * and --cpu had been given.
 */
static int note_target_open(struct img_target *tg, const struct img_opts *o)
{
	struct ptk_image_ptkit pn;
	struct ptk_image *img;
	struct img_opts no = *o;
	int rc;

	if (img_open(&img, o))
		return PTK_EXIT_FAIL;
	rc = ptk_image_ptkit(&pn, img);
	ptk_image_close(img);
	if (rc) {
		if (!o->format)
			ptk_tool_err(
				"--format is required: %s carries no PTKIT note naming its table (see 'ptkit formats')",
				o->path);
		else
			ptk_tool_err("give exactly one of --root and --cpu");
		return PTK_EXIT_USAGE;
	}
	if (!no.format)
		no.format = pn.format;
	if (!no.root && no.cpu < 0)
		no.cpu = (int)pn.cpu;
	return img_target_open(tg, &no);
}

int img_target_open(struct img_target *tg, const struct img_opts *o)
{
	struct ptk_fmt_region r[3];
	struct ptk_fmt_diag why;
	char what[64], line[256];
	unsigned int nr, j;
	uint64_t reg;
	int rc, i;

	memset(tg, 0, sizeof(*tg));
	tg->path = o->path;
	if (!o->format || (!o->root && o->cpu < 0))
		return note_target_open(tg, o);
	tg->fmt = ptk_fmt_lookup(o->format);
	if (!tg->fmt) {
		ptk_tool_err("unknown format '%s' (see 'ptkit formats')",
			     o->format);
		return PTK_EXIT_USAGE;
	}
	if (ptk_fmt_check_explain(tg->fmt, &why)) {
		ptk_fmt_diag_str(line, sizeof(line), &why);
		ptk_tool_err("format %s is malformed: %s", tg->fmt->name, line);
		return PTK_EXIT_FAIL;
	}
	if (!o->root == (o->cpu < 0)) {
		ptk_tool_err("give exactly one of --root and --cpu");
		return PTK_EXIT_USAGE;
	}
	if (o->ctrl && !ptk_fmt_arch(tg->fmt)->ctrl_reg) {
		ptk_tool_err(
			"--ctrl: format %s has no control register (its root register says all it reads)",
			tg->fmt->name);
		return PTK_EXIT_USAGE;
	}
	if (o->root1 && ptk_fmt_nr_roots(tg->fmt) < 2) {
		ptk_tool_err(
			"--root1 is for formats with a second root (Arm stage 1: TTBR1); %s has one",
			tg->fmt->name);
		return PTK_EXIT_USAGE;
	}
	if (img_open(&tg->img, o))
		return PTK_EXIT_FAIL;
	if (check_machine(tg, o->path))
		goto fail;
	if (root_value(&reg, tg, o))
		goto fail;
	if (o->root)
		snprintf(what, sizeof(what), "--root");
	else
		snprintf(what, sizeof(what), "CPU %d's %s", o->cpu,
			 ptk_fmt_arch(tg->fmt)->note_root);
	if (decode_root(&tg->root[0], tg, 0, reg, what))
		goto fail;
	tg->have[0] = true;
	if (o->root1) {
		reg = o->root1_val;
		if (o->root1_auto &&
		    roots_auto(&reg, tg->img, tg->fmt, true, o->path))
			goto fail;
		if (decode_root(&tg->root[1], tg, 1, reg, "--root1"))
			goto fail;
		tg->have[1] = true;
		nr = ptk_fmt_regions(r, 3, tg->fmt);
		for (j = 0; j < nr; j++)
			if (r[j].root == 1)
				tg->hi_base = r[j].base;
	}
	if (ctrl_value(tg, o))
		goto fail;
	for (i = 0; i < 2; i++) {
		if (!tg->have[i])
			continue;
		rc = ptk_table_attach(&tg->t[i], tg->fmt,
				      ptk_image_mem(tg->img), tg->root[i], 0);
		if (rc) {
			ptk_tool_err("root table at 0x%" PRIx64
				     " is not in the image (%s)",
				     tg->root[i], ptk_strerror(rc));
			img_report_page_errors(tg->img, o->path);
			goto fail;
		}
	}
	return 0;
fail:
	ptk_image_close(tg->img);
	tg->img = NULL;
	return PTK_EXIT_FAIL;
}

void img_target_close(struct img_target *tg)
{
	if (tg->img)
		img_report_page_errors(tg->img, tg->path);
	ptk_table_destroy(&tg->t[0]);
	ptk_table_destroy(&tg->t[1]);
	ptk_image_close(tg->img);
	tg->img = NULL;
}

void img_size_str(char *buf, size_t size, unsigned int lg2)
{
	static const char units[] = " KMGTPE";
	unsigned int u = lg2 / 10;

	if (u == 0)
		snprintf(buf, size, "%" PRIu64, (uint64_t)1 << lg2);
	else
		snprintf(buf, size, "%" PRIu64 "%c",
			 (uint64_t)1 << (lg2 - u * 10), units[u]);
}

void img_bytes_str(char *buf, size_t size, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0;

	while (bytes && !(bytes & 1023) && u < 6) {
		bytes >>= 10;
		u++;
	}
	if (!u)
		snprintf(buf, size, "%" PRIu64, bytes);
	else
		snprintf(buf, size, "%" PRIu64 "%c", bytes, units[u - 1]);
}

uint64_t img_default_budget(const struct img_target *tg)
{
	size_t i, n = ptk_image_nr_segs(tg->img);
	uint64_t bytes = 0, entries;

	for (i = 0; i < n; i++) {
		struct ptk_image_seg s;

		if (!ptk_image_seg(&s, tg->img, i))
			bytes += s.size;
	}
	/* A tree reads each of its tables once: it cannot hold more entries
	 * than the image's memory. Twice that covers two roots; the floor
	 * covers tables a kernel maps many times (x86-64's ESPFIX maps one
	 * page table 65,536 times). */
	entries = bytes >> tg->fmt->entry_lg2;
	if (entries > UINT64_MAX / 2)
		return UINT64_MAX;
	return entries * 2 > (1ull << 26) ? entries * 2 : 1ull << 26;
}

void img_root_summary(const struct img_target *tg, int ti, uint64_t *valid,
		      uint64_t *bad, uint64_t *total)
{
	const struct ptk_fmt *f = tg->fmt;
	unsigned int top = f->levels - 1, esz = 1u << f->entry_lg2, b;
	uint64_t n = (uint64_t)1 << f->level_bits[top], j;
	const unsigned char *e =
		ptk_image_ptr(tg->img, tg->root[ti], n << f->entry_lg2);

	*valid = *bad = 0;
	*total = n;
	if (!e)
		return;
	for (j = 0; j < n; j++, e += esz) {
		ptk_pte_t pte = 0;

		for (b = 0; b < esz; b++)
			pte |= (ptk_pte_t)e[b] << (8 * b);
		switch (f->hooks->classify(f, top, pte)) {
		case PTK_ENTRY_TABLE:
		case PTK_ENTRY_LEAF:
			(*valid)++;
			break;
		case PTK_ENTRY_INVALID:
			(*bad)++;
			break;
		default:
			break;
		}
	}
}
