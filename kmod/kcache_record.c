// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_rec_emit(): the one function every mutation passes through. It counts the
 * mutation by cause, and queues it for the policy on the writer's reserved write-ring slot
 * (mutations that maintenance itself performs, evictions and expiry, are applied to the
 * policy by maintenance directly and pass no slot).
 *
 * Context: under the mutated key's stripe lock and c->mut_sem (read), after the table
 * changed. No locks of its own (the write rings take none).
 */

#include <linux/percpu.h>

#include "kcache_record.h"
#include "kcache_trace.h"
#include "kcache_stream.h"
#include "kcache_wring.h"

void kcache_rec_emit(struct kcache *c, const struct kcache_rec *r, struct kc_wring *w)
{
	struct kc_pcpu_stats __percpu *st = c->stats;
	/* an INSERT's @old, an expired entry, left with its own EXPIRE record */
	struct kcache_entry *gone = kcache_rec_removes(r) ? r->e :
				    r->cause == KCACHE_CAUSE_REPLACE ? r->old : NULL;

	switch (r->cause) {
	case KCACHE_CAUSE_INSERT:
	case KCACHE_CAUSE_REPLACE:
		this_cpu_inc(st->sets);
		this_cpu_inc(st->entries);
		this_cpu_add(st->bytes, kcache_entry_charged(r->e));
		break;
	case KCACHE_CAUSE_DELETE:
		this_cpu_inc(st->deletes);
		trace_kcache_delete(c, r->e->data, r->e->klen, r->seq);
		break;
	case KCACHE_CAUSE_INVALIDATE:
		this_cpu_inc(st->deletes);
		trace_kcache_evict(c, r->e->data, r->e->klen, r->seq, KCACHE_EVICT_INVALIDATE);
		break;
	case KCACHE_CAUSE_EVICT:
		this_cpu_inc(st->ev_size);
		trace_kcache_evict(c, r->e->data, r->e->klen, r->seq, KCACHE_EVICT_SIZE);
		break;
	case KCACHE_CAUSE_SHRINK:
		this_cpu_inc(st->ev_shrink);
		trace_kcache_evict(c, r->e->data, r->e->klen, r->seq, KCACHE_EVICT_SHRINK);
		break;
	case KCACHE_CAUSE_EXPIRE:
		this_cpu_inc(st->expired);
		trace_kcache_expire(c, r->e->data, r->e->klen, r->seq);
		break;
	}
	if (gone) {
		u32 charged = kcache_entry_charged(gone);

		this_cpu_dec(st->entries);
		this_cpu_sub(st->bytes, charged);
		/* memcg branch: the byte bound's count, see kc_store() */
		atomic64_sub(charged, &c->charged);
	}
	if (kcache_streams_active(&c->streams))
		kcache_streams_emit(c, r);
	if (w) {
		if (kcache_rec_removes(r))
			kcache_wring_commit(c, w, NULL, r->e);
		else
			kcache_wring_commit(c, w, r->e, r->old);
	}
}
