// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's per-CPU read rings.
 *
 * A reader writes one word into its CPU's ring and nothing else: no lock, no atomic
 * read-modify-write, no cache line another CPU writes. The ring is lossy (a record that
 * lands on an occupied slot replaces it): the policy only needs a sample. A slot holds an
 * entry pointer (hit) or a key hash with bit 0 set (miss); an entry named by a slot may
 * have left the table, which is why limbo frees entries only after a grace period and a
 * drain (kcache_maint.c).
 *
 * Wake-ups are throttled: a reader queues maintenance only when its ring wraps and no
 * pass ran for a jiffy, so a read-only workload wakes the worker at most once a jiffy per
 * CPU instead of once every few reads.
 *
 * Locks: none. The ring slots are drained with xchg() under c->maint_mutex. Readers run
 * in any context that may hold rcu_read_lock(), except NMI.
 */

#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/sched.h>

#include "kcache_maint.h"
#include "kcache_rbuf.h"

int kcache_rbuf_init(struct kcache *c)
{
	c->rbuf = alloc_percpu_gfp(struct kc_rbuf, GFP_KERNEL_ACCOUNT);
	return c->rbuf ? 0 : -ENOMEM;
}

void kcache_rbuf_uninit(struct kcache *c)
{
	free_percpu(c->rbuf);
}

/* Bytes the rings take, one per possible CPU (memcg branch: counted in the footprint). */
size_t kcache_rbuf_footprint(const struct kcache *c)
{
	return num_possible_cpus() * sizeof(struct kc_rbuf);
}

/* slots drained between reschedule points: 128 CPUs' rings */
#define KC_RBUF_SLOTS_PER_RESCHED	4096

/*
 * Feed every slot to the policy and clear it. Maintenance mutex; may sleep: a ring per
 * possible CPU is thousands of rings on a large machine, each record a policy access.
 * Returns the records.
 */
unsigned int kcache_rbuf_drain(struct kcache *c)
{
	unsigned int n = 0, slots = 0;
	unsigned long rec;
	int cpu, i;

	lockdep_assert_held(&c->maint_mutex);
	for_each_possible_cpu(cpu) {
		struct kc_rbuf *rb = per_cpu_ptr(c->rbuf, cpu);

		for (i = 0; i < KC_RBUF_SIZE; i++) {
			if (!READ_ONCE(rb->slot[i]))
				continue;
			rec = xchg(&rb->slot[i], 0);
			if (!rec)
				continue;
			n++;
			if (rec & 1) {
				kcache_policy_miss(&c->policy, rec >> 1);
			} else {
				struct kcache_entry *e = (struct kcache_entry *)rec;

				if (e->flags & KC_F_IN_POLICY)
					kcache_policy_access(&c->policy, &e->pn);
			}
		}
		slots += KC_RBUF_SIZE;
		if (!(slots % KC_RBUF_SLOTS_PER_RESCHED))
			cond_resched();
	}
	return n;
}
