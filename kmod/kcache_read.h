/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache's read path, inline: the lookup (kc_read()) and the copy of a value to userspace
 * under RCU. In a header so that the GET ioctl (kcache_fd.c) inlines all of it, table walk
 * included, into its own frame: a GET is a few hundred instructions, and a call with its
 * frame, canary and argument moves is a tenth of them. The key hash (full_name_hash()) is
 * the kernel's and stays a call. kcache_api.c uses the same functions for kcache_get() and
 * MGET.
 *
 * Locking: callers hold rcu_read_lock() where noted. A hit may queue the maintenance work
 * (kcache_rbuf_record()); the slow path of a large or faulting copy pins the entry and
 * copies with faults allowed, outside RCU.
 */
#ifndef _KCACHE_READ_H
#define _KCACHE_READ_H

#include <linux/rcupdate.h>
#include <linux/uaccess.h>

#include "kcache_api.h"
#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_rbuf.h"
#include "kcache_table.h"
#include "kcache_trace.h"

/* values up to this size are copied to userspace under RCU, larger ones from a pin */
#define KC_COPY_UNDER_RCU	4096

int kc_get_user_pinned(void __user *ubuf, struct kcache_entry *e);

/* A live entry for @key, or NULL (counted as a miss). Under rcu_read_lock(). */
static __always_inline struct kcache_entry *
kc_read(struct kcache *c, const void *key, u32 klen)
{
	u32 hash = kcache_key_hash(c, key, klen);
	struct kcache_entry *e = kcache_table_lookup(c, key, klen, hash);

	if (!e || kc_expired_now(e)) {
		this_cpu_inc(c->stats->misses);
		kcache_rbuf_miss(c, hash);
		trace_kcache_get(c, key, klen, false, 0);
		return NULL;
	}
	this_cpu_inc(c->stats->hits);
	kcache_rbuf_hit(c, e);
	trace_kcache_get(c, key, klen, true, e->vlen);
	return e;
}

/*
 * 16 bytes from @src to userspace at @dst, inside a user-access window; false if a store
 * faulted. Inline moves, no call with user access on; @src may be unaligned. Two scalars,
 * not an array: stack auto-initialization would zero and store an array each time, scalars
 * stay in registers.
 */
static __always_inline bool kc_unsafe_put_16(u8 __user *dst, const u8 *src)
{
	u64 w0, w1;

	__builtin_memcpy(&w0, src, sizeof(w0));
	__builtin_memcpy(&w1, src + sizeof(w0), sizeof(w1));
	unsafe_put_user(w0, (u64 __user *)dst, efault);
	unsafe_put_user(w1, (u64 __user *)dst + 1, efault);
	return true;
efault:
	return false;
}

/*
 * Copy a value to userspace from under RCU: page faults disabled, word stores in one
 * user-access window. Not copy_to_user_nofault(): for the short values of a cache, the
 * string copy's start-up (rep movsb) and hardened usercopy's walk from the pointer to its
 * slab object cost more than the copy, and the bounds are the entry's own. Two words a
 * turn, which halves the loop's own instructions; a value of 16 bytes or more that is not
 * a multiple of 16 ends with its last 16 bytes, overlapping the turn before (all stores
 * within the value's bytes), and a shorter one goes by unsafe_copy_to_user()'s 8, 4, 2
 * and 1 byte steps. @wb, if not NULL, gets the length and version in the same
 * window (entering and leaving one costs more than a few stores). Returns false if
 * anything faulted (then the caller copies again with faults allowed, and @wb is not
 * done).
 */
static __always_inline bool kc_copy_value_nofault(void __user *ubuf,
						  const struct kcache_entry *e,
						  struct kcache_get_wb *wb)
{
	const u8 *src = kcache_entry_value(e);
	u8 __user *dst = ubuf;
	u32 len = e->vlen, i;
	bool ok = false;

	pagefault_disable();
	if (user_write_access_begin(ubuf, len)) {
		if (len >= 2 * sizeof(u64)) {
			for (i = 0; i + 2 * sizeof(u64) < len; i += 2 * sizeof(u64))
				if (!kc_unsafe_put_16(dst + i, src + i))
					goto efault;
			i = len - 2 * sizeof(u64);
			if (!kc_unsafe_put_16(dst + i, src + i))
				goto efault;
		} else {
			unsafe_copy_to_user(dst, src, len, efault);
		}
		if (wb) {
			unsafe_put_user(e->vlen, wb->vlen, efault);
			unsafe_put_user(e->seq, wb->version, efault);
			wb->done = true;
		}
		ok = true;
efault:
		user_write_access_end();
	}
	pagefault_enable();
	return ok;
}

/*
 * kcache_get_user() under rcu_read_lock() on a live cache. Returns -EAGAIN with *@pin set
 * and the entry pinned if the value must be copied with faults allowed (large, or the
 * copy faulted); the caller drops RCU, copies and unpins.
 */
static __always_inline int kc_get_user_rcu(struct kcache *c, const void *key, u32 klen,
					   void __user *ubuf, u32 *vlen, u64 *version,
					   struct kcache_get_wb *wb, struct kcache_entry **pin)
{
	struct kcache_entry *e = kc_read(c, key, klen);
	u32 size = *vlen;

	if (!e)
		return -ENOENT;
	*version = e->seq;
	*vlen = e->vlen;
	if (size < e->vlen)
		return -EMSGSIZE;
	if (e->vlen <= KC_COPY_UNDER_RCU && kc_copy_value_nofault(ubuf, e, wb))
		return 0;
	if (!kcache_entry_tryget(e))
		return -ENOENT;	/* freed meanwhile: it had left the table */
	*pin = e;
	return -EAGAIN;
}

/**
 * kcache_get_user() - copy a value to userspace
 * @c: the cache
 * @key: key bytes (kernel memory)
 * @klen: key length, 1..%KCACHE_KEY_MAX checked by the caller
 * @ubuf: destination in userspace
 * @vlen: in: size of @ubuf; out: length of the value
 * @version: gets the entry's version
 * @wb: if not NULL, the user addresses @vlen and @version are also stored to when the value
 *	is copied under RCU (then @wb->done is set); else the caller stores them
 *
 * Small values are copied under RCU with page faults disabled, touching nothing shared.
 * If that copy faults, or the value is large, the entry is pinned and copied outside RCU,
 * so a slow or faulting reader keeps a value alive no longer than needed. May sleep.
 * Callers mark themselves __flatten, so that the table walk is inline too.
 *
 * Return: as kcache_get(), and -EFAULT if @ubuf cannot be written.
 */
static __always_inline int
kcache_get_user(struct kcache *c, const void *key, u32 klen, void __user *ubuf,
		u32 *vlen, u64 *version, struct kcache_get_wb *wb)
{
	struct kcache_entry *pin;
	int ret;

	rcu_read_lock();
	if (kcache_reader_live(c))
		ret = kc_get_user_rcu(c, key, klen, ubuf, vlen, version, wb, &pin);
	else
		ret = -ESHUTDOWN;
	rcu_read_unlock();
	if (ret == -EAGAIN)
		ret = kc_get_user_pinned(ubuf, pin);
	return ret;
}

#endif /* _KCACHE_READ_H */
