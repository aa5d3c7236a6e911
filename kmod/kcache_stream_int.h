/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the change streams' files share beyond kcache_stream.h: the subscriber, the record
 * header's size, the key filter, and the functions one of them calls in the other.
 * kcache_stream.c holds the subscription's lifecycle and the snapshot (and, at its top,
 * the cutoff argument and the lock order), kcache_stream_ring.c the ring's protocol.
 * Only these two include it. Locks: see the top of kcache_stream.c.
 */
#ifndef _KCACHE_STREAM_INT_H
#define _KCACHE_STREAM_INT_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kcache.h"

struct kcache_entry;
struct cred;
struct kcache_quota_charge;
struct mem_cgroup;

#define KC_REC_HDR	sizeof(struct kcache_stream_rec)

/**
 * struct kcache_stream - one subscriber
 * @c: the cache; the subscriber holds a reference on it
 * @node: link in c->streams.subs (RCU)
 * @registered: on c->streams.subs (under c->streams.mutex)
 * @lock: see the top of kcache_stream.c
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
 * @read_mutex: see the top of kcache_stream.c
 * @snap: the snapshot: pinned entries sorted by seq, @snap_nr of them
 * @snap_nr: entries in @snap
 * @snap_pos: the next one to deliver
 * @snap_qc: the snapshot's charge to the subscriber's stream quota, or NULL
 * @quota_cred: a userspace subscriber's credentials (NULL in the kernel): a snapshot is
 *	charged to its fsuid's quota, exempt if they have %CAP_SYS_RESOURCE, whoever reads
 * @memcg: a userspace subscriber's memory cgroup, which a resync's snapshot array is
 *	charged to as the first one was
 * @cutoff: cutoff of the current snapshot
 * @sync_pending: the SYNC record is still to be delivered
 * @lag_pending: the LAGGED record is still to be delivered
 * @lag_count: its count
 * @free_rwork: frees a stream fd's subscription a grace period after it ended
 * @test_hook: test builds only: called by a writer about to append to the ring
 * @test_ctx: @test_hook's argument
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
	const struct cred *quota_cred;
	struct mem_cgroup *memcg;
	u64 cutoff;
	bool sync_pending;
	bool lag_pending;
	u64 lag_count;
	struct rcu_work free_rwork;
#ifdef KCACHE_TESTS
	void (*test_hook)(void *ctx);
	void *test_ctx;
#endif
};

/* The test build's hook in a writer about to append to @s (kcache_test_stream_hook()) */
static inline void kc_stream_test_hook(struct kcache_stream *s)
{
#ifdef KCACHE_TESTS
	/* pairs with the release in kcache_test_stream_hook(): @test_ctx is set */
	void (*fn)(void *ctx) = smp_load_acquire(&s->test_hook);

	if (fn)
		fn(s->test_ctx);
#endif
}

static inline bool kc_key_matches(const struct kcache_stream *s, const void *key, u32 klen)
{
	return klen >= s->prefix_len && !memcmp(key, s->prefix, s->prefix_len);
}

/* kcache_stream.c */
void kc_snap_free(struct kcache_stream *s);
int kc_snap_collect(struct kcache_stream *s);
int kc_stream_cutoff(struct kcache_stream *s, bool resync);
bool kc_stream_unregister(struct kcache_stream *s);

/* kcache_stream_ring.c */
void kc_stream_wake(struct kcache_stream *s, bool ended);

#endif /* _KCACHE_STREAM_INT_H */
