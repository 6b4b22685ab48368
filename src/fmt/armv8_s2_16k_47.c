// SPDX-License-Identifier: MIT
/* The armv8_s2_16k_47 instance of the engine (see src/fmt/armv8.h). */
#define ARMV8_GRANULE_K 16
#define ARMV8_VA_BITS 47
#define ARMV8_OA_BITS 48
#define ARMV8_STAGE 2
#define PTK_NS(name) ptk_armv8_s2_16k_47_##name
#define PTK_FMT_SYM ptk_fmt_armv8_s2_16k_47
#include "fmt/armv8.h"
#include "algo/template.h"
