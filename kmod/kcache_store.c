// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's exported data API, mutation side: set, cas, add, delete, invalidate, and the
 * stores of the cache fd (kcache_store_user()) and of loads (kcache_store_claimed()).
 * Reads are in kcache_api.c.
 *
 * A mutation of a key (design §3, §7):
 *   reserve a write-ring slot (may sleep and help drain)
 *   -> c->mut_sem read side -> the key's stripe lock
 *   -> check the conditions (if-absent, if-present, CAS version, ADD's old value)
 *   -> take the next sequence number and store it in the new entry
 *   -> change the table (a reader after this sees the new entry with its version)
 *   -> kcache_rec_emit() -> unlock.
 * No cache-wide lock: mutations of different keys only share the sequence counter.
 * Lock order as in kcache_table.c. Mutations may sleep (process context only).
 */

#include <linux/err.h>
#include <linux/pagemap.h>
#include <linux/percpu-rwsem.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "kcache_api.h"
#include "kcache_entry.h"
#include "kcache_expiry.h"
#include "kcache_load.h"
#include "kcache_maint.h"
#include "kcache_record.h"
#include "kcache_table.h"
#include "kcache_trace.h"
#include "kcache_uaccess.h"
#include "kcache_wring.h"

enum kc_cond { KC_COND_SET, KC_COND_CAS, KC_COND_ADD };

/**
 * struct kc_pub - what a store asks for and what it learns
 * @flags: %KCACHE_SET_* flags
 * @cond: plain set, compare-and-set or counter add
 * @expected: version for %KC_COND_CAS
 * @seq: out: the new entry's version
 * @sum: out: the counter's new value for %KC_COND_ADD
 * @claim: the lease or in-kernel load this store completes, or NULL
 * @ttl_ns: the new entry's TTL (the cache's default resolved), 0 none
 */
struct kc_pub {
	const struct kcache_load_claim *claim;
	u64 ttl_ns;
	u32 flags;
	enum kc_cond cond;
	u64 expected;
	u64 seq;
	u64 sum;
};

/* ADD: the new value is the old one plus the delta the entry holds; keeps the deadline. */
static int kc_add_merge(struct kcache_entry *e, const struct kcache_entry *old)
{
	u64 v = 0, delta;

	if (old) {
		if (old->vlen != sizeof(u64))
			return -EINVAL;
		memcpy(&v, kcache_entry_value(old), sizeof(v));
		kcache_entry_set_expires(e, kcache_entry_expires(old));
	}
	memcpy(&delta, kcache_entry_value(e), sizeof(delta));
	v += delta;
	memcpy(e->data + e->klen, &v, sizeof(v));
	return 0;
}

/* Decide under the stripe lock whether @e may replace @old (NULL: absent). */
static int kc_check_cond(struct kcache_entry *e, struct kcache_entry *old, bool old_live,
			 const struct kc_pub *p)
{
	if ((p->flags & KCACHE_SET_IF_ABSENT) && old_live)
		return -EEXIST;
	if ((p->flags & KCACHE_SET_IF_PRESENT) && !old_live)
		return -ENOENT;
	if (p->cond == KC_COND_CAS && !old_live)
		return -ENOENT;
	if (p->cond == KC_COND_CAS && old->seq != p->expected)
		return -ESTALE;
	if (p->cond == KC_COND_ADD)
		return kc_add_merge(e, old_live ? old : NULL);
	if (old_live && (p->flags & KCACHE_SET_KEEP_TTL))
		kcache_entry_set_expires(e, kcache_entry_expires(old));
	return 0;
}

/* Publish @e for its key as @p asks. On success @e belongs to the cache. */
static int kc_publish(struct kcache *c, struct kcache_entry *e, struct kc_pub *p)
{
	struct kc_stripe *s = kcache_stripe(c, e->pn.hash);
	struct kcache_rec rec = { .e = e }, exp = { .cause = KCACHE_CAUSE_EXPIRE };
	struct kcache_entry *old;
	struct kc_wring *w;
	u64 expires = 0;
	bool old_live;
	int ret;

	w = kcache_wring_reserve(c);
	percpu_down_read(&c->mut_sem);
	/*
	 * The TTL counts from here, after the writer's waits: for room under the byte bound,
	 * for a slot of a full write ring (draining it, or sleeping behind a pass) and for
	 * mut_sem. Counted from the entry's build, a wait as long as the TTL published it
	 * expired. Unpublished yet: the table's insert orders this store before readers.
	 */
	if (p->ttl_ns)
		kcache_entry_set_expires(e, kcache_ttl_deadline(p->ttl_ns, ktime_get_ns()));
	spin_lock(&s->lock);
	rcu_read_lock();
	old = kcache_table_lookup(c, e->data, e->klen, e->pn.hash);
	rcu_read_unlock();
	old_live = old && !kc_expired_now(old);
	ret = kc_check_cond(e, old, old_live, p);
	/* a completing store publishes only while its lease still holds */
	if (!ret && p->claim)
		ret = kcache_loads_claim(c, s, e->data, e->klen, p->claim);
	if (ret)
		goto out_unlock;

	/*
	 * An expired entry is absent to every reader and condition: storing over it removes
	 * it as expired (a record of its own, numbered first) and inserts the key.
	 */
	if (old && !old_live) {
		exp.seq = kcache_seq_next(c, s);
		exp.e = old;
	}
	/* the version is in the entry before any reader can find it */
	rec.seq = kcache_seq_next(c, s);
	e->seq = rec.seq;
	if (old)
		ret = kcache_table_replace(c, old, e);
	else
		ret = kcache_table_insert(c, e);
	if (ret)
		goto out_unlock;	/* the number is skipped: numbers are unique, not dense */
	e->state = KC_LIVE;
	rec.cause = old_live ? KCACHE_CAUSE_REPLACE : KCACHE_CAUSE_INSERT;
	if (old) {
		old->state = KC_RETIRED;
		/* the write-ring record retires it in the policy in either case */
		rec.old = old;
	}
	if (exp.e)
		kcache_rec_emit(c, &exp, NULL);
	kcache_rec_emit(c, &rec, w);
	w = NULL;
	if (!hlist_empty(&s->loads))	/* the value completes a load of the key */
		kcache_loads_on_store(c, s, e, p->claim);
	p->seq = rec.seq;
	if (p->cond == KC_COND_ADD)
		memcpy(&p->sum, kcache_entry_value(e), sizeof(p->sum));
	expires = kcache_entry_expires(e);
out_unlock:
	spin_unlock(&s->lock);
	percpu_up_read(&c->mut_sem);
	if (w)
		kcache_wring_unreserve(w);
	if (expires)
		kcache_expiry_note(c, expires);
	return ret;
}

/*
 * The byte bound holds at every instant, not only after maintenance. c->charged counts the
 * charges of the live entries plus the room writers have reserved: a writer reserves its
 * entry's charge before publishing it (a compare-and-exchange on c->seq's cache line,
 * which it writes anyway; nothing on the read path), and whatever leaves the table gives
 * its charge back in kcache_rec_emit(). A writer reserves only if the cache, its entry
 * included, then holds at most max_bytes + slack, or held at most max_bytes before (an
 * entry larger than the slack must fit somewhere); otherwise it runs a maintenance pass,
 * which applies every record and evicts down to max_bytes, and tries again. A refused
 * writer adds nothing, so at every instant, with slack = max_bytes / 16 (a pass at most
 * once per 1/16 of the cache written):
 *
 *	bytes <= c->charged <= max_bytes + max(max_bytes / 16, the largest entry's charge)
 *
 * Entries out of the table but not yet freed (limbo, pins) are not counted: they are
 * freed or kept as spares a grace period after they leave the table, or freed when their
 * handle is released. Spares are kept only while they fit beside c->charged within the
 * same max_bytes + slack (kcache_spare.c).
 */
static int kc_reserve_bytes(struct kcache *c, u32 charge)
{
	u64 slack = kcache_bytes_slack(c);
	s64 room = c->cfg.max_bytes + (charge < slack ? slack - charge : 0);
	s64 cur = atomic64_read(&c->charged);

	for (;;) {
		if (cur <= room) {
			if (atomic64_try_cmpxchg(&c->charged, &cur, cur + charge))
				return 0;
			continue;	/* @cur is the new value */
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		/* a pass that made no room means bytes in flight: let them land, do not spin */
		if (!kcache_maint_help(c) && atomic64_read(&c->charged) >= cur)
			schedule_timeout_killable(1);
		cur = atomic64_read(&c->charged);
	}
}

/* allocation retries after giving back the cache's own memory, and how much each frees */
#define KC_RECLAIM_TRIES	4
#define KC_RECLAIM_MIN		32

/*
 * Build an entry. An allocation refused (the cache's memcg at memory.max, memory short)
 * does not wake the OOM killer: the writer evicts from its own cache's cold end, waits
 * until that memory is freed and uncharged, and tries again.
 */
static struct kcache_entry *kc_build(struct kcache *c, const void *key, u32 klen,
				     const void *val, u32 vlen, bool deadline)
{
	struct kcache_entry *e = kcache_entry_alloc(c, key, klen, val, vlen, deadline);
	unsigned long nr;
	int i;

	for (i = 0; !e && i < KC_RECLAIM_TRIES; i++) {
		/* what was given back did not make room: give back twice as much next time */
		nr = max_t(unsigned long, KC_RECLAIM_MIN,
			   kcache_policy_entries(&c->policy) / 64) << i;
		if (!kcache_maint_reclaim(c, nr))
			break;
		e = kcache_entry_alloc(c, key, klen, val, vlen, deadline);
	}
	return e;
}

/*
 * Is the entry's charge alone above max_bytes (-E2BIG)? Exact only near the bound: an
 * allocation at most doubles a size (slab classes, page orders) or adds a page (vmalloc
 * and its page array), and the shares are 4 pointers, so far below it no entry is.
 */
static inline bool kc_too_big(const struct kcache *c, u32 klen, u32 vlen, bool deadline)
{
	u64 size = kcache_entry_size(klen, vlen, deadline);

	if (likely(2 * size + PAGE_SIZE + 64 <= c->cfg.max_bytes))
		return false;
	return kcache_entry_charge_max(klen, vlen, deadline) > c->cfg.max_bytes;
}

/*
 * A store's value: in kernel memory, or in userspace (the cache fd's SET and CAS); for the
 * latter, @faulted says that it was not all in memory (see kc_store()).
 */
struct kc_val {
	const void *val;
	const void __user *uval;
	bool user;
	bool faulted;
};

/*
 * The cache fd's documented order puts a bad value pointer before the errors of the cache
 * (-E2BIG for the entry, -ESHUTDOWN, -ENOMEM); the value is read only once the entry is
 * built, so on those paths the pointer is probed first.
 */
static int kc_val_err(const struct kc_val *v, u32 vlen, int err)
{
	if (v->user && vlen && fault_in_readable(v->uval, vlen))
		return -EFAULT;
	return err;
}

/*
 * Build an entry and publish it as @pub asks; @pub also returns the results, and
 * @version (if not NULL) the new entry's version. A value in userspace is copied straight
 * into the new entry: no bounce buffer, one copy.
 *
 * That copy runs with page faults disabled: the store holds an operation reference,
 * which destroy waits for, and a fault may sleep as long as another task pleases (a
 * userfaultfd handler, a FUSE server). A value not all in memory fails the store with
 * -EFAULT and @v->faulted set; the caller copies it with faults allowed, holding nothing,
 * and stores it again (kc_store_bounced()).
 */
static int kc_store(struct kcache *c, const void *key, u32 klen, struct kc_val *v,
		    u32 vlen, u64 ttl_ns, struct kc_pub *pub, u64 *version)
{
	u32 flags = pub->flags;
	u64 ttl = ttl_ns == KCACHE_TTL_DEFAULT ? c->cfg.default_ttl_ns : ttl_ns;
	/* a store that keeps the old deadline needs room for one */
	bool deadline = flags & KCACHE_SET_KEEP_TTL || pub->cond == KC_COND_ADD || ttl;
	struct kcache_entry *e;
	int ret;

	might_sleep();
	pub->ttl_ns = ttl;
	ret = kc_check_key(key, klen);
	if (ret)
		return ret;
	if (flags & ~KCACHE_SET_FLAGS ||
	    (flags & KCACHE_SET_IF_ABSENT && flags & KCACHE_SET_IF_PRESENT) ||
	    (vlen && !v->user && !v->val))
		return -EINVAL;
	if (vlen > kcache_value_max() || kc_too_big(c, klen, vlen, deadline))
		return kc_val_err(v, vlen, -E2BIG);
	if (!kcache_enter(c))
		return kc_val_err(v, vlen, -ESHUTDOWN);
	e = kc_build(c, key, klen, v->val, vlen, deadline);
	if (!e) {
		/* the pointer is probed once the reference is dropped, as a fault may sleep */
		ret = -ENOMEM;
		goto out;
	}
	ret = 0;
	if (v->user) {
		pagefault_disable();
		ret = kcache_bytes_in(e->data + klen, v->uval, vlen);
		pagefault_enable();
		/* not a bad pointer: a page not in memory, to be copied with faults allowed */
		v->faulted = ret && access_ok(v->uval, vlen);
	}
	if (!ret)
		ret = kc_reserve_bytes(c, kcache_entry_charged(e));
	if (!ret) {
		ret = kc_publish(c, e, pub);
		if (ret)
			atomic64_sub(kcache_entry_charged(e), &c->charged);
	}
	if (ret)
		kcache_entry_free_unpublished(e);
out:
	trace_kcache_set(c, key, klen, vlen, ttl_ns, ret ? 0 : pub->seq, ret);
	kcache_leave(c);
	if (!e)
		ret = kc_val_err(v, vlen, ret);
	if (!ret && version)
		*version = pub->seq;
	return ret;
}

/* kc_store() of a value in kernel memory */
static int kc_store_kernel(struct kcache *c, const void *key, u32 klen, const void *val,
			   u32 vlen, u64 ttl_ns, struct kc_pub *pub, u64 *version)
{
	struct kc_val v = { .val = val };

	return kc_store(c, key, klen, &v, vlen, ttl_ns, pub, version);
}

/*
 * kcache_store_user() of a value that kc_store() could not copy with page faults disabled:
 * copy it to a kernel buffer first, with faults allowed and no operation reference held,
 * then store that. The store had not begun: @pub is as the caller filled it.
 */
static noinline int kc_store_bounced(struct kcache *c, const void *key, u32 klen,
				     const void __user *uval, u32 vlen, u64 ttl_ns,
				     struct kc_pub *pub, u64 *version)
{
	struct kc_val v = { };
	void *buf;
	int ret;

	buf = kvmalloc(vlen, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, uval, vlen)) {
		ret = -EFAULT;
	} else {
		v.val = buf;
		ret = kc_store(c, key, klen, &v, vlen, ttl_ns, pub, version);
	}
	kvfree(buf);
	return ret;
}

/**
 * kcache_store_user() - kcache_set() or kcache_cas() of a value in userspace
 * @c: the cache
 * @key: key bytes (kernel memory)
 * @klen: key length, 1..%KCACHE_KEY_MAX
 * @uval: value bytes in userspace
 * @vlen: value length
 * @ttl_ns: as for kcache_set()
 * @flags: as for kcache_set(); 0 for a CAS
 * @cas: compare-and-swap with @expected
 * @expected: for @cas, the version the key must have (absent: -ENOENT)
 * @version: if not NULL, gets the new entry's version
 *
 * The cache fd's SET and CAS: the value is copied from userspace straight into the new
 * entry, with no bounce buffer (the entry is freed unpublished if the copy faults).
 *
 * Return: as kcache_set() or kcache_cas(), and -EFAULT.
 */
int kcache_store_user(struct kcache *c, const void *key, u32 klen, const void __user *uval,
		      u32 vlen, u64 ttl_ns, u32 flags, bool cas, u64 expected, u64 *version)
{
	struct kc_pub pub = { .flags = flags, .cond = cas ? KC_COND_CAS : KC_COND_SET,
			      .expected = expected };
	struct kc_val v = { .uval = uval, .user = true };
	int ret;

	ret = kc_store(c, key, klen, &v, vlen, ttl_ns, &pub, version);
	if (!v.faulted)
		return ret;
	return kc_store_bounced(c, key, klen, uval, vlen, ttl_ns, &pub, version);
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
 * table could not grow fast enough (retry); -EINTR if the caller got a fatal signal while
 * it waited for room under the byte bound (nothing stored); -ESHUTDOWN after destroy.
 */
int kcache_set(struct kcache *c, const void *key, u32 klen, const void *val, u32 vlen,
	       u64 ttl_ns, u32 flags, u64 *version)
{
	struct kc_pub pub = { .flags = flags, .cond = KC_COND_SET };

	return kc_store_kernel(c, key, klen, val, vlen, ttl_ns, &pub, version);
}
EXPORT_SYMBOL_GPL(kcache_set);

/**
 * kcache_store_claimed() - kcache_set() for a store that completes a load
 * @c: the cache
 * @key: key bytes
 * @klen: key length
 * @val: value bytes
 * @vlen: value length
 * @ttl_ns: as for kcache_set()
 * @flags: as for kcache_set()
 * @claim: the lease or in-kernel load; checked under the key's stripe lock before the
 *	table changes (kcache_loads_claim())
 * @version: if not NULL, gets the new entry's version
 *
 * Return: as kcache_set(), and -ESTALE if the claim no longer holds (nothing stored).
 */
int kcache_store_claimed(struct kcache *c, const void *key, u32 klen, const void *val,
			 u32 vlen, u64 ttl_ns, u32 flags, const struct kcache_load_claim *claim,
			 u64 *version)
{
	struct kc_pub pub = { .claim = claim, .flags = flags, .cond = KC_COND_SET };

	return kc_store_kernel(c, key, klen, val, vlen, ttl_ns, &pub, version);
}

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

	return kc_store_kernel(c, key, klen, val, vlen, ttl_ns, &pub, version);
}
EXPORT_SYMBOL_GPL(kcache_cas);

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
	int ret = kc_store_kernel(c, key, klen, &delta, sizeof(delta), ttl_ns, &pub, NULL);

	if (!ret && result)
		*result = pub.sum;
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_add);

/*
 * Take @e out of the table if it is still there, as @cause, or the live entry of @key if
 * @e is NULL. Returns 1 if something was removed (0 if expired when @cause is DELETE: it is
 * removed as expired and reported absent), -ENOENT if not.
 */
static int kc_remove(struct kcache *c, struct kcache_entry *e, const void *key, u32 klen,
		     u8 cause)
{
	u32 hash = e ? e->pn.hash : kcache_key_hash(c, key, klen);
	struct kc_stripe *s = kcache_stripe(c, hash);
	struct kcache_rec rec = { .cause = cause };
	struct kc_wring *w;
	int ret = -ENOENT;

	w = kcache_wring_reserve(c);
	percpu_down_read(&c->mut_sem);
	spin_lock(&s->lock);
	if (!e) {
		rcu_read_lock();
		e = kcache_table_lookup(c, key, klen, hash);
		rcu_read_unlock();
	} else if (e->state != KC_LIVE) {
		e = NULL;
	}
	/* a DEL (even of an absent key) or INVALIDATE revokes the key's lease */
	if (!hlist_empty(&s->loads) &&
	    (cause == KCACHE_CAUSE_DELETE || cause == KCACHE_CAUSE_INVALIDATE)) {
		if (e)
			kcache_loads_on_remove(c, s, kcache_entry_key(e), e->klen, e->pn.hash,
					       cause);
		else if (key)
			kcache_loads_on_remove(c, s, key, klen, hash, cause);
	}
	if (e) {
		ret = 1;
		if (kc_expired_now(e)) {
			rec.cause = KCACHE_CAUSE_EXPIRE;
			ret = cause == KCACHE_CAUSE_DELETE ? -ENOENT : 0;
		}
		rec.seq = kcache_seq_next(c, s);
		rec.e = e;
		kcache_table_remove(c, e);
		e->state = KC_RETIRED;
		kcache_rec_emit(c, &rec, w);
		w = NULL;
	}
	spin_unlock(&s->lock);
	percpu_up_read(&c->mut_sem);
	if (w)
		kcache_wring_unreserve(w);
	return ret;
}

/**
 * kcache_delete() - remove a key
 * @c: the cache
 * @key: key bytes
 * @klen: key length
 *
 * May sleep.
 *
 * Return: 0; -ENOENT if absent (an expired entry is removed but reported absent);
 * -EINVAL / -E2BIG for a bad key; -ESHUTDOWN after destroy.
 */
int kcache_delete(struct kcache *c, const void *key, u32 klen)
{
	int ret;

	might_sleep();
	ret = kc_check_key(key, klen);
	if (ret)
		return ret;
	if (!kcache_enter(c))
		return -ESHUTDOWN;
	ret = kc_remove(c, NULL, key, klen, KCACHE_CAUSE_DELETE);
	kcache_leave(c);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_GPL(kcache_delete);

/*
 * One walk of kc_invalidate(): remove the entries with @prefix numbered up to @cutoff, in
 * batches pinned under RCU and removed outside it, with a reschedule point between
 * batches. A batch ends after KC_WALK_BATCH entries visited, not pinned: entries that do
 * not match (another prefix, stored after @cutoff) would otherwise keep a large table's
 * whole walk in one RCU read section, without a reschedule. *@found counts the entries
 * it tried to remove. Return: entries removed.
 */
static int kc_invalidate_pass(struct kcache *c, const void *prefix, u32 plen, u64 cutoff,
			      int *found)
{
	struct kcache_entry *batch[KC_WALK_BATCH], *e;
	struct rhashtable_iter iter;
	int n = 0, i, nr, seen;
	bool end = false;
	u64 last = 0;	/* version of the entry the walk stops at */

	rhashtable_walk_enter(&c->ht, &iter);
	while (!end) {
		nr = 0;
		kcache_table_walk_start(&iter, last);
		for (seen = 0; seen < KC_WALK_BATCH; seen++) {
			e = rhashtable_walk_next(&iter);
			if (!e) {
				end = true;
				break;
			}
			if (IS_ERR(e))
				continue;
			last = e->seq;
			if (e->seq > cutoff || e->klen < plen || memcmp(e->data, prefix, plen))
				continue;
			if (kcache_entry_tryget(e))
				batch[nr++] = e;
		}
		rhashtable_walk_stop(&iter);
#ifdef KCACHE_TESTS
		WRITE_ONCE(c->test_walk_max, max(READ_ONCE(c->test_walk_max), seen));
#endif
		*found += nr;
		for (i = 0; i < nr; i++) {
			if (kc_remove(c, batch[i], NULL, 0, KCACHE_CAUSE_INVALIDATE) > 0)
				n++;
			kcache_entry_put(batch[i]);
		}
		cond_resched();
	}
	rhashtable_walk_exit(&iter);
	return n;
}

/*
 * Remove every live entry whose key starts with @prefix (all if @plen is 0) that was
 * stored before the call. A walk that removes what it visits can lose its place when the
 * table shrinks under it (rhashtable resumes by position, and follows a moved entry into
 * the new table's bucket), so walks repeat until one finds nothing to remove: that one
 * removed nothing, so it did not disturb itself. Entries stored meanwhile are numbered
 * above the cutoff and are not waited for, so the repetition ends.
 */
static int kc_invalidate(struct kcache *c, const void *prefix, u32 plen)
{
	u64 cutoff;
	int n = 0, found;

	might_sleep();
	if (!kcache_enter(c))
		return -ESHUTDOWN;
	/* leases first: their keys may have no entry, and their stores come after it */
	kcache_loads_on_invalidate(c, prefix, plen);
	cutoff = atomic64_read(&c->seq);
	do {
		found = 0;
		n += kc_invalidate_pass(c, prefix, plen, cutoff, &found);
	} while (found);
	kcache_leave(c);
	return n;
}

/**
 * kcache_invalidate_all() - remove every entry
 * @c: the cache
 *
 * Entries set concurrently may survive. May sleep.
 *
 * Return: the number of live entries removed, or -ESHUTDOWN after destroy.
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
 * May sleep.
 *
 * Return: the number of live entries removed; -EINVAL / -E2BIG for a bad prefix;
 * -ESHUTDOWN after destroy.
 */
int kcache_invalidate_prefix(struct kcache *c, const void *prefix, u32 plen)
{
	int ret = kc_check_key(prefix, plen);

	return ret ?: kc_invalidate(c, prefix, plen);
}
EXPORT_SYMBOL_GPL(kcache_invalidate_prefix);
