// SPDX-License-Identifier: GPL-2.0
/*
 * kcache single-flight loading, the kernel's side: kcache_get_or_load(), where the caller
 * that misses a key runs the loader, stores its value and hands it to every caller that
 * missed the key meanwhile. It drives the key's record through kcache_load.c's functions,
 * as kcache_load_fd.c does for processes; the records, their states and their locks are
 * kcache_load.c's alone.
 *
 * Locks: none of its own. The loader runs with nothing held; it may sleep.
 */

#include <linux/bug.h>
#include <linux/export.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kcache_api.h"
#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_load.h"

/* Copy a finished load's result to @buf (in: *@vlen bytes; out: the value's length). */
static int kc_load_result(struct kcache_load *r, void *buf, u32 *vlen, u64 *version)
{
	const void *val;
	u32 len;
	int ret;

	ret = kcache_load_value(r, &val, &len, version);
	if (ret)
		return ret;
	if (*vlen < len) {
		*vlen = len;
		return -EMSGSIZE;
	}
	memcpy(buf, val, len);
	*vlen = len;
	return 0;
}

/*
 * The holder's part: run the loader, store, and complete @r for everyone. Returns the
 * holder's own error if it handed the load to a waiter (-EINTR if it was killed; else the
 * loader's, kcache_load_error_own()), else 0 (the result is @r's).
 */
static int kc_load_run(struct kcache *c, struct kcache_load *r, u64 token, const void *key,
		       u32 klen, kcache_loader_fn loader, void *ctx, u64 ttl_ns)
{
	struct kcache_load_claim claim = { .owner = NULL, .token = token };
	bool stored = false;
	void *val = NULL;
	u32 vlen = 0;
	int ret;

	ret = loader(ctx, key, klen, &val, &vlen);
	if (WARN_ON_ONCE(ret > 0))
		ret = -EINVAL;
	if (!ret && vlen && !val)
		ret = -EINVAL;
	if (!ret) {
		ret = kcache_store_claimed(c, key, klen, val, vlen, ttl_ns, 0, &claim, NULL);
		stored = true;
	}
	/* an error goes to the waiters (made one they may see) or the load to one of them */
	if (!kcache_load_finish(c, r, token, ret, stored, &val, vlen))
		ret = 0;
	else if (fatal_signal_pending(current))
		ret = -EINTR;
	kvfree(val);
	return ret;
}

/**
 * kcache_get_or_load() - get a value, loading it exactly once if it is missing
 * @c: the cache
 * @key: key bytes
 * @klen: key length, 1..%KCACHE_KEY_MAX
 * @loader: called on a miss, in the caller's context, by exactly one of the callers that
 *	miss the key at once (and once more by a waiter for each call a signal interrupts:
 *	see &typedef kcache_loader_fn); it may sleep. It returns 0 and sets *@val to a
 *	kvmalloc()ed value of *@vlen bytes (kcache frees it), or a negative errno.
 * @ctx: passed to @loader
 * @buf: destination of the value
 * @vlen: in: size of @buf; out: length of the value
 * @ttl_ns: TTL of a loaded value: 0 none, %KCACHE_TTL_DEFAULT the cache's default
 * @version: if not NULL, gets the value's version (0 if the value was not stored)
 *
 * A hit returns the value. On a miss, the key is looked up again under its stripe lock
 * and then for a load in flight: if one runs, the caller sleeps (killable) until it ends
 * and gets its value or its error; if none, the caller runs @loader, stores the value and
 * wakes the others. Errors are not cached: the next call loads again. A SET of the key
 * while the load runs completes it: everyone gets the SET's value and the loader's value
 * is dropped. A DEL of the key while it runs: the loader's value goes to the callers but
 * is not stored. With a refresh margin (kcache_load_config()), one caller that finds the
 * entry past its soft deadline reloads it (and returns the stale value if that fails)
 * while the others get the stale value at once.
 *
 * Context: process context, may sleep.
 *
 * Return: 0; the loader's error (also to every caller that waited for it, -EIO for
 * -EMSGSIZE and the kernel's codes; but -EINTR and the restart codes go to the
 * caller that loaded alone, and one of the callers waiting loads in its turn: see
 * &typedef kcache_loader_fn; a caller that calls again then waits behind them, so each
 * loader call a signal cuts short ends one caller's call, and every caller returns after
 * at most one loader call of its own); -EINTR if the caller was killed while it waited
 * (the load goes on for the others), or while it loaded and the load failed (the load
 * passes on likewise); -EMSGSIZE if @buf is too small (*@vlen holds the length; a load still
 * completed); -E2BIG if the loaded value exceeds value_max or the cache's bytes; -EINVAL /
 * -E2BIG for a bad key; -ENOMEM; -ESHUTDOWN if the cache is or gets destroyed; -EDEADLK if
 * called by @loader (or what it calls) for the key it is loading, which would wait for
 * itself.
 */
int kcache_get_or_load(struct kcache *c, const void *key, u32 klen, kcache_loader_fn loader,
		       void *ctx, void *buf, u32 *vlen, u64 ttl_ns, u64 *version)
{
	struct kcache_load *r = NULL;
	struct kcache_entry *e = NULL;
	u64 token = 0, stale_version;
	u32 len;
	int ret;

	might_sleep();
	if (!key || !klen || !loader || (*vlen && !buf))
		return -EINVAL;
	if (klen > KCACHE_KEY_MAX)
		return -E2BIG;
	if (!READ_ONCE(c->loads.refresh_ns)) {
		/* the lock-free GET; only a miss goes on */
		ret = kcache_get(c, key, klen, buf, vlen, version);
		if (ret != -ENOENT)
			return ret;
	}
	if (!kcache_enter(c))
		return -ESHUTDOWN;
again:
	ret = kcache_load_begin(c, key, klen, NULL, 0, *vlen, true, &r, &e, &token);
	switch (ret) {
	case KC_BEGIN_HIT:
	case KC_BEGIN_STALE:
		len = e->vlen;
		ret = 0;
		if (*vlen < len)
			ret = -EMSGSIZE;
		else
			memcpy(buf, kcache_entry_value(e), len);
		*vlen = len;
		if (!ret && version)
			*version = e->seq;
		kcache_entry_put(e);
		break;
	case KC_BEGIN_REFRESH:
		/* stale while revalidate: a failed refresh still returns the stale value */
		len = e->vlen;
		memcpy(buf, kcache_entry_value(e), len);
		stale_version = e->seq;
		kcache_entry_put(e);
		ret = kc_load_run(c, r, token, key, klen, loader, ctx, ttl_ns) ?:
		      kc_load_result(r, buf, vlen, version);
		if (ret && ret != -EMSGSIZE) {
			*vlen = len;
			if (version)
				*version = stale_version;
			ret = 0;
		}
		kcache_load_put(r);
		break;
	case KC_BEGIN_LOAD:
		ret = kc_load_run(c, r, token, key, klen, loader, ctx, ttl_ns) ?:
		      kc_load_result(r, buf, vlen, version);
		kcache_load_put(r);
		break;
	case KC_BEGIN_WAIT:
		ret = kcache_load_wait(c, r, NULL, 0, 0, &token);
		if (ret == KC_WAIT_RETRY) {
			kcache_load_put(r);
			goto again;
		}
		if (ret == KC_WAIT_LEASE) {
			/* the record stays ours: the waiter's reference is now the holder's */
			ret = kc_load_run(c, r, token, key, klen, loader, ctx, ttl_ns) ?:
			      KC_WAIT_DONE;
		}
		if (ret == KC_WAIT_DONE)
			ret = kc_load_result(r, buf, vlen, version);
		kcache_load_put(r);
		break;
	}
	kcache_leave(c);
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_get_or_load);
