// SPDX-License-Identifier: MIT
/* Error strings, generated from the one list in ptkit/errors.h. */
#include "internal/ptk_internal.h"

const char *ptk_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define PTK_ERR_STR_(name, val, msg) \
	case -(val):                 \
		return msg;
		PTK_ERROR_MAP(PTK_ERR_STR_)
#undef PTK_ERR_STR_
	default:
		return "unknown error";
	}
}

const char *ptk_errname(int err)
{
	switch (err) {
	case 0:
		return "0";
#define PTK_ERR_NAME_(name, val, msg) \
	case -(val):                  \
		return "PTK_" #name;
		PTK_ERROR_MAP(PTK_ERR_NAME_)
#undef PTK_ERR_NAME_
	default:
		return "PTK_E?";
	}
}
