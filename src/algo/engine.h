/* SPDX-License-Identifier: MIT */
/*
 * The engine: every algorithm, written once.
 *
 * This is "templated C": it is compiled once per built-in format (with
 * every geometry value and hook a compile-time constant) and once for the
 * run-time instance. Include it only through template.h (specialised) or
 * src/core/generic.c (run-time).
 *
 * Conventions: ranges are inclusive [va, last]; a body at level l works
 * on one table whose entries are at level l, for a range that lies
 * inside that table's span, through the level cursor (cursor.h); every
 * operation that changes a table is a pass run by the mutation driver
 * (driver.h), which makes it all-or-nothing.
 */
#include "algo/entry.h"
#include "algo/cursor.h"
#include "algo/translate.h"
#include "algo/walk.h"
#include "algo/driver.h"
#include "algo/check.h"
#include "algo/map.h"
#include "algo/build.h"
#include "algo/unmap.h"
#include "algo/protect.h"
#include "algo/harvest.h"
#include "algo/copy.h"
#include "algo/move.h"
#include "algo/split.h"
#include "algo/iter.h"
