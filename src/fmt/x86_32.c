// SPDX-License-Identifier: MIT
/* The x86 32-bit paging (2-level, PSE, PSE-36) instance of the engine. */
#define PTK_NS(name) ptk_x86_32_##name
#define PTK_FMT_SYM ptk_fmt_x86_32
#include "fmt/x86_32.h"
#include "algo/template.h"
