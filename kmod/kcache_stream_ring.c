// SPDX-License-Identifier: GPL-2.0
/*
 * kcache change streams, the ring's protocol: the records a subscriber's ring holds,
 * kcache_streams_emit() appending them in atomic context under the writer's stripe lock,
 * and the reader taking them out (the snapshot, SYNC, the ring, LAGGED and a
 * resynchronisation) for the stream fd and in-kernel subscribers.
 *
 * The subscription's lifecycle and snapshot are in kcache_stream.c, whose top comment has
 * the cutoff argument and the lock order; kcache_stream_int.h is what the two share.
 * Locks, in order: s->read_mutex, c->mut_sem, c->streams.mutex, stripe lock, s->lock
 * (innermost; never held while copying to userspace or sleeping): see kcache_stream.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/export.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_record.h"
#include "kcache_stream.h"
#include "kcache_stream_int.h"

/* ---- records ---- */

static inline bool kc_cause_stores(u8 cause)
{
	return cause == KCACHE_CAUSE_INSERT || cause == KCACHE_CAUSE_REPLACE;
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
			     r->cause == KCACHE_CAUSE_REPLACE ? r->old->seq : 0);
	else
		kc_rec_entry(s, &h, KCACHE_REC_REMOVE, r->cause, r->seq, e, e->seq);

	kc_stream_test_hook(s);
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
 * killable, which an interruptible-only wake-up would leave asleep. poll() and epoll
 * waiters are woken only by a key that has an event they wait for: when the stream
 * @ended, the key has EPOLLHUP, or one that waits for the hang-up alone sleeps on.
 */
void kc_stream_wake(struct kcache_stream *s, bool ended)
{
	wake_up_poll(&s->wq, EPOLLIN | EPOLLRDNORM | (ended ? EPOLLHUP : 0));
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
			kc_stream_wake(s, false);
	}
	rcu_read_unlock();
}

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
	/*
	 * A writer that found @s on the list before it left still delivers to it, under
	 * RCU: its record would meet @eof below and vanish, counted nowhere, though it is
	 * no later than the records counted. Let those writers finish first.
	 */
	if (kc_stream_unregister(s))
		synchronize_rcu();
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
	/* the stream ended: poll's EPOLLHUP for whoever waits for it */
	kc_stream_wake(s, true);
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
 * kcache_stream_read() - read records of a subscription, without waiting for one
 * @s: the subscription
 * @buf: kernel buffer
 * @len: its size; a buffer of the ring's size always holds the next record
 *
 * Process context; may sleep: the read that ends a stream after LAGGED waits an RCU
 * grace period, once, for the writers still delivering to @s. Records are those of the
 * stream fd (Documentation/streams.rst).
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
	 * Not interruptible: nothing here waits but for another in-kernel reader of @s, which
	 * copies to kernel memory, or for one grace period (kc_stream_lagged()); a signal
	 * must not fail a read that waits for no record.
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
