// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's exported data API, read side: get, handles, walk, statistics, maintain. The
 * mutations (set, cas, add, delete, invalidate) are in kcache_store.c.
 *
 * Reads take no lock and write nothing shared: rcu_read_lock(), a table lookup, a copy, a
 * word in this CPU's read ring and this CPU's counters. No reference on the entry: the
 * value is copied while RCU keeps it alive. No reference on the cache either: a reader
 * checks under RCU that destroy has not started, and destroy waits a grace period after
 * it starts before it stops maintenance and frees the table (kcache_reader_live()).
 *
 * kcache_walk() and kcache_maintain() hold an operation reference (kcache_enter()) and may
 * sleep: the walk reads under RCU in batches, maintenance takes c->maint_mutex.
 */

#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "kcache_api.h"
#include "kcache_entry.h"
#include "kcache_maint.h"
#include "kcache_read.h"

/* keys an MGET looks up per RCU read section */
#define KC_MGET_RESCHED		64

/* The slow path of kc_get_user_rcu(), after rcu_read_unlock(): copy and unpin. */
int kc_get_user_pinned(void __user *ubuf, struct kcache_entry *e)
{
	int ret = copy_to_user(ubuf, kcache_entry_value(e), e->vlen) ? -EFAULT : 0;

	kcache_entry_put(e);
	return ret;
}

/**
 * kcache_get() - copy a value out
 * @c: the cache
 * @key: key bytes
 * @klen: key length, 1..%KCACHE_KEY_MAX
 * @buf: destination
 * @vlen: in: size of @buf; out: length of the value
 * @version: if not NULL, gets the entry's version
 *
 * Lock-free and writes nothing shared; any context that may hold rcu_read_lock(), except
 * NMI (it may queue the maintenance work).
 *
 * Return: 0; -ENOENT if absent or expired; -EMSGSIZE if @buf is too small (*@vlen then
 * holds the needed length); -EINVAL / -E2BIG for a bad key; -ESHUTDOWN after destroy.
 */
int __flatten kcache_get(struct kcache *c, const void *key, u32 klen, void *buf, u32 *vlen,
			 u64 *version)
{
	struct kcache_entry *e;
	int ret;

	ret = kc_check_key(key, klen);
	if (ret)
		return ret;
	rcu_read_lock();
	if (!kcache_reader_live(c)) {
		ret = -ESHUTDOWN;
		goto out;
	}
	e = kc_read(c, key, klen);
	if (!e) {
		ret = -ENOENT;
	} else {
		if (*vlen < e->vlen) {
			ret = -EMSGSIZE;
		} else {
			kcache_copy_bytes(buf, kcache_entry_value(e), e->vlen);
			if (version)
				*version = e->seq;
		}
		*vlen = e->vlen;
	}
out:
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_get);

/**
 * kcache_mget_user() - look up a batch of keys and gather their values to userspace
 * @c: the cache
 * @keys: the keys, back to back (kernel memory)
 * @items: in: each key's length, checked by the caller; out: each item's val_off, val_len,
 *	version and status as %KCACHE_IOC_MGET documents them
 * @nr: items
 * @ubuf: the value block in userspace
 * @ubuf_len: its size
 *
 * One read section for the batch where kcache_get_user() would open one per key (it is
 * left and re-entered only for a value copied from a pin, and every %KC_MGET_RESCHED keys
 * so that a batch of large values does not hold off a grace period). May sleep.
 *
 * Return: the number of hits; -ESHUTDOWN after destroy or -EFAULT if @ubuf cannot be
 * written (then @items is incomplete).
 */
int __flatten kcache_mget_user(struct kcache *c, const void *keys,
			       struct kcache_batch_item *items, u32 nr, void __user *ubuf,
			       u32 ubuf_len)
{
	struct kcache_entry *pin;
	u32 i, vlen, off = 0;
	int ret = 0, done = 0;
	u64 ver;

	rcu_read_lock();
	for (i = 0; i < nr; i++) {
		struct kcache_batch_item *it = &items[i];

		if (i && !(i % KC_MGET_RESCHED)) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
		if (!kcache_reader_live(c)) {
			ret = -ESHUTDOWN;
			break;
		}
		vlen = ubuf_len - off;
		ver = 0;
		ret = kc_get_user_rcu(c, keys, it->key_len, ubuf + off, &vlen, &ver, NULL, &pin);
		if (ret == -EAGAIN) {
			rcu_read_unlock();
			ret = kc_get_user_pinned(ubuf + off, pin);
			rcu_read_lock();
		}
		keys += it->key_len;
		it->status = ret;
		it->val_off = ret ? 0 : off;
		it->val_len = ret && ret != -EMSGSIZE ? 0 : vlen;
		it->version = ret && ret != -EMSGSIZE ? 0 : ver;
		if (ret == -EFAULT)
			break;
		if (!ret) {
			off += vlen;
			done++;
		}
		ret = 0;
	}
	rcu_read_unlock();
	return ret ?: done;
}

/**
 * kcache_get_handle() - look up an entry and pin it, for zero-copy readers
 * @c: the cache
 * @key: key bytes
 * @klen: key length
 *
 * The value stays valid and unchanged until kcache_handle_put(), even if the key is
 * replaced, deleted or the cache destroyed. Lock-free; any context but NMI.
 *
 * Return: a handle, or ERR_PTR(-ENOENT), ERR_PTR(-EINVAL/-E2BIG) for a bad key,
 * ERR_PTR(-ESHUTDOWN) after destroy.
 */
struct kcache_entry *kcache_get_handle(struct kcache *c, const void *key, u32 klen)
{
	struct kcache_entry *e;
	int ret;

	ret = kc_check_key(key, klen);
	if (ret)
		return ERR_PTR(ret);
	rcu_read_lock();
	if (!kcache_reader_live(c)) {
		e = ERR_PTR(-ESHUTDOWN);
	} else {
		e = kc_read(c, key, klen);
		if (!e || !kcache_entry_tryget(e))
			e = ERR_PTR(-ENOENT);
	}
	rcu_read_unlock();
	return e;
}
EXPORT_SYMBOL_GPL(kcache_get_handle);

/**
 * kcache_handle_value() - the value a handle pins
 * @h: a handle from kcache_get_handle()
 * @vlen: gets the value length
 *
 * Return: the value bytes, valid until kcache_handle_put(@h).
 */
const void *kcache_handle_value(const struct kcache_entry *h, u32 *vlen)
{
	*vlen = h->vlen;
	return kcache_entry_value(h);
}
EXPORT_SYMBOL_GPL(kcache_handle_value);

/**
 * kcache_handle_version() - the version of the entry a handle pins
 * @h: a handle from kcache_get_handle()
 *
 * Return: the entry's sequence number.
 */
u64 kcache_handle_version(const struct kcache_entry *h)
{
	return h->seq;
}
EXPORT_SYMBOL_GPL(kcache_handle_version);

/**
 * kcache_handle_put() - release a handle
 * @h: a handle from kcache_get_handle()
 *
 * Any context but NMI. If this was the entry's last reference (it left the table and a
 * grace period passed since), the entry is freed at once (kcache_entry_put()), not after
 * another grace period: the value must not be used after this call, not even by a caller
 * that still holds rcu_read_lock().
 */
void kcache_handle_put(struct kcache_entry *h)
{
	kcache_entry_put(h);
}
EXPORT_SYMBOL_GPL(kcache_handle_put);

/**
 * kcache_walk() - call @fn for every live entry
 * @c: the cache
 * @fn: callback, called under rcu_read_lock() (must not sleep)
 * @ctx: passed to @fn
 *
 * The walk leaves RCU and reschedules every few dozen entries, so it may be called on a
 * table of any size from process context. It never misses an entry present throughout,
 * but may pass one twice (after a resize, or when the entry it paused at was removed):
 * the version (unique per entry) tells duplicates apart.
 *
 * Return: 0, the first non-zero value of @fn, or -ESHUTDOWN after destroy.
 */
int kcache_walk(struct kcache *c, kcache_walk_fn fn, void *ctx)
{
	struct rhashtable_iter iter;
	struct kcache_entry *e;
	bool end = false;
	int ret = 0, nr;
	u64 last = 0;	/* version of the entry the walk stops at */

	might_sleep();
	if (!kcache_enter(c))
		return -ESHUTDOWN;
	rhashtable_walk_enter(&c->ht, &iter);
	while (!end && !ret) {
		kcache_table_walk_start(&iter, last);
		for (nr = 0; nr < KC_WALK_BATCH && !ret; nr++) {
			e = rhashtable_walk_next(&iter);
			if (!e) {
				end = true;
				break;
			}
			if (IS_ERR(e))
				continue;
			last = e->seq;
			/*
			 * The clock is read per entry, not once per walk: the walk pauses and
			 * @fn may be slow, and an entry that expired meanwhile is absent.
			 */
			if (kc_expired_now(e))
				continue;
			ret = fn(ctx, e->data, e->klen, kcache_entry_value(e), e->vlen, e->seq);
		}
		rhashtable_walk_stop(&iter);
		cond_resched();
	}
	rhashtable_walk_exit(&iter);
	kcache_leave(c);
	return ret;
}
EXPORT_SYMBOL_GPL(kcache_walk);

/**
 * kcache_stats() - read a cache's counters
 * @c: the cache
 * @st: filled in
 *
 * The entry and byte counts are per-CPU sums: exact when no mutation runs.
 */
void kcache_stats(struct kcache *c, struct kcache_stats *st)
{
	s64 entries = 0, bytes = 0;
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const struct kc_pcpu_stats *s = per_cpu_ptr(c->stats, cpu);

		st->hits += READ_ONCE(s->hits);
		st->misses += READ_ONCE(s->misses);
		st->sets += READ_ONCE(s->sets);
		st->deletes += READ_ONCE(s->deletes);
		st->evictions_size += READ_ONCE(s->ev_size);
		st->evictions_shrink += READ_ONCE(s->ev_shrink);
		st->expirations += READ_ONCE(s->expired);
		entries += READ_ONCE(s->entries);
		bytes += READ_ONCE(s->bytes);
	}
	st->entries = max_t(s64, entries, 0);
	st->bytes = max_t(s64, bytes, 0);
	st->max_entries = c->cfg.max_entries;
	st->max_bytes = c->cfg.max_bytes;
	st->spare_bytes = READ_ONCE(c->spare_bytes);
}
EXPORT_SYMBOL_GPL(kcache_stats);

/**
 * kcache_maintain() - run a maintenance pass now
 * @c: the cache
 *
 * Drains the read and write rings into the policy, evicts over the bounds and reclaims
 * expired entries. Once it returns, the entries written before the call are within the
 * bounds, with one exception: a write still filling its slot of a CPU's write ring (a
 * writer that migrated, filling the ring of the CPU it reserved on) holds back the
 * records after it in that ring, which the pass it schedules once filled applies (within
 * a tick). Sleeps on the maintenance mutex.
 */
void kcache_maintain(struct kcache *c)
{
	might_sleep();
	if (!kcache_enter(c))
		return;
	kcache_maint_pass(c);
	kcache_leave(c);
}
EXPORT_SYMBOL_GPL(kcache_maintain);

/**
 * kcache_entry_overhead() - bytes of metadata charged per entry besides key and value
 *
 * Return: sizeof the entry header (the table's bucket slots are extra).
 */
size_t kcache_entry_overhead(void)
{
	return sizeof(struct kcache_entry);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_entry_overhead);
