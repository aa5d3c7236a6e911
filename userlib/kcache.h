/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkcache - thin userspace wrappers around the /dev/kcache ioctls.
 *
 * One function per kernel operation. Every function returns 0 (or a non-negative fd or
 * count where documented) on success and -errno on failure; none of them touches errno.
 * The errors are those of the ioctl, documented in <linux/kcache.h>, kcache_*(3) and
 * Documentation/userspace-api.rst; besides them a name that does not fit the ABI's name
 * field gives -EINVAL without a system call.
 */
#ifndef LIBKCACHE_H
#define LIBKCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/kcache.h>

#ifdef __cplusplus
extern "C" {
#endif

/* control device */
int kcache_ctl_open(void);
int kcache_version(int ctl_fd, struct kcache_version *v);
int kcache_create(int ctl_fd, const char *name, uint64_t max_entries, uint64_t max_bytes,
		  uint64_t default_ttl_ns, uint32_t policy, uint32_t mode);
int kcache_open(int ctl_fd, const char *name, uint32_t access);
int kcache_open_owned(int ctl_fd, const char *name, uint32_t access, uint32_t owner);
int kcache_create_or_open(int ctl_fd, const char *name, uint64_t max_entries,
			  uint64_t max_bytes, uint64_t default_ttl_ns, uint32_t policy,
			  uint32_t mode, uint32_t access);
int kcache_destroy(int ctl_fd, const char *name);
int kcache_list(int ctl_fd, struct kcache_list_record *recs, uint32_t *nr);
int kcache_list_page(int ctl_fd, struct kcache_list_record *recs, uint32_t *nr,
		     uint64_t *cursor);

/* single keys, on a cache fd */
int kcache_get(int fd, const void *key, uint32_t key_len, void *val, uint32_t *val_len,
	       uint64_t *version);
int kcache_set(int fd, const void *key, uint32_t key_len, const void *val, uint32_t val_len,
	       uint32_t flags, uint64_t ttl_ns, uint64_t *version);
int kcache_del(int fd, const void *key, uint32_t key_len);
int kcache_cas(int fd, const void *key, uint32_t key_len, const void *val, uint32_t val_len,
	       uint64_t expected, uint32_t flags, uint64_t ttl_ns, uint64_t *version);
int kcache_add(int fd, const void *key, uint32_t key_len, int64_t delta, uint32_t flags,
	       uint64_t ttl_ns, uint64_t *result);

/* batches */
int kcache_mget(int fd, struct kcache_batch_item *items, uint32_t nr, const void *keys,
		void *vals, uint32_t vals_len, uint32_t *done);
int kcache_mset(int fd, struct kcache_batch_item *items, uint32_t nr, const void *keys,
		const void *vals, uint32_t vals_len, uint32_t flags, uint64_t ttl_ns,
		uint32_t *done);

/* whole cache */
int kcache_invalidate(int fd, uint64_t *removed);
int kcache_invalidate_prefix(int fd, const void *prefix, uint32_t prefix_len,
			     uint64_t *removed);
int kcache_stats(int fd, struct kcache_counters *counters);
int kcache_info(int fd, struct kcache_info_args *info);
int kcache_dump(int fd, void *buf, uint32_t buf_len, uint64_t *cursor, int *done,
		uint32_t *needed);
int kcache_nop(int fd);

/* GET through pages shared with the kernel: no copy across the user boundary */
int kcache_get_pages_map(int fd, unsigned int nr, struct kcache_get_page **pages);
int kcache_get_pages_unmap(struct kcache_get_page *pages, unsigned int nr);
int kcache_get_mapped(int fd, struct kcache_get_page *pages, unsigned int page,
		      const void *key, uint32_t key_len, const void **val, uint32_t *val_len,
		      uint64_t *version);

/**
 * kcache_dump_next() - walk the records kcache_dump() wrote
 * @rec: the current record
 *
 * Return: the record after @rec.
 */
static inline const struct kcache_dump_record *
kcache_dump_next(const struct kcache_dump_record *rec)
{
	return (const struct kcache_dump_record *)((const char *)rec +
		KCACHE_DUMP_RECORD_LEN(rec->key_len, rec->val_len));
}

/* The key and value bytes of a dump record. */
static inline const void *kcache_dump_key(const struct kcache_dump_record *rec)
{
	return rec + 1;
}

static inline const void *kcache_dump_val(const struct kcache_dump_record *rec)
{
	return (const char *)(rec + 1) + rec->key_len;
}

/* change streams (Documentation/streams.rst), on a cache fd opened for reading */

/**
 * struct kcache_stream_iter - walks the records kcache_stream_read() put in a buffer
 * @pos: the next record
 * @end: end of the bytes read
 * @err: 0, or -EBADMSG once a record did not fit the buffer or its own length
 */
struct kcache_stream_iter {
	const char *pos;
	const char *end;
	int err;
};

int kcache_subscribe(int fd, const void *prefix, uint32_t prefix_len, uint32_t flags,
		     uint32_t *ring_size, uint64_t *cutoff);
ssize_t kcache_stream_read(int sfd, void *buf, size_t len, struct kcache_stream_iter *it);
const struct kcache_stream_rec *kcache_stream_next(struct kcache_stream_iter *it);

/* The key and value bytes of a stream record (the value only with KCACHE_RECF_VALUE). */
static inline const void *kcache_stream_key(const struct kcache_stream_rec *r)
{
	return (const char *)r + r->hdr_len;
}

static inline const void *kcache_stream_val(const struct kcache_stream_rec *r)
{
	return (const char *)r + r->hdr_len + r->key_len;
}

/*
 * Single-flight loading and leases (kcache_lease.c, Documentation/loading.rst). A lease
 * GET returns its answer, KCACHE_GET_HIT / _LOAD / _STALE / _REFRESH (>= 0), or -errno.
 */

/**
 * typedef kcache_loader_t - loads a missing value for kcache_get_or_load()
 * @ctx: the caller's context
 * @key: key bytes
 * @key_len: key length
 * @val: out: a malloc()ed value, which the library frees
 * @val_len: out: its length
 * @ttl_ns: in: 0; out: the TTL to store the value with (0: the cache's default)
 *
 * Return: 0, or a negative errno, which every process waiting for this load also gets,
 * except -EINTR (a signal interrupted the loader): one of them gets the lease instead.
 */
typedef int (*kcache_loader_t)(void *ctx, const void *key, uint32_t key_len, void **val,
			       uint32_t *val_len, uint64_t *ttl_ns);

int kcache_get_or_lease(int fd, const void *key, uint32_t key_len, void *val,
			uint32_t *val_len, uint64_t wait_ns, uint64_t lease_ns, uint64_t *version,
			uint64_t *token);
int kcache_lease_set(int fd, const void *key, uint32_t key_len, const void *val,
		     uint32_t val_len, uint64_t token, uint32_t flags, uint64_t ttl_ns,
		     uint64_t *version);
int kcache_lease_abort(int fd, uint64_t token, int error);
int kcache_mget_lease(int fd, struct kcache_batch_item *items, uint32_t nr, const void *keys,
		      void *vals, uint32_t vals_len, uint64_t *tokens, uint64_t lease_ns,
		      uint32_t *done);
int kcache_get_or_load(int fd, const void *key, uint32_t key_len, void *val,
		       uint32_t *val_len, uint64_t wait_ns, uint64_t lease_ns,
		       kcache_loader_t loader, void *ctx, uint64_t *version);
int kcache_load_config(int fd, uint64_t *refresh_ns, uint64_t *lease_ns, int set);
int kcache_load_stats(int fd, struct kcache_load_counters *counters);

#ifdef __cplusplus
}
#endif

#endif /* LIBKCACHE_H */
