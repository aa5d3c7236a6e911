// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite kcache_concurrency: the core under many CPUs. Records of one key reach
 * maintenance from different CPUs in any order; CAS and ADD stay exact under concurrent
 * writers; a reader never sees version 0 or a version going backwards; writers progress
 * with the workqueue stalled, also across the write rings' u32 position wrap; a TTL
 * written during a long pass is still reclaimed.
 *
 * The record-order cases move the test thread between CPUs, so that each record lands in
 * the write ring of a chosen CPU, with the work items stalled; kcache_maintain() then
 * drains CPU 0's ring before CPU 1's, which fixes the order records are applied in.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "kcache_internal.h"
#include "kcache_maint.h"
#include "kcache_test.h"
#include "kcache_wring.h"

static struct kcache *kc_new(struct kunit *test, const char *name, u64 max_entries)
{
	struct kcache_config cfg = { .max_entries = max_entries };
	struct kcache *c = kcache_create(name, &cfg);

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	return c;
}

static void kc_gone(struct kcache *c)
{
	kcache_destroy(c);
	kcache_put_ref(c);
}

static void kc_on_cpu(struct kunit *test, int cpu)
{
	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(cpu)));
	KUNIT_ASSERT_EQ(test, cpu, raw_smp_processor_id());
}

static void kc_need_two_cpus(struct kunit *test)
{
	if (!cpu_online(0) || !cpu_online(1))
		kunit_skip(test, "needs CPUs 0 and 1 online");
}

static int kc_set_str(struct kcache *c, const char *k, const char *v)
{
	return kcache_set(c, k, strlen(k), v, strlen(v), 0, 0, NULL);
}

/* REMOVE (CPU 0's ring) is applied before the ADD it undoes (CPU 1's ring). */
static void records_remove_before_add(struct kunit *test)
{
	struct kcache *c = kc_new(test, "mt-order1", 100);
	struct kcache_stats st;

	kc_need_two_cpus(test);
	kcache_test_stall_work(c, true);
	kc_on_cpu(test, 1);
	KUNIT_EXPECT_EQ(test, 0, kc_set_str(c, "k", "v1"));
	kc_on_cpu(test, 0);
	KUNIT_EXPECT_EQ(test, 0, kcache_delete(c, "k", 1));
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	kcache_maintain(c);
	/* the late ADD must not link an entry that already left the table */
	KUNIT_EXPECT_EQ(test, 0ULL, kcache_test_policy_entries(c));
	kcache_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 0ULL, st.entries);
	kcache_test_stall_work(c, false);
	kc_gone(c);
}

/*
 * A chain of replaces of one key written alternately from two CPUs: CPU 1 has
 * ADD(e1), REPLACE(e3 for e2); CPU 0 has REPLACE(e2 for e1) and, in the second variant,
 * REMOVE(e3). Applied CPU 0 first, every retirement but one comes before its publication.
 */
static void records_replace_chain_two_cpus(struct kunit *test)
{
	struct kcache *c = kc_new(test, "mt-order2", 100);
	char buf[8];
	u32 len = sizeof(buf);
	int remove;

	kc_need_two_cpus(test);
	kcache_test_stall_work(c, true);
	for (remove = 0; remove < 2; remove++) {
		kc_on_cpu(test, 1);
		KUNIT_EXPECT_EQ(test, 0, kc_set_str(c, "k", "v1"));
		kc_on_cpu(test, 0);
		KUNIT_EXPECT_EQ(test, 0, kc_set_str(c, "k", "v2"));
		kc_on_cpu(test, 1);
		KUNIT_EXPECT_EQ(test, 0, kc_set_str(c, "k", "v3"));
		kc_on_cpu(test, 0);
		if (remove)
			KUNIT_EXPECT_EQ(test, 0, kcache_delete(c, "k", 1));
		set_cpus_allowed_ptr(current, cpu_possible_mask);
		kcache_maintain(c);
		KUNIT_EXPECT_EQ(test, remove ? 0ULL : 1ULL, kcache_test_policy_entries(c));
		len = sizeof(buf);
		if (remove) {
			KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "k", 1, buf, &len, NULL));
		} else {
			KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "k", 1, buf, &len, NULL));
			KUNIT_EXPECT_EQ(test, 0, memcmp(buf, "v3", 2));
			KUNIT_EXPECT_EQ(test, 0, kcache_delete(c, "k", 1));
			kcache_maintain(c);
			KUNIT_EXPECT_EQ(test, 0ULL, kcache_test_policy_entries(c));
		}
	}
	kcache_test_stall_work(c, false);
	kc_gone(c);
}

#define KC_THREADS	8

struct kc_thr {
	struct kcache *c;
	struct completion *done;
	atomic_t *left;
	unsigned int id;
	unsigned int rounds;
	u64 wins;
	u64 errors;
	u64 *won;	/* CAS: the versions this thread won from */
};

static void kc_thr_done(struct kc_thr *t)
{
	if (atomic_dec_and_test(t->left))
		complete(t->done);
}

static int kc_run_threads(int (*fn)(void *), struct kc_thr *t, unsigned int n,
			  unsigned int secs)
{
	struct task_struct *task[KC_THREADS];
	DECLARE_COMPLETION_ONSTACK(done);
	atomic_t left = ATOMIC_INIT(n);
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		t[i].done = &done;
		t[i].left = &left;
		t[i].id = i;
		task[i] = kthread_run(fn, &t[i], "kc-mt/%u", i);
		if (IS_ERR(task[i])) {
			ret = PTR_ERR(task[i]);
			break;
		}
		get_task_struct(task[i]);
	}
	if (!ret && !wait_for_completion_timeout(&done, secs * HZ))
		ret = -ETIMEDOUT;
	/* each thread started is stopped before @done leaves the stack, whatever failed */
	while (i--) {
		kthread_stop(task[i]);
		put_task_struct(task[i]);
	}
	return ret;
}

/* Each thread: read the counter's version, CAS it to value + 1 from that version. */
static int kc_cas_fn(void *data)
{
	struct kc_thr *t = data;
	unsigned int i;
	u64 v, ver, nver;
	u32 len;
	int err;

	for (i = 0; i < t->rounds; i++) {
		len = sizeof(v);
		if (kcache_get(t->c, "ctr", 3, &v, &len, &ver)) {
			t->errors++;
			continue;
		}
		v++;
		err = kcache_cas(t->c, "ctr", 3, &v, sizeof(v), 0, ver, &nver);
		if (!err)
			t->won[t->wins++] = ver;
		else if (err != -ESTALE)
			t->errors++;
		cond_resched();
	}
	kc_thr_done(t);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int kc_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void cas_one_winner_per_version(struct kunit *test)
{
	struct kcache *c = kc_new(test, "mt-cas", 100);
	const unsigned int rounds = 500;
	struct kc_thr t[KC_THREADS] = {};
	u64 *all, v = 0, total = 0, errors = 0;
	unsigned int i, j, n = 0;
	u32 len = sizeof(v);

	all = kunit_kcalloc(test, KC_THREADS * rounds, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "ctr", 3, &v, sizeof(v), 0, 0, NULL));
	for (i = 0; i < KC_THREADS; i++) {
		t[i].c = c;
		t[i].rounds = rounds;
		t[i].won = all + i * rounds;
	}
	KUNIT_ASSERT_EQ(test, 0, kc_run_threads(kc_cas_fn, t, KC_THREADS, 120));
	for (i = 0; i < KC_THREADS; i++) {
		total += t[i].wins;
		errors += t[i].errors;
		for (j = 0; j < t[i].wins; j++)
			all[n++] = t[i].won[j];
	}
	KUNIT_EXPECT_EQ(test, 0ULL, errors);
	KUNIT_EXPECT_GT(test, total, 0ULL);
	/* the value counts the wins, and no version was won from twice */
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "ctr", 3, &v, &len, NULL));
	KUNIT_EXPECT_EQ(test, total, v);
	sort(all, n, sizeof(u64), kc_cmp_u64, NULL);
	for (i = 1; i < n; i++)
		KUNIT_EXPECT_NE(test, all[i - 1], all[i]);
	kc_gone(c);
}

static int kc_add_fn(void *data)
{
	struct kc_thr *t = data;
	unsigned int i;

	for (i = 0; i < t->rounds; i++) {
		if (kcache_add(t->c, "sum", 3, t->id + 1, 0, NULL))
			t->errors++;
		cond_resched();
	}
	kc_thr_done(t);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static void add_sum_exact(struct kunit *test)
{
	struct kcache *c = kc_new(test, "mt-add", 100);
	struct kc_thr t[KC_THREADS] = {};
	const unsigned int rounds = 1000;
	u64 v = 0, want = 0, errors = 0;
	u32 len = sizeof(v);
	unsigned int i;

	for (i = 0; i < KC_THREADS; i++) {
		t[i].c = c;
		t[i].rounds = rounds;
		want += (u64)(i + 1) * rounds;
	}
	KUNIT_ASSERT_EQ(test, 0, kc_run_threads(kc_add_fn, t, KC_THREADS, 120));
	for (i = 0; i < KC_THREADS; i++)
		errors += t[i].errors;
	KUNIT_EXPECT_EQ(test, 0ULL, errors);
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "sum", 3, &v, &len, NULL));
	KUNIT_EXPECT_EQ(test, want, v);
	kc_gone(c);
}

static int kc_setter_fn(void *data)
{
	struct kc_thr *t = data;
	u64 v = 0;

	kc_thr_done(t);
	while (!kthread_should_stop()) {
		v++;
		if (kcache_set(t->c, "race", 4, &v, sizeof(v), 0, 0, NULL))
			t->errors++;
		cond_resched();
	}
	return 0;
}

/* The version is stored before the entry is published: never 0, never backwards. */
static void set_get_version_monotonic(struct kunit *test)
{
	struct kcache *c = kc_new(test, "mt-ver", 100);
	struct task_struct *task[2];
	struct kc_thr t[2] = {};
	DECLARE_COMPLETION_ONSTACK(done);
	atomic_t left = ATOMIC_INIT(2);
	u64 v, ver, last = 0, zero = 0, back = 0, hits = 0;
	unsigned int i;
	u32 len;

	for (i = 0; i < 2; i++) {
		t[i].c = c;
		t[i].done = &done;
		t[i].left = &left;
		task[i] = kthread_run(kc_setter_fn, &t[i], "kc-ver/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task[i]));
		get_task_struct(task[i]);
	}
	wait_for_completion(&done);
	for (i = 0; i < 20000; i++) {
		len = sizeof(v);
		if (kcache_get(c, "race", 4, &v, &len, &ver))
			continue;
		hits++;
		if (!ver)
			zero++;
		if (ver < last)
			back++;
		last = ver;
		if (!(i % 64))
			cond_resched();
	}
	for (i = 0; i < 2; i++) {
		kthread_stop(task[i]);
		put_task_struct(task[i]);
		KUNIT_EXPECT_EQ(test, 0ULL, t[i].errors);
	}
	KUNIT_EXPECT_GT(test, hits, 0ULL);
	KUNIT_EXPECT_EQ(test, 0ULL, zero);
	KUNIT_EXPECT_EQ(test, 0ULL, back);
	kc_gone(c);
}

static int kc_filler_fn(void *data)
{
	struct kc_thr *t = data;
	char key[16];
	unsigned int i;

	for (i = 0; i < t->rounds; i++) {
		snprintf(key, sizeof(key), "w%u", (t->id * 7919 + i) % 1000);
		if (kcache_set(t->c, key, strlen(key), key, 8, 0, 0, NULL))
			t->errors++;
		cond_resched();
	}
	kc_thr_done(t);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/* Four threads write 2000 times each, keys w0..w999, and none of the writes fails. */
static void kc_fill_four(struct kunit *test, struct kcache *c)
{
	struct kc_thr t[4] = {};
	unsigned int i;
	u64 errors = 0;

	for (i = 0; i < 4; i++) {
		t[i].c = c;
		t[i].rounds = 2000;
	}
	KUNIT_EXPECT_EQ(test, 0, kc_run_threads(kc_filler_fn, t, 4, 120));
	for (i = 0; i < 4; i++)
		errors += t[i].errors;
	KUNIT_EXPECT_EQ(test, 0ULL, errors);
}

/* Rings of 4 records and no work item ever running: writers drain themselves. */
static void writers_progress_with_work_stalled(struct kunit *test)
{
	struct kcache_config cfg = { .max_entries = 100 };
	struct kcache_stats st;
	struct kcache *c;
	unsigned int old;

	old = kcache_test_write_buffer_size(4);
	c = kcache_create("mt-stall", &cfg);
	kcache_test_write_buffer_size(old);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	kcache_test_stall_work(c, true);
	kc_fill_four(test, c);
	kcache_maintain(c);
	kcache_stats(c, &st);
	KUNIT_EXPECT_LE(test, st.entries, 100ULL);
	KUNIT_EXPECT_EQ(test, st.sets, 8000ULL);
	kcache_test_stall_work(c, false);
	kc_gone(c);
}

/*
 * The rings' u32 positions wrap: started just below it, 8000 writes of four threads
 * through rings of 4 records (6 asked for) each reach the policy exactly once (a lost
 * record leaves an entry out of the policy, a doubled one links it twice), and the
 * positions advanced by one per write.
 */
static void write_ring_positions_cross_u32_wrap(struct kunit *test)
{
	struct kcache_config cfg = { .max_entries = 2000 };
	const u32 start = U32_MAX - 100;
	struct kcache_stats st;
	unsigned int old;
	u64 moved = 0;
	bool crossed = false;
	struct kcache *c;
	int cpu;

	/* 6 is not a power of two: a ring indexed by position % 6 would skip slots at the wrap */
	old = kcache_test_write_buffer_size(6);
	c = kcache_create("mt-wrap", &cfg);
	kcache_test_write_buffer_size(old);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_EQ(test, 4U, c->wring_size);
	kcache_test_stall_work(c, true);
	KUNIT_ASSERT_EQ(test, 0, kcache_test_wring_start(c, start));
	kc_fill_four(test, c);
	kcache_maintain(c);
	for_each_possible_cpu(cpu) {
		u32 n = kcache_test_wring_head(c, cpu) - start;

		moved += n;
		crossed |= n > 100;
	}
	KUNIT_EXPECT_EQ(test, 8000ULL, moved);
	KUNIT_EXPECT_TRUE(test, crossed);
	kcache_stats(c, &st);
	/* keys w0..w999, each written; none evicted below the bound */
	KUNIT_EXPECT_EQ(test, 1000ULL, st.entries);
	KUNIT_EXPECT_EQ(test, 1000ULL, kcache_test_policy_entries(c));
	kcache_test_stall_work(c, false);
	kc_gone(c);
}

/*
 * Writes the policy has not seen yet are entries over the count bound. With the work
 * stalled only a full ring brings a pass, so the table grows past max_entries by up to
 * every CPU's ring, and the rings are sized so that this is at most 1/16 of the bound
 * (the bound here is large enough for rings above their floor of 64).
 */
static void write_rings_bound_the_count_overshoot(struct kunit *test)
{
	u64 bound = 2 * 64 * 16 * (u64)num_possible_cpus(), peak = 0, i;
	struct kcache_stats st;
	struct kcache *c;
	char key[24];

	if (num_possible_cpus() > 8)
		kunit_skip(test, "a bound this large takes too long under emulation");
	c = kc_new(test, "mt-overshoot", bound);
	/* every CPU's ring counts, though one writer fills only the rings it runs on */
	KUNIT_EXPECT_LE(test, (u64)c->wring_size * num_possible_cpus(), bound / 16);
	kcache_test_stall_work(c, true);
	for (i = 0; i < 3 * bound; i++) {
		snprintf(key, sizeof(key), "o%llu", i);
		if (kcache_set(c, key, strlen(key), key, 8, 0, 0, NULL)) {
			KUNIT_FAIL(test, "set %llu failed", i);
			break;
		}
		if (i % 16 == 0) {
			kcache_stats(c, &st);
			peak = max(peak, st.entries);
		}
		if (i % 256 == 0)
			cond_resched();
	}
	kcache_test_stall_work(c, false);
	/* pending records did push it past the bound, and no further than the rings */
	KUNIT_EXPECT_GT(test, peak, bound);
	KUNIT_EXPECT_LE(test, peak, bound + bound / 16);
	kcache_maintain(c);
	kcache_stats(c, &st);
	KUNIT_EXPECT_LE(test, st.entries, bound);
	kc_gone(c);
}

/*
 * The largest write_buffer_size is what one per-CPU allocation holds: a larger one is
 * capped, not passed to the allocator (which would refuse it with a warning).
 */
static void write_ring_size_capped_to_one_allocation(struct kunit *test)
{
	struct kcache_config cfg = { .max_entries = 1ULL << 19 };
	unsigned int old;
	struct kcache *c;

	/* 2^19 entries: each CPU's share of the count bound's slack is above the cap */
	if (num_possible_cpus() > 16)
		kunit_skip(test, "the share of each CPU is below the cap");
	old = kcache_test_write_buffer_size(1U << 20);
	c = kcache_create("mt-bigring", &cfg);
	kcache_test_write_buffer_size(old);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_EQ(test, kcache_wring_max(), c->wring_size);
	KUNIT_EXPECT_GE(test, c->wring_size, 1024U);
	KUNIT_EXPECT_EQ(test, 0, kcache_set(c, "k", 1, "v", 1, 0, 0, NULL));
	kc_gone(c);
}

static int kc_ttl_fn(void *data)
{
	struct kc_thr *t = data;
	unsigned long end = jiffies + HZ;
	char key[16];
	unsigned int i = 0;
	u64 ttl;

	while (time_before(jiffies, end)) {
		snprintf(key, sizeof(key), "t%u-%u", t->id, i++);
		ttl = (100 + (i * 37) % 200) * NSEC_PER_MSEC;
		if (kcache_set(t->c, key, strlen(key), key, 8, ttl, 0, NULL))
			t->errors++;
		cond_resched();
	}
	kc_thr_done(t);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/*
 * TTL writes while passes evict (a bound far below the keys written): once traffic stops,
 * every entry is reclaimed by the armed expiry alone, without a read, write or
 * kcache_maintain() (a deadline published during a pass used to be forgotten).
 */
static void ttl_deadline_not_lost_under_eviction(struct kunit *test)
{
	struct kcache *c = kc_new(test, "mt-ttl", 200);
	struct kc_thr t[4] = {};
	struct kcache_stats st;
	unsigned int i;
	int waited;

	for (i = 0; i < 4; i++)
		t[i].c = c;
	KUNIT_ASSERT_EQ(test, 0, kc_run_threads(kc_ttl_fn, t, 4, 60));
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, 0ULL, t[i].errors);
	/* the longest TTL is 300 ms; allow for a slow emulated machine */
	for (waited = 0; waited < 10000; waited += 100) {
		msleep(100);
		kcache_stats(c, &st);
		if (!st.entries && waited >= 300)
			break;
	}
	KUNIT_EXPECT_EQ(test, 0ULL, st.entries);
	KUNIT_EXPECT_GT(test, st.expirations, 0ULL);
	kc_gone(c);
}

static struct kunit_case kcache_mt_cases[] = {
	KUNIT_CASE(records_remove_before_add),
	KUNIT_CASE(records_replace_chain_two_cpus),
	KUNIT_CASE(cas_one_winner_per_version),
	KUNIT_CASE(add_sum_exact),
	KUNIT_CASE(set_get_version_monotonic),
	KUNIT_CASE(writers_progress_with_work_stalled),
	KUNIT_CASE(write_ring_positions_cross_u32_wrap),
	KUNIT_CASE(write_rings_bound_the_count_overshoot),
	KUNIT_CASE(write_ring_size_capped_to_one_allocation),
	KUNIT_CASE(ttl_deadline_not_lost_under_eviction),
	{}
};

struct kunit_suite kcache_mt_suite = {
	.name = "kcache_concurrency",
	.test_cases = kcache_mt_cases,
};
