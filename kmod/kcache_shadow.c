// SPDX-License-Identifier: GPL-2.0
/*
 * kcache eviction policy: the shadow caches and the climber, which choose the configuration
 * the real cache runs (kcache_policy.c describes the whole design). A spatially sampled
 * subset of the requests (kcache_shadows_sample()) goes through one miniature cache per
 * candidate configuration, each at the matching scaled-down capacity; for every pair of
 * shadows the climber counts the sampled requests that one hit and the other missed, and
 * switches the real cache (kcache_policy_use_config()) to a configuration that beats the
 * current one by more than chance allows (kcache_climb_leads()).
 *
 * Locking: none. The cache's maintenance mutex serialises every call into this file.
 *
 * The same file builds in userspace against selftests/policy/kcache_policy_user.h.
 */
#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>
#endif

#include "kcache_policy_int.h"

/*
 * Climber. The evidence (wins) decays by 1/32 every epoch of max(shadow capacity, 256)
 * samples: memory must outlast a traversal of the working set, or cyclic patterns (zigzag)
 * make the leader change every half cycle.
 *
 * A configuration replaces the current one when, over the requests where exactly one of the
 * two hit, it won significantly more often (kcache_climb_leads(): a sequential sign test).
 * The dead band grows like the noise, about the square root of the samples, not linearly
 * as a fixed fraction of the hits.
 */
#define KC_EPOCH_MIN		256
#define KC_DECAY_SHIFT		5
#define KC_CLIMB_RHO		16	/* the test's prior scale: no shorter lead counts */
#define KC_CLIMB_LOG_ALPHA2	10	/* 2 ln(1 / alpha), alpha = 5% / 7 candidates */

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

/* S3-FIFO's eviction, as kc_s3_victim() for the real lists. */
static u32 kc_sh_s3_victim(struct kc_shadow *sh)
{
	struct kc_snode *nd = sh->nodes;
	u32 t;

	for (;;) {
		if (sh->nr[KC_Q_WINDOW] > sh->win_max ||
		    !(sh->nr[KC_Q_PROBATION] + sh->nr[KC_Q_PROTECTED])) {
			t = kc_sh_first(sh, KC_Q_WINDOW);
			if (nd[t].freq < sh->promote) {
				kcache_ghost_add(&sh->ghost, nd[t].hash);
				return t;
			}
			nd[t].freq = 0;
			kc_sh_move(sh, t, KC_Q_PROBATION);
			continue;
		}
		t = kc_sh_first(sh, KC_Q_PROBATION);
		if (!nd[t].freq)
			return t;
		nd[t].freq--;
		kc_sh_move(sh, t, KC_Q_PROBATION);
	}
}

/* W-TinyLFU's eviction, as in kcache_policy_evict(). */
static u32 kc_sh_tinylfu_victim(struct kc_policy *p, struct kc_shadow *sh)
{
	struct kc_snode *nd = sh->nodes;
	u32 cand = 0, victim;

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
	return victim;
}

/* One request for a sampled key: the same steps as the real cache in the shadow's family. */
static bool kc_sh_request(struct kc_policy *p, struct kc_shadow *sh, u32 hash, u32 bucket)
{
	struct kc_snode *nd = sh->nodes;
	u32 i, q = KC_Q_WINDOW;

	for (i = sh->buckets[bucket]; i; i = nd[i].hnext)
		if (nd[i].hash == hash)
			break;
	if (i) {
		if (sh->family == KC_FAM_S3FIFO) {
			if (nd[i].freq < KC_FREQ_MAX)
				nd[i].freq++;
			return true;
		}
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
	nd[i].freq = 0;
	nd[i].hnext = sh->buckets[bucket];
	sh->buckets[bucket] = i;
	if (sh->family == KC_FAM_S3FIFO && kcache_ghost_take(&sh->ghost, hash))
		q = KC_Q_PROBATION;
	kc_sh_append(nd, i, q);
	sh->nr[q]++;
	if (sh->nr[KC_Q_WINDOW] + sh->nr[KC_Q_PROBATION] + sh->nr[KC_Q_PROTECTED] <= sh->cap) {
		if (sh->nr[KC_Q_WINDOW] > sh->win_max)
			kc_sh_move(sh, nd[KC_Q_WINDOW].next, KC_Q_PROBATION);
		return false;
	}
	i = sh->family == KC_FAM_S3FIFO ? kc_sh_s3_victim(sh) : kc_sh_tinylfu_victim(p, sh);
	kc_sh_evict(sh, i, kc_sh_bucket(p, nd[i].hash));
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
	sh->score = 0;
	sh->win_max = max_t(u32, 1, kc_permille(cap, sh->frac));
	sh->prot_max = kc_permille(cap - min(cap, sh->win_max), KC_PROTECTED_PERMILLE);
	kcache_ghost_clear(&sh->ghost);
	kcache_ghost_set_span(&sh->ghost, cap - min(cap, sh->win_max));
}

/*
 * Model a cache of @entries entries: sample about KC_SHADOW_MAX of every @entries keys and
 * give each shadow the matching scaled-down capacity. The evidence restarts with the shadows.
 */
void kcache_shadows_config(struct kc_policy *p, u64 entries)
{
	u32 cap = min_t(u64, p->shadow_alloc, max_t(u64, entries, 1));
	int i;

	p->eff_entries = entries;
	p->sample_thresh = cap >= entries ? 1ULL << 32 : div64_u64((u64)cap << 32, entries);
	p->samples = 0;
	p->epoch_len = max_t(u32, cap, KC_EPOCH_MIN);
	memset(p->wins, 0, sizeof(p->wins));
	p->led = 0;
	p->short_hits = 0;
	for (i = 0; i < KC_SHADOWS; i++)
		kc_sh_reset(p, &p->shadow[i], cap);
}

/* --- climber ------------------------------------------------------------------------------ */

/* 8 * log2(x) for x >= 1, the mantissa interpolated linearly (within 0.7 of the eighth). */
static u64 kc_log2_8(u64 x)
{
	u32 l = ilog2(x);
	u64 frac = l >= 3 ? (x >> (l - 3)) & 7 : (x << (3 - l)) & 7;

	return 8ULL * l + frac;
}

/**
 * kcache_climb_leads() - is a configuration significantly better than the current one?
 * @wins: requests (decayed) that it hit and the current configuration missed
 * @losses: requests (decayed) that the current configuration hit and it missed
 *
 * If both were equally good, wins - losses over the n = wins + losses requests where they
 * disagree would be a fair coin's walk. The climber looks after every sample, so a fixed
 * number of standard deviations would be crossed by chance sooner or later; the bound is
 * that of a mixture sequential probability ratio test, valid however often it is checked:
 * (wins - losses)^2 > (n + rho) * (ln((n + rho) / rho) + 2 ln(1 / alpha)), which grows like
 * sqrt(n log n), slower than the linear dead band it replaces. alpha is 5% shared among the
 * candidates, rho = %KC_CLIMB_RHO the disagreements below which no lead is believed.
 *
 * Return: true if the lead is significant.
 */
bool kcache_climb_leads(u32 wins, u32 losses)
{
	u64 n = (u64)wins + losses + KC_CLIMB_RHO, d, ln8;

	if (wins <= losses)
		return false;
	d = wins - losses;
	/* Most calls: not even past the alpha term alone. */
	if (d * d <= n * KC_CLIMB_LOG_ALPHA2)
		return false;
	/* 8 ln((n + rho) / rho), with ln 2 ~ 355 / 512 */
	ln8 = (kc_log2_8(n) - kc_log2_8(KC_CLIMB_RHO)) * 355 / 512;
	/* d < 2^32 and n <= 2^33 + rho: neither side overflows */
	return d * d > n * (ln8 + 8 * KC_CLIMB_LOG_ALPHA2) / 8;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_climb_leads);

/*
 * After a sampled request that some shadows hit and others missed: follow a clear leader.
 *
 * A switch between families costs hits until the lists hold what the new family would have
 * chosen (W-TinyLFU's main is not what S3-FIFO's reinsertions keep, and the other way
 * round); changing the window within W-TinyLFU is gradual and cheap. While a configuration
 * entered from the other family runs, @short_hits measures that cost (the real cache
 * against the shadow of its configuration); when it is left, the cost is known, and a lead
 * must exceed it (decaying) before the family changes again: crossings that did not pay
 * are not repeated on thin leads. And the lead must have held at the end of the previous
 * epoch already: a lead of the other family that comes and goes within an epoch (while the
 * caches fill, at the turn of a loop) is a phase that ends before a crossing pays back.
 */
static void kc_climb(struct kc_policy *p, u32 candidates)
{
	u32 cur = p->cfg, best = cur, i;

	for (candidates &= ~BIT(cur); candidates; candidates &= candidates - 1) {
		u32 w, l;

		i = __ffs(candidates);
		w = p->wins[i][cur];
		l = p->wins[cur][i];
		if (!kcache_climb_leads(w, l))
			continue;
		if (p->shadow[i].family != p->family &&
		    (w - l <= p->switch_cost || !(p->led & BIT(i))))
			continue;
		/* Of several that beat the current one, the one that hits most overall. */
		if (best == cur || p->shadow[i].score > p->shadow[best].score)
			best = i;
	}
	if (best == cur)
		return;
	/* Leaving a configuration entered from the other family: its switch has been paid. */
	if (p->crossed)
		p->switch_cost = p->short_hits;
	p->crossed = p->shadow[best].family != p->family;
	p->short_hits = 0;
	kcache_policy_use_config(p, best);
	p->switches++;
}

/* Age the evidence so that the climber follows phase changes. */
static void kc_epoch(struct kc_policy *p)
{
	int i, j;

	for (i = 0; i < KC_SHADOWS; i++)
		for (j = 0; j < KC_SHADOWS; j++)
			p->wins[i][j] -= p->wins[i][j] >> KC_DECAY_SHIFT;
	p->led = 0;
	for (i = 0; i < KC_SHADOWS; i++) {
		if (kcache_climb_leads(p->wins[i][p->cfg], p->wins[p->cfg][i]))
			p->led |= BIT(i);
		p->shadow[i].score -= p->shadow[i].score >> KC_DECAY_SHIFT;
	}
	p->switch_cost -= p->switch_cost >> KC_DECAY_SHIFT;
	p->short_hits -= p->short_hits >> KC_DECAY_SHIFT;
	p->samples = 0;
}

/* A lookup of @hash (@real_hit: the real cache held it): feed the shadows if sampled, climb. */
void kcache_shadows_sample(struct kc_policy *p, u32 hash, bool real_hit)
{
	u32 hit = 0, bucket, i, h, m;

	if (p->frozen || kc_mix32(hash, p->sample_seed) >= p->sample_thresh)
		return;
	bucket = kc_sh_bucket(p, hash);
	for (i = 0; i < KC_SHADOWS; i++)
		if (kc_sh_request(p, &p->shadow[i], hash, bucket)) {
			hit |= BIT(i);
			p->shadow[i].score++;
		}
	/* What the real cache falls short of its configuration's model: the switch's cost. */
	if (!real_hit && (hit & BIT(p->cfg)))
		p->short_hits++;
	else if (real_hit && !(hit & BIT(p->cfg)) && p->short_hits)
		p->short_hits--;
	for (h = hit; h; h &= h - 1)
		for (m = ~hit & (BIT(KC_SHADOWS) - 1); m; m &= m - 1)
			p->wins[__ffs(h)][__ffs(m)]++;
	/* Only the shadows that hit where the current configuration missed gained a lead. */
	if (hit && !(hit & BIT(p->cfg)))
		kc_climb(p, hit);
	if (++p->samples >= p->epoch_len) {
		kc_epoch(p);
		kc_climb(p, BIT(KC_SHADOWS) - 1);
	}
}
