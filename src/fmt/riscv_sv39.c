// SPDX-License-Identifier: MIT
/* The RISC-V Sv39 instance of the engine. */
#define RISCV_SV 39
#define PTK_NS(name) ptk_riscv_sv39_##name
#define PTK_FMT_SYM ptk_fmt_riscv_sv39
#include "fmt/riscv.h"
#include "algo/template.h"
