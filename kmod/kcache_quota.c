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
 * committed with the cache once it is published, and released when the cache is freed
 * (kc_release() calls kcache_quota_release()), not when it is destroyed: a destroyed
 * cache that a cache fd or a stream still holds keeps its footprint (the policy's sketch,
 * the per-CPU rings) reserved against max_total_bytes until then. Were the charge given
 * back at DESTROY, a uid could create, keep the fd, destroy and create again, past
 * max_caches_per_uid and max_bytes_per_uid, until those footprints took every byte of
 * max_total_bytes from everyone. The charge holds no reference: the cache points to it.
 *
 * Locking: kcache_quota_mutex protects kcache_charges and every charge on it. It is a
 * leaf: nothing else is taken under it. Process context only.
 */

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "kcache_cache.h"
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
 * @uid: the owner
 * @bytes: bytes reserved
 * @stream: a stream's ring, not a cache
 */
struct kcache_quota_charge {
	struct list_head link;
	kuid_t uid;
	u64 bytes;
	bool stream;
};

static DEFINE_MUTEX(kcache_quota_mutex);
static LIST_HEAD(kcache_charges);

/* What @uid holds: caches and their bytes, or (@stream) the bytes of its streams */
static void kc_quota_scan_locked(kuid_t uid, bool stream, u32 *caches, u64 *bytes)
{
	struct kcache_quota_charge *qc;

	lockdep_assert_held(&kcache_quota_mutex);
	*caches = 0;
	*bytes = 0;
	list_for_each_entry(qc, &kcache_charges, link) {
		/* pending charges of CAP_SYS_RESOURCE may be huge: saturate, do not wrap */
		if (uid_eq(qc->uid, uid) && qc->stream == stream) {
			*caches += !stream;
			if (check_add_overflow(*bytes, qc->bytes, bytes))
				*bytes = U64_MAX;
		}
	}
}

static struct kcache_quota_charge *kc_quota_charge(kuid_t uid, u64 bytes, bool stream)
{
	unsigned long max_bytes = stream ? READ_ONCE(max_stream_bytes_per_uid) :
				  READ_ONCE(max_bytes_per_uid);
	struct kcache_quota_charge *qc;
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
	kc_quota_scan_locked(uid, stream, &caches, &used);
	over = (!stream && caches >= READ_ONCE(max_caches_per_uid)) || used > max_bytes ||
	       bytes > max_bytes - used;
	/* audit the capability only when it matters */
	if (!over || capable(CAP_SYS_RESOURCE)) {
		list_add_tail(&qc->link, &kcache_charges);
		added = true;
	}
	mutex_unlock(&kcache_quota_mutex);
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
 * @c: the published cache, whose reference the caller holds: it cannot be freed yet
 * @bytes: its max_bytes, at most what was charged
 *
 * The charge then lasts until @c is freed, destroyed or not (the top of this file).
 */
void kcache_quota_commit(struct kcache_quota_charge *qc, struct kcache *c, u64 bytes)
{
	mutex_lock(&kcache_quota_mutex);
	qc->bytes = min(qc->bytes, bytes);
	mutex_unlock(&kcache_quota_mutex);
	c->quota_charge = qc;
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
 * kcache_quota_release() - give back the charge of a cache being freed
 * @c: the cache, whose last reference is gone; nothing happens if it carries no charge
 */
void kcache_quota_release(struct kcache *c)
{
	struct kcache_quota_charge *qc = c->quota_charge;

	if (!qc)
		return;
	c->quota_charge = NULL;
	kcache_quota_cancel(qc);
}

/*
 * Module exit, after every cache was freed (kcache_registry_uninit()) and every stream fd
 * closed: each charge went with its cache or stream.
 */
void kcache_quota_uninit(void)
{
	WARN_ON_ONCE(!list_empty(&kcache_charges));
}
