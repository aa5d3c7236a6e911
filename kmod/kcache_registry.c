// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's registry: named caches, their creation, references and destruction, and the
 * module parameters that bound them.
 *
 * Memory: a cache and everything it allocates is charged to one memory cgroup, its
 * creator's (c->memcg, a reference held for the cache's life); entries are allocated
 * under set_active_memcg(c->memcg) (kcache_entry.c). One cache, one group: reclaim in that
 * group evicts from it (kcache_shrinker.c). What a cache allocates besides its entries
 * (c->footprint: the policy's sketch and shadows, the table's first buckets, the rings,
 * the stripes and counters) is reserved against max_total_bytes with its max_bytes, until
 * the last reference frees it.
 *
 * Locks: kcache_registry_mutex protects the list of caches (in the order of their
 * ->serial, which LIST's cursor relies on), their count, the last serial given and each
 * cache's ->dead, and serialises what adds to the reserved bytes with its check against
 * the limit. What gives bytes back (a stream's ring, the last kcache_put_ref()) takes no
 * lock but kcache_quota_mutex, a leaf (the last put gives the creator's quota charge back):
 * it runs in kcache_wq's work items, which a holder of the mutex may wait for (a
 * kcache_for_each() callback that flushes one). A concurrent give-back only makes a
 * check stricter for a moment. Only the statistics files' mutex comes before it
 * (kcache_sysfs.c); it comes before the rest: registry mutex -> c->maint_mutex (the
 * shrinker, with trylocks). Process context only.
 *
 * Destroy (design §8): unpublish the name -> stop new operations (percpu_ref kill) ->
 * wait for running ones -> stop maintenance (no work item runs or re-arms) -> free every
 * entry after RCU -> free the cache on its last reference.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kcache_expiry.h"
#include "kcache_load.h"
#include "kcache_maint.h"
#include "kcache_quota.h"
#include "kcache_rbuf.h"
#include "kcache_registry.h"
#include "kcache_shrinker.h"
#include "kcache_spare.h"
#include "kcache_sysfs.h"
#include "kcache_table.h"
#include "kcache_wring.h"

static unsigned int max_caches = 64;
module_param(max_caches, uint, 0644);
MODULE_PARM_DESC(max_caches, "Maximum number of caches (-ENOSPC beyond)");

static unsigned long max_total_bytes = 256UL << 20;
module_param(max_total_bytes, ulong, 0644);
MODULE_PARM_DESC(max_total_bytes,
		 "Sum of all caches' byte limits and footprints (-ENOMEM beyond)");

static unsigned int value_max = 1U << 20;
module_param(value_max, uint, 0644);
MODULE_PARM_DESC(value_max, "Largest value in bytes (at most 64 MiB)");

static unsigned long default_max_entries = 1UL << 16;
module_param(default_max_entries, ulong, 0644);
MODULE_PARM_DESC(default_max_entries, "Entry bound of caches created with 0");

static unsigned int write_buffer_size = 1024;
module_param(write_buffer_size, uint, 0644);
MODULE_PARM_DESC(write_buffer_size,
		 "Most write records per CPU and cache before a writer drains (2..1024 on 64-bit; a power of two, rounded down)");

/* a write ring's floor: a pass per 32 writes at most, the cost measured worth batching */
#define KC_WRING_MIN	64

/*
 * Records in the write rings are writes the policy has not seen yet: until the next pass,
 * the entries they insert are over the count bound. So all CPUs' rings together hold at
 * most 1/16 of max_entries (the fraction of the byte bound's slack), but a ring holds at
 * least KC_WRING_MIN records, and at most write_buffer_size (which wins below
 * KC_WRING_MIN) and what one per-CPU allocation holds, rounded down to a power of two by
 * kcache_wring_init(). A pass runs once per half ring (or per tick), and its fixed cost,
 * the wakeup of the worker paid by the writer, is what the size amortises (SET replace ÷
 * GET in `make bench`, 3 boots: 2.82 with rings of 64, 2.66 with 256, 2.50 with 1024).
 */
static unsigned int kc_wring_size(u64 max_entries)
{
	u64 share = div_u64(max_entries / 16, num_possible_cpus());
	unsigned int cap = clamp(READ_ONCE(write_buffer_size), 2U, kcache_wring_max());

	return min_t(u64, cap, max_t(u64, share, KC_WRING_MIN));
}

static DEFINE_MUTEX(kcache_registry_mutex);
static LIST_HEAD(kcache_registry);
static unsigned int kcache_count;
static u64 kcache_serial;	/* the last cache's: the registry is in this order */
static atomic64_t kcache_reserved_bytes = ATOMIC64_INIT(0);

/**
 * kcache_name_valid() - check a cache name
 * @name: NUL-terminated name
 *
 * Return: true if @name is 1..%KCACHE_NAME_MAX bytes of [A-Za-z0-9._-] (ASCII only), and
 * not "." or "..".
 */
bool kcache_name_valid(const char *name)
{
	size_t i, len = strnlen(name, KCACHE_NAME_MAX + 1);
	char ch;

	if (len == 0 || len > KCACHE_NAME_MAX)
		return false;
	/*
	 * Every cache has its statistics file, named after it (kcache_sysfs.c): "." and ".."
	 * are the two names of [A-Za-z0-9._-] that no file can have.
	 */
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return false;
	for (i = 0; i < len; i++) {
		ch = name[i];
		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '.' && ch != '_' && ch != '-')
			return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_name_valid);

static struct kcache *kc_find_locked(const char *name)
{
	struct kcache *c;

	lockdep_assert_held(&kcache_registry_mutex);
	list_for_each_entry(c, &kcache_registry, list)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void kc_users_release(struct percpu_ref *ref)
{
	struct kcache *c = container_of(ref, struct kcache, users);

	complete(&c->users_done);
}

/* What kvmalloc() gave for @size bytes at @p: a slab object, whole pages or vmalloc. */
static u64 kc_kv_size(const void *p, size_t size)
{
	if (!p)
		return 0;
	if (is_vmalloc_addr(p))
		return PAGE_ALIGN(size) + (PAGE_ALIGN(size) >> PAGE_SHIFT) * sizeof(void *);
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_size_roundup(size);
	return PAGE_SIZE << get_order(size);
}

/* The policy's sketch, ghost and shadows, as it allocated them. */
static u64 kc_policy_footprint(const struct kc_policy *p)
{
	return p->mem ? kc_kv_size(p->mem, kcache_policy_footprint(p)) : 0;
}

/* Bytes a new cache holds besides its entries (per-CPU areas: one copy per possible CPU). */
static u64 kc_footprint(struct kcache *c)
{
	const struct bucket_table *tbl = rcu_dereference_protected(c->ht.tbl, 1);
	u64 n = kmalloc_size_roundup(sizeof(*c));

	n += (u64)num_possible_cpus() * sizeof(struct kc_pcpu_stats);
	n += kcache_rbuf_footprint(c) + kcache_wring_footprint(c) + kcache_spare_footprint();
	n += kc_kv_size(c->stripes, (c->stripe_mask + 1) * sizeof(*c->stripes));
	n += kc_kv_size(tbl, struct_size(tbl, buckets, tbl->size));
	n += kc_policy_footprint(&c->policy);
	return n;
}

/* Undo kc_alloc(): every unit's uninit, in the reverse order of their init. */
static void kc_free(struct kcache *c)
{
	kcache_streams_uninit(c);
	kcache_loads_uninit(c);
	kcache_table_uninit(c);
	kcache_expiry_uninit(c);
	kcache_policy_destroy(&c->policy);
	percpu_free_rwsem(&c->mut_sem);
	percpu_ref_exit(&c->users);
	kcache_wring_uninit(c);
	kcache_rbuf_uninit(c);
	kcache_spare_uninit(c);
	free_percpu(c->stats);
	mem_cgroup_put(c->memcg);
	kfree(c);
}

/*
 * The last reference of a cache that was registered: its footprint stays reserved until
 * now, because it is freed only now (a destroyed cache's fds and streams keep it), and so
 * does its creator's quota charge, for the same memory.
 */
static void kc_release(struct kref *kref)
{
	struct kcache *c = container_of(kref, struct kcache, kref);

	kcache_quota_release(c);
	atomic64_sub(c->footprint, &kcache_reserved_bytes);
	kc_free(c);
}

/**
 * kcache_default_max_bytes() - the byte bound of a cache created with max_bytes 0
 *
 * Return: 64 MiB, or max_total_bytes if that is less.
 */
u64 kcache_default_max_bytes(void)
{
	return min_t(u64, 64ULL << 20, READ_ONCE(max_total_bytes));
}

static struct kcache *kc_alloc(const char *name, const struct kcache_config *cfg)
{
	struct kcache *c;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return ERR_PTR(-ENOMEM);
	strscpy(c->name, name, sizeof(c->name));
	c->cfg = *cfg;
	c->cfg.max_bytes = cfg->max_bytes ?: kcache_default_max_bytes();
	c->cfg.max_entries = cfg->max_entries ?: default_max_entries;
	INIT_LIST_HEAD(&c->list);
	init_completion(&c->users_done);
	kref_init(&c->kref);
	c->policy_seed = get_random_long();
	kcache_maint_init(c);
#ifdef CONFIG_MEMCG
	/* a kernel thread (no mm) charges the active memcg or the root */
	c->memcg = get_mem_cgroup_from_mm(current->mm);
#endif
	kcache_streams_init(c);

	ret = -ENOMEM;
	c->stats = alloc_percpu_gfp(struct kc_pcpu_stats, GFP_KERNEL_ACCOUNT);
	if (!c->stats)
		goto err_free;
	ret = kcache_spare_init(c);
	if (ret)
		goto err_stats;
	ret = kcache_rbuf_init(c);
	if (ret)
		goto err_spare;
	ret = kcache_wring_init(c, kc_wring_size(c->cfg.max_entries));
	if (ret)
		goto err_rbuf;
	ret = percpu_ref_init(&c->users, kc_users_release, 0, GFP_KERNEL);
	if (ret)
		goto err_wring;
	ret = percpu_init_rwsem(&c->mut_sem);
	if (ret)
		goto err_ref;
	ret = kcache_policy_init(&c->policy, c->cfg.policy, c->cfg.max_entries,
				 c->cfg.max_bytes, get_random_u64(), kcache_entry_pn_weight);
	if (ret)
		goto err_rwsem;
	ret = kcache_table_init(c);
	if (ret)
		goto err_policy;
	c->footprint = kc_footprint(c);
	kcache_loads_init(c);	/* cannot fail, nothing to undo */
	return c;

err_policy:
	kcache_policy_destroy(&c->policy);
err_rwsem:
	percpu_free_rwsem(&c->mut_sem);
err_ref:
	percpu_ref_exit(&c->users);
err_wring:
	kcache_wring_uninit(c);
err_rbuf:
	kcache_rbuf_uninit(c);
err_spare:
	kcache_spare_uninit(c);
err_stats:
	free_percpu(c->stats);
err_free:
	mem_cgroup_put(c->memcg);
	kfree(c);
	return ERR_PTR(ret);
}

/* Would @bytes more reserved stay within @limit? */
static bool kc_fits_locked(u64 bytes, u64 limit)
{
	lockdep_assert_held(&kcache_registry_mutex);
	return bytes <= limit && atomic64_read(&kcache_reserved_bytes) <= limit - bytes;
}

/* May a cache of this name be registered now? In the documented order of errors. */
static int kc_register_check_locked(const char *name)
{
	lockdep_assert_held(&kcache_registry_mutex);
	if (kc_find_locked(name))
		return -EEXIST;
	if (kcache_count >= max_caches)
		return -ENOSPC;
	return 0;
}

/**
 * kcache_create() - create a named cache
 * @name: 1..%KCACHE_NAME_MAX bytes of [A-Za-z0-9._-], not "." or ".."
 * @cfg: its configuration; zero bounds take the module defaults
 *
 * The registry holds one reference until kcache_destroy(); the caller gets another one,
 * to drop with kcache_put_ref(). May sleep.
 *
 * The cache's memory, entries included, is charged to the caller's memory cgroup
 * (see the top of this file).
 *
 * Return: the cache, or ERR_PTR(-EINVAL) for a bad name, policy or flags,
 * ERR_PTR(-EEXIST) if the name is taken, ERR_PTR(-ENOSPC) beyond max_caches,
 * ERR_PTR(-ENOMEM) beyond max_total_bytes (max_bytes plus the cache's footprint) or when
 * out of memory.
 */
struct kcache *kcache_create(const char *name, const struct kcache_config *cfg)
{
	/* the byte bound's count is signed (c->charged): no bound comes near 2^63 */
	u64 resv, limit = min_t(u64, READ_ONCE(max_total_bytes), S64_MAX / 2);
	struct kcache *c;
	int ret = 0;

	might_sleep();
	if (!kcache_name_valid(name) || cfg->policy >= KCACHE_POLICY_NR || cfg->flags)
		return ERR_PTR(-EINVAL);
	/*
	 * A bound no reservation can hold fails before the sketch sized for it is allocated,
	 * after the errors the documented order puts first. So does every bound under a limit
	 * of 0: no footprint fits, and a default bound of 0 would be the policy's -EINVAL.
	 */
	if (cfg->max_bytes > limit || !limit) {
		mutex_lock(&kcache_registry_mutex);
		ret = kc_register_check_locked(name);
		mutex_unlock(&kcache_registry_mutex);
		return ERR_PTR(ret ?: -ENOMEM);
	}
	c = kc_alloc(name, cfg);
	if (IS_ERR(c))
		return c;
	if (check_add_overflow(c->cfg.max_bytes, c->footprint, &resv))
		resv = U64_MAX;
	ret = kcache_shrinker_track(c);
	if (ret) {
		kc_free(c);
		return ERR_PTR(ret);
	}

	mutex_lock(&kcache_registry_mutex);
	ret = kc_register_check_locked(name);
	if (!ret && !kc_fits_locked(resv, limit))
		ret = -ENOMEM;
	if (ret) {
		mutex_unlock(&kcache_registry_mutex);
		kcache_shrinker_untrack(c);
		kc_free(c);
		return ERR_PTR(ret);
	}
	kcache_count++;
	atomic64_add(resv, &kcache_reserved_bytes);
	kref_get(&c->kref);
	/* nothing fails from here on: reclaim may find the cache */
	kcache_shrinker_list(c);
	c->serial = ++kcache_serial;
	list_add_tail(&c->list, &kcache_registry);
	mutex_unlock(&kcache_registry_mutex);
	kcache_sysfs_cache_added(c);
	return c;
}
EXPORT_SYMBOL_GPL(kcache_create);

/**
 * kcache_reserve_bytes() - reserve memory a cache allocates after its create
 * @bytes: how much (a stream subscriber's ring)
 *
 * Against max_total_bytes, as a cache's max_bytes and footprint are at create: every
 * byte kcache allocates for a cache counts (design §9). Undo with
 * kcache_unreserve_bytes().
 *
 * Return: 0, or -ENOMEM beyond max_total_bytes.
 */
int kcache_reserve_bytes(u64 bytes)
{
	u64 limit = READ_ONCE(max_total_bytes);
	int ret = 0;

	mutex_lock(&kcache_registry_mutex);
	if (kc_fits_locked(bytes, limit))
		atomic64_add(bytes, &kcache_reserved_bytes);
	else
		ret = -ENOMEM;
	mutex_unlock(&kcache_registry_mutex);
	return ret;
}

/* No lock: kcache_wq's work items give bytes back (see the top). */
void kcache_unreserve_bytes(u64 bytes)
{
	atomic64_sub(bytes, &kcache_reserved_bytes);
}

/**
 * kcache_lookup() - find a cache by name
 * @name: the cache's name
 *
 * Return: the cache with a reference for the caller (drop it with kcache_put_ref()), or
 * ERR_PTR(-ENOENT).
 */
struct kcache *kcache_lookup(const char *name)
{
	struct kcache *c;

	mutex_lock(&kcache_registry_mutex);
	c = kc_find_locked(name);
	if (c)
		kref_get(&c->kref);
	mutex_unlock(&kcache_registry_mutex);
	return c ?: ERR_PTR(-ENOENT);
}
EXPORT_SYMBOL_GPL(kcache_lookup);

/**
 * kcache_for_each() - call @fn for every registered cache
 * @fn: callback; may sleep, must not create or destroy caches
 * @ctx: passed to @fn
 *
 * Caches come in the order they were created, under the registry mutex.
 *
 * Return: 0, or the first non-zero value @fn returned (which stops the walk).
 */
int kcache_for_each(int (*fn)(struct kcache *c, void *ctx), void *ctx)
{
	struct kcache *c;
	int ret = 0;

	mutex_lock(&kcache_registry_mutex);
	list_for_each_entry(c, &kcache_registry, list) {
		ret = fn(c, ctx);
		if (ret)
			break;
	}
	mutex_unlock(&kcache_registry_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_for_each);

/**
 * kcache_get_ref() - take a reference on a cache
 * @c: the cache
 */
void kcache_get_ref(struct kcache *c)
{
	kref_get(&c->kref);
}
EXPORT_SYMBOL_GPL(kcache_get_ref);

/**
 * kcache_put_ref() - drop a reference on a cache
 * @c: the cache
 *
 * The last reference frees it; a cache still registered always has the registry's.
 * May sleep (process context).
 */
void kcache_put_ref(struct kcache *c)
{
	kref_put(&c->kref, kc_release);
}
EXPORT_SYMBOL_GPL(kcache_put_ref);

/**
 * kcache_name() - the name of a cache
 * @c: the cache
 *
 * Return: the NUL-terminated name, valid while the caller holds a reference.
 */
const char *kcache_name(const struct kcache *c)
{
	return c->name;
}
EXPORT_SYMBOL_GPL(kcache_name);

/**
 * kcache_is_dead() - has kcache_destroy() started on this cache?
 * @c: the cache
 *
 * Return: true once the cache is destroyed (its operations then fail with -ESHUTDOWN).
 */
bool kcache_is_dead(const struct kcache *c)
{
	return READ_ONCE(c->dead);
}
EXPORT_SYMBOL_GPL(kcache_is_dead);

/**
 * kcache_value_max() - the largest value a set accepts now
 *
 * Return: the value_max module parameter, at most %KCACHE_VALUE_MAX_LIMIT.
 */
u32 kcache_value_max(void)
{
	return min_t(u32, READ_ONCE(value_max), KCACHE_VALUE_MAX_LIMIT);
}
EXPORT_SYMBOL_GPL(kcache_value_max);

/**
 * kcache_get_config() - the configuration of a cache, with defaults filled in
 * @c: the cache
 * @cfg: filled in
 */
void kcache_get_config(const struct kcache *c, struct kcache_config *cfg)
{
	*cfg = c->cfg;
}
EXPORT_SYMBOL_GPL(kcache_get_config);

/**
 * kcache_destroy() - unpublish a cache and drop its entries
 * @c: the cache; the caller's reference stays valid and must still be put
 *
 * Order (design §8): unpublish the name, stop new operations and wait for running ones,
 * stop maintenance, free the entries after RCU. Operations on @c afterwards fail with
 * -ESHUTDOWN. Destroying twice is harmless. May sleep.
 */
void kcache_destroy(struct kcache *c)
{
	kcache_destroy_once(c);
}
EXPORT_SYMBOL_GPL(kcache_destroy);

/**
 * kcache_destroy_once() - kcache_destroy(), telling whether this call destroyed @c
 * @c: the cache
 *
 * For the control device's DESTROY: of two racing for one name, the second answers
 * -ENOENT, as it would have a moment later.
 *
 * Return: 0, or -ENOENT if @c was destroyed already.
 */
int kcache_destroy_once(struct kcache *c)
{
	might_sleep();
	mutex_lock(&kcache_registry_mutex);
	if (c->dead) {
		mutex_unlock(&kcache_registry_mutex);
		return -ENOENT;
	}
	WRITE_ONCE(c->dead, true);
	list_del(&c->list);
	kcache_count--;
	/* the footprint on the last put */
	atomic64_sub(c->cfg.max_bytes, &kcache_reserved_bytes);
	mutex_unlock(&kcache_registry_mutex);
	kcache_sysfs_cache_removed(c->name);
	/* the shrinker finds no more; one that found the cache holds ->users, waited for below */
	kcache_shrinker_untrack(c);

	percpu_ref_kill(&c->users);
	/* fail every load and lease: waiters wake and drop the operation reference */
	kcache_loads_shutdown(c);
	kcache_streams_shutdown(c);
	wait_for_completion(&c->users_done);
	/* readers take no reference (kcache_reader_live()): wait for those that saw it live */
	synchronize_rcu();
	kcache_maint_stop(c);
	kcache_maint_clear(c);
	kcache_put_ref(c);
	return 0;
}

/* Every cache's cold end, for kcache_shrink(): never blocks on a busy mutex. */
unsigned long kcache_registry_shrink(unsigned long nr)
{
	unsigned long freed = 0;
	struct kcache *c;

	if (!mutex_trylock(&kcache_registry_mutex))
		return 0;
	list_for_each_entry(c, &kcache_registry, list) {
		if (freed >= nr)
			break;
		freed += kcache_maint_shrink(c, nr - freed);
	}
	mutex_unlock(&kcache_registry_mutex);
	return freed;
}

/**
 * kcache_test_write_buffer_size() - set the write-ring size of caches created next
 * @n: records per CPU, at least 2
 *
 * For stress tests that need a ring that is always full.
 *
 * Return: the previous size.
 */
unsigned int kcache_test_write_buffer_size(unsigned int n)
{
	return xchg(&write_buffer_size, max(n, 2U));
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_write_buffer_size);

#ifdef KCACHE_TESTS
/**
 * kcache_test_max_total_bytes() - set the max_total_bytes parameter
 * @n: new value
 *
 * For stress tests whose caches together need more than the default.
 *
 * Return: the previous value.
 */
unsigned long kcache_test_max_total_bytes(unsigned long n)
{
	return xchg(&max_total_bytes, n);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_max_total_bytes);

/**
 * kcache_test_charged() - the byte bound's count of a cache (see kc_store())
 * @c: the cache
 *
 * Return: the charges of its live entries plus the room writers reserved.
 */
u64 kcache_test_charged(struct kcache *c)
{
	return atomic64_read(&c->charged);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_charged);

/**
 * kcache_test_footprint() - what a cache allocated besides its entries
 * @c: the cache
 *
 * Return: bytes, as reserved against max_total_bytes.
 */
u64 kcache_test_footprint(struct kcache *c)
{
	return c->footprint;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_footprint);

/**
 * kcache_test_reserved_bytes() - what all caches reserve against max_total_bytes
 *
 * Return: bytes.
 */
u64 kcache_test_reserved_bytes(void)
{
	return atomic64_read(&kcache_reserved_bytes);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_reserved_bytes);
#endif

int kcache_registry_init(void)
{
	if (value_max > KCACHE_VALUE_MAX_LIMIT)
		value_max = KCACHE_VALUE_MAX_LIMIT;
	return 0;
}

/* Module unload: no module holds a cache now (symbol references), but caches may be left. */
void kcache_registry_uninit(void)
{
	struct kcache *c;

	for (;;) {
		mutex_lock(&kcache_registry_mutex);
		c = list_first_entry_or_null(&kcache_registry, struct kcache, list);
		if (c)
			kref_get(&c->kref);
		mutex_unlock(&kcache_registry_mutex);
		if (!c)
			break;
		kcache_destroy(c);
		kcache_put_ref(c);
	}
}
