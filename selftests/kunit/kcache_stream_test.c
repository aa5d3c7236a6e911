// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite kcache_stream: the cutoff of change streams (design §7) made reproducible.
 * A writer that took its sequence number but has not published yet holds the read side of
 * c->mut_sem; a subscription must wait for it, and then see its entry exactly once. The
 * cases park such a writer (the test itself, or a real writer parked by the core's test
 * hook) while a subscription registers, and check what the subscription delivers. Also:
 * the in-kernel API (notify, read, wait) and the end of streams on destroy.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/percpu-rwsem.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kcache_internal.h"
#include "kcache_cache.h"
#include "kcache_maint.h"
#include "kcache_record.h"
#include "kcache_registry.h"
#include "kcache_stream.h"
#include "kcache_test.h"

#define KC_BUF_LEN	(64 << 10)
#define KC_BLOCKED_MS	300	/* a subscriber that did not return by then is waiting */

static struct kcache *kc_new(struct kunit *test)
{
	struct kcache_config cfg = { };
	char name[KCACHE_NAME_MAX + 1];
	struct kcache *c;

	snprintf(name, sizeof(name), "ks-%.50s", test->name);
	c = kcache_create(name, &cfg);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(c), "create %s: %ld", name, PTR_ERR(c));
	test->priv = c;
	return c;
}

static void kc_case_exit(struct kunit *test)
{
	struct kcache *c = test->priv;

	if (c) {
		kcache_destroy(c);
		kcache_put_ref(c);
	}
}

static int kc_sets(struct kcache *c, const char *key, const char *val, u64 *version)
{
	return kcache_set(c, key, strlen(key), val, strlen(val), 0, 0, version);
}

/* What a stream delivered, key by key. */
struct kc_seen {
	unsigned int snapshot, sync, store, remove, lagged;
	u64 cutoff;
	u64 key_seq[4];		/* per key of kc_keys[], the last seq delivered */
	unsigned int key_count[4];
};

static const char *const kc_keys[] = { "before", "parked", "after", "other" };

static void kc_account(struct kunit *test, struct kc_seen *s, const void *buf, ssize_t n)
{
	const u8 *p = buf;

	while (n > 0) {
		const struct kcache_stream_rec *r = (const void *)p;
		unsigned int i;

		KUNIT_ASSERT_GE(test, n, (ssize_t)sizeof(*r));
		KUNIT_ASSERT_LE(test, (ssize_t)r->rec_len, n);
		switch (r->type) {
		case KCACHE_REC_SNAPSHOT:
			s->snapshot++;
			break;
		case KCACHE_REC_SYNC:
			s->sync++;
			s->cutoff = r->seq;
			break;
		case KCACHE_REC_STORE:
			s->store++;
			break;
		case KCACHE_REC_REMOVE:
			s->remove++;
			break;
		case KCACHE_REC_LAGGED:
			s->lagged++;
			break;
		}
		for (i = 0; r->key_len && i < ARRAY_SIZE(kc_keys); i++) {
			if (r->key_len != strlen(kc_keys[i]) ||
			    memcmp(p + r->hdr_len, kc_keys[i], r->key_len))
				continue;
			KUNIT_EXPECT_GT(test, r->seq, s->key_seq[i]);
			s->key_seq[i] = r->seq;
			s->key_count[i]++;
		}
		p += r->rec_len;
		n -= r->rec_len;
	}
}

/* Read everything the stream has now. */
static void kc_drain(struct kunit *test, struct kcache_stream *st, struct kc_seen *s)
{
	void *buf = kunit_kzalloc(test, KC_BUF_LEN, GFP_KERNEL);
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	while ((n = kcache_stream_read(st, buf, KC_BUF_LEN)) > 0)
		kc_account(test, s, buf, n);
	KUNIT_EXPECT_EQ(test, n, (ssize_t)-EAGAIN);
}

struct kc_subscriber {
	struct kcache *c;
	struct kcache_stream *st;
	u64 cutoff;
	struct completion done;
};

static int kc_subscriber_fn(void *arg)
{
	struct kc_subscriber *x = arg;
	struct kcache_stream_opts o = { };

	x->st = kcache_subscribe(x->c, &o, &x->cutoff);
	complete(&x->done);
	return 0;
}

static void kc_subscriber_start(struct kunit *test, struct kc_subscriber *x, struct kcache *c)
{
	struct task_struct *t;

	x->c = c;
	init_completion(&x->done);
	t = kthread_run(kc_subscriber_fn, x, "kc-subscriber");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
}

/*
 * The test plays a writer that took its number and has not published: it holds the read
 * side of mut_sem. The subscription must not take its cutoff before that writer is done,
 * so its cutoff is at least the writer's number.
 */
static void subscribe_waits_for_writer_in_flight(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	struct kc_subscriber x;
	struct kc_seen s = { };
	u64 v, taken;

	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "before", "1", &v));
	percpu_down_read(&c->mut_sem);
	/* kcache_seq_next() wants a stripe lock, which this writer cannot sleep under */
	taken = atomic64_inc_return(&c->seq);
	kc_subscriber_start(test, &x, c);
	KUNIT_EXPECT_FALSE_MSG(test, wait_for_completion_timeout(&x.done,
								 msecs_to_jiffies(KC_BLOCKED_MS)),
			       "the cutoff was taken while a writer held a number");
	percpu_up_read(&c->mut_sem);
	wait_for_completion(&x.done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(x.st));
	KUNIT_EXPECT_GE(test, x.cutoff, taken);
	kc_drain(test, x.st, &s);
	KUNIT_EXPECT_EQ(test, s.snapshot, 1U);
	KUNIT_EXPECT_EQ(test, s.sync, 1U);
	KUNIT_EXPECT_EQ(test, s.cutoff, x.cutoff);
	kcache_unsubscribe(x.st);
}

static void kc_notify(void *ctx)
{
	atomic_inc(ctx);
}

/* The in-kernel API: prefix, notify on the empty to non-empty edge, wait, EOF on destroy. */
static void kernel_api_notify_read_and_eof(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	atomic_t calls = ATOMIC_INIT(0);
	struct kcache_stream_opts o = {
		.prefix = "af", .prefix_len = 2, .flags = KCACHE_SUBSCRIBE_LIVE_ONLY,
		.notify = kc_notify, .notify_ctx = &calls,
	};
	void *buf = kunit_kzalloc(test, KC_BUF_LEN, GFP_KERNEL);
	struct kcache_stream *st;
	struct kc_seen s = { };
	u64 cutoff;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	st = kcache_subscribe(c, &o, &cutoff);
	KUNIT_ASSERT_FALSE(test, IS_ERR(st));
	KUNIT_EXPECT_EQ(test, 0, kcache_stream_wait(st));
	kc_drain(test, st, &s);
	KUNIT_EXPECT_EQ(test, s.sync, 1U);
	KUNIT_EXPECT_EQ(test, s.cutoff, cutoff);
	KUNIT_EXPECT_EQ(test, atomic_read(&calls), 0);

	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "other", "x", NULL));
	KUNIT_EXPECT_EQ(test, atomic_read(&calls), 0);
	KUNIT_ASSERT_EQ(test, 0, kc_sets(c, "after", "x", NULL));
	KUNIT_EXPECT_EQ(test, atomic_read(&calls), 1);
	KUNIT_ASSERT_EQ(test, 0, kcache_delete(c, "after", 5));
	/* the ring was not empty: no second notification */
	KUNIT_EXPECT_EQ(test, atomic_read(&calls), 1);
	kc_drain(test, st, &s);
	KUNIT_EXPECT_EQ(test, s.store, 1U);
	KUNIT_EXPECT_EQ(test, s.remove, 1U);
	KUNIT_EXPECT_EQ(test, s.key_count[3], 0U);

	kcache_destroy(c);
	KUNIT_EXPECT_EQ(test, atomic_read(&calls), 2);
	KUNIT_EXPECT_EQ(test, 0, kcache_stream_wait(st));
	KUNIT_EXPECT_EQ(test, (ssize_t)0, kcache_stream_read(st, buf, KC_BUF_LEN));
	KUNIT_EXPECT_EQ(test, PTR_ERR(kcache_subscribe(c, &o, NULL)), -ESHUTDOWN);
	kcache_unsubscribe(st);
}

/* A kthread in kcache_stream_wait(); SIGKILL ends a wait nothing else ends. */
struct kc_waiter {
	struct kcache_stream *st;
	struct task_struct *task;
	struct completion done;
	int ret;
};

static int kc_waiter_fn(void *arg)
{
	struct kc_waiter *w = arg;

	allow_signal(SIGKILL);
	w->ret = kcache_stream_wait(w->st);
	complete(&w->done);
	return 0;
}

static void kc_waiter_start(struct kunit *test, struct kc_waiter *w, struct kcache_stream *st)
{
	w->st = st;
	w->ret = -EINVAL;
	init_completion(&w->done);
	w->task = kthread_create(kc_waiter_fn, w, "kcache-stream-wait");
	KUNIT_ASSERT_FALSE(test, IS_ERR(w->task));
	get_task_struct(w->task);
	wake_up_process(w->task);
}

/* True if the waiter returned within 5 s of @what; else killed, so that the case ends. */
static bool kc_waiter_join(struct kunit *test, struct kc_waiter *w, const char *what)
{
	bool ok = wait_for_completion_timeout(&w->done, 5 * HZ);

	KUNIT_EXPECT_TRUE_MSG(test, ok, "kcache_stream_wait() still asleep 5 s after %s", what);
	if (!ok) {
		send_sig(SIGKILL, w->task, 1);
		wait_for_completion(&w->done);
	}
	put_task_struct(w->task);
	return ok;
}

/*
 * Waits, up to 5 s, until @w sleeps on its stream's wait queue, then KC_BLOCKED_MS more
 * for a wrong return. A fixed sleep alone is not enough under load: a waiter that starts
 * after the record or the end it waits for returns at once and tests no wake-up.
 */
static void kc_waiter_asleep(struct kunit *test, struct kc_waiter *w)
{
	int i;

	for (i = 0; i < 250 && !completion_done(&w->done); i++) {
		if (kcache_test_stream_has_waiter(w->st))
			break;
		msleep(20);
	}
	KUNIT_EXPECT_TRUE_MSG(test, kcache_test_stream_has_waiter(w->st),
			      "kcache_stream_wait() not asleep on the stream");
	msleep(KC_BLOCKED_MS);
	KUNIT_EXPECT_FALSE_MSG(test, completion_done(&w->done), "returned with nothing to read");
}

/*
 * kcache_stream_wait() on an empty stream sleeps until a record comes, and until the
 * stream ends when the cache is destroyed: both wake it (it sleeps killable, not
 * interruptible, so a wake-up of interruptible sleepers only would not).
 */
static void kernel_wait_woken_by_record_and_destroy(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	struct kcache_stream_opts o = { .flags = KCACHE_SUBSCRIBE_LIVE_ONLY };
	void *buf = kunit_kzalloc(test, KC_BUF_LEN, GFP_KERNEL);
	struct kcache_stream *st;
	struct kc_seen s = { };
	struct kc_waiter w;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	st = kcache_subscribe(c, &o, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(st));
	kc_drain(test, st, &s);
	KUNIT_EXPECT_EQ(test, s.sync, 1U);

	kc_waiter_start(test, &w, st);
	kc_waiter_asleep(test, &w);
	KUNIT_EXPECT_EQ(test, 0, kc_sets(c, "after", "x", NULL));
	if (kc_waiter_join(test, &w, "a SET"))
		KUNIT_EXPECT_EQ(test, w.ret, 0);
	kc_drain(test, st, &s);
	KUNIT_EXPECT_EQ(test, s.store, 1U);

	kc_waiter_start(test, &w, st);
	kc_waiter_asleep(test, &w);
	kcache_destroy(c);
	if (kc_waiter_join(test, &w, "destroy"))
		KUNIT_EXPECT_EQ(test, w.ret, 0);
	KUNIT_EXPECT_EQ(test, (ssize_t)0, kcache_stream_read(st, buf, KC_BUF_LEN));
	kcache_unsubscribe(st);
}

/*
 * A subscriber's ring counts against max_total_bytes like the cache's own memory: with
 * the limit below what the caches already reserve, a subscription fails with -ENOMEM;
 * with it back, it succeeds, and 256 subscriptions of 1 MiB opened and closed in turn
 * give their reservations back (leaked, they would pass the default 256 MiB).
 */
static void ring_reserved_against_max_total_bytes(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	struct kcache_stream_opts o = { .ring_size = 1U << 20 };
	unsigned long old = kcache_test_max_total_bytes(1);
	struct kcache_stream *st;
	int i;

	KUNIT_EXPECT_EQ(test, PTR_ERR(kcache_subscribe(c, &o, NULL)), -ENOMEM);
	kcache_test_max_total_bytes(old);
	for (i = 0; i < 256; i++) {
		st = kcache_subscribe(c, &o, NULL);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(st), "subscription %d: %ld", i, PTR_ERR(st));
		kcache_unsubscribe(st);
	}
}

/* Wait for kcache_wq's work items, under the registry mutex (lockdep sees it always). */
static int kc_flush_work(struct kcache *c, void *ctx)
{
	kcache_streams_drain();
	return 1;
}

/*
 * A stream fd's subscription is freed in a kcache_wq work item, which gives back the
 * ring's reservation and may drop the last reference of a destroyed cache. Neither may
 * take the registry mutex: a kcache_for_each() callback may wait for kcache_wq's work
 * under it (lockdep reports the inversion, on the debug kernel, as soon as both orders
 * are seen). The reservations come back all the same.
 */
static void async_free_takes_no_registry_lock(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	struct kcache_stream_opts o = { .ring_size = 1U << 20 };
	u64 before = kcache_test_reserved_bytes();
	struct kcache_stream *st;

	kcache_for_each(kc_flush_work, NULL);
	st = kcache_subscribe(c, &o, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(st));
	KUNIT_EXPECT_LT(test, before, kcache_test_reserved_bytes());
	kcache_unsubscribe_async(st);
	kcache_streams_drain();
	KUNIT_EXPECT_EQ(test, before, kcache_test_reserved_bytes());

	/* the work item puts the last reference of a destroyed cache */
	st = kcache_subscribe(c, &o, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(st));
	test->priv = NULL;
	kcache_destroy(c);
	kcache_put_ref(c);
	kcache_unsubscribe_async(st);
	kcache_streams_drain();
}

/* The causes of the STORE and REMOVE records of a buffer, in order, as "S1 R7 ..." */
static void kc_causes(struct kunit *test, const void *buf, ssize_t n, char *out, size_t len)
{
	const u8 *p = buf;
	size_t at = 0;

	out[0] = 0;
	while (n > 0) {
		const struct kcache_stream_rec *r = (const void *)p;

		KUNIT_ASSERT_GE(test, n, (ssize_t)sizeof(*r));
		if (r->type == KCACHE_REC_STORE || r->type == KCACHE_REC_REMOVE)
			at += scnprintf(out + at, len - at, "%s%c%u", at ? " " : "",
					r->type == KCACHE_REC_STORE ? 'S' : 'R', r->cause);
		p += r->rec_len;
		n -= r->rec_len;
	}
}

/*
 * A store over an expired entry: the key was absent (IF_ABSENT succeeds), so the store is
 * an INSERT, and the expired entry leaves with an EXPIRE record of its own, numbered
 * before the INSERT, and counts as an expiration.
 */
static void store_over_expired_is_expire_and_insert(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	struct kcache_stream_opts o = { .flags = KCACHE_SUBSCRIBE_LIVE_ONLY };
	void *buf = kunit_kzalloc(test, KC_BUF_LEN, GFP_KERNEL);
	struct kcache_stats st0, st1;
	struct kcache_stream *st;
	char causes[64];
	u64 v1, v2;
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* no expiry pass: the expired entry is still in the table at the second store */
	kcache_test_stall_work(c, true);
	st = kcache_subscribe(c, &o, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(st));
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "k", 1, "v1", 2, 20 * NSEC_PER_MSEC, 0, &v1));
	msleep(50);
	kcache_stats(c, &st0);
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "k", 1, "v2", 2, 0, KCACHE_SET_IF_ABSENT, &v2));
	kcache_stats(c, &st1);
	n = kcache_stream_read(st, buf, KC_BUF_LEN);
	KUNIT_ASSERT_GT(test, n, (ssize_t)0);
	kc_causes(test, buf, n, causes, sizeof(causes));
	KUNIT_EXPECT_STREQ(test, causes, "S1 R7 S1");
	KUNIT_EXPECT_EQ(test, st1.expirations, st0.expirations + 1);
	KUNIT_EXPECT_EQ(test, st1.entries, 1ULL);
	KUNIT_EXPECT_GT(test, v2, v1 + 1);
	kcache_maintain(c);
	KUNIT_EXPECT_EQ(test, kcache_test_policy_entries(c), 1ULL);
	kcache_test_stall_work(c, false);
	kcache_unsubscribe(st);
}

/*
 * An entry past its deadline that the expiry work has not reached yet is absent to every
 * reader. When the shrinker takes it from the cold end, it leaves as expired: an EXPIRE
 * record and an expiration, not a SHRINK record and an eviction, as DEL and a store over
 * it do.
 */
static void shrink_of_expired_is_expire(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	struct kcache_stream_opts o = { .flags = KCACHE_SUBSCRIBE_LIVE_ONLY };
	void *buf = kunit_kzalloc(test, KC_BUF_LEN, GFP_KERNEL);
	const u64 ttl_ms = 500;
	struct kcache_stats st0, st1;
	struct kcache_stream *st;
	char causes[64];
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* no expiry pass: the expired entry waits in the policy for the shrinker */
	kcache_test_stall_work(c, true);
	st = kcache_subscribe(c, &o, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(st));
	KUNIT_ASSERT_EQ(test, 0, kcache_set(c, "k", 1, "v", 1, ttl_ms * NSEC_PER_MSEC, 0,
					    NULL));
	/* its record applied: the policy links it, the cold end's only entry */
	kcache_maintain(c);
	msleep(ttl_ms + 100);
	kcache_stats(c, &st0);
	n = kcache_stream_read(st, buf, KC_BUF_LEN);
	KUNIT_ASSERT_GT(test, n, (ssize_t)0);
	kc_causes(test, buf, n, causes, sizeof(causes));
	if (strcmp(causes, "S1") || st0.expirations ||
	    kcache_test_policy_entries(c) != 1) {
		kcache_test_stall_work(c, false);
		kcache_unsubscribe(st);
		/* a host that slow expired it in kcache_maintain()'s own pass */
		kunit_skip(test, "the entry left before the shrinker ran: %s", causes);
	}
	KUNIT_EXPECT_EQ(test, 1UL, kcache_maint_shrink(c, 1));
	kcache_stats(c, &st1);
	n = kcache_stream_read(st, buf, KC_BUF_LEN);
	KUNIT_ASSERT_GT(test, n, (ssize_t)0);
	kc_causes(test, buf, n, causes, sizeof(causes));
	KUNIT_EXPECT_STREQ(test, causes, "R7");
	KUNIT_EXPECT_EQ(test, st1.expirations, st0.expirations + 1);
	KUNIT_EXPECT_EQ(test, st1.evictions_shrink, st0.evictions_shrink);
	KUNIT_EXPECT_EQ(test, st1.entries, 0ULL);
	kcache_test_stall_work(c, false);
	kcache_unsubscribe(st);
}

/* Options the in-kernel API refuses, before it allocates anything. */
static void kernel_api_bad_options(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	struct kcache_stream_opts o = { .flags = BIT(7) };

	KUNIT_EXPECT_EQ(test, PTR_ERR(kcache_subscribe(c, &o, NULL)), -EINVAL);
	o.flags = 0;
	o.prefix_len = 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(kcache_subscribe(c, &o, NULL)), -EINVAL);
	o.prefix = "x";
	o.prefix_len = KCACHE_KEY_MAX + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(kcache_subscribe(c, &o, NULL)), -E2BIG);
	o.prefix_len = 0;
	o.ring_size = KCACHE_STREAM_RING_MIN - 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(kcache_subscribe(c, &o, NULL)), -EINVAL);
}

/*
 * A writer parked inside kcache_streams_emit(), by the stream's test hook: under RCU and
 * its stripe lock, with the subscriber found on the list, before the subscriber's lock.
 */
struct kc_park {
	atomic_t armed, parked, release, gave_up;
};

/*
 * How long a parked writer waits for the case at most: well beyond the case's own waits
 * (about 5 s: two loops of 100 msleep(20), each a tick longer than asked, and 0.3 s; more
 * only if its threads cannot run), so that a loaded emulator does not let the writer go
 * before the reader is timed (it did with 5 s), and below the soft-lockup (20 s) and RCU
 * stall (21 s) detectors, since it spins under RCU. A deadline, not a count of mdelay()s,
 * which a vCPU the host takes away would stretch.
 */
#define KC_PARK_MAX_MS	15000

static void kc_park_hook(void *ctx)
{
	struct kc_park *p = ctx;
	ktime_t end;

	if (!atomic_xchg(&p->armed, 0))
		return;
	atomic_set(&p->parked, 1);
	end = ktime_add_ms(ktime_get(), KC_PARK_MAX_MS);
	/* atomic context: spin, bounded, for the case to let go */
	while (!atomic_read(&p->release) && ktime_before(ktime_get(), end))
		mdelay(1);
	if (!atomic_read(&p->release))
		atomic_set(&p->gave_up, 1);
}

struct kc_parked_set {
	struct kcache *c;
	struct completion done;
	int ret;
};

static int kc_parked_set_fn(void *arg)
{
	struct kc_parked_set *w = arg;

	w->ret = kc_sets(w->c, "park", "x", NULL);
	complete(&w->done);
	return 0;
}

struct kc_lag_reader {
	struct kcache_stream *st;
	struct completion done;
	unsigned long stores, lagged;
	u64 dropped;
	ssize_t last;
	void *buf;
};

/* Read the stream to its end, counting STORE records and what LAGGED says it dropped. */
static int kc_lag_reader_fn(void *arg)
{
	struct kc_lag_reader *x = arg;
	ssize_t n;

	while ((n = kcache_stream_read(x->st, x->buf, KC_BUF_LEN)) > 0) {
		const u8 *p = x->buf;

		while (n > 0) {
			const struct kcache_stream_rec *r = (const void *)p;

			if (r->type == KCACHE_REC_STORE)
				x->stores++;
			if (r->type == KCACHE_REC_LAGGED) {
				x->lagged++;
				x->dropped += r->aux;
			}
			p += r->rec_len;
			n -= r->rec_len;
		}
	}
	x->last = n;
	complete(&x->done);
	return 0;
}

/*
 * LAGGED counts every record the subscriber missed, also the record of a writer that had
 * found the subscriber on the list, under RCU, before the read that ended the stream took
 * it off: that read must wait for the writer rather than count before it, or the
 * writer's record meets the end of the stream and is counted nowhere.
 */
static void lagged_counts_writer_in_flight(struct kunit *test)
{
	struct kcache *c = kc_new(test);
	struct kc_park park = { };
	struct kcache_stream_opts o = {
		.flags = KCACHE_SUBSCRIBE_LIVE_ONLY, .ring_size = KCACHE_STREAM_RING_MIN,
	};
	struct kc_parked_set w = { .c = c };
	struct kc_lag_reader x = { };
	struct kcache_stream *st;
	char key[8], val[200];
	unsigned long i, left, n = 200;
	struct task_struct *t;
	bool untimed;

	if (num_online_cpus() < 2)
		kunit_skip(test, "a writer spins in atomic context: needs two CPUs");
	x.buf = kunit_kzalloc(test, KC_BUF_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, x.buf);
	st = kcache_subscribe(c, &o, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(st));
	x.st = st;
	kcache_test_stream_hook(st, kc_park_hook, &park);
	memset(val, 'v', sizeof(val));
	/* 256-byte records: a 16 KiB ring holds 64 of them, the rest are dropped */
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "x%02lu", i % 16);
		KUNIT_ASSERT_EQ(test, 0, kcache_set(c, key, 3, val, sizeof(val), 0, 0, NULL));
	}

	atomic_set(&park.armed, 1);
	init_completion(&w.done);
	t = kthread_run(kc_parked_set_fn, &w, "kc-parked-set");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (i = 0; i < 100 && !atomic_read(&park.parked); i++)
		msleep(20);
	KUNIT_EXPECT_TRUE(test, atomic_read(&park.parked));

	/*
	 * The reader ends the stream while the writer is parked: it must wait for the
	 * writer (which it cannot do before the hook lets go), not count without it. Time
	 * it from when it took the subscriber off the list, not from its start: under TCG
	 * the thread may take longer than KC_BLOCKED_MS to get there, and a reader without
	 * the grace period would then count after the writer, and pass.
	 */
	init_completion(&x.done);
	t = kthread_run(kc_lag_reader_fn, &x, "kc-lag-reader");
	if (IS_ERR(t)) {
		atomic_set(&park.release, 1);
		wait_for_completion(&w.done);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	for (i = 0; i < 100 && READ_ONCE(c->streams.nr); i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->streams.nr), 0);
	left = wait_for_completion_timeout(&x.done, msecs_to_jiffies(KC_BLOCKED_MS));
	/*
	 * Had the writer stopped waiting first, the reader's wait could have ended with it:
	 * a reader that returned then proves nothing, and the case is skipped below unless
	 * it failed. One still waiting passed, whenever the writer let go.
	 */
	untimed = atomic_read(&park.gave_up) && left;
	if (!untimed)
		KUNIT_EXPECT_EQ(test, left, 0UL);
	atomic_set(&park.release, 1);
	wait_for_completion(&w.done);
	/* a wait that did not time out took the completion */
	if (!left)
		wait_for_completion(&x.done);
	kcache_test_stream_hook(st, NULL, NULL);

	KUNIT_EXPECT_EQ(test, w.ret, 0);
	KUNIT_EXPECT_EQ(test, x.last, (ssize_t)0);
	KUNIT_EXPECT_EQ(test, x.lagged, 1UL);
	KUNIT_EXPECT_LT(test, x.stores, n);
	/* the parked SET's record is one of those dropped */
	KUNIT_EXPECT_EQ(test, x.stores + x.dropped, (u64)n + 1);
	kcache_unsubscribe(st);
	/* the counts above hold either way; the wait was not timed (a host that starved us) */
	if (untimed && test->status == KUNIT_SUCCESS)
		kunit_skip(test, "the parked writer let go after %d ms, before the reader's wait",
			   KC_PARK_MAX_MS);
}

static struct kunit_case kcache_stream_cases[] = {
	KUNIT_CASE(subscribe_waits_for_writer_in_flight),
	KUNIT_CASE(kernel_api_notify_read_and_eof),
	KUNIT_CASE(kernel_wait_woken_by_record_and_destroy),
	KUNIT_CASE(ring_reserved_against_max_total_bytes),
	KUNIT_CASE(kernel_api_bad_options),
	KUNIT_CASE(async_free_takes_no_registry_lock),
	KUNIT_CASE(store_over_expired_is_expire_and_insert),
	KUNIT_CASE(shrink_of_expired_is_expire),
	KUNIT_CASE(lagged_counts_writer_in_flight),
	{}
};

struct kunit_suite kcache_stream_suite = {
	.name = "kcache_stream",
	.exit = kc_case_exit,
	.test_cases = kcache_stream_cases,
};
