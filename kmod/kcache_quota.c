// SPDX-License-Identifier: GPL-2.0
/*
 * Per-uid quota of the caches created through /dev/kcache, and of stream rings.
 *
 * Each cache the control device creates carries one charge: its owner (the creator's
 * fsuid) and the bytes it reserves (its max_bytes, default filled in). A uid may hold at
 * most max_caches_per_uid charges and max_bytes_per_uid bytes; CREATE beyond that fails
 * with -EDQUOT unless the caller has CAP_SYS_RESOURCE (then it is charged all the same).
 * The global limits (max_caches, max_total_bytes) stay the core's.
 *
 * Each stream a cache fd's SUBSCRIBE opens carries a charge of its ring's bytes to the
 * subscriber's fsuid, against max_stream_bytes_per_uid: a ring counts against
 * max_total_bytes as a cache does, and without a quota of its own one user's rings could
 * take all of it. It is given back when the stream fd is closed. A snapshot is charged
 * the same way while it pins entries (kcache_stream.c).
 *
 * A charge is taken before the cache exists (so two racing CREATEs cannot both pass),
 * committed with the cache once it is published, and released when the cache is
 * destroyed. DESTROY through /dev/kcache releases it at once; a cache destroyed another
 * way (an in-kernel kcache_destroy()) is noticed at the next charge, which drops charges
 * whose cache is dead: the charge holds a reference, so the pointer stays valid.
 *
 * Locking: kcache_quota_mutex protects kcache_charges and every charge on it. It is a
 * leaf: nothing else is taken under it (references are put after unlocking). Process
 * context only.
 */

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "kcache.h"
#include "kcache_quota.h"

static unsigned int max_caches_per_uid = 8;
module_param(max_caches_per_uid, uint, 0644);
MODULE_PARM_DESC(max_caches_per_uid,
		 "Caches one uid may own (-EDQUOT beyond, unless CAP_SYS_RESOURCE)");

static unsigned long max_bytes_per_uid = 64UL << 20;
module_param(max_bytes_per_uid, ulong, 0644);
MODULE_PARM_DESC(max_bytes_per_uid,
		 "Sum of the max_bytes of one uid's caches (-EDQUOT beyond, unless CAP_SYS_RESOURCE)");

static unsigned long max_stream_bytes_per_uid = 64UL << 20;
module_param(max_stream_bytes_per_uid, ulong, 0644);
MODULE_PARM_DESC(max_stream_bytes_per_uid,
		 "Sum of the rings and undelivered snapshots of one uid's open streams (-EDQUOT beyond, unless CAP_SYS_RESOURCE)");

/**
 * struct kcache_quota_charge - what one cache costs its owner
 * @link: on kcache_charges
 * @cache: the cache, with a reference; NULL until committed, and for a stream
 * @uid: the owner
 * @bytes: bytes reserved
 * @stream: a stream's ring, not a cache
 */
struct kcache_quota_charge {
	struct list_head link;
	struct kcache *cache;
	kuid_t uid;
	u64 bytes;
	bool stream;
};

static DEFINE_MUTEX(kcache_quota_mutex);
static LIST_HEAD(kcache_charges);

/* Move the charges of destroyed caches to @dead; sum @uid's others. */
/* What @uid holds: caches and their bytes, or (@stream) the bytes of its streams */
static void kc_quota_scan_locked(kuid_t uid, bool stream, struct list_head *dead,
				 u32 *caches, u64 *bytes)
{
	struct kcache_quota_charge *qc, *tmp;

	lockdep_assert_held(&kcache_quota_mutex);
	*caches = 0;
	*bytes = 0;
	list_for_each_entry_safe(qc, tmp, &kcache_charges, link) {
		if (qc->cache && kcache_is_dead(qc->cache)) {
			list_move(&qc->link, dead);
			continue;
		}
		/* pending charges of CAP_SYS_RESOURCE may be huge: saturate, do not wrap */
		if (uid_eq(qc->uid, uid) && qc->stream == stream) {
			*caches += !stream;
			if (check_add_overflow(*bytes, qc->bytes, bytes))
				*bytes = U64_MAX;
		}
	}
}

static void kc_quota_free(struct list_head *head)
{
	struct kcache_quota_charge *qc, *tmp;

	list_for_each_entry_safe(qc, tmp, head, link) {
		if (qc->cache)
			kcache_put_ref(qc->cache);
		kfree(qc);
	}
}

static struct kcache_quota_charge *kc_quota_charge(kuid_t uid, u64 bytes, bool stream)
{
	unsigned long max_bytes = stream ? READ_ONCE(max_stream_bytes_per_uid) :
				  READ_ONCE(max_bytes_per_uid);
	struct kcache_quota_charge *qc;
	LIST_HEAD(dead);
	u64 used;
	u32 caches;
	bool over, added = false;

	qc = kzalloc(sizeof(*qc), GFP_KERNEL_ACCOUNT);
	if (!qc)
		return ERR_PTR(-ENOMEM);
	qc->uid = uid;
	qc->bytes = bytes;
	qc->stream = stream;
	mutex_lock(&kcache_quota_mutex);
	kc_quota_scan_locked(uid, stream, &dead, &caches, &used);
	over = (!stream && caches >= READ_ONCE(max_caches_per_uid)) || used > max_bytes ||
	       bytes > max_bytes - used;
	/* audit the capability only when it matters */
	if (!over || capable(CAP_SYS_RESOURCE)) {
		list_add_tail(&qc->link, &kcache_charges);
		added = true;
	}
	mutex_unlock(&kcache_quota_mutex);
	kc_quota_free(&dead);
	if (!added) {
		kfree(qc);
		return ERR_PTR(-EDQUOT);
	}
	return qc;
}

/**
 * kcache_quota_charge() - reserve one cache and @bytes for @uid
 * @uid: the future owner
 * @bytes: an upper bound of the cache's max_bytes
 *
 * Return: the charge, to pass to kcache_quota_commit() or kcache_quota_cancel(), or
 * ERR_PTR(-EDQUOT) over the quota without CAP_SYS_RESOURCE, ERR_PTR(-ENOMEM).
 */
struct kcache_quota_charge *kcache_quota_charge(kuid_t uid, u64 bytes)
{
	return kc_quota_charge(uid, bytes, false);
}

/**
 * kcache_quota_charge_stream() - reserve a stream's ring of @bytes for @uid
 * @uid: the subscriber
 * @bytes: the ring's size
 *
 * Return: the charge, to give back with kcache_quota_cancel() when the stream ends, or
 * ERR_PTR(-EDQUOT) over max_stream_bytes_per_uid without CAP_SYS_RESOURCE,
 * ERR_PTR(-ENOMEM).
 */
struct kcache_quota_charge *kcache_quota_charge_stream(kuid_t uid, u64 bytes)
{
	return kc_quota_charge(uid, bytes, true);
}

/**
 * kcache_quota_commit() - attach a charge to the cache it paid for
 * @qc: from kcache_quota_charge()
 * @c: the published cache; the charge takes a reference
 * @bytes: its max_bytes, at most what was charged
 */
void kcache_quota_commit(struct kcache_quota_charge *qc, struct kcache *c, u64 bytes)
{
	kcache_get_ref(c);
	mutex_lock(&kcache_quota_mutex);
	qc->cache = c;
	qc->bytes = min(qc->bytes, bytes);
	mutex_unlock(&kcache_quota_mutex);
}

/**
 * kcache_quota_cancel() - give back a charge whose cache was not created, or a stream's
 * @qc: from kcache_quota_charge() or kcache_quota_charge_stream()
 */
void kcache_quota_cancel(struct kcache_quota_charge *qc)
{
	mutex_lock(&kcache_quota_mutex);
	list_del(&qc->link);
	mutex_unlock(&kcache_quota_mutex);
	kfree(qc);
}

/**
 * kcache_quota_release() - give back the charge of a destroyed cache
 * @c: the cache; nothing happens if it carries no charge
 */
void kcache_quota_release(struct kcache *c)
{
	struct kcache_quota_charge *qc, *found = NULL;

	mutex_lock(&kcache_quota_mutex);
	list_for_each_entry(qc, &kcache_charges, link) {
		if (qc->cache == c) {
			list_del(&qc->link);
			found = qc;
			break;
		}
	}
	mutex_unlock(&kcache_quota_mutex);
	if (found) {
		kcache_put_ref(found->cache);
		kfree(found);
	}
}

/* Drop every charge: the control device is gone, so nothing can charge any more. */
void kcache_quota_uninit(void)
{
	LIST_HEAD(all);

	mutex_lock(&kcache_quota_mutex);
	list_splice_init(&kcache_charges, &all);
	mutex_unlock(&kcache_quota_mutex);
	kc_quota_free(&all);
}
