// SPDX-License-Identifier: GPL-2.0
/*
 * kcache single-flight loading (design §6, §8): exactly one load per missing key however
 * many callers miss it, for kernel callers (kcache_get_or_load()) and for processes
 * (leases on the cache fd), and refresh ahead of an entry's deadline.
 *
 * In-flight state: a record (&struct kcache_load) per key being loaded, in the hlist
 * stripe->loads of the key's stripe, never in the table. The table holds only published
 * entries, so readers' fast path is untouched and a load is found with the same per-key
 * lock that every SET/DEL of the key takes. A record is in the list while its state is
 * BUSY (a holder loads: a kernel caller running its loader, or a cache fd holding the
 * lease token) or VACANT (the holder left without a value and waiters remain, none of
 * them queued yet: the first to look takes the lease; or the load was revoked: they begin
 * again). It leaves the list DONE (the
 * value as a pinned entry, an unstored value, or an error, for the waiters) or DEAD
 * (destroy). Waiters sleep on the
 * record's wait queue, killable and bounded by their own and the lease's deadline.
 *
 * Hand-off: a holder that leaves without a value (interrupted, aborted, killed, its fd
 * closed, its lease expired) hands the lease to the waiter that has waited longest
 * (kc_load_handoff(), the record's @queue), under the stripe lock, before anyone else can
 * ask: a caller that comes later, the old holder among them, waits behind. Were the lease
 * left for whoever asks first, a holder retrying at once (a restarted system call) would
 * take it back before the waiter woken for it ran, and a stream of callers could keep a
 * waiter from it until its timeout.
 *
 * Why one load per miss: a caller that misses takes the stripe lock, looks the key up in
 * the table again and then for a record; only if both are absent does it insert a record
 * and become the holder, all under that lock. Every store of the key completes a BUSY or
 * VACANT record under the same lock (kcache_loads_on_store()), so a record never outlives
 * a store and a caller never loads a key that is present.
 *
 * SET/DEL during a load: a store of the key (SET, CAS, ADD, MSET; also the holder's own)
 * completes the record with the stored entry: every waiter gets that value. The holder's
 * own completing store carries a claim (token) checked under the stripe lock before the
 * table changes (kcache_loads_claim()), so once a record is completed or revoked, the
 * holder's store fails with -ESTALE and stores nothing. A DEL or INVALIDATE of the key
 * revokes the lease (the value being loaded may predate it): a process's lease becomes
 * VACANT and goes to one waiter; an in-kernel load runs on, and its value is given to its
 * caller and to the waiters but not stored, nor to callers that come after the DEL: they
 * no longer find the revoked record (kc_load_find()) and load afresh, so for a while a
 * key may have two records, of which only one is not revoked. A store completes both.
 * Expiry or eviction of a stale entry does not revoke its refresh lease.
 *
 * Locks: the stripe lock (the core's, a spinlock) protects the stripe's list, every field
 * of the records in it, and the state of records out of it; a record's owner lock
 * (&struct kcache_lease_owner.lock, per cache fd) protects that fd's list of leases.
 * Order: stripe lock -> owner lock. Nothing sleeps or allocates under either; records are
 * allocated before the stripe lock is taken and freed after RCU (call_rcu(), so a put
 * under a lock is fine). A record's @deadline changes only while it is in no fd's list,
 * so the owner lock alone is enough to read the deadlines of an fd's leases.
 *
 * Expired leases: a lease past its deadline is over (its holder's SET and ABORT get
 * -ESTALE), but its record stays in the stripe's list, where every store of the stripe
 * scans it, until something removes it: a waiter or a later caller of the key takes it
 * over; the holder's refused SET or ABORT, or the last waiter giving up, removes it when
 * nobody else waits; and a lease GET of an fd first ends that fd's expired leases nobody
 * waits for (kc_owner_reap(), gated by the fd's earliest deadline). An fd holds at most
 * %KCACHE_LEASES_PER_FD_MAX leases, so its unexpired ones are bounded too.
 *
 * References on a record: one for the stripe list, one for the owner list, one per waiter
 * and one for an in-kernel holder while it runs.
 *
 * Destroy: kcache_loads_shutdown() runs after the cache stopped taking new operations. It
 * marks every record DEAD with -ESHUTDOWN and wakes every waiter, so no sleeping waiter
 * holds the operation reference that destroy then waits for; an in-kernel loader that is
 * running is waited for by that reference, and its store fails.
 *
 * Contexts: process context; everything here may sleep except the hooks, which run under
 * the stripe lock.
 *
 * The front ends see a record only through the functions below and kcache_load_lease.c's:
 * the cache fd's ioctls (lease GET, SET, MGET, ABORT; LOAD_CONFIG, LOAD_STATS) in
 * kcache_load_fd.c, and kcache_get_or_load() in kcache_load_kernel.c.
 *
 * Files: this one holds the records and their state machine; kcache_load_lease.c the
 * leases of cache fds (an fd's list, its reaping, abort by token, the fd's release);
 * kcache_load_int.h what the two share.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_load.h"
#include "kcache_load_int.h"
#include "kcache_record.h"
#include "kcache_table.h"

static void kc_load_free_rcu(struct rcu_head *head)
{
	struct kcache_load *r = container_of(head, struct kcache_load, rcu);

	if (r->e)
		kcache_entry_put(r->e);
	kvfree(r->val);	/* softirq: vfree() defers itself */
	kfree(r);
}

/* Drop a reference to @r. Any context, any lock held. */
void kcache_load_put(struct kcache_load *r)
{
	if (refcount_dec_and_test(&r->ref))
		call_rcu(&r->rcu, kc_load_free_rcu);
}

static struct kcache_load *kc_load_alloc(struct kcache *c, const void *key, u32 klen,
					 u32 hash)
{
	struct kcache_load *r;

	r = kzalloc(struct_size(r, key, klen), GFP_KERNEL_ACCOUNT);
	if (!r)
		return NULL;
	INIT_HLIST_NODE(&r->node);
	INIT_LIST_HEAD(&r->owner_link);
	init_waitqueue_head(&r->wq);
	INIT_LIST_HEAD(&r->queue);
	refcount_set(&r->ref, 1);
	r->stripe = kcache_stripe(c, hash);
	r->hash = hash;
	r->klen = klen;
	memcpy(r->key, key, klen);
	return r;
}

static inline bool kc_load_matches(const struct kcache_load *r, const void *key, u32 klen)
{
	return r->klen == klen && !memcmp(r->key, key, klen);
}

/* The key's record a caller may join, claim or revoke: not a revoked one. */
static struct kcache_load *kc_load_find(struct kc_stripe *s, const void *key, u32 klen)
{
	struct kcache_load *r;

	hlist_for_each_entry(r, &s->loads, node)
		if (!r->revoked && kc_load_matches(r, key, klen))
			return r;
	return NULL;
}

/**
 * struct kc_load_waiter - a caller in kcache_load_wait(), on its stack
 * @link: in the record's @queue while it waits for it; empty once granted or refused
 * @task: the caller
 * @o: its fd, NULL for an in-kernel caller
 * @lease_ns: the deadline of a lease it is granted
 * @token: the lease token, once @granted
 * @err: -ENOSPC: the lease came to it, but @o holds %KCACHE_LEASES_PER_FD_MAX
 * @granted: it holds the lease
 */
struct kc_load_waiter {
	struct list_head link;
	struct task_struct *task;
	struct kcache_lease_owner *o;
	u64 lease_ns;
	u64 token;
	int err;
	bool granted;
};

static inline bool kc_soft_stale(struct kcache_loads *L, const struct kcache_entry *e,
				 u64 now)
{
	u64 margin = READ_ONCE(L->refresh_ns);
	u64 expires = kcache_entry_expires(e);

	/* a margin set from userspace may be huge: no sum that can wrap */
	return margin && expires && expires != U64_MAX &&
	       (expires <= now || expires - now <= margin);
}

/* Take one of @o's %KCACHE_LEASES_PER_FD_MAX lease slots; kc_load_detach() gives it back. */
static inline bool kc_owner_reserve(struct kcache_lease_owner *o)
{
	return atomic_add_unless(&o->nr, 1, KCACHE_LEASES_PER_FD_MAX);
}

/* Drop the lease from its fd's list. Stripe lock held. */
static void kc_load_detach(struct kcache_load *r)
{
	struct kcache_lease_owner *o = r->owner;

	lockdep_assert_held(&r->stripe->lock);
	if (!o)
		return;
	spin_lock(&o->lock);
	list_del_init(&r->owner_link);
	/* under the lock: once the fd's release sees its list empty, @o may be freed */
	atomic_dec(&o->nr);
	spin_unlock(&o->lock);
	r->owner = NULL;
	kcache_load_put(r);
}

/*
 * Make @o (NULL: the in-kernel caller @task) the holder, in the slot the caller took with
 * kc_owner_reserve(). Stripe lock held.
 */
static u64 kc_load_grant(struct kcache_loads *L, struct kcache_load *r,
			 struct kcache_lease_owner *o, struct task_struct *task, u64 lease_ns,
			 u64 now)
{
	lockdep_assert_held(&r->stripe->lock);
	kc_load_detach(r);
	r->state = KC_LOAD_BUSY;
	r->token = atomic64_inc_return(&L->next_token);
	r->revoked = 0;
	r->deadline = 0;
	/* set on every grant, so only a running in-kernel holder is ever compared to it */
	r->task = o ? NULL : task;
	if (o) {
		r->deadline = now + (lease_ns ?: READ_ONCE(L->lease_ns));
		refcount_inc(&r->ref);
		r->owner = o;
		spin_lock(&o->lock);
		list_add_tail(&r->owner_link, &o->list);
		WRITE_ONCE(o->next_expiry, min(o->next_expiry, r->deadline));
		spin_unlock(&o->lock);
		/* waiters sleep until the deadline they saw: this one may come sooner */
		if (r->waiters)
			wake_up_all(&r->wq);
	}
	atomic64_inc(&L->started);
	return r->token;
}

static void kc_load_link(struct kcache_loads *L, struct kcache_load *r)
{
	hlist_add_head(&r->node, &r->stripe->loads);
	atomic64_inc(&L->in_flight);
}

static void kc_load_unlink(struct kcache_loads *L, struct kcache_load *r)
{
	hlist_del_init(&r->node);
	atomic64_dec(&L->in_flight);
	kcache_load_put(r);
}

/*
 * Give @r's lease, vacant or expired, to the waiter that has waited longest; a waiter
 * whose fd holds all the leases it may is told so and the next one tried. Stripe lock
 * held. Return: whether one took it.
 */
static bool kc_load_handoff(struct kcache_loads *L, struct kcache_load *r, u64 now)
{
	struct kc_load_waiter *w, *tmp;

	lockdep_assert_held(&r->stripe->lock);
	list_for_each_entry_safe(w, tmp, &r->queue, link) {
		list_del_init(&w->link);
		r->waiters--;
		if (w->o && !kc_owner_reserve(w->o)) {
			w->err = -ENOSPC;
			wake_up_process(w->task);
			continue;
		}
		r->refresh = 0;
		w->token = kc_load_grant(L, r, w->o, w->task, w->lease_ns, now);
		w->granted = true;
		/* it sleeps killable in kcache_load_wait(), its state set before it looked */
		wake_up_process(w->task);
		return true;
	}
	return false;
}

/*
 * End @r with a result: a pinned entry @e, or an unstored value @val (ownership moves to
 * @r), or an error. Every waiter wakes. Stripe lock held; @r BUSY or VACANT.
 */
void kc_load_complete(struct kcache_loads *L, struct kcache_load *r,
		      struct kcache_entry *e, void *val, u32 vlen, int err)
{
	lockdep_assert_held(&r->stripe->lock);
	kc_load_detach(r);
	r->e = e;
	r->val = val;
	r->vlen = vlen;
	r->err = err;
	r->token = 0;
	r->state = KC_LOAD_DONE;
	wake_up_all(&r->wq);
	kc_load_unlink(L, r);
}

/*
 * The holder left without a value: the longest waiter takes the lease over (not one of a
 * revoked load: they begin again), or, with waiters not queued yet, the first of them to
 * look; with nobody waiting, the record goes (the next miss loads afresh). Stripe lock
 * held.
 */
void kc_load_vacate(struct kcache_loads *L, struct kcache_load *r)
{
	lockdep_assert_held(&r->stripe->lock);
	kc_load_detach(r);
	r->token = 0;
	r->deadline = 0;
	if (!r->revoked && kc_load_handoff(L, r, ktime_get_ns())) {
		atomic64_inc(&L->handed_over);
		return;
	}
	if (r->waiters) {
		r->state = KC_LOAD_VACANT;
		wake_up(&r->wq);
		return;
	}
	r->state = KC_LOAD_DONE;
	r->err = -ECANCELED;	/* nobody reads it */
	kc_load_unlink(L, r);
}

/*
 * A delete or invalidate of the key: a userspace lease goes to a waiter (its holder's
 * store is refused); an in-kernel load runs on, its value going to its callers unstored,
 * and callers from now on load afresh (its value may predate the delete).
 */
static void kc_load_revoke(struct kcache_loads *L, struct kcache_load *r)
{
	lockdep_assert_held(&r->stripe->lock);
	if (r->state != KC_LOAD_BUSY || r->revoked)
		return;
	atomic64_inc(&L->revoked);
	if (r->owner)
		kc_load_vacate(L, r);
	else
		r->revoked = 1;
}

/*
 * @r's lease is past its deadline and nobody waits to take it over: end it now rather
 * than leave it in the stripe's list for every store to scan. Stripe lock held.
 */
void kc_load_expire(struct kcache_loads *L, struct kcache_load *r)
{
	lockdep_assert_held(&r->stripe->lock);
	atomic64_inc(&L->expired);
	kc_load_vacate(L, r);
}

/**
 * kcache_load_begin() - look a key up for a load, under its stripe lock
 * @c: the cache
 * @key: key bytes
 * @klen: key length
 * @o: the fd asking for a lease, NULL for an in-kernel caller
 * @lease_ns: the lease's deadline from now (0: the cache's default)
 * @bufsz: the caller's buffer: a stale value that does not fit gets no refresh lease
 * @may_wait: the caller waits for another holder (else %KC_BEGIN_BUSY)
 * @rp: out: the record (LOAD, REFRESH: with a reference for an in-kernel caller; WAIT:
 *	with the waiter's reference)
 * @ep: out: the pinned entry (HIT, STALE, REFRESH)
 * @token: out: the lease token (LOAD, REFRESH)
 *
 * An fd's expired leases nobody waits for end first (kc_owner_reap()).
 *
 * Return: an &enum kc_begin, or -ENOMEM, -ESHUTDOWN, -ENOSPC (@o would be granted a
 * lease but holds %KCACHE_LEASES_PER_FD_MAX; nothing pinned, no lease), or -EDEADLK (an
 * in-kernel caller that is the key's loading holder itself: its loader asked for the key).
 */
int kcache_load_begin(struct kcache *c, const void *key, u32 klen,
		      struct kcache_lease_owner *o, u64 lease_ns, u32 bufsz, bool may_wait,
		      struct kcache_load **rp, struct kcache_entry **ep, u64 *token)
{
	struct kcache_loads *L = kc_loads(c);
	u32 hash = kcache_key_hash(c, key, klen);
	struct kc_stripe *s = kcache_stripe(c, hash);
	struct kcache_load *r, *fresh;
	struct kcache_entry *e;
	int ret;
	u64 now;

	if (o)
		kc_owner_reap(L, o, ktime_get_ns());
	/* most misses start a load: allocate before the lock, free if unused */
	fresh = kc_load_alloc(c, key, klen, hash);
	if (!fresh)
		return -ENOMEM;
	spin_lock(&s->lock);
	if (READ_ONCE(L->dead)) {
		ret = -ESHUTDOWN;
		goto out;
	}
	now = ktime_get_ns();
	/* the re-check: a store that landed since the caller's miss is returned */
	rcu_read_lock();
	e = kcache_table_lookup(c, key, klen, hash);
	if (e && (kcache_entry_expired(e, now) || !kcache_entry_tryget(e)))
		e = NULL;
	rcu_read_unlock();
	r = kc_load_find(s, key, klen);
	if (e) {
		*ep = e;
		ret = KC_BEGIN_HIT;
		if (!kc_soft_stale(L, e, now) || e->vlen > bufsz)
			goto out;
		ret = KC_BEGIN_STALE;
		/* an expired lease with waiters is theirs to take over */
		if (r && (r->waiters || (!kc_lease_expired(r, now) && r->state == KC_LOAD_BUSY)))
			goto out;
		if (o && !kc_owner_reserve(o)) {
			kcache_entry_put(e);
			*ep = NULL;
			ret = -ENOSPC;
			goto out;
		}
		if (r && r->state == KC_LOAD_BUSY)
			atomic64_inc(&L->expired);
		if (!r) {
			r = fresh;
			fresh = NULL;
			kc_load_link(L, r);
		}
		/* VACANT with a live entry cannot happen: the store completed the record */
		r->refresh = 1;
		ret = KC_BEGIN_REFRESH;
		goto grant;
	}
	if (r) {
		bool busy = r->state == KC_LOAD_BUSY && !kc_lease_expired(r, now);

		/* a loader asking for its own key would wait for itself, for ever */
		if (busy && !o && !r->owner && r->task == current) {
			ret = -EDEADLK;
			goto out;
		}
		/* a vacant or expired lease goes to those who waited for it: wait behind */
		if (busy || r->waiters) {
			ret = KC_BEGIN_BUSY;
			if (!may_wait)
				goto out;
			refcount_inc(&r->ref);
			r->waiters++;
			*rp = r;
			ret = KC_BEGIN_WAIT;
			goto out;
		}
	}
	if (o && !kc_owner_reserve(o)) {
		ret = -ENOSPC;
		goto out;
	}
	if (r) {
		atomic64_inc(r->state == KC_LOAD_BUSY ? &L->expired : &L->handed_over);
	} else {
		r = fresh;
		fresh = NULL;
		kc_load_link(L, r);
	}
	r->refresh = 0;
	ret = KC_BEGIN_LOAD;
grant:
	*token = kc_load_grant(L, r, o, current, lease_ns, now);
	if (!o) {
		refcount_inc(&r->ref);
		*rp = r;
	}
out:
	spin_unlock(&s->lock);
	kfree(fresh);
	return ret;
}

/* Leave the wait on @r; the caller's reference stays. Stripe lock held. */
static void kc_load_leave(struct kcache_loads *L, struct kcache_load *r,
			  struct kc_load_waiter *w, u64 now)
{
	list_del_init(&w->link);
	r->waiters--;
	/* a vacancy (a revoked one's, or one none of the waiters was queued for) goes on */
	if (r->state == KC_LOAD_VACANT) {
		if (r->revoked && r->waiters)
			wake_up(&r->wq);
		else
			kc_load_vacate(L, r);
	} else if (!r->waiters && kc_lease_expired(r, now)) {
		kc_load_expire(L, r);
	}
}

/**
 * kcache_load_wait() - wait for the holder of @r
 * @c: the cache
 * @r: the record, with the caller's reference and counted in its waiters
 * @o: the waiting fd, NULL for an in-kernel caller
 * @lease_ns: deadline of a lease taken over
 * @until: give up at this ktime (0: never)
 * @token: out: the lease token on %KC_WAIT_LEASE
 *
 * Sleeps killable. A vacant or expired lease goes to the waiter that has waited longest
 * (kc_load_handoff()), however many callers come meanwhile; a result is read by all.
 *
 * Return: %KC_WAIT_DONE, %KC_WAIT_LEASE, %KC_WAIT_RETRY (@r was revoked and its holder
 * left, or the lease handed to the caller ended before it ran: the caller puts @r and
 * calls kcache_load_begin() again), -EINTR (fatal signal),
 * -ETIMEDOUT (@until passed), -ESHUTDOWN (destroy), -ENOSPC (the lease was @o's to take,
 * but @o holds %KCACHE_LEASES_PER_FD_MAX).
 */
int kcache_load_wait(struct kcache *c, struct kcache_load *r, struct kcache_lease_owner *o,
		     u64 lease_ns, u64 until, u64 *token)
{
	struct kc_load_waiter me = {
		.link = LIST_HEAD_INIT(me.link),
		.task = current,
		.o = o,
		.lease_ns = lease_ns,
	};
	struct kcache_loads *L = kc_loads(c);
	struct kc_stripe *s = r->stripe;
	bool queued = false;
	DEFINE_WAIT(w);
	long timeout;
	u64 now, wake;
	int ret;

	for (;;) {
		prepare_to_wait_exclusive(&r->wq, &w, TASK_KILLABLE);
		now = ktime_get_ns();
		spin_lock(&s->lock);
		/* in line from the first look on; a finished record's line is not used */
		if (!queued) {
			list_add_tail(&me.link, &r->queue);
			queued = true;
		}
		/*
		 * A vacancy none of the waiters was queued for, or an expired lease (not the
		 * one granted to this waiter, which may expire before it runs: it is its own).
		 */
		if (me.granted) {
			/* checked below */
		} else if (r->state == KC_LOAD_VACANT && !r->revoked) {
			if (kc_load_handoff(L, r, now))
				atomic64_inc(&L->handed_over);
		} else if (kc_lease_expired(r, now)) {
			if (kc_load_handoff(L, r, now))
				atomic64_inc(&L->expired);
		}
		/* the lease came to it, but its fd holds all the leases it may */
		if (me.err) {
			/* kc_load_handoff() counted it out; a vacancy left with none goes */
			if (r->state == KC_LOAD_VACANT && !r->waiters)
				kc_load_vacate(L, r);
			else if (!r->waiters && kc_lease_expired(r, now))
				kc_load_expire(L, r);
			ret = me.err;
			break;
		}
		if (r->state == KC_LOAD_DONE || r->state == KC_LOAD_DEAD) {
			/* still counted unless the lease came to it (or was refused) first */
			if (!list_empty(&me.link)) {
				list_del_init(&me.link);
				r->waiters--;
			}
			ret = r->state == KC_LOAD_DONE ? KC_WAIT_DONE : -ESHUTDOWN;
			/* its lease ended before it ran (expired, aborted) and nobody waited */
			if (ret == KC_WAIT_DONE && me.granted && r->err == -ECANCELED)
				ret = KC_WAIT_RETRY;
			break;
		}
		/* an ABORT by another thread of its fd may have ended it meanwhile */
		if (me.granted && (r->state != KC_LOAD_BUSY || r->token != me.token)) {
			me.granted = false;
			list_add_tail(&me.link, &r->queue);
			r->waiters++;
			spin_unlock(&s->lock);
			continue;
		}
		if (me.granted) {
			/* killed before it ran: the lease goes on at once */
			if (fatal_signal_pending(current)) {
				kc_load_vacate(L, r);
				ret = -EINTR;
				break;
			}
			*token = me.token;
			ret = KC_WAIT_LEASE;
			break;
		}
		if (fatal_signal_pending(current)) {
			kc_load_leave(L, r, &me, now);
			ret = -EINTR;
			break;
		}
		/*
		 * Not a revoked load's lease (its holder was killed): callers after the DEL
		 * have a record of their own, and two live ones would load twice.
		 */
		if (r->state == KC_LOAD_VACANT && r->revoked) {
			kc_load_leave(L, r, &me, now);
			ret = KC_WAIT_RETRY;
			break;
		}
		if (until && now >= until) {
			kc_load_leave(L, r, &me, now);
			ret = -ETIMEDOUT;
			break;
		}
		wake = until;
		if (r->deadline && (!wake || r->deadline < wake))
			wake = r->deadline;
		spin_unlock(&s->lock);
		/*
		 * A lease ends within an hour, but a wait_ns may be far longer: at most an hour
		 * at a time (the loop sleeps again), since where HZ does not divide 10^9
		 * nsecs_to_jiffies64() multiplies and would wrap; then clamped so that no long
		 * can turn negative.
		 */
		timeout = MAX_SCHEDULE_TIMEOUT;
		if (wake) {
			wake = min_t(u64, wake - now, KCACHE_LEASE_NS_MAX);
			timeout = min_t(u64, nsecs_to_jiffies64(wake) + 1,
					MAX_SCHEDULE_TIMEOUT - 1);
		}
		schedule_timeout(timeout);
	}
	spin_unlock(&s->lock);
	finish_wait(&r->wq, &w);
	if (ret == KC_WAIT_DONE)
		atomic64_inc(&L->served);
	return ret;
}

/* ---- hooks of the write path ---- */

/**
 * kcache_loads_claim() - may a load's completing store publish?
 * @c: the cache
 * @s: the key's stripe, locked
 * @key: key bytes
 * @klen: key length
 * @claim: the store's claim
 *
 * Called by the core's store path under the stripe lock, before it changes the table,
 * for stores that carry a claim. The claim holds if the key's record is BUSY with this
 * token and owner and was not revoked. A lease found past its deadline is over, taken
 * over by someone or not (uapi); with nobody waiting for it, it ends here.
 *
 * Return: 0, or -ESTALE (the store must not happen).
 */
int kcache_loads_claim(struct kcache *c, struct kc_stripe *s, const void *key, u32 klen,
		       const struct kcache_load_claim *claim)
{
	struct kcache_load *r;

	lockdep_assert_held(&s->lock);
	r = kc_load_find(s, key, klen);
	if (!r)
		return -ESTALE;
	if (kc_lease_expired(r, ktime_get_ns())) {
		if (!r->waiters)
			kc_load_expire(kc_loads(c), r);
		return -ESTALE;
	}
	if (r->state != KC_LOAD_BUSY || r->token != claim->token ||
	    r->owner != claim->owner || r->revoked)
		return -ESTALE;
	return 0;
}

/**
 * kcache_loads_on_store() - a store of a key published @e
 * @c: the cache
 * @s: the key's stripe, locked
 * @e: the published entry
 * @claimed: the store was the load's own (its claim held, kcache_loads_claim())
 *
 * Called by the core under the stripe lock after publishing, when @s has records. The
 * key's record, if any, completes with @e: its waiters get this value. Only a store that
 * published counts as a load that succeeded: a claim that held may still see the table
 * refuse the entry.
 */
void kcache_loads_on_store(struct kcache *c, struct kc_stripe *s,
			   const struct kcache_entry *e, bool claimed)
{
	struct kcache_loads *L = kc_loads(c);
	const void *key = kcache_entry_key(e);
	struct hlist_node *tmp;
	struct kcache_load *r;

	lockdep_assert_held(&s->lock);
	if (claimed)
		atomic64_inc(&L->succeeded);
	/* a revoked load's waiters get the stored value too, not the older one loading */
	hlist_for_each_entry_safe(r, tmp, &s->loads, node) {
		if (!kc_load_matches(r, key, e->klen))
			continue;
		/* published under this lock, so its cache reference is still there */
		if (!kcache_entry_tryget((struct kcache_entry *)e))
			kc_load_complete(L, r, NULL, NULL, 0, -ENOENT);
		else
			kc_load_complete(L, r, (struct kcache_entry *)e, NULL, 0, 0);
	}
}

/**
 * kcache_loads_on_remove() - a key was removed (or a DEL found it absent)
 * @c: the cache
 * @s: the key's stripe, locked
 * @key: key bytes
 * @klen: key length
 * @hash: the key's hash
 * @cause: an &enum kcache_cause
 *
 * A delete or invalidate revokes the key's lease; expiry and eviction leave a refresh
 * lease alone (its stale entry was expected to go).
 */
void kcache_loads_on_remove(struct kcache *c, struct kc_stripe *s, const void *key,
			    u32 klen, u32 hash, u8 cause)
{
	struct kcache_load *r;

	lockdep_assert_held(&s->lock);
	if (cause != KCACHE_CAUSE_DELETE && cause != KCACHE_CAUSE_INVALIDATE)
		return;
	r = kc_load_find(s, key, klen);
	if (r)
		kc_load_revoke(kc_loads(c), r);
}

/**
 * kcache_loads_on_invalidate() - revoke the leases of every key with a prefix
 * @c: the cache
 * @prefix: prefix bytes, or NULL with @plen 0 for every key
 * @plen: prefix length
 *
 * An invalidate calls it before it removes entries, so a holder's value, which may
 * predate the invalidate, is refused whether its key had an entry or not; a store that
 * came before is numbered below the invalidate's cutoff and removed. May sleep.
 */
void kcache_loads_on_invalidate(struct kcache *c, const void *prefix, u32 plen)
{
	struct kcache_loads *L = kc_loads(c);
	struct kcache_load *r;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i <= c->stripe_mask; i++) {
		struct kc_stripe *s = &c->stripes[i];

		spin_lock(&s->lock);
		hlist_for_each_entry_safe(r, tmp, &s->loads, node)
			if (!plen || (r->klen >= plen && !memcmp(r->key, prefix, plen)))
				kc_load_revoke(L, r);
		spin_unlock(&s->lock);
		cond_resched();
	}
}

/* ---- results ---- */

/**
 * kcache_load_value() - a finished load's result, in place
 * @r: a record that kcache_load_wait() returned %KC_WAIT_DONE for, or an in-kernel
 *	holder's after kcache_load_finish()
 * @val: gets the value (the stored entry's, or the unstored one of a revoked load)
 * @len: gets its length
 * @version: if not NULL, gets its version (0 for a value that was not stored)
 *
 * The value lives as long as the caller's reference on @r.
 *
 * Return: 0, or the load's error.
 */
int kcache_load_value(const struct kcache_load *r, const void **val, u32 *len,
		      u64 *version)
{
	if (r->err)
		return r->err;
	if (r->e) {
		*val = kcache_entry_value(r->e);
		*len = r->e->vlen;
		if (version)
			*version = r->e->seq;
	} else {
		*val = r->val;
		*len = r->vlen;
		if (version)
			*version = 0;
	}
	return 0;
}

/**
 * kcache_load_result_user() - copy a finished load's result to userspace
 * @r: a record that kcache_load_wait() returned %KC_WAIT_DONE for
 * @ubuf: destination
 * @vlen: in: size of @ubuf; out: length of the value
 * @version: gets the value's version (0 for a value that was not stored)
 *
 * Return: 0; the load's error; -EMSGSIZE if the value does not fit (*@vlen holds its
 * length, nothing copied); -EFAULT.
 */
int kcache_load_result_user(struct kcache_load *r, void __user *ubuf, u32 *vlen,
			    u64 *version)
{
	const void *val;
	u32 len, room = *vlen;
	int ret;

	ret = kcache_load_value(r, &val, &len, version);
	if (ret)
		return ret;
	*vlen = len;
	if (room < len)
		return -EMSGSIZE;
	return copy_to_user(ubuf, val, len) ? -EFAULT : 0;
}

/**
 * kcache_load_finish() - end an in-kernel holder's load after its store
 * @c: the cache
 * @r: the record the caller holds the lease of
 * @token: that lease's token
 * @err: 0 if the store succeeded, else its error or the loader's
 * @stored: @err is the store's: the loader succeeded and @val is its value
 * @val: the loaded value (kvmalloc()); set to NULL if @r took it over
 * @vlen: its length
 *
 * A store that succeeded has completed @r already (kcache_loads_on_store()). Otherwise, if
 * the lease is still the caller's, @r completes with @err (-EIO for none) for every
 * waiter; or, if the store failed with -ESTALE because a delete revoked the load, with
 * the unstored value @val, which @r then owns. A loader may fail with -ESTALE of its own
 * (NFS does): @stored tells the two apart. A load that failed because of its holder's own
 * task (killed: a killable loader, or the store's wait for room; or an error of
 * kcache_load_error_own()) is handed to a waiter, who loads in its turn: the waiters
 * were not interrupted, and -EINTR or a restart code would tell them they were. Any
 * other error is given to the waiters as it is if kcache_load_error_ok(), else as -EIO.
 *
 * Return: true if the load was handed on (the holder's answer is then its own error).
 */
bool kcache_load_finish(struct kcache *c, struct kcache_load *r, u64 token, int err,
			bool stored, void **val, u32 vlen)
{
	struct kcache_loads *L = kc_loads(c);
	struct kc_stripe *s = r->stripe;
	bool handed = false;

	spin_lock(&s->lock);
	if (r->state == KC_LOAD_BUSY && r->token == token) {
		if (stored && err == -ESTALE && r->revoked) {
			kc_load_complete(L, r, NULL, *val, vlen, 0);
			*val = NULL;
		} else if (err && (fatal_signal_pending(current) || kcache_load_error_own(err))) {
			kc_load_vacate(L, r);
			handed = true;
		} else {
			atomic64_inc(&L->failed);
			/* processes may wait too: no error that means something else to them */
			kc_load_complete(L, r, NULL, NULL, 0,
					 err && kcache_load_error_ok(err) ? err : -EIO);
		}
	}
	spin_unlock(&s->lock);
	return handed;
}

/**
 * kcache_load_config() - set a cache's refresh margin and default lease deadline
 * @c: the cache
 * @refresh_ns: an entry with a deadline is stale from its deadline minus this on; 0 off
 * @lease_ns: deadline of leases granted with none asked for, 1..%KCACHE_LEASE_NS_MAX
 *
 * Return: 0; -EINVAL if @lease_ns is 0; -E2BIG if above %KCACHE_LEASE_NS_MAX.
 */
int kcache_load_config(struct kcache *c, u64 refresh_ns, u64 lease_ns)
{
	if (!lease_ns)
		return -EINVAL;
	if (lease_ns > KCACHE_LEASE_NS_MAX)
		return -E2BIG;
	WRITE_ONCE(c->loads.refresh_ns, refresh_ns);
	WRITE_ONCE(c->loads.lease_ns, lease_ns);
	return 0;
}
EXPORT_SYMBOL_GPL(kcache_load_config);

/**
 * kcache_load_stats() - read a cache's single-flight counters
 * @c: the cache
 * @st: filled in
 */
void kcache_load_stats(struct kcache *c, struct kcache_load_stats *st)
{
	struct kcache_loads *L = kc_loads(c);

	st->loads_started = atomic64_read(&L->started);
	st->loads_succeeded = atomic64_read(&L->succeeded);
	st->loads_failed = atomic64_read(&L->failed);
	st->waiters_served = atomic64_read(&L->served);
	st->leases_handed_over = atomic64_read(&L->handed_over);
	st->leases_expired = atomic64_read(&L->expired);
	st->leases_revoked = atomic64_read(&L->revoked);
	st->in_flight = atomic64_read(&L->in_flight);
}
EXPORT_SYMBOL_GPL(kcache_load_stats);

/* ---- lifecycle ---- */

int kcache_loads_init(struct kcache *c)
{
	struct kcache_loads *L = kc_loads(c);

	memset(L, 0, sizeof(*L));
	L->lease_ns = KCACHE_LEASE_NS_DEFAULT;
	return 0;
}

/*
 * Destroy, after new operations stopped: every record is DEAD, every waiter wakes with
 * -ESHUTDOWN and every lease token is stale. A caller that entered before the stop and
 * reaches a stripe after this sweep sees @dead under that stripe's lock.
 */
void kcache_loads_shutdown(struct kcache *c)
{
	struct kcache_loads *L = kc_loads(c);
	struct kcache_load *r;
	struct hlist_node *tmp;
	unsigned int i;

	WRITE_ONCE(L->dead, true);
	for (i = 0; i <= c->stripe_mask; i++) {
		struct kc_stripe *s = &c->stripes[i];

		spin_lock(&s->lock);
		hlist_for_each_entry_safe(r, tmp, &s->loads, node) {
			kc_load_detach(r);
			r->token = 0;
			r->err = -ESHUTDOWN;
			r->state = KC_LOAD_DEAD;
			wake_up_all(&r->wq);
			kc_load_unlink(L, r);
		}
		spin_unlock(&s->lock);
		cond_resched();
	}
}

void kcache_loads_uninit(struct kcache *c)
{
	WARN_ON_ONCE(atomic64_read(&c->loads.in_flight));
}

#ifdef KCACHE_TESTS
/* Callers asleep on (or about to sleep on) @key's load now, 0 without one; for tests. */
u32 kcache_test_load_waiters(struct kcache *c, const void *key, u32 klen)
{
	struct kc_stripe *s = kcache_stripe(c, kcache_key_hash(c, key, klen));
	struct kcache_load *r;
	u32 n = 0;

	spin_lock(&s->lock);
	r = kc_load_find(s, key, klen);
	if (r)
		n = r->waiters;
	spin_unlock(&s->lock);
	return n;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_load_waiters);
#endif
