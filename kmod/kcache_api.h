/* SPDX-License-Identifier: GPL-2.0 */
/* Core functions for kcache's own front doors (the cache fd), beyond the exported API. */
#ifndef _KCACHE_API_H
#define _KCACHE_API_H

#include <linux/compiler_types.h>
#include <linux/errno.h>

#include "kcache.h"

/* Shared by the read side (kcache_api.c) and the mutations (kcache_store.c). */

/* entries a paused walk handles per RCU read section */
#define KC_WALK_BATCH		64

static inline int kc_check_key(const void *key, u32 klen)
{
	if (!key || !klen)
		return -EINVAL;
	if (klen > KCACHE_KEY_MAX)
		return -E2BIG;
	return 0;
}

/**
 * struct kcache_get_wb - where a GET's caller wants the value's length and version
 * @vlen: user address of the length, in a range the caller checked with access_ok()
 * @version: user address of the version, in a range the caller checked with access_ok()
 * @done: set if kcache_get_user() (kcache_read.h) stored both, in the value copy's
 *	user-access window
 */
struct kcache_get_wb {
	u32 __user *vlen;
	u64 __user *version;
	bool done;
};

int kcache_mget_user(struct kcache *c, const void *keys, struct kcache_batch_item *items,
		     u32 nr, void __user *ubuf, u32 ubuf_len);
int kcache_store_user(struct kcache *c, const void *key, u32 klen, const void __user *uval,
		      u32 vlen, u64 ttl_ns, u32 flags, bool cas, u64 expected, u64 *version);
size_t kcache_entry_overhead(void);

struct kcache_load_claim;
/* a store that completes a load or lease (kcache_load.c); NULL claim: kcache_set() */
int kcache_store_claimed(struct kcache *c, const void *key, u32 klen, const void *val,
			 u32 vlen, u64 ttl_ns, u32 flags, const struct kcache_load_claim *claim,
			 u64 *version);

#endif /* _KCACHE_API_H */
