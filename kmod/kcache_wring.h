/* SPDX-License-Identifier: GPL-2.0 */
/* kcache's per-CPU write rings: every writer-side mutation's record, for the policy. */
#ifndef _KCACHE_WRING_H
#define _KCACHE_WRING_H

#include "kcache_cache.h"
#include "kcache_entry.h"

/**
 * struct kc_wrec - a mutation as the policy sees it
 * @e: the entry it published, or NULL
 * @old: the entry it retired (replaced or removed), or NULL
 */
struct kc_wrec {
	struct kcache_entry *e;
	struct kcache_entry *old;
};

unsigned int kcache_wring_max(void);
int kcache_wring_init(struct kcache *c, unsigned int size);
void kcache_wring_uninit(struct kcache *c);
size_t kcache_wring_footprint(const struct kcache *c);
struct kc_wring *kcache_wring_reserve(struct kcache *c);
void kcache_wring_unreserve(struct kc_wring *w);
void kcache_wring_commit(struct kcache *c, struct kc_wring *w, struct kcache_entry *e,
			 struct kcache_entry *old);
unsigned int kcache_wring_take(struct kcache *c, int cpu, struct kc_wrec *out);

#ifdef KCACHE_TESTS
int kcache_test_wring_start(struct kcache *c, u32 start);
u32 kcache_test_wring_head(struct kcache *c, int cpu);
#endif

#endif /* _KCACHE_WRING_H */
