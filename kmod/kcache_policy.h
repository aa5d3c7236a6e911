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
#include <linux/export.h>
#include <linux/list.h>
#include <linux/types.h>
#include "kcache.h"

/*
 * Internals the KUnit suites (a separate module) call: exported, in a namespace of their
 * own, only in the test build (KCACHE_TESTS=y); the product exports only its API.
 */
#ifdef KCACHE_TESTS
#define EXPORT_SYMBOL_IF_KCACHE_TESTS(sym)	EXPORT_SYMBOL_NS_GPL(sym, KCACHE_INTERNAL)
#else
#define EXPORT_SYMBOL_IF_KCACHE_TESTS(sym)
#endif
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

#define KC_NR_QUEUES		4	/* indexed by &enum kc_queue; slot 0 unused */

/* Window sizes are fractions of the capacity in parts per thousand. */
#define KC_WIN_ONE		1000U

/* Shadow caches compared by the window climber, one per candidate window size. */
#define KC_SHADOWS		6

/**
 * struct kc_sketch - count-min sketch of 4-bit counters (as Caffeine's FrequencySketch)
 * @table: 16 counters per word; an item owns one counter in each of 4 words
 * @mask: number of words - 1 (a power of two minus one)
 * @additions: increments since the last halving
 * @period: halve all counters when @additions reaches this (10 x capacity)
 * @seed: per-policy secret mixed into every hash, so keys cannot be chosen to collide
 */
struct kc_sketch {
	u64 *table;
	u64 mask;
	u64 additions;
	u64 period;
	u64 seed;
};

/**
 * struct kc_snode - an entry of a shadow cache (array indices instead of pointers)
 * @prev: previous node on the node's list
 * @next: next node on the node's list, or next free node
 * @hnext: next node in the same hash bucket (0 ends the chain)
 * @hash: the key's hash as given to the policy
 * @queue: an &enum kc_queue
 */
struct kc_snode {
	u32 prev;
	u32 next;
	u32 hnext;
	u32 hash;
	u32 queue;
};

/**
 * struct kc_shadow - a miniature W-TinyLFU with a fixed window, fed with sampled keys
 * @nodes: list sentinels at indices 0..%KC_NR_QUEUES - 1, then @cap + 1 entries
 * @buckets: hash heads, 0 for empty
 * @frac: window size in parts per thousand of @cap
 * @cap: capacity in entries
 * @win_max: window capacity
 * @prot_max: protected capacity
 * @nr: entries per queue
 * @free: head of the free node list (0 when empty)
 * @score: hits, decayed every epoch
 */
struct kc_shadow {
	struct kc_snode *nodes;
	u32 *buckets;
	u32 frac;
	u32 cap;
	u32 win_max;
	u32 prot_max;
	u32 nr[KC_NR_QUEUES];
	u32 free;
	u32 score;
};

/**
 * struct kc_policy - eviction state of one cache
 * @kind: an &enum kcache_policy_kind
 * @max_entries: bound on the number of entries
 * @max_weight: bound on the sum of the entries' weights
 * @q: window, probation and protected lists (LRU uses the window list only), head = coldest
 * @nr: entries per queue
 * @wt: weight per queue
 * @win_frac: current window size in parts per thousand of the bounds
 * @win_max_e: window capacity in entries
 * @win_max_w: window capacity in weight
 * @prot_max_e: protected capacity in entries
 * @prot_max_w: protected capacity in weight
 * @sketch: frequency estimates of recently seen keys
 * @rng: state of the deterministic generator behind the random admissions
 * @sample_seed: secret of the hash that picks the keys fed to the shadows
 * @sample_thresh: a key is sampled when its sample hash is below this (out of 2^32)
 * @eff_entries: entry capacity the shadows model (smaller than @max_entries when weight binds)
 * @weight_bound: the last eviction was due to weight, not count
 * @shadow_alloc: entries allocated per shadow
 * @bucket_bits: log2 of the number of hash buckets per shadow
 * @samples: sampled requests in the current epoch
 * @epoch_len: sampled requests per epoch of the climber
 * @requests: decaying count of sampled requests, on the shadows' scale
 * @lead: hits by which a shadow must lead the current window's to move the window there
 * @shadow: one miniature cache per candidate window size
 * @mem: the single allocation holding the sketch and the shadows
 */
struct kc_policy {
	int kind;
	u64 max_entries;
	u64 max_weight;
	struct list_head q[KC_NR_QUEUES];
	u64 nr[KC_NR_QUEUES];
	u64 wt[KC_NR_QUEUES];
	u32 win_frac;
	u64 win_max_e;
	u64 win_max_w;
	u64 prot_max_e;
	u64 prot_max_w;
	struct kc_sketch sketch;
	u64 rng;
	u64 sample_seed;
	u64 sample_thresh;
	u64 eff_entries;
	bool weight_bound;
	u32 shadow_alloc;
	u32 bucket_bits;
	u32 samples;
	u32 epoch_len;
	u32 lead;
	u32 requests;
	struct kc_shadow shadow[KC_SHADOWS];
	void *mem;
};

int kcache_policy_init(struct kc_policy *p, int kind, u64 max_entries, u64 max_weight, u64 seed);
void kcache_policy_destroy(struct kc_policy *p);
void kcache_policy_add(struct kc_policy *p, struct kc_pnode *n);
void kcache_policy_access(struct kc_policy *p, struct kc_pnode *n);
void kcache_policy_miss(struct kc_policy *p, u32 hash);
void kcache_policy_remove(struct kc_policy *p, struct kc_pnode *n);
void kcache_policy_replace(struct kc_policy *p, struct kc_pnode *old, struct kc_pnode *new);
struct kc_pnode *kcache_policy_evict(struct kc_policy *p);
struct kc_pnode *kcache_policy_coldest(struct kc_policy *p);
void kcache_policy_set_limits(struct kc_policy *p, u64 max_entries, u64 max_weight);
u64 kcache_policy_entries(const struct kc_policy *p);
u64 kcache_policy_weight(const struct kc_policy *p);

/* Exposed for the KUnit suite. */
void kcache_sketch_increment(struct kc_sketch *s, u32 hash);
u32 kcache_sketch_frequency(const struct kc_sketch *s, u32 hash);
bool kcache_policy_admit(struct kc_policy *p, u32 candidate, u32 victim);

#endif /* _KCACHE_POLICY_H */
