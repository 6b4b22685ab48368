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
