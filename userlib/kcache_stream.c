// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache: change streams. kcache_subscribe() opens a stream fd on a cache fd;
 * kcache_stream_read() fills a buffer with whole records and kcache_stream_next() walks
 * them, checking every length against the buffer so that a caller never reads past it.
 * Like the rest of the library, these return 0, a count or -errno and never change errno.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kcache.h"

int kcache_subscribe(int fd, const void *prefix, uint32_t prefix_len, uint32_t flags,
		     uint32_t *ring_size, uint64_t *cutoff)
{
	struct kcache_subscribe_args a = {
		.size = sizeof(a),
		.flags = flags,
		.prefix = (uint64_t)(uintptr_t)prefix,
		.prefix_len = prefix_len,
		.format = KCACHE_STREAM_FORMAT_V1,
		.ring_size = ring_size ? *ring_size : 0,
	};
	int saved = errno;
	int ret = ioctl(fd, KCACHE_IOC_SUBSCRIBE, &a);

	if (ret < 0) {
		ret = -errno;
	} else {
		if (ring_size)
			*ring_size = a.ring_size;
		if (cutoff)
			*cutoff = a.cutoff;
	}
	errno = saved;
	return ret;
}

ssize_t kcache_stream_read(int sfd, void *buf, size_t len, struct kcache_stream_iter *it)
{
	int saved = errno;
	ssize_t n = read(sfd, buf, len);

	if (n < 0)
		n = -errno;
	errno = saved;
	it->pos = buf;
	it->end = (const char *)buf + (n > 0 ? n : 0);
	it->err = 0;
	return n;
}

const struct kcache_stream_rec *kcache_stream_next(struct kcache_stream_iter *it)
{
	const struct kcache_stream_rec *r = (const void *)it->pos;
	size_t left = it->end - it->pos;
	uint64_t need;

	if (!left || it->err)
		return NULL;
	if (left < KCACHE_STREAM_REC_SIZE_VER0)
		goto bad;
	need = KCACHE_STREAM_REC_LEN(r->hdr_len, r->key_len,
				     (r->flags & KCACHE_RECF_VALUE) ? r->val_len : 0);
	if (r->hdr_len < KCACHE_STREAM_REC_SIZE_VER0 || r->rec_len % 8 || r->rec_len < need ||
	    r->rec_len > left)
		goto bad;
	it->pos += r->rec_len;
	return r;
bad:
	it->err = -EBADMSG;
	return NULL;
}
