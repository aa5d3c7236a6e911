// SPDX-License-Identifier: GPL-2.0
/*
 * The cache fd: an anonymous inode whose private data is a &struct kcache_file, a
 * reference to one cache plus the access rights it was opened with. The reference keeps
 * the struct kcache alive after a DESTROY; the core then fails every operation with
 * -ESHUTDOWN. Its ioctls validate and copy arguments and call the exported API of
 * kcache.h; no cache logic lives here.
 *
 * Every handler checks in the order documented at the top of uapi/linux/kcache.h: access
 * right, struct, flags and padding, lengths, user buffers, the operation, results out.
 * Nothing is allocated before every length is bounded.
 *
 * Commands are dispatched on their type and number only (_IOC_TYPE, _IOC_NR): the size
 * bits of a command number never select or refuse a command, the struct's size field does.
 *
 * Locking: one mutex per fd, kcache_file->scratch_lock, which a batch (MGET, MSET) takes
 * with mutex_trylock() to use the fd's scratch buffer; it is outermost (the core's locks
 * nest inside it while the batch runs) and never waited for. Contexts: process context
 * only; every handler may sleep. While copying to or from userspace nothing is held but
 * the scratch lock, and RCU for the values GET and MGET copy with page faults disabled.
 * DUMP is in kcache_dump.c; GET_PAGE and mmap() in kcache_getpage.c.
 */

#include <linux/anon_inodes.h>
#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kcache.h"
#include "kcache_api.h"
#include "kcache_fd.h"
#include "kcache_load.h"
#include "kcache_read.h"
#include "kcache_stream.h"
#include "kcache_uaccess.h"

/*
 * Keys up to this long are copied to the stack instead of the heap, so that a GET hit
 * allocates nothing (design §3) for every key memcached accepts (250 bytes) and the
 * keys of most other caches. Longer keys, up to KCACHE_KEY_LEN_MAX, take a kvmalloc().
 */
#define KC_STACK_KEY	256

/* The largest MSET value block (sum of the values). */
#define KC_MSET_VALS_MAX	KCACHE_VAL_LEN_MAX

/*
 * Bytes of an fd's batch scratch buffer: the largest item array (6 KiB) and the keys of a
 * batch of 64 keys of 32 bytes fit.
 */
#define KC_BATCH_SCRATCH	8192

/**
 * struct kcache_file - private data of a cache fd
 * @cache: the cache; this file holds one reference (NULL only before install)
 * @access: %KCACHE_OPEN_READ / %KCACHE_OPEN_WRITE rights granted at open
 * @leases: the leases this fd holds (kcache_load_lease.c)
 * @scratch_lock: held by the batch using @scratch
 * @scratch: %KC_BATCH_SCRATCH bytes for a batch's item array and key block, allocated by
 *	the first batch: a batch allocates and frees nothing else while it is free
 * @pages: the pages of GET_PAGE, set once by the first mmap(); NULL before
 */
struct kcache_file {
	struct kcache *cache;
	u32 access;
	struct kcache_lease_owner leases;
	struct mutex scratch_lock;	/* see above; never held with another fd's */
	void *scratch;
	struct kcache_fd_pages *pages;
};

static void kcache_fd_build_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct kcache_get_args) != KCACHE_GET_ARGS_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_get_args, key_len) != 24);
	BUILD_BUG_ON(offsetof(struct kcache_get_args, version) != 32);
	BUILD_BUG_ON(sizeof(struct kcache_set_args) != KCACHE_SET_ARGS_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_set_args, ttl_ns) != 32);
	/* SET and CAS write back only the version: inside the smallest size they accept */
	BUILD_BUG_ON(offsetofend(struct kcache_set_args, version) > KCACHE_SET_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetofend(struct kcache_cas_args, version) > KCACHE_CAS_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_del_args) != KCACHE_DEL_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_cas_args) != KCACHE_CAS_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_cas_args, expected) != 40);
	BUILD_BUG_ON(sizeof(struct kcache_add_args) != KCACHE_ADD_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_add_args, delta) != 24);
	BUILD_BUG_ON(sizeof(struct kcache_batch_item) != KCACHE_BATCH_ITEM_SIZE);
	BUILD_BUG_ON(offsetof(struct kcache_batch_item, version) != 16);
	BUILD_BUG_ON(sizeof(struct kcache_mget_args) != KCACHE_MGET_ARGS_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_mget_args, nr) != 32);
	BUILD_BUG_ON(sizeof(struct kcache_mset_args) != KCACHE_MSET_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_mset_args, ttl_ns) != 48);
	BUILD_BUG_ON(sizeof(struct kcache_invalidate_args) != KCACHE_INVALIDATE_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_stats_args) != KCACHE_STATS_ARGS_SIZE_VER1);
	BUILD_BUG_ON(sizeof(struct kcache_info_args) != KCACHE_INFO_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_info_args, max_entries) != 80);
	BUILD_BUG_ON(offsetof(struct kcache_info_args, access) != 120);
	BUILD_BUG_ON(sizeof(struct kcache_dump_record) != 16);
	BUILD_BUG_ON(sizeof(struct kcache_dump_args) != KCACHE_DUMP_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_dump_args, cursor) != 16);
	BUILD_BUG_ON(offsetof(struct kcache_dump_args, next) != 32);
	BUILD_BUG_ON(sizeof(struct kcache_nop_args) != KCACHE_NOP_ARGS_SIZE_VER0);

	/* the ABI's constants are the core's */
	BUILD_BUG_ON(KCACHE_KEY_LEN_MAX != KCACHE_KEY_MAX);
	BUILD_BUG_ON(KCACHE_VAL_LEN_MAX != KCACHE_VALUE_MAX_LIMIT);
	BUILD_BUG_ON(KCACHE_SETF_IF_ABSENT != KCACHE_SET_IF_ABSENT);
	BUILD_BUG_ON(KCACHE_SETF_IF_PRESENT != KCACHE_SET_IF_PRESENT);
	BUILD_BUG_ON(KCACHE_SETF_KEEP_TTL != KCACHE_SET_KEEP_TTL);
	BUILD_BUG_ON(KCACHE_SETF_TTL & KCACHE_SET_FLAGS);
	BUILD_BUG_ON(KCACHE_DUMP_BUF_MAX < KCACHE_DUMP_RECORD_LEN(KCACHE_KEY_LEN_MAX,
								  KCACHE_VAL_LEN_MAX));
	/* record lengths fit a u32, with room for DUMP's bookkeeping */
	BUILD_BUG_ON(KCACHE_DUMP_BUF_MAX > S32_MAX);
}

#define KC_SETF_ALL	(KCACHE_SETF_IF_ABSENT | KCACHE_SETF_IF_PRESENT | \
			 KCACHE_SETF_KEEP_TTL | KCACHE_SETF_TTL)

/*
 * TTL of a store: KCACHE_SETF_TTL selects ttl_ns, else the cache's default and ttl_ns
 * must be 0. A ttl_ns of U64_MAX is far away, not the in-kernel API's KCACHE_TTL_DEFAULT:
 * one less gives the same deadline (it saturates).
 */
static int kc_ttl(u32 flags, u64 ttl_ns, u64 *ttl)
{
	if (flags & KCACHE_SETF_TTL) {
		*ttl = min_t(u64, ttl_ns, KCACHE_TTL_DEFAULT - 1);
		return 0;
	}
	if (ttl_ns)
		return -EINVAL;
	*ttl = KCACHE_TTL_DEFAULT;
	return 0;
}

/* A key (or prefix) from userspace: its length is checked before anything is copied. */
static void *kc_key_in(void *stack, size_t stack_len, u64 uptr, u32 len)
{
	int ret = kcache_key_len_check(len);

	return ret ? ERR_PTR(ret) : kcache_buf_in(stack, stack_len, uptr, len);
}

/* What a GET's lookup needs of its argument struct, in registers on the common path */
struct kc_get_in {
	u64 val;
	u32 key_len;
	u32 val_len;
};

/*
 * GET's common case, the struct at this module's size with no flags and a key that fits
 * @kbuf: the struct and the key in one user-access window (entering and leaving one costs
 * more than these few words, an emulator's translation block each). Reads the key only
 * once every check the general path makes before it has passed, so the errors come in
 * the same order. The fields only checked for zero are never stored. Returns 1 if both
 * were read, 0 for the general path, or -EFAULT.
 */
static __always_inline int kc_get_in_fast(struct kc_get_in *in, u8 *kbuf,
					  struct kcache_get_args __user *ua)
{
	u32 size, flags, len, pad;
	u64 key, wait_ns, lease_ns;
	const u8 __user *ukey;

	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS) ||
	    !user_read_access_begin(ua, sizeof(*ua)))
		return 0;
	unsafe_get_user(size, &ua->size, efault);
	if (size != sizeof(*ua))
		goto general;
	/* the in fields, one load each: the out fields are written before they are read */
	unsafe_get_user(flags, &ua->flags, efault);
	unsafe_get_user(key, &ua->key, efault);
	unsafe_get_user(in->val, &ua->val, efault);
	unsafe_get_user(len, &ua->key_len, efault);
	unsafe_get_user(in->val_len, &ua->val_len, efault);
	unsafe_get_user(wait_ns, &ua->wait_ns, efault);
	unsafe_get_user(lease_ns, &ua->lease_ns, efault);
	unsafe_get_user(pad, &ua->__pad, efault);
	if ((flags | pad) || (wait_ns | lease_ns) || !len || len > KC_STACK_KEY ||
	    !access_ok(u64_to_user_ptr(key), len))
		goto general;
	/*
	 * user_read_access_begin()'s speculation barrier came before this access_ok(): clamp
	 * the key's address without a branch, so that a mispredicted check loads from 0, not
	 * kernel bytes the hash would turn into a table access (Spectre v1). Cheaper than a
	 * second window: under TCG each stac/clac ends a translation block.
	 */
	ukey = (const u8 __user *)array_index_nospec(untagged_addr((unsigned long)key),
						     TASK_SIZE_MAX - len + 1);
	in->key_len = len;
	if (!kc_unsafe_words_in(kbuf, ukey, len))
		goto efault;
	user_read_access_end();
	return 1;
general:
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/* __flatten: the lookup and the table walk inline in this one frame (kcache_read.h) */
static noinline __flatten int kc_get(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_get_args __user *ua = uarg;
	u8 kbuf[KC_STACK_KEY] __kc_filled;
	struct kcache_get_wb wb __kc_filled;
	struct kc_get_in in;
	void *key = kbuf;
	u64 version;
	int ret;

	BUILD_BUG_ON(KC_STACK_KEY > KCACHE_KEY_LEN_MAX);
	ret = kc_get_in_fast(&in, kbuf, ua);
	if (ret < 0)
		return ret;
	if (!ret) {
		/* any other size, a lease, a long key: the struct on the stack only here */
		struct kcache_get_args a __kc_filled;

		ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_GET_ARGS_SIZE_VER0, uarg);
		if (ret)
			return ret;
		if (a.flags & KCACHE_GETF_LEASE)
			return kcache_lease_ioctl_get(kf->cache, &kf->leases, kf->access, uarg,
						      &a);
		if (a.flags || a.wait_ns || a.lease_ns || a.__pad)
			return -EINVAL;
		key = kc_key_in(kbuf, sizeof(kbuf), a.key, a.key_len);
		if (IS_ERR(key))
			return PTR_ERR(key);
		in = (struct kc_get_in){ .val = a.val, .key_len = a.key_len,
					 .val_len = a.val_len };
	}
	/* copied out under RCU: a hit writes nothing shared (no pin unless the copy faults) */
	wb = (struct kcache_get_wb){ .vlen = &ua->val_len, .version = &ua->version };
	ret = kcache_get_user(kf->cache, key, in.key_len, u64_to_user_ptr(in.val), &in.val_len,
			      &version, &wb);
	kcache_buf_free(key, kbuf);
	if (wb.done || (ret && ret != -EMSGSIZE))
		return ret;
	/* the only out fields (both in VER0): no second pass over the struct */
	if (!user_write_access_begin(ua, KCACHE_GET_ARGS_SIZE_VER0))
		return -EFAULT;
	unsafe_put_user(in.val_len, &ua->val_len, efault);
	unsafe_put_user(version, &ua->version, efault);
	user_write_access_end();
	return ret;
efault:
	user_write_access_end();
	return -EFAULT;
}

/* SET and CAS: same layout up to ttl_ns. The value goes from userspace into the entry. */
static int kc_store(struct kcache_file *kf, u64 ukey, u32 klen, u64 uval, u32 vlen,
		    u32 flags, u64 ttl, bool cas, u64 expected, u64 *version)
{
	u8 kbuf[KC_STACK_KEY] __kc_filled;
	void *key;
	int ret;

	ret = kcache_key_len_check(klen);
	if (ret)
		return ret;
	if (vlen > kcache_value_max())
		return -E2BIG;
	key = kcache_buf_in(kbuf, sizeof(kbuf), ukey, klen);
	if (IS_ERR(key))
		return PTR_ERR(key);
	ret = kcache_store_user(kf->cache, key, klen, u64_to_user_ptr(uval), vlen, ttl,
				cas ? 0 : flags & ~KCACHE_SETF_TTL, cas, expected, version);
	kcache_buf_free(key, kbuf);
	return ret;
}

static int kc_set(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_set_args a __kc_filled;
	u64 ttl;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_SET_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & KCACHE_SETF_LEASE)
		return kcache_lease_ioctl_set(kf->cache, &kf->leases, kf->access, uarg, &a);
	if (a.flags & ~KC_SETF_ALL || a.token ||
	    (a.flags & KCACHE_SETF_IF_ABSENT && a.flags & KCACHE_SETF_IF_PRESENT))
		return -EINVAL;
	ret = kc_ttl(a.flags, a.ttl_ns, &ttl);
	if (ret)
		return ret;
	ret = kc_store(kf, a.key, a.key_len, a.val, a.val_len, a.flags, ttl, false, 0,
		       &a.version);
	if (ret)
		return ret;
	/* the only out field, in every size: no second pass over the struct */
	return put_user(a.version, &((struct kcache_set_args __user *)uarg)->version);
}

static int kc_cas(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_cas_args a __kc_filled;
	u64 ttl;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_CAS_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_SETF_TTL)
		return -EINVAL;
	ret = kc_ttl(a.flags, a.ttl_ns, &ttl);
	if (ret)
		return ret;
	ret = kc_store(kf, a.key, a.key_len, a.val, a.val_len, 0, ttl, true, a.expected,
		       &a.version);
	if (ret)
		return ret;
	return put_user(a.version, &((struct kcache_cas_args __user *)uarg)->version);
}

static int kc_del(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_del_args a __kc_filled;
	u8 kbuf[KC_STACK_KEY] __kc_filled;
	void *key;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_DEL_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags || a.__pad)
		return -EINVAL;
	key = kc_key_in(kbuf, sizeof(kbuf), a.key, a.key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	ret = kcache_delete(kf->cache, key, a.key_len);
	kcache_buf_free(key, kbuf);
	return ret;
}

static int kc_add(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_add_args a __kc_filled;
	u8 kbuf[KC_STACK_KEY] __kc_filled;
	void *key;
	u64 ttl;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_ADD_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_SETF_TTL || a.__pad)
		return -EINVAL;
	ret = kc_ttl(a.flags, a.ttl_ns, &ttl);
	if (ret)
		return ret;
	key = kc_key_in(kbuf, sizeof(kbuf), a.key, a.key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	ret = kcache_add(kf->cache, key, a.key_len, a.delta, ttl, &a.result);
	kcache_buf_free(key, kbuf);
	if (ret)
		return ret;
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

/**
 * struct kc_batch - a batch's item array and key block in kernel memory
 * @items: the items
 * @keys: the keys, back to back
 * @klen_sum: bytes of @keys
 * @scratch: this batch holds the fd's scratch buffer (and its lock)
 * @items_own: @items were kvmalloc()ed, not taken from the scratch buffer
 * @keys_own: likewise for @keys
 */
struct kc_batch {
	struct kcache_batch_item *items;
	void *keys;
	size_t klen_sum;
	bool scratch;
	bool items_own;
	bool keys_own;
};

/* Memory for @len bytes of a batch: scratch from @off if it fits, else kvmalloc(). */
static void *kc_batch_mem(struct kcache_file *kf, struct kc_batch *b, size_t off, size_t len,
			  bool *own)
{
	*own = !b->scratch || off + len > KC_BATCH_SCRATCH;
	return *own ? kvmalloc(len, GFP_KERNEL_ACCOUNT) : kf->scratch + off;
}

static void kc_batch_free(struct kcache_file *kf, struct kc_batch *b)
{
	if (b->keys_own)
		kvfree(b->keys);
	if (b->items_own)
		kvfree(b->items);
	if (b->scratch)
		mutex_unlock(&kf->scratch_lock);
}

/*
 * Steps 4 and 5 of a batch: read the item array and check every item's lengths (key_len
 * always, val_len for MSET: @vals_len is then the value block's size, which the values
 * must sum to), then read the key block. Both go to the fd's scratch buffer unless another
 * batch of the fd holds it, so that a batch does not allocate (and, with init_on_alloc,
 * zero) memory each time. Free @b with kc_batch_free(), also on error.
 */
static int kc_batch_in(struct kcache_file *kf, struct kc_batch *b, u64 uitems, u32 nr,
		       bool mset, u32 vals_len, u64 ukeys)
{
	size_t isize = nr * sizeof(*b->items);
	u32 i, vmax = kcache_value_max();
	u64 vsum = 0;
	int ret;

	BUILD_BUG_ON(KCACHE_BATCH_MAX * sizeof(*b->items) > KC_BATCH_SCRATCH);
	*b = (struct kc_batch){};
	if (mutex_trylock(&kf->scratch_lock)) {
		if (!kf->scratch)
			kf->scratch = kvmalloc(KC_BATCH_SCRATCH, GFP_KERNEL_ACCOUNT);
		b->scratch = !!kf->scratch;
		if (!b->scratch)
			mutex_unlock(&kf->scratch_lock);
	}
	b->items = kc_batch_mem(kf, b, 0, isize, &b->items_own);
	if (!b->items)
		return -ENOMEM;
	if (kcache_words_in(b->items, u64_to_user_ptr(uitems), isize))
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		ret = kcache_key_len_check(b->items[i].key_len);
		if (ret)
			return ret;
		b->klen_sum += b->items[i].key_len;
		if (!mset)
			continue;
		if (b->items[i].val_len > vmax)
			return -E2BIG;
		vsum += b->items[i].val_len;
	}
	if (mset && vsum != vals_len)
		return -EINVAL;
	b->keys = kc_batch_mem(kf, b, isize, b->klen_sum, &b->keys_own);
	if (!b->keys)
		return -ENOMEM;
	if (b->klen_sum <= KCACHE_BATCH_WORDS)
		ret = kcache_words_in(b->keys, u64_to_user_ptr(ukeys), b->klen_sum);
	else
		ret = copy_from_user(b->keys, u64_to_user_ptr(ukeys), b->klen_sum) ? -EFAULT : 0;
	return ret;
}

static int kc_mget(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_mget_args a __kc_filled;
	struct kc_batch b;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_MGET_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & KCACHE_MGETF_LEASE)
		return kcache_lease_ioctl_mget(kf->cache, &kf->leases, kf->access, uarg, &a);
	if (a.flags || a.__pad || a.tokens || a.lease_ns)
		return -EINVAL;
	if (a.nr > KCACHE_BATCH_MAX)
		return -E2BIG;
	a.done = 0;
	if (!a.nr)	/* nothing to do, but a destroyed cache still says so */
		return kcache_is_dead(kf->cache) ? -ESHUTDOWN :
		       kcache_copy_struct_out(uarg, &a, sizeof(a));
	ret = kc_batch_in(kf, &b, a.items, a.nr, false, 0, a.keys);
	if (ret)
		goto out;
	ret = kcache_mget_user(kf->cache, b.keys, b.items, a.nr, u64_to_user_ptr(a.vals),
			       a.vals_len);
	if (ret < 0)
		goto out;
	/* done is the only out field of the struct */
	if (kcache_words_out(u64_to_user_ptr(a.items), b.items, a.nr * sizeof(*b.items)) ||
	    put_user(ret, &((struct kcache_mget_args __user *)uarg)->done))
		ret = -EFAULT;
	else
		ret = 0;
out:
	kc_batch_free(kf, &b);
	return ret;
}

static int kc_mset(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_mset_args a __kc_filled;
	size_t koff = 0, voff = 0;
	struct kc_batch b;
	void *vals;
	u64 ttl;
	u32 i;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_MSET_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KC_SETF_ALL ||
	    (a.flags & KCACHE_SETF_IF_ABSENT && a.flags & KCACHE_SETF_IF_PRESENT) || a.__pad)
		return -EINVAL;
	ret = kc_ttl(a.flags, a.ttl_ns, &ttl);
	if (ret)
		return ret;
	if (a.nr > KCACHE_BATCH_MAX || a.vals_len > KC_MSET_VALS_MAX)
		return -E2BIG;
	a.done = 0;
	if (!a.nr) {
		if (a.vals_len)
			return -EINVAL;
		return kcache_is_dead(kf->cache) ? -ESHUTDOWN :
		       kcache_copy_struct_out(uarg, &a, sizeof(a));
	}
	/* every item's lengths, values included, before any key is copied */
	ret = kc_batch_in(kf, &b, a.items, a.nr, true, a.vals_len, a.keys);
	if (ret)
		goto out_batch;
	vals = kcache_buf_in(NULL, 0, a.vals, a.vals_len);
	if (IS_ERR(vals)) {
		ret = PTR_ERR(vals);
		goto out_batch;
	}
	for (i = 0; i < a.nr; i++) {
		struct kcache_batch_item *it = &b.items[i];

		it->version = 0;
		it->val_off = voff;
		it->status = kcache_set(kf->cache, b.keys + koff, it->key_len, vals + voff,
					it->val_len, ttl, a.flags & ~KCACHE_SETF_TTL,
					&it->version);
		if (it->status == -ESHUTDOWN) {
			ret = -ESHUTDOWN;
			goto out_vals;
		}
		if (!it->status)
			a.done++;
		koff += it->key_len;
		voff += it->val_len;
	}
	if (kcache_words_out(u64_to_user_ptr(a.items), b.items, a.nr * sizeof(*b.items)))
		ret = -EFAULT;
	else
		ret = kcache_copy_struct_out(uarg, &a, sizeof(a));
out_vals:
	kvfree(vals);
out_batch:
	kc_batch_free(kf, &b);
	return ret;
}

static int kc_invalidate(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_invalidate_args a __kc_filled;
	u8 kbuf[KC_STACK_KEY] __kc_filled;
	void *prefix;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_INVALIDATE_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_INVALIDATE_PREFIX || a.__pad)
		return -EINVAL;
	if (!(a.flags & KCACHE_INVALIDATE_PREFIX)) {
		if (a.prefix || a.prefix_len)
			return -EINVAL;
		ret = kcache_invalidate_all(kf->cache);
	} else {
		prefix = kc_key_in(kbuf, sizeof(kbuf), a.prefix, a.prefix_len);
		if (IS_ERR(prefix))
			return PTR_ERR(prefix);
		ret = kcache_invalidate_prefix(kf->cache, prefix, a.prefix_len);
		kcache_buf_free(prefix, kbuf);
	}
	if (ret < 0)
		return ret;
	a.removed = ret;
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

/**
 * kcache_fd_counters() - a cache's counters in the ABI's layout
 * @c: the cache
 * @out: filled in
 */
void kcache_fd_counters(struct kcache *c, struct kcache_counters *out)
{
	struct kcache_stats st;

	kcache_stats(c, &st);
	out->hits = st.hits;
	out->misses = st.misses;
	out->sets = st.sets;
	out->deletes = st.deletes;
	out->evictions_size = st.evictions_size;
	out->evictions_shrink = st.evictions_shrink;
	out->expirations = st.expirations;
	out->entries = st.entries;
	out->bytes = st.bytes;
	out->max_entries = st.max_entries;
	out->max_bytes = st.max_bytes;
	out->spare_bytes = st.spare_bytes;
}

static int kc_stats(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_stats_args a;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_STATS_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	if (kcache_is_dead(kf->cache))
		return -ESHUTDOWN;
	kcache_fd_counters(kf->cache, &a.counters);
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

static int kc_info(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_config cfg;
	struct kcache_info_args a;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_INFO_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags || a.__pad)
		return -EINVAL;
	if (kcache_is_dead(kf->cache))
		return -ESHUTDOWN;
	kcache_get_config(kf->cache, &cfg);
	strscpy_pad(a.name, kcache_name(kf->cache), sizeof(a.name));
	a.max_entries = cfg.max_entries;
	a.max_bytes = cfg.max_bytes;
	a.default_ttl_ns = cfg.default_ttl_ns;
	a.policy = cfg.policy;
	a.uid = from_kuid_munged(current_user_ns(), cfg.uid);
	a.gid = from_kgid_munged(current_user_ns(), cfg.gid);
	a.mode = cfg.mode;
	a.access = kf->access;
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

/*
 * Out of line: its struct on the stack would give the dispatcher a frame and a stack
 * canary that every ioctl, GET included, would pay for.
 */
static noinline int kc_nop(void __user *uarg)
{
	struct kcache_nop_args a;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_NOP_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	return a.flags ? -EINVAL : 0;
}

/* mmap() of a cache fd: the pages of GET_PAGE (kcache_getpage.c) */
static int kcache_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kcache_file *kf = file->private_data;

	return kcache_get_pages_mmap(&kf->pages, kf->access, vma);
}

/* The rights each cache-fd command (by number) needs, all of them; 0 for none. */
static u32 kc_cmd_right(unsigned int nr)
{
	switch (nr) {
	case _IOC_NR(KCACHE_IOC_GET):
	case _IOC_NR(KCACHE_IOC_GET_PAGE):
	case _IOC_NR(KCACHE_IOC_MGET):
	case _IOC_NR(KCACHE_IOC_STATS):
	case _IOC_NR(KCACHE_IOC_INFO):
	case _IOC_NR(KCACHE_IOC_DUMP):
	case _IOC_NR(KCACHE_IOC_SUBSCRIBE):
	case _IOC_NR(KCACHE_IOC_LOAD_CONFIG):	/* setting it needs write too */
	case _IOC_NR(KCACHE_IOC_LOAD_STATS):
		return KCACHE_OPEN_READ;
	case _IOC_NR(KCACHE_IOC_SET):
	case _IOC_NR(KCACHE_IOC_DEL):
	case _IOC_NR(KCACHE_IOC_CAS):
	case _IOC_NR(KCACHE_IOC_MSET):
	case _IOC_NR(KCACHE_IOC_INVALIDATE):
		return KCACHE_OPEN_WRITE;
	/* its result is the stored value: a write-only fd would read values through it */
	case _IOC_NR(KCACHE_IOC_ADD):
		return KCACHE_OPEN_RDWR;
	default:
		return 0;
	}
}

/* Every other command, its right checked: their frames stay out of the hot paths. */
static noinline long kc_ioctl(struct kcache_file *kf, unsigned int nr, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (nr) {
	case _IOC_NR(KCACHE_IOC_SET):
		return kc_set(kf, uarg);
	case _IOC_NR(KCACHE_IOC_DEL):
		return kc_del(kf, uarg);
	case _IOC_NR(KCACHE_IOC_CAS):
		return kc_cas(kf, uarg);
	case _IOC_NR(KCACHE_IOC_ADD):
		return kc_add(kf, uarg);
	case _IOC_NR(KCACHE_IOC_MGET):
		return kc_mget(kf, uarg);
	case _IOC_NR(KCACHE_IOC_MSET):
		return kc_mset(kf, uarg);
	case _IOC_NR(KCACHE_IOC_INVALIDATE):
		return kc_invalidate(kf, uarg);
	case _IOC_NR(KCACHE_IOC_STATS):
		return kc_stats(kf, uarg);
	case _IOC_NR(KCACHE_IOC_INFO):
		return kc_info(kf, uarg);
	case _IOC_NR(KCACHE_IOC_DUMP):
		return kcache_dump_ioctl(kf->cache, uarg);
	case _IOC_NR(KCACHE_IOC_SUBSCRIBE):
		return kcache_streams_subscribe_ioctl(kf->cache, uarg);
	/* the lease handlers check the rights they need */
	case _IOC_NR(KCACHE_IOC_LEASE_ABORT):
		return kcache_lease_ioctl_abort(kf->cache, &kf->leases, kf->access, uarg);
	case _IOC_NR(KCACHE_IOC_LOAD_CONFIG):
		return kcache_load_ioctl_config(kf->cache, kf->access, uarg);
	case _IOC_NR(KCACHE_IOC_LOAD_STATS):
		return kcache_load_ioctl_stats(kf->cache, uarg);
	default:
		return -ENOTTY;
	}
}

/* an ioctl's type and number: its size is the struct's own (copy_struct_from_user()) */
#define KC_IOC_ID(cmd)	((cmd) & (_IOC_TYPEMASK << _IOC_TYPESHIFT | _IOC_NRMASK << _IOC_NRSHIFT))

static long kcache_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kcache_file *kf = file->private_data;
	unsigned int nr = _IOC_NR(cmd);
	u32 right;

	/* the hot path, and the floor it is measured against, before anything else */
	if (KC_IOC_ID(cmd) == KC_IOC_ID(KCACHE_IOC_GET))
		return kf->access & KCACHE_OPEN_READ ? kc_get(kf, (void __user *)arg) : -EBADF;
	if (KC_IOC_ID(cmd) == KC_IOC_ID(KCACHE_IOC_NOP))
		return kc_nop((void __user *)arg);
	if (_IOC_TYPE(cmd) != KCACHE_IOC_MAGIC)
		return -ENOTTY;
	right = kc_cmd_right(nr);
	if ((kf->access & right) != right)
		return -EBADF;
	if (nr == _IOC_NR(KCACHE_IOC_GET_PAGE))
		return kcache_get_page_ioctl(kf->cache, &kf->pages, arg);
	return kc_ioctl(kf, nr, arg);
}

static int kcache_file_release(struct inode *inode, struct file *file)
{
	struct kcache_file *kf = file->private_data;

	if (kf->cache) {
		/* a lease dies with its holder's fd: a waiter takes the load over */
		kcache_lease_owner_release(kf->cache, &kf->leases);
		kcache_put_ref(kf->cache);
	}
	kvfree(kf->scratch);
	/* no mapping is left: each pins the file */
	kcache_get_pages_free(kf->pages);
	mutex_destroy(&kf->scratch_lock);
	kfree(kf);
	return 0;
}

static const struct file_operations kcache_file_fops = {
	.owner		= THIS_MODULE,
	.release	= kcache_file_release,
	.unlocked_ioctl	= kcache_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= kcache_file_mmap,
	.llseek		= noop_llseek,
};

/**
 * kcache_fd_prepare() - reserve an fd and make its file, with no cache yet
 * @slot: filled in
 * @access: %KCACHE_OPEN_READ / %KCACHE_OPEN_WRITE rights of the fd
 *
 * Everything that can fail in making a cache fd happens here, so that CREATE can publish
 * a cache only once nothing can fail any more. Follow with kcache_fd_install() or
 * kcache_fd_abort().
 *
 * Return: 0, -EMFILE (no free fd in the process), -ENFILE (none in the system) or -ENOMEM.
 */
int kcache_fd_prepare(struct kcache_fd_slot *slot, u32 access)
{
	struct kcache_file *kf;
	int ret;

	kcache_fd_build_check_abi();
	kf = kzalloc(sizeof(*kf), GFP_KERNEL_ACCOUNT);
	if (!kf)
		return -ENOMEM;
	kf->access = access;
	kcache_lease_owner_init(&kf->leases);
	mutex_init(&kf->scratch_lock);
	ret = get_unused_fd_flags(O_CLOEXEC);
	if (ret < 0)
		goto err_kf;
	slot->fd = ret;
	slot->file = anon_inode_getfile("[kcache]", &kcache_file_fops, kf, O_RDWR);
	if (IS_ERR(slot->file)) {
		ret = PTR_ERR(slot->file);
		goto err_fd;
	}
	return 0;

err_fd:
	put_unused_fd(slot->fd);
err_kf:
	kfree(kf);
	return ret;
}

/**
 * kcache_fd_install() - give a prepared fd its cache and make it visible
 * @slot: from kcache_fd_prepare()
 * @c: the cache; the fd takes over the caller's reference
 *
 * Cannot fail.
 *
 * Return: the fd number.
 */
int kcache_fd_install(struct kcache_fd_slot *slot, struct kcache *c)
{
	struct kcache_file *kf = slot->file->private_data;

	kf->cache = c;
	fd_install(slot->fd, slot->file);
	return slot->fd;
}

/**
 * kcache_fd_abort() - undo kcache_fd_prepare()
 * @slot: from kcache_fd_prepare(), not installed
 */
void kcache_fd_abort(struct kcache_fd_slot *slot)
{
	/* the release frees the kcache_file; it has no cache to put */
	fput(slot->file);
	put_unused_fd(slot->fd);
}
