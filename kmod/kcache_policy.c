// SPDX-License-Identifier: GPL-2.0
/*
 * kcache eviction policies: an adaptive policy that runs, at any time, the best of a few
 * configurations of two families on the same lists, and plain LRU.
 *
 * Locking: none. The cache's maintenance mutex serialises every call into the policy, so the
 * lists, counters, sketch, ghost and shadows are only ever touched by one thread at a time.
 * Nothing in the policy allocates except kcache_policy_init(); kcache_policy_access(),
 * kcache_policy_miss() and kcache_policy_evict() may sleep, to reschedule in walks as long as
 * the sketch or a queue.
 *
 * What it does. No single policy wins everywhere: frequency-based admission (W-TinyLFU)
 * wins loops and scans, recency (LRU) wins zigzags and recency-skewed traces, and quick
 * demotion of one-hit wonders (S3-FIFO) wins web and application traces. So the entries sit
 * on three lists (window, probation, protected) that both families can run:
 *
 * - W-TinyLFU (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient Cache Admission
 *   Policy"): new entries enter an LRU window; the window's LRU entry enters the main
 *   segmented LRU (probation/protected 20/80) only if the frequency sketch says it is seen
 *   more often than main's victim. Window sizes 1%, 10%, 25%, 50%, 75% and 100% (LRU).
 * - S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP'23): the
 *   window is a 10% FIFO small queue; an entry hit there (once, or twice: two
 *   configurations) moves to main, one that was not leaves and is remembered by a ghost of
 *   hashes as long as main; a miss the ghost remembers goes straight to main; main is a FIFO
 *   whose oldest entry is reinserted while its 2-bit hit counter, decremented, allows.
 *
 * Which configuration runs is measured, not guessed: one miniature cache ("shadow", after
 * Waldspurger et al., "Cache Modeling and Optimization using Miniature Simulations",
 * ATC'17) per configuration replays a spatially sampled subset of the keys at the matching
 * scaled-down capacity. For every pair of shadows the climber counts the sampled requests
 * that one hit and the other missed, decaying, and switches when a configuration beats the
 * current one by more than chance allows (a sequential sign test, kcache_climb_leads()).
 * Window sizes change gradually, at little cost; a change of family replaces what main holds
 * and can cost more than it gains, so it also needs a lead that held over an epoch and that
 * exceeds what the last change of family was measured to cost (the real cache against its
 * own shadow). It starts as W-TinyLFU with a 1% window: moving from frequency to recency is
 * cheap (the window grows with the next misses), the other way is not (a main chosen by
 * recency must first be won back by frequency).
 *
 * Per entry the policy keeps 24 bytes in the entry (struct kc_pnode: links, hash,
 * queue and S3-FIFO's counter), and per cache 8 bytes a counter word of sketch and 4 of
 * ghost per entry of the bound, plus the shadows (at most KC_SHADOW_MAX entries each).
 *
 * Files: this one holds the real lists, victim selection and the API; kcache_sketch.c the
 * frequency sketch and the ghost; kcache_shadow.c the shadow caches and the climber;
 * kcache_policy_int.h what they share.
 *
 * The same file builds in userspace against selftests/policy/kcache_policy_user.h.
 */
#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#endif

#include "kcache_policy_int.h"

#define KC_SKETCH_MAX_WORDS	BIT(22)		/* 32 MiB: enough for 4M entries */
#define KC_MIN_ENTRY_WEIGHT	64		/* an entry costs at least its metadata */

/*
 * A change of configuration or of the bounds can leave a queue far over its new share, and
 * the loop that brings it back moves a queue's worth of entries (millions) in one call:
 * reschedule every so many moves.
 */
#define KC_MOVES_PER_RESCHED	4096

/*
 * Hash-flooding defence: a warm candidate that loses to the victim is still admitted now
 * and then, so that keys colliding with a hot victim cannot lock the cache. Caffeine admits
 * 1 in 128; the per-cache sketch seed already stops targeted collisions, and 1 in 128
 * costs 3.5 points on loop-shaped traces (all keys equally hot), so 1 in 1024.
 */
#define KC_ADMIT_FLOOD_MIN	6
#define KC_ADMIT_FLOOD_MASK	1023

/*
 * Candidate configurations: W-TinyLFU with window sizes in per mille (1000 is LRU), and
 * S3-FIFO with a 10% small queue promoting after one hit or after two (the paper's default).
 */
static const struct {
	u8 family;
	u8 promote;
	u16 frac;
} kc_configs[KC_SHADOWS] = {
	{ KC_FAM_TINYLFU, 0, 10 }, { KC_FAM_TINYLFU, 0, 100 }, { KC_FAM_TINYLFU, 0, 250 },
	{ KC_FAM_TINYLFU, 0, 500 }, { KC_FAM_TINYLFU, 0, 750 }, { KC_FAM_TINYLFU, 0, 1000 },
	{ KC_FAM_S3FIFO, 1, 100 }, { KC_FAM_S3FIFO, 2, 100 },
};

/* W-TinyLFU, 1% window: from there, moving toward recency is cheap (see the top comment) */
#define KC_CFG_INITIAL		0

/* --- admission ---------------------------------------------------------------------------- */

/* Deterministic so that traces replay identically in the kernel and in userspace. */
static u32 kc_rand(struct kc_policy *p)
{
	p->rng += 0x9e3779b97f4a7c15ULL;
	return kc_mix64(p->rng) >> 32;
}

/**
 * kcache_policy_admit() - TinyLFU admission: should a window candidate replace a main victim?
 * @p: the policy
 * @candidate: hash of the key leaving the window
 * @victim: hash of main's coldest key
 *
 * An attacker who floods the cache with keys colliding with a hot victim would otherwise
 * keep every candidate out; admitting warm candidates at random (1 in 1024; Caffeine: 128)
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

/* --- real lists -------------------------------------------------------------------------- */

/* One more move of a loop as long as a queue; every caller may sleep. */
static void kc_moved(u32 *moves)
{
	if (!(++*moves % KC_MOVES_PER_RESCHED))
		cond_resched();
}

static struct kc_pnode *kc_head(struct kc_policy *p, int q)
{
	return list_first_entry_or_null(&p->q[q], struct kc_pnode, link);
}

static void kc_link_w(struct kc_policy *p, struct kc_pnode *n, int q, u32 w)
{
	list_add_tail(&n->link, &p->q[q]);
	n->queue = q;
	p->nr[q]++;
	p->wt[q] += w;
}

static void kc_link(struct kc_policy *p, struct kc_pnode *n, int q)
{
	kc_link_w(p, n, q, p->weight(n));
}

static struct kc_pnode *kc_unlink(struct kc_policy *p, struct kc_pnode *n)
{
	list_del_init(&n->link);
	p->nr[n->queue]--;
	p->wt[n->queue] -= p->weight(n);
	n->queue = KC_Q_NONE;
	return n;
}

static void kc_move(struct kc_policy *p, struct kc_pnode *n, int q)
{
	u32 w = p->weight(n);

	list_del_init(&n->link);
	p->nr[n->queue]--;
	p->wt[n->queue] -= w;
	kc_link_w(p, n, q, w);
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

static bool kc_main_empty(const struct kc_policy *p)
{
	return !p->nr[KC_Q_PROBATION] && !p->nr[KC_Q_PROTECTED];
}

/* Derive the queue capacities from the bounds and the window fraction. */
static void kc_retarget(struct kc_policy *p)
{
	u64 e = p->eff_entries ? p->eff_entries : p->max_entries;

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
	/* S3-FIFO's ghost is as long as main, in entries. */
	if (p->ghost.slots)
		kcache_ghost_set_span(&p->ghost, e - min(e, kc_permille(e, p->win_frac)));
}

/*
 * S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP'23) on the
 * real lists: the window is the small FIFO, probation the main FIFO (protected only drains).
 * A small-queue entry hit while there moves to main, else it leaves and enters the ghost;
 * main's oldest entry is reinserted while its 2-bit hit counter is non-zero, counting down.
 * Every pass decrements a counter that a hit incremented, so the loop is O(1) amortised.
 */
static struct kc_pnode *kc_s3_victim(struct kc_policy *p)
{
	struct kc_pnode *t;
	u32 moves = 0;

	for (;; kc_moved(&moves)) {
		if (kc_window_over(p) || kc_main_empty(p)) {
			t = kc_head(p, KC_Q_WINDOW);
			if (t->freq < p->promote) {
				kcache_ghost_add(&p->ghost, t->hash);
				return kc_unlink(p, t);
			}
			t->freq = 0;
			kc_move(p, t, KC_Q_PROBATION);
			continue;
		}
		/* Protected is left from W-TinyLFU mode: it goes round first, then is empty. */
		t = kc_head(p, KC_Q_PROTECTED);
		if (!t)
			t = kc_head(p, KC_Q_PROBATION);
		if (!t->freq)
			return kc_unlink(p, t);
		t->freq--;
		kc_move(p, t, KC_Q_PROBATION);
	}
}

/* Run configuration @cfg from now on; the lists re-balance lazily as entries come and go. */
void kcache_policy_use_config(struct kc_policy *p, u32 cfg)
{
	p->cfg = cfg;
	p->family = kc_configs[cfg].family;
	p->promote = kc_configs[cfg].promote;
	p->win_frac = kc_configs[cfg].frac;
	kc_retarget(p);
}

/**
 * kcache_policy_pin_config() - run one candidate configuration and stop the climber
 * @p: a %KCACHE_POLICY_TINYLFU policy
 * @cfg: index of the configuration, below %KC_SHADOWS (0 is W-TinyLFU with a 1% window)
 *
 * For reference runs of kc_replay and for tests; the shadows are no longer fed.
 *
 * Return: 0, or -EINVAL for an LRU policy or a bad index.
 */
int kcache_policy_pin_config(struct kc_policy *p, u32 cfg)
{
	if (p->kind != KCACHE_POLICY_TINYLFU || cfg >= KC_SHADOWS)
		return -EINVAL;
	p->frozen = true;
	kcache_policy_use_config(p, cfg);
	return 0;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_pin_config);

/* --- API ------------------------------------------------------------------------------- */

/**
 * kcache_policy_init() - set up a policy
 * @p: the policy (embedded in the cache)
 * @kind: %KCACHE_POLICY_TINYLFU (the adaptive policy) or %KCACHE_POLICY_LRU
 * @max_entries: bound on the number of entries
 * @max_weight: bound on the sum of weights
 * @seed: per-cache random secret; the sketch hash and every random choice derive from it
 * @weight: gives an entry's weight from its node (called under the same serialisation)
 *
 * The sketch and the ghost are sized for the bounds given here; raising them later with
 * kcache_policy_set_limits() keeps the tables (and so their accuracy) of the first size.
 *
 * Return: 0, -EINVAL for an unknown @kind or a zero bound, -ENOMEM.
 */
int kcache_policy_init(struct kc_policy *p, int kind, u64 max_entries, u64 max_weight, u64 seed,
		       kc_weight_fn weight)
{
	u64 est, words, gslots, sgslots, bytes;
	u32 nodes, buckets;
	u8 *mem;
	int i;

#ifdef __KERNEL__
	BUILD_BUG_ON(sizeof(struct kc_pnode) != 24);
#endif
	if ((kind != KCACHE_POLICY_TINYLFU && kind != KCACHE_POLICY_LRU) || !max_entries ||
	    !max_weight || !weight)
		return -EINVAL;

	*p = (struct kc_policy){ .kind = kind, .weight = weight };
	for (i = 0; i < KC_NR_QUEUES; i++)
		INIT_LIST_HEAD(&p->q[i]);
	p->max_entries = max_entries;
	p->max_weight = max_weight;
	if (kind == KCACHE_POLICY_LRU) {
		p->win_frac = KC_WIN_ONE;
		kc_retarget(p);
		return 0;
	}

	est = clamp_t(u64, min(max_entries, max_weight / KC_MIN_ENTRY_WEIGHT), 1,
		      KC_SKETCH_MAX_WORDS);
	words = 1ULL << order_base_2(est);
	gslots = max_t(u64, KC_GHOST_WAYS, 2 * words);
	p->shadow_alloc = min_t(u64, est, KC_SHADOW_MAX);
	p->bucket_bits = max_t(u32, 1, order_base_2(p->shadow_alloc));
	nodes = KC_NR_QUEUES + p->shadow_alloc + 1;
	buckets = 1U << p->bucket_bits;
	sgslots = max_t(u32, KC_GHOST_WAYS, 2 * buckets);
	bytes = words * sizeof(u64) + gslots * sizeof(u16) +
		KC_SHADOWS * (nodes * sizeof(struct kc_snode) + buckets * sizeof(u32) +
			      sgslots * sizeof(u16));

	mem = kvcalloc(bytes, 1, GFP_KERNEL_ACCOUNT);
	if (!mem)
		return -ENOMEM;
	p->mem = mem;
	p->mem_bytes = bytes;
	p->sketch.table = (u64 *)mem;
	p->sketch.mask = words - 1;
	p->sketch.period = kcache_sketch_period(&p->sketch, est);
	p->sketch.seed = kc_mix64(seed + 1);
	p->sample_seed = kc_mix64(seed + 2);
	p->rng = kc_mix64(seed + 3);
	mem += words * sizeof(u64);
	kcache_ghost_init(&p->ghost, (u16 *)mem, gslots, kc_mix64(seed + 4));
	mem += gslots * sizeof(u16);
	for (i = 0; i < KC_SHADOWS; i++) {
		struct kc_shadow *sh = &p->shadow[i];

		sh->family = kc_configs[i].family;
		sh->promote = kc_configs[i].promote;
		sh->frac = kc_configs[i].frac;
		sh->nodes = (struct kc_snode *)mem;
		mem += nodes * sizeof(struct kc_snode);
		sh->buckets = (u32 *)mem;
		mem += buckets * sizeof(u32);
		kcache_ghost_init(&sh->ghost, (u16 *)mem, sgslots, kc_mix64(seed + 5 + i));
		mem += sgslots * sizeof(u16);
	}
	kcache_shadows_config(p, max_entries);
	kcache_policy_use_config(p, KC_CFG_INITIAL);
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
	p->mem_bytes = 0;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_destroy);

/**
 * kcache_policy_add() - a new entry became resident
 * @p: the policy
 * @n: its node, with @n->hash set (and its weight fixed)
 *
 * The entry enters the window, or in S3-FIFO mode main if the ghost remembers it; the caller
 * then calls kcache_policy_evict() until it returns NULL. A store of a key that was not
 * looked up first should be preceded by kcache_policy_miss(), so that the sketch and the
 * shadows see the request.
 */
void kcache_policy_add(struct kc_policy *p, struct kc_pnode *n)
{
	n->freq = 0;
	if (p->family == KC_FAM_S3FIFO && kcache_ghost_take(&p->ghost, n->hash))
		kc_link(p, n, KC_Q_PROBATION);
	else
		kc_link(p, n, KC_Q_WINDOW);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_add);

/**
 * kcache_policy_access() - a lookup hit a resident entry
 * @p: the policy
 * @n: its node
 *
 * Context: may sleep (kcache_sketch_increment(), protected's demotions).
 */
void kcache_policy_access(struct kc_policy *p, struct kc_pnode *n)
{
	u32 moves;

	if (p->kind == KCACHE_POLICY_LRU) {
		list_move_tail(&n->link, &p->q[KC_Q_WINDOW]);
		return;
	}
	kcache_sketch_increment(&p->sketch, n->hash);
	kcache_shadows_sample(p, n->hash, true);
	if (p->family == KC_FAM_S3FIFO) {
		if (n->freq < KC_FREQ_MAX)
			n->freq++;
		return;
	}
	/*
	 * W-TinyLFU does not count: after a switch to S3-FIFO, main's entries must earn their
	 * reinsertions with hits seen from then on, or the ones W-TinyLFU kept (their counts
	 * saturated long ago) would take up to KC_FREQ_MAX rounds of main to leave.
	 */
	n->freq = 0;

	/*
	 * A window below its share has just grown (a switch to a larger window): main's entries
	 * join it when hit, so that the order becomes the recency the new share asks for.
	 */
	if (n->queue != KC_Q_WINDOW && p->nr[KC_Q_WINDOW] < p->win_max_e &&
	    p->wt[KC_Q_WINDOW] + p->weight(n) <= p->win_max_w) {
		kc_move(p, n, KC_Q_WINDOW);
		return;
	}
	switch (n->queue) {
	case KC_Q_PROBATION:
		kc_move(p, n, KC_Q_PROTECTED);
		for (moves = 0; kc_protected_over(p); kc_moved(&moves))
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
 *
 * Context: may sleep (kcache_sketch_increment()).
 */
void kcache_policy_miss(struct kc_policy *p, u32 hash)
{
	if (p->kind == KCACHE_POLICY_LRU)
		return;
	kcache_sketch_increment(&p->sketch, hash);
	kcache_shadows_sample(p, hash, false);
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
 * @new: the replacement (its weight may differ); it takes @old's position, queue and count
 *
 * The caller calls kcache_policy_evict() afterwards if the weight grew.
 */
void kcache_policy_replace(struct kc_policy *p, struct kc_pnode *old, struct kc_pnode *new)
{
	u32 q = old->queue;

	if (q == KC_Q_NONE)
		return;
	list_replace_init(&old->link, &new->link);
	new->queue = q;
	new->freq = old->freq;
	old->queue = KC_Q_NONE;
	p->wt[q] += p->weight(new);
	p->wt[q] -= p->weight(old);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_replace);

/* W-TinyLFU: the loser of window candidate against main's victim goes. */
static struct kc_pnode *kc_tinylfu_victim(struct kc_policy *p)
{
	struct kc_pnode *cand = NULL, *victim;

	if (kc_window_over(p))
		cand = kc_head(p, KC_Q_WINDOW);
	victim = kc_head(p, KC_Q_PROBATION);
	if (!victim)
		victim = kc_head(p, KC_Q_PROTECTED);
	/*
	 * An empty main under an oversized window (a switch to a smaller window): the candidate
	 * founds main and the next one is compared with it.
	 */
	if (cand && !victim) {
		kc_move(p, cand, KC_Q_PROBATION);
		victim = cand;
		cand = kc_window_over(p) ? kc_head(p, KC_Q_WINDOW) : NULL;
	}
	if (cand && victim) {
		if (kcache_policy_admit(p, cand->hash, victim->hash)) {
			kc_move(p, cand, KC_Q_PROBATION);
		} else {
			/* Remembered, should the cache switch to S3-FIFO. */
			kcache_ghost_add(&p->ghost, cand->hash);
			victim = cand;
		}
	} else if (!victim) {
		victim = kc_head(p, KC_Q_WINDOW);
	}
	return kc_unlink(p, victim);
}

/**
 * kcache_policy_evict() - pick the next entry to evict while over a bound
 * @p: the policy
 *
 * W-TinyLFU mode: if the window is over its share, its LRU entry is the candidate and main's
 * coldest entry the victim; the loser of the frequency comparison is evicted and a winning
 * candidate moves to probation. Otherwise main's (or, if main is empty, the window's) coldest
 * entry goes. S3-FIFO mode: see kc_s3_victim(). Within bounds, window overflow just moves to
 * probation.
 *
 * Context: may sleep (a queue's worth of moves after a change of configuration).
 *
 * Return: the unlinked victim, which the policy no longer references; NULL within bounds.
 */
struct kc_pnode *kcache_policy_evict(struct kc_policy *p)
{
	u64 n, e;

	if (!kc_over_bounds(p)) {
		u32 moves = 0;

		for (; p->kind == KCACHE_POLICY_TINYLFU && kc_window_over(p); kc_moved(&moves))
			kc_move(p, kc_head(p, KC_Q_WINDOW), KC_Q_PROBATION);
		return NULL;
	}
	if (p->kind == KCACHE_POLICY_LRU)
		return kc_unlink(p, kc_head(p, KC_Q_WINDOW));

	/*
	 * When weight rather than count binds, the shadows must model the number of entries
	 * that actually fit; re-model when that drifts by a quarter, and back to the count
	 * bound once it binds again.
	 */
	n = min(kcache_policy_entries(p), p->max_entries);
	e = p->eff_entries;
	if (n + (n >> 2) < e || n > e + (e >> 2)) {
		kcache_shadows_config(p, n);
		kc_retarget(p);
	}
	if (p->family == KC_FAM_S3FIFO)
		return kc_s3_victim(p);
	return kc_tinylfu_victim(p);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_evict);

/**
 * kcache_policy_coldest() - unlink the coldest entry regardless of the bounds (shrinker)
 * @p: the policy
 *
 * Between the window's and probation's oldest entries the less frequent one goes (the
 * window's on a tie: it has not proven itself yet); protected entries go last.
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
	u64 est;

	p->max_entries = max_t(u64, max_entries, 1);
	p->max_weight = max_t(u64, max_weight, 1);
	if (p->kind == KCACHE_POLICY_LRU) {
		kc_retarget(p);
		return;
	}
	est = min(p->max_entries, p->max_weight / KC_MIN_ENTRY_WEIGHT);
	p->sketch.period = kcache_sketch_period(&p->sketch, est);
	kcache_shadows_config(p, p->max_entries);
	kc_retarget(p);
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

/**
 * kcache_policy_footprint() - memory the policy allocated for this cache
 * @p: the policy
 *
 * Sketch (8 bytes per entry of the initial bound, rounded up to a power of two), ghost (4
 * bytes per entry, likewise) and shadows (bounded by %KC_SHADOW_MAX entries each). The
 * per-entry part, struct kc_pnode, lives in the entries and is not counted here.
 *
 * Return: bytes, 0 for LRU.
 */
u64 kcache_policy_footprint(const struct kc_policy *p)
{
	return p->mem_bytes;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_policy_footprint);
