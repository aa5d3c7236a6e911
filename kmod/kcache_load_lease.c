// SPDX-License-Identifier: GPL-2.0
/*
 * kcache single-flight loading, the leases of cache fds: an fd's list of the leases it
 * holds (&struct kcache_lease_owner), the reaping of its expired ones, the abort of a
 * lease by token and the fd's release. Their ioctls are in kcache_load_fd.c; the records
 * and their state machine, and the design, are in kcache_load.c.
 *
 * Locks: stripe lock -> owner lock (see the top of kcache_load.c).
 */

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>

#include "kcache_cache.h"
#include "kcache_load.h"
#include "kcache_load_int.h"

/* Leases one pass of kc_owner_reap() looks at under o->lock, at most */
#define KC_REAP_BATCH	16

/*
 * End @o's leases that are past their deadline and that nobody waits for; those with
 * waiters are theirs to take over. Runs only when one may be due (@o->next_expiry), so a
 * lease GET of an fd whose leases are all live pays one read. Each lease looked at moves
 * to the tail of @o's list, so a call looks at each at most once, O(leases of @o) in
 * passes that hold o->lock for %KC_REAP_BATCH steps at most. No lock held.
 */
void kc_owner_reap(struct kcache_loads *L, struct kcache_lease_owner *o, u64 now)
{
	struct kcache_load *batch[KC_REAP_BATCH], *r;
	unsigned int i, n, steps;
	u64 next = U64_MAX;
	int budget;

	if (now < READ_ONCE(o->next_expiry))
		return;
	/*
	 * Leases granted after this lower the bound again (kc_load_grant()); those in the
	 * list now are the ones this call looks at, so count them under the same lock.
	 */
	spin_lock(&o->lock);
	WRITE_ONCE(o->next_expiry, U64_MAX);
	budget = atomic_read(&o->nr);
	spin_unlock(&o->lock);
	while (budget > 0) {
		n = 0;
		spin_lock(&o->lock);
		for (steps = 0; steps < KC_REAP_BATCH && budget > 0; steps++, budget--) {
			r = list_first_entry_or_null(&o->list, struct kcache_load, owner_link);
			if (!r)
				break;
			list_move_tail(&r->owner_link, &o->list);
			if (r->deadline > now) {
				next = min(next, r->deadline);
				continue;
			}
			refcount_inc(&r->ref);
			batch[n++] = r;
		}
		spin_unlock(&o->lock);
		if (!steps)
			break;
		for (i = 0; i < n; i++) {
			r = batch[i];
			spin_lock(&r->stripe->lock);
			if (r->owner == o && !r->waiters && kc_lease_expired(r, now))
				kc_load_expire(L, r);
			spin_unlock(&r->stripe->lock);
			kcache_load_put(r);
		}
	}
	spin_lock(&o->lock);
	WRITE_ONCE(o->next_expiry, min(o->next_expiry, next));
	spin_unlock(&o->lock);
}

void kcache_lease_owner_init(struct kcache_lease_owner *o)
{
	spin_lock_init(&o->lock);
	INIT_LIST_HEAD(&o->list);
	atomic_set(&o->nr, 0);
	o->next_expiry = U64_MAX;
}

/*
 * The fd's last close: each lease it holds ends and goes to one waiter. Also after a
 * destroy (then the list is already empty).
 */
void kcache_lease_owner_release(struct kcache *c, struct kcache_lease_owner *o)
{
	struct kcache_loads *L = kc_loads(c);
	struct kcache_load *r;

	for (;;) {
		spin_lock(&o->lock);
		r = list_first_entry_or_null(&o->list, struct kcache_load, owner_link);
		if (r)
			refcount_inc(&r->ref);
		spin_unlock(&o->lock);
		if (!r)
			break;
		spin_lock(&r->stripe->lock);
		/* a record is on o's list exactly while r->owner == o (both under this lock) */
		if (r->owner == o)
			kc_load_vacate(L, r);
		spin_unlock(&r->stripe->lock);
		kcache_load_put(r);
	}
}

/**
 * kcache_lease_abort() - end a lease its holder will not complete
 * @c: the cache
 * @o: the fd holding the lease
 * @token: the lease token
 * @error: 0: the lease goes to one waiter (or the record goes); < 0: the load fails and
 *	every waiter gets @error
 *
 * A lease past its deadline is over: -ESTALE, and with nobody waiting to take it over it
 * ends here, as kcache_loads_claim() ends it.
 *
 * Return: 0, or -ESTALE if @o holds no lease with @token (it ended, or was never its).
 */
int kcache_lease_abort(struct kcache *c, struct kcache_lease_owner *o, u64 token, int error)
{
	struct kcache_loads *L = kc_loads(c);
	struct kcache_load *r, *found = NULL;
	int ret = -ESTALE;

	spin_lock(&o->lock);
	list_for_each_entry(r, &o->list, owner_link) {
		if (r->token == token) {
			found = r;
			refcount_inc(&r->ref);
			break;
		}
	}
	spin_unlock(&o->lock);
	if (!found)
		return -ESTALE;
	r = found;
	spin_lock(&r->stripe->lock);
	if (r->owner == o && r->token == token && kc_lease_expired(r, ktime_get_ns())) {
		if (!r->waiters)
			kc_load_expire(L, r);
	} else if (r->owner == o && r->token == token && r->state == KC_LOAD_BUSY) {
		ret = 0;
		if (error) {
			atomic64_inc(&L->failed);
			kc_load_complete(L, r, NULL, NULL, 0, error);
		} else {
			kc_load_vacate(L, r);
		}
	}
	spin_unlock(&r->stripe->lock);
	kcache_load_put(r);
	return ret;
}
