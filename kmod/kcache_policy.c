// SPDX-License-Identifier: GPL-2.0
/*
 * kcache eviction policies: W-TinyLFU with an adaptive window, and LRU.
 *
 * Locking: none. The cache's maintenance mutex serialises every call into this file, so the
 * lists, counters, sketch and shadows below are only ever touched by one thread at a time.
 * Nothing here sleeps or allocates except kcache_policy_init().
 *
 * W-TinyLFU (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient Cache Admission
 * Policy"): new entries enter a small LRU window; the window's LRU entry (the candidate)
 * enters the main segmented LRU only if the frequency sketch says it is seen more often than
 * main's probation victim. Main is split probation/protected 20/80; a hit in probation
 * promotes to protected, protected overflow is demoted back to probation.
 *
 * The window size adapts. A fixed 1% window loses up to 10 points to LRU on recency-skewed
 * traces, and climbing on the cache's own hit rate (Caffeine) is too noisy and too slow to
 * find the right side. Instead a few miniature caches ("shadows", after Waldspurger et al.,
 * "Cache Modeling and Optimization using Miniature Simulations", ATC'17) run W-TinyLFU with
 * fixed window sizes from 1% to 100% (100% is plain LRU) on a spatially sampled subset of
 * the keys, scaled down to the same sampled capacity. Every epoch the real window moves to
 * the size whose shadow has recently hit most. The shadows share the real sketch, so they
 * cost one table walk per shadow for each sampled request only; sampling caps their size.
 *
 * The same file builds in userspace against selftests/policy/kcache_policy_user.h.
 */
#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#endif

#include "kcache_policy.h"

#define KC_SKETCH_MAX_WORDS	BIT(22)		/* 32 MiB: enough for 4M entries */
#define KC_SKETCH_PERIOD_MULT	10		/* halve after 10 x capacity increments */
#define KC_MIN_ENTRY_WEIGHT	64		/* an entry costs at least its metadata */
#define KC_PROTECTED_PERMILLE	800		/* of main */
#define KC_WIN_INITIAL		10		/* 1% */

/*
 * Hash-flooding defence: a warm candidate that loses to the victim is still admitted now
 * and then, so that keys colliding with a hot victim cannot lock the cache. Caffeine admits
 * 1 in 128; the per-cache sketch seed already stops targeted collisions, and 1 in 128
 * costs 3.5 points on loop-shaped traces (all keys equally hot), so 1 in 1024.
 */
#define KC_ADMIT_FLOOD_MIN	6
#define KC_ADMIT_FLOOD_MASK	1023

/*
 * Window climber. Shadows hold up to KC_SHADOW_MAX sampled entries (512 models big caches
 * as well as 1024 on the shared traces). Scores are hits, decayed by 1/32 every epoch of
 * max(shadow capacity, 256) samples: memory must outlast a traversal of the working set,
 * or cyclic patterns (zigzag) make the leader change every half cycle. Moving the window
 * costs hits while the lists re-balance, so a shadow must lead the current window's by a
 * quarter of an epoch's samples and by 1/8 of min(hits, misses) (the noise grows with both).
 */
#define KC_SHADOW_MAX		512
#define KC_EPOCH_MIN		256
#define KC_DECAY_SHIFT		5
#define KC_LEAD_SHIFT		2
#define KC_REL_SHIFT		3
#define KC_LEAD_MIN		8

/* Candidate window sizes, per mille: tiny for frequency-skewed loads, 100% is LRU. */
static const u16 kc_shadow_frac[KC_SHADOWS] = { 10, 100, 250, 500, 750, 1000 };

static const u64 kc_sketch_seeds[4] = {
	0xc3a5c85c97cb3127ULL, 0xb492b66fbe98f273ULL,
	0x9ae16a3b2f90404fULL, 0xcbf29ce484222325ULL,
};

/* splitmix64's finaliser: every input bit affects every output bit. */
static u64 kc_mix64(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static u32 kc_mix32(u32 hash, u64 seed)
{
	return kc_mix64(hash ^ seed) >> 32;
}

/* Deterministic so that traces replay identically in the kernel and in userspace. */
static u32 kc_rand(struct kc_policy *p)
{
	p->rng += 0x9e3779b97f4a7c15ULL;
	return kc_mix64(p->rng) >> 32;
}

/* x * permille / 1000 without overflow for any u64 x. */
static u64 kc_permille(u64 x, u32 permille)
{
	u32 rem;
	u64 q = div_u64_rem(x, KC_WIN_ONE, &rem);

	return q * permille + (u64)rem * permille / KC_WIN_ONE;
}

/* --- frequency sketch ------------------------------------------------------------------ */

static u64 kc_sketch_index(const struct kc_sketch *s, u32 item, int i)
{
	u64 h = (item + kc_sketch_seeds[i]) * kc_sketch_seeds[i];

	h += h >> 32;
	return h & s->mask;
}

/*
 * Aging: halve every counter so that old popularity fades. The odd counters lose half a
 * count each; subtracting them keeps @additions an honest count of what is left.
 */
static void kc_sketch_reset(struct kc_sketch *s)
{
	u64 odd = 0, i, sub;

	for (i = 0; i <= s->mask; i++) {
		odd += hweight64(s->table[i] & 0x1111111111111111ULL);
		s->table[i] = (s->table[i] >> 1) & 0x7777777777777777ULL;
	}
	sub = odd >> 2;
	s->additions >>= 1;
	s->additions = s->additions > sub ? s->additions - sub : 0;
}

/**
 * kcache_sketch_increment() - count one occurrence of a key
 * @s: the sketch
 * @hash: the key's hash
 *
 * Each of the key's four counters below 15 is incremented; when the number of increments
 * reaches the sample period, every counter is halved.
 */
void kcache_sketch_increment(struct kc_sketch *s, u32 hash)
{
	u32 item = kc_mix32(hash, s->seed);
	u32 start = (item & 3) << 2;
	bool added = false;
	int i;

	for (i = 0; i < 4; i++) {
		u64 idx = kc_sketch_index(s, item, i);
		u32 shift = (start + i) << 2;

		if (((s->table[idx] >> shift) & 15) != 15) {
			s->table[idx] += 1ULL << shift;
			added = true;
		}
	}
	if (added && ++s->additions >= s->period)
		kc_sketch_reset(s);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_sketch_increment);

/**
 * kcache_sketch_frequency() - estimated recent occurrences of a key
 * @s: the sketch
 * @hash: the key's hash
 *
 * Return: the minimum of the key's four counters, 0..15.
 */
u32 kcache_sketch_frequency(const struct kc_sketch *s, u32 hash)
{
	u32 item = kc_mix32(hash, s->seed);
	u32 start = (item & 3) << 2;
	u32 freq = 15;
	int i;

	for (i = 0; i < 4; i++) {
		u64 idx = kc_sketch_index(s, item, i);
		u32 c = (s->table[idx] >> ((start + i) << 2)) & 15;

		freq = min(freq, c);
	}
	return freq;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_sketch_frequency);

/**
 * kcache_policy_admit() - TinyLFU admission: should a window candidate replace a main victim?
 * @p: the policy
 * @candidate: hash of the key leaving the window
 * @victim: hash of main's coldest key
 *
 * An attacker who floods the cache with keys colliding with a hot victim would otherwise
 * keep every candidate out; admitting warm candidates at random (1 in 128, as Caffeine does)
 * breaks that without hurting normal loads.
 *
 * Return: true to admit the candidate and evict the victim.
 */
bool kcache_policy_admit(struct kc_policy *p, u32 candidate, u32 victim)
{
	u32 cf = kcache_sketch_frequency(&p->sketch, candidate);
	u32 vf = kcache_sketch_frequency(&p->sketch, victim);

	if (cf > vf)
		return true;
	if (cf < KC_ADMIT_FLOOD_MIN)
		return false;
	return (kc_rand(p) & KC_ADMIT_FLOOD_MASK) == 0;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_admit);

/* --- shadow caches ----------------------------------------------------------------------- */

static void kc_sh_unlink(struct kc_snode *nd, u32 i)
{
	nd[nd[i].prev].next = nd[i].next;
	nd[nd[i].next].prev = nd[i].prev;
}

/* The sentinel of queue q is node q, so "append to q" needs no other lookup. */
static void kc_sh_append(struct kc_snode *nd, u32 i, u32 q)
{
	u32 tail = nd[q].prev;

	nd[i].prev = tail;
	nd[i].next = q;
	nd[tail].next = i;
	nd[q].prev = i;
	nd[i].queue = q;
}

static void kc_sh_move(struct kc_shadow *sh, u32 i, u32 q)
{
	sh->nr[sh->nodes[i].queue]--;
	kc_sh_unlink(sh->nodes, i);
	kc_sh_append(sh->nodes, i, q);
	sh->nr[q]++;
}

/* First node of queue q, 0 if none. */
static u32 kc_sh_first(const struct kc_shadow *sh, u32 q)
{
	u32 i = sh->nodes[q].next;

	return i == q ? 0 : i;
}

static void kc_sh_evict(struct kc_shadow *sh, u32 i, u32 bucket)
{
	struct kc_snode *nd = sh->nodes;
	u32 *link = &sh->buckets[bucket];

	while (*link != i)
		link = &nd[*link].hnext;
	*link = nd[i].hnext;
	sh->nr[nd[i].queue]--;
	kc_sh_unlink(nd, i);
	nd[i].queue = KC_Q_NONE;
	nd[i].next = sh->free;
	sh->free = i;
}

static u32 kc_sh_bucket(const struct kc_policy *p, u32 hash)
{
	return (kc_mix32(hash, p->sample_seed) * 0x9e3779b1U) >> (32 - p->bucket_bits);
}

/* One request for a sampled key: the same W-TinyLFU steps as the real cache. */
static bool kc_sh_request(struct kc_policy *p, struct kc_shadow *sh, u32 hash, u32 bucket)
{
	struct kc_snode *nd = sh->nodes;
	u32 i, cand = 0, victim;

	for (i = sh->buckets[bucket]; i; i = nd[i].hnext)
		if (nd[i].hash == hash)
			break;
	if (i) {
		sh->score++;
		if (nd[i].queue == KC_Q_PROBATION) {
			kc_sh_move(sh, i, KC_Q_PROTECTED);
			if (sh->nr[KC_Q_PROTECTED] > sh->prot_max)
				kc_sh_move(sh, nd[KC_Q_PROTECTED].next, KC_Q_PROBATION);
		} else {
			kc_sh_move(sh, i, nd[i].queue);
		}
		return true;
	}

	i = sh->free;
	sh->free = nd[i].next;
	nd[i].hash = hash;
	nd[i].hnext = sh->buckets[bucket];
	sh->buckets[bucket] = i;
	kc_sh_append(nd, i, KC_Q_WINDOW);
	sh->nr[KC_Q_WINDOW]++;
	if (sh->nr[KC_Q_WINDOW] + sh->nr[KC_Q_PROBATION] + sh->nr[KC_Q_PROTECTED] <= sh->cap) {
		if (sh->nr[KC_Q_WINDOW] > sh->win_max)
			kc_sh_move(sh, nd[KC_Q_WINDOW].next, KC_Q_PROBATION);
		return false;
	}

	if (sh->nr[KC_Q_WINDOW] > sh->win_max)
		cand = nd[KC_Q_WINDOW].next;
	victim = kc_sh_first(sh, KC_Q_PROBATION);
	if (!victim)
		victim = kc_sh_first(sh, KC_Q_PROTECTED);
	if (cand && victim) {
		if (kcache_policy_admit(p, nd[cand].hash, nd[victim].hash))
			kc_sh_move(sh, cand, KC_Q_PROBATION);
		else
			victim = cand;
	} else if (!victim) {
		victim = nd[KC_Q_WINDOW].next;
	}
	kc_sh_evict(sh, victim, kc_sh_bucket(p, nd[victim].hash));
	return false;
}

static void kc_sh_reset(struct kc_policy *p, struct kc_shadow *sh, u32 cap)
{
	struct kc_snode *nd = sh->nodes;
	u32 i, n = KC_NR_QUEUES + p->shadow_alloc + 1;

	for (i = 0; i < KC_NR_QUEUES; i++) {
		nd[i].prev = i;
		nd[i].next = i;
		sh->nr[i] = 0;
	}
	sh->free = 0;
	for (i = n - 1; i >= KC_NR_QUEUES; i--) {
		nd[i].queue = KC_Q_NONE;
		nd[i].next = sh->free;
		sh->free = i;
	}
	for (i = 0; i < (1U << p->bucket_bits); i++)
		sh->buckets[i] = 0;
	sh->cap = cap;
	sh->win_max = max_t(u32, 1, kc_permille(cap, sh->frac));
	sh->prot_max = kc_permille(cap - min(cap, sh->win_max), KC_PROTECTED_PERMILLE);
	sh->score = 0;
}

/*
 * Model a cache of @entries entries: sample about KC_SHADOW_MAX of every @entries keys and
 * give each shadow the matching scaled-down capacity.
 */
static void kc_shadows_config(struct kc_policy *p, u64 entries)
{
	u32 cap = min_t(u64, p->shadow_alloc, max_t(u64, entries, 1));
	int i;

	p->eff_entries = entries;
	p->sample_thresh = cap >= entries ? 1ULL << 32 : div64_u64((u64)cap << 32, entries);
	p->samples = 0;
	p->requests = 0;
	p->epoch_len = max_t(u32, cap, KC_EPOCH_MIN);
	p->lead = max_t(u32, KC_LEAD_MIN, p->epoch_len >> KC_LEAD_SHIFT);
	for (i = 0; i < KC_SHADOWS; i++)
		kc_sh_reset(p, &p->shadow[i], cap);
}

/* --- real lists -------------------------------------------------------------------------- */

static struct kc_pnode *kc_head(struct kc_policy *p, int q)
{
	return list_first_entry_or_null(&p->q[q], struct kc_pnode, link);
}

static void kc_link(struct kc_policy *p, struct kc_pnode *n, int q)
{
	list_add_tail(&n->link, &p->q[q]);
	n->queue = q;
	p->nr[q]++;
	p->wt[q] += n->weight;
}

static struct kc_pnode *kc_unlink(struct kc_policy *p, struct kc_pnode *n)
{
	list_del_init(&n->link);
	p->nr[n->queue]--;
	p->wt[n->queue] -= n->weight;
	n->queue = KC_Q_NONE;
	return n;
}

static void kc_move(struct kc_policy *p, struct kc_pnode *n, int q)
{
	kc_unlink(p, n);
	kc_link(p, n, q);
}

static bool kc_over_bounds(const struct kc_policy *p)
{
	return kcache_policy_entries(p) > p->max_entries || kcache_policy_weight(p) > p->max_weight;
}

static bool kc_window_over(const struct kc_policy *p)
{
	return p->nr[KC_Q_WINDOW] > p->win_max_e || p->wt[KC_Q_WINDOW] > p->win_max_w;
}

static bool kc_protected_over(const struct kc_policy *p)
{
	return p->nr[KC_Q_PROTECTED] > p->prot_max_e || p->wt[KC_Q_PROTECTED] > p->prot_max_w;
}

/* Derive the queue capacities from the bounds and the window fraction. */
static void kc_retarget(struct kc_policy *p)
{
	if (p->win_frac >= KC_WIN_ONE) {
		p->win_max_e = p->max_entries;
		p->win_max_w = p->max_weight;
	} else {
		p->win_max_e = max_t(u64, 1, kc_permille(p->max_entries, p->win_frac));
		p->win_max_w = max_t(u64, 1, kc_permille(p->max_weight, p->win_frac));
	}
	p->prot_max_e = kc_permille(p->max_entries - min(p->max_entries, p->win_max_e),
				    KC_PROTECTED_PERMILLE);
	p->prot_max_w = kc_permille(p->max_weight - min(p->max_weight, p->win_max_w),
				    KC_PROTECTED_PERMILLE);
}

/*
 * After a shadow hit: move the window to the best-scoring size if that shadow leads the
 * current size's by more than the noise (see KC_REL_SHIFT). On a tie the current size stays.
 */
static void kc_climb(struct kc_policy *p)
{
	u32 best = 0, cur = 0, i, c;

	for (i = 0; i < KC_SHADOWS; i++) {
		if (p->shadow[i].frac == p->win_frac)
			cur = i;
		if (p->shadow[i].score > p->shadow[best].score)
			best = i;
	}
	c = p->shadow[cur].score;
	if (p->shadow[best].score > c + max(p->lead, min(c, p->requests - c) >> KC_REL_SHIFT)) {
		p->win_frac = p->shadow[best].frac;
		kc_retarget(p);
	}
}

/* Age the scores so that the climber follows phase changes. */
static void kc_epoch(struct kc_policy *p)
{
	int i;

	for (i = 0; i < KC_SHADOWS; i++)
		p->shadow[i].score -= p->shadow[i].score >> KC_DECAY_SHIFT;
	p->requests -= p->requests >> KC_DECAY_SHIFT;
	p->samples = 0;
}

static void kc_sample(struct kc_policy *p, u32 hash)
{
	bool hit = false;
	u32 bucket;
	int i;

	if (kc_mix32(hash, p->sample_seed) >= p->sample_thresh)
		return;
	bucket = kc_sh_bucket(p, hash);
	p->requests++;
	for (i = 0; i < KC_SHADOWS; i++)
		hit |= kc_sh_request(p, &p->shadow[i], hash, bucket);
	if (hit)
		kc_climb(p);
	if (++p->samples >= p->epoch_len)
		kc_epoch(p);
}

/* --- API ------------------------------------------------------------------------------- */

/**
 * kcache_policy_init() - set up a policy
 * @p: the policy (embedded in the cache)
 * @kind: %KCACHE_POLICY_TINYLFU or %KCACHE_POLICY_LRU
 * @max_entries: bound on the number of entries
 * @max_weight: bound on the sum of weights
 * @seed: per-cache random secret; the sketch hash and every random choice derive from it
 *
 * The sketch is sized for the bounds given here; raising them later with
 * kcache_policy_set_limits() keeps the sketch (and so its accuracy) of the first size.
 *
 * Return: 0, -EINVAL for an unknown @kind or a zero bound, -ENOMEM.
 */
int kcache_policy_init(struct kc_policy *p, int kind, u64 max_entries, u64 max_weight, u64 seed)
{
	u64 est, words, bytes;
	u32 nodes, buckets;
	u8 *mem;
	int i;

	if ((kind != KCACHE_POLICY_TINYLFU && kind != KCACHE_POLICY_LRU) || !max_entries ||
	    !max_weight)
		return -EINVAL;

	*p = (struct kc_policy){ .kind = kind };
	for (i = 0; i < KC_NR_QUEUES; i++)
		INIT_LIST_HEAD(&p->q[i]);
	p->max_entries = max_entries;
	p->max_weight = max_weight;
	p->win_frac = kind == KCACHE_POLICY_LRU ? KC_WIN_ONE : KC_WIN_INITIAL;
	kc_retarget(p);
	if (kind == KCACHE_POLICY_LRU)
		return 0;

	est = clamp_t(u64, min(max_entries, max_weight / KC_MIN_ENTRY_WEIGHT), 1,
		      KC_SKETCH_MAX_WORDS);
	words = 1ULL << order_base_2(est);
	p->shadow_alloc = min_t(u64, est, KC_SHADOW_MAX);
	p->bucket_bits = max_t(u32, 1, order_base_2(p->shadow_alloc));
	nodes = KC_NR_QUEUES + p->shadow_alloc + 1;
	buckets = 1U << p->bucket_bits;
	bytes = words * sizeof(u64) +
		KC_SHADOWS * (nodes * sizeof(struct kc_snode) + buckets * sizeof(u32));

	mem = kvcalloc(bytes, 1, GFP_KERNEL_ACCOUNT);
	if (!mem)
		return -ENOMEM;
	p->mem = mem;
	p->sketch.table = (u64 *)mem;
	p->sketch.mask = words - 1;
	p->sketch.period = KC_SKETCH_PERIOD_MULT * est;
	p->sketch.seed = kc_mix64(seed + 1);
	p->sample_seed = kc_mix64(seed + 2);
	p->rng = kc_mix64(seed + 3);
	mem += words * sizeof(u64);
	for (i = 0; i < KC_SHADOWS; i++) {
		p->shadow[i].frac = kc_shadow_frac[i];
		p->shadow[i].nodes = (struct kc_snode *)mem;
		mem += nodes * sizeof(struct kc_snode);
		p->shadow[i].buckets = (u32 *)mem;
		mem += buckets * sizeof(u32);
	}
	kc_shadows_config(p, max_entries);
	return 0;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_init);

/**
 * kcache_policy_destroy() - free what kcache_policy_init() allocated
 * @p: the policy
 *
 * The nodes belong to the caller, who frees them before or after.
 */
void kcache_policy_destroy(struct kc_policy *p)
{
	kvfree(p->mem);
	p->mem = NULL;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_destroy);

/**
 * kcache_policy_add() - a new entry became resident
 * @p: the policy
 * @n: its node, with @n->hash and @n->weight set
 *
 * The entry enters the window; the caller then calls kcache_policy_evict() until it returns
 * NULL. A store of a key that was not looked up first should be preceded by
 * kcache_policy_miss(), so that the sketch and the shadows see the request.
 */
void kcache_policy_add(struct kc_policy *p, struct kc_pnode *n)
{
	kc_link(p, n, KC_Q_WINDOW);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_add);

/**
 * kcache_policy_access() - a lookup hit a resident entry
 * @p: the policy
 * @n: its node
 */
void kcache_policy_access(struct kc_policy *p, struct kc_pnode *n)
{
	if (p->kind == KCACHE_POLICY_LRU) {
		list_move_tail(&n->link, &p->q[KC_Q_WINDOW]);
		return;
	}
	kcache_sketch_increment(&p->sketch, n->hash);
	kc_sample(p, n->hash);

	switch (n->queue) {
	case KC_Q_PROBATION:
		kc_move(p, n, KC_Q_PROTECTED);
		while (kc_protected_over(p))
			kc_move(p, kc_head(p, KC_Q_PROTECTED), KC_Q_PROBATION);
		break;
	case KC_Q_WINDOW:
	case KC_Q_PROTECTED:
		list_move_tail(&n->link, &p->q[n->queue]);
		break;
	}
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_access);

/**
 * kcache_policy_miss() - a lookup found nothing
 * @p: the policy
 * @hash: hash of the key looked up
 */
void kcache_policy_miss(struct kc_policy *p, u32 hash)
{
	if (p->kind == KCACHE_POLICY_LRU)
		return;
	kcache_sketch_increment(&p->sketch, hash);
	kc_sample(p, hash);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_miss);

/**
 * kcache_policy_remove() - the cache dropped an entry (delete, expiry)
 * @p: the policy
 * @n: its node, on any queue; a node on none is ignored
 */
void kcache_policy_remove(struct kc_policy *p, struct kc_pnode *n)
{
	if (n->queue != KC_Q_NONE)
		kc_unlink(p, n);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_remove);

/**
 * kcache_policy_replace() - a new version of an entry takes the old one's place
 * @p: the policy
 * @old: the resident node; it leaves every queue (a node on none is ignored)
 * @new: the replacement (its weight may differ); it takes @old's position and queue
 *
 * The caller calls kcache_policy_evict() afterwards if the weight grew.
 */
void kcache_policy_replace(struct kc_policy *p, struct kc_pnode *old, struct kc_pnode *new)
{
	u8 q = old->queue;

	if (q == KC_Q_NONE)
		return;
	list_replace_init(&old->link, &new->link);
	new->queue = q;
	old->queue = KC_Q_NONE;
	p->wt[q] += new->weight;
	p->wt[q] -= old->weight;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_replace);

/**
 * kcache_policy_evict() - pick the next entry to evict while over a bound
 * @p: the policy
 *
 * W-TinyLFU: if the window is over its share, its LRU entry is the candidate and main's
 * coldest entry the victim; the loser of the frequency comparison is evicted and a winning
 * candidate moves to probation. Otherwise main's (or, if main is empty, the window's)
 * coldest entry goes. Within bounds, window overflow just moves to probation.
 *
 * Return: the unlinked victim, which the policy no longer references; NULL within bounds.
 */
struct kc_pnode *kcache_policy_evict(struct kc_policy *p)
{
	struct kc_pnode *cand = NULL, *victim;

	if (!kc_over_bounds(p)) {
		while (p->kind == KCACHE_POLICY_TINYLFU && kc_window_over(p))
			kc_move(p, kc_head(p, KC_Q_WINDOW), KC_Q_PROBATION);
		return NULL;
	}
	if (p->kind == KCACHE_POLICY_LRU)
		return kc_unlink(p, kc_head(p, KC_Q_WINDOW));

	/*
	 * When weight rather than count binds, the shadows must model the number of entries
	 * that actually fit; re-model when that drifts by a quarter.
	 */
	if (kcache_policy_entries(p) <= p->max_entries) {
		u64 n = kcache_policy_entries(p), e = p->eff_entries;

		if (n + (n >> 2) < e || n > e + (e >> 2))
			kc_shadows_config(p, n);
	}

	if (kc_window_over(p))
		cand = kc_head(p, KC_Q_WINDOW);
	victim = kc_head(p, KC_Q_PROBATION);
	if (!victim)
		victim = kc_head(p, KC_Q_PROTECTED);
	if (cand && victim) {
		if (kcache_policy_admit(p, cand->hash, victim->hash))
			kc_move(p, cand, KC_Q_PROBATION);
		else
			victim = cand;
	} else if (!victim) {
		victim = kc_head(p, KC_Q_WINDOW);
	}
	return kc_unlink(p, victim);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_evict);

/**
 * kcache_policy_coldest() - unlink the coldest entry regardless of the bounds (shrinker)
 * @p: the policy
 *
 * Between the window's and probation's LRU entries the less frequent one goes (the window's
 * on a tie: it has not proven itself yet); protected entries go last.
 *
 * Return: the unlinked node, NULL if the policy holds none.
 */
struct kc_pnode *kcache_policy_coldest(struct kc_policy *p)
{
	struct kc_pnode *w = kc_head(p, KC_Q_WINDOW);
	struct kc_pnode *m = kc_head(p, KC_Q_PROBATION);

	if (p->kind == KCACHE_POLICY_LRU)
		return w ? kc_unlink(p, w) : NULL;
	if (!m)
		m = kc_head(p, KC_Q_PROTECTED);
	if (w && m)
		return kc_unlink(p, kcache_sketch_frequency(&p->sketch, m->hash) <
				    kcache_sketch_frequency(&p->sketch, w->hash) ? m : w);
	if (w)
		return kc_unlink(p, w);
	return m ? kc_unlink(p, m) : NULL;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_coldest);

/**
 * kcache_policy_set_limits() - change the bounds
 * @p: the policy
 * @max_entries: new bound on the number of entries (0 is treated as 1)
 * @max_weight: new bound on the sum of weights (0 is treated as 1)
 *
 * The caller calls kcache_policy_evict() afterwards to shrink to the new bounds.
 */
void kcache_policy_set_limits(struct kc_policy *p, u64 max_entries, u64 max_weight)
{
	p->max_entries = max_t(u64, max_entries, 1);
	p->max_weight = max_t(u64, max_weight, 1);
	kc_retarget(p);
	if (p->kind == KCACHE_POLICY_LRU)
		return;
	p->sketch.period = KC_SKETCH_PERIOD_MULT *
		clamp_t(u64, min(p->max_entries, p->max_weight / KC_MIN_ENTRY_WEIGHT), 1,
			KC_SKETCH_MAX_WORDS);
	kc_shadows_config(p, p->max_entries);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_set_limits);

/**
 * kcache_policy_entries() - number of entries the policy holds
 * @p: the policy
 *
 * Return: the count over all queues.
 */
u64 kcache_policy_entries(const struct kc_policy *p)
{
	return p->nr[KC_Q_WINDOW] + p->nr[KC_Q_PROBATION] + p->nr[KC_Q_PROTECTED];
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_entries);

/**
 * kcache_policy_weight() - total weight of the entries the policy holds
 * @p: the policy
 *
 * Return: the sum of their weights.
 */
u64 kcache_policy_weight(const struct kc_policy *p)
{
	return p->wt[KC_Q_WINDOW] + p->wt[KC_Q_PROBATION] + p->wt[KC_Q_PROTECTED];
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_weight);
