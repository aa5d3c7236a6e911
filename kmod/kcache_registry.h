/* SPDX-License-Identifier: GPL-2.0 */
/* kcache's registry of named caches and their lifetimes. */
#ifndef _KCACHE_REGISTRY_H
#define _KCACHE_REGISTRY_H

#include "kcache_cache.h"

int kcache_registry_init(void);
void kcache_registry_uninit(void);
bool kcache_name_valid(const char *name);
unsigned long kcache_registry_shrink(unsigned long nr);
int kcache_reserve_bytes(u64 bytes);
void kcache_unreserve_bytes(u64 bytes);
int kcache_destroy_once(struct kcache *c);
u64 kcache_default_max_bytes(void);
unsigned int kcache_test_write_buffer_size(unsigned int n);
u64 kcache_test_charged(struct kcache *c);
unsigned long kcache_test_max_total_bytes(unsigned long n);
u64 kcache_test_footprint(struct kcache *c);
u64 kcache_test_reserved_bytes(void);

#endif /* _KCACHE_REGISTRY_H */
