/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache's mutation records: every change of a cache, eviction and expiry included, has a
 * sequence number and a cause, and passes through kcache_rec_emit().
 */
#ifndef _KCACHE_RECORD_H
#define _KCACHE_RECORD_H

#include "kcache_cache.h"
#include "kcache_entry.h"

struct kc_wring;

enum kcache_cause {
	KCACHE_CAUSE_INSERT = 1,	/* a set of an absent key */
	KCACHE_CAUSE_REPLACE,		/* a set, cas or add of a present key */
	KCACHE_CAUSE_DELETE,
	KCACHE_CAUSE_INVALIDATE,	/* invalidate all or by prefix */
	KCACHE_CAUSE_EVICT,		/* over the count or byte bound */
	KCACHE_CAUSE_SHRINK,		/* memory pressure */
	KCACHE_CAUSE_EXPIRE,
};

/**
 * struct kcache_rec - one mutation
 * @seq: its sequence number; for an insert or replace also @e's version
 * @e: INSERT/REPLACE: the published entry; otherwise the removed entry
 * @old: REPLACE: the replaced entry; INSERT over an expired entry: that entry, whose
 *	EXPIRE record was emitted first (this record only retires it in the policy);
 *	otherwise NULL
 * @cause: an &enum kcache_cause
 */
struct kcache_rec {
	u64 seq;
	struct kcache_entry *e;
	struct kcache_entry *old;
	u8 cause;
};

static inline bool kcache_rec_removes(const struct kcache_rec *r)
{
	return r->cause != KCACHE_CAUSE_INSERT && r->cause != KCACHE_CAUSE_REPLACE;
}

/*
 * The next sequence number; under the key's stripe lock @s and c->mut_sem (read). DUMP's
 * kcache_seq_settled() relies on the stripe lock: held from here until the record.
 */
static inline u64 kcache_seq_next(struct kcache *c, struct kc_stripe *s)
{
	lockdep_assert_held(&s->lock);
	return atomic64_inc_return(&c->seq);
}

void kcache_rec_emit(struct kcache *c, const struct kcache_rec *r, struct kc_wring *w);

#endif /* _KCACHE_RECORD_H */
