// SPDX-License-Identifier: MIT
/* The x86 PAE paging (3-level, 4-entry PDPT) instance of the engine. */
#define PTK_NS(name) ptk_x86_pae_##name
#define PTK_FMT_SYM ptk_fmt_x86_pae
#include "fmt/x86_pae.h"
#include "algo/template.h"
