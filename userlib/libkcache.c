// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache: one function per ioctl. Each fills the argument struct (zeroed, with its
 * size), makes the call and returns 0, a non-negative result or -errno; errno is saved
 * and restored, so a caller's errno is never changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kcache.h"
#include "kcache_ioctl.h"

/* The ABI's name field: the name, NUL, zeros. */
static int kc_name(char dst[KCACHE_NAME_BUF], const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, KCACHE_NAME_BUF);
	if (len >= KCACHE_NAME_BUF)
		return -EINVAL;
	memset(dst, 0, KCACHE_NAME_BUF);
	memcpy(dst, name, len);
	return 0;
}

int kcache_ctl_open(void)
{
	int saved = errno;
	int fd = open("/dev/" KCACHE_DEVICE_NAME, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fd = -errno;
	errno = saved;
	return fd;
}

int kcache_version(int ctl_fd, struct kcache_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return kc_ioctl(ctl_fd, KCACHE_IOC_VERSION, v);
}

int kcache_create(int ctl_fd, const char *name, uint64_t max_entries, uint64_t max_bytes,
		  uint64_t default_ttl_ns, uint32_t policy, uint32_t mode)
{
	struct kcache_create_args a = {
		.size = sizeof(a),
		.max_entries = max_entries,
		.max_bytes = max_bytes,
		.default_ttl_ns = default_ttl_ns,
		.policy = policy,
		.mode = mode,
	};

	return kc_name(a.name, name) ?: kc_ioctl(ctl_fd, KCACHE_IOC_CREATE, &a);
}

int kcache_open(int ctl_fd, const char *name, uint32_t access)
{
	struct kcache_open_args a = { .size = sizeof(a), .flags = access };

	return kc_name(a.name, name) ?: kc_ioctl(ctl_fd, KCACHE_IOC_OPEN, &a);
}

int kcache_open_owned(int ctl_fd, const char *name, uint32_t access, uint32_t owner)
{
	struct kcache_open_args a = {
		.size = sizeof(a),
		.flags = access | KCACHE_OPEN_OWNER,
		.owner = owner,
	};

	return kc_name(a.name, name) ?: kc_ioctl(ctl_fd, KCACHE_IOC_OPEN, &a);
}

/* rounds of create, then open, when the name keeps going between the two */
#define KC_CREATE_OR_OPEN_TRIES	16

int kcache_create_or_open(int ctl_fd, const char *name, uint64_t max_entries,
			  uint64_t max_bytes, uint64_t default_ttl_ns, uint32_t policy,
			  uint32_t mode, uint32_t access)
{
	int ret, open, tries = 0;

	/*
	 * The quota comes before the name: a service restarting at its quota gets -EDQUOT for
	 * the cache it owns. The owner is the fsuid, which is the euid unless setfsuid()
	 * changed it. A cache destroyed between the two steps (-ENOENT from the open) leaves
	 * the name free: create it again, a bounded number of times.
	 */
	do {
		ret = kcache_create(ctl_fd, name, max_entries, max_bytes, default_ttl_ns,
				    policy, mode);
		if (ret != -EEXIST && ret != -EDQUOT)
			return ret;
		open = kcache_open_owned(ctl_fd, name, access, geteuid());
		if (open != -ENOENT)
			return open;
	} while (ret == -EEXIST && ++tries < KC_CREATE_OR_OPEN_TRIES);
	return ret == -EDQUOT ? ret : open;
}

int kcache_destroy(int ctl_fd, const char *name)
{
	struct kcache_destroy_args a = { .size = sizeof(a) };

	return kc_name(a.name, name) ?: kc_ioctl(ctl_fd, KCACHE_IOC_DESTROY, &a);
}

/*
 * struct kcache_counters gained spare_bytes after LIBKCACHE_1, which kcache_stats() and
 * kcache_list() belong to: a program linked then passes the smaller counters and records,
 * and the larger ones would be written past its memory. Its references are bound to
 * kcache_stats@LIBKCACHE_1 and kcache_list@LIBKCACHE_1, which write the first structs
 * only; what is linked now gets the @@LIBKCACHE_1.5 ones. Static links get these too.
 */
#define KC_COUNTERS_SIZE_VER0	offsetof(struct kcache_counters, spare_bytes)

static int kc_list(int ctl_fd, void *recs, uint32_t *nr, uint32_t record_size)
{
	struct kcache_list_args a = {
		.size = sizeof(a),
		.records = kc_ptr(recs),
		.nr = *nr,
		.record_size = record_size,
	};
	int ret = kc_ioctl(ctl_fd, KCACHE_IOC_LIST, &a);

	if (!ret || ret == -EMSGSIZE)
		*nr = a.nr;
	return ret;
}

int kcache_list_ver0(int ctl_fd, struct kcache_list_record *recs, uint32_t *nr)
{
	/* the kernel takes the first record size and writes records of that size */
	return kc_list(ctl_fd, recs, nr, KCACHE_LIST_RECORD_SIZE_VER0);
}

int kcache_list_ver1(int ctl_fd, struct kcache_list_record *recs, uint32_t *nr)
{
	return kc_list(ctl_fd, recs, nr, sizeof(*recs));
}

__asm__(".symver kcache_list_ver0,kcache_list@LIBKCACHE_1");
__asm__(".symver kcache_list_ver1,kcache_list@@LIBKCACHE_1.5");

int kcache_list_page(int ctl_fd, struct kcache_list_record *recs, uint32_t *nr,
		     uint64_t *cursor)
{
	struct kcache_list_args a = {
		.size = sizeof(a),
		.flags = KCACHE_LIST_CONTINUE,
		.records = kc_ptr(recs),
		.nr = *nr,
		.record_size = sizeof(*recs),
		.cursor = *cursor,
	};
	int ret = kc_ioctl(ctl_fd, KCACHE_IOC_LIST, &a);

	if (!ret) {
		*nr = a.nr;
		*cursor = a.cursor;
	}
	return ret;
}

int kcache_get(int fd, const void *key, uint32_t key_len, void *val, uint32_t *val_len,
	       uint64_t *version)
{
	struct kcache_get_args a = {
		.size = sizeof(a),
		.key = kc_ptr(key),
		.val = kc_ptr(val),
		.key_len = key_len,
		.val_len = *val_len,
	};
	int ret = kc_ioctl(fd, KCACHE_IOC_GET, &a);

	if (!ret || ret == -EMSGSIZE) {
		*val_len = a.val_len;
		if (version)
			*version = a.version;
	}
	return ret;
}

int kcache_set(int fd, const void *key, uint32_t key_len, const void *val, uint32_t val_len,
	       uint32_t flags, uint64_t ttl_ns, uint64_t *version)
{
	struct kcache_set_args a = {
		.size = sizeof(a),
		.flags = flags,
		.key = kc_ptr(key),
		.val = kc_ptr(val),
		.key_len = key_len,
		.val_len = val_len,
		.ttl_ns = ttl_ns,
	};
	int ret = kc_ioctl(fd, KCACHE_IOC_SET, &a);

	if (!ret && version)
		*version = a.version;
	return ret;
}

int kcache_del(int fd, const void *key, uint32_t key_len)
{
	struct kcache_del_args a = { .size = sizeof(a), .key = kc_ptr(key), .key_len = key_len };

	return kc_ioctl(fd, KCACHE_IOC_DEL, &a);
}

int kcache_cas(int fd, const void *key, uint32_t key_len, const void *val, uint32_t val_len,
	       uint64_t expected, uint32_t flags, uint64_t ttl_ns, uint64_t *version)
{
	struct kcache_cas_args a = {
		.size = sizeof(a),
		.flags = flags,
		.key = kc_ptr(key),
		.val = kc_ptr(val),
		.key_len = key_len,
		.val_len = val_len,
		.ttl_ns = ttl_ns,
		.expected = expected,
	};
	int ret = kc_ioctl(fd, KCACHE_IOC_CAS, &a);

	if (!ret && version)
		*version = a.version;
	return ret;
}

int kcache_add(int fd, const void *key, uint32_t key_len, int64_t delta, uint32_t flags,
	       uint64_t ttl_ns, uint64_t *result)
{
	struct kcache_add_args a = {
		.size = sizeof(a),
		.flags = flags,
		.key = kc_ptr(key),
		.key_len = key_len,
		.delta = delta,
		.ttl_ns = ttl_ns,
	};
	int ret = kc_ioctl(fd, KCACHE_IOC_ADD, &a);

	if (!ret && result)
		*result = a.result;
	return ret;
}

int kcache_mget(int fd, struct kcache_batch_item *items, uint32_t nr, const void *keys,
		void *vals, uint32_t vals_len, uint32_t *done)
{
	struct kcache_mget_args a = {
		.size = sizeof(a),
		.items = kc_ptr(items),
		.keys = kc_ptr(keys),
		.vals = kc_ptr(vals),
		.nr = nr,
		.vals_len = vals_len,
	};
	int ret = kc_ioctl(fd, KCACHE_IOC_MGET, &a);

	if (!ret && done)
		*done = a.done;
	return ret;
}

int kcache_mset(int fd, struct kcache_batch_item *items, uint32_t nr, const void *keys,
		const void *vals, uint32_t vals_len, uint32_t flags, uint64_t ttl_ns,
		uint32_t *done)
{
	struct kcache_mset_args a = {
		.size = sizeof(a),
		.flags = flags,
		.items = kc_ptr(items),
		.keys = kc_ptr(keys),
		.vals = kc_ptr(vals),
		.nr = nr,
		.vals_len = vals_len,
		.ttl_ns = ttl_ns,
	};
	int ret = kc_ioctl(fd, KCACHE_IOC_MSET, &a);

	if (!ret && done)
		*done = a.done;
	return ret;
}

int kcache_invalidate(int fd, uint64_t *removed)
{
	struct kcache_invalidate_args a = { .size = sizeof(a) };
	int ret = kc_ioctl(fd, KCACHE_IOC_INVALIDATE, &a);

	if (!ret && removed)
		*removed = a.removed;
	return ret;
}

int kcache_invalidate_prefix(int fd, const void *prefix, uint32_t prefix_len,
			     uint64_t *removed)
{
	struct kcache_invalidate_args a = {
		.size = sizeof(a),
		.flags = KCACHE_INVALIDATE_PREFIX,
		.prefix = kc_ptr(prefix),
		.prefix_len = prefix_len,
	};
	int ret = kc_ioctl(fd, KCACHE_IOC_INVALIDATE, &a);

	if (!ret && removed)
		*removed = a.removed;
	return ret;
}

static int kc_stats(int fd, struct kcache_counters *counters, size_t len)
{
	struct kcache_stats_args a = { .size = sizeof(a) };
	int ret = kc_ioctl(fd, KCACHE_IOC_STATS, &a);

	if (!ret)
		memcpy(counters, &a.counters, len);
	return ret;
}

int kcache_stats_ver0(int fd, struct kcache_counters *counters)
{
	return kc_stats(fd, counters, KC_COUNTERS_SIZE_VER0);
}

int kcache_stats_ver1(int fd, struct kcache_counters *counters)
{
	return kc_stats(fd, counters, sizeof(*counters));
}

__asm__(".symver kcache_stats_ver0,kcache_stats@LIBKCACHE_1");
__asm__(".symver kcache_stats_ver1,kcache_stats@@LIBKCACHE_1.5");

int kcache_info(int fd, struct kcache_info_args *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return kc_ioctl(fd, KCACHE_IOC_INFO, info);
}

int kcache_dump(int fd, void *buf, uint32_t buf_len, uint64_t *cursor, int *done,
		uint32_t *needed)
{
	struct kcache_dump_args a = {
		.size = sizeof(a),
		.buf = kc_ptr(buf),
		.buf_len = buf_len,
		.cursor = *cursor,
	};
	int ret = kc_ioctl(fd, KCACHE_IOC_DUMP, &a);

	if (needed)
		*needed = ret == -EMSGSIZE ? a.needed : 0;
	if (ret)
		return ret;
	*cursor = a.next;
	*done = a.done;
	return a.nr;
}

int kcache_nop(int fd)
{
	struct kcache_nop_args a = { .size = sizeof(a) };

	return kc_ioctl(fd, KCACHE_IOC_NOP, &a);
}

static size_t kc_page_size(void)
{
	/* threads racing to set it store the same value; atomic, so that it is no data race */
	static size_t size;
	size_t s = __atomic_load_n(&size, __ATOMIC_RELAXED);

	if (!s) {
		s = (size_t)sysconf(_SC_PAGESIZE);
		__atomic_store_n(&size, s, __ATOMIC_RELAXED);
	}
	return s;
}

int kcache_get_pages_map(int fd, unsigned int nr, struct kcache_get_page **pages)
{
	int saved = errno, ret = 0;
	void *p;

	/*
	 * The kernel refuses these too, but only after the length: with a 32-bit size_t,
	 * nr * page size wraps (nr 0x100001 maps one page) and the caller would index pages
	 * that are not there.
	 */
	if (!nr || nr > KCACHE_GET_PAGES_MAX)
		return -EINVAL;
	p = mmap(NULL, (size_t)nr * kc_page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		ret = -errno;
	else
		*pages = p;
	errno = saved;
	return ret;
}

int kcache_get_pages_unmap(struct kcache_get_page *pages, unsigned int nr)
{
	int saved = errno, ret = 0;

	/* a larger length would unmap whatever follows the pages (and wraps as above) */
	if (!nr || nr > KCACHE_GET_PAGES_MAX)
		return -EINVAL;
	if (munmap(pages, (size_t)nr * kc_page_size()))
		ret = -errno;
	errno = saved;
	return ret;
}

int kcache_get_mapped(int fd, struct kcache_get_page *pages, unsigned int page,
		      const void *key, uint32_t key_len, const void **val, uint32_t *val_len,
		      uint64_t *version)
{
	size_t psize = kc_page_size();
	struct kcache_get_page *p = (void *)((char *)pages + (size_t)page * psize);
	int ret;

	/*
	 * Checked here too: the key must not run past its page, nor @page past the largest
	 * map. That @page is below the map's own number of pages is the caller's to ensure:
	 * the pages carry no count, and the kernel's -EINVAL comes after the key is written.
	 */
	if (page >= KCACHE_GET_PAGES_MAX)
		return -EINVAL;
	if (key_len > psize - sizeof(*p))
		return -E2BIG;
	if (key_len <= 64 && ((const uint8_t *)key + key_len <= p->data ||
			      (const uint8_t *)key >= p->data + key_len)) {
		/* short and apart: word stores, no call into the C library */
		const uint8_t *s = key;
		uint8_t *d = p->data;
		uint32_t n = key_len;
		uint64_t w;

		for (; n >= sizeof(w); n -= sizeof(w), s += sizeof(w), d += sizeof(w)) {
			__builtin_memcpy(&w, s, sizeof(w));
			__builtin_memcpy(d, &w, sizeof(w));
		}
		while (n--)
			*d++ = *s++;
	} else {
		memmove(p->data, key, key_len);
	}
	p->key_len = key_len;
	ret = kc_ioctl(fd, KCACHE_IOC_GET_PAGE, (void *)(uintptr_t)page);
	if (!ret || ret == -EMSGSIZE)
		*val_len = p->val_len;
	if (!ret) {
		*val = p->data;
		if (version)
			*version = p->version;
	}
	return ret;
}
