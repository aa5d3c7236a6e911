/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache eviction policies: an adaptive one (W-TinyLFU and S3-FIFO configurations chosen by
 * shadow caches, see kcache_policy.c), and LRU.
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
	KC_Q_WINDOW,		/* W-TinyLFU window, S3-FIFO small queue */
	KC_Q_PROBATION,		/* main: W-TinyLFU probation, S3-FIFO main FIFO */
	KC_Q_PROTECTED,		/* main: W-TinyLFU protected (empty in S3-FIFO mode) */
};

#define KC_NR_QUEUES		4	/* indexed by &enum kc_queue; slot 0 unused */
#define KC_FREQ_MAX		3	/* saturation of &struct kc_pnode.freq */

/**
 * struct kc_pnode - the policy's part of an entry (24 bytes: it sits in the entry header)
 * @link: position in one of the policy's lists
 * @hash: hash of the key (input of the frequency sketch and the ghost)
 * @queue: an &enum kc_queue
 * @freq: S3-FIFO's counter: hits in S3-FIFO mode since it entered its queue, saturating at
 *	%KC_FREQ_MAX (W-TinyLFU mode leaves it at 0)
 * @owner_bits: the embedder's, never read or written by the policy; its byte is shared
 *	with @queue and @freq, so they change only under the policy's serialisation
 * @owner: the embedder's, never read or written by the policy
 *
 * An entry's weight is not here: the policy asks &struct kc_policy.weight, so that the
 * embedder can derive it from what it stores anyway (kcache: the key and value lengths).
 */
struct kc_pnode {
	struct list_head link;
	u32 hash;
	u8 queue:2;
	u8 freq:2;
	u8 owner_bits:4;
	u8 owner[3];
};

/* The weight of the entry holding @n: constant while @n is in the policy. */
typedef u32 (*kc_weight_fn)(const struct kc_pnode *n);

/* Window sizes are fractions of the capacity in parts per thousand. */
#define KC_WIN_ONE		1000U

/* How the real cache (and each shadow) treats its queues; see kcache_policy.c. */
enum kc_family {
	KC_FAM_TINYLFU,		/* LRU window, TinyLFU admission, SLRU main */
	KC_FAM_S3FIFO,		/* FIFO small queue, ghost admission, 2-bit CLOCK main */
};

/* Shadow caches compared by the climber, one per candidate configuration. */
#define KC_SHADOWS		8

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
 * struct kc_ghost - hashes of recently evicted keys, remembered for a bounded number of evictions
 * @slots: 4-way buckets of (fingerprint | coarse insertion time); 0 is an empty slot
 * @mask: number of buckets - 1
 * @clock: insertions so far
 * @span: a key counts as present for this many insertions after its own
 * @shift: log2 of the time unit stored in a slot, in insertions
 * @sweep: next slot the stale-slot sweep looks at
 * @seed: per-policy secret of the bucket and fingerprint hash
 */
struct kc_ghost {
	u16 *slots;
	u32 mask;
	u32 clock;
	u32 span;
	u32 shift;
	u32 sweep;
	u64 seed;
};

/**
 * struct kc_snode - an entry of a shadow cache (array indices instead of pointers)
 * @prev: previous node on the node's list
 * @next: next node on the node's list, or next free node
 * @hnext: next node in the same hash bucket (0 ends the chain)
 * @hash: the key's hash as given to the policy
 * @queue: an &enum kc_queue
 * @freq: as &struct kc_pnode.freq
 */
struct kc_snode {
	u32 prev;
	u32 next;
	u32 hnext;
	u32 hash;
	u16 queue;
	u16 freq;
};

/**
 * struct kc_shadow - a miniature cache of one configuration, fed with sampled keys
 * @nodes: list sentinels at indices 0..%KC_NR_QUEUES - 1, then @cap + 1 entries
 * @buckets: hash heads, 0 for empty
 * @ghost: the S3-FIFO ghost of this shadow (unused by W-TinyLFU shadows)
 * @family: an &enum kc_family
 * @promote: S3-FIFO: hits in the small queue that earn a place in main
 * @frac: window size in parts per thousand of @cap
 * @cap: capacity in entries
 * @win_max: window capacity
 * @prot_max: protected capacity
 * @nr: entries per queue
 * @free: head of the free node list (0 when empty)
 * @score: hits, decaying as &struct kc_policy.wins
 */
struct kc_shadow {
	struct kc_snode *nodes;
	u32 *buckets;
	struct kc_ghost ghost;
	u32 family;
	u32 promote;
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
 * @weight: the weight of an entry (kc_weight_fn)
 * @max_entries: bound on the number of entries
 * @max_weight: bound on the sum of the entries' weights
 * @q: window, probation and protected lists (LRU uses the window list only), head = coldest
 * @nr: entries per queue
 * @wt: weight per queue
 * @family: how the queues are run now, an &enum kc_family
 * @promote: S3-FIFO: hits in the small queue that earn a place in main
 * @win_frac: current window size in parts per thousand of the bounds
 * @cfg: index of the shadow whose configuration the cache runs
 * @frozen: the climber is off (fixed configuration, for reference runs and tests)
 * @win_max_e: window capacity in entries
 * @win_max_w: window capacity in weight
 * @prot_max_e: protected capacity in entries
 * @prot_max_w: protected capacity in weight
 * @sketch: frequency estimates of recently seen keys
 * @ghost: keys recently evicted from the window (S3-FIFO's ghost queue)
 * @rng: state of the deterministic generator behind the random admissions
 * @sample_seed: secret of the hash that picks the keys fed to the shadows
 * @sample_thresh: a key is sampled when its sample hash is below this (out of 2^32)
 * @eff_entries: entry capacity the shadows model (smaller than @max_entries when weight binds)
 * @shadow_alloc: entries allocated per shadow
 * @bucket_bits: log2 of the number of hash buckets per shadow
 * @samples: sampled requests in the current epoch
 * @epoch_len: sampled requests per epoch of the climber
 * @switches: configuration changes so far (statistics)
 * @short_hits: (decaying) sampled requests the shadow of the current configuration hit and
 *	the real cache missed, less the converse, since the last switch: what it cost
 * @switch_cost: @short_hits when the last configuration entered from the other family was
 *	left, decaying: a lead must exceed it to change the family
 * @crossed: the current configuration was entered from the other family
 * @led: bit i: shadow i led the current configuration significantly at the last epoch end
 * @wins: @wins[i][j] counts (decaying) sampled requests that shadow i hit and shadow j missed
 * @shadow: one miniature cache per candidate configuration
 * @mem: the single allocation holding the sketch, the ghosts and the shadows
 * @mem_bytes: its size
 */
struct kc_policy {
	int kind;
	kc_weight_fn weight;
	u64 max_entries;
	u64 max_weight;
	struct list_head q[KC_NR_QUEUES];
	u64 nr[KC_NR_QUEUES];
	u64 wt[KC_NR_QUEUES];
	u32 family;
	u32 promote;
	u32 win_frac;
	u32 cfg;
	bool frozen;
	u64 win_max_e;
	u64 win_max_w;
	u64 prot_max_e;
	u64 prot_max_w;
	struct kc_sketch sketch;
	struct kc_ghost ghost;
	u64 rng;
	u64 sample_seed;
	u64 sample_thresh;
	u64 eff_entries;
	u32 shadow_alloc;
	u32 bucket_bits;
	u32 samples;
	u32 epoch_len;
	u64 switches;
	u32 short_hits;
	u32 switch_cost;
	bool crossed;
	u32 led;
	u32 wins[KC_SHADOWS][KC_SHADOWS];
	struct kc_shadow shadow[KC_SHADOWS];
	void *mem;
	u64 mem_bytes;
};

int kcache_policy_init(struct kc_policy *p, int kind, u64 max_entries, u64 max_weight, u64 seed,
		       kc_weight_fn weight);
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
u64 kcache_policy_footprint(const struct kc_policy *p);

/* Exposed for the KUnit suite. */
void kcache_sketch_increment(struct kc_sketch *s, u32 hash);
u32 kcache_sketch_frequency(const struct kc_sketch *s, u32 hash);
bool kcache_policy_admit(struct kc_policy *p, u32 candidate, u32 victim);
void kcache_ghost_add(struct kc_ghost *g, u32 hash);
bool kcache_ghost_take(struct kc_ghost *g, u32 hash);
bool kcache_climb_leads(u32 wins, u32 losses);
int kcache_policy_pin_config(struct kc_policy *p, u32 cfg);

#endif /* _KCACHE_POLICY_H */
