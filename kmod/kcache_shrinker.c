// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's shrinker, memcg-aware: reclaim in a memory cgroup evicts from the caches
 * charged to that group, and from no other.
 *
 * A cache's memory is charged to one group, its creator's (kcache_registry.c). The core
 * calls a memcg-aware shrinker only for the groups whose shrinker bit is set, and only a
 * list_lru sets that bit for a module: so each cache has one small token, allocated in its
 * group (SLAB_ACCOUNT, under set_active_memcg()) and kept on kc_lru, a memcg-aware
 * list_lru, from creation to destroy. count_objects sums the entries and spares of the
 * caches whose tokens are on sc->memcg's list; scan_objects collects up to KC_SCAN_CACHES of them,
 * each with a live-operation reference (c->users), moves the first of them to the tail so
 * that the next scan starts at the cache after it, and evicts from their cold ends after
 * the walk, the first as much as it may, then the next: nothing that
 * sleeps or takes a mutex runs under the list_lru lock, and the eviction
 * (kcache_maint_shrink(), which also paces it) only trylocks. When a group goes away its
 * tokens move to the parent's list, as its charges do.
 *
 * Not NUMA-aware (a cache's entries are on any node), so the core calls it for every node
 * it reclaims; but for a group, only on the nodes where that group's shrinker bit is set,
 * and list_lru sets the bit of the node an item sits on. So a cache has one token on each
 * node that had memory when it was created, and count and scan walk sc->nid's list alone,
 * where each cache is once. A node whose memory is all movable has no slab, and none of a
 * cache's memory: it gets no token. A node onlined later reclaims from the caches created
 * after.
 *
 * Locks: the list_lru's own per-node spinlocks, innermost; the walk callbacks take no
 * other lock. Destroy removes the token (list_lru_del(), same lock) before it waits for
 * c->users, so a scan never sees a cache being freed. Process context only.
 */

#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sched/mm.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

#include "kcache_compat.h"
#include "kcache_internal.h"
#include "kcache_maint.h"
#include "kcache_registry.h"
#include "kcache_shrinker.h"

/* caches one scan may evict from, should the first ones not have enough */
#define KC_SCAN_CACHES	16

/**
 * struct kc_memcg_token - a cache's item on the shrinker's per-memcg list
 * @lru: kc_lru linkage
 * @c: the cache; alive while the token is listed
 * @next: the cache's token on another node, or NULL
 */
struct kc_memcg_token {
	struct list_head lru;
	struct kcache *c;
	struct kc_memcg_token *next;
};

static struct kmem_cache *kc_token_cache;
static struct list_lru kc_lru;
/* set once kc_lru exists: the shrinker is registered first and may run before */
static bool kc_lru_ready;

static enum lru_status kc_count_one(struct list_head *item, struct list_lru_one *l,
				    spinlock_t *lock, void *arg)
{
	struct kc_memcg_token *t = container_of(item, struct kc_memcg_token, lru);

	/* racy reads, as shrinkers count: the policy's counters and the spares, no lock */
	*(unsigned long *)arg += kcache_policy_entries(&t->c->policy) +
				 READ_ONCE(t->c->spares_kept);
	return LRU_SKIP;
}

static unsigned long kc_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long n = 0, walk = ULONG_MAX;

	/* pairs with the release in kcache_shrinker_init(): kc_lru is initialised */
	if (!smp_load_acquire(&kc_lru_ready))
		return SHRINK_EMPTY;
	/*
	 * SHRINK_EMPTY clears the group's shrinker bit on this node, which only an addition to
	 * the empty list sets again: say it only when the group has no cache, not when its
	 * caches are momentarily empty.
	 */
	if (!list_lru_count_one(&kc_lru, sc->nid, sc->memcg))
		return SHRINK_EMPTY;
	list_lru_walk_one(&kc_lru, sc->nid, sc->memcg, kc_count_one, &n, &walk);
	return n;
}

struct kc_scan {
	struct kcache *c[KC_SCAN_CACHES];
	unsigned int n;
};

static enum lru_status kc_collect_one(struct list_head *item, struct list_lru_one *l,
				      spinlock_t *lock, void *arg)
{
	struct kc_memcg_token *t = container_of(item, struct kc_memcg_token, lru);
	struct kc_scan *scan = arg;
	unsigned int i;

	/* the rotated token comes round again when the list is shorter than the walk */
	for (i = 0; i < scan->n; i++)
		if (scan->c[i] == t->c)
			return LRU_SKIP;
	if (!kcache_enter(t->c))
		return LRU_SKIP;	/* being destroyed: its entries go anyway */
	scan->c[scan->n++] = t->c;
	/*
	 * Only the first goes to the tail. Rotating all would leave a list of no more than
	 * KC_SCAN_CACHES in its order, and the same cache would give first at every scan.
	 */
	return scan->n == 1 ? LRU_ROTATE : LRU_SKIP;
}

static unsigned long kc_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long walk = KC_SCAN_CACHES, freed = 0;
	struct kc_scan scan;
	unsigned int i;

	/* pairs with the release in kcache_shrinker_init(): kc_lru is initialised */
	if (!smp_load_acquire(&kc_lru_ready))
		return SHRINK_STOP;
	scan.n = 0;
	list_lru_walk_one(&kc_lru, sc->nid, sc->memcg, kc_collect_one, &scan, &walk);
	for (i = 0; i < scan.n; i++) {
		if (freed < sc->nr_to_scan)
			freed += kcache_maint_shrink(scan.c[i], sc->nr_to_scan - freed);
		kcache_leave(scan.c[i]);
	}
	return freed ?: SHRINK_STOP;
}

/* allocated through kcache_compat.h: 6.7 changed the shrinker API */
static struct shrinker *kcache_shrinker;

static void kc_tokens_free(struct kcache *c)
{
	struct kc_memcg_token *t, *next;

	for (t = c->memcg_token; t; t = next) {
		next = t->next;
		kcache_list_lru_del_obj(&kc_lru, &t->lru);
		kmem_cache_free(kc_token_cache, t);
	}
	c->memcg_token = NULL;
}

static void kc_token_add(struct kcache *c, struct kc_memcg_token *t)
{
	INIT_LIST_HEAD(&t->lru);
	t->c = c;
	t->next = c->memcg_token;
	c->memcg_token = t;
}

/**
 * kcache_shrinker_track() - make a new cache's reclaim tokens, not listed yet
 * @c: the cache, with ->memcg set
 *
 * One token on each node with memory a slab can take (not one whose memory is all
 * movable), charged to c->memcg: list_lru files an item under the node of its page and the
 * group it is charged to. Only kcache_shrinker_list() makes them visible to reclaim, once
 * the cache is sure to be created: a cache freed on a failed create must never have been
 * found by a scan, which would use it after the free (kcache_destroy() waits for such
 * scans, a failed create cannot).
 *
 * Return: 0 or -ENOMEM, with no token left.
 */
int kcache_shrinker_track(struct kcache *c)
{
	struct kc_memcg_token *t;
	int nid, first_nid;
#ifdef CONFIG_MEMCG
	struct mem_cgroup *old = set_active_memcg(c->memcg);
#endif

	/* the _lru form gives the group its lists on kc_lru, on every node */
	t = kmem_cache_alloc_lru(kc_token_cache, &kc_lru, GFP_KERNEL);
	if (!t)
		goto nomem;
	kc_token_add(c, t);
	first_nid = page_to_nid(virt_to_page(t));
	for_each_node_state(nid, N_MEMORY) {
		if (nid == first_nid)
			continue;
		t = kmem_cache_alloc_node(kc_token_cache, GFP_KERNEL | __GFP_THISNODE, nid);
		if (!t)
			goto nomem;
		/*
		 * A node whose memory is all movable has no slab: the allocator ignores the
		 * node and takes the token from another one, whose list would then count the
		 * cache twice. None of a cache's memory can be there, so it needs no token.
		 */
		if (page_to_nid(virt_to_page(t)) != nid) {
			kmem_cache_free(kc_token_cache, t);
			continue;
		}
		kc_token_add(c, t);
	}
#ifdef CONFIG_MEMCG
	set_active_memcg(old);
#endif
	return 0;

nomem:
#ifdef CONFIG_MEMCG
	set_active_memcg(old);
#endif
	kc_tokens_free(c);
	return -ENOMEM;
}

/**
 * kcache_shrinker_list() - list a cache's tokens: reclaim finds the cache from now on
 * @c: the cache, about to be registered (under kcache_registry_mutex, so that no destroy
 *	can have unlisted and freed the tokens first)
 */
void kcache_shrinker_list(struct kcache *c)
{
	struct kc_memcg_token *t;

	for (t = c->memcg_token; t; t = t->next)
		kcache_list_lru_add_obj(&kc_lru, &t->lru);
}

/**
 * kcache_shrinker_untrack() - unlist a cache; the shrinker no longer finds it
 * @c: the cache
 *
 * Also frees the tokens of a cache that was never listed (a failed create).
 * A scan that found it before holds c->users until it is done.
 */
void kcache_shrinker_untrack(struct kcache *c)
{
	kc_tokens_free(c);
}

struct kc_token_count {
	struct kcache *c;
	unsigned long n;
};

static enum lru_status kc_token_of(struct list_head *item, struct list_lru_one *l,
				   spinlock_t *lock, void *arg)
{
	struct kc_memcg_token *t = container_of(item, struct kc_memcg_token, lru);
	struct kc_token_count *tc = arg;

	tc->n += t->c == tc->c;
	return LRU_SKIP;
}

/**
 * kcache_test_shrinker_tokens() - how many of a cache's tokens a node's list holds
 * @c: the cache
 * @nid: the node
 *
 * Return: the number of @c's tokens on @nid's list for @c's group.
 */
unsigned long kcache_test_shrinker_tokens(struct kcache *c, int nid)
{
	struct kc_token_count tc = { .c = c };
	unsigned long walk = ULONG_MAX;

	list_lru_walk_one(&kc_lru, nid, c->memcg, kc_token_of, &tc, &walk);
	return tc.n;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_shrinker_tokens);

/**
 * kcache_test_shrink_count() - the shrinker's count for a cache's group on one node
 * @c: the cache
 * @nid: the node
 *
 * Return: what count_objects answers reclaim of @c's group on @nid.
 */
unsigned long kcache_test_shrink_count(struct kcache *c, int nid)
{
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nid = nid,
		.memcg = c->memcg,
	};

	return kc_shrink_count(kcache_shrinker, &sc);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_shrink_count);

/**
 * kcache_test_shrink_scan() - one scan of the shrinker for a cache's group on one node
 * @c: the cache
 * @nid: the node
 * @nr: entries to evict at most
 *
 * Return: what scan_objects answers reclaim of @c's group on @nid.
 */
unsigned long kcache_test_shrink_scan(struct kcache *c, int nid, unsigned long nr)
{
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nid = nid,
		.memcg = c->memcg,
		.nr_to_scan = nr,
	};

	return kc_shrink_scan(kcache_shrinker, &sc);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_shrink_scan);

/**
 * kcache_shrink() - evict from every cache's cold end, as global reclaim would, for tests
 * @nr: entries to evict at most
 *
 * Return: entries evicted.
 */
unsigned long kcache_shrink(unsigned long nr)
{
	return kcache_registry_shrink(nr);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_shrink);

/* One function, so that the 6.7+ API (shrinker_alloc/shrinker_register) is one change. */
static int kc_shrinker_register(void)
{
	kcache_shrinker = kcache_shrinker_create(SHRINKER_MEMCG_AWARE, kc_shrink_count,
						 kc_shrink_scan, "kcache");
	return PTR_ERR_OR_ZERO(kcache_shrinker);
}

static void kc_shrinker_unregister(void)
{
	kcache_shrinker_destroy(kcache_shrinker);
}

/* The list_lru needs the shrinker's id, so the shrinker is registered first. */
int kcache_shrinker_init(void)
{
	int ret;

	kc_token_cache = KMEM_CACHE(kc_memcg_token, SLAB_ACCOUNT);
	if (!kc_token_cache)
		return -ENOMEM;
	ret = kc_shrinker_register();
	if (ret)
		goto err_cache;
	ret = list_lru_init_memcg(&kc_lru, kcache_shrinker);
	if (ret)
		goto err_shrinker;
	/* publishes kc_lru to a shrinker call that may already run */
	smp_store_release(&kc_lru_ready, true);
	return 0;

err_shrinker:
	kc_shrinker_unregister();
err_cache:
	kmem_cache_destroy(kc_token_cache);
	return ret;
}

/* After every cache is destroyed: no token is left. */
void kcache_shrinker_uninit(void)
{
	kc_shrinker_unregister();
	list_lru_destroy(&kc_lru);
	kmem_cache_destroy(kc_token_cache);
}
