/* SPDX-License-Identifier: MIT */
/*
 * Random operation sequences for the model and differential tests.
 *
 * Addresses cluster around a few anchors per format (0, level
 * boundaries, the ends of the canonical halves, the top of the space),
 * so that the live table count stays small while every edge of the
 * address space is exercised. The expected outcome of an operation's
 * argument checks is computed from the documented contract alone
 * (wl_expect_args()); what the arguments leave open (EEXIST, ESPLIT, the
 * resulting leaves) is the reference model's business.
 */
#ifndef PTK_WORKLOAD_H
#define PTK_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "ptkit.h"
#include "harness/ptk_rand.h"
#include "ref_model.h"

/* What a format can express, as the tests need to know it. */
struct wl_profile {
	const char *name;
	const struct ptk_fmt *fmt;
	uint64_t anchors[8];
	unsigned int nr_anchors;
	uint32_t memtype_max; /* largest valid memtype */
	unsigned int sw_bits; /* software bits in struct ptk_attrs.sw */
	uint32_t need_prot; /* prot bits every leaf has */
	/*
	 * Derived from the format's encode hook (wl_profile_from_fmt()):
	 * expressibility and the decoded result come from the hooks, at
	 * every leaf level.
	 */
	bool generic;
	uint32_t prots_ok; /* bit p: prot p encodes without SUPERSET */
	uint32_t memtypes_ok; /* bit m: memtype m encodes (m < 32) */
	uint32_t flags_ok; /* PTK_ATTR_* bits that encode */
	unsigned int contig_any; /* some level has contiguous groups */
};

/* A profile for any format, probed through its hooks. */
void wl_profile_from_fmt(struct wl_profile *p, const struct ptk_fmt *f);

extern const struct wl_profile wl_x86_64;
extern const struct wl_profile wl_x86_64_la57;
extern const struct wl_profile wl_toy;

enum wl_kind {
	WL_MAP,
	WL_UNMAP,
	WL_WALK,
	WL_PROBE, /* translate only */
	WL_PROTECT,
	WL_HARVEST,
	WL_COPY,
	WL_MOVE,
	WL_SPLIT,
	WL_COLLAPSE,
	WL_NR_KINDS
};

extern const char *const wl_kind_names[WL_NR_KINDS];

struct wl_op {
	enum wl_kind kind;
	uint64_t va;
	uint64_t len;
	uint64_t oa;
	struct ptk_attrs attrs;
	bool attrs_null;
	unsigned int flags;
	/* protect: prot; harvest: what; split/collapse: level */
	uint32_t arg;
	uint64_t new_va; /* move */
};

struct wl {
	const struct wl_profile *p;
	const struct ptk_fmt *f;
	const struct ref_model *m; /* for picking mapped addresses */
	struct ptk_rand r;
	size_t leaf_cap;
	bool range_ops; /* also generate the range operations */
	struct wl_op pending; /* the collapse after its set-up map */
	bool has_pending;
	bool no_copy; /* PTK_WL_NO_COPY=1: leave ptk_copy() out (triage) */
};

void wl_init(struct wl *w, const struct wl_profile *p,
	     const struct ref_model *m, uint64_t seed);
void wl_next(struct wl *w, struct wl_op *op);

/* A bit per error code: bit e for -e (0 for codes out of range). */
#define WL_ERR(rc) \
	((rc) < 0 && (rc) > -32 ? UINT32_C(1) << (unsigned int)-(rc) : 0)

/*
 * The argument errors @op must fail with, as a set of WL_ERR() bits
 * (several when more than one check applies and the contract leaves the
 * order open), or 0 when the arguments are valid. *@enc_only is set when
 * every applicable error comes from attribute encoding (which may be
 * checked after the range is found to be occupied).
 */
uint32_t wl_expect_args(const struct wl_profile *p, const struct wl_op *op,
			bool *enc_only);

/*
 * The argument errors of a range operation (protect .. collapse), as
 * wl_expect_args() does for map/unmap.
 */
uint32_t wl_expect_range_args(const struct wl_profile *p,
			      const struct wl_op *op);

/*
 * The encoding of @a at every leaf level (with PTK_ENC_SUPERSET when
 * @superset): WL_ERR() bits of the errors, 0 if it encodes everywhere;
 * *@out (may be NULL) gets what it decodes to.
 */
uint32_t wl_encode(const struct wl_profile *p, const struct ptk_attrs *a,
		   bool superset, struct ptk_attrs *out);

/* The attributes a leaf mapped by @op will decode to. */
void wl_effective_attrs(const struct wl_profile *p, const struct wl_op *op,
			struct ptk_attrs *out);

/* Whether every address of [va, last] is in the format's VA space. */
bool wl_range_valid(const struct ptk_fmt *f, uint64_t va, uint64_t last);

/* The smallest page size of the format, log2. */
unsigned int wl_min_lg2(const struct ptk_fmt *f);

/* A random VA near an address @r picks (for probes), maybe invalid. */
uint64_t wl_probe_va(struct wl *w);

/* Format a set of WL_ERR() bits, for messages. */
const char *wl_err_set_str(uint32_t set, char *buf, size_t size);

#endif /* PTK_WORKLOAD_H */
