// SPDX-License-Identifier: MIT
/* The armv8_4k_48 instance of the engine (see src/fmt/armv8.h). */
#define ARMV8_GRANULE_K 4
#define ARMV8_VA_BITS 48
#define ARMV8_OA_BITS 48
#define ARMV8_STAGE 1
#define PTK_NS(name) ptk_armv8_4k_48_##name
#define PTK_FMT_SYM ptk_fmt_armv8_4k_48
#include "fmt/armv8.h"
#include "algo/template.h"
