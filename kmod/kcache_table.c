// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's table and stripe locks.
 *
 * Locks:
 *  - stripe->lock (spinlock): one per 2^n stripes, chosen by a hash of the key. Held by
 *    every mutation of a key from taking its sequence number until its record is emitted,
 *    so the mutations of one key are totally ordered and their records too, while
 *    mutations of different keys run in parallel (as kernel/bpf/hashtab.c's bucket locks).
 *    Taken in process context (writers, maintenance, the shrinker, and DUMP's
 *    kcache_seq_settled(), each alone); never with another stripe lock held; never held
 *    while sleeping. Order: c->maint_mutex -> c->mut_sem (read) -> stripe->lock ->
 *    rhashtable bucket locks (write rings: no lock; a writer helps maintenance before it
 *    takes c->mut_sem, never under it).
 *  - the rhashtable's own bucket locks and mutex (resizes run from its worker).
 * Lookups take no lock: rcu_read_lock() only.
 */

#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kcache_table.h"

/* the table's parameters; every use sees them (kcache_table.h) */
static const struct rhashtable_params kcache_ht_params = KCACHE_HT_PARAMS;

int kcache_table_init(struct kcache *c)
{
	unsigned int i, n;
	int ret;

	/* enough stripes that writers on different CPUs rarely meet */
	n = roundup_pow_of_two(max(num_possible_cpus() * 4, 16U));
	c->stripes = kvcalloc(n, sizeof(*c->stripes), GFP_KERNEL_ACCOUNT);
	if (!c->stripes)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		spin_lock_init(&c->stripes[i].lock);
		INIT_HLIST_HEAD(&c->stripes[i].loads);
	}
	c->stripe_mask = n - 1;
	ret = rhashtable_init(&c->ht, &kcache_ht_params);
	if (ret)
		kvfree(c->stripes);
	return ret;
}

/* destroy emptied the table; anything found here is a bug, but must not leak */
static void kc_free_leftover(void *ptr, void *arg)
{
	WARN_ON_ONCE(1);
	kcache_entry_put(ptr);
}

void kcache_table_uninit(struct kcache *c)
{
	if (!c->table_gone)
		rhashtable_free_and_destroy(&c->ht, kc_free_leftover, NULL);
	kvfree(c->stripes);
}

/*
 * Destroy: hand every entry to @fn and free the table. Nothing may use the table any more;
 * rhashtable_free_and_destroy() reschedules between buckets, so a huge table draws no
 * soft-lockup or RCU-stall warning.
 */
void kcache_table_clear(struct kcache *c, void (*fn)(void *ptr, void *arg), void *arg)
{
	rhashtable_free_and_destroy(&c->ht, fn, arg);
	c->table_gone = true;
}

/*
 * Resume a paused walk (rhashtable_walk_stop() + cond_resched()). If the entry the walk
 * stopped at left the table meanwhile, rhashtable forgets it but keeps its position count
 * in the bucket, which would skip entries that are still there; rewind to the bucket's
 * start instead. rhashtable knows the entry only by its address: one freed while the walk
 * was paused (a grace period may pass) can come back at that address as a new entry of
 * the same bucket, e.g. the replacement of a key further down the chain, and the walk
 * would go on from there, past the entries between. @seq, the version of the entry the
 * walk stopped at, tells them apart: a version is never given twice. So a paused walk
 * never misses an entry present throughout; it may return one twice (also across a
 * resize), which callers tolerate or dedupe by ->seq.
 */
void kcache_table_walk_start(struct rhashtable_iter *iter, u64 seq)
	__acquires(RCU)
{
	const struct kcache_entry *e;

	rhashtable_walk_start(iter);
	if (iter->p) {
		/* found in the bucket under RCU just now: live, its version set */
		e = container_of(iter->p, struct kcache_entry, node);
		if (e->seq == seq)
			return;
		iter->p = NULL;
	}
	iter->skip = 0;
}

/**
 * kcache_seq_settled() - a version up to which every mutation has reached the table
 * @c: the cache
 *
 * A mutation holds its key's stripe lock from taking its number until the table changed
 * and its record is emitted. So once every stripe lock has been taken and dropped, each
 * mutation that had a number when the counter was read is done. Holds off the writers of
 * one stripe at a time and waits for no grace period, unlike c->mut_sem's write side,
 * which a caller needs only to place itself between mutations (a stream's cutoff).
 * Process context, no lock held.
 *
 * Return: the version; every entry numbered up to it is in the table or gone from it.
 */
u64 kcache_seq_settled(struct kcache *c)
{
	/* the counter before the locks: acquire orders it before the first of them */
	u64 seq = atomic64_read_acquire(&c->seq);
	unsigned int i;

	for (i = 0; i <= c->stripe_mask; i++) {
		spin_lock(&c->stripes[i].lock);
		spin_unlock(&c->stripes[i].lock);
		/* each stripe settles on its own: thousands of them on a large machine */
		if ((i & 255) == 255)
			cond_resched();
	}
	return seq;
}

int kcache_table_insert(struct kcache *c, struct kcache_entry *e)
{
	return rhashtable_insert_fast(&c->ht, &e->node, kcache_ht_params);
}

int kcache_table_replace(struct kcache *c, struct kcache_entry *old, struct kcache_entry *e)
{
	return rhashtable_replace_fast(&c->ht, &old->node, &e->node, kcache_ht_params);
}

void kcache_table_remove(struct kcache *c, struct kcache_entry *e)
{
	rhashtable_remove_fast(&c->ht, &e->node, kcache_ht_params);
}
