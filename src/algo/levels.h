/* SPDX-License-Identifier: MIT */
/*
 * Level unrolling for the recursive algorithms.
 *
 * In a specialised instance each recursive algorithm NAME is written once
 * as an always-inline NAME_body(level, ...). PTK_LEVELS(NAME, params, args)
 * stamps out one non-inline function per level (NAME_l0, NAME_l1, ...)
 * that calls the body with a constant level, and a dispatcher NAME_at()
 * that, inlined into a body with a constant level, becomes a direct call
 * to the next level's function. Every shift, mask and hook then sees a
 * compile-time level. The run-time instance compiles the body once and
 * recurses through it.
 *
 * Usage, in this order:
 *   PTK_LEVELS_DECLARE(name, params, args)   before the body
 *   PTK_BODY name_body(unsigned int l, params...) { ... name_at(l-1, ...) }
 *   PTK_LEVELS_DEFINE(name, params, args)    after the body
 */
#ifndef PTK_ALGO_LEVELS_H
#define PTK_ALGO_LEVELS_H

#define PTK_STRIP(...) __VA_ARGS__
#define PTK_CAT_(a, b) a##b
#define PTK_CAT(a, b) PTK_CAT_(a, b)

#define PTK_FL_1(m, ...) m(0, __VA_ARGS__)
#define PTK_FL_2(m, ...) PTK_FL_1(m, __VA_ARGS__) m(1, __VA_ARGS__)
#define PTK_FL_3(m, ...) PTK_FL_2(m, __VA_ARGS__) m(2, __VA_ARGS__)
#define PTK_FL_4(m, ...) PTK_FL_3(m, __VA_ARGS__) m(3, __VA_ARGS__)
#define PTK_FL_5(m, ...) PTK_FL_4(m, __VA_ARGS__) m(4, __VA_ARGS__)
#define PTK_FL_6(m, ...) PTK_FL_5(m, __VA_ARGS__) m(5, __VA_ARGS__)
#define PTK_FOR_LEVELS(m, ...) PTK_CAT(PTK_FL_, PTKF_LEVELS_MAX)(m, __VA_ARGS__)

#endif /* PTK_ALGO_LEVELS_H */

/* These depend on the instance's PTK_NS and PTKF_SPECIALISED. */
#undef PTK_BODY
#undef PTK_LEVELS_DECLARE
#undef PTK_LEVELS_DEFINE

#if PTKF_SPECIALISED

#define PTK_BODY static PTK_ALWAYS_INLINE int

#define PTK_LVL_PROTO_(L, name, params, args) \
	static PTK_NOINLINE int PTK_NS(name##_l##L)(PTK_STRIP params);
#define PTK_LVL_CASE_(L, name, params, args) \
	case L:                              \
		return PTK_NS(name##_l##L)(PTK_STRIP args);
#define PTK_LVL_DEF_(L, name, params, args)                           \
	static PTK_NOINLINE int PTK_NS(name##_l##L)(PTK_STRIP params) \
	{                                                             \
		return PTK_NS(name##_body)(L, PTK_STRIP args);        \
	}

#define PTK_LEVELS_DECLARE(name, params, args)                            \
	PTK_FOR_LEVELS(PTK_LVL_PROTO_, name, params, args)                \
	static PTK_ALWAYS_INLINE int PTK_NS(name##_at)(unsigned int l,    \
						       PTK_STRIP params)  \
	{                                                                 \
		switch (l) {                                              \
			PTK_FOR_LEVELS(PTK_LVL_CASE_, name, params, args) \
		}                                                         \
		return PTK_EINVAL;                                        \
	}

#define PTK_LEVELS_DEFINE(name, params, args) \
	PTK_FOR_LEVELS(PTK_LVL_DEF_, name, params, args)

#else /* run-time instance */

#define PTK_BODY static int

#define PTK_LEVELS_DECLARE(name, params, args)                                \
	static int PTK_NS(name##_body)(unsigned int l, PTK_STRIP params);     \
	static inline int PTK_NS(name##_at)(unsigned int l, PTK_STRIP params) \
	{                                                                     \
		return PTK_NS(name##_body)(l, PTK_STRIP args);                \
	}

#define PTK_LEVELS_DEFINE(name, params, args)

#endif
