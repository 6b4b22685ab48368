// SPDX-License-Identifier: MIT
/* The armv8_64k_42 instance of the engine (see src/fmt/armv8.h). */
#define ARMV8_GRANULE_K 64
#define ARMV8_VA_BITS 42
#define ARMV8_OA_BITS 48
#define ARMV8_STAGE 1
#define PTK_NS(name) ptk_armv8_64k_42_##name
#define PTK_FMT_SYM ptk_fmt_armv8_64k_42
#include "fmt/armv8.h"
#include "algo/template.h"
