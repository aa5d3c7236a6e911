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

#include <linux/align.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/math.h>
#include <linux/rhashtable-types.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>

#include "kcache_policy.h"

struct kcache;

/* ->state, under the entry's stripe lock */
enum kc_state { KC_NEW = 0, KC_LIVE, KC_RETIRED };

/*
 * ->flags, under the maintenance mutex: they are the node's owner_bits, in a byte with the
 * policy's queue and counter, which change under the same mutex.
 */
#define KC_F_PUB_SEEN	BIT(0)	/* the record that published it was applied */
#define KC_F_RET_SEEN	BIT(1)	/* the record that retired it was applied */
#define KC_F_IN_POLICY	BIT(2)	/* the policy links it */

/**
 * struct kc_deadline - the tail of an entry that has a deadline, after its value
 * @expires: deadline on the monotonic clock in ns, 0 for none
 * @heap_idx: 1 + index in the cache's deadline heap, 0 if not there; maintenance mutex
 */
struct kc_deadline {
	u64 expires;
	u32 heap_idx;
};

/**
 * struct kcache_entry - one key/value pair; header, key and value in one allocation
 * @node: table linkage
 * @pn: policy linkage; reused as the limbo list link once out of the policy. The bits
 *	and bytes it leaves to its owner are @flags, @state and @klen.
 * @rcu: for the final free, when no list links the entry any more
 * @spare: once dead, link in its cache's spare lists (kcache_spare.c)
 * @__pn: the policy's bytes
 * @__pn_bits: the policy's bits in the byte it shares with @flags
 * @flags: KC_F_*, under the maintenance mutex (&struct kc_pnode.owner_bits)
 * @state: &enum kc_state, under the stripe lock
 * @klen: key length
 * @seq: sequence number of the mutation that published it (its version); set before
 *	the entry is published, never 0
 * @vlen: value length
 * @deadline: a &struct kc_deadline follows the value (kcache_entry_deadline())
 * @ref: one for the cache plus one per pin (handles, slow copies); GET hits leave it alone
 * @data: key bytes followed by value bytes
 *
 * 48 bytes, so that a 16-byte key and a 64-byte value fill two cache lines and a
 * 128-byte slab object. Only entries that may carry a deadline (a TTL, or a store that
 * keeps the old one) pay for it, after their value. Everything but @state, the flags and
 * @ref is set before the entry is published and never changes.
 */
struct kcache_entry {
	struct rhash_head node;
	union {
		struct kc_pnode pn;
		struct rcu_head rcu;
		struct llist_node spare;
		struct {
			u8 __pn[offsetof(struct kc_pnode, owner) - 1];
			u8 __pn_bits:4;	/* pn.queue, pn.freq */
			u8 flags:4;
			u8 state;
			u16 klen;
		};
	};
	u64 seq;
	u32 vlen:31;
	u32 deadline:1;
	refcount_t ref;
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

/* Bytes an entry needs: header, key, value and, if @deadline, the deadline after them. */
static inline size_t kcache_entry_size(u32 klen, u32 vlen, bool deadline)
{
	size_t size = sizeof(struct kcache_entry) + klen + vlen;

	return deadline ? ALIGN(size, __alignof__(struct kc_deadline)) +
			  sizeof(struct kc_deadline) : size;
}

/* Bytes an entry without a deadline needs (header, key, value). */
static inline u32 kcache_entry_weight(u32 klen, u32 vlen)
{
	return kcache_entry_size(klen, vlen, false);
}

static inline struct kc_deadline *kcache_entry_deadline(const struct kcache_entry *e)
{
	size_t off = kcache_entry_size(e->klen, e->vlen, true) - sizeof(struct kc_deadline);

	return (struct kc_deadline *)((u8 *)e + off);
}

/* The entry's deadline, 0 for none */
static inline u64 kcache_entry_expires(const struct kcache_entry *e)
{
	return e->deadline ? kcache_entry_deadline(e)->expires : 0;
}

/* The deadline of a TTL counted from @now; one past the end of the clock never expires */
static inline u64 kcache_ttl_deadline(u64 ttl_ns, u64 now)
{
	return ttl_ns > U64_MAX - now ? U64_MAX : now + ttl_ns;
}

static inline bool kcache_entry_expired(const struct kcache_entry *e, u64 now)
{
	u64 expires = kcache_entry_expires(e);

	return expires && now >= expires;
}

static inline bool kc_expired_now(const struct kcache_entry *e)
{
	return e->deadline && kcache_entry_expired(e, ktime_get_ns());
}

/*
 * The table's share of an entry: the rhashtable doubles at 75% load and halves below 30%,
 * so it holds 4/3 to 10/3 bucket pointers per entry, 8/3 right after it grows; two
 * pointers is the middle of its usual range (kcache_registry.c counts the first buckets
 * in the footprint).
 */
#define KC_TABLE_SHARE	(2 * sizeof(void *))

/*
 * The deadline heap's share of an entry with room for a deadline: the heap's array
 * doubles when full and halves below a quarter (kcache_expiry.c), 1 to 4 pointers per
 * entry in it; two is the middle, as for the table.
 */
#define KC_HEAP_SHARE	(2 * sizeof(void *))

/* The shares of an entry in the cache's arrays: the table's, and the heap's if it may */
static inline u32 kc_shares(bool deadline)
{
	return KC_TABLE_SHARE + (deadline ? KC_HEAP_SHARE : 0);
}

#define KC_SLAB_SIZES	(KMALLOC_MAX_CACHE_SIZE / 8 + 1)
extern u16 kc_slab_size[KC_SLAB_SIZES];	/* kcache_entry.c */

void kcache_entry_sizes_init(void);
size_t kcache_entry_slab_size(size_t size);
size_t kcache_entry_charge(u32 klen, u32 vlen, bool deadline);
size_t kcache_entry_charge_max(u32 klen, u32 vlen, bool deadline);
u32 kcache_entry_charged_large(const struct kcache_entry *e);

/**
 * kcache_entry_charged() - the bytes a stored entry is charged
 * @e: the entry
 *
 * kcache_entry_charge() of its key and value, its deadline included, from where the memory
 * came from: derived on each call from what the header holds anyway, rather than stored.
 * A store asks it of its entry and of the one it replaces, the statistics and the policy
 * again of both: inline up to a page, where the memory is a slab object (kvmalloc() takes
 * only larger sizes from vmalloc: pages plus its page array).
 *
 * Return: bytes charged.
 */
static inline u32 kcache_entry_charged(const struct kcache_entry *e)
{
	size_t size = kcache_entry_size(e->klen, e->vlen, e->deadline);

	if (likely(size <= PAGE_SIZE))
		return kc_slab_size[DIV_ROUND_UP(size, 8)] + kc_shares(e->deadline);
	return kcache_entry_charged_large(e);
}

u32 kcache_entry_pn_weight(const struct kc_pnode *n);
struct kcache_entry *kcache_entry_alloc(struct kcache *c, const void *key, u32 klen,
					const void *val, u32 vlen, bool deadline);
void kcache_entry_set_expires(struct kcache_entry *e, u64 expires);
void kcache_entry_free_unpublished(struct kcache_entry *e);
#ifdef KCACHE_TESTS
void *kcache_test_entry_vmalloc(struct kcache *c, size_t size);
#endif
/* bytes up to which kcache_copy_bytes() moves words inline */
#define KC_COPY_INLINE	64

/*
 * The word loops below (and kc_unsafe_words_in()) move a length that is not a multiple of
 * 8 as whole words and then its last word again, overlapping the word before it. Under 8
 * bytes, the copies and the compare take two 4-byte halves that may overlap, and under 4
 * one byte at a time; kcache_zero_bytes(), which clears the slack after the value of a
 * reused spare entry, zeroes under 8 bytes one at a time. Loads and stores are unaligned.
 */

/*
 * memcpy() for the short keys and values of the hot paths: word moves inline up to
 * %KC_COPY_INLINE bytes, where the call and the string copy's start-up (rep movsb) cost
 * more than the copy itself; memcpy() beyond. @dst and @src must not overlap.
 */
static __always_inline void kcache_copy_bytes(void *dst, const void *src, size_t len)
{
	const u8 *s = src;
	u8 *d = dst;
	size_t i;
	u64 w;
	u32 h;

	if (len > KC_COPY_INLINE) {
		memcpy(dst, src, len);
	} else if (len >= sizeof(w)) {
		for (i = 0; i + sizeof(w) < len; i += sizeof(w)) {
			memcpy(&w, s + i, sizeof(w));
			memcpy(d + i, &w, sizeof(w));
		}
		memcpy(&w, s + len - sizeof(w), sizeof(w));
		memcpy(d + len - sizeof(w), &w, sizeof(w));
	} else if (len >= sizeof(h)) {
		memcpy(&h, s, sizeof(h));
		memcpy(d, &h, sizeof(h));
		memcpy(&h, s + len - sizeof(h), sizeof(h));
		memcpy(d + len - sizeof(h), &h, sizeof(h));
	} else {
		for (i = 0; i < len; i++)
			d[i] = s[i];
	}
}

/* memset(dst, 0, len) with kcache_copy_bytes()'s word stores up to %KC_COPY_INLINE bytes */
static __always_inline void kcache_zero_bytes(void *dst, size_t len)
{
	u8 *d = dst;
	size_t i;
	u64 w = 0;

	if (len > KC_COPY_INLINE) {
		memset(dst, 0, len);
	} else if (len >= sizeof(w)) {
		for (i = 0; i + sizeof(w) < len; i += sizeof(w))
			memcpy(d + i, &w, sizeof(w));
		memcpy(d + len - sizeof(w), &w, sizeof(w));
	} else {
		for (i = 0; i < len; i++)
			d[i] = 0;
	}
}

/*
 * memcmp() == 0 for keys: word compares inline. The kernel's memcmp() is a byte loop out of
 * line on x86-64, called for every key a lookup compares.
 */
static __always_inline bool kcache_bytes_equal(const void *a, const void *b, size_t len)
{
	const u8 *x = a, *y = b;
	size_t i;
	u64 u, v;
	u32 p, q;

	if (len >= sizeof(u)) {
		for (i = 0; i + sizeof(u) < len; i += sizeof(u)) {
			memcpy(&u, x + i, sizeof(u));
			memcpy(&v, y + i, sizeof(v));
			if (u != v)
				return false;
		}
		memcpy(&u, x + len - sizeof(u), sizeof(u));
		memcpy(&v, y + len - sizeof(v), sizeof(v));
		return u == v;
	}
	if (len >= sizeof(p)) {
		memcpy(&p, x, sizeof(p));
		memcpy(&q, y, sizeof(q));
		if (p != q)
			return false;
		memcpy(&p, x + len - sizeof(p), sizeof(p));
		memcpy(&q, y + len - sizeof(q), sizeof(q));
		return p == q;
	}
	for (i = 0; i < len; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

bool kcache_entry_tryget(struct kcache_entry *e);
void kcache_entry_put(struct kcache_entry *e);
void kcache_entry_free(struct kcache_entry *e);

#endif /* _KCACHE_ENTRY_H */
