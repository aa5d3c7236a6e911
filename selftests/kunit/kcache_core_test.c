// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite kcache_core: every operation of the exported API and its error paths,
 * bounds after maintenance, byte accounting, expiry, handles, destroy, the shrinker and
 * the one-allocation-per-entry rule. Each case uses its own cache.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/nodemask.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kcache_entry.h"
#include "kcache_internal.h"
#include "kcache_maint.h"
#include "kcache_spare.h"
#include "kcache_sysfs.h"
#include "kcache_table.h"
#include "kcache_test.h"

static void kc_case_exit(struct kunit *test)
{
	struct kcache *c = test->priv;

	if (c) {
		kcache_destroy(c);
		kcache_put_ref(c);
	}
}

/* A fresh cache named after the running case, destroyed when the case ends. */
static struct kcache *kc_new(struct kunit *test, u64 max_entries, u64 max_bytes,
			     u64 ttl_ns, u32 policy)
{
	struct kcache_config cfg = {
		.max_entries = max_entries,
		.max_bytes = max_bytes,
		.default_ttl_ns = ttl_ns,
		.policy = policy,
	};
	char name[KCACHE_NAME_MAX + 1];
	struct kcache *c;

	snprintf(name, sizeof(name), "kt-%.50s", test->name);
	c = kcache_create(name, &cfg);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(c), "create %s: %ld", name, PTR_ERR(c));
	test->priv = c;
	return c;
}

static int kc_sets(struct kcache *c, const char *key, const char *val)
{
	return kcache_set(c, key, strlen(key), val, strlen(val), 0, 0, NULL);
}

/* Store "<prefix>0" .. "<prefix><n - 1>", each a 1-byte value with TTL @ttl_ns. */
static void kc_fill(struct kunit *test, struct kcache *c, const char *prefix, int n,
		    u64 ttl_ns)
{
	char key[24];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s%d", prefix, i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, strlen(key), "v", 1, ttl_ns, 0,
						    NULL));
	}
}

static void set_get_roundtrip(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	char buf[16];
	u32 len = sizeof(buf);
	u64 v1, v2;

	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "k", 1, buf, &len, NULL));
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "k", 1, "hello", 5, 0, 0, &v1));
	len = sizeof(buf);
	KUNIT_ASSERT_EQ(test, 0, kcache_get(c, "k", 1, buf, &len, &v2));
	KUNIT_EXPECT_EQ(test, 5u, len);
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, "hello", 5));
	KUNIT_EXPECT_EQ(test, v1, v2);
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "k", 1, "", 0, 0, 0, &v2));
	KUNIT_EXPECT_GT(test, v2, v1);
	len = sizeof(buf);
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "k", 1, buf, &len, NULL));
	KUNIT_EXPECT_EQ(test, 0u, len);
}

/*
 * The inline word copy, zeroing and compare of keys and short values: every length up to
 * past two words of the inline limit, at every misalignment, with a change at every byte.
 */
static void word_copy_and_compare_exact(struct kunit *test)
{
	u8 *a = kunit_kzalloc(test, 2 * KC_COPY_INLINE + 32, GFP_KERNEL);
	u8 *b = kunit_kzalloc(test, 2 * KC_COPY_INLINE + 32, GFP_KERNEL);
	size_t len, off, i;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	for (len = 0; len <= KC_COPY_INLINE + 16; len++) {
		/* from 1: the byte before the destination is checked at every misalignment */
		for (off = 1; off <= 8; off++) {
			for (i = 0; i < len + 2; i++)
				a[off + i] = 0x40 + (i * 7 + len) % 61;
			memset(b, 0xee, 2 * KC_COPY_INLINE + 32);
			kcache_copy_bytes(b + off, a + off, len);
			/* not a byte more, nor one before: the last word overlaps inside */
			KUNIT_EXPECT_EQ(test, 0xee, b[off + len]);
			KUNIT_EXPECT_EQ(test, 0xee, b[off - 1]);
			KUNIT_EXPECT_TRUE(test, kcache_bytes_equal(b + off, a + off, len));
			for (i = 0; i < len; i++) {
				b[off + i] ^= 0x10;
				KUNIT_EXPECT_FALSE_MSG(test,
						       kcache_bytes_equal(b + off, a + off, len),
						       "len %zu off %zu byte %zu", len, off, i);
				b[off + i] ^= 0x10;
			}
			kcache_zero_bytes(b + off, len);
			KUNIT_EXPECT_EQ(test, 0xee, b[off + len]);
			KUNIT_EXPECT_EQ(test, 0xee, b[off - 1]);
			KUNIT_EXPECT_NULL_MSG(test, memchr_inv(b + off, 0, len),
					      "len %zu off %zu", len, off);
		}
	}
}

/* Keys that differ only in their last byte, of every length a word compare splits. */
static void keys_differing_in_last_byte_are_distinct(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	char key[41], buf[8];
	u32 klen, len;
	u8 v;

	memset(key, 'k', sizeof(key));
	for (klen = 1; klen <= 40; klen++) {
		for (v = 0; v < 2; v++) {
			key[klen - 1] = 'a' + v;
			KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, klen, &v, 1, 0, 0, NULL));
		}
		for (v = 0; v < 2; v++) {
			key[klen - 1] = 'a' + v;
			len = sizeof(buf);
			KUNIT_ASSERT_EQ(test, 0, kcache_get(c, key, klen, buf, &len, NULL));
			KUNIT_EXPECT_EQ(test, 1u, len);
			KUNIT_EXPECT_EQ_MSG(test, v, buf[0], "key length %u", klen);
		}
		key[klen - 1] = 'k';
	}
}

/*
 * The key hash reads words and zero-pads the last one: keys that differ only by trailing
 * NULs (a key is bytes, not a string) must still hash apart, or they would share a chain,
 * a stripe and sketch counters under every seed. 32 hashes of a random function collide
 * with a probability of about 10^-7.
 */
static void keys_padded_with_nuls_hash_apart(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	u8 key[40] = "abc";
	u32 hash[32], i, j;

	for (i = 0; i < ARRAY_SIZE(hash); i++)
		hash[i] = kcache_key_hash(c, key, 3 + i);
	for (i = 0; i < ARRAY_SIZE(hash); i++)
		for (j = i + 1; j < ARRAY_SIZE(hash); j++)
			KUNIT_EXPECT_NE_MSG(test, hash[i], hash[j], "key lengths %u and %u",
					    3 + i, 3 + j);
}

/* The table's size now, read as its resize work would. */
static unsigned int kc_table_size(struct kcache *c)
{
	unsigned int size;

	rcu_read_lock();
	size = rcu_dereference(c->ht.tbl)->size;
	rcu_read_unlock();
	return size;
}

/* Wait (up to 10 s) for the table's deferred resize to reach or pass @want buckets. */
static bool kc_table_wait(struct kcache *c, unsigned int want, bool grow)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (grow ? kc_table_size(c) >= want : kc_table_size(c) <= want)
			return true;
		msleep(20);
	}
	return false;
}

/*
 * Entries keep their key's hash and the table mixes it with its own seed, which each new
 * table draws afresh: every key stays findable, with its own value, through the rehashes
 * that grow the table and those that shrink it, and deleted keys stay gone.
 */
static void keys_found_across_table_resizes(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	unsigned int i, n = 4000, keep = 64, size0 = kc_table_size(c), grown;
	char key[24];
	u32 out, len;
	int ret;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "resize-%u", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, strlen(key), &i, sizeof(i), 0, 0,
						    NULL));
	}
	/* 4000 entries need 8192 buckets at rhashtable's 75% load factor */
	KUNIT_ASSERT_TRUE_MSG(test, kc_table_wait(c, 8192, true), "table of %u buckets",
			      kc_table_size(c));
	grown = kc_table_size(c);
	KUNIT_EXPECT_GT(test, grown, size0);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "resize-%u", i);
		len = sizeof(out);
		KUNIT_ASSERT_EQ_MSG(test, 0, kcache_get(c, key, strlen(key), &out, &len, NULL),
				    "%s after growing", key);
		KUNIT_EXPECT_EQ(test, i, out);
	}
	for (i = keep; i < n; i++) {
		snprintf(key, sizeof(key), "resize-%u", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_delete(c, key, strlen(key)));
	}
	/* automatic shrinking halves the table below 30% load, down to its minimum */
	KUNIT_ASSERT_TRUE_MSG(test, kc_table_wait(c, grown / 8, false), "table of %u buckets",
			      kc_table_size(c));
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "resize-%u", i);
		len = sizeof(out);
		ret = kcache_get(c, key, strlen(key), &out, &len, NULL);
		KUNIT_ASSERT_EQ_MSG(test, i < keep ? 0 : -ENOENT, ret, "%s after shrinking", key);
		if (i < keep)
			KUNIT_EXPECT_EQ(test, i, out);
	}
}

static void get_small_buffer_reports_length(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	char buf[4];
	u32 len = 3;

	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "key", "0123456789"));
	KUNIT_EXPECT_EQ(test, -EMSGSIZE, kcache_get(c, "key", 3, buf, &len, NULL));
	KUNIT_EXPECT_EQ(test, 10u, len);
}

static void set_flags_select_condition(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);

	KUNIT_EXPECT_EQ(test, -ENOENT,
			kcache_set(c, "a", 1, "1", 1, 0, KCACHE_SET_IF_PRESENT, NULL));
	KUNIT_EXPECT_EQ(test, 0, kcache_set(c, "a", 1, "1", 1, 0, KCACHE_SET_IF_ABSENT, NULL));
	KUNIT_EXPECT_EQ(test, -EEXIST,
			kcache_set(c, "a", 1, "2", 1, 0, KCACHE_SET_IF_ABSENT, NULL));
	KUNIT_EXPECT_EQ(test, 0, kcache_set(c, "a", 1, "3", 1, 0, KCACHE_SET_IF_PRESENT, NULL));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kcache_set(c, "a", 1, "4", 1, 0,
				   KCACHE_SET_IF_PRESENT | KCACHE_SET_IF_ABSENT, NULL));
	KUNIT_EXPECT_EQ(test, -EINVAL, kcache_set(c, "a", 1, "5", 1, 0, 1U << 30, NULL));
}

static void key_and_value_bounds_checked(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 64 << 10, 0, KCACHE_POLICY_TINYLFU);
	char *big = kunit_kzalloc(test, 128 << 10, GFP_KERNEL);
	u32 len = 1;

	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, -EINVAL, kcache_set(c, "", 0, "v", 1, 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, -EINVAL, kcache_get(c, NULL, 1, big, &len, NULL));
	KUNIT_EXPECT_EQ(test, 0, kcache_set(c, big, KCACHE_KEY_MAX, "v", 1, 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, -E2BIG, kcache_set(c, big, KCACHE_KEY_MAX + 1, "v", 1, 0, 0, NULL));
	/* larger than the cache's byte bound: refused, not evicting everything */
	KUNIT_EXPECT_EQ(test, -E2BIG, kcache_set(c, "k", 1, big, 100 << 10, 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, -EINVAL, kcache_set(c, "k", 1, NULL, 1, 0, 0, NULL));
}

/*
 * The byte bound counts an entry's charge (slab size, table share, deadline), not its raw
 * size: an entry whose raw size is max_bytes is charged more, and accepted it would have
 * the policy evict every entry and then itself. Refused, the cache keeps its entries; the
 * largest entry whose charge fits is stored. A deadline's room counts too.
 */
static void entry_charged_over_max_bytes_refused(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 4096, 0, KCACHE_POLICY_LRU);
	u32 big = 4096 - sizeof(struct kcache_entry) - 3, fits = big;
	char *buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	struct kcache_stats st;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	kc_fill(test, c, "k", 10, 0);
	kcache_maintain(c);
	KUNIT_EXPECT_GT(test, kcache_entry_charge(3, big, false), (size_t)4096);
	KUNIT_EXPECT_EQ(test, -E2BIG, kcache_set(c, "big", 3, buf, big, 0, 0, NULL));
	kcache_maintain(c);
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 10ULL, st.entries);
	KUNIT_EXPECT_EQ(test, 0ULL, st.evictions_size);

	while (kcache_entry_charge(3, fits, false) > 4096)
		fits--;
	KUNIT_EXPECT_EQ(test, 0, kcache_set(c, "fit", 3, buf, fits, 0, 0, NULL));
	/* the same value with a deadline may not fit: it is refused if it does not */
	KUNIT_EXPECT_EQ(test, kcache_entry_charge(3, fits, true) > 4096 ? -E2BIG : 0,
			kcache_set(c, "ttl", 3, buf, fits, NSEC_PER_SEC, 0, NULL));
	kcache_maintain(c);
	kcache_stats(c, &st);
	KUNIT_EXPECT_LE(test, st.bytes, 4096ULL);
	KUNIT_EXPECT_GE(test, st.entries, 1ULL);
}

/*
 * A pass reclaims the expired before it evicts: 50 new entries written to a full cache
 * whose 100 entries have all expired replace them, and none is evicted for room the
 * dead were about to give back.
 */
static void expired_reclaimed_before_eviction(struct kunit *test)
{
	struct kcache *c = kc_new(test, 100, 0, 0, KCACHE_POLICY_TINYLFU);
	struct kcache_stats st;

	kc_fill(test, c, "old", 100, 20 * NSEC_PER_MSEC);
	kcache_maintain(c);
	/* no pass but ours from here: the expiry work would reclaim them first */
	kcache_test_stall_work(c, true);
	msleep(40);
	kc_fill(test, c, "new", 50, 0);
	kcache_maintain(c);
	kcache_test_stall_work(c, false);
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 50ULL, st.entries);
	KUNIT_EXPECT_EQ(test, 0ULL, st.evictions_size);
	KUNIT_EXPECT_EQ(test, 100ULL, st.expirations);
}

static void delete_removes_once(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	struct kcache_stats st;
	u32 len = 0;

	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "d", "x"));
	KUNIT_EXPECT_EQ(test, 0, kcache_delete(c, "d", 1));
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_delete(c, "d", 1));
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "d", 1, NULL, &len, NULL));
	kcache_maintain(c);
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 0ULL, st.entries);
	KUNIT_EXPECT_EQ(test, 0ULL, st.bytes);
	KUNIT_EXPECT_EQ(test, 1ULL, st.deletes);
}

static void cas_compares_version(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	u64 v1, v2, v3;
	char buf[4];
	u32 len = sizeof(buf);

	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_cas(c, "c", 1, "1", 1, 0, 1, NULL));
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "c", 1, "1", 1, 0, 0, &v1));
	KUNIT_EXPECT_EQ(test, -ESTALE, kcache_cas(c, "c", 1, "2", 1, 0, v1 + 1, NULL));
	KUNIT_EXPECT_EQ(test, 0, kcache_cas(c, "c", 1, "3", 1, 0, v1, &v2));
	KUNIT_EXPECT_NE(test, v1, v2);
	KUNIT_EXPECT_EQ(test, -ESTALE, kcache_cas(c, "c", 1, "4", 1, 0, v1, &v3));
	KUNIT_ASSERT_EQ(test, 0, kcache_get(c, "c", 1, buf, &len, &v3));
	KUNIT_EXPECT_EQ(test, v2, v3);
	KUNIT_EXPECT_EQ(test, '3', buf[0]);
}

static void add_counts_from_zero(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	u64 r = 1;

	KUNIT_EXPECT_EQ(test, 0, kcache_add(c, "n", 1, 5, 0, &r));
	KUNIT_EXPECT_EQ(test, 5ULL, r);
	KUNIT_EXPECT_EQ(test, 0, kcache_add(c, "n", 1, -7, 0, &r));
	KUNIT_EXPECT_EQ(test, (u64)-2, r);
	KUNIT_EXPECT_EQ(test, 0, kcache_add(c, "n", 1, 2, 0, &r));
	KUNIT_EXPECT_EQ(test, 0ULL, r);
	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "s", "abc"));
	KUNIT_EXPECT_EQ(test, -EINVAL, kcache_add(c, "s", 1, 1, 0, &r));
}

static void invalidate_prefix_removes_only_matches(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	char key[16];
	u32 len = 0;
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "%s:%d", i % 2 ? "user" : "sess", i);
		KUNIT_ASSERT_EQ(test, 0, kc_sets(c, key, "v"));
	}
	KUNIT_EXPECT_EQ(test, 25, kcache_invalidate_prefix(c, "user:", 5));
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "user:1", 6, NULL, &len, NULL));
	len = 1;
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "sess:2", 6, key, &len, NULL));
	KUNIT_EXPECT_EQ(test, 0, kcache_invalidate_prefix(c, "user:", 5));
	KUNIT_EXPECT_EQ(test, 25, kcache_invalidate_all(c));
	kcache_maintain(c);
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "sess:2", 6, NULL, &len, NULL));
}

/*
 * An invalidate walk leaves RCU and reschedules every KC_WALK_BATCH entries it visits,
 * also when none of them is removed: a prefix nothing matches must not walk a large
 * table in one RCU read section (an RCU stall, a soft lockup without preemption).
 */
static void invalidate_pauses_where_nothing_matches(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);

	kc_fill(test, c, "k", 2000, 0);
	c->test_walk_max = 0;
	KUNIT_EXPECT_EQ(test, 0, kcache_invalidate_prefix(c, "z", 1));
	KUNIT_EXPECT_GT(test, c->test_walk_max, 0);
	KUNIT_EXPECT_LE(test, c->test_walk_max, KC_WALK_BATCH);
	c->test_walk_max = 0;
	KUNIT_EXPECT_EQ(test, 2000, kcache_invalidate_all(c));
	KUNIT_EXPECT_LE(test, c->test_walk_max, KC_WALK_BATCH);
}

static const void *kc_policy_gen(const void *prev, char *desc)
{
	uintptr_t p = prev ? (uintptr_t)prev + 1 : 1;

	/* values are policy + 1 so that none is NULL */
	if (p > KCACHE_POLICY_NR)
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", p == 1 ? "tinylfu" : "lru");
	return (void *)p;
}

static void limits_by_count_hold_after_maintain(struct kunit *test)
{
	const u32 policy = (uintptr_t)test->param_value - 1;
	struct kcache *c = kc_new(test, 100, 0, 0, policy);
	struct kcache_stats st;
	char key[16];
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		KUNIT_ASSERT_EQ(test, 0, kc_sets(c, key, "value"));
	}
	kcache_maintain(c);
	kcache_stats(c, &st);
	KUNIT_EXPECT_LE(test, st.entries, 100ULL);
	KUNIT_EXPECT_EQ(test, st.evictions_size, 1000 - st.entries);
}

static void limits_by_bytes_hold_after_maintain(struct kunit *test)
{
	const u32 policy = (uintptr_t)test->param_value - 1;
	const u64 max_bytes = 16 << 10;
	struct kcache *c = kc_new(test, 0, max_bytes, 0, policy);
	struct kcache_stats st;
	char key[16];
	static char val[700];
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, strlen(key), val, 100 + (i % 6) * 100,
						    0, 0, NULL));
	}
	kcache_maintain(c);
	kcache_stats(c, &st);
	KUNIT_EXPECT_LE(test, st.bytes, max_bytes);
	KUNIT_EXPECT_GT(test, st.entries, 0ULL);
}

/* @deadline_prefix: keys starting with this byte were stored with room for a deadline */
struct kc_sum {
	u64 bytes;
	u64 n;
	char deadline_prefix;
};

static int kc_sum_fn(void *ctx, const void *key, u32 klen, const void *val, u32 vlen, u64 v)
{
	struct kc_sum *s = ctx;

	s->bytes += kcache_entry_charge(klen, vlen, s->deadline_prefix &&
					*(const char *)key == s->deadline_prefix);
	s->n++;
	return 0;
}

static void bytes_equal_sum_of_live_entries(struct kunit *test)
{
	struct kcache *c = kc_new(test, 200, 0, 0, KCACHE_POLICY_TINYLFU);
	struct kc_sum sum = {};
	struct kcache_stats st;
	static char val[300];
	char key[16];
	int i;

	for (i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "b%d", i % 260);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, strlen(key), val, i % 300, 0, 0, NULL));
		if (i % 7 == 0)
			kcache_delete(c, key, strlen(key));
	}
	kcache_maintain(c);
	KUNIT_ASSERT_EQ(test, 0, kcache_walk(c, kc_sum_fn, &sum));
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, sum.n, st.entries);
	KUNIT_EXPECT_EQ(test, sum.bytes, st.bytes);
	KUNIT_EXPECT_LE(test, st.entries, 200ULL);
}

/*
 * Past the largest kmalloc cache an entry is whole pages (kmalloc_large()), which the store
 * path charges without a second kcache_entry_charge(): the two must agree there too.
 */
static void bytes_of_page_sized_entries(struct kunit *test)
{
	static const u32 vlens[] = { KMALLOC_MAX_CACHE_SIZE, KMALLOC_MAX_CACHE_SIZE + 1,
				     3 * PAGE_SIZE + 5 };
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	struct kc_sum sum = {};
	struct kcache_stats st;
	char key[16];
	void *val;
	int i;

	val = kunit_kzalloc(test, 3 * PAGE_SIZE + 5, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, val);
	for (i = 0; i < ARRAY_SIZE(vlens); i++) {
		snprintf(key, sizeof(key), "pg%d", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, strlen(key), val, vlens[i], 0, 0,
						    NULL));
	}
	kcache_maintain(c);
	KUNIT_ASSERT_EQ(test, 0, kcache_walk(c, kc_sum_fn, &sum));
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, sum.n, (u64)ARRAY_SIZE(vlens));
	KUNIT_EXPECT_EQ(test, sum.bytes, st.bytes);
}

/*
 * A vmalloc'd entry is charged PAGE_ALIGN() of its size (kcache_entry_charged()): its
 * memory must end there. kvmalloc()'s fallback may map 2 MiB pages from 2 MiB per node
 * (64 KiB blocks on arm64), which then map, and charge the memcg for, up to twice that.
 * The page after the charged ones is the area's guard page, unmapped.
 */
static void entry_vmalloc_holds_what_it_is_charged(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	size_t size = num_online_nodes() * PMD_SIZE + PAGE_SIZE + 1;
	u8 *p = kcache_test_entry_vmalloc(c, size);

	if (!p)
		kunit_skip(test, "no memory for %zu bytes", size);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(p));
	KUNIT_EXPECT_NOT_NULL(test, vmalloc_to_page(p + PAGE_ALIGN(size) - 1));
	KUNIT_EXPECT_NULL_MSG(test, vmalloc_to_page(p + PAGE_ALIGN(size)),
			      "memory mapped past the %lu charged pages",
			      PAGE_ALIGN(size) >> PAGE_SHIFT);
	vfree(p);
}

/* The load-time table of slab sizes is kmalloc_size_roundup() itself, at every size. */
static void slab_size_is_kmalloc_roundup(struct kunit *test)
{
	static const size_t large[] = { KMALLOC_MAX_CACHE_SIZE + 1, 3 * PAGE_SIZE + 5,
					1 << 20 };
	size_t n;
	int i;

	for (n = 1; n <= KMALLOC_MAX_CACHE_SIZE; n++)
		KUNIT_ASSERT_EQ_MSG(test, kcache_entry_slab_size(n), kmalloc_size_roundup(n),
				    "size %zu", n);
	for (i = 0; i < ARRAY_SIZE(large); i++)
		KUNIT_EXPECT_EQ(test, kcache_entry_slab_size(large[i]),
				kmalloc_size_roundup(large[i]));
}

/*
 * The header is 48 bytes so that a 16-byte key and a 64-byte value fill one 128-byte slab
 * object, and only entries that may carry a deadline pay its 16 bytes, after the value.
 */
static void bytes_count_deadlines_only_where_stored(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	struct kc_sum sum = { .deadline_prefix = 't' };
	static const u8 val[64];
	struct kcache_stats st;
	char key[17];
	int i;

	KUNIT_EXPECT_EQ(test, kcache_entry_charge(16, 64, false), 128 + 2 * sizeof(void *));
	/* room for a deadline: 16 bytes in the entry, two pointers in the deadline heap */
	KUNIT_EXPECT_EQ(test, kcache_entry_charge(16, 64, true), 192 + 4 * sizeof(void *));
	KUNIT_EXPECT_EQ(test, kcache_entry_charge(16, 48, true), 128 + 4 * sizeof(void *));
	for (i = 0; i < 40; i++) {
		/* t*: a TTL; k*: kept a deadline, here none (KEEP_TTL needs the room); p*: plain */
		snprintf(key, sizeof(key), "t%015d", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, 16, val, i, NSEC_PER_SEC * 3600, 0,
						    NULL));
		snprintf(key, sizeof(key), "p%015d", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, 16, val, 64 - i, 0, 0, NULL));
	}
	kcache_maintain(c);
	KUNIT_ASSERT_EQ(test, 0, kcache_walk(c, kc_sum_fn, &sum));
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, sum.n, 80ULL);
	KUNIT_EXPECT_EQ(test, sum.bytes, st.bytes);
	/* KEEP_TTL and ADD entries have the room even when there is nothing to keep */
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "tk", 2, val, 8, 0, KCACHE_SET_KEEP_TTL, NULL));
	KUNIT_ASSERT_EQ(test, 0, kcache_add(c, "tn", 2, 1, 0, NULL));
	kcache_maintain(c);
	sum.bytes = 0;
	sum.n = 0;
	KUNIT_ASSERT_EQ(test, 0, kcache_walk(c, kc_sum_fn, &sum));
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, sum.n, 82ULL);
	KUNIT_EXPECT_EQ(test, sum.bytes, st.bytes);
}

/* The entry's flags, state and key length are the bits and bytes its policy node leaves. */
static void entry_fields_share_the_policy_node(struct kunit *test)
{
	struct kcache_entry *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, e);
	e->pn.hash = 0x12345678;
	e->pn.queue = KC_Q_PROTECTED;
	e->pn.freq = KC_FREQ_MAX;
	e->flags = KC_F_PUB_SEEN | KC_F_RET_SEEN | KC_F_IN_POLICY;
	e->state = KC_RETIRED;
	e->klen = KCACHE_KEY_LEN_MAX;
	KUNIT_EXPECT_EQ(test, (u32)e->pn.owner_bits,
			KC_F_PUB_SEEN | KC_F_RET_SEEN | KC_F_IN_POLICY);
	KUNIT_EXPECT_EQ(test, (u32)e->pn.queue, KC_Q_PROTECTED);
	KUNIT_EXPECT_EQ(test, (u32)e->pn.freq, KC_FREQ_MAX);
	KUNIT_EXPECT_EQ(test, e->pn.hash, 0x12345678U);
	e->flags &= ~KC_F_IN_POLICY;
	e->pn.queue = KC_Q_NONE;
	e->pn.freq = 0;
	KUNIT_EXPECT_EQ(test, (u32)e->flags, KC_F_PUB_SEEN | KC_F_RET_SEEN);
	KUNIT_EXPECT_EQ(test, e->state, KC_RETIRED);
	KUNIT_EXPECT_EQ(test, e->klen, KCACHE_KEY_LEN_MAX);
}

/* kcache_set() of the one-byte value @v under @name and @round's digit */
static int kc_set_r(struct kcache *c, char name, int round, char v, u64 ttl, u32 flags)
{
	char key[2] = { name, '0' + round };

	return kcache_set(c, key, 2, &v, 1, ttl, flags, NULL);
}

/* kcache_get() of @name and @round's digit into @buf (8 bytes) */
static int kc_get_r(struct kcache *c, char name, int round, char *buf)
{
	char key[2] = { name, '0' + round };
	u32 len = 8;

	return kcache_get(c, key, 2, buf, &len, NULL);
}

/* kcache_add() of 1 to @name and @round's digit */
static int kc_add_r(struct kcache *c, char name, int round, u64 ttl, u64 *r)
{
	char key[2] = { name, '0' + round };

	return kcache_add(c, key, 2, 1, ttl, r);
}

/*
 * A deadline survives a KEEP_TTL set and an ADD, which copy it into the new entry. The
 * stores must all land before the first deadline: if the guest stalled longer than the
 * TTL meanwhile (a loaded host under TCG), that round proves nothing, and the next one
 * tries again with a TTL four times as long.
 */
static void ttl_kept_by_keep_ttl_and_add(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	u64 ttl = 40 * NSEC_PER_MSEC, t0, r;
	char buf[8];
	int round;

	for (round = 0; round < 4; round++, ttl *= 4) {
		t0 = ktime_get_ns();
		KUNIT_ASSERT_EQ(test, 0, kc_set_r(c, 'k', round, 'a', ttl, 0));
		KUNIT_ASSERT_EQ(test, 0, kc_set_r(c, 'k', round, 'b', 0, KCACHE_SET_KEEP_TTL));
		KUNIT_ASSERT_EQ(test, 0, kc_set_r(c, 'f', round, 'a', ttl, 0));
		KUNIT_ASSERT_EQ(test, 0, kc_set_r(c, 'f', round, 'b', 0, 0));
		KUNIT_ASSERT_EQ(test, 0, kc_add_r(c, 'n', round, ttl, NULL));
		KUNIT_ASSERT_EQ(test, 0, kc_add_r(c, 'n', round, 0, &r));
		if (ktime_get_ns() - t0 < ttl)
			break;
		kunit_info(test, "round %d: the stores took longer than the TTL", round);
	}
	KUNIT_ASSERT_LT_MSG(test, round, 4, "every round's stores outlasted its TTL");
	KUNIT_EXPECT_EQ(test, 2ULL, r);
	/* nothing to keep: no deadline */
	KUNIT_ASSERT_EQ(test, 0, kc_set_r(c, 'e', round, 'b', 0, KCACHE_SET_KEEP_TTL));
	KUNIT_ASSERT_EQ(test, 0, kc_add_r(c, 'm', round, 0, NULL));
	KUNIT_ASSERT_EQ(test, 0, kc_add_r(c, 'm', round, 0, NULL));
	msleep(div_u64(2 * ttl, NSEC_PER_MSEC));
	KUNIT_EXPECT_EQ(test, -ENOENT, kc_get_r(c, 'k', round, buf));
	KUNIT_EXPECT_EQ(test, -ENOENT, kc_get_r(c, 'n', round, buf));
	KUNIT_EXPECT_EQ(test, 0, kc_get_r(c, 'f', round, buf));
	KUNIT_EXPECT_EQ(test, 'b', buf[0]);
	KUNIT_EXPECT_EQ(test, 0, kc_get_r(c, 'e', round, buf));
	KUNIT_EXPECT_EQ(test, 0, kc_get_r(c, 'm', round, buf));
}

static void ttl_expired_entry_never_returned(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	u32 len = 8;
	char buf[8];

	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "t", 1, "x", 1, 30 * NSEC_PER_MSEC, 0, NULL));
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "p", 1, "y", 1, 0, 0, NULL));
	msleep(60);
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "t", 1, buf, &len, NULL));
	KUNIT_EXPECT_TRUE(test, IS_ERR(kcache_get_handle(c, "t", 1)));
	/* a TTL past the end of the clock never expires, rather than wrapping */
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "f", 1, "w", 1, U64_MAX - 1, 0, NULL));
	len = 8;
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "f", 1, buf, &len, NULL));
	/* an expired key counts as absent for the conditions */
	KUNIT_EXPECT_EQ(test, 0, kcache_set(c, "t", 1, "z", 1, 0, KCACHE_SET_IF_ABSENT, NULL));
	len = 8;
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "p", 1, buf, &len, NULL));
}

/* A walk whose first callback outlasts the TTL of an entry it passes later. */
struct kc_slow_walk {
	u64 ttl_end;		/* the TTL entry has expired for certain after this */
	unsigned int calls;
	char ttl_key[2];
	bool ttl_first;
	bool expired_passed;
};

static int kc_slow_walk_fn(void *ctx, const void *key, u32 klen, const void *val, u32 vlen,
			   u64 version)
{
	struct kc_slow_walk *w = ctx;
	bool ttl = klen == 2 && !memcmp(key, w->ttl_key, 2);

	if (!w->calls++) {
		w->ttl_first = ttl;
		mdelay(60);
	} else if (ttl && ktime_get_ns() > w->ttl_end) {
		w->expired_passed = true;
	}
	return 0;
}

/* A walk never passes an entry that expired while it ran (design §5). */
static void walk_skips_entries_expired_meanwhile(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	struct kc_slow_walk w;
	int tries;

	kc_fill(test, c, "p", 16, 0);
	/* the TTL entry must not come first, before the walk slept: a new key each try */
	for (tries = 0; tries < 8; tries++) {
		memset(&w, 0, sizeof(w));
		w.ttl_key[0] = 't';
		w.ttl_key[1] = '0' + tries;
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, w.ttl_key, 2, "x", 1, 30 * NSEC_PER_MSEC,
						    0, NULL));
		w.ttl_end = ktime_get_ns() + 30 * NSEC_PER_MSEC;
		KUNIT_ASSERT_EQ(test, 0, kcache_walk(c, kc_slow_walk_fn, &w));
		KUNIT_EXPECT_GE(test, w.calls, 16U);
		KUNIT_EXPECT_FALSE(test, w.expired_passed);
		if (!w.ttl_first)
			return;
	}
	KUNIT_FAIL(test, "the TTL entry came first in every walk: nothing was tested");
}

static void ttl_reclaimed_without_reads(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 20 * NSEC_PER_MSEC, KCACHE_POLICY_TINYLFU);
	struct kcache_stats st;
	int tries;

	kc_fill(test, c, "e", 100, KCACHE_TTL_DEFAULT);
	/* no reads, no explicit maintenance: the delayed work alone must reclaim them */
	for (tries = 0; tries < 100; tries++) {
		msleep(50);
		kcache_stats(c, &st);
		if (!st.entries)
			break;
	}
	KUNIT_EXPECT_EQ(test, 0ULL, st.entries);
	KUNIT_EXPECT_EQ(test, 100ULL, st.expirations);
}

/* A long pass: this many entries expire in it, on the debug kernel tens of ms. */
#define KC_EXPIRE_MANY	8000

/*
 * The expiry work is armed for the next deadline from the end of the pass that arms it:
 * a pass that reclaims thousands of expired entries must not push the next reclaim back
 * by as long as it took.
 */
static void expiry_armed_from_end_of_pass(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	const u64 ttl = 2 * NSEC_PER_SEC;
	u64 far, start, t_end, pass;
	unsigned long j_end, ideal;
	struct kcache_entry *h;
	struct kcache_stats st;
	long late;

	/* only the pass below reclaims: the work items do nothing */
	kcache_test_stall_work(c, true);
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "far", 3, "v", 1, 600 * NSEC_PER_SEC, 0, NULL));
	h = kcache_get_handle(c, "far", 3);
	KUNIT_ASSERT_FALSE(test, IS_ERR(h));
	far = kcache_entry_expires(h);
	kcache_handle_put(h);
	/*
	 * Writers run passes as their rings fill, which expire what is due then: most of
	 * the entries are left for the pass below unless the fill outlasts the TTL.
	 */
	kc_fill(test, c, "x", KC_EXPIRE_MANY, ttl);
	msleep(div_u64(ttl, NSEC_PER_MSEC) + 20);
	start = ktime_get_ns();
	kcache_maintain(c);
	t_end = ktime_get_ns();
	j_end = jiffies;
	pass = t_end - start;
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, st.expirations, (u64)KC_EXPIRE_MANY);
	KUNIT_EXPECT_EQ(test, st.entries, 1ULL);
	/* armed at the end of the pass, the work would run at ideal (+/- a jiffy) */
	ideal = j_end + nsecs_to_jiffies64(far - t_end) + 1;
	late = (long)(READ_ONCE(c->expire_work.timer.expires) - ideal);
	kcache_test_stall_work(c, false);
	if (pass < 10 * TICK_NSEC)
		kunit_skip(test, "a pass of %llu ns is too short to tell", pass);
	KUNIT_EXPECT_LT_MSG(test, late * (long)TICK_NSEC, (long)(pass / 2),
			    "armed %ld jiffies late after a pass of %llu ns", late, pass);
}

/* A writer parked on a full write ring (kcache_maint_help() behind a held mutex) */
struct kc_parked_set {
	struct kcache *c;
	struct completion full, done;
	u64 ttl;
	int ret;
};

static int kc_parked_set_fn(void *arg)
{
	struct kc_parked_set *p = arg;

	/* two records fill this CPU's ring of two: the third write waits for room */
	p->ret = kc_sets(p->c, "a", "v") ?: kc_sets(p->c, "b", "v");
	complete(&p->full);
	if (!p->ret)
		p->ret = kcache_set(p->c, "t", 1, "v", 1, p->ttl, 0, NULL);
	complete(&p->done);
	return 0;
}

/*
 * A TTL counts from the entry's publication, not from before its writer waited for room:
 * a wait as long as the TTL must not publish an entry already expired.
 */
static void ttl_counts_from_publication(struct kunit *test)
{
	struct task_struct *task;
	struct kc_parked_set *p;
	struct kcache_entry *h;
	unsigned int old;
	struct kcache *c;
	u64 released;
	int i;

	old = kcache_test_write_buffer_size(2);
	c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	kcache_test_write_buffer_size(old);
	KUNIT_ASSERT_EQ(test, c->wring_size, 2U);
	/* freed only once the writer is done with it */
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	p->c = c;
	p->ttl = 10 * NSEC_PER_SEC;
	init_completion(&p->full);
	init_completion(&p->done);
	task = kthread_create(kc_parked_set_fn, p, "kcache-parked-set");
	if (IS_ERR(task)) {
		kfree(p);
		KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(task));
		return;
	}
	/* its state is read below, after it may have exited */
	get_task_struct(task);
	/* one CPU, so one ring: the third write finds the first two's records there */
	kthread_bind(task, raw_smp_processor_id());
	kcache_test_stall_work(c, true);
	/* nothing drains the ring while the test holds the mutex */
	mutex_lock(&c->maint_mutex);
	wake_up_process(task);
	if (wait_for_completion_timeout(&p->full, 10 * HZ)) {
		/*
		 * The third write builds its entry and sleeps on the mutex. Released
		 * before it sleeps (a fixed sleep under load), the case tests nothing.
		 */
		for (i = 0; i < 500 && !completion_done(&p->done) &&
		     !(READ_ONCE(task->__state) & TASK_UNINTERRUPTIBLE); i++)
			msleep(20);
		KUNIT_EXPECT_TRUE_MSG(test, READ_ONCE(task->__state) & TASK_UNINTERRUPTIBLE,
				      "the third write did not wait for room");
	} else {
		KUNIT_FAIL(test, "the writer never filled its ring");
	}
	KUNIT_EXPECT_FALSE(test, completion_done(&p->done));
	released = ktime_get_ns();
	mutex_unlock(&c->maint_mutex);
	if (!wait_for_completion_timeout(&p->done, 10 * HZ)) {
		/* p stays allocated: the writer may still use it */
		KUNIT_FAIL(test, "the parked writer did not return within 10 s");
		put_task_struct(task);
		return;
	}
	put_task_struct(task);
	KUNIT_EXPECT_EQ(test, p->ret, 0);
	h = kcache_get_handle(c, "t", 1);
	KUNIT_EXPECT_FALSE(test, IS_ERR(h));
	if (!IS_ERR(h)) {
		KUNIT_EXPECT_GE(test, kcache_entry_expires(h), released + p->ttl);
		kcache_handle_put(h);
	}
	kfree(p);
	kcache_test_stall_work(c, false);
}

/*
 * The deadline heap is counted in its entries' charge (two pointers each), which holds
 * only while its array is at most four pointers per entry in it: when the TTL entries go,
 * the next pass gives the array back.
 */
static void deadline_heap_shrinks_when_entries_go(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	char key[16];
	int i;

	kc_fill(test, c, "h", 5000, NSEC_PER_SEC * 3600);
	kcache_maintain(c);
	KUNIT_EXPECT_EQ(test, c->heap_nr, 5000U);
	KUNIT_EXPECT_LE(test, c->heap_cap, 4U * 5000);
	for (i = 0; i < 4900; i++) {
		snprintf(key, sizeof(key), "h%d", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_delete(c, key, strlen(key)));
	}
	kcache_maintain(c);
	KUNIT_EXPECT_EQ(test, c->heap_nr, 100U);
	KUNIT_EXPECT_LE(test, c->heap_cap, 4U * 100);
	KUNIT_EXPECT_GE(test, c->heap_cap, 2U * 100);
}

/*
 * A replace hands the old entry's slot in the deadline heap to the new one: at a full heap
 * it does not double the array (nor, if that allocation failed, leave the new entry out
 * of the heap, never reclaimed by expiry).
 */
static void deadline_heap_replace_needs_no_room(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	u32 cap;

	kc_fill(test, c, "r", 64, NSEC_PER_SEC * 3600);
	kcache_maintain(c);
	cap = c->heap_cap;
	/* the array's first size: full */
	KUNIT_ASSERT_EQ(test, c->heap_nr, 64U);
	KUNIT_ASSERT_EQ(test, cap, 64U);
	kc_fill(test, c, "r", 64, NSEC_PER_SEC * 7200);
	kcache_maintain(c);
	KUNIT_EXPECT_EQ(test, c->heap_nr, 64U);
	KUNIT_EXPECT_EQ(test, c->heap_cap, cap);
}

/*
 * Distinct deadlines, some replaced (new deadline), some deleted, some evicted before
 * they expire: every live one is reclaimed by the deadline heap without reads, and the
 * counters add up.
 */
static void ttl_mixed_deadlines_reclaimed(struct kunit *test)
{
	struct kcache *c = kc_new(test, 150, 0, 0, KCACHE_POLICY_LRU);
	struct kcache_stats st;
	char key[16];
	int i, tries, deleted = 0;

	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, strlen(key), "v", 1,
						    (200 - i) * NSEC_PER_MSEC / 4, 0, NULL));
	}
	for (i = 0; i < 200; i += 10) {
		snprintf(key, sizeof(key), "m%d", i);
		if (!kcache_delete(c, key, strlen(key)))
			deleted++;
		snprintf(key, sizeof(key), "m%d", i + 5);
		kcache_set(c, key, strlen(key), "w", 1, (i + 1) * NSEC_PER_MSEC / 2, 0, NULL);
	}
	kcache_maintain(c);
	kcache_stats(c, &st);
	KUNIT_EXPECT_LE(test, st.entries, 150ULL);
	for (tries = 0; tries < 100; tries++) {
		msleep(50);
		kcache_stats(c, &st);
		if (!st.entries)
			break;
	}
	KUNIT_EXPECT_EQ(test, 0ULL, st.entries);
	KUNIT_EXPECT_EQ(test, 0ULL, st.bytes);
	/*
	 * Every entry ever stored left exactly once: by delete, eviction, expiry or being
	 * replaced, and at most the 20 second sets replaced one.
	 */
	KUNIT_EXPECT_EQ(test, st.sets, 220ULL);
	KUNIT_EXPECT_EQ(test, st.deletes, (u64)deleted);
	KUNIT_EXPECT_LE(test, deleted + st.evictions_size + st.expirations, st.sets);
	KUNIT_EXPECT_GE(test, deleted + st.evictions_size + st.expirations, st.sets - 20);
	KUNIT_EXPECT_GT(test, st.expirations, 0ULL);
}

static void handle_survives_replace_and_destroy(struct kunit *test)
{
	struct kcache_config cfg = {};
	struct kcache_entry *h;
	struct kcache *c;
	const void *v;
	u32 len;

	c = kcache_create("kt-handle", &cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "h", "first"));
	h = kcache_get_handle(c, "h", 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(h));
	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "h", "second"));
	kcache_maintain(c);
	kcache_destroy(c);
	kcache_put_ref(c);
	synchronize_rcu();
	v = kcache_handle_value(h, &len);
	KUNIT_EXPECT_EQ(test, 5u, len);
	KUNIT_EXPECT_EQ(test, 0, memcmp(v, "first", 5));
	kcache_handle_put(h);
}

static void destroyed_cache_refuses_operations(struct kunit *test)
{
	struct kcache_config cfg = {};
	struct kcache *c, *c2;
	u32 len = 0;
	u64 r;

	c = kcache_create("kt-destroyed", &cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "k", "v"));
	kcache_destroy(c);
	KUNIT_EXPECT_EQ(test, -ENOENT, PTR_ERR(kcache_lookup("kt-destroyed")));
	KUNIT_EXPECT_EQ(test, -ESHUTDOWN, kcache_get(c, "k", 1, NULL, &len, NULL));
	KUNIT_EXPECT_EQ(test, -ESHUTDOWN, kc_sets(c, "k", "v"));
	KUNIT_EXPECT_EQ(test, -ESHUTDOWN, kcache_delete(c, "k", 1));
	KUNIT_EXPECT_EQ(test, -ESHUTDOWN, kcache_add(c, "n", 1, 1, 0, &r));
	KUNIT_EXPECT_EQ(test, -ESHUTDOWN, kcache_invalidate_all(c));
	kcache_destroy(c);	/* twice is harmless */
	/* the name is free again */
	c2 = kcache_create("kt-destroyed", &cfg);
	KUNIT_EXPECT_FALSE(test, IS_ERR(c2));
	if (!IS_ERR(c2)) {
		kcache_destroy(c2);
		kcache_put_ref(c2);
	}
	kcache_put_ref(c);
}

static void create_rejects_bad_config(struct kunit *test)
{
	struct kcache_config cfg = {};
	unsigned long old;
	struct kcache *c;

	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(kcache_create("bad name", &cfg)));
	cfg.policy = KCACHE_POLICY_NR;
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(kcache_create("kt-policy", &cfg)));
	cfg.policy = 0;
	cfg.flags = 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(kcache_create("kt-flags", &cfg)));
	cfg.flags = 0;
	cfg.max_bytes = 1ULL << 62;
	KUNIT_EXPECT_EQ(test, -ENOMEM, PTR_ERR(kcache_create("kt-huge", &cfg)));
	/* a bound that would wrap the sum of reserved bytes */
	cfg.max_bytes = U64_MAX - (1ULL << 20);
	KUNIT_EXPECT_EQ(test, -ENOMEM, PTR_ERR(kcache_create("kt-wrap", &cfg)));
	/* the byte bound's count is signed: not even a limitless max_total_bytes lets 2^63 in */
	old = kcache_test_max_total_bytes(ULONG_MAX);
	cfg.max_bytes = 1ULL << 63;
	c = kcache_create("kt-s64", &cfg);
	kcache_test_max_total_bytes(old);
	KUNIT_EXPECT_EQ(test, -ENOMEM, PTR_ERR(c));
	if (!IS_ERR(c)) {
		kcache_destroy(c);
		kcache_put_ref(c);
	}
	/*
	 * No reservation fits in a max_total_bytes of 0: -ENOMEM, also for a cache whose
	 * default bound (at most max_total_bytes) would be 0
	 */
	cfg.max_bytes = 0;
	old = kcache_test_max_total_bytes(0);
	c = kcache_create("kt-none", &cfg);
	kcache_test_max_total_bytes(old);
	KUNIT_EXPECT_EQ(test, -ENOMEM, PTR_ERR(c));
	if (!IS_ERR(c)) {
		kcache_destroy(c);
		kcache_put_ref(c);
	}
	c = kcache_create("kt-dup", &cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_EQ(test, -EEXIST, PTR_ERR(kcache_create("kt-dup", &cfg)));
	/* the name is checked first, however large the bound */
	cfg.max_bytes = 1ULL << 62;
	KUNIT_EXPECT_EQ(test, -EEXIST, PTR_ERR(kcache_create("kt-dup", &cfg)));
	kcache_destroy(c);
	kcache_put_ref(c);
}

/*
 * What a cache reserves against max_total_bytes is what it holds: its max_bytes until
 * destroy, its footprint (the policy's tables included, as the policy counts them) until
 * the last reference frees it. An fd kept open on a destroyed cache keeps the footprint.
 */
static void footprint_reserved_until_last_reference(struct kunit *test)
{
	u64 max_bytes = 64ULL << 20, r0 = kcache_test_reserved_bytes(), fp;
	struct kcache *c = kc_new(test, 1 << 20, max_bytes, 0, KCACHE_POLICY_TINYLFU);

	fp = kcache_test_footprint(c);
	KUNIT_EXPECT_GE(test, fp, kcache_policy_footprint(&c->policy));
	KUNIT_EXPECT_EQ(test, kcache_test_reserved_bytes() - r0, max_bytes + fp);
	test->priv = NULL;
	kcache_destroy(c);
	KUNIT_EXPECT_EQ(test, kcache_test_reserved_bytes() - r0, fp);
	kcache_put_ref(c);
	KUNIT_EXPECT_EQ(test, kcache_test_reserved_bytes(), r0);
}

/* A destroy that overtakes its create's statistics file leaves no file behind. */
static void stats_file_not_added_after_destroy(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	char name[KCACHE_NAME_MAX + 1];

	strscpy(name, kcache_name(c), sizeof(name));
	if (!kcache_test_sysfs_has(name))
		kunit_skip(test, "no debugfs");
	test->priv = NULL;
	kcache_destroy(c);
	KUNIT_EXPECT_FALSE(test, kcache_test_sysfs_has(name));
	/* what a create that published @c before the destroy does last */
	kcache_sysfs_cache_added(c);
	KUNIT_EXPECT_FALSE(test, kcache_test_sysfs_has(name));
	kcache_put_ref(c);
}

/* what the shrinker can free in the other caches: their entries and spares */
struct kc_others {
	struct kcache *self;
	unsigned long objects;
};

/*
 * Quiet every cache before a shrink whose result a case predicts: the shrinker passes over
 * a cache whose maintenance mutex is held (reclaim never waits), and entries retired
 * before it turn into spares a grace period later.
 */
static int kc_quiesce(struct kcache *c, void *ctx)
{
	kcache_test_stall_work(c, true);
	kcache_test_limbo_settle(c);
	return 0;
}

static int kc_unquiesce(struct kcache *c, void *ctx)
{
	kcache_test_stall_work(c, false);
	return 0;
}

static int kc_count_others(struct kcache *c, void *ctx)
{
	struct kc_others *o = ctx;
	struct kcache_stats st;

	if (c != o->self) {
		kcache_stats(c, &st);
		o->objects += st.entries + kcache_test_spares(c);
	}
	return 0;
}

static void shrinker_evicts_from_cold_end(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	struct kc_others others = { .self = c };
	struct kcache_stats st;
	char key[16], buf[4];
	u32 len;
	int i;

	/*
	 * Each record applied before the next write: a pass drains the write rings CPU by
	 * CPU, so keys written before this thread moved to a CPU drained earlier would
	 * otherwise reach the policy after the later ones (design §3) and not be the coldest.
	 */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "s%d", i);
		KUNIT_ASSERT_EQ(test, 0, kc_sets(c, key, "v"));
		kcache_maintain(c);
	}
	kcache_for_each(kc_quiesce, NULL);
	/* the shrinker walks caches oldest first; ours, the newest, gives the last 10 */
	kcache_for_each(kc_count_others, &others);
	KUNIT_EXPECT_EQ(test, kcache_shrink(others.objects + 10), others.objects + 10);
	kcache_for_each(kc_unquiesce, NULL);
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, st.evictions_shrink, 10ULL);
	/* what reclaim took is freed, not kept for the next writes */
	kcache_test_limbo_settle(c);
	KUNIT_EXPECT_EQ(test, kcache_test_spares(c), 0UL);
	/* LRU: the first keys written are the cold ones */
	len = sizeof(buf);
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "s0", 2, buf, &len, NULL));
	len = sizeof(buf);
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "s99", 3, buf, &len, NULL));
}

/*
 * An entry the shrinker evicts while a handle pins it is freed by the handle's put, never
 * kept as a spare: the limbo work counts it paid. (It stayed owed until a later batch,
 * which a quiet cache never has.)
 */
static void shrinker_pinned_victim_is_paid(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	struct kc_others others = { .self = c };
	struct kcache_entry *h;

	kc_fill(test, c, "p", 8, 0);
	kcache_maintain(c);
	h = kcache_get_handle(c, "p0", 2);
	KUNIT_ASSERT_FALSE(test, IS_ERR(h));
	kcache_for_each(kc_quiesce, NULL);
	/* the shrinker walks caches oldest first; ours, the newest, gives all 8 */
	kcache_for_each(kc_count_others, &others);
	KUNIT_EXPECT_EQ(test, kcache_shrink(others.objects + 8), others.objects + 8);
	kcache_for_each(kc_unquiesce, NULL);
	kcache_test_limbo_settle(c);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&c->shrink_owed), 0L);
	kcache_handle_put(h);
}

/*
 * kcache_shrink() may ask for any number of entries: the eviction loop lets the scheduler
 * in on the way, on a kernel that preempts only at reschedule points.
 */
static void shrinker_reschedules_long_eviction(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	struct kc_others others = { .self = c };
	const unsigned long batch = 2 * 4096;
	unsigned long freed;
	bool pending = true;
	int tries;

	if (preempt_model_preemptible())
		kunit_skip(test, "preemptible kernel");
	kc_fill(test, c, "r", 3 * batch + 10, 0);
	kcache_maintain(c);
	kcache_for_each(kc_quiesce, NULL);
	/* the other caches first: freeing their spares would reschedule before our loop */
	kcache_for_each(kc_count_others, &others);
	if (others.objects)
		kcache_shrink(others.objects);
	/* A tick may ask again after the last reschedule point: a few tries. */
	for (tries = 0; tries < 3 && pending; tries++) {
		/* the last try's victims freed: nothing owed holds this one back */
		kcache_test_limbo_settle(c);
		preempt_disable();
		set_tsk_need_resched(current);
		set_preempt_need_resched();
		preempt_enable();
		freed = kcache_shrink(batch);
		pending = test_tsk_need_resched(current);
		KUNIT_EXPECT_EQ(test, freed, batch);
		if (freed != batch)
			break;
	}
	kcache_for_each(kc_unquiesce, NULL);
	KUNIT_EXPECT_FALSE(test, pending);
}

struct kc_group {
	struct mem_cgroup *memcg;
	unsigned long objects;
	unsigned int caches;
};

static int kc_count_group(struct kcache *c, void *ctx)
{
	struct kc_group *g = ctx;

	if (c->memcg == g->memcg) {
		g->objects += kcache_policy_entries(&c->policy) + kcache_test_spares(c);
		g->caches++;
	}
	return 0;
}

/*
 * A scan evicts from the first cache on its list as much as it can; it must not be the
 * same cache every time. Three caches, and as many scans of one entry each as the list
 * holds caches, twice over: each of the three gives at least one. (Rotating every cache
 * a scan collected left a list of up to 16 in its order: the oldest gave them all.)
 */
static void shrinker_scans_take_turns(struct kunit *test)
{
	/* small bounds: three default ones would not fit max_total_bytes */
	struct kcache_config cfg = { .max_bytes = SZ_1M, .policy = KCACHE_POLICY_LRU };
	char name[KCACHE_NAME_MAX + 1], key[16];
	unsigned int i, k, n = 1, failed = 0;
	int nid = first_memory_node;
	struct kcache_stats st;
	struct kcache *c[3];
	struct kc_group g;

	c[0] = kc_new(test, 0, SZ_1M, 0, KCACHE_POLICY_LRU);
	/* the others by hand (kc_new() keeps one): no assertion until they are destroyed */
	for (; n < ARRAY_SIZE(c); n++) {
		snprintf(name, sizeof(name), "kt-turns-%u", n);
		c[n] = kcache_create(name, &cfg);
		if (IS_ERR(c[n])) {
			KUNIT_FAIL(test, "create %s: %ld", name, PTR_ERR(c[n]));
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < 64; k++) {
			snprintf(key, sizeof(key), "t%u", k);
			failed += kc_sets(c[i], key, "v") != 0;
		}
		kcache_maintain(c[i]);
	}
	KUNIT_EXPECT_EQ(test, failed, 0U);
	g = (struct kc_group){ .memcg = c[0]->memcg };
	kcache_for_each(kc_quiesce, NULL);
	kcache_for_each(kc_count_group, &g);
	for (i = 0; i < 2 * g.caches; i++)
		kcache_test_shrink_scan(c[0], nid, 1);
	kcache_for_each(kc_unquiesce, NULL);
	for (i = 0; i < n; i++) {
		kcache_stats(c[i], &st);
		KUNIT_EXPECT_GE_MSG(test, st.evictions_shrink, 1ULL,
				    "cache %u of 3, after %u scans of %u caches", i, 2 * g.caches,
				    g.caches);
	}
out:
	for (i = 1; i < n; i++) {
		kcache_destroy(c[i]);
		kcache_put_ref(c[i]);
	}
}

/*
 * Reclaim of a group on a node calls a memcg-aware shrinker only where the group's bit is
 * set on that node, which list_lru sets for the node an item sits on: a cache needs a
 * token on every node with memory, and must be counted once on each, not once per token.
 */
static void shrinker_token_on_every_memory_node(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_LRU);
	struct kc_group g = { .memcg = c->memcg };
	int nid;

	kc_fill(test, c, "n", 20, 0);
	kcache_maintain(c);
	/* a node whose memory is all movable has no slab: no token, nothing to count */
	for_each_node_state(nid, N_MEMORY)
		KUNIT_EXPECT_EQ_MSG(test, kcache_test_shrinker_tokens(c, nid),
				    node_state(nid, N_NORMAL_MEMORY) ? 1UL : 0UL,
				    "tokens on node %d", nid);
	kcache_for_each(kc_quiesce, NULL);
	kcache_for_each(kc_count_group, &g);
	KUNIT_EXPECT_GE(test, g.objects, 20UL);
	for_each_node_state(nid, N_NORMAL_MEMORY)
		KUNIT_EXPECT_EQ_MSG(test, kcache_test_shrink_count(c, nid), g.objects,
				    "count on node %d", nid);
	kcache_for_each(kc_unquiesce, NULL);
	/* on one node only the count is checked: say so, unless that already failed */
	if (test->status == KUNIT_SUCCESS && num_node_state(N_MEMORY) < 2)
		kunit_skip(test, "one node with memory here; selftests/vm/check.sh boots two");
}

static void stats_count_hits_and_misses(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	struct kcache_stats st;
	char buf[4];
	u32 len;
	int i;

	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "h", "v"));
	for (i = 0; i < 10; i++) {
		len = sizeof(buf);
		kcache_get(c, i % 2 ? "h" : "m", 1, buf, &len, NULL);
	}
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 5ULL, st.hits);
	KUNIT_EXPECT_EQ(test, 5ULL, st.misses);
	KUNIT_EXPECT_EQ(test, 1ULL, st.sets);
	KUNIT_EXPECT_EQ(test, 1ULL, st.entries);
}

/*
 * One allocation per entry, counted with kretprobes on the allocators: this task's
 * outermost calls (the debug kernel's kmemleak and KASAN allocate inside the allocators),
 * but for debugobjects' refills of its pool, which a debug kernel makes from whichever
 * task activates a work or timer while the pool runs low: not kcache's.
 */
static struct task_struct *kc_alloc_task;
static int kc_alloc_depth;
static int kc_alloc_count;

static int kc_alloc_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	/* at the allocator's first instruction the stack holds its return address */
	unsigned long caller = *(unsigned long *)kernel_stack_pointer(regs);
	char sym[KSYM_SYMBOL_LEN];

	if (current != READ_ONCE(kc_alloc_task))
		return 1;	/* no return hook: the instance goes back at once */
	if (kc_alloc_depth++ == 0) {
		sprint_symbol_no_offset(sym, caller);
		if (!strstr(sym, "debug_object") && !strstr(sym, "fill_pool"))
			kc_alloc_count++;
	}
	return 0;
}

static int kc_alloc_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	kc_alloc_depth--;
	return 0;
}

static const char * const kc_alloc_syms[] = {
	"__kmalloc", "__kmalloc_node", "kmalloc_trace", "kmalloc_node_trace",
	"kmalloc_large", "kmalloc_large_node", "kmem_cache_alloc", "kmem_cache_alloc_node",
	"kmem_cache_alloc_lru", "kvmalloc_node", "__kvmalloc_node", "krealloc", "vmalloc",
	"vzalloc", "__vmalloc", "__vmalloc_node_range", "__alloc_pages", "alloc_pages",
	"__get_free_pages", "__alloc_percpu_gfp",
};

static void set_allocates_once_per_entry(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	int i, n = ARRAY_SIZE(kc_alloc_syms), registered = 0, count, missed = 0;
	struct kretprobe *kp;
	char key[16];

	kp = kunit_kcalloc(test, n, sizeof(*kp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kp);
	/* warm up: the table is sized for what follows, so it does not grow meanwhile */
	for (i = 0; i < 512; i++) {
		snprintf(key, sizeof(key), "w%d", i);
		KUNIT_ASSERT_EQ(test, 0, kc_sets(c, key, "v"));
	}
	kcache_maintain(c);
	KUNIT_ASSERT_TRUE(test, kc_table_wait(c, roundup_pow_of_two((512 + 64) * 4 / 3), true));
	for (i = 0; i < n; i++) {
		kp[i].kp.symbol_name = kc_alloc_syms[i];
		kp[i].entry_handler = kc_alloc_entry;
		kp[i].handler = kc_alloc_ret;
		if (!register_kretprobe(&kp[i]))
			registered++;
		else
			kp[i].kp.symbol_name = NULL;
	}
	/* the kmalloc entry points at least, whichever this kernel has */
	KUNIT_ASSERT_GE(test, registered, 3);
	kc_alloc_count = 0;
	kc_alloc_depth = 0;
	WRITE_ONCE(kc_alloc_task, current);
	for (i = 0; i < 64; i++) {
		snprintf(key, sizeof(key), "n%d", i);
		if (kc_sets(c, key, "value"))
			break;
	}
	WRITE_ONCE(kc_alloc_task, NULL);
	count = kc_alloc_count;
	KUNIT_EXPECT_EQ(test, 64, i);
	for (i = 0; i < n; i++) {
		if (!kp[i].kp.symbol_name)
			continue;
		unregister_kretprobe(&kp[i]);
		missed += kp[i].nmissed;
	}
	/* a call the probes missed went uncounted, or left the depth off */
	KUNIT_EXPECT_EQ(test, 0, missed);
	KUNIT_EXPECT_EQ_MSG(test, 64, count, "allocations for 64 new entries");
}

/* kcache_get() of @key equals @len bytes of @want */
static void kc_expect_value(struct kunit *test, struct kcache *c, const char *key,
			    const char *want, u32 len)
{
	char buf[64];
	u32 got = sizeof(buf);

	KUNIT_ASSERT_EQ(test, 0, kcache_get(c, key, strlen(key), buf, &got, NULL));
	KUNIT_ASSERT_EQ(test, len, got);
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, want, len));
}

/* The memory of a replaced entry serves the next write of its size class, after its grace period */
static void replaced_entry_memory_serves_next_write(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 0, 0, KCACHE_POLICY_TINYLFU);
	static char big[1000];
	char v[40];

	memset(v, 'a', sizeof(v));
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "k", 1, v, sizeof(v), 0, 0, NULL));
	v[0] = 'b';
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "k", 1, v, sizeof(v), 0, 0, NULL));
	kcache_test_limbo_settle(c);
	KUNIT_EXPECT_EQ(test, 1UL, kcache_test_spares(c));

	/* another size class does not take it */
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "big", 3, big, sizeof(big), 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, 1UL, kcache_test_spares(c));
	/* the same class does, and holds the new key and value */
	v[0] = 'c';
	v[39] = 'z';
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "j", 1, v, sizeof(v), 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, 0UL, kcache_test_spares(c));
	kc_expect_value(test, c, "j", v, sizeof(v));
	v[0] = 'b';
	v[39] = 'a';
	kc_expect_value(test, c, "k", v, sizeof(v));

	/* a delete retires without taking one: the spare stays until memory pressure */
	KUNIT_ASSERT_EQ(test, 0, kcache_delete(c, "j", 1));
	kcache_test_limbo_settle(c);
	KUNIT_EXPECT_EQ(test, 1UL, kcache_test_spares(c));
}

/*
 * Live entries and spares together stay within max_bytes plus the slack (max_bytes / 16);
 * the shrinker counts spares and frees them before it evicts.
 */
static void spares_fit_beside_live_entries(struct kunit *test)
{
	struct kcache *c = kc_new(test, 0, 64 << 10, 0, KCACHE_POLICY_TINYLFU);
	size_t size = kmalloc_size_roundup(kcache_entry_overhead() + 4 + 40);
	struct kc_others others = { .self = c };
	struct kcache_stats st;
	unsigned long n;
	char key[8], v[40] = {};
	int i, round;

	/* 400 entries of 128 bytes and two bucket pointers: most of the 64 KiB, twice over */
	for (round = 0; round < 2; round++)
		for (i = 0; i < 400; i++) {
			snprintf(key, sizeof(key), "k%03d", i);
			KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, 4, v, sizeof(v), 0, 0, NULL));
		}
	kcache_test_limbo_settle(c);
	kcache_stats(c, &st);
	n = kcache_test_spares(c);
	KUNIT_EXPECT_GT(test, n, 0UL);
	KUNIT_EXPECT_LT(test, n, 400UL);
	KUNIT_EXPECT_LE_MSG(test, st.bytes + n * size, (64ULL << 10) + (64 << 10) / 16,
			    "%llu bytes live, %lu spares of %zu bytes", st.bytes, n, size);

	/* the shrinker walks caches oldest first: reach ours, the newest */
	kcache_for_each(kc_quiesce, NULL);
	kcache_for_each(kc_count_others, &others);
	KUNIT_EXPECT_EQ(test, kcache_shrink(others.objects + 1), others.objects + n);
	kcache_for_each(kc_unquiesce, NULL);
	KUNIT_EXPECT_EQ(test, 0UL, kcache_test_spares(c));
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 400ULL, st.entries);	/* the spares were enough */
}

/*
 * Spares that the next writes cannot use do not stay beside them past the bound. An
 * invalidated cache keeps its entries' memory as spares (nothing is live); a refill with
 * values of another size class takes none of them and retires nothing, so no limbo batch
 * comes to weigh them again. A maintenance pass does.
 */
static void spares_trimmed_when_writes_need_another_size(struct kunit *test)
{
	/*
	 * A pass trims once live bytes and spares are two slacks over max_bytes, down to one
	 * slack over; a pass that ran during the refill may have trimmed to what fit then,
	 * which leaves them anywhere up to the trigger. Without the trim: 83200 bytes.
	 */
	const u64 bound = (64 << 10) + 2 * ((64 << 10) / 16);
	struct kcache *c = kc_new(test, 0, 64 << 10, 0, KCACHE_POLICY_TINYLFU);
	size_t size = kmalloc_size_roundup(kcache_entry_overhead() + 4 + 40);
	char key[8], v[200] = {};
	struct kcache_stats st;
	unsigned long n;
	int i;

	/* 300 entries of 96 bytes, about 33 KiB charged, then every one of them a spare */
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "k%03d", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, 4, v, 40, 0, 0, NULL));
	}
	KUNIT_ASSERT_EQ(test, 300, kcache_invalidate_all(c));
	kcache_test_limbo_settle(c);
	KUNIT_ASSERT_EQ(test, 300UL, kcache_test_spares(c));

	/* 200 entries of 256 bytes, about 53 KiB: within max_bytes, nothing evicted */
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "l%03d", i);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, 4, v, sizeof(v), 0, 0, NULL));
	}
	kcache_maintain(c);
	kcache_stats(c, &st);
	n = kcache_test_spares(c);
	KUNIT_EXPECT_EQ(test, 200ULL, st.entries);
	KUNIT_EXPECT_LE_MSG(test, st.bytes + n * size, bound,
			    "%llu bytes live, %lu spares of %zu bytes", st.bytes, n, size);
}

static struct kunit_case kcache_core_cases[] = {
	KUNIT_CASE(set_get_roundtrip),
	KUNIT_CASE(word_copy_and_compare_exact),
	KUNIT_CASE(keys_differing_in_last_byte_are_distinct),
	KUNIT_CASE(keys_padded_with_nuls_hash_apart),
	KUNIT_CASE(keys_found_across_table_resizes),
	KUNIT_CASE(get_small_buffer_reports_length),
	KUNIT_CASE(set_flags_select_condition),
	KUNIT_CASE(key_and_value_bounds_checked),
	KUNIT_CASE(entry_charged_over_max_bytes_refused),
	KUNIT_CASE(expired_reclaimed_before_eviction),
	KUNIT_CASE(delete_removes_once),
	KUNIT_CASE(cas_compares_version),
	KUNIT_CASE(add_counts_from_zero),
	KUNIT_CASE(invalidate_prefix_removes_only_matches),
	KUNIT_CASE(invalidate_pauses_where_nothing_matches),
	KUNIT_CASE_PARAM(limits_by_count_hold_after_maintain, kc_policy_gen),
	KUNIT_CASE_PARAM(limits_by_bytes_hold_after_maintain, kc_policy_gen),
	KUNIT_CASE(bytes_equal_sum_of_live_entries),
	KUNIT_CASE(bytes_of_page_sized_entries),
	KUNIT_CASE(entry_vmalloc_holds_what_it_is_charged),
	KUNIT_CASE(slab_size_is_kmalloc_roundup),
	KUNIT_CASE(bytes_count_deadlines_only_where_stored),
	KUNIT_CASE(ttl_kept_by_keep_ttl_and_add),
	KUNIT_CASE(entry_fields_share_the_policy_node),
	KUNIT_CASE(ttl_expired_entry_never_returned),
	KUNIT_CASE(ttl_reclaimed_without_reads),
	KUNIT_CASE(walk_skips_entries_expired_meanwhile),
	KUNIT_CASE(ttl_mixed_deadlines_reclaimed),
	KUNIT_CASE(deadline_heap_shrinks_when_entries_go),
	KUNIT_CASE(deadline_heap_replace_needs_no_room),
	KUNIT_CASE(expiry_armed_from_end_of_pass),
	KUNIT_CASE(ttl_counts_from_publication),
	KUNIT_CASE(handle_survives_replace_and_destroy),
	KUNIT_CASE(destroyed_cache_refuses_operations),
	KUNIT_CASE(create_rejects_bad_config),
	KUNIT_CASE(footprint_reserved_until_last_reference),
	KUNIT_CASE(stats_file_not_added_after_destroy),
	KUNIT_CASE(shrinker_evicts_from_cold_end),
	KUNIT_CASE(shrinker_pinned_victim_is_paid),
	KUNIT_CASE(shrinker_reschedules_long_eviction),
	KUNIT_CASE(shrinker_token_on_every_memory_node),
	KUNIT_CASE(shrinker_scans_take_turns),
	KUNIT_CASE(stats_count_hits_and_misses),
	KUNIT_CASE(set_allocates_once_per_entry),
	KUNIT_CASE(replaced_entry_memory_serves_next_write),
	KUNIT_CASE(spares_fit_beside_live_entries),
	KUNIT_CASE(spares_trimmed_when_writes_need_another_size),
	{}
};

struct kunit_suite kcache_core_suite = {
	.name = "kcache_core",
	.exit = kc_case_exit,
	.test_cases = kcache_core_cases,
};
