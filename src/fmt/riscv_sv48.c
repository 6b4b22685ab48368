// SPDX-License-Identifier: MIT
/* The RISC-V Sv48 instance of the engine. */
#define RISCV_SV 48
#define PTK_NS(name) ptk_riscv_sv48_##name
#define PTK_FMT_SYM ptk_fmt_riscv_sv48
#include "fmt/riscv.h"
#include "algo/template.h"
