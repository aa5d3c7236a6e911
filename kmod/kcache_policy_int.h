/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the eviction policy's files share beyond kcache_policy.h: constants, small hash and
 * arithmetic helpers, and the functions one of them calls in another. kcache_policy.c holds
 * the real lists and the API, kcache_sketch.c the frequency sketch and the ghost,
 * kcache_shadow.c the shadow caches and the climber. Only these three include it.
 */
#ifndef _KCACHE_POLICY_INT_H
#define _KCACHE_POLICY_INT_H

#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/types.h>
#endif

#include "kcache_policy.h"

#define KC_PROTECTED_PERMILLE	800		/* of main */

/*
 * Shadows hold up to KC_SHADOW_MAX sampled entries (512 models big caches as well as 1024 on
 * the shared traces).
 */
#define KC_SHADOW_MAX		512

/* Slots per bucket of a ghost (kcache_sketch.c). */
#define KC_GHOST_WAYS		4

/* splitmix64's finaliser: every input bit affects every output bit. */
static inline u64 kc_mix64(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline u32 kc_mix32(u32 hash, u64 seed)
{
	return kc_mix64(hash ^ seed) >> 32;
}

/* x * permille / 1000 without overflow for any u64 x. */
static inline u64 kc_permille(u64 x, u32 permille)
{
	u32 rem;
	u64 q = div_u64_rem(x, KC_WIN_ONE, &rem);

	return q * permille + (u64)rem * permille / KC_WIN_ONE;
}

/* kcache_sketch.c */
u64 kcache_sketch_period(const struct kc_sketch *s, u64 entries);
void kcache_ghost_init(struct kc_ghost *g, u16 *slots, u32 nslots, u64 seed);
void kcache_ghost_set_span(struct kc_ghost *g, u64 span);
void kcache_ghost_clear(struct kc_ghost *g);

/* kcache_shadow.c */
void kcache_shadows_config(struct kc_policy *p, u64 entries);
void kcache_shadows_sample(struct kc_policy *p, u32 hash, bool real_hit);

/* kcache_policy.c */
void kcache_policy_use_config(struct kc_policy *p, u32 cfg);

#endif /* _KCACHE_POLICY_INT_H */
