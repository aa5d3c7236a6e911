// SPDX-License-Identifier: GPL-2.0
/*
 * kcache entries: allocation and references. No locks of its own.
 *
 * Memory: an entry is charged to its cache's memory cgroup, the creator's, whoever
 * writes it (set_active_memcg()): one cache, one group, so that reclaim in that group can
 * give the cache's memory back through the memcg-aware shrinker (kcache_shrinker.c),
 * and a writer in another group neither pays for the cache nor can pin memory in a
 * group that cannot reclaim it. Its weight (what the byte bound counts) is what the
 * allocator really gave it, plus its share of the table's buckets.
 */

#include <linux/ktime.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_spare.h"
#include "kcache_table.h"

/*
 * Entries are allocated without waking the OOM killer: when the cache's group is at its
 * limit, kc_store() gives back the cache's own memory and retries instead.
 */
#define KC_ENTRY_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/*
 * kmalloc_size_roundup() of every size up to the largest kmalloc cache, in steps of 8 (each
 * kmalloc size is a multiple of 8), taken once at load: a store rounds its new entry's size
 * and charges that entry and the one it replaces, and each would walk kmalloc_slab().
 */
u16 kc_slab_size[KC_SLAB_SIZES] __ro_after_init;

/* Fill kc_slab_size[]; called once from the module's init, before any cache exists. */
void __init kcache_entry_sizes_init(void)
{
	size_t i;

	BUILD_BUG_ON(KMALLOC_MAX_CACHE_SIZE > U16_MAX);
	/* kcache_entry_charged() reads the table for any entry up to a page */
	BUILD_BUG_ON(PAGE_SIZE > KMALLOC_MAX_CACHE_SIZE);
	for (i = 1; i < ARRAY_SIZE(kc_slab_size); i++)
		kc_slab_size[i] = kmalloc_size_roundup(i * 8);
}

/**
 * kcache_entry_slab_size() - kmalloc_size_roundup() of an entry size
 * @size: bytes, at least 1
 *
 * Return: kmalloc_size_roundup(@size), from the table up to %KMALLOC_MAX_CACHE_SIZE.
 */
size_t kcache_entry_slab_size(size_t size)
{
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_size_roundup(size);
	return kc_slab_size[DIV_ROUND_UP(size, 8)];
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_entry_slab_size);

/**
 * kcache_entry_charge() - the bytes a stored entry costs
 * @klen: key length
 * @vlen: value length
 * @deadline: the entry has room for a deadline
 *
 * What the allocator gives an entry of this size (a slab object rounded up by
 * kcache_entry_slab_size(); whole pages above the largest kmalloc cache), plus the table's
 * share and, with room for a deadline, the deadline heap's. kcache_entry_charged() gives a
 * stored entry's, which may have come from vmalloc.
 *
 * Return: bytes charged.
 */
size_t kcache_entry_charge(u32 klen, u32 vlen, bool deadline)
{
	size_t size = kcache_entry_size(klen, vlen, deadline);

	if (size <= KMALLOC_MAX_CACHE_SIZE)
		size = kcache_entry_slab_size(size);
	else
		size = PAGE_SIZE << get_order(size);
	return size + kc_shares(deadline);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_entry_charge);

/* An entry of @size bytes from vmalloc: its pages, their page array, the shares */
static size_t kc_vmalloc_charge(size_t size, bool deadline)
{
	return PAGE_ALIGN(size) + (PAGE_ALIGN(size) >> PAGE_SHIFT) * sizeof(void *) +
	       kc_shares(deadline);
}

/**
 * kcache_entry_charge_max() - the most a stored entry of these lengths can be charged
 * @klen: key length
 * @vlen: value length
 * @deadline: the entry will have room for a deadline
 *
 * kcache_entry_charge(), or above the largest kmalloc cache the vmalloc charge if that is
 * larger (the entry's memory may come from either). A store refuses an entry whose charge
 * alone would exceed the cache's byte bound: the policy would evict the whole cache, and
 * then the entry, to make room for it.
 *
 * Return: bytes.
 */
size_t kcache_entry_charge_max(u32 klen, u32 vlen, bool deadline)
{
	size_t size = kcache_entry_size(klen, vlen, deadline);
	size_t charge = kcache_entry_charge(klen, vlen, deadline);

	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return charge;
	return max(charge, kc_vmalloc_charge(size, deadline));
}

/* kcache_entry_charged() of an entry larger than a page, which may come from vmalloc */
u32 kcache_entry_charged_large(const struct kcache_entry *e)
{
	size_t size = kcache_entry_size(e->klen, e->vlen, e->deadline);

	if (is_vmalloc_addr(e))
		return kc_vmalloc_charge(size, e->deadline);
	return kcache_entry_charge(e->klen, e->vlen, e->deadline);
}

/**
 * kcache_entry_pn_weight() - the policy's weight of an entry (&kc_weight_fn)
 * @n: the entry's policy node
 *
 * Return: kcache_entry_charged() of the entry.
 */
u32 kcache_entry_pn_weight(const struct kc_pnode *n)
{
	return kcache_entry_charged(container_of(n, struct kcache_entry, pn));
}

/**
 * kcache_entry_set_expires() - set the deadline of an unpublished entry
 * @e: the entry, built with room for a deadline unless @expires is 0
 * @expires: deadline on the monotonic clock in ns, 0 for none
 */
void kcache_entry_set_expires(struct kcache_entry *e, u64 expires)
{
	if (e->deadline)
		kcache_entry_deadline(e)->expires = expires;
	else
		WARN_ON_ONCE(expires);
}

/*
 * kvmalloc()'s vmalloc fallback, without its huge mappings: kvmalloc() passes
 * VM_ALLOW_HUGE_VMAP (6.1 on x86-64 and arm64), which rounds an allocation of 2 MiB or more
 * per node up to whole PMD pages (64 KiB contiguous PTEs on arm64 from 64 KiB) and charges
 * the memcg for all of it, while kcache_entry_charged() counts PAGE_ALIGN(size): a 2 MiB +
 * 1 byte value held 4 MiB and counted 2 MiB against the byte bound. Base pages only.
 */
static void *kc_entry_vmalloc(size_t size)
{
	return __vmalloc(size, KC_ENTRY_GFP);
}

/* New memory for an entry of @size bytes, charged to the cache's memcg; header zeroed. */
static struct kcache_entry *kc_entry_new(struct kcache *c, size_t size)
{
	struct kcache_entry *e;
#ifdef CONFIG_MEMCG
	struct mem_cgroup *old_memcg = set_active_memcg(c->memcg);
#endif

	/* kvmalloc() without its huge vmalloc; a page or less is never vmalloc'd */
	e = kmalloc(size, KC_ENTRY_GFP);
	if (!e && size > PAGE_SIZE)
		e = kc_entry_vmalloc(size);
#ifdef CONFIG_MEMCG
	set_active_memcg(old_memcg);
#endif
	/* with init_on_alloc the allocator has zeroed it already: do not store it twice */
	if (e && !want_init_on_alloc(KC_ENTRY_GFP))
		memset(e, 0, sizeof(*e));
	return e;
}

/**
 * kcache_entry_alloc() - build an unpublished entry
 * @c: the cache, for its policy's hash seed
 * @key: key bytes
 * @klen: key length
 * @val: value bytes, may be NULL (the caller fills them in)
 * @vlen: value length
 * @deadline: room for a deadline, none set yet: the caller sets it when it publishes the
 *	entry (a TTL counts from then), or copies it from the entry it replaces
 *
 * One allocation, charged to the cache's memory cgroup, of the size the allocator would
 * round it to anyway (so the slack is the entry's, not an unaccounted tail): a spare of
 * that size if the cache has one (kcache_spare.c), else a new one. Fails rather than
 * invoking the OOM killer. May sleep.
 *
 * Return: the entry, holding the cache's reference, or NULL.
 */
struct kcache_entry *kcache_entry_alloc(struct kcache *c, const void *key, u32 klen,
					const void *val, u32 vlen, bool deadline)
{
	struct kcache_entry *e;
	size_t size;

	/* design §2: metadata per entry within a cache line; see struct kcache_entry */
	BUILD_BUG_ON(sizeof(struct kcache_entry) != 48);
	BUILD_BUG_ON(offsetof(struct kcache_entry, state) !=
		     offsetof(struct kcache_entry, pn.owner[0]));
	/* a dead entry's rcu_head leaves its lengths, which free and spare paths read */
	BUILD_BUG_ON(sizeof(struct rcu_head) > offsetof(struct kcache_entry, __pn) +
		     offsetof(struct kc_pnode, owner) - 1 - offsetof(struct kcache_entry, pn));
	BUILD_BUG_ON(KCACHE_VAL_LEN_MAX >= 1U << 31);
	size = kcache_entry_size(klen, vlen, deadline);
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		size = kcache_entry_slab_size(size);
	e = kcache_spare_get(c, size);
	if (e) {
		/* as new memory would be; key and value are written below or by the caller */
		memset(e, 0, sizeof(*e));
		if (want_init_on_alloc(KC_ENTRY_GFP))
			kcache_zero_bytes(e->data + klen + vlen,
					  size - kcache_entry_weight(klen, vlen));
	} else {
		e = kc_entry_new(c, size);
		if (!e)
			return NULL;
	}
	refcount_set(&e->ref, 1);
	e->klen = klen;
	e->vlen = vlen;
	e->deadline = deadline;
	kcache_copy_bytes(e->data, key, klen);
	if (val)
		kcache_copy_bytes(e->data + klen, val, vlen);
	e->pn.hash = kcache_key_hash(c, key, klen);
	if (deadline)
		*kcache_entry_deadline(e) = (struct kc_deadline){ .expires = 0 };
	return e;
}

#ifdef KCACHE_TESTS
/* KUnit: the memory kc_entry_new() takes when kmalloc() fails, in @c's memcg */
void *kcache_test_entry_vmalloc(struct kcache *c, size_t size)
{
	void *p;
#ifdef CONFIG_MEMCG
	struct mem_cgroup *old_memcg = set_active_memcg(c->memcg);
#endif

	p = kc_entry_vmalloc(size);
#ifdef CONFIG_MEMCG
	set_active_memcg(old_memcg);
#endif
	return p;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_entry_vmalloc);
#endif

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

/*
 * Drop a reference; the last one frees the entry. Any context but NMI.
 *
 * No reader can still find an entry whose last reference goes: the cache's reference is
 * dropped only from limbo (kcache_maint.c), after a grace period that began once the entry
 * had left the table and after a read-ring drain, or at destroy after synchronize_rcu();
 * every other reference is a pin taken while the cache's was held. So a slab entry is
 * freed at once, which uncharges its memcg now rather than after kvfree_rcu()'s batching
 * (seconds on 6.1, and its shrinker is not memcg-aware). vfree() may sleep, so a
 * vmalloc'd entry still goes through kvfree_rcu().
 */
void kcache_entry_put(struct kcache_entry *e)
{
	if (refcount_dec_and_test(&e->ref))
		kcache_entry_free(e);
}

/* Free an entry whose last reference is gone (kcache_entry_put()). Any context but NMI. */
void kcache_entry_free(struct kcache_entry *e)
{
	if (is_vmalloc_addr(e))
		kvfree_rcu(e, rcu);
	else
		kfree(e);
}
