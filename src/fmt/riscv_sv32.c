// SPDX-License-Identifier: MIT
/* The RISC-V Sv32 instance of the engine. */
#define RISCV_SV 32
#define PTK_NS(name) ptk_riscv_sv32_##name
#define PTK_FMT_SYM ptk_fmt_riscv_sv32
#include "fmt/riscv.h"
#include "algo/template.h"
