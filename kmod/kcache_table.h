/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache's table: an rhashtable of entries keyed by their variable-length keys, and the
 * stripe locks that serialise the mutations of one key.
 */
#ifndef _KCACHE_TABLE_H
#define _KCACHE_TABLE_H

#include <linux/jhash.h>
#include <linux/rhashtable.h>

#include "kcache_cache.h"
#include "kcache_entry.h"

struct kc_key {
	const void *p;
	u32 len;
};

extern const struct rhashtable_params kcache_ht_params;

int kcache_table_init(struct kcache *c);
void kcache_table_uninit(struct kcache *c);
void kcache_table_clear(struct kcache *c, void (*fn)(void *ptr, void *arg), void *arg);

/* A key's hash under the cache's secret seed: the policy's sketch input and stripe index */
static inline u32 kcache_key_hash(const struct kcache *c, const void *key, u32 klen)
{
	return jhash(key, klen, c->policy_seed);
}

static inline struct kc_stripe *kcache_stripe(struct kcache *c, u32 hash)
{
	return &c->stripes[hash & c->stripe_mask];
}

/* Under rcu_read_lock() or the key's stripe lock. Expired entries are returned too. */
static inline struct kcache_entry *kcache_table_lookup(struct kcache *c, const void *key,
						       u32 klen)
{
	struct kc_key k = { .p = key, .len = klen };

	return rhashtable_lookup(&c->ht, &k, kcache_ht_params);
}

void kcache_table_walk_start(struct rhashtable_iter *iter) __acquires(RCU);

int kcache_table_insert(struct kcache *c, struct kcache_entry *e);
int kcache_table_replace(struct kcache *c, struct kcache_entry *old, struct kcache_entry *e);
void kcache_table_remove(struct kcache *c, struct kcache_entry *e);

#endif /* _KCACHE_TABLE_H */
