// SPDX-License-Identifier: MIT
/* The 5-level EPT instance of the engine. */
#define X86_EPT_LEVELS 5
#define PTK_NS(name) ptk_x86_ept_5_##name
#define PTK_FMT_SYM ptk_fmt_x86_ept_5
#include "fmt/x86_ept.h"
#include "algo/template.h"
