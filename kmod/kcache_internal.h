/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kcache's front doors and its test modules use beyond the exported API (kcache.h):
 * each unit's own header, gathered.
 */
#ifndef _KCACHE_INTERNAL_H
#define _KCACHE_INTERNAL_H

#include <linux/fs.h>

#include "kcache.h"
#include "kcache_api.h"
#include "kcache_registry.h"
#include "kcache_shrinker.h"

#ifdef KCACHE_SELFTEST_BUG
void kcache_selftest_bug(void);
#else
static inline void kcache_selftest_bug(void) { }
#endif

#endif /* _KCACHE_INTERNAL_H */
