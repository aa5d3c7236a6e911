// SPDX-License-Identifier: GPL-2.0
/*
 * kcache core: named caches, entries in an rhashtable, lock-free reads, a bounded write
 * buffer and per-CPU read buffers drained by one maintenance pass per cache into the
 * eviction policy, TTL expiry, a shrinker, and the exported kernel API.
 *
 * Locks and what they protect:
 *  - kcache_registry_mutex: the list of named caches, their count and reserved bytes
 *    (the list is also RCU, for the shrinker's count).
 *  - c->maint_mutex: the policy, the deadline heap, in_policy and heap_idx of entries, the
 *    limbo lists, the write-buffer scratch array. Held by the maintenance work,
 *    kcache_maintain() and by a writer that finds the write buffer full (it drains; it
 *    never spins).
 *  - c->lock (spinlock): every mutation of the table (rhashtable insert/replace/remove),
 *    entry state, c->seq, c->entries, c->bytes, the write buffer ring. One critical section
 *    assigns an entry its sequence number, publishes it and appends its write record, so
 *    the records are in the same total order as the table's mutations.
 *  - RCU: readers look entries up with no lock; entries are freed after a grace period.
 * Lock order: kcache_registry_mutex -> c->maint_mutex -> c->lock -> rhashtable bucket locks.
 * c->lock is never held while sleeping or allocating with GFP_KERNEL.
 *
 * Entry lifetime: published (LIVE) -> unpublished under c->lock (RETIRED) -> out of the
 * policy (by its write record or by eviction) -> limbo -> freed. An entry pointer may sit in
 * a lossy per-CPU read buffer after the entry left the table, so limbo entries are freed
 * only after an RCU grace period that began after they left the table *and* a read-buffer
 * drain that began after that grace period ended: by then no buffer can name them.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/jhash.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/percpu-refcount.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "kcache_internal.h"
#include "kcache_policy.h"

static unsigned int max_caches = 64;
module_param(max_caches, uint, 0644);
MODULE_PARM_DESC(max_caches, "Maximum number of caches (-ENOSPC beyond)");

static unsigned long max_total_bytes = 256UL << 20;
module_param(max_total_bytes, ulong, 0644);
MODULE_PARM_DESC(max_total_bytes, "Sum of all caches' byte limits (-ENOMEM beyond)");

static unsigned int value_max = 1U << 20;
module_param(value_max, uint, 0644);
MODULE_PARM_DESC(value_max, "Largest value in bytes (at most 64 MiB)");

static unsigned long default_max_entries = 1UL << 16;
module_param(default_max_entries, ulong, 0644);
MODULE_PARM_DESC(default_max_entries, "Entry bound of caches created with 0");

static unsigned int write_buffer_size = 256;
module_param(write_buffer_size, uint, 0644);
MODULE_PARM_DESC(write_buffer_size, "Write records buffered per cache before a writer drains");

#define KC_RBUF_SIZE	16	/* slots of a per-CPU read ring (power of two) */
#define KC_EXPIRE_MIN_NS	(10 * NSEC_PER_MSEC)	/* expiry work is re-armed no sooner */
#define KC_HEAP_MIN	64	/* first allocation of the deadline heap */

enum kc_state { KC_LIVE = 1, KC_RETIRED };

/**
 * struct kcache_entry - one key/value pair; header, key and value in one allocation
 * @node: table linkage
 * @pn: policy linkage; reused as the limbo list link once out of the policy
 * @rcu: for the final free, when no list links the entry any more
 * @seq: sequence number of the mutation that published it (the entry's version)
 * @expires: deadline on the monotonic clock in ns, 0 for none
 * @ref: one for the cache plus one per handle
 * @vlen: value length
 * @klen: key length
 * @state: &enum kc_state, under c->lock
 * @in_policy: the policy links it, under c->maint_mutex
 * @heap_idx: 1 + its index in the cache's deadline heap, 0 if not there; maint_mutex
 * @data: key bytes followed by value bytes
 */
struct kcache_entry {
	struct rhash_head node;
	union {
		struct kc_pnode pn;
		struct rcu_head rcu;
	};
	u64 seq;
	u64 expires;
	refcount_t ref;
	u32 vlen;
	u16 klen;
	u8 state;
	u8 in_policy;
	u32 heap_idx;
	u8 data[];
};

enum kc_op { KC_OP_ADD = 1, KC_OP_REPLACE, KC_OP_REMOVE };

struct kc_wrec {
	struct kcache_entry *e;
	struct kcache_entry *old;
	unsigned long op;
};

struct kc_rbuf {
	unsigned long head;
	unsigned long slot[KC_RBUF_SIZE];
};

struct kc_pcpu_stats {
	u64 hits, misses, sets, deletes, ev_size, ev_shrink, expired;
};

/**
 * struct kcache - a named cache
 * @ht: the table
 * @lock: see the top of this file
 * @seq: last sequence number handed out
 * @entries: entries in the table
 * @bytes: weight of the entries in the table
 * @next_deadline: earliest deadline of a published entry not yet swept (0: none)
 * @wb: write-buffer ring, @wb_size records
 * @wb_head: index of the oldest record
 * @wb_count: records in the ring
 * @wb_size: capacity of the ring
 * @maint_mutex: see the top of this file
 * @policy: eviction policy
 * @wb_scratch: records taken out of the ring for processing
 * @limbo_new: entries out of table and policy since @limbo_cookie was taken
 * @limbo_old: entries waiting for @limbo_cookie's grace period
 * @limbo_cookie: RCU state cookie covering @limbo_old
 * @heap: min-heap of the deadlines of entries the policy holds, @heap_nr of @heap_cap
 * @heap_nr: entries in @heap
 * @heap_cap: slots in @heap
 * @rbuf: per-CPU read rings
 * @stats: per-CPU counters
 * @users: live operations; killed on destroy
 * @users_done: completed when @users drops to zero after the kill
 * @kref: lifetime of this struct
 * @maint_work: maintenance pass, queued by buffers
 * @expire_work: maintenance pass armed for the next deadline
 * @limbo_work: maintenance pass armed to free limbo after its grace period
 * @list: registry link (RCU for the shrinker)
 * @dead: destroy has started (under kcache_registry_mutex)
 * @policy_seed: seed of key hashes for the policy's sketch
 * @cfg: configuration
 * @name: the cache's name
 */
struct kcache {
	struct rhashtable ht;

	spinlock_t lock ____cacheline_aligned_in_smp;
	u64 seq;
	u64 entries;
	u64 bytes;
	u64 next_deadline;
	struct kc_wrec *wb;
	unsigned int wb_head;
	unsigned int wb_count;
	unsigned int wb_size;

	struct mutex maint_mutex ____cacheline_aligned_in_smp;
	struct kc_policy policy;
	struct kc_wrec *wb_scratch;
	struct list_head limbo_new;
	struct list_head limbo_old;
	unsigned long limbo_cookie;
	struct kcache_entry **heap;
	u32 heap_nr;
	u32 heap_cap;

	struct kc_rbuf __percpu *rbuf;
	struct kc_pcpu_stats __percpu *stats;
	struct percpu_ref users;
	struct completion users_done;
	struct kref kref;
	struct work_struct maint_work;
	struct delayed_work expire_work;
	struct delayed_work limbo_work;
	struct list_head list;
	bool dead;
	u32 policy_seed;
	struct kcache_config cfg;
	char name[KCACHE_NAME_MAX + 1];
};

struct kc_key {
	const void *p;
	u32 len;
};

static DEFINE_MUTEX(kcache_registry_mutex);
static LIST_HEAD(kcache_registry);
static unsigned int kcache_count;
static u64 kcache_reserved_bytes;
static struct workqueue_struct *kcache_wq;

static u32 kc_key_hashfn(const void *data, u32 len, u32 seed)
{
	const struct kc_key *k = data;

	return jhash(k->p, k->len, seed);
}

static u32 kc_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct kcache_entry *e = data;

	return jhash(e->data, e->klen, seed);
}

static int kc_obj_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct kc_key *k = arg->key;
	const struct kcache_entry *e = obj;

	return e->klen != k->len || memcmp(e->data, k->p, k->len);
}

static const struct rhashtable_params kc_ht_params = {
	.head_offset = offsetof(struct kcache_entry, node),
	.hashfn = kc_key_hashfn,
	.obj_hashfn = kc_obj_hashfn,
	.obj_cmpfn = kc_obj_cmpfn,
	.automatic_shrinking = true,
};

static inline u32 kc_weight(u32 klen, u32 vlen)
{
	return sizeof(struct kcache_entry) + klen + vlen;
}

static inline const void *kc_value(const struct kcache_entry *e)
{
	return e->data + e->klen;
}

/* jiffies until @deadline (at least @min_ns away), capped at an hour: re-armed then */
static unsigned long kc_delay(u64 deadline, u64 now, u64 min_ns)
{
	u64 d = deadline > now ? deadline - now : 0;

	return min_t(u64, nsecs_to_jiffies64(max(d, min_ns)), 3600ULL * HZ) + 1;
}

static inline bool kc_expired(const struct kcache_entry *e, u64 now)
{
	return e->expires && now >= e->expires;
}

static inline bool kc_entry_expired(const struct kcache_entry *e)
{
	return e->expires && ktime_get_ns() >= e->expires;
}

static void kc_entry_put(struct kcache_entry *e)
{
	if (refcount_dec_and_test(&e->ref))
		kvfree_rcu(e, rcu);
}

static struct kcache_entry *kc_entry_alloc(struct kcache *c, const void *key, u32 klen,
					   u32 vlen, u64 ttl_ns)
{
	struct kcache_entry *e;

	e = kvmalloc(struct_size(e, data, (size_t)klen + vlen), GFP_KERNEL_ACCOUNT);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	refcount_set(&e->ref, 1);
	e->klen = klen;
	e->vlen = vlen;
	memcpy(e->data, key, klen);
	e->pn.hash = jhash(key, klen, c->policy_seed);
	e->pn.weight = kc_weight(klen, vlen);
	if (ttl_ns == KCACHE_TTL_DEFAULT)
		ttl_ns = c->cfg.default_ttl_ns;
	if (ttl_ns) {
		u64 now = ktime_get_ns();

		/* a TTL past the end of the clock means "never expires" (U64_MAX) */
		e->expires = ttl_ns > U64_MAX - now ? U64_MAX : now + ttl_ns;
	}
	return e;
}

static inline bool kcache_enter(struct kcache *c)
{
	return percpu_ref_tryget_live(&c->users);
}

static inline void kcache_leave(struct kcache *c)
{
	percpu_ref_put(&c->users);
}

static void kc_schedule(struct kcache *c)
{
	queue_work(kcache_wq, &c->maint_work);
}

/* Lossy: a record that lands on an occupied slot replaces it. Any context. */
static void kc_record_read(struct kcache *c, unsigned long rec)
{
	struct kc_rbuf *rb = get_cpu_ptr(c->rbuf);
	unsigned long idx = rb->head++ & (KC_RBUF_SIZE - 1);

	WRITE_ONCE(rb->slot[idx], rec);
	put_cpu_ptr(c->rbuf);
	if (idx == KC_RBUF_SIZE / 2)
		kc_schedule(c);
}

static inline unsigned long kc_miss_rec(u32 hash)
{
	return ((unsigned long)hash << 1) | 1;
}

/* ---- write buffer ---- */

static void kc_maintain_locked(struct kcache *c);

/*
 * Returns with c->lock held and room for one write record. A full buffer is drained by
 * the writer itself under the maintenance mutex: it sleeps on the mutex if another drain
 * runs, and each round processes the records it finds, so it never spins and never
 * depends on the workqueue.
 */
static void kc_wbuf_reserve(struct kcache *c)
	__acquires(&c->lock)
{
	spin_lock(&c->lock);
	while (c->wb_count == c->wb_size) {
		spin_unlock(&c->lock);
		mutex_lock(&c->maint_mutex);
		/* a whole pass: evicting and freeing limbo must not wait for the workqueue */
		kc_maintain_locked(c);
		mutex_unlock(&c->maint_mutex);
		spin_lock(&c->lock);
	}
}

static void kc_wbuf_append(struct kcache *c, enum kc_op op, struct kcache_entry *e,
			   struct kcache_entry *old)
{
	struct kc_wrec *r;

	lockdep_assert_held(&c->lock);
	r = &c->wb[(c->wb_head + c->wb_count) % c->wb_size];
	r->op = op;
	r->e = e;
	r->old = old;
	c->wb_count++;
}

static inline bool kc_wbuf_needs_drain(const struct kcache *c)
{
	return c->wb_count >= c->wb_size / 2;
}

/* ---- table mutations, all under c->lock ---- */

static void kc_unlink_locked(struct kcache *c, struct kcache_entry *e)
{
	lockdep_assert_held(&c->lock);
	rhashtable_remove_fast(&c->ht, &e->node, kc_ht_params);
	e->state = KC_RETIRED;
	c->seq++;
	c->entries--;
	c->bytes -= e->pn.weight;
}

enum kc_cond { KC_COND_SET, KC_COND_CAS, KC_COND_ADD };

/**
 * struct kc_pub - what a store asks for and what it learns
 * @flags: %KCACHE_SET_* flags
 * @cond: plain set, compare-and-set or counter add
 * @expected: version for %KC_COND_CAS
 * @seq: out: the new entry's version
 * @sum: out: the counter's new value for %KC_COND_ADD
 */
struct kc_pub {
	u32 flags;
	enum kc_cond cond;
	u64 expected;
	u64 seq;
	u64 sum;
};

static void kc_add_merge(struct kcache_entry *e, const struct kcache_entry *old, int *err);

/*
 * Publish @e for its key according to @p. On success @e belongs to the cache and may be
 * freed as soon as c->lock is dropped, so the results are copied out under the lock.
 */
static int kc_publish(struct kcache *c, struct kcache_entry *e, struct kc_pub *p)
{
	u32 flags = p->flags;
	enum kc_cond cond = p->cond;
	u64 expected = p->expected;
	u64 expires;
	struct kc_key k = { .p = e->data, .len = e->klen };
	struct kcache_entry *old;
	bool old_live;
	bool arm = false;
	int ret = 0;

	kc_wbuf_reserve(c);
	rcu_read_lock();
	old = rhashtable_lookup(&c->ht, &k, kc_ht_params);
	rcu_read_unlock();
	old_live = old && !kc_entry_expired(old);

	if ((flags & KCACHE_SET_IF_ABSENT) && old_live)
		ret = -EEXIST;
	else if ((flags & KCACHE_SET_IF_PRESENT) && !old_live)
		ret = -ENOENT;
	else if (cond == KC_COND_CAS && !old_live)
		ret = -ENOENT;
	else if (cond == KC_COND_CAS && old->seq != expected)
		ret = -ESTALE;
	if (!ret && cond == KC_COND_ADD)
		kc_add_merge(e, old_live ? old : NULL, &ret);
	if (ret)
		goto out_unlock;
	if (old && (flags & KCACHE_SET_KEEP_TTL) && old_live)
		e->expires = old->expires;

	if (old) {
		ret = rhashtable_replace_fast(&c->ht, &old->node, &e->node, kc_ht_params);
		if (ret)
			goto out_unlock;
		old->state = KC_RETIRED;
		c->entries--;
		c->bytes -= old->pn.weight;
		kc_wbuf_append(c, KC_OP_REPLACE, e, old);
	} else {
		ret = rhashtable_insert_fast(&c->ht, &e->node, kc_ht_params);
		if (ret)
			goto out_unlock;
		kc_wbuf_append(c, KC_OP_ADD, e, NULL);
	}
	e->state = KC_LIVE;
	e->seq = ++c->seq;
	c->entries++;
	c->bytes += e->pn.weight;
	if (e->expires && (!c->next_deadline || e->expires < c->next_deadline)) {
		c->next_deadline = e->expires;
		arm = true;
	}
	p->seq = e->seq;
	if (cond == KC_COND_ADD)
		memcpy(&p->sum, kc_value(e), sizeof(p->sum));
	expires = e->expires;
	if (kc_wbuf_needs_drain(c) || c->entries > c->cfg.max_entries ||
	    c->bytes > c->cfg.max_bytes)
		kc_schedule(c);
out_unlock:
	spin_unlock(&c->lock);
	if (arm)
		mod_delayed_work(kcache_wq, &c->expire_work,
				 kc_delay(expires, ktime_get_ns(), 0));
	return ret;
}

/* ---- maintenance ---- */

static void kc_limbo_add(struct kcache *c, struct kcache_entry *e)
{
	lockdep_assert_held(&c->maint_mutex);
	list_add_tail(&e->pn.link, &c->limbo_new);
}

static void kc_drain_reads(struct kcache *c)
{
	unsigned long rec;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct kc_rbuf *rb = per_cpu_ptr(c->rbuf, cpu);

		for (i = 0; i < KC_RBUF_SIZE; i++) {
			rec = xchg(&rb->slot[i], 0);
			if (!rec)
				continue;
			if (rec & 1) {
				kcache_policy_miss(&c->policy, rec >> 1);
			} else {
				struct kcache_entry *e = (struct kcache_entry *)rec;

				if (e->in_policy)
					kcache_policy_access(&c->policy, &e->pn);
			}
		}
	}
}

/*
 * The deadline heap: a binary min-heap on ->expires of the entries the policy holds
 * (entries get in when their write record is applied, out when they leave the policy),
 * so the next deadline is at the top and reclaiming k expired entries costs O(k log n).
 * Maintenance mutex only.
 */
static inline bool kc_heap_less(struct kcache *c, u32 a, u32 b)
{
	return c->heap[a]->expires < c->heap[b]->expires;
}

static void kc_heap_set(struct kcache *c, u32 i, struct kcache_entry *e)
{
	c->heap[i] = e;
	e->heap_idx = i + 1;
}

static void kc_heap_swap(struct kcache *c, u32 a, u32 b)
{
	struct kcache_entry *t = c->heap[a];

	kc_heap_set(c, a, c->heap[b]);
	kc_heap_set(c, b, t);
}

static void kc_heap_fix(struct kcache *c, u32 i)
{
	u32 l, m;

	while (i && kc_heap_less(c, i, (i - 1) / 2)) {
		kc_heap_swap(c, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < c->heap_nr && kc_heap_less(c, l, m))
			m = l;
		if (l + 1 < c->heap_nr && kc_heap_less(c, l + 1, m))
			m = l + 1;
		if (m == i)
			break;
		kc_heap_swap(c, i, m);
		i = m;
	}
}

/*
 * If the heap cannot grow, the entry stays out of it: it is still never returned once
 * expired, but then only eviction, delete or replace reclaims it.
 */
static void kc_heap_add(struct kcache *c, struct kcache_entry *e)
{
	struct kcache_entry **h;
	u32 cap;

	lockdep_assert_held(&c->maint_mutex);
	if (!e->expires || e->expires == U64_MAX)
		return;
	if (c->heap_nr == c->heap_cap) {
		cap = max_t(u32, KC_HEAP_MIN, c->heap_cap * 2);
		h = kvmalloc_array(cap, sizeof(*h), GFP_KERNEL_ACCOUNT);
		if (!h)
			return;
		if (c->heap_nr)
			memcpy(h, c->heap, c->heap_nr * sizeof(*h));
		kvfree(c->heap);
		c->heap = h;
		c->heap_cap = cap;
	}
	kc_heap_set(c, c->heap_nr++, e);
	kc_heap_fix(c, c->heap_nr - 1);
}

static void kc_heap_del(struct kcache *c, struct kcache_entry *e)
{
	u32 i = e->heap_idx;

	lockdep_assert_held(&c->maint_mutex);
	if (!i--)
		return;
	e->heap_idx = 0;
	if (i == --c->heap_nr)
		return;
	kc_heap_set(c, i, c->heap[c->heap_nr]);
	kc_heap_fix(c, i);
}

static void kc_apply(struct kcache *c, const struct kc_wrec *r)
{
	switch (r->op) {
	case KC_OP_ADD:
		kcache_policy_add(&c->policy, &r->e->pn);
		r->e->in_policy = 1;
		kc_heap_add(c, r->e);
		break;
	case KC_OP_REPLACE:
		if (r->old->in_policy)
			kcache_policy_replace(&c->policy, &r->old->pn, &r->e->pn);
		else
			kcache_policy_add(&c->policy, &r->e->pn);
		r->old->in_policy = 0;
		r->e->in_policy = 1;
		kc_heap_del(c, r->old);
		kc_heap_add(c, r->e);
		kc_limbo_add(c, r->old);
		break;
	case KC_OP_REMOVE:
		if (r->e->in_policy)
			kcache_policy_remove(&c->policy, &r->e->pn);
		r->e->in_policy = 0;
		kc_heap_del(c, r->e);
		kc_limbo_add(c, r->e);
		break;
	}
}

static void kc_drain_writes(struct kcache *c)
{
	unsigned int n, i;

	lockdep_assert_held(&c->maint_mutex);
	spin_lock(&c->lock);
	n = c->wb_count;
	for (i = 0; i < n; i++)
		c->wb_scratch[i] = c->wb[(c->wb_head + i) % c->wb_size];
	c->wb_head = (c->wb_head + n) % c->wb_size;
	c->wb_count = 0;
	spin_unlock(&c->lock);
	for (i = 0; i < n; i++)
		kc_apply(c, &c->wb_scratch[i]);
}

/*
 * A victim chosen by the policy is out of the policy. If it is still in the table, take
 * it out; if a writer already did, its write record is pending and will move it to limbo.
 */
static bool kc_retire_victim(struct kcache *c, struct kcache_entry *e)
{
	bool was_live;

	e->in_policy = 0;
	kc_heap_del(c, e);
	spin_lock(&c->lock);
	was_live = e->state == KC_LIVE;
	if (was_live)
		kc_unlink_locked(c, e);
	spin_unlock(&c->lock);
	if (was_live)
		kc_limbo_add(c, e);
	return was_live;
}

static void kc_evict(struct kcache *c)
{
	struct kc_pnode *pn;

	while ((pn = kcache_policy_evict(&c->policy))) {
		if (kc_retire_victim(c, container_of(pn, struct kcache_entry, pn)))
			this_cpu_inc(c->stats->ev_size);
		cond_resched();
	}
}

/*
 * Reclaim the expired entries at the top of the deadline heap. Entries whose write record
 * is still buffered are not in the heap yet; the writer armed the work for them.
 */
static void kc_expire(struct kcache *c, u64 now)
{
	struct kcache_entry *e;
	u64 next;

	/* writers arm their own deadlines meanwhile: see the merge below */
	spin_lock(&c->lock);
	c->next_deadline = 0;
	spin_unlock(&c->lock);
	while (c->heap_nr && c->heap[0]->expires <= now) {
		e = c->heap[0];
		kc_heap_del(c, e);
		spin_lock(&c->lock);
		if (e->state == KC_LIVE) {
			kc_unlink_locked(c, e);
			spin_unlock(&c->lock);
			kcache_policy_remove(&c->policy, &e->pn);
			e->in_policy = 0;
			kc_limbo_add(c, e);
			this_cpu_inc(c->stats->expired);
		} else {
			/* a writer retired it: its pending record moves it to limbo */
			spin_unlock(&c->lock);
		}
		cond_resched();
	}
	next = c->heap_nr ? c->heap[0]->expires : 0;
	spin_lock(&c->lock);
	if (next && (!c->next_deadline || next < c->next_deadline))
		c->next_deadline = next;
	spin_unlock(&c->lock);
}

static void kc_free_list(struct list_head *head)
{
	struct kcache_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, head, pn.link) {
		list_del(&e->pn.link);
		kc_entry_put(e);
	}
}

/* One pass: see the top of this file for why limbo is handled in this order. */
static void kc_maintain_locked(struct kcache *c)
{
	LIST_HEAD(ready);
	u64 now = ktime_get_ns(), deadline;

	lockdep_assert_held(&c->maint_mutex);
	if (!list_empty(&c->limbo_old) && poll_state_synchronize_rcu(c->limbo_cookie))
		list_splice_init(&c->limbo_old, &ready);
	kc_drain_reads(c);
	kc_drain_writes(c);
	kc_evict(c);
	deadline = READ_ONCE(c->next_deadline);
	if (deadline && deadline <= now)
		kc_expire(c, now);
	kc_free_list(&ready);
	if (list_empty(&c->limbo_old) && !list_empty(&c->limbo_new)) {
		list_splice_init(&c->limbo_new, &c->limbo_old);
		/* a snapshot alone would not make RCU start the grace period we wait for */
		c->limbo_cookie = start_poll_synchronize_rcu();
	}

	/* come back for limbo after its grace period, and at the next deadline */
	if (!list_empty(&c->limbo_old))
		queue_delayed_work(kcache_wq, &c->limbo_work, 2);
	deadline = READ_ONCE(c->next_deadline);
	if (deadline)
		queue_delayed_work(kcache_wq, &c->expire_work,
				   kc_delay(deadline, now, KC_EXPIRE_MIN_NS));
}

static void kc_maint_workfn(struct work_struct *work)
{
	struct kcache *c = container_of(work, struct kcache, maint_work);

	mutex_lock(&c->maint_mutex);
	kc_maintain_locked(c);
	mutex_unlock(&c->maint_mutex);
}

static void kc_limbo_workfn(struct work_struct *work)
{
	struct kcache *c = container_of(to_delayed_work(work), struct kcache, limbo_work);

	mutex_lock(&c->maint_mutex);
	kc_maintain_locked(c);
	mutex_unlock(&c->maint_mutex);
}

static void kc_expire_workfn(struct work_struct *work)
{
	struct kcache *c = container_of(to_delayed_work(work), struct kcache, expire_work);

	mutex_lock(&c->maint_mutex);
	kc_maintain_locked(c);
	mutex_unlock(&c->maint_mutex);
}

/**
 * kcache_maintain() - run a maintenance pass now
 * @c: the cache
 *
 * Drains the read and write buffers into the policy, evicts over the bounds and reclaims
 * expired entries. Once it returns, the entries written before the call are within the
 * bounds. Sleeps on the maintenance mutex.
 */
void kcache_maintain(struct kcache *c)
{
	might_sleep();
	if (!kcache_enter(c))
		return;
	mutex_lock(&c->maint_mutex);
	kc_maintain_locked(c);
	mutex_unlock(&c->maint_mutex);
	kcache_leave(c);
}
EXPORT_SYMBOL_GPL(kcache_maintain);

/* ---- names and the registry ---- */

/**
 * kcache_name_valid() - check a cache name
 * @name: NUL-terminated name
 *
 * Return: true if @name is 1..%KCACHE_NAME_MAX bytes of [A-Za-z0-9._-].
 */
bool kcache_name_valid(const char *name)
{
	size_t i, len = strnlen(name, KCACHE_NAME_MAX + 1);

	if (len == 0 || len > KCACHE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}
KCACHE_EXPORT_FOR_TESTS(kcache_name_valid);

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

/* destroy emptied the table; anything found here is a bug, but must not leak */
static void kc_free_leftover(void *ptr, void *arg)
{
	WARN_ON_ONCE(1);
	kc_entry_put(ptr);
}

static void kc_free(struct kcache *c)
{
	kvfree(c->heap);
	rhashtable_free_and_destroy(&c->ht, kc_free_leftover, NULL);
	kcache_policy_destroy(&c->policy);
	percpu_ref_exit(&c->users);
	free_percpu(c->stats);
	free_percpu(c->rbuf);
	kvfree(c->wb_scratch);
	kvfree(c->wb);
	kfree(c);
}

static void kc_release(struct kref *kref)
{
	kc_free(container_of(kref, struct kcache, kref));
}

/**
 * kcache_create() - create a named cache
 * @name: 1..%KCACHE_NAME_MAX bytes of [A-Za-z0-9._-]
 * @cfg: its configuration; zero bounds take the module defaults
 *
 * The registry holds one reference until kcache_destroy(); the caller gets another one,
 * to drop with kcache_put_ref().
 *
 * Return: the cache, or ERR_PTR(-EINVAL) for a bad name, policy or flags,
 * ERR_PTR(-EEXIST) if the name is taken, ERR_PTR(-ENOSPC) beyond max_caches,
 * ERR_PTR(-ENOMEM) beyond max_total_bytes or when out of memory.
 */
struct kcache *kcache_create(const char *name, const struct kcache_config *cfg)
{
	struct kcache *c;
	u64 max_bytes;
	int ret;

	might_sleep();
	if (!kcache_name_valid(name) || cfg->policy >= KCACHE_POLICY_NR || cfg->flags)
		return ERR_PTR(-EINVAL);
	max_bytes = cfg->max_bytes ?: min_t(u64, 64ULL << 20, max_total_bytes);

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return ERR_PTR(-ENOMEM);
	strscpy(c->name, name, sizeof(c->name));
	c->cfg = *cfg;
	c->cfg.max_bytes = max_bytes;
	c->cfg.max_entries = cfg->max_entries ?: default_max_entries;
	c->wb_size = max(write_buffer_size, 2U);
	spin_lock_init(&c->lock);
	mutex_init(&c->maint_mutex);
	INIT_LIST_HEAD(&c->limbo_new);
	INIT_LIST_HEAD(&c->limbo_old);
	INIT_LIST_HEAD(&c->list);
	INIT_WORK(&c->maint_work, kc_maint_workfn);
	INIT_DELAYED_WORK(&c->expire_work, kc_expire_workfn);
	INIT_DELAYED_WORK(&c->limbo_work, kc_limbo_workfn);
	init_completion(&c->users_done);
	kref_init(&c->kref);
	c->policy_seed = get_random_u32();

	ret = -ENOMEM;
	c->wb = kvcalloc(c->wb_size, sizeof(*c->wb), GFP_KERNEL_ACCOUNT);
	c->wb_scratch = kvcalloc(c->wb_size, sizeof(*c->wb), GFP_KERNEL_ACCOUNT);
	c->rbuf = alloc_percpu_gfp(struct kc_rbuf, GFP_KERNEL_ACCOUNT);
	c->stats = alloc_percpu_gfp(struct kc_pcpu_stats, GFP_KERNEL_ACCOUNT);
	if (!c->wb || !c->wb_scratch || !c->rbuf || !c->stats)
		goto err_free;
	ret = percpu_ref_init(&c->users, kc_users_release, 0, GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = kcache_policy_init(&c->policy, c->cfg.policy, c->cfg.max_entries, max_bytes,
			     get_random_u64());
	if (ret)
		goto err_ref;
	ret = rhashtable_init(&c->ht, &kc_ht_params);
	if (ret)
		goto err_policy;

	mutex_lock(&kcache_registry_mutex);
	if (kc_find_locked(name))
		ret = -EEXIST;
	else if (kcache_count >= max_caches)
		ret = -ENOSPC;
	else if (max_bytes > max_total_bytes ||
		 kcache_reserved_bytes > max_total_bytes - max_bytes)
		ret = -ENOMEM;
	if (ret) {
		mutex_unlock(&kcache_registry_mutex);
		goto err_ht;
	}
	kcache_count++;
	kcache_reserved_bytes += max_bytes;
	kref_get(&c->kref);
	list_add_tail_rcu(&c->list, &kcache_registry);
	mutex_unlock(&kcache_registry_mutex);
	return c;

err_ht:
	rhashtable_destroy(&c->ht);
err_policy:
	kcache_policy_destroy(&c->policy);
err_ref:
	percpu_ref_exit(&c->users);
err_free:
	free_percpu(c->stats);
	free_percpu(c->rbuf);
	kvfree(c->wb_scratch);
	kvfree(c->wb);
	kfree(c);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(kcache_create);

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

/* Remove every entry; the caller guarantees no writer and no maintenance runs. */
static void kc_clear_all(struct kcache *c)
{
	struct rhashtable_iter iter;
	struct kcache_entry *e;
	int passes = 0;
	LIST_HEAD(dead);

	mutex_lock(&c->maint_mutex);
	kc_drain_writes(c);
	/* nothing adds entries now; a walk racing a resize is simply repeated */
	do {
		rhashtable_walk_enter(&c->ht, &iter);
		rhashtable_walk_start(&iter);
		while ((e = rhashtable_walk_next(&iter))) {
			if (IS_ERR(e))
				continue;
			spin_lock(&c->lock);
			if (e->state == KC_LIVE) {
				kc_unlink_locked(c, e);
				if (e->in_policy)
					kcache_policy_remove(&c->policy, &e->pn);
				e->in_policy = 0;
				list_add_tail(&e->pn.link, &dead);
			}
			spin_unlock(&c->lock);
		}
		rhashtable_walk_stop(&iter);
		rhashtable_walk_exit(&iter);
	} while (atomic_read(&c->ht.nelems) && ++passes < 8);
	c->heap_nr = 0;
	list_splice_tail_init(&dead, &c->limbo_new);
	/* no reader can reach them now: wait for those that could, then drop all records */
	synchronize_rcu();
	kc_drain_reads(c);
	kc_free_list(&c->limbo_old);
	kc_free_list(&c->limbo_new);
	mutex_unlock(&c->maint_mutex);
}

/**
 * kcache_destroy() - unpublish a cache and drop its entries
 * @c: the cache; the caller's reference stays valid and must still be put
 *
 * Order (design §8): unpublish the name, stop new operations and wait for running ones,
 * stop maintenance, free the entries after RCU. Operations on @c afterwards fail with
 * -ESHUTDOWN. Destroying twice is harmless.
 */
void kcache_destroy(struct kcache *c)
{
	might_sleep();
	mutex_lock(&kcache_registry_mutex);
	if (c->dead) {
		mutex_unlock(&kcache_registry_mutex);
		return;
	}
	WRITE_ONCE(c->dead, true);
	list_del_rcu(&c->list);
	kcache_count--;
	kcache_reserved_bytes -= c->cfg.max_bytes;
	mutex_unlock(&kcache_registry_mutex);
	/* the shrinker walks the registry under RCU */
	synchronize_rcu();

	percpu_ref_kill(&c->users);
	wait_for_completion(&c->users_done);
	cancel_work_sync(&c->maint_work);
	cancel_delayed_work_sync(&c->expire_work);
	cancel_delayed_work_sync(&c->limbo_work);
	kc_clear_all(c);
	/* the clear may have queued nothing, but a late kc_schedule() from a reader may */
	cancel_work_sync(&c->maint_work);
	cancel_delayed_work_sync(&c->expire_work);
	cancel_delayed_work_sync(&c->limbo_work);
	kcache_put_ref(c);
}
EXPORT_SYMBOL_GPL(kcache_destroy);

/* ---- operations ---- */

static int kc_check_key(const void *key, u32 klen)
{
	if (!key || !klen)
		return -EINVAL;
	if (klen > KCACHE_KEY_MAX)
		return -E2BIG;
	return 0;
}

/**
 * kcache_get() - copy a value out
 * @c: the cache
 * @key: key bytes
 * @klen: key length, 1..%KCACHE_KEY_MAX
 * @buf: destination
 * @vlen: in: size of @buf; out: length of the value
 * @version: if not NULL, gets the entry's version
 *
 * Lock-free; any context that may hold rcu_read_lock(), except NMI (it may queue the
 * maintenance work).
 *
 * Return: 0; -ENOENT if absent or expired; -EMSGSIZE if @buf is too small (*@vlen then
 * holds the needed length); -EINVAL / -E2BIG for a bad key; -ESHUTDOWN after destroy.
 */
int kcache_get(struct kcache *c, const void *key, u32 klen, void *buf, u32 *vlen,
	       u64 *version)
{
	struct kc_key k = { .p = key, .len = klen };
	struct kcache_entry *e;
	int ret;

	ret = kc_check_key(key, klen);
	if (ret)
		return ret;
	if (!kcache_enter(c))
		return -ESHUTDOWN;
	rcu_read_lock();
	e = rhashtable_lookup(&c->ht, &k, kc_ht_params);
	if (!e || kc_entry_expired(e)) {
		this_cpu_inc(c->stats->misses);
		kc_record_read(c, kc_miss_rec(jhash(key, klen, c->policy_seed)));
		ret = -ENOENT;
	} else {
		this_cpu_inc(c->stats->hits);
		kc_record_read(c, (unsigned long)e);
		if (*vlen < e->vlen) {
			ret = -EMSGSIZE;
		} else {
			memcpy(buf, kc_value(e), e->vlen);
			if (version)
				*version = e->seq;
		}
		*vlen = e->vlen;
	}
	rcu_read_unlock();
	kcache_leave(c);
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_get);

/**
 * kcache_get_handle() - look up an entry and pin it, for zero-copy readers
 * @c: the cache
 * @key: key bytes
 * @klen: key length
 *
 * The value stays valid and unchanged until kcache_handle_put(), even if the key is
 * replaced, deleted or the cache destroyed. Lock-free; any context but NMI.
 *
 * Return: a handle, or ERR_PTR(-ENOENT), ERR_PTR(-EINVAL/-E2BIG) for a bad key,
 * ERR_PTR(-ESHUTDOWN) after destroy.
 */
struct kcache_entry *kcache_get_handle(struct kcache *c, const void *key, u32 klen)
{
	struct kc_key k = { .p = key, .len = klen };
	struct kcache_entry *e;
	int ret;

	ret = kc_check_key(key, klen);
	if (ret)
		return ERR_PTR(ret);
	if (!kcache_enter(c))
		return ERR_PTR(-ESHUTDOWN);
	rcu_read_lock();
	e = rhashtable_lookup(&c->ht, &k, kc_ht_params);
	if (e && !kc_entry_expired(e) && refcount_inc_not_zero(&e->ref)) {
		this_cpu_inc(c->stats->hits);
		kc_record_read(c, (unsigned long)e);
	} else {
		this_cpu_inc(c->stats->misses);
		kc_record_read(c, kc_miss_rec(jhash(key, klen, c->policy_seed)));
		e = ERR_PTR(-ENOENT);
	}
	rcu_read_unlock();
	kcache_leave(c);
	return e;
}
EXPORT_SYMBOL_GPL(kcache_get_handle);

/**
 * kcache_handle_value() - the value a handle pins
 * @h: a handle from kcache_get_handle()
 * @vlen: gets the value length
 *
 * Return: the value bytes, valid until kcache_handle_put(@h).
 */
const void *kcache_handle_value(const struct kcache_entry *h, u32 *vlen)
{
	*vlen = h->vlen;
	return kc_value(h);
}
EXPORT_SYMBOL_GPL(kcache_handle_value);

/**
 * kcache_handle_version() - the version of the entry a handle pins
 * @h: a handle from kcache_get_handle()
 *
 * Return: the entry's sequence number.
 */
u64 kcache_handle_version(const struct kcache_entry *h)
{
	return h->seq;
}
EXPORT_SYMBOL_GPL(kcache_handle_version);

/**
 * kcache_handle_put() - release a handle
 * @h: a handle from kcache_get_handle()
 *
 * Any context; the entry is freed after RCU if this was its last reference.
 */
void kcache_handle_put(struct kcache_entry *h)
{
	kc_entry_put(h);
}
EXPORT_SYMBOL_GPL(kcache_handle_put);

/* Build an entry and publish it as @pub asks; @pub also returns the results. */
static int kc_store(struct kcache *c, const void *key, u32 klen, const void *val, u32 vlen,
		    u64 ttl_ns, struct kc_pub *pub)
{
	u32 flags = pub->flags;
	struct kcache_entry *e;
	int ret;

	might_sleep();
	ret = kc_check_key(key, klen);
	if (ret)
		return ret;
	if (flags & ~KCACHE_SET_FLAGS ||
	    (flags & KCACHE_SET_IF_ABSENT && flags & KCACHE_SET_IF_PRESENT) ||
	    (vlen && !val))
		return -EINVAL;
	if (vlen > kcache_value_max() || kc_weight(klen, vlen) > c->cfg.max_bytes)
		return -E2BIG;
	if (!kcache_enter(c))
		return -ESHUTDOWN;
	ret = -ENOMEM;
	e = kc_entry_alloc(c, key, klen, vlen, ttl_ns);
	if (!e)
		goto out;
	memcpy(e->data + klen, val, vlen);
	ret = kc_publish(c, e, pub);
	if (ret) {
		kvfree(e);
		goto out;
	}
	this_cpu_inc(c->stats->sets);
out:
	kcache_leave(c);
	return ret;
}

/**
 * kcache_set() - store a value
 * @c: the cache
 * @key: key bytes
 * @klen: key length, 1..%KCACHE_KEY_MAX
 * @val: value bytes
 * @vlen: value length, 0..value_max (module parameter)
 * @ttl_ns: time to live, 0 for none, %KCACHE_TTL_DEFAULT for the cache's default
 * @flags: %KCACHE_SET_IF_ABSENT or %KCACHE_SET_IF_PRESENT, and %KCACHE_SET_KEEP_TTL
 * @version: if not NULL, gets the new entry's version
 *
 * A get after a successful set sees the new value. May sleep.
 *
 * Return: 0; -EEXIST (if-absent and present), -ENOENT (if-present and absent); -EINVAL
 * for bad flags or key; -E2BIG if the key, value or whole entry exceeds its bound;
 * -ENOMEM (the table may also fail an atomic allocation while it grows); -EBUSY if the
 * table could not grow fast enough (retry); -ESHUTDOWN after destroy.
 */
int kcache_set(struct kcache *c, const void *key, u32 klen, const void *val, u32 vlen,
	       u64 ttl_ns, u32 flags, u64 *version)
{
	struct kc_pub pub = { .flags = flags, .cond = KC_COND_SET };
	int ret = kc_store(c, key, klen, val, vlen, ttl_ns, &pub);

	if (!ret && version)
		*version = pub.seq;
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_set);

/**
 * kcache_cas() - replace a value if its version is still @expected
 * @c: the cache
 * @key: key bytes
 * @klen: key length
 * @val: new value
 * @vlen: new value length
 * @ttl_ns: as for kcache_set()
 * @expected: the version the caller read
 * @version: if not NULL, gets the new version
 *
 * Return: 0; -ENOENT if absent; -ESTALE if the version differs; else as kcache_set().
 */
int kcache_cas(struct kcache *c, const void *key, u32 klen, const void *val, u32 vlen,
	       u64 ttl_ns, u64 expected, u64 *version)
{
	struct kc_pub pub = { .cond = KC_COND_CAS, .expected = expected };
	int ret = kc_store(c, key, klen, val, vlen, ttl_ns, &pub);

	if (!ret && version)
		*version = pub.seq;
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_cas);

static void kc_add_merge(struct kcache_entry *e, const struct kcache_entry *old, int *err)
{
	u64 v = 0, delta;

	if (old) {
		if (old->vlen != sizeof(u64)) {
			*err = -EINVAL;
			return;
		}
		memcpy(&v, kc_value(old), sizeof(v));
		e->expires = old->expires;
	}
	memcpy(&delta, kc_value(e), sizeof(delta));
	v += delta;
	memcpy(e->data + e->klen, &v, sizeof(v));
}

/**
 * kcache_add() - add to a 64-bit counter
 * @c: the cache
 * @key: key bytes
 * @klen: key length
 * @delta: signed amount, wrapping modulo 2^64
 * @ttl_ns: TTL if the counter is created (an existing counter keeps its deadline)
 * @result: if not NULL, gets the new value
 *
 * The value is a native-endian u64; a missing key starts from 0.
 *
 * Return: 0; -EINVAL if the present value is not 8 bytes; else as kcache_set().
 */
int kcache_add(struct kcache *c, const void *key, u32 klen, s64 delta, u64 ttl_ns,
	       u64 *result)
{
	struct kc_pub pub = { .cond = KC_COND_ADD };
	int ret = kc_store(c, key, klen, &delta, sizeof(delta), ttl_ns, &pub);

	if (!ret && result)
		*result = pub.sum;
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_add);

/**
 * kcache_delete() - remove a key
 * @c: the cache
 * @key: key bytes
 * @klen: key length
 *
 * Return: 0; -ENOENT if absent (an expired entry is removed but reported absent);
 * -EINVAL / -E2BIG for a bad key; -ESHUTDOWN after destroy.
 */
int kcache_delete(struct kcache *c, const void *key, u32 klen)
{
	struct kc_key k = { .p = key, .len = klen };
	struct kcache_entry *e;
	int ret;

	might_sleep();
	ret = kc_check_key(key, klen);
	if (ret)
		return ret;
	if (!kcache_enter(c))
		return -ESHUTDOWN;
	kc_wbuf_reserve(c);
	rcu_read_lock();
	e = rhashtable_lookup(&c->ht, &k, kc_ht_params);
	rcu_read_unlock();
	ret = -ENOENT;
	if (e) {
		if (!kc_entry_expired(e))
			ret = 0;
		kc_unlink_locked(c, e);
		kc_wbuf_append(c, KC_OP_REMOVE, e, NULL);
		if (kc_wbuf_needs_drain(c))
			kc_schedule(c);
	}
	spin_unlock(&c->lock);
	if (!ret)
		this_cpu_inc(c->stats->deletes);
	kcache_leave(c);
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_delete);

/* Remove every live entry whose key starts with @prefix (all if @plen is 0). */
static int kc_invalidate(struct kcache *c, const void *prefix, u32 plen)
{
	struct rhashtable_iter iter;
	struct kcache_entry *e;
	int n = 0;

	might_sleep();
	if (!kcache_enter(c))
		return -ESHUTDOWN;
	rhashtable_walk_enter(&c->ht, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter))) {
		if (IS_ERR(e))
			continue;
		if (e->klen < plen || memcmp(e->data, prefix, plen))
			continue;
		if (!refcount_inc_not_zero(&e->ref))
			continue;
		spin_lock(&c->lock);
		if (c->wb_count == c->wb_size) {
			/* full: leave RCU and drain, as any writer would; e stays pinned */
			spin_unlock(&c->lock);
			rhashtable_walk_stop(&iter);
			kc_wbuf_reserve(c);
			rhashtable_walk_start(&iter);
		}
		if (e->state == KC_LIVE) {
			kc_unlink_locked(c, e);
			kc_wbuf_append(c, KC_OP_REMOVE, e, NULL);
			n++;
		}
		spin_unlock(&c->lock);
		kc_entry_put(e);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	kc_schedule(c);
	this_cpu_add(c->stats->deletes, n);
	kcache_leave(c);
	return n;
}

/**
 * kcache_invalidate_all() - remove every entry
 * @c: the cache
 *
 * Entries set concurrently may survive. May sleep.
 *
 * Return: the number of entries removed, or -ESHUTDOWN after destroy.
 */
int kcache_invalidate_all(struct kcache *c)
{
	return kc_invalidate(c, NULL, 0);
}
EXPORT_SYMBOL_GPL(kcache_invalidate_all);

/**
 * kcache_invalidate_prefix() - remove every entry whose key starts with @prefix
 * @c: the cache
 * @prefix: prefix bytes
 * @plen: prefix length, 1..%KCACHE_KEY_MAX
 *
 * Return: the number of entries removed; -EINVAL / -E2BIG for a bad prefix;
 * -ESHUTDOWN after destroy.
 */
int kcache_invalidate_prefix(struct kcache *c, const void *prefix, u32 plen)
{
	int ret = kc_check_key(prefix, plen);

	return ret ?: kc_invalidate(c, prefix, plen);
}
EXPORT_SYMBOL_GPL(kcache_invalidate_prefix);

/**
 * kcache_walk() - call @fn for every live entry
 * @c: the cache
 * @fn: callback, called under rcu_read_lock() (must not sleep)
 * @ctx: passed to @fn
 *
 * A concurrent resize can make the walk see an entry twice or miss one set meanwhile.
 *
 * Return: 0, the first non-zero value of @fn, or -ESHUTDOWN after destroy.
 */
int kcache_walk(struct kcache *c, kcache_walk_fn fn, void *ctx)
{
	struct rhashtable_iter iter;
	struct kcache_entry *e;
	u64 now = ktime_get_ns();
	int ret = 0;

	if (!kcache_enter(c))
		return -ESHUTDOWN;
	rhashtable_walk_enter(&c->ht, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter))) {
		if (IS_ERR(e))
			continue;
		if (kc_expired(e, now))
			continue;
		ret = fn(ctx, e->data, e->klen, kc_value(e), e->vlen, e->seq);
		if (ret)
			break;
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	kcache_leave(c);
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_walk);

/**
 * kcache_stats() - read a cache's counters
 * @c: the cache
 * @st: filled in
 */
void kcache_stats(struct kcache *c, struct kcache_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const struct kc_pcpu_stats *s = per_cpu_ptr(c->stats, cpu);

		st->hits += READ_ONCE(s->hits);
		st->misses += READ_ONCE(s->misses);
		st->sets += READ_ONCE(s->sets);
		st->deletes += READ_ONCE(s->deletes);
		st->evictions_size += READ_ONCE(s->ev_size);
		st->evictions_shrink += READ_ONCE(s->ev_shrink);
		st->expirations += READ_ONCE(s->expired);
	}
	spin_lock(&c->lock);
	st->entries = c->entries;
	st->bytes = c->bytes;
	spin_unlock(&c->lock);
	st->max_entries = c->cfg.max_entries;
	st->max_bytes = c->cfg.max_bytes;
}
EXPORT_SYMBOL_GPL(kcache_stats);

/**
 * kcache_entry_overhead() - bytes of metadata charged per entry besides key and value
 *
 * Return: sizeof the entry header (the table's bucket slots are extra).
 */
size_t kcache_entry_overhead(void)
{
	return sizeof(struct kcache_entry);
}
KCACHE_EXPORT_FOR_TESTS(kcache_entry_overhead);

/**
 * kcache_test_write_buffer_size() - set the write-buffer size of caches created next
 * @n: records, at least 2
 *
 * For stress tests that need a buffer that is always full.
 *
 * Return: the previous size.
 */
unsigned int kcache_test_write_buffer_size(unsigned int n)
{
	return xchg(&write_buffer_size, max(n, 2U));
}
KCACHE_EXPORT_FOR_TESTS(kcache_test_write_buffer_size);

/* ---- memory pressure ---- */

static unsigned long kc_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long n = 0;
	struct kcache *c;

	rcu_read_lock();
	list_for_each_entry_rcu(c, &kcache_registry, list)
		n += READ_ONCE(c->entries);
	rcu_read_unlock();
	return n ?: SHRINK_EMPTY;
}

/*
 * Evicts from the cold end. Never blocks: a busy registry or maintenance mutex means the
 * cache is skipped. Evicted entries wait in limbo for the cache's next maintenance pass.
 */
static unsigned long kc_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long freed = 0;
	struct kc_pnode *pn;
	struct kcache *c;

	if (!mutex_trylock(&kcache_registry_mutex))
		return SHRINK_STOP;
	list_for_each_entry(c, &kcache_registry, list) {
		if (freed >= sc->nr_to_scan)
			break;
		if (!mutex_trylock(&c->maint_mutex))
			continue;
		while (freed < sc->nr_to_scan && (pn = kcache_policy_coldest(&c->policy))) {
			if (kc_retire_victim(c, container_of(pn, struct kcache_entry, pn))) {
				this_cpu_inc(c->stats->ev_shrink);
				freed++;
			}
		}
		mutex_unlock(&c->maint_mutex);
		/* the evicted entries sit in limbo until a pass frees them */
		kc_schedule(c);
	}
	mutex_unlock(&kcache_registry_mutex);
	return freed ?: SHRINK_STOP;
}

static struct shrinker kcache_shrinker = {
	.count_objects = kc_shrink_count,
	.scan_objects = kc_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

/**
 * kcache_shrink() - what the shrinker does, for tests
 * @nr: entries to evict at most
 *
 * Return: entries evicted.
 */
unsigned long kcache_shrink(unsigned long nr)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nr_to_scan = nr };
	unsigned long freed = kc_shrink_scan(&kcache_shrinker, &sc);

	return freed == SHRINK_STOP ? 0 : freed;
}
KCACHE_EXPORT_FOR_TESTS(kcache_shrink);

int kcache_core_init(void)
{
	int ret;

	if (value_max > KCACHE_VALUE_MAX_LIMIT)
		value_max = KCACHE_VALUE_MAX_LIMIT;
	kcache_wq = alloc_workqueue("kcache", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!kcache_wq)
		return -ENOMEM;
	ret = register_shrinker(&kcache_shrinker, "kcache");
	if (ret) {
		destroy_workqueue(kcache_wq);
		return ret;
	}
	return 0;
}

void kcache_core_uninit(void)
{
	struct kcache *c;

	/* no module holds a cache now (symbol references), but caches may be left */
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
	unregister_shrinker(&kcache_shrinker);
	destroy_workqueue(kcache_wq);
	/* percpu_ref release callbacks run from RCU and return into this module's text */
	rcu_barrier();
}

