/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache trace events (tracefs: events/kcache/). kcache_sysfs.c instantiates them
 * (CREATE_TRACE_POINTS); the core calls trace_kcache_*() at the points listed with each
 * event. Keys are recorded as their first %KCACHE_TRACE_KEY_BYTES bytes, printed in hex,
 * with the full length beside them.
 *
 * Locking: none; every event may fire in any context its call site runs in (kcache_get
 * under rcu_read_lock(), the rest where they may sleep).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kcache

#if !defined(_KCACHE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KCACHE_TRACE_H

#include <linux/tracepoint.h>
#include "kcache.h"
#include "kcache_compat.h"

#ifndef _KCACHE_TRACE_ONCE
#define _KCACHE_TRACE_ONCE
#define KCACHE_TRACE_KEY_BYTES	32

/* Why an entry left the cache other than by delete, set or expiry. */
enum kcache_evict_cause {
	KCACHE_EVICT_SIZE,	/* over the entry count or byte bound (policy victim) */
	KCACHE_EVICT_SHRINK,	/* taken by the shrinker under memory pressure */
	KCACHE_EVICT_INVALIDATE,	/* invalidate_all / _prefix (destroy traces none) */
};
#endif

TRACE_DEFINE_ENUM(KCACHE_EVICT_SIZE);
TRACE_DEFINE_ENUM(KCACHE_EVICT_SHRINK);
TRACE_DEFINE_ENUM(KCACHE_EVICT_INVALIDATE);

#define kcache_trace_key_len(klen)	min_t(u32, (klen), KCACHE_TRACE_KEY_BYTES)

/*
 * kcache_get: a lookup (kcache_get(), kcache_get_handle()), after it decided hit or miss;
 * @vlen is the value's length on a hit, 0 on a miss.
 */
TRACE_EVENT(kcache_get,
	TP_PROTO(const struct kcache *c, const void *key, u32 klen, bool hit, u32 vlen),
	TP_ARGS(c, key, klen, hit, vlen),
	TP_STRUCT__entry(
		__string(cache, kcache_name(c))
		__field(u32, klen)
		__field(u32, vlen)
		__field(bool, hit)
		__dynamic_array(u8, key, kcache_trace_key_len(klen))
	),
	TP_fast_assign(
		kcache_assign_str(cache, kcache_name(c));
		__entry->klen = klen;
		__entry->vlen = vlen;
		__entry->hit = hit;
		memcpy(__get_dynamic_array(key), key, kcache_trace_key_len(klen));
	),
	TP_printk("cache=%s key=%s klen=%u %s vlen=%u", __get_str(cache),
		  __print_hex_str(__get_dynamic_array(key), __get_dynamic_array_len(key)),
		  __entry->klen, __entry->hit ? "hit" : "miss", __entry->vlen)
);

/*
 * kcache_set: a store (set, cas, add) once it is published (@ret 0, @seq its version) or
 * refused (@ret the error, @seq 0). @ttl_ns as the caller gave it (%KCACHE_TTL_DEFAULT,
 * all ones: the cache's default).
 */
TRACE_EVENT(kcache_set,
	TP_PROTO(const struct kcache *c, const void *key, u32 klen, u32 vlen, u64 ttl_ns,
		 u64 seq, int ret),
	TP_ARGS(c, key, klen, vlen, ttl_ns, seq, ret),
	TP_STRUCT__entry(
		__string(cache, kcache_name(c))
		__field(u64, ttl_ns)
		__field(u64, seq)
		__field(u32, klen)
		__field(u32, vlen)
		__field(int, ret)
		__dynamic_array(u8, key, kcache_trace_key_len(klen))
	),
	TP_fast_assign(
		kcache_assign_str(cache, kcache_name(c));
		__entry->ttl_ns = ttl_ns;
		__entry->seq = seq;
		__entry->klen = klen;
		__entry->vlen = vlen;
		__entry->ret = ret;
		memcpy(__get_dynamic_array(key), key, kcache_trace_key_len(klen));
	),
	TP_printk("cache=%s key=%s klen=%u vlen=%u ttl_ns=%llu seq=%llu ret=%d",
		  __get_str(cache),
		  __print_hex_str(__get_dynamic_array(key), __get_dynamic_array_len(key)),
		  __entry->klen, __entry->vlen, __entry->ttl_ns, __entry->seq, __entry->ret)
);

DECLARE_EVENT_CLASS(kcache_key_class,
	TP_PROTO(const struct kcache *c, const void *key, u32 klen, u64 seq),
	TP_ARGS(c, key, klen, seq),
	TP_STRUCT__entry(
		__string(cache, kcache_name(c))
		__field(u64, seq)
		__field(u32, klen)
		__dynamic_array(u8, key, kcache_trace_key_len(klen))
	),
	TP_fast_assign(
		kcache_assign_str(cache, kcache_name(c));
		__entry->seq = seq;
		__entry->klen = klen;
		memcpy(__get_dynamic_array(key), key, kcache_trace_key_len(klen));
	),
	TP_printk("cache=%s key=%s klen=%u seq=%llu", __get_str(cache),
		  __print_hex_str(__get_dynamic_array(key), __get_dynamic_array_len(key)),
		  __entry->klen, __entry->seq)
);

/* kcache_delete: a delete that removed a live entry (@seq: the removed entry's version) */
DEFINE_EVENT(kcache_key_class, kcache_delete,
	TP_PROTO(const struct kcache *c, const void *key, u32 klen, u64 seq),
	TP_ARGS(c, key, klen, seq)
);

/*
 * kcache_expire: an expired entry left the table (@seq: its version): reclaimed by
 * maintenance, or met by a DEL, store, INVALIDATE, eviction or the shrinker
 */
DEFINE_EVENT(kcache_key_class, kcache_expire,
	TP_PROTO(const struct kcache *c, const void *key, u32 klen, u64 seq),
	TP_ARGS(c, key, klen, seq)
);

/* kcache_evict: an entry left for @cause (an &enum kcache_evict_cause) */
TRACE_EVENT(kcache_evict,
	TP_PROTO(const struct kcache *c, const void *key, u32 klen, u64 seq, int cause),
	TP_ARGS(c, key, klen, seq, cause),
	TP_STRUCT__entry(
		__string(cache, kcache_name(c))
		__field(u64, seq)
		__field(u32, klen)
		__field(int, cause)
		__dynamic_array(u8, key, kcache_trace_key_len(klen))
	),
	TP_fast_assign(
		kcache_assign_str(cache, kcache_name(c));
		__entry->seq = seq;
		__entry->klen = klen;
		__entry->cause = cause;
		memcpy(__get_dynamic_array(key), key, kcache_trace_key_len(klen));
	),
	TP_printk("cache=%s key=%s klen=%u seq=%llu cause=%s", __get_str(cache),
		  __print_hex_str(__get_dynamic_array(key), __get_dynamic_array_len(key)),
		  __entry->klen, __entry->seq,
		  __print_symbolic(__entry->cause,
				   { KCACHE_EVICT_SIZE, "size" },
				   { KCACHE_EVICT_SHRINK, "shrink" },
				   { KCACHE_EVICT_INVALIDATE, "invalidate" }))
);

/*
 * kcache_maintain: the end of one maintenance pass: read and write records drained,
 * entries evicted and expired, and how long the pass took.
 */
TRACE_EVENT(kcache_maintain,
	TP_PROTO(const struct kcache *c, u32 reads, u32 writes, u32 evicted, u32 expired,
		 u64 duration_ns),
	TP_ARGS(c, reads, writes, evicted, expired, duration_ns),
	TP_STRUCT__entry(
		__string(cache, kcache_name(c))
		__field(u64, duration_ns)
		__field(u32, reads)
		__field(u32, writes)
		__field(u32, evicted)
		__field(u32, expired)
	),
	TP_fast_assign(
		kcache_assign_str(cache, kcache_name(c));
		__entry->duration_ns = duration_ns;
		__entry->reads = reads;
		__entry->writes = writes;
		__entry->evicted = evicted;
		__entry->expired = expired;
	),
	TP_printk("cache=%s reads=%u writes=%u evicted=%u expired=%u duration_ns=%llu",
		  __get_str(cache), __entry->reads, __entry->writes, __entry->evicted,
		  __entry->expired, __entry->duration_ns)
);

#endif /* _KCACHE_TRACE_H */

/* out of tree: define_trace.h finds this file through ccflags' -I$(src)/kmod */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kcache_trace
#include <trace/define_trace.h>
