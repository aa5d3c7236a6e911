/* SPDX-License-Identifier: GPL-2.0 */
/* kcache's per-CPU read rings: a lossy sample of accesses for the policy. */
#ifndef _KCACHE_RBUF_H
#define _KCACHE_RBUF_H

#include <linux/jiffies.h>
#include <linux/percpu.h>

#include "kcache_cache.h"
#include "kcache_entry.h"
#include "kcache_maint.h"

#define KC_RBUF_SIZE	32	/* slots of a per-CPU read ring (power of two) */

struct kc_rbuf {
	unsigned long head;
	unsigned long slot[KC_RBUF_SIZE];
};

int kcache_rbuf_init(struct kcache *c);
void kcache_rbuf_uninit(struct kcache *c);
size_t kcache_rbuf_footprint(const struct kcache *c);
unsigned int kcache_rbuf_drain(struct kcache *c);

/*
 * One word into this CPU's ring, inline on every lookup. this_cpu operations, each safe
 * against preemption on its own, instead of a preempt_disable() pair: a reader moved to
 * another CPU between the two writes one slot of that CPU's ring, which a lossy ring
 * tolerates (a record there may be replaced anyway).
 */
static inline void kcache_rbuf_record(struct kcache *c, unsigned long rec)
{
	unsigned long idx = this_cpu_inc_return(c->rbuf->head) & (KC_RBUF_SIZE - 1);

	this_cpu_write(c->rbuf->slot[idx], rec);
	if (unlikely(idx == KC_RBUF_SIZE - 1) &&
	    time_after(jiffies, READ_ONCE(c->maint_jiffies)))
		kcache_maint_schedule(c);
}

static inline void kcache_rbuf_hit(struct kcache *c, struct kcache_entry *e)
{
	kcache_rbuf_record(c, (unsigned long)e);
}

static inline void kcache_rbuf_miss(struct kcache *c, u32 hash)
{
	kcache_rbuf_record(c, ((unsigned long)hash << 1) | 1);
}

#endif /* _KCACHE_RBUF_H */
