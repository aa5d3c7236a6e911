/* SPDX-License-Identifier: GPL-2.0 */
/* Spare entries: dead entries' memory kept for the cache's next writes (kcache_spare.c). */
#ifndef _KCACHE_SPARE_H
#define _KCACHE_SPARE_H

#include <linux/list.h>

#include "kcache_cache.h"

struct kcache_entry;

int kcache_spare_init(struct kcache *c);
void kcache_spare_uninit(struct kcache *c);
struct kcache_entry *kcache_spare_get(struct kcache *c, size_t size);
void kcache_spare_collect(struct kcache *c, struct list_head *batch);
void kcache_spare_trim(struct kcache *c);
unsigned long kcache_spare_drain(struct kcache *c);
size_t kcache_spare_footprint(void);

#ifdef KCACHE_TESTS
unsigned long kcache_test_spares(struct kcache *c);
#endif

#endif /* _KCACHE_SPARE_H */
