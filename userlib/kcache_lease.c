// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache: single-flight loading. Thin wrappers around the lease ioctls, and
 * kcache_get_or_load(), which does the whole dance for a caller with a loader callback:
 * lease GET (waiting for another holder), load, then complete with a lease SET or, on a
 * loader error, abort so that the processes waiting get the same error.
 * Like the rest of the library: 0 or a non-negative answer, or -errno; errno untouched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kcache.h"
#include "kcache_ioctl.h"

int kcache_get_or_lease(int fd, const void *key, uint32_t key_len, void *val,
			uint32_t *val_len, uint64_t wait_ns, uint64_t lease_ns, uint64_t *version,
			uint64_t *token)
{
	struct kcache_get_args a = {
		.size = sizeof(a),
		.flags = KCACHE_GETF_LEASE,
		.key = kc_ptr(key),
		.val = kc_ptr(val),
		.key_len = key_len,
		.val_len = *val_len,
		.wait_ns = wait_ns,
		.lease_ns = lease_ns,
	};
	long ret = kc_ioctl(fd, KCACHE_IOC_GET, &a);

	if (!ret || ret == -EMSGSIZE) {
		*val_len = a.val_len;
		if (version)
			*version = a.version;
	}
	if (ret)
		return ret;
	if (token)
		*token = a.token;
	return a.result;
}

int kcache_lease_set(int fd, const void *key, uint32_t key_len, const void *val,
		     uint32_t val_len, uint64_t token, uint32_t flags, uint64_t ttl_ns,
		     uint64_t *version)
{
	struct kcache_set_args a = {
		.size = sizeof(a),
		.flags = flags | KCACHE_SETF_LEASE,
		.key = kc_ptr(key),
		.val = kc_ptr(val),
		.key_len = key_len,
		.val_len = val_len,
		.ttl_ns = ttl_ns,
		.token = token,
	};
	long ret = kc_ioctl(fd, KCACHE_IOC_SET, &a);

	if (!ret && version)
		*version = a.version;
	return ret;
}

int kcache_lease_abort(int fd, uint64_t token, int error)
{
	struct kcache_lease_abort_args a = {
		.size = sizeof(a),
		.token = token,
		.error = error,
	};

	return kc_ioctl(fd, KCACHE_IOC_LEASE_ABORT, &a);
}

int kcache_mget_lease(int fd, struct kcache_batch_item *items, uint32_t nr, const void *keys,
		      void *vals, uint32_t vals_len, uint64_t *tokens, uint64_t lease_ns,
		      uint32_t *done)
{
	struct kcache_mget_args a = {
		.size = sizeof(a),
		.flags = KCACHE_MGETF_LEASE,
		.items = kc_ptr(items),
		.keys = kc_ptr(keys),
		.vals = kc_ptr(vals),
		.nr = nr,
		.vals_len = vals_len,
		.tokens = kc_ptr(tokens),
		.lease_ns = lease_ns,
	};
	long ret = kc_ioctl(fd, KCACHE_IOC_MGET, &a);

	if (!ret && done)
		*done = a.done;
	return ret;
}

int kcache_get_or_load(int fd, const void *key, uint32_t key_len, void *val,
		       uint32_t *val_len, uint64_t wait_ns, uint64_t lease_ns,
		       kcache_loader_t loader, void *ctx, uint64_t *version)
{
	uint32_t len = *val_len, nlen = 0;
	uint64_t token = 0, ttl = 0, ver = 0;
	void *nval = NULL;
	int answer, ret;

	answer = kcache_get_or_lease(fd, key, key_len, val, &len, wait_ns, lease_ns, &ver,
				     &token);
	if (answer < 0) {
		if (answer == -EMSGSIZE)
			*val_len = len;
		return answer;
	}
	if (answer == KCACHE_GET_HIT || answer == KCACHE_GET_STALE) {
		*val_len = len;
		if (version)
			*version = ver;
		return 0;
	}
	/* KCACHE_GET_LOAD or KCACHE_GET_REFRESH: this process loads */
	ret = loader(ctx, key, key_len, &nval, &nlen, &ttl);
	if (ret < 0 || ret > 0) {
		free(nval);
		/*
		 * The lease must end: waiters would sleep until its deadline. A signal that
		 * interrupted the loader is this process's own affair: a waiter takes the
		 * lease over, as the kernel does for its loaders. Otherwise waiters get the
		 * error, if it means the same to them as to the loader: -EMSGSIZE and the
		 * restart codes do not.
		 */
		if (ret == -EINTR) {
			kcache_lease_abort(fd, token, 0);
		} else {
			if (ret > 0 || ret < -4095 || ret == -EMSGSIZE ||
			    (ret <= -512 && ret >= -530))
				ret = -EIO;
			if (kcache_lease_abort(fd, token, ret) == -EINVAL)
				kcache_lease_abort(fd, token, -EIO);
		}
		if (answer == KCACHE_GET_REFRESH) {
			/* stale while revalidate: the stale value is still good to return */
			*val_len = len;
			if (version)
				*version = ver;
			return 0;
		}
		return ret;
	}
	ret = kcache_lease_set(fd, key, key_len, nval, nlen, token, ttl ? KCACHE_SETF_TTL : 0,
			       ttl, &ver);
	if (ret == -ESTALE) {
		/* a SET or a DEL of the key came first: ours was not stored, still return it */
		ver = 0;
	} else if (ret) {
		/* a store a kill cut short (-EINTR) never gets here: the kernel hands that on */
		kcache_lease_abort(fd, token, ret);
		free(nval);
		return ret;
	}
	if (nlen > *val_len) {
		*val_len = nlen;
		free(nval);
		return -EMSGSIZE;
	}
	if (nlen)
		memcpy(val, nval, nlen);
	*val_len = nlen;
	if (version)
		*version = ver;
	free(nval);
	return 0;
}

int kcache_load_config(int fd, uint64_t *refresh_ns, uint64_t *lease_ns, int set)
{
	struct kcache_load_config_args a = {
		.size = sizeof(a),
		.flags = set ? KCACHE_LOAD_CONFIG_SET : 0,
		.refresh_ns = set ? *refresh_ns : 0,
		.lease_ns = set ? *lease_ns : 0,
	};
	long ret = kc_ioctl(fd, KCACHE_IOC_LOAD_CONFIG, &a);

	if (!ret) {
		*refresh_ns = a.refresh_ns;
		*lease_ns = a.lease_ns;
	}
	return ret;
}

int kcache_load_stats(int fd, struct kcache_load_counters *counters)
{
	struct kcache_load_stats_args a = { .size = sizeof(a) };
	long ret = kc_ioctl(fd, KCACHE_IOC_LOAD_STATS, &a);

	if (!ret)
		memcpy(counters, &a.counters, sizeof(*counters));
	return ret;
}
