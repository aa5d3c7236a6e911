// SPDX-License-Identifier: GPL-2.0
/*
 * The cache fd's DUMP: the entries above a version cursor, in version order, as many as
 * fit in the caller's buffer. Two walks of the table under rcu_read_lock() (kcache_walk());
 * their callbacks only fill kernel memory, copied out afterwards. Locks: each stripe lock
 * in turn, alone, for a moment before the walks (kcache_seq_settled()); never
 * c->mut_sem, whose write side would hold off every writer of the cache for a grace
 * period at the call of a mere reader. Process context; may sleep.
 */

#include <linux/bsearch.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kcache.h"
#include "kcache_api.h"
#include "kcache_cache.h"
#include "kcache_fd.h"
#include "kcache_table.h"
#include "kcache_uaccess.h"

/* The smallest dump record: a 1-byte key and an empty value. */
#define KC_DUMP_REC_MIN		KCACHE_DUMP_RECORD_LEN(1, 0)

/*
 * DUMP returns the entries above the cursor in version order, as many as fit. Versions
 * are unique (design §2, §7), so they give a position that survives anything the table
 * does between calls, and a way to drop the duplicates a walk sees across a resize.
 *
 * Pass 1 walks the cache and selects the longest run of versions above the cursor whose
 * records fit: a max-heap by version, bounded in bytes and in count; when it overflows,
 * the largest version goes, and nothing at or above it is taken any more (@limit). The
 * selection is then sorted and deduplicated, and the records' offsets fixed. Pass 2 walks
 * again and copies each selected version found, once. An entry replaced or removed
 * between the passes is simply missing (its new version is above the cursor and comes in
 * a later call).
 *
 * A walk is no snapshot: an entry stored while pass 1 runs may be missed by it although
 * pass 1 saw a larger version elsewhere in the table; a cursor moved past it would skip it
 * for good. Pass 2 therefore also looks for versions in the selected range that pass 1 did
 * not select: anything from the smallest such version up is not returned, and the cursor
 * stops below it. Pass 2 cannot miss it in turn, if it was in the table before pass 2
 * began. That holds only up to a settled version: writers of different stripes number
 * their entries and publish them in either order, so an entry can be numbered below one
 * already in the table and still be on its way in. DUMP therefore first settles a version
 * (kcache_seq_settled(): the counter, then every mutation that had a number by then is
 * done) and selects nothing above it; later versions come in a later call.
 */
struct kc_dump_cand {
	u64 seq;
	u32 len;
	u32 off;
	bool copied;
};

struct kc_dump_ctx {
	struct kc_dump_cand *c;	/* pass 1: max-heap by seq; pass 2: sorted by seq */
	u32 nr;			/* candidates */
	u32 nr_max;		/* records one call may return */
	u64 cursor;
	u64 settled;		/* versions above it may still be on their way into the table */
	u64 upto;		/* pass 2: the largest version selected */
	u64 missed;		/* pass 2: smallest version in range not selected; U64_MAX: none */
	u64 limit;		/* pass 1: nothing at or above it is taken; U64_MAX: none dropped */
	u32 limit_len;		/* record length of the entry at @limit */
	size_t bytes;		/* pass 1: sum of the candidates' lengths */
	size_t cap;		/* usable buffer size */
	u8 *buf;		/* pass 2: the records, at their offsets */
};

static void kc_heap_sift_down(struct kc_dump_cand *h, u32 nr, u32 i)
{
	for (;;) {
		u32 l = 2 * i + 1, r = l + 1, m = i;

		if (l < nr && h[l].seq > h[m].seq)
			m = l;
		if (r < nr && h[r].seq > h[m].seq)
			m = r;
		if (m == i)
			return;
		swap(h[i], h[m]);
		i = m;
	}
}

/* Take the largest version off the heap. */
static void kc_heap_drop(struct kc_dump_ctx *d)
{
	d->bytes -= d->c[0].len;
	d->c[0] = d->c[--d->nr];
	kc_heap_sift_down(d->c, d->nr, 0);
}

/* The largest version is over the bounds: nothing at or above it is taken any more. */
static void kc_heap_pop(struct kc_dump_ctx *d)
{
	d->limit = d->c[0].seq;
	d->limit_len = d->c[0].len;
	kc_heap_drop(d);
}

/*
 * Is the largest version on the heap twice (a walk that met its entry again after a
 * resize)? A copy of the top has only copies of it above it, so one is a child of the top.
 */
static bool kc_heap_top_twice(const struct kc_dump_ctx *d)
{
	return (d->nr > 1 && d->c[1].seq == d->c[0].seq) ||
	       (d->nr > 2 && d->c[2].seq == d->c[0].seq);
}

/* Pass 1, under rcu_read_lock(): select. */
static int kc_dump_select(void *ctx, const void *key, u32 klen, const void *val, u32 vlen,
			  u64 version)
{
	struct kc_dump_ctx *d = ctx;
	u32 i;

	if (version <= d->cursor || version >= d->limit || version > d->settled)
		return 0;
	i = d->nr++;
	d->c[i].seq = version;
	d->c[i].len = KCACHE_DUMP_RECORD_LEN(klen, vlen);
	d->bytes += d->c[i].len;
	while (i && d->c[(i - 1) / 2].seq < d->c[i].seq) {
		swap(d->c[i], d->c[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	/*
	 * Over the bounds, a copy of the top goes first: counted twice, a record that fits
	 * alone would be dropped for good and a buffer it fits answered -EMSGSIZE. Then the
	 * top goes, and its copies with it (at limit).
	 */
	while (d->nr && (d->nr > d->nr_max || d->bytes > d->cap || d->c[0].seq >= d->limit)) {
		if (d->c[0].seq < d->limit && kc_heap_top_twice(d))
			kc_heap_drop(d);
		else
			kc_heap_pop(d);
	}
	return 0;
}

static int kc_cand_cmp(const void *a, const void *b)
{
	const struct kc_dump_cand *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int kc_seq_cmp(const void *key, const void *elt)
{
	u64 seq = *(const u64 *)key;
	const struct kc_dump_cand *c = elt;

	return seq < c->seq ? -1 : seq > c->seq;
}

/* Pass 2, under rcu_read_lock(): copy each selected version once, at its offset. */
static int kc_dump_copy(void *ctx, const void *key, u32 klen, const void *val, u32 vlen,
			u64 version)
{
	struct kc_dump_ctx *d = ctx;
	struct kcache_dump_record rec = { .key_len = klen, .val_len = vlen,
					  .version = version };
	struct kc_dump_cand *c;
	u8 *p;

	if (version <= d->cursor || version > d->upto)
		return 0;
	c = bsearch(&version, d->c, d->nr, sizeof(*c), kc_seq_cmp);
	if (!c) {
		d->missed = min(d->missed, version);
		return 0;
	}
	if (c->copied)
		return 0;
	p = d->buf + c->off;
	memcpy(p, &rec, sizeof(rec));
	memcpy(p + sizeof(rec), key, klen);
	memcpy(p + sizeof(rec) + klen, val, vlen);
	memset(p + sizeof(rec) + klen + vlen, 0, c->len - sizeof(rec) - klen - vlen);
	c->copied = true;
	return 0;
}

/**
 * kcache_dump_ioctl() - %KCACHE_IOC_DUMP on a cache fd
 * @c: the fd's cache
 * @uarg: the user's &struct kcache_dump_args
 *
 * Return: 0 or -errno as documented for %KCACHE_IOC_DUMP in uapi/linux/kcache.h.
 */
int kcache_dump_ioctl(struct kcache *c, void __user *uarg)
{
	struct kc_dump_ctx d = { .limit = U64_MAX, .missed = U64_MAX };
	struct kcache_dump_args a;
	size_t used = 0, off = 0;
	u32 i, n;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_DUMP_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	d.cursor = a.cursor;
	d.cap = min_t(u32, a.buf_len, KCACHE_DUMP_BUF_MAX);
	d.nr_max = min_t(size_t, KCACHE_DUMP_NR_MAX, d.cap / KC_DUMP_REC_MIN);
	/* one slot more than nr_max: a candidate is pushed before the overflow pops */
	d.c = kvmalloc_array(d.nr_max + 1, sizeof(*d.c), GFP_KERNEL_ACCOUNT);
	if (!d.c)
		return -ENOMEM;
	/* every version up to this one is in the table or gone from it */
	d.settled = kcache_seq_settled(c);
	ret = kcache_walk(c, kc_dump_select, &d);
	if (ret < 0)
		goto out;
	sort(d.c, d.nr, sizeof(*d.c), kc_cand_cmp, NULL);
	for (i = 0, n = 0; i < d.nr; i++) {
		if (n && d.c[n - 1].seq == d.c[i].seq)
			continue;
		d.c[n] = d.c[i];
		d.c[n].off = off;
		d.c[n].copied = false;
		off += d.c[n].len;
		n++;
	}
	d.nr = n;
	d.upto = n ? d.c[n - 1].seq : 0;
	if (off) {
		d.buf = kvmalloc(off, GFP_KERNEL_ACCOUNT);
		ret = -ENOMEM;
		if (!d.buf)
			goto out;
		ret = kcache_walk(c, kc_dump_copy, &d);
		if (ret < 0)
			goto out;
	}
	/*
	 * Keep what lies below a version pass 1 missed, and close the gaps of entries that
	 * went away between the passes.
	 */
	a.nr = 0;
	a.next = a.cursor;
	for (i = 0; i < d.nr && d.c[i].seq < d.missed; i++) {
		a.next = d.c[i].seq;
		if (!d.c[i].copied)
			continue;
		if (used != d.c[i].off)
			memmove(d.buf + used, d.buf + d.c[i].off, d.c[i].len);
		used += d.c[i].len;
		a.nr++;
	}
	a.done = d.limit == U64_MAX && d.missed == U64_MAX;
	a.needed = !d.nr && !a.done ? d.limit_len : 0;
	ret = -EFAULT;
	if (used && copy_to_user(u64_to_user_ptr(a.buf), d.buf, used))
		goto out;
	ret = kcache_copy_struct_out(uarg, &a, sizeof(a));
	if (!ret && a.needed)
		ret = -EMSGSIZE;
out:
	kvfree(d.buf);
	kvfree(d.c);
	return ret;
}
