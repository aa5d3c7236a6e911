// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's per-CPU write rings.
 *
 * A writer reserves a slot in its CPU's ring before it takes its key's stripe lock
 * (kcache_wring_reserve(), may sleep) and fills it under that lock when it emits its
 * record (kcache_wring_commit()), so a full ring is found while the writer may still
 * sleep. A writer that finds its ring full helps: it takes the maintenance mutex (sleeping
 * if a pass runs) and drains. It never spins, and it makes progress with the workqueue
 * stalled. Maintenance takes each CPU's records in turn (kcache_wring_take()); records of
 * different CPUs reach the policy in any order, which kcache_maint.c handles by entry
 * state.
 *
 * Locks: w->lock (spinlock) protects one ring's indices and slots. It is taken by writers
 * of any CPU (a writer may migrate between reserving and committing, and on PREEMPT_RT
 * two tasks share a CPU) and by maintenance; contention is rare because each ring is
 * mostly its CPU's. Innermost: stripe->lock -> w->lock. Process context only.
 */

#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kcache_maint.h"
#include "kcache_wring.h"

/**
 * struct kc_wring - one CPU's ring
 * @lock: see the top of this file
 * @head: index of the oldest filled record
 * @filled: records ready for maintenance, from @head on
 * @used: @filled plus reserved slots
 * @rec: the records, ring size of them
 */
struct kc_wring {
	spinlock_t lock;	/* see the top of this file */
	unsigned int head;
	unsigned int filled;
	unsigned int used;
	struct kc_wrec rec[];
};

/**
 * kcache_wring_max() - the most records a write ring can hold
 *
 * One CPU's ring is one per-CPU allocation, which the allocator refuses (with a warning)
 * past PCPU_MIN_UNIT_SIZE; the header's size depends on the spinlock's debug options.
 *
 * Return: the largest size kcache_wring_init() accepts.
 */
unsigned int kcache_wring_max(void)
{
	return (PCPU_MIN_UNIT_SIZE - sizeof(struct kc_wring)) / sizeof(struct kc_wrec);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_wring_max);

int kcache_wring_init(struct kcache *c, unsigned int size)
{
	int cpu;

	if (WARN_ON_ONCE(size < 2 || size > kcache_wring_max()))
		return -EINVAL;

	c->wring_size = size;
	c->wring = __alloc_percpu_gfp(struct_size_t(struct kc_wring, rec, size),
				      __alignof__(struct kc_wring), GFP_KERNEL_ACCOUNT);
	c->scratch = kvcalloc(size, sizeof(*c->scratch), GFP_KERNEL_ACCOUNT);
	if (!c->wring || !c->scratch) {
		kcache_wring_uninit(c);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(c->wring, cpu)->lock);
	return 0;
}

/* Bytes the rings and the scratch array take (memcg branch: counted in the footprint). */
size_t kcache_wring_footprint(const struct kcache *c)
{
	size_t scratch = c->wring_size * sizeof(*c->scratch);

	return num_possible_cpus() * struct_size_t(struct kc_wring, rec, c->wring_size) +
	       (is_vmalloc_addr(c->scratch) ? PAGE_ALIGN(scratch) : kmalloc_size_roundup(scratch));
}

void kcache_wring_uninit(struct kcache *c)
{
	free_percpu(c->wring);
	kvfree(c->scratch);
	c->wring = NULL;
	c->scratch = NULL;
}

/**
 * kcache_wring_reserve() - reserve a slot for one record
 * @c: the cache
 *
 * Before the stripe lock: may sleep (a full ring makes the caller drain it).
 *
 * Return: the ring holding the reservation; pass it to kcache_wring_commit() or
 * kcache_wring_unreserve().
 */
struct kc_wring *kcache_wring_reserve(struct kcache *c)
{
	struct kc_wring *w;
	bool full;

	might_sleep();
	for (;;) {
		w = raw_cpu_ptr(c->wring);
		spin_lock(&w->lock);
		full = w->used >= c->wring_size;
		if (!full)
			w->used++;
		spin_unlock(&w->lock);
		if (!full)
			return w;
		/*
		 * Help: drain under the maintenance mutex. If every slot is only reserved
		 * (their writers are between reserving and committing), sleep a tick
		 * rather than retry at once.
		 */
		if (!kcache_maint_help(c))
			schedule_timeout_uninterruptible(1);
	}
}

void kcache_wring_unreserve(struct kc_wring *w)
{
	spin_lock(&w->lock);
	w->used--;
	spin_unlock(&w->lock);
}

/* Fill a reserved slot; under the record's stripe lock, so one key's records keep order. */
void kcache_wring_commit(struct kcache *c, struct kc_wring *w, struct kcache_entry *e,
			 struct kcache_entry *old)
{
	unsigned int n, size = c->wring_size;
	struct kc_wrec *r;

	spin_lock(&w->lock);
	r = &w->rec[(w->head + w->filled) % size];
	r->e = e;
	r->old = old;
	n = ++w->filled;
	spin_unlock(&w->lock);
	if (n >= size / 2)
		kcache_maint_schedule(c);
	else if (n == 1)
		kcache_maint_soon(c);
}

/* Move @cpu's filled records to @out (room for the ring size). Maintenance mutex. */
unsigned int kcache_wring_take(struct kcache *c, int cpu, struct kc_wrec *out)
{
	struct kc_wring *w = per_cpu_ptr(c->wring, cpu);
	unsigned int i, n, size = c->wring_size;

	lockdep_assert_held(&c->maint_mutex);
	spin_lock(&w->lock);
	n = w->filled;
	for (i = 0; i < n; i++)
		out[i] = w->rec[(w->head + i) % size];
	w->head = (w->head + n) % size;
	w->filled = 0;
	w->used -= n;
	spin_unlock(&w->lock);
	return n;
}
