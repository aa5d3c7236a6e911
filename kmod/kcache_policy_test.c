// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite kcache_policy: the eviction policies of kcache_policy.c, driven directly
 * (no cache around them). Linked into the test module together with kcache_policy.o; the
 * module lists kcache_policy_suite with the other suites.
 *
 * The cross-build case compares the eviction sequence of a synthetic workload with the hash
 * that the userspace build of the same file produced at build time
 * (selftests/policy/gen-expect.sh writes kcache_policy_expect.h).
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kcache_policy.h"
#include "../selftests/policy/kc_synth.h"

#if __has_include("kcache_policy_expect.h")
#include "kcache_policy_expect.h"
#endif

#define KC_TEST_SEED	0x1234abcdULL

/* A toy cache over keys 0..nr-1: one node per key, resident or not. */
struct kc_test_cache {
	struct kc_policy p;
	struct kc_synth_entry *e;
	u32 nr;
	u64 hits;
	u64 requests;
};

static struct kc_test_cache *kc_test_cache_new(struct kunit *test, int kind, u32 nr,
					       u64 max_entries, u64 max_weight)
{
	struct kc_test_cache *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->e = kunit_kcalloc(test, nr, sizeof(*c->e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->e);
	c->nr = nr;
	KUNIT_ASSERT_EQ(test, kc_policy_init(&c->p, kind, max_entries, max_weight, KC_TEST_SEED),
			0);
	return c;
}

static void kc_test_cache_free(struct kc_test_cache *c)
{
	kc_policy_destroy(&c->p);
}

static u32 kc_test_key(struct kc_test_cache *c, struct kc_pnode *n)
{
	return container_of(n, struct kc_synth_entry, pn) - c->e;
}

/* Look @key up as the core would: hit, or miss + insert + evict while over the bounds. */
static void kc_test_request(struct kc_test_cache *c, u32 key, u32 weight)
{
	struct kc_pnode *v;

	c->requests++;
	if (c->e[key].resident) {
		c->hits++;
		kc_policy_access(&c->p, &c->e[key].pn);
		return;
	}
	kc_policy_miss(&c->p, kc_synth_hash(key));
	c->e[key].pn.hash = kc_synth_hash(key);
	c->e[key].pn.weight = weight;
	c->e[key].resident = 1;
	kc_policy_add(&c->p, &c->e[key].pn);
	while ((v = kc_policy_evict(&c->p)))
		c->e[kc_test_key(c, v)].resident = 0;
}

static void kc_policy_init_rejects_bad_arguments(struct kunit *test)
{
	struct kc_policy *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, kc_policy_init(p, KCACHE_POLICY_NR, 10, 10, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kc_policy_init(p, -1, 10, 10, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kc_policy_init(p, KCACHE_POLICY_TINYLFU, 0, 10, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kc_policy_init(p, KCACHE_POLICY_LRU, 10, 0, 0), -EINVAL);
}

static void kc_sketch_increment_counts_and_saturates(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 1, 1024, U64_MAX);
	struct kc_sketch *s = &c->p.sketch;
	int i;

	KUNIT_EXPECT_EQ(test, kc_sketch_frequency(s, 42), 0U);
	for (i = 0; i < 3; i++)
		kc_sketch_increment(s, 42);
	KUNIT_EXPECT_EQ(test, kc_sketch_frequency(s, 42), 3U);
	KUNIT_EXPECT_EQ(test, kc_sketch_frequency(s, 43), 0U);
	for (i = 0; i < 30; i++)
		kc_sketch_increment(s, 42);
	KUNIT_EXPECT_EQ(test, kc_sketch_frequency(s, 42), 15U);
	kc_test_cache_free(c);
}

static void kc_sketch_increment_halves_after_period(struct kunit *test)
{
	/* A big table with a short period, so that other keys barely collide with ours. */
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 1, 4096, U64_MAX);
	struct kc_sketch *s = &c->p.sketch;
	u32 key = 1000, i;
	u64 before;

	kc_policy_set_limits(&c->p, 64, U64_MAX);
	KUNIT_ASSERT_EQ(test, s->period, 640ULL);
	for (i = 0; i < 15; i++)
		kc_sketch_increment(s, 7);
	KUNIT_ASSERT_EQ(test, kc_sketch_frequency(s, 7), 15U);
	do {
		before = s->additions;
		kc_sketch_increment(s, kc_synth_hash(key++));
	} while (s->additions > before);
	KUNIT_EXPECT_EQ(test, kc_sketch_frequency(s, 7), 7U);
	KUNIT_EXPECT_LT(test, s->additions, s->period / 2 + 1);
	kc_test_cache_free(c);
}

static void kc_policy_admit_compares_frequencies(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 1, 1024, U64_MAX);
	struct kc_policy *p = &c->p;
	int i, admitted = 0;

	for (i = 0; i < 3; i++)
		kc_sketch_increment(&p->sketch, 1);
	kc_sketch_increment(&p->sketch, 2);
	KUNIT_EXPECT_TRUE(test, kc_policy_admit(p, 1, 2));
	KUNIT_EXPECT_FALSE(test, kc_policy_admit(p, 2, 1));
	/* Equal and cold: never admitted. */
	kc_sketch_increment(&p->sketch, 3);
	for (i = 0; i < 5000; i++)
		admitted += kc_policy_admit(p, 3, 2);
	KUNIT_EXPECT_EQ(test, admitted, 0);
	/* Equal and warm: the hash-flooding defence admits about 1 in 1024. */
	for (i = 0; i < 8; i++) {
		kc_sketch_increment(&p->sketch, 4);
		kc_sketch_increment(&p->sketch, 5);
	}
	for (i = 0; i < 20000; i++)
		admitted += kc_policy_admit(p, 4, 5);
	KUNIT_EXPECT_GT(test, admitted, 5);
	KUNIT_EXPECT_LT(test, admitted, 60);
	kc_test_cache_free(c);
}

static void kc_policy_evict_moves_window_to_probation_to_protected(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 200, 100, U64_MAX);
	struct kc_policy *p = &c->p;
	u32 k;

	for (k = 0; k < 100; k++)
		kc_test_request(c, k, 1);
	/* 1% window: the newest entry in the window, the rest in probation, nothing evicted. */
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 100ULL);
	KUNIT_EXPECT_EQ(test, p->nr[KC_Q_WINDOW], 1ULL);
	KUNIT_EXPECT_EQ(test, c->e[99].pn.queue, KC_Q_WINDOW);
	KUNIT_EXPECT_EQ(test, c->e[0].pn.queue, KC_Q_PROBATION);

	kc_test_request(c, 0, 1);
	KUNIT_EXPECT_EQ(test, c->e[0].pn.queue, KC_Q_PROTECTED);
	kc_test_request(c, 99, 1);
	KUNIT_EXPECT_EQ(test, c->e[99].pn.queue, KC_Q_WINDOW);

	/* Protected holds 80% of main (79 of 99); promoting more demotes its LRU entry. */
	for (k = 1; k < 81; k++)
		kc_test_request(c, k, 1);
	KUNIT_EXPECT_EQ(test, p->nr[KC_Q_PROTECTED], 79ULL);
	KUNIT_EXPECT_EQ(test, c->e[0].pn.queue, KC_Q_PROBATION);
	KUNIT_EXPECT_EQ(test, c->e[80].pn.queue, KC_Q_PROTECTED);
	KUNIT_EXPECT_EQ(test, c->hits, 82ULL);
	kc_test_cache_free(c);
}

static void kc_policy_evict_admits_by_frequency(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 300, 100, U64_MAX);
	struct kc_policy *p = &c->p;
	struct kc_pnode *v;
	u32 k, victim;

	for (k = 0; k < 100; k++)
		kc_test_request(c, k, 1);
	/* Key 200 is cold: it loses to the probation victim and leaves at once. */
	kc_test_request(c, 200, 1);
	kc_test_request(c, 201, 1);
	KUNIT_EXPECT_FALSE(test, c->e[200].resident);
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 100ULL);

	/* Key 202 was asked for often: it beats the probation victim, which goes. */
	victim = kc_test_key(c, list_first_entry(&p->q[KC_Q_PROBATION], struct kc_pnode, link));
	for (k = 0; k < 4; k++)
		kc_policy_miss(p, kc_synth_hash(202));
	kc_test_request(c, 202, 1);
	kc_test_request(c, 203, 1);
	KUNIT_EXPECT_TRUE(test, c->e[202].resident);
	KUNIT_EXPECT_EQ(test, c->e[202].pn.queue, KC_Q_PROBATION);
	KUNIT_EXPECT_FALSE(test, c->e[victim].resident);

	/* Within bounds there is nothing to evict. */
	KUNIT_EXPECT_NULL(test, kc_policy_evict(p));
	v = kc_policy_coldest(p);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_EQ(test, v->queue, KC_Q_NONE);
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 99ULL);
	kc_test_cache_free(c);
}

static void kc_policy_evict_bounded_by_weight(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 100, 1000, 1000);
	struct kc_policy *p = &c->p;
	u32 k;

	for (k = 0; k < 10; k++)
		kc_test_request(c, k, 100);
	KUNIT_EXPECT_EQ(test, kc_policy_weight(p), 1000ULL);
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 10ULL);

	kc_test_request(c, 10, 100);
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 10ULL);
	KUNIT_EXPECT_LE(test, kc_policy_weight(p), 1000ULL);

	/* One heavy entry pushes out several light ones. */
	for (k = 0; k < 5; k++)
		kc_policy_miss(p, kc_synth_hash(50));
	kc_test_request(c, 50, 450);
	KUNIT_EXPECT_TRUE(test, c->e[50].resident);
	KUNIT_EXPECT_LE(test, kc_policy_weight(p), 1000ULL);
	KUNIT_EXPECT_LE(test, kc_policy_entries(p), 6ULL);

	/* Shrinking the bounds evicts down to them. */
	kc_policy_set_limits(p, 2, 1000);
	while (kc_policy_evict(p))
		;
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 2ULL);
	kc_test_cache_free(c);
}

static void kc_policy_replace_keeps_position_and_queue(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 20, 10, U64_MAX);
	struct kc_policy *p = &c->p;
	struct kc_pnode *n;
	u32 k;

	for (k = 0; k < 10; k++)
		kc_test_request(c, k, 10);
	KUNIT_ASSERT_EQ(test, c->e[0].pn.queue, KC_Q_PROBATION);
	c->e[15].pn.hash = c->e[0].pn.hash;
	c->e[15].pn.weight = 25;
	kc_policy_replace(p, &c->e[0].pn, &c->e[15].pn);
	c->e[0].resident = 0;
	c->e[15].resident = 1;
	KUNIT_EXPECT_EQ(test, c->e[0].pn.queue, KC_Q_NONE);
	KUNIT_EXPECT_EQ(test, c->e[15].pn.queue, KC_Q_PROBATION);
	KUNIT_EXPECT_EQ(test, kc_policy_weight(p), 115ULL);
	n = list_first_entry(&p->q[KC_Q_PROBATION], struct kc_pnode, link);
	KUNIT_EXPECT_PTR_EQ(test, n, &c->e[15].pn);

	/* Remove works on any queue and leaves the node on none. */
	kc_test_request(c, 1, 10);
	KUNIT_ASSERT_EQ(test, c->e[1].pn.queue, KC_Q_PROTECTED);
	kc_policy_remove(p, &c->e[1].pn);
	kc_policy_remove(p, &c->e[9].pn);
	KUNIT_EXPECT_EQ(test, c->e[1].pn.queue, KC_Q_NONE);
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 8ULL);
	KUNIT_EXPECT_EQ(test, kc_policy_weight(p), 95ULL);
	kc_policy_remove(p, &c->e[1].pn);
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 8ULL);

	for (k = 0; k < 8; k++)
		KUNIT_EXPECT_NOT_NULL(test, kc_policy_coldest(p));
	KUNIT_EXPECT_NULL(test, kc_policy_coldest(p));
	KUNIT_EXPECT_EQ(test, kc_policy_weight(p), 0ULL);
	kc_test_cache_free(c);
}

static void kc_policy_evict_lru_in_access_order(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_LRU, 10, 3, U64_MAX);
	struct kc_policy *p = &c->p;

	kc_test_request(c, 0, 1);
	kc_test_request(c, 1, 1);
	kc_test_request(c, 2, 1);
	kc_test_request(c, 0, 1);
	kc_test_request(c, 3, 1);
	KUNIT_EXPECT_FALSE(test, c->e[1].resident);
	kc_test_request(c, 4, 1);
	KUNIT_EXPECT_FALSE(test, c->e[2].resident);
	KUNIT_EXPECT_TRUE(test, c->e[0].resident);
	KUNIT_EXPECT_EQ(test, kc_policy_entries(p), 3ULL);
	KUNIT_EXPECT_EQ(test, kc_test_key(c, kc_policy_coldest(p)), 0U);
	kc_test_cache_free(c);
}

/* Sweep keys 0..n-1 forward then backward: LRU keeps the last capacity keys, which is optimal. */
static void kc_test_zigzag(struct kc_test_cache *c, u32 n, u32 rounds)
{
	u32 r, k;

	for (r = 0; r < rounds; r++) {
		for (k = 0; k < n; k++)
			kc_test_request(c, k, 1);
		for (k = n; k-- > 0;)
			kc_test_request(c, k, 1);
	}
}

/* Loop over keys 0..n-1: LRU never hits, a frozen main holds capacity - window keys. */
static void kc_test_loop(struct kc_test_cache *c, u32 n, u32 rounds)
{
	u32 r, k;

	for (r = 0; r < rounds; r++)
		for (k = 0; k < n; k++)
			kc_test_request(c, k, 1);
}

static void kc_policy_climb_grows_window_on_recency(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 600, 400, U64_MAX);

	KUNIT_ASSERT_EQ(test, c->p.win_frac, 10U);
	kc_test_zigzag(c, 600, 10);
	KUNIT_EXPECT_GE(test, c->p.win_frac, 500U);
	/* LRU's ratio here is 400 per 600 requests; allow the start-up cost. */
	KUNIT_EXPECT_GT(test, c->hits * 100, c->requests * 55);
	kc_test_cache_free(c);
}

static void kc_policy_climb_shrinks_window_on_frequency(struct kunit *test)
{
	struct kc_test_cache *c = kc_test_cache_new(test, KCACHE_POLICY_TINYLFU, 600, 400, U64_MAX);
	u64 hits, requests;

	kc_test_zigzag(c, 600, 10);
	KUNIT_ASSERT_GE(test, c->p.win_frac, 500U);
	hits = c->hits;
	requests = c->requests;
	kc_test_loop(c, 500, 40);
	KUNIT_EXPECT_LE(test, c->p.win_frac, 100U);
	/* LRU would hit nothing on this loop; a small window keeps most of main. */
	KUNIT_EXPECT_GT(test, (c->hits - hits) * 100, (c->requests - requests) * 50);
	kc_test_cache_free(c);
}

static void kc_policy_evict_matches_userspace_build(struct kunit *test)
{
#ifdef KC_POLICY_EXPECT_FNV_TINYLFU
	struct kc_synth_entry *e = kvcalloc(KC_SYNTH_KEYS, sizeof(*e), GFP_KERNEL);
	struct kc_policy *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	u64 tinylfu, lru;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, e);
	tinylfu = kc_synth_fnv(p, e, KCACHE_POLICY_TINYLFU);
	memset(e, 0, KC_SYNTH_KEYS * sizeof(*e));
	lru = kc_synth_fnv(p, e, KCACHE_POLICY_LRU);
	kvfree(e);
	KUNIT_EXPECT_EQ(test, tinylfu, KC_POLICY_EXPECT_FNV_TINYLFU);
	KUNIT_EXPECT_EQ(test, lru, KC_POLICY_EXPECT_FNV_LRU);
#else
	kunit_skip(test, "kcache_policy_expect.h not generated (selftests/policy/gen-expect.sh)");
#endif
}

static struct kunit_case kcache_policy_cases[] = {
	KUNIT_CASE(kc_policy_init_rejects_bad_arguments),
	KUNIT_CASE(kc_sketch_increment_counts_and_saturates),
	KUNIT_CASE(kc_sketch_increment_halves_after_period),
	KUNIT_CASE(kc_policy_admit_compares_frequencies),
	KUNIT_CASE(kc_policy_evict_moves_window_to_probation_to_protected),
	KUNIT_CASE(kc_policy_evict_admits_by_frequency),
	KUNIT_CASE(kc_policy_evict_bounded_by_weight),
	KUNIT_CASE(kc_policy_replace_keeps_position_and_queue),
	KUNIT_CASE(kc_policy_evict_lru_in_access_order),
	KUNIT_CASE(kc_policy_climb_grows_window_on_recency),
	KUNIT_CASE(kc_policy_climb_shrinks_window_on_frequency),
	KUNIT_CASE(kc_policy_evict_matches_userspace_build),
	{}
};

/* Not static: the test module's kunit_test_suites() lists it with kcache's other suites. */
struct kunit_suite kcache_policy_suite = {
	.name = "kcache_policy",
	.test_cases = kcache_policy_cases,
};
