// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite kcache_load: kcache_get_or_load() from many kthreads. One load per missing
 * key, errors given to every waiter and not cached, 1000 keys loaded once each in
 * parallel, a killed waiter, destroy during a load, SET and DEL during a load, refresh
 * ahead, a loader asking for its own key. Each case uses its own cache; loaders count
 * their calls.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "kcache_internal.h"
#include "kcache_load.h"
#include "kcache_test.h"

#define KL_WAITERS	16
#define KL_KEYS		1000
#define KL_MANY_THREADS	8
#define KL_TIMEOUT	(60 * HZ)	/* TCG is slow; a hang fails the case, not the run */

/**
 * struct kl_ctx - what a case's loader does
 * @calls: loader calls, all keys
 * @per_key: loader calls per key (the 1000-key case), or NULL
 * @release: a blocking loader waits for it
 * @entered: completed by a blocking loader when it starts
 * @block: wait for @release
 * @killable: wait for @release killable, and fail with -EINTR when killed
 * @err: return this error instead of a value
 * @err_first: the first call returns this error instead of a value
 * @val: the value a single-key loader returns
 * @ran: the task of each of the first calls
 */
struct kl_ctx {
	atomic_t calls;
	atomic_t *per_key;
	struct completion release;
	struct completion entered;
	bool block;
	bool killable;
	int err;
	int err_first;
	const char *val;
	struct task_struct *ran[2];
};

static int kl_loader(void *p, const void *key, u32 klen, void **val, u32 *vlen)
{
	struct kl_ctx *ctx = p;
	int len, idx, call;
	char buf[24];

	call = atomic_inc_return(&ctx->calls);
	if (call <= ARRAY_SIZE(ctx->ran))
		ctx->ran[call - 1] = current;
	if (ctx->block) {
		long left;

		complete(&ctx->entered);
		if (ctx->killable)
			left = wait_for_completion_killable_timeout(&ctx->release, KL_TIMEOUT);
		else
			left = wait_for_completion_timeout(&ctx->release, KL_TIMEOUT);
		if (left < 0)
			return -EINTR;
		if (!left)
			return -ETIME;
	}
	if (ctx->err)
		return ctx->err;
	if (ctx->err_first && call == 1)
		return ctx->err_first;
	if (ctx->per_key) {
		/* keys are "k<index>", values "v<index>" */
		memcpy(buf, key, min_t(u32, klen, sizeof(buf) - 1));
		buf[min_t(u32, klen, sizeof(buf) - 1)] = 0;
		if (kstrtoint(buf + 1, 10, &idx) || idx < 0 || idx >= KL_KEYS)
			return -EINVAL;
		atomic_inc(&ctx->per_key[idx]);
		len = snprintf(buf, sizeof(buf), "v%d", idx);
	} else {
		len = strscpy(buf, ctx->val, sizeof(buf));
	}
	*val = kvmalloc(len, GFP_KERNEL);
	if (!*val)
		return -ENOMEM;
	memcpy(*val, buf, len);
	*vlen = len;
	return 0;
}

/**
 * struct kl_thread - one caller of kcache_get_or_load() in a kthread
 * @c: the cache
 * @ctx: the loader's context
 * @key: the key (NUL-terminated)
 * @task: the kthread, pinned
 * @done: completed when the call returned
 * @killable: accept SIGKILL (kthreads ignore signals unless allowed)
 * @retry: call again at once after -EINTR, as a restarted system call does
 * @many: call for every key of the 1000-key case, starting at @first
 * @first: see @many
 * @ret: the call's return value (the first error in @many mode)
 * @first_ret: the first call's return value (@retry calls a second time)
 * @len: the value's length
 * @version: the value's version
 * @buf: the value
 */
struct kl_thread {
	struct kcache *c;
	struct kl_ctx *ctx;
	const char *key;
	struct task_struct *task;
	struct completion done;
	bool killable;
	bool retry;
	bool many;
	int first;
	int ret;
	int first_ret;
	u32 len;
	u64 version;
	char buf[32];
};

static int kl_many(struct kl_thread *t)
{
	char key[16], want[16];
	int i, k, n, ret;

	for (i = 0; i < KL_KEYS; i++) {
		k = (t->first + i) % KL_KEYS;
		n = snprintf(key, sizeof(key), "k%d", k);
		snprintf(want, sizeof(want), "v%d", k);
		t->len = sizeof(t->buf);
		ret = kcache_get_or_load(t->c, key, n, kl_loader, t->ctx, t->buf, &t->len, 0,
					 NULL);
		if (ret)
			return ret;
		if (t->len != strlen(want) || memcmp(t->buf, want, t->len))
			return -EBADMSG;
	}
	return 0;
}

static int kl_thread_fn(void *p)
{
	struct kl_thread *t = p;

	if (t->killable)
		allow_signal(SIGKILL);
	if (t->many) {
		t->ret = kl_many(t);
	} else {
		t->len = sizeof(t->buf);
		t->ret = kcache_get_or_load(t->c, t->key, strlen(t->key), kl_loader, t->ctx,
					    t->buf, &t->len, 0, &t->version);
		t->first_ret = t->ret;
		if (t->retry && t->ret == -EINTR) {
			t->len = sizeof(t->buf);
			t->ret = kcache_get_or_load(t->c, t->key, strlen(t->key), kl_loader,
						    t->ctx, t->buf, &t->len, 0, &t->version);
		}
	}
	complete(&t->done);
	return 0;
}

static void kl_start(struct kunit *test, struct kl_thread *t, struct kcache *c,
		     struct kl_ctx *ctx, const char *key)
{
	t->c = c;
	t->ctx = ctx;
	t->key = key;
	init_completion(&t->done);
	t->task = kthread_create(kl_thread_fn, t, "kcache-load-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->task));
	get_task_struct(t->task);
	wake_up_process(t->task);
}

/* Wait for a thread's call to return; false on timeout (the case then fails). */
static bool kl_join(struct kunit *test, struct kl_thread *t)
{
	bool ok = wait_for_completion_timeout(&t->done, KL_TIMEOUT);

	KUNIT_EXPECT_TRUE_MSG(test, ok, "a caller did not return within %d s",
			      KL_TIMEOUT / HZ);
	if (ok)
		put_task_struct(t->task);
	return ok;
}

/*
 * Wait until @n callers sleep on @key's load: threads reach it in any order and, on a
 * loaded host, late; a fixed sleep would let one arrive after the load ended and start
 * another. A timeout fails the case, which goes on to release and join its threads.
 */
static void kl_wait_waiters(struct kunit *test, struct kcache *c, const char *key, u32 n)
{
	unsigned long end = jiffies + KL_TIMEOUT;

	while (kcache_test_load_waiters(c, key, strlen(key)) < n) {
		if (time_after(jiffies, end)) {
			KUNIT_FAIL(test, "%u callers never all waited on the load of %s", n, key);
			return;
		}
		msleep(20);
	}
}

static void kl_ctx_init(struct kl_ctx *ctx, const char *val)
{
	memset(ctx, 0, sizeof(*ctx));
	atomic_set(&ctx->calls, 0);
	init_completion(&ctx->release);
	init_completion(&ctx->entered);
	ctx->val = val;
}

static void kl_case_exit(struct kunit *test)
{
	struct kcache *c = test->priv;

	if (c) {
		kcache_destroy(c);
		kcache_put_ref(c);
	}
	test->priv = NULL;	/* a parameterised case runs again with the same test */
}

static struct kcache *kl_new(struct kunit *test)
{
	struct kcache_config cfg = { .policy = KCACHE_POLICY_TINYLFU };
	char name[KCACHE_NAME_MAX + 1];
	struct kcache *c;

	snprintf(name, sizeof(name), "kl-%.50s", test->name);
	c = kcache_create(name, &cfg);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(c), "create %s: %ld", name, PTR_ERR(c));
	test->priv = c;
	return c;
}

static bool kl_is(const struct kl_thread *t, const char *val)
{
	return t->len == strlen(val) && !memcmp(t->buf, val, t->len);
}

static void one_missing_key_loaded_once_for_all(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, KL_WAITERS, sizeof(*t), GFP_KERNEL);
	struct kcache_load_stats st;
	struct kl_ctx ctx;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, "loaded");
	ctx.block = true;
	for (i = 0; i < KL_WAITERS; i++)
		kl_start(test, &t[i], c, &ctx, "hot");
	/* one of them loads, the others wait for it */
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	kl_wait_waiters(test, c, "hot", KL_WAITERS - 1);
	complete_all(&ctx.release);
	for (i = 0; i < KL_WAITERS; i++) {
		if (!kl_join(test, &t[i]))
			return;
		KUNIT_EXPECT_EQ(test, 0, t[i].ret);
		KUNIT_EXPECT_TRUE(test, kl_is(&t[i], "loaded"));
		KUNIT_EXPECT_NE(test, 0ULL, t[i].version);
	}
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&ctx.calls));
	kcache_load_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 1ULL, st.loads_started);
	KUNIT_EXPECT_EQ(test, 1ULL, st.loads_succeeded);
	KUNIT_EXPECT_EQ(test, (u64)(KL_WAITERS - 1), st.waiters_served);
	KUNIT_EXPECT_EQ(test, 0ULL, st.in_flight);
}

static void kl_error_desc(const int *err, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "loader fails with %d", *err);
}

/* -EAGAIN too: "try again" means the same to a waiter as to the caller that loaded */
static const int kl_shared_errors[] = { -EHOSTDOWN, -EAGAIN };

KUNIT_ARRAY_PARAM(kl_shared_error, kl_shared_errors, kl_error_desc);

static void failing_loader_error_to_all_not_cached(struct kunit *test)
{
	const int *err = test->param_value;
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, KL_WAITERS, sizeof(*t), GFP_KERNEL);
	struct kcache_load_stats st;
	struct kl_ctx ctx;
	char buf[16];
	u32 len = sizeof(buf);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, "never");
	ctx.block = true;
	ctx.err = *err;
	for (i = 0; i < KL_WAITERS; i++)
		kl_start(test, &t[i], c, &ctx, "bad");
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	kl_wait_waiters(test, c, "bad", KL_WAITERS - 1);
	complete_all(&ctx.release);
	for (i = 0; i < KL_WAITERS; i++) {
		if (!kl_join(test, &t[i]))
			return;
		KUNIT_EXPECT_EQ(test, *err, t[i].ret);
	}
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&ctx.calls));
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "bad", 3, buf, &len, NULL));
	/* not cached: the next call loads again, and now succeeds */
	ctx.err = 0;
	ctx.block = false;
	ctx.val = "good";
	len = sizeof(buf);
	KUNIT_EXPECT_EQ(test, 0, kcache_get_or_load(c, "bad", 3, kl_loader, &ctx, buf, &len, 0,
						    NULL));
	KUNIT_EXPECT_EQ(test, 2, atomic_read(&ctx.calls));
	KUNIT_EXPECT_EQ(test, 4u, len);
	kcache_load_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 1ULL, st.loads_failed);
	KUNIT_EXPECT_EQ(test, (u64)(KL_WAITERS - 1), st.waiters_served);
}

static void thousand_keys_each_loaded_once(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, KL_MANY_THREADS, sizeof(*t), GFP_KERNEL);
	struct kl_ctx ctx;
	int i, once = 0;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, NULL);
	ctx.per_key = kunit_kcalloc(test, KL_KEYS, sizeof(*ctx.per_key), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx.per_key);
	for (i = 0; i < KL_MANY_THREADS; i++) {
		t[i].many = true;
		t[i].first = i * (KL_KEYS / KL_MANY_THREADS / 4);	/* overlapping starts */
		kl_start(test, &t[i], c, &ctx, NULL);
	}
	for (i = 0; i < KL_MANY_THREADS; i++) {
		if (!kl_join(test, &t[i]))
			return;
		KUNIT_EXPECT_EQ(test, 0, t[i].ret);
	}
	for (i = 0; i < KL_KEYS; i++)
		once += atomic_read(&ctx.per_key[i]) == 1;
	KUNIT_EXPECT_EQ(test, KL_KEYS, once);
	KUNIT_EXPECT_EQ(test, KL_KEYS, atomic_read(&ctx.calls));
}

static void killed_waiter_leaves_others_alone(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 3, sizeof(*t), GFP_KERNEL);
	struct kl_ctx ctx;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, "late");
	ctx.block = true;
	kl_start(test, &t[0], c, &ctx, "slow");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	t[1].killable = true;
	kl_start(test, &t[1], c, &ctx, "slow");
	kl_start(test, &t[2], c, &ctx, "slow");
	kl_wait_waiters(test, c, "slow", 2);	/* both asleep on the load */
	send_sig(SIGKILL, t[1].task, 1);
	if (!kl_join(test, &t[1]))
		goto out;
	KUNIT_EXPECT_EQ(test, -EINTR, t[1].ret);
	KUNIT_EXPECT_FALSE(test, completion_done(&t[2].done));
	complete_all(&ctx.release);
	if (!kl_join(test, &t[0]) || !kl_join(test, &t[2]))
		return;
	KUNIT_EXPECT_EQ(test, 0, t[0].ret);
	KUNIT_EXPECT_EQ(test, 0, t[2].ret);
	KUNIT_EXPECT_TRUE(test, kl_is(&t[2], "late"));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&ctx.calls));
	return;
out:
	complete_all(&ctx.release);
}

/*
 * A holder killed in its loader fails with -EINTR, the one caller told so: the load passes
 * to one of the callers waiting for it, which loads, and every waiter gets its value.
 */
static void killed_holder_hands_load_to_waiter(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 3, sizeof(*t), GFP_KERNEL);
	struct kl_ctx ctx;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, "second");
	ctx.block = true;
	ctx.killable = true;
	t[0].killable = true;
	kl_start(test, &t[0], c, &ctx, "held");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	reinit_completion(&ctx.entered);
	kl_start(test, &t[1], c, &ctx, "held");
	kl_start(test, &t[2], c, &ctx, "held");
	kl_wait_waiters(test, c, "held", 2);
	send_sig(SIGKILL, t[0].task, 1);
	if (!kl_join(test, &t[0]))
		goto out;
	KUNIT_EXPECT_EQ(test, -EINTR, t[0].ret);
	/* a waiter took the load over and runs the loader */
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	KUNIT_EXPECT_EQ(test, 2, atomic_read(&ctx.calls));
	complete_all(&ctx.release);
	for (i = 1; i < 3; i++) {
		if (!kl_join(test, &t[i]))
			return;
		KUNIT_EXPECT_EQ_MSG(test, 0, t[i].ret, "caller %d", i);
		KUNIT_EXPECT_TRUE(test, kl_is(&t[i], "second"));
	}
	KUNIT_EXPECT_EQ(test, 2, atomic_read(&ctx.calls));
	return;
out:
	complete_all(&ctx.release);
}

/*
 * A loader that fails because of its own task (a signal interrupted it: -EINTR or a
 * restart code) fails its caller alone. The callers waiting were not interrupted (and
 * -ERESTARTSYS must never reach a process): one of them takes the load over, the others
 * get its value.
 */
static const int kl_own_errors[] = { -EINTR, -ERESTARTSYS, -ERESTARTNOHAND };

KUNIT_ARRAY_PARAM(kl_own_error, kl_own_errors, kl_error_desc);

static void loader_own_error_hands_load_to_waiter(struct kunit *test)
{
	const int *err = test->param_value;
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 3, sizeof(*t), GFP_KERNEL);
	struct kcache_load_stats st;
	struct kl_ctx ctx;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, "second");
	ctx.block = true;
	ctx.err_first = *err;
	kl_start(test, &t[0], c, &ctx, "own");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	kl_start(test, &t[1], c, &ctx, "own");
	kl_start(test, &t[2], c, &ctx, "own");
	kl_wait_waiters(test, c, "own", 2);
	/* the holder fails; the waiter that takes over finds the release done, and loads */
	complete_all(&ctx.release);
	for (i = 0; i < 3; i++)
		if (!kl_join(test, &t[i]))
			return;
	KUNIT_EXPECT_EQ(test, *err, t[0].ret);
	for (i = 1; i < 3; i++) {
		KUNIT_EXPECT_EQ_MSG(test, 0, t[i].ret, "caller %d", i);
		KUNIT_EXPECT_TRUE(test, kl_is(&t[i], "second"));
	}
	KUNIT_EXPECT_EQ(test, 2, atomic_read(&ctx.calls));
	kcache_load_stats(c, &st);
	KUNIT_EXPECT_EQ(test, 0ULL, st.loads_failed);
	KUNIT_EXPECT_EQ(test, 1ULL, st.leases_handed_over);
	KUNIT_EXPECT_EQ(test, 0ULL, st.in_flight);
}

/*
 * An interrupted holder that calls again at once (a restarted system call) must not take
 * back the load it handed on: the waiter woken for it loads, and the holder waits for its
 * value. A vacant load granted to whoever asked first went back to the holder, whose
 * next load a signal could cut short again, for ever, while the waiter slept. Rounds,
 * since without the hand-off only the order of two CPUs decided who won.
 */
#define KL_HANDOFF_ROUNDS	5

static void interrupted_holder_does_not_take_load_back(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 2, sizeof(*t), GFP_KERNEL);
	struct kcache_load_stats st;
	struct kl_ctx ctx;
	char key[16];
	int round;

	KUNIT_ASSERT_NOT_NULL(test, t);
	for (round = 0; round < KL_HANDOFF_ROUNDS; round++) {
		snprintf(key, sizeof(key), "back%d", round);
		memset(t, 0, 2 * sizeof(*t));
		kl_ctx_init(&ctx, "waiter's");
		ctx.block = true;
		ctx.err_first = -EINTR;
		t[0].retry = true;
		kl_start(test, &t[0], c, &ctx, key);
		KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
		kl_start(test, &t[1], c, &ctx, key);
		kl_wait_waiters(test, c, key, 1);
		complete_all(&ctx.release);
		if (!kl_join(test, &t[0]) || !kl_join(test, &t[1]))
			return;
		KUNIT_EXPECT_EQ(test, -EINTR, t[0].first_ret);
		KUNIT_EXPECT_EQ(test, 0, t[0].ret);
		KUNIT_EXPECT_EQ(test, 0, t[1].ret);
		KUNIT_EXPECT_TRUE(test, kl_is(&t[0], "waiter's"));
		KUNIT_EXPECT_EQ(test, 2, atomic_read(&ctx.calls));
		KUNIT_EXPECT_TRUE_MSG(test, ctx.ran[1] == t[1].task,
				      "round %d: the interrupted holder loaded again", round);
	}
	kcache_load_stats(c, &st);
	KUNIT_EXPECT_EQ(test, (u64)KL_HANDOFF_ROUNDS, st.leases_handed_over);
	KUNIT_EXPECT_EQ(test, 0ULL, st.in_flight);
}

/*
 * The refresh margin comes from userspace (LOAD_CONFIG) unbounded: a margin larger than
 * the clock makes every entry with a deadline due for refresh, where a sum of the margin
 * and the time would wrap and refresh none.
 */
static void huge_refresh_margin_refreshes(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_ctx ctx;
	char buf[16];
	u32 len = sizeof(buf);

	kl_ctx_init(&ctx, "fresh");
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "ttl", 3, "old", 3, 600 * NSEC_PER_SEC, 0,
					    NULL));
	KUNIT_ASSERT_EQ(test, 0, kcache_load_config(c, U64_MAX, KCACHE_LEASE_NS_DEFAULT));
	KUNIT_EXPECT_EQ(test, 0, kcache_get_or_load(c, "ttl", 3, kl_loader, &ctx, buf, &len,
						    600 * NSEC_PER_SEC, NULL));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&ctx.calls));
}

static int kl_destroy_fn(void *p)
{
	struct kl_thread *t = p;

	kcache_destroy(t->c);
	complete(&t->done);
	return 0;
}

static void destroy_during_load_wakes_waiters(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, KL_WAITERS + 1, sizeof(*t), GFP_KERNEL);
	struct kl_thread *d;
	struct kl_ctx ctx;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	d = &t[KL_WAITERS];
	kl_ctx_init(&ctx, "gone");
	ctx.block = true;
	kl_start(test, &t[0], c, &ctx, "doomed");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	for (i = 1; i < KL_WAITERS; i++)
		kl_start(test, &t[i], c, &ctx, "doomed");
	kl_wait_waiters(test, c, "doomed", KL_WAITERS - 1);
	d->c = c;
	init_completion(&d->done);
	d->task = kthread_run(kl_destroy_fn, d, "kcache-load-destroy");
	KUNIT_ASSERT_FALSE(test, IS_ERR(d->task));
	/* every waiter returns while the loader still runs: none holds up destroy */
	for (i = 1; i < KL_WAITERS; i++) {
		if (!wait_for_completion_timeout(&t[i].done, KL_TIMEOUT)) {
			KUNIT_FAIL(test, "waiter %d still asleep after destroy", i);
			complete_all(&ctx.release);
			return;
		}
		put_task_struct(t[i].task);
		KUNIT_EXPECT_EQ(test, -ESHUTDOWN, t[i].ret);
	}
	/* destroy waits for the running loader's operation, and only for it */
	KUNIT_EXPECT_FALSE(test, completion_done(&d->done));
	complete_all(&ctx.release);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&d->done, KL_TIMEOUT));
	if (!kl_join(test, &t[0]))
		return;
	KUNIT_EXPECT_EQ(test, -ESHUTDOWN, t[0].ret);
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&ctx.calls));
}

/* Leader blocked in the loader, two waiters asleep; @mutate runs; then the loader ends. */
static void kl_mutate_during_load(struct kunit *test, bool set)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 3, sizeof(*t), GFP_KERNEL);
	struct kl_ctx ctx;
	char buf[16];
	u32 len = sizeof(buf);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, "loaded");
	ctx.block = true;
	kl_start(test, &t[0], c, &ctx, "raced");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	kl_start(test, &t[1], c, &ctx, "raced");
	kl_start(test, &t[2], c, &ctx, "raced");
	kl_wait_waiters(test, c, "raced", 2);
	if (set) {
		KUNIT_EXPECT_EQ(test, 0, kcache_set(c, "raced", 5, "setval", 6, 0, 0, NULL));
		/* the SET completes the load: waiters get its value before the loader ends */
		for (i = 1; i < 3; i++) {
			if (!kl_join(test, &t[i]))
				break;
			KUNIT_EXPECT_EQ(test, 0, t[i].ret);
			KUNIT_EXPECT_TRUE(test, kl_is(&t[i], "setval"));
		}
		KUNIT_EXPECT_FALSE(test, completion_done(&t[0].done));
	} else {
		KUNIT_EXPECT_EQ(test, -ENOENT, kcache_delete(c, "raced", 5));
	}
	complete_all(&ctx.release);
	if (!kl_join(test, &t[0]))
		return;
	KUNIT_EXPECT_EQ(test, 0, t[0].ret);
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&ctx.calls));
	if (set) {
		/* the loader's older value is dropped, the SET's stays */
		KUNIT_EXPECT_TRUE(test, kl_is(&t[0], "setval"));
		KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "raced", 5, buf, &len, NULL));
		KUNIT_EXPECT_EQ(test, 0, memcmp(buf, "setval", 6));
		return;
	}
	/* revoked by the DEL: everyone gets the loaded value, the cache does not keep it */
	for (i = 1; i < 3; i++) {
		if (!kl_join(test, &t[i]))
			return;
		KUNIT_EXPECT_EQ(test, 0, t[i].ret);
		KUNIT_EXPECT_TRUE(test, kl_is(&t[i], "loaded"));
		KUNIT_EXPECT_EQ(test, 0ULL, t[i].version);
	}
	KUNIT_EXPECT_TRUE(test, kl_is(&t[0], "loaded"));
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_get(c, "raced", 5, buf, &len, NULL));
}

static void set_during_load_wins(struct kunit *test)
{
	kl_mutate_during_load(test, true);
}

static void del_during_load_revokes_store(struct kunit *test)
{
	kl_mutate_during_load(test, false);
}

/*
 * A DEL revokes a load in flight, whose value may predate it: a caller that comes after
 * the DEL loads afresh instead of waiting for that value; its store completes the
 * revoked load too, so everyone ends with the value stored after the DEL.
 */
static void load_after_del_starts_afresh(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 2, sizeof(*t), GFP_KERNEL);
	struct kl_ctx old, fresh;
	char buf[16];
	u32 len = sizeof(buf);
	bool joined;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&old, "loaded");
	old.block = true;
	kl_ctx_init(&fresh, "fresh");
	kl_start(test, &t[0], c, &old, "raced");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&old.entered, KL_TIMEOUT));
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_delete(c, "raced", 5));
	kl_start(test, &t[1], c, &fresh, "raced");
	/* the revoked load waits for the release below: the new caller must not */
	joined = wait_for_completion_timeout(&t[1].done, 10 * HZ);
	KUNIT_EXPECT_TRUE_MSG(test, joined, "the caller after the DEL waited for the revoked load");
	complete_all(&old.release);
	if (joined)
		put_task_struct(t[1].task);
	else if (!kl_join(test, &t[1]))
		return;
	KUNIT_EXPECT_EQ(test, 0, t[1].ret);
	KUNIT_EXPECT_TRUE(test, kl_is(&t[1], "fresh"));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&fresh.calls));
	if (!kl_join(test, &t[0]))
		return;
	/* the new load's store completed the revoked one too, as a SET during a load does */
	KUNIT_EXPECT_EQ(test, 0, t[0].ret);
	KUNIT_EXPECT_TRUE(test, kl_is(&t[0], "fresh"));
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "raced", 5, buf, &len, NULL));
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, "fresh", 5));
}

/*
 * The holder of a revoked load is killed: its waiter must not take that load over (a
 * caller after the DEL loads the key already, and two loads would run) but join the
 * newer one and get its value.
 */
static void killed_revoked_holder_sends_waiters_on(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 3, sizeof(*t), GFP_KERNEL);
	unsigned long end = jiffies + KL_TIMEOUT;
	struct kl_ctx old, fresh;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&old, "old");
	old.block = true;
	old.killable = true;
	t[0].killable = true;
	kl_ctx_init(&fresh, "fresh");
	fresh.block = true;
	kl_start(test, &t[0], c, &old, "rk");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&old.entered, KL_TIMEOUT));
	kl_start(test, &t[1], c, &old, "rk");
	kl_wait_waiters(test, c, "rk", 1);
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_delete(c, "rk", 2));
	kl_start(test, &t[2], c, &fresh, "rk");
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&fresh.entered, KL_TIMEOUT));
	send_sig(SIGKILL, t[0].task, 1);
	if (!kl_join(test, &t[0]))
		goto out;
	KUNIT_EXPECT_EQ(test, -EINTR, t[0].ret);
	/* the waiter joins the newer load, or (the bug) runs the old loader again */
	while (!kcache_test_load_waiters(c, "rk", 2) && atomic_read(&old.calls) == 1 &&
	       time_before(jiffies, end))
		msleep(20);
	KUNIT_EXPECT_EQ(test, 1, kcache_test_load_waiters(c, "rk", 2));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&old.calls));
	complete_all(&fresh.release);
	if (!kl_join(test, &t[2]))
		goto out;
	KUNIT_EXPECT_EQ(test, 0, t[2].ret);
	KUNIT_EXPECT_TRUE(test, kl_is(&t[2], "fresh"));
	complete_all(&old.release);
	if (!kl_join(test, &t[1]))
		return;
	KUNIT_EXPECT_EQ(test, 0, t[1].ret);
	KUNIT_EXPECT_TRUE(test, kl_is(&t[1], "fresh"));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&fresh.calls));
	return;
out:
	complete_all(&fresh.release);
	complete_all(&old.release);
}

/*
 * A loader's own -ESTALE (NFS returns it) is its error, not the store's refusal after a
 * DEL revoked the load: with the load revoked, the holder and its waiters get -ESTALE,
 * not an empty value the loader never gave.
 */
static void loader_estale_is_its_own_error(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 3, sizeof(*t), GFP_KERNEL);
	struct kl_ctx ctx;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, "never");
	ctx.block = true;
	ctx.err = -ESTALE;
	kl_start(test, &t[0], c, &ctx, "nfs");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	kl_start(test, &t[1], c, &ctx, "nfs");
	kl_start(test, &t[2], c, &ctx, "nfs");
	kl_wait_waiters(test, c, "nfs", 2);
	KUNIT_EXPECT_EQ(test, -ENOENT, kcache_delete(c, "nfs", 3));
	complete_all(&ctx.release);
	for (i = 0; i < 3; i++) {
		if (!kl_join(test, &t[i]))
			return;
		KUNIT_EXPECT_EQ_MSG(test, -ESTALE, t[i].ret, "caller %d", i);
	}
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&ctx.calls));
}

/**
 * struct kl_self - context of kl_self_loader()
 * @c: the cache
 * @set: a SET of the key, 2 s after the loader starts: it ends the wait of a loader
 *	that asks for its own key and waits for itself, so the case fails rather than hangs
 * @inner: what the loader's own kcache_get_or_load() of its key returned
 */
struct kl_self {
	struct kcache *c;
	struct delayed_work set;
	int inner;
};

static void kl_self_set(struct work_struct *work)
{
	struct kl_self *s = container_of(to_delayed_work(work), struct kl_self, set);

	kcache_set(s->c, "self", 4, "set", 3, 0, 0, NULL);
}

static int kl_self_loader(void *p, const void *key, u32 klen, void **val, u32 *vlen)
{
	struct kl_self *s = p;
	char buf[8];
	u32 len = sizeof(buf);

	schedule_delayed_work(&s->set, 2 * HZ);
	s->inner = kcache_get_or_load(s->c, key, klen, kl_self_loader, s, buf, &len, 0, NULL);
	cancel_delayed_work_sync(&s->set);
	*val = kvmalloc(4, GFP_KERNEL);
	if (!*val)
		return -ENOMEM;
	memcpy(*val, "load", 4);
	*vlen = 4;
	return 0;
}

/* A loader that asks for the key it loads gets -EDEADLK, not a wait for itself. */
static void loader_asking_its_own_key_edeadlk(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_self s = { .c = c, .inner = 1 };
	char buf[8];
	u32 len = sizeof(buf);

	INIT_DELAYED_WORK_ONSTACK(&s.set, kl_self_set);
	KUNIT_EXPECT_EQ(test, 0, kcache_get_or_load(c, "self", 4, kl_self_loader, &s, buf,
						    &len, 0, NULL));
	destroy_delayed_work_on_stack(&s.set);
	KUNIT_EXPECT_EQ(test, -EDEADLK, s.inner);
	KUNIT_EXPECT_EQ(test, 4U, len);
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, "load", 4));
}

static void refresh_ahead_one_refresher_others_stale(struct kunit *test)
{
	struct kcache *c = kl_new(test);
	struct kl_thread *t = kunit_kcalloc(test, 1, sizeof(*t), GFP_KERNEL);
	struct kl_ctx ctx, other;
	char buf[16];
	u32 len = sizeof(buf);

	KUNIT_ASSERT_NOT_NULL(test, t);
	kl_ctx_init(&ctx, "fresh");
	kl_ctx_init(&other, "other");
	ctx.block = true;
	/* 30 s TTL, 60 s margin: stale at once, hard-expired only long after the case */
	KUNIT_ASSERT_EQ(test, 0, kcache_load_config(c, 60ULL * NSEC_PER_SEC, NSEC_PER_SEC));
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "sw", 2, "stale", 5, 30ULL * NSEC_PER_SEC, 0,
					    NULL));
	kl_start(test, t, c, &ctx, "sw");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&ctx.entered, KL_TIMEOUT));
	/* while one caller refreshes, the others get the stale value without waiting */
	KUNIT_EXPECT_EQ(test, 0, kcache_get_or_load(c, "sw", 2, kl_loader, &other, buf, &len,
						    0, NULL));
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, "stale", 5));
	KUNIT_EXPECT_EQ(test, 0, atomic_read(&other.calls));
	complete_all(&ctx.release);
	if (!kl_join(test, t))
		return;
	KUNIT_EXPECT_EQ(test, 0, t->ret);
	KUNIT_EXPECT_TRUE(test, kl_is(t, "fresh"));
	len = sizeof(buf);
	KUNIT_EXPECT_EQ(test, 0, kcache_get(c, "sw", 2, buf, &len, NULL));
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, "fresh", 5));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&ctx.calls));
}

static struct kunit_case kcache_load_cases[] = {
	KUNIT_CASE(one_missing_key_loaded_once_for_all),
	KUNIT_CASE_PARAM(failing_loader_error_to_all_not_cached, kl_shared_error_gen_params),
	KUNIT_CASE(thousand_keys_each_loaded_once),
	KUNIT_CASE(killed_waiter_leaves_others_alone),
	KUNIT_CASE(killed_holder_hands_load_to_waiter),
	KUNIT_CASE_PARAM(loader_own_error_hands_load_to_waiter, kl_own_error_gen_params),
	KUNIT_CASE(interrupted_holder_does_not_take_load_back),
	KUNIT_CASE(huge_refresh_margin_refreshes),
	KUNIT_CASE(destroy_during_load_wakes_waiters),
	KUNIT_CASE(set_during_load_wins),
	KUNIT_CASE(del_during_load_revokes_store),
	KUNIT_CASE(load_after_del_starts_afresh),
	KUNIT_CASE(killed_revoked_holder_sends_waiters_on),
	KUNIT_CASE(loader_estale_is_its_own_error),
	KUNIT_CASE(refresh_ahead_one_refresher_others_stale),
	KUNIT_CASE(loader_asking_its_own_key_edeadlk),
	{}
};

struct kunit_suite kcache_load_suite = {
	.name = "kcache_load",
	.exit = kl_case_exit,
	.test_cases = kcache_load_cases,
};
