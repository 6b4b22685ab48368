/* SPDX-License-Identifier: MIT */
/*
 * The core's only dependencies on its environment.
 *
 * The core (src/core, src/fmt, src/algo, src/mem/arena.c) includes no
 * libc header beyond the freestanding ones (stdint, stddef, stdbool,
 * limits). Everything else it needs goes through this file, which a
 * kernel or firmware build may replace with its own copy.
 */
#ifndef PTK_DEPS_H
#define PTK_DEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTK_MEMSET(p, c, n) __builtin_memset((p), (c), (n))
#define PTK_MEMCPY(d, s, n) __builtin_memcpy((d), (s), (n))

#define PTK_LIKELY(x) __builtin_expect(!!(x), 1)
#define PTK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PTK_ALWAYS_INLINE inline __attribute__((always_inline))
#define PTK_NOINLINE __attribute__((noinline))
#define PTK_UNUSED __attribute__((unused))

/*
 * A hint to the CPU inside a spin-wait loop (struct ptk_ebr): it lets a
 * sibling hyperthread run and saves power. Nothing where there is no
 * such instruction; the loops are correct without it.
 */
#if defined(__x86_64__) || defined(__i386__)
#define PTK_CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define PTK_CPU_RELAX() __asm__ __volatile__("yield" ::: "memory")
#else
#define PTK_CPU_RELAX() ((void)0)
#endif

/*
 * How the core stops on a broken invariant (debug tiers 2 and 3). A host
 * build prints first (ptk_host_bug() in src/mem/heap.c); a freestanding
 * build traps.
 */
#ifdef PTK_FREESTANDING
#define PTK_BUG(msg) __builtin_trap()
#else
void ptk_host_bug(const char *file, int line, const char *msg);
#define PTK_BUG(msg) ptk_host_bug(__FILE__, __LINE__, (msg))
#endif

#endif /* PTK_DEPS_H */
