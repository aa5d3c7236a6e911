// SPDX-License-Identifier: GPL-2.0
/*
 * kcache entries: allocation and references. No locks of its own.
 */

#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kcache_cache.h"
#include "kcache_entry.h"

/**
 * kcache_entry_alloc() - build an unpublished entry
 * @c: the cache, for its default TTL and its policy's hash seed
 * @key: key bytes
 * @klen: key length
 * @val: value bytes, may be NULL (the caller fills them in)
 * @vlen: value length
 * @ttl_ns: time to live, 0 none, %KCACHE_TTL_DEFAULT for the cache's default
 *
 * One allocation, charged to the caller's memory cgroup. May sleep.
 *
 * Return: the entry, holding the cache's reference, or NULL.
 */
struct kcache_entry *kcache_entry_alloc(struct kcache *c, const void *key, u32 klen,
					const void *val, u32 vlen, u64 ttl_ns)
{
	struct kcache_entry *e;

	/* design §2: metadata per entry within a cache line */
	BUILD_BUG_ON(sizeof(struct kcache_entry) > 64);
	e = kvmalloc(struct_size(e, data, (size_t)klen + vlen), GFP_KERNEL_ACCOUNT);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	refcount_set(&e->ref, 1);
	e->klen = klen;
	e->vlen = vlen;
	memcpy(e->data, key, klen);
	if (val)
		memcpy(e->data + klen, val, vlen);
	e->pn.hash = jhash(key, klen, c->policy_seed);
	e->pn.weight = kcache_entry_weight(klen, vlen);
	if (ttl_ns == KCACHE_TTL_DEFAULT)
		ttl_ns = c->cfg.default_ttl_ns;
	if (ttl_ns) {
		u64 now = ktime_get_ns();

		/* a TTL past the end of the clock means "never expires" (U64_MAX) */
		e->expires = ttl_ns > U64_MAX - now ? U64_MAX : now + ttl_ns;
	}
	return e;
}

/* An entry no reader ever saw: free it now. */
void kcache_entry_free_unpublished(struct kcache_entry *e)
{
	kvfree(e);
}

/* Pin an entry found under RCU; false if its last reference is already gone. */
bool kcache_entry_tryget(struct kcache_entry *e)
{
	return refcount_inc_not_zero(&e->ref);
}

/* Drop a reference; the last one frees the entry after a grace period. Any context. */
void kcache_entry_put(struct kcache_entry *e)
{
	if (refcount_dec_and_test(&e->ref))
		kvfree_rcu(e, rcu);
}
