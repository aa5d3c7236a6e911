// SPDX-License-Identifier: GPL-2.0
/*
 * kcache change streams (design §7, Documentation/streams.rst): a subscriber gets a
 * snapshot of the cache, a SYNC record carrying the cutoff, then every later record of
 * the cache exactly once, or a LAGGED record when its ring overflowed.
 *
 * Cutoff. Every mutation holds the read side of c->mut_sem from taking its sequence
 * number until its record went through kcache_rec_emit() (and so kcache_streams_emit()).
 * A subscriber registers and reads cutoff = c->seq under the write side: no mutation is
 * then between "took a number" and "emitted its record". So every record numbered above
 * the cutoff reaches the subscriber's ring, none at or below it does, and every entry
 * numbered at or below the cutoff that is still in the table when the snapshot walk
 * passes was there before the walk started. The walk keeps only entries with
 * seq <= cutoff. A walk may return an entry twice when it restarts across a resize: the
 * snapshot is sorted by seq (unique per entry) and duplicates are dropped, so each entry
 * is delivered once. A record for a key the snapshot then missed (it was removed or
 * replaced during the walk) is a live record above the cutoff, delivered after the
 * snapshot; applying the snapshot and then the live records in order rebuilds the cache.
 *
 * Locks, in order, and what they protect:
 *  - s->read_mutex: a subscriber's reader state (snapshot array and position, pending
 *    LAGGED and SYNC records). Held across copies to userspace and across the grace
 *    period a read waits for when it ends a lagged stream (kc_stream_lagged(); no
 *    writer takes it, so the writers that grace period waits for cannot wait for it);
 *    taken before the others (a resynchronisation after LAGGED takes c->mut_sem under
 *    it).
 *  - c->mut_sem (percpu_rw_semaphore, the core's): read side held by every mutation;
 *    write side held here for the instant of a registration or a resynchronisation.
 *  - c->streams.mutex: c->streams.subs, .nr, .dead and each subscriber's @registered.
 *    Taken inside c->mut_sem's write side and inside s->read_mutex.
 *  - stripe lock (the core's, spinlock): held by the writer calling kcache_streams_emit().
 *  - s->lock (spinlock): the ring (head, tail, bytes), @lagged, @dropped, @eof. Taken by
 *    writers in atomic context under their stripe lock and by the reader for index updates
 *    only; never held while copying to userspace or sleeping. Innermost.
 * kcache_quota_mutex (kcache_quota.c) is taken with s->read_mutex held, alone, when a
 * snapshot is charged to its subscriber's quota or given back.
 * Writers walk c->streams.subs under RCU; a subscriber is freed only after it left the
 * list and an RCU grace period passed. Wake-ups (s->wq) happen after s->lock is dropped.
 *
 * Contexts: kcache_streams_emit() runs in atomic context and never blocks, allocates or
 * waits for a reader; everything else runs in process context and may sleep.
 *
 * Files: this one holds the subscription's lifecycle and its snapshot (registration and
 * the cutoff, the ring's allocation, subscribe and unsubscribe, the cache's side);
 * kcache_stream_ring.c the ring's protocol (kcache_streams_emit() writing records, the
 * reader taking them); kcache_stream_int.h what the two share.
 *
 * %KCACHE_IOC_SUBSCRIBE and the stream fd are in kcache_stream_fd.c, which sees a
 * subscriber only through the functions of these two files.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu-rwsem.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_quota.h"
#include "kcache_record.h"
#include "kcache_registry.h"
#include "kcache_stream.h"
#include "kcache_stream_int.h"
#include "kcache_uaccess.h"

#define KC_RING_MAX	SZ_1G

static unsigned int stream_ring_max = 16U << 20;
module_param(stream_ring_max, uint, 0644);
MODULE_PARM_DESC(stream_ring_max, "Largest ring of a stream subscriber in bytes (ring sizes are capped to it; 1 GiB at most)");

static void kc_stream_build_check(void)
{
	BUILD_BUG_ON(sizeof(struct kcache_subscribe_args) != KCACHE_SUBSCRIBE_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_subscribe_args, ring_size) != 24);
	BUILD_BUG_ON(offsetof(struct kcache_subscribe_args, cutoff) != 32);
	BUILD_BUG_ON(sizeof(struct kcache_stream_rec) != KCACHE_STREAM_REC_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_stream_rec, seq) != 8);
	BUILD_BUG_ON(offsetof(struct kcache_stream_rec, key_len) != 32);
	BUILD_BUG_ON(KC_REC_HDR % 8);
	/* a record of the largest key and no value fits the smallest ring */
	BUILD_BUG_ON(KCACHE_STREAM_REC_LEN(KC_REC_HDR, KCACHE_KEY_LEN_MAX, 0) >
		     KCACHE_STREAM_RING_MIN);
	BUILD_BUG_ON(!is_power_of_2(KCACHE_STREAM_RING_MIN));
	BUILD_BUG_ON(!is_power_of_2(KCACHE_STREAM_RING_DEFAULT));
	/* the ABI's causes are the core's */
	BUILD_BUG_ON(KCACHE_CAUSE_INSERT != KCACHE_CAUSE_INSERT_ABI);
	BUILD_BUG_ON(KCACHE_CAUSE_REPLACE != KCACHE_CAUSE_REPLACE_ABI);
	BUILD_BUG_ON(KCACHE_CAUSE_DELETE != KCACHE_CAUSE_DELETE_ABI);
	BUILD_BUG_ON(KCACHE_CAUSE_INVALIDATE != KCACHE_CAUSE_INVALIDATE_ABI);
	BUILD_BUG_ON(KCACHE_CAUSE_EVICT != KCACHE_CAUSE_EVICT_ABI);
	BUILD_BUG_ON(KCACHE_CAUSE_SHRINK != KCACHE_CAUSE_SHRINK_ABI);
	BUILD_BUG_ON(KCACHE_CAUSE_EXPIRE != KCACHE_CAUSE_EXPIRE_ABI);
}

/* ---- snapshot ---- */

struct kc_snap_ctx {
	struct kcache_stream *s;
	struct kcache_entry **arr;
	u32 cap;
	u32 nr;
};

/* kcache_walk() hands out an entry's key bytes, which live in the entry itself. */
static struct kcache_entry *kc_entry_of_key(const void *key)
{
	return (struct kcache_entry *)((const u8 *)key - offsetof(struct kcache_entry, data));
}

/* Under rcu_read_lock(): pin every entry the snapshot needs. */
static int kc_snap_one(void *ctx, const void *key, u32 klen, const void *val, u32 vlen,
		       u64 version)
{
	struct kc_snap_ctx *x = ctx;
	struct kcache_entry *e;

	if (version > x->s->cutoff || !kc_key_matches(x->s, key, klen))
		return 0;
	if (x->nr == x->cap)
		return -ENOSPC;
	e = kc_entry_of_key(key);
	/* a dying entry left the table after the walk began: its removal is live */
	if (!kcache_entry_tryget(e))
		return 0;
	x->arr[x->nr++] = e;
	return 0;
}

static int kc_snap_cmp(const void *a, const void *b)
{
	const struct kcache_entry *x = *(const struct kcache_entry * const *)a;
	const struct kcache_entry *y = *(const struct kcache_entry * const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void kc_snap_put(struct kcache_entry **arr, u32 from, u32 to)
{
	while (from < to)
		kcache_entry_put(arr[from++]);
}

void kc_snap_free(struct kcache_stream *s)
{
	if (s->snap) {
		kc_snap_put(s->snap, s->snap_pos, s->snap_nr);
		kvfree(s->snap);
	}
	if (s->snap_qc)
		kcache_quota_cancel(s->snap_qc);
	s->snap_qc = NULL;
	s->snap = NULL;
	s->snap_nr = 0;
	s->snap_pos = 0;
}

/* The snapshot array, charged to a userspace subscriber's group, not the reader's. */
static struct kcache_entry **kc_snap_alloc(struct kcache_stream *s, u64 n)
{
	struct kcache_entry **arr;
#ifdef CONFIG_MEMCG
	struct mem_cgroup *old = s->memcg ? set_active_memcg(s->memcg) : NULL;
#endif

	arr = kvmalloc_array(n, sizeof(*arr), GFP_KERNEL_ACCOUNT);
#ifdef CONFIG_MEMCG
	if (s->memcg)
		set_active_memcg(old);
#endif
	return arr;
}

/*
 * Collect the snapshot for s->cutoff: every entry with seq <= cutoff whose key matches,
 * once each, in seq order. Process context; the walk runs under RCU, so the array is
 * sized first and the walk repeated with a larger one if it fills up.
 */
int kc_snap_collect(struct kcache_stream *s)
{
	struct kc_snap_ctx x = { .s = s };
	struct kcache_quota_charge *qc = NULL;
	struct kcache_stats st;
	u64 cap, bytes;
	u32 i, n;
	int ret;

	kcache_stats(s->c, &st);
	cap = st.entries + st.entries / 4 + 64;
	for (;;) {
		/* kvmalloc() warns past INT_MAX */
		if (cap > INT_MAX / sizeof(*x.arr))
			return -ENOMEM;
		x.cap = cap;
		x.nr = 0;
		x.arr = kc_snap_alloc(s, x.cap);
		if (!x.arr)
			return -ENOMEM;
		ret = kcache_walk(s->c, kc_snap_one, &x);
		if (ret != -ENOSPC)
			break;
		kc_snap_put(x.arr, 0, x.nr);
		kvfree(x.arr);
		cap *= 2;
	}
	if (ret) {
		kc_snap_put(x.arr, 0, x.nr);
		kvfree(x.arr);
		return ret;
	}
	sort(x.arr, x.nr, sizeof(*x.arr), kc_snap_cmp, NULL);
	for (i = 0, n = 0; i < x.nr; i++) {
		if (n && x.arr[n - 1] == x.arr[i])
			kcache_entry_put(x.arr[i]);
		else
			x.arr[n++] = x.arr[i];
	}
	/*
	 * A pinned entry outlives its removal from the cache, which then takes in as much
	 * again: until it is delivered, it is the subscriber's memory, within its quota.
	 * A resync runs in whoever reads the stream fd, which may have been passed on: the
	 * charge is the subscriber's, and so is the CAP_SYS_RESOURCE that exempts it.
	 */
	for (i = 0, bytes = 0; s->quota_cred && i < n; i++)
		bytes += kcache_entry_charged(x.arr[i]);
	if (bytes) {
		const struct cred *old = override_creds(s->quota_cred);

		qc = kcache_quota_charge_stream(s->quota_cred->fsuid, bytes);
		revert_creds(old);
		if (IS_ERR(qc)) {
			kc_snap_put(x.arr, 0, n);
			kvfree(x.arr);
			return PTR_ERR(qc);
		}
	}
	s->snap_qc = qc;
	s->snap = x.arr;
	s->snap_nr = n;
	s->snap_pos = 0;
	return 0;
}

/* ---- registration ---- */

/*
 * Register @s and take its cutoff with no mutation in flight (see the top of this file).
 * With @resync, @s is registered already: its ring is emptied and its lag reset instead.
 */
int kc_stream_cutoff(struct kcache_stream *s, bool resync)
{
	struct kcache *c = s->c;
	int ret = 0;

	percpu_down_write(&c->mut_sem);
	mutex_lock(&c->streams.mutex);
	if (c->streams.dead || (resync && !s->registered)) {
		ret = -ESHUTDOWN;
		goto out;
	}
	if (!resync) {
		list_add_tail_rcu(&s->node, &c->streams.subs);
		WRITE_ONCE(c->streams.nr, c->streams.nr + 1);
		s->registered = true;
	}
	spin_lock(&s->lock);
	if (resync) {
		s->lag_count = s->dropped;
		s->lag_pending = true;
		s->head = 0;
		s->tail = 0;
		s->dropped = 0;
		s->lagged = false;
	}
	s->cutoff = atomic64_read(&c->seq);
	spin_unlock(&s->lock);
	s->sync_pending = true;
out:
	mutex_unlock(&c->streams.mutex);
	percpu_up_write(&c->mut_sem);
	return ret;
}

#ifdef KCACHE_TESTS
/**
 * kcache_test_stream_hook() - park the writers of a subscription (test build only)
 * @s: the subscription
 * @fn: called by every writer that appends to @s, under RCU and its stripe lock, with
 *	@s found on the list, before @s->lock; NULL removes the hook
 * @ctx: passed to @fn
 */
void kcache_test_stream_hook(struct kcache_stream *s, void (*fn)(void *ctx), void *ctx)
{
	WRITE_ONCE(s->test_ctx, ctx);
	/* pairs with the acquire in kc_stream_test_hook(): @ctx is set before @fn */
	smp_store_release(&s->test_hook, fn);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_stream_hook);

/**
 * kcache_test_stream_has_waiter() - is a reader asleep on a subscription (test build only)
 * @s: the subscription
 *
 * Return: true if a reader is on @s's wait queue: a record or the end of @s wakes it.
 */
bool kcache_test_stream_has_waiter(struct kcache_stream *s)
{
	return wq_has_sleeper(&s->wq);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_stream_has_waiter);
#endif

/* Take @s off its cache; true if this call did (not shutdown or an earlier call). */
bool kc_stream_unregister(struct kcache_stream *s)
{
	struct kcache_streams *ss = &s->c->streams;
	bool was;

	mutex_lock(&ss->mutex);
	was = s->registered;
	if (was) {
		list_del_rcu(&s->node);
		WRITE_ONCE(ss->nr, ss->nr - 1);
		s->registered = false;
	}
	mutex_unlock(&ss->mutex);
	return was;
}

/**
 * kcache_stream_ring_bytes() - the ring a subscription asking for @ring_size gets
 * @ring_size: &kcache_stream_opts.ring_size, at least %KCACHE_STREAM_RING_MIN or 0
 *
 * Rounded up to a power of two, within the stream_ring_max parameter: what the ring
 * allocates, and what the cache fd charges the subscriber's quota before it subscribes.
 *
 * Return: bytes.
 */
u32 kcache_stream_ring_bytes(u32 ring_size)
{
	u32 want = ring_size ?: KCACHE_STREAM_RING_DEFAULT;
	u32 cap = max(READ_ONCE(stream_ring_max), KCACHE_STREAM_RING_MIN);

	/* whatever the parameter: kvmalloc() refuses, with a warning, past INT_MAX */
	cap = min(cap, KC_RING_MAX);
	want = roundup_pow_of_two(min(want, cap));
	if (want > cap)
		want = rounddown_pow_of_two(cap);
	return want;
}

static struct kcache_stream *kc_stream_alloc(struct kcache *c,
					     const struct kcache_stream_opts *o)
{
	struct kcache_stream *s;
	u8 *prefix = NULL;
	u32 want;

	if (o->flags & ~KCACHE_SUBSCRIBE_FLAGS || (o->prefix_len && !o->prefix))
		return ERR_PTR(-EINVAL);
	if (o->prefix_len > KCACHE_KEY_MAX)
		return ERR_PTR(-E2BIG);
	if (o->ring_size && o->ring_size < KCACHE_STREAM_RING_MIN)
		return ERR_PTR(-EINVAL);
	want = kcache_stream_ring_bytes(o->ring_size);

	/* the ring is the cache's memory too: it counts against max_total_bytes */
	if (kcache_reserve_bytes(want))
		return ERR_PTR(-ENOMEM);
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		goto err_unreserve;
	if (o->prefix_len) {
		prefix = kmemdup(o->prefix, o->prefix_len, GFP_KERNEL_ACCOUNT);
		if (!prefix)
			goto err_free;
	}
	s->ring = kvzalloc(want, GFP_KERNEL_ACCOUNT);
	if (!s->ring)
		goto err_prefix;
	s->size = want;
	s->c = c;
	s->flags = o->flags;
	s->prefix = prefix;
	s->prefix_len = o->prefix_len;
	s->notify = o->notify;
	s->notify_ctx = o->notify_ctx;
	spin_lock_init(&s->lock);
	mutex_init(&s->read_mutex);
	init_waitqueue_head(&s->wq);
	INIT_LIST_HEAD(&s->node);
	kcache_get_ref(c);
	return s;

err_prefix:
	kfree(prefix);
err_free:
	kfree(s);
err_unreserve:
	kcache_unreserve_bytes(want);
	return ERR_PTR(-ENOMEM);
}

static void kc_stream_free(struct kcache_stream *s)
{
	kc_snap_free(s);
	kvfree(s->ring);
	kcache_unreserve_bytes(s->size);
	kfree(s->prefix);
	mutex_destroy(&s->read_mutex);
	if (s->quota_cred)
		put_cred(s->quota_cred);
	mem_cgroup_put(s->memcg);
	kcache_put_ref(s->c);
	kfree(s);
}

/**
 * kcache_unsubscribe() - end a subscription and free it
 * @s: the subscription, from kcache_subscribe()
 *
 * May sleep (it waits for writers that may still be delivering to @s). @s must not be
 * used afterwards; its notify callback is not called after this returns.
 */
void kcache_unsubscribe(struct kcache_stream *s)
{
	might_sleep();
	kc_stream_unregister(s);
	/* writers walk the list under RCU; shutdown may also have taken @s off it */
	synchronize_rcu();
	kc_stream_free(s);
}
EXPORT_SYMBOL_GPL(kcache_unsubscribe);

static void kc_stream_free_work(struct work_struct *work)
{
	kc_stream_free(container_of(to_rcu_work(work), struct kcache_stream, free_rwork));
}

/**
 * kcache_unsubscribe_async() - end a stream fd's subscription, free it after a grace period
 * @s: the subscription; it has no notify callback (only in-kernel subscribers do)
 *
 * For the stream fd's release: a process that exits holding thousands of streams must not
 * wait a grace period for each. The snapshot's pins and quota charge go at once; the ring,
 * which writers may still be appending to, goes after the grace period, in kcache_wq.
 * Module exit waits for it (kcache_streams_drain()).
 */
void kcache_unsubscribe_async(struct kcache_stream *s)
{
	kc_stream_unregister(s);
	kc_snap_free(s);
	INIT_RCU_WORK(&s->free_rwork, kc_stream_free_work);
	queue_rcu_work(kcache_wq, &s->free_rwork);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_unsubscribe_async);

/**
 * kcache_streams_drain() - wait until kcache_unsubscribe_async() freed what it was given
 *
 * At module exit, once no stream fd is left, before the caches the subscriptions hold
 * references on are torn down.
 */
void kcache_streams_drain(void)
{
	/* the grace periods' callbacks queue the frees: wait for those, then for the frees */
	rcu_barrier();
	flush_workqueue(kcache_wq);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_streams_drain);

static struct kcache_stream *kc_subscribe(struct kcache *c,
					  const struct kcache_stream_opts *opts, u64 *cutoff,
					  bool charged)
{
	struct kcache_stream *s;
	int ret;

	might_sleep();
	s = kc_stream_alloc(c, opts);
	if (IS_ERR(s))
		return s;
	if (charged) {
		s->quota_cred = get_current_cred();
		s->memcg = get_mem_cgroup_from_mm(current->mm);
	}
	ret = kc_stream_cutoff(s, false);
	if (!ret && !(s->flags & KCACHE_SUBSCRIBE_LIVE_ONLY))
		ret = kc_snap_collect(s);
	if (ret) {
		kcache_unsubscribe(s);
		return ERR_PTR(ret);
	}
	if (cutoff)
		*cutoff = s->cutoff;
	return s;
}

/**
 * kcache_subscribe_charged() - kcache_subscribe(), for a userspace subscriber
 * @c: the cache
 * @opts: what to stream
 * @cutoff: out (may be NULL): the cutoff of the snapshot
 *
 * Each snapshot, the first and those of later resyncs, is charged while it pins entries
 * to the stream quota of the caller's fsuid, as the caller (its %CAP_SYS_RESOURCE, its
 * memory cgroup), whoever reads the stream later.
 *
 * Return: as kcache_subscribe(), and ERR_PTR(-EDQUOT) when the snapshot would take the
 * caller's fsuid past max_stream_bytes_per_uid without %CAP_SYS_RESOURCE.
 */
struct kcache_stream *kcache_subscribe_charged(struct kcache *c,
					       const struct kcache_stream_opts *opts,
					       u64 *cutoff)
{
	return kc_subscribe(c, opts, cutoff, true);
}

/**
 * kcache_subscribe() - subscribe to a cache's changes
 * @c: the cache
 * @opts: what to stream, see &struct kcache_stream_opts
 * @cutoff: out (may be NULL): the cutoff of the snapshot
 *
 * The subscription first yields the snapshot (entries with a version up to the cutoff),
 * then a %KCACHE_REC_SYNC record, then every later record of @c, read with
 * kcache_stream_read() in the format of <linux/kcache.h>. It holds a reference on @c.
 * May sleep: it briefly holds off the cache's writers (design §7).
 *
 * Return: the subscription, to end with kcache_unsubscribe(), or ERR_PTR(-EINVAL) for
 * bad options, ERR_PTR(-E2BIG) for a prefix longer than %KCACHE_KEY_MAX,
 * ERR_PTR(-ESHUTDOWN) if @c was destroyed, ERR_PTR(-ENOMEM).
 */
struct kcache_stream *kcache_subscribe(struct kcache *c, const struct kcache_stream_opts *opts,
				       u64 *cutoff)
{
	return kc_subscribe(c, opts, cutoff, false);
}
EXPORT_SYMBOL_GPL(kcache_subscribe);

/* ---- the cache's side ---- */

/**
 * kcache_streams_init() - set up a new cache's stream state (allocates nothing)
 * @c: the cache
 */
void kcache_streams_init(struct kcache *c)
{
	kc_stream_build_check();
	INIT_LIST_HEAD(&c->streams.subs);
	mutex_init(&c->streams.mutex);
	c->streams.nr = 0;
	c->streams.dead = false;
}

/**
 * kcache_streams_shutdown() - end every stream of a cache being destroyed
 * @c: the cache; new operations are stopped already
 *
 * Each subscriber is taken off the cache, its reader gets the records left and then end
 * of file, and no new subscriber may register. The subscriptions themselves stay until
 * their owners end them (closing the stream fd, kcache_unsubscribe()).
 */
void kcache_streams_shutdown(struct kcache *c)
{
	struct kcache_stream *s, *tmp;

	mutex_lock(&c->streams.mutex);
	c->streams.dead = true;
	list_for_each_entry_safe(s, tmp, &c->streams.subs, node) {
		list_del_rcu(&s->node);
		s->registered = false;
		spin_lock(&s->lock);
		s->eof = true;
		spin_unlock(&s->lock);
		kc_stream_wake(s, true);
	}
	WRITE_ONCE(c->streams.nr, 0);
	mutex_unlock(&c->streams.mutex);
}

/**
 * kcache_streams_uninit() - free a cache's stream state
 * @c: the cache, whose last reference is gone (so every subscription ended)
 */
void kcache_streams_uninit(struct kcache *c)
{
	WARN_ON_ONCE(!list_empty(&c->streams.subs));
	mutex_destroy(&c->streams.mutex);
}
