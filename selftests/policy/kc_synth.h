/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A synthetic, fully deterministic workload shared by kc_replay (userspace) and the
 * kcache_policy KUnit suite. Both builds fold the sequence of evicted keys into a 64-bit
 * FNV-1a hash; equal hashes show that the policy (kcache_policy.c, kcache_sketch.c,
 * kcache_shadow.c) behaves identically in both builds.
 *
 * Include after kcache_policy.h.
 */
#ifndef _KC_SYNTH_H
#define _KC_SYNTH_H

#define KC_SYNTH_KEYS		4096
#define KC_SYNTH_REQUESTS	120000
#define KC_SYNTH_MAX_ENTRIES	600
#define KC_SYNTH_MAX_WEIGHT	(600 * 150)
#define KC_SYNTH_SEED		0x6b63616368650001ULL

/**
 * struct kc_synth_entry - a cache entry of the synthetic workload, indexed by key
 * @pn: the policy node
 * @weight: its weight, what kc_synth_weight() gives the policy
 * @resident: the key is in the cache
 */
struct kc_synth_entry {
	struct kc_pnode pn;
	u32 weight;
	u8 resident;
};

static inline u32 kc_synth_weight(const struct kc_pnode *n)
{
	return container_of(n, struct kc_synth_entry, pn)->weight;
}

static inline u32 kc_synth_rand(u64 *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/* Three phases: skewed popularity, a loop larger than the cache, then skew mixed with scans. */
static inline u32 kc_synth_key(u64 *state, u32 i)
{
	u32 a = kc_synth_rand(state) % KC_SYNTH_KEYS, b = kc_synth_rand(state) % KC_SYNTH_KEYS;

	if (i < KC_SYNTH_REQUESTS / 3)
		return a * b / KC_SYNTH_KEYS;
	if (i < 2 * (KC_SYNTH_REQUESTS / 3))
		return i % 900;
	return (a & 1) ? (a * b / KC_SYNTH_KEYS) / 4 : 1024 + i % 3072;
}

static inline u32 kc_synth_hash(u32 key)
{
	u64 x = key;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x >> 32;
}

static inline void kc_synth_fold(u64 *fnv, u32 v)
{
	int i;

	for (i = 0; i < 4; i++) {
		*fnv ^= (v >> (8 * i)) & 0xff;
		*fnv *= 0x100000001b3ULL;
	}
}

/**
 * kc_synth_fnv() - run the synthetic workload and hash the eviction sequence
 * @p: policy storage (initialised and destroyed here)
 * @e: KC_SYNTH_KEYS zeroed entries
 * @kind: the policy kind
 *
 * Return: the FNV-1a hash of the evicted keys, or 0 if the policy could not be set up.
 */
static inline u64 kc_synth_fnv(struct kc_policy *p, struct kc_synth_entry *e, int kind)
{
	u64 fnv = 0xcbf29ce484222325ULL, state = KC_SYNTH_SEED;
	struct kc_pnode *v;
	u32 i, key;

	if (kcache_policy_init(p, kind, KC_SYNTH_MAX_ENTRIES, KC_SYNTH_MAX_WEIGHT, KC_SYNTH_SEED,
			       kc_synth_weight))
		return 0;
	for (i = 0; i < KC_SYNTH_REQUESTS; i++) {
		key = kc_synth_key(&state, i);
		if (e[key].resident) {
			/* Now and then the application deletes what it just read. */
			if (i % 101 == 0) {
				kcache_policy_remove(p, &e[key].pn);
				e[key].resident = 0;
				kc_synth_fold(&fnv, key | 0x80000000U);
			} else {
				kcache_policy_access(p, &e[key].pn);
			}
			continue;
		}
		kcache_policy_miss(p, kc_synth_hash(key));
		e[key].pn.hash = kc_synth_hash(key);
		e[key].weight = 64 + (key % 13) * 16;
		e[key].resident = 1;
		kcache_policy_add(p, &e[key].pn);
		while ((v = kcache_policy_evict(p))) {
			key = container_of(v, struct kc_synth_entry, pn) - e;
			e[key].resident = 0;
			kc_synth_fold(&fnv, key);
		}
	}
	kc_synth_fold(&fnv, (u32)kcache_policy_entries(p));
	kc_synth_fold(&fnv, (u32)kcache_policy_weight(p));
	kc_synth_fold(&fnv, p->win_frac);
	kc_synth_fold(&fnv, p->cfg);
	kc_synth_fold(&fnv, (u32)p->switches);
	kcache_policy_destroy(p);
	return fnv;
}

#endif /* _KC_SYNTH_H */
