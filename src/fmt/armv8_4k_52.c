// SPDX-License-Identifier: MIT
/* The armv8_4k_52 instance of the engine (see src/fmt/armv8.h). */
#define ARMV8_GRANULE_K 4
#define ARMV8_VA_BITS 52
#define ARMV8_OA_BITS 52
#define ARMV8_STAGE 1
#define PTK_NS(name) ptk_armv8_4k_52_##name
#define PTK_FMT_SYM ptk_fmt_armv8_4k_52
#include "fmt/armv8.h"
#include "algo/template.h"
