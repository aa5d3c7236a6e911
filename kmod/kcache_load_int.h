/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the single-flight loading's files share beyond kcache_load.h: the record, its
 * states, small helpers, and the functions one of them calls in the other. kcache_load.c
 * holds the records and their state machine (and, at its top, the design and the lock
 * order), kcache_load_lease.c the leases of cache fds. Only these two include it.
 */
#ifndef _KCACHE_LOAD_INT_H
#define _KCACHE_LOAD_INT_H

#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "kcache_cache.h"
#include "kcache_load.h"

struct kcache_entry;

enum kc_load_state {
	KC_LOAD_BUSY = 1,	/* a holder loads */
	KC_LOAD_VACANT,		/* holder left, no waiter queued yet (or revoked) */
	KC_LOAD_DONE,		/* result set; out of the stripe's list */
	KC_LOAD_DEAD,		/* destroy; out of the stripe's list */
};

/**
 * struct kcache_load - one key being loaded
 * @node: in the stripe's list while BUSY or VACANT
 * @owner_link: in @owner's list while @owner is set
 * @owner: the cache fd holding the lease, NULL for an in-kernel holder or none
 * @task: BUSY without @owner: the task running the loader (kcache_get_or_load())
 * @stripe: the key's stripe, whose lock protects everything below
 * @wq: waiters, all exclusive: a result wakes them all
 * @queue: the waiters in kcache_load_wait(), longest first (&struct kc_load_waiter.link)
 * @rcu: deferred free
 * @ref: see the top of this file
 * @token: the holder's lease token; 0 once the lease ended
 * @deadline: lease deadline (ktime ns), 0 for none (in-kernel holder)
 * @e: DONE: the stored entry, pinned
 * @val: DONE by a revoked in-kernel load: its unstored value (kvmalloc())
 * @vlen: length of @val
 * @err: DONE/DEAD: the error every waiter gets, or 0
 * @hash: the key's hash
 * @waiters: callers asleep on (or about to sleep on) @wq: those in @queue, and those
 *	between kcache_load_begin() and their first look in kcache_load_wait()
 * @klen: key length
 * @state: &enum kc_load_state
 * @refresh: the key has a stale value, readers do not wait
 * @revoked: an in-kernel load whose key was deleted: its value is not stored
 * @key: key bytes
 */
struct kcache_load {
	struct hlist_node node;
	struct list_head owner_link;
	struct kcache_lease_owner *owner;
	struct task_struct *task;
	struct kc_stripe *stripe;
	wait_queue_head_t wq;
	struct list_head queue;
	struct rcu_head rcu;
	refcount_t ref;
	u64 token;
	u64 deadline;
	struct kcache_entry *e;
	void *val;
	u32 vlen;
	int err;
	u32 hash;
	u32 waiters;
	u16 klen;
	u8 state;
	u8 refresh:1;
	u8 revoked:1;
	u8 key[];
};

static inline struct kcache_loads *kc_loads(struct kcache *c)
{
	return &c->loads;
}

static inline bool kc_lease_expired(const struct kcache_load *r, u64 now)
{
	return r->state == KC_LOAD_BUSY && r->deadline && now >= r->deadline;
}

/* kcache_load.c */
void kc_load_complete(struct kcache_loads *L, struct kcache_load *r,
		      struct kcache_entry *e, void *val, u32 vlen, int err);
void kc_load_vacate(struct kcache_loads *L, struct kcache_load *r);
void kc_load_expire(struct kcache_loads *L, struct kcache_load *r);

/* kcache_load_lease.c */
void kc_owner_reap(struct kcache_loads *L, struct kcache_lease_owner *o, u64 now);

#endif /* _KCACHE_LOAD_INT_H */
