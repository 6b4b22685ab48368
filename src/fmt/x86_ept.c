// SPDX-License-Identifier: MIT
/* The 4-level EPT instance of the engine. */
#define X86_EPT_LEVELS 4
#define PTK_NS(name) ptk_x86_ept_##name
#define PTK_FMT_SYM ptk_fmt_x86_ept
#include "fmt/x86_ept.h"
#include "algo/template.h"
