// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's maintenance pass: one per cache at a time, under c->maint_mutex, run by the
 * cache's work items, by kcache_maintain(), by a writer whose write ring is full (it helps
 * instead of spinning) and by the shrinker (trylock only).
 *
 * Records reach it in any order: the rings are per CPU, so the record that retired an
 * entry can be drained before the one that published it. Each entry therefore carries two
 * flags, "publication applied" and "retirement applied" (as Caffeine's alive -> retired ->
 * dead node states): the first applied links the entry into the policy only if it has not
 * been retired meanwhile, and whichever of the two is applied second moves the entry to
 * limbo. Nothing is linked twice, nothing freed while linked or while a record still
 * names it.
 *
 * Limbo: an entry pointer may still sit in a lossy read ring after the entry left the
 * table. Limbo is freed by an rcu_work: after a grace period that began after the entries
 * left the table (no reader can write them into a ring any more) and a read-ring drain
 * (no slot names them any more). The batch is freed outside the maintenance mutex, or
 * kept for the next writes as spares (kcache_spare.c).
 *
 * Locks: c->maint_mutex (sleeping) covers the policy, the deadline heap, limbo, the
 * entries' flags and heap_idx, and the scratch array; ->dying is set under it. Order:
 * registry mutex -> c->maint_mutex -> c->mut_sem (read; evictions and expiry are
 * mutations) -> stripe lock (write rings take none). Taken from process context only (work
 * items, writers, the shrinker with mutex_trylock).
 */

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/percpu-rwsem.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "kcache_expiry.h"
#include "kcache_maint.h"
#include "kcache_rbuf.h"
#include "kcache_record.h"
#include "kcache_spare.h"
#include "kcache_table.h"
#include "kcache_trace.h"
#include "kcache_wring.h"

struct workqueue_struct *kcache_wq;

/* One workqueue for every cache's maintenance; WQ_MEM_RECLAIM: it frees memory. */
int kcache_wq_init(void)
{
	kcache_wq = alloc_workqueue("kcache", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return kcache_wq ? 0 : -ENOMEM;
}

void kcache_wq_uninit(void)
{
	destroy_workqueue(kcache_wq);
	/* percpu_ref release callbacks and kvfree_rcu run from RCU into this module's text */
	rcu_barrier();
}

void kcache_maint_schedule(struct kcache *c)
{
	/* reading the pending bit first keeps a hot path from writing a shared line */
	if (!READ_ONCE(c->dying) && !work_pending(&c->maint_work))
		queue_work(kcache_wq, &c->maint_work);
}

/*
 * A write ring that stops being empty: its records reach the policy (and the bounds are
 * enforced) within a tick even if no ring fills up, and a burst wakes maintenance once a
 * tick, not once a write.
 */
void kcache_maint_soon(struct kcache *c)
{
	if (!READ_ONCE(c->dying) && !delayed_work_pending(&c->tick_work))
		queue_delayed_work(kcache_wq, &c->tick_work, 1);
}

static void kc_tick_workfn(struct work_struct *work)
{
	kcache_maint_schedule(container_of(to_delayed_work(work), struct kcache, tick_work));
}

static void kc_limbo_add(struct kcache *c, struct kcache_entry *e)
{
	list_add_tail(&e->pn.link, &c->limbo);
}

static void kc_published(struct kcache *c, struct kcache_entry *e)
{
	e->flags |= KC_F_PUB_SEEN;
	if (e->flags & KC_F_RET_SEEN) {
		/* its retirement came first: never link it */
		kc_limbo_add(c, e);
		return;
	}
	kcache_policy_add(&c->policy, &e->pn);
	e->flags |= KC_F_IN_POLICY;
	kcache_expiry_add(c, e);
}

static void kc_retired(struct kcache *c, struct kcache_entry *e)
{
	e->flags |= KC_F_RET_SEEN;
	if (e->flags & KC_F_IN_POLICY) {
		kcache_policy_remove(&c->policy, &e->pn);
		e->flags &= ~KC_F_IN_POLICY;
	}
	kcache_expiry_del(c, e);
	if (e->flags & KC_F_PUB_SEEN)
		kc_limbo_add(c, e);
	/* else its publication record is still in a ring: it will move it to limbo */
}

static void kc_apply(struct kcache *c, const struct kc_wrec *r)
{
	struct kcache_entry *e = r->e, *old = r->old;

	if (e && old && (old->flags & KC_F_IN_POLICY) && !(e->flags & KC_F_RET_SEEN)) {
		/* the new entry takes the old one's place (and history) in the policy */
		kcache_policy_replace(&c->policy, &old->pn, &e->pn);
		old->flags &= ~KC_F_IN_POLICY;
		e->flags |= KC_F_PUB_SEEN | KC_F_IN_POLICY;
		/* the old one leaves the heap first: at a full heap the new one needs no room */
		kc_retired(c, old);
		kcache_expiry_add(c, e);
		return;
	}
	if (e)
		kc_published(c, e);
	if (old)
		kc_retired(c, old);
}

static unsigned int kc_drain_writes(struct kcache *c)
{
	unsigned int n, i, total = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		n = kcache_wring_take(c, cpu, c->scratch);
		for (i = 0; i < n; i++)
			kc_apply(c, &c->scratch[i]);
		total += n;
		/* a ring is up to 1024 records (2048 on 32-bit), and a pass takes every CPU's */
		cond_resched();
	}
	return total;
}

/*
 * Take an entry the policy gave up out of the table, unless a writer already did (its
 * record then moves the entry to limbo). Under c->mut_sem (read). An entry past its
 * deadline is absent already, so it leaves as expired whatever took it (as in kc_remove()
 * and kc_publish()): the shrinker's cold end is where expired entries the expiry work has
 * not reached yet wait.
 */
static bool kc_remove_victim(struct kcache *c, struct kcache_entry *e, u8 cause)
{
	struct kc_stripe *s = kcache_stripe(c, e->pn.hash);
	struct kcache_rec rec = { .e = e, .cause = cause };
	bool live;

	e->flags &= ~KC_F_IN_POLICY;
	spin_lock(&s->lock);
	live = e->state == KC_LIVE;
	if (live) {
		if (kc_expired_now(e))
			rec.cause = KCACHE_CAUSE_EXPIRE;
		rec.seq = kcache_seq_next(c, s);
		kcache_table_remove(c, e);
		e->state = KC_RETIRED;
		kcache_rec_emit(c, &rec, NULL);
	}
	spin_unlock(&s->lock);
	if (live)
		kc_retired(c, e);
	else
		kcache_expiry_del(c, e);
	return live;
}

/* Evict what the policy says is over the bounds. Returns the entries evicted. */
static unsigned int kc_evict(struct kcache *c)
{
	struct kc_pnode *pn;
	unsigned int n = 0;

	if (!kcache_policy_entries(&c->policy))
		return 0;
	percpu_down_read(&c->mut_sem);
	while ((pn = kcache_policy_evict(&c->policy))) {
		if (kc_remove_victim(c, container_of(pn, struct kcache_entry, pn),
				     KCACHE_CAUSE_EVICT))
			n++;
		cond_resched();
	}
	percpu_up_read(&c->mut_sem);
	return n;
}

/* Reclaim the entries whose deadline passed. Returns the entries expired. */
static unsigned int kc_expire(struct kcache *c, u64 now)
{
	struct kcache_entry *e;
	unsigned int n = 0;

	if (!kcache_expiry_due(c, now))
		return 0;
	percpu_down_read(&c->mut_sem);
	while ((e = kcache_expiry_due(c, now))) {
		kcache_expiry_del(c, e);
		if (e->flags & KC_F_IN_POLICY) {
			kcache_policy_remove(&c->policy, &e->pn);
			if (kc_remove_victim(c, e, KCACHE_CAUSE_EXPIRE))
				n++;
		}
		cond_resched();
	}
	percpu_up_read(&c->mut_sem);
	return n;
}

static void kc_limbo_queue(struct kcache *c)
{
	if (c->limbo_queued || list_empty(&c->limbo) || READ_ONCE(c->dying))
		return;
	list_splice_init(&c->limbo, &c->limbo_batch);
	c->limbo_queued = true;
	queue_rcu_work(kcache_wq, &c->limbo_rwork);
}

static void kc_free_list(struct list_head *head)
{
	struct kcache_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, head, pn.link) {
		list_del(&e->pn.link);
		kcache_entry_put(e);
		cond_resched();
	}
}

/*
 * Every release of the mutex wakes the writers kcache_maint_help() put to sleep, not only
 * the end of a pass: behind a holder that is not a pass (limbo, reclaim, the shrinker)
 * each of them would otherwise sleep out a whole tick.
 */
static void kc_unlock(struct kcache *c)
{
	mutex_unlock(&c->maint_mutex);
	if (wq_has_sleeper(&c->pass_wait))
		wake_up_all(&c->pass_wait);
}

/* One pass. Returns the number of write records it applied. */
static unsigned int kc_pass(struct kcache *c)
{
	unsigned int reads, n, evicted, expired;
	u64 start = ktime_get_ns(), now;

	lockdep_assert_held(&c->maint_mutex);
	WRITE_ONCE(c->maint_passes, c->maint_passes + 1);
	WRITE_ONCE(c->maint_running, true);
	smp_mb(); /* running set before draining; pairs with kcache_expiry_note() */
	WRITE_ONCE(c->maint_jiffies, jiffies);
	reads = kcache_rbuf_drain(c);
	n = kc_drain_writes(c);
	/* the dead go first: evicting before them would make room they were about to */
	now = ktime_get_ns();
	expired = kc_expire(c, now);
	evicted = kc_evict(c);
	kcache_spare_trim(c);
	kc_limbo_queue(c);
	kcache_expiry_arm(c);
	smp_store_release(&c->maint_running, false); /* after next_deadline's store */
	trace_kcache_maintain(c, reads, n, evicted, expired, ktime_get_ns() - start);
	return n;
}

/**
 * kcache_maint_help() - a writer that needs room runs a pass itself
 * @c: the cache
 *
 * Runs a pass if the maintenance mutex is free, else sleeps until its holder lets go
 * (kc_unlock() wakes it) and returns without a pass: the holder may have been a pass that
 * drained the caller's ring, which the caller sees when it looks again. So writers that
 * queue behind one pass do not each run another, and a writer behind a holder that was no
 * pass (limbo, reclaim, the shrinker) runs one on its next call.
 *
 * Return: true if the caller should look at its ring again at once: a pass ran since the
 * caller looked (this one applied a write record, or another one started), or the holder
 * it slept behind let go. False after a tick's sleep behind the same holder.
 */
bool kcache_maint_help(struct kcache *c)
{
	unsigned long seen = READ_ONCE(c->maint_passes);
	unsigned int n;

	/*
	 * Do not wait on a busy mutex: its waiters spin while the owner runs (optimistic
	 * spinning, and PREEMPT_RT's adaptive rtmutex), and a pass is long. Sleep until the
	 * holder lets go instead, a tick at most.
	 */
	if (!mutex_trylock(&c->maint_mutex)) {
		wait_event_timeout(c->pass_wait, READ_ONCE(c->maint_passes) != seen ||
				   !mutex_is_locked(&c->maint_mutex), 1);
		return READ_ONCE(c->maint_passes) != seen || !mutex_is_locked(&c->maint_mutex);
	}
	if (READ_ONCE(c->maint_passes) != seen) {
		kc_unlock(c);
		return true;
	}
	n = kc_pass(c);
	kc_unlock(c);
	return n;
}

/* kcache_maintain(): a whole pass of its own, waiting for the mutex if need be. */
void kcache_maint_pass(struct kcache *c)
{
	mutex_lock(&c->maint_mutex);
	kc_pass(c);
	kc_unlock(c);
}

#ifdef KCACHE_TESTS
static bool kc_work_stalled(struct kcache *c)
{
	return READ_ONCE(c->test_stall_work);
}

/* Entries the policy links, under the maintenance mutex. */
u64 kcache_test_policy_entries(struct kcache *c)
{
	u64 n;

	mutex_lock(&c->maint_mutex);
	n = kcache_policy_entries(&c->policy);
	kc_unlock(c);
	return n;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_policy_entries);

/*
 * Make the work items do nothing, as if the workqueue never ran them. Stalling waits for
 * the ones already running: none holds the maintenance mutex past the return.
 */
void kcache_test_stall_work(struct kcache *c, bool stall)
{
	WRITE_ONCE(c->test_stall_work, stall);
	if (stall) {
		flush_work(&c->maint_work);
		flush_delayed_work(&c->expire_work);
	}
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_stall_work);

/* Run a pass, then wait until limbo is empty and no batch is queued or running. */
void kcache_test_limbo_settle(struct kcache *c)
{
	bool busy;

	kcache_maint_pass(c);
	for (;;) {
		mutex_lock(&c->maint_mutex);
		busy = c->limbo_queued || !list_empty(&c->limbo);
		kc_unlock(c);
		if (!busy)
			return;
		flush_rcu_work(&c->limbo_rwork);
	}
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_limbo_settle);
#else
static inline bool kc_work_stalled(struct kcache *c)
{
	return false;
}
#endif

static void kc_maint_workfn(struct work_struct *work)
{
	struct kcache *c = container_of(work, struct kcache, maint_work);

	if (kc_work_stalled(c))
		return;
	mutex_lock(&c->maint_mutex);
	kc_pass(c);
	kc_unlock(c);
}

static void kc_expire_workfn(struct work_struct *work)
{
	struct kcache *c = container_of(to_delayed_work(work), struct kcache, expire_work);

	if (kc_work_stalled(c))
		return;
	mutex_lock(&c->maint_mutex);
	kc_pass(c);
	kc_unlock(c);
}

static void kc_limbo_workfn(struct work_struct *work)
{
	struct kcache *c = container_of(to_rcu_work(work), struct kcache, limbo_rwork);
	LIST_HEAD(batch);

	mutex_lock(&c->maint_mutex);
	/* a grace period has passed since the batch left the table: clear stale slots */
	kcache_rbuf_drain(c);
	list_splice_init(&c->limbo_batch, &batch);
	kc_unlock(c);
	/*
	 * A batch is what a grace period's writes retired, thousands of entries: handled
	 * under the mutex, it held off the maintenance work and every writer whose ring
	 * filled meanwhile. ->limbo_queued stays set until the batch is freed or kept as
	 * spares, for kcache_maint_reclaim().
	 */
	kcache_spare_collect(c, &batch);
	mutex_lock(&c->maint_mutex);
	c->limbo_queued = false;
	kc_limbo_queue(c);
	kc_unlock(c);
}

void kcache_maint_init(struct kcache *c)
{
	mutex_init(&c->maint_mutex);
	init_waitqueue_head(&c->pass_wait);
	INIT_LIST_HEAD(&c->limbo);
	INIT_LIST_HEAD(&c->limbo_batch);
	INIT_WORK(&c->maint_work, kc_maint_workfn);
	INIT_DELAYED_WORK(&c->expire_work, kc_expire_workfn);
	INIT_DELAYED_WORK(&c->tick_work, kc_tick_workfn);
	INIT_RCU_WORK(&c->limbo_rwork, kc_limbo_workfn);
}

/* victims kcache_maint_shrink() takes between reschedule points */
#define KC_SHRINK_PER_RESCHED	4096

/*
 * Entries the shrinker may evict while those it evicted before still wait to be freed.
 * An evicted entry is uncharged a grace period later (limbo), which reclaim does not see:
 * it lowers its priority and asks again, up to twice the cache, and a group at its
 * memory.max emptied its cache at each charge that failed. So what is evicted and not yet
 * freed (c->shrink_owed, kcache_spare.c) stays within an eighth of the cache, or within
 * one request of reclaim's if that is more: a cache gives at most so much per grace
 * period, and the writer that needs room makes its own (kcache_maint_reclaim()).
 */
static unsigned long kc_shrink_room(struct kcache *c, unsigned long nr)
{
	unsigned long owed = atomic_long_read(&c->shrink_owed);
	unsigned long cap = max_t(unsigned long, nr,
				  (kcache_policy_entries(&c->policy) + owed) / 8);

	return owed < cap ? min(nr, cap - owed) : 0;
}

/**
 * kcache_maint_shrink() - give memory back under memory pressure
 * @c: the cache
 * @nr: objects to free at most, if entries must be evicted for them
 *
 * Frees every spare first (kcache_spare.c), then evicts from the cold end for the rest of
 * @nr, as far as kc_shrink_room() lets it. Never blocks: a busy maintenance mutex or a
 * subscriber registering makes it give up evicting. Reschedules in a long eviction.
 *
 * Return: spares freed plus entries evicted.
 */
unsigned long kcache_maint_shrink(struct kcache *c, unsigned long nr)
{
	unsigned long freed = kcache_spare_drain(c), evicted = 0, room, seen = 0;
	struct kc_pnode *pn;

	if (freed >= nr || !mutex_trylock(&c->maint_mutex))
		return freed;
	room = kc_shrink_room(c, nr - freed);
	if (room && percpu_down_read_trylock(&c->mut_sem)) {
		while (evicted < room && (pn = kcache_policy_coldest(&c->policy))) {
			if (kc_remove_victim(c, container_of(pn, struct kcache_entry, pn),
					     KCACHE_CAUSE_SHRINK))
				evicted++;
			/*
			 * Reclaim asks for 128 at a time, but victims writers retired already
			 * (their records still in the write rings, as many as those hold)
			 * count for nothing, and kcache_shrink() asks for any number.
			 */
			if (!(++seen % KC_SHRINK_PER_RESCHED))
				cond_resched();
		}
		percpu_up_read(&c->mut_sem);
	}
	/* reclaim counts them freed: the limbo work frees as many, keeps none of them */
	atomic_long_add(evicted, &c->shrink_owed);
	freed += evicted;
	kc_limbo_queue(c);
	kc_unlock(c);
	return freed;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_maint_shrink);

/**
 * kcache_maint_reclaim() - a writer whose allocation failed gives back its cache's memory
 * @c: the cache
 * @nr: entries to evict at most, from the cold end (counted as shrinker evictions)
 *
 * Waits for the maintenance mutex, then until the evicted entries are freed (a grace
 * period and the limbo work, then the spares, whatever their size), so that the memory is
 * uncharged when it returns. Entries the shrinker evicted just before are freed by the
 * same wait: with nothing left to evict, waiting for them is what makes room. Called by
 * kc_build() (kcache_store.c).
 *
 * Return: true if it evicted entries or waited for evicted ones to be freed; false if
 * it could make no room.
 */
bool kcache_maint_reclaim(struct kcache *c, unsigned long nr)
{
	unsigned long freed = 0;
	struct kc_pnode *pn;
	bool pending;

	might_sleep();
	mutex_lock(&c->maint_mutex);
	kc_drain_writes(c);
	percpu_down_read(&c->mut_sem);
	while (freed < nr && (pn = kcache_policy_coldest(&c->policy))) {
		if (kc_remove_victim(c, container_of(pn, struct kcache_entry, pn),
				     KCACHE_CAUSE_SHRINK))
			freed++;
		cond_resched();
	}
	percpu_up_read(&c->mut_sem);
	pending = c->limbo_queued || !list_empty(&c->limbo);
	kc_limbo_queue(c);
	kc_unlock(c);
	/* a batch already queued requeues the rest when it is done: the second flush waits */
	flush_rcu_work(&c->limbo_rwork);
	flush_rcu_work(&c->limbo_rwork);
	/* the batch's memory went to the spares */
	kcache_spare_drain(c);
	return freed || pending;
}

/*
 * Destroy, after new operations stopped and ran out: no work item runs or re-arms after
 * this returns.
 */
void kcache_maint_stop(struct kcache *c)
{
	int round;

	/*
	 * Set under the mutex: kc_limbo_queue() runs under it, so a batch queued by a holder
	 * that still saw ->dying clear is pending by now and the flush below waits for it.
	 */
	mutex_lock(&c->maint_mutex);
	WRITE_ONCE(c->dying, true);
	kc_unlock(c);
	/*
	 * A work item that read ->dying before it was set may queue the other one once; a
	 * second round cancels that, and nothing started after the store queues anything.
	 */
	for (round = 0; round < 2; round++) {
		cancel_delayed_work_sync(&c->tick_work);
		cancel_work_sync(&c->maint_work);
		cancel_delayed_work_sync(&c->expire_work);
	}
	/* the rcu_work does not re-queue itself once dying is set */
	flush_rcu_work(&c->limbo_rwork);
}

static void kc_clear_one(void *ptr, void *arg)
{
	struct kcache_entry *e = ptr;

	e->state = KC_RETIRED;
	kc_retired(arg, e);
}

/*
 * Destroy, last step: free every entry (table, policy, limbo). No operation or work item
 * runs on @c any more; a shrinker pass may still hold the maintenance mutex, which we wait
 * for. The table is torn down bucket by bucket with a reschedule point between buckets.
 */
void kcache_maint_clear(struct kcache *c)
{
	mutex_lock(&c->maint_mutex);
	/* every record applied: each entry in the table is linked, each other one in limbo */
	kc_drain_writes(c);
	kcache_table_clear(c, kc_clear_one, c);
	WARN_ON_ONCE(kcache_policy_entries(&c->policy));
	/* no reader can reach the entries now: wait for those that could, then clear rings */
	synchronize_rcu();
	kcache_rbuf_drain(c);
	kc_free_list(&c->limbo_batch);
	kc_free_list(&c->limbo);
	kc_unlock(c);
	kcache_spare_drain(c);
}
