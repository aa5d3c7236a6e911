// SPDX-License-Identifier: GPL-2.0
/*
 * kcache eviction policy: the frequency sketch and the ghost, the two tables behind its
 * admission decisions (kcache_policy.c describes the whole design). The sketch estimates
 * how often each key was seen recently (TinyLFU's admission); the ghost remembers the
 * hashes of recently evicted keys for a bounded number of evictions (S3-FIFO's ghost queue;
 * the real cache and every S3-FIFO shadow have one). Both are self-contained: each works on
 * its own struct over a table that kcache_policy_init() carves out of the policy's single
 * allocation.
 *
 * Locking: none. The cache's maintenance mutex serialises every call into this file.
 * kcache_sketch_increment() may sleep: the halving of a big sketch reschedules.
 *
 * The same file builds in userspace against selftests/policy/kcache_policy_user.h.
 */
#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/string.h>
#endif

#include "kcache_policy_int.h"

#define KC_SKETCH_PERIOD_MULT	10		/* halve after 10 x capacity increments */
#define KC_SKETCH_RESET_CHUNK	4096		/* words halved between reschedule points */

/*
 * The S3-FIFO ghost: 4-way buckets of 16-bit slots, a 10-bit fingerprint (9 bits of the
 * hash and one always set, kc_ghost_bucket()) and a 6-bit coarse insertion time. The table
 * has twice as many slots as the ghost is long (fewer and buckets overflow: a third of a
 * FIFO ghost's keys would be lost early), that is 32 time units of insertions; a
 * remembered key lives at most 16 units, times wrap after 64 and a sweep clears one slot
 * per insertion, so no stale slot survives a wrap to look young again.
 */
#define KC_GHOST_TBITS		6
#define KC_GHOST_TMASK		((1U << KC_GHOST_TBITS) - 1)
#define KC_GHOST_TABLE_UNITS	5	/* log2 of the table's size in time units */

static const u64 kc_sketch_seeds[4] = {
	0xc3a5c85c97cb3127ULL, 0xb492b66fbe98f273ULL,
	0x9ae16a3b2f90404fULL, 0xcbf29ce484222325ULL,
};

/* --- frequency sketch ------------------------------------------------------------------ */

static u64 kc_sketch_index(const struct kc_sketch *s, u32 item, int i)
{
	u64 h = (item + kc_sketch_seeds[i]) * kc_sketch_seeds[i];

	h += h >> 32;
	return h & s->mask;
}

/*
 * Aging: halve every counter so that old popularity fades. The odd counters lose half a
 * count each, an addition being four counters; subtracting them before halving keeps
 * @additions an honest count of what is left. The table is up to 32 MiB, milliseconds of
 * work (tens under KASAN): let the scheduler in on the way. The maintenance mutex, which
 * every caller holds, keeps the sketch consistent meanwhile.
 */
static void kc_sketch_reset(struct kc_sketch *s)
{
	u64 odd = 0, i, sub;

	for (i = 0; i <= s->mask; i++) {
		odd += hweight64(s->table[i] & 0x1111111111111111ULL);
		s->table[i] = (s->table[i] >> 1) & 0x7777777777777777ULL;
		if ((i & (KC_SKETCH_RESET_CHUNK - 1)) == KC_SKETCH_RESET_CHUNK - 1)
			cond_resched();
	}
	sub = odd >> 2;
	s->additions = (s->additions > sub ? s->additions - sub : 0) >> 1;
}

/* Halve after 10 x capacity increments (at most 10 per counter word). */
u64 kcache_sketch_period(const struct kc_sketch *s, u64 entries)
{
	return KC_SKETCH_PERIOD_MULT * clamp_t(u64, entries, 1, s->mask + 1);
}

/**
 * kcache_sketch_increment() - count one occurrence of a key
 * @s: the sketch
 * @hash: the key's hash
 *
 * Each of the key's four counters below 15 is incremented; when the number of increments
 * reaches the sample period, every counter is halved.
 *
 * Context: may sleep (the halving reschedules).
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

/* --- ghost -------------------------------------------------------------------------------- */

static u16 *kc_ghost_bucket(const struct kc_ghost *g, u32 hash, u16 *fp)
{
	u64 h = kc_mix64(hash ^ g->seed);

	/* Bit KC_GHOST_TBITS is always set, so that no live slot reads as empty (0). */
	*fp = ((u16)(h >> 48) & ~KC_GHOST_TMASK) | BIT(KC_GHOST_TBITS);
	return &g->slots[(h & g->mask) * KC_GHOST_WAYS];
}

/* Age of a slot in time units (2^@shift insertions); times wrap every 2^KC_GHOST_TBITS. */
static u32 kc_ghost_age(const struct kc_ghost *g, u16 slot)
{
	return ((g->clock >> g->shift) - slot) & KC_GHOST_TMASK;
}

/* The span in time units, rounded to the nearest. */
static u32 kc_ghost_limit(const struct kc_ghost *g)
{
	return (g->span + (BIT(g->shift) >> 1)) >> g->shift;
}

/* @nslots slots, a power of two and at least KC_GHOST_WAYS. */
void kcache_ghost_init(struct kc_ghost *g, u16 *slots, u32 nslots, u64 seed)
{
	u32 log = ilog2(nslots);

	g->slots = slots;
	g->mask = nslots / KC_GHOST_WAYS - 1;
	g->shift = log > KC_GHOST_TABLE_UNITS ? log - KC_GHOST_TABLE_UNITS : 0;
	g->seed = seed;
	g->clock = 0;
	g->sweep = 0;
	g->span = 0;
}

/* At most half the table: see KC_GHOST_TBITS. */
void kcache_ghost_set_span(struct kc_ghost *g, u64 span)
{
	g->span = min_t(u64, span, (u64)(g->mask + 1) * KC_GHOST_WAYS / 2);
}

/**
 * kcache_ghost_add() - remember that a key was evicted
 * @g: the ghost
 * @hash: the key's hash
 *
 * The key takes an empty slot of its bucket or the oldest one's.
 */
void kcache_ghost_add(struct kc_ghost *g, u32 hash)
{
	u32 i, old = 0, oldest = 0, limit = kc_ghost_limit(g);
	u16 fp, *b = kc_ghost_bucket(g, hash, &fp);

	for (i = 0; i < KC_GHOST_WAYS; i++) {
		u32 age = b[i] ? kc_ghost_age(g, b[i]) : KC_GHOST_TMASK + 1;

		if (age > oldest) {
			oldest = age;
			old = i;
		}
	}
	b[old] = fp | ((g->clock >> g->shift) & KC_GHOST_TMASK);
	g->clock++;
	/* One slot per insertion: the whole table every 32 units, before any time wraps. */
	if (g->slots[g->sweep] && kc_ghost_age(g, g->slots[g->sweep]) > limit)
		g->slots[g->sweep] = 0;
	g->sweep = (g->sweep + 1) & ((g->mask + 1) * KC_GHOST_WAYS - 1);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_ghost_add);

/**
 * kcache_ghost_take() - was a key evicted within the last @g->span evictions?
 * @g: the ghost
 * @hash: the key's hash
 *
 * A key found is forgotten (it is about to be resident again). Fingerprints are 9 bits (and
 * the bucket), so a lookup finds a key that is not there about once in 128 while the
 * ghost is full: harmless, it only lets one key skip the small queue.
 *
 * Return: true if the key was found.
 */
bool kcache_ghost_take(struct kc_ghost *g, u32 hash)
{
	u32 i, limit = kc_ghost_limit(g);
	u16 fp, *b = kc_ghost_bucket(g, hash, &fp);

	for (i = 0; i < KC_GHOST_WAYS; i++) {
		if (b[i] && (b[i] & ~KC_GHOST_TMASK) == fp && kc_ghost_age(g, b[i]) <= limit) {
			b[i] = 0;
			return true;
		}
	}
	return false;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_ghost_take);

void kcache_ghost_clear(struct kc_ghost *g)
{
	memset(g->slots, 0, (size_t)(g->mask + 1) * KC_GHOST_WAYS * sizeof(u16));
	g->clock = 0;
	g->sweep = 0;
}
