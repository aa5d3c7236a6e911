/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache change streams (design §7): a cache's subscribers and the hooks the core calls.
 * The exported subscribe API is declared in kcache.h; this header is the core's side.
 */
#ifndef _KCACHE_STREAM_H
#define _KCACHE_STREAM_H

#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct file;
struct iov_iter;
struct kcache;
struct kcache_rec;
struct kcache_stream;
struct poll_table_struct;

/* the subscription flags of kcache_subscribe() and of %KCACHE_IOC_SUBSCRIBE */
#define KCACHE_SUBSCRIBE_FLAGS	(KCACHE_SUBSCRIBE_LIVE_ONLY | KCACHE_SUBSCRIBE_KEYS_ONLY | \
				 KCACHE_SUBSCRIBE_RESYNC | KCACHE_SUBSCRIBE_NONBLOCK)

/**
 * struct kcache_streams - the subscribers of one cache, embedded in &struct kcache
 * @subs: registered subscribers; writers walk it under RCU, changes under @mutex
 * @nr: number of registered subscribers; writers skip the stream unit while it is 0
 * @mutex: serialises changes of @subs, @nr and @dead
 * @dead: kcache_streams_shutdown() ran: no subscriber may register any more
 */
struct kcache_streams {
	struct list_head subs;
	int nr;
	struct mutex mutex;	/* @subs changes, @nr, @dead */
	bool dead;
};

void kcache_streams_init(struct kcache *c);
void kcache_streams_shutdown(struct kcache *c);
void kcache_streams_uninit(struct kcache *c);

/**
 * kcache_streams_active() - does the cache have subscribers?
 * @s: the cache's &struct kcache_streams
 *
 * The one test a mutation pays when nobody subscribes. A subscriber registers under the
 * write side of the cache's mut_sem, so a writer inside the read side sees it or not for
 * the whole of its mutation.
 *
 * Return: true if kcache_streams_emit() has someone to deliver to.
 */
static inline bool kcache_streams_active(const struct kcache_streams *s)
{
	return READ_ONCE(s->nr) != 0;
}

void kcache_streams_emit(struct kcache *c, const struct kcache_rec *r);

/* for the stream fd (kcache_stream_fd.c) */
ssize_t kcache_stream_read_iter(struct kcache_stream *s, struct iov_iter *to, bool nonblock);
__poll_t kcache_stream_poll(struct kcache_stream *s, struct file *file,
			    struct poll_table_struct *pt);
u32 kcache_stream_ring_size(const struct kcache_stream *s);
u32 kcache_stream_ring_bytes(u32 ring_size);
void kcache_unsubscribe_async(struct kcache_stream *s);
void kcache_streams_drain(void);
struct kcache_stream *kcache_subscribe_charged(struct kcache *c,
					       const struct kcache_stream_opts *opts,
					       u64 *cutoff);

long kcache_streams_subscribe_ioctl(struct kcache *c, void __user *uarg);

#ifdef KCACHE_TESTS
void kcache_test_stream_hook(struct kcache_stream *s, void (*fn)(void *ctx), void *ctx);
bool kcache_test_stream_has_waiter(struct kcache_stream *s);
#endif

#endif /* _KCACHE_STREAM_H */
