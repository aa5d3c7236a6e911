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
 * No lock: writers of any CPU may use a ring (a writer may migrate between reserving and
 * committing, and on PREEMPT_RT two tasks share a CPU), so it is a bounded
 * multi-producer, single-consumer ring. ->used counts reserved and filled slots and is
 * what bounds the ring: a writer claims a position (->tail) only with a reservation, and
 * maintenance gives slots back only after it has copied them, so a claimed slot is always
 * free. A slot is filled when its ->pos says so (release, after the record); maintenance
 * (the one consumer, under c->maint_mutex) takes filled slots in position order and stops
 * at the first one still being filled, which its writer's next look at ->head finds.
 * One key's records keep their order: both are committed under its stripe lock.
 */

#include <linux/atomic.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kcache_maint.h"
#include "kcache_wring.h"

/**
 * struct kc_wslot - one slot of a write ring
 * @rec: the record
 * @pos: the position whose record @rec is, once filled (release)
 */
struct kc_wslot {
	struct kc_wrec rec;
	u32 pos;
};

/**
 * struct kc_wring - one CPU's ring
 * @used: reserved plus filled slots, at most the ring size
 * @tail: the next position a writer claims
 * @head: the next position maintenance takes; written under the maintenance mutex
 * @slot: the slots, ring size (a power of two) of them; position p is slot p & (size - 1)
 *
 * Positions count u32 records and wrap, which a power-of-two size makes harmless.
 */
struct kc_wring {
	atomic_t used;
	atomic_t tail;
	u32 head;
	struct kc_wslot slot[];
};

/**
 * kcache_wring_max() - the most records a write ring can hold
 *
 * One CPU's ring is one per-CPU allocation, which the allocator refuses (with a warning)
 * past PCPU_MIN_UNIT_SIZE, and its size is a power of two.
 *
 * Return: the largest size kcache_wring_init() accepts.
 */
unsigned int kcache_wring_max(void)
{
	return rounddown_pow_of_two((PCPU_MIN_UNIT_SIZE - sizeof(struct kc_wring)) /
				    sizeof(struct kc_wslot));
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_wring_max);

/*
 * Empty @w with its next position at @start. Every slot is "not filled": slot i next
 * holds position start + ((i - start) & (size - 1)), so its ->pos is set one past that
 * (any value but the position itself would do).
 */
static void kc_wring_reset(struct kc_wring *w, unsigned int size, u32 start)
{
	unsigned int i;

	atomic_set(&w->tail, start);
	w->head = start;
	for (i = 0; i < size; i++)
		w->slot[i].pos = start + ((i - start) & (size - 1)) + 1;
}

/* @size is rounded down to a power of two. */
int kcache_wring_init(struct kcache *c, unsigned int size)
{
	int cpu;

	if (WARN_ON_ONCE(size < 2 || size > kcache_wring_max()))
		return -EINVAL;

	size = rounddown_pow_of_two(size);
	c->wring_size = size;
	c->wring = __alloc_percpu_gfp(struct_size_t(struct kc_wring, slot, size),
				      __alignof__(struct kc_wring), GFP_KERNEL_ACCOUNT);
	c->scratch = kvcalloc(size, sizeof(*c->scratch), GFP_KERNEL_ACCOUNT);
	if (!c->wring || !c->scratch) {
		kcache_wring_uninit(c);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		kc_wring_reset(per_cpu_ptr(c->wring, cpu), size, 0);
	return 0;
}

/* Bytes the rings and the scratch array take (memcg branch: counted in the footprint). */
size_t kcache_wring_footprint(const struct kcache *c)
{
	size_t scratch = c->wring_size * sizeof(*c->scratch);

	return num_possible_cpus() * struct_size_t(struct kc_wring, slot, c->wring_size) +
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

	might_sleep();
	for (;;) {
		w = raw_cpu_ptr(c->wring);
		/* fully ordered: the slot is written only after maintenance gave it back */
		if (atomic_add_unless(&w->used, 1, c->wring_size))
			return w;
		/*
		 * Help: drain under the maintenance mutex. If that took nothing (every slot
		 * is only reserved: their writers are between reserving and committing),
		 * sleep a tick rather than retry at once.
		 */
		if (!kcache_maint_help(c))
			schedule_timeout_uninterruptible(1);
	}
}

void kcache_wring_unreserve(struct kc_wring *w)
{
	atomic_dec(&w->used);
}

/* Fill a reserved slot; under the record's stripe lock, so one key's records keep order. */
void kcache_wring_commit(struct kcache *c, struct kc_wring *w, struct kcache_entry *e,
			 struct kcache_entry *old)
{
	unsigned int size = c->wring_size;
	struct kc_wslot *s;
	u32 pos, n;

	/*
	 * Maintenance stops at a claimed slot until it is filled: no preemption in between
	 * (on PREEMPT_RT the stripe lock does not disable it), or every later record of the
	 * ring would wait for this task to run again.
	 */
	preempt_disable();
	pos = (u32)atomic_fetch_inc(&w->tail);
	s = &w->slot[pos & (size - 1)];
	s->rec.e = e;
	s->rec.old = old;
	/* the record before its position: pairs with kcache_wring_take()'s acquire */
	smp_store_release(&s->pos, pos);
	preempt_enable();
	/*
	 * Filled before ->head is read; pairs with the barrier in kcache_wring_take(): either
	 * maintenance takes this record or this writer sees it stopped here and wakes it.
	 */
	smp_mb();
	n = pos + 1 - READ_ONCE(w->head);
	if ((s32)n <= 0)	/* already taken, with later ones */
		return;
	if (n >= size / 2)
		kcache_maint_schedule(c);
	else if (n == 1)
		kcache_maint_soon(c);
}

/* Move @cpu's filled records to @out (room for the ring size). Maintenance mutex. */
unsigned int kcache_wring_take(struct kcache *c, int cpu, struct kc_wrec *out)
{
	struct kc_wring *w = per_cpu_ptr(c->wring, cpu);
	unsigned int n = 0, size = c->wring_size;
	u32 head = w->head;
	struct kc_wslot *s;

	lockdep_assert_held(&c->maint_mutex);
	for (;;) {
		/* at most a ring's worth: slots are given back only below */
		for (; n < size; n++) {
			s = &w->slot[(head + n) & (size - 1)];
			/* pairs with the release in kcache_wring_commit() */
			if (smp_load_acquire(&s->pos) != head + n)
				break;
			out[n] = s->rec;
		}
		WRITE_ONCE(w->head, head + n);
		if (n == size)
			break;
		/* see kcache_wring_commit(): a writer that filled the slot after we looked */
		smp_mb();
		if (smp_load_acquire(&s->pos) != head + n)	/* as above */
			break;
	}
	if (n) {
		/* the records are copied before their slots can be reserved again */
		smp_mb__before_atomic();
		atomic_sub(n, &w->used);
	}
	return n;
}

#ifdef KCACHE_TESTS
/*
 * Move every ring's positions to @start, so that a test crosses the u32 wrap; under the
 * maintenance mutex, with no write in flight. Returns -EBUSY, moving none, if a ring holds
 * a record.
 */
int kcache_test_wring_start(struct kcache *c, u32 start)
{
	struct kc_wring *w;
	int cpu, ret = 0;

	mutex_lock(&c->maint_mutex);
	for_each_possible_cpu(cpu)
		if (atomic_read(&per_cpu_ptr(c->wring, cpu)->used))
			ret = -EBUSY;
	if (!ret)
		for_each_possible_cpu(cpu) {
			w = per_cpu_ptr(c->wring, cpu);
			kc_wring_reset(w, c->wring_size, start);
		}
	mutex_unlock(&c->maint_mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_wring_start);

/* The next position maintenance takes from @cpu's ring. */
u32 kcache_test_wring_head(struct kcache *c, int cpu)
{
	return READ_ONCE(per_cpu_ptr(c->wring, cpu)->head);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_wring_head);
#endif
