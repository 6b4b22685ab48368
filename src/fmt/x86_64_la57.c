// SPDX-License-Identifier: MIT
/* The x86-64 5-level (LA57) instance of the engine. */
#define X86_64_LEVELS 5
#define PTK_NS(name) ptk_x86_64_la57_##name
#define PTK_FMT_SYM ptk_fmt_x86_64_la57
#include "fmt/x86_64.h"
#include "algo/template.h"
