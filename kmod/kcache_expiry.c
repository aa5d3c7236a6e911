// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's expiry.
 *
 * An expired entry is never returned (readers check the deadline); reclaiming it does not
 * wait for traffic: the entries the policy holds that have a deadline sit in a binary
 * min-heap on their deadlines (its index kept with the deadline, after the value), and
 * c->expire_work is armed for the top, so reclaiming k expired entries costs O(k log n).
 *
 * A new entry enters the heap when maintenance applies its record, so a writer must make
 * sure a pass runs before its deadline: kcache_expiry_note() schedules one unless a pass is
 * already armed for an earlier deadline. A pass that runs while the writer looks may have
 * drained the rings before the writer's record landed, so the writer also schedules while
 * c->maint_running is set; the full barriers on both sides (store-buffering pattern) make
 * sure that either the writer sees the pass running or the pass sees the record.
 *
 * Locks: the heap, c->next_deadline's writes and the entries' heap_idx are under
 * c->maint_mutex; writers only read c->next_deadline and c->maint_running.
 */

#include <linux/jiffies.h>
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kcache_expiry.h"
#include "kcache_maint.h"

#define KC_HEAP_MIN		64	/* first allocation of the deadline heap */
#define KC_EXPIRE_MIN_NS	(10 * NSEC_PER_MSEC)	/* the work is re-armed no sooner */

static inline bool kc_heap_less(struct kcache *c, u32 a, u32 b)
{
	return kcache_entry_expires(c->heap[a]) < kcache_entry_expires(c->heap[b]);
}

static void kc_heap_set(struct kcache *c, u32 i, struct kcache_entry *e)
{
	c->heap[i] = e;
	kcache_entry_deadline(e)->heap_idx = i + 1;
}

static void kc_heap_swap(struct kcache *c, u32 a, u32 b)
{
	struct kcache_entry *t = c->heap[a];

	kc_heap_set(c, a, c->heap[b]);
	kc_heap_set(c, b, t);
}

static void kc_heap_fix(struct kcache *c, u32 i)
{
	u32 l, m;

	while (i && kc_heap_less(c, i, (i - 1) / 2)) {
		kc_heap_swap(c, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < c->heap_nr && kc_heap_less(c, l, m))
			m = l;
		if (l + 1 < c->heap_nr && kc_heap_less(c, l + 1, m))
			m = l + 1;
		if (m == i)
			break;
		kc_heap_swap(c, i, m);
		i = m;
	}
}

/*
 * The heap's array, charged to the cache's memcg as its entries are: whoever runs the pass
 * (the worker, or a writer of another group helping it), and failing rather than waking
 * the OOM killer, as an entry's allocation does.
 */
static struct kcache_entry **kc_heap_alloc(struct kcache *c, u32 cap)
{
	struct kcache_entry **h;
#ifdef CONFIG_MEMCG
	struct mem_cgroup *old_memcg = set_active_memcg(c->memcg);
#endif

	h = kvmalloc_array(cap, sizeof(*h),
			   GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
#ifdef CONFIG_MEMCG
	set_active_memcg(old_memcg);
#endif
	return h;
}

/*
 * If the heap cannot grow, the entry stays out of it: it is still never returned once
 * expired, but then only eviction, delete or replace reclaims it.
 */
void kcache_expiry_add(struct kcache *c, struct kcache_entry *e)
{
	u64 expires = kcache_entry_expires(e);
	struct kcache_entry **h;
	u32 cap;

	lockdep_assert_held(&c->maint_mutex);
	if (!expires || expires == U64_MAX || kcache_entry_deadline(e)->heap_idx)
		return;
	if (c->heap_nr == c->heap_cap) {
		cap = max_t(u32, KC_HEAP_MIN, c->heap_cap * 2);
		h = kc_heap_alloc(c, cap);
		if (!h)
			return;
		if (c->heap_nr)
			memcpy(h, c->heap, c->heap_nr * sizeof(*h));
		kvfree(c->heap);
		c->heap = h;
		c->heap_cap = cap;
	}
	kc_heap_set(c, c->heap_nr++, e);
	kc_heap_fix(c, c->heap_nr - 1);
}

/*
 * Below a quarter full the array halves until it is at least half full: it holds 1 to 4
 * pointers per entry in it, which the entries' charge counts (KC_HEAP_SHARE), and a cache
 * whose TTL entries went does not keep an array sized for them. If the smaller array
 * cannot be had, the larger stays. At the end of a pass, not where entries leave: the
 * shrinker removes them in reclaim, where an allocation would only dip into the reserves.
 */
static void kc_heap_shrink(struct kcache *c)
{
	u32 cap = c->heap_cap;
	struct kcache_entry **h;

	if (cap <= KC_HEAP_MIN || c->heap_nr >= cap / 4)
		return;
	while (cap > KC_HEAP_MIN && c->heap_nr <= cap / 4)
		cap /= 2;
	h = kc_heap_alloc(c, cap);
	if (!h)
		return;
	memcpy(h, c->heap, c->heap_nr * sizeof(*h));
	kvfree(c->heap);
	c->heap = h;
	c->heap_cap = cap;
}

void kcache_expiry_del(struct kcache *c, struct kcache_entry *e)
{
	struct kc_deadline *d;
	u32 i;

	lockdep_assert_held(&c->maint_mutex);
	if (!e->deadline)
		return;
	d = kcache_entry_deadline(e);
	i = d->heap_idx;
	if (!i--)
		return;
	d->heap_idx = 0;
	if (i != --c->heap_nr) {
		kc_heap_set(c, i, c->heap[c->heap_nr]);
		kc_heap_fix(c, i);
	}
}

/* The top of the heap if it is due at @now (it stays in the heap), else NULL. */
struct kcache_entry *kcache_expiry_due(struct kcache *c, u64 now)
{
	lockdep_assert_held(&c->maint_mutex);
	if (c->heap_nr && kcache_entry_expires(c->heap[0]) <= now)
		return c->heap[0];
	return NULL;
}

u64 kcache_expiry_next(struct kcache *c)
{
	return c->heap_nr ? kcache_entry_expires(c->heap[0]) : 0;
}

void kcache_expiry_uninit(struct kcache *c)
{
	kvfree(c->heap);
	c->heap = NULL;
	c->heap_nr = 0;
	c->heap_cap = 0;
}

/*
 * jiffies until @deadline (at least @min_ns away), capped at an hour: re-armed then. The
 * cap comes first: where HZ does not divide 10^9, nsecs_to_jiffies64() multiplies, and a
 * deadline decades away would wrap to a short delay.
 */
static unsigned long kc_delay(u64 deadline, u64 now, u64 min_ns)
{
	u64 d = deadline > now ? deadline - now : 0;

	return nsecs_to_jiffies64(clamp_t(u64, d, min_ns, 3600ULL * NSEC_PER_SEC)) + 1;
}

/*
 * A writer published an entry with deadline @expires; its record is in a write ring.
 * Called after the record is committed.
 */
void kcache_expiry_note(struct kcache *c, u64 expires)
{
	bool running;
	u64 armed;

	if (!expires || expires == U64_MAX)
		return;
	smp_mb(); /* record committed before reading the pass state; pairs with kc_pass() */
	/* a pass seen ended has its next_deadline seen too: read it after the acquire */
	running = smp_load_acquire(&c->maint_running);
	armed = READ_ONCE(c->next_deadline);
	if (running || !armed || expires < armed) /* see top */
		kcache_maint_schedule(c);
}

/*
 * End of a pass: arm the work for the heap's top. Maintenance mutex. The delay counts
 * from the clock read here, after the pass (and the heap's reallocation) ran: from a time
 * read before, the work would run late by as long as they took.
 */
void kcache_expiry_arm(struct kcache *c)
{
	u64 next = kcache_expiry_next(c);

	lockdep_assert_held(&c->maint_mutex);
	kc_heap_shrink(c);
	/* re-arming the timer for the same deadline is work a busy pass should not repeat */
	if (next == c->next_deadline && delayed_work_pending(&c->expire_work))
		return;
	WRITE_ONCE(c->next_deadline, next);
	if (next && !READ_ONCE(c->dying))
		mod_delayed_work(kcache_wq, &c->expire_work,
				 kc_delay(next, ktime_get_ns(), KC_EXPIRE_MIN_NS));
}
