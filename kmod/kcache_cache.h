/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct kcache: the state of one cache, shared by the core's units. Each member says which
 * unit owns it and what protects it; the units' own headers expose their functions.
 */
#ifndef _KCACHE_CACHE_H
#define _KCACHE_CACHE_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/percpu-rwsem.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kcache.h"
#include "kcache_policy.h"
#include "kcache_stream.h"
#include "kcache_load.h"

struct kc_rbuf;
struct kc_spare_cpu;
struct kc_wring;
struct kc_wrec;
struct kc_memcg_token;
struct kcache_quota_charge;
struct mem_cgroup;

/**
 * struct kc_stripe - serialises the mutations of the keys that hash to it
 * @lock: held across "take a sequence number, change the table, emit the record"
 * @loads: in-flight loads of keys of this stripe (single-flight unit), under @lock
 */
struct kc_stripe {
	spinlock_t lock;	/* see kcache_table.c */
	struct hlist_head loads;
} ____cacheline_aligned_in_smp;

/* Size classes of spare entries: the kmalloc sizes from 64 bytes to a page (kcache_spare.c) */
#define KC_SPARE_CLASSES	9

/* Per-CPU counters; entries and bytes are deltas summed on read. */
struct kc_pcpu_stats {
	u64 hits, misses, sets, deletes, ev_size, ev_shrink, expired;
	s64 entries, bytes;
};

/**
 * struct kcache - a named cache
 * @ht: the table (kcache_table.c); lookups under RCU, mutations under a stripe lock
 * @stripes: per-key serialisation, @stripe_mask + 1 of them (kcache_table.c)
 * @stripe_mask: number of stripes - 1
 * @table_gone: destroy freed the table (kcache_table_clear())
 * @seq: last sequence number handed out; every mutation takes the next (kcache_record.c)
 * @charged: the charges of the live entries plus the room writers reserved and have not
 *	published yet (kc_store() adds before publishing, kcache_rec_emit() subtracts what
 *	leaves the table): the byte bound (kcache_store.c). It shares @seq's cache line, which
 *	every writer writes anyway, so the bound adds no shared line to the write path and
 *	nothing to reads
 * @mut_sem: read side held by every mutation from taking its number to emitting its record;
 *	a subscriber takes the write side for the instant it registers (design §7)
 * @streams: the subscribers of change streams (kcache_stream.c)
 * @rbuf: per-CPU lossy read rings (kcache_rbuf.c)
 * @wring: per-CPU write rings (kcache_wring.c)
 * @wring_size: records per write ring
 * @stats: per-CPU counters (kcache_record.c)
 * @spare_cpu: per-CPU lists of spare entries, one per class (kcache_spare.c)
 * @spares: the spare entries no CPU has taken yet, one lock-free list per class; on a line
 *	of their own, which writers only read until their CPU runs out (kcache_spare.c)
 * @spares_kept: spares the last limbo batch kept, for the shrinker's count (kcache_spare.c)
 * @spare_bytes: their bytes, for the statistics
 * @shrink_owed: entries the shrinker evicted that the limbo work has yet to free rather
 *	than keep as spares (kcache_spare.c)
 * @maint_mutex: the policy, the deadline heap, the limbo lists and the maintenance-side
 *	entry flags (kcache_maint.c)
 * @policy: eviction policy
 * @scratch: records taken out of the write rings for one drain, @wring_size of them
 * @limbo: entries out of table and policy, waiting for @limbo_rwork
 * @limbo_batch: entries the queued @limbo_rwork frees
 * @limbo_rwork: frees @limbo_batch after an RCU grace period and a read-ring drain
 * @limbo_queued: @limbo_rwork is queued or still freeing its batch
 * @heap: min-heap of the deadlines of the entries the policy holds (kcache_expiry.c)
 * @heap_nr: entries in @heap
 * @heap_cap: slots in @heap
 * @next_deadline: earliest deadline armed for @expire_work; 0 none (kcache_expiry.c)
 * @maint_work: maintenance pass, queued by the rings
 * @expire_work: maintenance pass at the next deadline
 * @tick_work: queues @maint_work a tick after a write ring stopped being empty
 * @maint_jiffies: when the last pass ran; throttles wake-ups from readers
 * @maint_passes: passes run, under @maint_mutex (writers read it to skip redundant ones)
 * @pass_wait: writers that found the maintenance mutex busy sleep here until it is released
 * @maint_running: a pass is running (read by writers, kcache_expiry.c)
 * @dying: destroy started; work items no longer re-arm one another
 * @test_stall_work: KUnit: the work items do nothing, as if the workqueue never ran
 * @test_walk_max: KUnit: the most entries an invalidate walk visited in one RCU section
 * @users: live operations; killed on destroy (kcache_registry.c)
 * @users_done: completed when @users drops to zero after the kill
 * @kref: lifetime of this struct
 * @list: registry link, under the registry mutex
 * @serial: when it was registered: larger for every later cache (LIST's cursor); set
 *	and read under the registry mutex
 * @dead: destroy has started (set under the registry mutex; readers check it under RCU)
 * @policy_seed: secret seed of the key hash (kcache_key_hash()): table, stripes, sketch
 * @memcg: the memory cgroup every allocation of this cache is charged to, the creator's
 *	(a reference, dropped when the struct is freed; NULL without memcg)
 * @memcg_token: this cache's item on the shrinker's per-memcg list (kcache_shrinker.c)
 * @quota_charge: the per-uid quota charge of a cache created through /dev/kcache, NULL
 *	for others; set once before the creator's fd exists, given back when the struct is
 *	freed (kcache_quota.c)
 * @footprint: bytes the cache allocated at creation besides its entries (struct, per-CPU
 *	counters and rings, stripes, the policy's sketch and shadows, the table's first
 *	buckets), reserved against max_total_bytes with @cfg.max_bytes (kcache_registry.c)
 * @cfg: configuration
 * @name: the cache's name
 * @loads: in-flight loads and leases (kcache_load.c)
 */
struct kcache {
	struct rhashtable ht;
	struct kc_stripe *stripes;
	unsigned int stripe_mask;
	bool table_gone;

	atomic64_t seq ____cacheline_aligned_in_smp;
	atomic64_t charged;

	struct percpu_rw_semaphore mut_sem;
	struct kcache_streams streams;
	struct kc_rbuf __percpu *rbuf;
	struct kc_wring __percpu *wring;
	unsigned int wring_size;
	struct kc_pcpu_stats __percpu *stats;
	struct kc_spare_cpu __percpu *spare_cpu;
	struct llist_head spares[KC_SPARE_CLASSES] ____cacheline_aligned_in_smp;
	unsigned long spares_kept;
	unsigned long spare_bytes;
	atomic_long_t shrink_owed;

	struct mutex maint_mutex ____cacheline_aligned_in_smp;
	struct kc_policy policy;
	struct kc_wrec *scratch;
	struct list_head limbo;
	struct list_head limbo_batch;
	struct rcu_work limbo_rwork;
	bool limbo_queued;
	struct kcache_entry **heap;
	u32 heap_nr;
	u32 heap_cap;
	u64 next_deadline;

	struct work_struct maint_work;
	struct delayed_work expire_work;
	struct delayed_work tick_work;
	unsigned long maint_jiffies;
	unsigned long maint_passes;
	wait_queue_head_t pass_wait;
	bool maint_running;
	bool dying;
#ifdef KCACHE_TESTS
	bool test_stall_work;
	int test_walk_max;
#endif

	struct percpu_ref users;
	struct completion users_done;
	struct kref kref;
	struct list_head list;
	u64 serial;
	bool dead;
	unsigned long policy_seed;
	struct mem_cgroup *memcg;
	struct kc_memcg_token *memcg_token;
	struct kcache_quota_charge *quota_charge;
	u64 footprint;
	struct kcache_config cfg;
	char name[KCACHE_NAME_MAX + 1];
	struct kcache_loads loads;
};

extern struct workqueue_struct *kcache_wq;

/*
 * Bytes a cache may hold beyond max_bytes: the room writers may reserve beyond the bound
 * (kcache_store.c), in which its spares are kept too (kcache_spare.c).
 */
static inline u64 kcache_bytes_slack(const struct kcache *c)
{
	return c->cfg.max_bytes / 16;
}

static inline bool kcache_enter(struct kcache *c)
{
	return percpu_ref_tryget_live(&c->users);
}

static inline void kcache_leave(struct kcache *c)
{
	percpu_ref_put(&c->users);
}

/*
 * A reader's kcache_enter(): under rcu_read_lock(), the cache may be read until the
 * section ends. Readers take no reference, which would write a per-CPU counter twice per
 * lookup: kcache_destroy() sets @dead and waits a grace period before it stops
 * maintenance (readers may queue it) and frees the table.
 */
static inline bool kcache_reader_live(const struct kcache *c)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "kcache reader outside RCU");
	return !READ_ONCE(c->dead);
}

#endif /* _KCACHE_CACHE_H */
