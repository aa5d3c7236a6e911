/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache's table: an rhashtable of entries keyed by their variable-length keys, and the
 * stripe locks that serialise the mutations of one key.
 */
#ifndef _KCACHE_TABLE_H
#define _KCACHE_TABLE_H

#include <linux/hash.h>
#include <linux/rhashtable.h>
#include <linux/stringhash.h>

#include "kcache_cache.h"
#include "kcache_entry.h"

/*
 * A key is hashed once per operation, under the cache's secret seed (kcache_key_hash()):
 * the stripe, the policy's sketch and the table all use that hash, and an entry keeps it
 * (->pn.hash), so that neither a store (lookup, then replace) nor a resize hashes the key
 * bytes again. The table mixes it with its own seed, which rhashtable changes when it
 * rehashes a table whose chains grew too long: keys that share a bucket under one seed
 * part under the next, unless their 32-bit hashes are equal.
 */
struct kc_key {
	const void *p;
	u32 len;
	u32 hash;
};

/*
 * The bucket hash: the key's hash is already keyed and uniform, so one multiply suffices
 * to make every bit of it and of the table's seed reach the low bits rhashtable indexes
 * with (the product's middle bits), and a new seed part keys that shared a bucket.
 */
static inline u32 kcache_ht_mix(u32 hash, u32 seed)
{
	return hash_64(hash ^ seed, 32);
}

/* rhashtable's hash of a lookup key (struct kc_key) */
static inline u32 kcache_ht_key_hash(const void *data, u32 len, u32 seed)
{
	const struct kc_key *k = data;

	return kcache_ht_mix(k->hash, seed);
}

/* rhashtable's hash of an entry */
static inline u32 kcache_ht_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct kcache_entry *e = data;

	return kcache_ht_mix(e->pn.hash, seed);
}

/* always inline: its address is in the table's parameters, and each lookup calls it */
static __always_inline int kcache_ht_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct kc_key *k = arg->key;
	const struct kcache_entry *e = obj;

	/* the hashes differ for almost every other entry in the chain: bytes rarely read */
	return e->pn.hash != k->hash || e->klen != k->len ||
	       !kcache_bytes_equal(e->data, k->p, k->len);
}

/*
 * The table's parameters as a constant every user sees: rhashtable's inline functions then
 * call the hash and compare functions directly (inlined), where an extern object would
 * leave them indirect calls through ht->p, retpolined on most kernels, on every lookup.
 */
#define KCACHE_HT_PARAMS {					\
	.head_offset = offsetof(struct kcache_entry, node),	\
	.hashfn = kcache_ht_key_hash,				\
	.obj_hashfn = kcache_ht_obj_hash,			\
	.obj_cmpfn = kcache_ht_cmp,				\
	.automatic_shrinking = true,				\
}

int kcache_table_init(struct kcache *c);
void kcache_table_uninit(struct kcache *c);
u64 kcache_seq_settled(struct kcache *c);
void kcache_table_clear(struct kcache *c, void (*fn)(void *ptr, void *arg), void *arg);

/*
 * A key's hash under the cache's secret seed: the table's, the policy's sketch input and
 * the stripe index. The dcache's name hash: it reads a word at a time (jhash: a 32-bit
 * word, its tail a byte at a time), about half of jhash's instructions for the short keys
 * of a cache. Its salt is the seed and the length: the name hash zero-pads the last word
 * and never mixes in the length (a name has no NUL), so a key and the same key with NULs
 * appended within that word would collide under every seed. Like jhash it is no PRF.
 */
static inline u32 kcache_key_hash(const struct kcache *c, const void *key, u32 klen)
{
	unsigned long salt = c->policy_seed ^ (klen * GOLDEN_RATIO_64);

	return full_name_hash((const void *)salt, key, klen);
}

static inline struct kc_stripe *kcache_stripe(struct kcache *c, u32 hash)
{
	return &c->stripes[hash & c->stripe_mask];
}

/*
 * The entry of @key, whose kcache_key_hash() is @hash. Under rcu_read_lock() or the key's
 * stripe lock. Expired entries are returned too.
 */
static __always_inline struct kcache_entry *
kcache_table_lookup(struct kcache *c, const void *key, u32 klen, u32 hash)
{
	static const struct rhashtable_params params = KCACHE_HT_PARAMS;
	struct kc_key k = { .p = key, .len = klen, .hash = hash };

	return rhashtable_lookup(&c->ht, &k, params);
}

void kcache_table_walk_start(struct rhashtable_iter *iter, u64 seq) __acquires(RCU);

int kcache_table_insert(struct kcache *c, struct kcache_entry *e);
int kcache_table_replace(struct kcache *c, struct kcache_entry *old, struct kcache_entry *e);
void kcache_table_remove(struct kcache *c, struct kcache_entry *e);

#endif /* _KCACHE_TABLE_H */
