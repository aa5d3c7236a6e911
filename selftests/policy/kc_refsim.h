/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Textbook S3-FIFO, SIEVE and ARC for kc_replay's reference columns on traces that have no
 * reference table (bench-hitratio CAPACITIES=auto). Unit-size entries, written from the
 * papers' descriptions:
 * - S3-FIFO (Yang et al., SOSP'23) as Caffeine's simulator runs it: a 10% small FIFO, a main
 *   FIFO with a 2-bit counter, a ghost FIFO of 90% of the capacity; a small-queue entry hit
 *   at least twice moves to main, else it leaves for the ghost; a ghost hit enters main;
 * - SIEVE (Zhang et al., NSDI'24): one FIFO, a visited bit, a hand that moves from the
 *   oldest entry towards the newest, clearing bits, and evicts the first unvisited entry;
 * - ARC (Megiddo, Modha, FAST'03): T1/T2 with ghosts B1/B2 and the adaptive target p.
 *
 * Include after kcache_policy.h (for the types); userspace only.
 */
#ifndef _KC_REFSIM_H
#define _KC_REFSIM_H

#include <stdio.h>
#include <string.h>

enum { RS_S3FIFO = 1, RS_SIEVE, RS_ARC };

#define RS_LISTS	5	/* sentinels 1..4 (0 ends hash chains) */

struct rs_node {
	u64 key;
	u32 prev;
	u32 next;
	u32 hnext;
	u8 list;
	u8 freq;
};

struct rs {
	struct rs_node *nd;
	u32 *buckets;
	u64 bmask;
	u32 free;
	u64 size[RS_LISTS];
};

static u32 *rs_bucket(struct rs *r, u64 key)
{
	u64 h = key * 0x9e3779b97f4a7c15ULL;

	return &r->buckets[(h ^ (h >> 29)) & r->bmask];
}

static void rs_init(struct rs *r, u64 nodes)
{
	u64 i, nb = 1;

	while (nb < 2 * nodes)
		nb <<= 1;
	r->nd = calloc(nodes + RS_LISTS, sizeof(*r->nd));
	r->buckets = calloc(nb, sizeof(*r->buckets));
	if (!r->nd || !r->buckets) {
		fprintf(stderr, "kc_replay: out of memory\n");
		exit(2);
	}
	r->bmask = nb - 1;
	for (i = 1; i < RS_LISTS; i++) {
		r->nd[i].prev = i;
		r->nd[i].next = i;
		r->size[i] = 0;
	}
	r->free = 0;
	for (i = nodes + RS_LISTS - 1; i >= RS_LISTS; i--) {
		r->nd[i].next = r->free;
		r->free = i;
	}
}

static void rs_fini(struct rs *r)
{
	free(r->nd);
	free(r->buckets);
}

static u32 rs_find(struct rs *r, u64 key)
{
	u32 i;

	for (i = *rs_bucket(r, key); i; i = r->nd[i].hnext)
		if (r->nd[i].key == key)
			return i;
	return 0;
}

static void rs_unlink(struct rs *r, u32 i)
{
	struct rs_node *nd = r->nd;

	nd[nd[i].prev].next = nd[i].next;
	nd[nd[i].next].prev = nd[i].prev;
	r->size[nd[i].list]--;
}

/* Append at the newest end of list l. */
static void rs_link(struct rs *r, u32 i, u32 l)
{
	struct rs_node *nd = r->nd;
	u32 tail = nd[l].prev;

	nd[i].prev = tail;
	nd[i].next = l;
	nd[tail].next = i;
	nd[l].prev = i;
	nd[i].list = l;
	r->size[l]++;
}

static void rs_move(struct rs *r, u32 i, u32 l)
{
	rs_unlink(r, i);
	rs_link(r, i, l);
}

/* Oldest entry of list l, 0 if empty. */
static u32 rs_oldest(struct rs *r, u32 l)
{
	return r->nd[l].next == l ? 0 : r->nd[l].next;
}

static u32 rs_new(struct rs *r, u64 key, u32 l)
{
	u32 i = r->free, *b = rs_bucket(r, key);

	r->free = r->nd[i].next;
	r->nd[i].key = key;
	r->nd[i].freq = 0;
	r->nd[i].hnext = *b;
	*b = i;
	rs_link(r, i, l);
	return i;
}

static void rs_del(struct rs *r, u32 i)
{
	u32 *link = rs_bucket(r, r->nd[i].key);

	while (*link != i)
		link = &r->nd[*link].hnext;
	*link = r->nd[i].hnext;
	rs_unlink(r, i);
	r->nd[i].list = 0;
	r->nd[i].next = r->free;
	r->free = i;
}

/* --- S3-FIFO: lists 1 small, 2 main, 3 ghost ---------------------------------------------- */

struct rs_s3 {
	struct rs r;
	u64 cap, max_small, max_main, max_ghost;
};

static void rs_s3_evict_main(struct rs_s3 *s)
{
	u32 t;

	while ((t = rs_oldest(&s->r, 2))) {
		if (!s->r.nd[t].freq) {
			rs_del(&s->r, t);
			return;
		}
		s->r.nd[t].freq--;
		rs_move(&s->r, t, 2);
	}
}

static void rs_s3_evict_small(struct rs_s3 *s)
{
	u32 t, g;

	while ((t = rs_oldest(&s->r, 1))) {
		if (s->r.nd[t].freq > 1) {
			s->r.nd[t].freq = 0;
			rs_move(&s->r, t, 2);
			if (s->r.size[2] > s->max_main)
				rs_s3_evict_main(s);
			continue;
		}
		while (s->r.size[3] && s->r.size[3] >= s->max_ghost) {
			g = rs_oldest(&s->r, 3);
			rs_del(&s->r, g);
		}
		if (s->max_ghost) {
			s->r.nd[t].freq = 0;
			rs_move(&s->r, t, 3);
		} else {
			rs_del(&s->r, t);
		}
		return;
	}
}

static bool rs_s3_request(struct rs_s3 *s, u64 key)
{
	u32 i = rs_find(&s->r, key);

	if (i && s->r.nd[i].list != 3) {
		if (s->r.nd[i].freq < 3)
			s->r.nd[i].freq++;
		return true;
	}
	while (s->r.size[1] + s->r.size[2] >= s->cap) {
		/* (a small queue of 0 entries, at tiny capacities, is never evicted from) */
		if (s->r.size[1] && (s->r.size[1] >= s->max_small || !s->r.size[2]))
			rs_s3_evict_small(s);
		else
			rs_s3_evict_main(s);
	}
	/* The evictions may have pushed the key out of the ghost. */
	i = rs_find(&s->r, key);
	if (i) {
		rs_del(&s->r, i);
		rs_new(&s->r, key, 2);
	} else {
		rs_new(&s->r, key, 1);
	}
	return false;
}

/* --- SIEVE: list 1, newest at the tail; the hand moves from the oldest to the newest ------ */

struct rs_sieve {
	struct rs r;
	u64 cap;
	u32 hand;	/* 0: start from the oldest */
};

static bool rs_sieve_request(struct rs_sieve *s, u64 key)
{
	struct rs_node *nd = s->r.nd;
	u32 i = rs_find(&s->r, key), p;

	if (i) {
		nd[i].freq = 1;
		return true;
	}
	if (s->r.size[1] >= s->cap) {
		p = s->hand ? s->hand : rs_oldest(&s->r, 1);
		while (nd[p].freq) {
			nd[p].freq = 0;
			p = nd[p].next == 1 ? rs_oldest(&s->r, 1) : nd[p].next;
		}
		s->hand = nd[p].next == 1 ? 0 : nd[p].next;
		rs_del(&s->r, p);
	}
	rs_new(&s->r, key, 1);
	return false;
}

/* --- ARC: lists 1 T1, 2 T2, 3 B1, 4 B2; the newest at the tail ------------------------------ */

struct rs_arc {
	struct rs r;
	u64 c;
	double p;
};

static void rs_arc_replace(struct rs_arc *a, bool in_b2)
{
	u64 t1 = a->r.size[1];

	if (t1 && (t1 > a->p || (in_b2 && t1 == (u64)a->p)))
		rs_move(&a->r, rs_oldest(&a->r, 1), 3);
	else
		rs_move(&a->r, rs_oldest(&a->r, 2), 4);
}

static bool rs_arc_request(struct rs_arc *a, u64 key)
{
	u64 *sz = a->r.size, c = a->c;
	u32 i = rs_find(&a->r, key);
	double d;

	if (i && (a->r.nd[i].list == 1 || a->r.nd[i].list == 2)) {
		rs_move(&a->r, i, 2);
		return true;
	}
	if (i && a->r.nd[i].list == 3) {
		d = sz[4] > sz[3] ? (double)sz[4] / sz[3] : 1;
		a->p = a->p + d < c ? a->p + d : c;
		rs_arc_replace(a, false);
		rs_move(&a->r, i, 2);
		return false;
	}
	if (i) {
		d = sz[3] > sz[4] ? (double)sz[3] / sz[4] : 1;
		a->p = a->p - d > 0 ? a->p - d : 0;
		rs_arc_replace(a, true);
		rs_move(&a->r, i, 2);
		return false;
	}
	if (sz[1] + sz[3] == c) {
		if (sz[1] < c) {
			rs_del(&a->r, rs_oldest(&a->r, 3));
			rs_arc_replace(a, false);
		} else {
			rs_del(&a->r, rs_oldest(&a->r, 1));
		}
	} else if (sz[1] + sz[2] + sz[3] + sz[4] >= c) {
		if (sz[1] + sz[2] + sz[3] + sz[4] == 2 * c)
			rs_del(&a->r, rs_oldest(&a->r, 4));
		rs_arc_replace(a, false);
	}
	rs_new(&a->r, key, 1);
	return false;
}

/**
 * kc_refsim_hits() - replay @keys through a reference policy
 * @keys: the trace
 * @n: its length
 * @capacity: entries
 * @which: %RS_S3FIFO, %RS_SIEVE or %RS_ARC
 *
 * Return: the number of hits.
 */
static inline u64 kc_refsim_hits(const u64 *keys, size_t n, u64 capacity, int which)
{
	struct rs_s3 s3 = { .cap = capacity };
	struct rs_sieve sv = { .cap = capacity };
	struct rs_arc arc = { .c = capacity };
	u64 hits = 0;
	size_t j;

	s3.max_small = capacity / 10;
	s3.max_main = capacity - s3.max_small;
	s3.max_ghost = capacity * 9 / 10;
	if (which == RS_S3FIFO)
		rs_init(&s3.r, capacity + s3.max_ghost + 2);
	else if (which == RS_SIEVE)
		rs_init(&sv.r, capacity + 1);
	else
		rs_init(&arc.r, 2 * capacity + 2);
	for (j = 0; j < n; j++) {
		if (which == RS_S3FIFO)
			hits += rs_s3_request(&s3, keys[j]);
		else if (which == RS_SIEVE)
			hits += rs_sieve_request(&sv, keys[j]);
		else
			hits += rs_arc_request(&arc, keys[j]);
	}
	rs_fini(which == RS_S3FIFO ? &s3.r : which == RS_SIEVE ? &sv.r : &arc.r);
	return hits;
}

#endif /* _KC_REFSIM_H */
