/* SPDX-License-Identifier: MIT */
/*
 * ptkit error codes.
 *
 * DOC: errors
 *
 * Every ptkit function that can fail returns an int: 0 (or a positive,
 * documented value) on success and a negative PTK_E* code on failure.
 * The PTK_E* constants are negative already (PTK_EINVAL == -1): a hook
 * or a callback returns PTK_EINVAL, never -PTK_EINVAL.
 * PTK_ERROR_MAP() below is the single source of truth for names, values
 * and messages. The values are pinned: a code never changes its number,
 * new codes are only ever appended. There is no global or thread-local
 * "last error".
 */
#ifndef PTKIT_ERRORS_H
#define PTKIT_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * X(name, value, message). Values are positive here; the codes returned
 * are their negation (PTK_EINVAL == -1).
 */
#define PTK_ERROR_MAP(X)                                                    \
	X(EINVAL, 1, "invalid argument")                                    \
	X(ENOMEM, 2, "table allocation failed")                             \
	X(ERANGE, 3, "address outside the table's address range")           \
	X(EOVERFLOW, 4, "range wraps past the top of the address space")    \
	X(EALIGN, 5, "address or length not aligned to the smallest page")  \
	X(EEXIST, 6, "range already (partly) mapped")                       \
	X(ENOENT, 7, "no translation")                                      \
	X(EBBM, 8, "change would need break-before-make")                   \
	X(ENOTSUP, 9, "operation or feature not supported by this format")  \
	X(ECORRUPT, 10, "malformed entry or table")                         \
	X(EAGAIN, 11, "lost a race; retry")                                 \
	X(EPROT, 12, "protection not expressible in this format")           \
	X(ESPLIT, 13, "range cuts a huge leaf and splitting was not asked") \
	X(EVERSION, 14, "ops or descriptor version not supported")          \
	X(EUSER, 15, "stopped by a callback")                               \
	X(ENOTUNIFORM, 16, "table is not contiguous and uniform")           \
	X(EROFS, 17, "table memory is read-only (a memory image)")          \
	X(ESUBSCRIBED, 18, "interval subscription is already subscribed")   \
	X(ENOTSUBSCRIBED, 19,                                               \
	  "interval subscription is not subscribed (never, or ended)")      \
	X(EMISFIT, 20,                                                      \
	  "mirror: the tables' address spaces or page sizes do not fit")    \
	X(EOUTSIDE, 21, "range lies outside the interval subscription")     \
	X(EIMPL, 22, "not supported by this table implementation")          \
	X(EFAULT, 23, "no region there, or the region forbids the access")  \
	X(ENOSPC, 24, "no free frame or region slot left")                  \
	X(EPROVIDER, 26,                                                    \
	  "the memory provider cannot do this (shared tables need its "     \
	  "read-section hooks)")                                            \
	X(ETABLEOA, 27,                                                     \
	  "table memory lies above what the format can point to (use a "    \
	  "provider below 2^table_oa_bits, e.g. ptk_mem_heap_init_below)")  \
	X(EFILE, 28, "cannot open or read the image file")                  \
	X(EBADIMAGE, 29, "malformed image file")                            \
	X(ETRUNC, 30, "image file is cut short")                            \
	X(ECOMPRESSED, 31, "image file is compressed: decompress it first") \
	X(EDECOMPRESS, 34, "a compressed page of the image does not decompress")

/**
 * enum ptk_err - Negative error codes returned by ptkit functions.
 */
enum ptk_err {
#define PTK_ERR_ENUM_(name, val, msg) PTK_##name = -(val),
	PTK_ERROR_MAP(PTK_ERR_ENUM_)
#undef PTK_ERR_ENUM_
};

/**
 * ptk_strerror() - Describe an error code
 * @err: A value returned by a ptkit function (negative code, or 0)
 *
 * Context: Any context; pure function.
 *
 * Return: A static, NUL-terminated string; never NULL. Unknown codes give
 * "unknown error", 0 gives "success".
 */
const char *ptk_strerror(int err);

/**
 * ptk_errname() - The symbolic name of an error code
 * @err: A value returned by a ptkit function
 *
 * Context: Any context; pure function.
 *
 * Return: "PTK_EINVAL" and so on, "0" for success, or "PTK_E?" for an
 * unknown code. Never NULL.
 */
const char *ptk_errname(int err);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_ERRORS_H */
