/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache - in-kernel key-value cache: the API exported to other modules.
 *
 * Contexts: kcache_get(), kcache_get_handle() and kcache_handle_put() may be called from
 * any context that may hold rcu_read_lock() except NMI (they never sleep, never allocate
 * and take no lock of kcache's; they may queue the maintenance work). Everything else may
 * sleep.
 */
#ifndef _KCACHE_H
#define _KCACHE_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/kcache.h>

struct kcache;
struct kcache_entry;

#define KCACHE_NAME_MAX		64
#define KCACHE_KEY_MAX		4096
#define KCACHE_VALUE_MAX_LIMIT	(64U << 20)

/* Eviction policies (also the values of the ABI's policy field). */
enum kcache_policy_kind {
	KCACHE_POLICY_TINYLFU = 0,
	KCACHE_POLICY_LRU = 1,
	KCACHE_POLICY_NR,
};

/* kcache_set() flags. */
#define KCACHE_SET_ALWAYS	0
#define KCACHE_SET_IF_ABSENT	BIT(0)
#define KCACHE_SET_IF_PRESENT	BIT(1)
#define KCACHE_SET_KEEP_TTL	BIT(2)	/* replacing keeps the old deadline */
#define KCACHE_SET_FLAGS	(KCACHE_SET_IF_ABSENT | KCACHE_SET_IF_PRESENT | \
				 KCACHE_SET_KEEP_TTL)

/* TTL argument: use the cache's default TTL. */
#define KCACHE_TTL_DEFAULT	((u64)-1)

/**
 * struct kcache_config - parameters of a new cache
 * @max_entries: bound on the number of entries (0: module default)
 * @max_bytes: bound on the bytes charged for entries, metadata included (0: module default)
 * @default_ttl_ns: TTL of entries set with %KCACHE_TTL_DEFAULT (0: no expiry)
 * @policy: an &enum kcache_policy_kind
 * @flags: must be 0
 * @uid: owner, checked by the ioctl layer
 * @gid: owner group, checked by the ioctl layer
 * @mode: permission bits (S_IRUGO/S_IWUGO subsets), checked by the ioctl layer
 */
struct kcache_config {
	u64 max_entries;
	u64 max_bytes;
	u64 default_ttl_ns;
	u32 policy;
	u32 flags;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
};

/**
 * struct kcache_stats - a snapshot of a cache's counters
 * @hits: lookups that found a live entry
 * @misses: lookups that found nothing or an expired entry
 * @sets: successful stores (set, cas, add)
 * @deletes: successful deletes
 * @evictions_size: entries evicted over the count or byte bound
 * @evictions_shrink: entries evicted by the shrinker
 * @expirations: expired entries reclaimed
 * @entries: entries in the table now
 * @bytes: bytes charged now
 * @max_entries: configured bound
 * @max_bytes: configured bound
 * @spare_bytes: dead entries' memory kept for the next writes, as the last maintenance
 *	pass left them (kcache_spare.c)
 */
struct kcache_stats {
	u64 hits;
	u64 misses;
	u64 sets;
	u64 deletes;
	u64 evictions_size;
	u64 evictions_shrink;
	u64 expirations;
	u64 entries;
	u64 bytes;
	u64 max_entries;
	u64 max_bytes;
	u64 spare_bytes;
};

struct kcache *kcache_create(const char *name, const struct kcache_config *cfg);
struct kcache *kcache_lookup(const char *name);
void kcache_get_ref(struct kcache *c);
void kcache_put_ref(struct kcache *c);
void kcache_destroy(struct kcache *c);
const char *kcache_name(const struct kcache *c);
bool kcache_is_dead(const struct kcache *c);
u32 kcache_value_max(void);
void kcache_get_config(const struct kcache *c, struct kcache_config *cfg);
int kcache_for_each(int (*fn)(struct kcache *c, void *ctx), void *ctx);

int kcache_get(struct kcache *c, const void *key, u32 klen, void *buf, u32 *vlen,
	       u64 *version);
struct kcache_entry *kcache_get_handle(struct kcache *c, const void *key, u32 klen);
const void *kcache_handle_value(const struct kcache_entry *h, u32 *vlen);
u64 kcache_handle_version(const struct kcache_entry *h);
void kcache_handle_put(struct kcache_entry *h);

int kcache_set(struct kcache *c, const void *key, u32 klen, const void *val, u32 vlen,
	       u64 ttl_ns, u32 flags, u64 *version);
int kcache_delete(struct kcache *c, const void *key, u32 klen);
int kcache_cas(struct kcache *c, const void *key, u32 klen, const void *val, u32 vlen,
	       u64 ttl_ns, u64 expected, u64 *version);
int kcache_add(struct kcache *c, const void *key, u32 klen, s64 delta, u64 ttl_ns,
	       u64 *result);
int kcache_invalidate_all(struct kcache *c);
int kcache_invalidate_prefix(struct kcache *c, const void *prefix, u32 plen);
void kcache_stats(struct kcache *c, struct kcache_stats *st);
void kcache_maintain(struct kcache *c);

/**
 * typedef kcache_walk_fn - callback of kcache_walk()
 * @ctx: the caller's context
 * @key: key bytes
 * @klen: key length
 * @val: value bytes
 * @vlen: value length
 * @version: the entry's sequence number
 *
 * Called under rcu_read_lock(): must not sleep. Return 0 to go on, anything else stops
 * the walk and is returned by kcache_walk().
 */
typedef int (*kcache_walk_fn)(void *ctx, const void *key, u32 klen, const void *val,
			      u32 vlen, u64 version);
int kcache_walk(struct kcache *c, kcache_walk_fn fn, void *ctx);

/* Change streams (kmod/kcache_stream*.c, Documentation/streams.rst). */
struct kcache_stream;

/**
 * struct kcache_stream_opts - what kcache_subscribe() streams
 * @prefix: only keys starting with these bytes (NULL with @prefix_len 0: every key)
 * @prefix_len: length of @prefix, 0..%KCACHE_KEY_MAX
 * @flags: %KCACHE_SUBSCRIBE_* bits of <linux/kcache.h> (NONBLOCK has no effect here)
 * @ring_size: bytes of the subscriber's ring, 0 for %KCACHE_STREAM_RING_DEFAULT; at least
 *	%KCACHE_STREAM_RING_MIN, rounded up to a power of two, capped by stream_ring_max
 * @notify: optional: called when records become readable or the stream ends, in atomic
 *	context with a writer's locks held: it must not sleep nor call into kcache (wake
 *	a task or queue work instead)
 * @notify_ctx: passed to @notify
 */
struct kcache_stream_opts {
	const void *prefix;
	u32 prefix_len;
	u32 flags;
	u32 ring_size;
	void (*notify)(void *ctx);
	void *notify_ctx;
};

struct kcache_stream *kcache_subscribe(struct kcache *c, const struct kcache_stream_opts *opts,
				       u64 *cutoff);
ssize_t kcache_stream_read(struct kcache_stream *s, void *buf, size_t len);
int kcache_stream_wait(struct kcache_stream *s);
void kcache_unsubscribe(struct kcache_stream *s);
/* ---- single-flight loading (kcache_load*.c, Documentation/loading.rst) ---- */

/**
 * typedef kcache_loader_fn - loads a missing value for kcache_get_or_load()
 * @ctx: the caller's context
 * @key: key bytes
 * @klen: key length
 * @val: out: a kvmalloc()ed value, which kcache frees (may stay NULL if *@vlen is 0)
 * @vlen: out: the value's length
 *
 * Runs in the context of one caller, may sleep. It may call into kcache, but not destroy
 * the cache (destroy waits for the call it runs in), and a kcache_get_or_load() of the key
 * it is loading fails with -EDEADLK.
 *
 * Return: 0, or a negative errno that every caller waiting for this load gets; one that a
 * waiter would read as something else (-EMSGSIZE) or that no process may see (the
 * kernel's own codes, -512 to -530) becomes -EIO. An error of the loading task itself
 * (-EINTR, -ERESTARTSYS and the other restart codes) goes to its caller alone:
 * the load passes to one of the waiters, which runs its own loader.
 */
typedef int (*kcache_loader_fn)(void *ctx, const void *key, u32 klen, void **val,
				u32 *vlen);

/**
 * struct kcache_load_stats - single-flight counters of a cache
 * @loads_started: loads begun: leases granted (handovers and refreshes too), kernel loads
 * @loads_succeeded: loads whose holder stored the value
 * @loads_failed: kernel loader errors and lease ABORTs with an error
 * @waiters_served: waiters that received a value or an error from a load
 * @leases_handed_over: leases that ended without a value and went to a waiter
 * @leases_expired: leases whose deadline passed
 * @leases_revoked: leases ended by a delete or invalidate of their key
 * @in_flight: loads and leases in progress now
 */
struct kcache_load_stats {
	u64 loads_started;
	u64 loads_succeeded;
	u64 loads_failed;
	u64 waiters_served;
	u64 leases_handed_over;
	u64 leases_expired;
	u64 leases_revoked;
	u64 in_flight;
};

int kcache_get_or_load(struct kcache *c, const void *key, u32 klen, kcache_loader_fn loader,
		       void *ctx, void *buf, u32 *vlen, u64 ttl_ns, u64 *version);
int kcache_load_config(struct kcache *c, u64 refresh_ns, u64 lease_ns);
void kcache_load_stats(struct kcache *c, struct kcache_load_stats *st);

#endif /* _KCACHE_H */
