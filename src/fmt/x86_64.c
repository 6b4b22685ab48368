// SPDX-License-Identifier: MIT
/* The x86-64 4-level instance of the engine. */
#define X86_64_LEVELS 4
#define PTK_NS(name) ptk_x86_64_##name
#define PTK_FMT_SYM ptk_fmt_x86_64
#include "fmt/x86_64.h"
#include "algo/template.h"
