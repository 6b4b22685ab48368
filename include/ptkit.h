/* SPDX-License-Identifier: MIT */
/*
 * ptkit: page tables as a data structure.
 *
 * Include this for the whole public API, or the module headers under
 * ptkit/ one by one.
 */
#ifndef PTKIT_H
#define PTKIT_H

#include "ptkit/errors.h"
#include "ptkit/types.h"
#include "ptkit/fmt.h"
#include "ptkit/fmt_arm.h"
#include "ptkit/mem.h"
#include "ptkit/table.h"
#include "ptkit/range.h"
#include "ptkit/notify.h"
#include "ptkit/interval.h"
#include "ptkit/mirror.h"
#include "ptkit/tlb.h"
#include "ptkit/shared.h"
#include "ptkit/iter.h"
#include "ptkit/build.h"
#include "ptkit/image.h"
#include "ptkit/hash.h"
#include "ptkit/space.h"

#endif /* PTKIT_H */
