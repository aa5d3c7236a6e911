// SPDX-License-Identifier: GPL-2.0
/*
 * kcache single-flight loading, the cache fd's side: the ioctls of leases (GET, SET and
 * MGET with their LEASE flag, LEASE_ABORT) and of the load settings (LOAD_CONFIG,
 * LOAD_STATS). Each checks and copies in its arguments, drives the key's record through
 * the functions of kcache_load.c and kcache_load_lease.c and copies the outcome out; the
 * records, their states and their locks are those two files' alone.
 *
 * Locks: none of its own; nothing here runs under a lock, so every user copy may fault.
 */

#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kcache_api.h"
#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_load.h"
#include "kcache_uaccess.h"

/* Copy @len user bytes to a new kvmalloc() buffer; @len bounded by the caller. */
static void *kc_user_dup(u64 uptr, size_t len)
{
	void *p = kvmalloc(len ?: 1, GFP_KERNEL_ACCOUNT);

	if (!p)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(p, u64_to_user_ptr(uptr), len)) {
		kvfree(p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}

static int kc_lease_ns_ok(u64 lease_ns)
{
	return lease_ns > KCACHE_LEASE_NS_MAX ? -E2BIG : 0;
}

/* Copy a pinned entry's value out: -EMSGSIZE if it does not fit (nothing copied). */
static int kc_entry_out(const struct kcache_entry *e, u64 uval, u32 room)
{
	if (e->vlen > room)
		return -EMSGSIZE;
	if (copy_to_user(u64_to_user_ptr(uval), kcache_entry_value(e), e->vlen))
		return -EFAULT;
	return 0;
}

/*
 * One lease GET once its arguments are checked and its key copied in, under an operation
 * reference. It copies no value: it leaves the caller the entry (*@ep) or the finished
 * load (*@rp) to copy it from, each with a reference, because destroy waits for the
 * operation reference and a fault on the user's buffer may sleep as long as another task
 * pleases (a userfaultfd handler, a FUSE server).
 */
static int kc_lease_get(struct kcache *c, struct kcache_lease_owner *o,
			struct kcache_get_args *a, const void *key, struct kcache_entry **ep,
			struct kcache_load **rp)
{
	u64 until = 0, token = 0;
	struct kcache_load *r = NULL;
	struct kcache_entry *e = NULL;
	int ret;

	if (a->wait_ns)
		until = ktime_get_ns() + min_t(u64, a->wait_ns, U64_MAX / 4);
again:
	a->token = 0;
	a->result = KCACHE_GET_HIT;
	ret = kcache_load_begin(c, key, a->key_len, o, a->lease_ns, a->val_len, a->wait_ns != 0,
				&r, &e, &token);
	switch (ret) {
	case KC_BEGIN_REFRESH:
		a->token = token;
		a->result = KCACHE_GET_REFRESH;
		fallthrough;
	case KC_BEGIN_STALE:
		if (ret == KC_BEGIN_STALE)
			a->result = KCACHE_GET_STALE;
		fallthrough;
	case KC_BEGIN_HIT:
		a->version = e->seq;
		*ep = e;
		return 0;
	case KC_BEGIN_LOAD:
		a->token = token;
		a->result = KCACHE_GET_LOAD;
		a->val_len = 0;
		a->version = 0;
		return 0;
	case KC_BEGIN_BUSY:
		return -ETIMEDOUT;
	case KC_BEGIN_WAIT:
		break;
	default:
		return ret;
	}
	ret = kcache_load_wait(c, r, o, a->lease_ns, until, &token);
	if (ret == KC_WAIT_RETRY) {
		kcache_load_put(r);
		goto again;
	}
	if (ret == KC_WAIT_LEASE) {
		a->token = token;
		a->result = KCACHE_GET_LOAD;
		a->val_len = 0;
		a->version = 0;
		ret = 0;
	} else if (ret == KC_WAIT_DONE) {
		*rp = r;
		return 0;
	}
	kcache_load_put(r);
	return ret;
}

/* The value kc_lease_get() left, copied out with no operation reference held */
static int kc_lease_value_out(struct kcache_get_args *a, struct kcache_entry *e,
			      struct kcache_load *r)
{
	int ret = 0;

	if (e) {
		ret = kc_entry_out(e, a->val, a->val_len);
		a->val_len = e->vlen;
		kcache_entry_put(e);
	} else if (r) {
		ret = kcache_load_result_user(r, u64_to_user_ptr(a->val), &a->val_len,
					      &a->version);
		kcache_load_put(r);
	}
	return ret;
}

/**
 * kcache_lease_ioctl_get() - GET with %KCACHE_GETF_LEASE
 * @c: the fd's cache
 * @o: the fd's leases
 * @access: the fd's rights
 * @uarg: the user's struct
 * @a: the struct, already read with kcache_copy_struct_in()
 *
 * Return: 0 or -errno as documented for %KCACHE_GETF_LEASE in uapi/linux/kcache.h.
 */
int kcache_lease_ioctl_get(struct kcache *c, struct kcache_lease_owner *o, u32 access,
			   void __user *uarg, struct kcache_get_args *a)
{
	struct kcache_entry *e = NULL;
	struct kcache_load *r = NULL;
	void *key;
	int ret;

	if ((access & KCACHE_OPEN_RDWR) != KCACHE_OPEN_RDWR)
		return -EBADF;
	/* a caller that knows no @token field could never complete the lease it got */
	if (a->flags & ~KCACHE_GETF_LEASE || a->__pad || a->size < KCACHE_GET_ARGS_SIZE_VER1)
		return -EINVAL;
	ret = kcache_key_len_check(a->key_len) ?: kc_lease_ns_ok(a->lease_ns);
	if (ret)
		return ret;
	key = kc_user_dup(a->key, a->key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	if (!kcache_enter(c)) {
		ret = -ESHUTDOWN;
		goto out;
	}
	ret = kc_lease_get(c, o, a, key, &e, &r);
	/* every user copy from here on may fault: nothing destroy waits for is held */
	kcache_leave(c);
	if (!ret)
		ret = kc_lease_value_out(a, e, r);
	if (ret == 0 || ret == -EMSGSIZE)
		ret = kcache_copy_struct_out(uarg, a, sizeof(*a)) ?: ret;
	/*
	 * A call that fails after its lease was granted (the struct or a refresh's value not
	 * written out) leaves the caller no lease to complete: give it on at once, or every
	 * other caller would be told STALE or wait until its deadline. A lease that a destroy
	 * ended meanwhile is gone already (-ESTALE).
	 */
	if (ret && a->token)
		kcache_lease_abort(c, o, a->token, 0);
out:
	kvfree(key);
	return ret;
}

/**
 * kcache_lease_ioctl_set() - SET with %KCACHE_SETF_LEASE
 * @c: the fd's cache
 * @o: the fd's leases
 * @access: the fd's rights
 * @uarg: the user's struct
 * @a: the struct, already read
 *
 * Return: 0 or -errno as documented for %KCACHE_SETF_LEASE.
 */
int kcache_lease_ioctl_set(struct kcache *c, struct kcache_lease_owner *o, u32 access,
			   void __user *uarg, struct kcache_set_args *a)
{
	struct kcache_load_claim claim = { .owner = o, .token = a->token };
	void *key, *val;
	u64 ttl;
	int ret;

	if ((access & KCACHE_OPEN_RDWR) != KCACHE_OPEN_RDWR)
		return -EBADF;
	if (a->flags & ~(KCACHE_SETF_LEASE | KCACHE_SETF_TTL) || !a->token ||
	    (!(a->flags & KCACHE_SETF_TTL) && a->ttl_ns))
		return -EINVAL;
	/* as the cache fd's kc_ttl(): U64_MAX from userspace is not the default */
	ttl = a->flags & KCACHE_SETF_TTL ? min_t(u64, a->ttl_ns, KCACHE_TTL_DEFAULT - 1) :
	      KCACHE_TTL_DEFAULT;
	ret = kcache_key_len_check(a->key_len);
	if (ret)
		return ret;
	if (a->val_len > kcache_value_max())
		return -E2BIG;
	key = kc_user_dup(a->key, a->key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	val = kc_user_dup(a->val, a->val_len);
	if (IS_ERR(val)) {
		ret = PTR_ERR(val);
		goto out_key;
	}
	ret = kcache_store_claimed(c, key, a->key_len, val, a->val_len, ttl, 0, &claim,
				   &a->version);
	/*
	 * Killed while the store waited for room: the process never gets back to abort, and
	 * an fd it shares keeps the lease until its deadline. Hand it on here, as
	 * kcache_load_finish() does for an in-kernel holder.
	 */
	if (ret == -EINTR && fatal_signal_pending(current))
		kcache_lease_abort(c, o, a->token, 0);
	if (!ret)
		ret = kcache_copy_struct_out(uarg, a, sizeof(*a));
	kvfree(val);
out_key:
	kvfree(key);
	return ret;
}

/**
 * kcache_lease_ioctl_mget() - MGET with %KCACHE_MGETF_LEASE
 * @c: the fd's cache
 * @o: the fd's leases
 * @access: the fd's rights
 * @uarg: the user's struct
 * @a: the struct, already read
 *
 * Return: 0 or -errno as documented for %KCACHE_MGETF_LEASE.
 */
int kcache_lease_ioctl_mget(struct kcache *c, struct kcache_lease_owner *o, u32 access,
			    void __user *uarg, struct kcache_mget_args *a)
{
	struct kcache_entry **ents = NULL;
	struct kcache_batch_item *items;
	u64 *tokens = NULL;
	size_t koff = 0, ksum = 0;
	u32 i, off = 0;
	void *keys;
	int ret;

	if ((access & KCACHE_OPEN_RDWR) != KCACHE_OPEN_RDWR)
		return -EBADF;
	if (a->flags & ~KCACHE_MGETF_LEASE || a->__pad || !a->tokens)
		return -EINVAL;
	if (a->nr > KCACHE_BATCH_MAX)
		return -E2BIG;
	ret = kc_lease_ns_ok(a->lease_ns);
	if (ret)
		return ret;
	a->done = 0;
	if (!a->nr)	/* as a plain MGET: a destroyed cache still says so */
		return kcache_is_dead(c) ? -ESHUTDOWN : kcache_copy_struct_out(uarg, a, sizeof(*a));
	items = kc_user_dup(a->items, (size_t)a->nr * sizeof(*items));
	if (IS_ERR(items))
		return PTR_ERR(items);
	for (i = 0; i < a->nr; i++) {
		ret = kcache_key_len_check(items[i].key_len);
		if (ret)
			goto out_items;
		ksum += items[i].key_len;
	}
	keys = kc_user_dup(a->keys, ksum);
	if (IS_ERR(keys)) {
		ret = PTR_ERR(keys);
		goto out_items;
	}
	ret = -ENOMEM;
	tokens = kvcalloc(a->nr, sizeof(*tokens), GFP_KERNEL_ACCOUNT);
	ents = kvcalloc(a->nr, sizeof(*ents), GFP_KERNEL_ACCOUNT);
	if (!tokens || !ents)
		goto out_keys;
	ret = -ESHUTDOWN;
	if (!kcache_enter(c))
		goto out_keys;
	for (i = 0; i < a->nr; i++) {
		struct kcache_batch_item *it = &items[i];
		struct kcache_entry *e = NULL;
		struct kcache_load *r = NULL;
		const void *key = keys + koff;
		u64 token = 0;
		int b, st;

		koff += it->key_len;
		it->val_off = 0;
		it->val_len = 0;
		it->version = 0;
		b = kcache_load_begin(c, key, it->key_len, o, a->lease_ns, a->vals_len - off,
				      false, &r, &e, &token);
		switch (b) {
		case KC_BEGIN_LOAD:
			it->status = KCACHE_GET_LOAD;
			tokens[i] = token;
			continue;
		case KC_BEGIN_BUSY:
			it->status = -EINPROGRESS;
			continue;
		case KC_BEGIN_HIT:
			st = KCACHE_GET_HIT;
			break;
		case KC_BEGIN_STALE:
			st = KCACHE_GET_STALE;
			break;
		case KC_BEGIN_REFRESH:
			st = KCACHE_GET_REFRESH;
			tokens[i] = token;
			break;
		default:
			it->status = b;
			if (b == -ESHUTDOWN) {
				ret = b;
				goto out_leave;
			}
			continue;
		}
		it->val_len = e->vlen;
		it->version = e->seq;
		if (e->vlen > a->vals_len - off) {
			kcache_entry_put(e);
			it->status = -EMSGSIZE;
			continue;
		}
		/* copied out below, as kcache_lease_ioctl_get() does (kc_lease_get()) */
		ents[i] = e;
		it->status = st;
		it->val_off = off;
		off += it->val_len;
		a->done++;
	}
	ret = 0;
out_leave:
	/* every user copy from here on may fault: nothing destroy waits for is held */
	kcache_leave(c);
	for (i = 0; i < a->nr; i++) {
		if (!ents[i])
			continue;
		if (!ret && kc_entry_out(ents[i], a->vals + items[i].val_off, items[i].val_len))
			ret = -EFAULT;
		kcache_entry_put(ents[i]);
	}
	if (!ret) {
		if (copy_to_user(u64_to_user_ptr(a->tokens), tokens,
				 a->nr * sizeof(*tokens)) ||
		    copy_to_user(u64_to_user_ptr(a->items), items, a->nr * sizeof(*items)))
			ret = -EFAULT;
		else
			ret = kcache_copy_struct_out(uarg, a, sizeof(*a));
	}
	/* failed: the caller learns none of its tokens, so the leases go on at once */
	for (i = 0; ret && i < a->nr; i++)
		if (tokens[i])
			kcache_lease_abort(c, o, tokens[i], 0);
out_keys:
	kvfree(ents);
	kvfree(tokens);
	kvfree(keys);
out_items:
	kvfree(items);
	return ret;
}

/**
 * kcache_lease_ioctl_abort() - %KCACHE_IOC_LEASE_ABORT
 * @c: the fd's cache
 * @o: the fd's leases
 * @access: the fd's rights
 * @uarg: the user's &struct kcache_lease_abort_args
 *
 * Return: 0 or -errno as documented for %KCACHE_IOC_LEASE_ABORT.
 */
int kcache_lease_ioctl_abort(struct kcache *c, struct kcache_lease_owner *o, u32 access,
			     void __user *uarg)
{
	struct kcache_lease_abort_args a;
	int ret;

	if ((access & KCACHE_OPEN_RDWR) != KCACHE_OPEN_RDWR)
		return -EBADF;
	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_LEASE_ABORT_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags || a.__pad || !a.token || !kcache_load_error_ok(a.error))
		return -EINVAL;
	if (kcache_is_dead(c))
		return -ESHUTDOWN;
	return kcache_lease_abort(c, o, a.token, a.error);
}

/**
 * kcache_load_ioctl_config() - %KCACHE_IOC_LOAD_CONFIG
 * @c: the fd's cache
 * @access: the fd's rights
 * @uarg: the user's &struct kcache_load_config_args
 *
 * Return: 0 or -errno as documented for %KCACHE_IOC_LOAD_CONFIG.
 */
int kcache_load_ioctl_config(struct kcache *c, u32 access, void __user *uarg)
{
	struct kcache_load_config_args a;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_LOAD_CONFIG_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_LOAD_CONFIG_SET)
		return -EINVAL;
	if ((a.flags & KCACHE_LOAD_CONFIG_SET) && !(access & KCACHE_OPEN_WRITE))
		return -EBADF;
	/* the bounds before the cache's state, in the documented order */
	if (a.flags & KCACHE_LOAD_CONFIG_SET) {
		if (!a.lease_ns)
			return -EINVAL;
		if (a.lease_ns > KCACHE_LEASE_NS_MAX)
			return -E2BIG;
	}
	/* a destroyed cache answers -ESHUTDOWN, its configuration left as it was */
	if (READ_ONCE(c->loads.dead))
		return -ESHUTDOWN;
	if (a.flags & KCACHE_LOAD_CONFIG_SET) {
		ret = kcache_load_config(c, a.refresh_ns, a.lease_ns);
		if (ret)
			return ret;
	}
	a.refresh_ns = READ_ONCE(c->loads.refresh_ns);
	a.lease_ns = READ_ONCE(c->loads.lease_ns);
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

/**
 * kcache_load_ioctl_stats() - %KCACHE_IOC_LOAD_STATS
 * @c: the fd's cache
 * @uarg: the user's &struct kcache_load_stats_args
 *
 * Return: 0 or -errno (only the common ones).
 */
int kcache_load_ioctl_stats(struct kcache *c, void __user *uarg)
{
	struct kcache_load_stats_args a;
	struct kcache_load_stats st;
	int ret;

	BUILD_BUG_ON(sizeof(struct kcache_load_stats) != sizeof(struct kcache_load_counters));
	BUILD_BUG_ON(sizeof(a) != KCACHE_LOAD_STATS_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_lease_abort_args) !=
		     KCACHE_LEASE_ABORT_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_load_config_args) !=
		     KCACHE_LOAD_CONFIG_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_get_args) != KCACHE_GET_ARGS_SIZE_VER1);
	BUILD_BUG_ON(sizeof(struct kcache_set_args) != KCACHE_SET_ARGS_SIZE_VER1);
	BUILD_BUG_ON(sizeof(struct kcache_mget_args) != KCACHE_MGET_ARGS_SIZE_VER1);
	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_LOAD_STATS_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	kcache_load_stats(c, &st);
	memcpy(&a.counters, &st, sizeof(st));
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}
