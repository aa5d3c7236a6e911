/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache entries: header, key and value in one allocation, immutable once published.
 *
 * Lifetime: alive (in the table) -> retired (out of the table, under its stripe lock) ->
 * dead (its publication and retirement records both applied by maintenance, out of the
 * policy) -> limbo -> after an RCU grace period and a read-ring drain, kept as a spare for
 * a write of its size (kcache_spare.c) or freed; freed later if a handle still pins it.
 */
#ifndef _KCACHE_ENTRY_H
#define _KCACHE_ENTRY_H

#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/rhashtable-types.h>
#include <linux/refcount.h>
#include <linux/string.h>
#include <linux/types.h>

#include "kcache_policy.h"

struct kcache;

/* ->state, under the entry's stripe lock */
enum kc_state { KC_NEW = 0, KC_LIVE, KC_RETIRED };

/* ->flags, under the maintenance mutex */
#define KC_F_PUB_SEEN	BIT(0)	/* the record that published it was applied */
#define KC_F_RET_SEEN	BIT(1)	/* the record that retired it was applied */
#define KC_F_IN_POLICY	BIT(2)	/* the policy links it */

/**
 * struct kcache_entry - one key/value pair; header, key and value in one allocation
 * @node: table linkage
 * @pn: policy linkage; reused as the limbo list link once out of the policy
 * @rcu: for the final free, when no list links the entry any more
 * @spare: once dead, link in its cache's spare lists (kcache_spare.c)
 * @seq: sequence number of the mutation that published it (its version); set before
 *	the entry is published, never 0
 * @expires: deadline on the monotonic clock in ns, 0 for none
 * @vlen: value length
 * @klen: key length
 * @state: &enum kc_state, under the stripe lock
 * @flags: KC_F_*, under the maintenance mutex
 * @ref: one for the cache plus one per pin (handles, slow copies); GET hits leave it alone
 * @heap_idx: 1 + index in the cache's deadline heap, 0 if not there; maintenance mutex
 * @data: key bytes followed by value bytes
 */
struct kcache_entry {
	struct rhash_head node;
	union {
		struct kc_pnode pn;
		struct rcu_head rcu;
		struct llist_node spare;
	};
	u64 seq;
	u64 expires;
	u32 vlen;
	u16 klen;
	u8 state;
	u8 flags;
	refcount_t ref;
	u32 heap_idx;
	u8 data[];
};

static inline const void *kcache_entry_key(const struct kcache_entry *e)
{
	return e->data;
}

static inline const void *kcache_entry_value(const struct kcache_entry *e)
{
	return e->data + e->klen;
}

static inline bool kcache_entry_expired(const struct kcache_entry *e, u64 now)
{
	return e->expires && now >= e->expires;
}

static inline bool kc_expired_now(const struct kcache_entry *e)
{
	return e->expires && ktime_get_ns() >= e->expires;
}

/* Bytes an entry needs (header, key, value); what it is charged: kcache_entry_charge(). */
static inline u32 kcache_entry_weight(u32 klen, u32 vlen)
{
	return sizeof(struct kcache_entry) + klen + vlen;
}

size_t kcache_entry_charge(u32 klen, u32 vlen);
struct kcache_entry *kcache_entry_alloc(struct kcache *c, const void *key, u32 klen,
					const void *val, u32 vlen, u64 ttl_ns);
void kcache_entry_free_unpublished(struct kcache_entry *e);
/* bytes up to which kcache_copy_bytes() moves words inline */
#define KC_COPY_INLINE	64

/*
 * memcpy() for the short keys and values of the hot paths: word moves inline up to
 * %KC_COPY_INLINE bytes, where the call and the string copy's start-up (rep movsb) cost
 * more than the copy itself; memcpy() beyond.
 */
static __always_inline void kcache_copy_bytes(void *dst, const void *src, size_t len)
{
	const u8 *s = src;
	u8 *d = dst;
	u64 w;

	if (len > KC_COPY_INLINE) {
		memcpy(dst, src, len);
		return;
	}
	for (; len >= sizeof(w); len -= sizeof(w), s += sizeof(w), d += sizeof(w)) {
		memcpy(&w, s, sizeof(w));	/* unaligned word load and store */
		memcpy(d, &w, sizeof(w));
	}
	for (; len; len--)
		*d++ = *s++;
}

/* memset(dst, 0, len) with kcache_copy_bytes()'s word stores up to %KC_COPY_INLINE bytes */
static __always_inline void kcache_zero_bytes(void *dst, size_t len)
{
	u8 *d = dst;
	u64 w = 0;

	if (len > KC_COPY_INLINE) {
		memset(dst, 0, len);
		return;
	}
	for (; len >= sizeof(w); len -= sizeof(w), d += sizeof(w))
		memcpy(d, &w, sizeof(w));	/* one unaligned store */
	for (; len; len--)
		*d++ = 0;
}

/*
 * memcmp() == 0 for keys: word compares inline. The kernel's memcmp() is a byte loop out of
 * line on x86-64, called for every key a lookup compares.
 */
static __always_inline bool kcache_bytes_equal(const void *a, const void *b, size_t len)
{
	const u8 *x = a, *y = b;
	u64 u, v;

	for (; len >= sizeof(u); len -= sizeof(u), x += sizeof(u), y += sizeof(u)) {
		memcpy(&u, x, sizeof(u));	/* unaligned word loads */
		memcpy(&v, y, sizeof(v));
		if (u != v)
			return false;
	}
	for (; len; len--)
		if (*x++ != *y++)
			return false;
	return true;
}

bool kcache_entry_tryget(struct kcache_entry *e);
void kcache_entry_put(struct kcache_entry *e);
void kcache_entry_free(struct kcache_entry *e);

#endif /* _KCACHE_ENTRY_H */
