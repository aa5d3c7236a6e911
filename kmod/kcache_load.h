/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache single-flight loading: kcache_get_or_load() for kernel callers, leases for
 * processes, refresh ahead. See kcache_load.c and Documentation/loading.rst.
 */
#ifndef _KCACHE_LOAD_H
#define _KCACHE_LOAD_H

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "kcache.h"

struct kcache;
struct kcache_entry;
struct kcache_get_args;
struct kcache_mget_args;
struct kcache_set_args;
struct kc_stripe;
struct kcache_load;

/**
 * struct kcache_loads - a cache's single-flight state, embedded in &struct kcache
 * @next_token: last lease token handed out (tokens are never 0)
 * @refresh_ns: refresh margin: an entry is stale from its deadline minus this on (0: off)
 * @lease_ns: deadline of a lease GET that asks for none
 * @dead: shutdown started; set before the stripes are swept, read under a stripe lock
 * @started: loads begun: leases granted (handovers and refreshes too), kernel loads
 * @succeeded: loads whose holder stored the value
 * @failed: kernel loader errors and ABORTs with an error
 * @served: waiters that received a value or an error from a load
 * @handed_over: leases that ended without a value and went to a waiter
 * @expired: leases whose deadline passed
 * @revoked: leases ended by a delete or invalidate of their key
 * @in_flight: records in the stripes' lists
 */
struct kcache_loads {
	atomic64_t next_token;
	u64 refresh_ns;
	u64 lease_ns;
	bool dead;
	atomic64_t started;
	atomic64_t succeeded;
	atomic64_t failed;
	atomic64_t served;
	atomic64_t handed_over;
	atomic64_t expired;
	atomic64_t revoked;
	atomic64_t in_flight;
};

/**
 * struct kcache_lease_owner - the leases one cache fd holds; in the fd's private data
 * @lock: protects @list and @next_expiry; taken inside a stripe lock, or alone
 * @list: the records whose lease this fd holds (&struct kcache_load.owner_link)
 * @nr: leases in @list plus those being granted, at most %KCACHE_LEASES_PER_FD_MAX
 * @next_expiry: no lease in @list expires before this ktime (a lower bound)
 */
struct kcache_lease_owner {
	spinlock_t lock;	/* protects list, next_expiry */
	struct list_head list;
	atomic_t nr;
	u64 next_expiry;
};

/**
 * struct kcache_load_claim - what a store that completes a load carries into the core
 * @owner: the fd holding the lease; NULL for an in-kernel load
 * @token: the lease token
 *
 * The core passes it to kcache_loads_claim() under the key's stripe lock before it
 * changes the table; a claim that no longer holds aborts the store.
 */
struct kcache_load_claim {
	const struct kcache_lease_owner *owner;
	u64 token;
};

/*
 * An error a load's waiters may be given, processes among them: not one of the kernel's
 * own codes (-ERESTARTSYS and the others up to -ERECALLCONFLICT), which userspace must
 * never see and which would restart a waiter's system call; nor one whose answer to a GET
 * means something else: -EINTR (the caller was killed), -EMSGSIZE (its buffer is too
 * small, length set); nor one outside the errno range. LEASE_ABORT refuses the others; an
 * in-kernel loader's become -EIO.
 */
static inline bool kcache_load_error_ok(int error)
{
	if (error < -MAX_ERRNO || error > 0)
		return false;
	if (error <= -ERESTARTSYS && error >= -ERECALLCONFLICT)
		return false;
	return error != -EINTR && error != -EMSGSIZE;
}

/*
 * An error that tells what befell the loading task, not the key: a signal interrupted it
 * (-EINTR, the restart codes). The callers waiting for its load were not: the load passes
 * to one of them, as it does when a holder is killed or closes its fd, and only the
 * holder gets the error. -EAGAIN is not one: "try again" means the same to a waiter, and
 * a waiter would load again only to be told to try again itself.
 */
static inline bool kcache_load_error_own(int error)
{
	switch (error) {
	case -EINTR:
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		return true;
	}
	return false;
}

/* The core's lifecycle hooks (design §8): init at create, shutdown on destroy, uninit last */
int kcache_loads_init(struct kcache *c);
void kcache_loads_shutdown(struct kcache *c);
void kcache_loads_uninit(struct kcache *c);
#ifdef KCACHE_TESTS
u32 kcache_test_load_waiters(struct kcache *c, const void *key, u32 klen);
#endif

/* The write path's hooks, under the key's stripe lock (see kcache_load.c) */
int kcache_loads_claim(struct kcache *c, struct kc_stripe *s, const void *key, u32 klen,
		       const struct kcache_load_claim *claim);
void kcache_loads_on_store(struct kcache *c, struct kc_stripe *s,
			   const struct kcache_entry *e, bool claimed);
void kcache_loads_on_remove(struct kcache *c, struct kc_stripe *s, const void *key,
			    u32 klen, u32 hash, u8 cause);
/* An invalidate's hook: takes each stripe's lock itself */
void kcache_loads_on_invalidate(struct kcache *c, const void *prefix, u32 plen);

/* A record's life as the front ends drive it (kcache_load_fd.c, kcache_load_kernel.c) */
/* What kcache_load_begin() found. */
enum kc_begin {
	KC_BEGIN_HIT,		/* live fresh entry, pinned */
	KC_BEGIN_STALE,		/* stale entry pinned; someone refreshes it */
	KC_BEGIN_REFRESH,	/* stale entry pinned; the caller holds the refresh lease */
	KC_BEGIN_LOAD,		/* the caller holds the lease */
	KC_BEGIN_WAIT,		/* another holder loads; the caller is a waiter */
	KC_BEGIN_BUSY,		/* another holder loads and the caller may not wait */
};

/* What kcache_load_wait() ended with (or a negative errno). */
enum kc_wait {
	KC_WAIT_DONE = 1,	/* the record holds a result */
	KC_WAIT_LEASE,		/* the caller took the lease over */
	KC_WAIT_RETRY,		/* a revoked load's holder left: begin again */
};

int kcache_load_begin(struct kcache *c, const void *key, u32 klen,
		      struct kcache_lease_owner *o, u64 lease_ns, u32 bufsz, bool may_wait,
		      struct kcache_load **rp, struct kcache_entry **ep, u64 *token);
int kcache_load_wait(struct kcache *c, struct kcache_load *r, struct kcache_lease_owner *o,
		     u64 lease_ns, u64 until, u64 *token);
int kcache_load_value(const struct kcache_load *r, const void **val, u32 *len,
		      u64 *version);
int kcache_load_result_user(struct kcache_load *r, void __user *ubuf, u32 *vlen,
			    u64 *version);
bool kcache_load_finish(struct kcache *c, struct kcache_load *r, u64 token, int err,
			bool stored, void **val, u32 vlen);
void kcache_load_put(struct kcache_load *r);
void kcache_lease_owner_init(struct kcache_lease_owner *o);
void kcache_lease_owner_release(struct kcache *c, struct kcache_lease_owner *o);
int kcache_lease_abort(struct kcache *c, struct kcache_lease_owner *o, u64 token, int error);

/* The cache fd's ioctl handlers (kcache_load_fd.c), which the fd dispatcher calls */
int kcache_lease_ioctl_get(struct kcache *c, struct kcache_lease_owner *o, u32 access,
			   void __user *uarg, struct kcache_get_args *a);
int kcache_lease_ioctl_set(struct kcache *c, struct kcache_lease_owner *o, u32 access,
			   void __user *uarg, struct kcache_set_args *a);
int kcache_lease_ioctl_mget(struct kcache *c, struct kcache_lease_owner *o, u32 access,
			    void __user *uarg, struct kcache_mget_args *a);
int kcache_lease_ioctl_abort(struct kcache *c, struct kcache_lease_owner *o, u32 access,
			     void __user *uarg);
int kcache_load_ioctl_config(struct kcache *c, u32 access, void __user *uarg);
int kcache_load_ioctl_stats(struct kcache *c, void __user *uarg);

#endif /* _KCACHE_LOAD_H */
