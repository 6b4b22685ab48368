// SPDX-License-Identifier: MIT
/* The RISC-V Sv57 instance of the engine. */
#define RISCV_SV 57
#define PTK_NS(name) ptk_riscv_sv57_##name
#define PTK_FMT_SYM ptk_fmt_riscv_sv57
#include "fmt/riscv.h"
#include "algo/template.h"
