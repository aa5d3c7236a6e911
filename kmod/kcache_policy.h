/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache eviction policies: W-TinyLFU with an adaptive window, and LRU.
 *
 * Plain C over plain structs with no locks of their own: the cache's maintenance mutex
 * serialises every call. The same file builds in the kernel and, for trace replay, in
 * userspace (see selftests/policy/).
 */
#ifndef _KCACHE_POLICY_H
#define _KCACHE_POLICY_H

#ifdef __KERNEL__
#include <linux/list.h>
#include <linux/types.h>
#else
#include "kcache_policy_user.h"
#endif

/* Which list a node is on. */
enum kc_queue {
	KC_Q_NONE = 0,
	KC_Q_WINDOW,
	KC_Q_PROBATION,
	KC_Q_PROTECTED,
};

/**
 * struct kc_pnode - the policy's part of an entry
 * @link: position in one of the policy's lists
 * @hash: hash of the key (input of the frequency sketch)
 * @weight: bytes charged for the entry
 * @queue: an &enum kc_queue
 */
struct kc_pnode {
	struct list_head link;
	u32 hash;
	u32 weight;
	u8 queue;
};


#endif /* _KCACHE_POLICY_H */
