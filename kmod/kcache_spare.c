// SPDX-License-Identifier: GPL-2.0
/*
 * Spare entries: the memory of dead entries, kept for the cache's next writes.
 *
 * Every write allocates an entry, and a replacing one retires the entry it replaces, which
 * the limbo work frees a grace period later (kcache_maint.c): thousands at once, in the
 * order they were allocated, on whichever CPU runs the work. The slab allocator keeps few
 * empty slabs, so the slabs of such a batch empty out whole and go back to the page
 * allocator, and the writer's next allocations take fresh pages, each zeroed again with
 * init_on_alloc and set up again. The limbo work hands its batch here instead, and a
 * write takes an entry of its size class from here before it asks the allocator: the
 * memory a grace period's writes retired serves the next grace period's writes, as BPF's
 * hash maps reuse their elements after a grace period (kernel/bpf/memalloc.c).
 *
 * Classes: the kmalloc sizes from 64 bytes to a page, the sizes kcache_entry_alloc()
 * rounds a small entry to. An entry is one allocation either way; a spare is simply not
 * freed in between.
 *
 * Bound: a cache's live entries and its spares together stay within the bytes it may hold,
 * max_bytes plus its slack (kcache_bytes_slack()), as far as the charge of its live entries
 * when the limbo work last ran says: each batch keeps of its own entries, then of the
 * spares the writes left, what fits beside that charge, and frees the rest. Spares thus
 * grow only when the writes of a grace period found none and allocated: to what the writes
 * between two batches need, at most to the bound. Writes that need another size class
 * allocate beside spares they cannot use: each maintenance pass weighs the spares left
 * against the charge again and trims them to the bound once they are a slack over it
 * (kcache_spare_trim()). An idle cache keeps them, as the slab allocator keeps its partial
 * slabs, until memory pressure: the shrinker counts spares and frees them before it evicts
 * an entry, and a writer that cannot allocate frees them (kcache_maint.c); destroy frees
 * them.
 *
 * Where they are: a batch's spares go to the cache's shared lists, one lock-free list per
 * class; a writer whose own CPU's list of the class is empty takes the whole shared list
 * into it with one exchange. A writer thus touches its CPU's lists under their lock, and a
 * shared line only when its CPU has run out: no cache-wide lock on the write path.
 *
 * Locks: kc_spare_cpu.lock, a leaf, taken by the writers of its CPU (a writer preempted
 * and moved uses the list of the CPU it started on, under the same lock), by the limbo
 * work when it takes what is left, and by reclaim, the shrinker and destroy. The shared
 * lists take no lock (llist).
 */

#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kcache_entry.h"
#include "kcache_spare.h"

/* The sizes kmalloc_size_roundup() gives entries of 64 bytes up to a page. */
static const u16 kc_spare_size[KC_SPARE_CLASSES] = {
	64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
};

/**
 * struct kc_spare_cpu - the spares a CPU's writers took from the cache's shared lists
 * @lock: see the top of this file
 * @head: per class, a stack of entries linked through &struct kcache_entry.spare
 * @taken: bytes of spares this CPU's writers took since the last take-back, for
 *	kcache_spare_trim()
 */
struct kc_spare_cpu {
	spinlock_t lock;	/* writers of this CPU; take-backs (top of file) */
	struct llist_node *head[KC_SPARE_CLASSES];
	unsigned long taken;
};

static int kc_spare_class(size_t size)
{
	int i;

	if (size > PAGE_SIZE)
		return -1;
	for (i = 0; i < KC_SPARE_CLASSES; i++)
		if (kc_spare_size[i] == size)
			return i;
	return -1;
}

/* Bytes of a cache's per-CPU spare lists, for its footprint (kcache_registry.c). */
size_t kcache_spare_footprint(void)
{
	return num_possible_cpus() * sizeof(struct kc_spare_cpu);
}

int kcache_spare_init(struct kcache *c)
{
	int cpu, i;

	c->spare_cpu = alloc_percpu_gfp(struct kc_spare_cpu, GFP_KERNEL_ACCOUNT);
	if (!c->spare_cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(c->spare_cpu, cpu)->lock);
	for (i = 0; i < KC_SPARE_CLASSES; i++)
		init_llist_head(&c->spares[i]);
	return 0;
}

/**
 * struct kc_spare_chain - spares of one class on their way to a shared list
 * @first: head of the chain
 * @last: its tail, for llist_add_batch()
 */
struct kc_spare_chain {
	struct llist_node *first, *last;
};

/* Keep @e in its class's chain if it has a class and fits in *@room; else free it. */
static bool kc_spare_keep(struct kc_spare_chain *keep, struct kcache_entry *e, s64 *room)
{
	size_t size = kcache_entry_slab_size(kcache_entry_size(e->klen, e->vlen, e->deadline));
	int cls = kc_spare_class(size);

	/* a class is a page or less: kvmalloc() took it from the slab */
	if (cls < 0 || (s64)size > *room) {
		kcache_entry_free(e);
		return false;
	}
	*room -= size;
	e->spare.next = keep[cls].first;
	if (!keep[cls].first)
		keep[cls].last = &e->spare;
	keep[cls].first = &e->spare;
	return true;
}

/*
 * kc_spare_keep() for a chain of spares taken back; a NULL @keep frees them all. Returns
 * how many it kept, or freed.
 */
static unsigned long kc_spare_keep_chain(struct kc_spare_chain *keep, struct llist_node *n,
					 s64 *room)
{
	struct kcache_entry *e, *tmp;
	unsigned long nr = 0;

	llist_for_each_entry_safe(e, tmp, n, spare) {
		if (keep) {
			nr += kc_spare_keep(keep, e, room);
		} else {
			kcache_entry_free(e);
			nr++;
		}
		cond_resched();
	}
	return nr;
}

static void kc_spare_publish(struct kcache *c, struct kc_spare_chain *chain)
{
	int cls;

	for (cls = 0; cls < KC_SPARE_CLASSES; cls++)
		if (chain[cls].first)
			llist_add_batch(chain[cls].first, chain[cls].last, &c->spares[cls]);
}

/* Take back the spares the writers of @cpu took and have not used. */
static void kc_spare_steal(struct kcache *c, int cpu, struct llist_node **got)
{
	struct kc_spare_cpu *sc = per_cpu_ptr(c->spare_cpu, cpu);

	spin_lock(&sc->lock);
	memcpy(got, sc->head, sizeof(sc->head));
	memset(sc->head, 0, sizeof(sc->head));
	WRITE_ONCE(sc->taken, 0);
	spin_unlock(&sc->lock);
}

/*
 * Take back every spare, from the shared lists (@shared: what they held, taken earlier, or
 * NULL: take them now) and from every CPU's, and keep what fits in *@room (a NULL @keep
 * frees them all). Returns how many it kept, or freed.
 */
static unsigned long kc_spare_take_back(struct kcache *c, struct llist_node **shared,
					struct kc_spare_chain *keep, s64 *room)
{
	struct llist_node *got[KC_SPARE_CLASSES];
	unsigned long nr = 0;
	int cpu, cls;

	for (cls = 0; cls < KC_SPARE_CLASSES; cls++)
		nr += kc_spare_keep_chain(keep, shared ? shared[cls] :
					  llist_del_all(&c->spares[cls]), room);
	for_each_possible_cpu(cpu) {
		kc_spare_steal(c, cpu, got);
		for (cls = 0; cls < KC_SPARE_CLASSES; cls++)
			nr += kc_spare_keep_chain(keep, got[cls], room);
	}
	return nr;
}

/**
 * kcache_spare_drain() - free every spare of a cache
 * @c: the cache
 *
 * For reclaim and the shrinker, which need the memory back now, and for destroy. May sleep.
 *
 * Return: spares freed.
 */
unsigned long kcache_spare_drain(struct kcache *c)
{
	WRITE_ONCE(c->spares_kept, 0);
	WRITE_ONCE(c->spare_bytes, 0);
	return kc_spare_take_back(c, NULL, NULL, NULL);
}

void kcache_spare_uninit(struct kcache *c)
{
	if (!c->spare_cpu)
		return;
	kcache_spare_drain(c);
	free_percpu(c->spare_cpu);
	c->spare_cpu = NULL;
}

/**
 * kcache_spare_get() - an entry's memory for a write, if a spare of its size is there
 * @c: the cache
 * @size: the entry's allocation size, already rounded by kmalloc_size_roundup()
 *
 * Return: a dead entry's memory, its contents stale, or NULL.
 */
struct kcache_entry *kcache_spare_get(struct kcache *c, size_t size)
{
	int cls = kc_spare_class(size);
	struct kc_spare_cpu *sc;
	struct llist_node *n;

	if (cls < 0)
		return NULL;
	sc = raw_cpu_ptr(c->spare_cpu);
	spin_lock(&sc->lock);
	n = sc->head[cls];
	/* read before the exchange: a cache with no spares writes no shared line here */
	if (!n && !llist_empty(&c->spares[cls]))
		n = llist_del_all(&c->spares[cls]);
	if (n) {
		sc->head[cls] = n->next;
		WRITE_ONCE(sc->taken, sc->taken + kc_spare_size[cls]);
	}
	spin_unlock(&sc->lock);
	return n ? llist_entry(n, struct kcache_entry, spare) : NULL;
}

/**
 * kcache_spare_collect() - the limbo work's batch: keep what the next writes may reuse
 * @c: the cache
 * @batch: entries out of the table and the policy a grace period ago and no longer named
 *	by any ring, linked through &struct kcache_entry.pn.link; emptied
 *
 * Drops the cache's reference on each entry of @batch and takes back the spares the
 * writes left. Of the entries whose last reference that was (no handle pins them), then
 * of those spares, it keeps the ones of a class while they fit beside the charge of the
 * live entries (the top of this file), and frees the rest. The batch is published before
 * the spares are taken back, so a writer does not run out meanwhile; spares it takes in
 * between come back as left, and count twice against the room. As many entries as the
 * shrinker evicted since the last batch are freed first, whatever the room: reclaim
 * counted that memory freed, and kept as spares it would stay charged. A pinned entry
 * counts among them: its last reference frees it. May sleep.
 */
void kcache_spare_collect(struct kcache *c, struct list_head *batch)
{
	s64 room0 = c->cfg.max_bytes + kcache_bytes_slack(c) - atomic64_read(&c->charged);
	struct kc_spare_chain fresh[KC_SPARE_CLASSES] = {}, keep[KC_SPARE_CLASSES] = {};
	long owed = atomic_long_read(&c->shrink_owed), paid = 0;
	struct llist_node *shared[KC_SPARE_CLASSES];
	struct kcache_entry *e, *tmp;
	unsigned long kept = 0;
	s64 room = room0;
	int cls;

	list_for_each_entry_safe(e, tmp, batch, pn.link) {
		list_del(&e->pn.link);
		if (refcount_dec_and_test(&e->ref)) {
			if (paid < owed) {
				kcache_entry_free(e);
				paid++;
			} else {
				kept += kc_spare_keep(fresh, e, &room);
			}
		} else if (paid < owed) {
			/*
			 * Pinned: the last kcache_entry_put() frees it, never a spare, so it
			 * pays as a freed one does. Else its debt outlives it, for good in a
			 * cache that has no later batch.
			 */
			paid++;
		}
		cond_resched();
	}
	if (paid)
		atomic_long_sub(paid, &c->shrink_owed);
	for (cls = 0; cls < KC_SPARE_CLASSES; cls++)
		shared[cls] = llist_del_all(&c->spares[cls]);
	kc_spare_publish(c, fresh);
	kept += kc_spare_take_back(c, shared, keep, &room);
	kc_spare_publish(c, keep);
	WRITE_ONCE(c->spares_kept, kept);
	/* what was kept came out of the room */
	WRITE_ONCE(c->spare_bytes, room0 - room);
}

/**
 * kcache_spare_trim() - give back the spares that no longer fit beside the live entries
 * @c: the cache
 *
 * A batch keeps spares as far as the charge of the live entries then allows. Writes of
 * another size class take none of them and allocate beside them; if they retire nothing,
 * no batch weighs the spares again, and the cache holds both, up to twice its bound, until
 * memory pressure. So each maintenance pass weighs them: the bytes the last batch kept,
 * less what the writers took since (per CPU, reset by each take-back), beside the charge
 * now. More than the slack over the bound, it keeps what fits, as a batch with no entries
 * would, and frees the rest; the slack spares a busy cache a walk of its spares at every
 * pass for what the next batch settles anyway. May sleep.
 */
void kcache_spare_trim(struct kcache *c)
{
	u64 slack = kcache_bytes_slack(c);
	s64 over = c->cfg.max_bytes + 2 * slack;
	long spares = READ_ONCE(c->spare_bytes);
	LIST_HEAD(none);
	int cpu;

	if (!spares)
		return;
	for_each_possible_cpu(cpu)
		spares -= READ_ONCE(per_cpu_ptr(c->spare_cpu, cpu)->taken);
	if (spares <= 0 || atomic64_read(&c->charged) + spares <= over)
		return;
	kcache_spare_collect(c, &none);
}

#ifdef KCACHE_TESTS
/* Spares a cache holds; for tests, on a quiet cache. */
unsigned long kcache_test_spares(struct kcache *c)
{
	unsigned long n = 0;
	struct llist_node *p;
	int cpu, i;

	for (i = 0; i < KC_SPARE_CLASSES; i++)
		for (p = READ_ONCE(c->spares[i].first); p; p = READ_ONCE(p->next))
			n++;
	for_each_possible_cpu(cpu) {
		struct kc_spare_cpu *sc = per_cpu_ptr(c->spare_cpu, cpu);

		spin_lock(&sc->lock);
		for (i = 0; i < KC_SPARE_CLASSES; i++)
			for (p = sc->head[i]; p; p = p->next)
				n++;
		spin_unlock(&sc->lock);
	}
	return n;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_spares);
#endif
