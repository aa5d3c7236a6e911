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
 *    LAGGED and SYNC records). Held across copies to userspace; taken before the others
 *    (a resynchronisation after LAGGED takes c->mut_sem under it).
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
 * %KCACHE_IOC_SUBSCRIBE and the stream fd are in kcache_stream_fd.c, which sees a
 * subscriber only through the functions below.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu-rwsem.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_quota.h"
#include "kcache_record.h"
#include "kcache_registry.h"
#include "kcache_stream.h"
#include "kcache_uaccess.h"

#define KC_RING_MAX	SZ_1G

static unsigned int stream_ring_max = 16U << 20;
module_param(stream_ring_max, uint, 0644);
MODULE_PARM_DESC(stream_ring_max, "Largest ring of a stream subscriber in bytes (ring sizes are capped to it; 1 GiB at most)");

#define KC_REC_HDR	sizeof(struct kcache_stream_rec)

/**
 * struct kcache_stream - one subscriber
 * @c: the cache; the subscriber holds a reference on it
 * @node: link in c->streams.subs (RCU)
 * @registered: on c->streams.subs (under c->streams.mutex)
 * @lock: see the top of this file
 * @ring: @size bytes of records, @size a power of two
 * @size: ring size, also the largest record
 * @head: bytes ever written to @ring
 * @tail: bytes ever consumed from @ring
 * @dropped: records dropped since the ring overflowed
 * @lagged: the ring overflowed: writers only count until the reader resynchronises
 * @eof: the stream ended (cache shut down, or ended after a LAGGED record)
 * @flags: %KCACHE_SUBSCRIBE_* bits
 * @prefix_len: length of @prefix (0: every key)
 * @prefix: key prefix of the records streamed
 * @notify: in-kernel subscribers: called when records become readable
 * @notify_ctx: passed to @notify
 * @wq: readers waiting for records, and poll
 * @read_mutex: see the top of this file
 * @snap: the snapshot: pinned entries sorted by seq, @snap_nr of them
 * @snap_nr: entries in @snap
 * @snap_pos: the next one to deliver
 * @snap_qc: the snapshot's charge to the subscriber's stream quota, or NULL
 * @quota_uid: whose quota a snapshot is charged to
 * @quota: a userspace subscription: snapshots are charged to @quota_uid
 * @cutoff: cutoff of the current snapshot
 * @sync_pending: the SYNC record is still to be delivered
 * @lag_pending: the LAGGED record is still to be delivered
 * @lag_count: its count
 */
struct kcache_stream {
	struct kcache *c;
	struct list_head node;
	bool registered;

	spinlock_t lock ____cacheline_aligned_in_smp;
	u8 *ring;
	u32 size;
	u64 head;
	u64 tail;
	u64 dropped;
	bool lagged;
	bool eof;

	u32 flags;
	u32 prefix_len;
	const u8 *prefix;
	void (*notify)(void *ctx);
	void *notify_ctx;
	wait_queue_head_t wq;

	struct mutex read_mutex;	/* the reader's state below */
	struct kcache_entry **snap;
	u32 snap_nr;
	u32 snap_pos;
	struct kcache_quota_charge *snap_qc;
	kuid_t quota_uid;
	bool quota;
	u64 cutoff;
	bool sync_pending;
	bool lag_pending;
	u64 lag_count;
};

static void __maybe_unused kc_stream_build_check(void)
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

/* ---- records ---- */

static inline bool kc_cause_stores(u8 cause)
{
	return cause == KCACHE_CAUSE_INSERT || cause == KCACHE_CAUSE_REPLACE;
}

static inline bool kc_key_matches(const struct kcache_stream *s, const void *key, u32 klen)
{
	return klen >= s->prefix_len && !memcmp(key, s->prefix, s->prefix_len);
}

/*
 * Header of the record of entry @e for @s: a snapshot entry or a store carries the value
 * unless the subscriber asked for keys only or the record would not fit its ring.
 */
static void kc_rec_entry(const struct kcache_stream *s, struct kcache_stream_rec *h, u8 type,
			 u8 cause, u64 seq, const struct kcache_entry *e, u64 aux)
{
	bool with_val = type != KCACHE_REC_REMOVE && !(s->flags & KCACHE_SUBSCRIBE_KEYS_ONLY) &&
			KCACHE_STREAM_REC_LEN(KC_REC_HDR, e->klen, e->vlen) <= s->size;

	memset(h, 0, sizeof(*h));
	h->rec_len = KCACHE_STREAM_REC_LEN(KC_REC_HDR, e->klen, with_val ? e->vlen : 0);
	h->hdr_len = KC_REC_HDR;
	h->type = type;
	h->cause = cause;
	h->seq = seq;
	h->aux = aux;
	h->key_len = e->klen;
	if (type != KCACHE_REC_REMOVE) {
		h->expires_ns = kcache_entry_expires(e);
		h->val_len = e->vlen;
		h->flags = with_val ? KCACHE_RECF_VALUE : 0;
	}
}

static const u8 kc_zero_pad[8];

/* Bytes of zero padding after the header, key and value of the record @h describes. */
static inline u32 kc_pad(const struct kcache_stream_rec *h)
{
	u32 body = KC_REC_HDR + h->key_len + ((h->flags & KCACHE_RECF_VALUE) ? h->val_len : 0);

	return h->rec_len - body;
}

/* ---- the ring, written by writers ---- */

static void kc_ring_put(struct kcache_stream *s, u64 off, const void *src, u32 n)
{
	u32 pos = off & (s->size - 1);
	u32 first = min(n, s->size - pos);

	memcpy(s->ring + pos, src, first);
	memcpy(s->ring, (const u8 *)src + first, n - first);
}

/* Append one record for @s; returns true if the reader must be woken. Atomic context. */
static bool kc_stream_append(struct kcache_stream *s, const struct kcache_rec *r)
{
	const struct kcache_entry *e = r->e;
	struct kcache_stream_rec h;
	bool wake = false;
	u64 off;

	if (kc_cause_stores(r->cause))
		kc_rec_entry(s, &h, KCACHE_REC_STORE, r->cause, r->seq, e,
			     r->old ? r->old->seq : 0);
	else
		kc_rec_entry(s, &h, KCACHE_REC_REMOVE, r->cause, r->seq, e, e->seq);

	spin_lock(&s->lock);
	if (unlikely(s->eof))
		goto out;
	if (unlikely(s->lagged)) {
		s->dropped++;
		goto out;
	}
	if (unlikely(s->size - (s->head - s->tail) < h.rec_len)) {
		/* from here on the reader cannot apply anything: count, deliver nothing */
		s->lagged = true;
		s->dropped = 1;
		wake = true;
		goto out;
	}
	wake = s->head == s->tail;
	off = s->head;
	kc_ring_put(s, off, &h, KC_REC_HDR);
	off += KC_REC_HDR;
	kc_ring_put(s, off, kcache_entry_key(e), e->klen);
	off += e->klen;
	if (h.flags & KCACHE_RECF_VALUE) {
		kc_ring_put(s, off, kcache_entry_value(e), e->vlen);
		off += e->vlen;
	}
	kc_ring_put(s, off, kc_zero_pad, kc_pad(&h));
	s->head += h.rec_len;
out:
	spin_unlock(&s->lock);
	return wake;
}

/*
 * Every sleeper: read() of the fd and poll() sleep interruptible, kcache_stream_wait()
 * killable, which an interruptible-only wake-up would leave asleep.
 */
static void kc_stream_wake(struct kcache_stream *s)
{
	wake_up_poll(&s->wq, EPOLLIN | EPOLLRDNORM);
	if (s->notify)
		s->notify(s->notify_ctx);
}

/**
 * kcache_streams_emit() - deliver one record of a cache to its subscribers
 * @c: the cache
 * @r: the record
 *
 * Called by kcache_rec_emit() with the key's stripe lock held, inside the read side of
 * c->mut_sem, when kcache_streams_active() said so. Never sleeps and never waits for a
 * reader: a full ring makes its subscriber lag instead.
 */
void kcache_streams_emit(struct kcache *c, const struct kcache_rec *r)
{
	const struct kcache_entry *e = r->e;
	struct kcache_stream *s;

	rcu_read_lock();
	list_for_each_entry_rcu(s, &c->streams.subs, node) {
		if (!kc_key_matches(s, kcache_entry_key(e), e->klen))
			continue;
		if (kc_stream_append(s, r))
			kc_stream_wake(s);
	}
	rcu_read_unlock();
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

static void kc_snap_free(struct kcache_stream *s)
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

/*
 * Collect the snapshot for s->cutoff: every entry with seq <= cutoff whose key matches,
 * once each, in seq order. Process context; the walk runs under RCU, so the array is
 * sized first and the walk repeated with a larger one if it fills up.
 */
static int kc_snap_collect(struct kcache_stream *s)
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
		x.arr = kvmalloc_array(x.cap, sizeof(*x.arr), GFP_KERNEL_ACCOUNT);
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
	 * (The array is charged to the subscriber's memory cgroup.)
	 */
	for (i = 0, bytes = 0; s->quota && i < n; i++)
		bytes += kcache_entry_charged(x.arr[i]);
	if (bytes) {
		qc = kcache_quota_charge_stream(s->quota_uid, bytes);
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
static int kc_stream_cutoff(struct kcache_stream *s, bool resync)
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

static void kc_stream_unregister(struct kcache_stream *s)
{
	struct kcache_streams *ss = &s->c->streams;

	mutex_lock(&ss->mutex);
	if (s->registered) {
		list_del_rcu(&s->node);
		WRITE_ONCE(ss->nr, ss->nr - 1);
		s->registered = false;
	}
	mutex_unlock(&ss->mutex);
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
	kc_snap_free(s);
	kvfree(s->ring);
	kcache_unreserve_bytes(s->size);
	kfree(s->prefix);
	mutex_destroy(&s->read_mutex);
	kcache_put_ref(s->c);
	kfree(s);
}
EXPORT_SYMBOL_GPL(kcache_unsubscribe);

/**
 * kcache_subscribe_charged() - kcache_subscribe(), for a userspace subscriber
 * @c: the cache
 * @opts: what to stream
 * @cutoff: out (may be NULL): the cutoff of the snapshot
 * @uid: whose stream quota each snapshot is charged to while it pins entries, or NULL
 *	for none (in-kernel subscribers)
 *
 * Return: as kcache_subscribe(), and ERR_PTR(-EDQUOT) when the snapshot would take @uid
 * past max_stream_bytes_per_uid without %CAP_SYS_RESOURCE.
 */
struct kcache_stream *kcache_subscribe_charged(struct kcache *c,
					       const struct kcache_stream_opts *opts,
					       u64 *cutoff, const kuid_t *uid)
{
	struct kcache_stream *s;
	int ret;

	might_sleep();
	s = kc_stream_alloc(c, opts);
	if (IS_ERR(s))
		return s;
	if (uid) {
		s->quota = true;
		s->quota_uid = *uid;
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
	return kcache_subscribe_charged(c, opts, cutoff, NULL);
}
EXPORT_SYMBOL_GPL(kcache_subscribe);

/* ---- reading ---- */

/* Nothing more will come: the stream ended and everything was delivered. */
static bool kc_stream_done(struct kcache_stream *s)
{
	bool done;

	spin_lock(&s->lock);
	done = s->eof && s->head == s->tail;
	spin_unlock(&s->lock);
	return done && !s->lag_pending && !s->sync_pending && s->snap_pos == s->snap_nr;
}

/* Lockless, for wait conditions and poll: is a read() going to return at once? */
static bool kc_stream_readable(struct kcache_stream *s)
{
	return READ_ONCE(s->head) != READ_ONCE(s->tail) || READ_ONCE(s->lagged) ||
	       READ_ONCE(s->eof) || READ_ONCE(s->sync_pending) || READ_ONCE(s->lag_pending) ||
	       READ_ONCE(s->snap_pos) != READ_ONCE(s->snap_nr);
}

/*
 * A copy to the reader's buffer faulted after @copied of the @want bytes it was given:
 * take back the bytes of the record it tore, so that the read returns whole records only
 * and the record is delivered again, whole, by the next read.
 */
static int kc_copy_short(struct iov_iter *to, size_t copied, size_t want)
{
	if (copied == want)
		return 0;
	iov_iter_revert(to, copied);
	return -EFAULT;
}

/* Copy one control record (SYNC, LAGGED); -ENOSPC if it does not fit, -EFAULT. */
static int kc_copy_ctl(struct iov_iter *to, u8 type, u64 seq, u64 aux)
{
	struct kcache_stream_rec h = {
		.rec_len = KC_REC_HDR, .hdr_len = KC_REC_HDR, .type = type, .seq = seq, .aux = aux,
	};

	if (iov_iter_count(to) < KC_REC_HDR)
		return -ENOSPC;
	return kc_copy_short(to, copy_to_iter(&h, KC_REC_HDR, to), KC_REC_HDR);
}

static int kc_copy_entry(struct kcache_stream *s, struct iov_iter *to,
			 const struct kcache_entry *e)
{
	struct kcache_stream_rec h;
	size_t n;

	kc_rec_entry(s, &h, KCACHE_REC_SNAPSHOT, 0, e->seq, e, 0);
	if (iov_iter_count(to) < h.rec_len)
		return -ENOSPC;
	n = copy_to_iter(&h, KC_REC_HDR, to);
	n += copy_to_iter(kcache_entry_key(e), e->klen, to);
	if (h.flags & KCACHE_RECF_VALUE)
		n += copy_to_iter(kcache_entry_value(e), e->vlen, to);
	n += copy_to_iter(kc_zero_pad, kc_pad(&h), to);
	return kc_copy_short(to, n, h.rec_len);
}

/* The length of the ring's record at position @t (its first field, rec_len) */
static u32 kc_ring_rec_len(const struct kcache_stream *s, u64 t)
{
	return *(u32 *)(s->ring + (t & (s->size - 1)));
}

/* Copy as many whole records of the ring as fit; the ring keeps what was not copied. */
static int kc_copy_ring(struct kcache_stream *s, struct iov_iter *to, bool *empty)
{
	size_t room = iov_iter_count(to);
	u64 head, tail, t;
	u32 len, pos, first;
	size_t n;

	spin_lock(&s->lock);
	head = s->head;
	tail = s->tail;
	spin_unlock(&s->lock);
	/* writers only write beyond head; the bytes from tail to head are stable */
	for (t = tail; t != head; t += len) {
		len = kc_ring_rec_len(s, t);
		if (t - tail + len > room)
			break;
	}
	*empty = t == head;
	if (t == tail)
		return t == head ? 0 : -ENOSPC;
	len = t - tail;
	pos = tail & (s->size - 1);
	first = min(len, s->size - pos);
	n = copy_to_iter(s->ring + pos, first, to);
	if (n == first)
		n += copy_to_iter(s->ring, len - first, to);
	if (n != len) {
		/* a fault: the whole records before it are delivered, the rest stay */
		for (t = tail; t - tail + kc_ring_rec_len(s, t) <= n; t += kc_ring_rec_len(s, t))
			;
		iov_iter_revert(to, n - (t - tail));
		*empty = false;
	}
	spin_lock(&s->lock);
	s->tail = t;
	spin_unlock(&s->lock);
	return n == len ? 0 : -EFAULT;
}

static bool kc_ring_drained(struct kcache_stream *s)
{
	bool drained;

	spin_lock(&s->lock);
	drained = s->head == s->tail;
	spin_unlock(&s->lock);
	return drained;
}

/*
 * The ring overflowed and the reader has consumed what it held before: start over with
 * a new cutoff and snapshot (RESYNC, while the cache lives), or end the stream. Either
 * way a LAGGED record with the number of records dropped comes first.
 */
static void kc_stream_lagged(struct kcache_stream *s)
{
	u64 n;

	if ((s->flags & KCACHE_SUBSCRIBE_RESYNC) && !kc_stream_cutoff(s, true)) {
		if (!kc_snap_collect(s))
			return;
		/* without a snapshot the stream cannot go on: end it after LAGGED */
		WRITE_ONCE(s->sync_pending, false);
	}
	kc_stream_unregister(s);
	spin_lock(&s->lock);
	/*
	 * Nothing is appended any more. After a resync that failed, the ring may hold
	 * records past the new cutoff, which no snapshot precedes: they are dropped too,
	 * and counted in the LAGGED record the cutoff already queued.
	 */
	n = s->lagged ? s->dropped : 0;
	for (; s->tail != s->head; s->tail += kc_ring_rec_len(s, s->tail))
		n++;
	if (n || s->lagged) {
		s->lag_count = (s->lag_pending ? s->lag_count : 0) + n;
		WRITE_ONCE(s->lag_pending, true);
	}
	s->lagged = false;
	s->eof = true;
	spin_unlock(&s->lock);
}

/* Fill @to with whole records, in stream order. Under s->read_mutex. */
static ssize_t kc_stream_fill(struct kcache_stream *s, struct iov_iter *to)
{
	size_t start = iov_iter_count(to);
	bool empty;
	int ret;

again:
	if (s->lag_pending) {
		ret = kc_copy_ctl(to, KCACHE_REC_LAGGED, 0, s->lag_count);
		if (ret)
			goto out;
		s->lag_pending = false;
	}
	while (s->snap_pos < s->snap_nr) {
		ret = kc_copy_entry(s, to, s->snap[s->snap_pos]);
		if (ret)
			goto out;
		kcache_entry_put(s->snap[s->snap_pos]);
		WRITE_ONCE(s->snap_pos, s->snap_pos + 1);
	}
	kc_snap_free(s);
	if (s->sync_pending) {
		ret = kc_copy_ctl(to, KCACHE_REC_SYNC, s->cutoff, 0);
		if (ret)
			goto out;
		WRITE_ONCE(s->sync_pending, false);
	}
	ret = kc_copy_ring(s, to, &empty);
	if (ret)
		goto out;
	if (empty && READ_ONCE(s->lagged)) {
		/*
		 * @empty compared with the head read before the copy: a record appended
		 * since, before the overflow, must still come before LAGGED. Once lagged,
		 * nothing is appended, so this look at the head is the last one needed.
		 */
		if (!kc_ring_drained(s))
			goto again;
		kc_stream_lagged(s);
		goto again;
	}
out:
	if (iov_iter_count(to) != start)
		return start - iov_iter_count(to);
	return ret == -ENOSPC ? -EMSGSIZE : ret;
}

/**
 * kcache_stream_read_iter() - read whole records into @to, in stream order
 * @s: the subscription
 * @to: destination
 * @nonblock: return -EAGAIN instead of waiting for a record
 *
 * Return: bytes copied; 0 at the end of the stream; -EAGAIN; -EMSGSIZE if @to cannot hold
 * the next record; -EFAULT; -ERESTARTSYS.
 */
ssize_t kcache_stream_read_iter(struct kcache_stream *s, struct iov_iter *to, bool nonblock)
{
	ssize_t ret;

	if (mutex_lock_interruptible(&s->read_mutex))
		return -ERESTARTSYS;
	for (;;) {
		ret = kc_stream_fill(s, to);
		if (ret)
			break;
		if (kc_stream_done(s))
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		mutex_unlock(&s->read_mutex);
		if (wait_event_interruptible(s->wq, kc_stream_readable(s)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&s->read_mutex))
			return -ERESTARTSYS;
	}
	mutex_unlock(&s->read_mutex);
	return ret;
}

/**
 * kcache_stream_read() - read records of a subscription, without waiting
 * @s: the subscription
 * @buf: kernel buffer
 * @len: its size; a buffer of the ring's size always holds the next record
 *
 * Process context. Records are those of the stream fd (Documentation/streams.rst).
 *
 * Return: bytes of whole records copied, 0 at the end of the stream (the cache was
 * destroyed, or the stream ended after a LAGGED record), -EAGAIN if no record is ready,
 * -EMSGSIZE if @len cannot hold the next record.
 */
ssize_t kcache_stream_read(struct kcache_stream *s, void *buf, size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter to;

	ssize_t ret;

	iov_iter_kvec(&to, ITER_DEST, &kv, 1, len);
	/*
	 * Not interruptible: nothing here waits but for another in-kernel reader of @s, and
	 * those copy to kernel memory; a signal must not fail a read that does not sleep.
	 */
	mutex_lock(&s->read_mutex);
	ret = kc_stream_fill(s, &to);
	if (!ret && !kc_stream_done(s))
		ret = -EAGAIN;
	mutex_unlock(&s->read_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_stream_read);

/**
 * kcache_stream_wait() - wait until kcache_stream_read() has something to return
 * @s: the subscription
 *
 * Return: 0, or -ERESTARTSYS if a fatal signal came first.
 */
int kcache_stream_wait(struct kcache_stream *s)
{
	return wait_event_killable(s->wq, kc_stream_readable(s));
}
EXPORT_SYMBOL_GPL(kcache_stream_wait);

/**
 * kcache_stream_poll() - poll() of a stream fd
 * @s: the subscription
 * @file: the stream fd
 * @pt: poll table
 *
 * Return: EPOLLIN when a read returns at once, EPOLLHUP once the stream ended.
 */
__poll_t kcache_stream_poll(struct kcache_stream *s, struct file *file, poll_table *pt)
{
	__poll_t mask = 0;

	poll_wait(file, &s->wq, pt);
	if (kc_stream_readable(s))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(s->eof))
		mask |= EPOLLHUP;
	return mask;
}

/**
 * kcache_stream_ring_size() - the ring's size of a subscription
 * @s: the subscription
 *
 * Return: the size in bytes, fixed at subscription: also the largest record it holds.
 */
u32 kcache_stream_ring_size(const struct kcache_stream *s)
{
	return s->size;
}

/* ---- the cache's side ---- */

/**
 * kcache_streams_init() - set up a new cache's stream state (allocates nothing)
 * @c: the cache
 */
void kcache_streams_init(struct kcache *c)
{
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
		kc_stream_wake(s);
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
